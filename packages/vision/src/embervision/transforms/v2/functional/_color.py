"""Colour functionals of images and videos (tensors or PIL), through the v1 kernels."""

from __future__ import annotations

from PIL import Image as PILImage

from ember import Tensor

from .... import tv_tensors
from ... import functional as _F
from ._utils import _dispatch, _register_kernel_internal

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "adjust_gamma",
    "adjust_sharpness",
    "rgb_to_grayscale",
    "invert",
    "posterize",
    "solarize",
    "autocontrast",
    "equalize",
]

_IMAGE_TYPES = (Tensor, tv_tensors.Image, tv_tensors.Video, PILImage.Image)


def adjust_brightness(inpt, brightness_factor):
    """Multiply by ``brightness_factor`` (0 black, 1 the original, 2 twice as bright)."""
    return _dispatch(adjust_brightness, inpt, brightness_factor)


def adjust_contrast(inpt, contrast_factor):
    """Blend with the mean grey (0 solid grey, 1 the original, 2 twice the contrast)."""
    return _dispatch(adjust_contrast, inpt, contrast_factor)


def adjust_saturation(inpt, saturation_factor):
    """Blend with the greyscale image (0 grey, 1 the original, 2 twice the saturation)."""
    return _dispatch(adjust_saturation, inpt, saturation_factor)


def adjust_hue(inpt, hue_factor):
    """Rotate the hue by ``hue_factor`` in [-0.5, 0.5] of a turn."""
    return _dispatch(adjust_hue, inpt, hue_factor)


def adjust_gamma(inpt, gamma, gain=1):
    """``gain * inpt ** gamma`` on [0, 1] intensities."""
    return _dispatch(adjust_gamma, inpt, gamma, gain)


def adjust_sharpness(inpt, sharpness_factor):
    """Blend with a smoothed image (0 blurred, 1 the original, 2 twice as sharp)."""
    return _dispatch(adjust_sharpness, inpt, sharpness_factor)


def invert(inpt):
    """Invert the colours: ``max - inpt``."""
    return _dispatch(invert, inpt)


def posterize(inpt, bits):
    """Keep the ``bits`` (0-8) highest bits of each channel (uint8)."""
    return _dispatch(posterize, inpt, bits)


def solarize(inpt, threshold):
    """Invert the pixels at or above ``threshold``."""
    return _dispatch(solarize, inpt, threshold)


def autocontrast(inpt):
    """Stretch each channel so that its darkest pixel is black and its lightest white."""
    return _dispatch(autocontrast, inpt)


def equalize(inpt):
    """Equalise the histogram of each channel (uint8)."""
    return _dispatch(equalize, inpt)


for _functional, _kernel in [
    (adjust_brightness, _F.adjust_brightness),
    (adjust_contrast, _F.adjust_contrast),
    (adjust_saturation, _F.adjust_saturation),
    (adjust_hue, _F.adjust_hue),
    (adjust_gamma, _F.adjust_gamma),
    (adjust_sharpness, _F.adjust_sharpness),
    (invert, _F.invert),
    (posterize, _F.posterize),
    (solarize, _F.solarize),
    (autocontrast, _F.autocontrast),
    (equalize, _F.equalize),
]:
    _register_kernel_internal(_functional, *_IMAGE_TYPES)(_kernel)


def rgb_to_grayscale(inpt, num_output_channels=1):
    """Greyscale (ITU-R 601-2 luma) with 1 or 3 channels; unlike v1, a one-channel input also
    comes out with ``num_output_channels`` channels."""
    return _dispatch(rgb_to_grayscale, inpt, num_output_channels)


@_register_kernel_internal(rgb_to_grayscale, *_IMAGE_TYPES)
def _rgb_to_grayscale_image(image, num_output_channels=1):
    if isinstance(image, Tensor) and image.ndim >= 3 and image.shape[-3] == 1:
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        repeats = [1] * image.ndim
        repeats[-3] = num_output_channels
        return image.repeat(*repeats)
    return _F.rgb_to_grayscale(image, num_output_channels)
