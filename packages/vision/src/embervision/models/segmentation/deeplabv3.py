"""DeepLabV3 (Chen et al., 2017) on a dilated ResNet or MobileNetV3-Large, as torchvision
builds it."""

from __future__ import annotations

from functools import partial

import ember
from ember import nn
from ember.nn import functional as F

from .._api import register_model
from .._utils import IntermediateLayerGetter
from ..mobilenetv3 import mobilenet_v3_large
from ..resnet import resnet50, resnet101
from ._utils import (
    _mobilenetv3_stages,
    _resnet_features,
    _segmentation_model,
    _SimpleSegmentationModel,
)
from .fcn import _DILATION, FCNHead

__all__ = [
    "DeepLabV3",
    "deeplabv3_mobilenet_v3_large",
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
]


class DeepLabV3(_SimpleSegmentationModel):
    """Implements DeepLabV3 model from `"Rethinking Atrous Convolution for Semantic Image
    Segmentation" <https://arxiv.org/abs/1706.05587>`_.

    Arguments and output as :class:`~embervision.models.segmentation.FCN`: a dict with
    ``"out"`` (and ``"aux"``) logits at the input's height and width.
    """


class DeepLabHead(nn.Sequential):
    """:class:`ASPP` (256 channels), a 3×3 convolution, BatchNorm2d, ReLU and a 1×1
    convolution (with bias) to ``num_classes`` outputs.

    Args:
        in_channels (int): channels of the input features.
        num_classes (int): output channels.
        atrous_rates (Sequence[int]): dilations of ASPP's three 3×3 branches.
            Default: (12, 24, 36).
    """

    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


class ASPPConv(nn.Sequential):
    """A 3×3 convolution with dilation ``dilation`` (padded to keep the size), BatchNorm2d
    and ReLU: one atrous branch of :class:`ASPP`."""

    def __init__(self, in_channels, out_channels, dilation):
        modules = [
            nn.Conv2d(
                in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        ]
        super().__init__(*modules)


class ASPPPooling(nn.Sequential):
    """The image-level branch of :class:`ASPP`: global average pooling, a 1×1 convolution,
    BatchNorm2d and ReLU, then bilinear upsampling back to the input's size."""

    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous Spatial Pyramid Pooling: a 1×1 branch, one :class:`ASPPConv` per rate and an
    :class:`ASPPPooling` branch (``convs``), concatenated along the channels and projected
    by ``project`` (1×1 convolution, BatchNorm2d, ReLU, Dropout(0.5)).

    Args:
        in_channels (int): channels of the input features.
        atrous_rates (Sequence[int]): dilations of the 3×3 branches.
        out_channels (int): channels of every branch and of the output. Default: 256.
    """

    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = [
            nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            )
        ]
        for rate in tuple(atrous_rates):
            modules.append(ASPPConv(in_channels, out_channels, rate))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)

        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        res = ember.cat([conv(x) for conv in self.convs], dim=1)
        return self.project(res)


def _deeplabv3_resnet(backbone, num_classes, aux):
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    classifier = DeepLabHead(2048, num_classes)
    return DeepLabV3(_resnet_features(backbone, aux), classifier, aux_classifier)


def _deeplabv3_mobilenetv3(backbone, num_classes, aux):
    backbone = backbone.features
    stage_indices = _mobilenetv3_stages(backbone)
    out_pos = stage_indices[-1]  # use C5 which has output_stride = 16
    out_inplanes = backbone[out_pos].out_channels
    aux_pos = stage_indices[-4]  # use C2 here which has output_stride = 8
    aux_inplanes = backbone[aux_pos].out_channels
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)

    aux_classifier = FCNHead(aux_inplanes, num_classes) if aux else None
    classifier = DeepLabHead(out_inplanes, num_classes)
    return DeepLabV3(backbone, classifier, aux_classifier)


@register_model()
def deeplabv3_resnet50(
    *, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs
):
    """Constructs a DeepLabV3 model with a ResNet-50 backbone, 42,004,074 parameters with
    ``aux_loss=True``.

    Reference: `Rethinking Atrous Convolution for Semantic Image Segmentation
    <https://arxiv.org/abs/1706.05587>`__.

    The backbone is :func:`~embervision.models.resnet50` with ``replace_stride_with_dilation=
    [False, True, True]``; its ``layer4`` feeds a :class:`DeepLabHead` and, with
    ``aux_loss``, its ``layer3`` an :class:`~embervision.models.segmentation.fcn.FCNHead`.
    Arguments as :func:`~embervision.models.segmentation.fcn_resnet50`.
    """
    return _segmentation_model(
        _deeplabv3_resnet,
        partial(resnet50, replace_stride_with_dilation=_DILATION),
        weights,
        weights_backbone,
        num_classes,
        aux_loss,
    )


@register_model()
def deeplabv3_resnet101(
    *, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs
):
    """Constructs a DeepLabV3 model with a ResNet-101 backbone, 60,996,202 parameters with
    ``aux_loss=True``; arguments as :func:`~embervision.models.segmentation.fcn_resnet50`
    (``weights_backbone`` holds ``resnet101`` keys)."""
    return _segmentation_model(
        _deeplabv3_resnet,
        partial(resnet101, replace_stride_with_dilation=_DILATION),
        weights,
        weights_backbone,
        num_classes,
        aux_loss,
    )


@register_model()
def deeplabv3_mobilenet_v3_large(
    *, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs
):
    """Constructs a DeepLabV3 model with a MobileNetV3-Large backbone, 11,029,328 parameters
    with ``aux_loss=True``.

    The backbone is the ``features`` of :func:`~embervision.models.mobilenet_v3_large` with
    ``dilated=True`` (output stride 16): its last layer (C5) feeds a :class:`DeepLabHead`
    and, with ``aux_loss``, its C2 block (output stride 8) an
    :class:`~embervision.models.segmentation.fcn.FCNHead`. Arguments as
    :func:`~embervision.models.segmentation.fcn_resnet50` (``weights_backbone`` holds
    ``mobilenet_v3_large`` keys).
    """
    return _segmentation_model(
        _deeplabv3_mobilenetv3,
        partial(mobilenet_v3_large, dilated=True),
        weights,
        weights_backbone,
        num_classes,
        aux_loss,
    )
