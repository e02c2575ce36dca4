"""Functional image transforms (``torchvision.transforms.functional``).

Every function takes a PIL image or an ember tensor image of shape ``(..., C, H, W)`` (a 2-d
tensor is one channel) and returns the same kind. PIL images are transformed by Pillow itself
(``_functional_pil``), tensors by ember operations (``_functional_tensor``); this module checks
the arguments, computes what both share (output sizes, affine matrices) and dispatches.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from enum import Enum

import numpy as np
from PIL import Image

import ember
from ember import Tensor

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    """Interpolation modes. Tensors support NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC;
    PIL images all of them (NEAREST_EXACT is Pillow's NEAREST, which samples pixel centres)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    # PIL only
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling constants for each mode, and back
pil_modes_mapping = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}

_INVERSE_MODES_MAPPING = {
    0: InterpolationMode.NEAREST,
    2: InterpolationMode.BILINEAR,
    3: InterpolationMode.BICUBIC,
    4: InterpolationMode.BOX,
    5: InterpolationMode.HAMMING,
    1: InterpolationMode.LANCZOS,
}


def _interpolation_modes_from_int(i):
    """The mode of a Pillow resampling constant (``PIL.Image.BILINEAR`` -> BILINEAR)."""
    return _INVERSE_MODES_MAPPING[i]


def _interpolation_mode(interpolation):
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError(
            "Argument interpolation should be a InterpolationMode or a corresponding Pillow "
            "integer constant"
        )
    return interpolation


def _is_tensor(img):
    return isinstance(img, Tensor)


def get_dimensions(img):
    """``[channels, height, width]`` of a PIL image or tensor."""
    if _is_tensor(img):
        return F_t.get_dimensions(img)
    return F_pil.get_dimensions(img)


def get_image_size(img):
    """``[width, height]`` of a PIL image or tensor."""
    if _is_tensor(img):
        return F_t.get_image_size(img)
    return F_pil.get_image_size(img)


def get_image_num_channels(img):
    if _is_tensor(img):
        return F_t.get_image_num_channels(img)
    return F_pil.get_image_num_channels(img)


# ------------------------------------------------------------------------------ conversions

# PIL modes whose pixels are not uint8 (the 16-bit mode follows the machine's byte order)
_MODE_TO_NPTYPE = {
    "I": np.int32,
    "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
    "F": np.float32,
}


def to_tensor(pic):
    """A PIL image or ``(H, W[, C])`` ndarray as a ``(C, H, W)`` tensor.

    8-bit data (uint8 arrays; PIL modes L, LA, P, RGB, RGBA, CMYK, YCbCr, 1) becomes the
    default float dtype scaled to [0, 1]; anything else keeps its values and dtype (I -> int32,
    I;16 -> int16, F -> float32), as in torchvision.
    """
    if not (F_pil._is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = ember.from_numpy(np.ascontiguousarray(pic.transpose((2, 0, 1))))
    else:
        array = np.array(pic, _MODE_TO_NPTYPE.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
        array = array.reshape(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic))
        img = ember.from_numpy(np.ascontiguousarray(array.transpose((2, 0, 1))))
    if img.dtype == ember.uint8:
        return img.to(ember.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic):
    """A PIL image as a ``(C, H, W)`` tensor of its own pixel type, values unchanged.

    Ember has no uint16, so 16-bit modes come out as int16 holding the same bits.
    """
    if not F_pil._is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, copy=True)
    if array.dtype == np.uint16:
        array = array.view(np.int16)
    array = array.reshape(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic))
    return ember.from_numpy(np.ascontiguousarray(array.transpose((2, 0, 1))))


def convert_image_dtype(image, dtype=ember.float32):
    """Convert a tensor image to ``dtype``, rescaling the values (see ``ConvertImageDtype``)."""
    if not _is_tensor(image):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


def to_pil_image(pic, mode=None):
    """A ``(C, H, W)`` tensor or ``(H, W, C)`` ndarray as a PIL image.

    Floating-point data is multiplied by 255 and truncated to uint8 (unless ``mode="F"``).
    Without ``mode``: 4 channels -> RGBA, 3 -> RGB, 2 -> LA, 1 -> by dtype (uint8 L, int16
    I;16, int32 I, float32 F).
    """
    if _is_tensor(pic):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)  # a one-channel image
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        pic = pic.permute((1, 2, 0)).numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")

    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)

    if npimg.shape[2] == 1:
        npimg = npimg[:, :, 0]
        expected_mode = {
            np.dtype(np.uint8): "L",
            np.dtype(np.int16): "I;16",
            np.dtype(np.uint16): "I;16",
            np.dtype(np.int32): "I",
            np.dtype(np.float32): "F",
        }.get(npimg.dtype)
        if mode is not None and mode != expected_mode:
            raise ValueError(
                f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. Should be "
                f"{expected_mode}"
            )
        mode = expected_mode
    else:
        permitted, default = {
            2: (["LA"], "LA"),
            3: (["RGB", "YCbCr", "HSV"], "RGB"),
            4: (["RGBA", "CMYK", "RGBX"], "RGBA"),
        }[npimg.shape[2]]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {npimg.shape[2]}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = default

    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return F_pil.from_array(npimg, mode)


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a float tensor image (see ``Normalize``)."""
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# ------------------------------------------------------------------------------- geometry


def _compute_resized_output_size(image_size, size, max_size=None):
    """``[height, width]`` after resizing ``image_size = (h, w)`` to ``size``: ``[h, w]``, or
    ``[s]`` for the shorter edge (the longer one keeps the aspect ratio, capped by
    ``max_size``)."""
    if len(size) == 1:
        h, w = image_size
        short, long = (w, h) if w <= h else (h, w)
        requested_new_short = size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the requested size for "
                    f"the smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size``: ``(h, w)``, or an int (or ``[int]``) for the shorter edge.

    Args:
        img: PIL image or tensor ``(..., H, W)``.
        size: output size, see above.
        interpolation: an ``InterpolationMode`` or a Pillow constant. Default BILINEAR.
        max_size: cap on the longer edge when ``size`` is an int.
        antialias: tensors only (PIL always antialiases): smooth when shrinking with bilinear or
            bicubic. Default True.

    Returns:
        The resized image; the input itself when the size does not change.
    """
    interpolation = _interpolation_mode(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError(
                "Size must be an int or a 1 or 2 element tuple/list, not a "
                f"{len(size)} element tuple/list"
            )
        if max_size is not None and len(size) != 1:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller edge, "
                "i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), size, max_size)
    if [image_height, image_width] == output_size:
        return img
    if not _is_tensor(img):
        if antialias is False:
            warnings.warn(
                "Anti-alias option is always applied for PIL Image input. Argument antialias is "
                "ignored.",
                stacklevel=2,
            )
        return F_pil.resize(img, size=output_size, interpolation=pil_modes_mapping[interpolation])
    return F_t.resize(img, size=output_size, interpolation=interpolation.value, antialias=antialias)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad every border.

    Args:
        img: PIL image or tensor.
        padding: int (all borders), ``[left/right, top/bottom]`` or ``[left, top, right,
            bottom]``; negative values crop.
        fill: value of ``constant`` padding (a per-band tuple for PIL images).
        padding_mode: ``constant``, ``edge``, ``reflect`` (mirror without the edge pixel) or
            ``symmetric`` (mirror with it).
    """
    if not _is_tensor(img):
        return F_pil.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)
    return F_t.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def crop(img, top, left, height, width):
    """The box with top-left corner ``(top, left)``; parts outside the image are 0."""
    if not _is_tensor(img):
        return F_pil.crop(img, top, left, height, width)
    return F_t.crop(img, top, left, height, width)


def _pair(size):
    """An int or ``[s]`` as ``(s, s)``; a pair as is."""
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return (size[0], size[0])
    return size


def center_crop(img, output_size):
    """The central ``output_size`` box, zero-padding the image first when it is smaller."""
    crop_height, crop_width = _pair(output_size)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = round((image_height - crop_height) / 2.0)
    crop_left = round((image_width - crop_width) / 2.0)
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(
    img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """``crop`` then ``resize`` to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left to right."""
    if not _is_tensor(img):
        return F_pil.hflip(img)
    return F_t.hflip(img)


def vflip(img):
    """Mirror top to bottom."""
    if not _is_tensor(img):
        return F_pil.vflip(img)
    return F_t.vflip(img)


def five_crop(img, size):
    """The four corner crops and the central crop: ``(tl, tr, bl, br, center)``."""
    size = _pair(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(
            f"Requested crop size {size} is bigger than input size {(image_height, image_width)}"
        )
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    center = center_crop(img, [crop_height, crop_width])
    return tl, tr, bl, br, center


def ten_crop(img, size, vertical_flip=False):
    """``five_crop`` of the image and of its (horizontal, or vertical) mirror image."""
    size = _pair(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    first_five = five_crop(img, size)
    img = vflip(img) if vertical_flip else hflip(img)
    return first_five + five_crop(img, size)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    """The 2 x 3 matrix (row-major, 6 floats) of ``T * C * RotateScaleShear * C^-1`` or, with
    ``inverted`` (default), of its inverse: what PIL's ``Image.transform`` wants, mapping each
    output pixel to the input pixel it reads.

    ``T`` translates by ``translate``, ``C`` by ``center``; ``RotateScaleShear`` is
    ``R(angle) * S(scale) * Shear_y(shear[1]) * Shear_x(shear[0])``, angles in degrees,
    clockwise in image coordinates (y down).
    """
    rot = math.radians(angle)
    sx = math.radians(shear[0])
    sy = math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # rotation and shear without scaling: [[a, b], [c, d]], determinant 1
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        matrix = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
        # RSS^-1 * C^-1 * T^-1, then C in front
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [x * scale for x in [a, b, 0.0, c, d, 0.0]]
        # RSS * C^-1, then T * C in front
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def _centered(center, img):
    """A pixel-coordinate ``center`` relative to the image centre (the tensor convention)."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]


def rotate(
    img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    """Rotate by ``angle`` degrees counter-clockwise.

    Args:
        img: PIL image or tensor.
        angle: degrees, counter-clockwise.
        interpolation: NEAREST (default) or BILINEAR (tensors); PIL also takes BICUBIC.
        expand: grow the canvas to hold the whole rotated image.
        center: ``(x, y)`` pixel to rotate about (default the image centre).
        fill: value of the pixels outside the input (default 0).
    """
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        return F_pil.rotate(
            img,
            angle=angle,
            interpolation=pil_modes_mapping[interpolation],
            expand=expand,
            center=center,
            fill=fill,
        )
    # affine's angle is clockwise, rotate's counter-clockwise
    matrix = _get_inverse_affine_matrix(_centered(center, img), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(
        img, matrix=matrix, interpolation=interpolation.value, expand=expand, fill=fill
    )


def affine(
    img,
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
        img: PIL image or tensor.
        angle: rotation in degrees, clockwise.
        translate: ``[tx, ty]`` in pixels (after the rotation).
        scale: overall scale, positive.
        shear: degrees; a number (x only), or ``[shear_x, shear_y]``.
        interpolation: NEAREST (default) or BILINEAR (tensors); PIL also takes BICUBIC.
        fill: value of the pixels outside the input (default 0).
        center: ``(x, y)`` pixel the transform is about (default the image centre).
    """
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    angle = float(angle)
    if not _is_tensor(img):
        _, height, width = get_dimensions(img)
        # the centre without the half-pixel offset, so that PIL and tensors agree (a 90 degree
        # rotation then matches a transposition)
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, list(translate), scale, shear)
        return F_pil.affine(
            img, matrix=matrix, interpolation=pil_modes_mapping[interpolation], fill=fill
        )
    translate_f = [1.0 * t for t in translate]
    matrix = _get_inverse_affine_matrix(_centered(center, img), angle, translate_f, scale, shear)
    return F_t.affine(img, matrix=matrix, interpolation=interpolation.value, fill=fill)


def _get_perspective_coeffs(startpoints, endpoints):
    """The 8 coefficients ``(a, b, c, d, e, f, g, h)`` of the perspective map that takes each
    of the four ``endpoints`` to its ``startpoints`` corner: output pixel ``(x, y)`` reads the
    input at ``((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``.

    Solved by least squares in float64 and rounded to float32, as torchvision does.
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(
            f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
            f"{len(endpoints)} endpoints."
        )
    a_matrix = np.zeros((8, 8), dtype=np.float64)
    for i, ((x, y), (u, v)) in enumerate(zip(endpoints, startpoints)):
        a_matrix[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a_matrix[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
    b_matrix = np.asarray(startpoints, dtype=np.float64).reshape(8)
    solution = np.linalg.lstsq(a_matrix, b_matrix, rcond=None)[0]
    return solution.astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Perspective transform that moves the four corners ``startpoints`` to ``endpoints``.

    Args:
        img: PIL image or tensor ``(..., H, W)``.
        startpoints: four ``[x, y]`` corners ``[top-left, top-right, bottom-right,
            bottom-left]`` of the original image.
        endpoints: the same four corners in the transformed image.
        interpolation: BILINEAR (default) or NEAREST (tensors); PIL also takes BICUBIC. An
            ``InterpolationMode`` or a Pillow constant.
        fill: value of the pixels outside the input (default 0); a number is used for every
            band.

    Returns:
        The transformed image, the same size as the input.
    """
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _interpolation_mode(interpolation)
    if not _is_tensor(img):
        return F_pil.perspective(
            img, coeffs, interpolation=pil_modes_mapping[interpolation], fill=fill
        )
    return F_t.perspective(img, coeffs, interpolation=interpolation.value, fill=fill)


def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move every pixel by ``displacement`` (see ``ElasticTransform``).

    The displacement is added to the identity grid of pixel centres and the image is sampled
    there. A PIL image is transformed as a tensor and converted back to its mode.

    Args:
        img: PIL image (mode P, L or RGB) or tensor ``(..., 1 or 3, H, W)``.
        displacement: ``(1, H, W, 2)`` tensor of ``(dx, dy)`` in ``grid_sample``'s normalised
            units (the image spans [-1, 1] along each axis).
        interpolation: BILINEAR (default) or NEAREST; a Pillow constant is accepted with a
            warning.
        fill: value of the pixels outside the input (default 0); a number, or one per band.

    Returns:
        The transformed image, of the input's kind.
    """
    if isinstance(interpolation, int):
        warnings.warn(
            "Argument interpolation should be of type InterpolationMode instead of int. "
            "Please, use InterpolationMode enum.",
            stacklevel=2,
        )
        interpolation = _interpolation_modes_from_int(interpolation)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    t_img = img
    if not _is_tensor(img):
        if not F_pil._is_pil_image(img):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        t_img = pil_to_tensor(img)
    shape = (1,) + tuple(t_img.shape[-2:]) + (2,)
    if shape != tuple(displacement.shape):
        raise ValueError(
            f"Argument displacement shape should be {shape}, but given {tuple(displacement.shape)}"
        )
    output = F_t.elastic_transform(t_img, displacement, interpolation.value, fill)
    if not _is_tensor(img):
        output = to_pil_image(output, mode=img.mode)
    return output


# ---------------------------------------------------------------------------------- colour


def _dispatch(name, img, *args):
    """Call ``name`` from the PIL or the tensor module, whichever fits ``img``."""
    module = F_t if _is_tensor(img) else F_pil
    return getattr(module, name)(img, *args)


def adjust_brightness(img, brightness_factor):
    """Multiply by ``brightness_factor`` (0 black, 1 the original, 2 twice as bright)."""
    return _dispatch("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey (0 solid grey, 1 the original, 2 twice the contrast)."""
    return _dispatch("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blend with the greyscale image (0 grey, 1 the original, 2 twice the saturation)."""
    return _dispatch("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor):
    """Rotate the hue by ``hue_factor`` in [-0.5, 0.5] of a turn (0.5 gives the complement)."""
    return _dispatch("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma, gain=1):
    """``gain * img ** gamma`` on [0, 1] intensities."""
    return _dispatch("adjust_gamma", img, gamma, gain)


def adjust_sharpness(img, sharpness_factor):
    """Blend with a smoothed image (0 blurred, 1 the original, 2 twice as sharp)."""
    return _dispatch("adjust_sharpness", img, sharpness_factor)


def to_grayscale(img, num_output_channels=1):
    """A PIL image in greyscale (1 channel, or 3 equal ones)."""
    if isinstance(img, Image.Image):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels=1):
    """Greyscale (ITU-R 601-2 luma) of an RGB PIL image or tensor."""
    if not _is_tensor(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def invert(img):
    """Invert the colours: ``max - img``."""
    return _dispatch("invert", img)


def posterize(img, bits):
    """Keep the ``bits`` (0-8) highest bits of each channel (uint8 tensors)."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _dispatch("posterize", img, bits)


def solarize(img, threshold):
    """Invert the pixels at or above ``threshold``."""
    return _dispatch("solarize", img, threshold)


def autocontrast(img):
    """Stretch each channel so that its darkest pixel is black and its lightest white."""
    return _dispatch("autocontrast", img)


def equalize(img):
    """Equalise the histogram of each channel (uint8 tensors)."""
    return _dispatch("equalize", img)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel; borders reflect.

    PIL images are blurred through a tensor (torchvision's kernel, not Pillow's) and converted
    back.

    Args:
        img: PIL image or tensor.
        kernel_size: odd positive int, or ``[kx, ky]``.
        sigma: float or ``[sx, sy]``; default ``0.15 * k + 0.35`` for each kernel size ``k``.
    """
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(
            f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}"
        )
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(
            f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}"
        )
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(
                f"kernel_size should have odd and positive integers. Got {kernel_size}"
            )
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _is_tensor(img):
        return F_t.gaussian_blur(img, kernel_size, sigma)
    if not F_pil._is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    output = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(output, mode=img.mode)


def erase(img, i, j, h, w, v, inplace=False):
    """Overwrite the ``h`` x ``w`` box at ``(i, j)`` of a tensor image with ``v``."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)
