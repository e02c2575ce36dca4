"""ember.linalg's householder_product, ldl_factor / ldl_factor_ex / ldl_solve and solve_ex:
values against numpy's QR and independent reconstructions, hand-computed factorisations,
gradients by float64 finite differences, batches, and torch's errors."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

LA = ember.linalg


def _rng(seed=0):
    return np.random.default_rng(seed)


def _t(a, grad=False):
    return ember.tensor(np.ascontiguousarray(a), requires_grad=grad)


def _symmetric(*shape, seed=0, small_diagonal=False, hermitian=False, complex_=False):
    """Random symmetric (Hermitian) indefinite matrices; a small diagonal forces 2x2 pivots."""
    rng = _rng(seed)
    a = rng.standard_normal(shape)
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
    t = np.swapaxes(a, -1, -2)
    a = a + (t.conj() if hermitian else t)
    if small_diagonal:
        a[..., range(shape[-1]), range(shape[-1])] *= 0.01
    return a


# --------------------------------------------------------------------- householder_product


def _reference_householder(A, tau):
    """H_1 ... H_k [:, :n] by explicit matrices, one matrix of the batch at a time."""
    m, n = A.shape[-2:]
    out = np.empty(A.shape, dtype=np.result_type(A, tau))
    for index in np.ndindex(A.shape[:-2]):
        Q = np.eye(m, dtype=out.dtype)
        for i in range(tau.shape[-1]):
            v = np.zeros(m, dtype=out.dtype)
            v[i] = 1
            v[i + 1 :] = A[index][i + 1 :, i]
            Q = Q @ (np.eye(m) - tau[index][i] * np.outer(v, v.conj()))
        out[index] = Q[:, :n]
    return out


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_householder_product_recovers_qr(batch):
    # numpy's raw QR is LAPACK's geqrf output (transposed): the product of its reflectors
    # is the Q of the reduced QR
    a = _rng(1).standard_normal(batch + (5, 3))
    hs, taus = [], []
    for index in np.ndindex(batch):
        h, tau = np.linalg.qr(a[index], mode="raw")
        hs.append(h.T)
        taus.append(tau)
    h, tau = np.stack(hs).reshape(a.shape), np.stack(taus).reshape(batch + (3,))
    Q = LA.householder_product(_t(h), _t(tau)).numpy()
    np.testing.assert_allclose(Q, np.linalg.qr(a)[0], atol=1e-12)


@pytest.mark.parametrize(
    "shape, k, dtype",
    [
        ((4, 4), 4, np.float64),
        ((6, 3), 2, np.float32),
        ((2, 5, 4), 3, np.complex128),
        ((3, 2), 0, np.float64),
    ],
)
def test_householder_product_values(shape, k, dtype):
    rng = _rng(2)
    A = rng.standard_normal(shape).astype(dtype)
    tau = rng.standard_normal(shape[:-2] + (k,)).astype(dtype)
    if np.iscomplexobj(A):
        A = A + 1j * rng.standard_normal(shape)
        tau = tau + 1j * rng.standard_normal(tau.shape)
    Q = LA.householder_product(_t(A), _t(tau))
    assert Q.dtype == ember.tensor(A).dtype and tuple(Q.shape) == shape
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Q.numpy(), _reference_householder(A, tau), rtol=rtol, atol=rtol)


def test_householder_product_gradients():
    rng = _rng(3)
    inputs = (
        _t(rng.standard_normal((2, 4, 3)), grad=True),
        _t(rng.standard_normal((2, 2)), grad=True),
    )
    assert gradcheck(LA.householder_product, inputs)
    assert gradgradcheck(LA.householder_product, inputs)


def test_householder_product_complex_gradients():
    # gradcheck perturbs real inputs: the complex A and tau are built from their parts, and
    # the complex product is compared as its two parts
    rng = _rng(4)
    parts = [_t(rng.standard_normal(s), grad=True) for s in [(4, 3), (4, 3), (2,), (2,)]]

    def f(a_re, a_im, tau_re, tau_im):
        Q = LA.householder_product(ember.complex(a_re, a_im), ember.complex(tau_re, tau_im))
        return Q.real, Q.imag

    assert gradcheck(f, parts)


def test_householder_product_reads_only_the_reflectors():
    # the diagonal, the upper triangle and the columns past k get no gradient
    A = _t(_rng(5).standard_normal((4, 3)), grad=True)
    LA.householder_product(A, _t(np.array([0.5, -1.0]))).sum().backward()
    g = A.grad.numpy()
    assert np.all(np.triu(g) == 0) and np.all(g[:, 2] == 0) and np.any(g != 0)


@pytest.mark.parametrize(
    "A, tau, error, message",
    [
        ((4,), (2,), RuntimeError, "input must have at least 2 dimensions."),
        ((3, 4), (2,), RuntimeError, r"input.shape\[-2\] must be greater than or equal to"),
        ((4, 3), (4,), RuntimeError, r"input.shape\[-1\] must be greater than or equal to tau"),
        ((4, 3), (2, 2), RuntimeError, "tau.ndim equal to 2 and input.ndim is equal to 2"),
        ((2, 4, 3), (3, 2), RuntimeError, r"batch dimensions of tau .* but got \[3\]"),
    ],
)
def test_householder_product_errors(A, tau, error, message):
    with pytest.raises(error, match=message):
        LA.householder_product(ember.zeros(*A), ember.zeros(*tau))


def test_householder_product_dtype_errors():
    with pytest.raises(RuntimeError, match="tau dtype Double does not match input dtype Float"):
        LA.householder_product(ember.zeros(4, 3), ember.zeros(2, dtype=ember.float64))
    with pytest.raises(NotImplementedError, match="\"orgqr_cpu\" not implemented for 'Long'"):
        LA.householder_product(
            ember.zeros(4, 3, dtype=ember.int64), ember.zeros(2, dtype=ember.int64)
        )


# ------------------------------------------------------------------------------------ LDL


def _unpack_ldl(LD, pivots, hermitian):
    """``L`` and ``D`` of one matrix from LAPACK's compact form: ``L = P(1) L(1) P(2) L(2)
    ...``, each ``P(k)`` one interchange, each ``L(k)`` a unit block holding the multipliers
    stored below ``D``'s 1x1 or 2x2 block ``k``."""
    n = LD.shape[-1]
    L, D = np.eye(n, dtype=LD.dtype), np.zeros_like(LD)
    k = 0
    while k < n:
        s = 1 if pivots[k] > 0 else 2
        swap = k if s == 1 else k + 1
        P = np.eye(n)
        P[[swap, abs(pivots[k]) - 1]] = P[[abs(pivots[k]) - 1, swap]]
        Lk = np.eye(n, dtype=LD.dtype)
        Lk[k + s :, k : k + s] = LD[k + s :, k : k + s]
        L = L @ P @ Lk
        D[k : k + s, k : k + s] = LD[k : k + s, k : k + s]
        if s == 2:
            D[k, k + 1] = np.conj(LD[k + 1, k]) if hermitian else LD[k + 1, k]
        k += s
    return L, D


@pytest.mark.parametrize(
    "hermitian, complex_", [(False, False), (True, False), (True, True), (False, True)]
)
@pytest.mark.parametrize("small_diagonal", [False, True])
def test_ldl_factor_reconstructs(hermitian, complex_, small_diagonal):
    A = _symmetric(
        3, 6, 6, seed=5, small_diagonal=small_diagonal, hermitian=hermitian, complex_=complex_
    )
    LD, pivots = LA.ldl_factor(_t(A), hermitian=hermitian)
    assert pivots.dtype == ember.int32 and tuple(pivots.shape) == (3, 6)
    assert np.all(np.triu(LD.numpy(), 1) == 0)
    if small_diagonal:  # the pivoting took 2x2 blocks
        assert np.any(pivots.numpy() < 0)
    for b in range(3):
        L, D = _unpack_ldl(LD.numpy()[b], pivots.numpy()[b], hermitian)
        Lt = L.conj().T if hermitian else L.T
        np.testing.assert_allclose(L @ D @ Lt, A[b], atol=1e-12)


@pytest.mark.parametrize(
    "A, LD, pivots",
    [
        # |a11| >= alpha * |a21|: 1x1 pivot, no interchange
        ([[4.0, 2.0], [2.0, 3.0]], [[4.0, 0.0], [0.5, 2.0]], [1, 2]),
        # |a22| >= alpha * |a21| > |a11|: interchange, then 1x1 pivots
        ([[1.0, 3.0], [3.0, 10.0]], [[10.0, 0.0], [0.3, 0.1]], [2, 2]),
        # no diagonal entry dominates: one 2x2 block
        ([[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [2.0, 1.0]], [-2, -2]),
        ([[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]], [-2, -2]),
    ],
)
def test_ldl_factor_by_hand(A, LD, pivots):
    # alpha = 0.64: 4 >= 2 alpha; 1 < 3 alpha <= 10; 1 < 2 alpha and 0 < alpha
    got = LA.ldl_factor(_t(np.array(A)))
    np.testing.assert_allclose(got.LD.numpy(), LD, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(got.pivots.numpy(), pivots)


def test_ldl_factor_reads_the_lower_triangle():
    A = _symmetric(5, 5, seed=6)
    noisy = np.tril(A) + np.triu(_rng(7).standard_normal((5, 5)), 1)
    np.testing.assert_array_equal(
        LA.ldl_factor(_t(noisy)).LD.numpy(), LA.ldl_factor(_t(A)).LD.numpy()
    )
    H = _symmetric(4, 4, seed=8, hermitian=True, complex_=True)
    noisy = H.copy()
    noisy[range(4), range(4)] += 5j  # a Hermitian factorisation reads the diagonal's real part
    LD = LA.ldl_factor(_t(noisy), hermitian=True).LD.numpy()
    np.testing.assert_array_equal(LD, LA.ldl_factor(_t(H), hermitian=True).LD.numpy())
    assert np.all(np.diagonal(LD).imag == 0)


def test_ldl_factor_ex_info():
    A = np.stack([np.zeros((3, 3)), np.eye(3), np.diag([1.0, 0.0, 2.0])])
    _, pivots, info = LA.ldl_factor_ex(_t(A))
    np.testing.assert_array_equal(info.numpy(), [1, 0, 2])
    assert info.dtype == ember.int32
    np.testing.assert_array_equal(pivots.numpy()[0], [1, 2, 3])
    with pytest.raises(LA.LinAlgError, match=r"ldl_factor: \(Batch element 0\): D\[1,1\] is zero"):
        LA.ldl_factor(_t(A))
    with pytest.raises(LA.LinAlgError, match=r"ldl_factor_ex: \(Batch element 0\)"):
        LA.ldl_factor_ex(_t(A), check_errors=True)


def test_ldl_factor_empty():
    LD, pivots, info = LA.ldl_factor_ex(ember.zeros(2, 0, 0))
    assert tuple(LD.shape) == (2, 0, 0) and tuple(pivots.shape) == (2, 0)
    np.testing.assert_array_equal(info.numpy(), [0, 0])


def test_ldl_factor_errors():
    with pytest.raises(
        RuntimeError, match="ldl_factor_ex: The input tensor A must have at least 2"
    ):
        LA.ldl_factor(ember.zeros(4))
    with pytest.raises(
        RuntimeError, match="A must be batches of square matrices, but they are 4 by 3"
    ):
        LA.ldl_factor(ember.zeros(4, 3))
    with pytest.raises(
        RuntimeError, match=r"Expected a floating point or complex tensor as input\. Got Long"
    ):
        LA.ldl_factor(ember.zeros(3, 3, dtype=ember.int64))


@pytest.mark.parametrize("hermitian, complex_", [(False, False), (True, True), (False, True)])
def test_ldl_solve(hermitian, complex_):
    A = _symmetric(4, 7, 7, seed=9, small_diagonal=True, hermitian=hermitian, complex_=complex_)
    B = _rng(10).standard_normal((4, 7, 2)) + (1j if complex_ else 0) * _rng(11).standard_normal(
        (4, 7, 2)
    )
    LD, pivots = LA.ldl_factor(_t(A), hermitian=hermitian)
    X = LA.ldl_solve(LD, pivots, _t(B), hermitian=hermitian)
    np.testing.assert_allclose(A @ X.numpy(), B, atol=1e-10)


def test_ldl_solve_broadcasts_and_takes_any_integer_pivots():
    A = _symmetric(3, 5, 5, seed=12, small_diagonal=True)
    LD, pivots = LA.ldl_factor(_t(A))
    B = _rng(13).standard_normal((2, 1, 5, 3))
    X = LA.ldl_solve(LD, pivots.long(), _t(B))
    assert tuple(X.shape) == (2, 3, 5, 3)
    np.testing.assert_allclose(A @ X.numpy(), np.broadcast_to(B, (2, 3, 5, 3)), atol=1e-10)
    X = LA.ldl_solve(LD[0], pivots[0], _t(B[0, 0].astype(np.float64)))
    np.testing.assert_allclose(A[0] @ X.numpy(), B[0, 0], atol=1e-10)


def test_ldl_solve_errors():
    LD, pivots = LA.ldl_factor(_t(_symmetric(4, 4, seed=14)))
    B = ember.zeros(4, 2, dtype=ember.float64)
    with pytest.raises(
        RuntimeError, match="Expected b and A to have the same dtype, but found b of type Float"
    ):
        LA.ldl_solve(LD, pivots, ember.zeros(4, 2))
    with pytest.raises(RuntimeError, match="each A matrix is 4 by 4 but each b matrix is 3 by 2"):
        LA.ldl_solve(LD, pivots, B[:3])
    with pytest.raises(
        RuntimeError,
        match=r"LD.shape\[:-1\] and pivots.shape to be the same, but got pivots with shape \[3\]",
    ):
        LA.ldl_solve(LD, pivots[:3], B)
    with pytest.raises(RuntimeError, match=r"Expected pivots to be integers\. Got Float"):
        LA.ldl_solve(LD, pivots.float(), B)
    with pytest.raises(
        RuntimeError, match="A must be batches of square matrices, but they are 3 by 4"
    ):
        LA.ldl_solve(LD[:3], pivots, B)


def test_ldl_is_not_differentiable():
    A = _t(_symmetric(3, 3, seed=15), grad=True)
    LD, pivots = LA.ldl_factor(A)
    with pytest.raises(
        RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not implemented"
    ):
        LD.sum().backward()
    B = _t(np.ones((3, 1)), grad=True)
    X = LA.ldl_solve(LD.detach(), pivots, B)
    with pytest.raises(
        RuntimeError, match="derivative for aten::linalg_ldl_solve is not implemented"
    ):
        X.sum().backward()


# ------------------------------------------------------------------------------- solve_ex


def test_solve_ex_matches_solve():
    A = _rng(16).standard_normal((3, 4, 4)) + 4 * np.eye(4)
    B = _rng(17).standard_normal((3, 4, 2))
    result, info = LA.solve_ex(_t(A), _t(B))
    np.testing.assert_allclose(A @ result.numpy(), B, atol=1e-12)
    assert info.dtype == ember.int32 and tuple(info.shape) == (3,) and not info.numpy().any()
    result = LA.solve_ex(_t(A), _t(np.swapaxes(B, -1, -2)), left=False).result  # X A = B
    np.testing.assert_allclose(result.numpy() @ A, np.swapaxes(B, -1, -2), atol=1e-12)


def test_solve_ex_singular():
    A = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0]), np.zeros((3, 3))])
    B = np.ones((3, 3))
    result, info = LA.solve_ex(_t(A), _t(B))
    np.testing.assert_array_equal(info.numpy(), [0, 2, 1])
    np.testing.assert_array_equal(result.numpy()[0], 1.0)
    assert np.isnan(result.numpy()[1:]).all()
    with pytest.raises(LA.LinAlgError, match=r"solve_ex: \(Batch element 1\): The solver failed"):
        LA.solve_ex(_t(A), _t(B), check_errors=True)
    # info follows A's batch, not the broadcast one
    assert tuple(LA.solve_ex(_t(A[1]), _t(np.ones((5, 3, 1)))).info.shape) == ()


def test_solve_ex_gradients():
    A = _t(_rng(18).standard_normal((2, 3, 3)) + 3 * np.eye(3), grad=True)
    B = _t(_rng(19).standard_normal((2, 3, 2)), grad=True)
    assert gradcheck(lambda a, b: LA.solve_ex(a, b).result, (A, B))


def test_solve_ex_errors():
    with pytest.raises(RuntimeError, match=r"linalg.solve: Incompatible shapes of A and B"):
        LA.solve_ex(ember.zeros(4, 4), ember.zeros(3, 2))
    with pytest.raises(RuntimeError, match=r"linalg\.solve: A must be batches of square matrices"):
        LA.solve_ex(ember.zeros(4, 3), ember.zeros(4, 2))


needs_cuda = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")


def _on_both(f, *arrays):
    """``f`` of the arrays as cpu tensors, then as cuda tensors: its outputs as host arrays."""
    return [
        [t.detach().cpu().numpy() for t in f(*(ember.tensor(a, device=d) for a in arrays))]
        for d in ("cpu", "cuda")
    ]


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("hermitian", [False, True])
def test_ldl_cuda(hermitian):
    A = _symmetric(3, 9, 9, seed=20, small_diagonal=True, hermitian=hermitian, complex_=hermitian)
    B = _rng(21).standard_normal((3, 9, 2)) + 0 * A[..., :2]

    def f(A, B):
        LD, pivots, info = LA.ldl_factor_ex(A, hermitian=hermitian)
        return LD, pivots, info, LA.ldl_solve(LD, pivots, B, hermitian=hermitian)

    cpu, cuda = _on_both(f, A, B)
    np.testing.assert_array_equal(cpu[1], cuda[1])
    for a, b in zip(cpu, cuda):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.gpu
@needs_cuda
def test_householder_product_and_solve_ex_cuda():
    def f(A, tau):
        A.requires_grad_(True)
        tau.requires_grad_(True)
        Q = LA.householder_product(A, tau)
        (Q * Q).sum().backward()
        return Q, A.grad, tau.grad

    cpu, cuda = _on_both(
        f, _rng(22).standard_normal((2, 5, 3)), np.array([[0.5, -1.0], [2.0, 0.3]])
    )
    for a, b in zip(cpu, cuda):
        np.testing.assert_allclose(a, b, atol=1e-12)
    A = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0]), np.zeros((3, 3))])
    cpu, cuda = _on_both(lambda A, B: LA.solve_ex(A, B), A, np.ones((3, 3)))
    np.testing.assert_array_equal(cuda[1], [0, 2, 1])
    np.testing.assert_array_equal(cpu[0], cuda[0])
