"""Dropout: masks and scaling, statistics, reproducibility under ``manual_seed``, channel-wise
masks and torch's rank rules, alpha dropout, gradients, in-place use and the layers."""

import contextlib
import math
import re

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from ember.testing import assert_close

SELU_SATURATION = 1.7580993408473766


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """These tests seed the default generator; give the next test the state it had (the CPU
    one: ember has no CUDA generator state API to restore)."""
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


def _channel_masks(y, ndim_lead):
    """Per leading index (sample, channel): whether the whole slice was dropped or kept."""
    flat = y.reshape(*y.shape[:ndim_lead], -1)
    dropped = (flat == 0).all(-1)
    kept = (flat != 0).all(-1)
    assert (dropped | kept).all(), "a channel was partly dropped"
    return kept


@pytest.mark.parametrize(
    "fn",
    [F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout],
)
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_out_of_range(fn, p):
    with pytest.raises(
        ValueError, match=re.escape(f"dropout probability has to be between 0 and 1, but got {p}")
    ):
        fn(ember.randn(2, 3, 4, 5), p)


@pytest.mark.parametrize("cls", [nn.Dropout, nn.Dropout2d, nn.AlphaDropout])
def test_module_rejects_bad_probability(cls):
    with pytest.raises(
        ValueError, match=re.escape("dropout probability has to be between 0 and 1, but got 1.5")
    ):
        cls(1.5)


def test_elements_are_zero_or_scaled(device):
    x = ember.randn(50, 40, device=device)
    y = F.dropout(x, p=0.3).cpu().numpy()
    xn = x.cpu().numpy()
    kept = y != 0
    assert_close(y[kept], xn[kept] / 0.7)
    assert 0.25 < 1 - kept.mean() < 0.35


def test_mean_is_preserved(device):
    y = F.dropout(ember.ones(200, 500, device=device), p=0.4).cpu().numpy()
    # each element is 0 or 1/0.6; the mean of 1e5 of them has standard deviation 0.0026
    assert np.isin(y, [0.0, np.float32(1 / 0.6)]).all()
    assert abs(y.mean() - 1.0) < 0.02


def test_not_training_and_p_zero_return_the_input():
    x = ember.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout2d(ember.randn(2, 3, 4, 4), 0.5, False).shape == (2, 3, 4, 4)
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False here, as in torch


def test_p_one_gives_zeros_and_zero_gradient():
    x = ember.randn(3, 4, requires_grad=True)
    y = F.dropout(x, 1.0)
    assert (y.detach().numpy() == 0).all()
    y.sum().backward()
    assert (x.grad.numpy() == 0).all()


def test_manual_seed_reproduces_the_mask(device):
    x = ember.ones(8, 16, device=device)
    ember.manual_seed(123)
    a = F.dropout(x, 0.5).cpu().numpy()
    b = F.dropout(x, 0.5).cpu().numpy()
    ember.manual_seed(123)
    c = F.dropout(x, 0.5).cpu().numpy()
    assert (a == c).all()
    assert not (a == b).all()


def test_gradient_is_the_scaled_mask(device):
    x = ember.randn(6, 7, device=device, requires_grad=True)
    y = F.dropout(x, 0.25)
    g = ember.randn(6, 7, device=device)
    y.backward(g)
    mask = (y.detach().cpu().numpy() != 0) / 0.75
    assert_close(x.grad, g.cpu().numpy() * mask)


def test_gradcheck_with_a_fixed_mask():
    def seeded_dropout(t):
        ember.manual_seed(7)  # the same mask on every call, so finite differences apply
        return F.dropout(t, 0.4)

    x = ember.tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(seeded_dropout, [x])
    assert gradgradcheck(seeded_dropout, [x])


def test_empty_input():
    x = ember.randn(0, 3)
    assert F.dropout(x, 0.5) is x


# ----------------------------------------------------------------------- channel-wise


def test_dropout2d_drops_whole_channels(device):
    x = ember.ones(8, 16, 3, 3, device=device)
    y = F.dropout2d(x, 0.5).cpu().numpy()
    kept = _channel_masks(y, 2)
    assert np.isin(y, [0.0, 2.0]).all()
    assert 0 < kept.mean() < 1


def test_dropout2d_3d_input_is_taken_as_batched_1d():
    x = ember.ones(4, 8, 5)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = F.dropout2d(x, 0.5).numpy()
    _channel_masks(y, 2)  # one mask value per (N, C), as for dropout1d


def test_dropout2d_other_ranks_warn():
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d, which is deprecated"):
        y = F.dropout2d(ember.ones(20, 30), 0.5).numpy()
    assert np.isin(y, [0.0, 2.0]).all()  # (N, C): one value per element
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        F.dropout2d(ember.ones(2, 3, 2, 2, 2), 0.5, training=False)


def test_dropout1d_batched_and_unbatched():
    y = F.dropout1d(ember.ones(6, 10, 7), 0.5).numpy()
    _channel_masks(y, 2)
    y = F.dropout1d(ember.ones(40, 7), 0.5).numpy()  # (C, L): one value per channel
    kept = _channel_masks(y, 1)
    assert 0 < kept.mean() < 1
    with pytest.raises(
        RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"
    ):
        F.dropout1d(ember.ones(2, 3, 4, 5))


def test_dropout3d_batched_and_unbatched():
    _channel_masks(F.dropout3d(ember.ones(4, 6, 2, 2, 2), 0.5).numpy(), 2)
    kept = _channel_masks(F.dropout3d(ember.ones(30, 2, 2, 2), 0.5).numpy(), 1)
    assert 0 < kept.mean() < 1
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        y = F.dropout3d(ember.ones(20, 4, 4), 0.5).numpy()
    _channel_masks(y, 1)  # taken as unbatched (C, D, H)


def test_feature_dropout_needs_two_dimensions():
    with (
        pytest.warns(UserWarning, match="Received a 1-D input to dropout2d"),
        pytest.raises(
            RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"
        ),
    ):
        F.dropout2d(ember.ones(5), 0.5)


def test_channel_gradient_is_the_scaled_mask():
    x = ember.randn(3, 4, 5, requires_grad=True)
    y = F.dropout1d(x, 0.5)
    y.sum().backward()
    kept = _channel_masks(y.detach().numpy(), 2)
    assert_close(x.grad, np.broadcast_to(kept[..., None] * 2.0, (3, 4, 5)).astype(np.float32))


# ------------------------------------------------------------------------------ alpha dropout


def test_alpha_dropout_values():
    p = 0.2
    a = 1 / math.sqrt((SELU_SATURATION**2 * p + 1) * (1 - p))
    x = ember.randn(100, 100)
    y = F.alpha_dropout(x, p, training=True).numpy()
    xn = x.numpy()
    dropped_value = -SELU_SATURATION * a * (1 - p)
    dropped = np.isclose(y, dropped_value, rtol=1e-6, atol=0)
    assert_close(y[~dropped], a * xn[~dropped] + SELU_SATURATION * a * p, atol=1e-5, rtol=1e-5)
    assert abs(dropped.mean() - p) < 0.02


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    y = F.alpha_dropout(ember.randn(400, 500), 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


def test_feature_alpha_dropout_is_channel_wise():
    x = ember.zeros(10, 12, 4)
    y = F.feature_alpha_dropout(x, 0.5, training=True).numpy()
    # a zero input becomes one of two constants, the same across each channel
    assert (y == y[..., :1]).all()
    assert len(np.unique(y)) == 2


# ---------------------------------------------------------------------------------- in place


def test_inplace_overwrites_the_input():
    x = ember.ones(10, 10)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    assert np.isin(x.numpy(), [0.0, 2.0]).all() and (x.numpy() == 0).any()
    x = ember.ones(4, 6, 3, 3)
    assert F.dropout2d(x, 0.5, inplace=True) is x
    _channel_masks(x.numpy(), 2)
    x = ember.ones(6, 5)
    assert F.dropout1d(x, 0.5, inplace=True) is x
    _channel_masks(x.numpy(), 1)


def test_inplace_gradient():
    x = ember.randn(5, 5, requires_grad=True)
    y = x * 1.0
    F.dropout(y, 0.5, inplace=True)
    y.sum().backward()
    assert_close(x.grad, (y.detach().numpy() != 0) * 2.0)


def test_inplace_on_a_leaf_that_requires_grad():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.dropout(x, 0.5, inplace=True)
    assert F.dropout(x, 0.5, training=False, inplace=True) is x  # nothing to do, no error


# ------------------------------------------------------------------------------------ layers


@pytest.mark.parametrize(
    ("module", "text"),
    [
        (nn.Dropout(), "Dropout(p=0.5, inplace=False)"),
        (nn.Dropout(0.1, inplace=True), "Dropout(p=0.1, inplace=True)"),
        (nn.Dropout1d(0.2), "Dropout1d(p=0.2, inplace=False)"),
        (nn.Dropout2d(), "Dropout2d(p=0.5, inplace=False)"),
        (nn.Dropout3d(0.3), "Dropout3d(p=0.3, inplace=False)"),
        (nn.AlphaDropout(0.2), "AlphaDropout(p=0.2, inplace=False)"),
        (nn.FeatureAlphaDropout(), "FeatureAlphaDropout(p=0.5, inplace=False)"),
    ],
)
def test_layer_repr(module, text):
    assert repr(module) == text


@pytest.mark.parametrize(
    "module",
    [
        nn.Dropout(),
        nn.Dropout1d(),
        nn.Dropout2d(),
        nn.Dropout3d(),
        nn.AlphaDropout(),
        nn.FeatureAlphaDropout(),
    ],
)
def test_layers_drop_in_training_and_are_the_identity_in_eval(module):
    x = ember.ones(4, 8, 2, 2, 2) if isinstance(module, nn.Dropout3d) else ember.ones(4, 8, 3)
    with_warning = isinstance(module, nn.Dropout2d)
    with pytest.warns(UserWarning) if with_warning else contextlib.nullcontext():
        y = module(x)
    assert not np.allclose(y.numpy(), x.numpy())
    module.eval()
    with pytest.warns(UserWarning) if with_warning else contextlib.nullcontext():
        assert_close(module(x), x.numpy())


def test_dropout2d_layer_is_channel_wise():
    _channel_masks(nn.Dropout2d(0.5)(ember.ones(4, 8, 3, 3)).numpy(), 2)


def test_dropout_layer_inplace():
    x = ember.ones(10, 10)
    assert nn.Dropout(0.5, inplace=True)(x) is x


def test_alpha_dropout_layer_ignores_inplace_like_torch():
    x = ember.ones(10, 10)
    y = nn.AlphaDropout(0.5, inplace=True)(x)
    assert y is not x and (x.numpy() == 1).all()
