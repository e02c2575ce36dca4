"""Distance IoU loss."""

from __future__ import annotations

import ember

from ._utils import _loss_inter_union, _reduce_loss, _upcast_non_float

__all__ = ["distance_box_iou_loss"]


def distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """Gradient-friendly IoU loss with an additional penalty that is non-zero when the
    distance between boxes' centers isn't zero. Indeed, for two exactly overlapping boxes, the
    distance IoU is the same as the IoU loss. This loss is symmetric, so the boxes1 and boxes2
    arguments are interchangeable.

    Both sets of boxes are expected to be in ``(x1, y1, x2, y2)`` format with
    ``0 <= x1 < x2`` and ``0 <= y1 < y2``, and The two boxes should have the same dimensions.

    Args:
        boxes1 (Tensor[N, 4]): first set of boxes
        boxes2 (Tensor[N, 4]): second set of boxes
        reduction (string, optional): Specifies the reduction to apply to the output:
            ``'none'`` | ``'mean'`` | ``'sum'``. ``'none'``: No reduction will be applied to
            the output. ``'mean'``: The output will be averaged. ``'sum'``: The output will be
            summed. Default: ``'none'``
        eps (float, optional): small number to prevent division by zero. Default: 1e-7

    Returns:
        Tensor: Loss tensor with the reduction option applied.

    Reference:
        Zhaohui Zheng et al.: Distance Intersection over Union Loss:
        https://arxiv.org/abs/1911.08287
    """
    boxes1 = _upcast_non_float(boxes1)
    boxes2 = _upcast_non_float(boxes2)
    loss, _ = _diou_iou_loss(boxes1, boxes2, eps)
    return _reduce_loss(loss, reduction)


def _diou_iou_loss(boxes1, boxes2, eps=1e-7):
    """The DIoU loss of matching boxes (1 - IoU + centre distance² / enclosing diagonal²) and
    their IoU."""
    intsct, union = _loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = ember.minimum(x1, x1g)
    yc1 = ember.minimum(y1, y1g)
    xc2 = ember.maximum(x2, x2g)
    yc2 = ember.maximum(y2, y2g)
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x_p = (x2 + x1) / 2
    y_p = (y2 + y1) / 2
    x_g = (x1g + x2g) / 2
    y_g = (y1g + y2g) / 2
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    loss = 1 - iou + (centers_distance_squared / diagonal_distance_squared)
    return loss, iou
