"""Statistics of samples: quantiles, histograms, covariance and correlation.

Quantiles and covariances are composed of differentiable operations (sort, gather,
arithmetic, matmul), so their gradients are those of the operations; histograms count and have
no gradient, as in torch.
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from .. import backend
from .._dtype import get_default_dtype
from .._tensor import Tensor
from ._util import not_implemented, wrap_dim
from .indexing import take_along_dim
from .linalg import mm
from .pointwise import clamp, sqrt, where
from .sorting import sort

__all__ = [
    "quantile",
    "nanquantile",
    "histc",
    "histogram",
    "histogramdd",
    "cov",
    "corrcoef",
]

_HistogramResult = namedtuple("histogram", ("hist", "bin_edges"))
_HistogramddResult = namedtuple("histogramdd", ("hist", "bin_edges"))

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ------------------------------------------------------------------------------ quantiles


def _check_quantile(input, q, interpolation):
    if input._data.dtype.kind != "f":
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if input._data.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}"
        )
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        values = q._data
    else:
        values = np.asarray(q, dtype=input._data.dtype)
    if not bool(((values >= 0) & (values <= 1)).all()):
        shown = float(values.min()) if bool((values < 0).any()) else float(values.max())
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {shown:g}")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    _check_quantile(input, q, interpolation)
    xp = backend.array_module(input._data)
    if dim is None:
        x = input.reshape(-1)
        axis = 0
    else:
        axis = wrap_dim(dim, input.ndim)
        x = input if input.ndim else input.reshape(1)
    x = x.movedim(axis, -1)
    ranked = sort(x, -1).values  # NaN sorts last
    n = ranked.shape[-1]
    scalar_q = not isinstance(q, Tensor) or q.ndim == 0
    qs = q._data.reshape(-1) if isinstance(q, Tensor) else xp.asarray([q], x._data.dtype)
    nan = xp.isnan(ranked._data)
    if ignore_nan:
        count = (~nan).sum(-1, keepdims=True)
        last = xp.maximum(count - 1, 0)
    else:
        last = xp.full(ranked.shape[:-1] + (1,), n - 1)
    rank = qs * last.astype(qs.dtype)  # (..., Q)
    if interpolation == "nearest":
        rank = xp.round(rank)  # half to even, as torch's round
    low = xp.floor(rank).astype(np.int64)
    high = xp.ceil(rank).astype(np.int64)
    below = take_along_dim(ranked, Tensor._make(low), -1)
    if interpolation in ("lower", "nearest"):
        y = below
    else:
        above = take_along_dim(ranked, Tensor._make(high), -1)
        if interpolation == "higher":
            y = above
        elif interpolation == "midpoint":
            y = below + (above - below) * 0.5
        else:
            weight = Tensor._make((rank - low).astype(x._data.dtype))
            y = below + (above - below) * weight
    # NaN where a slice holds NaN (quantile) or nothing but NaN (nanquantile)
    invalid = nan.all(-1, keepdims=True) if ignore_nan else nan.any(-1, keepdims=True)
    y = where(Tensor._make(invalid), float("nan"), y)
    if keepdim:
        kept = [1] * input.ndim
        if dim is not None:
            kept = list(input.shape)
            if input.ndim:
                kept[axis] = 1
        y = y.reshape(tuple(kept) + (y.shape[-1],))
    y = y.movedim(-1, 0)
    return y.squeeze(0) if scalar_q else y


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles of ``input`` along ``dim`` (of every element when None).

    Args:
        input: a float32 or float64 tensor.
        q: a number or a 0-D/1-D tensor of ``input``'s dtype, in [0, 1]; a 1-D ``q`` puts its
            dimension first in the result.
        dim: the dimension to reduce, or None to flatten.
        keepdim: keep the reduced dimension with size 1.
        interpolation: between the two data points around the quantile: ``"linear"``,
            ``"lower"``, ``"higher"``, ``"midpoint"`` or ``"nearest"`` (round half to even).

    A slice that holds NaN gives NaN (``nanquantile`` skips them).
    """
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` of the elements that are not NaN (NaN where a slice holds only NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


# ----------------------------------------------------------------------------- histograms


def _counts(xp, x, edges, weight):
    """Counts (or summed weights) of ``x`` (1-D) in the bins between sorted ``edges``, the
    last bin closed on the right (numpy's and torch's rule); values outside are dropped."""
    bins = edges.size - 1
    if x.size == 0:  # (cupy's bincount takes the maximum of its input: none when empty)
        return xp.zeros(bins, dtype=np.float64)
    index = xp.searchsorted(edges, x, side="right") - 1
    index = xp.where(x == edges[-1], bins - 1, index)
    inside = (index >= 0) & (index < bins) & ~xp.isnan(x)
    # every element is counted, those outside with weight 0: no boolean selection (a device
    # sync on cupy) and never an empty array for bincount
    w = inside.astype(np.float64) if weight is None else xp.where(inside, weight, 0.0)
    return xp.bincount(xp.clip(index, 0, bins - 1), weights=w, minlength=bins)


def _edges(name, xp, x, bins, range, dtype):
    if isinstance(bins, Tensor):
        return bins._data
    if bins <= 0:
        raise RuntimeError(f"torch.{name}(): bins must be > 0, but got {bins} for dimension 0")
    if range is not None:
        low, high = range
    elif x.size:
        low, high = x.min().item(), x.max().item()
    else:
        low, high = 0.0, 0.0
    if low > high:
        raise ValueError(f"{name}(): max must be larger than min")
    if low == high:
        low, high = low - 0.5, high + 0.5  # numpy's widening, which torch's histogram keeps
    return xp.linspace(low, high, bins + 1).astype(dtype)


def histc(input, bins=100, min=0, max=0):
    """Counts of ``input``'s elements in ``bins`` equal bins between ``min`` and ``max`` (the
    data's minimum and maximum when both are 0; widened by 1 on each side when equal).
    Elements outside are ignored. Floating tensors only; the result has ``input``'s dtype."""
    x = input._data
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    low, high = float(min), float(max)
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    if x.dtype.kind != "f":
        raise not_implemented("histogram_cpu", x.dtype)
    xp = backend.array_module(x)
    flat = x.reshape(-1)
    if low == high and flat.size:
        low, high = float(flat.min()), float(flat.max())
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    if low == high:
        low, high = low - 1, high + 1
    edges = xp.linspace(low, high, bins + 1).astype(x.dtype)
    return Tensor._make(_counts(xp, flat, edges, None).astype(x.dtype))


def _density(hist, widths):
    return hist / (hist.sum() * widths)


def histogram(input, bins, *, range=None, weight=None, density=False):
    """A histogram of ``input``'s elements, as ``(hist, bin_edges)``.

    Args:
        input: a floating tensor (flattened).
        bins: the number of equal bins, or a 1-D tensor of increasing bin edges.
        range: ``(min, max)`` of the equal bins (default: the data's).
        weight: a tensor like ``input``: each element counts its weight.
        density: normalise so that the histogram integrates to 1 over the bins.
    """
    x = input._data
    if x.dtype.kind != "f":
        raise not_implemented("histogramdd", x.dtype)
    xp = backend.array_module(x)
    flat = x.reshape(-1)
    edges = _edges("histogram", xp, flat, bins, range, x.dtype)
    w = None if weight is None else weight._data.reshape(-1)
    hist = _counts(xp, flat, edges, w).astype(x.dtype)
    if density:
        hist = _density(hist, xp.diff(edges))
    return _HistogramResult(Tensor._make(hist), Tensor._make(edges))


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """A ``D``-dimensional histogram of the points in the rows of ``input`` (``(N, D)``, or
    any shape whose last dimension is ``D``), as ``(hist, bin_edges)``.

    Args:
        bins: one number of bins for every dimension, a sequence of ``D`` numbers, or a
            sequence of ``D`` 1-D tensors of bin edges.
        range: ``[min_0, max_0, min_1, max_1, ...]`` of the equal bins (default: the data's).
        weight: ``N`` weights, one per point.
        density: normalise so that the histogram integrates to 1 over the bins.
    """
    x = input._data
    if x.dtype.kind != "f":
        raise not_implemented("histogramdd", x.dtype)
    xp = backend.array_module(x)
    d = x.shape[-1]
    points = x.reshape(-1, d)
    if isinstance(bins, int):
        bins = [bins] * d
    edges = [
        _edges(
            "histogramdd",
            xp,
            points[:, i],
            bins[i],
            None if range is None else (range[2 * i], range[2 * i + 1]),
            x.dtype,
        )
        for i in builtins.range(d)
    ]
    sizes = tuple(e.size - 1 for e in edges)
    flat = xp.zeros(points.shape[0], dtype=np.int64)
    inside = xp.ones(points.shape[0], dtype=bool)
    for i, e in enumerate(edges):
        index = xp.searchsorted(e, points[:, i], side="right") - 1
        index = xp.where(points[:, i] == e[-1], sizes[i] - 1, index)
        inside &= (index >= 0) & (index < sizes[i])
        flat = flat * sizes[i] + xp.clip(index, 0, sizes[i] - 1)
    total = math.prod(sizes)
    if points.shape[0]:  # (as in _counts: outside points weigh 0; bincount needs an element)
        w = inside.astype(np.float64)
        if weight is not None:
            w = xp.where(inside, weight._data.reshape(-1), 0.0)
        hist = xp.bincount(flat, weights=w, minlength=total)
    else:
        hist = xp.zeros(total)
    hist = hist.astype(x.dtype).reshape(sizes)
    if density:
        volume = xp.ones(sizes, dtype=x.dtype)
        for i, e in enumerate(edges):
            shape = [1] * d
            shape[i] = sizes[i]
            volume = volume * xp.diff(e).reshape(shape)
        hist = _density(hist, volume)
    return _HistogramddResult(Tensor._make(hist), tuple(Tensor._make(e) for e in edges))


# ------------------------------------------------------------------- covariance, correlation


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-D ``input`` is one variable), a 0-D tensor for one variable.

    Args:
        correction: subtracted from the (weighted) number of observations: 1 is the unbiased
            estimate, 0 the maximum-likelihood one.
        fweights: integer frequency weights, one per observation.
        aweights: floating observation weights, one per observation.
    """
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    if fweights is not None and (fweights.dtype.is_floating_point or fweights.dtype.is_complex):
        raise RuntimeError(
            "cov(): expected fweights to have integral dtype but got fweights with "
            f"{fweights.dtype.scalar_name} dtype"
        )
    if aweights is not None and not aweights.dtype.is_floating_point:
        raise RuntimeError(
            "cov(): expected aweights to have floating point dtype but got aweights with "
            f"{aweights.dtype.scalar_name} dtype"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(get_default_dtype())
    observations = x.shape[1]
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = observations
        average = x.mean(1)
    else:
        w_sum = w.sum()
        average = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool(norm <= 0):
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = norm * 0
    centred = x - average.unsqueeze(1)
    weighted = centred if w is None else centred * w
    c = mm(centred, weighted.t().conj())
    return (c / norm).squeeze()


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input`` (as
    ``cov``), clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = sqrt(c.diagonal().real if c.is_complex() else c.diagonal())
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    if c.is_complex():
        return c
    return clamp(c, -1, 1)
