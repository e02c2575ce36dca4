"""Element-wise operations: arithmetic, math functions, comparisons and logic.

Binary operations broadcast and promote like torch: ``_util.operands`` converts their operands
to the result dtype (tensors in the graph), and the engine sums gradients over broadcast
dimensions, so no forward or backward here deals with either. Shapes that do not broadcast
make numpy raise ValueError; the forwards turn it into torch's RuntimeError
(``_util.check_broadcast``) in an ``except``, which costs nothing when no error is raised.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple

import numpy as np

from .. import _versions, backend
from .._creation import _place, as_tensor, ones_like, zeros_like
from .._dtype import as_dtype, bool_, get_default_dtype, result_type
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from . import _cuda
from ._util import (
    as_operand,
    check_broadcast,
    exp_quietly,
    not_implemented,
    operands,
    quiet,
    refuse_complex,
)

# ----------------------------------------------------------------------------- arithmetic


class Add(Function):
    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.alpha = alpha
        try:
            return x + y if alpha == 1 else x + alpha * y
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def formula(ctx, gy, saved):
        return gy, gy if ctx.alpha == 1 else gy * ctx.alpha


class Sub(Function):
    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.alpha = alpha
        try:
            return x - y if alpha == 1 else x - alpha * y
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def formula(ctx, gy, saved):
        if not ctx.needs_input_grad[1]:
            return gy, None
        return gy, -gy if ctx.alpha == 1 else gy * -ctx.alpha


class Mul(Function):
    holomorphic = True

    @staticmethod
    def forward(ctx, x, y):
        needs = ctx.needs_input_grad  # (empty when nothing is recorded)
        if needs:  # each factor only for the other's gradient, as torch saves them
            ctx.save_for_backward(x if needs[1] else None, y if needs[0] else None)
        try:
            return x * y
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def formula(ctx, gy, saved):
        x, y = saved
        gx = gy * y if ctx.needs_input_grad[0] else None
        gy_ = gy * x if ctx.needs_input_grad[1] else None
        return gx, gy_


class Div(Function):
    holomorphic = True

    @staticmethod
    def forward(ctx, x, y):
        try:
            with quiet():
                out = x / y
        except ValueError:
            check_broadcast(x, y)
            raise
        needs = ctx.needs_input_grad
        if needs:  # the inputs, not the quotient (which may then be written in place), as torch
            ctx.save_for_backward(x if needs[1] else None, y)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        gx = gy / y
        # d(x/y)/dy = -x/y^2
        return gx, -gx * x / y if ctx.needs_input_grad[1] else None


class Pow(Function):
    holomorphic = True

    @staticmethod
    def forward(ctx, x, e):
        try:
            with quiet():
                out = x**e
        except ValueError:  # shapes that do not broadcast, or integers to negative powers
            check_broadcast(x, e)
            out = _int_pow(x, e)
        ctx.save_for_backward(x, e, out)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, e, out = ctx.saved_tensors
        if not isinstance(e, Tensor):  # a Python exponent
            return gy * e * pow(x, e - 1) if e != 0 else zeros_like(gy), None
        gx = ge = None
        if ctx.needs_input_grad[0]:
            # e * x^(e-1), defined as 0 where e == 0; the exponent is masked first so x = 0
            # never meets x^-1 (0 * inf would be nan)
            gx = gy * e * pow(x, where(e == 0, 1.0, e) - 1)
        if ctx.needs_input_grad[1]:
            # out * log(x), defined as 0 where x == 0 and e >= 0 (torch's convention)
            zero_base = (x == 0) & (e.real >= 0)
            ge = where(zero_base, 0.0, gy * out * log(where(zero_base, 1.0, x)))
        return gx, ge


def _int_pow(x, e):
    """``x ** e`` for integers where some ``e`` are negative (numpy refuses), as torch computes
    it: ``x ** -n`` is 1 for ``x`` = 1, 1 or -1 for ``x`` = -1 (``n`` even or odd), else 0."""
    xp = backend.array_module(e if isinstance(x, np.generic) else x)
    negative = e < 0
    inverse = xp.where(xp.abs(x) == 1, xp.where(e & 1, x, 1), 0)
    return xp.where(negative, inverse, x ** xp.where(negative, 0, e))


class FloorDivide(Function):
    """``div(rounding_mode="floor")``: its gradient is zero."""

    @staticmethod
    def forward(ctx, x, y):
        _check_int_division("div_floor_cpu", x, y)
        try:
            with quiet():
                return np.floor_divide(x, y) if backend.array_module(x) is np else x // y
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        return zeros_like(gy), zeros_like(gy)


class FloorDivideOp(FloorDivide):
    """``floor_divide`` and ``//``, which torch does not differentiate."""

    @staticmethod
    def backward(ctx, gy):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class TruncDivide(Function):
    @staticmethod
    def forward(ctx, x, y):
        xp = backend.array_module(x)
        try:
            if x.dtype.kind == "f":
                with quiet():
                    return xp.trunc(x / y)
            _check_int_division("div_trunc_cpu", x, y)
            q = x // y
        except ValueError:
            check_broadcast(x, y)
            raise
        # floor division rounds toward -inf; step back toward zero when signs differ
        return q + ((x % y != 0) & ((x < 0) ^ (y < 0)))

    backward = FloorDivide.backward


class _Modulo(Function):
    """``x - q * y`` for a rounded quotient ``q``: a subclass names its kernel (for torch's
    errors), computes ``modulo`` and gives the Function of its quotient, which makes ``y``'s
    gradient ``-gy * q``."""

    kernel = quotient = None

    @staticmethod
    def forward(ctx, x, y):
        op = ctx.fn
        _check_int_division(op.kernel, x, y)
        ctx.save_for_backward(x, y)
        try:
            with quiet():
                return op.modulo(backend.array_module(x), x, y)
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        if not ctx.needs_input_grad[1]:
            return gy, None
        return gy, -gy * ctx.fn.quotient.apply(x, y)


class Remainder(_Modulo):
    """Python-style modulus: the result has the sign of the divisor (torch.remainder)."""

    kernel, quotient = "remainder_cpu", FloorDivide
    modulo = staticmethod(lambda xp, x, y: x % y)


class RemainderOfNumber(Remainder):
    """``remainder(number, tensor)``, which torch does not differentiate."""

    @staticmethod
    def backward(ctx, gy):
        raise RuntimeError("derivative for aten::remainder is not implemented")


def _check_int_division(name, x, y):
    """torch's errors for a rounding division of operands ``x``, ``y`` of one dtype."""
    kind = x.dtype.kind
    if kind == "b" or kind == "c":
        raise not_implemented(name, x.dtype)
    if kind in "iu" and (y == 0).any():
        raise RuntimeError("ZeroDivisionError")


def add(input, other, *, alpha=1):
    """``input + alpha * other``, broadcast and promoted like torch."""
    _, (x, y) = operands(input, other)
    return Add.apply(x, y, alpha)


def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    for a in (input, other):
        if a.__class__ is bool or (isinstance(a, Tensor) and a._data.dtype.kind == "b"):
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
    _, (x, y) = operands(input, other)
    return Sub.apply(x, y, alpha)


subtract = sub


def mul(input, other):
    _, (x, y) = operands(input, other)
    return Mul.apply(x, y)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float dtype), or ``rounding_mode``
    ``"trunc"`` / ``"floor"`` which keep the promoted dtype."""
    dt, (x, y) = operands(input, other)
    if rounding_mode is None:
        if dt.kind != "f" and dt.kind != "c":
            dt = get_default_dtype().np
            x, y = as_operand(x, dt), as_operand(y, dt)
        return Div.apply(x, y)
    if rounding_mode == "trunc":
        return TruncDivide.apply(x, y)
    if rounding_mode == "floor":
        return FloorDivide.apply(x, y)
    raise ValueError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


divide = true_divide = div


def floor_divide(input, other):
    """``input // other``, rounding toward -inf (not differentiable, as in torch)."""
    _, (x, y) = operands(input, other)
    return FloorDivideOp.apply(x, y)


def remainder(input, other):
    """Python-style modulus: the result has the sign of ``other``."""
    _, (x, y) = operands(input, other)
    return (Remainder if isinstance(input, Tensor) else RemainderOfNumber).apply(x, y)


@autocast_op("pow")
def pow(input, exponent):
    """``input ** exponent`` (either may be a Python number)."""
    if isinstance(exponent, int) and exponent < 0 and input._data.dtype.kind in "iub":
        # checked before operands() casts the exponent (-1 would wrap to 255 for uint8);
        # a tensor exponent may hold negative integers (see _int_pow)
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    dt, (x, e) = operands(input, exponent)
    if dt.kind == "b":  # numpy gives int8; torch keeps bool, for a Python exponent only
        if isinstance(exponent, Tensor):
            raise not_implemented("pow", dt)
        return x.clone() if exponent else ones_like(x)
    return Pow.apply(x, e)


def square(input):
    return pow(input, 2)


# ------------------------------------------------------------------ more binary math


def _float_operands(name, input, other, kernel=None):
    """Two tensors promoted to a floating dtype (integers give the default float dtype), for
    a function of floats only; torch's error, naming its kernel (``{name}_cpu`` by default),
    where both are integers and ``kernel`` is given."""
    _tensors(name, input, other)
    dt, (x, y) = operands(input, other)
    if dt.kind != "f":
        if kernel is not None:
            raise not_implemented(kernel, dt)
        dt = get_default_dtype().np
        x, y = as_operand(x, dt), as_operand(y, dt)
    return x, y


class Atan2(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        try:
            return backend.array_module(x).arctan2(x, y)
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        # d atan2(x, y) = (y dx - x dy) / (x^2 + y^2)
        x, y = ctx.saved_tensors
        g = gy / (x * x + y * y)
        return g * y if ctx.needs_input_grad[0] else None, -g * x if ctx.needs_input_grad[
            1
        ] else None


class Hypot(Function):
    @staticmethod
    def forward(ctx, x, y):
        try:
            out = backend.array_module(x).hypot(x, y)
        except ValueError:
            check_broadcast(x, y)
            raise
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, y, out = ctx.saved_tensors
        g = gy / out
        return g * x if ctx.needs_input_grad[0] else None, g * y if ctx.needs_input_grad[
            1
        ] else None


class Fmod(_Modulo):
    """C-style remainder: the result has the sign of the dividend (torch.fmod)."""

    kernel, quotient = "fmod_cpu", TruncDivide
    modulo = staticmethod(lambda xp, x, y: xp.fmod(x, y))


class LogAddExp(Function):
    """``log(e^x + e^y)`` (``base`` e) or ``log2(2^x + 2^y)`` (``base`` 2), without overflow."""

    @staticmethod
    def forward(ctx, x, y, base):
        xp = backend.array_module(x)
        try:
            with quiet():
                out = xp.logaddexp(x, y) if base == "e" else xp.logaddexp2(x, y)
        except ValueError:
            check_broadcast(x, y)
            raise
        ctx.base = base
        ctx.save_for_backward(x, y)
        return out

    @staticmethod
    def backward(ctx, gy):
        # d/dx = 1 / (1 + e^(y - x)) (2^(y - x) in base 2): the softmax weight of x, as torch
        # writes it (e^(x - out) would lose the digits that rounding out cost)
        x, y = ctx.saved_tensors
        power = exp if ctx.base == "e" else exp2
        gx = gy / (1 + power(y - x)) if ctx.needs_input_grad[0] else None
        gy_ = gy / (1 + power(x - y)) if ctx.needs_input_grad[1] else None
        return gx, gy_, None


@autocast_op("atan2")
def atan2(input, other):
    """The angle of the point ``(other, input)``: ``arctan(input / other)`` in the right
    quadrant. Integers give the default float dtype."""
    return Atan2.apply(*_float_operands("atan2", input, other))


arctan2 = atan2


def hypot(input, other):
    """``sqrt(input^2 + other^2)`` without overflow; floating tensors only, as in torch."""
    return Hypot.apply(*_float_operands("hypot", input, other, "hypot_cpu"))


def fmod(input, other):
    """C-style remainder ``input - trunc(input / other) * other``: the sign of ``input``
    (``remainder`` has the sign of ``other``). Integer division by zero is an error."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"fmod(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    _, (x, y) = operands(input, other)
    return Fmod.apply(x, y)


def logaddexp(input, other):
    """``log(exp(input) + exp(other))``, computed without overflow; floating tensors only."""
    return LogAddExp.apply(*_float_operands("logaddexp", input, other, "logaddexp_cpu"), "e")


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, computed without overflow; floating tensors only."""
    return LogAddExp.apply(*_float_operands("logaddexp2", input, other, "logaddexp2_cpu"), "2")


def float_power(input, exponent):
    """``input ** exponent`` computed in double precision: the result is always float64."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected a Tensor as 'input' or 'exponent'")
    f64 = np.dtype(np.float64)
    base = as_operand(input, f64) if isinstance(input, Tensor) else float(input)
    e = as_operand(exponent, f64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(base, Tensor):
        return pow(Tensor._make(backend.array_module(e._data).asarray(base, f64)), e)
    return pow(base, e)


# ------------------------------------------------------------------------ unary math


def _unary(name, kernel, grad, saves="x", may_warn=False, operators_only=True, real_kernel=None):
    """Make a unary Function: ``kernel(xp, x)`` computes, ``grad(gy, saved)`` differentiates.

    ``saves`` names what backward needs ("x", "y" or ""), so the graph keeps nothing else.
    A ``grad`` written with arithmetic operators alone (``operators_only``) is the Function's
    ``formula``, evaluated on raw arrays when no graph is being recorded. The function is
    holomorphic (``grad`` serves complex inputs too) unless ``real_kernel`` names torch's
    kernel, which refuses complex inputs.
    """

    def forward(ctx, x):
        xp = np if x.__class__ is np.ndarray else backend.array_module(x)  # (one call less)
        kind = x.dtype.kind
        if kind != "f" and kind != "c":
            x = x.astype(get_default_dtype().np)
        elif real_kernel is not None:
            refuse_complex(x, real_kernel)
        if may_warn:
            with quiet():
                y = kernel(xp, x)
        else:
            y = kernel(xp, x)
        if saves:
            ctx._to_save = (x if saves == "x" else y,)  # save_for_backward's work, inline
        return y

    def formula(ctx, gy, saved):
        return grad(gy, saved[0] if saves else None)

    def backward(ctx, gy):
        return formula(ctx, gy, ctx.saved_tensors)

    gradient = (
        {"formula": staticmethod(formula)}
        if operators_only
        else {"backward": staticmethod(backward)}
    )
    body = {"forward": staticmethod(forward), "holomorphic": real_kernel is None, **gradient}
    return type(name, (Function,), body)


@functools.cache
def _scalar(value, dtype):
    """``value`` as a read-only 0-d numpy array of ``dtype``. numpy 2 spends ~0.5 µs more on an
    operation with a Python number, a "weak" scalar whose dtype it must resolve, than with a
    0-d array of the other operand's dtype (16x16 float32 times 0.5: 0.96 against 0.40 µs);
    the result is the same. Small-array formulas on the hot path use these."""
    constant = np.array(value, dtype)
    constant.flags.writeable = False
    return constant


def _one_minus(a):
    """``1 - a``, with a 0-d ``1`` of ``a``'s dtype where ``a`` is a numpy array."""
    if a.__class__ is np.ndarray:
        return np.subtract(_scalar(1, a.dtype), a)
    return 1 - a


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

Exp = _unary("Exp", lambda xp, x: xp.exp(x), lambda gy, y: gy * y, "y", True)
Exp2 = _unary("Exp2", lambda xp, x: xp.exp2(x), lambda gy, y: gy * y * _LN2, "y", True)
Expm1 = _unary("Expm1", lambda xp, x: xp.expm1(x), lambda gy, y: gy * (y + 1), "y", True)
Log = _unary("Log", lambda xp, x: xp.log(x), lambda gy, x: gy / x, "x", True)
Log2 = _unary("Log2", lambda xp, x: xp.log2(x), lambda gy, x: gy / (x * _LN2), "x", True)
Log10 = _unary("Log10", lambda xp, x: xp.log10(x), lambda gy, x: gy / (x * _LN10), "x", True)
Log1p = _unary("Log1p", lambda xp, x: xp.log1p(x), lambda gy, x: gy / (x + 1), "x", True)
Sqrt = _unary("Sqrt", lambda xp, x: xp.sqrt(x), lambda gy, y: gy / (2 * y), "y", True)
# d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3
Rsqrt = _unary("Rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda gy, y: gy * -0.5 * y**3, "y", True)
Reciprocal = _unary("Reciprocal", lambda xp, x: 1 / x, lambda gy, y: -gy * y * y, "y", True)
Sin = _unary("Sin", lambda xp, x: xp.sin(x), lambda gy, x: gy * cos(x), operators_only=False)
Cos = _unary("Cos", lambda xp, x: xp.cos(x), lambda gy, x: -gy * sin(x), operators_only=False)
# d tan = 1 + tan^2
Tan = _unary("Tan", lambda xp, x: xp.tan(x), lambda gy, y: gy * (1 + y * y), "y")
Tanh = _unary("Tanh", lambda xp, x: xp.tanh(x), lambda gy, y: gy * _one_minus(y * y), "y")
Erf = _unary(
    "Erf",
    lambda xp, x: backend.erf(x),
    lambda gy, x: gy * _TWO_OVER_SQRT_PI * exp(-x * x),
    operators_only=False,
    real_kernel="erf_vml_cpu",
)


Sinh = _unary("Sinh", lambda xp, x: xp.sinh(x), lambda gy, x: gy * cosh(x), "x", True, False)
Cosh = _unary("Cosh", lambda xp, x: xp.cosh(x), lambda gy, x: gy * sinh(x), "x", True, False)
# d asin = 1 / sqrt(1 - x^2), d acos = -that, d atan = 1 / (1 + x^2)
Asin = _unary(
    "Asin", lambda xp, x: xp.arcsin(x), lambda gy, x: gy * rsqrt(1 - x * x), "x", True, False
)
Acos = _unary(
    "Acos", lambda xp, x: xp.arccos(x), lambda gy, x: -gy * rsqrt(1 - x * x), "x", True, False
)
Atan = _unary("Atan", lambda xp, x: xp.arctan(x), lambda gy, x: gy / (1 + x * x))
# d asinh = 1 / sqrt(x^2 + 1), d acosh = 1 / sqrt(x^2 - 1), d atanh = 1 / (1 - x^2)
Asinh = _unary(
    "Asinh", lambda xp, x: xp.arcsinh(x), lambda gy, x: gy * rsqrt(x * x + 1), "x", True, False
)
Acosh = _unary(
    "Acosh", lambda xp, x: xp.arccosh(x), lambda gy, x: gy * rsqrt(x * x - 1), "x", True, False
)
Atanh = _unary("Atanh", lambda xp, x: xp.arctanh(x), lambda gy, x: gy / (1 - x * x), "x", True)
Erfc = _unary(
    "Erfc",
    lambda xp, x: backend.erfc(x),
    lambda gy, x: gy * -_TWO_OVER_SQRT_PI * exp(-x * x),
    operators_only=False,
    real_kernel="erfc_vml_cpu",
)
# d erfinv(x) = sqrt(pi) / 2 * exp(erfinv(x)^2)
Erfinv = _unary(
    "Erfinv",
    lambda xp, x: backend.erfinv(x),
    lambda gy, y: gy * (math.sqrt(math.pi) / 2) * exp(y * y),
    "y",
    True,
    False,
    "erfinv_cpu",
)

# d lgamma = digamma, d digamma = polygamma(1, .), d polygamma(n, .) = polygamma(n + 1, .)
Lgamma = _unary(
    "Lgamma",
    lambda xp, x: backend.lgamma(x),
    lambda gy, x: gy * digamma(x),
    operators_only=False,
    real_kernel="lgamma_vml_cpu",
)
Digamma = _unary(
    "Digamma",
    lambda xp, x: backend.digamma(x),
    lambda gy, x: gy * polygamma(1, x),
    operators_only=False,
    real_kernel="digamma_vml_cpu",
)


class Polygamma(Function):
    @staticmethod
    def forward(ctx, x, n):
        if x.dtype.kind != "f":
            refuse_complex(x, "polygamma_cpu")
            x = x.astype(get_default_dtype().np)
        ctx.n = n
        ctx.save_for_backward(x)
        return backend.polygamma(n, x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * polygamma(ctx.n + 1, x), None


def _sigmoid_kernel(xp, x):
    # torch's 1 / (1 + e^-x), accurate in both tails (the form (1 + tanh(x / 2)) / 2 cancels
    # to 0 below about -17 in float32, where torch gives 4e-8 .. 1e-38); e^-x overflows to inf
    # below about -88, giving 0 as in torch, without numpy's warning. In place after the first
    # pass: one temporary array. (numpy's float32 divide is vectorised where its reciprocal is
    # not: 1 / y on 32x1024 elements 3.8 against 7.2 µs.)
    if xp is not np and x.dtype in (np.float32, np.float64):
        return _cuda.sigmoid(x)  # one kernel instead of four
    y = xp.negative(x) if x.ndim else xp.negative(x.reshape(1)).reshape(())  # an array
    exp_quietly(y)
    one = _scalar(1, x.dtype) if xp is np else 1
    y += one
    return xp.divide(one, y, out=y)


Sigmoid = _unary("Sigmoid", _sigmoid_kernel, lambda gy, y: gy * y * _one_minus(y), "y")


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -x

    @staticmethod
    def backward(ctx, gy):
        return -gy


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise not_implemented("abs_cpu", x.dtype)
        ctx.save_for_backward(x)
        return backend.array_module(x).abs(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        # d|z| = sgn(z): z / |z| for complex z (0 at 0), the sign for real
        return gy * sgn(x)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            y = x.copy()  # max(x, False) is x
        else:
            refuse_complex(x, message=_NO_COMPLEX_CLAMP)
            y = _relu_into(x, backend.array_module(x).empty_like(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(gy, y)


class ReluBackward(Function):
    """0 where the ReLU output ``y`` is <= 0, else ``gy`` (torch's ``threshold_backward``: a
    NaN output passes its gradient on), in one operation; linear in ``gy``, so its own gradient
    is the same mask."""

    @staticmethod
    def forward(ctx, gy, y):
        ctx.save_for_backward(y)
        xp = backend.array_module(y)
        if xp is not np:  # one kernel instead of three
            return _cuda.relu_backward(gy, y)
        return _select(xp, xp.logical_not(y <= 0), gy, gy.dtype.type(0))

    @staticmethod
    def backward(ctx, ggx):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(ggx, y), None


_ZEROS_BLOCK = 1 << 16


def _relu_into(x, out):
    """``max(x, 0)`` written into ``out`` (which may be ``x``); NaN propagates.

    numpy compares an array with a scalar in a loop that is not vectorised (float32,
    4x64x55x55: 0.29 ms, in place), but two contiguous arrays in one that is: a large
    contiguous array is compared with a block of zeros, 64K elements at a time (0.09 ms).
    """
    xp = backend.array_module(x)
    n = x.size
    if xp is not np or n < 16384 or not (x.flags.c_contiguous and out.flags.c_contiguous):
        return xp.maximum(x, 0, out=out)
    zeros = np.zeros(min(n, _ZEROS_BLOCK), x.dtype)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    whole = n - n % zeros.size  # in whole blocks, then the rest
    blocks = (-1, zeros.size)
    np.maximum(flat_x[:whole].reshape(blocks), zeros, out=flat_out[:whole].reshape(blocks))
    np.maximum(flat_x[whole:], zeros[: n - whole], out=flat_out[whole:])
    return out


def _step(name, kernel):
    """A piecewise-constant function (sign, floor, ...): its gradient is zero everywhere."""

    def forward(ctx, x, *args):
        return kernel(backend.array_module(x), x, *args)

    def backward(ctx, gy):
        return (zeros_like(gy),) + (None,) * (len(ctx.needs_input_grad) - 1)

    return type(
        name, (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    )


def _sign_kernel(xp, x):
    kind = x.dtype.kind
    if kind == "b":
        return x.copy()
    if kind == "c":
        raise NotImplementedError(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
            "torch.sgn instead."
        )
    y = xp.sign(x)
    if kind == "f":
        y = xp.asarray(y)  # (numpy gives a scalar for a 0-d array)
        y[xp.isnan(y)] = 0  # torch: sign(nan) is 0
    return y


def _rounding(name, kernel):
    """A rounding kernel: ``kernel(xp, x, *args)`` on floats, a copy of integers; bool is
    refused, as in torch (its kernel ``name``: a string, or a function of ``args``)."""

    def rounded(xp, x, *args):
        kind = x.dtype.kind
        if kind == "f":
            return kernel(xp, x, *args)
        if kind == "b" or kind == "c":
            raise not_implemented(name if isinstance(name, str) else name(*args), x.dtype)
        return x.copy()

    return rounded


Sign = _step("Sign", _sign_kernel)
Floor = _step("Floor", _rounding("floor_vml_cpu", lambda xp, x: xp.floor(x)))
Ceil = _step("Ceil", _rounding("ceil_vml_cpu", lambda xp, x: xp.ceil(x)))
Trunc = _step("Trunc", _rounding("trunc_vml_cpu", lambda xp, x: xp.trunc(x)))
# numpy rounds half to even, like torch
Round = _step(
    "Round",
    _rounding(
        lambda decimals: "round_cpu" if decimals else "round_vml_cpu",
        lambda xp, x, decimals: xp.round(x, decimals),
    ),
)


def neg(input):
    return Neg.apply(input)


negative = neg


def abs(input):
    return Abs.apply(input)


absolute = abs


def sign(input):
    return Sign.apply(input)


class Sgn(Function):
    """``z / |z|`` of complex ``z`` (0 at 0)."""

    @staticmethod
    def forward(ctx, x):
        xp = backend.array_module(x)
        magnitude = xp.abs(x)
        with quiet():
            y = xp.where(magnitude == 0, 0, x / magnitude).astype(x.dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        # sgn(z) moves only with the angle of z: the gradient is gy's component tangent to
        # the unit circle at sgn(z), divided by |z| (and 0 at z = 0, as torch's)
        x, s = ctx.saved_tensors
        magnitude = x.abs()
        tangent = gy - (gy * s.conj()).real * s
        return where(magnitude == 0, 0.0, tangent / where(magnitude == 0, 1.0, magnitude))


def sgn(input):
    """The sign of real numbers; ``z / |z|`` of complex ones (0 at 0)."""
    if input._data.dtype.kind == "c":
        return Sgn.apply(input)
    return sign(input)


@autocast_op("exp")
def exp(input):
    return Exp.apply(input)


def exp2(input):
    return Exp2.apply(input)


@autocast_op("expm1")
def expm1(input):
    return Expm1.apply(input)


@autocast_op("log")
def log(input):
    return Log.apply(input)


@autocast_op("log2")
def log2(input):
    return Log2.apply(input)


@autocast_op("log10")
def log10(input):
    return Log10.apply(input)


@autocast_op("log1p")
def log1p(input):
    return Log1p.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


@autocast_op("rsqrt")
def rsqrt(input):
    return Rsqrt.apply(input)


@autocast_op("reciprocal")
def reciprocal(input):
    return Reciprocal.apply(input)


def sin(input):
    return Sin.apply(input)


def cos(input):
    return Cos.apply(input)


@autocast_op("tan")
def tan(input):
    return Tan.apply(input)


def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def relu(input):
    return Relu.apply(input)


def relu_(input):
    """``relu`` written into ``input``'s memory (``nn.ReLU(inplace=True)``)."""
    x = input._data
    if input._writes_recorded() or x.dtype.kind == "b":
        return input._inplace(relu)  # recorded (or refused) like every in-place operation
    # nothing to record: one pass over the data, no temporary (2x64x224x224 float32: 1.6 ms
    # instead of 5.4 ms for computing aside and copying in)
    _relu_into(x, x)
    _versions.bump(x)
    return input


def erf(input):
    return Erf.apply(input)


def floor(input):
    return Floor.apply(input)


def ceil(input):
    return Ceil.apply(input)


def trunc(input):
    return Trunc.apply(input)


fix = trunc


def round(input, *, decimals=0):
    """Round half to even (like torch); ``decimals`` digits after the point."""
    return Round.apply(input, decimals)


@autocast_op("sinh")
def sinh(input):
    return Sinh.apply(input)


@autocast_op("cosh")
def cosh(input):
    return Cosh.apply(input)


@autocast_op("asin")
def asin(input):
    return Asin.apply(input)


@autocast_op("acos")
def acos(input):
    return Acos.apply(input)


def atan(input):
    return Atan.apply(input)


def asinh(input):
    return Asinh.apply(input)


def acosh(input):
    return Acosh.apply(input)


def atanh(input):
    return Atanh.apply(input)


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def erfc(input):
    """``1 - erf(input)``, accurate where it is small (large ``input``)."""
    return Erfc.apply(input)


@autocast_op("erfinv")
def erfinv(input):
    """The inverse of ``erf`` on [-1, 1]: +-inf at +-1, NaN outside."""
    return Erfinv.apply(input)


def lgamma(input):
    """``log|Gamma(input)|``; +inf at 0, -1, -2, ..."""
    return Lgamma.apply(input)


def digamma(input):
    """The logarithmic derivative of the gamma function, ``d/dx lgamma(x)``: -inf at 0 and
    NaN at the negative integers, as in torch."""
    return Digamma.apply(input)


def polygamma(n, input):
    """The ``n``-th derivative of ``digamma``; ``n = 0`` is ``digamma`` itself."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input)
    return Polygamma.apply(input, n)


def xlogy(input, other):
    """``input * log(other)``, defined as 0 where ``input`` is 0 (and NaN where ``other`` is).

    Either argument may be a Python number, not both."""
    device = (input if isinstance(input, Tensor) else other).device
    x = input if isinstance(input, Tensor) else as_tensor(input, device=device)
    y = other if isinstance(other, Tensor) else as_tensor(other, device=device)
    # where x == 0 (and y is not NaN) y is replaced by 1: the product is 0 without meeting
    # 0 * log(0), and both gradients are 0 there, torch's convention
    safe = where((x == 0) & ~isnan(y), ones_like(y), y)
    return x * log(safe)


class Frac(Function):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            raise not_implemented("frac_cpu", x.dtype)
        return x - backend.array_module(x).trunc(x)

    @staticmethod
    def backward(ctx, gy):
        return gy


def frac(input):
    """The fractional part ``input - trunc(input)``, with the sign of ``input``."""
    return Frac.apply(input)


class NanToNum(Function):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        if x.dtype.kind != "f":
            return x.copy()
        xp = backend.array_module(x)
        ctx.save_for_backward(xp.isfinite(x))
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, gy):
        (finite,) = ctx.saved_tensors
        return where(finite, gy, 0.0), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and
    the largest and lowest finite values of the dtype); integers and bools are copied."""
    return NanToNum.apply(input, nan, posinf, neginf)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    if min is None:
        raise TypeError("clamp_min(): argument 'min' must be Number or Tensor, not NoneType")
    return clamp(input, min=min)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    if max is None:
        raise TypeError("clamp_max(): argument 'max' must be Number or Tensor, not NoneType")
    return clamp(input, max=max)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** e`` for exponents ``e`` evenly spaced from ``start`` to
    ``end`` inclusive (computed in float64, then converted to ``dtype``)."""
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    exponents = np.linspace(start, end, int(steps), dtype=np.float64)
    with quiet():
        values = np.power(float(base), exponents)
    if not dt.is_floating_point:
        values = np.trunc(values)
    return _place(values.astype(dt.np), device, requires_grad)


# ------------------------------------------------------------------ clamp, min/max, where


# torch's words where clamp or relu meet complex numbers (a NotImplementedError)
_NO_COMPLEX_CLAMP = "clamp is not supported for complex types"


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        refuse_complex(x, message=_NO_COMPLEX_CLAMP)
        xp = backend.array_module(x)
        y = x
        try:
            if lo is not None:
                y = xp.maximum(y, lo)
            if hi is not None:
                y = xp.minimum(y, hi)
        except ValueError:
            check_broadcast(x, lo, hi)
            raise
        ctx.save_for_backward(x, lo, hi)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, lo, hi = ctx.saved_tensors
        # the gradient passes where lo <= x <= hi; a tensor bound gets it where it clamped
        above_lo = x >= lo if lo is not None else None
        below_hi = x <= hi if hi is not None else None
        if above_lo is None or below_hi is None:
            keep = above_lo if below_hi is None else below_hi
        else:
            keep = above_lo & below_hi
        glo = where(above_lo, 0.0, gy) if ctx.needs_input_grad[1] else None
        ghi = where(below_hi, 0.0, gy) if ctx.needs_input_grad[2] else None
        return where(keep, gy, 0.0), glo, ghi


def clamp(input, min=None, max=None):
    """Limit ``input`` to ``[min, max]``; either bound may be None, a number or a tensor."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    _, (x, *bs) = operands(input, *bounds)
    lo = bs.pop(0) if min is not None else None
    hi = bs.pop(0) if max is not None else None
    return Clamp.apply(x, lo, hi)


clip = clamp


class _MinMax(Function):
    @staticmethod
    def forward(ctx, x, y):
        message = f"{ctx.fn.__name__.lower()} not implemented for complex tensors."
        refuse_complex(x, message=message, error=RuntimeError)
        ctx.save_for_backward(x, y)
        try:
            return ctx.fn._kernel(backend.array_module(x), x, y)
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        # ties share the gradient equally, as in torch
        x_wins = ctx.fn._wins(x, y)
        tie = x == y
        half = gy * 0.5
        gx = where(tie, half, where(x_wins, gy, 0.0))
        gy_ = where(tie, half, where(x_wins, 0.0, gy))
        return gx, gy_


class Maximum(_MinMax):
    _kernel = staticmethod(lambda xp, x, y: xp.maximum(x, y))
    _wins = staticmethod(lambda x, y: x > y)


class Minimum(_MinMax):
    _kernel = staticmethod(lambda xp, x, y: xp.minimum(x, y))
    _wins = staticmethod(lambda x, y: x < y)


def _tensors(name, input, other):
    """torch's error where an operation taking two tensors is given something else."""
    for arg, position, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                f"{type(value).__name__}"
            )


def maximum(input, other):
    """Element-wise maximum (NaN propagates)."""
    _tensors("maximum", input, other)
    _, (x, y) = operands(input, other)
    return Maximum.apply(x, y)


def minimum(input, other):
    _tensors("minimum", input, other)
    _, (x, y) = operands(input, other)
    return Minimum.apply(x, y)


class Where(Function):
    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.save_for_backward(condition)
        try:
            return _select(backend.array_module(condition), condition, x, y)
        except ValueError:
            check_broadcast(condition, x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        (condition,) = ctx.saved_tensors
        gx = where(condition, gy, 0.0) if ctx.needs_input_grad[1] else None
        gy_ = where(condition, 0.0, gy) if ctx.needs_input_grad[2] else None
        return None, gx, gy_


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _select(xp, condition, x, y):
    """``xp.where(condition, x, y)``, bit for bit (NaN, inf and -0.0 included).

    numpy's where branches on every element, which is slow on irregular masks (ReLU's
    backward, 8x64x64x64 float32: 7.7 ms). On large numpy arrays of numbers the choice is made
    with bitwise arithmetic instead, ``x & m | y & ~m`` with ``m`` all ones where the
    condition holds: 1.5 ms (3.5 ms when ``y`` is not 0). Where ``y`` is 0, ``x``'s bits times
    the condition (0 or 1) take one pass fewer: LeNet-5's first ReLU backward (64x6x28x28)
    0.12 -> 0.095 ms.
    """
    # (cupy's where is a plain kernel; on small arrays one call costs less than four)
    if xp is not np or condition.size < 4096:
        return xp.where(condition, x, y)
    dtype = np.result_type(x, y)
    unsigned = _UNSIGNED.get(dtype.itemsize)
    if dtype.kind not in "biuf" or unsigned is None:
        return np.where(condition, x, y)
    xb = np.asarray(x, dtype).view(unsigned)
    yb = np.asarray(y, dtype).view(unsigned)
    if yb.ndim == 0 and yb == 0:  # where(condition, x, 0): x's bits times 0 or 1
        return (xb * condition).view(dtype)
    m = np.negative(condition.view(np.uint8), dtype=unsigned)
    return (xb & m | yb & ~m).view(dtype)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other`` (numbers allowed);
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype is not bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype.scalar_name}"
        )
    _, (x, y) = operands(input, other)
    return Where.apply(condition, x, y)


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return input + weight * (end - input)


@autocast_op("addcmul")
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    return input + value * tensor1 * tensor2 if value != 1 else input + tensor1 * tensor2


@autocast_op("addcdiv")
def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    return input + value * tensor1 / tensor2 if value != 1 else input + tensor1 / tensor2


# -------------------------------------------------------------- comparison and logic


def _compare(name, kernel, ordering=False):
    """A comparison or logical Function (on operands of one dtype): returns bool. An
    ``ordering`` one (``<`` ...) refuses complex numbers, as torch does."""

    def forward(ctx, *arrays):
        if ordering:
            refuse_complex(arrays[0], f"{name.lower()}_cpu")
        try:
            return kernel(backend.array_module(arrays[0]), *arrays)
        except ValueError:
            check_broadcast(*arrays)
            raise

    return type(name, (Function,), {"forward": staticmethod(forward)})


Eq = _compare("Eq", lambda xp, x, y: x == y)
Ne = _compare("Ne", lambda xp, x, y: x != y)
Lt = _compare("Lt", lambda xp, x, y: x < y, True)
Le = _compare("Le", lambda xp, x, y: x <= y, True)
Gt = _compare("Gt", lambda xp, x, y: x > y, True)
Ge = _compare("Ge", lambda xp, x, y: x >= y, True)
LogicalAnd = _compare("LogicalAnd", lambda xp, x, y: xp.logical_and(x, y))
LogicalOr = _compare("LogicalOr", lambda xp, x, y: xp.logical_or(x, y))
LogicalXor = _compare("LogicalXor", lambda xp, x, y: xp.logical_xor(x, y))
LogicalNot = _compare("LogicalNot", lambda xp, x: xp.logical_not(x))
IsNan = _compare("IsNan", lambda xp, x: xp.isnan(x))
IsInf = _compare("IsInf", lambda xp, x: xp.isinf(x))
IsFinite = _compare("IsFinite", lambda xp, x: xp.isfinite(x))


def _binary_compare(fn, name=None):
    """The function of a binary comparison; a ``name`` makes it take tensors only (as torch's
    logical_and: a Python number is an error)."""

    def compare(input, other):
        if name is not None:
            _tensors(name, input, other)
        _, (x, y) = operands(input, other)
        return fn.apply(x, y)

    compare.__name__ = name or fn.__name__.lower()
    compare.__doc__ = f"Element-wise ``{fn.__name__}`` comparison; returns a bool tensor."
    return compare


eq = _binary_compare(Eq)
ne = not_equal = _binary_compare(Ne)
lt = less = _binary_compare(Lt)
le = less_equal = _binary_compare(Le)
gt = greater = _binary_compare(Gt)
ge = greater_equal = _binary_compare(Ge)
logical_and = _binary_compare(LogicalAnd, "logical_and")
logical_or = _binary_compare(LogicalOr, "logical_or")
logical_xor = _binary_compare(LogicalXor, "logical_xor")


def logical_not(input):
    return LogicalNot.apply(input)


def isnan(input):
    return IsNan.apply(input)


def isinf(input):
    return IsInf.apply(input)


def isfinite(input):
    return IsFinite.apply(input)


def _bitwise(name, kernel, cpu_name=None, bool_ok=True):
    """A bitwise function of integer (and, if ``bool_ok``, bool) operands; torch's error for
    others, which names its kernel ``cpu_name`` (``{name}_cpu`` by default)."""
    fn = _compare(name, kernel)
    kinds = "iub" if bool_ok else "iu"

    def op(input, other):
        dt, (x, y) = operands(input, other)
        if dt.kind not in kinds:
            raise not_implemented(cpu_name or f"{name}_cpu", dt)
        return fn.apply(x, y)

    op.__name__ = name
    return op


bitwise_and = _bitwise("bitwise_and", lambda xp, x, y: x & y)
bitwise_or = _bitwise("bitwise_or", lambda xp, x, y: x | y)
bitwise_xor = _bitwise("bitwise_xor", lambda xp, x, y: x ^ y)
# numpy shifts as torch does: by the bit width or more (or a negative amount) gives 0, or -1
# for a negative number shifted right
bitwise_left_shift = _bitwise("bitwise_left_shift", lambda xp, x, y: x << y, "lshift_cpu", False)
bitwise_right_shift = _bitwise("bitwise_right_shift", lambda xp, x, y: x >> y, "rshift_cpu", False)
BitwiseNot = _compare("BitwiseNot", lambda xp, x: ~x)


def bitwise_not(input):
    if input.is_floating_point():
        raise TypeError("bitwise_not is only supported for integer and boolean tensors")
    return BitwiseNot.apply(input)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` element-wise."""
    xp = backend.array_module(input._data)
    return Tensor._make(xp.isclose(input._data, other._data, rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    """True when both tensors have the same shape and the same elements."""
    return input.shape == other.shape and bool((input == other).all())


# ------------------------------------------------------- more element-wise functions


class Copysign(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        try:
            return backend.array_module(x).copysign(x, y)
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        # d/dx copysign(x, y) = sign(x) * sign-bit(y), 0 where x is 0 (torch's convention);
        # y gets no gradient
        x, y = ctx.saved_tensors
        flip = where(signbit(x) ^ signbit(y), -1.0, 1.0)
        return where(x == 0, 0.0, gy * flip), zeros_like(gy) if ctx.needs_input_grad[1] else None


def copysign(input, other):
    """``input``'s magnitude with ``other``'s sign (its sign bit: -0.0 counts as negative).
    Integers give the default float dtype."""
    x, y = _float_operands("copysign", *_with_tensor(input, other))
    return Copysign.apply(x, y)


def _with_tensor(input, other):
    """``(input, other)`` with a Python number ``other`` made a 0-d tensor on ``input``'s
    device, for functions whose ``other`` may be a number."""
    if isinstance(other, Tensor):
        return input, other
    return input, as_tensor(other, device=input.device)


class _NanMinMax(Function):
    """``fmax``/``fmin``: the larger (smaller) of two numbers, ignoring a NaN. The gradient
    goes to the one chosen, all of it to ``x`` on a tie (torch's rule, unlike maximum's)."""

    @staticmethod
    def forward(ctx, x, y):
        refuse_complex(
            x, message=f"{ctx.fn._name} not implemented for complex tensors.", error=RuntimeError
        )
        ctx.save_for_backward(x, y)
        try:
            return ctx.fn._kernel(backend.array_module(x), x, y)
        except ValueError:
            check_broadcast(x, y)
            raise

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        x_chosen = ctx.fn._x_wins(x, y) | isnan(y)
        return where(x_chosen, gy, 0.0), where(x_chosen, 0.0, gy)


class Fmax(_NanMinMax):
    _name = "fmax"
    _kernel = staticmethod(lambda xp, x, y: xp.fmax(x, y))
    _x_wins = staticmethod(lambda x, y: x >= y)


class Fmin(_NanMinMax):
    _name = "fmin"
    _kernel = staticmethod(lambda xp, x, y: xp.fmin(x, y))
    _x_wins = staticmethod(lambda x, y: x <= y)


def fmax(input, other):
    """Element-wise maximum where a NaN loses to a number (NaN only where both are)."""
    _tensors("fmax", input, other)
    _, (x, y) = operands(input, other)
    return Fmax.apply(x, y)


def fmin(input, other):
    """Element-wise minimum where a NaN loses to a number (NaN only where both are)."""
    _tensors("fmin", input, other)
    _, (x, y) = operands(input, other)
    return Fmin.apply(x, y)


def _integer_binary(name, kernel):
    """A function of two integer tensors (gcd, lcm): floats and bools are refused."""
    fn = _compare(name.capitalize(), kernel)

    def op(input, other):
        _tensors(name, input, other)
        dt, (x, y) = operands(input, other)
        if dt.kind not in "iu":
            raise not_implemented(f"{name}_cpu", dt)
        return fn.apply(x, y)

    op.__name__ = name
    op.__doc__ = (
        f"The element-wise {'greatest common divisor' if name == 'gcd' else 'least common multiple'}"
        " of two integer tensors (non-negative; 0 with 0 gives 0)."
    )
    return op


gcd = _integer_binary("gcd", lambda xp, x, y: xp.gcd(x, y))
lcm = _integer_binary("lcm", lambda xp, x, y: xp.lcm(x, y))


class Heaviside(Function):
    @staticmethod
    def forward(ctx, x, values):
        xp = backend.array_module(x)
        try:
            return xp.where(x == 0, values, (x > 0).astype(x.dtype)).astype(x.dtype)
        except ValueError:
            check_broadcast(x, values)
            raise

    @staticmethod
    def backward(ctx, gy):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input, values):
    """The Heaviside step: 0 where ``input`` < 0, 1 where > 0, ``values`` where it is 0.
    Both must have one dtype; there is no gradient (torch has none)."""
    _tensors("heaviside", input, values)
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    refuse_complex(input._data, "heaviside_cpu")
    return Heaviside.apply(input, values)


def _bessel_kernel(n, scaled):
    """The kernel of ``i0``/``i1`` (``scaled``: ``i0e``/``i1e``), in the input's dtype."""

    def kernel(xp, x):
        y = backend.bessel_ie(n, x)
        if not scaled:
            with quiet():  # (0 * inf is NaN at +-inf, as torch gives)
                y = y * xp.exp(xp.abs(x))
        return y.astype(x.dtype)

    return kernel


# i0' = i1;  i1' = i0 - i1 / x (1/2 at 0);  d e^-|x| i0 = i1e - sgn(x) i0e;
# d e^-|x| i1 = i0e - i1e (sgn(x) + 1 / x) (1/2 at 0)
I0 = _unary(
    "I0",
    _bessel_kernel(0, False),
    lambda gy, x: gy * special_i1(x),
    operators_only=False,
    real_kernel="i0_cpu",
)
I0e = _unary(
    "I0e",
    _bessel_kernel(0, True),
    lambda gy, x: gy * (special_i1e(x) - sign(x) * special_i0e(x)),
    operators_only=False,
    real_kernel="i0e_cpu",
)
I1 = _unary(
    "I1",
    _bessel_kernel(1, False),
    lambda gy, x: gy * where(x == 0, 0.5, i0(x) - special_i1(x) / where(x == 0, 1.0, x)),
    operators_only=False,
    real_kernel="i1_cpu",
)
I1e = _unary(
    "I1e",
    _bessel_kernel(1, True),
    lambda gy, x: (
        gy
        * where(
            x == 0, 0.5, special_i0e(x) - special_i1e(x) * (sign(x) + 1 / where(x == 0, 1.0, x))
        )
    ),
    operators_only=False,
    real_kernel="i1e_cpu",
)


def i0(input):
    """The modified Bessel function of the first kind of order 0, ``I_0(input)``."""
    return I0.apply(input)


def special_i0e(input):
    """``exp(-|input|) * I_0(input)``: ``i0`` scaled so that it does not overflow."""
    return I0e.apply(input)


def special_i1(input):
    """The modified Bessel function of the first kind of order 1, ``I_1(input)``."""
    return I1.apply(input)


def special_i1e(input):
    """``exp(-|input|) * I_1(input)``: ``I_1`` scaled so that it does not overflow."""
    return I1e.apply(input)


class Igamma(Function):
    """The regularised lower (``upper=False``) or upper incomplete gamma function of
    ``(a, x)``. Only ``x`` is differentiated, as in torch:
    ``d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)``."""

    @staticmethod
    def forward(ctx, a, x, upper):
        ctx.upper = upper
        ctx.save_for_backward(a, x)
        try:
            p = backend.gammainc(a, x)
        except ValueError:
            check_broadcast(a, x)
            raise
        y = 1.0 - p if upper else p
        return backend.array_module(x).asarray(y, x.dtype)

    @staticmethod
    def backward(ctx, gy):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"the derivative for '{'igammac' if ctx.upper else 'igamma'}: input' is not "
                "implemented."
            )
        density = exp((a - 1) * log(x) - x - lgamma(a))
        return None, -gy * density if ctx.upper else gy * density, None


def _igamma(name, upper):
    def op(input, other):
        _tensors(name, input, other)
        dt, (a, x) = operands(input, other)
        if dt.kind != "f":
            raise not_implemented(f"{name}_cpu", dt)
        return Igamma.apply(a, x, upper)

    op.__name__ = name
    return op


igamma = _igamma("igamma", False)
igamma.__doc__ = """The regularised lower incomplete gamma function
``P(input, other) = 1/Gamma(input) * integral_0^other t^(input-1) e^-t dt``; floats only."""
igammac = _igamma("igammac", True)
igammac.__doc__ = """The regularised upper incomplete gamma function ``Q = 1 - P`` (see
``igamma``); floats only."""


class Ldexp(Function):
    @staticmethod
    def forward(ctx, x, e):
        try:
            with quiet():
                y = x * backend.array_module(x).exp2(e).astype(x.dtype)
        except ValueError:
            check_broadcast(x, e)
            raise
        ctx.save_for_backward(e, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        # torch's wart, kept: an integer exponent's power 2 ** e is taken in integers for the
        # gradient, so it is 0 where e < 0
        e, y = ctx.saved_tensors
        gx = ge = None
        if ctx.needs_input_grad[0]:
            power = pow(2.0, e) if e.dtype.is_floating_point else where(e < 0, 0, pow(2, e))
            gx = gy * power
        if ctx.needs_input_grad[1]:
            ge = gy * y * _LN2
        return gx, ge


def ldexp(input, other):
    """``input * 2 ** other``; integers give the default float dtype. For an integer
    ``other``, the gradient of ``input`` is 0 where ``other`` < 0, as torch computes it."""
    _tensors("ldexp", input, other)
    dt = result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        dt = get_default_dtype()
    x = input if input.dtype == dt else input.to(dt)
    e = other if not other.dtype.is_floating_point or other.dtype == dt else other.to(dt)
    return Ldexp.apply(x, e)


_FrexpResult = namedtuple("frexp", ("mantissa", "exponent"))


class Frexp(Function):
    @staticmethod
    def forward(ctx, x):
        mantissa, exponent = backend.array_module(x).frexp(x)
        ctx.save_for_backward(exponent)
        return mantissa, exponent.astype(np.int32)

    @staticmethod
    def backward(ctx, gy, gexponent):
        (exponent,) = ctx.saved_tensors
        return gy / pow(2.0, exponent)


def frexp(input):
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent``, ``|mantissa|`` in
    [0.5, 1) (0 for 0); the exponent is int32. Floating tensors only."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return _FrexpResult(*Frexp.apply(input))


def logit(input, eps=None):
    """``log(p / (1 - p))``, the inverse of ``sigmoid``; with ``eps``, ``p`` is first clamped
    to ``[eps, 1 - eps]`` (the gradient is 0 outside). Integers give the default float."""
    z = input if input._data.dtype.kind == "f" else input.to(get_default_dtype())
    if eps is not None:
        z = clamp(z, eps, 1 - eps)
    return log(z / (1 - z))


NextAfter = _compare("NextAfter", lambda xp, x, y: xp.nextafter(x, y))


def nextafter(input, other):
    """The next floating-point value after ``input`` towards ``other``; floats only."""
    _tensors("nextafter", input, other)
    dt, (x, y) = operands(input, other)
    if dt.kind != "f":
        raise not_implemented("nextafter_cpu", dt)
    return NextAfter.apply(x, y)


SignBit = _compare("SignBit", lambda xp, x: xp.signbit(x) if x.dtype.kind == "f" else x < 0)


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0)."""
    if input._data.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return SignBit.apply(input)


class Sinc(Function):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind not in "fc":
            x = x.astype(get_default_dtype().np)
        ctx.save_for_backward(x)
        with quiet():
            return backend.array_module(x).sinc(x).astype(x.dtype)

    @staticmethod
    def backward(ctx, gy):
        # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, 0 at 0
        (x,) = ctx.saved_tensors
        safe = where(x == 0, 1.0, x)
        return where(x == 0, 0.0, gy * (cos(math.pi * safe) - sinc(safe)) / safe)


def sinc(input):
    """The normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    return Sinc.apply(input)


def _angle_conversion(name, factor):
    def op(input):
        if input._data.dtype.kind == "c":
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        if input._data.dtype.kind != "f":
            input = input.to(get_default_dtype())
        return input * factor

    op.__name__ = name
    return op


rad2deg = _angle_conversion("rad2deg", 180.0 / math.pi)
rad2deg.__doc__ = "Angles in radians converted to degrees; integers give the default float."
deg2rad = _angle_conversion("deg2rad", math.pi / 180.0)
deg2rad.__doc__ = "Angles in degrees converted to radians; integers give the default float."

IsPosInf = _compare("IsPosInf", lambda xp, x: xp.isposinf(x) if x.dtype.kind == "f" else x != x)
IsNegInf = _compare("IsNegInf", lambda xp, x: xp.isneginf(x) if x.dtype.kind == "f" else x != x)


def isposinf(input):
    """True where ``input`` is +inf."""
    if input._data.dtype.kind == "c":
        raise RuntimeError("isposinf does not support complex inputs.")
    return IsPosInf.apply(input)


def isneginf(input):
    """True where ``input`` is -inf."""
    if input._data.dtype.kind == "c":
        raise RuntimeError("isneginf does not support complex inputs.")
    return IsNegInf.apply(input)


def isreal(input):
    """True where ``input`` is real: everywhere for real dtypes, where the imaginary part is
    0 for complex ones."""
    if input._data.dtype.kind != "c":
        return ones_like(input, dtype=bool_)
    return input.imag == 0


def positive(input):
    """``input`` itself (``+input``); refused for bool tensors, as in torch."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``: ``sub`` with its operands swapped."""
    if not isinstance(other, Tensor):
        other = as_tensor(other, device=input.device)
        dt = result_type(input, other.item())
        return sub(other.to(dt), input, alpha=alpha)
    return sub(other, input, alpha=alpha)


def mvlgamma(input, p):
    """The multivariate log-gamma of dimension ``p``:
    ``p (p - 1) / 4 * log(pi) + sum_{i=0}^{p-1} lgamma(input - i / 2)``; every element of
    ``input`` must exceed ``(p - 1) / 2``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input._data.dtype.kind == "f" else input.to(get_default_dtype())
    if not bool((x > (p - 1) / 2).all()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    shifts = as_tensor(np.arange(p) / -2.0, dtype=x.dtype, device=x.device)
    terms = lgamma(x.unsqueeze(-1) + shifts)
    return terms.sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def fill(input, value):
    """A tensor like ``input`` filled with ``value`` (a number or a 0-D tensor, which then
    gets the gradient, summed); the out-of-place ``fill_``."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions."
        )
    everywhere = Tensor._make(backend.array_module(input._data).ones((), dtype=bool))
    value = value.to(input.dtype) if isinstance(value, Tensor) else value
    return where(everywhere, value, input).to(input.dtype)
