"""LeNet-5 (LeCun et al., 1998), in the form PyTorch's tutorials made standard.

torchvision has no LeNet. The parameter names follow the ``Net`` of the PyTorch tutorial
"Neural Networks" (``conv1``, ``conv2``, ``fc1``, ``fc2``, ``fc3``), so checkpoints of that
widely copied model load unchanged.
"""

from __future__ import annotations

import ember
from ember import nn

from ._api import _load_weights, register_model

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """LeNet-5 for 1×32×32 images (28×28 MNIST digits padded by 2): 61,706 parameters.

    ``conv1`` (1→6, 5×5) → pool → ``conv2`` (6→16, 5×5) → pool → ``fc1`` (400→120) →
    ``fc2`` (120→84) → ``fc3`` (84→num_classes), with ReLU and 2×2 max pooling. With
    ``classic=True`` the activations are tanh and the pooling 2×2 averaging, as in the 1998
    paper (whose trainable subsampling coefficients, partial C3 connection table and RBF
    output layer are left out); the parameters are the same.

    Args:
        num_classes (int): number of output logits. Default: 10.
        classic (bool): tanh and average pooling instead of ReLU and max pooling.

    Shape:
        - Input: :math:`(N, 1, 32, 32)`.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(self, num_classes=10, classic=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        # Parameter-free layers: they add nothing to the state dict.
        self.activation = nn.Tanh() if classic else nn.ReLU()
        self.pool = nn.AvgPool2d(2) if classic else nn.MaxPool2d(2)

    def forward(self, x):
        x = self.pool(self.activation(self.conv1(x)))
        x = self.pool(self.activation(self.conv2(x)))
        x = ember.flatten(x, 1)
        x = self.activation(self.fc1(x))
        x = self.activation(self.fc2(x))
        return self.fc3(x)


@register_model()
def lenet5(*, num_classes=10, classic=False, weights=None, progress=True, **kwargs):
    """LeNet-5 (see :class:`LeNet5`).

    Args:
        num_classes (int): number of output logits. Default: 10.
        classic (bool): the 1998 variant with tanh and average pooling. Default: False.
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict to load
            (strictly). Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`LeNet5`.
    """
    model = LeNet5(num_classes=num_classes, classic=classic, **kwargs)
    return _load_weights(model, weights)
