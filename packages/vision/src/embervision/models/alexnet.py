"""AlexNet, as torchvision builds it: the "one weird trick" variant (Krizhevsky, 2014)."""

from __future__ import annotations

import ember
from ember import nn

from ._api import _load_weights, register_model

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet from `One weird trick for parallelizing convolutional neural networks
    <https://arxiv.org/abs/1404.5997>`_: 64/192/384/256/256 channels, no local response
    normalisation, 61,100,840 parameters at 1000 classes.

    Layer indices and state-dict keys are torchvision's (``features.{0,3,6,8,10}``,
    ``classifier.{1,4,6}``). The adaptive pooling accepts any input from 63×63 up; the
    reference size is 224×224. Layers keep PyTorch's default initialisation.

    Args:
        num_classes (int): number of output logits. Default: 1000.
        dropout (float): dropout probability of the classifier. Default: 0.5.
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


@register_model()
def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet (see :class:`AlexNet`).

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict to load
            (strictly), e.g. torchvision's ``alexnet-owt-7be5be79.pth`` converted to
            safetensors. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`AlexNet` (``num_classes``, ``dropout``).
    """
    return _load_weights(AlexNet(**kwargs), weights)
