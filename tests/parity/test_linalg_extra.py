"""Parity with torch 2.13: linalg.householder_product (values and gradients), ldl_factor /
ldl_factor_ex (LD and pivots exactly where LAPACK's unblocked algorithm runs, 2x2 pivots
included), ldl_solve (on either framework's factorisation), solve_ex, and their errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

FWS = (ember, torch)


def _np(t):
    return t.detach().resolve_conj().numpy()


def _symmetric(parity, shape, dtype, small_diagonal=False, hermitian=False):
    a = parity.randn(*shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * parity.randn(*shape)
    t = np.swapaxes(a, -1, -2)
    a = (a + (t.conj() if hermitian else t)).astype(dtype)
    if small_diagonal:  # no diagonal entry dominates: 2x2 pivots
        a[..., range(shape[-1]), range(shape[-1])] *= 0.01
    return a


@pytest.mark.parametrize(
    "shape, k, dtype",
    [
        ((5, 3), 2, np.float64),
        ((2, 6, 4), 4, np.float32),
        ((4, 4), 4, np.float64),
        ((2, 5, 3), 3, np.complex128),
    ],
)
def test_householder_product(parity, shape, k, dtype):
    A = parity.randn(*shape).astype(dtype)
    tau = parity.randn(*shape[:-2], k).astype(dtype)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * parity.randn(*shape)
        tau = tau + 1j * parity.randn(*tau.shape)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
    parity.check(lambda fw, a, t: fw.linalg.householder_product(a, t), A, tau, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(4, 4), (3, 6, 6), (2, 2, 9, 9), (1, 1)])
@pytest.mark.parametrize("small_diagonal", [False, True])
def test_ldl_factor_exact(parity, shape, dtype, small_diagonal):
    # LAPACK's sytrf runs the unblocked sytf2 below its block size (64): ember's kernel is
    # the same arithmetic, so LD and the pivots agree exactly
    A = _symmetric(parity, shape, dtype, small_diagonal)
    e, t = (fw.linalg.ldl_factor_ex(fw.from_numpy(A.copy())) for fw in FWS)
    if small_diagonal and shape[-1] > 1:
        assert (_np(t.pivots) < 0).any()
    for name in ("LD", "pivots", "info"):
        a, b = _np(getattr(e, name)), _np(getattr(t, name))
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("hermitian", [True, False])
def test_ldl_complex(parity, dtype, hermitian):
    A = _symmetric(parity, (3, 6, 6), dtype, small_diagonal=True, hermitian=hermitian)
    B = (parity.randn(3, 6, 2) + 1j * parity.randn(3, 6, 2)).astype(dtype)
    e, t = (fw.linalg.ldl_factor(fw.from_numpy(A.copy()), hermitian=hermitian) for fw in FWS)
    np.testing.assert_array_equal(_np(e.pivots), _np(t.pivots))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.complex64 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(e.LD), _np(t.LD), **tol)
    X = [
        fw.linalg.ldl_solve(f.LD, f.pivots, fw.from_numpy(B.copy()), hermitian=hermitian)
        for fw, f in zip(FWS, (e, t))
    ]
    np.testing.assert_allclose(_np(X[0]), _np(X[1]), **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ldl_solve(parity, dtype):
    A = _symmetric(parity, (4, 7, 7), dtype, small_diagonal=True)
    B = parity.randn(2, 1, 7, 3).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    t_LD, t_pivots = torch.linalg.ldl_factor(torch.from_numpy(A.copy()))
    # torch 2.13 segfaults broadcasting LD's batch against B's (2, 1): broadcast for it
    t_X = torch.linalg.ldl_solve(
        t_LD.expand(2, 4, 7, 7).contiguous(),
        t_pivots.expand(2, 4, 7).contiguous(),
        torch.from_numpy(B).expand(2, 4, 7, 3).contiguous(),
    )
    # ember consumes torch's factorisation as its own
    e_X = ember.linalg.ldl_solve(
        ember.from_numpy(_np(t_LD)), ember.from_numpy(_np(t_pivots)), ember.from_numpy(B)
    )
    np.testing.assert_allclose(_np(e_X), _np(t_X), **tol)


def test_ldl_singular(parity):
    A = np.stack([np.zeros((3, 3)), np.eye(3), np.diag([1.0, 0.0, 2.0]), [[0, 0, 1.0]] * 3])
    A[3] = A[3] + A[3].T
    e, t = (fw.linalg.ldl_factor_ex(fw.from_numpy(A.copy())) for fw in FWS)
    for name in ("LD", "pivots", "info"):
        np.testing.assert_array_equal(_np(getattr(e, name)), _np(getattr(t, name)))
    for fw in FWS:  # torch fails with an internal assert, ember names the zero pivot
        with pytest.raises(RuntimeError):
            fw.linalg.ldl_factor(fw.from_numpy(A.copy()))


@pytest.mark.parametrize(
    "a_shape, b_shape, left",
    [
        ((4, 4), (4, 2), True),
        ((3, 4, 4), (4,), True),
        ((2, 1, 3, 3), (4, 3, 2), True),
        ((3, 3), (2, 3), False),
    ],
)
def test_solve_ex(parity, a_shape, b_shape, left):
    A = parity.randn(*a_shape).astype(np.float64) + 3 * np.eye(a_shape[-1])
    B = parity.randn(*b_shape).astype(np.float64)
    parity.check(
        lambda fw, a, b: tuple(fw.linalg.solve_ex(a, b, left=left)), A, B, rtol=1e-10, atol=1e-12
    )


def test_solve_ex_singular(parity):
    A = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0]), np.zeros((3, 3))])
    B = parity.randn(3, 3, 2).astype(np.float64)
    e, t = (fw.linalg.solve_ex(fw.from_numpy(A.copy()), fw.from_numpy(B.copy())) for fw in FWS)
    np.testing.assert_array_equal(_np(e.info), _np(t.info))
    np.testing.assert_allclose(_np(e.result)[0], _np(t.result)[0])
    assert not np.isfinite(_np(e.result)[1:]).all(axis=(1, 2)).any()
    assert not np.isfinite(_np(t.result)[1:]).all(axis=(1, 2)).any()
    messages = []
    for fw in FWS:
        with pytest.raises(RuntimeError) as info:
            fw.linalg.solve_ex(fw.from_numpy(A.copy()), fw.from_numpy(B.copy()), check_errors=True)
        messages.append((type(info.value).__name__, str(info.value)))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    "f, shapes",
    [
        (lambda fw, a, t: fw.linalg.householder_product(a, t), [(3, 4), (2,)]),
        (lambda fw, a, t: fw.linalg.householder_product(a, t), [(4, 3), (4,)]),
        (lambda fw, a, t: fw.linalg.householder_product(a, t), [(4, 3), (2, 2)]),
        (lambda fw, a, t: fw.linalg.householder_product(a, t), [(2, 4, 3), (3, 2)]),
        (lambda fw, a, t: fw.linalg.householder_product(a, t.double()), [(4, 3), (2,)]),
        (lambda fw, a: fw.linalg.ldl_factor(a), [(4, 3)]),
        (lambda fw, a: fw.linalg.ldl_factor_ex(a), [(4,)]),
        (lambda fw, a, p, b: fw.linalg.ldl_solve(a, p.int(), b.double()), [(4, 4), (4,), (4, 2)]),
        (lambda fw, a, p, b: fw.linalg.ldl_solve(a, p.int(), b), [(4, 4), (4,), (3, 2)]),
        (lambda fw, a, p, b: fw.linalg.ldl_solve(a, p.int(), b), [(4, 4), (3,), (4, 2)]),
        (lambda fw, a, p, b: fw.linalg.ldl_solve(a, p, b), [(4, 4), (4,), (4, 2)]),
        (lambda fw, a, b: fw.linalg.solve_ex(a, b), [(4, 4), (3, 2)]),
        (lambda fw, a, b: fw.linalg.solve_ex(a, b), [(4, 3), (4, 2)]),
    ],
)
def test_errors(parity, f, shapes):
    arrays = [parity.randn(*s) for s in shapes]
    error = parity.raises(f, *arrays)
    torch_message = None
    try:
        f(torch, *(torch.from_numpy(a) for a in arrays))
    except RuntimeError as exc:
        torch_message = str(exc)
    assert str(error) == torch_message
