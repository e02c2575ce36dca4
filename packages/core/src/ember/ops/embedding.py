"""Embeddings: ``embedding`` (row lookup), ``embedding_bag`` (sums, means or maxes of bags of
rows) and ``one_hot``.

A lookup's gradient sums the output gradient into the looked-up rows, repeated indices
accumulating (``indexing.sum_rows``). ``embedding_bag`` is composed of the
same lookup and of ``index_add`` / ``gather``, so it is differentiable to any order.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._dtype import int32, int64
from .._tensor import Tensor
from ..autograd.function import Function
from .indexing import Gather, IndexAdd, sum_rows

__all__ = ["embedding", "embedding_bag", "one_hot"]


class Embedding(Function):
    """``weight[indices]``: the rows of a 2-D weight, in the shape of ``indices`` plus the
    embedding dimension.

    ``scale`` is None or one factor per lookup (flattened ``indices``) that backward applies
    to the gradient: 0 for ``padding_idx``, 1/frequency for ``scale_grad_by_freq``.
    """

    @staticmethod
    def forward(ctx, weight, indices, scale):
        ctx.num_weights, ctx.indices, ctx.scale = weight.shape[0], indices, scale
        return backend.array_module(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, gy):
        gw = EmbeddingBackward.apply(gy, ctx.indices, ctx.num_weights, ctx.scale)
        return gw, None, None


class EmbeddingBackward(Function):
    """The gradient of a lookup: ``gy``'s rows (times ``scale``) summed into ``num_weights``
    rows of zeros at ``indices``, repeats accumulating."""

    @staticmethod
    def forward(ctx, gy, indices, num_weights, scale):
        ctx.indices, ctx.scale = indices, scale
        rows = gy.reshape(-1, gy.shape[-1])
        if scale is not None:
            rows = rows * scale.astype(rows.dtype)[:, None]
        return sum_rows(indices.reshape(-1), rows, num_weights)

    @staticmethod
    def backward(ctx, ggw):
        # linear in gy: its gradient looks the rows of ggw up again, scaled the same way
        g = Embedding.apply(ggw, ctx.indices, ctx.scale)
        if ctx.scale is not None:
            g = g * Tensor._make(ctx.scale.astype(g._data.dtype).reshape(*ctx.indices.shape, 1))
        return g, None, None, None


# ------------------------------------------------------------------------------ helpers


def _tensor_type(t):
    return f"ember.{'cuda.' if t.is_cuda else ''}{t.dtype.scalar_name}Tensor"


def _check_indices(t, name, position, fn):
    if t.dtype not in (int64, int32):
        raise RuntimeError(
            f"Expected tensor for argument #{position} '{name}' to have one of the following "
            f"scalar types: Long, Int; but got {_tensor_type(t)} instead (while checking "
            f"arguments for {fn})"
        )


def _int64(t):
    return t._data.astype(np.int64, copy=False)


def _check_range(indices, num_weights):
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num_weights):
        raise IndexError("index out of range in self")


def _renorm_(weight, indices, max_norm, norm_type):
    """torch's ``embedding_renorm_``: the rows of ``weight`` that ``indices`` reference and
    whose ``norm_type``-norm exceeds ``max_norm`` are scaled in place to norm ``max_norm``
    (outside autograd, as torch does under ``no_grad``)."""
    w = weight._data
    xp = backend.array_module(w)
    rows = xp.unique(indices)
    norms = xp.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    rows, factors = rows[big], max_norm / (norms[big] + 1e-7)
    w[rows] *= factors.astype(w.dtype)[:, None]


def _grad_scale(indices, padding_idx, scale_grad_by_freq):
    """The per-lookup gradient factors of ``Embedding`` (None when all are 1)."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    flat = indices.reshape(-1)
    xp = backend.array_module(flat)
    scale = xp.ones(flat.shape, np.float64)
    if scale_grad_by_freq:
        _, inverse, counts = xp.unique(flat, return_inverse=True, return_counts=True)
        scale = 1.0 / counts[inverse.reshape(-1)]
    if padding_idx is not None:
        scale[flat == padding_idx] = 0.0
    return scale


# ---------------------------------------------------------------------------- functions


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Look up rows of an embedding matrix.

    Args:
        input: integer tensor (int64 or int32) of any shape, indices into ``weight``.
        weight: ``(num_embeddings, embedding_dim)`` floating tensor.
        padding_idx: the row at this index gets no gradient (negative counts from the end).
        max_norm: rows referenced by ``input`` with a larger ``norm_type``-norm are rescaled
            to this norm, modifying ``weight`` in place (as torch does).
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by its frequency in ``input``.
        sparse: accepted for compatibility; Ember has no sparse tensors, so the gradient of
            ``weight`` is always dense.

    Returns:
        ``(*input.shape, embedding_dim)``.
    """
    num_weights = weight.shape[0]
    if padding_idx is not None:
        if not -num_weights <= padding_idx < num_weights:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= num_weights
    _check_indices(input, "indices", 1, "embedding")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    indices = _int64(input)
    _check_range(indices, num_weights)
    if max_norm is not None:
        _renorm_(weight, indices, max_norm, norm_type)
    return Embedding.apply(weight, indices, _grad_scale(indices, padding_idx, scale_grad_by_freq))


def _bags(input, offsets, include_last_offset):
    """The flat indices and, for each, the bag it belongs to; plus the number of bags.

    Elements past the last offset when ``include_last_offset`` is set belong to no bag and
    are dropped.
    """
    xp = backend.array_module(input._data)
    indices = _int64(input).reshape(-1)
    if input.dim() == 2:
        n_bags, size = input.shape
        return indices, xp.repeat(xp.arange(n_bags), size), n_bags
    bounds = offsets._data.astype(np.int64)
    if not include_last_offset:
        bounds = xp.concatenate([bounds, xp.asarray([indices.size])])
    # position m is in bag b when bounds[b] <= m < bounds[b + 1] (cupy's repeat takes no
    # array of counts, so no repeat(arange, diff(bounds)))
    bag = xp.searchsorted(bounds[1:], xp.arange(int(bounds[-1])), side="right")
    return indices[: bag.size], bag, bounds.size - 1


def _check_offsets(input, offsets, include_last_offset):
    _check_indices(offsets, "offsets", 3, "embedding_bag")
    if include_last_offset and offsets.shape[0] < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if offsets.shape[0] == 0:
        return
    first, last = int(offsets._data[0]), int(offsets._data[-1])
    if first != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {first}"
        )
    if last > input.shape[0]:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {input.shape[0]}, but got "
            f"offsets[-1] of {last}"
        )


def _bag_max(weight, indices, bag, n_bags, counts):
    """Each bag's element-wise maximum row, as a ``gather`` from ``weight`` (zeros for empty
    bags). Bags are laid out in a dense ``(bags, longest, dim)`` block padded with -inf, so
    one ``argmax`` finds every maximum."""
    w = weight._data
    xp = backend.array_module(w)
    starts = xp.cumsum(counts) - counts
    position = xp.arange(indices.size) - starts[bag]
    longest = int(counts.max()) if n_bags else 0
    dense = xp.full((n_bags, max(longest, 1), w.shape[1]), -np.inf, w.dtype)
    dense[bag, position] = w[indices]
    chosen = starts[:, None] + dense.argmax(axis=1)
    empty = counts == 0
    rows = xp.zeros(chosen.shape, np.int64)  # an empty bag gathers row 0, then is zeroed
    rows[~empty] = indices[chosen[~empty]]
    out = Gather.apply(weight, 0, rows)
    if bool(empty.any()):
        out = out * Tensor._make((~empty).astype(w.dtype)[:, None])
    return out


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """Sums, means or maxes of bags of embedding rows, one output row per bag.

    Args:
        input: ``(B, N)`` indices (``B`` bags of ``N``) with ``offsets=None``, or ``(M,)``
            indices cut into bags by ``offsets``.
        weight: ``(num_embeddings, embedding_dim)``.
        offsets: ``(B,)`` start position of each bag in a 1-D ``input`` (``(B + 1,)`` with
            ``include_last_offset``, the last being the end of the last bag).
        max_norm, norm_type: renormalise the referenced rows in place, as ``embedding``.
        scale_grad_by_freq: divide each row's gradient by its frequency (not with ``"max"``).
        mode: ``"sum"``, ``"mean"`` or ``"max"``; an empty bag gives zeros.
        sparse: accepted for compatibility; the gradient is dense.
        per_sample_weights: weights of ``input``'s shape multiplying each row (``"sum"``
            only).
        include_last_offset: see ``offsets``.
        padding_idx: entries equal to it are left out of their bag (and get no gradient).

    Returns:
        ``(B, embedding_dim)``.
    """
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}"
        )
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    _check_indices(input, "indices", 2, "embedding_bag")
    num_weights = weight.shape[0]
    indices = _int64(input)
    _check_range(indices, num_weights)
    if max_norm is not None:
        _renorm_(weight, indices, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    if input.dim() == 1:
        _check_offsets(input, offsets, include_last_offset)
    if padding_idx is not None:
        if not -num_weights <= padding_idx < num_weights:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, -{num_weights} "
                f"through {num_weights - 1}, but got {padding_idx}"
            )
        padding_idx %= num_weights

    indices, bag, n_bags = _bags(input, offsets, include_last_offset)
    xp = backend.array_module(indices)
    psw = None
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)[: bag.size]
    if padding_idx is not None:
        kept = xp.flatnonzero(indices != padding_idx)
        indices, bag = indices[kept], bag[kept]
        psw = None if psw is None else psw[Tensor._make(kept)]
    counts = xp.bincount(bag, minlength=n_bags)
    if mode == "max":
        return _bag_max(weight, indices, bag, n_bags, counts)

    rows = Embedding.apply(weight, indices, _grad_scale(indices, None, scale_grad_by_freq))
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    out = IndexAdd.apply(weight.new_zeros((n_bags, weight.shape[1])), 0, bag, rows, 1)
    if mode == "mean":
        out = out / Tensor._make(xp.maximum(counts, 1).astype(weight._data.dtype)[:, None])
    return out


def one_hot(tensor, num_classes=-1):
    """``tensor``'s values as one-hot rows: an int64 tensor of shape
    ``(*tensor.shape, num_classes)`` (``num_classes=-1``: one more than the largest value)."""
    if tensor.dtype is not int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    x = tensor._data
    xp = backend.array_module(x)
    if x.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(xp.zeros((*x.shape, num_classes), np.int64))
    if int(x.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    largest = int(x.max())
    if num_classes == -1:
        num_classes = largest + 1
    elif num_classes <= largest:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((x[..., None] == xp.arange(num_classes)).astype(np.int64))
