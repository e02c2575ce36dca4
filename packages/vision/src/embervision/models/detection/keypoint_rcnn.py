"""Keypoint R-CNN (the keypoint branch of Mask R-CNN, He et al., 2017) as torchvision builds
it: Faster R-CNN with a keypoint heatmap branch, and the ResNet-50-FPN builder."""

from __future__ import annotations

from ember import nn
from ember.nn import functional as F

from ...ops.poolers import MultiScaleRoIAlign
from .._api import register_model
from .faster_rcnn import FasterRCNN, _load_coco_v1, _resnet50_fpn

__all__ = ["KeypointRCNN", "keypointrcnn_resnet50_fpn"]


class KeypointRCNN(FasterRCNN):
    """Implements Keypoint R-CNN.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes.

    During training, the model expects both the input tensors and targets (list of
    dictionary), containing:

        - boxes (``FloatTensor[N, 4]``): the ground-truth boxes in ``[x1, y1, x2, y2]``
          format, with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the class label for each ground-truth box
        - keypoints (FloatTensor[N, K, 3]): the K keypoints location for each of the N
          instances, in the format [x, y, visibility], where visibility=0 means that the
          keypoint is not visible.

    The model returns a Dict[Tensor] during training, containing the classification and
    regression losses for both the RPN and the R-CNN, and the keypoint loss
    (``loss_keypoint``).

    During inference, the model requires only the input tensors, and returns the
    post-processed predictions as a List[Dict[Tensor]], one for each input image. The fields
    of the Dict are as follows:

        - boxes (``FloatTensor[N, 4]``): the predicted boxes in ``[x1, y1, x2, y2]`` format,
          with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the predicted labels for each image
        - scores (Tensor[N]): the scores or each prediction
        - keypoints (FloatTensor[N, K, 3]): the locations of the predicted keypoints, in
          [x, y, v] format.
        - keypoints_scores (FloatTensor[N, K]): the heatmap score of each keypoint.

    Args:
        backbone, num_classes, ..., bbox_reg_weights: as :class:`FasterRCNN`, except
            ``min_size``, whose default is (640, 672, 704, 736, 768, 800) (training draws one;
            evaluation uses 800).
        keypoint_roi_pool (MultiScaleRoIAlign): the module which crops and resizes the feature
            maps in the locations indicated by the bounding boxes, which will be used for the
            keypoint head. Default: 14 × 14 from the maps ``'0'`` to ``'3'``.
        keypoint_head (nn.Module): module that takes the cropped feature maps as input.
            Default: :class:`KeypointRCNNHeads` with eight 512-channel layers.
        keypoint_predictor (nn.Module): module that takes the output of the keypoint_head and
            returns the heatmap logits. Default: :class:`KeypointRCNNPredictor`.
        num_keypoints (int, optional): the keypoints of the default predictor. Default: 17.
    """

    def __init__(
        self,
        backbone,
        num_classes=None,
        # transform parameters
        min_size=None,
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
        # keypoint parameters
        keypoint_roi_pool=None,
        keypoint_head=None,
        keypoint_predictor=None,
        num_keypoints=None,
        **kwargs,
    ):
        if not isinstance(keypoint_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(
                "keypoint_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                f"{type(keypoint_roi_pool)}"
            )
        if min_size is None:
            min_size = (640, 672, 704, 736, 768, 800)

        if num_keypoints is not None:
            if keypoint_predictor is not None:
                raise ValueError(
                    "num_keypoints should be None when keypoint_predictor is specified"
                )
        else:
            num_keypoints = 17

        out_channels = backbone.out_channels

        if keypoint_roi_pool is None:
            keypoint_roi_pool = MultiScaleRoIAlign(
                featmap_names=["0", "1", "2", "3"], output_size=14, sampling_ratio=2
            )

        if keypoint_head is None:
            keypoint_layers = tuple(512 for _ in range(8))
            keypoint_head = KeypointRCNNHeads(out_channels, keypoint_layers)

        if keypoint_predictor is None:
            keypoint_dim_reduced = 512  # == keypoint_layers[-1]
            keypoint_predictor = KeypointRCNNPredictor(keypoint_dim_reduced, num_keypoints)

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

        self.roi_heads.keypoint_roi_pool = keypoint_roi_pool
        self.roi_heads.keypoint_head = keypoint_head
        self.roi_heads.keypoint_predictor = keypoint_predictor


class KeypointRCNNHeads(nn.Sequential):
    """The keypoint head: 3×3 convolutions (with bias), each followed by ReLU.

    Args:
        in_channels (int): number of input channels
        layers (list): the output channels of each convolution
    """

    def __init__(self, in_channels, layers):
        d = []
        next_feature = in_channels
        for out_channels in layers:
            d.append(nn.Conv2d(next_feature, out_channels, 3, stride=1, padding=1))
            d.append(nn.ReLU(inplace=True))
            next_feature = out_channels
        super().__init__(*d)
        for m in self.children():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(m.bias, 0)


class KeypointRCNNPredictor(nn.Module):
    """A 4×4 stride-2 transposed convolution to one heatmap per keypoint
    (``kps_score_lowres``), then a bilinear ×2 upsampling.

    Args:
        in_channels (int): number of input channels
        num_keypoints (int): number of keypoints (output channels)
    """

    def __init__(self, in_channels, num_keypoints):
        super().__init__()
        input_features = in_channels
        deconv_kernel = 4
        self.kps_score_lowres = nn.ConvTranspose2d(
            input_features,
            num_keypoints,
            deconv_kernel,
            stride=2,
            padding=deconv_kernel // 2 - 1,
        )
        nn.init.kaiming_normal_(self.kps_score_lowres.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(self.kps_score_lowres.bias, 0)
        self.up_scale = 2
        self.out_channels = num_keypoints

    def forward(self, x):
        x = self.kps_score_lowres(x)
        return F.interpolate(
            x,
            scale_factor=float(self.up_scale),
            mode="bilinear",
            align_corners=False,
            recompute_scale_factor=False,
        )


@register_model()
def keypointrcnn_resnet50_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    num_keypoints=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Constructs a Keypoint R-CNN model with a ResNet-50-FPN backbone; 59,137,258 parameters
    with a pretrained (frozen batch norm) backbone, 59,190,378 without.

    Reference: `Mask R-CNN <https://arxiv.org/abs/1703.06870>`__.

    Input, training targets and outputs are those of :class:`KeypointRCNN`; the arguments those
    of :func:`~embervision.models.detection.fasterrcnn_resnet50_fpn` (``weights`` sets the eps
    of the frozen batch norms to 0 for torchvision's COCO_V1 checkpoint; its COCO_LEGACY one
    was trained with the default eps), except:

    Args:
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 2 (person and background).
        num_keypoints (int, optional): number of keypoints. Default: 17 (COCO's).
    """
    if num_classes is None:
        num_classes = 2
    if num_keypoints is None:
        num_keypoints = 17
    backbone = _resnet50_fpn(weights, weights_backbone, progress, trainable_backbone_layers)
    model = KeypointRCNN(backbone, num_classes, num_keypoints=num_keypoints, **kwargs)
    return _load_coco_v1(model, weights)
