"""The rest of ember.distributions against independent references: Multinomial,
MixtureSameFamily, LowRankMultivariateNormal, the relaxed distributions, VonMises,
Kumaraswamy, ContinuousBernoulli, FisherSnedecor, NegativeBinomial, LogisticNormal,
HalfCauchy, InverseGamma, GeneralizedPareto and Gamma.cdf. Densities in closed form with
math/numpy (or integrated numerically to 1), moments of large samples, KL divergences against
Monte Carlo estimates, validation errors and shapes.

The checks that take the ``device`` fixture run on every backend: the distributions' factories
take ``t``, the maker of their float64 parameters, so that one table serves every device."""

import functools
import math

import numpy as np
import pytest

import ember
import ember.distributions as D
from ember.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
from ember.distributions.relaxed_categorical import ExpRelaxedCategorical

F64 = ember.float64


def t(x, device="cpu"):
    return ember.tensor(x, dtype=F64, device=device)


def on(device):
    """``t`` for ``device``."""
    return functools.partial(t, device=device)


def host(x):
    """A tensor's values as a numpy array on the host (from any device)."""
    return x.detach().cpu().numpy()


def _integrate(f, a, b, n=200_001):
    """The trapezoidal integral of a vectorised ``f`` over ``[a, b]``."""
    x = np.linspace(a, b, n)
    y = f(x)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


# -------------------------------------------------------------- closed-form densities

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_comb(counts):
    n = sum(counts)
    return math.lgamma(n + 1) - sum(math.lgamma(c + 1) for c in counts)


CASES = [
    (
        lambda t: D.Kumaraswamy(t(2.0), t(3.0)),
        0.4,
        lambda x: math.log(6.0) + math.log(x) + 2 * math.log(1 - x * x),
    ),
    (
        lambda t: D.FisherSnedecor(t(3.0), t(5.0)),
        1.2,
        lambda x: (
            math.lgamma(4.0)
            - math.lgamma(1.5)
            - math.lgamma(2.5)
            + 1.5 * math.log(3 / 5)
            + 0.5 * math.log(x)
            - 4.0 * math.log1p(3 * x / 5)
        ),
    ),
    (
        lambda t: D.NegativeBinomial(t(3.5), t(0.4)),
        4.0,
        lambda k: (
            math.lgamma(k + 3.5)
            - math.lgamma(k + 1)
            - math.lgamma(3.5)
            + 3.5 * math.log(0.6)
            + k * math.log(0.4)
        ),
    ),
    (
        lambda t: D.HalfCauchy(t(2.0)),
        1.5,
        lambda x: math.log(2 / (math.pi * 2.0 * (1 + (x / 2) ** 2))),
    ),
    (
        lambda t: D.InverseGamma(t(3.0), t(2.0)),
        0.7,
        lambda x: 3 * math.log(2.0) - math.lgamma(3.0) - 4 * math.log(x) - 2.0 / x,
    ),
    (
        lambda t: D.GeneralizedPareto(t(0.5), t(2.0), t(0.3)),
        1.7,
        lambda x: -math.log(2.0) - (1 / 0.3 + 1) * math.log1p(0.3 * (x - 0.5) / 2),
    ),
    (
        lambda t: D.GeneralizedPareto(t(0.5), t(2.0), t(0.0)),
        1.7,
        lambda x: -math.log(2.0) - (x - 0.5) / 2,
    ),
    (
        lambda t: D.VonMises(t(0.5), t(2.0)),
        1.3,
        lambda x: 2.0 * math.cos(x - 0.5) - math.log(2 * math.pi * np.i0(2.0)),
    ),
    (
        lambda t: D.VonMises(t(0.5), t(300.0)),
        0.6,
        lambda x: (
            300.0 * (math.cos(x - 0.5) - 1)
            - math.log(2 * math.pi)
            # log I0(k) ~ k - log(2 pi k) / 2 + log(1 + 1/(8k) + 9/(128 k^2) + 225/(3072 k^3))
            + 0.5 * math.log(2 * math.pi * 300.0)
            - math.log1p(1 / 2400 + 9 / (128 * 300.0**2) + 225 / (3072 * 300.0**3))
        ),
    ),
    (
        lambda t: LogitRelaxedBernoulli(t(0.7), t(0.3)),
        0.4,
        # logistic of location logit(p) / T and scale 1 / T
        lambda y: (
            math.log(0.7)
            + (math.log(0.3 / 0.7) - 0.7 * y)
            - 2 * math.log1p(math.exp(math.log(0.3 / 0.7) - 0.7 * y))
        ),
    ),
    (
        lambda t: D.Multinomial(6, t([0.2, 0.3, 0.5])),
        [1.0, 2.0, 3.0],
        lambda x: _log_comb(x) + sum(c * math.log(p) for c, p in zip(x, [0.2, 0.3, 0.5])),
    ),
]


@pytest.mark.parametrize(("make", "x", "reference"), CASES)
def test_log_prob_closed_form(make, x, reference, device):
    t = on(device)
    log_prob = make(t).log_prob(t(x))
    assert log_prob.device.type == device and log_prob.dtype == F64
    assert log_prob.item() == pytest.approx(reference(x), rel=1e-9, abs=1e-10)


@pytest.mark.parametrize(
    ("make", "low", "high"),
    [
        (lambda: D.ContinuousBernoulli(t(0.2)), 0.0, 1.0),
        (lambda: D.ContinuousBernoulli(t(0.8)), 0.0, 1.0),
        (lambda: D.ContinuousBernoulli(t(0.5004)), 0.0, 1.0),  # the Taylor region
        (lambda: D.ContinuousBernoulli(logits=t(-3.0)), 0.0, 1.0),
        (lambda: D.Kumaraswamy(t(1.5), t(2.5)), 1e-12, 1 - 1e-9),
        (lambda: D.VonMises(t(2.5), t(0.3)), -math.pi, math.pi),
        (lambda: D.GeneralizedPareto(t(0.0), t(1.0), t(-0.5)), 0.0, 2.0),
        (lambda: D.RelaxedBernoulli(t(1.5), t(0.3)), 1e-9, 1 - 1e-9),
    ],
)
def test_density_integrates_to_one(make, low, high):
    d = make()
    total = _integrate(lambda x: np.exp(d.log_prob(t(x)).numpy()), low, high)
    assert total == pytest.approx(1.0, abs=2e-4)
    if isinstance(d, D.ContinuousBernoulli):
        mean = _integrate(lambda x: x * np.exp(d.log_prob(t(x)).numpy()), 0.0, 1.0)
        assert d.mean.item() == pytest.approx(mean, abs=1e-6)
        second = _integrate(lambda x: x * x * np.exp(d.log_prob(t(x)).numpy()), 0.0, 1.0)
        assert d.variance.item() == pytest.approx(second - mean**2, abs=1e-6)
        if abs(d.probs.item() - 0.5) < 0.001:
            return  # the cdf is the uniform's there, as torch's
        # the cdf is the running integral of the density
        half = _integrate(lambda x: np.exp(d.log_prob(t(x)).numpy()), 0.0, 0.3)
        assert d.cdf(t(0.3)).item() == pytest.approx(half, abs=1e-6)
        assert d.cdf(d.icdf(t(0.37))).item() == pytest.approx(0.37, abs=1e-9)


def test_exp_relaxed_categorical_density():
    # the concrete density (Maddison et al. eq. 8) written for the simplex point x = exp(y):
    # (K-1)! T^(K-1) prod(p_i x_i^(-T-1)) / (sum p_i x_i^-T)^K, times the Jacobian prod x_i
    # of y -> x on the K-1 free coordinates... compared through RelaxedOneHotCategorical
    p = np.array([0.2, 0.3, 0.5])
    temp = 0.6
    x = np.array([0.1, 0.6, 0.3])
    k = 3
    log_ref = (
        math.lgamma(k)
        + (k - 1) * math.log(temp)
        + np.sum(np.log(p) - (temp + 1) * np.log(x))
        - k * math.log(np.sum(p * x**-temp))
    )
    d = D.RelaxedOneHotCategorical(t(temp), t(p))
    # ember's (and torch's) density is w.r.t. all K coordinates of log x, as torch's: the
    # ExpTransform adds -sum(log x) to ExpRelaxedCategorical's log-density
    base = ExpRelaxedCategorical(t(temp), t(p))
    assert base.log_prob(t(np.log(x))).item() == pytest.approx(
        log_ref + np.sum(np.log(x)), rel=1e-10
    )
    assert d.log_prob(t(x)).item() == pytest.approx(log_ref, rel=1e-10)


def test_lowrank_mvn_against_dense():
    rng = np.random.default_rng(0)
    loc = rng.standard_normal((2, 4))
    w = rng.standard_normal((2, 4, 2))
    diag = rng.uniform(0.5, 2.0, 4)
    x = rng.standard_normal((3, 2, 4))
    d = D.LowRankMultivariateNormal(t(loc), t(w), t(diag))
    cov = w @ w.transpose(0, 2, 1) + np.diag(diag)
    for b in range(2):
        diff = x[:, b] - loc[b]
        maha = np.einsum("si,ij,sj->s", diff, np.linalg.inv(cov[b]), diff)
        _, logdet = np.linalg.slogdet(cov[b])
        ref = -0.5 * (4 * math.log(2 * math.pi) + logdet + maha)
        np.testing.assert_allclose(d.log_prob(t(x)).numpy()[:, b], ref, rtol=1e-10)
        entropy = 0.5 * (4 * (1 + math.log(2 * math.pi)) + logdet)
        assert d.entropy().numpy()[b] == pytest.approx(entropy, rel=1e-10)
    np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, rtol=1e-10)
    np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-9)
    L = d.scale_tril.numpy()
    np.testing.assert_allclose(L @ L.transpose(0, 2, 1), cov, rtol=1e-10)
    np.testing.assert_allclose(d.variance.numpy(), np.diagonal(cov, axis1=1, axis2=2))


def test_mixture_against_hand_computed():
    w = np.array([0.2, 0.5, 0.3])
    mu = np.array([-1.0, 0.5, 2.0])
    s = np.array([0.5, 1.0, 0.3])
    d = D.MixtureSameFamily(D.Categorical(t(w)), D.Normal(t(mu), t(s)))
    x = np.array([-0.7, 0.1, 1.9])
    dens = w * np.exp(-((x[:, None] - mu) ** 2) / (2 * s * s)) / (s * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(d.log_prob(t(x)).numpy(), np.log(dens.sum(-1)), rtol=1e-12)
    mean = (w * mu).sum()
    assert d.mean.item() == pytest.approx(mean)
    assert d.variance.item() == pytest.approx((w * (s * s + mu * mu)).sum() - mean**2)
    cdf = (w * 0.5 * (1 + np.vectorize(math.erf)((0.3 - mu) / (s * math.sqrt(2))))).sum()
    assert d.cdf(t(0.3)).item() == pytest.approx(cdf)
    assert "MixtureSameFamily(\n  Categorical" in repr(d)


def test_gamma_cdf(device):
    t = on(device)
    # integer shapes: P(a, x) = 1 - exp(-x) sum_{k < a} x^k / k!
    for a, rate, x in ((1.0, 2.0, 0.7), (3.0, 1.5, 2.0), (7.0, 0.5, 9.0)):
        z = rate * x
        ref = 1 - math.exp(-z) * sum(z**k / math.factorial(k) for k in range(int(a)))
        assert D.Gamma(t(a), t(rate)).cdf(t(x)).item() == pytest.approx(ref, rel=1e-10)
    # non-integer: P(a, z) = z^a e^-z sum_n z^n / Gamma(a + n + 1); Chi2 inherits it
    a, z = 0.6, 1.3 * 1.1
    ref = sum(
        math.exp(a * math.log(z) - z + n * math.log(z) - math.lgamma(a + n + 1)) for n in range(80)
    )
    assert D.Gamma(t(a), t(1.3)).cdf(t(1.1)).item() == pytest.approx(ref, rel=1e-10)
    assert D.Chi2(t(2.0)).cdf(t(3.0)).item() == pytest.approx(1 - math.exp(-1.5), rel=1e-10)
    rate, x = t(1.5).requires_grad_(), t(2.0).requires_grad_()
    D.Gamma(t(3.0), rate).cdf(x).backward()
    # d/dx P(a, r x) = r * density of Gamma(a, 1) at r x
    dens = (3.0**2) * math.exp(-3.0) / math.gamma(3.0)
    assert x.grad.item() == pytest.approx(1.5 * dens, rel=1e-8)
    assert rate.grad.item() == pytest.approx(2.0 * dens, rel=1e-8)


# ------------------------------------------------------------------- sample moments

MOMENT_CASES = [
    (lambda: D.Kumaraswamy(t(2.0), t(3.0)), None, None),
    (lambda: D.FisherSnedecor(t(6.0), t(12.0)), 12 / 10, 2 * 144 * 16 / (6 * 100 * 8)),
    (lambda: D.NegativeBinomial(t(3.5), t(0.4)), 3.5 * 0.4 / 0.6, 3.5 * 0.4 / 0.36),
    (lambda: D.InverseGamma(t(5.0), t(2.0)), 2 / 4, 4 / (16 * 3)),
    (lambda: D.GeneralizedPareto(t(0.5), t(2.0), t(0.1)), 0.5 + 2 / 0.9, 4 / (0.81 * 0.8)),
    (lambda: D.GeneralizedPareto(t(0.5), t(2.0), t(-0.5)), 0.5 + 2 / 1.5, 4 / (2.25 * 2)),
    (lambda: D.ContinuousBernoulli(t(0.2)), None, None),
    (lambda: D.ContinuousBernoulli(t(0.5)), 0.5, 1 / 12),
]


@pytest.mark.parametrize(("make", "mean", "var"), MOMENT_CASES)
def test_sample_moments(make, mean, var):
    ember.manual_seed(2024)
    d = make()
    if mean is None:  # the closed forms checked elsewhere
        mean, var = d.mean.item(), d.variance.item()
    x = d.sample((200_000,)).numpy()
    assert d.mean.item() == pytest.approx(mean, rel=1e-9)
    assert d.variance.item() == pytest.approx(var, rel=1e-9)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / x.size)
    assert abs(x.var() - var) < 0.08 * var


def test_kumaraswamy_moments_and_entropy():
    d = D.Kumaraswamy(t(2.0), t(3.0))
    pdf = lambda x: np.exp(d.log_prob(t(x)).numpy())  # noqa: E731
    # the density is about 6x near 0: the mass below 1e-6 is negligible (and there the
    # transforms' inverse rounds 1 - x^2 to 1)
    mean = _integrate(lambda x: x * pdf(x), 1e-6, 1 - 1e-9)
    assert d.mean.item() == pytest.approx(mean, abs=1e-7)
    second = _integrate(lambda x: x * x * pdf(x), 1e-6, 1 - 1e-9)
    assert d.variance.item() == pytest.approx(second - mean**2, abs=1e-7)
    entropy = _integrate(lambda x: -pdf(x) * d.log_prob(t(x)).numpy(), 1e-6, 1 - 1e-9)
    assert d.entropy().item() == pytest.approx(entropy, abs=1e-5)
    assert math.isnan(d.mode.item())  # as torch's


def test_multinomial_sampling_and_entropy(device):
    t = on(device)
    ember.manual_seed(4)
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    m = D.Multinomial(9, t(probs))
    x = m.sample((50_000,))
    assert x.device.type == device
    x = host(x)
    assert x.shape == (50_000, 2, 3) and x.dtype == np.float64
    assert (x.sum(-1) == 9).all()
    np.testing.assert_allclose(x.mean(0), 9 * probs, atol=0.03)
    np.testing.assert_allclose(x.var(0), 9 * probs * (1 - probs), rtol=0.05)
    # entropy by enumerating every outcome
    small = D.Multinomial(4, t([0.2, 0.3, 0.5]))
    outcomes = [[a, b, 4 - a - b] for a in range(5) for b in range(5 - a)]
    lp = host(small.log_prob(t(outcomes)))
    assert np.exp(lp).sum() == pytest.approx(1.0)
    assert small.entropy().item() == pytest.approx(-(np.exp(lp) * lp).sum(), rel=1e-10)
    # zero-probability categories drawn zero times
    z = D.Multinomial(3, t([0.0, 0.4, 0.6]))
    assert z.log_prob(t([0.0, 1.0, 2.0])).item() == pytest.approx(
        math.log(3 * 0.4 * 0.36), rel=1e-10
    )


def test_mixture_and_lowrank_samples(device):
    t = on(device)
    ember.manual_seed(6)
    mix = D.MixtureSameFamily(
        D.Categorical(t([0.3, 0.7])),
        D.Independent(D.Normal(t([[0.0, 0.0], [3.0, -1.0]]), t([[1.0, 0.5], [0.3, 1.0]])), 1),
    )
    x = host(mix.sample((100_000,)))
    assert x.shape == (100_000, 2)
    np.testing.assert_allclose(x.mean(0), host(mix.mean), atol=0.02)
    np.testing.assert_allclose(x.var(0), host(mix.variance), rtol=0.03)
    assert mix.log_prob(t([0.5, -0.5])).device.type == device
    lr = D.LowRankMultivariateNormal(t([0.5, -1.0, 0.0]), t([[1.0], [0.5], [-0.8]]), t([0.5] * 3))
    y = lr.rsample((100_000,))
    assert y.device.type == device and lr.log_prob(y[:3]).device.type == device
    np.testing.assert_allclose(np.cov(host(y).T), host(lr.covariance_matrix), atol=0.03)


def test_von_mises_sampling(device):
    t = on(device)
    ember.manual_seed(8)
    for kappa in (1e-6, 0.5, 4.0, 100.0):
        d = D.VonMises(t(2.8), t(kappa))
        x = d.sample((100_000,))
        assert x.device.type == device and d.log_prob(x[:3]).device.type == device
        x = host(x)
        assert x.min() >= -math.pi and x.max() < math.pi
        # E[cos(x - loc)] = I1(k) / I0(k) = 1 - circular variance
        resultant = np.cos(x - 2.8).mean()
        assert resultant == pytest.approx(1 - d.variance.item(), abs=0.01)
        assert np.sin(x - 2.8).mean() == pytest.approx(0.0, abs=0.01)
    assert D.VonMises(ember.zeros(2, device=device), 1.0).sample((3,)).dtype == ember.float32


def test_relaxed_samples(device):
    t = on(device)
    ember.manual_seed(9)
    # low temperature: nearly Bernoulli / one-hot, with the right frequencies
    rb = host(D.RelaxedBernoulli(t(0.05), t(0.3)).sample((50_000,)))
    assert ((rb > 0) & (rb < 1)).all()
    assert (rb > 0.5).mean() == pytest.approx(0.3, abs=0.01)
    oh = host(D.RelaxedOneHotCategorical(t(0.05), t([0.2, 0.3, 0.5])).sample((50_000,)))
    np.testing.assert_allclose(oh.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.bincount(oh.argmax(-1)) / 50_000, [0.2, 0.3, 0.5], atol=0.01)
    ln = host(D.LogisticNormal(t([0.0, 1.0]), t([0.5, 0.5])).sample((4,)))
    assert ln.shape == (4, 3)
    np.testing.assert_allclose(ln.sum(-1), 1.0, rtol=1e-12)
    # reparameterised: d E[x] / d logit > 0
    logits = t(0.2).requires_grad_()
    D.RelaxedBernoulli(t(0.5), logits=logits).rsample((10_000,)).mean().backward()
    assert logits.grad.item() > 0 and logits.grad.device.type == device


def test_half_cauchy_and_inverse_gamma():
    hc = D.HalfCauchy(t(2.0))
    assert hc.cdf(t(2.0)).item() == pytest.approx(0.5)
    assert hc.icdf(t(0.5)).item() == pytest.approx(2.0)
    # the Cauchy's log(4 pi scale), less log 2
    assert hc.entropy().item() == pytest.approx(math.log(2 * math.pi * 2.0))
    assert hc.mean.item() == math.inf
    with pytest.raises(ValueError, match="within the support"):
        hc.log_prob(t(-1.0))
    assert D.HalfCauchy(t(2.0), validate_args=False).log_prob(t(-1.0)).item() == -math.inf
    assert D.InverseGamma(t(0.8), t(2.0)).mean.item() == math.inf
    assert D.InverseGamma(t(1.5), t(2.0)).variance.item() == math.inf
    # entropy: a + log(b) + lgamma(a) - (1 + a) digamma(a), against integration
    ig = D.InverseGamma(t(3.0), t(2.0))
    ent = _integrate(
        lambda x: -np.exp(ig.log_prob(t(x)).numpy()) * ig.log_prob(t(x)).numpy(), 1e-3, 200.0
    )
    assert ig.entropy().item() == pytest.approx(ent, abs=1e-4)


def test_generalized_pareto_cdf_and_support():
    d = D.GeneralizedPareto(t(0.5), t(2.0), t(0.3))
    assert d.cdf(t(1.7)).item() == pytest.approx(1 - (1 + 0.3 * 0.6) ** (-1 / 0.3))
    assert d.icdf(d.cdf(t(1.7))).item() == pytest.approx(1.7)
    bounded = D.GeneralizedPareto(t(0.0), t(1.0), t(-0.5))
    assert bounded.support.upper_bound.item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="within the support"):
        bounded.log_prob(t(2.5))
    assert bounded.entropy().item() == pytest.approx(0.5)


# ------------------------------------------------------------------------ KL divergences


def _lowrank(t=t):
    return D.LowRankMultivariateNormal(
        t([0.3, -0.5, 1.0]), t([[1.0, 0.2], [0.5, -0.3], [-0.8, 0.4]]), t([0.5, 1.0, 0.7])
    )


def _lowrank_q(t=t):
    return D.LowRankMultivariateNormal(t([0.0, 0.2, 0.5]), t([[0.3], [-0.6], [1.0]]), t([1.0] * 3))


def _mvn(t=t):
    return D.MultivariateNormal(
        t([0.1, 0.0, -0.2]), t([[1.5, 0.3, 0.0], [0.3, 1.0, -0.2], [0.0, -0.2, 0.8]])
    )


KL_PAIRS = [
    (_lowrank, _lowrank_q),
    (_lowrank, _mvn),
    (_mvn, _lowrank_q),
    (lambda t: D.ContinuousBernoulli(t(0.3)), lambda t: D.ContinuousBernoulli(t(0.8))),
    (lambda t: D.ContinuousBernoulli(t(0.3)), lambda t: D.ContinuousBernoulli(t(0.5002))),
    (lambda t: D.Beta(t(2.0), t(3.0)), lambda t: D.ContinuousBernoulli(t(0.7))),
    (lambda t: D.Uniform(t(0.1), t(0.8)), lambda t: D.ContinuousBernoulli(t(0.7))),
    (lambda t: D.ContinuousBernoulli(t(0.3)), lambda t: D.Normal(t(0.2), t(0.7))),
    (lambda t: D.ContinuousBernoulli(t(0.3)), lambda t: D.Exponential(t(1.7))),
    (lambda t: D.ContinuousBernoulli(t(0.3)), lambda t: D.Uniform(t(-0.5), t(1.5))),
]


@pytest.mark.parametrize(("make_p", "make_q"), KL_PAIRS)
def test_kl_against_monte_carlo(make_p, make_q):
    ember.manual_seed(11)
    p, q = make_p(t), make_q(t)
    x = p.sample((200_000,))
    ratio = (p.log_prob(x) - q.log_prob(x)).numpy()
    kl = D.kl_divergence(p, q).item()
    assert abs(ratio.mean() - kl) < 5 * ratio.std() / math.sqrt(ratio.size) + 1e-9
    assert D.kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-9)


def test_kl_pairs_on_device(device):
    """Every pair above on ``device``: the divergence as on the CPU, and the samples and
    densities of its Monte Carlo check there too."""
    for i, (make_p, make_q) in enumerate(KL_PAIRS):
        p, q = make_p(on(device)), make_q(on(device))
        kl = D.kl_divergence(p, q)
        assert kl.device.type == device, i
        expected = D.kl_divergence(make_p(t), make_q(t)).item()
        assert kl.item() == pytest.approx(expected, rel=1e-9, abs=1e-12), i
        ember.manual_seed(11)
        x = p.sample((1000,))
        ratio = p.log_prob(x) - q.log_prob(x)
        assert x.device.type == ratio.device.type == device, i
        assert bool(ratio.isfinite().all()), i


def test_kl_lowrank_matches_full_mvn():
    # a low-rank normal is a full one: every KL among them agrees with the MVN-MVN form
    p, q = _lowrank(), _lowrank_q()
    p_full = D.MultivariateNormal(p.loc, p.covariance_matrix)
    q_full = D.MultivariateNormal(q.loc, q.covariance_matrix)
    expected = D.kl_divergence(p_full, q_full).item()
    assert D.kl_divergence(p, q).item() == pytest.approx(expected, rel=1e-10)
    assert D.kl_divergence(p_full, q).item() == pytest.approx(expected, rel=1e-10)
    assert D.kl_divergence(p, q_full).item() == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(p, D.LowRankMultivariateNormal(t([0.0]), t([[1.0]]), t([1.0])))


def test_kl_continuous_bernoulli_infinite():
    cb = D.ContinuousBernoulli(t([0.3]))
    for p in (
        D.Normal(t([0.0]), t([1.0])),
        D.Exponential(t([1.0])),
        D.Gamma(t([2.0]), t([1.0])),
        D.Laplace(t([0.0]), t([1.0])),
        D.Gumbel(t([0.0]), t([1.0])),
        D.Pareto(t([1.0]), t([2.0])),
        D.Uniform(t([-0.5]), t([0.5])),
    ):
        assert D.kl_divergence(p, cb).tolist() == [math.inf]
    assert D.kl_divergence(cb, D.Pareto(t([1.0]), t([2.0]))).tolist() == [math.inf]
    assert D.kl_divergence(cb, D.Uniform(t([0.2]), t([2.0]))).tolist() == [math.inf]


# ---------------------------------------------------------------------- validate_args


def test_validate_args_errors():
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        D.Multinomial(t(3.0), t([0.5, 0.5]))
    with pytest.raises(ValueError, match="within the support"):
        D.Multinomial(3, t([0.5, 0.5])).log_prob(t([3.0, 1.0]))
    with pytest.raises(ValueError, match="needs to be an  instance"):
        D.MixtureSameFamily(D.Normal(t(0.0), t(1.0)), D.Normal(t([0.0]), t([1.0])))
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])), D.Normal(t([0.0]), t([1.0])))
    with pytest.raises(ValueError, match="not compatible"):
        D.MixtureSameFamily(
            D.Categorical(t([[0.5, 0.5]] * 3)), D.Normal(t([[0.0, 1.0]] * 2), t([[1.0, 1.0]] * 2))
        )
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices"):
        D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0]]), t([1.0, 1.0]))
    with pytest.raises(ValueError, match="cov_diag must be a batch of vectors"):
        D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [0.0]]), t([1.0]))
    with pytest.raises(ValueError, match="Expected parameter cov_diag"):
        D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [0.0]]), t([1.0, -1.0]))
    with pytest.raises(ValueError, match="Expected parameter concentration"):
        D.VonMises(t(0.0), t(-1.0))
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(t(1.5), validate_args=True)
    with pytest.raises(ValueError, match="Expected parameter concentration"):  # a Gamma's
        D.FisherSnedecor(t(1.0), t(0.0))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.NegativeBinomial(t(2.0), t(1.0))
    with pytest.raises(ValueError, match="within the support"):
        D.NegativeBinomial(t(2.0), t(0.5)).log_prob(t(1.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.RelaxedOneHotCategorical(t(1.0))
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.GeneralizedPareto(t(0.0), t(-1.0), t(0.1))
    with pytest.raises(ValueError, match="Expected parameter rate"):
        D.InverseGamma(t(1.0), t(-1.0))


# ----------------------------------------------------------------------------- shapes


def test_shapes_and_expand():
    m = D.Multinomial(5, logits=ember.zeros(2, 4))
    assert m.batch_shape == (2,) and m.event_shape == (4,)
    assert m.sample((3,)).shape == (3, 2, 4) and m.sample().dtype == ember.float32
    assert m.expand((6, 2)).sample().shape == (6, 2, 4)
    mix = D.MixtureSameFamily(D.Categorical(ember.ones(2, 3)), D.Normal(ember.zeros(2, 3), 1.0))
    assert mix.batch_shape == (2,) and mix.sample((4,)).shape == (4, 2)
    assert mix.expand((5, 2)).log_prob(ember.zeros(5, 2)).shape == (5, 2)
    lr = D.LowRankMultivariateNormal(ember.zeros(2, 3), ember.ones(3, 1), ember.ones(3))
    assert lr.batch_shape == (2,) and lr.rsample((4,)).shape == (4, 2, 3)
    assert lr.expand((5, 2)).log_prob(ember.zeros(3)).shape == (5, 2)
    rc = D.RelaxedOneHotCategorical(t(0.5), logits=ember.zeros(2, 4, dtype=F64))
    assert rc.batch_shape == (2,) and rc.event_shape == (4,)
    assert rc.rsample((3,)).shape == (3, 2, 4)
    assert D.RelaxedBernoulli(t(0.5), 0.3).batch_shape == ()
    ln = D.LogisticNormal(ember.zeros(2, 3), ember.ones(2, 3))
    assert ln.batch_shape == (2,) and ln.event_shape == (4,) and ln.sample().shape == (2, 4)
    assert D.LogisticNormal(0.0, 1.0).event_shape == (2,)
    for d in (
        D.VonMises(ember.zeros(3), 1.0),
        D.Kumaraswamy(ember.ones(3), 2.0),
        D.ContinuousBernoulli(ember.full((3,), 0.3)),
        D.FisherSnedecor(ember.ones(3), 5.0),
        D.NegativeBinomial(ember.ones(3), logits=ember.zeros(3)),
        D.HalfCauchy(ember.ones(3)),
        D.InverseGamma(ember.ones(3), 2.0),
        D.GeneralizedPareto(ember.zeros(3), 1.0, 0.2),
    ):
        assert d.batch_shape == (3,) and d.sample((2,)).shape == (2, 3)
        e = d.expand((4, 3))
        assert e.batch_shape == (4, 3) and e.sample().shape == (4, 3)
        assert e.log_prob(d.sample()).shape == (4, 3)
    assert D.FisherSnedecor(1.0, 2.0).batch_shape == ()
    assert D.ContinuousBernoulli(0.3).batch_shape == ()


def test_mixture_same_family_constraint():
    c = D.constraints.MixtureSameFamilyConstraint(D.constraints.positive)
    assert c.check(t([[1.0, -1.0], [2.0, 3.0]])).tolist() == [[True, False], [True, True]]
    c1 = D.constraints.MixtureSameFamilyConstraint(D.constraints.simplex)
    assert c1.event_dim == 1 and not c1.is_discrete
    assert c1.check(t([[0.5, 0.5], [0.2, 0.9]])).tolist() == [True, False]
    assert repr(c) == "MixtureSameFamilyConstraint(GreaterThan(lower_bound=0.0))"
