"""Tensor factories: ``tensor``, ``zeros``, ``arange`` and friends (random ones live in
``ember.random``)."""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np

from . import _dtype as dtypes
from . import backend
from ._tensor import Tensor, _sizes

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "range",
    "scalar_tensor",
    "asarray",
    "frombuffer",
    "empty_strided",
    "get_default_device",
    "set_default_device",
]


_default_device = [backend.Device("cpu")]  # set_default_device's; a list, set in place


def _device(device):
    return backend.Device(device) if device is not None else _default_device[0]


def get_default_device():
    """The device factories use when given no ``device`` (cpu unless changed)."""
    return _default_device[0]


def set_default_device(device):
    """Make ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, a ``device``; None for cpu) the
    one that factories given no ``device`` (``zeros``, ``ones``, ``full``, ``empty``,
    ``arange``, ``linspace``, ``eye``, ...) create tensors on. Tensors built from data
    (``tensor``, ``as_tensor``) stay where the data is, unlike torch's."""
    _default_device[0] = backend.Device("cpu" if device is None else device)


def _place(array, device, requires_grad):
    t = Tensor._make(backend.to_device(array, _device(device)))
    return t.requires_grad_() if requires_grad else t


_PYTHON_SCALARS = (bool, int, float, complex)


def _infer_array(data, dtype=None):
    """numpy array for Python data: of ``dtype`` when given, else with torch's dtype
    inference: Python floats -> the default dtype, ints -> int64, complex -> the default
    complex dtype; numpy arrays and scalars keep their dtype, and mixed with Python numbers
    promote by torch's rules (``[np.float64(1), 2.0]`` is float64, ``[np.int8(1), 2.5]``
    float32)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _nested_tolist(data)
    if backend.is_cuda_array(data) or isinstance(data, (np.ndarray, np.generic)):
        dtypes.from_numpy(data.dtype)  # reject types torch has no equivalent of
        xp = backend.array_module(data)  # (a cupy array stays on its GPU)
        return xp.asarray(data) if dtype is None else xp.asarray(data, dtypes.to_numpy(dtype))
    if dtype is not None:
        return np.asarray(data, dtypes.to_numpy(dtype))
    array = np.asarray(data)
    kind = array.dtype.kind
    if kind not in "fiucb":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if isinstance(data, (list, tuple)) and kind != "b":
        leaves = [d for d in _flat(data) if type(d) not in _PYTHON_SCALARS]
        if leaves:  # numpy scalars or arrays among Python numbers: torch promotes them
            found = {dtypes.from_numpy(np.asarray(d).dtype) for d in leaves}
            python = [d for d in _flat(data) if type(d) in _PYTHON_SCALARS]
            if python:
                found.add(dtypes.result_type(*python))
            return array.astype(functools.reduce(dtypes.promote_types, found).np)
    if kind == "f":
        return array.astype(dtypes.get_default_dtype().np)
    if kind in "iu":
        return array.astype(np.int64)
    if kind == "c":
        return array.astype(dtypes.get_default_dtype().to_complex().np)
    return array


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d


def _nested_tolist(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_nested_tolist(d) for d in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Python floats become the default dtype (float32), ints int64, bools bool; numpy arrays
    keep their dtype.
    """
    array = _infer_array(data, dtype)
    if dtype is not None:
        array = array.astype(dtypes.to_numpy(dtype))  # a copy, also of a same-dtype array
    else:
        array = array.copy()
    dev = _device(device) if device is not None else backend.device_of(array)
    return _place(array, dev, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    array = _infer_array(data, dtype)
    dev = _device(device) if device is not None else backend.device_of(array)
    return _place(array, dev, False)


def from_numpy(ndarray):
    """A CPU tensor sharing memory with ``ndarray`` (writes through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy(ndarray.dtype)
    return Tensor._make(ndarray)


def _negative_dimension(shape, name=None):
    """torch's error for a ``shape`` that has a negative size (numpy's is a ValueError);
    zeros words it its own way. Returns if none is negative."""
    for s in shape:
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.") from None
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(shape)}"
            ) from None


def _factory(name, doc, fill):
    def make(*size, dtype=None, device=None, requires_grad=False):
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        xp = backend.array_module(_device(device))
        shape = _sizes(size)
        try:
            t = Tensor._make(fill(xp, shape, dt.np, _device(device)))
        except ValueError:
            _negative_dimension(shape, name)
            raise
        return t.requires_grad_() if requires_grad else t

    make.__name__, make.__doc__ = name, doc
    return make


def _on(dev, fn):
    if dev.type == "cuda":
        with backend.cp.cuda.Device(dev.index or 0):
            return fn()
    return fn()


zeros = _factory(
    "zeros",
    "A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``.",
    lambda xp, shape, dt, dev: _on(dev, lambda: xp.zeros(shape, dt)),
)
ones = _factory(
    "ones", "A tensor of ones.", lambda xp, shape, dt, dev: _on(dev, lambda: xp.ones(shape, dt))
)
empty = _factory(
    "empty",
    "An uninitialised tensor.",
    lambda xp, shape, dt, dev: _on(dev, lambda: xp.empty(shape, dt)),
)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value``; the dtype follows the value (bool, int64 or the
    default float) unless given."""
    if dtype is None:
        dtype = dtypes._scalar_dtype(fill_value)
    dt = dtypes.as_dtype(dtype)
    dev = _device(device)
    xp = backend.array_module(dev)
    shape = _sizes((size,))
    try:
        t = Tensor._make(_on(dev, lambda: xp.full(shape, fill_value, dt.np)))
    except ValueError:
        _negative_dimension(shape)
        raise
    return t.requires_grad_() if requires_grad else t


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 when all arguments are
    integers, else the default float dtype."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in values)
        dtype = dtypes.int64 if integral else dtypes.get_default_dtype()
    dt = dtypes.as_dtype(dtype)
    n = math.ceil((end - start) / step)
    # computed as start + i * step in float64, like torch, so long ranges do not drift
    array = (
        (start + np.arange(n, dtype=np.float64) * step)
        if dt.is_floating_point
        else np.arange(start, end, step)
    )
    return _place(array.astype(dt.np), device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values evenly spaced from ``start`` to ``end`` inclusive.

    Computed as torch's CPU kernel does: the step in the result's floating type (double for
    integer results), the first half as ``start + step * i`` and the second half as
    ``end - step * (steps - 1 - i)``, so both ends are exact. float32 results match torch's
    bit for bit (its vectorised loop rounds once, a fused multiply-add, as float64 does here).
    """
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    steps = int(steps)
    kind = dt.np.type if dt.is_floating_point else np.float64
    start, end = kind(dt.np.type(start)), kind(dt.np.type(end))
    step = (end - start) / kind(max(steps - 1, 1))
    if kind is np.float32:  # float64 holds float32 products exactly: one rounding below
        start, end, step = np.float64(start), np.float64(end), np.float64(step)
    index = np.arange(steps, dtype=start.dtype)
    array = np.where(index < steps // 2, start + step * index, end - step * (steps - 1 - index))
    if steps == 1:
        array[:] = start
    return _place(array.astype(dt.np), device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal."""
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    return _place(np.eye(n, n if m is None else m, dtype=dt.np), device, requires_grad)


def make_like(factory):
    """The ``*_like`` form of a factory taking ``(size, *, dtype, device, requires_grad)``
    (``ember.random`` makes ``rand_like`` and ``randn_like`` with it too)."""

    def like(input, *, dtype=None, device=None, requires_grad=False):
        return factory(
            input.shape,
            dtype=dtype or input.dtype,
            device=device or input.device,
            requires_grad=requires_grad,
        )

    like.__name__ = f"{factory.__name__}_like"
    like.__doc__ = f"``{factory.__name__}`` with the shape (and dtype, device) of ``input``."
    return like


zeros_like = make_like(zeros)
ones_like = make_like(ones)
empty_like = make_like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(
        input.shape,
        fill_value,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` **inclusive** by ``step``, in the default float dtype
    unless ``dtype`` is given. Deprecated in torch (with this warning) for ``arange``, whose
    end is exclusive."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    n = math.floor((end - start) / step) + 1
    dev = _device(device)
    xp = backend.array_module(dev)
    values = _on(dev, lambda: start + xp.arange(n, dtype=np.float64) * step)
    return _place(values.astype(dt.np), dev, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-D tensor holding the number ``s``, in the default float dtype unless ``dtype``
    is given (an int gives a float tensor, unlike ``tensor``)."""
    dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    return _place(np.asarray(s, dtype=dt.np), _device(device), requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` (a tensor, numpy array, buffer-like, number or nested sequence) as a tensor,
    sharing its memory where no conversion is needed (``copy=None``); ``copy=True`` always
    copies, ``copy=False`` raises where a copy would be needed."""
    if isinstance(obj, Tensor):
        out = obj.to(device=device, dtype=dtype)
        shares = out._data is obj._data
    else:
        array = _infer_array(obj, dtype)
        dev = _device(device) if device is not None else backend.device_of(array)
        out = _place(array, dev, False)
        shares = (
            isinstance(obj, np.ndarray)
            and isinstance(out._data, np.ndarray)  # (not when placed on a GPU)
            and np.shares_memory(out._data, obj)
        )
    if copy is False and not shares:
        raise ValueError("Unable to avoid copy while creating an array as requested.")
    if copy and shares:
        out = Tensor._make(out._data.copy())
    return out.requires_grad_() if requires_grad else out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D CPU tensor of ``dtype`` over the bytes of ``buffer`` (any object with the buffer
    protocol), sharing its memory: ``count`` elements (all when -1) from byte ``offset``."""
    array = np.frombuffer(buffer, dtype=dtypes.to_numpy(dtype), count=count, offset=offset)
    return _place(array, backend.Device("cpu"), requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of ``size``. Ember's tensors are laid out contiguously, so
    ``stride`` is checked against ``size`` but not applied."""
    if len(tuple(size)) != len(tuple(stride)):
        raise RuntimeError("mismatch in length of strides and shape")
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)
