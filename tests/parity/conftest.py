"""Side-by-side checks against PyTorch: the same function of the same arrays, run in ember and
in torch, must give the same outputs (shape, dtype, values) and the same input gradients.

These tests need torch (CPU build), which the default test environment does not install; the
suite's root conftest leaves this folder out where torch is missing. Run them with
``hatch run parity:check`` (see pyproject.toml), or ``pytest tests/parity`` in any environment
that has torch and the ember packages.

A check is written once against the API both share, as the benchmarks are:
``parity.check(lambda fw, x, w: fw.nn.functional.linear(x, w), x, w)`` with numpy arrays for
the inputs; floating-point and complex inputs require grad in both frameworks, and the backward pass is
seeded with the same random cotangent for every floating-point output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

torch.set_num_threads(1)


def _to_numpy(tensor):
    return tensor.detach().resolve_conj().numpy()


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


class Parity:
    """Runs one function in both frameworks and compares what comes out."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def randn(self, *shape, dtype=np.float32):
        return self.rng.standard_normal(shape).astype(dtype)

    def uniform(self, low, high, *shape, dtype=np.float32):
        return self.rng.uniform(low, high, shape).astype(dtype)

    def integers(self, low, high, *shape, dtype=np.int64):
        return self.rng.integers(low, high, shape).astype(dtype)

    def _tensors(self, fw, arrays, grad):
        out = []
        for i, a in enumerate(arrays):
            if not isinstance(a, np.ndarray):
                out.append(a)
                continue
            t = fw.from_numpy(a.copy())
            wanted = grad if isinstance(grad, bool) else i in grad
            if wanted and a.dtype.kind in "fc":
                t.requires_grad_(True)
            out.append(t)
        return out

    def check(self, f, *arrays, grad=True, rtol=1e-5, atol=1e-6, grad_rtol=None, grad_atol=None):
        """``f(fw, *tensors)`` in ember and torch: outputs and input gradients must agree.

        ``grad`` says which inputs require grad: True (every floating-point array), False
        (none) or a collection of argument positions. Returns ember's outputs."""
        results = {}
        for fw in (ember, torch):
            tensors = self._tensors(fw, arrays, grad)
            out = f(fw, *tensors)
            results[fw.__name__] = (tensors, out if isinstance(out, tuple) else (out,))
        (e_in, e_out), (t_in, t_out) = results["ember"], results["torch"]
        assert len(e_out) == len(t_out), "number of outputs"
        for i, (e, t) in enumerate(zip(e_out, t_out)):
            if not isinstance(t, torch.Tensor):
                assert e == t, f"output {i}: {e!r} != {t!r}"
                continue
            assert tuple(e.shape) == tuple(t.shape), f"output {i} shape"
            assert _dtype_name(e.dtype) == _dtype_name(t.dtype), f"output {i} dtype"
            np.testing.assert_allclose(
                _to_numpy(e), _to_numpy(t), rtol=rtol, atol=atol, err_msg=f"output {i}"
            )
        self._check_gradients(e_in, e_out, t_in, t_out, grad_rtol or rtol, grad_atol or atol)
        return e_out if len(e_out) > 1 else e_out[0]

    def _check_gradients(self, e_in, e_out, t_in, t_out, rtol, atol):
        pairs = [
            (e, t)
            for e, t in zip(e_out, t_out)
            if isinstance(t, torch.Tensor) and t.requires_grad and t.dtype.is_floating_point
        ]
        if not pairs:
            return
        seeds = [self.randn(*t.shape, dtype=_to_numpy(t).dtype) for _, t in pairs]
        e_loss = sum((e * ember.from_numpy(s)).sum() for (e, _), s in zip(pairs, seeds))
        t_loss = sum((t * torch.from_numpy(s)).sum() for (_, t), s in zip(pairs, seeds))
        e_loss.backward()
        t_loss.backward()
        for i, (e, t) in enumerate(zip(e_in, t_in)):
            if not isinstance(t, torch.Tensor) or not t.requires_grad:
                continue
            if t.grad is None:
                assert e.grad is None, f"input {i}: ember has a gradient where torch has none"
                continue
            assert e.grad is not None, f"input {i}: no gradient in ember"
            assert _dtype_name(e.grad.dtype) == _dtype_name(t.grad.dtype), f"input {i} grad dtype"
            np.testing.assert_allclose(
                _to_numpy(e.grad),
                _to_numpy(t.grad),
                rtol=rtol,
                atol=atol,
                err_msg=f"gradient of input {i}",
            )

    def raises(self, f, *arrays, match_type=True):
        """``f`` must fail in both frameworks, with the same exception type; returns ember's
        exception (its message is then checked by the test where torch's is worth matching)."""
        caught = {}
        for fw in (ember, torch):
            with pytest.raises(Exception) as info:
                f(fw, *self._tensors(fw, arrays, False))
            caught[fw.__name__] = info.value
        if match_type:
            assert type(caught["ember"]).__name__ == type(caught["torch"]).__name__, (
                f"ember raised {caught['ember']!r}, torch {caught['torch']!r}"
            )
        return caught["ember"]


@pytest.fixture
def parity(request):
    """A ``Parity`` seeded from the test's name, so each test draws its own fixed inputs."""
    seed = int.from_bytes(request.node.nodeid.encode()[-8:].ljust(8, b"\0"), "little")
    return Parity(seed % 2**32)
