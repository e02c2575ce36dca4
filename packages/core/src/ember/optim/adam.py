"""Adam and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..ops import _cuda
from .optimizer import (
    Optimizer,
    _adam_gradient,
    _adam_moments_,
    _addcdiv_,
    _check_adam_args,
    _next_step,
    _slices,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (Kingma & Ba, 2014).

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``::

        x = x * (1 - lr * weight_decay)    if decoupled_weight_decay (AdamW)
        g = g + weight_decay * x           otherwise (L2 penalty)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)              with amsgrad, which then uses v_max for v
        x = x - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        betas: decay rates of the running averages of the gradient and its square.
            Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: weight decay (an L2 penalty unless decoupled). Default: 0.
        amsgrad: use the AMSGrad variant (Reddi et al., 2018). Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.
        decoupled_weight_decay: decay the weights directly, as AdamW. Default: False.
        foreach, fused: accepted for compatibility with torch; Ember has one implementation.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State per parameter: ``step`` (a float32 0-d tensor), ``exp_avg``, ``exp_avg_sq`` and,
    with amsgrad, ``max_exp_avg_sq``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        amsgrad = group["amsgrad"]
        buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            step = _next_step(state, x, buffers)
            g = _adam_gradient(x, p.grad._data, group)

            step_size = lr / (1 - beta1**step)
            bias_correction2 = math.sqrt(1 - beta2**step)
            moments = [state[name]._data for name in buffers]
            if xp is not np:  # one kernel for the whole update
                _cuda.adam_(x, g, moments, group["betas"], step_size, bias_correction2, eps)
                continue
            # all passes of the update over one cache-sized slice at a time (see _slices):
            # the text benchmark's train step (a 20000 x 64 embedding) took 0.925x the time
            for xs, gs, m, v, *v_max in _slices(x, g, *moments):
                work = xp.empty_like(xs)
                _adam_moments_(xp, m, v, gs, group["betas"], work)
                if amsgrad:
                    v = xp.maximum(v_max[0], v, out=v_max[0])
                denom = xp.sqrt(v)
                denom /= bias_correction2
                denom += eps
                _addcdiv_(xp, xs, -step_size, m, denom, work)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as
    ``torch.optim.AdamW``.

    Each step first shrinks the weights, ``x = x * (1 - lr * weight_decay)``, then takes the
    Adam step without an L2 term. Arguments are Adam's, with ``weight_decay`` defaulting
    to 1e-2.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
