"""Winograd convolution F(2x2, 3x3): a 3x3 stride-1 convolution in 2.25 times fewer multiplies.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016). Each 2x2 block of the
output (a tile) is ``A^T [(G w G^T) * (B^T d B)] A`` for the 4x4 input patch ``d`` under it:
16 products per channel pair instead of 36. With the input transform ``V = B^T d B`` of every
tile and channel and the weight transform ``U = G w G^T`` of every filter, the 16 products summed
over input channels are 16 GEMMs, ``M[k] = U[k] @ V[k]`` of (O, C) by (C, tiles), and the output
transform ``A^T M A`` turns them back into 2x2 output tiles.

The transforms are sums and differences of whole arrays, and numpy runs those about four
times faster on contiguous 1-d ranges than on 2-d strided views (measured: 35 us against 100-150
us for 256K float32 elements whose rows are sliced, as a tile's columns are). So the padded
input is split into its four polyphase components (even/odd rows x even/odd columns), each one
a ``(C, N, TH + 1, TW + 1)`` grid flattened to 1-d, ``TH x TW`` being the tiles and the extra
row and column the halo that the last tiles reach into. Tap ``(i, j)`` of tile ``(t, s)`` is
element ``(t + i // 2, s + j // 2)`` of component ``(i % 2, j % 2)``: in the flat order, one
contiguous range per tap, offset by ``(i // 2) * (TW + 1) + j // 2``. Every transform is then a
handful of 1-d ufunc calls. The positions of the halo row and column compute junk that is never
read back; the GEMMs pay for it, ``(TH + 1) (TW + 1) / (TH TW)`` as many columns as tiles
(1.15x at 28x28, 1.31x at 14x14), which is what limits the method on small images.

The weight gradient (``conv3x3_weight``) is the adjoint of the same map: ``dw = G^T [sum over
tiles (A g A^T) * V] G`` for the output gradient's tiles ``g``, 16 GEMMs that contract the
transformed output gradient with ``V`` over the tiles. (The input gradient of a stride-1
convolution is a convolution too, with the flipped kernel: ``conv._conv_transpose``.)

Accuracy: F(2x2, 3x3)'s transforms only add, subtract and halve; in float32 its results are as
close to a float64 reference as im2col's (measured on VGG-sized layers: largest error over
largest value 5-7e-7 forward, 6-8e-7 weight gradient; im2col 4-7e-7). F(4x4, 3x3) (4x fewer
multiplies) was measured too: 1.0-1.4e-5 in float32, 20-30 times more, and no faster here: its
transforms have 2.25x as many terms, most with coefficients other than +-1, and its
36-component weight transform alone took 10 ms; a 512->512 layer at 28x28 (batch 2) took 45 ms
against F(2x2, 3x3)'s 30.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ._util import quiet

__all__ = ["conv3x3", "conv3x3_weight"]

# G of the weight transform U = G w G^T (B and A are written out in _b_transform/_a_transform).
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
_G_FLIPPED = _G * np.array([[1.0], [1.0], [1.0], [-1.0]])

# The work goes in blocks of whole images, or of tile rows of one image, whose transformed input
# and GEMM output (the two 16-component arrays) take about _BLOCK_BYTES, to bound the memory
# (the arrays are 4x the input and the output). Row blocks cost a halo row each; measured on
# 256->256 channels at 56x56 (batch 2), a whole layer (55 MB) in one block took 35 ms, in 8 MB
# row blocks 53 ms. Within a block the transforms run in chunks of _CHUNK elements (input) and
# whole output channels of about _CHUNK elements (output), so their intermediate sums stay in
# cache: input transform of 512->512 at 28x28 1.3 ms in chunks of 64K, 3.3 ms unchunked, 2.1 ms
# in chunks of 8K (per-call overhead).
_BLOCK_BYTES = 64 << 20
_CHUNK = 1 << 16


def _weight_transform(w):
    """``U[4 a + b] = (G w G^T)[a, b]`` for ``w`` (O, C, 3, 3): (16, O, C). One GEMM with the
    Kronecker product of G with itself, faster here than two small ones or an einsum."""
    xp = backend.array_module(w)
    o, c = w.shape[:2]
    gg = xp.asarray(np.kron(_G, _G), dtype=w.dtype)
    return xp.matmul(gg, w.reshape(o * c, 9).T).reshape(16, o, c)


def _b_transform(xp, d, out):
    """``out[k] = sum_i B^T[k, i] d[i]`` for the four taps ``d`` along one axis of a tile."""
    xp.subtract(d[0], d[2], out=out[0])
    xp.add(d[1], d[2], out=out[1])
    xp.subtract(d[2], d[1], out=out[2])
    xp.subtract(d[1], d[3], out=out[3])


def _a_adjoint(xp, g0, g1, out):
    """``out[k] = sum_r A'[k, r] g[r]``: ``g0, g0 + g1, g0 - g1, g1``, with ``A'`` the ``A`` of
    ``_a_transform`` with its last row negated (undone by ``_G_FLIPPED``)."""
    out[0] = g0
    xp.add(g0, g1, out=out[1])
    xp.subtract(g0, g1, out=out[2])
    out[3] = g1


def _a_transform(xp, m, out):
    """``out[r] = sum_k A^T[r, k] m[k]``: ``m0 + m1 + m2`` and ``m1 - m2 - m3``."""
    xp.add(m[0], m[1], out=out[0])
    xp.add(out[0], m[2], out=out[0])
    xp.subtract(m[1], m[2], out=out[1])
    xp.subtract(out[1], m[3], out=out[1])


def _phase_range(pad, phase, size, first, count):
    """Along one axis: which of the ``count`` polyphase positions from ``first`` (position
    ``u`` is padded index ``2 u + phase``) lie inside the input of length ``size``, as the
    destination slice and the matching strided source slice."""
    lo = max(-((phase - pad) // 2), first)
    hi = min((size - 1 + pad - phase) // 2 + 1, first + count)
    if hi <= lo:
        return None
    start = 2 * lo + phase - pad
    return slice(lo - first, hi - first), slice(start, start + 2 * (hi - lo) - 1, 2)


def _phases(x, padding, first, rows, cols):
    """The four polyphase components of the zero-padded ``x`` (N, C, H, W), rows
    ``first:first + rows`` and columns ``0:cols`` of each, laid out (2, 2, C, N, rows, cols)
    and flattened to (4, C * N * rows * cols) followed by ``cols + 1`` zeros, so that the
    furthest tap of the last tile is still inside the array."""
    xp = backend.array_module(x)
    n, c, h, w = x.shape
    size = c * n * rows * cols
    flat = xp.zeros(4 * size + cols + 1, dtype=x.dtype)
    grid = flat[: 4 * size].reshape(2, 2, c, n, rows, cols)
    xt = x.transpose(1, 0, 2, 3)
    for pr in range(2):
        along_h = _phase_range(padding[0], pr, h, first, rows)
        for pc in range(2):
            along_w = _phase_range(padding[1], pc, w, 0, cols)
            if along_h and along_w:
                grid[pr, pc, ..., along_h[0], along_w[0]] = xt[..., along_h[1], along_w[1]]
    return flat, size


def _input_transform(xp, flat, size, cols):
    """``V = B^T d B`` at every position of the flat polyphase grid: (4, 4, size)."""
    v = xp.empty((4, 4, size), dtype=flat.dtype)
    rows = xp.empty((4, 2, min(_CHUNK, size) + 1), dtype=flat.dtype)
    for q0 in range(0, size, _CHUNK):
        n = min(_CHUNK, size - q0)
        # along the tile's rows: tap i lies in row phase i % 2, i // 2 rows on; for each column
        # phase, and one element longer for the column pass's shift
        for pc in range(2):
            taps = []
            for i in range(4):
                start = (2 * (i % 2) + pc) * size + q0 + (i // 2) * cols
                taps.append(flat[start : start + n + 1])
            _b_transform(xp, taps, rows[:, pc, : n + 1])
        # along its columns: tap j lies in column phase j % 2, j // 2 columns on
        for a in range(4):
            _b_transform(
                xp, [rows[a, j % 2, j // 2 : j // 2 + n] for j in range(4)], v[a, :, q0 : q0 + n]
            )
    return v


def _output_transform(xp, m, y, first, tile_rows, cols):
    """Write ``A^T M A`` of the GEMM output ``m`` (4, 4, O * N * (tile_rows + 1) * cols) into
    the 2x2 tiles of ``y`` (N, O, OH, OW) from tile row ``first`` on."""
    n, o = y.shape[:2]
    plane = n * (tile_rows + 1) * cols
    per = max(_CHUNK // plane, 1)  # output channels per chunk
    s = xp.empty((2, 4, per * plane), dtype=m.dtype)
    half = xp.empty((per * plane,), dtype=m.dtype)
    for o0 in range(0, o, per):
        o1 = min(o, o0 + per)
        span = slice(o0 * plane, o1 * plane)
        length = (o1 - o0) * plane
        for b in range(4):
            _a_transform(xp, m[:, b, span], s[:, b, :length])
        for r in range(2):
            for c in range(2):
                # output pixels (2 t + r, 2 s + c); the last of the three terms adds straight
                # into y's strided view of them, saving a pass
                out = y[:, o0:o1, r::2, c::2][:, :, first : first + tile_rows]
                sr = s[r, :, :length]
                if c == 0:  # s0 + s1 + s2
                    xp.add(sr[0], sr[1], out=half[:length])
                    op, last = xp.add, sr[2]
                else:  # s1 - s2 - s3
                    xp.subtract(sr[1], sr[2], out=half[:length])
                    op, last = xp.subtract, sr[3]
                grid = tile_rows + 1, cols
                op(_tiles(half[:length], out, *grid), _tiles(last, out, *grid), out=out)


def _tiles(flat, like, rows, cols):
    """A flat (O', N, rows, cols) grid as the (N, O', R, S) view that matches ``like``."""
    n, o, h, w = like.shape
    return flat.reshape(o, n, rows, cols)[:, :, :h, :w].transpose(1, 0, 2, 3)


def _blocks(n, tile_rows, bytes_per_row):
    """``(images, first, rows)``: whole images, several to a block while they fit the budget, or
    ``rows`` tile rows from ``first`` of one image."""
    per_image = bytes_per_row * (tile_rows + 1)
    if per_image <= _BLOCK_BYTES:
        k = max(_BLOCK_BYTES // per_image, 1)
        return [(slice(i, min(n, i + k)), 0, tile_rows) for i in range(0, n, k)]
    rows = max(_BLOCK_BYTES // bytes_per_row - 1, 1)
    return [
        (slice(i, i + 1), r, min(rows, tile_rows - r))
        for i in range(n)
        for r in range(0, tile_rows, rows)
    ]


def conv3x3(x, w, padding, out_size, groups=1):
    """The 3x3, stride-1, dilation-1 convolution of ``x`` (N, C, H, W) with ``w``
    (O, C / groups, 3, 3), zero-padded by ``padding`` (rows, columns) before the input: (N, O,
    *out_size), as ``conv._conv`` computes it."""
    xp = backend.array_module(x)
    n, c = x.shape[:2]
    o = w.shape[0]
    tile_rows, tile_cols = (-(-s // 2) for s in out_size)
    cols = tile_cols + 1
    u = _weight_transform(w).reshape(16, groups, o // groups, c // groups)
    y = xp.empty((n, o, *out_size), dtype=x.dtype)
    bytes_per_row = 16 * (c + o) * cols * x.itemsize
    with quiet():  # inf inputs give inf - inf = nan, silently, as a GEMM would
        for images, first, rows in _blocks(n, tile_rows, bytes_per_row):
            xb = x[images]
            flat, size = _phases(xb, padding, first, rows + 1, cols)
            v = _input_transform(xp, flat, size, cols)
            columns = xb.shape[0] * (rows + 1) * cols
            m = xp.matmul(u, v.reshape(16, groups, c // groups, columns))
            _output_transform(xp, m.reshape(4, 4, o * columns), y[images], first, rows, cols)
    return y


def _gradient_transform(xp, flat, size):
    """``A' g A'^T`` (see _a_adjoint) of every 2x2 tile ``g`` of the flat polyphase grid of an
    output gradient: (4, 4, size)."""
    rows = xp.empty((4, 2, size), dtype=flat.dtype)
    for c in range(2):
        _a_adjoint(
            xp, flat[c * size : (c + 1) * size], flat[(2 + c) * size : (3 + c) * size], rows[:, c]
        )
    g = xp.empty((4, 4, size), dtype=flat.dtype)
    for a in range(4):
        _a_adjoint(xp, rows[a, 0], rows[a, 1], g[a])
    return g


def conv3x3_weight(x, gy, padding, groups=1):
    """The gradient of ``conv3x3`` w.r.t. its weight, for the input ``x`` (N, C, H, W) and the
    output gradient ``gy`` (N, O, OH, OW): (O, C / groups, 3, 3).

    ``y = A^T [(G w G^T) * V] A`` per tile is linear in ``w``, so its adjoint gives
    ``dw = G^T [sum over tiles (A g A^T) * V] G``: the sum over tiles is 16 GEMMs
    ``(A g A^T)[k] @ V[k]^T`` of (O, tiles) by (tiles, C)."""
    xp = backend.array_module(x)
    n, c = x.shape[:2]
    o = gy.shape[1]
    tile_rows, tile_cols = (-(-s // 2) for s in gy.shape[2:])
    cols = tile_cols + 1
    du = xp.zeros((16, groups, o // groups, c // groups), dtype=x.dtype)
    bytes_per_row = 16 * (c + o) * cols * x.itemsize
    with quiet():
        for images, first, rows in _blocks(n, tile_rows, bytes_per_row):
            xb = x[images]
            flat, size = _phases(xb, padding, first, rows + 1, cols)
            v = _input_transform(xp, flat, size, cols)
            # the block's gradient rows only, so that the halo row is zero
            gb = gy[images][:, :, 2 * first : 2 * (first + rows)]
            gflat, gsize = _phases(gb, (0, 0), 0, rows + 1, cols)
            g = _gradient_transform(xp, gflat, gsize)
            columns = xb.shape[0] * (rows + 1) * cols
            du += xp.matmul(
                g.reshape(16, groups, o // groups, columns),
                v.reshape(16, groups, c // groups, columns).swapaxes(-1, -2),
            )
    gg = xp.asarray(np.kron(_G_FLIPPED, _G_FLIPPED), dtype=x.dtype)
    return xp.matmul(du.reshape(16, -1).T, gg).reshape(o, c // groups, 3, 3)
