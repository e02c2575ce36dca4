"""Faster R-CNN (Ren et al., 2015) as torchvision builds it: the model, its box heads and the
ResNet-50-FPN (v1 and v2) and MobileNetV3-Large-FPN builders."""

from __future__ import annotations

from ember import nn
from ember.nn import functional as F

from ...ops import misc as misc_nn_ops
from ...ops.poolers import MultiScaleRoIAlign
from .._api import _load_weights, register_model
from ..mobilenetv3 import mobilenet_v3_large
from ..resnet import resnet50
from ._utils import _require_out_channels, overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import (
    _mobilenet_extractor,
    _resnet_fpn_extractor,
    _validate_trainable_layers,
)
from .generalized_rcnn import GeneralizedRCNN
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import _imagenet_transform

__all__ = [
    "FasterRCNN",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
]


def _default_anchorgen():
    anchor_sizes = ((32,), (64,), (128,), (256,), (512,))
    aspect_ratios = ((0.5, 1.0, 2.0),) * len(anchor_sizes)
    return AnchorGenerator(anchor_sizes, aspect_ratios)


class FasterRCNN(GeneralizedRCNN):
    """Implements Faster R-CNN.

    The input to the model is expected to be a list of tensors, each of shape [C, H, W], one
    for each image, and should be in 0-1 range. Different images can have different sizes.

    The behavior of the model changes depending on if it is in training or evaluation mode.

    During training, the model expects both the input tensors and targets (list of
    dictionary), containing:

        - boxes (``FloatTensor[N, 4]``): the ground-truth boxes in ``[x1, y1, x2, y2]``
          format, with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the class label for each ground-truth box

    The model returns a Dict[Tensor] during training, containing the classification and
    regression losses for both the RPN and the R-CNN (``loss_classifier``, ``loss_box_reg``,
    ``loss_objectness``, ``loss_rpn_box_reg``).

    During inference, the model requires only the input tensors, and returns the
    post-processed predictions as a List[Dict[Tensor]], one for each input image. The fields
    of the Dict are as follows:

        - boxes (``FloatTensor[N, 4]``): the predicted boxes in ``[x1, y1, x2, y2]`` format,
          with ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``.
        - labels (Int64Tensor[N]): the predicted labels for each image
        - scores (Tensor[N]): the scores or each prediction

    Args:
        backbone (nn.Module): the network used to compute the features for the model. It should
            contain an out_channels attribute, which indicates the number of output channels
            that each feature map has (and it should be the same for all feature maps). The
            backbone should return a single Tensor or and OrderedDict[Tensor].
        num_classes (int): number of output classes of the model (including the background).
            If box_predictor is specified, num_classes should be None.
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
        rpn_anchor_generator (AnchorGenerator): module that generates the anchors for a set of
            feature maps.
        rpn_head (nn.Module): module that computes the objectness and regression deltas from
            the RPN
        rpn_pre_nms_top_n_train (int): number of proposals to keep before applying NMS during
            training
        rpn_pre_nms_top_n_test (int): number of proposals to keep before applying NMS during
            testing
        rpn_post_nms_top_n_train (int): number of proposals to keep after applying NMS during
            training
        rpn_post_nms_top_n_test (int): number of proposals to keep after applying NMS during
            testing
        rpn_nms_thresh (float): NMS threshold used for postprocessing the RPN proposals
        rpn_fg_iou_thresh (float): minimum IoU between the anchor and the GT box so that they
            can be considered as positive during training of the RPN.
        rpn_bg_iou_thresh (float): maximum IoU between the anchor and the GT box so that they
            can be considered as negative during training of the RPN.
        rpn_batch_size_per_image (int): number of anchors that are sampled during training of
            the RPN for computing the loss
        rpn_positive_fraction (float): proportion of positive anchors in a mini-batch during
            training of the RPN
        rpn_score_thresh (float): only return proposals with an objectness score greater than
            rpn_score_thresh
        box_roi_pool (MultiScaleRoIAlign): the module which crops and resizes the feature maps
            in the locations indicated by the bounding boxes
        box_head (nn.Module): module that takes the cropped feature maps as input
        box_predictor (nn.Module): module that takes the output of box_head and returns the
            classification logits and box regression deltas.
        box_score_thresh (float): during inference, only return proposals with a
            classification score greater than box_score_thresh
        box_nms_thresh (float): NMS threshold for the prediction head. Used during inference
        box_detections_per_img (int): maximum number of detections per image, for all classes.
        box_fg_iou_thresh (float): minimum IoU between the proposals and the GT box so that
            they can be considered as positive during training of the classification head
        box_bg_iou_thresh (float): maximum IoU between the proposals and the GT box so that
            they can be considered as negative during training of the classification head
        box_batch_size_per_image (int): number of proposals that are sampled during training of
            the classification head
        box_positive_fraction (float): proportion of positive proposals in a mini-batch during
            training of the classification head
        bbox_reg_weights (Tuple[float, float, float, float]): weights for the encoding/decoding
            of the bounding boxes
        **kwargs: passed to :class:`GeneralizedRCNNTransform` (``size_divisible``,
            ``fixed_size``, ``_skip_resize``).

    Example::

        >>> backbone = embervision.models.mobilenet_v2().features
        >>> backbone.out_channels = 1280
        >>> anchor_generator = AnchorGenerator(sizes=((32, 64, 128, 256, 512),),
        ...                                    aspect_ratios=((0.5, 1.0, 2.0),))
        >>> roi_pooler = embervision.ops.MultiScaleRoIAlign(featmap_names=['0'],
        ...                                                 output_size=7,
        ...                                                 sampling_ratio=2)
        >>> model = FasterRCNN(backbone,
        ...                    num_classes=2,
        ...                    rpn_anchor_generator=anchor_generator,
        ...                    box_roi_pool=roi_pooler)
        >>> model.eval()
        >>> predictions = model([ember.rand(3, 300, 400), ember.rand(3, 500, 400)])
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
        **kwargs,
    ):
        _require_out_channels(backbone)

        if not isinstance(rpn_anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(
                "rpn_anchor_generator should be of type AnchorGenerator or None instead of "
                f"{type(rpn_anchor_generator)}"
            )
        if not isinstance(box_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(
                "box_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                f"{type(box_roi_pool)}"
            )

        if num_classes is not None:
            if box_predictor is not None:
                raise ValueError("num_classes should be None when box_predictor is specified")
        elif box_predictor is None:
            raise ValueError("num_classes should not be None when box_predictor is not specified")

        out_channels = backbone.out_channels

        if rpn_anchor_generator is None:
            rpn_anchor_generator = _default_anchorgen()
        if rpn_head is None:
            rpn_head = RPNHead(out_channels, rpn_anchor_generator.num_anchors_per_location()[0])

        rpn_pre_nms_top_n = dict(training=rpn_pre_nms_top_n_train, testing=rpn_pre_nms_top_n_test)
        rpn_post_nms_top_n = dict(
            training=rpn_post_nms_top_n_train, testing=rpn_post_nms_top_n_test
        )

        rpn = RegionProposalNetwork(
            rpn_anchor_generator,
            rpn_head,
            rpn_fg_iou_thresh,
            rpn_bg_iou_thresh,
            rpn_batch_size_per_image,
            rpn_positive_fraction,
            rpn_pre_nms_top_n,
            rpn_post_nms_top_n,
            rpn_nms_thresh,
            score_thresh=rpn_score_thresh,
        )

        if box_roi_pool is None:
            box_roi_pool = MultiScaleRoIAlign(
                featmap_names=["0", "1", "2", "3"], output_size=7, sampling_ratio=2
            )

        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            representation_size = 1024
            box_head = TwoMLPHead(out_channels * resolution**2, representation_size)

        if box_predictor is None:
            representation_size = 1024
            box_predictor = FastRCNNPredictor(representation_size, num_classes)

        roi_heads = RoIHeads(
            # Box
            box_roi_pool,
            box_head,
            box_predictor,
            box_fg_iou_thresh,
            box_bg_iou_thresh,
            box_batch_size_per_image,
            box_positive_fraction,
            bbox_reg_weights,
            box_score_thresh,
            box_nms_thresh,
            box_detections_per_img,
        )

        transform = _imagenet_transform(min_size, max_size, image_mean, image_std, **kwargs)

        super().__init__(backbone, rpn, roi_heads, transform)


class TwoMLPHead(nn.Module):
    """Standard heads for FPN-based models: the pooled features flattened, then two linear
    layers (``fc6``, ``fc7``) with ReLU.

    Args:
        in_channels (int): number of input channels
        representation_size (int): size of the intermediate representation
    """

    def __init__(self, in_channels, representation_size):
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        x = F.relu(self.fc6(x))
        return F.relu(self.fc7(x))


class FastRCNNConvFCHead(nn.Sequential):
    """The box head of the v2 models: 3×3 convolution blocks (with ``norm_layer``), a flatten,
    then linear layers with ReLU.

    Args:
        input_size (Tuple[int, int, int]): the input size in CHW format.
        conv_layers (list): feature dimensions of each Convolution layer
        fc_layers (list): feature dimensions of each FCN layer
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: None
    """

    def __init__(self, input_size, conv_layers, fc_layers, norm_layer=None):
        in_channels, in_height, in_width = input_size

        blocks = []
        previous_channels = in_channels
        for current_channels in conv_layers:
            blocks.append(
                misc_nn_ops.Conv2dNormActivation(
                    previous_channels, current_channels, norm_layer=norm_layer
                )
            )
            previous_channels = current_channels
        blocks.append(nn.Flatten())
        previous_channels = previous_channels * in_height * in_width
        for current_channels in fc_layers:
            blocks.append(nn.Linear(previous_channels, current_channels))
            blocks.append(nn.ReLU(inplace=True))
            previous_channels = current_channels

        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


class FastRCNNPredictor(nn.Module):
    """Standard classification + bounding box regression layers for Fast R-CNN.

    Args:
        in_channels (int): number of input channels
        num_classes (int): number of output classes (including background)
    """

    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x):
        if x.dim() == 4 and list(x.shape[2:]) != [1, 1]:
            raise AssertionError(
                "x has the wrong shape, expecting the last two dimensions to be [1,1] "
                f"instead of {list(x.shape[2:])}"
            )
        x = x.flatten(start_dim=1)
        scores = self.cls_score(x)
        bbox_deltas = self.bbox_pred(x)
        return scores, bbox_deltas


def _resnet50_fpn(weights, weights_backbone, progress, trainable_backbone_layers, v2=False):
    """The ResNet-50-FPN backbone of the R-CNN builders and ``weights_backbone`` as used.

    A checkpoint (``weights``) holds the backbone too, so ``weights_backbone`` is then
    ignored. With pretrained weights of either kind ``trainable_backbone_layers`` (default 3,
    of 5) are trained, else all of them. v1 freezes its batch norms
    (:class:`~embervision.ops.FrozenBatchNorm2d`) when pretrained; v2 keeps ``BatchNorm2d``
    and puts batch norms in the FPN too.
    """
    if weights is not None:
        weights_backbone = None
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(
        is_trained, trainable_backbone_layers, 5, 3
    )
    if v2:
        backbone = resnet50(weights=weights_backbone, progress=progress)
        return _resnet_fpn_extractor(backbone, trainable_backbone_layers, norm_layer=nn.BatchNorm2d)
    norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    return _resnet_fpn_extractor(backbone, trainable_backbone_layers)


def _v2_heads(backbone):
    """The RPN head (two convolutions) and box head (four convolutions with batch norm and
    one linear layer) of the v2 models, as FasterRCNN keyword arguments."""
    rpn_anchor_generator = _default_anchorgen()
    rpn_head = RPNHead(
        backbone.out_channels, rpn_anchor_generator.num_anchors_per_location()[0], conv_depth=2
    )
    box_head = FastRCNNConvFCHead(
        (backbone.out_channels, 7, 7), [256, 256, 256, 256], [1024], norm_layer=nn.BatchNorm2d
    )
    return {
        "rpn_anchor_generator": rpn_anchor_generator,
        "rpn_head": rpn_head,
        "box_head": box_head,
    }


def _load_coco_v1(model, weights):
    """Load ``weights`` strictly; torchvision's COCO_V1 checkpoints of the v1 ResNet-50 models
    were trained with frozen batch norms of eps 0, which is then set (``overwrite_eps``)."""
    _load_weights(model, weights)
    if weights is not None:
        overwrite_eps(model, 0.0)
    return model


@register_model()
def fasterrcnn_resnet50_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Faster R-CNN model with a ResNet-50-FPN backbone from the `Faster R-CNN: Towards
    Real-Time Object Detection with Region Proposal Networks <https://arxiv.org/abs/1506.01497>`__
    paper; 41,755,286 parameters with a pretrained (frozen batch norm) backbone, 41,808,406
    without.

    Input, training targets and outputs are those of :class:`FasterRCNN`.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict
            of the whole model (torchvision's keys), loaded strictly; its frozen batch norms
            then get eps 0, as torchvision's COCO_V1 checkpoint needs. Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 91 (COCO).
        weights_backbone (str or os.PathLike, optional): a local state dict of the ResNet-50
            (ignored when ``weights`` is given).
        trainable_backbone_layers (int, optional): number of trainable (not frozen) layers
            starting from final block. Valid values are between 0 and 5, with 5 meaning all
            backbone layers are trainable. If ``None`` is passed (the default) this value is
            set to 3 (5 without pretrained weights).
        **kwargs: parameters passed to the :class:`FasterRCNN` class.
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_fpn(weights, weights_backbone, progress, trainable_backbone_layers)
    model = FasterRCNN(backbone, num_classes=num_classes, **kwargs)
    return _load_coco_v1(model, weights)


@register_model()
def fasterrcnn_resnet50_fpn_v2(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Constructs an improved Faster R-CNN model with a ResNet-50-FPN backbone from
    `Benchmarking Detection Transfer Learning with Vision Transformers
    <https://arxiv.org/abs/2111.11429>`__ paper; 43,712,278 parameters.

    It works similarly to Faster R-CNN with ResNet-50 FPN backbone (arguments as
    :func:`fasterrcnn_resnet50_fpn`, without the eps overwrite): batch norms in the backbone,
    FPN and box head (a :class:`FastRCNNConvFCHead`), and a two-convolution RPN head.
    """
    if num_classes is None:
        num_classes = 91
    backbone = _resnet50_fpn(
        weights, weights_backbone, progress, trainable_backbone_layers, v2=True
    )
    model = FasterRCNN(backbone, num_classes=num_classes, **_v2_heads(backbone), **kwargs)
    return _load_weights(model, weights)


def _fasterrcnn_mobilenet_v3_large_fpn(
    *, weights, progress, num_classes, weights_backbone, trainable_backbone_layers, **kwargs
):
    if weights is not None:
        weights_backbone = None
    if num_classes is None:
        num_classes = 91

    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(
        is_trained, trainable_backbone_layers, 6, 3
    )
    norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d

    backbone = mobilenet_v3_large(
        weights=weights_backbone, progress=progress, norm_layer=norm_layer
    )
    backbone = _mobilenet_extractor(backbone, True, trainable_backbone_layers)
    anchor_sizes = ((32, 64, 128, 256, 512),) * 3
    aspect_ratios = ((0.5, 1.0, 2.0),) * len(anchor_sizes)
    model = FasterRCNN(
        backbone,
        num_classes,
        rpn_anchor_generator=AnchorGenerator(anchor_sizes, aspect_ratios),
        **kwargs,
    )
    return _load_weights(model, weights)


@register_model()
def fasterrcnn_mobilenet_v3_large_320_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Low resolution Faster R-CNN model with a MobileNetV3-Large backbone tuned for mobile use
    cases; 19,386,354 parameters with a pretrained backbone.

    :func:`fasterrcnn_mobilenet_v3_large_fpn` with images resized to 320 (at most 640) and
    150 proposals before and after NMS in evaluation (``rpn_score_thresh`` 0.05); arguments as
    there.
    """
    defaults = {
        "min_size": 320,
        "max_size": 640,
        "rpn_pre_nms_top_n_test": 150,
        "rpn_post_nms_top_n_test": 150,
        "rpn_score_thresh": 0.05,
    }
    kwargs = {**defaults, **kwargs}
    return _fasterrcnn_mobilenet_v3_large_fpn(
        weights=weights,
        progress=progress,
        num_classes=num_classes,
        weights_backbone=weights_backbone,
        trainable_backbone_layers=trainable_backbone_layers,
        **kwargs,
    )


@register_model()
def fasterrcnn_mobilenet_v3_large_fpn(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    **kwargs,
):
    """Constructs a high resolution Faster R-CNN model with a MobileNetV3-Large FPN backbone;
    19,386,354 parameters with a pretrained (frozen batch norm) backbone, 19,410,754 without.

    The FPN takes the last two stages of the MobileNetV3-Large ``features``; the anchors are
    of sizes 32 to 512 and three ratios on each of its three maps, and proposals need an
    objectness of 0.05 (``rpn_score_thresh``).

    Args:
        weights (str or os.PathLike, optional): a local state dict of the whole model, loaded
            strictly. Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 91 (COCO).
        weights_backbone (str or os.PathLike, optional): a local state dict of the
            MobileNetV3-Large (ignored when ``weights`` is given).
        trainable_backbone_layers (int, optional): number of trainable (not frozen) layers
            starting from final block. Valid values are between 0 and 6, with 6 meaning all
            backbone layers are trainable. If ``None`` is passed (the default) this value is
            set to 3 (6 without pretrained weights).
        **kwargs: parameters passed to the :class:`FasterRCNN` class.
    """
    defaults = {
        "rpn_score_thresh": 0.05,
    }
    kwargs = {**defaults, **kwargs}
    return _fasterrcnn_mobilenet_v3_large_fpn(
        weights=weights,
        progress=progress,
        num_classes=num_classes,
        weights_backbone=weights_backbone,
        trainable_backbone_layers=trainable_backbone_layers,
        **kwargs,
    )
