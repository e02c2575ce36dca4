"""Helpers the model builders share (torchvision's ``models/_utils.py``)."""

from __future__ import annotations

from ember import nn


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``, default
    ``divisor``), but never more than 10% below ``v``: the channel rounding of the TensorFlow
    MobileNet code (tensorflow/models, research/slim/nets/mobilenet/mobilenet.py)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _overwrite_named_param(kwargs, param, new_value):
    """Set ``kwargs[param] = new_value``; a caller's different value raises ``ValueError``."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(
                f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} "
                "instead."
            )
    else:
        kwargs[param] = new_value


def _init_mobile(model, init_linear):
    """The initialisation loop of torchvision's MobileNet, EfficientNet and MNASNet:
    convolutions ``kaiming_normal_(mode="fan_out")`` (gain √2) with zero bias, batch and group
    norms weight 1 and bias 0, linear layers ``init_linear(weight)`` with zero bias."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            init_linear(m.weight)
            nn.init.zeros_(m.bias)
