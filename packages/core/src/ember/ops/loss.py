"""Loss functions (``torch.nn.functional``'s): regression, classification, probabilistic,
margin and sequence (CTC) losses.

Most losses are compositions of differentiable operations, so their gradients of any order
come free. Three are Functions of their own: ``cross_entropy`` with class indices (on every
training step, so it is fused: one log-sum-exp, no one-hot matrix, a gradient written once),
``binary_cross_entropy`` (torch's clamped logarithms and gradient) and ``ctc_loss`` (the
forward-backward recursions).

Every loss takes ``reduction`` (``'none'``, ``'mean'`` or ``'sum'``); the deprecated
``size_average`` and ``reduce`` arguments override it by torch's legacy rules, with its warning.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from .._dtype import result_type
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from . import _cuda
from ._util import quiet
from .activation import log_softmax, logsigmoid, softmax
from .indexing import index_select
from .pointwise import clamp, exp, log, log1p, minimum, where
from .reduction import vector_norm
from .shape import broadcast_tensors

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multi_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "ctc_loss",
    "cosine_similarity",
    "pairwise_distance",
    "pdist",
]

_REDUCTIONS = ("none", "mean", "sum")

# ------------------------------------------------------------------------------ reduction


def legacy_get_string(size_average, reduce):
    """The ``reduction`` that the deprecated ``size_average`` / ``reduce`` pair means (both
    default to True): mean, sum when only ``size_average`` is False, none when ``reduce`` is.
    The loss modules of ``nn`` share it (torch's ``_Reduction.legacy_get_string``)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        reduction = "mean"
    elif reduce:
        reduction = "sum"
    else:
        reduction = "none"
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        UserWarning,
        stacklevel=4,  # the caller of the loss function
    )
    return reduction


def _reduction(size_average, reduce, reduction, valid=_REDUCTIONS):
    """The reduction to apply: the legacy arguments win when given; unknown names raise."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    if reduction not in valid:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _const(array):
    """An array as a tensor that needs no gradient (masks, gathered weights)."""
    return Tensor._make(array)


def _require_float(kernel, input):
    if not input.is_floating_point():
        raise RuntimeError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


# ------------------------------------------------------------------- shared building blocks


def _pairwise_distance(x1, x2, p, eps):
    """torch's ``pairwise_distance``: the p-norm of ``x1 - x2 + eps`` over the last dimension
    (the ``eps`` keeps the gradient finite when the points coincide)."""
    return vector_norm(x1 - x2 + eps, p, -1)


# -------------------------------------------------------------------------- distances


@autocast_op("cosine_similarity")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between ``x1`` and ``x2`` (broadcast together) along ``dim``:
    ``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)))``.

    Each vector is divided by its own norm before the product, as torch 2.x does (which keeps
    the result in [-1, 1]). Like torch, the ``eps`` clamp changes the norms' values only: the
    gradient flows through the unclamped norms (torch clamps them in place under no_grad), so
    vectors shorter than ``eps`` get large gradients, as in torch. Integer inputs are computed
    in the default float dtype when the other input is floating point.
    """
    dtype = result_type(x1, x2)
    if not dtype.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {dtype.scalar_name}"
        )
    x1, x2 = broadcast_tensors(x1.to(dtype), x2.to(dtype))

    def unit(x):
        n = vector_norm(x, 2, dim, keepdim=True)
        held = n.detach()
        # the value max(n, eps), the gradient of n: (n - held) is an exact zero
        return x / where(held < eps, n - held + eps, n)

    return (unit(x1) * unit(x2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm distance ``||x1 - x2 + eps||_p`` over the last dimension of the broadcast
    inputs (the ``eps`` keeps the gradient finite where the points coincide)."""
    innermost = max(x1.ndim, x2.ndim) - 1
    return vector_norm(x1 - x2 + eps, p, innermost, keepdim)


@autocast_op("pdist")
def pdist(input, p=2):
    """The p-norm distance between every pair of rows of ``input`` (N, M): the upper triangle
    of the (N, N) distance matrix, row by row, as a vector of N * (N - 1) / 2 values.

    Unlike ``pairwise_distance`` no ``eps`` is added: where two rows coincide the gradient is
    0 (torch's subgradient).
    """
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    xp = backend.array_module(input._data)
    i, j = xp.triu_indices(input.shape[0], 1)
    diff = index_select(input, 0, _const(i)) - index_select(input, 0, _const(j))
    return vector_norm(diff, p, 1)


# ------------------------------------------------------------------------- regression


def _warn_broadcast(input, target):
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _weighted(loss, weight, input, reduction, mean_over_weights):
    """Apply an element-wise ``weight`` (of ``input``'s shape) and reduce. torch divides the
    weighted mean by the summed weights for mse/l1 but by the element count for huber."""
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
        if reduction == "mean" and mean_over_weights:
            return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


@autocast_op("mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)^2``, optionally weighted element-wise.

    ``input`` and ``target`` broadcast (with torch's warning when their shapes differ). With
    ``weight``, ``'mean'`` divides the weighted sum by the sum of the weights.
    """
    _warn_broadcast(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    diff = input - target
    return _weighted(diff * diff, weight, input, reduction, True)


@autocast_op("l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``; arguments as ``mse_loss``."""
    _warn_broadcast(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, input, reduction, True)


@autocast_op("smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``d = |input - target| < beta``, else ``d - 0.5 beta``.

    ``beta = 0`` gives the L1 loss.
    """
    _warn_broadcast(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


@autocast_op("huber_loss")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d^2`` where ``d = |input - target| < delta``, else ``delta (d - 0.5 delta)``.

    With ``weight``, ``'mean'`` is the mean of the weighted losses (torch's rule for huber,
    unlike ``mse_loss``).
    """
    _warn_broadcast(input, target)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _weighted(loss, weight, input, reduction, False)


# ------------------------------------------------------------- class-index classification


def _check_class_target(input, target, weight):
    """torch's checks of an input (N, C, d1, ...) or (C,) against class-index targets
    (N, d1, ...) or ()."""
    shape, tshape = list(input.shape), list(target.shape)
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim > 1 and target.ndim >= 1 and shape[0] != tshape[0]:
        raise ValueError(
            f"Expected input batch_size ({shape[0]}) to match target batch_size ({tshape[0]})."
        )
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target.ndim != input.ndim - 1:
            raise RuntimeError(f"size mismatch (got input: {shape}, target: {tshape})")
    elif tshape != shape[:1] + shape[2:]:
        raise RuntimeError(f"Expected target size {shape[:1] + shape[2:]}, got {tshape}")
    n_classes = shape[0] if input.ndim == 1 else shape[1]
    if weight is not None:
        if weight.ndim != 1 or weight.numel() != n_classes:
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no "
                f"classes but got weight tensor of shape: {list(weight.shape)}"
            )
        if weight.dtype != input.dtype:
            raise RuntimeError(
                f"expected scalar type {input.dtype.scalar_name} but found "
                f"{weight.dtype.scalar_name}"
            )
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")


def _pick_targets(x, target, weight, ignore_index):
    """For class scores ``x`` (N, C, ...) and targets (N, ...): the targets with ignored ones
    replaced by class 0 (int64), the mask of the kept ones, and each target's weight (0 where
    ignored, in ``x``'s dtype)."""
    xp = backend.array_module(x)
    valid = target != ignore_index
    t = xp.where(valid, target.astype(np.int64), 0)
    bad = (t < 0) | (t >= x.shape[1])
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    if weight is None:
        wt = valid.astype(x.dtype)
    else:
        wt = xp.where(valid, weight[t], 0).astype(x.dtype, copy=False)
    return t, valid, wt


def _target_key(t):
    """The advanced index of ``x[n, t[n, ...], ...]``: each target's score in (N, C, ...)."""
    xp = backend.array_module(t)
    grids = [xp.arange(n).reshape((n,) + (1,) * (t.ndim - 1 - i)) for i, n in enumerate(t.shape)]
    return (grids[0], t, *grids[1:])


def _class_shape(weight, ndim):
    """``weight`` (C,) shaped to broadcast along dimension 1 of an ``ndim``-d score array."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


class _CrossEntropyState:
    """What the fused cross entropy keeps for its gradient.

    Per row (one sample at one position): the target ``t`` (its ``key`` into the scores),
    ``valid`` (not ignored), ``hit`` (the weight of the one-hot term of the gradient,
    ``(1 - s) w_t``), ``spread`` (that of the uniform term of label smoothing ``s``,
    ``s / C``, or None) and ``rows`` (that of the softmax term, ``hit + spread * sum(w)``);
    the softmax's denominator ``sum`` (its numerator, exp(x - max), is saved for backward so
    that it is freed with the graph); the class weights shaped to broadcast (or None), the
    mean's divisor (the summed weights of the kept targets) and the reduction.
    """

    __slots__ = (
        "t",
        "key",
        "valid",
        "hit",
        "spread",
        "rows",
        "sum",
        "weight",
        "total",
        "reduction",
    )


class CrossEntropy(Function):
    """``log_softmax`` and the negative log-likelihood of class indices in one pass."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, label_smoothing, reduction):
        xp = backend.array_module(x)
        if (
            xp is not np
            and x.ndim == 2
            and x.shape[1]
            and weight is None
            and not label_smoothing
            and x.dtype in (np.float32, np.float64)
        ):
            return _cross_entropy_cuda(ctx, x, target, ignore_index, reduction)
        st = _CrossEntropyState()
        st.t, st.valid, wt = _pick_targets(x, target, weight, ignore_index)
        st.key = _target_key(st.t)
        st.weight = None if weight is None else _class_shape(weight, x.ndim)
        st.reduction = reduction
        n_classes = x.shape[1]
        with quiet():  # rows of -inf give nan, as in torch
            # the one array of the scores' size: x - max, then exp of it in place
            shifted = x - x.max(axis=1, keepdims=True)
            picked = shifted[st.key]
            st.spread = None
            if label_smoothing:
                # torch's (1 - s) nll + s/C sum_c w_c (-log p_c), with -log p_c = lse - shifted_c:
                # both terms are non-negative, so nothing cancels
                if weight is None:
                    weight_sum = n_classes
                    uniform = -shifted.sum(axis=1)
                else:
                    weight_sum = weight.sum()
                    uniform = -(shifted * st.weight).sum(axis=1)
            numerator = xp.exp(shifted, out=shifted)
            st.sum = numerator.sum(axis=1, keepdims=True)
            lse = xp.log(st.sum[:, 0])
            # -log p_t = lse - (x_t - max): a log-sum-exp per row, no one-hot matrix
            st.hit = st.rows = (1 - label_smoothing) * wt if label_smoothing else wt
            loss = st.hit * (lse - picked)
            if label_smoothing:
                st.spread = st.valid.astype(x.dtype) * (label_smoothing / n_classes)
                st.rows = st.hit + st.spread * weight_sum
                loss += st.spread * (lse * weight_sum + uniform)
            loss = xp.where(st.valid, loss, 0)  # an ignored row may hold inf * 0
            st.total = wt.sum()
            if reduction == "none":
                out = loss
            elif reduction == "sum":
                out = loss.sum()
            else:
                out = xp.asarray(loss.sum() / st.total)  # no target kept: 0 / 0 = nan
        ctx.state = st
        ctx.save_for_backward(x, numerator)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, numerator = ctx.saved_tensors
        return CrossEntropyBackward.apply(x, gy, numerator._data, ctx.state), None, None


def _cross_entropy_cuda(ctx, x, target, ignore_index, reduction):
    """``CrossEntropy.forward`` of (N, C) scores on a GPU without class weights or label
    smoothing: one kernel for the softmax's terms and the rows' losses (see _cuda), where the
    array form makes about twenty cupy calls of 15-40 µs of host time each."""
    numerator, sums, loss, t, kept, bad = _cuda.cross_entropy_rows(x, target, ignore_index)
    if bool(bad):
        _pick_targets(x, target, None, ignore_index)  # raises torch's error, naming the target
    st = _CrossEntropyState()
    st.t, st.hit, st.rows = t, kept, kept
    st.key = st.valid = None  # (read by the array form only)
    st.spread = st.weight = None
    st.sum = sums.reshape(-1, 1)
    st.reduction = reduction
    st.total = kept.sum()
    if reduction == "none":
        out = loss
    elif reduction == "sum":
        out = loss.sum()
    else:
        out = loss.sum() / st.total  # no target kept: 0 / 0 = nan
    ctx.state = st
    ctx.save_for_backward(x, numerator)
    return out


class CrossEntropyBackward(Function):
    """The gradient of the fused cross entropy: ``scale * (rows * softmax - hit * onehot -
    spread * weight)`` per row, ``scale`` being the incoming gradient (over the summed
    weights for the mean).

    A Function of its own so that the common first-order step is one multiplication of the
    softmax kept by forward and a scatter, while its backward (in tensor operations) still
    gives second derivatives.
    """

    @staticmethod
    def forward(ctx, x, gy, numerator, st):
        xp = backend.array_module(x)
        ctx.state = st
        ctx.save_for_backward(x, gy)
        scale = gy / st.total if st.reduction == "mean" else gy
        if xp is not np and x.ndim == 2 and st.spread is None:
            return _cuda.cross_entropy_backward(numerator, scale, st.rows, st.sum, st.hit, st.t)
        with quiet():
            gx = numerator * (xp.expand_dims(scale * st.rows, 1) / st.sum)
            gx[st.key] -= scale * st.hit
            if st.spread is not None:
                uniform = xp.expand_dims(scale * st.spread, 1)
                gx -= uniform if st.weight is None else uniform * st.weight
        return gx

    @staticmethod
    def backward(ctx, ggx):
        x, gy = ctx.saved_tensors
        st = ctx.state
        scale = gy / _const(st.total) if st.reduction == "mean" else gy
        p = softmax(x, 1)
        rows = _const(st.rows)
        gx = ggy = None
        if ctx.needs_input_grad[0]:
            # gx = a * p - constant, a = scale * rows per row; through the softmax Jacobian
            # that is a * p * (ggx - sum(ggx * p))
            g = ggx * (scale * rows).unsqueeze(1)
            gx = p * (g - (g * p).sum(1, keepdim=True))
        if ctx.needs_input_grad[1]:
            # gx is linear in the scale: contract ggx with what multiplies it, row by row
            picked = ggx.gather(1, _const(st.t).unsqueeze(1)).squeeze(1)
            u = rows * (ggx * p).sum(1) - _const(st.hit) * picked
            if st.spread is not None:
                uniform = ggx if st.weight is None else ggx * _const(st.weight)
                u = u - _const(st.spread) * uniform.sum(1)
            ggy = u if st.reduction == "none" else u.sum()
            if st.reduction == "mean":
                ggy = ggy / _const(st.total)
        return gx, ggy


def _batched(input, target):
    """An unbatched (C,) input and () target as a batch of one."""
    if input.ndim == 1:
        return input.unsqueeze(0), target.unsqueeze(0), True
    return input, target, False


def _unbatched(loss, reduction, unbatched):
    return loss.squeeze(0) if unbatched and reduction == "none" else loss


@autocast_op("nll_loss")
def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    """The negative log-likelihood loss ``-weight[t] * input[n, t]`` of class indices.

    Args:
        input: log-probabilities (N, C), (N, C, d1, ...) or unbatched (C,).
        target: class indices (N), (N, d1, ...) or (), int64 (or uint8).
        weight: a rescaling weight for each class, (C,).
        ignore_index: a target value that contributes nothing, to the loss or the mean's
            divisor.
        reduction: ``'mean'`` divides by the summed weights of the kept targets (not by
            their count, when weighted), like torch.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _require_float("nll_loss_out_frame", input)
    _check_class_target(input, target, weight)
    input, target, unbatched = _batched(input, target)
    w = None if weight is None else weight._data
    t, valid, wt = _pick_targets(input._data, target._data, w, ignore_index)
    picked = input.gather(1, _const(t).unsqueeze(1)).squeeze(1)
    loss = where(_const(valid), -picked * _const(wt), 0.0)
    if reduction == "mean":
        loss = loss.sum() / _const(wt.sum(keepdims=True).reshape(()))  # the kept weights
    else:
        loss = _reduce(loss, reduction)
    return _unbatched(loss, reduction, unbatched)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    """Cross entropy against class probabilities (``target`` shaped like ``input``)."""
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {n_classes} "
            f"classes or no classes but got weight tensor of shape: {list(weight.shape)}"
        )
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * (weight if input.ndim == 1 else _class_shape(weight, input.ndim))
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    # torch divides by the number of samples and positions, not by any weights
    return -prod.sum() / (input.numel() // max(n_classes, 1))


@autocast_op("cross_entropy_loss")
def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Cross entropy between the logits ``input`` and ``target``: ``log_softmax`` over the
    class dimension followed by the negative log-likelihood.

    Args:
        input: logits (N, C), (N, C, d1, ...) or unbatched (C,).
        target: class indices (N), (N, d1, ...) or () (int64), or class probabilities of
            ``input``'s shape (floating point).
        weight: a rescaling weight for each class, (C,).
        ignore_index: a class-index target value that contributes nothing (to the loss or
            the mean's divisor); not allowed (>= 0) with probability targets.
        reduction: ``'mean'`` divides, for class indices, by the summed weights of the kept
            targets (torch's rule, so a weighted mean is not a plain average); for
            probabilities, by the number of samples and positions.
        label_smoothing: in [0, 1]; the target becomes ``(1 - s) * target + s / C``.

    Large logits are safe: the log-sum-exp is shifted by each row's maximum.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _require_float("log_softmax_lastdim_kernel_impl", input)
    if label_smoothing > 1:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape:
        if not target.is_floating_point():
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, got "
                f"{target.dtype.scalar_name}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    _check_class_target(input, target, weight)
    input, target, unbatched = _batched(input, target)
    loss = CrossEntropy.apply(
        input, target, weight, ignore_index, max(float(label_smoothing), 0.0), reduction
    )
    return _unbatched(loss, reduction, unbatched)


# ---------------------------------------------------------------------------------- binary


class BinaryCrossEntropy(Function):
    """Element-wise ``-(t log x + (1 - t) log(1 - x))``, each log clamped at -100 like torch
    so that x = 0 or 1 gives a finite loss."""

    @staticmethod
    def forward(ctx, x, t):
        xp = backend.array_module(x)
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        ctx.save_for_backward(x, t)
        with quiet():
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return (t - 1) * log_1mx - t * log_x

    @staticmethod
    def backward(ctx, gy):
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:
            # torch's gradient (x - t) / (x (1 - x)), its denominator kept >= 1e-12
            gx = gy * (x - t) / clamp((1 - x) * x, min=1e-12)
        if ctx.needs_input_grad[1]:
            gt = gy * (log1p(-x) - log(x))
        return gx, gt


@autocast_op("binary_cross_entropy")
def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Binary cross entropy between probabilities ``input`` (in [0, 1]) and ``target``.

    ``target`` must have ``input``'s dtype; ``weight`` rescales each element (it broadcasts
    to ``target``). Logarithms are clamped at -100, so a probability of exactly 0 or 1 gives a
    finite loss, as in torch.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    if target.dtype != input.dtype:  # torch does not promote the target
        raise RuntimeError(
            f"Found dtype {target.dtype.scalar_name} but expected {input.dtype.scalar_name}"
        )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:  # torch multiplies in place: the loss keeps the input's dtype
        loss = loss * weight.to(loss.dtype)
    return _reduce(loss, reduction)


@autocast_op("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """``binary_cross_entropy(sigmoid(input), target)``, computed stably from the logits.

    Args:
        weight: rescales each element (broadcasts to ``input``).
        pos_weight: a weight of the positive term for each class (broadcast along the last
            dimension): ``-(pos_weight * t log σ(x) + (1 - t) log(1 - σ(x)))``.

    Written as ``(1 - t) x - (1 + (pos_weight - 1) t) log σ(x)`` with a log-sigmoid that
    never overflows, so logits of any size give finite losses and gradients.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    log_sig = logsigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    if target.is_floating_point() and loss.dtype != target.dtype:
        loss = loss.to(target.dtype)  # (torch computes into the target's dtype, in place)
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------ probabilistic


def _xlogx(t):
    """``t log t``, 0 where t = 0 (the masked branch sees 1, so no nan reaches a gradient)."""
    zero = t == 0
    safe = where(zero, 1.0, t)
    return where(zero, 0.0, safe * log(safe))


@autocast_op("kl_div")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence ``target * (log target - input)`` with ``input`` (and,
    with ``log_target``, ``target``) given as log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL
    divergence); ``'mean'`` divides by the number of elements, with torch's warning.
    """
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    reduction = _reduction(size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@autocast_op("poisson_nll_loss")
def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-08,
    reduce=None,
    reduction="mean",
):
    """Negative log-likelihood of ``target`` under Poisson(``input``).

    ``exp(input) - target * input`` with ``log_input``, else ``input - target * log(input +
    eps)``; ``full`` adds Stirling's approximation of ``log(target!)`` where target > 1.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        big = target > 1
        t = where(big, target, 1.0)
        loss = loss + where(big, t * log(t) - t + 0.5 * log(2 * math.pi * t), 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    """Negative log-likelihood of ``target`` under N(``input``, ``var``):
    ``0.5 (log var + (input - target)^2 / var)`` (+ ``0.5 log 2π`` with ``full``).

    ``var`` may be a number, have ``input``'s shape, or lack (or have size 1 in) its last
    dimension (one variance shared across it). It is clamped to ``eps`` for stability, the
    clamp not affecting the gradient, as in torch.
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(input.shape, float(var))
    elif var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if (var < 0).any():
        raise ValueError("var has negative entry/entries")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------- margin losses


@autocast_op("cosine_embedding_loss")
def cosine_embedding_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where -1.

    Inputs (N, D) with target (N), or (D) with target ().
    """
    reduction = _reduction(size_average, reduce, reduction)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    wanted = dim + 1
    if input1.ndim != wanted or input2.ndim != wanted:
        raise RuntimeError(
            f"{dim}D target tensor expects {wanted}D input tensors, but found inputs with "
            f"sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    eps = 1e-12  # torch's: keeps zero vectors from dividing by zero
    dot = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = dot / (mag1 * mag2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, min=0), 0.0)
    return _reduce(loss, reduction)


@autocast_op("margin_ranking_loss")
def margin_ranking_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """``max(0, -target * (input1 - input2) + margin)``: target 1 means input1 should rank
    higher, -1 lower."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0), reduction)


@autocast_op("hinge_embedding_loss")
def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """``input`` where target is 1, ``max(0, margin - input)`` where target is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = where(target != 1, clamp(margin - input, min=0), 0.0)
    return _reduce(loss + where(target != -1, input, 0.0), reduction)


@autocast_op("soft_margin_loss")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The two-class logistic loss ``log(1 + exp(-target * input))`` (targets 1 or -1),
    computed as ``-log σ(target * input)`` so it never overflows."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(-logsigmoid(target * input), reduction)


@autocast_op("multi_margin_loss")
def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """The multi-class hinge loss ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C``.

    Args:
        input: scores (N, C) or (C,).
        target: class indices (N) or () / (1).
        p: 1 or 2.
        weight: a weight for each class, applied by the target's class.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    n, n_classes = _multilabel_sizes(input)
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got {list(target.shape)}")
    y = target._data.reshape(n).astype(np.int64)
    if ((y < 0) | (y >= n_classes)).any():
        raise RuntimeError("target out of range")
    x = input.reshape(n, n_classes)
    y_t = _const(y)
    z = clamp(margin - x.gather(1, y_t.unsqueeze(1)) + x, min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.gather(0, y_t).unsqueeze(1)
    xp = backend.array_module(y)
    others = _const(xp.arange(n_classes) != y[:, None])
    loss = where(others, z, 0.0).sum(1) / n_classes
    if reduction == "none":
        return loss.reshape(target.shape)
    return _reduce(loss, reduction)


@autocast_op("triplet_margin_loss")
def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-06,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the pairwise p-norm distance
    (``eps`` added to the difference, like torch's ``pairwise_distance``).

    ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance. Inputs are (N, D) or
    (D).
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """``max(0, margin + d(a, p) - d(a, n))`` with any distance ``d`` (a callable of two
    tensors; ``pairwise_distance`` by default). ``swap`` uses ``min(d(a, n), d(p, n))`` as the
    negative distance."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    if distance_function is None:
        distance_function = pairwise_distance
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance_function(positive, negative))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)


def _multilabel_sizes(input):
    """``(batch size, classes)`` of a multi-label loss's input: a vector or a matrix."""
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    return (input.shape[0] if input.ndim == 2 else 1), (input.shape[-1] if input.ndim else 1)


@autocast_op("multilabel_margin_loss")
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss ``sum_{j, i} max(0, 1 - (x[y[j]] - x[i])) / C`` over the
    target classes ``y[j]`` and the classes ``i`` that are not targets.

    Args:
        input: scores (N, C) or (C,).
        target: int64 class indices of input's shape; each row's targets come first and the
            first -1 ends them (what follows it is ignored). A class listed twice counts twice,
            as in torch.
    """
    reduction = _reduction(size_average, reduce, reduction)
    n, n_classes = _multilabel_sizes(input)
    if target.shape != input.shape and not (input.ndim < 2 and target.numel() == n_classes):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    if target.dtype.scalar_name != "Long":
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")
    if not input.is_floating_point():  # torch's dispatch error, a NotImplementedError
        raise NotImplementedError(
            '"multilabel_margin_loss_forward_out_frame" not implemented for '
            f"'{input.dtype.scalar_name}'"
        )
    t = target._data.reshape(n, n_classes)
    if t.size and (int(t.min()) < -1 or int(t.max()) >= n_classes):
        raise RuntimeError("argument #2 'target' is out of range")
    xp = backend.array_module(t)
    # the targets of each row: the positions before its first -1
    valid = xp.cumprod(t != -1, axis=1).astype(bool)
    y = xp.where(valid, t, 0)
    is_target = xp.zeros((n, n_classes + 1), dtype=bool)
    is_target[xp.arange(n)[:, None], xp.where(valid, t, n_classes)] = True
    x = input.reshape(n, n_classes)
    x_y = x.gather(1, _const(y))
    z = clamp(1 - x_y.unsqueeze(2) + x.unsqueeze(1), min=0)  # (N, target j, class i)
    pairs = _const(valid[:, :, None] & ~is_target[:, None, :n_classes])
    loss = where(pairs, z, 0.0).sum((1, 2)) / n_classes
    if reduction == "none":
        return loss if input.ndim == 2 else loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """The multi-label one-versus-all logistic loss: the binary cross-entropy of
    ``sigmoid(input)`` against 0/1 ``target``, optionally weighted by class, averaged over the
    classes (the last dimension), then reduced."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------------------ CTC


def _log_add(xp, *terms):
    """``log(sum(exp(terms)))`` element-wise; -inf where every term is -inf."""
    m = terms[0]
    for a in terms[1:]:
        m = xp.maximum(m, a)
    m = xp.where(m == -xp.inf, 0, m)  # -inf - (-inf) would be nan
    return xp.log(sum(xp.exp(a - m) for a in terms)) + m


class _CTCState:
    """The extended labels ``ext`` (N, 2S+1: blank, l1, blank, l2, ..., blank), which of
    them may be reached by skipping the blank before (``skip``), the lengths, the negative
    log-likelihoods and ``zero_infinity``. (The (T, N, 2S+1) arrays, the log-probabilities of
    the extended labels and the forward variables, are saved for backward instead, so they
    are freed with the graph.)"""

    __slots__ = ("ext", "skip", "in_len", "tg_len", "nll", "zero_infinity")


class CTCLoss(Function):
    """Per-sample negative log-likelihoods by the CTC forward (alpha) recursion, in log
    space; one vectorised step per time step over the batch and the extended labels."""

    @staticmethod
    def forward(ctx, lp, st):
        xp = backend.array_module(lp)
        n_time, n = lp.shape[:2]
        rows = xp.arange(n)
        # alpha[t, s]: log-probability of the prefixes of length t + 1 ending on ext[s]
        lp_ext = lp[:, rows[:, None], st.ext]
        alpha = xp.full(lp_ext.shape, -xp.inf, dtype=lp.dtype)
        alpha[0, :, 0] = lp_ext[0, :, 0]
        if st.ext.shape[1] > 1:
            alpha[0, :, 1] = xp.where(st.tg_len > 0, lp_ext[0, :, 1], -xp.inf)
        # the predecessors of each position: one label back (step) and two, over a blank (jump)
        step, jump = (xp.full(alpha.shape[1:], -xp.inf, dtype=lp.dtype) for _ in range(2))
        with quiet():
            for t in range(1, n_time):
                prev = alpha[t - 1]
                step[:, 1:] = prev[:, :-1]
                jump[:, 2:] = xp.where(st.skip[:, 2:], prev[:, :-2], -xp.inf)
                alpha[t] = lp_ext[t] + _log_add(xp, prev, step, jump)
            # each sample ends at its own last step, on the last label or the blank after it
            end = alpha[xp.maximum(st.in_len - 1, 0), rows]
            last = end[rows, 2 * st.tg_len]
            before = xp.where(st.tg_len > 0, end[rows, xp.maximum(2 * st.tg_len - 1, 0)], -xp.inf)
            nll = -_log_add(xp, last, before)
        # no input steps: only the empty target is possible
        nll = xp.where(st.in_len == 0, xp.where(st.tg_len == 0, 0, xp.inf), nll).astype(lp.dtype)
        st.nll = nll
        ctx.state = st
        ctx.save_for_backward(lp, alpha, lp_ext)
        if st.zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll).astype(lp.dtype)
        return nll

    @staticmethod
    def backward(ctx, gy):
        lp, alpha, lp_ext = ctx.saved_tensors
        return CTCLossBackward.apply(gy, lp, alpha._data, lp_ext._data, ctx.state), None


class CTCLossBackward(Function):
    """The CTC gradient from the backward (beta) recursion, as torch computes it:
    ``exp(lp) - exp(log(sum alpha beta) + nll - lp)`` at each step within a sample's input
    length, 0 after it (and everywhere for an infinite loss under ``zero_infinity``).

    The ``exp(lp)`` term is torch's: the result is the gradient with respect to the logits
    of a ``log_softmax`` and equals the true derivative wherever ``log_probs`` come from
    ``log_softmax`` (the term is then cancelled by that function's backward).
    """

    @staticmethod
    def forward(ctx, gy, lp, alpha, lp_ext, st):
        xp = backend.array_module(lp)
        n_time, n, n_classes = lp.shape
        width = st.ext.shape[1]
        last = st.in_len - 1
        positions = xp.arange(width)
        ends = (positions == 2 * st.tg_len[:, None]) | (
            (positions == 2 * st.tg_len[:, None] - 1) & (st.tg_len[:, None] > 0)
        )
        beta = xp.full_like(alpha, -xp.inf)
        nxt, step, jump = (xp.full((n, width), -xp.inf, dtype=lp.dtype) for _ in range(3))
        with quiet():
            for t in range(n_time - 1, -1, -1):
                # beta[t, s]: log-probability of the suffixes from step t starting on ext[s]
                step[:, :-1] = nxt[:, 1:]
                jump[:, :-2] = xp.where(st.skip[:, 2:], nxt[:, 2:], -xp.inf)
                rec = lp_ext[t] + _log_add(xp, nxt, step, jump)
                start = xp.where(ends, lp_ext[t], -xp.inf)
                here = (t == last)[:, None]
                inside = (t < last)[:, None]
                nxt = xp.where(here, start, xp.where(inside, rec, -xp.inf))
                beta[t] = nxt
            # log of sum over s with ext[s] = c of alpha * beta, for each (t, n, c): one
            # bincount over flat (t, n, class) positions instead of a one-hot matrix
            ab = alpha + beta
            m = ab.max(axis=2, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            cell = (xp.arange(n_time)[:, None, None] * n + xp.arange(n)[:, None]) * n_classes
            sums = xp.bincount(
                (cell + st.ext).ravel(), weights=xp.exp(ab - m).ravel(), minlength=lp.size
            )
            lcab = xp.log(sums.reshape(lp.shape)).astype(lp.dtype) + m
            grad = (xp.exp(lp) - xp.exp(lcab + st.nll[:, None] - lp)) * gy[:, None]
        keep = xp.arange(n_time)[:, None] < st.in_len
        if st.zero_infinity:
            keep = keep & ~xp.isinf(st.nll)
        return xp.where(keep[:, :, None], grad, 0).astype(lp.dtype)

    @staticmethod
    def backward(ctx, ggrad):
        raise RuntimeError(
            "derivative for ctc_loss_backward is not implemented: ctc_loss supports first "
            "derivatives only"
        )


_CHECKING = " (while checking arguments for ctc_loss_cpu)"


def _ctc_lengths(lengths, name, n, most=None):
    """Lengths given as a tensor or a sequence of ints, as a host int64 vector of size n,
    each in [0, most]."""
    if isinstance(lengths, Tensor):
        if lengths.is_floating_point():
            raise RuntimeError(f"{name} must be integral")
        lengths = backend.to_device(lengths._data, backend.Device("cpu"))
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if lengths.size != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    if (lengths < 0).any():
        raise RuntimeError(
            f"Expected {name} to have value at least 0, but got value "
            f"{lengths[lengths < 0][0]}" + _CHECKING
        )
    if most is not None and (lengths > most).any():
        raise RuntimeError(
            f"Expected {name} to have value at most {most}, but got value "
            f"{lengths[lengths > most][0]}" + _CHECKING
        )
    return lengths


def _ctc_targets(targets, tg_len, n_classes, blank):
    """The targets as a padded (N, S) host array, with torch's checks (messages name
    torch's kernel, ``ctc_loss_cpu``)."""
    argument = " for argument #2 'targets'" + _CHECKING
    if targets.is_floating_point():
        raise RuntimeError(
            "Expected tensor for argument #2 'targets' to have one of the following scalar "
            f"types: Int, Long; but got {targets.dtype.scalar_name} instead" + _CHECKING
        )
    tg = backend.to_device(targets._data, backend.Device("cpu")).astype(np.int64)
    n = tg_len.size
    longest = int(tg_len.max()) if n else 0
    positions = np.arange(longest)
    kept = positions < tg_len[:, None]
    if tg.ndim == 1:  # concatenated: sample b's labels follow those of samples before it
        if tg.size != tg_len.sum():
            raise RuntimeError(
                f"Expected tensor to have size {tg_len.sum()} at dimension 0, but got size "
                f"{tg.size}" + argument
            )
        start = np.cumsum(tg_len) - tg_len
        index = np.minimum(start[:, None] + positions, max(tg.size - 1, 0))
        padded = np.where(kept, tg[index] if tg.size else blank, blank)
    else:
        if tg.ndim != 2 or tg.shape[0] != n:
            raise RuntimeError(
                f"Expected tensor to have size {n} at dimension 0, but got size "
                f"{tg.shape[0] if tg.ndim else 0}" + argument
            )
        if tg.shape[1] < longest:
            raise RuntimeError(
                f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                f"{tg.shape[1]}" + argument
            )
        padded = np.where(kept, tg[:, :longest], blank)
    if ((padded < 0) | (padded >= n_classes)).any():
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {n_classes})")
    return padded


@autocast_op("ctc_loss")
def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,
    reduction="mean",
    zero_infinity=False,
):
    """The Connectionist Temporal Classification loss: ``-log`` of the total probability of
    every alignment of each target with its input.

    Args:
        log_probs: (T, N, C) or unbatched (T, C) log-probabilities (``log_softmax`` outputs).
        targets: padded (N, S) or concatenated (sum(target_lengths),) class indices, or
            (S,) unbatched; they may not contain ``blank``.
        input_lengths: (N,) lengths of the inputs (a tensor or a sequence of ints), each
            at most T.
        target_lengths: (N,) lengths of the targets.
        blank: the blank label.
        reduction: ``'mean'`` divides each loss by its target length (at least 1) and
            averages over the batch; ``'sum'`` sums; ``'none'`` gives (N,).
        zero_infinity: replace infinite losses (impossible alignments) and their gradients
            by 0.

    The recursion loops over time steps (inherent to CTC) with each step vectorised over
    the batch and the labels. The gradient is torch's (see ``CTCLossBackward``);
    second derivatives are not supported.
    """
    reduction = _reduction(None, None, reduction)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected a 2-D or 3-D log_probs, got {log_probs.ndim}-D")
    _require_float("ctc_loss_cpu", log_probs)
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if not batched:
        targets = targets.unsqueeze(0)
    n_time, n, n_classes = lp.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    in_len = _ctc_lengths(input_lengths, "input_lengths", n, most=n_time)
    tg_len = _ctc_lengths(target_lengths, "target_lengths", n)
    padded = _ctc_targets(targets, tg_len, n_classes, blank)
    ext = np.full((n, 2 * padded.shape[1] + 1), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    st = _CTCState()
    device = log_probs.device
    st.ext, st.skip, st.in_len, st.tg_len = (
        backend.to_device(a, device) for a in (ext, skip, in_len, tg_len)
    )
    st.zero_infinity = zero_infinity
    loss = CTCLoss.apply(lp, st)
    if reduction == "mean":
        xp = backend.array_module(lp._data)
        divisor = xp.maximum(st.tg_len, 1).astype(lp._data.dtype)
        return (loss / _const(divisor)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)
