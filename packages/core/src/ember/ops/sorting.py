"""Sorting: sort, argsort and topk.

NaN sorts as the largest value, as in torch. Sorts are always stable here (``stable=False``
only allows torch to reorder equal elements; a stable order is one it may return).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import backend
from .._tensor import Tensor
from ._util import wrap_dim
from .reduction import _take_along_dim

__all__ = ["sort", "argsort", "topk", "kthvalue", "searchsorted", "bucketize", "isin"]

# torch.return_types.sort / topk: tuples whose fields read as .values and .indices
_SortResult = namedtuple("sort", ("values", "indices"))
_TopkResult = namedtuple("topk", ("values", "indices"))
_KthvalueResult = namedtuple("kthvalue", ("values", "indices"))


def _order(x, axis, descending):
    """int64 indices that sort array ``x`` stably along ``axis``."""
    xp = backend.array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    # Sort the reversed slices ascending and reverse the result: equal elements keep their
    # original order and NaN (last when ascending) comes first. Negating the keys would
    # do neither, and would overflow unsigned and minimum integers.
    n = x.shape[axis]
    ascending = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - xp.flip(ascending, axis)).astype(np.int64, copy=False)


def _sorted(input, dim, descending, k=None):
    """``(values, indices)`` of ``input`` sorted along ``dim``, the first ``k`` if given."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    x = input if ndim else input.reshape(1)
    index = _order(x._data, dim, descending)
    if k is not None:
        index = index[(slice(None),) * dim + (slice(0, k),)]
    values = _take_along_dim(x, index, dim)
    if not ndim and index.size == 1:
        values, index = values.reshape(()), index.reshape(())
    return values, Tensor._make(index)


def sort(input, dim=-1, descending=False, stable=False):
    """Sort ``input`` along ``dim``.

    Returns:
        A named tuple ``(values, indices)``: the sorted values (the gradient flows back to the
        elements they came from) and their int64 positions in ``input``. Equal elements keep
        their order, in either direction.
    """
    return _SortResult(*_sorted(input, dim, descending))


def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    x = input._data if ndim else input._data.reshape(1)
    return Tensor._make(_order(x, dim, descending).reshape(input._data.shape))


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or, with ``largest=False``, smallest) elements along ``dim``.

    Returns:
        A named tuple ``(values, indices)``, in sorted order whatever ``sorted`` says (torch
        leaves the order unspecified when it is False); ties go to the earlier element.
    """
    ndim = input._data.ndim
    size = input._data.shape[wrap_dim(dim, ndim)] if ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    # a full sort, O(n log n): the same order, ties and NaN placement as sort()
    return _TopkResult(*_sorted(input, dim, largest, k))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` (``k`` counts from 1).

    Returns:
        A named tuple ``(values, indices)``; the gradient flows to the picked elements.
    """
    ndim = input._data.ndim
    d = wrap_dim(dim, ndim)
    size = input._data.shape[d] if ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    values, indices = _sorted(input, d, False)
    if not ndim:
        return _KthvalueResult(values, indices)
    key = (slice(None),) * d + (slice(k - 1, k),)
    values, indices = values[key], indices[key]
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _KthvalueResult(values, indices)


def _as_tensor(value, like):
    if isinstance(value, Tensor):
        return value
    xp = backend.array_module(like._data)
    return Tensor._make(xp.asarray(value))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input``'s values would be inserted into ``sorted_sequence`` (sorted
    along its last dimension) to keep it sorted: the first such place, or with ``right=True``
    (``side="right"``) the last. A 1-d sequence serves every value; otherwise its leading
    dimensions must match ``input``'s. ``sorter`` holds indices that sort an unsorted
    sequence. int64 results, int32 with ``out_int32``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    values = _as_tensor(input, sorted_sequence)
    seq = sorted_sequence._data
    v = values._data
    if seq.ndim != 1 and (v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(v.shape)}"
        )
    xp = backend.array_module(seq)
    if sorter is not None:
        if sorter._data.shape != seq.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}"
            )
        seq = xp.take_along_axis(seq, sorter._data.astype(np.int64), -1)
    if seq.ndim == 1:
        index = xp.searchsorted(seq, v, side="right" if right else "left")
    else:
        # one search per row: count the boundaries before each value
        below = (
            seq[..., None, :] <= v[..., :, None] if right else seq[..., None, :] < v[..., :, None]
        )
        index = below.sum(-1)
    dtype = np.int32 if out_int32 else np.int64
    return Tensor._make(xp.asarray(index).astype(dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` given the sorted 1-d ``boundaries``: index ``i``
    with ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``boundaries[i-1] <= x <
    boundaries[i]``)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor of ``elements``' shape: whether each element occurs in
    ``test_elements`` (either may be a scalar); ``invert=True`` negates it."""
    like = elements if isinstance(elements, Tensor) else test_elements
    a = _as_tensor(elements, like)._data
    b = _as_tensor(test_elements, like)._data
    xp = backend.array_module(a)
    found = xp.isin(a, b, assume_unique=assume_unique, invert=invert)
    return Tensor._make(xp.asarray(found))
