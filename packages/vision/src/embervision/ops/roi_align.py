"""RoI Align (Mask R-CNN): average of bilinear samples on a regular grid in each bin.

The sampling plan (every sample point's four neighbour pixels and bilinear weights) is built
at once for all rois and bins, on the host in the input's dtype with the arithmetic of
torchvision's CPU kernel; the forward is then four gathers, a weighted sum and one
``index_add`` into the bins, and the backward is the adjoint: the bins' gradients scattered
back to the four neighbours with the same weights. Both are ember operations, so gradients of
gradients come free (roi_align is linear in ``input``).
"""

from __future__ import annotations

import numpy as np

import ember
from ember import nn

from ._utils import _on_device, _pair, _rois_on_host

__all__ = ["roi_align", "RoIAlign"]


def _ragged_arange(sizes):
    """``concatenate([arange(s) for s in sizes])`` and, for each element, its group."""
    sizes = np.maximum(sizes, 0)
    group = np.repeat(np.arange(sizes.size), sizes)
    starts = np.cumsum(sizes) - sizes
    return np.arange(group.size) - starts[group], group


def _axis_samples(start, bin_size, grid, pooled, size):
    """Sample coordinates along one axis, for each roi ``pooled * grid`` of them (bin-major),
    as the kernel computes them; then the two neighbour pixels, the weight of the far one, and
    whether the sample lies within one pixel of the map."""
    dtype = start.dtype
    local, roi = _ragged_arange(pooled * grid)
    g = grid[roi]
    p, i = local // g, local % g
    # start + p * bin + ((i + 0.5) * bin) / grid, evaluated left to right in the input's dtype
    bin_size = bin_size[roi]
    c = start[roi] + p.astype(dtype) * bin_size
    c = c + (i.astype(dtype) + dtype.type(0.5)) * bin_size / g.astype(dtype)
    valid = (c >= -1.0) & (c <= size)
    c = np.maximum(c, 0)
    low = c.astype(np.int64)
    edge = low >= size - 1
    low = np.where(edge, size - 1, low)
    high = np.where(edge, size - 1, low + 1)
    c = np.where(edge, low.astype(dtype), c)
    frac = c - low.astype(dtype)
    return low, high, frac, valid, roi, p, i


def _roi_align_plan(rois, height, width, pooled_h, pooled_w, spatial_scale, sampling, aligned):
    """Every (roi, bin, sample) of roi_align: its four neighbour rows in the input seen as
    ``(N * H * W, C)``, their weights, its bin, and each bin's sample count."""
    dtype = rois.dtype
    k = rois.shape[0]
    batch = rois[:, 0].astype(np.int64)
    offset = dtype.type(0.5 if aligned else 0.0)
    scale = dtype.type(spatial_scale)
    start_w, start_h, end_w, end_h = (rois[:, j] * scale - offset for j in range(1, 5))
    roi_w = end_w - start_w
    roi_h = end_h - start_h
    if not aligned:  # force malformed rois to be 1x1
        roi_w = np.maximum(roi_w, dtype.type(1))
        roi_h = np.maximum(roi_h, dtype.type(1))
    bin_h = roi_h / dtype.type(pooled_h)
    bin_w = roi_w / dtype.type(pooled_w)
    if sampling > 0:
        grid_h = np.full(k, sampling, dtype=np.int64)
        grid_w = np.full(k, sampling, dtype=np.int64)
    else:  # adaptive: about one sample per input pixel; none for an empty roi (aligned)
        grid_h = np.maximum(np.ceil(roi_h / dtype.type(pooled_h)), 0).astype(np.int64)
        grid_w = np.maximum(np.ceil(roi_w / dtype.type(pooled_w)), 0).astype(np.int64)
    ys = _axis_samples(start_h, bin_h, grid_h, pooled_h, height)
    xs = _axis_samples(start_w, bin_w, grid_w, pooled_w, width)

    # all (roi, ph, pw, iy, ix) in the kernel's order, so the bins sum in its order
    local, roi = _ragged_arange(pooled_h * pooled_w * grid_h * grid_w)
    gh, gw = grid_h[roi], grid_w[roi]
    ix = local % gw
    rest = local // gw
    iy = rest % gh
    rest = rest // gh
    pw = rest % pooled_w
    ph = rest // pooled_w
    y_at = (np.cumsum(pooled_h * grid_h) - pooled_h * grid_h)[roi] + ph * gh + iy
    x_at = (np.cumsum(pooled_w * grid_w) - pooled_w * grid_w)[roi] + pw * gw + ix
    y_low, y_high, ly, y_valid = (a[y_at] for a in ys[:4])
    x_low, x_high, lx, x_valid = (a[x_at] for a in xs[:4])
    # samples more than a pixel outside the map add nothing (the kernel's zero weights)
    keep = y_valid & x_valid
    base = batch[roi] * (height * width)
    rows = np.stack(
        [base + y_low * width + x_low, base + y_low * width + x_high]
        + [base + y_high * width + x_low, base + y_high * width + x_high],
        axis=1,
    )[keep]
    hy, hx = 1 - ly, 1 - lx
    weights = np.stack([hy * hx, hy * lx, ly * hx, ly * lx], axis=1)[keep]
    bins = (roi * (pooled_h * pooled_w) + ph * pooled_w + pw)[keep]
    count = np.maximum(grid_h * grid_w, 1).astype(dtype)
    count = np.repeat(count, pooled_h * pooled_w)[:, None]
    return rows, weights, bins, count


class _RoIAlign(ember.autograd.Function):
    """``y[bin] = sum over the bin's samples of the bilinear mix of four pixels / count``, on
    ``x`` seen as ``(N * H * W, C)`` rows; the backward scatters the bins' gradients back with
    the same weights (the kernel's adjoint), written in ember operations."""

    @staticmethod
    def forward(ctx, x, plan):
        rows, weights, bins, count, n_bins = plan
        ctx.plan = plan
        ctx.shape = tuple(x.shape)
        n, c, h, w = x.shape
        x_rows = x.permute(0, 2, 3, 1).reshape(n * h * w, c)
        samples = weights[:, 0:1] * x_rows[rows[:, 0]]
        for t in range(1, 4):
            samples = samples + weights[:, t : t + 1] * x_rows[rows[:, t]]
        out = ember.index_add(x_rows.new_zeros((n_bins, c)), 0, bins, samples)
        return out / count

    @staticmethod
    def backward(ctx, gy):
        rows, weights, bins, count, _ = ctx.plan
        n, c, h, w = ctx.shape
        g = gy[bins]
        # one row per (sample, neighbour), in the kernel's order of accumulation
        taps = ((g.unsqueeze(1) * weights.unsqueeze(2)) / count[bins].unsqueeze(1)).reshape(-1, c)
        gx_rows = ember.index_add(gy.new_zeros((n * h * w, c)), 0, rows.reshape(-1), taps)
        return gx_rows.reshape(n, h, w, c).permute(0, 3, 1, 2), None


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """Performs Region of Interest (RoI) Align operator with average pooling, as described in
    Mask R-CNN.

    Args:
        input (Tensor[N, C, H, W]): The input tensor, i.e. a batch with ``N`` elements. Each
            element contains ``C`` feature maps of dimensions ``H x W``.
        boxes (Tensor[K, 5] or List[Tensor[L, 4]]): the box coordinates in (x1, y1, x2, y2)
            format where the regions will be taken from. The coordinate must satisfy
            ``0 <= x1 < x2`` and ``0 <= y1 < y2``. If a single Tensor is passed, then the
            first column should contain the index of the corresponding element in the batch,
            i.e. a number in ``[0, N - 1]``. If a list of Tensors is passed, then each Tensor
            will correspond to the boxes for an element i in the batch.
        output_size (int or Tuple[int, int]): the size of the output (in bins or pixels) after
            the pooling is performed, as (height, width).
        spatial_scale (float): a scaling factor that maps the box coordinates to the input
            coordinates. For example, if your boxes are defined on the scale of a 224x224 image
            and your input is a 112x112 feature map (resulting from a 0.5x scaling of the
            original image), you'll want to set this to 0.5. Default: 1.0
        sampling_ratio (int): number of sampling points in the interpolation grid used to
            compute the output value of each pooled output bin. If > 0, then exactly
            ``sampling_ratio x sampling_ratio`` sampling points per bin are used. If <= 0, then
            an adaptive number of grid points are used (computed as
            ``ceil(roi_width / output_width)``, and likewise for height). Default: -1
        aligned (bool): If False, use the legacy implementation. If True, pixel shift the box
            coordinates it by -0.5 for a better alignment with the two neighboring pixel
            indices. This version is used in Detectron2

    Returns:
        Tensor[K, C, output_size[0], output_size[1]]: The pooled RoIs. Differentiable with
        respect to ``input`` (not ``boxes``).
    """
    rois = _rois_on_host(input, boxes, "roi_align")
    pooled_h, pooled_w = _pair(output_size)
    c, h, w = input.shape[1:]
    rows, weights, bins, count = _roi_align_plan(
        rois, h, w, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned
    )
    k = rois.shape[0]
    plan = (
        _on_device(rows, input),
        _on_device(weights, input),
        _on_device(bins, input),
        _on_device(count, input),
        k * pooled_h * pooled_w,
    )
    out = _RoIAlign.apply(input, plan)
    return out.reshape(k, pooled_h, pooled_w, c).permute(0, 3, 1, 2).contiguous()


class RoIAlign(nn.Module):
    """See :func:`roi_align`."""

    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input, rois):
        return roi_align(
            input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned
        )

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
            f"aligned={self.aligned})"
        )
