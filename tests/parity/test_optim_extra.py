"""Parity with torch 2.13: Adafactor, SparseAdam and Muon trajectories over several steps from
the same parameters and gradients, their state dicts (keys, shapes, values), state dicts moved
from torch into ember, and SparseAdam on an embedding (torch's sparse gradient, ember's
dense one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

FWS = (ember, torch)
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
# Muon orthogonalises in bfloat16 (emulated in ember): a float32 accumulation that rounds
# the other way flips a bfloat16 last place, lr * 2**-8 relative in the step. Its input is
# rounded to bfloat16 too, and the iteration amplifies a flip there along small singular
# directions: the momenta below (0.95 aside) make torch's fused lerp and ember's two
# roundings agree exactly (weights whose products are exact), so the inputs are the same.
MUON_TOL = dict(rtol=1e-4, atol=1e-4)

OPTIMS = [
    ("Adafactor", dict(), [(3, 4), (2, 3, 4), (5,), ()]),
    ("Adafactor", dict(lr=0.1, weight_decay=0.1, maximize=True), [(3, 4), (5,)]),
    ("Adafactor", dict(beta2_decay=-0.5, eps=(1e-4, 1e-2), d=1.5), [(4, 3), (6,)]),
    ("SparseAdam", dict(), [(6, 3), (5,), ()]),
    ("SparseAdam", dict(lr=0.01, betas=(0.5, 0.9), maximize=True), [(6, 3), (2, 4, 2)]),
    ("Muon", dict(lr=0.02), [(3, 4), (6, 2), (8, 8)]),
    ("Muon", dict(lr=0.02, momentum=0.75, nesterov=False, weight_decay=0.01), [(5, 3), (16, 32)]),
    ("Muon", dict(lr=0.05, momentum=0.5, adjust_lr_fn="match_rms_adamw"), [(3, 7), (24, 12)]),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw, _ in OPTIMS]


def _np(t):
    return t.detach().numpy().copy()


def _grad(fw, name, g):
    """The gradient as each framework's SparseAdam takes it: torch's sparse (every row with a
    nonzero stored), ember's dense."""
    t = fw.from_numpy(g.copy())
    if fw is torch and name == "SparseAdam":
        return t.to_sparse(min(t.ndim, 1))
    return t


def _inputs(parity, name, shapes, dtype, n):
    init = [parity.randn(*s, dtype=dtype) for s in shapes]
    grads = [[parity.randn(*s, dtype=dtype) for s in shapes] for _ in range(n)]
    if name == "SparseAdam":  # leave rows out: every other row, and row 0 at odd steps
        for step, step_grads in enumerate(grads):
            for g in step_grads:
                if g.ndim:
                    g[1::2] = 0
                    if step % 2:
                        g[0] = 0
    return init, grads


def _run(fw, name, kwargs, init, grads, state_dict=None):
    params = [fw.nn.Parameter(fw.from_numpy(a.copy())) for a in init]
    opt = getattr(fw.optim, name)(params, **kwargs)
    if state_dict is not None:
        opt.load_state_dict(state_dict)
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = _grad(fw, name, g)
        opt.step()
        trajectory.append([_np(p) for p in params])
    return opt, trajectory


def _compare(e_traj, t_traj, tol):
    for step, (e, t) in enumerate(zip(e_traj, t_traj)):
        for i, (a, b) in enumerate(zip(e, t)):
            np.testing.assert_allclose(a, b, err_msg=f"param {i}, step {step + 1}", **tol)


def _tol(name, dtype):
    return MUON_TOL if name == "Muon" else TOL[dtype]  # bfloat16 whatever the dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs,shapes", OPTIMS, ids=IDS)
def test_trajectory_and_state(parity, name, kwargs, shapes, dtype):
    init, grads = _inputs(parity, name, shapes, dtype, 6)
    (e_opt, e_traj), (t_opt, t_traj) = (_run(fw, name, kwargs, init, grads) for fw in FWS)
    _compare(e_traj, t_traj, _tol(name, dtype))
    e_state, t_state = e_opt.state_dict(), t_opt.state_dict()
    assert e_state["param_groups"] == t_state["param_groups"]
    assert list(e_state["state"]) == list(t_state["state"])
    for index, t_entry in t_state["state"].items():
        e_entry = e_state["state"][index]
        assert list(e_entry) == list(t_entry), f"state keys of param {index}"
        for key, t_value in t_entry.items():
            if not isinstance(t_value, torch.Tensor):  # SparseAdam's step is an int
                assert e_entry[key] == t_value and type(e_entry[key]) is type(t_value)
                continue
            e_value = e_entry[key]
            assert tuple(e_value.shape) == tuple(t_value.shape), f"{key} of param {index}"
            assert str(e_value.dtype)[6:] == str(t_value.dtype)[6:], f"{key} of param {index}"
            np.testing.assert_allclose(_np(e_value), _np(t_value), **_tol(name, dtype))


@pytest.mark.parametrize("name,kwargs,shapes", OPTIMS[::2], ids=IDS[::2])
def test_state_dict_from_torch(parity, name, kwargs, shapes):
    # torch trains three steps; ember loads its state dict and goes on as torch does
    init, grads = _inputs(parity, name, shapes, np.float64, 6)
    t_opt, t_traj = _run(torch, name, kwargs, init, grads[:3])
    state_dict = t_opt.state_dict()
    state = {
        i: {k: ember.from_numpy(_np(v)) if isinstance(v, torch.Tensor) else v for k, v in s.items()}
        for i, s in state_dict["state"].items()
    }
    resumed = dict(state_dict, state=state)
    _, e_traj = _run(ember, name, kwargs, t_traj[-1], grads[3:], resumed)
    _, t_rest = _run(torch, name, kwargs, t_traj[-1], grads[3:], state_dict)
    _compare(e_traj, t_rest, _tol(name, np.float64))


def test_sparse_adam_on_embeddings(parity):
    weight = parity.randn(10, 4)
    batches = [parity.integers(0, 10, 3, 2) for _ in range(4)]
    result = {}
    for fw in FWS:
        emb = fw.nn.Embedding(10, 4, sparse=True)
        with fw.no_grad():
            emb.weight.copy_(fw.from_numpy(weight.copy()))
        opt = fw.optim.SparseAdam(emb.parameters(), lr=0.05)
        for idx in batches:
            opt.zero_grad()
            emb(fw.from_numpy(idx)).tanh().sum().backward()
            opt.step()
        result[fw] = _np(emb.weight)
    np.testing.assert_allclose(result[ember], result[torch], **TOL[np.float32])


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adafactor", dict(lr=-1.0)),
        ("Adafactor", dict(beta2_decay=0.1)),
        ("Adafactor", dict(d=0.5)),
        ("SparseAdam", dict(lr=0.0)),
        ("SparseAdam", dict(eps=-1.0)),
        ("Muon", dict(momentum=-1.0)),
        ("Muon", dict(adjust_lr_fn="other")),
    ],
)
def test_constructor_errors(name, kwargs):
    messages = []
    for fw in FWS:
        with pytest.raises(ValueError) as info:
            getattr(fw.optim, name)([fw.nn.Parameter(fw.zeros(2, 2))], **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_muon_refuses_other_shapes():
    for fw in FWS:
        with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
            fw.optim.Muon([fw.nn.Parameter(fw.zeros(3))])
