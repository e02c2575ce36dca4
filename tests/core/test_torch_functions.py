"""torch's top-level functions that ember._torch_functions adds: the top-level forms of
nn.functional (argument orders, the Reduction enum), the *_copy views, gradient, vander, the
triangle indices, low-rank decompositions and the process-wide switches -- against numpy
references and hand-computed values, gradients by finite differences (float64)."""

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(0)


def _f64(*shape):
    return ember.tensor(RNG.standard_normal(shape), dtype=ember.float64, requires_grad=True)


def _np(t):
    return t.detach().numpy()


# ------------------------------------------------------------------- convolution and pooling


@pytest.mark.parametrize("pad", [0, 1])
def test_conv_tbc_against_sliding_windows(pad):
    x, w, b = _f64(6, 2, 3), _f64(3, 3, 4), _f64(4)
    xp = np.pad(_np(x), ((pad, pad), (0, 0), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, 3, axis=0)  # (T', B, Cin, K)
    expected = np.einsum("tbck,kco->tbo", windows, _np(w)) + _np(b)
    assert_close(ember.conv_tbc(x, w, b, pad), expected)
    assert gradcheck(lambda x, w, b: ember.conv_tbc(x, w, b, pad), (x, w, b))


def test_conv_tbc_checks_shapes():
    with pytest.raises(RuntimeError, match="Input must have 3 dims: time, batch, in_channel"):
        ember.conv_tbc(ember.ones(5, 2), ember.ones(2, 2, 4), ember.ones(4))
    with pytest.raises(RuntimeError, match="Bias size must equal dim 2 in the weight tensor"):
        ember.conv_tbc(ember.ones(5, 2, 2), ember.ones(2, 2, 4), ember.ones(3))


def test_top_level_convolutions_are_nn_functional():
    for name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d"):
        assert getattr(ember, name) is getattr(ember.nn.functional, name)


def test_max_pools_take_an_empty_stride_as_the_kernel():
    x = ember.tensor(RNG.standard_normal((2, 3, 8)))
    assert_close(ember.max_pool1d(x, 2), _np(x).reshape(2, 3, 4, 2).max(-1))
    x2 = ember.tensor(RNG.standard_normal((1, 2, 4, 6)))
    expected = _np(x2).reshape(1, 2, 2, 2, 3, 2).max((3, 5))
    assert_close(ember.max_pool2d(x2, 2, []), expected)
    x3 = ember.tensor(RNG.standard_normal((1, 1, 2, 2, 4)))
    assert_close(
        ember.max_pool3d(x3, 2, ()), _np(x3).reshape(1, 1, 1, 2, 1, 2, 2, 2).max((3, 5, 7))
    )


def test_pools_with_indices():
    x = ember.tensor([[[1.0, 5.0, 2.0, 2.5, 9.0, 0.0]]])
    values, indices = ember.max_pool1d_with_indices(x, 2)
    assert_close(values, [[[5.0, 2.5, 9.0]]])
    assert indices.tolist() == [[[1, 3, 4]]] and indices.dtype is ember.int64
    values, indices = ember.adaptive_max_pool1d(x, 2)
    assert_close(values, [[[5.0, 9.0]]])
    assert indices.tolist() == [[[1, 4]]]


# ----------------------------------------------------------------------------- normalization


def test_batch_norm_argument_order():
    x, w, b = _f64(4, 3), _f64(3), _f64(3)
    mean = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64)
    var = ember.tensor([1.0, 4.0, 0.25], dtype=ember.float64)
    y = ember.batch_norm(x, w, b, mean, var, False, 0.1, 1e-5, True)
    m, v = _np(mean).copy(), _np(var).copy()
    assert_close(y, (_np(x) - m) / np.sqrt(v + 1e-5) * _np(w) + _np(b))
    # training: batch statistics, and the running ones updated in place
    y = ember.batch_norm(x, None, None, mean, var, True, 0.5, 1e-5, False)
    xs = _np(x)
    assert_close(y, (xs - xs.mean(0)) / np.sqrt(xs.var(0) + 1e-5))
    assert_close(mean, 0.5 * m + 0.5 * xs.mean(0))
    assert_close(var, 0.5 * v + 0.5 * xs.var(0, ddof=1))


def test_instance_layer_group_norm():
    x = _f64(2, 4, 5)
    xs = _np(x)
    y = ember.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, True)
    mean, var = xs.mean(-1, keepdims=True), xs.var(-1, keepdims=True)
    assert_close(y, (xs - mean) / np.sqrt(var + 1e-5))
    w = _f64(5)
    y = ember.layer_norm(x, [5], w, None, 1e-3, False)
    assert_close(y, (xs - mean) / np.sqrt(var + 1e-3) * _np(w))
    g = xs.reshape(2, 2, 10)
    expected = (g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)
    assert_close(ember.group_norm(x, 2, cudnn_enabled=False), expected.reshape(2, 4, 5))
    assert gradcheck(lambda x, w: ember.layer_norm(x, (5,), w), (x, w))


# ----------------------------------------------------------------------------------- dropout


@pytest.mark.parametrize(
    "name",
    ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"],
)
def test_dropout_family_signature_and_identity_cases(name):
    x = ember.ones(3, 4)
    assert getattr(ember, name)(x, 0.5, False) is x
    assert getattr(ember, name)(x, 0.0, True) is x
    assert getattr(ember, name + "_")(x, 0.3, False) is x
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1"):
        getattr(ember, name)(x, -0.1, True)


def test_dropout_scales_the_kept_elements():
    ember.manual_seed(0)
    y = ember.dropout(ember.ones(200, 50), 0.25, True)
    values = set(np.unique(_np(y)))
    assert values == {0.0, np.float32(4.0 / 3.0)}
    assert abs((_np(y) == 0).mean() - 0.25) < 0.02
    x = ember.ones(10, 10)
    assert ember.dropout_(x, 0.5, True) is x and set(np.unique(_np(x))) <= {0.0, 2.0}


def test_feature_dropout_drops_whole_channels():
    ember.manual_seed(1)
    y = _np(ember.feature_dropout(ember.ones(8, 6, 5, 3), 0.5, True))
    per_channel = y.reshape(8, 6, -1)
    assert (per_channel == per_channel[..., :1]).all()  # one draw per (n, c)
    assert set(np.unique(y)) == {0.0, 2.0}
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        ember.feature_dropout(ember.ones(3), 0.5, True)


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(2)
    x = ember.tensor(RNG.standard_normal(200_000), dtype=ember.float64)
    y = _np(ember.alpha_dropout(x, 0.2, True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


# -------------------------------------------------------------------------------- embeddings


@pytest.mark.parametrize("padding_idx, masked", [(-1, None), (-2, None), (2, 2), (9, None)])
def test_embedding_padding_idx(padding_idx, masked):
    w = _f64(5, 3)
    indices = ember.tensor([[0, 2], [2, 4]])
    y = ember.embedding(w, indices, padding_idx)
    assert_close(y, _np(w)[[[0, 2], [2, 4]]])
    y.sum().backward()
    counts = np.array([1.0, 0.0, 2.0, 0.0, 1.0])
    if masked is not None:
        counts[masked] = 0.0
    assert_close(w.grad, np.repeat(counts[:, None], 3, 1))


def test_embedding_scale_grad_by_freq():
    w = _f64(4, 2)
    ember.embedding(w, ember.tensor([1, 1, 3]), -1, True).sum().backward()
    assert_close(w.grad, [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])


def test_embedding_renorm_():
    w = ember.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    assert ember.embedding_renorm_(w, ember.tensor([0, 1]), 1.0, 2.0) is w
    assert_close(np.linalg.norm(_np(w), axis=1), [1.0, 0.5, 10.0], rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ember.embedding_renorm_(_f64(3, 2), ember.tensor([0]), 1.0, 2.0)
    with pytest.raises(RuntimeError, match="scalar types: Long, Int"):
        ember.embedding_renorm_(w, ember.tensor([0.0]), 1.0, 2.0)


def test_native_channel_shuffle_and_constant_pad_nd():
    x = ember.arange(8.0).reshape(1, 4, 2)
    assert ember.native_channel_shuffle(x, 2).tolist() == [[[0, 1], [4, 5], [2, 3], [6, 7]]]
    a = RNG.standard_normal((2, 3))
    assert_close(
        ember.constant_pad_nd(ember.tensor(a), [1, 2], 7.0),
        np.pad(a, ((0, 0), (1, 2)), constant_values=7.0),
    )
    assert_close(
        ember.constant_pad_nd(ember.tensor(a), [0, -1, 1, 0]), np.pad(a[:, :-1], ((1, 0), (0, 0)))
    )


# ------------------------------------------------------------------------------------ losses


@pytest.mark.parametrize("reduction, reduce", [(0, None), (1, np.mean), (2, np.sum), (7, None)])
def test_losses_take_the_reduction_enum(reduction, reduce):
    x, y = _f64(3, 4), _f64(3, 4)
    t = ember.tensor([1.0, -1.0, 1.0], dtype=ember.float64)
    xs, ys, ts = _np(x), _np(y), _np(t)

    def check(loss, expected):
        assert_close(loss, expected if reduce is None else reduce(expected))

    p = np.abs(ys) + 0.1
    check(ember.kl_div(x, ember.tensor(p), reduction), p * (np.log(p) - xs))
    check(ember.kl_div(x, y, reduction, log_target=True), np.exp(ys) * (ys - xs))
    a, b = x[:, 0], y[:, 0]
    check(
        ember.margin_ranking_loss(a, b, t, 0.5, reduction),
        np.maximum(0, -ts * (xs[:, 0] - ys[:, 0]) + 0.5),
    )
    check(
        ember.hinge_embedding_loss(a, t, 1.0, reduction),
        np.where(ts == 1, xs[:, 0], np.maximum(0, 1.0 - xs[:, 0])),
    )
    check(
        ember.poisson_nll_loss(x, ember.tensor(p), True, False, 1e-8, reduction),
        np.exp(xs) - p * xs,
    )
    cos = (xs * ys).sum(1) / np.sqrt((xs**2).sum(1) * (ys**2).sum(1))
    check(
        ember.cosine_embedding_loss(x, y, t, 0.2, reduction),
        np.where(ts == 1, 1 - cos, np.maximum(0, cos - 0.2)),
    )
    z = _f64(3, 4)
    d_pos = np.linalg.norm(xs - ys + 1e-6, axis=1)
    d_neg = np.linalg.norm(xs - _np(z) + 1e-6, axis=1)
    check(
        ember.triplet_margin_loss(x, y, z, 1.0, 2.0, 1e-6, False, reduction),
        np.maximum(0, 1.0 + d_pos - d_neg),
    )
    target = 1 / (1 + np.exp(-ys))
    pos_weight = np.array([1.0, 2.0, 0.5, 1.5])
    log_sig = -np.log1p(np.exp(-xs))
    log_not_sig = -np.log1p(np.exp(xs))
    expected = -(pos_weight * target * log_sig + (1 - target) * log_not_sig)
    check(
        ember.binary_cross_entropy_with_logits(
            x, ember.tensor(target), None, ember.tensor(pos_weight), reduction
        ),
        expected,
    )


def test_loss_gradients_and_ctc():
    x, y, t = _f64(4), _f64(4), ember.tensor([1.0, -1.0, -1.0, 1.0], dtype=ember.float64)
    assert gradcheck(lambda a, b: ember.margin_ranking_loss(a, b, t, 0.1, 2), (x, y))
    log_probs = ember.tensor(RNG.standard_normal((5, 2, 3))).log_softmax(2)
    targets = ember.tensor([[1, 2], [1, 1]])
    per_sequence = ember.ctc_loss(log_probs, targets, [5, 5], [2, 2], 0, 0, False)
    assert tuple(per_sequence.shape) == (2,)
    assert_close(ember.ctc_loss(log_probs, targets, [5, 5], [2, 2], 0, 2), per_sequence.sum())
    mean = ember.ctc_loss(log_probs, targets, [5, 5], [2, 2])
    assert_close(mean, (per_sequence / 2).mean())


def test_reduction_must_be_an_int():
    x = ember.ones(3)
    with pytest.raises(TypeError, match=r"kl_div\(\): argument 'reduction' must be int, not str"):
        ember.kl_div(x, x, "mean")
    with pytest.raises(TypeError, match="not bool"):
        ember.ctc_loss(ember.ones(2, 1, 2), ember.tensor([[1]]), [2], [1], reduction=True)


# ---------------------------------------------------------------- factories and operations


def test_triangle_indices():
    assert ember.tril_indices(3, 3).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert ember.triu_indices(3, 4, 2).tolist() == [[0, 0, 1], [2, 3, 3]]
    assert ember.tril_indices(2, 3, -1, dtype=ember.int32).dtype is ember.int32
    assert tuple(ember.triu_indices(0, 3).shape) == (2, 0)
    with pytest.raises(RuntimeError, match="col must be non-negative, got-2"):
        ember.triu_indices(2, -2)
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        ember.tril_indices(2, 2, dtype=ember.bool)


@pytest.mark.parametrize("N, increasing", [(None, False), (5, True), (2, False)])
def test_vander_against_numpy(N, increasing):
    x = ember.tensor([0.0, 1.5, -2.0, 0.5], dtype=ember.float64, requires_grad=True)
    assert_close(ember.vander(x, N, increasing), np.vander(_np(x), N, increasing))
    assert gradcheck(lambda x: ember.vander(x, N, increasing), (x,))


def test_vander_dtypes_and_degenerate_sizes():
    v = ember.vander(ember.tensor([2, 3], dtype=ember.int32))
    assert v.dtype is ember.int64 and v.tolist() == [[2, 1], [3, 1]]
    assert ember.vander(ember.tensor([True, False]), increasing=True).tolist() == [[1, 1], [1, 0]]
    assert ember.vander(ember.ones(3), 1).tolist() == [[1.0], [1.0], [1.0]]
    assert tuple(ember.vander(ember.ones(3), 0).shape) == (3, 0)
    with pytest.raises(RuntimeError, match=r"x must be a one-dimensional tensor\."):
        ember.vander(ember.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"N must be non-negative\."):
        ember.vander(ember.ones(2), -1)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_against_numpy(edge_order):
    f = _f64(4, 5)
    fs = _np(f)
    rows = np.array([0.0, 0.5, 2.0, 2.25])
    cols = np.array([-1.0, 0.0, 1.5, 4.0, 4.5])
    cases = [
        ({}, np.gradient(fs, edge_order=edge_order)),
        ({"spacing": 2.0}, np.gradient(fs, 2.0, edge_order=edge_order)),
        ({"spacing": [0.5, 3.0]}, np.gradient(fs, 0.5, 3.0, edge_order=edge_order)),
        ({"dim": 1}, [np.gradient(fs, axis=1, edge_order=edge_order)]),
        ({"dim": (1, 0)}, np.gradient(fs, axis=(1, 0), edge_order=edge_order)),
        (
            {"spacing": (ember.tensor(rows), ember.tensor(cols))},
            np.gradient(fs, rows, cols, edge_order=edge_order),
        ),
        (
            {"spacing": [ember.tensor(cols)], "dim": -1},
            [np.gradient(fs, cols, axis=-1, edge_order=edge_order)],
        ),
    ]
    for kwargs, expected in cases:
        result = ember.gradient(f, edge_order=edge_order, **kwargs)
        assert isinstance(result, tuple) and len(result) == len(expected)
        for r, e in zip(result, expected):
            assert_close(r, e, rtol=1e-10, atol=1e-10)
        assert gradcheck(lambda f, kw=kwargs: ember.gradient(f, edge_order=edge_order, **kw), (f,))


def test_gradient_integers_and_errors():
    ints = ember.tensor([1, 4, 9, 16])
    result = ember.gradient(ints)[0]
    assert result.dtype is ember.float32 and result.tolist() == [3.0, 4.0, 6.0, 7.0]
    assert ember.gradient(ember.tensor(2.0)) == ()
    x = ember.ones(3, 4)
    for kwargs, message in (
        ({"edge_order": 3}, "only supports edge_order=1 and edge_order=2"),
        ({"spacing": [1.0]}, "since dim argument was not given, but got a list of length 1"),
        ({"spacing": [1.0, 2.0], "dim": 1}, "a spacing argument of length 2 and a dim"),
        ({"dim": (0, 0)}, "dim 0 appears multiple times"),
        ({"dim": 0, "edge_order": 2, "spacing": 1}, "at least edge_order\\+1"),
        ({"spacing": [ember.ones(3, 1), ember.ones(4)]}, "to have one dimension"),
    ):
        with pytest.raises(RuntimeError, match=message):
            ember.gradient(x[:2] if "edge_order" in kwargs else x, **kwargs)
    with pytest.raises(RuntimeError, match="does not support uint8 input"):
        ember.gradient(ember.ones(3, dtype=ember.uint8))


def test_index_put_and_detach():
    x = ember.zeros(3, 2)
    v = ember.tensor([1.0, 2.0])
    index = (ember.tensor([0, 0]), ember.tensor([1, 1]))
    assert ember.index_put(x, index, v, True).tolist() == [[0, 3], [0, 0], [0, 0]]
    assert x.tolist() == [[0, 0], [0, 0], [0, 0]]
    assert ember.index_put_(x, index, v) is x and x[0, 1].item() == 2.0
    y = _f64(2)
    assert not ember.detach(y).requires_grad
    z = ember.tensor([[1 + 2j, 3j]])
    assert_close(ember.adjoint(z), np.conj(_np(z)).T)


COPIES = [
    ("alias_copy", (2, 3), (), lambda a: a),
    ("as_strided_copy", (6,), ((2, 2), (1, 2), 1), lambda a: a[[[1, 3], [2, 4]]]),
    ("diagonal_copy", (3, 4), (1,), lambda a: np.diagonal(a, 1)),
    ("expand_copy", (1, 3), ((2, 3),), lambda a: np.broadcast_to(a, (2, 3))),
    ("permute_copy", (2, 3, 4), ((2, 0, 1),), lambda a: a.transpose(2, 0, 1)),
    ("select_copy", (3, 4), (1, -1), lambda a: a[:, -1]),
    ("slice_copy", (5, 4), (0, 1, 100, 2), lambda a: a[1::2]),
    ("slice_copy", (5, 4), (-1, None, -1), lambda a: a[:, :-1]),
    ("squeeze_copy", (1, 3, 1), (), lambda a: a.squeeze()),
    ("squeeze_copy", (1, 3, 1), (0,), lambda a: a[0]),
    ("t_copy", (2, 3), (), lambda a: a.T),
    ("transpose_copy", (2, 3, 4), (0, 2), lambda a: a.swapaxes(0, 2)),
    ("unfold_copy", (7,), (0, 3, 2), lambda a: np.lib.stride_tricks.sliding_window_view(a, 3)[::2]),
    ("unsqueeze_copy", (3,), (-1,), lambda a: a[:, None]),
    ("view_copy", (2, 6), ((3, 4),), lambda a: a.reshape(3, 4)),
]


@pytest.mark.parametrize("name, shape, args, reference", COPIES, ids=[c[0] for c in COPIES])
def test_copies_of_views(name, shape, args, reference):
    x = _f64(*shape)
    y = getattr(ember, name)(x, *args)
    assert_close(y, reference(_np(x)))
    assert y._base is None and not np.shares_memory(y._data, x._data)
    assert gradcheck(lambda x: getattr(ember, name)(x, *args), (x,))


def test_copies_into_several_tensors():
    x = _f64(5, 2)
    parts = ember.split_copy(x, 2)
    assert isinstance(parts, tuple) and [tuple(p.shape) for p in parts] == [(2, 2), (2, 2), (1, 2)]
    parts = ember.split_with_sizes_copy(x, [1, 1], 1)
    assert_close(parts[1], _np(x)[:, 1:])
    rows = ember.unbind_copy(x)
    assert len(rows) == 5 and all(r._base is None for r in rows)
    assert gradcheck(lambda x: ember.unbind_copy(x, 1), (x,))
    z = ember.tensor([1 + 2j, -3j])
    assert_close(ember.view_as_real_copy(z), [[1.0, 2.0], [0.0, -3.0]])
    assert_close(ember.view_as_complex_copy(ember.tensor([[1.0, 2.0]])), [1 + 2j])
    assert not ember.detach_copy(_f64(2)).requires_grad


def test_slice_copy_errors():
    with pytest.raises(RuntimeError, match="slice step must be positive"):
        ember.slice_copy(ember.ones(3), 0, None, None, -1)
    with pytest.raises(IndexError, match=r"slice\(\) cannot be applied to a 0-dim tensor\."):
        ember.slice_copy(ember.tensor(1.0))


def test_unsafe_splits_are_the_splits():
    x = ember.arange(7.0)
    assert [p.tolist() for p in ember.unsafe_chunk(x, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.tolist() for p in ember.unsafe_split(x, [2, 5])] == [[0, 1], [2, 3, 4, 5, 6]]
    assert [len(p) for p in ember.unsafe_split_with_sizes(x, [4, 3])] == [4, 3]


def test_can_cast():
    assert ember.can_cast(ember.float64, ember.float32)
    assert ember.can_cast(ember.int64, ember.float16)
    assert ember.can_cast(ember.bool, ember.uint8)
    assert ember.can_cast(ember.float32, ember.complex64)
    assert not ember.can_cast(ember.float32, ember.int32)
    assert not ember.can_cast(ember.int8, ember.bool)
    assert not ember.can_cast(ember.complex128, ember.float64)


def test_queries():
    assert ember.get_device(ember.ones(1)) == -1
    assert ember.is_neg(-ember.ones(1)) is False
    z = ember.tensor([1 + 1j])
    assert ember.conj_physical_(z) is z and z.tolist() == [1 - 1j]


def test_empty_permuted():
    x = ember.empty_permuted((2, 3, 4), (0, 2, 1), dtype=ember.float64, requires_grad=True)
    assert tuple(x.shape) == (2, 3, 4) and x.stride() == (12, 1, 3)
    assert x.dtype is ember.float64 and x.requires_grad and x.is_leaf and x._base is None
    with pytest.raises(RuntimeError, match="len\\(size\\) = 3 is not equal to len\\(physical"):
        ember.empty_permuted((2, 3, 4), (0, 1))
    with pytest.raises(RuntimeError, match="Duplicate dim not allowed"):
        ember.empty_permuted((2, 3), (1, 1))


def test_nonzero_static():
    x = ember.tensor([[0.0, 2.0], [3.0, 0.0]])
    assert ember.nonzero_static(x, size=3).tolist() == [[0, 1], [1, 0], [-1, -1]]
    assert ember.nonzero_static(x, size=1, fill_value=9).tolist() == [[0, 1]]
    assert tuple(ember.nonzero_static(x, size=0).shape) == (0, 2)
    with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
        ember.nonzero_static(x, size=-2)


def test_matrix_rank_is_removed():
    with pytest.raises(RuntimeError, match=r"deprecated since version 1\.9 and is now removed"):
        ember.matrix_rank(ember.eye(2))


@pytest.mark.parametrize("shape", [(9, 6), (6, 9), (2, 8, 7)])
def test_svd_lowrank(shape):
    *batch, m, n = shape
    a = RNG.standard_normal((*batch, m, 2)) @ RNG.standard_normal((*batch, 2, n))
    ember.manual_seed(0)
    U, S, V = ember.svd_lowrank(ember.tensor(a), q=3)
    assert tuple(U.shape) == (*batch, m, 3) and tuple(S.shape) == (*batch, 3)
    assert tuple(V.shape) == (*batch, n, 3)
    assert_close(S[..., :2], np.linalg.svd(a, compute_uv=False)[..., :2], rtol=1e-8, atol=1e-8)
    assert_close((U * S.unsqueeze(-2)) @ V.mH, a, rtol=1e-8, atol=1e-8)
    eye = np.broadcast_to(np.eye(3), (*batch, 3, 3))
    assert_close(U.mH @ U, eye, atol=1e-10)
    mean = RNG.standard_normal(n)
    U, S, V = ember.svd_lowrank(ember.tensor(a + mean), q=3, M=ember.tensor(mean))
    assert_close((U * S.unsqueeze(-2)) @ V.mH, a, rtol=1e-8, atol=1e-8)


def test_pca_lowrank():
    data = RNG.standard_normal((40, 2)) @ RNG.standard_normal((2, 5)) + RNG.standard_normal(5)
    _, S, V = ember.pca_lowrank(ember.tensor(data), q=2)
    centred = data - data.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    assert_close(S, s[:2], rtol=1e-8, atol=1e-8)
    assert_close(np.abs(_np(V)), np.abs(vt[:2].T), rtol=1e-8, atol=1e-8)
    with pytest.raises(ValueError, match="niter\\(=-1\\) must be non-negative integer"):
        ember.pca_lowrank(ember.tensor(data), niter=-1)


# --------------------------------------------------------------------------------- switches


def test_float32_matmul_precision():
    assert ember.get_float32_matmul_precision() == "highest"
    try:
        ember.set_float32_matmul_precision("medium")
        assert ember.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="the current setFloat32MatmulPrecision call has"):
            ember.set_float32_matmul_precision("low")
        assert ember.get_float32_matmul_precision() == "medium"
    finally:
        ember.set_float32_matmul_precision("highest")


def test_warn_always():
    assert ember.is_warn_always_enabled() is False
    try:
        ember.set_warn_always(True)
        assert ember.is_warn_always_enabled() is True
    finally:
        ember.set_warn_always(False)


def test_set_default_tensor_type():
    try:
        with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
            ember.set_default_tensor_type("ember.DoubleTensor")
        assert ember.get_default_dtype() is ember.float64
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ember.set_default_tensor_type("torch.HalfTensor")
            assert ember.ones(1).dtype is ember.float16
            with pytest.raises(TypeError, match="only floating-point types are supported"):
                ember.set_default_tensor_type("torch.LongTensor")
            with pytest.raises(TypeError, match="invalid type object"):
                ember.set_default_tensor_type(ember.float64)
            with pytest.raises(AttributeError, match="module 'torch' has no attribute 'Tensr'"):
                ember.set_default_tensor_type("torch.Tensr")
    finally:
        ember.set_default_dtype(ember.float32)


def test_dlpack_with_numpy():
    a = np.arange(6.0).reshape(2, 3)
    t = ember.from_dlpack(a)
    assert t.dtype is ember.float64 and np.shares_memory(t._data, a)
    assert not np.shares_memory(ember.from_dlpack(a, copy=True)._data, a)
    x = ember.arange(4)
    assert ember.from_dlpack(x)._data is x._data  # an ember tensor shares its array
    back = np.from_dlpack(_Capsuled(ember.to_dlpack(x)))
    assert back.tolist() == [0, 1, 2, 3]
    assert ember.from_dlpack(ember.to_dlpack(x)).tolist() == [0, 1, 2, 3]
    with pytest.raises(AssertionError, match="device and copy kwargs not supported"):
        ember.from_dlpack(ember.to_dlpack(x), copy=True)


class _Capsuled:
    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)
