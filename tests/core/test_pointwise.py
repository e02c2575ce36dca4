"""Element-wise operations: forward vs numpy, gradients by finite differences, torch's
promotion rules and errors."""

import math

import numpy as np
import pytest

import ember
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)
SHAPES = [(), (3,), (2, 3), (2, 1, 4)]


def _positive(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def _any(shape):
    return RNG.uniform(-2.0, 2.0, size=shape)


def _away_from_zero(shape):
    """Values whose magnitude stays >= 0.3, so finite differences never straddle a kink."""
    return np.where(RNG.random(size=shape) < 0.5, -1, 1) * RNG.uniform(0.3, 2.0, size=shape)


UNARY = [
    ("neg", np.negative, _any),
    ("abs", np.abs, _away_from_zero),
    ("exp", np.exp, _any),
    ("exp2", np.exp2, _any),
    ("expm1", np.expm1, _any),
    ("log", np.log, _positive),
    ("log2", np.log2, _positive),
    ("log10", np.log10, _positive),
    ("log1p", np.log1p, _positive),
    ("sqrt", np.sqrt, _positive),
    ("rsqrt", lambda x: 1 / np.sqrt(x), _positive),
    ("reciprocal", np.reciprocal, _positive),
    ("square", np.square, _any),
    ("sin", np.sin, _any),
    ("cos", np.cos, _any),
    ("tan", np.tan, lambda s: RNG.uniform(-1.2, 1.2, size=s)),
    ("tanh", np.tanh, _any),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), _any),
    ("relu", lambda x: np.maximum(x, 0), _away_from_zero),
    ("erf", np.vectorize(math.erf), _any),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("name", "reference", "sample"), UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, reference, sample, shape, device):
    check_op(getattr(ember, name), reference, sample(shape), device=device)


@pytest.mark.parametrize(("name", "reference", "sample"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_second_order(name, reference, sample):
    check_op(getattr(ember, name), reference, sample((2, 2)), grad=False, gradgrad=True)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
def test_piecewise_constant_ops_have_zero_gradient(name):
    x = ember.tensor([-1.7, -0.2, 0.4, 2.5], dtype=ember.float64, requires_grad=True)
    y = getattr(ember, name)(x)
    reference = {"round": np.round, "trunc": np.trunc}.get(name, getattr(np, name))
    assert_close(y, reference(x.detach().numpy()))
    y.sum().backward()
    assert_close(x.grad, np.zeros(4))


def test_round_half_to_even_and_decimals():
    x = ember.tensor([0.5, 1.5, 2.5, -0.5, 1.2345])
    assert ember.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, 1.0]
    assert_close(ember.round(x, decimals=2), np.round(x.numpy(), 2))


BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1))]
BINARY = [
    ("add", np.add, _any, _any),
    ("sub", np.subtract, _any, _any),
    ("mul", np.multiply, _any, _any),
    ("div", np.divide, _any, _away_from_zero),
    ("pow", np.power, _positive, _any),
    ("maximum", np.maximum, _any, _any),
    ("minimum", np.minimum, _any, _any),
    ("remainder", np.mod, _any, _away_from_zero),
]


@pytest.mark.parametrize(("sa", "sb"), BINARY_SHAPES, ids=str)
@pytest.mark.parametrize(
    ("name", "reference", "sample_a", "sample_b"), BINARY, ids=[b[0] for b in BINARY]
)
def test_binary_broadcasting(name, reference, sample_a, sample_b, sa, sb, device):
    a, b = sample_a(sa), sample_b(sb)
    if name == "remainder":
        # keep x/y away from integers, where remainder jumps
        a = np.floor(a / b) * b + 0.5 * b
    check_op(getattr(ember, name), reference, a, b, device=device)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum"])
def test_binary_second_order(name):
    a, b = _positive((2, 3)), _positive((3,))
    reference = {
        "add": np.add,
        "sub": np.subtract,
        "mul": np.multiply,
        "div": np.divide,
        "pow": np.power,
        "maximum": np.maximum,
    }[name]
    check_op(getattr(ember, name), reference, a, b, grad=False, gradgrad=True)


def test_alpha_and_python_scalars():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0, 4.0], requires_grad=True)
    out = ember.add(x, y, alpha=2) - ember.sub(x, y, alpha=0.5)
    assert_close(out, [1 + 6 - (1 - 1.5), 2 + 8 - (2 - 2.0)])
    out.sum().backward()
    assert_close(x.grad, [0.0, 0.0])
    assert_close(y.grad, [2.5, 2.5])
    z = 2**x + 1 / x - 3 * x + (10 - x) ** 2
    assert_close(
        z,
        2 ** x.detach().numpy()
        + 1 / x.detach().numpy()
        - 3 * x.detach().numpy()
        + (10 - x.detach().numpy()) ** 2,
    )


def test_pow_gradient_at_zero_follows_torch():
    x = ember.tensor([0.0, 2.0], dtype=ember.float64, requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    e = ember.tensor([2.0, 3.0], dtype=ember.float64, requires_grad=True)
    base = ember.tensor([0.0, 2.0], dtype=ember.float64)
    (base**e).sum().backward()
    assert_close(e.grad, [0.0, 8 * math.log(2)])


def test_maximum_ties_split_gradient():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ember.tensor([1.0, 1.0, 5.0], requires_grad=True)
    ember.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0]
    assert b.grad.tolist() == [0.5, 0.0, 1.0]


@pytest.mark.parametrize(("lo", "hi"), [(-0.5, 0.5), (None, 0.3), (-0.3, None)])
def test_clamp_scalar_bounds(lo, hi, device):
    x = _away_from_zero((3, 4)) * 0.9 + 0.05
    check_op(lambda t: ember.clamp(t, lo, hi), lambda a: np.clip(a, lo, hi), x, device=device)


def test_clamp_tensor_bounds_gradients():
    x = ember.tensor([-2.0, 0.0, 2.0], dtype=ember.float64, requires_grad=True)
    lo = ember.tensor([-1.0, -1.0, -1.0], dtype=ember.float64, requires_grad=True)
    hi = ember.tensor([1.0, 1.0, 1.0], dtype=ember.float64, requires_grad=True)
    y = x.clamp(lo, hi)
    assert y.tolist() == [-1.0, 0.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    assert lo.grad.tolist() == [1.0, 0.0, 0.0]
    assert hi.grad.tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        ember.clamp(x)


def test_where_and_lerp_addcmul_addcdiv(device):
    cond = RNG.random((2, 3)) > 0.5
    check_op(
        lambda c, a, b: ember.where(c, a, b),
        lambda c, a, b: np.where(c, a, b),
        cond,
        _any((2, 3)),
        _any((3,)),
        device=device,
    )
    s, e, w = _any((3,)), _any((3,)), RNG.random(3)
    check_op(ember.lerp, lambda a, b, c: a + c * (b - a), s, e, w, device=device)
    check_op(
        lambda a, b, c: ember.addcmul(a, b, c, value=0.5),
        lambda a, b, c: a + 0.5 * b * c,
        s,
        e,
        w,
        device=device,
    )
    check_op(
        lambda a, b, c: ember.addcdiv(a, b, c, value=2),
        lambda a, b, c: a + 2 * b / c,
        s,
        e,
        w + 1,
        device=device,
    )
    where_scalar = ember.where(ember.tensor([True, False]), ember.tensor([1.0, 2.0]), 0.0)
    assert where_scalar.tolist() == [1.0, 0.0]


def test_integer_division_modes():
    a = ember.tensor([7, -7, 7, -7])
    b = ember.tensor([2, 2, -2, -2])
    assert ember.div(a, b).tolist() == [3.5, -3.5, -3.5, 3.5]
    assert ember.div(a, b).dtype == ember.float32
    assert ember.div(a, b, rounding_mode="trunc").tolist() == [3, -3, -3, 3]
    assert ember.div(a, b, rounding_mode="floor").tolist() == [3, -4, -4, 3]
    assert (a // b).tolist() == [3, -4, -4, 3]
    assert (a % b).tolist() == [1, 1, -1, -1]
    assert ember.div(a, b, rounding_mode="trunc").dtype == ember.int64
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):  # torch's error
        a // ember.tensor(0)
    with pytest.raises(ValueError, match="rounding_mode"):
        ember.div(a, b, rounding_mode="nearest")
    f = ember.tensor([-7.5, 7.5])
    assert ember.div(f, 2, rounding_mode="trunc").tolist() == [-3.0, 3.0]


def test_float_division_by_zero_is_silent_inf():
    x = ember.tensor([1.0, -1.0, 0.0]) / 0
    assert x[0].item() == math.inf and x[1].item() == -math.inf and math.isnan(x[2].item())
    assert ember.log(ember.tensor([0.0])).item() == -math.inf


def test_comparisons_and_logic(device):
    a = ember.tensor([1, 2, 3], device=device)
    b = ember.tensor([3.0, 2.0, 1.0], device=device)
    assert (a < b).tolist() == [True, False, False]
    assert (a <= b).tolist() == [True, True, False]
    assert (a == b).tolist() == [False, True, False]
    assert (a != 2).tolist() == [True, False, True]
    assert (a >= 2).dtype == ember.bool
    m = a > 1
    assert (~m).tolist() == [True, False, False]
    assert (m & (a < 3)).tolist() == [False, True, False]
    assert (m | (a < 2)).tolist() == [True, True, True]
    assert (m ^ (a < 3)).tolist() == [True, False, True]
    assert ember.logical_not(a - 2).tolist() == [False, True, False]
    x = ember.tensor([1.0, math.nan, math.inf], device=device)
    assert ember.isnan(x).tolist() == [False, True, False]
    assert ember.isinf(x).tolist() == [False, False, True]
    assert ember.isfinite(x).tolist() == [True, False, False]
    assert ember.equal(a, ember.tensor([1, 2, 3], device=device))
    assert ember.allclose(b, b + 1e-9)


def test_bool_arithmetic_errors_like_torch():
    m = ember.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        _ = m - m
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        _ = -m
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        ember.tensor([2]) ** -1


def test_integer_inputs_to_float_functions_give_default_dtype():
    x = ember.tensor([1, 4, 9])
    assert ember.sqrt(x).dtype == ember.float32
    assert ember.sqrt(x).tolist() == [1.0, 2.0, 3.0]
    assert ember.exp(ember.tensor([0])).dtype == ember.float32


def test_numpy_scalars_and_arrays_on_the_left_defer_to_tensor():
    x = ember.tensor([1.0, 2.0])
    y = np.float32(2.0) * x
    assert isinstance(y, ember.Tensor)
    assert y.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, np.bool_])
def test_where_on_large_arrays_matches_numpy_bit_for_bit(dtype):
    # large enough for where's bitwise path; NaN, infinities and -0.0 must pass unchanged
    values = RNG.normal(size=(64, 80)) * 100
    if np.dtype(dtype).kind == "f":
        values.ravel()[::7], values.ravel()[::11], values.ravel()[::13] = np.inf, np.nan, -0.0
    a = values.astype(dtype) if dtype is not np.bool_ else values > 0
    b = (-values[::-1]).astype(dtype) if dtype is not np.bool_ else values < 10
    cond = RNG.random((64, 80)) > 0.5
    for other in (b, b[:1], 0, 1):  # arrays, a broadcast row, zero and a nonzero scalar
        operand = ember.tensor(other) if isinstance(other, np.ndarray) else other
        result = ember.where(ember.tensor(cond), ember.tensor(a), operand)._data
        dt = result.dtype
        expected = np.where(cond, a.astype(dt), np.asarray(other).astype(dt))
        assert result.shape == expected.shape
        assert np.array_equal(result.view(np.uint8), expected.view(np.uint8))
    row = ember.where(ember.tensor(cond[:1]), ember.tensor(a), ember.tensor(b))
    assert np.array_equal(row._data.view(np.uint8), np.where(cond[:1], a, b).view(np.uint8))


def test_relu_gradient_is_zero_where_inactive_even_for_non_finite_gradients(device):
    a = RNG.normal(size=(64, 80))
    x = ember.tensor(a, requires_grad=True, device=device)
    g = RNG.normal(size=(64, 80))
    g.ravel()[::5] = np.inf
    ember.relu(x).backward(ember.tensor(g, device=device))
    assert_close(x.grad, np.where(a > 0, g, 0.0))


@pytest.mark.parametrize("size", [7, 5000])  # below and above _select's bitwise path
def test_relu_gradient_passes_through_nan_outputs_as_torch(size, device):
    # torch's threshold_backward: 0 where the output is <= 0, the gradient elsewhere, NaN too
    a = RNG.normal(size=size)
    a[::3] = np.nan
    x = ember.tensor(a, requires_grad=True, device=device)
    g = RNG.normal(size=size)
    ember.relu(x).backward(ember.tensor(g, device=device))
    assert_close(x.grad, np.where(a <= 0, 0.0, g))
    # second order: the gradient is linear in g, through the same mask
    x = ember.tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.relu, (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_relu_on_large_arrays_matches_numpy(dtype):
    # past the size where relu compares with a block of zeros; NaN propagates; 70001 is no
    # whole number of blocks
    a = (RNG.normal(size=70001) * 10).astype(dtype)
    if a.dtype.kind == "f":
        a[::97] = np.nan
    expected = np.maximum(a, 0)
    assert np.array_equal(
        ember.relu(ember.tensor(a))._data, expected, equal_nan=a.dtype.kind == "f"
    )
    x = ember.tensor(a)
    x.relu_()
    assert np.array_equal(x._data, expected, equal_nan=a.dtype.kind == "f")
    strided = ember.tensor(np.stack([a, a], axis=1))[:, 0]  # not contiguous
    assert np.array_equal(ember.relu(strided)._data, expected, equal_nan=a.dtype.kind == "f")


def test_relu_in_place(device):
    a = RNG.normal(size=(4, 5))
    # without a graph: one pass over the tensor's own memory, views see it
    base = ember.tensor(a, device=device)
    view = base[1:]
    with ember.no_grad():
        out = ember.nn.functional.relu(view, inplace=True)
    assert out is view
    assert_close(base, np.concatenate([a[:1], np.maximum(a[1:], 0)]))
    ints = ember.tensor([-2, 3], device=device)
    assert ints.relu_().tolist() == [0, 3] and ints.dtype == ember.int64
    # with a graph: recorded, rebased, and refused on a leaf that requires grad
    w = ember.tensor(a, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.relu_()
    y = w * 2
    ember.nn.ReLU(inplace=True)(y)
    assert y.grad_fn.name() == "ReluBackward0"
    y.sum().backward()
    assert_close(w.grad, np.where(a > 0, 2.0, 0.0))


def test_mixed_dtype_operands_are_cast_in_the_graph():
    # the float32 operand is converted to float64 by a recorded cast, so second derivatives
    # flow through it; gradients come back in each input's dtype
    x = ember.tensor([1.0, 2.0], dtype=ember.float32, requires_grad=True)
    y = ember.tensor([3.0, 4.0], dtype=ember.float64, requires_grad=True)
    z = x * y
    assert z.dtype == ember.float64
    (gy,) = ember.autograd.grad(z.sum(), y, create_graph=True)
    assert_close(gy, [1.0, 2.0])
    (gx,) = ember.autograd.grad((gy * gy).sum(), x)
    assert gx.dtype == ember.float32
    assert_close(gx, [2.0, 4.0])


# ------------------------------------------------------- torch's results and errors (parity)


def test_sign_of_nan_is_zero():
    x = ember.tensor([math.nan, -0.0, 0.0, 2.5, -3.0, math.inf])
    assert x.sign().tolist() == [0.0, 0.0, 0.0, 1.0, -1.0, 1.0]
    assert ember.tensor(math.nan).sign().item() == 0.0
    # abs's gradient is sign(x): 0 at nan, as in torch
    w = ember.tensor([math.nan, -2.0], requires_grad=True)
    w.abs().sum().backward()
    assert w.grad.tolist() == [0.0, -1.0]


def test_integer_negative_powers():
    msg = "Integers to negative integer powers are not allowed."
    for dtype in (ember.uint8, ember.int32, ember.int64, ember.bool):
        with pytest.raises(RuntimeError, match=msg):  # checked before -1 becomes 255 for uint8
            ember.tensor([1, 2], dtype=dtype) ** -1
    # a tensor exponent may hold negative entries: 1 for base 1, +-1 for base -1, else 0
    base = ember.tensor([1, -1, -1, 2, -2, 0, 3])
    exponent = ember.tensor([-1, -1, -2, -1, -2, -1, 2])
    assert (base**exponent).tolist() == [1, -1, 1, 0, 0, 0, 9]
    small = (base.int() ** exponent.int()).tolist()
    assert small == [1, -1, 1, 0, 0, 0, 9]
    assert (2 ** ember.tensor([-1, 3])).tolist() == [0, 8]
    assert (ember.tensor([[2], [-1]]) ** ember.tensor([-1, -3, 2])).tolist() == [
        [0, 0, 4],
        [-1, -1, 1],
    ]
    assert (ember.tensor([2]) ** -1.0).tolist() == [0.5]


def test_bool_powers():
    b = ember.tensor([True, False])
    assert (b**True).dtype == ember.bool and (b**True).tolist() == [True, False]
    assert (b**False).dtype == ember.bool and (b**False).tolist() == [True, True]
    assert (b**2).dtype == ember.int64 and (b**2).tolist() == [1, 0]
    assert (ember.tensor([2, 3]) ** b).tolist() == [2, 1]
    for base, exponent in ((b, b), (b, ember.tensor(True)), (True, b)):
        with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
            base**exponent


BROADCAST_OPS = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / b,
    lambda a, b: a**b,
    lambda a, b: a // b,
    lambda a, b: a % b,
    lambda a, b: ember.add(a, b, alpha=2),
    lambda a, b: ember.div(a, b, rounding_mode="trunc"),
    lambda a, b: ember.maximum(a, b),
    lambda a, b: a == b,
    lambda a, b: a < b,
    lambda a, b: ember.logical_and(a, b),
    lambda a, b: a.long() & b.long(),
    lambda a, b: a.long() // b.long(),
    lambda a, b: ember.clamp(a, b),
    lambda a, b: ember.clamp(a, None, b),
    lambda a, b: ember.where(a > 0, a, b),
]


@pytest.mark.parametrize("op", BROADCAST_OPS)
def test_shapes_that_do_not_broadcast(op):
    msg = r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton "
    with pytest.raises(RuntimeError, match=msg + "dimension 1"):
        op(ember.ones(2, 3), ember.ones(2, 2))


def test_broadcast_error_names_the_last_mismatch():
    msg = r"The size of tensor a \({}\) must match the size of tensor b \({}\) at non-singleton "
    with pytest.raises(RuntimeError, match=msg.format(4, 5) + "dimension 2"):
        ember.zeros(3, 4) + ember.zeros(2, 1, 5)
    with pytest.raises(RuntimeError, match=msg.format(3, 2) + "dimension 1"):
        ember.zeros(2, 3, 4) * ember.zeros(3, 2, 4)
    # where(condition, x, y): the condition is "a" against x
    with pytest.raises(RuntimeError, match=msg.format(2, 3) + "dimension 1"):
        ember.where(ember.zeros(2, 2) > 0, ember.zeros(2, 3), ember.zeros(2, 3))
    # large arrays take where's bitwise path
    with pytest.raises(RuntimeError, match=msg.format(80, 2) + "dimension 1"):
        ember.where(ember.zeros(80, 80) > 0, ember.zeros(80, 80), ember.zeros(80, 2))


def test_bitwise_operations_refuse_floats():
    f, i = ember.ones(2), ember.ones(2, dtype=ember.int64)
    for op, kernel, dtype in (
        (lambda: f & f, "bitwise_and_cpu", "Float"),
        (lambda: ember.bitwise_or(f, f.double()), "bitwise_or_cpu", "Double"),
        (lambda: i ^ 1.5, "bitwise_xor_cpu", "Float"),
    ):
        with pytest.raises(
            NotImplementedError, match=f"\"{kernel}\" not implemented for '{dtype}'"
        ):
            op()


def test_bitwise_shifts():
    x = ember.tensor([1, -8, 5])
    assert ember.bitwise_left_shift(x, ember.tensor([2, 1, 0])).tolist() == [4, -16, 5]
    assert ember.bitwise_right_shift(x, 1).tolist() == [0, -4, 2]
    # by the bit width or more, or by a negative amount: 0 (or -1 for a negative number >>)
    assert ember.bitwise_left_shift(x, 64).tolist() == [0, 0, 0]
    assert ember.bitwise_right_shift(x, ember.tensor([70, 70, -1])).tolist() == [0, -1, 0]
    u = ember.bitwise_left_shift(ember.tensor([200], dtype=ember.uint8), 1)
    assert u.dtype == ember.uint8 and u.tolist() == [144]
    assert ember.bitwise_left_shift(3, ember.tensor([1])).tolist() == [6]
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Float'"):
        ember.bitwise_left_shift(x, 1.5)
    with pytest.raises(NotImplementedError, match="\"rshift_cpu\" not implemented for 'Bool'"):
        ember.bitwise_right_shift(ember.tensor([True]), ember.tensor([True]))


@pytest.mark.parametrize(
    ("op", "kernel"),
    [
        (ember.abs, "abs_cpu"),
        (ember.floor, "floor_vml_cpu"),
        (ember.ceil, "ceil_vml_cpu"),
        (ember.trunc, "trunc_vml_cpu"),
        (ember.round, "round_vml_cpu"),
        (lambda x: ember.round(x, decimals=1), "round_cpu"),
    ],
)
def test_bool_inputs_without_a_kernel(op, kernel):
    with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Bool'"):
        op(ember.tensor([True, False]))


def test_bool_inputs_that_torch_computes():
    b = ember.tensor([True, False])
    assert b.sqrt().tolist() == [1.0, 0.0]
    assert b.reciprocal().tolist() == [1.0, math.inf]
    assert b.sign().dtype == ember.bool
    assert ember.tensor([-3], dtype=ember.int32).abs().tolist() == [3]


def test_integer_division_by_zero():
    a, zero = ember.tensor([1, 2]), ember.tensor([0, 1])
    for op in (
        lambda: a // zero,
        lambda: a % zero,
        lambda: a // 0,
        lambda: a % 0,
        lambda: 7 // zero,
        lambda: ember.floor_divide(a, zero),
        lambda: ember.remainder(a, zero),
        lambda: ember.div(a, zero, rounding_mode="trunc"),
        lambda: ember.div(a, zero, rounding_mode="floor"),
    ):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op()
    # bool has no rounding division at all (checked before the divisor's zeros)
    t, f = ember.tensor([True]), ember.tensor([False])
    for op, kernel in (
        (lambda: t // t, "div_floor_cpu"),
        (lambda: t // f, "div_floor_cpu"),
        (lambda: t // True, "div_floor_cpu"),
        (lambda: t % t, "remainder_cpu"),
        (lambda: ember.div(t, t, rounding_mode="trunc"), "div_trunc_cpu"),
    ):
        with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Bool'"):
            op()
    assert (t // ember.tensor([2])).tolist() == [0]  # promoted to int64


def test_subtracting_a_python_bool():
    x = ember.zeros(2)
    for op in (
        lambda: x - True,
        lambda: True - x,
        lambda: ember.sub(x, False),
        lambda: x.sub(True),
    ):
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool"):
            op()


@pytest.mark.parametrize("name", ["maximum", "minimum", "logical_and", "logical_or", "logical_xor"])
def test_tensor_only_functions_refuse_numbers(name):
    fn, x = getattr(ember, name), ember.zeros(2)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'other' \(position 2\) must be"):
        fn(x, 1)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be"):
        fn(1.5, x)


def test_floor_divide_and_remainder_of_a_number_are_not_differentiable():
    for op, name in (
        (lambda a: a // 2, "floor_divide"),
        (lambda a: ember.floor_divide(a, a), "floor_divide"),
        (lambda a: 2 // a, "floor_divide"),
        (lambda a: -7 % a, "remainder"),
        (lambda a: ember.remainder(2, a), "remainder"),
    ):
        a = ember.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=f"derivative for aten::{name} is not implemented"):
            op(a).sum().backward()
    # div with rounding_mode is differentiable (zero gradient), remainder of a tensor too
    a = ember.tensor([1.0, 2.5], requires_grad=True)
    b = ember.tensor([0.7, 2.0], requires_grad=True)
    floor, trunc = ember.div(a, 2, rounding_mode="floor"), ember.div(a, b, rounding_mode="trunc")
    (floor + trunc).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [0.0, 0.0]
    a.grad = b.grad = None
    ember.remainder(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [-1.0, -1.0]


# ------------------------------------------------------------- more pointwise functions


def _inside_unit(shape):
    return RNG.uniform(-0.9, 0.9, size=shape)


MORE_UNARY = [
    ("sinh", np.sinh, _any),
    ("cosh", np.cosh, _any),
    ("asin", np.arcsin, _inside_unit),
    ("acos", np.arccos, _inside_unit),
    ("atan", np.arctan, _any),
    ("asinh", np.arcsinh, _any),
    ("acosh", np.arccosh, lambda s: RNG.uniform(1.2, 3.0, size=s)),
    ("atanh", np.arctanh, _inside_unit),
    ("erfc", np.vectorize(math.erfc), lambda s: RNG.uniform(-3.0, 3.0, size=s)),
    ("frac", lambda x: x - np.trunc(x), lambda s: _away_from_zero(s) * 1.7 + 0.05),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    ("name", "reference", "sample"), MORE_UNARY, ids=[u[0] for u in MORE_UNARY]
)
def test_more_unary(name, reference, sample, shape, device):
    check_op(getattr(ember, name), reference, sample(shape), device=device)


@pytest.mark.parametrize("name", ["sinh", "cosh", "asin", "atan", "asinh", "erfc"])
def test_more_unary_second_order(name):
    reference = dict((u[0], u[1]) for u in MORE_UNARY)[name]
    check_op(getattr(ember, name), reference, _inside_unit((2, 2)), grad=False, gradgrad=True)


def test_arc_aliases_and_methods():
    for alias, name in [
        ("arcsin", "asin"),
        ("arccos", "acos"),
        ("arctan", "atan"),
        ("arcsinh", "asinh"),
        ("arccosh", "acosh"),
        ("arctanh", "atanh"),
        ("arctan2", "atan2"),
    ]:
        assert getattr(ember, alias) is getattr(ember, name)
    x = ember.tensor([0.25, -0.5])
    assert_close(x.arcsin(), np.arcsin([0.25, -0.5]))
    assert_close(x.arctanh(), np.arctanh([0.25, -0.5]))
    assert ember.asinh(ember.tensor([1, 2])).dtype == ember.float32  # integers: float


def test_erfc_tail_keeps_relative_precision():
    x = ember.tensor([3.0, 6.0, 10.0, 27.0, -6.0], dtype=ember.float64)
    expected = [math.erfc(v) for v in x.tolist()]
    np.testing.assert_allclose(ember.erfc(x).numpy(), expected, rtol=1e-13)


def test_erfinv_inverts_erf():
    a = np.concatenate([np.linspace(-0.999999, 0.999999, 401), [1 - 1e-12, -1 + 1e-15]])
    y = ember.erfinv(ember.tensor(a)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in y], a, rtol=1e-14, atol=1e-15)
    assert ember.erfinv(ember.tensor([1.0, -1.0, 0.0])).tolist() == [math.inf, -math.inf, 0.0]
    assert math.isnan(ember.erfinv(ember.tensor(1.5)).item())
    # d erfinv(x) = sqrt(pi) / 2 * exp(erfinv(x)^2)
    check_op(
        ember.erfinv,
        lambda x: np.array([_erfinv_ref(v) for v in x.ravel()]).reshape(x.shape),
        _inside_unit((2, 3)),
        rtol=1e-4,
        atol=1e-4,
    )


def _erfinv_ref(v):
    lo, hi = -6.0, 6.0  # bisection on math.erf
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
    return (lo + hi) / 2


MORE_BINARY = [
    ("atan2", np.arctan2, _any, _away_from_zero),
    ("hypot", np.hypot, _away_from_zero, _away_from_zero),
    ("logaddexp", np.logaddexp, _any, _any),
    ("logaddexp2", np.logaddexp2, _any, _any),
    ("fmod", np.fmod, _any, _away_from_zero),
]


@pytest.mark.parametrize(("sa", "sb"), BINARY_SHAPES, ids=str)
@pytest.mark.parametrize(
    ("name", "reference", "sample_a", "sample_b"), MORE_BINARY, ids=[b[0] for b in MORE_BINARY]
)
def test_more_binary(name, reference, sample_a, sample_b, sa, sb, device):
    a, b = sample_a(sa), sample_b(sb)
    if name == "fmod":
        a = np.trunc(a / b) * b + 0.5 * b  # away from the jumps of fmod
    check_op(getattr(ember, name), reference, a, b, device=device)


def test_fmod_sign_of_dividend_and_integers():
    a = ember.tensor([-7, 7, -7, 7])
    b = ember.tensor([2, -2, -2, 2])
    assert ember.fmod(a, b).tolist() == [-1, 1, -1, 1]
    assert ember.remainder(a, b).tolist() == [1, -1, -1, 1]
    assert ember.fmod(a, 2.5).tolist() == [-2.0, 2.0, -2.0, 2.0]
    assert a.fmod(3).dtype == ember.int64
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ember.fmod(a, 0)
    with pytest.raises(NotImplementedError, match="fmod_cpu"):
        ember.fmod(a > 0, a > 0)
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.fmod(2, a)


def test_float_only_binary_errors():
    i = ember.tensor([1, 2])
    assert ember.atan2(i, i).dtype == ember.float32
    for name in ("hypot", "logaddexp", "logaddexp2"):
        with pytest.raises(NotImplementedError, match=f"\"{name}_cpu\" not implemented for 'Long'"):
            getattr(ember, name)(i, i)
    assert ember.hypot(i.float(), i).tolist() == pytest.approx([2**0.5, 8**0.5])
    for name in ("atan2", "hypot", "logaddexp"):
        with pytest.raises(TypeError, match="argument 'other' \\(position 2\\) must be Tensor"):
            getattr(ember, name)(i.float(), 2.0)


def test_logaddexp_does_not_overflow():
    a = ember.tensor([1000.0, -1000.0], requires_grad=True)
    b = ember.tensor([1000.0, -1000.0])
    out = ember.logaddexp(a, b)
    assert_close(out, [1000.0 + math.log(2), -1000.0 + math.log(2)])
    out.sum().backward()
    assert_close(a.grad, [0.5, 0.5])
    assert_close(ember.logaddexp2(ember.tensor([3.0]), ember.tensor([3.0])), [4.0])


def test_frac_nan_to_num_clamp_min_max():
    x = ember.tensor([-1.75, 2.25, 3.0])
    assert x.frac().tolist() == [-0.75, 0.25, 0.0]
    with pytest.raises(NotImplementedError, match="frac_cpu"):
        ember.frac(ember.tensor([1, 2]))
    y = ember.tensor([math.nan, math.inf, -math.inf, 1.5], requires_grad=True)
    big = float(np.finfo(np.float32).max)
    assert ember.nan_to_num(y).tolist() == [0.0, big, -big, 1.5]
    out = y.nan_to_num(1.0, 2.0, -3.0)
    assert out.tolist() == [1.0, 2.0, -3.0, 1.5]
    out.sum().backward()
    assert y.grad.tolist() == [0.0, 0.0, 0.0, 1.0]  # the gradient passes where finite
    assert ember.nan_to_num(ember.tensor([1, 2])).dtype == ember.int64
    assert ember.clamp_min(x, 0.0).tolist() == [0.0, 2.25, 3.0]
    assert x.clamp_max(0.0).tolist() == [-1.75, 0.0, 0.0]
    z = x.clone()
    z.clamp_min_(1.0)
    assert z.tolist() == [1.0, 2.25, 3.0]
    with pytest.raises(TypeError, match="clamp_min"):
        ember.clamp_min(x, None)


def test_float_power_is_double():
    i = ember.tensor([1, -2, 3])
    assert ember.float_power(i, 2).dtype == ember.float64
    assert ember.float_power(i, -1).tolist() == [1.0, -0.5, 1 / 3]
    assert ember.float_power(2, ember.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]
    x = ember.tensor([1.5, 2.0], requires_grad=True)
    x.float_power(3).sum().backward()
    assert x.grad.dtype == ember.float32
    assert_close(x.grad, [3 * 1.5**2, 12.0])


def test_logspace():
    assert ember.logspace(0, 2, 3).tolist() == [1.0, 10.0, 100.0]
    assert ember.logspace(0, 2, 3, base=2).dtype == ember.float32
    assert ember.logspace(0, 2, 3, dtype=ember.int64).tolist() == [1, 10, 100]
    assert ember.logspace(0, 1, 0).shape == (0,)
    with pytest.raises(RuntimeError, match="non-negative"):
        ember.logspace(0, 1, -1)
