"""``embervision.models``: LeNet-5, AlexNet, VGG and ResNet, with torchvision's names and
state-dict keys, and the registry (``get_model``, ``list_models``)."""

from ._api import get_model, get_model_builder, list_models, register_model
from .alexnet import *
from .lenet import *
from .resnet import *
from .vgg import *
