"""Geometric functionals: images and videos go through the v1 kernels (tensor or PIL), masks
through them with nearest interpolation, and bounding boxes and keypoints have their own
kernels that move their coordinates the way the image moves its pixels (boxes are then clamped
to the canvas, keypoints are not)."""

from __future__ import annotations

import warnings

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints
from ... import _functional_pil as _F_pil
from ... import _functional_tensor as _F_t
from ... import functional as _F
from ...functional import InterpolationMode, pil_modes_mapping
from ._meta import _clamp_bounding_boxes, _convert_bounding_box_format
from ._utils import (
    _check_interpolation,
    _dispatch,
    _kernel_alias,
    _register_five_ten_crop_kernel_internal,
    _register_image_kernels,
    _register_kernel_internal,
)

__all__ = [
    "horizontal_flip",
    "horizontal_flip_image",
    "horizontal_flip_video",
    "horizontal_flip_mask",
    "horizontal_flip_bounding_boxes",
    "horizontal_flip_keypoints",
    "hflip",
    "vertical_flip",
    "vertical_flip_image",
    "vertical_flip_video",
    "vertical_flip_mask",
    "vertical_flip_bounding_boxes",
    "vertical_flip_keypoints",
    "vflip",
    "resize",
    "resize_image",
    "resize_video",
    "resize_mask",
    "resize_bounding_boxes",
    "resize_keypoints",
    "crop",
    "crop_image",
    "crop_video",
    "crop_mask",
    "crop_bounding_boxes",
    "crop_keypoints",
    "center_crop",
    "center_crop_image",
    "center_crop_video",
    "center_crop_mask",
    "center_crop_bounding_boxes",
    "center_crop_keypoints",
    "resized_crop",
    "resized_crop_image",
    "resized_crop_video",
    "resized_crop_mask",
    "resized_crop_bounding_boxes",
    "resized_crop_keypoints",
    "pad",
    "pad_image",
    "pad_video",
    "pad_mask",
    "pad_bounding_boxes",
    "pad_keypoints",
    "rotate",
    "rotate_image",
    "rotate_video",
    "rotate_mask",
    "rotate_bounding_boxes",
    "rotate_keypoints",
    "affine",
    "affine_image",
    "affine_video",
    "affine_mask",
    "affine_bounding_boxes",
    "affine_keypoints",
    "perspective",
    "perspective_image",
    "perspective_video",
    "perspective_mask",
    "perspective_bounding_boxes",
    "perspective_keypoints",
    "elastic",
    "elastic_transform",
    "elastic_image",
    "elastic_video",
    "elastic_mask",
    "elastic_bounding_boxes",
    "elastic_keypoints",
    "five_crop",
    "five_crop_image",
    "five_crop_video",
    "ten_crop",
    "ten_crop_image",
    "ten_crop_video",
]


def _xyxy_offset(format, x, y):
    """What moves a box by ``(x, y)``: both corners in XYXY, only the first pair otherwise."""
    if format == BoundingBoxFormat.XYXY:
        return [x, y, x, y]
    return [x, y, 0, 0]


def _corners(xyxy):
    """The corners ``(x1, y1), (x2, y1), (x2, y2), (x1, y2)`` of boxes ``[N, 4]`` as points
    ``[N * 4, 2]``."""
    return xyxy[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2)


def _enclosing_boxes(points):
    """The XYXY boxes ``[N, 4]`` enclosing each four of the points ``[N * 4, 2]``."""
    corners = points.reshape(-1, 4, 2)
    return ember.cat([corners.amin(dim=1), corners.amax(dim=1)], dim=1)


def _with_ones(points):
    """Points ``[N, 2]`` in homogeneous coordinates ``[N, 3]``."""
    return ember.cat([points, ember.ones_like(points[:, :1])], dim=-1)


def _float_points(tensor):
    """The points ``[..., 2]`` (or boxes as pairs of points) of ``tensor`` as a float tensor
    ``[N, 2]``; integers become float32."""
    points = tensor if tensor.is_floating_point() else tensor.float()
    return points.reshape(-1, 2)


# ---------------------------------------------------------------------------------- flips


def horizontal_flip(inpt):
    """Mirror left to right."""
    return _dispatch(horizontal_flip, inpt)


def vertical_flip(inpt):
    """Mirror top to bottom."""
    return _dispatch(vertical_flip, inpt)


hflip = horizontal_flip
vflip = vertical_flip

horizontal_flip_image = _kernel_alias(_F.hflip, "horizontal_flip_image", "image")
horizontal_flip_video = _register_image_kernels(horizontal_flip, horizontal_flip_image, _F.hflip)
horizontal_flip_mask = _kernel_alias(_F.hflip, "horizontal_flip_mask", "mask")
_register_kernel_internal(horizontal_flip, tv_tensors.Mask)(horizontal_flip_mask)
vertical_flip_image = _kernel_alias(_F.vflip, "vertical_flip_image", "image")
vertical_flip_video = _register_image_kernels(vertical_flip, vertical_flip_image, _F.vflip)
vertical_flip_mask = _kernel_alias(_F.vflip, "vertical_flip_mask", "mask")
_register_kernel_internal(vertical_flip, tv_tensors.Mask)(vertical_flip_mask)


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


def _flip_keypoints(keypoints, last, axis):
    """Mirror coordinate ``axis`` of each point onto ``last - coordinate``: the pixel centres
    ``0 .. last`` swap ends."""
    columns = list(keypoints.unbind(-1))
    columns[axis] = last - columns[axis]
    return ember.stack(columns, dim=-1)


@_register_kernel_internal(horizontal_flip, KeyPoints)
def horizontal_flip_keypoints(keypoints, canvas_size):
    """``x -> width - 1 - x``: the keypoints of the horizontally flipped canvas."""
    return _flip_keypoints(keypoints, canvas_size[1] - 1, axis=0)


@_register_kernel_internal(vertical_flip, KeyPoints)
def vertical_flip_keypoints(keypoints, canvas_size):
    """``y -> height - 1 - y``: the keypoints of the vertically flipped canvas."""
    return _flip_keypoints(keypoints, canvas_size[0] - 1, axis=1)


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
    ``max_size`` for the longer one. Masks always use nearest interpolation; boxes and
    keypoints are scaled.

    Args:
        inpt: image, video, mask, bounding boxes or keypoints.
        size: output size, see above.
        interpolation: an ``InterpolationMode``, its string value or a Pillow constant.
            Default BILINEAR.
        max_size: cap on the longer edge (or its length when ``size`` is None).
        antialias: smooth when shrinking with bilinear or bicubic (PIL always does). Default
            True.
    """
    return _dispatch(resize, inpt, size, interpolation, max_size, antialias)


def resize_image(
    image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
):
    """Resize an image (tensor or PIL) to ``size``, see ``resize``."""
    _, height, width = _F.get_dimensions(image)
    output_size = _compute_resized_output_size((height, width), size, max_size)
    interpolation = _check_interpolation(interpolation)
    return _F.resize(image, output_size, interpolation, antialias=antialias)


resize_video = _register_image_kernels(resize, resize_image, resize_image)


@_register_kernel_internal(resize, tv_tensors.Mask)
def resize_mask(mask, size, interpolation=InterpolationMode.BILINEAR, max_size=None):
    """Resize a mask with NEAREST (or NEAREST_EXACT) interpolation; any other mode is NEAREST."""
    interpolation = _check_interpolation(interpolation)
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        interpolation = InterpolationMode.NEAREST
    return resize_image(mask, size, interpolation, max_size, antialias=False)


@_register_kernel_internal(resize, KeyPoints)
def resize_keypoints(keypoints, size, canvas_size, max_size=None):
    """Scale the keypoints of a canvas ``(height, width)`` resized to ``size``.

    Returns:
        ``(keypoints, new_canvas_size)``; integer points are truncated back to their dtype.
    """
    old_height, old_width = canvas_size
    new_height, new_width = _compute_resized_output_size(canvas_size, size, max_size)
    if (new_height, new_width) == (old_height, old_width):
        return keypoints, canvas_size
    # float32 ratios, as in torchvision
    ratios = ember.tensor([new_width / old_width, new_height / old_height], device=keypoints.device)
    return keypoints.mul(ratios).to(keypoints.dtype), (new_height, new_width)


@_register_kernel_internal(resize, BoundingBoxes)
def resize_bounding_boxes(bounding_boxes, canvas_size, size, max_size=None):
    """Scale the boxes of a canvas ``(height, width)`` resized to ``size`` (each box as two
    points, scaled as keypoints are).

    Returns:
        ``(boxes, new_canvas_size)``; integer boxes are truncated back to their dtype.
    """
    points, canvas_size = resize_keypoints(
        bounding_boxes.reshape(-1, 2), size, canvas_size, max_size
    )
    return points.reshape(bounding_boxes.shape), canvas_size


# ---------------------------------------------------------------------------------- crops


def crop(inpt, top, left, height, width):
    """The ``height`` x ``width`` box at ``(top, left)``; image parts outside are 0."""
    return _dispatch(crop, inpt, top, left, height, width)


crop_image = _kernel_alias(_F.crop, "crop_image", "image")
crop_video = _register_image_kernels(crop, crop_image, _F.crop)
crop_mask = _kernel_alias(_F.crop, "crop_mask", "mask")
_register_kernel_internal(crop, tv_tensors.Mask)(crop_mask)


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


@_register_kernel_internal(crop, KeyPoints)
def crop_keypoints(keypoints, top, left, height, width):
    """Move the keypoints into the crop's frame (they are not clamped).

    Returns:
        ``(keypoints, (height, width))``.
    """
    offset = ember.tensor([left, top], dtype=keypoints.dtype, device=keypoints.device)
    return keypoints - offset, (height, width)


def center_crop(inpt, output_size):
    """The central ``output_size`` box; an image smaller than it is zero-padded first."""
    return _dispatch(center_crop, inpt, output_size)


center_crop_image = _kernel_alias(_F.center_crop, "center_crop_image", "image")
center_crop_video = _register_image_kernels(center_crop, center_crop_image, _F.center_crop)
center_crop_mask = _kernel_alias(_F.center_crop, "center_crop_mask", "mask")
_register_kernel_internal(center_crop, tv_tensors.Mask)(center_crop_mask)


def _center_crop_box(canvas_size, output_size):
    """``(top, left, height, width)`` of the central ``output_size`` crop."""
    crop_height, crop_width = _F._pair(output_size)
    crop_top = round((canvas_size[0] - crop_height) / 2.0)
    crop_left = round((canvas_size[1] - crop_width) / 2.0)
    return crop_top, crop_left, crop_height, crop_width


@_register_kernel_internal(center_crop, BoundingBoxes)
def center_crop_bounding_boxes(
    bounding_boxes, format, canvas_size, output_size, clamping_mode="soft"
):
    """The boxes in the frame of the central ``output_size`` crop.

    Returns:
        ``(boxes, (crop_height, crop_width))``.
    """
    box = _center_crop_box(canvas_size, output_size)
    return crop_bounding_boxes(bounding_boxes, format, *box, clamping_mode)


@_register_kernel_internal(center_crop, KeyPoints)
def center_crop_keypoints(inpt, canvas_size, output_size):
    """The keypoints in the frame of the central ``output_size`` crop.

    Returns:
        ``(keypoints, (crop_height, crop_width))``.
    """
    return crop_keypoints(inpt, *_center_crop_box(canvas_size, output_size))


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


def resized_crop_image(
    image, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """``crop`` then ``resize`` of an image (tensor or PIL)."""
    image = _F.crop(image, top, left, height, width)
    return resize_image(image, size, interpolation, antialias=antialias)


resized_crop_video = _register_image_kernels(resized_crop, resized_crop_image, resized_crop_image)


@_register_kernel_internal(resized_crop, tv_tensors.Mask)
def resized_crop_mask(mask, top, left, height, width, size):
    """``crop`` then nearest ``resize`` of a mask."""
    return resize_mask(_F.crop(mask, top, left, height, width), size)


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


@_register_kernel_internal(resized_crop, KeyPoints)
def resized_crop_keypoints(keypoints, top, left, height, width, size):
    """``crop_keypoints`` then ``resize_keypoints``.

    Returns:
        ``(keypoints, new_canvas_size)``.
    """
    keypoints, canvas_size = crop_keypoints(keypoints, top, left, height, width)
    return resize_keypoints(keypoints, size, canvas_size)


# ------------------------------------------------------------------------------------ pad


def pad(inpt, padding, fill=None, padding_mode="constant"):
    """Pad every border.

    Args:
        inpt: image, video, mask, or bounding boxes and keypoints (``constant`` mode only).
        padding: int (all borders), ``[left/right, top/bottom]`` or ``[left, top, right,
            bottom]``.
        fill: value of ``constant`` padding: a number, or one per channel (images). Default 0.
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """
    return _dispatch(pad, inpt, padding, fill, padding_mode)


def pad_image(image, padding, fill=None, padding_mode="constant"):
    """Pad a tensor image; ``fill`` is a number or one value per channel."""
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


pad_video = _register_image_kernels(pad, pad_image, _F.pad)


@_register_kernel_internal(pad, tv_tensors.Mask)
def pad_mask(mask, padding, fill=None, padding_mode="constant"):
    """Pad a mask with one scalar ``fill`` (default 0)."""
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    return pad_image(mask, padding, fill, padding_mode)


def _check_constant_padding(padding_mode, what):
    if padding_mode not in ["constant"]:
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with {what}")


@_register_kernel_internal(pad, BoundingBoxes)
def pad_bounding_boxes(
    bounding_boxes, format, canvas_size, padding, padding_mode="constant", clamping_mode="soft"
):
    """Move the boxes by the left and top padding and grow the canvas.

    Returns:
        ``(boxes, new_canvas_size)``.
    """
    _check_constant_padding(padding_mode, "bounding boxes")
    left, right, top, bottom = _F_t._parse_pad_padding(padding)
    offset = ember.tensor(
        _xyxy_offset(format, left, top), dtype=bounding_boxes.dtype, device=bounding_boxes.device
    )
    height, width = canvas_size
    canvas_size = (height + top + bottom, width + left + right)
    output = _clamp_bounding_boxes(bounding_boxes + offset, format, canvas_size, clamping_mode)
    return output, canvas_size


@_register_kernel_internal(pad, KeyPoints)
def pad_keypoints(keypoints, canvas_size, padding, padding_mode="constant"):
    """Move the keypoints by the left and top padding and grow the canvas.

    Returns:
        ``(keypoints, new_canvas_size)``.
    """
    _check_constant_padding(padding_mode, "KeyPoints (supported modes are constant)")
    left, right, top, bottom = _F_t._parse_pad_padding(padding)
    offset = ember.tensor([left, top], dtype=keypoints.dtype, device=keypoints.device)
    height, width = canvas_size
    return keypoints + offset, (height + top + bottom, width + left + right)


# -------------------------------------------------------------------------- affine, rotate


def _parse_shear(shear):
    """A number as ``[shear, 0]``, ``[s]`` as ``[s, s]``, floats."""
    if isinstance(shear, (int, float)):
        return [float(shear), 0.0]
    if len(shear) == 1:
        return [float(shear[0]), float(shear[0])]
    return [float(s) for s in shear]


def _affine_points(points, canvas_size, angle, translate, scale, shear, center, expand):
    """Float points ``[N, 2]`` through the affine map of the image; with ``expand``, moved
    onto the canvas that holds the whole transformed image.

    Returns:
        ``(points, canvas_size)``.
    """
    height, width = canvas_size
    if center is None:
        center = [width * 0.5, height * 0.5]
    shear = _parse_shear(shear)
    matrix = _F._get_inverse_affine_matrix(
        center, angle, list(translate), scale, shear, inverted=False
    )
    transposed = ember.tensor(matrix, dtype=points.dtype, device=points.device).reshape(2, 3).T
    output = _with_ones(points).matmul(transposed)
    if expand:
        frame = ember.tensor(
            [[0.0, 0.0, 1.0], [0.0, height, 1.0], [width, height, 1.0], [width, 0.0, 1.0]],
            dtype=points.dtype,
            device=points.device,
        )
        output = output - frame.matmul(transposed).amin(dim=0, keepdim=True)
        inverse = _F._get_inverse_affine_matrix(center, angle, list(translate), scale, shear)
        new_width, new_height = _F_t._compute_affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    return output, canvas_size


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
    """The enclosing box of each box's four corners through the affine map, clamped to the
    (with ``expand``, enlarged) canvas."""
    if bounding_boxes.numel() == 0:
        return bounding_boxes, canvas_size
    boxes = _float_points(bounding_boxes).reshape(-1, 4)  # float boxes
    boxes = _convert_bounding_box_format(boxes, format, BoundingBoxFormat.XYXY)
    points, canvas_size = _affine_points(
        _corners(boxes), canvas_size, angle, translate, scale, shear, center, expand
    )
    out = _clamp_bounding_boxes(
        _enclosing_boxes(points), BoundingBoxFormat.XYXY, canvas_size, clamping_mode
    )
    out = _convert_bounding_box_format(out, BoundingBoxFormat.XYXY, format)
    return out.reshape(bounding_boxes.shape).to(bounding_boxes.dtype), canvas_size


def _affine_keypoints_with_expand(
    keypoints, canvas_size, angle, translate, scale, shear, center, expand
):
    if keypoints.numel() == 0:
        return keypoints, canvas_size
    points, canvas_size = _affine_points(
        _float_points(keypoints), canvas_size, angle, translate, scale, shear, center, expand
    )
    return points.reshape(keypoints.shape).to(keypoints.dtype), canvas_size


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
        inpt: image, video, mask (nearest interpolation), bounding boxes (the enclosing box of
            each transformed box, clamped to the canvas) or keypoints.
        angle: rotation in degrees, clockwise.
        translate: ``[tx, ty]`` in pixels.
        scale: overall scale, positive.
        shear: degrees; a number (x only), or ``[shear_x, shear_y]``.
        interpolation: NEAREST (default) or BILINEAR.
        fill: value of the pixels outside the input (default 0).
        center: ``(x, y)`` the transform is about (default the image centre).
    """
    return _dispatch(affine, inpt, angle, translate, scale, shear, interpolation, fill, center)


def affine_image(
    image,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """The affine transform of an image (tensor or PIL), see ``affine``."""
    interpolation = _check_interpolation(interpolation)
    return _F.affine(image, angle, translate, scale, shear, interpolation, fill, center)


affine_video = _register_image_kernels(affine, affine_image, affine_image)


@_register_kernel_internal(affine, tv_tensors.Mask)
def affine_mask(mask, angle, translate, scale, shear, fill=None, center=None):
    """The affine transform of a mask, with nearest interpolation."""
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


@_register_kernel_internal(affine, KeyPoints)
def affine_keypoints(keypoints, canvas_size, angle, translate, scale, shear, center=None):
    """The affinely transformed keypoints (integer points truncated back).

    Returns:
        ``(keypoints, canvas_size)``.
    """
    return _affine_keypoints_with_expand(
        keypoints, canvas_size, angle, translate, scale, shear, center, expand=False
    )


def rotate(
    inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    """Rotate by ``angle`` degrees counter-clockwise.

    Args:
        inpt: image, video, mask (nearest interpolation), bounding boxes (the enclosing box of
            each rotated box) or keypoints.
        angle: degrees, counter-clockwise.
        interpolation: NEAREST (default) or BILINEAR.
        expand: grow the canvas to hold the whole rotated image.
        center: ``(x, y)`` to rotate about (default the image centre).
        fill: value of the pixels outside the input (default 0).
    """
    return _dispatch(rotate, inpt, angle, interpolation, expand, center, fill)


def rotate_image(
    image, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    """The rotation of an image (tensor or PIL), see ``rotate``."""
    interpolation = _check_interpolation(interpolation)
    return _F.rotate(image, angle, interpolation, expand=expand, center=center, fill=fill)


rotate_video = _register_image_kernels(rotate, rotate_image, rotate_image)


@_register_kernel_internal(rotate, tv_tensors.Mask)
def rotate_mask(mask, angle, expand=False, center=None, fill=None):
    """The rotation of a mask, with nearest interpolation."""
    return _F.rotate(
        mask, angle, InterpolationMode.NEAREST, expand=expand, center=center, fill=fill
    )


def _warn_center_with_expand(center, expand):
    if center is not None and expand:
        warnings.warn(
            "The provided center argument has no effect on the result if expand is True",
            stacklevel=3,
        )


@_register_kernel_internal(rotate, BoundingBoxes)
def rotate_bounding_boxes(
    bounding_boxes, format, canvas_size, angle, expand=False, center=None, clamping_mode="soft"
):
    """The enclosing boxes of the rotated boxes.

    Returns:
        ``(boxes, canvas_size)``: the canvas grows with ``expand``.
    """
    _warn_center_with_expand(center, expand)
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


@_register_kernel_internal(rotate, KeyPoints)
def rotate_keypoints(keypoints, canvas_size, angle, expand=False, center=None):
    """The rotated keypoints.

    Returns:
        ``(keypoints, canvas_size)``: the canvas grows with ``expand``.
    """
    return _affine_keypoints_with_expand(
        keypoints, canvas_size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center, expand
    )


# ---------------------------------------------------------------------------- perspective


def perspective(
    inpt,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """Perspective transform that moves the four corners ``startpoints`` to ``endpoints``.

    Args:
        inpt: image, video, mask (nearest interpolation), bounding boxes (the enclosing box of
            each transformed box, clamped) or keypoints.
        startpoints: four ``[x, y]`` corners ``[top-left, top-right, bottom-right,
            bottom-left]`` of the original image, or None with ``coefficients``.
        endpoints: the same four corners in the transformed image, or None.
        interpolation: BILINEAR (default) or NEAREST.
        fill: value of the pixels outside the input (default 0).
        coefficients: the 8 coefficients of the map from output to input pixels (see
            ``functional.perspective`` of v1), instead of the points.
    """
    return _dispatch(perspective, inpt, startpoints, endpoints, interpolation, fill, coefficients)


def _perspective_coefficients(startpoints, endpoints, coefficients):
    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            raise ValueError(
                "The startpoints/endpoints and the coefficients shouldn't be defined concurrently."
            )
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
        return coefficients
    if startpoints is not None and endpoints is not None:
        return _F._get_perspective_coeffs(startpoints, endpoints)
    raise ValueError(
        "Either the startpoints/endpoints or the coefficients must have non `None` values."
    )


def perspective_image(
    image,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """The perspective transform of a tensor image, see ``perspective``."""
    coefficients = _perspective_coefficients(startpoints, endpoints, coefficients)
    interpolation = _check_interpolation(interpolation)
    return _F_t.perspective(image, coefficients, interpolation.value, fill)


def _perspective_image_pil(
    image,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    coefficients = _perspective_coefficients(startpoints, endpoints, coefficients)
    interpolation = pil_modes_mapping[_check_interpolation(interpolation)]
    return _F_pil.perspective(image, coefficients, interpolation=interpolation, fill=fill)


perspective_video = _register_image_kernels(perspective, perspective_image, _perspective_image_pil)


@_register_kernel_internal(perspective, tv_tensors.Mask)
def perspective_mask(mask, startpoints, endpoints, fill=None, coefficients=None):
    """The perspective transform of a mask, with nearest interpolation."""
    return perspective_image(
        mask, startpoints, endpoints, InterpolationMode.NEAREST, fill, coefficients
    )


def _perspective_points(points, coefficients, what):
    """Float points ``[N, 2]`` through the perspective map of the image, the inverse of the
    map of ``coefficients`` (which takes output pixels to input pixels)."""
    a, b, c, d, e, f, g, h = coefficients
    denom = a * e - b * d
    if denom == 0:
        raise RuntimeError(
            f"Provided perspective_coeffs {coefficients} can not be inverted to transform {what}. "
            f"Denominator is zero, denom={denom}"
        )
    inverse = [
        (e - f * h) / denom,
        (-b + c * h) / denom,
        (b * f - c * e) / denom,
        (-d + f * g) / denom,
        (a - c * g) / denom,
        (-a * f + c * d) / denom,
        (-e * g + d * h) / denom,
        (-a * h + b * g) / denom,
    ]
    numerator = ember.tensor([inverse[0:3], inverse[3:6]], dtype=points.dtype, device=points.device)
    denominator = ember.tensor(
        [[inverse[6], inverse[7], 1.0]] * 2, dtype=points.dtype, device=points.device
    )
    homogeneous = _with_ones(points)
    return homogeneous.matmul(numerator.T) / homogeneous.matmul(denominator.T)


@_register_kernel_internal(perspective, BoundingBoxes)
def perspective_bounding_boxes(
    bounding_boxes,
    format,
    canvas_size,
    startpoints,
    endpoints,
    coefficients=None,
    clamping_mode="soft",
):
    """The enclosing boxes of the boxes' corners through the perspective map, clamped."""
    if bounding_boxes.numel() == 0:
        return bounding_boxes
    coefficients = _perspective_coefficients(startpoints, endpoints, coefficients)
    boxes = _convert_bounding_box_format(bounding_boxes, format, BoundingBoxFormat.XYXY)
    corners = _float_points(_corners(boxes.reshape(-1, 4)))
    points = _perspective_points(corners, coefficients, "bounding boxes")
    out = _clamp_bounding_boxes(
        _enclosing_boxes(points), BoundingBoxFormat.XYXY, canvas_size, clamping_mode
    )
    out = _convert_bounding_box_format(out, BoundingBoxFormat.XYXY, format)
    return out.reshape(bounding_boxes.shape).to(bounding_boxes.dtype)


@_register_kernel_internal(perspective, KeyPoints)
def perspective_keypoints(keypoints, canvas_size, startpoints, endpoints, coefficients=None):
    """The keypoints through the perspective map (integer points truncated back)."""
    if keypoints.numel() == 0:
        return keypoints
    coefficients = _perspective_coefficients(startpoints, endpoints, coefficients)
    points = _perspective_points(_float_points(keypoints), coefficients, "keypoints")
    return points.to(keypoints.dtype).reshape(keypoints.shape)


# -------------------------------------------------------------------------------- elastic


def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move every pixel by ``displacement`` (see ``ElasticTransform``).

    Args:
        inpt: image, video, mask (nearest interpolation), bounding boxes or keypoints (moved
            by the approximate inverse ``identity - displacement``).
        displacement: ``(1, H, W, 2)`` tensor of ``(dx, dy)`` in ``grid_sample``'s normalised
            units.
        interpolation: BILINEAR (default) or NEAREST.
        fill: value of the pixels outside the input (default 0).
    """
    return _dispatch(elastic, inpt, displacement, interpolation, fill)


elastic_transform = elastic


def elastic_image(image, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """The elastic transform of an image (tensor or PIL), see ``elastic``."""
    interpolation = _check_interpolation(interpolation)
    return _F.elastic_transform(image, displacement, interpolation, fill)


elastic_video = _register_image_kernels(elastic, elastic_image, elastic_image)


@_register_kernel_internal(elastic, tv_tensors.Mask)
def elastic_mask(mask, displacement, fill=None):
    """The elastic transform of a mask, with nearest interpolation."""
    return elastic_image(mask, displacement, InterpolationMode.NEAREST, fill)


def _check_displacement(displacement, canvas_size):
    expected_shape = (1, canvas_size[0], canvas_size[1], 2)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if tuple(displacement.shape) != expected_shape:
        raise ValueError(
            f"Argument displacement shape should be {expected_shape}, but given "
            f"{displacement.shape}"
        )


def _elastic_points(points, canvas_size, displacement):
    """Float points ``[N, 2]`` moved by ``identity - displacement`` at their pixel (truncated,
    clamped to the canvas): an approximation of the inverse of the image's elastic map, good
    while the displacement is small."""
    dtype = points.dtype
    identity = ember.tensor(
        _F_t._create_identity_grid(canvas_size), dtype=dtype, device=points.device
    )
    inverse_grid = identity - displacement.to(dtype=dtype, device=points.device)
    index = points.long()
    index_x = index[:, 0].clamp(0, canvas_size[1] - 1)
    index_y = index[:, 1].clamp(0, canvas_size[0] - 1)
    size = ember.tensor(canvas_size[::-1], dtype=dtype, device=points.device)
    # from grid_sample's [-1, 1] back to pixel coordinates
    return (inverse_grid[0, index_y, index_x, :] + 1) * (0.5 * size) - 0.5


@_register_kernel_internal(elastic, BoundingBoxes)
def elastic_bounding_boxes(bounding_boxes, format, canvas_size, displacement, clamping_mode="soft"):
    """The enclosing boxes of the boxes' corners (rounded up) through ``_elastic_points``,
    clamped to the canvas."""
    _check_displacement(displacement, canvas_size)
    if bounding_boxes.numel() == 0:
        return bounding_boxes
    boxes = _convert_bounding_box_format(bounding_boxes, format, BoundingBoxFormat.XYXY)
    corners = _corners(boxes.reshape(-1, 4))
    if corners.is_floating_point():
        corners = corners.ceil()
    points = _elastic_points(_float_points(corners), canvas_size, displacement)
    out = _enclosing_boxes(points).to(bounding_boxes.dtype)
    out = _clamp_bounding_boxes(out, BoundingBoxFormat.XYXY, canvas_size, clamping_mode)
    return _convert_bounding_box_format(out, BoundingBoxFormat.XYXY, format).reshape(
        bounding_boxes.shape
    )


@_register_kernel_internal(elastic, KeyPoints)
def elastic_keypoints(keypoints, canvas_size, displacement):
    """The keypoints through ``_elastic_points`` (integer points truncated back)."""
    _check_displacement(displacement, canvas_size)
    if keypoints.numel() == 0:
        return keypoints
    points = _elastic_points(_float_points(keypoints), canvas_size, displacement)
    return points.to(keypoints.dtype).reshape(keypoints.shape)


# ------------------------------------------------------------------------ five / ten crop


def five_crop(inpt, size):
    """The four corner crops and the central crop ``(tl, tr, bl, br, center)`` of an image or
    video.

    Args:
        inpt: image or video (tensor or PIL).
        size: ``(h, w)`` of the crops, or an int (or ``[int]``) for squares.
    """
    return _dispatch(five_crop, inpt, size)


def ten_crop(inpt, size, vertical_flip=False):
    """``five_crop`` of the image and of its mirror image (horizontal, or vertical with
    ``vertical_flip``): ten crops."""
    return _dispatch(ten_crop, inpt, size, vertical_flip)


five_crop_image = _kernel_alias(_F.five_crop, "five_crop_image", "image")
five_crop_video = _kernel_alias(five_crop_image, "five_crop_video")
ten_crop_image = _kernel_alias(_F.ten_crop, "ten_crop_image", "image")
ten_crop_video = _kernel_alias(ten_crop_image, "ten_crop_video")
for _functional, _image_kernel, _video_kernel in [
    (five_crop, five_crop_image, five_crop_video),
    (ten_crop, ten_crop_image, ten_crop_video),
]:
    _register_five_ten_crop_kernel_internal(_functional, Tensor, tv_tensors.Image, PILImage.Image)(
        _image_kernel
    )
    _register_five_ten_crop_kernel_internal(_functional, tv_tensors.Video)(_video_kernel)
