"""Reductions: sum, mean, var/std, max/min, logsumexp, cumulative ops, norms, all/any."""

from __future__ import annotations

from .. import backend
from .._dtype import as_dtype, get_default_dtype
from ..autograd.function import Function
from ._util import normalize_dims


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if dtype is None and x.dtype.kind in "biu":
            dtype = "int64"  # torch sums integers and bools in int64
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, gy):
        if not ctx.keepdim:
            gy = gy.reshape(_kept_shape(ctx.shape, ctx.dims))
        return gy.expand(ctx.shape), None, None, None


class SumToSize(Function):
    """Sum over broadcast dimensions back to ``shape`` (the engine's broadcast undo)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        lead = x.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
        )
        y = x.sum(axis=dims, keepdims=True) if dims else x
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.expand(ctx.shape), None


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (an int, a tuple, or None for every dimension).

    Integer and bool inputs sum in int64 unless ``dtype`` says otherwise.
    """
    dims = normalize_dims(dim, input._data.ndim)
    return Sum.apply(input, dims, keepdim, as_dtype(dtype).np if dtype is not None else None)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; integer inputs need a floating ``dtype``, like torch."""
    if dtype is None and not input.is_floating_point():
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}"
        )
    dims = normalize_dims(dim, input._data.ndim)
    count = 1
    for d in dims:
        count *= input._data.shape[d]
    total = sum(input, dims, keepdim, dtype=dtype)
    return total / count if count else total * float("nan")


def sum_to_size(input, size):
    size = tuple(size)
    if tuple(input._data.shape) == size:
        return input
    try:
        backend.array_module(input._data).broadcast_shapes(size, input._data.shape)
    except ValueError:
        raise RuntimeError(
            f"size {list(size)} is not expandable to size {list(input.shape)}"
        ) from None
    return SumToSize.apply(input, size)


_ = get_default_dtype  # used by the full reduction family
