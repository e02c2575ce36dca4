"""ResNet (He et al., 2015), ResNeXt and Wide ResNet with torchvision's module names, so its
state dicts load unchanged."""

from __future__ import annotations

import ember
from ember import nn

from ._api import _load_weights, register_model
from ._utils import _overwrite_named_param

__all__ = [
    "ResNet",
    "BasicBlock",
    "Bottleneck",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3×3 convolution without bias, padded to keep the size at stride 1."""
    return nn.Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes, out_planes, stride=1):
    """1×1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a residual connection (ResNet-18 and -34).

    Args:
        inplanes (int): input channels.
        planes (int): output channels (``planes * expansion``, with ``expansion = 1``).
        stride (int): stride of the first convolution.
        downsample (nn.Module, optional): maps the input to the output's shape for the
            residual sum.
        groups, base_width: only 1 and 64 are supported (they exist for Bottleneck).
        dilation (int): only 1 is supported.
        norm_layer (callable, optional): normalisation layer factory. Default: BatchNorm2d.
    """

    expansion = 1

    def __init__(
        self,
        inplanes,
        planes,
        stride=1,
        downsample=None,
        groups=1,
        base_width=64,
        dilation=1,
        norm_layer=None,
    ):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # Both self.conv1 and self.downsample downsample the input when stride != 1.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3, 1×1 expand (×4) with a residual connection (ResNet-50 and up).

    The stride sits on the 3×3 convolution (ResNet V1.5, as torchvision), not on the first
    1×1 as in the original paper; this is the variant torchvision's weights were trained with.
    Arguments as :class:`BasicBlock`; the inner width is
    ``int(planes * base_width / 64) * groups``.
    """

    expansion = 4

    def __init__(
        self,
        inplanes,
        planes,
        stride=1,
        downsample=None,
        groups=1,
        base_width=64,
        dilation=1,
        norm_layer=None,
    ):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        # Both self.conv2 and self.downsample downsample the input when stride != 1.
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)

        out = self.conv3(out)
        out = self.bn3(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet from `Deep Residual Learning for Image Recognition
    <https://arxiv.org/abs/1512.03385>`_, as torchvision builds it.

    ``conv1`` (7×7, stride 2) → ``bn1`` → ``relu`` → ``maxpool`` → ``layer1`` … ``layer4`` →
    ``avgpool`` (AdaptiveAvgPool2d((1, 1))) → flatten → ``fc``. Convolutions get
    ``kaiming_normal_(mode="fan_out", nonlinearity="relu")``, normalisation layers weight 1
    and bias 0; ``fc`` keeps PyTorch's default initialisation.

    Args:
        block (type): :class:`BasicBlock` or :class:`Bottleneck`.
        layers (list[int]): number of blocks in each of the four stages.
        num_classes (int): number of output logits. Default: 1000.
        zero_init_residual (bool): start the last normalisation of every residual branch at
            weight 0, so each block starts as the identity (https://arxiv.org/abs/1706.02677).
        groups (int): convolution groups of the bottlenecks' 3×3 layers (ResNeXt).
        width_per_group (int): bottleneck width per group; 64 is plain ResNet.
        replace_stride_with_dilation (list[bool], optional): for ``layer2`` … ``layer4``,
            dilate instead of striding (keeps the resolution, for dense prediction).
        norm_layer (callable, optional): normalisation layer factory. Default: BatchNorm2d.

    Shape:
        - Input: :math:`(N, 3, H, W)`; ImageNet models use 224×224.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(
        self,
        block,
        layers,
        num_classes=1000,
        zero_init_residual=False,
        groups=1,
        width_per_group=64,
        replace_stride_with_dilation=None,
        norm_layer=None,
    ):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer

        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # Each element says whether to replace the stride 2 of layer2, layer3 or layer4
            # by a dilated convolution.
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation should be None "
                f"or a 3-element tuple, got {replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(
            block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0]
        )
        self.layer3 = self._make_layer(
            block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1]
        )
        self.layer4 = self._make_layer(
            block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2]
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )

        layers = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                self.groups,
                self.base_width,
                previous_dilation,
                norm_layer,
            )
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                    norm_layer=norm_layer,
                )
            )
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.fc(x)


def _resnet(block, layers, weights, **kwargs):
    return _load_weights(ResNet(block, layers, **kwargs), weights)


@register_model()
def resnet18(*, weights=None, progress=True, **kwargs):
    """ResNet-18: BasicBlock × [2, 2, 2, 2], 11,689,512 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`ResNet` (``num_classes``, ``zero_init_residual``,
            ``groups``, ``width_per_group``, ``replace_stride_with_dilation``,
            ``norm_layer``).
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, **kwargs)


@register_model()
def resnet34(*, weights=None, progress=True, **kwargs):
    """ResNet-34: BasicBlock × [3, 4, 6, 3], 21,797,672 parameters; arguments as
    :func:`resnet18`."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, **kwargs)


@register_model()
def resnet50(*, weights=None, progress=True, **kwargs):
    """ResNet-50: Bottleneck × [3, 4, 6, 3], 25,557,032 parameters; arguments as
    :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, **kwargs)


@register_model()
def resnet101(*, weights=None, progress=True, **kwargs):
    """ResNet-101: Bottleneck × [3, 4, 23, 3], 44,549,160 parameters; arguments as
    :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, **kwargs)


@register_model()
def resnet152(*, weights=None, progress=True, **kwargs):
    """ResNet-152: Bottleneck × [3, 8, 36, 3], 60,192,808 parameters; arguments as
    :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, **kwargs)


def _grouped(layers, groups, width_per_group, weights, kwargs):
    """A Bottleneck ResNet with fixed ``groups`` and ``width_per_group`` (ResNeXt, Wide
    ResNet); passing another value for either raises ``ValueError``, as in torchvision."""
    _overwrite_named_param(kwargs, "groups", groups)
    _overwrite_named_param(kwargs, "width_per_group", width_per_group)
    return _resnet(Bottleneck, layers, weights, **kwargs)


@register_model()
def resnext50_32x4d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-50 32×4d from `Aggregated Residual Transformation for Deep Neural Networks
    <https://arxiv.org/abs/1611.05431>`_: ResNet-50 whose 3×3 convolutions have 32 groups of
    width 4 (per 64 planes), 25,028,904 parameters; arguments as :func:`resnet18`."""
    return _grouped([3, 4, 6, 3], 32, 4, weights, kwargs)


@register_model()
def resnext101_32x8d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-101 32×8d: Bottleneck × [3, 4, 23, 3], 32 groups of width 8, 88,791,336
    parameters; arguments as :func:`resnet18`."""
    return _grouped([3, 4, 23, 3], 32, 8, weights, kwargs)


@register_model()
def resnext101_64x4d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-101 64×4d: Bottleneck × [3, 4, 23, 3], 64 groups of width 4, 83,455,272
    parameters; arguments as :func:`resnet18`."""
    return _grouped([3, 4, 23, 3], 64, 4, weights, kwargs)


@register_model()
def wide_resnet50_2(*, weights=None, progress=True, **kwargs):
    """Wide ResNet-50-2 from `Wide Residual Networks <https://arxiv.org/abs/1605.07146>`_:
    ResNet-50 with twice the bottleneck width (the outer 1×1 widths are unchanged: 2048 in
    the last block), 68,883,240 parameters; arguments as :func:`resnet18`."""
    return _grouped([3, 4, 6, 3], 1, 64 * 2, weights, kwargs)


@register_model()
def wide_resnet101_2(*, weights=None, progress=True, **kwargs):
    """Wide ResNet-101-2: ResNet-101 with twice the bottleneck width, 126,886,696 parameters;
    arguments as :func:`resnet18`."""
    return _grouped([3, 4, 23, 3], 1, 64 * 2, weights, kwargs)
