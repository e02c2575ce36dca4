"""ember.optim: every optimizer against a numpy transcription of torch's documented algorithm,
hand-computed first steps, state-dict round trips, parameter groups and torch's errors."""

import copy
import inspect
import math

import numpy as np
import pytest

import ember
from ember import optim

# A small least-squares problem with three parameters of different shapes, plus a quartic
# term so the gradient is not linear in every parameter:
#     loss(W, b, s) = mean((X @ W + b - Y)**2) + 0.1 * s**4
_rng = np.random.default_rng(0)
X = _rng.standard_normal((8, 3))
Y = _rng.standard_normal((8, 2))
INIT = [_rng.standard_normal((3, 2)), _rng.standard_normal(2), np.array(0.7)]


def numpy_grads(W, b, s):
    dpred = 2 * (X @ W + b - Y) / Y.size
    return [X.T @ dpred, dpred.sum(0), 0.4 * s**3]


def ember_loss(W, b, s, device="cpu"):
    x = ember.tensor(X[:, :, None], dtype=W.dtype, device=device)
    y = ember.tensor(Y, dtype=W.dtype, device=device)
    r = (x * W).sum(1) + b - y
    return (r * r).mean() + 0.1 * (s * s) * (s * s)


def make_params(dtype=ember.float64, device="cpu"):
    return [ember.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in INIT]


def train(params, opt, steps, sign=1.0, device="cpu"):
    for _ in range(steps):
        opt.zero_grad()
        (sign * ember_loss(*params, device=device)).backward()
        opt.step()


def values(params):
    return [p.detach().cpu().numpy() for p in params]


# ---------------------------------------------------------------------------------------------
# Reference updates: torch's documented algorithms, one parameter at a time, in float64.
# Each takes the parameter x, its gradient g, its state dict and the step count t (from 1)
# and returns the new x.


def _grad(x, g, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * x


def ref_sgd(
    x, g, s, t, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False
):
    g = _grad(x, g, weight_decay, maximize)
    if momentum:
        s["b"] = g if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return x - lr * g


def ref_adam(
    x,
    g,
    s,
    t,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    b1, b2 = betas
    if decoupled:
        x = x * (1 - lr * weight_decay)
        g = _grad(x, g, 0, maximize)
    else:
        g = _grad(x, g, weight_decay, maximize)
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g**2
    if amsgrad:  # the running maximum is of v itself, bias-corrected afterwards
        s["vmax"] = np.maximum(s.get("vmax", 0), s["v"])
    m_hat = s["m"] / (1 - b1**t)
    v_hat = s["vmax" if amsgrad else "v"] / (1 - b2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(x, g, s, t, weight_decay=1e-2, **kw):
    return ref_adam(x, g, s, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(
    x,
    g,
    s,
    t,
    lr=1e-2,
    alpha=0.99,
    eps=1e-8,
    weight_decay=0,
    momentum=0,
    centered=False,
    maximize=False,
):
    g = _grad(x, g, weight_decay, maximize)
    s["v"] = alpha * s.get("v", 0) + (1 - alpha) * g**2
    v = s["v"]
    if centered:
        s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
        v = v - s["ga"] ** 2
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0) + g / (np.sqrt(v) + eps)
        return x - lr * s["b"]
    return x - lr * g / (np.sqrt(v) + eps)


def ref_adagrad(
    x,
    g,
    s,
    t,
    lr=1e-2,
    lr_decay=0,
    weight_decay=0,
    initial_accumulator_value=0,
    eps=1e-10,
    maximize=False,
):
    g = _grad(x, g, weight_decay, maximize)
    s["sum"] = s.get("sum", initial_accumulator_value) + g**2
    return x - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)


def ref_adadelta(x, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = _grad(x, g, weight_decay, maximize)
    s["v"] = rho * s.get("v", 0) + (1 - rho) * g**2
    delta = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0) + (1 - rho) * delta**2
    return x - lr * delta


def ref_adamax(x, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    g = _grad(x, g, weight_decay, maximize)
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
    return x - lr / (1 - b1**t) * s["m"] / s["u"]


def ref_nadam(
    x,
    g,
    s,
    t,
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
    maximize=False,
):
    b1, b2 = betas
    if decoupled_weight_decay:
        x = x * (1 - lr * weight_decay)
        g = _grad(x, g, 0, maximize)
    else:
        g = _grad(x, g, weight_decay, maximize)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    # torch keeps the product of the mu's in a float32 scalar
    s["mu_prod"] = float(np.float32(s.get("mu_prod", 1.0)) * np.float32(mu))
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g**2
    denom = np.sqrt(s["v"] / (1 - b2**t)) + eps
    x = x - lr * (1 - mu) / (1 - s["mu_prod"]) * g / denom
    return x - lr * mu_next / (1 - s["mu_prod"] * mu_next) * s["m"] / denom


def ref_radam(
    x,
    g,
    s,
    t,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    decoupled_weight_decay=False,
    maximize=False,
):
    b1, b2 = betas
    if decoupled_weight_decay:
        x = x * (1 - lr * weight_decay)
        g = _grad(x, g, 0, maximize)
    else:
        g = _grad(x, g, weight_decay, maximize)
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g**2
    m_hat = s["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t <= 5:
        return x - lr * m_hat
    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    adaptive = math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + eps)
    return x - lr * m_hat * rect * adaptive


def ref_rprop(x, g, s, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    g = -g if maximize else g
    prev, size = s.get("prev", np.zeros_like(g)), s.get("size", np.full_like(g, lr))
    same = g * prev
    size = np.clip(size * np.where(same > 0, etas[1], np.where(same < 0, etas[0], 1)), *step_sizes)
    s["prev"], s["size"] = np.where(same < 0, 0, g), size
    return x - np.sign(s["prev"]) * size


def ref_asgd(x, g, s, t, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    g = _grad(x, g, weight_decay, maximize)
    eta, mu = s.get("eta", float(np.float32(lr))), s.get("mu", 1.0)  # float32 scalars in torch
    x = x * (1 - lambd * eta) - eta * g
    s["ax"] = x if mu == 1 else s["ax"] + mu * (x - s["ax"])
    s["eta"] = float(np.float32(lr / (1 + lambd * lr * t) ** alpha))
    s["mu"] = float(np.float32(1 / max(1, t - t0)))
    return x


def reference(update, steps, per_param_kwargs):
    params = [p.copy() for p in INIT]
    states = [{} for _ in params]
    for t in range(1, steps + 1):
        grads = numpy_grads(*params)
        params = [
            update(x, g, s, t, **kw) for x, g, s, kw in zip(params, grads, states, per_param_kwargs)
        ]
    return params


# (optimizer, kwargs, reference): the variants each optimizer has
CASES = [
    (optim.SGD, dict(lr=0.1), ref_sgd),
    (optim.SGD, dict(lr=0.1, momentum=0.9), ref_sgd),
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1), ref_sgd),
    (optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1), ref_sgd),
    (optim.SGD, dict(lr=0.1, momentum=0.5, maximize=True), ref_sgd),
    (optim.Adam, dict(lr=0.05), ref_adam),
    (optim.Adam, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1), ref_adam),
    (optim.Adam, dict(lr=0.05, amsgrad=True), ref_adam),
    (optim.Adam, dict(lr=0.05, betas=(0.3, 0.9), maximize=True), ref_adam),
    (optim.AdamW, dict(lr=0.05), ref_adamw),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.5, amsgrad=True), ref_adamw),
    (optim.RMSprop, dict(lr=0.01), ref_rmsprop),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, weight_decay=0.1), ref_rmsprop),
    (optim.RMSprop, dict(lr=0.01, centered=True, alpha=0.9), ref_rmsprop),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5, alpha=0.3), ref_rmsprop),
    (optim.Adagrad, dict(lr=0.1), ref_adagrad),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1), ref_adagrad),
    (optim.Adagrad, dict(lr=0.1, initial_accumulator_value=0.5, maximize=True), ref_adagrad),
    (optim.Adadelta, dict(), ref_adadelta),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True), ref_adadelta),
    (optim.Adamax, dict(lr=0.05), ref_adamax),
    (optim.Adamax, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1), ref_adamax),
    (optim.NAdam, dict(lr=0.05), ref_nadam),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.1, momentum_decay=0.05), ref_nadam),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), ref_nadam),
    (optim.RAdam, dict(lr=0.05), ref_radam),
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.5), weight_decay=0.1), ref_radam),
    (optim.RAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), ref_radam),
    (optim.Rprop, dict(), ref_rprop),
    (optim.Rprop, dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)), ref_rprop),
    (optim.Rprop, dict(lr=0.05, maximize=True), ref_rprop),
    (optim.ASGD, dict(lr=0.05), ref_asgd),
    (optim.ASGD, dict(lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1), ref_asgd),
    (optim.ASGD, dict(lr=0.05, t0=0, maximize=True), ref_asgd),
]


def _case_id(cls, kwargs):
    return "-".join([cls.__name__] + [f"{k}={v}" for k, v in kwargs.items()])


IDS = [_case_id(cls, kw) for cls, kw, _ in CASES]


@pytest.mark.parametrize(("cls", "kwargs", "ref"), CASES, ids=IDS)
def test_matches_reference(cls, kwargs, ref, device):
    params = make_params(device=device)
    train(params, cls(params, **kwargs), steps=6, device=device)
    expected = reference(ref, 6, [kwargs] * len(params))
    for got, want in zip(values(params), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("cls", "kwargs", "ref"), CASES[::3], ids=IDS[::3])
def test_float32_stays_float32(cls, kwargs, ref):
    params = make_params(ember.float32)
    opt = cls(params, **kwargs)
    train(params, opt, steps=6)
    expected = reference(ref, 6, [kwargs] * len(params))
    for p, want in zip(params, expected):
        assert p.dtype == ember.float32
        np.testing.assert_allclose(p.detach().numpy(), want, rtol=2e-4, atol=2e-5)
    for state in opt.state.values():
        for key, value in state.items():
            assert value.dtype == ember.float32, key
            if key == "step":
                assert value.shape == () and value.item() == 6.0


MINIMIZING = [(cls, kw) for cls, kw, _ in CASES if "maximize" not in kw]


@pytest.mark.parametrize(("cls", "kwargs"), MINIMIZING, ids=[_case_id(*c) for c in MINIMIZING])
def test_maximize_negated_objective_is_minimize(cls, kwargs):
    # maximizing -f must follow exactly the path of minimizing f: negation is exact
    minimized, maximized = make_params(), make_params()
    train(minimized, cls(minimized, **kwargs), steps=4)
    train(maximized, cls(maximized, maximize=True, **kwargs), steps=4, sign=-1.0)
    for a, b in zip(values(minimized), values(maximized)):
        np.testing.assert_array_equal(a, b)


# first steps worked by hand for loss x**2 from x = 1 (so g = 2)
@pytest.mark.parametrize(
    ("cls", "kwargs", "expected"),
    [
        (optim.SGD, dict(lr=0.1), [0.8, 0.64]),
        # momentum: b = 2, x = 0.8; then g = 1.6, b = 0.9 * 2 + 1.6 = 3.4, x = 0.8 - 0.34
        (optim.SGD, dict(lr=0.1, momentum=0.9), [0.8, 0.46]),
        # Adam's first step is lr * g / |g|
        (optim.Adam, dict(lr=0.1), [0.9]),
        # AdamW first shrinks x to 1 - 0.1 * 0.1, then takes Adam's step
        (optim.AdamW, dict(lr=0.1, weight_decay=0.1), [0.89]),
        # v = 0.01 * 4, so the step is 0.01 * 2 / 0.2
        (optim.RMSprop, dict(lr=0.01), [0.9]),
        (optim.Adagrad, dict(lr=0.1), [0.9]),
        # m = 0.2, u = 2, lr / (1 - 0.9) * m / u
        (optim.Adamax, dict(lr=0.1), [0.9]),
        # rho_1 = 1 <= 5: an SGD step on the bias-corrected momentum (= g)
        (optim.RAdam, dict(lr=0.1), [0.8]),
        # v = 0.4, delta = sqrt(1e-6) / sqrt(0.4 + 1e-6) * 2
        (optim.Adadelta, dict(), [1 - 2e-3 / math.sqrt(0.400001)]),
        # the first step is lr; then g = 1.98 keeps its sign, so it grows to 1.2 * lr
        (optim.Rprop, dict(lr=0.01), [0.99, 0.978]),
        # x * (1 - lambd * lr) - lr * g; then eta = lr / (1 + lambd * lr) ** alpha
        (
            optim.ASGD,
            dict(lr=0.1, lambd=0.01, alpha=0.5),
            [0.799, 0.799 * (1 - 0.01 * 0.1 / 1.001**0.5) - 0.1 / 1.001**0.5 * 1.598],
        ),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_hand_computed_steps(cls, kwargs, expected):
    x = ember.tensor(1.0, dtype=ember.float64, requires_grad=True)
    opt = cls([x], **kwargs)
    for want in expected:
        opt.zero_grad()
        (x**2).backward()
        opt.step()
        assert x.item() == pytest.approx(want, rel=1e-7)


# ------------------------------------------------------------------------------ state dicts


def _state_dict_case(cls, kwargs, device="cpu"):
    params = make_params(ember.float32, device)
    return params, cls(params, **kwargs)


@pytest.mark.parametrize(("cls", "kwargs", "ref"), CASES, ids=IDS)
def test_state_dict_resume_is_bit_exact(cls, kwargs, ref, device):
    params, opt = _state_dict_case(cls, kwargs, device)
    train(params, opt, steps=3, device=device)
    saved = copy.deepcopy(opt.state_dict())

    resumed = [ember.tensor(v, device=device, requires_grad=True) for v in values(params)]
    opt2 = cls(resumed, **kwargs)
    opt2.load_state_dict(saved)
    train(params, opt, steps=3, device=device)
    train(resumed, opt2, steps=3, device=device)
    for a, b in zip(values(params), values(resumed)):
        np.testing.assert_array_equal(a, b)


def test_state_dict_format():
    params, opt = _state_dict_case(optim.Adam, dict(lr=0.01, amsgrad=True))
    train(params, opt, steps=2)
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    step = sd["state"][1]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype == ember.float32 and step.item() == 2
    assert sd["state"][0]["exp_avg"].shape == (3, 2)
    (group,) = sd["param_groups"]
    assert group["params"] == [0, 1, 2]
    assert group["lr"] == 0.01 and group["betas"] == (0.9, 0.999) and group["amsgrad"] is True
    # like torch, the state dict holds the optimizer's own tensors
    assert sd["state"][0]["exp_avg"] is opt.state[params[0]]["exp_avg"]


def test_state_dict_indices_run_across_groups():
    W, b, s = make_params()
    opt = optim.SGD([{"params": [W, b]}, {"params": [s], "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.zero_grad()
    ember_loss(W, b, s).backward()
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert sorted(sd["state"]) == [0, 1, 2]
    np.testing.assert_array_equal(sd["state"][2]["momentum_buffer"].numpy(), s.grad.numpy())


def test_load_state_dict_copies_and_casts():
    params, opt = _state_dict_case(optim.Adam, {})
    train(params, opt, steps=2)
    sd = copy.deepcopy(opt.state_dict())
    for state in sd["state"].values():  # as if saved from float64 parameters
        state["exp_avg"] = state["exp_avg"].double()
    sd["param_groups"][0]["lr"] = 0.5

    opt2 = optim.Adam(params)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.5
    assert opt2.param_groups[0]["params"] == params
    loaded = opt2.state[params[0]]
    assert loaded["exp_avg"].dtype == ember.float32
    assert loaded["step"].dtype == ember.float32
    sd["state"][0]["exp_avg_sq"].zero_()  # the optimizer does not share the loaded tensors
    assert loaded["exp_avg_sq"].abs().sum().item() > 0


def test_load_state_dict_checks_groups():
    params, opt = _state_dict_case(optim.SGD, dict(lr=0.1))
    sd = opt.state_dict()
    two_groups = optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two_groups.load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD(params[:2], lr=0.1).load_state_dict(sd)


# --------------------------------------------------------------------------- param groups


def test_param_groups_with_their_own_hyperparameters():
    W, b, s = make_params()
    opt = optim.SGD(
        [{"params": [W]}, {"params": [b, s], "lr": 0.01, "nesterov": True}], lr=0.1, momentum=0.9
    )
    assert opt.param_groups[1]["momentum"] == 0.9  # filled in from the defaults
    train([W, b, s], opt, steps=5)
    per_param = [
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.01, momentum=0.9, nesterov=True),
        dict(lr=0.01, momentum=0.9, nesterov=True),
    ]
    for got, want in zip(values([W, b, s]), reference(ref_sgd, 5, per_param)):
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_add_param_group_and_named_params():
    W, b, s = make_params()
    opt = optim.Adam([("weight", W), ("bias", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    opt.add_param_group({"params": [("scale", s)], "lr": 0.2})
    assert opt.param_groups[1]["lr"] == 0.2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.state_dict()["param_groups"][1]["param_names"] == ["scale"]
    with pytest.raises(ValueError, match="all optimizer params should be with/without names"):
        optim.SGD([("weight", W), b])
    with pytest.raises(ValueError, match="cannot add param group without names"):
        optim.SGD([("weight", W)]).add_param_group({"params": [b]})


def test_zero_grad():
    W, b, s = make_params()
    opt = optim.SGD([W, b, s], lr=0.1)
    ember_loss(W, b, s).backward()
    opt.zero_grad(set_to_none=False)
    assert W.grad is not None and not W.grad.numpy().any()
    opt.zero_grad()
    assert W.grad is None and s.grad is None


def test_step_returns_the_closure_loss():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = ember_loss(*params)
        loss.backward()
        return loss

    with ember.no_grad():  # the closure still runs with gradients enabled
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(ember_loss(*make_params()).item())
    np.testing.assert_allclose(values(params)[2], INIT[2] - 0.1 * 0.4 * INIT[2] ** 3)


def test_parameters_without_grad_are_skipped():
    W, b, s = make_params()
    opt = optim.Adam([W, b, s], lr=0.1)
    (s**2).backward()
    opt.step()
    np.testing.assert_array_equal(W.detach().numpy(), INIT[0])
    assert W not in opt.state and s in opt.state


def test_adagrad_creates_its_state_eagerly():
    W, b, s = make_params()
    opt = optim.Adagrad([W, b, s], initial_accumulator_value=0.25)
    assert sorted(opt.state_dict()["state"]) == [0, 1, 2]
    np.testing.assert_array_equal(opt.state[W]["sum"].numpy(), np.full((3, 2), 0.25))


# ----------------------------------------------------------------------------------- errors


def test_errors():
    W, b, _ = make_params()
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(W, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {W, b}}])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([W, 1.0])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([W * 2], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [W, b]}, {"params": [b]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([W, W], lr=0.1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.SGD(p, weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
        (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
        (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda p: optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
        (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
        (lambda p: optim.Rprop(p, etas=(0.5, 1.0)), "Invalid eta values: 0.5, 1.0"),
        (lambda p: optim.Rprop(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.ASGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    ],
)
def test_invalid_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make(make_params())


def test_required_hyperparameter():
    class Custom(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, dict(lr=lr))

    W = make_params()[0]
    assert Custom([{"params": [W], "lr": 0.1}]).param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="didn't specify a value of required optimization"):
        Custom([W])


def test_repr():
    W = make_params()[0]
    text = repr(optim.SGD([W], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")


# ------------------------------------------------------- torch 2.13's signatures and flags

# Each constructor's parameters after ``params`` as torch 2.13 declares them: positional (P)
# or keyword-only (K), with the default.
P, K = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
_BETAS = (0.9, 0.999)
SIGNATURES = {
    "SGD": [("lr", P, 1e-3), ("momentum", P, 0), ("dampening", P, 0), ("weight_decay", P, 0),
            ("nesterov", P, False), ("maximize", K, False), ("foreach", K, None),
            ("differentiable", K, False), ("fused", K, None)],
    "Adam": [("lr", P, 1e-3), ("betas", P, _BETAS), ("eps", P, 1e-8), ("weight_decay", P, 0),
             ("amsgrad", P, False), ("foreach", K, None), ("maximize", K, False),
             ("capturable", K, False), ("differentiable", K, False), ("fused", K, None),
             ("decoupled_weight_decay", K, False)],
    "AdamW": [("lr", P, 1e-3), ("betas", P, _BETAS), ("eps", P, 1e-8), ("weight_decay", P, 1e-2),
              ("amsgrad", P, False), ("maximize", K, False), ("foreach", K, None),
              ("capturable", K, False), ("differentiable", K, False), ("fused", K, None)],
    "RMSprop": [("lr", P, 1e-2), ("alpha", P, 0.99), ("eps", P, 1e-8), ("weight_decay", P, 0),
                ("momentum", P, 0), ("centered", P, False), ("capturable", P, False),
                ("foreach", P, None), ("maximize", P, False), ("differentiable", P, False)],
    "Adagrad": [("lr", P, 1e-2), ("lr_decay", P, 0), ("weight_decay", P, 0),
                ("initial_accumulator_value", P, 0), ("eps", P, 1e-10), ("foreach", P, None),
                ("maximize", K, False), ("differentiable", K, False), ("fused", K, None)],
    "Adadelta": [("lr", P, 1.0), ("rho", P, 0.9), ("eps", P, 1e-6), ("weight_decay", P, 0),
                 ("foreach", P, None), ("capturable", K, False), ("maximize", K, False),
                 ("differentiable", K, False)],
    "Adamax": [("lr", P, 2e-3), ("betas", P, _BETAS), ("eps", P, 1e-8), ("weight_decay", P, 0),
               ("foreach", P, None), ("maximize", K, False), ("differentiable", K, False),
               ("capturable", K, False)],
    "NAdam": [("lr", P, 2e-3), ("betas", P, _BETAS), ("eps", P, 1e-8), ("weight_decay", P, 0),
              ("momentum_decay", P, 4e-3), ("decoupled_weight_decay", P, False),
              ("foreach", K, None), ("maximize", K, False), ("capturable", K, False),
              ("differentiable", K, False)],
    "RAdam": [("lr", P, 1e-3), ("betas", P, _BETAS), ("eps", P, 1e-8), ("weight_decay", P, 0),
              ("decoupled_weight_decay", P, False), ("foreach", K, None), ("maximize", K, False),
              ("capturable", K, False), ("differentiable", K, False)],
    "Rprop": [("lr", P, 1e-2), ("etas", P, (0.5, 1.2)), ("step_sizes", P, (1e-6, 50)),
              ("capturable", K, False), ("foreach", K, None), ("maximize", K, False),
              ("differentiable", K, False)],
    "ASGD": [("lr", P, 1e-2), ("lambd", P, 1e-4), ("alpha", P, 0.75), ("t0", P, 1e6),
             ("weight_decay", P, 0), ("foreach", P, None), ("maximize", P, False),
             ("differentiable", P, False), ("capturable", P, False)],
    "LBFGS": [("lr", P, 1), ("max_iter", P, 20), ("max_eval", P, None),
              ("tolerance_grad", P, 1e-7), ("tolerance_change", P, 1e-9),
              ("history_size", P, 100), ("line_search_fn", P, None)],
}  # fmt: skip

# The keys of a parameter group, in torch's order (after "params")
GROUP_KEYS = {
    "SGD": "lr momentum dampening weight_decay nesterov maximize foreach differentiable fused",
    "Adam": "lr betas eps weight_decay amsgrad maximize foreach capturable differentiable fused "
    "decoupled_weight_decay",
    "AdamW": "lr betas eps weight_decay amsgrad maximize foreach capturable differentiable fused "
    "decoupled_weight_decay",
    "RMSprop": "lr momentum alpha eps centered weight_decay capturable foreach maximize "
    "differentiable",
    "Adagrad": "lr lr_decay eps weight_decay initial_accumulator_value foreach maximize "
    "differentiable fused",
    "Adadelta": "lr rho eps weight_decay maximize capturable foreach differentiable",
    "Adamax": "lr betas eps weight_decay foreach maximize differentiable capturable",
    "NAdam": "lr betas eps weight_decay momentum_decay decoupled_weight_decay maximize foreach "
    "capturable differentiable",
    "RAdam": "lr betas eps weight_decay maximize foreach capturable decoupled_weight_decay "
    "differentiable",
    "Rprop": "lr etas step_sizes foreach maximize differentiable capturable",
    "ASGD": "lr lambd alpha t0 weight_decay foreach maximize differentiable capturable",
}
FLAGGED = sorted(GROUP_KEYS)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_is_torchs(name):
    params = list(inspect.signature(getattr(optim, name)).parameters.values())
    assert (params[0].name, params[0].kind) == ("params", P)
    assert [(p.name, p.kind, p.default) for p in params[1:]] == SIGNATURES[name]


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_all_positional_parameters_can_be_passed_by_position(name):
    W = make_params()[0]
    spec = [(n, d) for n, kind, d in SIGNATURES[name] if kind == P]
    opt = getattr(optim, name)([W], *[d for _, d in spec])
    for key, default in spec:
        if key != "max_eval":  # LBFGS fills it in from max_iter
            assert opt.param_groups[0][key] == default
    if name == "Adagrad":  # torch.optim.Adagrad(ps, .1, 0, 0, 0, 1e-10, None)
        opt = optim.Adagrad([W], 0.1, 0, 0, 0, 1e-10, None)
        assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["eps"] == 1e-10
    keyword_only = [n for n, kind, _ in SIGNATURES[name] if kind == K]
    if keyword_only:  # one argument past the positional ones is an error, as in torch
        with pytest.raises(TypeError):
            getattr(optim, name)([W], *[d for _, d in spec], False)


@pytest.mark.parametrize("name", FLAGGED)
def test_param_group_keys_and_flag_defaults(name):
    W = make_params()[0]
    opt = getattr(optim, name)([W])
    (group,) = opt.param_groups
    assert list(group) == ["params"] + GROUP_KEYS[name].split()
    assert group["differentiable"] is False
    assert group.get("capturable", False) is False
    saved = opt.state_dict()["param_groups"][0]
    assert saved["differentiable"] is False and saved.get("capturable", False) is False


@pytest.mark.parametrize("flag", ["differentiable", "capturable"])
@pytest.mark.parametrize("name", FLAGGED)
def test_unsupported_flags_raise(name, flag):
    W, b, _ = make_params()
    cls = getattr(optim, name)
    if flag not in GROUP_KEYS[name].split():
        with pytest.raises(TypeError):  # not an argument of this optimizer, as in torch
            cls([W], **{flag: True})
        return
    with pytest.raises(NotImplementedError, match=f"{flag}=True is not supported by ember"):
        cls([W], **{flag: True})
    assert cls([W], **{flag: False}).param_groups[0][flag] is False
    opt = cls([W])  # nor may a parameter group ask for it
    with pytest.raises(NotImplementedError, match=f"{flag}=True"):
        opt.add_param_group({"params": [b], flag: True})
    assert len(opt.param_groups) == 1


def test_state_dict_round_trip_keeps_the_flags():
    params, opt = _state_dict_case(optim.RMSprop, dict(lr=0.01, momentum=0.5))
    train(params, opt, steps=2)
    sd = copy.deepcopy(opt.state_dict())
    assert sd["param_groups"][0]["capturable"] is False
    assert sd["param_groups"][0]["differentiable"] is False
    opt2 = optim.RMSprop(params)
    opt2.load_state_dict(sd)
    assert sorted(opt2.param_groups[0]) == sorted(opt.param_groups[0])
    assert opt2.param_groups[0]["momentum"] == 0.5
    # a state dict from before the flags existed gets them from the defaults
    for group in sd["param_groups"]:
        del group["capturable"], group["differentiable"]
    opt3 = optim.RMSprop(params)
    opt3.load_state_dict(sd)
    assert opt3.param_groups[0]["capturable"] is False
    assert opt3.param_groups[0]["differentiable"] is False


# ------------------------------------------------------------------------------------ LBFGS


def _rosenbrock_problem(dtype=ember.float64, device="cpu"):
    # f(a, c) = sum((1 - a)**2 + 100 * (c - a**2)**2), minimum 0 at a = c = 1
    a = ember.tensor(np.array([-1.2, -0.5]), dtype=dtype, device=device, requires_grad=True)
    c = ember.tensor(np.array([1.0, 0.8]), dtype=dtype, device=device, requires_grad=True)

    def loss():
        u, v = 1 - a, c - a * a
        return (u * u + 100 * v * v).sum()

    return a, c, loss


def _closure(opt, loss):
    def closure():
        opt.zero_grad()
        value = loss()
        value.backward()
        return value

    return closure


@pytest.mark.parametrize("line_search_fn", ["strong_wolfe", None])
def test_lbfgs_minimizes_rosenbrock(line_search_fn, device):
    a, c, loss = _rosenbrock_problem(device=device)
    opt = optim.LBFGS([a, c], max_iter=200, line_search_fn=line_search_fn)
    first = opt.step(_closure(opt, loss))
    assert first.item() == pytest.approx(24.2 + 1.5**2 + 100 * 0.55**2)
    # it stops once the loss changes by less than tolerance_change (1e-9)
    assert loss().item() < 1e-9
    np.testing.assert_allclose(a.detach().cpu().numpy(), [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(c.detach().cpu().numpy(), [1.0, 1.0], atol=1e-4)
    assert opt.state[a]["n_iter"] > 0 and opt.state[a]["func_evals"] >= opt.state[a]["n_iter"]


def test_lbfgs_state_dict_resume():
    a, c, loss = _rosenbrock_problem(ember.float32)
    opt = optim.LBFGS([a, c], max_iter=5, history_size=3, line_search_fn="strong_wolfe")
    opt.step(_closure(opt, loss))
    saved = copy.deepcopy(opt.state_dict())
    assert sorted(saved["state"]) == [0]
    assert len(saved["state"][0]["old_dirs"]) == 3

    a2, c2, loss2 = _rosenbrock_problem(ember.float32)
    a2.data, c2.data = a.detach().clone(), c.detach().clone()
    opt2 = optim.LBFGS([a2, c2], max_iter=5, history_size=3, line_search_fn="strong_wolfe")
    opt2.load_state_dict(saved)
    opt.step(_closure(opt, loss))
    opt2.step(_closure(opt2, loss2))
    np.testing.assert_array_equal(a.detach().numpy(), a2.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), c2.detach().numpy())


def test_lbfgs_one_group_only():
    a, c, _ = _rosenbrock_problem()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [c]}])


def _lbfgs_state(opt, param):
    return opt.state_dict()["state"][0] if param is None else opt.state[param]


@pytest.mark.parametrize("dtype", [ember.float64, ember.float32])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_holds_torchs_entries_as_tensors(dtype, line_search_fn):
    a, c, loss = _rosenbrock_problem(dtype)
    opt = optim.LBFGS([a, c], max_iter=4, history_size=3, line_search_fn=line_search_fn)
    for _ in range(2):
        opt.step(_closure(opt, loss))
    state = opt.state_dict()["state"][0]
    assert list(state) == [
        "func_evals", "n_iter", "al", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
        "prev_flat_grad", "prev_loss",
    ]  # fmt: skip
    assert isinstance(state["func_evals"], int) and isinstance(state["n_iter"], int)
    assert len(state["al"]) == 3  # history_size entries, as torch allocates them
    num_old = len(state["old_dirs"])
    assert 0 < num_old == len(state["old_stps"]) == len(state["ro"]) <= 3
    # ro, al and H_diag are 0-d tensors of the parameters' dtype, not numpy scalars (a
    # np.float64 is a float, which used to slip through unwrapped)
    for value in state["ro"] + state["al"][:num_old] + [state["H_diag"]]:
        assert type(value) is ember.Tensor and value.shape == () and value.dtype == dtype
    assert all(v is None or type(v) is ember.Tensor for v in state["al"])
    for key in ("d", "prev_flat_grad"):
        assert type(state[key]) is ember.Tensor and state[key].shape == (4,)
    assert all(v.shape == (4,) and v.dtype == dtype for v in state["old_dirs"] + state["old_stps"])
    assert type(state["prev_loss"]) is float
    assert type(state["t"]) in (int, float)  # lr, from the second iteration on
    # the coefficients are those of the last direction: H_diag * ro etc. are consistent
    ro0 = 1.0 / float(state["old_dirs"][-1].double() @ state["old_stps"][-1].double())
    assert float(state["ro"][-1]) == pytest.approx(ro0, rel=1e-5)


def test_lbfgs_state_before_any_curvature_pair():
    """After one iteration torch has no ``al`` yet, ``H_diag`` is the int 1, and ``t`` (the
    cautious first step, min(1, 1 / |g|_1) * lr) is a 0-d tensor."""
    x = ember.tensor(np.array([3.0, -2.0, 5.0]), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=1)
    opt.step(_closure(opt, lambda: (x**4).sum()))
    state = opt.state[x]
    assert "al" not in state and state["H_diag"] == 1 and type(state["H_diag"]) is int
    assert state["old_dirs"] == [] and state["ro"] == []
    t = state["t"]
    assert type(t) is ember.Tensor and t.shape == () and t.dtype == ember.float64
    assert t.item() == pytest.approx(1 / (4 * (27 + 8 + 125)))
    opt.step(_closure(opt, lambda: (x**4).sum()))  # the tensor t is read back
    assert state["n_iter"] == 2 and len(state["al"]) == 100 and type(state["ro"][0]) is ember.Tensor


def test_lbfgs_float64_state_dict_resume():
    a, c, loss = _rosenbrock_problem(ember.float64)
    opt = optim.LBFGS([a, c], max_iter=5, history_size=3, line_search_fn="strong_wolfe")
    opt.step(_closure(opt, loss))
    saved = copy.deepcopy(opt.state_dict())
    assert all(type(r) is ember.Tensor for r in saved["state"][0]["ro"])

    a2, c2, loss2 = _rosenbrock_problem(ember.float64)
    a2.data, c2.data = a.detach().clone(), c.detach().clone()
    opt2 = optim.LBFGS([a2, c2], max_iter=5, history_size=3, line_search_fn="strong_wolfe")
    opt2.load_state_dict(saved)
    loaded = opt2.state[a2]
    assert list(loaded) == list(saved["state"][0])
    assert all(type(v) is ember.Tensor and v.dtype == ember.float64 for v in loaded["ro"])
    assert loaded["al"] is not saved["state"][0]["al"]
    opt.step(_closure(opt, loss))
    opt2.step(_closure(opt2, loss2))
    np.testing.assert_array_equal(a.detach().numpy(), a2.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), c2.detach().numpy())


def test_lbfgs_line_search_stops_at_max_eval():
    """torch caps the line search at max_eval - (evaluations so far); with max_iter=1 (so
    max_eval=1) it evaluates once and takes the first trial step, t = 1 / |g|_1."""
    x0 = np.array([30.0, -20.0, 50.0])
    x = ember.tensor(x0, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=1, line_search_fn="strong_wolfe")
    opt.step(_closure(opt, lambda: ((x - 1) ** 2).sum()))
    assert opt.state[x]["func_evals"] == 2
    np.testing.assert_allclose(x.detach().numpy(), x0 - (x0 - 1) / 99, rtol=1e-15)


def test_sgd_update_of_a_large_parameter_is_sliced_but_exact():
    rng = np.random.default_rng(3)
    start = rng.standard_normal(600_001).astype(np.float32)
    grad = rng.standard_normal(600_001).astype(np.float32)
    p = ember.tensor(start, requires_grad=True)
    p.grad = ember.tensor(grad)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()
    expected = start - grad * np.float32(0.1)
    buf = grad * np.float32(0.9) + grad
    expected = expected - buf * np.float32(0.1)
    np.testing.assert_array_equal(p.detach().numpy(), expected)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"amsgrad": True, "weight_decay": 0.1},
        {"maximize": True, "decoupled_weight_decay": True},
    ],
    ids=str,
)
def test_adam_sliced_update_matches_the_formula(options):
    # over 2**18 elements, so the update runs slice by slice
    rng = np.random.default_rng(5)
    x = rng.standard_normal(300_007)
    grads = rng.standard_normal((3, 300_007))
    p = ember.tensor(x.astype(np.float32), requires_grad=True)
    lr, (b1, b2), eps, wd = 0.01, (0.9, 0.999), 1e-8, options.get("weight_decay", 0)
    opt = optim.Adam([p], lr=lr, **options)
    m = v = v_max = 0
    for t, g in enumerate(grads, 1):  # torch.optim.Adam's algorithm, in float64
        p.grad = ember.tensor(g.astype(np.float32))
        opt.step()
        g = -g if options.get("maximize") else g
        if options.get("decoupled_weight_decay"):
            x = x * (1 - lr * wd)
        else:
            g = g + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        second = v_max if options.get("amsgrad") else v
        x = x - lr / (1 - b1**t) * m / (np.sqrt(second) / np.sqrt(1 - b2**t) + eps)
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": 0.9, "nesterov": True},
        {"momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01, "maximize": True},
    ],
)
def test_sgd_sliced_update_matches_the_formula(options):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(300_007)
    grads = rng.standard_normal((3, 300_007))
    p = ember.tensor(x.astype(np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, **options)
    momentum, dampening = options.get("momentum", 0), options.get("dampening", 0)
    buf = None
    for g in grads:  # torch.optim.SGD's algorithm, in float64
        p.grad = ember.tensor(g.astype(np.float32))
        opt.step()
        g = -g if options.get("maximize") else g
        g = g + options.get("weight_decay", 0) * x
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if options.get("nesterov") else buf
        x = x - 0.1 * g
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------ Rprop, ASGD


def test_rprop_state_and_sign_flip():
    x = ember.tensor([1.0, -1.0], dtype=ember.float64, requires_grad=True)
    opt = optim.Rprop([x], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    for grad in ([1.0, 1.0], [1.0, -1.0], [1.0, 3.0], [1.0, 1.0]):
        x.grad = ember.tensor(grad, dtype=ember.float64)
        opt.step()
    state = opt.state[x]
    assert list(state) == ["step", "prev", "step_size"]
    assert state["step"].item() == 4.0 and state["step"].dtype == ember.float32
    # element 0 keeps its sign: 0.1 -> 0.1 -> 0.2 -> 0.3 (capped) -> 0.3
    # element 1 flips at step 2 (no move, prev = 0), then steps with 0.05 -> 0.05 -> 0.1
    np.testing.assert_allclose(state["step_size"].numpy(), [0.3, 0.1])
    np.testing.assert_allclose(state["prev"].numpy(), [1.0, 1.0])
    np.testing.assert_allclose(
        x.detach().numpy(), [1 - 0.1 - 0.2 - 0.3 - 0.3, -1 - 0.1 - 0.05 - 0.1]
    )


def test_asgd_state_and_average():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt = optim.ASGD([x], lr=0.1, lambd=0.0, t0=1)
    iterates = []
    for _ in range(5):
        x.grad = ember.ones(2, dtype=ember.float64)
        opt.step()
        iterates.append(x.detach().numpy().copy())
    state = opt.state[x]
    assert list(state) == ["step", "eta", "mu", "ax"]
    assert all(state[k].shape == () and state[k].dtype == ember.float32 for k in ("eta", "mu"))
    assert state["step"].item() == 5 and state["eta"].item() == pytest.approx(0.1)
    assert state["mu"].item() == pytest.approx(1 / 4)
    # averaging starts at step t0 + 2: ax is the mean of iterates 3, 4 and 5
    np.testing.assert_allclose(state["ax"].numpy(), np.mean(iterates[2:], 0), rtol=1e-7)
    np.testing.assert_allclose(iterates[-1], [0.5, 1.5])


# ----------------------------------------------------------------------------------- hooks


def _hook_problem():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.grad = ember.ones(2)
    return x, optim.SGD([x], lr=0.1)


def test_step_hooks_order_arguments_and_removal():
    x, opt = _hook_problem()
    calls = []

    def record(name):
        return lambda o, args, kwargs: calls.append((name, o, args, dict(kwargs)))

    handles = [
        opt.register_step_post_hook(record("post")),
        optim.optimizer.register_optimizer_step_post_hook(record("global_post")),
        opt.register_step_pre_hook(record("pre")),
        optim.optimizer.register_optimizer_step_pre_hook(record("global_pre")),
    ]
    try:
        closure = lambda: 1.5  # noqa: E731
        assert opt.step(closure=closure) == 1.5
    finally:
        handles[1].remove()
        handles[3].remove()
    # as in torch, args holds every positional argument, the optimizer first
    assert calls == [
        (name, opt, (opt,), {"closure": closure})
        for name in ("global_pre", "pre", "post", "global_post")
    ]
    np.testing.assert_allclose(x.detach().numpy(), [0.9, 1.9], rtol=1e-6)
    calls.clear()
    handles[0].remove()
    opt.step()
    assert [c[0] for c in calls] == ["pre"]
    handles[2].remove()
    opt.step()
    assert len(calls) == 1


def test_step_pre_hook_can_replace_the_arguments():
    _, opt = _hook_problem()
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: ((o, lambda: 7.0), {}))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append((len(args), kwargs)))
    assert opt.step() == 7.0
    assert seen == [(2, {})]
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()


def test_step_hooks_run_once_when_a_step_calls_super_step():
    class Logged(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    x = ember.tensor([1.0], requires_grad=True)
    x.grad = ember.ones(1)
    opt = Logged([x], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    opt.step()
    assert calls == ["pre", "post"] and x.item() == 0.5


def test_lbfgs_runs_step_hooks():
    params = make_params()
    opt = optim.LBFGS(params, max_iter=2)
    calls = []
    with opt.register_step_post_hook(lambda o, args, kwargs: calls.append(args)):

        def closure():
            opt.zero_grad()
            loss = ember_loss(*params)
            loss.backward()
            return loss

        opt.step(closure)
    assert calls == [(opt, closure)]
    opt.step(closure)  # the handle was removed on leaving the with block
    assert len(calls) == 1


def test_state_dict_hooks():
    _, opt = _hook_problem()
    opt.step()
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append(("pre", o)))
    opt.register_state_dict_pre_hook(lambda o: calls.append(("first", o)), prepend=True)

    def add_key(o, sd):
        calls.append(("post", o))
        sd["extra"] = 1  # modified in place, None returned

    opt.register_state_dict_post_hook(add_key)
    sd = opt.state_dict()
    assert calls == [("first", opt), ("pre", opt), ("post", opt)] and sd["extra"] == 1
    handle = opt.register_state_dict_post_hook(lambda o, sd: {"replaced": sd})
    assert sorted(opt.state_dict()) == ["replaced"]
    handle.remove()
    assert "replaced" not in opt.state_dict()


def test_load_state_dict_hooks():
    _, opt = _hook_problem()
    opt.step()
    saved = copy.deepcopy(opt.state_dict())
    _, opt2 = _hook_problem()
    calls = []

    def pre(o, sd):
        calls.append(("pre", o, sd is saved, list(sd)))
        sd["param_groups"] = copy.deepcopy(sd["param_groups"])
        sd["param_groups"][0]["lr"] = 0.25  # the shallow copy: ``saved`` keeps its groups

    def post(o):
        calls.append(("post", o, o.param_groups[0]["lr"]))

    opt2.register_load_state_dict_post_hook(post)
    opt2.register_load_state_dict_pre_hook(pre)
    opt2.register_load_state_dict_pre_hook(lambda o, sd: calls.append("first"), prepend=True)
    opt2.load_state_dict(saved)
    assert calls == ["first", ("pre", opt2, False, ["state", "param_groups"]), ("post", opt2, 0.25)]
    assert saved["param_groups"][0]["lr"] == 0.1
    # a returned dict is what gets loaded
    replacement = copy.deepcopy(saved)
    replacement["param_groups"][0]["lr"] = 0.5
    _, opt3 = _hook_problem()
    handle = opt3.register_load_state_dict_pre_hook(lambda o, sd: replacement)
    opt3.load_state_dict(saved)
    assert opt3.param_groups[0]["lr"] == 0.5
    handle.remove()
    opt3.load_state_dict(saved)
    assert opt3.param_groups[0]["lr"] == 0.1
