"""Random erasing."""

from __future__ import annotations

import math
import warnings

import ember

from ... import transforms as _v1
from ... import tv_tensors
from . import functional as F
from ._transform import _RandomApplyTransform
from ._utils import query_chw


class RandomErasing(_RandomApplyTransform):
    """Erase a random rectangle of an image or video with probability ``p`` (Zhong et al.,
    2017). Masks and boxes pass through, with a warning.

    Args:
        p (float): probability. Default 0.5.
        scale (tuple): range of the erased area, as a fraction of the input's. Default
            ``(0.02, 0.33)``.
        ratio (tuple): range of its aspect ratio, drawn log-uniformly. Default ``(0.3, 3.3)``.
        value (number, sequence or "random"): the fill: one value, one per channel, or
            ``"random"`` for standard normal noise. Default 0.
        inplace (bool): overwrite the input. Default False.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, inplace=False):
        super().__init__(p=p)
        # v1 checks value, scale and ratio the same way
        v1 = _v1.RandomErasing(p, scale, ratio, value, inplace)
        self.scale = v1.scale
        self.ratio = v1.ratio
        if isinstance(value, (int, float)):
            self.value = [float(value)]
        elif isinstance(value, str):
            self.value = None
        else:
            self.value = [float(v) for v in value]
        self.inplace = inplace
        self._log_ratio = [math.log(r) for r in self.ratio]

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask)):
            warnings.warn(
                f"{type(self).__name__}() is currently passing through inputs of type "
                f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                stacklevel=2,
            )
        return super()._call_kernel(functional, inpt, *args, **kwargs)

    def make_params(self, flat_inputs):
        img_c, img_h, img_w = query_chw(flat_inputs)
        if self.value is not None and len(self.value) not in (1, img_c):
            raise ValueError(
                "If value is a sequence, it should have either a single value or "
                f"{img_c} (number of inpt channels)"
            )
        area = img_h * img_w
        log_ratio = self._log_ratio
        for _ in range(10):
            erase_area = area * ember.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect_ratio = math.exp(ember.empty(1).uniform_(log_ratio[0], log_ratio[1]).item())
            h = round(math.sqrt(erase_area * aspect_ratio))
            w = round(math.sqrt(erase_area / aspect_ratio))
            if not (h < img_h and w < img_w):
                continue
            if self.value is None:
                v = ember.empty([img_c, h, w], dtype=ember.float32).normal_()
            else:
                v = ember.tensor(self.value)[:, None, None]
            i = int(ember.randint(0, img_h - h + 1, size=(1,)).item())
            j = int(ember.randint(0, img_w - w + 1, size=(1,)).item())
            return dict(i=i, j=j, h=h, w=w, v=v)
        return dict(i=0, j=0, h=img_h, w=img_w, v=None)

    def transform(self, inpt, params):
        if params["v"] is None:
            return inpt
        return self._call_kernel(F.erase, inpt, **params, inplace=self.inplace)
