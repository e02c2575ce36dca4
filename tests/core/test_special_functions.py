"""ember.special's Bessel and Airy functions, erfcx, zeta and the orthogonal polynomials against
tabulated values, identities and explicit formulas; gradients (erfcx, zeta in q) by finite
differences; torch's errors and its special cases (edges, degrees, dtypes)."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck

S = ember.special
INF, NAN = math.inf, math.nan


def _f64(values):
    return ember.tensor(values, dtype=ember.float64)


def _close(tensor, expected, rtol=1e-13, atol=0.0):
    np.testing.assert_allclose(tensor.numpy(), np.asarray(expected, dtype=float), rtol, atol)


# ------------------------------------------------------------------ Bessel and Airy


# Reference values to 16 digits (Abramowitz & Stegun's tables, extended with mpmath). torch's
# rational approximations of J, Y and Ai, which these are, are good to ~1e-6 near |x| = 2..5
# (see ops/special_functions.py), hence the absolute tolerance.
BESSEL_VALUES = [
    ("bessel_j0", [0.0, 1.0, -3.0, 10.0], [1.0, 0.7651976865579666, -0.2600519549019335, -0.2459357644513483]),
    ("bessel_j1", [0.0, 1.0, -2.0, 10.0], [0.0, 0.4400505857449335, -0.5767248077568734, 0.04347274616886144]),
    ("bessel_y0", [0.5, 1.0, 10.0], [-0.44451873350670656, 0.08825696421567696, 0.055671167283599395]),
    ("bessel_y1", [0.5, 1.0, 10.0], [-1.471472392670243, -0.7812128213002887, 0.24901542420695388]),
    ("airy_ai", [0.0, 1.0, -1.0, 3.0, -5.0, 10.0], [0.3550280538878172, 0.13529241631288141, 0.5355608832923521, 0.006591139357460719, 0.35076100902411433, 1.1047532552898686e-10]),
    ("modified_bessel_i0", [0.0, 1.0, -2.5, 30.0], [1.0, 1.2660658777520084, 3.289839144050123, 781672297823.9775]),
    ("modified_bessel_i1", [0.0, 1.0, -2.5, 10.0], [0.0, 0.565159103992485, -2.5167162452886984, 2670.9883037012546]),
    ("modified_bessel_k0", [0.1, 1.0, 2.0, 10.0], [2.4270690247020164, 0.42102443824070834, 0.11389387274953344, 1.778006231616765e-05]),
    ("modified_bessel_k1", [0.1, 1.0, 2.0, 10.0], [9.853844780870606, 0.6019072301972346, 0.13986588181652243, 1.8648773453825585e-05]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "x", "expected"), BESSEL_VALUES)
def test_tabulated_values(name, x, expected):
    _close(getattr(S, name)(_f64(x)), expected, rtol=1e-12, atol=1e-6)


def test_bessel_zeros_and_derivatives():
    # J0 vanishes at 2.404825557695773 and 5.520078110286311, J1 at 3.831705970207512
    _close(S.bessel_j0(_f64([2.404825557695773, 5.520078110286311])), [0, 0], atol=1e-6)
    _close(S.bessel_j1(_f64([3.831705970207512])), [0], atol=1e-6)
    # J0' = -J1 and Y0' = -Y1, by central differences
    x, h = np.linspace(0.3, 20.0, 40), 1e-5  # (torch's J and Y jump by ~1e-7 at x = 5)
    for f, g in ((S.bessel_j0, S.bessel_j1), (S.bessel_y0, S.bessel_y1)):
        slope = (f(_f64(x + h)).numpy() - f(_f64(x - h)).numpy()) / (2 * h)
        np.testing.assert_allclose(slope, -g(_f64(x)).numpy(), atol=2e-5)


def test_wronskians():
    x = _f64(np.linspace(0.25, 40.0, 200))
    # J1 Y0 - J0 Y1 = 2 / (pi x)
    w = S.bessel_j1(x) * S.bessel_y0(x) - S.bessel_j0(x) * S.bessel_y1(x)
    _close(w * x, np.full(200, 2 / math.pi), atol=3e-6)
    # I0 K1 + I1 K0 = 1 / x, and the scaled K are e^x K
    x = _f64(np.linspace(0.05, 40.0, 200))
    w = S.modified_bessel_i0(x) * S.modified_bessel_k1(x)
    w = w + S.modified_bessel_i1(x) * S.modified_bessel_k0(x)
    _close(w * x, np.ones(200), rtol=1e-13)
    _close(S.scaled_modified_bessel_k0(x), (S.modified_bessel_k0(x) * x.exp()).numpy(), 1e-13)
    _close(S.scaled_modified_bessel_k1(x), (S.modified_bessel_k1(x) * x.exp()).numpy(), 1e-13)


def test_airy_equation():
    # Ai'' = x Ai, and Ai'(0) = -1 / (3^(1/3) Gamma(1/3)), by central differences
    x, h = np.linspace(-8.0, 6.0, 57), 1e-3
    ai = [S.airy_ai(_f64(x + k * h)).numpy() for k in (-1, 0, 1)]
    # (torch's approximation below -2.09 is good to ~3e-6, its curvature to ~1e-4)
    np.testing.assert_allclose((ai[0] - 2 * ai[1] + ai[2]) / h**2, x * ai[1], atol=1e-4)
    slope = (S.airy_ai(_f64([1e-6])) - S.airy_ai(_f64([-1e-6]))) / 2e-6
    _close(slope, [-1 / (3 ** (1 / 3) * math.gamma(1 / 3))], rtol=1e-7)


def test_spherical_bessel_j0():
    x = np.concatenate([np.linspace(-20, 20, 81), [0.3, -0.49, 1e-8]])
    _close(
        S.spherical_bessel_j0(_f64(x)), np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1, x))
    )


def test_edges():
    edge = _f64([0.0, -1.0, INF, -INF, NAN])
    _close(S.bessel_y0(edge), [-INF, NAN, NAN, NAN, NAN])
    _close(S.bessel_y1(edge), [-INF, NAN, NAN, NAN, NAN])
    _close(S.modified_bessel_k0(edge), [INF, NAN, 0.0, NAN, NAN])
    _close(S.modified_bessel_k1(edge), [INF, NAN, 0.0, NAN, NAN])
    _close(S.scaled_modified_bessel_k0(edge), [INF, NAN, 0.0, NAN, NAN])
    _close(S.spherical_bessel_j0(edge), [1.0, math.sin(1.0), 0.0, 0.0, NAN])
    # torch's Ai: NaN at both infinities, 0 beyond 103.892 (it underflows there anyway)
    _close(S.airy_ai(_f64([INF, -INF, 104.0, NAN])), [NAN, NAN, 0.0, NAN])
    # exp(|x|) overflows float32 beyond 88.7, as in torch
    big = S.modified_bessel_i0(ember.tensor([89.0, -89.0]))
    assert big.dtype == ember.float32 and np.isinf(big.numpy()).all()


# ------------------------------------------------------------------------------ erfcx


def test_erfcx():
    x = [-5.0, -1.0, -0.01, 0.0, 0.5, 1.0, 3.0, 8.0]
    _close(S.erfcx(_f64(x)), [math.exp(t * t) * math.erfc(t) for t in x], rtol=1e-12)
    # beyond where exp(x^2) overflows: 1/(x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6))
    x = np.array([40.0, 1e3, 1e9])
    r = 1 / (2 * x * x)
    _close(S.erfcx(_f64(x)), (1 - r + 3 * r * r - 15 * r**3) / (x * math.sqrt(math.pi)), 1e-12)
    _close(S.erfcx(_f64([-27.0, INF, -INF, NAN])), [INF, 0.0, INF, NAN])
    assert gradcheck(S.erfcx, (_f64([-2.0, -0.3, 0.0, 0.7, 4.0, 60.0]).requires_grad_(),))


def test_erfcx_float32():
    y = S.erfcx(ember.tensor([0.0, -1.0, 10.0]))
    assert y.dtype == ember.float32
    _close(y, [1.0, 5.00898008076228, 0.0561409927438226], rtol=1e-6)


# ------------------------------------------------------------------------------- zeta


def test_zeta_values():
    pi2 = math.pi**2
    _close(S.zeta(_f64([2.0, 4.0, 2.0, 3.0]), _f64([1.0, 1.0, 0.5, 2.0])),
           [pi2 / 6, math.pi**4 / 90, pi2 / 2, 0.2020569031595942])  # fmt: skip
    # zeta(s, q) = zeta(s, q + 1) + q^-s, also for q < 0 at integer s
    s, q = _f64([2.0, 3.0, 5.5, 2.0]), _f64([0.3, 7.25, 1e-3, -0.5])
    _close(S.zeta(s, q), (S.zeta(s, q + 1) + q**-s).numpy(), rtol=1e-12)
    # numbers for either argument
    _close(S.zeta(2, _f64([1.0, 2.0])), [pi2 / 6, pi2 / 6 - 1])
    _close(S.zeta(_f64([2.0]), 1), [pi2 / 6])


def test_zeta_special_cases():
    x = _f64([1.0, 0.5, 2.0, 2.0, 2.5, 1.0, NAN, 2.0, 0.5])
    q = _f64([3.0, 1.0, 0.0, -2.0, -0.5, -2.0, 1.0, NAN, -1.0])
    _close(S.zeta(x, q), [INF, NAN, INF, INF, NAN, INF, NAN, NAN, NAN])


def test_zeta_gradient():
    q = _f64([0.5, 1.0, 2.5, 7.0]).requires_grad_()
    assert gradcheck(lambda q: S.zeta(_f64([2.0, 3.0, 1.5, 4.0]), q), (q,))
    assert gradcheck(lambda q: S.zeta(3.0, q), (q,))
    assert gradcheck(lambda q: S.zeta(_f64([[2.0], [3.5]]), q), (q,))  # broadcast over x
    x = _f64([2.0, 3.0, 1.5, 4.0]).requires_grad_()
    y = S.zeta(x, q)
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
        y.sum().backward()


# ------------------------------------------------------------------------ polynomials


X = np.array([-2.5, -1.0, -0.7, -0.2, 0.0, 0.35, 0.9, 1.0, 1.8])
EXPLICIT = [
    ("chebyshev_polynomial_t", 3, lambda x: 4 * x**3 - 3 * x),
    ("chebyshev_polynomial_u", 3, lambda x: 8 * x**3 - 4 * x),
    ("chebyshev_polynomial_v", 2, lambda x: 4 * x**2 - 2 * x - 1),
    ("chebyshev_polynomial_w", 2, lambda x: 4 * x**2 + 2 * x - 1),
    ("shifted_chebyshev_polynomial_t", 2, lambda x: 8 * x**2 - 8 * x + 1),
    ("shifted_chebyshev_polynomial_u", 2, lambda x: 16 * x**2 - 16 * x + 3),
    ("shifted_chebyshev_polynomial_v", 1, lambda x: 4 * x - 3),
    ("shifted_chebyshev_polynomial_w", 1, lambda x: 4 * x - 1),
    ("hermite_polynomial_h", 3, lambda x: 8 * x**3 - 12 * x),
    ("hermite_polynomial_he", 4, lambda x: x**4 - 6 * x**2 + 3),
    ("laguerre_polynomial_l", 3, lambda x: (-(x**3) + 9 * x**2 - 18 * x + 6) / 6),
    ("legendre_polynomial_p", 3, lambda x: (5 * x**3 - 3 * x) / 2),
]


@pytest.mark.parametrize(("name", "n", "formula"), EXPLICIT, ids=[e[0] for e in EXPLICIT])
def test_explicit_polynomials(name, n, formula):
    f = getattr(S, name)
    _close(f(_f64(X), n), formula(X), atol=1e-14)
    # degrees 0 and 1 by their definitions, negative degrees 0; a floating degree truncates
    _close(f(_f64(X), _f64([-1.0])), np.zeros_like(X))
    _close(f(_f64(X), n + 0.9), formula(X), atol=1e-14)
    _close(f(_f64(X), _f64([NAN])), np.zeros_like(X))


def test_chebyshev_trigonometric_forms():
    # beyond the degrees where torch switches to the closed forms, and |x| > 1 (recurrence)
    theta = np.linspace(0.05, 3.1, 30)
    x = _f64(np.cos(theta))
    n = 23
    _close(S.chebyshev_polynomial_t(x, n), np.cos(n * theta), atol=1e-12)
    _close(S.chebyshev_polynomial_u(x, n), np.sin((n + 1) * theta) / np.sin(theta), rtol=1e-10)
    _close(S.chebyshev_polynomial_v(x, n), np.cos((n + 0.5) * theta) / np.cos(theta / 2), 1e-10)
    _close(S.chebyshev_polynomial_w(x, n), np.sin((n + 0.5) * theta) / np.sin(theta / 2), 1e-10)
    shifted = _f64((np.cos(theta) + 1) / 2)
    _close(S.shifted_chebyshev_polynomial_t(shifted, n), np.cos(n * theta), atol=1e-12)
    t = np.linspace(0.1, 2.0, 10)
    _close(S.chebyshev_polynomial_t(_f64(np.cosh(t)), 9), np.cosh(9 * t), rtol=1e-12)
    # T_n(1) = 1, T_n(-1) = (-1)^n; U_n(+-1) = (+-1)^n (n + 1); V_n(-1) = (-1)^n (2n + 1)
    ends = _f64([1.0, -1.0])
    _close(S.chebyshev_polynomial_t(ends, 7), [1, -1])
    _close(S.chebyshev_polynomial_u(ends, 9), [10, -10])
    _close(S.chebyshev_polynomial_v(ends, 4), [1, 9])
    _close(S.chebyshev_polynomial_w(ends, 4), [9, 1])


def test_high_degrees():
    # H_n(0) = (-1)^(n/2) n! / (n/2)!, He_n(0) = (-1)^(n/2) (n - 1)!!
    _close(S.hermite_polynomial_h(_f64([0.0]), 20), [math.factorial(20) / math.factorial(10)])
    _close(S.hermite_polynomial_he(_f64([0.0]), 10), [-945.0])
    # torch's limits: NaN beyond degree 128 in float32 and 512 in float64
    assert np.isnan(S.hermite_polynomial_h(ember.tensor([0.5]), 129).numpy()).all()
    assert not np.isnan(S.hermite_polynomial_he(_f64([0.5]), 129).numpy()).any()
    assert np.isnan(S.hermite_polynomial_he(_f64([0.5]), 513).numpy()).all()
    # L_n(0) = 1 and P_n(1) = 1 for every n; P_n(0) = (-1)^(n/2) C(n, n/2) / 2^n
    _close(S.laguerre_polynomial_l(_f64([0.0]), 40), [1.0])
    _close(S.legendre_polynomial_p(_f64([0.0, 1.0]), 30), [-math.comb(30, 15) / 2**30, 1.0])


def test_polynomial_broadcasting_and_degrees_per_element():
    x = _f64(X[:, None])
    n = ember.tensor([0, 1, 2, 5, 9])
    y = S.legendre_polynomial_p(x, n)
    assert y.shape == (len(X), 5) and y.dtype == ember.float64
    for j, degree in enumerate([0, 1, 2, 5, 9]):
        _close(y[:, j], S.legendre_polynomial_p(x[:, 0], degree), rtol=1e-15)
    # a number for x
    _close(S.chebyshev_polynomial_t(0.5, ember.tensor([3, 4])), [-1.0, -0.5], atol=1e-7)


def test_dtypes():
    f32 = ember.tensor([0.5])
    assert S.chebyshev_polynomial_t(f32, 3).dtype == ember.float32
    assert S.chebyshev_polynomial_t(f32, _f64([3.0])).dtype == ember.float64
    assert S.chebyshev_polynomial_t(f32, ember.tensor(3.0, dtype=ember.float64)).dtype == (
        ember.float32
    )
    assert S.hermite_polynomial_h(ember.tensor([1, 2]), ember.tensor([2])).dtype == ember.float32
    assert S.zeta(ember.tensor([2, 3]), 1).dtype == ember.float32
    assert S.bessel_j0(ember.tensor([True, False])).dtype == ember.float32
    assert S.airy_ai(ember.tensor(1.0, dtype=ember.float64)).shape == ()


def test_no_gradient_where_torch_has_none():
    x = _f64([0.5, 1.5]).requires_grad_()
    for y in (S.bessel_j0(x), S.modified_bessel_k1(x), S.legendre_polynomial_p(x, 3)):
        assert not y.requires_grad and y.grad_fn is None
    assert S.erfcx(x).requires_grad


def test_errors():
    with pytest.raises(TypeError, match=r"special_bessel_j0\(\): argument 'input'"):
        S.bessel_j0(1.0)
    with pytest.raises(TypeError, match=r"special_airy_ai\(\): argument 'x'"):
        S.airy_ai([1.0])
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        S.chebyshev_polynomial_t(0.5, 3)
    with pytest.raises(NotImplementedError, match="\"bessel_y1_cpu\" not implemented for 'Half'"):
        S.bessel_y1(ember.tensor([1.0], dtype=ember.float16))
    with pytest.raises(
        NotImplementedError, match="\"zeta_cpu\" not implemented for 'ComplexFloat'"
    ):
        S.zeta(ember.tensor([1j]), 2)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        S.laguerre_polynomial_l(ember.zeros(3), ember.zeros(2))


# ------------------------------------------------------------------------ on every device

UNARY = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
    "erfcx",
]


def test_every_device(device):
    # the same values on each device (cupyx.scipy.special's Cephes on a GPU, without torch's
    # dropped denominator terms: within 1e-5)
    x = np.concatenate([np.linspace(-9.0, 12.0, 43), [0.0, 60.0]])
    for name in UNARY:
        f = getattr(S, name)
        expected = f(_f64(x)).numpy()
        for dtype in (ember.float64, ember.float32):
            y = f(ember.tensor(x, dtype=dtype, device=device))
            assert y.device.type == device and y.dtype == dtype
            np.testing.assert_allclose(y.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
    n = ember.tensor([0, 3, 10, 40], device=device)
    for name, _, _ in EXPLICIT:
        y = getattr(S, name)(ember.tensor(X[:, None], device=device), n)
        np.testing.assert_allclose(
            y.cpu().numpy(), getattr(S, name)(_f64(X[:, None]), n.cpu()).numpy(), rtol=1e-4
        )
    q = ember.tensor([0.5, 2.0, 9.5], device=device)
    np.testing.assert_allclose(
        S.zeta(3.0, q).cpu().numpy(), S.zeta(3.0, q.cpu()).numpy(), rtol=1e-6
    )
