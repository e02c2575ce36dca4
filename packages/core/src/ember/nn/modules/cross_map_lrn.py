"""``CrossMapLRN2d``, torch's legacy (Lua Torch) local response normalisation across channels."""

from __future__ import annotations

from ..._creation import arange
from ...ops.normalization import _ChannelWindowSum
from .module import Module

__all__ = ["CrossMapLRN2d"]


class CrossMapLRN2d(Module):
    """Local response normalisation across the channels of a 4-d input:
    ``y = x * (k + alpha / size * s) ** -beta``, ``s`` a running sum of ``x²`` over
    neighbouring channels.

    torch computes ``s`` as its legacy kernel does, which is not ``LocalResponseNorm``'s
    window, and Ember keeps it: with ``p = (size + 1) // 2``, channel ``c`` sums channels
    ``c - p + 1`` to ``c + p - 1`` (``size`` channels for an odd ``size``, ``size - 1`` for an
    even one), plus channel 0 for every ``c >= p`` (the running sum never takes channel 0 back
    out). The gradient here is the exact gradient of that forward; torch's hand-written
    backward is not (it differentiates an ordinary ``size``-channel window, and fails for
    ``size=1``).

    Args:
        size: the number of neighbouring channels.
        alpha: multiplicative factor. beta: exponent. k: additive factor.

    Shape:
        input ``(N, C, H, W)``; output the same.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        square = input.square()
        pre_pad = (self.size + 1) // 2
        window = _ChannelWindowSum.apply(square, pre_pad - 1, pre_pad - 1)
        channels = input.shape[1]
        keeps_first = arange(channels, device=input.device) >= pre_pad
        window = window + square[:, :1] * keeps_first.reshape(1, channels, 1, 1)
        scale = window * (self.alpha / self.size) + self.k
        return input * scale.pow(-self.beta)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
