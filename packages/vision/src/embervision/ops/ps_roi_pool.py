"""Position-sensitive RoI Pool (R-FCN): the mean of each bin of a roi snapped to the pixel grid,
where output channel ``c`` of bin ``(i, j)`` reads only input channel ``(c * PH + i) * PW + j``.

The bins are roi_pool's (:mod:`.roi_pool`, with the roi size ``end - start`` instead of
``end - start + 1``). Every (bin, pixel) pair is listed at once and the forward is one gather
and one ``index_add`` on the regrouped input of :mod:`.ps_roi_align`; the backward is the same
scatter the other way.

torchvision's CPU kernel clips the forward's bins to ``[0, H - 1]`` and the backward's to
``[0, H]`` (likewise for ``W``): the last row and column of the map never reach the output,
yet receive gradient from bins that touch them. Ember keeps both, so the gradient is
torchvision's, not the derivative of the forward, for boxes that reach the map's last row or
column.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import nn

from ._utils import _on_device, _pair, _rois_on_host
from .ps_roi_align import _bin_images, _regroup
from .roi_align import _ragged_arange
from .roi_pool import _bin_edges, _round_half_away

__all__ = ["ps_roi_pool", "PSRoIPool"]


def _ps_roi_pool_plan(rois, height, width, pooled_h, pooled_w, spatial_scale, clip_h, clip_w):
    """Every (bin, pixel) pair of ps_roi_pool with the bins clipped to ``[0, clip_h]`` and
    ``[0, clip_w]``: the pixel's row in the regrouped input seen as ``(N * PH * PW * H * W,
    C / (PH * PW))``, its bin, and each bin's area (1 for an empty bin, whose sum is 0)."""
    dtype = rois.dtype
    scale = dtype.type(spatial_scale)
    start_w, start_h, end_w, end_h = (
        _round_half_away(rois[:, j] * scale).astype(np.int64) for j in range(1, 5)
    )
    # force malformed rois to be 1x1
    roi_w = np.maximum(end_w - start_w, 1)
    roi_h = np.maximum(end_h - start_h, 1)
    h_lo, h_hi = _bin_edges(start_h, roi_h, pooled_h, clip_h, dtype)  # (K, PH)
    w_lo, w_hi = _bin_edges(start_w, roi_w, pooled_w, clip_w, dtype)  # (K, PW)
    span_w = (w_hi - w_lo)[:, None, :]
    area = ((h_hi - h_lo)[:, :, None] * span_w).reshape(-1)  # (K * PH * PW)
    local, bins = _ragged_arange(area)
    k, position = np.divmod(bins, pooled_h * pooled_w)
    ph, pw = np.divmod(position, pooled_w)
    span = span_w[k, 0, pw]
    y = h_lo[k, ph] + local // span
    x = w_lo[k, pw] + local % span
    image = _bin_images(rois, bins, pooled_h, pooled_w)
    rows = (image * height + y) * width + x
    return rows, bins, np.maximum(area, 1).astype(dtype)[:, None]


class _PSRoIPool(ember.autograd.Function):
    """``y[bin] = sum of the bin's rows of x / area`` over the forward plan; the backward
    spreads each bin's gradient over the rows of the backward plan (see the module notes)."""

    @staticmethod
    def forward(ctx, x_rows, forward_plan, backward_plan, n_bins):
        rows, bins, area = forward_plan
        ctx.plan = backward_plan
        ctx.n_rows = x_rows.shape[0]
        out = ember.index_add(x_rows.new_zeros((n_bins, x_rows.shape[1])), 0, bins, x_rows[rows])
        return out / area

    @staticmethod
    def backward(ctx, gy):
        rows, bins, area = ctx.plan
        g = (gy / area)[bins]
        gx = ember.index_add(gy.new_zeros((ctx.n_rows, gy.shape[1])), 0, rows, g)
        return gx, None, None, None


def ps_roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """Performs Position-Sensitive Region of Interest (RoI) Pool operator described in R-FCN

    Args:
        input (Tensor[N, C, H, W]): The input tensor, i.e. a batch with ``N`` elements. Each
            element contains ``C`` feature maps of dimensions ``H x W``.
        boxes (Tensor[K, 5] or List[Tensor[L, 4]]): the box coordinates in (x1, y1, x2, y2)
            format, with the batch index first, or one tensor per image; see
            :func:`roi_align`.
        output_size (int or Tuple[int, int]): the size of the output (in bins or pixels) after
            the pooling is performed, as (height, width).
        spatial_scale (float): a scaling factor that maps the box coordinates to the input
            coordinates (0.5 for boxes on a 224x224 image and a 112x112 feature map).
            Default: 1.0

    Returns:
        Tensor[K, C / (output_size[0] * output_size[1]), output_size[0], output_size[1]]: The
        pooled RoIs. The last row and column of the map never enter a bin, as in
        torchvision's kernel (see the module notes).
    """
    rois = _rois_on_host(input, boxes, "ps_roi_pool")
    pooled_h, pooled_w = _pair(output_size)
    grouped = _regroup(input, pooled_h, pooled_w)
    h, w = input.shape[2:]
    plans = [
        _ps_roi_pool_plan(rois, h, w, pooled_h, pooled_w, spatial_scale, clip_h, clip_w)
        for clip_h, clip_w in ((h - 1, w - 1), (h, w))
    ]
    plans = [tuple(_on_device(a, input) for a in plan) for plan in plans]
    x_rows = grouped.permute(0, 2, 3, 1).reshape(-1, grouped.shape[1])
    k = rois.shape[0]
    out = _PSRoIPool.apply(x_rows, *plans, k * pooled_h * pooled_w)
    return out.reshape(k, pooled_h, pooled_w, grouped.shape[1]).permute(0, 3, 1, 2).contiguous()


class PSRoIPool(nn.Module):
    """See :func:`ps_roi_pool`."""

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale})"
        )
