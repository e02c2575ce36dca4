"""FCN (Long et al., 2015) on a dilated ResNet, as torchvision builds it."""

from __future__ import annotations

from functools import partial

from ember import nn

from .._api import register_model
from ..resnet import resnet50, resnet101
from ._utils import _resnet_features, _segmentation_model, _SimpleSegmentationModel

__all__ = ["FCN", "fcn_resnet50", "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    """Implements FCN model from `"Fully Convolutional Networks for Semantic Segmentation"
    <https://arxiv.org/abs/1411.4038>`_.

    ``forward(x)`` returns an ``OrderedDict``: ``"out"`` the classifier's logits and, with an
    ``aux_classifier``, ``"aux"`` its logits, both upsampled bilinearly
    (``align_corners=False``) to the input's height and width.

    Args:
        backbone (nn.Module): the network used to compute the features for the model. The
            backbone should return an OrderedDict[Tensor], with the key being "out" for the
            last feature map used, and "aux" if an auxiliary classifier is used.
        classifier (nn.Module): module that takes the "out" element returned from the
            backbone and returns a dense prediction.
        aux_classifier (nn.Module, optional): auxiliary classifier used during training.
    """


class FCNHead(nn.Sequential):
    """3×3 convolution to ``in_channels // 4`` channels, BatchNorm2d, ReLU, Dropout(0.1) and
    a 1×1 convolution (with bias) to ``channels`` outputs.

    Args:
        in_channels (int): channels of the input features.
        channels (int): output channels (the number of classes).
    """

    def __init__(self, in_channels, channels):
        inter_channels = in_channels // 4
        layers = [
            nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1),
        ]
        super().__init__(*layers)


def _fcn_resnet(backbone, num_classes, aux):
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    classifier = FCNHead(2048, num_classes)
    return FCN(_resnet_features(backbone, aux), classifier, aux_classifier)


# layer3 and layer4 dilated instead of strided: output stride 8.
_DILATION = [False, True, True]


@register_model()
def fcn_resnet50(
    *, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs
):
    """Fully-Convolutional Network model with a ResNet-50 backbone from the `Fully
    Convolutional Networks for Semantic Segmentation <https://arxiv.org/abs/1411.4038>`_
    paper, 35,322,218 parameters with ``aux_loss=True`` (32,957,013 without).

    The backbone is :func:`~embervision.models.resnet50` with ``replace_stride_with_dilation=
    [False, True, True]``; its ``layer4`` feeds an :class:`FCNHead` and, with ``aux_loss``,
    its ``layer3`` a second one.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict of the
            whole model with torchvision's keys, loaded strictly. Default: None, no
            pre-trained weights.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        num_classes (int, optional): number of output classes of the model (including the
            background). Default: 21.
        aux_loss (bool, optional): If True, it uses an auxiliary loss. Default: True when
            ``weights`` is given (torchvision's checkpoints have the auxiliary head), else no
            auxiliary head.
        weights_backbone (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict
            of the ResNet-50 backbone (torchvision's ``resnet50`` keys), ignored when
            ``weights`` is given. Default: None (torchvision's default, ImageNet weights,
            would need a download).
        **kwargs: unused.
    """
    return _segmentation_model(
        _fcn_resnet,
        partial(resnet50, replace_stride_with_dilation=_DILATION),
        weights,
        weights_backbone,
        num_classes,
        aux_loss,
    )


@register_model()
def fcn_resnet101(
    *, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs
):
    """Fully-Convolutional Network model with a ResNet-101 backbone, 54,314,346 parameters
    with ``aux_loss=True``; arguments as :func:`fcn_resnet50` (``weights_backbone`` holds
    ``resnet101`` keys)."""
    return _segmentation_model(
        _fcn_resnet,
        partial(resnet101, replace_stride_with_dilation=_DILATION),
        weights,
        weights_backbone,
        num_classes,
        aux_loss,
    )
