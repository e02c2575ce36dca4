"""The multinomial distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """The counts of each of ``K`` categories in ``total_count`` independent categorical
    trials, given either ``probs`` or ``logits`` (not both), whose rightmost dimension indexes
    the categories and whose other dimensions index batches.

    ``probs`` need not sum to one (they are normalised along the last dimension) but must be
    non-negative, finite and have a non-zero sum; ``logits`` are unnormalised log
    probabilities. ``total_count`` need not be given when only ``log_prob`` is called:
    ``sample`` needs one ``total_count`` shared by every parameter and sample, ``log_prob``
    takes each value's own count from the value.

    Example:
        >>> m = Multinomial(100, ember.tensor([1.0, 1.0, 1.0, 1.0]))
        >>> x = m.sample()  # equal probability of 0, 1, 2, 3
        >>> Multinomial(probs=ember.tensor([1.0, 1.0, 1.0, 1.0])).log_prob(x)

    Args:
        total_count (int): number of trials.
        probs (Tensor): event probabilities.
        logits (Tensor): event log probabilities (unnormalised).

    Raises:
        NotImplementedError: if ``total_count`` is not an ``int``.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = ember.Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        super(Multinomial, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        sample_shape = ember.Size(sample_shape)
        # one categorical draw per trial, trials first; then count them per category
        trials = self._categorical.sample(ember.Size((self.total_count,)) + sample_shape)
        trials = trials.movedim(0, -1)
        counts = ember.zeros(
            self._extended_shape(sample_shape), dtype=trials.dtype, device=trials.device
        )
        counts = counts.scatter_add(-1, trials, ember.ones_like(trials))
        return counts.type_as(self.probs)

    def entropy(self):
        # H = n H(cat) - log n! + sum_i E[log x_i!], x_i ~ Binomial(n, p_i)
        n = self.total_count
        term1 = n * self._categorical.entropy() - math.lgamma(n + 1)
        binomial = Binomial(total_count=n, probs=self.probs)
        support = binomial.enumerate_support(expand=False)[1:]
        binomial_probs = ember.exp(binomial.log_prob(support))
        weights = ember.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum([0, -1])
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = ember.lgamma(value.sum(-1) + 1)
        log_factorial_xs = ember.lgamma(value + 1).sum(-1)
        # 0 * log(0) counts as 0: a category of zero probability drawn zero times
        logits = ember.where((value == 0) & (logits == -math.inf), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
