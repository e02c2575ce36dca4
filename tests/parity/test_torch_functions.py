"""Parity of torch's top-level functions that wrap nn.functional (with the top-level
signatures), the ``*_copy`` views, ``gradient``, ``vander``, the triangle indices, the low-rank
decompositions, DLPack and anomaly detection."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

# ------------------------------------------------------------------- convolution and pooling


def test_conv_and_transposed_conv(parity):
    x, w, b = parity.randn(2, 3, 7), parity.randn(4, 3, 3), parity.randn(4)
    parity.check(lambda fw, x, w, b: fw.conv1d(x, w, b, 2, 1), x, w, b, atol=1e-5)
    x2, w2 = parity.randn(1, 2, 5, 5), parity.randn(2, 3, 3, 3)
    parity.check(lambda fw, x, w: fw.conv_transpose2d(x, w, None, 2, 1, 1), x2, w2, atol=1e-5)


@pytest.mark.parametrize("pad", [0, 2])
def test_conv_tbc(parity, pad):
    x, w, b = parity.randn(6, 2, 3), parity.randn(3, 3, 4), parity.randn(4)
    parity.check(lambda fw, x, w, b: fw.conv_tbc(x, w, b, pad), x, w, b, atol=1e-5)


def test_conv_tbc_errors(parity):
    err = parity.raises(
        lambda fw, x, w, b: fw.conv_tbc(x, w, b),
        parity.randn(5, 2, 3),
        parity.randn(2, 2, 4),
        parity.randn(4),
    )
    assert "Input dim 2 (input channels)" in str(err)


def test_max_pools_default_stride(parity):
    x1, x2, x3 = parity.randn(2, 3, 9), parity.randn(1, 2, 6, 6), parity.randn(1, 1, 4, 4, 4)
    parity.check(lambda fw, x: fw.max_pool1d(x, 3), x1)
    parity.check(lambda fw, x: fw.max_pool1d(x, 3, (), 1, 1, True), x1)
    parity.check(lambda fw, x: fw.max_pool2d(x, 2, [], 1), x2)
    parity.check(lambda fw, x: fw.max_pool3d(x, 2), x3)
    parity.check(lambda fw, x: fw.max_pool1d_with_indices(x, 2, 1), x1)
    parity.check(lambda fw, x: fw.adaptive_max_pool1d(x, 4), x1)
    parity.check(lambda fw, x: fw.avg_pool1d(x, 3, 2, 1, False, False), x1)
    parity.check(lambda fw, x: fw.adaptive_avg_pool1d(x, 4), x1)


# ----------------------------------------------------------------------------- normalization


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(parity, training):
    x, w, b = parity.randn(4, 3, 5), parity.randn(3), parity.randn(3)
    mean, var = parity.randn(3), parity.uniform(0.5, 2, 3)

    def f(fw, x, w, b, mean, var):
        y = fw.batch_norm(x, w, b, mean, var, training, 0.2, 1e-3, True)
        return y, mean, var  # the running statistics are updated in place

    parity.check(f, x, w, b, mean, var, grad=(0, 1, 2), atol=1e-5)


def test_instance_layer_group_rms_norm(parity):
    x, w, b = parity.randn(2, 4, 6), parity.randn(4), parity.randn(4)
    mean, var = np.zeros(4, np.float32), np.ones(4, np.float32)

    def instance(fw, x, w, b, mean, var):
        return fw.instance_norm(x, w, b, mean, var, True, 0.1, 1e-5, False), mean, var

    parity.check(instance, x, w, b, mean, var, grad=(0, 1, 2), atol=1e-5)
    ln_w = parity.randn(6)
    parity.check(lambda fw, x, w: fw.layer_norm(x, [6], w, None, 1e-3, False), x, ln_w, atol=1e-5)
    parity.check(lambda fw, x, w, b: fw.group_norm(x, 2, w, b, 1e-5, True), x, w, b, atol=1e-5)
    parity.check(lambda fw, x, w: fw.rms_norm(x, (6,), w), x, ln_w, atol=1e-5)


# ----------------------------------------------------------------------------------- dropout

DROPOUTS = [
    "dropout",
    "alpha_dropout",
    "feature_dropout",
    "feature_alpha_dropout",
    "dropout_",
    "alpha_dropout_",
    "feature_dropout_",
    "feature_alpha_dropout_",
]


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_deterministic_cases(parity, name):
    x = parity.randn(2, 3, 4)
    for p, train in ((0.0, True), (0.5, False)):
        out = parity.check(lambda fw, x, p=p, t=train: getattr(fw, name)(x.clone(), p, t), x)
        np.testing.assert_array_equal(out.detach().numpy(), x)
    err = parity.raises(lambda fw, x: getattr(fw, name)(x, 1.5, True), x)
    assert str(err) == "dropout probability has to be between 0 and 1, but got 1.5"


def test_feature_dropout_needs_two_dims(parity):
    err = parity.raises(lambda fw, x: fw.feature_dropout(x, 0.5, True), parity.randn(3))
    assert str(err) == "Feature dropout requires at least 2 dimensions in the input"


def test_dropout_in_place_returns_its_input():
    x = ember.ones(4, 5)
    assert ember.dropout_(x, 0.5, True) is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}


# -------------------------------------------------------------------------------- embeddings


@pytest.mark.parametrize("padding_idx", [-1, -2, 2, 7])
def test_embedding_padding_idx(parity, padding_idx):
    w, i = parity.randn(5, 3), np.array([[0, 2, 4], [2, 2, 1]])
    parity.check(lambda fw, w, i: fw.embedding(w, i, padding_idx), w, i)
    parity.check(lambda fw, w, i: fw.embedding(w, i, padding_idx, True), w, i)


def test_embedding_renorm_(parity):
    w = parity.randn(5, 3) * 3
    i = np.array([0, 3, 3])

    def f(fw, w, i):
        assert fw.embedding_renorm_(w, i, 1.5, 2.0) is w
        return w

    parity.check(f, w, i, grad=False)
    err = parity.raises(lambda fw, w, i: fw.embedding_renorm_(w, i.float(), 1.0, 2.0), w, i)
    assert "'indices' to have one of the following scalar types: Long, Int" in str(err)


def test_shuffles_bilinear_and_constant_pad(parity):
    x = parity.randn(1, 8, 3, 2)
    parity.check(lambda fw, x: fw.pixel_shuffle(x, 2), x)
    parity.check(lambda fw, x: fw.pixel_unshuffle(x, 1), x)
    parity.check(lambda fw, x: fw.native_channel_shuffle(x, 4), x, grad=False)  # (torch: no grad)
    a, b, w = parity.randn(3, 2), parity.randn(3, 4), parity.randn(5, 2, 4)
    parity.check(lambda fw, a, b, w: fw.bilinear(a, b, w), a, b, w, atol=1e-5)
    parity.check(lambda fw, x: fw.constant_pad_nd(x, [1, 2, 0, -1], 3.5), x)
    parity.check(lambda fw, x: fw.constant_pad_nd(x, (2, 0)), x)


# ------------------------------------------------------------------------------------ losses


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_losses_with_reduction_enum(parity, reduction):
    r = reduction
    x, y, t = parity.randn(4, 5), parity.randn(4, 5), parity.rng.choice([-1.0, 1.0], 4)
    probs = parity.uniform(0.05, 1, 4, 5)
    parity.check(lambda fw, x, p: fw.kl_div(x, p, r), x, probs, atol=1e-5)
    parity.check(lambda fw, x, y: fw.kl_div(x, y, r, log_target=True), x, y, atol=1e-5)
    t1 = t.astype(np.float32)
    parity.check(lambda fw, a, b, t: fw.margin_ranking_loss(a, b, t, 0.3, r), x[:, 0], y[:, 0], t1)
    parity.check(lambda fw, x, t: fw.hinge_embedding_loss(x, t, 0.5, r), x[:, 0], t1)
    for log_input, full in ((True, False), (False, True)):
        parity.check(
            lambda fw, x, p, li=log_input, fu=full: fw.poisson_nll_loss(x, p, li, fu, 1e-6, r),
            probs,
            probs * 3,
            atol=1e-5,
        )
    parity.check(lambda fw, a, b, t: fw.cosine_embedding_loss(a, b, t, 0.1, r), x, y, t1, atol=1e-5)
    z = parity.randn(4, 5)
    parity.check(
        lambda fw, a, p, n: fw.triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6, True, r),
        x,
        y,
        z,
        atol=1e-5,
    )
    target = parity.uniform(0, 1, 4, 5)
    w, pw = parity.uniform(0.5, 2, 5), parity.uniform(0.5, 2, 5)
    parity.check(
        lambda fw, x, t, w, pw: fw.binary_cross_entropy_with_logits(x, t, w, pw, r),
        x,
        target,
        w,
        pw,
        grad=(0, 1),  # (torch: no gradient for weight and pos_weight)
        atol=1e-5,
    )


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_ctc_loss_reduction_enum(parity, reduction):
    logits = parity.randn(6, 2, 4)
    targets = np.array([[1, 2, 2], [3, 1, 0]])

    def f(fw, x, t):
        lp = x.log_softmax(2)
        return fw.ctc_loss(lp, t, [6, 5], [3, 2], 0, reduction, False)

    parity.check(f, logits, targets, atol=1e-5)


def test_reduction_must_be_an_int(parity):
    x = parity.randn(3)
    err = parity.raises(lambda fw, x: fw.kl_div(x, x, reduction="mean"), x)
    assert str(err) == "kl_div(): argument 'reduction' must be int, not str"
    parity.raises(lambda fw, x: fw.hinge_embedding_loss(x, x, reduction=True), x)


# ---------------------------------------------------------------- factories and operations


@pytest.mark.parametrize("row, col, offset", [(3, 4, 0), (4, 3, 1), (3, 4, -5), (5, 2, -1)])
def test_triangle_indices(row, col, offset):
    for name in ("tril_indices", "triu_indices"):
        e = getattr(ember, name)(row, col, offset, dtype=ember.int32)
        t = getattr(torch, name)(row, col, offset, dtype=torch.int32)
        assert str(e.dtype) == "ember.int32"
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert tuple(ember.tril_indices(0, 4).shape) == (2, 0)


def test_triangle_indices_errors():
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        ember.tril_indices(-1, 3)
    with pytest.raises(NotImplementedError, match="\"triu_indices\" not implemented for 'Float'"):
        ember.triu_indices(3, 3, dtype=ember.float32)


@pytest.mark.parametrize("N, increasing", [(None, False), (4, True), (1, False), (0, True)])
def test_vander(parity, N, increasing):
    # (torch's backward of vander fails on its own in-place writes: values only)
    x = np.array([0.0, 1.5, -2.0], np.float64)
    parity.check(lambda fw, x: fw.vander(x, N, increasing), x, grad=False)
    parity.check(lambda fw, x: fw.vander(x, N, increasing), np.array([2, -1, 3], np.int32))
    parity.check(lambda fw, x: fw.vander(x, N), np.array([True, False]))


def test_vander_errors(parity):
    parity.raises(lambda fw, x: fw.vander(x), parity.randn(2, 2))
    parity.raises(lambda fw, x: fw.vander(x, -1), parity.randn(2))


GRADIENT_CASES = [
    {},
    {"spacing": 2.0},
    {"spacing": [0.5, 3.0]},
    {"dim": 1},
    {"dim": -2, "spacing": [2.0]},
    {"dim": (1, 0), "edge_order": 2},
    {"edge_order": 2, "spacing": 3},
    {"spacing": "coords"},
    {"spacing": "coords", "edge_order": 2},
    {"spacing": "coords1", "dim": 1},
]


@pytest.mark.parametrize("case", range(len(GRADIENT_CASES)))
def test_gradient(parity, case):
    f = parity.randn(4, 5, dtype=np.float64)
    rows = np.array([0.0, 0.5, 2.0, 2.25])
    cols = np.array([-1.0, 0.0, 1.5, 4.0, 4.5])

    def g(fw, f, rows, cols):
        kwargs = dict(GRADIENT_CASES[case])
        spacing = kwargs.get("spacing")
        if spacing == "coords":
            kwargs["spacing"] = (rows, cols)
        elif spacing == "coords1":
            kwargs["spacing"] = [cols]
        return fw.gradient(f, **kwargs)

    parity.check(g, f, rows, cols, grad=(0,), atol=1e-10)


def test_gradient_of_integers_and_errors(parity):
    parity.check(lambda fw, x: fw.gradient(x), np.array([1, 4, 9, 16]))
    parity.check(lambda fw, x: fw.gradient(x, spacing=2), np.array([1, 4, 9, 16]))
    assert ember.gradient(ember.tensor(3.0)) == ()
    for kwargs in (
        {"edge_order": 3},
        {"spacing": [1.0]},
        {"spacing": [1.0, 2.0], "dim": 1},
        {"dim": (0, 0)},
    ):
        parity.raises(lambda fw, x, kw=kwargs: fw.gradient(x, **kw), parity.randn(3, 4))
    parity.raises(lambda fw, x: fw.gradient(x, edge_order=2), parity.randn(2, 4))
    parity.raises(lambda fw, x: fw.gradient(x), np.array([1, 2, 3], np.uint8))


def test_index_put_detach_and_adjoint(parity):
    x, v = parity.randn(4, 3), parity.randn(2)
    rows, cols = np.array([0, 2]), np.array([1, 1])
    parity.check(lambda fw, x, r, c, v: fw.index_put(x, (r, c), v, True), x, rows, cols, v)
    parity.check(lambda fw, x, r, c, v: fw.index_put_(x.clone(), (r, c), v), x, rows, cols, v)
    out = parity.check(lambda fw, x: fw.detach(x), x)
    assert not out.requires_grad
    z = (parity.randn(2, 3) + 1j * parity.randn(2, 3)).astype(np.complex64)
    parity.check(lambda fw, z: fw.adjoint(z), z)


COPIES = {
    "alias_copy": ((2, 3), ()),
    "as_strided_copy": ((6,), ((2, 2), (1, 2), 1)),
    "diagonal_copy": ((3, 4), (1,)),
    "expand_copy": ((1, 3), ((2, 3),)),
    "permute_copy": ((2, 3, 4), ((2, 0, 1),)),
    "select_copy": ((3, 4), (1, -1)),
    "slice_copy": ((5, 4), (0, 1, 100, 2)),
    "split_copy": ((5, 2), (2,)),
    "split_with_sizes_copy": ((5, 2), ([1, 4],)),
    "squeeze_copy": ((1, 3, 1), ()),
    "t_copy": ((2, 3), ()),
    "transpose_copy": ((2, 3, 4), (0, 2)),
    "unbind_copy": ((3, 2), (1,)),
    "unfold_copy": ((7,), (0, 3, 2)),
    "unsqueeze_copy": ((3,), (-1,)),
    "view_copy": ((2, 6), ((3, 4),)),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copies_of_views(parity, name):
    shape, args = COPIES[name]
    out = parity.check(lambda fw, x: getattr(fw, name)(x, *args), parity.randn(*shape))
    for t in out if isinstance(out, tuple) else (out,):
        assert t._base is None  # a new tensor, not a view


def test_complex_view_copies_and_detach_copy(parity):
    # (torch: no gradient through a complex copy)
    parity.check(lambda fw, x: fw.view_as_complex_copy(x), parity.randn(3, 2), grad=False)
    z = (parity.randn(3) + 1j * parity.randn(3)).astype(np.complex64)
    parity.check(lambda fw, z: fw.view_as_real_copy(z), z)
    # (torch's detach_copy gives a result that requires grad and whose backward fails)
    parity.check(lambda fw, x: fw.detach_copy(x), parity.randn(3), grad=False)
    assert not ember.detach_copy(ember.ones(2, requires_grad=True)).requires_grad


def test_unsafe_splits(parity):
    x = parity.randn(7, 2)
    parity.check(lambda fw, x: fw.unsafe_chunk(x, 3), x)
    parity.check(lambda fw, x: fw.unsafe_split(x, 3), x)
    parity.check(lambda fw, x: fw.unsafe_split_with_sizes(x, [1, 1], 1), x)


def test_can_cast_every_pair():
    names = [
        "bool",
        "uint8",
        "int8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    ]
    for a in names:
        for b in names:
            expected = torch.can_cast(getattr(torch, a), getattr(torch, b))
            assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == expected, (a, b)


def test_queries():
    assert ember.get_device(ember.ones(2)) == torch.get_device(torch.ones(2)) == -1
    assert ember.is_neg(ember.ones(2)) is torch.is_neg(torch.ones(2)) is False


def test_empty_permuted_strides():
    e = ember.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1), dtype=ember.float64)
    t = torch.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1), dtype=torch.float64)
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    assert str(e.dtype) == "ember.float64" and e._base is None
    for layout in ((0, 2), (0, 1, 1, 2)):
        with pytest.raises(RuntimeError):
            torch.empty_permuted((2, 3, 4, 5)[: len(layout) + 1], layout)
        with pytest.raises(RuntimeError):
            ember.empty_permuted((2, 3, 4, 5)[: len(layout) + 1], layout)


@pytest.mark.parametrize("size, fill", [(5, -1), (2, 9), (0, -1), (3, 7)])
def test_nonzero_static(parity, size, fill):
    x = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    parity.check(lambda fw, x: fw.nonzero_static(x, size=size, fill_value=fill), x, grad=False)
    parity.check(lambda fw, x: fw.nonzero_static(x, size=size), np.array(2.0), grad=False)
    parity.raises(lambda fw, x: fw.nonzero_static(x, size=-1), x)


def test_matrix_rank_is_removed(parity):
    err = parity.raises(lambda fw, x: fw.matrix_rank(x), parity.randn(3, 3))
    assert "deprecated since version 1.9 and is now removed" in str(err)


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (2, 7, 6)])
def test_svd_lowrank_recovers_a_low_rank_matrix(parity, shape):
    *batch, m, n = shape
    a = (parity.randn(*batch, m, 3) @ parity.randn(*batch, 3, n)).astype(np.float64)
    mean = parity.randn(n).astype(np.float64)
    expected = torch.linalg.svdvals(torch.from_numpy(a))[..., :3].numpy()
    for fw in (ember, torch):
        U, S, V = fw.svd_lowrank(fw.from_numpy(a), q=4, niter=2)
        assert tuple(U.shape) == (*batch, m, 4) and tuple(V.shape) == (*batch, n, 4)
        np.testing.assert_allclose(S.numpy()[..., :3], expected, rtol=1e-7)
        np.testing.assert_allclose((U * S.unsqueeze(-2) @ V.mH).numpy(), a, atol=1e-6)
        # with M, the decomposition is that of A - M
        U, S, V = fw.svd_lowrank(fw.from_numpy(a + mean), q=4, M=fw.from_numpy(mean))
        np.testing.assert_allclose((U * S.unsqueeze(-2) @ V.mH).numpy(), a, atol=1e-6)


def test_pca_lowrank_variances(parity):
    data = (parity.randn(30, 2) @ parity.randn(2, 5) + parity.randn(5)).astype(np.float64)
    _, e_s, e_v = ember.pca_lowrank(ember.from_numpy(data), q=2)
    _, t_s, t_v = torch.pca_lowrank(torch.from_numpy(data), q=2)
    np.testing.assert_allclose(e_s.numpy(), t_s.numpy(), rtol=1e-8)
    np.testing.assert_allclose(np.abs(e_v.numpy()), np.abs(t_v.numpy()), atol=1e-8)
    for q in (-1, 6):
        with pytest.raises(ValueError, match="must be non-negative integer and not greater"):
            ember.pca_lowrank(ember.from_numpy(data), q=q)


# --------------------------------------------------------------------------------- switches


def test_switches_match_torch():
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    assert ember.is_warn_always_enabled() is torch.is_warn_always_enabled()
    try:
        ember.set_float32_matmul_precision("high")
        assert ember.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            ember.set_float32_matmul_precision("fast")
        assert ember.get_float32_matmul_precision() == "high"
    finally:
        ember.set_float32_matmul_precision("highest")


def test_set_default_tensor_type():
    try:
        with pytest.warns(UserWarning, match="deprecated as of PyTorch 2.1"):
            ember.set_default_tensor_type("torch.DoubleTensor")
        assert ember.get_default_dtype() is ember.float64
        assert ember.tensor([1.5]).dtype is ember.float64
        for bad, error in (("torch.IntTensor", TypeError), ("torch.Foo", AttributeError)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pytest.raises(error):
                    ember.set_default_tensor_type(bad)
                with pytest.raises(error):
                    torch.set_default_tensor_type(bad)
    finally:
        ember.set_default_dtype(ember.float32)


def test_dlpack_both_ways():
    source = torch.arange(6.0).reshape(2, 3)
    shared = ember.from_dlpack(source)
    assert shared.dtype is ember.float32 and tuple(shared.shape) == (2, 3)
    source[0, 0] = 7.0  # the memory is shared
    assert shared[0, 0].item() == 7.0
    np.testing.assert_array_equal(ember.from_dlpack(np.arange(3)).numpy(), [0, 1, 2])
    back = torch.from_dlpack(ember.to_dlpack(ember.arange(4.0)))
    np.testing.assert_array_equal(back.numpy(), [0.0, 1.0, 2.0, 3.0])
    capsule = torch.utils.dlpack.to_dlpack(torch.arange(3))
    np.testing.assert_array_equal(ember.from_dlpack(capsule).numpy(), [0, 1, 2])


# ------------------------------------------------------------------------- anomaly detection


def _nan_backward(fw):
    x = fw.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fw.autograd.detect_anomaly():
            y = x.sqrt() * 0.0
            with pytest.raises(RuntimeError) as info:
                (y / y).sum().backward()
    return str(info.value), [str(w.message) for w in caught]


def test_anomaly_nan_error_and_forward_traceback():
    e_error, e_warnings = _nan_backward(ember)
    t_error, t_warnings = _nan_backward(torch)
    assert e_error == t_error == "Function 'DivBackward0' returned nan values in its 1th output."
    assert e_warnings[0] == t_warnings[0]  # "Anomaly Detection has been enabled. ..."
    head = "Error detected in DivBackward0. Traceback of forward call that caused the error:"
    assert e_warnings[1].startswith(head) and t_warnings[1].startswith(head)
    assert "(y / y).sum().backward()" in e_warnings[1]
    assert ember.is_anomaly_enabled() is torch.is_anomaly_enabled() is False


def test_anomaly_switches_match_torch():
    for fw in (ember, torch):
        with fw.autograd.set_detect_anomaly(True, check_nan=False):
            assert fw.is_anomaly_enabled() and not fw.is_anomaly_check_nan_enabled()
        assert not fw.is_anomaly_enabled() and fw.is_anomaly_check_nan_enabled()
        fw.set_anomaly_enabled(True, False)
        assert fw.is_anomaly_enabled() and not fw.is_anomaly_check_nan_enabled()
        fw.set_anomaly_enabled(False)
        assert not fw.is_anomaly_enabled() and fw.is_anomaly_check_nan_enabled()
