"""ember.amp: autocast's output dtypes per policy, nesting, disabling, the decorator form,
gradient dtypes and the cast cache; GradScaler's scaling, unscaling, skipped steps and scale
updates against hand-computed sequences."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn, optim
from ember.amp import GradScaler, autocast
from ember.amp import autocast_mode as amp_mode


def randn(*shape, dtype=ember.float32, requires_grad=False):
    return ember.randn(*shape).to(dtype).requires_grad_(requires_grad)


LOWER = {
    "matmul": lambda a, b: a @ b,
    "mm": ember.mm,
    "linear": lambda a, b: F.linear(a, b),
    "bmm": lambda a, b: ember.bmm(a[None], b[None]),
    "conv2d": lambda a, b: F.conv2d(a[None, None], b[None, None]),
}
FP32 = {
    "mse_loss": F.mse_loss,
    "l1_loss": F.l1_loss,
    "cross_entropy": lambda a, b: F.cross_entropy(a, ember.tensor([0, 1, 2, 3])),
    "layer_norm_cuda_only": lambda a, b: F.layer_norm(a, (4,)),
}


@pytest.mark.parametrize("name", sorted(LOWER))
@pytest.mark.parametrize("dtype", [ember.float32, ember.float16])
def test_lower_precision_ops_run_in_float16(name, dtype):
    a, b = randn(4, 4, dtype=dtype), randn(4, 4)
    with autocast("cpu"):
        assert LOWER[name](a, b).dtype == ember.float16
    if dtype == ember.float32:
        assert LOWER[name](a, b).dtype == ember.float32  # outside the region: as written


def test_float32_ops_on_cpu():
    a, b = randn(4, 4, dtype=ember.float16), randn(4, 4, dtype=ember.float16)
    with autocast("cpu"):
        assert F.mse_loss(a, b).dtype == ember.float32
        assert F.l1_loss(a, b).dtype == ember.float32
        assert F.cross_entropy(a, ember.tensor([0, 1, 2, 3])).dtype == ember.float32
        assert F.nll_loss(a, ember.tensor([0, 1, 2, 3])).dtype == ember.float32
        assert ember.prod(a).dtype == ember.float32
        # CUDA-only entries (softmax, layer_norm, exp, sum) keep float16 on the CPU, as in torch
        assert F.softmax(a, 0).dtype == ember.float16
        assert F.layer_norm(a, (4,)).dtype == ember.float16
        assert a.exp().dtype == ember.float16 and a.sum().dtype == ember.float16


def test_promote_ops_take_the_widest_type():
    half, single = randn(2, 3, dtype=ember.float16), randn(2, 3)
    with autocast("cpu"):
        assert ember.cat([half, single]).dtype == ember.float32
        assert ember.stack([half, half]).dtype == ember.float16
        assert ember.stack([half, single]).dtype == ember.float32


def test_float64_and_integer_inputs_are_not_cast():
    a = randn(3, 3, dtype=ember.float64)
    with autocast("cpu"):
        assert (a @ a).dtype == ember.float64
        i = ember.arange(9).reshape(3, 3)
        assert (i @ i).dtype == ember.int64


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


def test_gradients_flow_back_in_input_dtypes():
    x = randn(3, 4, requires_grad=True)
    w = randn(5, 4, requires_grad=True)
    with autocast("cpu"):
        y = F.linear(x, w)
        loss = F.mse_loss(y, ember.zeros(3, 5))
    assert y.dtype == ember.float16 and loss.dtype == ember.float32
    loss.backward()
    assert x.grad.dtype == ember.float32 and w.grad.dtype == ember.float32
    xs, ws = x.detach().numpy(), w.detach().numpy()
    y16 = xs.astype(np.float16) @ ws.astype(np.float16).T
    gy = (2 * y16.astype(np.float32) / y16.size).astype(np.float16)
    np.testing.assert_allclose(x.grad.numpy(), gy @ ws.astype(np.float16), rtol=1e-2, atol=1e-3)


def test_weight_casts_are_cached_within_the_region():
    w = randn(4, 4, requires_grad=True)
    x = randn(2, 4)
    with autocast("cpu"):
        (x @ w).sum()
        (x @ w).sum()
        assert len(amp_mode._state.cache) == 1
    assert not amp_mode._state.cache
    with autocast("cpu", cache_enabled=False):
        (x @ w).sum()
        assert not amp_mode._state.cache


def test_checkpointed_module_under_autocast_trains():
    model = nn.Linear(4, 2)
    with autocast("cpu"):
        out = model(randn(3, 4))
    assert out.dtype == ember.float16
    out.float().sum().backward()
    assert model.weight.grad.dtype == ember.float32


# ---------------------------------------------------------------- GradScaler


def make_step():
    p = ember.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    return p, opt


def run_iteration(scaler, p, opt, grad_value):
    loss = (p * ember.tensor(grad_value)).sum()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()


def test_grad_scaler_scale_unscale_and_step():
    p, opt = make_step()
    scaler = GradScaler("cpu", init_scale=8.0)
    loss = (p * ember.tensor([1.0, 2.0])).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == 0.0 and scaler.get_scale() == 8.0
    scaled.backward()
    np.testing.assert_array_equal(p.grad.numpy(), [8.0, 16.0])
    scaler.unscale_(opt)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 2.0])
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    np.testing.assert_array_equal(p.detach().numpy(), [-1.0, -2.0])
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 8.0 and scaler._get_growth_tracker() == 1


def test_grad_scaler_skips_inf_steps_and_updates_scale():
    scaler = GradScaler("cpu", init_scale=4.0, growth_factor=3.0, backoff_factor=0.25,
                        growth_interval=2)  # fmt: skip
    p, opt = make_step()
    sequence = [1.0, float("inf"), 1.0, 1.0, float("nan"), 1.0, 1.0, 1.0]
    scales, trackers, params = [], [], []
    for g in sequence:
        run_iteration(scaler, p, opt, [g, 1.0])
        scales.append(scaler.get_scale())
        trackers.append(scaler._get_growth_tracker())
        params.append(p.detach().numpy()[1])
    # clean: tracker+1, grows x3 and resets at 2; inf/nan: x0.25, reset, step skipped
    assert scales == [4.0, 1.0, 1.0, 3.0, 0.75, 0.75, 2.25, 2.25]
    assert trackers == [1, 0, 1, 0, 0, 1, 0, 1]
    assert params == [-1.0, -1.0, -2.0, -3.0, -3.0, -4.0, -5.0, -6.0]


def test_grad_scaler_growth_stops_at_float32_overflow():
    scaler = GradScaler("cpu", init_scale=3e38, growth_interval=1)
    p, opt = make_step()
    run_iteration(scaler, p, opt, [0.0, 0.0])
    assert scaler.get_scale() == np.float32(3e38) and scaler._get_growth_tracker() == 0


def test_grad_scaler_state_dict_and_disabled():
    scaler = GradScaler("cpu", init_scale=16.0, growth_interval=3)
    p, opt = make_step()
    run_iteration(scaler, p, opt, [1.0, 1.0])
    state = scaler.state_dict()
    assert state == {
        "scale": 16.0,
        "growth_factor": 2.0,
        "backoff_factor": 0.5,
        "growth_interval": 3,
        "_growth_tracker": 1,
    }
    other = GradScaler("cpu")
    other.load_state_dict(state)
    assert other.get_scale() == 16.0 and other._get_growth_tracker() == 1
    disabled = GradScaler("cpu", enabled=False)
    assert not disabled.is_enabled() and disabled.state_dict() == {}
    assert disabled.scale(p) is p and disabled.get_scale() == 1.0
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        other.load_state_dict({})


def test_grad_scaler_errors():
    with pytest.raises(AssertionError, match=r"The growth factor must be > 1\.0\."):
        GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match=r"The backoff factor must be < 1\.0\."):
        GradScaler("cpu", backoff_factor=1.0)
    scaler = GradScaler("cpu")
    _, opt = make_step()
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    half = ember.zeros(2, dtype=ember.float16, requires_grad=True)
    half.grad = ember.ones(2, dtype=ember.float16)
    scaler.scale(ember.ones(()))
    with pytest.raises(ValueError, match=r"Attempting to unscale FP16 gradients\."):
        scaler.unscale_(optim.SGD([half], lr=1.0))
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)
    assert scaler.scale([ember.ones(1), (ember.ones(1),)])[1][0].item() == 2.0**16
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            assert not GradScaler().is_enabled()
