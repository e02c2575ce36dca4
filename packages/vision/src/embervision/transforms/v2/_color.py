"""Colour transforms of images and videos."""

from __future__ import annotations

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
