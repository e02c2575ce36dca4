"""Autograd anomaly detection: the NaN check of every node's gradients, the forward traceback
warned when a backward fails, and the switches (detect_anomaly, set_detect_anomaly,
set_anomaly_enabled)."""

import gc

import numpy as np
import pytest

import ember
from ember.autograd import anomaly_mode

ENABLED = "Anomaly Detection has been enabled"


def _nan_through_division():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt() * 0.0
    return x, (y / y).sum()  # d/dy of y / y at y = 0 is 0 / 0


def test_nan_gradient_raises_with_torchs_message():
    with pytest.warns(UserWarning) as caught, ember.autograd.detect_anomaly():
        assert ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
        _, loss = _nan_through_division()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    assert str(info.value) == "Function 'DivBackward0' returned nan values in its 1th output."
    messages = [str(w.message) for w in caught]
    assert messages[0].startswith(ENABLED)
    head = "Error detected in DivBackward0. Traceback of forward call that caused the error:\n"
    assert messages[1].startswith(head)
    assert "return x, (y / y).sum()" in messages[1]  # the forward line, not Ember's frames
    assert "ember/" not in messages[1].splitlines()[-2]
    assert not ember.is_anomaly_enabled()


def test_the_index_is_the_gradients_position():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([float("nan")])
    with pytest.warns(UserWarning), ember.autograd.detect_anomaly():
        y = a * b
        with pytest.raises(RuntimeError, match="'MulBackward0' returned nan values in its 0th"):
            y.sum().backward()


def test_without_check_nan_or_outside_anomaly_mode_nan_passes():
    x, loss = _nan_through_division()
    loss.backward()  # off: torch does not look
    assert np.isnan(x.grad.numpy()).all()
    with pytest.warns(UserWarning, match=ENABLED), ember.autograd.detect_anomaly(check_nan=False):
        assert ember.is_anomaly_enabled() and not ember.is_anomaly_check_nan_enabled()
        x, loss = _nan_through_division()
        loss.backward()
    assert np.isnan(x.grad.numpy()).all()
    assert ember.is_anomaly_check_nan_enabled()


def test_checks_gradients_of_the_recorded_backward_and_of_grad():
    with ember.autograd.set_detect_anomaly(True):
        for create_graph in (True, False):
            x, loss = _nan_through_division()
            with (
                pytest.warns(UserWarning, match="Error detected in DivBackward0"),
                pytest.raises(RuntimeError, match="returned nan values"),
            ):
                ember.autograd.grad(loss, x, create_graph=create_graph)
    assert not ember.is_anomaly_enabled()


class _Failing(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, gy):
        raise ValueError("broken backward")


def test_a_failing_backward_warns_with_its_forward_traceback():
    x = ember.ones(2, requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        y = _Failing.apply(x)  # the forward line the warning shows
        with (
            pytest.warns(UserWarning, match="Error detected in _FailingBackward0") as caught,
            pytest.raises(ValueError, match="broken backward"),
        ):
            y.sum().backward()
    assert "y = _Failing.apply(x)  # the forward line" in str(caught[0].message)


def test_a_node_recorded_outside_anomaly_mode_has_no_traceback():
    x = ember.ones(2, requires_grad=True)
    y = _Failing.apply(x)
    with (
        ember.autograd.set_detect_anomaly(True),
        pytest.warns(UserWarning, match="No forward pass information available"),
        pytest.raises(ValueError),
    ):
        y.sum().backward()


def test_switches():
    mode = ember.autograd.set_detect_anomaly(True, check_nan=False)  # takes effect at once
    assert ember.is_anomaly_enabled() and not ember.is_anomaly_check_nan_enabled()
    ember.autograd.set_detect_anomaly(False)
    assert not ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
    with mode:
        pass
    ember.set_anomaly_enabled(True, False)
    assert ember.is_anomaly_enabled() and not ember.is_anomaly_check_nan_enabled()
    ember.set_anomaly_enabled(False)
    assert not ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
    with pytest.warns(UserWarning, match=ENABLED):
        manager = ember.autograd.detect_anomaly()
    assert not ember.is_anomaly_enabled()  # on only inside the with block
    with manager:
        assert ember.is_anomaly_enabled()
    assert not ember.is_anomaly_enabled()


def test_traces_live_as_long_as_their_nodes():
    gc.collect()
    before = len(anomaly_mode._traces)
    with ember.autograd.set_detect_anomaly(True):
        x = ember.ones(3, requires_grad=True)
        y = (x * 2).exp().sum()
        assert len(anomaly_mode._traces) == before + 3
        y.backward()
    del y
    gc.collect()
    assert len(anomaly_mode._traces) == before
    assert x.grad.tolist() == pytest.approx([2 * np.exp(2.0)] * 3)
