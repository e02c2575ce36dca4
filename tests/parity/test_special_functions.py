"""Parity of torch.special's Bessel and Airy functions, erfcx, zeta and orthogonal polynomials
with PyTorch: values over wide ranges and at the edges (0, negatives, branch points, large,
inf, nan), dtypes, gradients (erfcx; zeta in ``other``), results that do not require grad, and
the errors (see conftest.py).

float64 agrees to a few ulps, as ember ports torch's algorithms; float32 to float32 rounding
(torch's compiled loops fuse multiply-adds, numpy rounds each step)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember

INF, NAN = math.inf, math.nan
EDGES = [0.0, -0.0, 1e-30, -1e-6, 1e-6, 0.5, -0.5, 2.0, 2.09, -2.09, 5.0, -5.0, 8.0, -8.0,
         50.0, 51.0, -26.0, -27.0, 88.0, 89.0, 103.0, 104.0, 700.0, -700.0, 710.0, 1e8, -1e8,
         1e30, INF, -INF, NAN]  # fmt: skip
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
POLYNOMIALS = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
]
TOLERANCE = {np.float64: {"rtol": 1e-13, "atol": 1e-15}, np.float32: {"rtol": 5e-6, "atol": 1e-6}}


def _special(name):
    return lambda fw, *args: getattr(fw.special, name)(*args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", UNARY)
def test_unary(parity, name, dtype):
    x = np.concatenate([parity.uniform(-30, 30, 300), parity.uniform(-3, 3, 100), EDGES])
    parity.check(_special(name), x.astype(dtype), grad=False, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", UNARY)
def test_unary_integers_and_grad_mode(parity, name):
    parity.check(_special(name), np.arange(-3, 12), grad=False)
    x = parity.uniform(0.5, 4.0, 6, dtype=np.float64)
    outputs = [getattr(fw.special, name)(fw.tensor(x, requires_grad=True)) for fw in (ember, torch)]
    assert outputs[0].requires_grad == outputs[1].requires_grad  # only erfcx's do


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_erfcx_gradient(parity, dtype):
    x = parity.uniform(-6, 30, 40, dtype=dtype)
    parity.check(_special("erfcx"), x, **TOLERANCE[dtype])


def _degrees(dtype):
    return np.array([-2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 25, 40], dtype)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_float64(parity, name):
    x = np.concatenate([parity.uniform(-1.5, 1.5, 40), [-1.0, 1.0, 0.0, 0.5, 1e-20, INF, -INF]])
    n = _degrees(np.float64)
    parity.check(_special(name), x[:, None], n, grad=False, rtol=1e-11, atol=1e-13)
    # floating degrees truncate toward zero; NaN and infinite degrees give 0
    parity.check(_special(name), x, np.float64(2.7), grad=False, rtol=1e-12, atol=1e-14)
    parity.check(_special(name), x[:4], np.array([NAN, INF, -INF, -0.5]), grad=False)
    # NaN x at degrees 0 and 1 (torch's loops leave their result unset for NaN at higher ones)
    parity.check(_special(name), np.array([NAN]), np.array([-1.0, 0.0, 1.0]), grad=False)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_float32(parity, name):
    x = np.concatenate([parity.uniform(-1.2, 1.2, 30), [-1.0, 1.0, 0.0, 0.5]]).astype(np.float32)
    n = _degrees(np.float32)
    # float32's rounding, relative to the size of the polynomial's terms
    expected = getattr(torch.special, name)(torch.from_numpy(x[:, None]), torch.from_numpy(n))
    atol = 1e-5 * expected.abs().max().item()
    parity.check(_special(name), x[:, None], n, grad=False, rtol=1e-5, atol=atol)


def test_polynomial_operands(parity):
    x = parity.uniform(-1, 1, 5, dtype=np.float32)
    n = np.array([0, 3, 10])
    parity.check(lambda fw, n: fw.special.chebyshev_polynomial_t(0.25, n), n, grad=False)
    parity.check(lambda fw, x: fw.special.hermite_polynomial_h(x, 3), x, grad=False)
    parity.check(_special("legendre_polynomial_p"), x, n[:, None], grad=False)  # int n
    x64, n32 = x.astype(np.float64), n[:, None].astype(np.float32)
    parity.check(_special("laguerre_polynomial_l"), x64, n32, grad=False)
    parity.check(_special("chebyshev_polynomial_u"), x[:, None], np.float64(4.0), grad=False)
    parity.check(_special("hermite_polynomial_he"), np.arange(-3, 3), n[:, None], grad=False)
    # torch's degree limits for the Hermite polynomials: 128 (float32), 512 (float64)
    for dtype in (np.float32, np.float64):
        x = np.array([0.0, 0.5], dtype)[:, None]
        high = np.array([127, 128, 129, 511, 512, 513], dtype)
        parity.check(_special("hermite_polynomial_he"), x, high, grad=False, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zeta(parity, dtype):
    # both accumulate in float64 (torch's CPU kernel does): float32 results differ by a rounding
    rtol = 1e-13 if dtype == np.float64 else 3e-7
    x = np.concatenate([parity.uniform(1.0, 12.0, 60), [1.0, 0.5, 2.0, 3.0, 4.0, NAN, INF, 2.5]])
    q = np.concatenate([parity.uniform(-6, 10, 60), [2.0, 1.0, 0.0, -2.0, -2.5, 1.0, 2.0, -0.5]])
    parity.check(_special("zeta"), x.astype(dtype), q.astype(dtype), grad=False, rtol=rtol)
    # numbers for either argument; broadcasting; q = inf and nan
    q = np.array([0.5, 1.0, 3.0, 1e6, INF, NAN], dtype)
    parity.check(lambda fw, q: fw.special.zeta(2.0, q), q, grad=False, rtol=rtol)
    parity.check(lambda fw, x: fw.special.zeta(x, 1), x[:5, None].astype(dtype), grad=False)
    parity.check(_special("zeta"), x[:4, None].astype(dtype), q, grad=False, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zeta_gradient(parity, dtype):
    x = parity.uniform(1.5, 6.0, 8, dtype=dtype)
    q = parity.uniform(0.2, 5.0, 8, dtype=dtype)
    parity.check(_special("zeta"), x, q, grad=(1,), **TOLERANCE[dtype])
    parity.check(lambda fw, q: fw.special.zeta(3.0, q), q, **TOLERANCE[dtype])
    # torch has no derivative in x
    for fw in (ember, torch):
        y = fw.special.zeta(fw.tensor(x, requires_grad=True), fw.tensor(q))
        with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not"):
            y.sum().backward()


@pytest.mark.parametrize("name", [*UNARY, *POLYNOMIALS, "zeta"])
def test_errors(parity, name):
    binary = name in POLYNOMIALS or name == "zeta"
    f = _special(name)
    for dtype in (np.float16, np.complex64):
        x = np.ones(3, dtype)
        error = parity.raises(lambda fw, x: f(fw, x, 2) if binary else f(fw, x), x)
        kind = "Half" if dtype == np.float16 else "ComplexFloat"
        assert str(error) == f"\"{name}_cpu\" not implemented for '{kind}'"
    if binary:
        parity.raises(lambda fw: f(fw, 0.5, 2))
        parity.raises(f, np.ones(3), np.ones(2))
    else:
        parity.raises(lambda fw: f(fw, 0.5))
