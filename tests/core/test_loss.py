"""Loss functions and modules: every loss against a numpy reference written here, for each
reduction; gradients (and second derivatives of cross entropy, mse and bce-with-logits) by
finite differences; CTC against a brute-force sum over all alignments; numerical stability;
torch's legacy arguments, warnings and error messages."""

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)
REDUCTIONS = ["none", "mean", "sum"]


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------------------------ class-index references


def _class_loss(logp, target, weight, ignore_index, smoothing, reduction):
    """torch's nll_loss (smoothing 0) and label-smoothed cross entropy, one row at a time."""
    if logp.ndim == 1:
        loss = _class_loss(logp[None], target[None], weight, ignore_index, smoothing, reduction)
        return loss[0] if reduction == "none" else loss
    n_classes = logp.shape[1]
    rows = np.moveaxis(logp, 1, -1).reshape(-1, n_classes)
    w = np.ones(n_classes) if weight is None else weight
    losses = np.zeros(len(rows))
    kept_weight = 0.0
    for i, y in enumerate(target.reshape(-1)):
        if y == ignore_index:
            continue
        uniform = -(w * rows[i]).sum() / n_classes
        losses[i] = -(1 - smoothing) * w[y] * rows[i, y] + smoothing * uniform
        kept_weight += w[y]
    if reduction == "none":
        return losses.reshape(target.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / kept_weight


def _ce_probs(x, probs, weight, smoothing, reduction):
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    probs = probs * (1 - smoothing) + smoothing / n_classes
    shape = [1] * x.ndim
    shape[axis] = n_classes
    w = np.ones(shape) if weight is None else weight.reshape(shape)
    loss = -(_log_softmax(x, axis) * probs * w).sum(axis)
    if reduction == "mean":
        return loss.sum() / (x.size / n_classes)
    return _reduce(loss, reduction)


# (input shape, target shape) for class indices: batched, spatial and unbatched
CLASS_SHAPES = [((4, 5), (4,)), ((2, 3, 2, 2), (2, 2, 2)), ((5,), ())]
# (weighted, ignore_index used, label_smoothing)
CLASS_OPTIONS = [
    (False, False, 0.0),
    (True, False, 0.0),
    (False, True, 0.0),
    (True, True, 0.0),
    (False, False, 0.2),
    (True, True, 0.3),
]


def _class_case(shape, tshape, weighted, ignored):
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    x = RNG.normal(size=shape)
    target = RNG.integers(0, n_classes, size=tshape)
    ignore_index = -100
    if ignored:
        ignore_index = 1
        target.reshape(-1)[:1] = 1  # at least one ignored target
        target.reshape(-1)[-1:] = 0  # and at least one kept
    weight = RNG.uniform(0.5, 2.0, size=n_classes) if weighted else None
    return x, target, weight, ignore_index


def _with_weight(fn, weight):
    """``fn`` taking the weight as a trailing tensor input (so check_op casts it with x)."""
    if weight is None:
        return (lambda x, t: fn(x, t, None)), ()
    return (lambda x, t, w: fn(x, t, w)), (weight,)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("weighted", "ignored", "smoothing"), CLASS_OPTIONS)
@pytest.mark.parametrize(("shape", "tshape"), CLASS_SHAPES, ids=str)
def test_cross_entropy_class_indices(shape, tshape, weighted, ignored, smoothing, reduction):
    x, target, weight, ignore_index = _class_case(shape, tshape, weighted, ignored)

    def op(x, t, w):
        return F.cross_entropy(
            x, t, w, ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing
        )

    def reference(x, t, *w):
        axis = 0 if x.ndim == 1 else 1
        logp = _log_softmax(x, axis)
        return _class_loss(logp, t, w[0] if w else None, ignore_index, smoothing, reduction)

    op, extra = _with_weight(op, weight)
    check_op(op, reference, x, target, *extra, grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("weighted", "ignored"), [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize(("shape", "tshape"), CLASS_SHAPES, ids=str)
def test_nll_loss(shape, tshape, weighted, ignored, reduction):
    x, target, weight, ignore_index = _class_case(shape, tshape, weighted, ignored)
    axis = 0 if len(shape) == 1 else 1
    logp = _log_softmax(x, axis)

    def op(x, t, w):
        return F.nll_loss(x, t, w, ignore_index=ignore_index, reduction=reduction)

    def reference(x, t, *w):
        return _class_loss(x, t, w[0] if w else None, ignore_index, 0.0, reduction)

    op, extra = _with_weight(op, weight)
    check_op(op, reference, logp, target, *extra, grad_inputs=[0], gradgrad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (4,)], ids=str)
def test_cross_entropy_probabilities(shape, weighted, smoothing, reduction):
    axis = 0 if len(shape) == 1 else 1
    x = RNG.normal(size=shape)
    probs = np.exp(_log_softmax(RNG.normal(size=shape), axis))
    weight = RNG.uniform(0.5, 2.0, size=shape[axis]) if weighted else None

    def op(x, p, w):
        return F.cross_entropy(x, p, w, reduction=reduction, label_smoothing=smoothing)

    def reference(x, p, *w):
        return _ce_probs(x, p, w[0] if w else None, smoothing, reduction)

    op, extra = _with_weight(op, weight)
    check_op(op, reference, x, probs, *extra, grad_inputs=[0, 1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("weighted", "ignored", "smoothing"), CLASS_OPTIONS[1::2])
def test_cross_entropy_second_order(weighted, ignored, smoothing, reduction, device):
    x, target, weight, ignore_index = _class_case((3, 4, 2), (3, 2), weighted, ignored)
    t = ember.tensor(target, device=device)
    w = None if weight is None else ember.tensor(weight, device=device)
    xt = ember.tensor(x, requires_grad=True, device=device)

    def op(x):
        return F.cross_entropy(
            x, t, w, ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing
        )

    gradcheck(op, (xt,))
    gradgradcheck(op, (xt,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("weighted", "ignored"), [(False, False), (False, True), (True, True)])
@pytest.mark.parametrize("n_classes", [1, 5, 300])  # (300: more classes than a block's threads)
def test_cross_entropy_of_rows_on_device(n_classes, weighted, ignored, reduction, device):
    # (N, C) scores take one kernel on a GPU, forward and backward: values against the
    # reference, first and second derivatives by finite differences
    x, target, weight, ignore_index = _class_case((6, n_classes), (6,), weighted, ignored)
    x[2, 0] = 40.0  # a dominant score: exp(x - max) must not overflow
    t = ember.tensor(target, device=device)
    w = None if weight is None else ember.tensor(weight, device=device)

    def op(x):
        weights = None if w is None else w.to(x.dtype)
        return F.cross_entropy(x, t, weights, ignore_index=ignore_index, reduction=reduction)

    xt = ember.tensor(x, requires_grad=True, device=device)
    expected = _class_loss(_log_softmax(x, 1), target, weight, ignore_index, 0.0, reduction)
    assert_close(op(xt).cpu(), expected)
    gradcheck(op, (xt,))
    gradgradcheck(op, (xt,))
    single = ember.tensor(x, dtype=ember.float32, device=device)
    assert_close(op(single).cpu(), np.float32(expected), rtol=1e-5, atol=1e-5, check_dtype=False)


def test_cross_entropy_of_rows_edge_values(device):
    x = ember.tensor([[0.0, float("nan"), 1.0], [float("-inf"), 0.0, 0.0], [1.0, 2.0, 3.0]])
    losses = F.cross_entropy(x.to(device), ember.tensor([0, 1, 2], device=device), reduction="none")
    expected = [float("nan"), math.log(2.0), -_log_softmax(np.array([[1.0, 2.0, 3.0]]), 1)[0, 2]]
    assert_close(losses.cpu(), np.float32(expected), equal_nan=True)
    with pytest.raises(IndexError, match=r"Target 3 is out of bounds\."):
        F.cross_entropy(x.to(device), ember.tensor([0, 3, 1], device=device))
    with pytest.raises(IndexError, match=r"Target -2 is out of bounds\."):
        F.cross_entropy(x.to(device), ember.tensor([-2, 0, 1], device=device))


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = RNG.normal(size=(3, 4))
    t = np.array([0, 3, 1])
    xt = ember.tensor(x, requires_grad=True)
    F.cross_entropy(xt, ember.tensor(t), reduction="sum").backward()
    expected = np.exp(_log_softmax(x, 1))
    expected[np.arange(3), t] -= 1
    assert_close(xt.grad, expected)


def test_cross_entropy_all_targets_ignored_is_nan():
    x = ember.randn(2, 3, requires_grad=True)
    t = ember.tensor([-100, -100])
    assert math.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0
    assert_close(F.cross_entropy(x, t, reduction="none"), np.zeros(2, np.float32))


def test_cross_entropy_large_logits_are_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0], [-1000.0, 1000.0, 999.0]])
    t = np.array([2, 0, 2])
    xt = ember.tensor(x, dtype=ember.float32, requires_grad=True)
    loss = F.cross_entropy(xt, ember.tensor(t), reduction="none")
    assert_close(loss, _class_loss(_log_softmax(x, 1), t, None, -100, 0.0, "none"), rtol=1e-5)
    loss.sum().backward()
    assert np.isfinite(xt.grad.numpy()).all()
    smoothed = F.cross_entropy(xt, ember.tensor(t), label_smoothing=0.1, reduction="none")
    assert_close(smoothed, _class_loss(_log_softmax(x, 1), t, None, -100, 0.1, "none"), rtol=1e-5)


def test_cross_entropy_keeps_dtype_and_accepts_uint8_targets():
    x = ember.randn(3, 4, dtype=ember.float64)
    assert F.cross_entropy(x, ember.tensor([0, 1, 3])).dtype == ember.float64
    assert_close(
        F.cross_entropy(x, ember.tensor([0, 1, 3], dtype=ember.uint8)),
        F.cross_entropy(x, ember.tensor([0, 1, 3])),
    )


def test_class_index_errors():
    x = ember.randn(3, 5)
    with pytest.raises(IndexError, match=r"^Target 5 is out of bounds\.$"):
        F.cross_entropy(x, ember.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match=r"^Target -1 is out of bounds\.$"):
        F.nll_loss(x, ember.tensor([0, -1, 1]))
    with pytest.raises(
        ValueError, match=r"^Expected input batch_size \(3\) to match target batch_size \(2\)\.$"
    ):
        F.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"^expected scalar type Long but found Float$"):
        F.cross_entropy(x, ember.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"^expected scalar type Long but found Int$"):
        F.nll_loss(x, ember.tensor([0, 1, 2], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        F.cross_entropy(x, ember.zeros(3, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2, 3\]"):
        F.cross_entropy(ember.randn(2, 5, 4), ember.zeros(2, 3, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="for all 5 classes or no classes but got weight"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), weight=ember.ones(4))
    with pytest.raises(
        RuntimeError, match=r"^Expected floating point type for target with class probabilities"
    ):
        F.cross_entropy(x, ember.zeros(3, 5, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        F.cross_entropy(x, ember.zeros(3, 5), ignore_index=1)
    with pytest.raises(RuntimeError, match=r"label_smoothing must be between 0\.0 and 1\.0\."):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"^foo is not a valid value for reduction$"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), reduction="foo")
    with pytest.raises(ValueError, match=r"Expected 1 or more dimensions \(got 0\)"):
        F.nll_loss(ember.tensor(1.0), ember.tensor(0))


def test_legacy_reduction_arguments():
    x, t = ember.randn(4, 3), ember.tensor([0, 1, 2, 0])
    for kwargs, reduction in [
        ({"size_average": False}, "sum"),
        ({"reduce": False}, "none"),
        ({"size_average": True, "reduce": True}, "mean"),
    ]:
        with pytest.warns(UserWarning, match=f"please use reduction='{reduction}' instead"):
            legacy = F.cross_entropy(x, t, **kwargs)
        assert_close(legacy, F.cross_entropy(x, t, reduction=reduction))
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            assert nn.MSELoss(**kwargs).reduction == reduction


# ------------------------------------------------------------------------------ regression


def _smooth_l1(d, beta):
    d = np.abs(d)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)


def _huber(d, delta):
    d = np.abs(d)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


REGRESSION = [
    ("mse", lambda x, y, **kw: F.mse_loss(x, y, **kw), lambda d: d * d),
    ("l1", lambda x, y, **kw: F.l1_loss(x, y, **kw), np.abs),
    (
        "smooth_l1",
        lambda x, y, **kw: F.smooth_l1_loss(x, y, beta=0.7, **kw),
        lambda d: _smooth_l1(d, 0.7),
    ),
    ("huber", lambda x, y, **kw: F.huber_loss(x, y, delta=0.6, **kw), lambda d: _huber(d, 0.6)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "op", "elementwise"), REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses(name, op, elementwise, reduction):
    x, y = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    check_op(
        lambda x, y: op(x, y, reduction=reduction),
        lambda x, y: _reduce(elementwise(x - y), reduction),
        x,
        y,
        gradgrad=name == "mse",
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse", "l1", "huber"])
def test_regression_weights(name, reduction):
    """torch's weighted mean: over the summed weights for mse and l1, the count for huber."""
    x, y, w = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3)), RNG.uniform(0.5, 2, size=(2, 3))
    _, op, elementwise = next(r for r in REGRESSION if r[0] == name)

    def reference(x, y, w):
        loss = elementwise(x - y) * w
        if reduction == "mean" and name != "huber":
            return loss.sum() / w.sum()
        return _reduce(loss, reduction)

    check_op(lambda x, y, w: op(x, y, reduction=reduction, weight=w), reference, x, y, w)
    with pytest.raises(ValueError, match=r"^Weights and input must have the same size\.$"):
        op(ember.randn(2, 3), ember.randn(2, 3), weight=ember.ones(3))


def test_regression_broadcast_warns_and_options():
    x, y = ember.randn(3, 2), ember.randn(2)
    with pytest.warns(UserWarning, match=r"Using a target size \(ember.Size\(\[2\]\)\) that is"):
        loss = F.mse_loss(x, y, reduction="none")
    assert loss.shape == (3, 2)
    d = RNG.normal(size=5)
    assert_close(
        F.smooth_l1_loss(ember.tensor(d), ember.zeros(5, dtype=ember.float64), beta=0.0),
        np.abs(d).mean(),
    )
    with pytest.raises(RuntimeError, match="does not support negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="does not support non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)


# ---------------------------------------------------------------------------------- binary


def _bce(p, t, w=1.0):
    return -w * (t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(weighted, reduction):
    p, t = RNG.uniform(0.05, 0.95, size=(3, 4)), RNG.uniform(size=(3, 4))
    if weighted:
        w = RNG.uniform(0.5, 2.0, size=(4,))
        check_op(
            lambda p, t, w: F.binary_cross_entropy(p, t, w, reduction=reduction),
            lambda p, t, w: _reduce(_bce(p, t, w), reduction),
            p,
            t,
            w,
        )
    else:
        check_op(
            lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
            lambda p, t: _reduce(_bce(p, t), reduction),
            p,
            t,
        )


def test_binary_cross_entropy_clamps_logs_like_torch():
    p = ember.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    t = ember.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    assert_close(loss, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    # (p - t) / max(p (1 - p), 1e-12)
    assert_close(p.grad, [-1e12, 1e12, 0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"^all elements of input should be between 0 and 1$"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match="is different to the input size"):
        F.binary_cross_entropy(ember.rand(3), ember.rand(3, 1))


def test_binary_cross_entropy_dtypes():
    # the target must have the input's dtype (torch promotes neither); the weight is cast to it
    p = ember.tensor([0.5, 0.25])
    with pytest.raises(RuntimeError, match=r"^Found dtype Double but expected Float$"):
        F.binary_cross_entropy(p, ember.tensor([1.0, 0.0], dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"^Found dtype Long but expected Float$"):
        F.binary_cross_entropy(p, ember.tensor([1, 0]))
    w = ember.tensor([2.0, 1.0], dtype=ember.float64)
    loss = F.binary_cross_entropy(p, ember.tensor([1.0, 0.0]), w, reduction="none")
    assert loss.dtype == ember.float32
    assert_close(loss, np.array([2 * np.log(2.0), np.log(4 / 3)], np.float32))


def _bce_logits(x, t, w=1.0, pw=1.0):
    return -w * (pw * t * np.log(_sigmoid(x)) + (1 - t) * np.log(1 - _sigmoid(x)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("weighted", "pos_weighted"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_binary_cross_entropy_with_logits(weighted, pos_weighted, reduction, device):
    x, t = RNG.normal(size=(3, 4)), RNG.uniform(size=(3, 4))
    w = RNG.uniform(0.5, 2.0, size=(3, 1)) if weighted else None
    pw = RNG.uniform(0.5, 3.0, size=(4,)) if pos_weighted else None
    inputs = [x, t] + [a for a in (w, pw) if a is not None]

    def unpack(rest):
        rest = list(rest)
        return (rest.pop(0) if weighted else None), (rest.pop(0) if pos_weighted else None)

    def op(x, t, *rest):
        w, pw = unpack(rest)
        return F.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw)

    def reference(x, t, *rest):
        w, pw = unpack(rest)
        return _reduce(
            _bce_logits(x, t, 1.0 if w is None else w, 1.0 if pw is None else pw), reduction
        )

    check_op(op, reference, *inputs, gradgrad=True, device=device)


def test_binary_cross_entropy_with_logits_is_stable():
    x = ember.tensor([100.0, -100.0, 100.0, -100.0], requires_grad=True)
    t = ember.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert_close(loss, [0.0, 0.0, 100.0, 100.0])
    loss.sum().backward()
    assert_close(x.grad, [0.0, 0.0, 1.0, -1.0])
    with pytest.raises(
        ValueError, match=r"^Target size \(ember.Size\(\[4, 1\]\)\) must be the same"
    ):
        F.binary_cross_entropy_with_logits(x, t.reshape(4, 1))


# ------------------------------------------------------------------------- probabilistic


def _xlogx(t):
    return np.where(t == 0, 0.0, t * np.log(np.where(t == 0, 1.0, t)))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(log_target, reduction):
    x = _log_softmax(RNG.normal(size=(3, 4)), 1)
    target = np.exp(_log_softmax(RNG.normal(size=(3, 4)), 1))
    target[0, 0] = 0.0  # 0 log 0 = 0
    if log_target:
        target = np.log(target[1:])
        x = x[1:]

    def reference(x, t):
        loss = np.exp(t) * (t - x) if log_target else _xlogx(t) - t * x
        return loss.sum() / x.shape[0] if reduction == "batchmean" else _reduce(loss, reduction)

    def op(x, t):
        return F.kl_div(x, t, reduction=reduction, log_target=log_target)

    if reduction == "mean":
        with pytest.warns(UserWarning, match="'mean' divides the total loss by both"):
            check_op(op, reference, x, target, grad_inputs=[0])
    else:
        check_op(op, reference, x, target, grad_inputs=[0, 1] if log_target else [0])


def test_kl_div_target_gradient():
    x = _log_softmax(RNG.normal(size=(3, 4)), 1)
    target = np.exp(_log_softmax(RNG.normal(size=(3, 4)), 1))
    check_op(
        lambda x, t: F.kl_div(x, t, reduction="batchmean"),
        lambda x, t: (t * (np.log(t) - x)).sum() / 3,
        x,
        target,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("log_input", "full"), [(True, False), (False, False), (True, True)])
def test_poisson_nll_loss(log_input, full, reduction):
    x = RNG.normal(size=(3, 4)) if log_input else RNG.uniform(0.5, 3, size=(3, 4))
    target = RNG.integers(0, 5, size=(3, 4)).astype(np.float64)

    def reference(x, t):
        loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
        if full:
            safe = np.where(t > 1, t, 1.0)
            loss = loss + np.where(
                t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0
            )
        return _reduce(loss, reduction)

    check_op(
        lambda x, t: F.poisson_nll_loss(x, t, log_input=log_input, full=full, reduction=reduction),
        reference,
        x,
        target,
        grad_inputs=[0] if full else [0, 1],  # Stirling's term jumps at target 1
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("var_shape", "full"), [((3, 4), False), ((3,), True), ((3, 1), False)])
def test_gaussian_nll_loss(var_shape, full, reduction):
    x, t = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    var = RNG.uniform(0.5, 2.0, size=var_shape)

    def reference(x, t, v):
        v = v.reshape(3, -1)
        loss = 0.5 * (np.log(v) + (x - t) ** 2 / v) + (0.5 * np.log(2 * np.pi) if full else 0)
        return _reduce(loss, reduction)

    check_op(
        lambda x, t, v: F.gaussian_nll_loss(x, t, v, full=full, reduction=reduction),
        reference,
        x,
        t,
        var,
    )


def test_gaussian_nll_loss_clamps_var_and_checks():
    x = ember.zeros(2, dtype=ember.float64)
    var = ember.tensor([0.0, 1.0], dtype=ember.float64, requires_grad=True)
    loss = F.gaussian_nll_loss(
        x, ember.ones(2, dtype=ember.float64), var, eps=1e-2, reduction="none"
    )
    assert_close(loss, 0.5 * (np.log([1e-2, 1.0]) + 1 / np.array([1e-2, 1.0])))
    loss.sum().backward()  # the clamp passes the gradient straight through
    assert_close(var.grad, 0.5 * (1 / np.array([1e-2, 1.0]) - 1 / np.array([1e-4, 1.0])))
    with pytest.raises(ValueError, match=r"^var is of incorrect size$"):
        F.gaussian_nll_loss(ember.zeros(3, 2), ember.zeros(3, 2), ember.ones(2, 2))
    with pytest.raises(ValueError, match=r"^var has negative entry/entries$"):
        F.gaussian_nll_loss(ember.zeros(2), ember.zeros(2), ember.tensor([1.0, -1.0]))
    assert_close(F.gaussian_nll_loss(x, x + 1, 2.0), 0.5 * (np.log(2.0) + 0.5))


# ------------------------------------------------------------------------ margin losses


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batched", [True, False])
def test_cosine_embedding_loss(batched, reduction):
    shape = (4, 3) if batched else (3,)
    x1, x2 = RNG.normal(size=shape), RNG.normal(size=shape)
    target = np.array([1.0, -1.0, -1.0, 1.0]) if batched else np.array(-1.0)

    def reference(a, b, y):
        axis = a.ndim - 1
        cos = (a * b).sum(axis) / np.sqrt(((a * a).sum(axis) + 1e-12) * ((b * b).sum(axis) + 1e-12))
        return _reduce(np.where(y == 1, 1 - cos, np.maximum(cos + 0.2, 0)), reduction)

    check_op(
        lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.2, reduction=reduction),
        reference,
        x1,
        x2,
        target,
        grad_inputs=[0, 1],
    )
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D input tensors"):
        F.cosine_embedding_loss(ember.randn(3), ember.randn(3), ember.ones(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_and_hinge_embedding(reduction):
    a, b = RNG.normal(size=6), RNG.normal(size=6)
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    check_op(
        lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=reduction),
        lambda a, b, y: _reduce(np.maximum(-y * (a - b) + 0.3, 0), reduction),
        a,
        b,
        y,
        grad_inputs=[0, 1],
    )
    d = RNG.uniform(0.1, 2.0, size=6)
    check_op(
        lambda d, y: F.hinge_embedding_loss(d, y, margin=1.2, reduction=reduction),
        lambda d, y: _reduce(np.where(y == 1, d, np.maximum(1.2 - d, 0)), reduction),
        d,
        y,
        grad_inputs=[0],
    )
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(ember.randn(3), ember.randn(3), ember.ones(3, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    x, y = RNG.normal(size=(3, 4)), np.sign(RNG.normal(size=(3, 4)))
    check_op(
        lambda x, y: F.soft_margin_loss(x, y, reduction=reduction),
        lambda x, y: _reduce(np.log1p(np.exp(-y * x)), reduction),
        x,
        y,
        grad_inputs=[0],
    )
    big = F.soft_margin_loss(ember.tensor([-1000.0]), ember.tensor([1.0]))
    assert_close(big, 1000.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("p", "weighted"), [(1, False), (2, True)])
def test_multi_margin_loss(p, weighted, reduction):
    x, y = RNG.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    w = RNG.uniform(0.5, 2.0, size=3) if weighted else None

    def reference(x, y, *w):
        losses = np.zeros(len(y))
        for i, yi in enumerate(y):
            for j in range(x.shape[1]):
                if j != yi:
                    z = max(0.0, 0.7 - x[i, yi] + x[i, j]) ** p
                    losses[i] += z * (w[0][yi] if w else 1.0) / x.shape[1]
        return _reduce(losses, reduction)

    def op(x, y, w):
        return F.multi_margin_loss(x, y, p=p, margin=0.7, weight=w, reduction=reduction)

    op, extra = _with_weight(op, w)
    check_op(op, reference, x, y, *extra, grad_inputs=[0])
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(ember.randn(2, 3), ember.tensor([0, 1]), p=3)


def _pairwise(a, b, p, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("p", "swap", "shape"), [(2, False, (4, 3)), (1, True, (4, 3)), (2, True, (3,))]
)
def test_triplet_margin_loss(p, swap, shape, reduction):
    a, pos, neg = (RNG.normal(size=shape) for _ in range(3))

    def reference(a, pos, neg):
        d_neg = _pairwise(a, neg, p)
        if swap:
            d_neg = np.minimum(d_neg, _pairwise(pos, neg, p))
        return _reduce(np.maximum(1.5 + _pairwise(a, pos, p) - d_neg, 0), reduction)

    check_op(
        lambda a, pos, neg: F.triplet_margin_loss(
            a, pos, neg, margin=1.5, p=p, swap=swap, reduction=reduction
        ),
        reference,
        a,
        pos,
        neg,
    )
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D inputs"):
        F.triplet_margin_loss(ember.randn(2, 3), ember.randn(3), ember.randn(2, 3))


# ------------------------------------------------------------------------------------ CTC


def _ctc_brute_force(logp, target, blank=0):
    """-log of the summed probability of every path over (T, C) that collapses to target."""
    n_time, n_classes = logp.shape
    total = 0.0
    for path in itertools.product(range(n_classes), repeat=n_time):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != blank] == list(target):
            total += np.exp(sum(logp[t, k] for t, k in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


# T = 4, C = 3; one sample per kind: full length, a repeated label, a shorter input, empty
CTC_TARGETS = np.array([[1, 2], [1, 1], [2, 0], [0, 0]])
CTC_IN_LEN = np.array([4, 4, 3, 2])
CTC_TG_LEN = np.array([2, 2, 1, 0])


def _ctc_reference(logits, reduction, blank=0):
    logp = _log_softmax(logits, 2)
    losses = np.array(
        [
            _ctc_brute_force(logp[: CTC_IN_LEN[b], b], CTC_TARGETS[b, : CTC_TG_LEN[b]], blank)
            for b in range(len(CTC_IN_LEN))
        ]
    )
    if reduction == "mean":
        return (losses / np.maximum(CTC_TG_LEN, 1)).mean()
    return _reduce(losses, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_matches_brute_force(reduction, device):
    logits = RNG.normal(size=(4, 4, 3))
    targets = ember.tensor(CTC_TARGETS, device=device)

    def op(x):
        logp = F.log_softmax(x, 2)
        return F.ctc_loss(
            logp, targets, ember.tensor(CTC_IN_LEN), tuple(CTC_TG_LEN), reduction=reduction
        )

    check_op(op, lambda x: _ctc_reference(x, reduction), logits, device=device)


def test_ctc_loss_blank_and_concatenated_targets():
    logits = RNG.normal(size=(4, 4, 3))
    logp = ember.tensor(_log_softmax(logits, 2))
    concatenated = ember.tensor(np.concatenate([t[:n] for t, n in zip(CTC_TARGETS, CTC_TG_LEN)]))
    padded = ember.tensor(CTC_TARGETS)
    args = (ember.tensor(CTC_IN_LEN), ember.tensor(CTC_TG_LEN))
    assert_close(
        F.ctc_loss(logp, concatenated, *args, reduction="none"),
        F.ctc_loss(logp, padded, *args, reduction="none"),
    )
    # blank = 2: relabel so that the same alignments are counted
    relabel = np.array([2, 0, 1])
    targets = ember.tensor(relabel[CTC_TARGETS])
    swapped = ember.tensor(_log_softmax(logits[..., [1, 2, 0]], 2))
    assert_close(
        F.ctc_loss(swapped, targets, *args, blank=2, reduction="none"),
        F.ctc_loss(logp, padded, *args, reduction="none"),
    )


def test_ctc_loss_gradient_is_torchs():
    """torch's gradient w.r.t. log_probs: the true derivative plus exp(log_probs), within each
    sample's input length, 0 after it."""
    logp = _log_softmax(RNG.normal(size=(4, 2, 3)), 2)
    targets, in_len, tg_len = CTC_TARGETS[:2], [4, 3], [2, 1]
    lp = ember.tensor(logp, requires_grad=True)
    F.ctc_loss(lp, ember.tensor(targets), in_len, tg_len, reduction="sum").backward()

    def total(a):
        return sum(_ctc_brute_force(a[: in_len[b], b], targets[b, : tg_len[b]]) for b in range(2))

    numeric = np.zeros_like(logp)
    for i in np.ndindex(logp.shape):
        step = np.zeros_like(logp)
        step[i] = 1e-6
        numeric[i] = (total(logp + step) - total(logp - step)) / 2e-6
    within = (np.arange(4)[:, None] < np.array(in_len))[..., None]
    assert_close(lp.grad, numeric + np.where(within, np.exp(logp), 0), atol=1e-6, rtol=1e-5)


def test_ctc_loss_impossible_alignments_and_zero_infinity():
    logp = ember.tensor(_log_softmax(RNG.normal(size=(2, 1, 3)), 2), requires_grad=True)
    targets, lengths = ember.tensor([[1, 1]]), ([2], [2])  # 1, 1 needs 3 steps
    assert F.ctc_loss(logp, targets, *lengths, reduction="sum").item() == math.inf
    loss = F.ctc_loss(logp, targets, *lengths, reduction="sum", zero_infinity=True)
    assert loss.item() == 0
    loss.backward()
    assert_close(logp.grad, np.zeros((2, 1, 3)))


def test_ctc_loss_unbatched_and_module():
    logits = RNG.normal(size=(4, 3))
    logp = ember.tensor(_log_softmax(logits, 1))
    loss = F.ctc_loss(logp, ember.tensor([1, 2]), 4, 2, reduction="none")
    assert loss.shape == ()
    assert_close(loss, _ctc_brute_force(_log_softmax(logits, 1), [1, 2]))
    module = nn.CTCLoss(blank=0, reduction="sum")
    assert repr(module) == "CTCLoss()"
    assert_close(module(logp.unsqueeze(1), ember.tensor([[1, 2]]), [4], [2]), loss)


def test_ctc_loss_has_no_second_derivative():
    logp = ember.tensor(_log_softmax(RNG.normal(size=(4, 1, 3)), 2), requires_grad=True)
    loss = F.ctc_loss(logp, ember.tensor([[1, 2]]), [4], [2])
    (g,) = ember.autograd.grad(loss, logp, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for ctc_loss_backward is not implemented"):
        g.sum().backward()


def test_ctc_loss_errors():
    logp = ember.randn(4, 2, 3).log_softmax(2)
    targets = ember.tensor([[1, 2], [1, 1]])
    with pytest.raises(RuntimeError, match=r"^blank must be in label range$"):
        F.ctc_loss(logp, targets, [4, 4], [2, 2], blank=3)
    with pytest.raises(
        RuntimeError, match="Expected input_lengths to have value at most 4, but got value 5"
    ):
        F.ctc_loss(logp, targets, [5, 4], [2, 2])
    with pytest.raises(RuntimeError, match=r"^input_lengths must be of size batch_size$"):
        F.ctc_loss(logp, targets, [4], [2, 2])
    with pytest.raises(
        RuntimeError, match="Expected tensor to have size at least 3 at dimension 1"
    ):
        F.ctc_loss(logp, targets, [4, 4], [3, 2])
    with pytest.raises(RuntimeError, match="Expected tensor to have size 4 at dimension 0"):
        F.ctc_loss(logp, ember.tensor([1, 2, 1]), [4, 4], [2, 2])


# -------------------------------------------------------------------------------- modules


def test_module_defaults_reprs_and_forward():
    x, t = ember.randn(4, 3), ember.tensor([0, 2, 1, 2])
    weight = ember.tensor([1.0, 2.0, 0.5])
    ce = nn.CrossEntropyLoss(weight=weight, ignore_index=1, label_smoothing=0.1)
    assert repr(ce) == "CrossEntropyLoss()"
    assert (ce.reduction, ce.ignore_index, ce.label_smoothing) == ("mean", 1, 0.1)
    assert_close(ce(x, t), F.cross_entropy(x, t, weight, ignore_index=1, label_smoothing=0.1))
    assert list(ce.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert_close(nn.NLLLoss(reduction="sum")(x, t), F.nll_loss(x, t, reduction="sum"))
    y = ember.randn(4, 3)
    cases = [  # (module, target, the functional result)
        (nn.MSELoss(), y, F.mse_loss(x, y)),
        (nn.L1Loss(reduction="none"), y, F.l1_loss(x, y, reduction="none")),
        (nn.SmoothL1Loss(beta=0.5), y, F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(delta=2.0), y, F.huber_loss(x, y, delta=2.0)),
        (nn.SoftMarginLoss(), y.sign(), F.soft_margin_loss(x, y.sign())),
        (nn.HingeEmbeddingLoss(2.0), y.sign(), F.hinge_embedding_loss(x, y.sign(), margin=2.0)),
        (nn.PoissonNLLLoss(full=True), y.abs(), F.poisson_nll_loss(x, y.abs(), full=True)),
    ]
    for module, target, expected in cases:
        assert_close(module(x, target), expected)
        assert repr(module) == f"{type(module).__name__}()"
    assert nn.HuberLoss().delta == 1.0 and nn.SmoothL1Loss().beta == 1.0
    kl = nn.KLDivLoss(reduction="batchmean", log_target=True)
    assert_close(
        kl(x.log_softmax(1), y.log_softmax(1)),
        F.kl_div(x.log_softmax(1), y.log_softmax(1), reduction="batchmean", log_target=True),
    )
    triplet = nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True)
    assert (triplet.margin, triplet.p, triplet.eps, triplet.swap) == (0.5, 1.0, 1e-06, True)
    assert_close(triplet(x, y, -y), F.triplet_margin_loss(x, y, -y, margin=0.5, p=1.0, swap=True))
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    assert nn.CosineEmbeddingLoss().margin == 0.0 and nn.MarginRankingLoss().margin == 0.0
    sign = ember.tensor([1.0, -1.0, 1.0, -1.0])
    assert_close(
        nn.CosineEmbeddingLoss(margin=0.1)(x, y, sign),
        F.cosine_embedding_loss(x, y, sign, margin=0.1),
    )
    assert_close(
        nn.MarginRankingLoss(margin=0.1)(x[:, 0], y[:, 0], sign),
        F.margin_ranking_loss(x[:, 0], y[:, 0], sign, margin=0.1),
    )
    assert_close(
        nn.MultiMarginLoss(p=2, weight=weight)(x, t), F.multi_margin_loss(x, t, p=2, weight=weight)
    )
    var = y.abs() + 0.1
    assert_close(
        nn.GaussianNLLLoss(full=True)(x, y, var), F.gaussian_nll_loss(x, y, var, full=True)
    )


def test_bce_modules_keep_weights_as_buffers():
    w, pw = ember.tensor([1.0, 2.0]), ember.tensor([3.0, 0.5])
    bce = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    assert list(bce.state_dict()) == ["weight", "pos_weight"]
    x, t = ember.randn(3, 2), ember.rand(3, 2)
    assert_close(bce(x, t), F.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw))
    bce.to(ember.float64)
    assert bce.weight.dtype == ember.float64 and bce.pos_weight.dtype == ember.float64
    probs = ember.rand(3, 2)
    assert_close(nn.BCELoss(weight=w)(probs, t), F.binary_cross_entropy(probs, t, w))


def test_modules_on_device(device):
    weight = ember.tensor([1.0, 2.0, 0.5])
    ce = nn.CrossEntropyLoss(weight=weight).to(device)
    assert ce.weight.device.type == device
    x = ember.randn(4, 3, device=device, requires_grad=True)
    loss = ce(x, ember.tensor([0, 2, 1, 2], device=device))
    loss.backward()
    assert x.grad.device.type == device
    expected = _class_loss(
        _log_softmax(x.detach().cpu().numpy().astype(np.float64), 1),
        np.array([0, 2, 1, 2]),
        weight.numpy().astype(np.float64),
        -100,
        0.0,
        "mean",
    )
    assert_close(loss, np.float32(expected))


def test_bce_with_logits_takes_the_targets_dtype():
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ember.rand(3))
    assert loss.dtype is ember.float32  # as torch: computed into the target's dtype
    loss.backward()
    assert x.grad.dtype is ember.float64
    assert F.binary_cross_entropy_with_logits(ember.rand(3), x.detach()).dtype is ember.float64
