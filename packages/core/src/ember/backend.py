"""Array backends: numpy on the CPU, cupy on CUDA GPUs.

This is the only module that imports cupy or papers over a numpy/cupy difference. Kernels ask
``array_module(x)`` for the module of their inputs and are written once against it.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform

import numpy as np

try:  # cupy is the optional ``ember[cuda]`` extra
    import cupy as cp
    import cupyx.scipy.special as _cupy_special
except ImportError:  # pragma: no cover - depends on the machine
    cp = None
    _cupy_special = None

__all__ = ["Device", "device", "array_module", "device_of", "to_device", "cuda_available"]


class Device:
    """Where a tensor's memory lives: ``ember.device("cpu")`` or ``ember.device("cuda", 0)``.

    Args:
        type: ``"cpu"`` or ``"cuda"``, optionally with an index (``"cuda:1"``).
        index: device ordinal for ``"cuda"``; ``None`` means the current device.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, Device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, str) and ":" in type:
            if index is not None:
                raise ValueError(f"device string {type!r} already has an index; got index={index}")
            type, _, ordinal = type.partition(":")
            if not ordinal.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{ordinal}'")
            index = int(ordinal)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        if type == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be 0 or None, got {index}")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


device = Device
_CPU = Device("cpu")


@functools.cache
def cuda_device_count():
    """The CUDA devices cupy sees (0 without cupy or a driver), asked once: the query takes
    about half a millisecond, and ``ember.cuda.synchronize`` asks on every call."""
    if cp is None:
        return 0
    try:
        return cp.cuda.runtime.getDeviceCount()
    except cp.cuda.runtime.CUDARuntimeError:
        return 0


def cuda_available():
    """True when cupy is installed and sees at least one CUDA device."""
    return cuda_device_count() > 0


def array_module(x):
    """numpy or cupy: the module that owns array ``x`` (or that serves a ``Device``)."""
    if x.__class__ is np.ndarray:  # the common case, first: every operation asks
        return np
    if isinstance(x, Device):
        return np if x.type == "cpu" else _require_cupy()
    if cp is not None and isinstance(x, cp.ndarray):
        return cp
    return np


def erf(x):
    """The error function elementwise; numpy has none, so it is computed here in float64.

    |x| < 2.5: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)), a series of
    positive terms (no cancellation). |x| >= 2.5: erfc by its continued fraction
    erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
    Both reach float64 round-off (checked against ``math.erf`` in the tests).
    """
    if is_cuda_array(x):
        return _cupy_special.erf(x)
    z = np.abs(x.astype(np.float64))
    small = np.minimum(z, 2.5)
    term = small.copy()
    total = small.copy()
    for n in range(1, 60):
        term *= 2.0 * small * small / (2 * n + 1)
        total += term
    series = 2.0 / np.sqrt(np.pi) * np.exp(-small * small) * total
    tail = 1.0 - _erfc_fraction(np.maximum(z, 2.5))
    return (np.sign(x) * np.where(z < 2.5, series, tail)).astype(x.dtype, copy=False)


def _erfc_fraction(z):
    """erfc(z) for float64 ``z >= 2.5`` by its continued fraction, to float64 round-off."""
    frac = z.copy()
    for k in range(60, 0, -1):
        frac = z + (k / 2.0) / frac
    with np.errstate(under="ignore"):  # exp(-z^2) underflows to 0 for large z, as erfc does
        return np.exp(-z * z) / np.sqrt(np.pi) / frac


def erfc(x):
    """``1 - erf(x)`` elementwise without its cancellation for large ``x``: the continued
    fraction of ``erf`` is erfc itself for ``|x| >= 2.5``."""
    if is_cuda_array(x):
        return _cupy_special.erfc(x)
    z = np.abs(x.astype(np.float64))
    positive = np.where(z < 2.5, 1.0 - erf(z), _erfc_fraction(np.maximum(z, 2.5)))  # erfc(|x|)
    return np.where(x < 0, 2.0 - positive, positive).astype(x.dtype, copy=False)


def erfinv(x):
    """The inverse error function: Giles's single-precision approximation ("Approximating
    the erfinv function", GPU Computing Gems, 2011), then Newton steps on ``erf`` in float64;
    +-inf at +-1, NaN outside [-1, 1] as in torch."""
    if is_cuda_array(x):
        return _cupy_special.erfinv(x)
    a = x.astype(np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - a) * (1.0 + a))
        central, tail = w - 2.5, np.sqrt(w) - 3.0
        p_c = np.polyval(
            [
                2.81022636e-08,
                3.43273939e-07,
                -3.5233877e-06,
                -4.39150654e-06,
                0.00021858087,
                -0.00125372503,
                -0.00417768164,
                0.246640727,
                1.50140941,
            ],
            central,
        )
        p_t = np.polyval(
            [
                -0.000200214257,
                0.000100950558,
                0.00134934322,
                -0.00367342844,
                0.00573950773,
                -0.0076224613,
                0.00943887047,
                1.00167406,
                2.83297682,
            ],
            tail,
        )
        y = np.where(w < 5.0, p_c, p_t) * a
        # Newton steps, each about doubling the correct digits: on erf(y) = a in the middle,
        # on log(erfc(|y|)) = log(1 - |a|) in the tails (nearly linear in y^2 there, and
        # without erf's cancellation near 1)
        tail = np.abs(a) > 0.5
        for _ in range(3):
            z = np.abs(y)
            density = (2.0 / np.sqrt(np.pi)) * np.exp(-y * y)
            complement = erfc(z)
            log_step = (np.log(complement) - np.log1p(-np.abs(a))) * complement / density
            step = np.where(tail, -np.sign(a) * log_step, (erf(y) - a) / density)
            y = np.where(np.isfinite(step), y - step, y)
    y = np.where(np.abs(a) == 1, np.copysign(np.inf, a), y)
    y = np.where(np.abs(a) > 1, np.nan, y)
    return y.astype(x.dtype, copy=False)


def device_of(array):
    """The ``Device`` that holds ``array``."""
    if cp is not None and isinstance(array, cp.ndarray):
        return Device("cuda", array.device.id)
    return _CPU


def is_cuda_array(array):
    return cp is not None and isinstance(array, cp.ndarray)


def to_device(array, dev):
    """Copy ``array`` to device ``dev`` (no copy if it is already there)."""
    if dev.type == "cpu":
        return cp.asnumpy(array) if is_cuda_array(array) else array
    xp = _require_cupy()
    index = dev.index if dev.index is not None else xp.cuda.runtime.getDevice()
    if is_cuda_array(array) and array.device.id == index:
        return array
    with xp.cuda.Device(index):
        return xp.asarray(array)


def _require_cupy():
    if cp is None:
        raise AssertionError(
            "Torch not compiled with CUDA enabled: ember needs cupy for 'cuda' devices "
            "(pip install 'ember[cuda]')"
        )
    return cp


class _NumpyEngine:
    """Random draws on the CPU: numpy's PCG64."""

    def __init__(self, seed):
        self.bits = np.random.Generator(np.random.PCG64(seed))

    def uniform(self, shape, dtype):
        dt = dtype if dtype in (np.float32, np.float64) else np.float32
        return self.bits.random(shape, dtype=dt).astype(dtype, copy=False)

    def normal(self, shape, dtype):
        dt = dtype if dtype in (np.float32, np.float64) else np.float32
        return self.bits.standard_normal(shape, dtype=dt).astype(dtype, copy=False)

    def exponential(self, shape, dtype):
        dt = dtype if dtype in (np.float32, np.float64) else np.float32
        return self.bits.standard_exponential(shape, dtype=dt).astype(dtype, copy=False)

    def integers(self, low, high, shape, dtype):
        return self.bits.integers(low, high, shape, dtype=np.int64).astype(dtype, copy=False)

    def permutation(self, n):
        return self.bits.permutation(n)

    def get_state(self):
        return self.bits.bit_generator.state

    def set_state(self, state):
        self.bits.bit_generator.state = state


class _CupyEngine:
    """Random draws on a CUDA device: cupy's generator, so nothing crosses the bus."""

    def __init__(self, seed, index):
        self.index = index
        with cp.cuda.Device(index):
            self.bits = cp.random.RandomState(seed)

    def uniform(self, shape, dtype):
        with cp.cuda.Device(self.index):
            return self.bits.random_sample(
                shape, dtype=np.float32 if dtype == np.float16 else dtype
            ).astype(dtype, copy=False)

    def normal(self, shape, dtype):
        with cp.cuda.Device(self.index):
            return self.bits.standard_normal(
                shape, dtype=np.float32 if dtype == np.float16 else dtype
            ).astype(dtype, copy=False)

    def exponential(self, shape, dtype):
        with cp.cuda.Device(self.index):
            return self.bits.standard_exponential(
                shape, dtype=np.float32 if dtype == np.float16 else dtype
            ).astype(dtype, copy=False)

    def integers(self, low, high, shape, dtype):
        with cp.cuda.Device(self.index):
            return self.bits.randint(low, high, shape, dtype=np.int64).astype(dtype, copy=False)

    def permutation(self, n):
        with cp.cuda.Device(self.index):
            return self.bits.permutation(n)

    def get_state(self):
        raise NotImplementedError("get_state is not supported for CUDA generators")

    def set_state(self, state):
        raise NotImplementedError("set_state is not supported for CUDA generators")


def random_engine(dev, seed):
    """A random-number engine for device ``dev`` seeded with ``seed``."""
    if dev.type == "cpu":
        return _NumpyEngine(seed)
    _require_cupy()
    return _CupyEngine(seed, dev.index if dev.index is not None else 0)


# glibc's malloc hands arrays above a threshold (128 KiB at first, raised to the size of each
# such block freed, up to 32 MiB) to fresh mmaps and returns heap memory above another
# threshold to the kernel, so a training step that allocates and frees activations of many
# sizes touches new pages every step: a LeNet-5 train step (batch 64) ran ~3,400 minor page
# faults and took 21 ms; with both thresholds fixed as below it ran none and took 13 ms (the
# LSTM step 40 -> 26 ms, the text step 12 -> 6 ms). The trim threshold is how much freed memory
# at the top of the heap is kept for reuse: at 64 MiB (twice the mmap threshold, glibc's own
# ratio) a VGG-11 inference step (batch 2, 224x224), whose activations free more than that at
# once, still ran ~7,000 page faults and took 240-260 ms, at 512 MiB none and 200-220 ms. torch
# users get the same effect by preloading jemalloc or tcmalloc. The thresholds are glibc's
# ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``: where either is set in the
# environment, ember leaves the allocator alone, as it does with ``EMBER_MALLOC_TUNING=0``.
_MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for the adaptive threshold
_TRIM_THRESHOLD = 512 << 20


def _tune_glibc_malloc():
    """Fix glibc's mmap and trim thresholds (see above); a no-op elsewhere or when opted out."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    env = os.environ
    if env.get("EMBER_MALLOC_TUNING", "1") == "0" or any(
        name in env for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    ):
        return False
    mallopt = ctypes.CDLL(None).mallopt
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(
        mallopt(m_mmap_threshold, _MMAP_THRESHOLD) and mallopt(m_trim_threshold, _TRIM_THRESHOLD)
    )


_tune_glibc_malloc()
