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
    return [x.grad.cpu().numpy()] + [p.grad.cpu().numpy() for p in module.parameters()]


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


def test_non_reentrant_keyword_and_nested_arguments(device):
    w = ember.randn(3, 3, requires_grad=True, device=device)
    a = ember.randn(2, 3, requires_grad=True, device=device)
    b = ember.randn(2, 3, requires_grad=True, device=device)

    def f(pair, scale=1.0):
        return ((pair[0] @ w).tanh() * pair[1] * scale).sum()

    f([a, b], scale=2.0).backward()
    want = [t.grad.cpu().numpy().copy() for t in (w, a, b)]
    for t in (w, a, b):
        t.grad = None
    checkpoint(f, [a, b], use_reentrant=False, scale=2.0).backward()
    assert all(t.grad.device.type == device for t in (w, a, b))
    assert_same_grads([t.grad.cpu().numpy() for t in (w, a, b)], want)


def test_non_reentrant_parameters_only_and_autograd_grad(device):
    block = make_block().to(device)
    block.eval()
    x = ember.randn(4, 5, device=device)  # no input requires grad: the parameters still do
    params = list(block.parameters())
    want = ember.autograd.grad(block(x).sum(), params)
    got = ember.autograd.grad(checkpoint(block, x, use_reentrant=False).sum(), params)
    assert_same_grads([g.cpu().numpy() for g in got], [g.cpu().numpy() for g in want])


def test_non_reentrant_tuple_output_with_non_tensor():
    x = ember.randn(3, requires_grad=True)

    def f(t):
        return t.exp(), 5, t.sin()

    a, five, b = checkpoint(f, x, use_reentrant=False)
    assert five == 5
    (a.sum() + 2 * b.sum()).backward()
    xs = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xs) + 2 * np.cos(xs), rtol=1e-6)


def test_non_reentrant_nested_checkpoints(device):
    w = ember.randn(4, 4, requires_grad=True, device=device)
    x = ember.randn(2, 4, requires_grad=True, device=device)

    def inner(t):
        return nn.functional.dropout((t @ w).sin(), 0.5)

    def outer(t):
        return checkpoint(inner, t.cos(), use_reentrant=False) * 3

    ember.manual_seed(5)
    outer(x).sum().backward()
    want = [x.grad.cpu().numpy().copy(), w.grad.cpu().numpy().copy()]
    x.grad = w.grad = None
    ember.manual_seed(5)
    checkpoint(outer, x, use_reentrant=False).sum().backward()
    got = [x.grad.cpu().numpy(), w.grad.cpu().numpy()]
    if device == "cpu":  # (on CUDA the masks are the forked generator's: see below)
        assert_same_grads(got, want)
    assert np.all(np.isfinite(got[0])) and np.any(got[0] != 0)


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
def test_checkpoint_sequential_on_device_equals_plain(use_reentrant, device):
    ember.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 2)
    ).to(device)
    x = ember.randn(4, 5, device=device)
    want = grads_of(model, x, lambda m, t: m(t))
    got = grads_of(
        model, x, lambda m, t: checkpoint_sequential(m, 2, t, use_reentrant=use_reentrant)
    )
    assert_same_grads(got, want)


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
def test_recomputation_runs_under_forward_autocast(use_reentrant, device):
    w = ember.randn(4, 4, requires_grad=True, device=device)
    x = ember.randn(2, 4, requires_grad=True, device=device)
    with ember.autocast(device):
        y = checkpoint(lambda t: t @ w, x, use_reentrant=use_reentrant)
    assert y.dtype == ember.float16 and y.device.type == device
    y.float().sum().backward()  # outside the region: the recomputation re-enters it
    assert x.grad.dtype == ember.float32 and w.grad.dtype == ember.float32
    assert x.grad.device.type == device
    want = np.ones((2, 4), np.float16) @ w.detach().cpu().numpy().astype(np.float16).T
    # (a GPU's float16 matmul adds in float32)
    np.testing.assert_allclose(x.grad.cpu().numpy(), want, rtol=1e-3 if device == "cpu" else 1e-2)


def _dropout_region(use_reentrant, preserve_rng_state, device):
    """``x``'s gradient through a checkpointed ``3 * dropout(x)`` for the cotangent ``c``, and
    what it is when the recomputation drew the forward's mask: ``c * y / x``."""
    ember.manual_seed(0)
    x = ember.randn(200, dtype=ember.float64, requires_grad=True, device=device)
    y = checkpoint(
        lambda t: nn.functional.dropout(t, 0.5) * 3,
        x,
        use_reentrant=use_reentrant,
        preserve_rng_state=preserve_rng_state,
    )
    c = ember.randn(200, dtype=ember.float64, device=device)
    (y * c).sum().backward()
    return x.grad.cpu().numpy(), (c * y / x).detach().cpu().numpy()


@pytest.mark.parametrize("preserve_rng_state", [True, False])
@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_recomputation_draws_the_forward_mask(use_reentrant, preserve_rng_state, device):
    got, replayed = _dropout_region(use_reentrant, preserve_rng_state, device)
    assert np.allclose(got, replayed) == preserve_rng_state


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_backward_leaves_the_outer_random_stream_alone(use_reentrant, device):
    def after(backward):
        ember.manual_seed(1)
        x = ember.randn(8, requires_grad=True, device=device)
        y = checkpoint(lambda t: nn.functional.dropout(t, 0.5), x, use_reentrant=use_reentrant)
        if backward:
            y.sum().backward()
        return ember.rand(4, device=device).cpu().numpy(), ember.rand(2).numpy()

    for got, want in zip(after(True), after(False)):
        np.testing.assert_array_equal(got, want)
