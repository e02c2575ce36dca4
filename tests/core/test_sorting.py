"""sort, argsort and topk against Python's stable sorted(), with gradients and NaN ordering."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_op

NAN = float("nan")


def reference_order(a, axis, descending):
    """Stable sort order along ``axis`` by Python's sorted(), NaN as the largest value;
    descending order keeps equal elements in index order too."""
    sign = -1.0 if descending else 1.0

    def key(v):
        v = float(v)
        return (sign * math.isnan(v), 0.0 if math.isnan(v) else sign * v)

    moved = np.moveaxis(a, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1]).tolist()
    out = np.array([sorted(range(len(r)), key=lambda i, r=r: key(r[i])) for r in rows])
    return np.moveaxis(out.astype(np.int64).reshape(moved.shape), -1, axis)


def data(shape, seed=0):
    # few distinct values, so ties are common and stability matters
    return np.random.default_rng(seed).integers(-3, 4, shape).astype(np.float64)


SHAPES = [((6,), 0), ((6,), -1), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -2)]


@pytest.mark.parametrize(("shape", "dim"), SHAPES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort(shape, dim, descending, device):
    x = data(shape)
    order = reference_order(x, dim % x.ndim, descending)

    def reference(a):
        return np.take_along_axis(a, order, dim), order

    check_op(
        lambda t: ember.sort(t, dim, descending, stable=True),
        reference,
        x,
        grad=False,
        device=device,
    )
    # gradients: distinct values, so the order does not change under perturbation
    distinct = np.random.default_rng(2).permutation(x.size).reshape(shape) / 7.0
    t = ember.tensor(distinct, dtype=ember.float64, device=device, requires_grad=True)
    gradcheck(lambda a: a.sort(dim, descending).values, [t])
    assert_close(ember.argsort(ember.tensor(x), dim, descending), order)


def test_sort_gradgrad_and_named_tuple():
    x = np.random.default_rng(3).standard_normal((3, 4))
    check_op(lambda t: t.sort(1).values ** 2, lambda a: np.sort(a, 1) ** 2, x, gradgrad=True)
    result = ember.tensor([[3.0, 1.0, 2.0]]).sort()
    values, indices = result
    assert result.values is values and result.indices is indices
    assert type(result).__name__ == "sort"
    assert indices.dtype == ember.int64 and indices.tolist() == [[1, 2, 0]]


def test_sort_gradient_goes_to_the_source_elements():
    x = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values = x.sort(descending=True).values
    (values * ember.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 100.0, 10.0]


def test_sort_nan_is_largest_and_stable():
    x = ember.tensor([1.0, NAN, 3.0, NAN, 2.0, 3.0])
    values, indices = x.sort(stable=True)
    assert indices.tolist() == [0, 4, 2, 5, 1, 3]
    assert np.isnan(values.tolist()[4:]).all()
    values, indices = x.sort(descending=True, stable=True)
    assert indices.tolist() == [1, 3, 2, 5, 4, 0]
    assert np.isnan(values.tolist()[:2]).all() and values.tolist()[2:] == [3.0, 3.0, 2.0, 1.0]
    assert x.argsort(descending=True).tolist() == [1, 3, 2, 5, 4, 0]


@pytest.mark.parametrize("dtype", [ember.uint8, ember.int8, ember.int64, ember.bool])
def test_sort_integer_and_bool(dtype):
    raw = {
        ember.uint8: [0, 255, 3, 255, 0],
        ember.int8: [-128, 127, 0, -128, 5],
        ember.int64: [5, -2, 5, 0, -2],
        ember.bool: [True, False, True, False, True],
    }[dtype]
    x = ember.tensor(raw, dtype=dtype)
    for descending in (False, True):
        values, indices = x.sort(descending=descending, stable=True)
        order = reference_order(np.array(raw), 0, descending)
        assert indices.tolist() == order.tolist()
        assert values.dtype == dtype
        assert values.tolist() == [raw[i] for i in order]


@pytest.mark.parametrize(
    ("shape", "dim", "k"),
    [((6,), 0, 3), ((3, 5), 1, 2), ((3, 5), 0, 3), ((3, 5), -1, 0), ((2, 3, 4), 1, 1)],
)
@pytest.mark.parametrize("largest", [True, False])
def test_topk(shape, dim, k, largest, device):
    x = data(shape)
    order = reference_order(x, dim % x.ndim, largest)
    order = np.take(order, np.arange(k), axis=dim)
    values, indices = ember.topk(ember.tensor(x, device=device), k, dim, largest)
    assert_close(values, np.take_along_axis(x, order, dim))
    assert_close(indices, order)
    distinct = np.random.default_rng(2).permutation(x.size).reshape(shape) / 7.0
    t = ember.tensor(distinct, dtype=ember.float64, device=device, requires_grad=True)
    if k:
        gradcheck(lambda a: a.topk(k, dim, largest).values, [t])
        gradgradcheck(lambda a: a.topk(k, dim, largest).values ** 2, [t])


def test_topk_values_and_errors():
    x = ember.tensor([[1.0, 5.0, NAN, 5.0], [0.0, -1.0, 2.0, 2.0]])
    assert x.topk(2).indices.tolist() == [[2, 1], [2, 3]]
    assert type(x.topk(1)).__name__ == "topk"
    assert x.topk(2, largest=False).indices.tolist() == [[0, 1], [1, 0]]
    assert x.topk(4, dim=1).values.shape == (2, 4)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(5)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(-1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.topk(1, dim=2)


def test_zero_dim():
    t = ember.tensor(2.5, requires_grad=True)
    values, indices = t.sort()
    assert values.shape == () and indices.shape == () and indices.item() == 0
    values, indices = t.topk(1)
    assert values.item() == 2.5 and indices.shape == ()
    assert ember.argsort(t, 0).shape == ()
    values.backward()
    assert t.grad.item() == 1.0
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        t.sort(1)


def test_sort_empty_and_bad_dim():
    values, indices = ember.zeros(2, 0).sort(1)
    assert values.shape == (2, 0) and indices.shape == (2, 0)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got -3"):
        ember.zeros(2, 3).sort(-3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.zeros(2, 3).argsort(2)


def test_exports():
    assert ember.sort is not None and ember.argsort is not None and ember.topk is not None
    import ember.ops.sorting as sorting

    assert sorted(sorting.__all__) == [
        "argsort",
        "bucketize",
        "isin",
        "kthvalue",
        "searchsorted",
        "sort",
        "topk",
        "unique",
        "unique_consecutive",
    ]


# ------------------------------------------------- kthvalue, searchsorted, bucketize, isin


@pytest.mark.parametrize(("shape", "dim"), [((6,), 0), ((3, 5), 1), ((3, 5), 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(shape, dim, keepdim):
    x = np.random.default_rng(4).permutation(math.prod(shape)).reshape(shape) / 3.0
    for k in (1, shape[dim]):
        values, indices = ember.kthvalue(ember.tensor(x), k, dim, keepdim)
        want = np.take(np.sort(x, dim), [k - 1], dim)
        if not keepdim:
            want = want.squeeze(dim)
        assert_close(values, want)
        assert_close(
            np.take_along_axis(
                x, np.expand_dims(indices.numpy(), dim) if not keepdim else indices.numpy(), dim
            ),
            want if keepdim else np.expand_dims(want, dim),
        )
    t = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    gradcheck(lambda a: a.kthvalue(2, dim, keepdim).values, [t])
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        ember.kthvalue(ember.tensor(x), shape[dim] + 1, dim)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted(right):
    seq = np.array([1.0, 3.0, 3.0, 5.0])
    values = np.array([[3.0, 6.0], [0.0, 1.0]])
    side = "right" if right else "left"
    got = ember.searchsorted(ember.tensor(seq), ember.tensor(values), right=right)
    assert got.dtype is ember.int64
    assert_close(got, np.searchsorted(seq, values, side=side))
    assert (
        ember.searchsorted(ember.tensor(seq), ember.tensor(values), side=side, out_int32=True).dtype
        is ember.int32
    )
    rows = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    got = ember.searchsorted(
        ember.tensor(rows), ember.tensor([[3.0, 4.0], [3.0, 4.0]]), right=right
    )
    want = [np.searchsorted(r, [3.0, 4.0], side=side) for r in rows]
    assert_close(got, np.array(want))
    perm = np.array([2, 0, 3, 1])
    shuffled = seq[np.argsort(perm)]
    got = ember.searchsorted(
        ember.tensor(shuffled),
        ember.tensor(values),
        sorter=ember.tensor(np.argsort(shuffled, kind="stable")),
        right=right,
    )
    assert_close(got, np.searchsorted(seq, values, side=side))
    assert_close(
        ember.bucketize(ember.tensor(values), ember.tensor(seq), right=right),
        np.searchsorted(seq, values, side=side),
    )


def test_searchsorted_errors():
    seq = ember.tensor([1, 3, 5])
    with pytest.raises(RuntimeError, match="side can only be 'left' or 'right'"):
        ember.searchsorted(seq, seq, side="xx")
    with pytest.raises(RuntimeError, match="can't be set to opposites"):
        ember.searchsorted(seq, seq, side="left", right=True)
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        ember.searchsorted(ember.ones(2, 3), ember.ones(3))
    with pytest.raises(RuntimeError, match="must be 1 dimension"):
        ember.bucketize(seq, ember.ones(1, 3))


def test_isin():
    a, b = np.array([1, 2, 3, 4]), np.array([2, 5, 4])
    assert_close(ember.isin(ember.tensor(a), ember.tensor(b)), np.isin(a, b))
    assert_close(ember.isin(ember.tensor(a), 2, invert=True), a != 2)
    assert ember.isin(2, ember.tensor(b)).tolist() is True


# ---------------------------------------------------------------- unique, unique_consecutive


def _parts(result):
    return [r.numpy() for r in (result if isinstance(result, tuple) else (result,))]


@pytest.mark.parametrize(
    "x",
    [
        np.array([[3, 1, 2], [1, 3, 0]]),
        np.array([2.5, -1.0, 2.5, 0.0, -1.0], dtype=np.float32),
        np.array([True, False, True]),
        np.array([5, 5, 1], dtype=np.int32),
        np.array(7.0),
        np.zeros((2, 0)),
    ],
)
def test_unique_matches_numpy(x):
    t = ember.tensor(x)
    values, inverse, counts = ember.unique(t, return_inverse=True, return_counts=True)
    want, want_inverse, want_counts = np.unique(x, return_inverse=True, return_counts=True)
    assert values.dtype == t.dtype and values.tolist() == want.tolist()
    assert inverse.dtype is ember.int64 and counts.dtype is ember.int64
    assert inverse.shape == x.shape  # the input's shape, 0-d included
    assert inverse.numpy().tolist() == want_inverse.reshape(x.shape).tolist()
    assert counts.tolist() == want_counts.tolist()
    # the tuple holds what was asked for, in order; the values alone are a tensor
    assert isinstance(ember.unique(t), ember.Tensor)
    only_counts = ember.unique(t, return_counts=True)
    assert type(only_counts) is tuple and len(only_counts) == 2
    assert only_counts[1].tolist() == want_counts.tolist()
    assert t.unique(False, True)[1].numpy().tolist() == want_inverse.reshape(x.shape).tolist()


def test_unique_nan_and_signed_zero():
    x = ember.tensor([3.0, NAN, 1.0, NAN, 3.0])
    values, inverse, counts = ember.unique(x, return_inverse=True, return_counts=True)
    assert_close(values, np.array([1.0, 3.0, NAN, NAN], np.float32), equal_nan=True)
    assert inverse.tolist() == [1, 2, 0, 3, 1]  # each NaN is a value of its own
    assert counts.tolist() == [1, 2, 1, 1]
    values, counts = ember.unique_consecutive(ember.tensor([NAN, NAN, 1.0]), return_counts=True)
    assert counts.tolist() == [1, 1, 1]
    # -0.0 == 0.0: one value, the first seen
    for first in (-0.0, 0.0):
        (v,) = ember.unique(ember.tensor([first, -first, first])).tolist()
        assert math.copysign(1, v) == math.copysign(1, first)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_unique_dim_matches_numpy(dim):
    x = np.random.default_rng(5).integers(0, 2, (4, 3, 2))
    values, inverse, counts = ember.unique(
        ember.tensor(x), dim=dim, return_inverse=True, return_counts=True
    )
    want, want_inverse, want_counts = np.unique(
        x, axis=dim, return_inverse=True, return_counts=True
    )
    assert values.shape == want.shape and values.tolist() == want.tolist()
    assert inverse.shape == (x.shape[dim],)
    assert inverse.tolist() == want_inverse.reshape(-1).tolist()
    assert counts.tolist() == want_counts.tolist()


def test_unique_dim_lexicographic_and_nan_rows():
    m = ember.tensor([[1, 2], [0, 5], [1, 2], [0, 1]])
    values, inverse = m.unique(dim=0, return_inverse=True)
    assert values.tolist() == [[0, 1], [0, 5], [1, 2]] and inverse.tolist() == [2, 1, 2, 0]
    values, counts = ember.unique(ember.tensor([[NAN, 1.0], [NAN, 1.0]]), dim=0, return_counts=True)
    assert values.shape == (2, 2) and counts.tolist() == [1, 1]


def test_unique_consecutive():
    x = ember.tensor([[1, 1, 2], [2, 1, 1]])
    values, inverse, counts = ember.unique_consecutive(x, return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 1]
    assert inverse.tolist() == [[0, 0, 1], [1, 2, 2]] and counts.tolist() == [2, 2, 2]
    rows = ember.tensor([[1, 2], [1, 2], [0, 5], [1, 2]])
    values, inverse, counts = rows.unique_consecutive(True, True, 0)
    assert values.tolist() == [[1, 2], [0, 5], [1, 2]]
    assert inverse.tolist() == [0, 0, 1, 2] and counts.tolist() == [2, 1, 1]
    values, inverse = ember.unique_consecutive(ember.tensor(4), return_inverse=True)
    assert values.shape == (1,) and inverse.shape == ()


def test_unique_empty_and_errors():
    for fn in (ember.unique, ember.unique_consecutive):
        both = {"return_inverse": True, "return_counts": True}
        values, inverse, counts = fn(ember.zeros(0, 2), dim=0, **both)
        assert values.shape == (0, 2) and inverse.shape == (0,) and counts.shape == (0,)
        values, inverse, counts = fn(ember.zeros(0, 2), **both)
        assert values.shape == (0,) and inverse.shape == (0, 2) and counts.dtype is ember.int64
        with pytest.raises(RuntimeError, match="aren't selected"):
            fn(ember.zeros(2, 0), dim=0)
        with pytest.raises(RuntimeError, match="more than one"):
            fn(ember.zeros(0, 0), dim=0)
        with pytest.raises(IndexError, match="has no dimensions"):
            fn(ember.tensor(1.0), dim=0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            fn(ember.zeros(2, 2), dim=2)
        with pytest.raises(TypeError, match="must be int, not float"):
            fn(ember.zeros(2, 2), dim=1.0)


def test_unique_not_differentiable():
    x = ember.tensor([1.0, 2.0, 1.0], requires_grad=True)
    values, inverse, counts = ember.unique(x, return_inverse=True, return_counts=True)
    assert values.requires_grad and not inverse.requires_grad and not counts.requires_grad
    with pytest.raises(NotImplementedError, match="derivative for '_unique2' is not"):
        values.sum().backward()
    with pytest.raises(NotImplementedError, match="'unique_dim'"):
        ember.unique(x, dim=0).sum().backward()
    with pytest.raises(NotImplementedError, match="'unique_consecutive'"):
        x.unique_consecutive().sum().backward()
    with ember.no_grad():
        assert not x.unique().requires_grad


def test_python_numbers_take_the_tensors_dtype_in_isin_and_searchsorted():
    # 0.1 as float64 differs from float32 0.1: the number must be compared as float32
    x = ember.tensor([0.1, 0.2])
    assert ember.isin(x, 0.1).tolist() == [True, False]
    assert ember.isin(0.1, x).item() is True
    assert ember.searchsorted(x, 0.1, right=True).item() == 1
    assert ember.isin(ember.tensor([1, 2]), 1.5).tolist() == [False, False]
