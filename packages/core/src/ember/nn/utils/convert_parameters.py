"""Flatten parameters into one vector and back (e.g. for second-order optimisers)."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops import shape as _shape

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param, device):
    if device is not None and param.device != device:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )
    return param.device


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-D tensor (a copy that stays in
    the graph)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_same_device(param, device)
        vec.append(param.reshape(-1))
    return _shape.cat(vec)


def vector_to_parameters(vec, parameters):
    """Make the ``parameters`` views of consecutive slices of the 1-D tensor ``vec``: each
    parameter's data becomes the next ``numel()`` entries (shared, not copied)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_same_device(param, device)
        n = param.numel()
        param.data = vec[pointer : pointer + n].view_as(param).data
        pointer += n
