"""ember.amp: autocast's output dtypes per policy (torch's CPU and CUDA lists), nesting,
disabling, the decorator form, gradient dtypes and the cast cache; GradScaler's scaling,
unscaling, skipped steps and scale updates against hand-computed sequences, on every backend
(the ``device`` fixture). ember.cuda: its queries, seeding and the deprecated ``cuda.amp``
spellings."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn, optim
from ember.amp import GradScaler, autocast
from ember.amp import autocast_mode as amp_mode

_NEEDS_CUDA = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"),
]


def randn(*shape, dtype=ember.float32, requires_grad=False, device="cpu"):
    return ember.randn(*shape, device=device).to(dtype).requires_grad_(requires_grad)


def tensor(values, device):
    return ember.tensor(values, device=device)


LOWER = {
    "matmul": lambda a, b: a @ b,
    "mm": ember.mm,
    "linear": lambda a, b: F.linear(a, b),
    "bmm": lambda a, b: ember.bmm(a[None], b[None]),
    "conv2d": lambda a, b: F.conv2d(a[None, None], b[None, None]),
}


@pytest.mark.parametrize("name", sorted(LOWER))
@pytest.mark.parametrize("dtype", [ember.float32, ember.float16])
def test_lower_precision_ops_run_in_float16(name, dtype, device):
    a, b = randn(4, 4, dtype=dtype, device=device), randn(4, 4, device=device)
    with autocast(device):
        out = LOWER[name](a, b)
        assert out.dtype == ember.float16 and out.device.type == device
    expected = LOWER[name](a.double(), b.double())
    np.testing.assert_allclose(
        out.double().cpu().numpy(), expected.cpu().numpy(), rtol=1e-2, atol=2e-2
    )
    if dtype == ember.float32:
        assert LOWER[name](a, b).dtype == ember.float32  # outside the region: as written


# float16 inputs: the dtype each operation gives inside an autocast region of the device type
# (torch's lists: softmax, layer_norm, exp, log, pow and sum are float32 on CUDA only)
_F16, _F32 = ember.float16, ember.float32
FP32_OPS = {
    "mse_loss": (lambda a, b, i: F.mse_loss(a, b), _F32, _F32),
    "l1_loss": (lambda a, b, i: F.l1_loss(a, b), _F32, _F32),
    "cross_entropy": (lambda a, b, i: F.cross_entropy(a, i), _F32, _F32),
    "nll_loss": (lambda a, b, i: F.nll_loss(a, i), _F32, _F32),
    "prod": (lambda a, b, i: ember.prod(a), _F32, _F32),
    "softmax": (lambda a, b, i: F.softmax(a, 0), _F16, _F32),
    "softmax_dtype_none": (lambda a, b, i: F.softmax(a, 0, None), _F16, _F32),
    "softmax_dtype_given": (lambda a, b, i: F.softmax(a, 0, _F16), _F16, _F16),
    "softmin": (lambda a, b, i: F.softmin(a, 0), _F16, _F32),  # (softmax, dtype by position)
    "log_softmax": (lambda a, b, i: F.log_softmax(a, 1), _F16, _F32),
    "layer_norm": (lambda a, b, i: F.layer_norm(a, (4,)), _F16, _F32),
    "exp": (lambda a, b, i: a.exp(), _F16, _F32),
    "log": (lambda a, b, i: ember.log(a.abs()), _F16, _F32),
    "pow": (lambda a, b, i: a.pow(2), _F16, _F32),
    "sum": (lambda a, b, i: a.sum(), _F16, _F32),
    "cumsum": (lambda a, b, i: a.cumsum(0), _F16, _F32),
    "softplus": (lambda a, b, i: F.softplus(a), _F16, _F32),
    "relu": (lambda a, b, i: F.relu(a), _F16, _F16),  # on no list: as written
}


def test_float32_ops(device):
    a, b = randn(4, 4, dtype=_F16, device=device), randn(4, 4, dtype=_F16, device=device)
    i = tensor([0, 1, 2, 3], device)
    column = 1 if device == "cuda" else 0
    with autocast(device):
        for name, (op, *dtypes) in FP32_OPS.items():
            out = op(a, b, i)
            assert out.dtype == dtypes[column], name
            assert out.device.type == device, name
        if device == "cuda":  # torch bans it on CUDA only
            with pytest.raises(RuntimeError, match="are unsafe to autocast"):
                F.binary_cross_entropy(a.sigmoid(), b.sigmoid())
        else:
            assert F.binary_cross_entropy(a.sigmoid(), b.sigmoid()).dtype == _F32
    # the float32 results are those of float32 inputs
    with autocast(device):
        loss = F.mse_loss(a, b)
    assert loss.item() == pytest.approx(F.mse_loss(a.float(), b.float()).item(), rel=1e-6)


def test_as_written_operations_run_their_inner_operations_uncast(device):
    # torch's mean, var, ... are unlisted kernels: their results keep float16, where Ember's,
    # composed of sums, would otherwise take the float32 of CUDA's set_opt_dtype sum
    a = randn(4, 4, dtype=_F16, device=device)
    with autocast(device):
        for op in (ember.mean, ember.nansum, ember.nanmean, ember.var, ember.std):
            assert op(a).dtype == _F16, op.__name__
        assert a.mean(0).dtype == _F16 and a.std(1).dtype == _F16
        assert all(t.dtype == _F16 for t in (*ember.var_mean(a), *ember.std_mean(a)))
        assert (a.sum() / a.numel()).dtype == (_F32 if device == "cuda" else _F16)
        assert ember.sum(a).dtype == (_F32 if device == "cuda" else _F16)  # the mark is undone


def test_promote_ops_take_the_widest_type(device):
    half, single = randn(2, 3, dtype=_F16, device=device), randn(2, 3, device=device)
    with autocast(device):
        assert ember.cat([half, single]).dtype == ember.float32
        assert ember.stack([half, half]).dtype == ember.float16
        assert ember.stack([half, single]).dtype == ember.float32
        if device == "cuda":  # promoted on CUDA only, as in torch
            assert ember.addcmul(half, half, single).dtype == ember.float32
            assert ember.atan2(half, single).dtype == ember.float32


def test_float64_and_integer_inputs_are_not_cast(device):
    a = randn(3, 3, dtype=ember.float64, device=device)
    with autocast(device):
        assert (a @ a).dtype == ember.float64
        i = ember.arange(9, device=device).reshape(3, 3)
        assert (i @ i).dtype == ember.int64
        if device == "cuda":
            assert ember.exp(a).dtype == ember.float64


@pytest.mark.parametrize("region", [pytest.param(d, marks=_NEEDS_CUDA) for d in ("cpu", "cuda")])
def test_a_region_casts_only_its_device_type(region):
    other = "cuda" if region == "cpu" else "cpu"
    mine, theirs = randn(3, 3, device=region), randn(3, 3, device=other)
    with autocast(region):
        assert (mine @ mine).dtype == ember.float16
        assert (theirs @ theirs).dtype == ember.float32
        assert ember.is_autocast_enabled(region) and not ember.is_autocast_enabled(other)


def test_state_queries_nesting_and_disabling():
    assert not ember.is_autocast_enabled("cpu")
    assert ember.get_autocast_dtype("cpu") == ember.float16
    a = randn(2, 2)
    with autocast("cpu"):
        assert ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled("cuda")
        with autocast("cpu", enabled=False):
            assert not ember.is_autocast_enabled("cpu")
            assert (a @ a).dtype == ember.float32
        assert ember.is_autocast_enabled("cpu")
        assert (a @ a).dtype == ember.float16
    assert not ember.is_autocast_enabled("cpu")
    assert amp_mode._regions == 0
    assert ember.amp.autocast is ember.autocast


def test_decorator_form():
    @autocast("cpu")
    def f(a):
        assert ember.is_autocast_enabled("cpu")
        return a @ a

    assert f(randn(2, 2)).dtype == ember.float16
    assert not ember.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="requires a callable"):
        autocast("cpu")(3)


def test_unsupported_dtype_and_device():
    with pytest.warns(UserWarning, match="CPU Autocast only supports dtypes of ember.float16"):
        region = autocast("cpu", dtype=ember.float64)
    with region:
        assert not ember.is_autocast_enabled("cpu")
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        autocast("tpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        autocast(ember.device("cpu"))
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            assert not autocast("cuda")._enabled


def test_gradients_flow_back_in_input_dtypes(device):
    x = randn(3, 4, requires_grad=True, device=device)
    w = randn(5, 4, requires_grad=True, device=device)
    with autocast(device):
        y = F.linear(x, w)
        loss = F.mse_loss(y, ember.zeros(3, 5, device=device))
    assert y.dtype == ember.float16 and loss.dtype == ember.float32
    loss.backward()
    assert x.grad.dtype == ember.float32 and w.grad.dtype == ember.float32
    assert x.grad.device.type == w.grad.device.type == device
    xs, ws = x.detach().cpu().numpy(), w.detach().cpu().numpy()
    y16 = xs.astype(np.float16) @ ws.astype(np.float16).T
    gy = (2 * y16.astype(np.float32) / y16.size).astype(np.float16)
    np.testing.assert_allclose(
        x.grad.cpu().numpy(), gy @ ws.astype(np.float16), rtol=1e-2, atol=1e-3
    )


def test_weight_casts_are_cached_within_the_region(device):
    w = randn(4, 4, requires_grad=True, device=device)
    x = randn(2, 4, device=device)
    with autocast(device):
        (x @ w).sum()
        (x @ w).sum()
        assert len(amp_mode._state.cache) == 1
    assert not amp_mode._state.cache
    with autocast(device, cache_enabled=False):
        (x @ w).sum()
        assert not amp_mode._state.cache


def test_module_under_autocast_trains(device):
    model = nn.Linear(4, 2).to(device)
    with autocast(device):
        out = model(randn(3, 4, device=device))
    assert out.dtype == ember.float16 and out.device.type == device
    out.float().sum().backward()
    assert model.weight.grad.dtype == ember.float32
    assert model.weight.grad.device.type == device


# ---------------------------------------------------------------- GradScaler


def make_step(device="cpu"):
    p = ember.zeros(2, requires_grad=True, device=device)
    opt = optim.SGD([p], lr=1.0)
    return p, opt


def run_iteration(scaler, p, opt, grad_value):
    loss = (p * tensor(grad_value, p.device)).sum()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()


def test_grad_scaler_scale_unscale_and_step(device):
    p, opt = make_step(device)
    scaler = GradScaler(device, init_scale=8.0)
    loss = (p * tensor([1.0, 2.0], device)).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == 0.0 and scaler.get_scale() == 8.0
    assert scaled.device.type == scaler._scale.device.type == device
    scaled.backward()
    assert p.grad.tolist() == [8.0, 16.0]
    scaler.unscale_(opt)
    assert p.grad.tolist() == [1.0, 2.0] and p.grad.device.type == device
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    assert p.tolist() == [-1.0, -2.0]
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 8.0 and scaler._get_growth_tracker() == 1


def test_grad_scaler_skips_inf_steps_and_updates_scale(device):
    scaler = GradScaler(device, init_scale=4.0, growth_factor=3.0, backoff_factor=0.25,
                        growth_interval=2)  # fmt: skip
    p, opt = make_step(device)
    sequence = [1.0, float("inf"), 1.0, 1.0, float("nan"), 1.0, 1.0, 1.0]
    scales, trackers, params = [], [], []
    for g in sequence:
        run_iteration(scaler, p, opt, [g, 1.0])
        scales.append(scaler.get_scale())
        trackers.append(scaler._get_growth_tracker())
        params.append(p.tolist()[1])
    # clean: tracker+1, grows x3 and resets at 2; inf/nan: x0.25, reset, step skipped
    assert scales == [4.0, 1.0, 1.0, 3.0, 0.75, 0.75, 2.25, 2.25]
    assert trackers == [1, 0, 1, 0, 0, 1, 0, 1]
    assert params == [-1.0, -1.0, -2.0, -3.0, -3.0, -4.0, -5.0, -6.0]


def test_grad_scaler_growth_stops_at_float32_overflow(device):
    scaler = GradScaler(device, init_scale=3e38, growth_interval=1)
    p, opt = make_step(device)
    run_iteration(scaler, p, opt, [0.0, 0.0])
    assert scaler.get_scale() == np.float32(3e38) and scaler._get_growth_tracker() == 0


def test_grad_scaler_state_dict_and_disabled(device):
    scaler = GradScaler(device, init_scale=16.0, growth_interval=3)
    p, opt = make_step(device)
    run_iteration(scaler, p, opt, [1.0, 1.0])
    state = scaler.state_dict()
    assert state == {
        "scale": 16.0,
        "growth_factor": 2.0,
        "backoff_factor": 0.5,
        "growth_interval": 3,
        "_growth_tracker": 1,
    }
    other = GradScaler(device)
    other.load_state_dict(state)
    assert other.get_scale() == 16.0 and other._get_growth_tracker() == 1
    other.scale(p.sum())  # the loaded state on the device of what it scales
    assert other._scale.device.type == device and other._growth_tracker.item() == 1
    other.update(ember.full((), 4.0, device=device))
    assert other.get_scale() == 4.0
    disabled = GradScaler(device, enabled=False)
    assert not disabled.is_enabled() and disabled.state_dict() == {}
    assert disabled.scale(p) is p and disabled.get_scale() == 1.0
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        other.load_state_dict({})


def test_grad_scaler_errors(device):
    with pytest.raises(AssertionError, match=r"The growth factor must be > 1\.0\."):
        GradScaler(device, growth_factor=1.0)
    with pytest.raises(AssertionError, match=r"The backoff factor must be < 1\.0\."):
        GradScaler(device, backoff_factor=1.0)
    scaler = GradScaler(device)
    _, opt = make_step(device)
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    half = ember.zeros(2, dtype=ember.float16, requires_grad=True, device=device)
    half.grad = ember.ones(2, dtype=ember.float16, device=device)
    scaler.scale(ember.ones((), device=device))
    with pytest.raises(ValueError, match=r"Attempting to unscale FP16 gradients\."):
        scaler.unscale_(optim.SGD([half], lr=1.0))
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)
    scaled = scaler.scale([ember.ones(1, device=device), (ember.ones(1, device=device),)])
    assert scaled[1][0].item() == 2.0**16 and scaled[1][0].device.type == device
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            assert not GradScaler().is_enabled()


def test_mixed_precision_training_loop(device):
    """autocast and GradScaler together, as torch's recipe: float16 activations, float32
    master weights and gradients on the device, one overflowing step skipped on the way."""
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.05)
    scaler = GradScaler(device, init_scale=2.0**10)
    x = randn(64, 8, device=device)
    y = x.sum(1, keepdim=True)
    losses = []
    for step in range(30):
        with autocast(device):
            out = model(x)
            loss = F.mse_loss(out, y)
        assert out.dtype == ember.float16 and loss.dtype == ember.float32
        scaled = scaler.scale(loss if step != 5 else loss * float("inf"))
        scaled.backward()
        assert all(p.grad.dtype == ember.float32 for p in model.parameters())
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        losses.append(loss.item())
    assert scaler.get_scale() == 2.0**9  # halved once, by the overflowing step
    assert all(p.device.type == device for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------- ember.cuda


@pytest.mark.skipif(ember.cuda.is_available(), reason="the behaviour without a GPU")
def test_cuda_module_without_a_gpu():
    assert not ember.cuda.is_available() and ember.cuda.device_count() == 0
    ember.cuda.synchronize()  # no-ops, as torch's lazy calls
    ember.cuda.manual_seed(0)
    with pytest.raises(RuntimeError, match="No CUDA GPUs are available"):
        ember.cuda.current_device()
    with pytest.raises(RuntimeError, match="No CUDA GPUs are available"):
        ember.cuda.get_rng_state()
    deprecated = r"`torch.cuda.amp.autocast\(args...\)` is deprecated"
    with pytest.warns(FutureWarning, match=deprecated), pytest.warns(UserWarning, match="CUDA"):
        assert not ember.cuda.amp.autocast()._enabled


@pytest.mark.parametrize("_", [pytest.param(None, marks=_NEEDS_CUDA)])
def test_cuda_module_on_a_gpu(_):
    assert ember.cuda.is_available() and ember.cuda.device_count() >= 1
    assert ember.cuda.current_device() == 0
    for device in (None, 0, "cuda", "cuda:0", ember.device("cuda", 0)):
        ember.cuda.synchronize(device)
    # seeding reproduces the CUDA streams: ember.cuda.manual_seed and ember.manual_seed alike
    draws = []
    for seed in (ember.cuda.manual_seed, ember.manual_seed, ember.cuda.manual_seed):
        seed(7)
        draws.append(ember.randn(5, device="cuda").tolist())
    assert draws[0] == draws[1] == draws[2]
    ember.cuda.manual_seed(8)
    assert ember.randn(5, device="cuda").tolist() != draws[0]
    # a saved state replays the draws that follow it
    state = ember.cuda.get_rng_state()
    after = ember.randn(5, device="cuda").tolist()
    ember.cuda.set_rng_state(state)
    assert ember.randn(5, device="cuda").tolist() == after
    # the deprecated spellings: a warning, then torch.amp's objects for CUDA
    with pytest.warns(FutureWarning, match=r"`torch.cuda.amp.autocast\(args...\)` is deprecated"):
        region = ember.cuda.amp.autocast()
    a = randn(2, 2, device="cuda")
    with region:
        assert ember.is_autocast_enabled("cuda") and (a @ a).dtype == ember.float16
    with pytest.warns(FutureWarning, match=r"`torch.cuda.amp.GradScaler\(args...\)` is deprec"):
        scaler = ember.cuda.amp.GradScaler(init_scale=4.0)
    assert scaler.is_enabled() and scaler.scale(a.sum()).device.type == "cuda"
