"""Dropout layers: random zeroing in training mode (``module.train()``), the identity in
evaluation mode (``module.eval()``)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
]


class _DropoutNd(Module):
    """Holds ``p`` and ``inplace``; each subclass applies its ``nn.functional`` form.

    Args:
        p: probability of an element (or channel) to be zeroed (default 0.5).
        inplace: overwrite the input.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``, so
    the expected output equals the input.

    Example:
        >>> m = nn.Dropout(p=0.2)
        >>> m(ember.randn(20, 16)).shape
        ember.Size([20, 16])
    """

    _fn = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` inputs (see ``F.dropout1d``)."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` inputs (see ``F.dropout2d``)."""

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs."""

    _fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the zero mean and unit variance of SELU activations.

    As in torch, ``inplace`` is stored but not used.
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels. As in torch, ``inplace`` is stored but not used."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
