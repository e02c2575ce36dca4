"""Reductions: sum, prod, mean, var/std, max/min, logsumexp, cumulative ops, norms, all/any.

Reductions take ``dim`` as an int, a sequence of ints or None (every dimension) and keep the
reduced dimensions with size 1 when ``keepdim=True``. A 0-d tensor accepts ``dim`` 0 or -1.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from .. import backend
from .._dtype import as_dtype, complex128, float64, get_default_dtype
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_mode
from ._util import normalize_dims, not_implemented, quiet, refuse_complex, wrap_dim
from .pointwise import isnan, maximum, minimum, where

__all__ = [
    "sum",
    "prod",
    "mean",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "median",
    "logsumexp",
    "cumsum",
    "cumprod",
    "all",
    "any",
    "count_nonzero",
    "cummax",
    "cummin",
    "nansum",
    "nanmean",
    "bincount",
    "aminmax",
    "nanmedian",
    "mode",
    "logcumsumexp",
    "dist",
    "renorm",
]

# torch.return_types.max / min / median: tuples whose fields read as .values and .indices
_MaxResult = namedtuple("max", ("values", "indices"))
_MinResult = namedtuple("min", ("values", "indices"))
_MedianResult = namedtuple("median", ("values", "indices"))
_CummaxResult = namedtuple("cummax", ("values", "indices"))
_CumminResult = namedtuple("cummin", ("values", "indices"))
_AminmaxResult = namedtuple("aminmax", ("min", "max"))
_NanmedianResult = namedtuple("nanmedian", ("values", "indices"))
_ModeResult = namedtuple("mode", ("values", "indices"))


# ------------------------------------------------------------------------------ dim helpers


def _dims(input, dim):
    """``dim`` as a sorted tuple of axes (None: all); a 0-d tensor has none to reduce."""
    dims = normalize_dims(dim, input._data.ndim)
    return dims if input._data.ndim else ()


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _reduced_shape(shape, dims, keepdim):
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _count(shape, dims):
    return math.prod(shape[d] for d in dims)


def _check_nonempty(name, input, dims):
    """torch's errors for a max-like reduction that has nothing to pick from."""
    if not dims and input._data.size == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument."
        )
    for d in dims:
        if input._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _named_dims(dim, dims):
    """The dims the caller named: none when ``dim`` is empty or None (then every dim is
    reduced, and torch words its empty-input error differently)."""
    return () if dim is None or (not isinstance(dim, numbers.Integral) and not dim) else dims


def _positions(x, dim):
    """0, 1, ..., n-1 along ``dim`` of array ``x``, shaped to broadcast against it."""
    shape = [1] * x.ndim
    shape[dim] = x.shape[dim]
    return backend.array_module(x).arange(x.shape[dim]).reshape(shape)


def _array(y, x):
    """``y`` as an array like ``x``: numpy reduces to a scalar, but only an array that
    forward returns is recognised as an output by ``save_for_backward``."""
    return backend.array_module(x).asarray(y)


def _accumulate_dtype(x, dtype):
    """The numpy dtype of a sum-like result: ``dtype`` if given, int64 for integer and bool
    inputs (torch's rule, against overflow), else None (the input's own)."""
    if dtype is not None:
        return as_dtype(dtype).np
    return np.dtype(np.int64) if x.dtype.kind in "biu" else None


# ------------------------------------------------------------------------------- sum, prod


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        with quiet():  # inf + -inf is nan, silently as in torch
            return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def formula(ctx, gy, saved):
        # broadcasting restores leading reduced dimensions by itself (a full sum's 0-d gradient
        # expands directly); only reduced dimensions after a kept one need a size-1 axis back
        if not ctx.keepdim and ctx.dims != tuple(range(len(ctx.dims))):
            gy = gy.reshape(_kept_shape(ctx.shape, ctx.dims))
        return (
            gy.expand(ctx.shape) if isinstance(gy, Tensor) else backend.broadcast_to(gy, ctx.shape)
        )


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


class Prod(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim, dtype):
        # dim is one axis, or None for the product of every element
        ctx.dim, ctx.keepdim = dim, keepdim
        with quiet():
            y = _array(x.prod(axis=dim, keepdims=keepdim, dtype=dtype), x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        shape = x.shape
        if ctx.dim is None:
            kept = (1,) * len(shape)
        else:
            kept = _kept_shape(shape, (ctx.dim,))
        if not ctx.keepdim:
            gy, y = gy.reshape(kept), y.reshape(kept)
        if not (x._data == 0).any():
            return gy * (y / x), None, None, None
        # y / x is 0/0 at a zero: use the product of the other elements instead
        if ctx.dim is None:
            others = _prod_others(x.reshape(-1), 0).reshape(shape)
        else:
            others = _prod_others(x, ctx.dim)
        return gy * others, None, None, None


def _prod_others(x, dim):
    """prod_{j != i} x_j along ``dim`` for every i, without dividing: the product of the
    elements before i times the product of those after it. Differentiable (through
    cumprod), so the second derivative of prod is right at zeros too."""
    before = _exclusive_cumprod(x, dim)
    after = _flip(_exclusive_cumprod(_flip(x, dim), dim), dim)
    return before * after


def _exclusive_cumprod(x, dim):
    """[1, x0, x0*x1, ...] along ``dim``: cumprod of x shifted one place, 1 coming in."""
    pos = _positions(x._data, dim)
    n = x._data.shape[dim]
    shifted = _take_along_dim(x, (pos - 1) % n, dim)  # a rotation, so every index is used once
    return cumprod(where(Tensor._make(pos == 0), 1.0, shifted), dim)


def _flip(x, dim):
    pos = _positions(x._data, dim)
    return _take_along_dim(x, x._data.shape[dim] - 1 - pos, dim)


@autocast_op("sum")
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (an int, a sequence of ints, or None for every dimension).

    Integer and bool inputs sum in int64 unless ``dtype`` says otherwise.
    """
    dims = _dims(input, dim)
    return Sum.apply(input, dims, keepdim, _accumulate_dtype(input._data, dtype))


@autocast_op("prod")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of the elements along ``dim`` (one int), or of all elements when None.

    Integer and bool inputs multiply in int64 unless ``dtype`` says otherwise.
    """
    if dim is not None and not isinstance(dim, numbers.Integral):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    ndim = input._data.ndim
    if dim is not None:
        dim = wrap_dim(int(dim), ndim) if ndim else None
    return Prod.apply(input, dim, keepdim, _accumulate_dtype(input._data, dtype))


@autocast_op("mean")
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; integer inputs need a floating ``dtype``, like torch."""
    if dtype is not None and as_dtype(dtype)._category < 2:
        raise RuntimeError(
            "mean(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {as_dtype(dtype).scalar_name}"
        )
    if dtype is None and input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.scalar_name}"
        )
    dims = _dims(input, dim)
    count = _count(input._data.shape, dims)
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


# ------------------------------------------------------------------------------- var, std


def _moments(name, input, dim, unbiased, keepdim, correction):
    """(variance, mean) over ``dim``, with torch's argument rules for var/std and friends."""
    if isinstance(dim, bool):  # the legacy overload var(input, unbiased)
        dim, unbiased = None, dim
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments: unbiased and correction "
            "cannot both be given"
        )
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = _dims(input, dim)
    dof = _count(input._data.shape, dims) - correction
    if dof <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    # two passes (mean, then squared deviations): no cancellation as in E[x^2] - E[x]^2
    with quiet():  # inf - inf is nan, silently as in torch
        mu = mean(input, dims, keepdim=True)
        d = input - mu
        squares = d.real * d.real + d.imag * d.imag if input.is_complex() else d * d  # |d|^2
        v = sum(squares, dims, keepdim=True) / (dof if dof > 0 else 0)
    if not keepdim:
        shape = _reduced_shape(input._data.shape, dims, False)
        v, mu = v.reshape(shape), mu.reshape(shape)
    return v, mu


class _StdOfVar(Function):
    """The standard deviation from the variance, differentiated as torch's std_backward:
    no gradient where the standard deviation is 0 (sqrt's, ``gy / (2 * 0)``, is inf there,
    and then nan once multiplied by the zero deviations)."""

    @staticmethod
    def forward(ctx, v):
        y = _array(backend.array_module(v).sqrt(v), v)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        zero = Tensor._make(y._data == 0)
        # the masked denominator keeps inf and nan out of second derivatives too
        return where(zero, 0.0, gy / (2 * where(zero, 1.0, y)))


@autocast_op("var")
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: ``sum((x - mean)^2) / max(0, N - correction)``.

    Args:
        input: a floating-point tensor.
        dim: int, sequence of ints, or None for every dimension.
        unbiased: legacy flag; False means ``correction=0``.
        keepdim: keep the reduced dimensions with size 1.
        correction: subtracted from the element count N (default 1, Bessel's correction).
    """
    return _moments("var", input, dim, unbiased, keepdim, correction)[0]


@autocast_op("std")
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: ``sqrt(var(...))`` with ``var``'s arguments."""
    return _StdOfVar.apply(_moments("std", input, dim, unbiased, keepdim, correction)[0])


@autocast_op("var_mean")
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one call; arguments as for ``var``."""
    return _moments("var_mean", input, dim, unbiased, keepdim, correction)


@autocast_op("std_mean")
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one call; arguments as for ``var``."""
    v, mu = _moments("std_mean", input, dim, unbiased, keepdim, correction)
    return _StdOfVar.apply(v), mu


# ----------------------------------------------------------------- max, min, median, argmax


class _EvenSplit(Function):
    """A reduction that picks one of its input values (``_kernel``): the gradient is shared
    evenly by the elements equal to the result, as torch does for amax, amin, max(), min()
    and median()."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = _array(ctx.fn._kernel(backend.array_module(x), x, dims, keepdim), x)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        kept = _kept_shape(x._data.shape, ctx.dims)
        if not ctx.keepdim:
            gy = gy.reshape(kept)
        xp = backend.array_module(x._data)
        x_data, y_data = x._data, y._data.reshape(kept)
        # a NaN result came from the NaN elements, and its gradient goes back to them
        hit = (x_data == y_data) | (xp.isnan(x_data) & xp.isnan(y_data))
        count = hit.sum(axis=ctx.dims, keepdims=True).astype(x_data.dtype)
        return where(Tensor._make(hit), gy / Tensor._make(count), 0.0), None, None


class Amax(_EvenSplit):
    _kernel = staticmethod(lambda xp, x, dims, keepdim: x.max(axis=dims, keepdims=keepdim))


class Amin(_EvenSplit):
    _kernel = staticmethod(lambda xp, x, dims, keepdim: x.min(axis=dims, keepdims=keepdim))


class Median(_EvenSplit):
    @staticmethod
    def _kernel(xp, x, dims, keepdim):
        # the lower median of every element; NaN (sorted last) propagates, as in torch
        s = xp.sort(x.reshape(-1))
        y = xp.where(xp.isnan(s[-1]), s[-1], s[(s.size - 1) // 2])
        return y.reshape((1,) * x.ndim) if keepdim else y


class _TakeAlongDim(Function):
    """``x`` picked along ``dim`` at ``index`` (an int array broadcastable against ``x`` off
    ``dim``), where no slice repeats an index: the values of sort, topk, max(dim)."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.index, ctx.dim, ctx.shape = index, dim, x.shape
        return backend.array_module(x).take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return _PutAlongDim.apply(gy, ctx.index, ctx.dim, ctx.shape), None, None


class _PutAlongDim(Function):
    """Zeros of ``shape`` with ``y`` written along ``dim`` at ``index``: the adjoint of
    ``_TakeAlongDim`` (and it of this), so gradients of any order flow."""

    @staticmethod
    def forward(ctx, y, index, dim, shape):
        ctx.index, ctx.dim = index, dim
        xp = backend.array_module(y)
        out = xp.zeros(shape, dtype=y.dtype)
        xp.put_along_axis(out, index, y, axis=dim)
        return out

    @staticmethod
    def backward(ctx, gz):
        return _TakeAlongDim.apply(gz, ctx.index, ctx.dim), None, None, None


def _take_along_dim(x, index, dim):
    return _TakeAlongDim.apply(x, index, dim)


def _select_along(name, input, dim, keepdim, pick):
    """``(values, indices)`` of the element ``pick(xp, array, axis)`` chooses in each slice
    along ``dim``; the gradient goes to that element alone."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    x = input if ndim else input.reshape(1)
    _check_nonempty(name, x, (dim,))
    index = pick(backend.array_module(x._data), x._data, dim).astype(np.int64, copy=False)
    shape = _reduced_shape(input._data.shape, (dim,) if ndim else (), keepdim)
    values = _take_along_dim(x, index, dim).reshape(shape)
    return values, Tensor._make(index.reshape(shape))


def _pick_max(xp, x, axis):
    return xp.argmax(x, axis=axis, keepdims=True)  # the first maximum; NaN counts as largest


def _pick_min(xp, x, axis):
    return xp.argmin(x, axis=axis, keepdims=True)


def _pick_median(xp, x, axis):
    order = xp.argsort(x, axis=axis, kind="stable")  # NaN sorts last
    n = x.shape[axis]
    nans = xp.isnan(x).sum(axis=axis, keepdims=True)
    # the lower median, or the first NaN of a slice that has one (torch propagates NaN)
    rank = xp.where(nans > 0, n - nans, (n - 1) // 2)
    return xp.take_along_axis(order, rank, axis=axis)


def _extremum(name, fn, pick, result, other_op, input, dim, keepdim):
    if isinstance(dim, Tensor):
        return other_op(input, dim)
    if dim is None:
        refuse_complex(input._data, f"{name}_all")
        _check_nonempty(name, input, ())
        return fn.apply(input, _dims(input, None), False)
    refuse_complex(
        input._data, message=f"{name}(): does not support complex input", error=RuntimeError
    )
    return result(*_select_along(name, input, dim, keepdim, pick))


def max(input, dim=None, keepdim=False):
    """The largest element, as ``max(input)``, ``max(input, dim, keepdim=False)`` or
    ``max(input, other)``.

    Returns:
        ``max(input)``: a 0-d tensor (its gradient is split evenly between ties).
        ``max(input, dim)``: a named tuple ``(values, indices)`` (int64 indices of the first
        maximum of each slice, which alone receives the gradient).
        ``max(input, other)``: the element-wise ``maximum``. NaN propagates in every form.
    """
    return _extremum("max", Amax, _pick_max, _MaxResult, maximum, input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    """The smallest element; the three forms of ``max``, with ``minimum`` for two tensors."""
    return _extremum("min", Amin, _pick_min, _MinResult, minimum, input, dim, keepdim)


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (an int or sequence; empty means every dimension).

    Unlike ``max(input, dim)`` it returns values only, and the gradient is split evenly between
    the elements that tie for the maximum.
    """
    refuse_complex(input._data, "max_values_cpu")
    dims = _dims(input, dim)
    _check_nonempty("amax", input, _named_dims(dim, dims))
    return Amax.apply(input, dims, keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim``; see ``amax``."""
    refuse_complex(input._data, "min_values_cpu")
    dims = _dims(input, dim)
    _check_nonempty("amin", input, _named_dims(dim, dims))
    return Amin.apply(input, dims, keepdim)


def median(input, dim=None, keepdim=False):
    """The lower median: of every element as a 0-d tensor (gradient split evenly between the
    elements equal to it), or along ``dim`` as a named tuple ``(values, indices)``.

    NaN propagates: a slice holding NaN has median NaN. The median of an empty tensor is NaN.
    """
    if input._data.dtype.kind in "bc":
        raise not_implemented("median_cpu" if dim is None else "median_out", input._data.dtype)
    if dim is not None:
        return _MedianResult(*_select_along("median", input, dim, keepdim, _pick_median))
    if input._data.size == 0:
        xp = backend.array_module(input._data)
        return Tensor._make(xp.full((), np.nan, dtype=input._data.dtype))
    return Median.apply(input, _dims(input, None), False)


def _arg_extremum(name, pick, input, dim, keepdim):
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    refuse_complex(x, message=f"{name}(): does not support complex input", error=RuntimeError)
    if dim is None:
        # the index into the flattened tensor; keepdim has no effect here, as in torch
        if x.size == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        index = pick(backend.array_module(x), x.reshape(-1), 0).reshape(())
        return Tensor._make(index.astype(np.int64, copy=False))
    return _select_along(name, input, dim, keepdim, pick)[1]


def argmax(input, dim=None, keepdim=False):
    """Index (int64) of the first maximum along ``dim``, or into the flattened tensor."""
    return _arg_extremum("argmax", _pick_max, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index (int64) of the first minimum along ``dim``, or into the flattened tensor."""
    return _arg_extremum("argmin", _pick_min, input, dim, keepdim)


# ---------------------------------------------------------------------------- logsumexp


@autocast_op("logsumexp")
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input), dim))``, computed without overflow.

    Integer inputs are computed in the default float dtype. A slice of ``-inf`` gives ``-inf``.
    """
    if not input.is_floating_point():
        input = input.to(get_default_dtype())
    dims = _dims(input, dim)
    x = input._data
    xp = backend.array_module(x)
    kept = _kept_shape(x.shape, dims)
    # Shift by the slice maximum so no exp overflows; the shift is a constant (the gradient,
    # softmax, does not depend on it), and 0 where the maximum is infinite so that a slice
    # of -inf never computes inf - inf.
    m = x.max(axis=dims, keepdims=True) if x.size else xp.zeros(kept, dtype=x.dtype)
    m = Tensor._make(xp.where(xp.isfinite(m), m, 0))
    out = sum((input - m).exp(), dims, keepdim=True).log() + m
    return out if keepdim else out.reshape(_reduced_shape(x.shape, dims, False))


# --------------------------------------------------------------------- cumulative ops


def _scan(op, x, axis, reverse, dtype):
    """``xp.cumsum`` / ``xp.cumprod`` along ``axis``, from the far end when ``reverse``."""
    xp = backend.array_module(x)
    fn = getattr(xp, op)
    with quiet():
        if not reverse:
            return fn(x, axis=axis, dtype=dtype)
        return xp.flip(fn(xp.flip(x, axis), axis=axis, dtype=dtype), axis)


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, dim, reverse, dtype):
        ctx.dim, ctx.reverse = dim, reverse
        return _scan("cumsum", x, dim, reverse, dtype)

    @staticmethod
    def backward(ctx, gy):
        # the adjoint of a running sum is the running sum taken from the other end
        return Cumsum.apply(gy, ctx.dim, not ctx.reverse, None), None, None, None


class Cumprod(Function):
    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        y = _scan("cumprod", x, dim, False, dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        dim = ctx.dim
        # dy_j/dx_k = prod_{i <= j, i != k} x_i for j >= k, which is y_j / x_k when x_k != 0
        if not (x._data == 0).any():
            return Cumsum.apply(gy * y, dim, True, None) / x, None, None
        if _grad_mode.enabled:
            return _cumprod_grad_table(x, gy, dim), None, None
        return Tensor._make(_cumprod_grad_zeros(x._data, y._data, gy._data, dim)), None, None


def _cumprod_grad_zeros(x, y, g, axis):
    """The gradient of cumprod for an input with zeros, on arrays in O(n) (torch's method).

    With z1 the first zero of a slice and z2 its second: before z1 the no-zero formula holds
    (every y_j from z1 on is 0); after z1 the gradient is 0; at z1 it is
    prod(x[:z1]) * sum_{z1 <= j < z2} g_j * prod(x[z1+1 : j+1]).
    Not itself differentiable: with a graph recorded, ``_cumprod_grad_table`` is used.
    """
    xp = backend.array_module(x)
    zeros_seen = xp.cumsum(x == 0, axis=axis)
    before = zeros_seen == 0
    first = (zeros_seen == 1) & (x == 0)
    between = (zeros_seen == 1) & ~first
    with quiet():
        gx = xp.where(before, _scan("cumsum", xp.where(before, g * y, 0), axis, True, None) / x, 0)
    run = xp.cumprod(xp.where(between, x, 1), axis=axis)
    at_first = xp.prod(xp.where(before, x, 1), axis=axis, keepdims=True) * xp.sum(
        xp.where(zeros_seen == 1, g * run, 0), axis=axis, keepdims=True
    )
    return xp.where(first, at_first, gx).astype(g.dtype, copy=False)


def _cumprod_grad_table(x, gy, dim):
    """The gradient of cumprod from an n x n table of the products that omit one element,
    built from differentiable ops so that second derivatives are right at zeros too
    (O(n^2) memory, used only when backward records a graph, as torch does)."""
    xp = backend.array_module(x._data)
    xm, gm = x.transpose(dim, -1), gy.transpose(dim, -1)
    n = xm.shape[-1]
    row = xm.shape[:-1] + (1, n)
    # table[..., k, i] = x_i, except 1 at i == k; its cumprod along i holds
    # omitted[..., k, j] = prod_{i <= j, i != k} x_i
    table = where(Tensor._make(xp.eye(n, dtype=bool)), 1.0, xm.reshape(row))
    omitted = cumprod(table, -1)
    upper = Tensor._make(xp.triu(xp.ones((n, n), dtype=bool)))  # j >= k
    gx = where(upper, gm.reshape(row) * omitted, 0.0).sum(-1)
    return gx.transpose(dim, -1)


def _cumulative(fn, input, dim, dtype):
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    if ndim == 0:
        return _cumulative(fn, input.reshape(1), 0, dtype).reshape(())
    return fn(input, dim, _accumulate_dtype(input._data, dtype))


@autocast_op("cumsum")
def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``: ``y_i = x_0 + ... + x_i``.

    Integer and bool inputs accumulate in int64 unless ``dtype`` says otherwise.
    """
    return _cumulative(lambda x, d, dt: Cumsum.apply(x, d, False, dt), input, dim, dtype)


@autocast_op("cumprod")
def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``: ``y_i = x_0 * ... * x_i`` (int64 for integer inputs).

    The gradient is exact where the input has zeros.
    """
    return _cumulative(Cumprod.apply, input, dim, dtype)


def _running_extremum(result, accumulate, input, dim):
    """``(values, indices)`` of the running max/min along ``dim``: a tie or a NaN takes the
    later index, and NaN, once seen, stays (torch's rule). The gradient of each value goes
    to the element its index names."""
    refuse_complex(input._data, f"{result.__name__}_cpu")
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    if ndim == 0:
        values, indices = _running_extremum(result, accumulate, input.reshape(1), 0)
        return result(values.reshape(()), indices.reshape(()))
    x = input._data
    xp = backend.array_module(x)
    if x.dtype.kind == "b":
        x = x.astype(np.uint8)
    running = accumulate(xp, x, dim)
    with quiet():
        hit = (x == running) | (xp.isnan(x) & xp.isnan(running) if x.dtype.kind == "f" else False)
    positions = xp.where(hit, _positions(x, dim), 0)
    index = xp.maximum.accumulate(positions, axis=dim).astype(np.int64, copy=False)
    return result(input.gather(dim, Tensor._make(index)), Tensor._make(index))


def _nan_accumulate(ufunc):
    def accumulate(xp, x, axis):
        if x.dtype.kind != "f":
            return getattr(xp, ufunc).accumulate(x, axis=axis)
        # fmax/fmin skip NaN; a NaN seen earlier must stay, so mark where one has been seen
        seen = xp.logical_or.accumulate(xp.isnan(x), axis=axis)
        out = getattr(xp, ufunc).accumulate(x, axis=axis)
        return xp.where(seen, xp.asarray(np.nan, x.dtype), out)

    return accumulate


def cummax(input, dim):
    """Running maximum along ``dim``: a named tuple ``(values, indices)``; ties take the
    later index, as in torch, and a NaN stays the maximum once seen."""
    return _running_extremum(_CummaxResult, _nan_accumulate("maximum"), input, dim)


def cummin(input, dim):
    """Running minimum along ``dim``: a named tuple ``(values, indices)``; ties take the
    later index, as in torch, and a NaN stays the minimum once seen."""
    return _running_extremum(_CumminResult, _nan_accumulate("minimum"), input, dim)


# ------------------------------------------------------------------- NaN-ignoring, counts


@autocast_op("nansum")
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """``sum`` with NaN counted as zero (integers have none: the plain sum)."""
    refuse_complex(
        input._data, message="nansum on CPU does not support complex inputs", error=RuntimeError
    )
    if input._data.dtype.kind == "f":
        input = where(isnan(input), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


@autocast_op("nanmean")
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (NaN where a slice has none); floating inputs only,
    as in torch."""
    if input._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype.scalar_name}"
        )
    count = sum(isnan(input).logical_not(), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-d non-negative integer ``input`` (at
    least ``minlength`` bins); with ``weights``, their sums instead (float64 for integer
    weights, else the weights' dtype). No gradient, as in torch."""
    x = input._data
    if x.dtype.kind not in "biu":
        raise not_implemented("bincount_cpu", x.dtype)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = backend.array_module(x)
    if x.ndim != 1 or (x.size and bool((x < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None
    if weights is not None:
        w = weights._data
        if w.ndim != 1 or w.shape[0] != x.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
    if x.size:
        w64 = None if w is None else w.astype(np.float64)
        out = xp.bincount(x.astype(np.int64), w64, minlength)
    else:  # (cupy's bincount takes the input's maximum)
        out = xp.zeros(minlength, np.float64)
    if w is None:
        out = out.astype(np.int64)
    elif w.dtype.kind == "f":
        out = out.astype(w.dtype)
    return Tensor._make(out)


# ---------------------------------------------------------------------------------- norm


class Norm(Function):
    """The vector p-norm ``sum(|x|^p)^(1/p)`` over ``dims`` for finite ``p`` (p = 0 counts
    the nonzero elements)."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        xp = backend.array_module(x)
        if p == 0:
            y = (x != 0).sum(axis=dims, keepdims=keepdim).astype(x.dtype)
        elif p == 1:
            y = xp.abs(x).sum(axis=dims, keepdims=keepdim)
        elif p == 2:
            y = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        else:
            with quiet():  # |0|^p is inf for p < 0, and the norm then 0, as in torch
                y = (xp.abs(x) ** p).sum(axis=dims, keepdims=keepdim) ** (1 / p)
        y = _array(y, x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        p = ctx.p
        if not ctx.keepdim:
            kept = _kept_shape(x._data.shape, ctx.dims)
            gy, y = gy.reshape(kept), y.reshape(kept)
        if p == 0:
            return gy * 0.0 * x, None, None, None
        if p == 1:
            return gy * x.sign(), None, None, None
        # d/dx_i = sign(x_i) |x_i|^(p-1) / norm^(p-1), taken as 0 where the norm is 0 (and
        # where x_i = 0 for p < 1), torch's subgradients. The masked operands are replaced
        # by 1 first so that no inf or nan reaches second derivatives.
        y_zero = Tensor._make(y._data == 0)
        y_safe = where(y_zero, 1.0, y)
        if p == 2:
            return x * where(y_zero, 0.0, gy / y_safe), None, None, None
        x_zero = Tensor._make(x._data == 0)
        ax = where(x_zero, 1.0, x.abs())
        scaled = where(x_zero, 0.0, x.sign() * ax ** (p - 1))
        return scaled * where(y_zero, 0.0, gy / y_safe ** (p - 1)), None, None, None


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.vector_norm`` (exported there): the ``ord``-norm of ``x`` over ``dim``
    (every element when None) -- ``inf`` (max |x|), ``-inf`` (min |x|), ``0`` (count of
    nonzeros), or ``sum(|x|^ord)^(1/ord)``. Complex input gives a real norm; zero vectors
    get zero gradient (torch's subgradient)."""
    if not (x.is_floating_point() or x.is_complex()):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype.scalar_name}"
        )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    if dtype is not None:
        x = x.to(dtype)
    if x.is_complex():
        x = x.abs()
    dims = _dims(x, dim)
    if math.isinf(ord):
        return (amax if ord > 0 else amin)(x.abs(), dims, keepdim)
    return Norm.apply(x, float(ord), dims, keepdim)


# ------------------------------------------------------------------------- logical, count


def _logical(op, input, dim, keepdim):
    x = input._data
    xp = backend.array_module(x)
    y = xp.asarray(getattr(xp, op)(x, axis=_dims(input, dim), keepdims=keepdim))
    # torch keeps uint8 for uint8 input (a legacy wart it keeps); other dtypes give bool
    return Tensor._make(y.astype(np.uint8) if x.dtype == np.uint8 else y)


def all(input, dim=None, keepdim=False):
    """True where every element along ``dim`` (or of the whole tensor) is nonzero."""
    return _logical("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True where some element along ``dim`` (or of the whole tensor) is nonzero."""
    return _logical("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    """The number (int64) of nonzero elements along ``dim`` (int, sequence or None)."""
    x = input._data
    xp = backend.array_module(x)
    y = xp.count_nonzero(x, axis=_dims(input, dim))
    return Tensor._make(xp.asarray(y, dtype=np.int64))


# ------------------------------------------------------- aminmax, nanmedian, mode, more


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` of the elements along ``dim`` (every element when None), as a named
    tuple; gradients as ``amin`` and ``amax`` (shared evenly by ties)."""
    dims = _dims(input, dim)
    if input._data.size == 0 and (dim is None or input._data.shape[dims[0]] == 0):
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
            "no identity."
        )
    return _AminmaxResult(amin(input, dims, keepdim), amax(input, dims, keepdim))


class Nanmedian(_EvenSplit):
    @staticmethod
    def _kernel(xp, x, dims, keepdim):
        # the lower median of the elements that are not NaN (sorted last); NaN if all are
        s = xp.sort(x.reshape(-1))
        valid = int((~xp.isnan(s)).sum())
        y = s[(valid - 1) // 2] if valid else s[0]
        return y.reshape((1,) * x.ndim) if keepdim else y


def _pick_nanmedian(xp, x, axis):
    order = xp.argsort(x, axis=axis, kind="stable")  # NaN sorts last
    valid = (~xp.isnan(x)).sum(axis=axis, keepdims=True)
    # the lower median of the numbers; of the whole slice where it is all NaN (torch's index)
    rank = xp.where(valid == 0, (x.shape[axis] - 1) // 2, (valid - 1) // 2)
    return xp.take_along_axis(order, rank, axis=axis)


def nanmedian(input, dim=None, keepdim=False):
    """``median`` ignoring NaN: the lower median of the elements that are not NaN (NaN where
    a slice holds nothing else), of every element or along ``dim`` as ``(values, indices)``."""
    if input._data.dtype.kind in "bc":
        raise not_implemented(
            "nanmedian_cpu" if dim is None else "nanmedian_out", input._data.dtype
        )
    if dim is not None:
        return _NanmedianResult(*_select_along("nanmedian", input, dim, keepdim, _pick_nanmedian))
    if input._data.size == 0:
        xp = backend.array_module(input._data)
        return Tensor._make(xp.full((), np.nan, dtype=input._data.dtype))
    return Nanmedian.apply(input, _dims(input, None), False)


def _pick_mode(xp, x, axis):
    """The index of the most frequent value of each slice: the smallest such value on a tie,
    at its last position (torch's choice)."""
    x = xp.moveaxis(x, axis, -1)
    n = x.shape[-1]
    order = xp.argsort(x, axis=-1, kind="stable")  # equal values keep their order
    s = xp.take_along_axis(x, order, axis=-1)
    new_run = xp.ones(s.shape, dtype=bool)
    new_run[..., 1:] = s[..., 1:] != s[..., :-1]
    run = xp.cumsum(new_run, axis=-1) - 1  # 0, 1, ... per distinct value, ascending
    rows = xp.arange(s.size // n if n else 0).reshape(s.shape[:-1] + (1,))
    key = (rows * n + run).reshape(-1)
    count = xp.bincount(key, minlength=key.size)[key].reshape(s.shape)
    # the most frequent run, the first (smallest) among equals, at its last position
    score = (count * (n + 1) - run) * (n + 1) + xp.arange(n)
    best = xp.argmax(score, axis=-1)[..., None]
    return xp.moveaxis(xp.take_along_axis(order, best, axis=-1), -1, axis)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` and its index, as ``(values, indices)``: the
    smallest value where several are equally frequent, the index of its last occurrence."""
    refuse_complex(input._data, "mode_cpu")
    return _ModeResult(*_select_along("mode", input, dim, keepdim, _pick_mode))


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input), dim))`` without overflow.

    Computed in float64 with the slice maximum subtracted (a constant: the gradient does not
    depend on it), so values below the running sum by more than about 700 contribute
    nothing, where torch's pairwise log-add keeps them; torch's results otherwise."""
    kind = input._data.dtype.kind
    if kind not in "fc":
        raise not_implemented("logcumsumexp_out_cpu", input._data.dtype)
    if input._data.ndim == 0:
        return input * 1
    dim = wrap_dim(dim, input._data.ndim)
    x = input.to(float64 if kind == "f" else complex128)
    data = x._data
    xp = backend.array_module(data)
    with quiet():
        m = data.max(axis=dim, keepdims=True).real if data.size else xp.zeros(())
    m = Tensor._make(xp.where(xp.isfinite(m), m, 0))
    y = cumsum((x - m).exp(), dim).log() + m
    return y.to(input.dtype)


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (which broadcast), a 0-d tensor."""
    return vector_norm(input - other, p)


def renorm(input, p, dim, maxnorm):
    """``input`` with each slice along ``dim`` (``input.select(dim, i)``) whose ``p``-norm
    exceeds ``maxnorm`` scaled down to norm ``maxnorm`` (by ``maxnorm / (norm + 1e-7)``, as
    torch)."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    dim = wrap_dim(dim, input._data.ndim)
    others = tuple(d for d in range(input._data.ndim) if d != dim)
    norm = vector_norm(input, p, others, keepdim=True)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor
