"""Stochastic weight averaging and exponential moving averages of a model's weights:
``torch.optim.swa_utils`` on ember tensors.

``AveragedModel`` keeps a copy of a model whose parameters are a running average of the
model's (the equal-weight SWA average by default, or an EMA with ``get_ema_multi_avg_fn``);
``update_bn`` recomputes its BatchNorm statistics for the averaged weights; ``SWALR``
anneals each group's learning rate to a constant ``swa_lr``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy

from .. import int64, tensor
from ..autograd import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update of lists of averaged tensors:
    ``ema = ema + (1 - decay) * (current - ema)`` (a lerp) for floating-point tensors,
    ``ema = ema * decay + current * (1 - decay)`` for the others.

    Raises:
        ValueError: ``decay`` outside [0, 1].
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight running average of lists of tensors:
    ``avg = avg + (current - avg) / (num_averaged + 1)``.

    Integer tensors (a BatchNorm's ``num_batches_tracked`` with ``use_buffers=True``) get
    that average truncated to an integer, as ``get_swa_avg_fn`` followed by ``copy_`` gives
    them: ``AveragedModel.update_parameters`` uses this function for CUDA tensors and that one
    for CPU tensors, with the same results."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex():
            weight = float(1 / (num_averaged + 1))
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_avg.lerp_(p_model, weight)
        else:
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_avg.copy_(p_avg + (p_model - p_avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA of one tensor: returns ``decay * ema_param + (1 - decay) * current_param``.

    Raises:
        ValueError: ``decay`` outside [0, 1].
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """An equal-weight running average of one tensor: returns
    ``averaged_param + (current_param - averaged_param) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters average those of ``model`` over the calls to
    ``update_parameters`` (Stochastic Weight Averaging, or an EMA).

    Its state dict holds the copy's entries under ``module.`` and the count of averaged
    models as ``n_averaged`` (an int64 buffer), as torch's does.

    Args:
        model: the model to average.
        device: where to keep the averaged copy (default: where ``model`` is).
        avg_fn: ``avg_fn(averaged, current, num_averaged) -> new average`` for one tensor.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, num_averaged)``, updating
            the lists in place. Give at most one of ``avg_fn`` and ``multi_avg_fn``; with
            neither, the equal-weight average is used.
        use_buffers: average the buffers too (BatchNorm statistics included); otherwise the
            buffers are copied from ``model`` at every update. Default: ``False``.

    Example:
        >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
        >>> ema_model.update_parameters(model)  # after each optimizer step
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy of the model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param = self.parameters()
            model_param = model.parameters()
        self_param_detached = []
        model_param_detached = []
        copy_param = bool(self.n_averaged == 0)
        for p_averaged, p_model in zip(self_param, model_param):
            p_model_ = p_model.detach().to(p_averaged.device)
            self_param_detached.append(p_averaged.detach())
            model_param_detached.append(p_model_)
            if copy_param:
                p_averaged.detach().copy_(p_model_)
        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                for self_params, model_params in _grouped(
                    self_param_detached, model_param_detached
                ):
                    device = self_params[0].device
                    n_averaged = self.n_averaged.to(device)
                    if self.multi_avg_fn:
                        self.multi_avg_fn(self_params, model_params, n_averaged)
                    elif device.type == "cuda":  # where torch has foreach kernels
                        get_swa_multi_avg_fn()(self_params, model_params, n_averaged)
                    else:
                        avg_fn = get_swa_avg_fn()
                        for p_averaged, p_model in zip(self_params, model_params):
                            p_averaged.copy_(avg_fn(p_averaged, p_model, n_averaged))
            else:
                for p_averaged, p_model in zip(self_param_detached, model_param_detached):
                    n_averaged = self.n_averaged.to(p_averaged.device)
                    p_averaged.detach().copy_(self.avg_fn(p_averaged.detach(), p_model, n_averaged))
        if not self.use_buffers:
            # without averaging the buffers, keep them in sync with the source model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged += 1


def _grouped(averaged, current):
    """The pairs of lists of ``averaged`` and ``current`` tensors sharing a device and dtype
    (torch groups them so that each list goes to one foreach kernel)."""
    groups = {}
    for p_averaged, p_model in zip(averaged, current, strict=True):
        key = (str(p_averaged.device), p_averaged.dtype)
        pair = groups.setdefault(key, ([], []))
        pair[0].append(p_averaged)
        pair[1].append(p_model)
    return list(groups.values())


@no_grad()
def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``.

    The running mean and variance are reset, then accumulated as a cumulative (equal-weight)
    average over the batches; the modules' momentum and the model's training mode are
    restored afterwards.

    Args:
        loader: an iterable of batches; a list or tuple batch contributes its first element.
        model: the model whose BatchNorm statistics are recomputed.
        device: where to move each batch before the forward pass (default: as it is).

    Example:
        >>> update_bn(loader, swa_model)
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]
        if device is not None:
            input = input.to(device)
        model(input)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each parameter group's learning rate to a fixed ``swa_lr``.

    Over ``anneal_epochs`` steps the rate moves from its value to ``swa_lr`` along a cosine
    (``"cos"``) or a line (``"linear"``), then stays at ``swa_lr``: with
    ``t = clamp(step / max(1, anneal_epochs), 0, 1)`` and ``alpha`` the annealing function of
    ``t``, ``lr = swa_lr * alpha + lr_0 * (1 - alpha)``, where ``lr_0`` is the rate before
    annealing (recovered from the current rate).

    Args:
        optimizer: the wrapped optimizer.
        swa_lr: the rate to anneal to, one for all groups or a list with one per group.
        anneal_epochs: the number of annealing steps. Default: 10.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        last_epoch: the index of the last epoch. Default: -1.

    Raises:
        ValueError: an unknown ``anneal_strategy`` or a negative or non-int ``anneal_epochs``.

    Example:
        >>> swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=5)
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for swa_lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = swa_lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        """The rates of the current step (call ``get_last_lr()`` from outside ``step()``)."""
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, "
                "please use `get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
            for group in self.optimizer.param_groups
        ]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)
        ]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        if anneal_strategy == "cos":
            self.anneal_func = self._cosine_anneal
        else:
            self.anneal_func = self._linear_anneal

    def state_dict(self):
        """The scheduler's state: every attribute except the optimizer and the anneal
        function (restored from the strategy's name)."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "anneal_func")
        }

    def load_state_dict(self, state_dict):
        """Load a state from ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
