"""SSDlite (section 6.2 of the MobileNetV2 paper) as torchvision builds it: SSD with depthwise
separable prediction heads and extra layers, on a MobileNetV3-Large cut at C4 and C5, and the
320 × 320 builder."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from functools import partial

from ember import nn

from ...ops.misc import Conv2dNormActivation
from .._api import _load_weights, register_model
from ..mobilenetv3 import mobilenet_v3_large
from . import _utils as det_utils
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .ssd import SSD, SSDScoringHead

__all__ = ["ssdlite320_mobilenet_v3_large"]


# Building blocks of SSDlite as described in section 6.2 of MobileNetV2 paper
def _prediction_block(in_channels, out_channels, kernel_size, norm_layer):
    return nn.Sequential(
        # 3x3 depthwise with stride 1 and padding 1
        Conv2dNormActivation(
            in_channels,
            in_channels,
            kernel_size=kernel_size,
            groups=in_channels,
            norm_layer=norm_layer,
            activation_layer=nn.ReLU6,
        ),
        # 1x1 projetion to output channels
        nn.Conv2d(in_channels, out_channels, 1),
    )


def _extra_block(in_channels, out_channels, norm_layer):
    activation = nn.ReLU6
    intermediate_channels = out_channels // 2
    return nn.Sequential(
        # 1x1 projection to half output channels
        Conv2dNormActivation(
            in_channels,
            intermediate_channels,
            kernel_size=1,
            norm_layer=norm_layer,
            activation_layer=activation,
        ),
        # 3x3 depthwise with stride 2 and padding 1
        Conv2dNormActivation(
            intermediate_channels,
            intermediate_channels,
            kernel_size=3,
            stride=2,
            groups=intermediate_channels,
            norm_layer=norm_layer,
            activation_layer=activation,
        ),
        # 1x1 projetion to output channels
        Conv2dNormActivation(
            intermediate_channels,
            out_channels,
            kernel_size=1,
            norm_layer=norm_layer,
            activation_layer=activation,
        ),
    )


def _normal_init(conv):
    for layer in conv.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=0.03)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDLiteHead(nn.Module):
    """The classification and regression heads of SSDlite.

    Args:
        in_channels (list[int]): the number of channels of every feature map.
        num_anchors (list[int]): the number of default boxes per location of every map.
        num_classes (int): number of classes to be predicted (including the background).
        norm_layer (callable): the normalisation layer of the depthwise convolutions.
    """

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer):
        super().__init__()
        self.classification_head = SSDLiteClassificationHead(
            in_channels, num_anchors, num_classes, norm_layer
        )
        self.regression_head = SSDLiteRegressionHead(in_channels, num_anchors, norm_layer)

    def forward(self, x):
        """``bbox_regression`` ``[N, HWA, 4]`` and ``cls_logits`` ``[N, HWA, K]`` of the
        feature maps in the list ``x``, concatenated over the maps."""
        return {
            "bbox_regression": self.regression_head(x),
            "cls_logits": self.classification_head(x),
        }


class SSDLiteClassificationHead(SSDScoringHead):
    """A 3×3 depthwise convolution (with ``norm_layer`` and ReLU6) and a 1×1 convolution to
    ``num_classes`` logits per default box, for every feature map; arguments as
    :class:`SSDLiteHead`."""

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer):
        cls_logits = nn.ModuleList()
        for channels, anchors in zip(in_channels, num_anchors):
            cls_logits.append(_prediction_block(channels, num_classes * anchors, 3, norm_layer))
        _normal_init(cls_logits)
        super().__init__(cls_logits, num_classes)


class SSDLiteRegressionHead(SSDScoringHead):
    """A 3×3 depthwise convolution (with ``norm_layer`` and ReLU6) and a 1×1 convolution to 4
    box deltas per default box, for every feature map; arguments as :class:`SSDLiteHead`,
    without ``num_classes``."""

    def __init__(self, in_channels, num_anchors, norm_layer):
        bbox_reg = nn.ModuleList()
        for channels, anchors in zip(in_channels, num_anchors):
            bbox_reg.append(_prediction_block(channels, 4 * anchors, 3, norm_layer))
        _normal_init(bbox_reg)
        super().__init__(bbox_reg, 4)


class SSDLiteFeatureExtractorMobileNet(nn.Module):
    """The feature maps of SSDlite from a MobileNet's ``features`` (section 6.3 of the
    MobileNetV3 paper): the expansion layer of the C4 block, the last layer, and four extra
    blocks (1×1, 3×3 depthwise stride 2, 1×1) of 512, 256, 256 and 128 channels (times
    ``width_mult``, at least ``min_depth``).

    Args:
        backbone (nn.Sequential): the ``features`` of a MobileNet.
        c4_pos (int): the index of the C4 block in ``backbone``.
        norm_layer (callable): the normalisation layer of the extra blocks.
        width_mult (float): the extra blocks' width multiplier. Default: 1.0.
        min_depth (int): the extra blocks' least number of channels. Default: 16.
    """

    def __init__(self, backbone, c4_pos, norm_layer, width_mult=1.0, min_depth=16):
        super().__init__()
        if backbone[c4_pos].use_res_connect:
            raise ValueError("backbone[c4_pos].use_res_connect should be False")

        self.features = nn.Sequential(
            # As described in section 6.3 of MobileNetV3 paper
            # from start until C4 expansion layer
            nn.Sequential(*backbone[:c4_pos], backbone[c4_pos].block[0]),
            # from C4 depthwise until end
            nn.Sequential(backbone[c4_pos].block[1:], *backbone[c4_pos + 1 :]),
        )

        def get_depth(d):
            return max(min_depth, int(d * width_mult))

        extra = nn.ModuleList(
            [
                _extra_block(backbone[-1].out_channels, get_depth(512), norm_layer),
                _extra_block(get_depth(512), get_depth(256), norm_layer),
                _extra_block(get_depth(256), get_depth(256), norm_layer),
                _extra_block(get_depth(256), get_depth(128), norm_layer),
            ]
        )
        _normal_init(extra)
        self.extra = extra

    def forward(self, x):
        """The feature maps ``"0"`` (C4 expansion) to ``"5"``."""
        output = []
        for block in self.features:
            x = block(x)
            output.append(x)
        for block in self.extra:
            x = block(x)
            output.append(x)
        return OrderedDict([(str(i), v) for i, v in enumerate(output)])


def _mobilenet_extractor(backbone, trainable_layers, norm_layer):
    """An :class:`SSDLiteFeatureExtractorMobileNet` of the MobileNet ``backbone``'s features,
    with all but the last ``trainable_layers`` of its stages (the stem, the strided blocks and
    the last layer) frozen."""
    backbone = backbone.features
    # Gather the indices of blocks which are strided. These are the locations of C1, ...,
    # Cn-1 blocks. The first and last blocks are always included because they are the C0
    # (conv1) and Cn.
    stage_indices = (
        [0]
        + [i for i, b in enumerate(backbone) if getattr(b, "_is_cn", False)]
        + [len(backbone) - 1]
    )
    num_stages = len(stage_indices)

    # find the index of the layer from which we won't freeze
    if not 0 <= trainable_layers <= num_stages:
        raise ValueError(
            f"trainable_layers should be in the range [0, {num_stages}], instead got "
            f"{trainable_layers}"
        )
    det_utils._freeze_stages(backbone, stage_indices, trainable_layers)
    return SSDLiteFeatureExtractorMobileNet(backbone, stage_indices[-2], norm_layer)


@register_model()
def ssdlite320_mobilenet_v3_large(
    *,
    weights=None,
    progress=True,
    num_classes=None,
    weights_backbone=None,
    trainable_backbone_layers=None,
    norm_layer=None,
    **kwargs,
):
    """SSDlite model architecture with input size 320x320 and a MobileNetV3 Large backbone,
    as described at `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`__ and
    `MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`__; 3,440,060 parameters (with the reduced tail used
    without a pretrained backbone, as by torchvision's COCO checkpoint).

    See :func:`ssd300_vgg16` for more details: this is an :class:`SSD` with an
    :class:`SSDLiteHead`, images resized to 320 × 320 and scaled to ``[-1, 1]``, six maps of
    six default boxes per location, and score threshold 0.001, NMS threshold 0.55, 300
    candidates and 300 detections.

    Example::

        >>> model = embervision.models.detection.ssdlite320_mobilenet_v3_large(
        ...     weights="ssdlite320.pth")
        >>> model.eval()
        >>> predictions = model([ember.rand(3, 320, 320), ember.rand(3, 500, 400)])

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict
            of the whole model (torchvision's keys), loaded strictly. Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 91 (COCO).
        weights_backbone (str or os.PathLike, optional): a local state dict of the
            MobileNetV3-Large (ignored when ``weights`` is given). Without one, the backbone
            has the reduced tail (Table 6 of the MobileNetV3 paper) and the initialisation
            N(0, 0.03²).
        trainable_backbone_layers (int, optional): number of trainable (not frozen) layers
            starting from final block. Valid values are between 0 and 6, with 6 meaning all
            backbone layers are trainable. If ``None`` is passed (the default) this value is
            set to 6.
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: ``BatchNorm2d(eps=0.001, momentum=0.03)``.
        **kwargs: parameters passed to the :class:`SSD` class (and to
            :func:`~embervision.models.mobilenet_v3_large`, as in torchvision); a ``size`` is
            ignored with a warning.
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
        weights is not None or weights_backbone is not None, trainable_backbone_layers, 6, 6
    )

    # Enable reduced tail if no pretrained backbone is selected. See Table 6 of MobileNetV3
    # paper.
    reduce_tail = weights_backbone is None

    if norm_layer is None:
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)

    backbone = mobilenet_v3_large(
        weights=weights_backbone,
        progress=progress,
        norm_layer=norm_layer,
        reduced_tail=reduce_tail,
        **kwargs,
    )
    if weights_backbone is None:
        # Change the default initialization scheme if not pretrained
        _normal_init(backbone)
    backbone = _mobilenet_extractor(backbone, trainable_backbone_layers, norm_layer)

    size = (320, 320)
    anchor_generator = DefaultBoxGenerator(
        [[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95
    )
    out_channels = det_utils.retrieve_out_channels(backbone, size)
    num_anchors = anchor_generator.num_anchors_per_location()
    if len(out_channels) != len(anchor_generator.aspect_ratios):
        raise ValueError(
            f"The length of the output channels from the backbone {len(out_channels)} do not "
            "match the length of the anchor generator aspect ratios "
            f"{len(anchor_generator.aspect_ratios)}"
        )

    defaults = {
        "score_thresh": 0.001,
        "nms_thresh": 0.55,
        "detections_per_img": 300,
        "topk_candidates": 300,
        # Rescale the input in a way compatible to the backbone:
        # The following mean/std rescale the data from [0, 1] to [-1, 1]
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
    }
    kwargs = {**defaults, **kwargs}
    model = SSD(
        backbone,
        anchor_generator,
        size,
        num_classes,
        head=SSDLiteHead(out_channels, num_anchors, num_classes, norm_layer),
        **kwargs,
    )
    return _load_weights(model, weights)
