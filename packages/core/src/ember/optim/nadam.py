"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

from .. import backend
from .optimizer import (
    Optimizer,
    _addcdiv_,
    _check_betas,
    _check_lr,
    _check_value,
    _count_step,
    _decay_square_,
    _gradient,
    _lerp_,
    _scalar_state,
    _zeros_like,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``,
    with momentum schedule ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))``::

        g = g + weight_decay * x     (or x = x * (1 - lr * weight_decay) if decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        d = sqrt(v / (1 - beta2**t)) + eps
        x = x - lr * (1 - mu_t) / (1 - mu_1...mu_t) * g / d
              - lr * mu_{t+1} / (1 - mu_1...mu_{t+1}) * m / d

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 2e-3.
        betas: decay rates of the running averages of the gradient and its square.
            Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        momentum_decay: the momentum schedule's decay. Default: 4e-3.
        decoupled_weight_decay: decay the weights directly, as AdamW does. Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.
        foreach: accepted for compatibility with torch; Ember has one implementation.

    State per parameter: ``step``, ``mu_product`` (0-d tensors), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        maximize=False,
        foreach=None,
    ):
        _check_lr(lr)
        _check_value("epsilon", eps)
        _check_betas(betas)
        _check_value("weight_decay", weight_decay)
        _check_value("momentum_decay", momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        for p in params:
            x = p._data
            xp = backend.array_module(x)
            state = self.state[p]
            if not state:
                state["step"] = _scalar_state(0.0)
                state["mu_product"] = _scalar_state(1.0)
                state["exp_avg"] = _zeros_like(x)
                state["exp_avg_sq"] = _zeros_like(x)
            step = _count_step(state["step"])
            if decoupled and weight_decay != 0:
                x *= 1 - lr * weight_decay
            g = _gradient(x, p.grad._data, 0 if decoupled else weight_decay, maximize)

            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product = state["mu_product"]._data
            mu_product *= mu  # kept in float32, as torch does
            mu_product = float(mu_product)

            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            work, denom = xp.empty_like(x), xp.empty_like(x)
            _lerp_(xp, exp_avg, g, 1 - beta1, work)
            _decay_square_(xp, exp_avg_sq, beta2, g, work)
            xp.divide(exp_avg_sq, 1 - beta2**step, out=denom)
            xp.sqrt(denom, out=denom)
            denom += eps
            _addcdiv_(xp, x, -lr * (1.0 - mu) / (1.0 - mu_product), g, denom, work)
            _addcdiv_(xp, x, -lr * mu_next / (1.0 - mu_product * mu_next), exp_avg, denom, work)
