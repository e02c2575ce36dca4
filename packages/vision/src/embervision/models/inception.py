"""Inception v3 (Szegedy et al., 2015) with torchvision's module names, so its state dicts
load unchanged."""

from __future__ import annotations

from collections import namedtuple

import ember
from ember import nn
from ember.nn import functional as F

from ._api import _load_weights, register_model
from .googlenet import BasicConv2d, _init_truncated_normal, _pretrained_config, _transform_input

__all__ = ["Inception3", "InceptionOutputs", "inception_v3"]


InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])
InceptionOutputs.__doc__ = """What :class:`Inception3` returns in training mode with
``aux_logits``: the main logits and those of the auxiliary classifier (``AuxLogits``, after
``Mixed_6e``)."""


class Inception3(nn.Module):
    """Inception v3 model architecture from `"Rethinking the Inception Architecture for
    Computer Vision" <http://arxiv.org/abs/1512.00567>`_, as torchvision builds it.

    In training mode with ``aux_logits`` the forward returns :class:`InceptionOutputs`
    ``(logits, aux_logits)``; otherwise the logits.

    Args:
        num_classes (int): number of output logits. Default: 1000.
        aux_logits (bool): add the auxiliary classifier ``AuxLogits`` after ``Mixed_6e``.
            Default: True.
        transform_input (bool): re-normalise ImageNet-normalised input to the scaling of the
            ported weights. Default: False.
        inception_blocks (list, optional): the classes of the basic convolution, the
            InceptionA … InceptionE blocks and the auxiliary classifier, in that order.
        init_weights (bool, optional): initialise Conv2d and Linear weights with truncated
            normals cut at ±2, std 0.1 (0.001 for ``AuxLogits.fc``). None means True
            (torchvision also warns that this default may change; Ember does not).
            Default: None.
        dropout (float): dropout probability before ``fc``. Default: 0.5.

    Shape:
        - Input: :math:`(N, 3, H, W)`; the ImageNet models use 299×299. In evaluation mode
          the smallest accepted is 75×75; the auxiliary classifier (training mode) needs
          299×299 (its 5×5 average pool and 5×5 convolution must fit ``Mixed_6e``'s output).
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(
        self,
        num_classes=1000,
        aux_logits=True,
        transform_input=False,
        inception_blocks=None,
        init_weights=None,
        dropout=0.5,
    ):
        super().__init__()
        if inception_blocks is None:
            inception_blocks = [
                BasicConv2d,
                InceptionA,
                InceptionB,
                InceptionC,
                InceptionD,
                InceptionE,
                InceptionAux,
            ]
        if init_weights is None:
            init_weights = True
        if len(inception_blocks) != 7:
            raise ValueError(
                f"length of inception_blocks should be 7 instead of {len(inception_blocks)}"
            )
        conv_block, inception_a, inception_b, inception_c = inception_blocks[:4]
        inception_d, inception_e, inception_aux = inception_blocks[4:]

        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.Conv2d_1a_3x3 = conv_block(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = conv_block(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = conv_block(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = conv_block(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = conv_block(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = inception_a(192, pool_features=32)
        self.Mixed_5c = inception_a(256, pool_features=64)
        self.Mixed_5d = inception_a(288, pool_features=64)
        self.Mixed_6a = inception_b(288)
        self.Mixed_6b = inception_c(768, channels_7x7=128)
        self.Mixed_6c = inception_c(768, channels_7x7=160)
        self.Mixed_6d = inception_c(768, channels_7x7=160)
        self.Mixed_6e = inception_c(768, channels_7x7=192)
        self.AuxLogits = inception_aux(768, num_classes) if aux_logits else None
        self.Mixed_7a = inception_d(768)
        self.Mixed_7b = inception_e(1280)
        self.Mixed_7c = inception_e(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)
        if init_weights:
            _init_truncated_normal(self, 0.1)

    def forward(self, x):
        if self.transform_input:
            x = _transform_input(x)
        x = self.Conv2d_1a_3x3(x)
        x = self.Conv2d_2a_3x3(x)
        x = self.Conv2d_2b_3x3(x)
        x = self.maxpool1(x)
        x = self.Conv2d_3b_1x1(x)
        x = self.Conv2d_4a_3x3(x)
        x = self.maxpool2(x)
        x = self.Mixed_5b(x)
        x = self.Mixed_5c(x)
        x = self.Mixed_5d(x)
        x = self.Mixed_6a(x)
        x = self.Mixed_6b(x)
        x = self.Mixed_6c(x)
        x = self.Mixed_6d(x)
        x = self.Mixed_6e(x)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        x = self.Mixed_7a(x)
        x = self.Mixed_7b(x)
        x = self.Mixed_7c(x)
        x = self.avgpool(x)
        x = self.dropout(x)
        x = ember.flatten(x, 1)
        x = self.fc(x)
        if self.training and self.aux_logits:
            return InceptionOutputs(x, aux)
        return x


def _avg_pool_3x3(x):
    """The pooling branch of InceptionA, C and E: 3×3 average pool, stride 1, padding 1."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)


class InceptionA(nn.Module):
    """The 35×35 block (Mixed_5b … 5d): 1×1, 1×1 → 5×5, 1×1 → 3×3 → 3×3 and average pool →
    1×1 (``pool_features`` channels) branches, concatenated."""

    def __init__(self, in_channels, pool_features, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1x1 = conv_block(in_channels, 64, kernel_size=1)

        self.branch5x5_1 = conv_block(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = conv_block(48, 64, kernel_size=5, padding=2)

        self.branch3x3dbl_1 = conv_block(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = conv_block(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = conv_block(96, 96, kernel_size=3, padding=1)

        self.branch_pool = conv_block(in_channels, pool_features, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(_avg_pool_3x3(x))
        return ember.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], 1)


class InceptionB(nn.Module):
    """The 35×35 → 17×17 reduction (Mixed_6a): stride-2 3×3, 1×1 → 3×3 → stride-2 3×3 and
    a stride-2 3×3 max pool, concatenated."""

    def __init__(self, in_channels, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch3x3 = conv_block(in_channels, 384, kernel_size=3, stride=2)

        self.branch3x3dbl_1 = conv_block(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = conv_block(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = conv_block(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        branch3x3 = self.branch3x3(x)
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)
        return ember.cat([branch3x3, branch3x3dbl, branch_pool], 1)


class InceptionC(nn.Module):
    """The 17×17 block (Mixed_6b … 6e) with factorised 7×7 convolutions (1×7 and 7×1,
    ``channels_7x7`` wide inside): 1×1, 1×1 → 1×7 → 7×1, 1×1 → (7×1 → 1×7) × 2 and average
    pool → 1×1 branches, 192 channels each, concatenated."""

    def __init__(self, in_channels, channels_7x7, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1x1 = conv_block(in_channels, 192, kernel_size=1)

        c7 = channels_7x7
        self.branch7x7_1 = conv_block(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = conv_block(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = conv_block(c7, 192, kernel_size=(7, 1), padding=(3, 0))

        self.branch7x7dbl_1 = conv_block(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = conv_block(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = conv_block(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = conv_block(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = conv_block(c7, 192, kernel_size=(1, 7), padding=(0, 3))

        self.branch_pool = conv_block(in_channels, 192, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))

        branch7x7dbl = x
        for conv in (
            self.branch7x7dbl_1,
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            branch7x7dbl = conv(branch7x7dbl)

        branch_pool = self.branch_pool(_avg_pool_3x3(x))
        return ember.cat([branch1x1, branch7x7, branch7x7dbl, branch_pool], 1)


class InceptionD(nn.Module):
    """The 17×17 → 8×8 reduction (Mixed_7a): 1×1 → stride-2 3×3, 1×1 → 1×7 → 7×1 →
    stride-2 3×3 and a stride-2 3×3 max pool, concatenated."""

    def __init__(self, in_channels, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch3x3_1 = conv_block(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = conv_block(192, 320, kernel_size=3, stride=2)

        self.branch7x7x3_1 = conv_block(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = conv_block(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = conv_block(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = conv_block(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        branch3x3 = self.branch3x3_2(self.branch3x3_1(x))
        branch7x7x3 = x
        for conv in (
            self.branch7x7x3_1,
            self.branch7x7x3_2,
            self.branch7x7x3_3,
            self.branch7x7x3_4,
        ):
            branch7x7x3 = conv(branch7x7x3)
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)
        return ember.cat([branch3x3, branch7x7x3, branch_pool], 1)


class InceptionE(nn.Module):
    """The 8×8 block (Mixed_7b, 7c) with expanded filter banks: 1×1 (320), 1×1 → [1×3, 3×1]
    (384 each), 1×1 → 3×3 → [1×3, 3×1] (384 each) and average pool → 1×1 (192) branches,
    concatenated (2048 channels)."""

    def __init__(self, in_channels, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1x1 = conv_block(in_channels, 320, kernel_size=1)

        self.branch3x3_1 = conv_block(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = conv_block(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = conv_block(384, 384, kernel_size=(3, 1), padding=(1, 0))

        self.branch3x3dbl_1 = conv_block(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = conv_block(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = conv_block(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = conv_block(384, 384, kernel_size=(3, 1), padding=(1, 0))

        self.branch_pool = conv_block(in_channels, 192, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch3x3 = self.branch3x3_1(x)
        branch3x3 = ember.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)

        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = ember.cat(
            [self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1
        )

        branch_pool = self.branch_pool(_avg_pool_3x3(x))
        return ember.cat([branch1x1, branch3x3, branch3x3dbl, branch_pool], 1)


class InceptionAux(nn.Module):
    """The auxiliary classifier: 5×5 average pool (stride 3), 1×1 convolution to 128
    channels, 5×5 convolution to 768, adaptive average pooling to 1×1, flatten and ``fc``.

    As in torchvision, the ``stddev = 0.01`` meant for ``conv1`` is set on the
    :class:`BasicConv2d`, not on its convolution, so the initialisation gives that
    convolution the default std 0.1; ``fc`` gets 0.001.
    """

    def __init__(self, in_channels, num_classes, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv0 = conv_block(in_channels, 128, kernel_size=1)
        self.conv1 = conv_block(128, 768, kernel_size=5)
        self.conv1.stddev = 0.01
        self.fc = nn.Linear(768, num_classes)
        self.fc.stddev = 0.001

    def forward(self, x):
        x = F.avg_pool2d(x, kernel_size=5, stride=3)
        x = self.conv0(x)
        x = self.conv1(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = ember.flatten(x, 1)
        return self.fc(x)


@register_model()
def inception_v3(*, weights=None, progress=True, **kwargs):
    """Inception v3 model architecture from `Rethinking the Inception Architecture for
    Computer Vision <http://arxiv.org/abs/1512.00567>`_, 27,161,264 parameters (with the
    auxiliary classifier).

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, auxiliary classifier included, loaded strictly. As in
            torchvision, loading one makes ``transform_input`` default to True and skips
            the initialisation; ``aux_logits=False`` or ``init_weights=True`` with it raises
            ``ValueError``. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`Inception3` (``num_classes``, ``aux_logits``,
            ``transform_input``, ``inception_blocks``, ``init_weights``, ``dropout``).
    """
    if weights is not None:
        _pretrained_config(kwargs)
    return _load_weights(Inception3(**kwargs), weights)
