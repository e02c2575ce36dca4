"""Array backends: numpy on the CPU, cupy on CUDA GPUs.

This is the only module that imports cupy or papers over a numpy/cupy difference. Kernels ask
``array_module(x)`` for the module of their inputs and are written once against it.
"""

from __future__ import annotations

import ctypes
import functools
import math
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


def quiet():
    """numpy's floating-point warnings off: torch returns inf/nan silently (1/0, log(0))."""
    return _Quiet() if _IGNORE is not None else np.errstate(all="ignore")


def exp_quietly(y):
    """``exp`` of the array ``y`` in place, overflow to inf without numpy's warning: ``quiet``
    inlined, for the one small-array hot path that needs it (sigmoid)."""
    if _IGNORE is None or not isinstance(y, np.ndarray):
        with quiet():
            return array_module(y).exp(y, out=y)
    token = _errstate.set(_IGNORE)
    try:
        return np.exp(y, out=y)
    finally:
        _errstate.reset(token)


class _Quiet:
    """``np.errstate(all="ignore")`` for numpy >= 2, where the error state is a context
    variable: set to one prepared value (0.2 µs where ``np.errstate`` takes ~1 µs, which
    small-array operations such as sigmoid pay on every call)."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _errstate.set(_IGNORE)

    def __exit__(self, *exc):
        _errstate.reset(self._token)


try:  # numpy's private names: any change there falls back on np.errstate
    from numpy._core._ufunc_config import _extobj_contextvar as _errstate
    from numpy._core.umath import _make_extobj

    _IGNORE = _make_extobj(all="ignore")
except Exception:  # numpy 1.x, or names that moved
    _IGNORE = None


def broadcast_to(x, shape):
    """``xp.broadcast_to(x, shape)``: a read-only view of ``x`` with the size-1 and missing
    leading dimensions repeated (stride 0). numpy's builds an nditer (4.7 µs for a 0-d array
    to 16x16); the view of a C-contiguous numpy array is made here directly (0.6 µs)."""
    if x.__class__ is np.ndarray and x.flags.c_contiguous:
        lead = len(shape) - x.ndim
        if lead >= 0:
            strides = [0] * lead
            for size, target, stride in zip(x.shape, shape[lead:], x.strides):
                if size == target:
                    strides.append(stride)
                elif size == 1:
                    strides.append(0)
                else:
                    break  # not broadcastable: numpy's error
            else:
                view = np.ndarray(shape, x.dtype, x, 0, strides)
                view.flags.writeable = False
                return view
    return array_module(x).broadcast_to(x, shape)


def erf(x):
    """The error function elementwise; numpy has none, so it is computed here: float32 and
    float16 by a rational approximation in float32 (within 7 ulp), float64 as follows.

    |x| < 2.5: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)), a series of
    positive terms (no cancellation). |x| >= 2.5: erfc by its continued fraction
    erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
    Both reach float64 round-off (checked against ``math.erf`` in the tests).
    """
    if is_cuda_array(x):
        return _cupy_special.erf(x).astype(x.dtype, copy=False)
    if x.dtype == np.float32 or x.dtype == np.float16:
        return _erf_single(x.astype(np.float32, copy=False)).astype(x.dtype, copy=False)
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


# erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (+-1 beyond, in float32), the rational approximation of
# Eigen's and XLA's float erf: within 7 ulp of erf in float32 (0.4 ulp median; torch's is
# within 1), and 50x faster than the float64 series: GELU's cost in transformers.
_ERF_P = tuple(
    np.float32(c)
    for c in (
        -2.72614225801306e-10,
        2.77068142495902e-08,
        -2.10102402082508e-06,
        -5.69250639462346e-05,
        -7.34990630326855e-04,
        -2.95459980854025e-03,
        -1.60960333262415e-02,
    )
)
_ERF_Q = tuple(
    np.float32(c)
    for c in (
        -1.45660718464996e-05,
        -2.13374055278905e-04,
        -1.68282697438203e-03,
        -7.37332916720468e-03,
        -1.42647390514189e-02,
    )
)
_FOUR = np.float32(4.0)


def _erf_single(x):
    """erf of a float32 array by the rational approximation above, in float32."""
    x = np.clip(x, -_FOUR, _FOUR, out=np.empty_like(x))  # (an array, also when 0-d)
    x2 = x * x
    p = x2 * _ERF_P[0] + _ERF_P[1]
    for c in _ERF_P[2:]:
        p *= x2
        p += c
    q = x2 * _ERF_Q[0] + _ERF_Q[1]
    for c in _ERF_Q[2:]:
        q *= x2
        q += c
    p *= x
    return p / q


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
        return _cupy_special.erfc(x).astype(x.dtype, copy=False)
    z = np.abs(x.astype(np.float64))
    positive = np.where(z < 2.5, 1.0 - erf(z), _erfc_fraction(np.maximum(z, 2.5)))  # erfc(|x|)
    return np.where(x < 0, 2.0 - positive, positive).astype(x.dtype, copy=False)


def erfinv(x):
    """The inverse error function: Giles's single-precision approximation ("Approximating
    the erfinv function", GPU Computing Gems, 2011), then Newton steps on ``erf`` in float64;
    +-inf at +-1, NaN outside [-1, 1] as in torch."""
    if is_cuda_array(x):
        return _cupy_special.erfinv(x).astype(x.dtype, copy=False)
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


# Lanczos coefficients for g = 7, n = 9 (Godfrey's set): Gamma(x + 1) to ~1e-15 relative
_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
# B_2k / (2k) for the asymptotic series of digamma, k = 1..7
_DIGAMMA_ASYMPTOTIC = (
    1.0 / 12,
    -1.0 / 120,
    1.0 / 252,
    -1.0 / 240,
    1.0 / 132,
    -691.0 / 32760,
    1.0 / 12,
)
# B_2k / (2k)! for the Euler-Maclaurin tail of the Hurwitz zeta function, k = 1..8
_ZETA_TAIL = (
    1.0 / 12,
    -1.0 / 720,
    1.0 / 30240,
    -1.0 / 1209600,
    1.0 / 47900160,
    -691.0 / 1307674368000,
    1.0 / 74724249600,
    -3617.0 / 10670622842880000,
)


def lgamma(x):
    """``log|Gamma(x)|`` elementwise: Lanczos's approximation for x >= 1/2 and the reflection
    ``Gamma(x) Gamma(1 - x) = pi / sin(pi x)`` below; +inf at the poles (0, -1, -2, ...), as in
    torch. Computed in float64."""
    if is_cuda_array(x):
        return _cupy_special.gammaln(x).astype(x.dtype, copy=False)
    a = x.astype(np.float64)
    with np.errstate(all="ignore"):
        reflect = a < 0.5
        z = np.where(reflect, 1.0 - a, a) - 1.0
        series = np.full_like(z, _LANCZOS[0])
        for k, c in enumerate(_LANCZOS[1:], start=1):
            series += c / (z + k)
        t = z + _LANCZOS_G + 0.5
        right = 0.5 * np.log(2 * np.pi) + (z + 0.5) * np.log(t) - t + np.log(series)
        # sin(pi x) through the distance to the nearest integer, exact at the poles
        sine = np.abs(np.sin(np.pi * (a - np.round(a))))
        y = np.where(reflect, np.log(np.pi / sine) - right, right)
    y = np.where(np.isinf(a), np.inf, y)
    return y.astype(x.dtype, copy=False)


def _shift_up(a, s, limit):
    """``(x, total)``: ``x = a + k`` with ``k`` the fewest steps that reach ``limit``, and
    ``total = sum_{j<k} (a + j)^-s`` (``s = 1`` also for digamma's ``1 / (a + j)``)."""
    x = a.copy()
    total = np.zeros_like(a)
    low = x < limit
    while low.any():
        total += np.where(low, x ** (-s) if s != 1 else 1.0 / x, 0.0)
        x = np.where(low, x + 1.0, x)
        low = x < limit
    return x, total


def digamma(x):
    """``d/dx log Gamma(x)`` elementwise: the recurrence ``psi(x) = psi(x + 1) - 1/x`` up to
    x >= 10, then the asymptotic series; ``pi / tan(pi x)`` reflects x <= 0. -inf at 0 and NaN
    at the negative integers, as in torch. Computed in float64."""
    if is_cuda_array(x):
        return _cupy_special.digamma(x).astype(x.dtype, copy=False)
    a = x.astype(np.float64)
    with np.errstate(all="ignore"):
        reflect = a <= 0
        z = np.where(reflect, 1.0 - a, a)
        z = np.where(np.isfinite(z), z, 10.0)
        z, total = _shift_up(z, 1, 10.0)
        inv2 = 1.0 / (z * z)
        tail = np.zeros_like(z)
        for c in reversed(_DIGAMMA_ASYMPTOTIC):
            tail = (tail + c) * inv2
        y = np.log(z) - 0.5 / z - tail - total
        y = np.where(reflect, y - np.pi / np.tan(np.pi * (a - np.floor(a))), y)
    y = np.where(reflect & (a == np.floor(a)), np.nan, y)
    y = np.where(a == 0, -np.inf, y)
    y = np.where(a == np.inf, np.inf, y)
    return y.astype(x.dtype, copy=False)


def polygamma(n, x):
    """The ``n``-th derivative of digamma (``n >= 1``) elementwise:
    ``(-1)^(n+1) n! zeta(n + 1, x)``, with the Hurwitz zeta function summed directly up to
    x >= 10 and its Euler-Maclaurin tail after. Computed in float64."""
    if is_cuda_array(x):
        # (cupyx's polygamma takes n as an array: it calls n's astype)
        order = cp.asarray(n, dtype=np.float64)
        return _cupy_special.polygamma(order, x).astype(x.dtype, copy=False)
    a = x.astype(np.float64)
    s = n + 1.0
    with np.errstate(all="ignore"):
        z = np.where(np.isfinite(a), a, 10.0)
        z, total = _shift_up(z, s, 10.0)
        tail = z ** (1.0 - s) / (s - 1.0) + 0.5 * z ** (-s)
        rising = s  # s (s + 1) ... (s + 2k - 2)
        power = z ** (-s - 1.0)
        for k, c in enumerate(_ZETA_TAIL, start=1):
            tail += c * rising * power
            rising *= (s + 2 * k - 1) * (s + 2 * k)
            power /= z * z
        y = (-1.0) ** (n + 1) * math.factorial(n) * (total + tail)
    y = np.where((a <= 0) & (a == np.floor(a)), np.inf if n % 2 else -np.inf, y)
    y = np.where(a == np.inf, 0.0, y)
    return y.astype(x.dtype, copy=False)


def gammainc(a, x):
    """The regularised lower incomplete gamma function ``P(a, x)`` in float64: its power
    series where x < a + 1, one minus the continued fraction of ``Q(a, x)`` (modified Lentz)
    elsewhere; each runs on its own elements only, where it converges fast, until all have
    converged."""
    if is_cuda_array(x):
        return _cupy_special.gammainc(a, x)
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    p = np.zeros(a.shape)
    with np.errstate(all="ignore"):
        use_series = x < a + 1.0
        p[use_series] = _gammainc_series(a[use_series], x[use_series])
        fraction = ~use_series
        p[fraction] = 1.0 - _gammaincc_fraction(a[fraction], x[fraction])
    p = np.where(x <= 0, 0.0, p)
    return np.where(np.isinf(x), 1.0, p)


def _gammainc_series(a, x):
    """P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)), for x < a + 1."""
    term = 1.0 / a
    total = term.copy()
    denominator = a.copy()
    for _ in range(10000):
        denominator += 1.0
        term = term * x / denominator
        total += term
        if np.all(np.abs(term) <= np.abs(total) * 1e-16):
            break
    return np.exp(a * np.log(x) - x - lgamma(a)) * total


def _gammaincc_fraction(a, x):
    """Q(a, x) = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), by
    modified Lentz, for x >= a + 1."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(b, 1.0 / tiny)
    d = 1.0 / np.where(b == 0, tiny, b)
    h = d.copy()
    for i in range(1, 10000):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        step = d * c
        h = h * step
        if np.all(np.abs(step - 1.0) <= 1e-15):
            break
    return np.exp(a * np.log(x) - x - lgamma(a)) * h


def bessel_ie(n, x):
    """``exp(-|x|) I_n(x)``, the exponentially scaled modified Bessel function of the first
    kind of order ``n`` (0 or 1), in float64, with numpy or cupy alike: its power series
    ``sum_k (x/2)^(2k+n) / (k! (k+n)!)`` (positive terms, no cancellation) where |x| <= 30,
    where 80 terms converge; Hankel's asymptotic expansion
    ``1/sqrt(2 pi |x|) sum_k (-1)^k prod_j (4n^2 - (2j-1)^2) / (k! (8|x|)^k)`` beyond, where
    its smallest term (near k = 2|x|) is below 1e-26 and 30 terms reach double precision."""
    xp = array_module(x)
    x = xp.asarray(x, np.float64)
    ax = xp.abs(x)
    small = ax <= 30.0
    s = xp.where(small, ax, 0.0)
    quarter = s * s / 4.0
    term = (s / 2.0) ** n
    series = term
    for k in range(1, 80):
        term = term * quarter / (k * (k + n))
        series = series + term
    big = xp.where(small, 31.0, ax)
    term = xp.ones_like(big)
    expansion = term
    for k in range(1, 30):
        term = term * -(4.0 * n * n - (2 * k - 1) ** 2) / (k * 8.0 * big)
        expansion = expansion + term
    with np.errstate(all="ignore"):
        y = xp.where(small, series * xp.exp(-s), expansion / xp.sqrt(2.0 * math.pi * big))
    y = xp.where(xp.isnan(x), xp.nan, y)
    return y if n == 0 else xp.sign(x) * y


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

    def standard_gamma(self, concentration):
        """Gamma(concentration, 1) draws, one per element, in ``concentration``'s dtype."""
        return self.bits.standard_gamma(concentration.astype(np.float64)).astype(
            concentration.dtype
        )

    def poisson(self, rate):
        return self.bits.poisson(rate.astype(np.float64)).astype(rate.dtype)

    def binomial(self, count, prob):
        n = count.astype(np.int64)
        return self.bits.binomial(n, prob.astype(np.float64)).astype(prob.dtype)

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

    def standard_gamma(self, concentration):
        with cp.cuda.Device(self.index):
            return self.bits.standard_gamma(concentration.astype(np.float64)).astype(
                concentration.dtype
            )

    def poisson(self, rate):
        with cp.cuda.Device(self.index):
            return self.bits.poisson(rate.astype(np.float64)).astype(rate.dtype)

    def binomial(self, count, prob):
        with cp.cuda.Device(self.index):
            n = count.astype(np.int64)
            return self.bits.binomial(n, prob.astype(np.float64)).astype(prob.dtype)

    def permutation(self, n):
        with cp.cuda.Device(self.index):
            return self.bits.permutation(n)

    def get_state(self):
        """A snapshot of the stream. cuRAND's state cannot be read back, so the generator is
        re-seeded here with a seed drawn from its own stream, and that seed is the state:
        ``set_state`` of it replays exactly what follows (the draws after a snapshot differ
        from those an unobserved generator would give)."""
        with cp.cuda.Device(self.index):
            seed = int(self.bits.randint(0, 2**62, dtype=np.int64))
            self.bits.seed(seed)
        return {"cuda_seed": seed}

    def set_state(self, state):
        if not isinstance(state, dict) or "cuda_seed" not in state:
            raise RuntimeError("new_state is not a state of a CUDA generator (see get_state)")
        with cp.cuda.Device(self.index):
            self.bits.seed(state["cuda_seed"])


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
