"""``Identity``, ``Linear``, ``LazyLinear`` and ``Bilinear`` layers."""

from __future__ import annotations

import math

from ..._creation import empty
from ...autograd.grad_mode import no_grad
from ...ops.linear import bilinear, linear
from .. import init
from ..parameter import Parameter, UninitializedParameter
from ._utils import _optional_parameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Identity", "Linear", "LazyLinear", "Bilinear"]


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (a placeholder that
    lets code swap layers without changing its structure)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default ``True``).
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        input ``(*, in_features)``, output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``, initialised from U(-k, k) with
            k = 1/sqrt(in_features) (``kaiming_uniform_`` with ``a=sqrt(5)``).
        bias: ``(out_features,)``, from U(-k, k).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        _optional_parameter(self, "bias", bias, out_features, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw the weight and bias with torch's default initialisation."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` module where ``in_features`` is inferred.

    In this module, the ``weight`` and ``bias`` are of ``ember.nn.UninitializedParameter``
    class. They will be initialized after the first call to ``forward`` is done and the
    module will become a regular ``ember.nn.Linear`` module. The ``in_features`` argument of
    the ``Linear`` is inferred from the ``input.shape[-1]``.

    Check ``ember.nn.modules.lazy.LazyModuleMixin`` for further documentation on lazy modules
    and their limitations.

    Args:
        out_features: size of each output sample.
        bias: If set to ``False``, the layer will not learn an additive bias. Default: ``True``.
        device, dtype: where and in which dtype the parameters will be created.

    Attributes:
        weight: the learnable weights of the module of shape ``(out_features, in_features)``,
            initialized from U(-k, k) with k = 1/sqrt(in_features).
        bias: the learnable bias of the module of shape ``(out_features,)``, from U(-k, k).
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        # bias=False: no tensor is made only to be replaced
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        """Resets parameters based on their initialization used in ``__init__``."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """Infers ``in_features`` based on ``input`` and initializes parameters."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:
            # the parameters were materialized by loading a state dict
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]


class Bilinear(Module):
    """y = x1ᵀ W x2 + b.

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default ``True``).
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        inputs ``(*, in1_features)`` and ``(*, in2_features)``, output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, from U(-k, k) with
            k = 1/sqrt(in1_features).
        bias: ``(out_features,)``, from U(-k, k).
    """

    def __init__(
        self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None
    ):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(
            empty((out_features, in1_features, in2_features), device=device, dtype=dtype)
        )
        _optional_parameter(self, "bias", bias, out_features, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw the weight and bias from U(-k, k), k = 1/sqrt(in1_features)."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
