"""RetinaNet (Lin et al., 2017) as torchvision builds it: the model, its classification and
regression heads (trained with the sigmoid focal loss and an L1 or GIoU box loss), and the
ResNet-50-FPN (v1 and v2) builders."""

from __future__ import annotations

import math
from functools import partial

import ember
from ember import nn

from ...ops import misc as misc_nn_ops
from ...ops import sigmoid_focal_loss
from ...ops.feature_pyramid_network import LastLevelP6P7
from .._api import _load_weights, register_model
from ..resnet import resnet50
from . import _utils as det_utils
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import _load_coco_v1
from .rpn import permute_and_flatten
from .transform import _imagenet_transform

__all__ = ["RetinaNet", "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"]


def _v1_to_v2_weights(state_dict, prefix):
    """Before version 2 the head's convolutions were bare ``Conv2d`` layers between ReLUs
    (``conv.0``, ``conv.2``, ...); rename them to the ``Conv2dNormActivation`` keys."""
    for i in range(4):
        for kind in ["weight", "bias"]:
            old_key = f"{prefix}conv.{2 * i}.{kind}"
            new_key = f"{prefix}conv.{i}.0.{kind}"
            if old_key in state_dict:
                state_dict[new_key] = state_dict.pop(old_key)


def _default_anchorgen():
    anchor_sizes = tuple(
        (x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in [32, 64, 128, 256, 512]
    )
    aspect_ratios = ((0.5, 1.0, 2.0),) * len(anchor_sizes)
    return AnchorGenerator(anchor_sizes, aspect_ratios)


def _conv_tower(in_channels, norm_layer):
    """Four 3×3 ``Conv2dNormActivation`` blocks (ReLU), weights N(0, 0.01²), biases 0."""
    conv = nn.Sequential(
        *[
            misc_nn_ops.Conv2dNormActivation(in_channels, in_channels, norm_layer=norm_layer)
            for _ in range(4)
        ]
    )
    for layer in conv.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=0.01)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0)
    return conv


class _VersionedHead(nn.Module):
    """A head whose state dicts before version 2 (no version metadata) get their keys
    renamed on loading."""

    _version = 2

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            _v1_to_v2_weights(state_dict, prefix)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class RetinaNetHead(nn.Module):
    """A regression and classification head for use in RetinaNet.

    Args:
        in_channels (int): number of channels of the input feature
        num_anchors (int): number of anchors to be predicted
        num_classes (int): number of classes to be predicted
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: None
    """

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer=None):
        super().__init__()
        self.classification_head = RetinaNetClassificationHead(
            in_channels, num_anchors, num_classes, norm_layer=norm_layer
        )
        self.regression_head = RetinaNetRegressionHead(
            in_channels, num_anchors, norm_layer=norm_layer
        )

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        """The ``classification`` and ``bbox_regression`` losses (a dict)."""
        return {
            "classification": self.classification_head.compute_loss(
                targets, head_outputs, matched_idxs
            ),
            "bbox_regression": self.regression_head.compute_loss(
                targets, head_outputs, anchors, matched_idxs
            ),
        }

    def forward(self, x):
        """``cls_logits`` ``[N, HWA, K]`` and ``bbox_regression`` ``[N, HWA, 4]`` of the feature
        maps in the list ``x``, concatenated over the maps."""
        return {
            "cls_logits": self.classification_head(x),
            "bbox_regression": self.regression_head(x),
        }


class RetinaNetClassificationHead(_VersionedHead):
    """A classification head for use in RetinaNet.

    Args:
        in_channels (int): number of channels of the input feature
        num_anchors (int): number of anchors to be predicted
        num_classes (int): number of classes to be predicted
        prior_probability (float): the probability of every class that the initial bias of
            ``cls_logits`` gives. Default: 0.01.
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: None
    """

    def __init__(
        self, in_channels, num_anchors, num_classes, prior_probability=0.01, norm_layer=None
    ):
        super().__init__()
        self.conv = _conv_tower(in_channels, norm_layer)

        self.cls_logits = nn.Conv2d(
            in_channels, num_anchors * num_classes, kernel_size=3, stride=1, padding=1
        )
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(
            self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability)
        )

        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.BETWEEN_THRESHOLDS = det_utils.Matcher.BETWEEN_THRESHOLDS

    def compute_loss(self, targets, head_outputs, matched_idxs):
        """The sigmoid focal loss of every image, summed over its anchors that are not between
        the matcher's thresholds and divided by its number of foreground anchors (at least 1),
        averaged over the images."""
        cls_logits = head_outputs["cls_logits"]
        matched_idxs_stacked = ember.stack(matched_idxs)
        foreground = matched_idxs_stacked >= 0

        # one-hot targets of the foreground anchors
        gt_classes_target = ember.zeros_like(cls_logits)
        labels = det_utils._foreground_targets(targets, matched_idxs, "labels")
        gt_classes_target[foreground, labels] = 1.0

        # anchors between the thresholds are ignored
        valid = matched_idxs_stacked != self.BETWEEN_THRESHOLDS
        loss = sigmoid_focal_loss(cls_logits, gt_classes_target) * valid[..., None]
        loss = loss.sum((1, 2)) / foreground.sum(1).clamp(min=1)
        return loss.sum() / len(targets)

    def forward(self, x):
        """The class logits of the feature maps in the list ``x``: ``[N, HWA, K]``."""
        all_cls_logits = []
        for features in x:
            cls_logits = self.cls_logits(self.conv(features))
            N, _, H, W = cls_logits.shape
            all_cls_logits.append(permute_and_flatten(cls_logits, N, -1, self.num_classes, H, W))
        return ember.cat(all_cls_logits, dim=1)


class RetinaNetRegressionHead(_VersionedHead):
    """A regression head for use in RetinaNet.

    Its loss is the L1 loss of the encoded boxes (``_loss_type = "l1"``); the v2 model sets
    ``_loss_type = "giou"``.

    Args:
        in_channels (int): number of channels of the input feature
        num_anchors (int): number of anchors to be predicted
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: None
    """

    def __init__(self, in_channels, num_anchors, norm_layer=None):
        super().__init__()
        self.conv = _conv_tower(in_channels, norm_layer)

        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.bbox_reg.weight, std=0.01)
        nn.init.zeros_(self.bbox_reg.bias)

        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self._loss_type = "l1"

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        """The box loss of every image, summed over its foreground anchors and divided by
        their number (at least 1), averaged over the images."""
        foreground = ember.stack(matched_idxs) >= 0
        loss = det_utils._box_loss(
            self._loss_type,
            self.box_coder,
            ember.stack(anchors)[foreground],
            det_utils._foreground_targets(targets, matched_idxs, "boxes"),
            head_outputs["bbox_regression"][foreground],
        )
        # each box's share of its image's loss
        image_idx = ember.where(foreground)[0]
        loss = loss / foreground.sum(1).clamp(min=1)[image_idx]
        return loss.sum() / max(1, len(targets))

    def forward(self, x):
        """The box deltas of the feature maps in the list ``x``: ``[N, HWA, 4]``."""
        all_bbox_regression = []
        for features in x:
            bbox_regression = self.bbox_reg(self.conv(features))
            N, _, H, W = bbox_regression.shape
            all_bbox_regression.append(permute_and_flatten(bbox_regression, N, -1, 4, H, W))
        return ember.cat(all_bbox_regression, dim=1)


class RetinaNet(det_utils._Detector):
    """Implements RetinaNet.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes.

    The behavior of the model changes depending on if it is in training or evaluation mode.

    During training, the model expects both the input tensors and targets (list of
    dictionary), containing:

        - boxes (``FloatTensor[N, 4]``): the ground-truth boxes in ``[x1, y1, x2, y2]``
          format, with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the class label for each ground-truth box

    The model returns a Dict[Tensor] during training, containing the classification and
    regression losses (``classification``, ``bbox_regression``).

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
            does not exceed ``max_size``. This may result in the shorter edge being lower than
            ``min_size``.
        max_size (int): See ``min_size``.
        image_mean (Tuple[float, float, float]): mean values used for input normalization.
            They are generally the mean values of the dataset on which the backbone has been
            trained on
        image_std (Tuple[float, float, float]): std values used for input normalization. They
            are generally the std values of the dataset on which the backbone has been trained
            on
        anchor_generator (AnchorGenerator): module that generates the anchors for a set of
            feature maps.
        head (nn.Module): Module run on top of the feature pyramid. Defaults to a module
            containing a classification and regression module.
        proposal_matcher (Matcher, optional): matches the anchors to the ground-truth boxes.
            Default: a :class:`Matcher` with ``fg_iou_thresh``, ``bg_iou_thresh`` and
            low-quality matches.
        score_thresh (float): Score threshold used for postprocessing the detections.
        nms_thresh (float): NMS threshold used for postprocessing the detections.
        detections_per_img (int): Number of best detections to keep after NMS.
        fg_iou_thresh (float): minimum IoU between the anchor and the GT box so that they can
            be considered as positive during training.
        bg_iou_thresh (float): maximum IoU between the anchor and the GT box so that they can
            be considered as negative during training.
        topk_candidates (int): Number of best detections to keep before NMS.
        **kwargs: passed to :class:`GeneralizedRCNNTransform` (``size_divisible``,
            ``fixed_size``, ``_skip_resize``).

    Example::

        >>> backbone = embervision.models.mobilenet_v2().features
        >>> backbone.out_channels = 1280
        >>> anchor_generator = AnchorGenerator(sizes=((32, 64, 128, 256, 512),),
        ...                                    aspect_ratios=((0.5, 1.0, 2.0),))
        >>> model = RetinaNet(backbone, num_classes=2, anchor_generator=anchor_generator)
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
        proposal_matcher=None,
        score_thresh=0.05,
        nms_thresh=0.5,
        detections_per_img=300,
        fg_iou_thresh=0.5,
        bg_iou_thresh=0.4,
        topk_candidates=1000,
        **kwargs,
    ):
        super().__init__()
        det_utils._require_out_channels(backbone)
        self.backbone = backbone

        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(
                "anchor_generator should be of type AnchorGenerator or None instead of "
                f"{type(anchor_generator)}"
            )
        if anchor_generator is None:
            anchor_generator = _default_anchorgen()
        self.anchor_generator = anchor_generator

        if head is None:
            head = RetinaNetHead(
                backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes
            )
        self.head = head

        if proposal_matcher is None:
            proposal_matcher = det_utils.Matcher(
                fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=True
            )
        self.proposal_matcher = proposal_matcher

        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))

        self.transform = _imagenet_transform(min_size, max_size, image_mean, image_std, **kwargs)

        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates

    def compute_loss(self, targets, head_outputs, anchors):
        """The head's losses, with every anchor matched to a ground-truth box by IoU
        (``proposal_matcher``)."""
        matched_idxs = det_utils._match_anchors(self.proposal_matcher, anchors, targets)
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        """The detections of every image: on every level, the ``topk_candidates`` best
        (anchor, class) pairs whose sigmoid score is above ``score_thresh``, decoded and
        clipped; then over all levels, class-wise NMS and the ``detections_per_img`` best.

        Args:
            head_outputs (dict[str, list[Tensor]]): the head's outputs split per level.
            anchors (list[list[Tensor]]): every image's anchors, split per level.
            image_shapes (list[tuple[int, int]]): the sizes of the images.
        """
        scores = [ember.sigmoid(logits) for logits in head_outputs["cls_logits"]]
        candidates = det_utils._top_per_level(
            scores,
            head_outputs["bbox_regression"],
            anchors,
            self.box_coder.decode_single,
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

        losses = {}
        detections = []
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors)
        else:
            # recover level sizes: A anchors at every location
            num_locations_per_level = [x.size(2) * x.size(3) for x in features]
            A = head_outputs["cls_logits"].size(1) // sum(num_locations_per_level)
            num_anchors_per_level = [hw * A for hw in num_locations_per_level]
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


def _resnet50_p3p7(weights, weights_backbone, progress, trainable_backbone_layers, v2=False):
    """The ResNet-50-FPN backbone of RetinaNet and FCOS: P3 to P5 from ``layer2`` to
    ``layer4`` (P2 would make too many anchors), and P6, P7 from stride-2 convolutions
    (:class:`LastLevelP6P7`, on P5, or on C5 for v2). A checkpoint (``weights``) holds the
    backbone, so ``weights_backbone`` is then ignored; with pretrained weights of either kind
    ``trainable_backbone_layers`` (default 3, of 5) are trained, else all. v1 freezes its
    batch norms when pretrained, v2 keeps ``BatchNorm2d``."""
    if weights is not None:
        weights_backbone = None
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(
        is_trained, trainable_backbone_layers, 5, 3
    )
    if v2:
        backbone = resnet50(weights=weights_backbone, progress=progress)
        extra_blocks = LastLevelP6P7(2048, 256)
    else:
        norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
        backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
        extra_blocks = LastLevelP6P7(256, 256)
    return _resnet_fpn_extractor(
        backbone, trainable_backbone_layers, returned_layers=[2, 3, 4], extra_blocks=extra_blocks
    )


@register_model()
def retinanet_resnet50_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Constructs a RetinaNet model with a ResNet-50-FPN backbone, from `Focal Loss for Dense
    Object Detection <https://arxiv.org/abs/1708.02002>`__; 34,014,999 parameters with a
    pretrained (frozen batch norm) backbone, 34,068,119 without.

    Input, training targets and outputs are those of :class:`RetinaNet`.

    Example::

        >>> model = embervision.models.detection.retinanet_resnet50_fpn(weights="retinanet.pth")
        >>> model.eval()
        >>> predictions = model([ember.rand(3, 300, 400), ember.rand(3, 500, 400)])

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict
            of the whole model (torchvision's keys, also those before the heads' version 2),
            loaded strictly; its frozen batch norms then get eps 0, as torchvision's COCO_V1
            checkpoint needs. Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 91 (COCO).
        weights_backbone (str or os.PathLike, optional): a local state dict of the ResNet-50
            (ignored when ``weights`` is given).
        trainable_backbone_layers (int, optional): number of trainable (not frozen) layers
            starting from final block. Valid values are between 0 and 5, with 5 meaning all
            backbone layers are trainable. If ``None`` is passed (the default) this value is
            set to 3 (5 without pretrained weights).
        **kwargs: parameters passed to the :class:`RetinaNet` class.
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_p3p7(weights, weights_backbone, progress, trainable_backbone_layers)
    model = RetinaNet(backbone, num_classes, **kwargs)
    return _load_coco_v1(model, weights)


@register_model()
def retinanet_resnet50_fpn_v2(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Constructs an improved RetinaNet model with a ResNet-50-FPN backbone, from `Bridging
    the Gap Between Anchor-based and Anchor-free Detection via Adaptive Training Sample
    Selection <https://arxiv.org/abs/1912.02424>`__; 38,198,935 parameters.

    As :func:`retinanet_resnet50_fpn` (arguments as there, without the eps overwrite), with
    batch norms in the backbone, P6 from C5, group norms (32 groups) in the heads and the
    GIoU box loss.
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_p3p7(
        weights, weights_backbone, progress, trainable_backbone_layers, v2=True
    )
    anchor_generator = _default_anchorgen()
    head = RetinaNetHead(
        backbone.out_channels,
        anchor_generator.num_anchors_per_location()[0],
        num_classes,
        norm_layer=partial(nn.GroupNorm, 32),
    )
    head.regression_head._loss_type = "giou"
    model = RetinaNet(backbone, num_classes, anchor_generator=anchor_generator, head=head, **kwargs)
    return _load_weights(model, weights)
