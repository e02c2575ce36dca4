"""Fused linear layers: ``linear`` (y = x Wᵀ + b, one GEMM) and ``bilinear``
(y = x1ᵀ W x2 + b). ``nn.Linear``, ``nn.Bilinear`` and ``nn.functional`` call these."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from .linalg import require_same_dtype

__all__ = ["linear", "bilinear"]


# With at most this many rows against a weight of more than _ROW_BY_ROW_MIN_BYTES, the product
# runs row by row as matrix-vector products over blocks of the weight's rows of about
# _ROW_BY_ROW_BLOCK_BYTES (see times_transposed).
_ROW_BY_ROW_MAX_ROWS = 4
_ROW_BY_ROW_MIN_BYTES = 8 << 20
_ROW_BY_ROW_BLOCK_BYTES = 4 << 20


def times_transposed(x, weight, out=None):
    """``x @ weight.T`` for 2-d ``x``, into ``out`` (C-contiguous) if given.

    With few rows against many outputs, OpenBLAS streams the weight 10-40% faster as the left
    operand of the GEMM (``(weight @ x.T).T``; the LSTM's 32 x 256 by 256 x 1024 step: 0.17 ->
    0.13 ms); the copy of the small result back into row order costs little.

    With up to four rows against a large weight (the classifier of a CNN at inference), the
    GEMM is far from the memory bound: OpenBLAS packs the weight and runs a kernel made for
    wider products. A matrix-vector product streams a matrix at memory speed, so each block of
    a few MB of the weight's rows is multiplied by one row at a time while it stays in cache.
    Measured (2-core AMD EPYC, float32, ms, GEMM -> row by row): AlexNet's 9216 -> 4096 at 4
    rows 12.9 -> 9.7, 2 rows 12.9 -> 7.1; its 4096 -> 4096 at 4 rows 5.4-9.1 -> 3.8-5.6;
    VGG-11's 25088 -> 4096 at 2 rows 32-40 -> 19-20. From 8 rows on the GEMM is as fast.
    """
    xp = backend.array_module(x)
    if weight.ndim != 2 or 4 * x.shape[0] > weight.shape[0]:
        return xp.matmul(x, weight.T, out=out)
    if (
        xp is np
        and x.shape[0] <= _ROW_BY_ROW_MAX_ROWS
        and weight.nbytes > _ROW_BY_ROW_MIN_BYTES
        and weight.flags.c_contiguous
    ):
        return _row_by_row(x, weight, out)
    if out is None:
        return xp.ascontiguousarray(xp.matmul(weight, x.T).T)
    out[...] = xp.matmul(weight, x.T).T
    return out


def _row_by_row(x, weight, out):
    """``x @ weight.T`` as matrix-vector products, one per row of ``x`` and block of rows of
    the (C-contiguous) ``weight`` (see times_transposed)."""
    if out is None:
        out = np.empty((x.shape[0], weight.shape[0]), dtype=np.result_type(x, weight))
    step = max(_ROW_BY_ROW_BLOCK_BYTES // (weight.shape[1] * weight.itemsize), 1)
    for start in range(0, weight.shape[0], step):
        block = weight[start : start + step]
        for row, values in zip(out, x):
            np.matmul(block, values, out=row[start : start + step])
    return out


class Linear(Function):
    """y = x @ weight.T + bias over any leading batch dimensions of x."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        # batch dimensions folded into the rows: one GEMM, not one per leading index
        rows = x.reshape(-1, x.shape[-1])
        y = times_transposed(rows, weight).reshape(*x.shape[:-1], weight.shape[0])
        if bias is not None:
            y += bias  # y is fresh: add in place rather than allocate another output
        return y

    @staticmethod
    def formula(ctx, gy, saved):
        x, weight = saved
        need_x, need_w, need_b = ctx.needs_input_grad
        # the batch dimensions flattened into rows: one GEMM each (gW sums gyᵀ x over rows)
        gy2 = gy.reshape(-1, gy.shape[-1])
        gx = (gy2 @ weight).reshape(x.shape) if need_x else None
        gw = gy2.T @ x.reshape(-1, x.shape[-1]) if need_w else None
        gb = gy2.sum(0) if need_b else None
        return gx, gw, gb


class Bilinear(Function):
    """y[n, o] = Σ_ij x1[n, i] W[o, i, j] x2[n, j] + b[o], on inputs flattened to 2-D."""

    @staticmethod
    def forward(ctx, x1, x2, weight, bias):
        ctx.save_for_backward(x1, x2, weight)
        xp = backend.array_module(x1)
        out, in1, in2 = weight.shape
        n = x1.shape[0]
        # t[n, o, j] = Σ_i x1[n, i] W[o, i, j]: one GEMM, then a batched dot with x2
        t = xp.matmul(x1, weight.transpose(1, 0, 2).reshape(in1, out * in2))
        y = xp.matmul(t.reshape(n, out, in2), x2.reshape(n, in2, 1)).reshape(n, out)
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, gy):
        x1, x2, weight = ctx.saved_tensors
        need_x1, need_x2, need_w, need_b = ctx.needs_input_grad
        out, in1, in2 = weight.shape
        n = gy.shape[0]
        g1 = g2 = gw = gb = None
        if need_x1:  # gx1[n, i] = Σ_oj gy[n, o] x2[n, j] W[o, i, j]
            outer = (gy.reshape(n, out, 1) * x2.reshape(n, 1, in2)).reshape(n, out * in2)
            g1 = outer.matmul(weight.permute(0, 2, 1).reshape(out * in2, in1))
        if need_x2:  # gx2[n, j] = Σ_oi gy[n, o] x1[n, i] W[o, i, j]
            outer = (gy.reshape(n, out, 1) * x1.reshape(n, 1, in1)).reshape(n, out * in1)
            g2 = outer.matmul(weight.reshape(out * in1, in2))
        if need_w:  # gW[o, i, j] = Σ_n gy[n, o] x1[n, i] x2[n, j]
            outer = (x1.reshape(n, in1, 1) * x2.reshape(n, 1, in2)).reshape(n, in1 * in2)
            gw = gy.t().matmul(outer).reshape(out, in1, in2)
        if need_b:
            gb = gy.sum(0)
        return g1, g2, gw, gb


def _check_dtypes(input, weight, bias):
    # torch's words: linear without bias is a matmul, with bias an addmm (self = bias)
    if bias is None:
        require_same_dtype(input, weight, "mm")
        return
    for name, t in (("mat1", input), ("self", bias)):
        if t.dtype is not weight.dtype:
            raise RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {t.dtype.scalar_name} and "
                f"{weight.dtype.scalar_name}"
            )


@autocast_op("linear")
def linear(input, weight, bias=None):
    """y = input @ weight.T + bias.

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)`` (or ``(in_features,)``, giving ``(*)``).
        bias: ``(out_features,)`` or None.

    Returns:
        ``(*, out_features)``.
    """
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(
            "both arguments to linear need to be at least 1D, but they are "
            f"{input.dim()}D and {weight.dim()}D"
        )
    _check_dtypes(input, weight, bias)
    if input.shape[-1] != weight.shape[-1]:
        rows = math.prod(input.shape[:-1])
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[-1]}x{weight.shape[0] if weight.dim() == 2 else 1})"
        )
    if weight.dim() == 1:  # a dot product per row: rare enough for the composite
        y = input.matmul(weight)
        return y if bias is None else y + bias
    return Linear.apply(input, weight, bias)


@autocast_op("bilinear")
def bilinear(input1, input2, weight, bias=None):
    """y = input1ᵀ W input2 + b for each batch entry.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)`` with the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or None.

    Returns:
        ``(*, out_features)``.
    """
    if input1.dim() != input2.dim():
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}"
        )
    for dim, (s1, s2) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if s1 != s2:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {dim}: got {s1} and {s2}"
            )
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            "bilinear(): input1 size does not match weight size: got "
            f"{input1.shape[-1]} but expected {weight.shape[1]}"
        )
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            "bilinear(): input2 size does not match weight size: got "
            f"{input2.shape[-1]} but expected {weight.shape[2]}"
        )
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(
            "bilinear(): bias size does not match weight size: got "
            f"{bias.shape[0]} but expected {weight.shape[0]}"
        )
    for t in (input2, weight) if bias is None else (input2, weight, bias):
        require_same_dtype(input1, t, "scalar")
    batch = input1.shape[:-1]
    y = Bilinear.apply(
        input1.reshape(-1, input1.shape[-1]), input2.reshape(-1, input2.shape[-1]), weight, bias
    )
    return y.reshape(*batch, weight.shape[0])
