"""embervision.models: structure and state-dict keys against torchvision's documented layouts,
parameter counts, forward shapes, numpy reference forwards, weights files and the registry.

AlexNet and VGG allocate 60-140M parameters each, so each is built once per module.
"""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.safetensors import save_file
from embervision import models
from embervision.models import _api
from embervision.models import vgg as vgg_module


def _shapes(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


def _bn(prefix, n):
    return [
        (f"{prefix}.weight", (n,)),
        (f"{prefix}.bias", (n,)),
        (f"{prefix}.running_mean", (n,)),
        (f"{prefix}.running_var", (n,)),
        (f"{prefix}.num_batches_tracked", ()),
    ]


def _layer(prefix, out_features, in_features):
    return [(f"{prefix}.weight", (out_features, in_features)), (f"{prefix}.bias", (out_features,))]


def _conv(prefix, out_channels, in_channels, k, bias=True):
    weight = [(f"{prefix}.weight", (out_channels, in_channels, k, k))]
    return weight + [(f"{prefix}.bias", (out_channels,))] if bias else weight


# ------------------------------------------------------------------------------ numpy reference


def _np_conv2d(x, w, b=None, stride=1, padding=0):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = w.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    y = np.einsum("nchwij,ocij->nohw", windows[:, :, ::stride, ::stride], w)
    return y if b is None else y + b[None, :, None, None]


def _np_pool2(x, reduce):
    n, c, h, w = x.shape
    return reduce(x.reshape(n, c, h // 2, 2, w // 2, 2), axis=(3, 5))


def _np_bn_eval(x, bn, eps=1e-5):
    p = {k: v.numpy().astype(np.float64) for k, v in bn.state_dict().items()}
    scale = p["weight"] / np.sqrt(p["running_var"] + eps)
    return (x - p["running_mean"][:, None, None]) * scale[:, None, None] + p["bias"][:, None, None]


def _np(t):
    return t.detach().numpy().astype(np.float64)


# ------------------------------------------------------------------------------------- LeNet-5

LENET_KEYS = [
    ("conv1.weight", (6, 1, 5, 5)),
    ("conv1.bias", (6,)),
    ("conv2.weight", (16, 6, 5, 5)),
    ("conv2.bias", (16,)),
    ("fc1.weight", (120, 400)),
    ("fc1.bias", (120,)),
    ("fc2.weight", (84, 120)),
    ("fc2.bias", (84,)),
    ("fc3.weight", (10, 84)),
    ("fc3.bias", (10,)),
]


@pytest.mark.parametrize("classic", [False, True])
def test_lenet5_structure_and_forward_against_numpy(classic):
    ember.manual_seed(0)
    model = models.lenet5(classic=classic)
    assert isinstance(model, models.LeNet5)
    assert _shapes(model) == LENET_KEYS
    assert _num_params(model) == 61_706

    x = ember.randn(2, 1, 32, 32)
    out = model(x)
    assert out.shape == (2, 10)

    act = np.tanh if classic else (lambda v: np.maximum(v, 0))
    reduce = np.mean if classic else np.max
    p = {k: _np(v) for k, v in model.state_dict().items()}
    h = _np_pool2(act(_np_conv2d(_np(x), p["conv1.weight"], p["conv1.bias"])), reduce)
    h = _np_pool2(act(_np_conv2d(h, p["conv2.weight"], p["conv2.bias"])), reduce)
    h = act(h.reshape(2, -1) @ p["fc1.weight"].T + p["fc1.bias"])
    h = act(h @ p["fc2.weight"].T + p["fc2.bias"])
    expected = h @ p["fc3.weight"].T + p["fc3.bias"]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_lenet5_num_classes():
    model = models.lenet5(num_classes=3)
    assert model.fc3.weight.shape == (3, 84)
    assert model(ember.zeros(1, 1, 32, 32)).shape == (1, 3)


# --------------------------------------------------------------------------------------- AlexNet


@pytest.fixture(scope="module")
def alexnet():
    ember.manual_seed(0)
    return models.alexnet()


def test_alexnet_state_dict_and_params(alexnet):
    expected = (
        _conv("features.0", 64, 3, 11)
        + _conv("features.3", 192, 64, 5)
        + _conv("features.6", 384, 192, 3)
        + _conv("features.8", 256, 384, 3)
        + _conv("features.10", 256, 256, 3)
        + _layer("classifier.1", 4096, 9216)
        + _layer("classifier.4", 4096, 4096)
        + _layer("classifier.6", 1000, 4096)
    )
    assert _shapes(alexnet) == expected
    assert _num_params(alexnet) == 61_100_840


def test_alexnet_layers(alexnet):
    f, c = alexnet.features, alexnet.classifier
    assert len(f) == 13 and len(c) == 7
    assert (f[0].stride, f[0].padding) == ((4, 4), (2, 2))
    for i in (1, 4, 7, 9, 11):
        assert isinstance(f[i], nn.ReLU) and f[i].inplace
    for i in (2, 5, 12):
        assert isinstance(f[i], nn.MaxPool2d) and f[i].kernel_size == 3 and f[i].stride == 2
    assert isinstance(c[0], nn.Dropout) and c[0].p == 0.5
    assert isinstance(c[3], nn.Dropout)
    assert alexnet.avgpool.output_size == (6, 6)


def test_alexnet_forward_224(alexnet):
    alexnet.eval()
    with ember.no_grad():
        out = alexnet(ember.randn(1, 3, 224, 224))
    assert out.shape == (1, 1000)
    assert np.isfinite(out.numpy()).all()


# ------------------------------------------------------------------------------------------- VGG

# Per model: the out-channels of its convolutions, then the Conv2d, BatchNorm2d and MaxPool2d
# indices in `features` and the parameter count, as torchvision documents them.
VGG_TABLE = {
    "vgg11": (
        [64, 128, 256, 256, 512, 512, 512, 512],
        [0, 3, 6, 8, 11, 13, 16, 18],
        [],
        [2, 5, 10, 15, 20],
        132_863_336,
    ),
    "vgg11_bn": (
        [64, 128, 256, 256, 512, 512, 512, 512],
        [0, 4, 8, 11, 15, 18, 22, 25],
        [1, 5, 9, 12, 16, 19, 23, 26],
        [3, 7, 14, 21, 28],
        132_868_840,
    ),
    "vgg13": (
        [64, 64, 128, 128, 256, 256, 512, 512, 512, 512],
        [0, 2, 5, 7, 10, 12, 15, 17, 20, 22],
        [],
        [4, 9, 14, 19, 24],
        133_047_848,
    ),
    "vgg13_bn": (
        [64, 64, 128, 128, 256, 256, 512, 512, 512, 512],
        [0, 3, 7, 10, 14, 17, 21, 24, 28, 31],
        [1, 4, 8, 11, 15, 18, 22, 25, 29, 32],
        [6, 13, 20, 27, 34],
        133_053_736,
    ),
    "vgg16": (
        [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512],
        [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28],
        [],
        [4, 9, 16, 23, 30],
        138_357_544,
    ),
    "vgg16_bn": (
        [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512],
        [0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40],
        [1, 4, 8, 11, 15, 18, 21, 25, 28, 31, 35, 38, 41],
        [6, 13, 23, 33, 43],
        138_365_992,
    ),
    "vgg19": (
        [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512],
        [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34],
        [],
        [4, 9, 18, 27, 36],
        143_667_240,
    ),
    "vgg19_bn": (
        [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512],
        [0, 3, 7, 10, 14, 17, 20, 23, 27, 30, 33, 36, 40, 43, 46, 49],
        [1, 4, 8, 11, 15, 18, 21, 24, 28, 31, 34, 37, 41, 44, 47, 50],
        [6, 13, 26, 39, 52],
        143_678_248,
    ),
}
VGG_CLASSIFIER = (
    _layer("classifier.0", 4096, 25088)
    + _layer("classifier.3", 4096, 4096)
    + _layer("classifier.6", 1000, 4096)
)
VGG_CLASSIFIER_PARAMS = sum(math.prod(shape) for _, shape in VGG_CLASSIFIER)


def _vgg_feature_keys(name, prefix="features"):
    channels, convs, bns, _, _ = VGG_TABLE[name]
    entries = {}
    in_channels = 3
    for i, out_channels in zip(convs, channels):
        entries[i] = _conv(f"{prefix}.{i}", out_channels, in_channels, 3)
        in_channels = out_channels
    for i, out_channels in zip(bns, channels):
        entries[i] = _bn(f"{prefix}.{i}", out_channels)
    return [kv for i in sorted(entries) for kv in entries[i]]


@pytest.fixture(scope="module")
def vgg11():
    ember.manual_seed(0)
    return models.vgg11()


@pytest.mark.parametrize("name", list(VGG_TABLE))
def test_vgg_builders_features(name, monkeypatch):
    # Stand VGG in by a stub that returns `features`, so each builder's configuration is
    # checked without allocating its 100M-parameter classifier.
    monkeypatch.setattr(vgg_module, "VGG", lambda features, **kwargs: features)
    features = models.get_model(name)
    _, convs, bns, pools, total = VGG_TABLE[name]
    assert len(features) == pools[-1] + 1
    assert [i for i, m in enumerate(features) if isinstance(m, nn.Conv2d)] == convs
    assert [i for i, m in enumerate(features) if isinstance(m, nn.BatchNorm2d)] == bns
    assert [i for i, m in enumerate(features) if isinstance(m, nn.MaxPool2d)] == pools
    assert all(m.inplace for m in features if isinstance(m, nn.ReLU))
    assert _shapes(nn.Sequential(features)) == _vgg_feature_keys(name, prefix="0")
    # torchvision's totals = features + the classifier every VGG shares.
    assert _num_params(features) + VGG_CLASSIFIER_PARAMS == total


def test_vgg11_state_dict_params_and_forward(vgg11):
    assert _shapes(vgg11) == _vgg_feature_keys("vgg11") + VGG_CLASSIFIER
    assert _num_params(vgg11) == 132_863_336
    classifier = vgg11.classifier
    assert [type(m).__name__ for m in classifier] == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear",
    ]  # fmt: skip
    vgg11.eval()
    with ember.no_grad():
        # AdaptiveAvgPool2d((7, 7)) spreads the 1×1 map of a 32×32 input to 7×7.
        out = vgg11(ember.randn(1, 3, 32, 32))
    assert out.shape == (1, 1000)


def test_vgg_init(vgg11):
    # torchvision: convs kaiming_normal_(fan_out, relu) with zero bias, linears N(0, 0.01).
    conv = vgg11.features[16]  # 512 -> 512, fan_out = 512 * 9
    w = conv.weight.detach().numpy()
    assert abs(w.std() - math.sqrt(2 / (512 * 9))) < 0.02 * math.sqrt(2 / (512 * 9))
    assert abs(w.mean()) < 1e-3
    assert not conv.bias.detach().numpy().any()
    fc = vgg11.classifier[3].weight.detach().numpy()
    assert abs(fc.std() - 0.01) < 2e-4
    assert not vgg11.classifier[6].bias.detach().numpy().any()


def test_vgg16_state_dict_and_params():
    model = models.vgg16(num_classes=10, init_weights=False, dropout=0.25)
    assert _shapes(model) == _vgg_feature_keys("vgg16") + VGG_CLASSIFIER[:-2] + _layer(
        "classifier.6", 10, 4096
    )
    assert _num_params(model) == 138_357_544 - 4096 * 990 - 990
    assert model.classifier[2].p == 0.25 and model.classifier[5].p == 0.25


# ---------------------------------------------------------------------------------------- ResNet


def _resnet_keys(bottleneck, layers, num_classes=1000):
    """State-dict entries of torchvision's ResNet, written from its documented layout."""
    expansion = 4 if bottleneck else 1
    entries = _conv("conv1", 64, 3, 7, bias=False) + _bn("bn1", 64)
    inplanes = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers), start=1):
        for b in range(blocks):
            p = f"layer{stage}.{b}"
            if bottleneck:
                convs = [(planes, inplanes, 1), (planes, planes, 3), (planes * 4, planes, 1)]
            else:
                convs = [(planes, inplanes, 3), (planes, planes, 3)]
            for i, (out_c, in_c, k) in enumerate(convs, start=1):
                entries += _conv(f"{p}.conv{i}", out_c, in_c, k, bias=False) + _bn(
                    f"{p}.bn{i}", out_c
                )
            if b == 0 and (stage > 1 or inplanes != planes * expansion):
                out_c = planes * expansion
                entries += _conv(f"{p}.downsample.0", out_c, inplanes, 1, bias=False)
                entries += _bn(f"{p}.downsample.1", out_c)
            inplanes = planes * expansion
    return entries + _layer("fc", num_classes, 512 * expansion)


@pytest.mark.parametrize(
    ("name", "bottleneck", "layers", "num_keys", "params"),
    [
        ("resnet18", False, [2, 2, 2, 2], 122, 11_689_512),
        ("resnet34", False, [3, 4, 6, 3], 218, 21_797_672),
        ("resnet50", True, [3, 4, 6, 3], 320, 25_557_032),
    ],
)
def test_resnet_state_dict_and_params(name, bottleneck, layers, num_keys, params):
    model = models.get_model(name)
    shapes = _shapes(model)
    assert len(shapes) == num_keys
    assert shapes == _resnet_keys(bottleneck, layers)
    assert _num_params(model) == params


def test_resnet_forward_and_init():
    ember.manual_seed(0)
    model = models.resnet50(num_classes=7)
    assert model(ember.randn(2, 3, 32, 32)).shape == (2, 7)  # training mode: batch statistics
    model.eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, 40, 48)).shape == (1, 7)
    w = model.layer3[1].conv2.weight.detach().numpy()  # 256 -> 256, 3×3: fan_out 256 * 9
    assert abs(w.std() - math.sqrt(2 / (256 * 9))) < 0.03 * math.sqrt(2 / (256 * 9))
    assert (model.layer1[0].bn3.weight.detach().numpy() == 1).all()
    assert model.layer2[0].conv2.stride == (2, 2)  # ResNet V1.5: stride on the 3×3
    assert model.layer2[0].conv1.stride == (1, 1)


def test_resnet_zero_init_residual():
    model = models.resnet18(zero_init_residual=True)
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            assert not block.bn2.weight.detach().numpy().any()
            assert (block.bn1.weight.detach().numpy() == 1).all()
    # Every block starts as relu(identity): the blocks of layer1 leave a non-negative input alone.
    model.eval()
    x = ember.rand(1, 64, 8, 8)
    with ember.no_grad():
        np.testing.assert_allclose(model.layer1(x).numpy(), x.numpy(), rtol=1e-6)


def test_resnet_dilation_and_groups():
    model = models.resnet50(replace_stride_with_dilation=[False, True, True], num_classes=4)
    assert model.layer3[0].conv2.stride == (1, 1) and model.layer3[1].conv2.dilation == (2, 2)
    assert model.layer4[0].conv2.dilation == (2, 2)  # the first block keeps the old dilation
    assert model.layer4[1].conv2.dilation == (4, 4)
    model.eval()
    with ember.no_grad():
        h = model.maxpool(model.relu(model.bn1(model.conv1(ember.randn(1, 3, 64, 64)))))
        h = model.layer4(model.layer3(model.layer2(model.layer1(h))))
    assert h.shape == (1, 2048, 8, 8)  # output stride 8 instead of 32

    resnext = models.ResNet(models.Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=8)
    assert resnext.layer1[0].conv2.weight.shape == (32, 8, 3, 3)  # width 64·8/64·4 = 32


def test_resnet_errors():
    with pytest.raises(
        ValueError, match="replace_stride_with_dilation should be None or a 3-element"
    ):
        models.resnet18(replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        models.resnet18(groups=2)
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported in BasicBlock"):
        models.resnet18(replace_stride_with_dilation=[False, False, True])


def test_basic_block_against_numpy():
    ember.manual_seed(1)
    downsample = nn.Sequential(models.resnet.conv1x1(4, 8, stride=2), nn.BatchNorm2d(8))
    block = models.BasicBlock(4, 8, stride=2, downsample=downsample)
    rng = np.random.default_rng(0)
    with ember.no_grad():  # non-trivial statistics and affine weights
        for bn in (block.bn1, block.bn2, downsample[1]):
            bn.running_mean.copy_(ember.tensor(rng.normal(size=8), dtype=ember.float32))
            bn.running_var.copy_(ember.tensor(rng.uniform(0.5, 2, size=8), dtype=ember.float32))
            bn.weight.copy_(ember.tensor(rng.normal(size=8), dtype=ember.float32))
            bn.bias.copy_(ember.tensor(rng.normal(size=8), dtype=ember.float32))
    block.eval()
    x = ember.randn(2, 4, 7, 7)
    with ember.no_grad():
        out = block(x).numpy()

    xn = _np(x)
    h = np.maximum(
        0, _np_bn_eval(_np_conv2d(xn, _np(block.conv1.weight), stride=2, padding=1), block.bn1)
    )
    h = _np_bn_eval(_np_conv2d(h, _np(block.conv2.weight), padding=1), block.bn2)
    identity = _np_bn_eval(_np_conv2d(xn, _np(downsample[0].weight), stride=2), downsample[1])
    np.testing.assert_allclose(out, np.maximum(0, h + identity), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------- weights files


def test_weights_round_trip_resnet18(tmp_path):
    ember.manual_seed(2)
    source = models.resnet18(num_classes=5).eval()
    with ember.no_grad():  # give the running statistics non-default values
        for m in source.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "resnet18.safetensors"
    save_file(source.state_dict(), path)

    loaded = models.resnet18(num_classes=5, weights=path).eval()
    x = ember.randn(2, 3, 32, 32)
    with ember.no_grad():
        np.testing.assert_array_equal(loaded(x).numpy(), source(x).numpy())
    for (k, a), (_, b) in zip(source.state_dict().items(), loaded.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_weights_without_num_batches_tracked(tmp_path):
    # Files converted from torchvision's ResNet checkpoints predate num_batches_tracked.
    state = {k: v for k, v in models.resnet18().state_dict().items() if "num_batches" not in k}
    path = tmp_path / "old.safetensors"
    save_file(state, str(path))
    model = models.get_model("resnet18", weights=str(path))
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(), state["fc.weight"].numpy())


def test_weights_lenet_and_errors(tmp_path):
    source = models.lenet5(classic=True)
    path = tmp_path / "lenet.safetensors"
    save_file(source.state_dict(), path)
    x = ember.randn(3, 1, 32, 32)
    np.testing.assert_array_equal(
        models.lenet5(classic=True, weights=path)(x).detach().numpy(),
        source(x).detach().numpy(),
    )
    with pytest.raises(RuntimeError, match="size mismatch"):
        models.lenet5(num_classes=4, weights=path)
    with pytest.raises(FileNotFoundError, match=r"local \.safetensors or \.pth file"):
        models.lenet5(weights="DEFAULT")
    with pytest.raises(TypeError, match="weights must be None or the path"):
        models.lenet5(weights=True)


def test_forward_on_device(device):
    ember.manual_seed(3)
    for model, shape in (
        (models.lenet5(), (2, 1, 32, 32)),
        (models.resnet18(num_classes=3), (1, 3, 32, 32)),
    ):
        model.eval()
        x = ember.randn(*shape)
        with ember.no_grad():
            expected = model(x).numpy()
            out = model.to(device)(x.to(device))
        assert out.device.type == ember.device(device).type
        np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-4, atol=1e-5)


# -------------------------------------------------------------------------------------- registry

ALL_MODELS = [
    "alexnet", "convnext_base", "convnext_large", "convnext_small", "convnext_tiny",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
    "efficientnet_v2_l", "efficientnet_v2_m", "efficientnet_v2_s", "googlenet", "inception_v3",
    "lenet5", "maxvit_t",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
    "regnet_x_16gf", "regnet_x_1_6gf", "regnet_x_32gf", "regnet_x_3_2gf", "regnet_x_400mf",
    "regnet_x_800mf", "regnet_x_8gf", "regnet_y_128gf", "regnet_y_16gf", "regnet_y_1_6gf",
    "regnet_y_32gf", "regnet_y_3_2gf", "regnet_y_400mf", "regnet_y_800mf", "regnet_y_8gf",
    "resnet101", "resnet152", "resnet18", "resnet34", "resnet50",
    "resnext101_32x8d", "resnext101_64x4d", "resnext50_32x4d",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "squeezenet1_0", "squeezenet1_1",
    "swin_b", "swin_s", "swin_t", "swin_v2_b", "swin_v2_s", "swin_v2_t",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "vit_b_16", "vit_b_32", "vit_h_14", "vit_l_16", "vit_l_32",
    "wide_resnet101_2", "wide_resnet50_2",
]  # fmt: skip
SEGMENTATION_MODELS = [
    "deeplabv3_mobilenet_v3_large", "deeplabv3_resnet101", "deeplabv3_resnet50",
    "fcn_resnet101", "fcn_resnet50", "lraspp_mobilenet_v3_large",
]  # fmt: skip
DETECTION_MODELS = [
    "fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2", "fcos_resnet50_fpn",
    "keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2",
    "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2", "ssd300_vgg16",
    "ssdlite320_mobilenet_v3_large",
]  # fmt: skip
VIDEO_MODELS = [
    "mc3_18", "mvit_v1_b", "mvit_v2_s", "r2plus1d_18", "r3d_18", "s3d",
    "swin3d_b", "swin3d_s", "swin3d_t",
]  # fmt: skip
OPTICAL_FLOW_MODELS = ["raft_large", "raft_small"]


def test_list_models():
    # as torchvision: without module=, every registered model, the subpackages' included
    subpackages = SEGMENTATION_MODELS + DETECTION_MODELS + VIDEO_MODELS + OPTICAL_FLOW_MODELS
    assert models.list_models() == sorted(ALL_MODELS + subpackages)
    assert models.list_models(module=models) == ALL_MODELS
    assert models.list_models(module=models.segmentation) == SEGMENTATION_MODELS
    assert models.list_models(module=models.detection) == DETECTION_MODELS
    assert models.list_models(module=models.video) == VIDEO_MODELS
    assert models.list_models(module=models.optical_flow) == OPTICAL_FLOW_MODELS
    assert models.list_models(module=ember.nn) == []
    assert models.list_models(include="vgg1[16]") == ["vgg11", "vgg16"]
    assert models.list_models(include=["resnet*", "lenet*"]) == [
        "lenet5", "resnet101", "resnet152", "resnet18", "resnet34", "resnet50",
    ]  # fmt: skip
    assert models.list_models(include="vgg*", exclude="*_bn") == [
        "vgg11", "vgg13", "vgg16", "vgg19",
    ]  # fmt: skip
    assert models.list_models(exclude=["*_*", "vgg*", "resnet*", "densenet*"]) == [
        "alexnet", "googlenet", "lenet5", "s3d",
    ]  # fmt: skip


def test_get_model_and_builder():
    assert models.get_model_builder("ResNet18") is models.resnet18
    model = models.get_model("LeNet5", num_classes=2)
    assert isinstance(model, models.LeNet5) and model.fc3.out_features == 2
    with pytest.raises(ValueError, match="Unknown model nope"):
        models.get_model("nope")


def test_register_model(monkeypatch):
    monkeypatch.setattr(_api, "BUILTIN_MODELS", dict(_api.BUILTIN_MODELS))

    @models.register_model()
    def tiny(**kwargs):
        return nn.Linear(2, 2, **kwargs)

    @models.register_model(name="tiny_nobias")
    def _tiny_nobias():
        return nn.Linear(2, 2, bias=False)

    assert models.get_model("tiny").bias is not None
    assert models.get_model("tiny_nobias").bias is None
    assert models.list_models(include="tiny*") == ["tiny", "tiny_nobias"]
    assert models.list_models(module=models, include="tiny*") == []  # defined in tests
    with pytest.raises(ValueError, match="already registered under the name 'tiny'"):
        models.register_model("tiny")(tiny)
