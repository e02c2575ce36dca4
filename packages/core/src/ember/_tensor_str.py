"""``repr`` of tensors in torch's format: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from . import _dtype as dtypes
from . import backend

_PRINT_THRESHOLD = 1000  # torch summarises tensors with more elements than this
_EDGE_ITEMS = 3


def _float_formatter(values):
    """torch's choice: integers print as ``1.``, moderate ranges with 4 decimals, wide ranges
    (max/min > 1000, or beyond 1e8 / below 1e-4) in scientific notation."""
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}", 0
    nonzero = finite[finite != 0]
    if np.all(finite == np.round(finite)):
        if finite.max() > 1e8:
            return lambda v: _special(v) or f"{v:.4e}", 0
        return lambda v: _special(v) or f"{v:.0f}.", 0
    if nonzero.size and (
        nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4
    ):
        return lambda v: _special(v) or f"{v:.4e}", 0
    return lambda v: _special(v) or f"{v:.4f}", 0


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _format_array(array):
    kind = array.dtype.kind
    if kind == "f":
        fmt, _ = _float_formatter(array.ravel())
    elif kind == "b":
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    else:
        fmt = lambda v: str(int(v))  # noqa: E731
    summarize = array.size > _PRINT_THRESHOLD
    return np.array2string(
        array,
        separator=", ",
        prefix="tensor(",
        formatter={"all": fmt},
        threshold=_PRINT_THRESHOLD if summarize else array.size + 1,
        edgeitems=_EDGE_ITEMS,
        max_line_width=80,
    )


def tensor_repr(t):
    array = backend.to_device(t._data, backend.Device("cpu"))
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
    else:
        body = _format_array(array)
    default = t.dtype in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_)
    if not default:
        suffixes.append(f"dtype=ember.{t.dtype.name}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *suffixes]) + ")"
