"""The backbone + classifier model that FCN and DeepLabV3 share (torchvision's
``models/segmentation/_utils.py``)."""

from __future__ import annotations

from collections import OrderedDict

from ember import nn
from ember.nn import functional as F

from .._api import _load_weights
from .._utils import IntermediateLayerGetter


class _SimpleSegmentationModel(nn.Module):
    """``backbone`` features → ``classifier`` (and ``aux_classifier``) → bilinear upsampling
    to the input size: the model behind FCN and DeepLabV3 (arguments as
    :class:`~embervision.models.segmentation.FCN`)."""

    def __init__(self, backbone, classifier, aux_classifier=None):
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x):
        input_shape = x.shape[-2:]
        # contract: features is a dict of tensors
        features = self.backbone(x)

        result = OrderedDict()
        x = self.classifier(features["out"])
        result["out"] = F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)

        if self.aux_classifier is not None:
            x = self.aux_classifier(features["aux"])
            result["aux"] = F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)

        return result


def _segmentation_config(weights, num_classes, aux_loss):
    """``num_classes`` (default 21, the Pascal VOC categories of torchvision's checkpoints)
    and ``aux_loss`` (default True when weights are loaded, as the checkpoints carry the
    auxiliary head)."""
    if num_classes is None:
        num_classes = 21
    if aux_loss is None and weights is not None:
        aux_loss = True
    return num_classes, aux_loss


def _segmentation_model(
    make_model, make_backbone, weights, weights_backbone, num_classes, aux_loss
):
    """torchvision's builder flow for FCN and DeepLabV3.

    ``num_classes`` defaults to 21 (the Pascal VOC categories of torchvision's checkpoints).
    Given ``weights``, the backbone's own weights are not loaded (the file holds them) and
    ``aux_loss`` defaults to True (the checkpoints carry the auxiliary head). The model is
    ``make_model(make_backbone(weights=weights_backbone), num_classes, aux_loss)``, then
    ``weights`` is loaded strictly.
    """
    if num_classes is None:
        num_classes = 21
    if weights is not None:
        weights_backbone = None
        if aux_loss is None:
            aux_loss = True
    model = make_model(make_backbone(weights=weights_backbone), num_classes, aux_loss)
    return _load_weights(model, weights)


def _resnet_features(backbone, aux):
    """The ResNet's ``layer4`` output as ``"out"`` (and ``layer3``'s as ``"aux"``)."""
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    return IntermediateLayerGetter(backbone, return_layers=return_layers)


def _mobilenetv3_stages(features):
    """The indices of the C0 … Cn blocks of a MobileNetV3's ``features``: the first layer,
    every block that halves the resolution (``_is_cn``, kept by dilated blocks too) and the
    last layer."""
    strided = [i for i, block in enumerate(features) if getattr(block, "_is_cn", False)]
    return [0] + strided + [len(features) - 1]
