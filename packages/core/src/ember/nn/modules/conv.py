"""Convolution layers: ``Conv1d``/``2d``/``3d``, ``ConvTranspose1d``/``2d``/``3d`` and their
lazy forms, which infer ``in_channels`` from the first input."""

from __future__ import annotations

import math

from ..._creation import empty
from ...autograd.grad_mode import no_grad
from ...ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from ...ops.padding import pad
from .. import init
from ..parameter import Parameter, UninitializedParameter
from ._utils import _optional_parameter, _pair, _single, _triple
from .lazy import LazyModuleMixin
from .module import Module

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
]


class _ConvNd(Module):
    """What the convolutions share: arguments, parameters, initialisation and repr."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed,
        output_padding,
        groups,
        bias,
        padding_mode,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(
                f"padding_mode must be one of {valid_padding_modes}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # The amounts F.pad takes (last dim first) when a non-zero padding mode pads before
        # the convolution; 'same' puts the odd one of an odd total after the input.
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i] = total // 2
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in (0, 1)]
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        _optional_parameter(self, "bias", bias, out_channels, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: weight from ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-k, k) with
        k = 1/sqrt(fan_in), and bias from the same U(-k, k) (fan_in = ``weight.size(1)``
        times the kernel size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d, Conv2d and Conv3d: ``_ntuple`` of their dimension and their functional."""

    _tuple = None
    _conv = None

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        nd = self._tuple
        super().__init__(
            in_channels,
            out_channels,
            nd(kernel_size),
            nd(stride),
            padding if isinstance(padding, str) else nd(padding),
            nd(dilation),
            False,
            nd(0),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _conv_forward(self, input, weight, bias):
        conv = self._conv
        if self.padding_mode != "zeros":
            # pad in the chosen mode first, then convolve without padding (as torch does)
            padded = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(
                padded, weight, bias, self.stride, self._tuple(0), self.dilation, self.groups
            )
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution over ``(N, C_in, L)`` or ``(C_in, L)`` input; see ``Conv2d``.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kernel_size)``.
        bias: ``(out_channels,)``.
    """

    _tuple = staticmethod(_single)
    _conv = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-d convolution over ``(N, C_in, H, W)`` or ``(C_in, H, W)`` input.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: an int or a pair.
        stride: an int or a pair (default 1).
        padding: an int, a pair, ``'valid'`` (none) or ``'same'`` (output the input's size;
            stride 1 only). Default 0.
        dilation: spacing between kernel elements (default 1).
        groups: independent channel groups; both channel counts must divide by it.
        bias: learn an additive bias (default ``True``).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``; the
            non-zero modes pad with ``F.pad`` and then convolve without padding.
        device, dtype: where and in which dtype to create the parameters.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kH, kW)``, from U(-k, k) with
            k = 1/sqrt(in_channels / groups * kH * kW).
        bias: ``(out_channels,)``, from U(-k, k).

    Example::

        >>> conv = nn.Conv2d(3, 64, kernel_size=3, padding=1)
        >>> conv
        Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> conv(ember.randn(8, 3, 32, 32)).shape
        ember.Size([8, 64, 32, 32])
    """

    _tuple = staticmethod(_pair)
    _conv = staticmethod(conv2d)


class Conv3d(_Conv):
    """3-d convolution over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)`` input; arguments as
    in ``Conv2d``, with triples for the per-dim ones.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kD, kH, kW)``, from U(-k, k) with
            k = 1/sqrt(in_channels / groups * kD * kH * kW).
        bias: ``(out_channels,)``, from U(-k, k).
    """

    _tuple = staticmethod(_triple)
    _conv = staticmethod(conv3d)


class _ConvTranspose(_ConvNd):
    """ConvTranspose1d, ConvTranspose2d and ConvTranspose3d."""

    _tuple = None
    _conv = None

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}'
            )
        nd = self._tuple
        super().__init__(
            in_channels,
            out_channels,
            nd(kernel_size),
            nd(stride),
            nd(padding),
            nd(dilation),
            True,
            nd(output_padding),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _output_padding(self, input, output_size):
        """The ``output_padding`` that makes the output ``output_size`` (spatial, or with the
        leading dims), checked against the sizes this layer can produce."""
        if output_size is None:
            return self.output_padding
        nd = len(self.kernel_size)
        lead = 2 if input.ndim == nd + 2 else 1
        output_size = list(output_size)
        if len(output_size) == lead + nd:
            output_size = output_size[lead:]
        if len(output_size) != nd:
            raise ValueError(
                f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must have {nd} or "
                f"{lead + nd} elements (got {len(output_size)})"
            )
        min_sizes = [
            (input.shape[lead + d] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(nd)
        ]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {input.shape[lead:]})"
                )
        return tuple(s - m for s, m in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return self._conv(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution over ``(N, C_in, L)`` or ``(C_in, L)``; see
    ``ConvTranspose2d``.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kernel_size)``.
        bias: ``(out_channels,)``.
    """

    _tuple = staticmethod(_single)
    _conv = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution (the gradient of ``Conv2d`` w.r.t. its input), used to
    upsample.

    Args:
        in_channels, out_channels, kernel_size, stride, groups, bias, dilation, device, dtype:
            as in ``Conv2d``.
        padding: ``dilation * (kernel_size - 1) - padding`` zeros are added around the input
            (the padding of the ``Conv2d`` this transposes).
        output_padding: extra rows/columns at the bottom/right, to pick one of the sizes that
            a strided ``Conv2d`` maps to the same output size.
        padding_mode: only ``'zeros'``.

    ``forward(input, output_size=None)``: giving ``output_size`` picks ``output_padding``.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kH, kW)``; initialised like ``Conv2d``
            from its fan_in, which torch computes as ``out_channels / groups * kH * kW``.
        bias: ``(out_channels,)``.
    """

    _tuple = staticmethod(_pair)
    _conv = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``; see
    ``ConvTranspose2d``.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kD, kH, kW)``.
        bias: ``(out_channels,)``.
    """

    _tuple = staticmethod(_triple)
    _conv = staticmethod(conv_transpose3d)


# ------------------------------------------------------------------------------ lazy forms


class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` (0 until then) is read from the
    first input, and the weight and bias are materialized with the eager class's shapes."""

    def _lazy_parameters(self, out_channels, bias, device, dtype):
        # the eager constructor ran with in_channels = out_channels = 0 and no bias
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        """Infers ``in_channels`` from ``input`` and initializes the weight and bias."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input):
        batched = len(self.kernel_size) + 2
        if input.dim() not in (batched - 1, batched):
            raise RuntimeError(
                f"Expected {batched - 1}D (unbatched) or {batched}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.dim() == batched else input.shape[0]


class _LazyConv(_LazyConvXdMixin):
    """LazyConv1d, LazyConv2d and LazyConv3d: ``Conv*d``'s arguments but ``in_channels``."""

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype
        )
        self._lazy_parameters(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    """LazyConvTranspose1d, 2d and 3d: ``ConvTranspose*d``'s arguments but ``in_channels``."""

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
            device,
            dtype,
        )
        self._lazy_parameters(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A ``Conv1d`` module with lazy initialization of the ``in_channels`` argument.

    The ``in_channels`` argument of the ``Conv1d`` is inferred from the ``input.size(1)``.
    The attributes that will be lazily initialized are ``weight`` and ``bias``; after the
    first forward the module is a ``Conv1d``. The other arguments are ``Conv1d``'s.

    Check ``ember.nn.modules.lazy.LazyModuleMixin`` for further documentation on lazy modules
    and their limitations.
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A ``Conv2d`` module with lazy initialization of the ``in_channels`` argument; see
    ``LazyConv1d``."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A ``Conv3d`` module with lazy initialization of the ``in_channels`` argument; see
    ``LazyConv1d``."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ``ConvTranspose1d`` module with lazy initialization of the ``in_channels`` argument.

    The ``in_channels`` argument of the ``ConvTranspose1d`` is inferred from the
    ``input.size(1)``. The attributes that will be lazily initialized are ``weight`` and
    ``bias``; after the first forward the module is a ``ConvTranspose1d``. The other
    arguments are ``ConvTranspose1d``'s.

    Check ``ember.nn.modules.lazy.LazyModuleMixin`` for further documentation on lazy modules
    and their limitations.
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ``ConvTranspose2d`` module with lazy initialization of the ``in_channels`` argument;
    see ``LazyConvTranspose1d``."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A ``ConvTranspose3d`` module with lazy initialization of the ``in_channels`` argument;
    see ``LazyConvTranspose1d``."""

    cls_to_become = ConvTranspose3d
