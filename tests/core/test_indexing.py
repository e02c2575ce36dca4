"""Indexing: getitem/setitem against numpy, torch's placement and error rules, in-place
semantics and gradients (duplicates accumulating), and gather/scatter/index_select/masks."""

import warnings

import numpy as np
import pytest

import ember
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape)


def _t(device):
    """Make index tensors on ``device``."""
    return lambda data, dtype=None: ember.tensor(data, dtype=dtype, device=device)


MASK3 = RNG.random((3, 4, 5)) > 0.5
MASK2 = np.array(
    [[True, False, False, True], [False, False, False, False], [True, True, False, True]]
)

# (name, ember index built with a tensor factory, the same index for numpy); x is (3, 4, 5)
INDEXES = [
    ("int", lambda t: 1, 1),
    ("negative_int", lambda t: -1, -1),
    ("ints", lambda t: (1, -2, 3), (1, -2, 3)),
    ("slice", lambda t: slice(1, None), slice(1, None)),
    (
        "slice_step",
        lambda t: (slice(None), slice(None, None, 2)),
        (slice(None), slice(None, None, 2)),
    ),
    ("slice_negative_bounds", lambda t: slice(-2, -1), slice(-2, -1)),
    ("slice_past_end", lambda t: slice(5, 10), slice(5, 10)),
    ("ellipsis", lambda t: (Ellipsis, 1), (Ellipsis, 1)),
    ("ellipsis_middle", lambda t: (0, Ellipsis, slice(1, 3)), (0, Ellipsis, slice(1, 3))),
    ("none", lambda t: (None, 1, None), (None, 1, None)),
    (
        "none_ellipsis",
        lambda t: (slice(None), None, Ellipsis, None),
        (slice(None), None, Ellipsis, None),
    ),
    ("list", lambda t: [0, 2], [0, 2]),
    ("list_duplicates", lambda t: [2, 0, 2, 2], [2, 0, 2, 2]),
    ("numpy_2d", lambda t: np.array([[0, 1], [2, 2]]), np.array([[0, 1], [2, 2]])),
    ("tensor", lambda t: t([0, -1, 0]), [0, -1, 0]),
    ("tensor_int32", lambda t: t([1, 1], ember.int32), [1, 1]),
    ("tensor_dim1", lambda t: (slice(None), t([3, 0, 3])), (slice(None), [3, 0, 3])),
    (
        "tensors_adjacent",
        lambda t: (slice(None), t([0, 1]), t([4, 4])),
        (slice(None), [0, 1], [4, 4]),
    ),
    (
        "tensors_separated",
        lambda t: (t([0, 2]), slice(1, 3), t([[1], [4]])),
        ([0, 2], slice(1, 3), [[1], [4]]),
    ),
    ("tensor_ellipsis", lambda t: (Ellipsis, t([4, 0])), (Ellipsis, [4, 0])),
    ("tensor_and_int", lambda t: (t([2, 0]), 1), ([2, 0], 1)),
    ("int_tensor_0d", lambda t: t(2), 2),
    ("empty_list", lambda t: [], np.array([], dtype=np.int64)),
    ("mask_full", lambda t: t(MASK3), MASK3),
    ("mask_dim0", lambda t: t([True, False, True]), np.array([True, False, True])),
    (
        "mask_dim1",
        lambda t: (slice(None), t([False, True, True, False])),
        (slice(None), np.array([False, True, True, False])),
    ),
    (
        "mask_2d_with_tensor",
        lambda t: (t(MASK2), t([0, 4, 1, 2, 3, 0])[: MASK2.sum()]),
        (MASK2, [0, 4, 1, 2, 3, 0][: MASK2.sum()]),
    ),
    ("true", lambda t: True, True),
    ("false", lambda t: (slice(None), False), (slice(None), False)),
    ("bool_tensor_0d", lambda t: t(True), True),
    ("bool_and_slice", lambda t: (None, True, slice(1, 2)), (None, True, slice(1, 2))),
]
IDS = [i[0] for i in INDEXES]


@pytest.mark.parametrize(("name", "index", "np_index"), INDEXES, ids=IDS)
def test_getitem_matches_numpy_and_gradcheck(name, index, np_index):
    check_op(lambda x: x[index(_t("cpu"))], lambda x: x[np_index], _x(3, 4, 5))


@pytest.mark.parametrize(
    ("name", "index", "np_index"),
    [INDEXES[i] for i in (2, 4, 9, 12, 18, 19, 24, 28)],
    ids=[IDS[i] for i in (2, 4, 9, 12, 18, 19, 24, 28)],
)
def test_getitem_on_device(name, index, np_index, device):
    check_op(lambda x: x[index(_t(device))], lambda x: x[np_index], _x(3, 4, 5), device=device)


def test_integers_apply_before_index_tensors_like_torch():
    # numpy counts the 1 as an index array separated from [0, 2] by a slice, so it puts the
    # broadcast dimension first (2, 4); torch selects first and indexes the (4, 5) view.
    x = ember.tensor(_x(3, 4, 5))
    assert x[1, :, [0, 2]].shape == (4, 2)
    assert_close(x[1, :, [0, 2]], x.numpy()[1][:, [0, 2]])
    assert x[:, [0, 1], :, None].shape == (3, 2, 5, 1)


def test_short_list_of_sequences_is_a_tuple_of_indices_like_torch():
    x = ember.tensor(_x(3, 4))
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
        y = x[[[0, 1], [2, 0]]]
    assert_close(y, x.numpy()[[0, 1], [2, 0]])
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        assert x[[0, slice(None)]].shape == (4,)
    assert x[np.array([[0, 1], [2, 2]])].shape == (2, 2, 4)  # an array is one index


def test_duplicate_indices_accumulate_gradients():
    x = ember.zeros(4, 2, requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    assert_close(x.grad, [[3.0, 3.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    x.grad = None
    x[[1, 1], [0, 0]].sum().backward()
    assert_close(x.grad, [[0.0, 0.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    x.grad = None
    (x[ember.tensor([[3, 3], [3, 0]])] * 2).sum().backward()
    assert_close(x.grad, [[2.0, 2.0], [0.0, 0.0], [0.0, 0.0], [6.0, 6.0]])


@pytest.mark.parametrize(
    "index",
    [
        lambda: ([1, 1, 0], slice(None), [2, 2, 2]),
        lambda: (slice(None), ember.tensor([[3, 3], [0, 3]])),
        lambda: ember.tensor(MASK3),
        lambda: (Ellipsis, [1, 1]),
        lambda: (0, slice(None, None, 2), [4, 4]),
    ],
)
def test_getitem_second_order(index):
    x = ember.tensor(_x(3, 4, 5), requires_grad=True, dtype=ember.float64)
    assert ember.autograd.gradgradcheck(lambda x: x[index()] ** 2, [x])


def test_basic_indexing_gives_views_advanced_gives_copies():
    x = ember.arange(12.0).reshape(3, 4)
    row, corner, elem, strided = x[1], x[:2, 1:], x[1, 2], x[:, ::2]
    elem0d = x[ember.tensor(0), 0]
    copies = [x[[0, 1]], x[x > 5]]
    x.mul_(-1)
    assert row.tolist() == [-4.0, -5.0, -6.0, -7.0]
    assert corner[0, 0].item() == -1.0 and elem.item() == -6.0 and strided[2, 1].item() == -10.0
    assert elem0d.shape == () and elem0d.item() == 0.0
    assert copies[0][1, 0].item() == 4.0 and copies[1].tolist() == [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]


@pytest.mark.parametrize(
    ("index", "error", "message"),
    [
        (slice(None, None, -1), ValueError, "step must be greater than zero"),
        ((slice(None), slice(3, 0, -2)), ValueError, "step must be greater than zero"),
        (3, IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
        ((0, -5), IndexError, "index -5 is out of bounds for dimension 1 with size 4"),
        ([0, 3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
        # torch numbers the dimension among the index tensors
        ((slice(None), [-5]), IndexError, "index -5 is out of bounds for dimension 0 with size 4"),
        ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
        ((Ellipsis, 0, Ellipsis), IndexError, "an index can only have a single ellipsis"),
        (
            ember.tensor([0.0]),
            IndexError,
            "tensors used as indices must be long, int, byte or bool tensors",
        ),
        ([0.5], IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
        (
            1.5,
            IndexError,
            r"only integers, slices \(`:`\), ellipsis \(`...`\), None and long or byte Variables are valid indices \(got float\)",
        ),
        ("a", IndexError, r"valid indices \(got str\)"),
        (
            ember.tensor([True, False]),
            IndexError,
            r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3, 4\] at index 0",
        ),
        (
            (slice(None), ember.tensor([True, False])),
            IndexError,
            r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3, 4\] at index 1",
        ),
        (
            ([0, 1], [0, 1, 2]),
            IndexError,
            r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], \[3\]",
        ),
    ],
)
def test_getitem_errors(index, error, message):
    with pytest.raises(error, match=message):
        ember.zeros(3, 4)[index]


def test_uint8_masks_are_deprecated_but_work():
    x = ember.arange(3)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        assert x[ember.tensor([1, 0, 1], dtype=ember.uint8)].tolist() == [0, 2]


# ------------------------------------------------------------------------------- setitem


SET_CASES = [
    (1, 7.0),
    ((slice(None), slice(1, 3)), -1.0),
    ((slice(None), 2), _x(3)),
    ((Ellipsis, None, 0), _x(1, 1, 3, 1)),  # leading size-1 dims of the value are dropped
    ([0, 2], _x(4)),
    ((slice(None), [3, 0]), _x(3, 1)),
    (([0, 2], [1, 1]), _x(2)),
    (MASK3[:, :, 0], 5.0),
    (MASK3[:, :, 0], _x(int(MASK3[:, :, 0].sum()))),
    ((1, [0, 3]), _x(2)),
    (True, _x(4)),
]


@pytest.mark.parametrize(("index", "value"), SET_CASES)
def test_setitem_matches_numpy(index, value):
    base = _x(3, 4)
    expected = base.copy()
    expected[index] = value
    x = ember.tensor(base)
    x[ember.tensor(index) if isinstance(index, np.ndarray) else index] = (
        ember.tensor(value) if isinstance(value, np.ndarray) else value
    )
    assert_close(x, expected)


def test_setitem_on_device(device):
    x = ember.zeros(3, 4, device=device)
    x[1] = 2.0
    x[ember.tensor([0, 2], device=device), ember.tensor([3, 1], device=device)] = ember.tensor(
        [5.0, 6.0], device=device
    )
    x[x > 5.5] = ember.tensor(9.0)  # a CPU scalar may be written to any device
    x[:, 0] = ember.tensor([[1.0, 1.0, 1.0]], device=device)
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 2
    expected[[0, 2], [3, 1]] = [5, 9]
    expected[:, 0] = 1
    assert_close(x, expected)
    assert x.device.type == device


def test_setitem_writes_in_place_and_views_see_it():
    x = ember.zeros(3, 4)
    data, row = x._data, x[1]
    x[1, 2] = 5
    x[[0, 0], [1, 3]] = ember.tensor([1.0, 2.0])
    assert x._data is data and row.tolist() == [0.0, 0.0, 5.0, 0.0]
    row[0] = 7  # writing into a view writes into x
    assert x.tolist() == [[0.0, 1.0, 0.0, 2.0], [7.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    col = x[:, 1:2]
    col[...] = -1
    assert x[:, 1].tolist() == [-1.0, -1.0, -1.0]


def test_setitem_casts_like_torch():
    x = ember.zeros(3, dtype=ember.int64)
    x[0] = 2.7  # a Python number is converted to the tensor's dtype
    x[1:] = ember.tensor([1.9, -1.9])  # basic indexing copies with a cast
    assert x.tolist() == [2, 1, -1] and x.dtype == ember.int64
    with pytest.raises(
        RuntimeError,
        match=r"Index put requires the source and destination dtypes match, got Long for the "
        r"destination and Float for the source\.",
    ):
        x[[0, 1]] = ember.tensor([1.0, 2.0])
    b = ember.zeros(2, dtype=ember.bool)
    b[1] = True
    assert b.tolist() == [False, True]


@pytest.mark.parametrize(
    ("index", "value", "error", "message"),
    [
        (
            0,
            ember.ones(3),
            RuntimeError,
            r"The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 0",
        ),
        (
            [0, 1],
            ember.ones(3),
            RuntimeError,
            r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2, 4\]",
        ),
        (0, [1.0, 2.0], TypeError, "can't assign a list to a ember.FloatTensor"),
        (slice(None, None, -1), 1.0, ValueError, "step must be greater than zero"),
    ],
)
def test_setitem_errors(index, value, error, message):
    with pytest.raises(error, match=message):
        ember.zeros(3, 4)[index] = value


def test_setitem_on_leaf_requiring_grad():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"a leaf Variable that requires grad is being used in an in-place operation\.",
    ):
        w[0] = 2.0
    with ember.no_grad():
        w[0] = 2.0
    assert w.tolist() == [2.0, 1.0, 1.0] and w.is_leaf


def test_setitem_gradients_reach_the_old_history_and_the_value():
    w = ember.tensor(_x(3, 4), requires_grad=True)
    v = ember.tensor(_x(4), requires_grad=True)
    x = w * 2
    x[[0, 2]] = v  # v broadcast to two rows
    assert x.grad_fn.name() == "IndexPutBackward0"
    weights = ember.tensor(_x(3, 4))
    (x * weights).sum().backward()
    expected_w = 2 * weights.numpy()
    expected_w[[0, 2]] = 0  # overwritten values receive no gradient
    assert_close(w.grad, expected_w)
    assert_close(v.grad, weights.numpy()[[0, 2]].sum(0))


def test_setitem_makes_a_plain_tensor_require_grad():
    x = ember.zeros(2, 3)
    v = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[1] = v
    assert x.requires_grad and not x.is_leaf
    (x * x).sum().backward()
    assert_close(v.grad, [2.0, 4.0, 6.0])


@pytest.mark.parametrize(
    ("index", "value_shape"),
    [
        ((1, slice(None, None, 2)), (2,)),
        (([2, 0], slice(1, 3)), (2,)),
        ((slice(None), [1, 3]), (3, 2)),
        (MASK3[:, :, 0], (int(MASK3[:, :, 0].sum()),)),
    ],
)
def test_setitem_gradcheck(index, value_shape):
    def put(w, v):
        x = w * 1.0
        x[ember.tensor(index) if isinstance(index, np.ndarray) else index] = v
        return x

    w = ember.tensor(_x(3, 4), requires_grad=True)
    v = ember.tensor(_x(*value_shape), requires_grad=True)
    assert ember.autograd.gradcheck(put, [w, v])
    assert ember.autograd.gradgradcheck(lambda w, v: put(w, v) ** 2, [w, v])


# ---------------------------------------------------------------------- gather / scatter


def _gather_ref(x, dim, index):
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _scatter_ref(x, dim, index, src, add=False):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        value = src[pos] if np.ndim(src) else src
        out[tuple(dst)] = out[tuple(dst)] + value if add else value
    return out


GATHER = [
    (0, (3, 4), np.array([[0, 1, 2, 0], [2, 2, 1, 0]])),
    (1, (3, 4), np.array([[3, 3], [0, 1], [2, 2]])),
    (-1, (2, 3, 4), RNG.integers(0, 4, (2, 2, 5))),
    (1, (3, 4), np.array([[0], [3]])),  # index smaller than input in dim 0
    (0, (), np.array(0)),
]


@pytest.mark.parametrize(("dim", "shape", "index"), GATHER)
def test_gather(dim, shape, index):
    check_op(
        lambda x, i: x.gather(dim, i),
        lambda x, i: _gather_ref(
            x.reshape(x.shape or (1,)), dim % max(len(shape), 1), i.reshape(i.shape or (1,))
        ).reshape(i.shape),
        _x(*shape),
        index,
    )


def test_gather_second_order_and_device(device):
    x = _x(3, 4)
    index = np.array([[1, 1, 0, 2]])
    check_op(
        lambda x, i: ember.gather(x, 0, i),
        lambda x, i: _gather_ref(x, 0, i),
        x,
        index,
        device=device,
        gradgrad=True,
    )


@pytest.mark.parametrize(("dim", "shape", "index"), GATHER[:4])
def test_scatter_add(dim, shape, index):
    out_shape = list(shape)
    out_shape[dim] = max(out_shape[dim], int(index.max()) + 1)
    src = _x(*[n + 1 for n in index.shape])  # src may be larger than index
    check_op(
        lambda x, i, s: x.scatter_add(dim, i, s),
        lambda x, i, s: _scatter_ref(x, dim % x.ndim, i, s, add=True),
        _x(*out_shape),
        index,
        src,
        gradgrad=True,
    )


def test_scatter_add_accumulates_duplicates(device):
    x = ember.zeros(2, 3, device=device)
    index = ember.tensor([[0, 0, 0], [1, 0, 1]], device=device)
    src = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    assert_close(ember.scatter_add(x, 0, index, src), [[1.0, 7.0, 3.0], [4.0, 0.0, 6.0]])
    ints = ember.zeros(4, dtype=ember.int64).scatter_add(
        0, ember.tensor([1, 1, 3]), ember.tensor([5, 6, 7])
    )
    assert ints.tolist() == [0, 11, 0, 7] and ints.dtype == ember.int64


def test_scatter_with_src_value_and_reduce():
    x = _x(3, 4)
    index = np.array([[2, 0, 1, 1], [0, 1, 0, 2]])  # distinct per column: no write conflicts
    src = _x(2, 4)
    check_op(
        lambda x, i, s: x.scatter(0, i, s),
        lambda x, i, s: _scatter_ref(x, 0, i, s),
        x,
        index,
        src,
        gradgrad=True,
    )
    check_op(
        lambda x, i: ember.scatter(x, 1, i, value=2.5),
        lambda x, i: _scatter_ref(x, 1, i, 2.5),
        x,
        np.array([[3], [0]]),
    )
    check_op(
        lambda x, i: x.scatter(0, i, -1.0),  # a number in src's place is the value
        lambda x, i: _scatter_ref(x, 0, i, -1.0),
        x,
        index,
    )
    t = ember.ones(2, 2)
    i = ember.tensor([[0, 0], [0, 1]])
    s = ember.tensor([[2.0, 3.0], [4.0, 5.0]])
    assert_close(t.scatter(0, i, s, reduce="add"), [[7.0, 4.0], [1.0, 6.0]])
    assert_close(t.scatter(0, i, s, reduce="multiply"), [[8.0, 3.0], [1.0, 5.0]])
    assert_close(t.scatter(0, i, 2.0, reduce="add"), [[5.0, 3.0], [1.0, 3.0]])
    with pytest.raises(RuntimeError, match=r"reduce argument must be either add or multiply\."):
        t.scatter(0, i, s, reduce="max")


def test_scatter_in_place_methods():
    x = ember.zeros(2, 3)
    data = x._data
    x.scatter_(1, ember.tensor([[2], [0]]), ember.tensor([[1.0], [2.0]]))
    x.scatter_add_(0, ember.tensor([[1, 1, 1]]), ember.ones(1, 3))
    x.scatter_(0, ember.tensor([[0]]), value=9.0)
    assert x._data is data
    assert x.tolist() == [[9.0, 0.0, 1.0], [3.0, 1.0, 1.0]]
    w = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.scatter_(0, ember.tensor([0]), 2.0)
    y = w * 3
    y.scatter_(0, ember.tensor([1]), 0.0)
    y.sum().backward()
    assert_close(w.grad, [3.0, 0.0])


@pytest.mark.parametrize(
    ("op", "error", "message"),
    [
        (
            lambda x: x.gather(0, ember.tensor([[0.0]])),
            RuntimeError,
            r"gather\(\): Expected dtype int32/int64 for index",
        ),
        (
            lambda x: x.gather(0, ember.tensor([0])),
            RuntimeError,
            "Index tensor must have the same number of dimensions as input tensor",
        ),
        (
            lambda x: x.gather(0, ember.zeros(1, 5, dtype=ember.int64)),
            RuntimeError,
            r"Size does not match at dimension 1 expected index \[1, 5\] to be no larger than self \[2, 3\] apart from dimension 0",
        ),
        (
            lambda x: x.gather(1, ember.tensor([[3]])),
            RuntimeError,
            "index 3 is out of bounds for dimension 1 with size 3",
        ),
        (
            lambda x: x.gather(1, ember.tensor([[-1]])),
            RuntimeError,
            "index -1 is out of bounds for dimension 1 with size 3",
        ),
        (
            lambda x: x.scatter(0, ember.tensor([[0]]), ember.ones(1, 1, dtype=ember.float64)),
            RuntimeError,
            r"scatter\(\): Expected self.dtype to be equal to src.dtype",
        ),
        (
            lambda x: x.scatter_add(0, ember.tensor([[0, 1]]), ember.ones(1, 1)),
            RuntimeError,
            r"Expected index \[1, 2\] to be no larger than self \[2, 3\] apart from dimension 0 and to be no larger size than src \[1, 1\]",
        ),
        (
            lambda x: x.scatter(1, ember.tensor([[0, 1]]), ember.ones(2)),
            RuntimeError,
            "Index tensor must have the same number of dimensions as src tensor",
        ),
        (
            lambda x: x.scatter(0, ember.tensor([[2]]), 1.0),
            RuntimeError,
            "index 2 is out of bounds for dimension 0 with size 2",
        ),
        (
            lambda x: x.index_select(0, ember.tensor([[0]])),
            IndexError,
            r"index_select\(\): Index is supposed to be a vector",
        ),
        (
            lambda x: x.index_select(0, ember.tensor([0.0])),
            RuntimeError,
            r"index_select\(\): Expected dtype int32 or int64 for index",
        ),
        (lambda x: x.index_select(1, ember.tensor([3])), IndexError, "index out of range in self"),
        (lambda x: x.index_select(1, ember.tensor([-1])), IndexError, "index out of range in self"),
        (
            lambda x: ember.index_add(x, 1, ember.tensor([1, 3]), ember.ones(2, 2)),
            RuntimeError,
            "index 3 is out of bounds for dimension 1 with size 3",
        ),
        (
            lambda x: ember.index_copy(x, 0, ember.tensor([-1]), ember.ones(1, 3)),
            IndexError,
            r"index_copy_\(\): index -1 is out of bounds for dimension 0 with size 2",
        ),
        (
            lambda x: ember.index_add(
                x, 0, ember.tensor([0]), ember.ones(1, 3, dtype=ember.float64)
            ),
            RuntimeError,
            r"index_add_\(\): self \(Float\) and source \(Double\) must have the same scalar type",
        ),
        (
            lambda x: ember.index_add(x, 0, ember.tensor([0.0]), ember.ones(1, 3)),
            RuntimeError,
            r"index_add_\(\): Expected dtype int32/int64 for index but got: Float",
        ),
        (
            lambda x: ember.index_copy(x, 0, ember.tensor([0, 1]), ember.ones(1, 3)),
            IndexError,
            r"index_copy_\(\): Number of indices \(2\) should be equal to source.size\(dim\) \(1\)",
        ),
        (
            lambda x: x.masked_fill(ember.ones(2, 3), 0.0),
            RuntimeError,
            "masked_fill_ only supports boolean masks, but got mask with dtype float",
        ),
        (
            lambda x: x.masked_fill(x > 0, ember.ones(1)),
            RuntimeError,
            r"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension\(s\).",
        ),
        (
            lambda x: x.masked_select(ember.ones(3, dtype=ember.int64)),
            RuntimeError,
            "masked_select: expected BoolTensor for mask",
        ),
        (
            lambda x: ember.take_along_dim(x, ember.tensor([0]), 0),
            RuntimeError,
            "input and indices should have the same number of dimensions, but got 2 dimensions for input, and 1 dimensions for indices",
        ),
    ],
)
def test_gather_family_errors(op, error, message):
    with pytest.raises(error, match=message):
        op(ember.zeros(2, 3))


# ------------------------------------------------------------ index_select, add, copy


@pytest.mark.parametrize(
    ("dim", "index"),
    [
        (0, np.array([2, 0, 2])),
        (1, np.array([3])),
        (-1, np.array([1, 1, 0, 3, 1])),
        (0, np.array(1)),
    ],
)
def test_index_select(dim, index):
    check_op(
        lambda x, i: x.index_select(dim, i),
        lambda x, i: np.take(x, i.reshape(-1), axis=dim),
        _x(3, 4),
        index,
        gradgrad=True,
    )


def test_index_select_on_device(device):
    check_op(
        lambda x, i: ember.index_select(x, 1, i),
        lambda x, i: x[:, i],
        _x(2, 4),
        np.array([3, 0, 3]),
        device=device,
    )


def test_index_add_and_index_copy():
    index = np.array([2, 0, 2])

    def add_ref(x, i, s):
        out = x.copy()
        for k, row in zip(i, s.swapaxes(0, 1)):
            out[:, k] += 2 * row
        return out

    def copy_ref(x, i, s):
        out = x.copy()
        out[:, i] = s
        return out

    check_op(
        lambda x, i, s: ember.index_add(x, 1, i, s, alpha=2),
        add_ref,
        _x(2, 4),
        index,
        _x(2, 3),
        gradgrad=True,
    )
    check_op(
        lambda x, i, s: ember.index_copy(x, 1, i, s), copy_ref, _x(2, 4), np.array([3, 0]), _x(2, 2)
    )


# ------------------------------------------------------------------------------- masks


def test_masked_fill():
    mask = RNG.random((3, 1)) > 0.5
    check_op(
        lambda x, m: x.masked_fill(m, -2.0),
        lambda x, m: np.where(m, -2.0, x),
        _x(3, 4),
        mask,
        gradgrad=True,
    )
    check_op(  # the mask may broadcast the input, out of place
        lambda x, m: ember.masked_fill(x, m, 1.0),
        lambda x, m: np.where(m, 1.0, x),
        _x(4),
        RNG.random((2, 4)) > 0.5,
    )
    check_op(  # a 0-d tensor value receives a gradient
        lambda x, v, m: x.masked_fill(m, v),
        lambda x, v, m: np.where(m, v, x),
        _x(2, 3),
        _x(),
        np.array([[True, False, True], [False, False, True]]),
    )
    ints = ember.arange(4).masked_fill(ember.tensor([True, False, True, False]), 9.7)
    assert ints.tolist() == [9, 1, 9, 3] and ints.dtype == ember.int64


def test_masked_fill_in_place_and_on_device(device):
    x = ember.arange(6.0, device=device).reshape(2, 3)
    data = x._data
    x.masked_fill_(x > 3, 0.0)
    x.masked_fill_(ember.tensor([True, False, False], device=device), ember.tensor(-1.0))
    assert x._data is data
    assert x.tolist() == [[-1.0, 1.0, 2.0], [-1.0, 0.0, 0.0]]


def test_masked_select(device):
    mask = np.array([[True, False, True, True]])
    check_op(
        lambda x, m: x.masked_select(m),
        lambda x, m: x[np.broadcast_to(m, x.shape)],
        _x(3, 4),
        mask,
        device=device,
    )
    assert ember.masked_select(ember.tensor(3.0), ember.tensor(True)).tolist() == [3.0]


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), ()])
def test_nonzero(shape, device):
    a = (RNG.random(shape) > 0.5) * RNG.integers(1, 5, shape)
    x = ember.tensor(a, device=device)
    out = x.nonzero()
    assert out.dtype == ember.int64 and out.device.type == device
    if shape:
        assert_close(out, np.argwhere(a))
        assert_close(ember.nonzero(x, as_tuple=True), np.nonzero(a))
    else:
        assert out.shape == ((1, 0) if a else (0, 0))
        assert [t.tolist() for t in x.nonzero(as_tuple=True)] == [[0] if a else []]
    assert [t.tolist() for t in ember.where(x > 2)] == [
        c.tolist() for c in np.nonzero(np.atleast_1d(a > 2))
    ]


def test_take_along_dim():
    x = _x(3, 4)
    order = np.argsort(x, axis=1)
    check_op(
        lambda x, i: ember.take_along_dim(x, i, 1),
        lambda x, i: np.take_along_axis(x, i, 1),
        x,
        order,
    )
    check_op(  # indices broadcast against the input
        lambda x, i: ember.take_along_dim(x, i, dim=0),
        lambda x, i: np.take_along_axis(x, i, 0),
        x,
        np.array([[2], [0]]),
    )
    check_op(
        lambda x, i: ember.take_along_dim(x, i),
        lambda x, i: np.take_along_axis(x.reshape(-1), i.reshape(-1), 0),
        x,
        np.array([[11, 0], [5, 5]]),
    )


def test_no_warnings_from_numpy_in_index_kernels():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = ember.zeros(0, 3, requires_grad=True)
        empty[ember.tensor([], dtype=ember.int64)].sum().backward()
        assert empty.grad.shape == (0, 3)
