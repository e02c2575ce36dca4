"""3-d convolution and pooling: conv3d / conv_transpose3d and the 3-d pools against loop-by-loop
numpy references written from torch's window rules; gradients and second derivatives by finite
differences in float64; the modules; torch's error messages. The value and gradient checks run
on every backend (the ``device`` fixture), the references on the host."""

import copy
import itertools

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def _t(a, grad=False, device="cpu"):
    return ember.tensor(a, requires_grad=grad, device=device)


def _host(t):
    """A tensor's values as a numpy array on the host (from any device)."""
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------------------- references


def _conv3d_ref(x, w, b, stride, padding, dilation, groups):
    """Direct loops over output positions and kernel taps."""
    n = x.shape[0]
    o, cg = w.shape[:2]
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out = [(xp.shape[2 + i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    y = np.zeros((n, o, *out))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for pos in itertools.product(*(range(v) for v in out)):
            acc = np.zeros(n)
            for tap in itertools.product(*(range(v) for v in k)):
                idx = tuple(pos[i] * stride[i] + tap[i] * dilation[i] for i in range(3))
                acc += (
                    xp[(slice(None), slice(g * cg, (g + 1) * cg), *idx)]
                    @ w[(oc, slice(None), *tap)]
                )
            y[(slice(None), oc, *pos)] = acc + (0 if b is None else b[oc])
    return y


def _conv_transpose3d_ref(x, w, b, stride, padding, output_padding, dilation, groups):
    """Each input element scatters its kernel-weighted contribution (the adjoint of conv3d)."""
    n, c = x.shape[:2]
    cg, og = c // groups, w.shape[1]
    k = w.shape[2:]
    full = [
        (x.shape[2 + i] - 1) * stride[i] + dilation[i] * (k[i] - 1) + 1 + output_padding[i]
        for i in range(3)
    ]
    y = np.zeros((n, og * groups, *full))
    for ic in range(c):
        g = ic // cg
        for pos in itertools.product(*(range(v) for v in x.shape[2:])):
            for tap in itertools.product(*(range(v) for v in k)):
                idx = tuple(pos[i] * stride[i] + tap[i] * dilation[i] for i in range(3))
                y[(slice(None), slice(g * og, (g + 1) * og), *idx)] += (
                    x[(slice(None), ic, *pos)][:, None] * w[(ic, slice(None), *tap)][None, :]
                )
    crop = tuple(slice(p, f - p) for p, f in zip(padding, full))
    y = y[(slice(None), slice(None), *crop)]
    if b is not None:
        y = y + b.reshape(-1, 1, 1, 1)
    return y


def _pool_out(n, k, s, p, d, ceil_mode):
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool3d_ref(x, k, s, p, d, ceil_mode, kind, count_include_pad=True, divisor=None):
    """Max (value, flat index) or average of every window, element by element."""
    size = x.shape[-3:]
    out = [_pool_out(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3)]
    lead = x.shape[:-3]
    y = np.zeros((*lead, *out))
    index = np.zeros((*lead, *out), dtype=np.int64)
    for plane in itertools.product(*(range(v) for v in lead)):
        for pos in itertools.product(*(range(v) for v in out)):
            best, where, total, count = -np.inf, None, 0.0, 1
            for i in range(3):
                start = pos[i] * s[i] - p[i]
                end = min(start + k[i], size[i] + p[i])
                if not count_include_pad:
                    start, end = max(start, 0), min(end, size[i])
                count *= end - start
            for tap in itertools.product(*(range(v) for v in k)):
                idx = [pos[i] * s[i] - p[i] + tap[i] * d[i] for i in range(3)]
                if all(0 <= idx[i] < size[i] for i in range(3)):
                    v = x[(*plane, *idx)]
                    total += v
                    if v > best or where is None:
                        best, where = v, (idx[0] * size[1] + idx[1]) * size[2] + idx[2]
            if kind == "max":
                y[(*plane, *pos)], index[(*plane, *pos)] = best, where
            else:
                y[(*plane, *pos)] = total / (divisor or count)
    return (y, index) if kind == "max" else y


def _adaptive_ref(x, out, kind):
    size = x.shape[-3:]
    bounds = [[(i * n // o, -(-(i + 1) * n // o)) for i in range(o)] for n, o in zip(size, out)]
    y = np.zeros((*x.shape[:-3], *out))
    for pos in itertools.product(*(range(o) for o in out)):
        window = x[(..., *(slice(*bounds[i][pos[i]]) for i in range(3)))]
        flat = window.reshape(*window.shape[:-3], -1)
        y[(..., *pos)] = flat.max(-1) if kind == "max" else flat.mean(-1)
    return y


# ------------------------------------------------------------------------------- convolution

CONV_CASES = [
    # in, out, groups, kernel, stride, padding, dilation
    (2, 3, 1, (2, 2, 2), (1, 1, 1), (0, 0, 0), (1, 1, 1)),
    (4, 6, 2, (2, 3, 1), (2, 1, 2), (1, 0, 0), (1, 2, 1)),
    (3, 3, 3, (3, 1, 2), (1, 2, 1), (0, 1, 1), (2, 1, 1)),
]


@pytest.mark.parametrize("cin, cout, groups, kernel, stride, padding, dilation", CONV_CASES)
def test_conv3d_matches_loops(cin, cout, groups, kernel, stride, padding, dilation, device):
    x = rng.standard_normal((2, cin, 6, 5, 4))
    w = rng.standard_normal((cout, cin // groups, *kernel))
    b = rng.standard_normal(cout)
    y = F.conv3d(*(_t(a, device=device) for a in (x, w, b)), stride, padding, dilation, groups)
    assert y.device.type == device
    expected = _conv3d_ref(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(_host(y), expected, atol=1e-12)


@pytest.mark.parametrize("cin, cout, groups, kernel, stride, padding, dilation", CONV_CASES)
def test_conv_transpose3d_matches_loops(
    cin, cout, groups, kernel, stride, padding, dilation, device
):
    x = rng.standard_normal((2, cin, 3, 4, 3))
    w = rng.standard_normal((cin, cout // groups, *kernel))
    b = rng.standard_normal(cout)
    output_padding = tuple(min(s, d) - 1 for s, d in zip(stride, dilation))
    x_, w_, b_ = (_t(a, device=device) for a in (x, w, b))
    y = F.conv_transpose3d(x_, w_, b_, stride, padding, output_padding, groups, dilation)
    assert y.device.type == device
    expected = _conv_transpose3d_ref(x, w, b, stride, padding, output_padding, dilation, groups)
    np.testing.assert_allclose(_host(y), expected, atol=1e-12)


def test_conv3d_gradients(device):
    x = _t(rng.standard_normal((1, 2, 4, 3, 3)), True, device)
    w = _t(rng.standard_normal((2, 1, 2, 2, 1)), True, device)
    b = _t(rng.standard_normal(2), True, device)
    gradcheck(lambda a, v, c: F.conv3d(a, v, c, (2, 1, 1), 1, (1, 2, 1), groups=2), (x, w, b))
    gradgradcheck(lambda a, v: F.conv3d(a, v, None, 1, (1, 0, 0), groups=2), (x, w))


def test_conv_transpose3d_gradients(device):
    x = _t(rng.standard_normal((1, 2, 2, 3, 2)), True, device)
    w = _t(rng.standard_normal((2, 2, 2, 1, 2)), True, device)
    b = _t(rng.standard_normal(2), True, device)
    gradcheck(lambda a, v, c: F.conv_transpose3d(a, v, c, 2, (1, 0, 0), (1, 0, 1)), (x, w, b))
    gradgradcheck(lambda a, v: F.conv_transpose3d(a, v, stride=(2, 1, 1)), (x, w))


def test_conv3d_same_padding_and_unbatched():
    x = rng.standard_normal((2, 5, 4, 6))
    w = rng.standard_normal((3, 2, 2, 3, 4))
    y = F.conv3d(_t(x), _t(w), padding="same", dilation=(2, 1, 1))
    # torch pads an odd total with the extra zero after the input
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (1, 2)])
    expected = _conv3d_ref(padded[None], w, None, (1, 1, 1), (0, 0, 0), (2, 1, 1), 1)[0]
    assert y.shape == (3, 5, 4, 6)
    np.testing.assert_allclose(y.numpy(), expected)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv3d_module_padding_modes(mode, device):
    conv = nn.Conv3d(2, 3, (3, 2, 3), padding=(1, 1, 1), padding_mode=mode, dtype=ember.float64)
    conv = conv.to(device)
    x = _t(rng.standard_normal((1, 2, 3, 4, 5)), device=device)
    expected = F.conv3d(F.pad(x, (1, 1, 1, 1, 1, 1), mode=mode), conv.weight, conv.bias)
    y = conv(x)
    assert y.device.type == device
    np.testing.assert_allclose(_host(y), _host(expected))


def test_conv3d_modules():
    conv = nn.Conv3d(4, 6, 3, stride=2, groups=2, bias=False)
    assert conv.weight.shape == (6, 2, 3, 3, 3) and conv.bias is None
    assert (
        repr(conv) == "Conv3d(4, 6, kernel_size=(3, 3, 3), stride=(2, 2, 2), groups=2, bias=False)"
    )
    assert conv(ember.randn(1, 4, 7, 7, 7)).shape == (1, 6, 3, 3, 3)
    up = nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1)
    assert up.weight.shape == (4, 2, 3, 3, 3)
    assert up(ember.randn(4, 3, 3, 3)).shape == (2, 5, 5, 5)
    assert up(ember.randn(1, 4, 3, 3, 3), output_size=(6, 5, 6)).shape == (1, 2, 6, 5, 6)
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose3d(2, 2, 2, padding_mode="reflect")


def test_conv3d_errors():
    x = ember.randn(1, 2, 4, 4, 4)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv3d(x, ember.randn(2, 2, 5, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 4D \(unbatched\) or 5D \(batched\)"):
        F.conv3d(ember.randn(2, 4, 4), ember.randn(2, 2, 1, 1, 1))
    with pytest.raises(RuntimeError, match="output_padding_depth: 2 output_padding_height: 0"):
        F.conv_transpose3d(x, ember.randn(2, 2, 2, 2, 2), stride=2, output_padding=(2, 0, 0))
    with pytest.raises(RuntimeError, match="dilation_depth: 0, dilation_height: 1"):
        F.conv_transpose3d(x, ember.randn(2, 2, 2, 2, 2), dilation=(0, 1, 1))


# ------------------------------------------------------------------------------- pooling

POOL_CASES = [
    # kernel, stride, padding, dilation, ceil_mode
    ((2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), False),
    ((3, 2, 3), (2, 1, 2), (1, 1, 1), (1, 2, 1), True),
    ((2, 3, 2), (1, 2, 3), (0, 1, 1), (2, 1, 1), True),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", POOL_CASES)
def test_max_pool3d_matches_loops(kernel, stride, padding, dilation, ceil_mode, device):
    x = rng.standard_normal((2, 2, 6, 5, 7))
    xt = _t(x, device=device)
    y, idx = F.max_pool3d(xt, kernel, stride, padding, dilation, ceil_mode, True)
    ref, ref_idx = _pool3d_ref(x, kernel, stride, padding, dilation, ceil_mode, "max")
    assert y.device.type == idx.device.type == device
    np.testing.assert_array_equal(_host(y), ref)
    np.testing.assert_array_equal(_host(idx), ref_idx)
    assert idx.dtype == ember.int64
    again = F.max_pool3d_with_indices(xt, kernel, stride, padding, dilation, ceil_mode)
    np.testing.assert_array_equal(_host(again[1]), ref_idx)


def test_max_pool3d_ties_take_the_first():
    x = np.zeros((1, 2, 4, 4, 4))
    _, idx = F.max_pool3d(_t(x), 2, return_indices=True)
    np.testing.assert_array_equal(
        idx.numpy(), _pool3d_ref(x, (2,) * 3, (2,) * 3, (0,) * 3, (1,) * 3, False, "max")[1]
    )


@pytest.mark.parametrize("kernel, stride, padding, _, ceil_mode", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool3d_matches_loops(kernel, stride, padding, _, ceil_mode, count_include_pad, device):
    x = rng.standard_normal((2, 6, 5, 7))
    xt = _t(x, device=device)
    y = F.avg_pool3d(xt, kernel, stride, padding, ceil_mode, count_include_pad)
    ref = _pool3d_ref(x, kernel, stride, padding, (1, 1, 1), ceil_mode, "avg", count_include_pad)
    assert y.device.type == device
    np.testing.assert_allclose(_host(y), ref, atol=1e-12)
    y = F.avg_pool3d(xt, kernel, stride, padding, ceil_mode, divisor_override=3)
    ref = _pool3d_ref(x, kernel, stride, padding, (1, 1, 1), ceil_mode, "avg", divisor=3)
    np.testing.assert_allclose(_host(y), ref, atol=1e-12)


def test_avg_pool3d_integers_truncate():
    x = rng.integers(-9, 9, (1, 1, 4, 4, 4))
    y = F.avg_pool3d(ember.tensor(x), 2)
    window_sums = x.reshape(1, 1, 2, 2, 2, 2, 2, 2).sum((3, 5, 7))
    np.testing.assert_array_equal(y.numpy(), np.trunc(window_sums / 8).astype(np.int64))


@pytest.mark.parametrize("out", [(2, 3, 4), 1, (None, 2, 5), (5, 4, 3)])
def test_adaptive_pool3d_matches_loops(out, device):
    x = rng.standard_normal((2, 3, 5, 4, 3))
    xt = _t(x, device=device)
    size = out if isinstance(out, tuple) else (out,) * 3
    size = tuple(n if o is None else o for n, o in zip(x.shape[-3:], size))
    avg = F.adaptive_avg_pool3d(xt, out)
    assert avg.device.type == device
    np.testing.assert_allclose(_host(avg), _adaptive_ref(x, size, "avg"), atol=1e-12)
    y, idx = F.adaptive_max_pool3d(xt, out, return_indices=True)
    assert y.device.type == idx.device.type == device
    np.testing.assert_array_equal(_host(y), _adaptive_ref(x, size, "max"))
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, _host(idx).reshape(2, 3, -1), 2), _host(y).reshape(2, 3, -1)
    )
    assert F.adaptive_max_pool3d_with_indices(xt, out)[1].dtype == ember.int64


def test_pool3d_gradients(device):
    x = _t(rng.standard_normal((1, 2, 4, 3, 5)), True, device)
    gradcheck(lambda a: F.max_pool3d(a, (2, 2, 3), (1, 2, 1), (1, 0, 1), ceil_mode=True), (x,))
    gradcheck(lambda a: F.avg_pool3d(a, 2, 1, 1, count_include_pad=False), (x,))
    gradgradcheck(lambda a: F.avg_pool3d(a, (2, 1, 2), ceil_mode=True), (x,))
    gradcheck(lambda a: F.adaptive_avg_pool3d(a, (3, 2, 2)), (x,))
    gradcheck(lambda a: F.adaptive_max_pool3d(a, (3, 2, 4)), (x,))
    positive = _t(rng.uniform(0.5, 2.0, (1, 4, 4, 4)), True, device)
    gradcheck(lambda a: F.lp_pool3d(a, 2.0, 2, 1), (positive,))


def test_lp_pool3d():
    x = rng.uniform(0.1, 2, (1, 4, 4, 4))
    y = F.lp_pool3d(_t(x), 3.0, 2)
    sums = (x**3).reshape(1, 2, 2, 2, 2, 2, 2).sum((2, 4, 6))
    np.testing.assert_allclose(y.numpy(), sums ** (1 / 3))


def test_max_unpool3d_inverts_max_pool3d(device):
    x = _t(rng.standard_normal((2, 3, 5, 4, 6)), device=device)
    y, idx = F.max_pool3d(x, 2, return_indices=True)
    back = F.max_unpool3d(y, idx, 2, output_size=(5, 4, 6))
    assert back.device.type == device
    kept = _host(back) != 0
    np.testing.assert_array_equal(_host(back)[kept], _host(x)[kept])
    assert kept.sum() == y.numel()
    assert nn.MaxUnpool3d(2)(y, idx).shape == (2, 3, 4, 4, 6)
    v = _t(_host(y), True, device)
    gradcheck(lambda a: F.max_unpool3d(a, idx, 2), (v,))
    with pytest.raises(
        RuntimeError, match=r"Found an invalid max index: 1000 \(output volumes are of size 4x4x6\)"
    ):
        F.max_unpool3d(y, idx + 1000 - idx, 2)


def test_pool3d_modules():
    x = ember.randn(1, 2, 4, 6, 6)
    pool = nn.MaxPool3d(2, return_indices=True)
    y, idx = pool(x)
    assert y.shape == idx.shape == (1, 2, 2, 3, 3)
    assert (
        repr(pool) == "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert nn.AvgPool3d((2, 3, 3), divisor_override=2)(x).shape == (1, 2, 2, 2, 2)
    assert nn.AdaptiveAvgPool3d((1, None, 2))(x).shape == (1, 2, 1, 6, 2)
    assert len(nn.AdaptiveMaxPool3d(2, return_indices=True)(x)) == 2
    assert nn.LPPool3d(2, 2)(x.abs()).shape == (1, 2, 2, 3, 3)


def test_3d_network_on_device_matches_cpu(device):
    """A small float32 network of every 3-d layer: its output and each parameter's gradient on
    ``device`` agree with the same network's on the CPU."""
    ember.manual_seed(0)
    net = nn.Sequential(
        nn.Conv3d(2, 4, 3, padding=1),
        nn.Tanh(),
        nn.MaxPool3d(2),
        nn.ConvTranspose3d(4, 3, 2, stride=2),
        nn.AvgPool3d((1, 2, 2)),
        nn.AdaptiveMaxPool3d((2, 3, 3)),
        nn.AdaptiveAvgPool3d(1),
    )
    moved = copy.deepcopy(net).to(device)
    x = rng.standard_normal((2, 2, 6, 8, 8)).astype(np.float32)
    expected, y = net(_t(x)), moved(_t(x, device=device))
    assert y.device.type == device and y.dtype == ember.float32 and y.shape == (2, 3, 1, 1, 1)
    np.testing.assert_allclose(_host(y), _host(expected), rtol=1e-4, atol=1e-5)
    expected.square().sum().backward()
    y.square().sum().backward()
    for reference, p in zip(net.parameters(), moved.parameters()):
        assert p.grad.device.type == device
        np.testing.assert_allclose(_host(p.grad), _host(reference.grad), rtol=1e-4, atol=1e-5)


def test_pool3d_errors():
    x = ember.randn(1, 2, 4, 4, 4)
    with pytest.raises(RuntimeError, match="non-empty 4D or 5D"):
        F.max_pool3d(ember.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="tuple of three ints"):
        F.max_pool3d(x, (2, 2))
    with pytest.raises(RuntimeError, match=r"Calculated output size: \(2x0x0x0\)"):
        F.max_pool3d(x, 5)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.avg_pool3d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool3d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match=r"Expected 4D or 5D tensor, but got: \[4, 4\]"):
        F.adaptive_max_pool3d(ember.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="output_size must be 3"):
        F.adaptive_avg_pool3d(x, (2, 2))
