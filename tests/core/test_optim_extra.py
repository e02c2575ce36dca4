"""ember.optim's Adafactor, SparseAdam and Muon: each against a numpy transcription of torch's
documented algorithm, hand-computed values, state and state-dict round trips, and torch's
errors."""

import copy
import math
import re

import numpy as np
import pytest

import ember
from ember import optim

SHAPES = [(3, 4), (2, 3, 4), (5,), ()]


def _params(shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [ember.nn.Parameter(ember.tensor(rng.standard_normal(s).astype(dtype))) for s in shapes]


def _grads(shapes, steps, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]


def _run(opt, params, grads):
    """Step ``opt`` once per entry of ``grads`` (one array, or None, per parameter)."""
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else ember.tensor(g.copy())
        opt.step()
    return [p.detach().numpy().copy() for p in params]


def _round_trip(make, shapes, grads, dtype=np.float64):
    """Train ``len(grads)`` steps at once, and again with the optimizer rebuilt from a copy of
    its state dict half way: the results must be identical."""
    params = _params(shapes, dtype)
    whole = _run(make(params), params, grads)
    params = _params(shapes, dtype)
    opt = make(params)
    _run(opt, params, grads[:2])
    saved = copy.deepcopy(opt.state_dict())
    opt = make(params)
    opt.load_state_dict(saved)
    resumed = _run(opt, params, grads[2:])
    for a, b in zip(whole, resumed):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------ Adafactor


def ref_adafactor(
    x, g, s, t, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False
):
    """torch's documented Adafactor step for one float64 parameter ``x`` at step ``t``."""
    eps1 = np.finfo(np.float64).eps if eps[0] is None else eps[0]
    g = -g if maximize else g
    beta2 = 1 - t**beta2_decay
    rho = min(lr, 1 / math.sqrt(t))
    alpha = max(eps[1], np.sqrt(np.mean(x**2))) * rho
    x = x * (1 - lr * weight_decay)
    if g.ndim > 1:
        s["R"] = beta2 * s.get("R", 0) + (1 - beta2) * np.mean(g**2, axis=-1, keepdims=True)
        s["C"] = beta2 * s.get("C", 0) + (1 - beta2) * np.mean(g**2, axis=-2, keepdims=True)
        v = s["R"] * s["C"] / np.maximum(np.mean(s["R"], axis=-2, keepdims=True), eps1)
    else:
        v = s["V"] = beta2 * s.get("V", 0) + (1 - beta2) * g**2
    u = g / np.maximum(np.sqrt(v), eps1)
    return x - alpha * u / max(1.0, np.sqrt(np.mean(u**2)) / d)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(lr=0.1, weight_decay=0.1, maximize=True),
        dict(beta2_decay=-0.5, eps=(1e-3, 1e-2), d=1.5),
    ],
)
def test_adafactor_matches_reference(kwargs):
    params = _params(SHAPES)
    grads = _grads(SHAPES, 5)
    got = _run(optim.Adafactor(params, **kwargs), params, grads)
    for i, shape in enumerate(SHAPES):
        x, state = _params(SHAPES)[i].detach().numpy(), {}
        for t, step_grads in enumerate(grads, 1):
            x = ref_adafactor(x, step_grads[i], state, t, **kwargs)
        np.testing.assert_allclose(got[i], x, rtol=1e-12, atol=1e-14, err_msg=str(shape))


def test_adafactor_first_step_by_hand():
    # t = 1: beta2 = 0, so V = g**2 and U = sign(g) (|g| > eps1): RMS(U) = 1 <= d, and
    # alpha = max(1e-3, RMS(x)) * min(lr, 1) = 0.5 * 0.01 for x = (0.5, -0.5)
    p = ember.nn.Parameter(ember.tensor([0.5, -0.5], dtype=ember.float64))
    p.grad = ember.tensor([3.0, -0.25], dtype=ember.float64)
    optim.Adafactor([p]).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.5 - 0.005, -0.5 + 0.005], rtol=1e-15)


def test_adafactor_state():
    params = _params(SHAPES, np.float32)
    opt = optim.Adafactor(params)
    _run(opt, params, _grads(SHAPES, 2, np.float32))
    shapes = [{k: tuple(v.shape) for k, v in opt.state[p].items()} for p in params]
    assert shapes == [
        {"step": (), "row_var": (3, 1), "col_var": (1, 4)},
        {"step": (), "row_var": (2, 3, 1), "col_var": (2, 1, 4)},
        {"step": (), "variance": (5,)},
        {"step": (), "variance": ()},
    ]
    assert all(opt.state[p]["row_var"].dtype == ember.float32 for p in params[:2])
    assert opt.state[params[0]]["step"].item() == 2.0
    defaults = dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0)
    assert opt.defaults == dict(defaults, foreach=None, maximize=False)


def test_adafactor_state_dict_round_trip():
    _round_trip(lambda p: optim.Adafactor(p, lr=0.05, weight_decay=0.1), SHAPES, _grads(SHAPES, 5))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
        (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
        (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
        (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
        (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
        (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1"),
    ],
)
def test_adafactor_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.Adafactor(_params([(2,)]), **kwargs)


def test_adafactor_refuses_complex():
    p = ember.nn.Parameter(ember.tensor([1 + 1j, 2]))
    p.grad = ember.tensor([1 + 0j, 1])
    with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
        optim.Adafactor([p]).step()


# ----------------------------------------------------------------------------- SparseAdam


def test_sparse_adam_updates_touched_rows_only():
    # rows 0 and 2 touched at every step, row 1 at the first only: row 1 keeps its value
    # and moments afterwards, row 3 never moves; touched rows take Adam's step with t
    # counting the optimizer's steps
    params = _params([(4, 3)])
    x0 = params[0].detach().numpy().copy()
    grads = _grads([(4, 3)], 4)
    for i, (g,) in enumerate(grads):
        g[3] = 0.0
        if i:
            g[1] = 0.0
    kwargs = dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6)
    opt = optim.SparseAdam(params, **kwargs)
    (got,) = _run(opt, params, grads)
    m, v, x = np.zeros_like(x0), np.zeros_like(x0), x0.copy()
    for t, (g,) in enumerate(grads, 1):
        rows = np.flatnonzero(g.any(axis=1))
        m[rows] = 0.8 * m[rows] + 0.2 * g[rows]
        v[rows] = 0.9 * v[rows] + 0.1 * g[rows] ** 2
        step_size = 0.01 * math.sqrt(1 - 0.9**t) / (1 - 0.8**t)
        x[rows] -= step_size * m[rows] / (np.sqrt(v[rows]) + 1e-6)
    np.testing.assert_allclose(got, x, rtol=1e-13)
    np.testing.assert_array_equal(got[3], x0[3])
    state = opt.state[params[0]]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
    assert state["step"] == 4 and isinstance(state["step"], int)
    np.testing.assert_allclose(state["exp_avg"].numpy(), m, rtol=1e-13)
    np.testing.assert_array_equal(state["exp_avg_sq"].numpy()[3], 0.0)


def test_sparse_adam_first_step_by_hand():
    # t = 1: m = 0.1 g, v = 0.001 g**2, step size = lr * sqrt(0.001) / 0.1, so each touched
    # entry moves by lr * sign(g) (up to eps); a 1-D parameter's rows are its entries
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64))
    p.grad = ember.tensor([4.0, 0.0, -0.5], dtype=ember.float64)
    optim.SparseAdam([p], lr=0.1, eps=1e-12).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 2.0, 3.1], rtol=1e-9)


def test_sparse_adam_maximize_and_scalar_parameter():
    p = ember.nn.Parameter(ember.tensor(1.0, dtype=ember.float64))
    p.grad = ember.tensor(2.0, dtype=ember.float64)
    optim.SparseAdam([p], lr=0.1, eps=1e-12, maximize=True).step()
    assert p.item() == pytest.approx(1.1, rel=1e-9)


def test_sparse_adam_trains_an_embedding():
    emb = ember.nn.Embedding(6, 2, sparse=True)
    before = emb.weight.detach().numpy().copy()
    opt = optim.SparseAdam(emb.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        emb(ember.tensor([[1, 4], [4, 1]])).pow(2).sum().backward()
        opt.step()
    after = emb.weight.detach().numpy()
    untouched = [0, 2, 3, 5]
    np.testing.assert_array_equal(after[untouched], before[untouched])
    assert np.all(np.abs(after[[1, 4]]) < np.abs(before[[1, 4]]))


def test_sparse_adam_state_dict_round_trip():
    grads = _grads(SHAPES, 5)
    for g in grads:
        g[0][1] = 0.0
    _round_trip(lambda p: optim.SparseAdam(p, lr=0.05), SHAPES, grads)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=0.0), "Invalid learning rate: 0.0"),
        (dict(eps=0.0), "Invalid epsilon value: 0.0"),
        (dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ],
)
def test_sparse_adam_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.SparseAdam(_params([(2,)]), **kwargs)


def test_sparse_adam_refuses_complex():
    params = [ember.nn.Parameter(ember.zeros(2)), ember.nn.Parameter(ember.tensor([1j]))]
    with pytest.raises(ValueError, match=r"Complex params at indices \[\[0, 1\]\]"):
        optim.SparseAdam(params)


# ----------------------------------------------------------------------------------- Muon


def _bf16(x):
    """Round to bfloat16's 8 significant bits, to nearest even (np.round's rule): written
    through frexp, independently of ember's bit manipulation."""
    x = np.asarray(x, dtype=np.float32)
    mantissa, exponent = np.frexp(x)
    return np.ldexp(np.round(mantissa * 256) / 256, exponent).astype(np.float32)


def ref_newton_schulz(g, steps=5, a=3.4445, b=-4.7750, c=2.0315, eps=1e-7):
    """torch's orthogonalisation, in bfloat16: every operation's result rounded."""
    x = _bf16(g)
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = _bf16(x / max(_bf16(np.sqrt(np.sum(x * x))), _bf16(eps)))
    for _ in range(steps):
        gram = _bf16(x @ x.T)
        x = _bf16(a * x + _bf16(b * gram + c * (gram @ gram)) @ x)
    return x.T if tall else x


def test_bfloat16_rounding_by_hand():
    from ember.optim.muon import _round_bfloat16

    ulp = 2.0**-7  # bfloat16's spacing in [1, 2)
    values = [1 + ulp / 2, 1 + 1.5 * ulp, 1 + ulp / 2 + 2**-20, -(1 + 1.5 * ulp), 3.0, 0.0]
    expected = [1.0, 1 + 2 * ulp, 1 + ulp, -(1 + 2 * ulp), 3.0, 0.0]
    got = _round_bfloat16(np.array(values, dtype=np.float32))
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, _bf16(values))
    special = _round_bfloat16(np.array([np.inf, -np.inf, np.nan, 3.4e38], dtype=np.float32))
    assert np.isposinf(special[0]) and np.isneginf(special[1]) and np.isnan(special[2])
    assert np.isposinf(special[3])  # beyond bfloat16's largest finite value


@pytest.mark.parametrize("nesterov", [True, False])
def test_muon_matches_reference(nesterov):
    shapes = [(4, 6), (7, 3)]
    params = _params(shapes, np.float32)
    grads = _grads(shapes, 3, np.float32)
    lr, momentum, weight_decay = 0.02, 0.9, 0.1
    got = _run(optim.Muon(params, lr, weight_decay, momentum, nesterov), params, grads)
    for i, (rows, cols) in enumerate(shapes):
        x = _params(shapes, np.float32)[i].detach().numpy()
        buf = np.zeros_like(x)
        for step_grads in grads:
            g = step_grads[i]
            buf = momentum * buf + (1 - momentum) * g
            u = g + momentum * (buf - g) if nesterov else buf
            x = x * (1 - lr * weight_decay)
            x = x - lr * math.sqrt(max(1, rows / cols)) * ref_newton_schulz(u)
        np.testing.assert_allclose(got[i], x, rtol=1e-5, atol=1e-6)


def test_muon_orthogonalises():
    # the quintic pushes every singular value into roughly [0.7, 1.1] in five steps
    from ember.optim.muon import _zeropower_via_newtonschulz

    for shape in [(8, 16), (16, 8)]:
        g = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        s = np.linalg.svd(_zeropower_via_newtonschulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7))[1]
        assert s.min() > 0.6 and s.max() < 1.2


@pytest.mark.parametrize(
    "adjust_lr_fn, ratio", [(None, 2.0), ("original", 2.0), ("match_rms_adamw", 0.2 * 8**0.5)]
)
def test_muon_adjust_lr(adjust_lr_fn, ratio):
    # momentum 0, no weight decay: the step is -lr * ratio * NS(g) for an 8 x 2 matrix
    (p,) = _params([(8, 2)], np.float32)
    x0 = p.detach().numpy().copy()
    g = _grads([(8, 2)], 1, np.float32)[0][0]
    p.grad = ember.tensor(g)
    opt = optim.Muon([p], lr=0.1, weight_decay=0, momentum=0, adjust_lr_fn=adjust_lr_fn)
    opt.step()
    np.testing.assert_allclose(
        p.detach().numpy(), x0 - 0.1 * ratio * ref_newton_schulz(g), rtol=1e-6, atol=1e-7
    )
    assert list(opt.state[p]) == ["momentum_buffer"]


def test_muon_state_dict_round_trip():
    shapes = [(4, 6), (5, 5)]
    _round_trip(lambda p: optim.Muon(p, lr=0.05), shapes, _grads(shapes, 5, np.float32), np.float32)


def test_muon_errors():
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters whereas we found"):
        optim.Muon(_params([(2, 2), (3,)]))
    with pytest.raises(ValueError, match="Learning rate should be >= 0 but is: -1"):
        optim.Muon(_params([(2, 2)]), lr=-1)
    with pytest.raises(ValueError, match=r"momentum should be >= 0 but is: -0\.5"):
        optim.Muon(_params([(2, 2)]), momentum=-0.5)
    with pytest.raises(ValueError, match="weight decay should be >= 0 but is: -1"):
        optim.Muon(_params([(2, 2)]), weight_decay=-1)
    with pytest.raises(ValueError, match="Adjust learning rate function spectral is not"):
        optim.Muon(_params([(2, 2)]), adjust_lr_fn="spectral")
    params = _params([(2, 2)])
    params[0].grad = ember.ones(2, 2, dtype=ember.float64)
    with pytest.raises(ValueError, match="Number of steps must be less than 100"):
        optim.Muon(params, ns_steps=100).step()
    with pytest.raises(ValueError, match="Coefficients must be a tuple of exactly 3 values"):
        optim.Muon(params, ns_coefficients=(1.0, 2.0)).step()
    # only the constructor checks the parameters' shapes, as in torch
    opt = optim.Muon(params)
    opt.add_param_group({"params": _params([(4,)])})
    opt.param_groups[1]["params"][0].grad = ember.ones(4, dtype=ember.float64)
    with pytest.raises(ValueError, match="Param gradient must be a 2D matrix"):
        opt.step()


def test_registered_in_optim():
    for name in ("Adafactor", "SparseAdam", "Muon"):
        assert name in optim.__all__ and issubclass(getattr(optim, name), optim.Optimizer)


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [
        ("Adafactor", {}, [(3, 4), (5,), ()]),
        ("SparseAdam", {}, [(6, 3), (5,)]),
        ("Muon", {}, [(4, 6), (7, 3)]),
        ("Muon", dict(nesterov=False, adjust_lr_fn="match_rms_adamw"), [(5, 5)]),
    ],
)
def test_cuda_matches_cpu(name, kwargs, shapes):
    results = []
    for device in ("cpu", "cuda"):
        rng = np.random.default_rng(1)
        params = [
            ember.nn.Parameter(
                ember.tensor(rng.standard_normal(s).astype(np.float32), device=device)
            )
            for s in shapes
        ]
        opt = getattr(optim, name)(params, **kwargs)
        for _ in range(4):
            for p, s in zip(params, shapes):
                g = rng.standard_normal(s).astype(np.float32)
                if name == "SparseAdam":
                    g[1::2] = 0
                p.grad = ember.tensor(g, device=device)
            opt.step()
        results.append([p.detach().cpu().numpy() for p in params])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
