"""Parity with torch 2.13's torch.func: the same transforms of the same functions give the same
values, structures, dtypes and ``requires_grad``, the same gradients through them, and the
same errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

F64 = dict(rtol=1e-10, atol=1e-12)

# torch's forward mode (jvp, jacfwd) warns about torch.jit.script on first use
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def _np(t):
    return t.detach().numpy()


def _same(e, t, where="result", flags=True):
    """Ember's nested result ``e`` equals torch's ``t``: tensors in value, shape, dtype and
    (``flags``) whether they require grad."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{where}: {e!r}"
        assert tuple(e.shape) == tuple(t.shape), f"{where} shape"
        assert str(e.dtype)[6:] == str(t.dtype)[6:], f"{where} dtype"
        assert not flags or e.requires_grad == t.requires_grad, f"{where} requires_grad"
        np.testing.assert_allclose(_np(e), _np(t), err_msg=where, **F64)
    elif isinstance(t, dict):
        assert list(e) == list(t), f"{where} keys"
        for k in t:
            _same(e[k], t[k], f"{where}[{k!r}]", flags)
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t), f"{where}: {e!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            _same(a, b, f"{where}[{i}]", flags)
    else:
        assert e == t, f"{where}: {e!r} != {t!r}"


def _tensors(value):
    if isinstance(value, (ember.Tensor, torch.Tensor)):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _both(f, *arrays, requires_grad=False, flags=True):
    """``f(fw, *tensors)`` in ember and torch, compared. With ``requires_grad`` the inputs
    require grad and the gradients of the results' squared sum must agree too; ``flags=False``
    leaves out ``requires_grad`` of results that are constant (where torch's batched and
    forward-mode machinery marks some as requiring grad, and Ember does not)."""
    inputs, results = {}, {}
    for fw in (ember, torch):
        tensors = [fw.from_numpy(a.copy()).requires_grad_(requires_grad) for a in arrays]
        inputs[fw] = tensors
        results[fw] = f(fw, *tensors)
    _same(results[ember], results[torch], flags=flags)
    if requires_grad:
        for fw in (ember, torch):
            outs = [t for t in _tensors(results[fw]) if t.requires_grad]
            if outs:
                sum((t**2).sum() for t in outs).backward()
        for e, t in zip(inputs[ember], inputs[torch]):
            expected = np.zeros(t.shape) if t.grad is None else _np(t.grad)
            actual = np.zeros(e.shape) if e.grad is None else _np(e.grad)
            np.testing.assert_allclose(actual, expected, **F64)


def _rand(rng, *shape):
    return rng.standard_normal(shape)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_grad_nested_argnums_aux_and_composition_with_autograd(rng):
    x, y = _rand(rng, 4), _rand(rng, 4)

    def f(fw):
        return lambda x, y: ((x.sin() * y).sum() + (x**3).mean(), {"p": x * y})

    for requires_grad in (False, True):
        _both(
            lambda fw, x, y: fw.func.grad(f(fw), has_aux=True)(x, y),
            x,
            y,
            requires_grad=requires_grad,
        )
        _both(
            lambda fw, x, y: fw.func.grad_and_value(f(fw), argnums=(0, 1), has_aux=True)(x, y),
            x,
            y,
            requires_grad=requires_grad,
        )
    _both(lambda fw, x: fw.func.grad(fw.func.grad(lambda s: s.sin() * s**2))(x.sum()), x)
    _both(lambda fw, x, y: fw.func.grad(lambda a: (a.sin() * y).sum())(x), x, y, requires_grad=True)


def test_grad_captured_tensors_and_no_grad(rng):
    x = _rand(rng, 3)

    def captured(fw, w):
        return fw.func.grad(lambda a: (w * a**2).sum())(w.detach() * 2)

    _both(captured, x, requires_grad=True)

    def under_no_grad(fw, a):
        with fw.no_grad():
            return fw.func.grad(lambda s: (s**3).sum())(a)

    _both(under_no_grad, x, requires_grad=True)


def test_vjp_and_jvp(rng):
    x, y = _rand(rng, 3), _rand(rng, 3)

    def f(x, y):
        return {"prod": x * y, "sum": (x.exp().sum(),)}

    def run_vjp(fw, x, y):
        out, vjp_fn = fw.func.vjp(f, x, y)
        ct = {"prod": x.detach().cos(), "sum": (fw.ones((), dtype=fw.float64),)}
        return out, vjp_fn(ct)

    _both(run_vjp, x, y)
    _both(run_vjp, x, y, requires_grad=True)
    _both(lambda fw, x, y: fw.func.jvp(f, (x, y), (y.detach(), x.detach())), x, y)
    _both(
        lambda fw, x, y: fw.func.jvp(f, (x, y), (y.detach(), x.detach())),
        x,
        y,
        requires_grad=True,
        flags=False,
    )
    _both(lambda fw, x, y: fw.func.jvp(lambda a: (a**2, a.sum()), (x,), (y,), has_aux=True), x, y)


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians(rng, transform):
    x, w = _rand(rng, 2, 3), _rand(rng, 3, 4)

    def f(x, w):
        return (x @ w).tanh(), (x.sum(),)

    def run(fw, x, w):
        jac = getattr(fw.func, transform)
        return jac(f, argnums=(0, 1))(x, w), jac(lambda d: d["a"].sin() * d["b"])(
            {"a": x, "b": w[0, 0]}
        )

    _both(run, x, w)
    _both(run, x, w, requires_grad=True, flags=False)
    _both(lambda fw, x: getattr(fw.func, transform)(lambda a: a.float() ** 2)(x), x)


def test_hessian_and_second_order_compositions(rng):
    x = _rand(rng, 4)

    def f(a):
        return (a.sin() * a.sum()).sum()

    runs = [
        lambda fw, a: fw.func.hessian(f)(a),
        lambda fw, a: fw.func.jacrev(fw.func.jacrev(f))(a),
        lambda fw, a: fw.func.jacfwd(fw.func.jacfwd(f))(a),
        lambda fw, a: fw.func.jacrev(fw.func.grad(f))(a),
    ]
    for run in runs:
        _both(run, x)
        _both(run, x, requires_grad=True, flags=False)
    _both(
        lambda fw, a, b: fw.func.hessian(lambda p, q: (p * p * q).sum(), argnums=(0, 1))(a, b),
        x,
        x[::-1],
    )


def test_vmap_in_dims_out_dims_and_nesting(rng):
    x, y = _rand(rng, 3, 4), _rand(rng, 4, 3)

    def f(pair, d):
        a, b = pair
        return {"s": a * b + d["c"], "m": a.outer(b)}

    _both(
        lambda fw, x, y, c: fw.func.vmap(
            f, in_dims=((0, 1), {"c": None}), out_dims={"s": 1, "m": 0}
        )((x, y), {"c": c}),
        x,
        y,
        _rand(rng, 4),
    )
    _both(
        lambda fw, x: fw.func.vmap(fw.func.vmap(lambda a: a.exp() * 2), in_dims=1, out_dims=-1)(x),
        x,
    )
    _both(lambda fw, x: fw.func.vmap(lambda a: (a * 0 + 1).sum(), in_dims=0, out_dims=0)(x), x)
    _both(lambda fw, x: fw.func.vmap(lambda a: fw.ones(2, dtype=fw.float64), out_dims=None)(x), x)


def test_vmap_grad_through_and_of_vmap(rng):
    x = _rand(rng, 3, 4)
    _both(lambda fw, x: fw.func.vmap(fw.func.grad(lambda r: (r.sin() ** 2).sum()))(x), x)
    _both(lambda fw, x: fw.func.grad(lambda a: fw.func.vmap(lambda r: r.norm())(a).sum())(x), x)
    _both(lambda fw, x: fw.func.jacrev(fw.func.vmap(lambda r: r.softmax(0)))(x), x)
    _both(lambda fw, x: fw.func.vmap(fw.func.jacrev(lambda r: r.softmax(0)))(x), x)


def test_per_sample_gradients_with_functional_call(rng):
    arrays = {
        "0.weight": _rand(rng, 5, 3),
        "0.bias": _rand(rng, 5),
        "2.weight": _rand(rng, 2, 5),
        "2.bias": _rand(rng, 2),
    }
    xs, ys = _rand(rng, 6, 3), rng.integers(0, 2, 6)

    def run(fw):
        model = fw.nn.Sequential(fw.nn.Linear(3, 5), fw.nn.Tanh(), fw.nn.Linear(5, 2)).double()
        params = {k: fw.from_numpy(v.copy()) for k, v in arrays.items()}

        def loss(p, x, y):
            out = fw.func.functional_call(model, p, (x.unsqueeze(0),))
            return fw.nn.functional.cross_entropy(out, y.unsqueeze(0))

        per_sample = fw.func.vmap(fw.func.grad(loss), in_dims=(None, 0, 0))(
            params, fw.from_numpy(xs.copy()), fw.from_numpy(ys.copy())
        )
        whole = fw.func.functional_call(model, params, fw.from_numpy(xs.copy()))
        return per_sample, whole

    _same(run(ember), run(torch))


def test_functional_call_tied_weights_and_strict(rng):
    w = _rand(rng, 2, 2)

    def run(fw, x, mode):
        model = fw.nn.Sequential(fw.nn.Linear(2, 2, bias=False), fw.nn.Linear(2, 2, bias=False))
        model = model.double()
        model[1].weight = model[0].weight
        given = {"0.weight": fw.from_numpy(w.copy())}
        if mode == "strict":
            with pytest.raises(RuntimeError) as info:
                fw.func.functional_call(model, given, (x,), tie_weights=False, strict=True)
            return str(info.value)
        return fw.func.functional_call(model, given, (x,), tie_weights=mode == "tied")

    x = _rand(rng, 3, 2)
    _both(lambda fw, x: run(fw, x, "tied"), x)
    msgs = [run(fw, fw.from_numpy(x.copy()), "strict") for fw in (ember, torch)]
    assert msgs[0] == msgs[1].replace("torch", "ember") or msgs[0] == msgs[1]


def _message(fw, f):
    with pytest.raises(Exception) as info:
        f(fw)
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize(
    "f",
    [
        lambda fw: fw.func.grad(lambda x: x**2)(fw.ones(3)),
        lambda fw: fw.func.grad(lambda x: x.sum(), argnums=(0, 0))(fw.ones(3)),
        lambda fw: fw.func.grad(lambda x: x.sum(), has_aux=True)(fw.ones(3)),
        lambda fw: fw.func.vjp(lambda x: 3, fw.ones(3)),
        lambda fw: fw.func.vjp(lambda x: x, fw.ones(3))[1]((fw.ones(3),)),
        lambda fw: fw.func.jvp(lambda x: x, fw.ones(3), fw.ones(3)),
        lambda fw: fw.func.jvp(lambda x: fw.ones(2), (fw.ones(3),), (fw.ones(3),), strict=True),
        lambda fw: fw.func.jacrev(lambda x: x, chunk_size=0),
        lambda fw: fw.func.jacfwd(lambda x: x + fw.rand(3))(fw.ones(3)),
        lambda fw: fw.func.vmap(lambda x: x + fw.rand(3))(fw.ones(2, 3)),
        lambda fw: fw.func.vmap(lambda x, y: x + y)(fw.ones(2, 3), fw.ones(3, 3)),
        lambda fw: fw.func.vmap(lambda x: x, in_dims=(2,))(fw.ones(2)),
        lambda fw: fw.func.vmap(lambda x, n: x, in_dims=(0, 0))(fw.ones(2), 3),
        lambda fw: fw.func.vmap(lambda x: x * 2, out_dims=None)(fw.arange(6.0).view(2, 3)),
        lambda fw: fw.func.vmap(lambda x: 3)(fw.ones(2, 3)),
        lambda fw: fw.func.vmap(lambda x: x, in_dims=[0])(fw.ones(2)),
    ],
)
def test_same_errors(f):
    assert _message(ember, f) == _message(torch, f)
