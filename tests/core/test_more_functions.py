"""The less common top-level functions: constants and queries, pointwise (copysign ... mvlgamma),
ember.special, reductions and statistics, splits and scatters, linear algebra leftovers and
creation -- against numpy references and hand-computed values, gradients by finite
differences (float64)."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck

RNG = np.random.default_rng(0)


def _t(a, grad=False):
    return ember.tensor(np.asarray(a), requires_grad=grad)


def _f64(*shape, low=-2.0, high=2.0):
    return ember.tensor(RNG.uniform(low, high, shape), dtype=ember.float64, requires_grad=True)


# ------------------------------------------------------------------- constants, queries


def test_constants_and_info():
    assert (ember.e, ember.pi, ember.inf, ember.newaxis) == (math.e, math.pi, math.inf, None)
    assert math.isnan(ember.nan)
    f = ember.finfo(ember.float32)
    assert (f.bits, f.eps, f.max, f.tiny, f.resolution, f.dtype) == (
        32,
        float(np.finfo(np.float32).eps),
        float(np.finfo(np.float32).max),
        float(np.finfo(np.float32).tiny),
        1e-06,
        "float32",
    )
    assert ember.finfo().dtype == "float32" and ember.finfo(ember.complex128).bits == 64
    assert (ember.iinfo(ember.uint8).min, ember.iinfo(ember.uint8).max) == (0, 255)
    assert ember.iinfo(ember.int64).bits == 64
    with pytest.raises(TypeError, match="floating point"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="integer"):
        ember.iinfo(ember.float32)


def test_queries():
    x = ember.ones(2, 3)
    assert ember.is_tensor(x) and not ember.is_tensor(np.ones(2))
    assert ember.numel(x) == 6 and ember.is_same_size(x, x * 2) and not ember.is_same_size(x, x[0])
    assert ember.is_floating_point(x) and ember.is_signed(x) and not ember.is_inference(x)
    assert not ember.is_signed(x.to(ember.uint8)) and x.is_signed()
    assert ember.is_nonzero(_t([2.0])) and not ember.is_nonzero(_t(0))
    with pytest.raises(RuntimeError, match="more than one value"):
        ember.is_nonzero(x)
    with pytest.raises(TypeError):
        ember.numel(3)
    assert (
        ember.typename(x) == "torch.FloatTensor" and ember.typename(_t([1])) == "torch.LongTensor"
    )
    assert ember.typename(3) == "int"


def test_settings():
    n = ember.get_num_threads()
    ember.set_num_threads(n)
    assert ember.get_num_threads() == n
    with pytest.raises(RuntimeError, match="positive integer"):
        ember.set_num_threads(0)
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled()
    ember.use_deterministic_algorithms(False)
    assert not ember.are_deterministic_algorithms_enabled()
    assert ember.get_default_device() == ember.device("cpu")
    ember.set_default_device("cpu")
    assert ember.zeros(1).device.type == "cpu"


# ------------------------------------------------------------------------------ pointwise


def test_pointwise_against_numpy():
    a = RNG.uniform(-3, 3, (3, 4))
    b = RNG.uniform(-3, 3, (4,))
    i, j = RNG.integers(-20, 20, (2, 5))
    np.testing.assert_array_equal(ember.copysign(_t(a), _t(b)).numpy(), np.copysign(a, b))
    np.testing.assert_array_equal(ember.gcd(_t(i), _t(j)).numpy(), np.gcd(i, j))
    np.testing.assert_array_equal(ember.lcm(_t(i), _t(j)).numpy(), np.lcm(i, j))
    np.testing.assert_allclose(ember.i0(_t(a)).numpy(), np.i0(a), rtol=1e-12)
    np.testing.assert_allclose(ember.i0(_t(a * 20)).numpy(), np.i0(a * 20), rtol=1e-12)
    np.testing.assert_allclose(ember.sinc(_t(a)).numpy(), np.sinc(a), rtol=1e-12)
    np.testing.assert_array_equal(ember.signbit(_t([-0.0, 0.0, -1.0])).numpy(), [True, False, True])
    np.testing.assert_allclose(ember.rad2deg(_t(a)).numpy(), np.rad2deg(a))
    np.testing.assert_allclose(ember.ldexp(_t(a), _t(i[:4])).numpy(), np.ldexp(a, i[:4]))
    mantissa, exponent = ember.frexp(_t(a))
    np.testing.assert_array_equal(mantissa.numpy(), np.frexp(a)[0])
    assert exponent.dtype == ember.int32
    nan = _t([np.nan, 1.0])
    np.testing.assert_array_equal(ember.fmax(nan, _t([2.0, np.nan])).numpy(), [2.0, 1.0])
    np.testing.assert_array_equal(
        ember.nextafter(_t([1.0]), _t([2.0])).numpy(), np.nextafter(1.0, 2.0)
    )
    np.testing.assert_array_equal(
        ember.heaviside(_t([-1.0, 0.0, 2.0]), _t([0.5])).numpy(), [0, 0.5, 1]
    )
    assert ember.mvlgamma(_t([2.5]), 2).item() == pytest.approx(
        math.log(math.pi) / 2 + math.lgamma(2.5) + math.lgamma(2.0)
    )
    assert ember.rsub(_t([1.0, 2.0]), 5, alpha=2).tolist() == [3.0, 1.0]
    assert ember.isreal(_t([1.0])).tolist() == [True]
    assert ember.isposinf(_t([np.inf, -np.inf])).tolist() == [True, False]


def test_pointwise_errors():
    with pytest.raises(NotImplementedError, match="gcd_cpu"):
        ember.gcd(_t([1.0]), _t([2.0]))
    with pytest.raises(RuntimeError, match="different dtypes"):
        ember.heaviside(_t([1.0]), _t([1]))
    with pytest.raises(RuntimeError, match="floating-point"):
        ember.frexp(_t([1]))
    with pytest.raises(RuntimeError, match="greater than or equal to 1"):
        ember.mvlgamma(_t([2.0]), 0)
    with pytest.raises(RuntimeError, match="bool tensor"):
        ember.positive(_t([True]))
    x = _f64(3)
    with pytest.raises(NotImplementedError, match="igamma: input"):
        ember.igamma(x.abs() + 1, _t([1.0, 2.0, 3.0]).double()).sum().backward()


@pytest.mark.parametrize(
    "f",
    [
        lambda x, y: ember.copysign(x, y),
        lambda x, y: ember.fmax(x, y),
        lambda x, y: ember.fmin(x, y),
        lambda x, y: ember.ldexp(x, y),
        lambda x, y: ember.special.xlog1py(x, y.abs()),
        lambda x, y: ember.rsub(x, y, alpha=3),
        lambda x, y: ember.igamma(ember.full_like(y, 1.5).detach(), x.abs() + 0.1) * y,
        lambda x, y: ember.igammac(ember.full_like(y, 0.7).detach(), x.abs() + 0.1) * y,
    ],
)
def test_binary_gradients(f):
    assert gradcheck(f, (_f64(3, 4), _f64(4)))


@pytest.mark.parametrize(
    "f",
    [
        ember.i0,
        ember.special.i0e,
        ember.special.i1,
        ember.special.i1e,
        ember.sinc,
        ember.rad2deg,
        lambda x: ember.logit(x.abs() / 3 + 0.1),
        lambda x: ember.frexp(x)[0],
        lambda x: ember.mvlgamma(x.abs() + 2, 3),
        lambda x: ember.special.entr(x.abs() + 0.1),
        ember.special.ndtr,
        lambda x: ember.special.ndtri(x.abs() / 3 + 0.1),
        ember.special.log_ndtr,
        lambda x: ember.special.log_ndtr(x * 10),
    ],
)
def test_unary_gradients(f):
    assert gradcheck(f, (_f64(2, 3),))


def test_special_values():
    x = _t([0.0, 0.5, 1.0]).double()
    np.testing.assert_allclose(ember.special.ndtri(x).numpy(), [-np.inf, 0.0, np.inf])
    np.testing.assert_allclose(
        ember.special.entr(_t([0.0, -1.0, 0.5])).numpy(), [0, -np.inf, 0.5 * math.log(2)]
    )
    assert ember.special.log_ndtr(_t([-40.0]).double()).item() == pytest.approx(-804.6084420137538)
    assert ember.special.expit is ember.sigmoid and ember.special.gammaln is ember.lgamma
    assert ember.special.multigammaln(_t([2.0]), 2).item() == pytest.approx(0.4515827, rel=1e-6)


def test_inplace_top_level():
    x = _t([0.25, 0.5])
    assert ember.exp_(x) is x
    np.testing.assert_allclose(x.numpy(), np.exp([0.25, 0.5]), rtol=1e-6)
    y = _t([0.5, 2.0])
    ember.clamp_(y, 0, 1)
    assert y.tolist() == [0.5, 1.0]
    z = _t([1.0, -2.0])
    z.copysign_(-1.0)
    assert z.tolist() == [-1.0, -2.0]
    w = _t([0.1, 0.2], grad=True)
    (w * 1).sin_().sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.cos([0.1, 0.2]), rtol=1e-6)


# ------------------------------------------------------------------ reductions, statistics


def test_reductions():
    a = RNG.standard_normal((4, 5))
    lo, hi = ember.aminmax(_t(a), dim=1)
    np.testing.assert_array_equal(lo.numpy(), a.min(1))
    np.testing.assert_array_equal(hi.numpy(), a.max(1))
    b = a.copy()
    b[0, 1] = np.nan
    np.testing.assert_array_equal(
        ember.nanmedian(_t(b), 1).values.numpy()[1:], np.median(a, 1)[1:] * 0 + np.sort(a, 1)[1:, 2]
    )
    values, indices = ember.mode(_t([[3, 1, 3, 1, 2], [1, 1, 2, 2, 2]]))
    assert values.tolist() == [1, 2] and indices.tolist() == [3, 4]
    np.testing.assert_allclose(
        ember.logcumsumexp(_t(a), 1).numpy(), np.logaddexp.accumulate(a, axis=1), rtol=1e-12
    )
    assert ember.dist(_t([1.0, 2.0]), _t([4.0, 6.0])).item() == 5.0
    r = ember.renorm(_t([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
    np.testing.assert_allclose(r.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    with pytest.raises(RuntimeError, match="empty dimension"):
        ember.aminmax(ember.zeros(0))


@pytest.mark.parametrize(
    "f",
    [
        lambda x: ember.aminmax(x, dim=0)[1],
        lambda x: ember.nanmedian(x, 1)[0],
        lambda x: ember.mode(x, 0)[0],
        lambda x: ember.logcumsumexp(x, 1),
        lambda x: ember.dist(x, ember.full_like(x, 0.3), 3),
        lambda x: ember.renorm(x, 2, 0, 0.5),
        lambda x: ember.quantile(x, 0.3, 1),
        lambda x: ember.nanquantile(x, 0.7),
        lambda x: ember.cov(x),
        lambda x: ember.corrcoef(x),
    ],
)
def test_reduction_gradients(f):
    assert gradcheck(f, (_f64(3, 4),))


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_against_numpy(method):
    a = RNG.standard_normal((4, 7))
    q = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    got = ember.quantile(_t(a), _t(q), 1, interpolation=method).numpy()
    np.testing.assert_allclose(got, np.quantile(a, q, axis=1, method=method), rtol=1e-12)
    b = a.copy()
    b[1, 3] = np.nan
    got = ember.nanquantile(_t(b), 0.4, 1, keepdim=True, interpolation=method).numpy()
    np.testing.assert_allclose(got, np.nanquantile(b, 0.4, axis=1, keepdims=True, method=method))
    with pytest.raises(RuntimeError, match="range"):
        ember.quantile(_t(a), 1.5)


def test_histograms_and_covariance():
    a = RNG.standard_normal(50)
    hist, edges = ember.histogram(_t(a), 7)
    ref_hist, ref_edges = np.histogram(a, 7)
    np.testing.assert_array_equal(hist.numpy(), ref_hist)
    np.testing.assert_allclose(edges.numpy(), ref_edges)
    hist, _ = ember.histogram(_t(a), 5, range=(-1.0, 1.0), weight=_t(np.abs(a)), density=True)
    np.testing.assert_allclose(
        hist.numpy(), np.histogram(a, 5, range=(-1, 1), weights=np.abs(a), density=True)[0]
    )
    np.testing.assert_array_equal(
        ember.histc(_t(a), 4, -1, 1).numpy(), np.histogram(a, 4, (-1, 1))[0]
    )
    points = RNG.standard_normal((30, 2))
    hist, edges = ember.histogramdd(_t(points), [3, 4])
    np.testing.assert_array_equal(hist.numpy(), np.histogramdd(points, [3, 4])[0])
    m = RNG.standard_normal((3, 8))
    fw = RNG.integers(1, 4, 8)
    aw = RNG.uniform(0.1, 1, 8)
    np.testing.assert_allclose(ember.cov(_t(m)).numpy(), np.cov(m))
    np.testing.assert_allclose(
        ember.cov(_t(m), fweights=_t(fw), aweights=_t(aw)).numpy(),
        np.cov(m, fweights=fw, aweights=aw),
    )
    np.testing.assert_allclose(ember.corrcoef(_t(m)).numpy(), np.corrcoef(m))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        ember.cov(_t([[1.0]]))


# ------------------------------------------------------------------------- shape, indexing


def test_splits_and_stacks():
    a = np.arange(24.0).reshape(4, 6)
    for got, ref in zip(ember.tensor_split(_t(a), 4, 1), np.array_split(a, 4, 1)):
        np.testing.assert_array_equal(got.numpy(), ref)
    for got, ref in zip(ember.hsplit(_t(a), [1, 4]), np.hsplit(a, [1, 4])):
        np.testing.assert_array_equal(got.numpy(), ref)
    assert len(ember.vsplit(_t(a), 2)) == 2
    with pytest.raises(RuntimeError, match="not divisible"):
        ember.hsplit(_t(a), 4)
    np.testing.assert_array_equal(
        ember.column_stack([_t(a[0]), _t(a[1])]).numpy(), np.column_stack([a[0], a[1]])
    )
    np.testing.assert_array_equal(ember.ravel(_t(a).t()).numpy(), a.T.ravel())
    np.testing.assert_array_equal(ember.diagflat(_t([1, 2]), 1).numpy(), np.diagflat([1, 2], 1))
    np.testing.assert_array_equal(ember.msort(_t(a[::-1].copy())).numpy(), np.sort(a[::-1], 0))
    assert ember.cartesian_prod(_t([1, 2]), _t([3, 4])).tolist() == [[1, 3], [1, 4], [2, 3], [2, 4]]
    assert ember.combinations(_t([1, 2, 3])).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert ember.split_with_sizes(_t(a), [1, 3])[1].shape == (3, 6)


def test_indexing_functions():
    a = np.arange(12.0).reshape(3, 4)
    assert ember.take(_t(a), _t([0, -1, 5])).tolist() == [0.0, 11.0, 5.0]
    x = _t(a.copy())
    x.put_(_t([0, 1]), _t([9.0, 8.0]))
    assert x.reshape(-1)[:2].tolist() == [9.0, 8.0]
    assert ember.put(_t(a), _t([0, 0]), _t([1.0, 1.0]), accumulate=True)[0, 0].item() == 2.0
    assert ember.index_fill(_t(a), 1, _t([0]), -1.0)[:, 0].tolist() == [-1.0] * 3
    out = ember.scatter_reduce(_t([1.0, 5.0]), 0, _t([0, 0, 1]), _t([3.0, 2.0, 4.0]), "amax")
    assert out.tolist() == [3.0, 5.0]
    out = ember.scatter_reduce(
        _t([1.0, 5.0]), 0, _t([0, 0]), _t([3.0, 2.0]), "mean", include_self=False
    )
    assert out.tolist() == [2.5, 5.0]
    with pytest.warns(UserWarning, match="beta"):
        out = ember.index_reduce(_t(a), 0, _t([0, 0]), _t(a[:2]), "prod", include_self=False)
    assert out[0].tolist() == (a[0] * a[1]).tolist()
    assert ember.masked_scatter(
        _t([0.0, 0.0, 0.0]), _t([True, False, True]), _t([1.0, 2.0])
    ).tolist() == [1.0, 0.0, 2.0]
    np.testing.assert_array_equal(ember.select_scatter(_t(a), _t([0.0] * 4), 0, 1).numpy()[1], 0)
    np.testing.assert_array_equal(
        ember.slice_scatter(_t(a), _t(np.zeros((3, 2))), 1, 0, 4, 2).numpy()[:, ::2], 0
    )
    d = ember.diagonal_scatter(_t(a), _t([7.0, 7.0, 7.0]), 1).numpy()
    assert np.all(np.diagonal(d, 1) == 7)
    rows, cols = ember.unravel_index(_t([5, 11]), (3, 4))
    assert rows.tolist() == [1, 2] and cols.tolist() == [1, 3]
    np.testing.assert_array_equal(
        ember.as_strided(_t(a), (2, 2), (1, 4), 1).numpy(),
        np.lib.stride_tricks.as_strided(a.ravel()[1:], (2, 2), (8, 32)),
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda x: ember.take(x, _t([0, 3, 3])),
        lambda x: ember.put(x, _t([0, 5]), x[0, :2] * 2, accumulate=True),
        lambda x: ember.index_fill(x, 1, _t([1]), 0.0),
        lambda x: ember.scatter_reduce(x, 1, _t([[0, 0], [1, 3], [2, 2]]), x[:, :2] * 2, "amin"),
        lambda x: ember.scatter_reduce(x, 1, _t([[0, 0], [1, 3], [2, 2]]), x[:, :2], "mean"),
        lambda x: ember.masked_scatter(x, x.detach() > 0, x.flip(0) * 3),
        lambda x: ember.diagonal_scatter(x, x[0, :3] * 2),
        lambda x: ember.slice_scatter(x, x[:, :2] * 2, 1, 2),
        lambda x: ember.as_strided(x, (2, 2), (1, 1)),
        lambda x: ember.tensor_split(x, 3, 1)[1],
        lambda x: ember.combinations(x[0], 2),
        lambda x: ember.cartesian_prod(x[0], x[1]),
    ],
)
def test_indexing_gradients(f):
    assert gradcheck(f, (_f64(3, 4),))


# --------------------------------------------------------------------- linalg, creation


def test_linalg_leftovers():
    m, v, w = RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal(3)
    np.testing.assert_allclose(
        ember.addmv(_t(w), _t(m), _t(v), beta=2, alpha=3).numpy(), 2 * w + 3 * m @ v
    )
    np.testing.assert_allclose(ember.addr(_t(m), _t(w), _t(v)).numpy(), m + np.outer(w, v))
    b1, b2 = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
    np.testing.assert_allclose(
        ember.addbmm(_t(np.zeros((3, 5))), _t(b1), _t(b2)).numpy(), (b1 @ b2).sum(0)
    )
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_allclose(ember.chain_matmul(_t(m), _t(m.T), _t(m)).numpy(), m @ m.T @ m)
    np.testing.assert_allclose(ember.ger(_t(w), _t(v)).numpy(), np.outer(w, v))
    x = np.sort(RNG.uniform(0, 3, 4))
    np.testing.assert_allclose(ember.trapezoid(_t(m), _t(x)).numpy(), np.trapezoid(m, x))
    np.testing.assert_allclose(ember.trapz(_t(m), dx=0.5).numpy(), np.trapezoid(m, dx=0.5))
    cumulative = np.cumsum((m[:, 1:] + m[:, :-1]) / 2 * np.diff(x), 1)
    np.testing.assert_allclose(ember.cumulative_trapezoid(_t(m), _t(x)).numpy(), cumulative)
    for f in (
        lambda a: ember.addmv(a[0, :3], a, a[1], beta=0.5),
        lambda a: ember.trapezoid(a, dim=0),
        lambda a: ember.cumulative_trapezoid(a, _t([0.0, 0.5, 2.0])),
    ):
        assert gradcheck(f, (_f64(3, 3),))


def test_creation():
    with pytest.warns(UserWarning, match="deprecated"):
        r = ember.range(1, 4)
    assert r.tolist() == [1.0, 2.0, 3.0, 4.0] and r.dtype == ember.float32
    assert ember.scalar_tensor(3).dtype == ember.float32 and ember.scalar_tensor(3).shape == ()
    a = np.arange(3.0)
    shared = ember.asarray(a)
    a[0] = 9
    assert shared[0].item() == 9
    assert ember.asarray(a, copy=True)._data is not a
    with pytest.raises(ValueError):
        ember.asarray([1, 2], copy=False)
    buf = bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00")
    assert ember.frombuffer(buf, dtype=ember.int32).tolist() == [1, 2]
    assert ember.empty_strided((2, 3), (3, 1)).shape == (2, 3)
    filled = ember.fill(ember.zeros(2), _t(3.0, grad=True))
    assert filled.tolist() == [3.0, 3.0]
