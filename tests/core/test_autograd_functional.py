"""ember.autograd.functional: Jacobians, Hessians and vector products, checked against
hand-computed derivatives and against each other."""

import numpy as np
import pytest

import ember
from ember.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from ember.testing import assert_close

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 2))
B = RNG.standard_normal(2)
M = RNG.standard_normal((2, 4))


def t(a, requires_grad=False):
    return ember.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def np_(x):
    return x.detach().numpy()


# ------------------------------------------------------------------------- hand-computed values


def test_jacobian_of_cube_is_diagonal():
    x = t([1.0, -2.0, 0.5])
    jac = jacobian(lambda x: x**3, x)
    assert isinstance(jac, ember.Tensor) and tuple(jac.shape) == (3, 3)
    assert_close(jac, np.diag(3 * np.array([1.0, 4.0, 0.25])))
    assert not jac.requires_grad


def test_jacobian_shape_is_output_shape_then_input_shape():
    jac = jacobian(lambda x: x.exp().sum(1), t(A))
    assert tuple(jac.shape) == (3, 3, 2)
    expected = np.zeros((3, 3, 2))
    for i in range(3):
        expected[i, i] = np.exp(A[i])
    assert_close(jac, expected)


def test_jacobian_of_matrix_product():
    x, w = t(A), t(M)
    jx, jw = jacobian(lambda x, w: x @ w, (x, w))
    assert tuple(jx.shape) == (3, 4, 3, 2) and tuple(jw.shape) == (3, 4, 2, 4)
    ex, ew = np.zeros((3, 4, 3, 2)), np.zeros((3, 4, 2, 4))
    for i in range(3):
        for j in range(4):
            ex[i, j, i, :] = M[:, j]  # d(xw)_ij / dx_ik = w_kj
            ew[i, j, :, j] = A[i, :]  # d(xw)_ij / dw_kj = x_ik
    assert_close(jx, ex)
    assert_close(jw, ew)


def test_jacobian_of_sum_of_product():
    jx, jy = jacobian(lambda x, y: (x * y).sum(), (t(B), t(B[::-1].copy())))
    assert tuple(jx.shape) == (2,)
    assert_close(jx, B[::-1])
    assert_close(jy, B)


def test_hessian_of_cube_sum():
    x = t([1.0, -2.0, 0.5])
    h = hessian(lambda x: (x**3).sum(), x)
    assert_close(h, np.diag(6 * np.array([1.0, -2.0, 0.5])))


def test_hessian_of_quadratic_form_is_symmetric_part():
    q = RNG.standard_normal((3, 3))
    h = hessian(lambda x: x @ (t(q) @ x), t(RNG.standard_normal(3)))
    assert_close(h, q + q.T)


def test_hessian_of_two_inputs_has_every_block():
    x, y = t(B), t([0.5, 2.0])
    h = hessian(lambda x, y: (x * x * y).sum(), (x, y))  # d2/dx2 = 2y, d2/dxdy = 2x
    assert len(h) == 2 and all(len(row) == 2 for row in h)
    assert_close(h[0][0], np.diag([1.0, 4.0]))
    assert_close(h[0][1], np.diag(2 * B))
    assert_close(h[1][0], np.diag(2 * B))
    assert_close(h[1][1], np.zeros((2, 2)))


def test_vjp_and_jvp_of_elementwise_function():
    x, v = t([1.0, 2.0]), t([1.0, -1.0])
    out, g = vjp(lambda x: x**3, x, v)
    assert_close(out, [1.0, 8.0])
    assert_close(g, [3.0, -12.0])
    out, g = jvp(lambda x: x**3, x, v)
    assert_close(g, [3.0, -12.0])


def test_vjp_default_v_for_scalar_output_is_the_gradient():
    out, g = vjp(lambda x: (x**2).sum(), t(A))
    assert tuple(out.shape) == ()
    assert_close(g, 2 * A)


def test_jvp_default_v_for_single_element_input():
    _, g = jvp(lambda x: x * t([1.0, 2.0, 3.0]), t(2.0))
    assert_close(g, [1.0, 2.0, 3.0])


def test_vhp_and_hvp_of_cube_sum():
    x, v = t([1.0, 2.0]), t([1.0, 3.0])
    for fn in (vhp, hvp):
        out, g = fn(lambda x: (x**3).sum(), x, v)
        assert_close(out, 9.0)
        assert_close(g, [6.0, 36.0])


# --------------------------------------------------------------------------------- consistency


def _two_in_two_out(x, y):
    return (x @ y).sin(), (x * x).sum(0) * y


def test_jvp_matches_jacobian_times_v():
    x, y = t(A), t(B)
    vx, vy = t(RNG.standard_normal((3, 2))), t(RNG.standard_normal(2))
    jac = jacobian(_two_in_two_out, (x, y))
    _, products = jvp(_two_in_two_out, (x, y), (vx, vy))
    for i, out in enumerate(products):
        expected = sum(
            np.tensordot(np_(jac[i][j]), np_(v), axes=v.dim()) for j, v in enumerate((vx, vy))
        )
        assert_close(out, expected)


def test_vjp_matches_v_times_jacobian():
    x, y = t(A), t(B)
    u = (t(RNG.standard_normal(3)), t(RNG.standard_normal(2)))
    jac = jacobian(_two_in_two_out, (x, y))
    _, products = vjp(_two_in_two_out, (x, y), u)
    for j, out in enumerate(products):
        expected = sum(np.tensordot(np_(v), np_(jac[i][j]), axes=v.dim()) for i, v in enumerate(u))
        assert_close(out, expected)


def test_hvp_equals_vhp_for_symmetric_hessian_and_matches_hessian():
    def f(x, y):
        return ((x @ y) ** 2).sum() + (y.exp() * x.sum()).sum()

    x, y = t(A), t(B)
    v = (t(RNG.standard_normal((3, 2))), t(RNG.standard_normal(2)))
    _, hv = hvp(f, (x, y), v)
    _, vh = vhp(f, (x, y), v)
    h = hessian(f, (x, y))
    for i in range(2):
        assert_close(hv[i], vh[i])
        expected = sum(np.tensordot(np_(v[j]), np_(h[j][i]), axes=v[j].dim()) for j in range(2))
        assert_close(vh[i], expected)


def test_vectorize_and_forward_mode_give_the_same_jacobian():
    x, y = t(A), t(B)
    plain = jacobian(_two_in_two_out, (x, y))
    for kwargs in (dict(vectorize=True), dict(vectorize=True, strategy="forward-mode")):
        other = jacobian(_two_in_two_out, (x, y), **kwargs)
        for i in range(2):
            for j in range(2):
                assert_close(other[i][j], plain[i][j])
    h = hessian(lambda x: (x**3).sum(), x)
    for kwargs in (dict(vectorize=True), dict(outer_jacobian_strategy="forward-mode")):
        kwargs["vectorize"] = True
        assert_close(hessian(lambda x: (x**3).sum(), x, **kwargs), h)


# ------------------------------------------------------------------------- structure of results


def test_structure_follows_tuples_of_inputs_and_outputs():
    x, y = t(A), t(B)
    single = jacobian(lambda x: x * 2, x)
    assert isinstance(single, ember.Tensor)
    per_input = jacobian(lambda x, y: x @ y, (x, y))
    assert isinstance(per_input, tuple) and len(per_input) == 2
    assert [tuple(j.shape) for j in per_input] == [(3, 3, 2), (3, 2)]
    per_output = jacobian(lambda x: (x.sum(), x * 2), x)
    assert isinstance(per_output, tuple) and len(per_output) == 2
    assert [tuple(j.shape) for j in per_output] == [(3, 2), (3, 2, 3, 2)]
    both = jacobian(lambda x, y: (x @ y, y), (x, y))
    assert [[tuple(j.shape) for j in row] for row in both] == [
        [(3, 3, 2), (3, 2)],
        [(2, 3, 2), (2, 2)],
    ]
    one_tuple = jacobian(lambda x: (x,), (x,))
    assert isinstance(one_tuple, tuple) and isinstance(one_tuple[0], tuple)
    assert isinstance(hessian(lambda x: x.sum(), (x,))[0], tuple)

    out, g = vjp(lambda x, y: (x @ y, y * 2), (x, y), (t(np.ones(3)), t(np.ones(2))))
    assert isinstance(out, tuple) and isinstance(g, tuple) and len(g) == 2
    out, g = jvp(lambda x: (x, x.sum()), x, t(A))
    assert isinstance(g, tuple) and [tuple(e.shape) for e in g] == [(3, 2), ()]


def test_independent_input_and_constant_output_give_zeros():
    x, y = t(A), t(B)
    _, jy = jacobian(lambda x, y: x * 3, (x, y))
    assert_close(jy, np.zeros((3, 2, 2)))
    assert_close(jacobian(lambda x: ember.ones(2, dtype=ember.float64), x), np.zeros((2, 3, 2)))
    _, (_, gy) = vjp(lambda x, y: x * 3, (x, y), t(A))
    assert_close(gy, np.zeros(2))
    _, g = jvp(lambda x: (x * 2, ember.ones(2, dtype=ember.float64)), x, t(A))
    assert_close(g[1], np.zeros(2))
    h = hessian(lambda x, y: (x * 2).sum() + (y**2).sum(), (x, y))
    assert_close(h[0][0], np.zeros((3, 2, 3, 2)))
    assert_close(h[1][1], 2 * np.eye(2))
    for fn in (vhp, hvp):
        _, g = fn(lambda x, y: (y**2).sum(), (x, y), (t(A), t(B)))
        assert_close(g[0], np.zeros((3, 2)))
        assert_close(g[1], 2 * B)


# ------------------------------------------------------------------ graphs, grad mode, inputs


def test_results_detached_unless_create_graph():
    x = t(A, requires_grad=True)
    out, g = vjp(lambda x: x**3, x, t(A))
    assert not out.requires_grad and not g.requires_grad
    out, g = vjp(lambda x: x**3, x, t(A), create_graph=True)
    assert out.requires_grad and g.requires_grad
    (second,) = ember.autograd.grad(g.sum(), x)  # d/dx sum(3 x^2 A) = 6 x A
    assert_close(second, 6 * A * A)
    h = hessian(lambda x: (x**3).sum(), x, create_graph=True)
    assert h.requires_grad
    (third,) = ember.autograd.grad(h.sum(), x)
    assert_close(third, 6 * np.ones_like(A))
    assert x.grad is None


def test_create_graph_without_grad_inputs_leaves_the_inputs_alone():
    x = t(A)
    out, g = jvp(lambda x: x**3, x, t(A), create_graph=True)
    assert out.requires_grad and g.requires_grad  # (on copies of x, as in torch)
    assert not x.requires_grad and x.grad_fn is None


def test_grad_mode_is_restored():
    with ember.no_grad():
        jac = jacobian(lambda x: x**3, t(A))
        assert not ember.is_grad_enabled()
        _, g = hvp(lambda x: (x**3).sum(), t(A, True), t(A), create_graph=True)
        assert g.requires_grad and not ember.is_grad_enabled()
    assert_close(jac.sum(), (3 * A * A).sum())
    assert ember.is_grad_enabled()


def test_function_sees_new_tensors_not_the_captured_ones():
    x = t(A, requires_grad=True)
    _, g = vjp(lambda y: y * x, x, t(np.ones((3, 2))), create_graph=True)
    assert_close(g, A)  # x is a constant to the function: only its argument is differentiated


def test_inputs_are_left_untouched():
    x = t(A)
    jacobian(lambda x: x**2, x, vectorize=True, strategy="forward-mode")
    hessian(lambda x: (x**3).sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode")
    assert not x.requires_grad and x.grad is None


# ----------------------------------------------------------------------------------------- errors


def _raises(kind, match, fn, *args, **kwargs):
    with pytest.raises(kind, match=match):
        fn(*args, **kwargs)


def test_strict_mode_errors():
    x, y = t(A), t(B)
    _raises(
        RuntimeError,
        "Output 0 of the user-provided function does not require",
        vjp,
        lambda x: ember.ones(3, dtype=ember.float64),
        x,
        t(np.ones(3)),
        strict=True,
    )
    _raises(
        RuntimeError,
        "independent of input 1. This is not allowed in strict mode",
        vjp,
        lambda x, y: x * 3,
        (x, y),
        t(A),
        strict=True,
    )
    _raises(
        RuntimeError,
        "Output 0 of the user-provided function is independent of input 1",
        jacobian,
        lambda x, y: x * 3,
        (x, y),
        strict=True,
    )
    _raises(
        RuntimeError,
        "when create_graph=True",
        jacobian,
        lambda x, y: x * 3 + y.sum(),
        (x, y),
        strict=True,
        create_graph=True,
    )
    _raises(
        RuntimeError,
        "jacobian of the user-provided function with respect to input 0",
        hessian,
        lambda x: x.sum() * 2,
        x,
        strict=True,
    )
    _raises(
        RuntimeError,
        "jacobian of the user-provided function with respect to input 0",
        hvp,
        lambda x: x.sum() * 2,
        x,
        t(A),
        strict=True,
    )
    _raises(
        RuntimeError,
        "The output of the user-provided function is independent of input 1",
        jvp,
        lambda x, y: x * 3,
        (x, y),
        (t(A), t(B)),
        strict=True,
    )
    _raises(
        RuntimeError,
        "`strict=True` and `vectorized=True`",
        jacobian,
        lambda x: x * 3,
        x,
        strict=True,
        vectorize=True,
    )


def test_strategy_errors():
    x = t(A)
    _raises(
        NotImplementedError,
        "only implemented for `vectorize=True`",
        jacobian,
        lambda x: x * 3,
        x,
        strategy="forward-mode",
    )
    _raises(
        NotImplementedError,
        "`create_graph=True` and",
        jacobian,
        lambda x: x * 3,
        x,
        strategy="forward-mode",
        create_graph=True,
    )
    _raises(
        RuntimeError,
        "`strict=True` and `strategy=",
        jacobian,
        lambda x: x * 3,
        x,
        strategy="forward-mode",
        strict=True,
    )
    _raises(AssertionError, "Expected strategy", jacobian, lambda x: x, x, strategy="fwd")
    _raises(
        NotImplementedError,
        "only implemented for `vectorize=True`",
        hessian,
        lambda x: x.sum(),
        x,
        outer_jacobian_strategy="forward-mode",
    )


def test_v_and_argument_errors():
    x, y = t(A), t(B)
    _raises(
        RuntimeError,
        "v can only be None if the user-provided function returns",
        vjp,
        lambda x: x * 3,
        x,
    )
    _raises(RuntimeError, "v can only be None if the input", jvp, lambda x: x * 3, x)
    _raises(
        RuntimeError,
        "v is a tuple of invalid length: should be 2 but got 1",
        vjp,
        lambda x: (x, x),
        x,
        (t(A),),
    )
    _raises(
        RuntimeError,
        "The given v should contain a single Tensor",
        jvp,
        lambda x: x,
        x,
        (t(A), t(A)),
    )
    _raises(
        RuntimeError,
        r"v has invalid size: should be ember.Size\(\[3, 2\]\) but got",
        vjp,
        lambda x: x * 3,
        x,
        t(B),
    )
    _raises(
        RuntimeError,
        r"Entry 1 in v has invalid size",
        hvp,
        lambda x, y: (x * y.sum()).sum(),
        (x, y),
        (t(A), t(A)),
    )
    _raises(TypeError, "given inputs has type <class 'list'>", vjp, lambda x: x, [x], t(A))
    _raises(
        TypeError, "the value at index 1 has type <class 'int'>", jacobian, lambda x, y: x, (x, 3)
    )
    _raises(RuntimeError, "should return a single Tensor", hessian, lambda x: (x.sum(),), x)
    _raises(RuntimeError, "should contain a single element", vhp, lambda x: x * 2, x, t(A))
    _raises(RuntimeError, "should contain a single element", hessian, lambda x: x * 2, x)
