"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from .. import backend
from .optimizer import Optimizer, _addcdiv_, _check_adam_args, _gradient, _lerp_, _next_step

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7), as ``torch.optim.Adamax``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``::

        g = g + weight_decay * x
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        x = x - lr / (1 - beta1**t) * m / u

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 2e-3.
        betas: decay rates of the running average and of the infinity norm.
            Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.

    State per parameter: ``step``, ``exp_avg`` and ``exp_inf``.
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            step = _next_step(state, x, ("exp_avg", "exp_inf"))
            g = _gradient(x, p.grad._data, weight_decay, maximize)

            exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
            work = xp.empty_like(x)
            _lerp_(xp, exp_avg, g, 1 - beta1, work)
            exp_inf *= beta2
            xp.abs(g, out=work)
            work += eps
            xp.maximum(exp_inf, work, out=exp_inf)
            clr = lr / (1 - beta1**step)
            _addcdiv_(xp, x, -clr, exp_avg, exp_inf, work)
