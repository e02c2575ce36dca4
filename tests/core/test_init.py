"""ember.nn.init: gains, fans, and the distributions and structures each initialiser draws,
checked statistically with fixed seeds against torch's formulas."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init


def _gen(seed=0):
    return ember.Generator().manual_seed(seed)


def _values(t):
    return t.detach().numpy(force=True).astype(np.float64)


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ember.empty(3, 5)) == (5, 3)
    # conv weight (out, in, kh, kw): the receptive field multiplies both fans
    assert init._calculate_fan_in_and_fan_out(ember.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))


def test_initialisers_work_in_place_on_parameters():
    p = nn.Parameter(ember.empty(4, 4))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.ones_):
        assert fn(p) is p
        assert p.requires_grad and p.grad_fn is None  # no graph was recorded
    assert init.orthogonal_(p) is p and init.trunc_normal_(p) is p and init.eye_(p) is p


def test_uniform_and_normal():
    t = init.uniform_(ember.empty(20000), -2.0, 3.0, generator=_gen())
    v = _values(t)
    assert v.min() >= -2.0 and v.max() < 3.0
    assert abs(v.mean() - 0.5) < 0.05 and abs(v.std() - 5 / math.sqrt(12)) < 0.03
    v = _values(init.normal_(ember.empty(20000), 1.5, 0.5, generator=_gen()))
    assert abs(v.mean() - 1.5) < 0.02 and abs(v.std() - 0.5) < 0.01
    # the same seed gives the same draws
    a = init.normal_(ember.empty(5), generator=_gen(3))
    b = init.normal_(ember.empty(5), generator=_gen(3))
    assert a.tolist() == b.tolist()


def _phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x):
    return (1 + math.erf(x / math.sqrt(2))) / 2


@pytest.mark.parametrize(
    ("mean", "std", "a", "b"),
    # the first two redraw misses, the last two (narrow cuts) invert the CDF
    [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.0, 6.0), (0.0, 1.0, 1.0, 2.5), (0.0, 0.5, -0.1, 0.05)],
)
def test_trunc_normal_moments(mean, std, a, b):
    v = _values(init.trunc_normal_(ember.empty(40000), mean, std, a, b, generator=_gen()))
    assert v.min() >= a and v.max() <= b
    # moments of a normal truncated to [alpha, beta] (in standard units)
    alpha, beta = (a - mean) / std, (b - mean) / std
    z = _cdf(beta) - _cdf(alpha)
    shift = (_phi(alpha) - _phi(beta)) / z
    expected_mean = mean + std * shift
    expected_std = std * math.sqrt(1 + (alpha * _phi(alpha) - beta * _phi(beta)) / z - shift**2)
    assert abs(v.mean() - expected_mean) < 0.02 * std
    assert abs(v.std() - expected_std) < 0.02 * std


def test_trunc_normal_far_mean_warns():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        t = init.trunc_normal_(ember.empty(100), mean=10.0, generator=_gen())
    v = _values(t)
    assert v.min() >= -2.0 and v.max() <= 2.0  # still inside [a, b]


def test_constant_ones_zeros():
    assert init.constant_(ember.empty(2, 2), 0.25).tolist() == [[0.25, 0.25]] * 2
    assert init.ones_(ember.empty(3)).tolist() == [1.0] * 3
    assert init.zeros_(ember.empty(3, dtype=ember.float64)).tolist() == [0.0] * 3


def test_eye():
    assert init.eye_(ember.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2, 2, 2))


def test_dirac():
    w = _values(init.dirac_(ember.empty(4, 3, 3, 3)))
    expected = np.zeros((4, 3, 3, 3))
    for d in range(3):  # output channel d copies input channel d at the kernel centre
        expected[d, d, 1, 1] = 1
    assert np.array_equal(w, expected)
    # groups: each group of 2 output channels copies its own first in-channels
    w = _values(init.dirac_(ember.empty(6, 2, 5), groups=3))
    expected = np.zeros((6, 2, 5))
    for g in range(3):
        for d in range(2):
            expected[2 * g + d, d, 2] = 1
    assert np.array_equal(w, expected)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(ember.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(ember.empty(5, 2, 3), groups=2)


def test_xavier():
    shape = (200, 100)  # fan_in 100, fan_out 200
    std = 2.0 * math.sqrt(2 / 300)
    v = _values(init.xavier_uniform_(ember.empty(*shape), gain=2.0, generator=_gen()))
    bound = math.sqrt(3) * std
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    assert abs(v.std() - std) < 0.02 * std
    v = _values(init.xavier_normal_(ember.empty(*shape), gain=2.0, generator=_gen()))
    assert abs(v.std() - std) < 0.02 * std and abs(v.mean()) < 0.02 * std


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(mode):
    shape = (64, 16, 3, 3)  # fan_in 144, fan_out 576
    fan = 144 if mode == "fan_in" else 576
    std = math.sqrt(2) / math.sqrt(fan)  # relu gain
    v = _values(
        init.kaiming_uniform_(ember.empty(*shape), mode=mode, nonlinearity="relu", generator=_gen())
    )
    bound = math.sqrt(3) * std
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    assert abs(v.std() - std) < 0.02 * std
    v = _values(init.kaiming_normal_(ember.empty(*shape), mode=mode, generator=_gen()))
    std = init.calculate_gain("leaky_relu", 0) / math.sqrt(fan)  # default: a=0 leaky_relu
    assert abs(v.std() - std) < 0.02 * std


def test_kaiming_errors_and_empty():
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(ember.empty(0, 3))


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (4, 2, 3, 3)])
def test_orthogonal(shape):
    w = _values(init.orthogonal_(ember.empty(*shape), gain=2.0, generator=_gen())).reshape(
        shape[0], -1
    )
    rows, cols = w.shape
    gram = w @ w.T if rows < cols else w.T @ w  # the smaller side is orthonormal (times gain²)
    assert np.allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(ember.empty(3))


def test_init_on_device(device):
    t = ember.empty(8, 8, device=device)
    init.orthogonal_(t)
    init.dirac_(ember.empty(2, 2, 3, device=device))
    v = _values(init.eye_(t))
    assert np.array_equal(v, np.eye(8)) and t.device.type == ember.device(device).type
