"""The deprecated hook-based weight normalization, ``ember.nn.utils.weight_norm`` (torch's
``torch.nn.utils.weight_norm``); prefer :func:`ember.nn.utils.parametrizations.weight_norm`."""

from __future__ import annotations

import warnings

from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _norm_except_dim, _weight_norm

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each forward."""

    def __init__(self, name, dim):
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn(
            "`ember.nn.utils.weight_norm` is deprecated in favor of "
            "`ember.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name="weight", dim=0):
    """Apply weight normalization with a forward pre-hook (deprecated, as in torch).

    Replaces the parameter ``name`` by ``<name>_g`` (magnitude) and ``<name>_v`` (direction)
    and recomputes ``module.<name> = g * v / ||v||`` before every forward. ``dim=0`` takes the
    norm per output channel, ``dim=None`` over the whole tensor.

    .. warning::
        Deprecated (a ``FutureWarning``): use
        :func:`ember.nn.utils.parametrizations.weight_norm`, which loads the state dicts this
        one writes.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension kept by the norm. Default: ``0``.

    Returns:
        ``module``.
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name="weight"):
    """Undo :func:`weight_norm`: ``name`` becomes one parameter again, holding the current
    normalized weight.

    Raises:
        ValueError: if ``module`` has no weight norm on ``name``.
    """
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
