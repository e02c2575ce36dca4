"""Anomaly detection for the autograd engine, as torch's ``torch.autograd.anomaly_mode``.

While it is on, every operation that records a graph keeps the traceback of its forward call,
and the backward engine

- raises torch's ``RuntimeError`` when a node's backward returns a gradient holding NaN
  (unless ``check_nan=False``);
- when a node's backward fails, warns with the traceback of the forward call that made the
  node before the error propagates.

The switch is process-wide, not per thread, as torch's. The engine reads it once per
backward pass, so that off it costs one test of a local per node.
"""

from __future__ import annotations

import os
import traceback
import warnings
import weakref

from .. import backend

__all__ = ["detect_anomaly", "set_detect_anomaly"]


class _State:
    def __init__(self):
        self.enabled = False
        self.check_nan = True


_state = _State()

# node -> the stack of the forward call that recorded it (weak keys: a trace lives as long as
# its node)
_traces = weakref.WeakKeyDictionary()

_EMBER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled():
    """True while the autograd engine runs in anomaly detection mode."""
    return _state.enabled


def is_anomaly_check_nan_enabled():
    """True when anomaly mode checks the gradients of every node for NaN."""
    return _state.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off (torch's ``torch.set_anomaly_enabled``)."""
    _state.enabled = bool(enabled)
    _state.check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager that enables anomaly detection for the autograd engine.

    Forward operations run inside it keep the traceback of their call, which backward prints
    (as a warning) when their backward fails; with ``check_nan`` (the default), a backward
    that returns a gradient holding NaN raises ``RuntimeError``. Use it for debugging only:
    it slows down forward and backward.

    Example:
        >>> with ember.autograd.detect_anomaly():
        ...     y = x.sqrt() * 0
        ...     (y / y).sum().backward()  # RuntimeError: Function 'DivBackward0' returned nan
    """

    def __init__(self, check_nan=True):
        self.prev = _state.enabled
        self.check_nan = check_nan
        self.prev_check_nan = _state.check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off: at once, and back to what it was on leaving when used
    as a context manager.

    Args:
        mode: enable (True) or disable (False) anomaly detection.
        check_nan: raise an error when a backward returns NaN.
    """

    def __init__(self, mode, check_nan=True):
        self.prev = _state.enabled
        self.prev_check_nan = _state.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def record_forward(node):
    """Keep the stack of the forward call recording ``node``, without Ember's own frames at
    its end (the operation's wrappers and the recording)."""
    stack = traceback.extract_stack()
    while stack and stack[-1].filename.startswith(_EMBER):
        stack.pop()
    _traces[node] = stack


def report(node):
    """Warn, as torch does, with the forward traceback of ``node``, whose backward failed."""
    stack = _traces.get(node)
    if stack is None:
        message = (
            "No forward pass information available. Enable detect anomaly during forward pass "
            "for more information."
        )
    else:
        message = "Traceback of forward call that caused the error:\n" + "".join(stack.format())
    warnings.warn(f"Error detected in {node.name()}. {message}", stacklevel=4)


def check_nan(node, grads):
    """Raise torch's error if a gradient that ``node``'s backward returned holds NaN."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = getattr(g, "_data", g)  # a tensor when the graph of backward is recorded
        if data.dtype.kind in "fc" and backend.array_module(data).isnan(data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
