"""ASGD: stochastic gradient descent that also keeps a running average of the iterates."""

from __future__ import annotations

import numpy as np

from .. import backend
from .._dtype import get_default_dtype
from .._tensor import Tensor
from .optimizer import Optimizer, _check_lr, _check_value, _gradient, _scalar_dtype, _zeros_like

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (Polyak & Juditsky, 1992), as ``torch.optim.ASGD``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``), at step ``t``,
    with ``eta`` (starting at ``lr``) and ``mu`` (starting at 1)::

        g = g + weight_decay * x
        x = x * (1 - lambd * eta) - eta * g
        ax = ax + mu * (x - ax)              (ax = x while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    ``ax`` holds the average of the iterates from step ``t0`` on: the averaged parameters
    are ``optimizer.state[x]["ax"]``, while ``x`` itself follows plain (decaying) SGD.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-2.
        lambd: decay term. Default: 1e-4.
        alpha: power of the decay of ``eta``. Default: 0.75.
        t0: the step from which the average starts. Default: 1e6.
        weight_decay: L2 penalty. Default: 0.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.

    State per parameter: ``step``, ``eta`` and ``mu``, 0-d tensors on the parameter's device
    (as torch keeps them, ``step`` included), and ``ax``.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        _check_lr(lr)
        _check_value("weight_decay", weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            if not state:
                for name, value in (("step", 0.0), ("eta", lr), ("mu", 1.0)):
                    state[name] = _device_scalar(value, p.device)
                state["ax"] = _zeros_like(x)
            step_t, eta_t, mu_t = state["step"]._data, state["eta"]._data, state["mu"]._data
            step_t += 1
            step = float(step_t)
            g = _gradient(x, p.grad._data, group["weight_decay"], group["maximize"])

            eta = float(eta_t)
            x *= 1 - lambd * eta  # the decay term
            work = xp.empty_like(x)
            xp.multiply(g, eta, out=work)
            x -= work

            ax, mu = state["ax"]._data, float(mu_t)
            if mu != 1:
                xp.subtract(x, ax, out=work)
                work *= mu
                ax += work
            else:
                ax[...] = x

            # torch rounds the new values to the default dtype (``torch.as_tensor``) before
            # copying them in, which matters once a loaded state made eta and mu float64
            default = get_default_dtype().np.type
            eta_t[...] = default(lr / ((1 + lambd * lr * step) ** alpha))
            mu_t[...] = default(1 / max(1, step - t0))


def _device_scalar(value, device):
    """A 0-d tensor of torch's scalar dtype holding ``value`` on ``device``."""
    return Tensor._make(backend.to_device(np.array(value, dtype=_scalar_dtype()), device))
