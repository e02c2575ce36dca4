"""Pooling layers: max, average, adaptive, power-average pooling and max unpooling; each holds
its arguments and calls the functional of the same name."""

from __future__ import annotations

from ...ops import pooling as P
from ._utils import _pair, _single, _triple
from .module import Module

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "LPPool1d",
    "LPPool2d",
    "MaxPool3d",
    "MaxUnpool3d",
    "AvgPool3d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "LPPool3d",
]


class _MaxPoolNd(Module):
    """MaxPool1d/2d/3d: their arguments, and ``_fn``, the functional they call."""

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )

    def forward(self, input):
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over ``(N, C, L)`` or ``(C, L)``; see ``MaxPool2d``."""

    _fn = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over ``(N, C, H, W)`` or ``(C, H, W)``.

    Args:
        kernel_size: window size, an int or a pair.
        stride: window step (default ``kernel_size``).
        padding: implicit ``-inf`` added on both sides, at most half the kernel.
        dilation: spacing between window elements.
        return_indices: also return the flat per-plane indices of the maxima (for
            ``MaxUnpool2d``).
        ceil_mode: round the output size up instead of down.
    """

    _fn = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; arguments as in
    ``MaxPool2d``, with triples for the per-dim ones."""

    _fn = staticmethod(P.max_pool3d)


class _MaxUnpoolNd(Module):
    """MaxUnpool1d/2d/3d: ``_tuple`` of their dimension and their functional."""

    _tuple = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = self._tuple(kernel_size)
        self.stride = self._tuple(stride if stride is not None else kernel_size)
        self.padding = self._tuple(padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool1d``; see ``MaxUnpool2d``."""

    _tuple = staticmethod(_single)
    _fn = staticmethod(P.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool2d``: each input value goes back to where its index
    says, zeros elsewhere. ``forward(input, indices, output_size=None)``; ``output_size``
    picks among the input sizes that pool to the same output size."""

    _tuple = staticmethod(_pair)
    _fn = staticmethod(P.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool3d``; see ``MaxUnpool2d``."""

    _tuple = staticmethod(_triple)
    _fn = staticmethod(P.max_unpool3d)


class _AvgPoolNd(Module):
    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling over ``(N, C, L)`` or ``(C, L)``; see ``AvgPool2d``."""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return P.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class _AvgPoolOverridable(_AvgPoolNd):
    """AvgPool2d and AvgPool3d: their arguments (``divisor_override`` too), and ``_fn``, the
    functional they call."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AvgPool2d(_AvgPoolOverridable):
    """2-d average pooling over ``(N, C, H, W)`` or ``(C, H, W)``.

    Args:
        kernel_size: window size, an int or a pair.
        stride: window step (default ``kernel_size``).
        padding: implicit zeros on both sides, at most half the kernel.
        ceil_mode: round the output size up instead of down.
        count_include_pad: count the zero padding in each window's divisor.
        divisor_override: divide every window sum by this instead.
    """

    _fn = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPoolOverridable):
    """3-d average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; arguments as in
    ``AvgPool2d``, with triples for the per-dim ones."""

    _fn = staticmethod(P.avg_pool3d)


class _AdaptivePoolNd(Module):
    """The adaptive pools: an ``output_size``, and ``_fn``, the functional they call."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` to length ``output_size``."""

    _fn = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average pooling of ``(N, C, H, W)`` or ``(C, H, W)`` to ``output_size`` (an int, or a
    pair whose ``None`` entries keep the input's size), whatever the input size."""

    _fn = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """Average pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` to ``output_size`` (an int,
    or a triple whose ``None`` entries keep the input's size), whatever the input size."""

    _fn = staticmethod(P.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, L)`` or ``(C, L)`` to length ``output_size``."""

    _fn = staticmethod(P.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, H, W)`` or ``(C, H, W)`` to ``output_size``; see
    ``AdaptiveAvgPool2d``."""

    _fn = staticmethod(P.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` to ``output_size``; see
    ``AdaptiveAvgPool3d``."""

    _fn = staticmethod(P.adaptive_max_pool3d)


class _LPPoolNd(Module):
    """LPPool1d/2d/3d: their arguments, and ``_fn``, the functional they call."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )

    def forward(self, input):
        return type(self)._fn(
            input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode
        )


class LPPool1d(_LPPoolNd):
    """1-d power-average pooling, ``(sum of x ** p over the window) ** (1 / p)``."""

    _fn = staticmethod(P.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """2-d power-average pooling, ``(sum of x ** p over the window) ** (1 / p)``."""

    _fn = staticmethod(P.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """3-d power-average pooling, ``(sum of x ** p over the window) ** (1 / p)``."""

    _fn = staticmethod(P.lp_pool3d)
