"""Complex numbers: their parts (real, imag, angle), conjugation, and building them.

Gradients follow torch's convention: for a real loss L of z = x + iy, ``z.grad`` is
dL/dx + i dL/dy. A real part's gradient ``g`` is therefore ``g + 0i`` into z, an imaginary
part's ``0 + ig``; the engine casts a complex gradient that reaches a real input to its real
part.
"""

from __future__ import annotations

import math

from .. import backend
from .._dtype import from_numpy, get_default_dtype
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ._util import check_broadcast

__all__ = [
    "real",
    "imag",
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "is_complex",
    "is_conj",
    "angle",
    "complex",
    "polar",
    "view_as_real",
    "view_as_complex",
]


class Real(Function):
    @staticmethod
    def forward(ctx, x):
        return x.real

    @staticmethod
    def backward(ctx, gy):
        return gy  # real: the engine makes it gy + 0i for the complex input


class Imag(Function):
    @staticmethod
    def forward(ctx, x):
        return x.imag

    @staticmethod
    def backward(ctx, gy):
        return gy * 1j


class Conj(Function):
    @staticmethod
    def forward(ctx, x):
        return x.conj()

    @staticmethod
    def backward(ctx, gy):
        return gy.conj()


class Angle(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = backend.array_module(x)
        if x.dtype.kind == "c":
            return xp.angle(x)
        # real input: pi below zero, else 0, NaN kept, as torch (numpy's arctan2 gives pi at
        # -0.0, cupy's angle pi at NaN); integers and bools give the default float dtype
        dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype().np
        out = xp.where(x < 0, math.pi, 0.0).astype(dtype)
        return xp.where(x != x, x, out) if x.dtype.kind == "f" else out

    @staticmethod
    def backward(ctx, gy):
        # angle = atan2(y, x): d/dx = -y / |z|^2, d/dy = x / |z|^2, so the gradient is
        # gy * i z / |z|^2 (0 at z = 0, as torch's); piecewise constant for real x
        (x,) = ctx.saved_tensors
        if not x.is_complex():
            return gy * 0
        squared = x.real * x.real + x.imag * x.imag
        nonzero = squared != 0
        g = gy / squared.masked_fill(~nonzero, 1.0)
        return (x * 1j * g).masked_fill(~nonzero, 0.0)


class Complex(Function):
    @staticmethod
    def forward(ctx, x, y):
        xp = backend.array_module(x)
        try:
            shape = xp.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            check_broadcast(x, y)
            raise
        out = xp.empty(shape, dtype=from_numpy(x.dtype).to_complex().np)
        out.real = x
        out.imag = y
        return out

    @staticmethod
    def backward(ctx, gy):
        return gy.real, gy.imag


class ViewAsReal(Function):
    @staticmethod
    def forward(ctx, x):
        # the real parts (a view with x's strides) with the imaginary part one item further:
        # cupy's ``view(dtype)`` changes the itemsize of C-contiguous arrays only
        real = x.real
        strides = real.strides + (real.itemsize,)
        return backend.array_module(x).lib.stride_tricks.as_strided(real, x.shape + (2,), strides)

    @staticmethod
    def backward(ctx, gy):
        return view_as_complex(gy.contiguous())


class ViewAsComplex(Function):
    @staticmethod
    def forward(ctx, x):
        complex_dtype = from_numpy(x.dtype).to_complex().np
        if x.flags.c_contiguous:
            return x.view(complex_dtype).reshape(x.shape[:-1])
        # cupy's ``view(dtype)`` changes the itemsize of C-contiguous arrays only: reinterpret
        # the contiguous stretch of memory that x spans (from its lowest address, so axes with
        # negative strides are reversed first and back after), then lay x's strides over it
        xp = backend.array_module(x)
        first = x[..., 0]
        flip = tuple(slice(None, None, -1) if s < 0 else slice(None) for s in first.strides)
        first = first[flip]
        span = sum((n - 1) * s for n, s in zip(first.shape, first.strides)) // x.itemsize + 2
        memory = xp.lib.stride_tricks.as_strided(first, (span,), (x.itemsize,))
        view = xp.lib.stride_tricks.as_strided(
            memory.view(complex_dtype), first.shape, first.strides
        )
        return view[flip]

    @staticmethod
    def backward(ctx, gy):
        return view_as_real(gy)


def is_complex(input):
    """Whether ``input`` holds complex numbers (complex64 or complex128)."""
    return input._data.dtype.kind == "c"


def is_conj(input):
    """Always False: Ember conjugates eagerly and has no lazily-conjugated views."""
    return False


def real(input):
    """The real part of ``input`` (a view for complex input; ``input`` itself for real)."""
    if input._data.dtype.kind != "c":
        return input
    return Real.apply(input)


def imag(input):
    """The imaginary part of complex ``input`` (a view); real tensors have none."""
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


def conj(input):
    """The complex conjugate; a real ``input`` is returned as it is.

    torch returns a lazily-conjugated view; Ember computes the conjugate at once (a copy),
    which reads the same but does not share memory with ``input``.
    """
    if input._data.dtype.kind != "c":
        return input
    return Conj.apply(input)


def conj_physical(input):
    """The complex conjugate, computed (as ``conj`` always is in Ember)."""
    return conj(input)


def resolve_conj(input):
    """``input`` itself: Ember has no lazily-conjugated tensors to materialise."""
    return input


def resolve_neg(input):
    """``input`` itself: Ember has no lazily-negated tensors to materialise."""
    return input


def angle(input):
    """The angle (argument) of each element in radians, in ``(-pi, pi]``; for real input
    0 for non-negative numbers and pi for negative ones. Integers give the default float."""
    return Angle.apply(input)


def complex(real, imag):
    """The complex tensor ``real + i imag``, from two float tensors of one dtype (float32
    gives complex64, float64 complex128); broadcast like element-wise operations."""
    for name, value in (("real", real), ("imag", imag)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"complex(): argument '{name}' must be Tensor, not {type(value).__name__}"
            )
    if real.dtype is not imag.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {real.dtype.scalar_name} but got scalar type "
            f"{imag.dtype.scalar_name} for second argument"
        )
    if real.dtype.name not in ("float32", "float64"):
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{real.dtype.scalar_name} and {imag.dtype.scalar_name}"
        )
    return Complex.apply(real, imag)


@autocast_op("polar")
def polar(abs, angle):
    """The complex tensor with magnitude ``abs`` and angle ``angle``:
    ``abs * cos(angle) + i abs * sin(angle)``."""
    return complex(abs * angle.cos(), abs * angle.sin())


def view_as_real(input):
    """A real view of complex ``input`` with a last dimension of size 2 (real, imaginary)."""
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input):
    """A complex view of ``input`` (float32 or float64) whose last dimension, of size 2 and
    stride 1, holds the real and imaginary parts."""
    x = input._data
    if x.dtype.name not in ("float32", "float64"):
        raise RuntimeError(
            "view_as_complex is only supported for float and double tensors, but got a tensor "
            f"of scalar type: {input.dtype.scalar_name}"
        )
    if not x.ndim or x.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if x.strides[-1] != x.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(n > 1 and s % (2 * x.itemsize) for n, s in zip(x.shape[:-1], x.strides[:-1])):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return ViewAsComplex.apply(input)
