"""Convolutions: conv1d/conv2d, their transposes, and unfold/fold (im2col/col2im).

Everything runs on 2-d NCHW arrays (1-d convolutions get a unit height). Three array kernels do
the work, all through strided views of the zero-padded input and batched GEMMs:

- ``_conv``: ``y = C_w x``. A strided view holds every window (im2col) and one GEMM per
  block of output rows contracts it with the weight, batched over groups.
- ``_conv_transpose``: ``x = C_w^T y``. A GEMM makes the per-window columns, which are then
  added back into place one kernel tap at a time (col2im without ``add.at``).
- ``_conv_weight``: the weight gradient, patches contracted with the output gradient.

Both ``_conv`` and ``_conv_weight`` hand 3x3 stride-1 convolutions with many channels to
Winograd F(2x2, 3x3) (``_winograd``) instead, where that measured faster. Stride-1
convolutions of small images run on the batch-last form of their input (``_batch_last``), one
wide image whose patch rows are long runs.

The three are each other's derivatives, so the Functions built on them (``_Conv``,
``_ConvTranspose``, ``_ConvWeight``) write their backward with one another and gradients of any
order come free.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from . import _cuda, _winograd
from ._windows import (
    Geometry,
    col2im_add,
    crop_canvas,
    pad_for_windows,
    tap_slice,
    zero_canvas,
)

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
]

# Patches are built and multiplied in blocks of whole images or of output rows, so the patch
# matrix of a wide early layer never needs hundreds of MB. On the CPU a block of a few MB stays
# in cache while the GEMM reads it. Measured (2-core AMD EPYC, OpenBLAS, batch 2, 3x3 conv,
# forward): 64->64 channels at 224x224 took 98 ms as one GEMM over the whole im2col matrix
# (231 MB) and 59-67 ms in blocks of 2-4 MB (PyTorch: 36-80 ms on the same, noisy, machine);
# below ~1000 columns a GEMM loses efficiency (512->512 at 28x28 split in 4-row blocks: 50 ms
# instead of 45 ms), hence the minimum. Smaller images come several to a block, each its own
# GEMM of numpy's batched matmul (see _patch_blocks). On a GPU the launch count matters more
# than the cache, so blocks there are only limited by memory.
_CPU_BLOCK_BYTES = 2 << 20
_GPU_BLOCK_BYTES = 256 << 20
_MIN_BLOCK_COLUMNS = 1024

# Winograd F(2x2, 3x3) (see _winograd) for 3x3 stride-1 float convolutions on the CPU, where it
# measured faster than im2col. Forward, ms, im2col -> Winograd (PyTorch 2.13 on the same run),
# best of 15 interleaved runs, same machine: VGG-11 at 224x224, batch 2: 128->256 @56 22.4 ->
# 17.8 (17.7), 256->256 @56 42.6 -> 28.7 (33.8), 256->512 @28 21.9 -> 17.4 (17.6), 512->512
# @28 44.0 -> 28.8 (35.9), 512->512 @14 12.2 -> 11.8 (9.7); VGG-11 at 64x64, batch 8, 256->256
# @16: forward 17.2 -> 13.6, input gradient 18.3 -> 14.0, weight gradient 17.4 -> 12.6. Where
# it does not pay:
# - Fewer input channels: its 16 GEMMs are C deep where im2col's is 9 C, and OpenBLAS runs a
#   64-deep one at half speed: 64->128 @112 (batch 2) 1.1-1.3x im2col's time, @32 (batch 8)
#   1.2-1.3x. Few outputs: 256->32 @32 (batch 8) no faster.
# - Small images: a tile's GEMM column carries its share of the halo row and column, so
#   ``tile_use`` = output pixels / (4 columns) is 0.93 at 56x56, 0.87 at 28x28, 0.79 at 16x16,
#   0.77 at 14x14, but 0.66 at 13x13 and 0.64 at 8x8, while the transforms of the weights cost
#   the same: AlexNet's 13x13 layers (batch 4) 0.9-1.1x im2col's time, all three together no
#   faster; VGG-11's 8x8 layers (batch 8) 0.96-1.17x, 4x4 1.2-2x.
# - Widening layers need more of it: the output transform costs about twice the input's per
#   channel (the weight gradient has none); 128->256 @16 (batch 8) 1.04x, 192->384 @13
#   1.05-1.10x.
# On a GPU (cupy) the kernel works but was not measured, so convolutions there keep im2col.

# Small images run batch-last (``_batch_last``): im2col's copies and col2im's adds then move
# runs of OW * N elements instead of OW, at the cost of transposing the input and the output
# (or its gradient). Measured per kernel, ms, NCHW -> batch-last, best of 25 (2-core EPYC):
# LeNet-5's 6->16 5x5 conv at 10x10 (batch 64): forward 1.19 -> 1.29, weight gradient 1.67
# -> 1.51, input gradient 3.18 -> 1.92; at batch 256 all three about halve. VGG-11 train's 8x8
# layers (batch 8) 0.85-0.88x, its 4x4 and 2x2 ones 0.85-1.07x; AlexNet's 13x13 layers
# (batch 4) 0.81-1.04x. From OW 27 on it loses (the transposes cost more than the runs
# save): LeNet-5's 1->6 conv at 28x28 1.5-2.6x, VGG-11's 64x64 and 32x32 layers 1.15-2x.
# A LeNet-5 train step (batch 64): 9.4 -> 6.8 ms (best of 150 alternating steps); inference
# (batch 256) 0.84x; AlexNet and VGG-11 unchanged.
_BATCH_LAST_MAX_WIDTH = 16
# The forward's im2col blocks of a convolution whose patches take at most this many bytes are
# kept for its weight gradient instead of being made again (LeNet-5: 5 MB and 3.8 MB).
_KEEP_PATCHES_BYTES = 8 << 20
# Weight gradients of convolutions with at most this many output channels (per group) multiply
# patches by gradient, not gradient by patches (see _patch_weight_gradient).
_PATCHES_LEFT_MAX_CHANNELS = 32

_WINOGRAD_MIN_CHANNELS = 128  # input channels per group
_WINOGRAD_MIN_OUT_CHANNELS = 64  # per group
_WINOGRAD_MIN_TILE_USE = {"conv": 0.75, "widening": 0.85}  # widening: more out than in

# The "shifted-window" alternative (stride 1: out += X[offset:offset + L] @ W[kh, kw] over the
# flattened padded image, one GEMM per kernel tap, no im2col copy) was measured too, on the
# same machine and shapes: 93 ms for the 64->64 layer (one-GEMM im2col: 98 ms) and 15-50% slower
# than im2col on the deeper VGG-11 layers (e.g. 512->512 at 28x28: 59 ms instead of 45 ms), also
# when tiled to stay in cache. numpy's matmul cannot accumulate into its output (no GEMM beta),
# so every tap pays a full pass over the output to add its product; that costs what the im2col
# copy saves, and the GEMMs with K = C instead of 9 * C run less efficiently.


# ---------------------------------------------------------------------------------------------
# Array kernels


def _im2col(x, kernel, geom, out_size):
    """A strided view ``(N, G, C/G, KH, KW, OH, OW)`` of the padded ``x`` whose element
    ``[n, g, c, kh, kw, oh, ow]`` is the input under kernel tap ``(kh, kw)`` of window
    ``(oh, ow)``: the im2col matrix without a copy."""
    x = pad_for_windows(x, kernel, geom, out_size)
    n, c = x.shape[:2]
    g = geom.groups
    sn, sc, sh, sw = x.strides
    (dh, dw), (th, tw) = geom.dilation, geom.stride
    shape = (n, g, c // g, *kernel, *out_size)
    strides = (sn, sc * (c // g), sc, sh * dh, sw * dw, sh * th, sw * tw)
    return backend.array_module(x).lib.stride_tricks.as_strided(x, shape, strides)


def _blocks(xp, n, rows, row_bytes, row_len):
    """``(n0, n1, r0, r1)`` blocks of images ``n0:n1`` and output rows ``r0:r1`` that cover an
    ``(n, rows)`` grid, each holding about a block's worth of patches (see _CPU_BLOCK_BYTES)."""
    budget = _CPU_BLOCK_BYTES if xp is np else _GPU_BLOCK_BYTES
    per_block = max(budget // max(row_bytes, 1), -(-_MIN_BLOCK_COLUMNS // max(row_len, 1)), 1)
    if per_block < rows:
        return [
            (i, i + 1, r, min(rows, r + per_block))
            for i in range(n)
            for r in range(0, rows, per_block)
        ]
    images = per_block // max(rows, 1)
    return [(i, min(n, i + images), 0, rows) for i in range(0, n, images)]


def _patch_blocks(x, kernel, geom, out_size):
    """Yield the im2col matrix of ``x`` in blocks (see ``_blocks``): ``(images, columns,
    cols)`` with ``cols`` (N', G, C/G * KH * KW, (r1 - r0) * OW) the patches of the N' images
    ``images = n0:n1`` and output rows ``r0:r1`` (``columns`` of the output), image by image:
    a batched GEMM writes a block's outputs straight into the output's (N, G, O/G, L) layout.

    Measured against the images side by side (one wide GEMM, then the output's images copied
    apart), LeNet-5's first convolution (64 x 1x32x32, 6 5x5 filters): forward 0.61-0.80 ->
    0.46-0.60 ms, weight gradient 0.33-0.37 -> 0.20 ms.

    On a GPU the images of a block come side by side instead, ``cols`` (G, C/G * KH * KW,
    N' * (r1 - r0) * OW): there one wide GEMM and a copy cost less than cupy's batched GEMMs
    (a LeNet-5 train step on an H200 took 3.9 ms side by side, 6.7 ms with the CPU's layout and
    weight-gradient GEMMs)."""
    xp = backend.array_module(x)
    g, ow = geom.groups, out_size[1]
    k = x.shape[1] // g * kernel[0] * kernel[1]
    windows = _im2col(x, kernel, geom, out_size)
    for n0, n1, r0, r1 in _blocks(xp, x.shape[0], out_size[0], g * k * ow * x.itemsize, ow):
        block = windows[n0:n1, ..., r0:r1, :]
        if xp is np:
            block = block.reshape(n1 - n0, g, k, -1)
        else:
            block = block.transpose(1, 2, 3, 4, 0, 5, 6).reshape(g, k, -1)
        yield slice(n0, n1), slice(r0 * ow, r1 * ow), block


def _side_by_side(a):
    """(N, G, M, L) -> (G, M, N * L): the images of a block side by side, as in the GPU's
    patches of ``_patch_blocks`` (a view for one image, a copy for several)."""
    n, g, m, l = a.shape
    return a.transpose(1, 2, 0, 3).reshape(g, m, n * l)


def _one_per_image(a, n):
    """(G, M, N * L) -> (N, G, M, L), the inverse of ``_side_by_side`` (a view)."""
    g, m, nl = a.shape
    return a.reshape(g, m, n, nl // n).transpose(2, 0, 1, 3)


def _batch_last_pays(a, channels, kernel, geom, out_size):
    """Whether a stride-1 convolution of a batch ``a`` (its input or output) with ``channels``
    input channels runs on its batch-last form (``_batch_last``): for small images, where one
    output row of patches of the whole batch fits an im2col block."""
    n = a.shape[0]
    row_bytes = channels * kernel[0] * kernel[1] * out_size[1] * n * a.itemsize
    return (
        backend.array_module(a) is np
        and n > 1
        and geom.stride == (1, 1)
        and out_size[1] <= _BATCH_LAST_MAX_WIDTH
        and row_bytes <= _CPU_BLOCK_BYTES
    )


def _batch_last(a):
    """(N, C, H, W) -> (1, C, H, W * N): the batch as the fastest-varying index within each
    row, ``[0, c, h, w * N + n] = a[n, c, h, w]``. A stride-1 convolution of ``a`` is then one
    of this single wide image with its column dilation scaled by N (``_batch_last_geometry``),
    whose outputs come in the same order, and the patch rows im2col copies are runs of OW * N
    elements instead of OW."""
    n, c, h, w = a.shape
    xp = backend.array_module(a)
    return xp.ascontiguousarray(a.transpose(1, 2, 3, 0)).reshape(1, c, h, w * n)


def _batch_first(a, n):
    """The inverse of ``_batch_last``, as a view: (1, C, H, W * N) -> (N, C, H, W)."""
    _, c, h, wn = a.shape
    return a.reshape(c, h, wn // n, n).transpose(3, 0, 1, 2)


def _batch_last_geometry(geom, n):
    """The geometry of a convolution on ``_batch_last`` of its padded input."""
    dh, dw = geom.dilation
    return Geometry(geom.stride, (dh, dw * n), (0, 0), geom.groups)


def _winograd_pays(x, channels, kernel, geom, out_size, weight_gradient=False):
    """Whether a convolution of ``x`` (or its weight gradient) goes through Winograd F(2x2,
    3x3) (see _winograd), for ``channels`` (in, out) per group."""
    if backend.array_module(x) is not np or x.dtype not in (np.float32, np.float64):
        return False
    if tuple(kernel) != (3, 3) or geom.stride != (1, 1) or geom.dilation != (1, 1):
        return False
    if channels[0] < _WINOGRAD_MIN_CHANNELS or channels[1] < _WINOGRAD_MIN_OUT_CHANNELS:
        return False
    oh, ow = out_size
    tile_use = oh * ow / (4 * (oh // 2 + oh % 2 + 1) * (ow // 2 + ow % 2 + 1))
    if channels[1] > channels[0] and not weight_gradient:
        return tile_use >= _WINOGRAD_MIN_TILE_USE["widening"]
    return tile_use >= _WINOGRAD_MIN_TILE_USE["conv"]


def _conv(x, w, geom, out_size, patches=None):
    """``y[n, o] = sum_c,kh,kw w[o, c, kh, kw] * x_padded[n, c, window]``: (N, C, H, W) ->
    (N, O, OH, OW) for ``w`` of shape (O, C/G, KH, KW). The im2col blocks it makes are
    appended to the list ``patches`` where one is given, for ``_conv_weight`` to reuse."""
    if _winograd_pays(x, (w.shape[1], w.shape[0] // geom.groups), w.shape[2:], geom, out_size):
        return _winograd.conv3x3(x, w, geom.padding, out_size, geom.groups)
    xp = backend.array_module(x)
    n = x.shape[0]
    if _batch_last_pays(x, x.shape[1], w.shape[2:], geom, out_size):
        wide = _batch_last(pad_for_windows(x, w.shape[2:], geom, out_size))
        wide_size = (out_size[0], out_size[1] * n)
        y = _conv(wide, w, _batch_last_geometry(geom, n), wide_size, patches)
        return xp.ascontiguousarray(_batch_first(y, n))
    oc = w.shape[0]
    g = geom.groups
    oh, ow = out_size
    wmat = w.reshape(g, oc // g, w[0].size)
    y = xp.empty((n, g, oc // g, oh * ow), dtype=x.dtype)
    for images, columns, cols in _patch_blocks(x, w.shape[2:], geom, out_size):
        if patches is not None:
            patches.append((images, columns, cols))
        out = y[images, ..., columns]
        if cols.ndim == 4:
            xp.matmul(wmat, cols, out=out)
        elif out.shape[0] == 1:  # side by side (GPU)
            xp.matmul(wmat, cols, out=out[0])
        else:
            out[...] = _one_per_image(xp.matmul(wmat, cols), out.shape[0])
    return y.reshape(n, oc, oh, ow)


def _conv_transpose(y, w, geom, in_size):
    """The adjoint of ``_conv``: (N, O, OH, OW) -> (N, C, H, W) for ``w`` of shape
    (O, C/G, KH, KW), ``(H, W) = in_size``."""
    xp = backend.array_module(y)
    n, oc, oh, ow = y.shape
    _, cg, kh, kw = w.shape
    g = geom.groups
    if geom.stride == (1, 1) and oc * in_size[0] * in_size[1] <= 2 * g * cg * oh * ow:
        # The adjoint of a stride-1 conv is a conv too: of y padded by dilation * (k - 1) -
        # padding, with the kernel flipped and its channel axes swapped. Measured against GEMM
        # + col2im (batch 2, 3x3): 116 ms instead of 150 ms for 64->64 channels at 224x224,
        # equal or slightly faster on the other VGG layers: patches are copied once, where
        # col2im adds every tap into the output separately. Its patches hold O channels over
        # the input's H x W against col2im's C over OH x OW; where they are over twice as
        # many (LeNet's 6->16 5x5 conv: 3136 against 600 per tap), col2im wins: a LeNet-5
        # train step (batch 64) went from 19.4 to 16.4 ms (best of 30, median of 3 runs).
        flipped = w.reshape(g, oc // g, cg, kh, kw).swapaxes(1, 2)[..., ::-1, ::-1]
        pads = tuple(d * (k - 1) - p for d, k, p in zip(geom.dilation, (kh, kw), geom.padding))
        flipped_geom = Geometry((1, 1), geom.dilation, pads, g)
        return _conv(y, flipped.reshape(g * cg, oc // g, kh, kw), flipped_geom, in_size)
    # batch-last too, unless output padding puts input rows or columns past the windows' reach
    reach = [o + d * (k - 1) for o, d, k in zip((oh, ow), geom.dilation, (kh, kw))]
    inside = all(p + s <= r for p, s, r in zip(geom.padding, in_size, reach))
    if inside and _batch_last_pays(y, g * cg, (kh, kw), geom, (oh, ow)):
        wide_geom = _batch_last_geometry(geom, n)
        wide = _conv_transpose(_batch_last(y), w, wide_geom, (reach[0], reach[1] * n))
        return crop_canvas(_batch_first(wide, n), geom, in_size)
    k = cg * kh * kw
    wmat = w.reshape(g, oc // g, k).swapaxes(1, 2)
    ys = y.reshape(n, g, oc // g, oh * ow)
    blocks = _blocks(xp, n, oh, g * k * ow * y.itemsize, ow)
    on_gpu = xp is not np  # one col2im kernel per block, not one array operation per tap
    if on_gpu:
        out = xp.zeros((n, g * cg, *in_size), dtype=y.dtype)
    else:
        out = zero_canvas(xp, (n, g * cg, *in_size), (kh, kw), geom, (oh, ow), y.dtype)
        if n * g * cg * kw * out.shape[-2] * ow * y.itemsize <= _CPU_BLOCK_BYTES:
            out = _col2im_by_kernel_rows(out, ys, w, geom, ow, blocks)
            return crop_canvas(out, geom, in_size)
    for n0, n1, r0, r1 in blocks:
        cols = xp.matmul(wmat, _side_by_side(ys[n0:n1, ..., r0 * ow : r1 * ow]))
        if on_gpu:
            _cuda.col2im_add(out[n0:n1], cols, (kh, kw), geom, r0, r1 - r0, ow)
            continue
        cols = cols.reshape(g * cg, kh, kw, n1 - n0, r1 - r0, ow).transpose(3, 0, 1, 2, 4, 5)
        col2im_add(out[n0:n1], cols, geom, r0)
    return out if on_gpu else crop_canvas(out, geom, in_size)


def _col2im_by_kernel_rows(out, ys, w, geom, ow, blocks):
    """The CPU's col2im of ``_conv_transpose`` in two passes, into the zero canvas ``out``
    (N, C, Hp, Wp), for output gradients ``ys`` (N, G, O/G, OH * OW) taken in ``blocks``.

    One GEMM per block and kernel row makes that row's columns, which are added at once into
    ``sums`` (N, C, KW, Hp, OW), in runs of whole window rows; then each kernel column's sums
    are added into place. This is for small images, where ``sums`` stays in cache: LeNet-5's
    6->16 5x5 input gradient (batch 64) took 0.72-0.80x the time of one GEMM per block whose
    3.8 MB of columns are then added tap by tap (at batch 256, 4.3 MB of sums, no faster)."""
    n, c, hp, _ = out.shape
    oc, cg, kh, kw = w.shape
    g = geom.groups
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    # rows[i]: (G, C/G * KW, O/G), the weight of kernel row i
    rows = w.reshape(g, oc // g, cg, kh, kw).transpose(3, 0, 2, 4, 1).reshape(kh, g, cg * kw, -1)
    rows = np.ascontiguousarray(rows)
    sums = np.zeros((n, c, kw, hp, ow), dtype=out.dtype)
    for n0, n1, r0, r1 in blocks:
        grads = _side_by_side(ys[n0:n1, ..., r0 * ow : r1 * ow])
        for i in range(kh):
            cols = np.matmul(rows[i], grads).reshape(c, kw, n1 - n0, r1 - r0, ow)
            top = i * dh + r0 * sh
            sums[n0:n1, :, :, top : top + (r1 - r0 - 1) * sh + 1 : sh] += cols.transpose(
                2, 0, 1, 3, 4
            )
    for j in range(kw):
        out[..., j * dw : j * dw + (ow - 1) * sw + 1 : sw] += sums[:, :, j]
    return out


def _conv_weight(x, gy, geom, kernel, patches=None):
    """The gradient of ``_conv`` w.r.t. its weight: sum over images and windows of output
    gradient times patch, shape (O, C/G, KH, KW); over the im2col blocks ``patches`` that
    ``_conv`` kept of ``x``, where given, instead of making them again."""
    g = geom.groups
    cg = x.shape[1] // g
    if _winograd_pays(x, (cg, gy.shape[1] // g), kernel, geom, gy.shape[2:], True):
        return _winograd.conv3x3_weight(x, gy, geom.padding, g)
    n = x.shape[0]
    if _batch_last_pays(x, x.shape[1], kernel, geom, gy.shape[2:]):
        # kept patches are of the batch-last input already: no need to make it
        wide = None if patches else _batch_last(pad_for_windows(x, kernel, geom, gy.shape[2:]))
        wide_geom = _batch_last_geometry(geom, n)
        return _patch_weight_gradient(wide, _batch_last(gy), wide_geom, kernel, cg, patches)
    return _patch_weight_gradient(x, gy, geom, kernel, cg, patches)


def _patch_weight_gradient(x, gy, geom, kernel, cg, patches):
    """``_conv_weight`` by im2col: output gradient times patches, one GEMM per block, over
    ``patches`` where given (``x``, with ``cg`` channels per group, may then be None)."""
    xp = backend.array_module(gy)
    n, oc, oh, ow = gy.shape
    g, k = geom.groups, cg * kernel[0] * kernel[1]
    gys = gy.reshape(n, g, oc // g, oh * ow)
    # For few output channels OpenBLAS runs this long-and-thin product faster with the patches
    # on the left, patches @ gradient^T, then transposed: LeNet-5's 6->16 5x5 conv 0.30 -> 0.15
    # ms per block, 6 and 32 channels 0.7x. With more channels the gain shrinks (0.8-1.0x at
    # 128-512) and transposing the weight-sized result costs more: a VGG-11 train step 1.05x.
    patches_left = xp is np and k > oc // g and oc // g <= _PATCHES_LEFT_MAX_CHANNELS
    gw = xp.zeros((g, k, oc // g) if patches_left else (g, oc // g, k), dtype=gy.dtype)
    for images, columns, cols in patches or _patch_blocks(x, kernel, geom, (oh, ow)):
        grads = gys[images, ..., columns]
        if cols.ndim == 3:  # side by side (GPU)
            gw += xp.matmul(_side_by_side(grads), cols.swapaxes(-1, -2))
            continue
        if patches_left:
            per_image = xp.matmul(cols, xp.ascontiguousarray(grads).swapaxes(-1, -2))
        else:
            per_image = xp.matmul(grads, cols.swapaxes(-1, -2))
        gw += per_image[0] if len(per_image) == 1 else per_image.sum(axis=0)
    return (gw.swapaxes(1, 2) if patches_left else gw).reshape(oc, cg, *kernel)


# ---------------------------------------------------------------------------------------------
# Functions: the trio conv / transposed conv / weight gradient, each other's derivatives


def _add_bias(y, b):
    """``y`` (N, C, H, W) plus the per-channel bias ``b`` (or None), in place."""
    if b is not None:
        y += b.reshape(-1, 1, 1)
    return y


class _Conv(Function):
    @staticmethod
    def forward(ctx, x, w, b, geom, out_size):
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        # small patches are kept for the weight gradient (see _KEEP_PATCHES_BYTES)
        size = x.shape[0] * x.shape[1] * w.shape[2] * w.shape[3] * out_size[0] * out_size[1]
        keep = ctx.needs_input_grad[1:2] == (True,) and size * x.itemsize <= _KEEP_PATCHES_BYTES
        ctx.patches = [] if keep else None
        return _add_bias(_conv(x, w, geom, out_size, ctx.patches), b)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        geom, needs = ctx.geom, ctx.needs_input_grad
        gx = _ConvTranspose.apply(gy, w, None, geom, x.shape[2:]) if needs[0] else None
        # kept patches serve one backward and are let go (a second one, with retain_graph,
        # makes them again), so they are not held as long as the graph
        patches, ctx.patches = ctx.patches, None
        gw = _ConvWeight.apply(x, gy, geom, w.shape[2:], patches) if needs[1] else None
        gb = gy.sum((0, 2, 3)) if needs[2] else None
        return gx, gw, gb


class _ConvTranspose(Function):
    @staticmethod
    def forward(ctx, y, w, b, geom, in_size):
        ctx.geom = geom
        ctx.save_for_backward(y, w)
        return _add_bias(_conv_transpose(y, w, geom, in_size), b)

    @staticmethod
    def backward(ctx, gx):
        y, w = ctx.saved_tensors
        geom, needs = ctx.geom, ctx.needs_input_grad
        gy = _Conv.apply(gx, w, None, geom, y.shape[2:]) if needs[0] else None
        gw = _ConvWeight.apply(gx, y, geom, w.shape[2:]) if needs[1] else None
        gb = gx.sum((0, 2, 3)) if needs[2] else None
        return gy, gw, gb


class _ConvWeight(Function):
    @staticmethod
    def forward(ctx, x, gy, geom, kernel, patches=None):
        ctx.geom = geom
        ctx.save_for_backward(x, gy)
        return _conv_weight(x, gy, geom, kernel, patches)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        geom, needs = ctx.geom, ctx.needs_input_grad
        gx = _ConvTranspose.apply(gy, ggw, None, geom, x.shape[2:]) if needs[0] else None
        ggy = _Conv.apply(x, ggw, None, geom, gy.shape[2:]) if needs[1] else None
        return gx, ggy


class _Unfold(Function):
    @staticmethod
    def forward(ctx, x, kernel, geom, out_size):
        ctx.args = (kernel, geom, x.shape[2:])
        n, c = x.shape[:2]
        windows = _im2col(x, kernel, geom, out_size)
        return windows.reshape(n, c * kernel[0] * kernel[1], out_size[0] * out_size[1])

    @staticmethod
    def backward(ctx, gy):
        return _Fold.apply(gy, *ctx.args)


class _Fold(Function):
    @staticmethod
    def forward(ctx, cols, kernel, geom, size):
        xp = backend.array_module(cols)
        out_size = _out_size(size, kernel, geom)
        ctx.args = (kernel, geom, out_size)
        n = cols.shape[0]
        c = cols.shape[1] // (kernel[0] * kernel[1])
        cols = cols.reshape(n, c, *kernel, *out_size)
        canvas = zero_canvas(xp, (n, c, *size), kernel, geom, out_size, cols.dtype)
        col2im_add(canvas, cols, geom, 0)
        return crop_canvas(canvas, geom, size)

    @staticmethod
    def backward(ctx, gx):
        return _Unfold.apply(gx, *ctx.args)


class _DepthUnfold(Function):
    """im2col along depth alone: ``(N, C, D, H, W)`` -> ``(N, OD, C, KD, H, W)``, the planes
    under depth tap ``kd`` of the windows of output depth ``od``, zero padded. The planes are
    flattened to one row, so the depth windows are 2-d windows one column wide, read with the
    helpers of ``_windows``."""

    @staticmethod
    def forward(ctx, x, kd, geom, od):
        xp = backend.array_module(x)
        n, c, d, *plane = x.shape
        ctx.args = (geom, d)
        x = x.reshape(n, c, d, -1)
        out_size = (od, x.shape[-1])
        x = pad_for_windows(x, (kd, 1), geom, out_size)
        cols = xp.empty((n, od, c, kd, out_size[1]), dtype=x.dtype)
        for k in range(kd):
            cols[:, :, :, k] = x[tap_slice(k, 0, geom, out_size)].transpose(0, 2, 1, 3)
        return cols.reshape(n, od, c, kd, *plane)

    @staticmethod
    def backward(ctx, gcols):
        return _DepthFold.apply(gcols, *ctx.args), None, None, None


class _DepthFold(Function):
    """col2im along depth, the adjoint of ``_DepthUnfold``: ``(N, OD, C, KD, H, W)`` columns
    added into a ``(N, C, depth, H, W)`` volume."""

    @staticmethod
    def forward(ctx, cols, geom, depth):
        xp = backend.array_module(cols)
        n, od, c, kd, *plane = cols.shape
        ctx.args = (kd, geom, od)
        # (N, C, KD, 1, OD, H * W), as col2im_add takes the columns of 2-d windows
        cols = cols.reshape(n, od, c, kd, -1).transpose(0, 2, 3, 1, 4)[:, :, :, None]
        out_size = (od, cols.shape[-1])
        canvas = zero_canvas(xp, (n, c, depth, out_size[1]), (kd, 1), geom, out_size, cols.dtype)
        col2im_add(canvas, cols, geom, 0)
        return crop_canvas(canvas, geom, (depth, out_size[1])).reshape(n, c, depth, *plane)

    @staticmethod
    def backward(ctx, gx):
        return _DepthUnfold.apply(gx, *ctx.args), None, None


# ---------------------------------------------------------------------------------------------
# Argument handling, with torch's messages


def _tuple(value, name, nd):
    """An int or a sequence of ``nd`` ints (or one) as an ``nd``-tuple."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {nd} values to match "
            f"the convolution dimensions, but got {name}={list(value)}"
        )
    return value


def _out_size(size, kernel, geom, after=None):
    """Windows along each dim: ``(size + before + after - dilation * (k - 1) - 1) // stride + 1``
    (``after`` defaults to the symmetric padding)."""
    after = geom.padding if after is None else after
    return tuple(
        (n + p + a - d * (k - 1) - 1) // s + 1
        for n, k, s, d, p, a in zip(size, kernel, geom.stride, geom.dilation, geom.padding, after)
    )


def _dims(values):
    return " x ".join(str(v) for v in values)


def _check_input(input, weight, name, nd):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"{name}() expected Tensor arguments for input and weight, got "
            f"{type(input).__name__} and {type(weight).__name__}"
        )
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(input.shape)}"
        )
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{list(weight.shape)}, but got {nd + 2}-dimensional input of size "
            f"{[1] * (input.ndim < nd + 2) + list(input.shape)} instead"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}"
        )


def _check_common(stride, dilation, groups, weight, batch_shape, in_channels, transposed):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        got = list(dilation)
        if transposed:
            names = _DIM_NAMES[-max(len(dilation), 2) :]
            got = ", ".join(f"dilation_{n}: {d}" for n, d in zip(names, dilation))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    w = list(weight.shape)
    if w[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{w}] instead"
        )
    if not transposed and w[0] == 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least 1 at dimension 0, but got "
            f"weight of size {w} instead"
        )
    if batch_shape[1] != in_channels:
        given = "transposed=1" if transposed else f"groups={groups}"
        prefix = f"Given {given}, weight of size {w}"
        raise RuntimeError(
            f"{prefix}, expected input{list(batch_shape)} to have {in_channels} channels, but "
            f"got {batch_shape[1]} channels instead"
        )


def _check_bias(bias, weight, out_channels, dtype, transposed):
    if bias is None:
        return
    if bias.ndim != 1 or bias.shape[0] != out_channels:
        prefix = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(
            f"{prefix} of size {list(weight.shape)}, expected bias to be 1-dimensional with "
            f"{out_channels} elements, but got bias of size {list(bias.shape)} instead"
        )
    if bias.dtype != dtype:
        raise RuntimeError(
            f"Input type ({dtype.scalar_name.lower()}) and bias type "
            f"({bias.dtype.scalar_name.lower()}) should be the same"
        )


def _as_2d(x, nd):
    """A 1-d convolution's tensor as a 2-d one of height 1."""
    return x if nd == 2 else x.reshape(*x.shape[:2], 1, x.shape[2])


def _as_given(y, nd, batched):
    """A 2-d result back in the caller's terms: 1-d, unbatched."""
    if nd == 1:
        y = y.reshape(*y.shape[:2], y.shape[3])
    return y if batched else y.reshape(*y.shape[1:])


_DIM_NAMES = ("depth", "height", "width")


def _lift(values, nd, fill):
    """A 1-d convolution's per-dim values with those of a unit height put first."""
    return (fill, *values) if nd == 1 else tuple(values)


def _convnd(name, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_input(input, weight, name, nd)
    batched = input.ndim == nd + 2
    x = input if batched else input.reshape(1, *input.shape)
    stride = _tuple(stride, "stride", nd)
    dilation = _tuple(dilation, "dilation", nd)
    kernel = tuple(weight.shape[2:])
    _check_common(stride, dilation, groups, weight, x.shape, weight.shape[1] * groups, False)
    _check_bias(bias, weight, weight.shape[0], input.dtype, False)
    size = tuple(x.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # torch puts the odd element of an even total padding after the input
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            before = tuple(t // 2 for t in total)
            after = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        before = after = _tuple(padding, "padding", nd)
        if any(p < 0 for p in before):
            raise RuntimeError("negative padding is not supported")
    padded = [n + b + a for n, b, a in zip(size, before, after)]
    effective = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({_dims(padded)}). Kernel size: "
            f"({_dims(effective)}). Kernel size can't be greater than actual input size"
        )
    if nd == 3:
        # im2col along depth: each output depth's window of planes becomes one image of
        # C * KD channels, convolved in 2-d with the weight's depth folded into its channels
        depth = _depth_geometry(stride, dilation, before)
        od = _out_size((size[0], 1), (kernel[0], 1), depth, (after[0], 0))[0]
        cols = _DepthUnfold.apply(x, kernel[0], depth, od)
        n, c = x.shape[:2]
        x = cols.reshape(n * od, c * kernel[0], *size[1:])
        weight = weight.reshape(weight.shape[0], -1, *kernel[1:])
        stride, dilation, size, kernel, before, after = (
            v[1:] for v in (stride, dilation, size, kernel, before, after)
        )
    plane = min(nd, 2)
    lift = functools.partial(_lift, nd=plane)
    geom = Geometry(lift(stride, fill=1), lift(dilation, fill=1), lift(before, fill=0), groups)
    out_size = _out_size(lift(size, fill=1), lift(kernel, fill=1), geom, lift(after, fill=0))
    y = _Conv.apply(_as_2d(x, plane), _as_2d(weight, plane), bias, geom, out_size)
    if nd == 3:
        y = y.reshape(n, od, *y.shape[1:]).permute(0, 2, 1, 3, 4)
    return _as_given(y, plane, batched)


def _depth_geometry(stride, dilation, padding):
    """The geometry of the depth windows of a 3-d convolution, as that of 2-d windows over
    ``(D, H * W)`` one column wide (see ``_DepthUnfold``)."""
    return Geometry((stride[0], 1), (dilation[0], 1), (padding[0], 0), 1)


def _conv_transposend(
    name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation
):
    _check_input(input, weight, name, nd)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    batched = input.ndim == nd + 2
    x = input if batched else input.reshape(1, *input.shape)
    stride = _tuple(stride, "stride", nd)
    padding = _tuple(padding, "padding", nd)
    output_padding = _tuple(output_padding, "output_padding", nd)
    dilation = _tuple(dilation, "dilation", nd)
    kernel = tuple(weight.shape[2:])
    _check_common(stride, dilation, groups, weight, x.shape, weight.shape[0], True)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    op, s, d = (_lift(v, nd, f) for v, f in ((output_padding, 0), (stride, 1), (dilation, 1)))
    if any(o >= s_ and o >= d_ for o, s_, d_ in zip(op, s, d)):
        names = _DIM_NAMES[-len(op) :]
        got = " ".join(
            f"{what}_{dim}: {v}"
            for what, values in (("output_padding", op), ("stride", s), ("dilation", d))
            for dim, v in zip(names, values)
        )
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got {got}"
        )
    out_channels = weight.shape[1] * groups
    _check_bias(bias, weight, out_channels, input.dtype, True)
    size = tuple(x.shape[2:])
    out = tuple(
        (n - 1) * s_ - 2 * p + d_ * (k - 1) + o + 1
        for n, s_, p, d_, k, o in zip(size, stride, padding, dilation, kernel, output_padding)
    )
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Given input size per channel: ({_dims(_lift(size, nd, 1))}). Calculated output "
            f"size per channel: ({_dims(_lift(out, nd, 1))}). Output size is too small"
        )
    if nd < 3:
        geom = Geometry(s, d, _lift(padding, nd, 0), groups)
        y = _ConvTranspose.apply(_as_2d(x, nd), _as_2d(weight, nd), bias, geom, _lift(out, nd, 1))
        return _as_given(y, nd, batched)
    # 3-d: every input depth's planes go through the 2-d transposed convolution to C_out * KD
    # planes (the weight's depth folded into its output channels), which col2im along depth
    # adds into place
    n, c, depth = x.shape[:3]
    planes = x.permute(0, 2, 1, 3, 4).reshape(n * depth, c, *size[1:])
    geom = Geometry(s[1:], d[1:], padding[1:], groups)
    w = weight.reshape(weight.shape[0], -1, *kernel[1:])
    cols = _ConvTranspose.apply(planes, w, None, geom, out[1:])
    cols = cols.reshape(n, depth, out_channels, kernel[0], *out[1:])
    y = _DepthFold.apply(cols, _depth_geometry(stride, dilation, padding), out[0])
    if bias is not None:
        y = y + bias.reshape(-1, 1, 1, 1)
    return y if batched else y.reshape(*y.shape[1:])


# ---------------------------------------------------------------------------------------------
# Public functions (re-exported by ember.nn.functional)


@autocast_op("conv1d")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation, as in torch) over an input of several planes.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, K)``.
        bias: optional ``(C_out,)``.
        stride, dilation: an int or a one-element tuple.
        padding: an int, a one-element tuple, ``'valid'`` (none) or ``'same'`` (output as long
            as the input; stride 1 only; an odd total puts the extra zero at the end).
        groups: split input and output channels into this many independent groups.

    Returns:
        ``(N, C_out, L_out)`` with ``L_out = (L + 2 * padding - dilation * (K - 1) - 1) //
        stride + 1``; unbatched input gives an unbatched result.
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@autocast_op("conv2d")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as in torch) over an input of several planes.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, KH, KW)``.
        bias: optional ``(C_out,)``.
        stride, dilation: an int or a pair.
        padding: an int, a pair, ``'valid'`` (none) or ``'same'`` (output the size of the
            input; stride 1 only; an odd total puts the extra zero after the input).
        groups: split input and output channels into this many independent groups.

    Returns:
        ``(N, C_out, H_out, W_out)``, ``H_out = (H + 2 * padding[0] - dilation[0] * (KH - 1) -
        1) // stride[0] + 1`` and likewise ``W_out``; unbatched input gives an unbatched result.

    Example::

        >>> x = ember.randn(8, 3, 32, 32)
        >>> w = ember.randn(16, 3, 3, 3)
        >>> conv2d(x, w, padding=1).shape
        ember.Size([8, 16, 32, 32])
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@autocast_op("conv_transpose1d")
def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """1-d transposed convolution ("deconvolution"): the gradient of ``conv1d`` w.r.t. its
    input. See ``conv_transpose2d``; shapes are ``(N, C_in, L)`` and weight
    ``(C_in, C_out / groups, K)``."""
    return _conv_transposend(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


@autocast_op("conv_transpose2d")
def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """2-d transposed convolution ("deconvolution"): the gradient of ``conv2d`` w.r.t. its
    input, used to upsample.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, KH, KW)``.
        bias: optional ``(C_out,)``.
        stride, padding, dilation, groups: those of the ``conv2d`` this transposes.
        output_padding: rows/columns added at the bottom/right to pick one of the sizes a
            strided conv2d maps to the same output size; smaller than stride or dilation.

    Returns:
        ``(N, C_out, H_out, W_out)``, ``H_out = (H - 1) * stride[0] - 2 * padding[0] +
        dilation[0] * (KH - 1) + output_padding[0] + 1`` and likewise ``W_out``.
    """
    return _conv_transposend(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


@autocast_op("conv3d")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution (cross-correlation, as in torch) over an input of several planes.

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``.
        weight: ``(C_out, C_in / groups, KD, KH, KW)``.
        bias: optional ``(C_out,)``.
        stride, dilation: an int or a triple.
        padding: an int, a triple, ``'valid'`` (none) or ``'same'`` (output the size of the
            input; stride 1 only; an odd total puts the extra zero after the input).
        groups: split input and output channels into this many independent groups.

    Returns:
        ``(N, C_out, D_out, H_out, W_out)``, ``D_out = (D + 2 * padding[0] - dilation[0] *
        (KD - 1) - 1) // stride[0] + 1`` and likewise ``H_out``, ``W_out``; unbatched input
        gives an unbatched result.
    """
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@autocast_op("conv_transpose3d")
def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """3-d transposed convolution ("deconvolution"): the gradient of ``conv3d`` w.r.t. its
    input. See ``conv_transpose2d``; shapes are ``(N, C_in, D, H, W)`` and weight
    ``(C_in, C_out / groups, KD, KH, KW)``."""
    return _conv_transposend(
        "conv_transpose3d",
        3,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def _fold_args(kernel_size, dilation, padding, stride):
    kernel = _pair_of(kernel_size, "kernel_size")
    dilation = _pair_of(dilation, "dilation")
    padding = _pair_of(padding, "padding")
    stride = _pair_of(stride, "stride")
    checks = (
        (kernel, "kernel size should be greater than zero", "kernel", lambda v: v > 0),
        (dilation, "dilation should be greater than zero", "dilation", lambda v: v > 0),
        (padding, "padding should be non-negative", "pad", lambda v: v >= 0),
        (stride, "stride should be greater than zero", "stride", lambda v: v > 0),
    )
    for values, text, label, ok in checks:
        if not all(ok(v) for v in values):
            raise RuntimeError(
                f"{text}, but got {label}_height: {values[0]} {label}_width: {values[1]}"
            )
    return kernel, Geometry(stride, dilation, padding, 1)


def _pair_of(value, name):
    if isinstance(value, numbers.Integral):
        return (int(value),) * 2
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
    return value


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks (im2col).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, dilation, padding, stride: ints or pairs, as in ``conv2d``.

    Returns:
        ``(N, C * KH * KW, L)``: column ``l`` holds the block under window ``l`` (row-major
        over the output grid), channel-major then kernel rows and columns, zero padded.
    """
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    kernel, geom = _fold_args(kernel_size, dilation, padding, stride)
    batched = input.ndim == 4
    x = input if batched else input.reshape(1, *input.shape)
    out_size = _out_size(x.shape[2:], kernel, geom)
    if any(o < 1 for o in out_size):
        raise RuntimeError(
            f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={kernel}, "
            f"dilation={geom.dilation}, padding={geom.padding}, calculated shape of the array of "
            f"sliding blocks as {out_size}, but its components must be at least one."
        )
    y = _Unfold.apply(x, kernel, geom, out_size)
    return y if batched else y.reshape(*y.shape[1:])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a tensor (col2im), summing where blocks overlap: the
    adjoint of ``unfold``.

    Args:
        input: ``(N, C * KH * KW, L)`` or unbatched ``(C * KH * KW, L)``.
        output_size: ``(H, W)`` (or an int) of the result.
        kernel_size, dilation, padding, stride: as given to ``unfold``.

    Returns:
        ``(N, C, H, W)`` (or ``(C, H, W)``).
    """
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    size = _pair_of(output_size, "output_size")
    kernel, geom = _fold_args(kernel_size, dilation, padding, stride)
    batched = input.ndim == 3
    cols = input if batched else input.reshape(1, *input.shape)
    taps = kernel[0] * kernel[1]
    if cols.shape[1] % taps:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={cols.shape[1]} and kernel_size={kernel}."
        )
    blocks = _out_size(size, kernel, geom)
    if max(blocks[0], 0) * max(blocks[1], 0) != cols.shape[2]:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={geom.dilation}, "
            f"padding={geom.padding}, stride={geom.stride}, expected size of input's dimension "
            f"2 to match the calculated number of sliding blocks {max(blocks[0], 0)} * "
            f"{max(blocks[1], 0)} = {max(blocks[0], 0) * max(blocks[1], 0)}, but got "
            f"input.size(2)={cols.shape[2]}."
        )
    y = _Fold.apply(cols, kernel, geom, size)
    return y if batched else y.reshape(*y.shape[1:])
