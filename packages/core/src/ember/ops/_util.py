"""Helpers shared by the operation modules: operand preparation and dimension handling."""

from __future__ import annotations

import numbers

import numpy as np

from .._dtype import from_numpy, result_type
from .._tensor import Tensor, _wrap_dim
from ..backend import exp_quietly, quiet
from .conversion import ToDtype

_PYTHON_NUMBERS = (int, float)

__all__ = [
    "operands",
    "as_operand",
    "as_tensor_arg",
    "wrap_dim",
    "normalize_dims",
    "quiet",
    "check_broadcast",
    "not_implemented",
    "refuse_complex",
    "exp_quietly",
]

wrap_dim = _wrap_dim


def not_implemented(kernel, dtype):
    """torch's error for an operation that has no kernel (named ``kernel``, as torch names it
    in the message) for numpy dtype ``dtype``: ``"abs_cpu" not implemented for 'Bool'``."""
    return NotImplementedError(
        f"\"{kernel}\" not implemented for '{from_numpy(dtype).scalar_name}'"
    )


def refuse_complex(x, kernel=None, message=None, error=NotImplementedError):
    """torch's error for an operation that complex numbers have no meaning for (ordering,
    rounding, clamping), where the array ``x`` is complex: its NotImplementedError naming
    ``kernel``, or an ``error`` with ``message``. The one check every such operation makes,
    in its forward."""
    if x.dtype.kind == "c":
        if message is None:
            raise not_implemented(kernel, x.dtype)
        raise error(message)


def check_broadcast(*arrays):
    """Raise torch's RuntimeError if the shapes of ``arrays`` (arrays, scalars or None) do
    not broadcast together. Called where numpy has failed with a ValueError, so that the
    normal path pays nothing; returns if the shapes do broadcast (the error was another)."""
    shape = ()
    for array in arrays:
        other = np.shape(array)
        n = max(len(shape), len(other))
        a, b = (1,) * (n - len(shape)) + shape, (1,) * (n - len(other)) + other
        for i in reversed(range(n)):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                    f"at non-singleton dimension {i}"
                ) from None
        shape = tuple(y if x == 1 else x for x, y in zip(a, b))


def operands(*args):
    """Prepare the operands of an element-wise operation by torch's promotion rules.

    Returns ``(dtype, values)``: the numpy result dtype and the operands in it (see
    ``as_operand``). A float tensor and a Python number need nothing: numpy keeps the array's
    dtype for a Python scalar (NEP 50), exactly torch's rule, so the number passes as it is.
    """
    if len(args) == 2:
        a, b = args
        # the common case: two tensors of one dtype, or a float tensor and a Python number
        if isinstance(a, Tensor):
            if isinstance(b, Tensor):
                if a._data.dtype == b._data.dtype:
                    return a._data.dtype, args
            elif b.__class__ in _PYTHON_NUMBERS and a._data.dtype.kind == "f":
                return a._data.dtype, args
    dt = result_type(*args).np
    return dt, tuple([as_operand(a, dt) for a in args])


def as_operand(value, dt):
    """A tensor or a number as an operand of numpy dtype ``dt``: a tensor of another dtype is
    converted in the graph (gradients flow back through the cast), a number becomes a numpy
    scalar (a constant that needs no gradient)."""
    if isinstance(value, Tensor):
        return value if value._data.dtype == dt else ToDtype.apply(value, dt)
    return _scalar(value, dt)


def _scalar(value, dt):
    try:
        return dt.type(value)
    except OverflowError:
        # torch wraps an out-of-range Python int into the tensor's integer type (uint8 + 1000)
        return np.array(value, dtype=np.int64).astype(dt)[()]


def as_tensor_arg(value, name):
    """Require a Tensor argument, with torch's message for anything else."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be Tensor, not {type(value).__name__}")
    return value


def normalize_dims(dim, ndim):
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes;
    None or an empty sequence mean every axis."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, numbers.Integral):
        return (wrap_dim(int(dim), ndim),)
    dims = tuple(wrap_dim(int(d), ndim) for d in dim)
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims else tuple(range(ndim))
