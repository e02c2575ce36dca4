"""Colour functionals of images and videos (tensors or PIL), mostly through the v1 kernels;
``invert``, ``posterize``, ``solarize`` and ``equalize`` also take float and signed-integer
images, as torchvision's v2 kernels do."""

from __future__ import annotations

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ... import _functional_tensor as _F_t
from ... import functional as _F
from ._misc import _num_value_bits, to_dtype_image
from ._utils import (
    _dispatch,
    _kernel_alias,
    _register_image_kernels,
    _register_kernel_internal,
)

__all__ = [
    "adjust_brightness",
    "adjust_brightness_image",
    "adjust_brightness_video",
    "adjust_contrast",
    "adjust_contrast_image",
    "adjust_contrast_video",
    "adjust_saturation",
    "adjust_saturation_image",
    "adjust_saturation_video",
    "adjust_hue",
    "adjust_hue_image",
    "adjust_hue_video",
    "adjust_gamma",
    "adjust_gamma_image",
    "adjust_gamma_video",
    "adjust_sharpness",
    "adjust_sharpness_image",
    "adjust_sharpness_video",
    "rgb_to_grayscale",
    "rgb_to_grayscale_image",
    "to_grayscale",
    "grayscale_to_rgb",
    "grayscale_to_rgb_image",
    "invert",
    "invert_image",
    "invert_video",
    "posterize",
    "posterize_image",
    "posterize_video",
    "solarize",
    "solarize_image",
    "solarize_video",
    "autocontrast",
    "autocontrast_image",
    "autocontrast_video",
    "equalize",
    "equalize_image",
    "equalize_video",
    "permute_channels",
    "permute_channels_image",
    "permute_channels_video",
]

_TENSOR_IMAGE_TYPES = (Tensor, tv_tensors.Image)


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


def autocontrast(inpt):
    """Stretch each channel so that its darkest pixel is black and its lightest white."""
    return _dispatch(autocontrast, inpt)


# the tensor kernels of v1 are torchvision's v2 image kernels
adjust_brightness_image = _kernel_alias(_F.adjust_brightness, "adjust_brightness_image", "image")
adjust_contrast_image = _kernel_alias(_F.adjust_contrast, "adjust_contrast_image", "image")
adjust_saturation_image = _kernel_alias(_F.adjust_saturation, "adjust_saturation_image", "image")
adjust_hue_image = _kernel_alias(_F.adjust_hue, "adjust_hue_image", "image")
adjust_gamma_image = _kernel_alias(_F.adjust_gamma, "adjust_gamma_image", "image")
adjust_sharpness_image = _kernel_alias(_F.adjust_sharpness, "adjust_sharpness_image", "image")
autocontrast_image = _kernel_alias(_F.autocontrast, "autocontrast_image", "image")
adjust_brightness_video = _register_image_kernels(
    adjust_brightness, adjust_brightness_image, _F.adjust_brightness
)
adjust_contrast_video = _register_image_kernels(
    adjust_contrast, adjust_contrast_image, _F.adjust_contrast
)
adjust_saturation_video = _register_image_kernels(
    adjust_saturation, adjust_saturation_image, _F.adjust_saturation
)
adjust_hue_video = _register_image_kernels(adjust_hue, adjust_hue_image, _F.adjust_hue)
adjust_gamma_video = _register_image_kernels(adjust_gamma, adjust_gamma_image, _F.adjust_gamma)
adjust_sharpness_video = _register_image_kernels(
    adjust_sharpness, adjust_sharpness_image, _F.adjust_sharpness
)
autocontrast_video = _register_image_kernels(autocontrast, autocontrast_image, _F.autocontrast)


def rgb_to_grayscale(inpt, num_output_channels=1):
    """Greyscale (ITU-R 601-2 luma) with 1 or 3 channels; unlike v1, a one-channel input also
    comes out with ``num_output_channels`` channels."""
    return _dispatch(rgb_to_grayscale, inpt, num_output_channels)


to_grayscale = rgb_to_grayscale


@_register_kernel_internal(rgb_to_grayscale, *_TENSOR_IMAGE_TYPES, tv_tensors.Video)
def rgb_to_grayscale_image(image, num_output_channels=1):
    """Greyscale of a tensor image ``[..., 1 or 3, H, W]`` with 1 or 3 channels."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    if image.ndim >= 3 and image.shape[-3] == 1:
        repeats = [1] * image.ndim
        repeats[-3] = num_output_channels
        return image.repeat(*repeats)
    return _F.rgb_to_grayscale(image, num_output_channels)


_register_kernel_internal(rgb_to_grayscale, PILImage.Image)(_F.rgb_to_grayscale)


def grayscale_to_rgb(inpt):
    """A one-channel image as three equal channels; an RGB image is returned as it is.

    Videos pass through ``RGB`` untransformed: as in torchvision, only tensors, images and PIL
    images have a kernel.
    """
    return _dispatch(grayscale_to_rgb, inpt)


@_register_kernel_internal(grayscale_to_rgb, *_TENSOR_IMAGE_TYPES)
def grayscale_to_rgb_image(image):
    """A tensor image ``[..., 1, H, W]`` as ``[..., 3, H, W]``; 3 or more channels unchanged."""
    if image.shape[-3] >= 3:
        return image
    return rgb_to_grayscale_image(image, num_output_channels=3)


@_register_kernel_internal(grayscale_to_rgb, PILImage.Image)
def _grayscale_to_rgb_image_pil(image):
    return image.convert(mode="RGB")


def invert(inpt):
    """Invert the colours: ``max - inpt``."""
    return _dispatch(invert, inpt)


def invert_image(image):
    """``max - image``, the maximum of the dtype's range (1 for floats)."""
    return _F_t._max_value(image.dtype) - image


invert_video = _register_image_kernels(invert, invert_image, _F.invert)


def posterize(inpt, bits):
    """Keep the ``bits`` (0-8) highest bits of each channel (floats: ``2 ** bits`` levels)."""
    return _dispatch(posterize, inpt, bits)


def posterize_image(image, bits):
    """Keep the ``bits`` highest value bits of an integer image; quantise a float image to
    ``2 ** bits`` levels, ``floor(image * 2 ** bits) / 2 ** bits``."""
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} instead.")
    if image.is_floating_point():
        levels = 1 << bits
        return image.mul(levels).floor().clamp(0, levels - 1).mul(1.0 / levels)
    num_value_bits = _num_value_bits(image.dtype)
    if bits >= num_value_bits:
        return image
    return image & (((1 << bits) - 1) << (num_value_bits - bits))


posterize_video = _register_image_kernels(posterize, posterize_image, _F.posterize)


def solarize(inpt, threshold):
    """Invert the pixels at or above ``threshold``."""
    return _dispatch(solarize, inpt, threshold)


def solarize_image(image, threshold):
    """``invert_image`` where ``image >= threshold``, the image elsewhere."""
    if threshold > _F_t._max_value(image.dtype):
        raise TypeError(
            f"Threshold should be less or equal the maximum value of the dtype, but got {threshold}"
        )
    return ember.where(image >= threshold, invert_image(image), image)


solarize_video = _register_image_kernels(solarize, solarize_image, _F.solarize)


def equalize(inpt):
    """Equalise the histogram of each channel."""
    return _dispatch(equalize, inpt)


def equalize_image(image):
    """Equalise each channel's histogram (PIL's rule) of an image of any dtype, which is
    equalised as uint8 and scaled back."""
    if image.numel() == 0:
        return image
    as_uint8 = to_dtype_image(image, ember.uint8, scale=True)
    height, width = image.shape[-2:]
    # v1's kernel takes a batch of 1- or 3-channel images: each channel as an image of its own
    output = _F_t.equalize(as_uint8.reshape(-1, 1, height, width)).reshape(image.shape)
    return to_dtype_image(output, image.dtype, scale=True)


equalize_video = _register_image_kernels(equalize, equalize_image, _F.equalize)


def permute_channels(inpt, permutation):
    """Reorder the channels: output channel ``i`` is input channel ``permutation[i]``.

    Args:
        inpt: image or video (tensor or PIL).
        permutation (list of int): a permutation of the channel indices.
    """
    return _dispatch(permute_channels, inpt, permutation)


def permute_channels_image(image, permutation):
    """``image[..., permutation, :, :]``."""
    shape = image.shape
    num_channels, height, width = shape[-3:]
    if len(permutation) != num_channels:
        raise ValueError(
            "Length of permutation does not match number of channels: "
            f"{len(permutation)} != {num_channels}"
        )
    if image.numel() == 0:
        return image
    if isinstance(permutation, Tensor):
        permutation = permutation.tolist()  # a host index, whatever the image's device
    return image.reshape(-1, num_channels, height, width)[:, permutation, :, :].reshape(shape)


def _permute_channels_image_pil(image, permutation):
    output = permute_channels_image(_F.pil_to_tensor(image), permutation)
    return _F.to_pil_image(output)


permute_channels_video = _register_image_kernels(
    permute_channels, permute_channels_image, _permute_channels_image_pil
)
