"""Parity of embervision.ops with torchvision.ops: the IoU family, box conversion, nms,
roi_align / roi_pool and the detection losses, values and input gradients.

Skipped where torchvision is missing or its compiled operators do not load (a torchvision
wheel built for another torch, or for CUDA where torch is a CPU build)."""

import numpy as np
import pytest
import torch

import ember
import embervision.ops

try:
    import torchvision.ops

    torchvision.ops.nms(torch.zeros((1, 4)), torch.zeros(1), 0.5)
except Exception as error:  # ImportError, or the RuntimeError of ops that did not load
    pytest.skip(f"torchvision.ops unavailable: {error}", allow_module_level=True)


def ops_of(fw):
    return embervision.ops if fw is ember else torchvision.ops


def _boxes(parity, n, dtype=np.float32):
    xy = parity.uniform(0, 20, n, 2, dtype=dtype)
    wh = parity.uniform(1, 10, n, 2, dtype=dtype)
    return np.concatenate([xy, xy + wh], axis=1)


@pytest.mark.parametrize(
    "name",
    ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_iou_family(parity, name, dtype):
    a, b = _boxes(parity, 5, dtype), _boxes(parity, 7, dtype)
    parity.check(lambda fw, x, y: getattr(ops_of(fw), name)(x, y), a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_box_iou_formats_and_convert(parity, fmt):
    a, b = _boxes(parity, 4), _boxes(parity, 3)
    parity.check(lambda fw, x: ops_of(fw).box_convert(x, "xyxy", fmt), a)
    parity.check(lambda fw, x, y: ops_of(fw).box_iou(x, y, fmt=fmt), a, b)
    parity.check(lambda fw, x: ops_of(fw).box_area(x, fmt=fmt), a)


def test_clip_remove_masks(parity):
    boxes = parity.uniform(-5, 25, 6, 4)
    parity.check(lambda fw, x: ops_of(fw).clip_boxes_to_image(x, (15, 18)), boxes)
    parity.check(lambda fw, x: ops_of(fw).remove_small_boxes(x, 3.0), np.sort(boxes, 1), grad=False)
    masks = (parity.uniform(0, 1, 4, 6, 5) > 0.8).astype(np.uint8)
    masks[1] = 0
    parity.check(lambda fw, m: ops_of(fw).masks_to_boxes(m), masks, grad=False)


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_nms_and_batched_nms(parity, threshold):
    boxes = _boxes(parity, 200)
    scores = (parity.integers(0, 20, 200) / 20).astype(np.float32)  # many ties
    idxs = parity.integers(0, 4, 200)
    parity.check(lambda fw, b, s: ops_of(fw).nms(b, s, threshold), boxes, scores, grad=False)
    parity.check(
        lambda fw, b, s, i: ops_of(fw).batched_nms(b, s, i, threshold),
        boxes,
        scores,
        idxs,
        grad=False,
    )


def _rois(parity, k, n, size, dtype=np.float32):
    boxes = _boxes(parity, k, dtype) * (size / 20) - 2
    return np.concatenate([parity.integers(0, n, k, 1).astype(dtype), boxes], axis=1)


@pytest.mark.parametrize("sampling", [-1, 2])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_roi_align(parity, sampling, aligned, scale):
    x = parity.randn(2, 3, 12, 10)
    rois = _rois(parity, 9, 2, 12 / scale)
    parity.check(
        lambda fw, t, r: ops_of(fw).roi_align(t, r, (3, 4), scale, sampling, aligned),
        x,
        rois,
        grad=[0],
        rtol=1e-5,
        atol=1e-6,
    )


def test_roi_pool(parity):
    x = parity.randn(2, 3, 12, 10)
    rois = _rois(parity, 9, 2, 24)
    parity.check(lambda fw, t, r: ops_of(fw).roi_pool(t, r, (3, 2), 0.5), x, rois, grad=[0])


@pytest.mark.parametrize(
    "name", ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]
)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_box_losses(parity, name, reduction):
    a, b = _boxes(parity, 6), _boxes(parity, 6)
    parity.check(lambda fw, x, y: getattr(ops_of(fw), name)(x, y, reduction=reduction), a, b)


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2), (-1, 0.5)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_sigmoid_focal_loss(parity, alpha, gamma, reduction):
    x = parity.randn(4, 6)
    t = (parity.uniform(0, 1, 4, 6) > 0.5).astype(np.float32)
    parity.check(
        lambda fw, i, j: ops_of(fw).sigmoid_focal_loss(i, j, alpha, gamma, reduction),
        x,
        t,
        grad=[0],
    )
