"""Activation layers: each holds its hyper-parameters and calls the ``nn.functional``
function of the same name (``ReLU`` → ``F.relu``). Reprs are torch's."""

from __future__ import annotations

from ..._creation import empty
from .. import functional as F
from ..init import constant_
from ..parameter import Parameter
from .module import Module

__all__ = [
    "Threshold",
    "ReLU",
    "RReLU",
    "Hardtanh",
    "ReLU6",
    "Sigmoid",
    "Hardsigmoid",
    "Tanh",
    "SiLU",
    "Mish",
    "Hardswish",
    "ELU",
    "CELU",
    "SELU",
    "GLU",
    "GELU",
    "Hardshrink",
    "LeakyReLU",
    "LogSigmoid",
    "Softplus",
    "Softshrink",
    "PReLU",
    "Softsign",
    "Tanhshrink",
    "Softmin",
    "Softmax",
    "Softmax2d",
    "LogSoftmax",
]


def _inplace_repr(inplace, first=False):
    """torch's ``inplace`` suffix: shown only when True, after a comma unless it stands alone."""
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _Stateless(Module):
    """An activation with no hyper-parameters: ``forward`` is ``_fn(input)``."""

    def forward(self, input):
        return type(self)._fn(input)


class _InplaceOnly(Module):
    """An activation whose one option is ``inplace``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, first=True)


class Threshold(Module):
    """``value`` where ``input <= threshold``, else ``input``.

    Args:
        threshold: the value to threshold at.
        value: the value to replace with.
        inplace: overwrite the input.
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_repr(self.inplace)}"


class ReLU(_InplaceOnly):
    """``max(0, x)``."""

    _fn = staticmethod(F.relu)


class SELU(_InplaceOnly):
    """Scaled ELU (see ``F.selu``)."""

    _fn = staticmethod(F.selu)


class SiLU(_InplaceOnly):
    """``x * sigmoid(x)``."""

    _fn = staticmethod(F.silu)


class Mish(_InplaceOnly):
    """``x * tanh(softplus(x))``."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_InplaceOnly):
    """``relu6(x + 3) / 6``. (torch shows no ``inplace`` in its repr.)"""

    _fn = staticmethod(F.hardsigmoid)

    def extra_repr(self):
        return ""


class Hardswish(_InplaceOnly):
    """``x * relu6(x + 3) / 6``. (torch shows no ``inplace`` in its repr.)"""

    _fn = staticmethod(F.hardswish)

    def extra_repr(self):
        return ""


class RReLU(Module):
    """Randomized leaky ReLU: negative inputs get a random slope from U(lower, upper) in
    training and the mean slope in evaluation.

    Args:
        lower: lower bound of the slope distribution (default 1/8).
        upper: upper bound (default 1/3).
        inplace: overwrite the input.
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_repr(self.inplace)}"


class Hardtanh(Module):
    """``input`` clamped to ``[min_val, max_val]``.

    Args:
        min_val: lower end of the linear region (default -1).
        max_val: upper end (default 1); must exceed ``min_val``.
        inplace: overwrite the input.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        assert self.max_val > self.min_val

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace)}"


class ReLU6(Hardtanh):
    """``min(max(0, x), 6)``."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, first=True)


class Sigmoid(_Stateless):
    """``1 / (1 + exp(-x))``."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Stateless):
    """``tanh(x)``."""

    _fn = staticmethod(F.tanh)


class LogSigmoid(_Stateless):
    """``log(sigmoid(x))``, computed stably."""

    _fn = staticmethod(F.logsigmoid)


class Softsign(_Stateless):
    """``x / (1 + |x|)``."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    """``x - tanh(x)``."""

    _fn = staticmethod(F.tanhshrink)


class _Alpha(Module):
    """ELU and CELU: an ``alpha`` and ``inplace``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class ELU(_Alpha):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""

    _fn = staticmethod(F.elu)


class CELU(_Alpha):
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""

    _fn = staticmethod(F.celu)


class GLU(Module):
    """Gated linear unit ``a * sigmoid(b)`` of the halves of the input along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """Gaussian error linear unit; ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _Shrink(Module):
    """Hardshrink and Softshrink: one ``lambd`` (torch's repr shows just its value)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return type(self)._fn(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """``x`` where ``|x| > lambd``, else 0."""

    _fn = staticmethod(F.hardshrink)


class Softshrink(_Shrink):
    """``x ∓ lambd`` outside ``[-lambd, lambd]``, else 0."""

    _fn = staticmethod(F.softshrink)


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope * x``.

    Args:
        negative_slope: slope of the negative part (default 0.01).
        inplace: overwrite the input.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace)}"


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """``x`` for ``x > 0``, else ``weight * x`` with a learnt slope.

    Args:
        num_parameters: 1 (one slope shared by all channels) or the number of channels
            (dimension 1 of the input).
        init: the initial slope (default 0.25).
        device, dtype: where and in which dtype to create the weight.

    Attributes:
        weight: ``(num_parameters,)``.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Fill the weight with ``init``."""
        constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class _SoftmaxBase(Module):
    """Softmax, Softmin and LogSoftmax: one ``dim`` (None warns, as in torch)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``."""

    _fn = staticmethod(F.softmax)


class Softmin(_SoftmaxBase):
    """``softmax(-x)`` along ``dim``."""

    _fn = staticmethod(F.softmin)


class LogSoftmax(_SoftmaxBase):
    """``log(softmax(x))`` along ``dim``, computed stably."""

    _fn = staticmethod(F.log_softmax)


class Softmax2d(Module):
    """Softmax over the channels (dimension -3) of a ``(N, C, H, W)`` or ``(C, H, W)`` input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead"
            )
        return F.softmax(input, -3)
