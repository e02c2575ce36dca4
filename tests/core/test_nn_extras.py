"""torch.nn pieces outside the main families: fractional max pooling (against a loop-by-loop
reference of torch's kernel), CrossMapLRN2d (against torch's legacy running-sum algorithm),
the hook-based spectral norm, conv/linear-BatchNorm fusion, functional_call, skip_init, the
memory-format converters, nn.init.sparse_ and the deprecated aliases."""

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.ops.fractional_pool import _intervals

rng = np.random.default_rng(0)


# ----------------------------------------------------------------------- fractional max pool


def _intervals_ref(u, n, o, k):
    """torch's ``generate_intervals``, element by element, in ``u``'s float dtype."""
    f = type(u)
    if o == 1:
        return [n - k]
    alpha = f(n - k) / f(o - 1)
    return [int((f(i) + u) * alpha) - int(u * alpha) for i in range(o - 1)] + [n - k]


def _fractional_ref(x, kernel, out, samples):
    """Loop-by-loop torch kernel: samples ``(N, C, nd)`` in torch's layout (2-d: width then
    height); a window's maximum replaces on ``>`` or NaN, its index starts at its first
    element."""
    nd = len(kernel)
    batched = x.ndim == nd + 2
    xb = x if batched else x[None]
    size = xb.shape[2:]
    y = np.zeros((*xb.shape[:2], *out), dtype=x.dtype)
    idx = np.zeros(y.shape, dtype=np.int64)
    for n in range(xb.shape[0]):
        for c in range(xb.shape[1]):
            u = samples[n, c][::-1] if nd == 2 else samples[n, c]
            starts = [_intervals_ref(u[d], size[d], out[d], kernel[d]) for d in range(nd)]
            for o in np.ndindex(*out):
                best, where = -np.inf, None
                for t in np.ndindex(*kernel):
                    pos = tuple(starts[d][o[d]] + t[d] for d in range(nd))
                    flat = int(np.ravel_multi_index(pos, size))
                    if where is None:
                        where = flat
                    v = xb[(n, c, *pos)]
                    if v > best or np.isnan(v):
                        best, where = v, flat
                y[(n, c, *o)], idx[(n, c, *o)] = best, where
    return (y, idx) if batched else (y[0], idx[0])


def test_intervals_hand_computed():
    # alpha = (10 - 2) / 3: u = 0.1 gives int(0.27) - 0, int(2.93) - 0, int(5.6) - 0, then the
    # last start 8; u = 0.9 gives int(2.4) - 2, int(5.07) - 2, int(7.73) - 2
    u = np.array([0.1, 0.9, 0.5])
    np.testing.assert_array_equal(
        _intervals(u, 10, 4, 2), [[0, 2, 5, 8], [0, 3, 5, 8], [0, 3, 5, 8]]
    )
    np.testing.assert_array_equal(_intervals(u, 7, 1, 3), [[4], [4], [4]])
    for dtype in (np.float16, np.float32, np.float64):
        u = rng.random(20).astype(dtype)
        expected = [_intervals_ref(v, 97, 61, 3) for v in u]
        np.testing.assert_array_equal(_intervals(u, 97, 61, 3), expected)


@pytest.mark.parametrize(
    "shape, kernel, out",
    [((2, 3, 9, 8), (2, 3), (4, 5)), ((3, 7, 6), 2, (6, 3)), ((1, 2, 5, 5), 3, 1)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool2d_matches_reference(shape, kernel, out, dtype, device):
    x = rng.standard_normal(shape).astype(dtype)
    samples = rng.random((shape[0] if len(shape) == 4 else 1, shape[-3], 2)).astype(dtype)
    y, idx = F.fractional_max_pool2d(
        ember.tensor(x, device=device),
        kernel,
        output_size=out,
        return_indices=True,
        _random_samples=ember.tensor(samples, device=device),
    )
    k = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    o = out if isinstance(out, tuple) else (out, out)
    y_ref, idx_ref = _fractional_ref(x, k, o, samples)
    np.testing.assert_array_equal(y.cpu().numpy(), y_ref)
    np.testing.assert_array_equal(idx.cpu().numpy(), idx_ref)
    assert idx.dtype == ember.int64 and y.dtype == ember.tensor(x).dtype


@pytest.mark.parametrize(
    "shape, kernel, out", [((2, 3, 7, 6, 8), (2, 3, 2), (4, 3, 5)), ((2, 6, 5, 7), 2, 3)]
)
def test_fractional_max_pool3d_matches_reference(shape, kernel, out, device):
    x = rng.standard_normal(shape)
    samples = rng.random((shape[0] if len(shape) == 5 else 1, shape[-4], 3))
    y, idx = F.fractional_max_pool3d_with_indices(
        ember.tensor(x, device=device),
        kernel,
        output_size=out,
        _random_samples=ember.tensor(samples, device=device),
    )
    k = kernel if isinstance(kernel, tuple) else (kernel,) * 3
    o = out if isinstance(out, tuple) else (out,) * 3
    y_ref, idx_ref = _fractional_ref(x, k, o, samples)
    np.testing.assert_array_equal(y.cpu().numpy(), y_ref)
    np.testing.assert_array_equal(idx.cpu().numpy(), idx_ref)


def test_fractional_max_pool_nan_inf_and_ties(device):
    x = np.array([[[[1.0, 3.0, 3.0, np.nan], [np.nan, 0.0, np.nan, 1.0], [-np.inf] * 4]]])
    samples = np.zeros((1, 1, 2))
    y, idx = F.fractional_max_pool2d(
        ember.tensor(x, device=device),
        (1, 3),
        output_size=(3, 2),
        return_indices=True,
        _random_samples=ember.tensor(samples, device=device),
    )
    y_ref, idx_ref = _fractional_ref(x, (1, 3), (3, 2), samples)
    # windows of columns 0-2 and 1-3. Row 0: the first 3 (a tie), the NaN; row 1: the last
    # NaN of each window; row 2: the first -inf
    np.testing.assert_array_equal(idx_ref[0, 0], [[1, 3], [6, 6], [8, 9]])
    np.testing.assert_array_equal(y.cpu().numpy(), y_ref)
    np.testing.assert_array_equal(idx.cpu().numpy(), idx_ref)


def test_fractional_max_pool_gradients(device):
    x = ember.tensor(rng.standard_normal((2, 3, 8, 9)), device=device, requires_grad=True)
    s = ember.tensor(rng.random((2, 3, 2)), device=device)
    pool = lambda t: F.fractional_max_pool2d(t, 2, output_size=(5, 6), _random_samples=s)  # noqa: E731
    assert gradcheck(pool, (x,))
    assert gradgradcheck(pool, (x,))
    v = ember.tensor(rng.standard_normal((1, 2, 6, 5, 7)), device=device, requires_grad=True)
    s3 = ember.tensor(rng.random((1, 2, 3)), device=device)
    assert gradcheck(
        lambda t: F.fractional_max_pool3d(t, (2, 3, 2), output_size=(3, 2, 4), _random_samples=s3),
        (v,),
    )


def test_fractional_max_pool_gradient_is_scatter_of_indices():
    # overlapping windows: an element that is the maximum of two windows gets both gradients
    x = ember.tensor(rng.standard_normal((1, 1, 6, 6)), requires_grad=True)
    y, idx = F.fractional_max_pool2d(x, 3, output_size=4, return_indices=True)
    gy = rng.standard_normal(y.shape)
    y.backward(ember.tensor(gy, dtype=y.dtype))
    expected = np.zeros(36)
    np.add.at(expected, idx.numpy().ravel(), gy.ravel())
    np.testing.assert_allclose(x.grad.numpy().ravel(), expected, rtol=1e-6)


def test_fractional_max_pool_unpool_round_trip():
    x = ember.randn(2, 3, 7, 7)
    y, idx = F.fractional_max_pool2d(x, 2, output_size=5, return_indices=True)
    restored = F.max_unpool2d(y, idx, 3, stride=1)  # a (7, 7) output
    assert ((restored == 0) | (restored == x)).all()
    assert bool((F.max_pool2d(restored, 7) <= F.max_pool2d(x, 7)).all())


def test_fractional_max_pool_output_ratio_and_random_samples():
    x = ember.randn(2, 3, 10, 9)
    assert F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.7)).shape == (2, 3, 5, 6)
    assert F.fractional_max_pool2d(x, 2, output_ratio=0.5).shape == (2, 3, 5, 4)
    assert F.fractional_max_pool3d(ember.randn(3, 8, 8, 8), 2, output_ratio=0.5).shape == (
        3,
        4,
        4,
        4,
    )
    ember.manual_seed(3)
    a = F.fractional_max_pool2d(x, 2, output_size=6)
    ember.manual_seed(3)
    assert ember.equal(a, F.fractional_max_pool2d(x, 2, output_size=6))
    # an empty batch gives an empty output
    assert F.fractional_max_pool2d(ember.randn(0, 3, 7, 6), 2, output_size=3).shape == (0, 3, 3, 3)
    # extra sample rows are ignored, as in torch
    s = ember.rand(5, 3, 2)
    assert ember.equal(
        F.fractional_max_pool2d(x, 2, output_size=6, _random_samples=s),
        F.fractional_max_pool2d(x, 2, output_size=6, _random_samples=s[:2]),
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: F.fractional_max_pool2d(x, 2), ValueError, "requires specifying either"),
        (
            lambda x: F.fractional_max_pool2d(x, (2, 0), output_size=3),
            RuntimeError,
            r"kernel_size must be greater than zero, but got \(2, 0\)",
        ),
        (
            lambda x: F.fractional_max_pool2d(x[0, 0], 2, output_size=3),
            RuntimeError,
            r"fractional_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[7, 6\]",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, (2, 2, 2), output_size=3),
            RuntimeError,
            "fractional_max_pool2d: kernel_size must either be a single Int or tuple of Ints",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, output_size=(7, 3)),
            RuntimeError,
            r"fractional_max_pool2d\(\): pool height 2 too large relative to input height 7",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, output_size=(3, 6)),
            RuntimeError,
            "pool width 2 too large relative to input width 6",
        ),
        (
            lambda x: F.fractional_max_pool2d(x[:, :0], 2, output_size=3),
            RuntimeError,
            r"non-zero size for non-batch dimensions, but got\[2, 0, 7, 6\] with dimension 1",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5, 0.5)),
            ValueError,
            "output_ratio to either be a single Int or tuple of Ints",
        ),
        (
            lambda x: F.fractional_max_pool2d(x.long(), 2, output_size=3),
            NotImplementedError,
            "not implemented for 'Long'",
        ),
        (
            lambda x: F.fractional_max_pool2d(
                x, 2, 3, _random_samples=ember.rand(2, 3, 2).double()
            ),
            RuntimeError,
            "Expect _random_samples to have the same dtype as input",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, 3, _random_samples=ember.rand(2, 3)),
            RuntimeError,
            "Expect _random_samples to have 3 dimensions, got 2",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, 3, _random_samples=ember.rand(1, 3, 2)),
            RuntimeError,
            r"Expect _random_samples.size\(0\) no less then input batch size.",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, 3, _random_samples=ember.rand(2, 4, 2)),
            RuntimeError,
            r"Expect _random_samples.size\(1\) equals to input channel size.",
        ),
        (
            lambda x: F.fractional_max_pool2d(x, 2, 3, _random_samples=ember.rand(2, 3, 3)),
            RuntimeError,
            r"Expect _random_samples.size\(2\) equals to 2; got 3.",
        ),
    ],
)
def test_fractional_max_pool2d_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(ember.randn(2, 3, 7, 6))


def test_fractional_max_pool3d_bounds_are_strict():
    x = ember.randn(1, 2, 5, 6, 7)
    # 2-d allows output + kernel - 1 == input; 3-d, as torch, does not
    assert F.fractional_max_pool2d(x[:, :, 0], 2, output_size=(5, 6)).shape == (1, 2, 5, 6)
    assert F.fractional_max_pool3d(x, 2, output_size=(3, 4, 5)).shape == (1, 2, 3, 4, 5)
    with pytest.raises(RuntimeError, match=r"_out\(\): pool time 2 too large .* input time 5"):
        F.fractional_max_pool3d(x, 2, output_size=(4, 3, 3))
    with pytest.raises(RuntimeError, match="tuple of three Ints"):
        F.fractional_max_pool3d(x, 2, output_size=(3, 3))
    with pytest.raises(RuntimeError, match=r"Expected 4D or 5D tensor, but got: \[5, 6, 7\]"):
        F.fractional_max_pool3d(x[0, 0], 2, output_size=2)


def test_fractional_max_pool_modules():
    samples = ember.rand(2, 3, 2)
    m = nn.FractionalMaxPool2d(2, output_size=4, return_indices=True, _random_samples=samples)
    assert repr(m) == "FractionalMaxPool2d()"
    assert m.kernel_size == (2, 2) and m.output_size == (4, 4) and m.output_ratio is None
    assert list(m.state_dict()) == ["_random_samples"]
    x = ember.randn(2, 3, 8, 8)
    y, idx = m(x)
    expected = F.fractional_max_pool2d(x, 2, 4, return_indices=True, _random_samples=samples)
    assert ember.equal(y, expected[0]) and ember.equal(idx, expected[1])
    m3 = nn.FractionalMaxPool3d((1, 2, 2), output_ratio=0.5)
    assert m3.output_ratio == (0.5, 0.5, 0.5) and m3.output_size is None
    assert m3(ember.randn(3, 4, 6, 8)).shape == (3, 2, 3, 4)
    assert list(m3.state_dict()) == []


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: nn.FractionalMaxPool2d(2), "FractionalMaxPool2d requires specifying either"),
        (lambda: nn.FractionalMaxPool3d(2), "FractionalMaxPool3d requires specifying either"),
        (lambda: nn.FractionalMaxPool2d(2, 3, 0.5), "only one of output_size and output_ratio"),
        (lambda: nn.FractionalMaxPool2d(2, output_ratio=1.5), r"between 0 and 1 \(got 1.5\)"),
        (
            lambda: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1)),
            r"between 0 and 1 \(got \(0.5, 0.5, 1\)\)",
        ),
        (lambda: nn.FractionalMaxPool3d((2, 0, 1), 3), r"greater than 0, but got \(2, 0, 1\)"),
    ],
)
def test_fractional_max_pool_module_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ---------------------------------------------------------------------------- CrossMapLRN2d


def _cross_map_lrn2d_ref(x, size, alpha, beta, k):
    """torch's legacy forward, step by step: a running sum over channels that adds the
    channel entering the window and takes out the one leaving it (never channel 0)."""
    channels = x.shape[1]
    sq = x**2
    scale = np.zeros_like(x)
    pre_pad = int((size - 1) / 2 + 1)
    for c in range(min(pre_pad, channels)):
        scale[:, 0] += sq[:, c]
    for c in range(1, channels):
        scale[:, c] = scale[:, c - 1]
        if c < channels - pre_pad + 1:
            scale[:, c] += sq[:, c + pre_pad - 1]
        if c > pre_pad:
            scale[:, c] -= sq[:, c - pre_pad]
    return x * (scale * (alpha / size) + k) ** -beta


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("channels", [1, 3, 7])
def test_cross_map_lrn2d(size, channels, device):
    x = rng.standard_normal((2, channels, 3, 2))
    m = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    y = m(ember.tensor(x, device=device))
    np.testing.assert_allclose(
        y.cpu().numpy(), _cross_map_lrn2d_ref(x, size, 0.5, 0.75, 1.5), rtol=1e-12
    )
    t = ember.tensor(x, device=device, requires_grad=True)
    assert gradcheck(m, (t,))


def test_cross_map_lrn2d_module():
    m = nn.CrossMapLRN2d(3)
    assert repr(m) == "CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)"
    # an odd size away from channel 0 is LocalResponseNorm's window
    x = ember.randn(2, 9, 4, 4)
    lrn = nn.LocalResponseNorm(3)(x)
    assert ember.allclose(m(x)[:, :2], lrn[:, :2])
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D"):
        m(ember.randn(3, 4, 4))


# ------------------------------------------------------------------------------- nn.init


def test_sparse_init():
    w = ember.empty(10, 6)
    nn.init.sparse_(w, sparsity=0.25, std=2.0)
    # ceil(0.25 * 10) = 3 zeros in every column
    assert (w == 0).sum(0).tolist() == [3] * 6
    g = ember.Generator().manual_seed(7)
    a = nn.init.sparse_(ember.empty(50, 40), 0.1, generator=g)
    g.manual_seed(7)
    assert ember.equal(a, nn.init.sparse_(ember.empty(50, 40), 0.1, generator=g))
    assert abs(float(a[a != 0].std()) - 0.01) < 0.002
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.sparse_(ember.empty(2, 3, 4), 0.1)


@pytest.mark.parametrize(
    "old, args",
    [
        ("uniform", ()),
        ("normal", ()),
        ("constant", (0.5,)),
        ("eye", ()),
        ("xavier_uniform", ()),
        ("xavier_normal", ()),
        ("kaiming_uniform", ()),
        ("kaiming_normal", ()),
        ("orthogonal", ()),
        ("sparse", (0.5,)),
    ],
)
def test_deprecated_init_aliases(old, args):
    alias, new = getattr(nn.init, old), getattr(nn.init, old + "_")
    assert alias.__name__ == old and f"nn.init.{old}_" in alias.__doc__
    with pytest.warns(
        FutureWarning, match=f"`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`."
    ):
        ember.manual_seed(0)
        a = alias(ember.empty(4, 6), *args)
    ember.manual_seed(0)
    assert ember.equal(a, new(ember.empty(4, 6), *args))


def test_deprecated_dirac():
    with pytest.warns(FutureWarning, match="`nn.init.dirac` is now deprecated"):
        w = nn.init.dirac(ember.empty(2, 2, 3))
    assert w.tolist() == [[[0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0]]]


# ------------------------------------------------------------------------- spectral norm


def _normalize(v):
    return v / max(np.linalg.norm(v), 1e-12)


def test_spectral_norm_power_iteration():
    m = nn.utils.spectral_norm(nn.Linear(5, 4), n_power_iterations=2)
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert isinstance(m.weight_orig, nn.Parameter) and not isinstance(m.weight, nn.Parameter)
    w = m.weight_orig.detach().numpy().astype(np.float64)
    u, v = m.weight_u.numpy().astype(np.float64), m.weight_v.numpy().astype(np.float64)
    for _ in range(2):
        v = _normalize(w.T @ u)
        u = _normalize(w @ v)
    y = m(ember.randn(3, 5))
    np.testing.assert_allclose(m.weight_u.numpy(), u, rtol=1e-5)
    np.testing.assert_allclose(m.weight_v.numpy(), v, rtol=1e-5)
    np.testing.assert_allclose(m.weight.detach().numpy(), w / (u @ w @ v), rtol=1e-5)
    # the gradient reaches weight_orig, through sigma too
    y.sum().backward()
    assert m.weight_orig.grad is not None
    # many iterations: sigma is the largest singular value
    for _ in range(100):
        m(ember.randn(1, 5))
    assert math.isclose(
        float(ember.linalg.matrix_norm(m.weight.detach(), ord=2)), 1.0, rel_tol=1e-4
    )


def test_spectral_norm_eval_keeps_vectors_and_remove():
    m = nn.utils.spectral_norm(nn.Conv2d(3, 4, 3))
    assert m.weight_u.shape == (4,) and m.weight_v.shape == (27,)
    m.eval()
    u = m.weight_u.clone()
    m(ember.randn(1, 3, 5, 5))
    assert ember.equal(m.weight_u, u)
    expected = m.weight.detach().clone()
    nn.utils.remove_spectral_norm(m)
    assert isinstance(m.weight, nn.Parameter) and ember.allclose(m.weight, expected)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    assert not m._forward_pre_hooks
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(m)


def test_spectral_norm_options_and_errors():
    t = nn.utils.spectral_norm(nn.ConvTranspose2d(3, 4, 2))  # dim 1: the output channels
    assert t.weight_u.shape == (4,) and t.weight_v.shape == (12,)
    m = nn.utils.spectral_norm(nn.Linear(3, 2), name="bias", dim=0)  # a 1-d weight: (2, 1)
    assert m.bias_u.shape == (2,) and m.bias_v.shape == (1,)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m, name="bias")
    with pytest.raises(ValueError, match="got n_power_iterations=0"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="parameter `bias` is None"):
        nn.utils.spectral_norm(nn.Linear(2, 2, bias=False), name="bias")
    with pytest.raises(ValueError, match="can't have uninitialized parameters"):
        nn.utils.spectral_norm(nn.LazyLinear(2))


# ------------------------------------------------------------------------------- fusion


def _eval_bn(cls, n):
    bn = cls(n)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    with ember.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
    return bn.eval()


@pytest.mark.parametrize(
    "conv, bn, shape, transpose",
    [
        (lambda: nn.Conv2d(3, 4, 3), nn.BatchNorm2d, (2, 3, 6, 6), False),
        (lambda: nn.Conv1d(3, 4, 2, bias=False), nn.BatchNorm1d, (2, 3, 7), False),
        (lambda: nn.ConvTranspose2d(3, 4, 2, groups=1), nn.BatchNorm2d, (2, 3, 4, 4), True),
    ],
)
def test_fuse_conv_bn_eval(conv, bn, shape, transpose):
    conv, bn = conv().eval(), _eval_bn(bn, 4)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    assert fused is not conv and type(fused) is type(conv)
    assert isinstance(fused.weight, nn.Parameter) and isinstance(fused.bias, nn.Parameter)
    x = ember.randn(*shape)
    assert ember.allclose(fused(x), bn(conv(x)), atol=1e-5)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_fuse_conv_bn_weights_dtypes_and_defaults():
    w = ember.randn(4, 3, 1, 1, dtype=ember.float64, requires_grad=False)
    rm, rv = ember.randn(4), ember.rand(4) + 0.5
    fused_w, fused_b = nn.utils.fuse_conv_bn_weights(w, None, rm, rv, 1e-5, None, None)
    assert fused_w.dtype == ember.float64 and fused_b.dtype == ember.float64
    assert not fused_w.requires_grad and not fused_b.requires_grad
    inv = (rv.double() + 1e-5).rsqrt()
    assert ember.allclose(fused_w, w * inv.reshape(-1, 1, 1, 1))
    assert ember.allclose(fused_b, -rm.double() * inv)


def test_fuse_linear_bn_eval():
    linear, bn = nn.Linear(3, 4).eval(), _eval_bn(nn.BatchNorm1d, 4)
    x = ember.randn(5, 3)
    fused = nn.utils.fuse_linear_bn_eval(linear, bn)
    assert ember.allclose(fused(x), bn(linear(x)), atol=1e-5)
    one = _eval_bn(nn.BatchNorm1d, 1)
    assert ember.allclose(
        nn.utils.fuse_linear_bn_eval(linear, one)(x),
        one(linear(x).reshape(-1, 1)).reshape(5, 4),
        atol=1e-5,
    )
    with pytest.raises(AssertionError, match=r"linear\.out_features=4 and bn\.num_features=3"):
        nn.utils.fuse_linear_bn_eval(linear, _eval_bn(nn.BatchNorm1d, 3))


# ------------------------------------------------------------------------ functional_call


def functional_call(*args, **kwargs):
    """``ember.nn.utils.stateless.functional_call``, which warns that it is deprecated."""
    with pytest.warns(FutureWarning, match=r"Please use `ember\.func\.functional_call` instead"):
        return nn.utils.stateless.functional_call(*args, **kwargs)


class _Tied(nn.Module):
    """``b.weight`` is ``a.weight``: one parameter under two names."""

    def __init__(self):
        super().__init__()
        self.foo = nn.Parameter(ember.ones(()))
        self.register_buffer("count", ember.zeros(()))
        self.a = nn.Linear(1, 1)
        self.b = nn.Linear(1, 1)
        nn.init.ones_(self.a.weight)
        self.b.weight = self.a.weight

    def forward(self, x, scale=1.0):
        self.count = self.count + 1
        return (x + self.foo) * scale + self.b.weight.sum()


def test_functional_call_replaces_for_one_call():
    m = nn.Linear(3, 1)
    weight, bias = m.weight, m.bias
    w = ember.zeros(1, 3, requires_grad=True)
    out = functional_call(m, {"weight": w, "bias": ember.full((1,), 2.0)}, ember.ones(2, 3))
    assert out.tolist() == [[2.0], [2.0]]
    assert m.weight is weight and m.bias is bias  # the module's own tensors are back
    out.sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0, 2.0]] and weight.grad is None


def test_functional_call_buffers_kwargs_and_reassignment():
    m = _Tied()
    given = {"count": ember.tensor(5.0)}
    out = functional_call(m, given, (ember.zeros(()),), {"scale": 2.0})
    assert float(out) == 3.0
    assert float(m.count) == 0.0 and float(given["count"]) == 6.0  # the forward's new value
    # a name the module lacks is set for the call and removed after
    bn = nn.BatchNorm1d(2).eval()
    y = functional_call(
        bn, {"running_mean": ember.ones(2), "extra": ember.ones(1)}, ember.ones(3, 2)
    )
    assert ember.allclose(y, ember.zeros(3, 2), atol=1e-4)
    assert not hasattr(bn, "extra") and bn.running_mean.tolist() == [0.0, 0.0]


def test_functional_call_tie_weights_and_strict():
    m = _Tied()
    zero = ember.zeros(1, 1)
    x = ember.zeros(())
    # a.weight and b.weight are one parameter: replacing one replaces both
    assert float(functional_call(m, {"a.weight": zero}, x)) == 1.0
    assert float(functional_call(m, {"a.weight": zero}, x, tie_weights=False)) == 2.0
    assert float(functional_call(m, {"a.weight": zero, "b.weight": zero}, x)) == 1.0
    with pytest.raises(ValueError, match=r"\['a.weight', 'b.weight'\], which are tied"):
        functional_call(m, {"a.weight": zero, "b.weight": ember.ones(1, 1)}, x)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for _Tied") as info:
        functional_call(m, {"foo": ember.zeros(()), "bar": ember.zeros(())}, x, strict=True)
    assert "Unexpected key(s): 'bar'." in str(info.value)
    assert "Missing key(s): 'a.bias', 'a.weight', 'b.bias', 'b.weight', 'count'." in str(info.value)
    with pytest.raises(AttributeError, match="_Tied has no attribute `nope`"):
        functional_call(m, {"nope.weight": zero}, x)
    assert m.a.weight.tolist() == [[1.0]] and m.b.weight is m.a.weight


def test_functional_call_restores_after_error():
    m = nn.Linear(3, 1)
    weight = m.weight
    with pytest.raises(RuntimeError):
        functional_call(m, {"weight": ember.zeros(1, 4)}, ember.ones(2, 3))
    assert m.weight is weight
    with pytest.raises(RuntimeError, match=r"can't be used with nn\.DataParallel"):
        functional_call(nn.DataParallel(m), {}, ember.ones(2, 3))


# ------------------------------------------------------- skip_init, memory format, clipping


class _Counted(nn.Module):
    def __init__(self, n, device=None):
        super().__init__()
        self.weight = nn.Parameter(ember.empty(n, device=device))
        self.resets = 0
        self.reset_parameters()

    def reset_parameters(self):
        self.resets += 1
        nn.init.ones_(self.weight)


def test_skip_init():
    m = nn.utils.skip_init(_Counted, 3)
    assert type(m) is _Counted and m.resets == 0 and m.weight.shape == (3,)
    m.reset_parameters()
    assert m.resets == 1 and m.weight.tolist() == [1.0, 1.0, 1.0]
    linear = nn.utils.skip_init(nn.Linear, in_features=6, out_features=2)
    assert type(linear) is nn.Linear and linear(ember.randn(1, 6)).shape == (1, 2)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        nn.utils.skip_init(nn.ReLU)
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        nn.utils.skip_init(dict)


def test_convert_weight_memory_format_is_identity():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv3d(4, 4, 1))
    weights = [p.clone() for p in model.parameters()]
    assert nn.utils.convert_conv2d_weight_memory_format(model, "channels_last") is model
    assert nn.utils.convert_conv3d_weight_memory_format(model, "channels_last_3d") is model
    assert all(ember.equal(a, b) for a, b in zip(weights, model.parameters()))


def test_clip_grad_norm_deprecated():
    p = nn.Parameter(ember.ones(4))
    p.grad = ember.full((4,), 3.0)
    with pytest.warns(FutureWarning, match="`ember.nn.utils.clip_grad_norm` is now deprecated"):
        total = nn.utils.clip_grad_norm([p], 1.0)
    assert math.isclose(float(total), 6.0, rel_tol=1e-6)
    assert math.isclose(float(p.grad.norm()), 1.0, rel_tol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.utils.clip_grad_norm_([p], 1.0)
