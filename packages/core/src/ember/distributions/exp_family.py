"""``ExponentialFamily``: densities ``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))``."""

from __future__ import annotations

import ember

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class of exponential-family distributions, whose density is
    ``p_F(x; theta) = exp(<t(x), theta> - F(theta) + k(x))`` with ``theta`` the natural
    parameters, ``t(x)`` the sufficient statistic, ``F`` the log normaliser and ``k`` the
    carrier measure.

    Subclasses give ``_natural_params``, ``_log_normalizer`` and ``_mean_carrier_measure``;
    the entropy and the KL divergence between two members of one family then follow from the
    Bregman divergence of ``F`` (Nielsen and Nock, "Entropies and cross-entropies of
    exponential families").
    """

    @property
    def _natural_params(self):
        """The natural parameters, a tuple of tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """The log normalising function ``F`` of the natural parameters."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """The expected carrier measure ``E[k(x)]``, needed for the entropy."""
        raise NotImplementedError

    def entropy(self):
        """The entropy by the Bregman divergence of the log normaliser:
        ``H = F(theta) - <theta, grad F(theta)> - E[k(x)]``."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        with ember.enable_grad():
            lg_normal = self._log_normalizer(*nparams)
            gradients = ember.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for np_, g in zip(nparams, gradients):
            result = result - (np_ * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
