"""Reductions against numpy references, numerical gradients, and torch's dtype and error rules."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)

# (shape, dim) cases: 0-d, full reductions, negative dims, tuples and lists of dims
CASES = [
    ((), None),
    ((), 0),
    ((), -1),
    ((5,), 0),
    ((3, 4), None),
    ((3, 4), -1),
    ((2, 3, 4), 1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), [-1, -3]),
]


def axes(dim, ndim):
    """numpy's ``axis`` for torch's ``dim`` (numpy has no dims on a 0-d array)."""
    if dim is None or ndim == 0:
        return None
    return tuple(d % ndim for d in dim) if isinstance(dim, (tuple, list)) else dim % ndim


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(array, device="cpu"):
    return ember.tensor(array, dtype=ember.float64, device=device, requires_grad=True)


def grad_of(fn, array):
    x = leaf(array)
    fn(x).backward()
    return x.grad.numpy()


# ------------------------------------------------------------------------- sum, mean, prod


@pytest.mark.parametrize(("shape", "dim"), CASES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean(shape, dim, keepdim, device):
    x = data(shape)
    ax = axes(dim, len(shape))
    check_op(
        lambda t: ember.sum(t, dim, keepdim),
        lambda a: np.sum(a, axis=ax, keepdims=keepdim),
        x,
        device=device,
    )
    check_op(
        lambda t: t.mean(dim, keepdim),
        lambda a: np.mean(a, axis=ax, keepdims=keepdim),
        x,
        device=device,
    )


def test_sum_mean_gradgrad():
    x = data((3, 4))
    check_op(lambda t: (t.sum(1) ** 2).sum(), lambda a: (a.sum(1) ** 2).sum(), x, gradgrad=True)
    check_op(lambda t: t.mean(0) ** 3, lambda a: a.mean(0) ** 3, x, gradgrad=True)


def test_sum_dtypes():
    assert ember.tensor([1, 2], dtype=ember.int32).sum().dtype == ember.int64
    assert ember.tensor([True, True, False]).sum().item() == 2
    assert ember.tensor([True]).sum().dtype == ember.int64
    assert ember.tensor([1.0, 2.0]).sum(dtype=ember.float64).dtype == ember.float64
    assert ember.tensor([1, 2]).sum(dtype=ember.float32).dtype == ember.float32
    assert ember.tensor([1, 2]).mean(dtype=ember.float64).item() == 1.5


def test_mean_of_integers_is_an_error():
    with pytest.raises(
        RuntimeError, match=r"Input dtype must be either a floating point.*Got: Long"
    ):
        ember.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="Optional dtype must be either a floating point"):
        ember.tensor([1.0, 2.0]).mean(dtype=ember.int64)


@pytest.mark.parametrize(
    ("shape", "dim"),
    [((), None), ((), 0), ((4,), 0), ((2, 3), -1), ((2, 3, 2), None), ((2, 3, 2), 1)],
)
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(shape, dim, keepdim, device):
    check_op(
        lambda t: ember.prod(t, dim, keepdim),
        lambda a: np.prod(a, axis=axes(dim, len(shape)), keepdims=keepdim),
        data(shape),
        device=device,
    )


def test_prod_gradient_with_zeros():
    # one zero: only it gets a gradient, the product of the others
    assert_close(grad_of(lambda t: t.prod(), np.array([2.0, 0.0, 3.0])), np.array([0, 6.0, 0]))
    # two zeros: every product of the others holds a zero
    assert_close(grad_of(lambda t: t.prod(), np.array([0.0, 0.0, 3.0])), np.zeros(3))
    x = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    expected = np.array([[0, 6.0, 0], [0, 0, 4.0], [0, 0, 0], [6.0, 3.0, 2.0]])
    assert_close(grad_of(lambda t: t.prod(1).sum(), x), expected)
    assert_close(grad_of(lambda t: t.prod(0).sum(), x.T), expected.T)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradgrad_with_zeros(dim):
    x = np.array([[2.0, 0.0, 3.0], [0.0, -1.5, 0.0], [0.7, 1.2, -0.4]])
    t = leaf(x)
    gradcheck(lambda a: a.prod(dim), [t])
    gradgradcheck(lambda a: a.prod(dim), [t])
    check_op(lambda a: a.prod(dim), lambda a: np.prod(a, axis=dim), data((2, 3)), gradgrad=True)


def test_prod_dtypes_and_dim():
    assert ember.tensor([2, 3], dtype=ember.int32).prod().dtype == ember.int64
    assert ember.tensor([2, 3], dtype=ember.int32).prod().item() == 6
    assert ember.tensor([2.0, 3.0]).prod(dtype=ember.float64).dtype == ember.float64
    with pytest.raises(TypeError, match="must be int"):
        ember.ones(2, 3).prod((0, 1))


# ------------------------------------------------------------------------------- var, std


def np_var(a, dim, correction, keepdim=False):
    ax = axes(dim, a.ndim)
    n = a.size if ax is None else math.prod(a.shape[d] for d in np.atleast_1d(ax))
    mu = a.mean(axis=ax, keepdims=True)
    return ((a - mu) ** 2).sum(axis=ax, keepdims=keepdim) / (n - correction)


@pytest.mark.parametrize(("shape", "dim"), [c for c in CASES if math.prod(c[0]) > 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std(shape, dim, keepdim, device):
    x = data(shape)
    check_op(
        lambda t: t.var(dim, keepdim=keepdim),
        lambda a: np_var(a, dim, 1, keepdim),
        x,
        device=device,
    )
    check_op(
        lambda t: ember.std(t, dim, keepdim=keepdim, correction=0),
        lambda a: np.sqrt(np_var(a, dim, 0, keepdim)),
        x,
        device=device,
    )


def test_var_std_arguments():
    x = data((3, 4))
    t = ember.tensor(x)
    assert_close(t.var(1, False), np_var(x, 1, 0))  # unbiased=False
    assert_close(t.var(1, True), np_var(x, 1, 1))
    assert_close(t.var(False), np_var(x, None, 0))  # the legacy var(unbiased) overload
    assert_close(t.var(0, correction=2), np_var(x, 0, 2))
    assert_close(ember.std(t, unbiased=False), np.std(x))
    v, m = ember.var_mean(t, 1, keepdim=True)
    assert_close(v, np_var(x, 1, 1, True))
    assert_close(m, x.mean(1, keepdims=True))
    s, m = ember.std_mean(t, (0, 1), correction=0)
    assert_close(s, np.std(x))
    assert_close(m, np.mean(x))
    with pytest.raises(TypeError, match="unbiased and correction cannot both be given"):
        t.var(0, True, correction=1)


def test_var_std_errors_and_warnings():
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        ember.tensor([1, 2, 3]).var()
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
        s = ember.tensor([1.5]).std()
    assert math.isnan(s.item())


def test_var_gradgrad():
    check_op(lambda t: t.var(1), lambda a: np_var(a, 1, 1), data((3, 4)), gradgrad=True)
    check_op(lambda t: t.std(0), lambda a: np.std(a, 0, ddof=1), data((5, 2)), gradgrad=True)


def test_std_gradient_is_zero_where_std_is_zero():
    # torch's std_backward masks the points where std == 0 (sqrt's gradient is inf there)
    x = ember.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], requires_grad=True)
    (g,) = ember.autograd.grad(x.std(1).sum(), x, create_graph=True)
    assert_close(g, [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]])
    (gg,) = ember.autograd.grad((g * g).sum(), x)  # and no nan in second derivatives
    assert_close(gg, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)
    x = ember.zeros(2, 3, requires_grad=True)
    s, m = ember.std_mean(x, 1)
    (s + m).sum().backward()
    assert_close(x.grad, np.full((2, 3), 1 / 3))


def test_reductions_of_infinities_are_silent():
    # numpy warns on inf + -inf and inf * 0; torch returns nan (the suite makes warnings errors)
    x = ember.tensor([math.inf, -math.inf])
    for y in (x.sum(), x.mean(), x.var(), x.std(), x.cumsum(0)[-1]):
        assert math.isnan(y.item())
    assert math.isnan(ember.tensor([math.inf, 0.0]).prod().item())
    assert math.isnan(ember.tensor([math.inf, 0.0]).cumprod(0)[-1].item())
    assert ember.tensor([3e38, 3e38]).sum().item() == math.inf


# --------------------------------------------------------------------------- max, min, ...


@pytest.mark.parametrize(("shape", "dim"), CASES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin(shape, dim, keepdim, device):
    x = data(shape)
    ax = axes(dim, len(shape))
    dim = () if dim is None else dim
    check_op(
        lambda t: ember.amax(t, dim, keepdim),
        lambda a: np.amax(a, axis=ax, keepdims=keepdim),
        x,
        device=device,
    )
    check_op(
        lambda t: t.amin(dim, keepdim),
        lambda a: np.amin(a, axis=ax, keepdims=keepdim),
        x,
        device=device,
    )


@pytest.mark.parametrize(("shape", "dim"), [((), 0), ((5,), 0), ((3, 4), -1), ((2, 3, 4), 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim(shape, dim, keepdim, device):
    x = data(shape)
    ax = axes(dim, len(shape))

    def ref(fn, arg):
        def reference(a):
            if a.ndim == 0:
                return a.copy(), np.array(0)
            return fn(a, axis=ax, keepdims=keepdim), arg(a, axis=ax, keepdims=keepdim)

        return reference

    check_op(lambda t: ember.max(t, dim, keepdim), ref(np.max, np.argmax), x, device=device)
    check_op(lambda t: t.min(dim, keepdim=keepdim), ref(np.min, np.argmin), x, device=device)


def test_max_min_whole_tensor_and_pairwise(device):
    x, y = data((3, 4)), data((3, 4), seed=1)
    check_op(ember.max, np.max, x, device=device)
    check_op(lambda t: t.min(), np.min, x, device=device)
    check_op(ember.max, np.maximum, x, y, device=device)
    check_op(lambda a, b: a.min(b), np.minimum, x, y, device=device)


def test_max_returns_named_tuple():
    t = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    result = t.max(1)
    values, indices = result
    assert values is result.values and indices is result.indices
    assert result[0] is values
    assert values.tolist() == [5.0, 7.0]
    assert indices.tolist() == [1, 0]  # the first of tied maxima
    assert indices.dtype == ember.int64
    assert type(result).__name__ == "max"
    assert ember.min(t, 0).indices.tolist() == [0, 1, 0]


def test_max_gradients_at_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    # max() and amax split the gradient evenly among ties, like torch
    assert_close(grad_of(lambda t: t.max(), x), np.array([[0, 0.5, 0.5], [0, 0, 0]]))
    assert_close(grad_of(lambda t: t.amax(1).sum(), x), np.array([[0, 0.5, 0.5], [1 / 3] * 3]))
    assert_close(grad_of(lambda t: t.amin(0).sum(), x), np.array([[1.0, 0, 0], [0, 1, 1]]))
    assert_close(grad_of(lambda t: t.min(), x), np.array([[1.0, 0, 0], [0, 0, 0]]))
    # max(dim) sends it to the selected index only
    assert_close(grad_of(lambda t: t.max(1).values.sum(), x), np.array([[0, 1.0, 0], [1, 0, 0]]))


def test_max_gradgrad():
    x = data((3, 4))
    check_op(lambda t: t.max() ** 2, lambda a: a.max() ** 2, x, gradgrad=True)
    check_op(lambda t: t.amax(0) ** 2, lambda a: a.max(0) ** 2, x, gradgrad=True)
    check_op(
        lambda t: t.max(1).values ** 2,
        lambda a: a.max(1) ** 2,
        x,
        gradgrad=True,
    )


def test_max_nan_propagates():
    t = ember.tensor([[1.0, float("nan"), 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert math.isnan(t.max().item())
    values, indices = t.max(1)
    assert np.isnan(values.tolist()).tolist() == [True, False] and indices.tolist() == [1, 2]
    assert ember.argmin(t, 1).tolist() == [1, 0]
    t.amax(1).sum().backward()
    assert t.grad.tolist() == [[0, 1, 0], [0, 0, 1]]


def test_max_keeps_integer_dtype():
    t = ember.tensor([[3, 1], [2, 8]], dtype=ember.int32)
    assert t.max().dtype == ember.int32 and t.max().item() == 8
    assert t.max(0).values.dtype == ember.int32
    assert t.amin(1).tolist() == [1, 2]


@pytest.mark.parametrize(
    ("shape", "dim"), [((), None), ((), 0), ((5,), None), ((3, 4), 1), ((2, 3, 4), -3)]
)
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin(shape, dim, keepdim, device):
    x = RNG.integers(0, 3, shape).astype(np.float64)  # ties: the first index wins
    ax = axes(dim, len(shape))
    t = ember.tensor(x, device=device)
    for fn, ref in ((ember.argmax, np.argmax), (ember.argmin, np.argmin)):
        out = fn(t, dim, keepdim)
        expected = ref(x, axis=ax, keepdims=keepdim and dim is not None)
        assert out.dtype == ember.int64
        assert_close(out, np.asarray(expected).astype(np.int64))


def test_median():
    x = np.array([[4.0, 1.0, 3.0, 2.0], [0.5, 0.5, 9.0, -1.0]])
    t = leaf(x)
    assert ember.median(t).item() == 1.0  # the lower of the two middle values
    values, indices = ember.median(t, 1)
    assert values.tolist() == [2.0, 0.5] and indices.tolist() == [3, 0]
    assert ember.median(t, 0, keepdim=True).values.shape == (1, 4)
    # median() splits its gradient between ties; median(dim) picks one element
    assert_close(grad_of(ember.median, np.array([1.0, 2.0, 2.0, 3.0])), np.array([0, 0.5, 0.5, 0]))
    assert_close(
        grad_of(lambda a: ember.median(a, 1).values.sum(), x),
        np.array([[0, 0, 0, 1], [1, 0, 0, 0]]),
    )
    assert math.isnan(ember.median(ember.tensor([1.0, float("nan"), 2.0])).item())
    assert math.isnan(ember.median(ember.tensor([])).item())
    check_op(ember.median, lambda a: np.sort(a.ravel())[(a.size - 1) // 2], data((3, 3)))


def test_median_of_bool_is_not_implemented():
    b = ember.tensor([True, False, True])
    with pytest.raises(NotImplementedError, match="\"median_cpu\" not implemented for 'Bool'"):
        b.median()
    with pytest.raises(NotImplementedError, match="\"median_out\" not implemented for 'Bool'"):
        ember.median(b, 0)


def test_max_errors():
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        ember.zeros(0).max()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 1 to have non-zero"):
        ember.zeros(2, 0).max(1)
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero"):
        ember.zeros(0, 3).amax(0)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        ember.zeros(0).argmax()
    with pytest.raises(RuntimeError, match=r"amin\(\): Expected reduction dim to be specified"):
        ember.zeros(0, 3).amin()
    with pytest.raises(RuntimeError, match=r"argmin\(\): does not support bool input"):
        ember.tensor([True, False]).argmin()
    assert ember.zeros(2, 0).amax(0).shape == (0,)


# ---------------------------------------------------------------------------- logsumexp


def np_logsumexp(a, ax, keepdim):
    m = np.max(a, axis=ax, keepdims=True)
    return np.log(np.sum(np.exp(a - m), axis=ax, keepdims=True)).reshape(
        np.sum(a, axis=ax, keepdims=keepdim).shape
    ) + np.max(a, axis=ax, keepdims=keepdim)


@pytest.mark.parametrize(("shape", "dim"), [c for c in CASES if c[1] is not None])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(shape, dim, keepdim, device):
    check_op(
        lambda t: ember.logsumexp(t, dim, keepdim),
        lambda a: np_logsumexp(a, axes(dim, a.ndim), keepdim),
        data(shape),
        device=device,
    )


def test_logsumexp_stability_and_gradgrad():
    big = ember.tensor([1000.0, 1000.0, -1000.0])
    assert_close(big.logsumexp(0), ember.tensor(1000.0 + math.log(2.0)))
    inf = float("inf")
    rows = ember.tensor([[-inf, -inf], [0.0, -inf], [inf, 1.0]])
    assert rows.logsumexp(1).tolist() == [-inf, 0.0, inf]
    assert ember.tensor([1, 2]).logsumexp(0).dtype == ember.float32
    check_op(
        lambda t: t.logsumexp(1),
        lambda a: np_logsumexp(a, 1, False),
        data((3, 4)),
        gradgrad=True,
    )


# --------------------------------------------------------------------------- cumulative ops


@pytest.mark.parametrize(
    ("shape", "dim"), [((), 0), ((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1)]
)
def test_cumsum_cumprod(shape, dim, device):
    def ref(fn):
        return lambda a: a.copy() if a.ndim == 0 else fn(a, axis=dim % a.ndim)

    x = data(shape)
    check_op(lambda t: ember.cumsum(t, dim), ref(np.cumsum), x, gradgrad=True, device=device)
    check_op(lambda t: t.cumprod(dim), ref(np.cumprod), x, gradgrad=True, device=device)


def test_cumprod_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 1.5, -2.0, 0.5, 1.0], [1.0, 2.0, 3.0, 0.0, 0.0]])
    # hand-computed: sum_{j >= k} prod_{i <= j, i != k} x_i for each k
    expected = np.array(
        [[1.0, 2 + 6, 0, 0, 0], [1 + 1.5 - 3 - 1.5 - 1.5, 0, 0, 0, 0], [9, 4, 2, 6, 0]]
    )
    assert_close(grad_of(lambda t: t.cumprod(1).sum(), x), expected)
    gradcheck(lambda t: t.cumprod(1), [leaf(x)])
    gradcheck(lambda t: t.cumprod(0), [leaf(x)])
    # with a graph recorded, the O(n^2) differentiable formula gives the same first derivative
    t = leaf(x)
    g = ember.tensor(data((3, 5)))
    (plain,) = ember.autograd.grad(t.cumprod(1), t, g)
    (graphed,) = ember.autograd.grad(t.cumprod(1), t, g, create_graph=True)
    assert_close(graphed, plain)
    gradgradcheck(lambda a: a.cumprod(1), [leaf(x)])
    gradgradcheck(lambda a: a.cumprod(0), [leaf(x)])


def test_cumulative_dtypes():
    assert ember.tensor([1, 2], dtype=ember.int32).cumsum(0).dtype == ember.int64
    assert ember.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert ember.tensor([2, 3], dtype=ember.int8).cumprod(0).dtype == ember.int64
    out = ember.tensor([1, 2]).cumsum(0, dtype=ember.float64)
    assert out.dtype == ember.float64 and out.tolist() == [1.0, 3.0]
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.ones(2, 3).cumsum(2)


# ------------------------------------------------------------------------------------ norm


def np_norm(a, p, ax, keepdim):
    if p == "fro" or p == 2:
        return np.sqrt(np.sum(a * a, axis=ax, keepdims=keepdim))
    if p == math.inf:
        return np.max(np.abs(a), axis=ax, keepdims=keepdim)
    if p == -math.inf:
        return np.min(np.abs(a), axis=ax, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=ax, keepdims=keepdim).astype(a.dtype)
    return np.sum(np.abs(a) ** p, axis=ax, keepdims=keepdim) ** (1 / p)


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, -1, 0, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("shape", "dim"), [((), None), ((5,), 0), ((3, 4), None), ((3, 4), 1), ((2, 3, 4), (0, 2))]
)
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm(p, shape, dim, keepdim):
    check_op(
        lambda t: ember.norm(t, p, dim, keepdim),
        lambda a: np_norm(a, p, axes(dim, a.ndim), keepdim),
        data(shape),
        grad=p != 0,
    )


def test_norm_gradients(device):
    check_op(
        lambda t: t.norm(),
        lambda a: np.sqrt((a * a).sum()),
        data((3, 4)),
        gradgrad=True,
        device=device,
    )
    check_op(lambda t: t.norm(3, 1), lambda a: np_norm(a, 3, 1, False), data((3, 4)), gradgrad=True)
    # zero vectors get torch's zero subgradient, never nan
    zeros = np.zeros((2, 3))
    for p in (2, 1, 3, 0.5, math.inf):
        assert_close(grad_of(lambda t, p=p: t.norm(p, 1).sum(), zeros), zeros)
    # p = 0 counts, and has zero gradient
    assert_close(grad_of(lambda t: t.norm(0), data((2, 2))), np.zeros((2, 2)))


def test_norm_arguments():
    t = ember.tensor([[3.0, -4.0], [0.0, 0.0]])
    assert t.norm(dim=1).tolist() == [5.0, 0.0]
    assert ember.norm(t, dtype=ember.float64).dtype == ember.float64
    assert ember.norm(t, None).item() == 5.0
    with pytest.raises(RuntimeError, match=r"Expected a floating point.*Got Long"):
        ember.tensor([1, 2]).norm()
    assert t.norm("nuc").item() == pytest.approx(5.0)  # the nuclear norm: sum of singular values


# ---------------------------------------------------------------------- all, any, counting


@pytest.mark.parametrize(("shape", "dim"), CASES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_any(shape, dim, keepdim, device):
    x = RNG.integers(0, 2, shape).astype(np.float32)
    x[(0,) * (x.ndim - 1)] = 1.0  # one slice without zeros (or, at 0-d, a nonzero)
    t = ember.tensor(x, device=device)
    ax = axes(dim, x.ndim)
    for fn, ref in ((ember.all, np.all), (ember.any, np.any)):
        out = fn(t, dim, keepdim)
        assert out.dtype == ember.bool
        assert_close(out, np.asarray(ref(x, axis=ax, keepdims=keepdim)))
    count = ember.count_nonzero(t, dim)
    assert count.dtype == ember.int64
    assert_close(count, np.asarray(np.count_nonzero(x, axis=ax)))


def test_all_any_dtypes():
    assert ember.tensor([1.0, 2.0]).all().dtype == ember.bool
    assert ember.tensor([0, 3]).any(0).item() is True
    u = ember.tensor([0, 3], dtype=ember.uint8)
    assert u.all().dtype == ember.uint8 and u.all().item() == 0  # torch keeps uint8
    assert ember.count_nonzero(ember.tensor([[0, 1], [2, 0]]), 0).dtype == ember.int64
    assert ember.tensor(0.0).all(0).item() is False


# --------------------------------------------------------------------------- dims, errors


def test_bad_dims():
    t = ember.ones(2, 3)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        t.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.amax(-3)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        ember.tensor(1.0).sum(1)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        t.sum((0, -2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.max(5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.logsumexp(t, 2)


def test_reductions_are_exported():
    for name in (
        "sum",
        "prod",
        "mean",
        "var",
        "std",
        "var_mean",
        "std_mean",
        "max",
        "min",
        "amax",
        "amin",
        "argmax",
        "argmin",
        "median",
        "logsumexp",
        "cumsum",
        "cumprod",
        "norm",
        "all",
        "any",
        "count_nonzero",
    ):
        assert callable(getattr(ember, name)), name
    assert not hasattr(ember, "sum_to_size")
    assert not hasattr(ember, "Sum")


# ------------------------------------------------------ cummax, cummin, nansum, bincount


def _running_reference(x, dim, better):
    """Running extremum and its index by a Python loop: ties and NaN take the later index."""
    x = np.moveaxis(x, dim, -1)
    values, indices = np.empty_like(x), np.zeros(x.shape, np.int64)
    for row in np.ndindex(x.shape[:-1]):
        best, at = x[row][0], 0
        for i, v in enumerate(x[row]):
            if not np.isnan(best) and (np.isnan(v) or not better(best, v)):
                best, at = v, i
            values[row][i], indices[row][i] = best, at
    return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize(("shape", "dim"), [((7,), 0), ((3, 5), 1), ((3, 5), 0)])
def test_cummax_cummin(name, shape, dim):
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, shape).astype(np.float64)
    x.flat[3] = np.nan
    better = (lambda b, v: b > v) if name == "cummax" else (lambda b, v: b < v)
    values, indices = getattr(ember, name)(ember.tensor(x), dim)
    want_v, want_i = _running_reference(x, dim, better)
    assert_close(values, want_v, equal_nan=True)
    assert indices.tolist() == want_i.tolist()
    ints = getattr(ember.tensor(x[0] if x.ndim > 1 else x).nan_to_num(7).long(), name)(0)
    assert ints.values.dtype is ember.int64
    distinct = rng.permutation(math.prod(shape)).reshape(shape) / 7.0
    t = ember.tensor(distinct, requires_grad=True)
    gradcheck(lambda a: getattr(a, name)(dim).values, [t])
    # repeated indices: the gradient of a running maximum accumulates on its element
    t = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    getattr(ember, name)(t, 0).values.sum().backward()
    assert t.grad.tolist() == ([3.0, 0.0, 0.0] if name == "cummax" else [1.0, 2.0, 0.0])


def test_nansum_nanmean():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    assert_close(ember.nansum(ember.tensor(x)), np.nansum(x))
    assert_close(ember.tensor(x).nansum(1, keepdim=True), np.nansum(x, 1, keepdims=True))
    assert_close(ember.nanmean(ember.tensor(x), 1), np.array([1.5, np.nan]), equal_nan=True)
    assert ember.nansum(ember.tensor([1, 2])).tolist() == 3
    t = ember.tensor(x, requires_grad=True)
    ember.nanmean(t, 1).sum().backward()
    assert_close(t.grad, np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]))
    with pytest.raises(RuntimeError, match="expected input to have floating point"):
        ember.nanmean(ember.tensor([1, 2]))


def test_bincount(device):
    x = np.array([0, 2, 2, 5])
    assert_close(ember.bincount(ember.tensor(x, device=device)).cpu(), np.bincount(x))
    w = np.array([0.5, 1.0, 2.0, 3.0], np.float32)
    got = ember.tensor(x, device=device).bincount(ember.tensor(w, device=device), minlength=8)
    assert got.dtype is ember.float32
    assert_close(got.cpu(), np.bincount(x, w, 8).astype(np.float32))
    counts = ember.bincount(
        ember.tensor(x, device=device), ember.tensor([1, 2, 3, 4], device=device)
    )
    assert counts.dtype is ember.float64
    empty = ember.tensor(np.array([], np.int64), device=device)
    assert ember.bincount(empty).shape == (0,)
    assert_close(ember.bincount(empty, minlength=3).cpu(), np.zeros(3, np.int64))
    # an empty index adds nothing (the scatter behind index_add and embedding gradients)
    base = ember.ones(4, 2, device=device)
    added = ember.index_add(base, 0, empty, ember.ones(0, 2, device=device))
    assert_close(added.cpu(), np.ones((4, 2), np.float32))
    with pytest.raises(RuntimeError, match="non-negative integral"):
        ember.bincount(ember.tensor([0, -1]))
    with pytest.raises(NotImplementedError, match="bincount_cpu"):
        ember.bincount(ember.tensor([0.0]))
    with pytest.raises(RuntimeError, match="minlength should be >= 0"):
        ember.bincount(ember.tensor([0]), minlength=-1)
    with pytest.raises(RuntimeError, match="same length as input"):
        ember.bincount(ember.tensor([0, 1]), ember.tensor([1.0]))
