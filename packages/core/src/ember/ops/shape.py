"""Shape operations: views and rearrangements that move gradients without arithmetic.

What torch returns as a view (reshape, permute, expand, slicing, narrow, squeeze, diagonal,
split, unbind, ...) is a numpy/cupy view here too, so writes through it reach the input. What
torch copies (flip, roll, repeat, cat, stack, tril, diag, ...) is copied here too, so a write
to the result never shows up in the input.
"""

from __future__ import annotations

import itertools
import math
import numbers
import operator
import warnings

import numpy as np

from .. import backend
from .._dtype import as_dtype, result_type
from .._tensor import Size, Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ._util import wrap_dim
from .conversion import clone

__all__ = [
    "reshape",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "movedim",
    "moveaxis",
    "narrow",
    "select",
    "broadcast_to",
    "broadcast_tensors",
    "broadcast_shapes",
    "tile",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "dstack",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "split",
    "chunk",
    "unbind",
    "tril",
    "triu",
    "diag",
    "diagonal",
    "diag_embed",
    "diff",
    "repeat_interleave",
    "rot90",
    "meshgrid",
    "block_diag",
    "argwhere",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "column_stack",
    "row_stack",
    "ravel",
    "split_with_sizes",
    "narrow_copy",
    "msort",
    "diagflat",
    "cartesian_prod",
    "combinations",
]

# ------------------------------------------------------------------------------ Functions


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.shape), None


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return backend.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.sum_to_size(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, gy):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return gy.permute(inverse), None


class Slice(Function):
    """Basic indexing ``x[key]`` (a tuple of ints, slices and None; no Ellipsis): a view."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        # the trailing Ellipsis keeps an all-integer key a 0-d view instead of a numpy scalar
        return x[key + (Ellipsis,)]

    @staticmethod
    def backward(ctx, gy):
        return SliceBackward.apply(gy, ctx.shape, ctx.key), None


class SliceBackward(Function):
    """The gradient of ``x[key]``: ``gy`` written into zeros of ``x``'s shape."""

    @staticmethod
    def forward(ctx, gy, shape, key):
        ctx.key = key
        gx = backend.array_module(gy).zeros(shape, gy.dtype)
        gx[key] = gy
        return gx

    @staticmethod
    def backward(ctx, ggx):
        return Slice.apply(ggx, ctx.key), None, None


class Split(Function):
    """Consecutive pieces of ``sizes`` along ``dim``: views, one output each."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        lead = (slice(None),) * dim
        pieces, start = [], 0
        for n in sizes:
            pieces.append(x[lead + (slice(start, start + n), Ellipsis)])
            start += n
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim), None, None


class Unbind(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(x[lead + (i, Ellipsis)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim), None


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, dtype, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        xp = backend.array_module(xs[0])
        return xp.concatenate([x.astype(dtype, copy=False) for x in xs], axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return (None, None, *split(gy, ctx.sizes, ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, dtype, *xs):
        ctx.dim = dim
        xp = backend.array_module(xs[0])
        return xp.stack([x.astype(dtype, copy=False) for x in xs], axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return (None, None, *unbind(gy, ctx.dim))


class Repeat(Function):
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.shape, ctx.repeats = x.shape, repeats
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        return backend.array_module(x).tile(x.reshape(padded), repeats)

    @staticmethod
    def backward(ctx, gy):
        # the result is the input laid out r times per dim: view it as (r0, s0, r1, s1, ...)
        # and sum over the r axes
        repeats = ctx.repeats
        padded = (1,) * (len(repeats) - len(ctx.shape)) + ctx.shape
        pairs = [n for r, s in zip(repeats, padded) for n in (r, s)]
        g = gy.reshape(pairs).sum(tuple(range(0, 2 * len(repeats), 2)))
        return g.reshape(ctx.shape), None


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return backend.array_module(x).flip(x, dims).copy()  # torch's flip copies

    @staticmethod
    def backward(ctx, gy):
        return Flip.apply(gy, ctx.dims), None


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return backend.array_module(x).roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, gy):
        shifts = -ctx.shifts if ctx.dims is None else tuple(-s for s in ctx.shifts)
        return Roll.apply(gy, shifts, ctx.dims), None, None


class _Triangle(Function):
    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return ctx.fn._kernel(backend.array_module(x), x, diagonal)

    @staticmethod
    def backward(ctx, gy):
        return ctx.fn.apply(gy, ctx.diagonal), None


class Tril(_Triangle):
    _kernel = staticmethod(lambda xp, x, k: xp.tril(x, k))


class Triu(_Triangle):
    _kernel = staticmethod(lambda xp, x, k: xp.triu(x, k))


def _diagonal_view(x, offset, dim1, dim2):
    """The diagonal of ``x`` over (dim1, dim2) as a view, placed last.

    Built with ``as_strided`` because numpy's ``diagonal`` is read-only, while torch's diagonal
    is a writable view (``x.diagonal().fill_(1)`` sets the diagonal of ``x``).
    """
    xp = backend.array_module(x)
    x = xp.moveaxis(x, (dim1, dim2), (-2, -1))
    x = x[..., max(-offset, 0) :, max(offset, 0) :]
    n = min(x.shape[-2], x.shape[-1])
    strides = x.strides[:-2] + (x.strides[-2] + x.strides[-1],)
    return xp.lib.stride_tricks.as_strided(x, x.shape[:-2] + (n,), strides)


class Diagonal(Function):
    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return _diagonal_view(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, gy):
        return DiagEmbed.apply(gy, ctx.shape, *ctx.args), None, None, None


class DiagEmbed(Function):
    """Zeros of ``shape`` whose diagonal over (dim1, dim2) is ``y`` (diagonal's inverse)."""

    @staticmethod
    def forward(ctx, y, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        z = backend.array_module(y).zeros(shape, y.dtype)
        _diagonal_view(z, offset, dim1, dim2)[...] = y
        return z

    @staticmethod
    def backward(ctx, gz):
        return Diagonal.apply(gz, *ctx.args), None, None, None, None


# --------------------------------------------------------------------------- views


def _view(input, shape):
    # a new tensor even for the same shape: torch's views are never the tensor itself
    return Reshape.apply(input, tuple(shape))


def _infer_shape(shape, numel):
    """``shape`` with its one -1 filled in; torch's errors for shapes that cannot hold
    ``numel`` elements."""
    shape = list(shape)
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape and known and numel % known == 0:
        shape[shape.index(-1)] = numel // known
    if -1 in shape or math.prod(shape) != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


def _dim_tuple(dims, ndim):
    """``dims`` (an int or a sequence) wrapped, as a tuple; torch rejects repeats."""
    if isinstance(dims, numbers.Integral):
        dims = (dims,)
    out = []
    for d in dims:
        d = wrap_dim(d, ndim)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(out)


def reshape(input, shape):
    """The same elements in a new shape (one dimension may be -1); a view when the strides
    allow it, else a copy."""
    return _view(input, _infer_shape(shape, input._data.size))


def view_dtype(input, dtype):
    """The same memory read as ``dtype`` (``Tensor.view(dtype)``): the bits reinterpreted, not
    converted. With a different element size the last dimension shrinks or grows by the ratio;
    it must then be contiguous (and, growing, divisible by the ratio), as torch requires. The
    result of another dtype is not differentiable (it does not require grad), as in torch."""
    to = as_dtype(dtype)
    if to is input.dtype:
        return view(input, input._data.shape)
    x = input._data
    small, large = x.dtype.itemsize, to.np.itemsize
    if small != large:
        what = f"to view {input.dtype.scalar_name} as {to.scalar_name} (different element sizes)"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if x.shape[-1] != 1 and x.strides[-1] != small:
            raise RuntimeError(
                f"self.stride(-1) must be 1 {what}, but got {x.strides[-1] // small}"
            )
        ratio = large // small
        if large > small:
            if x.shape[-1] % ratio:
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {ratio} {what}, but got {x.shape[-1]}"
                )
            for d in range(x.ndim - 1):
                if (x.strides[d] // small) % ratio:
                    raise RuntimeError(
                        f"self.stride({d}) must be divisible by {ratio} {what}, but got "
                        f"{x.strides[d] // small}"
                    )
    return Tensor._make(x.view(to.np))


def view(input, shape):
    """The same data with another shape, sharing memory; like torch, an error when the
    strides make that impossible (``reshape`` copies instead)."""
    out = reshape(input, shape)
    x, y = input._data, out._data
    if x.size and not backend.array_module(x).may_share_memory(x, y):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return out


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-d)."""
    shape = input._data.shape
    if not shape:
        return _view(input, (1,))
    start, end = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = math.prod(shape[start : end + 1])
    return _view(input, shape[:start] + (merged,) + shape[end + 1 :])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one of which may be -1)."""
    shape = input._data.shape
    dim = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, shape[dim])
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{dim} ({shape[dim]}) in the input tensor"
        ) from None
    return _view(input, shape[:dim] + sizes + shape[dim + 1 :])


def squeeze(input, dim=None):
    """Remove dimensions of size 1: all of them, or those of ``dim`` (an int or a tuple)
    that have size 1; other dimensions in ``dim`` are kept without error, like torch."""
    shape = input._data.shape
    dims = range(len(shape)) if dim is None else _dim_tuple(dim, len(shape))
    return _view(input, tuple(s for i, s in enumerate(shape) if s != 1 or i not in dims))


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim`` (in ``[-input.dim() - 1, input.dim()]``)."""
    shape = input._data.shape
    dim = wrap_dim(dim, len(shape) + 1)
    return _view(input, shape[:dim] + (1,) + shape[dim:])


def expand(input, sizes):
    """Broadcast singleton dimensions to ``sizes`` without copying (-1 keeps a size)."""
    ndim = input._data.ndim
    sizes = tuple(sizes)
    if len(sizes) < ndim:
        raise RuntimeError(
            f"expand(ember.{input.dtype.name}{{{list(input.shape)}}}, size={list(sizes)}): the "
            "number of sizes provided must be greater or equal to the number of dimensions in "
            "the tensor"
        )
    lead = len(sizes) - ndim
    for i in range(lead):
        if sizes[i] < 0:
            raise RuntimeError(
                f"The expanded size of the tensor ({sizes[i]}) isn't allowed in a leading, "
                f"non-existing dimension {i}"
            )
    shape = tuple(
        input._data.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
    )
    for i in range(ndim):
        have, want = input._data.shape[i], shape[lead + i]
        if have != want and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                f"at non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor "
                f"sizes: {list(input.shape)}"
            )
    return Expand.apply(input, shape)


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape`` (a view; -1 keeps a size)."""
    return expand(input, shape)


def _infer_size_message(k, i, s, result, shape):
    # at::infer_size's message, which torch's tensor functions raise
    return (
        f"The size of tensor a ({result[i]}) must match the size of tensor b ({s}) at "
        f"non-singleton dimension {i}"
    )


def infer_size(shapes, message=_infer_size_message):
    """The shape ``shapes`` broadcast to (torch's ``infer_size``, shared with indexing);
    ``message(k, i, size, result, shape)`` words the error when argument ``k`` does not fit
    at dimension ``i``."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for k, shape in enumerate(shapes):
        for i, s in enumerate(shape, ndim - len(shape)):
            if s != 1 and result[i] not in (1, s):
                raise RuntimeError(message(k, i, s, result, shape))
            if s != 1:
                result[i] = s
    return tuple(result)


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` (ints or sequences) broadcast to, as a Size."""
    shapes = [(int(s),) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)

    def message(k, i, s, result, shape):
        return (
            f"Attempting to broadcast a dimension of length {s} at {i - ndim}! Mismatching "
            f"argument at index {k} had {shape}; but expected shape should be broadcastable "
            f"to {result}"
        )

    return Size(infer_size(shapes, message))


def broadcast_tensors(*tensors):
    """``tensors`` expanded to their common broadcast shape (views)."""
    shape = infer_size([t._data.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def permute(input, dims):
    """Reorder the dimensions: result dimension i is input dimension ``dims[i]`` (a view)."""
    ndim = input._data.ndim
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1`` (a view)."""
    ndim = input._data.ndim
    a, b = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)  # a 0-d tensor accepts dims 0 and -1
    if ndim == 0:
        return Permute.apply(input, ())
    dims = list(range(ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return permute(input, dims)


swapaxes = swapdims = transpose


def t(input):
    """Transpose a 2-d tensor; 0-d and 1-d tensors are returned as they are."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return transpose(input, 0, 1) if ndim == 2 else input


def movedim(input, source, destination):
    """Move dimensions ``source`` (an int or a tuple) to positions ``destination``; the
    other dimensions keep their order."""
    ndim = input._data.ndim
    src = (source,) if isinstance(source, numbers.Integral) else tuple(source)
    dst = (destination,) if isinstance(destination, numbers.Integral) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    wrapped_src = tuple(wrap_dim(d, ndim) for d in src)
    wrapped_dst = tuple(wrap_dim(d, ndim) for d in dst)
    for name, dims, given in (("source", wrapped_src, src), ("destination", wrapped_dst, dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    order = [None] * ndim
    for s, d in zip(wrapped_src, wrapped_dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in wrapped_src)
    return permute(input, [next(rest) if d is None else d for d in order])


moveaxis = movedim


def narrow(input, dim, start, length):
    """The view ``input[..., start:start + length, ...]`` along ``dim``; ``start`` may be
    negative or a 0-d integer tensor."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    dim = wrap_dim(dim, len(shape))
    size = shape[dim]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if start > size - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Slice.apply(input, (slice(None),) * dim + (slice(start, start + length),))


def select(input, dim, index):
    """The view ``input[..., index, ...]`` with dimension ``dim`` removed."""
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, len(shape))
    index = operator.index(index)
    if not -shape[dim] <= index < shape[dim]:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(shape)} at "
            f"dimension {dim}"
        )
    return Slice.apply(input, (slice(None),) * dim + (index,))


# ------------------------------------------------------------------------ rearrangements


def repeat(input, repeats):
    """Tile ``input`` ``repeats[i]`` times along each dimension (torch's ``Tensor.repeat``,
    numpy's ``tile``; ``repeats`` may add leading dimensions). Always a copy."""
    repeats = tuple(int(r) for r in repeats)
    if len(repeats) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    if any(r < 0 for r in repeats):
        padded = (1,) * (len(repeats) - input._data.ndim) + input._data.shape
        bad = [r * s for r, s in zip(repeats, padded)]
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(bad)}: {bad}")
    return Repeat.apply(input, repeats)


def tile(input, dims):
    """Like ``repeat``, but ``dims`` shorter than ``input.dim()`` is padded with leading 1s."""
    dims = tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (a copy, as in torch)."""
    return Flip.apply(input, _dim_tuple(dims, input._data.ndim))


def fliplr(input):
    """Flip a tensor of at least 2 dimensions left-right (dimension 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Flip a tensor of at least 1 dimension up-down (dimension 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    """Shift elements circularly by ``shifts`` along ``dims``; without ``dims`` the tensor is
    rolled as if flattened."""
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    shifts = tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts[0], None)
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    return Roll.apply(input, shifts, tuple(wrap_dim(d, input._data.ndim) for d in dims))


def _tensor_list(tensors, name):
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{name}(): argument 'tensors' must be tuple of Tensors, not "
                f"{type(t).__name__} (element {i})"
            )
    return tensors


@autocast_op("cat")
def cat(tensors, dim=0):
    """Join ``tensors`` along the existing dimension ``dim``.

    Inputs are promoted to a common dtype like an element-wise operation. Torch's legacy rule
    holds: 1-d empty tensors (shape ``(0,)``) are skipped whatever the others' shape, and
    then receive no gradient.
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    dtype = result_type(*tensors).np
    kept = [t for t in tensors if t._data.shape != (0,)] or list(tensors)
    first = kept[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dim = wrap_dim(dim, len(first))
    for i, t in enumerate(tensors):
        shape = t._data.shape
        if shape == (0,) and len(kept) < len(tensors):
            continue
        if len(shape) != len(first):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}"
            )
        for d, (want, have) in enumerate(zip(first, shape)):
            if d != dim and want != have:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{want} but got size {have} for tensor number {i} in the list."
                )
    return Cat.apply(dim, dtype, *kept)


concat = concatenate = cat


@autocast_op("stack")
def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension ``dim`` (dtypes are promoted)."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    dim = wrap_dim(dim, len(first) + 1)
    return Stack.apply(dim, result_type(*tensors).np, *tensors)


def _at_least(tensors, ndim):
    """Views of ``tensors`` with at least ``ndim`` dimensions, padded the way numpy does."""
    out = []
    for x in tensors:
        shape = x._data.shape
        if len(shape) >= ndim:
            out.append(x)  # the tensor itself, as in torch
            continue
        if ndim == 3 and len(shape) == 2:
            shape = shape + (1,)
        elif ndim == 3 and len(shape) == 1:
            shape = (1,) + shape + (1,)
        else:
            shape = (1,) * (ndim - len(shape)) + shape
        out.append(_view(x, shape))
    return out


def _atleast(ndim):
    def atleast(*tensors):
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        if len(tensors) == 1 and not single:
            tensors = tuple(tensors[0])
        out = _at_least(tensors, ndim)
        return out[0] if single else tuple(out)

    atleast.__name__ = f"atleast_{ndim}d"
    atleast.__doc__ = (
        f"Views of the given tensors with at least {ndim} dimensions (one tensor in, one out; "
        "several or a sequence in, a tuple out)."
    )
    return atleast


atleast_1d = _atleast(1)
atleast_2d = _atleast(2)
atleast_3d = _atleast(3)


def _stack_along(name, tensors, ndim, dim):
    tensors = _tensor_list(tensors, name)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return cat(_at_least(tensors, ndim), dim)


def hstack(tensors):
    """Concatenate column-wise: along dimension 1, or 0 for 1-d tensors."""
    tensors = _tensor_list(tensors, "hstack")
    dim = 0 if tensors and tensors[0]._data.ndim <= 1 else 1
    return _stack_along("hstack", tensors, 1, dim)


def vstack(tensors):
    """Concatenate row-wise (dimension 0) after making every tensor at least 2-d."""
    return _stack_along("vstack", tensors, 2, 0)


def dstack(tensors):
    """Concatenate depth-wise (dimension 2) after making every tensor at least 3-d."""
    return _stack_along("dstack", tensors, 3, 2)


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces (views) along ``dim``: of ``split_size`` each (the last may be
    smaller), or of the sizes listed."""
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, len(shape))
    size = shape[dim]
    if isinstance(split_size_or_sections, (numbers.Integral, Tensor)):
        step = operator.index(split_size_or_sections)
        if step < 0 or (step == 0 and size != 0):
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={step}"
            )
        count = max(-(-size // step), 1) if step else 1
        sizes = [step] * (count - 1) + [size - step * (count - 1)]
    else:
        sizes = [operator.index(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={sizes}"
            )
        if sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}"
            )
    return Split.apply(tensor, dim, tuple(sizes))


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of ``ceil(size / chunks)`` (the last smaller); fewer
    pieces come back when the size does not allow ``chunks``, as in torch."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, len(shape))
    size = shape[dim]
    if size == 0:
        return split(input, [0] * chunks, dim)
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0):
    """Slices along ``dim`` as a tuple of views, the dimension removed."""
    shape = input._data.shape
    if not shape:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, len(shape))
    if shape[dim] == 0:
        return ()
    return Unbind.apply(input, dim)


# ------------------------------------------------------------------ triangles, diagonals


def _check_matrix(input, name):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input, diagonal=0):
    """The lower triangle of the last two dimensions (at and below ``diagonal``); the rest
    zero."""
    _check_matrix(input, "tril")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0):
    """The upper triangle of the last two dimensions (at and above ``diagonal``)."""
    _check_matrix(input, "triu")
    return Triu.apply(input, int(diagonal))


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over dimensions (dim1, dim2), as a last dimension: a writable view.

    ``offset`` > 0 selects a diagonal above the main one, < 0 below.
    """
    ndim = input._data.ndim
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals over (dim1, dim2) are the last dimension of ``input``; zeros
    elsewhere."""
    shape = input._data.shape
    ndim = len(shape) + 1
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = shape[-1] + abs(int(offset))
    rest = iter(shape[:-1])
    out = tuple(n if d in (d1, d2) else next(rest) for d in range(ndim))
    return DiagEmbed.apply(input, out, int(offset), d1, d2)


def diag(input, diagonal=0):
    """1-d input: a square matrix with ``input`` on its ``diagonal``. 2-d input: a copy of its
    ``diagonal`` as a 1-d tensor."""
    ndim = input._data.ndim
    if ndim == 1:
        n = input._data.shape[0] + abs(int(diagonal))
        return DiagEmbed.apply(input, (n, n), int(diagonal), 0, 1)
    if ndim == 2:
        return clone(Diagonal.apply(input, int(diagonal), 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


# ------------------------------------------------------------- differences, grids, blocks


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference ``out[i] = input[i + 1] - input[i]`` along ``dim``,
    after joining ``prepend`` and ``append`` there (same number of dimensions as ``input``;
    dtypes promote as in ``cat``). Bool tensors take ``!=`` (xor) as the difference."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = wrap_dim(dim, ndim)
    parts = []
    for extra in (prepend, input, append):
        if extra is None:
            continue
        if extra is not input and extra._data.ndim != ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.append(extra)
    out = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        size = out._data.shape[dim]
        if size == 0:
            break
        lead = (slice(None),) * dim
        hi = Slice.apply(out, lead + (slice(1, size),))
        lo = Slice.apply(out, lead + (slice(0, size - 1),))
        out = hi.logical_xor(lo) if out._data.dtype.kind == "b" else hi - lo
    return out


def _host(a):
    """Array ``a`` as a numpy array (a copy from the GPU): for sizes decided by data."""
    return a.get() if backend.is_cuda_array(a) else np.asarray(a)


def _repeat_counts(repeats, size, device):
    """``repeats`` (an int or a 1-d integer tensor) as a numpy int64 array of ``size``."""
    if isinstance(repeats, Tensor):
        if repeats._data.dtype.kind not in "iu":
            raise NotImplementedError(
                f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.scalar_name}'"
            )
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = _host(repeats._data).reshape(-1).astype(np.int64)
        if counts.size == 1:
            counts = np.full(size, counts[0], np.int64)
        if counts.size != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size(0) = {size}"
            )
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        return counts
    repeats = operator.index(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    return np.full(size, repeats, np.int64)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or slice along ``dim``) ``repeats`` times in place, unlike
    ``repeat``, which tiles the whole tensor. Without ``dim`` the input is flattened first.

    ``repeats`` is an int or a 1-d integer tensor with one count per slice. Called with one
    integer tensor only, it returns ``arange(len(input))`` with element ``i`` repeated
    ``input[i]`` times.
    """
    if repeats is None:
        if not isinstance(input, Tensor):
            raise TypeError("repeat_interleave(): argument 'repeats' must be Tensor")
        counts = _repeat_counts(input, input._data.reshape(-1).size, input.device)
        if input._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        index = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
        _check_output_size(index.size, output_size)
        return Tensor._make(backend.array_module(input._data).asarray(index))
    if dim is None:
        input = reshape(input, (-1,))
        dim = 0
    if input._data.ndim == 0:
        input = reshape(input, (1,))
    dim = wrap_dim(dim, input._data.ndim)
    counts = _repeat_counts(repeats, input._data.shape[dim], input.device)
    index = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    _check_output_size(index.size, output_size)
    xp = backend.array_module(input._data)
    return input.index_select(dim, Tensor._make(xp.asarray(index)))


def _check_output_size(total, output_size):
    if output_size is not None and output_size != total:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}"
        )


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dimension
    towards the second (a copy)."""
    dims = tuple(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = operator.index(k) % 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    return clone(input)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d or 1-d tensors: output ``i`` holds ``tensors[i]`` broadcast
    along its own dimension (views, as torch's expand). ``indexing="ij"`` gives the shape
    ``(len(t0), len(t1), ...)``; ``"xy"`` swaps the first two (Cartesian). Omitting
    ``indexing`` means ``"ij"`` with torch's UserWarning that it will become required."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("xy", "ij"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"{t._data.ndim}D"
            )
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if any(t.device != tensors[0].device for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:
        order[0], order[1] = order[1], order[0]
    shape = tuple(t._data.size for t in order)
    grids = []
    for i, t in enumerate(order):
        view = [1] * len(order)
        view[i] = shape[i]
        grids.append(expand(reshape(t, view), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def block_diag(*tensors):
    """A block-diagonal matrix with ``tensors`` (0-d, 1-d or 2-d; 0-d is 1x1 and 1-d a row)
    down the diagonal, zeros elsewhere; dtypes promote."""
    tensors = _tensor_list(tensors, "block_diag")
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t._data.ndim} dimensions"
            )
    if not tensors:
        return Tensor._make(np.zeros((1, 0), np.float32))
    blocks = [reshape(t, (1,) * (2 - t._data.ndim) + t._data.shape) for t in tensors]
    dtype = result_type(*tensors).np
    width = sum(b._data.shape[1] for b in blocks)
    xp = backend.array_module(tensors[0]._data)
    rows, left = [], 0
    for b in blocks:
        h, w = b._data.shape
        pieces = [
            Tensor._make(xp.zeros((h, left), dtype)),
            b,
            Tensor._make(xp.zeros((h, width - left - w), dtype)),
        ]
        rows.append(Cat.apply(1, dtype, *pieces))
        left += w
    return Cat.apply(0, dtype, *rows)


def argwhere(input):
    """The indices of the non-zero elements, one row each (``nonzero(input)``)."""
    return input.nonzero()


# ----------------------------------------------------------- more splits, stacks, products


def tensor_split(input, indices_or_sections, dim=0):
    """Views of ``input`` split along ``dim``: into ``n`` parts (an int, or a 0-D integer
    tensor), the first ``size % n`` one larger than the rest, or at the given indices (a
    sequence, or a 1-D integer tensor), as ``numpy.array_split``."""
    if input.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    dim = wrap_dim(dim, input.ndim)
    split = indices_or_sections
    if isinstance(split, Tensor):
        if split.dtype.is_floating_point or split.dtype.is_complex or split.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have a dtype of long, but "
                f"got {split.dtype.scalar_name}"
            )
        split = split.item() if split.ndim == 0 else split.tolist()
    size = input.shape[dim]
    if isinstance(split, numbers.Integral):
        if split <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {split}")
        base, extra = divmod(size, split)
        bounds = [0]
        for i in range(split):
            bounds.append(bounds[-1] + base + (i < extra))
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in split] + [size]
    return tuple(
        narrow(input, dim, start, max(end - start, 0)) for start, end in itertools.pairwise(bounds)
    )


def _split_along(name, input, sections, dim, need):
    if input.ndim < need:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor "
            f"with {input.ndim} dimensions!"
        )
    if isinstance(sections, numbers.Integral):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dimension 1 (0 for a 1-D tensor); an int must divide it."""
    return _split_along("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dimension 0 of a tensor of 2 or more dimensions."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dimension 2 of a tensor of 3 or more dimensions."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def column_stack(tensors):
    """The tensors side by side as columns: 0-D and 1-D tensors become ``(n, 1)`` columns,
    then ``hstack``."""
    tensors = _tensor_list(tensors, "column_stack")
    return hstack([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors])


row_stack = vstack


def ravel(input):
    """``input`` flattened to 1-D (row-major)."""
    return reshape(input, (-1,))


def split_with_sizes(input, split_sizes, dim=0):
    """``split`` into parts of the given sizes, which must sum to the size of ``dim``."""
    dim = wrap_dim(dim, input.ndim)
    if sum(split_sizes) != input.shape[dim]:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {input.shape[dim]} (input "
            f"tensor's size at dimension {dim}), but got split_sizes={list(split_sizes)}"
        )
    return split(input, list(split_sizes), dim)


def narrow_copy(input, dim, start, length):
    """``narrow`` as a new tensor rather than a view."""
    return clone(narrow(input, dim, start, length))


def msort(input):
    """``input`` sorted along its first dimension (``sort(input, 0).values``)."""
    return input.sort(0).values


def diagflat(input, offset=0):
    """A 2-D tensor with the flattened ``input`` on its ``offset``-th diagonal."""
    return diag(reshape(input, (-1,)), offset)


def cartesian_prod(*tensors):
    """The cartesian product of 1-D tensors: one row per combination, in row-major order
    (a single tensor is returned as it is)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a 1-D tensor, one per row, in
    ``itertools.combinations`` order (``combinations_with_replacement`` with
    ``with_replacement``)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    xp = backend.array_module(input._data)
    index = xp.asarray(rows, dtype=np.int64).reshape(len(rows), r)
    return input[Tensor._make(index)]
