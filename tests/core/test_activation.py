"""The softmax family: forward vs numpy, first and second derivatives by finite
differences, numerical stability, dtypes, torch's implicit-dim warning and errors."""

import numpy as np
import pytest

import ember
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    return np.log(_softmax(x, axis))


FUNCTIONS = [
    ("softmax", _softmax),
    ("log_softmax", _log_softmax),
    ("softmin", lambda x, axis: _softmax(-x, axis)),
]
CASES = [((), 0), ((5,), 0), ((5,), -1), ((2, 3), 0), ((2, 3), 1), ((2, 3, 4), 1)]


@pytest.mark.parametrize(("shape", "dim"), CASES, ids=str)
@pytest.mark.parametrize(("name", "reference"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_forward_and_gradient(name, reference, shape, dim):
    op = getattr(ember, name)
    axis = dim if shape else None
    check_op(lambda x: op(x, dim), lambda x: reference(x, axis), RNG.normal(size=shape))


@pytest.mark.parametrize(("name", "reference"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_second_order(name, reference, device):
    op = getattr(ember, name)
    check_op(
        lambda x: op(x, 1),
        lambda x: reference(x, 1),
        RNG.normal(size=(2, 3)),
        gradgrad=True,
        device=device,
    )


def test_rows_sum_to_one():
    y = ember.softmax(ember.randn(4, 5), dim=1)
    assert_close(y.sum(1), np.ones(4))
    assert (y.numpy() > 0).all()


def test_large_inputs_do_not_overflow():
    x = ember.tensor([1000.0, 1001.0, 1002.0])
    assert_close(ember.softmax(x, 0), _softmax(np.array([0.0, 1.0, 2.0]), 0))
    assert_close(ember.log_softmax(x, 0), _log_softmax(np.array([0.0, 1.0, 2.0]), 0))
    # exp(-1000) underflows to 0, but log_softmax stays finite
    y = ember.log_softmax(ember.tensor([-1000.0, 0.0]), 0)
    assert_close(y, [-1000.0, 0.0])


def test_infinities_as_torch():
    inf = float("inf")
    assert np.isnan(ember.softmax(ember.tensor([-inf, -inf]), 0).numpy()).all()
    assert ember.log_softmax(ember.tensor([-inf, 0.0]), 0).tolist() == [-inf, 0.0]
    assert ember.softmax(ember.tensor([-inf, 0.0]), 0).tolist() == [0.0, 1.0]


def test_dtype_argument_casts_first():
    x = ember.tensor([1.0, 2.0, 3.0])
    assert ember.softmax(x, 0, dtype=ember.float64).dtype == ember.float64
    y = ember.log_softmax(ember.tensor([1, 2, 3]), 0, dtype=ember.float64)
    assert y.dtype == ember.float64
    assert_close(y, _log_softmax(np.array([1.0, 2.0, 3.0]), 0))
    assert x.softmax(0, ember.float64).dtype == ember.float64
    # the gradient flows back through the cast, in the input's dtype
    w = ember.tensor([0.5, -0.5], requires_grad=True)
    (ember.softmax(w, 0, dtype=ember.float64)[0]).backward()
    assert w.grad.dtype == ember.float32
    assert_close(w.grad, [0.196612, -0.196612], atol=1e-6)


@pytest.mark.parametrize(
    ("name", "kernel"),
    [
        ("softmax", "softmax_lastdim_kernel_impl"),
        ("log_softmax", "log_softmax_lastdim_kernel_impl"),
        ("softmin", "softmax_lastdim_kernel_impl"),
    ],
)
def test_integer_input_needs_dtype(name, kernel):
    with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Long'"):
        getattr(ember, name)(ember.tensor([1, 2, 3]), 0)


@pytest.mark.parametrize(("name", "_"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
@pytest.mark.parametrize(("shape", "implicit"), [((3,), 0), ((2, 3), 1), ((2, 3, 4), 0)])
def test_implicit_dim_warns_and_follows_torch(name, _, shape, implicit):
    x = ember.randn(*shape)
    op = getattr(ember, name)
    message = f"Implicit dimension choice for {name} has been deprecated"
    with pytest.warns(UserWarning, match=message):
        y = op(x, None)
    assert_close(y, op(x, implicit))


def test_dim_out_of_range():
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        ember.softmax(ember.ones(2, 3), 2)


def test_empty_and_zero_dim():
    assert ember.softmax(ember.ones(0, 3), 1).shape == (0, 3)
    assert ember.log_softmax(ember.ones(3, 0), 1).shape == (3, 0)
    assert ember.softmax(ember.tensor(2.0), 0).tolist() == 1.0
    assert ember.log_softmax(ember.tensor(2.0), -1).tolist() == 0.0


def test_grad_fn_names_follow_torch():
    x = ember.ones(3, requires_grad=True)
    assert ember.softmax(x, 0).grad_fn.name() == "SoftmaxBackward0"
    assert ember.log_softmax(x, 0).grad_fn.name() == "LogSoftmaxBackward0"
    assert ember.softmin(x, 0).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(0).grad_fn.name() == "LogSoftmaxBackward0"
