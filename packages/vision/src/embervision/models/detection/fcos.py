"""FCOS (Tian et al., 2019) as torchvision builds it: the anchor-free model (one point per
location), its classification and regression/centre-ness heads, and the ResNet-50-FPN
builder."""

from __future__ import annotations

import math
from functools import partial

import ember
from ember import nn
from ember.nn import functional as F

from ...ops import generalized_box_iou_loss, sigmoid_focal_loss
from .._api import _load_weights, register_model
from . import _utils as det_utils
from .anchor_utils import AnchorGenerator
from .retinanet import _resnet50_p3p7
from .rpn import permute_and_flatten
from .transform import _imagenet_transform

__all__ = ["FCOS", "fcos_resnet50_fpn"]


def _conv_tower(in_channels, num_convs, norm_layer):
    """``num_convs`` × (3×3 convolution, ``norm_layer`` (default: group norm of 32 groups),
    ReLU); the convolutions' weights N(0, 0.01²), biases 0."""
    if norm_layer is None:
        norm_layer = partial(nn.GroupNorm, 32)
    conv = []
    for _ in range(num_convs):
        conv.append(nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1))
        conv.append(norm_layer(in_channels))
        conv.append(nn.ReLU())
    conv = nn.Sequential(*conv)
    for layer in conv.children():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.constant_(layer.bias, 0)
    return conv


class FCOSHead(nn.Module):
    """A regression and classification head for use in FCOS.

    Args:
        in_channels (int): number of channels of the input feature
        num_anchors (int): number of anchors to be predicted
        num_classes (int): number of classes to be predicted
        num_convs (Optional[int]): number of conv layer of head. Default: 4.
    """

    def __init__(self, in_channels, num_anchors, num_classes, num_convs=4):
        super().__init__()
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        self.classification_head = FCOSClassificationHead(
            in_channels, num_anchors, num_classes, num_convs
        )
        self.regression_head = FCOSRegressionHead(in_channels, num_anchors, num_convs)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        """The losses over the foreground anchors (``matched_idxs >= 0``) of all images, each
        summed and divided by their number (at least 1): ``classification`` (sigmoid focal
        loss, every anchor), ``bbox_regression`` (GIoU of the decoded boxes) and
        ``bbox_ctrness`` (binary cross-entropy of the centre-ness logits against
        ``sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))`` of the ground-truth box)."""
        cls_logits = head_outputs["cls_logits"]  # [N, HWA, C]
        bbox_regression = head_outputs["bbox_regression"]  # [N, HWA, 4]
        bbox_ctrness = head_outputs["bbox_ctrness"]  # [N, HWA, 1]

        foreground = ember.stack(matched_idxs) >= 0
        num_foreground = int(foreground.sum().item())
        gt_boxes = det_utils._foreground_targets(targets, matched_idxs, "boxes")
        anchors = ember.stack(anchors)[foreground]

        # classification loss
        gt_classes_targets = ember.zeros_like(cls_logits)
        gt_classes_targets[
            foreground, det_utils._foreground_targets(targets, matched_idxs, "labels")
        ] = 1.0
        loss_cls = sigmoid_focal_loss(cls_logits, gt_classes_targets, reduction="sum")

        # regression loss: GIoU loss
        pred_boxes = self.box_coder.decode(bbox_regression[foreground], anchors)
        loss_bbox_reg = generalized_box_iou_loss(pred_boxes, gt_boxes, reduction="sum")

        # ctrness loss
        bbox_reg_targets = self.box_coder.encode(anchors, gt_boxes)
        left_right = bbox_reg_targets[:, [0, 2]]
        top_bottom = bbox_reg_targets[:, [1, 3]]
        gt_ctrness_targets = ember.sqrt(
            (left_right.min(dim=-1)[0] / left_right.max(dim=-1)[0])
            * (top_bottom.min(dim=-1)[0] / top_bottom.max(dim=-1)[0])
        )
        pred_centerness = bbox_ctrness.squeeze(dim=2)[foreground]
        loss_bbox_ctrness = F.binary_cross_entropy_with_logits(
            pred_centerness, gt_ctrness_targets, reduction="sum"
        )

        return {
            "classification": loss_cls / max(1, num_foreground),
            "bbox_regression": loss_bbox_reg / max(1, num_foreground),
            "bbox_ctrness": loss_bbox_ctrness / max(1, num_foreground),
        }

    def forward(self, x):
        """``cls_logits`` ``[N, HWA, C]``, ``bbox_regression`` ``[N, HWA, 4]`` and
        ``bbox_ctrness`` ``[N, HWA, 1]`` of the feature maps in the list ``x``."""
        cls_logits = self.classification_head(x)
        bbox_regression, bbox_ctrness = self.regression_head(x)
        return {
            "cls_logits": cls_logits,
            "bbox_regression": bbox_regression,
            "bbox_ctrness": bbox_ctrness,
        }


class FCOSClassificationHead(nn.Module):
    """A classification head for use in FCOS.

    Args:
        in_channels (int): number of channels of the input feature.
        num_anchors (int): number of anchors to be predicted.
        num_classes (int): number of classes to be predicted.
        num_convs (Optional[int]): number of conv layer. Default: 4.
        prior_probability (Optional[float]): probability of prior. Default: 0.01.
        norm_layer: Module specifying the normalization layer to use. Default: ``GroupNorm``
            with 32 groups.
    """

    def __init__(
        self,
        in_channels,
        num_anchors,
        num_classes,
        num_convs=4,
        prior_probability=0.01,
        norm_layer=None,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.conv = _conv_tower(in_channels, num_convs, norm_layer)

        self.cls_logits = nn.Conv2d(
            in_channels, num_anchors * num_classes, kernel_size=3, stride=1, padding=1
        )
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(
            self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability)
        )

    def forward(self, x):
        """The class logits of the feature maps in the list ``x``: ``[N, HWA, C]``."""
        all_cls_logits = []
        for features in x:
            cls_logits = self.cls_logits(self.conv(features))
            N, _, H, W = cls_logits.shape
            all_cls_logits.append(permute_and_flatten(cls_logits, N, -1, self.num_classes, H, W))
        return ember.cat(all_cls_logits, dim=1)


class FCOSRegressionHead(nn.Module):
    """A regression head for use in FCOS, which combines regression branch and center-ness
    branch. This can obtain better performance.

    Reference: `FCOS: A simple and strong anchor-free object detector
    <https://arxiv.org/abs/2006.09214>`_.

    Args:
        in_channels (int): number of channels of the input feature
        num_anchors (int): number of anchors to be predicted
        num_convs (Optional[int]): number of conv layer. Default: 4.
        norm_layer: Module specifying the normalization layer to use. Default: ``GroupNorm``
            with 32 groups.
    """

    def __init__(self, in_channels, num_anchors, num_convs=4, norm_layer=None):
        super().__init__()
        self.conv = _conv_tower(in_channels, num_convs, norm_layer)

        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1, padding=1)
        self.bbox_ctrness = nn.Conv2d(
            in_channels, num_anchors * 1, kernel_size=3, stride=1, padding=1
        )
        for layer in [self.bbox_reg, self.bbox_ctrness]:
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        """The box regression (distances to the box's edges, after a ReLU) ``[N, HWA, 4]`` and
        centre-ness logits ``[N, HWA, 1]`` of the feature maps in the list ``x``."""
        all_bbox_regression = []
        all_bbox_ctrness = []
        for features in x:
            bbox_feature = self.conv(features)
            bbox_regression = F.relu(self.bbox_reg(bbox_feature))
            bbox_ctrness = self.bbox_ctrness(bbox_feature)
            N, _, H, W = bbox_regression.shape
            all_bbox_regression.append(permute_and_flatten(bbox_regression, N, -1, 4, H, W))
            all_bbox_ctrness.append(permute_and_flatten(bbox_ctrness, N, -1, 1, H, W))
        return ember.cat(all_bbox_regression, dim=1), ember.cat(all_bbox_ctrness, dim=1)


class FCOS(det_utils._Detector):
    """Implements FCOS.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes.

    The behavior of the model changes depending on if it is in training or evaluation mode.

    During training, the model expects both the input tensors and targets (list of
    dictionary), containing:

        - boxes (``FloatTensor[N, 4]``): the ground-truth boxes in ``[x1, y1, x2, y2]``
          format, with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the class label for each ground-truth box

    The model returns a Dict[Tensor] during training, containing the classification,
    regression and centerness losses (``classification``, ``bbox_regression``,
    ``bbox_ctrness``).

    During inference, the model requires only the input tensors, and returns the
    post-processed predictions as a List[Dict[Tensor]], one for each input image. The fields
    of the Dict are as follows:

        - boxes (``FloatTensor[N, 4]``): the predicted boxes in ``[x1, y1, x2, y2]`` format,
          with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the predicted labels for each image
        - scores (Tensor[N]): the scores for each prediction

    Args:
        backbone (nn.Module): the network used to compute the features for the model. It should
            contain an out_channels attribute, which indicates the number of output channels
            that each feature map has (and it should be the same for all feature maps). The
            backbone should return a single Tensor or an OrderedDict[Tensor].
        num_classes (int): number of output classes of the model (including the background).
        min_size (int): Images are rescaled before feeding them to the backbone: we attempt to
            preserve the aspect ratio and scale the shorter edge to ``min_size``. If the
            resulting longer edge exceeds ``max_size``, then downscale so that the longer edge
            does not exceed ``max_size``. This may result in the shorter edge beeing lower
            than ``min_size``.
        max_size (int): See ``min_size``.
        image_mean (Tuple[float, float, float]): mean values used for input normalization.
            They are generally the mean values of the dataset on which the backbone has been
            trained on
        image_std (Tuple[float, float, float]): std values used for input normalization. They
            are generally the std values of the dataset on which the backbone has been trained
            on
        anchor_generator (AnchorGenerator): module that generates the anchors for a set of
            feature maps. For FCOS, only set one anchor for per position of each level, the
            width and height equal to the stride of feature map, and set aspect ratio = 1.0,
            so the center of anchor is equivalent to the point in FCOS paper.
        head (nn.Module): Module run on top of the feature pyramid. Defaults to a module
            containing a classification and regression module.
        center_sampling_radius (int): radius of the "center" of a groundtruth box, within
            which all anchor points are labeled positive.
        score_thresh (float): Score threshold used for postprocessing the detections.
        nms_thresh (float): NMS threshold used for postprocessing the detections.
        detections_per_img (int): Number of best detections to keep after NMS.
        topk_candidates (int): Number of best detections to keep before NMS.
        **kwargs: passed to :class:`GeneralizedRCNNTransform` (``size_divisible``,
            ``fixed_size``, ``_skip_resize``).

    Example::

        >>> backbone = embervision.models.mobilenet_v2().features
        >>> backbone.out_channels = 1280
        >>> anchor_generator = AnchorGenerator(sizes=((8,), (16,), (32,), (64,), (128,)),
        ...                                    aspect_ratios=((1.0,),))
        >>> model = FCOS(backbone, num_classes=80, anchor_generator=anchor_generator)
        >>> model.eval()
        >>> predictions = model([ember.rand(3, 300, 400), ember.rand(3, 500, 400)])
    """

    def __init__(
        self,
        backbone,
        num_classes,
        # transform parameters
        min_size=800,
        max_size=1333,
        image_mean=None,
        image_std=None,
        # Anchor parameters
        anchor_generator=None,
        head=None,
        center_sampling_radius=1.5,
        score_thresh=0.2,
        nms_thresh=0.6,
        detections_per_img=100,
        topk_candidates=1000,
        **kwargs,
    ):
        super().__init__()
        det_utils._require_out_channels(backbone)
        self.backbone = backbone

        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(
                "anchor_generator should be of type AnchorGenerator or None, instead  got "
                f"{type(anchor_generator)}"
            )
        if anchor_generator is None:
            # equal to strides of multi-level feature map, one anchor per location
            anchor_sizes = ((8,), (16,), (32,), (64,), (128,))
            aspect_ratios = ((1.0,),) * len(anchor_sizes)
            anchor_generator = AnchorGenerator(anchor_sizes, aspect_ratios)
        self.anchor_generator = anchor_generator
        if self.anchor_generator.num_anchors_per_location()[0] != 1:
            raise ValueError(
                "anchor_generator.num_anchors_per_location()[0] should be 1 instead of "
                f"{anchor_generator.num_anchors_per_location()[0]}"
            )

        if head is None:
            head = FCOSHead(
                backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes
            )
        self.head = head

        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)

        self.transform = _imagenet_transform(min_size, max_size, image_mean, image_std, **kwargs)

        self.center_sampling_radius = center_sampling_radius
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates

    def compute_loss(self, targets, head_outputs, anchors, num_anchors_per_level):
        """The head's losses, with every anchor point matched to the smallest ground-truth box
        that contains it, whose centre is within ``center_sampling_radius`` anchor sizes of
        it, and whose largest distance from it is in the point's level's range (4 to 8 anchor
        sizes, open-ended on the first and last level)."""
        matched_idxs = []
        for anchors_per_image, targets_per_image in zip(anchors, targets):
            if targets_per_image["boxes"].numel() == 0:
                matched_idxs.append(det_utils._unmatched(anchors_per_image))
                continue

            gt_boxes = targets_per_image["boxes"]
            gt_centers = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2  # Nx2
            anchor_centers = (anchors_per_image[:, :2] + anchors_per_image[:, 2:]) / 2  # N
            anchor_sizes = anchors_per_image[:, 2] - anchors_per_image[:, 0]
            # center sampling: anchor point must be close enough to gt center.
            pairwise_match = (anchor_centers[:, None, :] - gt_centers[None, :, :]).abs().max(
                dim=2
            ).values < self.center_sampling_radius * anchor_sizes[:, None]
            # compute pairwise distance between N points and M boxes
            x, y = anchor_centers.unsqueeze(dim=2).unbind(dim=1)  # (N, 1)
            x0, y0, x1, y1 = gt_boxes.unsqueeze(dim=0).unbind(dim=2)  # (1, M)
            pairwise_dist = ember.stack([x - x0, y - y0, x1 - x, y1 - y], dim=2)  # (N, M)

            # anchor point must be inside gt
            pairwise_match &= pairwise_dist.min(dim=2).values > 0

            # each anchor is only responsible for certain scale range.
            lower_bound = anchor_sizes * 4
            lower_bound[: num_anchors_per_level[0]] = 0
            upper_bound = anchor_sizes * 8
            upper_bound[-num_anchors_per_level[-1] :] = math.inf
            pairwise_dist = pairwise_dist.max(dim=2).values
            pairwise_match &= (pairwise_dist > lower_bound[:, None]) & (
                pairwise_dist < upper_bound[:, None]
            )

            # match the GT box with minimum area, if there are multiple GT matches
            gt_areas = (gt_boxes[:, 2] - gt_boxes[:, 0]) * (gt_boxes[:, 3] - gt_boxes[:, 1])
            pairwise_match = pairwise_match.to(ember.float32) * (1e8 - gt_areas[None, :])
            min_values, matched_idx = pairwise_match.max(dim=1)  # R, per-anchor match
            matched_idx[min_values < 1e-5] = -1  # unmatched anchors are assigned -1

            matched_idxs.append(matched_idx)

        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        """The detections of every image: on every level, the ``topk_candidates`` best
        (location, class) pairs whose score ``sqrt(sigmoid(class logit) * sigmoid(centre-ness
        logit))`` is above ``score_thresh``, decoded and clipped; then over all levels,
        class-wise NMS and the ``detections_per_img`` best.

        Args:
            head_outputs (dict[str, list[Tensor]]): the head's outputs split per level.
            anchors (list[list[Tensor]]): every image's anchors, split per level.
            image_shapes (list[tuple[int, int]]): the sizes of the images.
        """
        scores = [
            ember.sqrt(ember.sigmoid(logits) * ember.sigmoid(ctrness))
            for logits, ctrness in zip(head_outputs["cls_logits"], head_outputs["bbox_ctrness"])
        ]
        candidates = det_utils._top_per_level(
            scores,
            head_outputs["bbox_regression"],
            anchors,
            self.box_coder.decode,
            self.score_thresh,
            self.topk_candidates,
        )
        return det_utils._nms_detections(
            *candidates, image_shapes, self.score_thresh, self.nms_thresh, self.detections_per_img
        )

    def forward(self, images, targets=None):
        """
        Args:
            images (list[Tensor]): images to be processed
            targets (list[Dict[Tensor]]): ground-truth boxes present in the image (optional)

        Returns:
            result (list[BoxList] or dict[Tensor]): the output from the model. During training,
            it returns a dict[Tensor] which contains the losses. During testing, it returns
            list[BoxList] contains additional fields like `scores`, `labels` and `mask` (for
            Mask R-CNN models).
        """
        images, targets, original_image_sizes, features = det_utils._check_inputs(
            self, images, targets
        )
        features = list(features.values())
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        # recover level sizes
        num_anchors_per_level = [x.size(2) * x.size(3) for x in features]

        losses = {}
        detections = []
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors, num_anchors_per_level)
        else:
            split_head_outputs, split_anchors = det_utils._split_levels(
                head_outputs, anchors, num_anchors_per_level
            )
            detections = self.postprocess_detections(
                split_head_outputs, split_anchors, images.image_sizes
            )
            detections = self.transform.postprocess(
                detections, images.image_sizes, original_image_sizes
            )
        return self.eager_outputs(losses, detections)


@register_model()
def fcos_resnet50_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Constructs a FCOS model with a ResNet-50-FPN backbone, from `FCOS: Fully
    Convolutional One-Stage Object Detection <https://arxiv.org/abs/1904.01355>`__ and `FCOS:
    A simple and strong anchor-free object detector <https://arxiv.org/abs/2006.09214>`__;
    32,269,600 parameters with a pretrained (frozen batch norm) backbone, 32,322,720 without.

    The backbone is RetinaNet's (P3 to P7); input, training targets and outputs are those of
    :class:`FCOS`.

    Example::

        >>> model = embervision.models.detection.fcos_resnet50_fpn(weights="fcos.pth")
        >>> model.eval()
        >>> predictions = model([ember.rand(3, 300, 400), ember.rand(3, 500, 400)])

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict
            of the whole model (torchvision's keys), loaded strictly. Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 91 (COCO).
        weights_backbone (str or os.PathLike, optional): a local state dict of the ResNet-50
            (ignored when ``weights`` is given).
        trainable_backbone_layers (int, optional): number of trainable (not frozen) resnet
            layers starting from final block. Valid values are between 0 and 5, with 5 meaning
            all backbone layers are trainable. If ``None`` is passed (the default) this value
            is set to 3 (5 without pretrained weights).
        **kwargs: parameters passed to the :class:`FCOS` class.
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_p3p7(weights, weights_backbone, progress, trainable_backbone_layers)
    model = FCOS(backbone, num_classes, **kwargs)
    return _load_weights(model, weights)
