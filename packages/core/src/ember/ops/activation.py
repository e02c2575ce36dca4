"""Activation functions: the softmax family (``softmax``, ``log_softmax``, ``softmin``)."""

from __future__ import annotations

import warnings

from .. import backend
from .._dtype import as_dtype
from ..autograd.function import Function
from ._util import quiet, wrap_dim
from .pointwise import exp, neg

__all__ = ["softmax", "log_softmax", "softmin"]


def _shifted(x, axis):
    """``x`` minus its maximum along ``axis``, as a new array: exponentials of it cannot
    overflow, the largest being exp(0) = 1."""
    if x.size == 0:
        return x.copy()  # an empty slice has no maximum
    # asarray: numpy turns 0-d results into scalars, which in-place updates cannot take
    return backend.array_module(x).asarray(x - x.max(axis=axis, keepdims=True))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = backend.array_module(x)
        with quiet():  # a row of -inf gives nan (inf - inf), as in torch
            y = _shifted(x, axis)
            xp.exp(y, out=y)
            y /= y.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        # dx_i = y_i * (g_i - sum_j g_j y_j)
        return y * (gy - (gy * y).sum(ctx.axis, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = backend.array_module(x)
        with quiet():
            y = _shifted(x, axis)
            y -= xp.log(xp.exp(y).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        # dx_i = g_i - softmax_i * sum_j g_j, with softmax = exp(log_softmax)
        return gy - exp(y) * gy.sum(ctx.axis, keepdim=True), None


def _implicit_dim(name, dim, input):
    """``dim``, or for None torch's legacy choice (with its deprecation warning): dimension 0
    for 0-, 1- and 3-D inputs (taken as unbatched), else 1."""
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    return dim


def _prepare(kernel, input, dim, dtype):
    """The input cast to ``dtype`` and the axis to reduce over (None for a 0-d input)."""
    if dtype is not None:
        input = input.to(as_dtype(dtype))
    elif not input.is_floating_point():
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'"
        )
    dim = wrap_dim(dim, input._data.ndim)
    return input, dim if input._data.ndim else None


def softmax(input, dim, dtype=None):
    """``exp(x_i) / sum_j exp(x_j)`` over the slices along ``dim``: non-negative, summing to 1.

    Args:
        input: a floating-point tensor (integer tensors need ``dtype``).
        dim: the dimension to normalise over. ``None`` is accepted, like
            ``torch.nn.functional.softmax``, with torch's deprecation warning and its legacy
            choice (dimension 0 for 0-, 1- and 3-D inputs, else 1).
        dtype: cast the input to this dtype first (to compute float16 data in float32).

    Computed as ``exp(x - max)`` so large inputs cannot overflow.
    """
    dim = _implicit_dim("softmax", dim, input)
    input, axis = _prepare("softmax_lastdim_kernel_impl", input, dim, dtype)
    return Softmax.apply(input, axis)


def log_softmax(input, dim, dtype=None):
    """``log(softmax(x))``, computed stably as ``x - max - log(sum(exp(x - max)))``.

    Arguments as ``softmax``.
    """
    dim = _implicit_dim("log_softmax", dim, input)
    input, axis = _prepare("log_softmax_lastdim_kernel_impl", input, dim, dtype)
    return LogSoftmax.apply(input, axis)


def softmin(input, dim, dtype=None):
    """``softmax(-x)``: largest weight on the smallest element. Arguments as ``softmax``."""
    return softmax(neg(input), _implicit_dim("softmin", dim, input), dtype)
