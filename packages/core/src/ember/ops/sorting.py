"""Sorting: sort, argsort and topk; kthvalue, searchsorted, bucketize, isin; unique and
unique_consecutive.

NaN sorts as the largest value, as in torch. Sorts are always stable here (``stable=False``
only allows torch to reorder equal elements; a stable order is one it may return).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import backend
from .._dtype import result_type
from .._tensor import Tensor
from ..autograd.function import Function
from ._util import refuse_complex, wrap_dim
from .reduction import _take_along_dim

__all__ = [
    "sort",
    "argsort",
    "topk",
    "kthvalue",
    "searchsorted",
    "bucketize",
    "isin",
    "unique",
    "unique_consecutive",
]

# torch.return_types.sort / topk: tuples whose fields read as .values and .indices
_SortResult = namedtuple("sort", ("values", "indices"))
_TopkResult = namedtuple("topk", ("values", "indices"))
_KthvalueResult = namedtuple("kthvalue", ("values", "indices"))


def _order(x, axis, descending):
    """int64 indices that sort array ``x`` stably along ``axis``."""
    refuse_complex(x, message=" Sort does not support complex dtypes on CPU", error=RuntimeError)
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
    refuse_complex(
        input._data, message=" topk does not support complex dtypes on CPU", error=RuntimeError
    )
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
    refuse_complex(input._data, "kthvalue_cpu")
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
    """``value``, or the Python number ``value`` as a 0-d tensor beside the tensor ``like``, of
    the dtype torch gives the two together (0.1 next to a float32 tensor is float32 0.1)."""
    if isinstance(value, Tensor):
        return value
    xp = backend.array_module(like._data)
    return Tensor._make(xp.asarray(value, dtype=result_type(like, value).np))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input``'s values would be inserted into ``sorted_sequence`` (sorted
    along its last dimension) to keep it sorted: the first such place, or with ``right=True``
    (``side="right"``) the last. A 1-d sequence serves every value; otherwise its leading
    dimensions must match ``input``'s. ``sorter`` holds indices that sort an unsorted
    sequence. int64 results, int32 with ``out_int32``."""
    refuse_complex(sorted_sequence._data, "searchsorted_out_cpu")
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


class Unique(Function):
    """``(values, inverse, counts)`` of ``unique`` (sorted) or ``unique_consecutive`` (in
    order), of the elements or, with ``dim``, of the slices along ``dim``.

    Equal elements are grouped by ``==``, so every NaN stands alone, as in torch. Like torch,
    the values require grad when the input does, but the gradient is not implemented.
    """

    @staticmethod
    def forward(ctx, x, consecutive=False, dim=None):
        xp = backend.array_module(x)
        if dim is None:
            ctx.op = "unique_consecutive" if consecutive else "_unique2"
            rows = x.reshape(-1)
        else:
            ctx.op = "unique_consecutive" if consecutive else "unique_dim"
            # one row per slice along dim: lexicographic order and equality are row-wise
            moved = xp.moveaxis(x, dim, 0)
            rows = moved.reshape(moved.shape[0], math.prod(moved.shape[1:]))
        n = rows.shape[0]
        if consecutive:
            order = None
            keys = rows
        else:
            if dim is None:
                order = xp.argsort(rows, kind="stable")
            else:  # lexsort's primary key is its last row: the first column
                order = xp.lexsort(rows.T[::-1]) if n else xp.arange(0)
            keys = rows[order]
        # a new group starts where a row differs from the one before (NaN != NaN)
        starts = xp.ones(n, dtype=bool)
        if n > 1:
            differs = keys[1:] != keys[:-1]
            starts[1:] = differs if dim is None else differs.any(axis=1)
        first = xp.flatnonzero(starts)
        group = (xp.cumsum(starts) - 1).astype(np.int64, copy=False)
        if order is None:
            inverse = group
        else:
            inverse = xp.empty(n, dtype=np.int64)
            inverse[order] = group
        counts = xp.diff(xp.concatenate((first, xp.asarray([n], dtype=first.dtype))))
        values = keys[first]
        if dim is None:
            inverse = inverse.reshape(x.shape)
        else:
            values = values.reshape(values.shape[:1] + moved.shape[1:])
            values = xp.ascontiguousarray(xp.moveaxis(values, 0, dim))
        return values, inverse, counts.astype(np.int64, copy=False)

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(f"the derivative for '{ctx.op}' is not implemented.")


def _unique(input, return_inverse, return_counts, dim, consecutive):
    if dim is not None:
        name = "unique_consecutive(): argument 'dim'"
        if not consecutive:
            name = "unique_dim(): argument 'dim' (position 2)"
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{name} must be int, not {type(dim).__name__}")
        shape = input._data.shape
        if not shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        dim = wrap_dim(int(dim), len(shape))
        zeros = shape.count(0)
        if shape[dim] == 0 and zeros > 1:
            raise RuntimeError(
                "Number of zero sized dimensions is more than one, so unique cannot be applied "
            )
        if shape[dim] != 0 and zeros:
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied"
            )
    refuse_complex(input._data, "unique")
    values, inverse, counts = Unique.apply(input, consecutive=consecutive, dim=dim)
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The unique elements of ``input`` in ascending order (NaN last), or with ``dim`` the
    unique slices along ``dim`` in lexicographic order.

    Returns:
        The values alone, or a tuple ``(values, inverse, counts)`` holding the parts asked
        for: ``inverse`` (int64, ``input``'s shape, or the size of ``dim``) gives the index in
        ``values`` of each element (slice); ``counts`` (int64) how often each value occurs.
        Each NaN counts as a value of its own, as in torch. The result is sorted whatever
        ``sorted`` says (torch's CPU kernel sorts too). With ``dim``, ember sorts slices
        holding NaN after the others and keeps each apart; torch's result there is
        ill-defined (its comparison of NaN is no ordering, so it may even leave equal slices
        apart) and is not reproduced. Not differentiable: as in torch, the values require
        grad when ``input`` does, and backward raises NotImplementedError.
    """
    return _unique(input, return_inverse, return_counts, dim, consecutive=False)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with every run of equal consecutive elements (or, with ``dim``, slices along
    ``dim``) reduced to its first; the rest as ``unique`` (consecutive NaNs stay apart)."""
    return _unique(input, return_inverse, return_counts, dim, consecutive=True)
