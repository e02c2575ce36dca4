"""Normalisation, blur, dtype conversion, erasing and box sanitising."""

from __future__ import annotations

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxes, BoundingBoxFormat
from ... import _functional_tensor as _F_t
from ... import functional as _F
from ._meta import _convert_bounding_box_format, _parse_format
from ._utils import _dispatch, _register_kernel_internal, is_pure_tensor

__all__ = ["normalize", "gaussian_blur", "to_dtype", "erase", "sanitize_bounding_boxes"]

_TENSOR_IMAGE_TYPES = (Tensor, tv_tensors.Image, tv_tensors.Video)


def normalize(inpt, mean, std, inplace=False):
    """``(inpt - mean) / std`` per channel of a float image or video."""
    return _dispatch(normalize, inpt, mean, std, inplace)


_register_kernel_internal(normalize, *_TENSOR_IMAGE_TYPES)(_F.normalize)


def gaussian_blur(inpt, kernel_size, sigma=None):
    """Blur with a Gaussian kernel; borders reflect.

    Args:
        inpt: image or video (tensor or PIL).
        kernel_size: odd positive int, or ``[kx, ky]``.
        sigma: float or ``[sx, sy]``; default ``0.15 * k + 0.35`` for each kernel size ``k``.
    """
    return _dispatch(gaussian_blur, inpt, kernel_size, sigma)


_register_kernel_internal(gaussian_blur, *_TENSOR_IMAGE_TYPES, PILImage.Image)(_F.gaussian_blur)


def to_dtype(inpt, dtype=ember.float32, scale=False):
    """Convert to ``dtype``; with ``scale``, images and videos are also rescaled to the value
    range of the new dtype ([0, 1] for floats, [0, max] for integers).

    Masks and bounding boxes are only cast, never scaled.
    """
    return _dispatch(to_dtype, inpt, dtype, scale)


@_register_kernel_internal(to_dtype, *_TENSOR_IMAGE_TYPES)
def _to_dtype_image(image, dtype, scale=False):
    if not scale:
        return image.to(dtype)
    return _F_t.convert_image_dtype(image, dtype)


@_register_kernel_internal(to_dtype, tv_tensors.Mask, BoundingBoxes)
def _to_dtype_tensor(tensor, dtype):
    return tensor.to(dtype)


def erase(inpt, i, j, h, w, v, inplace=False):
    """Overwrite the ``h`` x ``w`` box at ``(i, j)`` with ``v``."""
    return _dispatch(erase, inpt, i, j, h, w, v, inplace)


_register_kernel_internal(erase, *_TENSOR_IMAGE_TYPES)(_F.erase)


@_register_kernel_internal(erase, PILImage.Image)
def _erase_image_pil(image, i, j, h, w, v, inplace=False):
    output = _F.erase(_F.pil_to_tensor(image), i, j, h, w, v, inplace=inplace)
    return _F.to_pil_image(output, mode=image.mode)


def _get_sanitize_bounding_boxes_mask(
    bounding_boxes, format, canvas_size, min_size=1.0, min_area=1.0
):
    boxes = _convert_bounding_box_format(bounding_boxes, format, BoundingBoxFormat.XYXY)
    image_h, image_w = canvas_size
    ws = boxes[:, 2] - boxes[:, 0]
    hs = boxes[:, 3] - boxes[:, 1]
    valid = (ws >= min_size) & (hs >= min_size) & (boxes >= 0).all(dim=-1)
    valid = valid & (ws * hs >= min_area)
    valid = valid & (boxes[:, 0] <= image_w) & (boxes[:, 2] <= image_w)
    return valid & (boxes[:, 1] <= image_h) & (boxes[:, 3] <= image_h)


def sanitize_bounding_boxes(
    bounding_boxes, format=None, canvas_size=None, min_size=1.0, min_area=1.0
):
    """Remove degenerate or invalid boxes (see ``SanitizeBoundingBoxes``).

    Args:
        bounding_boxes: ``BoundingBoxes``, or a plain tensor with ``format`` and
            ``canvas_size``.
        format, canvas_size: of a plain tensor; must be None for ``BoundingBoxes``.
        min_size: smallest width and height a box may have. Default 1.
        min_area: smallest area a box may have. Default 1.

    Returns:
        ``(boxes, valid)``: the boxes kept and the boolean mask that selected them.
    """
    if is_pure_tensor(bounding_boxes):
        if format is None or canvas_size is None:
            raise ValueError(
                "format and canvas_size cannot be None if bounding_boxes is a pure tensor. "
                f"Got format={format} and canvas_size={canvas_size}. Set those to appropriate "
                "values or consider passing bounding_boxes as a tv_tensors.BoundingBoxes object."
            )
        format = _parse_format(format)
        valid = _get_sanitize_bounding_boxes_mask(
            bounding_boxes, format, canvas_size, min_size, min_area
        )
        return bounding_boxes[valid], valid
    if not isinstance(bounding_boxes, BoundingBoxes):
        raise ValueError(
            "bounding_boxes must be a tv_tensors.BoundingBoxes instance or a pure tensor."
        )
    if format is not None or canvas_size is not None:
        raise ValueError(
            "format and canvas_size must be None when bounding_boxes is a tv_tensors."
            f"BoundingBoxes instance. Got format={format} and canvas_size={canvas_size}. Leave "
            "those to None or pass bounding_boxes as a pure tensor."
        )
    valid = _get_sanitize_bounding_boxes_mask(
        bounding_boxes, bounding_boxes.format, bounding_boxes.canvas_size, min_size, min_area
    )
    return tv_tensors.wrap(bounding_boxes[valid], like=bounding_boxes), valid
