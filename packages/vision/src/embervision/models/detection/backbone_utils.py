"""Detection backbones (torchvision's ``models/detection/backbone_utils.py``): a classification
network cut at some of its stages, with or without a feature pyramid network on top, and its
early layers frozen."""

from __future__ import annotations

import warnings

from ember import nn

from ...ops import misc as misc_nn_ops
from ...ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool
from .. import mobilenetv2, mobilenetv3, resnet
from .._utils import IntermediateLayerGetter
from ._utils import _freeze_stages

__all__ = ["BackboneWithFPN", "resnet_fpn_backbone", "mobilenet_backbone"]


class BackboneWithFPN(nn.Module):
    """Adds a FPN on top of a model.

    Internally, it uses :class:`~embervision.models._utils.IntermediateLayerGetter` to extract
    a submodel that returns the feature maps specified in return_layers. The same limitations
    of IntermediateLayerGetter apply here.

    Args:
        backbone (nn.Module)
        return_layers (Dict[name, new_name]): a dict containing the names of the modules for
            which the activations will be returned as the key of the dict, and the value of
            the dict is the name of the returned activation (which the user can specify).
        in_channels_list (List[int]): number of channels for each feature map that is
            returned, in the order they are present in the OrderedDict
        out_channels (int): number of channels in the FPN.
        extra_blocks (ExtraFPNBlock, optional): Default: ``LastLevelMaxPool()``.
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: None

    Attributes:
        out_channels (int): the number of channels in the FPN
    """

    def __init__(
        self,
        backbone,
        return_layers,
        in_channels_list,
        out_channels,
        extra_blocks=None,
        norm_layer=None,
    ):
        super().__init__()

        if extra_blocks is None:
            extra_blocks = LastLevelMaxPool()

        self.body = IntermediateLayerGetter(backbone, return_layers=return_layers)
        self.fpn = FeaturePyramidNetwork(
            in_channels_list=in_channels_list,
            out_channels=out_channels,
            extra_blocks=extra_blocks,
            norm_layer=norm_layer,
        )
        self.out_channels = out_channels

    def forward(self, x):
        x = self.body(x)
        return self.fpn(x)


def resnet_fpn_backbone(
    *,
    backbone_name,
    weights,
    norm_layer=misc_nn_ops.FrozenBatchNorm2d,
    trainable_layers=3,
    returned_layers=None,
    extra_blocks=None,
):
    """Constructs a specified ResNet backbone with FPN on top. Freezes the specified number of
    layers in the backbone.

    Example::

        >>> backbone = resnet_fpn_backbone(backbone_name="resnet50", weights=None)
        >>> output = backbone(ember.rand(1, 3, 64, 64))
        >>> [(k, tuple(v.shape)) for k, v in output.items()]
        [('0', (1, 256, 16, 16)), ('1', (1, 256, 8, 8)), ('2', (1, 256, 4, 4)),
         ('3', (1, 256, 2, 2)), ('pool', (1, 256, 1, 1))]

    Args:
        backbone_name (string): resnet architecture. Possible values are 'resnet18',
            'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d',
            'resnext101_32x8d', 'wide_resnet50_2', 'wide_resnet101_2'
        weights (str or os.PathLike, optional): a local state dict of the ResNet (as its
            builder takes it).
        norm_layer (callable): it is recommended to use the default value. For details visit:
            (https://github.com/facebookresearch/maskrcnn-benchmark/issues/267)
        trainable_layers (int): number of trainable (not frozen) layers starting from final
            block. Valid values are between 0 and 5, with 5 meaning all backbone layers are
            trainable.
        returned_layers (list of int): The layers of the network to return. Each entry must be
            in ``[1, 4]``. By default, all layers are returned.
        extra_blocks (ExtraFPNBlock or None): if provided, extra operations will be performed.
            It is expected to take the fpn features, the original features and the names of
            the original features as input, and returns a new list of feature maps and their
            corresponding names. By default, a ``LastLevelMaxPool`` is used.
    """
    backbone = resnet.__dict__[backbone_name](weights=weights, norm_layer=norm_layer)
    return _resnet_fpn_extractor(backbone, trainable_layers, returned_layers, extra_blocks)


def _resnet_fpn_extractor(
    backbone, trainable_layers, returned_layers=None, extra_blocks=None, norm_layer=None
):
    """A :class:`BackboneWithFPN` on ``layer1`` … ``layer4`` of a ResNet (those in
    ``returned_layers``), 256 channels, with all but the last ``trainable_layers`` of
    ``layer4, layer3, layer2, layer1, conv1`` (and ``bn1`` at 5) frozen."""
    # select layers that won't be frozen
    if trainable_layers < 0 or trainable_layers > 5:
        raise ValueError(f"Trainable layers should be in the range [0,5], got {trainable_layers}")
    layers_to_train = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable_layers]
    if trainable_layers == 5:
        layers_to_train.append("bn1")
    for name, parameter in backbone.named_parameters():
        if all(not name.startswith(layer) for layer in layers_to_train):
            parameter.requires_grad_(False)

    if extra_blocks is None:
        extra_blocks = LastLevelMaxPool()

    if returned_layers is None:
        returned_layers = [1, 2, 3, 4]
    if min(returned_layers) <= 0 or max(returned_layers) >= 5:
        raise ValueError(f"Each returned layer should be in the range [1,4]. Got {returned_layers}")
    return_layers = {f"layer{k}": str(v) for v, k in enumerate(returned_layers)}

    in_channels_stage2 = backbone.inplanes // 8
    in_channels_list = [in_channels_stage2 * 2 ** (i - 1) for i in returned_layers]
    out_channels = 256
    return BackboneWithFPN(
        backbone,
        return_layers,
        in_channels_list,
        out_channels,
        extra_blocks=extra_blocks,
        norm_layer=norm_layer,
    )


def _validate_trainable_layers(is_trained, trainable_backbone_layers, max_value, default_value):
    """``trainable_backbone_layers`` checked against ``[0, max_value]``; None gives
    ``default_value``, and without pretrained weights all layers train (``max_value``, with a
    warning if a value was given)."""
    # don't freeze any layers if pretrained model or backbone is not used
    if not is_trained:
        if trainable_backbone_layers is not None:
            warnings.warn(
                "Changing trainable_backbone_layers has no effect if "
                "neither pretrained nor pretrained_backbone have been set to True, "
                f"falling back to trainable_backbone_layers={max_value} so that all layers are "
                "trainable",
                stacklevel=3,
            )
        trainable_backbone_layers = max_value

    # by default freeze first blocks
    if trainable_backbone_layers is None:
        trainable_backbone_layers = default_value
    if trainable_backbone_layers < 0 or trainable_backbone_layers > max_value:
        raise ValueError(
            f"Trainable backbone layers should be in the range [0,{max_value}], got "
            f"{trainable_backbone_layers} "
        )
    return trainable_backbone_layers


# torchvision's ``models.mobilenet`` namespace: the builders mobilenet_backbone accepts
_MOBILENETS = {
    "mobilenet_v2": mobilenetv2.mobilenet_v2,
    "mobilenet_v3_large": mobilenetv3.mobilenet_v3_large,
    "mobilenet_v3_small": mobilenetv3.mobilenet_v3_small,
}


def mobilenet_backbone(
    *,
    backbone_name,
    weights,
    fpn,
    norm_layer=misc_nn_ops.FrozenBatchNorm2d,
    trainable_layers=2,
    returned_layers=None,
    extra_blocks=None,
):
    """Constructs a MobileNet backbone (``'mobilenet_v2'``, ``'mobilenet_v3_large'`` or
    ``'mobilenet_v3_small'``), with an FPN on top when ``fpn`` is True, else a 1×1 convolution
    to 256 channels; arguments as :func:`resnet_fpn_backbone` (``trainable_layers`` counts the
    stages C0 … Cn; ``returned_layers`` are stage indices, by default the last two)."""
    backbone = _MOBILENETS[backbone_name](weights=weights, norm_layer=norm_layer)
    return _mobilenet_extractor(backbone, fpn, trainable_layers, returned_layers, extra_blocks)


def _mobilenet_extractor(
    backbone, fpn, trainable_layers, returned_layers=None, extra_blocks=None, norm_layer=None
):
    """The ``features`` of a MobileNet V2/V3 with its early stages frozen, under an FPN on the
    ``returned_layers`` stages (default: the last two) or, without ``fpn``, followed by a 1×1
    convolution to 256 channels."""
    backbone = backbone.features
    # Gather the indices of blocks which are strided. These are the locations of C1, ..., Cn-1
    # blocks. The first and last blocks are always included because they are the C0 (conv1)
    # and Cn.
    stage_indices = (
        [0]
        + [i for i, b in enumerate(backbone) if getattr(b, "_is_cn", False)]
        + [len(backbone) - 1]
    )
    num_stages = len(stage_indices)

    # find the index of the layer from which we won't freeze
    if trainable_layers < 0 or trainable_layers > num_stages:
        raise ValueError(
            f"Trainable layers should be in the range [0,{num_stages}], got {trainable_layers} "
        )
    _freeze_stages(backbone, stage_indices, trainable_layers)

    out_channels = 256
    if fpn:
        if extra_blocks is None:
            extra_blocks = LastLevelMaxPool()

        if returned_layers is None:
            returned_layers = [num_stages - 2, num_stages - 1]
        if min(returned_layers) < 0 or max(returned_layers) >= num_stages:
            raise ValueError(
                f"Each returned layer should be in the range [0,{num_stages - 1}], got "
                f"{returned_layers} "
            )
        return_layers = {f"{stage_indices[k]}": str(v) for v, k in enumerate(returned_layers)}

        in_channels_list = [backbone[stage_indices[i]].out_channels for i in returned_layers]
        return BackboneWithFPN(
            backbone,
            return_layers,
            in_channels_list,
            out_channels,
            extra_blocks=extra_blocks,
            norm_layer=norm_layer,
        )
    m = nn.Sequential(
        backbone,
        # depthwise linear combination of channels to reduce their size
        nn.Conv2d(backbone[-1].out_channels, out_channels, 1),
    )
    m.out_channels = out_channels
    return m
