"""Shape operations: views and rearrangements that move gradients without arithmetic."""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ._util import wrap_dim


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
        return backend.array_module(x).broadcast_to(x, shape)

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


class Unbind(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        xp = backend.array_module(x)
        return tuple(xp.take(x, i, axis=dim) for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return _stack(grads, ctx.dim), None


def _infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    total = 1
    for s in shape:
        total *= s
    if total != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def reshape(input, shape):
    """The same elements in a new shape (one dimension may be -1)."""
    shape = _infer_shape(shape, input._data.size)
    if shape == input._data.shape:
        return input
    return Reshape.apply(input, shape)


def view(input, shape):
    """Like ``reshape``; torch additionally requires compatible strides, Ember does not."""
    return reshape(input, shape)


def expand(input, sizes):
    """Broadcast singleton dimensions to ``sizes`` without copying (-1 keeps a size)."""
    ndim = input._data.ndim
    if len(sizes) < ndim:
        raise RuntimeError(
            f"expand(ember.{input.dtype.name}{{{list(input.shape)}}}, size={list(sizes)}): the "
            "number of sizes provided must be greater or equal to the number of dimensions in "
            "the tensor"
        )
    lead = len(sizes) - ndim
    shape = tuple(
        input._data.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
    )
    if shape == input._data.shape:
        return input
    for i in range(ndim):
        have, want = input._data.shape[i], shape[lead + i]
        if have != want and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                f"at non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor "
                f"sizes: {list(input.shape)}"
            )
    return Expand.apply(input, shape)


def permute(input, dims):
    ndim = input._data.ndim
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(dims) != ndim or sorted(dims) != list(range(ndim)):
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    ndim = input._data.ndim
    dims = list(range(ndim))
    if ndim == 0:
        return input
    a, b = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(input, tuple(dims))


def unbind(input, dim=0):
    """Slices along ``dim`` as a tuple of tensors (the dimension removed)."""
    dim = wrap_dim(dim, input._data.ndim)
    return Unbind.apply(input, dim)


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return backend.array_module(xs[0]).stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return (None, *unbind(gy, ctx.dim))


def _stack(tensors, dim):
    return Stack.apply(dim, *tensors)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension ``dim``."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    dim = wrap_dim(dim, tensors[0]._data.ndim + 1)
    return Stack.apply(dim, *tensors)
