"""ember.linalg and torch's top-level linear algebra side by side with torch: values, dtypes,
gradients (through gauge-invariant functions of eigen- and singular vectors and of QR),
named-tuple fields and exception types."""

import math

import numpy as np
import pytest

# torch warns about its deprecated pre-linalg functions once per process, Ember at each call site
pytestmark = pytest.mark.filterwarnings("ignore:torch\\.\\w+ is deprecated:UserWarning")

DTYPES = [np.float32, np.float64]
TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-4}, np.float64: {"rtol": 1e-7, "atol": 1e-8}}


def _general(parity, *shape, dtype=np.float64):
    a = parity.randn(*shape, dtype=np.float64)
    n = min(shape[-2:])
    a[..., range(n), range(n)] += 3.0
    return a.astype(dtype)


def _spd(parity, *shape, dtype=np.float64):
    a = parity.randn(*shape, dtype=np.float64)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _sym(parity, *shape, dtype=np.float64):
    q, _ = np.linalg.qr(parity.randn(*shape, dtype=np.float64))
    w = np.arange(1, shape[-1] + 1) * 1.5 - 2.0
    return ((q * w[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


# ---------------------------------------------------------------------------------- norms


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, math.inf, -math.inf, 0])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_vector_norm(parity, dtype, ord, dim):
    x = parity.randn(2, 3, 4, dtype=dtype)
    # ord=0 counts: torch leaves the input without a gradient, Ember gives zeros
    grad = ord != 0
    parity.check(lambda fw, t: fw.linalg.vector_norm(t, ord, dim), x, grad=grad, **TOL[dtype])
    parity.check(
        lambda fw, t: fw.linalg.vector_norm(t, ord, dim, keepdim=True), x, grad=grad, **TOL[dtype]
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2])
def test_matrix_norm(parity, dtype, ord):
    a = parity.randn(2, 3, 4, dtype=dtype)
    parity.check(lambda fw, t: fw.linalg.matrix_norm(t, ord), a, **TOL[dtype])
    parity.check(
        lambda fw, t: fw.linalg.matrix_norm(t, ord, dim=(2, 0), keepdim=True), a, **TOL[dtype]
    )


@pytest.mark.parametrize(
    "call",
    [
        "fw.linalg.norm(t)",
        "fw.linalg.norm(t, 2)",
        "fw.linalg.norm(t, 'nuc')",
        "fw.linalg.norm(t, 1, dim=0)",
        "fw.linalg.norm(t, dim=(0, 1))",
        "fw.norm(t)",
        "fw.norm(t, 'nuc')",
        "fw.norm(t, 3, dim=1)",
        "t.norm(p=1)",
        "fw.linalg.cond(t)",
        "fw.linalg.cond(t, -2)",
    ],
)
def test_norm_dispatch_and_cond(parity, call):
    a = _general(parity, 3, 3)
    parity.check(lambda fw, t: eval(call), a)


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond_other_norms(parity, p):
    # torch's backward fails for these (it writes into inv_ex's output): values only
    a = _general(parity, 2, 3, 3)
    parity.check(lambda fw, t: fw.linalg.cond(t, p), a, grad=False)
    parity.check(lambda fw, t: fw.linalg.cond(t, p), np.zeros((3, 3)), grad=False)


def test_norm_errors(parity):
    for call in (
        lambda fw, t: fw.linalg.norm(t, 2),
        lambda fw, t: fw.linalg.matrix_norm(t, 3),
        lambda fw, t: fw.linalg.matrix_norm(t[0, 0]),
    ):
        parity.raises(call, parity.randn(2, 2, 2))


# ---------------------------------------------------------------------- det, inv, solve


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_det_inv_slogdet(parity, dtype, batch):
    a = _general(parity, *batch, 4, 4, dtype=dtype)
    tol = TOL[dtype]
    parity.check(lambda fw, t: fw.linalg.det(t), a, **tol)
    parity.check(lambda fw, t: fw.det(t), a, **tol)
    parity.check(lambda fw, t: t.det(), a, **tol)
    parity.check(lambda fw, t: fw.linalg.inv(t), a, **tol)
    parity.check(lambda fw, t: t.inverse(), a, **tol)
    parity.check(lambda fw, t: tuple(fw.linalg.slogdet(t)), a, **tol)
    parity.check(lambda fw, t: tuple(fw.slogdet(t)), a, **tol)
    parity.check(lambda fw, t: fw.logdet(t @ t.mT), a, **tol)
    parity.check(lambda fw, t: fw.linalg.inv_ex(t).inverse, a, **tol)


def test_det_of_singular_matrix(parity):
    import torch

    import ember

    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, 0.0]])
    parity.check(lambda fw, t: fw.linalg.det(t), a, grad=False)
    # the gradient is the transposed adjugate, nonzero at rank n - 1: torch computes it
    # through the SVD when it records the graph (create_graph=True); its first-order path
    # gives det * A^{-T} = 0 instead. Ember always gives the adjugate.
    grads = []
    for fw in (ember, torch):
        t = fw.from_numpy(a.copy()).requires_grad_(True)
        (g,) = fw.autograd.grad(fw.linalg.det(t), t, create_graph=True)
        grads.append(g.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)
    parity.check(lambda fw, t: tuple(fw.linalg.slogdet(t)), a, grad=False)
    parity.check(lambda fw, t: fw.logdet(t), -np.eye(3), grad=False)


def test_inv_errors(parity):
    singular = np.stack([np.eye(3), np.zeros((3, 3))])
    e = parity.raises(lambda fw, t: fw.linalg.inv(t), singular)
    assert "(Batch element 1): The diagonal element 1 is zero" in str(e)
    e = parity.raises(lambda fw, t: fw.linalg.inv(t), np.array([[1.0, 2.0], [2.0, 4.0]]))
    assert str(e) == (
        "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed "
        "because the input matrix is singular."
    )
    parity.raises(lambda fw, t: fw.linalg.inv(t), np.ones((3, 2)))
    parity.raises(lambda fw, t: fw.linalg.det(t), np.ones(3))
    parity.raises(lambda fw, t: fw.linalg.inv(t), np.ones((2, 2), dtype=np.int64))
    parity.raises(lambda fw, t: fw.linalg.solve(t, t[..., :1]), np.zeros((2, 2)))
    parity.check(lambda fw, t: fw.linalg.inv_ex(t).info, singular, grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"), [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 4)), ((2, 3, 3), (3, 2))]
)
def test_solve(parity, dtype, left, a_shape, b_shape):
    a = _general(parity, *a_shape, dtype=dtype)
    b = parity.randn(*b_shape, dtype=dtype)
    if not left:
        b = np.ascontiguousarray(np.swapaxes(b, -1, -2))
    if not left and len(b_shape) < len(a_shape):  # B of shape (2, 3) is a batch of vectors
        parity.raises(lambda fw, p, q: fw.linalg.solve(p, q, left=left), a, b)
        return
    parity.check(lambda fw, p, q: fw.linalg.solve(p, q, left=left), a, b, **TOL[dtype])


def test_solve_vector_rhs(parity):
    a = _general(parity, 2, 3, 3)
    parity.check(lambda fw, p, q: fw.linalg.solve(p, q), a, parity.randn(3, dtype=np.float64))
    parity.check(lambda fw, p, q: fw.linalg.solve(p, q), a, parity.randn(2, 3, dtype=np.float64))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular(parity, upper, left, unitriangular):
    a = _general(parity, 2, 3, 3)
    b = parity.randn(*((2, 3, 2) if left else (2, 2, 3)), dtype=np.float64)
    parity.check(
        lambda fw, p, q: fw.linalg.solve_triangular(
            p, q, upper=upper, left=left, unitriangular=unitriangular
        ),
        a,
        b,
    )


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
def test_triangular_solve(parity, upper, transpose):
    a = _general(parity, 3, 3)
    b = parity.randn(3, 2, dtype=np.float64)
    parity.check(lambda fw, q, p: tuple(fw.triangular_solve(q, p, upper, transpose)), b, a)
    parity.check(lambda fw, q, p: tuple(q.triangular_solve(p, upper, transpose)), b, a)


# ----------------------------------------------------------------------------- cholesky


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_cholesky(parity, dtype, upper, batch):
    a = _spd(parity, *batch, 4, 4, dtype=dtype)
    tol = TOL[dtype]
    parity.check(lambda fw, t: fw.linalg.cholesky(t, upper=upper), a, **tol)
    parity.check(lambda fw, t: fw.cholesky(t, upper), a, **tol)
    parity.check(lambda fw, t: fw.linalg.cholesky_ex(t, upper=upper).L, a, **tol)


def test_cholesky_solve_inverse(parity):
    a = _spd(parity, 2, 3, 3)
    b = parity.randn(2, 3, 2, dtype=np.float64)
    parity.check(lambda fw, q, p: fw.cholesky_solve(q, fw.linalg.cholesky(p)), b, a)
    parity.check(
        lambda fw, q, p: fw.cholesky_solve(q, fw.linalg.cholesky(p, upper=True), upper=True), b, a
    )
    parity.check(lambda fw, p: fw.cholesky_inverse(fw.linalg.cholesky(p)), a)
    parity.check(lambda fw, p: fw.cholesky_inverse(fw.linalg.cholesky(p).mT, upper=True), a)


def test_cholesky_errors(parity):
    bad = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
    e = parity.raises(lambda fw, t: fw.linalg.cholesky(t), bad)
    assert str(e) == (
        "linalg.cholesky: (Batch element 1): The factorization could not be completed because "
        "the input is not positive-definite (the leading minor of order 2 is not "
        "positive-definite)."
    )
    parity.check(lambda fw, t: fw.linalg.cholesky_ex(t).info, bad, grad=False)


# ----------------------------------------------------------------------------------- QR


def _qr_invariant(fw, t, mode="reduced"):
    # signs of Q's columns / R's rows are a convention (LAPACK's in both), but compare
    # products that hold under any convention as well
    Q, R = fw.linalg.qr(t, mode=mode)
    return Q, R, Q @ R


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 5, 3), (2, 3, 4)])
def test_qr(parity, dtype, shape):
    a = parity.randn(*shape, dtype=dtype)
    tol = TOL[dtype]
    parity.check(_qr_invariant, a, **tol)
    parity.check(lambda fw, t: fw.linalg.qr(t, mode="r").R, a, grad=False, **tol)
    parity.check(lambda fw, t: tuple(fw.qr(t)), a, **tol)
    if shape[-2] <= shape[-1]:
        parity.check(lambda fw, t: _qr_invariant(fw, t, "complete"), a, **tol)
    else:
        parity.check(lambda fw, t: tuple(fw.linalg.qr(t, mode="complete")), a, grad=False, **tol)


def test_qr_gradient_errors(parity):
    import torch

    import ember

    for fw in (ember, torch):
        t = fw.from_numpy(parity.randn(4, 3, dtype=np.float64)).requires_grad_(True)
        with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
            fw.linalg.qr(t, mode="complete").Q.sum().backward()
    parity.raises(lambda fw, t: fw.linalg.qr(t, mode="bad"), np.ones((2, 2)))


# ------------------------------------------------------------------------ eigh, eig, svd


def _eigh_invariant(fw, t, uplo="L"):
    w, v = fw.linalg.eigh(t, UPLO=uplo)
    return w, v * v, v @ fw.diag_embed(w) @ v.mT


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("batch", [(), (2,), (2, 2)])
def test_eigh(parity, dtype, uplo, batch):
    a = _sym(parity, *batch, 4, 4, dtype=dtype)
    tol = TOL[dtype]
    parity.check(lambda fw, t: _eigh_invariant(fw, t, uplo), a, **tol)
    parity.check(lambda fw, t: fw.linalg.eigvalsh(t, UPLO=uplo), a, **tol)


def test_eig(parity):
    a = parity.randn(2, 3, 3, dtype=np.float64)
    parity.check(lambda fw, t: fw.linalg.eigvals(t).real.sort(-1).values, a, grad=False)
    parity.check(lambda fw, t: fw.linalg.eigvals(t).abs().sum(-1), a)
    # eigenvalues of a matrix with real spectrum: real and distinct, sorted
    s = _sym(parity, 3, 3) + 0.1 * parity.randn(3, 3, dtype=np.float64)
    parity.check(lambda fw, t: fw.linalg.eigvals(t).real.sort(-1).values, s)

    def eig_invariant(fw, t):
        w, v = fw.linalg.eig(t)
        order = w.real.argsort(-1)
        w = w.real.gather(-1, order)
        vv = (v * v.conj()).real  # |v|^2: invariant under the phase of each column
        return w, vv.gather(-1, order.unsqueeze(-2).expand(vv.shape))

    parity.check(eig_invariant, s)


def _svd_invariant(fw, t):
    U, S, Vh = fw.linalg.svd(t, full_matrices=False)
    return S, (U * S.unsqueeze(-2)) @ Vh, U @ U.mT, Vh.mT @ Vh


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 5, 3), (2, 2, 3, 4)])
def test_svd(parity, dtype, shape):
    a = parity.randn(*shape, dtype=dtype)
    tol = TOL[dtype]
    parity.check(_svd_invariant, a, **tol)
    parity.check(lambda fw, t: fw.linalg.svdvals(t), a, **tol)
    parity.check(lambda fw, t: fw.linalg.svd(t).S, a, **tol)
    parity.check(lambda fw, t: fw.linalg.svd(t).U.shape + fw.linalg.svd(t).Vh.shape, a)

    def legacy(fw, t):
        u, s, v = fw.svd(t)
        return s, (u * s.unsqueeze(-2)) @ v.mT

    parity.check(legacy, a, **tol)
    parity.check(lambda fw, t: fw.svd(t, compute_uv=False).S, a, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 5, 3)])
def test_pinv(parity, dtype, shape):
    a = parity.randn(*shape, dtype=dtype)
    tol = {np.float32: {"rtol": 1e-3, "atol": 1e-3}, np.float64: TOL[np.float64]}[dtype]
    parity.check(lambda fw, t: fw.linalg.pinv(t), a, **tol)
    parity.check(lambda fw, t: fw.pinverse(t), a, **tol)
    parity.check(lambda fw, t: t.pinverse(), a, **tol)


def test_pinv_tolerances_and_rank(parity):
    a = parity.randn(4, 2, dtype=np.float64) @ parity.randn(2, 3, dtype=np.float64)
    a = np.concatenate([a, a[:, :1]], 1)  # 4 x 4 of rank 2
    parity.check(lambda fw, t: fw.linalg.pinv(t), a, grad=False)
    parity.check(lambda fw, t: fw.linalg.pinv(t, atol=0.5), a, grad=False)
    parity.check(lambda fw, t: fw.linalg.pinv(t, rtol=0.3), a, grad=False)
    s = _sym(parity, 2, 3, 3)
    parity.check(lambda fw, t: fw.linalg.pinv(t, hermitian=True), s)
    for call in (
        lambda fw, t: fw.linalg.matrix_rank(t),
        lambda fw, t: fw.linalg.matrix_rank(t, atol=1.0),
        lambda fw, t: fw.linalg.matrix_rank(t, rtol=0.5),
        lambda fw, t: fw.linalg.matrix_rank(t, hermitian=True),
    ):
        parity.check(call, a, grad=False)
        parity.check(call, s, grad=False)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"), [((5, 3), (5, 2)), ((2, 5, 3), (2, 5, 2)), ((3, 3), (3,))]
)
def test_lstsq(parity, driver, a_shape, b_shape):
    a = _general(parity, *a_shape)
    b = parity.randn(*b_shape, dtype=np.float64)
    parity.check(lambda fw, p, q: tuple(fw.linalg.lstsq(p, q, driver=driver)), a, b)


def test_lstsq_float32_and_wide(parity):
    a = parity.randn(2, 5, 3, dtype=np.float32)
    b = parity.randn(2, 5, 2, dtype=np.float32)
    parity.check(lambda fw, p, q: tuple(fw.linalg.lstsq(p, q)), a, b, rtol=1e-4, atol=1e-4)
    wide = parity.randn(3, 5, dtype=np.float64)
    parity.check(
        lambda fw, p, q: fw.linalg.lstsq(p, q, driver="gelsd").solution,
        wide,
        b[0, :3].astype(np.float64),
    )


# ------------------------------------------------------------------------------------ LU


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (4, 3), (3, 5), (2, 2, 3, 3)])
def test_lu(parity, dtype, shape):
    a = parity.randn(*shape, dtype=dtype)
    tol = TOL[dtype]
    parity.check(lambda fw, t: tuple(fw.linalg.lu_factor(t)), a, **tol)
    parity.check(lambda fw, t: tuple(fw.linalg.lu_factor_ex(t)), a, **tol)
    parity.check(lambda fw, t: tuple(fw.linalg.lu(t)), a, **tol)
    parity.check(lambda fw, t: tuple(fw.lu_unpack(*fw.linalg.lu_factor(t))), a, **tol)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve(parity, left, adjoint):
    a = _general(parity, 2, 3, 3)
    b = parity.randn(*((2, 3, 2) if left else (2, 2, 3)), dtype=np.float64)

    def f(fw, p, q):
        LU, pivots = fw.linalg.lu_factor(p)
        return fw.linalg.lu_solve(LU, pivots, q, left=left, adjoint=adjoint)

    parity.check(f, a, b)
    if left and not adjoint:
        parity.check(lambda fw, p, q: fw.lu_solve(q, *fw.linalg.lu_factor(p)), a, b)


def test_lu_errors(parity):
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    e = parity.raises(lambda fw, t: fw.linalg.lu_factor(t), singular)
    assert "U[2,2] is zero" in str(e)
    parity.check(lambda fw, t: fw.linalg.lu_factor_ex(t).info, singular, grad=False)


# -------------------------------------------------------------- matrix functions, rest


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [0.1, 1.0, 6.0])
def test_matrix_exp(parity, dtype, scale):
    a = (parity.randn(2, 3, 3, dtype=np.float64) * scale).astype(dtype)
    tol = {np.float32: {"rtol": 1e-4, "atol": 1e-4}, np.float64: {"rtol": 1e-7, "atol": 1e-7}}
    parity.check(lambda fw, t: fw.linalg.matrix_exp(t), a, **tol[dtype])
    parity.check(lambda fw, t: fw.matrix_exp(t), a, **tol[dtype])
    parity.check(lambda fw, t: t.matrix_exp(), a, **tol[dtype])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -3])
def test_matrix_power(parity, n):
    a = _general(parity, 2, 3, 3) / 3
    parity.check(lambda fw, t: fw.linalg.matrix_power(t, n), a)
    parity.check(lambda fw, t: fw.matrix_power(t, n), a)
    parity.check(lambda fw, t: t.matrix_power(n), a)


def test_multi_dot_vecdot_cross_diagonal_vander(parity):
    shapes = [(3,), (3, 4), (4, 2), (2, 5), (5,)]
    mats = [parity.randn(*s, dtype=np.float64) for s in shapes]
    parity.check(lambda fw, *ts: fw.linalg.multi_dot(ts), *mats)
    parity.check(lambda fw, *ts: fw.linalg.multi_dot(ts), *mats[1:4])
    x, y = parity.randn(2, 3), parity.randn(1, 3)
    parity.check(lambda fw, p, q: fw.linalg.vecdot(p, q), x, y)
    parity.check(lambda fw, p, q: fw.linalg.cross(p, q), x, y)
    parity.check(lambda fw, p, q: fw.linalg.cross(p.mT, q.mT, dim=0), x, y)
    a = parity.randn(2, 3, 4)
    parity.check(lambda fw, t: fw.linalg.diagonal(t), a)
    parity.check(lambda fw, t: fw.linalg.diagonal(t, offset=1, dim1=0, dim2=2), a)
    parity.check(lambda fw, t: fw.linalg.vander(t), parity.randn(2, 4))
    parity.check(lambda fw, t: fw.linalg.vander(t, N=6), parity.randn(4))


def test_tensorinv_tensorsolve(parity):
    a = _general(parity, 6, 6).reshape(2, 3, 6)
    parity.check(lambda fw, t: fw.linalg.tensorinv(t, ind=2), a)
    a2 = _general(parity, 6, 6).reshape(6, 2, 3)
    b = parity.randn(6, dtype=np.float64)
    parity.check(lambda fw, p, q: fw.linalg.tensorsolve(p, q), a2, b)
    parity.check(lambda fw, p, q: fw.linalg.tensorsolve(p, q, dims=(0,)), a2, b.reshape(2, 3))


def test_complex_inputs(parity):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    h = a @ np.swapaxes(a.conj(), -1, -2)
    parity.check(lambda fw, t: fw.linalg.det(t), a)
    parity.check(lambda fw, t: fw.linalg.inv(t), a)
    parity.check(lambda fw, t: fw.linalg.solve(t, t[..., :1] * 2), a)
    parity.check(lambda fw, t: fw.linalg.matrix_exp(t * 0.3), a)
    parity.check(lambda fw, t: fw.linalg.svdvals(t), a)
    parity.check(lambda fw, t: fw.linalg.eigvalsh(t), h)
    parity.check(lambda fw, t: fw.linalg.slogdet(t).logabsdet, a)
    parity.check(lambda fw, t: fw.linalg.matrix_norm(t, "nuc"), a)
    parity.check(lambda fw, t: fw.linalg.vector_norm(t, 3), a)
    parity.check(lambda fw, t: fw.linalg.cholesky(t), h, grad=False)
    x = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    y = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    parity.check(lambda fw, p, q: fw.vdot(p, q), x, y)
    parity.check(lambda fw, p, q: fw.linalg.vecdot(p, q), x, y)


# -------------------------------------------------------------------------------- cdist


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf, 0.0])
@pytest.mark.parametrize(
    "mode",
    [
        "use_mm_for_euclid_dist_if_necessary",
        "use_mm_for_euclid_dist",
        "donot_use_mm_for_euclid_dist",
    ],
)
@pytest.mark.parametrize(
    ("s1", "s2"), [((4, 3), (5, 3)), ((2, 30, 3), (2, 5, 3)), ((2, 1, 4, 3), (3, 5, 3))]
)
def test_cdist(parity, p, mode, s1, s2):
    x1, x2 = parity.randn(*s1, dtype=np.float64), parity.randn(*s2, dtype=np.float64)
    parity.check(
        lambda fw, a, b: fw.cdist(a, b, p, compute_mode=mode), x1, x2, rtol=1e-6, atol=1e-6
    )


def test_cdist_float32_and_errors(parity):
    x1, x2 = parity.randn(4, 3), parity.randn(5, 3)
    parity.check(lambda fw, a, b: fw.cdist(a, b), x1, x2, rtol=1e-4, atol=1e-5)
    parity.raises(lambda fw, a, b: fw.cdist(a, b), x1, parity.randn(5, 4))
    parity.raises(lambda fw, a, b: fw.cdist(a, b, -1.0), x1, x2)
