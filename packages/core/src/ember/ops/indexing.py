"""Indexing: ``x[index]``, ``x[index] = value``, gather/scatter, index_select, masks.

An index is applied as torch applies it: first its integers, slices, None and Ellipsis as a
view (``shape.Slice``), then its index arrays (integer and boolean tensors, lists, numpy
arrays) as numpy advanced indexing of that view. Applying integers first matters: numpy counts
an integer between index arrays as one of them, which moves the result's dimensions; torch
does not.

Gradients of what gathers in forward scatter-add in backward, duplicates accumulating, and
every backward is made of these same differentiable operations.

The Functions (``Gather``, ``ScatterAdd``, ``IndexAdd``, ...) and the kernel ``sum_rows`` are
shared with other op modules (embedding, sampling), which apply them directly on arguments
they have already checked; only the functions in ``__all__`` are public.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _versions, backend
from .._dtype import bool_, int32, int64
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd import function as _function
from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_mode
from . import pointwise as _pw
from ._util import wrap_dim
from .shape import Slice, SliceBackward, expand, infer_size, reshape

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "index_select",
    "index_add",
    "index_copy",
    "masked_fill",
    "masked_select",
    "nonzero",
    "take_along_dim",
    "take",
    "put",
    "index_fill",
    "index_reduce",
    "scatter_reduce",
    "masked_scatter",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "unravel_index",
    "as_strided",
]

# ------------------------------------------------------------------------- kernels


def sum_rows(rows, values, n):
    """``n`` rows of zeros with ``values[i]`` added to row ``rows[i]``, repeats accumulating.

    ``values`` is (M, R). On the CPU one ``np.add.at`` over flat positions, which numpy 2 runs
    as a plain loop: in order and in the values' dtype, as torch's CPU kernels add (an
    embedding's gradient, 8192 rows of 64 into 20000: 1.8 -> 1.1 ms against the ``bincount``
    below). On a GPU one ``bincount`` (cupy's ``add.at`` adds with atomics, in no fixed
    order): it sums in float64 (complex values: their two parts apart), exact for integers
    below 2**53.
    """
    xp = backend.array_module(values)
    r = values.shape[1]
    if xp is np:
        out = np.zeros((n, r), values.dtype)
        flat = rows if r == 1 else (rows[:, None] * r + np.arange(r)).ravel()
        np.add.at(out.reshape(-1), flat, values.reshape(-1))
        return out
    if rows.size == 0:  # (cupy's bincount takes the input's maximum)
        return xp.zeros((n, r), values.dtype)
    touched = None
    if rows.size < n:
        # few rows touched (an embedding's gradient): sum over the distinct rows only, so the
        # float64 buffer is the size of the values, not of the output
        touched, rows = xp.unique(rows, return_inverse=True)
    m = n if touched is None else touched.size
    flat = rows if r == 1 else (rows[:, None] * r + xp.arange(r)).ravel()
    weights = values.ravel()
    if weights.dtype.kind == "c":  # (cupy's bincount adds real weights only: the parts apart)
        sums = xp.bincount(flat, weights.real, m * r) + 1j * xp.bincount(flat, weights.imag, m * r)
    else:
        sums = xp.bincount(flat, weights, m * r)
    sums = sums.reshape(m, r).astype(values.dtype, copy=False)
    if touched is None:
        return sums
    out = xp.zeros((n, r), values.dtype)
    out[touched] = sums
    return out


def _nd(a):
    """``a`` with at least one dimension: torch's dim-wise kernels treat a scalar as 1-d."""
    return a if a.ndim else a.reshape(1)


def _along_dim(index, dim):
    """The numpy key that addresses, for each element of ``index``, position ``index[i]``
    along ``dim`` and the element's own coordinates elsewhere (gather's addressing)."""
    xp = backend.array_module(index)
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index.astype(np.int64, copy=False))
        else:
            key.append(xp.arange(n).reshape((n,) + (1,) * (index.ndim - d - 1)))
    return tuple(key)


def _flat_positions(coords, sizes, shape):
    """Row-major positions, in an array of ``sizes``, of the points whose coordinates are the
    index arrays ``coords`` (negatives wrap), broadcast to ``shape`` and flattened."""
    rows = 0
    for k, n in zip(coords, sizes):
        rows = rows * n + k % n
    return backend.array_module(rows).broadcast_to(rows, shape).ravel()


def _scalar(input, value):
    """``value`` as a 0-d array of ``input``'s dtype and device (cast as torch casts)."""
    xp = backend.array_module(input._data)
    return xp.asarray(value).astype(input._data.dtype)


def _prefix(shape):
    """The basic key selecting the leading ``shape`` block of a larger array."""
    return tuple(slice(0, n) for n in shape)


# ------------------------------------------------------------------------ parsed index


class _Advanced:
    """The index arrays of an index, applied to the view its basic part made.

    ``key`` has an int64 array at each indexed dimension of the view and full slices
    between; ``unique`` says no position is indexed twice (arrays from boolean masks only),
    so backward can assign instead of accumulating.
    """

    __slots__ = ("key", "dims", "shape", "unique")

    def __init__(self, arrays, unique):
        self.dims = sorted(arrays)
        self.key = tuple(arrays.get(d, slice(None)) for d in range(self.dims[-1] + 1))
        xp = backend.array_module(arrays[self.dims[0]])
        shapes = [arrays[d].shape for d in self.dims]
        try:
            self.shape = tuple(xp.broadcast_shapes(*shapes))
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(str(list(s)) for s in shapes)
            ) from None
        self.unique = unique

    def adjacent(self):
        """numpy's (and torch's) placement rule: index arrays next to each other put the
        broadcast dimensions where they stand; separated ones put them first."""
        return self.dims == list(range(self.dims[0], self.dims[-1] + 1))

    def result_shape(self, view_shape):
        rest = [s for d, s in enumerate(view_shape) if d not in self.dims]
        at = self.dims[0] if self.adjacent() else 0
        return tuple(rest[:at]) + self.shape + tuple(rest[at:])

    def sum_into_zeros(self, values, shape):
        """Zeros of ``shape`` with ``values`` added at ``key`` (the inverse of indexing)."""
        xp = backend.array_module(values)
        if self.unique:
            out = xp.zeros(shape, values.dtype)
            out[self.key] = values
            return out
        k, nb = len(self.dims), len(self.shape)
        sizes = tuple(shape[d] for d in self.dims)
        rest = tuple(s for d, s in enumerate(shape) if d not in self.dims)
        rows = _flat_positions([self.key[d] for d in self.dims], sizes, self.shape)
        # sum the values, broadcast dims first, into rows of the indexed dims, then put the
        # indexed dims back where they belong
        at = self.dims[0] if self.adjacent() else 0
        values = xp.moveaxis(values, tuple(range(at, at + nb)), tuple(range(nb)))
        summed = sum_rows(rows, values.reshape(rows.size, math.prod(rest)), math.prod(sizes))
        return xp.moveaxis(summed.reshape(sizes + rest), tuple(range(k)), self.dims)


class _Index:
    """A parsed Python index: ``basic`` (ints, slices, None) for ``shape.Slice`` and the
    ``_Advanced`` part (or None) for the view that makes."""

    __slots__ = ("basic", "advanced", "view_shape")

    def __init__(self, basic, advanced, view_shape):
        self.basic, self.advanced, self.view_shape = basic, advanced, view_shape

    def result_shape(self):
        if self.advanced is None:
            return self.view_shape
        return self.advanced.result_shape(self.view_shape)


_INVALID_TYPE = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
    "indices (got {})"
)


def _sequence_is_tuple(index):
    """torch's (numpy's legacy) heuristic: a short list holding tensors, sequences, slices,
    None or Ellipsis is a tuple of indices (``x[[0, slice(None)]]``); other lists are one
    index array."""
    if not isinstance(index, list) or len(index) >= 32:
        return False
    return any(
        isinstance(i, (Tensor, list, tuple, np.ndarray, slice)) or i is None or i is Ellipsis
        for i in index
    )


def _classify(item, device):
    """One index item as (kind, value): kinds int, slice, none, ellipsis, bool, array, mask."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, numbers.Integral):
        return "int", int(item)
    if isinstance(item, slice):
        step = 1 if item.step is None else item.step.__index__()
        if step <= 0:
            raise ValueError("step must be greater than zero")
        return "slice", slice(
            None if item.start is None else item.start.__index__(),
            None if item.stop is None else item.stop.__index__(),
            step,
        )
    if isinstance(item, Tensor):
        array = item._data
        if backend.is_cuda_array(array) and device.type == "cpu":
            raise RuntimeError(
                "indices should be either on cpu or on the same device as the indexed tensor (cpu)"
            )
    elif isinstance(item, (list, tuple, np.ndarray)):
        array = np.asarray(item)
        if array.size == 0 and not isinstance(item, np.ndarray):
            array = array.astype(np.int64)  # x[[]] selects nothing, like torch
    else:
        raise IndexError(_INVALID_TYPE.format(type(item).__name__))
    kind = array.dtype.kind
    if kind == "b" or array.dtype == np.uint8:
        if kind != "b":
            warnings.warn(
                "indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                "torch.bool instead.",
                UserWarning,
                stacklevel=5,
            )
            array = array.astype(bool)
        if array.ndim == 0:
            return "bool", bool(array)
        return "mask", backend.to_device(array, device)
    if kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if array.ndim == 0:
        return "int", int(array)
    return "array", backend.to_device(array.astype(np.int64, copy=False), device)


def _parse(input, index):
    """Split ``index`` into its basic and advanced parts, with torch's checks and messages."""
    shape = input._data.shape
    device = backend.device_of(input._data)
    xp = backend.array_module(input._data)
    if _sequence_is_tuple(index):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated, as in "
            "torch; use x[tuple(seq)] instead of x[seq].",
            UserWarning,
            stacklevel=4,
        )
        index = tuple(index)
    elif not isinstance(index, tuple):
        index = (index,)
    items = [_classify(item, device) for item in index]
    kinds = [kind for kind, _ in items]
    if kinds.count("ellipsis") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    specified = sum(
        value.ndim if kind == "mask" else kind in ("int", "slice", "array") for kind, value in items
    )
    if specified > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    basic, pending = [], []
    d_in = d_out = 0  # the dimension an item applies to, in the input and in the view
    for kind, value in items:
        if kind == "int":
            size = shape[d_in]
            if not -size <= value < size:
                raise IndexError(
                    f"index {value} is out of bounds for dimension {d_in} with size {size}"
                )
            basic.append(value)
            d_in += 1
        elif kind == "slice":
            basic.append(value)
            d_in += 1
            d_out += 1
        elif kind == "none":
            basic.append(None)
            d_out += 1
        elif kind == "bool":
            # torch: a new dimension of size 1, indexed by [0] (True) or [] (False)
            basic.append(None)
            pending.append((d_out, kind, xp.arange(int(value), dtype=np.int64)))
            d_out += 1
        else:  # ellipsis, array, mask: full slices over the dimensions they cover
            if kind == "ellipsis":
                n = len(shape) - specified
            else:
                n = value.ndim if kind == "mask" else 1
            basic.extend([slice(None)] * n)
            if kind != "ellipsis":
                pending.append((d_out, kind, value))
            d_in += n
            d_out += n
    basic = tuple(basic)
    view_shape = input._data[basic + (Ellipsis,)].shape
    advanced = _advanced(pending, view_shape) if pending else None
    return _Index(basic, advanced, view_shape)


def _advanced(pending, view_shape):
    """Check the index arrays against the view and gather them by dimension."""
    arrays, unique = {}, True
    for ordinal, (d, kind, value) in enumerate(pending):
        if kind == "mask":
            for j, n in enumerate(value.shape):
                if n != view_shape[d + j]:
                    raise IndexError(
                        f"The shape of the mask {list(value.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(view_shape)} at index {d + j}"
                    )
            xp = backend.array_module(value)
            for j, coords in enumerate(xp.nonzero(value)):
                arrays[d + j] = coords.astype(np.int64, copy=False)
            continue
        if kind == "array":
            # torch numbers the dimension among the index tensors, not the tensor's dims
            _check_bounds(value, view_shape[d], ordinal, IndexError, negative=True)
            unique = False
        arrays[d] = value
    return _Advanced(arrays, unique)


def _check_bounds(index, size, dim, error, negative=False):
    """torch's message for the first kind of out-of-range index found (one device sync)."""
    if index.size == 0:
        return
    lo, hi = int(index.min()), int(index.max())
    bad = hi if hi >= size else lo if lo < (-size if negative else 0) else None
    if bad is not None:
        raise error(f"index {bad} is out of bounds for dimension {dim} with size {size}")


# ----------------------------------------------------------------------- getitem/setitem


class Index(Function):
    """Advanced indexing of a view by index arrays (a copy)."""

    @staticmethod
    def forward(ctx, x, advanced):
        ctx.shape, ctx.advanced = x.shape, advanced
        return x[advanced.key]

    @staticmethod
    def backward(ctx, gy):
        return IndexBackward.apply(gy, ctx.shape, ctx.advanced), None


class IndexBackward(Function):
    """The gradient of advanced indexing: ``gy`` summed into zeros at the indexed positions."""

    @staticmethod
    def forward(ctx, gy, shape, advanced):
        ctx.advanced = advanced
        return advanced.sum_into_zeros(gy, shape)

    @staticmethod
    def backward(ctx, ggx):
        return Index.apply(ggx, ctx.advanced), None, None


class IndexPut(Function):
    """``x`` with ``value`` written at ``index``, out of place (``setitem`` runs it through
    ``Tensor._inplace``, which writes the result back and rebases the history)."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index = index
        y = x.copy()
        _put(y, index, value)
        return y

    @staticmethod
    def backward(ctx, gy):
        index = ctx.index
        # the old values at index were overwritten: no gradient reaches them
        gx = IndexPut.apply(gy, gy.new_zeros(()), index) if ctx.needs_input_grad[0] else None
        gvalue = _apply(gy, index) if ctx.needs_input_grad[1] else None
        return gx, gvalue, None


def _apply(input, index):
    """``input[index]`` for a parsed index: the basic view, then the advanced copy."""
    view = input
    if index.advanced is None or any(k != slice(None) for k in index.basic):
        view = Slice.apply(input, index.basic)
    return view if index.advanced is None else Index.apply(view, index.advanced)


def _put(array, index, value):
    view = array[index.basic + (Ellipsis,)]
    if index.advanced is None:
        view[...] = value
    else:
        view[index.advanced.key] = value


def getitem(input, index):
    """``input[index]`` with torch's rules: ints, slices (positive steps), None, Ellipsis,
    bools, integer or boolean tensors, lists and numpy arrays. Basic indexing gives a view,
    advanced indexing a copy."""
    return _apply(input, _parse(input, index))


def _setitem_value(input, value, index):
    """``value`` as a tensor on ``input``'s device that fits the indexed positions."""
    target = index.result_shape()
    if isinstance(value, Tensor):
        if value._data.ndim == 0 and value.device != input.device:
            value = value.to(input.device)  # a CPU scalar may be written to any device
        shape = value._data.shape
        lead = 0
        while lead < len(shape) and shape[lead] == 1:
            lead += 1
        # torch drops leading size-1 dims of the value: x[0] = ones(1, 3) fills a row
        value = reshape(value, shape[lead:]) if lead else value
        if value.device != input.device:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two "
                f"devices, {input.device} and {value.device}!"
            )
    elif isinstance(value, (numbers.Number, np.bool_)):
        return Tensor._make(_scalar(input, value))
    else:
        raise TypeError(
            f"can't assign a {type(value).__name__} to a ember.{input.dtype.scalar_name}Tensor"
        )
    if index.advanced is None:
        return expand(value, target)  # raises torch's copy_ message when it does not fit
    try:
        np.broadcast_shapes(value._data.shape, target)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be "
            f"broadcast to indexing result of shape {list(target)}"
        ) from None
    if value.dtype != input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{input.dtype.scalar_name} for the destination and {value.dtype.scalar_name} for "
            "the source."
        )
    return value


def setitem(input, index, value):
    """``input[index] = value`` in place: views of ``input`` see the write, and autograd
    rebases ``input``'s history onto it (the overwritten values get no gradient, ``value``
    gets the gradient of the positions it fills)."""
    index = _parse(input, index)
    value = _setitem_value(input, value, index)
    if input._writes_recorded() or (_grad_mode.enabled and value._requires_grad):
        input._inplace(IndexPut.apply, value, index)
    else:
        _put(input._data, index, value._data)
        _versions.bump(input._data)


# ------------------------------------------------------------------ writes through views


def _view_index(view):
    """The parsed index of ``view``'s elements within its base flattened: where an in-place
    write through the view lands."""
    base = view._base
    positions = _positions(base._data, view._data)
    return _parse(Tensor._make(base._data.reshape(-1)), Tensor._make(positions))


def _positions(base, view):
    """Each element of ``view`` (an array sharing ``base``'s memory, inside it) as its flat
    index in ``base`` (C order): an int64 array of ``view``'s shape. Any strides, negative
    too: the indices are laid out in a scratch array with ``base``'s memory layout."""
    xp = backend.array_module(base)
    item = base.itemsize

    def address(a):
        return a.__array_interface__["data"][0] if xp is np else a.data.ptr

    def extent(a, offset):
        ends = [(n - 1) * s for n, s in zip(a.shape, a.strides)]
        return offset + sum(min(0, e) for e in ends), offset + sum(max(0, e) for e in ends)

    if view.size == 0:
        return xp.zeros(view.shape, dtype=np.int64)
    lo, hi = extent(base, 0)
    offset = address(view) - address(base)
    view_lo, view_hi = extent(view, offset)
    if view_lo < lo or view_hi > hi:
        raise RuntimeError("internal error: a view reaches outside its base's memory")
    scratch = xp.empty((hi - lo) // item + 1, dtype=np.int64)

    def laid_out(a, at):
        strides = tuple(s // item * scratch.itemsize for s in a.strides)
        start = scratch[(at - lo) // item :]
        return xp.lib.stride_tricks.as_strided(start, a.shape, strides)

    laid_out(base, 0)[...] = xp.arange(base.size, dtype=np.int64).reshape(base.shape)
    return laid_out(view, offset).copy()


def refresh_view(view):
    """Give ``view`` its history again as a view of its base's current history (the base was
    rebased by an in-place write since ``view`` got its own), as torch regenerates a view's
    ``grad_fn``. Its values are already in place."""
    node = view._grad_fn
    if node is not None and node.fn._user_defined:
        # the new history would bypass the custom backward: refused, as torch refuses it
        raise RuntimeError(
            f"Output {view._output_nr} of {node.name()} is a view and its base or another view "
            "of its base has been modified inplace. This view was created inside a custom "
            "Function (or because an input was returned as-is) and the autograd logic to "
            "handle view+inplace would override the custom backward associated with the custom "
            "Function, leading to incorrect gradients. This behavior is forbidden. You can fix "
            "this by cloning the output of the custom Function."
        )
    view._rebase(_apply(view._base._snapshot().reshape(-1), _view_index(view)))


def write_through_view(view, op, args, kwargs):
    """``Tensor._inplace`` for a view: write ``op(view, *args)`` into ``view``'s memory and
    rebase the history of its base on the write (torch's ``CopySlices``): the base becomes its
    old self with the view's positions replaced by the new values, and the view becomes those
    positions of the new base. Other views of the base follow when next used."""
    base = view._base
    if base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    if getattr(base, "_history_at", 0) > view._history_at:
        refresh_view(view)
    old = view._snapshot()
    since = _function._next_seq()
    out = op(old, *args, **kwargs)
    _function.keep_saved_copies(out, old._data, since)
    index = _view_index(view)
    view._write(out._data)
    flat = IndexPut.apply(base._snapshot().reshape(-1), out, index)
    base._rebase(flat.reshape(base._data.shape))
    view._rebase(_apply(flat, index))
    return view


# ------------------------------------------------------------------ gather and scatter


def _check_index_dtype(index, message, allowed=(int64, int32)):
    """Require an integer index tensor; ``message`` may name the dtype as ``{}``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"index must be Tensor, not {type(index).__name__}")
    if index._data.size and index.dtype not in allowed:
        raise RuntimeError(message.format(index.dtype.scalar_name))


def _check_gather(name, input, dim, index, src=None):
    """torch's dtype, rank, shape and range checks for gather/scatter; returns ``dim``
    wrapped."""
    _check_index_dtype(index, f"{name}(): Expected dtype int32/int64 for index")
    ndim = max(input._data.ndim, 1)
    dim = wrap_dim(dim, ndim)
    if index._data.size == 0:
        return dim
    owner = "input" if name == "gather" else "self"
    if max(index._data.ndim, 1) != ndim:
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as {owner} tensor"
        )
    in_shape, idx_shape = _nd(input._data).shape, _nd(index._data).shape
    src_shape = None if src is None else _nd(src._data).shape
    if src is not None and len(src_shape) != ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(ndim):
        too_big = d != dim and idx_shape[d] > in_shape[d]
        if name == "gather" and too_big:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                f"no larger than self {list(input.shape)} apart from dimension {dim}"
            )
        if too_big or (src_shape is not None and idx_shape[d] > src_shape[d]):
            message = (
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {dim}"
            )
            if src is not None:
                message += f" and to be no larger size than src {list(src.shape)}"
            raise RuntimeError(message)
    _check_bounds(index._data, in_shape[dim], dim, RuntimeError)
    return dim


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        return _nd(x)[_along_dim(_nd(index), dim)].reshape(index.shape)

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved_tensors
        return ScatterAdd.apply(gy.new_zeros(ctx.shape), ctx.dim, index, gy), None, None


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.src_shape = dim, src.shape
        ctx.save_for_backward(index)
        index, out = _nd(index), _nd(x)
        rows = _flat_positions(_along_dim(index, dim), out.shape, index.shape)
        values = _nd(src)[_prefix(index.shape)].astype(x.dtype, copy=False)
        added = sum_rows(rows, values.reshape(-1, 1), out.size)
        return x + added.reshape(x.shape)

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved_tensors
        return gy, None, None, _src_grad(ctx, gy, index)


class Scatter(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.src_shape = dim, src.shape
        ctx.save_for_backward(index)
        y = x.copy()
        index = _nd(index)
        _nd(y)[_along_dim(index, dim)] = _nd(src)[_prefix(index.shape)]
        return y

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved_tensors
        gx = None
        if ctx.needs_input_grad[0]:
            gx = Scatter.apply(gy, ctx.dim, index, _scatter_src("scatter", gy, index, 0))
        return gx, None, None, _src_grad(ctx, gy, index)


class ScatterMultiply(Function):
    """``scatter(..., reduce="multiply")``; like torch, it has no gradient."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        return _scatter_combine(x, dim, index, src, lambda a, b: a * b)


def _scatter_combine(x, dim, index, src, combine):
    """``x`` with each ``src`` value combined (``combine(old, value)``) into its scatter
    position, repeated positions in turn (``multiply.at`` / ``maximum.at``, which cupy lacks)."""
    xp = backend.array_module(x)
    index = _nd(index)
    y = _nd(x.copy())
    rows = _flat_positions(_along_dim(index, dim), y.shape, index.shape)
    values = _nd(src)[_prefix(index.shape)].ravel()
    # in rounds, the r-th value of each position in round r, so that no round writes a
    # position twice (as many rounds as the most repeats)
    order = xp.argsort(rows)
    rows, values = rows[order], values[order]
    first = xp.ones(rows.shape, bool)
    first[1:] = rows[1:] != rows[:-1]
    starts = xp.flatnonzero(first)
    rank = xp.arange(rows.size) - starts[xp.cumsum(first) - 1]
    flat = y.reshape(-1)
    for r in range(int(rank.max()) + 1 if rows.size else 0):
        chosen = rank == r
        flat[rows[chosen]] = combine(flat[rows[chosen]], values[chosen])
    return flat.reshape(x.shape)


def _src_grad(ctx, gy, index):
    """The gradient of a scatter's ``src`` (input 3), or None where not needed: ``gy``
    gathered at ``index``, in the leading block of zeros of src's shape (src may be larger
    than index)."""
    if not ctx.needs_input_grad[3]:
        return None
    g = Gather.apply(gy, ctx.dim, index)
    if tuple(g.shape) == tuple(ctx.src_shape):
        return g
    return SliceBackward.apply(g, ctx.src_shape, _prefix(g.shape))


def gather(input, dim, index):
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for ``dim == 0`` (and likewise for
    other dims); ``out`` has ``index``'s shape."""
    dim = _check_gather("gather", input, dim, index)
    return Gather.apply(input, dim, index)


def _scatter_src(name, input, index, src):
    """``src`` as a tensor of ``input``'s dtype: a number becomes a broadcast constant."""
    if isinstance(src, Tensor):
        if src.dtype != input.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        return src
    xp = backend.array_module(input._data)
    return Tensor._make(xp.broadcast_to(_scalar(input, src), index._data.shape))


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Out of place: ``input`` with ``out[index[i][j]][j] = src[i][j]`` for ``dim == 0``.

    ``src`` may be a tensor (only its leading ``index``-shaped block is used) or a number
    (also accepted as ``value``). ``reduce="add"`` or ``"multiply"`` combines instead of
    overwriting; positions written twice without ``reduce`` get an unspecified one of the
    values, as in torch.
    """
    if src is None:
        if value is None:
            raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
        src = value
    tensor_src = src if isinstance(src, Tensor) else None
    dim = _check_gather("scatter", input, dim, index, tensor_src)
    src = _scatter_src("scatter", input, index, src)
    if reduce is None:
        return Scatter.apply(input, dim, index, src)
    if reduce == "add":
        return ScatterAdd.apply(input, dim, index, src)
    if reduce == "multiply":
        return ScatterMultiply.apply(input, dim, index, src)
    raise RuntimeError("reduce argument must be either add or multiply.")


@autocast_op("scatter_add")
def scatter_add(input, dim, index, src):
    """Out of place: ``input`` with ``src[i][j]`` added at ``out[index[i][j]][j]`` for
    ``dim == 0``; repeated positions accumulate."""
    dim = _check_gather("scatter_add", input, dim, index, src)
    src = _scatter_src("scatter_add", input, index, src)
    return ScatterAdd.apply(input, dim, index, src)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim``, the other dimensions broadcast
    (numpy's ``take_along_axis``); without ``dim`` both are flattened."""
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    ndim = input._data.ndim
    if indices._data.ndim != ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {ndim} dimensions for input, and {indices._data.ndim} "
            "dimensions for indices"
        )
    dim = wrap_dim(dim, ndim)
    a, b = list(input._data.shape), list(indices._data.shape)
    n_in, n_idx = a[dim], b[dim]
    a[dim] = b[dim] = 1
    shape = list(infer_size([a, b]))
    input = expand(input, shape[:dim] + [n_in] + shape[dim + 1 :])
    indices = expand(indices, shape[:dim] + [n_idx] + shape[dim + 1 :])
    return gather(input, dim, indices)


# --------------------------------------------------------------- index_select and friends


def _check_index_vector(name, index, message, allowed=(int64, int32)):
    _check_index_dtype(index, message, allowed)
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")


def _rows(a, dim):
    """``a`` with ``dim`` moved first and the other dims flattened: (size, rest)."""
    a = backend.array_module(a).moveaxis(_nd(a), dim, 0)
    return a.reshape(a.shape[0], math.prod(a.shape[1:]))


def _check_source(name, input, dim, index, source):
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"{name}_(): self ({input.dtype.scalar_name}) and source "
            f"({source.dtype.scalar_name}) must have the same scalar type"
        )
    expected = list(_nd(input._data).shape)
    expected[dim] = index._data.size
    if list(_nd(source._data).shape) != expected:
        raise RuntimeError(
            f"{name}_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {list(input.shape)} at dimension {dim} and source slice shape: "
            f"{list(source.shape)} at dimension {dim}."
        )


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        y = backend.array_module(x).take(_nd(x), index.reshape(-1), axis=dim)
        return y if x.ndim else y.reshape(())

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved_tensors
        return IndexAdd.apply(gy.new_zeros(ctx.shape), ctx.dim, index, gy, 1), None, None


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        xp = backend.array_module(x)
        values = _rows(source, dim).astype(x.dtype, copy=False)
        summed = sum_rows(index.reshape(-1).astype(np.int64, copy=False), values, _nd(x).shape[dim])
        moved = xp.moveaxis(_nd(x), dim, 0).shape
        added = xp.moveaxis(summed.reshape(moved), 0, dim).reshape(x.shape)
        return x + (added if alpha == 1 else added * x.dtype.type(alpha))

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved_tensors
        gsource = None
        if ctx.needs_input_grad[3]:
            gsource = IndexSelect.apply(gy, ctx.dim, index)
            gsource = gsource if ctx.alpha == 1 else gsource * ctx.alpha
        return gy, None, None, gsource, None


class IndexCopy(Function):
    @staticmethod
    def forward(ctx, x, dim, index, source):
        ctx.dim, ctx.source_shape = dim, source.shape
        ctx.save_for_backward(index)
        y = x.copy()
        xp = backend.array_module(x)
        xp.moveaxis(_nd(y), dim, 0)[index.reshape(-1)] = xp.moveaxis(_nd(source), dim, 0)
        return y

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved_tensors
        gx = gsource = None
        if ctx.needs_input_grad[0]:
            gx = IndexCopy.apply(gy, ctx.dim, index, gy.new_zeros(ctx.source_shape))
        if ctx.needs_input_grad[3]:
            gsource = IndexSelect.apply(gy, ctx.dim, index).reshape(ctx.source_shape)
        return gx, None, None, gsource


def _index_dim(name, input, dim, index):
    """``dim`` wrapped, after torch's range check of ``index`` for operation ``name`` (no
    negative indices), with torch's error for it."""
    dim = wrap_dim(dim, max(input._data.ndim, 1))
    size = _nd(input._data).shape[dim]
    index_data = index._data.reshape(-1)
    if index_data.size and (int(index_data.min()) < 0 or int(index_data.max()) >= size):
        if name == "index_select":
            raise IndexError("index out of range in self")
        bad = int(index_data[(index_data < 0) | (index_data >= size)][0])
        message = f"index {bad} is out of bounds for dimension {dim} with size {size}"
        if name == "index_add":
            raise RuntimeError(message)
        raise IndexError(f"{name}_(): {message}")
    return dim


def index_select(input, dim, index):
    """The entries of ``input`` at positions ``index`` (a 1-d integer tensor) along ``dim``."""
    _check_index_vector(
        "index_select", index, "index_select(): Expected dtype int32 or int64 for index"
    )
    dim = _index_dim("index_select", input, dim, index)
    return IndexSelect.apply(input, dim, index)


def index_add(input, dim, index, source, *, alpha=1):
    """Out of place: ``input`` with ``alpha * source[i]`` added at position ``index[i]`` along
    ``dim``; repeated indices accumulate."""
    message = "index_add_(): Expected dtype int32/int64 for index but got: {}"
    _check_index_vector("index_add_", index, message)
    dim = _index_dim("index_add", input, dim, index)
    _check_source("index_add", input, dim, index, source)
    return IndexAdd.apply(input, dim, index, source, alpha)


@autocast_op("index_copy")
def index_copy(input, dim, index, source):
    """Out of place: ``input`` with ``source[i]`` copied to position ``index[i]`` along
    ``dim``."""
    message = "index_copy_(): Expected a long tensor for index, but got {}"
    _check_index_vector("index_copy_", index, message, allowed=(int64,))
    dim = _index_dim("index_copy", input, dim, index)
    count = _nd(source._data).shape[dim] if dim < max(source._data.ndim, 1) else None
    if index._data.size != count:
        raise IndexError(
            f"index_copy_(): Number of indices ({index._data.size}) should be equal to "
            f"source.size(dim) ({count})"
        )
    _check_source("index_copy", input, dim, index, source)
    return IndexCopy.apply(input, dim, index, source)


# ------------------------------------------------------------------------------- masks

# torch names a mask's dtype by its C++ type in masked_fill's error
_C_TYPES = {
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
}


def masked_fill(input, mask, value):
    """``input`` with ``value`` (a number or a 0-d tensor) where the boolean ``mask`` (which
    broadcasts with ``input``) is True."""
    if mask.dtype is not bool_:
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{_C_TYPES[mask.dtype.name]}"
        )
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        fill = value.to(device=input.device, dtype=input.dtype)
    else:
        fill = Tensor._make(_scalar(input, value))
    return _pw.where(mask, fill, input)


def masked_select(input, mask):
    """The entries of ``input`` where the boolean ``mask`` is True, as a 1-d tensor (the two
    broadcast)."""
    if mask.dtype is not bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    if not shape:
        shape = (1,)
    return getitem(expand(input, shape), expand(mask, shape))


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero entries: an (n, input.dim()) int64 tensor, or with
    ``as_tuple`` one 1-d tensor per dimension (a 0-d input counts as 1-d)."""
    x = input._data
    xp = backend.array_module(x)
    coords = xp.nonzero(_nd(x))  # numpy refuses 0-d arrays here
    if as_tuple:
        return tuple(Tensor._make(c.astype(np.int64, copy=False)) for c in coords)
    if x.ndim == 0:
        return Tensor._make(xp.zeros((coords[0].size, 0), np.int64))
    return Tensor._make(xp.stack(coords, axis=1).astype(np.int64, copy=False))


# ------------------------------------------------------------ take, put, *_scatter, ...


def take(input, index):
    """The elements of ``input`` (read as 1-D, row-major) at ``index``; the result has
    ``index``'s shape."""
    _check_index_dtype(index, "take(): Expected a long tensor for index, but got {}", (int64,))
    n = input.numel()
    data = index._data
    if data.size and bool(((data < -n) | (data >= n)).any()):
        bad = int(data[(data < -n) | (data >= n)].reshape(-1)[0])
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return input.reshape(-1)[index]


def put(input, index, source, accumulate=False):
    """Out of place ``put_``: ``input`` (read as 1-D) with ``source``'s elements written
    (added, with ``accumulate``) at ``index``."""
    _check_index_dtype(index, "put_(): Expected a long tensor for index, but got {}", (int64,))
    if index.numel() != source.numel():
        raise RuntimeError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    n = input.numel()
    positions = Tensor._make(index._data.reshape(-1) % max(n, 1))
    flat = input.reshape(-1)
    values = source.reshape(-1)
    if accumulate:
        return index_add(flat, 0, positions, values).reshape(input.shape)
    return index_copy(flat, 0, positions, values).reshape(input.shape)


def index_fill(input, dim, index, value):
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-D tensor)."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    dim = _index_dim("index_fill", input, dim, index)
    xp = backend.array_module(input._data)
    ndim = input._data.ndim
    mask = xp.zeros(input._data.shape[dim] if ndim else 1, dtype=bool)
    mask[index._data.reshape(-1)] = True
    shape = [1] * ndim
    if ndim:
        shape[dim] = mask.size
    return _pw.where(Tensor._make(mask.reshape(shape)), value, input)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with the ``src`` values at ``index`` along ``dim`` (as ``scatter``)
    reduced into their positions by ``reduce``: ``"sum"``, ``"prod"``, ``"mean"``,
    ``"amax"`` or ``"amin"``; with ``include_self=False`` a position's old value does not
    take part (positions nothing is scattered to keep it).

    Gradients: as torch for ``sum``, ``mean``, ``amax`` and ``amin`` (ties share evenly);
    ``prod`` has none in Ember.
    """
    if reduce not in _REDUCTIONS:
        raise RuntimeError(
            "reduce argument must be either sum, prod, mean, amax or amin, got " + str(reduce)
        )
    dim = _check_gather("scatter_reduce", input, dim, index, src)
    src = _scatter_src("scatter_reduce", input, index, src)
    values = src[_prefix(index._data.shape)]  # the leading block of src that is used
    zeros = input.new_zeros(input.shape)
    hit = ScatterAdd.apply(zeros, dim, index, _scatter_src("scatter_reduce", input, index, 1))
    if reduce == "sum" or reduce == "mean":
        start = input if include_self else Scatter.apply(input, dim, index, values * 0)
        total = ScatterAdd.apply(start, dim, index, values)
        if reduce == "sum":
            return total
        count = hit + 1 if include_self else _pw.where(hit == 0, 1, hit)
        if input._data.dtype.kind in "iub":
            return _pw.div(total, count, rounding_mode="floor")
        return total / count
    if reduce == "prod":
        one = _scatter_src("scatter_reduce", input, index, 1)
        start = input if include_self else Scatter.apply(input, dim, index, one)
        return ScatterMultiply.apply(start, dim, index, values)
    xp = backend.array_module(input._data)
    combine = xp.maximum if reduce == "amax" else xp.minimum
    chosen = input._data
    if not include_self:  # a position scattered to starts from one of its values
        chosen = Scatter.apply(Tensor._make(chosen), dim, index, values.detach())._data
    result = Tensor._make(_scatter_combine(chosen, dim, index._data, values._data, combine))
    if input._data.dtype.kind != "f":
        return result
    # the sum of the values equal to the result over their count: the result, with torch's
    # gradient (shared evenly by tied values)
    self_wins = input == result
    if not include_self:
        self_wins = self_wins & (hit == 0)
    src_wins = Gather.apply(result, dim, index) == values
    total = _pw.where(self_wins, input, 0.0) + ScatterAdd.apply(
        zeros, dim, index, _pw.where(src_wins, values, 0.0)
    )
    count = self_wins.to(input.dtype) + ScatterAdd.apply(
        zeros, dim, index, src_wins.to(input.dtype)
    )
    return total / count


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """``input`` with the slices of ``source`` along ``dim`` reduced into the slices at
    ``index`` by ``reduce``: ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"`` (see
    ``scatter_reduce``, which this is with ``index`` spread over ``source``'s shape)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    warnings.warn(
        "index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=2
    )
    dim = _index_dim("index_reduce", input, dim, index)
    shape = [1] * source.ndim
    if source.ndim:
        shape[dim] = -1
    spread = Tensor._make(
        backend.array_module(index._data)
        .broadcast_to(index._data.reshape(shape), source._data.shape)
        .astype(np.int64)
    )
    return scatter_reduce(input, dim, spread, source, reduce, include_self=include_self)


def masked_scatter(input, mask, source):
    """``input`` with the positions where ``mask`` (bool, broadcast to ``input``) is True
    filled, in row-major order, with consecutive elements of ``source``."""
    if mask.dtype != bool_:
        raise RuntimeError(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{mask.dtype.cpp_name}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got "
            f"{input.dtype.scalar_name} and {source.dtype.scalar_name}"
        )
    full = expand(mask, infer_size([tuple(mask.shape), tuple(input.shape)]))
    input = expand(input, full.shape)
    count = int(full._data.sum())
    if count > source.numel():
        raise RuntimeError(
            "masked_scatter: expected source to have at least as many elements as the ones to be masked"
        )
    out = input.clone()
    out[full] = source.reshape(-1)[:count]
    return out


def select_scatter(input, src, dim, index):
    """``input`` with ``src`` written at ``index`` along ``dim`` (where ``select`` reads)."""
    dim = wrap_dim(dim, input.ndim)
    out = input.clone()
    out[(slice(None),) * dim + (index,)] = src
    return out


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``src`` written at ``start:end:step`` along ``dim``."""
    dim = wrap_dim(dim, input.ndim)
    out = input.clone()
    out[(slice(None),) * dim + (slice(start, end, step),)] = src
    return out


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with ``src`` written on the diagonal ``diagonal(offset, dim1, dim2)``
    reads (``src`` has that diagonal's shape: the others, then the diagonal last)."""
    dim1, dim2 = wrap_dim(dim1, input.ndim), wrap_dim(dim2, input.ndim)
    expected = tuple(input.diagonal(offset, dim1, dim2).shape)
    if tuple(src.shape) != expected:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(expected)}"
        )
    xp = backend.array_module(input._data)
    n = expected[-1]
    rows = xp.arange(n) + max(-offset, 0)
    cols = xp.arange(n) + max(offset, 0)
    index = [slice(None)] * input.ndim
    index[dim1], index[dim2] = Tensor._make(rows), Tensor._make(cols)
    # numpy puts the indexed dimension where the two were if they are adjacent, else first
    first = min(dim1, dim2) if abs(dim1 - dim2) == 1 else 0
    out = input.clone()
    out[tuple(index)] = src.movedim(-1, first)
    return out


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of the flat (row-major) ``indices``: a tuple
    of int64 tensors like ``indices``, one per dimension. Indices outside ``[0, numel)`` wrap
    around, as in torch."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype == bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    n = math.prod(shape)
    data = indices._data.astype(np.int64) % max(n, 1)  # wrapped, as torch does
    coords = []
    for size in reversed(shape):
        coords.append(data % size if size else data)
        data = data // size if size else data
    return tuple(Tensor._make(c) for c in reversed(coords))


def as_strided(input, size, stride, storage_offset=0):
    """The tensor of ``size`` whose element ``(i, j, ...)`` is ``input``'s element number
    ``storage_offset + i * stride[0] + j * stride[1] + ...`` in row-major order.

    Ember's tensors have no shared storage: this reads ``input`` as if it were contiguous
    (what torch does for a contiguous tensor) and returns a copy, not a view; gradients
    flow back to the elements read (summed where several positions read one)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    xp = backend.array_module(input._data)
    positions = xp.full(size, storage_offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        positions = positions + xp.arange(n, dtype=np.int64).reshape(shape) * s
    if positions.size and int(positions.max()) >= input.numel():
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{storage_offset}, and itemsize {input._data.itemsize} requiring a storage size "
            f"of {(int(positions.max()) + 1) * input._data.itemsize} are out of bounds for "
            f"storage of size {input.numel() * input._data.itemsize}"
        )
    return input.reshape(-1)[Tensor._make(positions)]
