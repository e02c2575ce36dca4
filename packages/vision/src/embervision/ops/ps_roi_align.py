"""Position-sensitive RoI Align (Light-Head R-CNN): roi_align, always with the half-pixel shift,
where output channel ``c`` of bin ``(i, j)`` reads only input channel ``(c * PH + i) * PW + j``.

It runs roi_align's sampling plan and Function (:mod:`.roi_align`) on the input regrouped so that
every bin position has its own image: ``(N, C, H, W)`` seen as ``(N * PH * PW, C / (PH * PW),
H, W)``, where the samples of bin ``b`` of a roi on image ``n`` read image ``n * PH * PW + b``.
"""

from __future__ import annotations

import numpy as np

from ember import nn

from ._utils import _on_device, _pair, _rois_on_host
from .roi_align import _roi_align_plan, _RoIAlign

__all__ = ["ps_roi_align", "PSRoIAlign"]


def _regroup(input, pooled_h, pooled_w):
    """``(N, C, H, W)`` as ``(N * PH * PW, C / (PH * PW), H, W)``: image ``n * PH * PW + b``
    holds the channels ``c * PH * PW + b`` of image ``n``. Raises torchvision's error where
    ``C`` is not a multiple of ``PH * PW``."""
    n, c, h, w = input.shape
    bins = pooled_h * pooled_w
    if c % bins != 0:
        raise RuntimeError("input channels must be a multiple of pooling height * pooling width")
    grouped = input.reshape(n, c // bins, bins, h, w).transpose(1, 2)
    return grouped.reshape(n * bins, c // bins, h, w)


def _bin_images(rois, bins, pooled_h, pooled_w):
    """The regrouped image (see :func:`_regroup`) that each of ``bins`` (``roi * PH * PW +
    position``) reads."""
    per_roi = pooled_h * pooled_w
    return rois[bins // per_roi, 0].astype(np.int64) * per_roi + bins % per_roi


def _count(rois, pooled_h, pooled_w, spatial_scale, sampling_ratio):
    """Samples per bin as torchvision's kernel divides by them: ``grid_h * grid_w`` without
    roi_align's floor of 1, so an empty roi's bins (adaptive sampling) are ``0 / 0``, NaN."""
    dtype = rois.dtype
    if sampling_ratio > 0:
        return np.full(len(rois), sampling_ratio * sampling_ratio, dtype=dtype)
    scale, half = dtype.type(spatial_scale), dtype.type(0.5)
    start_w, start_h, end_w, end_h = (rois[:, j] * scale - half for j in range(1, 5))
    grid_h = np.ceil((end_h - start_h) / dtype.type(pooled_h))
    grid_w = np.ceil((end_w - start_w) / dtype.type(pooled_w))
    return (grid_h * grid_w).astype(dtype)


def ps_roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1):
    """Performs Position-Sensitive Region of Interest (RoI) Align operator mentioned in
    Light-Head R-CNN.

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

    Returns:
        Tensor[K, C / (output_size[0] * output_size[1]), output_size[0], output_size[1]]: The
        pooled RoIs. Differentiable with respect to ``input``. As in torchvision, the bins of
        a box of zero width or height (with adaptive sampling) are NaN.
    """
    rois = _rois_on_host(input, boxes, "ps_roi_align")
    pooled_h, pooled_w = _pair(output_size)
    grouped = _regroup(input, pooled_h, pooled_w)
    h, w = input.shape[2:]
    rows, weights, bins, _ = _roi_align_plan(
        rois, h, w, pooled_h, pooled_w, spatial_scale, sampling_ratio, True
    )
    # each sample reads its bin's image of the regrouped input: rows of (N * PH * PW * H * W)
    batch = rois[bins // (pooled_h * pooled_w), 0].astype(np.int64)
    rows = rows + ((_bin_images(rois, bins, pooled_h, pooled_w) - batch) * (h * w))[:, None]
    k = rois.shape[0]
    count = _count(rois, pooled_h, pooled_w, spatial_scale, sampling_ratio)
    plan = (
        _on_device(rows, input),
        _on_device(weights, input),
        _on_device(bins, input),
        _on_device(np.repeat(count, pooled_h * pooled_w)[:, None], input),
        k * pooled_h * pooled_w,
    )
    out = _RoIAlign.apply(grouped, plan)
    return out.reshape(k, pooled_h, pooled_w, grouped.shape[1]).permute(0, 3, 1, 2).contiguous()


class PSRoIAlign(nn.Module):
    """See :func:`ps_roi_align`."""

    def __init__(self, output_size, spatial_scale, sampling_ratio):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input, rois):
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio})"
        )
