"""embervision's larger model zoo (ResNet-101/152, ResNeXt, Wide ResNet, MobileNet V2/V3,
EfficientNet V1/V2, DenseNet, SqueezeNet, ShuffleNet V2, MNASNet, GoogLeNet, Inception v3, the
segmentation models) and the building blocks of embervision.ops.misc / stochastic_depth and
IntermediateLayerGetter.

Each builder's state dict must equal torchvision's key for key and shape for shape: SIGNATURES
holds (number of keys, sha256 of the sorted "key:shape" lines, parameter count), computed once
with torchvision 0.29.1 (torch 2.13, CPU) by

    import hashlib, sys, types
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("m")  # C ext. mismatch
    import torchvision
    for name in names:
        sd = torchvision.models.get_model(name).state_dict()  # segmentation: see below
        lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in sd.items())
        digest = hashlib.sha256("\\n".join(lines).encode()).hexdigest()[:16]
        params = sum(p.numel() for p in torchvision.models.get_model(name).parameters())

Numerical agreement with torchvision (the same weights in both) is checked side by side in
tests/parity/test_vision_models.py. Every model is built once, in one test (about 25 s for all
of them on two cores; 15 s without the ones marked slow). The segmentation builders are hashed
as ``get_model(name, weights_backbone=None, aux_loss=True)`` (no ``aux_loss`` for LR-ASPP),
googlenet and inception_v3 with ``init_weights=True`` (torchvision warns without it).
"""

import hashlib
import math
from functools import partial

import numpy as np
import pytest

import ember
from ember import nn
from ember.testing import assert_close
from ember.utils.safetensors import save_file
from embervision import models
from embervision.models import densenet as densenet_module
from embervision.models import efficientnet as efficientnet_module
from embervision.models import mobilenetv3 as mobilenetv3_module
from embervision.models import segmentation
from embervision.models import shufflenetv2 as shufflenetv2_module
from embervision.models._utils import IntermediateLayerGetter
from embervision.models.googlenet import _init_truncated_normal
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
    "googlenet": (364, "8628650f84d7832c", 13_004_888),
    "inception_v3": (580, "0ace67673c59cc9c", 27_161_264),
}
SEGMENTATION_SIGNATURES = {
    "fcn_resnet50": (334, "1c96aa3c522a94f7", 35_322_218),
    "fcn_resnet101": (640, "6b44d99557537c23", 54_314_346),
    "deeplabv3_resnet50": (370, "276e0a9848a645c5", 42_004_074),
    "deeplabv3_resnet101": (676, "6e8451c4cd32ffcc", 60_996_202),
    "deeplabv3_mobilenet_v3_large": (360, "1ec0bcc7989834c7", 11_029_328),
    "lraspp_mobilenet_v3_large": (319, "b7eba1a5092c407a", 3_221_538),
}
# fmt: on

# ember's trunc_normal_ inverts the normal CDF elementwise in float64: googlenet and
# inception_v3 take 8 s and 16 s to initialise on two cores, so they are built without it
# here (test_googlenet_default_initialisation, marked slow, covers it).
BUILD_KWARGS = {"googlenet": {"init_weights": False}, "inception_v3": {"init_weights": False}}
INPUT_SIZE = {"inception_v3": 75}  # the smallest torchvision accepts


def _signature(model):
    lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return len(lines), digest, sum(p.numel() for p in model.parameters())


def _np(t):
    return t.detach().cpu().numpy().astype(np.float64)


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
    model = models.get_model(name, **BUILD_KWARGS.get(name, {}))
    assert _signature(model) == SIGNATURES[name]
    model.eval()
    size = INPUT_SIZE.get(name, 64)
    with ember.no_grad():
        out = model(ember.randn(1, 3, size, size))
    assert out.shape == (1, 1000)
    assert np.isfinite(out.numpy()).all()


def test_list_models_has_the_zoo():
    assert set(SIGNATURES) <= set(models.list_models())
    assert models.list_models(include="efficientnet_b*") == [f"efficientnet_b{i}" for i in range(8)]
    # as torchvision: list_models() has every model, module= only those of that package
    assert models.list_models(module=segmentation) == sorted(SEGMENTATION_SIGNATURES)
    assert set(SEGMENTATION_SIGNATURES) <= set(models.list_models())
    assert not set(SEGMENTATION_SIGNATURES) & set(models.list_models(module=models))
    assert {"googlenet", "inception_v3"} <= set(models.list_models(module=models))


@pytest.mark.parametrize("name", list(SEGMENTATION_SIGNATURES))
def test_segmentation_state_dict_matches_torchvision_and_forward(name):
    ember.manual_seed(10)
    aux = not name.startswith("lraspp")
    model = models.get_model(name, **({"aux_loss": True} if aux else {}))
    assert _signature(model) == SEGMENTATION_SIGNATURES[name]
    model.eval()
    with ember.no_grad():
        out = model(ember.randn(1, 3, 32, 35))  # upsampled back to the input's odd size
    assert list(out) == (["out", "aux"] if aux else ["out"])
    for value in out.values():
        assert value.shape == (1, 21, 32, 35)
        assert np.isfinite(value.numpy()).all()


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
    with pytest.raises(FileNotFoundError, match=r"local \.safetensors or \.pth file"):
        models.efficientnet_b0(weights="DEFAULT")


def test_train_step_runs_backward():
    ember.manual_seed(9)
    model = models.mobilenet_v3_small(num_classes=3)
    out = model(ember.randn(2, 3, 32, 32))
    nn.functional.cross_entropy(out, ember.tensor([0, 2])).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads)
    assert model.features[0][1].num_batches_tracked.item() == 1


# --------------------------------------------------------------------------------- segmentation


def test_intermediate_layer_getter():
    ember.manual_seed(11)
    resnet = models.resnet18().eval()
    getter = IntermediateLayerGetter(resnet, {"layer3": "feat2", "layer1": "feat1"})
    # the children up to the last requested one, in the model's order; no prefix on the keys
    assert list(getter.keys()) == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
    ]  # fmt: skip
    assert getter.conv1 is resnet.conv1 and "conv1.weight" in getter.state_dict()
    assert getter.return_layers == {"layer3": "feat2", "layer1": "feat1"}
    x = ember.randn(1, 3, 64, 64)
    with ember.no_grad():
        out = getter(x)
        # outputs in the order the layers run, named by the values of return_layers
        assert list(out) == ["feat1", "feat2"]
        assert out["feat1"].shape == (1, 64, 16, 16) and out["feat2"].shape == (1, 256, 4, 4)
        expected = resnet.layer3(resnet.layer2(out["feat1"]))
        np.testing.assert_array_equal(out["feat2"].numpy(), expected.numpy())
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        IntermediateLayerGetter(resnet, {"layer3.0": "x"})
    # a Sequential's children are named "0", "1", ...: the keys are compared as given
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert list(IntermediateLayerGetter(seq, {"1": "mid"}).keys()) == ["0", "1"]
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        IntermediateLayerGetter(seq, {1: "mid"})


def test_segmentation_backbones_and_heads():
    fcn = models.segmentation.fcn_resnet50()
    assert fcn.aux_classifier is None and fcn.backbone.return_layers == {"layer4": "out"}
    assert list(fcn.backbone.keys())[-1] == "layer4"  # avgpool and fc are dropped
    layer4 = fcn.backbone.layer4
    assert layer4[0].conv2.stride == (1, 1) and layer4[0].conv2.dilation == (2, 2)
    assert layer4[1].conv2.dilation == (4, 4) and fcn.backbone.layer3[1].conv2.dilation == (2, 2)
    assert [type(m).__name__ for m in fcn.classifier] == [
        "Conv2d", "BatchNorm2d", "ReLU", "Dropout", "Conv2d",
    ]  # fmt: skip
    assert fcn.classifier[0].out_channels == 512 and fcn.classifier[3].p == 0.1

    deeplab = models.segmentation.deeplabv3_mobilenet_v3_large(num_classes=5).eval()
    assert deeplab.backbone.return_layers == {"16": "out"} and deeplab.aux_classifier is None
    aspp = deeplab.classifier[0]
    assert isinstance(aspp, segmentation.deeplabv3.ASPP) and len(aspp.convs) == 5
    assert [c[0].dilation for c in aspp.convs[1:4]] == [(12, 12), (24, 24), (36, 36)]
    assert isinstance(aspp.convs[4], segmentation.deeplabv3.ASPPPooling)
    assert aspp.project[0].in_channels == 5 * 256 and aspp.project[3].p == 0.5
    with ember.no_grad():
        out = deeplab(ember.randn(1, 3, 40, 24))
    assert list(out) == ["out"] and out["out"].shape == (1, 5, 40, 24)
    with_aux = models.segmentation.deeplabv3_mobilenet_v3_large(aux_loss=True)
    assert with_aux.backbone.return_layers == {"16": "out", "4": "aux"}  # C5 and C2

    lraspp = models.segmentation.lraspp_mobilenet_v3_large()
    assert lraspp.backbone.return_layers == {"4": "low", "16": "high"}
    head = lraspp.classifier
    assert head.low_classifier.in_channels == 40 and head.cbr[0].in_channels == 960
    assert head.high_classifier.in_channels == 128
    with pytest.raises(NotImplementedError, match="does not use auxiliary loss"):
        models.segmentation.lraspp_mobilenet_v3_large(aux_loss=True)


def test_aspp_pooling_branch_against_numpy():
    ember.manual_seed(12)
    pooling = segmentation.deeplabv3.ASPPPooling(3, 2).eval()
    x = ember.randn(2, 3, 5, 7)
    w = _np(pooling[1].weight)[:, :, 0, 0]
    pooled = _np(x).mean(axis=(2, 3)) @ w.T
    bn = pooling[2]
    y = (pooled - _np(bn.running_mean)) / np.sqrt(_np(bn.running_var) + bn.eps)
    y = np.maximum(y * _np(bn.weight) + _np(bn.bias), 0)
    expected = np.broadcast_to(y[:, :, None, None], (2, 2, 5, 7))  # 1×1 upsampled is constant
    with ember.no_grad():
        np.testing.assert_allclose(pooling(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_segmentation_weights_and_backbone_weights(tmp_path):
    ember.manual_seed(13)
    source = models.segmentation.deeplabv3_mobilenet_v3_large(aux_loss=True).eval()
    path = tmp_path / "deeplab.safetensors"
    save_file(source.state_dict(), path)
    # a checkpoint carries the auxiliary head, so aux_loss defaults to True with weights=
    loaded = models.segmentation.deeplabv3_mobilenet_v3_large(weights=path).eval()
    assert loaded.aux_classifier is not None
    x = ember.randn(1, 3, 32, 32)
    with ember.no_grad():
        expected, out = source(x), loaded(x)
    for key in ("out", "aux"):
        np.testing.assert_array_equal(out[key].numpy(), expected[key].numpy())

    backbone = models.mobilenet_v3_large(dilated=True)
    backbone_path = tmp_path / "backbone.safetensors"
    save_file(backbone.state_dict(), backbone_path)
    model = models.segmentation.lraspp_mobilenet_v3_large(weights_backbone=backbone_path)
    np.testing.assert_array_equal(
        _np(model.backbone["16"][0].weight), _np(backbone.features[16][0].weight)
    )
    with pytest.raises(FileNotFoundError, match=r"local \.safetensors or \.pth file"):
        models.segmentation.fcn_resnet50(weights_backbone="IMAGENET1K_V1")


def test_segmentation_train_step():
    ember.manual_seed(14)
    model = models.segmentation.lraspp_mobilenet_v3_large(num_classes=3)
    out = model(ember.randn(2, 3, 32, 32))["out"]
    target = ember.tensor(np.random.default_rng(0).integers(0, 3, (2, 32, 32)))
    nn.functional.cross_entropy(out, target).backward()
    assert all(p.grad is not None for p in model.parameters())


# --------------------------------------------------------------------- GoogLeNet, Inception v3


def test_googlenet_outputs_and_structure():
    ember.manual_seed(15)
    model = models.googlenet(init_weights=False, num_classes=7)
    branch3 = model.inception3a.branch3[1].conv
    assert branch3.kernel_size == (3, 3)  # torchvision's 3×3 where the paper has 5×5
    assert model.conv1.bn.eps == 0.001 and model.maxpool1.ceil_mode
    assert model.aux1.dropout.p == 0.7 and model.dropout.p == 0.2
    x = ember.randn(2, 3, 15, 15)  # the smallest input torchvision lists
    out = model.train()(x)
    assert isinstance(out, models.GoogLeNetOutputs)
    assert out._fields == ("logits", "aux_logits2", "aux_logits1")
    assert all(o.shape == (2, 7) for o in out)
    with ember.no_grad():
        logits = model.eval()(x)
    assert isinstance(logits, ember.Tensor) and logits.shape == (2, 7)

    plain = models.googlenet(init_weights=False, aux_logits=False).train()
    assert plain.aux1 is None and plain.aux2 is None
    assert isinstance(plain(x), ember.Tensor)
    with pytest.raises(ValueError, match="blocks length should be 3 instead of 2"):
        models.GoogLeNet(blocks=[None, None])


def test_transform_input_renormalises():
    ember.manual_seed(16)
    model = models.googlenet(init_weights=False, transform_input=True).eval()
    plain = models.googlenet(init_weights=False).eval()
    plain.load_state_dict(model.state_dict())
    x = ember.randn(1, 3, 32, 32)
    mean = np.array([0.485, 0.456, 0.406])[:, None, None]
    std = np.array([0.229, 0.224, 0.225])[:, None, None]
    # ImageNet-normalised pixels p -> (p - 0.5) / 0.5
    moved = ((_np(x) * std + mean - 0.5) / 0.5).astype(np.float32)
    with ember.no_grad():
        np.testing.assert_allclose(
            model(x).numpy(), plain(ember.from_numpy(moved)).numpy(), rtol=1e-4, atol=1e-5
        )


def test_googlenet_and_inception_weights(tmp_path):
    ember.manual_seed(17)
    source = models.googlenet(init_weights=False, num_classes=4)
    path = tmp_path / "googlenet.safetensors"
    save_file(source.state_dict(), path)
    # as torchvision: the checkpoint's auxiliary heads are loaded, then dropped unless asked for
    loaded = models.googlenet(weights=path, num_classes=4)
    assert loaded.aux1 is None and loaded.aux2 is None and not loaded.aux_logits
    assert loaded.transform_input
    kept = models.googlenet(weights=path, num_classes=4, aux_logits=True, transform_input=False)
    assert kept.aux1 is not None and not kept.transform_input
    x = ember.randn(1, 3, 32, 32)
    with ember.no_grad():
        np.testing.assert_array_equal(kept.eval()(x).numpy(), source.eval()(x).numpy())
    with pytest.raises(ValueError, match="'aux_logits' expected value True but got False"):
        models.googlenet(weights=path, num_classes=4, aux_logits=False)
    with pytest.raises(ValueError, match="'init_weights' expected value False but got True"):
        models.inception_v3(weights=path, init_weights=True)


def test_inception_v3_outputs_and_structure():
    ember.manual_seed(18)
    model = models.inception_v3(init_weights=False, num_classes=6, dropout=0.0)
    assert model.AuxLogits.conv1.stddev == 0.01 and model.AuxLogits.fc.stddev == 0.001
    assert model.Conv2d_1a_3x3.bn.eps == 0.001
    assert model.Mixed_6b.branch7x7_2.conv.kernel_size == (1, 7)
    with ember.no_grad():
        # training mode with the auxiliary classifier needs the full 299×299
        out = model.train()(ember.randn(2, 3, 299, 299))
        assert isinstance(out, models.InceptionOutputs) and out._fields == ("logits", "aux_logits")
        assert out.logits.shape == (2, 6) and out.aux_logits.shape == (2, 6)
        assert model.eval()(ember.randn(1, 3, 75, 75)).shape == (1, 6)
    plain = models.inception_v3(init_weights=False, aux_logits=False).train()
    assert plain.AuxLogits is None
    with ember.no_grad():
        assert isinstance(plain(ember.randn(2, 3, 75, 75)), ember.Tensor)
    with pytest.raises(ValueError, match="length of inception_blocks should be 7 instead of 1"):
        models.Inception3(inception_blocks=[None])


def test_truncated_normal_initialisation():
    ember.manual_seed(19)
    model = nn.Sequential(nn.Conv2d(64, 64, 3), nn.Linear(300, 200), nn.BatchNorm2d(4))
    model[1].stddev = 1.5  # a layer's own stddev wins; the cut stays at ±2 (absolute)
    with ember.no_grad():
        model[2].weight.fill_(3.0)
    _init_truncated_normal(model, 0.01)
    conv = _np(model[0].weight)
    assert abs(conv.std() - 0.01) < 5e-4 and abs(conv.mean()) < 5e-4
    linear = _np(model[1].weight)
    assert np.abs(linear).max() <= 2.0 and linear.std() < 1.3  # cut well below 1.5
    assert (_np(model[2].weight) == 1).all() and not _np(model[2].bias).any()


@pytest.mark.slow
def test_googlenet_default_initialisation():
    ember.manual_seed(20)
    model = models.googlenet()
    fc = _np(model.fc.weight)
    assert abs(fc.std() - 0.01) < 5e-4 and np.abs(fc).max() < 0.1
    assert (_np(model.conv1.bn.weight) == 1).all()


# ------------------------------------------------------------------------------------ on cuda

# Only a GPU run adds anything here: each case builds the model on the CPU, copies its state
# dict into a second build moved to cuda, and compares the two.
CUDA = [
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"),
        ],
    )
]

# name: (builder, kwargs, input shape); small inputs, a few classes
DEVICE_CASES = {
    "resnet18": (models.resnet18, {"num_classes": 10}, (2, 3, 32, 32)),
    "mobilenet_v2": (models.mobilenet_v2, {"num_classes": 10}, (1, 3, 32, 32)),
    "mobilenet_v3_small": (models.mobilenet_v3_small, {"num_classes": 10}, (2, 3, 32, 32)),
    "efficientnet_b0": (models.efficientnet_b0, {"num_classes": 10}, (1, 3, 32, 32)),
    "efficientnet_v2_s": (models.efficientnet_v2_s, {"num_classes": 10}, (1, 3, 32, 32)),
    "densenet121": (models.densenet121, {"num_classes": 10}, (1, 3, 32, 32)),
    # 33×33: every ceil_mode pool has a partial last window
    "squeezenet1_0": (models.squeezenet1_0, {"num_classes": 10}, (1, 3, 33, 33)),
    "squeezenet1_1": (models.squeezenet1_1, {"num_classes": 10}, (1, 3, 33, 33)),
    "shufflenet_v2_x0_5": (models.shufflenet_v2_x0_5, {"num_classes": 10}, (2, 3, 32, 32)),
    "mnasnet0_5": (models.mnasnet0_5, {"num_classes": 10}, (1, 3, 32, 32)),
    "googlenet": (
        models.googlenet,
        {"num_classes": 10, "init_weights": False, "aux_logits": False, "transform_input": True},
        (1, 3, 32, 32),
    ),
    "inception_v3": (
        models.inception_v3,
        {"num_classes": 10, "init_weights": False, "aux_logits": False},
        (1, 3, 75, 75),
    ),
    "fcn_resnet50": (
        segmentation.fcn_resnet50,
        {"num_classes": 4, "aux_loss": True},
        (1, 3, 32, 35),
    ),
    "deeplabv3_mobilenet_v3_large": (
        segmentation.deeplabv3_mobilenet_v3_large,
        {"num_classes": 4, "aux_loss": True},
        (1, 3, 32, 35),
    ),
    "lraspp_mobilenet_v3_large": (
        segmentation.lraspp_mobilenet_v3_large,
        {"num_classes": 4},
        (1, 3, 32, 35),
    ),
}


def _cpu_and_device_models(name, device, seed):
    """The model on the CPU and a second build on ``device`` with its state dict."""
    builder, kwargs, shape = DEVICE_CASES[name]
    ember.manual_seed(seed)
    cpu_model = builder(**kwargs)
    device_model = builder(**kwargs).to(device)
    device_model.load_state_dict(cpu_model.state_dict())
    assert all(p.device.type == device for p in device_model.parameters())
    return cpu_model, device_model, ember.randn(*shape)


def _assert_close_scaled(actual, expected, rtol=1e-3, msg=None):
    """Close to ``rtol`` of the largest magnitude of ``expected`` (float32 sums run in
    another order on the GPU)."""
    scale = float(np.abs(_np(expected)).max()) if expected.numel() else 0.0
    assert_close(actual, expected, rtol=rtol, atol=rtol * scale + 1e-7, msg=msg)


def _outputs(out):
    """A classifier's logits or a segmentation model's dict, as a dict."""
    return dict(out) if isinstance(out, dict) else {"out": out}


@pytest.mark.parametrize("device", CUDA)
@pytest.mark.parametrize("name", list(DEVICE_CASES))
def test_forward_on_device_matches_cpu(name, device):
    cpu_model, device_model, x = _cpu_and_device_models(name, device, seed=30)
    cpu_model.eval()
    device_model.eval()
    with ember.no_grad():
        expected = _outputs(cpu_model(x))
        actual = _outputs(device_model(x.to(device)))
    assert list(actual) == list(expected)
    for key, value in actual.items():
        assert value.device.type == device
        _assert_close_scaled(value, expected[key], msg=f"{name} {key}")


@pytest.mark.parametrize("device", CUDA)
@pytest.mark.parametrize(
    "name, train",
    [("resnet18", True), ("mobilenet_v3_small", False), ("lraspp_mobilenet_v3_large", False)],
)
def test_backward_on_device_matches_cpu(name, train, device):
    # resnet18 in training mode: batch-norm statistics of the batch, running stats updated;
    # the others in eval mode, so that no dropout draws differ between the devices
    cpu_model, device_model, x = _cpu_and_device_models(name, device, seed=31)
    if name == "resnet18":
        x = ember.randn(2, 3, 48, 48)  # 2×2 left in layer4: 8 values per batch-norm channel
    cpu_model.train(train)
    device_model.train(train)
    rng = np.random.default_rng(0)
    losses = []
    for model, data in ((cpu_model, x), (device_model, x.to(device))):
        out = _outputs(model(data))["out"]
        target_shape = (out.shape[0],) + tuple(out.shape[2:])
        target = ember.tensor(rng.integers(0, out.shape[1], target_shape), device=data.device)
        rng = np.random.default_rng(0)  # the same targets for both
        loss = nn.functional.cross_entropy(out, target)
        loss.backward()
        losses.append(loss)
    assert losses[1].device.type == device
    _assert_close_scaled(losses[1], losses[0])
    device_params = dict(device_model.named_parameters())
    for key, param in cpu_model.named_parameters():
        grad = device_params[key].grad
        assert grad is not None and grad.device.type == device
        _assert_close_scaled(grad, param.grad, msg=key)
    if train:
        device_buffers = dict(device_model.named_buffers())
        for key, buffer in cpu_model.named_buffers():
            if buffer.is_floating_point():
                _assert_close_scaled(device_buffers[key], buffer, msg=key)


@pytest.mark.parametrize("device", CUDA)
def test_train_mode_random_layers_on_device(device):
    # stochastic depth, dropout and GoogLeNet's auxiliary heads draw on the device: the values
    # differ from the CPU's, so only where they live and that they train is checked
    ember.manual_seed(32)
    effnet = models.efficientnet_b0(num_classes=3, stochastic_depth_prob=0.5).to(device).train()
    googlenet = models.googlenet(num_classes=3, init_weights=False).to(device).train()
    target = ember.tensor([0, 2], device=device)
    for model in (effnet, googlenet):
        out = model(ember.randn(2, 3, 32, 32, device=device))
        outs = list(out) if isinstance(out, models.GoogLeNetOutputs) else [out]
        assert all(o.shape == (2, 3) and o.device.type == device for o in outs)
        assert all(np.isfinite(_np(o)).all() for o in outs)
        sum(nn.functional.cross_entropy(o, target) for o in outs).backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(g.device.type == device for g in grads)
