"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""

from __future__ import annotations

from .._creation import empty
from .._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that is a module parameter.

    Assigning a Parameter as an attribute of a ``Module`` registers it: it then appears in
    ``parameters()`` and ``state_dict()``. The parameter shares ``data``'s memory and is a leaf
    of the graph (gradients accumulate into its ``.grad``). Operations on it return plain
    tensors, as in torch.

    Args:
        data: the tensor to wrap (default: an empty tensor).
        requires_grad: whether the parameter requires gradient (default ``True``).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        self._init(data._data, False)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
