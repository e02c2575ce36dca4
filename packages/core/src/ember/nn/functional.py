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
from ..ops.fractional_pool import *
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


def channel_shuffle(input, groups):
    """Divide the channels of ``input`` (N, C, *) into ``groups`` groups and interleave them:
    ``(N, g, C / g, *)`` transposed to ``(N, C / g, g, *)``, back in the input's shape (the
    ShuffleNet channel shuffle)."""
    if input.ndim <= 2:
        raise RuntimeError(
            "channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    channels = input.shape[1]
    if channels % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {channels} channels and "
            f"{groups} groups."
        )
    n, rest = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape(n, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).reshape(input.shape)
