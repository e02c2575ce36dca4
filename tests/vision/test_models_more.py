"""embervision's ConvNeXt, RegNet, Vision Transformer, Swin Transformer (V1, V2) and MaxViT.

Each builder's state dict must equal torchvision's key for key and shape for shape: SIGNATURES
holds (number of keys, sha256 of the sorted "key:shape" lines, parameter count), computed once
with torchvision 0.29.1 (torch 2.13, CPU) as in tests/vision/test_models_zoo.py (on torch's
meta device; RegNet on the CPU, its widths being computed from tensors); KEY_SAMPLES lists some
of those keys with their shapes. The full builders are only built, without their random
initialisation (the largest have 645M parameters), never run; the forward and backward passes
run on small configurations built through the classes, and the attention, partitioning and
position-bias pieces are checked against direct numpy formulas. Numerical agreement with
torchvision (the same weights in both) is in tests/parity/test_vision_models_more.py.
"""

import hashlib
import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.safetensors import save_file
from embervision import models
from embervision.models import convnext, maxvit, regnet, swin_transformer, vision_transformer

# fmt: off
SIGNATURES = {
    "convnext_tiny": (182, "ac823e08e31e87ce", 28_589_128),
    "convnext_small": (344, "40c86b55d4b3a639", 50_223_688),
    "convnext_base": (344, "8be912fa45d3c4bc", 88_591_464),
    "convnext_large": (344, "f6117a1bb346fce4", 197_767_336),
    "regnet_y_400mf": (384, "6bf8acd3bb153743", 4_344_144),
    "regnet_y_800mf": (340, "0a3c0647b827fff5", 6_432_512),
    "regnet_y_1_6gf": (626, "4b4de32d3ce45d97", 11_202_430),
    "regnet_y_3_2gf": (494, "04c446b7871b983e", 19_436_338),
    "regnet_y_8gf": (406, "5de5228f84527dc0", 39_381_472),
    "regnet_y_16gf": (428, "fa85ce4dde60cf57", 83_590_140),
    "regnet_y_32gf": (472, "3e7949f2e452a1f3", 145_046_770),
    "regnet_y_128gf": (626, "ef85318af4402ad5", 644_812_894),
    "regnet_x_400mf": (428, "d823742a05e95abf", 5_495_976),
    "regnet_x_800mf": (320, "1844076fc17e7370", 7_259_656),
    "regnet_x_1_6gf": (356, "eb56adec0f10c9c7", 9_190_136),
    "regnet_x_3_2gf": (482, "534a34fa791554da", 15_296_552),
    "regnet_x_8gf": (446, "35337040db7af2e5", 39_572_648),
    "regnet_x_16gf": (428, "5aefe46d674a604d", 54_278_536),
    "regnet_x_32gf": (446, "cdf002ae93016b05", 107_811_560),
    "vit_b_16": (152, "a225aad3d62d44e8", 86_567_656),
    "vit_b_32": (152, "8251448439d8c64a", 88_224_232),
    "vit_l_16": (296, "d294a543926e6659", 304_326_632),
    "vit_l_32": (296, "2dcd88c6ce6f631d", 306_535_400),
    "vit_h_14": (392, "8a77a3543faa7cb5", 632_045_800),
    "swin_t": (185, "65f2d8a5ac79fe47", 28_288_354),
    "swin_s": (353, "ac7a639d95c13c34", 49_606_258),
    "swin_b": (353, "e51a056662588651", 87_768_224),
    "swin_v2_t": (233, "19068d215c4f2628", 28_351_570),
    "swin_v2_s": (449, "2d5fb1adb54ec369", 49_737_442),
    "swin_v2_b": (449, "ad325f9a0d40115c", 87_930_848),
    "maxvit_t": (582, "8fa39d9e34c9d3bb", 30_919_624),
}
_MAXVIT_LAYER = "blocks.0.layers.0.layers."
KEY_SAMPLES = {
    "convnext_tiny": {
        "features.0.0.weight": (96, 3, 4, 4),
        "features.0.1.weight": (96,),
        "features.1.0.layer_scale": (96, 1, 1),
        "features.1.0.block.0.weight": (96, 1, 7, 7),
        "features.1.0.block.2.weight": (96,),
        "features.1.0.block.3.weight": (384, 96),
        "features.2.0.weight": (96,),
        "features.2.1.weight": (192, 96, 2, 2),
        "features.7.2.block.5.bias": (768,),
        "classifier.0.weight": (768,),
        "classifier.2.weight": (1000, 768),
    },
    "regnet_y_400mf": {
        "stem.0.weight": (32, 3, 3, 3),
        "stem.1.weight": (32,),
        "trunk_output.block1.block1-0.proj.0.weight": (48, 32, 1, 1),
        "trunk_output.block1.block1-0.f.a.0.weight": (48, 32, 1, 1),
        "trunk_output.block1.block1-0.f.b.0.weight": (48, 8, 3, 3),
        "trunk_output.block1.block1-0.f.se.fc1.weight": (8, 48, 1, 1),
        "trunk_output.block1.block1-0.f.c.1.running_mean": (48,),
        "trunk_output.block4.block4-5.f.b.0.weight": (440, 8, 3, 3),
        "fc.weight": (1000, 440),
    },
    "vit_b_16": {
        "class_token": (1, 1, 768),
        "conv_proj.weight": (768, 3, 16, 16),
        "encoder.pos_embedding": (1, 197, 768),
        "encoder.layers.encoder_layer_0.ln_1.weight": (768,),
        "encoder.layers.encoder_layer_0.self_attention.in_proj_weight": (2304, 768),
        "encoder.layers.encoder_layer_0.self_attention.out_proj.weight": (768, 768),
        "encoder.layers.encoder_layer_11.mlp.0.weight": (3072, 768),
        "encoder.layers.encoder_layer_11.mlp.3.bias": (768,),
        "encoder.ln.weight": (768,),
        "heads.head.weight": (1000, 768),
    },
    "swin_t": {
        "features.0.0.weight": (96, 3, 4, 4),
        "features.0.2.weight": (96,),
        "features.1.0.attn.relative_position_bias_table": (169, 3),
        "features.1.0.attn.relative_position_index": (2401,),
        "features.1.1.attn.qkv.weight": (288, 96),
        "features.1.1.mlp.0.weight": (384, 96),
        "features.2.reduction.weight": (192, 384),
        "features.2.norm.weight": (384,),
        "features.7.1.norm2.bias": (768,),
        "norm.weight": (768,),
        "head.weight": (1000, 768),
    },
    "swin_v2_t": {
        "features.1.0.attn.logit_scale": (3, 1, 1),
        "features.1.0.attn.cpb_mlp.0.weight": (512, 2),
        "features.1.0.attn.cpb_mlp.2.weight": (3, 512),
        "features.1.0.attn.relative_coords_table": (1, 15, 15, 2),
        "features.1.0.attn.relative_position_index": (4096,),
        "features.2.norm.weight": (192,),
        "features.2.reduction.weight": (192, 384),
    },
    "maxvit_t": {
        "stem.0.0.weight": (64, 3, 3, 3),
        "stem.0.1.running_var": (64,),
        "stem.1.0.bias": (64,),
        _MAXVIT_LAYER + "MBconv.proj.1.weight": (64, 64, 1, 1),
        _MAXVIT_LAYER + "MBconv.layers.pre_norm.weight": (64,),
        _MAXVIT_LAYER + "MBconv.layers.conv_b.0.weight": (256, 1, 3, 3),
        _MAXVIT_LAYER + "MBconv.layers.squeeze_excitation.fc1.weight": (16, 256, 1, 1),
        _MAXVIT_LAYER + "MBconv.layers.conv_c.weight": (64, 256, 1, 1),
        _MAXVIT_LAYER + "window_attention.attn_layer.1.relative_position_bias_table": (169, 2),
        _MAXVIT_LAYER + "window_attention.attn_layer.1.relative_position_index": (49, 49),
        "blocks.3.layers.1.layers.grid_attention.attn_layer.1.to_qkv.weight": (1536, 512),
        "blocks.3.layers.1.layers.grid_attention.mlp_layer.3.weight": (512, 2048),
        "classifier.2.weight": (512,),
        "classifier.3.weight": (512, 512),
        "classifier.5.weight": (1000, 512),
    },
}
# fmt: on

_INITS = (
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "kaiming_uniform_",
    "kaiming_normal_", "constant_", "ones_", "zeros_",
)  # fmt: skip


@pytest.fixture
def no_init(monkeypatch):
    """Builders that only allocate: the nn.init fillers do nothing (the tensors stay as
    ``ember.empty`` made them), so that counting the parameters of a 645M-parameter model is
    instant and touches no memory."""
    for name in _INITS:
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)


def _signature(model):
    lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return len(lines), digest, sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_builder_state_dict_matches_torchvision(no_init, name):
    model = models.get_model(name)
    assert _signature(model) == SIGNATURES[name]
    state = model.state_dict()
    for key, shape in KEY_SAMPLES.get(name, {}).items():
        assert tuple(state[key].shape) == shape, key


def test_list_models_has_the_new_families():
    assert set(SIGNATURES) <= set(models.list_models(module=models))
    assert models.list_models(include="convnext_*") == [
        "convnext_base", "convnext_large", "convnext_small", "convnext_tiny",
    ]  # fmt: skip
    assert len(models.list_models(include="regnet_*")) == 15


def test_stochastic_depth_schedules(no_init):
    # ConvNeXt and Swin: block i of n drops with p * i / (n - 1); MaxViT: linspace over layers
    model = models.convnext_tiny()
    probs = [m.p for m in model.modules() if isinstance(m, convnext.StochasticDepth)]
    np.testing.assert_allclose(probs, 0.1 * np.arange(18) / 17)
    model = models.swin_v2_t()
    probs = [m.p for m in model.modules() if isinstance(m, swin_transformer.StochasticDepth)]
    np.testing.assert_allclose(probs, 0.2 * np.arange(12) / 11)
    with pytest.raises(TypeError, match="stochastic_depth_prob"):
        models.swin_t(stochastic_depth_prob=0.4)  # as torchvision: the builder sets it
    model = models.maxvit_t()
    mbconv = [
        layer.layers.MBconv.stochastic_depth for block in model.blocks for layer in block.layers
    ]
    assert isinstance(mbconv[0], nn.Identity)  # p = 0: no module
    np.testing.assert_allclose([m.p for m in mbconv[1:]], 0.2 * np.arange(1, 11) / 10)


# -------------------------------------------------------------- small configurations, run


def _small(name):
    return {
        "convnext": lambda: convnext.ConvNeXt(
            [convnext.CNBlockConfig(8, 16, 1), convnext.CNBlockConfig(16, None, 2)],
            stochastic_depth_prob=0.1, num_classes=5,
        ),
        "regnet": lambda: regnet.RegNet(
            regnet.BlockParams.from_init_params(
                depth=4, w_0=8, w_a=8.0, w_m=2.0, group_width=4, se_ratio=0.25
            ),
            num_classes=5, stem_width=8,
        ),
        "vit": lambda: vision_transformer.VisionTransformer(
            image_size=16, patch_size=8, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=16,
            num_classes=5, representation_size=6,
        ),
        "swin": lambda: swin_transformer.SwinTransformer(
            patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[3, 3],
            num_classes=5,
        ),
        "swin_v2": lambda: swin_transformer.SwinTransformer(
            patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[3, 3],
            num_classes=5, block=swin_transformer.SwinTransformerBlockV2,
            downsample_layer=swin_transformer.PatchMergingV2,
        ),
        "maxvit": lambda: maxvit.MaxVit(
            input_size=(16, 16), stem_channels=8, partition_size=2, block_channels=[8, 16],
            block_layers=[1, 1], head_dim=4, stochastic_depth_prob=0.1, num_classes=5,
        ),
    }[name]()  # fmt: skip


@pytest.mark.parametrize("name", ["convnext", "regnet", "vit", "swin", "swin_v2", "maxvit"])
def test_small_config_forward_and_backward(seeded, name):
    model = _small(name).train()
    x = ember.randn(2, 3, 16, 16, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 5)
    (out * ember.randn(2, 5)).sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
    for key, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, key
        assert np.isfinite(p.grad.numpy()).all(), key
    model.eval()
    with ember.no_grad():
        assert np.isfinite(model(x).numpy()).all()


def test_cnblock_layer_scale_and_dropped_branch(seeded):
    block = convnext.CNBlock(4, layer_scale=0.5, stochastic_depth_prob=1.0)
    assert block.layer_scale.shape == (4, 1, 1)
    assert (block.layer_scale.detach().numpy() == 0.5).all()
    x = ember.randn(2, 4, 5, 5)
    assert (block(x).detach().numpy() == x.numpy()).all()  # training: the branch is dropped
    block.eval()
    with ember.no_grad():
        branch = block.block(x)
    expected = x.numpy() + 0.5 * branch.numpy()
    np.testing.assert_allclose(block(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_layer_norm_2d_against_numpy(seeded):
    norm = convnext.LayerNorm2d(3, eps=1e-6)
    with ember.no_grad():
        norm.weight.copy_(ember.tensor([1.0, 2.0, 0.5]))
        norm.bias.copy_(ember.tensor([0.0, -1.0, 1.0]))
    x = ember.randn(2, 3, 4, 5)
    a = x.numpy().astype(np.float64)
    mean, var = a.mean(axis=1, keepdims=True), a.var(axis=1, keepdims=True)
    expected = (a - mean) / np.sqrt(var + 1e-6) * np.array([1, 2, 0.5])[:, None, None]
    expected += np.array([0.0, -1.0, 1.0])[:, None, None]
    np.testing.assert_allclose(norm(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------- RegNet


def test_regnet_block_params():
    # torchvision 0.29.1's values
    y400 = regnet.BlockParams.from_init_params(**regnet._MODELS["regnet_y_400mf"])
    assert vars(y400) == {
        "depths": [1, 3, 6, 6], "widths": [48, 104, 208, 440], "group_widths": [8] * 4,
        "bottleneck_multipliers": [1.0] * 4, "strides": [2] * 4, "se_ratio": 0.25,
    }  # fmt: skip
    x32 = regnet.BlockParams.from_init_params(**regnet._MODELS["regnet_x_32gf"])
    assert x32.depths == [2, 7, 13, 1] and x32.widths == [336, 672, 1344, 2520]
    assert x32.group_widths == [168] * 4 and x32.se_ratio is None
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        regnet.BlockParams.from_init_params(depth=4, w_0=12, w_a=8.0, w_m=2.0, group_width=4)


def test_regnet_builder_kwargs(no_init):
    model = models.regnet_x_400mf(num_classes=3, stem_width=16)
    assert model.fc.out_features == 3 and model.stem[0].weight.shape == (16, 3, 3, 3)
    # as torchvision: the keywords reach RegNet too, which has no stage settings
    with pytest.raises(TypeError, match="bottleneck_multiplier"):
        models.regnet_x_400mf(bottleneck_multiplier=2.0)
    with pytest.raises(TypeError, match="se_ratio"):
        models.regnet_y_400mf(se_ratio=0.5)


# ------------------------------------------------------------------------ Swin Transformer


def test_relative_position_index_by_hand():
    # 2x2 window: tokens (0,0), (0,1), (1,0), (1,1); index = (dy + 1) * 3 + (dx + 1)
    expected = [[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]]
    index = swin_transformer._get_relative_position_index(2, 2)
    assert index.dtype == ember.int64
    assert index.tolist() == expected
    attn = swin_transformer.ShiftedWindowAttention(4, [2, 2], [0, 0], 2)
    assert attn.relative_position_index.tolist() == [i for row in expected for i in row]
    assert maxvit.RelativePositionalMultiHeadAttention(
        4, 2, 4
    ).relative_position_index.tolist() == (expected)


def test_v2_relative_coords_table_by_hand():
    attn = swin_transformer.ShiftedWindowAttentionV2(4, [3, 2], [0, 0], 2)
    table = attn.relative_coords_table
    assert table.shape == (1, 5, 3, 2) and table.dtype == ember.float32

    def f(v):
        return math.copysign(math.log2(abs(v) + 1.0) / 3.0, v) if v else 0.0

    rows = [f(v) for v in (-8.0, -4.0, 0.0, 4.0, 8.0)]  # (-2 .. 2) / (3 - 1) * 8
    cols = [f(v) for v in (-8.0, 0.0, 8.0)]  # (-1 .. 1) / (2 - 1) * 8
    np.testing.assert_allclose(table.numpy()[0, :, 0, 0], rows, rtol=1e-6)
    np.testing.assert_allclose(table.numpy()[0, 0, :, 1], cols, rtol=1e-6)
    assert attn.qkv.bias.tolist()[4:8] == [0.0] * 4  # no key bias
    np.testing.assert_allclose(attn.logit_scale.detach().numpy(), math.log(10.0), rtol=1e-6)


def _naive_window_attention(x, qkv_w, qkv_b, proj_w, proj_b, bias, ws, shift, heads, scale=None):
    """Window attention straight from its definition, window by window: the map is zero
    padded and rolled by ``-shift``; tokens of a window attend to each other, with -100 added
    between a token that was rolled around and one that was not (along either axis)."""
    B, H, W, C = x.shape
    pad_h, pad_w = -(-H // ws[0]) * ws[0], -(-W // ws[1]) * ws[1]
    shift = [0 if ws[0] >= pad_h else shift[0], 0 if ws[1] >= pad_w else shift[1]]
    padded = np.zeros((B, pad_h, pad_w, C))
    padded[:, :H, :W] = x
    rolled = np.roll(padded, (-shift[0], -shift[1]), axis=(1, 2))
    wrapped_h = np.arange(pad_h) >= pad_h - shift[0]
    wrapped_w = np.arange(pad_w) >= pad_w - shift[1]
    d = C // heads
    out = np.zeros_like(rolled)
    for b in range(B):
        for top in range(0, pad_h, ws[0]):
            for left in range(0, pad_w, ws[1]):
                rows, cols = np.meshgrid(
                    np.arange(top, top + ws[0]), np.arange(left, left + ws[1]), indexing="ij"
                )
                rows, cols = rows.ravel(), cols.ravel()
                qkv = rolled[b, rows, cols] @ qkv_w.T + qkv_b  # N, 3C
                q, k, v = (qkv[:, i * C : (i + 1) * C].reshape(-1, heads, d) for i in range(3))
                q, k, v = (t.transpose(1, 0, 2) for t in (q, k, v))  # heads, N, d
                if scale is None:
                    scores = q * d**-0.5 @ k.transpose(0, 2, 1)
                else:
                    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
                    k = k / np.linalg.norm(k, axis=-1, keepdims=True)
                    scores = q @ k.transpose(0, 2, 1) * np.exp(np.minimum(scale, np.log(100.0)))
                scores = scores + bias[0]
                apart = (wrapped_h[rows][:, None] != wrapped_h[rows][None, :]) | (
                    wrapped_w[cols][:, None] != wrapped_w[cols][None, :]
                )
                scores = scores - 100.0 * apart
                attn = np.exp(scores - scores.max(axis=-1, keepdims=True))
                attn /= attn.sum(axis=-1, keepdims=True)
                y = (attn @ v).transpose(1, 0, 2).reshape(-1, C)
                out[b, rows, cols] = y @ proj_w.T + proj_b
    return np.roll(out, shift, axis=(1, 2))[:, :H, :W]


@pytest.mark.parametrize(
    "size, window, shift, v2",
    [
        ((5, 7), [3, 4], [1, 2], False),  # padded to 6x8, shifted along both axes
        ((6, 6), [3, 3], [1, 1], True),
        ((4, 7), [4, 3], [2, 1], False),  # the window covers the height: no shift there
        ((3, 3), [4, 4], [2, 2], False),  # one padded window: no shift at all
    ],
)
def test_shifted_window_attention_against_definition(size, window, shift, v2):
    rng = np.random.default_rng(0)
    C, heads = 4, 2
    n = window[0] * window[1]
    arrays = {
        "x": rng.standard_normal((2, *size, C)),
        "qkv_w": rng.standard_normal((3 * C, C)) * 0.5,
        "qkv_b": rng.standard_normal(3 * C) * 0.1,
        "proj_w": rng.standard_normal((C, C)) * 0.5,
        "proj_b": rng.standard_normal(C) * 0.1,
        "bias": rng.standard_normal((1, heads, n, n)),
    }
    scale = rng.standard_normal((heads, 1, 1)) + 1.0 if v2 else None
    t = {k: ember.from_numpy(v.copy()) for k, v in arrays.items()}
    out = swin_transformer.shifted_window_attention(
        t["x"], t["qkv_w"], t["proj_w"], t["bias"], window, heads, shift,
        qkv_bias=t["qkv_b"], proj_bias=t["proj_b"],
        logit_scale=None if scale is None else ember.from_numpy(scale), training=False,
    )  # fmt: skip
    if v2:
        arrays["qkv_b"][C : 2 * C] = 0.0  # V2 has no key bias
    expected = _naive_window_attention(
        arrays["x"], arrays["qkv_w"], arrays["qkv_b"], arrays["proj_w"], arrays["proj_b"],
        arrays["bias"], window, shift, heads, scale,
    )  # fmt: skip
    assert out.shape == expected.shape and out.dtype == ember.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_patch_merging_order_and_padding():
    x = ember.arange(9, dtype=ember.float32).reshape(1, 3, 3, 1)
    merged = swin_transformer._patch_merging_pad(x)
    # per 2x2 block: (0,0), (1,0), (0,1), (1,1); the map is zero-padded to 4x4
    assert merged.shape == (1, 2, 2, 4)
    assert merged.numpy()[0].tolist() == [
        [[0, 3, 1, 4], [2, 5, 0, 0]],
        [[6, 0, 7, 0], [8, 0, 0, 0]],
    ]
    assert swin_transformer.PatchMerging(1)(x).shape == (1, 2, 2, 2)
    assert swin_transformer.PatchMergingV2(1).norm.normalized_shape == (2,)


def test_swin_v2_builder_sets_its_blocks():
    with pytest.raises(TypeError, match="block"):
        models.swin_v2_t(block=swin_transformer.SwinTransformerBlock)
    with pytest.raises(ValueError, match="length 2"):
        swin_transformer.ShiftedWindowAttention(4, [3], [0, 0], 2)


# ------------------------------------------------------------------------------- MaxViT


def test_window_partition_and_departition():
    x = ember.arange(2 * 3 * 4 * 6, dtype=ember.float32).reshape(2, 3, 4, 6)
    parts = maxvit.WindowPartition()(x, 2)
    assert parts.shape == (2, 6, 4, 3)
    a = x.numpy()
    # window g = (i // 2) * 3 + j // 2, token (i % 2) * 2 + j % 2, channels last
    for i, j in [(0, 0), (1, 3), (3, 5), (2, 2)]:
        g, t = (i // 2) * 3 + j // 2, (i % 2) * 2 + j % 2
        np.testing.assert_array_equal(parts.numpy()[:, g, t, :], a[:, :, i, j])
    back = maxvit.WindowDepartition()(parts, 2, 2, 3)
    np.testing.assert_array_equal(back.numpy(), a)


def test_relative_positional_attention_against_numpy(seeded):
    attn = maxvit.RelativePositionalMultiHeadAttention(feat_dim=4, head_dim=2, max_seq_len=4)
    x = ember.randn(1, 2, 4, 4)
    p = {k: v.numpy().astype(np.float64) for k, v in attn.state_dict().items()}
    a = x.numpy().astype(np.float64)
    qkv = a @ p["to_qkv.weight"].T + p["to_qkv.bias"]
    q, k, v = (qkv[..., i * 4 : (i + 1) * 4].reshape(1, 2, 4, 2, 2) for i in range(3))
    q, k, v = (t.transpose(0, 1, 3, 2, 4) for t in (q, k, v))  # B, G, heads, P, head_dim
    bias = p["relative_position_bias_table"][p["relative_position_index"].astype(int)]
    scores = q @ (k * 4**-0.5).transpose(0, 1, 2, 4, 3) + bias.transpose(2, 0, 1)
    weights = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    y = (weights @ v).transpose(0, 1, 3, 2, 4).reshape(1, 2, 4, 4)
    expected = y @ p["merge.weight"].T + p["merge.bias"]
    np.testing.assert_allclose(attn(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="divisible by head_dim"):
        maxvit.RelativePositionalMultiHeadAttention(6, 4, 4)


def test_maxvit_input_size_checks():
    with pytest.raises(ValueError, match="not divisible by partition size"):
        models.maxvit_t(input_size=(64, 64))
    with pytest.raises(ValueError, match="partition_type"):
        maxvit.PartitionAttentionLayer(
            8, 4, 2, "diagonal", (4, 4), 2, nn.GELU, nn.LayerNorm, 0.0, 0.0, 0.0
        )


# --------------------------------------------------------------------- Vision Transformer


def test_vit_checks_and_class_token(seeded):
    with pytest.raises(AssertionError, match="indivisible"):
        vision_transformer.VisionTransformer(10, 4, 1, 1, 4, 8)
    model = _small("vit").eval()
    with pytest.raises(AssertionError, match="Wrong image height"):
        model(ember.randn(1, 3, 8, 16))
    assert (model.heads.head.weight.detach().numpy() == 0).all()  # zero-initialised head
    assert model.seq_length == 5  # 2 x 2 patches and the class token
    with pytest.raises(AssertionError, match="Expected \\(batch_size, seq_length, hidden_dim\\)"):
        model.encoder(ember.randn(5, 8))


def test_vit_loads_pre_0_13_mlp_names(seeded):
    model = _small("vit")
    state = {}
    for key, value in model.state_dict().items():
        key = key.replace("mlp.0.", "mlp.linear_1.").replace("mlp.3.", "mlp.linear_2.")
        state[key] = value.clone() + 1.0
    assert "encoder.layers.encoder_layer_1.mlp.linear_2.bias" in state
    fresh = _small("vit")
    fresh.load_state_dict(state)
    loaded = fresh.encoder.layers.encoder_layer_1.mlp[3].bias.detach().numpy()
    np.testing.assert_array_equal(loaded, state["encoder.layers.encoder_layer_1.mlp.linear_2.bias"])


def test_interpolate_embeddings():
    # a position embedding linear in the grid coordinates stays linear (bilinear, corners
    # aligned); the class token's entry is kept
    grid = np.linspace(0.0, 1.0, 3)
    ramp = (grid[:, None] + 2 * grid[None, :]).reshape(1, 9, 1).astype(np.float32)
    embedding = np.concatenate([np.full((1, 1, 1), 7.0, np.float32), ramp], axis=1)
    state = {"encoder.pos_embedding": ember.from_numpy(embedding), "heads.head.bias": ember.ones(2)}
    out = vision_transformer.interpolate_embeddings(20, 4, dict(state), "bilinear", True)
    assert list(out) == ["encoder.pos_embedding"]
    new = out["encoder.pos_embedding"].numpy()
    assert new.shape == (1, 26, 1) and new[0, 0, 0] == 7.0
    fine = np.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(
        new[0, 1:, 0], (fine[:, None] + 2 * fine[None, :]).ravel(), atol=1e-6
    )
    same = vision_transformer.interpolate_embeddings(12, 4, dict(state))
    assert same["encoder.pos_embedding"] is state["encoder.pos_embedding"]
    with pytest.raises(ValueError, match="perfect square"):
        bad = {"encoder.pos_embedding": ember.zeros(1, 9, 2)}
        vision_transformer.interpolate_embeddings(16, 4, bad)


# ------------------------------------------------------------------------------ builders


def test_builder_kwargs_and_weights_file(seeded, tmp_path):
    model = models.regnet_y_400mf(num_classes=7)
    path = tmp_path / "regnet.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    loaded = models.get_model("regnet_y_400mf", weights=path, num_classes=7)
    for (key, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=key)
    with pytest.raises(FileNotFoundError, match=r"local \.safetensors"):
        models.convnext_tiny(weights=tmp_path / "missing.safetensors")


def test_builder_kwargs_reach_the_classes(no_init):
    assert models.vit_b_32(image_size=64).encoder.pos_embedding.shape == (1, 5, 768)
    assert models.swin_t(num_classes=3).head.out_features == 3
    assert models.convnext_tiny(layer_scale=0.5).features[1][0].layer_scale.shape == (96, 1, 1)
    assert models.maxvit_t(num_classes=2).classifier[5].out_features == 2
