"""Helpers shared by the layer modules: argument tuples (torch.nn.modules.utils) and optional
parameters."""

from __future__ import annotations

import collections.abc

from ..._creation import empty
from ..parameter import Parameter


def _ntuple(n):
    """A sequence as a tuple, anything else repeated ``n`` times (``_pair(3) == (3, 3)``)."""

    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return (x,) * n

    return parse


_single = _ntuple(1)
_pair = _ntuple(2)
_triple = _ntuple(3)


def _optional_parameter(module, name, learnt, shape, device=None, dtype=None):
    """Register parameter ``name`` of ``module``: of ``shape`` and uninitialised (its
    ``reset_parameters`` fills it) when ``learnt``, else None, declared but absent, as torch
    registers a layer's disabled ``bias``."""
    param = Parameter(empty(shape, device=device, dtype=dtype)) if learnt else None
    module.register_parameter(name, param)
