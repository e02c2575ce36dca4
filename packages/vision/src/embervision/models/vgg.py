"""VGG (Simonyan & Zisserman, 2014): one generic network built from a configuration table."""

from __future__ import annotations

import ember
from ember import nn

from ._api import _load_weights, register_model

__all__ = [
    "VGG",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]


class VGG(nn.Module):
    """VGG from `Very Deep Convolutional Networks for Large-Scale Image Recognition
    <https://arxiv.org/abs/1409.1556>`_, with torchvision's layer indices and initialisation.

    ``features`` (from :func:`make_layers`) → ``avgpool`` (AdaptiveAvgPool2d((7, 7))) →
    flatten → ``classifier`` (Linear(25088, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU,
    Dropout, Linear(4096, num_classes)). The adaptive pooling lets inputs as small as 32×32
    through (a 1×1 map is spread to 7×7).

    Args:
        features (nn.Module): the convolutional part, ending in 512 channels.
        num_classes (int): number of output logits. Default: 1000.
        init_weights (bool): convolutions get ``kaiming_normal_(mode="fan_out",
            nonlinearity="relu")`` and zero bias, batch norms weight 1 and bias 0, linear
            layers N(0, 0.01) weights and zero bias. Default: True.
        dropout (float): dropout probability of the classifier. Default: 0.5.
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


def make_layers(cfg, batch_norm=False):
    """The ``features`` of a VGG from a configuration list.

    Each integer ``v`` adds Conv2d(in, v, 3, padding=1) [+ BatchNorm2d(v)] + ReLU(inplace);
    ``"M"`` adds MaxPool2d(2, 2). The input has 3 channels.

    Args:
        cfg (list[int | str]): e.g. ``cfgs["A"]``.
        batch_norm (bool): add a batch norm after each convolution.

    Returns:
        nn.Sequential: the layers, indexed as torchvision indexes them.
    """
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


# "A" is VGG-11, "B" VGG-13, "D" VGG-16 and "E" VGG-19: the columns of the paper's Table 1.
# fmt: off
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
          512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
# fmt: on


def _vgg(cfg, batch_norm, weights, **kwargs):
    if weights is not None:
        # The loaded weights replace the initialisation: skip its ~130M random draws.
        kwargs.setdefault("init_weights", False)
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    return _load_weights(model, weights)


@register_model()
def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (configuration "A"), 132,863,336 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly (the random initialisation is then skipped).
            Default: None.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`VGG` (``num_classes``, ``init_weights``, ``dropout``).
    """
    return _vgg("A", False, weights, **kwargs)


@register_model()
def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with batch normalization, 132,868,840 parameters; arguments as :func:`vgg11`."""
    return _vgg("A", True, weights, **kwargs)


@register_model()
def vgg13(*, weights=None, progress=True, **kwargs):
    """VGG-13 (configuration "B"), 133,047,848 parameters; arguments as :func:`vgg11`."""
    return _vgg("B", False, weights, **kwargs)


@register_model()
def vgg13_bn(*, weights=None, progress=True, **kwargs):
    """VGG-13 with batch normalization, 133,053,736 parameters; arguments as :func:`vgg11`."""
    return _vgg("B", True, weights, **kwargs)


@register_model()
def vgg16(*, weights=None, progress=True, **kwargs):
    """VGG-16 (configuration "D"), 138,357,544 parameters; arguments as :func:`vgg11`."""
    return _vgg("D", False, weights, **kwargs)


@register_model()
def vgg16_bn(*, weights=None, progress=True, **kwargs):
    """VGG-16 with batch normalization, 138,365,992 parameters; arguments as :func:`vgg11`."""
    return _vgg("D", True, weights, **kwargs)


@register_model()
def vgg19(*, weights=None, progress=True, **kwargs):
    """VGG-19 (configuration "E"), 143,667,240 parameters; arguments as :func:`vgg11`."""
    return _vgg("E", False, weights, **kwargs)


@register_model()
def vgg19_bn(*, weights=None, progress=True, **kwargs):
    """VGG-19 with batch normalization, 143,678,248 parameters; arguments as :func:`vgg11`."""
    return _vgg("E", True, weights, **kwargs)
