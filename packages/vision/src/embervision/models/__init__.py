"""``embervision.models``: LeNet-5, AlexNet, VGG, ResNet (ResNeXt, Wide ResNet), DenseNet,
SqueezeNet, ShuffleNet V2, MobileNet V2 and V3, EfficientNet (V1 and V2), MNASNet, GoogLeNet and
Inception v3, with torchvision's names and state-dict keys, and the registry (``get_model``,
``list_models``). The segmentation models are in ``embervision.models.segmentation``."""

from . import segmentation
from ._api import get_model, get_model_builder, list_models, register_model
from .alexnet import *
from .densenet import *
from .efficientnet import *
from .googlenet import *
from .inception import *
from .lenet import *
from .mnasnet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .resnet import *
from .shufflenetv2 import *
from .squeezenet import *
from .vgg import *
