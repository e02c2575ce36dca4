"""Parity of embervision's model zoo with torchvision: the same weights in both frameworks must
give the same logits.

torchvision's model is built with its own random initialisation; its batch norms are then given
the statistics of a real batch (one pass with cumulative momentum, only the batch norms in
training mode) and random
affine parameters, so that every layer carries signal. Its state dict is copied into embervision's
model through numpy, and both run the same input: in eval mode for every builder, and in
training mode (batch statistics, running-statistics updates) for one model per code path, with
dropout and stochastic depth switched off where the model has them.

Skipped where torchvision is not installed.
"""

import importlib.util
import sys
import types

import numpy as np
import pytest
import torch

import ember
from embervision import models

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the models are pure Python and do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision

EVAL_MODELS = [
    "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2", "wide_resnet101_2",
    "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
    "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "squeezenet1_0", "squeezenet1_1",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
]  # fmt: skip

# One model per code path, with the keywords that take the randomness out of its forward.
NO_DROPOUT = {"dropout": 0.0}
TRAIN_MODELS = {
    "resnext50_32x4d": {},
    "wide_resnet50_2": {},
    "mobilenet_v2": NO_DROPOUT,
    "mobilenet_v3_small": NO_DROPOUT,
    "mobilenet_v3_large": dict(NO_DROPOUT, reduced_tail=True, dilated=True),
    "efficientnet_b0": dict(NO_DROPOUT, stochastic_depth_prob=0.0),
    "efficientnet_b5": dict(NO_DROPOUT, stochastic_depth_prob=0.0),
    "efficientnet_v2_s": dict(NO_DROPOUT, stochastic_depth_prob=0.0),
    "densenet121": {},
    "squeezenet1_1": NO_DROPOUT,
    "shufflenet_v2_x0_5": {},
    "mnasnet0_5": NO_DROPOUT,
}


def _input(seed):
    return np.random.default_rng(seed).standard_normal((2, 3, 64, 64)).astype(np.float32)


def _calibrated_torchvision(name, x, **kwargs):
    """torchvision's model with batch statistics from ``x`` and random BN affine parameters."""
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, **kwargs)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    model.eval()  # no dropout or stochastic depth in the calibration pass
    for m in norms:
        m.momentum = None  # cumulative average: one batch sets the running statistics
        m.train()
    with torch.no_grad():
        model(torch.from_numpy(x))
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
            m.num_batches_tracked.zero_()
            # A channel that is nearly constant over the batch (few pixels deep in the
            # network) would divide rounding noise by a tiny deviation: floor the variance.
            m.running_var.clamp_(min=0.01)
            m.weight.uniform_(0.8, 1.2)
            m.bias.normal_(0.0, 0.1)
    return model


def _ember_copy(name, source, **kwargs):
    model = models.get_model(name, **kwargs)
    state = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in source.state_dict().items()}
    model.load_state_dict(state)
    return model


def _assert_close(e, t, what):
    t = t.detach().numpy()
    e = e.detach().numpy()
    assert e.shape == t.shape, what
    scale = max(np.abs(t).max(), 1e-30)
    assert np.abs(e - t).max() <= 1e-4 * scale, f"{what}: {np.abs(e - t).max() / scale:.2e}"


@pytest.mark.parametrize("name", EVAL_MODELS)
def test_eval_logits(name):
    x = _input(1)
    reference = _calibrated_torchvision(name, x).eval()
    model = _ember_copy(name, reference).eval()
    y = x  # the batch the statistics come from: every layer stays normalised
    with torch.no_grad():
        expected = reference(torch.from_numpy(y))
    with ember.no_grad():
        out = model(ember.from_numpy(y))
    _assert_close(out, expected, name)


@pytest.mark.parametrize("name", list(TRAIN_MODELS))
def test_train_logits_and_running_stats(name):
    kwargs = TRAIN_MODELS[name]
    x = _input(3)
    reference = _calibrated_torchvision(name, x, **kwargs).train()
    model = _ember_copy(name, reference, **kwargs).train()
    y = _input(4)
    with torch.no_grad():
        expected = reference(torch.from_numpy(y))
    with ember.no_grad():
        out = model(ember.from_numpy(y))
    _assert_close(out, expected, name)
    _assert_running_stats_close(model, reference)


def _assert_running_stats_close(model, reference):
    """The batch norms' statistics after one training-mode batch agree."""
    theirs = reference.state_dict()
    for key, value in model.state_dict().items():
        if key.endswith(("running_mean", "running_var")):
            _assert_close(value, theirs[key], key)
        elif key.endswith("num_batches_tracked"):
            assert value.item() == theirs[key].item() == 1, key


# Segmentation models (a dict of outputs), GoogLeNet and Inception v3 (a named tuple in training
# mode). torchvision's segmentation builders would download ImageNet backbone weights by default.
SEGMENTATION = {
    "fcn_resnet50": {"aux_loss": True},
    "fcn_resnet101": {"aux_loss": True},
    "deeplabv3_resnet50": {"aux_loss": True},
    "deeplabv3_resnet101": {"aux_loss": True},
    "deeplabv3_mobilenet_v3_large": {"aux_loss": True},
    "lraspp_mobilenet_v3_large": {},
}
# torchvision warns unless init_weights is given; the weights are copied over anyway.
INCEPTIONS = {
    "googlenet": ({"init_weights": True}, 64),
    "inception_v3": ({"init_weights": True}, 75),  # the smallest input torchvision accepts
}


def _outputs(result):
    """(name, tensor) pairs of a model's output: a dict, a named tuple or one tensor."""
    if isinstance(result, dict):
        return list(result.items())
    if isinstance(result, tuple):
        return list(zip(result._fields, result))
    return [("logits", result)]


def _assert_outputs_close(out, expected, what):
    ours, theirs = _outputs(out), _outputs(expected)
    assert [k for k, _ in ours] == [k for k, _ in theirs], what
    for (key, e), (_, t) in zip(ours, theirs):
        _assert_close(e, t, f"{what}[{key}]")


def _pair(name, kwargs, x):
    reference = _calibrated_torchvision(name, x, **kwargs)
    if name in SEGMENTATION:
        kwargs = dict(kwargs, weights_backbone=None)
    else:
        kwargs = dict(kwargs, init_weights=False)  # ember's trunc_normal_ is slow; overwritten
    return reference, _ember_copy(name, reference, **kwargs)


def _square_input(seed, size):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3, size, size)).astype(np.float32)


@pytest.mark.parametrize("name", list(SEGMENTATION) + list(INCEPTIONS))
def test_eval_outputs_segmentation_and_inception(name):
    if name in SEGMENTATION:
        kwargs, size = dict(SEGMENTATION[name], weights_backbone=None), 64
    else:
        kwargs, size = INCEPTIONS[name]
    x = _square_input(1, size)
    reference, model = _pair(name, kwargs, x)
    reference.eval()
    model.eval()
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    with ember.no_grad():
        out = model(ember.from_numpy(x))
    _assert_outputs_close(out, expected, name)


def _dropout_off(model, dropout_type):
    for m in model.modules():
        if isinstance(m, dropout_type):
            m.eval()


# One model per head, in training mode: the heads' dropout layers are put in eval mode (their
# probabilities are fixed), the auxiliary outputs are compared too. Both run in float64: in
# float32 the training-mode batch norms of these deep nets amplify rounding to about 1e-4 of the
# output (1.2e-4 for fcn_resnet50, 1.7e-4 for inception_v3's auxiliary head, whose batch norm
# sees two values per channel), while in float64 they agree to 1e-13.
TRAIN_OUTPUTS = {
    "fcn_resnet50": ({"aux_loss": True, "weights_backbone": None}, 64),
    "deeplabv3_mobilenet_v3_large": ({"aux_loss": True, "weights_backbone": None}, 64),
    "lraspp_mobilenet_v3_large": ({"weights_backbone": None}, 64),
    "googlenet": ({"init_weights": True, "dropout": 0.0, "dropout_aux": 0.0}, 64),
    "inception_v3": ({"init_weights": True, "dropout": 0.0}, 299),  # the aux head needs 299
}


@pytest.mark.parametrize("name", list(TRAIN_OUTPUTS))
def test_train_outputs_segmentation_and_inception(name):
    kwargs, size = TRAIN_OUTPUTS[name]
    reference, model = _pair(name, kwargs, _square_input(3, size))
    reference.double().train()
    model.double().train()
    _dropout_off(reference, torch.nn.Dropout)
    _dropout_off(model, ember.nn.Dropout)
    y = _square_input(4, size).astype(np.float64)
    with torch.no_grad():
        expected = reference(torch.from_numpy(y))
    with ember.no_grad():
        out = model(ember.from_numpy(y))
    _assert_outputs_close(out, expected, name)
    _assert_running_stats_close(model, reference)
