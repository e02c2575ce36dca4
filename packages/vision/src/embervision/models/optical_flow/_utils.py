"""Helpers of the optical flow models (torchvision's ``models/optical_flow/_utils.py``)."""

from __future__ import annotations

import ember
from ember.nn import functional as F


def grid_sample(img, absolute_grid, mode="bilinear", align_corners=None):
    """Same as torch's grid_sample, with absolute pixel coordinates instead of normalized
    coordinates.

    Args:
        img (Tensor): ``(N, C, H, W)``.
        absolute_grid (Tensor): ``(N, H_out, W_out, 2)``, each point ``(x, y)`` in pixels.
        mode (str): ``'bilinear'`` or ``'nearest'``. Default: ``'bilinear'``.
        align_corners (bool, optional): as in ``grid_sample``; pixel coordinates map onto
            normalised ones as with ``align_corners=True``.

    Returns:
        Tensor: ``(N, C, H_out, W_out)``.
    """
    h, w = img.shape[-2:]

    xgrid, ygrid = absolute_grid.split([1, 1], dim=-1)
    xgrid = 2 * xgrid / (w - 1) - 1
    # Adding condition if h > 1 to enable this function be reused in raft-stereo
    if h > 1:
        ygrid = 2 * ygrid / (h - 1) - 1
    normalized_grid = ember.cat([xgrid, ygrid], dim=-1)

    return F.grid_sample(img, normalized_grid, mode=mode, align_corners=align_corners)


def make_coords_grid(batch_size, h, w, device="cpu"):
    """``(batch_size, 2, h, w)`` float32: the ``(x, y)`` pixel coordinates of every pixel."""
    device = ember.device(device)
    coords = ember.meshgrid(
        ember.arange(h, device=device), ember.arange(w, device=device), indexing="ij"
    )
    coords = ember.stack(coords[::-1], dim=0).float()
    return coords[None].repeat(batch_size, 1, 1, 1)


def upsample_flow(flow, up_mask=None, factor=8):
    """Upsample flow by the input factor (default 8).

    If up_mask is None we just interpolate (bilinearly, ``align_corners=True``). If up_mask
    is specified, we upsample using a convex combination of its weights: each fine pixel is
    a softmax-weighted mean of the 3×3 coarse neighbours of its coarse pixel. See paper page 8
    and appendix B. The flow's values are multiplied by ``factor`` either way.

    Args:
        flow (Tensor): ``(N, C, h, w)``.
        up_mask (Tensor, optional): ``(N, 9 * factor * factor, h, w)`` mask logits.
        factor (int): the upsampling factor. Default: 8.

    Returns:
        Tensor: ``(N, C, factor * h, factor * w)``.
    """
    batch_size, num_channels, h, w = flow.shape
    new_h, new_w = h * factor, w * factor

    if up_mask is None:
        return factor * F.interpolate(
            flow, size=(new_h, new_w), mode="bilinear", align_corners=True
        )

    up_mask = up_mask.view(batch_size, 1, 9, factor, factor, h, w)
    up_mask = ember.softmax(up_mask, dim=2)  # "convex" == weights sum to 1

    upsampled_flow = F.unfold(factor * flow, kernel_size=3, padding=1).view(
        batch_size, num_channels, 9, 1, 1, h, w
    )
    upsampled_flow = ember.sum(up_mask * upsampled_flow, dim=2)

    return upsampled_flow.permute(0, 1, 4, 2, 5, 3).reshape(batch_size, num_channels, new_h, new_w)
