"""The video ResNets of Tran et al., 2018 (R3D, MC3 and R(2+1)D, 18 layers) with
torchvision's module names, so its state dicts load unchanged."""

from __future__ import annotations

from ember import nn

from .._api import _load_weights, register_model

__all__ = ["VideoResNet", "r3d_18", "mc3_18", "r2plus1d_18"]


class Conv3DSimple(nn.Conv3d):
    """A 3×3×3 convolution without bias (``midplanes`` is ignored).

    Args:
        in_planes (int): input channels.
        out_planes (int): output channels.
        midplanes (int, optional): unused; the builders of :class:`Conv2Plus1D` need it.
        stride (int): stride in time, height and width. Default: 1.
        padding (int): padding in time, height and width. Default: 1.
    """

    def __init__(self, in_planes, out_planes, midplanes=None, stride=1, padding=1):
        super().__init__(
            in_channels=in_planes,
            out_channels=out_planes,
            kernel_size=(3, 3, 3),
            stride=stride,
            padding=padding,
            bias=False,
        )

    @staticmethod
    def get_downsample_stride(stride):
        """The stride of the residual branch's 1×1×1 projection: ``(stride,) * 3``."""
        return stride, stride, stride


class Conv2Plus1D(nn.Sequential):
    """A (2+1)D convolution: a 1×3×3 spatial convolution to ``midplanes`` channels, batch
    norm and ReLU, then a 3×1×1 temporal convolution (both without bias).

    Args:
        in_planes (int): input channels.
        out_planes (int): output channels.
        midplanes (int): channels between the two convolutions.
        stride (int): stride of the spatial (height, width) and temporal convolutions.
            Default: 1.
        padding (int): padding of both convolutions along their kernel's long axes.
            Default: 1.
    """

    def __init__(self, in_planes, out_planes, midplanes, stride=1, padding=1):
        super().__init__(
            nn.Conv3d(
                in_planes,
                midplanes,
                kernel_size=(1, 3, 3),
                stride=(1, stride, stride),
                padding=(0, padding, padding),
                bias=False,
            ),
            nn.BatchNorm3d(midplanes),
            nn.ReLU(inplace=True),
            nn.Conv3d(
                midplanes,
                out_planes,
                kernel_size=(3, 1, 1),
                stride=(stride, 1, 1),
                padding=(padding, 0, 0),
                bias=False,
            ),
        )

    @staticmethod
    def get_downsample_stride(stride):
        """The stride of the residual branch's 1×1×1 projection: ``(stride,) * 3``."""
        return stride, stride, stride


class Conv3DNoTemporal(nn.Conv3d):
    """A 1×3×3 convolution without bias: spatial only (``midplanes`` is ignored).

    Args:
        in_planes (int): input channels.
        out_planes (int): output channels.
        midplanes (int, optional): unused.
        stride (int): stride in height and width. Default: 1.
        padding (int): padding in height and width. Default: 1.
    """

    def __init__(self, in_planes, out_planes, midplanes=None, stride=1, padding=1):
        super().__init__(
            in_channels=in_planes,
            out_channels=out_planes,
            kernel_size=(1, 3, 3),
            stride=(1, stride, stride),
            padding=(0, padding, padding),
            bias=False,
        )

    @staticmethod
    def get_downsample_stride(stride):
        """The stride of the residual branch's 1×1×1 projection: ``(1, stride, stride)``."""
        return 1, stride, stride


def _midplanes(inplanes, planes):
    """The width between the two halves of a (2+1)D convolution: the one that gives it the
    parameter count of a full 3×3×3 convolution from ``inplanes`` to ``planes``."""
    return (inplanes * planes * 3 * 3 * 3) // (inplanes * 3 * 3 + 3 * planes)


class BasicBlock(nn.Module):
    """Two convolutions from ``conv_builder``, each followed by batch norm (ReLU after the
    first), with a residual connection and a final ReLU.

    Args:
        inplanes (int): input channels.
        planes (int): output channels (``expansion = 1``).
        conv_builder (type): :class:`Conv3DSimple`, :class:`Conv3DNoTemporal` or
            :class:`Conv2Plus1D`.
        stride (int): stride of the first convolution. Default: 1.
        downsample (nn.Module, optional): maps the input to the output's shape for the
            residual sum.
    """

    expansion = 1

    def __init__(self, inplanes, planes, conv_builder, stride=1, downsample=None):
        midplanes = _midplanes(inplanes, planes)
        super().__init__()
        self.conv1 = nn.Sequential(
            conv_builder(inplanes, planes, midplanes, stride),
            nn.BatchNorm3d(planes),
            nn.ReLU(inplace=True),
        )
        self.conv2 = nn.Sequential(conv_builder(planes, planes, midplanes), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.conv2(self.conv1(x))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    """A 1×1×1 convolution to ``planes`` channels, a ``conv_builder`` convolution and a
    1×1×1 convolution to ``planes * 4``, each followed by batch norm (ReLU after the first
    two), with a residual connection and a final ReLU.

    Arguments as :class:`BasicBlock` (``expansion = 4``).
    """

    expansion = 4

    def __init__(self, inplanes, planes, conv_builder, stride=1, downsample=None):
        super().__init__()
        midplanes = _midplanes(inplanes, planes)
        self.conv1 = nn.Sequential(
            nn.Conv3d(inplanes, planes, kernel_size=1, bias=False),
            nn.BatchNorm3d(planes),
            nn.ReLU(inplace=True),
        )
        self.conv2 = nn.Sequential(
            conv_builder(planes, planes, midplanes, stride),
            nn.BatchNorm3d(planes),
            nn.ReLU(inplace=True),
        )
        self.conv3 = nn.Sequential(
            nn.Conv3d(planes, planes * self.expansion, kernel_size=1, bias=False),
            nn.BatchNorm3d(planes * self.expansion),
        )
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.conv3(self.conv2(self.conv1(x)))
        return self.relu(out + residual)


class BasicStem(nn.Sequential):
    """The default conv-batchnorm-relu stem: a 3×7×7 convolution to 64 channels, stride
    (1, 2, 2)."""

    def __init__(self):
        super().__init__(
            nn.Conv3d(
                3, 64, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False
            ),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )


class R2Plus1dStem(nn.Sequential):
    """R(2+1)D stem is different than the default one as it uses separated 3D convolution:
    a 1×7×7 convolution to 45 channels (stride (1, 2, 2)) and a 3×1×1 one to 64, each with
    batch norm and ReLU."""

    def __init__(self):
        super().__init__(
            nn.Conv3d(
                3, 45, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False
            ),
            nn.BatchNorm3d(45),
            nn.ReLU(inplace=True),
            nn.Conv3d(
                45, 64, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0), bias=False
            ),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )


class VideoResNet(nn.Module):
    """Generic resnet video generator.

    ``stem`` → ``layer1`` … ``layer4`` (64, 128, 256, 512 planes; the last three halve time,
    height and width, or height and width only for :class:`Conv3DNoTemporal`) →
    ``avgpool`` → ``fc``. Convolutions get ``kaiming_normal_(mode="fan_out")``, batch norms
    weight 1 and bias 0, ``fc`` weights N(0, 0.01²) and bias 0.

    Args:
        block (Type[Union[BasicBlock, Bottleneck]]): resnet building block.
        conv_makers (List[Type[Union[Conv3DSimple, Conv3DNoTemporal, Conv2Plus1D]]]):
            generator function for each layer.
        layers (List[int]): number of blocks per layer.
        stem (Callable[..., nn.Module]): module specifying the ResNet stem.
        num_classes (int, optional): Dimension of the final FC layer. Defaults to 400.
        zero_init_residual (bool, optional): Zero init bottleneck residual BN. Defaults to
            False. As in torchvision it looks for a ``bn3`` that :class:`Bottleneck` does not
            have, so with Bottleneck blocks it raises ``AttributeError`` (and with
            :class:`BasicBlock` it does nothing).

    Shape:
        - Input: :math:`(N, 3, T, H, W)`.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(self, block, conv_makers, layers, stem, num_classes=400, zero_init_residual=False):
        super().__init__()
        self.inplanes = 64

        self.stem = stem()

        self.layer1 = self._make_layer(block, conv_makers[0], 64, layers[0], stride=1)
        self.layer2 = self._make_layer(block, conv_makers[1], 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, conv_makers[2], 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, conv_makers[3], 512, layers[3], stride=2)

        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)

    def forward(self, x):
        x = self.stem(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = x.flatten(1)
        return self.fc(x)

    def _make_layer(self, block, conv_builder, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            ds_stride = conv_builder.get_downsample_stride(stride)
            downsample = nn.Sequential(
                nn.Conv3d(
                    self.inplanes,
                    planes * block.expansion,
                    kernel_size=1,
                    stride=ds_stride,
                    bias=False,
                ),
                nn.BatchNorm3d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, conv_builder, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, conv_builder))
        return nn.Sequential(*layers)


def _video_resnet(conv_makers, stem, weights, kwargs):
    model = VideoResNet(BasicBlock, conv_makers, [2, 2, 2, 2], stem, **kwargs)
    return _load_weights(model, weights)


@register_model()
def r3d_18(*, weights=None, progress=True, **kwargs):
    """Construct 18 layer Resnet3D model, from `A Closer Look at Spatiotemporal Convolutions
    for Action Recognition <https://arxiv.org/abs/1711.11248>`__: 3×3×3 convolutions
    throughout, 33,371,472 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state
            dict with torchvision's keys, loaded strictly. Default: None, random
            initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`VideoResNet` (``num_classes``, ``zero_init_residual``).
    """
    return _video_resnet([Conv3DSimple] * 4, BasicStem, weights, kwargs)


@register_model()
def mc3_18(*, weights=None, progress=True, **kwargs):
    """Construct 18 layer Mixed Convolution network: 3×3×3 convolutions in ``layer1``,
    spatial 1×3×3 ones after it, 11,695,440 parameters; arguments as :func:`r3d_18`."""
    return _video_resnet([Conv3DSimple] + [Conv3DNoTemporal] * 3, BasicStem, weights, kwargs)


@register_model()
def r2plus1d_18(*, weights=None, progress=True, **kwargs):
    """Construct 18 layer deep R(2+1)D network: (2+1)D convolutions and stem,
    31,505,325 parameters; arguments as :func:`r3d_18`."""
    return _video_resnet([Conv2Plus1D] * 4, R2Plus1dStem, weights, kwargs)
