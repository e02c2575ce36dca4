"""Mask R-CNN (He et al., 2017) as torchvision builds it: Faster R-CNN with a mask branch, and
the ResNet-50-FPN (v1 and v2) builders."""

from __future__ import annotations

from collections import OrderedDict

from ember import nn

from ...ops import misc as misc_nn_ops
from ...ops.poolers import MultiScaleRoIAlign
from .._api import _load_weights, register_model
from .faster_rcnn import FasterRCNN, _load_coco_v1, _resnet50_fpn, _v2_heads

__all__ = ["MaskRCNN", "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]


class MaskRCNN(FasterRCNN):
    """Implements Mask R-CNN.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes.

    During training, the model expects both the input tensors and targets (list of
    dictionary), containing:

        - boxes (``FloatTensor[N, 4]``): the ground-truth boxes in ``[x1, y1, x2, y2]``
          format, with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the class label for each ground-truth box
        - masks (UInt8Tensor[N, H, W]): the segmentation binary masks for each instance

    The model returns a Dict[Tensor] during training, containing the classification and
    regression losses for both the RPN and the R-CNN, and the mask loss (``loss_mask``).

    During inference, the model requires only the input tensors, and returns the
    post-processed predictions as a List[Dict[Tensor]], one for each input image. The fields
    of the Dict are as follows:

        - boxes (``FloatTensor[N, 4]``): the predicted boxes in ``[x1, y1, x2, y2]`` format,
          with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the predicted labels for each image
        - scores (Tensor[N]): the scores or each prediction
        - masks (FloatTensor[N, 1, H, W]): the predicted masks for each instance, in 0-1
          range. In order to obtain the final segmentation masks, the soft masks can be
          thresholded, generally with a value of 0.5 (mask >= 0.5)

    Args:
        backbone, num_classes, ..., bbox_reg_weights: as :class:`FasterRCNN`.
        mask_roi_pool (MultiScaleRoIAlign): the module which crops and resizes the feature maps
            in the locations indicated by the bounding boxes, which will be used for the mask
            head. Default: 14 × 14 from the maps ``'0'`` to ``'3'``.
        mask_head (nn.Module): module that takes the cropped feature maps as input. Default:
            :class:`MaskRCNNHeads` with four 256-channel layers.
        mask_predictor (nn.Module): module that takes the output of the mask_head and returns
            the segmentation mask logits. Default: :class:`MaskRCNNPredictor`.
    """

    def __init__(
        self,
        backbone,
        num_classes=None,
        # transform parameters
        min_size=800,
        max_size=1333,
        image_mean=None,
        image_std=None,
        # RPN parameters
        rpn_anchor_generator=None,
        rpn_head=None,
        rpn_pre_nms_top_n_train=2000,
        rpn_pre_nms_top_n_test=1000,
        rpn_post_nms_top_n_train=2000,
        rpn_post_nms_top_n_test=1000,
        rpn_nms_thresh=0.7,
        rpn_fg_iou_thresh=0.7,
        rpn_bg_iou_thresh=0.3,
        rpn_batch_size_per_image=256,
        rpn_positive_fraction=0.5,
        rpn_score_thresh=0.0,
        # Box parameters
        box_roi_pool=None,
        box_head=None,
        box_predictor=None,
        box_score_thresh=0.05,
        box_nms_thresh=0.5,
        box_detections_per_img=100,
        box_fg_iou_thresh=0.5,
        box_bg_iou_thresh=0.5,
        box_batch_size_per_image=512,
        box_positive_fraction=0.25,
        bbox_reg_weights=None,
        # Mask parameters
        mask_roi_pool=None,
        mask_head=None,
        mask_predictor=None,
        **kwargs,
    ):
        if not isinstance(mask_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(
                "mask_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                f"{type(mask_roi_pool)}"
            )

        if num_classes is not None and mask_predictor is not None:
            raise ValueError("num_classes should be None when mask_predictor is specified")

        out_channels = backbone.out_channels

        if mask_roi_pool is None:
            mask_roi_pool = MultiScaleRoIAlign(
                featmap_names=["0", "1", "2", "3"], output_size=14, sampling_ratio=2
            )

        if mask_head is None:
            mask_layers = (256, 256, 256, 256)
            mask_dilation = 1
            mask_head = MaskRCNNHeads(out_channels, mask_layers, mask_dilation)

        if mask_predictor is None:
            mask_predictor_in_channels = 256  # == mask_layers[-1]
            mask_dim_reduced = 256
            mask_predictor = MaskRCNNPredictor(
                mask_predictor_in_channels, mask_dim_reduced, num_classes
            )

        super().__init__(
            backbone,
            num_classes,
            # transform parameters
            min_size,
            max_size,
            image_mean,
            image_std,
            # RPN-specific parameters
            rpn_anchor_generator,
            rpn_head,
            rpn_pre_nms_top_n_train,
            rpn_pre_nms_top_n_test,
            rpn_post_nms_top_n_train,
            rpn_post_nms_top_n_test,
            rpn_nms_thresh,
            rpn_fg_iou_thresh,
            rpn_bg_iou_thresh,
            rpn_batch_size_per_image,
            rpn_positive_fraction,
            rpn_score_thresh,
            # Box parameters
            box_roi_pool,
            box_head,
            box_predictor,
            box_score_thresh,
            box_nms_thresh,
            box_detections_per_img,
            box_fg_iou_thresh,
            box_bg_iou_thresh,
            box_batch_size_per_image,
            box_positive_fraction,
            bbox_reg_weights,
            **kwargs,
        )

        self.roi_heads.mask_roi_pool = mask_roi_pool
        self.roi_heads.mask_head = mask_head
        self.roi_heads.mask_predictor = mask_predictor


class MaskRCNNHeads(nn.Sequential):
    """The mask head: 3×3 convolution blocks (``Conv2dNormActivation``, ReLU) of the given
    widths.

    Args:
        in_channels (int): number of input channels
        layers (list): feature dimensions of each FCN layer
        dilation (int): dilation rate of kernel
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: None
    """

    _version = 2

    def __init__(self, in_channels, layers, dilation, norm_layer=None):
        blocks = []
        next_feature = in_channels
        for layer_features in layers:
            blocks.append(
                misc_nn_ops.Conv2dNormActivation(
                    next_feature,
                    layer_features,
                    kernel_size=3,
                    stride=1,
                    padding=dilation,
                    dilation=dilation,
                    norm_layer=norm_layer,
                )
            )
            next_feature = layer_features

        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # Before version 2 the layers were bare convolutions named ``mask_fcn1`` …; a state dict
        # without version metadata gets its old keys renamed.
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for i in range(len(self)):
                for kind in ["weight", "bias"]:
                    old_key = f"{prefix}mask_fcn{i + 1}.{kind}"
                    new_key = f"{prefix}{i}.0.{kind}"
                    if old_key in state_dict:
                        state_dict[new_key] = state_dict.pop(old_key)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class MaskRCNNPredictor(nn.Sequential):
    """A 2×2 stride-2 transposed convolution (``conv5_mask``), ReLU and a 1×1 convolution to
    one mask logit map per class (``mask_fcn_logits``).

    Args:
        in_channels (int): number of input channels
        dim_reduced (int): channels of the transposed convolution
        num_classes (int): number of output classes (including background)
    """

    def __init__(self, in_channels, dim_reduced, num_classes):
        super().__init__(
            OrderedDict(
                [
                    ("conv5_mask", nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)),
                    ("relu", nn.ReLU(inplace=True)),
                    ("mask_fcn_logits", nn.Conv2d(dim_reduced, num_classes, 1, 1, 0)),
                ]
            )
        )

        for name, param in self.named_parameters():
            if "weight" in name:
                nn.init.kaiming_normal_(param, mode="fan_out", nonlinearity="relu")


@register_model()
def maskrcnn_resnet50_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Mask R-CNN model with a ResNet-50-FPN backbone from the `Mask R-CNN
    <https://arxiv.org/abs/1703.06870>`_ paper; 44,401,393 parameters with a pretrained
    (frozen batch norm) backbone, 44,454,513 without.

    Input, training targets and outputs are those of :class:`MaskRCNN`; the arguments those of
    :func:`~embervision.models.detection.fasterrcnn_resnet50_fpn` (``**kwargs`` go to
    :class:`MaskRCNN`).
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_fpn(weights, weights_backbone, progress, trainable_backbone_layers)
    model = MaskRCNN(backbone, num_classes=num_classes, **kwargs)
    return _load_coco_v1(model, weights)


@register_model()
def maskrcnn_resnet50_fpn_v2(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Improved Mask R-CNN model with a ResNet-50-FPN backbone from the `Benchmarking Detection
    Transfer Learning with Vision Transformers <https://arxiv.org/abs/2111.11429>`_ paper;
    46,359,409 parameters.

    The heads of :func:`~embervision.models.detection.fasterrcnn_resnet50_fpn_v2` and a mask
    head with batch norms; arguments as there.
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_fpn(
        weights, weights_backbone, progress, trainable_backbone_layers, v2=True
    )
    mask_head = MaskRCNNHeads(
        backbone.out_channels, [256, 256, 256, 256], 1, norm_layer=nn.BatchNorm2d
    )
    model = MaskRCNN(
        backbone, num_classes=num_classes, mask_head=mask_head, **_v2_heads(backbone), **kwargs
    )
    return _load_weights(model, weights)
