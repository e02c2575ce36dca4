"""EfficientNet B0-B7 (Tan & Le, 2019) and EfficientNetV2 S/M/L (Tan & Le, 2021) with
torchvision's module names and initialisation: one network built from a table of stage
configurations, scaled in width and depth."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import partial

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import _load_weights, register_model
from ._utils import _init_mobile, _make_divisible

__all__ = [
    "EfficientNet",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_v2_s",
    "efficientnet_v2_m",
    "efficientnet_v2_l",
]


class _MBConvConfig:
    """One stage: ``num_layers`` blocks of type ``block``; the first has ``stride`` and maps
    ``input_channels`` to ``out_channels``, the others keep ``out_channels`` at stride 1."""

    def __init__(
        self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
    ):
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.block = block

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of :class:`MBConv` blocks, its widths scaled by ``width_mult`` (rounded to
    multiples of 8) and its depth by ``depth_mult`` (rounded up)."""

    def __init__(
        self,
        expand_ratio,
        kernel,
        stride,
        input_channels,
        out_channels,
        num_layers,
        width_mult=1.0,
        depth_mult=1.0,
        block=None,
    ):
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        if block is None:
            block = MBConv
        super().__init__(
            expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
        )

    @staticmethod
    def adjust_depth(num_layers, depth_mult):
        return math.ceil(num_layers * depth_mult)


class FusedMBConvConfig(_MBConvConfig):
    """A stage of :class:`FusedMBConv` blocks (EfficientNetV2), unscaled."""

    def __init__(
        self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None
    ):
        if block is None:
            block = FusedMBConv
        super().__init__(
            expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
        )


class _ResidualBlock(nn.Module):
    """``layers`` as ``self.block``, with a stochastic-depth residual connection when the
    stride is 1 and the channels match."""

    def __init__(self, cnf, stochastic_depth_prob, layers):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class MBConv(_ResidualBlock):
    """The mobile inverted bottleneck: 1×1 expansion (left out at ratio 1), depthwise k×k,
    squeeze-and-excitation (SiLU, squeezing to a quarter of the input width), 1×1 projection
    without activation; SiLU activations.

    Args:
        cnf (MBConvConfig): the block's configuration.
        stochastic_depth_prob (float): the probability of dropping the residual branch.
        norm_layer (callable): normalisation layer factory.
        se_layer (callable): squeeze-and-excitation factory. Default: ``SqueezeExcitation``.
    """

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        activation_layer = nn.SiLU
        layers = []
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    expanded_channels,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                )
            )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                expanded_channels,
                kernel_size=cnf.kernel,
                stride=cnf.stride,
                groups=expanded_channels,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
            )
        )
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(
            se_layer(expanded_channels, squeeze_channels, activation=partial(nn.SiLU, inplace=True))
        )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                cnf.out_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=None,
            )
        )
        super().__init__(cnf, stochastic_depth_prob, layers)


class FusedMBConv(_ResidualBlock):
    """The fused block of EfficientNetV2: a k×k convolution in place of the expansion and
    depthwise pair, then a 1×1 projection without activation (a single k×k at ratio 1).

    Args:
        cnf (FusedMBConvConfig): the block's configuration.
        stochastic_depth_prob (float): the probability of dropping the residual branch.
        norm_layer (callable): normalisation layer factory.
    """

    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        first = partial(
            Conv2dNormActivation,
            cnf.input_channels,
            kernel_size=cnf.kernel,
            stride=cnf.stride,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )
        if expanded_channels != cnf.input_channels:
            layers = [
                first(expanded_channels),
                Conv2dNormActivation(
                    expanded_channels,
                    cnf.out_channels,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=None,
                ),
            ]
        else:
            layers = [first(cnf.out_channels)]
        super().__init__(cnf, stochastic_depth_prob, layers)


class EfficientNet(nn.Module):
    """EfficientNet V1 and V2, from `EfficientNet: Rethinking Model Scaling for Convolutional
    Neural Networks <https://arxiv.org/abs/1905.11946>`_ and `EfficientNetV2: Smaller Models
    and Faster Training <https://arxiv.org/abs/2104.00298>`_.

    ``features`` (3×3 stride-2 stem, one Sequential per stage, 1×1 head; SiLU) → ``avgpool``
    → flatten → ``classifier`` (Dropout, Linear). Block ``i`` of ``n`` drops its residual
    branch with probability ``stochastic_depth_prob * i / n`` in training. Convolutions get
    ``kaiming_normal_(mode="fan_out")``, normalisation layers weight 1 and bias 0, linear
    layers U(-1/√out_features, 1/√out_features) weights and zero bias.

    Args:
        inverted_residual_setting (Sequence[MBConvConfig | FusedMBConvConfig]): the stages.
        dropout (float): the dropout probability of the classifier.
        stochastic_depth_prob (float): the stochastic depth probability. Default: 0.2.
        num_classes (int): number of classes. Default: 1000.
        norm_layer (callable, optional): normalisation layer factory. Default: BatchNorm2d.
        last_channel (int, optional): the channels of the penultimate layer. Default: None,
            4× the last stage's.
    """

    def __init__(
        self,
        inverted_residual_setting,
        dropout,
        stochastic_depth_prob=0.2,
        num_classes=1000,
        norm_layer=None,
        last_channel=None,
    ):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (
            isinstance(inverted_residual_setting, Sequence)
            and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)
        ):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers = [
            Conv2dNormActivation(
                3,
                firstconv_output_channels,
                kernel_size=3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=nn.SiLU,
            )
        ]
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                # after the first block of a stage: same widths, stride 1
                if stage:
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                # the drop probability grows linearly with the block's depth
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))

        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = (
            last_channel if last_channel is not None else 4 * lastconv_input_channels
        )
        layers.append(
            Conv2dNormActivation(
                lastconv_input_channels,
                lastconv_output_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.SiLU,
            )
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(lastconv_output_channels, num_classes),
        )

        def init_linear(weight):
            init_range = 1.0 / math.sqrt(weight.shape[0])
            nn.init.uniform_(weight, -init_range, init_range)

        _init_mobile(self, init_linear)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


# EfficientNet-B0's stages (expansion, kernel, stride, in, out, layers); B1-B7 scale them.
_V1_STAGES = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]
# EfficientNetV2's stages: "F" fused, "M" plain MBConv.
# fmt: off
_V2_STAGES = {
    "efficientnet_v2_s": [
        ("F", 1, 3, 1, 24, 24, 2), ("F", 4, 3, 2, 24, 48, 4), ("F", 4, 3, 2, 48, 64, 4),
        ("M", 4, 3, 2, 64, 128, 6), ("M", 6, 3, 1, 128, 160, 9), ("M", 6, 3, 2, 160, 256, 15),
    ],
    "efficientnet_v2_m": [
        ("F", 1, 3, 1, 24, 24, 3), ("F", 4, 3, 2, 24, 48, 5), ("F", 4, 3, 2, 48, 80, 5),
        ("M", 4, 3, 2, 80, 160, 7), ("M", 6, 3, 1, 160, 176, 14), ("M", 6, 3, 2, 176, 304, 18),
        ("M", 6, 3, 1, 304, 512, 5),
    ],
    "efficientnet_v2_l": [
        ("F", 1, 3, 1, 32, 32, 4), ("F", 4, 3, 2, 32, 64, 7), ("F", 4, 3, 2, 64, 96, 7),
        ("M", 4, 3, 2, 96, 192, 10), ("M", 6, 3, 1, 192, 224, 19), ("M", 6, 3, 2, 224, 384, 25),
        ("M", 6, 3, 1, 384, 640, 7),
    ],
}
# fmt: on
_V2_CONFIG = {"F": FusedMBConvConfig, "M": MBConvConfig}

# Per model: width and depth multipliers (V1 only), default dropout, and the normalisation the
# weights were trained with (None: plain BatchNorm2d). B5-B7 and V2 pass theirs as a keyword,
# so giving norm_layer= to those builders is an error, as in torchvision.
_BN_TF = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_BN_V2 = partial(nn.BatchNorm2d, eps=1e-03)
# fmt: off
_MODELS = {
    "efficientnet_b0": (1.0, 1.0, 0.2, None),
    "efficientnet_b1": (1.0, 1.1, 0.2, None),
    "efficientnet_b2": (1.1, 1.2, 0.3, None),
    "efficientnet_b3": (1.2, 1.4, 0.3, None),
    "efficientnet_b4": (1.4, 1.8, 0.4, None),
    "efficientnet_b5": (1.6, 2.2, 0.4, _BN_TF),
    "efficientnet_b6": (1.8, 2.6, 0.5, _BN_TF),
    "efficientnet_b7": (2.0, 3.1, 0.5, _BN_TF),
    "efficientnet_v2_s": (None, None, 0.2, _BN_V2),
    "efficientnet_v2_m": (None, None, 0.3, _BN_V2),
    "efficientnet_v2_l": (None, None, 0.4, _BN_V2),
}
# fmt: on


def _efficientnet_conf(arch):
    """The stage configurations and ``last_channel`` of ``arch``."""
    if arch not in _MODELS:
        raise ValueError(f"Unsupported model type {arch}")
    width_mult, depth_mult, _, _ = _MODELS[arch]
    if arch.startswith("efficientnet_b"):
        setting = [
            MBConvConfig(*stage, width_mult=width_mult, depth_mult=depth_mult)
            for stage in _V1_STAGES
        ]
        return setting, None
    setting = [_V2_CONFIG[kind](*stage) for kind, *stage in _V2_STAGES[arch]]
    return setting, 1280


def _efficientnet(arch, weights, kwargs):
    inverted_residual_setting, last_channel = _efficientnet_conf(arch)
    _, _, dropout, norm_layer = _MODELS[arch]
    if norm_layer is not None:
        if "norm_layer" in kwargs:
            raise TypeError(
                "EfficientNet.__init__() got multiple values for keyword argument 'norm_layer'"
            )
        kwargs["norm_layer"] = norm_layer
    model = EfficientNet(
        inverted_residual_setting,
        kwargs.pop("dropout", dropout),
        last_channel=last_channel,
        **kwargs,
    )
    return _load_weights(model, weights)


@register_model()
def efficientnet_b0(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B0 from `EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks <https://arxiv.org/abs/1905.11946>`_, 5,288,548 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`EfficientNet` (``num_classes``, ``stochastic_depth_prob``,
            ``norm_layer``, ``dropout``: 0.2 here, 0.2 to 0.5 from B1 to B7).
    """
    return _efficientnet("efficientnet_b0", weights, kwargs)


@register_model()
def efficientnet_b1(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B1 (width ×1.0, depth ×1.1), 7,794,184 parameters; arguments as
    :func:`efficientnet_b0`."""
    return _efficientnet("efficientnet_b1", weights, kwargs)


@register_model()
def efficientnet_b2(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B2 (width ×1.1, depth ×1.2, dropout 0.3), 9,109,994 parameters;
    arguments as :func:`efficientnet_b0`."""
    return _efficientnet("efficientnet_b2", weights, kwargs)


@register_model()
def efficientnet_b3(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B3 (width ×1.2, depth ×1.4, dropout 0.3), 12,233,232 parameters;
    arguments as :func:`efficientnet_b0`."""
    return _efficientnet("efficientnet_b3", weights, kwargs)


@register_model()
def efficientnet_b4(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B4 (width ×1.4, depth ×1.8, dropout 0.4), 19,341,616 parameters;
    arguments as :func:`efficientnet_b0`."""
    return _efficientnet("efficientnet_b4", weights, kwargs)


@register_model()
def efficientnet_b5(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B5 (width ×1.6, depth ×2.2, dropout 0.4), 30,389,784 parameters; its
    batch norms have TensorFlow's ``eps=0.001, momentum=0.01`` (so ``norm_layer`` cannot be
    given); other arguments as :func:`efficientnet_b0`."""
    return _efficientnet("efficientnet_b5", weights, kwargs)


@register_model()
def efficientnet_b6(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B6 (width ×1.8, depth ×2.6, dropout 0.5), 43,040,704 parameters;
    arguments as :func:`efficientnet_b5`."""
    return _efficientnet("efficientnet_b6", weights, kwargs)


@register_model()
def efficientnet_b7(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B7 (width ×2.0, depth ×3.1, dropout 0.5), 66,347,960 parameters;
    arguments as :func:`efficientnet_b5`."""
    return _efficientnet("efficientnet_b7", weights, kwargs)


@register_model()
def efficientnet_v2_s(*, weights=None, progress=True, **kwargs):
    """EfficientNetV2-S from `EfficientNetV2: Smaller Models and Faster Training
    <https://arxiv.org/abs/2104.00298>`_ (dropout 0.2), 21,458,488 parameters; its batch
    norms have ``eps=1e-3`` (so ``norm_layer`` cannot be given); other arguments as
    :func:`efficientnet_b0`."""
    return _efficientnet("efficientnet_v2_s", weights, kwargs)


@register_model()
def efficientnet_v2_m(*, weights=None, progress=True, **kwargs):
    """EfficientNetV2-M (dropout 0.3), 54,139,356 parameters; arguments as
    :func:`efficientnet_v2_s`."""
    return _efficientnet("efficientnet_v2_m", weights, kwargs)


@register_model()
def efficientnet_v2_l(*, weights=None, progress=True, **kwargs):
    """EfficientNetV2-L (dropout 0.4), 118,515,272 parameters; arguments as
    :func:`efficientnet_v2_s`."""
    return _efficientnet("efficientnet_v2_l", weights, kwargs)
