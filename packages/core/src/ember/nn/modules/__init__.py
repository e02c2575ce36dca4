"""The layers of ``ember.nn``, one module per family (as in torch.nn.modules)."""

from .activation import *
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .batchnorm import *
from .channelshuffle import *
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *
from .cross_map_lrn import *
from .distance import *
from .dropout import *
from .flatten import Flatten, Unflatten
from .fold import *
from .fractional import *
from .linear import Bilinear, Identity, LazyLinear, Linear
from .loss import *
from .module import Module
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .upsampling import *
