"""Numerical gradient checks by float64 central differences."""

from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from .._tensor import Tensor
from .function import grad as _grad

__all__ = ["gradcheck", "gradgradcheck"]

_DOUBLES = ("float64", "complex128")


def _host(array):
    """A float64 (complex128 for complex) numpy copy of a numpy or cupy array."""
    host = backend.to_device(array, backend.Device("cpu"))
    return host.astype(np.complex128 if host.dtype.kind == "c" else np.float64)


def _as_real(array):
    """``array`` flattened into real numbers: a complex element as its real and imaginary
    parts, one after the other (the layout of the Jacobians' rows and columns)."""
    if array.dtype.kind == "c":
        return np.stack([array.real, array.imag], axis=-1).ravel()
    return array.ravel()


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs_of(func, inputs):
    return [
        o
        for o in _as_tuple(func(*inputs))
        if isinstance(o, Tensor) and (o.is_floating_point() or o.is_complex())
    ]


def _numerical_jacobian(func, inputs, wrt, eps):
    """d(output j)/d(input element i), by central differences, inputs and outputs counted
    as real numbers (a complex one as its real and imaginary parts)."""
    rows = []
    x = wrt._data
    flat = x.reshape(-1)  # a view: wrt must be contiguous
    steps = (eps, eps * 1j) if x.dtype.kind == "c" else (eps,)
    for i in range(flat.size):
        orig = flat[i].item()
        for step in steps:
            flat[i] = orig + step
            plus = [_as_real(_host(o._data)) for o in _outputs_of(func, inputs)]
            flat[i] = orig - step
            minus = [_as_real(_host(o._data)) for o in _outputs_of(func, inputs)]
            flat[i] = orig
            rows.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    return np.stack(rows, axis=0) if rows else np.zeros((0, 0))


def _analytical_jacobian(func, inputs, wanted, create_graph=False):
    """The same Jacobians by autograd. torch's convention makes it direct: for a real loss L,
    the gradient of a complex input is dL/dx + i dL/dy (its two rows), and seeding a complex
    output with 1 or with i gives the loss Re(o) or Im(o) (its two columns)."""
    outputs = _outputs_of(func, inputs)
    sizes = [_as_real(o._data).size for o in outputs]
    rows = {id(t): np.zeros((_as_real(t._data).size, sum(sizes))) for t in wanted}
    offset = 0
    for out, n in zip(outputs, sizes):
        if not out.requires_grad:  # independent of every input: a zero block
            offset += n
            continue
        parts = (1, 1j) if out._data.dtype.kind == "c" else (1,)
        xp = backend.array_module(out._data)
        for j in range(n):
            seed = xp.zeros(out._data.size, dtype=out._data.dtype)
            seed[j // len(parts)] = parts[j % len(parts)]
            grads = _grad(
                out,
                wanted,
                Tensor._make(seed.reshape(out._data.shape)),
                retain_graph=True,
                allow_unused=True,
                create_graph=create_graph,
            )
            for t, g in zip(wanted, grads):
                if g is not None:
                    gradient = _host(g._data)
                    if t._data.dtype.kind == "c" and gradient.dtype.kind != "c":
                        gradient = gradient.astype(np.complex128)
                    rows[id(t)][:, offset + j] = _as_real(gradient)
        offset += n
    return rows


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compare autograd's gradients of ``func`` with central finite differences.

    Args:
        func: function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of tensors; those with ``requires_grad`` are checked and
            should be float64.
        eps, atol, rtol: perturbation and tolerances (``|a - n| <= atol + rtol * |n|``).
        raise_exception: raise on mismatch (the default) instead of returning False.

    Returns:
        True when every checked gradient matches.
    """
    inputs = _as_tuple(inputs)
    wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype.name not in _DOUBLES:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex.",
                stacklevel=2,
            )
    analytical = _analytical_jacobian(func, inputs, wanted)
    for i, t in enumerate(wanted):
        numerical = _numerical_jacobian(func, inputs, t, eps)
        a = analytical[id(t)]
        if not np.allclose(a, numerical, atol=atol, rtol=rtol):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{numerical}\nanalytical:{a}\n"
                )
            return False
    return True


def gradgradcheck(
    func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True
):
    """Check second derivatives: gradcheck of the function ``inputs -> d(func)/d(inputs)``
    contracted with fixed random ``grad_outputs``, computed with ``create_graph=True``."""
    inputs = _as_tuple(inputs)
    outputs = _outputs_of(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            Tensor._make(backend.to_device(_random_like(rng, o._data), o.device)) for o in outputs
        ]

    def first_derivative(*xs):
        outs = _outputs_of(func, xs)
        targets = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = _grad(outs, targets, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivative, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )


def _random_like(rng, array):
    """Standard normal numbers of ``array``'s shape (complex for a complex array)."""
    values = rng.standard_normal(array.shape)
    if array.dtype.kind == "c":
        values = values + 1j * rng.standard_normal(array.shape)
    return values


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients disagree."""
