"""Helpers shared by the RoI operators and the box losses."""

from __future__ import annotations

import numpy as np

import ember


def _cat(tensors, dim=0):
    """``ember.cat``, without a copy for a single tensor."""
    if len(tensors) == 1:
        return tensors[0]
    return ember.cat(tensors, dim)


def convert_boxes_to_roi_format(boxes):
    """A list of ``Tensor[L, 4]`` (one per image) as one ``Tensor[K, 5]`` whose first column is
    the image's index in the batch."""
    concat_boxes = _cat(list(boxes), dim=0)
    ids = _cat([ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat_boxes], dim=1)


def check_roi_boxes_shape(boxes):
    if isinstance(boxes, (list, tuple)):
        for tensor in boxes:
            if tensor.shape[1] != 4:
                raise AssertionError(
                    "The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]"
                )
    elif isinstance(boxes, ember.Tensor):
        if boxes.shape[1] != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def _pair(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x, x)


def _rois_on_host(input, boxes, op):
    """``boxes`` (Tensor[K, 5] or a list of Tensor[L, 4]) checked against ``input`` and
    returned as a numpy array: the sampling plan of an RoI operator is built on the host."""
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)
    if input.device != rois.device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{input.device} and {rois.device}! (when checking argument for argument rois in "
            f"method wrapper__{op})"
        )
    if input.dtype != rois.dtype:
        raise RuntimeError(
            f"Expected tensor for argument #1 'input' to have the same type as tensor for "
            f"argument #2 'rois'; but type {input.dtype} does not equal {rois.dtype} (while "
            f"checking arguments for {op}_forward_kernel)"
        )
    return np.ascontiguousarray(rois.detach().cpu().numpy())


def _on_device(array, like):
    """A host numpy array as a tensor on ``like``'s device."""
    return ember.from_numpy(np.ascontiguousarray(array)).to(like.device)


def _loss_inter_union(boxes1, boxes2):
    """Intersection and union areas of matching boxes (``[..., 4]`` each, ``xyxy``): the part
    shared by the GIoU, DIoU and CIoU losses."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1 = ember.maximum(x1, x1g)
    ykis1 = ember.maximum(y1, y1g)
    xkis2 = ember.minimum(x2, x2g)
    ykis2 = ember.minimum(y2, y2g)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk = ember.where(mask, (xkis2 - xkis1) * (ykis2 - ykis1), ember.zeros_like(x1))
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _upcast_non_float(t):
    """Protects from numerical overflows by upcasting anything but float32/float64 to float32."""
    if t.dtype not in (ember.float32, ember.float64):
        return t.float()
    return t


def _reduce_loss(loss, reduction):
    """``'none'``, ``'mean'`` (of an empty loss: 0 with a gradient path) or ``'sum'``."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(
        f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', "
        "'mean', 'sum'"
    )
