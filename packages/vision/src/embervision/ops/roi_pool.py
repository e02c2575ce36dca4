"""RoI Pool (Fast R-CNN): the maximum over each bin of a roi snapped to the pixel grid.

Every bin's window is gathered at once, padded to the largest window (padding reads as
``-inf``); the maximum and its first position in row-major order are those of torchvision's
CPU kernel, and the backward sends each bin's gradient to that position.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import nn

from ._utils import _on_device, _pair, _rois_on_host

__all__ = ["roi_pool", "RoIPool"]

# the kernel starts each non-empty bin's running maximum at -FLT_MAX, whatever the dtype
_FLT_MAX = float(np.finfo(np.float32).max)


def _round_half_away(x):
    """C's ``round``: halves away from zero (numpy rounds them to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _bin_edges(start, roi_size, pooled, size, dtype):
    """``(K, pooled)`` start and end of each bin along one axis, clipped to ``[0, size]``."""
    bin_size = roi_size.astype(dtype) / dtype.type(pooled)
    p = np.arange(pooled, dtype=dtype)
    lo = np.floor(p * bin_size[:, None]).astype(np.int64)
    hi = np.ceil((p + 1) * bin_size[:, None]).astype(np.int64)
    lo = np.clip(lo + start[:, None], 0, size)
    hi = np.clip(hi + start[:, None], 0, size)
    return lo, hi


def _roi_pool_plan(rois, height, width, pooled_h, pooled_w, spatial_scale):
    """For each bin, the rows of its window in the input seen as ``(N * H * W, C)`` padded to
    the largest window, and which of them lie in the window."""
    dtype = rois.dtype
    scale = dtype.type(spatial_scale)
    batch = rois[:, 0].astype(np.int64)
    start_w, start_h, end_w, end_h = (
        _round_half_away(rois[:, j] * scale).astype(np.int64) for j in range(1, 5)
    )
    # force malformed rois to be 1x1
    roi_w = np.maximum(end_w - start_w + 1, 1)
    roi_h = np.maximum(end_h - start_h + 1, 1)
    h_lo, h_hi = _bin_edges(start_h, roi_h, pooled_h, height, dtype)
    w_lo, w_hi = _bin_edges(start_w, roi_w, pooled_w, width, dtype)
    span_h = int(max((h_hi - h_lo).max(initial=0), 1))
    span_w = int(max((w_hi - w_lo).max(initial=0), 1))
    hs = h_lo[:, :, None] + np.arange(span_h)  # (K, PH, span_h)
    ws = w_lo[:, :, None] + np.arange(span_w)  # (K, PW, span_w)
    inside = (hs < h_hi[:, :, None])[:, :, None, :, None] & (ws < w_hi[:, :, None])[
        :, None, :, None, :
    ]  # (K, PH, PW, span_h, span_w)
    rows = (
        batch[:, None, None, None, None] * (height * width)
        + np.minimum(hs, height - 1)[:, :, None, :, None] * width
        + np.minimum(ws, width - 1)[:, None, :, None, :]
    )
    k = rois.shape[0]
    return rows.reshape(k * pooled_h * pooled_w, -1), inside.reshape(k * pooled_h * pooled_w, -1)


class _RoIPool(ember.autograd.Function):
    """``y[bin] = max of x over the bin's window`` (0 for an empty window); the gradient goes
    to the first maximal pixel."""

    @staticmethod
    def forward(ctx, x, rows, inside):
        n, c, h, w = x.shape
        x_rows = x.permute(0, 2, 3, 1).reshape(n * h * w, c)
        values = x_rows[rows]  # (bins, window, C)
        # outside the window and NaN never win (the kernel's `value > running max` is false)
        values = ember.where(inside.unsqueeze(2) & ~values.isnan(), values, float("-inf"))
        best, at = values.max(dim=1)
        found = best > -_FLT_MAX
        empty = ~inside.any(dim=1, keepdim=True)
        out = ember.where(found, best, ember.where(empty, 0.0, -_FLT_MAX))
        # the flat position, in (N * H * W * C), of each bin's maximum; -1 where none
        position = rows.gather(1, at) * c + ember.arange(c, device=x.device)
        ctx.argmax = ember.where(found, position, -1)
        ctx.shape = tuple(x.shape)
        return out.to(x.dtype)

    @staticmethod
    def backward(ctx, gy):
        n, c, h, w = ctx.shape
        found = ctx.argmax >= 0
        gx = ember.index_add(
            gy.new_zeros((n * h * w * c,)), 0, ctx.argmax[found], gy[found].to(gy.dtype)
        )
        return gx.reshape(n, h, w, c).permute(0, 3, 1, 2), None, None


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """Performs Region of Interest (RoI) Pool operator described in Fast R-CNN

    Args:
        input (Tensor[N, C, H, W]): The input tensor, i.e. a batch with ``N`` elements. Each
            element contains ``C`` feature maps of dimensions ``H x W``.
        boxes (Tensor[K, 5] or List[Tensor[L, 4]]): the box coordinates in (x1, y1, x2, y2)
            format, with the batch index first, or one tensor per image; see
            :func:`roi_align`.
        output_size (int or Tuple[int, int]): the size of the output after the cropping is
            performed, as (height, width)
        spatial_scale (float): a scaling factor that maps the box coordinates to the input
            coordinates (0.5 for boxes on a 224x224 image and a 112x112 feature map).
            Default: 1.0

    Returns:
        Tensor[K, C, output_size[0], output_size[1]]: The pooled RoIs.
    """
    rois = _rois_on_host(input, boxes, "roi_pool")
    pooled_h, pooled_w = _pair(output_size)
    c, h, w = input.shape[1:]
    rows, inside = _roi_pool_plan(rois, h, w, pooled_h, pooled_w, spatial_scale)
    out = _RoIPool.apply(input, _on_device(rows, input), _on_device(inside, input))
    k = rois.shape[0]
    return out.reshape(k, pooled_h, pooled_w, c).permute(0, 3, 1, 2).contiguous()


class RoIPool(nn.Module):
    """See :func:`roi_pool`."""

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale})"
        )
