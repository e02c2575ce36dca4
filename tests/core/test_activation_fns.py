"""Element-wise activations of ``nn.functional`` and their layers: forward against numpy
references (around the kinks too), gradients by finite differences away from the kinks,
gradients of gradients, torch's gradient conventions exactly at the kinks, in-place forms,
errors and module reprs."""

import math
import re

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd.gradcheck import gradcheck
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)
_erf = np.vectorize(math.erf)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0.0, beta * x) / beta)


# name: (ember function, numpy reference, kinks, smooth)
CASES = {
    "threshold": (
        lambda x: F.threshold(x, 0.5, -2.0),
        lambda x: np.where(x <= 0.5, -2.0, x),
        [0.5],
        False,
    ),
    "hardtanh": (F.hardtanh, lambda x: np.clip(x, -1, 1), [-1, 1], False),
    "hardtanh_range": (
        lambda x: F.hardtanh(x, -0.5, 2.0),
        lambda x: np.clip(x, -0.5, 2.0),
        [-0.5, 2.0],
        False,
    ),
    "relu": (F.relu, lambda x: np.maximum(x, 0), [0], False),
    "relu6": (lambda x: F.relu6(3 * x), lambda x: np.clip(3 * x, 0, 6), [0, 2], False),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), [0], False),
    "leaky_relu_slope": (
        lambda x: F.leaky_relu(x, 0.3),
        lambda x: np.where(x > 0, x, 0.3 * x),
        [0],
        False,
    ),
    "rrelu_eval": (
        F.rrelu,
        lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2),
        [0],
        False,
    ),
    "elu": (F.elu, _elu, [0], True),
    "elu_alpha": (lambda x: F.elu(x, 0.5), lambda x: _elu(x, 0.5), [0], False),
    "selu": (F.selu, lambda x: SELU_SCALE * _elu(x, SELU_ALPHA), [0], False),
    "celu": (
        lambda x: F.celu(x, 2.0),
        lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(np.minimum(x, 0) / 2.0)),
        [0],
        True,
    ),
    "gelu": (F.gelu, lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2))), [], True),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        [],
        True,
    ),
    "silu": (F.silu, lambda x: x * _sigmoid(x), [], True),
    "mish": (F.mish, lambda x: x * np.tanh(np.logaddexp(0.0, x)), [], True),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), [-3, 3], False),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, [-3, 3], False),
    "softplus": (F.softplus, _softplus, [], True),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: _softplus(x, 2.0, 3.0),
        [1.5],
        False,
    ),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x)), [], True),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0.0, -x), [], True),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x), [], True),
    "softshrink": (
        F.softshrink,
        lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
        [-0.5, 0.5],
        False,
    ),
    "hardshrink": (
        lambda x: F.hardshrink(x, 1.0),
        lambda x: np.where(np.abs(x) > 1.0, x, 0.0),
        [-1, 1],
        False,
    ),
    "sigmoid": (F.sigmoid, _sigmoid, [], True),
    "tanh": (F.tanh, np.tanh, [], True),
}


def _samples(kinks, size=12):
    """Random points in [-5, 5] plus points just either side of each kink, none within
    1e-3 of a kink (where finite differences would straddle it)."""
    x = np.concatenate([RNG.uniform(-5, 5, size), *[[k - 0.01, k + 0.01] for k in kinks]])
    for k in kinks:
        assert np.abs(x - k).min() > 1e-3
    return x


@pytest.mark.parametrize("name", CASES)
def test_forward_and_gradient(name):
    fn, reference, kinks, smooth = CASES[name]
    check_op(fn, reference, _samples(kinks), gradgrad=smooth)


@pytest.mark.parametrize("name", CASES)
def test_forward_at_the_kinks(name):
    fn, reference, kinks, _ = CASES[name]
    if kinks:
        check_op(fn, reference, np.array(kinks, dtype=np.float64), grad=False)


@pytest.mark.parametrize("name", ["gelu", "elu", "hardswish", "softplus", "leaky_relu"])
def test_on_device(name, device):
    fn, reference, kinks, smooth = CASES[name]
    check_op(fn, reference, _samples(kinks).reshape(2, -1), gradgrad=smooth, device=device)


def test_zero_dim_input():
    check_op(F.gelu, CASES["gelu"][1], np.array(0.7), gradgrad=True)
    check_op(F.hardtanh, lambda x: np.clip(x, -1, 1), np.array(-0.3))
    check_op(F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), np.array(-3.0))


def _grad_at(fn, points):
    x = ember.tensor(points, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(fn(x).sum(), x)
    return g.tolist()


@pytest.mark.parametrize(
    ("fn", "points", "expected"),
    [
        (F.relu, [0.0], [0.0]),
        (F.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
        (F.hardtanh, [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
        (lambda x: F.threshold(x, 1.0, 5.0), [1.0], [0.0]),
        (F.leaky_relu, [0.0], [0.01]),
        (lambda x: F.leaky_relu(x, 0.2), [0.0], [0.2]),
        (F.rrelu, [0.0], [(1 / 8 + 1 / 3) / 2]),
        (lambda x: F.elu(x, 2.0), [0.0], [2.0]),  # the negative branch: alpha * exp(0)
        (F.selu, [0.0], [SELU_SCALE * SELU_ALPHA]),
        (lambda x: F.celu(x, 3.0), [0.0], [1.0]),
        (F.hardsigmoid, [-3.0, 3.0], [0.0, 0.0]),
        (F.hardswish, [-3.0, 3.0], [0.0, 1.0]),  # torch 2.13: x/3 + 1/2 on (-3, 3) only
        (F.softshrink, [-0.5, 0.5], [0.0, 0.0]),
        (F.hardshrink, [-0.5, 0.5], [0.0, 0.0]),
        (F.logsigmoid, [0.0], [0.5]),
        (F.softsign, [0.0], [1.0]),
        (F.softplus, [20.0, 21.0], [_sigmoid(np.float64(20.0)), 1.0]),
    ],
)
def test_gradient_at_kinks_follows_torch(fn, points, expected):
    assert_close(np.array(_grad_at(fn, points)), np.array(expected), rtol=1e-12, atol=1e-12)


def test_elu_family_gradient_in_the_far_tail():
    # exp(x)-based, as torch's elu_backward: expm1(x) + 1 from the output would give 0 there
    x = ember.tensor([-40.0, -20.0], dtype=ember.float64, requires_grad=True)
    for fn, expected in [
        (F.elu, [math.exp(-40.0), math.exp(-20.0)]),
        (F.selu, [SELU_SCALE * SELU_ALPHA * math.exp(v) for v in (-40.0, -20.0)]),
        (lambda t: F.celu(t, 2.0), [math.exp(-20.0), math.exp(-10.0)]),  # exp(x / alpha)
    ]:
        (g,) = ember.autograd.grad(fn(x).sum(), x)
        assert_close(g, np.array(expected), rtol=1e-12, atol=0)
    x32 = ember.tensor([-20.0], requires_grad=True)
    (g,) = ember.autograd.grad(F.elu(x32).sum(), x32)
    assert g.dtype == ember.float32
    assert_close(g, np.array([math.exp(-20.0)], np.float32), rtol=1e-6, atol=0)


def test_elu_second_derivative():
    # alpha * exp(x) below 0, 0 above and, as in torch, at 0 itself
    x = ember.tensor([-1.0, 0.0, 2.0], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(F.elu(x, 2.0).sum(), x, create_graph=True)
    assert_close(g, np.array([2.0 * math.exp(-1.0), 2.0, 1.0]), rtol=1e-12, atol=0)
    (gg,) = ember.autograd.grad(g.sum(), x)
    assert_close(gg, np.array([2.0 * math.exp(-1.0), 0.0, 0.0]), rtol=1e-12, atol=0)


def test_hardtanh_and_relu6_keep_integer_dtypes():
    # torch converts the limits to the input's integer type (truncating)
    y = F.relu6(ember.tensor([-1, 7]))
    assert y.dtype == ember.int64 and y.tolist() == [0, 6]
    y = F.hardtanh(ember.tensor([-5, -2, 0, 4, 7], dtype=ember.int32), -2.5, 4.5)
    assert y.dtype == ember.int32 and y.tolist() == [-2, -2, 0, 4, 4]
    y = F.relu6(ember.tensor([0, 5, 200], dtype=ember.uint8))
    assert y.dtype == ember.uint8 and y.tolist() == [0, 5, 6]
    x = ember.tensor([-3, 3])
    F.hardtanh_(x)
    assert x.dtype == ember.int64 and x.tolist() == [-1, 1]
    with pytest.raises(RuntimeError, match=r"^Bool inputs not supported for hardtanh$"):
        F.relu6(ember.tensor([True]))
    with pytest.raises(RuntimeError, match="unsigned type with negative limits"):
        F.hardtanh(ember.tensor([1], dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="converted to type int8_t without overflow"):
        F.hardtanh(ember.tensor([1], dtype=ember.int8), -200, 100)


@pytest.mark.parametrize(
    ("fn", "kernel"),
    [
        (F.gelu, "GeluKernelImpl"),
        (lambda t: F.gelu(t, approximate="tanh"), "GeluKernelImpl"),
        (F.softplus, "softplus_cpu"),
        (F.leaky_relu, "leaky_relu_cpu"),
        (F.rrelu, "leaky_relu_cpu"),
        (lambda t: F.rrelu(t, training=True), "rrelu_with_noise_out_cpu"),
        (F.elu, "elu_cpu"),
        (F.selu, "elu_cpu"),
        (F.celu, "elu_cpu"),
        (F.hardswish, "hardswish_cpu"),
        (F.hardsigmoid, "hardsigmoid_cpu"),
        (F.silu, "silu_cpu"),
        (F.mish, "mish_cpu"),
        (F.logsigmoid, "log_sigmoid_cpu"),
        (F.softshrink, "softshrink_check"),
        (F.hardshrink, "hardshrink_cpu"),
        (F.glu, "glu_cpu"),
        (lambda t: F.prelu(t, ember.ones(1, dtype=t.dtype)), "prelu_cpu"),
        (lambda t: F.elu(t, inplace=True), "elu_cpu"),
    ],
)
def test_no_integer_kernel(fn, kernel):
    # torch has no integer kernel for these: no silent promotion to float
    with pytest.raises(NotImplementedError, match=f"^\"{kernel}\" not implemented for 'Long'$"):
        fn(ember.tensor([1, -2]))
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        fn(ember.tensor([True, False]))


def test_prelu_gradient_at_zero_is_the_weight():
    w = ember.tensor([0.3], dtype=ember.float64, requires_grad=True)
    x = ember.tensor([0.0, -2.0, 1.0], dtype=ember.float64, requires_grad=True)
    gx, gw = ember.autograd.grad(F.prelu(x, w).sum(), [x, w])
    assert gx.tolist() == [0.3, 0.3, 1.0]
    assert gw.tolist() == [-2.0]  # sum of x over x <= 0


def test_extreme_inputs_stay_finite():
    x = ember.tensor([-1000.0, -50.0, 50.0, 1000.0], requires_grad=True)
    for fn in (F.softplus, F.logsigmoid, F.mish, F.elu, F.selu, F.celu, F.silu, F.gelu):
        y = fn(x)
        (g,) = ember.autograd.grad(y.sum(), x)
        assert np.isfinite(y.detach().numpy()).all() and np.isfinite(g.numpy()).all(), fn
    assert F.softplus(x).tolist() == [0.0, pytest.approx(1.9e-22, rel=0.01), 50.0, 1000.0]
    assert F.logsigmoid(x).tolist() == [-1000.0, -50.0, pytest.approx(-1.9e-22, rel=0.01), 0.0]


def test_nan_propagates():
    x = ember.tensor([float("nan")])
    for fn in (
        F.relu6,
        F.hardtanh,
        F.leaky_relu,
        F.elu,
        lambda t: F.threshold(t, 0.0, 1.0),
        F.hardshrink,
    ):
        assert np.isnan(fn(x).numpy()).all(), fn


def test_float32_in_float32_out():
    x = ember.randn(3)
    for name in CASES:
        assert CASES[name][0](x).dtype == ember.float32, name


def test_prelu_channels_against_numpy():
    x = RNG.normal(size=(2, 3, 4))
    w = np.array([0.1, 0.5, -0.3])

    def reference(x, w):
        return np.where(x > 0, x, w.reshape(1, 3, 1) * x)

    check_op(F.prelu, reference, x, w, gradgrad=True)
    # a single slope is shared, also by 0-d and 1-D inputs
    check_op(F.prelu, lambda x, w: np.where(x > 0, x, w * x), RNG.normal(size=5), np.array([0.2]))
    check_op(F.prelu, lambda x, w: np.where(x > 0, x, w[0] * x), np.array(-1.5), np.array([0.2]))


def test_prelu_errors():
    with pytest.raises(
        RuntimeError,
        match=re.escape(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and channel size = 4."
        ),
    ):
        F.prelu(ember.randn(2, 4), ember.randn(3))
    with pytest.raises(RuntimeError, match=re.escape("Not allow zero-dim input tensor.")):
        F.prelu(ember.tensor(1.0), ember.randn(2))
    with pytest.raises(
        RuntimeError, match=re.escape("Type promoting not supported. Got Float and Double")
    ):
        F.prelu(ember.randn(2, 1), ember.randn(1, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor"):
        F.prelu(ember.randn(2, 1), ember.randn(1, 1))


def test_glu_against_numpy():
    x = RNG.normal(size=(2, 4, 3))

    def reference(x, dim):
        a, b = np.split(x, 2, axis=dim)
        return a * _sigmoid(b)

    check_op(lambda t: F.glu(t, 1), lambda x: reference(x, 1), x, gradgrad=True)
    check_op(F.glu, lambda x: reference(x, -1), RNG.normal(size=(3, 6)))


def test_rrelu_training_draws_slopes_in_range():
    x = ember.full((2000,), -1.0, dtype=ember.float64, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.01
    (g,) = ember.autograd.grad(y.sum(), x)
    assert_close(g, slopes)  # the gradient is each element's slope
    pos = ember.tensor([2.0])
    assert F.rrelu(pos, training=True).tolist() == [2.0]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: F.gelu(ember.randn(2), approximate="fast"),
            RuntimeError,
            "approximate argument must be either none or tanh.",
        ),
        (
            lambda: F.celu(ember.randn(2), 0.0),
            RuntimeError,
            "ZeroDivisionError: alpha cannot be 0 for CELU",
        ),
        (
            lambda: F.softshrink(ember.randn(2), -1.0),
            RuntimeError,
            "lambda must be greater or equal to 0, but found to be -1.0.",
        ),
        (
            lambda: F.glu(ember.randn(3, 5)),
            RuntimeError,
            "Halving dimension must be even, but dimension 1 is size 5",
        ),
        (lambda: F.glu(ember.tensor(1.0)), RuntimeError, "glu does not support scalars"),
        (
            lambda: F.rrelu(ember.randn(2), 0.5, 0.1),
            RuntimeError,
            "Lower bound should be less than or equal to the upper bound",
        ),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# ---------------------------------------------------------------------------------- in place

INPLACE = {
    "relu": (F.relu, ()),
    "relu6": (F.relu6, ()),
    "hardtanh": (F.hardtanh, (-0.5, 0.5)),
    "threshold": (F.threshold, (0.1, 7.0)),
    "leaky_relu": (F.leaky_relu, (0.2,)),
    "rrelu": (F.rrelu, ()),
    "elu": (F.elu, (1.5,)),
    "selu": (F.selu, ()),
    "celu": (F.celu, (2.0,)),
    "silu": (F.silu, ()),
    "mish": (F.mish, ()),
    "hardsigmoid": (F.hardsigmoid, ()),
    "hardswish": (F.hardswish, ()),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_overwrites_input(name):
    fn, args = INPLACE[name]
    x = ember.randn(4, 3) * 4
    expected = fn(x, *args).numpy()
    out = fn(x, *args, inplace=True)
    assert out is x
    assert_close(x, expected)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_gradient_matches_out_of_place(name):
    fn, args = INPLACE[name]
    x = ember.tensor(RNG.uniform(-5, 5, (3, 4)), requires_grad=True)
    (expected,) = ember.autograd.grad(fn(x * 2, *args).sum(), x)
    y = x * 2
    fn(y, *args, inplace=True)
    (g,) = ember.autograd.grad(y.sum(), x)
    assert_close(g, expected)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_on_a_leaf_that_requires_grad_fails(name):
    fn, args = INPLACE[name]
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fn(x, *args, inplace=True)


@pytest.mark.parametrize(
    ("variant", "fn", "args"),
    [
        (F.relu_, F.relu, ()),
        (F.elu_, F.elu, (0.5,)),
        (F.selu_, F.selu, ()),
        (F.celu_, F.celu, (2.0,)),
        (F.leaky_relu_, F.leaky_relu, (0.1,)),
        (F.hardtanh_, F.hardtanh, (-2.0, 2.0)),
        (F.threshold_, F.threshold, (0.0, 1.0)),
        (F.rrelu_, F.rrelu, ()),
    ],
)
def test_underscore_variants(variant, fn, args):
    x = ember.randn(5) * 3
    expected = fn(x, *args).numpy()
    assert variant(x, *args) is x
    assert_close(x, expected)


def test_top_level_names_are_the_same_functions():
    assert ember.selu is F.selu and ember.celu is F.celu and ember.prelu is F.prelu


# ----------------------------------------------------------------------------------- modules


@pytest.mark.parametrize(
    ("module", "text"),
    [
        (nn.ReLU(), "ReLU()"),
        (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
        (nn.ReLU6(), "ReLU6()"),
        (nn.ReLU6(True), "ReLU6(inplace=True)"),
        (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
        (nn.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
        (nn.PReLU(), "PReLU(num_parameters=1)"),
        (nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
        (nn.ELU(), "ELU(alpha=1.0)"),
        (nn.ELU(0.5, True), "ELU(alpha=0.5, inplace=True)"),
        (nn.CELU(), "CELU(alpha=1.0)"),
        (nn.SELU(), "SELU()"),
        (nn.SELU(inplace=True), "SELU(inplace=True)"),
        (nn.GELU(), "GELU(approximate='none')"),
        (nn.GELU("tanh"), "GELU(approximate='tanh')"),
        (nn.SiLU(), "SiLU()"),
        (nn.Mish(inplace=True), "Mish(inplace=True)"),
        (nn.Tanh(), "Tanh()"),
        (nn.Sigmoid(), "Sigmoid()"),
        (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
        (nn.Hardtanh(-2.0, 3.0, True), "Hardtanh(min_val=-2.0, max_val=3.0, inplace=True)"),
        (nn.Hardsigmoid(inplace=True), "Hardsigmoid()"),
        (nn.Hardswish(), "Hardswish()"),
        (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
        (nn.Softsign(), "Softsign()"),
        (nn.Softmax(dim=1), "Softmax(dim=1)"),
        (nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
        (nn.Softmin(dim=0), "Softmin(dim=0)"),
        (nn.Softmax2d(), "Softmax2d()"),
        (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
        (nn.Threshold(0.1, 20, True), "Threshold(threshold=0.1, value=20, inplace=True)"),
        (nn.LogSigmoid(), "LogSigmoid()"),
        (nn.Tanhshrink(), "Tanhshrink()"),
        (nn.Softshrink(), "Softshrink(0.5)"),
        (nn.Hardshrink(0.3), "Hardshrink(0.3)"),
        (nn.GLU(), "GLU(dim=-1)"),
    ],
)
def test_module_repr(module, text):
    assert repr(module) == text


@pytest.mark.parametrize(
    ("module", "fn"),
    [
        (nn.ReLU(), F.relu),
        (nn.ReLU6(), F.relu6),
        (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
        (nn.ELU(0.5), lambda x: F.elu(x, 0.5)),
        (nn.CELU(2.0), lambda x: F.celu(x, 2.0)),
        (nn.SELU(), F.selu),
        (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh")),
        (nn.SiLU(), F.silu),
        (nn.Mish(), F.mish),
        (nn.Tanh(), ember.tanh),
        (nn.Sigmoid(), ember.sigmoid),
        (nn.Hardtanh(-2.0, 2.0), lambda x: F.hardtanh(x, -2.0, 2.0)),
        (nn.Hardsigmoid(), F.hardsigmoid),
        (nn.Hardswish(), F.hardswish),
        (nn.Softplus(2.0, 5.0), lambda x: F.softplus(x, 2.0, 5.0)),
        (nn.Softsign(), F.softsign),
        (nn.Softmax(dim=1), lambda x: F.softmax(x, 1)),
        (nn.LogSoftmax(dim=0), lambda x: F.log_softmax(x, 0)),
        (nn.Softmin(dim=1), lambda x: F.softmin(x, 1)),
        (nn.Threshold(0.1, 20.0), lambda x: F.threshold(x, 0.1, 20.0)),
        (nn.LogSigmoid(), F.logsigmoid),
        (nn.Tanhshrink(), F.tanhshrink),
        (nn.Softshrink(0.3), lambda x: F.softshrink(x, 0.3)),
        (nn.Hardshrink(0.3), lambda x: F.hardshrink(x, 0.3)),
        (nn.GLU(0), lambda x: F.glu(x, 0)),
        (nn.PReLU(), lambda x: F.prelu(x, ember.tensor([0.25]))),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "",
)
def test_module_calls_its_function(module, fn):
    x = ember.randn(4, 6) * 3
    assert_close(module(x), fn(x))


def test_inplace_modules_modify_their_input():
    for module in (
        nn.ReLU(True),
        nn.LeakyReLU(0.1, True),
        nn.ELU(inplace=True),
        nn.Hardtanh(inplace=True),
    ):
        x = ember.randn(5) * 3
        assert module(x) is x


def test_prelu_module_learns_per_channel_slopes():
    m = nn.PReLU(3, init=0.1)
    assert m.weight.shape == (3,) and m.weight.tolist() == pytest.approx([0.1] * 3)
    assert list(m.state_dict()) == ["weight"]
    x = ember.tensor([[-1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    y = m(x)
    assert_close(y, np.array([[-0.1, -0.2, 3.0], [-0.4, 5.0, -0.6]], dtype=np.float32))
    y.sum().backward()
    assert m.weight.grad.tolist() == [-5.0, -2.0, -6.0]
    assert nn.PReLU(dtype=ember.float64).weight.dtype == ember.float64


def test_rrelu_module_follows_training_mode():
    x = ember.full((1000,), -1.0)
    m = nn.RReLU(0.1, 0.3)
    assert len(np.unique(m(x).numpy())) > 1
    m.eval()
    assert_close(m(x), np.full(1000, -0.2, dtype=np.float32))


def test_softmax_modules_without_dim_warn_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(ember.randn(2, 3))
    assert_close(y.sum(1), np.ones(2, dtype=np.float32))


def test_softmax2d():
    x = RNG.normal(size=(2, 3, 2, 2))
    e = np.exp(x - x.max(1, keepdims=True))
    assert_close(nn.Softmax2d()(ember.tensor(x)), e / e.sum(1, keepdims=True))
    with pytest.raises(
        ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"
    ):
        nn.Softmax2d()(ember.randn(2, 3))


def test_hardtanh_module_requires_ordered_bounds():
    with pytest.raises(AssertionError):
        nn.Hardtanh(1.0, -1.0)


def test_module_gradcheck():
    x = ember.tensor(RNG.normal(size=(2, 4)), requires_grad=True)
    assert gradcheck(nn.GELU(), [x])
    assert gradcheck(nn.GLU(), [x])
