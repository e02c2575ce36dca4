"""``embervision.io``: image files to and from uint8 tensors (``torchvision.io``)."""

from .image import *
