"""Sizes of the inputs, the bounding-box format conversion, and the clamping of boxes and
keypoints."""

from __future__ import annotations

import warnings

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints, wrap
from ... import _functional_tensor as _F_t
from ... import functional as _F
from ._utils import _dispatch, _kernel_alias, _register_kernel_internal, as_plain, is_pure_tensor

__all__ = [
    "get_dimensions",
    "get_dimensions_image",
    "get_dimensions_video",
    "get_num_channels",
    "get_num_channels_image",
    "get_num_channels_video",
    "get_image_num_channels",
    "get_size",
    "get_size_image",
    "get_size_video",
    "get_size_mask",
    "get_size_bounding_boxes",
    "get_size_keypoints",
    "get_image_size",
    "get_num_frames",
    "get_num_frames_video",
    "convert_bounding_box_format",
    "clamp_bounding_boxes",
    "clamp_keypoints",
]


def get_dimensions(inpt):
    """``[channels, height, width]`` of an image or video."""
    return _dispatch(get_dimensions, inpt)


def get_dimensions_image(image):
    """``[channels, height, width]`` of a tensor image ``[..., C, H, W]`` (or ``[H, W]``)."""
    return _F_t.get_dimensions(image)


get_dimensions_video = _kernel_alias(get_dimensions_image, "get_dimensions_video")
_register_kernel_internal(get_dimensions, Tensor, tv_tensors.Image, tv_tensor_wrapper=False)(
    get_dimensions_image
)
_register_kernel_internal(get_dimensions, tv_tensors.Video, tv_tensor_wrapper=False)(
    get_dimensions_video
)
_register_kernel_internal(get_dimensions, PILImage.Image)(_F.get_dimensions)


def get_num_channels(inpt):
    """The number of channels of an image or video."""
    return _dispatch(get_num_channels, inpt)


def get_num_channels_image(image):
    """The number of channels of a tensor image ``[..., C, H, W]`` (1 for ``[H, W]``)."""
    return _F_t.get_image_num_channels(image)


get_num_channels_video = _kernel_alias(get_num_channels_image, "get_num_channels_video")
get_image_num_channels = get_num_channels
_register_kernel_internal(get_num_channels, Tensor, tv_tensors.Image, tv_tensor_wrapper=False)(
    get_num_channels_image
)
_register_kernel_internal(get_num_channels, tv_tensors.Video, tv_tensor_wrapper=False)(
    get_num_channels_video
)
_register_kernel_internal(get_num_channels, PILImage.Image)(_F.get_image_num_channels)


def get_size(inpt):
    """``[height, width]`` of an image, video, mask (its last two dims), bounding boxes or
    keypoints (their canvas size)."""
    return _dispatch(get_size, inpt)


@_register_kernel_internal(
    get_size, Tensor, tv_tensors.Image, PILImage.Image, tv_tensor_wrapper=False
)
def get_size_image(image):
    """``[height, width]`` of an image."""
    return _F.get_dimensions(image)[1:]


get_size_video = _kernel_alias(get_size_image, "get_size_video")
_register_kernel_internal(get_size, tv_tensors.Video, tv_tensor_wrapper=False)(get_size_video)


@_register_kernel_internal(get_size, tv_tensors.Mask, tv_tensor_wrapper=False)
def get_size_mask(mask):
    """``[height, width]``: the last two dims of a mask."""
    return list(mask.shape[-2:])


@_register_kernel_internal(get_size, BoundingBoxes, tv_tensor_wrapper=False)
def get_size_bounding_boxes(bounding_box):
    """The ``canvas_size`` of bounding boxes, as a list."""
    return list(bounding_box.canvas_size)


@_register_kernel_internal(get_size, KeyPoints, tv_tensor_wrapper=False)
def get_size_keypoints(keypoints):
    """The ``canvas_size`` of keypoints, as a list."""
    return list(keypoints.canvas_size)


def get_image_size(inpt):
    """``[width, height]`` of an image (deprecated in torchvision: use ``get_size``, which
    returns ``[height, width]``)."""
    warnings.warn(
        "The function `get_image_size(...)` is deprecated and will be removed in a future "
        "release. Instead, please use `get_size(...)` which returns `[h, w]` instead of `[w, h]`.",
        stacklevel=2,
    )
    return _F.get_image_size(inpt)


def get_num_frames(inpt):
    """The number of frames ``T`` of a video ``[..., T, C, H, W]``."""
    return _dispatch(get_num_frames, inpt)


@_register_kernel_internal(get_num_frames, Tensor, tv_tensors.Video, tv_tensor_wrapper=False)
def get_num_frames_video(video):
    """The number of frames ``T`` of a video ``[..., T, C, H, W]``."""
    return video.shape[-4]


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


def _clamp_keypoints(keypoints, canvas_size):
    """Each ``(x, y)`` clamped to the pixel grid: ``[0, width - 1] x [0, height - 1]`` (not to
    ``width`` and ``height``, as boxes are), in float, then back to the input dtype."""
    dtype = keypoints.dtype
    points = keypoints if keypoints.is_floating_point() else keypoints.float()
    x, y = points.unbind(-1)
    height, width = canvas_size
    clamped = ember.stack([x.clamp(0, width - 1), y.clamp(0, height - 1)], dim=-1)
    return clamped.to(dtype)


def clamp_keypoints(inpt, canvas_size=None):
    """Clamp keypoints to the pixel grid of their canvas (see ``ClampKeyPoints``).

    Args:
        inpt: ``KeyPoints``, or a plain tensor ``[..., 2]`` with ``canvas_size``.
        canvas_size: ``(height, width)`` of a plain tensor; must be None for ``KeyPoints``.
    """
    if is_pure_tensor(inpt):
        if canvas_size is None:
            raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
        return _clamp_keypoints(inpt, canvas_size)
    if isinstance(inpt, KeyPoints):
        if canvas_size is not None:
            raise ValueError("For keypoints tv_tensor inputs, `canvas_size` must not be passed.")
        return wrap(_clamp_keypoints(as_plain(inpt), inpt.canvas_size), like=inpt)
    raise TypeError(
        f"Input can either be a plain tensor or a keypoints tv_tensor, but got {type(inpt)} "
        "instead."
    )
