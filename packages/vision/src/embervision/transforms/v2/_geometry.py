"""Geometric transforms: an image, its masks and its bounding boxes move together."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import ember

from ... import transforms as _v1
from .. import functional as _F1
from ..functional import InterpolationMode
from ..transforms import _check_sequence_input, _setup_angle, _setup_size
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import _get_fill, _setup_fill_arg, query_size


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
        interpolation (InterpolationMode): default BILINEAR; masks always use NEAREST.
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
        self.interpolation = _F1._interpolation_mode(interpolation)
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
        interpolation (InterpolationMode): default BILINEAR; masks always use NEAREST.
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
        v1 = _v1.RandomResizedCrop(size, scale, ratio, interpolation, antialias)
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
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        expand (bool): grow the canvas to hold the whole rotated image.
        center (sequence, optional): ``(x, y)`` to rotate about; default the centre.
        fill (number, tuple or dict): value outside the rotated image, as in ``Pad``.
    """

    def __init__(
        self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0
    ):
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        self.interpolation = _F1._interpolation_mode(interpolation)
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
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
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
        v1 = _v1.RandomAffine(degrees, translate, scale, shear, interpolation, 0, center)
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
