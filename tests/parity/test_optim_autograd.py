"""Parity with torch 2.13: optimizers (trajectories, state, state dicts), lr schedulers,
autograd features, nn.utils clipping, deterministic nn.init and checkpoint files."""

from __future__ import annotations

import inspect
import json
import math
import struct
import warnings

import numpy as np
import pytest
import torch

import ember

FWS = (ember, torch)
F32, F64 = dict(rtol=1e-5, atol=1e-6), dict(rtol=1e-10, atol=1e-12)
TOL = {np.float32: F32, np.float64: F64}


def _np(t):
    return t.detach().numpy().copy()


def _to(fw, value):
    """A (nested) state dict with every tensor copied into ``fw``'s tensors."""
    if isinstance(value, (ember.Tensor, torch.Tensor)):
        return fw.from_numpy(_np(value))
    if isinstance(value, dict):
        return {k: _to(fw, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to(fw, v) for v in value)
    return value


def _same(e, t, where, tol):
    """Ember's nested value ``e`` equals torch's ``t``: keys in order, types, shapes, dtypes."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{where}: ember {e!r}, torch a tensor"
        assert (tuple(e.shape), str(e.dtype)[6:]) == (tuple(t.shape), str(t.dtype)[6:]), where
        np.testing.assert_allclose(_np(e), _np(t), err_msg=where, **tol)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray) and e.dtype == t.dtype, f"{where}: {e!r} vs {t!r}"
        np.testing.assert_allclose(e, t, err_msg=where, **tol)
    elif isinstance(t, dict):
        assert list(e) == list(t), f"{where}: keys {list(e)} != {list(t)}"
        for k in t:
            _same(e[k], t[k], f"{where}[{k!r}]", tol)
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t), where
        for i, (a, b) in enumerate(zip(e, t)):
            _same(a, b, f"{where}[{i}]", tol)
    elif isinstance(t, float) and not isinstance(e, bool):
        close = math.isclose(e, t, rel_tol=tol.get("rtol", 0), abs_tol=tol.get("atol", 0))
        assert close or (e != e and t != t), f"{where}: {e!r} != {t!r}"
    else:
        assert e == t, f"{where}: {e!r} != {t!r}"


# ------------------------------------------------------------------------------ optimizers

M9, DW = dict(momentum=0.9), dict(decoupled_weight_decay=True, weight_decay=0.1)
B59 = dict(lr=0.01, betas=(0.5, 0.9))  # RAdam's rectified branch from step 3
OPTIMS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, **M9)),
    ("SGD", dict(lr=0.1, **M9, dampening=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, **M9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(B59, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, maximize=True, amsgrad=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, **DW)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(centered=True, alpha=0.9)),
    ("RMSprop", dict(**M9, weight_decay=0.1)),
    ("RMSprop", dict(centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, **DW, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(B59, weight_decay=0.1)),
    ("RAdam", dict(B59, **DW, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.05, etas=(0.4, 1.1), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw in OPTIMS]


def _optim(fw, name, arrays, groups=None, **kwargs):
    params = [fw.nn.Parameter(fw.from_numpy(a.copy())) for a in arrays]
    spec = params  # groups name their parameters by position
    if groups is not None:
        spec = [dict(g, params=[params[i] for i in g["params"]]) for g in groups]
    return params, getattr(fw.optim, name)(spec, **kwargs)


def _steps(params, opt, grads, fw):
    """Set each parameter's gradient from numpy (None: no gradient) and step; returns the
    parameters after each step."""
    traj = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else fw.from_numpy(g.copy())
        opt.step()
        traj.append([_np(p) for p in params])
    return traj


def _compare_runs(parity, name, kwargs, dtype, n=8, groups=None, shapes=((3, 4), (5,), ())):
    init = [parity.randn(*s, dtype=dtype) for s in shapes]
    grads = [[parity.randn(*s, dtype=dtype) for s in shapes] for _ in range(n)]
    if groups:  # the last parameter never gets a gradient
        grads = [g[:-1] + [None] for g in grads]
    runs = {}
    for fw in FWS:
        params, opt = _optim(fw, name, init, groups, **kwargs)
        runs[fw] = (opt, _steps(params, opt, grads, fw))
    for step, (e, t) in enumerate(zip(runs[ember][1], runs[torch][1])):
        for i, (a, b) in enumerate(zip(e, t)):
            np.testing.assert_allclose(a, b, err_msg=f"param {i}, step {step + 1}", **TOL[dtype])
    return runs[ember][0], runs[torch][0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", OPTIMS, ids=IDS)
def test_optimizer_trajectory_and_state(parity, name, kwargs, dtype):
    e_opt, t_opt = _compare_runs(parity, name, kwargs, dtype)
    _same(e_opt.state_dict()["state"], t_opt.state_dict()["state"], "state", TOL[dtype])


@pytest.mark.parametrize("name,kwargs", OPTIMS, ids=IDS)
def test_optimizer_state_dict_param_groups(parity, name, kwargs):
    e_opt, t_opt = _compare_runs(parity, name, kwargs, np.float64, n=1)
    for e, t in zip(e_opt.state_dict()["param_groups"], t_opt.state_dict()["param_groups"]):
        assert sorted(e) == sorted(t), f"missing {set(t) - set(e)}, extra {set(e) - set(t)}"
        assert e == t


@pytest.mark.parametrize("name", sorted({n for n, _ in OPTIMS} | {"LBFGS"}))
def test_optimizer_signature(name):
    """Same positional parameters in order, same keyword-only ones, same defaults."""
    e, t = (inspect.signature(getattr(fw.optim, name)).parameters.values() for fw in FWS)
    e, t = ([(p.name, p.kind, p.default) for p in ps] for ps in (e, t))
    assert [p for p in e if p[1] != p[1].KEYWORD_ONLY] == [
        p for p in t if p[1] != p[1].KEYWORD_ONLY
    ]
    assert sorted(e) == sorted(t)


LOADABLE = [OPTIMS[i] for i in (3, 8, 15, 18, 20, 22, 25, 28, 30, 31, 33)]


@pytest.mark.parametrize("source", FWS, ids=["from_ember", "from_torch"])
@pytest.mark.parametrize("name,kwargs", LOADABLE, ids=[n for n, _ in LOADABLE])
def test_optimizer_load_state_dict_continues(parity, name, kwargs, source):
    """Both frameworks load the same state dict, then must hold the same state and follow
    the same trajectory."""
    init = [parity.randn(3, 4, dtype=np.float64), parity.randn(5, dtype=np.float64)]
    grads = [[parity.randn(*a.shape, dtype=np.float64) for a in init] for _ in range(8)]
    params, opt = _optim(source, name, init, **kwargs)
    _steps(params, opt, grads[:4], source)
    runs = {}
    for fw in FWS:
        params2, opt2 = _optim(fw, name, [_np(p) for p in params], **kwargs)
        opt2.load_state_dict(_to(fw, opt.state_dict()))
        runs[fw] = (_to(fw, opt2.state_dict()["state"]), _steps(params2, opt2, grads[4:], fw))
    _same(runs[ember][0], runs[torch][0], "loaded state", F64)
    _same(runs[ember][1], runs[torch][1], "trajectory", F64)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Rprop", "ASGD"])
def test_param_groups_none_grad_and_zero_grad(parity, name):
    groups = [dict(params=[0, 2], lr=0.02), dict(params=[1], lr=0.003, weight_decay=0.1, **M9)]
    e_opt, t_opt = _compare_runs(parity, name, {}, np.float64, n=5, groups=groups)
    _same(e_opt.state_dict()["state"], t_opt.state_dict()["state"], "state", F64)
    grads = []
    for opt in (e_opt, t_opt):
        opt.zero_grad(set_to_none=False)
        grads.append([p.grad for g in opt.param_groups for p in g["params"]])
        opt.zero_grad()
        grads[-1] += [p.grad for g in opt.param_groups for p in g["params"]]
    _same(*grads, "grads after zero_grad", {})


def _hook_log(fw, opt_name):
    """What each optimizer hook receives through a step, state_dict and load_state_dict."""
    import importlib

    p = fw.nn.Parameter(fw.ones(3))
    opt = getattr(fw.optim, opt_name)([p], lr=0.1)
    log = []

    def who(value):
        return "opt" if value is opt else type(value).__name__

    def step_hook(name, result=None):
        def hook(o, args, kwargs):
            log.append((name, who(o), [who(a) for a in args], sorted(kwargs)))
            return result

        return hook

    module = importlib.import_module(f"{fw.__name__}.optim.optimizer")
    handles = [
        module.register_optimizer_step_pre_hook(step_hook("global_pre")),
        module.register_optimizer_step_post_hook(step_hook("global_post")),
    ]
    try:
        opt.register_step_post_hook(step_hook("post"))
        opt.register_step_pre_hook(step_hook("pre", ((opt,), {"closure": lambda: 2.0})))
        opt.register_state_dict_pre_hook(lambda o: log.append(("sd_pre", who(o))))
        opt.register_state_dict_post_hook(
            lambda o, sd: log.append(("sd_post", who(o), sorted(sd))) or {**sd, "extra": 1}
        )
        opt.register_load_state_dict_pre_hook(
            lambda o, sd: log.append(("load_pre", who(o), sorted(sd))), prepend=True
        )
        opt.register_load_state_dict_post_hook(lambda o: log.append(("load_post", who(o))))
        p.grad = fw.ones(3)
        log.append(("step returned", opt.step()))
        sd = opt.state_dict()
        log.append(("state_dict", sorted(sd)))
        del sd["extra"]
        opt.load_state_dict(sd)
        log.append(("param", _np(p).tolist()))
    finally:
        for handle in handles:
            handle.remove()
    return log


@pytest.mark.parametrize("opt_name", ["SGD", "Rprop", "LBFGS"])
def test_optimizer_hooks(opt_name):
    assert _hook_log(ember, opt_name) == _hook_log(torch, opt_name)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs(parity, line_search_fn):
    a, b, x0 = parity.randn(6, 4), parity.randn(6), parity.randn(4)
    out = []
    for fw in FWS:
        x = fw.nn.Parameter(fw.from_numpy(x0.astype(np.float64)))
        A, B = fw.from_numpy(a.astype(np.float64)), fw.from_numpy(b.astype(np.float64))
        opt = fw.optim.LBFGS([x], 0.5, max_iter=4, history_size=3, line_search_fn=line_search_fn)

        def closure(opt=opt, x=x, A=A, B=B):
            opt.zero_grad()
            loss = ((A @ x - B) ** 2).sum() + (x**4).sum()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(3)]
        out.append((losses, _np(x), _to(fw, opt.state_dict()["state"])))
    _same(out[0], out[1], "lbfgs", dict(rtol=1e-8, atol=1e-12))


# -------------------------------------------------------------------------------- schedulers

SCHEDULERS = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LambdaLR": lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.95**e]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.8, total_iters=7),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
    "WarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=1e-3),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=31),
    "OneCycleLR-3phase-linear": lambda L, o: L.OneCycleLR(
        o, 0.4, epochs=3, steps_per_epoch=11, three_phase=True, anneal_strategy="linear"
    ),
    "CyclicLR": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(
        o, [0.01, 0.02], 0.1, step_size_up=3, step_size_down=5, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9, cycle_momentum=False
    ),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.ExponentialLR(o, 0.9)], [5]
    ),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=4), L.ExponentialLR(o, gamma=0.9)]
    ),
}


def _plain(state):
    """Scheduler state with objects (optimizers, functions) reduced to their type names."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in sorted(state.items())}
    if isinstance(state, (list, tuple)):
        return [_plain(v) for v in state]
    return state if isinstance(state, (int, float, str, type(None))) else type(state).__name__


def _sched_run(fw, make, opt_cls, metrics=None, **opt_kwargs):
    p, q = fw.nn.Parameter(fw.ones(2)), fw.nn.Parameter(fw.ones(2))
    groups = [dict(params=[p], lr=0.1), dict(params=[q], lr=0.05)]
    opt = getattr(fw.optim, opt_cls)(groups, **opt_kwargs)
    sched = make(fw.optim.lr_scheduler, opt)
    rows = [(list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups])]
    for m in metrics or [None] * 30:
        opt.step()
        sched.step() if m is None else sched.step(m)
        hyper = [g.get("momentum", g.get("betas")) for g in opt.param_groups]
        rows.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], hyper))
    return rows, _plain(sched.state_dict())


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_scheduler(name):
    kind = ("Adam", {}) if "OneCycle" in name else ("SGD", M9)
    e, t = (_sched_run(fw, SCHEDULERS[name], kind[0], **kind[1]) for fw in FWS)
    _same(e, t, "lrs and state_dict", dict(rtol=1e-13, atol=0))


@pytest.mark.parametrize("mode,threshold_mode,cooldown", [("min", "rel", 0), ("max", "abs", 2)])
def test_reduce_lr_on_plateau(mode, threshold_mode, cooldown):
    metrics = [1.0, 0.9, 0.9, 0.91, 0.9, 0.95, 0.5, 0.5, 0.5, 0.5, 0.6, 0.4, 0.4, 0.4, 0.3] * 2

    def make(L, o):
        kw = dict(patience=2, threshold=0.05, cooldown=cooldown, min_lr=[0.004, 0.01])
        return L.ReduceLROnPlateau(o, mode, 0.5, threshold_mode=threshold_mode, **kw)

    e, t = (_sched_run(fw, make, "SGD", metrics) for fw in FWS)
    _same(e, t, "lrs and state_dict", dict(rtol=0, atol=0))


# ---------------------------------------------------------------------------------- autograd

X = np.array([0.5, -1.5, 2.0], np.float32)


def _leaf(fw, a=X):
    return fw.from_numpy(a.copy()).requires_grad_()


class Autograd:
    """Cases run in both frameworks; what each returns must agree."""

    def retain_graph_and_accumulate(fw):
        x = _leaf(fw)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        (x.sin() * x).sum().backward()  # a second graph accumulates too
        return _np(x.grad)

    def second_derivative(fw):
        x = _leaf(fw)
        (g,) = fw.autograd.grad((x**3).sum(), x, create_graph=True)
        (g2,) = fw.autograd.grad((g * x.exp()).sum(), x)
        return _np(g), g.requires_grad, _np(g2), x.grad is None

    def backward_create_graph(fw):
        x = _leaf(fw)
        with warnings.catch_warnings():  # torch warns of the reference cycle
            warnings.simplefilter("ignore")
            (x**3).sum().backward(create_graph=True)
        g, x.grad = x.grad, None
        g.sum().backward()
        return _np(g), g.requires_grad, _np(x.grad)

    def allow_unused(fw):
        x, z = _leaf(fw), _leaf(fw)
        gx, gz = fw.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
        _, zero = fw.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
        return _np(gx), gz, zero

    def grad_outputs_and_inputs(fw):
        x, w = _leaf(fw), _leaf(fw, X[::-1].copy())
        (x.exp() * x).backward(fw.from_numpy(np.array([1.0, 2.0, -1.0], np.float32)))
        (x * w).sum().backward(inputs=[w])
        return _np(x.grad), _np(w.grad)

    def detach_and_propagation(fw):
        a, b = _leaf(fw), fw.from_numpy(X.copy())
        c, d = a + b, b * 2
        e = c.detach()
        with fw.no_grad():
            a.detach().add_(1)  # shares storage with a
        flags = [c.requires_grad, c.is_leaf, c.grad_fn is None, d.requires_grad, d.is_leaf]
        return flags + [e.requires_grad, e.is_leaf, e.grad_fn, (a.sum() + 1).requires_grad, a]

    def grad_modes(fw):
        x, out = _leaf(fw), []
        with fw.no_grad():
            out += [(x * 2).requires_grad, fw.is_grad_enabled()]
            with fw.enable_grad():
                out += [(x * 2).requires_grad, fw.is_grad_enabled()]
        with fw.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        with fw.inference_mode():
            out += [(x * 2).requires_grad, fw.is_grad_enabled()]
        with fw.inference_mode(mode=False):
            out.append((x * 2).requires_grad)
        return out + [fw.no_grad()(lambda t: t * 2)(x).requires_grad, fw.is_grad_enabled()]

    def hooks_and_retain_grad(fw):
        x = _leaf(fw)
        handle = x.register_hook(lambda g: g * 3)
        y, z = x * x, x * 2
        y.register_hook(lambda g: g + 1)
        y.register_hook(lambda g: None)
        z.retain_grad()
        (y * z).sum().backward()
        first = _np(x.grad)
        handle.remove()
        x.grad = None
        (x * x).sum().backward()
        return first, _np(x.grad), _np(z.grad), z.retains_grad, y.retains_grad, x.retains_grad

    def custom_function(fw):
        class Cube(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x * x * g

        x = _leaf(fw)
        y = Cube.apply(x)
        (y * 2).sum().backward()
        return _np(y), _np(x.grad)

    def leaf_inplace_under_no_grad(fw):
        x = _leaf(fw)
        with fw.no_grad():
            x.mul_(2)
        (x * x).sum().backward()
        return _np(x), _np(x.grad), x.is_leaf


@pytest.mark.parametrize("case", [k for k in vars(Autograd) if not k.startswith("_")])
def test_autograd(case):
    f = vars(Autograd)[case]
    _same(f(ember), f(torch), case, dict(rtol=1e-6, atol=1e-7))


class Errors:
    """Cases that must raise the same exception type in both frameworks."""

    def saved_input_modified_inplace(fw):
        a = _leaf(fw) * 1
        b = a * a  # saves a
        a.mul_(2)
        b.sum().backward()

    def saved_output_modified_inplace(fw):
        b = (_leaf(fw) * 1).exp()  # saves its output
        b.add_(1)
        b.sum().backward()

    def inference_tensor_saved_for_backward(fw):
        with fw.inference_mode():
            a = fw.ones(3) * 2
        (a * _leaf(fw)).sum().backward()

    def clip_nonfinite(fw):
        p = fw.nn.Parameter(fw.ones(2))
        p.grad = fw.from_numpy(np.array([1.0, np.nan], np.float32))
        fw.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)

    def onecycle_overstep(fw):
        opt = fw.optim.SGD([_leaf(fw)], lr=0.1)
        sched = fw.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(4):
            opt.step()
            sched.step()


ERRORS = {
    **{k: v for k, v in vars(Errors).items() if not k.startswith("_")},
    "backward_twice": lambda fw: [y.backward() for y in [(_leaf(fw).exp()).sum()] * 2],
    "nonscalar_backward": lambda fw: (_leaf(fw) * 2).backward(),
    "backward_without_grad": lambda fw: fw.from_numpy(X).sum().backward(),
    "grad_unused_input": lambda fw: fw.autograd.grad((_leaf(fw) * 2).sum(), [_leaf(fw)]),
    "grad_not_requiring": lambda fw: fw.autograd.grad(_leaf(fw).sum(), fw.from_numpy(X)),
    "leaf_inplace": lambda fw: _leaf(fw).add_(1),
    "leaf_inplace_setitem": lambda fw: _leaf(fw).__setitem__(0, 1.0),
    "int_requires_grad": lambda fw: fw.arange(3).requires_grad_(),
    "nonleaf_requires_grad_false": lambda fw: (_leaf(fw) * 2).requires_grad_(False),
    "hook_without_grad": lambda fw: fw.ones(2).register_hook(lambda g: g),
    "grad_of_wrong_shape": lambda fw: setattr(_leaf(fw), "grad", fw.ones(2)),
    "vector_not_tensor": lambda fw: fw.nn.utils.vector_to_parameters([1.0], [_leaf(fw)]),
    "gain_unknown": lambda fw: fw.nn.init.calculate_gain("foo"),
    "gain_bad_param": lambda fw: fw.nn.init.calculate_gain("leaky_relu", "x"),
    "gain_bool_param": lambda fw: fw.nn.init.calculate_gain("leaky_relu", True),
    "fan_1d": lambda fw: fw.nn.init._calculate_fan_in_and_fan_out(fw.empty(5)),
    "eye_3d": lambda fw: fw.nn.init.eye_(fw.empty(2, 2, 2)),
    "dirac_2d": lambda fw: fw.nn.init.dirac_(fw.empty(3, 3)),
    "dirac_groups": lambda fw: fw.nn.init.dirac_(fw.empty(5, 2, 3), groups=2),
    "sgd_nesterov_no_momentum": lambda fw: fw.optim.SGD([_leaf(fw)], nesterov=True),
    "sgd_negative_lr": lambda fw: fw.optim.SGD([_leaf(fw)], lr=-0.1),
    "adam_bad_beta": lambda fw: fw.optim.Adam([_leaf(fw)], betas=(0.9, 1.0)),
    "rmsprop_negative_alpha": lambda fw: fw.optim.RMSprop([_leaf(fw)], alpha=-1),
    "optimizer_empty": lambda fw: fw.optim.Adam([]),
    "optimizer_given_tensor": lambda fw: fw.optim.SGD(_leaf(fw), lr=0.1),
}


# Differences the documentation lists (docs/coming-from-pytorch.md), kept as expected failures
KNOWN_DIFFERENCES = {
    "inference_tensor_saved_for_backward": "no inference tensors: inference_mode() is no_grad()",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[n]))
        if n in KNOWN_DIFFERENCES
        else n
        for n in ERRORS
    ],
)
def test_same_error(name):
    caught = []
    for fw in FWS:
        with pytest.raises(Exception) as info:
            ERRORS[name](fw)
        caught.append(info.value)
    assert type(caught[0]).__name__ == type(caught[1]).__name__, f"ember, torch: {caught}"


# ------------------------------------------------------------------------- nn.utils, nn.init

NORMS = [(2.0, 1.0), (2.0, 100.0), (float("inf"), 0.5), (1.0, 0.3), (3.0, 0.7), (0.5, 0.2)]


@pytest.mark.parametrize("norm_type,max_norm", NORMS)
def test_clip_grad_norm(parity, norm_type, max_norm):
    grads = [parity.randn(3, 4), parity.randn(5), parity.randn(2, 2)]
    out = []
    for fw in FWS:
        ps = [fw.nn.Parameter(fw.zeros(*g.shape)) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = fw.from_numpy(g.copy())
        total = fw.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        again = fw.nn.utils.get_total_norm([p.grad for p in ps], norm_type)
        out.append([total, again] + [p.grad for p in ps])
    _same(out[0], out[1], "clip", F32)


def test_clip_grad_value_and_vectors(parity):
    g, arrays, v = parity.randn(4, 3), [parity.randn(2, 3), parity.randn(4)], parity.randn(10)

    def run(fw):
        p = fw.nn.Parameter(fw.zeros(4, 3))
        p.grad = fw.from_numpy(g.copy())
        clipped = fw.nn.utils.clip_grad_value_(p, 0.5)
        ps = [fw.nn.Parameter(fw.from_numpy(a.copy())) for a in arrays]
        flat = fw.nn.utils.parameters_to_vector(ps)
        fw.nn.utils.vector_to_parameters(fw.from_numpy(v.copy()), ps)
        return clipped, p.grad, flat, flat.requires_grad, ps, [q.requires_grad for q in ps]

    _same(run(ember), run(torch), "utils", dict(rtol=0))


GAINS = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d"]
GAINS += ["conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
INITS = {
    "constant": (lambda I, t: I.constant_(t, 0.3), (3, 4)),
    "ones": (lambda I, t: I.ones_(t), (2, 3, 4)),
    "zeros": (lambda I, t: I.zeros_(t), (5,)),
    "eye": (lambda I, t: I.eye_(t), (3, 5)),
    "eye-tall": (lambda I, t: I.eye_(t), (5, 2)),
    "dirac-1d": (lambda I, t: I.dirac_(t), (4, 2, 3)),
    "dirac-2d-groups": (lambda I, t: I.dirac_(t, groups=2), (6, 3, 3, 3)),
    "dirac-3d": (lambda I, t: I.dirac_(t), (2, 4, 3, 3, 1)),
}


def _init(fw, f, shape):
    p = fw.nn.Parameter(fw.empty(*shape))
    return f(fw.nn.init, p) is p, p.requires_grad, p


INIT_CASES = {
    **{f"gain-{g}": lambda fw, g=g: fw.nn.init.calculate_gain(g) for g in GAINS},
    "gain-leaky_relu-0.2": lambda fw: fw.nn.init.calculate_gain("leaky_relu", 0.2),
    "gain-leaky_relu-3": lambda fw: fw.nn.init.calculate_gain("leaky_relu", 3),
    **{
        f"fan-{s}": lambda fw, s=s: fw.nn.init._calculate_fan_in_and_fan_out(fw.empty(*s))
        for s in [(3, 4), (8, 4, 3, 3), (6, 2, 5), (2, 3, 1, 2, 2), (0, 3)]
    },
    **{k: lambda fw, v=v: _init(fw, *v) for k, v in INITS.items()},
}


@pytest.mark.parametrize("case", list(INIT_CASES))
def test_init(case):
    e, t = (INIT_CASES[case](fw) for fw in FWS)
    assert type(e) is type(t)
    _same(e, t, case, dict(rtol=0))


# ----------------------------------------------------------------------------- serialization
# DESIGN.md promises no pickle and "Flat tensor dicts interoperate with the safetensors
# library": a state_dict ember saves opens with PyTorch's safetensors, ember.load reads any
# safetensors file; nested checkpoints (optimizer state, epoch counters) round-trip exactly.
# Without the safetensors package, files are read and written here as its format specifies.

_ST = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "F16": torch.float16}


def _st_load(path):
    try:
        from safetensors.torch import load_file
    except ImportError:
        raw = path.read_bytes()
        n = struct.unpack("<Q", raw[:8])[0]
        header, out = json.loads(raw[8 : 8 + n]), {}
        for k, i in header.items():
            if k != "__metadata__":
                a, b = (8 + n + o for o in i["data_offsets"])
                flat = torch.frombuffer(bytearray(raw[a:b]) or bytearray(8), dtype=_ST[i["dtype"]])
                out[k] = flat[: math.prod(i["shape"])].reshape(i["shape"])
        return out
    return load_file(path)


def _st_save(tensors, path):
    try:
        from safetensors.torch import save_file
    except ImportError:
        names, header, blobs, off = {v: k for k, v in _ST.items()}, {}, [], 0
        for k, t in tensors.items():
            blobs.append(t.reshape(-1).view(torch.uint8).numpy().tobytes())
            offsets = [off, off + len(blobs[-1])]
            header[k] = dict(dtype=names[t.dtype], shape=list(t.shape), data_offsets=offsets)
            off += len(blobs[-1])
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))
        return
    save_file(tensors, path)


def _model(fw):
    fw.manual_seed(0)
    layers = [fw.nn.Conv2d(2, 3, 3), fw.nn.BatchNorm2d(3), fw.nn.Flatten(), fw.nn.Linear(3, 2)]
    return fw.nn.Sequential(*layers)


def test_ember_state_dict_opens_in_torch(tmp_path, parity):
    model = _model(ember)
    model(ember.from_numpy(parity.randn(2, 2, 3, 3)))  # moves the BatchNorm buffers
    ember.save(model.state_dict(), tmp_path / "m.safetensors")
    loaded = _st_load(tmp_path / "m.safetensors")
    _model(torch).load_state_dict(loaded)  # strict: same key names and shapes
    _same(dict(model.state_dict()), {k: loaded[k] for k in model.state_dict()}, "sd", {})


def test_torch_safetensors_loads_in_ember(tmp_path):
    half, empty = torch.arange(4, dtype=torch.float16), torch.zeros(0, 3)
    sd = dict(_model(torch).state_dict(), half=half, empty=empty)
    _st_save(sd, tmp_path / "t.safetensors")
    loaded = ember.load(tmp_path / "t.safetensors")
    _same({k: loaded[k] for k in sd}, sd, "loaded", {})
    _model(ember).load_state_dict({k: loaded[k] for k in sd if k not in ("half", "empty")})


def test_checkpoint_roundtrip_then_torch_resumes(tmp_path, parity):
    init = [parity.randn(3, 4, dtype=np.float64), parity.randn(5, dtype=np.float64)]
    grads = [[parity.randn(*a.shape, dtype=np.float64) for a in init] for _ in range(6)]
    params, opt = _optim(ember, "Adam", init, lr=0.01, amsgrad=True)
    _steps(params, opt, grads[:3], ember)
    ckpt = {"optimizer": opt.state_dict(), "epoch": 3, "best": float("inf"), "tag": None}
    ember.save(ckpt, tmp_path / "ckpt.pt")
    back = ember.load(tmp_path / "ckpt.pt")
    _same(back, _to(torch, ckpt), "checkpoint", {})
    tparams, topt = _optim(torch, "Adam", [_np(p) for p in params], lr=0.01, amsgrad=True)
    topt.load_state_dict(_to(torch, back["optimizer"]))
    e, t = _steps(params, opt, grads[3:], ember), _steps(tparams, topt, grads[3:], torch)
    _same(e, t, "trajectory after loading", F64)


# ----------------------------------------------------------------- autograd.functional

FA = np.random.default_rng(7).standard_normal((3, 2))
FB = np.random.default_rng(8).standard_normal(2)


def _f64(fw, a, requires_grad=False):
    return fw.from_numpy(np.array(a, np.float64)).requires_grad_(requires_grad)


def _two_out(x, y):
    return (x @ y).tanh(), (x * x).sum(0) * y.exp()


def _scalar(x, y):
    return ((x @ y) ** 2).sum() + (x.sin() * y).sum()


def _created_graph(fw, F):
    """Results of create_graph=True are differentiable functions of the inputs."""
    x = _f64(fw, FA, True)
    _, g = F.vjp(lambda x: x**3, x, _f64(fw, FA), create_graph=True)
    h = F.hessian(lambda x: (x.exp() * x).sum(), x, create_graph=True)
    return g, fw.autograd.grad(g.sum() + h.sum(), x)[0]


FUNCTIONAL = {
    "jacobian": lambda fw, F: F.jacobian(lambda x: x.exp().sum(1), _f64(fw, FA)),
    "jacobian_tuples": lambda fw, F: F.jacobian(_two_out, (_f64(fw, FA), _f64(fw, FB))),
    "jacobian_unused_and_const": lambda fw, F: F.jacobian(
        lambda x, y: (x * 2, fw.ones(2, dtype=fw.float64)), (_f64(fw, FA), _f64(fw, FB))
    ),
    "jacobian_vectorize": lambda fw, F: F.jacobian(
        _two_out, (_f64(fw, FA), _f64(fw, FB)), vectorize=True
    ),
    "jacobian_forward_mode": lambda fw, F: F.jacobian(
        _two_out, (_f64(fw, FA), _f64(fw, FB)), vectorize=True, strategy="forward-mode"
    ),
    "hessian": lambda fw, F: F.hessian(lambda x: (x**3).sum(), _f64(fw, FA)),
    "hessian_tuples": lambda fw, F: F.hessian(_scalar, (_f64(fw, FA), _f64(fw, FB))),
    "hessian_linear": lambda fw, F: F.hessian(
        lambda x, y: (x @ y).sum(), (_f64(fw, FA), _f64(fw, FB))
    ),
    "vjp": lambda fw, F: F.vjp(
        _two_out, (_f64(fw, FA), _f64(fw, FB)), (_f64(fw, [1.0, -2.0, 0.5]), _f64(fw, FB))
    ),
    "vjp_scalar": lambda fw, F: F.vjp(_scalar, (_f64(fw, FA), _f64(fw, FB))),
    "jvp": lambda fw, F: F.jvp(
        _two_out, (_f64(fw, FA), _f64(fw, FB)), (_f64(fw, FA * 2), _f64(fw, FB))
    ),
    "jvp_const_output": lambda fw, F: F.jvp(
        lambda x: (x * 2, fw.ones(2, dtype=fw.float64)), _f64(fw, FA), _f64(fw, FA)
    ),
    "vhp": lambda fw, F: F.vhp(_scalar, (_f64(fw, FA), _f64(fw, FB)), (_f64(fw, FA), _f64(fw, FB))),
    "hvp": lambda fw, F: F.hvp(_scalar, (_f64(fw, FA), _f64(fw, FB)), (_f64(fw, FA), _f64(fw, FB))),
    "hvp_create_graph": lambda fw, F: F.hvp(
        lambda x: (x**3).sum(), _f64(fw, FA, True), _f64(fw, FA), create_graph=True
    ),
    "created_graph": _created_graph,
}


def _flags(value):
    """Each tensor's requires_grad, in the nesting of ``value``."""
    if isinstance(value, (tuple, list)):
        return [_flags(v) for v in value]
    return value.requires_grad


@pytest.mark.parametrize("case", list(FUNCTIONAL))
def test_autograd_functional(case):
    e = FUNCTIONAL[case](ember, ember.autograd.functional)
    with warnings.catch_warnings():  # torch's forward mode warns that torch.jit.script is old
        warnings.simplefilter("ignore", DeprecationWarning)
        t = FUNCTIONAL[case](torch, torch.autograd.functional)
    _same(e, t, case, F64)
    assert _flags(e) == _flags(t), case


FUNCTIONAL_ERRORS = {
    "strict_constant_output": lambda fw, F: F.vjp(
        lambda x: fw.ones(3, dtype=fw.float64), _f64(fw, FA), _f64(fw, np.ones(3)), strict=True
    ),
    "strict_unused_input": lambda fw, F: F.jacobian(
        lambda x, y: x * 3, (_f64(fw, FA), _f64(fw, FB)), strict=True
    ),
    "strict_create_graph": lambda fw, F: F.jacobian(
        lambda x, y: x * 3 + y.sum(), (_f64(fw, FA), _f64(fw, FB)), strict=True, create_graph=True
    ),
    "strict_linear_hessian": lambda fw, F: F.hessian(
        lambda x: x.sum() * 2, _f64(fw, FA), strict=True
    ),
    "strict_hvp": lambda fw, F: F.hvp(lambda x: x.sum(), _f64(fw, FA), _f64(fw, FA), strict=True),
    "strict_jvp": lambda fw, F: F.jvp(
        lambda x, y: x * 3, (_f64(fw, FA), _f64(fw, FB)), (_f64(fw, FA), _f64(fw, FB)), strict=True
    ),
    "strict_vectorize": lambda fw, F: F.jacobian(
        lambda x: x, _f64(fw, FA), strict=True, vectorize=True
    ),
    "forward_mode_unvectorized": lambda fw, F: F.jacobian(
        lambda x: x, _f64(fw, FA), strategy="forward-mode"
    ),
    "forward_mode_create_graph": lambda fw, F: F.jacobian(
        lambda x: x, _f64(fw, FA), strategy="forward-mode", create_graph=True, vectorize=True
    ),
    "hessian_forward_unvectorized": lambda fw, F: F.hessian(
        lambda x: x.sum(), _f64(fw, FA), outer_jacobian_strategy="forward-mode"
    ),
    "v_none": lambda fw, F: F.vjp(lambda x: x * 3, _f64(fw, FA)),
    "v_wrong_length": lambda fw, F: F.vjp(lambda x: (x, x), _f64(fw, FA), (_f64(fw, FA),)),
    "v_wrong_size": lambda fw, F: F.jvp(
        lambda x: x, (_f64(fw, FA), _f64(fw, FB)), (_f64(fw, FA), _f64(fw, FA))
    ),
    "inputs_list": lambda fw, F: F.jacobian(lambda x: x, [_f64(fw, FA)]),
    "hessian_vector_output": lambda fw, F: F.hessian(lambda x: x * 2, _f64(fw, FA)),
    "vhp_tuple_output": lambda fw, F: F.vhp(lambda x: (x.sum(),), _f64(fw, FA), _f64(fw, FA)),
}


@pytest.mark.parametrize("case", list(FUNCTIONAL_ERRORS))
def test_autograd_functional_errors(case):
    caught = []
    for fw, F in ((ember, ember.autograd.functional), (torch, torch.autograd.functional)):
        with pytest.raises(Exception) as info:
            FUNCTIONAL_ERRORS[case](fw, F)
        caught.append((type(info.value).__name__, str(info.value).replace("ember.", "torch.")))
    assert caught[0] == caught[1]
