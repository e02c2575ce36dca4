"""Testing utilities: ``assert_close`` (as in torch.testing) and the operation harness that
checks a forward against a numpy reference and backward by float64 central differences."""

from __future__ import annotations

import numpy as np

from . import backend
from ._creation import tensor
from ._dtype import float64
from ._tensor import Tensor
from .autograd.gradcheck import gradcheck, gradgradcheck

__all__ = ["assert_close", "check_op"]

_TOLERANCES = {  # torch.testing.assert_close defaults: (rtol, atol)
    "float16": (1e-3, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


def _to_numpy(x):
    if isinstance(x, Tensor):
        return backend.to_device(x.detach()._data, backend.Device("cpu"))
    return np.asarray(x)


def assert_close(
    actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, msg=None
):
    """Raise AssertionError unless ``actual`` and ``expected`` agree within tolerances.

    Tensors, numpy arrays, numbers and (nested) sequences of them are accepted. Tolerances
    default by dtype as in torch; ``check_dtype`` compares dtypes when both are tensors.
    """
    if isinstance(actual, (list, tuple)) and not isinstance(expected, np.ndarray):
        assert len(actual) == len(expected), f"length {len(actual)} != {len(expected)}"
        for a, e in zip(actual, expected):
            assert_close(
                a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg
            )
        return
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor):
        assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    a, e = _to_numpy(actual), _to_numpy(expected)
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}" + (f": {msg}" if msg else "")
    default = _TOLERANCES.get(a.dtype.name, (0.0, 0.0))
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol
    # complex values are compared as such (|a - e| against the tolerance on |e|)
    wide = np.complex128 if "c" in (a.dtype.kind, e.dtype.kind) else np.float64
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        ok = np.array_equal(a, e)
    else:
        ok = np.allclose(a.astype(wide), e.astype(wide), rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not ok:
        diff = np.abs(a.astype(wide) - e.astype(wide))
        raise AssertionError(
            f"Tensor-likes are not close! max abs diff {np.nanmax(diff) if diff.size else 0} "
            f"(rtol={rtol}, atol={atol})"
            + (f": {msg}" if msg else "")
            + f"\nactual:\n{a}\nexpected:\n{e}"
        )


def check_op(
    op,
    reference,
    *inputs,
    grad=True,
    gradgrad=False,
    device="cpu",
    atol=1e-6,
    rtol=1e-5,
    grad_inputs=None,
):
    """Check an operation against a numpy reference, then its gradients numerically.

    Args:
        op: function of ember tensors (the operation under test).
        reference: the same function written on numpy arrays, independently of Ember.
        inputs: numpy arrays (floating inputs are used in float64 and float32).
        grad: gradcheck ``op`` in float64 w.r.t. the floating inputs.
        gradgrad: also check second derivatives.
        device: where the tensors live (``"cuda"`` for GPU cases).
        grad_inputs: indices of the inputs to differentiate (default: every floating one).
    """
    arrays = [np.asarray(a) for a in inputs]
    expected = reference(*arrays)
    for dt in (np.float64, np.float32):
        cast = [a.astype(dt) if a.dtype.kind == "f" else a for a in arrays]
        actual = op(*[tensor(a, device=device) for a in cast])
        tol = (atol, rtol) if dt == np.float64 else (max(atol, 1e-4), max(rtol, 1e-4))
        _compare(actual, expected, tol, dt)
    if not (grad or gradgrad):
        return
    if grad_inputs is None:
        grad_inputs = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    ts = [
        tensor(
            a,
            dtype=float64 if a.dtype.kind == "f" else None,
            device=device,
            requires_grad=i in grad_inputs,
        )
        for i, a in enumerate(arrays)
    ]
    if grad:
        gradcheck(op, ts)
    if gradgrad:
        gradgradcheck(op, ts)


def _compare(actual, expected, tol, dt):
    atol, rtol = tol
    if isinstance(expected, tuple):
        for a, e in zip(actual, expected):
            _compare(a, e, tol, dt)
        return
    expected = np.asarray(expected)
    if expected.dtype.kind == "f" and actual.is_floating_point():
        assert actual.dtype.np == dt or expected.dtype != np.float64, (
            f"dtype {actual.dtype} for {dt.__name__} inputs"
        )
    assert_close(
        actual,
        expected.astype(actual.dtype.np) if expected.dtype.kind == "f" else expected,
        atol=atol,
        rtol=rtol,
        equal_nan=True,
        check_dtype=False,
    )
