"""embervision.models.detection: Faster R-CNN, Mask R-CNN, Keypoint R-CNN and their parts.

The parts are checked against hand-computed values and direct numpy transcriptions of
torchvision's per-box loops (mask pasting, keypoint decoding); whole models train and predict
on tiny custom backbones. The builders are only built, without their random initialisation:
their state dicts must equal torchvision's key for key and shape for shape (SIGNATURES: number
of keys, sha256 of the sorted "key:shape" lines, parameter count, computed with torchvision 0.29
as in tests/vision/test_models_more.py), and their parameter counts with a pretrained (frozen
batch norm) backbone those torchvision documents. Numerical agreement with torchvision is in
tests/parity/test_detection.py.
"""

import hashlib
import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from embervision import models
from embervision.models import detection, mobilenetv3, resnet
from embervision.models.detection import _utils as det_utils
from embervision.models.detection import backbone_utils, roi_heads, transform
from embervision.models.detection.anchor_utils import AnchorGenerator, DefaultBoxGenerator
from embervision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from embervision.models.detection.image_list import ImageList
from embervision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from embervision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from embervision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign

# fmt: off
SIGNATURES = {
    "fasterrcnn_resnet50_fpn": (348, "895dafb30df19919", 41_808_406),
    "fasterrcnn_resnet50_fpn_v2": (404, "14179c9cca67bc68", 43_712_278),
    "fasterrcnn_mobilenet_v3_large_fpn": (330, "43f895a66fd386e3", 19_410_754),
    "fasterrcnn_mobilenet_v3_large_320_fpn": (330, "43f895a66fd386e3", 19_410_754),
    "maskrcnn_resnet50_fpn": (360, "d345ce287a6529b4", 44_454_513),
    "maskrcnn_resnet50_fpn_v2": (432, "764ede203357dd28", 46_359_409),
    "keypointrcnn_resnet50_fpn": (366, "d462b40268607375", 59_190_378),
}
# torchvision's documented num_params (its weights have a frozen-batch-norm backbone)
PRETRAINED_PARAMS = {
    "fasterrcnn_resnet50_fpn": 41_755_286,
    "fasterrcnn_resnet50_fpn_v2": 43_712_278,
    "fasterrcnn_mobilenet_v3_large_fpn": 19_386_354,
    "fasterrcnn_mobilenet_v3_large_320_fpn": 19_386_354,
    "maskrcnn_resnet50_fpn": 44_401_393,
    "maskrcnn_resnet50_fpn_v2": 46_359_409,
    "keypointrcnn_resnet50_fpn": 59_137_258,
}
_INITS = (
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "kaiming_uniform_",
    "kaiming_normal_", "constant_", "ones_", "zeros_",
)
# fmt: on


@pytest.fixture
def no_init(monkeypatch):
    """Builders that only allocate: the nn.init fillers do nothing."""
    for name in _INITS:
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)


@pytest.fixture
def fake_backbone_weights(monkeypatch):
    """``weights_backbone`` accepted without a file: the classification builders load
    nothing, so a builder takes its pretrained-backbone path (frozen batch norms, frozen early
    layers)."""
    for module in (resnet, mobilenetv3):
        monkeypatch.setattr(module, "_load_weights", lambda model, weights: model)


def _signature(model):
    lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return len(lines), digest, sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_builder_state_dict_and_parameters(no_init, fake_backbone_weights, name):
    assert _signature(models.get_model(name)) == SIGNATURES[name]
    pretrained = models.get_model(name, weights_backbone="backbone.pth")
    assert sum(p.numel() for p in pretrained.parameters()) == PRETRAINED_PARAMS[name]


def test_registry():
    one_stage = {"fcos_resnet50_fpn", "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"}
    one_stage |= {"ssd300_vgg16", "ssdlite320_mobilenet_v3_large"}  # (their own test file)
    assert models.list_models(module=detection) == sorted(set(SIGNATURES) | one_stage)
    assert not set(SIGNATURES) & set(models.list_models(module=models))


def test_pretrained_backbone_freezes_layers(no_init, fake_backbone_weights):
    model = detection.fasterrcnn_resnet50_fpn(weights_backbone="r50.pth")
    body = model.backbone.body
    assert isinstance(body.bn1, FrozenBatchNorm2d)
    trainable = {k.split(".")[0] for k, p in body.named_parameters() if p.requires_grad}
    assert trainable == {"layer2", "layer3", "layer4"}  # the default 3 of 5
    model = detection.fasterrcnn_mobilenet_v3_large_fpn(
        weights_backbone="m.pth", trainable_backbone_layers=0
    )
    assert not any(p.requires_grad for p in model.backbone.body.parameters())
    assert all(p.requires_grad for p in model.backbone.fpn.parameters())
    # without pretrained weights every layer trains, and a given value is ignored with a warning
    with pytest.warns(UserWarning, match="falling back to trainable_backbone_layers=5"):
        model = detection.maskrcnn_resnet50_fpn(trainable_backbone_layers=2)
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match=r"range \[0,5\], got 6"):
        detection.fasterrcnn_resnet50_fpn(weights_backbone="r50.pth", trainable_backbone_layers=6)


def test_whole_model_weights_round_trip(tmp_path, no_init):
    model = detection.fasterrcnn_mobilenet_v3_large_320_fpn(num_classes=3)
    state = {
        k: ember.randn(v.shape) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }
    path = tmp_path / "frcnn.safetensors"
    ember.save(state, path)
    # a checkpoint of the whole model: frozen batch norms, no backbone file needed
    loaded = detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=path, num_classes=3)
    assert isinstance(loaded.backbone.body["0"][1], FrozenBatchNorm2d)
    for key, value in loaded.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy())
    with pytest.raises(FileNotFoundError):
        detection.fasterrcnn_resnet50_fpn(weights=tmp_path / "missing.pth")


# ---------------------------------------------------------------------------------------------
# box coding, matching, sampling, anchors


def test_box_coder_by_hand_and_round_trip():
    coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    proposal = ember.tensor([[0.0, 0.0, 10.0, 20.0]])
    gt = ember.tensor([[2.0, 4.0, 22.0, 24.0]])
    # centres (5, 10) -> (12, 14), sizes (10, 20) -> (20, 20)
    expected = [10 * 7 / 10, 10 * 4 / 20, 5 * math.log(2), 5 * math.log(1)]
    np.testing.assert_allclose(coder.encode_single(gt, proposal).numpy()[0], expected, rtol=1e-6)

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (2, 7, 2))
    wh = rng.uniform(1, 30, (2, 7, 2))
    boxes = np.concatenate([xy, xy + wh], 2).astype(np.float32)
    reference = [ember.from_numpy(boxes[0, :3]), ember.from_numpy(boxes[0, 3:])]
    proposals = [ember.from_numpy(boxes[1, :3]), ember.from_numpy(boxes[1, 3:])]
    codes = coder.encode(reference, proposals)
    assert [tuple(c.shape) for c in codes] == [(3, 4), (4, 4)]
    decoded = coder.decode(ember.cat(codes), proposals)
    assert tuple(decoded.shape) == (7, 1, 4)
    np.testing.assert_allclose(decoded[:, 0].numpy(), boxes[0], rtol=1e-5, atol=1e-4)
    # dw, dh are clipped at bbox_xform_clip before exp
    far = coder.decode_single(ember.tensor([[0.0, 0.0, 100.0, 0.0]]), proposal)
    width = 10 * math.exp(math.log(1000 / 16))
    np.testing.assert_allclose(far.numpy()[0, [0, 2]], [5 - width / 2, 5 + width / 2], rtol=1e-5)


def test_matcher_thresholds_and_low_quality_matches():
    quality = ember.tensor(
        [
            [0.9, 0.1, 0.4, 0.0, 0.2],
            [0.2, 0.6, 0.1, 0.0, 0.2],
            [0.1, 0.2, 0.35, 0.0, 0.1],  # best match 0.35, below the high threshold
        ]
    )
    matcher = det_utils.Matcher(0.7, 0.3)
    assert matcher(quality).tolist() == [0, -2, -2, -1, -1]
    # the predictions each gt overlaps most (ties included) get their best gt back: gt 2's
    # best, prediction 2, goes to gt 0
    low = det_utils.Matcher(0.7, 0.3, allow_low_quality_matches=True)
    assert low(quality).tolist() == [0, 1, 0, -1, -1]
    tied = ember.tensor([[0.2, 0.5, 0.5, 0.1]])
    assert low(tied).tolist() == [-1, 0, 0, -1]
    with pytest.raises(ValueError, match="No ground-truth boxes"):
        matcher(ember.zeros(0, 4))
    with pytest.raises(ValueError, match="No proposal boxes"):
        matcher(ember.zeros(2, 0))
    # SSD: a single threshold, then every gt takes its best prediction
    assert det_utils.SSDMatcher(0.5)(quality).tolist() == [0, 1, 2, -1, -1]


def test_balanced_sampler(seeded):
    labels = ember.tensor([1, 0, 0, -1, 2, 0, 0, 0, 1, 0])
    sampler = det_utils.BalancedPositiveNegativeSampler(6, 0.5)
    pos, neg = sampler([labels, ember.tensor([0, 0, -1])])
    assert pos[0].dtype == ember.uint8
    assert pos[0].sum().item() == 3 and neg[0].sum().item() == 3
    assert (labels[pos[0].bool()] >= 1).all() and (labels[neg[0].bool()] == 0).all()
    # no positives: the batch is filled with negatives, as many as there are
    assert pos[1].sum().item() == 0 and neg[1].tolist() == [1, 1, 0]


def test_anchor_generator_by_hand():
    generator = AnchorGenerator(((32,),), ((0.5, 1.0, 2.0),))
    assert generator.num_anchors_per_location() == [3]
    # ratio = h / w: w = 32 / sqrt(r), h = 32 sqrt(r), halved and rounded
    half_w = [round(16 * math.sqrt(2)), 16, round(16 / math.sqrt(2))]
    half_h = half_w[::-1]
    cell = [[-w, -h, w, h] for w, h in zip(half_w, half_h)]
    np.testing.assert_array_equal(generator.cell_anchors[0].numpy(), cell)

    images = ImageList(ember.zeros(2, 3, 8, 12), [(8, 12), (7, 10)])
    anchors = generator(images, [ember.zeros(2, 4, 2, 3)])  # stride 4
    assert len(anchors) == 2 and tuple(anchors[0].shape) == (2 * 3 * 3, 4)
    expected = [
        np.add(cell, [x, y, x, y]) for y in (0, 4) for x in (0, 4, 8)
    ]  # location-major, then anchor
    np.testing.assert_array_equal(anchors[0].numpy(), np.concatenate(expected))
    np.testing.assert_array_equal(anchors[1].numpy(), anchors[0].numpy())

    two_levels = AnchorGenerator(((16,), (32, 64)), ((1.0,), (0.5, 2.0)))
    assert two_levels.num_anchors_per_location() == [1, 4]
    out = two_levels(images, [ember.zeros(2, 4, 4, 6), ember.zeros(2, 4, 2, 3)])
    assert tuple(out[0].shape) == (4 * 6 * 1 + 2 * 3 * 4, 4)


def test_default_box_generator():
    generator = DefaultBoxGenerator([[2]], min_ratio=0.2, max_ratio=0.6)
    assert generator.num_anchors_per_location() == [4]
    images = ImageList(ember.zeros(1, 3, 10, 20), [(10, 20)])
    (boxes,) = generator(images, [ember.zeros(1, 4, 1, 2)])
    assert tuple(boxes.shape) == (8, 4)
    # first location's centre (0.25, 0.5) of the image; first box s_k = 0.2 of each side
    np.testing.assert_allclose(boxes[0].numpy(), [5 - 2, 5 - 1, 5 + 2, 5 + 1], rtol=1e-6)
    s = math.sqrt(0.2 * 0.6)  # the extra square box, of scale sqrt(s_k s_k+1)
    np.testing.assert_allclose(boxes[1].numpy(), [5 - 10 * s, 5 - 5 * s, 5 + 10 * s, 5 + 5 * s])


# ---------------------------------------------------------------------------------------------
# the transform


def test_transform_resize_batch_and_postprocess():
    t = transform.GeneralizedRCNNTransform(20, 30, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 8)
    t.eval()
    images = [ember.full((3, 10, 12), 0.75), ember.full((3, 16, 8), 0.75)]
    targets = [
        {
            "boxes": ember.tensor([[1.0, 2.0, 5.0, 6.0]]),
            "keypoints": ember.tensor([[[3.0, 4.0, 1.0]]]),
        },
        {"boxes": ember.tensor([[0.0, 0.0, 8.0, 16.0]]), "keypoints": ember.zeros(1, 1, 3)},
    ]
    batch, out = t(images, targets)
    # 10×12 → ×2 = 20×24; 16×8 → ×min(20/8, 30/16) = ×1.875 → 30×15
    assert batch.image_sizes == [(20, 24), (30, 15)]
    assert tuple(batch.tensors.shape) == (2, 3, 32, 24)  # padded to multiples of 8
    assert batch.tensors[0, :, :20, :24].numpy() == pytest.approx(0.5)  # normalised
    assert batch.tensors[1, :, 30:].abs().sum().item() == 0
    np.testing.assert_allclose(out[0]["boxes"].numpy(), [[2, 4, 10, 12]])
    np.testing.assert_allclose(out[0]["keypoints"].numpy(), [[[6, 8, 1]]])
    assert targets[0]["boxes"].tolist() == [[1.0, 2.0, 5.0, 6.0]]  # the caller's are kept

    detections = [{"boxes": out[0]["boxes"], "keypoints": out[0]["keypoints"]}]
    back = t.postprocess(detections, batch.image_sizes[:1], [(10, 12)])
    np.testing.assert_allclose(back[0]["boxes"].numpy(), [[1, 2, 5, 6]], rtol=1e-6)
    np.testing.assert_allclose(back[0]["keypoints"].numpy(), [[[3, 4, 1]]], rtol=1e-6)

    with pytest.raises(TypeError, match="floating type"):
        t([ember.zeros(3, 4, 4, dtype=ember.uint8)])
    with pytest.raises(ValueError, match="3d tensors"):
        t([ember.zeros(4, 4)])


def test_transform_masks_and_fixed_size():
    t = transform.GeneralizedRCNNTransform(8, 100, [0.0] * 3, [1.0] * 3, fixed_size=(6, 5))
    masks = ember.zeros(1, 10, 12, dtype=ember.uint8)
    masks[0, :4] = 1
    batch, out = t(
        [ember.rand(3, 10, 12)], [{"boxes": ember.tensor([[0.0, 0.0, 12.0, 10.0]]), "masks": masks}]
    )
    assert batch.image_sizes == [(5, 6)]  # fixed_size is (width, height)
    assert out[0]["masks"].dtype == ember.uint8 and tuple(out[0]["masks"].shape) == (1, 5, 6)
    assert out[0]["masks"][0, :, 0].tolist() == [1, 1, 0, 0, 0]  # nearest rows 0, 2, 4, 6, 8
    np.testing.assert_allclose(out[0]["boxes"].numpy(), [[0, 0, 6, 5]])


# ---------------------------------------------------------------------------------------------
# mask pasting and keypoint decoding, against direct transcriptions of torchvision's loops


def _interp_matrix(n_in, n_out, cubic):
    """torch's interpolate (align_corners=False) of one axis as an (n_out, n_in) matrix, one
    output position at a time."""
    scale = np.float32(n_in) / np.float32(n_out)
    m = np.zeros((n_out, n_in))
    a = -0.75
    for i in range(n_out):
        src = scale * (i + 0.5) - 0.5
        if not cubic:
            src = max(src, 0.0)
            i0 = min(int(np.floor(src)), n_in - 1)
            t = min(max(src - i0, 0.0), 1.0)
            m[i, i0] += 1 - t
            m[i, min(i0 + 1, n_in - 1)] += t
            continue
        i0 = min(int(np.floor(src)), n_in - 1)
        t = min(max(src - i0, 0.0), 1.0)
        for k in range(-1, 3):
            x = abs(t - k)  # Keys' cubic kernel at distance x
            if x <= 1:
                w = (a + 2) * x**3 - (a + 3) * x**2 + 1
            else:
                w = a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
            m[i, min(max(i0 + k, 0), n_in - 1)] += w
    return m


def _paste_reference(masks, boxes, h, w):
    out = np.zeros((len(masks), h, w))
    for n, (mask, box) in enumerate(zip(masks[:, 0], boxes)):
        size = mask.shape[-1]
        mask = np.pad(mask, 1)
        scale = (size + 2) / size
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        hw, hh = (box[2] - box[0]) / 2 * scale, (box[3] - box[1]) / 2 * scale
        x0, y0, x1, y1 = np.trunc([cx - hw, cy - hh, cx + hw, cy + hh]).astype(int)
        bw, bh = max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1)
        resized = _interp_matrix(size + 2, bh, False) @ mask @ _interp_matrix(size + 2, bw, False).T
        ya, yb, xa, xb = max(y0, 0), min(y1 + 1, h), max(x0, 0), min(x1 + 1, w)
        if ya < yb and xa < xb:
            out[n, ya:yb, xa:xb] = resized[ya - y0 : yb - y0, xa - x0 : xb - x0]
    return out[:, None]


def test_paste_masks_in_image():
    rng = np.random.default_rng(0)
    masks = rng.uniform(0, 1, (6, 1, 5, 5)).astype(np.float32)
    boxes = np.array(
        [
            [2.0, 3.0, 12.0, 9.5],
            [-6.0, -4.0, 30.0, 25.0],  # larger than the image
            [15.2, 1.0, 15.6, 1.3],  # under a pixel
            [16.0, 10.0, 40.0, 30.0],  # past the bottom right
            [30.0, 2.0, 40.0, 6.0],  # outside the image: nothing
            [5.0, 6.0, 4.0, 8.0],  # degenerate
        ],
        dtype=np.float32,
    )
    out = roi_heads.paste_masks_in_image(ember.from_numpy(masks), ember.from_numpy(boxes), (18, 20))
    assert out.dtype == ember.float32 and tuple(out.shape) == (6, 1, 18, 20)
    np.testing.assert_allclose(out.numpy(), _paste_reference(masks, boxes, 18, 20), atol=1e-6)
    assert out[4].abs().sum().item() == 0
    empty = roi_heads.paste_masks_in_image(ember.zeros(0, 1, 5, 5), ember.zeros(0, 4), (7, 9))
    assert tuple(empty.shape) == (0, 1, 7, 9)


@pytest.mark.parametrize("chunk", [None, 300])  # 300: one roi at a time
def test_heatmaps_to_keypoints(chunk, monkeypatch):
    if chunk is not None:
        monkeypatch.setattr(roi_heads, "_HEATMAP_CHUNK", chunk)
    rng = np.random.default_rng(0)
    maps = rng.standard_normal((4, 3, 6, 6)).astype(np.float32)
    rois = np.array(
        [[1.0, 2.0, 9.5, 7.0], [0.0, 0.0, 3.0, 12.0], [4.0, 4.0, 4.3, 4.2], [2.0, 1.0, 8.0, 7.0]],
        dtype=np.float32,
    )
    xy, scores = roi_heads.heatmaps_to_keypoints(ember.from_numpy(maps), ember.from_numpy(rois))
    assert tuple(xy.shape) == (4, 3, 3) and tuple(scores.shape) == (4, 3)
    for r, (roi, roi_maps) in enumerate(zip(rois, maps)):
        width, height = max(roi[2] - roi[0], 1), max(roi[3] - roi[1], 1)
        w, h = int(np.ceil(width)), int(np.ceil(height))
        for k, heatmap in enumerate(roi_maps):
            resized = _interp_matrix(6, h, True) @ heatmap @ _interp_matrix(6, w, True).T
            y, x = np.unravel_index(resized.argmax(), resized.shape)
            expected = [(x + 0.5) * width / w + roi[0], (y + 0.5) * height / h + roi[1], 1]
            np.testing.assert_allclose(xy[r, k].numpy(), expected, rtol=1e-5)
            assert scores[r, k].item() == pytest.approx(resized.max(), rel=1e-5)
    empty = roi_heads.heatmaps_to_keypoints(ember.zeros(0, 3, 6, 6), ember.zeros(0, 4))
    assert [tuple(e.shape) for e in empty] == [(0, 3, 3), (0, 3)]


def test_keypoints_to_heatmap_and_loss():
    rois = ember.tensor([[0.0, 0.0, 8.0, 8.0]])
    keypoints = ember.tensor([[[1.0, 3.0, 2.0], [8.0, 8.0, 1.0], [9.0, 1.0, 1.0], [2.0, 2.0, 0.0]]])
    heatmaps, valid = roi_heads.keypoints_to_heatmap(keypoints, rois, 4)
    # cells of a 4×4 grid: (x, y) = (0, 1); the far corner maps to the last cell; outside; hidden
    assert heatmaps.tolist() == [[1 * 4 + 0, 15, 0, 0]]
    assert valid.tolist() == [[1, 1, 0, 0]]
    logits = ember.randn(1, 4, 4, 4, requires_grad=True)
    loss = roi_heads.keypointrcnn_loss(logits, [rois], [keypoints], [ember.tensor([0])])
    flat = logits.detach().reshape(4, 16).numpy()
    logsumexp = np.log(np.exp(flat).sum(1))
    expected = np.mean([logsumexp[0] - flat[0, 4], logsumexp[1] - flat[1, 15]])
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    # no valid keypoint: a zero loss that still reaches the logits
    none = roi_heads.keypointrcnn_loss(logits, [rois], [keypoints[:, 2:]], [ember.tensor([0])])
    assert none.item() == 0 and none.requires_grad


def test_fastrcnn_loss_by_hand():
    logits = ember.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    regression = ember.zeros(2, 12)
    regression[1, 4:8] = ember.tensor([0.1, 0.0, 0.2, -0.5])
    labels = [ember.tensor([0]), ember.tensor([1])]
    targets = [ember.zeros(1, 4), ember.zeros(1, 4)]
    classification, box = roi_heads.fastrcnn_loss(logits, regression, labels, targets)
    lse = np.log(np.exp(logits.numpy()).sum(1))
    assert classification.item() == pytest.approx(np.mean([lse[0] - 2.0, lse[1] - 1.0]), rel=1e-6)
    beta = 1 / 9  # smooth L1 of the positive's class-1 deltas, over both proposals
    smooth = [0.5 * 0.1**2 / beta, 0.0, 0.2 - beta / 2, 0.5 - beta / 2]
    assert box.item() == pytest.approx(sum(smooth) / 2, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# whole models on a tiny backbone


class _TinyBackbone(nn.Module):
    """Two stride-2 convolutions: feature maps "0" (stride 2) and "1" (stride 4), 8 channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.out_channels = 8

    def forward(self, x):
        c1 = self.conv1(x).relu()
        return OrderedDict([("0", c1), ("1", self.conv2(c1).relu())])


def _tiny(kind):
    kwargs = dict(
        min_size=32,
        max_size=48,
        rpn_anchor_generator=AnchorGenerator(((8,), (16,)), ((0.5, 1.0, 2.0),) * 2),
        box_roi_pool=MultiScaleRoIAlign(["0", "1"], 4, 2),
        box_head=TwoMLPHead(8 * 4 * 4, 16),
        box_predictor=FastRCNNPredictor(16, 3),
        box_score_thresh=0.0,
        box_detections_per_img=5,
        rpn_post_nms_top_n_train=30,
        rpn_post_nms_top_n_test=30,
        box_batch_size_per_image=16,
    )
    pool = MultiScaleRoIAlign(["0", "1"], 4, 2)
    if kind == "mask":
        return detection.MaskRCNN(
            _TinyBackbone(),
            mask_roi_pool=pool,
            mask_head=MaskRCNNHeads(8, (8,), 1),
            mask_predictor=MaskRCNNPredictor(8, 8, 3),
            **kwargs,
        )
    if kind == "keypoint":
        return detection.KeypointRCNN(
            _TinyBackbone(),
            keypoint_roi_pool=pool,
            keypoint_head=KeypointRCNNHeads(8, (8,)),
            keypoint_predictor=KeypointRCNNPredictor(8, 4),
            **kwargs,
        )
    return detection.FasterRCNN(_TinyBackbone(), **kwargs)


def _tiny_data():
    images = [ember.rand(3, 32, 40), ember.rand(3, 28, 32)]
    targets = [
        {
            "boxes": ember.tensor([[2.0, 3.0, 20.0, 25.0], [15.0, 4.0, 38.0, 17.0]]),
            "labels": ember.tensor([1, 2]),
            "masks": (ember.rand(2, 32, 40) > 0.5).to(ember.uint8),
            "keypoints": ember.tensor([[[5.0, 6.0, 1.0]] * 4, [[20.0, 10.0, 1.0]] * 4]),
        },
        {  # a background image
            "boxes": ember.zeros(0, 4),
            "labels": ember.zeros(0, dtype=ember.int64),
            "masks": ember.zeros(0, 28, 32, dtype=ember.uint8),
            "keypoints": ember.zeros(0, 4, 3),
        },
    ]
    return images, targets


_LOSSES = ["loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"]


@pytest.mark.parametrize(
    ("kind", "extra_losses", "extra_outputs"),
    [
        ("faster", [], []),
        ("mask", ["loss_mask"], ["masks"]),
        ("keypoint", ["loss_keypoint"], ["keypoints", "keypoints_scores"]),
    ],
)
def test_train_and_eval_steps(seeded, kind, extra_losses, extra_outputs):
    model = _tiny(kind)
    images, targets = _tiny_data()
    model.train()
    losses = model(images, targets)
    expected = _LOSSES[:2] + extra_losses + _LOSSES[2:]
    assert list(losses) == expected  # torchvision's order: heads, then the RPN
    total = sum(losses.values())
    assert np.isfinite(total.item())
    total.backward()
    assert all(p.grad is not None for p in model.parameters())

    model.eval()
    with ember.no_grad():
        detections = model(images)
    assert len(detections) == 2
    for detection_, image in zip(detections, images):
        assert list(detection_) == ["boxes", "labels", "scores"] + extra_outputs
        n = detection_["boxes"].shape[0]
        assert 0 < n <= 5
        assert detection_["labels"].dtype == ember.int64
        assert ((detection_["labels"] >= 1) & (detection_["labels"] < 3)).all()
        boxes = detection_["boxes"].numpy()
        h, w = image.shape[1:]
        assert (boxes >= 0).all()
        assert (boxes[:, [0, 2]] <= w).all() and (boxes[:, [1, 3]] <= h).all()
        if "masks" in detection_:
            assert tuple(detection_["masks"].shape) == (n, 1, h, w)
        if "keypoints" in detection_:
            assert tuple(detection_["keypoints"].shape) == (n, 4, 3)
            assert tuple(detection_["keypoints_scores"].shape) == (n, 4)


def test_model_input_errors():
    model = _tiny("faster")
    images, targets = _tiny_data()
    with pytest.raises(AssertionError, match="targets should not be none"):
        model(images)
    bad = [dict(targets[0], boxes=ember.tensor([[5.0, 5.0, 5.0, 9.0]]), labels=ember.tensor([1]))]
    with pytest.raises(AssertionError, match="positive height and width"):
        model(images[:1], bad)
    with pytest.raises(ValueError, match="num_classes should not be None"):
        detection.FasterRCNN(_TinyBackbone())
    with pytest.raises(ValueError, match="out_channels"):
        detection.FasterRCNN(nn.ReLU(), num_classes=2)


def test_backbone_utils():
    body = models.resnet18(norm_layer=FrozenBatchNorm2d)
    backbone = backbone_utils._resnet_fpn_extractor(body, 2, returned_layers=[2, 4])
    out = backbone(ember.rand(1, 3, 64, 64))
    assert [(k, tuple(v.shape)) for k, v in out.items()] == [
        ("0", (1, 256, 8, 8)),
        ("1", (1, 256, 2, 2)),
        ("pool", (1, 256, 1, 1)),
    ]
    trainable = {k.split(".")[0] for k, p in backbone.body.named_parameters() if p.requires_grad}
    assert trainable == {"layer3", "layer4"}
    plain = backbone_utils.mobilenet_backbone(
        backbone_name="mobilenet_v3_small", weights=None, fpn=False, trainable_layers=6
    )
    assert plain.out_channels == 256
    assert tuple(plain(ember.rand(1, 3, 32, 32)).shape) == (1, 256, 1, 1)
    with pytest.raises(ValueError, match=r"\[1,4\]"):
        backbone_utils._resnet_fpn_extractor(models.resnet18(), 3, returned_layers=[0, 1])
    assert det_utils.retrieve_out_channels(backbone, (32, 32)) == [256, 256, 256]


def test_overwrite_eps():
    model = _tiny("faster")
    model.backbone.bn = FrozenBatchNorm2d(8)
    det_utils.overwrite_eps(model, 0.0)
    assert model.backbone.bn.eps == 0.0


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
@pytest.mark.parametrize("kind", ["faster", "mask", "keypoint"])
def test_on_cuda_matches_cpu(seeded, monkeypatch, kind):
    # the samplers take the first positives and negatives on both devices
    monkeypatch.setattr(
        ember, "randperm", lambda n, device=None, **kwargs: ember.arange(n, device=device)
    )
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
        assert list(a) == list(e)
        for key in e:
            assert a[key].device.type == "cuda" and a[key].dtype == e[key].dtype
            np.testing.assert_allclose(a[key].cpu().numpy(), e[key].numpy(), rtol=1e-4, atol=1e-4)

    for m in (model, on_cuda):
        m.train()
    expected, actual = model(images, targets), on_cuda(cuda_images, cuda_targets)
    for key in expected:
        assert actual[key].item() == pytest.approx(expected[key].item(), rel=1e-4, abs=1e-6)
