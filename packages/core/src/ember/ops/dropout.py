"""Dropout: ``dropout``, its channel-wise forms ``dropout1d/2d/3d``, and the SELU-preserving
``alpha_dropout`` / ``feature_alpha_dropout``.

Each multiplies the input by a constant random mask (``bernoulli_`` on the default generator
of the input's device, so ``ember.manual_seed`` reproduces it), scaled so the expected value
of every element is unchanged; the gradient is that same scaled mask.
"""

from __future__ import annotations

import math
import warnings

__all__ = [
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
]

# -SELU's negative saturation value (scale * alpha), the value alpha dropout drops to
_SELU_SATURATION = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, training, inplace, feature=False, alpha=False, batched=True):
    """torch's ``_dropout_impl``.

    Args:
        feature: drop whole channels: one mask value per ``(N, C)``, or per ``C`` when not
            ``batched``, broadcast over the remaining dimensions.
        alpha: drop to SELU's saturation value, then apply the affine map that restores zero
            mean and unit variance (Klambauer et al., 2017).
    """
    if p == 0 or not training or input.numel() == 0:
        return input  # the very tensor, as in torch
    if p == 1:
        return input.mul_(0.0) if inplace else input * 0.0
    shape = input.shape
    if feature:
        lead = 2 if batched else 1
        if len(shape) < lead:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(shape[:lead]) + (1,) * (len(shape) - lead)
    keep = input.new_empty(shape).bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_SELU_SATURATION**2 * p + 1) * (1 - p))
        shift = (keep - 1.0) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
        keep.mul_(a)
        return input.mul_(keep).add_(shift) if inplace else input * keep + shift
    keep.div_(1 - p)
    return input.mul_(keep) if inplace else input * keep


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Args:
        input: any tensor.
        p: probability of an element to be zeroed.
        training: apply dropout; when False ``input`` itself is returned.
        inplace: overwrite ``input``.

    Example:
        >>> F.dropout(ember.ones(2, 4), p=0.5)  # zeros and 2s
    """
    _check_p(p)
    return _dropout(input, p, training, inplace)


def _spatial_warning(name, ndim, expected):
    warnings.warn(
        f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in "
        "an error in a future release. To retain the behavior and silence this warning, please "
        f"use dropout instead. Note that {name} exists to provide channel-wise dropout on "
        f"inputs with {expected[0] - 1} spatial dimensions, a channel dimension, and an "
        f"optional batch dimension (i.e. {expected[0]}D or {expected[1]}D inputs).",
        stacklevel=3,
    )


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: each ``input[n, c]`` of an ``(N, C, L)`` (or unbatched
    ``(C, L)``) input with probability ``p``; the rest are scaled by ``1 / (1 - p)``."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _dropout(input, p, training, inplace, feature=True, batched=ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an ``(N, C, H, W)`` input with probability ``p``.

    As in torch, a 3-D input is taken as ``(N, C, L)`` (1-D channel-wise dropout, with a
    warning), not as an unbatched ``(C, H, W)``; other ranks warn and are taken as batched.
    """
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        _spatial_warning("dropout2d", ndim, (3, 4))
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an ``(N, C, D, H, W)`` (or unbatched ``(C, D, H, W)``) input
    with probability ``p``; other ranks warn and are taken as unbatched."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        _spatial_warning("dropout3d", ndim, (4, 5))
    return _dropout(input, p, training, inplace, feature=True, batched=ndim == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped elements take SELU's negative saturation value and
    an affine map keeps the mean and variance of the input. Note ``training`` defaults to
    False, as in torch."""
    _check_p(p)
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """``alpha_dropout`` of whole channels (dimension 1 of a batched input)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=True, alpha=True)
