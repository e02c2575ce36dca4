"""Parity of embervision's one-stage detectors with torchvision's: RetinaNet (v1 and v2), FCOS,
SSD300 (VGG-16) and SSDlite (MobileNetV3-Large), and the pieces they add (the FCOS box coder,
the heads' losses).

As in tests/parity/test_detection.py (whose helpers are reused): torchvision's model is built
and every parameter redrawn (weights N(0, 1/fan_in), biases N(0, 0.1²), batch-norm scales
U(0.8, 1.2) and statistics from the input batch), its state dict copied into embervision's, and
both run on the same two small images of different sizes and the same targets. In evaluation
the detections (boxes, scores, labels) must agree; in training the losses and, for the small
models, the gradients of every parameter. The builders run in float64 (in float32 the deep
backbones' rounding reorders near-equal candidates); the small models (a ResNet-18 under a
32-channel FPN, a MobileNetV3-Small under SSDlite's extra layers) in float64 and float32.
torchvision's ``nms`` is its CPU kernel's algorithm written in torch.

Random weights move many boxes out of the image, and their clipped, zero-area copies give
0/0 IoUs in ``nms``, which compare False as in torchvision's kernel: numpy's warning about them
is ignored here.

Skipped where torchvision is not installed.
"""

import importlib.util
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

import ember
import embervision.models
import embervision.ops
from embervision.models import detection

# the tests run with --import-mode=importlib, so the shared helpers are loaded from their file
_spec = importlib.util.spec_from_file_location(
    "_parity_test_detection", Path(__file__).resolve().with_name("test_detection.py")
)
two_stage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(two_stage)  # skips this module too where torchvision is missing

import torchvision  # noqa: E402
import torchvision.models.detection as tv_detection  # noqa: E402
import torchvision.models.detection._utils as tv_det_utils  # noqa: E402
import torchvision.ops.boxes as tv_boxes  # noqa: E402

from embervision.models.detection import _utils as det_utils  # noqa: E402

_assert_close, _images, _on, _targets = (
    two_stage._assert_close,
    two_stage._images,
    two_stage._on,
    two_stage._targets,
)

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


@pytest.fixture(autouse=True)
def nms_in_torch(monkeypatch):
    monkeypatch.setattr(tv_boxes, "nms", two_stage._nms)


def _one_stage_calibration(model, batch):
    """The forward that sets a one-stage model's batch-norm statistics (of the backbone and of
    the heads)."""
    model.head(list(model.backbone(batch.tensors).values()))


def _copy(reference, model, images, dtype):
    """``reference`` randomised, its state copied into ``model``; both in ``dtype``."""
    return two_stage._copy(reference, model, images, dtype, _one_stage_calibration)


def _compare_detections(reference, model, images, tol):
    with torch.no_grad():
        expected = reference(_on(torch, images))
    with ember.no_grad():
        out = model(_on(ember, images))
    assert len(out) == len(expected)
    for i, (e, t) in enumerate(zip(out, expected)):
        assert list(e) == list(t) == ["boxes", "scores", "labels"], f"image {i}: keys"
        assert len(t["boxes"]) > 0, f"image {i}: no detections to compare"
        for key in t:
            _assert_close(e[key], t[key], f"image {i}: {key}", tol)


def _compare_losses(reference, model, images, targets, tol, grads, batch_norm_stats=False):
    """Training losses (and gradients); ``batch_norm_stats``: the batch norms normalise with
    their running statistics instead of the batch's."""
    reference.train()
    model.train()
    if batch_norm_stats:
        for m in reference.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
        for m in model.modules():
            if isinstance(m, ember.nn.BatchNorm2d):
                m.eval()
    expected = reference(*_on(torch, images, targets))
    losses = model(*_on(ember, images, targets))
    assert list(losses) == list(expected)
    for key in expected:
        _assert_close(losses[key], expected[key], key, tol)
    if not grads:
        return
    sum(expected.values()).backward()
    sum(losses.values()).backward()
    computed = {k: p.grad for k, p in model.named_parameters() if p.grad is not None}
    for k, p in reference.named_parameters():
        if p.grad is None:
            assert k not in computed, k
        else:
            _assert_close(computed[k], p.grad, f"gradient of {k}", tol)


def _with_background_image(targets):
    """The targets with the second image's boxes removed: a background image."""
    boxes = np.zeros((0, 4), dtype=targets[0]["boxes"].dtype)
    return [targets[0], {"boxes": boxes, "labels": np.zeros(0, dtype=np.int64)}]


# ---------------------------------------------------------------------------------------------
# the builders, in float64

SMALL = {"min_size": 64, "max_size": 96}
BUILDERS = {
    "retinanet_resnet50_fpn": SMALL,
    "retinanet_resnet50_fpn_v2": SMALL,
    "fcos_resnet50_fpn": {**SMALL, "score_thresh": 0.05},
    "ssd300_vgg16": {},
    "ssdlite320_mobilenet_v3_large": {},
}


@pytest.mark.parametrize(
    "name",
    [n if n.startswith("ssdlite") else pytest.param(n, marks=pytest.mark.slow) for n in BUILDERS],
)  # the ResNet-50 and VGG-16 ones take 10 to 30 s each
def test_builder_detections_and_losses(name):
    images = _images()
    torch.manual_seed(0)
    kwargs = dict(BUILDERS[name], num_classes=5)
    reference = tv_detection.__dict__[name](weights=None, weights_backbone=None, **kwargs)
    reference, model = _copy(reference, detection.__dict__[name](**kwargs), images, "float64")
    _compare_detections(reference, model, images, 1e-6)
    targets = _targets(images, num_classes=5)
    _compare_losses(reference, model, images, targets, 1e-6, grads=False)


# ---------------------------------------------------------------------------------------------
# small models, in float64 and float32


def _small(fw, vision, kind):
    """A small model of ``kind`` for 5 classes, from ``fw`` (torch or ember) and ``vision``
    (torchvision or embervision)."""
    det = vision.models.detection
    if kind in ("retinanet", "retinanet_v2", "fcos"):
        # a ResNet-18 under a 32-channel FPN, P3 to P7
        backbone = det.backbone_utils.BackboneWithFPN(
            vision.models.resnet18(),
            {"layer2": "0", "layer3": "1", "layer4": "2"},
            [128, 256, 512],
            32,
            extra_blocks=vision.ops.feature_pyramid_network.LastLevelP6P7(32, 32),
        )
        if kind == "fcos":
            return det.FCOS(backbone, 5, score_thresh=0.05, **SMALL)
        if kind == "retinanet":
            return det.RetinaNet(backbone, 5, **SMALL)
        head = det.retinanet.RetinaNetHead(32, 9, 5, norm_layer=partial(fw.nn.GroupNorm, 32))
        head.regression_head._loss_type = "giou"
        return det.RetinaNet(backbone, 5, head=head, **SMALL)
    # SSDlite's extra layers on a MobileNetV3-Small: six maps of the 64 × 64 images
    norm_layer = partial(fw.nn.BatchNorm2d, eps=0.001, momentum=0.03)
    backbone = det.ssdlite._mobilenet_extractor(
        vision.models.mobilenet_v3_small(norm_layer=norm_layer), 6, norm_layer
    )
    anchor_generator = det.anchor_utils.DefaultBoxGenerator(
        [[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95
    )
    head = None  # SSD's: one 3 × 3 convolution per map
    if kind == "ssdlite":
        out_channels = det._utils.retrieve_out_channels(backbone, (64, 64))
        head = det.ssdlite.SSDLiteHead(
            out_channels, anchor_generator.num_anchors_per_location(), 5, norm_layer
        )
    return det.ssd.SSD(backbone, anchor_generator, (64, 64), 5, head=head, topk_candidates=50)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["retinanet", "retinanet_v2", "fcos", "ssd", "ssdlite"])
def test_small_detections_losses_and_gradients(kind, dtype):
    images = [i.astype(dtype) for i in _images()]
    torch.manual_seed(0)
    reference, model = _copy(
        _small(torch, torchvision, kind), _small(ember, embervision, kind), images, dtype
    )
    # in float32, rounding differences of 1e-7 grow to 1e-5 through the backbone
    tol = 1e-6 if dtype == "float64" else 1e-4
    _compare_detections(reference, model, images, tol)
    targets = _targets(images, num_classes=5)
    for target in targets:
        target["boxes"] = target["boxes"].astype(dtype)
    # In float32 the SSD models' batch norms use their running statistics: those of the batch
    # are ill-conditioned on the last maps (1 × 1, two images), where the differences of
    # rounding grow to 1e-1.
    kwargs = dict(grads=dtype == "float64", batch_norm_stats=dtype == "float32" and "ssd" in kind)
    _compare_losses(reference, model, images, targets, tol, **kwargs)
    # and with an image without boxes
    reference.zero_grad()
    model.zero_grad()
    _compare_losses(reference, model, images, _with_background_image(targets), tol, **kwargs)


# ---------------------------------------------------------------------------------------------
# components, in float32


def _random_boxes(rng, n, size=50.0):
    xy = rng.uniform(-5, size, (n, 2))
    wh = rng.uniform(0.5, size / 2, (n, 2))
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


@pytest.mark.parametrize("normalize_by_size", [True, False])
def test_box_linear_coder(normalize_by_size):
    rng = np.random.default_rng(0)
    reference_boxes, proposals = _random_boxes(rng, 12), _random_boxes(rng, 12)
    codes = rng.standard_normal((2, 6, 4)).astype(np.float32)
    out = []
    for fw, module in ((torch, tv_det_utils), (ember, det_utils)):
        coder = module.BoxLinearCoder(normalize_by_size)
        out.append(
            (
                coder.encode(fw.from_numpy(reference_boxes), fw.from_numpy(proposals)),
                coder.decode(fw.from_numpy(codes), fw.from_numpy(reference_boxes.reshape(2, 6, 4))),
            )
        )
    for e, t in zip(*out):
        _assert_close(e, t, "box linear coder", 1e-6)


@pytest.mark.parametrize("loss_type", ["l1", "smooth_l1", "giou", "diou", "ciou"])
def test_box_loss(loss_type):
    rng = np.random.default_rng(0)
    anchors, gt = _random_boxes(rng, 10), _random_boxes(rng, 10)
    deltas = rng.standard_normal((10, 4)).astype(np.float32) * 0.5
    tensors = [[fw.from_numpy(a) for a in (anchors, gt, deltas)] for fw in (torch, ember)]
    expected = tv_det_utils._box_loss(
        loss_type, tv_det_utils.BoxCoder((1.0, 1.0, 1.0, 1.0)), *tensors[0]
    )
    per_box = det_utils._box_loss(loss_type, det_utils.BoxCoder((1.0, 1.0, 1.0, 1.0)), *tensors[1])
    assert tuple(per_box.shape) == (10,)
    _assert_close(per_box.sum(), expected, loss_type, 1e-6)
