"""DenseNet-BC (Huang et al., 2016) with torchvision's module names and initialisation."""

from __future__ import annotations

import re
from collections import OrderedDict

import ember
import ember.nn.functional as F
from ember import nn

from ._api import _load_weights, register_model

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv1×1 to ``bn_size * growth_rate`` channels, then BN-ReLU-Conv3×3 to
    ``growth_rate``, on the concatenation of all earlier features of the block."""

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(
            num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False
        )
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(
            bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False
        )
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs):
        concated_features = ember.cat(inputs, 1)
        return self.conv1(self.relu1(self.norm1(concated_features)))

    def forward(self, input):
        prev_features = [input] if isinstance(input, ember.Tensor) else input
        bottleneck_output = self.bn_function(prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck_output)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers (``denselayer1`` ...), each fed every earlier output; the
    block returns the input and all new features concatenated along the channels."""

    def __init__(
        self,
        num_layers,
        num_input_features,
        bn_size,
        growth_rate,
        drop_rate,
        memory_efficient=False,
    ):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(
                num_input_features + i * growth_rate,
                growth_rate=growth_rate,
                bn_size=bn_size,
                drop_rate=drop_rate,
                memory_efficient=memory_efficient,
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-Conv1×1 then 2×2 average pooling between dense blocks."""

    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(
            num_input_features, num_output_features, kernel_size=1, stride=1, bias=False
        )
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC from `Densely Connected Convolutional Networks
    <https://arxiv.org/abs/1608.06993>`_.

    ``features`` (``conv0`` 7×7 stride 2, ``norm0``, ``relu0``, ``pool0``, then
    ``denseblock1`` … ``denseblock4`` with ``transition1`` … ``transition3`` halving the
    channels between them, and ``norm5``) → ReLU → global average pool → flatten →
    ``classifier``. Convolutions get ``kaiming_normal_`` (fan_in), batch norms weight 1 and
    bias 0, the classifier bias 0 (its weight keeps PyTorch's default).

    Args:
        growth_rate (int): how many filters each layer adds (``k`` in the paper). Default: 32.
        block_config (tuple[int, int, int, int]): how many layers in each dense block.
            Default: (6, 12, 24, 16).
        num_init_features (int): the filters of the first convolution. Default: 64.
        bn_size (int): multiplicative factor for the bottleneck layers' width
            (``bn_size * k``). Default: 4.
        drop_rate (float): dropout rate after each dense layer. Default: 0.
        num_classes (int): number of classes. Default: 1000.
        memory_efficient (bool): torchvision recomputes the bottleneck in backward to save
            memory (https://arxiv.org/abs/1707.06990). Accepted and stored; Ember computes
            the bottleneck the ordinary way, which gives the same results. Default: False.
    """

    def __init__(
        self,
        growth_rate=32,
        block_config=(6, 12, 24, 16),
        num_init_features=64,
        bn_size=4,
        drop_rate=0,
        num_classes=1000,
        memory_efficient=False,
    ):
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [
                    (
                        "conv0",
                        nn.Conv2d(
                            3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False
                        ),
                    ),
                    ("norm0", nn.BatchNorm2d(num_init_features)),
                    ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
                ]
            )
        )
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(
                num_layers=num_layers,
                num_input_features=num_features,
                bn_size=bn_size,
                growth_rate=growth_rate,
                drop_rate=drop_rate,
                memory_efficient=memory_efficient,
            )
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(
                    num_input_features=num_features, num_output_features=num_features // 2
                )
                self.features.add_module(f"transition{i + 1}", trans)
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        features = self.features(x)
        out = F.relu(features, inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = ember.flatten(out, 1)
        return self.classifier(out)


# The weights torchvision publishes (ported from LuaTorch) still name the dense layers'
# modules "norm.1", "conv.2", ...: dots no longer allowed in module names. A file converted
# straight from them loads after this renaming, as torchvision's own loader does.
_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _rename_legacy(key):
    return _LEGACY_KEY.sub(r"\1\2", key)


def _densenet(growth_rate, block_config, num_init_features, weights, **kwargs):
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    return _load_weights(model, weights, rename=_rename_legacy)


@register_model()
def densenet121(*, weights=None, progress=True, **kwargs):
    """DenseNet-121 (growth rate 32, blocks (6, 12, 24, 16), 64 initial features),
    7,978,856 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys (or the LuaTorch-era ``norm.1`` names), loaded strictly.
            Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`DenseNet` (``bn_size``, ``drop_rate``, ``num_classes``,
            ``memory_efficient``).
    """
    return _densenet(32, (6, 12, 24, 16), 64, weights, **kwargs)


@register_model()
def densenet161(*, weights=None, progress=True, **kwargs):
    """DenseNet-161 (growth rate 48, blocks (6, 12, 36, 24), 96 initial features),
    28,681,000 parameters; arguments as :func:`densenet121`."""
    return _densenet(48, (6, 12, 36, 24), 96, weights, **kwargs)


@register_model()
def densenet169(*, weights=None, progress=True, **kwargs):
    """DenseNet-169 (growth rate 32, blocks (6, 12, 32, 32)), 14,149,480 parameters;
    arguments as :func:`densenet121`."""
    return _densenet(32, (6, 12, 32, 32), 64, weights, **kwargs)


@register_model()
def densenet201(*, weights=None, progress=True, **kwargs):
    """DenseNet-201 (growth rate 32, blocks (6, 12, 48, 32)), 20,013,928 parameters;
    arguments as :func:`densenet121`."""
    return _densenet(32, (6, 12, 48, 32), 64, weights, **kwargs)
