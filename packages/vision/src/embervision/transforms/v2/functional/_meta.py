"""Sizes of the inputs, and the bounding-box format conversion and clamping."""

from __future__ import annotations

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxes, BoundingBoxFormat, wrap
from ... import functional as _F
from ._utils import _dispatch, _register_kernel_internal, as_plain, is_pure_tensor

__all__ = [
    "get_dimensions",
    "get_num_channels",
    "get_size",
    "convert_bounding_box_format",
    "clamp_bounding_boxes",
]

_IMAGE_TYPES = (Tensor, tv_tensors.Image, tv_tensors.Video, PILImage.Image)


def get_dimensions(inpt):
    """``[channels, height, width]`` of an image or video."""
    return _dispatch(get_dimensions, inpt)


def get_num_channels(inpt):
    """The number of channels of an image or video."""
    return _dispatch(get_num_channels, inpt)


def get_size(inpt):
    """``[height, width]`` of an image, video, mask (its last two dims) or bounding boxes
    (their canvas size)."""
    return _dispatch(get_size, inpt)


_register_kernel_internal(get_dimensions, *_IMAGE_TYPES, tv_tensor_wrapper=False)(_F.get_dimensions)
_register_kernel_internal(get_num_channels, *_IMAGE_TYPES, tv_tensor_wrapper=False)(
    _F.get_image_num_channels
)


@_register_kernel_internal(get_size, *_IMAGE_TYPES, tv_tensor_wrapper=False)
def _get_size_image(image):
    return _F.get_dimensions(image)[1:]


@_register_kernel_internal(get_size, tv_tensors.Mask, tv_tensor_wrapper=False)
def _get_size_mask(mask):
    return list(mask.shape[-2:])


@_register_kernel_internal(get_size, BoundingBoxes, tv_tensor_wrapper=False)
def _get_size_bounding_boxes(bounding_boxes):
    return list(bounding_boxes.canvas_size)


def _half(size):
    """``size / 2``; for integer boxes, rounded up (torchvision's ``abs(floor(-size / 2))``)."""
    if size.is_floating_point():
        return size / 2
    return size.div(-2, rounding_mode="floor").abs()


def _to_xyxy(boxes, format):
    first, second = boxes[..., :2], boxes[..., 2:]
    if format == BoundingBoxFormat.XYWH:
        return ember.cat([first, first + second], dim=-1)
    if format == BoundingBoxFormat.CXCYWH:
        top_left = first - _half(second)
        return ember.cat([top_left, top_left + second], dim=-1)
    return boxes


def _from_xyxy(boxes, format):
    top_left, bottom_right = boxes[..., :2], boxes[..., 2:]
    size = bottom_right - top_left
    if format == BoundingBoxFormat.XYWH:
        return ember.cat([top_left, size], dim=-1)
    if format == BoundingBoxFormat.CXCYWH:
        doubled = top_left * 2 + size
        rounding_mode = None if boxes.is_floating_point() else "floor"
        return ember.cat([doubled.div(2, rounding_mode=rounding_mode), size], dim=-1)
    return boxes


def _convert_bounding_box_format(bounding_boxes, old_format, new_format, inplace=False):
    if new_format == old_format:
        return bounding_boxes
    output = _from_xyxy(_to_xyxy(bounding_boxes, old_format), new_format)
    if inplace:
        bounding_boxes[...] = output
        return bounding_boxes
    return output


def _parse_format(format):
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace=False):
    """Convert boxes between the XYXY, XYWH and CXCYWH formats.

    Args:
        inpt: ``BoundingBoxes``, or a plain tensor ``[..., 4]`` together with ``old_format``.
        old_format: format of a plain tensor; must be None for ``BoundingBoxes``.
        new_format: the format to convert to.
        inplace: write the result into ``inpt``.
    """
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    new_format = _parse_format(new_format)
    if is_pure_tensor(inpt):
        if old_format is None:
            raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
        return _convert_bounding_box_format(inpt, _parse_format(old_format), new_format, inplace)
    if isinstance(inpt, BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        output = _convert_bounding_box_format(as_plain(inpt), inpt.format, new_format, inplace)
        return wrap(output, like=inpt, format=new_format)
    raise TypeError(
        "Input can either be a plain tensor or a bounding box tv_tensor, but got "
        f"{type(inpt)} instead."
    )


def _clamp_bounding_boxes(bounding_boxes, format, canvas_size, clamping_mode="soft"):
    """Clamp the box corners into the canvas (in float, then back to the input dtype); soft
    and hard clamping are the same for unrotated boxes, None leaves them as they are."""
    if clamping_mode is None:
        return bounding_boxes.clone()
    in_dtype = bounding_boxes.dtype
    boxes = bounding_boxes if bounding_boxes.is_floating_point() else bounding_boxes.float()
    x1, y1, x2, y2 = _to_xyxy(boxes, format).unbind(-1)
    height, width = canvas_size
    xyxy = ember.stack(
        [
            x1.clamp(0, width),
            y1.clamp(0, height),
            x2.clamp(0, width),
            y2.clamp(0, height),
        ],
        dim=-1,
    )
    return _from_xyxy(xyxy, format).to(in_dtype)


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Clamp boxes to their canvas (see ``ClampBoundingBoxes``).

    Args:
        inpt: ``BoundingBoxes``, or a plain tensor with ``format``, ``canvas_size`` and a
            ``clamping_mode`` other than ``"auto"``.
        format, canvas_size: of a plain tensor; must be None for ``BoundingBoxes``.
        clamping_mode: ``"soft"``, ``"hard"``, None, or ``"auto"`` (default): the boxes' own
            ``clamping_mode``.
    """
    if clamping_mode is not None and clamping_mode not in ("soft", "hard", "auto"):
        raise ValueError(f"clamping_mode must be soft, hard, auto or None, got {clamping_mode}")
    if is_pure_tensor(inpt):
        if format is None or canvas_size is None or clamping_mode == "auto":
            raise ValueError(
                "For pure tensor inputs, `format`, `canvas_size` and `clamping_mode` have to be "
                "passed."
            )
        return _clamp_bounding_boxes(inpt, _parse_format(format), canvas_size, clamping_mode)
    if isinstance(inpt, BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError(
                "For bounding box tv_tensor inputs, `format` and `canvas_size` must not be passed."
            )
        if clamping_mode == "auto":
            clamping_mode = inpt.clamping_mode
        output = _clamp_bounding_boxes(as_plain(inpt), inpt.format, inpt.canvas_size, clamping_mode)
        return wrap(output, like=inpt)
    raise TypeError(
        "Input can either be a plain tensor or a bounding box tv_tensor, but got "
        f"{type(inpt)} instead."
    )
