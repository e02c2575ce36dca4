"""The rest of torch's top-level functions: the top-level forms of ``nn.functional`` (with
torch's top-level signatures, which differ from the functional ones: ``dropout(input, p,
train)``, ``embedding(weight, indices, ...)``, losses taking ``reduction`` as torch's
``Reduction`` enum), the ``*_copy`` forms of the views, and a few factories, queries and
process-wide switches.

Each is a thin wrapper over the Function or composite that ``nn.functional``, ``ember.*`` or
the Tensor methods already use; nothing here computes on its own except ``gradient`` and the
randomized low-rank decompositions, which compose differentiable operations.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _versions, backend, linalg
from ._creation import _place, empty, full, set_default_device
from ._dtype import ALL as _DTYPES
from ._dtype import float32, int64, promote_types, set_default_dtype, uint8
from ._tensor import Tensor
from .autograd.anomaly_mode import (
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from .func import vmap
from .nn.functional import channel_shuffle
from .ops import loss as _loss
from .ops import pooling as _pooling
from .ops._util import normalize_dims, wrap_dim
from .ops.complex import view_as_complex, view_as_real
from .ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from .ops.conversion import clone
from .ops.decomposition import vander as _linalg_vander
from .ops.dropout import _dropout
from .ops.embedding import _check_indices, _int64, _renorm_
from .ops.embedding import embedding as _embedding
from .ops.indexing import as_strided, nonzero
from .ops.linear import bilinear
from .ops.normalization import batch_norm as _batch_norm
from .ops.normalization import group_norm as _group_norm
from .ops.normalization import instance_norm as _instance_norm
from .ops.normalization import layer_norm as _layer_norm
from .ops.normalization import rms_norm
from .ops.padding import pad as _pad
from .ops.pooling import adaptive_avg_pool1d, avg_pool1d
from .ops.sampling import pixel_shuffle, pixel_unshuffle
from .ops.shape import cat, chunk, split, split_with_sizes, squeeze
from .random import randn

__all__ = [
    # convolution, pooling, normalization, dropout, embeddings
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_tbc",
    "avg_pool1d",
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "batch_norm",
    "instance_norm",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "dropout",
    "dropout_",
    "alpha_dropout",
    "alpha_dropout_",
    "feature_dropout",
    "feature_dropout_",
    "feature_alpha_dropout",
    "feature_alpha_dropout_",
    "embedding",
    "embedding_renorm_",
    "pixel_shuffle",
    "pixel_unshuffle",
    "native_channel_shuffle",
    "bilinear",
    "constant_pad_nd",
    # losses
    "kl_div",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "poisson_nll_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "ctc_loss",
    "binary_cross_entropy_with_logits",
    # factories and operations
    "tril_indices",
    "triu_indices",
    "vander",
    "gradient",
    "index_put",
    "index_put_",
    "detach",
    "adjoint",
    "empty_permuted",
    "nonzero_static",
    "conj_physical_",
    "matrix_rank",
    "svd_lowrank",
    "pca_lowrank",
    "unsafe_chunk",
    "unsafe_split",
    "unsafe_split_with_sizes",
    "vmap",
    # copies of views
    "alias_copy",
    "as_strided_copy",
    "detach_copy",
    "diagonal_copy",
    "expand_copy",
    "permute_copy",
    "select_copy",
    "slice_copy",
    "split_copy",
    "split_with_sizes_copy",
    "squeeze_copy",
    "t_copy",
    "transpose_copy",
    "unbind_copy",
    "unfold_copy",
    "unsqueeze_copy",
    "view_as_complex_copy",
    "view_as_real_copy",
    "view_copy",
    # queries and switches
    "can_cast",
    "get_device",
    "is_neg",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "set_warn_always",
    "is_warn_always_enabled",
    "set_default_tensor_type",
    "from_dlpack",
    "to_dlpack",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
]


# ------------------------------------------------------------------------ convolution, pooling


def conv_tbc(input, weight, bias, pad=0):
    """1-d convolution of a ``(time, batch, in_channels)`` sequence with a ``(kernel_width,
    in_channels, out_channels)`` filter and an ``(out_channels,)`` bias, ``pad`` zeros at both
    ends of time: a ``(time + 2 * pad - kernel_width + 1, batch, out_channels)`` result."""
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError(
            "Weight tensor must have 3 dims: kernel_width, in_channels, out_channels."
        )
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    y = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return y.permute(2, 0, 1)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``nn.functional.max_pool1d`` without ``return_indices``; an empty ``stride`` means
    ``kernel_size``."""
    return _pooling.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``nn.functional.max_pool2d`` without ``return_indices``; an empty ``stride`` means
    ``kernel_size``."""
    return _pooling.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``nn.functional.max_pool3d`` without ``return_indices``; an empty ``stride`` means
    ``kernel_size``."""
    return _pooling.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``max_pool1d`` and the int64 position of each maximum along the input's last dim."""
    return _pooling.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d(input, output_size):
    """1-d adaptive max pooling over ``(N, C, L)`` or ``(C, L)``: the values and the int64
    position of each maximum, as torch's top-level form returns them."""
    return _pooling.adaptive_max_pool1d(input, output_size, True)


# ------------------------------------------------------------------------------ normalization


def batch_norm(
    input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled
):
    """``nn.functional.batch_norm`` with torch's top-level argument order;
    ``cudnn_enabled`` is accepted and ignored. Training on one value per channel raises
    ``ValueError`` as the functional form does (torch's top-level form normalises it to 0)."""
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled
):
    """``nn.functional.instance_norm`` with torch's top-level argument order;
    ``cudnn_enabled`` is accepted and ignored. One spatial element per channel raises
    ``ValueError`` with ``use_input_stats``, as in the functional form."""
    return _instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """``nn.functional.layer_norm``; ``cudnn_enable`` is accepted and ignored."""
    return _layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """``nn.functional.group_norm``; ``cudnn_enabled`` is accepted and ignored."""
    return _group_norm(input, num_groups, weight, bias, eps)


# ------------------------------------------------------------------------------------ dropout


def _dropout_of(input, p, train, inplace, feature=False, alpha=False):
    if not 0 <= p <= 1:  # (a RuntimeError here, nn.functional's is a ValueError, as in torch)
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return _dropout(input, p, train, inplace, feature=feature, alpha=alpha)


def dropout(input, p, train):
    """``nn.functional.dropout(input, p, training=train)``."""
    return _dropout_of(input, p, train, False)


def dropout_(input, p, train):
    """In-place ``dropout``."""
    return _dropout_of(input, p, train, True)


def alpha_dropout(input, p, train):
    """``nn.functional.alpha_dropout(input, p, training=train)``."""
    return _dropout_of(input, p, train, False, alpha=True)


def alpha_dropout_(input, p, train):
    """In-place ``alpha_dropout``."""
    return _dropout_of(input, p, train, True, alpha=True)


def feature_dropout(input, p, train):
    """Dropout of whole channels: one draw per ``input[n, c]`` of a ``(N, C, *)`` input,
    whatever its number of dimensions (at least 2)."""
    return _dropout_of(input, p, train, False, feature=True)


def feature_dropout_(input, p, train):
    """In-place ``feature_dropout``."""
    return _dropout_of(input, p, train, True, feature=True)


def feature_alpha_dropout(input, p, train):
    """``alpha_dropout`` of whole channels, as ``feature_dropout``."""
    return _dropout_of(input, p, train, False, feature=True, alpha=True)


def feature_alpha_dropout_(input, p, train):
    """In-place ``feature_alpha_dropout``."""
    return _dropout_of(input, p, train, True, feature=True, alpha=True)


# --------------------------------------------------------------------------------- embeddings


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by ``indices`` (``nn.functional.embedding``, arguments in
    torch's top-level order). Only a ``padding_idx`` in ``[0, num_embeddings)`` marks a row
    that gets no gradient: -1 (or any other negative value) means none."""
    padding = padding_idx if 0 <= padding_idx < weight.shape[0] else None
    return _embedding(indices, weight, padding, None, 2.0, scale_grad_by_freq, sparse)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Scale in place the rows of ``input`` that ``indices`` names and whose
    ``norm_type``-norm exceeds ``max_norm`` down to norm ``max_norm``; returns ``input``."""
    input._check_inplace_fill()
    _check_indices(indices, "indices", 2, "embedding_renorm_")
    _renorm_(input, _int64(indices), max_norm, norm_type)
    _versions.bump(input._data)
    return input


def native_channel_shuffle(input, groups):
    """``nn.functional.channel_shuffle``."""
    return channel_shuffle(input, groups)


def constant_pad_nd(input, pad, value=0):
    """``nn.functional.pad(input, pad, "constant", value)``: negative pads crop."""
    return _pad(input, pad, "constant", value)


# ------------------------------------------------------------------------------------ losses

# torch's Reduction enum: 0 none, 1 mean, 2 sum (any other value reduces nothing, as in torch)
_REDUCTIONS = {1: "mean", 2: "sum"}


def _reduction(name, reduction):
    if not isinstance(reduction, numbers.Integral) or isinstance(reduction, bool):
        raise TypeError(
            f"{name}(): argument 'reduction' must be int, not {type(reduction).__name__}"
        )
    return _REDUCTIONS.get(int(reduction), "none")


def kl_div(input, target, reduction=1, *, log_target=False):
    """``nn.functional.kl_div`` with ``reduction`` as torch's enum (``1``: the mean over
    every element, without the functional form's warning)."""
    loss = _loss.kl_div(input, target, reduction="none", log_target=log_target)
    return _loss._reduce(loss, _reduction("kl_div", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """``nn.functional.margin_ranking_loss`` with ``reduction`` as torch's enum (0 none,
    1 mean, 2 sum)."""
    name = _reduction("margin_ranking_loss", reduction)
    return _loss.margin_ranking_loss(input1, input2, target, margin, reduction=name)


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    """``nn.functional.hinge_embedding_loss`` with ``reduction`` as torch's enum."""
    name = _reduction("hinge_embedding_loss", reduction)
    return _loss.hinge_embedding_loss(input, target, margin, reduction=name)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``nn.functional.poisson_nll_loss`` with every argument required, as torch's
    top-level form, and ``reduction`` as torch's enum."""
    name = _reduction("poisson_nll_loss", reduction)
    return _loss.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=name)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """``nn.functional.cosine_embedding_loss`` with ``reduction`` as torch's enum."""
    name = _reduction("cosine_embedding_loss", reduction)
    return _loss.cosine_embedding_loss(input1, input2, target, margin, reduction=name)


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=1
):
    """``nn.functional.triplet_margin_loss`` with ``reduction`` as torch's enum."""
    name = _reduction("triplet_margin_loss", reduction)
    return _loss.triplet_margin_loss(
        anchor, positive, negative, margin, p, eps, swap, reduction=name
    )


def ctc_loss(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False
):
    """``nn.functional.ctc_loss`` with ``reduction`` as torch's enum."""
    name = _reduction("ctc_loss", reduction)
    return _loss.ctc_loss(
        log_probs, targets, input_lengths, target_lengths, blank, name, zero_infinity
    )


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """``nn.functional.binary_cross_entropy_with_logits`` (``pos_weight`` before
    ``reduction``, which is torch's enum)."""
    name = _reduction("binary_cross_entropy_with_logits", reduction)
    return _loss.binary_cross_entropy_with_logits(
        input, target, weight, reduction=name, pos_weight=pos_weight
    )


# ------------------------------------------------------------------- factories and operations


def _triangle_indices(name, triangle, row, col, offset, dtype, device):
    for what, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{what} must be non-negative, got{n}")
    if not (dtype.is_signed and not dtype.is_floating_point and not dtype.is_complex):
        raise NotImplementedError(f"\"{name}\" not implemented for '{dtype.scalar_name}'")
    rows, cols = triangle(row, offset, col)
    return _place(np.stack([rows, cols]).astype(dtype.np), device, False)


def tril_indices(row, col, offset=0, *, dtype=int64, device=None, layout=None):
    """The ``(2, N)`` coordinates (rows, then columns; in row-major order) of the lower
    triangle of a ``row`` x ``col`` matrix: the elements on and below the ``offset``-th
    diagonal (``offset`` > 0: above the main one, < 0: below).

    ``device`` None means the default device."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=int64, device=None, layout=None):
    """The ``(2, N)`` coordinates of the upper triangle of a ``row`` x ``col`` matrix: the
    elements on and above the ``offset``-th diagonal; see ``tril_indices``."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D ``x``: columns ``x^(N-1), ..., x^1, x^0`` (reversed
    with ``increasing``); ``N`` defaults to ``len(x)``. Integer and bool inputs give int64.
    """
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = promote_types(x.dtype, int64)
    if n > 1:
        result = _linalg_vander(x, N=n).to(dtype)
    else:  # no power of x but x^0: nothing to differentiate, as in torch
        result = full((x.shape[0], n), 1, dtype=dtype, device=x.device)
    return result if increasing else result.flip(1)


def _cut(t, dim, start, stop=None):
    """``t[..., start:stop]`` along ``dim``."""
    return t[(slice(None),) * dim + (slice(start, stop),)]


def _uniform_gradient(f, d, h, edge_order):
    """``gradient`` along ``d`` for samples ``h`` apart: central differences inside, one-sided
    ones of order ``edge_order`` at both ends."""
    center = (_cut(f, d, 2) - _cut(f, d, 0, -2)) / h / 2
    if edge_order == 1:
        first = (_cut(f, d, 1, 2) - _cut(f, d, 0, 1)) / h
        last = (_cut(f, d, -1) - _cut(f, d, -2, -1)) / h
    else:
        first = (-1.5 * _cut(f, d, 0, 1) + 2 * _cut(f, d, 1, 2) - 0.5 * _cut(f, d, 2, 3)) / h
        last = (0.5 * _cut(f, d, -3, -2) - 2 * _cut(f, d, -2, -1) + 1.5 * _cut(f, d, -1)) / h
    return cat([first, center, last], d)


def _coordinate_gradient(f, d, x, edge_order):
    """``gradient`` along ``d`` for samples at the coordinates ``x`` (1-D): the second-order
    differences of unevenly spaced samples (Fornberg, 1988), torch's formulas."""
    if x.dim() != 1:
        raise RuntimeError(
            "ember.gradient expected each element of spacing to have one dimension, but got an "
            f"element with {x.dim()} dimensions!"
        )
    shape = [1] * f.dim()
    shape[d] = -1
    dx = x.diff()
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _cut(f, d, 0, -2) + b * _cut(f, d, 1, -1) + c * _cut(f, d, 2)
    if edge_order == 1:
        first = (_cut(f, d, 1, 2) - _cut(f, d, 0, 1)) / dx[0]
        last = (_cut(f, d, -1) - _cut(f, d, -2, -1)) / dx[-1]
    else:
        h0, h1, g1, g0 = dx[0], dx[1], dx[-2], dx[-1]  # the first and the last two spacings
        first = (
            -(2.0 * h0 + h1) / (h0 * (h0 + h1)) * _cut(f, d, 0, 1)
            + (h0 + h1) / (h0 * h1) * _cut(f, d, 1, 2)
            - h0 / (h1 * (h0 + h1)) * _cut(f, d, 2, 3)
        )
        last = (
            g0 / (g1 * (g0 + g1)) * _cut(f, d, -3, -2)
            - (g0 + g1) / (g0 * g1) * _cut(f, d, -2, -1)
            + (2 * g0 + g1) / (g0 * (g0 + g1)) * _cut(f, d, -1)
        )
    return cat([first, center, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the gradient of a function sampled in ``input``, along each of ``dim``
    (default: every dimension), by second-order central differences inside and one-sided
    differences of order ``edge_order`` (1 or 2) at the boundaries.

    Args:
        spacing: a number (the distance between samples along every dim), a sequence of
            numbers (one per dim), or a sequence of 1-D tensors: the coordinates of the
            samples along each dim.
        dim: an int or a sequence of ints.
        edge_order: 1 or 2.

    Returns:
        A tuple with one tensor of ``input``'s shape per dim (integers give floats).

    Example:
        >>> ember.gradient(ember.tensor([1.0, 4.0, 9.0, 16.0, 25.0]))
        (tensor([3., 4., 6., 8., 9.]),)
    """
    if input.dtype is uint8:
        raise RuntimeError("ember.gradient does not support uint8 input.")
    if isinstance(spacing, Tensor):
        raise TypeError(
            "gradient(): argument 'spacing' must be a number or a sequence of numbers or of "
            "tensors, not Tensor"
        )
    dims = range(input.dim()) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    if isinstance(spacing, numbers.Number):
        spacing = [spacing] * len(dims)
    else:
        spacing = list(spacing)
        if dim is None and len(spacing) != input.dim():
            raise RuntimeError(
                "ember.gradient expected spacing to be unspecified, a scalar, or a list of "
                f"length equal to 'self.dim() = {input.dim()}', since dim argument was not "
                f"given, but got a list of length {len(spacing)}"
            )
        if dim is not None and len(spacing) != len(dims):
            raise RuntimeError(
                "ember.gradient expected spacing to be unspecified, a scalar or it's spacing "
                "and dim arguments to have the same length, but got a spacing argument of "
                f"length {len(spacing)} and a dim argument of length {len(dims)}."
            )
    if edge_order not in (1, 2):
        raise RuntimeError("ember.gradient only supports edge_order=1 and edge_order=2.")
    if dims:
        normalize_dims(dims, input.dim())  # (for its checks: range, repeats)
    dims = [wrap_dim(d, input.dim()) for d in dims]
    if any(input.shape[d] < edge_order + 1 for d in dims):
        raise RuntimeError(
            "ember.gradient expected each dimension size to be at least edge_order+1"
        )
    return tuple(
        _coordinate_gradient(input, d, h, edge_order)
        if isinstance(h, Tensor)
        else _uniform_gradient(input, d, h, edge_order)
        for d, h in zip(dims, spacing)
    )


def index_put(input, indices, values, accumulate=False):
    """``input.index_put(indices, values, accumulate)``: a copy with ``values`` put (or, with
    ``accumulate``, added) at the positions the tuple of index tensors picks."""
    return input.index_put(indices, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """In-place ``index_put``."""
    return input.index_put_(indices, values, accumulate)


def detach(input):
    """``input.detach()``: the same data, outside the graph."""
    return input.detach()


def adjoint(input):
    """``input.adjoint()``: the conjugate transpose of the last two dims, as a view."""
    return input.adjoint()


def conj_physical_(input):
    """``input.conj_physical_()``: conjugate in place."""
    return input.conj_physical_()


def empty_permuted(
    size,
    physical_layout,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """An uninitialised, dense tensor of ``size`` whose dims are laid out in memory in the
    order ``physical_layout`` lists them (outermost first): ``empty_permuted((N, C, H, W),
    (0, 2, 3, 1))`` is channels-last."""
    size, physical_layout = tuple(size), tuple(physical_layout)
    if len(size) != len(physical_layout):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = "
            f"{len(physical_layout)}"
        )
    if sorted(physical_layout) != list(range(len(size))):
        raise RuntimeError("Duplicate dim not allowed")
    dense = empty([size[d] for d in physical_layout], dtype=dtype, device=device)
    order = tuple(int(i) for i in np.argsort(physical_layout))  # each logical dim's place
    return Tensor._make(dense._data.transpose(order)).requires_grad_(requires_grad)


def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero(input)`` with exactly ``size`` rows: cut to the first ``size``, or padded
    with rows of ``fill_value``."""
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = nonzero(input)
    n = found.shape[0]
    if n >= size:
        return found[:size]
    filler = full((size - n, found.shape[1]), fill_value, dtype=int64, device=input.device)
    return cat([found, filler])


def matrix_rank(input, tol=None, symmetric=False, *, out=None):
    """Removed from torch in 1.9; raises, as torch does. Use ``ember.linalg.matrix_rank``."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed.\n"
        "Please use the `ember.linalg.matrix_rank` function instead. The parameter 'symmetric' "
        "was renamed in `ember.linalg.matrix_rank()` to 'hermitian'."
    )


def _approximate_basis(A, q, niter, M):
    """``Q`` with ``q`` orthonormal columns such that ``Q Q^H (A - M)`` approximates
    ``A - M``, without forming ``A - M``: Halko et al. (2009), Algorithm 4.4, a random start
    refined by ``niter`` subspace iterations."""

    dtype = A.dtype if A.is_floating_point() or A.is_complex() else float32
    R = randn(A.shape[-1], q, dtype=dtype, device=A.device)
    X = A @ R if M is None else A @ R - M @ R
    Q = linalg.qr(X).Q
    for _ in range(niter):
        X = A.mH @ Q if M is None else A.mH @ Q - M.mH @ Q
        Q = linalg.qr(X).Q
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = linalg.qr(X).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """An approximate SVD ``(U, S, V)``, ``A ≈ U diag(S) V^H``, of rank ``q`` of a matrix or
    a batch ``(*, m, n)``, by randomized subspace iteration (Halko et al., 2009, Algorithm
    5.1); with ``M`` (broadcast to ``A``), of ``A - M``. Random: seed the generator to repeat
    a result.

    Args:
        q: a slightly overestimated rank of ``A``.
        niter: the number of subspace iterations (2 is usually enough).
        M: a tensor subtracted from ``A``, without forming the difference.

    Returns:
        ``U`` ``(*, m, q)``, ``S`` ``(*, q)``, ``V`` ``(*, n, q)``.
    """
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work on the tall one
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mH
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal component analysis of the rows of ``A`` ``(*, m, n)`` (``m`` samples of
    ``n`` features) by ``svd_lowrank`` of the centred ``A``: ``V``'s columns are the principal
    directions, ``S ** 2 / (m - 1)`` the variances along them.

    Args:
        q: a slightly overestimated rank of ``A``; default ``min(6, m, n)``.
        center: subtract the column means first (otherwise ``A`` is taken as centred).
        niter: the number of subspace iterations.

    Returns:
        ``U`` ``(*, m, q)``, ``S`` ``(*, q)``, ``V`` ``(*, n, q)``.
    """
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(
            f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}"
        )
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(dim=(-2,), keepdim=True)
    return svd_lowrank(A, q, niter=niter)


def unsafe_chunk(input, chunks, dim=0):
    """``chunk``: torch's form without autograd's checks of in-place writes to the pieces,
    which Ember does not make either."""
    return chunk(input, chunks, dim)


def unsafe_split(tensor, split_size_or_sections, dim=0):
    """``split``: torch's form without autograd's checks of in-place writes to the pieces."""
    return split(tensor, split_size_or_sections, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """``split_with_sizes``: torch's form without autograd's checks of in-place writes."""
    return split_with_sizes(input, split_sizes, dim)


# --------------------------------------------------------------------------- copies of views
# Each is its view operation followed by ``clone``: a new tensor, gradients flowing through.


def alias_copy(input):
    """A copy of ``input`` (torch's ``alias``, copied)."""
    return clone(input)


def as_strided_copy(input, size, stride, storage_offset=None):
    """``as_strided`` as a new tensor rather than a view."""
    return clone(as_strided(input, size, stride, storage_offset or 0))


def detach_copy(input):
    """``detach`` as a new tensor rather than a view."""
    return clone(input.detach())


def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    """``diagonal`` as a new tensor rather than a view."""
    return clone(input.diagonal(offset, dim1, dim2))


def expand_copy(input, size, *, implicit=False):
    """``expand`` as a new tensor rather than a view."""
    return clone(input.expand(*size))


def permute_copy(input, dims):
    """``permute`` as a new tensor rather than a view."""
    return clone(input.permute(*dims))


def select_copy(input, dim, index):
    """``select`` as a new tensor rather than a view."""
    return clone(input.select(dim, index))


def slice_copy(input, dim=0, start=None, end=None, step=1):
    """``input[..., start:end:step]`` along ``dim``, as a new tensor."""
    if input.dim() == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    dim = wrap_dim(dim, input.dim())
    return clone(input[(slice(None),) * dim + (slice(start, end, step),)])


def split_copy(input, split_size, dim=0):
    """``split`` into new tensors rather than views."""
    return tuple(clone(t) for t in split(input, split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim=0):
    """``split_with_sizes`` into new tensors rather than views."""
    return tuple(clone(t) for t in split_with_sizes(input, split_sizes, dim))


def squeeze_copy(input, dim=None):
    """``squeeze`` as a new tensor rather than a view."""
    return clone(squeeze(input, dim))


def t_copy(input):
    """``t`` as a new tensor rather than a view."""
    return clone(input.t())


def transpose_copy(input, dim0, dim1):
    """``transpose`` as a new tensor rather than a view."""
    return clone(input.transpose(dim0, dim1))


def unbind_copy(input, dim=0):
    """``unbind`` into new tensors rather than views."""
    return tuple(clone(t) for t in input.unbind(dim))


def unfold_copy(input, dimension, size, step):
    """``unfold`` as a new tensor rather than a view."""
    return clone(input.unfold(dimension, size, step))


def unsqueeze_copy(input, dim):
    """``unsqueeze`` as a new tensor rather than a view."""
    return clone(input.unsqueeze(dim))


def view_as_complex_copy(input):
    """``view_as_complex`` as a new tensor rather than a view."""
    return clone(view_as_complex(input))


def view_as_real_copy(input):
    """``view_as_real`` as a new tensor rather than a view."""
    return clone(view_as_real(input))


def view_copy(input, size):
    """``view`` (to a shape, or to a dtype) as a new tensor rather than a view."""
    return clone(input.view(size))


# ------------------------------------------------------------------------ queries and switches


def can_cast(from_, to):
    """Whether torch's casting rules allow ``from_`` to ``to`` (as in-place operations and
    ``out=`` do): never to a lower category (complex > floating > integer > bool)."""
    return from_._category <= to._category


def get_device(input):
    """The index of ``input``'s CUDA device, -1 on the CPU."""
    return input.get_device()


def is_neg(input):
    """False: Ember has no lazily negated tensors (torch's negative bit)."""
    return False


_settings = {"float32_matmul_precision": "highest", "warn_always": False}

# the cupy compute type of float32 products for each precision (cupy._core._routines_linalg's
# COMPUTE_TYPE_DEFAULT, _TF32, _BF16)
_CUPY_COMPUTE_TYPES = {"highest": 1, "high": 7, "medium": 6}


def set_float32_matmul_precision(precision):
    """Set the internal precision of float32 matrix products: ``"highest"`` (float32
    throughout, the default), ``"high"`` (TensorFloat32 allowed) or ``"medium"`` (bfloat16
    allowed). Any other value warns and changes nothing.

    On the CPU numpy computes float32 products in float32 whatever the setting. On a GPU the
    setting becomes cupy's compute type for float32 (and complex64) products
    (``cupy._core.set_compute_type``): TF32 for ``"high"``, BF16 for ``"medium"``, taken by
    cupy's ``matmul``/``dot``/``tensordot``, so by Ember's linear layers and convolutions;
    GPUs before compute capability 8.0 keep float32 (cupy warns).
    """
    if precision not in _CUPY_COMPUTE_TYPES:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "setFloat32MatmulPrecision call has no effect.",
            stacklevel=2,
        )
        return
    _settings["float32_matmul_precision"] = precision
    if backend.cuda_available():
        backend.cp._core.set_compute_type(np.float32, _CUPY_COMPUTE_TYPES[precision])


def get_float32_matmul_precision():
    """The float32 matrix product precision ``set_float32_matmul_precision`` set."""
    return _settings["float32_matmul_precision"]


def set_warn_always(b, /):
    """Make warnings that torch gives once per process come every time. Ember keeps the flag
    for code that reads it; its warnings are Python's, whose filters decide how often they
    show."""
    _settings["warn_always"] = bool(b)


def is_warn_always_enabled():
    """The flag ``set_warn_always`` set."""
    return _settings["warn_always"]


_TENSOR_TYPE_MODULES = ("ember", "torch", "ember.cuda", "torch.cuda")


def set_default_tensor_type(t, /):
    """Deprecated (as in torch 2.1): set the default floating dtype (and, for a CUDA type,
    the default device) from a tensor type name such as ``"torch.DoubleTensor"`` or
    ``"ember.cuda.FloatTensor"``. Use ``set_default_dtype`` and ``set_default_device``.
    """
    warnings.warn(
        "ember.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "ember.set_default_dtype() and ember.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    if not isinstance(t, str):
        raise TypeError(
            "invalid type object: only floating-point types are supported as the default type"
        )
    module, _, name = t.rpartition(".")
    dtype = next((d for d in _DTYPES if f"{d.scalar_name}Tensor" == name), None)
    if module not in _TENSOR_TYPE_MODULES or dtype is None:
        raise AttributeError(f"module '{module}' has no attribute '{name}'")
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    set_default_dtype(dtype)
    if module.endswith("cuda"):
        set_default_device("cuda")


_DL_CPU = 1  # DLPack's device type of host memory (kDLCPU)


class _Capsule:
    """A bare DLPack capsule behind the ``__dlpack__`` protocol, which is all that
    ``numpy.from_dlpack`` takes."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (_DL_CPU, 0)


def _from_capsule(capsule):
    try:
        return np.from_dlpack(_Capsule(capsule))
    except BufferError:  # not host memory: a GPU capsule (numpy leaves it unconsumed)
        if backend.cp is None:
            raise
        return backend.cp.from_dlpack(capsule)


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A tensor sharing the memory of ``ext_tensor``: an object with ``__dlpack__`` (a numpy
    or cupy array, a torch tensor, ...), an Ember tensor, or a DLPack capsule.

    Host memory comes in through ``numpy.from_dlpack`` (which imports a capsule read-only),
    GPU memory through ``cupy.from_dlpack``.

    Args:
        device: move the result there (a copy when it is elsewhere).
        copy: True: always copy; False: never (a move to another device raises ValueError);
            None: copy only to move.
    """
    if isinstance(ext_tensor, Tensor):
        array = ext_tensor._data
    elif hasattr(ext_tensor, "__dlpack__"):
        on_host = ext_tensor.__dlpack_device__()[0] == _DL_CPU
        array = (np if on_host else backend.cp).from_dlpack(ext_tensor)
    else:
        if device is not None or copy is not None:
            raise AssertionError(
                "device and copy kwargs not supported when ext_tensor is already a DLPack capsule."
            )
        array = _from_capsule(ext_tensor)
    t = Tensor._make(array)
    if device is not None and t.device != backend.Device(device):
        if copy is False:
            raise ValueError(
                f"cannot move DLPack tensor from device {t.device} to {device} without "
                "copying. Set copy=None or copy=True."
            )
        return t.to(device)
    return t.clone() if copy else t


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s memory, for another library's ``from_dlpack``."""
    return tensor._data.__dlpack__()
