"""Complete IoU loss."""

from __future__ import annotations

import math

import ember

from ._utils import _reduce_loss, _upcast_non_float
from .diou_loss import _diou_iou_loss

__all__ = ["complete_box_iou_loss"]


def complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """Gradient-friendly IoU loss with an additional penalty that is non-zero when the boxes
    do not overlap. This loss function considers important geometrical factors such as
    overlap area, normalized central point distance and aspect ratio. This loss is symmetric,
    so the boxes1 and boxes2 arguments are interchangeable.

    Both sets of boxes are expected to be in ``(x1, y1, x2, y2)`` format with
    ``0 <= x1 < x2`` and ``0 <= y1 < y2``, and The two boxes should have the same dimensions.

    As in torchvision, ``eps`` enters the aspect-ratio weight only: the distance-IoU part
    always uses 1e-7.

    Args:
        boxes1, boxes2, reduction, eps: as in :func:`generalized_box_iou_loss`.

    Returns:
        Tensor: Loss tensor with the reduction option applied.

    Reference:
        Zhaohui Zheng et al.: Complete Intersection over Union Loss:
        https://arxiv.org/abs/1911.08287
    """
    boxes1 = _upcast_non_float(boxes1)
    boxes2 = _upcast_non_float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2)

    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred = x2 - x1
    h_pred = y2 - y1
    w_gt = x2g - x1g
    h_gt = y2g - y1g
    v = (4 / (math.pi**2)) * ember.pow(ember.atan(w_gt / h_gt) - ember.atan(w_pred / h_pred), 2)
    # the trade-off weight alpha is a constant (no gradient), as in the paper
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce_loss(diou_loss + alpha * v, reduction)
