"""Resampling: ``interpolate``, ``pixel_shuffle``/``pixel_unshuffle``, ``affine_grid`` and
``grid_sample``.

``interpolate`` is separable: each spatial axis in turn is resampled by a gather of neighbour
indices and a weighted sum over the taps (one tap for nearest, two for linear, four for cubic),
with torch's source-index formulas. Its gradient is the same gather-and-sum with the taps
transposed (each input position gathers the outputs that read it, with their weights), so
gradients of every order come from one operation and no scatter is needed.

``grid_sample`` reads the four neighbours of each sampling point with ``gather`` and weighs them
with bilinear weights computed by tensor operations from the grid, so gradients reach both the
input and the grid.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ._util import quiet
from .indexing import Gather
from .padding import pad
from .pointwise import where
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from .shape import stack

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle", "affine_grid", "grid_sample"]


# ---------------------------------------------------------------------------------------------
# interpolate: one axis at a time


class _Resample(Function):
    """One axis of a separable resampling: ``y[..., j, ...] = sum_k w[k, j] * x[..., idx[k, j],
    ...]`` for ``taps = (idx, w)``, both (taps, out); ``w`` None means weights of 1.

    The gradient is the same operation with the transposed taps (``adjoint``: for each input
    position, the outputs that read it), so forward and backward are each other's derivative.
    """

    @staticmethod
    def forward(ctx, x, axis, taps, adjoint):
        ctx.args = (axis, adjoint, taps)
        idx, w = taps
        y = backend.array_module(x).take(x, idx.ravel(), axis=axis)
        if w is None and len(idx) == 1:
            return y
        y = y.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1 :])
        if w is not None:
            y = y * w.reshape(w.shape + (1,) * (x.ndim - axis - 1))
        return y.sum(axis=axis)

    @staticmethod
    def backward(ctx, gy):
        axis, adjoint, taps = ctx.args
        return _Resample.apply(gy, axis, adjoint, taps), None, None, None


def _transpose_taps(idx, w, n):
    """The taps of the adjoint of resampling with ``(idx, w)`` from an axis of ``n``: row ``r``
    of the result names, for every input position, its ``r``-th reader and that reader's
    weight (weight 0 where a position has fewer readers)."""
    m = idx.shape[1]
    positions = idx.ravel()
    readers = np.broadcast_to(np.arange(m), idx.shape).ravel()
    weights = np.ones(positions.size) if w is None else w.ravel()
    order = np.argsort(positions, kind="stable")
    positions, readers, weights = positions[order], readers[order], weights[order]
    counts = np.bincount(positions, minlength=n)
    rank = np.arange(positions.size) - (np.cumsum(counts) - counts)[positions]
    rows = int(counts.max())
    idx_t = np.zeros((rows, n), dtype=np.int64)
    idx_t[rank, positions] = readers
    if w is None and (counts == rows).all():
        return idx_t, None
    w_t = np.zeros((rows, n), dtype=weights.dtype)
    w_t[rank, positions] = weights
    return idx_t, w_t


def _on_device(xp, taps, dtype):
    """Taps computed with numpy, on the input's device, weights in its dtype."""
    idx, w = taps
    return xp.asarray(idx), None if w is None else xp.asarray(w, dtype=dtype)


def _scale(n, m, align_corners, scale, ct):
    """torch's ``area_pixel_compute_scale``: input steps per output step, in dtype ``ct``."""
    if align_corners:
        return ct(n - 1) / ct(m - 1) if m > 1 else ct(0)
    if scale is not None and scale > 0:
        return ct(1.0 / scale)
    return ct(n) / ct(m)


def _cubic_weights(t):
    """Keys' cubic convolution weights (A = -0.75, as torch) of the taps at -1, 0, 1, 2 around a
    point at fraction ``t`` past tap 0."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)])


def _axis_taps(mode, n, m, align_corners, scale, ct):
    """The ``(idx, w)`` of one axis resized from ``n`` to ``m`` (``w`` None for nearest), or
    None when the axis is copied unchanged. Computed in ``ct`` like torch's CPU kernels."""
    i = np.arange(m, dtype=ct)
    half = ct(0.5)
    if mode in ("nearest", "nearest-exact"):
        s = _scale(n, m, False, scale, ct)
        if mode == "nearest":  # floor(i * s): torch's legacy rule (OpenCV's INTER_NEAREST)
            src = np.floor(i * s)
        else:  # the nearest pixel centre: floor((i + 0.5) * s)
            src = np.floor(np.maximum(s * (i + half) - half, 0) + half)
        return np.minimum(src.astype(np.int64), n - 1)[None], None
    if mode == "linear" and n == m:
        return None
    s = _scale(n, m, align_corners, scale, ct)
    real = s * i if align_corners else s * (i + half) - half
    if mode == "linear":
        real = np.maximum(real, 0)  # (cubic keeps a negative source index)
    i0 = np.minimum(np.floor(real).astype(np.int64), n - 1)
    t = np.clip(real - i0.astype(ct), 0, 1)
    if mode == "linear":
        idx = np.stack([i0, i0 + (i0 < n - 1)])
        w = np.stack([1 - t, t])
    else:  # taps past the border read the edge pixel
        idx = np.clip(i0 + np.arange(-1, 3)[:, None], 0, n - 1)
        w = _cubic_weights(t)
    return idx, w


# torch's kernels by mode: the number of spatial dims each takes
_KERNEL_DIMS = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "area": (1, 2),
    "linear": (1,),
    "bilinear": (2,),
    "bicubic": (2,),
    "trilinear": (3,),
}


def _output_size(input, size, scale_factor, recompute_scale_factor, mode):
    """torch's size/scale_factor handling: ``(output_size, scales)``, one of them None."""
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format."
                )
            if not all(isinstance(s, numbers.Integral) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}"
                )
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                    f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    "format and scale_factor in (s1, s2, ...,sK) format."
                )
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or (mode == "area" and output_size is None):
        # the size from the factor, after which the kernel derives the scale from the sizes
        return [math.floor(float(n) * s) for n, s in zip(spatial, scales)], None
    if output_size is None:
        output_size = [math.floor(n * s) for n, s in zip(spatial, scales)]
    return output_size, scales


def _check_mode(input, mode):
    ndim = input.ndim
    if ndim - 2 in _KERNEL_DIMS.get(mode, ()):
        return
    if mode == "area" and ndim == 5:
        raise NotImplementedError("interpolate(): mode 'area' needs 3-D or 4-D input in ember")
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and ndim in (3, 4, 5):
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {needs[mode]}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: "
        f"nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})"
    )


@autocast_op("upsample")
def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize the spatial dims of ``(N, C, *spatial)`` input.

    Args:
        input: 3-d (``linear``), 4-d (``bilinear``, ``bicubic``) or 5-d (``trilinear``);
            ``nearest`` and ``nearest-exact`` take any of them, ``area`` 3-d or 4-d.
        size: output spatial size (an int or one per spatial dim).
        scale_factor: multiplier of the spatial size (a float or one per dim); the output size
            is ``floor(in * scale_factor)``.
        mode: ``'nearest'`` (source ``floor(out_index * scale)``, torch's legacy rule),
            ``'nearest-exact'`` (the nearest pixel centre), ``'linear'``/``'bilinear'``/
            ``'trilinear'``, ``'bicubic'`` (cubic convolution, A = -0.75, border pixels
            repeated; may overshoot the input range) or ``'area'`` (adaptive average pooling).
        align_corners: for the interpolating modes, ``True`` maps the corner pixel centres onto
            each other, ``False`` (default) the corner pixel edges.
        recompute_scale_factor: derive the coordinate scale from the computed output size
            instead of using ``scale_factor`` itself.
        antialias: not supported (raises when ``True``).

    Returns:
        ``(N, C, *size)``, same dtype as ``input``.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    output_size, scales = _output_size(input, size, scale_factor, recompute_scale_factor, mode)
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.ndim == 4):
            raise ValueError(
                "Anti-alias option is restricted to bilinear and bicubic modes and requires a "
                "4-D tensor as input"
            )
        raise NotImplementedError("interpolate(): antialias=True is not supported by ember")
    _check_mode(input, mode)
    if mode == "area":
        pool = adaptive_avg_pool1d if input.ndim == 3 else adaptive_avg_pool2d
        return pool(input, output_size)
    spatial = input.shape[2:]
    if min(spatial) <= 0 or min(output_size) <= 0:
        names = "DHW"[3 - len(spatial) :]
        given = ", ".join(f"{c}: {n}" for c, n in zip(names, spatial))
        wanted = ", ".join(f"{c}: {n}" for c, n in zip(names, output_size))
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({given}) and "
            f"output ({wanted})"
        )
    kernel = "nearest" if mode.startswith("nearest") else "linear" if "linear" in mode else "cubic"
    if kernel != "nearest" and not input.is_floating_point():
        raise NotImplementedError(
            f"\"upsample_{mode}{len(spatial)}d\" not implemented for '{input.dtype.scalar_name}'"
        )
    xp = backend.array_module(input._data)
    ct = np.float64 if input.dtype.np == np.float64 else np.float32
    x = input
    for i, (n, m) in enumerate(zip(spatial, output_size)):
        scale = None if scales is None else scales[i]
        taps = _axis_taps(mode if kernel == "nearest" else kernel, n, m, align_corners, scale, ct)
        if taps is None:
            continue
        dt = input.dtype.np
        forward = _on_device(xp, taps, dt)
        adjoint = _on_device(xp, _transpose_taps(*taps, n), dt)
        x = _Resample.apply(x, 2 + i, forward, adjoint)
    return input.clone() if x is input else x


# ---------------------------------------------------------------------------------------------
# pixel_shuffle / pixel_unshuffle: views and one permute


def _check_shuffle(name, input, factor, what):
    if input.ndim < 3:
        raise RuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)``, ``r = upscale_factor``:
    channel ``c * r^2 + i * r + j`` becomes the pixel at offset ``(i, j)`` of each r x r block
    (the sub-pixel convolution layer of Shi et al., 2016)."""
    r = int(upscale_factor)
    _check_shuffle("pixel_shuffle", input, r, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    b = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of ``pixel_shuffle``: ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``,
    ``r = downscale_factor``."""
    r = int(downscale_factor)
    _check_shuffle("pixel_unshuffle", input, r, "downscale_factor")
    *lead, c, h, w = input.shape
    for size, dim, name in ((h, -2, "height"), (w, -1, "width")):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    b = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


# ---------------------------------------------------------------------------------------------
# affine_grid / grid_sample

_ALIGN_CORNERS_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _default_align_corners(align_corners):
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, UserWarning, stacklevel=3)
        return False
    return align_corners


def _linspace_from_neg_one(steps, align_corners):
    """Normalised pixel-centre coordinates of ``steps`` pixels: -1 and 1 are the corner
    pixels' centres (``align_corners``) or their outer edges."""
    if steps <= 1:
        return np.zeros(1)
    grid = np.linspace(-1.0, 1.0, steps)
    return grid if align_corners else grid * (steps - 1) / steps


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine transforms, for ``grid_sample``.

    Args:
        theta: ``(N, 2, 3)`` for a 4-d ``size`` or ``(N, 3, 4)`` for a 5-d one, floating point.
        size: the output size ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        align_corners: as in ``grid_sample`` (use the same value there). Leaving it None
            warns and means ``False``, as in torch.

    Returns:
        ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``): ``theta @ (x, y[, z], 1)`` for the
        normalised coordinates of every output pixel, ``x`` first.
    """
    align_corners = _default_align_corners(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) not in (4, 5):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    k = len(size) - 2
    if theta.ndim != 3 or theta.shape[-2] != k or theta.shape[-1] != k + 1:
        raise ValueError(
            f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size {size}. "
            f"Got {theta.shape}."
        )
    spatial = [int(s) for s in size[2:]]
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an issue for standard usage, since the default "
            "align_corners=False. See the documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
            f"{k + 1}] but got: [{theta.shape[0]}, {k + 1}]."
        )
    coords = np.meshgrid(
        *(_linspace_from_neg_one(s, align_corners) for s in spatial), indexing="ij"
    )
    base = np.stack([*coords[::-1], np.ones(spatial)], axis=-1).reshape(1, -1, k + 1)
    xp = backend.array_module(theta._data)
    base = Tensor._make(xp.asarray(base, dtype=theta.dtype.np))
    grid = base.matmul(theta.transpose(1, 2))
    return grid.reshape(size[0], *spatial, k)


def _unnormalize(coord, size, align_corners):
    """Grid coordinates in [-1, 1] as pixel coordinates of an axis of ``size`` pixels."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """``coord`` mirrored at ``low`` and ``high`` (given doubled, to stay integers) until it
    lies between them."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - low).abs()
    extra = c.remainder(span)
    flips = (c.detach() / span).floor()
    return where(flips.remainder(2) == 0, extra + low, span - extra + low)


def _source_coordinate(coord, size, padding_mode, align_corners):
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
    if padding_mode != "zeros":
        coord = coord.clamp(0, size - 1)
    return coord


class _ZeroGradient(Function):
    """``y = x``, with ``other`` as a second input whose gradient is zero: the grid of nearest
    sampling, which torch keeps in the graph with a zero gradient."""

    @staticmethod
    def forward(ctx, x, other):
        ctx.shape = other.shape
        return x

    @staticmethod
    def backward(ctx, gy):
        return gy, gy.new_zeros(ctx.shape)


def _padded_index(xp, position, size):
    """Integer pixel ``position`` (a float array) as an index into the axis padded by one zero
    on each side: anything outside the input reads a zero."""
    with quiet():  # NaN positions become some integer, then a zero pixel
        index = xp.clip(position, -1, size).astype(np.int64)
    return xp.clip(index, -1, size) + 1


def _check_grid_sample(input, grid, mode):
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim != grid.ndim or input.ndim not in (4, 5):
        raise RuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got {sizes}"
        )
    if input.ndim == 5 or mode == "bicubic":
        raise NotImplementedError(
            "grid_sample(): ember supports 4-D input with mode 'bilinear' or 'nearest'"
        )
    if input.dtype != grid.dtype:
        raise RuntimeError(
            "grid_sampler(): expected input and grid to have same dtype, but input has "
            f"{input.dtype} and grid has {grid.dtype}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}"
        )
    if grid.shape[-1] != 2:
        raise RuntimeError(
            "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with "
            f"sizes {list(grid.shape)}"
        )
    for d in (2, 3):
        if input.shape[d] == 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                f"has sizes {list(input.shape)} with dimension {d} being empty"
            )


@autocast_op("grid_sampler")
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the points of ``grid``.

    Args:
        input: ``(N, C, H, W)``.
        grid: ``(N, H_out, W_out, 2)``, each point ``(x, y)`` in normalised coordinates: -1 and
            1 are the left/top and right/bottom pixel centres (``align_corners=True``) or
            outer edges (``False``).
        mode: ``'bilinear'`` or ``'nearest'`` (rounding half to even). ``'bicubic'`` and 5-d
            input are not supported.
        padding_mode: what points outside the input read: ``'zeros'``, ``'border'`` (the edge
            pixels) or ``'reflection'`` (the input mirrored at its border).
        align_corners: see ``grid``. Leaving it None warns and means ``False``, as in torch.

    Returns:
        ``(N, C, H_out, W_out)``. Bilinear sampling is differentiable w.r.t. ``input`` and
        ``grid``; nearest sampling gives the grid a zero gradient.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    align_corners = _default_align_corners(align_corners)
    _check_grid_sample(input, grid, mode)
    n, c, h, w = input.shape
    out_h, out_w = grid.shape[1:3]
    ix = _source_coordinate(grid[..., 0], w, padding_mode, align_corners)
    iy = _source_coordinate(grid[..., 1], h, padding_mode, align_corners)
    xp = backend.array_module(input._data)
    if mode == "nearest":
        corners = [(xp.rint(iy._data), xp.rint(ix._data))]
        weights = None
    else:
        x0, y0 = xp.floor(ix._data), xp.floor(iy._data)
        wx, wy = ix - Tensor._make(x0), iy - Tensor._make(y0)
        corners = [(y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)]
        weights = stack([(1 - wy) * (1 - wx), (1 - wy) * wx, wy * (1 - wx), wy * wx], 1)
    index = xp.stack(
        [_padded_index(xp, y, h) * (w + 2) + _padded_index(xp, x, w) for y, x in corners], 1
    )
    taps = len(corners)
    index = xp.broadcast_to(index.reshape(n, 1, -1), (n, c, taps * out_h * out_w))
    padded = pad(input, (1, 1, 1, 1)).reshape(n, c, (h + 2) * (w + 2))
    values = Gather.apply(padded, 2, index).reshape(n, c, taps, out_h, out_w)
    if weights is None:
        return _ZeroGradient.apply(values.reshape(n, c, out_h, out_w), grid)
    return (values * weights.unsqueeze(1)).sum(2)
