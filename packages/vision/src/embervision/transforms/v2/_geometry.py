"""Geometric transforms: an image, its masks, its bounding boxes and its keypoints move
together."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

from PIL import Image as PILImage

import ember

from ... import transforms as _v1
from ... import tv_tensors
from ...ops import box_iou
from .. import functional as _F1
from ..functional import InterpolationMode
from ..transforms import _check_sequence_input, _setup_angle, _setup_size
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import (
    _get_fill,
    _setup_fill_arg,
    _setup_number_or_seq,
    get_bounding_boxes,
    has_all,
    has_any,
    is_pure_tensor,
    query_size,
)
from .functional._utils import _check_interpolation, as_plain


def _check_padding_arg(padding):
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError(
            "Padding must be an int or a 1, 2, or 4 element tuple, not a "
            f"{len(padding)} element tuple"
        )


def _check_padding_mode_arg(padding_mode):
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


class RandomHorizontalFlip(_RandomApplyTransform):
    """Flip left to right with probability ``p`` (default 0.5)."""

    def transform(self, inpt, params):
        return self._call_kernel(F.horizontal_flip, inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Flip top to bottom with probability ``p`` (default 0.5)."""

    def transform(self, inpt, params):
        return self._call_kernel(F.vertical_flip, inpt)


class Resize(Transform):
    """Resize to ``size``.

    Args:
        size (int, sequence or None): ``(h, w)``; an int (or ``[int]``) for the shorter edge
            (the longer keeps the aspect ratio); None with ``max_size`` for the longer edge.
        interpolation (InterpolationMode or str): default BILINEAR; masks always use
            NEAREST.
        max_size (int, optional): cap on the longer edge.
        antialias (bool): smooth when shrinking (bilinear, bicubic). Default True.
    """

    def __init__(
        self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
    ):
        super().__init__()
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, Sequence) and len(size) in {1, 2}:
            size = list(size)
        elif size is None:
            if not isinstance(max_size, int):
                raise ValueError(
                    f"max_size must be an integer when size is None, but got {max_size} instead."
                )
        else:
            raise ValueError(
                "size can be an integer, a sequence of one or two integers, or None, but got "
                f"{size} instead."
            )
        self.size = size
        self.interpolation = _check_interpolation(interpolation)
        self.max_size = max_size
        self.antialias = antialias

    def transform(self, inpt, params):
        return self._call_kernel(
            F.resize,
            inpt,
            self.size,
            interpolation=self.interpolation,
            max_size=self.max_size,
            antialias=self.antialias,
        )


class CenterCrop(Transform):
    """Crop the centre ``size`` (int for a square); smaller images are zero-padded."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )

    def transform(self, inpt, params):
        return self._call_kernel(F.center_crop, inpt, output_size=self.size)


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio and resize it to ``size`` (Inception training).

    Args:
        size (int or sequence): output ``(h, w)``, or an int for a square.
        scale (tuple): range of the crop's area, as a fraction of the input's. Default
            ``(0.08, 1.0)``.
        ratio (tuple): range of its aspect ratio (width / height), drawn log-uniformly.
            Default ``(3/4, 4/3)``.
        interpolation (InterpolationMode or str): default BILINEAR; masks always use
            NEAREST.
        antialias (bool): as in ``Resize``. Default True.
    """

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ):
        super().__init__()
        # v1 checks the arguments the same way
        v1 = _v1.RandomResizedCrop(
            size, scale, ratio, _check_interpolation(interpolation), antialias
        )
        self.size = v1.size
        self.scale = v1.scale
        self.ratio = v1.ratio
        self.interpolation = v1.interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        # v1's get_params reads only the size of its image: a zero-copy stand-in of that size
        stand_in = ember.empty(1, 1, 1).expand(1, height, width)
        top, left, h, w = _v1.RandomResizedCrop.get_params(stand_in, self.scale, self.ratio)
        return dict(top=top, left=left, height=h, width=w)

    def transform(self, inpt, params):
        return self._call_kernel(
            F.resized_crop,
            inpt,
            **params,
            size=self.size,
            interpolation=self.interpolation,
            antialias=self.antialias,
        )


class Pad(Transform):
    """Pad every border.

    Args:
        padding (int or sequence): all borders, ``[left/right, top/bottom]`` or ``[left, top,
            right, bottom]``.
        fill (number, tuple or dict): padding value for ``constant`` mode, or a dict from
            input type to value (key ``"others"`` for the rest). Default 0.
        padding_mode (str): ``constant`` (the only mode for boxes), ``edge``, ``reflect`` or
            ``symmetric``.
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        _check_padding_arg(padding)
        _check_padding_mode_arg(padding_mode)
        if isinstance(padding, Sequence):
            padding = list(padding)
        self.padding = padding
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(
            F.pad, inpt, padding=self.padding, fill=fill, padding_mode=self.padding_mode
        )


class RandomCrop(Transform):
    """Crop a random ``size`` box, after optional padding.

    Args:
        size (int or sequence): ``(h, w)``, or an int for a square.
        padding (int or sequence, optional): padding on the borders first, as in ``Pad``.
        pad_if_needed (bool): pad an input smaller than ``size`` enough to crop it.
        fill (number, tuple or dict): as in ``Pad``. Default 0.
        padding_mode (str): as in ``Pad``.
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )
        if pad_if_needed or padding is not None:
            if padding is not None:
                _check_padding_arg(padding)
            _check_padding_mode_arg(padding_mode)
        self.padding = _F1.F_t._parse_pad_padding(padding) if padding else None
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode

    def make_params(self, flat_inputs):
        padded_height, padded_width = query_size(flat_inputs)
        if self.padding is not None:
            pad_left, pad_right, pad_top, pad_bottom = self.padding
            padded_height += pad_top + pad_bottom
            padded_width += pad_left + pad_right
        else:
            pad_left = pad_right = pad_top = pad_bottom = 0
        cropped_height, cropped_width = self.size
        if self.pad_if_needed:
            if padded_height < cropped_height:
                diff = cropped_height - padded_height
                pad_top += diff
                pad_bottom += diff
                padded_height += 2 * diff
            if padded_width < cropped_width:
                diff = cropped_width - padded_width
                pad_left += diff
                pad_right += diff
                padded_width += 2 * diff
        if padded_height < cropped_height or padded_width < cropped_width:
            raise ValueError(
                f"Required crop size {(cropped_height, cropped_width)} is larger than "
                f"{'padded ' if self.padding is not None else ''}input image size "
                f"{(padded_height, padded_width)}."
            )
        padding = [pad_left, pad_top, pad_right, pad_bottom]
        top = left = 0
        if padded_height > cropped_height:
            top = int(ember.randint(0, padded_height - cropped_height + 1, size=()).item())
        if padded_width > cropped_width:
            left = int(ember.randint(0, padded_width - cropped_width + 1, size=()).item())
        return dict(
            needs_crop=padded_height > cropped_height or padded_width > cropped_width,
            top=top,
            left=left,
            height=cropped_height,
            width=cropped_width,
            needs_pad=any(padding),
            padding=padding,
        )

    def transform(self, inpt, params):
        if params["needs_pad"]:
            fill = _get_fill(self._fill, type(inpt))
            inpt = self._call_kernel(
                F.pad, inpt, padding=params["padding"], fill=fill, padding_mode=self.padding_mode
            )
        if params["needs_crop"]:
            inpt = self._call_kernel(
                F.crop,
                inpt,
                top=params["top"],
                left=params["left"],
                height=params["height"],
                width=params["width"],
            )
        return inpt


class RandomRotation(Transform):
    """Rotate by a random angle.

    Args:
        degrees (number or sequence): range ``(min, max)``, or ``d`` for ``(-d, d)``.
        interpolation (InterpolationMode or str): NEAREST (default) or BILINEAR.
        expand (bool): grow the canvas to hold the whole rotated image.
        center (sequence, optional): ``(x, y)`` to rotate about; default the centre.
        fill (number, tuple or dict): value outside the rotated image, as in ``Pad``.
    """

    def __init__(
        self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0
    ):
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        self.interpolation = _check_interpolation(interpolation)
        self.expand = expand
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    def make_params(self, flat_inputs):
        return dict(angle=_v1.RandomRotation.get_params(self.degrees))

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(
            F.rotate,
            inpt,
            **params,
            interpolation=self.interpolation,
            expand=self.expand,
            center=self.center,
            fill=fill,
        )


class RandomAffine(Transform):
    """A random affine transformation that keeps the centre in place.

    Args:
        degrees (number or sequence): rotation range, or ``d`` for ``(-d, d)``; 0 for none.
        translate (tuple, optional): ``(a, b)``: shifts drawn from ``[-a * width, a * width]``
            and ``[-b * height, b * height]``.
        scale (tuple, optional): range of the scale factor.
        shear (number or sequence, optional): x-shear range (``s`` for ``(-s, s)``, or
            ``(min, max)``), or 4 values: x range then y range.
        interpolation (InterpolationMode or str): NEAREST (default) or BILINEAR.
        fill (number, tuple or dict): value outside the image, as in ``Pad``.
        center (sequence, optional): ``(x, y)`` of the centre; default the image centre.
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ):
        super().__init__()
        # v1 checks the arguments the same way
        v1 = _v1.RandomAffine(
            degrees, translate, scale, shear, _check_interpolation(interpolation), 0, center
        )
        self.degrees = v1.degrees
        self.translate = v1.translate
        self.scale = v1.scale
        self.shear = v1.shear
        self.interpolation = v1.interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.center = center

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        angle, translate, scale, shear = _v1.RandomAffine.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height]
        )
        return dict(angle=angle, translate=translate, scale=scale, shear=shear)

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(
            F.affine,
            inpt,
            **params,
            interpolation=self.interpolation,
            fill=fill,
            center=self.center,
        )


class _MultiCrop(Transform):
    """What FiveCrop and TenCrop share: masks and boxes are refused, keypoints pass through."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )

    def check_inputs(self, flat_inputs):
        if has_any(flat_inputs, tv_tensors.BoundingBoxes, tv_tensors.Mask):
            raise TypeError(
                f"BoundingBoxes'es and Mask's are not supported by {type(self).__name__}()"
            )

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints, tv_tensors.Mask)):
            warnings.warn(
                f"{type(self).__name__}() is currently passing through inputs of type "
                f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                stacklevel=2,
            )
        return super()._call_kernel(functional, inpt, *args, **kwargs)


class FiveCrop(_MultiCrop):
    """The four corner crops and the central crop of ``size``: each image or video becomes a
    tuple of five.

    Args:
        size (int or sequence): ``(h, w)`` of the crops, or an int for squares.
    """

    def transform(self, inpt, params):
        return self._call_kernel(F.five_crop, inpt, self.size)


class TenCrop(_MultiCrop):
    """``FiveCrop`` of the image and of its mirror image: each image or video becomes a tuple
    of ten.

    Args:
        size (int or sequence): ``(h, w)`` of the crops, or an int for squares.
        vertical_flip (bool): mirror top to bottom instead of left to right.
    """

    def __init__(self, size, vertical_flip=False):
        super().__init__(size)
        self.vertical_flip = vertical_flip

    def transform(self, inpt, params):
        return self._call_kernel(F.ten_crop, inpt, self.size, vertical_flip=self.vertical_flip)


class RandomZoomOut(_RandomApplyTransform):
    """The "zoom out" of SSD (Liu et al., 2016), with probability ``p``: pad to a canvas
    ``r`` times the size, ``r`` drawn from ``side_range``, the input at a random place in it.

    Args:
        fill (number, tuple or dict): value of the new pixels, as in ``Pad``. Default 0.
        side_range (sequence): ``(min, max)`` of ``r``, ``1 <= min <= max``. Default ``(1.0,
            4.0)``.
        p (float): probability. Default 0.5.
    """

    def __init__(self, fill=0, side_range=(1.0, 4.0), p=0.5):
        super().__init__(p=p)
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        _check_sequence_input(side_range, "side_range", req_sizes=(2,))
        self.side_range = side_range
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")

    def make_params(self, flat_inputs):
        orig_h, orig_w = query_size(flat_inputs)
        r = self.side_range[0] + ember.rand(1) * (self.side_range[1] - self.side_range[0])
        canvas_width = int(orig_w * r)
        canvas_height = int(orig_h * r)
        r = ember.rand(2)
        left = int((canvas_width - orig_w) * r[0])
        top = int((canvas_height - orig_h) * r[1])
        right = canvas_width - (left + orig_w)
        bottom = canvas_height - (top + orig_h)
        return dict(padding=[left, top, right, bottom])

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(F.pad, inpt, **params, fill=fill)


class RandomPerspective(_RandomApplyTransform):
    """A random perspective transform with probability ``p``: each corner moves inwards by
    up to ``distortion_scale`` of half the width and height.

    Args:
        distortion_scale (float): from 0 to 1. Default 0.5.
        p (float): probability. Default 0.5.
        interpolation (InterpolationMode or str): BILINEAR (default) or NEAREST; masks use
            NEAREST.
        fill (number, tuple or dict): value outside the input, as in ``Pad``. Default 0.
    """

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation="bilinear", fill=0):
        super().__init__(p=p)
        if not (0 <= distortion_scale <= 1):
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale = distortion_scale
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        # v1's get_params draws the corners in the same order
        startpoints, endpoints = _v1.RandomPerspective.get_params(
            width, height, self.distortion_scale
        )
        return dict(coefficients=_F1._get_perspective_coeffs(startpoints, endpoints))

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(
            F.perspective,
            inpt,
            startpoints=None,
            endpoints=None,
            fill=fill,
            interpolation=self.interpolation,
            **params,
        )


class ElasticTransform(Transform):
    """Move every pixel by a random displacement field: uniform noise in [-1, 1] per pixel,
    smoothed by a Gaussian of ``sigma`` and scaled by ``alpha`` (pixels).

    Boxes and keypoints move by the approximate inverse ``identity - displacement``, which
    assumes small displacements.

    Args:
        alpha (float or sequence): strength of the displacements along x and y. Default 50.
        sigma (float or sequence): their smoothness along x and y. Default 5.
        interpolation (InterpolationMode or str): BILINEAR (default) or NEAREST; masks use
            NEAREST.
        fill (number, tuple or dict): value outside the input, as in ``Pad``. Default 0.
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation="bilinear", fill=0):
        super().__init__()
        self.alpha = _setup_number_or_seq(alpha, "alpha")
        self.sigma = _setup_number_or_seq(sigma, "sigma")
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def _smooth_noise(self, height, width, axis):
        """Uniform noise in [-1, 1], blurred by ``sigma`` (odd kernel ``8 sigma + 1``) and
        scaled by ``alpha / extent``, for axis 0 (x) or 1 (y)."""
        noise = ember.rand(1, 1, height, width) * 2 - 1
        sigma = self.sigma[axis]
        if sigma > 0.0:
            size = int(8 * sigma + 1)
            if size % 2 == 0:
                size += 1
            noise = self._call_kernel(F.gaussian_blur, noise, [size, size], list(self.sigma))
        return noise * self.alpha[axis] / (width, height)[axis]

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        dx = self._smooth_noise(height, width, 0)
        dy = self._smooth_noise(height, width, 1)
        displacement = ember.cat([dx, dy], 1).permute([0, 2, 3, 1])  # 1 x H x W x 2
        return dict(displacement=displacement)

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(
            F.elastic, inpt, **params, fill=fill, interpolation=self.interpolation
        )


class RandomIoUCrop(Transform):
    """The IoU crop of SSD (Liu et al., 2016), for samples with images and bounding boxes.

    Each call draws a minimum IoU from ``sampler_options`` (a value of 1 or more keeps the
    input as it is), then tries up to ``trials`` crops of random scale and aspect ratio: a crop
    is taken when it holds the centre of some box and, of those boxes, one has at least that
    IoU with it; otherwise a new minimum IoU is drawn. The boxes whose centre is outside the
    crop are zeroed: follow with ``SanitizeBoundingBoxes`` to remove them.

    Args:
        min_scale (float): smallest scale of the crop's sides. Default 0.3.
        max_scale (float): largest. Default 1.
        min_aspect_ratio (float): smallest aspect ratio (width / height). Default 0.5.
        max_aspect_ratio (float): largest. Default 2.
        sampler_options (list of float, optional): the minimum IoUs to draw from; default
            ``[0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]``.
        trials (int): crops tried per minimum IoU. Default 40.
    """

    def __init__(
        self,
        min_scale=0.3,
        max_scale=1.0,
        min_aspect_ratio=0.5,
        max_aspect_ratio=2.0,
        sampler_options=None,
        trials=40,
    ):
        super().__init__()
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect_ratio = min_aspect_ratio
        self.max_aspect_ratio = max_aspect_ratio
        if sampler_options is None:
            sampler_options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
        self.options = sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs):
        if not (
            has_all(flat_inputs, tv_tensors.BoundingBoxes)
            and has_any(flat_inputs, PILImage.Image, tv_tensors.Image, is_pure_tensor)
        ):
            raise TypeError(
                f"{type(self).__name__}() requires input sample to contain tensor or PIL images "
                "and bounding boxes. Sample can also contain masks."
            )

    def make_params(self, flat_inputs):
        orig_h, orig_w = query_size(flat_inputs)
        bboxes = get_bounding_boxes(flat_inputs)
        xyxy = F.convert_bounding_box_format(
            as_plain(bboxes), bboxes.format, tv_tensors.BoundingBoxFormat.XYXY
        )
        cx = 0.5 * (xyxy[..., 0] + xyxy[..., 2])
        cy = 0.5 * (xyxy[..., 1] + xyxy[..., 3])
        while True:
            idx = int(ember.randint(low=0, high=len(self.options), size=(1,)).item())
            min_jaccard_overlap = self.options[idx]
            if min_jaccard_overlap >= 1.0:  # keep the input as it is
                return dict()
            for _ in range(self.trials):
                r = self.min_scale + (self.max_scale - self.min_scale) * ember.rand(2)
                new_w = int(orig_w * r[0])
                new_h = int(orig_h * r[1])
                if not (self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio):
                    continue
                r = ember.rand(2)
                left = int((orig_w - new_w) * r[0])
                top = int((orig_h - new_h) * r[1])
                right = left + new_w
                bottom = top + new_h
                if left == right or top == bottom:
                    continue
                is_within_crop_area = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not is_within_crop_area.any():
                    continue
                crop_box = ember.tensor(
                    [[left, top, right, bottom]], dtype=xyxy.dtype, device=xyxy.device
                )
                ious = box_iou(xyxy[is_within_crop_area], crop_box)
                if ious.max() < min_jaccard_overlap:
                    continue
                return dict(
                    top=top,
                    left=left,
                    height=new_h,
                    width=new_w,
                    is_within_crop_area=is_within_crop_area,
                )

    def transform(self, inpt, params):
        if not params:
            return inpt
        output = self._call_kernel(
            F.crop,
            inpt,
            top=params["top"],
            left=params["left"],
            height=params["height"],
            width=params["width"],
        )
        if isinstance(output, tv_tensors.BoundingBoxes):
            # the boxes outside are made degenerate, for SanitizeBoundingBoxes to remove
            output[~params["is_within_crop_area"]] = 0
        return output


class _RandomResizeBase(Transform):
    """A resize to a random ``size`` from ``make_params``."""

    def __init__(self, interpolation="bilinear", antialias=True):
        super().__init__()
        self.interpolation = interpolation
        self.antialias = antialias

    def transform(self, inpt, params):
        return self._call_kernel(
            F.resize,
            inpt,
            size=params["size"],
            interpolation=self.interpolation,
            antialias=self.antialias,
        )


class ScaleJitter(_RandomResizeBase):
    """Large scale jitter (Ghiasi et al., "Simple Copy-Paste ..."): resize by a random scale
    from ``scale_range`` times the scale that fits the input into ``target_size``.

    Args:
        target_size (tuple of int): ``(height, width)`` of the base scale
            ``min(height / input height, width / input width)``.
        scale_range (tuple of float): range of the random scale. Default ``(0.1, 2.0)``.
        interpolation (InterpolationMode or str): default BILINEAR; masks use NEAREST.
        antialias (bool): as in ``Resize``. Default True.
    """

    def __init__(
        self, target_size, scale_range=(0.1, 2.0), interpolation="bilinear", antialias=True
    ):
        super().__init__(interpolation, antialias)
        self.target_size = target_size
        self.scale_range = scale_range

    def make_params(self, flat_inputs):
        orig_height, orig_width = query_size(flat_inputs)
        low, high = self.scale_range
        scale = low + ember.rand(1) * (high - low)
        r = min(self.target_size[1] / orig_height, self.target_size[0] / orig_width) * scale
        return dict(size=(int(orig_height * r), int(orig_width * r)))


class RandomShortestSize(_RandomResizeBase):
    """Resize so that the shorter side is one of ``min_size`` (drawn at random), the longer
    one at most ``max_size``, keeping the aspect ratio.

    Args:
        min_size (int or sequence of int): the candidate lengths of the shorter side.
        max_size (int, optional): cap on the longer side.
        interpolation (InterpolationMode or str): default BILINEAR; masks use NEAREST.
        antialias (bool): as in ``Resize``. Default True.
    """

    def __init__(self, min_size, max_size=None, interpolation="bilinear", antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def make_params(self, flat_inputs):
        orig_height, orig_width = query_size(flat_inputs)
        min_size = self.min_size[int(ember.randint(len(self.min_size), ()).item())]
        r = min_size / min(orig_height, orig_width)
        if self.max_size is not None:
            r = min(r, self.max_size / max(orig_height, orig_width))
        return dict(size=(int(orig_height * r), int(orig_width * r)))


class RandomResize(_RandomResizeBase):
    """Resize the shorter side to a random length in ``[min_size, max_size)`` (with
    ``RandomCrop``, the segmentation training augmentation).

    Args:
        min_size (int): smallest length, included.
        max_size (int): largest length, excluded.
        interpolation (InterpolationMode or str): default BILINEAR; masks use NEAREST.
        antialias (bool): as in ``Resize``. Default True.
    """

    def __init__(self, min_size, max_size, interpolation="bilinear", antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size = min_size
        self.max_size = max_size

    def make_params(self, flat_inputs):
        return dict(size=[int(ember.randint(self.min_size, self.max_size, ()).item())])
