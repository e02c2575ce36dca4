"""Matrix products and einsum: forward vs numpy, gradients by finite differences (batch
broadcasting included), torch's dtype rules and error messages."""

import numpy as np
import pytest

import ember
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


MATMUL_SHAPES = [
    ((3,), (3,)),  # dot -> 0-d
    ((2, 3), (3,)),  # matrix @ vector
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),  # stack @ matrix (folded into one GEMM)
    ((2, 2, 3), (3,)),
    ((3,), (2, 3, 4)),
    ((2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),  # batch dimensions broadcast both ways
    ((1, 2, 3), (2, 3, 2)),
]


@pytest.mark.parametrize(("a", "b"), MATMUL_SHAPES, ids=str)
def test_matmul(a, b):
    check_op(ember.matmul, np.matmul, _x(*a), _x(*b))


@pytest.mark.parametrize(("a", "b"), MATMUL_SHAPES[::3], ids=str)
def test_matmul_devices(a, b, device):
    check_op(lambda x, y: x @ y, np.matmul, _x(*a), _x(*b), device=device)


@pytest.mark.parametrize(
    ("a", "b"), [((3,), (3,)), ((2, 3), (3,)), ((2, 2, 3), (3, 2)), ((2, 1, 3), (2, 3, 2))]
)
def test_matmul_gradgrad(a, b):
    check_op(ember.matmul, np.matmul, _x(*a), _x(*b), grad=False, gradgrad=True)


def test_matmul_broadcast_batch_gradient_is_summed():
    x = ember.tensor(_x(3, 2, 4), requires_grad=True)
    w = ember.tensor(_x(4, 5), requires_grad=True)
    (x @ w).sum().backward()
    # d/dw sum(x @ w) = sum over the batch and rows of x, for every column
    expected = np.repeat(x.detach().numpy().sum(axis=(0, 1))[:, None], 5, axis=1)
    assert_close(w.grad, expected, rtol=1e-5, atol=1e-5)
    assert_close(x.grad, np.broadcast_to(w.detach().numpy().sum(axis=1), (3, 2, 4)))


def test_fixed_rank_products():
    check_op(ember.mm, np.matmul, _x(2, 3), _x(3, 4), gradgrad=True)
    check_op(ember.bmm, np.matmul, _x(2, 2, 3), _x(2, 3, 4))
    check_op(ember.mv, np.matmul, _x(2, 3), _x(3))
    check_op(ember.dot, np.dot, _x(4), _x(4))
    check_op(ember.outer, np.outer, _x(3), _x(2))


def test_tensor_methods():
    a, b = ember.tensor(_x(2, 3)), ember.tensor(_x(3, 2))
    v = ember.tensor(_x(3))
    assert_close(a.matmul(b), a.numpy() @ b.numpy())
    assert_close(a.mm(b), a.numpy() @ b.numpy())
    assert_close(v.dot(v), v.numpy() @ v.numpy())
    assert_close(v.outer(v), np.outer(v.numpy(), v.numpy()))
    assert_close(a.unsqueeze(0).bmm(b.unsqueeze(0)), (a.numpy() @ b.numpy())[None])


@pytest.mark.parametrize("input_shape", [(2, 4), (4,), (1, 4), ()], ids=str)
def test_addmm(input_shape):
    def reference(i, m1, m2):
        return 0.5 * i + 2.0 * (m1 @ m2)

    def op(i, m1, m2):
        return ember.addmm(i, m1, m2, beta=0.5, alpha=2.0)

    check_op(op, reference, _x(*input_shape), _x(2, 3), _x(3, 4), gradgrad=True)
    check_op(ember.addmm, lambda i, m1, m2: i + m1 @ m2, _x(*input_shape), _x(2, 3), _x(3, 4))


def test_addmm_beta_zero_ignores_nan_input():
    out = ember.addmm(ember.full((2, 2), float("nan")), ember.ones(2, 3), ember.ones(3, 2), beta=0)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_baddbmm():
    def op(i, b1, b2):
        return ember.baddbmm(i, b1, b2, beta=2.0, alpha=-1.0)

    check_op(op, lambda i, b1, b2: 2.0 * i - b1 @ b2, _x(3, 1), _x(2, 3, 4), _x(2, 4, 5))


def test_grad_fn_names_follow_torch():
    a = ember.ones(2, 2, requires_grad=True)
    v = ember.ones(2, requires_grad=True)
    assert (a @ a).grad_fn.name() == "MmBackward0"
    assert (v @ v).grad_fn.name() == "DotBackward0"
    assert (a @ v).grad_fn.name() == "MvBackward0"
    b = a.reshape(1, 2, 2)
    assert ember.bmm(b, b).grad_fn.name() == "BmmBackward0"
    assert ember.addmm(v, a, a).grad_fn.name() == "AddmmBackward0"


def test_integer_products_stay_integer(device):
    a = ember.tensor([[1, 2], [3, 4]], device=device)
    assert (a @ a).dtype == ember.int64
    assert (a @ a).tolist() == [[7, 10], [15, 22]]
    v = ember.tensor([1, 2], device=device)
    assert ember.dot(v, v).tolist() == 5
    assert ember.einsum("ij,j->i", a, v).tolist() == [5, 11]


def test_float32_stays_float32():
    a = ember.ones(2, 3)
    assert (a @ ember.ones(3, 2)).dtype == ember.float32
    assert ember.outer(ember.ones(2), ember.ones(2, dtype=ember.float64)).dtype == ember.float64


F32, F64 = ember.float32, ember.float64


def _t(*shape, dtype=F32):
    return ember.ones(*shape, dtype=dtype)


ERRORS = [
    (lambda: ember.mm(_t(2), _t(2, 2)), "self must be a matrix"),
    (lambda: ember.mm(_t(2, 2), _t(1, 2, 2)), "mat2 must be a matrix"),
    (
        lambda: ember.mm(_t(2, 2), _t(2, 2, dtype=F64)),
        "expected m1 and m2 to have the same dtype, but got: float != double",
    ),
    (
        lambda: ember.mm(_t(2, 2, dtype=ember.int64), _t(2, 2)),
        "expected m1 and m2 to have the same dtype, but got: long int != float",
    ),
    (
        lambda: ember.mm(_t(2, 3), _t(4, 5)),
        r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)",
    ),
    (lambda: ember.bmm(_t(2, 2), _t(1, 2, 2)), "batch1 must be a 3D tensor"),
    (lambda: ember.bmm(_t(1, 2, 2), _t(2, 2)), "batch2 must be a 3D tensor"),
    (
        lambda: ember.bmm(_t(2, 3, 4), _t(3, 4, 6)),
        r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: "
        r"\[3, 4\]\.",
    ),
    (
        lambda: ember.bmm(_t(1, 2, 2), _t(1, 2, 2, dtype=F64)),
        "expected scalar type Float but found Double",
    ),
    (lambda: ember.dot(_t(2, 2), _t(2, 2)), "1D tensors expected, but got 2D and 2D tensors"),
    (
        lambda: ember.dot(_t(3), _t(3, dtype=F64)),
        "dot : expected both vectors to have same dtype, but found Float and Double",
    ),
    (
        lambda: ember.dot(_t(3), _t(4)),
        r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same "
        "number of elements, but got 3 and 4 elements respectively",
    ),
    (lambda: ember.mv(_t(2), _t(2)), "vector \\+ matrix @ vector expected, got 1, 1, 1"),
    (
        lambda: ember.mv(_t(2, 3), _t(4)),
        r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)",
    ),
    (
        lambda: ember.matmul(ember.tensor(1.0), _t(2, 2)),
        "both arguments to matmul need to be at least 1D, but they are 0D and 2D",
    ),
    (lambda: _t(2) @ _t(3), r"inconsistent tensor size, expected tensor \[2\] and src \[3\]"),
    (
        lambda: _t(3) @ _t(4, 5),
        r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)",
    ),
    (
        lambda: _t(2, 2, 3) @ _t(4, 5),
        r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)",
    ),
    (
        lambda: _t(2, 2, 3) @ _t(4),
        r"size mismatch, got input \(4\), mat \(4x3\), vec \(4\)",
    ),
    (
        lambda: _t(3) @ _t(2, 4, 5),
        r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: "
        r"\[2, 4\]\.",
    ),
    (
        lambda: _t(4, 2, 2, 3) @ _t(3, 3, 5),
        "The size of tensor a \\(2\\) must match the size of tensor b \\(3\\) at non-singleton "
        "dimension 1",
    ),
    (
        lambda: _t(2, 2) @ _t(2, 2, dtype=F64),
        "expected m1 and m2 to have the same dtype, but got: float != double",
    ),
    (lambda: _t(2, 2) @ _t(2, dtype=F64), "expected scalar type Float but found Double"),
    (lambda: _t(2, 2, 2) @ _t(2, 2, 2, dtype=F64), "expected scalar type Float but found Double"),
    (lambda: ember.outer(_t(2, 2), _t(2)), "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: ember.outer(_t(2), _t(2, 2)), "outer: Expected 1-D argument vec2, but got 2-D"),
    (
        lambda: ember.addmm(_t(2, 2, dtype=F64), _t(2, 2), _t(2, 2)),
        "self and mat2 must have the same dtype, but got Double and Float",
    ),
    (lambda: ember.addmm(_t(3), _t(2), _t(2, 3)), "mat1 must be a matrix, got 1-D tensor"),
    (
        lambda: ember.addmm(_t(4), _t(2, 2), _t(2, 3)),
        "The expanded size of the tensor \\(3\\) must match the existing size \\(4\\)",
    ),
    (
        lambda: ember.baddbmm(_t(1, 2, 2, dtype=F64), _t(1, 2, 2), _t(1, 2, 2)),
        "Input dtypes must be the same, got: input double, batch1: float, batch2: float",
    ),
]


@pytest.mark.parametrize(("call", "message"), ERRORS)
def test_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_matmul_requires_tensors():
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be"):
        ember.matmul(_t(2), [1.0, 2.0])


# ---------------------------------------------------------------------------------- einsum

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)], lambda a, b: a @ b),
    ("ij,jk", [(2, 3), (3, 4)], lambda a, b: a @ b),  # implicit output: sorted single labels
    ("ba", [(2, 3)], lambda a: a.T),  # implicit output sorts: "ab"
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)], np.matmul),
    ("i,i->", [(4,), (4,)], np.dot),
    ("i,j->ij", [(3,), (2,)], np.outer),
    ("ij->", [(2, 3)], np.sum),
    ("ijk->kji", [(2, 3, 4)], lambda a: a.transpose(2, 1, 0)),
    ("ii->i", [(3, 3)], np.diagonal),
    ("ii", [(3, 3)], np.trace),
    ("iij->j", [(2, 2, 3)], lambda a: a[[0, 1], [0, 1]].sum(0)),
    ("ii,i->i", [(3, 3), (3,)], lambda a, b: np.diagonal(a) * b),
    ("ij,ij->ij", [(2, 1), (2, 3)], lambda a, b: a * b),  # size-1 subscripts broadcast
    ("i,i,i->", [(3,), (3,), (3,)], lambda a, b, c: (a * b * c).sum()),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 4, 2)], lambda q, k: q @ k.swapaxes(-1, -2)),
    ("...ij->...ji", [(2, 2, 3)], lambda a: a.swapaxes(-1, -2)),
    ("...i,i->...", [(2, 3, 4), (4,)], lambda a, b: a @ b),
    ("i...,...->i...", [(2, 3, 4), (4,)], lambda a, b: a * b),  # ellipses of different rank
    ("...ij->ij", [(2, 2, 3)], lambda a: a.sum(0)),  # an ellipsis missing from the output sums
    ("i...j,jk", [(2, 2, 3), (3, 2)], lambda a, b: np.moveaxis(a @ b, 1, 0)),  # ... first
    (" i j , j k -> i k ", [(2, 3), (3, 2)], lambda a, b: a @ b),  # spaces are ignored
]


@pytest.mark.parametrize(("equation", "shapes", "reference"), EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum(equation, shapes, reference):
    check_op(lambda *ts: ember.einsum(equation, *ts), reference, *[_x(*s) for s in shapes])


@pytest.mark.parametrize("index", [0, 8, 12, 16], ids=lambda i: EINSUMS[i][0])
def test_einsum_gradgrad(index, device):
    equation, shapes, reference = EINSUMS[index]
    inputs = [_x(*s) for s in shapes]
    check_op(
        lambda *ts: ember.einsum(equation, *ts), reference, *inputs, gradgrad=True, device=device
    )


def test_einsum_accepts_a_list_of_operands():
    a, b = ember.tensor(_x(2, 3)), ember.tensor(_x(3))
    assert_close(ember.einsum("ij,j", [a, b]), a.numpy() @ b.numpy())
    assert_close(ember.einsum("ij,j", (a, b)), a.numpy() @ b.numpy())


EINSUM_ERRORS = [
    (("i",), ValueError, "must specify the equation string and at least one operand"),
    (("i", _t(2), _t(2)), RuntimeError, "more operands were provided than specified"),
    (("i,i", _t(2)), RuntimeError, "fewer operands were provided than specified"),
    (
        ("ij", _t(2)),
        RuntimeError,
        r"the number of subscripts in the equation \(2\) does not match the number of "
        r"dimensions \(1\) for operand 0 and no ellipsis was given",
    ),
    (
        ("ij...", _t(2)),
        RuntimeError,
        r"the number of subscripts in the equation \(2\) is more than the number of dimensions "
        r"\(1\) for operand 0",
    ),
    (
        ("i1", _t(2, 2)),
        RuntimeError,
        r"invalid subscript given at index 1 in the equation string, subscripts must be in "
        r"\[a-zA-Z\]",
    ),
    (("ij->i1", _t(2, 2)), RuntimeError, "invalid subscript given at index 5"),
    (("ij->ii", _t(2, 2)), RuntimeError, "output subscript i appears more than once"),
    (("ij->k", _t(2, 2)), RuntimeError, "output subscript k does not appear in the equation"),
    (
        ("ij,jk->ik", _t(2, 3), _t(4, 5)),
        RuntimeError,
        "subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3",
    ),
    (
        ("ii->i", _t(2, 3)),
        RuntimeError,
        "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2",
    ),
    (
        ("...i,...i->...", _t(2, 3), _t(4, 3)),
        RuntimeError,
        "dimension 0 covered by ellipsis in operand 1has size 4 which does not broadcast",
    ),
    (("i.->i", _t(2, 2)), RuntimeError, "found '.' for operand 0 that is not part of any"),
    (("...i...", _t(2, 2)), RuntimeError, "found '.' for operand 0 for which an ellipsis"),
    (
        ("ij,jk", _t(2, 2), _t(2, 2, dtype=F64)),
        RuntimeError,
        "expected scalar type Float but found Double",
    ),
]


@pytest.mark.parametrize(("args", "error", "message"), EINSUM_ERRORS)
def test_einsum_errors(args, error, message):
    with pytest.raises(error, match=message):
        ember.einsum(*args)


# ------------------------------------------------- trace, kron, tensordot, inner, vdot

_R = np.random.default_rng(7)


def test_trace():
    a = _R.standard_normal((3, 4))
    check_op(ember.trace, lambda x: np.trace(x), a)
    assert ember.tensor([[1, 2], [3, 4]], dtype=ember.int32).trace().dtype == ember.int64
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        ember.trace(ember.ones(3))
    with pytest.raises(NotImplementedError, match="\"trace\" not implemented for 'Bool'"):
        ember.trace(ember.ones(2, 2) > 0)


@pytest.mark.parametrize(("sa", "sb"), [((2, 3), (3, 2)), ((3,), (2, 2)), ((2, 1, 2), (3,))])
def test_kron(sa, sb):
    check_op(ember.kron, np.kron, _R.standard_normal(sa), _R.standard_normal(sb))


@pytest.mark.parametrize(
    ("sa", "sb", "dims"),
    [
        ((2, 3, 4), (3, 4, 2), 2),
        ((2, 3), (3, 4), 1),
        ((2,), (3,), 0),
        ((2, 3, 4), (4, 5, 2), ([0, 2], [2, 0])),
    ],
)
def test_tensordot(sa, sb, dims):
    check_op(
        lambda a, b: ember.tensordot(a, b, dims),
        lambda a, b: np.tensordot(a, b, dims),
        _R.standard_normal(sa),
        _R.standard_normal(sb),
    )


def test_tensordot_errors():
    a = ember.ones(2, 3)
    with pytest.raises(RuntimeError, match="dims >= 0"):
        ember.tensordot(a, a, -1)
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        ember.tensordot(a, a, ([0], [1]))
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.tensordot(a, a.double(), ([0], [0]))


def test_inner_and_vdot():
    check_op(ember.inner, np.inner, _R.standard_normal((2, 3)), _R.standard_normal((4, 3)))
    check_op(ember.vdot, np.vdot, _R.standard_normal(3), _R.standard_normal(3))
    assert_close(ember.inner(ember.tensor([1.0, 2.0]), ember.tensor(3.0)), [3.0, 6.0])
    with pytest.raises(RuntimeError, match="the last dimension must match"):
        ember.inner(ember.ones(2, 3), ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        ember.vdot(ember.ones(2, 3), ember.ones(2, 3))


def test_cross():
    from ember.autograd import gradcheck

    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    assert_close(ember.cross(ember.tensor(a), ember.tensor(b), dim=1), np.cross(a, b))
    assert_close(ember.tensor(a.T).cross(ember.tensor(b.T), 0), np.cross(a, b).T)
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        got = ember.cross(ember.tensor(a[:3]), ember.tensor(a[1:]))
    assert_close(got, np.cross(a[:3], a[1:], axis=0))
    ta = ember.tensor(a, requires_grad=True)
    tb = ember.tensor(b, requires_grad=True)
    gradcheck(lambda s, t: ember.cross(s, t, dim=-1), [ta, tb])
    with pytest.raises(RuntimeError, match="must have length 3"):
        ember.cross(ember.ones(2, 3), ember.ones(2, 4), dim=1)
    with pytest.raises(RuntimeError, match="no dimension of size 3"), pytest.warns(UserWarning):
        ember.cross(ember.ones(2, 4), ember.ones(2, 4))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ember.cross(ember.ones(3), ember.ones(2, 3), dim=-1)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        ember.cross(ember.ones(3), ember.ones(3).double(), dim=0)
