"""Data types (``ember.float32`` ...), torch's type-promotion rules and the default dtype."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types", "result_type"]


class dtype:
    """A tensor element type, named and printed like torch's (``ember.float32``)."""

    __slots__ = (
        "name",
        "np",
        "is_floating_point",
        "is_complex",
        "is_signed",
        "itemsize",
        "_category",
    )

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize
        # 0 bool, 1 integer, 2 floating, 3 complex: the order promotion uses
        self._category = category

    def __repr__(self):
        return f"ember.{self.name}"

    @property
    def scalar_name(self):
        """torch's ScalarType name (``Float``, ``Long``, ...), as its error messages print it."""
        return _SCALAR_NAMES[self.name][0]

    @property
    def cpp_name(self):
        """The C++ type torch's messages print (``float``, ``long int``, ...)."""
        return _SCALAR_NAMES[self.name][1]

    def to_real(self):
        """The real dtype of a complex one (complex64 -> float32); other dtypes unchanged."""
        return _REAL_OF.get(self, self)

    def to_complex(self):
        """The complex dtype of a floating one (float32 -> complex64); complex unchanged."""
        if self.is_complex:
            return self
        if self not in _COMPLEX_OF:
            raise RuntimeError(f"to_complex is not supported for {self}")
        return _COMPLEX_OF[self]

    def __reduce__(self):
        return self.name


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

# torch's names for each type in its messages: (ScalarType, C++ type)
_SCALAR_NAMES = {
    "bool": ("Bool", "bool"),
    "uint8": ("Byte", "unsigned char"),
    "int8": ("Char", "signed char"),
    "int16": ("Short", "short int"),
    "int32": ("Int", "int"),
    "int64": ("Long", "long int"),
    "float16": ("Half", "c10::Half"),
    "float32": ("Float", "float"),
    "float64": ("Double", "double"),
    "complex64": ("ComplexFloat", "c10::complex<float>"),
    "complex128": ("ComplexDouble", "c10::complex<double>"),
}
ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
# Ember has no complex32 (torch's ComplexHalf): float16 pairs with complex64
_COMPLEX_OF = {float16: complex64, float32: complex64, float64: complex128}
_REAL_OF = {complex64: float32, complex128: float64}
_FROM_NUMPY = {d.np: d for d in ALL}

# torch's aliases (ember.half, ember.long, ...)
ALIASES = {
    "half": float16,
    "float": float32,
    "double": float64,
    "short": int16,
    "int": int32,
    "long": int64,
    "cfloat": complex64,
    "cdouble": complex128,
}

_default_float = float32


def from_numpy(np_dtype):
    """The ember dtype of a numpy dtype; a clear error for types torch has no equivalent of."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        np_dtype = np.dtype(np_dtype)
        if np_dtype in _FROM_NUMPY:
            return _FROM_NUMPY[np_dtype]
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
            "and bool."
        ) from None


def to_numpy(d):
    """numpy dtype for an ember dtype (also accepts numpy dtypes and Python types)."""
    if isinstance(d, dtype):
        return d.np
    if d is float:
        return _default_float.np
    if d is int:
        return np.dtype(np.int64)
    if d is bool:
        return np.dtype(np.bool_)
    if d is complex:
        return _COMPLEX_OF[_default_float].np
    return from_numpy(np.dtype(d)).np


def as_dtype(d):
    """Normalise ``d`` (ember dtype, numpy dtype or Python type) to an ember dtype."""
    return d if isinstance(d, dtype) else from_numpy(to_numpy(d))


def get_default_dtype():
    """The floating dtype that Python floats and float factory functions produce (float32)."""
    return _default_float


def set_default_dtype(d):
    """Set the default floating dtype; only float16, float32 and float64 are allowed, like torch."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to, by torch's table.

    Within a category this is numpy's rule (uint8 + int8 -> int16); across categories the
    higher category wins outright (int64 + float16 -> float16), where numpy would widen.
    """
    if a is b:
        return a
    if a._category != b._category:
        higher, lower = (a, b) if a._category > b._category else (b, a)
        if higher.is_complex and lower.is_floating_point:
            # complex64 + float64 -> complex128: the complex type as wide as the float
            return promote_types(higher, _COMPLEX_OF[lower])
        return higher
    return _FROM_NUMPY[np.promote_types(a.np, b.np)]


def _scalar_dtype(value):
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, numbers.Integral):
        return int64
    if isinstance(value, numbers.Real):
        return _default_float
    if isinstance(value, numbers.Complex):
        return _COMPLEX_OF[_default_float]
    raise TypeError(f"unsupported operand type {type(value).__name__!r}; expected Tensor or number")


def _combine_categories(higher, lower):
    # torch's c10 combine_categories: a higher-priority group keeps its dtype unless a lower
    # group brings a higher category (a float into ints, or anything into bool).
    if higher is None:
        return lower
    if lower is None or (higher._category >= 2 and higher._category >= lower._category):
        return higher
    if lower.is_complex:
        # a complex number into floats keeps their precision (float64 * 1j is complex128)
        return _COMPLEX_OF[higher] if higher.is_floating_point else lower
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """The dtype torch computes for an operation over tensors and Python numbers.

    Dimensioned tensors take priority over zero-dimensional ones, which take priority over
    Python numbers; a lower group only matters when it is of a higher category
    (``int_tensor + 2.5`` is float32, ``uint8_tensor + 1000`` stays uint8).
    """
    dim = zero = scalar = None
    for op in operands:
        if hasattr(op, "_data"):
            d = op.dtype
            if op._data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = _scalar_dtype(op)
            scalar = d if scalar is None else promote_types(scalar, d)
    return _combine_categories(dim, _combine_categories(zero, scalar))


class finfo:
    """The numerical properties of a floating dtype (``finfo(ember.float32)``; the default
    dtype when none is given; a complex dtype gives those of its real part).

    Attributes:
        bits: the size in bits; eps: the gap between 1 and the next number; max / min: the
        largest and smallest (most negative) finite numbers; tiny and smallest_normal: the
        smallest positive normal number; resolution: ``10 ** -precision`` (decimal digits);
        dtype: the dtype's name.
    """

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else as_dtype(type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                "'torch.finfo'"
            )
        info = np.finfo(d.to_real().np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0**-info.precision
        self.dtype = d.to_real().name

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """The numerical properties of an integer (or bool) dtype: ``bits``, ``max``, ``min``
    and ``dtype`` (its name)."""

    def __init__(self, type):
        d = as_dtype(type)
        if d.is_floating_point or d.is_complex:
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                "'torch.iinfo'"
            )
        if d.np.kind == "b":
            self.bits, self.min, self.max = 8, 0, 1
        else:
            info = np.iinfo(d.np)
            self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
