"""Grad mode: whether operations record the graph. Thread-local, like torch's."""

from __future__ import annotations

import functools
import threading

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False


_state = _State()


def is_grad_enabled():
    """True when new operations record a graph for autograd."""
    return _state.enabled


def is_inference_mode_enabled():
    """True inside an enabled ``inference_mode``."""
    return _state.inference


class _GradModeContext:
    """A context manager that is also a decorator, setting grad mode for its extent."""

    _mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return func(*args, **kwargs)

        return wrapper

    def _fresh(self):
        # A decorated function may be re-entered (recursion, threads): give each call its own
        # saved state instead of sharing ``self._prev``.
        return self.__class__()


class no_grad(_GradModeContext):
    """Context manager / decorator that disables gradient recording.

    Example:
        >>> with ember.no_grad():
        ...     y = x * 2  # y.requires_grad is False
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager / decorator that enables gradient recording inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and also works as a context manager."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __enter__(self):
        pass

    def _fresh(self):
        return set_grad_enabled(self._mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (Ember keeps no version counters, so there is nothing more to skip).

    Args:
        mode: ``True`` (the default) disables recording; ``False`` turns inference mode off
            and recording on, as torch's does (also inside ``no_grad``).
    """

    def __init__(self, mode=True):
        self._enabled = bool(mode)

    def __enter__(self):
        self._prev = _state.enabled
        self._prev_inference = _state.inference
        _state.enabled = not self._enabled
        _state.inference = self._enabled

    def __exit__(self, *exc):
        _state.enabled = self._prev
        _state.inference = self._prev_inference
        return False

    def _fresh(self):
        return inference_mode(self._enabled)
