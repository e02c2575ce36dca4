"""MobileNetV2 (Sandler et al., 2018) with torchvision's module names and initialisation."""

from __future__ import annotations

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation
from ._api import _load_weights, register_model
from ._utils import _init_mobile, _make_divisible

__all__ = ["MobileNetV2", "mobilenet_v2"]


class InvertedResidual(nn.Module):
    """The inverted residual block: 1×1 expansion (ReLU6, left out when ``expand_ratio`` is 1),
    3×3 depthwise (ReLU6), 1×1 linear projection and batch norm, in ``self.conv``; the input
    is added when the stride is 1 and the channels match.

    Args:
        inp (int): input channels.
        oup (int): output channels.
        stride (int): 1 or 2, the stride of the depthwise convolution.
        expand_ratio (float): hidden width = ``round(inp * expand_ratio)``.
        norm_layer (callable, optional): normalisation layer factory. Default: BatchNorm2d.
    """

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        self.stride = stride
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        hidden_dim = round(inp * expand_ratio)
        self.use_res_connect = self.stride == 1 and inp == oup

        layers = []
        if expand_ratio != 1:
            layers.append(
                Conv2dNormActivation(
                    inp, hidden_dim, kernel_size=1, norm_layer=norm_layer, activation_layer=nn.ReLU6
                )
            )
        layers += [
            Conv2dNormActivation(
                hidden_dim,
                hidden_dim,
                stride=stride,
                groups=hidden_dim,
                norm_layer=norm_layer,
                activation_layer=nn.ReLU6,
            ),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 from `MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`_.

    ``features`` (3×3 stride-2 stem, the inverted residual blocks, 1×1 to ``last_channel``,
    each Conv2dNormActivation with ReLU6) → global average pool → flatten → ``classifier``
    (Dropout, Linear). Convolutions get ``kaiming_normal_(mode="fan_out")``, normalisation
    layers weight 1 and bias 0, linear layers N(0, 0.01) weights and zero bias.

    Args:
        num_classes (int): number of classes. Default: 1000.
        width_mult (float): width multiplier: scales the channels of every layer. Default: 1.0.
        inverted_residual_setting (list[list[int]], optional): the network structure, rows of
            ``[t, c, n, s]`` (expansion, channels, repeats, first stride). Default: the paper's.
        round_nearest (int): round every layer's channels to a multiple of this number; 1
            turns rounding off. Default: 8.
        block (callable, optional): the inverted residual block. Default:
            :class:`InvertedResidual`.
        norm_layer (callable, optional): normalisation layer factory. Default: BatchNorm2d.
        dropout (float): the dropout probability of the classifier. Default: 0.2.
    """

    def __init__(
        self,
        num_classes=1000,
        width_mult=1.0,
        inverted_residual_setting=None,
        round_nearest=8,
        block=None,
        norm_layer=None,
        dropout=0.2,
    ):
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        input_channel = 32
        last_channel = 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [
                # t, c, n, s
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
        # Only the first row is checked, as in torchvision.
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError(
                "inverted_residual_setting should be non-empty or a 4-element list, "
                f"got {inverted_residual_setting}"
            )

        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features = [
            Conv2dNormActivation(
                3, input_channel, stride=2, norm_layer=norm_layer, activation_layer=nn.ReLU6
            )
        ]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(
                    block(
                        input_channel, output_channel, stride, expand_ratio=t, norm_layer=norm_layer
                    )
                )
                input_channel = output_channel
        features.append(
            Conv2dNormActivation(
                input_channel,
                self.last_channel,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.ReLU6,
            )
        )
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(self.last_channel, num_classes),
        )
        _init_mobile(self, lambda w: nn.init.normal_(w, 0, 0.01))

    def forward(self, x):
        x = self.features(x)
        # adaptive pooling, not squeeze: the batch size can be 1
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        x = ember.flatten(x, 1)
        return self.classifier(x)


@register_model()
def mobilenet_v2(*, weights=None, progress=True, **kwargs):
    """MobileNetV2 from `MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`_, 3,504,872 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`MobileNetV2` (``num_classes``, ``width_mult``,
            ``inverted_residual_setting``, ``round_nearest``, ``block``, ``norm_layer``,
            ``dropout``).
    """
    return _load_weights(MobileNetV2(**kwargs), weights)
