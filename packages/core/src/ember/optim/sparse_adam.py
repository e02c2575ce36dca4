"""SparseAdam: Adam that updates only the rows a gradient touches."""

from __future__ import annotations

import math

from .. import backend
from .optimizer import Optimizer, _check_betas, _gradient, _zeros_like

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """A masked Adam, as ``torch.optim.SparseAdam``: only the entries a gradient touches have
    their moments and values updated; the rest keep theirs, moments included.

    For the touched entries of each parameter ``x`` with gradient ``g`` (``g = -g`` when
    ``maximize``), at step ``t`` (counted for every step the parameter has a gradient)::

        m = m + (1 - beta1) * (g - m)
        v = v + (1 - beta2) * (g**2 - v)
        x = x - lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)

    torch requires sparse gradients (the ``nn.Embedding(sparse=True)`` kind, whose stored
    rows are the rows looked up) and raises on dense ones. Ember has no sparse tensors, and
    its ``Embedding(sparse=True)`` gives a dense gradient, so SparseAdam takes dense
    gradients instead: the rows touched are the slices along the first dimension (the
    entries of a 1-D parameter) where the gradient has a nonzero value. That gives torch's
    result for an embedding, except for a row that was looked up but got an all-zero
    gradient, which torch updates (its moments decay) and Ember leaves alone.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        betas: decay rates of the running averages of the gradient and its square.
            Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        maximize: maximize the objective instead of minimizing it. Default: False.

    State per parameter: ``step`` (a Python int, as in torch), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if not lr > 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps > 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        complex_params = [
            [index, d_index]
            for index, group in enumerate(self.param_groups)
            for d_index, p in enumerate(group["params"])
            if p.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support "
                "complex parameters"
            )

    def _update_group(self, group, params):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = _zeros_like(p._data)
                state["exp_avg_sq"] = _zeros_like(p._data)
            state["step"] += 1
            step = state["step"]
            # a 0-d parameter is one row: atleast_1d views it (and its state) as shape (1,)
            xp = backend.array_module(p._data)
            x, exp_avg, exp_avg_sq = (
                xp.atleast_1d(a._data) for a in (p, state["exp_avg"], state["exp_avg_sq"])
            )
            g = xp.atleast_1d(_gradient(p._data, p.grad._data, 0, group["maximize"]))
            rows = xp.flatnonzero(g.any(axis=tuple(range(1, g.ndim))))
            if rows.size == 0:  # torch skips an empty gradient too (its step still counts)
                continue
            values = g[rows]
            # torch's order of operations, on the touched rows only
            old_exp_avg = exp_avg[rows]
            exp_avg_update = (values - old_exp_avg) * (1 - beta1)
            exp_avg[rows] += exp_avg_update
            old_exp_avg_sq = exp_avg_sq[rows]
            exp_avg_sq_update = (values * values - old_exp_avg_sq) * (1 - beta2)
            exp_avg_sq[rows] += exp_avg_sq_update
            numer = exp_avg_update + old_exp_avg
            denom = xp.sqrt(exp_avg_sq_update + old_exp_avg_sq) + eps
            step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
            x[rows] += -step_size * (numer / denom)
