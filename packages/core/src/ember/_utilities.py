"""torch's top-level queries and process-wide switches: ``is_tensor``, ``numel``,
``typename``, threads, determinism, and the top-level forms of the in-place methods."""

from __future__ import annotations

import os

from ._tensor import Tensor

__all__ = [
    "is_tensor",
    "is_nonzero",
    "is_same_size",
    "is_floating_point",
    "is_complex",
    "is_signed",
    "is_inference",
    "numel",
    "typename",
    "set_num_threads",
    "get_num_threads",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
]  # and the in-place functions, below


def is_tensor(obj):
    """True if ``obj`` is an ember Tensor (or a subclass, such as a Parameter)."""
    return isinstance(obj, Tensor)


def _tensor_argument(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def is_nonzero(input):
    """True if the one element of ``input`` is not zero (torch's error for none or many)."""
    _tensor_argument("is_nonzero", input)
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(-1)[0] != 0)


def is_same_size(input, other):
    """True if the two tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def is_floating_point(input):
    """True if ``input``'s dtype is a floating-point one."""
    _tensor_argument("is_floating_point", input)
    return input.dtype.is_floating_point


def is_complex(input):
    """True if ``input``'s dtype is a complex one."""
    _tensor_argument("is_complex", input)
    return input.dtype.is_complex


def is_signed(input):
    """True if ``input``'s dtype is signed (every dtype but bool and uint8)."""
    _tensor_argument("is_signed", input)
    return input.dtype.is_signed


def is_inference(input):
    """False: Ember's ``inference_mode`` works as ``no_grad`` and makes no inference tensors."""
    _tensor_argument("is_inference", input)
    return False


def numel(input):
    """The number of elements of ``input``."""
    _tensor_argument("numel", input)
    return input.numel()


def typename(obj):
    """torch's type string: ``'torch.FloatTensor'`` for a float32 CPU tensor (named torch's
    way, for code that compares them), the qualified class name of anything else."""
    if isinstance(obj, Tensor):
        prefix = "torch.cuda." if obj.device.type == "cuda" else "torch."
        return f"{prefix}{obj.dtype.scalar_name}Tensor"
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", "__builtin__", None) else f"{module}.{name}"


# Ember computes with numpy/cupy; its own kernels are single-threaded and the BLAS library
# reads its thread count (OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS) once, at
# start-up, with no portable way to change it later: the number is only recorded, for code
# that reads it back. Set those variables before Python starts to choose the BLAS threads.
_num_threads = [int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or os.cpu_count() or 1]


def set_num_threads(int):
    """Record the number of threads for intra-op parallelism. Unlike torch's, it does not
    change how many threads compute: Ember's BLAS keeps the count it started with (set
    ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS`` before starting Python to choose it)."""
    if int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads[0] = int


def get_num_threads():
    """The number of threads set by ``set_num_threads`` (by default ``OMP_NUM_THREADS``, or
    the number of CPUs)."""
    return _num_threads[0]


# Ember's kernels are deterministic on the CPU (numpy); the flag is recorded so that code
# which sets and reads it behaves as with torch.
_deterministic = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms. Ember's CPU kernels always are; the setting is
    recorded for ``are_deterministic_algorithms_enabled``."""
    if not isinstance(mode, bool):
        raise RuntimeError(
            f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}"
        )
    _deterministic["enabled"] = mode
    _deterministic["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    """True once ``use_deterministic_algorithms(True)`` was called."""
    return _deterministic["enabled"]


def is_deterministic_algorithms_warn_only_enabled():
    """True if ``use_deterministic_algorithms`` was called with ``warn_only=True``."""
    return _deterministic["warn_only"]


# torch's top-level in-place functions: ``ember.exp_(t)`` is ``t.exp_()``
_INPLACE = [
    "abs_",
    "acos_",
    "acosh_",
    "addmv_",
    "arccos_",
    "arccosh_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "clamp_",
    "clamp_max_",
    "clamp_min_",
    "clip_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "detach_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fill_",
    "fix_",
    "floor_",
    "frac_",
    "gcd_",
    "i0_",
    "lcm_",
    "ldexp_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "xlogy_",
    "zero_",
]


def _top_level(name):
    def inplace(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"``input.{name}(...)``: the in-place form, written into ``input``."
    return inplace


globals().update({name: _top_level(name) for name in _INPLACE})
__all__ += _INPLACE
