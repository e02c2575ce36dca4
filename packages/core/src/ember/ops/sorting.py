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

__all__ = ["sort", "argsort", "topk"]

# torch.return_types.sort / topk: tuples whose fields read as .values and .indices
_SortResult = namedtuple("sort", ("values", "indices"))
_TopkResult = namedtuple("topk", ("values", "indices"))


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
