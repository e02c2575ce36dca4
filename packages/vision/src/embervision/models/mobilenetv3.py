"""MobileNetV3 (Howard et al., 2019), large and small, with torchvision's module names and
initialisation."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import _load_weights, register_model
from ._utils import _init_mobile, _make_divisible

__all__ = ["MobileNetV3", "mobilenet_v3_large", "mobilenet_v3_small"]


class InvertedResidualConfig:
    """One row of Tables 1 and 2 of the MobileNetV3 paper, channels scaled by ``width_mult``.

    Args:
        input_channels, kernel, expanded_channels, out_channels (int): the block's widths and
            depthwise kernel size.
        use_se (bool): add a squeeze-and-excitation layer.
        activation (str): ``"HS"`` (hard swish) or ``"RE"`` (ReLU).
        stride, dilation (int): of the depthwise convolution.
        width_mult (float): multiplies the three widths (rounded to multiples of 8).
    """

    def __init__(
        self,
        input_channels,
        kernel,
        expanded_channels,
        out_channels,
        use_se,
        activation,
        stride,
        dilation,
        width_mult,
    ):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels, width_mult):
        return _make_divisible(channels * width_mult, 8)


# The squeeze-and-excitation of MobileNetV3: gated by a hard sigmoid.
_HARD_SE = partial(SqueezeExcitation, scale_activation=nn.Hardsigmoid)


class InvertedResidual(nn.Module):
    """The MobileNetV3 block (section 5 of the paper), in ``self.block``: 1×1 expansion (left
    out when the widths are equal), depthwise k×k, squeeze-and-excitation (hard sigmoid
    gate) if configured, 1×1 projection without activation; the input is added when the
    stride is 1 and the channels match.

    Args:
        cnf (InvertedResidualConfig): the block's configuration.
        norm_layer (callable): normalisation layer factory.
        se_layer (callable): squeeze-and-excitation factory. Default:
            ``SqueezeExcitation`` with ``scale_activation=nn.Hardsigmoid``.
    """

    def __init__(
        self,
        cnf,
        norm_layer,
        se_layer=_HARD_SE,
    ):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")

        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels

        layers = []
        activation_layer = nn.Hardswish if cnf.use_hs else nn.ReLU
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    cnf.expanded_channels,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                )
            )
        # A dilated block keeps the resolution: stride 1.
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(
            Conv2dNormActivation(
                cnf.expanded_channels,
                cnf.expanded_channels,
                kernel_size=cnf.kernel,
                stride=stride,
                dilation=cnf.dilation,
                groups=cnf.expanded_channels,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
            )
        )
        if cnf.use_se:
            squeeze_channels = _make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels))
        layers.append(
            Conv2dNormActivation(
                cnf.expanded_channels,
                cnf.out_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=None,
            )
        )
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3(nn.Module):
    """MobileNetV3 from `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`_.

    ``features`` (3×3 stride-2 stem with hard swish, the blocks, 1×1 to 6× the last block's
    width) → ``avgpool`` → flatten → ``classifier`` (Linear, Hardswish, Dropout, Linear).
    Convolutions get ``kaiming_normal_(mode="fan_out")``, normalisation layers weight 1 and
    bias 0, linear layers N(0, 0.01) weights and zero bias.

    Args:
        inverted_residual_setting (list[InvertedResidualConfig]): the network structure.
        last_channel (int): the number of channels of the penultimate layer.
        num_classes (int): number of classes. Default: 1000.
        block (callable, optional): the block. Default: :class:`InvertedResidual`.
        norm_layer (callable, optional): normalisation layer factory. Default:
            ``BatchNorm2d(eps=0.001, momentum=0.01)``.
        dropout (float): the dropout probability of the classifier. Default: 0.2.
        **kwargs: ignored (the builders' ``width_mult``, ``reduced_tail`` and ``dilated``
            arrive here too, as in torchvision).
    """

    def __init__(
        self,
        inverted_residual_setting,
        last_channel,
        num_classes=1000,
        block=None,
        norm_layer=None,
        dropout=0.2,
        **kwargs,
    ):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (
            isinstance(inverted_residual_setting, Sequence)
            and all(isinstance(s, InvertedResidualConfig) for s in inverted_residual_setting)
        ):
            raise TypeError("The inverted_residual_setting should be List[InvertedResidualConfig]")
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)

        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers = [
            Conv2dNormActivation(
                3,
                firstconv_output_channels,
                kernel_size=3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=nn.Hardswish,
            )
        ]
        for cnf in inverted_residual_setting:
            layers.append(block(cnf, norm_layer))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(
            Conv2dNormActivation(
                lastconv_input_channels,
                lastconv_output_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.Hardswish,
            )
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output_channels, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        _init_mobile(self, lambda w: nn.init.normal_(w, 0, 0.01))

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


# Tables 1 and 2 of the paper: input, kernel, expanded, output, SE, activation, stride. The
# last three blocks (C4 on) get a dilation and, with a reduced tail, half their widths (C4
# only its output).
# fmt: off
_LARGE = [
    (16, 3, 16, 16, False, "RE", 1),
    (16, 3, 64, 24, False, "RE", 2),  # C1
    (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2),  # C2
    (40, 5, 120, 40, True, "RE", 1),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2),  # C3
    (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1),
    (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2),  # C4
    (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
]
_SMALL = [
    (16, 3, 16, 16, True, "RE", 2),  # C1
    (16, 3, 72, 24, False, "RE", 2),  # C2
    (24, 3, 88, 24, False, "RE", 1),
    (24, 5, 96, 40, True, "HS", 2),  # C3
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1),
    (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2),  # C4
    (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1),
]
# fmt: on
_ARCHS = {"mobilenet_v3_large": (_LARGE, 1280), "mobilenet_v3_small": (_SMALL, 1024)}


def _mobilenet_v3_conf(arch, width_mult=1.0, reduced_tail=False, dilated=False, **kwargs):
    """The block configurations and ``last_channel`` of ``arch``.

    ``reduced_tail`` halves the channels of the blocks from C4 on and of the last layer (for
    detection backbones); ``dilated`` gives those blocks dilation 2 instead of stride 2.
    """
    if arch not in _ARCHS:
        raise ValueError(f"Unsupported model type {arch}")
    table, last_channel = _ARCHS[arch]
    reduce_divider = 2 if reduced_tail else 1
    tail = len(table) - 3  # C4: the first block with halved output and dilation
    setting = []
    for i, (inp, kernel, exp, out, use_se, activation, stride) in enumerate(table):
        dilation = 1
        if i >= tail:
            out //= reduce_divider
            dilation = 2 if dilated else 1
        if i > tail:
            inp //= reduce_divider
            exp //= reduce_divider
        setting.append(
            InvertedResidualConfig(
                inp, kernel, exp, out, use_se, activation, stride, dilation, width_mult
            )
        )
    last = InvertedResidualConfig.adjust_channels(last_channel // reduce_divider, width_mult)
    return setting, last


def _mobilenet_v3(arch, weights, kwargs):
    inverted_residual_setting, last_channel = _mobilenet_v3_conf(arch, **kwargs)
    model = MobileNetV3(inverted_residual_setting, last_channel, **kwargs)
    return _load_weights(model, weights)


@register_model()
def mobilenet_v3_large(*, weights=None, progress=True, **kwargs):
    """The large MobileNetV3 from `Searching for MobileNetV3
    <https://arxiv.org/abs/1905.02244>`_, 5,483,032 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: ``width_mult`` (1.0), ``reduced_tail`` (False) and ``dilated`` (False) of
            the configuration, and the arguments of :class:`MobileNetV3` (``num_classes``,
            ``block``, ``norm_layer``, ``dropout``).
    """
    return _mobilenet_v3("mobilenet_v3_large", weights, kwargs)


@register_model()
def mobilenet_v3_small(*, weights=None, progress=True, **kwargs):
    """The small MobileNetV3, 2,542,856 parameters; arguments as :func:`mobilenet_v3_large`."""
    return _mobilenet_v3("mobilenet_v3_small", weights, kwargs)
