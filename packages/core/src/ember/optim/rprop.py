"""Rprop: resilient backpropagation, a per-element step size driven by the gradient's sign."""

from __future__ import annotations

from .. import backend
from .._tensor import Tensor
from .optimizer import Optimizer, _check_lr, _count_step, _scalar_state, _zeros_like

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """The resilient backpropagation algorithm (Riedmiller & Braun, 1993), as
    ``torch.optim.Rprop``.

    Each element of a parameter ``x`` keeps its own step size ``s`` (starting at ``lr``)
    and its previous gradient ``p`` (starting at 0). With gradient ``g`` (``g = -g`` when
    ``maximize``)::

        s = min(s * etaplus, step_size_max)    where g * p > 0
        s = max(s * etaminus, step_size_min)   where g * p < 0  (and there g = 0)
        x = x - sign(g) * s
        p = g

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate, the initial step size. Default: 1e-2.
        etas: ``(etaminus, etaplus)``, the factors that shrink and grow the step sizes.
            Default: (0.5, 1.2).
        step_sizes: the smallest and the largest step size allowed. Default: (1e-6, 50).
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State per parameter: ``step``, ``prev`` (the last gradient, 0 where the sign flipped)
    and ``step_size``.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            g = p.grad._data
            if not state:
                state["step"] = _scalar_state(0.0)
                state["prev"] = _zeros_like(x)
                state["step_size"] = Tensor._make(xp.full_like(g, group["lr"]))
            _count_step(state["step"])
            prev, step_size = state["prev"]._data, state["step_size"]._data

            # sign = sign(g * prev), then etaplus where > 0, etaminus where < 0, 1 where 0
            sign = xp.empty_like(step_size)
            xp.multiply(g, prev, out=sign)
            if group["maximize"]:
                xp.negative(sign, out=sign)
            xp.sign(sign, out=sign)
            sign[sign > 0] = etaplus
            sign[sign < 0] = etaminus
            sign[sign == 0] = 1
            step_size *= sign
            xp.clip(step_size, step_size_min, step_size_max, out=step_size)

            # the new gradient, zeroed where its sign flipped, becomes ``prev``
            if group["maximize"]:
                xp.negative(g, out=prev)
            else:
                prev[...] = g
            prev[sign == etaminus] = 0
            xp.sign(prev, out=sign)
            sign *= step_size
            x -= sign
