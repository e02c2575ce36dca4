"""The less common top-level functions: constants and queries, pointwise (copysign ... mvlgamma),
ember.special, reductions and statistics, splits and scatters, linear algebra leftovers and
creation -- against numpy references and hand-computed values, gradients by finite
differences (float64)."""

import math
import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close

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


# ---------------------------------------------------------------------- on every device

# Every function above once more on each device, its values and gradients (a fixed random
# cotangent) compared with the CPU's: the CPU results are checked against numpy above, so the
# "cuda" cases check the cupy branches against them. Floating inputs are float64; a case
# differentiates its float64 inputs when its last entry is True.
_D = np.random.default_rng(7)
M = _D.standard_normal((3, 4))
V = _D.standard_normal(4)
W = _D.standard_normal(3)
P = _D.uniform(0.2, 2.0, (3, 4))  # positive
U = _D.uniform(0.05, 0.95, (3, 4))  # in (0, 1)
NAN = np.where(_D.random((4, 5)) < 0.25, np.nan, _D.standard_normal((4, 5)))
NAN[2] = np.nan  # a row of NaN only
I1, I2 = _D.integers(-20, 20, (2, 6))
IDX = np.array([[0, 0], [1, 3], [2, 2]])
SAMPLES = _D.standard_normal(40)


def _quantiles(method):
    return lambda x: ember.quantile(
        x,
        ember.tensor([0.0, 0.3, 1.0], dtype=x.dtype, device=x.device),
        1,
        True,
        interpolation=method,
    )


DEVICE_CASES = [
    # pointwise and ember.special
    ("copysign", lambda x, y: ember.copysign(x, y), [M, -V], True),
    ("copysign-number", lambda x: ember.copysign(x, -1.0) + ember.copysign(x, 0.0), [M], True),
    ("gcd-lcm", lambda i, j: (ember.gcd(i, j), ember.lcm(i, j)), [I1, I2], False),
    (
        "bessel",
        lambda x: (ember.i0(x), ember.special.i0e(x), ember.special.i1(x), ember.special.i1e(x)),
        [np.append(M.ravel() * 20, [0.0, 45.0])],
        True,
    ),
    ("sinc", ember.sinc, [np.append(M.ravel(), 0.0)], True),
    ("signbit", ember.signbit, [np.array([-0.0, 0.0, -1.0, 2.0])], False),
    ("rad2deg-deg2rad", lambda x: (ember.rad2deg(x), ember.deg2rad(x)), [M], True),
    ("rad2deg-int", ember.rad2deg, [I1], False),
    ("ldexp", lambda x, e: ember.ldexp(x, e), [M, np.array([-2, 0, 1, 3])], True),
    ("frexp", lambda x: tuple(ember.frexp(x)), [M * 10], True),
    (
        "fmax-fmin",
        lambda x, y: (ember.fmax(x, y), ember.fmin(x, y)),
        [np.where(M > 1, np.nan, M), np.where(V < 0, np.nan, V)],
        True,
    ),
    ("nextafter", ember.nextafter, [M, V], False),
    ("heaviside", ember.heaviside, [np.array([-1.0, 0.0, 2.0, 0.0]), np.array([0.5])], False),
    ("mvlgamma", lambda x: ember.mvlgamma(x + 2, 3), [P], True),
    ("rsub", lambda x, y: ember.rsub(x, y, alpha=3) + ember.rsub(x, 5, alpha=2), [M, V], True),
    (
        "isreal-isposinf-isneginf",
        lambda x: (ember.isreal(x), ember.isposinf(x), ember.isneginf(x)),
        [np.array([np.inf, -np.inf, 1.0, np.nan])],
        False,
    ),
    (
        "igamma-igammac",
        lambda a, x: (ember.igamma(a.detach(), x), ember.igammac(a.detach(), x)),
        [P + 0.5, P * 2],
        True,
    ),
    ("logit", lambda p: (ember.logit(p), ember.logit(p, eps=0.2)), [U], True),
    (
        "xlog1py-entr",
        lambda x, y: (ember.special.xlog1py(x, y), ember.special.entr(y)),
        [M, P],
        True,
    ),
    (
        "ndtr-ndtri-log_ndtr",
        lambda x, p: (
            ember.special.ndtr(x),
            ember.special.ndtri(p),
            ember.special.log_ndtr(x * 10),
        ),
        [M, U],
        True,
    ),
    ("multigammaln", lambda x: ember.special.multigammaln(x + 2, 2), [P], True),
    ("fill", lambda x, v: ember.fill(x, v), [M, np.array(2.5)], True),
    (
        "inplace-top-level",
        lambda x: ember.clamp_(ember.exp_(x * 1).copysign_(-1.0), -2, -0.5),
        [M],
        True,
    ),
    # reductions and statistics
    ("aminmax", lambda x: (*ember.aminmax(x, dim=1), *ember.aminmax(x)), [M], True),
    ("nanmedian", lambda x: (*ember.nanmedian(x, 1), ember.nanmedian(x)), [NAN], True),
    (
        "mode",
        lambda x: tuple(ember.mode(x, 1)),
        [np.array([[3, 1, 3, 1, 2], [1, 1, 2, 2, 2]])],
        False,
    ),
    ("mode-float", lambda x: tuple(ember.mode(x.round(), 0)), [M * 2], True),
    ("logcumsumexp", lambda x: ember.logcumsumexp(x, 1), [M * 30], True),
    ("dist-renorm", lambda x, y: (ember.dist(x, y, 3), ember.renorm(x, 2, 0, 1.0)), [M, V], True),
    ("quantile-linear", _quantiles("linear"), [M], True),
    (
        "quantile-lower-higher",
        lambda x: (
            ember.quantile(x, 0.4, interpolation="lower"),
            ember.quantile(x, 0.4, 0, interpolation="higher"),
        ),
        [M],
        True,
    ),
    (
        "quantile-midpoint-nearest",
        lambda x: (_quantiles("midpoint")(x), _quantiles("nearest")(x)),
        [M],
        True,
    ),
    (
        "nanquantile",
        lambda x: (ember.nanquantile(x, 0.7, 1), ember.quantile(x, 0.5, 1)),
        [NAN],
        True,
    ),
    (
        "histc",
        lambda x: (ember.histc(x, 6), ember.histc(x, 4, -1, 1), ember.histc(x, 3, 10, 11)),
        [SAMPLES],
        False,
    ),
    ("histogram", lambda x: tuple(ember.histogram(x, 7)), [SAMPLES], False),
    (
        "histogram-edges-weight-density",
        lambda x, e, w: tuple(ember.histogram(x, e, weight=w, density=True)),
        [SAMPLES, np.array([-1.0, -0.2, 0.0, 1.5]), np.abs(SAMPLES)],
        False,
    ),
    (
        "histogram-range-empty",
        lambda x: (*ember.histogram(x, 3, range=(5.0, 6.0)), *ember.histogram(x[:0], 2)),
        [SAMPLES],
        False,
    ),
    (
        "histogramdd",
        lambda x, w: (
            *ember.histogramdd(x, [3, 4])[:1],
            *ember.histogramdd(x, 2, range=[-1.0, 1.0, 0.0, 2.0], weight=w, density=True)[0:1],
        ),
        [SAMPLES.reshape(20, 2), np.abs(SAMPLES[:20])],
        False,
    ),
    (
        "cov-corrcoef",
        lambda x: (ember.cov(x), ember.cov(x, correction=0), ember.corrcoef(x)),
        [M],
        True,
    ),
    (
        "cov-weights",
        lambda x, f, a: ember.cov(x, fweights=f, aweights=a),
        [M, np.array([1, 3, 2, 1]), P[0]],
        True,
    ),
    # shapes, splits, stacks
    (
        "tensor_split",
        lambda x: (*ember.tensor_split(x, 3, 1), *ember.tensor_split(x, [1, 3], 1)),
        [M],
        True,
    ),
    ("tensor_split-tensor", lambda x, i: ember.tensor_split(x, i, 1), [M, np.array([1, 3])], True),
    (
        "hsplit-vsplit-split_with_sizes",
        lambda x: (
            *ember.hsplit(x, [1, 3]),
            *ember.vsplit(x, [2]),
            *ember.split_with_sizes(x, [1, 2]),
        ),
        [M],
        True,
    ),
    (
        "column_stack-ravel-diagflat",
        lambda x, v: (ember.column_stack([x.t(), v]), ember.ravel(x.t()), ember.diagflat(v, 1)),
        [M, V],
        True,
    ),
    ("msort", ember.msort, [M], True),
    (
        "cartesian_prod-combinations",
        lambda x, y: (
            ember.cartesian_prod(x, y),
            ember.combinations(x, 2),
            ember.combinations(y, 2, with_replacement=True),
        ),
        [V, W],
        True,
    ),
    # indexing and scatters
    ("take", lambda x, i: ember.take(x, i), [M, np.array([0, -1, 5, 5])], True),
    (
        "put",
        lambda x, i, s: (  # (repeated indices only when accumulating: else undefined)
            ember.put(x, i, s, accumulate=True),
            ember.put(x, i[1:], s[1:]),
            x.clone().put_(i[1:], s[1:] * 2),
        ),
        [M, np.array([0, 5, 0]), V[:3]],
        True,
    ),
    (
        "index_fill",
        lambda x, v: (
            ember.index_fill(x, 1, ember.tensor([0, 2], device=x.device), -1.0),
            ember.index_fill(x, 0, ember.tensor([1], device=x.device), v),
        ),
        [M, np.array(0.5)],
        True,
    ),
    (
        "scatter_reduce-sum-mean",
        lambda x, s: (
            ember.scatter_reduce(x, 1, ember.tensor(IDX, device=x.device), s, "sum"),
            ember.scatter_reduce(
                x, 1, ember.tensor(IDX, device=x.device), s, "mean", include_self=False
            ),
        ),
        [M, M[:, :2] * 2],
        True,
    ),
    (
        "scatter_reduce-amax-amin",
        lambda x, s: (
            ember.scatter_reduce(x, 1, ember.tensor(IDX, device=x.device), s, "amax"),
            ember.scatter_reduce(
                x, 1, ember.tensor(IDX, device=x.device), s, "amin", include_self=False
            ),
        ),
        [M, M[:, :2] * 2],
        True,
    ),
    (
        "scatter_reduce-prod-int",
        lambda x, s: ember.scatter_reduce(
            x, 0, ember.tensor([0, 0, 1, 0], device=x.device), s, "prod"
        ),
        [np.arange(1, 4), np.array([2, 3, 4, 5])],
        False,
    ),
    (
        "index_reduce",
        lambda x: (
            ember.index_reduce(
                x, 0, ember.tensor([0, 0], device=x.device), x[:2] * 2, "prod", include_self=False
            ),
            ember.index_reduce(
                x, 1, ember.tensor([3, 1, 3], device=x.device), x[:, :3] * 2, "amax"
            ),
        ),
        [M],
        False,
    ),
    (
        "masked_scatter",
        lambda x, s: ember.masked_scatter(x, x.detach() > 0, s * 3),
        [M, M.ravel()[::-1].copy()],
        True,
    ),
    (
        "select-slice-diagonal_scatter",
        lambda x, v: (
            ember.select_scatter(x, v * 2, 0, 1),
            ember.slice_scatter(x, x[:, :2] * 2, 1, 1, 4, 2),
            ember.diagonal_scatter(x, v[:3], 1),
        ),
        [M, V],
        True,
    ),
    ("unravel_index", lambda i: ember.unravel_index(i, (3, 4)), [np.array([5, 11, 0, -1])], False),
    ("as_strided", lambda x: ember.as_strided(x, (2, 2), (1, 4), 1), [M], True),
    # linear algebra leftovers
    (
        "addmv-addr-ger",
        lambda m, v, w: (
            ember.addmv(w, m, v, beta=2, alpha=3),
            ember.addr(m, w, v),
            ember.ger(w, v),
        ),
        [M, V, W],
        True,
    ),
    (
        "addbmm-chain_matmul",
        lambda a, b, m: (ember.addbmm(m[:, :3], a, b), ember.chain_matmul(m, m.t(), m)),
        [_D.standard_normal((2, 3, 2)), _D.standard_normal((2, 2, 3)), M],
        True,
    ),
    (
        "trapezoid",
        lambda y, x: (
            ember.trapezoid(y, x),
            ember.trapz(y, dx=0.5),
            ember.cumulative_trapezoid(y, x),
        ),
        [M, np.sort(V)],
        True,
    ),
]


def _on(device, fn, arrays, differentiate):
    """``fn``'s outputs for ``arrays`` placed on ``device``, and the gradients of its float64
    inputs for a fixed cotangent (when ``differentiate``)."""
    inputs = [
        ember.tensor(a, device=device, requires_grad=differentiate and a.dtype == np.float64)
        for a in arrays
    ]
    with warnings.catch_warnings():  # index_reduce (beta), chain_matmul (deprecated)
        warnings.filterwarnings("ignore", "index_reduce|torch.chain_matmul", UserWarning)
        out = fn(*inputs)
    outs = [out] if isinstance(out, ember.Tensor) else list(out)
    if not differentiate:
        return outs, []
    rng = np.random.default_rng(1)
    total = sum(
        (o * ember.tensor(rng.standard_normal(o.shape), device=device)).sum()
        for o in outs
        if o.requires_grad
    )
    total.backward()
    return outs, [t.grad for t in inputs if t.requires_grad]


@pytest.mark.parametrize(
    "fn, arrays, differentiate",
    [pytest.param(*case[1:], id=case[0]) for case in DEVICE_CASES],
)
def test_on_device_as_on_cpu(fn, arrays, differentiate, device):
    want_outs, want_grads = _on("cpu", fn, arrays, differentiate)
    got_outs, got_grads = _on(device, fn, arrays, differentiate)
    assert len(got_outs) == len(want_outs) and len(got_grads) == len(want_grads)
    for got, want in zip(got_outs + got_grads, want_outs + want_grads):
        if want is None:
            assert got is None
            continue
        assert got.device.type == device
        assert_close(got.cpu(), want, equal_nan=True)


def test_queries_and_creation_on_device(device):
    x = ember.ones(2, 3, device=device)
    prefix = "torch.cuda." if device == "cuda" else "torch."
    assert ember.typename(x) == prefix + "FloatTensor"
    assert ember.typename(x.long()) == prefix + "LongTensor"
    assert ember.is_nonzero(ember.tensor([2.0], device=device))
    assert not ember.is_nonzero(ember.zeros((), device=device))
    with pytest.raises(RuntimeError, match="more than one value"):
        ember.is_nonzero(x)
    assert ember.numel(x) == 6 and ember.is_same_size(x, x * 2) and ember.is_floating_point(x)
    s = ember.scalar_tensor(3, device=device)
    assert s.device.type == device and s.shape == () and s.item() == 3.0
    e = ember.empty_strided((2, 3), (3, 1), device=device)
    assert e.device.type == device and e.shape == (2, 3)
    with pytest.warns(UserWarning, match="deprecated"):
        r = ember.range(1, 4, device=device)
    assert r.device.type == device and r.tolist() == [1.0, 2.0, 3.0, 4.0]
    a = ember.asarray(np.arange(3.0), device=device)
    assert a.device.type == device and a.tolist() == [0.0, 1.0, 2.0]


def test_statistics_errors_on_device(device):
    x = ember.tensor(M, device=device)
    with pytest.raises(RuntimeError, match=r"q must be in the range \[0, 1\] but got 1.5"):
        ember.quantile(x, ember.tensor([0.5, 1.5], dtype=ember.float64, device=device))
    with pytest.raises(RuntimeError, match="q must be in the range"):
        ember.nanquantile(x, -0.5)
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        ember.histc(x, 3, 2, 1)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        c = ember.cov(ember.tensor([[1.0]], device=device))
    assert c.device.type == device
