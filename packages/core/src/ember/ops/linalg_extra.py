"""More of ``torch.linalg``: ``householder_product``, the LDL (Bunch-Kaufman) factorisation
``ldl_factor`` / ``ldl_factor_ex`` with its solver ``ldl_solve``, and ``solve_ex``.

numpy and cupy expose neither LAPACK's ``orgqr`` nor ``sytrf`` / ``sytrs``, so the LDL kernels
here are LAPACK's unblocked algorithms (``sytf2`` / ``hetf2`` and ``sytrs`` / ``hetrs``, lower
triangle) written once for numpy and cupy and vectorised over the batch: the Python loop runs
over the columns, the algorithms' sequential axis. Each batch element takes its own pivots
(1x1 or 2x2 blocks), so every step computes the candidate updates for the whole batch and
keeps, per element, the one its pivot calls for.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..autograd.function import Function
from . import linalg as _linalg
from ._util import not_implemented, quiet
from .decomposition import (
    _batch_prefix,
    _check_matrix,
    _first_failure,
    _LinAlgError,
    _lu_kernel,
    _mH,
    _raise_singular,
    _vector_rhs,
    solve,
)
from .pointwise import where

__all__ = ["householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve", "solve_ex"]

# torch.return_types.*
_LDLFactor = namedtuple("linalg_ldl_factor", ("LD", "pivots"))
_LDLFactorEx = namedtuple("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
_SolveEx = namedtuple("linalg_solve_ex", ("result", "info"))

_CPU = backend.Device("cpu")

# ------------------------------------------------------------------------ householder_product


def householder_product(A, tau):
    """The first ``n`` columns of the product of Householder matrices
    ``H_1 H_2 ... H_k``, ``H_i = I_m - tau_i v_i v_i^H``, where ``v_i`` is column ``i`` of
    ``A`` ``(*, m, n)`` below the diagonal with a 1 on it (zeros above), as LAPACK's
    ``geqrf`` stores them, and ``tau`` is ``(*, k)`` with ``k <= n <= m``.

    Differentiable in ``A`` and ``tau``: the product is composed of ember operations, one
    reflection at a time.
    """
    fname = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{fname}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(
            f"{fname}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if n < tau.size(-1):
        raise RuntimeError(
            f"{fname}: input.shape[-1] must be greater than or equal to tau.shape[-1]"
        )
    if A.ndim - tau.ndim != 1:
        raise RuntimeError(
            f"{fname}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {tau.ndim} and input.ndim is equal to {A.ndim}"
        )
    if A.ndim > 2 and tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(
            f"{fname}: Expected batch dimensions of tau to be equal to input.shape[:-2], but "
            f"got {list(tau.shape[:-1])}"
        )
    if tau.dtype is not A.dtype:
        raise RuntimeError(
            f"{fname}: tau dtype {tau.dtype.scalar_name} does not match input dtype "
            f"{A.dtype.scalar_name}"
        )
    if not (A.dtype.is_floating_point or A.is_complex()):
        raise not_implemented("orgqr_cpu", A._data.dtype)
    xp = backend.array_module(A._data)
    k = tau.shape[-1]
    V = A[..., :k].tril(-1) + Tensor._make(xp.eye(m, k, dtype=A._data.dtype))
    # orgqr's order: Q = H_1 (H_2 (... (H_k I))), each reflection a rank-1 update
    Q = Tensor._make(xp.broadcast_to(xp.eye(m, n, dtype=A._data.dtype), A.shape))
    for i in reversed(range(k)):
        v = V[..., i : i + 1]
        Q = Q - (tau[..., i, None, None] * v) @ (_mH(v) @ Q)
    return Q


# --------------------------------------------------------------------------------- LDL


def _abs1(x, xp):
    """LAPACK's cheap modulus for pivoting: ``|Re| + |Im|`` (CABS1) for complex, ``|x|``."""
    if x.dtype.kind == "c":
        return xp.abs(x.real) + xp.abs(x.imag)
    return xp.abs(x)


def _hermitian_full(T, hermitian):
    """The full symmetric (Hermitian) matrices whose lower triangles ``T`` holds."""
    xp = backend.array_module(T)
    strict = xp.tril(T, -1)
    upper = xp.swapaxes(strict, -1, -2)
    return xp.tril(T) + (upper.conj() if hermitian else upper)


def _ldl_kernel(a, hermitian):
    """Bunch-Kaufman ``A = L D L^T`` (``L D L^H`` when ``hermitian``) of a batch ``(*, n, n)``
    reading its lower triangle: ``(ld, pivots, info)`` as LAPACK's ``sytrf`` / ``hetrf``
    with ``uplo='L'`` give them (``D`` and the multipliers of ``L`` packed in the lower
    triangle of ``ld``, zeros above; int32 1-based pivots, negative pairs for 2x2 blocks;
    ``info`` the 1-based index of the first zero pivot, or 0).
    """
    xp = backend.array_module(a)
    n = a.shape[-1]
    batch = a.shape[:-2]
    if n == 0:
        return a.copy(), xp.zeros(batch + (0,), dtype=np.int32), xp.zeros(batch, dtype=np.int32)
    ld = xp.tril(a).reshape((-1, n, n))  # tril copies
    index = xp.arange(n)
    hermitian = hermitian and a.dtype.kind == "c"
    if hermitian:  # hetrf reads only the real part of the diagonal
        ld[:, index, index] = ld[:, index, index].real
    real = ld.real.dtype.type
    alpha = (real(1) + np.sqrt(real(17))) / real(8)  # the growth bound's optimal constant
    cj = xp.conj if hermitian else (lambda x: x)
    diag_abs = (lambda x: xp.abs(x.real)) if hermitian else (lambda x: _abs1(x, xp))
    count = ld.shape[0]
    rows = xp.arange(count)
    pivots = xp.zeros((count, n), dtype=np.int32)
    info = xp.zeros(count, dtype=np.int32)
    second = xp.zeros(count, dtype=bool)  # column j is the second of a 2x2 block
    with quiet():  # candidate updates that a batch element does not take may divide by zero
        for j in range(n):
            active = ~second
            absakk = diag_abs(ld[:, j, j])
            if j < n - 1:
                # the largest below the diagonal (LAPACK's i?amax skips nan, so does this)
                below = _abs1(ld[:, j + 1 :, j], xp)
                imax = j + 1 + xp.argmax(xp.where(xp.isnan(below), -1, below), axis=1)
                colmax = _abs1(ld[rows, imax, j], xp)
            else:
                imax = xp.full(count, j)
                colmax = xp.zeros(count, dtype=absakk.dtype)
            # the largest off-diagonal entry of row imax of the trailing symmetric matrix
            cols = index[None, j:]
            row_imax = xp.where(
                cols < imax[:, None],
                _abs1(ld[rows, imax, j:], xp),
                xp.where(cols > imax[:, None], _abs1(ld[rows, j:, imax], xp), 0),
            )
            rowmax = row_imax.max(axis=1) if j < n - 1 else colmax
            zero = (xp.maximum(absakk, colmax) == 0) | xp.isnan(absakk)
            keep = zero | (absakk >= alpha * colmax)
            keep |= absakk >= alpha * colmax * (colmax / rowmax)
            swap1 = ~keep & (diag_abs(ld[rows, imax, imax]) >= alpha * rowmax)
            two = active & ~keep & ~swap1
            one = active & ~two
            kp = xp.where(keep, j, imax)
            kk = xp.where(two, j + 1, j)

            # interchange rows and columns kk and kp of the trailing matrix: a symmetric
            # permutation of the full matrix, whose lower triangle is then kept
            perm = xp.broadcast_to(index[j:], (count, n - j)).copy()
            moved = active & (kp != kk)
            perm[rows, kk - j] = xp.where(moved, kp, kk)
            perm[rows, kp - j] = xp.where(moved, kk, kp)
            full = _hermitian_full(ld[:, j:, j:], hermitian)
            ld[:, j:, j:] = xp.tril(
                full[rows[:, None, None], perm[:, :, None] - j, perm[:, None, :] - j]
            )

            d = ld[:, j, j].real if hermitian else ld[:, j, j]
            # 1x1 pivot: A22 -= x x^H / d, then the column becomes x / d
            x = ld[:, j + 1 :, j]
            r1 = 1 / d
            temp = -r1[:, None] * cj(x)
            rank1 = ld[:, j + 1 :, j + 1 :] + x[:, :, None] * temp[:, None, :]
            update1 = one & ~zero
            ld[:, j + 1 :, j + 1 :] = xp.where(
                update1[:, None, None], rank1, ld[:, j + 1 :, j + 1 :]
            )
            ld[:, j + 1 :, j] = xp.where(update1[:, None], x * r1[:, None], x)
            if j < n - 2:
                _ldl_two_by_two(xp, ld, j, two, hermitian)
            if hermitian:
                ld[:, index[j:], index[j:]] = ld[:, index[j:], index[j:]].real

            kp1 = (kp + 1).astype(np.int32)
            pivots[:, j] = xp.where(one, kp1, xp.where(two, -kp1, pivots[:, j]))
            if j < n - 1:
                pivots[:, j + 1] = xp.where(two, -kp1, pivots[:, j + 1])
            info = xp.where(active & zero & (info == 0), j + 1, info).astype(np.int32)
            second = two
    ld = xp.tril(ld)  # the updates also wrote the (unused) upper triangles
    return ld.reshape(a.shape), pivots.reshape(batch + (n,)), info.reshape(batch)


def _ldl_two_by_two(xp, ld, j, two, hermitian):
    """The rank-2 update of the trailing matrix past a 2x2 pivot block at columns ``j, j+1``
    (for the batch elements in ``two``), in ``sytf2`` / ``hetf2``'s arithmetic; columns
    ``j, j+1`` below the block become the multipliers."""
    a = ld[:, j + 2 :, j]
    b = ld[:, j + 2 :, j + 1]
    if hermitian:
        norm = xp.abs(ld[:, j + 1, j])
        d11 = ld[:, j + 1, j + 1].real / norm
        d22 = ld[:, j, j].real / norm
        tt = 1 / (d11 * d22 - 1)
        d21 = ld[:, j + 1, j] / norm
        scale = (tt / norm)[:, None]
        wk = scale * (d11[:, None] * a - d21[:, None] * b)
        wkp1 = scale * (d22[:, None] * b - d21.conj()[:, None] * a)
        rank2 = (
            ld[:, j + 2 :, j + 2 :]
            - a[:, :, None] * wk.conj()[:, None, :]
            - b[:, :, None] * wkp1.conj()[:, None, :]
        )
    else:
        d21 = ld[:, j + 1, j]
        d11 = ld[:, j + 1, j + 1] / d21
        d22 = ld[:, j, j] / d21
        t = 1 / (d11 * d22 - 1)
        scale = (t / d21)[:, None]
        wk = scale * (d11[:, None] * a - b)
        wkp1 = scale * (d22[:, None] * b - a)
        rank2 = (
            ld[:, j + 2 :, j + 2 :]
            - a[:, :, None] * wk[:, None, :]
            - b[:, :, None] * wkp1[:, None, :]
        )
    ld[:, j + 2 :, j + 2 :] = xp.where(two[:, None, None], rank2, ld[:, j + 2 :, j + 2 :])
    ld[:, j + 2 :, j] = xp.where(two[:, None], wk, a)
    ld[:, j + 2 :, j + 1] = xp.where(two[:, None], wkp1, b)


class LDLFactor(Function):
    """``(LD, pivots, info)`` of ``_ldl_kernel``; torch has no derivative for it."""

    @staticmethod
    def forward(ctx, a, hermitian):
        return _ldl_kernel(a, hermitian)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


def _raise_ldl_zero(shape, info, fname):
    index, value = _first_failure(backend.to_device(info, _CPU))
    raise _LinAlgError(
        f"{fname}: {_batch_prefix(shape, index)}D[{value},{value}] is zero: the factorization "
        "was completed, but D is singular and using it on ldl_solve would result in a "
        "division by zero."
    )


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """``(LD, pivots, info)``: ``ldl_factor`` that reports a zero pivot in ``info`` (int32,
    per matrix: the 1-based index of the first zero on the diagonal of ``D``, or 0) instead
    of raising (unless ``check_errors``)."""
    _check_matrix(A, "torch.linalg.ldl_factor_ex", square=True)
    LD, pivots, info = LDLFactor.apply(A, bool(hermitian))
    if check_errors and bool(info._data.any()):
        _raise_ldl_zero(A.shape, info._data, "torch.linalg.ldl_factor_ex")
    return _LDLFactorEx(LD, pivots, info)


def ldl_factor(A, *, hermitian=False):
    """``(LD, pivots)``: the Bunch-Kaufman factorisation ``A = L D L^T`` of a symmetric
    matrix (``L D L^H`` of a Hermitian one with ``hermitian``), or of each in a batch
    ``(*, n, n)``, in LAPACK's compact ``sytrf`` form (only the lower triangle of ``A`` is
    read). ``L`` is a product of permutations and unit lower triangular blocks, ``D`` block
    diagonal with 1x1 and 2x2 blocks: ``LD`` holds both in its lower triangle (zeros above),
    ``pivots`` (int32, 1-based) the interchanges, a negative pair marking a 2x2 block. Not
    differentiable, as in torch.

    Raises:
        LinAlgError: some ``D`` has a zero on its diagonal (torch 2.13 fails here with an
            internal assert, "Unknown error code", a RuntimeError; Ember names the zero
            pivot).
    """
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    if bool(info._data.any()):
        _raise_ldl_zero(A.shape, info._data, "torch.linalg.ldl_factor")
    return _LDLFactor(LD, pivots)


def _swap_rows(x, rows, i, k):
    """Swap rows ``i[b]`` and ``k[b]`` of each matrix ``x[b]``, in place."""
    a, b = x[rows, i].copy(), x[rows, k].copy()
    x[rows, i], x[rows, k] = b, a


def _ldl_solve_kernel(ld, pivots, b, hermitian):
    """``sytrs`` / ``hetrs`` (``uplo='L'``) for a batch: ``ld`` ``(c, n, n)`` and ``pivots``
    ``(c, n)`` from ``_ldl_kernel``, right-hand sides ``b`` ``(c, n, k)``."""
    xp = backend.array_module(ld)
    count, n = pivots.shape
    hermitian = hermitian and ld.dtype.kind == "c"
    cj = xp.conj if hermitian else (lambda x: x)
    x = b.copy()
    rows = xp.arange(count)
    index = xp.arange(n)
    piv = pivots.astype(np.int64)
    kp = xp.abs(piv) - 1
    # where each 2x2 block starts: a negative pivot that is not the second of a block
    start = xp.zeros((count, n), dtype=bool)
    second = xp.zeros(count, dtype=bool)
    for j in range(n):
        start[:, j] = (piv[:, j] < 0) & ~second
        second = start[:, j]
    one = piv > 0
    with quiet():  # a singular D divides by zero, as LAPACK's solver goes on regardless
        # L D Y = P^T B, one column (or 2x2 block) at a time
        for j in range(n):
            s1, s2 = one[:, j], start[:, j]
            kk = xp.where(s2, j + 1, j)
            _swap_rows(x, rows, kk, xp.where(s1 | s2, kp[:, j], kk))
            below = index[None, :, None] > (j + s2)[:, None, None]  # rows past the block
            x -= xp.where(below & (s1 | s2)[:, None, None], ld[:, :, j, None] * x[:, j, None], 0)
            if j < n - 1:
                x -= xp.where(
                    below & s2[:, None, None], ld[:, :, j + 1, None] * x[:, j + 1, None], 0
                )
            d = ld[:, j, j].real if hermitian else ld[:, j, j]
            x[:, j] = xp.where(s1[:, None], x[:, j] * (1 / d)[:, None], x[:, j])
            if j < n - 1:
                akm1k = ld[:, j + 1, j, None]
                akm1 = ld[:, j, j, None] / cj(akm1k)
                ak = ld[:, j + 1, j + 1, None] / akm1k
                denom = akm1 * ak - 1
                bkm1 = x[:, j] / cj(akm1k)
                bk = x[:, j + 1] / akm1k
                x[:, j] = xp.where(s2[:, None], (ak * bkm1 - bk) / denom, x[:, j])
                x[:, j + 1] = xp.where(s2[:, None], (akm1 * bk - bkm1) / denom, x[:, j + 1])
        # L^H X = Y (L^T for symmetric), from the last column back
        for j in reversed(range(n)):
            s1 = one[:, j]
            s2 = start[:, j - 1] if j > 0 else xp.zeros(count, dtype=bool)  # j ends a block
            past = xp.where(index[None, :] > j, cj(ld[:, :, j]), 0)
            dot = (past[:, None, :] @ x)[:, 0]
            x[:, j] = xp.where((s1 | s2)[:, None], x[:, j] - dot, x[:, j])
            if j > 0:
                past = xp.where(index[None, :] > j, cj(ld[:, :, j - 1]), 0)
                dot = (past[:, None, :] @ x)[:, 0]
                x[:, j - 1] = xp.where(s2[:, None], x[:, j - 1] - dot, x[:, j - 1])
            _swap_rows(x, rows, xp.full(count, j), xp.where(s1 | s2, kp[:, j], j))
    return x


class LDLSolve(Function):
    """The solution of ``A X = B`` from ``ldl_factor(A)``; torch has no derivative for it."""

    @staticmethod
    def forward(ctx, ld, pivots, b, hermitian):
        xp = backend.array_module(b)
        n, k = b.shape[-2:]
        batch = b.shape[:-2]
        if not (b.size and n):
            return xp.zeros(b.shape, dtype=b.dtype)
        x = _ldl_solve_kernel(
            ld.reshape((-1, n, n)), pivots.reshape((-1, n)), b.reshape((-1, n, k)), hermitian
        )
        return x.reshape(batch + (n, k))

    @staticmethod
    def backward(ctx, gx):
        raise RuntimeError("derivative for aten::linalg_ldl_solve is not implemented")


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """The solution ``X`` of ``A X = B`` given ``ldl_factor(A)``'s ``(LD, pivots)`` (with the
    same ``hermitian``). ``B`` is ``(*, n, k)``; batch dimensions broadcast. Not
    differentiable, as in torch."""
    fname = "torch.linalg.ldl_solve"
    _check_matrix(LD, fname, square=True)
    if B.dtype is not LD.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{B.dtype.scalar_name} and A of type {LD.dtype.scalar_name} instead."
        )
    n = LD.shape[-1]
    if B.size(-2) != n:
        raise RuntimeError(
            f"Incompatible matrix sizes for {fname}: each A matrix is {n} by {n} but each b "
            f"matrix is {B.shape[-2]} by {B.shape[-1]}"
        )
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(
            f"{fname}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots "
            f"with shape {list(pivots.shape)} instead"
        )
    if pivots.dtype.is_floating_point or pivots.is_complex() or pivots._data.dtype == bool:
        raise RuntimeError(
            f"{fname}: Expected pivots to be integers. Got {pivots.dtype.scalar_name}"
        )
    batch = _linalg._broadcast_batch(LD.shape[:-2], B.shape[:-2])
    LD = LD.expand(batch + (n, n))
    pivots = pivots.expand(batch + (n,))
    return LDLSolve.apply(LD, pivots, B.expand(batch + tuple(B.shape[-2:])), bool(hermitian))


# -------------------------------------------------------------------------------- solve_ex


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)``: ``linalg.solve`` that reports singular matrices in ``info`` (int32,
    shaped like ``A``'s batch: the 1-based index of the first zero pivot of the LU
    factorisation, or 0) instead of raising (unless ``check_errors``). Where ``info`` is
    nonzero the result is nan (torch's holds whatever LAPACK's ``getrs`` wrote there, inf or
    nan). Differentiable like ``linalg.solve``."""
    xp = backend.array_module(A._data)
    try:  # the common case costs one solve: the LU's zero pivots are looked for on failure
        result = solve(A, B, left=left)
        return _SolveEx(result, Tensor._make(xp.zeros(A.shape[:-2], dtype=np.int32)))
    except _LinAlgError:
        info = _lu_kernel(A._data)[2]
    if check_errors:
        _raise_singular(A._data, "torch.linalg.solve_ex", "solve", backend.to_device(info, _CPU))
    failed = Tensor._make(info != 0)[..., None, None]
    eye = Tensor._make(xp.eye(A.shape[-1], dtype=A._data.dtype))
    result = solve(where(failed, eye, A), B, left=left)
    failed = failed[..., 0] if _vector_rhs(A, B) else failed
    return _SolveEx(where(failed, math.nan, result), Tensor._make(info))
