"""embervision.ops: box areas and the IoU family against hand-computed values, box_convert round
trips, nms on crafted cases, roi_align / roi_pool against direct per-sample loops written from
torchvision's CPU kernels, gradients by finite differences, and the losses against their
formulas."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from embervision import ops


def _t(a, dtype=ember.float32, device="cpu", requires_grad=False):
    return ember.tensor(a, dtype=dtype, device=device, requires_grad=requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


def _random_boxes(rng, n, size=20.0):
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(1, size / 2, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


# ----------------------------------------------------------------------------- areas and IoUs


def test_box_area_formats():
    boxes = _t([[0, 0, 2, 3], [1, 1, 5, 2]])
    np.testing.assert_allclose(_np(ops.box_area(boxes)), [6, 4])
    np.testing.assert_allclose(_np(ops.box_area(_t([[0, 0, 2, 3]]), fmt="xywh")), [6])
    np.testing.assert_allclose(_np(ops.box_area(_t([[5, 5, 2, 3]]), fmt="cxcywh")), [6])
    with pytest.raises(ValueError, match="Unsupported Bounding Box area"):
        ops.box_area(boxes, fmt="yxyx")


def test_box_area_upcasts_small_integers():
    area = ops.box_area(ember.tensor([[0, 0, 200, 200]], dtype=ember.int16))
    assert area.dtype == ember.int32
    assert area.item() == 40000


def test_box_iou_by_hand():
    a = _t([[0, 0, 2, 2], [0, 0, 1, 1]])
    b = _t([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]])
    # [0,0,2,2] vs [1,1,3,3]: intersection 1, union 4 + 4 - 1
    expected = [[1 / 7, 1, 0], [0, 1 / 4, 0]]
    np.testing.assert_allclose(_np(ops.box_iou(a, b)), expected, rtol=1e-6)
    # the same boxes in the other formats
    np.testing.assert_allclose(
        _np(
            ops.box_iou(
                ops.box_convert(a, "xyxy", "cxcywh"), ops.box_convert(b, "xyxy", "cxcywh"), "cxcywh"
            )
        ),
        expected,
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        _np(
            ops.box_iou(
                ops.box_convert(a, "xyxy", "xywh"), ops.box_convert(b, "xyxy", "xywh"), "xywh"
            )
        ),
        expected,
        rtol=1e-6,
    )


def test_box_iou_batched_and_integer():
    a = ember.tensor([[[0, 0, 2, 2]], [[0, 0, 4, 4]]])
    b = ember.tensor([[[1, 1, 3, 3]], [[0, 0, 2, 2]]])
    out = ops.box_iou(a, b)
    assert tuple(out.shape) == (2, 1, 1)
    assert out.dtype == ember.float32
    np.testing.assert_allclose(_np(out).ravel(), [1 / 7, 1 / 4], rtol=1e-6)


def test_generalized_box_iou_by_hand():
    a = _t([[0, 0, 1, 1]])
    b = _t([[2, 0, 3, 1], [0, 0, 1, 1]])
    # disjoint: iou 0, enclosing box 3 x 1, union 2 -> 0 - (3 - 2) / 3
    np.testing.assert_allclose(_np(ops.generalized_box_iou(a, b)), [[-1 / 3, 1]], rtol=1e-6)


def test_distance_and_complete_box_iou_by_hand():
    a = _t([[0, 0, 2, 2]], dtype=ember.float64)
    b = _t([[1, 0, 3, 2]], dtype=ember.float64)
    iou = 2 / 6
    # centres (1, 1) and (2, 1); enclosing box 3 x 2
    diou = iou - 1 / (9 + 4 + 1e-7)
    np.testing.assert_allclose(_np(ops.distance_box_iou(a, b)), [[diou]], rtol=1e-12)
    # same aspect ratio: v = 0, so CIoU equals DIoU
    np.testing.assert_allclose(_np(ops.complete_box_iou(a, b)), [[diou]], rtol=1e-12)
    c = _t([[0, 0, 4, 2]], dtype=ember.float64)
    v = 4 / math.pi**2 * (math.atan(1.0) - math.atan(2.0)) ** 2
    iou_ac = 4 / 8
    diou_ac = iou_ac - 1 / (16 + 4 + 1e-7)
    alpha = v / (1 - iou_ac + v + 1e-7)
    np.testing.assert_allclose(_np(ops.complete_box_iou(a, c)), [[diou_ac - alpha * v]], rtol=1e-12)


@pytest.mark.parametrize("fn", [ops.box_iou, ops.generalized_box_iou, ops.distance_box_iou])
def test_iou_family_gradcheck(fn):
    rng = np.random.default_rng(1)
    a = _t(_random_boxes(rng, 3), dtype=ember.float64, requires_grad=True)
    b = _t(_random_boxes(rng, 4), dtype=ember.float64, requires_grad=True)
    assert gradcheck(fn, (a, b))


def _aspect_term(a, b):
    """CIoU's ``v`` of every pair of boxes (``[N, M]``)."""
    wa, ha = a[:, None, 2] - a[:, None, 0], a[:, None, 3] - a[:, None, 1]
    wb, hb = b[None, :, 2] - b[None, :, 0], b[None, :, 3] - b[None, :, 1]
    return 4 / math.pi**2 * (ember.atan(wa / ha) - ember.atan(wb / hb)) ** 2


def test_complete_box_iou_gradient_treats_alpha_as_constant():
    # gradcheck does not apply: alpha moves with the boxes but carries no gradient (as in
    # torchvision); the gradient is DIoU's less the frozen alpha times v's
    rng = np.random.default_rng(1)
    a = _t(_random_boxes(rng, 3), dtype=ember.float64, requires_grad=True)
    b = _t(_random_boxes(rng, 4), dtype=ember.float64, requires_grad=True)
    seed = ember.from_numpy(rng.standard_normal((3, 4)))
    (ops.complete_box_iou(a, b) * seed).sum().backward()
    got = _np(a.grad), _np(b.grad)
    a.grad = b.grad = None
    with ember.no_grad():
        v = _aspect_term(a, b)
        alpha = v / (1 - ops.box_iou(a, b) + v + 1e-7)
    ((ops.distance_box_iou(a, b) - alpha * _aspect_term(a, b)) * seed).sum().backward()
    np.testing.assert_allclose(got[0], _np(a.grad), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[1], _np(b.grad), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- conversions


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_box_convert_round_trip(fmt):
    boxes = _t(_random_boxes(np.random.default_rng(2), 5), dtype=ember.float64)
    there = ops.box_convert(boxes, "xyxy", fmt)
    np.testing.assert_allclose(_np(ops.box_convert(there, fmt, "xyxy")), _np(boxes), rtol=1e-12)
    other = "cxcywh" if fmt == "xywh" else "xywh"
    via = ops.box_convert(ops.box_convert(there, fmt, other), other, fmt)
    np.testing.assert_allclose(_np(via), _np(there), rtol=1e-12)


def test_box_convert_values_and_errors():
    box = _t([[1, 2, 5, 8]])
    np.testing.assert_allclose(_np(ops.box_convert(box, "xyxy", "xywh")), [[1, 2, 4, 6]])
    np.testing.assert_allclose(_np(ops.box_convert(box, "xyxy", "cxcywh")), [[3, 5, 4, 6]])
    same = ops.box_convert(box, "xyxy", "xyxy")
    assert same is not box
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(box, "xyxy", "yxyx")
    with pytest.raises(NotImplementedError):
        ops.box_convert(box, "xyxy", "cxcywhr")


def test_clip_and_remove_small_boxes():
    boxes = _t([[-1, 2, 30, 9], [5, -3, 6, 40]])
    np.testing.assert_allclose(
        _np(ops.clip_boxes_to_image(boxes, (10, 20))), [[0, 2, 20, 9], [5, 0, 6, 10]]
    )
    keep = ops.remove_small_boxes(_t([[0, 0, 1, 5], [0, 0, 3, 3], [0, 0, 2, 1.9]]), 2.0)
    assert keep.tolist() == [1]
    assert keep.dtype == ember.int64


def test_masks_to_boxes():
    masks = np.zeros((3, 4, 5), dtype=np.uint8)
    masks[0, 1:3, 2:5] = 1
    masks[1, 3, 0] = 1
    out = ops.masks_to_boxes(ember.from_numpy(masks))
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(_np(out), [[2, 1, 4, 2], [0, 3, 0, 3], [0, 0, 0, 0]])
    assert tuple(ops.masks_to_boxes(ember.zeros((0, 4, 4))).shape) == (0, 4)


# ------------------------------------------------------------------------------------------ nms


def _nms_reference(boxes, scores, threshold):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])  # sorted() is stable
    suppressed = set()
    keep = []
    for a, i in enumerate(order):
        if i in suppressed:
            continue
        keep.append(i)
        for j in order[a + 1 :]:
            x1, y1 = max(boxes[i][0], boxes[j][0]), max(boxes[i][1], boxes[j][1])
            x2, y2 = min(boxes[i][2], boxes[j][2]), min(boxes[i][3], boxes[j][3])
            inter = max(x2 - x1, 0) * max(y2 - y1, 0)
            area_i = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])
            area_j = (boxes[j][2] - boxes[j][0]) * (boxes[j][3] - boxes[j][1])
            if inter / (area_i + area_j - inter) > threshold:
                suppressed.add(j)
    return keep


def test_nms_crafted(device):
    boxes = _t([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]], device=device)
    scores = _t([0.8, 0.9, 0.7, 0.8], device=device)
    # box 1 (0.9) suppresses 0 and 3 (IoU 81/119 > 0.5); box 2 is far away
    assert ops.nms(boxes, scores, 0.5).tolist() == [1, 2]
    # at a high threshold only identical boxes suppress: equal scores keep input order
    assert ops.nms(boxes, scores, 0.9).tolist() == [1, 0, 2]
    keep = ops.nms(boxes, scores, 0.9)
    assert keep.dtype == ember.int64 and keep.device == boxes.device


def test_nms_threshold_is_strict():
    boxes = _t([[0, 0, 2, 1], [0, 0, 1, 1]])  # IoU exactly 1/2
    scores = _t([0.5, 0.4])
    assert ops.nms(boxes, scores, 0.5).tolist() == [0, 1]
    assert ops.nms(boxes, scores, 0.49).tolist() == [0]
    # the IoU in the boxes' dtype is compared with the threshold as a double: float32's 1/3
    # rounds up past it, float64's does not
    thirds = [[0, 0, 2, 1], [1, 0, 3, 1]]
    assert ops.nms(_t(thirds), scores, 1 / 3).tolist() == [0]
    assert ops.nms(_t(thirds, ember.float64), scores, 1 / 3).tolist() == [0, 1]


def test_nms_equal_scores_are_stable():
    boxes = _t([[0, 0, 1, 1]] * 4)
    assert ops.nms(boxes, _t([0.5] * 4), 0.5).tolist() == [0]
    assert ops.nms(boxes, _t([0.5, 0.5, 0.6, 0.5]), 0.5).tolist() == [2]


def test_nms_empty_and_errors():
    keep = ops.nms(ember.zeros((0, 4)), ember.zeros((0,)), 0.5)
    assert tuple(keep.shape) == (0,) and keep.dtype == ember.int64
    with pytest.raises(RuntimeError, match="boxes should have 4 elements in dimension 1"):
        ops.nms(ember.zeros((3, 5)), ember.zeros(3), 0.5)
    with pytest.raises(RuntimeError, match="same number of elements in dimension 0"):
        ops.nms(ember.zeros((3, 4)), ember.zeros(2), 0.5)


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7])
def test_nms_random_against_loop(threshold):
    rng = np.random.default_rng(3)
    boxes = _random_boxes(rng, 60).astype(np.float32)
    scores = rng.integers(0, 10, 60).astype(np.float32) / 10  # many ties
    keep = ops.nms(ember.from_numpy(boxes), ember.from_numpy(scores), threshold)
    assert keep.tolist() == _nms_reference(boxes.tolist(), scores.tolist(), threshold)


def test_batched_nms_keeps_categories_apart():
    boxes = _t([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]])
    scores = _t([0.9, 0.8, 0.7, 0.6])
    idxs = ember.tensor([0, 0, 1, 1])
    # 1 is suppressed by 0 (same category); 2 overlaps 0 but is in another category
    assert ops.batched_nms(boxes, scores, idxs, 0.5).tolist() == [0, 2, 3]
    rng = np.random.default_rng(4)
    boxes = _random_boxes(rng, 40).astype(np.float32)
    scores = rng.random(40).astype(np.float32)
    idxs = rng.integers(0, 3, 40)
    keep = ops.batched_nms(
        ember.from_numpy(boxes), ember.from_numpy(scores), ember.from_numpy(idxs), 0.4
    ).tolist()
    expected = []
    for k in range(3):
        members = np.flatnonzero(idxs == k)
        chosen = _nms_reference(boxes[members].tolist(), scores[members].tolist(), 0.4)
        expected.extend(members[chosen].tolist())
    assert keep == sorted(expected, key=lambda i: -scores[i])
    empty = ops.batched_nms(ember.zeros((0, 4)), ember.zeros(0), ember.zeros(0), 0.5)
    assert tuple(empty.shape) == (0,)


# ------------------------------------------------------------------------------------ roi_align


def _bilinear(img, y, x):
    """torchvision's ``bilinear_interpolate`` (CPU): one channel-plane, one sample."""
    h, w = img.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= h - 1:
        y_high = y_low = h - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= w - 1:
        x_high = x_low = w - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (
        hy * hx * img[y_low, x_low]
        + hy * lx * img[y_low, x_high]
        + ly * hx * img[y_high, x_low]
        + ly * lx * img[y_high, x_high]
    )


def _roi_align_reference(x, rois, ph_, pw_, scale, sampling, aligned):
    out = np.zeros((len(rois), x.shape[1], ph_, pw_))
    for k, roi in enumerate(rois):
        b = int(roi[0])
        off = 0.5 if aligned else 0.0
        sw, sh, ew, eh = (c * scale - off for c in roi[1:])
        rw, rh = ew - sw, eh - sh
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph_, rw / pw_
        gh = sampling if sampling > 0 else math.ceil(rh / ph_)
        gw = sampling if sampling > 0 else math.ceil(rw / pw_)
        count = max(gh * gw, 1)
        for c in range(x.shape[1]):
            for ph in range(ph_):
                for pw in range(pw_):
                    total = 0.0
                    for iy in range(gh):
                        y = sh + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            xx = sw + pw * bw + (ix + 0.5) * bw / gw
                            total += _bilinear(x[b, c], y, xx)
                    out[k, c, ph, pw] = total / count
    return out


ROIS = [
    [0, 1.0, 1.0, 5.0, 6.0],
    [1, 0.5, 2.3, 8.7, 7.1],
    [0, -3.0, -2.0, 2.0, 1.5],  # partly outside the map
    [1, 3.0, 3.0, 3.2, 3.1],  # smaller than a pixel
    [0, 7.5, 6.5, 12.0, 11.0],  # past the bottom-right edge
    [1, -6.0, -6.0, -4.0, -4.0],  # wholly outside: zeros
    [0, 2.0, 2.0, 2.0, 2.0],  # empty (aligned: no samples)
]


@pytest.mark.parametrize("sampling", [-1, 0, 1, 2, 3])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize(("scale", "output_size"), [(1.0, (2, 3)), (0.5, 3), (1.3, (4, 2))])
def test_roi_align_against_loops(device, sampling, aligned, scale, output_size):
    x = np.random.default_rng(5).standard_normal((2, 3, 8, 9))
    out = ops.roi_align(
        _t(x, dtype=ember.float64, device=device),
        _t(ROIS, dtype=ember.float64, device=device),
        output_size,
        scale,
        sampling,
        aligned,
    )
    ph, pw = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    expected = _roi_align_reference(x, ROIS, ph, pw, scale, sampling, aligned)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12, atol=1e-12)


def test_roi_align_float32_and_box_list():
    x = np.random.default_rng(6).standard_normal((2, 4, 10, 7)).astype(np.float32)
    rois = np.array(ROIS, dtype=np.float32)
    out = ops.roi_align(ember.from_numpy(x), ember.from_numpy(rois), 2, 0.7, 2, True)
    assert out.dtype == ember.float32 and tuple(out.shape) == (len(ROIS), 4, 2, 2)
    expected = _roi_align_reference(x.astype(np.float64), rois.tolist(), 2, 2, 0.7, 2, True)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-5, atol=1e-6)
    per_image = [ember.from_numpy(rois[rois[:, 0] == i, 1:].copy()) for i in range(2)]
    order = np.argsort(rois[:, 0], kind="stable")
    from_list = ops.roi_align(ember.from_numpy(x), per_image, 2, 0.7, 2, True)
    np.testing.assert_array_equal(_np(from_list), _np(out)[order])


@pytest.mark.parametrize(("sampling", "aligned"), [(-1, False), (2, True), (1, False)])
def test_roi_align_gradcheck(sampling, aligned):
    x = _t(
        np.random.default_rng(7).standard_normal((2, 2, 6, 5)), ember.float64, requires_grad=True
    )
    rois = _t(ROIS, dtype=ember.float64)
    assert gradcheck(lambda t: ops.roi_align(t, rois, (2, 3), 0.8, sampling, aligned), (x,))


def test_roi_align_double_backward():
    x = _t(
        np.random.default_rng(8).standard_normal((2, 2, 6, 5)), ember.float64, requires_grad=True
    )
    rois = _t(ROIS[:3], dtype=ember.float64)
    assert ember.autograd.gradgradcheck(lambda t: ops.roi_align(t, rois, 2, 1.0, 2) ** 2, (x,))


def test_roi_align_empty_and_errors():
    x = ember.randn(1, 2, 4, 4)
    out = ops.roi_align(x, ember.zeros((0, 5)), 3)
    assert tuple(out.shape) == (0, 2, 3, 3)
    with pytest.raises(AssertionError, match=r"Tensor\[K, 5\]"):
        ops.roi_align(x, ember.zeros((2, 4)), 3)
    with pytest.raises(AssertionError, match=r"List\[Tensor\[L, 4\]\]"):
        ops.roi_align(x, [ember.zeros((2, 5))], 3)
    with pytest.raises(RuntimeError, match="same type"):
        ops.roi_align(x, ember.zeros((1, 5), dtype=ember.float64), 3)


def test_roi_align_module():
    m = ops.RoIAlign((2, 2), spatial_scale=0.5, sampling_ratio=2, aligned=True)
    assert (
        repr(m) == "RoIAlign(output_size=(2, 2), spatial_scale=0.5, sampling_ratio=2, aligned=True)"
    )
    x = ember.randn(1, 1, 5, 5)
    rois = ember.tensor([[0, 0.0, 0, 6, 6]])
    np.testing.assert_array_equal(_np(m(x, rois)), _np(ops.roi_align(x, rois, 2, 0.5, 2, True)))


# ------------------------------------------------------------------------------------- roi_pool


def _roi_pool_reference(x, rois, ph_, pw_, scale):
    def c_round(v):
        return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)

    c, h, w = x.shape[1:]
    out = np.zeros((len(rois), c, ph_, pw_))
    for k, roi in enumerate(rois):
        b = int(roi[0])
        sw, sh, ew, eh = (c_round(v * scale) for v in roi[1:])
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        for ph in range(ph_):
            for pw in range(pw_):
                hs = min(max(math.floor(ph * rh / ph_) + sh, 0), h)
                he = min(max(math.ceil((ph + 1) * rh / ph_) + sh, 0), h)
                ws = min(max(math.floor(pw * rw / pw_) + sw, 0), w)
                we = min(max(math.ceil((pw + 1) * rw / pw_) + sw, 0), w)
                if he <= hs or we <= ws:
                    continue
                out[k, :, ph, pw] = x[b, :, hs:he, ws:we].max(axis=(1, 2))
    return out


@pytest.mark.parametrize(("scale", "output_size"), [(1.0, (2, 3)), (0.5, 2), (1.3, (3, 4))])
def test_roi_pool_against_loops(device, scale, output_size):
    x = np.random.default_rng(9).standard_normal((2, 3, 8, 9))
    out = ops.roi_pool(
        _t(x, dtype=ember.float64, device=device),
        _t(ROIS, dtype=ember.float64, device=device),
        output_size,
        scale,
    )
    ph, pw = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    np.testing.assert_array_equal(_np(out), _roi_pool_reference(x, ROIS, ph, pw, scale))


def test_roi_pool_gradient_goes_to_first_maximum():
    x = ember.zeros((1, 1, 2, 2), requires_grad=True)  # all equal: the first pixel wins
    out = ops.roi_pool(x, ember.tensor([[0, 0.0, 0, 1, 1]]), 1)
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[[[1, 0], [0, 0]]]])
    y = _t(
        np.random.default_rng(10).standard_normal((2, 2, 6, 5)), ember.float64, requires_grad=True
    )
    assert gradcheck(lambda t: ops.roi_pool(t, _t(ROIS, dtype=ember.float64), (2, 3), 0.8), (y,))


def test_roi_pool_module():
    m = ops.RoIPool(3, 0.25)
    assert repr(m) == "RoIPool(output_size=3, spatial_scale=0.25)"


# --------------------------------------------------------------------------------------- losses


def test_sigmoid_focal_loss_formula():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 5))
    t = (rng.random((4, 5)) > 0.5).astype(np.float64)
    p = 1 / (1 + np.exp(-x))
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = 0.25 * t + 0.75 * (1 - t)
    expected = alpha_t * ce * (1 - p_t) ** 2
    xt, tt = _t(x, ember.float64), _t(t, ember.float64)
    np.testing.assert_allclose(_np(ops.sigmoid_focal_loss(xt, tt)), expected, rtol=1e-10)
    np.testing.assert_allclose(
        _np(ops.sigmoid_focal_loss(xt, tt, alpha=-1, gamma=0, reduction="sum")), ce.sum()
    )
    np.testing.assert_allclose(
        _np(ops.sigmoid_focal_loss(xt, tt, reduction="mean")), expected.mean(), rtol=1e-10
    )
    with pytest.raises(ValueError, match="Invalid alpha value"):
        ops.sigmoid_focal_loss(xt, tt, alpha=2)
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.sigmoid_focal_loss(xt, tt, reduction="max")
    xg = _t(x, ember.float64, requires_grad=True)
    assert gradcheck(lambda v: ops.sigmoid_focal_loss(v, tt, 0.4, 1.5), (xg,))


def test_box_losses_by_hand():
    a = _t([[0, 0, 2, 2], [0, 0, 1, 1]], ember.float64)
    b = _t([[1, 0, 3, 2], [2, 0, 3, 1]], ember.float64)
    eps = 1e-7
    # pair 0: intersection 2, union 6, enclosing 3 x 2; pair 1: disjoint, enclosing 3 x 1
    iou = np.array([2 / (6 + eps), 0.0])
    giou = 1 - (iou - np.array([0, 1]) / np.array([6 + eps, 3 + eps]))
    np.testing.assert_allclose(_np(ops.generalized_box_iou_loss(a, b)), giou, rtol=1e-12)
    diou = 1 - iou + np.array([1 / (13 + eps), 4 / (10 + eps)])
    np.testing.assert_allclose(_np(ops.distance_box_iou_loss(a, b)), diou, rtol=1e-12)
    # equal aspect ratios: CIoU equals DIoU
    np.testing.assert_allclose(_np(ops.complete_box_iou_loss(a, b)), diou, rtol=1e-12)
    np.testing.assert_allclose(
        _np(ops.generalized_box_iou_loss(a, b, reduction="mean")), giou.mean(), rtol=1e-12
    )
    np.testing.assert_allclose(
        _np(ops.distance_box_iou_loss(a, b, reduction="sum")), diou.sum(), rtol=1e-12
    )
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.complete_box_iou_loss(a, b, reduction="max")


def test_box_losses_empty_mean_is_zero_with_gradient():
    a = ember.zeros((0, 4), requires_grad=True)
    loss = ops.generalized_box_iou_loss(a, ember.zeros((0, 4)), reduction="mean")
    assert loss.item() == 0.0
    loss.backward()
    assert tuple(a.grad.shape) == (0, 4)


@pytest.mark.parametrize("fn", [ops.generalized_box_iou_loss, ops.distance_box_iou_loss])
def test_box_losses_gradcheck(fn):
    rng = np.random.default_rng(12)
    a = _t(_random_boxes(rng, 5), ember.float64, requires_grad=True)
    b = _t(_random_boxes(rng, 5), ember.float64, requires_grad=True)
    assert gradcheck(lambda p, q: fn(p, q, reduction="sum"), (a, b))


# ------------------------------------------------------------------------------------ DropBlock


def test_drop_block2d():
    x = ember.ones((2, 3, 9, 9))
    assert ops.drop_block2d(x, 0.5, 3, training=False) is x
    assert ops.drop_block2d(x, 0.0, 3) is x
    ember.manual_seed(0)
    out = _np(ops.drop_block2d(x, 0.3, 3))
    kept = out != 0
    # survivors are rescaled so that the mean is kept (up to eps)
    np.testing.assert_allclose(out[kept], out.size / kept.sum(), rtol=1e-5)
    # dropped pixels come in whole 3 x 3 blocks: each lies in a dropped window of the map
    dropped = ~kept
    for n, c, i, j in zip(*np.nonzero(dropped)):
        assert any(
            dropped[n, c, a : a + 3, b : b + 3].all()
            for a in range(max(i - 2, 0), min(i, 6) + 1)
            for b in range(max(j - 2, 0), min(j, 6) + 1)
        )
    with pytest.raises(ValueError, match="block size should be odd"):
        ops.drop_block2d(x, 0.1, 4)
    with pytest.raises(ValueError, match="drop probability"):
        ops.drop_block2d(x, 1.5, 3)
    with pytest.raises(ValueError, match="input should be 4 dimensional"):
        ops.drop_block2d(ember.ones(3, 3), 0.1, 3)
    m = ops.DropBlock2d(0.2, 5)
    assert repr(m) == "DropBlock2d(p=0.2, block_size=5, inplace=False)"
    m.eval()
    assert m(x) is x


def test_complete_box_iou_loss_gradient_treats_alpha_as_constant():
    rng = np.random.default_rng(13)
    a = _t(_random_boxes(rng, 5), ember.float64, requires_grad=True)
    b = _t(_random_boxes(rng, 5), ember.float64, requires_grad=True)
    ops.complete_box_iou_loss(a, b, reduction="sum").backward()
    got = _np(a.grad)
    a.grad = None
    with ember.no_grad():
        v = _aspect_term(a, b).diagonal()
        iou = ops.box_iou(a, b).diagonal()
        alpha = v / (1 - iou + v + 1e-7)
    (ops.distance_box_iou_loss(a, b) + alpha * _aspect_term(a, b).diagonal()).sum().backward()
    np.testing.assert_allclose(got, _np(a.grad), rtol=1e-6, atol=1e-12)
