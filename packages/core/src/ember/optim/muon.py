"""Muon: momentum SGD whose update is orthogonalised by a Newton-Schulz iteration."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from .._tensor import Tensor
from .optimizer import Optimizer, _lerp_

__all__ = ["Muon"]

# Keller Jordan's coefficients (https://kellerjordan.github.io/posts/muon/), as torch's
EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


class Muon(Optimizer):
    """Muon (Jordan et al., 2024), as ``torch.optim.Muon``: for 2-D parameters (the weights of
    hidden layers; optimize biases and embeddings with AdamW or similar).

    For each parameter ``x`` (a matrix of shape ``(A, B)``) with gradient ``g``::

        b = momentum * b + (1 - momentum) * g            (torch's lerp)
        u = g + momentum * (b - g) if nesterov else b
        O = NS(u)                                        (ns_steps Newton-Schulz iterations)
        x = x * (1 - lr * weight_decay)
        x = x - lr * ratio * O

    ``NS`` scales ``u`` to unit Frobenius norm (at least ``eps``), transposes it when it is
    tall, then repeats ``X = a X + (b G + c G G) X`` with ``G = X X^T``: a quintic whose
    fixed point is near the orthogonal factor of ``u``. As in torch, the iteration runs in
    bfloat16, which Ember emulates in float32 by rounding every result to bfloat16 (round to
    nearest even), so updates agree with torch's to bfloat16 precision. The rounding of
    ``u`` itself is a step function, though: where torch's fused lerp and Ember's two
    roundings leave ``u`` a float32 last place apart across a bfloat16 rounding boundary, the
    iteration (slope ``a`` at zero, five times) amplifies that along ``u``'s small singular
    directions, so steps can then differ by up to a percent.

    ``ratio`` is ``sqrt(max(1, A / B))`` for ``adjust_lr_fn`` None or ``"original"`` (Keller
    Jordan's), ``0.2 * sqrt(max(A, B))`` for ``"match_rms_adamw"`` (Moonshot's, which lets
    Muon reuse AdamW's learning rate and weight decay).

    Args:
        params: 2-D tensors or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        weight_decay: weight decay (decoupled). Default: 0.1.
        momentum: momentum factor. Default: 0.95.
        nesterov: use Nesterov momentum. Default: True.
        ns_coefficients: the coefficients ``(a, b, c)`` of the Newton-Schulz polynomial.
            Default: (3.4445, -4.7750, 2.0315).
        eps: the smallest norm ``u`` is divided by. Default: 1e-7.
        ns_steps: number of Newton-Schulz iterations (less than 100). Default: 5.
        adjust_lr_fn: ``None``, ``"original"`` or ``"match_rms_adamw"``. Default: None.

    State per parameter: ``momentum_buffer``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        weight_decay=0.1,
        momentum=0.95,
        nesterov=True,
        ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps=EPS,
        ns_steps=DEFAULT_NS_STEPS,
        adjust_lr_fn=None,
    ):
        if not lr >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not momentum >= 0.0:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(
            lr=lr,
            weight_decay=weight_decay,
            momentum=momentum,
            nesterov=nesterov,
            ns_coefficients=ns_coefficients,
            eps=eps,
            ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {p.size()}"
                    )

    def _update_group(self, group, params):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        # as torch: every buffer exists before the first update, which may then raise
        for p in params:
            if p.is_complex():
                raise RuntimeError("Muon does not support complex parameters")
            if "momentum_buffer" not in self.state[p]:
                xp = backend.array_module(p.grad._data)
                self.state[p]["momentum_buffer"] = Tensor._make(xp.zeros_like(p.grad._data))
        for p in params:
            x, g = p._data, p.grad._data
            if g.ndim != 2:
                raise ValueError("Param gradient must be a 2D matrix")
            xp = backend.array_module(x)
            buf = self.state[p]["momentum_buffer"]._data
            work = xp.empty_like(buf)
            _lerp_(xp, buf, g, 1 - momentum, work)
            if group["nesterov"]:
                update = g.copy()
                _lerp_(xp, update, buf, momentum, work)
            else:
                update = buf
            ortho = _zeropower_via_newtonschulz(
                update, group["ns_coefficients"], group["ns_steps"], group["eps"]
            )
            x *= 1 - lr * weight_decay
            x += ortho.astype(x.dtype, copy=False) * -_adjust_lr(lr, group["adjust_lr_fn"], x.shape)


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """torch's Newton-Schulz orthogonalisation of the matrix ``grad``, in emulated bfloat16:
    a float32 array holding bfloat16 values, each torch operation's result rounded once (as
    torch's CPU kernels do: they compute in float32 and round the result)."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    xp = backend.array_module(grad)
    ortho = _round_bfloat16(grad.astype(np.float32))
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        ortho = ortho.T
    norm = _round_bfloat16(xp.sqrt(xp.sum(ortho * ortho)))
    floor = float(_round_bfloat16(np.float32(eps)))  # a host scalar, for cupy arrays too
    ortho = _round_bfloat16(ortho / xp.maximum(norm, floor))
    for _ in range(ns_steps):
        gram = _round_bfloat16(ortho @ ortho.T)
        gram_update = _round_bfloat16(b * gram + c * (gram @ gram))  # addmm: one rounding
        ortho = _round_bfloat16(a * ortho + gram_update @ ortho)
    return ortho.T if tall else ortho


def _round_bfloat16(x):
    """Float32 array (or scalar) ``x`` rounded to bfloat16's 8 significant bits, to nearest
    even, as torch converts float to bfloat16 (nan stays nan)."""
    xp = backend.array_module(x)
    x = xp.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32)
    # adding 0x7FFF plus the lowest kept bit carries into the kept bits exactly when the
    # dropped half is above one half, or one half with an odd kept part
    rounded = (bits + (0x7FFF + ((bits >> 16) & 1))) & np.uint32(0xFFFF0000)
    return xp.where(xp.isnan(x), x, rounded.view(np.float32))


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    """The learning rate scaled for the shape ``(A, B)`` of the parameter (see ``Muon``)."""
    A, B = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio
