"""The von Mises distribution on the circle."""

from __future__ import annotations

import math

import ember
import ember.special

from . import constraints
from .distribution import Distribution
from .utils import _batch_shape, broadcast_all, lazy_property

__all__ = ["VonMises"]


def _log_i0(x):
    """``log I_0(x)`` for ``x > 0``: ``log(i0e(x)) + x``, which does not overflow."""
    return ember.special.i0e(x).log() + x


def _rejection_sample(loc, concentration, proposal_r, shape):
    """Best and Fisher's rejection sampler, every element at once: each round draws one
    proposal for all and keeps it where nothing was accepted yet, until all are."""
    x = ember.zeros(shape, dtype=loc.dtype, device=loc.device)
    done = ember.zeros(shape, dtype=ember.bool, device=loc.device)
    while not bool(done.all()):
        u1, u2, u3 = ember.rand((3,) + tuple(shape), dtype=loc.dtype, device=loc.device).unbind()
        z = ember.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        x = ember.where(accept & ~done, (u3 - 0.5).sign() * f.acos(), x)
        done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """A circular von Mises distribution, in polar coordinates: ``loc`` and ``value`` can be
    any real numbers (convenient for unconstrained optimisation) and are read as angles modulo
    ``2 pi``; samples lie in ``[-pi, pi)``.

    Example:
        >>> m = VonMises(ember.tensor([1.0]), ember.tensor([1.0]))
        >>> m.sample()  # von Mises distributed with loc=1 and concentration=1

    Args:
        loc (Tensor): an angle in radians.
        concentration (Tensor): concentration parameter.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        batch_shape = _batch_shape((loc, concentration), self.loc)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * ember.cos(value - self.loc)
        return log_prob - math.log(2 * math.pi) - _log_i0(self.concentration)

    @lazy_property
    def _loc(self):
        return self.loc.to(ember.float64)

    @lazy_property
    def _concentration(self):
        return self.concentration.to(ember.float64)

    @lazy_property
    def _proposal_r(self):
        kappa = self._concentration
        tau = 1 + (1 + 4 * kappa**2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        _proposal_r = (1 + rho**2) / (2 * rho)
        # the closed form cancels catastrophically for small kappa
        _proposal_r_taylor = 1 / kappa + kappa
        return ember.where(kappa < 1e-5, _proposal_r_taylor, _proposal_r)

    def sample(self, sample_shape=()):
        """Best and Fisher, "Efficient simulation of the von Mises distribution", Applied
        Statistics (1979) 152-157. Always computed in double precision: in single precision
        the rejection loop hangs for concentrations below about 1e-4."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            x = _rejection_sample(self._loc, self._concentration, self._proposal_r, shape)
        return x.to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        """The circular variance, ``1 - I_1(k) / I_0(k)``."""
        k = self.concentration
        return 1 - ember.special.i1e(k) / ember.special.i0e(k)
