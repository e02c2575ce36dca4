"""The optimizer base class: parameter groups, per-parameter state, torch's state-dict format.

An optimizer keeps ``param_groups`` (dicts holding ``"params"`` plus hyperparameters) and
``state`` (a dict per parameter, keyed by the parameter tensor). State values are ember
tensors, so ``state_dict()`` holds tensors as torch's does, but every update runs on their
backend arrays in place, written once for numpy and cupy.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _versions, backend
from .._dtype import get_default_dtype
from .._tensor import Tensor, reset_grads
from ..autograd import enable_grad, no_grad
from ..nn.modules.module import RemovableHandle

__all__ = [
    "Optimizer",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
    "required",
]

_CPU = backend.Device("cpu")

# Step hooks every optimizer runs: the pre-hooks before its own, the post-hooks after its own.
_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Register a step pre-hook common to all optimizers, run before each instance's own.

    The hook is called as ``hook(optimizer, args, kwargs)`` before every ``step``, where
    ``args`` holds all positional arguments of the call, the optimizer itself first (as in
    torch). It returns None, or a tuple ``(new_args, new_kwargs)`` that the step is then
    called with.

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _register(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register a step post-hook common to all optimizers, run after each instance's own.

    The hook is called as ``hook(optimizer, args, kwargs)`` after every ``step``; its return
    value is ignored.

    Returns:
        A handle whose ``remove()`` unregisters the hook.
    """
    return _register(_global_optimizer_post_hooks, hook)


class _RequiredParameter:
    """A hyperparameter with no default: each parameter group must give it."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts defining
            parameter groups (each with a ``"params"`` entry and optional hyperparameters).
        defaults: hyperparameter defaults, used where a group does not set them.

    A subclass either overrides ``step`` (as in torch) or implements
    ``_update_group(group, params)``, which the default ``step`` calls for each group with the
    parameters that have a gradient, under ``no_grad``.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __init_subclass__(cls, **kwargs):
        # Every ``step`` a subclass defines runs the step hooks around it and records the call:
        # a learning-rate scheduler warns when it is stepped before the optimizer ever was
        # (torch patches each instance's ``step`` for this instead, which a deep copy then
        # aliases to the original).
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _hooked_step(cls.__dict__["step"])

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------------ parameter groups

    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"`` and optional hyperparameters).

        Useful when fine-tuning: layers made trainable later join the optimizer this way.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{_typename(param)}"
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        _check_supported(param_group)

        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add "
                    f"param group {which} to the optimizer"
                )
            if not ids.isdisjoint(id(p) for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------------------ stepping

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: drop the gradients (``p.grad = None``, the default, cheaper) instead
                of filling them with zeros.
        """
        reset_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss;
                it runs with gradients enabled.

        Returns:
            The closure's loss, or None.
        """
        self._opt_called = True
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if params:
                    self._update_group(group, params)
                    for p in params:  # written in place: a graph that saved them is stale
                        _versions.bump(p._data)
        return loss

    def _update_group(self, group, params):
        """Update ``params`` (the group's parameters that have a gradient) in place."""
        raise NotImplementedError

    # --------------------------------------------------------------------------------- hooks

    def register_step_pre_hook(self, hook):
        """Register a hook called before each ``step``, after the global pre-hooks.

        The hook is called as ``hook(optimizer, args, kwargs)``, where ``args`` holds all
        positional arguments of the call, the optimizer itself first (as in torch). It returns
        None, or a tuple ``(new_args, new_kwargs)`` that the step (and the later hooks) then
        get instead.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register a hook called as ``hook(optimizer, args, kwargs)`` after each ``step``,
        before the global post-hooks; its return value is ignored.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Register a hook called as ``hook(optimizer)`` before ``state_dict()`` builds the dict.

        Args:
            hook: the callable; its return value is ignored.
            prepend: run it before the hooks already registered instead of after them.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Register a hook called as ``hook(optimizer, state_dict)`` after ``state_dict()``
        built the dict. It may modify the dict in place, or return a new one, which
        ``state_dict()`` then returns (and the later hooks get).

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered instead of after them.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Register a hook called as ``hook(optimizer, state_dict)`` before
        ``load_state_dict`` loads anything. ``state_dict`` is a shallow copy of the dict
        passed in; the hook may modify it in place, or return a new one, which is then loaded
        (and the later hooks get).

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered instead of after them.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Register a hook called as ``hook(optimizer)`` after ``load_state_dict`` loaded the
        state; its return value is ignored.

        Args:
            hook: the callable.
            prepend: run it before the hooks already registered instead of after them.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---------------------------------------------------------------------------- state dict

    def state_dict(self):
        """The optimizer's state as a dict, in torch's format.

        ``"state"`` maps each parameter's index (its position counting through all groups)
        to its state dict; ``"param_groups"`` lists the groups with ``"params"`` replaced by
        those indices. The state tensors are the optimizer's own (not copies), as in torch:
        copy them (``copy.deepcopy``) to keep a snapshot while training goes on.

        The state-dict hooks run before and after (see ``register_state_dict_pre_hook``).
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of = {}
        start = 0
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            index_of.update(
                {id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index_of}
            )
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            param_groups.append(packed)
        state = {
            (index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load a state from ``state_dict()``; training then continues exactly where it was.

        Floating state tensors are copied to each parameter's device and dtype, except
        ``step``, which stays a CPU scalar. Unlike torch, the loaded tensors are always copied,
        so the optimizer never shares memory with ``state_dict``.

        The load-state-dict hooks run before and after (see
        ``register_load_state_dict_pre_hook``).
        """
        state_dict = state_dict.copy()  # shallow, for the hooks, as torch does
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = _cast(id_map[k], v)
            else:
                state[k] = v
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():  # groups saved before a key existed
                saved.setdefault(name, default)
        self.state = state
        self.param_groups = saved_groups
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


_UNSUPPORTED = {
    "differentiable": "autograd through the optimizer step",
    "capturable": "CUDA graph capture",
}


def _check_supported(param_group):
    """Reject the torch flags ember's optimizers accept but cannot honour: ``differentiable``
    and ``capturable`` exist for torch compatibility and must be False (their default)."""
    for name, feature in _UNSUPPORTED.items():
        if param_group.get(name, False):
            raise NotImplementedError(
                f"{name}=True is not supported by ember: its optimizers have no {feature}"
            )


def _hooked_step(step):
    """Wrap an optimizer's ``step``: record the call and run the step hooks around it, as
    torch's ``Optimizer.profile_hook_step`` does. A ``step`` called from inside another (a
    subclass's ``step`` calling ``super().step()``) runs its hooks only once, in the outer."""

    @functools.wraps(step)
    def hooked_step(*args, **kwargs):
        self = args[0]
        self._opt_called = True
        if self.__dict__.get("_in_step", False):
            return step(*args, **kwargs)
        pre_hooks = self.__dict__.get("_optimizer_step_pre_hooks", {})
        post_hooks = self.__dict__.get("_optimizer_step_post_hooks", {})
        for pre_hook in [*_global_optimizer_pre_hooks.values(), *pre_hooks.values()]:
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                        f"{result}."
                    )
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for post_hook in [*post_hooks.values(), *_global_optimizer_post_hooks.values()]:
            post_hook(self, args, kwargs)
        return out

    return hooked_step


Optimizer.step = _hooked_step(Optimizer.step)


def _register(hooks, hook, prepend=False):
    """Add ``hook`` to the ordered dict ``hooks``, last or (``prepend``) first; its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _typename(obj):
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _cast(param, value, key=None):
    """A copy of loaded state ``value`` placed like ``param`` (torch's policy, see above)."""
    if isinstance(value, Tensor):
        if key == "step":
            return Tensor._make(backend.to_device(value._data, _CPU).copy())
        array = backend.to_device(value._data, param.device)
        dtype = param._data.dtype if param.is_floating_point() else array.dtype
        return Tensor._make(array.astype(dtype))  # astype copies
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value


# ------------------------------------------------------------------- helpers for the updates


def _scalar_dtype():
    """torch's dtype for scalar state such as ``step``: float64 if that is the default dtype."""
    return np.float64 if get_default_dtype().np == np.float64 else np.float32


def _scalar_state(value):
    """A 0-d CPU tensor holding ``value`` (torch keeps ``step`` on the CPU)."""
    return Tensor._make(np.array(value, dtype=_scalar_dtype()))


def _zeros_like(x):
    return Tensor._make(backend.array_module(x).zeros_like(x))


def _count_step(step):
    """Add one to a ``step`` tensor in place; return the new count as a float."""
    step._data += 1
    return float(step._data)


def _next_step(state, x, buffers, **scalars):
    """Count one more step of the parameter whose array is ``x``, creating its ``state`` on
    the first: ``step`` and each of ``scalars`` (name=initial value) as 0-d CPU tensors, then
    each of ``buffers`` as zeros shaped like ``x``, in torch's order of keys.

    Returns the new step count as a float.
    """
    if not state:
        state["step"] = _scalar_state(0.0)
        for name, value in scalars.items():
            state[name] = _scalar_state(value)
        for name in buffers:
            state[name] = _zeros_like(x)
    return _count_step(state["step"])


def _check_lr(lr):
    if not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_value(name, value, high=None):
    """torch's check of a hyperparameter that must be >= 0 (and <= ``high`` when given)."""
    if not (value >= 0.0 and (high is None or value <= high)):
        raise ValueError(f"Invalid {name} value: {value}")


def _check_betas(betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _check_adam_args(lr, betas, eps, weight_decay):
    """torch's checks of the hyperparameters the Adam family shares, in its order."""
    _check_lr(lr)
    _check_value("epsilon", eps)
    _check_betas(betas)
    _check_value("weight_decay", weight_decay)


def _gradient(x, g, weight_decay, maximize):
    """The gradient an update follows: ``-g`` when maximizing, plus the L2 term ``wd * x``.

    Returns ``g`` itself when neither applies, so callers must never write into the result.
    ``wd * x - g`` is torch's ``(-g).add(x, alpha=wd)`` with one temporary instead of two.
    """
    if weight_decay != 0:
        decayed = x * weight_decay
        if maximize:
            decayed -= g
        else:
            decayed += g
        return decayed
    return -g if maximize else g


def _adam_gradient(x, g, group):
    """``_gradient`` for the optimizers with ``decoupled_weight_decay`` (Adam, RAdam, NAdam):
    decoupled (AdamW), the weights first shrink in place, ``x *= 1 - lr * weight_decay``, and
    the gradient gets no L2 term."""
    weight_decay = group["weight_decay"]
    if group["decoupled_weight_decay"]:
        if weight_decay != 0:
            x *= 1 - group["lr"] * weight_decay
        weight_decay = 0
    return _gradient(x, g, weight_decay, group["maximize"])


def _adam_moments_(xp, exp_avg, exp_avg_sq, g, betas, work):
    """Adam's running averages, in place: ``exp_avg = beta1 * exp_avg + (1 - beta1) * g``
    (torch's lerp) and ``exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g**2``."""
    beta1, beta2 = betas
    _lerp_(xp, exp_avg, g, 1 - beta1, work)
    _decay_square_(xp, exp_avg_sq, beta2, g, work)


def _lerp_(xp, start, end, weight, work):
    """``start.lerp_(end, weight)`` with torch's formula (exact at both ends); ``work`` is
    scratch space shaped like ``start``."""
    xp.subtract(end, start, out=work)
    if abs(weight) < 0.5:
        work *= weight
        start += work
    else:
        work *= 1 - start.dtype.type(weight)  # torch forms 1 - weight in the tensor's dtype
        xp.subtract(end, work, out=start)


def _decay_square_(xp, avg, decay, g, work):
    """``avg.mul_(decay).addcmul_(g, g, value=1 - decay)``: a running mean of ``g**2``.

    ``(value * g) * g`` is addcmul's rounding order; ``work`` is scratch space.
    """
    xp.multiply(g, 1 - decay, out=work)
    work *= g
    avg *= decay
    avg += work


def _addcdiv_(xp, x, value, t1, t2, work):
    """``x.addcdiv_(t1, t2, value=value)``, rounding ``(value * t1) / t2`` as torch does."""
    xp.multiply(t1, value, out=work)
    work /= t2
    x += work


_SLICE = 1 << 18  # elements per slice of _slices: 1 MiB of float32, so a slice's passes hit cache


def _slices(*arrays):
    """Aligned slices of same-shape arrays for an update that runs several passes over them.

    On the CPU, large C-contiguous arrays come in flat slices of ``_SLICE`` elements, so every
    pass of an update after the first reads its slice from cache, and temporaries stay small
    instead of growing to a copy of the parameter (411 MiB for VGG-11's first Linear). Small or
    non-contiguous arrays, and GPU arrays (where each slice would cost kernel launches), come
    whole, as one "slice".
    """
    first = arrays[0]
    if (
        first.size <= _SLICE
        or backend.array_module(first) is not np
        or any(a.shape != first.shape or not a.flags.c_contiguous for a in arrays)
    ):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, first.size, _SLICE):
        yield tuple(a[start : start + _SLICE] for a in flat)
