"""Parity with torch 2.13: CPU autocast (float16) output dtypes and values over a grid of
operations, GradScaler scale and growth-tracker sequences (torch's GradScaler on the CPU
needs ``device="cpu"``), checkpoint gradients, SWALR rate trajectories and AveragedModel
averages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

FWS = (ember, torch)


def _np(t):
    return t.detach().numpy().copy()


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


rng = np.random.default_rng(0)
A = rng.standard_normal((4, 4)).astype(np.float32)
B = rng.standard_normal((4, 4)).astype(np.float32)
TARGET = np.array([0, 1, 2, 3])

# f(fw, a, b): a is the float16 or float32 input under test, b a float32 tensor
OPS = {
    "matmul": lambda fw, a, b: a @ b,
    "mm": lambda fw, a, b: fw.mm(a, b),
    "bmm": lambda fw, a, b: fw.bmm(a[None], b[None]),
    "addmm": lambda fw, a, b: fw.addmm(b, a, b),
    "baddbmm": lambda fw, a, b: fw.baddbmm(b[None], a[None], b[None]),
    "linear": lambda fw, a, b: fw.nn.functional.linear(a, b, b[0]),
    "conv1d": lambda fw, a, b: fw.nn.functional.conv1d(a[None], b[:, :, None]),
    "conv2d": lambda fw, a, b: fw.nn.functional.conv2d(a[None, None], b[None, None, :2, :2]),
    "conv_transpose2d": lambda fw, a, b: fw.nn.functional.conv_transpose2d(
        a[None, None], b[None, None, :2, :2]
    ),
    "prelu": lambda fw, a, b: fw.nn.functional.prelu(a, b[0, :1]),
    "sdpa": lambda fw, a, b: fw.nn.functional.scaled_dot_product_attention(
        a[None], b[None], b[None]
    ),
    "einsum": lambda fw, a, b: fw.einsum("ij,jk->ik", a, b),
    "softmax": lambda fw, a, b: fw.softmax(a, 0),
    "log_softmax": lambda fw, a, b: fw.log_softmax(a, 0),
    "mse_loss": lambda fw, a, b: fw.nn.functional.mse_loss(a, b),
    "l1_loss": lambda fw, a, b: fw.nn.functional.l1_loss(a, b),
    "smooth_l1_loss": lambda fw, a, b: fw.nn.functional.smooth_l1_loss(a, b),
    "huber_loss": lambda fw, a, b: fw.nn.functional.huber_loss(a, b),
    "cross_entropy": lambda fw, a, b: fw.nn.functional.cross_entropy(a, fw.tensor(TARGET)),
    "nll_loss": lambda fw, a, b: fw.nn.functional.nll_loss(a, fw.tensor(TARGET)),
    "kl_div": lambda fw, a, b: fw.nn.functional.kl_div(a, b.exp(), reduction="batchmean"),
    "bce_with_logits": lambda fw, a, b: fw.nn.functional.binary_cross_entropy_with_logits(
        a, b.sigmoid()
    ),
    "layer_norm": lambda fw, a, b: fw.nn.functional.layer_norm(a, (4,)),
    "group_norm": lambda fw, a, b: fw.nn.functional.group_norm(a[None], 2),
    "exp": lambda fw, a, b: a.exp(),
    "sum": lambda fw, a, b: a.sum(),
    "prod": lambda fw, a, b: a.prod(),
    "cumsum": lambda fw, a, b: a.cumsum(0),
    "trace": lambda fw, a, b: fw.trace(a),
    "cdist": lambda fw, a, b: fw.cdist(a, b),
    "inverse": lambda fw, a, b: fw.inverse(a + 4 * fw.eye(4, dtype=a.dtype)),
    "add": lambda fw, a, b: a + b,
    "cat": lambda fw, a, b: fw.cat([a, b]),
    "stack": lambda fw, a, b: fw.stack([a, a]),
    "relu": lambda fw, a, b: fw.relu(a),
    "tensordot": lambda fw, a, b: fw.tensordot(a, b.to(a.dtype), 1),
    "inner": lambda fw, a, b: fw.inner(a, b.to(a.dtype)),
    "multi_dot": lambda fw, a, b: fw.linalg.multi_dot([a, b.to(a.dtype)]),
    "vecdot": lambda fw, a, b: fw.linalg.vecdot(a, b.to(a.dtype)),
    "mv": lambda fw, a, b: fw.mv(a, b[0].to(a.dtype)),
    "cosine_similarity": lambda fw, a, b: fw.nn.functional.cosine_similarity(a, a),
    "vector_norm": lambda fw, a, b: fw.linalg.vector_norm(a),
}


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_cpu_autocast_dtypes_and_values(name, dtype):
    results = {}
    for fw in FWS:
        a = fw.from_numpy(A.astype(dtype))
        b = fw.from_numpy(B)
        with fw.autocast("cpu", dtype=fw.float16):
            results[fw.__name__] = OPS[name](fw, a, b)
    e, t = results["ember"], results["torch"]
    assert _dtype_name(e.dtype) == _dtype_name(t.dtype)
    tol = 2e-2 if "float16" in (_dtype_name(e.dtype), _dtype_name(a.dtype)) else 1e-5
    np.testing.assert_allclose(_np(e).astype(np.float64), _np(t), rtol=tol, atol=tol)


def test_autocast_gradient_dtypes():
    grads = {}
    for fw in FWS:
        x = fw.from_numpy(A).requires_grad_()
        w = fw.from_numpy(B).requires_grad_()
        with fw.autocast("cpu", dtype=fw.float16):
            loss = fw.nn.functional.mse_loss(fw.nn.functional.linear(x, w), fw.zeros(4, 4))
        loss.backward()
        grads[fw.__name__] = (x.grad, w.grad)
    for e, t in zip(grads["ember"], grads["torch"]):
        assert _dtype_name(e.dtype) == _dtype_name(t.dtype)
        np.testing.assert_allclose(_np(e), _np(t), rtol=2e-2, atol=2e-3)


def _scaler_run(fw, grads_per_step, **kwargs):
    p = fw.zeros(2, requires_grad=True)
    opt = fw.optim.SGD([p], lr=0.1)
    scaler = fw.amp.GradScaler("cpu", **kwargs)
    seen = []
    for g in grads_per_step:
        loss = (p * fw.tensor(g)).sum()
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        grad = _np(p.grad)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        seen.append((scaler.get_scale(), scaler._get_growth_tracker(), grad, _np(p)))
    return seen, scaler.state_dict()


def test_grad_scaler_sequences():
    inf, nan = float("inf"), float("nan")
    steps = [[1.0, 2.0], [inf, 1.0], [0.5, 1.0], [1.0, 1.0], [nan, 0.0], [3.0, 1.0], [1.0, 1.0]]
    kwargs = dict(init_scale=1024.0, growth_factor=3.0, backoff_factor=0.3, growth_interval=2)
    (e_seen, e_state), (t_seen, t_state) = (_scaler_run(fw, steps, **kwargs) for fw in FWS)
    assert e_state == t_state
    for (es, et, eg, ep), (ts, tt, tg, tp) in zip(e_seen, t_seen):
        assert es == ts and et == tt
        np.testing.assert_array_equal(eg, tg)
        np.testing.assert_allclose(ep, tp, rtol=1e-6)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients(use_reentrant):
    grads = {}
    for fw in FWS:
        w = fw.from_numpy(B).requires_grad_()
        x = fw.from_numpy(A).requires_grad_()
        y = fw.utils.checkpoint.checkpoint(
            lambda t, w=w: (t @ w).tanh().square(), x, use_reentrant=use_reentrant
        )
        y.sum().backward()
        grads[fw.__name__] = (_np(x.grad), _np(w.grad))
    for e, t in zip(grads["ember"], grads["torch"]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 3, 10])
def test_swalr_trajectories(strategy, anneal_epochs):
    trajectories = {}
    for fw in FWS:
        p = fw.zeros(1, requires_grad=True)
        opt = fw.optim.SGD([{"params": [p], "lr": 0.3}, {"params": [], "lr": 0.01}])
        sched = fw.optim.swa_utils.SWALR(
            opt, swa_lr=[0.05, 0.2], anneal_epochs=anneal_epochs, anneal_strategy=strategy
        )
        lrs = []
        for _ in range(14):
            lrs.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        trajectories[fw.__name__] = (lrs, sorted(sched.state_dict()))
    assert trajectories["ember"][1] == trajectories["torch"][1]
    np.testing.assert_allclose(trajectories["ember"][0], trajectories["torch"][0], rtol=1e-14)


@pytest.mark.parametrize("kind", ["swa", "ema", "ema_single", "buffers"])
def test_averaged_model(kind):
    weights = [rng.standard_normal((3, 2)).astype(np.float32) for _ in range(4)]
    inputs = [rng.standard_normal((5, 2)).astype(np.float32) for _ in range(4)]
    states = {}
    for fw in FWS:
        swa = fw.optim.swa_utils
        model = fw.nn.Sequential(fw.nn.Linear(2, 3), fw.nn.BatchNorm1d(3))
        kwargs = {
            "swa": {},
            "ema": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.8)},
            "ema_single": {"avg_fn": swa.get_ema_avg_fn(0.8)},
            "buffers": {"use_buffers": True},
        }[kind]
        averaged = swa.AveragedModel(model, **kwargs)
        for w, x in zip(weights, inputs):
            with fw.no_grad():
                model[0].weight.copy_(fw.from_numpy(w))
                model[0].bias.copy_(fw.from_numpy(w[:, 0]))
            model(fw.from_numpy(x))
            averaged.update_parameters(model)
        loader = [(fw.from_numpy(x), 0) for x in inputs]
        fw.optim.swa_utils.update_bn(loader, averaged)
        states[fw.__name__] = {k: _np(v) for k, v in averaged.state_dict().items()}
    assert list(states["ember"]) == list(states["torch"])
    for key, value in states["torch"].items():
        np.testing.assert_allclose(states["ember"][key], value, rtol=1e-5, atol=1e-6, err_msg=key)
