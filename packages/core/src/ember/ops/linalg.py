"""Linear algebra: ``matmul`` and its fixed-rank forms (``mm``, ``bmm``, ``mv``, ``dot``),
``outer``, ``addmm`` / ``baddbmm`` and ``einsum``.

Products never promote: mixing float32 and float64 raises torch's error, and integer
products stay integer. Each product is one ``xp.matmul`` (BLAS for floats), and every backward
is made of products again, so gradients of gradients come free.
"""

from __future__ import annotations

import math
import string
import warnings

from .. import backend
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ._util import as_tensor_arg, not_implemented, wrap_dim
from .pointwise import mul
from .shape import infer_size

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "inner",
    "outer",
    "kron",
    "tensordot",
    "trace",
    "cross",
    "addmm",
    "baddbmm",
    "einsum",
    "addmv",
    "addr",
    "addbmm",
    "chain_matmul",
    "ger",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
]

# ----------------------------------------------------------------------------- products


def _matmul_kernel(x, y):
    xp = backend.array_module(x)
    if x.ndim > 2 and y.ndim <= 2 and x.flags.c_contiguous:
        # a stack of matrices times one matrix is one GEMM over the stacked rows (torch folds
        # the same way); about 10% faster than numpy's loop of per-matrix GEMMs
        return xp.matmul(x.reshape(-1, x.shape[-1]), y).reshape(x.shape[:-1] + y.shape[1:])
    return xp.matmul(x, y)


def _matmul_grads(gy, x, y, needs_x, needs_y):
    """Gradients of ``x @ y`` for the output gradient ``gy``, themselves products.

    1-D operands are promoted to a row (``x``) or a column (``y``), and ``gy`` with them, so
    one rule covers every case: ``gx = gy @ y^T`` and ``gy = x^T @ gy``, then the promoted
    dimension is dropped again. Gradients keep broadcast batch dimensions; the engine sums
    them away.
    """
    k = x.shape[-1]
    g = gy.reshape(gy.shape + (1,)) if y.ndim == 1 else gy
    if x.ndim == 1:
        g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
    x2 = x.reshape(1, k) if x.ndim == 1 else x
    y2 = y.reshape(k, 1) if y.ndim == 1 else y
    gx = g_y = None
    if needs_x:
        gx = Matmul.apply(g, y2.mT)
        if x.ndim == 1:
            gx = gx.reshape(gx.shape[:-2] + gx.shape[-1:])
    if needs_y:
        if x.ndim > 2 and y.ndim <= 2:
            # y was shared by the whole stack: one GEMM over the stacked rows instead of a
            # product per matrix summed afterwards (30% faster, no batch-sized temporary)
            g_y = Matmul.apply(x.reshape(-1, k).mT, g.reshape(-1, g.shape[-1]))
        else:
            g_y = Matmul.apply(x2.mT, g)
        if y.ndim == 1:
            g_y = g_y.reshape(g_y.shape[:-1])
    return gx, g_y


class Matmul(Function):
    """``x @ y`` for operands of at least one dimension, by numpy's rules, which are torch's:
    1-D operands act as a row / column whose dimension is dropped from the result, and the
    leading (batch) dimensions broadcast."""

    holomorphic = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _matmul_kernel(x, y)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        return _matmul_grads(gy, x, y, *ctx.needs_input_grad)


# The fixed-rank products compute exactly as Matmul; their own classes give their results
# torch's grad_fn names (MmBackward0, ...).
class Mm(Matmul):
    """Matrix @ matrix."""


class Bmm(Matmul):
    """Batch of matrices @ batch of matrices (same batch size)."""


class Mv(Matmul):
    """Matrix @ vector."""


class Dot(Matmul):
    """Vector . vector."""


class Addmm(Function):
    """``beta * input + alpha * (x @ y)``; ``input`` arrives broadcast to the product's shape."""

    @staticmethod
    def forward(ctx, input, x, y, beta, alpha):
        ctx.beta, ctx.alpha = beta, alpha
        ctx.save_for_backward(x, y)
        out = _matmul_kernel(x, y)
        # integer products take integer factors (torch truncates beta=0.5 to 0)
        beta, alpha = out.dtype.type(beta), out.dtype.type(alpha)
        if alpha != 1:
            out *= alpha
        # beta == 0 ignores input entirely, so nan and inf in it do not propagate (torch)
        if beta != 0:
            out += input if beta == 1 else beta * input
        return out

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        needs_input, needs_x, needs_y = ctx.needs_input_grad[:3]
        g_input = None
        if needs_input:
            g_input = gy if ctx.beta == 1 else gy * ctx.beta
        g = gy if ctx.alpha == 1 else gy * ctx.alpha
        return (g_input, *_matmul_grads(g, x, y, needs_x, needs_y))


class Baddbmm(Addmm):
    """``beta * input + alpha * (x @ y)`` for batches of matrices."""


# --------------------------------------------------------------------------------- checks


def _require_dims(t, ndim, message):
    if t._data.ndim != ndim:
        raise RuntimeError(message)


def require_same_dtype(x, y, style):
    """torch checks dtypes per kernel, and each kernel words it its own way (also used by
    ``linear``)."""
    a, b = x.dtype, y.dtype
    if a is b:
        return
    if style == "mm":
        message = (
            f"expected m1 and m2 to have the same dtype, but got: {a.cpp_name} != {b.cpp_name}"
        )
    elif style == "dot":
        message = (
            "dot : expected both vectors to have same dtype, but found "
            f"{a.scalar_name} and {b.scalar_name}"
        )
    elif style == "tensordot":
        message = "both inputs should have same dtype"
    else:
        message = f"expected scalar type {a.scalar_name} but found {b.scalar_name}"
    raise RuntimeError(message)


def _check_mm_shapes(rows, k, k2, cols):
    if k != k2:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {k2}x{cols})"
        )


def _check_mv_shapes(rows, k, k2):
    if k != k2:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({k2})")


def _check_bmm_shapes(batch, k, batch2, k2):
    if batch != batch2 or k != k2:
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{batch}, {k}] but got: [{batch2}, {k2}]."
        )


def _broadcast_batch(a, b):
    """The broadcast of batch shapes ``a`` and ``b``, with torch's message when they clash."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(
                f"The size of tensor a ({p}) must match the size of tensor b ({q}) at "
                f"non-singleton dimension {i}"
            )
    return tuple(max(p, q) if p != 1 and q != 1 else p * q for p, q in zip(a, b))


# ------------------------------------------------------------------------------ functions


@autocast_op("matmul")
def matmul(input, other):
    """Matrix product of two tensors, by rank (as ``torch.matmul``).

    1-D . 1-D is the dot product (0-d); 2-D @ 2-D the matrix product; a 1-D argument is
    promoted to a row (first) or column (second) matrix whose dimension is removed from the
    result; with more than two dimensions the leading ones are batch dimensions and
    broadcast (``(j, 1, n, m) @ (k, m, p) -> (j, k, n, p)``). Both operands must have the
    same dtype: unlike element-wise operations, matmul does not promote.
    """
    as_tensor_arg(input, "matmul(): argument 'input' (position 1)")
    as_tensor_arg(other, "matmul(): argument 'other' (position 2)")
    xs, ys = input._data.shape, other._data.shape
    if not xs or not ys:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{len(xs)}D and {len(ys)}D"
        )
    # torch routes each case to a fixed-rank kernel (folding leading dimensions of input
    # into rows); the checks and their messages are that kernel's
    rows = math.prod(xs[:-1])
    if len(ys) == 1:
        if len(xs) == 1:
            return dot(input, other)
        _check_mv_shapes(rows, xs[-1], ys[0])
        require_same_dtype(input, other, "mv")
        return (Mv if len(xs) == 2 else Matmul).apply(input, other)
    if len(ys) == 2:
        _check_mm_shapes(rows, xs[-1], ys[0], ys[1])
        require_same_dtype(input, other, "mm")
        return (Mm if len(xs) == 2 else Matmul).apply(input, other)
    batch = math.prod(_broadcast_batch(xs[:-2], ys[:-2]))
    _check_bmm_shapes(batch, xs[-1], batch, ys[-2])
    require_same_dtype(input, other, "bmm")
    return Matmul.apply(input, other)


@autocast_op("mm")
def mm(input, mat2):
    """Matrix product of two 2-D tensors (no broadcasting; see ``matmul``)."""
    _require_dims(input, 2, "self must be a matrix")
    _require_dims(mat2, 2, "mat2 must be a matrix")
    (n, k), (k2, m) = input._data.shape, mat2._data.shape
    _check_mm_shapes(n, k, k2, m)
    require_same_dtype(input, mat2, "mm")
    return Mm.apply(input, mat2)


@autocast_op("bmm")
def bmm(input, mat2):
    """Batched matrix product: ``(b, n, m) @ (b, m, p) -> (b, n, p)``, no broadcasting."""
    _require_dims(input, 3, "batch1 must be a 3D tensor")
    _require_dims(mat2, 3, "batch2 must be a 3D tensor")
    (b, _, k), (b2, k2, _) = input._data.shape, mat2._data.shape
    _check_bmm_shapes(b, k, b2, k2)
    require_same_dtype(input, mat2, "bmm")
    return Bmm.apply(input, mat2)


@autocast_op("mv")
def mv(input, vec):
    """Matrix-vector product: ``(n, m) @ (m,) -> (n,)``."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}"
        )
    (n, k), (k2,) = input._data.shape, vec._data.shape
    _check_mv_shapes(n, k, k2)
    require_same_dtype(input, vec, "mv")
    return Mv.apply(input, vec)


@autocast_op("dot")
def dot(input, tensor):
    """Dot product of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors"
        )
    require_same_dtype(input, tensor, "dot")
    n, n2 = input._data.size, tensor._data.size
    if n != n2:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{n2}] to have the same "
            f"number of elements, but got {n} and {n2} elements respectively"
        )
    return Dot.apply(input, tensor)


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``.

    An element-wise product underneath, so unlike ``matmul`` its dtypes promote.
    """
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return mul(input.reshape((-1, 1)), vec2)


@autocast_op("vdot")
def vdot(input, other):
    """``sum(conj(input) * other)`` of two 1-D tensors: ``dot`` with the first vector
    conjugated (the same checks; for real vectors it is ``dot``)."""
    return dot(input.conj(), other)


def inner(input, other):
    """The sum of products over the last dimension of each; a 0-d operand multiplies."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


def kron(input, other):
    """The Kronecker product: blocks ``input[i, j] * other``, over every dimension (the
    fewer-dimensional operand gets leading dimensions of size one). Dtypes promote."""
    n = max(input._data.ndim, other._data.ndim)
    a_shape = (1,) * (n - input._data.ndim) + tuple(input.shape)
    b_shape = (1,) * (n - other._data.ndim) + tuple(other.shape)
    a = input.reshape(tuple(v for d in a_shape for v in (d, 1)))  # (a0, 1, a1, 1, ...)
    b = other.reshape(tuple(v for d in b_shape for v in (1, d)))  # (1, b0, 1, b1, ...)
    return mul(a, b).reshape(tuple(p * q for p, q in zip(a_shape, b_shape)))


@autocast_op("tensordot")
def tensordot(a, b, dims=2):
    """Sum of products over dimensions ``dims`` of ``a`` and ``b``: the last ``dims`` of
    ``a`` with the first ``dims`` of ``b`` (an int), or the listed pairs ``([..], [..])``.
    Both operands must have one dtype, as in ``matmul``."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(na - dims, na)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
        dims_a = [wrap_dim(d, na) for d in dims_a]
        dims_b = [wrap_dim(d, nb) for d in dims_b]
    require_same_dtype(a, b, "tensordot")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}"
            )
    free_a = [d for d in range(na) if d not in dims_a]
    free_b = [d for d in range(nb) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(free_a + dims_a).reshape((-1, k))
    right = b.permute(dims_b + free_b).reshape((k, -1))
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return mm(left, right).reshape(shape)


@autocast_op("trace")
def trace(input):
    """The sum of the main diagonal of a matrix (integers sum to int64, as in ``sum``)."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype.kind == "b":
        raise not_implemented("trace", input._data.dtype)
    return input.diagonal().sum()


@autocast_op("cross")
def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the operands broadcast, with the same
    number of dimensions and one dtype).

    Without ``dim``, torch's deprecated default holds: the first dimension of size 3, with
    torch's warning (``linalg.cross`` uses the last dimension instead).
    """
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype is not other.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found {other.dtype.scalar_name}"
        )
    ndim = input._data.ndim
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        if 3 not in input.shape:
            raise RuntimeError("no dimension of size 3 in input")
        dim = tuple(input.shape).index(3)
    dim = wrap_dim(dim, ndim)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[dim]} and {other.shape[dim]}"
        )
    shape = infer_size([tuple(input.shape), tuple(other.shape)])
    a, b = input.expand(shape), other.expand(shape)
    return a.roll(-1, dim) * b.roll(-2, dim) - a.roll(-2, dim) * b.roll(-1, dim)


@autocast_op("addmm")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``, ``input`` broadcast to ``(n, p)``.

    With ``beta=0`` the input is ignored, so nan and inf in it do not propagate.
    """
    _require_dims(mat1, 2, f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    _require_dims(mat2, 2, f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {input.dtype.scalar_name} "
            f"and {mat2.dtype.scalar_name}"
        )
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    _check_mm_shapes(n, k, k2, m)
    require_same_dtype(mat1, mat2, "mm")
    return Addmm.apply(input.expand((n, m)), mat1, mat2, beta, alpha)


@autocast_op("baddbmm")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices, ``input``
    broadcast to ``(b, n, p)``; with ``beta=0`` the input is ignored."""
    _require_dims(batch1, 3, "batch1 must be a 3D tensor")
    _require_dims(batch2, 3, "batch2 must be a 3D tensor")
    if not input.dtype is batch1.dtype is batch2.dtype:
        names = [t.dtype.cpp_name for t in (input, batch1, batch2)]
        raise RuntimeError(
            "Input dtypes must be the same, got: input {}, batch1: {}, batch2: {}".format(*names)
        )
    (b, n, k), (b2, k2, m) = batch1._data.shape, batch2._data.shape
    _check_bmm_shapes(b, k, b2, k2)
    return Baddbmm.apply(input.expand((b, n, m)), batch1, batch2, beta, alpha)


# --------------------------------------------------------------------------------- einsum

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's order for implicit output
_ELLIPSIS = "..."


def _einsum_kernel(inputs, output, arrays):
    xp = backend.array_module(arrays[0])
    equation = ",".join(inputs) + "->" + output
    # optimize=True contracts pairwise through tensordot (BLAS); one operand gains nothing
    return xp.einsum(equation, *arrays, optimize=len(arrays) > 1)


class Einsum(Function):
    """``einsum`` with every subscript explicit: ``inputs`` holds one label string per
    operand, ``output`` the result's (ellipses already spelled out as letters)."""

    holomorphic = True  # (linear in each operand)

    @staticmethod
    def forward(ctx, *arrays, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*arrays)
        return _einsum_kernel(inputs, output, arrays)

    @staticmethod
    def backward(ctx, gy):
        operands = ctx.saved_tensors
        return tuple(
            _einsum_grad(i, ctx.inputs, ctx.output, operands, gy) if needed else None
            for i, needed in enumerate(ctx.needs_input_grad)
        )


def _einsum_grad(i, inputs, output, operands, gy):
    """The gradient for operand ``i``: the einsum of ``gy`` with every other operand, written
    out to operand ``i``'s labels.

    Two kinds of labels need one more (constant) operand so the einsum can produce them:
    a label repeated in operand ``i`` reads a diagonal, so its gradient lies on that diagonal
    (an identity matrix links the repeat to a fresh label); a label only operand ``i`` has was
    summed away, so the gradient is constant along it (a vector of ones).
    """
    xp = backend.array_module(gy._data)
    dtype = gy._data.dtype
    shape = operands[i]._data.shape
    terms = [(output, gy)] + [(s, t) for j, (s, t) in enumerate(zip(inputs, operands)) if j != i]
    fresh = iter(c for c in _LETTERS if c not in "".join(inputs))
    target = ""
    for label, size in zip(inputs[i], shape):
        if label in target:
            new = next(fresh)
            terms.append((label + new, Tensor._make(xp.eye(size, dtype=dtype))))
            label = new
        target += label
    present = "".join(spec for spec, _ in terms)
    for label, size in zip(target, shape):
        if label not in present:
            terms.append((label, Tensor._make(xp.ones(size, dtype=dtype))))
    specs, tensors = zip(*terms)
    return Einsum.apply(*tensors, inputs=specs, output=target)


def _einsum_labels(term, start, operand=None):
    """The labels of one term (``...`` kept as one item); ``start`` is the term's index in
    the equation and ``operand`` its operand number (None for the output), for messages."""
    where = "output" if operand is None else f"operand {operand}"
    labels = []
    i = 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if _ELLIPSIS in labels:
                raise RuntimeError(
                    f"einsum(): found '.' for {where} "
                    + (
                        "but an ellipsis (...) was already found"
                        if operand is None
                        else "for which an ellipsis was already found"
                    )
                )
            if term[i : i + 3] != _ELLIPSIS:
                raise RuntimeError(
                    f"einsum(): found '.' for {where} that is not part of any ellipsis"
                    + (" (...)" if operand is None else "")
                )
            labels.append(_ELLIPSIS)
            i += 3
            continue
        if c in _LETTERS:
            labels.append(c)
        elif c != " ":
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {start + i} in the equation "
                "string, subscripts must be in [a-zA-Z]"
            )
        i += 1
    return labels


def _parse_einsum(equation, shapes):
    """Spell ``equation`` out for operands of ``shapes``: one label string per operand and
    one for the output, each ellipsis replaced by letters the equation does not use, and
    every size checked, with torch's messages."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    starts = [0]
    for term in terms[:-1]:
        starts.append(starts[-1] + len(term) + 1)
    labels = [_einsum_labels(term, s, k) for k, (term, s) in enumerate(zip(terms, starts))]

    ell_dims = 0
    for k, (term, shape) in enumerate(zip(labels, shapes)):
        n = len(term) - (_ELLIPSIS in term)
        if _ELLIPSIS in term and n <= len(shape):
            ell_dims = max(ell_dims, len(shape) - n)
        elif _ELLIPSIS in term:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n}) is more than the "
                f"number of dimensions ({len(shape)}) for operand {k}"
            )
        elif n != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n}) does not match the "
                f"number of dimensions ({len(shape)}) for operand {k} and no ellipsis was given"
            )

    used = [c for term in labels for c in term if c != _ELLIPSIS]
    if arrow:
        out = _einsum_labels(rhs, len(lhs) + 2)
        for pos, c in enumerate(out):
            if c == _ELLIPSIS:
                continue
            if c in out[:pos]:
                raise RuntimeError(
                    f"einsum(): output subscript {c} appears more than once in the output"
                )
            if c not in used:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
    else:
        # implicit output: the ellipsis dimensions, then the labels used once, sorted
        out = [_ELLIPSIS] + sorted((c for c in set(used) if used.count(c) == 1), key=_LETTERS.index)

    ell = "".join(c for c in _LETTERS if c not in used)[:ell_dims]

    def spell(term, ndim):
        covered = ndim - (len(term) - 1)  # dimensions under this term's ellipsis
        return "".join(ell[ell_dims - covered :] if c == _ELLIPSIS else c for c in term)

    inputs = [spell(term, len(shape)) for term, shape in zip(labels, shapes)]
    _check_einsum_sizes(inputs, shapes, ell)
    return inputs, spell(out, ell_dims + len(out) - 1)


def _check_einsum_sizes(inputs, shapes, ell):
    """Sizes of one label must agree across operands, or be 1 (it broadcasts)."""
    sizes = {}
    for k, (spec, shape) in enumerate(zip(inputs, shapes)):
        for dim, (label, size) in enumerate(zip(spec, shape)):
            first = spec.index(label)
            if first != dim:
                if size != shape[first]:
                    raise RuntimeError(
                        f"einsum(): subscript {label} is repeated for operand {k} but the sizes "
                        f"don't match, {size} != {shape[first]}"
                    )
                continue
            seen = sizes.get(label, 1)
            if size != 1 and seen not in (1, size):
                if label in ell:
                    # torch's message, missing space ("operand 1has") included
                    raise RuntimeError(
                        f"einsum(): dimension {dim} covered by ellipsis in operand {k}has size "
                        f"{size} which does not broadcast with previously seen ellipsis with "
                        f"size {seen} for the respective dimension"
                    )
                raise RuntimeError(
                    f"einsum(): subscript {label} has size {size} for operand {k} which does "
                    f"not broadcast with previously seen size {seen}"
                )
            if size != 1:
                sizes[label] = size


@autocast_op("einsum")
def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Subscripts are letters ``[a-zA-Z]``; ``...`` stands for the remaining dimensions of an
    operand (broadcast across operands); without ``->`` the output is the ellipsis
    dimensions followed by the labels used exactly once, sorted. A label repeated within an
    operand takes its diagonal; labels missing from the output are summed; size-1 dimensions
    broadcast. The operands may also be given as one list. All operands must share a dtype.
    Forward and the gradients each run as one ``xp.einsum`` with contraction-order
    optimisation (pairwise BLAS products).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, or at least "
            "one operand and its subscripts list"
        )
    for t in operands[1:]:
        require_same_dtype(operands[0], t, "einsum")
    inputs, output = _parse_einsum(equation, [t._data.shape for t in operands])
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)


# ----------------------------------------------------------- more products, integration


def _scaled_sum(input, product, beta, alpha):
    """``beta * input + alpha * product``; ``input`` is ignored where ``beta`` is 0 (so its
    nan and inf do not propagate), as torch's addmm family does."""
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return scaled
    return (input if beta == 1 else input * beta) + scaled


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``, ``input`` broadcast to ``(n,)``."""
    return _scaled_sum(
        input.expand((mat.shape[0],)) if mat.ndim == 2 else input, mv(mat, vec), beta, alpha
    )


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``, ``input`` broadcast to ``(n, m)``."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(
            f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
            if vec1.ndim != 1
            else f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D"
        )
    product = outer(vec1, vec2)
    return _scaled_sum(input.expand(product.shape), product, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_i batch1[i] @ batch2[i]``, ``input`` broadcast to
    ``(n, p)``."""
    _require_dims(batch1, 3, "batch1 must be a 3D tensor")
    _require_dims(batch2, 3, "batch2 must be a 3D tensor")
    product = bmm(batch1, batch2).sum(0)
    return _scaled_sum(input.expand(product.shape), product, beta, alpha)


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (deprecated in torch for
    ``linalg.multi_dot``)."""
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
        "than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        _require_dims(m, 2, f"Tensor dimension is {m.ndim}, expected 2 instead.")
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out if len(matrices) > 1 else out.clone()


def ger(input, vec2):
    """``outer(input, vec2)`` (deprecated in torch for ``outer``)."""
    return outer(input, vec2)


def _spacing(y, x, dx, dim):
    """The interval widths along ``dim`` of ``y``: ``diff(x)`` (``x`` 1-D or like ``y``) or
    the constant ``dx``."""
    if x is None:
        return 1.0 if dx is None else dx
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[dim] = -1
        return x.diff().reshape(shape)
    return x.diff(dim=dim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at the points ``x``
    (1-D, or shaped like ``y``) or spaced ``dx`` apart (default 1)."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments")
    dim = wrap_dim(dim, y.ndim)
    if y.shape[dim] == 0:
        return y.sum(dim) * 0
    n = y.shape[dim]
    left, right = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    return ((left + right) * _spacing(y, x, dx, dim)).sum(dim) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    """``trapezoid`` (its older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of ``y`` along ``dim``: one element fewer than ``y``
    there (see ``trapezoid``)."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments")
    dim = wrap_dim(dim, y.ndim)
    n = y.shape[dim]
    left, right = y.narrow(dim, 0, max(n - 1, 0)), y.narrow(dim, min(1, n), max(n - 1, 0))
    return ((left + right) * _spacing(y, x, dx, dim) / 2).cumsum(dim)
