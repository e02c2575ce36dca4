"""``ember.nn.functional``: the stateless form of the layers (``import ember.nn.functional as
F``). Each name is the same Function that the modules and ``ember.*`` use; this module only
imports them, or wraps them where torch's signature differs."""

from __future__ import annotations

from ..ops import pointwise as _pointwise
from ..ops.activation import *
from ..ops.attention import *
from ..ops.conv import *
from ..ops.dropout import *
from ..ops.embedding import *
from ..ops.linear import bilinear, linear
from ..ops.loss import *
from ..ops.normalization import *
from ..ops.padding import *
from ..ops.pointwise import sigmoid, tanh
from ..ops.pooling import *
from ..ops.sampling import *


def relu(input, inplace=False):
    """max(0, x) element-wise; ``inplace=True`` overwrites ``input``. The gradient at 0 is 0."""
    return input.relu_() if inplace else _pointwise.relu(input)


def relu_(input):
    """In-place version of ``relu``."""
    return input.relu_()
