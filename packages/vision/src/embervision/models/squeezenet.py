"""SqueezeNet 1.0 and 1.1 (Iandola et al., 2016) with torchvision's module names and
initialisation."""

from __future__ import annotations

import ember
from ember import nn

from ._api import _load_weights, register_model

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """The Fire module: a 1×1 ``squeeze`` convolution, then 1×1 (``expand1x1``) and 3×3
    (``expand3x3``) expansions concatenated along the channels; ReLU after each.

    Args:
        inplanes (int): input channels.
        squeeze_planes (int): channels after the squeeze.
        expand1x1_planes, expand3x3_planes (int): channels of the two expansions.
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return ember.cat(
            [
                self.expand1x1_activation(self.expand1x1(x)),
                self.expand3x3_activation(self.expand3x3(x)),
            ],
            1,
        )


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """SqueezeNet from `SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
    <0.5MB model size <https://arxiv.org/abs/1602.07360>`_.

    ``features`` (a stem convolution, max pools with ``ceil_mode=True`` and Fire modules) →
    ``classifier`` (Dropout, 1×1 convolution to ``num_classes``, ReLU,
    AdaptiveAvgPool2d((1, 1))) → flatten. Convolutions get ``kaiming_uniform_``, the final
    one N(0, 0.01), all biases 0.

    Args:
        version (str): ``"1_0"`` (7×7 stem of 96 channels) or ``"1_1"`` (3×3 stem of 64
            channels and earlier pooling: 2.4× less computation). Default: ``"1_0"``.
        num_classes (int): number of classes. Default: 1000.
        dropout (float): the dropout probability of the classifier. Default: 0.5.
    """

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2),
                nn.ReLU(inplace=True),
                _pool(),
                Fire(96, 16, 64, 64),
                Fire(128, 16, 64, 64),
                Fire(128, 32, 128, 128),
                _pool(),
                Fire(256, 32, 128, 128),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                _pool(),
                Fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2),
                nn.ReLU(inplace=True),
                _pool(),
                Fire(64, 16, 64, 64),
                Fire(128, 16, 64, 64),
                _pool(),
                Fire(128, 32, 128, 128),
                Fire(256, 32, 128, 128),
                _pool(),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")

        # The final convolution is initialised differently from the rest.
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.classifier(x)
        return ember.flatten(x, 1)


@register_model()
def squeezenet1_0(*, weights=None, progress=True, **kwargs):
    """SqueezeNet 1.0, 1,248,424 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`SqueezeNet` (``num_classes``, ``dropout``).
    """
    return _load_weights(SqueezeNet("1_0", **kwargs), weights)


@register_model()
def squeezenet1_1(*, weights=None, progress=True, **kwargs):
    """SqueezeNet 1.1 from the `official SqueezeNet repo
    <https://github.com/forresti/SqueezeNet/tree/master/SqueezeNet_v1.1>`_: 2.4× less
    computation than 1.0 and slightly fewer parameters (1,235,496), without losing accuracy;
    arguments as :func:`squeezenet1_0`."""
    return _load_weights(SqueezeNet("1_1", **kwargs), weights)
