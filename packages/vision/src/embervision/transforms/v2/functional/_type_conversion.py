"""Conversions between PIL images, numpy arrays, plain tensors and ``Image``."""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ...functional import pil_to_tensor, to_pil_image

__all__ = ["to_image", "pil_to_tensor", "to_pil_image"]


def to_image(inpt):
    """A PIL image, an ``(H, W[, C])`` numpy array or a tensor as an ``Image`` (CHW), values
    and dtype unchanged."""
    if isinstance(inpt, np.ndarray):
        output = ember.from_numpy(np.atleast_3d(inpt)).permute((2, 0, 1)).contiguous()
    elif isinstance(inpt, PILImage.Image):
        output = pil_to_tensor(inpt)
    elif isinstance(inpt, Tensor):
        output = inpt
    else:
        raise TypeError(
            "Input can either be a pure Tensor, a numpy array, or a PIL image, but got "
            f"{type(inpt)} instead."
        )
    return tv_tensors.Image(output)
