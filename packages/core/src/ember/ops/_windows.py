"""Sliding-window helpers shared by convolution, pooling and padding.

A window geometry (``Geometry``) places the windows of an output grid on a zero-padded input.
The kernels read a window's kernel tap as one strided slice of the padded input (``tap_slice``)
and add values back into place one tap at a time (``col2im_add``) on a padded canvas
(``zero_canvas``), which ``crop_canvas`` crops back to the input's size.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import backend

__all__ = [
    "Geometry",
    "constant_pad",
    "pad_for_windows",
    "tap_slice",
    "col2im_add",
    "zero_canvas",
    "crop_canvas",
]


class Geometry(NamedTuple):
    """How windows sit on the (unpadded) input: window (i, j) of the output covers input rows
    ``i * stride[0] - padding[0] + k * dilation[0]`` for kernel rows ``k``, likewise columns."""

    stride: tuple
    dilation: tuple
    padding: tuple  # zeros added before each spatial dim; after-padding follows from the sizes
    groups: int


def constant_pad(x, before, after, value=0):
    """``x`` with ``before[i]``/``after[i]`` entries of ``value`` around its i-th spatial dim (the
    last ``len(before)`` dims); negative amounts crop instead."""
    nd = len(before)
    spatial = x.shape[-nd:]
    crop = tuple(slice(max(-b, 0), s - max(-a, 0)) for s, b, a in zip(spatial, before, after))
    x = x[(..., *crop)]
    grow = [(max(b, 0), max(a, 0)) for b, a in zip(before, after)]
    if not any(b or a for b, a in grow):
        return x
    xp = backend.array_module(x)
    shape = x.shape[:-nd] + tuple(s + b + a for s, (b, a) in zip(x.shape[-nd:], grow))
    out = xp.full(shape, value, dtype=x.dtype)
    out[(..., *(slice(b, b + s) for s, (b, _) in zip(x.shape[-nd:], grow)))] = x
    return out


def _reach(kernel, geom, out_size):
    """How far (from the start of the padded input) the windows of the output reach, per
    spatial dim."""
    return [
        (o - 1) * s + (k - 1) * d + 1
        for o, s, k, d in zip(out_size, geom.stride, kernel, geom.dilation)
    ]


def pad_for_windows(x, kernel, geom, out_size, value=0):
    """``x`` padded so that every window of the output lies inside it (cropped of rows no
    window reaches)."""
    reach = _reach(kernel, geom, out_size)
    after = [r - p - n for r, p, n in zip(reach, geom.padding, x.shape[-2:])]
    return constant_pad(x, geom.padding, after, value)


def tap_slice(i, j, geom, out_size, r0=0):
    """Index of the padded input under kernel tap ``(i, j)`` of the windows of output rows
    ``r0:r0 + out_size[0]``: a strided slice of shape ``(..., *out_size)``."""
    (sh, sw), (dh, dw), (oh, ow) = geom.stride, geom.dilation, out_size
    top, left = i * dh + r0 * sh, j * dw
    return (
        ...,
        slice(top, top + (oh - 1) * sh + 1, sh),
        slice(left, left + (ow - 1) * sw + 1, sw),
    )


def col2im_add(out, cols, geom, r0):
    """Add ``cols`` (..., KH, KW, R, OW), the window columns of output rows ``r0:r0 + R``, into
    the padded image ``out`` (..., Hp, Wp), one kernel tap at a time: within one tap no two
    windows share a pixel, so plain strided ``+=`` is exact where ``add.at`` would be needed
    for the whole scatter at once."""
    kh, kw = cols.shape[-4:-2]
    for i in range(kh):
        for j in range(kw):
            out[tap_slice(i, j, geom, cols.shape[-2:], r0)] += cols[..., i, j, :, :]


def zero_canvas(xp, shape, kernel, geom, out_size, dtype):
    """Zeros for the padded image of ``shape`` ``(..., H, W)``, big enough for every window of
    the output (for col2im to add into)."""
    *lead, h, w = shape
    reach = _reach(kernel, geom, out_size)
    size = [max(p + e, r) for e, r, p in zip((h, w), reach, geom.padding)]
    return xp.zeros((*lead, *size), dtype=dtype)


def crop_canvas(canvas, geom, size):
    """The (contiguous) image of spatial ``size`` inside a padded canvas."""
    (ph, pw), (h, w) = geom.padding, size
    return backend.array_module(canvas).ascontiguousarray(canvas[..., ph : ph + h, pw : pw + w])
