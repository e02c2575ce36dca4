"""The relaxed (concrete) Bernoulli distribution and its logit."""

from __future__ import annotations

import ember

from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import _BinaryParameters, broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(Distribution, _BinaryParameters):
    """The logit of a ``RelaxedBernoulli`` of ``temperature`` and either ``probs`` or
    ``logits`` (not both): its samples are logits of values in ``(0, 1)``.

    References: Maddison et al., "The Concrete Distribution: A Continuous Relaxation of
    Discrete Random Variables" (2017); Jang et al., "Categorical Reparametrization with
    Gumbel-Softmax" (2017).

    Args:
        temperature (Tensor): relaxation temperature.
        probs (Number or Tensor): the probability of sampling ``1``.
        logits (Number or Tensor): the log-odds of sampling ``1``.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        batch_shape = self._init_binary_param(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        batch_shape = ember.Size(batch_shape)
        new.temperature = self.temperature
        self._expand_binary_param(new, batch_shape)
        super(LogitRelaxedBernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self):
        return self._param.shape

    def rsample(self, sample_shape=()):
        # (logit(u) + logit(p)) / temperature, u ~ Uniform(0, 1): logistic noise on the logits
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(ember.rand(shape, dtype=probs.dtype, device=probs.device))
        return (
            uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()
        ) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class _RelaxedParameters:
    """``temperature``, ``logits`` and ``probs`` of a relaxed distribution, those of the base
    distribution it transforms."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(_RelaxedParameters, TransformedDistribution):
    """A relaxed (concrete) Bernoulli distribution of ``temperature`` and either ``probs`` or
    ``logits`` (not both): values in ``(0, 1)`` with reparameterised samples, the sigmoid of a
    ``LogitRelaxedBernoulli``.

    Example:
        >>> m = RelaxedBernoulli(ember.tensor([2.2]), ember.tensor([0.1, 0.2, 0.3, 0.99]))
        >>> m.sample()

    Args:
        temperature (Tensor): relaxation temperature.
        probs (Number or Tensor): the probability of sampling ``1``.
        logits (Number or Tensor): the log-odds of sampling ``1``.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)
