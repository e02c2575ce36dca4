"""Anchor generators (torchvision's ``models/detection/anchor_utils.py``): the anchors of the
R-CNN region proposal network and the default boxes of SSD, for a set of feature maps."""

from __future__ import annotations

import math

import ember
from ember import nn

__all__ = ["AnchorGenerator", "DefaultBoxGenerator"]


class AnchorGenerator(nn.Module):
    """Module that generates anchors for a set of feature maps and image sizes.

    The module supports computing anchors at multiple sizes and aspect ratios per feature map.
    This module assumes aspect ratio = height / width for each anchor.

    sizes and aspect_ratios should have the same number of elements, and it should correspond
    to the number of feature maps.

    sizes[i] and aspect_ratios[i] can have an arbitrary number of elements, and
    AnchorGenerator will output a set of sizes[i] * aspect_ratios[i] anchors per spatial
    location for feature map i.

    Args:
        sizes (Tuple[Tuple[int]]):
        aspect_ratios (Tuple[Tuple[float]]):
    """

    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)):
        super().__init__()

        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)

        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [
            self.generate_anchors(size, aspect_ratio)
            for size, aspect_ratio in zip(sizes, aspect_ratios)
        ]

    def generate_anchors(self, scales, aspect_ratios, dtype=ember.float32, device="cpu"):
        """For every (aspect_ratio, scale) pair, a zero-centred anchor
        ``round([-w, -h, w, h] / 2)`` with ``h = scale * sqrt(ratio)``, ``w = scale /
        sqrt(ratio)``, ratio-major: ``Tensor[len(aspect_ratios) * len(scales), 4]``."""
        scales = ember.as_tensor(scales, dtype=dtype, device=device)
        aspect_ratios = ember.as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = ember.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios

        ws = (w_ratios[:, None] * scales[None, :]).view(-1)
        hs = (h_ratios[:, None] * scales[None, :]).view(-1)

        base_anchors = ember.stack([-ws, -hs, ws, hs], dim=1) / 2
        return base_anchors.round()

    def set_cell_anchors(self, dtype, device):
        self.cell_anchors = [
            cell_anchor.to(dtype=dtype, device=device) for cell_anchor in self.cell_anchors
        ]

    def num_anchors_per_location(self):
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def grid_anchors(self, grid_sizes, strides):
        """For every feature map, its cell anchors shifted to every location of its grid:
        ``Tensor[H * W * A, 4]``, location-major (row by row), ``A`` anchors per location.

        Args:
            grid_sizes (list[list[int]]): ``(height, width)`` of each feature map.
            strides (list[list[int]]): ``(stride_height, stride_width)`` of each, in pixels.
        """
        anchors = []
        cell_anchors = self.cell_anchors
        if not len(grid_sizes) == len(strides) == len(cell_anchors):
            raise ValueError(
                "Anchors should be Tuple[Tuple[int]] because each feature "
                "map could potentially have different sizes and aspect ratios. "
                "There needs to be a match between the number of "
                "feature maps passed and the number of sizes / aspect ratios specified."
            )

        for size, stride, base_anchors in zip(grid_sizes, strides, cell_anchors):
            grid_height, grid_width = size
            stride_height, stride_width = stride
            device = base_anchors.device

            # For output anchor, compute [x_center, y_center, x_center, y_center]
            shifts_x = ember.arange(0, grid_width, dtype=ember.int32, device=device) * stride_width
            shifts_y = (
                ember.arange(0, grid_height, dtype=ember.int32, device=device) * stride_height
            )
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x = shift_x.reshape(-1)
            shift_y = shift_y.reshape(-1)
            shifts = ember.stack((shift_x, shift_y, shift_x, shift_y), dim=1)

            # For every (base anchor, output anchor) pair,
            # offset each zero-centered base anchor by the center of the output anchor.
            anchors.append((shifts.view(-1, 1, 4) + base_anchors.view(1, -1, 4)).reshape(-1, 4))

        return anchors

    def forward(self, image_list, feature_maps):
        """The anchors of every image of ``image_list`` (an :class:`ImageList`): a list with one
        ``Tensor[sum(H_i * W_i * A_i), 4]`` per image, the feature maps' anchors concatenated.
        Each map's stride is the padded batch size over its size (integer division)."""
        grid_sizes = [feature_map.shape[-2:] for feature_map in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        strides = [[image_size[0] // g[0], image_size[1] // g[1]] for g in grid_sizes]
        self.set_cell_anchors(dtype, device)
        anchors_over_all_feature_maps = self.grid_anchors(grid_sizes, strides)
        return [ember.cat(anchors_over_all_feature_maps) for _ in image_list.image_sizes]


class DefaultBoxGenerator(nn.Module):
    """This module generates the default boxes of SSD for a set of feature maps and image
    sizes.

    Args:
        aspect_ratios (List[List[int]]): A list with all the aspect ratios used in each feature
            map.
        min_ratio (float): The minimum scale :math:`\\text{s}_{\\text{min}}` of the default
            boxes used in the estimation of the scales of each feature map. It is used only if
            the ``scales`` parameter is not provided.
        max_ratio (float): The maximum scale :math:`\\text{s}_{\\text{max}}` of the default
            boxes used in the estimation of the scales of each feature map. It is used only if
            the ``scales`` parameter is not provided.
        scales (List[float]], optional): The scales of the default boxes. If not provided it
            will be estimated using the ``min_ratio`` and ``max_ratio`` parameters.
        steps (List[int]], optional): It's a hyper-parameter that affects the tiling of default
            boxes. If not provided it will be estimated from the data.
        clip (bool): Whether the standardized values of default boxes should be clipped between
            0 and 1. The clipping is applied while the boxes are encoded in format
            ``(cx, cy, w, h)``.
    """

    def __init__(
        self, aspect_ratios, min_ratio=0.15, max_ratio=0.9, scales=None, steps=None, clip=True
    ):
        super().__init__()
        if steps is not None and len(aspect_ratios) != len(steps):
            raise ValueError("aspect_ratios and steps should have the same length")
        self.aspect_ratios = aspect_ratios
        self.steps = steps
        self.clip = clip
        num_outputs = len(aspect_ratios)

        # Estimation of default boxes scales
        if scales is None:
            if num_outputs > 1:
                range_ratio = max_ratio - min_ratio
                self.scales = [
                    min_ratio + range_ratio * k / (num_outputs - 1.0) for k in range(num_outputs)
                ]
                self.scales.append(1.0)
            else:
                self.scales = [min_ratio, max_ratio]
        else:
            self.scales = scales

        self._wh_pairs = self._generate_wh_pairs(num_outputs)

    def _generate_wh_pairs(self, num_outputs, dtype=ember.float32, device="cpu"):
        _wh_pairs = []
        for k in range(num_outputs):
            # Adding the 2 default width-height pairs for aspect ratio 1 and scale s'k
            s_k = self.scales[k]
            s_prime_k = math.sqrt(self.scales[k] * self.scales[k + 1])
            wh_pairs = [[s_k, s_k], [s_prime_k, s_prime_k]]

            # Adding 2 pairs for each aspect ratio of the feature map k
            for ar in self.aspect_ratios[k]:
                sq_ar = math.sqrt(ar)
                w = self.scales[k] * sq_ar
                h = self.scales[k] / sq_ar
                wh_pairs.extend([[w, h], [h, w]])

            _wh_pairs.append(ember.as_tensor(wh_pairs, dtype=dtype, device=device))
        return _wh_pairs

    def num_anchors_per_location(self):
        # 2 default boxes + 2 per aspect ratio of the feature map
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def _grid_default_boxes(self, grid_sizes, image_size, dtype=ember.float32):
        """The ``(cx, cy, w, h)`` default boxes of every map, relative to the image (page 6 of
        the SSD paper), concatenated."""
        default_boxes = []
        for k, f_k in enumerate(grid_sizes):
            # Now add the default boxes for each width-height pair
            if self.steps is not None:
                x_f_k = image_size[1] / self.steps[k]
                y_f_k = image_size[0] / self.steps[k]
            else:
                y_f_k, x_f_k = f_k

            shifts_x = ((ember.arange(0, f_k[1]) + 0.5) / x_f_k).to(dtype=dtype)
            shifts_y = ((ember.arange(0, f_k[0]) + 0.5) / y_f_k).to(dtype=dtype)
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x = shift_x.reshape(-1)
            shift_y = shift_y.reshape(-1)

            shifts = ember.stack((shift_x, shift_y) * len(self._wh_pairs[k]), dim=-1).reshape(-1, 2)
            # Clipping the default boxes while the boxes are encoded in format (cx, cy, w, h)
            _wh_pair = self._wh_pairs[k].clamp(min=0, max=1) if self.clip else self._wh_pairs[k]
            wh_pairs = _wh_pair.repeat((f_k[0] * f_k[1]), 1)

            default_boxes.append(ember.cat((shifts, wh_pairs), dim=1))

        return ember.cat(default_boxes, dim=0)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}("
            f"aspect_ratios={self.aspect_ratios}"
            f", clip={self.clip}"
            f", scales={self.scales}"
            f", steps={self.steps}"
            ")"
        )

    def forward(self, image_list, feature_maps):
        """The default boxes in ``(x1, y1, x2, y2)`` pixels of the padded batch, one
        ``Tensor[sum(H_k * W_k * A_k), 4]`` per image."""
        grid_sizes = [feature_map.shape[-2:] for feature_map in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        default_boxes = self._grid_default_boxes(grid_sizes, image_size, dtype=dtype)
        default_boxes = default_boxes.to(device)

        x_y_size = ember.tensor([image_size[1], image_size[0]], device=default_boxes.device)
        dboxes_in_image = ember.cat(
            [
                (default_boxes[:, :2] - 0.5 * default_boxes[:, 2:]) * x_y_size,
                (default_boxes[:, :2] + 0.5 * default_boxes[:, 2:]) * x_y_size,
            ],
            -1,
        )
        return [dboxes_in_image.clone() for _ in image_list.image_sizes]
