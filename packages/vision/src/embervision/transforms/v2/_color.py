"""Colour transforms of images and videos."""

from __future__ import annotations

import ember

from ... import transforms as _v1
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import query_chw


class Grayscale(Transform):
    """Convert to greyscale with ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def transform(self, inpt, params):
        return self._call_kernel(
            F.rgb_to_grayscale, inpt, num_output_channels=self.num_output_channels
        )


class RandomGrayscale(_RandomApplyTransform):
    """Convert to greyscale with probability ``p`` (default 0.1), keeping the number of
    channels."""

    def __init__(self, p=0.1):
        super().__init__(p=p)

    def make_params(self, flat_inputs):
        num_input_channels, *_ = query_chw(flat_inputs)
        return dict(num_input_channels=num_input_channels)

    def transform(self, inpt, params):
        return self._call_kernel(
            F.rgb_to_grayscale, inpt, num_output_channels=params["num_input_channels"]
        )


class ColorJitter(Transform):
    """Randomly change the brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness (float or tuple): factor drawn from ``[max(0, 1 - b), 1 + b]`` or ``(min,
            max)``. Default 0 (unchanged); likewise ``contrast`` and ``saturation``.
        hue (float or tuple): drawn from ``[-h, h]`` or ``(min, max)``, within [-0.5, 0.5].
    """

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        super().__init__()
        # v1 checks and normalises the ranges (None when a transform is off)
        v1 = _v1.ColorJitter(brightness or 0, contrast or 0, saturation or 0, hue or 0)
        self.brightness = v1.brightness
        self.contrast = v1.contrast
        self.saturation = v1.saturation
        self.hue = v1.hue

    def make_params(self, flat_inputs):
        fn_idx, b, c, s, h = _v1.ColorJitter.get_params(
            self.brightness, self.contrast, self.saturation, self.hue
        )
        return dict(
            fn_idx=fn_idx,
            brightness_factor=b,
            contrast_factor=c,
            saturation_factor=s,
            hue_factor=h,
        )

    def transform(self, inpt, params):
        adjustments = (
            (F.adjust_brightness, "brightness_factor"),
            (F.adjust_contrast, "contrast_factor"),
            (F.adjust_saturation, "saturation_factor"),
            (F.adjust_hue, "hue_factor"),
        )
        output = inpt
        for fn_id in params["fn_idx"].tolist():
            adjust, name = adjustments[fn_id]
            if params[name] is not None:
                output = self._call_kernel(adjust, output, **{name: params[name]})
        return output


class RGB(Transform):
    """Convert one-channel images to RGB (three equal channels); RGB images pass unchanged.

    As in torchvision, videos pass through untransformed.
    """

    def transform(self, inpt, params):
        return self._call_kernel(F.grayscale_to_rgb, inpt)


def _uniform(low, high):
    """A float drawn uniformly from ``[low, high)``."""
    return float(ember.empty(1).uniform_(low, high).item())


class RandomChannelPermutation(Transform):
    """Permute the channels of images and videos at random."""

    def make_params(self, flat_inputs):
        num_channels, *_ = query_chw(flat_inputs)
        return dict(permutation=ember.randperm(num_channels))

    def transform(self, inpt, params):
        return self._call_kernel(F.permute_channels, inpt, params["permutation"])


class RandomPhotometricDistort(Transform):
    """The photometric distortions of SSD (Liu et al., 2016): brightness, contrast (before
    or after the others, at random), saturation and hue, each changed with probability ``p``,
    then the channels permuted with probability ``p``.

    Args:
        brightness (tuple): range ``(min, max)`` of the brightness factor. Default
            ``(0.875, 1.125)``.
        contrast (tuple): range of the contrast factor. Default ``(0.5, 1.5)``.
        saturation (tuple): range of the saturation factor. Default ``(0.5, 1.5)``.
        hue (tuple): range of the hue factor, within [-0.5, 0.5]. Default ``(-0.05, 0.05)``.
        p (float): probability of each distortion. Default 0.5.
    """

    def __init__(
        self,
        brightness=(0.875, 1.125),
        contrast=(0.5, 1.5),
        saturation=(0.5, 1.5),
        hue=(-0.05, 0.05),
        p=0.5,
    ):
        super().__init__()
        self.brightness = brightness
        self.contrast = contrast
        self.hue = hue
        self.saturation = saturation
        self.p = p

    def make_params(self, flat_inputs):
        num_channels, *_ = query_chw(flat_inputs)
        params = {}
        for key, (low, high) in [
            ("brightness_factor", self.brightness),
            ("contrast_factor", self.contrast),
            ("saturation_factor", self.saturation),
            ("hue_factor", self.hue),
        ]:
            params[key] = _uniform(low, high) if ember.rand(1).item() < self.p else None
        params["contrast_before"] = bool(ember.rand(()).item() < 0.5)
        apply_permutation = ember.rand(1).item() < self.p
        params["channel_permutation"] = ember.randperm(num_channels) if apply_permutation else None
        return params

    def transform(self, inpt, params):
        contrast = params["contrast_factor"] is not None
        steps = [
            (F.adjust_brightness, "brightness_factor", params["brightness_factor"] is not None),
            (F.adjust_contrast, "contrast_factor", contrast and params["contrast_before"]),
            (F.adjust_saturation, "saturation_factor", params["saturation_factor"] is not None),
            (F.adjust_hue, "hue_factor", params["hue_factor"] is not None),
            (F.adjust_contrast, "contrast_factor", contrast and not params["contrast_before"]),
        ]
        for adjust, name, wanted in steps:
            if wanted:
                inpt = self._call_kernel(adjust, inpt, **{name: params[name]})
        if params["channel_permutation"] is not None:
            inpt = self._call_kernel(
                F.permute_channels, inpt, permutation=params["channel_permutation"]
            )
        return inpt


class RandomEqualize(_RandomApplyTransform):
    """Equalise the histogram with probability ``p`` (default 0.5)."""

    def transform(self, inpt, params):
        return self._call_kernel(F.equalize, inpt)


class RandomInvert(_RandomApplyTransform):
    """Invert the colours with probability ``p`` (default 0.5)."""

    def transform(self, inpt, params):
        return self._call_kernel(F.invert, inpt)


class RandomPosterize(_RandomApplyTransform):
    """Keep the ``bits`` (0-8) highest bits of each channel with probability ``p`` (default
    0.5)."""

    def __init__(self, bits, p=0.5):
        super().__init__(p=p)
        self.bits = bits

    def transform(self, inpt, params):
        return self._call_kernel(F.posterize, inpt, bits=self.bits)


class RandomSolarize(_RandomApplyTransform):
    """Invert the pixels at or above ``threshold`` with probability ``p`` (default 0.5)."""

    def __init__(self, threshold, p=0.5):
        super().__init__(p=p)
        self.threshold = threshold

    def transform(self, inpt, params):
        return self._call_kernel(F.solarize, inpt, threshold=self.threshold)


class RandomAutocontrast(_RandomApplyTransform):
    """Autocontrast with probability ``p`` (default 0.5)."""

    def transform(self, inpt, params):
        return self._call_kernel(F.autocontrast, inpt)


class RandomAdjustSharpness(_RandomApplyTransform):
    """Adjust the sharpness by ``sharpness_factor`` (0 blurred, 1 the original, 2 twice as
    sharp) with probability ``p`` (default 0.5)."""

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(p=p)
        self.sharpness_factor = sharpness_factor

    def transform(self, inpt, params):
        return self._call_kernel(F.adjust_sharpness, inpt, sharpness_factor=self.sharpness_factor)
