"""MNASNet (Tan et al., 2018), the B1 variant, with torchvision's module names and
initialisation."""

from __future__ import annotations

from ember import nn

from ._api import _load_weights, register_model
from ._utils import _init_mobile

__all__ = ["MNASNet", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# The paper's TensorFlow momentum 0.9997, in PyTorch's convention (1 - TensorFlow's).
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """1×1 expansion (ReLU), depthwise k×k (ReLU), linear 1×1 projection, each with batch
    norm, in ``self.layers``; the input is added when the stride is 1 and the widths match."""

    def __init__(self, in_ch, out_ch, kernel_size, stride, expansion_factor, bn_momentum=0.1):
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                mid_ch,
                mid_ch,
                kernel_size,
                padding=kernel_size // 2,
                stride=stride,
                groups=mid_ch,
                bias=False,
            ),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input):
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(in_ch, out_ch, kernel_size, stride, exp_factor, repeats, bn_momentum):
    """A stack of ``repeats`` inverted residuals; the first changes the width and stride (so
    it has no skip connection)."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(
        in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum=bn_momentum
    )
    remaining = [
        _InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum=bn_momentum)
        for _ in range(1, repeats)
    ]
    return nn.Sequential(first, *remaining)


def _round_to_multiple_of(val, divisor, round_up_bias=0.9):
    """Asymmetric rounding to make ``val`` divisible by ``divisor``: round up, unless the
    number is no more than 10% greater than the smaller multiple ((83, 8) -> 80, but
    (84, 8) -> 88)."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(
            "round_up_bias should be greater than 0.0 and smaller than 1.0 instead of "
            f"{round_up_bias}"
        )
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha):
    """The widths of the stem and the six stacks scaled by ``alpha``, preferring to round
    up, as the reference MobileNet code does."""
    depths = [32, 16, 24, 40, 80, 96, 192, 320]
    return [_round_to_multiple_of(depth * alpha, 8) for depth in depths]


class MNASNet(nn.Module):
    """MNASNet from `MnasNet: Platform-Aware Neural Architecture Search for Mobile
    <https://arxiv.org/abs/1807.11626>`_ (the B1 variant), torchvision's version 2 (the stem
    scales with ``alpha`` too).

    ``layers`` (a 3×3 stride-2 stem, a depthwise-separable block, six stacks of inverted
    residuals, 1×1 to 1280 channels) → mean over H, W → ``classifier`` (Dropout, Linear).
    Convolutions get ``kaiming_normal_(mode="fan_out", nonlinearity="relu")``, batch norms
    weight 1 and bias 0, the linear layer ``kaiming_uniform_(mode="fan_out",
    nonlinearity="sigmoid")`` and zero bias.

    Args:
        alpha (float): the depth multiplier of all widths.
        num_classes (int): number of classes. Default: 1000.
        dropout (float): the dropout probability of the classifier. Default: 0.2.

    Example:
        >>> model = MNASNet(1.0, num_classes=1000)
        >>> model(ember.rand(1, 3, 224, 224)).shape
        ember.Size([1, 1000])
    """

    def __init__(self, alpha, num_classes=1000, dropout=0.2):
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        layers = [
            # the stem: a regular convolution
            nn.Conv2d(3, depths[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            # depthwise separable, no skip
            nn.Conv2d(depths[0], depths[0], 3, padding=1, stride=1, groups=depths[0], bias=False),
            nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(depths[0], depths[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(depths[1], momentum=_BN_MOMENTUM),
            # the MNASNet blocks: stacks of inverted residuals
            _stack(depths[1], depths[2], 3, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[2], depths[3], 5, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[3], depths[4], 5, 2, 6, 3, _BN_MOMENTUM),
            _stack(depths[4], depths[5], 3, 1, 6, 2, _BN_MOMENTUM),
            _stack(depths[5], depths[6], 5, 2, 6, 4, _BN_MOMENTUM),
            _stack(depths[6], depths[7], 3, 1, 6, 1, _BN_MOMENTUM),
            # the final mapping to the classifier's input
            nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
        ]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True), nn.Linear(1280, num_classes)
        )
        _init_mobile(
            self,
            lambda w: nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="sigmoid"),
        )

    def forward(self, x):
        x = self.layers(x)
        # global average pooling that also drops the H and W dimensions
        x = x.mean([2, 3])
        return self.classifier(x)


@register_model()
def mnasnet0_5(*, weights=None, progress=True, **kwargs):
    """MNASNet with depth multiplier 0.5, 2,218,512 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`MNASNet` (``num_classes``, ``dropout``).
    """
    return _load_weights(MNASNet(0.5, **kwargs), weights)


@register_model()
def mnasnet0_75(*, weights=None, progress=True, **kwargs):
    """MNASNet with depth multiplier 0.75, 3,170,208 parameters; arguments as
    :func:`mnasnet0_5`."""
    return _load_weights(MNASNet(0.75, **kwargs), weights)


@register_model()
def mnasnet1_0(*, weights=None, progress=True, **kwargs):
    """MNASNet with depth multiplier 1.0, 4,383,312 parameters; arguments as
    :func:`mnasnet0_5`."""
    return _load_weights(MNASNet(1.0, **kwargs), weights)


@register_model()
def mnasnet1_3(*, weights=None, progress=True, **kwargs):
    """MNASNet with depth multiplier 1.3, 6,282,256 parameters; arguments as
    :func:`mnasnet0_5`."""
    return _load_weights(MNASNet(1.3, **kwargs), weights)
