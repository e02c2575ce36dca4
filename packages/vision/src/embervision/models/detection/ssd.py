"""SSD (Liu et al., 2016) as torchvision builds it: the model, its per-map classification and
regression heads (trained with hard negative mining), the VGG-16 feature extractor and the
SSD300 builder."""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict

import ember
from ember import nn
from ember.nn import functional as F

from .._api import _load_weights, register_model
from ..vgg import vgg16
from . import _utils as det_utils
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .rpn import permute_and_flatten
from .transform import _imagenet_transform

__all__ = ["ssd300_vgg16"]


def _xavier_init(conv):
    for layer in conv.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDHead(nn.Module):
    """The classification and regression heads of SSD.

    Args:
        in_channels (list[int]): the number of channels of every feature map.
        num_anchors (list[int]): the number of default boxes per location of every map.
        num_classes (int): number of classes to be predicted (including the background).
    """

    def __init__(self, in_channels, num_anchors, num_classes):
        super().__init__()
        self.classification_head = SSDClassificationHead(in_channels, num_anchors, num_classes)
        self.regression_head = SSDRegressionHead(in_channels, num_anchors)

    def forward(self, x):
        """``bbox_regression`` ``[N, HWA, 4]`` and ``cls_logits`` ``[N, HWA, K]`` of the
        feature maps in the list ``x``, concatenated over the maps."""
        return {
            "bbox_regression": self.regression_head(x),
            "cls_logits": self.classification_head(x),
        }


class SSDScoringHead(nn.Module):
    """One module of ``module_list`` per feature map, each predicting ``num_columns`` values
    per default box.

    Args:
        module_list (nn.ModuleList): the module of every feature map.
        num_columns (int): the number of values per default box.
    """

    def __init__(self, module_list, num_columns):
        super().__init__()
        self.module_list = module_list
        self.num_columns = num_columns

    def forward(self, x):
        """The outputs of the feature maps in the list ``x``, ``[N, A * K, H, W]`` each, as
        ``[N, HWA, K]`` concatenated over the maps."""
        all_results = []
        for module, features in zip(self.module_list, x):
            results = module(features)
            N, _, H, W = results.shape
            all_results.append(permute_and_flatten(results, N, -1, self.num_columns, H, W))
        return ember.cat(all_results, dim=1)


class SSDClassificationHead(SSDScoringHead):
    """A 3×3 convolution per feature map to ``num_classes`` logits per default box.

    Args:
        in_channels (list[int]): the number of channels of every feature map.
        num_anchors (list[int]): the number of default boxes per location of every map.
        num_classes (int): number of classes to be predicted (including the background).
    """

    def __init__(self, in_channels, num_anchors, num_classes):
        cls_logits = nn.ModuleList()
        for channels, anchors in zip(in_channels, num_anchors):
            cls_logits.append(nn.Conv2d(channels, num_classes * anchors, kernel_size=3, padding=1))
        _xavier_init(cls_logits)
        super().__init__(cls_logits, num_classes)


class SSDRegressionHead(SSDScoringHead):
    """A 3×3 convolution per feature map to 4 box deltas per default box.

    Args:
        in_channels (list[int]): the number of channels of every feature map.
        num_anchors (list[int]): the number of default boxes per location of every map.
    """

    def __init__(self, in_channels, num_anchors):
        bbox_reg = nn.ModuleList()
        for channels, anchors in zip(in_channels, num_anchors):
            bbox_reg.append(nn.Conv2d(channels, 4 * anchors, kernel_size=3, padding=1))
        _xavier_init(bbox_reg)
        super().__init__(bbox_reg, 4)


class SSD(det_utils._Detector):
    """Implements SSD architecture from `"SSD: Single Shot MultiBox Detector"
    <https://arxiv.org/abs/1512.02325>`_.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes,
    but they will be resized to a fixed size before passing it to the backbone.

    The behavior of the model changes depending on if it is in training or evaluation mode.

    During training, the model expects both the input tensors and targets (list of
    dictionary), containing:

        - boxes (``FloatTensor[N, 4]``): the ground-truth boxes in ``[x1, y1, x2, y2]``
          format, with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the class label for each ground-truth box

    The model returns a Dict[Tensor] during training, containing the classification and
    regression losses (``bbox_regression``, ``classification``).

    During inference, the model requires only the input tensors, and returns the
    post-processed predictions as a List[Dict[Tensor]], one for each input image. The fields
    of the Dict are as follows, where ``N`` is the number of detections:

        - boxes (``FloatTensor[N, 4]``): the predicted boxes in ``[x1, y1, x2, y2]`` format,
          with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the predicted labels for each detection
        - scores (Tensor[N]): the scores for each detection

    Args:
        backbone (nn.Module): the network used to compute the features for the model. It
            should contain an out_channels attribute with the list of the output channels of
            each feature map. The backbone should return a single Tensor or an
            OrderedDict[Tensor].
        anchor_generator (DefaultBoxGenerator): module that generates the default boxes for a
            set of feature maps.
        size (Tuple[int, int]): the width and height to which images will be rescaled before
            feeding them to the backbone.
        num_classes (int): number of output classes of the model (including the background).
        image_mean (Tuple[float, float, float]): mean values used for input normalization.
            They are generally the mean values of the dataset on which the backbone has been
            trained on
        image_std (Tuple[float, float, float]): std values used for input normalization. They
            are generally the std values of the dataset on which the backbone has been trained
            on
        head (nn.Module, optional): Module run on top of the backbone features. Defaults to a
            module containing a classification and regression module.
        score_thresh (float): Score threshold used for postprocessing the detections.
        nms_thresh (float): NMS threshold used for postprocessing the detections.
        detections_per_img (int): Number of best detections to keep after NMS.
        iou_thresh (float): minimum IoU between the anchor and the GT box so that they can be
            considered as positive during training.
        topk_candidates (int): Number of best detections to keep before NMS.
        positive_fraction (float): a number between 0 and 1 which indicates the proportion of
            positive proposals used during the training of the classification head. It is used
            to estimate the negative to positive ratio.
        **kwargs: passed to :class:`GeneralizedRCNNTransform` (``_skip_resize``).
    """

    def __init__(
        self,
        backbone,
        anchor_generator,
        size,
        num_classes,
        image_mean=None,
        image_std=None,
        head=None,
        score_thresh=0.01,
        nms_thresh=0.45,
        detections_per_img=200,
        iou_thresh=0.5,
        topk_candidates=400,
        positive_fraction=0.25,
        **kwargs,
    ):
        super().__init__()
        self.backbone = backbone
        self.anchor_generator = anchor_generator
        self.box_coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))

        if head is None:
            if hasattr(backbone, "out_channels"):
                out_channels = backbone.out_channels
            else:
                out_channels = det_utils.retrieve_out_channels(backbone, size)
            if len(out_channels) != len(anchor_generator.aspect_ratios):
                raise ValueError(
                    f"The length of the output channels from the backbone ({len(out_channels)}) "
                    "do not match the length of the anchor generator aspect ratios "
                    f"({len(anchor_generator.aspect_ratios)})"
                )
            num_anchors = self.anchor_generator.num_anchors_per_location()
            head = SSDHead(out_channels, num_anchors, num_classes)
        self.head = head

        self.proposal_matcher = det_utils.SSDMatcher(iou_thresh)

        self.transform = _imagenet_transform(
            min(size), max(size), image_mean, image_std, size_divisible=1, fixed_size=size, **kwargs
        )

        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self.neg_to_pos_ratio = (1.0 - positive_fraction) / positive_fraction

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        """The losses over all images, divided by the number of foreground default boxes (at
        least 1): ``bbox_regression``, the smooth L1 loss of the foreground boxes' encoded
        targets, and ``classification``, the cross-entropy of the foreground boxes and of the
        ``neg_to_pos_ratio`` times as many background boxes of highest loss in each image
        (hard negative mining)."""
        bbox_regression = head_outputs["bbox_regression"]
        cls_logits = head_outputs["cls_logits"]

        # Match original targets with default boxes
        foreground = ember.stack(matched_idxs) >= 0
        num_foreground = int(foreground.sum().item())

        # Calculate regression loss
        matched_gt_boxes = det_utils._foreground_targets(targets, matched_idxs, "boxes")
        target_regression = self.box_coder.encode_single(
            matched_gt_boxes, ember.stack(anchors)[foreground]
        )
        bbox_loss = F.smooth_l1_loss(
            bbox_regression[foreground], target_regression, reduction="sum"
        )

        # Estimate ground truth for class targets
        labels = det_utils._foreground_targets(targets, matched_idxs, "labels")
        cls_targets = ember.zeros(foreground.shape, dtype=labels.dtype, device=labels.device)
        cls_targets[foreground] = labels

        # Calculate classification loss
        num_classes = cls_logits.size(-1)
        cls_loss = F.cross_entropy(
            cls_logits.view(-1, num_classes), cls_targets.view(-1), reduction="none"
        ).view(cls_targets.size())

        # Hard Negative Sampling
        foreground_idxs = cls_targets > 0
        num_negative = self.neg_to_pos_ratio * foreground_idxs.sum(1, keepdim=True)
        negative_loss = cls_loss.clone()
        # -inf puts the positives last in the ranking
        negative_loss[foreground_idxs] = -math.inf
        _, idx = negative_loss.sort(1, descending=True)
        background_idxs = idx.sort(1)[1] < num_negative

        N = max(1, num_foreground)
        return {
            "bbox_regression": bbox_loss / N,
            "classification": (cls_loss[foreground_idxs].sum() + cls_loss[background_idxs].sum())
            / N,
        }

    def forward(self, images, targets=None):
        """
        Args:
            images (list[Tensor]): images to be processed
            targets (list[Dict[Tensor]]): ground-truth boxes present in the image (optional)

        Returns:
            result (list[BoxList] or dict[Tensor]): the losses (dict[Tensor]) in training, the
            detections (list[dict[Tensor]]) in evaluation.
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
            matched_idxs = det_utils._match_anchors(self.proposal_matcher, anchors, targets)
            losses = self.compute_loss(targets, head_outputs, anchors, matched_idxs)
        else:
            detections = self.postprocess_detections(head_outputs, anchors, images.image_sizes)
            detections = self.transform.postprocess(
                detections, images.image_sizes, original_image_sizes
            )
        return self.eager_outputs(losses, detections)

    def postprocess_detections(self, head_outputs, image_anchors, image_shapes):
        """The detections of every image: for every class but the background, the
        ``topk_candidates`` default boxes whose softmax score is above ``score_thresh``,
        decoded and clipped; then class-wise NMS and the ``detections_per_img`` best.

        Args:
            head_outputs (dict[str, Tensor]): the head's outputs.
            image_anchors (list[Tensor]): every image's default boxes.
            image_shapes (list[tuple[int, int]]): the sizes of the images.
        """
        bbox_regression = head_outputs["bbox_regression"]
        pred_scores = F.softmax(head_outputs["cls_logits"], dim=-1)
        num_images, num_anchors, num_classes = pred_scores.shape
        device = pred_scores.device

        boxes = self.box_coder.decode_single(
            bbox_regression.reshape(-1, 4), ember.stack(image_anchors).reshape(-1, 4)
        ).reshape(num_images, num_anchors, 4)

        # the best default boxes of every class but the background, class after class
        scores = pred_scores[:, :, 1:].transpose(1, 2)  # [N, K - 1, A]
        scores = ember.where(scores > self.score_thresh, scores, -math.inf)
        num_topk = min(self.topk_candidates, num_anchors)
        scores, idxs = scores.topk(num_topk, dim=2)
        image_idx = ember.arange(num_images, device=device)[:, None, None]
        boxes = boxes[image_idx, idxs]  # [N, K - 1, k, 4]
        labels = ember.arange(1, num_classes, device=device)[None, :, None].expand_as(idxs)

        return det_utils._nms_detections(
            boxes.flatten(1, 2),
            scores.flatten(1),
            labels.flatten(1),
            image_shapes,
            self.score_thresh,
            self.nms_thresh,
            self.detections_per_img,
        )


class SSDFeatureExtractorVGG(nn.Module):
    """The feature maps of SSD from a VGG's ``features`` (page 4, Fig. 2 of the paper):
    ``conv4_3`` L2-normalised and rescaled by a learnt per-channel weight (initially 20),
    then ``fc7`` (atrous ``fc6``, in place of ``pool5``) and ``conv8_2`` … ``conv11_2``
    (and ``conv12_2`` for SSD512).

    Args:
        backbone (nn.Sequential): the ``features`` of a VGG (five max poolings); its third
            pooling gets ``ceil_mode=True``.
        highres (bool): add the extra block of SSD512.
    """

    def __init__(self, backbone, highres):
        super().__init__()
        _, _, maxpool3_pos, maxpool4_pos, _ = (
            i for i, layer in enumerate(backbone) if isinstance(layer, nn.MaxPool2d)
        )

        # Patch ceil_mode for maxpool3 to get the same WxH output sizes as the paper
        backbone[maxpool3_pos].ceil_mode = True

        # parameters used for L2 regularization + rescaling
        self.scale_weight = nn.Parameter(ember.ones(512) * 20)

        # Multiple Feature maps - page 4, Fig 2 of SSD paper
        self.features = nn.Sequential(*backbone[:maxpool4_pos])  # until conv4_3

        # SSD300 case - page 4, Fig 2 of SSD paper: (in, mid, out, kernel, padding, stride)
        blocks = [
            (1024, 256, 512, 3, 1, 2),  # conv8_2
            (512, 128, 256, 3, 1, 2),  # conv9_2
            (256, 128, 256, 3, 0, 1),  # conv10_2
            (256, 128, 256, 3, 0, 1),  # conv11_2
        ]
        if highres:
            # Additional layers for the SSD512 case. See page 11, footernote 5.
            blocks.append((256, 128, 256, 4, 0, 1))  # conv12_2
        extra = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Conv2d(in_channels, mid_channels, kernel_size=1),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(
                        mid_channels, out_channels, kernel_size, padding=padding, stride=stride
                    ),
                    nn.ReLU(inplace=True),
                )
                for in_channels, mid_channels, out_channels, kernel_size, padding, stride in blocks
            ]
        )
        _xavier_init(extra)

        fc = nn.Sequential(
            # add modified maxpool5
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=False),
            # FC6 with atrous
            nn.Conv2d(in_channels=512, out_channels=1024, kernel_size=3, padding=6, dilation=6),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels=1024, out_channels=1024, kernel_size=1),  # FC7
            nn.ReLU(inplace=True),
        )
        _xavier_init(fc)
        extra.insert(
            0,
            nn.Sequential(
                *backbone[maxpool4_pos:-1],  # until conv5_3, skip maxpool5
                fc,
            ),
        )
        self.extra = extra

    def forward(self, x):
        """The feature maps ``"0"`` (rescaled ``conv4_3``) to ``"5"`` (``"6"`` for SSD512)."""
        # L2 regularization + Rescaling of 1st block's feature map
        x = self.features(x)
        rescaled = self.scale_weight.view(1, -1, 1, 1) * F.normalize(x)
        output = [rescaled]

        # Calculating Feature maps for the rest blocks
        for block in self.extra:
            x = block(x)
            output.append(x)

        return OrderedDict([(str(i), v) for i, v in enumerate(output)])


def _vgg_extractor(backbone, highres, trainable_layers):
    """An :class:`SSDFeatureExtractorVGG` of the VGG ``backbone``'s features, with all but the
    last ``trainable_layers`` of its five stages (split at the max poolings) frozen."""
    backbone = backbone.features
    # Gather the indices of maxpools. These are the locations of output blocks.
    stage_indices = [0] + [i for i, b in enumerate(backbone) if isinstance(b, nn.MaxPool2d)][:-1]
    num_stages = len(stage_indices)

    # find the index of the layer from which we won't freeze
    if not 0 <= trainable_layers <= num_stages:
        raise AssertionError(
            f"trainable_layers should be in the range [0, {num_stages}]. "
            f"Instead got {trainable_layers}"
        )
    det_utils._freeze_stages(backbone, stage_indices, trainable_layers)
    return SSDFeatureExtractorVGG(backbone, highres)


@register_model()
def ssd300_vgg16(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """The SSD300 model is based on the `SSD: Single Shot MultiBox Detector
    <https://arxiv.org/abs/1512.02325>`_ paper; 35,641,826 parameters.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes,
    but they will be resized to a fixed size (300 × 300) before passing it to the backbone.
    Training targets and outputs are those of :class:`SSD`.

    Example::

        >>> model = embervision.models.detection.ssd300_vgg16(weights="ssd300.pth")
        >>> model.eval()
        >>> predictions = model([ember.rand(3, 300, 300), ember.rand(3, 500, 400)])

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict
            of the whole model (torchvision's keys), loaded strictly. Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 91 (COCO).
        weights_backbone (str or os.PathLike, optional): a local state dict of the VGG-16, as
            :func:`~embervision.models.vgg16` takes it (torchvision's ``IMAGENET1K_FEATURES``
            checkpoint among them); ignored when ``weights`` is given.
        trainable_backbone_layers (int, optional): number of trainable (not frozen) layers
            starting from final block. Valid values are between 0 and 5, with 5 meaning all
            backbone layers are trainable. If ``None`` is passed (the default) this value is
            set to 4 (5 without pretrained weights).
        **kwargs: parameters passed to the :class:`SSD` class; a ``size`` is ignored with a
            warning (torchvision warns, then fails on it).
    """
    if "size" in kwargs:
        warnings.warn(
            "The size of the model is already fixed; ignoring the parameter.", stacklevel=2
        )
        del kwargs["size"]

    if weights is not None:
        weights_backbone = None
    if num_classes is None:
        num_classes = 91

    trainable_backbone_layers = _validate_trainable_layers(
        weights is not None or weights_backbone is not None, trainable_backbone_layers, 5, 4
    )

    # Use custom backbones more appropriate for SSD
    backbone = vgg16(weights=weights_backbone, progress=progress)
    backbone = _vgg_extractor(backbone, False, trainable_backbone_layers)
    anchor_generator = DefaultBoxGenerator(
        [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
        scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
        steps=[8, 16, 32, 64, 100, 300],
    )

    defaults = {
        # Rescale the input in a way compatible to the backbone
        "image_mean": [0.48235, 0.45882, 0.40784],
        "image_std": [1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0],  # undo the 0-1 scaling of toTensor
    }
    kwargs = {**defaults, **kwargs}
    model = SSD(backbone, anchor_generator, (300, 300), num_classes, **kwargs)
    return _load_weights(model, weights)
