"""ember.linalg and torch's top-level linear algebra: values against numpy.linalg and
algebraic identities, gradients by float64 finite differences (gauge-invariant losses for
eigenvectors and singular vectors), batches, float32 staying float32, and torch's errors.

A representative subset of cases also runs on cuda (cupy): every cupy routine the module
calls (det/slogdet, inv 2-D and batched, solve with broadcast batches, cholesky, qr, eigh,
svd, ...), the LU kernel, and the errors cupy does not raise by itself (singular inverses
and solves, matrices that are not positive-definite, eig refused)."""

import itertools
import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

LA = ember.linalg

# torch's deprecated pre-linalg functions (triangular_solve, cholesky, qr, lu_solve) warn
pytestmark = pytest.mark.filterwarnings("ignore:torch\\.\\w+ is deprecated:UserWarning")


def _rng(seed=0):
    return np.random.default_rng(seed)


_GPU = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"),
]


def _cuda(*values):
    """A parameter set run on cuda (with the ``device`` fixture's marks): the larger
    parametrised tests run every case on the cpu and a representative subset on the GPU."""
    return pytest.param(*values, "cuda", marks=_GPU)


def _cpu(cases):
    """Each case of ``cases`` (a value or a tuple of values) with device "cpu" appended."""
    return [(*c, "cpu") if isinstance(c, tuple) else (c, "cpu") for c in cases]


def _t(a, grad=False, device="cpu"):
    return ember.tensor(np.ascontiguousarray(a), requires_grad=grad, device=device)


def _h(t):
    """A tensor's values as a host numpy array (from either device)."""
    return t.detach().cpu().numpy()


def _general(*shape, seed=0):
    """Well-conditioned square (or rectangular) matrices: random plus a diagonal shift."""
    a = _rng(seed).standard_normal(shape)
    n = min(shape[-2:])
    a[..., range(n), range(n)] += 3.0
    return a


def _spd(*shape, seed=0):
    a = _rng(seed).standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _sym(*shape, seed=0):
    """Symmetric with well-separated eigenvalues."""
    q, _ = np.linalg.qr(_rng(seed).standard_normal(shape))
    w = np.arange(1, shape[-1] + 1) * 1.5 - 2.0
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


BATCHES = [(), (2,), (2, 3)]


# ------------------------------------------------------------------------------ norms


@pytest.mark.parametrize(
    "ord,device", _cpu([2, 1, 3, 0.5, math.inf, -math.inf, 0]) + [_cuda(math.inf)]
)
def test_vector_norm(ord, device):
    x = _rng().standard_normal((3, 4))
    y = LA.vector_norm(_t(x, device=device), ord, dim=1)
    assert y.device.type == device
    assert_close(y, np.linalg.norm(x, ord, axis=1))
    assert_close(LA.vector_norm(_t(x, device=device), ord), np.linalg.norm(x.ravel(), ord))
    if ord != 0:
        gradcheck(lambda t: LA.vector_norm(t, ord, dim=(0, 1), keepdim=True), [_t(x, True, device)])


@pytest.mark.parametrize(
    "ord,device",
    _cpu(["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2]) + [_cuda("nuc"), _cuda(-math.inf)],
)
def test_matrix_norm(ord, device):
    a = _rng().standard_normal((2, 3, 4))
    y = LA.matrix_norm(_t(a, device=device), ord)
    assert_close(y, np.linalg.norm(a, ord, axis=(-2, -1)))
    kept = LA.matrix_norm(_t(a, device=device), ord, dim=(0, 2), keepdim=True)
    assert kept.shape == (1, 3, 1) and kept.device.type == device
    assert_close(_h(kept)[0, :, 0], np.linalg.norm(a, ord, axis=(0, 2)))
    gradcheck(lambda t: LA.matrix_norm(t, ord), [_t(a, True, device)])


def test_norm_dispatch_and_legacy_norm(device):
    a = _rng().standard_normal((3, 4))
    t = _t(a, device=device)
    assert_close(LA.norm(t), np.linalg.norm(a))
    assert_close(LA.norm(t, 2), np.linalg.norm(a, 2))  # 2-D: matrix 2-norm
    assert_close(LA.norm(t, 1, dim=0), np.abs(a).sum(0))
    assert_close(ember.norm(t, "nuc"), np.linalg.norm(a, "nuc"))
    assert_close(t.norm(p=3), np.linalg.norm(a.ravel(), 3))
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        LA.norm(ember.ones(2, 2, 2), 2)
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        LA.matrix_norm(ember.ones(2, 2), 3)


def test_float32_stays_float32(device):
    a = ember.tensor(_general(3, 3).astype(np.float32), device=device)
    for f in (LA.det, LA.inv, LA.svdvals, LA.matrix_exp, LA.pinv, lambda t: LA.norm(t, "nuc")):
        assert f(a).dtype == ember.float32 and f(a).device.type == device
    assert LA.slogdet(a).logabsdet.dtype == ember.float32
    assert LA.eigh(a @ a.mT).eigenvalues.dtype == ember.float32
    assert LA.cholesky(a @ a.mT).dtype == ember.float32
    assert LA.qr(a).Q.dtype == ember.float32
    assert LA.solve(a, a[:, :1]).dtype == ember.float32
    assert LA.lstsq(a, a[:, :2]).solution.dtype == ember.float32
    if device == "cpu":  # cupy has no general eigensolver (see test_eig_on_each_device)
        assert LA.eig(a).eigenvalues.dtype == ember.complex64


# --------------------------------------------------------------------- det, inv, solve


# cupy solves one matrix with gesv and a batch with getrf/getrsBatched: both run on cuda
@pytest.mark.parametrize("batch,device", _cpu([(b,) for b in BATCHES]) + [_cuda(()), _cuda((2, 3))])
def test_det_slogdet_inv(batch, device):
    a = _general(*batch, 3, 3)
    assert_close(LA.det(_t(a, device=device)), np.linalg.det(a))
    sign, logabs = LA.slogdet(_t(a, device=device))
    ref_sign, ref_log = np.linalg.slogdet(a)
    assert_close(sign, ref_sign)
    assert_close(logabs, ref_log)
    ta = _t(a, device=device)
    assert_close(ta @ LA.inv(ta), np.broadcast_to(np.eye(3), a.shape))
    gradcheck(LA.det, [_t(a, True, device)])
    gradcheck(lambda t: LA.slogdet(t).logabsdet, [_t(a, True, device)])
    gradcheck(LA.inv, [_t(a, True, device)])
    gradgradcheck(LA.inv, [_t(a, True, device)])


def test_det_gradient_of_singular_matrix(device):
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, 0.0]])  # rank 2
    t = _t(a, True, device)
    assert_close(LA.slogdet(t.detach()), (0.0, -math.inf))
    LA.det(t).backward()
    cofactor = np.array(
        [
            [np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)]
            for i in range(3)
        ]
    )
    assert_close(t.grad, cofactor)


def test_logdet_and_aliases():
    a = _spd(3, 3)
    assert_close(ember.logdet(_t(a)).numpy(), np.log(np.linalg.det(a)))
    assert math.isnan(ember.logdet(_t(-np.eye(3))).item())
    assert ember.slogdet(_t(a)).__class__.__name__ == "slogdet"
    assert LA.slogdet(_t(a)).__class__.__name__ == "linalg_slogdet"
    assert_close(_t(a).inverse().numpy(), np.linalg.inv(a))
    assert_close(_t(a).det().numpy(), np.linalg.det(a))
    assert_close(_t(a).logdet().numpy(), np.log(np.linalg.det(a)))


def test_inv_errors(device):
    # cupy returns inf/nan for a singular matrix: Ember raises numpy's error on both devices
    with pytest.raises(LA.LinAlgError, match=r"linalg.inv: The diagonal element 2 is zero"):
        LA.inv(_t(np.array([[1.0, 2.0], [2.0, 4.0]]), device=device))
    batch = np.stack([np.eye(2), np.zeros((2, 2))])
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\)"):
        LA.inv(_t(batch, device=device))
    assert issubclass(LA.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        LA.inv(ember.ones(3, 2, device=device))
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        LA.det(ember.ones(2, 2, dtype=ember.int64, device=device))
    inverse, info = LA.inv_ex(_t(batch, device=device))
    assert info.tolist() == [0, 1] and info.dtype == ember.int32
    assert info.device.type == inverse.device.type == device
    assert_close(inverse[0], np.eye(2))
    assert np.isnan(_h(inverse[1])).all()
    # a nan in the input is no singular matrix: it gives nan, as LAPACK does
    assert np.isnan(_h(LA.inv(_t(np.array([[np.nan, 0.0], [0.0, 1.0]]), device=device)))).any()


@pytest.mark.parametrize("left", [True, False])
def test_solve(left, device):
    a = _general(2, 3, 3)
    b = _rng(1).standard_normal((2, 3, 2) if left else (2, 2, 3))
    ta, tb = _t(a, device=device), _t(b, device=device)
    x = LA.solve(ta, tb, left=left)
    assert x.device.type == device
    assert_close((ta @ x) if left else (x @ ta), b)
    gradcheck(lambda p, q: LA.solve(p, q, left=left), [_t(a, True, device), _t(b, True, device)])
    # a vector right-hand side, and broadcasting of batch dimensions both ways (cupy's solve
    # needs equal batch shapes: Ember expands them)
    v = _rng(2).standard_normal(3)
    assert_close(LA.solve(ta, _t(v, device=device)), np.linalg.solve(a, v[None, :, None])[..., 0])
    rhs = b if left else np.swapaxes(b, -1, -2)
    assert_close(
        LA.solve(_t(a[0], device=device), _t(rhs, device=device)), np.linalg.solve(a[0], rhs)
    )
    assert_close(LA.solve(ta, _t(rhs[0], device=device)), np.linalg.solve(a, rhs[0]))
    gradcheck(lambda p, q: LA.solve(p, q), [_t(a, True, device), _t(rhs[0], True, device)])
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.solve(
            ember.zeros(2, 2, dtype=ember.float64, device=device),
            ember.ones(2, 1, dtype=ember.float64, device=device),
        )
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 1\).*singular"):
        LA.solve(
            _t(np.stack([np.eye(2), np.zeros((2, 2))]), device=device),
            ember.ones(2, 2, 1, dtype=ember.float64, device=device),
        )


@pytest.mark.parametrize(
    "upper,left,unit,device",
    _cpu(list(itertools.product([True, False], repeat=3)))
    + [_cuda(True, True, False), _cuda(False, False, True)],
)
def test_solve_triangular(upper, left, unit, device):
    a = _general(2, 3, 3)
    b = _rng(1).standard_normal((2, 3, 2) if left else (2, 2, 3))
    tri = np.triu(a) if upper else np.tril(a)
    if unit:
        tri[..., range(3), range(3)] = 1.0
    ta, tb = _t(a, device=device), _t(b, device=device)
    x = LA.solve_triangular(ta, tb, upper=upper, left=left, unitriangular=unit)
    assert_close(((tri @ _h(x)) if left else (_h(x) @ tri)), b)
    gradcheck(
        lambda p, q: LA.solve_triangular(p, q, upper=upper, left=left, unitriangular=unit),
        [_t(a, True, device), _t(b, True, device)],
    )
    # one triangle for a batch of right-hand sides: batch dimensions broadcast
    x = LA.solve_triangular(ta[0], tb, upper=upper, left=left, unitriangular=unit)
    assert_close(((tri[0] @ _h(x)) if left else (_h(x) @ tri[0])), b)
    _, coefficient = ember.triangular_solve(
        _t(b if left else np.swapaxes(b, -1, -2), device=device), ta, upper
    )
    assert_close(coefficient, a)


# ----------------------------------------------------------------------------- cholesky


# cupy factors one matrix with potrf and a batch with potrfBatched: both run on cuda
@pytest.mark.parametrize(
    "batch,upper,device",
    _cpu(list(itertools.product(BATCHES, [False, True]))) + [_cuda((), False), _cuda((2, 3), True)],
)
def test_cholesky(batch, upper, device):
    a = _spd(*batch, 3, 3)
    f = _h(LA.cholesky(_t(a, device=device), upper=upper))
    L = np.swapaxes(f, -1, -2) if upper else f
    assert_close(L, np.linalg.cholesky(a))
    assert_close(L @ np.swapaxes(L, -1, -2), a)

    def sym_chol(t):  # the input's lower triangle is what is read
        return LA.cholesky(t.tril() + t.tril(-1).mT, upper=upper)

    gradcheck(sym_chol, [_t(a, True, device)])
    gradgradcheck(sym_chol, [_t(a, True, device)])


def test_cholesky_family(device):
    a, b = _spd(3, 3), _rng(1).standard_normal((3, 2))
    L = LA.cholesky(_t(a, device=device))
    tb = _t(b, device=device)
    assert_close(ember.cholesky_solve(tb, L), np.linalg.solve(a, b))
    assert_close(ember.cholesky_solve(tb, L.mT, upper=True), np.linalg.solve(a, b))
    assert_close(ember.cholesky_inverse(L), np.linalg.inv(a))
    assert_close(ember.cholesky(_t(a, device=device)), L)
    gradcheck(
        lambda l, r: ember.cholesky_solve(r, l), [_t(_h(L), True, device), _t(b, True, device)]
    )


def test_cholesky_errors(device):
    # cupy does not raise on a matrix that is not positive-definite: Ember does, on both
    # devices; the second matrix only fails after its first pivot updated the diagonal
    bad = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
    with pytest.raises(
        LA.LinAlgError, match=r"\(Batch element 1\).*leading minor of order 2 is not positive"
    ):
        LA.cholesky(_t(bad, device=device))
    schur = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    for upper in (False, True):
        with pytest.raises(LA.LinAlgError, match="leading minor of order 2 is not positive"):
            LA.cholesky(_t(schur, device=device), upper=upper)
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 0\).*order 2"):
        LA.cholesky(_t(np.stack([schur, np.eye(3)]), device=device))
    L, info = LA.cholesky_ex(_t(bad, device=device))
    assert info.tolist() == [0, 2] and info.device.type == device
    assert_close(L[0], np.eye(3))
    assert_close(L[1], np.zeros((3, 3)))
    with pytest.raises(LA.LinAlgError, match="order 2"):
        LA.cholesky_ex(_t(schur, device=device), check_errors=True)


# ----------------------------------------------------------------------------------- QR


SHAPES = [(4, 3), (3, 3), (3, 5), (2, 4, 3)]
SHAPE_CASES = _cpu([(s,) for s in SHAPES]) + [_cuda((4, 3)), _cuda((3, 5)), _cuda((2, 4, 3))]


@pytest.mark.parametrize("shape,device", SHAPE_CASES)
def test_qr(shape, device):
    a = _rng().standard_normal(shape)
    ta = _t(a, device=device)
    q, r = LA.qr(ta)
    k = min(shape[-2:])
    assert q.device.type == r.device.type == device
    assert_close(q @ r, a)
    assert_close(q.mT @ q, np.broadcast_to(np.eye(k), shape[:-2] + (k, k)))
    assert_close(np.tril(_h(r), -1), np.zeros(r.shape))
    q, r = LA.qr(ta, mode="complete")
    assert q.shape[-1] == shape[-2]
    assert_close(q @ r, a)
    q0, r0 = LA.qr(ta, mode="r")
    assert q0.shape == (0,)
    assert_close(np.abs(_h(r0)), np.abs(_h(LA.qr(ta).R)))

    def loss(t):  # Q and R themselves (QR with R's positive... numpy's sign convention)
        q, r = LA.qr(t)
        return q, r

    gradcheck(loss, [_t(a, True, device)])
    if shape[-2] <= shape[-1]:
        gradcheck(lambda t: LA.qr(t, mode="complete"), [_t(a, True, device)])


def test_qr_gradient_errors():
    a = _t(_rng().standard_normal((4, 3)), True)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        LA.qr(a, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="mode='r'"):
        LA.qr(a, mode="r").R.sum().backward()
    assert ember.qr(a, some=False).Q.shape == (4, 4)


# --------------------------------------------------------------------------- eigh, eig


@pytest.mark.parametrize(
    "batch,uplo,device",
    _cpu(list(itertools.product(BATCHES, ["L", "U"]))) + [_cuda((), "L"), _cuda((2, 3), "U")],
)
def test_eigh(batch, uplo, device):
    a = _sym(*batch, 4, 4)
    ta = _t(a, device=device)
    w, v = LA.eigh(ta, UPLO=uplo)
    assert w.device.type == v.device.type == device
    assert_close(w, np.linalg.eigvalsh(a))
    assert_close(ta @ v, v * w[..., None, :])
    assert_close(LA.eigvalsh(ta), w)
    # only the UPLO triangle is read
    lopsided = _t(np.tril(a) if uplo == "L" else np.triu(a), device=device)
    assert_close(LA.eigvalsh(lopsided, UPLO=uplo), w)

    def gauge_invariant(t):
        t = t.tril() + t.tril(-1).mT if uplo == "L" else t.triu() + t.triu(1).mT
        w, v = LA.eigh(t, UPLO=uplo)
        return w, (v * v * w[..., None, :]).sum(-1), v @ v.mT.diag_embed() if False else (v * v)

    gradcheck(gauge_invariant, [_t(a, True, device)])
    gradcheck(lambda t: LA.eigvalsh(t + t.mT), [_t(a, True, device)])


def test_eig_on_each_device(device):
    a = _t(_rng().standard_normal((2, 3, 3)), device=device)
    if device == "cpu":
        assert LA.eig(a).eigenvectors.dtype == ember.complex128
        return
    # cupy has no general (non-Hermitian) eigensolver: a clear error, not a silent numpy copy
    for f in (LA.eig, LA.eigvals):
        with pytest.raises(RuntimeError, match=r"linalg\.eig: not available on CUDA tensors"):
            f(a)


def test_eig():
    a = _rng().standard_normal((2, 3, 3))
    w, v = LA.eig(_t(a))
    assert w.dtype == ember.complex128
    av = np.einsum("bij,bjk->bik", a, v.numpy())
    assert_close(av, v.numpy() * w.numpy()[..., None, :])
    assert_close(np.sort_complex(LA.eigvals(_t(a)).numpy()), np.sort_complex(np.linalg.eigvals(a)))
    t = _t(a, True)
    (LA.eigvals(t).real ** 2).sum().backward()
    # d sum(Re(l)^2) / dA by finite differences
    eps, num = 1e-6, np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += eps
        minus[idx] -= eps
        num[idx] = (
            (np.linalg.eigvals(plus).real ** 2).sum() - (np.linalg.eigvals(minus).real ** 2).sum()
        ) / (2 * eps)
    assert_close(t.grad.numpy(), num, atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------------- svd, pinv


@pytest.mark.parametrize("shape,device", SHAPE_CASES)
def test_svd(shape, device):
    a = _rng().standard_normal(shape)
    ta = _t(a, device=device)
    U, S, Vh = LA.svd(ta, full_matrices=False)
    assert U.device.type == S.device.type == Vh.device.type == device
    assert_close(S, np.linalg.svd(a, compute_uv=False))
    assert_close((U * S[..., None, :]) @ Vh, a)
    full = LA.svd(ta)
    assert full.U.shape[-1] == shape[-2] and full.Vh.shape[-2] == shape[-1]
    assert_close(LA.svdvals(ta), S)
    # torch.svd: V, not Vh
    u, s, v = ember.svd(ta)
    assert_close((u * s[..., None, :]) @ v.mT, a)
    assert_close(ember.svd(ta, compute_uv=False).U, np.zeros(shape[:-1] + shape[-2:-1]))

    def gauge_invariant(t):
        U, S, Vh = LA.svd(t, full_matrices=False)
        return S, (U * S[..., None, :]) @ Vh, U @ U.mT, Vh.mT @ Vh

    gradcheck(gauge_invariant, [_t(a, True, device)])
    gradcheck(LA.svdvals, [_t(a, True, device)])
    gradcheck(lambda t: LA.svd(t).S, [_t(a, True, device)])


@pytest.mark.parametrize("shape,device", _cpu([(s,) for s in SHAPES]) + [_cuda((2, 4, 3))])
def test_pinv(shape, device):
    a = _rng().standard_normal(shape)
    p = LA.pinv(_t(a, device=device))
    assert p.device.type == device
    assert_close(p, np.linalg.pinv(a))
    gradcheck(LA.pinv, [_t(a, True, device)])
    assert_close(ember.pinverse(_t(a, device=device)), p)
    s = _sym(3, 3)
    assert_close(LA.pinv(_t(s, device=device), hermitian=True), np.linalg.pinv(s))
    gradcheck(lambda t: LA.pinv(t + t.mT, hermitian=True), [_t(s, True, device)])


def test_pinv_and_rank_of_rank_deficient(device):
    a = _rng().standard_normal((4, 2)) @ _rng(1).standard_normal((2, 3))
    ta = _t(a, device=device)
    assert_close(LA.pinv(ta), np.linalg.pinv(a))
    assert LA.matrix_rank(ta).item() == 2
    assert LA.matrix_rank(ta, atol=1e9).item() == 0
    assert LA.matrix_rank(ta, atol=ember.tensor(1e9, device=device)).item() == 0
    assert LA.matrix_rank(_t(_sym(3, 3), device=device), hermitian=True).item() == 3
    assert LA.matrix_rank(ta).dtype == ember.int64


# cupy's own lstsq takes single matrices only: Ember's goes through pinv, batched
@pytest.mark.parametrize(
    "driver,device",
    _cpu([None, "gels", "gelsy", "gelsd", "gelss"]) + [_cuda(None), _cuda("gels")],
)
def test_lstsq(driver, device):
    a = _rng().standard_normal((2, 5, 3))
    b = _rng(1).standard_normal((2, 5, 2))
    x, residuals, rank, sv = LA.lstsq(_t(a, device=device), _t(b, device=device), driver=driver)
    assert x.device.type == device
    normal = np.swapaxes(a, -1, -2) @ (a @ _h(x) - b)
    assert_close(normal, np.zeros_like(normal), atol=1e-10)
    driver = driver or ("gelsy" if device == "cpu" else "gels")  # torch's default per device
    if driver in ("gels", "gelsd", "gelss"):
        assert_close(residuals, ((a @ _h(x) - b) ** 2).sum(-2))
    else:
        assert residuals.shape == (0,)
    assert rank.shape == ((0,) if driver == "gels" else (2,))
    assert sv.shape == ((2, 3) if driver in ("gelsd", "gelss") else (0,))
    gradcheck(
        lambda p, q: LA.lstsq(p, q, driver=driver).solution,
        [_t(a, True, device), _t(b, True, device)],
    )
    # a vector right-hand side
    v = _rng(2).standard_normal(5)
    assert_close(
        LA.lstsq(_t(a[0], device=device), _t(v, device=device)).solution,
        np.linalg.lstsq(a[0], v, rcond=None)[0],
    )
    if device == "cuda":
        with pytest.raises(RuntimeError, match="other than `gels` is not supported on CUDA"):
            LA.lstsq(_t(a, device=device), _t(b, device=device), driver="gelsd")


# ------------------------------------------------------------------------- LU family


# cupy.linalg has no LU: Ember's own kernel (vectorised over the batch) runs on both devices
@pytest.mark.parametrize(
    "shape,device",
    _cpu([((3, 3),), ((2, 4, 4),), ((4, 3),), ((3, 5),)])
    + [_cuda((2, 4, 4)), _cuda((4, 3)), _cuda((3, 5))],
)
def test_lu(shape, device):
    a = _rng().standard_normal(shape)
    P, L, U = LA.lu(_t(a, device=device))
    assert P.device.type == L.device.type == U.device.type == device
    assert_close(P @ L @ U, a)
    assert_close(np.triu(_h(L), 1), np.zeros(L.shape))
    assert_close(np.tril(_h(U), -1), np.zeros(U.shape))
    LU, pivots = LA.lu_factor(_t(a, device=device))
    assert pivots.dtype == ember.int32 and pivots.device.type == device
    if len(shape) == 2:  # LAPACK's pivots and packed factors, as scipy.linalg.lu_factor
        P_ref = np.eye(shape[0])
        for j, p in enumerate(_h(pivots) - 1):
            P_ref[[j, p]] = P_ref[[p, j]]
        assert_close(P, P_ref.T)
    P2, L2, U2 = ember.lu_unpack(LU, pivots)
    assert_close(P2 @ L2 @ U2, a)
    gradcheck(lambda t: LA.lu_factor(t).LU, [_t(a, True, device)])
    gradcheck(lambda t: LA.lu(t)[1:], [_t(a, True, device)])


@pytest.mark.parametrize(
    "left,adjoint,device",
    _cpu(list(itertools.product([True, False], repeat=2)))
    + [_cuda(True, False), _cuda(False, True)],
)
def test_lu_solve(left, adjoint, device):
    a = _general(2, 3, 3)
    b = _rng(1).standard_normal((2, 3, 2) if left else (2, 2, 3))
    LU, pivots = LA.lu_factor(_t(a, device=device))
    x = _h(LA.lu_solve(LU, pivots, _t(b, device=device), left=left, adjoint=adjoint))
    op = np.swapaxes(a, -1, -2) if adjoint else a
    assert_close(op @ x if left else x @ op, b)
    gradcheck(
        lambda lu, r: LA.lu_solve(lu, pivots, r, left=left, adjoint=adjoint),
        [_t(_h(LU), True, device), _t(b, True, device)],
    )
    if left and not adjoint:
        assert_close(ember.lu_solve(_t(b, device=device), LU, pivots), x)


def test_lu_factor_errors(device):
    singular = _t(np.array([[1.0, 2.0], [2.0, 4.0]]), device=device)
    with pytest.raises(RuntimeError, match=r"U\[2,2\] is zero"):
        LA.lu_factor(singular)
    info = LA.lu_factor_ex(singular).info
    assert info.item() == 2 and info.device.type == device
    batch = _t(np.stack([np.eye(2), np.zeros((2, 2))]), device=device)
    assert LA.lu_factor_ex(batch).info.tolist() == [0, 1]
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): U\[1,1\] is zero"):
        LA.lu_factor_ex(batch, check_errors=True)


# ------------------------------------------------------------- matrix functions, rest


def _expm_reference(a):
    """The Taylor series, summed far enough for small matrices."""
    out, term = np.eye(a.shape[-1]), np.eye(a.shape[-1])
    for k in range(1, 60):
        term = term @ a / k
        out = out + term
    return out


@pytest.mark.parametrize(
    "scale,device",
    _cpu([0.1, 1.0, 8.0]) + [_cuda(1.0), _cuda(8.0)],  # 8: scaling and squaring
)
def test_matrix_exp(scale, device):
    a = _rng().standard_normal((3, 3)) * scale
    assert_close(LA.matrix_exp(_t(a, device=device)), _expm_reference(a), rtol=1e-9, atol=1e-9)
    assert_close(ember.matrix_exp(_t(np.zeros((2, 2)), device=device)), np.eye(2))
    d = np.diag([1.0, -2.0])
    assert_close(_t(d, device=device).matrix_exp(), np.diag(np.exp([1.0, -2.0])))
    gradcheck(LA.matrix_exp, [_t(a, True, device)], atol=1e-4 * max(1.0, scale**3))


def test_matrix_exp_batched_and_double_backward(device):
    a = _rng().standard_normal((2, 3, 3)) * 0.5
    ref = np.stack([_expm_reference(m) for m in a])
    assert_close(LA.matrix_exp(_t(a, device=device)), ref, rtol=1e-9, atol=1e-9)
    gradgradcheck(LA.matrix_exp, [_t(a[0], True, device)])


@pytest.mark.parametrize("n,device", _cpu([0, 1, 2, 3, 5, -1, -2]) + [_cuda(-2)])
def test_matrix_power(n, device):
    a = _general(2, 3, 3)
    assert_close(LA.matrix_power(_t(a, device=device), n), np.linalg.matrix_power(a, n))
    assert_close(_t(a, device=device).matrix_power(n), np.linalg.matrix_power(a, n))
    if n:
        gradcheck(lambda t: LA.matrix_power(t, n), [_t(a, True, device)])


def test_cond(device):
    a = _general(2, 3, 3)
    for p in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        assert_close(LA.cond(_t(a, device=device), p), np.linalg.cond(a, p))
    assert LA.cond(_t(np.zeros((2, 2)), device=device), 1).item() == math.inf
    batch = _t(np.stack([np.eye(2), np.zeros((2, 2))]), device=device)
    assert LA.cond(batch, math.inf).tolist() == [1.0, math.inf]


def test_multi_dot_vecdot_cross_diagonal_vander(device):
    r = _rng()
    mats = [r.standard_normal(s) for s in ((3,), (3, 4), (4, 2), (2, 5), (5,))]
    out = LA.multi_dot([_t(m, device=device) for m in mats])
    assert out.device.type == device
    assert_close(out, np.linalg.multi_dot(mats))
    gradcheck(lambda *ts: LA.multi_dot(ts), [_t(m, True, device) for m in mats])
    x, y = r.standard_normal((2, 3)), r.standard_normal((2, 3))
    tx, ty = _t(x, device=device), _t(y, device=device)
    assert_close(LA.vecdot(tx, ty), (x * y).sum(-1))
    assert_close(LA.cross(tx, ty), np.cross(x, y))
    a = r.standard_normal((2, 3, 3))
    assert_close(LA.diagonal(_t(a, device=device)), np.diagonal(a, axis1=-2, axis2=-1))
    v = r.standard_normal((2, 4))
    tv = _t(v, device=device)
    assert_close(LA.vander(tv), np.stack([np.vander(row, increasing=True) for row in v]))
    assert LA.vander(tv, N=6).shape == (2, 4, 6)
    assert_close(LA.vander(tv, N=1), np.ones((2, 4, 1)))
    gradcheck(lambda t: LA.vander(t, N=5), [_t(v, True, device)])


def test_tensorinv_tensorsolve(device):
    a = _general(6, 6).reshape(2, 3, 6)
    ainv = LA.tensorinv(_t(a, device=device), ind=2)
    assert_close(ainv, np.linalg.tensorinv(a, ind=2))
    b = _rng(1).standard_normal((2, 3))
    assert_close(
        LA.tensorsolve(_t(a, device=device), _t(b, device=device)), np.linalg.tensorsolve(a, b)
    )
    gradcheck(lambda p, q: LA.tensorsolve(p, q), [_t(a, True, device), _t(b, True, device)])


def test_complex_inputs(device):
    r = _rng()
    a = r.standard_normal((3, 3)) + 1j * r.standard_normal((3, 3)) + 3 * np.eye(3)
    ta = ember.tensor(a, device=device)
    assert_close(LA.det(ta), np.linalg.det(a))
    assert_close(LA.slogdet(ta), np.linalg.slogdet(a))
    assert_close(LA.inv(ta), np.linalg.inv(a))
    assert_close(LA.svdvals(ta), np.linalg.svd(a, compute_uv=False))
    h = a @ a.conj().T
    assert_close(LA.eigvalsh(ember.tensor(h, device=device)), np.linalg.eigvalsh(h))
    assert_close(LA.cholesky(ember.tensor(h, device=device)), np.linalg.cholesky(h))
    q, rr = LA.qr(ta)
    assert_close(q @ rr, a)
    assert_close(LA.solve(ta, ta), np.eye(3))
    x, y = r.standard_normal(3) + 1j * r.standard_normal(3), r.standard_normal(3) + 1j
    assert_close(
        ember.vdot(ember.tensor(x, device=device), ember.tensor(y, device=device)), np.vdot(x, y)
    )
    # |det|^2 is real: its gradient through the complex det follows torch's convention,
    # d/dA conj(det) det = 2 det * conj(adj(A)^T)... checked against finite differences
    t = ember.tensor(a, requires_grad=True, device=device)
    (LA.det(t).abs() ** 2).backward()
    eps, num = 1e-6, np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        for unit in (1.0, 1j):
            plus, minus = a.copy(), a.copy()
            plus[idx] += eps * unit
            minus[idx] -= eps * unit
            diff = (abs(np.linalg.det(plus)) ** 2 - abs(np.linalg.det(minus)) ** 2) / (2 * eps)
            num[idx] += diff * unit
    assert_close(t.grad, num, atol=1e-5, rtol=1e-5)


# -------------------------------------------------------------------------------- cdist

MM, NO_MM = "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"


@pytest.mark.parametrize(
    "p,mode,device",
    _cpu(list(itertools.product([2.0, 1.0, 3.0, 0.5, math.inf], [MM, NO_MM])))
    + [_cuda(2.0, MM), _cuda(math.inf, NO_MM)],
)
def test_cdist(p, mode, device):
    r = _rng()
    x1, x2 = r.standard_normal((2, 4, 3)), r.standard_normal((2, 5, 3))
    d = ember.cdist(_t(x1, device=device), _t(x2, device=device), p, compute_mode=mode)
    assert d.device.type == device
    ref = np.linalg.norm(x1[:, :, None, :] - x2[:, None, :, :], p, axis=-1)
    assert_close(d, ref)
    gradcheck(
        lambda a, b: ember.cdist(a, b, p, compute_mode=mode),
        [_t(x1, True, device), _t(x2, True, device)],
    )
    # batch dimensions broadcast
    d = ember.cdist(_t(x1[0], device=device), _t(x2, device=device), p, compute_mode=mode)
    assert_close(d, np.linalg.norm(x1[0, :, None, :] - x2[:, None, :, :], p, axis=-1))
    with pytest.raises(RuntimeError, match="same number of columns"):
        ember.cdist(ember.ones(2, 3), ember.ones(2, 4))
