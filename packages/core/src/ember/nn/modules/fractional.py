"""Fractional max pooling layers (``torch.nn.FractionalMaxPool2d`` / ``FractionalMaxPool3d``);
each holds its arguments and calls the functional of the same name."""

from __future__ import annotations

from ...ops import fractional_pool as P
from ._utils import _pair, _triple
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class _FractionalMaxPoolNd(Module):
    """FractionalMaxPool2d/3d: their arguments, ``_tuple`` of their dimension and ``_fn``, the
    functional they call."""

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices=False,
        _random_samples=None,
    ):
        super().__init__()
        self.kernel_size = self._tuple(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = self._tuple(output_size) if output_size is not None else None
        self.output_ratio = self._tuple(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{type(self).__name__} requires specifying either an output size, or a "
                "pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return type(self)._fn(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-d fractional max pooling over ``(N, C, H, W)`` or ``(C, H, W)``: the max over
    ``kH x kW`` windows placed with a stochastic step determined by the target output size
    (Graham, *Fractional Max-Pooling*, https://arxiv.org/abs/1412.6071).

    Exactly one of ``output_size`` and ``output_ratio`` must be given.

    Args:
        kernel_size: the window size, an int or ``(kH, kW)``.
        output_size: the output size ``(oH, oW)`` (or one int for both); ``kH + oH - 1 <= H``
            and ``kW + oW - 1 <= W``.
        output_ratio: the output size as a fraction of the input size, a number or a pair in
            (0, 1).
        return_indices: also return the indices of the maxima (for ``MaxUnpool2d``).
        _random_samples: fixed samples ``(N, C, 2)`` placing the windows (see
            ``ember.nn.functional.fractional_max_pool2d``), a buffer; drawn anew on each call
            when None.

    Example::

        >>> m = nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))
        >>> m(ember.randn(20, 16, 50, 32)).shape
        ember.Size([20, 16, 25, 16])
    """

    _tuple = staticmethod(_pair)
    _fn = staticmethod(P.fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d fractional max pooling over ``(N, C, T, H, W)`` or ``(C, T, H, W)``; arguments as
    in ``FractionalMaxPool2d``, with triples (``_random_samples`` is ``(N, C, 3)``). As in
    torch, each window must end before the last element of its dimension:
    ``kT + oT - 1 < T`` and likewise for the height and the width."""

    _tuple = staticmethod(_triple)
    _fn = staticmethod(P.fractional_max_pool3d)

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices=False,
        _random_samples=None,
    ):
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
            isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)
        ):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        super().__init__(kernel_size, output_size, output_ratio, return_indices, _random_samples)
