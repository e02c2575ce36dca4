"""The autograd engine: accumulation, graph lifetime, hooks, grad modes, autograd.grad,
custom Functions, deep graphs and in-place rebasing."""

import threading

import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck, gradgradcheck
from ember.testing import assert_close


def test_leaf_gradients_accumulate_across_backward_calls():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    assert_close(x.grad, [2 + 3, 4 + 3])


def test_shared_subexpression_sums_both_paths():
    x = ember.tensor(3.0, requires_grad=True)
    y = x * x
    z = y * y + y  # x^4 + x^2
    z.backward()
    assert_close(x.grad, 4 * 27 + 2 * 3)


def test_broadcast_gradient_reduced_to_input_shape_and_dtype():
    a = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
    b = ember.ones(3, dtype=ember.float32, requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.shape == (3,) and b.grad.dtype == ember.float32
    assert_close(b.grad, [2.0, 2.0, 2.0])
    assert a.grad.dtype == ember.float64


def test_backward_twice_through_freed_graph_errors():
    x = ember.tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    z = (x.exp() * 2).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert_close(x.grad, [2 * np.e * 3])


def test_non_scalar_backward_needs_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        y.backward()
    y.backward(ember.tensor([1.0, 10.0]))
    assert_close(x.grad, [2.0, 20.0])
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ember.tensor([1.0]).sum().backward()


def test_grad_fn_names_and_leaf_flags():
    x = ember.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y.grad_fn).startswith("<MulBackward0 object at")
    assert (x + 1).grad_fn.name() == "AddBackward0"
    assert x.is_leaf and not y.is_leaf and x.grad_fn is None
    assert y.grad_fn.next_functions[0] == (None, 0)
    assert ember.tensor([1.0]).is_leaf


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y * y
    y.retain_grad()
    assert y.retains_grad
    z.sum().backward()
    assert_close(y.grad, 2 * y.detach().numpy())
    w = x * 3
    (w * w).sum().backward()
    assert w.grad is None


def test_tensor_hooks_see_and_replace_gradients():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[20.0, 20.0]]
    assert_close(x.grad, [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.tensor([1.0]).register_hook(lambda g: g)


def test_grad_modes_context_managers_and_decorators():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.inference_mode(False):
        assert (x * 2).requires_grad

    @ember.inference_mode()
    def infer(t):
        return t + 1

    assert not infer(x).requires_grad


def test_grad_mode_is_thread_local():
    results = []

    def worker():
        results.append(ember.is_grad_enabled())

    with ember.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert results == [True]


def test_autograd_grad_returns_without_touching_dot_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0], requires_grad=True)
    out = (x * x).sum() + (y * 0).sum()
    (gx, gy) = ember.autograd.grad(out, (x, y))
    assert_close(gx, [2.0, 4.0])
    assert_close(gy, [0.0])
    assert x.grad is None
    z = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad((x * 2).sum(), (x, z))
    gx, gz = ember.autograd.grad((x * 2).sum(), (x, z), allow_unused=True)
    assert gz is None
    gx, gz = ember.autograd.grad((x * 2).sum(), (x, z), materialize_grads=True)
    assert gz.tolist() == [0.0]


def test_autograd_grad_of_non_leaf_input():
    x = ember.tensor([2.0], requires_grad=True)
    h = x * x
    out = (h * 3).sum()
    (gh,) = ember.autograd.grad(out, h)
    assert_close(gh, [3.0])


def test_higher_order_gradients():
    x = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    y = x**3
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    assert_close(g, 12.0)
    (g2,) = ember.autograd.grad(g, x, create_graph=True)
    assert_close(g2, 12.0)
    (g3,) = ember.autograd.grad(g2, x)
    assert_close(g3, 6.0)


def test_backward_with_create_graph_builds_differentiable_grad():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    (x.sin() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gp = x.grad.sum()
    x.grad = None
    gp.backward()
    xs = np.array([1.0, 2.0])
    assert_close(x.grad, 2 * np.cos(xs) - xs * np.sin(xs))


def test_backward_inputs_restricts_accumulation():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert_close(a.grad, [2.0])
    assert b.grad is None


class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x**2


class _ExpSavedOutput(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        return gy * y


class _SplitScale(Function):
    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor, x + 1

    @staticmethod
    def backward(ctx, ga, gb):
        return ga * ctx.factor + gb, None


def test_custom_function_first_and_second_order():
    x = ember.tensor([0.5, -1.5], dtype=ember.float64, requires_grad=True)
    y = _Cube.apply(x)
    assert y.grad_fn.name() == "_CubeBackward0"
    assert gradcheck(_Cube.apply, (x,))
    assert gradgradcheck(_Cube.apply, (x,))
    assert gradgradcheck(_ExpSavedOutput.apply, (x,))


def test_gradcheck_warns_about_single_precision_inputs():
    x = ember.tensor([0.5, -1.5], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([1.0, 2.0], requires_grad=True)  # float32: torch's warning names it
    with pytest.warns(UserWarning, match=r"Input #2 requires gradient and is not a double"):
        assert gradcheck(lambda a, s, b: a * s + b, (x, 2.0, y), eps=0.5, atol=1e-3)


def test_custom_function_multiple_outputs_and_needs_input_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    a, b = _SplitScale.apply(x, 3.0)
    assert a.tolist() == [3.0, 6.0] and b.tolist() == [2.0, 3.0]
    (a.sum() + 2 * b.sum()).backward()
    assert_close(x.grad, [5.0, 5.0])
    x.grad = None
    a, b = _SplitScale.apply(x, 3.0)
    a.sum().backward()  # b gets no gradient: filled with zeros
    assert_close(x.grad, [3.0, 3.0])
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, p, q):
            seen["needs"] = ctx.needs_input_grad
            return p + q

        @staticmethod
        def backward(ctx, g):
            return g, g

    Probe.apply(x, ember.tensor([1.0, 1.0]))
    assert seen["needs"] == (True, False)


def test_wrong_number_of_gradients_errors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, p, q):
            return p * q

        @staticmethod
        def backward(ctx, g):
            return (g,)

    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_deep_chain_backpropagates_iteratively():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_leaf_grads_never_alias_each_other():
    # add's backward hands the same gradient to both inputs; reshape's hands a view
    a = ember.ones(4, requires_grad=True)
    b = ember.ones(4, requires_grad=True)
    c = ember.ones(2, 2, requires_grad=True)
    (a + b + c.reshape(4)).sum().backward()
    a.grad.mul_(5)
    assert b.grad.tolist() == [1.0] * 4
    assert c.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    g = ember.ones(4)
    a.grad = None
    (a * 1).backward(g)
    a.grad.add_(1)
    assert g.tolist() == [1.0] * 4


def test_leaf_grad_never_aliases_a_pending_gradient():
    # add's backward hands one gradient to a leaf (x) and to a node (a's) that still waits
    # for its other consumer; later gradients added into x.grad in place must not reach a's
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    x = ember.tensor([3.0, 4.0], requires_grad=True)
    a = p * 1.0
    z = a + x
    loss = (a.exp() * 1.0).sum() + (x * 7.0).sum() + (z * 1.0).sum()
    loss.backward()
    assert_close(p.grad, 1 + np.exp([1.0, 2.0]))
    assert_close(x.grad, [8.0, 8.0])


def test_leaf_grad_never_aliases_a_gradient_a_hook_kept():
    kept = []
    x = ember.ones(3, requires_grad=True)
    x.register_hook(kept.append)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert kept[0].tolist() == [2.0] * 3 and kept[1].tolist() == [3.0] * 3
    assert x.grad.tolist() == [5.0] * 3


def test_in_place_on_leaf_requiring_grad_errors_but_no_grad_allows():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="a leaf Variable that requires grad is being used in an in-place operation",
    ):
        w.add_(1)
    with ember.no_grad():
        w.add_(1)
        w.mul_(2)
    assert w.tolist() == [4.0, 4.0, 4.0]
    assert w.requires_grad and w.is_leaf


def test_in_place_rebases_history_and_keeps_old_values_for_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.mul_(y)  # y = x^2, the old y is needed by the product's backward
    y.add_(x)
    assert y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    assert_close(x.grad, [2 * 1 + 1, 2 * 2 + 1])


def test_in_place_writes_through_views_and_checks_shape_and_dtype():
    base = ember.zeros(2, 3)
    view = base.T
    view.add_(1)
    assert base.tolist() == [[1.0] * 3] * 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.zeros(3).add_(ember.ones(2, 3))
    with pytest.raises(
        RuntimeError, match="result type Float can't be cast to the desired output type Long"
    ):
        ember.zeros(3, dtype=ember.int64).add_(1.5)
    t = ember.ones(3)
    t += 2
    t *= ember.tensor([1.0, 2.0, 3.0])
    t -= 1
    t /= 2
    assert t.tolist() == [1.0, 2.5, 4.0]


def test_detach_data_and_requires_grad_rules():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.data.numpy())
    x.data = ember.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad
    y = x * 2
    with pytest.raises(
        RuntimeError, match="you can only change requires_grad flags of leaf variables"
    ):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    assert ember.tensor([1, 2]).requires_grad is False
    assert not (ember.tensor([1.0], requires_grad=True) > 0).requires_grad


def test_integer_outputs_never_require_grad():
    x = ember.tensor([1.5, 2.5], requires_grad=True)
    assert not ember.floor_divide(x, 1).to(ember.int64).requires_grad


def test_backward_refuses_values_written_in_place_after_they_were_saved():
    x = ember.tensor([0.5, -1.5, 2.0], requires_grad=True)
    a = x * 1
    b = a * a  # saves a
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward0"):
        b.sum().backward()
    e = (x * 1).exp()  # saves its output
    e.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward0"):
        e.sum().backward()
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with ember.no_grad():  # an optimiser's update between forward and backward
        w.sub_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_writes_that_backward_does_not_need_or_cannot_see_pass():
    x = ember.tensor([0.5, -1.5, 2.0], requires_grad=True)
    a = x * 1
    a.mul_(2)  # written before anything saved it: d(a*a)/dx = 8x
    (a * a).sum().backward()
    assert x.grad.tolist() == [4.0, -12.0, 16.0]
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data.mul_(2)  # .data writes are hidden from the check, as in torch: backward reads 2w
    loss.backward()
    assert w.grad.tolist() == [4.0, 8.0]
    c = ember.tensor([3.0], requires_grad=True)
    y = c * c
    y.backward(retain_graph=True)
    y.backward()  # no write in between: a second backward is fine
    assert c.grad.tolist() == [12.0]


@pytest.mark.parametrize(
    "write, expected",
    [
        # y = x * 1 (3x3), then a write through a view; loss = sum(y * arange(9))
        ("y[:, 0].mul_(2)", [[0, 1, 2], [6, 4, 5], [12, 7, 8]]),
        ("y.t()[0].zero_()", [[0, 1, 2], [0, 4, 5], [0, 7, 8]]),
        ("y.transpose(0, 1)[1, 0] = -5.0", [[0, 0, 2], [3, 4, 5], [6, 7, 8]]),
        ("y[1].add_(x[0])", [[3, 5, 7], [3, 4, 5], [6, 7, 8]]),
        ("y[0][1:] = x[2, 1:]", [[0, 0, 0], [3, 4, 5], [6, 8, 10]]),
        ("y.view(-1)[4:7].mul_(3)", [[0, 1, 2], [3, 12, 15], [18, 7, 8]]),
        ("y[::2, 1:].mul_(x[::2, :2])", [[1, 4, 2], [3, 4, 5], [55, 106, 56]]),
    ],
)
def test_in_place_writes_through_views_rebase_the_base(write, expected):
    x = ember.arange(9.0).reshape(3, 3).requires_grad_()
    y = x * 1
    exec(write, {"x": x, "y": y})
    (y * ember.arange(9.0).reshape(3, 3)).sum().backward()
    assert x.grad.tolist() == expected


def test_views_follow_their_base_after_in_place_writes():
    x = ember.arange(6.0).reshape(2, 3).requires_grad_()
    y = x * 1
    v, w = y[0], y[:, 1]
    y.mul_(2)  # v and w are now views of 2x
    (v * ember.tensor([1.0, 10.0, 100.0])).sum().backward(retain_graph=True)
    assert x.grad.tolist() == [[2, 20, 200], [0, 0, 0]]
    x.grad = None
    (w * ember.tensor([3.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [[0, 6, 0], [0, 10, 0]]
    z = ember.zeros(2, 2)  # a constant that gets a history through a view
    z[0].copy_(x[0, :2])
    assert z.requires_grad
    z.sum().backward()
    assert x.grad.tolist() == [[1, 7, 0], [0, 10, 0]]


def test_in_place_on_a_view_of_a_leaf_requiring_grad_errors():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1:].zero_()


def test_grad_assignment_checks_type_shape_and_dtype():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = 1
    with pytest.raises(RuntimeError, match=r"gradient of size '\[2\]' to a tensor of size '\[3\]'"):
        x.grad = ember.ones(2)
    with pytest.raises(RuntimeError, match="gradient with dtype 'Double'"):
        x.grad = ember.ones(3, dtype=ember.float64)
    x.grad = ember.full((3,), 2.0)
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    x.grad = None
    assert x.grad is None


def test_data_assigned_from_another_tensors_data_is_still_version_counted():
    w = ember.ones(3, requires_grad=True)
    w.data = ember.full((3,), 2.0).data  # e.g. nn.utils.vector_to_parameters
    loss = (w * w).sum()
    with ember.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_post_accumulate_grad_hook_runs_once_with_the_full_gradient():
    w = ember.ones(3, requires_grad=True)
    w.grad = ember.full((3,), 10.0)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    ((w * 2).sum() + (w * 3).sum()).backward()  # two edges into w: one call, after both
    assert seen == [[15.0, 15.0, 15.0]]
    ember.autograd.grad((w * 2).sum(), w)  # accumulates nothing: no call
    (w * 1).sum().backward(inputs=[w])
    assert len(seen) == 2
    handle.remove()
    (w * 1).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(1).register_post_accumulate_grad_hook(print)


def test_queue_callback_runs_at_the_end_of_backward():
    from ember.autograd.function import queue_callback

    w = ember.ones(2, requires_grad=True)
    order = []

    def hook(grad):
        order.append("hook")
        queue_callback(lambda: order.append(("callback", w.grad.tolist())))

    w.register_hook(hook)
    (w * 4).sum().backward()
    assert order == ["hook", ("callback", [4.0, 4.0])]
    with pytest.raises(RuntimeError, match="only be installed during backward pass"):
        queue_callback(print)


def test_inference_mode_is_visible_while_it_is_on():
    assert not ember.is_inference_mode_enabled()
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled() and not ember.is_grad_enabled()
        with ember.inference_mode(False):  # torch's: inference off and recording on
            assert not ember.is_inference_mode_enabled() and ember.is_grad_enabled()
        assert ember.is_inference_mode_enabled() and not ember.is_grad_enabled()
    with ember.no_grad(), ember.inference_mode(False):
        assert ember.is_grad_enabled()
    assert not ember.is_inference_mode_enabled() and ember.is_grad_enabled()
    assert not ember.ones(2).is_neg()


def test_gradcheck_of_complex_inputs_and_outputs():
    # complex numbers are checked as their real and imaginary parts (torch's convention: the
    # gradient of a complex input is dL/dx + i dL/dy)
    from ember.autograd import gradcheck, gradgradcheck

    a = ember.randn(3, 4, dtype=ember.complex128, requires_grad=True)
    b = ember.randn(4, 2, dtype=ember.complex128, requires_grad=True)
    r = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: ember.einsum("ij,jk->ik", a, b), (a, b))
    assert gradgradcheck(lambda a, b: ember.einsum("ij,jk->ik", a, b), (a, b))
    assert gradcheck(lambda a: a.abs() * a.angle(), (a,))  # complex in, real out
    assert gradcheck(lambda r: ember.complex(r, 2 * r).exp(), (r,))  # real in, complex out

    class Product(ember.autograd.Function):  # a backward that forgets to conjugate
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    c = ember.randn(3, dtype=ember.complex128, requires_grad=True)
    assert gradcheck(Product.apply, (r, r.detach().clone().requires_grad_()))  # right if real
    assert not gradcheck(Product.apply, (c, a[0, :3].detach()), raise_exception=False)
