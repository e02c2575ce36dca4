"""ShuffleNet V2 (Ma et al., 2018) with torchvision's module names."""

from __future__ import annotations

import ember
from ember import nn
from ember.nn.functional import channel_shuffle

from ._api import _load_weights, register_model

__all__ = [
    "ShuffleNetV2",
    "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0",
]


class InvertedResidual(nn.Module):
    """The ShuffleNet V2 unit. At stride 1 the channels are split in two halves, one passes
    through and the other goes through ``branch2`` (1×1, depthwise 3×3, 1×1); at stride 2
    both ``branch1`` (depthwise 3×3, 1×1) and ``branch2`` see the whole input. The halves are
    concatenated and their channels shuffled (2 groups).

    Args:
        inp (int): input channels.
        oup (int): output channels.
        stride (int): 1, 2 or 3.
    """

    def __init__(self, inp, oup, stride):
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride

        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. "
                "If stride == 1 then inp should be equal to oup // 2 << 1."
            )

        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()

        self.branch2 = nn.Sequential(
            nn.Conv2d(
                inp if (self.stride > 1) else branch_features,
                branch_features,
                kernel_size=1,
                stride=1,
                padding=0,
                bias=False,
            ),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(
                branch_features, branch_features, kernel_size=3, stride=self.stride, padding=1
            ),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(
                branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False
            ),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet V2 from `ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture
    Design <https://arxiv.org/abs/1807.11164>`_.

    ``conv1`` (3×3 stride 2, BN, ReLU) → ``maxpool`` → ``stage2`` … ``stage4`` (a stride-2
    unit, then stride-1 units) → ``conv5`` (1×1, BN, ReLU) → mean over H, W → ``fc``.
    PyTorch's default initialisation throughout.

    Args:
        stages_repeats (list[int]): the units of stages 2, 3 and 4.
        stages_out_channels (list[int]): the output channels of ``conv1``, the three stages
            and ``conv5``.
        num_classes (int): number of classes. Default: 1000.
        inverted_residual (callable): the unit. Default: :class:`InvertedResidual`.
    """

    def __init__(
        self,
        stages_repeats,
        stages_out_channels,
        num_classes=1000,
        inverted_residual=InvertedResidual,
    ):
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels

        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        stage_names = [f"stage{i}" for i in [2, 3, 4]]
        for name, repeats, output_channels in zip(
            stage_names, stages_repeats, self._stage_out_channels[1:]
        ):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            for _ in range(repeats - 1):
                seq.append(inverted_residual(output_channels, output_channels, 1))
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels

        output_channels = self._stage_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x):
        x = self.conv1(x)
        x = self.maxpool(x)
        x = self.stage2(x)
        x = self.stage3(x)
        x = self.stage4(x)
        x = self.conv5(x)
        x = x.mean([2, 3])  # global pool
        return self.fc(x)


def _shufflenetv2(weights, *args, **kwargs):
    return _load_weights(ShuffleNetV2(*args, **kwargs), weights)


@register_model()
def shufflenet_v2_x0_5(*, weights=None, progress=True, **kwargs):
    """ShuffleNet V2 with 0.5× output channels ([24, 48, 96, 192, 1024]), 1,366,792
    parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`ShuffleNetV2` (``num_classes``, ``inverted_residual``).
    """
    return _shufflenetv2(weights, [4, 8, 4], [24, 48, 96, 192, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_0(*, weights=None, progress=True, **kwargs):
    """ShuffleNet V2 with 1.0× output channels ([24, 116, 232, 464, 1024]), 2,278,604
    parameters; arguments as :func:`shufflenet_v2_x0_5`."""
    return _shufflenetv2(weights, [4, 8, 4], [24, 116, 232, 464, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_5(*, weights=None, progress=True, **kwargs):
    """ShuffleNet V2 with 1.5× output channels ([24, 176, 352, 704, 1024]), 3,503,624
    parameters; arguments as :func:`shufflenet_v2_x0_5`."""
    return _shufflenetv2(weights, [4, 8, 4], [24, 176, 352, 704, 1024], **kwargs)


@register_model()
def shufflenet_v2_x2_0(*, weights=None, progress=True, **kwargs):
    """ShuffleNet V2 with 2.0× output channels ([24, 244, 488, 976, 2048]), 7,393,996
    parameters; arguments as :func:`shufflenet_v2_x0_5`."""
    return _shufflenetv2(weights, [4, 8, 4], [24, 244, 488, 976, 2048], **kwargs)
