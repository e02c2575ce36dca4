"""embervision.ops, the second part: deform_conv2d against conv2d (zero and integer offsets) and
a per-tap loop written from torchvision's test reference, with gradients of every input by
finite differences; ps_roi_align / ps_roi_pool against loops written from torchvision's CPU
kernels; the FPN's shapes, keys and top-down sums; MultiScaleRoIAlign's level assignment by
hand; Conv3dNormActivation and DropBlock3d."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from embervision import ops
from embervision.ops import feature_pyramid_network as fpn
from embervision.ops import poolers


def _t(a, dtype=ember.float64, device="cpu", requires_grad=False):
    return ember.tensor(a, dtype=dtype, device=device, requires_grad=requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------------------- deform_conv2d


def _bilinear_zero(img, y, x):
    """torchvision's test ``bilinear_interpolate``: the four neighbours, zero outside."""
    h, w = img.shape
    y0, x0 = math.floor(y), math.floor(x)
    total = 0.0
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                total += wy * wx * img[yy, xx]
    return total


def _deform_reference(x, weight, offset, mask, bias, stride, padding, dilation):
    """A loop over every output, tap and input channel (torchvision's test ``expected_fn``)."""
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh = (h + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
    ow = (w + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
    per_offset_group = c // (offset.shape[1] // (2 * kh * kw))
    out_per_group = o // (c // cg)
    out = np.zeros((n, o, oh, ow))
    for b, oc, i, j, di, dj, k in np.ndindex(n, o, oh, ow, kh, kw, cg):
        ci = oc // out_per_group * cg + k
        tap = ci // per_offset_group * kh * kw + di * kw + dj
        y = sh * i - ph + dh * di + offset[b, 2 * tap, i, j]
        xx = sw * j - pw + dw * dj + offset[b, 2 * tap + 1, i, j]
        m = 1.0 if mask is None else mask[b, tap, i, j]
        out[b, oc, i, j] += m * weight[oc, k, di, dj] * _bilinear_zero(x[b, ci], y, xx)
    return out + bias.reshape(1, o, 1, 1)


def _deform_inputs(seed, n=2, c=6, o=4, size=(5, 4), kernel=(3, 2), offset_groups=3, out=(2, 3)):
    rng = np.random.default_rng(seed)
    x = rng.random((n, c, *size))
    offset = rng.standard_normal((n, 2 * offset_groups * kernel[0] * kernel[1], *out))
    mask = rng.standard_normal((n, offset_groups * kernel[0] * kernel[1], *out))
    weight = rng.standard_normal((o, c // 2, *kernel))
    bias = rng.standard_normal(o)
    return x, offset, mask, weight, bias


# torchvision's test geometry: stride (2, 1), padding (1, 0), dilation (2, 1), 2 weight groups
# and 3 offset groups; 5x4 input, 3x2 kernel, 2x3 output
_GEOMETRY = dict(stride=(2, 1), padding=(1, 0), dilation=(2, 1))


@pytest.mark.parametrize("use_mask", [False, True])
def test_deform_conv2d_against_loop(device, use_mask):
    x, offset, mask, weight, bias = _deform_inputs(0)
    mask = mask if use_mask else None
    out = ops.deform_conv2d(
        _t(x, device=device),
        _t(offset, device=device),
        _t(weight, device=device),
        _t(bias, device=device),
        mask=None if mask is None else _t(mask, device=device),
        **_GEOMETRY,
    )
    geometry = (_GEOMETRY["stride"], _GEOMETRY["padding"], _GEOMETRY["dilation"])
    expected = _deform_reference(x, weight, offset, mask, bias, *geometry)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "groups"),
    [(1, 0, 1, 1), (2, 1, 1, 2), ((1, 2), (2, 1), (2, 1), 1)],
)
def test_deform_conv2d_zero_offsets_is_conv2d(stride, padding, dilation, groups):
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((2, 4, 7, 6)))
    weight = _t(rng.standard_normal((6, 4 // groups, 3, 3)))
    bias = _t(rng.standard_normal(6))
    expected = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    out_size = tuple(expected.shape[2:])
    zeros = ember.zeros((2, 2 * 9, *out_size), dtype=ember.float64)
    out = ops.deform_conv2d(x, zeros, weight, bias, stride, padding, dilation)
    np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-12, atol=1e-12)
    # a mask of c scales every sample: c times the convolution without its bias
    mask = ember.full((2, 9, *out_size), 0.5, dtype=ember.float64)
    out = ops.deform_conv2d(x, zeros, weight, None, stride, padding, dilation, mask=mask)
    expected = F.conv2d(x, weight, None, stride, padding, dilation, groups) * 0.5
    np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-12, atol=1e-12)


def _shift(a, dy, dx):
    """``out[..., i, j] = a[..., i + dy, j + dx]``, zero where that lies outside ``a``."""
    h, w = a.shape[-2:]
    out = np.zeros_like(a)
    out[..., max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)] = a[
        ..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)
    ]
    return out


@pytest.mark.parametrize(("dy", "dx"), [(1, 0), (-2, 1), (0, -1)])
def test_deform_conv2d_integer_offsets_shift_the_input(dy, dx):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 3, 6, 7))
    weight = _t(rng.standard_normal((2, 3, 3, 3)))
    # every tap moved by (dy, dx): the convolution of the zero-padded input shifted by (dy, dx)
    shifted = _shift(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), dy, dx)
    offset = np.tile(np.array([dy, dx], dtype=np.float64), 9).reshape(1, 18, 1, 1)
    offset = _t(np.broadcast_to(offset, (1, 18, 6, 7)).copy())
    out = ops.deform_conv2d(_t(x), offset, weight, padding=1)
    expected = F.conv2d(_t(shifted), weight)
    np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-12, atol=1e-12)


def test_deform_conv2d_offset_layout():
    # offset channel 2k is the row (dy) and 2k + 1 the column (dx) of tap k (row-major taps);
    # a 1x2 kernel with weights (1, 0) reads only tap 0
    x = _t(np.arange(20.0).reshape(1, 1, 4, 5))
    weight = _t([[[[1.0, 0.0]]]])
    offset = ember.zeros((1, 4, 4, 4), dtype=ember.float64)
    offset[0, 0] = 1.0  # tap 0 one row down
    offset[0, 3] = 0.5  # tap 1 (weight 0) half a column right: no effect
    out = ops.deform_conv2d(x, offset, weight)
    expected = np.zeros((4, 4))
    expected[:3] = np.arange(20.0).reshape(4, 5)[1:, :4]
    np.testing.assert_allclose(_np(out)[0, 0], expected)
    offset[0, 1] = -0.25  # tap 0 a quarter column left: the mix of two columns, zero outside
    out = _np(ops.deform_conv2d(x, offset, weight))[0, 0]
    assert out[0, 0] == pytest.approx(0.75 * 5.0)
    assert out[1, 2] == pytest.approx(0.25 * 11.0 + 0.75 * 12.0)


@pytest.mark.parametrize("use_mask", [False, True])
def test_deform_conv2d_gradcheck(use_mask):
    x, offset, mask, weight, bias = _deform_inputs(3, n=1, c=2, o=2, offset_groups=2)
    inputs = [_t(a, requires_grad=True) for a in (x, offset, weight, bias)]
    if use_mask:
        inputs.append(_t(mask, requires_grad=True))

    def f(x, offset, weight, bias, mask=None):
        return ops.deform_conv2d(x, offset, weight, bias, mask=mask, **_GEOMETRY)

    assert gradcheck(f, tuple(inputs))


def test_deform_conv2d_double_backward():
    rng = np.random.default_rng(4)
    x, weight = _t(rng.random((1, 2, 3, 3))), _t(rng.standard_normal((2, 2, 2, 2)))
    offset, mask = _t(rng.standard_normal((1, 8, 2, 2))), _t(rng.standard_normal((1, 4, 2, 2)))
    inputs = tuple(t.requires_grad_() for t in (x, offset, weight))
    assert gradgradcheck(lambda x, o, w: ops.deform_conv2d(x, o, w, mask=mask), inputs)


def test_deform_conv2d_errors_and_empty_batch():
    x, offset, mask, weight, bias = (_t(a) for a in _deform_inputs(5))
    with pytest.raises(RuntimeError, match="the shape of the offset"):
        ops.deform_conv2d(x, offset[:, :2], weight, bias, **_GEOMETRY)
    with pytest.raises(RuntimeError, match=r"offset.shape\[1\] is not valid: got: 26"):
        ops.deform_conv2d(x, offset[:, :26], weight, bias, **_GEOMETRY)
    with pytest.raises(RuntimeError, match=r"mask.shape\[1\] is not valid: got: 2 expected: 18"):
        ops.deform_conv2d(x, offset, weight, bias, mask=mask[:, :2], **_GEOMETRY)
    with pytest.raises(RuntimeError, match=r"offset output dims: \(2, 3\) - computed output dims"):
        ops.deform_conv2d(x, offset, weight, bias, padding=1)
    with pytest.raises(RuntimeError, match="invalid batch size of offset"):
        ops.deform_conv2d(x, offset[:1], weight, bias, **_GEOMETRY)
    with pytest.raises(RuntimeError, match="stride_h: 0 stride_w: 1"):
        ops.deform_conv2d(x, offset, weight, bias, stride=(0, 1))
    four_groups = ember.zeros((2, 48, 2, 3), dtype=ember.float64)  # 6 channels in 4 groups
    with pytest.raises(RuntimeError, match=r"Expected input_c.size\(1\) % n_offset_grps == 0"):
        ops.deform_conv2d(x, four_groups, weight, bias, **_GEOMETRY)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        ops.deform_conv2d(x, offset.float(), weight, bias, **_GEOMETRY)
    out = ops.deform_conv2d(x[:0], offset[:0], weight, bias, mask=mask[:0], **_GEOMETRY)
    assert tuple(out.shape) == (0, 4, 2, 3)


def test_deform_conv2d_module():
    m = ops.DeformConv2d(6, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1), groups=2)
    assert repr(m) == (
        "DeformConv2d(6, 4, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), "
        "dilation=(2, 1), groups=2)"
    )
    assert repr(ops.DeformConv2d(2, 2, 3, bias=False)) == (
        "DeformConv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)"
    )
    assert tuple(m.weight.shape) == (4, 3, 3, 2) and tuple(m.bias.shape) == (4,)
    # kaiming_uniform(a=sqrt(5)) bounds: 1 / sqrt(fan_in) for weight and bias alike
    bound = 1 / math.sqrt(3 * 3 * 2)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    x, offset, mask = (_t(a, dtype=ember.float32) for a in _deform_inputs(6)[:3])
    out = m(x, offset, mask)
    expected = ops.deform_conv2d(x, offset, m.weight, m.bias, mask=mask, **_GEOMETRY)
    np.testing.assert_array_equal(_np(out), _np(expected))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ops.DeformConv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        ops.DeformConv2d(4, 3, 3, groups=2)


# ------------------------------------------------------------------------------- ps_roi_align


def _bilinear_clamped(img, y, x):
    """torchvision's RoI ``bilinear_interpolate`` (CPU kernel)."""
    h, w = img.shape
    if not (-1.0 <= y <= h and -1.0 <= x <= w):
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


def _ps_roi_align_reference(x, rois, ph_, pw_, scale, sampling):
    c_out = x.shape[1] // (ph_ * pw_)
    out = np.zeros((len(rois), c_out, ph_, pw_))
    for k, roi in enumerate(rois):
        b = int(roi[0])
        sw, sh, ew, eh = (v * scale - 0.5 for v in roi[1:])
        rw, rh = ew - sw, eh - sh
        bh, bw = rh / ph_, rw / pw_
        gh = sampling if sampling > 0 else math.ceil(rh / ph_)
        gw = sampling if sampling > 0 else math.ceil(rw / pw_)
        for c, ph, pw in np.ndindex(c_out, ph_, pw_):
            channel = (c * ph_ + ph) * pw_ + pw
            total = 0.0
            for iy, ix in np.ndindex(max(gh, 0), max(gw, 0)):
                y = sh + ph * bh + (iy + 0.5) * bh / gh
                xx = sw + pw * bw + (ix + 0.5) * bw / gw
                total += _bilinear_clamped(x[b, channel], y, xx)
            out[k, c, ph, pw] = total / (gh * gw) if gh * gw else math.nan
    return out


ROIS = [
    [0, 1.0, 1.0, 5.0, 6.0],
    [1, 0.5, 2.3, 8.7, 7.1],
    [0, -3.0, -2.0, 2.0, 1.5],  # partly outside the map
    [1, 3.0, 3.0, 3.2, 3.1],  # smaller than a pixel
    [0, 7.5, 6.5, 12.0, 11.0],  # past the bottom-right edge
    [1, -6.0, -6.0, -4.0, -4.0],  # wholly outside
]


@pytest.mark.parametrize("sampling", [-1, 1, 2])
@pytest.mark.parametrize(("scale", "output_size"), [(1.0, (2, 3)), (0.5, 2), (1.3, (3, 1))])
def test_ps_roi_align_against_loops(device, sampling, scale, output_size):
    ph, pw = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    x = np.random.default_rng(7).standard_normal((2, 2 * ph * pw, 8, 9))
    out = ops.ps_roi_align(
        _t(x, device=device), _t(ROIS, device=device), output_size, scale, sampling
    )
    expected = _ps_roi_align_reference(x, ROIS, ph, pw, scale, sampling)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12, atol=1e-12)


def test_ps_roi_align_empty_box_is_nan_and_errors():
    x = ember.randn(1, 8, 5, 5, dtype=ember.float64)
    rois = _t([[0, 2.0, 1.0, 2.0, 4.0], [0, 1.0, 1.0, 4.0, 4.0]])
    out = _np(ops.ps_roi_align(x, rois, 2))
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()  # zero width: 0 / 0
    assert np.isfinite(_np(ops.ps_roi_align(x, rois, 2, sampling_ratio=2))).all()
    with pytest.raises(RuntimeError, match="multiple of pooling height"):
        ops.ps_roi_align(x, rois, 3)
    with pytest.raises(RuntimeError, match="same type"):
        ops.ps_roi_align(x, rois.float(), 2)
    per_image = ops.ps_roi_align(x, [rois[:, 1:]], 2, sampling_ratio=2)
    np.testing.assert_array_equal(_np(per_image), _np(ops.ps_roi_align(x, rois, 2, 1.0, 2)))


def test_ps_roi_align_gradcheck():
    rng = np.random.default_rng(8)
    x = _t(rng.standard_normal((2, 3, 4, 4)), requires_grad=True)
    rois = _t(ROIS) * 0.5
    assert gradcheck(lambda t: ops.ps_roi_align(t, rois, (1, 3), 0.8, -1), (x,))
    y = _t(rng.standard_normal((1, 6, 3, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: ops.ps_roi_align(t, rois[:3:2], (3, 2), 1.0, 2) ** 2, (y,))


def test_ps_roi_align_module():
    m = ops.PSRoIAlign((2, 2), spatial_scale=0.5, sampling_ratio=2)
    assert repr(m) == "PSRoIAlign(output_size=(2, 2), spatial_scale=0.5, sampling_ratio=2)"
    x = ember.randn(1, 4, 5, 5)
    rois = ember.tensor([[0, 0.0, 0, 6, 6]])
    np.testing.assert_array_equal(_np(m(x, rois)), _np(ops.ps_roi_align(x, rois, 2, 0.5, 2)))


# -------------------------------------------------------------------------------- ps_roi_pool


def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def _ps_roi_pool_windows(roi, ph, pw, ph_, pw_, scale, clip_h, clip_w):
    sw, sh, ew, eh = (_c_round(v * scale) for v in roi[1:])
    rw, rh = max(ew - sw, 1), max(eh - sh, 1)
    hs = min(max(math.floor(ph * rh / ph_) + sh, 0), clip_h)
    he = min(max(math.ceil((ph + 1) * rh / ph_) + sh, 0), clip_h)
    ws = min(max(math.floor(pw * rw / pw_) + sw, 0), clip_w)
    we = min(max(math.ceil((pw + 1) * rw / pw_) + sw, 0), clip_w)
    return hs, he, ws, we


def _ps_roi_pool_reference(x, rois, ph_, pw_, scale, gy=None):
    """torchvision's CPU kernel: the forward's bins clipped to H - 1 / W - 1; with ``gy``, its
    backward's input gradient, whose bins are clipped to H / W."""
    c, h, w = x.shape[1:]
    c_out = c // (ph_ * pw_)
    out = np.zeros((len(rois), c_out, ph_, pw_))
    gx = np.zeros_like(x)
    for k, c_o, ph, pw in np.ndindex(len(rois), c_out, ph_, pw_):
        b, channel = int(rois[k][0]), (c_o * ph_ + ph) * pw_ + pw
        hs, he, ws, we = _ps_roi_pool_windows(rois[k], ph, pw, ph_, pw_, scale, h - 1, w - 1)
        if he > hs and we > ws:
            out[k, c_o, ph, pw] = x[b, channel, hs:he, ws:we].mean()
        if gy is not None:
            hs, he, ws, we = _ps_roi_pool_windows(rois[k], ph, pw, ph_, pw_, scale, h, w)
            if he > hs and we > ws:
                gx[b, channel, hs:he, ws:we] += gy[k, c_o, ph, pw] / ((he - hs) * (we - ws))
    return out if gy is None else gx


@pytest.mark.parametrize(("scale", "output_size"), [(1.0, (2, 3)), (0.5, 2), (1.3, (3, 1))])
def test_ps_roi_pool_against_loops(device, scale, output_size):
    ph, pw = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 2 * ph * pw, 8, 9))
    xt = _t(x, device=device, requires_grad=True)
    out = ops.ps_roi_pool(xt, _t(ROIS, device=device), output_size, scale)
    np.testing.assert_allclose(
        _np(out), _ps_roi_pool_reference(x, ROIS, ph, pw, scale), rtol=1e-12, atol=1e-12
    )
    gy = rng.standard_normal(tuple(out.shape))
    out.backward(_t(gy, device=device))
    expected = _ps_roi_pool_reference(x, ROIS, ph, pw, scale, gy)
    np.testing.assert_allclose(_np(xt.grad), expected, rtol=1e-12, atol=1e-12)


def test_ps_roi_pool_gradcheck_inside_the_map():
    # away from the last row and column the kernel's backward is the forward's derivative
    x = _t(np.random.default_rng(10).standard_normal((2, 4, 5, 4)), requires_grad=True)
    rois = _t([[0, 0.0, 0.0, 2.0, 3.0], [1, 1.2, 0.4, 3.0, 2.6], [1, 2.0, 2.0, 2.0, 2.0]])
    assert gradcheck(lambda t: ops.ps_roi_pool(t, rois, 2, 1.0), (x,))
    assert gradgradcheck(lambda t: ops.ps_roi_pool(t, rois, 2, 1.0) ** 2, (x,))


def test_ps_roi_pool_module_and_errors():
    m = ops.PSRoIPool(3, 0.25)
    assert repr(m) == "PSRoIPool(output_size=3, spatial_scale=0.25)"
    x = ember.randn(1, 9, 6, 6)
    rois = ember.tensor([[0, 0.0, 0, 20, 20]])
    np.testing.assert_array_equal(_np(m(x, rois)), _np(ops.ps_roi_pool(x, rois, 3, 0.25)))
    with pytest.raises(RuntimeError, match="multiple of pooling height"):
        ops.ps_roi_pool(x, rois, 2)
    assert tuple(ops.ps_roi_pool(x, ember.zeros((0, 5)), 3).shape) == (0, 1, 3, 3)


# ------------------------------------------------------------------------------------- the FPN


def _features(seed, channels=(3, 5, 4), sizes=(16, 8, 4), names=("c2", "c3", "c4")):
    rng = np.random.default_rng(seed)
    return OrderedDict(
        (name, _t(rng.standard_normal((2, c, s, s + 2)), dtype=ember.float32))
        for name, c, s in zip(names, channels, sizes)
    )


def test_fpn_shapes_keys_and_extra_blocks():
    x = _features(11)
    m = ops.FeaturePyramidNetwork([3, 5, 4], 6)
    out = m(x)
    assert list(out) == ["c2", "c3", "c4"]
    assert [tuple(v.shape) for v in out.values()] == [(2, 6, 16, 18), (2, 6, 8, 10), (2, 6, 4, 6)]
    assert sorted(m.state_dict()) == sorted(
        f"{block}.{i}.0.{kind}"
        for block in ("inner_blocks", "layer_blocks")
        for i in range(3)
        for kind in ("weight", "bias")
    )
    # initialisation: kaiming_uniform(a=1) weights, zero biases
    for conv in (m.inner_blocks[0][0], m.layer_blocks[2][0]):
        bound = math.sqrt(3 / conv.weight[0].numel())
        assert float(conv.weight.abs().max()) <= bound and float(conv.bias.abs().max()) == 0

    pooled = ops.FeaturePyramidNetwork([3, 5, 4], 6, extra_blocks=fpn.LastLevelMaxPool())(x)
    assert list(pooled) == ["c2", "c3", "c4", "pool"]
    assert tuple(pooled["pool"].shape) == (2, 6, 2, 3)

    p6p7 = ops.FeaturePyramidNetwork([3, 5, 4], 6, extra_blocks=fpn.LastLevelP6P7(4, 6))
    out = p6p7(x)
    assert list(out) == ["c2", "c3", "c4", "p6", "p7"]
    assert tuple(out["p6"].shape) == (2, 6, 2, 3) and tuple(out["p7"].shape) == (2, 6, 1, 2)
    assert not p6p7.extra_blocks.use_P5 and fpn.LastLevelP6P7(6, 6).use_P5
    # P6 on C5 (4 channels) here; on P5 when the channel counts agree
    expected = p6p7.extra_blocks.p6(x["c4"])
    np.testing.assert_allclose(_np(out["p6"]), _np(expected), rtol=1e-6)

    normed = ops.FeaturePyramidNetwork([3, 5, 4], 6, norm_layer=nn.BatchNorm2d)
    assert isinstance(normed.inner_blocks[0][1], nn.BatchNorm2d)
    assert normed.inner_blocks[0][0].bias is None
    with pytest.raises(TypeError, match="extra_blocks should be of type ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([3], 6, extra_blocks=nn.ReLU())
    with pytest.raises(ValueError, match="in_channels=0 is currently not supported"):
        ops.FeaturePyramidNetwork([3, 0], 6)


def test_fpn_top_down_pathway():
    rng = np.random.default_rng(12)
    x = OrderedDict(
        a=_t(rng.standard_normal((2, 3, 8, 12)), dtype=ember.float32),
        b=_t(rng.standard_normal((2, 5, 4, 6)), dtype=ember.float32),
    )
    m = ops.FeaturePyramidNetwork([3, 5], 4)
    out = m(x)
    top = m.inner_blocks[1](x["b"])
    np.testing.assert_allclose(_np(out["b"]), _np(m.layer_blocks[1](top)), rtol=1e-6)
    # the coarse map upsampled by repeating each pixel twice, added to the lateral 1x1 conv
    upsampled = top.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    merged = m.inner_blocks[0](x["a"]) + upsampled
    np.testing.assert_allclose(_np(out["a"]), _np(m.layer_blocks[0](merged)), rtol=1e-5)


def test_fpn_loads_old_state_dict_keys():
    m = ops.FeaturePyramidNetwork([3, 5], 4)
    old = {key.replace(".0.", "."): value + 1 for key, value in m.state_dict().items()}
    fresh = ops.FeaturePyramidNetwork([3, 5], 4)
    fresh.load_state_dict(old)
    np.testing.assert_array_equal(
        _np(fresh.layer_blocks[1][0].weight), _np(m.layer_blocks[1][0].weight) + 1
    )


# -------------------------------------------------------------------------- MultiScaleRoIAlign


def _square(cx, cy, side):
    return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2]


def test_level_mapper_by_hand():
    # level = floor(4 + log2(sqrt(area) / 224) + 1e-6), clamped to [2, 5], minus 2
    mapper = poolers.initLevelMapper(2, 5)
    boxes = [
        _t([_square(100, 100, 224), _square(50, 50, 112)]),
        _t([_square(60, 60, 56), _square(40, 40, 10), _square(300, 300, 448), [0, 0, 900, 1000]]),
    ]
    assert mapper(boxes).tolist() == [2, 1, 0, 0, 3, 3]
    # just under a power of two stays a level down, unless eps (1e-6) makes up the difference
    almost = _t([_square(100, 100, 223.9), _square(100, 100, 224 * (1 - 1e-7))])
    assert mapper([almost]).tolist() == [1, 2]
    assert poolers.LevelMapper(3, 4, canonical_scale=100, canonical_level=3)(
        [_t([_square(50, 50, 210), _square(50, 50, 90)])]
    ).tolist() == [1, 0]


def test_setup_scales_by_hand():
    features = [
        ember.zeros((1, 1, 100, 150)),
        ember.zeros((1, 1, 50, 75)),
        ember.zeros(1, 1, 13, 19),
    ]
    scales, mapper = poolers._setup_scales(features, [(400, 600), (380, 610)], 224, 4)
    # 100 / 400 = 0.25, 50 / 400, 13 / 400 ~ 2 ** -4.94: rounded to whole powers of two
    assert scales == [0.25, 0.125, 0.03125]
    assert (mapper.k_min, mapper.k_max, mapper.s0, mapper.lvl0) == (2, 5, 224, 4)
    with pytest.raises(ValueError, match="images list should not be empty"):
        poolers._setup_scales(features, [], 224, 4)


def test_multiscale_roi_align_pools_each_box_from_its_level():
    rng = np.random.default_rng(13)
    x = OrderedDict(
        (name, _t(rng.standard_normal((2, 3, s, s))))
        for name, s in (("p2", 32), ("p3", 16), ("skip", 12), ("p4", 8))
    )
    boxes = [
        _t([_square(40, 40, 50), _square(64, 64, 120)]),  # levels 2 and 3 (k_min 2)
        _t([_square(60, 70, 20), _square(64, 64, 126), _square(60, 60, 250)]),  # 2, 3, 4 (of 5)
    ]
    m = ops.MultiScaleRoIAlign(["p2", "p3", "p4"], 3, 2)
    assert repr(m) == (
        "MultiScaleRoIAlign(featmap_names=['p2', 'p3', 'p4'], output_size=(3, 3), sampling_ratio=2)"
    )
    out = m(x, boxes, [(128, 128), (120, 128)])
    assert m.scales == [0.25, 0.125, 0.0625]
    assert tuple(out.shape) == (5, 3, 3, 3)
    levels = [0, 1, 0, 1, 2]
    rois = ember.cat(
        [ember.cat([ember.full((len(b), 1), i, dtype=b.dtype), b], 1) for i, b in enumerate(boxes)]
    )
    names = ["p2", "p3", "p4"]
    for k, level in enumerate(levels):
        expected = ops.roi_align(x[names[level]], rois[k : k + 1], 3, m.scales[level], 2)
        np.testing.assert_allclose(_np(out[k : k + 1]), _np(expected), rtol=1e-12)
    # one level: plain roi_align at that level's scale
    single = ops.MultiScaleRoIAlign(["p3"], (2, 3), -1)(x, boxes, [(128, 128)])
    np.testing.assert_allclose(
        _np(single), _np(ops.roi_align(x["p3"], rois, (2, 3), 0.125, -1)), rtol=1e-12
    )


def test_multiscale_roi_align_gradient_reaches_every_level():
    rng = np.random.default_rng(14)
    feats = [_t(rng.standard_normal((1, 1, s, s)), requires_grad=True) for s in (8, 4)]
    boxes = [_t([_square(10, 10, 12), _square(14, 14, 32)])]  # levels 2 and 3: indices 0, 1
    pool = ops.MultiScaleRoIAlign(["a", "b"], 2, 2, canonical_scale=16, canonical_level=2)

    def f(a, b):
        return pool(OrderedDict(a=a, b=b), boxes, [(32, 32)])

    f(*feats).sum().backward()
    assert all(float(t.grad.abs().sum()) > 0 for t in feats)
    assert gradcheck(f, tuple(feats))


# -------------------------------------------------------------- Conv3dNormActivation, DropBlock3d


def test_conv3d_norm_activation():
    m = ops.Conv3dNormActivation(2, 4, kernel_size=(3, 1, 5), stride=2)
    assert isinstance(m[0], nn.Conv3d) and isinstance(m[1], nn.BatchNorm3d)
    assert isinstance(m[2], nn.ReLU) and m.out_channels == 4
    assert m[0].padding == (1, 0, 2) and m[0].bias is None
    assert sorted(m.state_dict()) == sorted(
        ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var"]
        + ["1.num_batches_tracked"]
    )
    x = ember.randn(2, 2, 5, 6, 7)
    assert tuple(m(x).shape) == (2, 4, 3, 3, 4)
    bare = ops.Conv3dNormActivation(2, 3, 3, norm_layer=None, activation_layer=None, dilation=2)
    assert len(bare) == 1 and bare[0].padding == (2, 2, 2) and bare[0].bias is not None
    np.testing.assert_allclose(
        _np(bare(x)),
        _np(F.conv3d(x, bare[0].weight, bare[0].bias, padding=2, dilation=2)),
        rtol=1e-5,
    )
    with pytest.warns(UserWarning, match="Don't use ConvNormActivation directly"):
        ops.misc.ConvNormActivation(2, 3)


def test_drop_block3d(seeded):
    x = ember.ones((2, 3, 7, 7, 7))
    assert ops.drop_block3d(x, 0.5, 3, training=False) is x
    assert ops.drop_block3d(x, 0.0, 3) is x
    out = _np(ops.drop_block3d(x, 0.2, 3))
    kept = out != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(out[kept], out.size / kept.sum(), rtol=1e-5)
    # dropped voxels come in whole 3 x 3 x 3 blocks
    dropped = ~kept
    for n, c, i, j, k in zip(*np.nonzero(dropped)):
        assert any(
            dropped[n, c, a : a + 3, b : b + 3, d : d + 3].all()
            for a in range(max(i - 2, 0), min(i, 4) + 1)
            for b in range(max(j - 2, 0), min(j, 4) + 1)
            for d in range(max(k - 2, 0), min(k, 4) + 1)
        )
    with pytest.raises(ValueError, match="block size should be odd"):
        ops.drop_block3d(x, 0.1, 4)
    with pytest.raises(ValueError, match=r"input should be 5 dimensional\. Got 4 dimensions\."):
        ops.drop_block3d(ember.ones(1, 3, 3, 3), 0.1, 3)
    m = ops.DropBlock3d(0.2, 5)
    assert repr(m) == "DropBlock3d(p=0.2, block_size=5, inplace=False)"
    m.eval()
    assert m(x) is x
    y = ember.ones((1, 1, 5, 5, 5))
    assert ops.drop_block3d(y, 0.3, 9, inplace=True) is y  # the block shrinks to the map
