"""Pooling: max, average, adaptive and power-average pooling, and max unpooling.

Everything works on the last two dims of ``(..., H, W)`` arrays (1-d pooling gets a unit
height), as strided views of the padded input, one view per kernel tap: a max or a sum over
the taps is a handful of whole-array operations, whatever the batch and channel counts. A
maximum is taken separably, over the kernel's rows and then over its columns.

Max pooling records, per output, the flat index of its maximum within the input plane (torch's
``return_indices``); the gradient is a scatter-add to those positions, whose own gradient is a
gather from them, so both orders of differentiation stay exact.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from . import _cuda
from ._windows import Geometry, col2im_add, crop_canvas, pad_for_windows, tap_slice, zero_canvas

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "lp_pool1d",
    "lp_pool2d",
    "max_pool3d",
    "max_unpool3d",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "lp_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
]


# ---------------------------------------------------------------------------------------------
# Windows


class _Windows:
    """Where each kernel tap of each window sits: ``rows[i]`` (OH,) and ``cols[j]`` (OW,) are the
    input rows and columns under kernel row ``i`` / column ``j`` of every window, outside
    ``[0, H)`` / ``[0, W)`` where a window hangs over the padding.

    Regular windows (``geom`` given) read a tap as a strided slice of the padded input; adaptive
    ones (``geom`` None, indices clamped into their window) gather it.
    """

    def __init__(self, rows, cols, geom=None):
        self.rows, self.cols, self.geom = rows, cols, geom
        self._tap_indices = {}
        self._tables = {}

    @functools.cached_property
    def disjoint(self):
        """True when no input element lies under two windows (2x2 pooling with stride 2), so
        the windows' argmax indices never repeat and their gradients need no accumulation."""
        for taps in (self.rows, self.cols):
            taps = np.sort(np.stack(taps), axis=0)  # (kernel taps, windows)
            per_window = 1 + (np.diff(taps, axis=0) != 0).sum(axis=0)
            if per_window.sum() != np.unique(taps).size:
                return False
        return True

    @functools.cached_property
    def tiled(self):
        """True when the windows tile the input, each a kernel-sized block of it (kernel equal
        to stride, no padding or dilation: 2x2 pooling with stride 2)."""
        g, kernel = self.geom, (len(self.rows), len(self.cols))
        return g is not None and g.padding == (0, 0) and g.dilation == (1, 1) and g.stride == kernel

    @classmethod
    @functools.lru_cache(maxsize=64)  # one geometry's windows serve every call with it
    def regular(cls, kernel, stride, padding, dilation, out_size):
        rows, cols = (
            [np.arange(o) * s - p + i * d for i in range(k)]
            for k, s, p, d, o in zip(kernel, stride, padding, dilation, out_size)
        )
        return cls(rows, cols, Geometry(stride, dilation, padding, 1))

    @classmethod
    @functools.lru_cache(maxsize=64)
    def adaptive(cls, size, out_size):
        """torch's adaptive windows: output ``i`` of ``o`` covers ``[floor(i * n / o),
        ceil((i + 1) * n / o))``. Taps past a short window repeat its last element, which
        changes neither a maximum nor which element is first to reach it."""
        taps = []
        for n, o in zip(size, out_size):
            if o and n % o == 0:  # equal windows: a regular pool, read through strided views
                taps.append([np.arange(o) * (n // o) + i for i in range(n // o)])
                continue
            start, end = _adaptive_bounds(n, o)
            longest = int((end - start).max()) if o else 1
            taps.append([np.minimum(start + i, end - 1) for i in range(longest)])
        rows, cols = taps
        geom = None
        if all(o and n % o == 0 for n, o in zip(size, out_size)):
            k = tuple(n // o for n, o in zip(size, out_size))
            geom = Geometry(k, (1, 1), (0, 0), 1)
        return cls(rows, cols, geom)

    @property
    def out_size(self):
        return len(self.rows[0]), len(self.cols[0])

    def tap_indices(self, h, w):
        """For an ``h`` x ``w`` input plane, the flat index in it of tap ``t`` of window ``p``
        at ``[t * windows + p]``, and per tap the (OH, OW) mask of the windows where the tap is
        inside the plane (None where it is in all of them); made once (numpy arrays, for the
        CPU's ``_max_over``)."""
        if (h, w) not in self._tap_indices:
            flat = np.stack([r[:, None] * w + c[None, :] for r in self.rows for c in self.cols])
            inside = []
            for r in self.rows:
                for c in self.cols:
                    mask = ((r >= 0) & (r < h))[:, None] & ((c >= 0) & (c < w))[None, :]
                    inside.append(None if mask.all() else mask)
            self._tap_indices[h, w] = flat.ravel(), inside
        return self._tap_indices[h, w]

    def tables(self, x):
        """``rows`` and ``cols`` as (KH, OH) and (KW, OW) int64 arrays on ``x``'s device, made
        once per device (for the GPU kernel of ``_max_over``)."""
        device = backend.device_of(x)
        if device not in self._tables:
            self._tables[device] = tuple(
                backend.to_device(np.stack(taps).astype(np.int64), device)
                for taps in (self.rows, self.cols)
            )
        return self._tables[device]

    def taps(self, x, fill):
        """Yield ``(values, rows, cols)`` per tap: the input under it in every window, shape
        ``(..., OH, OW)`` (``fill`` over the padding), and its row and column indices."""
        xp = backend.array_module(x)
        if self.geom is not None:
            kernel = (len(self.rows), len(self.cols))
            x = pad_for_windows(x, kernel, self.geom, self.out_size, fill)
            for i, r in enumerate(self.rows):
                for j, c in enumerate(self.cols):
                    yield x[tap_slice(i, j, self.geom, self.out_size)], r, c
            return
        for r in self.rows:
            x_r = x[..., xp.asarray(r), :]
            for c in self.cols:
                yield x_r[..., xp.asarray(c)], r, c

    def maximum(self, x, fill):
        """The maximum over each window, ``fill`` over the padding. A maximum is separable:
        over the kernel's rows, whole input rows at a time, then over its columns, in kh + kw - 2
        passes where tap by tap takes kh * kw - 1 (2x2 pooling of 2x64x224x224 float32: 9.2 ms
        instead of 16.6)."""
        xp = backend.array_module(x)
        if self.geom is None:
            rows = _maximum(xp, [x[..., xp.asarray(r), :] for r in self.rows])
            return _maximum(xp, [rows[..., xp.asarray(c)] for c in self.cols])
        kernel = (len(self.rows), len(self.cols))
        x = pad_for_windows(x, kernel, self.geom, self.out_size, fill)
        (sh, sw), (dh, dw), (oh, ow) = self.geom.stride, self.geom.dilation, self.out_size
        rows = _maximum(
            xp, [x[..., i * dh : i * dh + (oh - 1) * sh + 1 : sh, :] for i in range(kernel[0])]
        )
        return _maximum(
            xp, [rows[..., j * dw : j * dw + (ow - 1) * sw + 1 : sw] for j in range(kernel[1])]
        )


def _maximum(xp, arrays):
    """The element-wise maximum of ``arrays`` (NaN propagates), as a new array."""
    if len(arrays) == 1:
        return arrays[0].copy()
    out = xp.maximum(arrays[0], arrays[1])
    for a in arrays[2:]:
        xp.maximum(out, a, out=out)
    return out


def _adaptive_bounds(n, o):
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _max_over(x, windows, with_indices):
    """The maximum of each window and, if asked, its flat index in the input plane: the first
    element reaching it, or the last NaN where there is one, as torch's kernels keep. With
    ``with_indices="taps"`` (CPU), instead of the flat index, which tap of its window it is."""
    xp = backend.array_module(x)
    if xp is not np:  # one kernel instead of about twenty array operations
        y, index = _cuda.max_pool2d(x, *windows.tables(x))
        return (y, index) if with_indices else y
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    y = windows.maximum(x, fill)
    if not with_indices:
        return y
    taps = list(windows.taps(x, fill))
    # Which tap holds the maximum, as the count of taps before the first one equal to it: a
    # small-integer sum of masks, several times faster than writing indices under each mask.
    # Taps over the padding are masked: an all -inf window points at its first element inside
    # the input. The last tap needs no comparison: a window with no earlier hit has it there.
    flat, inside = windows.tap_indices(*x.shape[-2:])
    before = xp.zeros(y.shape, dtype=np.uint8 if len(taps) < 256 else np.intp)
    found = xp.zeros(y.shape, dtype=bool)
    hit = xp.empty(y.shape, dtype=bool)
    for t, (values, _, _) in enumerate(taps):
        if t:
            before += ~found
        if t == len(taps) - 1:
            break
        xp.equal(values, y, out=hit)
        if inside[t] is not None:
            hit &= inside[t]
        found |= hit
    if x.dtype.kind == "f" and bool(xp.isnan(y).any()):
        for t, (values, _, _) in enumerate(taps):
            xp.isnan(values, out=hit)
            xp.copyto(before, t, where=hit)
    if with_indices == "taps":
        return y, before
    windows_per_plane = y.shape[-2] * y.shape[-1]
    position = xp.arange(windows_per_plane).reshape(y.shape[-2:])
    return y, flat.take(before.astype(np.intp) * windows_per_plane + position)


# ---------------------------------------------------------------------------------------------
# Functions


def _flat(idx, plane):
    """Per-plane flat indices as indices into the whole flattened array."""
    xp = backend.array_module(idx)
    planes = math.prod(idx.shape[:-2])
    offsets = xp.arange(planes, dtype=idx.dtype).reshape(*idx.shape[:-2], 1, 1) * plane
    return (idx + offsets).ravel()


class _MaxPool(Function):
    """Window maxima and their per-plane flat indices; or, with ``with_indices="taps"`` (for
    the gradient only, of tiled windows on the CPU), the maxima alone, each window's tap
    holding the maximum kept for ``_TapScatter``."""

    @staticmethod
    def forward(ctx, x, windows, with_indices):
        if not with_indices:
            return _max_over(x, windows, False)
        y, idx = _max_over(x, windows, with_indices)
        ctx.shape = x.shape
        if with_indices == "taps":
            ctx.taps, ctx.kernel = idx, (len(windows.rows), len(windows.cols))
            return y
        ctx.taps, ctx.idx, ctx.disjoint = None, idx, windows.disjoint
        return y, idx

    @staticmethod
    def backward(ctx, gy, _=None):
        if ctx.taps is not None:
            return _TapScatter.apply(gy, ctx.taps, ctx.shape, ctx.kernel), None, None
        return _ScatterAdd.apply(gy, ctx.idx, ctx.shape, ctx.disjoint), None, None


def _tile_taps(kernel, out_size):
    """The index of each tap of tiled windows (see _Windows.tiled) in the input, in window
    order: a strided slice of shape (..., OH, OW)."""
    geom = Geometry(kernel, (1, 1), (0, 0), 1)
    return [tap_slice(i, j, geom, out_size) for i in range(kernel[0]) for j in range(kernel[1])]


class _TapScatter(Function):
    """Zeros of ``shape`` with each tiled window's ``v`` at its tap ``taps`` (uint8, (..., OH,
    OW)): max-pooling's gradient, one strided slice per tap where the flat indices need a
    scatter. The forward then skips making int64 indices from the taps, the larger cost:
    LeNet-5's 2x2 pools (64x6x28x28 and 64x16x10x10, float32) forward 0.49 -> 0.35 and 0.27
    -> 0.21 ms, forward and backward 0.78 -> 0.72 and 0.37 -> 0.37 ms; its train step 0.96-0.98x.
    The indices kept for the backward take an eighth of the memory."""

    @staticmethod
    def forward(ctx, v, taps, shape, kernel):
        ctx.taps, ctx.kernel = taps, kernel
        # every element under a window is written below: zeros only for rows or columns past
        # the last window
        covered = all(o * k == n for o, k, n in zip(v.shape[-2:], kernel, shape[-2:]))
        out = (np.empty if covered else np.zeros)(shape, dtype=v.dtype)
        # the bits of v times the mask (0 or 1): bit for bit where(taps == t, v, 0)
        unsigned = np.dtype(f"u{v.dtype.itemsize}")
        bits, out_bits = v.view(unsigned), out.view(unsigned)
        for t, tap in enumerate(_tile_taps(kernel, v.shape[-2:])):
            np.multiply(bits, taps == t, out=out_bits[tap])
        return out

    @staticmethod
    def backward(ctx, gout):
        return _TapGather.apply(gout, ctx.taps, ctx.kernel), None, None, None


class _TapGather(Function):
    """Each tiled window's element of ``x`` at its tap ``taps``: the adjoint of _TapScatter."""

    @staticmethod
    def forward(ctx, x, taps, kernel):
        ctx.args = (taps, x.shape, kernel)
        y = np.zeros(taps.shape, dtype=x.dtype)
        for t, tap in enumerate(_tile_taps(kernel, taps.shape[-2:])):
            np.copyto(y, x[tap], where=taps == t)
        return y

    @staticmethod
    def backward(ctx, gy):
        taps, shape, kernel = ctx.args
        return _TapScatter.apply(gy, taps, shape, kernel), None, None


def _scatter(v, idx, shape, accumulate):
    """Zeros of ``shape`` with ``v`` put per plane at ``idx``: added where indices repeat
    (``accumulate``) or assigned."""
    xp = backend.array_module(v)
    out = xp.zeros(math.prod(shape), dtype=v.dtype)
    flat = _flat(idx, shape[-2] * shape[-1])
    if accumulate:
        xp.add.at(out, flat, v.ravel())
    else:
        out[flat] = v.ravel()
    return out.reshape(shape)


class _ScatterAdd(Function):
    """``out[..., idx] += v`` per plane, into zeros of ``shape``."""

    @staticmethod
    def forward(ctx, v, idx, shape, unique=False):
        ctx.idx = idx
        # unique indices (disjoint pooling windows) are a plain assignment, several times
        # faster than np.add.at
        return _scatter(v, idx, shape, accumulate=not unique)

    @staticmethod
    def backward(ctx, gout):
        return _Gather.apply(gout, ctx.idx), None, None


class _Put(Function):
    """``out[..., idx] = v`` per plane, into zeros of ``shape`` (max unpooling)."""

    @staticmethod
    def forward(ctx, v, idx, shape):
        ctx.idx = idx
        return _scatter(v, idx, shape, accumulate=False)

    @staticmethod
    def backward(ctx, gout):
        return _Gather.apply(gout, ctx.idx), None, None


class _Gather(Function):
    """``y = x[..., idx]`` per plane."""

    @staticmethod
    def forward(ctx, x, idx):
        xp = backend.array_module(x)
        ctx.idx, ctx.shape = idx, x.shape
        flat = xp.ascontiguousarray(x).ravel()
        return flat[_flat(idx, x.shape[-2] * x.shape[-1])].reshape(idx.shape)

    @staticmethod
    def backward(ctx, gy):
        return _ScatterAdd.apply(gy, ctx.idx, ctx.shape), None


class _AvgPool(Function):
    """Window sums over zero padding, divided by ``divisor`` (a scalar or (OH, OW))."""

    @staticmethod
    def forward(ctx, x, windows, divisor):
        ctx.args = (windows, divisor, x.shape)
        taps = windows.taps(x, 0)
        y = next(taps)[0].copy()
        for values, _, _ in taps:
            y += values
        if y.dtype.kind == "f":
            y /= divisor
            return y
        # integers divide like C, truncating toward zero, as torch's integer kernels do
        return (y / divisor).astype(y.dtype)

    @staticmethod
    def backward(ctx, gy):
        return _AvgPoolBackward.apply(gy, *ctx.args), None, None


class _AvgPoolBackward(Function):
    """The adjoint of ``_AvgPool``: each output's share added back to its window."""

    @staticmethod
    def forward(ctx, gy, windows, divisor, shape):
        xp = backend.array_module(gy)
        ctx.args = (windows, divisor)
        share = gy / xp.asarray(divisor, dtype=gy.dtype)
        kernel, geom = (len(windows.rows), len(windows.cols)), windows.geom
        canvas = zero_canvas(xp, shape, kernel, geom, windows.out_size, gy.dtype)
        # every tap of a window gets the same share: its columns are one broadcast view
        cols = xp.broadcast_to(
            share[..., None, None, :, :], (*share.shape[:-2], *kernel, *share.shape[-2:])
        )
        col2im_add(canvas, cols, geom, 0)
        return crop_canvas(canvas, geom, shape[-2:])

    @staticmethod
    def backward(ctx, ggx):
        return _AvgPool.apply(ggx, *ctx.args), None, None, None


class _AdaptiveAvgPool(Function):
    """``y = A_h @ x @ A_w^T`` per plane, ``A`` the (out, in) averaging matrices of the adaptive
    windows (None: identity)."""

    @staticmethod
    def forward(ctx, x, a_h, a_w):
        ctx.mats = (a_h, a_w)
        xp = backend.array_module(x)
        y = x if a_w is None else xp.matmul(x, a_w.T)
        y = y if a_h is None else xp.matmul(a_h, y)
        return x.copy() if y is x else y

    @staticmethod
    def backward(ctx, gy):
        a_h, a_w = (None if a is None else a.T for a in ctx.mats)
        return _AdaptiveAvgPool.apply(gy, a_h, a_w), None, None


def _averaging_matrix(xp, n, o, dtype):
    if n == o:
        return None
    start, end = _adaptive_bounds(n, o)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return xp.asarray(inside / (end - start)[:, None], dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Argument handling, with torch's messages


def _pair(value, what, name, default=None, nd=2):
    """``value`` (an int or a sequence of one or ``nd``) as an ``nd``-tuple; ``default`` for
    None or (). ``what`` is the error message, its ``{count}`` filled only on error."""
    if default is not None and (value is None or (not isinstance(value, int) and not value)):
        return default
    if isinstance(value, numbers.Integral):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) not in (1, nd):
        raise RuntimeError(f"{name}: {what.format(count=_COUNT_WORDS[nd])}")
    return value * (nd // len(value))


_COUNT_WORDS = {2: "two", 3: "three"}
_DIM_LETTERS = "THW"


def _pool_args(name, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Validate the arguments of a regular 2-d pool; returns its ``_Windows``."""
    return _Windows.regular(
        *_pool_geometry(name, input, kernel_size, stride, padding, dilation, ceil_mode, 2)
    )


def _pool_geometry(name, input, kernel_size, stride, padding, dilation, ceil_mode, nd):
    """Validate the arguments of a regular ``nd``-d pool; returns its kernel, stride, padding,
    dilation and output size."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input"
        )
    if 0 in input.shape[-nd - 1 :]:
        raise RuntimeError(
            f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(input.shape)}"
        )
    kernel = _pair(
        kernel_size,
        "kernel_size must either be a single int, or a tuple of {count} ints",
        name,
        nd=nd,
    )
    stride = _pair(
        stride,
        "stride must either be omitted, a single int, or a tuple of {count} ints",
        name,
        kernel,
        nd,
    )
    padding = _pair(
        padding, "padding must either be a single int, or a tuple of {count} ints", name, nd=nd
    )
    dilation = _pair(
        dilation, "dilation must be either a single int, or a tuple of {count} ints", name, nd=nd
    )
    letters = _DIM_LETTERS[-nd:]
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    if min(kernel) <= 0:
        got = " ".join(f"k{c}: {k}" for c, k in zip(letters, kernel))
        raise RuntimeError(f"kernel size should be greater than zero, but got {got}")
    if min(stride) < 0:
        got = " ".join(f"d{c}: {v}" for c, v in zip(letters, stride))
        raise RuntimeError(f"stride should be greater than zero, but got {got}")
    if min(dilation) <= 0:
        got = " ".join(f"dilation{c}: {v}" for c, v in zip(letters, dilation))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                "pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}"
            )
    size = input.shape[-nd:]
    out_size = tuple(
        _pool_out(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )
    if min(out_size) < 1:
        planes = input.shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(str(v) for v in (planes, *size))}). Calculated output "
            f"size: ({'x'.join(str(v) for v in (planes, *out_size))}). Output size is too small"
        )
    return kernel, stride, padding, dilation, out_size


def _pool_out(n, k, s, p, d, ceil_mode):
    """torch's pooling output size: with ``ceil_mode`` the last window may overhang the input,
    but must start inside it or its left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _as_2d(input, name, dims_message):
    """A 1-d pool's ``(..., L)`` input as ``(..., 1, L)``, after checking it is 2-d or 3-d."""
    if input.ndim not in (2, 3) or (dims_message and 0 in input.shape[-2:]):
        raise RuntimeError(
            dims_message
            or (
                f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
                f"#1 'self' (while checking arguments for {name})"
            )
        )
    return input.reshape(*input.shape[:-1], 1, input.shape[-1])


def _from_2d(y):
    return y.reshape(*y.shape[:-2], y.shape[-1])


def _single(value, name, what, default=None):
    """``value`` (an int or a one-element sequence) as an int; ``default`` for None or ()."""
    if default is not None and (value is None or (not isinstance(value, int) and not value)):
        return default
    if isinstance(value, numbers.Integral):
        return int(value)
    value = tuple(value)
    if len(value) != 1:
        raise RuntimeError(
            f"{name}() {what} must be an int, list of ints or tuple of ints of size 1 but got "
            f"size {len(value)}"
        )
    return int(value[0])


def _max_pool(input, windows, return_indices):
    needs_grad = is_grad_enabled() and input.requires_grad
    if needs_grad and not return_indices and windows.tiled and not input.is_cuda:
        size, kernel = input.shape[-2:], (len(windows.rows), len(windows.cols))
        if all(o * k <= n for o, k, n in zip(windows.out_size, kernel, size)):
            return _MaxPool.apply(input, windows, "taps")
    with_indices = return_indices or needs_grad
    out = _MaxPool.apply(input, windows, with_indices)
    if return_indices:
        return out
    return out[0] if with_indices else out


# ---------------------------------------------------------------------------------------------
# Public functions (re-exported by ember.nn.functional)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """2-d max pooling over ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input.

    Args:
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit ``-inf`` on each side, at most half the (dilated) kernel.
        dilation: spacing between the elements of a window.
        ceil_mode: round the output size up: a last, partial window is kept if it starts
            inside the input or its left padding.
        return_indices: also return, for each output, the flat index (``h * W + w``) of its
            maximum within the input plane, as ``max_unpool2d`` takes it.

    Returns:
        ``(N, C, H_out, W_out)`` with ``H_out = (H + 2 * padding - dilation * (k - 1) - 1) //
        stride + 1`` (rounded up with ``ceil_mode``), and the int64 indices if asked.
    """
    windows = _pool_args("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, windows, return_indices)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """1-d max pooling over ``(N, C, L)`` or ``(C, L)`` input; see ``max_pool2d``."""
    name = "max_pool1d"
    x = _as_2d(
        input,
        name,
        "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
        f"input, but got:{list(input.shape)}",
    )
    k = _single(kernel_size, name, "kernel_size")
    s = _single(stride, name, "stride", k)
    p = _single(padding, name, "padding")
    d = _single(dilation, name, "dilation")
    for value, what in ((k, "kernel_size"), (s, "stride"), (d, "dilation")):
        if value <= 0:
            raise RuntimeError(f"{name}() {what} must be greater than zero, but got {value}")
    if p < 0:
        raise RuntimeError(f"{name}() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            f"{name}() padding should be at most half of kernel size, but got padding={p} and "
            f"kernel_size={k}"
        )
    out = _pool_out(input.shape[-1], k, s, p, d, ceil_mode)
    if out < 1:
        raise RuntimeError(f"{name}() Invalid computed output size: {out}")
    windows = _Windows.regular((1, k), (1, s), (0, p), (1, d), (1, out))
    result = _max_pool(x, windows, return_indices)
    if return_indices:
        return _from_2d(result[0]), _from_2d(result[1])
    return _from_2d(result)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-d average pooling over ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input.

    Args:
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: implicit zeros on each side, at most half the kernel.
        ceil_mode: round the output size up, as in ``max_pool2d``.
        count_include_pad: count the zero padding in the divisor. A window overhanging the
            padded input (``ceil_mode``) never counts the overhang.
        divisor_override: divide every window's sum by this instead.

    Returns:
        ``(N, C, H_out, W_out)``, sizes as in ``max_pool2d``.
    """
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    windows = _pool_args("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        divisor = divisor_override
    else:
        geom = windows.geom
        kernel = (len(windows.rows), len(windows.cols))
        counts = _window_counts(
            input.shape[-2:], kernel, geom.stride, geom.padding, windows.out_size, count_include_pad
        )
        divisor = _divisor(input, np.outer(*counts))
    return _AvgPool.apply(input, windows, divisor)


def _window_counts(size, kernel, stride, padding, out_size, count_include_pad):
    """Per dim, how many elements each window of an average pool divides by: the kernel size,
    less the overhang past the padding (``ceil_mode``), less the padding unless counted."""
    counts = []
    for n, k, s, p, o in zip(size, kernel, stride, padding, out_size):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return counts


def _divisor(input, counts):
    """Window counts as an array to divide ``input``'s sums by, on its device."""
    xp = backend.array_module(input._data)
    return xp.asarray(counts, dtype=input._data.dtype if input.is_floating_point() else np.float64)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling over ``(N, C, L)`` or ``(C, L)`` input; see ``avg_pool2d``."""
    x = _as_2d(input, "avg_pool1d", None)
    k = _single(kernel_size, "avg_pool1d", "kernel_size")
    s = _single(stride, "avg_pool1d", "stride", k)
    p = _single(padding, "avg_pool1d", "padding")
    return _from_2d(avg_pool2d(x, (1, k), (1, s), (0, p), ceil_mode, count_include_pad))


def _adaptive_args(name, input, output_size, colon, nd=2):
    """The output size of an adaptive ``nd``-d pool, ``None`` entries taking the input's."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{colon} {list(input.shape)}"
        )
    for dim in range(input.ndim - nd, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {dim} being empty"
            )
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size,) * nd
    if len(output_size) != nd:
        if colon:  # torch's adaptive max pools word it as an internal error
            raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
        raise RuntimeError(f"{name}: output_size must be {nd}")
    size = tuple(n if o is None else int(o) for n, o in zip(input.shape[-nd:], output_size))
    if min(size) < 0:
        raise RuntimeError(
            f"{name}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{', '.join(str(v) for v in size)}}}"
        )
    return size


def _adaptive_1d(name, input, output_size):
    """A 1-d adaptive pool's input as 2-d and its output size as a pair."""
    x = _as_2d(input, name, None)
    if not isinstance(output_size, numbers.Integral):
        output_size = tuple(output_size)
        if len(output_size) != 1:
            raise RuntimeError(
                f"{name}() argument 'output_size' should contain one int (got {len(output_size)})"
            )
        output_size = output_size[0]
    return x, (1, output_size)


def _check_floating(name, input):
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{name}\" not implemented for '{input.dtype.scalar_name}'")


def adaptive_avg_pool2d(input, output_size):
    """2-d average pooling to a fixed output size, over ``(N, C, H, W)`` or ``(C, H, W)``.

    Output ``(i, j)`` averages rows ``floor(i * H / OH)`` to ``ceil((i + 1) * H / OH) - 1`` and
    likewise columns, as in torch; windows may differ in size and overlap.

    Args:
        output_size: an int or a pair ``(OH, OW)``; ``None`` keeps that input size.
    """
    size = _adaptive_args("adaptive_avg_pool2d", input, output_size, "")
    _check_floating("adaptive_avg_pool2d", input)
    xp = backend.array_module(input._data)
    (h, w), dtype = input.shape[-2:], input._data.dtype
    a_h = _averaging_matrix(xp, h, size[0], dtype)
    a_w = _averaging_matrix(xp, w, size[1], dtype)
    return _AdaptiveAvgPool.apply(input, a_h, a_w)


def adaptive_avg_pool1d(input, output_size):
    """1-d adaptive average pooling over ``(N, C, L)`` or ``(C, L)``; see
    ``adaptive_avg_pool2d``."""
    x, size = _adaptive_1d("adaptive_avg_pool1d", input, output_size)
    return _from_2d(adaptive_avg_pool2d(x, size))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-d max pooling to a fixed output size, over ``(N, C, H, W)`` or ``(C, H, W)``; windows
    as in ``adaptive_avg_pool2d``, indices as in ``max_pool2d``."""
    size = _adaptive_args("adaptive_max_pool2d", input, output_size, ":")
    _check_floating("adaptive_max_pool2d", input)
    return _max_pool(input, _Windows.adaptive(input.shape[-2:], size), return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-d adaptive max pooling over ``(N, C, L)`` or ``(C, L)``; see ``adaptive_max_pool2d``."""
    x, size = _adaptive_1d("adaptive_max_pool1d", input, output_size)
    result = adaptive_max_pool2d(x, size, return_indices)
    if return_indices:
        return _from_2d(result[0]), _from_2d(result[1])
    return _from_2d(result)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: each value goes back to the position its index
    names in an output plane of zeros.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, a ``max_pool2d`` output.
        indices: the int64 indices ``max_pool2d(..., return_indices=True)`` gave with it.
        kernel_size, stride, padding: those of the pooling.
        output_size: ``(H_out, W_out)`` (or with the two leading dims) to pick among the sizes
            that pool to ``(H, W)``; default ``(H - 1) * stride - 2 * padding + kernel_size``.
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    kernel = _pair(
        kernel_size,
        "kernel_size must either be a single int, or a tuple of two ints",
        "max_unpool2d",
    )
    stride = _pair(
        stride,
        "stride must either be omitted, a single int, or a tuple of two ints",
        "max_unpool2d",
        kernel,
    )
    padding = _pair(
        padding, "padding must either be a single int, or a tuple of two ints", "max_unpool2d"
    )
    size = _unpool_size(input.shape[-2:], kernel, stride, padding, output_size)
    return _unpool(input, indices, size)


def _unpool(input, indices, size):
    """Zeros of spatial ``size`` with each value of ``input`` put where its index (flat in
    that volume) says, after torch's checks."""
    if indices.dtype.name != "int64":
        raise RuntimeError(
            f"elements in indices should be type int64 but got: {indices.dtype.scalar_name}"
        )
    if indices.shape != input.shape:
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    volume = math.prod(size)
    bad = (indices._data < 0) | (indices._data >= volume)
    if bool(bad.any()):
        raise RuntimeError(
            f"Found an invalid max index: {int(indices._data[bad][0])} (output volumes are of "
            f"size {'x'.join(str(n) for n in size)})"
        )
    if len(size) == 2:
        return _Put.apply(input, indices._data, (*input.shape[:-2], *size))
    # a volume's values and indices as one plane each, for the per-plane scatter
    lead = input.shape[: -len(size)]
    flat = input.reshape(*lead, 1, -1)
    y = _Put.apply(flat, indices._data.reshape(flat.shape), (*lead, 1, volume))
    return y.reshape(*lead, *size)


def _unpool_size(size, kernel, stride, padding, output_size):
    default = [(n - 1) * s - 2 * p + k for n, k, s, p in zip(size, kernel, stride, padding)]
    if output_size is None:
        return tuple(default)
    given = output_size
    output_size = [int(o) for o in output_size]
    if len(output_size) == len(default) + 2:
        output_size = output_size[2:]
    if len(output_size) != len(default):
        raise ValueError(
            f"output_size should be a sequence containing {len(default)} or {len(default) + 2} "
            f"elements, but it has a length of '{len(output_size)}'"
        )
    for d, (o, n, s) in enumerate(zip(output_size, default, stride)):
        if not n - s < o < n + s:
            raise ValueError(
                f'invalid output_size "{given}" (dim {d} must be between {n - s} and {n + s})'
            )
    return tuple(output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """1-d max unpooling of ``(N, C, L)`` or ``(C, L)``; see ``max_unpool2d``."""
    k = _single(kernel_size, "max_unpool1d", "kernel_size")
    s = k if stride is None else _single(stride, "max_unpool1d", "stride")
    p = _single(padding, "max_unpool1d", "padding")
    if output_size is not None:
        output_size = [int(o) for o in output_size]
        if len(output_size) == 3:
            output_size = output_size[2:]
        if len(output_size) != 1:
            raise ValueError(
                "output_size should be a sequence containing 1 or 3 elements, but it has a "
                f"length of '{len(output_size)}'"
            )
        output_size = (1, output_size[0])
    x = input.reshape(*input.shape[:-1], 1, input.shape[-1])
    idx = indices.reshape(*indices.shape[:-1], 1, indices.shape[-1])
    return _from_2d(max_unpool2d(x, idx, (1, k), (1, s), (0, p), output_size))


# ---------------------------------------------------------------------------------------------
# 3-d pooling: a maximum or a sum over a box is one over each depth slice's planes, then one
# along depth, so the 2-d windows do it in two passes


def _separable(input, plane_pool, depth_pool, with_indices):
    """Pool ``input`` (..., D, H, W) with ``plane_pool`` over the planes of every depth slice,
    (M, D, H, W) -> (M, D, OH, OW), then ``depth_pool`` along depth, (M, OH * OW, 1, D) ->
    (M, OH * OW, 1, OD): both as 2-d pools, returning ``(values, indices)`` when
    ``with_indices``. An index into the (D, H, W) volume is the depth the second pass picked
    times ``H * W`` plus the index within that slice's plane the first pass recorded."""
    *lead, d, h, w = input.shape
    planes = plane_pool(input.reshape(-1, d, h, w))
    if with_indices:
        planes, plane_indices = planes
    m, _, oh, ow = planes.shape
    columns = planes.reshape(m, d, oh * ow).transpose(1, 2).reshape(m, oh * ow, 1, d)
    y = depth_pool(columns)
    if with_indices:
        y, depths = y

    def as_volume(t):
        od = t.shape[-1]
        return t.reshape(m, oh * ow, od).transpose(1, 2).reshape(m, od, oh, ow)

    y = as_volume(y)
    out_shape = (*lead, *y.shape[1:])
    if not with_indices:
        return y.reshape(out_shape)
    depths = as_volume(depths)
    indices = depths * (h * w) + plane_indices.gather(1, depths)
    return y.reshape(out_shape), indices.reshape(out_shape)


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """3-d max pooling over ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input; arguments
    as in ``max_pool2d``, with triples for the per-dim ones. Indices are flat in the input's
    ``(D, H, W)`` volume, ``(d * H + h) * W + w``, as ``max_unpool3d`` takes them."""
    (kd, *k), (sd, *s), (pd, *p), (dd, *dil), (od, *o) = _pool_geometry(
        "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, 3
    )
    planes = _Windows.regular(tuple(k), tuple(s), tuple(p), tuple(dil), tuple(o))
    depth = _Windows.regular((1, kd), (1, sd), (0, pd), (1, dd), (1, od))
    return _separable(
        input,
        lambda x: _max_pool(x, planes, return_indices),
        lambda x: _max_pool(x, depth, return_indices),
        return_indices,
    )


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """3-d average pooling over ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input;
    arguments as in ``avg_pool2d``, with triples for the per-dim ones."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    kernel, stride, padding, _, out_size = _pool_geometry(
        "avg_pool3d", input, kernel_size, stride, padding, 1, ceil_mode, 3
    )
    (kd, *k), (sd, *s), (pd, *p), (od, *o) = kernel, stride, padding, out_size
    planes = _Windows.regular(tuple(k), tuple(s), tuple(p), (1, 1), tuple(o))
    depth = _Windows.regular((1, kd), (1, sd), (0, pd), (1, 1), (1, od))
    if divisor_override is not None:
        divisor = divisor_override
    else:
        # the depth pass divides the window sums of the plane pass, laid out (OH * OW, 1, OD)
        cd, ch, cw = _window_counts(
            input.shape[-3:], kernel, stride, padding, out_size, count_include_pad
        )
        divisor = _divisor(input, np.multiply.outer(np.outer(ch, cw).ravel(), cd)[:, None, :])
    return _separable(
        input,
        lambda x: _AvgPool.apply(x, planes, 1),
        lambda x: _AvgPool.apply(x, depth, divisor),
        False,
    )


def adaptive_avg_pool3d(input, output_size):
    """3-d average pooling to a fixed output size, over ``(N, C, D, H, W)`` or
    ``(C, D, H, W)``; windows as in ``adaptive_avg_pool2d``, along each of the three dims.

    Args:
        output_size: an int or a triple ``(OD, OH, OW)``; ``None`` keeps that input size.
    """
    od, oh, ow = _adaptive_args("adaptive_avg_pool3d", input, output_size, "", 3)
    _check_floating("adaptive_avg_pool3d", input)
    return _separable(
        input,
        lambda x: adaptive_avg_pool2d(x, (oh, ow)),
        lambda x: adaptive_avg_pool2d(x, (1, od)),
        False,
    )


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-d max pooling to a fixed output size, over ``(N, C, D, H, W)`` or ``(C, D, H, W)``;
    windows as in ``adaptive_avg_pool3d``, indices as in ``max_pool3d``."""
    od, oh, ow = _adaptive_args("adaptive_max_pool3d", input, output_size, ":", 3)
    _check_floating("adaptive_max_pool3d", input)
    d, h, w = input.shape[-3:]
    planes = _Windows.adaptive((h, w), (oh, ow))
    depth = _Windows.adaptive((1, d), (1, od))
    return _separable(
        input,
        lambda x: _max_pool(x, planes, return_indices),
        lambda x: _max_pool(x, depth, return_indices),
        return_indices,
    )


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """3-d max unpooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``, the partial inverse of
    ``max_pool3d``; see ``max_unpool2d``."""
    if input.ndim not in (4, 5):
        raise RuntimeError(
            "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    kernel = _pair(
        kernel_size,
        "kernel_size must either be a single int, or a tuple of three ints",
        "max_unpool3d",
        nd=3,
    )
    stride = _pair(
        stride,
        "stride must either be omitted, a single int, or a tuple of three ints",
        "max_unpool3d",
        kernel,
        3,
    )
    padding = _pair(
        padding,
        "padding must either be a single int, or a tuple of three ints",
        "max_unpool3d",
        nd=3,
    )
    size = _unpool_size(input.shape[-3:], kernel, stride, padding, output_size)
    return _unpool(input, indices, size)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """``max_pool1d`` returning the indices too, whatever ``return_indices`` says."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """``max_pool2d`` returning the indices too, whatever ``return_indices`` says."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """``max_pool3d`` returning the indices too, whatever ``return_indices`` says."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool1d`` returning the indices too, whatever ``return_indices`` says."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool2d`` returning the indices too, whatever ``return_indices`` says."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool3d`` returning the indices too, whatever ``return_indices`` says."""
    return adaptive_max_pool3d(input, output_size, True)


def _lp_pool(avg_pool, input, norm_type, kernel, stride, ceil_mode):
    """``(sum over the window of x ** p) ** (1 / p)`` as torch computes it: the window's
    average of ``x ** p`` (no padding) times its size, negative averages clamped to 0."""
    out = avg_pool(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-d power-average pooling: ``(sum over the window of x ** p) ** (1 / p)``.

    Like torch, computed as ``(kh * kw * avg_pool2d(x ** p)) ** (1 / p)`` without padding;
    ``norm_type`` ``p = inf`` is max pooling in theory but not handled specially.
    """
    kernel = _pair(
        kernel_size, "kernel_size must either be a single int, or a tuple of two ints", "lp_pool2d"
    )
    return _lp_pool(avg_pool2d, input, norm_type, kernel, stride, ceil_mode)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-d power-average pooling; see ``lp_pool2d``."""
    kernel = _single(kernel_size, "lp_pool1d", "kernel_size")
    return _lp_pool(avg_pool1d, input, norm_type, (kernel,), stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-d power-average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; see
    ``lp_pool2d``."""
    kernel = _pair(
        kernel_size,
        "kernel_size must either be a single int, or a tuple of three ints",
        "lp_pool3d",
        nd=3,
    )
    return _lp_pool(avg_pool3d, input, norm_type, kernel, stride, ceil_mode)
