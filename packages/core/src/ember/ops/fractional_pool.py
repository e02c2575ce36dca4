"""Fractional max pooling (Graham, 2015, https://arxiv.org/abs/1412.6071): max pooling whose
windows start at pseudo-random, non-uniform offsets, so that the output size is any size
between the input size and the input size over the kernel size.

Each ``(batch, channel)`` plane has its own window starts, drawn from one uniform sample per
pooled dimension (torch's ``_random_samples``), so the windows cannot be strided views: each
kernel tap is one gather, of that tap in every window of every plane, and the maximum is
taken over the taps. The gradient is a scatter-add to the recorded argmax positions (max
pooling's scatter), whose own gradient is a gather.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..autograd.function import Function
from .pooling import _check_floating, _pair, _ScatterAdd

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
]


def _intervals(sample, in_size, out_size, pool_size):
    """torch's ``generate_intervals`` for every plane at once: window ``i`` of ``out_size``
    starts at ``int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (in_size - pool_size) /
    (out_size - 1)``, the last one at ``in_size - pool_size``.

    ``sample`` holds each plane's ``u``, shape ``(planes,)``; the arithmetic is done in its
    (the input's) floating dtype, as torch's kernel does, so the truncations agree. Returns the
    starts as int64, shape ``(planes, out_size)``."""
    xp = backend.array_module(sample)
    dtype = sample.dtype.type
    starts = xp.full((sample.shape[0], out_size), in_size - pool_size, dtype=np.int64)
    if out_size > 1:
        alpha = dtype(in_size - pool_size) / dtype(out_size - 1)
        i = xp.arange(out_size - 1, dtype=sample.dtype)
        first = ((i + sample[:, None]) * alpha).astype(np.int64)
        starts[:, :-1] = first - (sample * alpha).astype(np.int64)[:, None]
    return starts


def _strides(in_size):
    """Row-major strides of a plane volume of shape ``in_size``."""
    return [math.prod(in_size[d + 1 :]) for d in range(len(in_size))]


def _window_starts(samples, in_size, out_size, kernel):
    """The flat index, in its plane's volume, of the first element of every window: shape
    ``(planes, prod(out_size))``."""
    nd = len(in_size)
    flat = 0
    for d, stride in enumerate(_strides(in_size)):
        starts = _intervals(samples[:, d], in_size[d], out_size[d], kernel[d])
        shape = [starts.shape[0]] + [1] * nd
        shape[1 + d] = out_size[d]
        flat = flat + (starts * stride).reshape(shape)
    return flat.reshape(samples.shape[0], math.prod(out_size))


def _tap_offsets(in_size, kernel):
    """The flat offset of every kernel tap from its window's first element, in row-major order
    (torch's scan order, which decides ties)."""
    grids = np.meshgrid(*[np.arange(k) for k in kernel], indexing="ij")
    return sum(g * stride for g, stride in zip(grids, _strides(in_size))).ravel()


class _FractionalMaxPool(Function):
    """Window maxima over ``(planes, *in_size)`` and their flat indices in the plane volume."""

    @staticmethod
    def forward(ctx, x, samples, kernel, out_size):
        xp = backend.array_module(x)
        planes, in_size = x.shape[0], x.shape[1:]
        starts = _window_starts(samples, in_size, out_size, kernel)
        offsets = _tap_offsets(in_size, kernel)
        # one gather per kernel tap, of that tap in every window of every plane
        flat = xp.ascontiguousarray(x).ravel()
        first = starts + (xp.arange(planes) * math.prod(in_size))[:, None]
        taps = [flat[first + int(o)] for o in offsets]
        y = taps[0].copy()
        for v in taps[1:]:
            xp.maximum(y, v, out=y)  # NaN propagates
        # the first tap equal to the maximum (torch's ``val > maxVal``), counted as the taps
        # before it; where the maximum is NaN, the last NaN (torch's ``|| isnan(val)``)
        before = xp.zeros(y.shape, dtype=np.uint8 if len(taps) < 256 else np.int64)
        found = xp.zeros(y.shape, dtype=bool)
        for v in taps[:-1]:
            found |= v == y
            before += ~found
        if bool(xp.isnan(y).any()):
            for t, v in enumerate(taps):
                xp.copyto(before, t, where=xp.isnan(v))
        idx = starts + backend.to_device(offsets, backend.device_of(x))[before]
        ctx.idx, ctx.shape = idx, x.shape
        return y.reshape(planes, *out_size), idx.reshape(planes, *out_size)

    @staticmethod
    def backward(ctx, gy, _=None):
        # each plane's volume as one flat plane, for the per-plane scatter of max pooling
        planes = ctx.shape[0]
        volume = math.prod(ctx.shape[1:])
        gx = _ScatterAdd.apply(
            gy.reshape(planes, 1, -1), ctx.idx.reshape(planes, 1, -1), (planes, 1, volume)
        )
        return gx.reshape(ctx.shape), None, None, None


def _fractional_max_pool(
    name, prefix, nd, input, kernel_size, output_size, output_ratio, _random_samples
):
    """Check the arguments as torch does, draw the samples if none are given, pool; returns
    ``(output, indices)``."""
    count = "Ints" if nd == 2 else "three Ints"
    kernel = _pair(
        kernel_size, f"kernel_size must either be a single Int or tuple of {count}", name, nd=nd
    )
    if min(kernel) <= 0:
        # (torch's kernel returns -inf for an empty window)
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {kernel}")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{prefix}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}"
        )
    if output_size is None:
        ratio = _ratios(output_ratio, name, count, nd)
        output_size = [int(n * r) for n, r in zip(input.shape[-nd:], ratio)]
    out_size = _pair(
        output_size, f"output_size must either be a single Int or tuple of {count}", name, nd=nd
    )
    for d in range(input.ndim - nd - 1, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(
                f"{prefix}: Expected input to have non-zero size for non-batch dimensions, but "
                f"got{list(input.shape)} with dimension {d} being empty."
            )
    _check_floating(name, input)
    # torch's bound: a 2-d window may end on the last element, a 3-d one must end before it
    slack = 1 if nd == 2 else 0
    for o, k, n, what in zip(
        out_size, kernel, input.shape[-nd:], ("time", "height", "width")[-nd:]
    ):
        if o + k - 1 >= n + slack:
            raise RuntimeError(f"{prefix}: pool {what} {k} too large relative to input {what} {n}")
    batched = input.ndim == nd + 2
    batch = input.shape[0] if batched else 1
    channels = input.shape[-nd - 1]
    if _random_samples is None:
        _random_samples = input.new_empty((batch, channels, nd)).uniform_()
    _check_samples(_random_samples, input, batch, channels, nd)
    # torch reads a 2-d plane's samples as (width, height), a 3-d one's as (time, height, width)
    samples = _random_samples[:batch]
    if nd == 2:
        samples = samples.flip(-1)
    planes = batch * channels
    x = input.reshape(planes, *input.shape[-nd:])
    y, idx = _FractionalMaxPool.apply(x, samples.reshape(planes, nd).detach(), kernel, out_size)
    lead = input.shape[:-nd]
    return y.reshape(*lead, *out_size), idx.reshape(*lead, *out_size)


def _ratios(output_ratio, name, count, nd):
    """``output_ratio`` (a number or a sequence of one or ``nd``) as an ``nd``-tuple."""
    if isinstance(output_ratio, numbers.Real):
        return (output_ratio,) * nd
    ratio = tuple(output_ratio)
    if len(ratio) not in (1, nd):
        raise ValueError(
            f"{name} requires output_ratio to either be a single Int or tuple of {count}."
        )
    return ratio * (nd // len(ratio))


def _check_samples(samples, input, batch, channels, nd):
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(
            f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}."
        )


def fractional_max_pool2d_with_indices(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """``fractional_max_pool2d`` returning the indices too, whatever ``return_indices`` says."""
    return _fractional_max_pool(
        "fractional_max_pool2d",
        "fractional_max_pool2d()",
        2,
        input,
        kernel_size,
        output_size,
        output_ratio,
        _random_samples,
    )


def fractional_max_pool2d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """2-d fractional max pooling over ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input.

    The max is taken over ``kH x kW`` windows placed with a stochastic step determined by the
    target output size (Graham, *Fractional Max-Pooling*). Window ``i`` of a dimension starts
    at ``int((i + u) * alpha) - int(u * alpha)``, ``alpha = (n - k) / (out - 1)``, the last one
    at ``n - k``; ``u`` is uniform in ``[0, 1)``, one per plane and dimension.

    Args:
        kernel_size: the window size, an int or ``(kH, kW)``.
        output_size: the output size, an int or ``(oH, oW)``.
        output_ratio: instead of ``output_size``, the output size as a fraction of the input
            size (a number or a pair, in (0, 1)); the size is rounded down.
        return_indices: also return the flat index (``h * W + w``) of each maximum in its
            plane, as ``max_unpool2d`` takes it.
        _random_samples: the ``u``: shape ``(N, C, 2)`` in the input's dtype, ``[..., 0]``
            for the width and ``[..., 1]`` for the height (torch's layout); drawn from the
            default generator when None.

    Example::

        >>> input = ember.randn(20, 16, 50, 32)
        >>> F.fractional_max_pool2d(input, 3, output_size=(13, 12)).shape
        ember.Size([20, 16, 13, 12])
    """
    y, idx = fractional_max_pool2d_with_indices(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )
    return (y, idx) if return_indices else y


def fractional_max_pool3d_with_indices(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """``fractional_max_pool3d`` returning the indices too, whatever ``return_indices`` says."""
    return _fractional_max_pool(
        "fractional_max_pool3d",
        "fractional_max_pool3d_out()",
        3,
        input,
        kernel_size,
        output_size,
        output_ratio,
        _random_samples,
    )


def fractional_max_pool3d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """3-d fractional max pooling over ``(N, C, T, H, W)`` or unbatched ``(C, T, H, W)`` input;
    arguments as in ``fractional_max_pool2d``, with triples. ``_random_samples`` has shape
    ``(N, C, 3)``, ordered ``(time, height, width)``; indices are flat in the ``(T, H, W)``
    volume, as ``max_unpool3d`` takes them.

    As in torch, each window must end before the last element of its dimension
    (``output_size + kernel_size - 1 < input_size``), where the 2-d form allows it to reach it.
    """
    y, idx = fractional_max_pool3d_with_indices(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )
    return (y, idx) if return_indices else y
