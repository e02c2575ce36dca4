"""Parity of embervision's ConvNeXt, RegNet, Vision Transformer, Swin Transformer (V1, V2) and
MaxViT with torchvision: the same weights in both frameworks must give the same logits.

torchvision's model is built, then every parameter is redrawn so that each layer carries
signal (weights N(0, 1/fan_in), norm scales U(0.8, 1.2), biases N(0, 0.1²); tables, tokens,
layer and logit scales get N(0, 0.1²) added; the ViT head, zero at init, included) and its
batch norms take the statistics of the input batch. Its state dict is copied into
embervision's model through numpy, and both run the same input in eval mode. The full
builders run at the smallest input each allows (ViT with a small ``image_size``); small
configurations built through the classes cover padding, shifted windows on uneven maps,
non-square windows, representation heads and convolutional stems, and compare the gradients
of the input and of every parameter too.

Skipped where torchvision is not installed.
"""

import importlib.util
import math
import sys
import types

import numpy as np
import pytest
import torch

import ember
from embervision import models
from embervision.models import convnext, maxvit, regnet, swin_transformer, vision_transformer

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the models are pure Python and do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision

import torchvision.models.convnext as tv_convnext
import torchvision.models.maxvit as tv_maxvit
import torchvision.models.regnet as tv_regnet
import torchvision.models.swin_transformer as tv_swin
import torchvision.models.vision_transformer as tv_vit

_NORMS = (torch.nn.LayerNorm, torch.nn.BatchNorm2d)


def _randomise(model, x, seed=0):
    """Redraw ``model``'s parameters (see the module docstring); batch-norm statistics from
    ``x``. Returns the model in eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            for name, p in module.named_parameters(recurse=False):
                if isinstance(module, _NORMS) and name == "weight":
                    p.uniform_(0.8, 1.2, generator=g)
                elif name.endswith("weight") and p.dim() >= 2:
                    fan_in = p[0].numel()
                    p.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=g)
                elif name.endswith("bias"):
                    p.normal_(0.0, 0.1, generator=g)
                else:
                    p.add_(torch.randn(p.shape, generator=g) * 0.1)
        norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        model.eval()
        for m in norms:
            m.momentum = None  # cumulative average: one batch sets the running statistics
            m.train()
        model(torch.from_numpy(x))
        for m in norms:
            m.momentum = 0.1
            m.num_batches_tracked.zero_()
    return model.eval()


def _ember_copy(reference, model):
    state = {
        k: ember.from_numpy(v.detach().numpy().copy()) for k, v in reference.state_dict().items()
    }
    model.load_state_dict(state)
    return model.eval()


def _assert_close(e, t, what, tol=1e-4):
    t = t.detach().numpy()
    e = e.detach().numpy()
    assert e.shape == t.shape, what
    scale = max(np.abs(t).max(), 1e-30)
    err = np.abs(e - t).max() / scale
    assert err <= tol, f"{what}: {err:.2e}"


def _input(size, batch=2, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 3, size, size)).astype(np.float32)


def _compare_logits(reference, model, x):
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    with ember.no_grad():
        out = model(ember.from_numpy(x))
    _assert_close(out, expected, type(reference).__name__)


# (builder, keywords, input size): each full builder at the smallest input it takes.
BUILDERS = {
    "convnext_tiny": ({}, 32),
    "regnet_x_400mf": ({}, 64),
    "regnet_y_400mf": ({}, 64),
    "regnet_y_800mf": ({}, 64),
    "vit_b_32": ({"image_size": 32}, 32),
    "swin_t": ({}, 32),  # 8×8 tokens in 7×7 windows: padded, and shifted in the first stage
    "swin_v2_t": ({}, 64),  # 16×16 tokens in 8×8 windows: shifted in the first stage
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builder_eval_logits(name):
    kwargs, size = BUILDERS[name]
    x = _input(size)
    torch.manual_seed(0)
    reference = _randomise(torchvision.models.get_model(name, **kwargs), x)
    model = _ember_copy(reference, models.get_model(name, **kwargs))
    _compare_logits(reference, model, x)


@pytest.mark.slow  # 5 s: 224 is the smallest input whose every block splits into 7×7 windows
def test_maxvit_t_eval_logits():
    x = _input(224, batch=1)
    torch.manual_seed(0)
    reference = _randomise(torchvision.models.maxvit_t(), x)
    model = _ember_copy(reference, models.maxvit_t())
    _compare_logits(reference, model, x)


# Small configurations, built through the classes of both libraries with the same arguments.
def _cnblocks(module):
    return [module.CNBlockConfig(8, 16, 1), module.CNBlockConfig(16, None, 2)]


def _regnet_params(module):
    return module.BlockParams.from_init_params(
        depth=4, w_0=8, w_a=8.0, w_m=2.0, group_width=4, se_ratio=0.25
    )


SMALL = {
    "convnext": lambda m: m.ConvNeXt(_cnblocks(m), layer_scale=0.5, num_classes=5),
    "regnet_y": lambda m: m.RegNet(_regnet_params(m), num_classes=5, stem_width=8),
    "vit": lambda m: m.VisionTransformer(
        image_size=12, patch_size=4, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=16,
        num_classes=5,
    ),
    "vit_representation_conv_stem": lambda m: m.VisionTransformer(
        image_size=8, patch_size=4, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16,
        num_classes=5, representation_size=6,
        conv_stem_configs=[m.ConvStemConfig(4, 3, 2), m.ConvStemConfig(8, 3, 2)],
    ),
    # 14×14 input, 2×2 patches: 7×7 tokens in 4×3 windows (padded to 8×9), shifted by 2×1;
    # odd maps reach the patch merging
    "swin": lambda m: m.SwinTransformer(
        patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[4, 3],
        num_classes=5,
    ),
    "swin_v2": lambda m: m.SwinTransformer(
        patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[4, 3],
        num_classes=5, block=m.SwinTransformerBlockV2, downsample_layer=m.PatchMergingV2,
    ),
    "maxvit": lambda m: m.MaxVit(
        input_size=(16, 16), stem_channels=8, partition_size=2, block_channels=[8, 16],
        block_layers=[1, 2], head_dim=4, stochastic_depth_prob=0.0, num_classes=5,
    ),
}  # fmt: skip
MODULES = {
    "convnext": (tv_convnext, convnext),
    "regnet_y": (tv_regnet, regnet),
    "vit": (tv_vit, vision_transformer),
    "vit_representation_conv_stem": (tv_vit, vision_transformer),
    "swin": (tv_swin, swin_transformer),
    "swin_v2": (tv_swin, swin_transformer),
    "maxvit": (tv_maxvit, maxvit),
}
SIZES = {"vit": 12, "vit_representation_conv_stem": 8, "swin": 14, "swin_v2": 14, "maxvit": 16}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_config_logits_and_gradients(name):
    tv_module, ember_module = MODULES[name]
    x = _input(SIZES.get(name, 32))
    torch.manual_seed(0)
    reference = _randomise(SMALL[name](tv_module), x)
    model = _ember_copy(reference, SMALL[name](ember_module))

    xt = torch.from_numpy(x).requires_grad_(True)
    xe = ember.from_numpy(x.copy()).requires_grad_(True)
    expected, out = reference(xt), model(xe)
    _assert_close(out, expected, name)

    seed = np.random.default_rng(2).standard_normal(tuple(expected.shape)).astype(np.float32)
    (expected * torch.from_numpy(seed)).sum().backward()
    (out * ember.from_numpy(seed)).sum().backward()
    _assert_close(xe.grad, xt.grad, f"{name}: input gradient")
    ours = dict(model.named_parameters())
    for key, p in reference.named_parameters():
        _assert_close(ours[key].grad, p.grad, f"{name}: gradient of {key}")


def test_regnet_train_mode_logits_and_running_stats():
    x = _input(64, seed=3)
    torch.manual_seed(0)
    reference = _randomise(torchvision.models.regnet_y_400mf(), x).train()
    model = _ember_copy(reference, models.regnet_y_400mf()).train()
    y = _input(64, seed=4)
    with torch.no_grad():
        expected = reference(torch.from_numpy(y))
    with ember.no_grad():
        out = model(ember.from_numpy(y))
    _assert_close(out, expected, "regnet_y_400mf")
    theirs = reference.state_dict()
    for key, value in model.state_dict().items():
        if key.endswith(("running_mean", "running_var")):
            _assert_close(value, theirs[key], key)


def test_regnet_block_params_match():
    for name, kwargs in regnet._MODELS.items():
        ours = regnet.BlockParams.from_init_params(**kwargs)
        theirs = tv_regnet.BlockParams.from_init_params(**kwargs)
        assert vars(ours) == vars(theirs), name


def test_swin_buffers_match():
    for window in ([7, 7], [8, 8], [4, 3]):
        theirs = tv_swin.ShiftedWindowAttentionV2(8, window, [0, 0], 2).state_dict()
        ours = swin_transformer.ShiftedWindowAttentionV2(8, window, [0, 0], 2).state_dict()
        for key in ("relative_position_index", "relative_coords_table"):
            np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy(), err_msg=key)
    theirs = tv_maxvit.RelativePositionalMultiHeadAttention(8, 4, 49).relative_position_index
    ours = maxvit.RelativePositionalMultiHeadAttention(8, 4, 49).relative_position_index
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("mode", ["bicubic", "bilinear"])
def test_interpolate_embeddings(mode):
    rng = np.random.default_rng(5)
    state = {
        "encoder.pos_embedding": rng.standard_normal((1, 17, 6)).astype(np.float32),
        "heads.head.weight": rng.standard_normal((3, 6)).astype(np.float32),
    }
    theirs = tv_vit.interpolate_embeddings(
        24, 4, {k: torch.from_numpy(v) for k, v in state.items()}, mode, reset_heads=True
    )
    ours = vision_transformer.interpolate_embeddings(
        24, 4, {k: ember.from_numpy(v) for k, v in state.items()}, mode, reset_heads=True
    )
    assert list(ours) == list(theirs) == ["encoder.pos_embedding"]
    _assert_close(ours["encoder.pos_embedding"], theirs["encoder.pos_embedding"], mode, 1e-6)
