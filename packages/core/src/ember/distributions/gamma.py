"""The gamma distribution."""

from __future__ import annotations

import ember
import ember.special
from ember.random import _standard_gamma

from . import constraints
from .exp_family import ExponentialFamily
from .utils import _batch_shape, broadcast_all, finfo

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """A gamma distribution of shape ``concentration`` and ``rate`` (density
    ``rate^a x^(a-1) exp(-rate x) / Gamma(a)``).

    ``rsample`` is differentiable in both parameters: in ``concentration`` by implicit
    reparameterisation (see ``ember.random._standard_gamma``).

    Args:
        concentration (float or Tensor): shape parameter (often alpha).
        rate (float or Tensor): rate parameter = 1 / scale (often beta).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(
            _batch_shape((concentration, rate), self.concentration), validate_args=validate_args
        )

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, _instance, ("concentration", "rate"))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # a draw that underflowed to 0 is moved to the smallest positive number
        tiny = float(finfo(value.dtype).tiny)
        return ember.clamp(value, min=tiny)

    def log_prob(self, value):
        value = ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (
            ember.xlogy(self.concentration, self.rate)
            + ember.xlogy(self.concentration - 1, value)
            - self.rate * value
            - ember.lgamma(self.concentration)
        )

    def cdf(self, value):
        """The regularised lower incomplete gamma function ``P(concentration, rate * value)``;
        differentiable in ``rate`` and ``value`` (torch has no derivative in
        ``concentration`` either)."""
        if self._validate_args:
            self._validate_sample(value)
        return ember.special.gammainc(self.concentration, self.rate * value)

    def entropy(self):
        return (
            self.concentration
            - ember.log(self.rate)
            + ember.lgamma(self.concentration)
            + (1.0 - self.concentration) * ember.digamma(self.concentration)
        )

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return ember.lgamma(x + 1) + (x + 1) * ember.log(-y.reciprocal())
