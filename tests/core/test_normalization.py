"""Batch, instance, layer, group, RMS and local response normalisation and ``normalize``:
forward against numpy references in train and eval mode, running statistics against
hand-computed updates, first and second derivatives by finite differences, the modules'
parameters, buffers, state-dict keys, reprs and torch's error messages."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)

EPS = 1e-5


def _standardize_ref(x, axes, eps=EPS):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased
    return (x - mean) / np.sqrt(var + eps)


def _per_channel_ref(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _affine_ref(y, w, b):
    return y * _per_channel_ref(w, y.ndim) + _per_channel_ref(b, y.ndim)


def _batch_axes(ndim):
    return (0, *range(2, ndim))


# ------------------------------------------------------------------------------ batch norm

SHAPES = [(4, 3), (3, 2, 4), (2, 3, 2, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_training_matches_numpy_and_gradients(shape, device):
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape[1])
    b = rng.standard_normal(shape[1])

    def op(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    def ref(x, w, b):
        return _affine_ref(_standardize_ref(x, _batch_axes(x.ndim)), w, b)

    check_op(op, ref, x, w, b, gradgrad=True, device=device)


def test_batch_norm_training_without_affine():
    x = rng.standard_normal((5, 2, 3))
    check_op(
        lambda x: F.batch_norm(x, None, None, training=True),
        lambda x: _standardize_ref(x, (0, 2)),
        x,
        gradgrad=True,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_eval_uses_running_stats(shape, device):
    c = shape[1]
    x = rng.standard_normal(shape)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2.0, c)
    w, b = rng.standard_normal(c), rng.standard_normal(c)

    def op(x, w, b):
        rm = ember.tensor(mean, dtype=x.dtype, device=device)
        rv = ember.tensor(var, dtype=x.dtype, device=device)
        return F.batch_norm(x, rm, rv, w, b, training=False)

    def ref(x, w, b):
        y = (x - _per_channel_ref(mean, x.ndim)) / np.sqrt(_per_channel_ref(var, x.ndim) + EPS)
        return _affine_ref(y, w, b)

    check_op(op, ref, x, w, b, gradgrad=True, device=device)


def test_batch_norm_functional_updates_running_stats_in_place(device):
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    rm = ember.zeros(3, device=device)
    rv = ember.ones(3, device=device)
    rm_data = rm._data
    F.batch_norm(ember.tensor(x, device=device), rm, rv, training=True, momentum=0.25)
    n = 4 * 5
    batch_mean = x.mean(axis=(0, 2))
    batch_var = x.var(axis=(0, 2)) * n / (n - 1)  # unbiased
    assert rm._data is rm_data  # in place
    assert_close(rm, 0.25 * batch_mean)
    assert_close(rv, 0.75 + 0.25 * batch_var)
    assert rm.dtype == ember.float32 and rv.dtype == ember.float32


def test_batch_norm_float32_stays_float32():
    x = ember.randn(4, 3, 2)
    y = F.batch_norm(x, None, None, ember.ones(3), ember.zeros(3), training=True)
    assert y.dtype == ember.float32
    y = F.batch_norm(x, ember.zeros(3), ember.ones(3), training=False)
    assert y.dtype == ember.float32


def test_batchnorm_module_running_stats_over_steps():
    m = nn.BatchNorm1d(3, momentum=0.1)
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((6, 3, 2)).astype(np.float32)
        y = m(ember.tensor(x))
        xd = x.astype(np.float64)
        assert_close(y, _standardize_ref(xd, (0, 2)).astype(np.float32), atol=1e-5, rtol=1e-4)
        rm = 0.9 * rm + 0.1 * xd.mean(axis=(0, 2))
        rv = 0.9 * rv + 0.1 * xd.var(axis=(0, 2), ddof=1)
    assert_close(m.running_mean, rm.astype(np.float32))
    assert_close(m.running_var, rv.astype(np.float32))
    assert m.num_batches_tracked.dtype == ember.int64
    assert m.num_batches_tracked.shape == () and m.num_batches_tracked.item() == 3


def test_batchnorm_momentum_none_is_cumulative_average():
    m = nn.BatchNorm2d(2, momentum=None)
    batches = [rng.standard_normal((3, 2, 2, 2)) for _ in range(4)]
    for x in batches:
        m(ember.tensor(x, dtype=ember.float32))
    axes = (0, 2, 3)
    mean = np.mean([x.mean(axis=axes) for x in batches], axis=0)
    var = np.mean([x.var(axis=axes, ddof=1) for x in batches], axis=0)
    assert_close(m.running_mean, mean.astype(np.float32))
    assert_close(m.running_var, var.astype(np.float32))
    assert m.num_batches_tracked.item() == 4


def test_batchnorm_module_eval_uses_running_stats(device):
    m = nn.BatchNorm2d(3, device=device)
    with ember.no_grad():
        m.weight.copy_(ember.tensor([1.0, 2.0, -1.0]))
        m.bias.copy_(ember.tensor([0.0, 0.5, 1.0]))
    m(ember.randn(4, 3, 2, 2, device=device))
    m.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    before = m.running_mean.cpu().numpy().copy(), m.num_batches_tracked.item()
    y = m(ember.tensor(x, device=device))
    rm, rv = m.running_mean.cpu().numpy(), m.running_var.cpu().numpy()
    expected = _affine_ref(
        (x - _per_channel_ref(rm, 4)) / np.sqrt(_per_channel_ref(rv, 4) + EPS),
        np.array([1.0, 2.0, -1.0]),
        np.array([0.0, 0.5, 1.0]),
    )
    assert_close(y, expected.astype(np.float32))
    # eval mode leaves the statistics alone
    assert_close(m.running_mean, before[0])
    assert m.num_batches_tracked.item() == before[1]


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert m.running_mean is None and m.running_var is None and m.num_batches_tracked is None
    assert list(m.state_dict()) == ["weight", "bias"]
    x = rng.standard_normal((5, 2)).astype(np.float32)
    assert_close(m(ember.tensor(x)), _standardize_ref(x, (0,)), atol=1e-5, rtol=1e-4)


def test_batchnorm_module_parameters_buffers_and_state_dict(device):
    m = nn.BatchNorm2d(4, device=device, dtype=ember.float64)
    assert list(m.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias"]
    assert_close(m.weight, np.ones(4))
    assert_close(m.bias, np.zeros(4))
    assert_close(m.running_mean, np.zeros(4))
    assert_close(m.running_var, np.ones(4))
    assert m.weight.dtype == m.running_var.dtype == ember.float64
    assert m.num_batches_tracked.dtype == ember.int64
    assert m.running_mean.device.type == ember.device(device).type
    plain = nn.BatchNorm1d(4, affine=False)
    assert plain.weight is None and plain.bias is None
    assert list(plain.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_load_state_dict_round_trip_and_missing_counter():
    src = nn.BatchNorm1d(3)
    src(ember.randn(4, 3))
    dst = nn.BatchNorm1d(3)
    dst.load_state_dict(src.state_dict())
    assert_close(dst.running_mean, src.running_mean)
    assert dst.num_batches_tracked.item() == 1
    # a checkpoint without the counter still loads (torch fills it in)
    state = {k: v for k, v in src.state_dict().items() if k != "num_batches_tracked"}
    result = nn.BatchNorm1d(3).load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_batchnorm_reset_running_stats():
    m = nn.BatchNorm1d(2)
    m(ember.randn(3, 2))
    m.reset_running_stats()
    assert_close(m.running_mean, np.zeros(2, np.float32))
    assert_close(m.running_var, np.ones(2, np.float32))
    assert m.num_batches_tracked.item() == 0


def test_batchnorm_module_backward_reaches_parameters():
    m = nn.BatchNorm2d(2)
    x = ember.randn(3, 2, 2, 2, requires_grad=True)
    w = ember.tensor(rng.standard_normal((3, 2, 2, 2)), dtype=ember.float32)
    (m(x) * w).sum().backward()
    xhat = _standardize_ref(x.detach().numpy().astype(np.float64), (0, 2, 3))
    wd = w.numpy().astype(np.float64)
    assert_close(m.bias.grad, wd.sum(axis=(0, 2, 3)).astype(np.float32), atol=1e-5, rtol=1e-4)
    assert_close(
        m.weight.grad, (wd * xhat).sum(axis=(0, 2, 3)).astype(np.float32), atol=1e-4, rtol=1e-4
    )
    assert x.grad.shape == x.shape


def test_batchnorm_reprs():
    assert repr(nn.BatchNorm2d(16)) == (
        "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(
        nn.BatchNorm1d(3, eps=0.001, momentum=None, affine=False, track_running_stats=False)
    ) == (
        "BatchNorm1d(3, eps=0.001, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)"
    )


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (
            lambda: nn.BatchNorm1d(3, bias=False),
            "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, "
            "track_running_stats=True)",
        ),
        (
            lambda: nn.InstanceNorm1d(3, affine=True, bias=False),
            "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, "
            "track_running_stats=False)",
        ),
        (
            lambda: nn.GroupNorm(1, 3, bias=False),
            "GroupNorm(1, 3, eps=1e-05, affine=True, bias=False)",
        ),
    ],
)
def test_bias_false_learns_the_weight_alone(make, text):
    m = make()
    assert repr(m) == text
    assert [name for name, _ in m.named_parameters()] == ["weight"]
    assert m.bias is None
    x = ember.tensor(rng.standard_normal((4, 3, 5)).astype(np.float32))
    m(x).sum().backward()
    assert m.weight.grad is not None
    m.eval()
    assert m(x).shape == x.shape


def test_mixed_dtypes_are_errors_as_in_torch():
    x32, x64 = ember.randn(2, 3), ember.randn(2, 3, dtype=ember.float64)
    w32, w64 = ember.ones(3), ember.ones(3, dtype=ember.float64)
    with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): all inputs must share same "):
        F.batch_norm(x64, w32 * 0, w32)
    with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): expect parameter to have "):
        F.batch_norm(x32, w64 * 0, w64, training=True)
    with pytest.raises(RuntimeError, match=r"^expected scalar type Float but found Double$"):
        F.batch_norm(x32, w64 * 0, w64, w32, w32)  # the weight sets the dtype expected
    with pytest.raises(RuntimeError, match=r"expect parameter to have scalar type of Float$"):
        F.layer_norm(x32, (3,), w64)
    with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): all inputs must share same "):
        F.group_norm(x64.reshape(2, 3, 1), 3, None, w32)
    with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): all inputs must share same "):
        F.instance_norm(x64.reshape(2, 3, 1).expand(2, 3, 2), weight=w32)
    # float32 parameters of a float16 input are torch's one mixed case: float16 out
    x16 = ember.randn(2, 3, 4, dtype=ember.float16)
    assert F.batch_norm(x16, w32 * 0, w32).dtype == ember.float16
    assert F.batch_norm(x16, w32 * 0, w32, w32, w32, training=True).dtype == ember.float16
    assert F.layer_norm(x16, (4,), ember.ones(4), ember.zeros(4)).dtype == ember.float16


def test_batch_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"Expected more than 1 value per channel when training, got input size "
        r"ember\.Size\(\[1, 3\]\)",
    ):
        F.batch_norm(ember.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"got input size ember\.Size\(\[1, 3, 1\]\)"):
        nn.BatchNorm1d(3)(ember.randn(1, 3, 1))
    F.batch_norm(ember.randn(1, 3), ember.zeros(3), ember.ones(3))  # fine in eval mode
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 4D input\)$"):
        nn.BatchNorm1d(3)(ember.randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 3D input\)$"):
        nn.BatchNorm2d(3)(ember.randn(2, 3, 2))
    with pytest.raises(ValueError, match=r"^expected 5D input \(got 4D input\)$"):
        nn.BatchNorm3d(3)(ember.randn(2, 3, 2, 2))
    with pytest.raises(RuntimeError, match=r"^running_mean should contain 3 elements not 4$"):
        F.batch_norm(ember.randn(2, 3), ember.zeros(4), ember.ones(3), training=True)
    with pytest.raises(RuntimeError, match=r"^weight should contain 3 elements not 2$"):
        F.batch_norm(ember.randn(2, 3), None, None, ember.ones(2), training=True)
    with pytest.raises(RuntimeError, match=r"^running_mean must be defined in evaluation mode$"):
        F.batch_norm(ember.randn(2, 3), None, None)


# --------------------------------------------------------------------------- instance norm


def test_instance_norm_matches_numpy_and_gradients(device):
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    check_op(
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: _affine_ref(_standardize_ref(x, (2,)), w, b),
        x,
        w,
        b,
        gradgrad=True,
        device=device,
    )


def test_instance_norm_running_stats_and_eval():
    m = nn.InstanceNorm2d(2, affine=True, track_running_stats=True, momentum=0.5)
    x = rng.standard_normal((3, 2, 2, 3)).astype(np.float32)
    y = m(ember.tensor(x))
    xd = x.astype(np.float64)
    assert_close(y, _standardize_ref(xd, (2, 3)).astype(np.float32), atol=1e-5, rtol=1e-4)
    # the per-instance statistics, averaged over the batch, enter the running update
    mean = xd.mean(axis=(2, 3)).mean(axis=0)
    var = xd.var(axis=(2, 3), ddof=1).mean(axis=0)
    assert_close(m.running_mean, (0.5 * mean).astype(np.float32))
    assert_close(m.running_var, (0.5 + 0.5 * var).astype(np.float32))
    m.eval()
    rm, rv = m.running_mean.numpy(), m.running_var.numpy()
    expected = (x - _per_channel_ref(rm, 4)) / np.sqrt(_per_channel_ref(rv, 4) + EPS)
    assert_close(m(ember.tensor(x)), expected)


def test_instance_norm_module_unbatched_repr_and_errors():
    m = nn.InstanceNorm1d(3)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    assert_close(m(ember.tensor(x)), _standardize_ref(x, (1,)), atol=1e-5, rtol=1e-4)
    assert list(m.state_dict()) == []
    assert (
        repr(m) == "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=False)"
    )
    with pytest.raises(ValueError, match=r"^expected 3D or 4D input \(got 2D input\)$"):
        nn.InstanceNorm2d(3)(ember.randn(3, 4))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(ember.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"to match num_features \(4\), but got: 3\."):
        nn.InstanceNorm1d(4, affine=True)(ember.randn(2, 3, 5))


# ------------------------------------------------------------------------------ layer norm


@pytest.mark.parametrize("shape, normalized", [((4, 3), 3), ((2, 3, 4), (3, 4)), ((5,), (5,))])
def test_layer_norm_matches_numpy_and_gradients(shape, normalized, device):
    norm_shape = (normalized,) if isinstance(normalized, int) else normalized
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal(norm_shape), rng.standard_normal(norm_shape)
    axes = tuple(range(-len(norm_shape), 0))
    check_op(
        lambda x, w, b: F.layer_norm(x, normalized, w, b),
        lambda x, w, b: _standardize_ref(x, axes) * w + b,
        x,
        w,
        b,
        gradgrad=True,
        device=device,
    )
    check_op(
        lambda x: F.layer_norm(x, normalized, eps=0.1),
        lambda x: _standardize_ref(x, axes, eps=0.1),
        x,
        gradgrad=True,
        device=device,
    )


def test_layer_norm_module():
    m = nn.LayerNorm([2, 3])
    assert repr(m) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"]
    assert_close(m.weight, np.ones((2, 3), np.float32))
    assert_close(m.bias, np.zeros((2, 3), np.float32))
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    y = m(ember.tensor(x))
    assert y.dtype == ember.float32
    assert_close(y, _standardize_ref(x.astype(np.float64), (1, 2)).astype(np.float32))
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    assert repr(nn.LayerNorm(3, bias=False)).endswith("elementwise_affine=True, bias=False)")
    assert list(nn.LayerNorm(3, elementwise_affine=False).state_dict()) == []
    assert repr(nn.LayerNorm(4, eps=1e-6, elementwise_affine=False)) == (
        "LayerNorm((4,), eps=1e-06, elementwise_affine=False, bias=False)"
    )


def test_layer_norm_errors():
    msg = (
        r"^Given normalized_shape=\[10\], expected input with shape \[\*, 10\], but got input "
        r"of size\[3, 5\]$"
    )
    with pytest.raises(RuntimeError, match=msg):
        F.layer_norm(ember.randn(3, 5), (10,))
    with pytest.raises(RuntimeError, match=r"but got weight of shape \[4\] and normalized_shape"):
        F.layer_norm(ember.randn(3, 5), (5,), ember.ones(4))


# ------------------------------------------------------------------------------ group norm


@pytest.mark.parametrize("shape, groups", [((2, 4), 2), ((2, 6, 3), 3), ((1, 4, 2, 2), 2)])
def test_group_norm_matches_numpy_and_gradients(shape, groups, device):
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])

    def ref(x, w, b):
        g = x.reshape(x.shape[0], groups, -1)
        return _affine_ref(_standardize_ref(g, (2,)).reshape(x.shape), w, b)

    check_op(
        lambda x, w, b: F.group_norm(x, groups, w, b),
        ref,
        x,
        w,
        b,
        gradgrad=True,
        device=device,
    )


def test_group_norm_module_and_errors():
    m = nn.GroupNorm(2, 4)
    assert repr(m) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"]
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    expected = _standardize_ref(x.reshape(3, 2, 10).astype(np.float64), (2,)).reshape(x.shape)
    assert_close(m(ember.tensor(x)), expected.astype(np.float32))
    with pytest.raises(
        ValueError, match=r"^num_channels \(4\) must be divisible by num_groups \(3\)$"
    ):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match=r"input of shape \[2, 5, 4\] and num_groups=2$"):
        F.group_norm(ember.randn(2, 5, 4), 2)
    with pytest.raises(RuntimeError, match=r"but got weight of shape \[3\] and input of shape"):
        F.group_norm(ember.randn(2, 4), 2, ember.ones(3))


# -------------------------------------------------------------------------------- RMS norm


def test_rms_norm_matches_numpy_and_gradients(device):
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal(4)
    check_op(
        lambda x, w: F.rms_norm(x, (4,), w, eps=1e-6),
        lambda x, w: x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-6) * w,
        x,
        w,
        gradgrad=True,
        device=device,
    )


def test_rms_norm_module_default_eps():
    m = nn.RMSNorm(3)
    assert repr(m) == "RMSNorm((3,), eps=None, elementwise_affine=True)"
    x = rng.standard_normal((2, 3)).astype(np.float32)
    eps = np.finfo(np.float32).eps
    expected = x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + eps)
    assert_close(m(ember.tensor(x)), expected.astype(np.float32))


# --------------------------------------------------------------------- local response norm


def _lrn_ref(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    pad = [(0, 0)] * x.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    sq = np.pad(x**2, pad)
    window = sum(sq[:, i : i + c] for i in range(size))
    return x / (k + alpha * window / size) ** beta


@pytest.mark.parametrize("shape, size", [((2, 5, 3), 3), ((1, 4, 2, 2), 2), ((2, 3, 2), 5)])
def test_local_response_norm_matches_numpy_and_gradients(shape, size, device):
    x = rng.standard_normal(shape)
    # large alpha and beta: the normalisation then visibly matters
    check_op(
        lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.9, k=2.0),
        lambda x: _lrn_ref(x, size, alpha=0.5, beta=0.9, k=2.0),
        x,
        gradgrad=True,
        device=device,
    )


def test_local_response_norm_module_hand_computed():
    m = nn.LocalResponseNorm(2, alpha=1.0, beta=1.0, k=0.0)
    assert repr(m) == "LocalResponseNorm(2, alpha=1.0, beta=1.0, k=0.0)"
    x = ember.tensor([[[1.0], [2.0], [3.0]]])
    # window of 2: channel c and the one before it; average of squares divided by 2
    expected = [[[1.0 / 0.5], [2.0 / 2.5], [3.0 / 6.5]]]
    assert_close(m(x), np.array(expected, np.float32))
    assert repr(nn.LocalResponseNorm(5)) == "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1.0)"
    with pytest.raises(ValueError, match=r"^Expected 3D or higher dimensionality input \(got 2 "):
        F.local_response_norm(ember.randn(2, 3), 2)


# ------------------------------------------------------------------------------- normalize


@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize_matches_numpy_and_gradients(p, dim, device):
    x = rng.standard_normal((3, 4))

    def ref(x):
        n = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
        return x / np.maximum(n, 1e-12)

    check_op(lambda x: F.normalize(x, p, dim), ref, x, gradgrad=True, device=device)


def test_normalize_zero_vector_and_out():
    x = ember.tensor([[0.0, 0.0], [3.0, 4.0]])
    y = F.normalize(x)
    assert_close(y, np.array([[0.0, 0.0], [0.6, 0.8]], np.float32))
    out = ember.empty(2, 2)
    assert F.normalize(x, out=out) is out
    assert_close(out, y)
    assert_close(F.normalize(x, dim=0, eps=10.0), x.numpy() / 10.0)
