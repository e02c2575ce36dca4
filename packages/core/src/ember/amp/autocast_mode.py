"""``autocast``: inside an enabled region, chosen operations cast their floating-point inputs.

Each operation torch's autocast knows has a policy per device type, kept in one table here
(``_POLICIES``, torch's lists for the CPU and for CUDA, under torch's operator names):

* ``lower_precision_fp``: matmuls, linear layers, convolutions and attention run in the
  region's dtype (float16);
* ``fp32``: operations that lose accuracy in float16 (losses, norms, exp and log on CUDA, ...)
  run in float32;
* ``fp32_set_opt_dtype``: reductions and softmaxes whose first input is float16 run with
  ``dtype=float32`` (unless a ``dtype`` is given);
* ``promote``: operations taking several tensors run in the widest of their floating types;
* ``as_written``: Ember's own entry, for operations torch runs as one kernel on no list
  (``mean``, ``var``, ...) but Ember composes from listed ones (``sum``): they run as written,
  their inner operations uncast, so that their result keeps the input's dtype as torch's does.

float64 tensors are never cast, and integer tensors are left alone. The casts are ordinary
differentiable operations, so gradients flow back to the inputs in their own dtypes. Inside
an autocast operation its own inner operations run as written (torch redispatches below the
autocast key), so a composite operation is cast once, at its entry.

The operations are the public functions marked with ``autocast_op(name)``; the mark costs
each call one Python call and one test of a module global (``_regions``, the number of
enabled regions in the process) while no region is enabled.

Ember has no bfloat16 (numpy has none), which is torch's default CPU autocast dtype: CPU
autocast defaults to float16 instead, which torch's CPU autocast supports too; any other
dtype gets torch's warning and disables the region, as in torch.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings

from .. import _dtype as dtypes
from .. import backend
from .._tensor import Tensor
from ..autograd.grad_mode import _state as _grad_mode

__all__ = [
    "autocast",
    "is_autocast_available",
    "is_autocast_enabled",
    "get_autocast_dtype",
    "is_autocast_cache_enabled",
]

_LOWER = "lower_precision_fp"
_FP32 = "fp32"
_FP32_SET_OPT_DTYPE = "fp32_set_opt_dtype"
_PROMOTE = "promote"
_BANNED = "banned"
_AS_WRITTEN = "as_written"


def _policies(**groups):
    return {name: policy for policy, names in groups.items() for name in names.split()}


# torch's lists (aten/src/ATen/autocast_mode.cpp and autocast_mode.h) under torch's operator
# names. torch's CPU einsum is a composite that reaches the listed bmm; Ember's einsum is one
# kernel, so it is listed itself; likewise torch's cross_entropy_loss, which on CUDA reaches
# log_softmax (in the input's dtype, which it passes) and nll_loss (fp32), so its result is
# float32: Ember's is one kernel, listed in CUDA's fp32 (its log-softmax then in float32 too).
# Ember's other composites (tensordot, inner, multi_dot, the RNN cells) reach listed
# operations as torch's do. Where torch has one unlisted kernel but Ember composes listed
# operations (a mean is a sum divided: CUDA's set_opt_dtype sum would make it float32), the
# operation is ``as_written``, which takes effect where it is marked with ``autocast_op``.
_AS_WRITTEN_NAMES = "mean nansum nanmean var std var_mean std_mean"
_POLICIES = {
    "cpu": _policies(
        lower_precision_fp="""conv1d conv2d conv3d bmm mm linalg_vecdot baddbmm addmm addbmm
            linear matmul conv_transpose1d conv_transpose2d conv_transpose3d prelu
            scaled_dot_product_attention einsum""",
        fp32="""avg_pool3d binary_cross_entropy grid_sampler polar prod quantile nanquantile
            stft cdist trace view_as_complex cholesky cholesky_inverse cholesky_solve inverse
            lu_solve pinverse max_pool3d max_unpool2d max_unpool3d adaptive_avg_pool3d
            mse_loss cosine_embedding_loss nll_loss hinge_embedding_loss poisson_nll_loss
            smooth_l1_loss cross_entropy_loss l1_loss huber_loss margin_ranking_loss
            soft_margin_loss triplet_margin_loss multi_margin_loss ctc_loss kl_div
            multilabel_margin_loss binary_cross_entropy_with_logits fft_fft fft_ifft fft_fft2
            fft_ifft2 fft_fftn fft_ifftn fft_rfft fft_irfft fft_rfft2 fft_irfft2 fft_rfftn
            fft_irfftn fft_hfft fft_ihfft linalg_cond linalg_matrix_rank linalg_solve
            linalg_cholesky linalg_svdvals linalg_eigvals linalg_eigvalsh linalg_inv
            linalg_householder_product linalg_tensorinv linalg_tensorsolve geqrf qr svd
            triangular_solve fractional_max_pool2d fractional_max_pool3d adaptive_max_pool3d
            linalg_qr linalg_cholesky_ex linalg_svd linalg_eig linalg_eigh linalg_lstsq
            linalg_inv_ex""",
        promote="stack cat index_copy",
        as_written=_AS_WRITTEN_NAMES,
    ),
    "cuda": _policies(
        lower_precision_fp="""conv1d conv2d conv3d conv_transpose1d conv_transpose2d
            conv_transpose3d prelu addmm addmv addr matmul einsum mm mv linalg_vecdot linear
            addbmm baddbmm bmm chain_matmul linalg_multi_dot lstm_cell gru_cell rnn_tanh_cell
            rnn_relu_cell scaled_dot_product_attention""",
        fp32="""acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan
            pow softplus layer_norm rms_norm group_norm norm nuclear_norm cosine_similarity
            poisson_nll_loss cosine_embedding_loss nll_loss hinge_embedding_loss kl_div
            l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss
            multilabel_margin_loss soft_margin_loss triplet_margin_loss multi_margin_loss
            binary_cross_entropy_with_logits dist pdist cdist renorm logsumexp upsample
            cross_entropy_loss""",
        fp32_set_opt_dtype="""prod softmax log_softmax cumprod cumsum linalg_vector_norm
            linalg_matrix_norm sum""",
        promote="""addcdiv addcmul atan2 bilinear cross dot vdot grid_sampler index_put
            tensordot scatter_add cat stack index_copy""",
        banned="binary_cross_entropy",
        as_written=_AS_WRITTEN_NAMES,
    ),
}

_BANNED_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast."
)


class _State(threading.local):
    """Per thread, as torch's: each device type's switch and dtype, and the cast cache."""

    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {"cpu": dtypes.float16, "cuda": dtypes.float16}
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}  # id(float32 leaf) -> (leaf, its float16 cast)
        self.inside_op = False


_state = _State()
_regions = 0  # enabled regions open in the process, over all threads (see autocast_op)
_regions_lock = threading.Lock()


def is_autocast_available(device_type):
    """Whether autocast supports ``device_type`` (``"cpu"`` and ``"cuda"``)."""
    return device_type in _POLICIES


def _check_device_type(device_type):
    if not is_autocast_available(device_type):
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")


def is_autocast_enabled(device_type="cuda"):
    """Whether autocast is enabled for ``device_type`` in this thread."""
    _check_device_type(device_type)
    return _state.enabled[device_type]


def get_autocast_dtype(device_type):
    """The dtype autocast casts to on ``device_type`` (float16 by default)."""
    _check_device_type(device_type)
    return _state.dtype[device_type]


def is_autocast_cache_enabled():
    """Whether autocast keeps the float16 casts of float32 leaves for reuse in its region."""
    return _state.cache_enabled


def _count_region(change):
    global _regions
    with _regions_lock:
        _regions += change


class autocast:
    """Context manager and decorator running chosen operations in lower precision.

    Inside an enabled region, the operations on torch's autocast lists cast their
    floating-point inputs: matmuls, linear layers and convolutions to ``dtype``, losses,
    norms and softmaxes to float32 (the lists differ by device type), multi-input operations
    to their widest input type; see the module docstring. Regions nest; ``enabled=False``
    turns autocast off inside an enclosing region.

    Args:
        device_type: ``"cuda"`` or ``"cpu"``.
        dtype: the lower-precision dtype; default ``get_autocast_dtype(device_type)``
            (float16: Ember has no bfloat16, torch's CPU default).
        enabled: whether autocast is on in the region. Default: ``True``.
        cache_enabled: whether the casts of float32 leaf tensors that require grad (weights)
            are cached for the region; default ``is_autocast_cache_enabled()``.

    Example:
        >>> with ember.autocast("cpu", dtype=ember.float16):
        ...     y = model(x)  # linear layers and convolutions compute in float16
        >>> loss = loss_fn(y.float(), target)
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        self._cache_enabled = (
            is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        )
        device_name = device_type.upper()
        if enabled:
            if device_type == "cuda" and not backend.cuda_available():
                warnings.warn(
                    "CUDA is not available or torch_xla is imported. Disabling autocast.",
                    stacklevel=2,
                )
                enabled = False
            elif self.fast_dtype != dtypes.float16:
                warnings.warn(
                    f"In {device_name} autocast, but the target dtype is not supported. "
                    f"Disabling autocast.\n{device_name} Autocast only supports dtypes of "
                    f"{dtypes.float16} currently.",
                    stacklevel=2,
                )
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        state = _state
        self.prev_cache_enabled = state.cache_enabled
        self.prev = state.enabled[self.device]
        self.prev_fastdtype = state.dtype[self.device]
        state.enabled[self.device] = self._enabled
        state.dtype[self.device] = self.fast_dtype
        state.nesting += 1
        state.cache_enabled = self._cache_enabled
        if self._enabled:
            _count_region(1)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        state = _state
        state.nesting -= 1
        if state.nesting == 0:
            state.cache.clear()
        state.enabled[self.device] = self.prev
        state.dtype[self.device] = self.prev_fastdtype
        state.cache_enabled = self.prev_cache_enabled
        if self._enabled:
            _count_region(-1)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with torch.autocast(device_type=...):\n"
                "        output = model(input)"
            )

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return decorate_autocast


def autocast_op(name):
    """Mark a public operation as torch's operator ``name`` for autocast's policy table."""

    def mark(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            if _regions:
                return _dispatch(name, fn, args, kwargs)
            return fn(*args, **kwargs)

        return op

    return mark


def _dispatch(name, fn, args, kwargs):
    """Run ``fn`` under the policy its device type's autocast gives operator ``name``."""
    state = _state
    if state.inside_op:
        return fn(*args, **kwargs)
    device_type = _device_type(args, kwargs)
    if device_type is None or not state.enabled[device_type]:
        return fn(*args, **kwargs)
    policy = _POLICIES[device_type].get(name)
    if policy is None:
        return fn(*args, **kwargs)
    if policy == _BANNED:
        raise RuntimeError(_BANNED_MESSAGE)
    if policy == _FP32_SET_OPT_DTYPE:
        args, kwargs = _set_opt_dtype(fn, args, kwargs, device_type)
    elif policy != _AS_WRITTEN:
        if policy == _LOWER:
            to = state.dtype[device_type]
        elif policy == _FP32:
            to = dtypes.float32
        else:
            to = _widest(args, kwargs, device_type, state.dtype[device_type])
        args = [_cast(a, device_type, to) for a in args]
        kwargs = {k: _cast(v, device_type, to) for k, v in kwargs.items()}
    state.inside_op = True
    try:
        return fn(*args, **kwargs)
    finally:
        state.inside_op = False


def _set_opt_dtype(fn, args, kwargs, device_type):
    """``fn``'s arguments with ``dtype=float32`` where no dtype is given (by keyword or by
    position: softmin passes its dtype on to softmax by position) and the first argument is
    an eligible tensor."""
    position = _dtype_position(fn)
    positional = position is not None and len(args) > position
    given = args[position] if positional else kwargs.get("dtype")
    if given is not None or not _eligible(args[0] if args else None, device_type):
        return args, kwargs
    if positional:
        return (*args[:position], dtypes.float32, *args[position + 1 :]), kwargs
    return args, {**kwargs, "dtype": dtypes.float32}


@functools.cache
def _dtype_position(fn):
    """The position at which ``fn`` takes its ``dtype`` argument, or None if only by keyword
    (or not at all)."""
    for position, parameter in enumerate(inspect.signature(fn).parameters.values()):
        if parameter.name == "dtype":
            positional = parameter.kind in (
                parameter.POSITIONAL_ONLY,
                parameter.POSITIONAL_OR_KEYWORD,
            )
            return position if positional else None
    return None


def _tensors(args, kwargs):
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, Tensor))


def _device_type(args, kwargs):
    for t in _tensors(args, kwargs):
        return t.device.type
    return None


def _eligible(value, device_type):
    """A tensor autocast casts: floating-point, on the region's device type, not float64."""
    return (
        isinstance(value, Tensor)
        and value.is_floating_point()
        and value.device.type == device_type
        and value.dtype != dtypes.float64
    )


def _widest(args, kwargs, device_type, lower):
    """torch's ``promote_type``: float32 if any eligible input is float32, else ``lower``."""
    for t in _tensors(args, kwargs):
        if _eligible(t, device_type) and t.dtype == dtypes.float32:
            return dtypes.float32
    return lower


def _cast(value, device_type, to):
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, to) for v in value)
    if not _eligible(value, device_type) or value.dtype == to:
        return value
    state = _state
    cacheable = (
        state.cache_enabled
        and _grad_mode.enabled  # (a cast made without a graph must not serve one with)
        and to == state.dtype[device_type]
        and value.dtype == dtypes.float32
        and value.requires_grad
        and value.grad_fn is None
    )
    if not cacheable:
        return value.to(to)
    hit = state.cache.get(id(value))
    if hit is None:
        hit = state.cache[id(value)] = (value, value.to(to))
    return hit[1]
