"""The LKJ distribution over Cholesky factors of correlation matrices (as torch's, which
follows NumPyro's)."""

from __future__ import annotations

import math

import ember

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all, finfo

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution for lower Cholesky factors ``L`` of ``dim x dim`` correlation
    matrices: the correlation matrix ``M = L L^T`` has density proportional to
    ``det(M) ** (concentration - 1)``, so ``concentration == 1`` is uniform over Cholesky
    factors of correlation matrices::

        L ~ LKJCholesky(dim, concentration)
        X = L @ L' ~ LKJCorr(dim, concentration)

    This samples the Cholesky factor of correlation matrices, not the matrices themselves,
    and so differs slightly from the derivations of the ``LKJCorr`` distribution in
    Lewandowski, Kurowicka and Joe (2009), "Generating random correlation matrices based on
    vines and extended onion method"; sampling uses their onion method (Section 3).

    torch 2.x draws the rows below the second from the wrong Beta distributions, so its
    samples for ``dim > 2`` do not follow its own ``log_prob``; ember's do (``log_prob`` is
    the same as torch's).

    Example:
        >>> l = LKJCholesky(3, 0.5)
        >>> l.sample()  # l @ l.T is a sample of a correlation 3x3 matrix

    Args:
        dim (int): dimension of the matrices.
        concentration (float or Tensor): concentration/shape parameter of the distribution
            (often referred to as eta).
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = ember.Size((dim, dim))
        # The Beta distributions of the onion method (Section 3.2), one per row, vectorised:
        # row i > 0 draws y_i ~ Beta(i / 2, concentration + (dim - 1 - i) / 2); row 0 is a
        # placeholder. torch 2.x uses Beta(i - 1/2, ...) (its offset lacks the factor 1/2
        # that NumPyro's has): the squared correlations of its rows below the second come
        # out too large.
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = ember.arange(
            self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device
        )
        offset = 0.5 * ember.cat([offset.new_zeros((1,)), offset])
        beta_conc1 = offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = ember.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        # The onion method vectorised over rows (and so over heterogeneous concentrations):
        # row i of L is w_i = sqrt(y_i) u_i, u_i uniform on the unit sphere of its first i
        # entries, then the diagonal entry sqrt(1 - |w_i|^2). Only the Cholesky factor is
        # wanted, so w is all that is generated.
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = ember.randn(
            self._extended_shape(sample_shape), dtype=y.dtype, device=y.device
        ).tril(-1)
        u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
        # the first row is all zeros (its 0 / 0 gave NaN)
        u_hypersphere[..., 0, :] = 0.0
        w = ember.sqrt(y) * u_hypersphere
        # fill the diagonal; clamp for numerical stability
        tiny = float(finfo(w.dtype).tiny)
        diag_elems = ember.clamp(1 - ember.sum(w**2, dim=-1), min=tiny).sqrt()
        return w + ember.diag_embed(diag_elems)

    def log_prob(self, value):
        # (Stan functions reference, Cholesky LKJ correlation distribution) The density of a
        # correlation matrix is proportional to det(M) ** (concentration - 1)
        # = prod(L_ii ** (2 (concentration - 1))), and the Jacobian from the Cholesky factor
        # to the correlation matrix is prod(L_ii ** (D - i)), so the density of L is
        # proportional to prod(L_ii ** order_i), order_i = 2 (concentration - 1) + D - i.
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = ember.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = ember.sum(order * diag_elems.log(), dim=-1)
        # the normalising constant (Lewandowski et al., page 1999)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = ember.lgamma(alpha) * dm1
        numerator = ember.mvlgamma(alpha - 0.5, dm1)
        # the paper's pi constant is D (D - 1) / 4 log(pi), mvlgamma's (D - 1) (D - 2) / 4
        # log(pi): the difference is (D - 1) / 2 log(pi)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
