"""RegNetX and RegNetY (Radosavovic et al., 2020) with torchvision's module names and
initialisation, so its state dicts load unchanged: one network built from the per-stage
widths and depths that the quantised linear rule of the paper gives."""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import _load_weights, register_model
from ._utils import _make_divisible

__all__ = [
    "RegNet",
    "regnet_y_400mf",
    "regnet_y_800mf",
    "regnet_y_1_6gf",
    "regnet_y_3_2gf",
    "regnet_y_8gf",
    "regnet_y_16gf",
    "regnet_y_32gf",
    "regnet_y_128gf",
    "regnet_x_400mf",
    "regnet_x_800mf",
    "regnet_x_1_6gf",
    "regnet_x_3_2gf",
    "regnet_x_8gf",
    "regnet_x_16gf",
    "regnet_x_32gf",
]


class SimpleStemIN(Conv2dNormActivation):
    """Simple stem for ImageNet: 3x3, BN, ReLU."""

    def __init__(self, width_in, width_out, norm_layer, activation_layer):
        super().__init__(
            width_in,
            width_out,
            kernel_size=3,
            stride=2,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )


class BottleneckTransform(nn.Sequential):
    """Bottleneck transformation: 1x1, 3x3 [+SE], 1x1.

    ``a`` (1×1 to the bottleneck width ``round(width_out * bottleneck_multiplier)``), ``b``
    (3×3 grouped convolution, groups of ``group_width`` channels, carrying the stride), ``se``
    (squeeze-and-excitation to ``round(se_ratio * width_in)`` channels, only with
    ``se_ratio``) and ``c`` (1×1 to ``width_out``, no activation).
    """

    def __init__(
        self,
        width_in,
        width_out,
        stride,
        norm_layer,
        activation_layer,
        group_width,
        bottleneck_multiplier,
        se_ratio,
    ):
        layers = OrderedDict()
        w_b = round(width_out * bottleneck_multiplier)
        g = w_b // group_width
        conv = partial(Conv2dNormActivation, norm_layer=norm_layer)

        layers["a"] = conv(width_in, w_b, kernel_size=1, activation_layer=activation_layer)
        layers["b"] = conv(
            w_b, w_b, kernel_size=3, stride=stride, groups=g, activation_layer=activation_layer
        )
        if se_ratio:
            # The SE reduction ratio is defined with respect to the beginning of the block.
            width_se_out = round(se_ratio * width_in)
            layers["se"] = SqueezeExcitation(
                input_channels=w_b, squeeze_channels=width_se_out, activation=activation_layer
            )
        layers["c"] = conv(w_b, width_out, kernel_size=1, activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """Residual bottleneck block: x + F(x), F = bottleneck transform.

    The shortcut is a 1×1 convolution + norm (``proj``) when the width or the resolution
    changes; the sum goes through ``activation``.
    """

    def __init__(
        self,
        width_in,
        width_out,
        stride,
        norm_layer,
        activation_layer,
        group_width=1,
        bottleneck_multiplier=1.0,
        se_ratio=None,
    ):
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(
                width_in,
                width_out,
                kernel_size=1,
                stride=stride,
                norm_layer=norm_layer,
                activation_layer=None,
            )
        self.f = BottleneckTransform(
            width_in,
            width_out,
            stride,
            norm_layer,
            activation_layer,
            group_width,
            bottleneck_multiplier,
            se_ratio,
        )
        self.activation = activation_layer(inplace=True)

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class AnyStage(nn.Sequential):
    """AnyNet stage (sequence of blocks w/ the same output shape): ``depth`` blocks named
    ``block{stage_index}-{i}``; the first maps ``width_in`` to ``width_out`` with ``stride``."""

    def __init__(
        self,
        width_in,
        width_out,
        stride,
        depth,
        block_constructor,
        norm_layer,
        activation_layer,
        group_width,
        bottleneck_multiplier,
        se_ratio=None,
        stage_index=0,
    ):
        super().__init__()
        for i in range(depth):
            block = block_constructor(
                width_in if i == 0 else width_out,
                width_out,
                stride if i == 0 else 1,
                norm_layer,
                activation_layer,
                group_width,
                bottleneck_multiplier,
                se_ratio,
            )
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """The per-stage settings of a RegNet: ``depths``, ``widths``, ``group_widths``,
    ``bottleneck_multipliers``, ``strides`` (lists, one entry a stage) and ``se_ratio``."""

    def __init__(
        self, depths, widths, group_widths, bottleneck_multipliers, strides, se_ratio=None
    ):
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(
        cls,
        depth,
        w_0,
        w_a,
        w_m,
        group_width,
        bottleneck_multiplier=1.0,
        se_ratio=None,
        **kwargs,
    ):
        """Programmatically compute all the per-block settings, given the RegNet parameters.

        Block ``j`` has the continuous width ``u_j = w_0 + w_a * j``, quantised in log space
        to ``w_0 * w_m ** round(log(u_j / w_0) / log(w_m))`` and rounded to a multiple of 8;
        consecutive blocks of equal width form a stage (each of stride 2). The widths are then
        adjusted so that the bottleneck width is a multiple of the group width. The arithmetic
        is float32, as torchvision's, so that the rounding (and the widths) are the same.
        Other keyword arguments are ignored.

        Args:
            depth (int): the number of blocks.
            w_0 (int): the initial width (a multiple of 8).
            w_a (float): the width slope.
            w_m (float): the width multiplier between stages (> 1).
            group_width (int): channels per group of the 3×3 convolutions.
            bottleneck_multiplier (float): the bottleneck width over the block width.
            se_ratio (float, optional): the squeeze-and-excitation ratio (RegNetY).

        Raises:
            ValueError: ``w_a < 0``, ``w_0 <= 0``, ``w_m <= 1`` or ``w_0`` not a multiple of 8.
        """
        QUANT = 8
        STRIDE = 2

        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        # Each stage has one unique block width.
        widths_cont = ember.arange(depth) * w_a + w_0
        block_capacity = ember.round(ember.log(widths_cont / w_0) / math.log(w_m))
        quantised = ember.round(ember.pow(w_m, block_capacity) * w_0 / QUANT) * QUANT
        block_widths = quantised.int().tolist()
        num_stages = len(set(block_widths))

        # A stage starts wherever the width changes; its depth is the distance to the next.
        starts = [j for j, w in enumerate(block_widths) if j == 0 or w != block_widths[j - 1]]
        stage_widths = [block_widths[j] for j in starts]
        stage_depths = [end - start for start, end in zip(starts, starts[1:] + [depth])]

        strides = [STRIDE] * num_stages
        bottleneck_multipliers = [bottleneck_multiplier] * num_stages
        group_widths = [group_width] * num_stages

        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, bottleneck_multipliers, group_widths
        )
        return cls(
            depths=stage_depths,
            widths=stage_widths,
            group_widths=group_widths,
            bottleneck_multipliers=bottleneck_multipliers,
            strides=strides,
            se_ratio=se_ratio,
        )

    def _get_expanded_params(self):
        return zip(
            self.widths, self.strides, self.depths, self.group_widths, self.bottleneck_multipliers
        )

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths, bottleneck_ratios, group_widths):
        """Adjusts the compatibility of widths and groups, depending on the bottleneck ratio:
        the group width is at most the bottleneck width, and the bottleneck width is rounded
        to a multiple of it."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [_make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """RegNet from `Designing Network Design Spaces <https://arxiv.org/abs/2003.13678>`_.

    ``stem`` (3×3 stride-2 convolution, norm, activation) → ``trunk_output`` (stages
    ``block1`` … ``blockN`` of :class:`AnyStage`) → ``avgpool`` → flatten → ``fc``.
    Convolutions get N(0, 2 / fan_out) weights, batch norms weight 1 and bias 0, ``fc``
    N(0, 0.01²) weights and zero bias.

    Args:
        block_params (BlockParams): the stages.
        num_classes (int): number of classes. Default: 1000.
        stem_width (int): the stem's output channels. Default: 32.
        stem_type (callable, optional): the stem factory. Default: :class:`SimpleStemIN`.
        block_type (callable, optional): the block factory. Default:
            :class:`ResBottleneckBlock`.
        norm_layer (callable, optional): normalisation layer factory. Default: BatchNorm2d.
        activation (callable, optional): activation factory. Default: ``nn.ReLU``.
    """

    def __init__(
        self,
        block_params,
        num_classes=1000,
        stem_width=32,
        stem_type=None,
        block_type=None,
        norm_layer=None,
        activation=None,
    ):
        super().__init__()
        if stem_type is None:
            stem_type = SimpleStemIN
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if block_type is None:
            block_type = ResBottleneckBlock
        if activation is None:
            activation = nn.ReLU

        self.stem = stem_type(3, stem_width, norm_layer, activation)

        current_width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, bottleneck_multiplier) in enumerate(
            block_params._get_expanded_params()
        ):
            stage = AnyStage(
                current_width,
                width_out,
                stride,
                depth,
                block_type,
                norm_layer,
                activation,
                group_width,
                bottleneck_multiplier,
                block_params.se_ratio,
                stage_index=i + 1,
            )
            blocks.append((f"block{i + 1}", stage))
            current_width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=current_width, out_features=num_classes)

        # ResNet-style initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                # no bias: a norm follows
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.stem(x)
        x = self.trunk_output(x)
        x = self.avgpool(x)
        x = x.flatten(start_dim=1)
        return self.fc(x)


# Per model: depth, w_0, w_a, w_m, group_width and (RegNetY) se_ratio of Table 1 / Appendix C.
# fmt: off
_MODELS = {
    "regnet_y_400mf": dict(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25),
    "regnet_y_800mf": dict(depth=14, w_0=56, w_a=38.84, w_m=2.4, group_width=16, se_ratio=0.25),
    "regnet_y_1_6gf": dict(depth=27, w_0=48, w_a=20.71, w_m=2.65, group_width=24, se_ratio=0.25),
    "regnet_y_3_2gf": dict(depth=21, w_0=80, w_a=42.63, w_m=2.66, group_width=24, se_ratio=0.25),
    "regnet_y_8gf": dict(depth=17, w_0=192, w_a=76.82, w_m=2.19, group_width=56, se_ratio=0.25),
    "regnet_y_16gf": dict(depth=18, w_0=200, w_a=106.23, w_m=2.48, group_width=112,
                          se_ratio=0.25),
    "regnet_y_32gf": dict(depth=20, w_0=232, w_a=115.89, w_m=2.53, group_width=232,
                          se_ratio=0.25),
    "regnet_y_128gf": dict(depth=27, w_0=456, w_a=160.83, w_m=2.52, group_width=264,
                           se_ratio=0.25),
    "regnet_x_400mf": dict(depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16),
    "regnet_x_800mf": dict(depth=16, w_0=56, w_a=35.73, w_m=2.28, group_width=16),
    "regnet_x_1_6gf": dict(depth=18, w_0=80, w_a=34.01, w_m=2.25, group_width=24),
    "regnet_x_3_2gf": dict(depth=25, w_0=88, w_a=26.31, w_m=2.25, group_width=48),
    "regnet_x_8gf": dict(depth=23, w_0=80, w_a=49.56, w_m=2.88, group_width=120),
    "regnet_x_16gf": dict(depth=22, w_0=216, w_a=55.59, w_m=2.1, group_width=128),
    "regnet_x_32gf": dict(depth=23, w_0=320, w_a=69.86, w_m=2.0, group_width=168),
}
# fmt: on


def _regnet(arch, weights, kwargs):
    # As in torchvision, the keywords go both to BlockParams.from_init_params (which ignores
    # those it does not take) and to RegNet (which rejects those it does not take).
    params = BlockParams.from_init_params(**_MODELS[arch], **kwargs)
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    model = RegNet(params, norm_layer=norm_layer, **kwargs)
    return _load_weights(model, weights)


@register_model()
def regnet_y_400mf(*, weights=None, progress=True, **kwargs):
    """RegNetY-400MF from `Designing Network Design Spaces
    <https://arxiv.org/abs/2003.13678>`_, 4,344,144 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`RegNet` (``num_classes``, ``stem_width``, ``stem_type``,
            ``block_type``, ``norm_layer``, ``activation``). As in torchvision, they also go
            to :meth:`BlockParams.from_init_params`, which ignores them, so a setting of the
            stages (``bottleneck_multiplier``, ``se_ratio``) raises ``TypeError``.
    """
    return _regnet("regnet_y_400mf", weights, kwargs)


@register_model()
def regnet_y_800mf(*, weights=None, progress=True, **kwargs):
    """RegNetY-800MF, 6,432,512 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_800mf", weights, kwargs)


@register_model()
def regnet_y_1_6gf(*, weights=None, progress=True, **kwargs):
    """RegNetY-1.6GF, 11,202,430 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_1_6gf", weights, kwargs)


@register_model()
def regnet_y_3_2gf(*, weights=None, progress=True, **kwargs):
    """RegNetY-3.2GF, 19,436,338 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_3_2gf", weights, kwargs)


@register_model()
def regnet_y_8gf(*, weights=None, progress=True, **kwargs):
    """RegNetY-8GF, 39,381,472 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_8gf", weights, kwargs)


@register_model()
def regnet_y_16gf(*, weights=None, progress=True, **kwargs):
    """RegNetY-16GF, 83,590,140 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_16gf", weights, kwargs)


@register_model()
def regnet_y_32gf(*, weights=None, progress=True, **kwargs):
    """RegNetY-32GF, 145,046,770 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_32gf", weights, kwargs)


@register_model()
def regnet_y_128gf(*, weights=None, progress=True, **kwargs):
    """RegNetY-128GF, 644,812,894 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_y_128gf", weights, kwargs)


@register_model()
def regnet_x_400mf(*, weights=None, progress=True, **kwargs):
    """RegNetX-400MF (no squeeze-and-excitation), 5,495,976 parameters; arguments as
    :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_400mf", weights, kwargs)


@register_model()
def regnet_x_800mf(*, weights=None, progress=True, **kwargs):
    """RegNetX-800MF, 7,259,656 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_800mf", weights, kwargs)


@register_model()
def regnet_x_1_6gf(*, weights=None, progress=True, **kwargs):
    """RegNetX-1.6GF, 9,190,136 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_1_6gf", weights, kwargs)


@register_model()
def regnet_x_3_2gf(*, weights=None, progress=True, **kwargs):
    """RegNetX-3.2GF, 15,296,552 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_3_2gf", weights, kwargs)


@register_model()
def regnet_x_8gf(*, weights=None, progress=True, **kwargs):
    """RegNetX-8GF, 39,572,648 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_8gf", weights, kwargs)


@register_model()
def regnet_x_16gf(*, weights=None, progress=True, **kwargs):
    """RegNetX-16GF, 54,278,536 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_16gf", weights, kwargs)


@register_model()
def regnet_x_32gf(*, weights=None, progress=True, **kwargs):
    """RegNetX-32GF, 107,811,560 parameters; arguments as :func:`regnet_y_400mf`."""
    return _regnet("regnet_x_32gf", weights, kwargs)
