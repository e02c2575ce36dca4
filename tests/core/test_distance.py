"""Distances (cosine_similarity, pairwise_distance, pdist), the multi-label and
distance-function triplet losses, gumbel_softmax and channel_shuffle, with their modules:
values against numpy references written here, gradients by finite differences, torch's errors
and reprs. A subset of the distance and loss cases runs on cuda (cupy) too."""

import itertools

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(0)

_GPU = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"),
]


def _cuda(*values):
    """A parameter set run on cuda (with the ``device`` fixture's marks): the parametrised
    tests run every case on the cpu and a representative subset on the GPU."""
    return pytest.param(*values, "cuda", marks=_GPU)


def _cpu(cases):
    """Each case of ``cases`` (a value or a tuple of values) with device "cpu" appended."""
    return [(*c, "cpu") if isinstance(c, tuple) else (c, "cpu") for c in cases]


def _t(a, grad=False, device="cpu"):
    return ember.tensor(np.asarray(a), requires_grad=grad, device=device)


def _h(t):
    """A tensor's values as a host numpy array (from either device)."""
    return t.detach().cpu().numpy()


def _reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


# ------------------------------------------------------------------------------- distances


@pytest.mark.parametrize("dim,device", _cpu([0, 1, -1]) + [_cuda(1)])
def test_cosine_similarity_values_and_gradient(dim, device):
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    ref = (a * b).sum(dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))
    out = F.cosine_similarity(_t(a, device=device), _t(b, device=device), dim)
    assert out.device.type == device
    np.testing.assert_allclose(_h(out), ref, rtol=1e-12)
    gradcheck(
        lambda x, y: F.cosine_similarity(x, y, dim), (_t(a, True, device), _t(b, True, device))
    )


def test_cosine_similarity_broadcasts_and_promotes():
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(4,))
    out = F.cosine_similarity(_t(a).float(), _t(b).float())
    assert out.shape == (3,) and out.dtype == ember.float32
    mixed = F.cosine_similarity(ember.ones(2, 3, dtype=ember.int64), ember.ones(2, 3))
    np.testing.assert_allclose(mixed.numpy(), [1.0, 1.0], rtol=1e-6)
    assert F.cosine_similarity(_t(a), _t(a).float()).dtype == ember.float64
    with pytest.raises(RuntimeError, match="common dtype is Long"):
        F.cosine_similarity(
            ember.ones(2, 3, dtype=ember.int64), ember.ones(2, 3, dtype=ember.int64)
        )
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.cosine_similarity(ember.ones(2, 3), ember.ones(2, 3), dim=2)


def test_cosine_similarity_eps_clamps_value_not_gradient():
    # torch clamps the norms in place under no_grad: the value uses max(||x||, eps), the
    # gradient is that of x / ||x||_clamped with ||x|| still differentiated (unclamped)
    a = np.array([[1e-9, 2e-9]])
    b = np.array([[3.0, 4.0]])
    x = _t(a, True)
    out = F.cosine_similarity(x, _t(b))
    np.testing.assert_allclose(out.detach().numpy(), [(3e-9 + 8e-9) / 1e-8 / 5], rtol=1e-12)
    out.sum().backward()
    n = np.linalg.norm(a)
    u = b / 5
    expected = u / 1e-8 - (a * u).sum() / 1e-8**2 * a / n
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-9)
    # a zero vector gives 0 (not nan)
    assert F.cosine_similarity(ember.zeros(1, 3), ember.ones(1, 3)).item() == 0.0


@pytest.mark.parametrize(
    "p,keepdim,device",
    _cpu(list(itertools.product([1, 2, 3, float("inf")], [False, True])))
    + [_cuda(2, False), _cuda(float("inf"), True)],
)
def test_pairwise_distance(p, keepdim, device):
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    ta, tb = _t(a, device=device), _t(b, device=device)
    ref = np.linalg.norm(a - b + 1e-6, ord=p, axis=-1, keepdims=keepdim)
    out = F.pairwise_distance(ta, tb, p=p, keepdim=keepdim)
    assert out.device.type == device
    np.testing.assert_allclose(_h(out), ref, rtol=1e-12)
    np.testing.assert_allclose(_h(nn.PairwiseDistance(p, 1e-6, keepdim)(ta, tb)), ref)
    gradcheck(
        lambda x, y: F.pairwise_distance(x, y, p=p), (_t(a, True, device), _t(b, True, device))
    )


def test_pairwise_distance_broadcast_and_coinciding_points():
    a = RNG.normal(size=(2, 1, 3))
    b = RNG.normal(size=(4, 3))
    assert F.pairwise_distance(_t(a), _t(b)).shape == (2, 4)
    x = _t(np.ones((2, 3)), True)
    out = F.pairwise_distance(x, _t(np.ones((2, 3))))
    np.testing.assert_allclose(out.detach().numpy(), [np.sqrt(3) * 1e-6] * 2)
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize(
    "p,device", _cpu([0, 0.5, 1, 2, 3, float("inf")]) + [_cuda(0), _cuda(2), _cuda(float("inf"))]
)
def test_pdist(p, device):
    x = RNG.normal(size=(5, 3))
    i, j = zip(*itertools.combinations(range(5), 2))
    d = x[list(i)] - x[list(j)]
    ref = (d != 0).sum(1) if p == 0 else np.linalg.norm(d, ord=p, axis=1)
    out = F.pdist(_t(x, device=device), p)
    assert out.device.type == device
    np.testing.assert_allclose(_h(out), ref, rtol=1e-12)
    gradcheck(lambda t: F.pdist(t, p), (_t(x, True, device),))


def test_pdist_edge_cases_and_errors(device):
    assert F.pdist(ember.ones(1, 3, device=device)).shape == (0,)
    assert F.pdist(ember.ones(0, 3, device=device)).shape == (0,)
    x = _t([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]], True, device)
    out = F.pdist(x)
    np.testing.assert_allclose(_h(out), [0, np.sqrt(2), np.sqrt(2)])
    out.sum().backward()  # the coinciding rows get the 0 subgradient from their distance
    h = np.sqrt(0.5)
    assert x.grad.device.type == device
    np.testing.assert_allclose(_h(x.grad), [[h, h], [h, h], [-2 * h, -2 * h]])
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        F.pdist(ember.ones(3))
    with pytest.raises(RuntimeError, match="only supports floating-point dtypes"):
        F.pdist(ember.ones(3, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="non-negative p values"):
        F.pdist(ember.ones(3, 2), -1)


def test_distance_modules_repr():
    assert repr(nn.CosineSimilarity(0, 1e-3)) == "CosineSimilarity()"
    assert repr(nn.PairwiseDistance()) == "PairwiseDistance()"
    m = nn.PairwiseDistance(1, 1e-3, True)
    assert (m.norm, m.eps, m.keepdim) == (1, 1e-3, True)
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    np.testing.assert_allclose(
        nn.CosineSimilarity(dim=0)(_t(a), _t(b)).numpy(),
        F.cosine_similarity(_t(a), _t(b), dim=0).numpy(),
    )


# ----------------------------------------------------------------------------------- losses


def _multilabel_margin_ref(x, y):
    n, c = x.shape
    out = np.zeros(n)
    for k in range(n):
        targets = []
        for t in y[k]:
            if t == -1:
                break
            targets.append(t)
        for j in targets:
            for i in range(c):
                if i not in targets:
                    out[k] += max(0.0, 1 - (x[k, j] - x[k, i]))
    return out / c


MULTILABEL_TARGETS = np.array(
    [[3, 0, -1, 1, 2], [1, 2, 3, -1, -1], [4, 4, -1, 2, 0], [0, 1, 2, 3, 4]]
)


@pytest.mark.parametrize("reduction,device", _cpu(["none", "mean", "sum"]) + [_cuda("none")])
def test_multilabel_margin_loss(reduction, device):
    x = RNG.normal(size=(4, 5))
    ref = _reduce(_multilabel_margin_ref(x, MULTILABEL_TARGETS), reduction)
    y = _t(MULTILABEL_TARGETS, device=device)
    out = F.multilabel_margin_loss(_t(x, device=device), y, reduction=reduction)
    assert out.device.type == device
    np.testing.assert_allclose(_h(out), ref, rtol=1e-12)
    module = nn.MultiLabelMarginLoss(reduction=reduction)
    np.testing.assert_allclose(_h(module(_t(x, device=device), y)), ref, rtol=1e-12)
    gradcheck(lambda t: F.multilabel_margin_loss(t, y, reduction=reduction), (_t(x, True, device),))
    # one sample: (C,) input and target
    one = F.multilabel_margin_loss(
        _t(x[1], device=device), _t(MULTILABEL_TARGETS[1], device=device), reduction=reduction
    )
    assert one.shape == ()
    np.testing.assert_allclose(_h(one), _multilabel_margin_ref(x[1:2], MULTILABEL_TARGETS[1:2])[0])


def test_multilabel_margin_loss_errors():
    x = ember.randn(2, 4)
    good = ember.tensor([[3, 0, -1, 1], [1, 2, 3, -1]])
    with pytest.raises(
        RuntimeError, match=r"inconsistent target size: \[1, 4\] for input of size: \[2, 4\]"
    ):
        F.multilabel_margin_loss(x, good[:1])
    with pytest.raises(RuntimeError, match="'target' is out of range"):
        F.multilabel_margin_loss(x, ember.tensor([[4, 0, -1, 1], [1, 2, 3, -1]]))
    with pytest.raises(RuntimeError, match="'target' is out of range"):
        F.multilabel_margin_loss(x, ember.tensor([[-2, 0, -1, 1], [1, 2, 3, -1]]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multilabel_margin_loss(x, good.float())
    with pytest.raises(RuntimeError, match="non-empty vector or matrix"):
        F.multilabel_margin_loss(ember.randn(2, 3, 4), ember.zeros(2, 3, 4, dtype=ember.int64))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.multilabel_margin_loss(x.long(), good)
    with pytest.raises(ValueError, match="bogus is not a valid value for reduction"):
        F.multilabel_margin_loss(x, good, reduction="bogus")


@pytest.mark.parametrize(
    "reduction,weighted,device",
    _cpu(list(itertools.product(["none", "mean", "sum"], [False, True]))) + [_cuda("mean", True)],
)
def test_multilabel_soft_margin_loss(reduction, weighted, device):
    x, y = RNG.normal(size=(3, 4)), RNG.uniform(size=(3, 4))
    w = RNG.uniform(0.5, 2, size=4) if weighted else None
    s = 1 / (1 + np.exp(-x))
    per = -(y * np.log(s) + (1 - y) * np.log(1 - s)) * (1 if w is None else w)
    ref = _reduce(per.mean(1), reduction)
    wt = None if w is None else _t(w, device=device)
    tx, ty = _t(x, device=device), _t(y, device=device)
    out = F.multilabel_soft_margin_loss(tx, ty, weight=wt, reduction=reduction)
    np.testing.assert_allclose(_h(out), ref, rtol=1e-12)
    module = nn.MultiLabelSoftMarginLoss(weight=wt, reduction=reduction)
    np.testing.assert_allclose(_h(module(tx, ty)), ref, rtol=1e-12)
    gradcheck(
        lambda a, b: F.multilabel_soft_margin_loss(a, b, weight=wt, reduction=reduction),
        (_t(x, True, device), _t(y, True, device)),
    )


def test_multilabel_soft_margin_loss_module_state():
    m = nn.MultiLabelSoftMarginLoss(weight=ember.ones(3))
    assert repr(m) == "MultiLabelSoftMarginLoss()"
    assert list(m.state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="x is not valid"):
        F.multilabel_soft_margin_loss(ember.randn(2, 3), ember.ones(2, 3), reduction="x")


@pytest.mark.parametrize(
    "reduction,swap,device",
    _cpu(list(itertools.product(["none", "mean", "sum"], [False, True]))) + [_cuda("sum", True)],
)
def test_triplet_margin_with_distance_loss(reduction, swap, device):
    a, p, n = (RNG.normal(size=(4, 3)) for _ in range(3))

    def d(u, v):
        return np.linalg.norm(u - v + 1e-6, axis=-1)

    neg = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
    ref = _reduce(np.maximum(0, 0.5 + d(a, p) - neg), reduction)
    ts = [_t(v, True, device) for v in (a, p, n)]
    out = F.triplet_margin_with_distance_loss(*ts, margin=0.5, swap=swap, reduction=reduction)
    assert out.device.type == device
    np.testing.assert_allclose(_h(out), ref, rtol=1e-12)
    # the default distance is pairwise_distance: the same as triplet_margin_loss
    same = F.triplet_margin_loss(*ts, margin=0.5, swap=swap, reduction=reduction)
    np.testing.assert_allclose(_h(out), _h(same), rtol=1e-12)
    gradcheck(
        lambda *t: F.triplet_margin_with_distance_loss(
            *t,
            distance_function=lambda u, v: 1 - F.cosine_similarity(u, v),
            margin=0.5,
            swap=swap,
            reduction=reduction,
        ),
        tuple(ts),
    )


def test_triplet_margin_with_distance_loss_module_and_errors():
    assert repr(nn.TripletMarginWithDistanceLoss()) == (
        "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    )
    assert repr(nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: a - b)) == (
        "TripletMarginWithDistanceLoss()"
    )
    m = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1), margin=2.0)
    a, p, n = (ember.randn(3, 4) for _ in range(3))
    ref = F.triplet_margin_loss(a, p, n, margin=2.0, p=1)
    np.testing.assert_allclose(m(a, p, n).numpy(), ref.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0 instead"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)  # keyword-only, as in torch
    with pytest.raises(ValueError, match="margin must be greater than 0, got -1"):
        F.triplet_margin_with_distance_loss(a, p, n, margin=-1)
    with pytest.raises(ValueError, match="x is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(a, p, n, reduction="x")
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(a, p, n[0])


# ------------------------------------------------------------------- gumbel, channel shuffle


@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_soft(dim):
    logits = ember.randn(4, 5, requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.7, dim=dim)
    assert y.shape == (4, 5)
    np.testing.assert_allclose(y.sum(dim).detach().numpy(), 1.0, rtol=1e-6)
    assert (y.detach().numpy() > 0).all()


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    logits = ember.randn(4, 5, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(3)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    ember.manual_seed(3)
    soft = F.gumbel_softmax(logits, tau=0.5)
    v = y.detach().numpy()
    assert set(np.unique(v)) == {0.0, 1.0} and (v.sum(1) == 1).all()
    np.testing.assert_array_equal(v.argmax(1), soft.detach().numpy().argmax(1))
    w = ember.tensor(RNG.normal(size=(4, 5)))
    (y * w).sum().backward()
    hard_grad = logits.grad.numpy().copy()
    logits.grad = None
    (soft * w).sum().backward()
    np.testing.assert_allclose(hard_grad, logits.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gumbel_softmax_seeded_reproducible_and_eps_warning():
    logits = ember.randn(3, 6)
    ember.manual_seed(11)
    a = F.gumbel_softmax(logits, hard=True)
    ember.manual_seed(11)
    b = F.gumbel_softmax(logits, hard=True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-5)


def test_gumbel_softmax_follows_the_categorical_distribution():
    ember.manual_seed(0)
    probs = np.array([0.1, 0.2, 0.7])
    logits = ember.tensor(np.log(probs)).expand(20000, 3)
    freq = F.gumbel_softmax(logits, hard=True).numpy().mean(0)
    np.testing.assert_allclose(freq, probs, atol=0.02)


def test_channel_shuffle():
    x = np.arange(24.0).reshape(2, 6, 2)
    ref = x.reshape(2, 3, 2, 2).transpose(0, 2, 1, 3).reshape(2, 6, 2)
    np.testing.assert_array_equal(F.channel_shuffle(_t(x), 3).numpy(), ref)
    m = nn.ChannelShuffle(3)
    assert repr(m) == "ChannelShuffle(groups=3)"
    np.testing.assert_array_equal(m(_t(x)).numpy(), ref)
    assert F.channel_shuffle(ember.arange(12).reshape(1, 6, 2), 2).dtype == ember.int64
    gradcheck(lambda t: F.channel_shuffle(t, 2), (_t(RNG.normal(size=(1, 4, 2, 3)), True),))
    with pytest.raises(RuntimeError, match=r"> 2 dims, but got input with sizes \[1, 6\]"):
        F.channel_shuffle(ember.ones(1, 6), 2)
    with pytest.raises(RuntimeError, match=r"must be positive\. Value of groups:0"):
        F.channel_shuffle(ember.ones(1, 6, 2), 0)
    with pytest.raises(RuntimeError, match=r"Got 6 channels and 4 groups\."):
        F.channel_shuffle(ember.ones(1, 6, 2), 4)
