"""ConvNeXt (Liu et al., 2022) Tiny, Small, Base and Large with torchvision's module names and
initialisation, so its state dicts load unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import ember
from ember import nn
from ember.nn import functional as F

from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import _load_weights, register_model

__all__ = [
    "ConvNeXt",
    "convnext_tiny",
    "convnext_small",
    "convnext_base",
    "convnext_large",
]


class LayerNorm2d(nn.LayerNorm):
    """``nn.LayerNorm`` over the channels of an ``(N, C, H, W)`` input (moved last and back)."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """The ConvNeXt block: 7×7 depthwise convolution, LayerNorm, Linear to 4× the width, GELU,
    Linear back, scaled per channel by ``layer_scale``, with a stochastic-depth residual
    connection. The norm and the linear layers run channels-last (``Permute``).

    Args:
        dim (int): the channels.
        layer_scale (float): the initial value of the per-channel scale.
        stochastic_depth_prob (float): the probability of dropping the residual branch.
        norm_layer (callable, optional): normalisation layer factory. Default:
            ``nn.LayerNorm`` with ``eps=1e-6``.
    """

    def __init__(self, dim, layer_scale, stochastic_depth_prob, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)

        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        result += input
        return result


class CNBlockConfig:
    """One stage (Section 3 of the ConvNeXt paper): ``num_layers`` blocks of
    ``input_channels``, then a downsampling to ``out_channels`` (None: the last stage, no
    downsampling)."""

    def __init__(self, input_channels, out_channels, num_layers):
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(input_channels={self.input_channels}, "
            f"out_channels={self.out_channels}, num_layers={self.num_layers})"
        )


class ConvNeXt(nn.Module):
    """ConvNeXt from `A ConvNet for the 2020s <https://arxiv.org/abs/2201.03545>`_.

    ``features`` (4×4 stride-4 patchify stem with LayerNorm2d, then per stage a Sequential of
    blocks and, between stages, LayerNorm2d + 2×2 stride-2 convolution) → ``avgpool`` →
    ``classifier`` (LayerNorm2d, Flatten, Linear). Block ``i`` of ``n`` drops its residual
    branch with probability ``stochastic_depth_prob * i / (n - 1)`` in training. Convolutions
    and linear layers get ``trunc_normal_(std=0.02)`` weights and zero biases.

    Args:
        block_setting (list[CNBlockConfig]): the stages.
        stochastic_depth_prob (float): the stochastic depth probability. Default: 0.0.
        layer_scale (float): the initial per-channel scale of the blocks. Default: 1e-6.
        num_classes (int): number of classes. Default: 1000.
        block (callable, optional): the block factory. Default: :class:`CNBlock`.
        norm_layer (callable, optional): normalisation layer factory of the stem, the
            downsampling layers and the classifier. Default: ``LayerNorm2d`` with ``eps=1e-6``.
        **kwargs: accepted and ignored, as in torchvision.
    """

    def __init__(
        self,
        block_setting,
        stochastic_depth_prob=0.0,
        layer_scale=1e-6,
        num_classes=1000,
        block=None,
        norm_layer=None,
        **kwargs,
    ):
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (
            isinstance(block_setting, Sequence)
            and all(isinstance(s, CNBlockConfig) for s in block_setting)
        ):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)

        layers = [
            Conv2dNormActivation(
                3,
                block_setting[0].input_channels,
                kernel_size=4,
                stride=4,
                padding=0,
                norm_layer=norm_layer,
                activation_layer=None,
                bias=True,
            )
        ]
        total_stage_blocks = sum(cnf.num_layers for cnf in block_setting)
        stage_block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                # the drop probability grows linearly with the block's depth
                sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(
                    nn.Sequential(
                        norm_layer(cnf.input_channels),
                        nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2),
                    )
                )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)

        last = block_setting[-1]
        lastconv_output_channels = (
            last.out_channels if last.out_channels is not None else last.input_channels
        )
        self.classifier = nn.Sequential(
            norm_layer(lastconv_output_channels),
            nn.Flatten(1),
            nn.Linear(lastconv_output_channels, num_classes),
        )

        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        return self.classifier(x)


# Per model: the stages as (input_channels, out_channels, num_layers), and the default
# stochastic depth probability.
_MODELS = {
    "convnext_tiny": ([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1),
    "convnext_small": ([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4),
    "convnext_base": ([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5),
    "convnext_large": ([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5),
}


def _convnext(arch, weights, kwargs):
    stages, stochastic_depth_prob = _MODELS[arch]
    block_setting = [CNBlockConfig(*stage) for stage in stages]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", stochastic_depth_prob)
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load_weights(model, weights)


@register_model()
def convnext_tiny(*, weights=None, progress=True, **kwargs):
    """ConvNeXt Tiny from `A ConvNet for the 2020s <https://arxiv.org/abs/2201.03545>`_:
    widths 96-768, depths [3, 3, 9, 3], stochastic depth 0.1, 28,589,128 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`ConvNeXt` (``stochastic_depth_prob``, ``layer_scale``,
            ``num_classes``, ``block``, ``norm_layer``).
    """
    return _convnext("convnext_tiny", weights, kwargs)


@register_model()
def convnext_small(*, weights=None, progress=True, **kwargs):
    """ConvNeXt Small: widths 96-768, depths [3, 3, 27, 3], stochastic depth 0.4, 50,223,688
    parameters; arguments as :func:`convnext_tiny`."""
    return _convnext("convnext_small", weights, kwargs)


@register_model()
def convnext_base(*, weights=None, progress=True, **kwargs):
    """ConvNeXt Base: widths 128-1024, depths [3, 3, 27, 3], stochastic depth 0.5,
    88,591,464 parameters; arguments as :func:`convnext_tiny`."""
    return _convnext("convnext_base", weights, kwargs)


@register_model()
def convnext_large(*, weights=None, progress=True, **kwargs):
    """ConvNeXt Large: widths 192-1536, depths [3, 3, 27, 3], stochastic depth 0.5,
    197,767,336 parameters; arguments as :func:`convnext_tiny`."""
    return _convnext("convnext_large", weights, kwargs)
