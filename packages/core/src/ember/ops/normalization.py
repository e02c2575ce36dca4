"""Normalisation: batch, instance, layer, group, RMS and local response normalisation, and
``normalize`` (division by a p-norm).

Batch, instance, layer and group norm are one computation on differently shaped views:
standardise ``x`` over some axes, ``(x - mean) / sqrt(var + eps)`` with the biased variance,
then scale and shift by a weight and bias broadcast against ``x``. ``_Normalize`` is that one
fused Function; batch norm's running statistics are updated by it in place, as torch's kernel
does. What differs between the norms is only which axes are reduced and how the weight is
shaped to broadcast:

- batch: ``(N, C, *)`` reduced over ``(0, 2, ...)``, weight ``(1, C, 1, ...)``;
- instance: ``(N, C, *)`` reduced over ``(2, ...)``, weight ``(1, C, 1, ...)``;
- layer: ``(*, *normalized_shape)`` reduced over the trailing dims, weight ``normalized_shape``;
- group: viewed as ``(N, G, C // G, S)``, reduced over ``(2, 3)``, weight ``(1, G, C // G, 1)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from .._dtype import float16, float32
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_mode
from ..autograd.grad_mode import no_grad
from ._util import wrap_dim

__all__ = [
    "batch_norm",
    "instance_norm",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "local_response_norm",
    "normalize",
]


# ------------------------------------------------------------------- the fused normalisation


def _update_running(running, stat, momentum):
    """running = (1 - momentum) * running + momentum * stat, in place (torch's update).

    ``stat`` holds one value per channel, or per (instance, channel) for instance norm, whose
    running statistics take the mean over the instances (as torch's instance_norm does).
    """
    per_channel = stat.reshape(-1, running.size).mean(axis=0).reshape(running.shape)
    running[...] = momentum * per_channel + (1 - momentum) * running


class _Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over ``dims``.

    ``weight`` and ``bias`` (or None) broadcast against ``x``. ``running_mean`` and
    ``running_var`` (or None) are updated in place with ``momentum``, the variance unbiased.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, dims, eps, momentum):
        xp = backend.array_module(x)
        mean = x.mean(axis=dims, keepdims=True)
        y = x - mean
        var = xp.square(y).mean(axis=dims, keepdims=True)
        invstd = 1 / xp.sqrt(var + eps)
        if running_mean is not None:
            _update_running(running_mean, mean, momentum)
        if running_var is not None:
            n = x.size // var.size
            _update_running(running_var, var * (n / (n - 1)), momentum)
        # y is the fresh array x - mean: scale and shift it in place
        y *= invstd if weight is None else invstd * weight
        if bias is not None:
            y += bias
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.eps = dims, eps
        ctx.mean, ctx.invstd = mean, invstd
        return y

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        dims = ctx.dims
        if _grad_mode.enabled:
            # The graph of this backward is being recorded (double backward): the statistics
            # must be recomputed as functions of x for their own derivatives to flow.
            xc = x - x.mean(dims, keepdim=True)
            invstd = (xc.square().mean(dims, keepdim=True) + ctx.eps).rsqrt()
            xhat = xc * invstd
        else:
            invstd = Tensor._make(ctx.invstd)
            xhat = (x - Tensor._make(ctx.mean)) * invstd
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        gx = None
        if need_x:
            # with g = dL/dxhat: dL/dx = invstd * (g - mean(g) - xhat * mean(g * xhat)),
            # the means over dims
            g = gy if weight is None else gy * weight
            g_mean = g.mean(dims, keepdim=True)
            gxhat_mean = (g * xhat).mean(dims, keepdim=True)
            gx = invstd * (g - g_mean - xhat * gxhat_mean)
        # the engine sums these over the axes that weight and bias were broadcast along
        gweight = gy * xhat if need_weight else None
        gbias = gy if need_bias else None
        return gx, gweight, gbias


def _channel_shape(input):
    """``(1, C, 1, ...)``: the shape that broadcasts a per-channel vector against ``input``."""
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


def _per_channel(t, shape):
    return None if t is None else t.reshape(shape)


def _with_statistics(input, mean, var, weight, bias, eps):
    """(x - mean) / sqrt(var + eps) * weight + bias with given per-channel statistics
    (evaluation mode): folded into one scale and one shift, so two passes over ``input``."""
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    if scale.dtype != input.dtype:  # (float32 statistics of float16): the input's, as torch
        scale, shift = scale.to(input.dtype), shift.to(input.dtype)
    shape = _channel_shape(input)
    return input * scale.reshape(shape) + shift.reshape(shape)


def _check_channels(input, **tensors):
    """torch's check that each per-channel tensor has C = input.shape[1] elements."""
    channels = input.shape[wrap_dim(1, input.dim())]
    for name, t in tensors.items():
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")


def _check_floating(name, input):
    """Normalising integers is an error in torch, not a silent promotion to float."""
    if not input.is_floating_point():
        raise RuntimeError(f"\"{name}\" not implemented for '{input.dtype.scalar_name}'")


def _check_dtypes(input, *parameters):
    """torch's CPU rule for the dtypes of a normalisation's parameters (None where absent): the
    input's dtype, or, if the first given is not of it, all float32 with a float16 input."""
    given = [p for p in parameters if p is not None]
    if not given:
        return
    dtype = input.dtype
    if given[0].dtype != dtype:  # what torch calls mixed dtype
        for p in given:
            if p.dtype != float32:
                raise RuntimeError(
                    "mixed dtype (CPU): expect parameter to have scalar type of Float"
                )
        if dtype != float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return
    for p in given:
        if p.dtype != dtype:
            raise RuntimeError(
                f"expected scalar type {dtype.scalar_name} but found {p.dtype.scalar_name}"
            )


def _check_per_channel(name, input, running_mean, running_var, weight, bias):
    """The checks batch and instance norm share: a floating input, C-element tensors."""
    _check_floating(name, input)
    _check_channels(
        input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )


def _normalize_per_channel(input, running_mean, running_var, weight, bias, dims, momentum, eps):
    """Batch and instance norm by the input's own statistics over ``dims``, with per-channel
    ``weight`` and ``bias``; the running statistics (when given) are updated in place."""
    shape = _channel_shape(input)
    return _Normalize.apply(
        input,
        _per_channel(weight, shape),
        _per_channel(bias, shape),
        running_mean,
        running_var,
        dims,
        eps,
        momentum,
    )


# ------------------------------------------------------------------------------- batch norm


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-05,
):
    """Batch normalisation over the batch and spatial dims, per channel (dim 1).

    In training, each channel is normalised by the mean and biased variance of the batch,
    and ``running_mean`` / ``running_var`` (when given) are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat``, with the *unbiased*
    batch variance. Out of training, the running statistics are used.

    Args:
        input: ``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)`` or any ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` or None (then training uses batch statistics only).
        weight, bias: ``(C,)`` scale and shift, or None.
        training: use (and record) batch statistics.
        momentum: weight of the new batch statistics in the running update.
        eps: added to the variance for numerical stability.

    Returns:
        A tensor of ``input``'s shape.
    """
    if training:
        _verify_batch_size(input.size())
    _check_per_channel("batch_norm", input, running_mean, running_var, weight, bias)
    _check_dtypes(input, weight, bias, running_mean, running_var)
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
        return _with_statistics(input, running_mean, running_var, weight, bias, eps)
    dims = (0, *range(2, input.dim()))
    return _normalize_per_channel(
        input, running_mean, running_var, weight, bias, dims, momentum, eps
    )


def _verify_batch_size(size):
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-05,
):
    """Instance normalisation: each channel of each sample normalised over its spatial dims.

    With ``use_input_stats`` the running statistics (when given) are updated in place with
    the per-instance statistics averaged over the batch; without it they are used instead.

    Args:
        input: ``(N, C, *)`` with at least one spatial dim.
        running_mean, running_var: ``(C,)`` or None.
        weight, bias: ``(C,)`` scale and shift, or None.
        use_input_stats: normalise by each instance's own statistics.
        momentum, eps: as in ``batch_norm``.
    """
    if use_input_stats:
        _verify_spatial_size(input.size())
    _check_per_channel("instance_norm", input, running_mean, running_var, weight, bias)
    _check_dtypes(input, weight, bias)  # not the running statistics: torch does not either
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        return _with_statistics(input, running_mean, running_var, weight, bias, eps)
    dims = tuple(range(2, input.dim()))
    return _normalize_per_channel(
        input, running_mean, running_var, weight, bias, dims, momentum, eps
    )


def _verify_spatial_size(size):
    if math.prod(size[2:]) == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {size}"
        )


# ------------------------------------------------------------------- layer, group, RMS norm


def _check_normalized_shape(input, normalized_shape, weight, bias):
    """``normalized_shape`` as a tuple, checked against input, weight and bias (torch's
    messages); returns it with the trailing axes it covers."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    listed = list(normalized_shape)
    if not normalized_shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            f"one element, but got normalized_shape = {listed}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t.shape)} and normalized_shape = {listed}"
            )
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k :]) != normalized_shape:
        expected = "".join(f", {s}" for s in normalized_shape)
        raise RuntimeError(
            f"Given normalized_shape={listed}, expected input with shape [*{expected}], but got "
            f"input of size{list(input.shape)}"
        )
    return tuple(range(input.dim() - k, input.dim()))


@autocast_op("layer_norm")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Layer normalisation over the trailing ``normalized_shape`` dims of each sample
    (mean and biased variance), then ``* weight + bias`` element-wise.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: int or sequence: the trailing shape to normalise over.
        weight, bias: tensors of shape ``normalized_shape``, or None.
        eps: added to the variance for numerical stability.
    """
    dims = _check_normalized_shape(input, normalized_shape, weight, bias)
    _check_floating("layer_norm", input)
    _check_dtypes(input, weight, bias)
    return _Normalize.apply(input, weight, bias, None, None, dims, eps, 0.0)


@autocast_op("group_norm")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Group normalisation: the channels are split into ``num_groups`` groups and each group
    of each sample is normalised over its channels and spatial dims; then a per-channel
    ``* weight + bias``.

    Args:
        input: ``(N, C, *)`` with C divisible by ``num_groups``.
        num_groups: number of groups.
        weight, bias: ``(C,)`` or None.
        eps: added to the variance for numerical stability.
    """
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}"
        )
    n, c = input.shape[:2]
    _verify_batch_size([n * c // num_groups, num_groups, *input.shape[2:]])
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    _check_floating("group_norm", input)
    _check_dtypes(input, weight, bias)
    # (N, G, C // G, S): statistics over the last two axes, weight broadcast along N and S
    shape = (1, num_groups, c // num_groups, 1)
    y = _Normalize.apply(
        input.reshape(n, num_groups, c // num_groups, -1),
        _per_channel(weight, shape),
        _per_channel(bias, shape),
        None,
        None,
        (2, 3),
        eps,
        0.0,
    )
    return y.reshape(input.shape)


@autocast_op("rms_norm")
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims:
    ``x / sqrt(mean(x²) + eps) * weight``.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: int or sequence: the trailing shape to normalise over.
        weight: a tensor of shape ``normalized_shape``, or None.
        eps: added to the mean square; None means the machine epsilon of ``input``'s dtype.
    """
    dims = _check_normalized_shape(input, normalized_shape, weight, None)
    _check_floating("rms_norm", input)
    if eps is None:
        eps = float(np.finfo(input.dtype.np).eps)
    y = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


# ---------------------------------------------------------------------- local response norm


class _ChannelWindowSum(Function):
    """y[:, c] = x[:, c - before] + ... + x[:, c + after], zeros beyond the channel ends.

    Its adjoint is the same sum with ``before`` and ``after`` swapped, which gives backward,
    and backward of backward, in one line.
    """

    @staticmethod
    def forward(ctx, x, before, after):
        ctx.before, ctx.after = before, after
        xp = backend.array_module(x)
        pad = [(0, 0)] * x.ndim
        pad[1] = (before, after)
        padded = xp.pad(x, pad)
        channels = x.shape[1]
        # one whole-array add per window tap: the window is a few channels wide
        y = padded[:, :channels].copy()
        for tap in range(1, before + after + 1):
            y += padded[:, tap : tap + channels]
        return y

    @staticmethod
    def backward(ctx, gy):
        return _ChannelWindowSum.apply(gy, ctx.after, ctx.before)


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Local response normalisation across channels (AlexNet):
    ``x / (k + alpha * avg(x², size neighbouring channels)) ** beta``.

    As in torch, the average divides by ``size`` even at the edges, where the window is
    padded with zeros (``size // 2`` channels before, ``(size - 1) // 2`` after).

    Args:
        input: ``(N, C, *)`` with at least one spatial dim.
        size: number of neighbouring channels in the window.
        alpha: multiplicative factor. beta: exponent. k: additive factor.
    """
    if input.dim() < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)"
        )
    if input.numel() == 0:
        return input
    window = _ChannelWindowSum.apply(input.square(), size // 2, (size - 1) // 2)
    div = (window * (alpha / size) + k) ** beta
    return input / div


# -------------------------------------------------------------------------------- normalize


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` with the norm taken over ``dim``.

    Args:
        input: a floating tensor of any shape.
        p: the norm's exponent.
        dim: the dimension (or dimensions) to reduce.
        eps: lower bound of the norm, so that zero vectors give zeros.
        out: optional tensor to write the result into.
    """
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    if out is None:
        return input / denom
    if _grad_mode.enabled and (input.requires_grad or out.requires_grad):
        raise RuntimeError(
            "div(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    with no_grad():
        return out.copy_(input / denom)
