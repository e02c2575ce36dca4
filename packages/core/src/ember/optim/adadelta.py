"""Adadelta: steps sized by the ratio of running RMS of updates and of gradients."""

from __future__ import annotations

from .. import backend
from .optimizer import (
    Optimizer,
    _check_lr,
    _check_value,
    _decay_square_,
    _gradient,
    _next_step,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``)::

        g = g + weight_decay * x
        v = rho * v + (1 - rho) * g**2
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d**2
        x = x - lr * d

    Args:
        params: tensors or parameter groups to optimize.
        lr: coefficient that scales the delta before it is applied. Default: 1.0.
        rho: decay rate of the running averages. Default: 0.9.
        eps: added inside the square roots for numerical stability. Default: 1e-6.
        weight_decay: L2 penalty. Default: 0.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State per parameter: ``step``, ``square_avg`` (``v``) and ``acc_delta`` (``u``).
    """

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        _check_lr(lr)
        _check_value("rho", rho, high=1.0)
        _check_value("epsilon", eps)
        _check_value("weight_decay", weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            _next_step(state, x, ("square_avg", "acc_delta"))
            g = _gradient(x, p.grad._data, weight_decay, maximize)

            square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
            std, delta = xp.empty_like(x), xp.empty_like(x)
            _decay_square_(xp, square_avg, rho, g, std)
            xp.add(square_avg, eps, out=std)
            xp.sqrt(std, out=std)
            xp.add(acc_delta, eps, out=delta)
            xp.sqrt(delta, out=delta)
            delta /= std
            delta *= g
            _decay_square_(xp, acc_delta, rho, delta, std)
            xp.multiply(delta, lr, out=std)
            x -= std
