"""Stochastic gradient descent, with optional momentum and Nesterov momentum."""

from __future__ import annotations

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..ops import _cuda
from .optimizer import Optimizer, _check_lr, _check_value, _gradient, _slices

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``)::

        g = g + weight_decay * x
        b = g                                       (first step)
        b = momentum * b + (1 - dampening) * g      (later steps)
        g = g + momentum * b if nesterov else b     (when momentum != 0)
        x = x - lr * g

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        momentum: momentum factor. Default: 0.
        dampening: dampening for momentum. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        nesterov: use Nesterov momentum. Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.
        foreach, fused: accepted for compatibility with torch; Ember has one implementation.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State: ``momentum_buffer`` per parameter when ``momentum != 0``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        _check_lr(lr)
        _check_value("momentum", momentum)
        _check_value("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = (
            group["weight_decay"],
            group["nesterov"],
            group["maximize"],
        )
        for p in params:
            x = p._data
            g = _gradient(x, p.grad._data, weight_decay, maximize)
            if momentum == 0:
                for xs, gs in _slices(x, g):
                    xs += gs * -lr
                continue
            state = self.state[p]
            buf = state.get("momentum_buffer")
            first = buf is None
            if first:
                # xp.array, not g.copy(): arithmetic on a 0-d array gives a numpy scalar
                buf = backend.array_module(x).array(g)
                state["momentum_buffer"] = Tensor._make(buf)
            else:
                buf = buf._data
            if backend.array_module(x) is not np:  # one kernel for the whole update
                _cuda.sgd_(x, buf, g, lr, momentum, dampening, nesterov, first)
                continue
            # one pass over memory for the buffer and the weights together (see _slices): the
            # VGG-11 train step's update went from ~150 to ~95 ms
            for xs, gs, bs in _slices(x, g, buf):
                if not first:
                    bs *= momentum
                    bs += gs if dampening == 0 else gs * (1 - dampening)
                xs += (gs + bs * momentum if nesterov else bs) * -lr
