"""Argument helpers shared by the layer modules (torch.nn.modules.utils)."""

from __future__ import annotations

import collections.abc


def _ntuple(n):
    """A sequence as a tuple, anything else repeated ``n`` times (``_pair(3) == (3, 3)``)."""

    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return (x,) * n

    return parse


_single = _ntuple(1)
_pair = _ntuple(2)
