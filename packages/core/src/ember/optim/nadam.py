"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

from .. import backend
from .optimizer import (
    Optimizer,
    _adam_gradient,
    _adam_moments_,
    _addcdiv_,
    _check_adam_args,
    _check_value,
    _next_step,
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
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

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
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check_adam_args(lr, betas, eps, weight_decay)
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
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        momentum_decay = group["momentum_decay"]
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            step = _next_step(state, x, ("exp_avg", "exp_avg_sq"), mu_product=1.0)
            g = _adam_gradient(x, p.grad._data, group)

            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product = state["mu_product"]._data
            mu_product *= mu  # kept in float32, as torch does
            mu_product = float(mu_product)

            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            work, denom = xp.empty_like(x), xp.empty_like(x)
            _adam_moments_(xp, exp_avg, exp_avg_sq, g, group["betas"], work)
            xp.divide(exp_avg_sq, 1 - beta2**step, out=denom)
            xp.sqrt(denom, out=denom)
            denom += eps
            _addcdiv_(xp, x, -lr * (1.0 - mu) / (1.0 - mu_product), g, denom, work)
            _addcdiv_(xp, x, -lr * mu_next / (1.0 - mu_product * mu_next), exp_avg, denom, work)
