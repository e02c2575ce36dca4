"""Winograd F(2x2, 3x3) convolution: its forward and weight-gradient kernels against float64
direct definitions (sizes odd and even, paddings 0-3, groups, blocks), float32 accuracy,
gradients through conv2d on the Winograd path, and which convolutions go there."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.ops import _winograd
from ember.ops import conv as conv_module
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


def _windows(x, pads, groups):
    """(N, G, C/G, OH, OW, 3, 3) float64 windows of the zero-padded x."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), *pads))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    n, c, oh, ow = windows.shape[:4]
    return windows.reshape(n, groups, c // groups, oh, ow, 3, 3)


def _conv3x3_ref(x, w, pads=((0, 0), (0, 0)), groups=1):
    """Direct definition in float64: every output is a window of the padded input times a
    filter, summed."""
    windows = _windows(x, pads, groups)
    n, _, _, oh, ow = windows.shape[:5]
    o = w.shape[0]
    wg = w.astype(np.float64).reshape(groups, o // groups, -1, 3, 3)
    return np.einsum("ngchwij,gocij->ngohw", windows, wg, optimize=True).reshape(n, o, oh, ow)


def _conv3x3_weight_ref(x, gy, pads=((0, 0), (0, 0)), groups=1):
    """Direct definition: the weight gradient is every window times its output's gradient,
    summed over images and windows."""
    windows = _windows(x, pads, groups)
    n, o, oh, ow = gy.shape
    gyg = gy.astype(np.float64).reshape(n, groups, o // groups, oh, ow)
    return np.einsum("ngchwij,ngohw->gocij", windows, gyg, optimize=True).reshape(o, -1, 3, 3)


def _winograd_on(monkeypatch):
    """Send every 3x3 stride-1 float convolution through Winograd, and count the calls."""
    monkeypatch.setattr(conv_module, "_WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv_module, "_WINOGRAD_MIN_OUT_CHANNELS", 1)
    no_minimum = dict.fromkeys(conv_module._WINOGRAD_MIN_TILE_USE, 0.0)
    monkeypatch.setattr(conv_module, "_WINOGRAD_MIN_TILE_USE", no_minimum)
    return _spy(monkeypatch)


def _spy(monkeypatch):
    """Record each call of the Winograd kernels: (name, shape of x, shape of w or gy)."""
    calls = []
    for name in ("conv3x3", "conv3x3_weight"):
        kernel = getattr(_winograd, name)

        def spy(x, w, *args, name=name, kernel=kernel):
            calls.append((name, x.shape, w.shape))
            return kernel(x, w, *args)

        monkeypatch.setattr(_winograd, name, spy)
    return calls


KERNEL_CASES = [
    # x shape, weight shape, padding (rows, columns), groups
    ((2, 3, 8, 8), (4, 3, 3, 3), (1, 1), 1),  # even output, 'same'
    ((3, 2, 7, 9), (5, 2, 3, 3), (1, 1), 1),  # odd output: half-filled last tiles
    ((1, 4, 9, 6), (3, 4, 3, 3), (0, 0), 1),  # no padding
    ((2, 2, 5, 4), (2, 2, 3, 3), (2, 0), 1),  # padding 2 rows, none across
    ((1, 1, 3, 3), (1, 1, 3, 3), (0, 0), 1),  # a single output pixel
    ((2, 1, 2, 3), (3, 1, 3, 3), (3, 2), 1),  # padding wider than the kernel reaches
    ((2, 4, 6, 7), (6, 2, 3, 3), (1, 1), 2),  # groups
]


@pytest.mark.parametrize(("xs", "ws", "padding", "groups"), KERNEL_CASES, ids=str)
def test_kernel_matches_direct_convolution(xs, ws, padding, groups):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    pads = tuple((p, p) for p in padding)
    expected = _conv3x3_ref(x, w, pads, groups)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        y = _winograd.conv3x3(x.astype(dtype), w.astype(dtype), padding, expected.shape[2:], groups)
        assert y.dtype == dtype and y.shape == expected.shape
        assert_close(y, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize(("xs", "ws", "padding", "groups"), KERNEL_CASES, ids=str)
def test_weight_gradient_kernel_matches_direct_definition(xs, ws, padding, groups):
    pads = tuple((p, p) for p in padding)
    x = rng.standard_normal(xs)
    gy = rng.standard_normal(_conv3x3_ref(x, rng.standard_normal(ws), pads, groups).shape)
    expected = _conv3x3_weight_ref(x, gy, pads, groups)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        gw = _winograd.conv3x3_weight(x.astype(dtype), gy.astype(dtype), padding, groups)
        assert gw.dtype == dtype and gw.shape == ws
        assert_close(gw, expected, rtol=tol, atol=tol)


def test_kernel_crops_to_the_output_size():
    # padding='same' with an even kernel extent pads more after than before; the kernel only
    # gets the padding before and the output size
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((2, 3, 3, 3))
    full = _conv3x3_ref(x, w, ((1, 1), (1, 1)))
    for size in [(6, 7), (5, 6), (4, 7)]:
        assert_close(_winograd.conv3x3(x, w, (1, 1), size), full[:, :, : size[0], : size[1]])
        gy = rng.standard_normal((2, 2, *size))
        gw = _conv3x3_weight_ref(
            x, np.pad(gy, ((0, 0), (0, 0), (0, 6 - size[0]), (0, 7 - size[1]))), ((1, 1), (1, 1))
        )
        assert_close(_winograd.conv3x3_weight(x, gy, (1, 1)), gw)


@pytest.mark.parametrize(("block_bytes", "chunk"), [(1, 5), (40_000, 64), (200_000, 1000)])
def test_blocks_and_chunks_do_not_change_the_result(monkeypatch, block_bytes, chunk):
    # single tile rows of one image, several tile rows, several images to a block; transform
    # chunks that end mid-row and mid-channel
    x, w = rng.standard_normal((3, 4, 11, 10)), rng.standard_normal((5, 4, 3, 3))
    expected = _conv3x3_ref(x, w, ((1, 1), (1, 1)))
    monkeypatch.setattr(_winograd, "_BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(_winograd, "_CHUNK", chunk)
    assert_close(_winograd.conv3x3(x, w, (1, 1), (11, 10)), expected, rtol=1e-12, atol=1e-12)
    gy = rng.standard_normal(expected.shape)
    gw = _winograd.conv3x3_weight(x, gy, (1, 1))
    assert_close(gw, _conv3x3_weight_ref(x, gy, ((1, 1), (1, 1))), rtol=1e-12, atol=1e-12)


def test_float32_accuracy_on_a_vgg_sized_layer():
    # relative to the float64 result, Winograd F(2x2, 3x3) in float32 is as accurate as the
    # im2col GEMM (both ~5e-7 here); F(4x4, 3x3) would be ~1e-5
    x = rng.standard_normal((1, 256, 12, 12)).astype(np.float32)
    w = (rng.uniform(-1, 1, (32, 256, 3, 3)) / np.sqrt(9 * 256)).astype(np.float32)
    expected = _conv3x3_ref(x, w, ((1, 1), (1, 1)))
    y = _winograd.conv3x3(x, w, (1, 1), (12, 12))
    assert np.abs(y - expected).max() / np.abs(expected).max() < 2e-6


def test_inf_input_is_quiet():
    # inf - inf = nan inside the transforms raises no numpy warning (errors, under pytest)
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.inf
    y = _winograd.conv3x3(x, np.ones((1, 1, 3, 3)), (1, 1), (4, 4))
    assert not np.isfinite(y[0, 0, :3, :3]).any() and np.isfinite(y[0, 0, 3]).all()


def test_kernel_on_device(device):
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    xd = ember.tensor(x, device=device)._data
    wd = ember.tensor(w, device=device)._data
    y = _winograd.conv3x3(xd, wd, (1, 1), (7, 6))
    assert_close(ember.tensor(y), _conv3x3_ref(x, w, ((1, 1), (1, 1))))
    gw = _winograd.conv3x3_weight(xd, y, (1, 1))
    assert_close(
        ember.tensor(gw), _conv3x3_weight_ref(x, ember.tensor(y).cpu().numpy(), ((1, 1), (1, 1)))
    )


@pytest.mark.parametrize(
    ("xs", "ws", "kwargs"),
    [
        ((2, 2, 5, 6), (3, 2, 3, 3), {"padding": 1}),
        ((1, 4, 6, 5), (4, 2, 3, 3), {"padding": 2, "groups": 2}),
        ((2, 3, 5, 5), (2, 3, 3, 3), {}),
    ],
    ids=str,
)
def test_conv2d_gradients_on_the_winograd_path(monkeypatch, xs, ws, kwargs):
    calls = _winograd_on(monkeypatch)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    p = kwargs.get("padding", 0)
    groups = kwargs.get("groups", 1)
    check_op(
        lambda x, w, b: F.conv2d(x, w, b, **kwargs),
        lambda x, w, b: _conv3x3_ref(x, w, ((p, p), (p, p)), groups) + b[:, None, None],
        x,
        w,
        b,
    )
    # the forward, the input gradient as the stride-1 conv of the flipped kernel, the weight
    # gradient
    assert ("conv3x3", xs, ws) in calls
    assert any(name == "conv3x3" and gy[1] == ws[0] for name, gy, _ in calls)
    assert any(name == "conv3x3_weight" and x == xs for name, x, _ in calls)


def test_conv2d_second_order_on_the_winograd_path(monkeypatch):
    calls = _winograd_on(monkeypatch)
    x = ember.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, w))
    assert calls


def test_vgg_sized_layers_take_the_winograd_path(monkeypatch):
    calls = _spy(monkeypatch)
    x = ember.tensor(rng.standard_normal((1, 128, 16, 16)).astype(np.float32), requires_grad=True)
    w = ember.tensor(rng.standard_normal((64, 128, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert calls == [("conv3x3", (1, 128, 16, 16), (64, 128, 3, 3))]
    y.backward(ember.ones_like(y))
    # the input gradient, a convolution of 64 channels into 128, keeps im2col
    assert calls[1:] == [("conv3x3_weight", (1, 128, 16, 16), (1, 64, 16, 16))]
    assert_close(
        y,
        _conv3x3_ref(x.detach().numpy(), w.detach().numpy(), ((1, 1), (1, 1))),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize(
    ("xs", "ws", "kwargs", "dtype"),
    [
        ((1, 128, 8, 8), (32, 128, 3, 3), {"padding": 1}, np.float32),  # too few outputs
        ((1, 128, 8, 8), (128, 128, 3, 3), {"padding": 1}, np.float32),  # tiles 36% halo
        ((1, 128, 8, 8), (128, 128, 3, 3), {"padding": 1, "stride": 2}, np.float32),
        ((1, 128, 9, 9), (128, 128, 3, 3), {"padding": 2, "dilation": 2}, np.float32),
        ((1, 128, 8, 8), (128, 128, 5, 5), {"padding": 2}, np.float32),
        ((1, 128, 8, 8), (128, 128, 3, 3), {"padding": 1}, np.int64),
    ],
    ids=str,
)
def test_other_convolutions_keep_im2col(monkeypatch, xs, ws, kwargs, dtype):
    calls = _spy(monkeypatch)
    grad = dtype != np.int64
    x = ember.tensor(rng.integers(-3, 3, xs).astype(dtype), requires_grad=grad)
    w = ember.tensor(rng.integers(-3, 3, ws).astype(dtype), requires_grad=grad)
    y = F.conv2d(x, w, **kwargs)
    if grad:
        y.sum().backward()
    assert calls == []


@pytest.mark.parametrize(
    ("xs", "ws", "backward"),
    [
        # 64 -> 128 channels: the forward and the weight gradient keep im2col; the input
        # gradient, a convolution of 128 channels into 64, takes Winograd
        ((1, 64, 16, 16), (128, 64, 3, 3), [("conv3x3", (1, 128, 16, 16), (64, 128, 3, 3))]),
        # widening on a small image keeps im2col; its gradients take Winograd
        (
            (1, 128, 16, 16),
            (256, 128, 3, 3),
            [
                ("conv3x3", (1, 256, 16, 16), (128, 256, 3, 3)),
                ("conv3x3_weight", (1, 128, 16, 16), (1, 256, 16, 16)),
            ],
        ),
    ],
    ids=str,
)
def test_forward_keeps_im2col_gradients_do_not(monkeypatch, xs, ws, backward):
    calls = _spy(monkeypatch)
    x = ember.tensor(rng.standard_normal(xs).astype(np.float32), requires_grad=True)
    w = ember.tensor(rng.standard_normal(ws).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert calls == []
    y.sum().backward()
    assert sorted(calls) == backward
