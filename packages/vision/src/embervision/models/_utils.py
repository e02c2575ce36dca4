"""Helpers the model builders share (torchvision's ``models/_utils.py``)."""

from __future__ import annotations

from collections import OrderedDict

from ember import nn


class IntermediateLayerGetter(nn.ModuleDict):
    """Module wrapper that returns intermediate layers from a model.

    It has a strong assumption that the modules have been registered into the model in the
    same order as they are used. This means that one should **not** reuse the same
    ``nn.Module`` twice in the forward if you want this to work.

    Additionally, it is only able to query submodules that are directly assigned to the
    model. So if ``model`` is passed, ``model.feature1`` can be returned, but not
    ``model.feature1.layer2``.

    The wrapper keeps the model's children up to the last one named in ``return_layers`` (the
    rest are dropped) and runs them in order; ``forward`` returns an ``OrderedDict`` of the
    requested activations, in the order the layers run.

    Args:
        model (nn.Module): model on which we will extract the features.
        return_layers (Dict[name, new_name]): a dict containing the names of the modules for
            which the activations will be returned as the key of the dict, and the value of
            the dict is the name of the returned activation (which the user can specify).

    Raises:
        ValueError: a key of ``return_layers`` is not the name of a child of ``model``.

    Example:
        >>> m = embervision.models.resnet18()
        >>> # extract layer1 and layer3, giving as names `feat1` and `feat2`
        >>> new_m = IntermediateLayerGetter(m, {"layer1": "feat1", "layer3": "feat2"})
        >>> out = new_m(ember.rand(1, 3, 224, 224))
        >>> [(k, tuple(v.shape)) for k, v in out.items()]
        [('feat1', (1, 64, 56, 56)), ('feat2', (1, 256, 14, 14))]
    """

    def __init__(self, model, return_layers):
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            if name in return_layers:
                del return_layers[name]
            if not return_layers:
                break

        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


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
