"""Transforms v2 (``torchvision.transforms.v2``): transforms that take whole samples —
any nesting of tuples, lists and dicts of images, videos, masks, bounding boxes and other
values — and transform each part consistently (a flip moves the boxes with the pixels), with
the v2 functionals in ``functional``."""

from ..functional import InterpolationMode
from . import functional
from ._augment import RandomErasing
from ._color import ColorJitter, Grayscale, RandomGrayscale
from ._container import Compose, RandomApply, RandomChoice, RandomOrder
from ._geometry import (
    CenterCrop,
    Pad,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
)
from ._misc import (
    ClampBoundingBoxes,
    ConvertBoundingBoxFormat,
    GaussianBlur,
    Identity,
    Lambda,
    Normalize,
    SanitizeBoundingBoxes,
    ToDtype,
)
from ._transform import Transform
from ._type_conversion import PILToTensor, ToImage, ToPILImage, ToPureTensor

__all__ = [
    "InterpolationMode",
    "Transform",
    "Compose",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "Identity",
    "Lambda",
    "ToImage",
    "ToPureTensor",
    "PILToTensor",
    "ToPILImage",
    "ToDtype",
    "Normalize",
    "Resize",
    "CenterCrop",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Pad",
    "RandomRotation",
    "RandomAffine",
    "ColorJitter",
    "Grayscale",
    "RandomGrayscale",
    "GaussianBlur",
    "RandomErasing",
    "ClampBoundingBoxes",
    "SanitizeBoundingBoxes",
    "ConvertBoundingBoxFormat",
]
