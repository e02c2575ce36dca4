"""embervision.models.detection: the one-stage detectors, RetinaNet, FCOS, SSD and SSDlite, and
their parts.

The parts are checked against hand-computed values; whole models train and predict on a tiny
backbone. The builders are only built, without their random initialisation (the ``no_init``
fixture and signature of tests/vision/test_detection.py): their state dicts must equal
torchvision 0.29's key for key and shape for shape, and their parameter counts with a
pretrained backbone those torchvision documents. Numerical agreement with torchvision is in
tests/parity/test_detection_one_stage.py.
"""

import importlib.util
import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import nn
from embervision import models
from embervision.models import detection, mobilenetv3, resnet, vgg
from embervision.models.detection import _utils as det_utils
from embervision.models.detection.anchor_utils import AnchorGenerator, DefaultBoxGenerator
from embervision.models.detection.retinanet import (
    RetinaNetClassificationHead,
    RetinaNetHead,
    RetinaNetRegressionHead,
)
from embervision.models.detection.ssd import SSD, SSDFeatureExtractorVGG
from embervision.models.detection.ssdlite import SSDLiteHead, _mobilenet_extractor
from embervision.ops import FrozenBatchNorm2d

# the tests run with --import-mode=importlib, so the shared helpers are loaded from their file
_spec = importlib.util.spec_from_file_location(
    "_vision_test_detection", Path(__file__).resolve().with_name("test_detection.py")
)
two_stage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(two_stage)
no_init = two_stage.no_init

# fmt: off
SIGNATURES = {
    "retinanet_resnet50_fpn": (354, "15d682f093c5b7be", 34_068_119),
    "retinanet_resnet50_fpn_v2": (362, "ce5b2b785c64bd2b", 38_198_935),
    "fcos_resnet50_fpn": (372, "b794cd020600e970", 32_322_720),
    "ssd300_vgg16": (71, "999b02dc3c651b9d", 35_641_826),
    "ssdlite320_mobilenet_v3_large": (476, "e1ef8b46824a4810", 3_440_060),
}
# torchvision's documented num_params (its weights have a frozen-batch-norm backbone;
# SSDlite's COCO weights are of the reduced-tail model built without a backbone checkpoint)
PRETRAINED_PARAMS = {
    "retinanet_resnet50_fpn": 34_014_999,
    "retinanet_resnet50_fpn_v2": 38_198_935,
    "fcos_resnet50_fpn": 32_269_600,
    "ssd300_vgg16": 35_641_826,
}
# fmt: on


@pytest.fixture
def fake_backbone_weights(monkeypatch):
    """``weights_backbone`` accepted without a file (the classification builders load
    nothing), so a builder takes its pretrained-backbone path."""
    for module in (resnet, mobilenetv3, vgg):
        monkeypatch.setattr(module, "_load_weights", lambda model, weights: model)


@pytest.fixture
def known_out_channels(monkeypatch):
    """The SSD builders get their maps' channels without running the (uninitialised)
    backbone."""

    def retrieve_out_channels(model, size):
        if isinstance(model, SSDFeatureExtractorVGG):
            return [512, 1024, 512, 256, 256, 256]
        return [block[-1].out_channels for block in (*model.features, *model.extra)]

    monkeypatch.setattr(det_utils, "retrieve_out_channels", retrieve_out_channels)


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_builder_state_dict_and_parameters(
    no_init, fake_backbone_weights, known_out_channels, name
):
    assert two_stage._signature(models.get_model(name)) == SIGNATURES[name]
    if name in PRETRAINED_PARAMS:
        pretrained = models.get_model(name, weights_backbone="backbone.pth")
        assert sum(p.numel() for p in pretrained.parameters()) == PRETRAINED_PARAMS[name]


def test_registry():
    assert set(SIGNATURES) <= set(models.list_models(module=detection))
    assert not set(SIGNATURES) & set(models.list_models(module=models))


def test_pretrained_backbone_freezes_layers(no_init, fake_backbone_weights, known_out_channels):
    model = detection.retinanet_resnet50_fpn(weights_backbone="r50.pth")
    body = model.backbone.body
    assert isinstance(body.bn1, FrozenBatchNorm2d)
    trainable = {k.split(".")[0] for k, p in body.named_parameters() if p.requires_grad}
    assert trainable == {"layer2", "layer3", "layer4"}  # the default 3 of 5
    assert list(model.backbone.fpn.extra_blocks.state_dict()) == [
        "p6.weight", "p6.bias", "p7.weight", "p7.bias"
    ]  # fmt: skip

    # SSD300: the first of the VGG's five stages frozen (default 4 trainable)
    model = detection.ssd300_vgg16(weights_backbone="vgg16.pth")
    features = model.backbone.features
    frozen = {k.split(".")[0] for k, p in features.named_parameters() if not p.requires_grad}
    assert frozen == {"0", "2"}
    assert features[16].ceil_mode  # the third max pooling
    assert tuple(model.backbone.scale_weight.shape) == (512,)
    with pytest.raises(ValueError, match=r"range \[0,5\], got 6"):
        detection.ssd300_vgg16(weights_backbone="vgg16.pth", trainable_backbone_layers=6)

    model = detection.ssdlite320_mobilenet_v3_large(
        weights_backbone="m.pth", trainable_backbone_layers=0
    )
    assert not any(p.requires_grad for p in model.backbone.features.parameters())
    assert all(p.requires_grad for p in model.backbone.extra.parameters())
    # without pretrained weights every layer trains, and a given value is ignored with a warning
    with pytest.warns(UserWarning, match="falling back to trainable_backbone_layers=5"):
        model = detection.fcos_resnet50_fpn(trainable_backbone_layers=2)
    assert all(p.requires_grad for p in model.parameters())


def test_builders_ignore_size(no_init, known_out_channels):
    with pytest.warns(UserWarning, match="size of the model is already fixed"):
        model = detection.ssdlite320_mobilenet_v3_large(size=(100, 100))
    assert model.transform.fixed_size == (320, 320)


def test_whole_model_weights_round_trip(tmp_path, no_init, known_out_channels):
    model = detection.ssdlite320_mobilenet_v3_large(num_classes=3)
    state = {
        k: ember.randn(v.shape) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }
    path = tmp_path / "ssdlite.safetensors"
    ember.save(state, path)
    loaded = detection.ssdlite320_mobilenet_v3_large(weights=path, num_classes=3)
    for key, value in loaded.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy())
    with pytest.raises(FileNotFoundError):
        detection.retinanet_resnet50_fpn(weights=tmp_path / "missing.pth")


def test_retinanet_heads_load_version_1_keys():
    """State dicts before the heads' version 2 (bare convolutions at ``conv.0``, ``conv.2``,
    ... between ReLUs) load with their keys renamed."""
    head = RetinaNetHead(8, 2, 3)
    state = head.state_dict()
    old = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[1] == "conv":  # {head}.conv.{i}.0.{kind} -> {head}.conv.{2 i}.{kind}
            key = ".".join([parts[0], "conv", str(2 * int(parts[2])), parts[4]])
        old[key] = ember.randn(value.shape)
    assert "classification_head.conv.6.weight" in old
    fresh = RetinaNetHead(8, 2, 3)
    fresh.load_state_dict(old)
    np.testing.assert_array_equal(
        fresh.classification_head.conv[3][0].weight.detach().numpy(),
        old["classification_head.conv.6.weight"].numpy(),
    )
    fresh.load_state_dict(state)  # current keys load as they are


# ---------------------------------------------------------------------------------------------
# box coding, losses, post-processing


def test_box_linear_coder_by_hand():
    coder = det_utils.BoxLinearCoder(normalize_by_size=True)
    anchors = ember.tensor([[0.0, 0.0, 10.0, 10.0], [10.0, 20.0, 14.0, 22.0]])
    boxes = ember.tensor([[2.0, 3.0, 9.0, 12.0], [11.0, 20.0, 15.0, 23.0]])
    codes = coder.encode(anchors, boxes)
    # distances from the centres (5, 5) and (12, 21) to the edges, over (w, h, w, h)
    expected = [[3 / 10, 2 / 10, 4 / 10, 7 / 10], [1 / 4, 1 / 2, 3 / 4, 2 / 2]]
    np.testing.assert_allclose(codes.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(coder.decode(codes, anchors).numpy(), boxes.numpy(), rtol=1e-6)
    plain = det_utils.BoxLinearCoder(normalize_by_size=False)
    np.testing.assert_allclose(plain.encode(anchors, boxes).numpy()[0], [3, 2, 4, 7])
    # any leading dimensions
    assert tuple(coder.decode(codes[None], anchors[None]).shape) == (1, 2, 4)


def test_box_loss_by_hand():
    coder = det_utils.BoxCoder((1.0, 1.0, 1.0, 1.0))
    anchors = ember.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]])
    gt = ember.tensor([[1.0, 1.0, 11.0, 11.0], [0.0, 0.0, 10.0, 10.0]])
    deltas = ember.zeros(2, 4)
    # the first gt box is encoded as (0.1, 0.1, 0, 0)
    l1 = det_utils._box_loss("l1", coder, anchors, gt, deltas)
    np.testing.assert_allclose(l1.numpy(), [0.2, 0.0], rtol=1e-5, atol=1e-7)
    smooth = det_utils._box_loss("smooth_l1", coder, anchors, gt, deltas)
    np.testing.assert_allclose(smooth.numpy(), [0.01, 0.0], rtol=1e-5, atol=1e-7)
    # the anchors decoded: IoU 81/119 with the first box, enclosing box 11 x 11
    giou = det_utils._box_loss("giou", coder, anchors, gt, deltas)
    np.testing.assert_allclose(giou.numpy(), [1 - 81 / 119 + (121 - 119) / 121, 0], atol=1e-6)
    with pytest.raises(AssertionError, match="Unsupported loss: l2"):
        det_utils._box_loss("l2", coder, anchors, gt, deltas)


def test_retinanet_losses_by_hand():
    head = RetinaNetClassificationHead(4, 1, 2)
    targets = [{"boxes": ember.tensor([[1.0, 1.0, 11.0, 11.0]]), "labels": ember.tensor([1])}]
    # anchor 0 matched to box 0, anchor 1 background, anchor 2 between the thresholds
    matched_idxs = [ember.tensor([0, -1, -2])]
    outputs = {"cls_logits": ember.zeros(1, 3, 2), "bbox_regression": ember.zeros(1, 3, 4)}
    # p = 1/2 everywhere: each of the 4 valid terms is alpha_t (1/2)² log 2, with alpha_t
    # 0.25 for the one positive and 0.75 for the three negatives
    expected = (0.25 + 3 * 0.75) * 0.25 * math.log(2)
    loss = head.compute_loss(targets, outputs, matched_idxs)
    assert loss.item() == pytest.approx(expected, rel=1e-6)

    regression = RetinaNetRegressionHead(4, 1)
    anchors = [ember.tensor([[0.0, 0.0, 10.0, 10.0]] * 3)] * 2
    # a second image with two foreground anchors: each image's loss is over its own count
    targets = targets + [
        {"boxes": ember.tensor([[0.0, 0.0, 10.0, 10.0]]), "labels": ember.tensor([1])}
    ]
    matched_idxs = matched_idxs + [ember.tensor([0, 0, -1])]
    outputs["bbox_regression"] = ember.zeros(2, 3, 4)
    outputs["bbox_regression"][1, 1] = ember.tensor([0.1, 0.0, 0.0, 0.3])
    loss = regression.compute_loss(targets, outputs, anchors, matched_idxs)
    assert loss.item() == pytest.approx((0.2 / 1 + 0.4 / 2) / 2, rel=1e-5)


def test_ssd_hard_negative_mining_by_hand():
    model = _tiny("ssd")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((1, 8, 3)).astype(np.float32)
    regression = rng.standard_normal((1, 8, 4)).astype(np.float32)
    anchors = [ember.tensor([[0.0, 0.0, 10.0, 10.0]] * 8)]
    targets = [{"boxes": ember.tensor([[1.0, 1.0, 11.0, 11.0]]), "labels": ember.tensor([2])}]
    matched_idxs = [ember.tensor([-1, 0, -1, -1, -1, -1, -1, -1])]
    outputs = {
        "cls_logits": ember.from_numpy(logits),
        "bbox_regression": ember.from_numpy(regression),
    }
    losses = model.compute_loss(targets, outputs, anchors, matched_idxs)
    assert list(losses) == ["bbox_regression", "classification"]

    log_p = logits[0] - np.log(np.exp(logits[0]).sum(1, keepdims=True))
    ce = -log_p[np.arange(8), [0, 2, 0, 0, 0, 0, 0, 0]]
    negatives = np.delete(ce, 1)
    # the positive, and 3 negatives per positive (positive_fraction 0.25), the hardest
    expected = ce[1] + np.sort(negatives)[-3:].sum()
    assert losses["classification"].item() == pytest.approx(expected, rel=1e-5)
    # smooth L1 of the encoded box (weights 10, 10, 5, 5): (1, 1, 0, 0) against the deltas
    diff = np.abs(regression[0, 1] - [1.0, 1.0, 0.0, 0.0])
    smooth = np.where(diff < 1, 0.5 * diff**2, diff - 0.5).sum()
    assert losses["bbox_regression"].item() == pytest.approx(smooth, rel=1e-5)


def test_ssd_postprocess_by_hand():
    model = _tiny("ssd")
    model.topk_candidates = 1
    model.score_thresh = 0.3
    # 3 default boxes far apart, zero deltas: the boxes are the default boxes
    anchors = [ember.tensor([[0.0, 0.0, 4.0, 4.0], [10.0, 10.0, 14.0, 14.0], [20, 0, 24, 4.0]])]
    probabilities = np.array([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3], [0.2, 0.1, 0.7]])
    outputs = {
        "cls_logits": ember.from_numpy(np.log(probabilities)[None].astype(np.float32)),
        "bbox_regression": ember.zeros(1, 3, 4),
    }
    (out,) = model.postprocess_detections(outputs, anchors, [(30, 30)])
    # per class the best box above 0.3: class 1 box 1 (0.6), class 2 box 2 (0.7)
    np.testing.assert_allclose(out["scores"].numpy(), [0.7, 0.6], rtol=1e-6)
    np.testing.assert_array_equal(out["labels"].numpy(), [2, 1])
    np.testing.assert_allclose(out["boxes"].numpy(), anchors[0].numpy()[[2, 1]], atol=1e-5)


def test_retinanet_postprocess_by_hand():
    model = _tiny("retinanet")
    model.topk_candidates = 2
    model.score_thresh = 0.5
    # two levels of two anchors, 3 classes; zero deltas
    level_anchors = [
        ember.tensor([[0.0, 0.0, 4.0, 4.0], [10.0, 10.0, 14.0, 14.0]]),
        ember.tensor([[20.0, 0.0, 28.0, 8.0], [0.0, 20.0, 8.0, 28.0]]),
    ]
    logits = [
        ember.tensor([[[3.0, -9.0, 1.0], [-9.0, 2.0, -9.0]]]),  # 3 candidates, 2 kept
        ember.tensor([[[-9.0, -9.0, -9.0], [-9.0, -9.0, 0.5]]]),  # 1 candidate
    ]
    outputs = {"cls_logits": logits, "bbox_regression": [ember.zeros(1, 2, 4)] * 2}
    (out,) = model.postprocess_detections(outputs, [level_anchors], [(30, 30)])
    sigmoid = [1 / (1 + math.exp(-x)) for x in (3.0, 2.0, 0.5)]
    np.testing.assert_allclose(out["scores"].numpy(), sigmoid, rtol=1e-6)
    np.testing.assert_array_equal(out["labels"].numpy(), [0, 1, 2])
    expected_boxes = [level_anchors[0][0], level_anchors[0][1], level_anchors[1][1]]
    np.testing.assert_allclose(
        out["boxes"].numpy(), np.stack([b.numpy() for b in expected_boxes]), atol=1e-5
    )


# ---------------------------------------------------------------------------------------------
# whole models on a tiny backbone


class _TinyBackbone(nn.Module):
    """Two stride-2 convolutions: feature maps "0" (stride 2) and "1" (stride 4), 32 channels
    (FCOS's group norms have 32 groups)."""

    def __init__(self, per_map=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.out_channels = [32, 32] if per_map else 32

    def forward(self, x):
        c1 = self.conv1(x).relu()
        return OrderedDict([("0", c1), ("1", self.conv2(c1).relu())])


def _tiny(kind):
    common = dict(min_size=32, max_size=48, detections_per_img=5)
    if kind == "retinanet":
        anchors = AnchorGenerator(((8,), (16,)), ((0.5, 1.0, 2.0),) * 2)
        return detection.RetinaNet(
            _TinyBackbone(), 3, anchor_generator=anchors, score_thresh=0.0, **common
        )
    if kind == "fcos":
        anchors = AnchorGenerator(((2,), (4,)), ((1.0,),) * 2)
        return detection.FCOS(
            _TinyBackbone(), 3, anchor_generator=anchors, score_thresh=0.0, **common
        )
    boxes = DefaultBoxGenerator([[2], [2, 3]])
    head = SSDLiteHead([32, 32], [4, 6], 3, nn.BatchNorm2d) if kind == "ssdlite" else None
    return SSD(_TinyBackbone(per_map=True), boxes, (32, 32), 3, head=head, detections_per_img=5)


def _tiny_data():
    images = [ember.rand(3, 32, 40), ember.rand(3, 28, 32)]
    targets = [
        {
            "boxes": ember.tensor([[2.0, 3.0, 20.0, 25.0], [15.0, 4.0, 38.0, 17.0]]),
            "labels": ember.tensor([1, 2]),
        },
        {"boxes": ember.zeros(0, 4), "labels": ember.zeros(0, dtype=ember.int64)},  # background
    ]
    return images, targets


_LOSSES = {
    "retinanet": ["classification", "bbox_regression"],
    "fcos": ["classification", "bbox_regression", "bbox_ctrness"],
    "ssd": ["bbox_regression", "classification"],
    "ssdlite": ["bbox_regression", "classification"],
}


@pytest.mark.parametrize("kind", list(_LOSSES))
def test_train_and_eval_steps(seeded, kind):
    model = _tiny(kind)
    images, targets = _tiny_data()
    model.train()
    losses = model(images, targets)
    assert list(losses) == _LOSSES[kind]  # torchvision's order
    total = sum(losses.values())
    assert np.isfinite(total.item())
    total.backward()
    assert all(p.grad is not None for p in model.parameters())

    model.eval()
    with ember.no_grad():
        detections = model(images)
    assert len(detections) == 2
    for detection_, image in zip(detections, images):
        assert list(detection_) == ["boxes", "scores", "labels"]
        n = detection_["boxes"].shape[0]
        assert 0 < n <= 5
        assert detection_["labels"].dtype == ember.int64
        scores = detection_["scores"].numpy()
        assert (np.diff(scores) <= 0).all()
        boxes = detection_["boxes"].numpy()
        h, w = image.shape[1:]
        assert (boxes >= 0).all()
        assert (boxes[:, [0, 2]] <= w).all() and (boxes[:, [1, 3]] <= h).all()


def test_model_input_errors():
    model = _tiny("retinanet")
    images, targets = _tiny_data()
    with pytest.raises(AssertionError, match="targets should not be none"):
        model(images)
    bad = [dict(targets[0], boxes=ember.tensor([[5.0, 5.0, 5.0, 9.0]]), labels=ember.tensor([1]))]
    with pytest.raises(AssertionError, match="positive height and width"):
        model(images[:1], bad)
    with pytest.raises(AssertionError, match=r"shape \[N, 4\]"):
        model(images[:1], [dict(targets[0], boxes=ember.zeros(4))])
    with pytest.raises(ValueError, match="out_channels"):
        detection.RetinaNet(nn.ReLU(), 2)
    with pytest.raises(TypeError, match="AnchorGenerator"):
        detection.FCOS(_TinyBackbone(), 2, anchor_generator=DefaultBoxGenerator([[2]]))
    with pytest.raises(ValueError, match="should be 1 instead of 3"):
        detection.FCOS(
            _TinyBackbone(), 2, anchor_generator=AnchorGenerator(((8, 16, 32),), ((1.0,),))
        )
    with pytest.raises(ValueError, match=r"backbone \(2\) do not match .* \(3\)"):
        SSD(_TinyBackbone(per_map=True), DefaultBoxGenerator([[2]] * 3), (32, 32), 3)


def test_ssdlite_feature_extractor():
    norm_layer = nn.BatchNorm2d
    backbone = models.mobilenet_v3_large(norm_layer=norm_layer, reduced_tail=True)
    extractor = _mobilenet_extractor(backbone, 6, norm_layer)
    extractor.eval()
    with ember.no_grad():
        out = extractor(ember.rand(1, 3, 64, 64))
    assert [(k, tuple(v.shape[1:])) for k, v in out.items()] == [
        ("0", (672, 4, 4)),  # the expansion of C4
        ("1", (480, 2, 2)),
        ("2", (512, 1, 1)),
        ("3", (256, 1, 1)),
        ("4", (256, 1, 1)),
        ("5", (128, 1, 1)),
    ]
    # the C4 block is split after its expansion, its keys kept
    assert "features.1.0.1.0.weight" in extractor.state_dict()
    with pytest.raises(ValueError, match=r"range \[0, 6\], instead got 7"):
        _mobilenet_extractor(models.mobilenet_v3_large(), 7, norm_layer)


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
@pytest.mark.parametrize("kind", list(_LOSSES))
def test_on_cuda_matches_cpu(seeded, kind):
    model = _tiny(kind)
    images, targets = _tiny_data()
    on_cuda = _tiny(kind).to("cuda")
    on_cuda.load_state_dict(model.state_dict())
    cuda_images = [i.to("cuda") for i in images]
    cuda_targets = [{k: v.to("cuda") for k, v in t.items()} for t in targets]

    for m in (model, on_cuda):
        m.eval()
    with ember.no_grad():
        expected, actual = model(images), on_cuda(cuda_images)
    for e, a in zip(expected, actual):
        for key in e:
            assert a[key].device.type == "cuda" and a[key].dtype == e[key].dtype
            np.testing.assert_allclose(a[key].cpu().numpy(), e[key].numpy(), rtol=1e-4, atol=1e-4)

    for m in (model, on_cuda):
        m.train()
    expected, actual = model(images, targets), on_cuda(cuda_images, cuda_targets)
    for key in expected:
        assert actual[key].item() == pytest.approx(expected[key].item(), rel=1e-4, abs=1e-6)
