"""Random numbers: ``Generator``, ``manual_seed`` and the random tensor factories.

Every random function takes ``generator=``; without one it draws from the default generator of
the target device. Ember's streams are its own (numpy's PCG64 on the CPU, cupy's on GPUs), so a
seed reproduces Ember runs, not torch's numbers.
"""

from __future__ import annotations

import json
import math
import numbers

import numpy as np

from . import _dtype as dtypes
from . import backend
from ._creation import make_like
from ._tensor import Tensor, _sizes
from .autograd.function import Function

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "rand",
    "randn",
    "randint",
    "randperm",
    "rand_like",
    "randn_like",
    "randint_like",
    "bernoulli",
    "normal",
    "multinomial",
    "poisson",
    "binomial",
]

_DEFAULT_SEED = 67280421310721  # torch's default_generator initial seed


class Generator:
    """A seedable source of random numbers for one device.

    Args:
        device: ``"cpu"`` (default) or a CUDA device.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> ember.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        self.device = backend.Device(device)
        self._seed = _DEFAULT_SEED
        self._engine = backend.random_engine(self.device, self._seed)

    def manual_seed(self, seed):
        """Reseed; returns the generator itself."""
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64  # torch maps negative seeds into the unsigned range
        self._seed = seed
        self._engine = backend.random_engine(self.device, seed)
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        new_seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (feed it back to ``set_state``)."""
        state = json.dumps({"seed": self._seed, "state": self._engine.get_state()})
        return Tensor._make(np.frombuffer(state.encode(), dtype=np.uint8).copy())

    def set_state(self, new_state):
        payload = json.loads(bytes(new_state.numpy().astype(np.uint8)).decode())
        self._seed = payload["seed"]
        self._engine.set_state(payload["state"])
        return self


default_generator = Generator()
_cuda_generators = {}


def _generator_for(device, generator):
    if generator is not None:
        if generator.device.type != device.type:
            raise RuntimeError(
                f"Expected a '{device.type}' device type for generator but found "
                f"'{generator.device.type}'"
            )
        return generator._engine
    if device.type == "cpu":
        return default_generator._engine
    index = device.index if device.index is not None else 0
    if index not in _cuda_generators:
        _cuda_generators[index] = Generator(backend.Device("cuda", index)).manual_seed(
            default_generator.initial_seed()
        )
    return _cuda_generators[index]._engine


def manual_seed(seed):
    """Seed every default generator (CPU and CUDA); returns the CPU one."""
    default_generator.manual_seed(seed)
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    return default_generator


def seed():
    """Seed the default generators non-deterministically; returns the seed."""
    s = default_generator.seed()
    for g in _cuda_generators.values():
        g.manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


# --------------------------------------------------------------- arrays for in-place fills


def _engine_like(array, generator):
    return _generator_for(backend.device_of(array), generator)


def uniform_array(like, low, high, generator):
    """Uniform draws in ``[low, high)`` with ``like``'s shape, dtype and device."""
    u = _engine_like(like, generator).uniform(like.shape, like.dtype)
    return u * (high - low) + low if (low, high) != (0, 1) else u


def normal_array(like, mean, std, generator):
    z = _engine_like(like, generator).normal(like.shape, like.dtype)
    return z * std + mean if (mean, std) != (0, 1) else z


def exponential_array(like, lambd, generator):
    return _engine_like(like, generator).exponential(like.shape, like.dtype) / lambd


def bernoulli_array(like, p, generator):
    p = p._data if isinstance(p, Tensor) else p
    u = _engine_like(like, generator).uniform(
        like.shape, np.float64 if like.dtype == np.float64 else np.float32
    )
    return (u < p).astype(like.dtype)


def random_array(like, low, high, generator):
    """Integers in ``[low, high)``; ``high=None`` means up to the dtype's largest value + 1
    (for floats, 2**mantissa bits + 1, like torch)."""
    if high is None:
        high, low = low, 0
        if high == 0:
            kind = like.dtype
            high = (
                2 ** (np.finfo(kind).nmant + 1) + 1
                if kind.kind == "f"
                else (2 if kind.kind == "b" else int(np.iinfo(kind).max) + 1)
            )
    return _engine_like(like, generator).integers(low, high, like.shape, like.dtype)


# ------------------------------------------------------------------------ random factories


def _factory_args(dtype, device, default):
    dt = dtypes.as_dtype(dtype) if dtype is not None else default
    return dt, backend.Device(device) if device is not None else backend.Device("cpu")


def _finish(array, requires_grad):
    t = Tensor._make(array)
    return t.requires_grad_() if requires_grad else t


def _complex_parts(parts, dt, shape):
    """Complex ``dt`` samples of ``shape`` from real samples of ``shape + (2,)``."""
    return parts.view(dt.np).reshape(shape)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in ``[0, 1)`` of the given size (default float dtype). Complex samples
    have independent real and imaginary parts, each uniform in ``[0, 1)``, as in torch."""
    dt, dev = _factory_args(dtype, device, dtypes.get_default_dtype())
    engine = _generator_for(dev, generator)
    shape = _sizes(size)
    if not dt.is_complex:
        return _finish(engine.uniform(shape, dt.np), requires_grad)
    parts = engine.uniform(shape + (2,), dt.to_real().np)
    return _finish(_complex_parts(parts, dt, shape), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples of the given size (default float dtype). Complex samples have
    independent real and imaginary parts of variance 1/2 each (so ``E|z|^2 = 1``), as in
    torch."""
    dt, dev = _factory_args(dtype, device, dtypes.get_default_dtype())
    engine = _generator_for(dev, generator)
    shape = _sizes(size)
    if not dt.is_complex:
        return _finish(engine.normal(shape, dt.np), requires_grad)
    parts = engine.normal(shape + (2,), dt.to_real().np) * math.sqrt(0.5)
    return _finish(_complex_parts(parts, dt, shape), requires_grad)


def randint(
    low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
):
    """Integers uniform in ``[low, high)``; ``randint(high, size)`` also works. int64 default."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt, dev = _factory_args(dtype, device, dtypes.int64)
    engine = _generator_for(dev, generator)
    return _finish(engine.integers(low, high, _sizes((size,)), dt.np), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 by default)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt, dev = _factory_args(dtype, device, dtypes.int64)
    perm = _generator_for(dev, generator).permutation(int(n)).astype(dt.np)
    return _finish(perm, requires_grad)


rand_like = make_like(rand)
randn_like = make_like(randn)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    return randint(
        low,
        high,
        input.shape,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def bernoulli(input, p=None, *, generator=None):
    """0/1 samples with probabilities ``input`` (or the scalar ``p``), same shape and dtype."""
    prob = input if p is None else p
    return Tensor._make(bernoulli_array(input._data, prob, generator))


def normal(
    mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
):
    """Normal samples with tensor or scalar ``mean`` and ``std`` (shape from them or ``size``)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        other = std if ref is mean else mean
        shape = np.broadcast_shapes(
            ref._data.shape, other._data.shape if isinstance(other, Tensor) else ()
        )
        z = _generator_for(ref.device, generator).normal(shape, ref._data.dtype)
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        return _finish(z * s + m, requires_grad)
    if size is None:
        raise TypeError("normal() with scalar mean and std needs a size")
    out = randn(size, generator=generator, dtype=dtype, device=device)
    out._data = out._data * std + mean
    return out.requires_grad_() if requires_grad else out


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Sample ``num_samples`` category indices per row of the non-negative weights ``input``
    (1-d, or 2-d: a row each), drawn on ``input``'s device, all rows at once.

    With ``replacement``, each draw inverts the row's cumulative distribution; without it,
    the ``num_samples`` largest of ``log(w) + Gumbel noise`` (Gumbel top-k), which draws
    without replacement in proportion to the weights.
    """
    w = input._data
    xp = backend.array_module(w)
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = xp.atleast_2d(w).astype(np.float64)
    n = probs.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if bool(((probs < 0) | ~xp.isfinite(probs)).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = probs.sum(-1, keepdims=True)
    if bool((totals <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    probs /= totals
    engine = _engine_like(w, generator)
    rows = probs.shape[0]
    if replacement:
        # one sorted search over all rows: row i's cumulative distribution and draws are
        # shifted by i, so the rows follow one another in one increasing sequence
        u = engine.uniform((rows, num_samples), np.float64)
        shift = xp.arange(rows, dtype=np.float64)[:, None]
        cdf = xp.cumsum(probs, -1) + shift
        found = xp.searchsorted(cdf.ravel(), (u + shift).ravel(), side="right")
        out = (found.reshape(rows, num_samples) - (shift * n).astype(np.int64)).clip(0, n - 1)
    else:
        u = engine.uniform((rows, n), np.float64)
        with np.errstate(divide="ignore"):
            keys = xp.log(probs) - xp.log(-xp.log(u))
        out = xp.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64)
    return Tensor._make(out[0] if w.ndim == 1 else out)


def poisson(input, generator=None):
    """Poisson samples with rates ``input``, same shape and dtype."""
    return Tensor._make(_engine_like(input._data, generator).poisson(input._data))


def binomial(count, prob, generator=None):
    """Binomial samples: successes in ``count`` trials of success probability ``prob`` (the
    two broadcast); ``prob``'s dtype."""
    n, p = np.broadcast_arrays(count._data, prob._data)  # on cupy: cupy's broadcast_arrays
    return Tensor._make(_engine_like(prob._data, generator).binomial(n, p))


class _StandardGamma(Function):
    """Gamma(alpha, 1) samples, differentiable in ``alpha`` by implicit reparameterisation
    (Figurnov et al., 2018), as torch's ``_standard_gamma``: with ``P(alpha, x)`` the gamma
    CDF, ``dx/dalpha = -(dP/dalpha) / (dP/dx)``. ``dP/dx`` is the density; ``dP/dalpha`` is a
    float64 central difference of the regularised incomplete gamma function, where torch uses
    series and asymptotic approximations of the same derivative (the two agree to ~1e-6)."""

    @staticmethod
    def forward(ctx, alpha, generator):
        x = _engine_like(alpha, generator).standard_gamma(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, gy):
        alpha, x = ctx.saved_tensors
        return gy * Tensor._make(_standard_gamma_grad(alpha._data, x._data)), None


def _standard_gamma_grad(alpha, x):
    xp = backend.array_module(x)
    a = alpha.astype(np.float64)
    v = x.astype(np.float64)
    step = 1e-5 * a
    with np.errstate(all="ignore"):
        dcdf = (backend.gammainc(a + step, v) - backend.gammainc(a - step, v)) / (2 * step)
        log_density = (a - 1) * xp.log(v) - v - backend.lgamma(a)
        grad = -dcdf * xp.exp(-log_density)
    return xp.where(v > 0, grad, 0.0).astype(x.dtype)


def _standard_gamma(alpha, generator=None):
    """Gamma(alpha, 1) samples with reparameterised gradients w.r.t. ``alpha``."""
    return _StandardGamma.apply(alpha, generator)


def _is_number(x):
    return isinstance(x, numbers.Number)
