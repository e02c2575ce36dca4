"""GoogLeNet (Inception v1, Szegedy et al., 2014) with torchvision's module names, so its
state dicts load unchanged."""

from __future__ import annotations

from collections import namedtuple

import ember
from ember import nn
from ember.nn import functional as F

from ._api import _load_weights, register_model
from ._utils import _overwrite_named_param

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "googlenet"]


GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = """What :class:`GoogLeNet` returns in training mode with
``aux_logits``: the main logits and those of the auxiliary classifiers after
``inception4d`` (``aux_logits2``) and ``inception4a`` (``aux_logits1``)."""


def _transform_input(x):
    """Re-normalise ImageNet-normalised input (mean (0.485, 0.456, 0.406), std (0.229,
    0.224, 0.225)) to the ``(x - 0.5) / 0.5`` scaling the ported Google weights expect."""
    x_ch0 = ember.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
    x_ch1 = ember.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
    x_ch2 = ember.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
    return ember.cat((x_ch0, x_ch1, x_ch2), 1)


def _init_truncated_normal(model, std):
    """torchvision's GoogLeNet and Inception v3 initialisation: every Conv2d and Linear
    weight ``trunc_normal_(mean=0, std, a=-2, b=2)`` (``std`` replaced by the layer's own
    ``stddev`` attribute where it has one), BatchNorm2d weight 1 and bias 0; biases keep
    PyTorch's default initialisation."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            stddev = float(getattr(m, "stddev", std))
            nn.init.trunc_normal_(m.weight, mean=0.0, std=stddev, a=-2, b=2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


def _pretrained_config(kwargs):
    """torchvision's settings for loading a checkpoint: ``transform_input`` defaults to True,
    the model is built with its auxiliary classifiers (the checkpoints hold them) and without
    initialisation; passing another ``aux_logits`` or ``init_weights`` raises ``ValueError``."""
    if "transform_input" not in kwargs:
        kwargs["transform_input"] = True
    _overwrite_named_param(kwargs, "aux_logits", True)
    _overwrite_named_param(kwargs, "init_weights", False)


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) model architecture from `"Going Deeper with Convolutions"
    <http://arxiv.org/abs/1409.4842>`_, as torchvision builds it.

    As in torchvision, the ``branch3`` of each :class:`Inception` block uses a 3×3
    convolution where the paper has 5×5 (pytorch/vision#906); the published weights were
    trained that way. In training mode with ``aux_logits`` the forward returns
    :class:`GoogLeNetOutputs` ``(logits, aux_logits2, aux_logits1)``; otherwise the logits.

    Args:
        num_classes (int): number of output logits. Default: 1000.
        aux_logits (bool): add the two auxiliary classifiers ``aux1`` (after
            ``inception4a``) and ``aux2`` (after ``inception4d``). Default: True.
        transform_input (bool): re-normalise ImageNet-normalised input to the scaling of the
            ported weights. Default: False.
        init_weights (bool, optional): initialise with truncated normals (std 0.01, cut at
            ±2). None means True (torchvision also warns that this default may change;
            Ember does not). Default: None.
        blocks (list, optional): the classes of the basic convolution, the Inception block
            and the auxiliary classifier. Default: ``[BasicConv2d, Inception, InceptionAux]``.
        dropout (float): dropout probability before ``fc``. Default: 0.2.
        dropout_aux (float): dropout probability of the auxiliary classifiers. Default: 0.7.

    Shape:
        - Input: :math:`(N, 3, H, W)`; ImageNet models use 224×224, the smallest accepted
          is 15×15.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(
        self,
        num_classes=1000,
        aux_logits=True,
        transform_input=False,
        init_weights=None,
        blocks=None,
        dropout=0.2,
        dropout_aux=0.7,
    ):
        super().__init__()
        if blocks is None:
            blocks = [BasicConv2d, Inception, InceptionAux]
        if init_weights is None:
            init_weights = True
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, inception_aux_block = blocks

        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = inception_block(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception_block(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = inception_block(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception_block(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception_block(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception_block(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception_block(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = inception_block(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception_block(832, 384, 192, 384, 48, 128, 128)

        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if init_weights:
            _init_truncated_normal(self, 0.01)

    def forward(self, x):
        if self.transform_input:
            x = _transform_input(x)
        x = self.conv1(x)
        x = self.maxpool1(x)
        x = self.conv2(x)
        x = self.conv3(x)
        x = self.maxpool2(x)

        x = self.inception3a(x)
        x = self.inception3b(x)
        x = self.maxpool3(x)
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None

        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None

        x = self.inception4e(x)
        x = self.maxpool4(x)
        x = self.inception5a(x)
        x = self.inception5b(x)

        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        x = self.dropout(x)
        x = self.fc(x)
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


class Inception(nn.Module):
    """Four parallel branches concatenated along the channels: a 1×1 convolution
    (``branch1``), 1×1 then 3×3 (``branch2``), 1×1 then 3×3 (``branch3``, 5×5 in the paper)
    and a 3×3 max pool then 1×1 (``branch4``).

    Args:
        in_channels (int): input channels.
        ch1x1 (int): outputs of ``branch1``.
        ch3x3red, ch3x3 (int): reduction and output channels of ``branch2``.
        ch5x5red, ch5x5 (int): reduction and output channels of ``branch3``.
        pool_proj (int): outputs of ``branch4``.
        conv_block (callable, optional): the convolution block. Default: :class:`BasicConv2d`.
    """

    def __init__(
        self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, conv_block=None
    ):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            conv_block(in_channels, ch3x3red, kernel_size=1),
            conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            conv_block(in_channels, ch5x5red, kernel_size=1),
            # kernel_size=3 instead of 5 is a known bug kept for the published weights
            # (pytorch/vision#906).
            conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            conv_block(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        branches = [self.branch1, self.branch2, self.branch3, self.branch4]
        return ember.cat([branch(x) for branch in branches], 1)


class InceptionAux(nn.Module):
    """An auxiliary classifier: adaptive average pooling to 4×4, a 1×1 convolution to 128
    channels, flatten, ``fc1`` (2048 → 1024) with ReLU, dropout and ``fc2``.

    Args:
        in_channels (int): input channels.
        num_classes (int): number of output logits.
        conv_block (callable, optional): the convolution block. Default: :class:`BasicConv2d`.
        dropout (float): dropout probability before ``fc2``. Default: 0.7.
    """

    def __init__(self, in_channels, num_classes, conv_block=None, dropout=0.7):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x, (4, 4))
        x = self.conv(x)
        x = ember.flatten(x, 1)
        x = F.relu(self.fc1(x), inplace=True)
        x = self.dropout(x)
        return self.fc2(x)


class BasicConv2d(nn.Module):
    """Convolution without bias (``kwargs`` passed to ``nn.Conv2d``), BatchNorm2d with
    ``eps=0.001`` and ReLU."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        return F.relu(x, inplace=True)


@register_model()
def googlenet(*, weights=None, progress=True, **kwargs):
    """GoogLeNet (Inception v1) model architecture from `Going Deeper with Convolutions
    <http://arxiv.org/abs/1409.4842>`__, 6,624,904 parameters (13,004,888 with the
    auxiliary classifiers).

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, auxiliary classifiers included, loaded strictly. As in
            torchvision, loading one makes ``transform_input`` default to True, skips the
            initialisation, and then drops the auxiliary classifiers unless ``aux_logits=True``
            was passed (they are not pre-trained); ``aux_logits=False`` or
            ``init_weights=True`` with it raises ``ValueError``. Default: None, random
            initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`GoogLeNet` (``num_classes``, ``aux_logits``,
            ``transform_input``, ``init_weights``, ``blocks``, ``dropout``, ``dropout_aux``).
    """
    original_aux_logits = kwargs.get("aux_logits", False)
    if weights is not None:
        _pretrained_config(kwargs)
    model = _load_weights(GoogLeNet(**kwargs), weights)
    if weights is not None and not original_aux_logits:
        model.aux_logits = False
        model.aux1 = None
        model.aux2 = None
    return model
