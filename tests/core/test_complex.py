"""Complex dtypes, promotion, printing and the complex rules of autograd (no torch needed:
references are numpy and central differences over real and imaginary parts)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def numerical_grad(f, z, eps=1e-6):
    """dL/dx + i dL/dy of the real scalar ``f(z)`` at complex128 ``z``: torch's convention."""
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        for step in (1, 1j):
            plus, minus = z.copy(), z.copy()
            plus[i] += eps * step
            minus[i] -= eps * step
            slope = (f(plus) - f(minus)) / (2 * eps)
            g[i] += slope * step
    return g


def check_grad(op, z, device="cpu"):
    """The gradient of ``|op(z)|^2`` on ``device`` against central differences on the CPU."""

    def loss(a):
        return op(ember.tensor(a)).abs().pow(2).sum().item()

    t = ember.tensor(z, requires_grad=True, device=device)
    op(t).abs().pow(2).sum().backward()
    assert t.grad.device.type == device
    np.testing.assert_allclose(t.grad.cpu().numpy(), numerical_grad(loss, z), rtol=1e-5, atol=1e-6)


def test_dtypes_and_promotion():
    assert ember.cfloat is ember.complex64 and ember.cdouble is ember.complex128
    assert ember.complex64.is_complex and not ember.complex64.is_floating_point
    assert ember.complex64.to_real() is ember.float32
    assert ember.float64.to_complex() is ember.complex128
    assert ember.promote_types(ember.complex64, ember.float64) is ember.complex128
    assert ember.promote_types(ember.int64, ember.complex64) is ember.complex64
    x = ember.ones(3)
    assert (x * 1j).dtype is ember.complex64
    assert (x.double() * 1j).dtype is ember.complex128
    assert (x.double() * ember.tensor(1j)).dtype is ember.complex128
    assert (x * ember.tensor(1j, dtype=ember.complex128)).dtype is ember.complex64
    assert (ember.arange(3) * 1j).dtype is ember.complex64


def test_creation_and_promotion_on_device(device):
    z = ember.tensor([1 + 2j, 3 - 1j], device=device)
    assert z.device.type == device and z.dtype is ember.complex64 and z.is_complex()
    assert z[0].item() == 1 + 2j and z.tolist() == [1 + 2j, 3 - 1j]
    assert ember.zeros(2, dtype=ember.cdouble, device=device).dtype is ember.complex128
    x = ember.ones(3, device=device)
    assert (x * 1j).dtype is ember.complex64 and (x * 1j).device.type == device
    assert (x.double() * ember.tensor(1j, device=device)).dtype is ember.complex128
    assert (x * ember.tensor(1j, dtype=ember.complex128, device=device)).dtype is ember.complex64
    assert (ember.arange(3, device=device) * 1j).tolist() == [0, 1j, 2j]
    assert (z + x[:2].double()).dtype is ember.complex128
    r = ember.randn(4000, dtype=ember.cfloat, device=device)
    assert r.dtype is ember.complex64 and r.device.type == device
    assert abs(r.real.var().item() - 0.5) < 0.1 and abs(r.imag.var().item() - 0.5) < 0.1
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        assert z.to(ember.float32).tolist() == [1.0, 3.0]
    assert z.cpu().to(device).tolist() == z.tolist()


def test_creation_and_conversion():
    z = ember.tensor([1 + 2j, 3 - 1j])
    assert z.dtype is ember.complex64 and z.is_complex() and ember.is_complex(z)
    assert z[0].item() == 1 + 2j and z.tolist() == [1 + 2j, 3 - 1j]
    assert ember.zeros(2, dtype=ember.cfloat).dtype is ember.complex64
    a = np.array([1j, 2], np.complex128)
    assert ember.from_numpy(a).numpy() is a
    r = ember.randn(20000, dtype=ember.cfloat, generator=ember.Generator().manual_seed(0))
    assert r.dtype is ember.complex64
    assert abs(r.real.var().item() - 0.5) < 0.03 and abs(r.imag.var().item() - 0.5) < 0.03
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        assert z.to(ember.float32).tolist() == [1.0, 3.0]


def test_printing():
    assert repr(ember.tensor([1 + 2j, 3 - 1j])) == "tensor([1.+2.j, 3.-1.j])"
    assert repr(ember.tensor(1j)) == "tensor(0.+1.j)"
    assert repr(ember.tensor([[1 + 2j, 3 - 1j], [0.1j, 100]])) == (
        "tensor([[  1.+2.0000j,   3.-1.0000j],\n        [  0.+0.1000j, 100.+0.0000j]])"
    )
    assert repr(ember.tensor([1j], dtype=ember.complex128)) == (
        "tensor([0.+1.j], dtype=ember.complex128)"
    )


def test_parts_and_views():
    z = ember.tensor([1 + 2j, -3 - 4j])
    assert z.real.tolist() == [1, -3] and z.imag.tolist() == [2, -4]
    assert z.conj().tolist() == [1 - 2j, -3 + 4j]
    assert z.abs().tolist() == [pytest.approx(5**0.5), 5.0]
    np.testing.assert_allclose(z.angle().numpy(), np.angle(z.numpy()), rtol=1e-6)
    assert ember.view_as_real(z).tolist() == [[1, 2], [-3, -4]]
    assert ember.view_as_complex(ember.view_as_real(z)).tolist() == z.tolist()
    assert ember.complex(ember.ones(2), ember.zeros(2)).tolist() == [1, 1]
    np.testing.assert_allclose(
        ember.polar(ember.tensor([2.0]), ember.tensor([np.pi / 2])).numpy(), [2j], atol=1e-6
    )


def test_parts_and_views_on_device(device):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    a[0, 0] = 0
    z = ember.tensor(a, device=device)
    for got, expected in [
        (z.real, a.real),
        (z.imag, a.imag),
        (z.conj(), a.conj()),
        (z.abs(), np.abs(a)),
        (z.angle(), np.angle(a)),
        (ember.view_as_real(z), np.stack([a.real, a.imag], -1)),
        (ember.view_as_real(z.T[:, ::2]), np.stack([a.T[:, ::2].real, a.T[:, ::2].imag], -1)),
        (ember.complex(z.real, z.imag[:1]), a.real + 1j * a.imag[:1]),
        (ember.polar(z.abs(), z.angle()), a),
    ]:
        assert got.device.type == device
        assert_close(got, expected)
    # real input: pi below zero, 0 elsewhere (also at -0.0), NaN kept, as torch
    real = ember.tensor([-2.0, -0.0, 0.0, 3.0, float("nan")], device=device)
    assert_close(real.angle(), [np.pi, 0, 0, 0, np.nan], equal_nan=True)
    assert ember.tensor([-1, 2], device=device).angle().dtype is ember.float32
    # view_as_complex of strided memory (the last dim contiguous), and back
    parts = ember.tensor(rng.standard_normal((4, 6, 2)), device=device)
    for view in (parts, parts[::2, 1:5], parts.transpose(0, 1)):
        expected = view.cpu().numpy()
        assert_close(ember.view_as_complex(view), expected[..., 0] + 1j * expected[..., 1])
    assert_close(ember.view_as_real(ember.view_as_complex(parts)), parts)
    with pytest.raises(RuntimeError, match="stride divisible by 2"):
        ember.view_as_complex(ember.zeros(3, 3, device=device)[:, :2])


def test_views_share_memory_on_device(device):
    z = ember.tensor([1 + 2j, 3 - 4j], dtype=ember.complex128, device=device)
    ember.view_as_real(z)[1, 1] = 7.0
    assert z.tolist() == [1 + 2j, 3 + 7j]
    parts = ember.zeros(3, 4, 2, device=device)
    ember.view_as_complex(parts[:, 1:3])[2, 0] = 5 - 1j
    assert parts[2, 1].tolist() == [5, -1] and parts.abs().sum().item() == 6


HOLOMORPHIC = {
    "mul": lambda z: z * (2 - 1j) * z,
    "div": lambda z: 1 / z + z / (z + 3),
    "pow": lambda z: z**3,
    "exp_log": lambda z: z.exp() + (z * z).log(),
    "sqrt": lambda z: z.sqrt(),
    "tanh": lambda z: z.tanh(),
    "matmul": lambda z: z @ z.T,
    "sum_mean": lambda z: z.sum(0) + z.mean(),
}


@pytest.mark.parametrize("name", sorted(HOLOMORPHIC))
def test_holomorphic_gradients(name, device):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    check_grad(HOLOMORPHIC[name], z, device)


@pytest.mark.parametrize(
    "op",
    [
        lambda z: z.conj() * z.real,
        lambda z: z.angle() * z.abs(),
        lambda z: z.sgn() + z.imag,
        lambda z: ember.view_as_real(z) ** 2,
        lambda z: ember.view_as_complex(ember.view_as_real(z).flip(-1)) * z.imag,
        lambda z: ember.polar(z.abs(), z.real) + ember.complex(z.imag, z.real * 2),
        lambda z: z.reshape(2, 2).mT @ z.reshape(2, 2).conj(),
    ],
)
def test_non_holomorphic_gradients(op, device):
    rng = np.random.default_rng(1)
    check_grad(op, rng.standard_normal(4) + 1j * rng.standard_normal(4), device)


def test_real_input_gets_real_part_of_gradient(device):
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True, device=device)
    z = ember.tensor([1 + 1j, 2 - 1j], requires_grad=True, dtype=ember.complex128, device=device)
    (x * z).abs().sum().backward()
    assert x.grad.dtype is ember.float64 and x.grad.device.type == device
    xs, zs = np.array([1.0, 2.0]), np.array([1 + 1j, 2 - 1j])
    np.testing.assert_allclose(
        x.grad.cpu().numpy(), (np.conj(zs) * (xs * zs)).real / np.abs(xs * zs)
    )


def test_abs_gradient_at_zero_is_zero(device):
    z = ember.zeros(2, dtype=ember.complex128, requires_grad=True, device=device)
    (z.abs().sum() + z.angle().sum()).backward()
    assert z.grad.tolist() == [0, 0]


def test_complex_matmul_on_device(device):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))
    b = rng.standard_normal((4, 5)) + 1j * rng.standard_normal((4, 5))
    g = rng.standard_normal((2, 3, 5)) + 1j * rng.standard_normal((2, 3, 5))
    ta = ember.tensor(a, requires_grad=True, device=device)
    tb = ember.tensor(b, requires_grad=True, device=device)
    out = ta @ tb
    assert_close(out, a @ b)
    out.backward(ember.tensor(g, device=device))
    # torch's convention: grad_a = g @ b^H, grad_b = a^H @ g (summed over the batch)
    assert_close(ta.grad, g @ b.conj().T)
    assert_close(tb.grad, np.einsum("bij,bik->jk", a.conj(), g))
    single = ember.tensor(a.astype(np.complex64), device=device) @ ember.tensor(
        b.astype(np.complex64), device=device
    )
    assert single.dtype is ember.complex64
    assert_close(single, (a @ b).astype(np.complex64), rtol=1e-5, atol=1e-5)


def test_implicit_grad_of_complex_output_is_refused():
    z = ember.ones(1, dtype=ember.cfloat, requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (z * 2).sum().backward()


@pytest.mark.parametrize(
    "op, error",
    [
        (lambda z: z < z, NotImplementedError),
        (lambda z: z.max(), NotImplementedError),
        (lambda z: z.max(0), RuntimeError),
        (lambda z: z.argmax(), RuntimeError),
        (lambda z: ember.maximum(z, z), RuntimeError),
        (lambda z: z.relu(), NotImplementedError),
        (lambda z: z.clamp(0, 1), NotImplementedError),
        (lambda z: z.floor(), NotImplementedError),
        (lambda z: z.sign(), NotImplementedError),
        (lambda z: z.erf(), NotImplementedError),
        (lambda z: z % 2, NotImplementedError),
        (lambda z: z.sort(), RuntimeError),
        (lambda z: z.topk(1), RuntimeError),
        (lambda z: z.kthvalue(1), NotImplementedError),
        (lambda z: z.median(), NotImplementedError),
        (lambda z: z.cummax(0), NotImplementedError),
        (lambda z: z.unique(), NotImplementedError),
        (lambda z: z.nansum(), RuntimeError),
    ],
)
def test_refused_like_torch(op, error):
    with pytest.raises(error):
        op(ember.tensor([1 + 1j, 2]))


def test_rand_draws_both_parts():
    z = ember.rand(20000, dtype=ember.cfloat, generator=ember.Generator().manual_seed(0))
    assert z.dtype == ember.complex64
    for part in (z.real, z.imag):
        values = part.numpy()
        assert values.min() >= 0 and values.max() < 1
        assert abs(values.mean() - 0.5) < 0.01 and abs(values.var() - 1 / 12) < 0.005
    assert abs(np.corrcoef(z.real.numpy(), z.imag.numpy())[0, 1]) < 0.03


def test_var_and_std_are_real():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))
    var = ember.var(ember.tensor(z), 1)
    assert var.dtype == ember.float64
    np.testing.assert_allclose(var.numpy(), np.var(z, axis=1, ddof=1))
    np.testing.assert_allclose(ember.tensor(z).std().item(), np.std(z, ddof=1))
    check_grad(lambda t: ember.var(t, 1), z)


def test_allclose(device):
    z = ember.tensor([1 + 1j, 2], device=device)
    assert ember.allclose(z, z + 1e-9j) and not ember.allclose(z, z + 1e-3j)
    assert_close(z, z + 1e-7j)
    with pytest.raises(AssertionError):
        assert_close(z, z + 1e-3j)
