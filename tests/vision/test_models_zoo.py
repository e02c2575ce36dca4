"""embervision's larger model zoo (ResNet-101/152, ResNeXt, Wide ResNet, MobileNet V2/V3,
EfficientNet V1/V2, DenseNet, SqueezeNet, ShuffleNet V2, MNASNet) and the building blocks of
embervision.ops.misc / stochastic_depth.

Each builder's state dict must equal torchvision's key for key and shape for shape: SIGNATURES
holds (number of keys, sha256 of the sorted "key:shape" lines, parameter count), computed once
with torchvision 0.29.1 (torch 2.13, CPU) by

    import hashlib, sys, types
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("m")  # C ext. mismatch
    import torchvision
    for name in names:
        sd = torchvision.models.get_model(name).state_dict()
        lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in sd.items())
        digest = hashlib.sha256("\\n".join(lines).encode()).hexdigest()[:16]
        params = sum(p.numel() for p in torchvision.models.get_model(name).parameters())

Numerical agreement with torchvision (the same weights in both) is checked side by side in
tests/parity/test_vision_models.py. Every model is built once, in one test (about 25 s for all
of them on two cores; 15 s without the ones marked slow).
"""

import hashlib
import math
from functools import partial

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.safetensors import save_file
from embervision import models
from embervision.models import densenet as densenet_module
from embervision.models import efficientnet as efficientnet_module
from embervision.models import mobilenetv3 as mobilenetv3_module
from embervision.models import shufflenetv2 as shufflenetv2_module
from embervision.ops.misc import (
    MLP,
    Conv2dNormActivation,
    FrozenBatchNorm2d,
    Permute,
    SqueezeExcitation,
)
from embervision.ops.stochastic_depth import StochasticDepth, stochastic_depth

# fmt: off
SIGNATURES = {
    "resnet101": (626, "e0e4b4ababa6968b", 44_549_160),
    "resnet152": (932, "db106f558aedebc2", 60_192_808),
    "resnext50_32x4d": (320, "a80e6acce41bed49", 25_028_904),
    "resnext101_32x8d": (626, "0db5796fc9aebb7f", 88_791_336),
    "resnext101_64x4d": (626, "4d26fdd006b980ae", 83_455_272),
    "wide_resnet50_2": (320, "1f42b3c4b9491740", 68_883_240),
    "wide_resnet101_2": (626, "3331fa536e99b5c8", 126_886_696),
    "mobilenet_v2": (314, "8e46697c9016e576", 3_504_872),
    "mobilenet_v3_large": (312, "c528e0bb2a7fb18b", 5_483_032),
    "mobilenet_v3_small": (244, "bcde2d45a27d4888", 2_542_856),
    "efficientnet_b0": (360, "f283c10a15eb79f3", 5_288_548),
    "efficientnet_b1": (508, "1d9b1cdd7cdf53f4", 7_794_184),
    "efficientnet_b2": (508, "149c11a58fd6e907", 9_109_994),
    "efficientnet_b3": (574, "4b313c668bdea440", 12_233_232),
    "efficientnet_b4": (706, "c0e2379e46619715", 19_341_616),
    "efficientnet_b5": (854, "e0da34c19da296ec", 30_389_784),
    "efficientnet_b6": (986, "424e53a49485cb72", 43_040_704),
    "efficientnet_b7": (1200, "9f1011b5e554449f", 66_347_960),
    "efficientnet_v2_s": (782, "50e718a9e82024d4", 21_458_488),
    "efficientnet_v2_m": (1120, "4fdfc298bc40bf7b", 54_139_356),
    "efficientnet_v2_l": (1548, "af97e919b3a29a9b", 118_515_272),
    "densenet121": (727, "ab49849b3ca214f5", 7_978_856),
    "densenet161": (967, "5022fc3e1f5307d1", 28_681_000),
    "densenet169": (1015, "e99928dbb77358c1", 14_149_480),
    "densenet201": (1207, "b4693170ccb57ccf", 20_013_928),
    "squeezenet1_0": (52, "5404f64a358d9a02", 1_248_424),
    "squeezenet1_1": (52, "2ba7747eadf15fff", 1_235_496),
    "shufflenet_v2_x0_5": (338, "eb6c23a73c022f67", 1_366_792),
    "shufflenet_v2_x1_0": (338, "1ae9092486783b7e", 2_278_604),
    "shufflenet_v2_x1_5": (338, "2e6da648d9918c59", 3_503_624),
    "shufflenet_v2_x2_0": (338, "6ea3c56870f1f2d6", 7_393_996),
    "mnasnet0_5": (314, "d1773810681d89ff", 2_218_512),
    "mnasnet0_75": (314, "20f3e329543289eb", 3_170_208),
    "mnasnet1_0": (314, "5ab6fa8a8fd7b937", 4_383_312),
    "mnasnet1_3": (314, "2ac5e3b974dbf723", 6_282_256),
}
# fmt: on


def _signature(model):
    lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return len(lines), digest, sum(p.numel() for p in model.parameters())


def _np(t):
    return t.detach().numpy().astype(np.float64)


# The heaviest builds (2-4 s each on two cores); a lighter sibling of each stays in a
# `-m "not slow"` run: wide_resnet50_2, resnext50_32x4d, efficientnet_b6, efficientnet_v2_s.
HEAVY = {
    "wide_resnet101_2",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "efficientnet_b7",
    "efficientnet_v2_m",
    "efficientnet_v2_l",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in SIGNATURES]
)
def test_state_dict_matches_torchvision_and_forward(name):
    ember.manual_seed(0)
    model = models.get_model(name)
    assert _signature(model) == SIGNATURES[name]
    model.eval()
    with ember.no_grad():
        out = model(ember.randn(1, 3, 64, 64))
    assert out.shape == (1, 1000)
    assert np.isfinite(out.numpy()).all()


def test_list_models_has_the_zoo():
    assert set(SIGNATURES) <= set(models.list_models())
    assert models.list_models(include="efficientnet_b*") == [f"efficientnet_b{i}" for i in range(8)]


# ---------------------------------------------------------------------------- building blocks


def test_conv2d_norm_activation_layout():
    block = Conv2dNormActivation(3, 8, kernel_size=5, stride=2, dilation=2)
    assert [type(m).__name__ for m in block] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert [k for k, _ in block.state_dict().items()] == [
        "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked",
    ]  # fmt: skip
    conv = block[0]
    assert conv.padding == (4, 4) and conv.stride == (2, 2) and conv.bias is None
    assert block[2].inplace and block.out_channels == 8

    # no norm: the convolution gets a bias and the activation moves to index 1
    plain = Conv2dNormActivation(3, 4, kernel_size=(1, 3), norm_layer=None, inplace=None)
    assert plain[0].padding == (0, 1) and plain[0].bias is not None
    assert len(plain) == 2 and not plain[1].inplace
    bare = Conv2dNormActivation(3, 4, 1, activation_layer=None, bias=True)
    assert len(bare) == 2 and bare[0].bias is not None
    x = ember.randn(2, 3, 9, 9)
    assert block(x).shape == (2, 8, 5, 5)  # dilated 5×5 spans 9: padding 4 keeps 9 -> 5


def test_squeeze_excitation_against_numpy():
    ember.manual_seed(1)
    se = SqueezeExcitation(6, 2)
    assert [k for k in se.state_dict()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    x = ember.randn(2, 6, 5, 4)
    p = {k: _np(v) for k, v in se.state_dict().items()}
    pooled = _np(x).mean(axis=(2, 3))
    h = np.maximum(pooled @ p["fc1.weight"][:, :, 0, 0].T + p["fc1.bias"], 0)
    scale = 1 / (1 + np.exp(-(h @ p["fc2.weight"][:, :, 0, 0].T + p["fc2.bias"])))
    expected = _np(x) * scale[:, :, None, None]
    np.testing.assert_allclose(se(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_frozen_batch_norm_matches_eval_batch_norm_and_loads_its_state():
    ember.manual_seed(2)
    bn = nn.BatchNorm2d(4)
    with ember.no_grad():
        bn.weight.normal_()
        bn.bias.normal_()
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
    bn.eval()
    frozen = FrozenBatchNorm2d(4)
    frozen.load_state_dict(bn.state_dict())  # num_batches_tracked is dropped
    assert list(frozen.parameters()) == []
    assert list(frozen.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    x = ember.randn(2, 4, 3, 3)
    with ember.no_grad():
        np.testing.assert_allclose(frozen(x).numpy(), bn(x).numpy(), rtol=1e-5, atol=1e-6)
    assert repr(frozen) == "FrozenBatchNorm2d(4, eps=1e-05)"


def test_mlp_and_permute():
    mlp = MLP(6, [8, 5, 3], norm_layer=nn.LayerNorm, inplace=False, dropout=0.1)
    assert [type(m).__name__ for m in mlp] == [
        "Linear", "LayerNorm", "ReLU", "Dropout", "Linear", "LayerNorm", "ReLU", "Dropout",
        "Linear", "Dropout",
    ]  # fmt: skip
    assert mlp[3].p == 0.1 and not mlp[3].inplace
    assert mlp.eval()(ember.randn(2, 6)).shape == (2, 3)
    assert MLP(4, [2], bias=False)[0].bias is None
    assert Permute([0, 2, 3, 1])(ember.zeros(1, 2, 3, 4)).shape == (1, 3, 4, 2)


def test_stochastic_depth():
    x = ember.ones(4000, 2)
    ember.manual_seed(3)
    rows = stochastic_depth(x, 0.25, "row").numpy()
    kept = rows[:, 0] != 0
    assert (rows[kept] == 1 / 0.75).all() and (rows[~kept] == 0).all()
    assert (rows[:, 0] == rows[:, 1]).all()  # one draw per row
    assert abs(kept.mean() - 0.75) < 0.03
    batch = stochastic_depth(x, 0.5, "batch").numpy()
    assert len(np.unique(batch)) == 1  # the whole batch kept or dropped
    assert stochastic_depth(x, 0.5, "row", training=False) is x
    assert stochastic_depth(x, 0.0, "row") is x
    assert not stochastic_depth(x, 1.0, "row").numpy().any()
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1"):
        stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row'"):
        stochastic_depth(x, 0.5, "col")
    layer = StochasticDepth(0.2, "row")
    assert repr(layer) == "StochasticDepth(p=0.2, mode=row)"
    assert layer.eval()(x) is x


# ------------------------------------------------------------------------ architecture details


def test_resnext_and_wide_resnet_fix_groups_and_width():
    model = models.resnext50_32x4d(num_classes=3)
    assert model.layer1[0].conv2.groups == 32 and model.layer1[0].conv2.weight.shape == (
        128, 4, 3, 3,
    )  # fmt: skip
    with pytest.raises(ValueError, match="'groups' expected value 32 but got 8"):
        models.resnext50_32x4d(groups=8)
    with pytest.raises(ValueError, match="'width_per_group' expected value 128 but got 64"):
        models.wide_resnet50_2(width_per_group=64)
    # Wide ResNet doubles the inner width only: 2048 outputs, 1024 inside the last stage
    assert models.wide_resnet50_2().layer4[0].conv2.weight.shape == (1024, 1024, 3, 3)


def test_mobilenet_v2_structure_and_init():
    ember.manual_seed(4)
    model = models.mobilenet_v2(width_mult=0.5, num_classes=10)
    assert model.features[0][0].out_channels == 16 and model.last_channel == 1280
    assert not model.features[1].use_res_connect and model.features[3].use_res_connect
    assert len(model.features[1].conv) == 3  # expansion 1: no 1×1 expansion layer
    assert isinstance(model.features[2].conv[0][2], nn.ReLU6)
    fc = model.classifier[1].weight.detach().numpy()
    assert abs(fc.std() - 0.01) < 1e-3 and not model.classifier[1].bias.detach().numpy().any()
    conv = model.features[18][0].weight.detach().numpy()  # 1×1, fan_out = 1280
    assert abs(conv.std() - math.sqrt(2 / 1280)) < 0.03 * math.sqrt(2 / 1280)
    with pytest.raises(ValueError, match="inverted_residual_setting should be non-empty"):
        models.mobilenet_v2(inverted_residual_setting=[[1, 16, 1]])


def test_mobilenet_v3_configuration():
    model = models.mobilenet_v3_large()
    bn = model.features[0][1]
    assert (bn.eps, bn.momentum) == (0.001, 0.01)
    se = model.features[4].block[2]
    assert isinstance(se, SqueezeExcitation) and isinstance(se.scale_activation, nn.Hardsigmoid)
    assert se.fc1.out_channels == 24  # _make_divisible(72 // 4, 8)
    assert isinstance(model.features[7].block[0][2], nn.Hardswish)
    assert [type(m).__name__ for m in model.classifier] == [
        "Linear", "Hardswish", "Dropout", "Linear",
    ]  # fmt: skip

    setting, last = mobilenetv3_module._mobilenet_v3_conf(
        "mobilenet_v3_large", reduced_tail=True, dilated=True
    )
    c4 = setting[12]
    assert (c4.input_channels, c4.expanded_channels, c4.out_channels, c4.dilation) == (
        112, 672, 80, 2,
    )  # fmt: skip
    assert (setting[13].input_channels, setting[13].expanded_channels) == (80, 480)
    assert last == 640
    small = models.mobilenet_v3_small(reduced_tail=True, dilated=True).eval()
    assert small.features[9].block[1][0].dilation == (2, 2)
    assert small.features[9].block[1][0].stride == (1, 1)
    with ember.no_grad():
        assert small(ember.randn(1, 3, 32, 32)).shape == (1, 1000)
    with pytest.raises(ValueError, match="Unsupported model type mobilenet_v3_tiny"):
        mobilenetv3_module._mobilenet_v3_conf("mobilenet_v3_tiny")
    with pytest.raises(ValueError, match="should not be empty"):
        models.MobileNetV3([], 1280)


def test_efficientnet_configuration():
    model = models.efficientnet_b0()
    blocks = [b for stage in model.features[1:-1] for b in stage]
    assert len(blocks) == 16
    probs = [b.stochastic_depth.p for b in blocks]
    np.testing.assert_allclose(probs, [0.2 * i / 16 for i in range(16)])
    assert model.classifier[0].p == 0.2 and model.classifier[0].inplace
    assert isinstance(blocks[1].block[2], SqueezeExcitation)
    assert blocks[1].block[2].fc1.out_channels == 4  # a quarter of the 16 input channels
    w = model.classifier[1].weight.detach().numpy()
    assert abs(w).max() <= 1 / math.sqrt(1000) and not _np(model.classifier[1].bias).any()

    b5 = models.efficientnet_b5(dropout=0.1, stochastic_depth_prob=0.0)
    assert (b5.features[0][1].eps, b5.features[0][1].momentum) == (0.001, 0.01)
    assert b5.classifier[0].p == 0.1
    assert all(m.p == 0.0 for m in b5.modules() if isinstance(m, StochasticDepth))
    with pytest.raises(TypeError, match="multiple values for keyword argument 'norm_layer'"):
        models.efficientnet_b7(norm_layer=nn.BatchNorm2d)
    b1 = models.efficientnet_b1(norm_layer=partial(nn.BatchNorm2d, eps=0.1))  # B0-B4 accept one
    assert b1.features[0][1].eps == 0.1

    v2 = models.efficientnet_v2_s(num_classes=5).eval()
    first = v2.features[1][0]
    assert isinstance(first, efficientnet_module.FusedMBConv) and len(first.block) == 1
    assert isinstance(v2.features[2][0].block[0][0], nn.Conv2d)  # fused 3×3 expansion
    assert v2.features[0][1].eps == 1e-3 and v2.features[-1][0].out_channels == 1280
    with ember.no_grad():
        assert v2(ember.randn(1, 3, 32, 32)).shape == (1, 5)
    with pytest.raises(ValueError, match="Unsupported model type efficientnet_b9"):
        efficientnet_module._efficientnet_conf("efficientnet_b9")


def test_efficientnet_train_mode_drops_residual_rows():
    ember.manual_seed(5)
    model = models.efficientnet_b0(stochastic_depth_prob=0.9, num_classes=4)
    block = model.features[6][3]  # a residual block with p = 0.9 * 14 / 16
    assert block.use_res_connect
    block.eval()
    x = ember.randn(64, 192, 2, 2)
    with ember.no_grad():
        block.train()
        out = block(x)
    dropped = np.isclose(out.numpy(), x.numpy()).all(axis=(1, 2, 3))
    assert 0 < dropped.sum() < 64  # rows drop independently ("row" mode)


def test_densenet_structure_and_legacy_weights(tmp_path):
    ember.manual_seed(6)
    model = models.densenet121(num_classes=7, drop_rate=0.1)
    names = [n for n, _ in model.features.named_children()]
    assert names == [
        "conv0", "norm0", "relu0", "pool0", "denseblock1", "transition1", "denseblock2",
        "transition2", "denseblock3", "transition3", "denseblock4", "norm5",
    ]  # fmt: skip
    layer = model.features.denseblock2.denselayer3
    assert layer.conv1.weight.shape == (128, 128 + 2 * 32, 1, 1) and layer.drop_rate == 0.1
    assert not model.classifier.bias.detach().numpy().any()

    model.eval()
    x = ember.randn(1, 3, 32, 32)
    with ember.no_grad():
        expected = model(x).numpy()
    # The published checkpoints name the dense layers' modules "norm.1", "conv.2", ... (and
    # predate num_batches_tracked).
    legacy = {}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        for old in ("norm1", "norm2", "conv1", "conv2", "relu1", "relu2"):
            key = key.replace(f".{old}.", f".{old[:-1]}.{old[-1]}.")
        legacy[key] = value
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    path = tmp_path / "densenet121.safetensors"
    save_file(legacy, path)
    loaded = models.densenet121(num_classes=7, weights=path).eval()
    with ember.no_grad():
        np.testing.assert_array_equal(loaded(x).numpy(), expected)
    assert densenet_module._rename_legacy("features.norm0.weight") == "features.norm0.weight"


def test_squeezenet_shufflenet_mnasnet_details():
    ember.manual_seed(7)
    sq = models.squeezenet1_1(num_classes=10)
    pools = [m for m in sq.features if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3 and all(p.ceil_mode for p in pools)
    final = sq.classifier[1].weight.detach().numpy()
    assert abs(final.std() - 0.01) < 2e-3
    sq.eval()
    with ember.no_grad():  # the smallest input torchvision lists for 1.1: 17×17
        assert sq(ember.randn(1, 3, 17, 17)).shape == (1, 10)
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 1_2"):
        models.SqueezeNet("1_2")

    sh = models.shufflenet_v2_x1_0()
    assert len(sh.stage2[1].branch1) == 0 and len(sh.stage2[0].branch1) == 5
    with pytest.raises(ValueError, match="expected stages_repeats as list of 3"):
        models.ShuffleNetV2([4, 8], [24, 48, 96, 192, 1024])
    with pytest.raises(ValueError, match="If stride == 1 then inp should be equal"):
        shufflenetv2_module.InvertedResidual(24, 48, 1)

    mn = models.mnasnet0_5()
    assert mn.layers[0].out_channels == 16  # the stem scales with alpha (version 2)
    assert mn.layers[1].momentum == pytest.approx(0.0003)
    with pytest.raises(ValueError, match=r"alpha should be greater than 0\.0"):
        models.MNASNet(0.0)


def test_weights_round_trip_mobilenet_v3(tmp_path):
    ember.manual_seed(8)
    source = models.mobilenet_v3_small(num_classes=5).eval()
    path = tmp_path / "mnv3.safetensors"
    save_file(source.state_dict(), path)
    loaded = models.mobilenet_v3_small(num_classes=5, weights=path).eval()
    x = ember.randn(2, 3, 32, 32)
    with ember.no_grad():
        np.testing.assert_array_equal(loaded(x).numpy(), source(x).numpy())
    with pytest.raises(FileNotFoundError, match=r"local \.safetensors file"):
        models.efficientnet_b0(weights="DEFAULT")


def test_train_step_runs_backward():
    ember.manual_seed(9)
    model = models.mobilenet_v3_small(num_classes=3)
    out = model(ember.randn(2, 3, 32, 32))
    nn.functional.cross_entropy(out, ember.tensor([0, 2])).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads)
    assert model.features[0][1].num_batches_tracked.item() == 1
