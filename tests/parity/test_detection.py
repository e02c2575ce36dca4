"""Parity of embervision's two-stage detectors with torchvision's: Faster R-CNN (ResNet-50-FPN v1
and v2, MobileNetV3-Large-FPN), Mask R-CNN and Keypoint R-CNN, and the pieces they are made of.

torchvision's model is built and every parameter redrawn (weights N(0, 1/fan_in), biases
N(0, 0.1²), batch-norm scales U(0.8, 1.2) and statistics from the input batch), its state dict
copied into embervision's, and both run in float64 (in float32 the deep backbones' rounding
reorders near-equal proposals) on the same two small images of different sizes, resized to
``min_size=64``, ``max_size=96``. In evaluation the detections (boxes, labels, scores, pasted
masks, keypoints and their scores) must agree; in training, with the same targets, the losses
and, for small configurations, the gradients of every parameter. The samplers draw with
``randperm``, patched on both sides to the identity, so that each takes the first positives and
negatives. The components (anchors, box coding, matching, the transform, mask pasting, keypoint
decoding) are compared in float32.

torchvision's compiled operators do not load in the test environment, so its ``nms`` and
``roi_align`` are replaced by their C++ kernels' algorithms written in torch. (torchvision's own
Python ``roi_align``, ``torchvision.ops.roi_align._roi_align``, is not used: it is slow with
adaptive sampling and, unlike the kernel, reads samples more than a pixel outside the map
instead of counting them as zero.)

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
import embervision.models
from embervision.models import detection

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the models are pure Python and do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision

import torchvision.models.detection as tv_detection
import torchvision.models.detection._utils as tv_det_utils
import torchvision.models.detection.anchor_utils as tv_anchor_utils
import torchvision.models.detection.image_list as tv_image_list
import torchvision.models.detection.roi_heads as tv_roi_heads
import torchvision.models.detection.transform as tv_transform
import torchvision.ops.boxes as tv_boxes
import torchvision.ops.poolers as tv_poolers
from torchvision.ops._utils import convert_boxes_to_roi_format

from embervision.models.detection import _utils as det_utils
from embervision.models.detection import anchor_utils, image_list, roi_heads, transform


def _nms(boxes, scores, iou_threshold):
    """torchvision's CPU kernel: boxes by decreasing score (stable), each kept box suppresses
    the later ones that overlap it by more than the threshold."""
    order = torch.sort(scores, descending=True, stable=True).indices
    x1, y1, x2, y2 = boxes[order].unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        w = (torch.minimum(x2[i], x2[i + 1 :]) - torch.maximum(x1[i], x1[i + 1 :])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[i + 1 :]) - torch.maximum(y1[i], y1[i + 1 :])).clamp(min=0)
        inter = w * h
        overlap = inter / (areas[i] + areas[i + 1 :] - inter)
        suppressed[i + 1 :] |= overlap.double() > iou_threshold
    return order[torch.tensor(keep, dtype=torch.int64)]


def _sample_axis(c, size):
    """One axis of the kernel's bilinear sampling: whether the sample is within a pixel of the
    map, its two neighbours and the weight of the far one."""
    inside = (c >= -1.0) & (c <= size)
    c = c.clamp(min=0)
    low = c.long()
    edge = low >= size - 1
    low = torch.where(edge, size - 1, low)
    high = torch.where(edge, size - 1, low + 1)
    c = torch.where(edge, low.to(c.dtype), c)
    return inside, low, high, c - low


def _roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoI Align as torchvision's C++ kernel computes it, written in torch: each bin averages a
    ``grid_h × grid_w`` grid of bilinear samples (``sampling_ratio``, else ``ceil`` of the bin
    size), samples more than a pixel outside the map counting as zero."""
    rois = boxes if isinstance(boxes, torch.Tensor) else convert_boxes_to_roi_format(boxes)
    ph, pw = (output_size, output_size) if isinstance(output_size, int) else output_size
    _, channels, height, width = input.shape
    if len(rois) == 0:
        return input.new_zeros((0, channels, ph, pw))
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (rois[:, i] * spatial_scale - offset for i in range(1, 5))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:  # force malformed rois to be 1x1
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    bin_h, bin_w = roi_h / ph, roi_w / pw
    if sampling_ratio > 0:
        grid_h = grid_w = torch.full_like(bin_h, sampling_ratio)
    else:
        grid_h, grid_w = torch.ceil(bin_h), torch.ceil(bin_w)
    iy = torch.arange(max(int(grid_h.max()), 1)).to(input.dtype)
    ix = torch.arange(max(int(grid_w.max()), 1)).to(input.dtype)
    # sample coordinates [K, PH, IY] and [K, PW, IX]
    y = (
        y1[:, None, None]
        + torch.arange(ph)[None, :, None] * bin_h[:, None, None]
        + (iy + 0.5)[None, None, :] * (bin_h / grid_h)[:, None, None]
    )
    x = (
        x1[:, None, None]
        + torch.arange(pw)[None, :, None] * bin_w[:, None, None]
        + (ix + 0.5)[None, None, :] * (bin_w / grid_w)[:, None, None]
    )
    y_inside, y_low, y_high, ly = _sample_axis(y, height)
    x_inside, x_low, x_high, lx = _sample_axis(x, width)
    y_inside = y_inside & (iy[None, :] < grid_h[:, None])[:, None, :]
    x_inside = x_inside & (ix[None, :] < grid_w[:, None])[:, None, :]

    def rows(t):  # [K, PH, IY] -> [K, PH, 1, IY, 1]
        return t[:, :, None, :, None]

    def cols(t):  # [K, PW, IX] -> [K, 1, PW, 1, IX]
        return t[:, None, :, None, :]

    pixels = input.permute(0, 2, 3, 1)  # [N, H, W, C]
    batch = rois[:, 0].long()[:, None, None, None, None]
    val = 0
    for yi, wy in ((y_low, 1 - ly), (y_high, ly)):
        for xi, wx in ((x_low, 1 - lx), (x_high, lx)):
            val = val + (rows(wy) * cols(wx))[..., None] * pixels[batch, rows(yi), cols(xi)]
    val = val * (rows(y_inside) & cols(x_inside))[..., None]
    count = (grid_h * grid_w).clamp(min=1)
    out = val.sum((3, 4)) / count[:, None, None, None]  # [K, PH, PW, C]
    return out.permute(0, 3, 1, 2)


@pytest.fixture(autouse=True)
def kernels_in_torch(monkeypatch):
    monkeypatch.setattr(tv_boxes, "nms", _nms)
    monkeypatch.setattr(tv_poolers, "roi_align", _roi_align)
    monkeypatch.setattr(tv_roi_heads, "roi_align", _roi_align)


@pytest.fixture
def first_samples(monkeypatch):
    """Both samplers take the first positives and negatives instead of random ones."""

    def identity(n, **kwargs):
        return torch.arange(n)

    def ember_identity(n, **kwargs):
        return ember.arange(n)

    monkeypatch.setattr(torch, "randperm", identity)
    monkeypatch.setattr(ember, "randperm", ember_identity)


# ---------------------------------------------------------------------------------------------
# whole models


def _two_stage_calibration(model, batch):
    """The forward that sets a two-stage model's batch-norm statistics: the backbone, and (v2)
    the box head on the pooled features of the first proposals."""
    features = model.backbone(batch.tensors)
    if isinstance(model.roi_heads.box_head, torch.nn.Sequential):
        proposals, _ = model.rpn(batch, features)
        pooled = model.roi_heads.box_roi_pool(features, proposals, batch.image_sizes)
        model.roi_heads.box_head(pooled)


def _randomise(model, images, calibrate=_two_stage_calibration):
    """Redraw the parameters (module docstring); batch norms take the statistics of the first
    batch they see, in ``calibrate(model, batch)``. Returns the model in eval mode."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            for name, p in module.named_parameters(recurse=False):
                if isinstance(module, torch.nn.BatchNorm2d) and name == "weight":
                    p.uniform_(0.8, 1.2, generator=g)
                elif p.dim() >= 2:
                    p.normal_(0.0, 1.0 / math.sqrt(p[0].numel()), generator=g)
                else:
                    p.normal_(0.0, 0.1, generator=g)
        batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        model.eval()
        for m in batch_norms:
            m.momentum = None  # cumulative average: one batch sets the running statistics
            m.train()
        batch, _ = model.transform([torch.from_numpy(i).float() for i in images])
        calibrate(model, batch)
        for m in batch_norms:
            m.momentum = 0.1
            m.num_batches_tracked.zero_()
    return model.eval()


def _copy(reference, model, images, dtype="float64", calibrate=_two_stage_calibration):
    """``reference`` randomised, its state copied into ``model``; both in ``dtype``."""
    reference = _randomise(reference, images, calibrate)
    state = reference.state_dict()
    model.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in state.items()})
    return reference.to(getattr(torch, dtype)), model.to(getattr(ember, dtype)).eval()


def _images():
    rng = np.random.default_rng(0)
    return [
        rng.uniform(0, 1, (3, 64, 80)),
        rng.uniform(0, 1, (3, 72, 60)),  # resized to 76 × 64
    ]


def _targets(images, masks=False, keypoints=False, num_classes=91):
    """Three boxes per image with random classes, and filled masks or random keypoints in them
    (about half visible)."""
    rng = np.random.default_rng(1)
    targets = []
    for image in images:
        h, w = image.shape[1:]
        x1 = rng.uniform(0, w / 2, 3)
        y1 = rng.uniform(0, h / 2, 3)
        x2 = x1 + rng.uniform(8, w / 2, 3)
        y2 = y1 + rng.uniform(8, h / 2, 3)
        boxes = np.stack([x1, y1, x2, y2], 1)
        target = {"boxes": boxes, "labels": rng.integers(1, num_classes, 3)}
        if masks:
            mask = np.zeros((3, h, w), dtype=np.uint8)
            for m, (a, b, c, d) in zip(mask, boxes.astype(int)):
                m[b + 1 : d - 1, a + 1 : c - 1] = 1
            target["masks"] = mask
        if keypoints:
            kx = rng.uniform(x1[:, None], x2[:, None], (3, 17))
            ky = rng.uniform(y1[:, None], y2[:, None], (3, 17))
            visible = rng.integers(0, 2, (3, 17)) * 2
            target["keypoints"] = np.stack([kx, ky, visible], 2).astype(np.float32)
        targets.append(target)
    return targets


def _on(fw, images, targets=None):
    tensors = [fw.from_numpy(i.copy()) for i in images]
    if targets is None:
        return tensors
    return tensors, [{k: fw.from_numpy(np.array(v)) for k, v in t.items()} for t in targets]


def _assert_close(e, t, what, tol, dtype=True):
    """Equal shapes (and dtypes), and ``max |e - t| <= tol * max(max |t|, 1)``."""
    e = e.detach().numpy()
    t = t.detach().numpy()
    assert e.shape == t.shape, f"{what}: {e.shape} != {t.shape}"
    assert not dtype or e.dtype == t.dtype, f"{what}: {e.dtype} != {t.dtype}"
    if t.size:
        error = np.abs(e.astype(np.float64) - t).max() / max(np.abs(t).max(), 1.0)
        assert error <= tol, f"{what}: {error:.2e}"


def _compare_detections(reference, model, images, tol):
    with torch.no_grad():
        expected = reference(_on(torch, images))
    with ember.no_grad():
        out = model(_on(ember, images))
    assert len(out) == len(expected)
    for i, (e, t) in enumerate(zip(out, expected)):
        assert list(e) == list(t), f"image {i}: keys"
        assert len(t["boxes"]) > 0, f"image {i}: no detections to compare"
        for key in t:
            _assert_close(e[key], t[key], f"image {i}: {key}", tol)


def _compare_losses(reference, model, images, targets, tol, grads=True):
    reference.train()
    model.train()
    expected = reference(*_on(torch, images, targets))
    losses = model(*_on(ember, images, targets))
    assert list(losses) == list(expected)
    for key in expected:
        # (torch's binary_cross_entropy_with_logits returns the float32 of the RPN's labels)
        _assert_close(losses[key], expected[key], key, tol, dtype=False)
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


# small images, few proposals and detections: the torch reference of roi_align is slow
SMALL = {
    "min_size": 64,
    "max_size": 96,
    "rpn_post_nms_top_n_train": 40,
    "rpn_post_nms_top_n_test": 40,
    "box_batch_size_per_image": 16,
    "box_score_thresh": 0.02,
    "box_detections_per_img": 8,
}
BUILDERS = {
    "fasterrcnn_mobilenet_v3_large_fpn": {},
    "fasterrcnn_mobilenet_v3_large_320_fpn": {},
    "fasterrcnn_resnet50_fpn": {},
    "fasterrcnn_resnet50_fpn_v2": {},
    "maskrcnn_resnet50_fpn": {"masks": True},
    "maskrcnn_resnet50_fpn_v2": {"masks": True},
    "keypointrcnn_resnet50_fpn": {"keypoints": True, "num_classes": 2},
}
_MOBILE = ("fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn")


@pytest.mark.parametrize(
    "name",
    [n if n in _MOBILE else pytest.param(n, marks=pytest.mark.slow) for n in BUILDERS],
)  # the ResNet-50 ones take 4 to 17 s each
def test_builder_detections_and_losses(name, first_samples):
    images = _images()
    torch.manual_seed(0)
    reference = tv_detection.__dict__[name](weights=None, weights_backbone=None, **SMALL)
    reference, model = _copy(reference, detection.__dict__[name](**SMALL), images)
    # 1e-6: the keypoints, and torch's RPN objectness loss, are float32
    _compare_detections(reference, model, images, 1e-6)
    targets = _targets(images, **BUILDERS[name])
    _compare_losses(reference, model, images, targets, 1e-6, grads=False)


def _small(models, kind):
    """A small model of ``kind`` from ``models`` (torchvision's or embervision's): a ResNet-18
    under a 32-channel FPN, and narrow heads for 5 classes."""
    det = models.detection
    backbone = det.backbone_utils.BackboneWithFPN(
        models.resnet18(),
        {f"layer{k}": str(k - 1) for k in range(1, 5)},
        [64, 128, 256, 512],
        32,
    )
    kwargs = dict(
        SMALL,
        box_head=det.faster_rcnn.TwoMLPHead(32 * 7 * 7, 64),
        box_predictor=det.faster_rcnn.FastRCNNPredictor(64, 5),
    )
    if kind == "mask":
        mask_head = det.mask_rcnn.MaskRCNNHeads(32, (16, 16), 1)
        mask_predictor = det.mask_rcnn.MaskRCNNPredictor(16, 8, 5)
        return det.MaskRCNN(backbone, mask_head=mask_head, mask_predictor=mask_predictor, **kwargs)
    if kind == "keypoint":
        keypoint_head = det.keypoint_rcnn.KeypointRCNNHeads(32, (16, 16))
        keypoint_predictor = det.keypoint_rcnn.KeypointRCNNPredictor(16, 17)
        return det.KeypointRCNN(
            backbone, keypoint_head=keypoint_head, keypoint_predictor=keypoint_predictor, **kwargs
        )
    return det.FasterRCNN(backbone, **kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["faster", "mask", "keypoint"])
def test_small_detections_losses_and_gradients(kind, dtype, first_samples):
    images = [i.astype(dtype) for i in _images()]
    torch.manual_seed(0)
    reference, model = _copy(
        _small(torchvision.models, kind), _small(embervision.models, kind), images, dtype
    )
    # in float32, rounding differences of 1e-7 grow to 1e-5 through the backbone
    tol = 1e-6 if dtype == "float64" else 1e-4
    _compare_detections(reference, model, images, tol)
    targets = _targets(images, masks=kind == "mask", keypoints=kind == "keypoint", num_classes=5)
    _compare_losses(reference, model, images, targets, tol, grads=dtype == "float64")


# ---------------------------------------------------------------------------------------------
# components, in float32


def test_anchor_generator():
    sizes = ((16, 32), (40,))
    ratios = ((0.5, 1.0, 2.0), (0.7,))
    feature_shapes = [(2, 4, 10, 12), (2, 4, 5, 6)]
    out = []
    for fw, module, lists in (
        (torch, tv_anchor_utils, tv_image_list),
        (ember, anchor_utils, image_list),
    ):
        generator = module.AnchorGenerator(sizes, ratios)
        images = lists.ImageList(fw.zeros(2, 3, 40, 50), [(40, 50), (33, 41)])
        out.append(generator(images, [fw.zeros(s) for s in feature_shapes]))
        assert generator.num_anchors_per_location() == [6, 1]
    for e, t in zip(*out):
        _assert_close(e, t, "anchors", 0)


def test_default_box_generator():
    out = []
    for fw, module, lists in (
        (torch, tv_anchor_utils, tv_image_list),
        (ember, anchor_utils, image_list),
    ):
        generator = module.DefaultBoxGenerator([[2], [2, 3]], steps=[8, 16])
        images = lists.ImageList(fw.zeros(2, 3, 48, 64), [(48, 64), (40, 60)])
        out.append(generator(images, [fw.zeros(2, 4, 6, 8), fw.zeros(2, 4, 3, 4)]))
    for e, t in zip(*out):
        _assert_close(e, t, "default boxes", 1e-6)


def _random_boxes(rng, n, size=50.0):
    xy = rng.uniform(-5, size, (n, 2))
    wh = rng.uniform(0.5, size / 2, (n, 2))
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def test_box_coder_round_trip_and_matcher():
    rng = np.random.default_rng(0)
    reference_boxes, proposals = _random_boxes(rng, 12), _random_boxes(rng, 12)
    codes = rng.standard_normal((12, 8)).astype(np.float32) * 3  # clipped dw, dh included
    out = []
    for fw, module in ((torch, tv_det_utils), (ember, det_utils)):
        coder = module.BoxCoder((10.0, 10.0, 5.0, 5.0), bbox_xform_clip=math.log(1000.0 / 16))
        ref = [fw.from_numpy(reference_boxes[:5]), fw.from_numpy(reference_boxes[5:])]
        prop = [fw.from_numpy(proposals[:5]), fw.from_numpy(proposals[5:])]
        out.append(
            (
                fw.cat(coder.encode(ref, prop)),
                coder.decode(fw.from_numpy(codes), prop),
            )
        )
    for e, t in zip(*out):
        _assert_close(e, t, "box coder", 1e-6)

    quality = rng.integers(0, 6, (4, 30)) / 8  # ties, and rows whose best is low
    for allow in (False, True):
        matches = [
            module.Matcher(0.5, 0.3, allow)(fw.from_numpy(quality.astype(np.float32)))
            for fw, module in ((torch, tv_det_utils), (ember, det_utils))
        ]
        _assert_close(matches[1], matches[0], "matches", 0)
    ssd = [
        module.SSDMatcher(0.5)(fw.from_numpy(quality.astype(np.float32)))
        for fw, module in ((torch, tv_det_utils), (ember, det_utils))
    ]
    _assert_close(ssd[1], ssd[0], "ssd matches", 0)


@pytest.mark.parametrize("training", [False, True])
def test_transform_and_postprocess(training):
    rng = np.random.default_rng(0)
    images = [rng.uniform(0, 1, (3, 30, 41)), rng.uniform(0, 1, (3, 52, 25))]
    images = [i.astype(np.float32) for i in images]
    targets = [
        {
            "boxes": _random_boxes(rng, 3, 25),
            "labels": np.array([1, 2, 3]),
            "masks": (rng.uniform(0, 1, (3, *i.shape[1:])) > 0.5).astype(np.uint8),
            "keypoints": rng.uniform(0, 25, (3, 4, 3)).astype(np.float32),
        }
        for i in images
    ]
    masks = rng.uniform(0, 1, (2, 3, 1, 7, 7)).astype(np.float32)
    original = [tuple(i.shape[1:]) for i in images]
    results = []
    for fw, module in ((torch, tv_transform), (ember, transform)):
        t = module.GeneralizedRCNNTransform(48, 64, [0.4, 0.5, 0.6], [0.2, 0.3, 0.25], 16)
        t.train(training)
        batch, new_targets = t(*_on(fw, images, targets))
        # the resized targets as detections, mapped back to the original sizes
        detections = [
            {"boxes": t["boxes"], "masks": fw.from_numpy(m), "keypoints": t["keypoints"]}
            for t, m in zip(new_targets, masks)
        ]
        t.eval()
        results.append((batch, new_targets, t.postprocess(detections, batch.image_sizes, original)))
    (eb, et, ed), (tb, tt, td) = results[1], results[0]
    assert eb.image_sizes == tb.image_sizes
    _assert_close(eb.tensors, tb.tensors, "batch", 1e-6)
    for e, t in zip(et + ed, tt + td):
        for key in t:
            _assert_close(e[key], t[key], key, 1e-6)


def test_paste_masks_in_image():
    rng = np.random.default_rng(0)
    masks = rng.uniform(0, 1, (9, 1, 14, 14)).astype(np.float32)
    boxes = _random_boxes(rng, 9, 30)  # (torchvision fails on boxes outside the image)
    boxes[0] = [-10, -8, 70, 60]  # larger than the image
    boxes[1] = [10, 12, 10.4, 12.3]  # under a pixel
    boxes[2] = [38, 30, 58, 45]  # past the right edge
    out = [
        module.paste_masks_in_image(fw.from_numpy(masks), fw.from_numpy(boxes), (36, 44))
        for fw, module in ((torch, tv_roi_heads), (ember, roi_heads))
    ]
    _assert_close(out[1], out[0], "pasted masks", 1e-6)


@pytest.mark.parametrize("chunk", [None, 1000])  # 1000: one roi at a time
def test_heatmaps_to_keypoints(chunk, monkeypatch):
    if chunk is not None:
        monkeypatch.setattr(roi_heads, "_HEATMAP_CHUNK", chunk)
    rng = np.random.default_rng(0)
    maps = rng.standard_normal((6, 5, 12, 12)).astype(np.float32)
    rois = _random_boxes(rng, 6, 40)
    rois[0, 2:] = rois[0, :2] + 0.4  # narrower than a pixel
    out = [
        module.heatmaps_to_keypoints(fw.from_numpy(maps), fw.from_numpy(rois))
        for fw, module in ((torch, tv_roi_heads), (ember, roi_heads))
    ]
    for e, t, what in zip(out[1], out[0], ["keypoints", "scores"]):
        _assert_close(e, t, what, 1e-6)
