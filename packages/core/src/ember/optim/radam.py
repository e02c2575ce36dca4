"""RAdam: Adam with a rectified, variance-aware warm-up."""

from __future__ import annotations

from .. import backend
from .optimizer import Optimizer, _adam_gradient, _adam_moments_, _check_adam_args, _next_step

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al., 2019), as ``torch.optim.RAdam``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``::

        g = g + weight_decay * x     (or x = x * (1 - lr * weight_decay) if decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        x = x - lr * m / (1 - beta1**t) * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)
                                                        if rho_t > 5, else
        x = x - lr * m / (1 - beta1**t)

    where ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        betas: decay rates of the running averages of the gradient and its square.
            Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        decoupled_weight_decay: decay the weights directly, as AdamW does. Default: False.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State per parameter: ``step``, ``exp_avg`` and ``exp_avg_sq``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        rho_inf = 2 / (1 - beta2) - 1
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            step = _next_step(state, x, ("exp_avg", "exp_avg_sq"))
            g = _adam_gradient(x, p.grad._data, group)

            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            work = xp.empty_like(x)
            _adam_moments_(xp, exp_avg, exp_avg_sq, g, group["betas"], work)
            bias_correction2 = 1 - beta2**step
            rho_t = rho_inf - 2 * step * beta2**step / bias_correction2

            # torch's rounding order: ((m / bc1) * lr) * adaptive_lr * rect
            update = exp_avg / (1 - beta1**step)
            update *= lr
            if rho_t > 5.0:
                rect = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
                xp.sqrt(exp_avg_sq, out=work)
                work += eps
                xp.divide(bias_correction2**0.5, work, out=work)
                update *= work
                update *= rect
            x -= update
