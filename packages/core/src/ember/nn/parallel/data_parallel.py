"""``DataParallel``: torch's single-process data parallelism, on one device."""

from __future__ import annotations

import itertools
import warnings

from ... import backend
from ... import cuda as _cuda
from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["DataParallel"]


def _device_index(device):
    """The CUDA ordinal of ``device`` (an int, a string or a device); the current device
    for ``"cuda"`` without an index, as torch's ``_get_device_index``."""
    if isinstance(device, int):
        return device
    index = backend.Device(device).index
    return _cuda.current_device() if index is None else index


def _to_device(obj, device):
    """``obj`` with every tensor in it (through tuples, lists and dicts) moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


class DataParallel(Module):
    """Implements data parallelism at the module level, in one process.

    In torch, the input is split along ``dim`` across ``device_ids``, the module is replicated
    on each device, and the outputs are gathered on ``output_device``. Ember runs the module
    on ``device_ids[0]`` alone: with no GPU it calls the module as is, and with one GPU it
    moves the module and the inputs there, which is what torch does in both cases. It does not
    scatter across several GPUs (a warning says so when given more than one): use
    ``ember.nn.parallel.DistributedDataParallel``, one process per GPU, which torch
    recommends over DataParallel anyway.

    Args:
        module: module to be parallelized.
        device_ids: CUDA devices (default: all devices).
        output_device: device location of output (default: ``device_ids[0]``).
        dim: the dimension the input would be scattered along (default 0).

    Attributes:
        module: the module to be parallelized. ``state_dict()`` keys are its keys prefixed
            ``module.``.

    Example:
        >>> net = nn.DataParallel(model, device_ids=[0])
        >>> output = net(input_var)  # input_var can be on any device, including CPU
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not _cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(_cuda.device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = backend.Device("cuda", self.device_ids[0])
        if len(self.device_ids) > 1:
            warnings.warn(
                "ember's DataParallel runs the module on device_ids[0] only; use "
                "DistributedDataParallel to train on several GPUs.",
                stacklevel=2,
            )
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in itertools.chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(
                    "module must have its parameters and buffers on device "
                    f"{self.src_device_obj} (device_ids[0]) but found one of them on device: "
                    f"{t.device}"
                )
        inputs = _to_device(inputs, self.src_device_obj)
        kwargs = _to_device(kwargs, self.src_device_obj)
        return self.module(*inputs, **kwargs)
