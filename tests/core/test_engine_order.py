"""Stress tests of the backward engine's order (nodes run from a heap in decreasing ``_seq``),
of its leaf-hook bookkeeping and of ``Function.apply``'s inline recording, against references
that do not use ember's autograd: complex-step derivatives of a numpy replay of each graph
(exact to rounding), finite differences (gradcheck) and hand-computed values."""

import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck, gradgradcheck
from ember.utils.checkpoint import checkpoint

# ------------------------------------------------------------------------------------------
# Random DAGs, replayed in numpy
#
# A program is a list of steps over a pool of values; each step appends a value or writes one
# in place. It runs on ember tensors (autograd under test) and on numpy arrays; numpy views
# and in-place writes reproduce the aliasing of ember's views, so the numpy replay computes
# the same function. Its gradients come from the complex step: for an analytic program f,
# df/dx_i = Im f(x + i h e_i) / h with h = 1e-30, exact to rounding.

_H = 1e-30


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# name: (ember function, numpy function, whether the last op saves its own output)
_UNARY = {
    "sin": (lambda t: t.sin(), np.sin, False),
    "cos": (lambda t: t.cos(), np.cos, False),
    "tanh": (lambda t: t.tanh(), np.tanh, True),
    "sigmoid": (lambda t: t.sigmoid(), _sigmoid, True),
    "exp": (lambda t: (t * 0.3).exp(), lambda a: np.exp(a * 0.3), True),
    "affine": (lambda t: t * 0.5 + 1.0, lambda a: a * 0.5 + 1.0, False),
    "neg": (lambda t: -t, lambda a: -a, False),
    "rsub": (lambda t: 2.0 - t, lambda a: 2.0 - a, False),
    "bump": (lambda t: t / (1 + t * t), lambda a: a / (1 + a * a), True),
}

# name: (ember function, numpy function, whether the result is saved by its own backward:
# ember's Div, and mean through it, save their output where torch's do not, see
# test_inplace_on_quotient_like_torch)
_BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, False),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, False),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, False),
    "div": (lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b), True),
}

# (as _BINARY)
_REDUCE = {
    "sum0": (lambda t: t.sum(0, keepdim=True), lambda a: a.sum(0, keepdims=True), False),
    "mean1": (lambda t: t.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdims=True), True),
    "sumall": (lambda t: t.sum(), lambda a: a.sum(), False),
}

# views: ember and numpy give views of the same memory
_VIEW = {
    "flat": (lambda t: t.reshape(-1).reshape(t.shape), lambda a: a.reshape(-1).reshape(a.shape)),
    "t": (lambda t: t.t(), lambda a: a.T),
    "unsq": (lambda t: t.unsqueeze(0).squeeze(0), lambda a: a[None].squeeze(0)),
    "slice": (lambda t: t[1:], lambda a: a[1:]),
    "chunk0": (lambda t: t.chunk(2, -1)[0], lambda a: a[..., : a.shape[-1] // 2]),
    "expand": (
        lambda t: t.expand(3, t.shape[-1]),
        lambda a: np.broadcast_to(a, (3, a.shape[-1])),
    ),
}


def _view_applies(name, shape):
    if name == "expand":
        return len(shape) == 1 or (len(shape) == 2 and shape[0] == 1)
    if name == "t" and len(shape) != 2:
        return False
    if name == "slice":
        return len(shape) >= 1 and shape[0] >= 2
    if name == "chunk0":
        return len(shape) >= 1 and shape[-1] % 2 == 0
    return True


def _np_step(pool, step):
    """Run one step on a pool of numpy arrays (real or complex)."""
    kind, name, *ix = step
    if kind == "unary":  # (as 0-d arrays where numpy gives scalars: they alias as ember's)
        pool.append(np.asarray(_UNARY[name][1](pool[ix[0]])))
    elif kind == "reduce":
        pool.append(np.asarray(_REDUCE[name][1](pool[ix[0]])))
    elif kind == "view":
        pool.append(_VIEW[name][1](pool[ix[0]]))
    elif kind == "binary":
        pool.append(np.asarray(_BINARY[name][1](pool[ix[0]], pool[ix[1]])))
    elif kind == "matmul":
        pool.append(pool[ix[0]] @ pool[ix[1]])
    elif kind == "swap":  # the halves of the last dimension swapped (chunk, then cat)
        a = pool[ix[0]]
        half = a.shape[-1] // 2
        pool.append(np.concatenate([a[..., half:], a[..., :half]], axis=-1))
    elif kind == "inplace":
        target = pool[ix[0]]
        if name == "add_":
            target += pool[ix[1]]
        elif name == "sub_":
            target -= pool[ix[1]]
        elif name == "mul_":
            target *= pool[ix[1]]
        elif name == "scale_":
            target *= 1.5
        else:  # setrow
            target[0] = pool[ix[1]]


def _ember_step(pool, step):
    kind, name, *ix = step
    if kind == "unary":
        pool.append(_UNARY[name][0](pool[ix[0]]))
    elif kind == "reduce":
        pool.append(_REDUCE[name][0](pool[ix[0]]))
    elif kind == "view":
        pool.append(_VIEW[name][0](pool[ix[0]]))
    elif kind == "binary":
        pool.append(_BINARY[name][0](pool[ix[0]], pool[ix[1]]))
    elif kind == "matmul":
        pool.append(pool[ix[0]] @ pool[ix[1]])
    elif kind == "swap":
        first, second = pool[ix[0]].chunk(2, -1)
        pool.append(ember.cat([second, first], dim=-1))
    elif kind == "inplace":
        target = pool[ix[0]]
        if name == "add_":
            target.add_(pool[ix[1]])
        elif name == "sub_":
            target.sub_(pool[ix[1]])
        elif name == "mul_":
            target.mul_(pool[ix[1]])
        elif name == "scale_":
            target.mul_(1.5)
        else:
            target[0] = pool[ix[1]]


class _Program:
    """A random program over 2-4 leaves, with what the tests need to know about its values:
    which alias one another, which may be written in place without a saved value being
    overwritten (as torch would refuse), which are plain tensors (not views) that were never
    written (differentiable as ``inputs`` with a perturbation right where they are made)."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        n_leaves = int(rng.integers(2, 5))
        shapes = [(3, 4), (3, 4), (4, 3), (4,)]
        self.leaves = [rng.uniform(-1, 1, shapes[i]) for i in range(n_leaves)]
        pool = [a.copy() for a in self.leaves]
        group = list(range(n_leaves))  # the memory each value lives in
        is_view = [False] * n_leaves
        readonly = [False] * n_leaves
        frozen = set(range(n_leaves))  # memory never written in place: leaves, saved values
        written = set()
        no_inplace_view = set()  # views torch does not let be written (multi-output views)
        made_at = [0] * n_leaves  # when each value was made, and its memory last written
        written_at = {}
        self.steps = []

        def pick(pred=lambda i: True):
            # recent values, and views whose base was written since (their history is rebuilt
            # when they are next used: Function.apply's _refresh_view path)
            recent = [i for i in range(max(0, len(pool) - 6), len(pool)) if pred(i)]
            stale = [
                i
                for i in range(len(pool))
                if is_view[i] and written_at.get(group[i], -1) > made_at[i] and pred(i)
            ]
            every = [i for i in range(len(pool)) if pred(i)]
            if not every:
                return None
            r = rng.random()
            choices = stale if stale and r < 0.3 else recent if recent and r < 0.7 else every
            return int(choices[rng.integers(len(choices))])

        def add(step, new_group, view=False, ro=False):
            _np_step(pool, step)
            self.steps.append(step)
            group.append(new_group)
            is_view.append(view)
            readonly.append(ro)
            made_at.append(len(self.steps))

        n_steps = int(rng.integers(20, 61))
        while len(self.steps) < n_steps:
            r = rng.random()
            i = pick()
            shape = pool[i].shape
            if r < 0.2:
                name = list(_UNARY)[rng.integers(len(_UNARY))]
                frozen.add(group[i])
                add(("unary", name, i), len(pool))
                if _UNARY[name][2]:
                    frozen.add(len(pool) - 1)
            elif r < 0.25:
                if pool[i].ndim == 0:
                    continue
                name = list(_REDUCE)[rng.integers(len(_REDUCE))]
                frozen.add(group[i])
                add(("reduce", name, i), len(pool))
                if _REDUCE[name][2]:
                    frozen.add(len(pool) - 1)
            elif r < 0.45:
                names = [n for n in _VIEW if _view_applies(n, shape)]
                if not names:
                    continue
                name = names[rng.integers(len(names))]
                add(("view", name, i), group[i], True, readonly[i] or name == "expand")
                if name == "chunk0":
                    no_inplace_view.add(group[i])
            elif r < 0.63:
                j = pick(lambda j, shape=shape: _broadcasts(pool[j].shape, shape, both=True))
                name = list(_BINARY)[rng.integers(len(_BINARY))]
                frozen.update((group[i], group[j]))
                add(("binary", name, i, j), len(pool))
                if _BINARY[name][2]:
                    frozen.add(len(pool) - 1)
            elif r < 0.68:
                if pool[i].ndim != 2:
                    continue
                j = pick(lambda j, n=shape[1]: pool[j].ndim == 2 and pool[j].shape[0] == n)
                if j is None:
                    continue
                frozen.update((group[i], group[j]))
                add(("matmul", "", i, j), len(pool))
            elif r < 0.71:
                if pool[i].ndim == 0 or shape[-1] % 2:
                    continue
                frozen.add(group[i])
                add(("swap", "", i), len(pool))
            else:
                # an in-place write: into memory nothing saved, not through a broadcast view;
                # mostly into memory that has views (which go stale)
                viewed = {group[v] for v in range(len(pool)) if is_view[v]} | {-1}
                if rng.random() > 0.7:
                    viewed = set(group) | {-1}

                def writable(k, viewed=viewed):
                    g = group[k]
                    return g in viewed and not (readonly[k] or g in frozen or g in no_inplace_view)

                k = pick(writable)
                if k is None:
                    continue
                name = ["add_", "sub_", "mul_", "scale_", "setrow"][rng.integers(5)]
                target = pool[k].shape
                if name == "setrow":
                    if len(target) == 0:
                        continue
                    target = target[1:]
                j = None
                if name != "scale_":
                    j = pick(
                        lambda j, g=group[k], target=target: (
                            group[j] != g and _broadcasts(pool[j].shape, target)
                        )
                    )
                    if j is None:
                        continue
                    frozen.add(group[j])
                step = ("inplace", name, k) if j is None else ("inplace", name, k, j)
                _np_step(pool, step)
                self.steps.append(step)
                written.add(group[k])
                written_at[group[k]] = len(self.steps)
        add(("unary", "tanh", len(pool) - 1), len(pool))  # (at least one plain value)
        # the loss: weighted sums of a few values (the rest are dead branches), among them a
        # plain value (not a view) that is the second root, an ancestor of the loss
        candidates = list(range(n_leaves, len(pool)))
        self.terms = rng.choice(candidates, size=min(3, len(candidates)), replace=False)
        self.terms = sorted(set(self.terms.tolist()))
        plain = [i for i in candidates if not is_view[i]]
        self.root = int(rng.choice(plain))
        if self.root not in self.terms:
            self.terms.append(self.root)
        self.weights = {i: rng.uniform(-1, 1, pool[i].shape) for i in self.terms}
        self.root_grad = rng.uniform(-1, 1, pool[self.root].shape)
        # plain values never written: differentiated as autograd.grad inputs, hooked
        self.clean = [i for i in plain if group[i] not in written]
        self.n_leaves = n_leaves
        self.values = pool

    # --- numpy

    def replay(self, leaves, perturb=None):
        """The pool of values from the leaves (numpy arrays); ``perturb``: ``{index: delta}``
        added to a value right where it is made."""
        pool = list(leaves)
        for step in self.steps:
            _np_step(pool, step)
            if perturb and step[0] != "inplace" and len(pool) - 1 in perturb:
                pool[-1] = pool[-1] + perturb[len(pool) - 1]
        return pool

    def losses(self, pool):
        """(loss, loss + <root_grad, root>): the single- and two-root objectives."""
        loss = sum((pool[i] * self.weights[i]).sum() for i in self.terms)
        return loss, loss + (pool[self.root] * self.root_grad).sum()

    def reference_grads(self, wrt):
        """d(loss)/d(value) and d(two-root objective)/d(value) for each index in ``wrt``
        (leaves or clean intermediates), by the complex step."""
        single, double = [], []
        base = [a.astype(complex) for a in self.leaves]
        for i in wrt:
            shape = self.values[i].shape
            g1, g2 = np.zeros(shape), np.zeros(shape)
            for e in range(int(np.prod(shape))):
                delta = np.zeros(int(np.prod(shape)), dtype=complex)
                delta[e] = 1j * _H
                delta = delta.reshape(shape)
                if i < self.n_leaves:
                    leaves = [a + delta if k == i else a for k, a in enumerate(base)]
                    pool = self.replay(leaves)
                else:
                    pool = self.replay(base, {i: delta})
                l1, l2 = self.losses(pool)
                g1.flat[e] = l1.imag / _H
                g2.flat[e] = l2.imag / _H
            single.append(g1)
            double.append(g2)
        return single, double

    # --- ember

    def build(self, leaves=None):
        if leaves is None:
            leaves = [ember.tensor(a, requires_grad=True) for a in self.leaves]
        pool = list(leaves)
        for step in self.steps:
            _ember_step(pool, step)
        loss = sum((pool[i] * ember.tensor(self.weights[i])).sum() for i in self.terms)
        return leaves, pool, loss


def _broadcasts(shape, target, both=False):
    """Whether ``shape`` broadcasts to ``target`` (``both``: whether the two broadcast
    together, either way)."""
    try:
        out = np.broadcast_shapes(shape, target)
    except ValueError:
        return False
    return both or out == tuple(target)


def _assert_grad(actual, expected, what):
    if actual is None:
        np.testing.assert_array_equal(expected, 0, err_msg=f"{what}: no gradient")
        return
    data = actual.detach().numpy() if isinstance(actual, ember.Tensor) else actual
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(data, expected, rtol=1e-9, atol=1e-10 * scale, err_msg=what)


_SEEDS = range(60)


@pytest.mark.parametrize("seed", _SEEDS)
def test_random_dag_forward_matches_numpy_replay(seed):
    prog = _Program(seed)
    _, pool, _ = prog.build()
    for i, (t, a) in enumerate(zip(pool, prog.values)):
        np.testing.assert_allclose(t.detach().numpy(), a, rtol=1e-12, atol=1e-12, err_msg=i)
    # the replay aliases as ember does (what in-place writes reach)
    for i in range(len(pool)):
        for j in range(i):
            assert np.shares_memory(pool[i]._data, pool[j]._data) == np.shares_memory(
                prog.values[i], prog.values[j]
            ), (i, j)


@pytest.mark.parametrize("seed", _SEEDS)
def test_random_dag_gradients(seed, monkeypatch):
    # odd seeds: no leaf hook was ever registered, so the engine counts no
    # edges into leaves (the common case); even seeds hook every leaf
    hook_leaves = seed % 2 == 0
    if not hook_leaves:
        monkeypatch.setattr(ember.Tensor, "_leaf_hooks_used", False)
    prog = _Program(seed)
    leaf_ids = list(range(prog.n_leaves))
    clean = prog.clean[-2:]
    single, double = prog.reference_grads(leaf_ids + clean)

    leaves, pool, loss = prog.build()
    root, g_root = pool[prog.root], ember.tensor(prog.root_grad)
    seen_post = {i: [] for i in leaf_ids}
    for i, x in enumerate(leaves if hook_leaves else ()):
        x.register_post_accumulate_grad_hook(lambda t, i=i: seen_post[i].append(t.grad.clone()))
    seen_hook = {i: [] for i in clean}
    for i in clean:
        pool[i].register_hook(lambda g, i=i: seen_hook[i].append(g.clone()))
    if clean:
        pool[clean[0]].retain_grad()

    # two roots, one an ancestor of the other
    ember.autograd.backward([root, loss], [g_root, None], retain_graph=True)
    for i, x in enumerate(leaves):
        _assert_grad(x.grad, double[i], f"leaf {i}")
        # a post-accumulate-grad hook runs once, after the last gradient is in
        assert len(seen_post[i]) == (hook_leaves and x.grad is not None), f"leaf {i}"
        if hook_leaves and x.grad is not None:
            np.testing.assert_array_equal(seen_post[i][0].numpy(), x.grad.numpy())
    for k, i in enumerate(clean):
        expected = double[prog.n_leaves + k]
        assert len(seen_hook[i]) <= 1, f"hook of value {i}"
        if np.any(expected):
            assert len(seen_hook[i]) == 1, f"hook of value {i}"
            _assert_grad(seen_hook[i][0], expected, f"hook of value {i}")
        if k == 0 and np.any(expected):
            _assert_grad(pool[i].grad, expected, f"retained grad of value {i}")

    # autograd.grad through the retained graph, intermediates among the inputs
    inputs = leaves + [pool[i] for i in clean]
    grads = ember.autograd.grad(
        [loss, root], inputs, [None, g_root], retain_graph=True, allow_unused=True
    )
    for k, g in enumerate(grads):
        _assert_grad(g, double[k], f"autograd.grad input {k}")
    grads = ember.autograd.grad(loss, inputs, retain_graph=True, allow_unused=True)
    for k, g in enumerate(grads):
        _assert_grad(g, single[k], f"autograd.grad of the loss, input {k}")

    # the last pass frees the graph; .grad accumulates across passes
    loss.backward()
    for i, x in enumerate(leaves):
        if x.grad is not None:
            _assert_grad(x.grad, double[i] + single[i], f"accumulated leaf {i}")
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def _complex_step(f, arrays):
    """The gradient of the real scalar ``f(*arrays)`` (numpy, analytic) for each array."""
    base = [np.asarray(a, dtype=complex) for a in arrays]
    grads = []
    for i, a in enumerate(base):
        g = np.zeros(a.shape)
        for e in range(a.size):
            bumped = a.copy()
            bumped.flat[e] += 1j * _H
            g.flat[e] = f(*[bumped if k == i else b.copy() for k, b in enumerate(base)]).imag / _H
        grads.append(g)
    return grads


def _close(actual, expected, rtol=1e-9, atol=1e-12):
    data = actual.detach().numpy() if isinstance(actual, ember.Tensor) else actual
    np.testing.assert_allclose(data, expected, rtol=rtol, atol=atol)


def _t(values, requires_grad=False):
    return ember.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------------------------------
# Deep and wide graphs: the heap must hold every pending node and run each exactly once


def test_deep_chain_and_long_skip_connections():
    x0 = np.linspace(-1, 1, 5)
    x = _t(x0, True)
    h, hs = x, []
    for _ in range(300):
        h = (h * 0.9).sin() + x * 0.01
        hs.append(h)
    loss = h.sum() + hs[0].sum() * hs[150].sum()  # an early value used again at the very end
    loss.backward()

    def f(x):
        h, hs = x, []
        for _ in range(300):
            h = np.sin(h * 0.9) + x * 0.01
            hs.append(h)
        return h.sum() + hs[0].sum() * hs[150].sum()

    _close(x.grad, _complex_step(f, [x0])[0])


def test_fan_out_fan_in_each_node_runs_once():
    runs = []

    class Count(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            runs.append(g.clone())
            return g

    x = _t([1.0, 2.0], True)
    shared = Count.apply(x)
    branches = [shared * (k + 1) for k in range(50)]
    total = branches[0]
    for b in branches[1:]:
        total = total + b
    total.sum().backward()
    assert len(runs) == 1
    _close(runs[0], [sum(range(1, 51))] * 2)
    _close(x.grad, [sum(range(1, 51))] * 2)


def test_roots_given_in_any_order_and_repeated():
    x0 = np.array([0.3, -0.7])
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0, 1]):
        x = _t(x0, True)
        a = x.sin()
        b = a * a
        c = b.exp() + a
        roots = [a, b, c]
        gs = [_t([1.0, 2.0]), _t([-1.0, 0.5]), _t([0.25, 3.0])]
        ember.autograd.backward([roots[k] for k in order], [gs[k] for k in order])

        def f(x, order=order, gs=gs):
            a = np.sin(x)
            b = a * a
            c = np.exp(b) + a
            vals = [a, b, c]
            return sum((vals[k] * gs[k].numpy()).sum() for k in order)

        _close(x.grad, _complex_step(f, [x0])[0])


def test_autograd_grad_of_an_intermediate_that_is_also_a_root():
    x = _t([0.5, 1.5], True)
    h = x.exp()
    y = (h * h).sum()
    gh, gx = ember.autograd.grad([y, h], [h, x], [None, _t([1.0, -1.0])])
    _close(gh, 2 * np.exp([0.5, 1.5]) + [1.0, -1.0])
    _close(gx, (2 * np.exp([0.5, 1.5]) + [1.0, -1.0]) * np.exp([0.5, 1.5]))
    assert x.grad is None and h.grad is None


def test_multi_output_node_with_outputs_consumed_at_different_depths():
    x0 = np.arange(6.0) / 5
    x = _t(x0, True)
    a, b, c = x.chunk(3)
    late = (c * 2).sin()
    deep = a
    for _ in range(5):
        deep = deep.cos() + b  # b used again and again, deeper and deeper
    loss = (deep * late).sum()  # c's consumer recorded before most of a's chain
    loss.backward()

    def f(x):
        a, b, c = x[:2], x[2:4], x[4:]
        late = np.sin(c * 2)
        deep = a
        for _ in range(5):
            deep = np.cos(deep) + b
        return (deep * late).sum()

    _close(x.grad, _complex_step(f, [x0])[0])


def test_backward_with_inputs_accumulates_only_into_them():
    x0 = np.array([0.4, -1.1])
    x, w = _t(x0, True), _t([2.0, 3.0], True)
    h = (x * w).sin()
    loss = (h * h * x).sum()
    loss.backward(inputs=[h, x], retain_graph=True)
    assert w.grad is None
    _close(h.grad, 2 * np.sin(x0 * [2.0, 3.0]) * x0)
    (gx,) = _complex_step(lambda x: (np.sin(x * [2.0, 3.0]) ** 2 * x).sum(), [x0])
    _close(x.grad, gx)
    loss.backward(inputs=[w])
    _close(x.grad, gx)  # untouched by the second pass


# ------------------------------------------------------------------------------------------
# In-place writes and views


def test_writes_through_views_taken_before_the_base_changed():
    x0, y0 = np.arange(12.0).reshape(3, 4) / 10, np.array([1.0, 2.0, 3.0, 4.0])
    w = np.linspace(-1, 1, 12).reshape(3, 4)
    x, y = _t(x0, True), _t(y0, True)
    b = x * 2
    row, col, bt = b[1], b[:, 2], b.t()
    b.mul_(y)  # the base written after its views were taken
    b[0] = y * y  # a value that requires grad written in
    row.add_(y)  # a write through a view whose history is stale
    loss = (bt.t() * _t(w)).sum() + (col * col).sum()
    loss.backward()

    def f(x, y):
        b = x * 2
        row, col, bt = b[1], b[:, 2], b.T
        b *= y
        b[0] = y * y
        row += y
        return (bt.T * w).sum() + (col * col).sum()

    gx, gy = _complex_step(f, [x0, y0])
    _close(x.grad, gx)
    _close(y.grad, gy)
    assert np.all(x.grad.numpy()[0] == 0)  # the overwritten row gets no gradient


def test_two_stale_views_refreshed_by_one_operation():
    x0 = np.array([0.2, -0.4, 0.9])
    x = _t(x0, True)
    b = x.exp()
    b = b * 1  # (exp saves its output: write into a copy)
    v1, v2 = b[:2], b[1:]
    b.mul_(x)  # both views now stale: one Mul refreshes both while connecting its inputs
    z = v1 * v2
    z2 = z + v1.sin()  # v1 used again, now fresh
    (z2 * _t([1.0, 3.0])).sum().backward()

    def f(x):
        b = np.exp(x) * 1
        v1, v2 = b[:2], b[1:]
        b *= x
        return ((v1 * v2 + np.sin(v1)) * [1.0, 3.0]).sum()

    _close(x.grad, _complex_step(f, [x0])[0])


def test_setitem_with_values_that_require_grad():
    x0, y0, z0 = np.linspace(0.1, 1.2, 12).reshape(3, 4), np.array([0.5, -1.0]), np.array(2.0)
    x, y, z = _t(x0, True), _t(y0, True), _t(z0, True)
    b = x.sin()
    b = b + 0  # sin saves its input, not its output: a fresh value to write into
    b[1, 1:3] = y
    b[ember.tensor([0, 2]), 3] = z * y  # advanced indexing
    b[2] = b[0] + 0.5  # a row from the same tensor
    (b * b).sum().backward()

    def f(x, y, z):
        b = np.sin(x) + 0
        b[1, 1:3] = y
        b[[0, 2], 3] = z * y
        b[2] = b[0] + 0.5
        return (b * b).sum()

    for t, g in zip((x, y, z), _complex_step(f, [x0, y0, z0])):
        _close(t.grad, g)


def test_add_and_mul_in_place_on_non_leaves():
    x0, y0 = np.array([0.5, 1.5, -2.0]), np.array([2.0, -1.0, 0.25])
    x, y = _t(x0, True), _t(y0, True)
    a = x * y
    before = (a + 3).sin()  # uses a's old version
    a.add_(y, alpha=2)
    a.mul_(x)
    a.sub_(before.detach())  # a constant
    (a + before).sum().backward()

    def f(x, y):
        a = x * y
        before = np.sin(a + 3)
        a = a + 2 * y
        a = a * x
        return (a - before.real + before).sum()  # (before.detach(): its real part)

    gx, gy = _complex_step(f, [x0, y0])
    _close(x.grad, gx)
    _close(y.grad, gy)


def test_inplace_errors_still_raised():
    x = _t([1.0, 2.0], True)
    a = x * 1
    b = a.sin()  # saves a
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()

    c = x.exp()  # saves its output
    c.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()

    d = x * 1
    e = d[0:1].tanh()  # saves its output
    e.mul_(2)
    d.sum().backward()  # (d's own graph is fine)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()

    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0:1].mul_(2)


def test_second_pass_through_nodes_that_saved_nothing():
    x = _t([1.0, 2.0], True)
    y = x + 1
    y.sum().backward()
    y.sum().backward()  # torch: AddBackward0 saved nothing, so this is allowed
    _close(x.grad, [2.0, 2.0])


def test_inplace_after_multiplying_by_a_number():
    x = _t([1.0, 2.0], True)
    a = x * 1
    b = a * 2
    a.add_(1)
    b.sum().backward()
    _close(x.grad, [2.0, 2.0])


def test_inplace_on_quotient_like_torch():
    a, b = _t([1.0, 2.0], True), _t([3.0, 4.0], True)
    y = a / b
    y -= 1
    y.sum().backward()
    _close(a.grad, [1 / 3, 1 / 4])


def test_backward_from_a_stale_view():
    x = _t([1.0, 2.0, 3.0], True)
    b = x * 1
    v = b[:2]
    b.mul_(2)
    v.backward(_t([1.0, 1.0]))  # torch: v is 2x[:2] now
    _close(x.grad, [2.0, 2.0, 0.0])


def test_retain_grad_on_a_stale_view():
    x = _t([1.0, 2.0, 3.0], True)
    b = x * 1
    v = b[:2]
    b.mul_(2)
    v.retain_grad()
    (v * v).sum().backward()
    _close(x.grad, [8.0, 16.0, 0.0])
    _close(v.grad, [4.0, 8.0])


# ------------------------------------------------------------------------------------------
# retain_graph


def test_retain_graph_two_passes_then_freed():
    x0 = np.array([0.3, -1.2])
    x = _t(x0, True)
    y = (x.exp() * x.sin()).sum()
    y.backward(retain_graph=True)
    y.backward()
    expected = np.exp(x0) * (np.sin(x0) + np.cos(x0))
    _close(x.grad, 2 * expected)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ember.autograd.grad(y, x)


def test_second_root_sharing_part_of_the_graph():
    x0 = np.array([0.5, 2.0])
    x = _t(x0, True)
    shared = x.exp()  # saves its output
    a = (shared * 2).sum()
    b = (shared * shared).sum()
    a.backward(retain_graph=True)
    b.backward()  # through the shared part again
    _close(x.grad, 2 * np.exp(x0) + 2 * np.exp(2 * x0))
    c = (shared * 3).sum()  # a new root over the freed shared node
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        c.backward()

    x = _t(x0, True)
    shared = x.exp()
    a = (shared * 2).sum()
    b = (shared * shared).sum()
    a.backward()  # frees the shared node
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        b.backward()


def test_retained_graph_through_user_function_and_autograd_grad():
    saved_seen = []

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            saved_seen.append(x.detach().clone())
            return 2 * x * g

    x = _t([1.0, -3.0], True)
    y = Square.apply(x).sum()
    (g1,) = ember.autograd.grad(y, x, retain_graph=True)
    (g2,) = ember.autograd.grad(y, x)
    _close(g1, [2.0, -6.0])
    _close(g2, [2.0, -6.0])
    assert len(saved_seen) == 2
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


# ------------------------------------------------------------------------------------------
# Hooks


def test_tensor_hook_on_intermediate_runs_once_with_the_summed_gradient():
    x = _t([1.0, 2.0], True)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.clone()))
    loss = (h * h).sum() + h.sum() + (h.sin() * 2).sum()
    loss.backward()
    expected = 2 * np.array([3.0, 6.0]) + 1 + 2 * np.cos([3.0, 6.0])
    assert len(seen) == 1
    _close(seen[0], expected)
    _close(x.grad, 3 * expected)


def test_hooks_replace_gradients_and_retain_grad_sees_the_replacement():
    x = _t([1.0, 2.0], True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    z = y.sin()
    z.register_hook(lambda g: g + 1)
    z.retain_grad()
    (z * y).sum().backward()
    y0 = np.array([2.0, 4.0])
    gz = y0 + 1  # d/dz (z*y), then the hook
    gy = 10 * (np.sin(y0) + gz * np.cos(y0))
    _close(z.grad, gz)
    _close(y.grad, gy)
    _close(x.grad, 2 * gy)


def test_hook_removal_and_hooks_per_pass():
    x = _t([1.0, 2.0], True)
    h = x * 2
    calls = []
    handle = h.register_hook(lambda g: calls.append("h"))
    post = x.register_post_accumulate_grad_hook(lambda t: calls.append("x"))
    y = (h * h).sum()
    y.backward(retain_graph=True)
    assert calls == ["h", "x"]
    y.backward(retain_graph=True)
    assert calls == ["h", "x"] * 2
    handle.remove()
    post.remove()
    y.backward()
    assert calls == ["h", "x"] * 2
    _close(x.grad, 3 * 8 * np.array([1.0, 2.0]))


class _NoGrad(Function):
    """Passes its input on; its backward gives it no gradient (None)."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return None


def test_post_accumulate_hook_after_the_last_gradient_with_branches_that_give_none():
    x = _t([1.0, 2.0], True)
    w = _t([0.5, 0.25], True)
    seen = {"x": [], "w": []}
    x.register_post_accumulate_grad_hook(lambda t: seen["x"].append(t.grad.clone()))
    w.register_post_accumulate_grad_hook(lambda t: seen["w"].append(t.grad.clone()))
    early = x * w  # recorded first: its backward runs last
    dead_end = _NoGrad.apply(x.sin())  # no gradient reaches x.sin(): that node never runs
    none_edge = _NoGrad.apply(x)  # a node that runs and gives x None
    ints = (x * 10).long().double()  # an integer detour: no edge at all
    detached = x.detach() * w
    loss = (early * 2).sum() + dead_end.sum() + none_edge.sum() + ints.sum() + detached.sum()
    loss = loss + (x * x).sum()  # recorded last: x's first gradient arrives first
    loss.backward()
    gx = 2 * np.array([0.5, 0.25]) + 2 * np.array([1.0, 2.0])
    gw = 2 * np.array([1.0, 2.0]) + np.array([1.0, 2.0])
    _close(x.grad, gx)
    _close(w.grad, gw)
    assert len(seen["x"]) == 1 and len(seen["w"]) == 1
    _close(seen["x"][0], gx)  # the hook saw the final gradient
    _close(seen["w"][0], gw)


def test_post_accumulate_hook_not_called_without_gradient_or_for_autograd_grad():
    x = _t([1.0, 2.0], True)
    other = _t([3.0], True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad))
    ((x * 1).detach() * other).sum().backward()  # x is not in this graph
    assert calls == [] and x.grad is None
    y = (x * x).sum()
    ember.autograd.grad(y, x, retain_graph=True)
    assert calls == [] and x.grad is None
    y.backward(inputs=[x])
    assert len(calls) == 1
    _close(calls[0], [2.0, 4.0])


def test_post_accumulate_hook_with_create_graph():
    x = _t([1.0, 2.0], True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad))
    ((x**3).sum() + (x * 2).sum()).backward(create_graph=True)
    assert len(seen) == 1 and seen[0] is x.grad and x.grad.requires_grad
    _close(x.grad, 3 * np.array([1.0, 4.0]) + 2)
    x.grad.sum().backward()  # d/dx sum(3x^2 + 2) = 6x, added to the gradient
    _close(x.grad, 3 * np.array([1.0, 4.0]) + 2 + 6 * np.array([1.0, 2.0]))


def test_post_accumulate_hook_once_when_a_leaf_is_also_a_root():
    x = _t([1.0, 2.0], True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    ember.autograd.backward([x, x * 2], [_t([1.0, 1.0]), _t([1.0, 1.0])])
    _close(x.grad, [3.0, 3.0])
    assert len(seen) == 1  # torch: once, with the whole gradient
    _close(seen[0], [3.0, 3.0])


@pytest.mark.parametrize("uses", [1, 2])
def test_post_accumulate_hook_registered_during_backward(uses):
    # registered before the leaf's gradient arrives: run once, on its whole gradient (w is
    # used twice in the second case: two gradients summed into one)
    x, w = _t([1.0, 2.0], True), _t([3.0, 4.0], True)
    calls = []
    h = x * w if uses == 1 else x * w + w

    def register(g):
        w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.clone()))

    h.register_hook(register)
    (h * 2).sum().backward()
    assert len(calls) == 1
    _close(calls[0], [2.0, 4.0] if uses == 1 else [4.0, 6.0])


def test_post_accumulate_hook_registered_during_backward_sees_the_accumulated_grad():
    x, w = _t([1.0, 2.0], True), _t([3.0, 4.0], True)
    w.grad = _t([1.0, 1.0])  # accumulated into in place, the engine's fast path
    calls = []
    h = x * w

    def register(g):
        w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.clone()))

    h.register_hook(register)
    (h * 2).sum().backward()
    assert len(calls) == 1
    _close(calls[0], [3.0, 5.0])
    _close(w.grad, [3.0, 5.0])


def test_leaf_tensor_hook_once_on_the_summed_gradient():
    x = _t([1.0, 2.0], True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * 2 + x * 3).sum().backward()
    assert len(seen) == 1
    _close(seen[0], [5.0, 5.0])


def test_autograd_grad_does_not_run_below_its_inputs():
    x = _t([1.0, 2.0], True)
    calls = []
    x.register_hook(lambda g: calls.append("x"))
    a = x * 3
    a.register_hook(lambda g: calls.append("a"))
    h = a.sin()
    (gh,) = ember.autograd.grad((h * h).sum(), h)
    _close(gh, 2 * np.sin([3.0, 6.0]))
    assert calls == []


def test_retained_grad_accumulates_across_passes():
    x = _t([1.0, 2.0], True)
    y = x * 2
    y.retain_grad()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    _close(y.grad, [2.0, 2.0])


# ------------------------------------------------------------------------------------------
# create_graph: gradients of gradients


def test_gradient_of_gradient_by_hand():
    x0 = np.array([0.5, -1.0, 2.0])
    x = _t(x0, True)
    f = x**3 * x.sin()
    (g,) = ember.autograd.grad(f.sum(), x, create_graph=True)
    d1 = 3 * x0**2 * np.sin(x0) + x0**3 * np.cos(x0)
    d2 = 6 * x0 * np.sin(x0) + 6 * x0**2 * np.cos(x0) - x0**3 * np.sin(x0)
    _close(g, d1)
    assert g.requires_grad
    (gg,) = ember.autograd.grad(g.sum(), x, retain_graph=True)
    _close(gg, d2)
    # a loss mixing the gradient and the function: d/dx (g^2 + f) = 2 g g' + f'
    ((g * g).sum() + f.sum()).backward()
    _close(x.grad, 2 * d1 * d2 + d1)


def test_double_backward_through_shared_nodes_and_an_intermediate_input():
    x0 = np.array([0.3, 0.8])
    x = _t(x0, True)
    h = x.exp()
    y = (h * h * x).sum()  # h used twice, x at two depths
    gh, gx = ember.autograd.grad(y, [h, x], create_graph=True)
    # gh = 2 h x, gx = h^2 + 2 h^2 x (through h); differentiate sum(gh) + sum(gx) again
    (ggx,) = ember.autograd.grad(gh.sum() + gx.sum(), x)
    e, e2 = np.exp(x0), np.exp(2 * x0)
    _close(gh, 2 * e * x0)
    _close(gx, e2 + 2 * e2 * x0)
    # d/dx [2 e^x x] = 2 e^x (1 + x) through h's own graph too; d/dx [e^2x (1 + 2x)]
    _close(ggx, 2 * e * (1 + x0) + 2 * e2 * (1 + 2 * x0) + 2 * e2)


def _hvp_reference(prog, v, delta=1e-5):
    """H v of the program's loss by complex step (one derivative, exact) and central
    differences along v (the other)."""
    base = [a.astype(complex) for a in prog.leaves]
    out = []
    for i, a in enumerate(base):
        g = np.zeros(a.shape)
        for e in range(a.size):
            total = 0
            for sign in (1, -1):
                leaves = [b + sign * delta * vb for b, vb in zip(base, v)]
                leaves[i] = leaves[i].copy()
                leaves[i].flat[e] += 1j * _H
                total += sign * prog.losses(prog.replay(leaves))[0].imag / _H
            g.flat[e] = total / (2 * delta)
        out.append(g)
    return out


@pytest.mark.parametrize("seed", range(40, 52))
def test_random_dag_hessian_vector_products(seed):
    prog = _Program(seed)
    rng = np.random.default_rng(seed)
    v = [rng.uniform(-1, 1, a.shape) for a in prog.leaves]

    def loss(*leaves):
        return prog.build(list(leaves))[2]

    leaves = tuple(_t(a) for a in prog.leaves)
    _, hv = ember.autograd.functional.hvp(loss, leaves, tuple(_t(a) for a in v))
    for k, (got, expected) in enumerate(zip(hv, _hvp_reference(prog, v))):
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6 * scale, err_msg=k)


def test_hessian_of_a_small_graph_by_hand():
    def f(x, y):
        return (x.sin() * y).sum() + (x * x * y).sum() + (y * y * y).sum()

    x0, y0 = np.array([0.4, -0.9]), np.array([1.5, 0.2])
    hxx, hxy, hyx, hyy = (
        h for row in ember.autograd.functional.hessian(f, (_t(x0), _t(y0))) for h in row
    )
    _close(hxx, np.diag(-np.sin(x0) * y0 + 2 * y0))
    _close(hxy, np.diag(np.cos(x0) + 2 * x0))
    _close(hyx, np.diag(np.cos(x0) + 2 * x0))
    _close(hyy, np.diag(6 * y0))


def test_gradgradcheck_through_views_and_inplace():
    def f(x, y):
        b = x * 1.5
        v = b[1:]
        b.mul_(y)  # v is stale now
        b[0] = y[0] * x[2]
        return (v * v).sin() + b[:2].exp()

    x = _t([0.3, -0.5, 0.8], True)
    y = _t([1.2, 0.7, -0.4], True)
    assert gradcheck(f, (x, y))
    assert gradgradcheck(f, (x, y))


# ------------------------------------------------------------------------------------------
# User-defined Functions (recorded by Function.apply through _UserForward)


class _MulAdd(Function):
    """(x * y + c, x - y) with saved inputs and a saved output; c is a plain number."""

    @staticmethod
    def forward(ctx, x, y, c, mode="sum"):
        ctx.c, ctx.mode = c, mode
        out = x * y + c
        ctx.save_for_backward(x, y, out)
        return out, x - y

    @staticmethod
    def backward(ctx, g_out, g_diff):
        x, y, out = ctx.saved_tensors
        # d(out)/dx = y, d(out)/dy = x; out itself is only read back (out - c == x * y)
        _close(out - ctx.c, (x * y).detach().numpy())
        gx = g_out * y + g_diff if ctx.needs_input_grad[0] else None
        gy = g_out * x - g_diff if ctx.needs_input_grad[1] else None
        return gx, gy, None, None


def test_user_function_saved_inputs_outputs_and_gradcheck():
    x0, y0 = np.array([0.5, -2.0]), np.array([3.0, 0.25])
    x, y = _t(x0, True), _t(y0, True)
    out, diff = _MulAdd.apply(x, y, 7.0, "sum")
    assert out.grad_fn is diff.grad_fn and out.grad_fn.needs_input_grad == (
        True,
        True,
        False,
        False,
    )
    _close(out, x0 * y0 + 7)
    ((out * out).sum() + (diff * 3).sum()).backward()
    _close(x.grad, 2 * (x0 * y0 + 7) * y0 + 3)
    _close(y.grad, 2 * (x0 * y0 + 7) * x0 - 3)
    inputs = (_t(x0, True), _t(y0, True))
    assert gradcheck(lambda a, b: _MulAdd.apply(a, b, 7.0, "sum"), inputs)
    # saved inputs come back graph-connected: second derivatives flow through them
    assert gradgradcheck(lambda a, b: _MulAdd.apply(a, b, 7.0, "sum"), inputs)


def test_user_function_unused_output_gets_zeros_and_needs_input_grad():
    received = []

    class Split(Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.scale = scale
            return x * scale, x.sum(), x * 0

        @staticmethod
        def backward(ctx, ga, gb, gc):
            received.append((ga.clone(), gb.clone(), gc.clone()))
            return ga * ctx.scale + gb, None

    x = _t([1.0, 2.0], True)
    a, _, _ = Split.apply(x, 3.0)
    (a * a).sum().backward()
    ga, gb, gc = received[0]
    _close(ga, [6.0, 12.0])
    _close(gb, 0.0)  # the unused outputs: zeros of their shapes
    _close(gc, [0.0, 0.0])
    _close(x.grad, [18.0, 36.0])

    flags = []

    class Flags(Function):
        @staticmethod
        def forward(ctx, a, b, n):
            flags.append(ctx.needs_input_grad)
            return a * b * n

        @staticmethod
        def backward(ctx, g):
            flags.append(ctx.needs_input_grad)
            return g, None, None

    Flags.apply(_t([1.0], True), _t([2.0]), 3).sum().backward()
    assert flags == [(True, False, False)] * 2


def test_user_function_returning_an_input_unchanged():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5  # not the identity's gradient: shows it is the one used

    x = _t([1.0, 2.0], True)
    y = Identity.apply(x)
    assert y is not x and y.requires_grad and y.grad_fn is not None
    assert y._base is x  # a view of it, as torch makes
    (y * x).sum().backward()
    _close(x.grad, 5 * np.array([1.0, 2.0]) + [1.0, 2.0])


def test_user_function_with_keyword_arguments_forward():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k=2.0):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g, _=None):
            return g * ctx.k, None

    x = _t([1.0, 2.0], True)
    y = Scale.apply(x, k=3.0)
    _close(y, [3.0, 6.0])
    assert y.requires_grad and y.grad_fn is not None
    Scale.apply(x, 3.0).sum().backward()  # (the keyword's gradient: see the next test)
    _close(x.grad, [3.0, 3.0])


def test_user_function_keyword_argument_counts_as_an_input():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k=2.0):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = _t([1.0, 2.0], True)
    Scale.apply(x, k=3.0).sum().backward()
    _close(x.grad, [3.0, 3.0])


def test_user_function_extra_trailing_none_gradients():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, c):
            return x * c

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = _t([1.0, 2.0], True)
    Scale.apply(x, 2.0).sum().backward()
    _close(x.grad, [2.0, 2.0])


def test_user_function_nested_in_another_forward_and_backward():
    inner_graph = []

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class SinOfCube(Function):
        @staticmethod
        def forward(ctx, x):
            c = Cube.apply(x)  # forward runs without recording
            inner_graph.append(c.requires_grad)
            ctx.save_for_backward(x)
            return c.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            c = Cube.apply(x)  # recorded only under create_graph
            return g * c.cos() * 3 * x * x

    x0 = np.array([0.4, -0.7])
    x = _t(x0, True)
    y = SinOfCube.apply(x)
    assert inner_graph == [False] and y.grad_fn is not None
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    d1 = np.cos(x0**3) * 3 * x0**2
    _close(g, d1)
    g.sum().backward()
    _close(x.grad, -np.sin(x0**3) * 9 * x0**4 + np.cos(x0**3) * 6 * x0)


def test_user_function_differentiating_inside_its_own_forward():
    class ViaAutograd(Function):
        @staticmethod
        def forward(ctx, x):
            with ember.enable_grad():
                inner = x.detach().requires_grad_()
                y = (inner * inner).sin()  # recorded after this Function's node
            ctx.inner, ctx.y = inner, y
            return y.detach()

        @staticmethod
        def backward(ctx, g):
            (gx,) = ember.autograd.grad(ctx.y, ctx.inner, g)  # a nested backward pass
            return gx

    x0 = np.array([0.3, 1.1])
    x = _t(x0, True)
    z = ViaAutograd.apply(x * 2)
    (z * x).sum().backward()
    # d/dx [sin(4x^2) x] = cos(4x^2) 8x^2 + sin(4x^2)
    _close(x.grad, np.cos(4 * x0**2) * 8 * x0**2 + np.sin(4 * x0**2))


def test_user_function_under_no_grad_and_without_inputs_that_require_grad():
    calls = []

    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            calls.append(ember.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("no graph: never called")

    x = _t([1.0, 2.0], True)
    with ember.no_grad():
        y = Twice.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    _close(y, [2.0, 4.0])
    z = Twice.apply(_t([1.0, 2.0]))
    assert not z.requires_grad and z.grad_fn is None
    assert calls == [False, False]  # forward always runs without recording


def test_user_function_returning_input_under_no_grad():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = _t([1.0, 2.0], True)
    with ember.no_grad():
        y = Identity.apply(x)
    assert y is not x and not y.requires_grad


def test_user_function_with_a_non_tensor_output():
    class WithCount(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 3

        @staticmethod
        def backward(ctx, g, _):
            return g * 2

    x = _t([1.0, 2.0], True)
    y, n = WithCount.apply(x)
    assert n == 3
    y.sum().backward()
    _close(x.grad, [2.0, 2.0])


def test_user_function_named_by_anomaly_detection():
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = _t([1.0, 2.0], True)
    with pytest.warns(UserWarning), ember.autograd.detect_anomaly():
        y = NanGrad.apply(x).sum()
        with pytest.raises(RuntimeError, match=r"'NanGradBackward0?' returned nan values"):
            y.backward()


def test_user_function_view_output_after_its_input_is_written():
    class Head(Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2]

        @staticmethod
        def backward(ctx, g):
            out = ember.zeros(3, dtype=g.dtype)
            out[:2] = g * 10
            return out

    x = _t([1.0, 2.0, 3.0], True)
    b = x * 1
    y = Head.apply(b)
    b.mul_(2)
    with pytest.raises(RuntimeError, match="view was created inside a custom Function"):
        (y * 1).sum().backward()


def test_user_function_outputs_in_heap_order_with_later_operations():
    order = []

    def tagged(name):
        class Tag(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                order.append(name)
                return g

        return Tag

    x = _t([1.0], True)
    a = tagged("a").apply(x)
    b = tagged("b").apply(a)
    c = tagged("c").apply(a * 2)  # a is consumed again after b was recorded
    d = tagged("d").apply(b + c)
    (d * a).sum().backward()  # and once more at the very end
    assert order == ["d", "c", "b", "a"]  # each after all of its consumers
    _close(x.grad, [3.0 + 1.0 * 3])


# ------------------------------------------------------------------------------------------
# Checkpoints beside other branches


def _block(a, w):
    return (a * w).tanh() * a


def _block_np(a, w):
    return np.tanh(a * w) * a


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_inside_a_graph_with_other_branches(use_reentrant):
    x0, w0 = np.array([0.5, -0.3, 1.2]), np.array([0.7, 1.5, -0.4])
    x, w = _t(x0, True), _t(w0, True)
    a = x.sin()
    dead = (a * 100).exp()  # a dead branch
    b = checkpoint(_block, a, w, use_reentrant=use_reentrant)
    c = checkpoint(_block, b * 2, w, use_reentrant=use_reentrant)  # a chain of checkpoints
    loss = (c * c).sum() + (a * w).sum() + (b * x).sum()
    loss.backward()
    assert dead.requires_grad

    def f(x, w):
        a = np.sin(x)
        b = _block_np(a, w)
        c = _block_np(b * 2, w)
        return (c * c).sum() + (a * w).sum() + (b * x).sum()

    gx, gw = _complex_step(f, [x0, w0])
    _close(x.grad, gx)
    _close(w.grad, gw)


def test_non_reentrant_checkpoint_with_autograd_grad_and_hooks():
    x0, w0 = np.array([0.5, -0.3]), np.array([0.7, 1.5])
    x, w = _t(x0, True), _t(w0, True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    h = x * 3
    b = checkpoint(_block, h, w, use_reentrant=False)
    loss = (b * h).sum() + (w * w).sum()

    def f(h, w):
        return (_block_np(h, w) * h).sum() + (w * w).sum()

    gh, gw = _complex_step(f, [3 * x0, w0])
    got_h, got_w = ember.autograd.grad(loss, [h, w], retain_graph=True)
    _close(got_h, gh)
    _close(got_w, gw)
    assert seen == []  # autograd.grad accumulates nothing
    loss.backward()
    _close(x.grad, 3 * gh)
    assert len(seen) == 1  # once, after both of w's edges (through the checkpoint and beside)
    _close(seen[0], gw)


def test_inplace_composite_whose_inner_step_saved_the_input():
    # logit_ is computed as log(x / (1 - x)): Div saves x, which the write then overwrites;
    # it must keep a copy (d logit / dx = 1 / (x (1 - x)))
    x0 = np.array([0.2, 0.5, 0.7])
    x = _t(x0, True)
    a = x * 1
    a.logit_()
    a.sum().backward()
    _close(x.grad, 1 / (x0 * (1 - x0)))
    _close(a, np.log(x0 / (1 - x0)))


def test_autograd_grad_runs_no_hook_of_a_leaf_it_does_not_ask_for():
    x, w = _t([1.0, 2.0], True), _t([3.0, 4.0], True)
    calls = []
    w.register_hook(lambda g: calls.append("w"))
    x.register_hook(lambda g: calls.append("x"))
    (gx,) = ember.autograd.grad((x * w).sum(), x)
    _close(gx, [3.0, 4.0])
    assert calls == ["x"] and w.grad is None and x.grad is None
