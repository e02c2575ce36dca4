"""``repr`` of tensors, by torch's rules: ``tensor([[ 1.,  2.], [ 3., 10.]], requires_grad=True)``.

Every element of a tensor shares one width and one notation, chosen from the values shown:
integers (``1.``) when every finite float is whole, else fixed point (``0.1000``), else
scientific (``1.0000e-05``) when the magnitudes span more than 1000x or leave [1e-4, 1e8].
A tensor with more than ``threshold`` elements prints only ``edgeitems`` rows and columns at
each end of every dimension, with ``...`` between; lines wrap at ``linewidth``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtype as dtypes
from . import backend

__all__ = ["set_printoptions", "tensor_repr"]


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


_OPTS = _PrintOptions()

# profile -> (precision, threshold, edgeitems, linewidth)
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set how tensors print, as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: element count above which a tensor is summarised (default 1000).
        edgeitems: items kept at each end of a summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"`` (never summarise) presets,
            which the other arguments then override.
        sci_mode: force scientific notation on (True) or off (False); None chooses per
            tensor. Like torch, every call resets it to this argument.
    """
    if profile is not None:
        _OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


class _Formatter:
    """The notation and common width of a tensor's elements, chosen from the values shown."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            # bools and integers: the widest text belongs to the smallest or the largest value
            self.width = max(len(str(v.item())) for v in (values.min(), values.max()))
        else:
            shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
            if shown.size:
                magnitude = np.abs(shown)
                smallest, largest = magnitude.min(), magnitude.max()
                self.int_mode = bool(np.all(shown == np.ceil(shown)))
                wide = largest / smallest > 1000.0 or largest > 1.0e8
                self.sci_mode = wide if self.int_mode else wide or smallest < 1.0e-4
                self.width = max(len(self._text(v)) for v in _longest_candidates(shown))
        # like torch, a forced notation keeps the width measured in the chosen one
        if _OPTS.sci_mode is not None:
            self.sci_mode = _OPTS.sci_mode

    def _text(self, value):
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{_OPTS.precision}e}"
        if self.int_mode:
            # the trailing "." says "float"; nan and inf need no such hint
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{_OPTS.precision}f}"

    def format(self, value):
        return self._text(value).rjust(self.width)


class _ComplexFormatter:
    """Complex elements as torch prints them, ``1.+2.j``: the real and the imaginary parts
    each with a notation and width of their own, chosen from all the elements' parts."""

    def __init__(self, values):
        self.real = _Formatter(values.real)
        self.imag = _Formatter(values.imag)
        self.width = self.real.width + self.imag.width + 1

    def format(self, value):
        imag = (self.imag.format(value.imag) + "j").lstrip()
        sign = "" if imag[0] in "+-" else "+"
        return self.real.format(value.real) + sign + imag


def _longest_candidates(values):
    """The values whose text can be the longest: for each sign, the largest magnitude (most
    integer digits) and the smallest (a three-digit negative exponent, ``1e-100``)."""
    candidates = []
    for part in (values[values > 0], values[values < 0]):
        if part.size:
            candidates += [part.min().item(), part.max().item()]
    return candidates


def _edges(array, cut):
    """Keep only ``edgeitems`` entries at each end of the dimensions marked in ``cut``."""
    xp = backend.array_module(array)
    edge = _OPTS.edgeitems
    for axis, is_cut in enumerate(cut):
        if is_cut:
            size = array.shape[axis]
            head = (slice(None),) * axis + (slice(0, edge),)
            tail = (slice(None),) * axis + (slice(size - edge, size),)
            array = xp.concatenate([array[head], array[tail]], axis=axis)
    return array


def _render(array, cut, indent, fmt):
    """The text of ``array``: nested brackets, rows aligned under the first one."""
    if array.ndim == 0:
        return fmt.format(array.item())
    if array.ndim == 1:
        items = [fmt.format(v) for v in array.tolist()]
        if cut[0]:
            items.insert(_OPTS.edgeitems, " ...")
        per_line = max(1, (_OPTS.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_render(row, cut[1:], indent + 1, fmt) for row in array]
    if cut[0]:
        rows.insert(_OPTS.edgeitems, "...")
    # one blank line between blocks per dimension below the rows
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_str(data, indent):
    summarize = data.size > _OPTS.threshold
    cut = tuple(summarize and s > 2 * _OPTS.edgeitems for s in data.shape)
    # summarise on the tensor's device, so only the elements shown travel to the host
    shown = backend.to_device(_edges(data, cut), backend.Device("cpu"))
    formatter = _ComplexFormatter if shown.dtype.kind == "c" else _Formatter
    return _render(shown, cut, indent, formatter(shown))


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    # torch's measure of the last line (two more than its length when there is one line)
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t):
    """``repr(t)`` (and ``str(t)``) in torch's format.

    The suffixes follow torch: ``device=`` for GPU tensors, ``size=`` for empty tensors that
    are not 1-D, ``dtype=`` unless it is the default float dtype, int64 or bool (any
    non-default dtype when empty), then ``grad_fn=`` or ``requires_grad=True``.
    """
    prefix = "tensor("
    indent = len(prefix)
    data = t._data
    dtype = t.dtype
    suffixes = []
    if backend.is_cuda_array(data):
        suffixes.append(f"device='{t.device}'")
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        # no element shows whether an empty tensor holds integers, so any non-default is named
        if dtype is not dtypes.get_default_dtype():
            suffixes.append(f"dtype={dtype}")
    else:
        body = _tensor_str(data, indent)
        default = dtypes.get_default_dtype()
        if dtype not in (default, dtypes.int64, dtypes.bool_, default.to_complex()):
            suffixes.append(f"dtype={dtype}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
