"""Automatic differentiation: grad modes, ``backward``/``grad``, custom Functions, gradcheck,
anomaly detection, and ``functional`` (Jacobians, Hessians and their vector products)."""

from __future__ import annotations

from . import anomaly_mode, functional
from . import function as _function
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Node, backward, grad
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function",
    "Node",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "detect_anomaly",
    "set_detect_anomaly",
]


class Function(_function.Function):
    """Base class for user-defined differentiable operations, exactly as in torch.

    Subclass it with static ``forward(ctx, *args)`` (receives and returns tensors; runs with
    grad recording off) and ``backward(ctx, *grads)`` (one gradient or None per input), then
    call ``MyOp.apply(*args)``. ``ctx.save_for_backward(*tensors)`` and ``ctx.saved_tensors``
    carry tensors between them; ``ctx.needs_input_grad`` says which inputs need a gradient.

    Example:
        >>> class Exp(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, gy):
        ...         (y,) = ctx.saved_tensors
        ...         return gy * y
    """

    _user_defined = True

    @classmethod
    def apply(cls, *args, **kwargs):
        tensors = [a for a in args if isinstance(a, _function.Tensor)]
        if is_grad_enabled() and any(t.requires_grad for t in tensors):
            return _UserForward.apply(*args, _call=(cls, args, kwargs))
        ctx = _function.Node._new(cls)
        ctx.needs_input_grad = (False,) * len(args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        # an input handed back comes out as a new tensor that does not require grad, as in torch
        if isinstance(out, tuple):
            return tuple(_unaliased(o, tensors) for o in out)
        return _unaliased(out, tensors)


def _unaliased(output, inputs):
    return output.detach() if any(output is t for t in inputs) else output


class _UserForward(_function.Function):
    """Runs a user-defined Function's forward inside ``Function.apply``, which records it like
    any operation; the node then belongs to the user's class, whose backward the engine calls.
    """

    @staticmethod
    def forward(ctx, *arrays, _call):
        cls, args, kwargs = _call
        ctx.fn = cls
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        # the engine gets arrays, as from built-in operations: saved input and output tensors
        # are matched by their arrays and come back graph-connected in backward
        ctx._to_save = tuple(
            t._data if isinstance(t, _function.Tensor) else t for t in ctx._to_save
        )
        if isinstance(out, tuple):  # (other values than tensors pass through)
            return tuple(o._data if isinstance(o, _function.Tensor) else o for o in out)
        return out._data
