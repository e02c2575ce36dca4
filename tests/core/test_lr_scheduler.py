"""ember.optim.lr_scheduler: each scheduler's learning-rate sequence against hand-derived and
closed-form values, momentum cycling, state-dict round trips, resuming and torch's warnings."""

import copy
import math

import numpy as np
import pytest

import ember
from ember import optim
from ember.optim import lr_scheduler as sched


def make_optimizer(lrs=(0.1,), cls=optim.SGD, **kwargs):
    groups = [{"params": [ember.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, **kwargs)


def lr_sequence(optimizer, scheduler, epochs, key="lr"):
    """The value of ``group[key]`` per group at each epoch of a training loop."""
    seen = []
    for _ in range(epochs):
        seen.append([group[key] for group in optimizer.param_groups])
        if key == "lr":
            assert scheduler.get_last_lr() == seen[-1]
        optimizer.step()
        scheduler.step()
    return np.array(seen)


def assert_sequence(got, want):
    np.testing.assert_allclose(got, np.asarray(want, dtype=float).reshape(got.shape), rtol=1e-12)


def test_lambda_lr_one_function_per_group():
    opt = make_optimizer([0.1, 1.0])
    scheduler = sched.LambdaLR(opt, [lambda e: 0.5**e, lambda e: 1 / (e + 1)])
    want = [[0.1 * 0.5**e, 1.0 / (e + 1)] for e in range(6)]
    assert_sequence(lr_sequence(opt, scheduler, 6), want)


def test_multiplicative_lr():
    opt = make_optimizer()
    scheduler = sched.MultiplicativeLR(opt, lambda e: 0.9)
    assert_sequence(lr_sequence(opt, scheduler, 8), [0.1 * 0.9**e for e in range(8)])


def test_step_lr():
    opt = make_optimizer()
    scheduler = sched.StepLR(opt, step_size=3, gamma=0.5)
    assert_sequence(lr_sequence(opt, scheduler, 10), [0.1 * 0.5 ** (e // 3) for e in range(10)])


def test_multi_step_lr_counts_repeated_milestones():
    opt = make_optimizer()
    scheduler = sched.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.1)
    assert_sequence(lr_sequence(opt, scheduler, 7), [0.1] * 2 + [0.01] * 3 + [0.0001] * 2)


def test_constant_lr():
    opt = make_optimizer()
    scheduler = sched.ConstantLR(opt, factor=0.5, total_iters=4)
    assert_sequence(lr_sequence(opt, scheduler, 7), [0.05] * 4 + [0.1] * 3)


def test_linear_lr():
    opt = make_optimizer()
    scheduler = sched.LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=4)
    want = [0.1 * (0.25 + 0.5 * min(e, 4) / 4) for e in range(8)]
    assert_sequence(lr_sequence(opt, scheduler, 8), want)


def test_exponential_lr():
    opt = make_optimizer([0.1, 0.3])
    scheduler = sched.ExponentialLR(opt, gamma=0.9)
    assert_sequence(
        lr_sequence(opt, scheduler, 20), [[0.1 * 0.9**e, 0.3 * 0.9**e] for e in range(20)]
    )


def test_polynomial_lr():
    opt = make_optimizer()
    scheduler = sched.PolynomialLR(opt, total_iters=4, power=2.0)
    assert_sequence(
        lr_sequence(opt, scheduler, 7), [0.1 * (1 - min(e, 4) / 4) ** 2 for e in range(7)]
    )


def test_cosine_annealing_lr_follows_the_closed_form_past_t_max():
    opt = make_optimizer()
    scheduler = sched.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    want = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(35)]
    assert_sequence(lr_sequence(opt, scheduler, 35), want)


def test_cosine_annealing_warm_restarts():
    opt = make_optimizer()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
    # periods of 3, 6 and 12 epochs; T_cur counts from 0 in each
    periods = [(t, 3) for t in range(3)] + [(t, 6) for t in range(6)] + [(t, 12) for t in range(4)]
    want = [0.001 + 0.099 * (1 + math.cos(math.pi * t / T)) / 2 for t, T in periods]
    assert_sequence(lr_sequence(opt, scheduler, len(want)), want)


def test_cosine_annealing_warm_restarts_fractional_epochs():
    opt = make_optimizer()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
    scheduler.step(4.5)  # 1.5 epochs into the second period, of 6
    assert opt.param_groups[0]["lr"] == pytest.approx(
        0.001 + 0.099 * (1 + math.cos(math.pi * 1.5 / 6)) / 2, rel=1e-12
    )
    assert scheduler.last_epoch == 4
    scheduler.step(1.5)
    assert scheduler.T_i == 3 and scheduler.T_cur == 1.5
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        scheduler.step(-1)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=0)


# rising over 4 iterations and falling over 2, from 0.01 to 0.1
_TRIANGLE = [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.055]


def test_cyclic_lr_triangular_cycles_momentum_inversely():
    opt = make_optimizer(momentum=0.5)
    scheduler = sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=2)
    assert_sequence(lr_sequence(opt, scheduler, 13), _TRIANGLE * 2 + [0.01])
    opt = make_optimizer(momentum=0.5)
    scheduler = sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=2)
    # momentum falls from 0.9 to 0.8 while the rate rises
    want = [0.9 - 0.1 * (lr - 0.01) / 0.09 for lr in _TRIANGLE]
    assert_sequence(lr_sequence(opt, scheduler, 6, key="momentum"), want)


def test_cyclic_lr_triangular2_halves_the_amplitude():
    opt = make_optimizer()
    scheduler = sched.CyclicLR(
        opt, 0.01, 0.1, step_size_up=4, step_size_down=2, mode="triangular2", cycle_momentum=False
    )
    second = [0.01 + (lr - 0.01) / 2 for lr in _TRIANGLE]
    assert_sequence(lr_sequence(opt, scheduler, 12), _TRIANGLE + second)


def test_cyclic_lr_exp_range_cycles_adam_beta1():
    opt = make_optimizer(cls=optim.Adam)
    scheduler = sched.CyclicLR(
        opt, 0.01, 0.1, step_size_up=4, step_size_down=2, mode="exp_range", gamma=0.9
    )
    want = [0.01 + (lr - 0.01) * 0.9**i for i, lr in enumerate(_TRIANGLE * 2)]
    assert_sequence(lr_sequence(opt, scheduler, 12), want)
    assert opt.param_groups[0]["betas"][1] == 0.999
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        sched.CyclicLR(make_optimizer(cls=optim.Adagrad), 0.01, 0.1)


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))


def test_one_cycle_lr():
    opt = make_optimizer(momentum=0.9)
    scheduler = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    initial, final = 1.0 / 25, 1.0 / 25 / 1e4
    # warm up over steps 0..2 (pct_start * 10 - 1), then anneal over steps 2..9
    lrs = [_anneal_cos(initial, 1.0, i / 2) for i in range(3)]
    lrs += [_anneal_cos(1.0, final, (i - 2) / 7) for i in range(3, 10)]
    momenta = [_anneal_cos(0.95, 0.85, i / 2) for i in range(3)]
    momenta += [_anneal_cos(0.85, 0.95, (i - 2) / 7) for i in range(3, 10)]
    assert_sequence(lr_sequence(opt, scheduler, 10), lrs)

    opt = make_optimizer(momentum=0.9)
    scheduler = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert_sequence(lr_sequence(opt, scheduler, 10, key="momentum"), momenta)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        scheduler.step()


def test_one_cycle_lr_three_phase_linear():
    opt = make_optimizer(cls=optim.Adam)
    scheduler = sched.OneCycleLR(
        opt, max_lr=1.0, epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True
    )
    initial, final = 0.04, 0.04 / 1e4
    # up over steps 0..2, back down over 2..4, then to the minimum over 4..9
    want = [initial + (1.0 - initial) * i / 2 for i in range(3)]
    want += [1.0 + (initial - 1.0) * (i - 2) / 2 for i in range(3, 5)]
    want += [initial + (final - initial) * (i - 4) / 5 for i in range(5, 10)]
    assert_sequence(lr_sequence(opt, scheduler, 10), want)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        sched.OneCycleLR(opt, max_lr=1.0)


def test_sequential_lr_restarts_each_scheduler_at_its_milestone():
    opt = make_optimizer()
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=2)
    decay = sched.ExponentialLR(opt, gamma=0.5)
    scheduler = sched.SequentialLR(opt, [warmup, decay], milestones=[3])
    assert_sequence(lr_sequence(opt, scheduler, 6), [0.01, 0.055, 0.1, 0.1, 0.05, 0.025])
    with pytest.raises(ValueError, match="number of milestones to be equal to 2"):
        sched.SequentialLR(opt, [warmup, decay], milestones=[3, 4])


def test_chained_scheduler_applies_every_scheduler():
    opt = make_optimizer()
    scheduler = sched.ChainedScheduler(
        [sched.ConstantLR(opt, factor=0.1, total_iters=2), sched.ExponentialLR(opt, gamma=0.9)]
    )
    want = [0.1 * 0.9**e * (0.1 if e < 2 else 1) for e in range(6)]
    assert_sequence(lr_sequence(opt, scheduler, 6), want)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.ChainedScheduler([sched.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        sched.ChainedScheduler([scheduler, sched.StepLR(make_optimizer(), 2)])


def _plateau(metrics, **kwargs):
    opt = make_optimizer([1.0])
    scheduler = sched.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for metric in metrics:
        opt.step()
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_reduce_lr_on_plateau():
    # rel threshold 0.1: only a metric below 0.9 * best counts as better
    metrics = [10, 9.5, 9.5, 8, 8, 8, 8]
    assert _plateau(metrics, factor=0.5, patience=1, threshold=0.1) == [
        1,
        1,
        0.5,
        0.5,
        0.5,
        0.25,
        0.25,
    ]
    # a cooldown epoch after each reduction does not count as bad
    assert _plateau([5] * 7, factor=0.5, patience=1, cooldown=1) == [
        1,
        1,
        0.5,
        0.5,
        0.5,
        0.25,
        0.25,
    ]
    # max mode with an absolute threshold, and a floor under the rate
    metrics = [1.0, 1.05, 1.2, 1.2, 1.2]
    got = _plateau(
        metrics,
        mode="max",
        factor=0.1,
        patience=0,
        threshold=0.1,
        threshold_mode="abs",
        min_lr=0.05,
    )
    assert got == [1, 0.1, 0.1, 0.05, 0.05]
    with pytest.raises(ValueError, match=r"Factor should be < 1\.0\."):
        sched.ReduceLROnPlateau(make_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        sched.ReduceLROnPlateau(make_optimizer(), mode="avg")


def test_reduce_lr_on_plateau_accepts_a_tensor_metric():
    opt = make_optimizer([1.0])
    scheduler = sched.ReduceLROnPlateau(opt, patience=0)
    scheduler.step(ember.tensor(2.0))
    scheduler.step(ember.tensor(3.0))
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


# ------------------------------------------------------------------------------ state dicts

FACTORIES = {
    "StepLR": lambda opt: sched.StepLR(opt, step_size=2, gamma=0.5),
    "MultiStepLR": lambda opt: sched.MultiStepLR(opt, [1, 4]),
    "LinearLR": lambda opt: sched.LinearLR(opt, total_iters=6),
    "CosineAnnealingLR": lambda opt: sched.CosineAnnealingLR(opt, T_max=5),
    "CosineAnnealingWarmRestarts": lambda opt: sched.CosineAnnealingWarmRestarts(opt, 2, 2),
    "CyclicLR": lambda opt: sched.CyclicLR(opt, 0.01, 0.1, step_size_up=3),
    "OneCycleLR": lambda opt: sched.OneCycleLR(opt, max_lr=1.0, total_steps=12),
    "PolynomialLR": lambda opt: sched.PolynomialLR(opt, total_iters=6, power=0.5),
    "SequentialLR": lambda opt: sched.SequentialLR(
        opt, [sched.ConstantLR(opt), sched.ExponentialLR(opt, 0.8)], milestones=[3]
    ),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_resume(name):
    opt = make_optimizer(momentum=0.9)
    scheduler = FACTORIES[name](opt)
    lr_sequence(opt, scheduler, 4)
    saved_opt = copy.deepcopy(opt.state_dict())
    saved = copy.deepcopy(scheduler.state_dict())
    assert "optimizer" not in saved

    opt2 = make_optimizer(momentum=0.9)
    scheduler2 = FACTORIES[name](opt2)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved)
    np.testing.assert_array_equal(lr_sequence(opt2, scheduler2, 6), lr_sequence(opt, scheduler, 6))


def test_lambda_lr_state_dict_saves_callable_objects_only():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = make_optimizer([0.1, 0.2])
    scheduler = sched.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}, None]
    other = sched.LambdaLR(make_optimizer([0.1, 0.2]), [Decay(0.9), lambda e: 1.0])
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].rate == 0.5


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        sched.StepLR(make_optimizer(), step_size=2, last_epoch=3)
    opt = make_optimizer()
    opt.param_groups[0]["initial_lr"] = 1.0
    scheduler = sched.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert scheduler.base_lrs == [1.0] and scheduler.last_epoch == 4
    assert opt.param_groups[0]["lr"] == 0.1  # resuming keeps the current rate
    opt.step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.05


def test_initial_lr_is_kept_by_later_schedulers():
    opt = make_optimizer()
    sched.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    second = sched.ExponentialLR(opt, gamma=0.9)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and second.base_lrs == [0.1]


# --------------------------------------------------------------------------------- warnings


def test_warns_when_stepped_before_the_optimizer():
    opt = make_optimizer()
    scheduler = sched.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
        scheduler.step()


def test_stepping_a_custom_optimizer_counts():
    class Custom(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

        def step(self, closure=None):
            return None

    opt = Custom([ember.tensor([1.0], requires_grad=True)])
    scheduler = sched.StepLR(opt, step_size=1)
    opt.step()
    scheduler.step()  # no warning: pytest turns warnings into errors


def test_get_lr_outside_step_warns():
    scheduler = sched.StepLR(make_optimizer(), step_size=1)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()


def test_step_with_epoch_uses_the_closed_form():
    opt = make_optimizer()
    scheduler = sched.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        scheduler.step(5)
    assert opt.param_groups[0]["lr"] == 0.1 * 0.5**2 and scheduler.last_epoch == 5


def test_rejects_a_non_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=1)
