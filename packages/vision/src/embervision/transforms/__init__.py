"""Image transforms (``torchvision.transforms``): the transform classes, the automatic
augmentation policies and, in ``functional``, the operations they apply."""

from .autoaugment import *
from .transforms import *
