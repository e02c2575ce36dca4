"""The PIL side of ``embervision.transforms.functional``: each operation is Pillow's own
(``resize``, ``rotate``, ``transform``, ``ImageEnhance``, ``ImageOps``), so a PIL image comes
out exactly as Pillow makes it. ``functional`` checks the arguments and dispatches here.
"""

from __future__ import annotations

import numbers

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def _is_pil_image(img):
    return isinstance(img, Image.Image)


def _check_pil(img):
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img):
    """``[channels, height, width]`` of a PIL image."""
    if _is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img):
    """``[width, height]`` of a PIL image."""
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img):
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


def from_array(array, mode):
    """A PIL image of ``mode`` holding the HW or HWC ``array``.

    ``Image.fromarray`` infers the mode from the dtype and shape; modes it cannot infer (CMYK,
    YCbCr, HSV, RGBX, I;16 from int16 data) are built from the raw bytes instead, which avoids
    ``fromarray``'s ``mode`` argument (deprecated in Pillow 11.3).
    """
    image = Image.fromarray(array)
    if image.mode == mode:
        return image
    if mode == "I;16":  # little-endian unsigned 16 bit; int16 data keeps its bit pattern
        array = array.astype("<u2")
    return Image.frombytes(mode, image.size, np.ascontiguousarray(array).tobytes())


def hflip(img):
    _check_pil(img)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    _check_pil(img)
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def _enhance(enhancer, img, factor):
    _check_pil(img)
    return enhancer(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    return _enhance(ImageEnhance.Brightness, img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    return _enhance(ImageEnhance.Contrast, img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    return _enhance(ImageEnhance.Color, img, saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    return _enhance(ImageEnhance.Sharpness, img, sharpness_factor)


def adjust_hue(img, hue_factor):
    """Shift the hue channel of the HSV image by ``hue_factor`` of a turn (wrapping)."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check_pil(img)
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    # uint8 addition wraps around, which is exactly a rotation of the hue circle
    np_h += np.int32(hue_factor * 255).astype(np.uint8)
    h = Image.fromarray(np_h)
    return Image.merge("HSV", (h, s, v)).convert(input_mode)


def adjust_gamma(img, gamma, gain=1.0):
    _check_pil(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    input_mode = img.mode
    img = img.convert("RGB")
    gamma_map = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.point(gamma_map).convert(input_mode)


def _parse_fill(fill, img, name="fillcolor"):
    """Pillow's colour keyword for ``fill``: one value per band (an int unless mode F)."""
    num_channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * num_channels
        elif len(fill) != num_channels:
            raise ValueError(
                "The number of elements in 'fill' does not match the number of channels of the "
                f"image ({len(fill)} != {num_channels})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad with ``ImageOps.expand`` (constant) or ``numpy.pad`` (edge, reflect, symmetric)."""
    _check_pil(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
        raise ValueError(
            "Padding must be an int or a 1, 2, or 4 element tuple, not a "
            f"{len(padding)} element tuple"
        )
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")

    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        palette = img.getpalette() if img.mode == "P" else None
        image = ImageOps.expand(img, border=padding, **opts)
        if palette is not None:
            image.putpalette(palette)
        return image

    if isinstance(padding, numbers.Number):
        padding = (padding,) * 4
    elif len(padding) == 2:
        padding = padding * 2
    p = np.array(padding)  # left, top, right, bottom
    crop_left, crop_top, crop_right, crop_bottom = -np.minimum(p, 0)
    if (p < 0).any():  # negative padding crops
        img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
    pad_left, pad_top, pad_right, pad_bottom = np.maximum(p, 0)
    palette = img.getpalette() if img.mode == "P" else None
    array = np.asarray(img)
    widths = ((pad_top, pad_bottom), (pad_left, pad_right)) + ((0, 0),) * (array.ndim - 2)
    image = Image.fromarray(np.pad(array, widths, mode=padding_mode))
    if palette is not None:
        image.putpalette(palette)
    return image


def crop(img, top, left, height, width):
    _check_pil(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation=Image.Resampling.BILINEAR):
    """Resize to ``size = [height, width]`` with Pillow's (antialiased) filters."""
    _check_pil(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def affine(img, matrix, interpolation=Image.Resampling.NEAREST, fill=None):
    """Apply the inverse affine ``matrix`` (output pixel -> input pixel), 6 coefficients."""
    _check_pil(img)
    opts = _parse_fill(fill, img)
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation, **opts)


def perspective(img, perspective_coeffs, interpolation=Image.Resampling.BICUBIC, fill=None):
    """Apply the perspective map of the 8 ``perspective_coeffs`` (output pixel -> input pixel)."""
    _check_pil(img)
    opts = _parse_fill(fill, img)
    return img.transform(
        img.size, Image.Transform.PERSPECTIVE, perspective_coeffs, interpolation, **opts
    )


def rotate(
    img, angle, interpolation=Image.Resampling.NEAREST, expand=False, center=None, fill=None
):
    _check_pil(img)
    opts = _parse_fill(fill, img)
    return img.rotate(angle, interpolation, expand, center, **opts)


def to_grayscale(img, num_output_channels):
    """ITU-R 601-2 luma (``convert("L")``), repeated into RGB when 3 channels are asked for."""
    _check_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        return img.convert("L").convert("RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def invert(img):
    _check_pil(img)
    return ImageOps.invert(img)


def posterize(img, bits):
    _check_pil(img)
    return ImageOps.posterize(img, bits)


def solarize(img, threshold):
    _check_pil(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    _check_pil(img)
    return ImageOps.autocontrast(img)


def equalize(img):
    _check_pil(img)
    return ImageOps.equalize(img)
