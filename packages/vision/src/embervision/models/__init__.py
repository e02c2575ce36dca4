"""``embervision.models``: LeNet-5, AlexNet, VGG, ResNet (ResNeXt, Wide ResNet), DenseNet,
SqueezeNet, ShuffleNet V2, MobileNet V2 and V3, EfficientNet (V1 and V2), MNASNet, GoogLeNet,
Inception v3, ConvNeXt, RegNet, Vision Transformer, Swin Transformer (V1 and V2) and MaxViT,
with torchvision's names and state-dict keys, and the registry (``get_model``,
``list_models``). The detection, segmentation, video and optical flow models are in
``embervision.models.detection``, ``embervision.models.segmentation``,
``embervision.models.video`` and ``embervision.models.optical_flow``."""

from . import detection, optical_flow, segmentation, video
from ._api import get_model, get_model_builder, list_models, register_model
from .alexnet import *
from .convnext import *
from .densenet import *
from .efficientnet import *
from .googlenet import *
from .inception import *
from .lenet import *
from .maxvit import *
from .mnasnet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .regnet import *
from .resnet import *
from .shufflenetv2 import *
from .squeezenet import *
from .swin_transformer import *
from .vgg import *
from .vision_transformer import *
