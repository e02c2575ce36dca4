"""ember.func: torch.func's transforms, checked against hand-computed derivatives, finite
differences, per-sample loops and each other."""

import re

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck
from ember.func import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    vjp,
    vmap,
)
from ember.testing import assert_close

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 2))
V = RNG.standard_normal(3)


def t(a, requires_grad=False):
    return ember.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def cube_sum(x):
    return (x**3).sum()


# ------------------------------------------------------------------------------------- grad


def test_grad_of_cube_sum_is_three_x_squared():
    x = t(V)
    g = grad(cube_sum)(x)
    assert_close(g, 3 * V**2)
    assert not g.requires_grad


def test_nested_grads_give_higher_derivatives_of_sin():
    x = t(0.7)
    assert_close(grad(ember.sin)(x), np.cos(0.7))
    assert_close(grad(grad(ember.sin))(x), -np.sin(0.7))
    assert_close(grad(grad(grad(ember.sin)))(x), -np.cos(0.7))


def test_grad_argnums_kwargs_and_pytree_arguments():
    def f(x, y, scale=1.0):
        return scale * (x["a"] * y).sum() + (x["b"] ** 2).sum()

    x = {"a": t(V), "b": t([1.0, 2.0])}
    y = t(V[::-1].copy())
    gx = grad(f)(x, y, scale=2.0)
    assert list(gx) == ["a", "b"]
    assert_close(gx["a"], 2 * V[::-1])
    assert_close(gx["b"], [2.0, 4.0])
    gx2, gy = grad(f, argnums=(0, -1))(x, y, scale=2.0)
    assert_close(gx2["a"], gx["a"])
    assert_close(gy, 2 * V)


def test_grad_same_tensor_at_two_argnums_gets_separate_gradients():
    x = t(V)
    gx, gy = grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(x, x)
    assert_close(gx, 2 * np.ones(3))
    assert_close(gy, np.zeros(3))


def test_grad_has_aux_and_grad_and_value():
    def f(x):
        return (x**2).sum(), {"doubled": x * 2, "pair": (x[0], x[1])}

    x = t(V)
    g, aux = grad(f, has_aux=True)(x)
    assert_close(g, 2 * V)
    assert_close(aux["doubled"], 2 * V)
    assert_close(aux["pair"], (V[0], V[1]))
    assert not aux["doubled"].requires_grad
    g, (value, aux) = grad_and_value(f, has_aux=True)(x)
    assert_close(value, (V**2).sum())
    assert not value.requires_grad
    g, value = grad_and_value(cube_sum)(x)
    assert_close(g, 3 * V**2)
    assert_close(value, (V**3).sum())


def test_grad_of_function_independent_of_input_is_zero():
    assert_close(grad(lambda x: ember.tensor(2.0))(t(V)), np.zeros(3))
    assert_close(grad(lambda x: (x.detach() ** 2).sum())(t(V)), np.zeros(3))


def test_grad_leaves_inputs_and_their_grad_alone():
    x = t(V, requires_grad=True)
    before = x.detach().clone()
    grad(cube_sum)(x)
    assert x.grad is None
    assert_close(x, before)


def test_grad_result_is_differentiable_when_the_input_requires_grad():
    # torch.func composes with ordinary autograd: d/dx of grad(f)(x) is f's Hessian
    x = t(V, requires_grad=True)
    g = grad(cube_sum)(x)
    assert g.requires_grad
    (h,) = ember.autograd.grad(g.sum(), x)
    assert_close(h, 6 * V)
    assert gradcheck(lambda x: grad(lambda y: (y.sin() * y).sum())(x), (x,))


def test_grad_result_is_differentiable_in_a_captured_tensor():
    w = t([1.0, 2.0, 3.0], requires_grad=True)
    g = grad(lambda x: (w * x**2).sum())(t(V))
    assert g.grad_fn is not None
    (gw,) = ember.autograd.grad(g.sum(), w)
    assert_close(gw, 2 * V)


def test_grad_under_no_grad_still_differentiates_but_detaches():
    x = t(V, requires_grad=True)
    with ember.no_grad():
        g = grad(cube_sum)(x)
    assert_close(g, 3 * V**2)
    assert not g.requires_grad


def test_grad_respects_no_grad_inside_the_function():
    def f(x):
        with ember.no_grad():
            c = x**2
        return (x - c).sum()

    assert_close(grad(f)(t(V)), np.ones(3))


def test_inner_grad_closing_over_outer_input():
    # d/dx [ d/dy (x * y**2) at y=c ] = d/dx (2 x c) = 2c
    c = t(1.5)

    def inner_slope(x):
        return grad(lambda y: x * y**2)(c)

    assert_close(grad(inner_slope)(t(0.3)), 3.0)
    # the same tensor differentiated at both levels: d/dx [d/dy (x*y)](y=x) = 1
    assert_close(grad(lambda x: grad(lambda y: x * y)(x))(t(0.3)), 1.0)


@pytest.mark.parametrize(
    "func, args, message",
    [
        (
            lambda x: x**2,
            (t(V),),
            "Expected f(*args) to return a scalar Tensor, got tensor with 1 dims",
        ),
        (lambda x: 3.0, (t(V),), "Expected f(*args) to return a Tensor, got <class 'float'>"),
        (lambda x: x.sum(), (3.0,), "Thing passed to transform API must be Tensor"),
    ],
)
def test_grad_errors(func, args, message):
    with pytest.raises((RuntimeError, ValueError), match=re.escape(message)):
        grad(func)(*args)


def test_grad_argnums_and_aux_errors():
    x = t(V)
    with pytest.raises(RuntimeError, match=r"Got argnum=1, but only 1 positional inputs"):
        grad(cube_sum, argnums=1)(x)
    with pytest.raises(RuntimeError, match=r"argnums must be int or Tuple\[int, \.\.\.\], got"):
        grad(cube_sum, argnums=[0])(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        grad(cube_sum, argnums=())(x)
    with pytest.raises(RuntimeError, match=r"argnums elements must be unique, got \(0, 0\)"):
        grad(lambda a, b: a.sum(), argnums=(0, 0))(x, x)
    with pytest.raises(RuntimeError, match=r"should be a tuple: \(output, aux\) if has_aux"):
        grad(cube_sum, has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Expected tensors, got unsupported type <class 'int'>"):
        grad(lambda x: (x.sum(), 3), has_aux=True)(x)


# -------------------------------------------------------------------------------------- vjp


def test_vjp_products_and_reuse():
    x, y = t(V), t(V[::-1].copy())
    out, vjp_fn = vjp(lambda x, y: {"p": x * y, "s": (x.sum(),)}, x, y)
    assert_close(out["p"], V * V[::-1])
    assert not out["p"].requires_grad
    ct = {"p": t([1.0, 2.0, 3.0]), "s": (t(2.0),)}
    for _ in range(2):  # vjp_fn may be called again
        gx, gy = vjp_fn(ct)
        assert_close(gx, np.array([1.0, 2.0, 3.0]) * V[::-1] + 2)
        assert_close(gy, np.array([1.0, 2.0, 3.0]) * V)


def test_vjp_has_aux_and_unused_primal():
    _, vjp_fn, aux = vjp(lambda x, y: (x**2, x + 1), t(V), t(1.0), has_aux=True)
    assert_close(aux, V + 1)
    gx, gy = vjp_fn(t(np.ones(3)))
    assert_close(gx, 2 * V)
    assert_close(gy, 0.0)


def test_vjp_fn_result_is_differentiable_in_the_cotangent():
    _, vjp_fn = vjp(lambda x: x**2, t(V))
    v = t(np.ones(3), requires_grad=True)
    (g,) = vjp_fn(v)
    assert g.requires_grad
    (gv,) = ember.autograd.grad(g.sum(), v)
    assert_close(gv, 2 * V)


def test_vjp_errors():
    x = t(V)
    _, vjp_fn = vjp(lambda x: x**2, x)
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        vjp_fn((t(np.ones(3)),))
    with pytest.raises(RuntimeError, match=r"expected f\(\*primals\) to return only tensors"):
        vjp(lambda x: 3, x)
    with pytest.raises(RuntimeError, match="Expected f to be a function that has non-empty output"):
        vjp(lambda x: (), x)
    with pytest.raises(RuntimeError, match="All outputs of f must be floating-point or complex"):
        vjp(lambda x: x.long(), x)


# -------------------------------------------------------------------------------------- jvp


def test_jvp_of_sin_and_of_two_inputs():
    x, v = t(V), t([1.0, -1.0, 2.0])
    out, tangent = jvp(ember.sin, (x,), (v,))
    assert_close(out, np.sin(V))
    assert_close(tangent, np.cos(V) * [1.0, -1.0, 2.0])
    assert not tangent.requires_grad
    w = t(A)  # d(x @ w) = dx @ w + x @ dw
    dx, dw = t(np.ones(3)), t(np.ones((3, 2)))
    _, tangent = jvp(lambda x, w: x @ w, (x, w), (dx, dw))
    assert_close(tangent, np.ones(3) @ A + V @ np.ones((3, 2)))


def test_jvp_matches_jacobian_times_tangent_for_pytrees():
    def f(p):
        return (p["a"] * p["b"].sum(), p["a"].exp())

    p = {"a": t(V), "b": t([0.5, -1.0])}
    tp = {"a": t([1.0, 0.0, 2.0]), "b": t([1.0, 1.0])}
    _, (ta, tb) = jvp(f, (p,), (tp,))
    jac = jacrev(f)(p)
    for tangent, blocks in zip((ta, tb), jac):
        expected = blocks["a"].numpy() @ tp["a"].numpy() + blocks["b"].numpy() @ tp["b"].numpy()
        assert_close(tangent, expected)


def test_jvp_constant_output_strict_and_aux():
    x, v = t(V), t(np.ones(3))
    _, tangent = jvp(lambda x: (x * 2, ember.ones(2)), (x,), (v,))
    assert_close(tangent[1], np.zeros(2))
    with pytest.raises(RuntimeError, match="The output of f is independent of the inputs"):
        jvp(lambda x: ember.ones(2), (x,), (v,), strict=True)
    _, tangent, aux = jvp(lambda x: (x**2, x.sum()), (x,), (v,), has_aux=True)
    assert_close(tangent, 2 * V)
    assert_close(aux, V.sum())


def test_jvp_errors():
    x = t(V)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(ember.sin, x, x)
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same"):
        jvp(ember.sin, (x,), x)
    with pytest.raises(RuntimeError, match="Expected tangents to only contain Tensors"):
        jvp(ember.sin, (x,), (3,))
    with pytest.raises(RuntimeError, match=r"Tensor is of size \[3\] while the given forward"):
        jvp(ember.sin, (x,), (t([1.0, 2.0]),))


def test_forward_over_reverse_hessian_vector_product():
    # jvp of grad: H v, with H = diag(6x) for sum(x**3)
    x, v = t(V), t([1.0, 2.0, 3.0])
    _, hv = jvp(grad(cube_sum), (x,), (v,))
    assert_close(hv, 6 * V * [1.0, 2.0, 3.0])


# ------------------------------------------------------------------------- jacrev / jacfwd


@pytest.mark.parametrize("jac", [jacrev, jacfwd])
def test_jacobian_of_matrix_product(jac):
    x, w = t(A), t(RNG.standard_normal((2, 4)))
    jx, jw = jac(lambda x, w: x @ w, argnums=(0, 1))(x, w)
    assert tuple(jx.shape) == (3, 4, 3, 2) and tuple(jw.shape) == (3, 4, 2, 4)
    ex, ew = np.zeros((3, 4, 3, 2)), np.zeros((3, 4, 2, 4))
    for i in range(3):
        for j in range(4):
            ex[i, j, i, :] = w.numpy()[:, j]
            ew[i, j, :, j] = A[i, :]
    assert_close(jx, ex)
    assert_close(jw, ew)
    assert not jx.requires_grad


@pytest.mark.parametrize("jac", [jacrev, jacfwd])
def test_jacobian_structure_for_pytree_inputs_and_outputs(jac):
    def f(p, c):
        return {"y": p["w"] * c, "s": (p["w"].sum() + p["b"],)}

    p = {"w": t(V), "b": t(0.5)}
    out = jac(f)(p, t(2.0))
    assert set(out) == {"y", "s"}
    assert_close(out["y"]["w"], 2 * np.eye(3))
    assert_close(out["y"]["b"], np.zeros(3))
    assert_close(out["s"][0]["w"], np.ones(3))
    assert_close(out["s"][0]["b"], 1.0)


def test_jacobian_dtypes_and_aux():
    x = ember.tensor(V, dtype=ember.float32)
    assert jacrev(lambda x: x.double() ** 2)(x).dtype == ember.float32  # the input's
    assert jacfwd(lambda x: x.double() ** 2)(x).dtype == ember.float64  # the output's
    for jac in (jacrev, jacfwd):
        j, aux = jac(lambda x: (x**2, x.sum()), has_aux=True)(t(V))
        assert_close(j, np.diag(2 * V))
        assert_close(aux, V.sum())


def test_jacobian_errors():
    with pytest.raises(ValueError, match=r"jacrev: `chunk_size` should be greater than 0\."):
        jacrev(ember.sin, chunk_size=0)
    z = ember.ones(2, dtype=ember.complex64)
    with pytest.raises(RuntimeError, match="jacrev: Expected all inputs to be real"):
        jacrev(ember.sin)(z)
    with pytest.raises(RuntimeError, match="jacfwd: Expected all outputs to be real"):
        jacfwd(lambda x: x.to(ember.complex64))(t(V))
    with pytest.raises(RuntimeError, match="called random operation while in randomness error"):
        jacfwd(lambda x: x + ember.rand(3))(t(V))
    assert_close(jacfwd(lambda x: x + ember.rand(3), randomness="same")(t(V)), np.eye(3))


def test_hessians_agree_with_each_other_and_by_hand():
    def f(x):
        return (x.sin() * x).sum()

    x = t(V)
    by_hand = np.diag(2 * np.cos(V) - V * np.sin(V))
    for h in (hessian(f)(x), jacrev(jacrev(f))(x), jacfwd(jacrev(f))(x), jacrev(grad(f))(x)):
        assert_close(h, by_hand)
        assert not h.requires_grad


def test_hessian_with_two_argnums_gives_nested_blocks():
    x, y = t(V), t(V[::-1].copy())
    (hxx, hxy), (hyx, hyy) = hessian(lambda x, y: (x * x * y).sum(), argnums=(0, 1))(x, y)
    assert_close(hxx, np.diag(2 * V[::-1]))
    assert_close(hxy, np.diag(2 * V))
    assert_close(hyx, np.diag(2 * V))
    assert_close(hyy, np.zeros((3, 3)))


def test_jacobian_is_differentiable_when_the_input_requires_grad():
    x = t(V, requires_grad=True)
    assert gradcheck(lambda x: jacrev(lambda y: y.sin() * y.sum())(x), (x,))


# ------------------------------------------------------------------------------------- vmap


def test_vmap_batched_dot_and_in_dims():
    x, y = t(RNG.standard_normal((4, 3))), t(RNG.standard_normal((3, 4)))
    assert_close(vmap(ember.dot)(x, y.T), (x.numpy() * y.numpy().T).sum(1))
    assert_close(vmap(ember.dot, in_dims=(0, 1))(x, y), (x.numpy() * y.numpy().T).sum(1))
    w = t(V)
    assert_close(vmap(ember.mv, in_dims=(None, 0))(x, x), x.numpy() @ x.numpy().T)
    assert_close(vmap(lambda a: a * w)(x), x.numpy() * V)
    assert_close(vmap(lambda a: a.sum(), in_dims=-1)(x), x.numpy().sum(0))


def test_vmap_nested_in_dims_out_dims_and_kwargs():
    x = t(RNG.standard_normal((2, 3)))

    def f(pair, d, *, scale):
        a, b = pair
        return {"sum": (a + b + d["c"]) * scale, "a": a}, 7

    out, seven = vmap(f, in_dims=((0, None), {"c": None}), out_dims=({"sum": 1, "a": 0}, None))(
        (x, t(V)), {"c": t(1.0)}, scale=2.0
    )
    assert seven == 7
    assert tuple(out["sum"].shape) == (3, 2)
    assert_close(out["sum"], ((x.numpy() + V + 1) * 2).T)
    assert_close(out["a"], x.numpy())
    y = vmap(lambda a: a.reshape(3, 1), out_dims=-1)(x)
    assert tuple(y.shape) == (3, 1, 2)


def test_vmap_unbatched_output_is_expanded_or_kept():
    x = t(RNG.standard_normal((2, 3)))
    assert_close(vmap(lambda a: ember.ones(2, dtype=ember.float64))(x), np.ones((2, 2)))
    assert_close(vmap(lambda a: ember.ones(2), out_dims=None)(x), np.ones(2))


def test_nested_vmap_and_empty_batch():
    x = t(RNG.standard_normal((2, 3)))
    assert_close(vmap(vmap(lambda a: a * 2))(x), 2 * x.numpy())
    assert_close(vmap(vmap(lambda a, b: a * b), in_dims=(0, None))(x, t(V)), x.numpy() * V)
    empty = vmap(lambda a: a.sum(0, keepdim=True) * 2)(ember.zeros(0, 3))
    assert tuple(empty.shape) == (0, 1)


def test_vmap_randomness_modes():
    x = ember.zeros(3, 2)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error"):
        vmap(lambda a: a + ember.rand(2))(x)
    state = ember.random.get_rng_state()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda a: a + ember.rand(2))(x)
    assert ember.equal(state, ember.random.get_rng_state())  # put back
    same = vmap(lambda a: a + ember.rand(2), randomness="same")(x)
    assert_close(same[0], same[1]) and assert_close(same[0], same[2])
    different = vmap(lambda a: a + ember.rand(2), randomness="different")(x)
    assert not ember.equal(different[0], different[1])
    with pytest.raises(RuntimeError, match="Only allowed values for randomness are"):
        vmap(ember.sin, randomness="sometimes")


def test_vmap_errors():
    x = t(RNG.standard_normal((2, 3)))
    cases = [
        (dict(in_dims=[0]), (x,), "expected `in_dims` to be int or a"),
        (dict(in_dims=(0, 0)), (x,), "in_dims is not compatible with the structure of `inputs`"),
        (dict(in_dims=(1.5,)), (x,), "in_dim must be either an integer dimension or None"),
        (dict(in_dims=(0, 0)), (x, 3), "We cannot vmap over non-Tensor arguments"),
        (dict(in_dims=2), (x,), "so expected in_dim to satisfy -2 <= in_dim < 2"),
        (dict(in_dims=None), (x,), "expected `in_dims` to be int or a"),
        (dict(in_dims=(None,)), (x,), "Expected at least one Tensor to vmap over"),
        (dict(out_dims="a"), (x,), "`out_dims` must be an int, None or a python collection"),
        (dict(out_dims=(0, 1)), (x,), "out_dims is not compatible with the structure of"),
        (dict(out_dims=None), (x,), "can not return a BatchedTensor when out_dim is None"),
    ]
    for kwargs, args, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            vmap(lambda a, *rest: a * 2, **kwargs)(*args)
    with pytest.raises(ValueError, match=r"got sizes \[2, 3\] for the mapped dimension"):
        vmap(lambda a, b: a)(x, ember.ones(3))
    with pytest.raises(ValueError, match="must only return Tensors, got type <class 'int'>"):
        vmap(lambda a: 3)(x)
    with pytest.raises(ValueError, match="got no inputs"):
        vmap(lambda: 1)()
    with pytest.raises(ValueError, match=r"chunk_size should be None or greater than 0. \(got 0\)"):
        vmap(ember.sin, chunk_size=0)


def test_grad_through_vmap_and_jacobian_of_vmap():
    x = t(RNG.standard_normal((2, 3)))
    g = grad(lambda x: vmap(lambda r: (r**2).sum())(x).sum())(x)
    assert_close(g, 2 * x.numpy())
    j = jacrev(vmap(ember.sin))(x)
    assert_close(j.reshape(6, 6), np.diag(np.cos(x.numpy()).reshape(-1)))


def test_vmap_of_jacrev_gives_batched_jacobians():
    x = t(RNG.standard_normal((4, 3)))
    j = vmap(jacrev(lambda r: r.sin() * r.sum()))(x)
    for i in range(4):
        assert_close(j[i], jacrev(lambda r: r.sin() * r.sum())(x[i]))


# ----------------------------------------------------------- functional_call, per-sample grads


class _MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
        self.register_buffer("shift", ember.full((2,), 0.5))

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh()) + self.shift


def test_functional_call_swaps_parameters_for_one_call():
    model = _MLP().double()
    x = t(RNG.standard_normal((5, 3)))
    new = {"fc2.bias": t([1.0, -1.0]), "shift": t([0.0, 0.0])}
    out = functional_call(model, new, (x,))
    expected = (
        model.fc2.weight.detach().numpy()
        @ np.tanh(
            x.numpy() @ model.fc1.weight.detach().numpy().T + model.fc1.bias.detach().numpy()
        ).T
    )
    assert_close(out, expected.T + [1.0, -1.0])
    assert_close(model.shift, [0.5, 0.5])  # restored
    assert isinstance(model.fc2.bias, nn.Parameter)
    assert_close(functional_call(model, [{"fc2.bias": new["fc2.bias"]}, {}], x), out + 0.5)


def test_functional_call_tied_weights_strict_and_errors():
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)).double()
    model[1].weight = model[0].weight
    x = t(np.eye(2))
    w = t([[2.0, 0.0], [0.0, 2.0]])
    assert_close(functional_call(model, {"0.weight": w}, (x,)), 4 * np.eye(2))
    untied = functional_call(model, {"0.weight": w}, (x,), tie_weights=False)
    assert_close(untied, model[0].weight.detach().numpy().T * 2)
    with pytest.raises(ValueError, match=r"which are tied\. Consider using tie_weights=False"):
        functional_call(model, {"0.weight": w, "1.weight": w * 1}, (x,))
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'extra'.*\n\tMissing key"):
        functional_call(model, {"extra": w}, (x,), strict=True)
    with pytest.raises(ValueError, match=r"\['0.weight'\] appeared in multiple dictionaries"):
        functional_call(model, [{"0.weight": w}, {"0.weight": w}], (x,))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict"):
        functional_call(model, 3, (x,))


def test_per_sample_gradients_match_a_loop():
    model = _MLP().double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    xs, ys = t(RNG.standard_normal((6, 3))), ember.tensor([0, 1, 1, 0, 1, 0])

    def loss(params, buffers, x, y):
        out = functional_call(model, (params, buffers), (x.unsqueeze(0),))
        return nn.functional.cross_entropy(out, y.unsqueeze(0))

    per_sample = vmap(grad(loss), in_dims=(None, None, 0, 0))(params, buffers, xs, ys)
    for i in range(6):
        model.zero_grad()
        nn.functional.cross_entropy(model(xs[i : i + 1]), ys[i : i + 1]).backward()
        for name, p in model.named_parameters():
            assert_close(per_sample[name][i], p.grad)
    assert all(v.grad is None for v in params.values())
