"""Parameter initialisation, in place and without recording gradients (``torch.nn.init``).

Every function fills ``tensor`` and returns it; the formulas (fans, gains, bounds) are
torch's. Random draws come from ``generator`` or the default generator of the tensor's device.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _creation, backend
from .._creation import from_numpy
from .._dtype import float64
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    # deprecated aliases, as in torch
    "uniform",
    "normal",
    "constant",
    "eye",
    "dirac",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (the factor that keeps activations' variance).

    1 for linear, conv and sigmoid, 5/3 for tanh, sqrt(2) for relu, 3/4 for selu and
    sqrt(2 / (1 + negative_slope²)) for leaky_relu (``param`` is the slope, default 0.01).
    """
    if nonlinearity in _LINEAR_FNS:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)``: size(1) and size(0), times the receptive field for conv weights."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field_size = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, array):
    """Write ``array`` (any float dtype, same device) into ``tensor`` without recording."""
    with no_grad():
        return tensor.copy_(Tensor._make(array))


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std²)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with draws from N(mean, std²) truncated to [a, b] (``a``, ``b`` are absolute
    values, not multiples of ``std``).

    When a normal draw lands in [a, b] at least a quarter of the time (the usual ±2 std),
    the draws that miss are drawn again until none does; otherwise uniform draws go through
    the inverse normal CDF, as torch does it. Both give exactly the truncated normal.
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of "
            "values may be incorrect.",
            stacklevel=2,
        )

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    with no_grad():
        draws = tensor.new_empty(tensor.shape, dtype=float64)
        if hi - lo >= 0.25:
            x = draws.normal_(mean, std, generator=generator)._data
            miss = (x < a) | (x > b)
            while miss.any():
                again = tensor.new_empty((int(miss.sum()),), dtype=float64)
                x[miss] = again.normal_(mean, std, generator=generator)._data
                miss = (x < a) | (x > b)
        else:
            # U(2·cdf(a) - 1, 2·cdf(b) - 1) mapped through sqrt(2)·erfinv is N(0, 1) cut to [a, b]
            u = draws.uniform_(2 * lo - 1, 2 * hi - 1, generator=generator)._data
            x = backend.erfinv(u) * (std * math.sqrt(2.0)) + mean
        return _fill(tensor, backend.array_module(x).clip(x, a, b))


def constant_(tensor, val):
    """Fill with the value ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal), as ``Linear`` weights that
    preserve their inputs."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        return tensor.copy_(_creation.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups=1):
    """Fill a {3, 4, 5}-D convolution weight with the Dirac delta: the convolution passes its
    input channels through unchanged (per group; extra output channels are zero).

    Args:
        tensor: weight of shape ``(out_channels, in_channels, *kernel)``.
        groups: number of groups in the convolution.
    """
    shape = tensor.shape
    if len(shape) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = shape[0] // groups
    min_dim = min(out_per_group, shape[1])
    # output channel g·out_per_group + d reads input channel d at the kernel centre
    out_channels = np.add.outer(np.arange(groups) * out_per_group, np.arange(min_dim)).ravel()
    in_channels = np.tile(np.arange(min_dim), groups)
    centre = tuple(s // 2 for s in shape[2:])
    weight = np.zeros(shape)
    weight[(out_channels, in_channels, *centre)] = 1
    with no_grad():
        return tensor.copy_(from_numpy(weight).to(tensor.device, tensor.dtype))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # the uniform's std equals std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _is_empty(tensor):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with bound = gain·sqrt(3 / fan).

    Args:
        tensor: an at least 2-D tensor.
        a: negative slope of the rectifier after this layer (for ``leaky_relu``).
        mode: ``"fan_in"`` keeps the forward variance, ``"fan_out"`` the backward one.
        nonlinearity: ``"relu"`` or ``"leaky_relu"`` (the default), see ``calculate_gain``.
        generator: source of the random draws.
    """
    if _is_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std²) with std = gain / sqrt(fan); arguments as ``kaiming_uniform_``."""
    if _is_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain``: the tensor, viewed as
    ``(size(0), numel / size(0))``, has orthonormal rows or columns (whichever are fewer).

    Drawn as the Q factor of a Gaussian matrix, its signs fixed by R's diagonal so that the
    result is uniformly distributed (Saxe et al., 2013).
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        flat = tensor.new_empty((rows, cols), dtype=float64).normal_(generator=generator)._data
    if rows < cols:
        flat = flat.T
    xp = backend.array_module(flat)
    q, r = xp.linalg.qr(flat)
    q *= xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor as a sparse matrix: N(0, std²) draws with ``ceil(sparsity * rows)``
    randomly chosen elements of each column set to zero (Martens, *Deep learning via
    Hessian-free optimization*, 2010).

    Args:
        tensor: a 2-D tensor.
        sparsity: the fraction of each column's elements set to zero.
        std: standard deviation of the non-zero values.
        generator: source of the random draws (torch draws the zeroed rows from the global
            generator whatever ``generator`` is; Ember draws both from ``generator``).
    """
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        # each column's rows in a random order (the argsort of uniform keys); its first
        # num_zeros are zeroed, as torch's per-column randperm does
        keys = tensor.new_empty((rows, cols), dtype=float64).uniform_(generator=generator)
        return tensor.scatter_(0, keys.argsort(dim=0)[:num_zeros], 0.0)


def _make_deprecate(meth):
    """The old name of ``meth`` (without the trailing underscore), warning as torch's does."""
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
            FutureWarning,
            stacklevel=2,
        )
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"""{old_name}(...)

    .. warning::
        This method is now deprecated in favor of :func:`ember.nn.init.{new_name}`.

    See :func:`~ember.nn.init.{new_name}` for details."""
    deprecated_init.__name__ = old_name
    deprecated_init.__qualname__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
