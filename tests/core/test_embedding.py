"""embedding, embedding_bag and one_hot, and the Embedding / EmbeddingBag modules: forward
against numpy (bags against a per-bag loop), gradients by finite differences and by hand
(duplicates, padding_idx, scale_grad_by_freq), max_norm's in-place renormalisation, errors."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


def _weight_grad(indices, gy, num, scale=None):
    """The gradient of a lookup, accumulated one lookup at a time."""
    gw = np.zeros((num, gy.shape[-1]))
    flat_gy = gy.reshape(-1, gy.shape[-1])
    for k, i in enumerate(indices.reshape(-1)):
        gw[i] += flat_gy[k] * (1.0 if scale is None else scale[k])
    return gw


# ------------------------------------------------------------------------------ embedding


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_embedding_matches_numpy_and_gradients(shape, device):
    w = rng.standard_normal((6, 3))
    idx = rng.integers(0, 6, shape)
    check_op(lambda i, w: F.embedding(i, w), lambda i, w: w[i], idx, w, device=device)


def test_embedding_int32_indices_and_double_backward():
    w = rng.standard_normal((5, 2))
    idx = np.array([[0, 4, 4], [1, 0, 4]], dtype=np.int32)
    check_op(lambda i, w: F.embedding(i, w), lambda i, w: w[i], idx, w, gradgrad=True)
    # padding and frequency scaling make the gradient differ from the numerical one on
    # purpose (torch documents it), but the gradient of that gradient is still exact
    w = ember.tensor(w, requires_grad=True)
    i = ember.tensor(idx)
    assert gradgradcheck(lambda w: F.embedding(i, w, padding_idx=0, scale_grad_by_freq=True), (w,))


def test_embedding_duplicates_accumulate(device):
    idx = np.array([[1, 1, 2], [1, 0, 0]])
    w = ember.tensor(rng.standard_normal((4, 3)), requires_grad=True, device=device)
    gy = rng.standard_normal((2, 3, 3))
    F.embedding(ember.tensor(idx, device=device), w).backward(ember.tensor(gy, device=device))
    assert_close(w.grad, _weight_grad(idx, gy, 4))
    assert w.grad.numpy(force=True)[3].tolist() == [0, 0, 0]


@pytest.mark.parametrize("padding_idx", [2, -2])
def test_embedding_padding_idx_gets_no_gradient(padding_idx):
    idx = np.array([0, 2, 2, 3, 1])
    w = ember.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    y = F.embedding(ember.tensor(idx), w, padding_idx=padding_idx)
    assert_close(y, w.detach().numpy()[idx])  # the forward looks the padding row up as usual
    gy = rng.standard_normal((5, 2))
    y.backward(ember.tensor(gy))
    expected = _weight_grad(idx, gy, 4)
    expected[2] = 0
    assert_close(w.grad, expected)


def test_embedding_scale_grad_by_freq():
    idx = np.array([[3, 1, 3], [3, 0, 1]])
    w = ember.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    gy = rng.standard_normal((2, 3, 2))
    F.embedding(ember.tensor(idx), w, scale_grad_by_freq=True).backward(ember.tensor(gy))
    counts = np.bincount(idx.reshape(-1), minlength=5)
    expected = _weight_grad(idx, gy, 5) / np.maximum(counts, 1)[:, None]
    assert_close(w.grad, expected)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_embedding_max_norm_renormalises_referenced_rows_in_place(norm_type):
    w0 = rng.standard_normal((5, 4)) * 3
    w = ember.tensor(w0, requires_grad=True)
    idx = ember.tensor([[0, 2], [2, 4]])
    y = F.embedding(idx, w, max_norm=1.5, norm_type=norm_type)
    expected = w0.copy()
    for row in (0, 2, 4):
        norm = np.linalg.norm(w0[row], ord=norm_type)
        if norm > 1.5:
            expected[row] *= 1.5 / (norm + 1e-7)
    assert_close(w.detach(), expected)  # weight changed in place, rows 1 and 3 untouched
    assert_close(y, expected[idx.numpy()])
    assert w.grad_fn is None and w.is_leaf
    y.sum().backward()  # the renormalisation is not part of the graph
    assert_close(w.grad, _weight_grad(idx.numpy(), np.ones((2, 2, 4)), 5))


def test_embedding_errors():
    w = ember.randn(5, 3)
    message = r"argument #1 'indices' .* Long, Int; but got ember.FloatTensor"
    with pytest.raises(RuntimeError, match=message):
        F.embedding(ember.tensor([0.0, 1.0]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ember.tensor([0, 5]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ember.tensor([-1]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(ember.tensor([0]), w, padding_idx=5)
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F.embedding(ember.tensor([0]), ember.randn(5))


# ------------------------------------------------------------------------------- one_hot


def test_one_hot(device):
    x = ember.tensor([[0, 2], [1, 2]], device=device)
    y = F.one_hot(x)
    assert y.dtype == ember.int64 and y.shape == (2, 2, 3)
    assert_close(y, np.eye(3, dtype=np.int64)[[[0, 2], [1, 2]]])
    assert F.one_hot(ember.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    assert F.one_hot(ember.zeros(0, dtype=ember.int64), 3).shape == (0, 3)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="only applicable to index tensor of type LongTensor"):
        F.one_hot(ember.tensor([1], dtype=ember.int32))
    with pytest.raises(RuntimeError, match=r"Class values must be non-negative\."):
        F.one_hot(ember.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match=r"Class values must be smaller than num_classes\."):
        F.one_hot(ember.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
        F.one_hot(ember.zeros(0, dtype=ember.int64))


# ------------------------------------------------------------------------- embedding_bag


def _bag_reference(indices, w, bounds, mode, psw=None, padding_idx=None):
    """One bag at a time: ``bounds`` are the bags' start and end positions."""
    out = np.zeros((len(bounds) - 1, w.shape[1]))
    for b in range(len(bounds) - 1):
        positions = [k for k in range(bounds[b], bounds[b + 1]) if indices[k] != padding_idx]
        if not positions:
            continue
        rows = w[indices[positions]]
        if psw is not None:
            rows = rows * psw[positions][:, None]
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


BAGS = np.array([4, 1, 4, 0, 2, 2, 3, 1, 0])
OFFSETS = np.array([0, 3, 3, 7])  # bag 1 is empty


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_1d_with_offsets(mode, device):
    w = rng.standard_normal((5, 3))
    bounds = [*OFFSETS, len(BAGS)]

    def op(i, w, o):
        return F.embedding_bag(i, w, o, mode=mode)

    def ref(i, w, o):
        return _bag_reference(i, w, bounds, mode)

    check_op(op, ref, BAGS, w, OFFSETS, device=device)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, -1])
def test_embedding_bag_2d_input_and_padding_idx(mode, padding_idx):
    w = rng.standard_normal((6, 2))
    idx = np.array([[1, 5, 1], [5, 5, 5], [0, 3, 2]])  # with padding_idx=-1 (row 5), bag 1
    skip = None if padding_idx is None else 5  # holds only padding: it is empty

    def op(i, w):
        return F.embedding_bag(i, w, mode=mode, padding_idx=padding_idx)

    def ref(i, w):
        return _bag_reference(i.reshape(-1), w, [0, 3, 6, 9], mode, padding_idx=skip)

    check_op(op, ref, idx, w)


def test_embedding_bag_per_sample_weights_and_last_offset():
    w = rng.standard_normal((5, 3))
    psw = rng.standard_normal(BAGS.size)
    offsets = np.array([0, 3, 3, 7, 9])
    bounds = list(offsets)

    def op(i, w, o, p):
        return F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p, include_last_offset=True)

    check_op(op, lambda i, w, o, p: _bag_reference(i, w, bounds, "sum", p), BAGS, w, offsets, psw)


def test_embedding_bag_scale_grad_by_freq():
    w = ember.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    idx = ember.tensor([[1, 1, 2], [3, 1, 2]])
    F.embedding_bag(idx, w, mode="sum", scale_grad_by_freq=True).sum().backward()
    counts = np.bincount(idx.numpy().reshape(-1), minlength=5)
    # each occurrence contributes 1 to its row, divided by the row's frequency
    expected = np.broadcast_to((counts > 0).astype(float)[:, None], (5, 2))
    assert_close(w.grad, expected)


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_embedding_bag_gradcheck_with_empty_bag(mode):
    w = ember.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx, offsets = ember.tensor(BAGS), ember.tensor(OFFSETS)
    assert gradcheck(lambda w: F.embedding_bag(idx, w, offsets, mode=mode), (w,))


def test_embedding_bag_errors():
    w = ember.randn(5, 3)
    idx = ember.tensor([0, 1, 2])
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(idx, w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(idx.reshape(1, 3), w, ember.tensor([0]))
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor"):
        F.embedding_bag(idx.reshape(1, 1, 3), w)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(idx, w, ember.tensor([0]), mode="median")
    with pytest.raises(ValueError, match="max mode does not support scaling the gradient"):
        F.embedding_bag(idx, w, ember.tensor([0]), mode="max", scale_grad_by_freq=True)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(idx, w, ember.tensor([0]), per_sample_weights=ember.ones(3))
    with pytest.raises(ValueError, match="must have the same shape as the input"):
        F.embedding_bag(idx, w, ember.tensor([0]), mode="sum", per_sample_weights=ember.ones(2))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(idx, w, ember.tensor([1]))
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] can not be greater than input's"):
        F.embedding_bag(idx, w, ember.tensor([0, 4]))
    with pytest.raises(RuntimeError, match="padding_idx must be within the number of embed"):
        F.embedding_bag(idx, w, ember.tensor([0]), padding_idx=5)


# -------------------------------------------------------------------------------- modules


def test_embedding_module_init_repr_and_padding_row(device):
    ember.manual_seed(0)
    emb = nn.Embedding(200, 50, padding_idx=3, device=device)
    assert repr(emb) == "Embedding(200, 50, padding_idx=3)"
    w = emb.weight.numpy(force=True)
    assert w[3].tolist() == [0.0] * 50  # the padding row starts at zeros
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02  # N(0, 1)
    idx = ember.tensor([[3, 5]], device=device)
    assert_close(emb(idx), w[[[3, 5]]])
    emb(idx).sum().backward()
    assert emb.weight.grad.numpy(force=True)[3].tolist() == [0.0] * 50
    assert list(emb.state_dict()) == ["weight"]
    assert repr(nn.Embedding(10, 3, max_norm=2.0, norm_type=1.0, sparse=True)) == (
        "Embedding(10, 3, max_norm=2.0, norm_type=1.0, sparse=True)"
    )
    assert nn.Embedding(10, 3, padding_idx=-1).padding_idx == 9


def test_embedding_from_pretrained_shares_and_freezes():
    weights = ember.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    emb = nn.Embedding.from_pretrained(weights)
    assert not emb.weight.requires_grad
    assert_close(emb(ember.tensor([1])), [[4.0, 5.1, 6.3]])
    weights[0, 0] = 7.0  # shared memory, as torch's Parameter(weights)
    assert emb.weight[0, 0].item() == 7.0
    assert nn.Embedding.from_pretrained(weights, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(ember.ones(3))
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(3, 3, _weight=weights)


def test_embedding_bag_module():
    bag = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0)
    assert repr(bag) == "EmbeddingBag(10, 3, mode='sum', padding_idx=0)"
    assert repr(nn.EmbeddingBag(10, 3)) == "EmbeddingBag(10, 3, mode='mean')"
    idx, offsets = ember.tensor([1, 2, 4, 5, 4, 3, 2, 9]), ember.tensor([0, 4])
    w = bag.weight.detach().numpy()
    assert_close(bag(idx, offsets), _bag_reference(idx.numpy(), w, [0, 4, 8], "sum"))
    pre = nn.EmbeddingBag.from_pretrained(ember.tensor([[1, 2.3, 3], [4, 5.1, 6.3]]))
    assert_close(pre(ember.tensor([[1, 0]])), [[2.5, 3.7, 4.65]])
    assert not pre.weight.requires_grad
