"""S3D, the separable 3-d Inception network of Xie et al., 2018, with torchvision's module
names, so its state dicts load unchanged."""

from __future__ import annotations

from functools import partial

import ember
from ember import nn

from ...ops.misc import Conv3dNormActivation
from .._api import _load_weights, register_model

__all__ = ["S3D", "s3d"]


class TemporalSeparableConv(nn.Sequential):
    """A ``1 × k × k`` convolution then a ``k × 1 × 1`` one, each with its norm and ReLU
    (:class:`~embervision.ops.misc.Conv3dNormActivation`, no bias)."""

    def __init__(self, in_planes, out_planes, kernel_size, stride, padding, norm_layer):
        super().__init__(
            Conv3dNormActivation(
                in_planes,
                out_planes,
                kernel_size=(1, kernel_size, kernel_size),
                stride=(1, stride, stride),
                padding=(0, padding, padding),
                bias=False,
                norm_layer=norm_layer,
            ),
            Conv3dNormActivation(
                out_planes,
                out_planes,
                kernel_size=(kernel_size, 1, 1),
                stride=(stride, 1, 1),
                padding=(padding, 0, 0),
                bias=False,
                norm_layer=norm_layer,
            ),
        )


class SepInceptionBlock3D(nn.Module):
    """An Inception block with separable 3×3×3 convolutions: four branches (1×1×1; 1×1×1
    then separable; 1×1×1 then separable; 3×3×3 max pooling then 1×1×1) concatenated along
    the channels, ``b0_out + b1_out + b2_out + b3_out`` of them."""

    def __init__(self, in_planes, b0_out, b1_mid, b1_out, b2_mid, b2_out, b3_out, norm_layer):
        super().__init__()

        self.branch0 = Conv3dNormActivation(
            in_planes, b0_out, kernel_size=1, stride=1, norm_layer=norm_layer
        )
        self.branch1 = nn.Sequential(
            Conv3dNormActivation(in_planes, b1_mid, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(
                b1_mid, b1_out, kernel_size=3, stride=1, padding=1, norm_layer=norm_layer
            ),
        )
        self.branch2 = nn.Sequential(
            Conv3dNormActivation(in_planes, b2_mid, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(
                b2_mid, b2_out, kernel_size=3, stride=1, padding=1, norm_layer=norm_layer
            ),
        )
        self.branch3 = nn.Sequential(
            nn.MaxPool3d(kernel_size=(3, 3, 3), stride=1, padding=1),
            Conv3dNormActivation(in_planes, b3_out, kernel_size=1, stride=1, norm_layer=norm_layer),
        )

    def forward(self, x):
        branches = (self.branch0, self.branch1, self.branch2, self.branch3)
        return ember.cat([branch(x) for branch in branches], 1)


class S3D(nn.Module):
    """S3D main class, from `Rethinking Spatiotemporal Feature Learning
    <https://arxiv.org/abs/1712.04851>`__.

    ``features`` (separable stem, max pooling and nine :class:`SepInceptionBlock3D`; time is
    divided by 8, height and width by 32) → ``avgpool`` (a fixed 2×7×7 window, so clips need
    at least 13 frames of 209×209 pixels; torchvision's weights expect 224×224) →
    ``classifier`` (dropout and a 1×1×1 convolution) → mean over time and space.

    Args:
        num_classes (int): number of classes for the classification task. Default: 400.
        dropout (float): dropout probability. Default: 0.2.
        norm_layer (Optional[Callable]): Module specifying the normalization layer to use.
            Default: ``BatchNorm3d`` with ``eps=0.001``, ``momentum=0.001``.

    Shape:
        - Input: :math:`(N, 3, T, H, W)`, a batch of videos.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(self, num_classes=400, dropout=0.2, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm3d, eps=0.001, momentum=0.001)

        self.features = nn.Sequential(
            TemporalSeparableConv(3, 64, 7, 2, 3, norm_layer),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            Conv3dNormActivation(64, 64, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(64, 192, 3, 1, 1, norm_layer),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            SepInceptionBlock3D(192, 64, 96, 128, 16, 32, 32, norm_layer),
            SepInceptionBlock3D(256, 128, 128, 192, 32, 96, 64, norm_layer),
            nn.MaxPool3d(kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1)),
            SepInceptionBlock3D(480, 192, 96, 208, 16, 48, 64, norm_layer),
            SepInceptionBlock3D(512, 160, 112, 224, 24, 64, 64, norm_layer),
            SepInceptionBlock3D(512, 128, 128, 256, 24, 64, 64, norm_layer),
            SepInceptionBlock3D(512, 112, 144, 288, 32, 64, 64, norm_layer),
            SepInceptionBlock3D(528, 256, 160, 320, 32, 128, 128, norm_layer),
            nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0)),
            SepInceptionBlock3D(832, 256, 160, 320, 32, 128, 128, norm_layer),
            SepInceptionBlock3D(832, 384, 192, 384, 48, 128, 128, norm_layer),
        )
        self.avgpool = nn.AvgPool3d(kernel_size=(2, 7, 7), stride=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Conv3d(1024, num_classes, kernel_size=1, stride=1, bias=True),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = self.classifier(x)
        return ember.mean(x, dim=(2, 3, 4))


@register_model()
def s3d(*, weights=None, progress=True, **kwargs):
    """Construct Separable 3D CNN model, from `Rethinking Spatiotemporal Feature Learning
    <https://arxiv.org/abs/1712.04851>`__: 8,320,048 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state
            dict with torchvision's keys, loaded strictly. Default: None, random
            initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`S3D` (``num_classes``, ``dropout``, ``norm_layer``).
    """
    return _load_weights(S3D(**kwargs), weights)
