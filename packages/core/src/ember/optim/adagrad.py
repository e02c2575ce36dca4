"""Adagrad: per-coordinate steps scaled by the accumulated squared gradients."""

from __future__ import annotations

from .. import backend
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    _addcdiv_,
    _check_lr,
    _check_value,
    _count_step,
    _gradient,
    _scalar_state,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``::

        g = g + weight_decay * x
        s = s + g**2
        x = x - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-2.
        lr_decay: learning rate decay. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        initial_accumulator_value: starting value of the sum of squares. Default: 0.
        eps: added to the denominator for numerical stability. Default: 1e-10.
        foreach, fused: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State per parameter (created at construction, as in torch): ``step`` and ``sum``.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        _check_lr(lr)
        _check_value("lr_decay", lr_decay)
        _check_value("weight_decay", weight_decay)
        _check_value("initial_accumulator_value", initial_accumulator_value)
        _check_value("epsilon", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = _scalar_state(0.0)
        sum_ = backend.array_module(p._data).full_like(p._data, group["initial_accumulator_value"])
        state["sum"] = Tensor._make(sum_)
        return state

    def _update_group(self, group, params):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x = p._data
            xp = backend.array_module(x)
            state = self.state[p] or self._init_state(p, group)  # groups added later
            step = _count_step(state["step"])
            g = _gradient(x, p.grad._data, weight_decay, maximize)
            clr = lr / (1 + (step - 1) * lr_decay)

            sum_ = state["sum"]._data
            work = xp.empty_like(x)
            xp.multiply(g, g, out=work)
            sum_ += work
            std = xp.sqrt(sum_)
            std += eps
            _addcdiv_(xp, x, -clr, g, std, work)
