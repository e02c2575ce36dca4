"""Tensor methods over existing functions, their in-place forms, in-place view operations
(squeeze_, transpose_, ...), unfold, matrix transposes, metadata and the less common
in-place fills (fill_diagonal_, index_put_, cauchy_, ...)."""

import numpy as np
import pytest

import ember
from ember.autograd.gradcheck import gradcheck
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)


def _floats(*shape, low=-2.0, high=2.0):
    return ember.tensor(RNG.uniform(low, high, size=shape).astype(np.float32))


def _ints(*shape, low=-8, high=8):
    return ember.tensor(RNG.integers(low, high, size=shape))


# ------------------------------------------------------------- methods over functions

# (method, function, inputs: the tensor the method is called on first, then its arguments)
METHODS = [
    ("absolute", ember.abs, lambda: (_floats(3, 4),)),
    ("fix", ember.trunc, lambda: (_floats(3, 4),)),
    ("digamma", ember.digamma, lambda: (_floats(3, 4, low=0.5),)),
    ("lgamma", ember.lgamma, lambda: (_floats(3, 4, low=0.5),)),
    ("xlogy", ember.xlogy, lambda: (_floats(3, 4), _floats(3, 4, low=0.1))),
    ("bitwise_and", ember.bitwise_and, lambda: (_ints(3, 4), _ints(3, 4))),
    ("bitwise_or", ember.bitwise_or, lambda: (_ints(3, 4), _ints(3, 4))),
    ("bitwise_xor", ember.bitwise_xor, lambda: (_ints(3, 4), _ints(3, 4))),
    ("bitwise_not", ember.bitwise_not, lambda: (_ints(3, 4),)),
    (
        "bitwise_left_shift",
        ember.bitwise_left_shift,
        lambda: (_ints(3, 4), _ints(4, low=0, high=4)),
    ),
    (
        "bitwise_right_shift",
        ember.bitwise_right_shift,
        lambda: (_ints(3, 4), _ints(4, low=0, high=4)),
    ),
    ("greater", ember.gt, lambda: (_floats(3, 4), _floats(3, 4))),
    ("greater_equal", ember.ge, lambda: (_floats(3, 4), _floats(3, 4))),
    ("less", ember.lt, lambda: (_floats(3, 4), _floats(3, 4))),
    ("less_equal", ember.le, lambda: (_floats(3, 4), _floats(3, 4))),
    ("not_equal", ember.ne, lambda: (_ints(3, 4, low=0, high=2), _ints(3, 4, low=0, high=2))),
    ("hardshrink", ember.nn.functional.hardshrink, lambda: (_floats(3, 4), 0.7)),
    ("prelu", ember.prelu, lambda: (_floats(2, 3, 4), _floats(3))),
    ("diag_embed", ember.diag_embed, lambda: (_floats(2, 3), 1)),
    ("fliplr", ember.fliplr, lambda: (_floats(3, 4),)),
    ("flipud", ember.flipud, lambda: (_floats(3, 4),)),
    ("select", ember.select, lambda: (_floats(3, 4), 1, -1)),
    (
        "take_along_dim",
        ember.take_along_dim,
        lambda: (_floats(3, 4), _ints(3, 4, low=0, high=4), 1),
    ),
    ("index_add", ember.index_add, lambda: (_floats(3, 4), 0, ember.tensor([2, 0]), _floats(2, 4))),
    (
        "index_copy",
        ember.index_copy,
        lambda: (_floats(3, 4), 1, ember.tensor([3, 0]), _floats(3, 2)),
    ),
    ("addmm", ember.addmm, lambda: (_floats(3, 4), _floats(3, 5), _floats(5, 4))),
    ("baddbmm", ember.baddbmm, lambda: (_floats(2, 3, 4), _floats(2, 3, 5), _floats(2, 5, 4))),
    ("mv", ember.mv, lambda: (_floats(3, 4), _floats(4))),
]


@pytest.mark.parametrize("name, function, inputs", METHODS, ids=[m[0] for m in METHODS])
def test_method_is_the_function(name, function, inputs):
    self, *args = inputs()
    out = getattr(self, name)(*args)
    expected = function(self, *args)
    assert out.dtype == expected.dtype
    assert_close(out, expected)


def test_polygamma_method_takes_n_first_in_the_function():
    x = _floats(5, low=0.5)
    assert_close(x.polygamma(2), ember.polygamma(2, x))
    y = x.clone()
    assert y.polygamma_(1) is y
    assert_close(y, ember.polygamma(1, x))


def test_random_methods_are_the_functions():
    p = ember.full((1000,), 0.25)
    draws = p.bernoulli()
    assert draws.dtype == ember.float32 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    samples = ember.tensor([0.0, 1.0, 0.0]).multinomial(4, replacement=True)
    assert samples.tolist() == [1, 1, 1, 1]


def test_method_gradients():
    check_op(lambda x, w: x.prelu(w), lambda x, w: np.where(x >= 0, x, w * x), _away(3), [0.3])
    check_op(
        lambda a, b, c: a.addmm(b, c, beta=0.5, alpha=2),
        lambda a, b, c: 0.5 * a + 2 * b @ c,
        RNG.standard_normal((2, 3)),
        RNG.standard_normal((2, 4)),
        RNG.standard_normal((4, 3)),
    )
    check_op(lambda x: x.select(1, 0), lambda x: x[:, 0], RNG.standard_normal((2, 3)))


def _away(n):
    return np.where(RNG.random(n) < 0.5, -1, 1) * RNG.uniform(0.3, 2.0, n)


# --------------------------------------------------------------------- in-place forms

# (method_, the out-of-place function, inputs): ``t.method_(*args)`` writes ``f(t, *args)``
INPLACE = [
    ("absolute_", ember.abs, lambda: (_floats(3, 4),)),
    ("sgn_", ember.sgn, lambda: (_floats(3, 4),)),
    ("subtract_", ember.sub, lambda: (_floats(3, 4), _floats(3, 4))),
    ("multiply_", ember.mul, lambda: (_floats(3, 4), _floats(3, 4))),
    ("divide_", ember.div, lambda: (_floats(3, 4), _floats(3, 4, low=0.5))),
    ("true_divide_", ember.div, lambda: (_floats(3, 4), _floats(3, 4, low=0.5))),
    ("floor_divide_", ember.floor_divide, lambda: (_floats(3, 4), _floats(3, 4, low=0.5))),
    ("arctan2_", ember.atan2, lambda: (_floats(3, 4), _floats(3, 4))),
    ("float_power_", ember.float_power, lambda: (_floats(3, 4, low=0.5).double(), 1.5)),
    ("conj_physical_", ember.conj_physical, lambda: (_floats(2, 3).to(ember.complex64),)),
    ("cumsum_", ember.cumsum, lambda: (_floats(3, 4), 1)),
    ("cumprod_", ember.cumprod, lambda: (_floats(3, 4), 0)),
    ("tril_", ember.tril, lambda: (_floats(3, 4), 1)),
    ("triu_", ember.triu, lambda: (_floats(3, 4), -1)),
    ("bitwise_and_", ember.bitwise_and, lambda: (_ints(3, 4), _ints(3, 4))),
    ("bitwise_or_", ember.bitwise_or, lambda: (_ints(3, 4), _ints(3, 4))),
    ("bitwise_xor_", ember.bitwise_xor, lambda: (_ints(3, 4), _ints(3, 4))),
    ("bitwise_not_", ember.bitwise_not, lambda: (_ints(3, 4),)),
    (
        "bitwise_left_shift_",
        ember.bitwise_left_shift,
        lambda: (_ints(3, 4), _ints(4, low=0, high=4)),
    ),
    (
        "bitwise_right_shift_",
        ember.bitwise_right_shift,
        lambda: (_ints(3, 4), _ints(4, low=0, high=4)),
    ),
    (
        "index_add_",
        ember.index_add,
        lambda: (_floats(3, 4), 0, ember.tensor([2, 2]), _floats(2, 4)),
    ),
    (
        "index_copy_",
        ember.index_copy,
        lambda: (_floats(3, 4), 1, ember.tensor([3, 0]), _floats(3, 2)),
    ),
    ("addmm_", ember.addmm, lambda: (_floats(3, 4), _floats(3, 5), _floats(5, 4))),
    ("baddbmm_", ember.baddbmm, lambda: (_floats(2, 3, 4), _floats(2, 3, 5), _floats(2, 5, 4))),
    ("addbmm_", ember.addbmm, lambda: (_floats(3, 4), _floats(2, 3, 5), _floats(2, 5, 4))),
    ("addr_", ember.addr, lambda: (_floats(3, 4), _floats(3), _floats(4))),
]


@pytest.mark.parametrize("name, function, inputs", INPLACE, ids=[m[0] for m in INPLACE])
def test_inplace_writes_the_function_into_self(name, function, inputs):
    self, *args = inputs()
    expected = function(self, *args)
    base = self.clone()
    view = base[:]  # a view of base: the write must land in base's memory
    out = getattr(view, name)(*args)
    assert out is view and out.dtype == self.dtype
    assert_close(base, expected)


def test_inplace_keyword_arguments_pass_through():
    a, b, c = _floats(3, 4), _floats(3, 5), _floats(5, 4)
    assert_close(a.clone().addmm_(b, c, beta=0.5, alpha=2), ember.addmm(a, b, c, beta=0.5, alpha=2))
    x, y = _floats(4), _floats(4, low=0.5)
    assert_close(
        x.clone().divide_(y, rounding_mode="floor"), ember.div(x, y, rounding_mode="floor")
    )
    n = ember.tensor([1, 2, 3])
    assert n.clone().cumsum_(0, dtype=ember.int64).tolist() == [1, 3, 6]


def test_float_power_inplace_needs_a_double_base():
    with pytest.raises(
        RuntimeError,
        match="the base given to float_power_ has dtype Float but the operation's result "
        "requires dtype Double",
    ):
        _floats(3).float_power_(2)
    with pytest.raises(RuntimeError, match=r"has dtype Double but .* requires dtype ComplexDouble"):
        _floats(3).double().float_power_(2j)


@pytest.mark.parametrize(
    "name, reference",
    [
        ("eq_", np.equal),
        ("ne_", np.not_equal),
        ("lt_", np.less),
        ("le_", np.less_equal),
        ("gt_", np.greater),
        ("ge_", np.greater_equal),
        ("greater_", np.greater),
        ("greater_equal_", np.greater_equal),
        ("less_", np.less),
        ("less_equal_", np.less_equal),
        ("not_equal_", np.not_equal),
        ("logical_and_", np.logical_and),
        ("logical_or_", np.logical_or),
        ("logical_xor_", np.logical_xor),
    ],
)
@pytest.mark.parametrize("dtype", [ember.float32, ember.int64])
def test_inplace_comparisons_write_zeros_and_ones_in_own_dtype(name, reference, dtype):
    a, b = _ints(3, 4, low=0, high=3).to(dtype), _ints(3, 4, low=0, high=3).to(dtype)
    expected = reference(a.numpy(), b.numpy()).astype(dtype.np)
    x = a.clone()
    assert getattr(x, name)(b) is x
    assert x.dtype == dtype
    np.testing.assert_array_equal(x.numpy(), expected)
    if not name.startswith("logical"):  # a number compares too
        y = a.clone()
        getattr(y, name)(1)
        np.testing.assert_array_equal(y.numpy(), reference(a.numpy(), 1).astype(dtype.np))


def test_logical_not_inplace():
    x = ember.tensor([0.0, 2.0, -1.0])
    assert x.logical_not_() is x and x.tolist() == [1.0, 0.0, 0.0]


def test_inplace_comparison_keeps_the_tensor_in_the_graph():
    """torch: ``y.eq_(0)`` leaves y requiring grad; the old values get no gradient."""
    x = ember.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = x * 1
    y.lt_(1.5)
    assert y.requires_grad and y.tolist() == [1.0, 1.0, 0.0]
    (y * x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]  # only through the second factor


def test_inplace_gradients():
    """The in-place forms record like every in-place operation: gradients of a clone."""
    a, b, c = (RNG.standard_normal(s) for s in ((2, 3), (2, 4), (4, 3)))
    check_op(
        lambda a, b, c: a.clone().addmm_(b, c, alpha=2), lambda a, b, c: a + 2 * b @ c, a, b, c
    )
    check_op(lambda a: a.clone().cumsum_(1), lambda a: np.cumsum(a, 1), a)
    check_op(lambda a: a.clone().tril_(), lambda a: np.tril(a), RNG.standard_normal((3, 3)))
    check_op(
        lambda a, s: a.clone().index_add_(0, ember.tensor([1, 1]), s),
        lambda a, s: a + np.stack([np.zeros(3), s.sum(0)]),
        a,
        a[::-1].copy(),
    )


# -------------------------------------------------------------- in-place view operations

VIEW_OPS = [
    ("squeeze_", (), (3, 1, 4, 1), lambda a: a.squeeze()),
    ("squeeze_", (1,), (3, 1, 4, 1), lambda a: a.squeeze(1)),
    ("squeeze_", (0,), (3, 1, 4, 1), lambda a: a),
    ("unsqueeze_", (-1,), (3, 4), lambda a: a[..., None]),
    ("transpose_", (0, 2), (2, 3, 4), lambda a: a.swapaxes(0, 2)),
    ("swapaxes_", (0, 1), (2, 3), lambda a: a.T),
    ("swapdims_", (-1, 0), (2, 3), lambda a: a.T),
    ("t_", (), (2, 3), lambda a: a.T),
    ("t_", (), (3,), lambda a: a),
]


@pytest.mark.parametrize("name, args, shape, reference", VIEW_OPS)
def test_inplace_view_ops_change_own_shape_not_memory(name, args, shape, reference):
    base = ember.tensor(RNG.standard_normal(shape))
    x = base[:]
    expected = reference(base.numpy().copy())
    assert getattr(x, name)(*args) is x
    assert x.shape == expected.shape
    np.testing.assert_array_equal(x.numpy(), expected)
    x.add_(1)  # still the same memory
    np.testing.assert_array_equal(reference(base.numpy()), expected + 1)


def test_inplace_view_ops_record_autograd():
    a = ember.tensor(RNG.standard_normal((2, 1, 3)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((3, 2)))
    y = a * 2
    y.squeeze_(1)
    y.t_()
    assert y.shape == (3, 2) and y.grad_fn is not None
    (y * w).sum().backward()
    assert_close(a.grad, 2 * w.numpy().T[:, None, :])

    def f(a):
        y = a.clone()
        y.unsqueeze_(0).transpose_(0, 2)
        return y.exp()

    gradcheck(f, [ember.tensor(RNG.standard_normal((2, 3)), requires_grad=True)])


def test_inplace_view_op_of_a_view_rebases_through_the_base():
    a = ember.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    y = a * 1
    row = y[1:2]
    row.squeeze_(0)
    row.mul_(ember.tensor([2.0, 3.0], dtype=ember.float64))  # writes through to y
    y.sum().backward()
    assert_close(a.grad, np.array([[1.0, 1.0], [2.0, 3.0], [1.0, 1.0]]))


def test_inplace_view_ops_bump_the_version():
    a = ember.tensor([[1.0, 2.0]], requires_grad=True)
    y = a * 1
    z = y.sin()  # saves y
    y.squeeze_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_view_op_errors():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ember.zeros(3, 1, requires_grad=True).squeeze_()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        ember.zeros(3, 1, requires_grad=True)[0:2].unsqueeze_(0)
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions"):
        ember.zeros(3, 1, 2).t_()
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.zeros(3).transpose_(0, 1)
    with ember.no_grad():  # outside autograd a leaf may change shape
        leaf = ember.zeros(3, 1, requires_grad=True)
        assert leaf.squeeze_().shape == (3,)


def test_as_strided_inplace():
    x = ember.arange(6.0)
    assert x.as_strided_((2, 2), (1, 2), 1) is x
    assert x.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    check_op(
        lambda a: a.clone().as_strided_((2, 2), (1, 2), 1),
        lambda a: np.array([[a[1], a[3]], [a[2], a[4]]]),
        RNG.standard_normal(6),
    )


# ------------------------------------------------------------------------------- unfold


@pytest.mark.parametrize(
    "shape, dim, size, step",
    [((7,), 0, 3, 1), ((7,), 0, 2, 3), ((3, 8), 1, 4, 2), ((5, 2, 3), 0, 2, 2), ((4, 3), -2, 4, 1)],
)
def test_unfold_matches_sliding_windows(shape, dim, size, step):
    a = RNG.standard_normal(shape)
    d = dim % a.ndim
    windows = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
    expected = windows.take(range(0, a.shape[d] - size + 1, step), d)
    check_op(lambda x: x.unfold(dim, size, step), lambda x: expected, a)


def test_unfold_is_a_view_and_edge_cases():
    x = ember.arange(6.0)
    w = x.unfold(0, 2, 2)
    assert np.shares_memory(w.numpy(), x.numpy())
    assert ember.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]
    assert x.unfold(0, 0, 1).shape == (7, 0)
    with pytest.raises(
        RuntimeError, match="maximum size for tensor at dimension 0 is 6 but size is 7"
    ):
        x.unfold(-1, 7, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(0, 2, 0)
    with pytest.raises(RuntimeError, match="size is -1 but must be >= 0"):
        x.unfold(0, -1, 1)


# --------------------------------------------------------------------- matrix transposes


def test_H_mH_mT_adjoint():
    a = RNG.standard_normal((2, 3, 4)) + 1j * RNG.standard_normal((2, 3, 4))
    x = ember.tensor(a)
    np.testing.assert_array_equal(x.mH.numpy(), a.conj().swapaxes(-1, -2))
    np.testing.assert_array_equal(x.adjoint().numpy(), a.conj().swapaxes(-1, -2))
    np.testing.assert_array_equal(x.mT.numpy(), a.swapaxes(-1, -2))
    np.testing.assert_array_equal(x[0].H.numpy(), a[0].conj().T)
    with pytest.warns(UserWarning, match="Tensor.H is deprecated on 0-D tensors"):
        assert x[0, 0, 0].H.item() == a[0, 0, 0].conj()
    with pytest.raises(RuntimeError, match=r"consider using tensor\.mH"):
        _ = x.H
    with pytest.raises(RuntimeError, match=r"tensor\.H is only supported on matrices .* 1-D"):
        _ = x[0, 0].H
    for name in ("mT", "mH"):
        with pytest.raises(RuntimeError, match=rf"tensor\.{name} is only .* Got 1-D tensor\."):
            getattr(x[0, 0], name)
    with pytest.raises(RuntimeError, match=r"tensor\.adjoint\(\) is only supported"):
        x[0, 0].adjoint()
    check_op(lambda m: m.adjoint(), lambda m: m.swapaxes(-1, -2), RNG.standard_normal((2, 3)))


# ------------------------------------------------------------------------------ metadata


def test_metadata_methods():
    x = ember.zeros(3, 4)
    assert x.ndimension() == 2
    assert x.get_device() == -1 and x.is_cpu and not x.is_cuda
    assert x.data_ptr() == x.numpy().__array_interface__["data"][0]
    assert x.storage_offset() == 0
    assert x[1:, 2:].storage_offset() == 6
    assert x.t()[2].storage_offset() == 2
    assert x.diagonal(1).storage_offset() == 1
    assert x[1].data_ptr() == x.data_ptr() + 4 * x.element_size()
    a, b = (ember.tensor([1.0, 2.0], requires_grad=True) * 1).unbind()
    assert a.output_nr == 0 and b.output_nr == 1
    assert not x.is_shared() and x.share_memory_() is x and not x.is_shared()
    assert not x.is_pinned() and x.pin_memory() is x


def test_type():
    x = ember.tensor([1.5, -2.5])
    assert x.type() == "torch.FloatTensor" == ember.typename(x)
    assert ember.tensor([1]).type() == "torch.LongTensor"
    assert x.type(ember.float32) is x
    assert x.type("torch.FloatTensor") is x
    y = x.type("torch.IntTensor")
    assert y.dtype == ember.int32 and y.tolist() == [1, -2]
    assert x.type("ember.DoubleTensor").dtype == ember.float64
    assert x.type(ember.float16).dtype == ember.float16
    with pytest.raises(ValueError, match="invalid type: 'float'"):
        x.type("float")


def test_new_empty_strided():
    x = ember.zeros(2, dtype=ember.float64)
    y = x.new_empty_strided((2, 3), (3, 1))
    assert y.shape == (2, 3) and y.dtype == ember.float64 and not y.requires_grad
    assert x.new_empty_strided((2,), (1,), dtype=ember.int32).dtype == ember.int32


# ----------------------------------------------------------------------- in-place fills


@pytest.mark.parametrize(
    "shape, wrap",
    [
        ((3, 3), False),
        ((5, 3), False),
        ((5, 3), True),
        ((7, 3), True),
        ((3, 5), True),
        ((3,) * 3, False),
    ],
)
def test_fill_diagonal_matches_numpy(shape, wrap):
    x = ember.tensor(RNG.standard_normal(shape))
    expected = x.numpy().copy()
    np.fill_diagonal(expected, 4.0, wrap=wrap)
    assert x.fill_diagonal_(4.0, wrap=wrap) is x
    np.testing.assert_array_equal(x.numpy(), expected)


def test_fill_diagonal_gradient_and_errors():
    check_op(
        lambda a: a.clone().fill_diagonal_(2.0) * a,
        lambda a: np.where(np.eye(3, dtype=bool), 2.0, a) * a,
        RNG.standard_normal((3, 3)),
    )
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        ember.zeros(3).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        ember.zeros(2, 3, 3).fill_diagonal_(1)


def test_index_put():
    a = RNG.standard_normal((3, 4))
    rows, cols = np.array([0, 0, 2]), np.array([1, 1, 3])
    values = np.array([1.0, 2.0, 3.0])
    x = ember.tensor(a)
    index = (ember.tensor(rows), ember.tensor(cols))
    added = a.copy()
    np.add.at(added, (rows, cols), values)
    assert x.index_put_(index, ember.tensor(values), accumulate=True) is x
    assert_close(x, added)
    out = ember.tensor(a).index_put([ember.tensor([0, 2])], ember.tensor(7.0, dtype=ember.float64))
    expected = a.copy()
    expected[[0, 2]] = 7.0
    assert_close(out, expected)
    mask = ember.tensor(a > 0)
    expected = np.where(a > 0, -1.0, a)
    assert_close(
        ember.tensor(a).index_put_((mask,), ember.tensor(-1.0, dtype=ember.float64)), expected
    )
    check_op(
        lambda a, v: a.index_put(index, v, accumulate=True),
        lambda a, v: a + np.bincount([1, 1, 11], v, 12).reshape(3, 4),
        a,
        values,
    )


def test_index_put_errors():
    x = ember.zeros(3)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes"):
        x.index_put_((ember.tensor([0]),), ember.ones(1, dtype=ember.float64))
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        x.index_put_(ember.tensor([0]), ember.ones(1))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        x.index_put_((ember.tensor([0]),), 1.0)


def test_random_fills():
    ember.manual_seed(0)
    x = ember.empty(20000, dtype=ember.float64)
    assert x.cauchy_(median=1.0, sigma=2.0) is x
    assert abs(np.median(x.numpy()) - 1.0) < 0.1
    assert abs(np.median(np.abs(x.numpy() - 1.0)) - 2.0) < 0.15  # the Cauchy's scale
    assert x.log_normal_(mean=0.5, std=0.25) is x and x.numpy().min() > 0
    assert abs(np.log(x.numpy()).mean() - 0.5) < 0.01 and abs(np.log(x.numpy()).std() - 0.25) < 0.01
    n = ember.empty(20000, dtype=ember.int64)
    assert n.geometric_(0.25) is n and n.dtype == ember.int64
    assert n.numpy().min() >= 1 and abs(n.numpy().mean() - 4.0) < 0.15
    g = ember.Generator().manual_seed(3)
    first = ember.empty(5).cauchy_(generator=g).tolist()
    g.manual_seed(3)
    assert ember.empty(5).cauchy_(generator=g).tolist() == first


def test_random_fill_errors():
    with pytest.raises(
        RuntimeError, match="dtype must be a floating point but you specified long int"
    ):
        ember.zeros(3, dtype=ember.int64).cauchy_()
    with pytest.raises(RuntimeError, match=r"cauchy_ expects sigma > 0\.0, but found sigma=0"):
        ember.zeros(3).cauchy_(sigma=0)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        ember.zeros(3, dtype=ember.int64).log_normal_()
    with pytest.raises(RuntimeError, match=r"log_normal_ expects std > 0\.0, but found std=-1"):
        ember.zeros(3).log_normal_(std=-1)
    with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\), but got p=1"):
        ember.zeros(3).geometric_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ember.zeros(3, requires_grad=True).cauchy_()


def test_apply_():
    x = ember.tensor([[1, -2], [3, 4]])
    assert x.apply_(lambda v: v * 10 + 1) is x
    assert x.tolist() == [[11, -19], [31, 41]] and x.dtype == ember.int64
    assert ember.zeros(0).apply_(abs).shape == (0,)
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
        ember.zeros(2, requires_grad=True).apply_(abs)


def test_resize_():
    x = ember.arange(6.0).reshape(2, 3)
    assert x.resize_(4) is x and x.tolist() == [0.0, 1.0, 2.0, 3.0]
    x.resize_(2, 2)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    y = ember.arange(3)
    y.resize_((2, 3))
    assert y.shape == (2, 3) and y.flatten()[:3].tolist() == [0, 1, 2]
    z = ember.arange(6.0).reshape(2, 3).t()  # not contiguous: copied in row-major order
    assert z.resize_(4).tolist() == [0.0, 3.0, 1.0, 4.0]
    w = ember.zeros(5)
    assert w.resize_as_(ember.ones(2, 2)).shape == (2, 2)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ember.zeros(2, requires_grad=True).resize_(3)


def test_on_each_device(device):
    a = np.arange(12.0).reshape(3, 4)
    x = ember.tensor(a, device=device)
    on_cpu = device == "cpu"
    assert x.get_device() == (-1 if on_cpu else 0) and x.is_cpu == on_cpu
    assert x[1:, 2:].storage_offset() == 6 and x.t()[2].storage_offset() == 2
    assert x[1].data_ptr() == x.data_ptr() + 4 * 8
    check_op(
        lambda t: t.unfold(1, 2, 1), lambda t: np.stack([t[:, :3], t[:, 1:]], -1), a, device=device
    )
    y = x.clone().fill_diagonal_(-1.0)
    assert y.device == x.device and y.cpu().tolist()[1][1] == -1.0
    rows = ember.tensor([0, 0], device=device)
    z = x.clone().index_put_((rows,), ember.ones(4, dtype=ember.float64, device=device), True)
    assert_close(z.cpu(), a + np.array([[2.0], [0.0], [0.0]]))
    e = x.clone().eq_(5.0)
    assert e.dtype == ember.float64 and e.sum().item() == 1.0
    s = x.clone().unsqueeze_(0).squeeze_(0).t_()
    np.testing.assert_array_equal(s.cpu().numpy(), a.T)
    r = x.clone().resize_(2, 7)
    np.testing.assert_array_equal(r.cpu().numpy().reshape(-1)[:12], a.reshape(-1))
    n = ember.empty(100, dtype=ember.int32, device=device).geometric_(0.5)
    assert n.device == x.device and n.dtype == ember.int32 and n.min().item() >= 1
    c = ember.empty(100, device=device).cauchy_().log_normal_()
    assert c.device == x.device and c.dtype == ember.float32 and c.min().item() > 0
    if not on_cpu:
        with pytest.raises(TypeError, match="apply_ is only implemented on CPU tensors"):
            x.apply_(abs)
        with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
            x.pin_memory()
        assert x.type() == "torch.cuda.DoubleTensor" and x.type("torch.FloatTensor").is_cpu


def test_dlpack_shares_memory_both_ways(device):
    t = ember.arange(6.0, device=device).reshape(2, 3)
    assert t.__dlpack_device__() == ((1, 0) if device == "cpu" else (2, 0))
    xp = np if device == "cpu" else ember.backend.cp
    view = xp.from_dlpack(t[:, 1])  # a strided view, no copy
    view[0] = 7.0
    assert t[0, 1].item() == 7.0
    with pytest.raises(RuntimeError, match=r"require gradient, use tensor\.detach"):
        xp.from_dlpack(ember.ones(2, requires_grad=True, device=device))


def test_view_dtype_reinterprets_the_bits():
    x = ember.tensor([1.0, 2.0, -0.5, 0.0])
    bits = x.view(ember.int32)
    np.testing.assert_array_equal(bits.numpy(), x.numpy().view(np.int32))
    bits[3] = np.float32(4.0).view(np.int32)  # a write through the view lands in x
    assert x[3].item() == 4.0
    assert x.view(ember.int16).shape == (8,) and x.view(ember.float64).shape == (2,)
    assert x.view(ember.float32).shape == (4,)
    grad = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert not grad.view(ember.int64).requires_grad  # another dtype: not differentiable
    assert grad.view(ember.float64).requires_grad  # the same dtype: an ordinary view
    for tensor, dtype, message in [
        (ember.zeros(3), ember.float64, r"self.size\(-1\) must be divisible by 2 to view Float"),
        (ember.zeros(()), ember.int16, r"self.dim\(\) cannot be 0 to view Float as Short"),
        (ember.zeros(4, 2)[:, 0], ember.int16, r"self.stride\(-1\) must be 1 .* but got 2"),
        (ember.zeros(3, 4)[:, 1:], ember.float64, r"self.size\(-1\) must be divisible by 2"),
    ]:
        with pytest.raises(RuntimeError, match=message):
            tensor.view(dtype)


def test_contains():
    t = ember.tensor([[1, 2], [3, 4]])
    assert 2 in t and 5 not in t and ember.tensor(4) in t and 2.0 in t
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        [1, 2] in t  # noqa: B015
