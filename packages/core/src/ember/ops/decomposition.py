"""Matrix decompositions and the functions built on them, as ``torch.linalg`` and torch's
top-level linear-algebra names: norms, determinants, inverses, solvers, Cholesky, QR,
eigen- and singular value decompositions, pseudo-inverses, least squares, LU, ``matrix_exp``.

Every function takes a batch of matrices ``(*, m, n)`` and runs one ``xp.linalg`` call over the
whole batch (numpy's and cupy's routines broadcast over leading dimensions). The primitives
(``Det``, ``Slogdet``, ``Inv``, ``Solve``, ``Cholesky``, ``QR``, ``Eigh``, ``Eig``, ``Svd``,
``Pinv``, ``LUFactor``, ``MatrixExp``) have torch's backward formulas
(``FunctionsManual.cpp``), written in ember operations so that higher-order gradients come
free; everything else (``solve_triangular``, ``lstsq``, ``lu_solve``, ``cond``, ...) is composed
of them. Analytic matrix functions (``det``, ``inv``, ``solve``, ``matrix_exp``) are marked
``holomorphic``: their backward is the real formula with plain transposes, and the engine
conjugates it into torch's complex convention.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from .. import backend
from .._dtype import from_numpy
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from . import linalg as _linalg
from . import reduction as _red
from . import shape as _shape
from ._util import quiet, wrap_dim
from .pointwise import where

__all__ = [
    "norm",
    "frobenius_norm",
    "nuclear_norm",
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "cholesky",
    "cholesky_solve",
    "cholesky_inverse",
    "qr",
    "svd",
    "pinverse",
    "matrix_power",
    "matrix_exp",
    "lu_solve",
    "lu_unpack",
    "cdist",
    "triangular_solve",
]


class _LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (a singular matrix, a matrix that is not
    positive-definite, an algorithm that did not converge): torch's ``_LinAlgError``, exposed
    as ``ember.linalg.LinAlgError``, a subclass of RuntimeError."""


# torch.return_types.*: tuples whose fields read as torch names them
_Slogdet = namedtuple("slogdet", ("sign", "logabsdet"))
_LinalgSlogdet = namedtuple("linalg_slogdet", ("sign", "logabsdet"))
_InvEx = namedtuple("linalg_inv_ex", ("inverse", "info"))
_CholeskyEx = namedtuple("linalg_cholesky_ex", ("L", "info"))
_QR = namedtuple("qr", ("Q", "R"))
_LinalgQR = namedtuple("linalg_qr", ("Q", "R"))
_Eigh = namedtuple("linalg_eigh", ("eigenvalues", "eigenvectors"))
_Eig = namedtuple("linalg_eig", ("eigenvalues", "eigenvectors"))
_SVD = namedtuple("svd", ("U", "S", "V"))
_LinalgSVD = namedtuple("linalg_svd", ("U", "S", "Vh"))
_Lstsq = namedtuple("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_LUFactor = namedtuple("linalg_lu_factor", ("LU", "pivots"))
_LUFactorEx = namedtuple("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_LU = namedtuple("linalg_lu", ("P", "L", "U"))
_LUUnpack = namedtuple("lu_unpack", ("P", "L", "U"))
_TriangularSolve = namedtuple("triangular_solve", ("solution", "cloned_coefficient"))

# ------------------------------------------------------------------------------- helpers


def _deprecated(message):
    """torch's deprecation warning for its pre-``linalg`` functions (torch says it once per
    process; Python's default filter shows it once per call site)."""
    warnings.warn(message, UserWarning, stacklevel=3)


def _mH(x):
    """The conjugate transpose of the last two dimensions."""
    return x.mT.conj() if x.is_complex() else x.mT


def _const(array):
    return Tensor._make(array)


def _eye_like(x, n=None):
    """An ``n x n`` identity (default: ``x``'s last size) of ``x``'s dtype and device."""
    data = x._data if isinstance(x, Tensor) else x
    xp = backend.array_module(data)
    return _const(xp.eye(data.shape[-1] if n is None else n, dtype=data.dtype))


def _check_float(A, fname, arg="input"):
    if A.dtype.is_floating_point or A.is_complex():
        return
    raise RuntimeError(
        f"{fname}: Expected a floating point or complex tensor as {arg}. Got {A.dtype.scalar_name}"
    )


def _check_matrix(A, fname, arg="A", square=False):
    """torch's checks of a (batch of) matrix argument: float or complex, 2-D at least, and
    square where ``square``."""
    if A.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor {arg} must have at least 2 dimensions.")
    _check_float(A, fname)
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{fname}: {arg} must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )


def _batch_prefix(shape, flat_index):
    """torch's ``(Batch element i): `` prefix of an error about one matrix of a batch."""
    if len(shape) <= 2:
        return ""
    return f"(Batch element {flat_index}): "


def _first_failure(info):
    """The index and info value of the first nonzero entry of the host array ``info``."""
    flat = np.asarray(info).reshape(-1)
    index = int(np.flatnonzero(flat)[0])
    return index, int(flat[index])


def _real_dtype(x):
    return x.real.dtype if x.dtype.kind == "c" else x.dtype


# ------------------------------------------------------------------------------------ LU


def _lu_kernel(a):
    """LU with partial pivoting of a batch of ``(m, n)`` arrays, vectorised over the batch
    (the loop runs over the ``min(m, n)`` columns): ``(lu, pivots, info)`` as LAPACK's getrf
    gives them (L and U packed in ``lu``, 1-based int32 row swaps, the first zero pivot's
    1-based index or 0)."""
    xp = backend.array_module(a)
    lu = a.copy()
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    lu = lu.reshape((-1, m, n))
    rows = xp.arange(lu.shape[0])
    pivots = xp.zeros((lu.shape[0], k), dtype=np.int32)
    info = xp.zeros(lu.shape[0], dtype=np.int32)
    with quiet():  # a zero pivot divides by zero, as LAPACK's getrf goes on regardless
        for j in range(k):
            p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = p + 1
            top, low = lu[rows, j].copy(), lu[rows, p].copy()
            lu[rows, j], lu[rows, p] = low, top
            pivot = lu[:, j, j]
            info = xp.where((pivot == 0) & (info == 0), j + 1, info).astype(np.int32)
            lu[:, j + 1 :, j] /= pivot[:, None]
            lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch)


def _permutation(pivots, m):
    """The row permutation ``perm`` (``P^T A = A[perm]``) that LAPACK pivots describe."""
    xp = backend.array_module(pivots)
    batch = pivots.shape[:-1]
    piv = pivots.reshape((-1, pivots.shape[-1])).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (piv.shape[0], m)).copy()
    rows = xp.arange(piv.shape[0])
    for j in range(piv.shape[1]):
        target = piv[:, j]
        a, b = perm[rows, j].copy(), perm[rows, target].copy()
        perm[rows, j], perm[rows, target] = b, a
    return perm.reshape(batch + (m,))


def _permutation_matrix(pivots, m, dtype):
    """``P`` with ``A = P L U`` for LAPACK pivots: ``P[perm[i], i] = 1``."""
    xp = backend.array_module(pivots)
    perm = _permutation(pivots, m)
    rows = xp.eye(m, dtype=dtype)[perm]  # rows[i] = e_{perm[i]}: P^T
    return xp.swapaxes(rows, -1, -2)


class LUFactor(Function):
    """``(LU, pivots)`` of ``A = P L U`` (L unit lower, U upper, packed in one matrix)."""

    @staticmethod
    def forward(ctx, a):
        lu, pivots, _ = _lu_kernel(a)
        ctx.save_for_backward(lu, pivots)
        return lu, pivots

    @staticmethod
    def backward(ctx, g_lu, _g_pivots):
        # torch's linalg_lu_backward: with gL = tril(gLU, -1), gU = triu(gLU),
        # square: gA = P L^{-H} [tril(L^H gL, -1) + triu(gU U^H)] U^{-H}; a wide or tall A
        # adds the off-square block's terms.
        lu, pivots = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = min(m, n)
        P = _const(_permutation_matrix(pivots._data, m, lu._data.dtype))
        L = lu[..., :, :k].tril(-1) + _eye_like(lu, m)[:, :k]
        U = lu[..., :k, :].triu()
        gL = g_lu[..., :, :k].tril(-1)
        gU = g_lu[..., :k, :].triu()
        if m == n:
            return P @ _lu_square_backward(L, U, gL, gU)
        if m < n:
            # A = P L [U1 U2]: U2 = L^{-1} P^T A2, so A2 gets P L^{-H} gU2 and L gets
            # -L^{-H} gU2 U2^H (on its strict lower triangle) on top of gL
            U1, U2, gU2 = U[..., :k], U[..., k:], gU[..., k:]
            gA2 = _solve_tri(_mH(L), gU2, upper=True, unitriangular=True)
            gL = gL - (gA2 @ _mH(U2)).tril(-1)
            gA1 = _lu_square_backward(L, U1, gL, gU[..., :k])
            return P @ _shape.cat([gA1, gA2], -1)
        # m > n: A = P [L1; L2] U: L2 = (P^T A)_2 U^{-1}, so A2 gets gL2 U^{-H} and U gets
        # -L2^H gL2 U^{-H} (on its upper triangle) on top of gU
        L1, L2, gL2 = L[..., :k, :], L[..., k:, :], gL[..., k:, :]
        gA2 = _solve_tri(_mH(U), gL2, upper=False, left=False)
        gU = gU - (_mH(L2) @ gA2).triu()
        gA1 = _lu_square_backward(L1, U, gL[..., :k, :], gU)
        return P @ _shape.cat([gA1, gA2], -2)


def _lu_square_backward(L, U, gL, gU):
    """torch's linalg_lu_backward for square ``A = P L U``, before the ``P``:
    ``L^{-H} [tril(L^H gL, -1) + triu(gU U^H)] U^{-H}``."""
    phi = (_mH(L) @ gL).tril(-1) + (gU @ _mH(U)).triu()
    gA = _solve_tri(_mH(L), phi, upper=True, unitriangular=True)
    return _solve_tri(_mH(U), gA, upper=False, left=False)


# ---------------------------------------------------------------------- det, inv, solve


def _raise_singular(a, fname, reason, info=None):
    """torch's LinAlgError for the first singular matrix of ``a``, named by its first zero
    pivot (``reason`` words what failed; ``info`` the host pivot info when already known)."""
    if info is None:
        info = backend.to_device(_lu_kernel(a)[2], backend.Device("cpu"))
    if info.any():
        index, value = _first_failure(info)
        prefix = _batch_prefix(a.shape, index)
    else:  # LAPACK met a zero pivot that this kernel's rounding did not: name no element
        value, prefix = 1, ""
    if reason == "inv":
        message = (
            f"The diagonal element {value} is zero, the inversion could not be completed "
            "because the input matrix is singular."
        )
    else:
        message = "The solver failed because the input matrix is singular."
    raise _LinAlgError(f"{fname}: {prefix}{message}") from None


def _check_cuda_singular(a, y, fname, reason):
    """cupy does not raise on a singular matrix as numpy's LAPACK does: its inverse or
    solution holds inf/nan instead. Raise numpy's way where ``y`` is not finite and some
    matrix of ``a`` has a zero pivot (a nan already in the input gives nan, as on the CPU).
    One device sync on cuda; nothing on the CPU."""
    if not backend.is_cuda_array(y) or not y.size:
        return
    if bool(backend.array_module(y).isfinite(y).all()):
        return
    info = backend.to_device(_lu_kernel(a)[2], backend.Device("cpu"))
    if info.any():
        _raise_singular(a, fname, reason, info)


class Det(Function):
    holomorphic = True

    @staticmethod
    def forward(ctx, a):
        y = backend.array_module(a).asarray(backend.array_module(a).linalg.det(a))
        ctx.save_for_backward(a, y)
        return y.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        # d det / dA = adj(A)^T = det(A) A^{-T} where A is invertible. Where |det| < eps torch
        # switches to the SVD A = U S Vh: adj(A)^T = det(U) det(Vh) U diag(pi) Vh with
        # pi_i = prod_{j != i} S_j, exact on singular matrices too.
        a, y = ctx.saved_tensors
        eps = np.finfo(_real_dtype(a._data)).eps
        singular = y.detach().abs() < eps
        g = gy[..., None, None]
        if not bool(singular._data.any()):
            return g * y[..., None, None] * inv(a).mT
        mask = singular[..., None, None]
        safe = where(mask, _eye_like(a), a)
        regular = g * y[..., None, None] * inv(safe).mT
        U, S, Vh = linalg_svd(a, full_matrices=False)
        alpha = (Det.apply(U) * Det.apply(Vh))[..., None, None]
        cofactor = alpha * (U.conj() * _products_of_others(S)[..., None, :]) @ Vh.conj()
        return where(mask, g * cofactor, regular)


def _products_of_others(s):
    """``pi_i = prod_{j != i} s_j`` along the last dimension, without dividing (zeros
    allowed): exclusive cumulative products from the left and from the right."""
    ones = _const(backend.array_module(s._data).ones(s.shape[:-1] + (1,), dtype=s._data.dtype))
    left = _shape.cat([ones, _red.cumprod(s[..., :-1], -1)], -1)
    right = _shape.flip(
        _shape.cat([ones, _red.cumprod(_shape.flip(s, (-1,))[..., :-1], -1)], -1), (-1,)
    )
    return left * right


class Slogdet(Function):
    @staticmethod
    def forward(ctx, a):
        xp = backend.array_module(a)
        sign, logabsdet = xp.linalg.slogdet(a)
        sign, logabsdet = xp.asarray(sign).astype(a.dtype), xp.asarray(logabsdet)
        ctx.save_for_backward(a, sign)
        return sign, logabsdet.astype(_real_dtype(a), copy=False)

    @staticmethod
    def backward(ctx, g_sign, g_logabsdet):
        # torch's slogdet_backward: g = g_logabsdet - i Im(g_sign conj(sign)) (the sign of a
        # real matrix is locally constant), then gA = g A^{-H}
        a, sign = ctx.saved_tensors
        g = g_logabsdet
        if a.is_complex():
            g = g - 1j * (g_sign * sign.conj()).imag
        return g[..., None, None] * _mH(inv(a))


class Inv(Function):
    holomorphic = True

    @staticmethod
    def forward(ctx, a, fname):
        # A^{-1} as the solution of A X = I, which is numpy's inv itself (gesv). On cupy this
        # takes getrf/getrs, whose triangular solves turn a zero pivot into inf/nan for
        # _check_cuda_singular; cupy's batched inv (cuBLAS getriBatched) documents nothing
        # about what it writes for a singular matrix
        xp = backend.array_module(a)
        eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
        try:
            y = xp.linalg.solve(a, eye) if a.size else xp.zeros_like(a)
        except np.linalg.LinAlgError:
            _raise_singular(a, fname, "inv")
        _check_cuda_singular(a, y, fname, "inv")
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors  # d(A^{-1}) = -A^{-1} dA A^{-1}
        return -(y.mT @ gy @ y.mT)


class Solve(Function):
    """``X`` with ``A X = B`` for batches of matrices ``A`` and ``B`` of one batch shape
    (cupy's solve does not broadcast batch dimensions: the callers expand both)."""

    holomorphic = True

    @staticmethod
    def forward(ctx, a, b, fname):
        xp = backend.array_module(a)
        try:
            x = xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            _raise_singular(a, fname, "solve")
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, gx):
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mT, gx, "linalg.solve")  # A^T gB = gX
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb


def det(A):
    """The determinant of a square matrix, or of each in a batch ``(*, n, n)``.

    Differentiable everywhere, singular matrices included (their gradient is the transposed
    adjugate, computed through the SVD as torch does).
    """
    _check_matrix(A, "linalg.det", square=True)
    return Det.apply(A)


def logdet(input):
    """``log(det(input))``: nan for a negative determinant, -inf for a singular matrix (a
    complex input gives the complex logarithm)."""
    sign, logabsdet = slogdet(input)
    if input.is_complex():
        return sign.log() + logabsdet
    return where(sign < 0, math.nan, logabsdet)


def _slogdet(A, result):
    _check_matrix(A, "linalg.slogdet", square=True)
    return result(*Slogdet.apply(A))


def slogdet(input):
    """``(sign, logabsdet)``: the sign (for complex input the unit-modulus phase) and the
    natural log of the absolute value of the determinant, so that
    ``det = sign * exp(logabsdet)``; a singular matrix gives ``(0, -inf)``."""
    return _slogdet(input, _Slogdet)


def linalg_slogdet(A):
    """``torch.linalg.slogdet``: see ``slogdet``."""
    return _slogdet(A, _LinalgSlogdet)


@autocast_op("linalg_inv")
def inv(A):
    """The inverse of a square matrix, or of each in a batch ``(*, n, n)``.

    Raises:
        LinAlgError: some matrix is singular (naming the batch element and its zero pivot).
    """
    _check_matrix(A, "linalg.inv", square=True)
    return Inv.apply(A, "linalg.inv")


@autocast_op("inverse")
def inverse(input):
    """``torch.inverse``: an alias of ``linalg.inv``."""
    return inv(input)


@autocast_op("linalg_inv_ex")
def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``: the inverse without raising on singular matrices; ``info`` (int32,
    one per matrix) is 0 where the inversion succeeded, else the 1-based index of the first
    zero pivot (the inverse is then nan there)."""
    _check_matrix(A, "linalg.inv_ex", square=True)
    xp = backend.array_module(A._data)
    _, _, info = _lu_kernel(A._data)
    if check_errors and bool(info.any()):
        _raise_singular(A._data, "linalg.inv_ex", "inv")
    failed = _const(info != 0)[..., None, None]
    safe = where(failed, _eye_like(A), A) if bool(info.any()) else A
    return _InvEx(where(failed, math.nan, inv(safe)), _const(xp.asarray(info)))


def _vector_rhs(A, B):
    """torch's rule: B is a (batch of) vector(s) if it is 1-D, or has one dimension less than
    A and A's batch shape followed by n."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _check_same_dtype(A, B, fname):
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"{fname}: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.scalar_name} and B of type {B.dtype.scalar_name} instead"
        )


@autocast_op("linalg_solve")
def solve(A, B, *, left=True):
    """The solution ``X`` of ``A X = B`` (``X A = B`` when ``left=False``) for square,
    invertible ``A`` of shape ``(*, n, n)`` and ``B`` of shape ``(*, n, k)`` or ``(*, n)``
    (batch dimensions broadcast).

    Raises:
        LinAlgError: some matrix of ``A`` is singular.
    """
    _check_matrix(A, "linalg.solve", square=True)
    _check_same_dtype(A, B, "linalg.solve")
    vector = _vector_rhs(A, B)
    rhs = B.unsqueeze(-1) if vector else B  # a column, for left=False too (as torch)
    if (rhs.shape[-2] if left else rhs.shape[-1]) != A.shape[-1]:
        raise RuntimeError(
            "linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
            f"{rhs.shape[-2]}x{rhs.shape[-1]})"
        )
    if not left:
        return solve(A.mT, rhs.mT).mT
    batch = _linalg._broadcast_batch(A.shape[:-2], rhs.shape[:-2])
    A = A.expand(batch + tuple(A.shape[-2:]))
    X = Solve.apply(A, rhs.expand(batch + tuple(rhs.shape[-2:])), "torch.linalg.solve")
    _check_cuda_singular(A._data, X._data, "torch.linalg.solve", "solve")
    return X.squeeze(-1) if vector else X


def _solve_tri(A, B, *, upper, left=True, unitriangular=False):
    """``solve_triangular`` without argument checks (used by backward formulas too): the
    triangle of ``A`` (unit diagonal where ``unitriangular``) goes to ``Solve``, whose
    gradient then lies on that triangle through ``tril``/``triu``."""
    if not left:
        return _solve_tri(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
    T = A.triu() if upper else A.tril()
    if unitriangular:
        T = T.triu(1) + _eye_like(A) if upper else T.tril(-1) + _eye_like(A)
    batch = _linalg._broadcast_batch(T.shape[:-2], B.shape[:-2])
    T, B = T.expand(batch + tuple(T.shape[-2:])), B.expand(batch + tuple(B.shape[-2:]))
    with quiet():
        return Solve.apply(T, B, "linalg.solve_triangular")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The solution ``X`` of ``A X = B`` (``X A = B`` when ``left=False``) for triangular
    ``A`` ``(*, n, n)``: only its upper (``upper=True``) or lower triangle is read, and with
    ``unitriangular`` its diagonal is taken to be ones. ``B`` is ``(*, n, k)`` (``(*, k, n)``
    when ``left=False``); batch dimensions broadcast."""
    _check_matrix(A, "linalg.solve_triangular", square=True)
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    _check_same_dtype(A, B, "linalg.solve_triangular")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            "linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    return _solve_tri(A, B, upper=upper, left=left, unitriangular=unitriangular)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """``(solution, cloned_coefficient)``: the solution of ``A X = b`` (``A^T X = b`` with
    ``transpose``) for triangular ``A``, and a copy of ``A``. Deprecated in torch in favour
    of ``linalg.solve_triangular`` (note the swapped argument order); kept as torch has it."""
    _deprecated(
        "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular"
        "and will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular has "
        "its arguments reversed and does not return a copy of one of the inputs.\n"
        "X = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
        "X = torch.linalg.solve_triangular(A, B)."
    )
    if transpose:
        X = _solve_tri(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        X = _solve_tri(A, b, upper=upper, unitriangular=unitriangular)
    return _TriangularSolve(X, A.clone())


# ------------------------------------------------------------------------------ cholesky


def _cholesky_info(a):
    """For each matrix of ``a`` (host arrays), 0 if positive-definite else the order of the
    first leading minor that is not (LAPACK potrf's info). Only run on the failure path."""
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for b, matrix in enumerate(flat):
        for order in range(1, matrix.shape[-1] + 1):
            try:
                np.linalg.cholesky(matrix[:order, :order])
            except np.linalg.LinAlgError:
                info[b] = order
                break
    return info.reshape(a.shape[:-2])


class Cholesky(Function):
    @staticmethod
    def forward(ctx, a, upper):
        ctx.upper = upper
        xp = backend.array_module(a)
        lower = xp.linalg.cholesky(a)  # reads the lower triangle, as torch
        y = xp.swapaxes(lower, -1, -2).conj() if upper else lower
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        # torch's cholesky_backward (Murray 2016): with Phi(X) = tril(X) with the diagonal
        # halved, gA = sym(L^{-H} Phi(L^H gL) L^{-1}), sym(X) = (X + X^H) / 2
        (y,) = ctx.saved_tensors
        L, gL = (_mH(y), _mH(gy)) if ctx.upper else (y, gy)
        phi = (_mH(L) @ gL).tril()
        phi = phi - 0.5 * _shape.diag_embed(_shape.diagonal(phi, 0, -2, -1))
        gA = _solve_tri(_mH(L), phi, upper=True)
        gA = _solve_tri(L, gA, upper=False, left=False)
        return 0.5 * (gA + _mH(gA)), None


def _cholesky_failed(a, fname):
    info = _cholesky_info(backend.to_device(a, backend.Device("cpu")))
    if info.any():
        index, order = _first_failure(info)
        prefix = _batch_prefix(a.shape, index)
    else:  # cuSOLVER failed where numpy's rounding did not: name the whole matrix
        prefix, order = "", a.shape[-1]
    raise _LinAlgError(
        f"{fname}: {prefix}The factorization could not be completed "
        f"because the input is not positive-definite (the leading minor of order {order} is "
        "not positive-definite)."
    ) from None


def _cuda_cholesky_failed(L):
    """Whether cupy's Cholesky factor ``L`` (or ``L^H``) marks a failed factorization: cupy
    does not raise as numpy does, and cuSOLVER's potrf leaves the failing pivot on the
    diagonal as a non-positive number or nan (a valid factor has a positive real diagonal
    and finite entries). False on the CPU, where numpy raised instead; one sync on cuda."""
    if not backend.is_cuda_array(L):
        return False
    xp = backend.array_module(L)
    diagonal = xp.diagonal(L, axis1=-2, axis2=-1).real
    return not bool(xp.isfinite(L).all() & (diagonal > 0).all())


def _cholesky_apply(A, upper, fname):
    try:
        L = Cholesky.apply(A, bool(upper))
    except np.linalg.LinAlgError:
        _cholesky_failed(A._data, fname)
    if _cuda_cholesky_failed(L._data):
        _cholesky_failed(A._data, fname)
    return L


def linalg_cholesky(A, *, upper=False):
    """The Cholesky factor ``L`` (lower triangular, ``A = L L^H``) of a Hermitian
    positive-definite matrix, or ``U = L^H`` with ``upper=True``. Only the lower triangle of
    ``A`` is read.

    Raises:
        LinAlgError: some matrix is not positive-definite (naming the leading minor).
    """
    _check_matrix(A, "linalg.cholesky", square=True)
    return _cholesky_apply(A, upper, "linalg.cholesky")


@autocast_op("cholesky")
def cholesky(input, upper=False):
    """``torch.cholesky``: ``linalg.cholesky(input, upper=upper)`` (deprecated in torch in
    favour of ``linalg.cholesky``)."""
    _deprecated(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
        "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
        "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
        "equivalent results for all valid (symmetric positive definite) inputs."
    )
    return linalg_cholesky(input, upper=upper)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: the Cholesky factor without raising; ``info`` (int32, per matrix) is 0
    on success, else the order of the leading minor that is not positive-definite (``L`` is
    then zeros there)."""
    _check_matrix(A, "linalg.cholesky_ex", square=True)
    xp = backend.array_module(A._data)
    try:
        L = Cholesky.apply(A, bool(upper))
        if not _cuda_cholesky_failed(L._data):
            return _CholeskyEx(L, _const(xp.zeros(A.shape[:-2], dtype=np.int32)))
    except np.linalg.LinAlgError:
        pass
    info = _cholesky_info(backend.to_device(A._data, backend.Device("cpu")))
    if check_errors:
        _cholesky_failed(A._data, "linalg.cholesky_ex")
    failed = _const(xp.asarray(info != 0))[..., None, None]
    L = Cholesky.apply(where(failed, _eye_like(A), A), bool(upper))
    return _CholeskyEx(where(failed, 0.0, L), _const(xp.asarray(info)))


def cholesky_solve(B, L, upper=False):
    """The solution ``X`` of ``A X = B`` given the Cholesky factor of ``A``: ``L`` lower
    (``A = L L^H``) or, with ``upper``, upper (``A = U^H U``)."""
    U = _mH(L) if not upper else L
    return _solve_tri(U, _solve_tri(_mH(U), B, upper=False), upper=True)


def cholesky_inverse(L, upper=False):
    """The inverse of ``A`` given its Cholesky factor (lower, or upper with ``upper``)."""
    return cholesky_solve(_eye_like(L).expand(tuple(L.shape)), L, upper)


# ------------------------------------------------------------------------------------ QR


class QR(Function):
    @staticmethod
    def forward(ctx, a, mode):
        ctx.mode = mode
        xp = backend.array_module(a)
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros((0,), dtype=a.dtype), r
        q, r = xp.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if m >= n:
            return _qr_square_backward(Q, R, gQ, gR)
        # A = Q [R1 R2] with X = Q R1 square and Y = Q R2: R2 = Q^H Y, so Y's gradient is
        # Q gR2 and gR2 reaches Q as Y gR2^H
        k = m
        gY = Q @ gR[..., k:]
        gX = _qr_square_backward(
            Q, R[..., :k], gQ + (Q @ R[..., k:]) @ _mH(gR[..., k:]), gR[..., :k]
        )
        return _shape.cat([gX, gY], -1)


def _qr_square_backward(Q, R, gQ, gR):
    # m >= n (torch's linalg_qr_backward): M = R gR^H - gQ^H Q,
    # gA = (gQ + Q copyltu(M)) R^{-H}, copyltu(M) = tril(M) + tril(M, -1)^H
    M = R @ _mH(gR) - _mH(gQ) @ Q
    copyltu = M.tril() + _mH(M.tril(-1))
    if M.is_complex():  # the diagonal's imaginary part is gauge: drop it
        diag = _shape.diagonal(copyltu, 0, -2, -1)
        copyltu = copyltu - 1j * _shape.diag_embed(diag.imag)
    return _solve_tri(_mH(R), gQ + Q @ copyltu, upper=False, left=False)


def linalg_qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns and ``R`` upper triangular.

    ``mode``: ``'reduced'`` (``Q`` ``(*, m, k)``, ``R`` ``(*, k, n)``, ``k = min(m, n)``),
    ``'complete'`` (``Q`` ``(*, m, m)``, ``R`` ``(*, m, n)``) or ``'r'`` (only ``R``; ``Q`` is
    an empty tensor). Differentiable for ``'reduced'``, and for ``'complete'`` when m <= n.
    """
    _check_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            "qr received unrecognized mode '"
            + str(mode)
            + "' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    return _LinalgQR(*QR.apply(A, mode))


@autocast_op("qr")
def qr(input, some=True):
    """``torch.qr``: ``linalg.qr`` with ``some=True`` the reduced and ``some=False`` the
    complete decomposition (deprecated in torch in favour of ``linalg.qr``)."""
    _deprecated(
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
        "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')"
    )
    return _QR(*linalg_qr(input, "reduced" if some else "complete"))


# ------------------------------------------------------------------------ eigh, eig, svd


def _no_zero(x):
    """``x`` with exact zeros replaced by ones: the spectral gaps ``E`` below are divisors
    where the numerator is zero too when an output got no gradient (``eigvalsh`` and
    ``svdvals`` run the full decomposition), which must give 0, not nan."""
    return where(x == 0, 1.0, x)


class Eigh(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = backend.array_module(a).linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        # torch's linalg_eig_backward, Hermitian case: VhgV = V^H gV projected on the
        # skew-Hermitian matrices, divided by E_ij = L_j - L_i off the diagonal, gL on it;
        # gA = V (.) V^H
        L, V = ctx.saved_tensors
        VhgV = _mH(V) @ gV
        VhgV = 0.5 * (VhgV - _mH(VhgV))
        E = L[..., None, :] - L[..., :, None]
        off = VhgV / _no_zero(E + _eye_like(E))
        gA = off - _shape.diag_embed(_shape.diagonal(off, 0, -2, -1)) + _shape.diag_embed(gL)
        return V @ gA @ _mH(V), None


def _check_uplo(UPLO, fname):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{fname}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@autocast_op("linalg_eigh")
def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of a Hermitian (real symmetric) matrix: real
    eigenvalues in ascending order, orthonormal eigenvectors as columns (``A = V diag(L) V^H``).
    Only the lower (``UPLO='L'``) or upper triangle is read.

    The eigenvectors are defined up to sign (phase): a loss differentiated through them must
    not depend on it, and gradients are finite only for distinct eigenvalues.
    """
    _check_matrix(A, "linalg.eigh", square=True)
    _check_uplo(UPLO, "linalg.eigh")
    return _Eigh(*Eigh.apply(A, UPLO))


@autocast_op("linalg_eigvalsh")
def eigvalsh(A, UPLO="L"):
    """The eigenvalues (real, ascending) of a Hermitian matrix; see ``eigh``."""
    _check_matrix(A, "linalg.eigvalsh", square=True)
    _check_uplo(UPLO, "linalg.eigvalsh")
    return Eigh.apply(A, UPLO)[0]


class Eig(Function):
    @staticmethod
    def forward(ctx, a):
        if backend.is_cuda_array(a):
            raise RuntimeError(
                "linalg.eig: not available on CUDA tensors in Ember (cupy has no general "
                "eigensolver); move the input to the CPU"
            )
        complex_dtype = from_numpy(a.dtype).to_complex().np
        w, v = np.linalg.eig(a)
        w, v = w.astype(complex_dtype), v.astype(complex_dtype)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        # torch's linalg_eig_backward: VhgV = V^H gV minus its component along the
        # normalisation of V's columns, divided by conj(E_ij) = conj(L_j - L_i) off the
        # diagonal, gL on it; gA = V^{-H} (.) V^H (a real input takes the real part)
        L, V = ctx.saved_tensors
        Vh = _mH(V)
        VhgV = Vh @ gV
        diag = _shape.diagonal(VhgV, 0, -2, -1).real
        VhgV = VhgV - Vh @ (V * diag[..., None, :])
        Lc = L.conj()
        E = Lc[..., None, :] - Lc[..., :, None]
        off = VhgV / _no_zero(E + _eye_like(E))
        gA = off - _shape.diag_embed(_shape.diagonal(off, 0, -2, -1)) + _shape.diag_embed(gL)
        return Solve.apply(Vh, gA @ Vh, "linalg.eig")


@autocast_op("linalg_eig")
def eig(A):
    """``(eigenvalues, eigenvectors)`` of a square matrix, always complex (complex64 for
    float32 input): ``A V = V diag(L)``, eigenvectors of unit norm as columns. CPU only in
    Ember (cupy has no general eigensolver)."""
    _check_matrix(A, "linalg.eig", square=True)
    return _Eig(*Eig.apply(A))


@autocast_op("linalg_eigvals")
def eigvals(A):
    """The (complex) eigenvalues of a square matrix; see ``eig``."""
    _check_matrix(A, "linalg.eigvals", square=True)
    return Eig.apply(A)[0]


class Svd(Function):
    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = backend.array_module(a).linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s.astype(_real_dtype(a), copy=False), vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        # torch's svd_backward; with full_matrices the extra columns of U (rows of Vh) are
        # an arbitrary basis, and their gradients are dropped (torch narrows them away)
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        U, gU, Vh, gVh = U[..., :k], gU[..., :k], Vh[..., :k, :], gVh[..., :k, :]
        m, n = U.shape[-2], Vh.shape[-1]
        UhgU = _mH(U) @ gU
        UhgU = UhgU - _mH(UhgU)
        VhgV = Vh @ _mH(gVh)
        VhgV = VhgV - _mH(VhgV)
        S2 = S * S
        E = S2[..., None, :] - S2[..., :, None]
        inner = (UhgU * S[..., None, :] + S[..., :, None] * VhgV) / _no_zero(E + _eye_like(E))
        inner = inner - _shape.diag_embed(_shape.diagonal(inner, 0, -2, -1))
        inner = inner + _shape.diag_embed(gS)
        if U.is_complex():
            im = _shape.diagonal(UhgU, 0, -2, -1).imag
            inner = inner + _shape.diag_embed(1j * im / (2 * S))
        if m > n:  # gA = [U inner + (I - U U^H) gU S^{-1}] Vh
            gUSinv = gU / S[..., None, :]
            gA = U @ inner + gUSinv - U @ (_mH(U) @ gUSinv)
            return gA @ Vh, None
        if m < n:  # gA = U [inner Vh + S^{-1} gVh (I - V V^H)]
            SinvgVh = gVh / S[..., :, None]
            gA = inner @ Vh + SinvgVh - (SinvgVh @ _mH(Vh)) @ Vh
            return U @ gA, None
        return U @ inner @ Vh, None


def linalg_svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``: singular values ``S`` (real, descending) and
    orthonormal singular vectors; ``full_matrices`` gives square ``U`` ``(*, m, m)`` and ``Vh``
    ``(*, n, n)``, otherwise ``(*, m, k)`` and ``(*, k, n)``, ``k = min(m, n)``.

    Singular vectors are defined up to sign (phase): a loss differentiated through them must
    not depend on it, and gradients are finite only for distinct nonzero singular values.
    ``driver`` (a cuSOLVER choice in torch) is accepted and ignored.
    """
    _check_matrix(A, "linalg.svd")
    return _LinalgSVD(*Svd.apply(A, bool(full_matrices)))


@autocast_op("linalg_svdvals")
def svdvals(A, *, driver=None):
    """The singular values of ``A``, real and in descending order; see ``linalg.svd``."""
    _check_matrix(A, "linalg.svdvals")
    return Svd.apply(A, False)[1]


@autocast_op("svd")
def svd(input, some=True, compute_uv=True):
    """``torch.svd``: ``(U, S, V)`` with ``input = U diag(S) V^H`` -- ``V``, not ``Vh`` as
    ``linalg.svd`` returns (torch's deprecated function keeps that difference, and so does
    Ember). ``some=False`` gives the full square ``U`` and ``V``; ``compute_uv=False``
    returns zero-filled ``U`` and ``V``."""
    if not compute_uv:
        S = svdvals(input)
        m, n = input.shape[-2:]
        xp = backend.array_module(input._data)
        batch = tuple(input.shape[:-2])
        zeros_u = _const(xp.zeros(batch + (m, m), dtype=input._data.dtype))
        zeros_v = _const(xp.zeros(batch + (n, n), dtype=input._data.dtype))
        return _SVD(zeros_u, S, zeros_v)
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    return _SVD(U, S, _mH(Vh))


# --------------------------------------------------------------- pinv, lstsq, matrix_rank


def _tolerances(S, atol, rtol, m, n):
    """torch's cutoff ``max(atol, rtol * max(S))`` for singular values (or eigenvalue
    magnitudes) ``S``: rtol defaults to ``eps * max(m, n)`` unless ``atol > 0`` is given."""
    dtype = S._data.dtype
    eps = np.finfo(dtype).eps
    if rtol is None:
        given = atol is not None and (not isinstance(atol, Tensor) or bool((atol > 0).any()))
        rtol = 0.0 if given and (isinstance(atol, Tensor) or atol > 0) else eps * max(m, n)
    if atol is None:
        atol = 0.0
    largest = S.detach().abs().amax(-1, keepdim=True) if S.shape[-1] else S.detach()[..., :1]
    cutoff = _unsqueeze_tol(rtol) * largest
    return where(cutoff > _unsqueeze_tol(atol), cutoff, _unsqueeze_tol(atol)).to(S.dtype)


def _unsqueeze_tol(tol):
    return tol.unsqueeze(-1) if isinstance(tol, Tensor) else tol


class Pinv(Function):
    @staticmethod
    def forward(ctx, a, cutoff_fn, hermitian):
        xp = backend.array_module(a)
        if hermitian:
            w, v = xp.linalg.eigh(a)
            keep = xp.abs(w) > cutoff_fn(xp.abs(w))
            with quiet():
                w_inv = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(v.dtype)
            y = (v * w_inv[..., None, :]) @ xp.swapaxes(v, -1, -2).conj()
        else:
            u, s, vh = xp.linalg.svd(a, full_matrices=False)
            keep = s > cutoff_fn(s)
            with quiet():
                s_inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(u.dtype)
            y = (xp.swapaxes(vh, -1, -2).conj() * s_inv[..., None, :]) @ xp.swapaxes(
                u, -1, -2
            ).conj()
        y = y.astype(a.dtype, copy=False)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        # torch's pinv_backward (the derivative of the pseudo-inverse at fixed rank)
        A, pinvA = ctx.saved_tensors
        m, n = A.shape[-2:]
        pinvAh, gh = _mH(pinvA), _mH(g)
        if m <= n:
            K = gh @ pinvA
            KpinvAh = K @ pinvAh
            gA = -_mH(pinvA @ K) + KpinvAh - (A @ pinvA) @ KpinvAh + (pinvAh @ pinvA) @ (gh - K @ A)
        else:
            K = pinvA @ gh
            pinvAhK = pinvAh @ K
            gA = -_mH(K @ pinvA) + (gh - A @ K) @ pinvA @ pinvAh + pinvAhK - pinvAhK @ pinvA @ A
        return gA, None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse ``(*, n, m)`` of ``A`` ``(*, m, n)``, through the SVD
    (the eigendecomposition when ``hermitian``): singular values at or below
    ``max(atol, rtol * max(S))`` count as zero. ``rtol`` defaults to ``eps * max(m, n)``, or
    to 0 when a positive ``atol`` is given."""
    _check_matrix(A, "linalg.pinv")
    m, n = A.shape[-2:]
    real = _real_dtype(A._data)

    def cutoff(s):
        return _tolerances(_const(s.astype(real, copy=False)), atol, rtol, m, n)._data

    return Pinv.apply(A, cutoff, bool(hermitian))


@autocast_op("pinverse")
def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv(input, rtol=rcond)``."""
    return pinv(input, rtol=rcond)


@autocast_op("linalg_matrix_rank")
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The numerical rank (int64) of ``A``: the number of singular values (eigenvalue
    magnitudes when ``hermitian``) above ``max(atol, rtol * max(S))``, with ``pinv``'s
    defaults."""
    _check_matrix(A, "linalg.matrix_rank")
    m, n = A.shape[-2:]
    with no_grad():
        values = eigvalsh(A).abs() if hermitian else svdvals(A)
        cutoff = _tolerances(values, atol, rtol, m, n)
        return (values > cutoff).sum(-1)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@autocast_op("linalg_lstsq")
def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` for ``A`` ``(*, m, n)`` and ``B`` ``(*, m, k)``
    (or ``(*, m)``): a named tuple ``(solution, residuals, rank, singular_values)``.

    The solution is the minimum-norm one, ``pinv(A, rtol=rcond) @ B``, which is what every
    LAPACK driver returns for full-rank ``A`` (``gelsy`` picks another solution on
    rank-deficient input), and its gradient is torch's (through ``pinv``). torch's rules for
    the other fields hold per ``driver`` (default ``'gelsy'`` on CPU, ``'gels'`` on CUDA):
    ``residuals``, the squared residual norms per column, only when ``m > n``, every matrix
    has full rank and the driver is not ``'gelsy'`` (else empty); ``rank`` for every driver
    but ``'gels'``; ``singular_values`` only for ``'gelsd'`` and ``'gelss'``. ``rcond``
    defaults to ``eps * max(m, n)``.
    """
    _check_matrix(A, "torch.linalg.lstsq")
    _check_same_dtype(A, B, "torch.linalg.lstsq")
    if driver is None:
        driver = "gelsy" if A.device.type == "cpu" else "gels"
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    if A.device.type != "cpu" and driver != "gels":
        raise RuntimeError(
            "torch.linalg.lstsq: `driver` other than `gels` is not supported on CUDA"
        )
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). Got "
            f"{A.shape[-2]} and {rhs.shape[-2]}"
        )
    m, n = A.shape[-2:]
    xp = backend.array_module(A._data)
    real = _real_dtype(A._data)
    if rcond is None or rcond < 0:
        rcond = float(np.finfo(real).eps) * max(m, n)
    X = pinv(A, rtol=rcond, atol=0.0) @ rhs
    empty = _const(xp.zeros((0,), dtype=real))
    with no_grad():
        sv = svdvals(A)
        rank = (
            (sv > rcond * sv.amax(-1, keepdim=True)).sum(-1) if sv.shape[-1] else sv.sum(-1).long()
        )
    residuals = empty
    full = bool((rank == min(m, n)).all()) if rank.numel() else True
    if m > n and driver != "gelsy" and full:  # differentiable, as torch's
        residuals = ((A @ X - rhs).abs() ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    with no_grad():
        if driver == "gels":
            rank = _const(xp.zeros((0,), dtype=np.int64))
        singular_values = sv if driver in ("gelsd", "gelss") else empty
    return _Lstsq(X.squeeze(-1) if vector else X, residuals, rank, singular_values)


# ------------------------------------------------------------- matrix_power, matrix_exp


def matrix_power(A, n):
    """``A`` to the integer power ``n`` by repeated squaring (``n = 0`` gives the identity,
    ``n < 0`` powers of ``inv(A)``)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else A.shape[-1]} by {A.shape[-1]} matrices"
        )
    if n == 0:  # the identity, in the graph (with a zero gradient) as torch's
        return A * 0 + _eye_like(A)
    if n < 0:
        A, n = inv(A), -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the [13/13] Pade coefficients and the 1-norm bound up to which one evaluation is exact
# to double precision (float32 needs no more, so one path serves both)
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def _expm_kernel(a):
    xp = backend.array_module(a)
    n = a.shape[-1]
    norm1 = float(xp.abs(a).sum(axis=-2).max()) if a.size else 0.0
    s = max(0, math.ceil(math.log2(norm1 / _THETA13))) if norm1 > _THETA13 else 0
    a = a / (2.0**s)
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (
        a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye
    )
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    y = xp.linalg.solve(v - u, v + u)
    for _ in range(s):
        y = y @ y
    return y.astype(a.dtype, copy=False)


class MatrixExp(Function):
    holomorphic = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm_kernel(a)

    @staticmethod
    def backward(ctx, gy):
        # The Frechet derivative's adjoint through one exponential of a block matrix:
        # exp([[A^T, G], [0, A^T]]) holds it in its upper-right block (torch's
        # linalg_matrix_exp_differential)
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        at = a.mT
        zeros = at * 0
        top = _shape.cat([at, gy], -1)
        bottom = _shape.cat([zeros, at], -1)
        return MatrixExp.apply(_shape.cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(A):
    """The matrix exponential ``sum_k A^k / k!`` of a square matrix (or batch), by scaling
    and squaring with a [13/13] Pade approximant (Higham 2005)."""
    _check_matrix(A, "linalg.matrix_exp", square=True)
    return MatrixExp.apply(A)


# ------------------------------------------------------------------------------------ LU


def _lu_factor(A, pivot, fname):
    _check_matrix(A, fname)
    if not pivot:
        raise RuntimeError(f"{fname}: LU without pivoting is not implemented on the CPU")
    return LUFactor.apply(A)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``(LU, pivots, info)``: ``lu_factor`` that reports a zero pivot in ``info`` (int32,
    per matrix: its 1-based index, or 0) instead of raising."""
    LU, pivots = _lu_factor(A, pivot, "torch.linalg.lu_factor_ex")
    info = (
        _lu_kernel(A._data)[2]
        if A.numel()
        else backend.array_module(A._data).zeros(A.shape[:-2], dtype=np.int32)
    )
    if check_errors and bool(info.any()):
        _raise_lu_zero(A._data.shape, info, "torch.linalg.lu_factor_ex")
    return _LUFactorEx(LU, pivots, _const(info))


def _raise_lu_zero(shape, info, fname):
    index, value = _first_failure(backend.to_device(info, backend.Device("cpu")))
    raise RuntimeError(
        f"{fname}: {_batch_prefix(shape, index)}U[{value},{value}] is zero and using it on "
        "lu_solve would result in a division by zero. If you still want to perform the "
        "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
    )


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)``: the LU decomposition with partial pivoting ``A = P L U`` in LAPACK's
    compact form -- ``L`` (unit diagonal, not stored) and ``U`` packed in ``LU``, the row
    swaps in ``pivots`` (int32, 1-based). Raises where some ``U`` has a zero on its
    diagonal, as torch does."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    if bool(info._data.any()):
        _raise_lu_zero(A._data.shape, info._data, "torch.linalg.lu_factor")
    return _LUFactor(LU, pivots)


def _unpack(LU, pivots, unpack_data=True, unpack_pivots=True):
    m, n = LU.shape[-2:]
    k = min(m, n)
    xp = backend.array_module(LU._data)
    empty = _const(xp.zeros((0,), dtype=LU._data.dtype))
    P = L = U = empty
    if unpack_pivots:
        P = _const(_permutation_matrix(pivots._data, m, LU._data.dtype))
    if unpack_data:
        L = LU[..., :, :k].tril(-1) + _eye_like(LU, m)[:, :k]
        U = LU[..., :k, :].triu()
    return P, L, U


def lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P L U``: ``P`` a permutation matrix, ``L`` ``(*, m, k)`` unit
    lower triangular, ``U`` ``(*, k, n)`` upper triangular, ``k = min(m, n)``."""
    LU, pivots = _lu_factor(A, pivot, "linalg.lu")
    return _LU(*_unpack(LU, pivots))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from ``lu_factor``'s compact ``(LU, pivots)``; a part not unpacked is an
    empty tensor."""
    return _LUUnpack(*_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots))


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """The solution of ``A X = B`` (``X A = B`` when ``left=False``; ``A^H`` in place of
    ``A`` with ``adjoint``) given ``lu_factor(A)``'s ``(LU, pivots)``."""
    P, L, U = _unpack(LU, pivots)
    if not left:
        # X A = B  <=>  A^H X^H = B^H
        return _mH(linalg_lu_solve(LU, pivots, _mH(B), adjoint=not adjoint))
    if adjoint:  # A^H = U^H L^H P^T: X = P L^{-H} U^{-H} B
        Y = _solve_tri(_mH(U), B, upper=False)
        return P @ _solve_tri(_mH(L), Y, upper=True, unitriangular=True)
    Y = _solve_tri(L, P.mT @ B, upper=False, unitriangular=True)
    return _solve_tri(U, Y, upper=True)


def lu_solve(b, LU_data, LU_pivots):
    """``torch.lu_solve``: the solution of ``A X = b`` from ``torch.linalg.lu_factor(A)``
    (deprecated in torch in favour of ``linalg.lu_solve``; note the argument order)."""
    _deprecated(
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in "
        "a future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments "
        "reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
        "X = torch.linalg.lu_solve(LU, pivots, B)"
    )
    return linalg_lu_solve(LU_data, LU_pivots, b)


# ---------------------------------------------------------------------------------- norms


@autocast_op("linalg_vector_norm")
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm of ``x`` over ``dim`` (every element when None, as one
    vector): ``sum(|x|^ord)^(1/ord)``, ``inf``/``-inf`` the max/min of ``|x|``, ``0`` the
    count of nonzeros. A complex ``x`` gives a real norm. Zero vectors get torch's zero
    subgradient."""
    return _red.vector_norm(x, ord, dim, keepdim, dtype=dtype)


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


@autocast_op("linalg_matrix_norm")
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm of ``A`` over the two dimensions ``dim``.

    ``ord``: ``'fro'`` (Frobenius), ``'nuc'`` (nuclear: the sum of singular values), ``inf``
    / ``-inf`` (max / min absolute row sum), ``1`` / ``-1`` (max / min absolute column sum),
    ``2`` / ``-2`` (largest / smallest singular value).
    """
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    _check_float(A, "linalg.matrix_norm")
    if isinstance(dim, numbers.Integral) or len(dim) != 2:
        dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return _red.vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        S = svdvals(_shape.movedim(A, (d0, d1), (-2, -1)))
        if ord == "nuc":
            y = S.sum(-1)
        else:
            y = S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                y = y.unsqueeze(d)
        return y
    # inf: max row sum, 1: max column sum; the summed dimension goes first
    summed, other = (d1, d0) if ord in (math.inf, -math.inf) else (d0, d1)
    sums = A.abs().sum(summed, keepdim=True)
    y = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
    return y if keepdim else y.squeeze((d0, d1))


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: a vector norm when ``dim`` is one dimension (or ``A`` is 1-D
    and ``dim`` None), a matrix norm when ``dim`` is two dimensions (or ``A`` is 2-D and
    ``dim`` None); with ``ord`` None, the 2-norm of ``A`` flattened (or over ``dim``)."""
    if dim is not None:
        dim = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if ord is not None:
        if dim is None:
            if A.ndim not in (1, 2):
                raise RuntimeError(
                    f"linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                    f"2D. Got {A.ndim}D."
                )
            if A.ndim == 2:
                return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
            dim = (0,)
        if len(dim) == 2:
            return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, 2, dim, keepdim, dtype=dtype)


@autocast_op("norm")
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm``: with a number ``p`` (or None: 2) the vector norm over ``dim`` (every
    element when None); ``'fro'`` the 2-norm as well; ``'nuc'`` the nuclear norm over the two
    dimensions ``dim`` (every dimension when None, so a matrix). Deprecated in torch in
    favour of ``linalg.vector_norm`` and ``linalg.matrix_norm``."""
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, numbers.Integral) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        if dim is None:
            dim = tuple(range(input.ndim))
        return matrix_norm(input, p, dim, keepdim, dtype=dtype)
    return vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype=dtype)


def frobenius_norm(input, dim=(-2, -1), keepdim=False):
    """The Frobenius norm (the 2-norm of the elements) over ``dim`` (deprecated in torch for
    ``linalg.vector_norm``)."""
    warnings.warn(
        "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be "
        "removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, "
        "keepdim)` instead",
        UserWarning,
        stacklevel=2,
    )
    return vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, dim=(-2, -1), keepdim=False):
    """The nuclear norm (the sum of the singular values) of the matrices over the two
    dimensions ``dim`` (deprecated in torch for ``linalg.matrix_norm(ord="nuc")``)."""
    warnings.warn(
        "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be "
        "removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, "
        "keepdim)` instead",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    return matrix_norm(input, "nuc", dim, keepdim)


@autocast_op("linalg_cond")
def cond(A, p=None):
    """The condition number of ``A`` in the norm ``p``: for ``None``/``2``/``-2`` the ratio
    of the largest and smallest singular values (any shape), otherwise
    ``matrix_norm(A, p) * matrix_norm(inv(A), p)`` (square, invertible ``A``; a singular one
    gives inf)."""
    _check_matrix(A, "linalg.cond")
    if p in (None, 2, -2):
        S = svdvals(A)
        with quiet():
            return S[..., 0] / S[..., -1] if p != -2 else S[..., -1] / S[..., 0]
    if p not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _check_matrix(A, "linalg.cond", square=True)
    info = inv_ex(A).info
    if bool(info._data.any()):
        # a singular matrix has condition number inf (torch's nan for the nuclear norm,
        # whose SVD of the inf-filled inverse gives nan)
        singular = info != 0
        safe = where(singular[..., None, None], _eye_like(A), A)
        value = matrix_norm(safe, p) * matrix_norm(inv(safe), p)
        return where(singular, math.nan if p == "nuc" else math.inf, value)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# ------------------------------------------------------------------- composites, helpers


@autocast_op("linalg_multi_dot")
def multi_dot(tensors):
    """The product of a chain of matrices (the first may be 1-D, a row; the last 1-D, a
    column), multiplied in the order that costs the fewest scalar multiplications."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first_vector:
        tensors[0] = tensors[0].unsqueeze(0)
    if last_vector:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    for i, t in enumerate(tensors):
        if t.ndim != 2:
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D"
                if 0 < i < len(tensors) - 1
                else f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or "
                f"2D but got {t.ndim}D"
            )
    dims = [tensors[0].shape[0]] + [t.shape[1] for t in tensors]
    n = len(tensors)
    # the matrix-chain order by dynamic programming: cost[i][j], split[i][j]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return tensors[i]
        k = split[i][j]
        return _linalg.mm(product(i, k), product(k + 1, j))

    y = product(0, n - 1)
    if first_vector:
        y = y.squeeze(0)
    if last_vector:
        y = y.squeeze(-1)
    return y


@autocast_op("linalg_vecdot")
def vecdot(x, y, *, dim=-1):
    """The dot product ``sum(conj(x) * y)`` along ``dim`` (the operands broadcast)."""
    return (x.conj() * y).sum(dim)


def linalg_cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (default the last); the operands
    broadcast."""
    shape = _shape.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    return _linalg.cross(input.expand(shape), other.expand(shape), dim)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.diagonal`` with the last two dimensions as default."""
    return _shape.diagonal(A, offset, dim1, dim2)


def vander(x, *, N=None):
    """The Vandermonde matrix ``(*, n, N)`` of ``x`` ``(*, n)``: columns ``x^0, ..., x^(N-1)``
    (increasing powers; ``N`` defaults to ``n``)."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        if n < 1:
            raise RuntimeError("N must be greater than 1.")
        return _const(
            backend.array_module(x._data).ones(tuple(x.shape) + (1,), dtype=x._data.dtype)
        )
    ones = x.unsqueeze(-1) ** 0
    powers = _red.cumprod(x.unsqueeze(-1).expand(tuple(x.shape) + (n - 1,)), -1)
    return _shape.cat([ones, powers], -1)


@autocast_op("linalg_tensorinv")
def tensorinv(A, ind=2):
    """The inverse of ``A`` under ``tensordot(·, ·, ind)``: ``A`` reshaped to the square
    matrix ``(prod(A.shape[:ind]), prod(A.shape[ind:]))``, inverted, and shaped
    ``A.shape[ind:] + A.shape[:ind]``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    m, n = math.prod(rows), math.prod(cols)
    if m != n:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {n} != {m}"
        )
    return inv(A.reshape((m, n))).reshape(cols + rows)


@autocast_op("linalg_tensorsolve")
def tensorsolve(A, B, dims=None):
    """The ``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` (if given) are dimensions of
    ``A`` moved to the end first. ``X`` has shape ``A.shape[B.ndim:]``."""
    if dims is not None:
        dims = [wrap_dim(d, A.ndim) for d in dims]
        A = _shape.movedim(A, dims, list(range(A.ndim - len(dims), A.ndim)))
    result_shape = tuple(A.shape[B.ndim :])
    n = math.prod(result_shape)
    m = math.prod(tuple(A.shape[: B.ndim]))
    if m != n:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {n} != {m}"
        )
    return solve(A.reshape((m, n)), B.reshape((m,))).reshape(result_shape)


@autocast_op("cdist")
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The ``p``-norm distance between each row of ``x1`` ``(*, P, M)`` and each row of
    ``x2`` ``(*, R, M)``: ``(*, P, R)``, batch dimensions broadcast.

    For ``p = 2`` torch computes through ``|x|^2 + |y|^2 - 2 x.y`` (one matrix product) when
    ``compute_mode`` is ``'use_mm_for_euclid_dist'``, or ``'..._if_necessary'`` and P or R
    exceeds 25; Ember does the same, with torch's rounding (and ``clamp_min(1e-30)`` before
    the square root). Coinciding rows otherwise get torch's zero subgradient.
    """
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D"
            if x1.ndim < 2
            else f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if not x1.dtype.is_floating_point:
        raise RuntimeError(
            f"cdist only supports floating-point dtypes, X1 got: {x1.dtype.scalar_name}"
        )
    if not x2.dtype.is_floating_point:
        raise RuntimeError(
            f"cdist only supports floating-point dtypes, X2 got: {x2.dtype.scalar_name}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = (
        "use_mm_for_euclid_dist_if_necessary",
        "use_mm_for_euclid_dist",
        "donot_use_mm_for_euclid_dist",
    )
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    use_mm = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == modes[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25))
    )
    batch = _linalg._broadcast_batch(x1.shape[:-2], x2.shape[:-2])
    x1 = x1.expand(batch + tuple(x1.shape[-2:]))
    x2 = x2.expand(batch + tuple(x2.shape[-2:]))
    if use_mm:
        # torch's _euclidean_dist, term for term
        x1_norm = (x1 * x1).sum(-1, keepdim=True)
        x2_norm = (x2 * x2).sum(-1, keepdim=True)
        left = _shape.cat([x1 * -2, x1_norm, x1_norm * 0 + 1], -1)
        right = _shape.cat([x2, x2_norm * 0 + 1, x2_norm], -1)
        return (left @ right.mT).clamp_min(1e-30).sqrt()
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return _red.vector_norm(diff, p, -1)
