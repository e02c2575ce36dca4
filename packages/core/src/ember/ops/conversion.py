"""Conversions that stay in the graph: dtype casts, device moves, copies."""

from __future__ import annotations

import warnings

from .. import backend
from .._dtype import from_numpy
from .._tensor import Tensor
from ..autograd.function import Function


class ToDtype(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, gy):
        if ctx.dtype.kind != "c" and gy._data.dtype.kind == "c":
            gy = gy.real  # a real input's gradient is the real part (torch's convention)
        return gy.to(from_numpy(ctx.dtype)), None


class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.device = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx, gy):
        return gy.to(ctx.device), None


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, gy):
        return gy


class CopyFrom(Function):
    """The value ``copy_`` writes: ``src`` (already on ``dst``'s device) broadcast to ``dst``'s
    shape and dtype."""

    @staticmethod
    def forward(ctx, dst, src):
        xp = backend.array_module(dst)
        return xp.broadcast_to(src.astype(dst.dtype, copy=False), dst.shape).copy()

    @staticmethod
    def backward(ctx, gy):
        return None, gy


def to_dtype(input, dtype):
    if input._data.dtype == dtype.np:
        return input
    if input._data.dtype.kind == "c" and not dtype.is_complex:
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, 2)
        input = input.real
    return ToDtype.apply(input, dtype.np)


def to_device(input, device):
    if backend.device_of(input._data) == device or (
        device.index is None and input.device.type == device.type
    ):
        return input
    return ToDevice.apply(input, device)


def clone(input):
    """A copy whose gradient flows back to ``input``."""
    return Clone.apply(input)


def copy_from(dst, src):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return CopyFrom.apply(dst, src.to(dst.device))
