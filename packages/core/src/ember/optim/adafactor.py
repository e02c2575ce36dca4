"""Adafactor: Adam-like steps with a factored (row times column) second moment."""

from __future__ import annotations

import numpy as np

from .. import backend
from .._tensor import Tensor
from .optimizer import Optimizer, _count_step, _gradient, _lerp_, _scalar_state

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), as ``torch.optim.Adafactor``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``::

        beta2_t = 1 - t**beta2_decay
        rho_t = min(lr, 1 / sqrt(t))
        alpha_t = max(eps2, RMS(x)) * rho_t
        x = x * (1 - lr * weight_decay)
        if g has 2 or more dimensions (factored over the last two):
            R = beta2_t * R + (1 - beta2_t) * mean(g**2, dim=-1)
            C = beta2_t * C + (1 - beta2_t) * mean(g**2, dim=-2)
            V = R @ C / max(mean(R, dim=-2), eps1)
        else:
            V = beta2_t * V + (1 - beta2_t) * g**2
        U = g / max(sqrt(V), eps1)
        x = x - alpha_t * U / max(1, RMS(U) / d)

    As in torch, ``lr`` only caps the relative step size ``rho_t`` and scales the (decoupled)
    weight decay, and ``eps1`` stabilises ``V`` and ``U`` rather than the factors.

    Args:
        params: tensors or parameter groups to optimize.
        lr: maximum relative step size, and the weight decay's coefficient. Default: 1e-2.
        beta2_decay: the decay rate of beta2 (the running average's coefficient).
            Default: -0.8.
        eps: ``(eps1, eps2)``: eps1 (None: the machine epsilon of the parameters' dtype)
            guards the denominators; eps2 is the smallest parameter RMS a step scales with.
            Default: (None, 1e-3).
        d: the clipping threshold of the update's RMS. Default: 1.0.
        weight_decay: weight decay coefficient. Default: 0.0.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.

    State per parameter: ``step`` and, for a gradient of 2 or more dimensions, ``row_var``
    (shaped like it with the last dimension 1) and ``col_var`` (the second to last 1);
    otherwise ``variance``, shaped like the parameter.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay=-0.8,
        eps=(None, 1e-3),
        d=1.0,
        weight_decay=0.0,
        *,
        foreach=None,
        maximize=False,
    ):
        if not lr >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not beta2_decay <= 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not eps[0] >= 0.0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not eps[1] >= 0.0:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not d >= 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(
            lr=lr,
            beta2_decay=beta2_decay,
            eps=eps,
            d=d,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        for p in params:
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
        lr, d, weight_decay = group["lr"], group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if eps1 is None:  # as torch: the first parameter's dtype decides for the whole group
            eps1 = float(np.finfo(params[0]._data.dtype).eps)
        for p in params:
            x, xp = p._data, backend.array_module(p._data)
            g = _gradient(x, p.grad._data, 0, group["maximize"])
            state = self.state[p] or self._init_state(p, g)
            step = _count_step(state["step"])
            one_minus_beta2 = step ** group["beta2_decay"]
            rho = min(lr, 1 / step**0.5)
            alpha = max(eps2, _rms(x)) * rho
            if weight_decay != 0:
                x *= 1 - lr * weight_decay

            squares = g * g
            if g.ndim > 1:
                row_var, col_var = state["row_var"]._data, state["col_var"]._data
                # torch's (g * g).mean(dim) is norm(g, dim)**2 / size: a root, then its square
                row_mean = xp.sqrt(squares.sum(axis=-1, keepdims=True)) ** 2 / g.shape[-1]
                _lerp_(xp, row_var, row_mean, one_minus_beta2, xp.empty_like(row_var))
                col_mean = xp.sqrt(squares.sum(axis=-2, keepdims=True)) ** 2 / g.shape[-2]
                _lerp_(xp, col_var, col_mean, one_minus_beta2, xp.empty_like(col_var))
                var = row_var * col_var  # torch's row_var @ col_var: an outer product
                var = var / xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
            else:
                variance = state["variance"]._data
                _lerp_(xp, variance, squares, one_minus_beta2, xp.empty_like(variance))
                var = variance
            # eps1 squared before the root keeps its magnitude (torch's clamp, then rsqrt)
            update = 1 / xp.sqrt(xp.maximum(var, eps1 * eps1)) * g
            denom = max(1.0, _rms(update) / d)
            x += update * (-alpha / denom)

    def _init_state(self, p, g):
        xp = backend.array_module(g)
        state = self.state[p]
        state["step"] = _scalar_state(0.0)
        if g.ndim > 1:
            state["row_var"] = Tensor._make(xp.zeros(g.shape[:-1] + (1,), dtype=g.dtype))
            state["col_var"] = Tensor._make(
                xp.zeros(g.shape[:-2] + (1, g.shape[-1]), dtype=g.dtype)
            )
        else:
            state["variance"] = Tensor._make(xp.zeros_like(g))
        return state


def _rms(x):
    """The root mean square of array ``x`` as a Python float (torch's ``norm / sqrt(numel)``,
    which an empty ``x`` fails with ZeroDivisionError, as in torch)."""
    return float(backend.array_module(x).linalg.norm(x)) / x.size**0.5
