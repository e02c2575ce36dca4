"""Parity of embervision's FPN, MultiScaleRoIAlign, Conv3dNormActivation, drop_block3d,
draw_segmentation_masks, draw_keypoints and flow_to_image with torchvision's (pure Python, run
as they are, with the same weights); of roi_align with torchvision's pure-Python ``_roi_align``;
and of deform_conv2d, ps_roi_align and ps_roi_pool with the loop references of torchvision's
own test suite (``test/test_ops.py``'s ``expected_fn``, transcribed below in torch), values
and, through torch's autograd of those loops, input gradients.

torchvision's C++ operators (deform_conv2d, ps_roi_align, ps_roi_pool, roi_align, nms) and its
image decoders do not load where its wheel was built for another torch: where they do not, the
modules that call roi_align get the pure-Python ``_roi_align`` in its place, and the decoders
(decode_gif, decode_webp) are not compared (tests/vision/test_utils_io_more.py checks them
against Pillow). Skipped where torchvision is not installed.
"""

import importlib
import importlib.util
import math
import sys
import types
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
import embervision.ops
import embervision.utils
from embervision.ops import feature_pyramid_network as efpn

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the Python modules compared here do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision
import torchvision.ops
import torchvision.utils
from torchvision.ops import feature_pyramid_network as tfpn

_tv_roi_align = importlib.import_module("torchvision.ops.roi_align")
_tv_poolers = importlib.import_module("torchvision.ops.poolers")


def _python_roi_align(
    input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False
):
    """torchvision's roi_align through its pure-Python ``_roi_align`` (uncompiled)."""
    if not isinstance(boxes, torch.Tensor):
        boxes = torchvision.ops._utils.convert_boxes_to_roi_format(boxes)
    height, width = torch.nn.modules.utils._pair(output_size)
    return _tv_roi_align._roi_align.__wrapped__(
        input, boxes, spatial_scale, height, width, sampling_ratio, aligned
    )


try:
    torchvision.ops.roi_align(torch.zeros(1, 1, 2, 2), torch.zeros(1, 5), 1)
    _COMPILED_OPS = True
except Exception:  # the RuntimeError of operators that did not load
    _COMPILED_OPS = False


@pytest.fixture
def tv_roi_align(monkeypatch):
    """The roi_align torchvision's poolers call: its compiled one where it loads, else the
    pure-Python one."""
    if not _COMPILED_OPS:
        monkeypatch.setattr(_tv_poolers, "roi_align", _python_roi_align)


def _load(module, state):
    """``module`` (either framework's) with the numpy arrays of ``state`` as its state dict."""
    fw = ember if isinstance(module, ember.nn.Module) else torch
    module.load_state_dict({k: fw.from_numpy(v.copy()) for k, v in state.items()})
    return module


def _state(module):
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


# ---------------------------------------------------------------------------------------- FPN


@pytest.mark.parametrize("extra", [None, "pool", "p6p7", "p6p7_on_p5"])
def test_feature_pyramid_network(parity, extra):
    channels, out = [3, 5, 4], 6
    blocks = {
        None: (lambda m: None, lambda m: None),
        "pool": (lambda m: m.LastLevelMaxPool(), lambda m: m.LastLevelMaxPool()),
        "p6p7": (lambda m: m.LastLevelP6P7(4, out),) * 2,
        "p6p7_on_p5": (lambda m: m.LastLevelP6P7(out, out),) * 2,
    }[extra]
    ours = embervision.ops.FeaturePyramidNetwork(channels, out, blocks[0](efpn))
    theirs = torchvision.ops.FeaturePyramidNetwork(channels, out, blocks[1](tfpn))
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    state = _state(theirs)
    for k in state:
        if k.endswith("bias"):  # torchvision initialises them to zero
            state[k] = parity.randn(*state[k].shape)
    modules = {"ember": _load(ours, state), "torch": _load(theirs, state)}
    xs = [parity.randn(2, c, s, s + 3) for c, s in zip(channels, (16, 8, 5))]

    def f(fw, a, b, c):
        result = modules[fw.__name__](OrderedDict(c2=a, c3=b, c4=c))
        assert (
            list(result)
            == ["c2", "c3", "c4"]
            + {None: [], "pool": ["pool"], "p6p7": ["p6", "p7"], "p6p7_on_p5": ["p6", "p7"]}[extra]
        )
        return tuple(result.values())

    parity.check(f, *xs, rtol=1e-4, atol=1e-5)


def test_fpn_with_norm_layer_keys():
    ours = embervision.ops.FeaturePyramidNetwork([3, 4], 5, norm_layer=ember.nn.BatchNorm2d)
    theirs = torchvision.ops.FeaturePyramidNetwork([3, 4], 5, norm_layer=torch.nn.BatchNorm2d)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }


# ------------------------------------------------------------------------- MultiScaleRoIAlign


def _boxes(parity, n, size):
    """Boxes inside ``[0, size)``: torchvision's pure-Python ``_roi_align`` reads the edge
    pixel for samples past the map, where its kernel (and ember) reads zero."""
    xy = parity.uniform(0, size * 0.5, n, 2)
    wh = parity.uniform(size * 0.1, size * 0.45, n, 2)
    return np.concatenate([xy, xy + wh], axis=1)


@pytest.mark.parametrize("names", [["p2", "p3", "p4"], ["p3"], ["p2", "p4"]])
def test_multiscale_roi_align(parity, tv_roi_align, names):
    feats = [parity.randn(2, 3, s, s + 2) for s in (32, 16, 12, 8)]
    boxes = [_boxes(parity, 5, 128), _boxes(parity, 3, 128)]
    image_shapes = [(128, 136), (120, 130)]

    def f(fw, p2, p3, skip, p4, b0, b1):
        ops = embervision.ops if fw is ember else torchvision.ops
        pool = ops.MultiScaleRoIAlign(names, (3, 2), 2, canonical_scale=112)
        out = pool(OrderedDict(p2=p2, p3=p3, skip=skip, p4=p4), [b0, b1], image_shapes)
        assert pool.scales == [{"p2": 0.25, "p3": 0.125, "p4": 0.0625}[n] for n in names]
        return out

    parity.check(f, *feats, *boxes, grad=[0, 1, 2, 3])
    # the level assignment itself
    e_boxes = [ember.from_numpy(b) for b in boxes]
    t_boxes = [torch.from_numpy(b) for b in boxes]
    e_mapper = embervision.ops.poolers.LevelMapper(2, 4, canonical_scale=112)
    t_mapper = _tv_poolers.LevelMapper(2, 4, canonical_scale=112)
    assert e_mapper(e_boxes).tolist() == t_mapper(t_boxes).tolist()


def test_multiscale_roi_align_repr():
    args = (["feat1", "feat3"], 3, 2)
    assert repr(embervision.ops.MultiScaleRoIAlign(*args)) == repr(
        torchvision.ops.MultiScaleRoIAlign(*args)
    )


@pytest.mark.parametrize(("sampling", "aligned"), [(-1, False), (2, True), (0, True)])
def test_roi_align_against_python_reference(parity, sampling, aligned):
    x = parity.randn(2, 3, 12, 10, dtype=np.float64)
    boxes = _boxes(parity, 7, 10)
    rois = np.concatenate([parity.integers(0, 2, 7, 1).astype(np.float64), boxes], axis=1)

    def f(fw, t, r):
        if fw is ember:
            return embervision.ops.roi_align(t, r, (3, 4), 0.9, sampling, aligned)
        return _python_roi_align(t, r, (3, 4), 0.9, sampling, aligned)

    parity.check(f, x, rois, grad=[0], rtol=1e-10, atol=1e-12)


# ------------------------------------------------- the loop references of torchvision's tests


def _bilinear_interpolate(data, y, x, snap_border=False):
    height, width = data.shape
    if snap_border:
        if -1 < y <= 0:
            y = 0
        elif height - 1 <= y < height:
            y = height - 1
        if -1 < x <= 0:
            x = 0
        elif width - 1 <= x < width:
            x = width - 1
    # (the floors of the detached coordinates: torch warns on float() of a tensor with grad)
    y_low = math.floor(torch.as_tensor(y).detach())
    x_low = math.floor(torch.as_tensor(x).detach())
    y_high = y_low + 1
    x_high = x_low + 1
    wy_h = y - y_low
    wx_h = x - x_low
    wy_l = 1 - wy_h
    wx_l = 1 - wx_h
    val = 0
    for wx, xp in zip((wx_l, wx_h), (x_low, x_high)):
        for wy, yp in zip((wy_l, wy_h), (y_low, y_high)):
            if 0 <= yp < height and 0 <= xp < width:
                val += wx * wy * data[yp, xp]
    return val


def _ps_roi_align_expected(in_data, rois, pool_h, pool_w, spatial_scale=1, sampling_ratio=-1):
    n_output_channels = in_data.size(1) // (pool_h * pool_w)
    out_data = torch.zeros(rois.size(0), n_output_channels, pool_h, pool_w, dtype=in_data.dtype)
    for r, roi in enumerate(rois):
        batch_idx = int(roi[0])
        j_begin, i_begin, j_end, i_end = (x.item() * spatial_scale - 0.5 for x in roi[1:])
        roi_h = i_end - i_begin
        roi_w = j_end - j_begin
        bin_h = roi_h / pool_h
        bin_w = roi_w / pool_w
        for i in range(0, pool_h):
            start_h = i_begin + i * bin_h
            grid_h = sampling_ratio if sampling_ratio > 0 else int(np.ceil(bin_h))
            for j in range(0, pool_w):
                start_w = j_begin + j * bin_w
                grid_w = sampling_ratio if sampling_ratio > 0 else int(np.ceil(bin_w))
                for c_out in range(0, n_output_channels):
                    c_in = c_out * (pool_h * pool_w) + pool_w * i + j
                    val = 0
                    for iy in range(0, grid_h):
                        y = start_h + (iy + 0.5) * bin_h / grid_h
                        for ix in range(0, grid_w):
                            x = start_w + (ix + 0.5) * bin_w / grid_w
                            val += _bilinear_interpolate(
                                in_data[batch_idx, c_in, :, :], y, x, snap_border=True
                            )
                    val /= grid_h * grid_w
                    out_data[r, c_out, i, j] = val
    return out_data


def _ps_roi_pool_expected(x, rois, pool_h, pool_w, spatial_scale=1):
    n_output_channels = x.size(1) // (pool_h * pool_w)
    y = torch.zeros(rois.size(0), n_output_channels, pool_h, pool_w, dtype=x.dtype)

    def get_slice(k, block):
        return slice(int(np.floor(k * block)), int(np.ceil((k + 1) * block)))

    for roi_idx, roi in enumerate(rois):
        batch_idx = int(roi[0])
        j_begin, i_begin, j_end, i_end = (round(v.item() * spatial_scale) for v in roi[1:])
        roi_x = x[batch_idx, :, i_begin : i_end + 1, j_begin : j_end + 1]
        roi_height = max(i_end - i_begin, 1)
        roi_width = max(j_end - j_begin, 1)
        bin_h, bin_w = roi_height / float(pool_h), roi_width / float(pool_w)
        for i in range(0, pool_h):
            for j in range(0, pool_w):
                bin_x = roi_x[:, get_slice(i, bin_h), get_slice(j, bin_w)]
                if bin_x.numel() > 0:
                    area = bin_x.size(-2) * bin_x.size(-1)
                    for c_out in range(0, n_output_channels):
                        c_in = c_out * (pool_h * pool_w) + pool_w * i + j
                        t = torch.sum(bin_x[c_in, :, :])
                        y[roi_idx, c_out, i, j] = t / area
    return y


def _deform_expected(x, weight, offset, mask, bias, stride=1, padding=0, dilation=1):
    stride_h, stride_w = torch.nn.modules.utils._pair(stride)
    pad_h, pad_w = torch.nn.modules.utils._pair(padding)
    dil_h, dil_w = torch.nn.modules.utils._pair(dilation)
    weight_h, weight_w = weight.shape[-2:]
    n_batches, n_in_channels, in_h, in_w = x.shape
    n_out_channels = weight.shape[0]
    out_h = (in_h + 2 * pad_h - (dil_h * (weight_h - 1) + 1)) // stride_h + 1
    out_w = (in_w + 2 * pad_w - (dil_w * (weight_w - 1) + 1)) // stride_w + 1
    n_offset_grps = offset.shape[1] // (2 * weight_h * weight_w)
    in_c_per_offset_grp = n_in_channels // n_offset_grps
    n_weight_grps = n_in_channels // weight.shape[1]
    in_c_per_weight_grp = weight.shape[1]
    out_c_per_weight_grp = n_out_channels // n_weight_grps
    out = torch.zeros(n_batches, n_out_channels, out_h, out_w, dtype=x.dtype)
    for b in range(n_batches):
        for c_out in range(n_out_channels):
            for i in range(out_h):
                for j in range(out_w):
                    for di in range(weight_h):
                        for dj in range(weight_w):
                            for c in range(in_c_per_weight_grp):
                                weight_grp = c_out // out_c_per_weight_grp
                                c_in = weight_grp * in_c_per_weight_grp + c
                                offset_grp = c_in // in_c_per_offset_grp
                                mask_idx = offset_grp * (weight_h * weight_w) + di * weight_w + dj
                                offset_idx = 2 * mask_idx
                                pi = stride_h * i - pad_h + dil_h * di + offset[b, offset_idx, i, j]
                                pj = (
                                    stride_w * j
                                    - pad_w
                                    + dil_w * dj
                                    + offset[b, offset_idx + 1, i, j]
                                )
                                mask_value = 1.0
                                if mask is not None:
                                    mask_value = mask[b, mask_idx, i, j]
                                out[b, c_out, i, j] += (
                                    mask_value
                                    * weight[c_out, c, di, dj]
                                    * _bilinear_interpolate(x[b, c_in, :, :], pi, pj)
                                )
    out += bias.view(1, n_out_channels, 1, 1)
    return out


# torchvision's test case: 6 channels in 2 weight groups and 3 offset groups, 3x2 kernel
_DEFORM = dict(stride=(2, 1), padding=(1, 0), dilation=(2, 1))


@pytest.mark.parametrize("use_mask", [True, False])
def test_deform_conv2d(parity, use_mask):
    x = parity.uniform(0, 1, 1, 6, 5, 4, dtype=np.float64)
    offset = parity.randn(1, 3 * 2 * 6, 2, 3, dtype=np.float64)
    mask = parity.randn(1, 3 * 6, 2, 3, dtype=np.float64)
    weight = parity.randn(2, 3, 3, 2, dtype=np.float64)
    bias = parity.randn(2, dtype=np.float64)

    def f(fw, x, offset, weight, bias, mask=None):
        if fw is ember:
            return embervision.ops.deform_conv2d(x, offset, weight, bias, mask=mask, **_DEFORM)
        return _deform_expected(x, weight, offset, mask, bias, **_DEFORM)

    arrays = (x, offset, weight, bias) + ((mask,) if use_mask else ())
    parity.check(f, *arrays, rtol=1e-10, atol=1e-12)


def test_deform_conv2d_module_repr():
    args = (6, 4, (3, 2))
    kwargs = dict(stride=(2, 1), padding=(1, 0), dilation=(2, 1), groups=2, bias=False)
    ours = embervision.ops.DeformConv2d(*args, **kwargs)
    theirs = torchvision.ops.DeformConv2d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }


_PS_ROIS = np.array(
    [[0, 0, 0, 9, 9], [0, 0, 5, 4, 9], [0, 5, 5, 9, 9], [1, 0, 0, 9, 9], [1, 1.3, 2.2, 6.1, 7.9]]
)


@pytest.mark.parametrize(("sampling", "scale"), [(-1, 1.0), (2, 0.7)])
def test_ps_roi_align(parity, sampling, scale):
    x = parity.uniform(0, 1, 2, 2 * 3 * 3, 10, 10, dtype=np.float64)

    def f(fw, t, r):
        if fw is ember:
            return embervision.ops.ps_roi_align(t, r, 3, scale, sampling)
        return _ps_roi_align_expected(t, r, 3, 3, scale, sampling)

    parity.check(f, x, _PS_ROIS, grad=[0], rtol=1e-10, atol=1e-12)


def test_ps_roi_pool(parity):
    # boxes short of the last row and column, where torchvision's kernel stops its bins a pixel
    # early and its test reference does not
    x = parity.uniform(0, 1, 2, 2 * 2 * 3, 11, 12, dtype=np.float64)

    def f(fw, t, r):
        if fw is ember:
            return embervision.ops.ps_roi_pool(t, r, (2, 3), 1.0)
        return _ps_roi_pool_expected(t, r, 2, 3, 1.0)

    parity.check(f, x, _PS_ROIS, grad=[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["PSRoIAlign", "PSRoIPool"])
def test_ps_modules_repr(name):
    args = ((2, 2), 0.5) + ((2,) if name == "PSRoIAlign" else ())
    assert repr(getattr(embervision.ops, name)(*args)) == repr(
        getattr(torchvision.ops, name)(*args)
    )


# --------------------------------------------------------- Conv3dNormActivation, drop_block3d


def test_conv3d_norm_activation(parity):
    kwargs = dict(kernel_size=(3, 1, 2), stride=(1, 2, 1), dilation=(1, 1, 2), groups=2)
    ours = embervision.ops.Conv3dNormActivation(4, 6, **kwargs)
    theirs = torchvision.ops.Conv3dNormActivation(4, 6, **kwargs)
    state = _state(theirs)
    state["1.running_mean"] = parity.randn(6)
    state["1.running_var"] = parity.uniform(0.5, 2, 6)
    state["1.bias"] = parity.randn(6)
    modules = {"ember": _load(ours, state).eval(), "torch": _load(theirs, state).eval()}
    parity.check(lambda fw, x: modules[fw.__name__](x), parity.randn(2, 4, 5, 6, 7), rtol=1e-4)


@pytest.mark.parametrize(("p", "training"), [(0.0, True), (0.5, False)])
def test_drop_block3d_without_dropping(parity, p, training):
    parity.check(
        lambda fw, t: (embervision.ops if fw is ember else torchvision.ops).drop_block3d(
            t, p, 3, training=training
        ),
        parity.randn(2, 3, 4, 5, 6),
    )
    assert repr(embervision.ops.DropBlock3d(0.1, 3)) == repr(torchvision.ops.DropBlock3d(0.1, 3))


# ---------------------------------------------------------------------------------- utilities


def utils_of(fw):
    return embervision.utils if fw is ember else torchvision.utils


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("colors", [None, "red", [(10, 200, 30), "blue", "#FF00FF"]])
def test_draw_segmentation_masks(parity, dtype, colors):
    image = parity.integers(0, 256, 3, 9, 11).astype(np.uint8)
    if dtype == np.float32:
        image = parity.uniform(0, 1, 3, 9, 11)
    masks = parity.uniform(0, 1, 3, 9, 11) > 0.5
    parity.check(
        lambda fw, i, m: utils_of(fw).draw_segmentation_masks(i, m, 0.65, colors),
        image,
        masks,
        grad=False,
    )


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_draw_keypoints(parity, dtype):
    image = parity.integers(0, 256, 3, 30, 40).astype(np.uint8)
    if dtype == np.float32:
        image = parity.uniform(0, 1, 3, 30, 40)
    keypoints = parity.uniform(0, 30, 2, 4, 2)
    visibility = np.array([[True, True, False, True], [True, True, True, True]])
    parity.check(
        lambda fw, i, k, v: utils_of(fw).draw_keypoints(
            i, k, [(0, 1), (1, 2), (2, 3)], "orange", 2, 2, visibility=v
        ),
        image,
        keypoints,
        visibility,
        grad=False,
        rtol=1e-6,
    )


@pytest.mark.parametrize("shape", [(2, 7, 9), (3, 2, 5, 6)])
def test_flow_to_image(parity, shape):
    flow = parity.randn(*shape) * 5
    parity.check(lambda fw, f: utils_of(fw).flow_to_image(f), flow, grad=False)
    parity.check(lambda fw: utils_of(fw)._make_colorwheel())
