"""Sigmoid focal loss (RetinaNet)."""

from __future__ import annotations

import ember
import ember.nn.functional as F

from ._utils import _reduce_loss

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """Loss used in RetinaNet for dense detection: https://arxiv.org/abs/1708.02002.

    Args:
        inputs (Tensor): A float tensor of arbitrary shape. The predictions for each example.
        targets (Tensor): A float tensor with the same shape as inputs. Stores the binary
            classification label for each element in inputs (0 for the negative class and 1
            for the positive class).
        alpha (float): Weighting factor in range [0, 1] to balance positive vs negative
            examples or -1 for ignore. Default: ``0.25``.
        gamma (float): Exponent of the modulating factor (1 - p_t) to balance easy vs hard
            examples. Default: ``2``.
        reduction (string): ``'none'`` | ``'mean'`` | ``'sum'``
            ``'none'``: No reduction will be applied to the output.
            ``'mean'``: The output will be averaged.
            ``'sum'``: The output will be summed. Default: ``'none'``.

    Returns:
        Loss tensor with the reduction option applied.
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(
            f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore."
        )
    p = ember.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        return loss.mean()  # NaN for an empty input, unlike the box losses' mean
    return _reduce_loss(loss, reduction)
