"""Geometric functionals: images and videos go through the v1 kernels (tensor or PIL), masks
through them with nearest interpolation, and bounding boxes have their own kernels that move
the box coordinates the way the image moves its pixels."""

from __future__ import annotations

import warnings

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxes, BoundingBoxFormat
from ... import _functional_tensor as _F_t
from ... import functional as _F
from ...functional import InterpolationMode, _interpolation_mode
from ._meta import _clamp_bounding_boxes, _convert_bounding_box_format
from ._utils import _dispatch, _register_kernel_internal

__all__ = [
    "horizontal_flip",
    "vertical_flip",
    "resize",
    "crop",
    "center_crop",
    "resized_crop",
    "pad",
    "rotate",
    "affine",
    "horizontal_flip_bounding_boxes",
    "vertical_flip_bounding_boxes",
    "resize_bounding_boxes",
    "crop_bounding_boxes",
    "center_crop_bounding_boxes",
    "resized_crop_bounding_boxes",
    "pad_bounding_boxes",
    "rotate_bounding_boxes",
    "affine_bounding_boxes",
]

_IMAGE_TYPES = (Tensor, tv_tensors.Image, tv_tensors.Video, PILImage.Image)
_ALL_TYPES = _IMAGE_TYPES + (tv_tensors.Mask,)


def _xyxy_offset(format, x, y):
    """What moves a box by ``(x, y)``: both corners in XYXY, only the first pair otherwise."""
    if format == BoundingBoxFormat.XYXY:
        return [x, y, x, y]
    return [x, y, 0, 0]


# ---------------------------------------------------------------------------------- flips


def horizontal_flip(inpt):
    """Mirror left to right."""
    return _dispatch(horizontal_flip, inpt)


def vertical_flip(inpt):
    """Mirror top to bottom."""
    return _dispatch(vertical_flip, inpt)


_register_kernel_internal(horizontal_flip, *_ALL_TYPES)(_F.hflip)
_register_kernel_internal(vertical_flip, *_ALL_TYPES)(_F.vflip)


def _flip_bounding_boxes(bounding_boxes, format, extent, axis):
    """Mirror coordinate ``axis`` (0 for x, 1 for y) across a canvas ``extent`` wide."""
    shape = bounding_boxes.shape
    boxes = bounding_boxes.reshape(-1, 4)
    a, b = axis, axis + 2
    columns = list(boxes.unbind(-1))
    if format == BoundingBoxFormat.XYXY:
        columns[a], columns[b] = extent - columns[b], extent - columns[a]
    elif format == BoundingBoxFormat.XYWH:
        columns[a] = extent - (columns[a] + columns[b])
    else:
        columns[a] = extent - columns[a]
    return ember.stack(columns, dim=-1).reshape(shape)


@_register_kernel_internal(horizontal_flip, BoundingBoxes)
def horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """The boxes of the horizontally flipped canvas ``canvas_size = (height, width)``."""
    return _flip_bounding_boxes(bounding_boxes, format, canvas_size[1], axis=0)


@_register_kernel_internal(vertical_flip, BoundingBoxes)
def vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """The boxes of the vertically flipped canvas ``canvas_size = (height, width)``."""
    return _flip_bounding_boxes(bounding_boxes, format, canvas_size[0], axis=1)


# --------------------------------------------------------------------------------- resize


def _compute_resized_output_size(canvas_size, size, max_size=None):
    """``[height, width]`` after a resize; ``size=None`` makes the longer edge ``max_size``."""
    if isinstance(size, int):
        size = [size]
    elif max_size is not None and size is not None and len(size) != 1:
        raise ValueError(
            "max_size should only be passed if size is None or specifies the length of the "
            "smaller edge, i.e. size should be an int or a sequence of length 1 in torchscript "
            "mode."
        )
    if size is not None:
        return _F._compute_resized_output_size(canvas_size, list(size), max_size)
    if max_size is None:
        raise ValueError("size can only be None if max_size is also specified.")
    height, width = canvas_size
    short, long = min(height, width), max(height, width)
    new_short = int(max_size * short / long)
    return [max_size, new_short] if height >= width else [new_short, max_size]


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size``: ``(h, w)``, an int (or ``[int]``) for the shorter edge, or None with
    ``max_size`` for the longer one. Masks always use nearest interpolation; boxes are scaled.

    Args:
        inpt: image, video, mask or bounding boxes.
        size: output size, see above.
        interpolation: an ``InterpolationMode`` or a Pillow constant. Default BILINEAR.
        max_size: cap on the longer edge (or its length when ``size`` is None).
        antialias: smooth when shrinking with bilinear or bicubic (PIL always does). Default
            True.
    """
    return _dispatch(resize, inpt, size, interpolation, max_size, antialias)


@_register_kernel_internal(resize, *_IMAGE_TYPES)
def _resize_image(
    image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
):
    _, height, width = _F.get_dimensions(image)
    output_size = _compute_resized_output_size((height, width), size, max_size)
    return _F.resize(image, output_size, _interpolation_mode(interpolation), antialias=antialias)


@_register_kernel_internal(resize, tv_tensors.Mask)
def _resize_mask(mask, size, max_size=None):
    return _resize_image(mask, size, InterpolationMode.NEAREST, max_size, antialias=False)


@_register_kernel_internal(resize, BoundingBoxes)
def resize_bounding_boxes(bounding_boxes, canvas_size, size, max_size=None):
    """Scale the boxes of a canvas ``(height, width)`` resized to ``size``.

    Returns:
        ``(boxes, new_canvas_size)``; integer boxes are truncated back to their dtype.
    """
    old_height, old_width = canvas_size
    new_height, new_width = _compute_resized_output_size(canvas_size, size, max_size)
    if (new_height, new_width) == (old_height, old_width):
        return bounding_boxes, canvas_size
    w_ratio = new_width / old_width
    h_ratio = new_height / old_height
    ratios = ember.tensor([w_ratio, h_ratio, w_ratio, h_ratio], device=bounding_boxes.device)
    return bounding_boxes.mul(ratios).to(bounding_boxes.dtype), (new_height, new_width)


# ---------------------------------------------------------------------------------- crops


def crop(inpt, top, left, height, width):
    """The ``height`` x ``width`` box at ``(top, left)``; image parts outside are 0."""
    return _dispatch(crop, inpt, top, left, height, width)


_register_kernel_internal(crop, *_ALL_TYPES)(_F.crop)


@_register_kernel_internal(crop, BoundingBoxes)
def crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode="soft"):
    """Move the boxes into the crop's frame and clamp them to it.

    Returns:
        ``(boxes, (height, width))``.
    """
    offset = ember.tensor(
        _xyxy_offset(format, left, top), dtype=bounding_boxes.dtype, device=bounding_boxes.device
    )
    canvas_size = (height, width)
    output = _clamp_bounding_boxes(bounding_boxes - offset, format, canvas_size, clamping_mode)
    return output, canvas_size


def center_crop(inpt, output_size):
    """The central ``output_size`` box; an image smaller than it is zero-padded first."""
    return _dispatch(center_crop, inpt, output_size)


_register_kernel_internal(center_crop, *_ALL_TYPES)(_F.center_crop)


@_register_kernel_internal(center_crop, BoundingBoxes)
def center_crop_bounding_boxes(
    bounding_boxes, format, canvas_size, output_size, clamping_mode="soft"
):
    """The boxes in the frame of the central ``output_size`` crop.

    Returns:
        ``(boxes, (crop_height, crop_width))``.
    """
    crop_height, crop_width = _F._pair(output_size)
    crop_top = round((canvas_size[0] - crop_height) / 2.0)
    crop_left = round((canvas_size[1] - crop_width) / 2.0)
    return crop_bounding_boxes(
        bounding_boxes, format, crop_top, crop_left, crop_height, crop_width, clamping_mode
    )


def resized_crop(
    inpt,
    top,
    left,
    height,
    width,
    size,
    interpolation=InterpolationMode.BILINEAR,
    antialias=True,
):
    """``crop`` then ``resize`` to ``size``."""
    return _dispatch(resized_crop, inpt, top, left, height, width, size, interpolation, antialias)


@_register_kernel_internal(resized_crop, *_IMAGE_TYPES)
def _resized_crop_image(
    image, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    image = _F.crop(image, top, left, height, width)
    return _resize_image(image, size, interpolation, antialias=antialias)


@_register_kernel_internal(resized_crop, tv_tensors.Mask)
def _resized_crop_mask(mask, top, left, height, width, size):
    return _resize_mask(_F.crop(mask, top, left, height, width), size)


@_register_kernel_internal(resized_crop, BoundingBoxes)
def resized_crop_bounding_boxes(
    bounding_boxes, format, top, left, height, width, size, clamping_mode="soft"
):
    """``crop_bounding_boxes`` then ``resize_bounding_boxes``.

    Returns:
        ``(boxes, new_canvas_size)``.
    """
    bounding_boxes, canvas_size = crop_bounding_boxes(
        bounding_boxes, format, top, left, height, width, clamping_mode
    )
    return resize_bounding_boxes(bounding_boxes, canvas_size, size)


# ------------------------------------------------------------------------------------ pad


def pad(inpt, padding, fill=None, padding_mode="constant"):
    """Pad every border.

    Args:
        inpt: image, video, mask or bounding boxes (``constant`` mode only).
        padding: int (all borders), ``[left/right, top/bottom]`` or ``[left, top, right,
            bottom]``.
        fill: value of ``constant`` padding: a number, or one per channel (images). Default 0.
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """
    return _dispatch(pad, inpt, padding, fill, padding_mode)


@_register_kernel_internal(pad, Tensor, tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask)
def _pad_image(image, padding, fill=None, padding_mode="constant"):
    if fill is None:
        fill = 0
    if isinstance(fill, (tuple, list)) and len(fill) == 1:
        fill = fill[0]
    if not isinstance(fill, (tuple, list)):
        return _F_t.pad(image, padding, fill=fill, padding_mode=padding_mode)
    # one fill value per channel: pad with zeros, then paint each border
    output = _F_t.pad(image, padding, fill=0, padding_mode=padding_mode)
    left, right, top, bottom = _F_t._parse_pad_padding(padding)
    value = ember.tensor(fill, dtype=image.dtype, device=image.device).reshape(-1, 1, 1)
    height, width = output.shape[-2:]
    if top > 0:
        output[..., :top, :] = value
    if bottom > 0:
        output[..., height - bottom :, :] = value
    if left > 0:
        output[..., :, :left] = value
    if right > 0:
        output[..., :, width - right :] = value
    return output


_register_kernel_internal(pad, PILImage.Image)(_F.pad)


@_register_kernel_internal(pad, BoundingBoxes)
def pad_bounding_boxes(
    bounding_boxes, format, canvas_size, padding, padding_mode="constant", clamping_mode="soft"
):
    """Move the boxes by the left and top padding and grow the canvas.

    Returns:
        ``(boxes, new_canvas_size)``.
    """
    if padding_mode not in ["constant"]:
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    left, right, top, bottom = _F_t._parse_pad_padding(padding)
    offset = ember.tensor(
        _xyxy_offset(format, left, top), dtype=bounding_boxes.dtype, device=bounding_boxes.device
    )
    height, width = canvas_size
    canvas_size = (height + top + bottom, width + left + right)
    output = _clamp_bounding_boxes(bounding_boxes + offset, format, canvas_size, clamping_mode)
    return output, canvas_size


# -------------------------------------------------------------------------- affine, rotate


def _parse_shear(shear):
    """A number as ``[shear, 0]``, ``[s]`` as ``[s, s]``, floats."""
    if isinstance(shear, (int, float)):
        return [float(shear), 0.0]
    if len(shear) == 1:
        return [float(shear[0]), float(shear[0])]
    return [float(s) for s in shear]


def _affine_bounding_boxes_with_expand(
    bounding_boxes,
    format,
    canvas_size,
    angle,
    translate,
    scale,
    shear,
    center,
    expand,
    clamping_mode,
):
    """Map the four corners of each box through the affine map and take their enclosing box;
    ``expand`` shifts everything onto the canvas that holds the whole transformed image."""
    if bounding_boxes.numel() == 0:
        return bounding_boxes, canvas_size
    shape = bounding_boxes.shape
    dtype = bounding_boxes.dtype
    boxes = bounding_boxes.float() if not bounding_boxes.is_floating_point() else bounding_boxes
    boxes = _convert_bounding_box_format(boxes, format, BoundingBoxFormat.XYXY).reshape(-1, 4)
    height, width = canvas_size
    if center is None:
        center = [width * 0.5, height * 0.5]
    shear = _parse_shear(shear)
    matrix = _F._get_inverse_affine_matrix(
        center, angle, list(translate), scale, shear, inverted=False
    )
    transposed = ember.tensor(matrix, dtype=boxes.dtype, device=boxes.device).reshape(2, 3).T
    # corners (x1, y1), (x2, y1), (x2, y2), (x1, y2) of every box, as homogeneous points
    points = boxes[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2)
    points = ember.cat([points, ember.ones_like(points[:, :1])], dim=-1)
    corners = points.matmul(transposed).reshape(-1, 4, 2)
    out = ember.cat([corners.amin(dim=1), corners.amax(dim=1)], dim=1)
    if expand:
        frame = ember.tensor(
            [[0.0, 0.0, 1.0], [0.0, height, 1.0], [width, height, 1.0], [width, 0.0, 1.0]],
            dtype=boxes.dtype,
            device=boxes.device,
        )
        origin = frame.matmul(transposed).amin(dim=0, keepdim=True)
        out = out - origin.repeat(1, 2)
        inverse = _F._get_inverse_affine_matrix(center, angle, list(translate), scale, shear)
        new_width, new_height = _F_t._compute_affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    out = _clamp_bounding_boxes(out, BoundingBoxFormat.XYXY, canvas_size, clamping_mode)
    out = _convert_bounding_box_format(out, BoundingBoxFormat.XYXY, format).reshape(shape)
    return out.to(dtype), canvas_size


def affine(
    inpt,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """Rotate by ``angle`` (degrees, clockwise), scale, shear and translate about ``center``.

    Args:
        inpt: image, video, mask (nearest interpolation) or bounding boxes (the enclosing
            box of each transformed box, clamped to the canvas).
        angle: rotation in degrees, clockwise.
        translate: ``[tx, ty]`` in pixels.
        scale: overall scale, positive.
        shear: degrees; a number (x only), or ``[shear_x, shear_y]``.
        interpolation: NEAREST (default) or BILINEAR.
        fill: value of the pixels outside the input (default 0).
        center: ``(x, y)`` the transform is about (default the image centre).
    """
    return _dispatch(affine, inpt, angle, translate, scale, shear, interpolation, fill, center)


_register_kernel_internal(affine, *_IMAGE_TYPES)(_F.affine)


@_register_kernel_internal(affine, tv_tensors.Mask)
def _affine_mask(mask, angle, translate, scale, shear, fill=None, center=None):
    return _F.affine(
        mask, angle, translate, scale, shear, InterpolationMode.NEAREST, fill=fill, center=center
    )


@_register_kernel_internal(affine, BoundingBoxes)
def affine_bounding_boxes(
    bounding_boxes,
    format,
    canvas_size,
    angle,
    translate,
    scale,
    shear,
    center=None,
    clamping_mode="soft",
):
    """The enclosing boxes of the affinely transformed boxes, clamped to the canvas.

    Returns:
        ``(boxes, canvas_size)``.
    """
    return _affine_bounding_boxes_with_expand(
        bounding_boxes,
        format,
        canvas_size,
        angle,
        translate,
        scale,
        shear,
        center,
        expand=False,
        clamping_mode=clamping_mode,
    )


def rotate(
    inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    """Rotate by ``angle`` degrees counter-clockwise.

    Args:
        inpt: image, video, mask (nearest interpolation) or bounding boxes (the enclosing
            box of each rotated box).
        angle: degrees, counter-clockwise.
        interpolation: NEAREST (default) or BILINEAR.
        expand: grow the canvas to hold the whole rotated image.
        center: ``(x, y)`` to rotate about (default the image centre).
        fill: value of the pixels outside the input (default 0).
    """
    return _dispatch(rotate, inpt, angle, interpolation, expand, center, fill)


_register_kernel_internal(rotate, *_IMAGE_TYPES)(_F.rotate)


@_register_kernel_internal(rotate, tv_tensors.Mask)
def _rotate_mask(mask, angle, expand=False, center=None, fill=None):
    return _F.rotate(
        mask, angle, InterpolationMode.NEAREST, expand=expand, center=center, fill=fill
    )


@_register_kernel_internal(rotate, BoundingBoxes)
def rotate_bounding_boxes(
    bounding_boxes, format, canvas_size, angle, expand=False, center=None, clamping_mode="soft"
):
    """The enclosing boxes of the rotated boxes.

    Returns:
        ``(boxes, canvas_size)``: the canvas grows with ``expand``.
    """
    if center is not None and expand:
        warnings.warn(
            "The provided center argument has no effect on the result if expand is True",
            stacklevel=2,
        )
    return _affine_bounding_boxes_with_expand(
        bounding_boxes,
        format,
        canvas_size,
        -angle,
        [0.0, 0.0],
        1.0,
        [0.0, 0.0],
        center,
        expand,
        clamping_mode,
    )
