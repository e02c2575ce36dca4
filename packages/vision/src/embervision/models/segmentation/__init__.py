"""``embervision.models.segmentation``: semantic segmentation models (FCN, DeepLabV3 and
Lite R-ASPP) with torchvision's names and state-dict keys. Each returns a dict whose ``"out"``
(and, with ``aux_loss``, ``"aux"``) logits have the input's height and width."""

from .deeplabv3 import *
from .fcn import *
from .lraspp import *
