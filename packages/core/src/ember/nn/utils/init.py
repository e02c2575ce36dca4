"""``ember.nn.utils.skip_init``: build a module without initialising its parameters
(``torch.nn.utils.init``)."""

from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def _no_reset(self):
    """A ``reset_parameters`` that leaves the parameters as allocated."""


def skip_init(module_cls, *args, **kwargs):
    """Instantiate ``module_cls(*args, **kwargs)`` without initializing its parameters and
    buffers, which are left as if made by ``ember.empty``: useful when initialization is
    slow or a custom one follows.

    As in torch, the module must accept a ``device`` argument (its tensors are made there).
    torch builds the module on its ``meta`` device and allocates it empty; Ember has no meta
    device, so it builds the module with its own ``reset_parameters`` (where torch's layers
    and Ember's initialise their tensors) doing nothing. Initialization done elsewhere in the
    constructor, or by the submodules it creates, still runs.

    Args:
        module_cls: a subclass of :class:`ember.nn.Module`.
        args, kwargs: the constructor's arguments.

    Returns:
        The module, its tensors uninitialized.

    Example::

        >>> m = ember.nn.utils.skip_init(nn.Linear, 5, 1)
    """
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    uninitialized = type(module_cls.__name__, (module_cls,), {"reset_parameters": _no_reset})
    module = uninitialized(*args, **kwargs)
    module.__class__ = module_cls
    return module
