"""RMSprop: scale each step by a running root mean square of the gradient."""

from __future__ import annotations

from .. import backend
from .optimizer import (
    Optimizer,
    _addcdiv_,
    _check_lr,
    _check_value,
    _decay_square_,
    _gradient,
    _lerp_,
    _next_step,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes; centered version by Graves, 2013), as
    ``torch.optim.RMSprop``.

    For each parameter ``x`` with gradient ``g`` (``g = -g`` when ``maximize``)::

        g = g + weight_decay * x
        v = alpha * v + (1 - alpha) * g**2
        a = alpha * a + (1 - alpha) * g           (centered only)
        d = sqrt(v - a**2) + eps if centered else sqrt(v) + eps
        b = momentum * b + g / d;  x = x - lr * b  (momentum > 0)
        x = x - lr * g / d                        (otherwise)

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-2.
        alpha: smoothing constant. Default: 0.99.
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        momentum: momentum factor. Default: 0.
        centered: normalise by an estimate of the gradient's variance. Default: False.
        capturable: must be False: Ember has no CUDA graphs, and raises
            NotImplementedError when it is True. Default: False.
        foreach: accepted for compatibility with torch; Ember has one implementation.
        maximize: maximize the objective instead of minimizing it. Default: False.
        differentiable: must be False: Ember cannot differentiate through the step, and
            raises NotImplementedError when it is True. Default: False.

    State per parameter: ``step``, ``square_avg``, plus ``momentum_buffer`` (momentum > 0)
    and ``grad_avg`` (centered).
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        _check_lr(lr)
        _check_value("epsilon", eps)
        _check_value("momentum", momentum)
        _check_value("weight_decay", weight_decay)
        _check_value("alpha", alpha)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        buffers = ["square_avg"]
        if momentum > 0:
            buffers.append("momentum_buffer")
        if centered:
            buffers.append("grad_avg")
        for p in params:
            x, xp, state = p._data, backend.array_module(p._data), self.state[p]
            _next_step(state, x, buffers)
            g = _gradient(x, p.grad._data, weight_decay, maximize)

            work = xp.empty_like(x)
            square_avg = state["square_avg"]._data
            _decay_square_(xp, square_avg, alpha, g, work)
            avg = xp.empty_like(x)
            if centered:
                grad_avg = state["grad_avg"]._data
                _lerp_(xp, grad_avg, g, 1 - alpha, work)
                # square_avg.addcmul(grad_avg, grad_avg, value=-1), rounded as torch does
                xp.negative(grad_avg, out=avg)
                avg *= grad_avg
                avg += square_avg
                xp.sqrt(avg, out=avg)
            else:
                xp.sqrt(square_avg, out=avg)
            avg += eps
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= momentum
                xp.divide(g, avg, out=work)
                buf += work
                xp.multiply(buf, lr, out=work)
                x -= work
            else:
                _addcdiv_(xp, x, -lr, g, avg, work)
