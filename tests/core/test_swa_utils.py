"""ember.optim.swa_utils: SWA and EMA averages against hand-computed values, the state-dict
layout, update_bn against a direct computation of the statistics, and SWALR's rates against
torch's formula."""

import math

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.optim.swa_utils import (
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    update_bn,
)


def snapshots(model, n, seed=0):
    """``n`` successive weight sets for ``model`` (set in place), as numpy copies."""
    rng = np.random.default_rng(seed)
    seen = []
    for _ in range(n):
        with ember.no_grad():
            for p in model.parameters():
                p.copy_(ember.from_numpy(rng.standard_normal(p.shape).astype(np.float32)))
        seen.append([p.detach().cpu().numpy().copy() for p in model.parameters()])
    return seen


def test_swa_average_is_the_mean(device):
    # (on CUDA the lists of averaged tensors are updated together, torch's foreach path)
    model = nn.Linear(3, 2).to(device)
    averaged = AveragedModel(model)
    history = snapshots(model, 1)
    for _ in range(4):
        averaged.update_parameters(model)
        history.append(snapshots(model, 1, seed=len(history))[0])
    means = [np.mean([h[i] for h in history[:4]], axis=0) for i in range(2)]
    for p, want in zip(averaged.module.parameters(), means):
        assert p.device.type == device
        np.testing.assert_allclose(p.detach().cpu().numpy(), want, rtol=1e-5, atol=1e-6)
    assert averaged.n_averaged.item() == 4 and averaged.n_averaged.dtype == ember.int64


@pytest.mark.parametrize("multi", [True, False])
def test_ema_average(multi, device):
    decay = 0.9
    model = nn.Linear(3, 2).to(device)
    kwargs = (
        {"multi_avg_fn": get_ema_multi_avg_fn(decay)}
        if multi
        else {"avg_fn": get_ema_avg_fn(decay)}
    )
    averaged = AveragedModel(model, **kwargs)
    want = None
    for i in range(3):
        current = snapshots(model, 1, seed=i)[0]
        averaged.update_parameters(model)
        want = (
            current
            if want is None
            else [decay * w + (1 - decay) * c for w, c in zip(want, current)]
        )
    for p, w in zip(averaged.module.parameters(), want):
        np.testing.assert_allclose(p.detach().cpu().numpy(), w, rtol=1e-5, atol=1e-6)


def test_custom_avg_fn_and_argument_errors():
    model = nn.Linear(2, 2)
    averaged = AveragedModel(model, avg_fn=get_swa_avg_fn())
    first = snapshots(model, 1, seed=1)[0]
    averaged.update_parameters(model)
    second = snapshots(model, 1, seed=2)[0]
    averaged.update_parameters(model)
    for p, a, b in zip(averaged.module.parameters(), first, second):
        np.testing.assert_allclose(p.detach().numpy(), (a + b) / 2, rtol=1e-6)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        AveragedModel(model, avg_fn=get_swa_avg_fn(), multi_avg_fn=get_ema_multi_avg_fn())
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
        get_ema_avg_fn(1.5)


def test_swa_multi_avg_fn_truncates_integers_as_the_single_one():
    averaged, current = [ember.tensor([3, -4]), ember.tensor([1.0])], [ember.tensor([8, 9])]
    get_swa_multi_avg_fn()(averaged[:1], current, ember.tensor(1))
    single = get_swa_avg_fn()(ember.tensor([3, -4]), current[0], ember.tensor(1))
    assert averaged[0].tolist() == [5, 2] == single.to(ember.int64).tolist()
    assert averaged[0].dtype == ember.int64


def test_state_dict_keys_and_buffers():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    averaged = AveragedModel(model)
    keys = list(averaged.state_dict())
    assert keys == ["n_averaged"] + ["module." + k for k in model.state_dict()]
    model.train()
    model(ember.randn(8, 2))
    averaged.update_parameters(model)  # buffers are copied, not averaged
    np.testing.assert_array_equal(
        averaged.module[1].running_mean.numpy(), model[1].running_mean.numpy()
    )
    averaged(ember.randn(4, 2))


def test_use_buffers_averages_buffers(device):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to(device)
    averaged = AveragedModel(model, use_buffers=True)
    means = []
    for _ in range(3):
        model(ember.randn(8, 2, device=device))
        means.append(model[1].running_mean.cpu().numpy().copy())
        averaged.update_parameters(model)
    np.testing.assert_allclose(
        averaged.module[1].running_mean.cpu().numpy(),
        np.mean(means, axis=0),
        rtol=1e-5,
        atol=1e-7,
    )
    # the integer count is averaged too, truncated: 1, then 1 + (2 - 1) / 2, 1 + (3 - 1) / 3
    tracked = averaged.module[1].num_batches_tracked
    assert tracked.item() == 1 and tracked.dtype == ember.int64


def test_averaged_copy_on_another_device(device):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))  # on the CPU
    averaged = AveragedModel(model, device=device)
    assert averaged.n_averaged.device.type == device
    assert all(t.device.type == device for t in averaged.module.state_dict().values())
    history = []
    for i in range(3):
        history.append(snapshots(model, 1, seed=i)[0])
        model(ember.randn(8, 2))
        averaged.update_parameters(model)
    for p, i in zip(averaged.module.parameters(), range(4)):
        want = np.mean([h[i] for h in history], axis=0)
        np.testing.assert_allclose(p.detach().cpu().numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(  # buffers are copied from the model, across devices
        averaged.module[1].running_var.cpu().numpy(), model[1].running_var.numpy()
    )
    out = averaged(ember.randn(4, 2, device=device))
    assert out.device.type == device


def test_update_bn_moves_batches_to_the_device(device):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(device)
    batches = [ember.randn(5, 3) for _ in range(3)]  # on the CPU
    update_bn([[b] for b in batches], model, device=device)
    with ember.no_grad():
        feats = [model[0](b.to(device)).cpu().numpy() for b in batches]
    want = np.mean([f.mean(0) for f in feats], axis=0)
    np.testing.assert_allclose(model[1].running_mean.cpu().numpy(), want, rtol=1e-5, atol=1e-6)
    assert model[1].running_mean.device.type == device


def test_update_bn_recomputes_statistics():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3))
    batches = [ember.randn(5, 3) for _ in range(4)]
    loader = [(b, ember.zeros(5)) for b in batches]
    model.eval()
    update_bn(loader, model)
    assert not model.training and model[1].momentum == 0.3
    with ember.no_grad():
        feats = [model[0](b).numpy() for b in batches]
    want_mean = np.mean([f.mean(0) for f in feats], axis=0)
    want_var = np.mean([f.var(0, ddof=1) for f in feats], axis=0)
    np.testing.assert_allclose(model[1].running_mean.numpy(), want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model[1].running_var.numpy(), want_var, rtol=1e-5, atol=1e-6)
    assert model[1].num_batches_tracked.item() == 4


def swalr_rates(lr, swa_lr, anneal_epochs, strategy, steps):
    """torch's SWALR formula, step by step."""
    anneal = (lambda t: t) if strategy == "linear" else (lambda t: (1 - math.cos(math.pi * t)) / 2)
    rates, current = [], lr
    for step_count in range(1, steps + 1):
        step = step_count - 1
        if anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = anneal(max(0, min(1, (step - 1) / max(1, anneal_epochs))))
        prev = swa_lr if prev_alpha == 1 else (current - prev_alpha * swa_lr) / (1 - prev_alpha)
        alpha = anneal(max(0, min(1, step / max(1, anneal_epochs))))
        current = swa_lr * alpha + prev * (1 - alpha)
        rates.append(current)
    return rates


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_rates(strategy, anneal_epochs):
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.5)
    scheduler = SWALR(opt, swa_lr=0.05, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    seen = [opt.param_groups[0]["lr"]]
    for _ in range(7):
        opt.step()
        scheduler.step()
        seen.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(seen, swalr_rates(0.5, 0.05, anneal_epochs, strategy, 8), 1e-12)
    assert seen[-1] == pytest.approx(0.05)


def test_swalr_state_dict_and_errors():
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.5)
    scheduler = SWALR(opt, swa_lr=[0.1], anneal_strategy="linear")
    state = scheduler.state_dict()
    assert "anneal_func" not in state and state["_anneal_strategy"] == "linear"
    other = SWALR(optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.5), swa_lr=0.2)
    other.load_state_dict(state)
    assert other.anneal_func(0.25) == 0.25
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        SWALR(opt, 0.1, anneal_epochs=-1)
