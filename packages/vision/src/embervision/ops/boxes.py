"""Operations on boxes: areas, the IoU family, format conversion, clipping, NMS.

Boxes are ``(x1, y1, x2, y2)`` unless a ``fmt`` says otherwise. The IoU family is written with
ember tensor operations, so gradients (of every order) reach both sets of boxes, as in
torchvision. ``nms`` returns indices and has no gradient.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import backend

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("xywhr", "cxcywhr", "xyxyxyxy")


def _upcast(t):
    """Protects from numerical overflows in multiplications by upcasting to the equivalent
    higher type (float16 -> float32, int8/int16/uint8 -> int32)."""
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def nms(boxes, scores, iou_threshold):
    """Performs non-maximum suppression (NMS) on the boxes according to their
    intersection-over-union (IoU).

    NMS iteratively removes lower scoring boxes which have an IoU greater than
    ``iou_threshold`` with another (higher scoring) box. Boxes are visited in decreasing order
    of score; equal scores keep their input order (a stable sort, as torchvision's CPU kernel).

    Args:
        boxes (Tensor[N, 4]): boxes to perform NMS on. They are expected to be in
            ``(x1, y1, x2, y2)`` format with ``0 <= x1 < x2`` and ``0 <= y1 < y2``.
        scores (Tensor[N]): scores for each one of the boxes
        iou_threshold (float): discards all overlapping boxes with IoU > iou_threshold

    Returns:
        Tensor: int64 tensor with the indices of the elements that have been kept by NMS,
        sorted in decreasing order of scores
    """
    if boxes.ndim != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.ndim}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.ndim != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.ndim}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError(
            "boxes and scores should have same number of elements in dimension 0, got "
            f"{boxes.shape[0]} and {scores.shape[0]}"
        )
    xp = backend.array_module(boxes._data)
    order = xp.argsort(-scores._data, kind="stable")
    sorted_boxes = boxes._data[order]
    x1, y1, x2, y2 = (sorted_boxes[:, i] for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    n = order.shape[0]
    suppressed = xp.zeros(n, dtype=bool)
    kept = []
    i = 0
    # two boxes without area have an IoU of 0/0, which compares False, as in the kernel
    with np.errstate(invalid="ignore"):
        while i < n:
            kept.append(i)
            rest = slice(i + 1, n)
            w = xp.maximum(xp.minimum(x2[i], x2[rest]) - xp.maximum(x1[i], x1[rest]), 0)
            h = xp.maximum(xp.minimum(y2[i], y2[rest]) - xp.maximum(y1[i], y1[rest]), 0)
            inter = w * h
            overlap = inter / (areas[i] + areas[rest] - inter)
            # the kernel compares the box dtype's IoU with the threshold as a double
            suppressed[rest] |= overlap.astype(np.float64) > float(iou_threshold)
            remaining = xp.flatnonzero(~suppressed[rest])
            i = i + 1 + int(remaining[0]) if remaining.size else n
    keep = order[xp.asarray(kept, dtype=np.int64)]
    return ember.Tensor._make(keep.astype(np.int64, copy=False))


def batched_nms(boxes, scores, idxs, iou_threshold):
    """Performs non-maximum suppression in a batched fashion.

    Each index value correspond to a category, and NMS will not be applied between elements of
    different categories. Boxes of each category are shifted by ``idx * (boxes.max() + 1)`` so
    that boxes of different categories never overlap, then one ``nms`` runs over all of them.

    Args:
        boxes (Tensor[N, 4]): boxes where NMS will be performed. They are expected to be in
            ``(x1, y1, x2, y2)`` format with ``0 <= x1 < x2`` and ``0 <= y1 < y2``.
        scores (Tensor[N]): scores for each one of the boxes
        idxs (Tensor[N]): indices of the categories for each one of the boxes.
        iou_threshold (float): discards all overlapping boxes with IoU > iou_threshold

    Returns:
        Tensor: int64 tensor with the indices of the elements that have been kept by NMS,
        sorted in decreasing order of scores
    """
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    with ember.no_grad():
        max_coordinate = boxes.max()
        offsets = idxs.to(boxes.dtype) * (max_coordinate + 1)
        boxes_for_nms = boxes + offsets[:, None]
    return nms(boxes_for_nms, scores, iou_threshold)


def remove_small_boxes(boxes, min_size):
    """Remove every box from ``boxes`` which contains at least one side length that is smaller
    than ``min_size``.

    Args:
        boxes (Tensor[..., 4]): boxes in ``(x1, y1, x2, y2)`` format
            with ``0 <= x1 < x2`` and ``0 <= y1 < y2``.
        min_size (float): minimum size

    Returns:
        Tensor[K]: indices of the boxes that have both sides larger than ``min_size``
    """
    ws = boxes[..., 2] - boxes[..., 0]
    hs = boxes[..., 3] - boxes[..., 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return ember.where(keep)[0]


def clip_boxes_to_image(boxes, size):
    """Clip boxes so that they lie inside an image of size ``size``.

    Args:
        boxes (Tensor[..., 4]): boxes in ``(x1, y1, x2, y2)`` format
            with ``0 <= x1 < x2`` and ``0 <= y1 < y2``.
        size (Tuple[height, width]): size of the image

    Returns:
        Tensor[..., 4]: clipped boxes
    """
    height, width = size
    boxes_x = boxes[..., 0::2].clamp(min=0, max=width)
    boxes_y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((boxes_x, boxes_y), dim=boxes.ndim).reshape(boxes.shape)


def _xywh_to_xyxy(boxes):
    x, y, w, h = boxes.unbind(-1)
    return ember.stack([x, y, x + w, y + h], dim=-1)


def _xyxy_to_xywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack([x1, y1, x2 - x1, y2 - y1], dim=-1)


def _cxcywh_to_xyxy(boxes):
    cx, cy, w, h = boxes.unbind(-1)
    return ember.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def _xyxy_to_cxcywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


_TO_XYXY = {"xywh": _xywh_to_xyxy, "cxcywh": _cxcywh_to_xyxy}
_FROM_XYXY = {"xywh": _xyxy_to_xywh, "cxcywh": _xyxy_to_cxcywh}


def box_convert(boxes, in_fmt, out_fmt):
    """Converts boxes from a given ``in_fmt`` to ``out_fmt``.

    Supported ``in_fmt`` and ``out_fmt`` strings are:

    ``'xyxy'``: boxes are represented via corners, x1, y1 being top left and x2, y2 being
    bottom right. This is the format that torchvision utilities expect.

    ``'xywh'``: boxes are represented via corner, width and height, x1, y2 being top left,
    w, h being width and height.

    ``'cxcywh'``: boxes are represented via centre, width and height, cx, cy being center of
    box, w, h being width and height.

    torchvision's rotated formats (``'xywhr'``, ``'cxcywhr'``, ``'xyxyxyxy'``) are not
    supported: they raise ``NotImplementedError``.

    Args:
        boxes (Tensor[..., 4]): boxes which will be converted. Supports any number of leading
            batch dimensions.
        in_fmt (str): Input format of given boxes.
        out_fmt (str): Output format of given boxes.

    Returns:
        Tensor[..., 4]: Boxes into converted format.
    """
    allowed = _AXIS_ALIGNED + _ROTATED
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError(
            f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}"
        )
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt in _ROTATED or out_fmt in _ROTATED:
        raise NotImplementedError(
            f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt "
            f"{out_fmt}: ember does not support rotated boxes"
        )
    if in_fmt != "xyxy":
        boxes = _TO_XYXY[in_fmt](boxes)
    if out_fmt != "xyxy":
        boxes = _FROM_XYXY[out_fmt](boxes)
    return boxes


def box_area(boxes, fmt="xyxy"):
    """Computes the area of a set of bounding boxes from a given format.

    Args:
        boxes (Tensor[..., 4]): boxes for which the area will be computed.
        fmt (str): Format of the input boxes. Default is "xyxy" to preserve backward
            compatibility. Supported formats are "xyxy", "xywh", and "cxcywh".

    Returns:
        Tensor[N]: Tensor containing the area for each box.
    """
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(boxes, fmt):
    """Top-left and bottom-right corners ``(..., 2)`` of boxes in an axis-aligned ``fmt``."""
    if fmt == "xyxy":
        return boxes[..., :2], boxes[..., 2:]
    if fmt == "xywh":
        return boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    return boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2


def _box_inter_union(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersection and union areas, each ``[..., N, M]``."""
    area1 = box_area(boxes1, fmt=fmt)
    area2 = box_area(boxes2, fmt=fmt)
    lt1, rb1 = _corners(boxes1, fmt)
    lt2, rb2 = _corners(boxes2, fmt)
    lt = ember.maximum(lt1[..., None, :], lt2[..., None, :, :])  # [..., N, M, 2]
    rb = ember.minimum(rb1[..., None, :], rb2[..., None, :, :])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[..., None] + area2[..., None, :] - inter
    return inter, union


def box_iou(boxes1, boxes2, fmt="xyxy"):
    """Return intersection-over-union (Jaccard index) between two sets of boxes from a given
    format.

    Args:
        boxes1 (Tensor[..., N, 4]): first set of boxes
        boxes2 (Tensor[..., M, 4]): second set of boxes
        fmt (str): Format of the input boxes. Default is "xyxy" to preserve backward
            compatibility. Supported formats are ``'xyxy'``, ``'xywh'`` and ``'cxcywh'``;
            torchvision's rotated formats raise ``NotImplementedError``.

    Returns:
        Tensor[..., N, M]: the NxM matrix containing the pairwise IoU values for every element
        in boxes1 and boxes2
    """
    if fmt in _ROTATED:
        raise NotImplementedError(f"box_iou with rotated format '{fmt}' is not supported")
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(
            f"Unsupported format '{fmt}'. Supported axis-aligned formats: {_AXIS_ALIGNED}. "
            f"Supported rotated formats: {_ROTATED}."
        )
    inter, union = _box_inter_union(boxes1, boxes2, fmt=fmt)
    return inter / union


def _enclosing_wh(boxes1, boxes2):
    """Width and height ``[..., N, M, 2]`` of the smallest box enclosing each pair."""
    lti = ember.minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = ember.maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1, boxes2):
    """Return generalized intersection-over-union (Jaccard index) between two sets of boxes.

    Both sets of boxes are expected to be in ``(x1, y1, x2, y2)`` format with
    ``0 <= x1 < x2`` and ``0 <= y1 < y2``.

    Args:
        boxes1 (Tensor[..., N, 4]): first set of boxes
        boxes2 (Tensor[..., M, 4]): second set of boxes

    Returns:
        Tensor[..., N, M]: the NxM matrix containing the pairwise generalized IoU values for
        every element in boxes1 and boxes2
    """
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise distance IoU and IoU: IoU less the squared distance of the centres over the
    squared diagonal of the enclosing box (plus ``eps``)."""
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_distance_squared = (whi[..., 0] ** 2) + (whi[..., 1] ** 2) + eps
    x_p = (boxes1[..., 0] + boxes1[..., 2]) / 2
    y_p = (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g = (boxes2[..., 0] + boxes2[..., 2]) / 2
    y_g = (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers_distance_squared = (_upcast(x_p[..., None] - x_g[..., None, :]) ** 2) + (
        _upcast(y_p[..., None] - y_g[..., None, :]) ** 2
    )
    return iou - (centers_distance_squared / diagonal_distance_squared), iou


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Return complete intersection-over-union (Jaccard index) between two sets of boxes.

    The distance IoU (see :func:`distance_box_iou`, whose arguments it takes) less an
    aspect-ratio penalty ``alpha * v``.

    Returns:
        Tensor[..., N, M]: the NxM matrix containing the pairwise complete IoU values for every
        element in boxes1 and boxes2
    """
    boxes1 = _upcast(boxes1)
    boxes2 = _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi**2)) * ember.pow(ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt), 2)
    # alpha is a constant weight in the paper (and in torchvision): no gradient through it
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Return distance intersection-over-union (Jaccard index) between two sets of boxes.

    Both sets of boxes are expected to be in ``(x1, y1, x2, y2)`` format with
    ``0 <= x1 < x2`` and ``0 <= y1 < y2``.

    Args:
        boxes1 (Tensor[..., N, 4]): first set of boxes
        boxes2 (Tensor[..., M, 4]): second set of boxes
        eps (float, optional): small number to prevent division by zero. Default: 1e-7

    Returns:
        Tensor[..., N, M]: the NxM matrix containing the pairwise distance IoU values for every
        element in boxes1 and boxes2
    """
    diou, _ = _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps=eps)
    return diou


def masks_to_boxes(masks):
    """Compute the bounding boxes around the provided masks.

    Returns a [N, 4] tensor containing bounding boxes. The boxes are in ``(x1, y1, x2, y2)``
    format with ``0 <= x1 <= x2`` and ``0 <= y1 <= y2``. Empty masks (all zeros) give the box
    ``[0, 0, 0, 0]``; a mask that is a single row or column gives ``x1 = x2`` or ``y1 = y2``.

    Args:
        masks (Tensor[N, H, W]): masks to transform where N is the number of masks and (H, W)
            are the spatial dimensions.

    Returns:
        Tensor[N, 4]: bounding boxes, float32
    """
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device, dtype=ember.float32)
    xp = backend.array_module(masks._data)
    _, h, w = masks.shape
    nonzero = masks._data != 0
    rows = nonzero.any(axis=2)
    cols = nonzero.any(axis=1)
    y1 = rows.argmax(axis=1)
    x1 = cols.argmax(axis=1)
    y2 = (h - 1) - rows[:, ::-1].argmax(axis=1)
    x2 = (w - 1) - cols[:, ::-1].argmax(axis=1)
    out = xp.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
    out[~rows.any(axis=1)] = 0
    return ember.Tensor._make(out)
