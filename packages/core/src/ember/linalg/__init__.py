"""Linear algebra, as ``torch.linalg``: norms, determinants, inverses, linear solvers,
Cholesky, QR, LU, LDL (Bunch-Kaufman), eigen- and singular value decompositions, Householder
products, pseudo-inverses, least squares and the matrix exponential.

Every function takes batches of matrices ``(*, m, n)`` and runs over the whole batch at once;
the decompositions are differentiable with torch's backward formulas (see
``ember.ops.decomposition``), except LDL, which torch does not differentiate either. Results with several parts are named tuples with torch's field
names (``linalg.slogdet(A).logabsdet``, ``linalg.svd(A).Vh``, ...). A routine that fails on its
input (a singular matrix, a matrix that is not positive-definite) raises ``LinAlgError``, a
subclass of RuntimeError, naming the failing batch element.
"""

from ..ops.decomposition import (
    _LinAlgError,
    cholesky_ex,
    cond,
    det,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    inv,
    inv_ex,
    lstsq,
    lu,
    lu_factor,
    lu_factor_ex,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    solve,
    solve_triangular,
    svdvals,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
    vector_norm,
)
from ..ops.decomposition import linalg_cholesky as cholesky
from ..ops.decomposition import linalg_cross as cross
from ..ops.decomposition import linalg_diagonal as diagonal
from ..ops.decomposition import linalg_lu_solve as lu_solve
from ..ops.decomposition import linalg_norm as norm
from ..ops.decomposition import linalg_qr as qr
from ..ops.decomposition import linalg_slogdet as slogdet
from ..ops.decomposition import linalg_svd as svd
from ..ops.linalg import matmul
from ..ops.linalg_extra import (
    householder_product,
    ldl_factor,
    ldl_factor_ex,
    ldl_solve,
    solve_ex,
)

LinAlgError = _LinAlgError

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "ldl_factor",
    "ldl_factor_ex",
    "ldl_solve",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]
