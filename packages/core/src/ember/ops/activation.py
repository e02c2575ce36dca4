"""Activation functions: the softmax family, and the element-wise activations of
``torch.nn.functional`` (ReLU variants, the ELU family, GELU, SiLU, softplus, shrinks...).

The softmax family are fused Functions (their stable forms need a max and a sum). The
element-wise activations are compositions of pointwise operations (``where``, ``clamp``,
``exp``, ``erf``, ...), so their gradients, and gradients of gradients, come from those
primitives. Where a function has a kink, the composition is chosen so that its gradient
there follows torch's convention, stated in each docstring. Only ``hardtanh`` (which ``relu6``,
``hardsigmoid`` and ``hardswish`` build on) and ``leaky_relu`` are fused Functions, measured
faster below, and the ELU family, whose gradient in the far negative tail must come from
``exp(x)`` itself; a fused ``gelu`` was not faster (its time is erf's either way).

Like torch, the activations without an integer kernel raise NotImplementedError for integer
and bool inputs (softmax without ``dtype``, gelu, the ELU family, ...), naming torch's kernel.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from .._dtype import as_dtype, from_numpy
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ._util import quiet, wrap_dim
from .pointwise import abs, clamp, erf, exp, log, log1p, neg, sigmoid, tanh, where

__all__ = [
    "softmax",
    "log_softmax",
    "softmin",
    "threshold",
    "threshold_",
    "hardtanh",
    "hardtanh_",
    "relu6",
    "leaky_relu",
    "leaky_relu_",
    "prelu",
    "rrelu",
    "rrelu_",
    "elu",
    "elu_",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "gelu",
    "silu",
    "mish",
    "hardsigmoid",
    "hardswish",
    "softplus",
    "softsign",
    "logsigmoid",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "glu",
    "gumbel_softmax",
]


def _shifted(x, axis):
    """``x`` minus its maximum along ``axis``, as a new array: exponentials of it cannot
    overflow, the largest being exp(0) = 1."""
    if x.size == 0:
        return x.copy()  # an empty slice has no maximum
    # asarray: numpy turns 0-d results into scalars, which in-place updates cannot take
    return backend.array_module(x).asarray(x - x.max(axis=axis, keepdims=True))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = backend.array_module(x)
        with quiet():  # a row of -inf gives nan (inf - inf), as in torch
            y = _shifted(x, axis)
            xp.exp(y, out=y)
            y /= y.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        # dx_i = y_i * (g_i - sum_j g_j y_j)
        return y * (gy - (gy * y).sum(ctx.axis, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = backend.array_module(x)
        with quiet():
            y = _shifted(x, axis)
            y -= xp.log(xp.exp(y).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        # dx_i = g_i - softmax_i * sum_j g_j, with softmax = exp(log_softmax)
        return gy - exp(y) * gy.sum(ctx.axis, keepdim=True), None


def _implicit_dim(name, dim, input):
    """``dim``, or for None torch's legacy choice (with its deprecation warning): dimension 0
    for 0-, 1- and 3-D inputs (taken as unbatched), else 1."""
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    return dim


def _check_floating(kernel, x):
    """torch's error for an integer or bool array ``x`` given to ``kernel`` (named as torch
    names it), which has no kernel for those: ``"elu_cpu" not implemented for 'Long'``."""
    if x.dtype.kind != "f":
        name = from_numpy(x.dtype).scalar_name
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


def _prepare(kernel, input, dim, dtype):
    """The input cast to ``dtype`` and the axis to reduce over (None for a 0-d input)."""
    if dtype is not None:
        input = input.to(as_dtype(dtype))
    else:
        _check_floating(kernel, input._data)
    dim = wrap_dim(dim, input._data.ndim)
    return input, dim if input._data.ndim else None


@autocast_op("softmax")
def softmax(input, dim, dtype=None):
    """``exp(x_i) / sum_j exp(x_j)`` over the slices along ``dim``: non-negative, summing to 1.

    Args:
        input: a floating-point tensor (integer tensors need ``dtype``).
        dim: the dimension to normalise over. ``None`` is accepted, like
            ``torch.nn.functional.softmax``, with torch's deprecation warning and its legacy
            choice (dimension 0 for 0-, 1- and 3-D inputs, else 1).
        dtype: cast the input to this dtype first (to compute float16 data in float32).

    Computed as ``exp(x - max)`` so large inputs cannot overflow.
    """
    dim = _implicit_dim("softmax", dim, input)
    input, axis = _prepare("softmax_lastdim_kernel_impl", input, dim, dtype)
    return Softmax.apply(input, axis)


@autocast_op("log_softmax")
def log_softmax(input, dim, dtype=None):
    """``log(softmax(x))``, computed stably as ``x - max - log(sum(exp(x - max)))``.

    Arguments as ``softmax``.
    """
    dim = _implicit_dim("log_softmax", dim, input)
    input, axis = _prepare("log_softmax_lastdim_kernel_impl", input, dim, dtype)
    return LogSoftmax.apply(input, axis)


def softmin(input, dim, dtype=None):
    """``softmax(-x)``: largest weight on the smallest element. Arguments as ``softmax``."""
    return softmax(neg(input), _implicit_dim("softmin", dim, input), dtype)


# ------------------------------------------------------------------- element-wise activations


def _in_place(fn, input, *args):
    """``fn(input, *args)`` written into ``input``'s memory (torch's ``inplace=True``).

    A composite saves its input for backward in inner nodes that ``Tensor._inplace`` does not
    see, so while autograd records it runs on a copy: overwriting ``input`` must not change
    what backward reads.
    """
    return input._inplace(lambda x, *a: fn(x.clone() if x.requires_grad else x, *a), *args)


def _in_place_variant(fn):
    """The trailing-underscore function (``elu_``) of an activation with ``inplace=``."""

    def variant(input, *args, **kwargs):
        return fn(input, *args, inplace=True, **kwargs)

    variant.__name__ = variant.__qualname__ = fn.__name__ + "_"
    variant.__doc__ = f"In-place version of ``{fn.__name__}``."
    return variant


def threshold(input, threshold, value, inplace=False):
    """``value`` where ``input <= threshold``, else ``input`` (NaN passes through).

    The gradient is 1 where ``input > threshold``, else 0.
    """
    if inplace:
        return _in_place(_threshold, input, threshold, value)
    return where(input <= threshold, value, input)


_threshold = threshold  # inside threshold() its parameter hides the function's name


# Hardtanh and LeakyRelu are fused: composed from compare/where/mul these hot activations were
# measurably slower (CPU, 256x4096 float32, forward + backward, best of 15: leaky_relu 18 ms
# composed against 14 ms fused; hardtanh 13 ms against 9 ms).


def _integer_limits(dtype, min_val, max_val):
    """hardtanh's limits for an integer array of numpy ``dtype``: truncated to integers, as torch
    converts them, so that the result keeps the input's dtype (torch's errors for bool, for a
    negative limit of an unsigned type and for limits out of the dtype's range)."""
    if dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    limits = int(min_val), int(max_val)
    for target in (np.dtype(np.int64), dtype):  # torch converts to int64, then to the dtype
        if target.kind == "u" and min(limits) < 0:
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        info = np.iinfo(target)
        if min(limits) < info.min or max(limits) > info.max:
            raise RuntimeError(
                f"value cannot be converted to type {target.name}_t without overflow"
            )
    return limits


class Hardtanh(Function):
    @staticmethod
    def forward(ctx, x, min_val, max_val):
        if x.dtype.kind != "f":
            min_val, max_val = _integer_limits(x.dtype, min_val, max_val)
        ctx.min_val, ctx.max_val = min_val, max_val
        ctx.save_for_backward(x)
        return backend.array_module(x).clip(x, min_val, max_val)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        # torch: 0 at the ends too (clamp would pass the gradient there)
        return where((x > ctx.min_val) & (x < ctx.max_val), gy, 0.0), None, None


class LeakyRelu(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        _check_floating("leaky_relu_cpu", x)
        ctx.negative_slope = negative_slope
        ctx.save_for_backward(x)
        return backend.array_module(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return where(x > 0, gy, gy * ctx.negative_slope), None


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``input`` clamped to ``[min_val, max_val]``.

    The gradient is 1 strictly inside the interval and 0 at and beyond its ends, as in torch.
    """
    if inplace:
        return _in_place(hardtanh, input, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


def relu6(input, inplace=False):
    """``min(max(0, x), 6)``: ``hardtanh(input, 0, 6)`` (gradient 0 at 0 and at 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` for ``x > 0``, else ``negative_slope * x``; at 0 the gradient is the slope."""
    if inplace:
        return _in_place(leaky_relu, input, negative_slope)
    return LeakyRelu.apply(input, negative_slope)


@autocast_op("prelu")
def prelu(input, weight):
    """``leaky_relu`` with a learnt slope: ``x`` for ``x > 0``, else ``weight * x``.

    Args:
        input: tensor whose dimension 1 holds the channels (a 0- or 1-D input is one channel).
        weight: a 0-d or 1-element tensor shared by all channels, or one slope per channel.
    """
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {input.dtype.scalar_name} and "
            f"{weight.dtype.scalar_name}"
        )
    ndim = input._data.ndim
    if weight.numel() != 1:
        if ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if ndim > 1 else 1
        if channels != weight.numel():
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {weight.numel()} and channel size = {channels}."
            )
    if weight._data.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
            f"{weight._data.ndim}"
        )
    _check_floating("prelu_cpu", input._data)
    if ndim != weight._data.ndim:
        # one slope per channel, broadcast over dimension 1 (not the last one)
        shape = [1] * ndim
        if ndim > 1:
            shape[1] = weight.numel()
        weight = weight.reshape(shape)
    return where(input > 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: in training each ``x <= 0`` is scaled by its own slope drawn
    from U(lower, upper) (the gradient is that slope); in evaluation the slope is the mean
    ``(lower + upper) / 2``."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if inplace:
        return _in_place(rrelu, input, lower, upper, training)
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    _check_floating("rrelu_with_noise_out_cpu", input._data)
    slopes = input.new_empty(input.shape).uniform_(lower, upper)
    return input * where(input <= 0, slopes, 1.0)


class Elu(Function):
    """``scale * x`` for ``x > 0``, else ``scale * alpha * (exp(input_scale * x) - 1)``.

    Fused so that the gradient of the negative branch is computed from ``exp(input_scale * x)``,
    as torch's ``elu_backward`` does: ``expm1(x) + 1``, from the output, loses its digits in the
    tail, all of them below x = -17 in float32 (-37 in float64), where the gradient is tiny but
    not 0. At 0 the gradient is the negative branch's, ``scale * alpha * input_scale``, as in
    torch. (Faster than the composition too: 256x4096 float32, forward 1.5 ms against 2.6.)
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        _check_floating("elu_cpu", x)
        xp = backend.array_module(x)
        ctx.params = alpha, scale, input_scale
        ctx.save_for_backward(x)
        # the two branches summed, each 0 where the other applies: cheaper than a where()
        y = xp.expm1(xp.minimum(x, 0) * input_scale)
        y *= alpha * scale
        positive = xp.maximum(x, 0)
        if scale != 1.0:
            positive *= scale
        y += positive
        return y

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.params
        # Written with ember operations, so that it is differentiable again. The exponent is
        # x only where x < 0: the discarded exp stays finite (where() differentiates both
        # branches, and 0 * inf is NaN), and the second derivative is 0 at x = 0, as torch's.
        negative = where(x < 0, x, 0.0)
        slope = exp(negative * input_scale if input_scale != 1.0 else negative)
        return gy * where(x > 0, scale, slope * (alpha * scale * input_scale)), None, None, None


def _elu(input, alpha, scale=1.0, input_scale=1.0):
    return Elu.apply(input, alpha, scale, input_scale)


def elu(input, alpha=1.0, inplace=False):
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    if inplace:
        return _in_place(elu, input, alpha)
    return _elu(input, alpha)


# Klambauer et al. (2017), to the digits torch uses
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """Scaled ELU: ``scale * elu(x, alpha)`` with alpha ≈ 1.6733 and scale ≈ 1.0507, the
    constants that keep activations at zero mean and unit variance."""
    if inplace:
        return _in_place(selu, input)
    return _elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input, alpha=1.0, inplace=False):
    """Continuously differentiable ELU: ``x`` for ``x > 0``, else
    ``alpha * (exp(x / alpha) - 1)``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return _in_place(celu, input, alpha)
    return _elu(input, alpha, input_scale=1.0 / alpha)


threshold_ = _in_place_variant(threshold)
hardtanh_ = _in_place_variant(hardtanh)
leaky_relu_ = _in_place_variant(leaky_relu)
rrelu_ = _in_place_variant(rrelu)
elu_ = _in_place_variant(elu)
selu_ = _in_place_variant(selu)
celu_ = _in_place_variant(celu)

_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input, approximate="none"):
    """Gaussian error linear unit ``x * Φ(x)``, Φ the standard normal CDF.

    Args:
        approximate: ``'none'`` computes Φ with ``erf``; ``'tanh'`` uses
            ``0.5 * (1 + tanh(sqrt(2/π) * (x + 0.044715 x³)))``.
    """
    _check_floating("GeluKernelImpl", input._data)
    with quiet():  # inf * 0 is nan, silently as in torch
        if approximate == "none":
            # halved last, as torch's kernel does: gelu(3e38) overflows to inf there too
            return input * (1.0 + erf(input * _SQRT1_2)) * 0.5
        if approximate == "tanh":
            inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
            return input * 0.5 * (1.0 + tanh(inner))
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``."""
    _check_floating("silu_cpu", input._data)
    if inplace:
        return _in_place(silu, input)
    with quiet():  # -inf * 0 is nan, silently as in torch
        return input * sigmoid(input)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    _check_floating("mish_cpu", input._data)
    if inplace:
        return _in_place(mish, input)
    with quiet():  # -inf * 0 is nan, silently as in torch
        return input * tanh(softplus(input))


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``: 0 for ``x <= -3``, 1 for ``x >= 3``, linear between.

    The gradient is 1/6 strictly inside (-3, 3) and 0 at the ends.
    """
    _check_floating("hardsigmoid_cpu", input._data)
    if inplace:
        return _in_place(hardsigmoid, input)
    return relu6(input + 3.0) / 6.0


def hardswish(input, inplace=False):
    """``x * hardsigmoid(x)``, that is ``x * relu6(x + 3) / 6``.

    torch 2.13's gradient is ``x / 3 + 1/2`` on the open interval (-3, 3), 0 for ``x <= -3``
    and 1 for ``x >= 3`` (earlier versions took ``x / 3 + 1/2`` at ±3 as well): exactly the
    product rule here, hardsigmoid's gradient being 0 at ±3.
    """
    _check_floating("hardswish_cpu", input._data)
    if inplace:
        return _in_place(hardswish, input)
    return input * hardsigmoid(input)


@autocast_op("softplus")
def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (where the two agree to machine precision), as in torch."""
    _check_floating("softplus_cpu", input._data)
    scaled = input * beta if beta != 1.0 else input
    # the clamp keeps the discarded branch finite: where() differentiates it too, and a zero
    # gradient times exp's overflow to inf would be NaN
    soft = log1p(exp(clamp(scaled, max=threshold)))
    if beta != 1.0:
        soft = soft / beta
    return where(scaled > threshold, input, soft)


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (abs(input) + 1.0)


class LogSigmoid(Function):
    """``log(sigmoid(x))``, finite for inputs of any size; fused because the binary
    cross-entropy with logits runs it on every training step."""

    @staticmethod
    def forward(ctx, x):
        xp = backend.array_module(x)
        ctx.save_for_backward(x)
        # log(1 / (1 + e^-x)) = min(x, 0) - log(1 + e^-|x|): no exponential can overflow
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * sigmoid(-x)


def logsigmoid(input):
    """``log(sigmoid(x))``, stable for inputs of any size."""
    _check_floating("log_sigmoid_cpu", input._data)
    return LogSigmoid.apply(input)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - tanh(input)


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0; the gradient is
    0 on the closed interval [-lambd, lambd], as in torch."""
    _check_floating("softshrink_check", input._data)
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return input - clamp(input, -lambd, lambd)


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0 (gradient 0 at ``±lambd``)."""
    _check_floating("hardshrink_cpu", input._data)
    return where(abs(input) <= lambd, 0.0, input)


def glu(input, dim=-1):
    """Gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``input``
    along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = wrap_dim(dim, input._data.ndim)
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {size}")
    _check_floating("glu_cpu", input._data)
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (Concrete) distribution over ``dim``:
    ``softmax((logits + g) / tau)`` with ``g`` i.i.d. Gumbel(0, 1) noise (``-log(E)``, ``E``
    exponential) from ember's random generator (seed it with ``ember.manual_seed``).

    ``hard=True`` returns the one-hot of each sample's largest entry (the first one on ties)
    with the soft sample's gradient (the straight-through estimator: ``y_hard - y_soft.detach()
    + y_soft``). ``eps`` is deprecated and has no effect, as in torch.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -log(logits.new_empty(logits.shape).exponential_())
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = logits.new_zeros(logits.shape).scatter(dim, index, value=1.0)
    return y_hard - y_soft.detach() + y_soft
