"""Multi-scale RoI Align (``torchvision.ops.poolers``): each box is pooled with
:func:`roi_align` from the pyramid level that the FPN paper's heuristic (eq. 1) assigns to its
size, with each level's scale inferred from its feature map and the image sizes."""

from __future__ import annotations

import ember
from ember import nn

from ._utils import convert_boxes_to_roi_format
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["MultiScaleRoIAlign", "LevelMapper", "initLevelMapper"]


def initLevelMapper(k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
    """A :class:`LevelMapper` with these arguments."""
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


class LevelMapper:
    """Determine which FPN level each RoI in a set of RoIs should map to based on the
    heuristic in the FPN paper: ``floor(canonical_level + log2(sqrt(area) /
    canonical_scale) + eps)``, clamped to ``[k_min, k_max]``, minus ``k_min``.

    Args:
        k_min (int): the finest level.
        k_max (int): the coarsest level.
        canonical_scale (int): the box size mapped to ``canonical_level``. Default: 224.
        canonical_level (int): Default: 4.
        eps (float): Default: 1e-6.
    """

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists):
        """
        Args:
            boxlists (list[Tensor[N, 4]]): the boxes of each image, ``(x1, y1, x2, y2)``.

        Returns:
            Tensor[K]: the level index (int64, from 0) of every box, images concatenated.
        """
        s = ember.sqrt(ember.cat([box_area(boxlist) for boxlist in boxlists]))
        # Eqn.(1) in FPN paper
        target_lvls = ember.floor(
            self.lvl0 + ember.log2(s / self.s0) + ember.tensor(self.eps, dtype=s.dtype)
        )
        target_lvls = ember.clamp(target_lvls, min=self.k_min, max=self.k_max)
        return (target_lvls.to(ember.int64) - self.k_min).to(ember.int64)


def _infer_scale(feature, original_size):
    """The power of two closest (in float32 log2, rounded half to even) to the ratio of the
    feature map's height to the image's: the scale of a level is assumed ``2 ** -k``."""
    size = feature.shape[-2:]
    possible_scales = []
    for s1, s2 in zip(size, original_size):
        approx_scale = float(s1) / float(s2)
        scale = 2 ** float(ember.tensor(approx_scale).log2().round())
        possible_scales.append(scale)
    return possible_scales[0]


def _setup_scales(features, image_shapes, canonical_scale, canonical_level):
    """The scale of every feature map against the largest image, and the :class:`LevelMapper`
    from the finest level (``-log2`` of the first map's scale) to the coarsest (the last's)."""
    if not image_shapes:
        raise ValueError("images list should not be empty")
    max_x = 0
    max_y = 0
    for shape in image_shapes:
        max_x = max(shape[0], max_x)
        max_y = max(shape[1], max_y)
    original_input_shape = (max_x, max_y)

    scales = [_infer_scale(feat, original_input_shape) for feat in features]
    # the network downsamples by a factor of 2 at each level
    lvl_min = -ember.log2(ember.tensor(scales[0], dtype=ember.float32)).item()
    lvl_max = -ember.log2(ember.tensor(scales[-1], dtype=ember.float32)).item()
    map_levels = initLevelMapper(
        int(lvl_min),
        int(lvl_max),
        canonical_scale=canonical_scale,
        canonical_level=canonical_level,
    )
    return scales, map_levels


def _filter_input(x, featmap_names):
    """The feature maps of ``x`` named in ``featmap_names``, in ``x``'s order."""
    return [v for k, v in x.items() if k in featmap_names]


def _multiscale_roi_align(x_filtered, boxes, output_size, sampling_ratio, scales, mapper):
    """
    Args:
        x_filtered (List[Tensor]): List of input tensors.
        boxes (List[Tensor[N, 4]]): boxes to be used to perform the pooling operation, in
            (x1, y1, x2, y2) format and in the image reference size, not the feature map
            reference. The coordinate must satisfy ``0 <= x1 < x2`` and ``0 <= y1 < y2``.
        output_size (Union[List[Tuple[int, int]], List[int]]): size of the output
        sampling_ratio (int): sampling ratio for ROIAlign
        scales (Optional[List[float]]): the scale of each level.
        mapper (Optional[LevelMapper]): the level of each box.

    Returns:
        result (Tensor)
    """
    if scales is None or mapper is None:
        raise ValueError("scales and mapper should not be None")

    rois = convert_boxes_to_roi_format(boxes)
    if len(x_filtered) == 1:
        return roi_align(
            x_filtered[0],
            rois,
            output_size=output_size,
            spatial_scale=scales[0],
            sampling_ratio=sampling_ratio,
        )

    levels = mapper(boxes)
    first = x_filtered[0]
    result = ember.zeros(
        (len(rois), first.shape[1]) + tuple(output_size), dtype=first.dtype, device=first.device
    )
    for level, (per_level_feature, scale) in enumerate(zip(x_filtered, scales)):
        idx_in_level = ember.where(levels == level)[0]
        result_idx_in_level = roi_align(
            per_level_feature,
            rois[idx_in_level],
            output_size=output_size,
            spatial_scale=scale,
            sampling_ratio=sampling_ratio,
        )
        # the levels' dtypes may differ (autocast): the result keeps the first level's
        result[idx_in_level] = result_idx_in_level.to(result.dtype)
    return result


class MultiScaleRoIAlign(nn.Module):
    """Multi-scale RoIAlign pooling, which is useful for detection with or without FPN.

    It infers the scale of the pooling via the heuristics specified in eq. 1 of the `Feature
    Pyramid Network paper <https://arxiv.org/abs/1612.03144>`_. The keyword-only parameters
    ``canonical_scale`` and ``canonical_level`` correspond respectively to ``224`` and ``k0=4``
    in eq. 1, and have the following meaning: ``canonical_level`` is the target level of the
    pyramid from which to pool a region of interest with ``w x h = canonical_scale x
    canonical_scale``. The scales are inferred on the first call and kept.

    Args:
        featmap_names (List[str]): the names of the feature maps that will be used for the
            pooling.
        output_size (List[Tuple[int, int]] or List[int]): output size for the pooled region
        sampling_ratio (int): sampling ratio for ROIAlign
        canonical_scale (int, optional): canonical_scale for LevelMapper
        canonical_level (int, optional): canonical_level for LevelMapper

    Example::

        >>> m = embervision.ops.MultiScaleRoIAlign(['feat1', 'feat3'], 3, 2)
        >>> i = OrderedDict()
        >>> i['feat1'] = ember.rand(1, 5, 64, 64)
        >>> i['feat2'] = ember.rand(1, 5, 32, 32)  # this feature won't be used in the pooling
        >>> i['feat3'] = ember.rand(1, 5, 16, 16)
        >>> boxes = ember.rand(6, 4) * 256; boxes[:, 2:] += boxes[:, :2]
        >>> m(i, [boxes], [(512, 512)]).shape  # image sizes before the backbone
        ember.Size([6, 5, 3, 3])
    """

    def __init__(
        self, featmap_names, output_size, sampling_ratio, *, canonical_scale=224, canonical_level=4
    ):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x, boxes, image_shapes):
        """
        Args:
            x (OrderedDict[Tensor]): feature maps for each level. They are assumed to have all
                the same number of channels, but they can have different sizes.
            boxes (List[Tensor[N, 4]]): boxes to be used to perform the pooling operation, in
                (x1, y1, x2, y2) format and in the image reference size, not the feature map
                reference. The coordinate must satisfy ``0 <= x1 < x2`` and ``0 <= y1 < y2``.
            image_shapes (List[Tuple[height, width]]): the sizes of each image before they
                have been fed to a CNN to obtain feature maps. This allows us to infer the
                scale factor for each one of the levels to be pooled.

        Returns:
            result (Tensor)
        """
        x_filtered = _filter_input(x, self.featmap_names)
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(
                x_filtered, image_shapes, self.canonical_scale, self.canonical_level
            )
        return _multiscale_roi_align(
            x_filtered,
            boxes,
            self.output_size,
            self.sampling_ratio,
            self.scales,
            self.map_levels,
        )

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
            f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})"
        )
