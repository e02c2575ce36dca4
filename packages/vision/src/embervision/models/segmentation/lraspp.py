"""Lite R-ASPP (Howard et al., 2019) on MobileNetV3-Large, as torchvision builds it."""

from __future__ import annotations

from collections import OrderedDict

from ember import nn
from ember.nn import functional as F

from .._api import _load_weights, register_model
from .._utils import IntermediateLayerGetter
from ..mobilenetv3 import mobilenet_v3_large
from ._utils import _mobilenetv3_stages

__all__ = ["LRASPP", "lraspp_mobilenet_v3_large"]


class LRASPP(nn.Module):
    """Implements a Lite R-ASPP Network for semantic segmentation from `"Searching for
    MobileNetV3" <https://arxiv.org/abs/1905.02244>`_.

    ``forward(x)`` returns an ``OrderedDict`` with one entry, ``"out"``: the
    :class:`LRASPPHead`'s logits upsampled bilinearly (``align_corners=False``) to the
    input's height and width.

    Args:
        backbone (nn.Module): the network used to compute the features for the model. The
            backbone should return an OrderedDict[Tensor], with the key being "high" for the
            high level feature map and "low" for the low level feature map.
        low_channels (int): the number of channels of the low level features.
        high_channels (int): the number of channels of the high level features.
        num_classes (int, optional): number of output classes of the model (including the
            background).
        inter_channels (int, optional): the number of channels for intermediate
            computations. Default: 128.
    """

    def __init__(self, backbone, low_channels, high_channels, num_classes, inter_channels=128):
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        features = self.backbone(input)
        out = self.classifier(features)
        out = F.interpolate(out, size=input.shape[-2:], mode="bilinear", align_corners=False)

        result = OrderedDict()
        result["out"] = out
        return result


class LRASPPHead(nn.Module):
    """The Lite R-ASPP head: the high-level features through ``cbr`` (1×1 convolution,
    BatchNorm2d, ReLU) gated by ``scale`` (global average pooling, 1×1 convolution,
    sigmoid), upsampled bilinearly to the low-level features' size and classified by
    ``high_classifier``, plus ``low_classifier`` applied to the low-level features.

    Args:
        low_channels (int): channels of the low-level features (``input["low"]``).
        high_channels (int): channels of the high-level features (``input["high"]``).
        num_classes (int): output channels.
        inter_channels (int): channels of ``cbr`` and ``scale``.
    """

    def __init__(self, low_channels, high_channels, num_classes, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(inplace=True),
        )
        self.scale = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.Sigmoid(),
        )
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low = input["low"]
        high = input["high"]

        x = self.cbr(high)
        s = self.scale(high)
        x = x * s
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)

        return self.low_classifier(low) + self.high_classifier(x)


def _lraspp_mobilenetv3(backbone, num_classes):
    backbone = backbone.features
    stage_indices = _mobilenetv3_stages(backbone)
    low_pos = stage_indices[-4]  # use C2 here which has output_stride = 8
    high_pos = stage_indices[-1]  # use C5 which has output_stride = 16
    low_channels = backbone[low_pos].out_channels
    high_channels = backbone[high_pos].out_channels
    backbone = IntermediateLayerGetter(
        backbone, return_layers={str(low_pos): "low", str(high_pos): "high"}
    )
    return LRASPP(backbone, low_channels, high_channels, num_classes)


@register_model()
def lraspp_mobilenet_v3_large(
    *, weights=None, progress=True, num_classes=None, weights_backbone=None, **kwargs
):
    """Constructs a Lite R-ASPP Network model with a MobileNetV3-Large backbone from
    `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`_ paper, 3,221,538
    parameters.

    The backbone is the ``features`` of :func:`~embervision.models.mobilenet_v3_large` with
    ``dilated=True``: its C2 block (output stride 8) gives the low-level features and its
    last layer (C5, output stride 16) the high-level ones.

    Arguments as :func:`~embervision.models.segmentation.fcn_resnet50` without ``aux_loss``
    (``aux_loss=True`` raises ``NotImplementedError``: this model has no auxiliary head);
    ``weights_backbone`` holds ``mobilenet_v3_large`` keys.
    """
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    if num_classes is None:
        num_classes = 21
    if weights is not None:
        weights_backbone = None
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return _load_weights(_lraspp_mobilenetv3(backbone, num_classes), weights)
