"""ember.utils.checkpoint: gradients through checkpointed regions equal the plain ones, for
both variants, with dropout (the replayed random state), keyword and nested arguments,
parameters-only regions, autograd.grad, nesting, checkpoint_sequential and torch's errors."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

VARIANTS = [True, False]


def make_block(seed=0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Dropout(0.3), nn.Linear(7, 3))


def grads_of(module, x, run):
    """The input's and the parameters' gradients of ``run(module, x).square().sum()``."""
    module.zero_grad()
    x = x.detach().requires_grad_(True)
    out = run(module, x)
    out.square().sum().backward()
    return [x.grad.numpy()] + [p.grad.numpy() for p in module.parameters()]


def assert_same_grads(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("preserve_rng_state", [True, False])
@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_gradients_with_dropout(use_reentrant, preserve_rng_state):
    """Equal to the plain gradients when the forward's random state is replayed; without it
    the recomputation draws other dropout masks."""
    block = make_block()
    x = ember.randn(64, 5)
    ember.manual_seed(123)
    want = grads_of(block, x, lambda m, t: m(t))
    ember.manual_seed(123)
    got = grads_of(
        block,
        x,
        lambda m, t: checkpoint(
            m, t, use_reentrant=use_reentrant, preserve_rng_state=preserve_rng_state
        ),
    )
    if preserve_rng_state:
        assert_same_grads(got, want)
    else:
        assert not np.allclose(got[0], want[0])


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_outputs_equal_plain_and_rng_advances_once(use_reentrant):
    block = make_block()
    x = ember.randn(4, 5, requires_grad=True)
    ember.manual_seed(7)
    plain = block(x)
    after_plain = ember.rand(3)
    ember.manual_seed(7)
    out = checkpoint(block, x, use_reentrant=use_reentrant)
    out.sum().backward()  # the recomputation replays the state, then restores the outer one
    np.testing.assert_array_equal(out.detach().numpy(), plain.detach().numpy())
    np.testing.assert_array_equal(ember.rand(3).numpy(), after_plain.numpy())


def test_non_reentrant_keyword_and_nested_arguments():
    w = ember.randn(3, 3, requires_grad=True)
    a = ember.randn(2, 3, requires_grad=True)
    b = ember.randn(2, 3, requires_grad=True)

    def f(pair, scale=1.0):
        return ((pair[0] @ w).tanh() * pair[1] * scale).sum()

    f([a, b], scale=2.0).backward()
    want = [t.grad.numpy().copy() for t in (w, a, b)]
    for t in (w, a, b):
        t.grad = None
    checkpoint(f, [a, b], use_reentrant=False, scale=2.0).backward()
    assert_same_grads([t.grad.numpy() for t in (w, a, b)], want)


def test_non_reentrant_parameters_only_and_autograd_grad():
    block = make_block()
    block.eval()
    x = ember.randn(4, 5)  # no input requires grad: the parameters still get gradients
    params = list(block.parameters())
    want = ember.autograd.grad(block(x).sum(), params)
    got = ember.autograd.grad(checkpoint(block, x, use_reentrant=False).sum(), params)
    assert_same_grads([g.numpy() for g in got], [g.numpy() for g in want])


def test_non_reentrant_tuple_output_with_non_tensor():
    x = ember.randn(3, requires_grad=True)

    def f(t):
        return t.exp(), 5, t.sin()

    a, five, b = checkpoint(f, x, use_reentrant=False)
    assert five == 5
    (a.sum() + 2 * b.sum()).backward()
    xs = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xs) + 2 * np.cos(xs), rtol=1e-6)


def test_non_reentrant_nested_checkpoints():
    w = ember.randn(4, 4, requires_grad=True)
    x = ember.randn(2, 4, requires_grad=True)

    def inner(t):
        return (t @ w).sin()

    def outer(t):
        return checkpoint(inner, t.cos(), use_reentrant=False) * 3

    outer(x).sum().backward()
    want = [x.grad.numpy().copy(), w.grad.numpy().copy()]
    x.grad = w.grad = None
    checkpoint(outer, x, use_reentrant=False).sum().backward()
    assert_same_grads([x.grad.numpy(), w.grad.numpy()], want)


def test_non_reentrant_retain_graph_recomputes_again():
    x = ember.randn(3, requires_grad=True)
    y = checkpoint(lambda t: t.exp().sum(), x, use_reentrant=False)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()), rtol=1e-6)


def test_non_reentrant_context_fn():
    seen = []

    class Recorder:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            seen.append(self.name)

        def __exit__(self, *exc):
            return False

    x = ember.randn(3, requires_grad=True)
    y = checkpoint(
        lambda t: t.sin().sum(),
        x,
        use_reentrant=False,
        context_fn=lambda: (Recorder("forward"), Recorder("recompute")),
    )
    assert seen == ["forward"]
    y.backward()
    assert seen == ["forward", "recompute"]


def test_determinism_check():
    calls = []

    def f(t):
        calls.append(1)
        return t[: len(calls)].exp()  # the recomputation returns another shape

    x = ember.randn(3, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="different metadata than during the forward"):
        y.sum().backward()
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(f, x, use_reentrant=False, determinism_check="shapes")


def test_reentrant_refuses_autograd_grad_and_keywords():
    x = ember.randn(3, requires_grad=True)
    y = checkpoint(lambda t: t.exp().sum(), x, use_reentrant=True)
    with pytest.raises(RuntimeError, match=r"incompatible with \.grad\(\)"):
        ember.autograd.grad(y, [x])
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, x, use_reentrant=True, scale=2)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda t: t, x, use_reentrant=True, debug=True)


def test_reentrant_warns_without_grad_inputs():
    x = ember.randn(3)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(lambda t: t * 2, x, use_reentrant=True)
    assert not y.requires_grad


def test_use_reentrant_not_passed_warns_and_uses_reentrant():
    x = ember.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        y = checkpoint(lambda t: t.exp(), x)
    assert y.grad_fn.name() == "CheckpointFunctionBackward0"


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_sequential_equals_plain(use_reentrant):
    ember.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(5, 6), nn.ReLU(), nn.Dropout(0.2), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 2)
    )
    x = ember.randn(4, 5)
    ember.manual_seed(9)
    want = grads_of(model, x, lambda m, t: m(t))
    ember.manual_seed(9)
    got = grads_of(
        model, x, lambda m, t: checkpoint_sequential(m, 3, t, use_reentrant=use_reentrant)
    )
    assert_same_grads(got, want)


def test_checkpoint_sequential_list_of_functions_and_errors():
    x = ember.randn(3, requires_grad=True)
    functions = [ember.sin, ember.exp, ember.tanh, ember.cos]
    out = checkpoint_sequential(functions, 2, x, use_reentrant=False)
    np.testing.assert_allclose(
        out.detach().numpy(), np.cos(np.tanh(np.exp(np.sin(x.detach().numpy())))), rtol=1e-6
    )
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential(functions, 2, x, use_reentrant=False, foo=1)
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        checkpoint_sequential(functions, 2, x)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_no_grad_region_runs_plainly(use_reentrant):
    x = ember.randn(3, requires_grad=True)
    with ember.no_grad():
        y = checkpoint(lambda t: t * 2, x, use_reentrant=use_reentrant)
    assert not y.requires_grad
    np.testing.assert_allclose(y.numpy(), 2 * x.detach().numpy())


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_recomputation_runs_under_forward_autocast(use_reentrant):
    w = ember.randn(4, 4, requires_grad=True)
    x = ember.randn(2, 4, requires_grad=True)
    with ember.autocast("cpu"):
        y = checkpoint(lambda t: t @ w, x, use_reentrant=use_reentrant)
    assert y.dtype == ember.float16
    y.float().sum().backward()  # outside the region: the recomputation re-enters it
    assert x.grad.dtype == ember.float32 and w.grad.dtype == ember.float32
    want = np.ones((2, 4), np.float16) @ w.detach().numpy().astype(np.float16).T
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-3)
