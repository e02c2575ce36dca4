"""Conversions between PIL images, numpy arrays, plain tensors and TVTensors."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image as PILImage

from ... import tv_tensors
from ..functional import to_tensor
from . import functional as F
from ._transform import Transform
from ._utils import is_pure_tensor
from .functional._utils import as_plain


class PILToTensor(Transform):
    """A PIL image as a plain ``(C, H, W)`` tensor of its own pixel type, values unchanged."""

    _transformed_types = (PILImage.Image,)

    def transform(self, inpt, params):
        return F.pil_to_tensor(inpt)


class ToImage(Transform):
    """A plain tensor, an ``(H, W[, C])`` numpy array or a PIL image as an ``Image``, values
    and dtype unchanged."""

    _transformed_types = (is_pure_tensor, PILImage.Image, np.ndarray)

    def transform(self, inpt, params):
        return F.to_image(inpt)


class ToPILImage(Transform):
    """A tensor or numpy array image as a PIL image (see ``functional.to_pil_image``).

    Args:
        mode (str, optional): the PIL mode; inferred from the channels and dtype by default.
    """

    _transformed_types = (is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        return F.to_pil_image(inpt, mode=self.mode)


class ToPureTensor(Transform):
    """Every TVTensor as a plain tensor (sharing its data), its metadata dropped."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt, params):
        return as_plain(inpt)


class ToTensor(Transform):
    """A PIL image or ``(H, W[, C])`` numpy array as a ``(C, H, W)`` tensor, 8-bit data scaled
    to [0, 1] (v1's ``ToTensor``; deprecated in torchvision: use ``Compose([ToImage(),
    ToDtype(ember.float32, scale=True)])``)."""

    _transformed_types = (PILImage.Image, np.ndarray)

    def __init__(self):
        warnings.warn(
            "The transform `ToTensor()` is deprecated and will be removed in a future release. "
            "Instead, please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, "
            "scale=True)])`.Output is equivalent up to float precision.",
            stacklevel=2,
        )
        super().__init__()

    def transform(self, inpt, params):
        return to_tensor(inpt)
