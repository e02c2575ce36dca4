"""ember.distributions against independent references: closed-form densities and moments
written here with math/numpy, moments of large samples, pathwise gradients against analytic
derivatives, KL divergences against Monte Carlo estimates, validation errors and shapes.
Also the special functions the distributions need (lgamma, digamma, polygamma, xlogy, the
rest of ember.special) and the gamma sampler's implicit gradient.

The checks that take the ``device`` fixture run on every backend: the distributions' factories
take ``t``, the maker of their float64 parameters, so that one table serves every device."""

import functools
import math

import numpy as np
import pytest

import ember
import ember.distributions as D
from ember.random import _standard_gamma

F64 = ember.float64


def t(x, device="cpu"):
    return ember.tensor(x, dtype=F64, device=device)


def on(device):
    """``t`` for ``device``."""
    return functools.partial(t, device=device)


def host(x):
    """A tensor's values as a numpy array on the host (from any device)."""
    return x.detach().cpu().numpy()


# --------------------------------------------------------------------- special functions


def test_lgamma_digamma_polygamma_values():
    x = np.array([1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 55.5, -0.5, -2.5])
    np.testing.assert_allclose(
        ember.lgamma(t(x)).numpy(), [math.lgamma(v) for v in x], rtol=1e-13, atol=1e-13
    )
    # digamma as the central difference of math.lgamma, polygamma(1) as that of digamma
    h = 1e-6
    fd = [(math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h) for v in x]
    np.testing.assert_allclose(ember.digamma(t(x)).numpy(), fd, rtol=1e-6, atol=1e-6)
    fd1 = (ember.digamma(t(x + h)).numpy() - ember.digamma(t(x - h)).numpy()) / (2 * h)
    np.testing.assert_allclose(ember.polygamma(1, t(x)).numpy(), fd1, rtol=1e-6)
    assert ember.digamma(t([1.0])).item() == pytest.approx(-0.5772156649015329, rel=1e-14)
    assert ember.polygamma(1, t([1.0])).item() == pytest.approx(math.pi**2 / 6, rel=1e-14)
    assert ember.polygamma(2, t([1.0])).item() == pytest.approx(-2 * 1.2020569031595942)
    assert ember.lgamma(t([0.0, -1.0])).tolist() == [math.inf, math.inf]
    assert ember.digamma(t([0.0])).item() == -math.inf
    assert math.isnan(ember.digamma(t([-2.0])).item())
    assert ember.lgamma(ember.tensor([1.0])).dtype == ember.float32


def test_special_function_gradients():
    x = t([0.3, 1.7, 4.2]).requires_grad_()
    assert ember.autograd.gradcheck(ember.lgamma, (x,))
    assert ember.autograd.gradcheck(ember.digamma, (x,))
    assert ember.autograd.gradcheck(lambda v: ember.polygamma(2, v), (x,))


def test_xlogy():
    x, y = t([0.0, 0.0, 2.0, 0.0]), t([0.0, 3.0, 3.0, math.nan])
    out = ember.xlogy(x, y).numpy()
    assert out[:3].tolist() == [0.0, 0.0, 2 * math.log(3.0)]
    assert math.isnan(out[3])
    x.requires_grad_()
    y2 = t([1.0, 3.0, 3.0, 2.0]).requires_grad_()
    ember.xlogy(x, y2).sum().backward()
    # torch's gradients: xlogy(x != 0, y) and x / y, both 0 where x is 0
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, math.log(3.0), 0.0])
    np.testing.assert_allclose(y2.grad.numpy(), [0.0, 0.0, 2.0 / 3.0, 0.0])
    assert ember.xlogy(2, t([math.e])).item() == pytest.approx(2.0)


def test_standard_gamma_implicit_gradient():
    ember.manual_seed(1)
    for alpha in (0.3, 2.5, 40.0):
        a = ember.full((200_000,), alpha, dtype=F64, requires_grad=True)
        x = _standard_gamma(a)
        # E[x^2] = a (a + 1): d/da = 2a + 1
        (x * x).mean().backward()
        grad = a.grad.sum().item()
        assert grad == pytest.approx(2 * alpha + 1, rel=0.03)


# -------------------------------------------------------------- closed-form densities

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _lbeta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


CASES = [
    (
        lambda t: D.Normal(t(0.5), t(2.0)),
        1.3,
        lambda x: -((x - 0.5) ** 2) / 8 - math.log(2.0) - _LOG_SQRT_2PI,
    ),
    (lambda t: D.Exponential(t(1.5)), 0.7, lambda x: math.log(1.5) - 1.5 * x),
    (lambda t: D.Laplace(t(1.0), t(2.0)), -0.4, lambda x: -math.log(4.0) - abs(x - 1) / 2),
    (
        lambda t: D.Gamma(t(2.5), t(1.5)),
        0.8,
        lambda x: 2.5 * math.log(1.5) + 1.5 * math.log(x) - 1.5 * x - math.lgamma(2.5),
    ),
    (
        lambda t: D.Beta(t(2.0), t(3.5)),
        0.3,
        lambda x: math.log(x) + 2.5 * math.log(1 - x) - _lbeta(2.0, 3.5),
    ),
    (lambda t: D.Uniform(t(-1.0), t(3.0)), 0.5, lambda x: -math.log(4.0)),
    (
        lambda t: D.Cauchy(t(0.5), t(2.0)),
        1.0,
        lambda x: -math.log(math.pi * 2.0 * (1 + ((x - 0.5) / 2) ** 2)),
    ),
    (
        lambda t: D.StudentT(t(4.0), t(0.5), t(2.0)),
        1.0,
        lambda x: (
            math.lgamma(2.5)
            - math.lgamma(2.0)
            - 0.5 * math.log(4 * math.pi)
            - math.log(2.0)
            - 2.5 * math.log1p(((x - 0.5) / 2) ** 2 / 4)
        ),
    ),
    (
        lambda t: D.Chi2(t(3.0)),
        1.2,
        lambda x: 0.5 * math.log(x) - x / 2 - 1.5 * math.log(2) - math.lgamma(1.5),
    ),
    (
        lambda t: D.HalfNormal(t(2.0)),
        1.2,
        lambda x: math.log(2) - x * x / 8 - math.log(2.0) - _LOG_SQRT_2PI,
    ),
    (
        lambda t: D.LogNormal(t(0.2), t(0.7)),
        1.5,
        lambda x: -((math.log(x) - 0.2) ** 2) / (2 * 0.49) - math.log(0.7 * x) - _LOG_SQRT_2PI,
    ),
    (
        lambda t: D.Gumbel(t(1.0), t(2.0)),
        0.3,
        lambda x: -(x - 1) / 2 - math.exp(-(x - 1) / 2) - math.log(2.0),
    ),
    (
        lambda t: D.Weibull(t(2.0), t(1.5)),
        1.1,
        lambda x: math.log(1.5 / 2.0) + 0.5 * math.log(x / 2) - (x / 2) ** 1.5,
    ),
    (lambda t: D.Pareto(t(1.0), t(3.0)), 2.0, lambda x: math.log(3.0) - 4 * math.log(x)),
    (
        lambda t: D.Poisson(t(3.5)),
        4.0,
        lambda k: k * math.log(3.5) - 3.5 - math.lgamma(k + 1),
    ),
    (
        lambda t: D.Binomial(10, t(0.3)),
        4.0,
        lambda k: math.log(math.comb(10, 4)) + 4 * math.log(0.3) + 6 * math.log(0.7),
    ),
    (lambda t: D.Geometric(t(0.3)), 3.0, lambda k: 3 * math.log(0.7) + math.log(0.3)),
    (lambda t: D.Bernoulli(t(0.3)), 1.0, lambda k: math.log(0.3)),
    (lambda t: D.Bernoulli(logits=t(0.4)), 0.0, lambda k: -math.log1p(math.exp(0.4))),
]


@pytest.mark.parametrize(("make", "x", "reference"), CASES)
def test_log_prob_closed_form(make, x, reference, device):
    t = on(device)
    log_prob = make(t).log_prob(t(x))
    assert log_prob.device.type == device and log_prob.dtype == F64
    assert log_prob.item() == pytest.approx(reference(x), rel=1e-10, abs=1e-10)


def test_categorical_and_onehot_log_prob(device):
    t = on(device)
    probs = t([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    c = D.Categorical(probs=probs)
    index = ember.tensor([2, 0], device=device)
    np.testing.assert_allclose(host(c.log_prob(index)), np.log([0.5, 0.6]))
    c2 = D.Categorical(logits=ember.log(probs) + 3.0)  # unnormalised logits
    np.testing.assert_allclose(host(c2.probs), host(probs), rtol=1e-12)
    oh = D.OneHotCategorical(probs)
    np.testing.assert_allclose(host(oh.log_prob(t([[0, 1, 0], [1, 0, 0]]))), np.log([0.3, 0.6]))
    p = host(probs)
    np.testing.assert_allclose(host(c.entropy()), -(p * np.log(p)).sum(-1))
    assert c.mode.tolist() == [2, 0] and c.enumerate_support().device.type == device


def test_dirichlet_and_mvn_log_prob(device):
    t = on(device)
    a = [2.0, 0.7, 1.5]
    x = [0.2, 0.3, 0.5]
    ref = math.lgamma(sum(a)) - sum(map(math.lgamma, a))
    ref += sum((ai - 1) * math.log(xi) for ai, xi in zip(a, x))
    assert D.Dirichlet(t(a)).log_prob(t(x)).item() == pytest.approx(ref, rel=1e-12)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    mu = np.array([0.3, -1.0])
    v = np.array([1.0, 0.5])
    diff = v - mu
    ref = -0.5 * diff @ np.linalg.solve(cov, diff) - 0.5 * math.log(
        np.linalg.det(2 * math.pi * cov)
    )
    for kw in (
        {"covariance_matrix": t(cov)},
        {"precision_matrix": t(np.linalg.inv(cov))},
        {"scale_tril": t(np.linalg.cholesky(cov))},
    ):
        m = D.MultivariateNormal(t(mu), **kw)
        assert m.log_prob(t(v)).item() == pytest.approx(ref, rel=1e-10)
        np.testing.assert_allclose(host(m.covariance_matrix), cov, rtol=1e-10)
        entropy = 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov))
        assert m.entropy().item() == pytest.approx(entropy, rel=1e-10)


def test_cdf_icdf_roundtrip(device):
    t = on(device)
    for d in (
        D.Normal(t(0.5), t(2.0)),
        D.Exponential(t(1.5)),
        D.Laplace(t(1.0), t(2.0)),
        D.Uniform(t(-1.0), t(3.0)),
        D.Cauchy(t(0.5), t(2.0)),
        D.HalfNormal(t(2.0)),
        D.LogNormal(t(0.2), t(0.7)),
        D.Gumbel(t(1.0), t(2.0)),
    ):
        q = t([0.1, 0.5, 0.9])
        x = d.icdf(q)
        assert x.device.type == device
        np.testing.assert_allclose(host(d.cdf(x)), host(q), rtol=1e-9)
    assert D.Normal(t(0.0), t(1.0)).cdf(t(1.0)).item() == pytest.approx(
        0.5 * (1 + math.erf(1 / math.sqrt(2)))
    )


# ------------------------------------------------------------------- sample moments

MOMENT_CASES = [
    (lambda t: D.Normal(t(0.5), t(2.0)), 0.5, 4.0),
    (lambda t: D.Exponential(t(1.5)), 1 / 1.5, 1 / 2.25),
    (lambda t: D.Laplace(t(1.0), t(2.0)), 1.0, 8.0),
    (lambda t: D.Gamma(t(2.5), t(1.5)), 2.5 / 1.5, 2.5 / 2.25),
    (lambda t: D.Gamma(t(0.4), t(1.0)), 0.4, 0.4),
    (lambda t: D.Beta(t(2.0), t(3.5)), 2 / 5.5, 2 * 3.5 / (5.5**2 * 6.5)),
    (lambda t: D.Uniform(t(-1.0), t(3.0)), 1.0, 16 / 12),
    (lambda t: D.Poisson(t(3.5)), 3.5, 3.5),
    (lambda t: D.Binomial(10, t(0.3)), 3.0, 2.1),
    (lambda t: D.Geometric(t(0.3)), 0.7 / 0.3, 0.7 / 0.09),
    (lambda t: D.Bernoulli(t(0.3)), 0.3, 0.21),
    (lambda t: D.Chi2(t(3.0)), 3.0, 6.0),
    (lambda t: D.StudentT(t(6.0), t(0.5), t(2.0)), 0.5, 4 * 6 / 4),
    (lambda t: D.HalfNormal(t(2.0)), 2 * math.sqrt(2 / math.pi), 4 * (1 - 2 / math.pi)),
    (
        lambda t: D.LogNormal(t(0.2), t(0.5)),
        math.exp(0.2 + 0.125),
        math.expm1(0.25) * math.exp(0.4 + 0.25),
    ),
    (lambda t: D.Gumbel(t(1.0), t(2.0)), 1 + 2 * 0.5772156649, math.pi**2 / 6 * 4),
    (
        lambda t: D.Weibull(t(2.0), t(1.5)),
        2 * math.gamma(1 + 1 / 1.5),
        4 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2),
    ),
    (lambda t: D.Pareto(t(1.0), t(5.0)), 5 / 4, 5 / (16 * 3)),
]


@pytest.mark.parametrize(("make", "mean", "var"), MOMENT_CASES)
def test_sample_moments(make, mean, var):
    ember.manual_seed(2024)
    d = make(t)
    x = d.sample((100_000,)).numpy()
    assert d.mean.item() == pytest.approx(mean, rel=1e-9)
    assert d.variance.item() == pytest.approx(var, rel=1e-9)
    # within 5 standard errors (the variance's error from the 4th moment, loosely bounded)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / x.size)
    assert abs(x.var() - var) < 0.08 * var


def test_multivariate_sample_moments():
    ember.manual_seed(3)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    m = D.MultivariateNormal(t([0.3, -1.0]), covariance_matrix=t(cov))
    x = m.sample((100_000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [0.3, -1.0], atol=0.03)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.05)
    a = np.array([2.0, 0.7, 1.5])
    x = D.Dirichlet(t(a)).sample((100_000,)).numpy()
    np.testing.assert_allclose(x.mean(0), a / a.sum(), atol=0.01)
    c = D.Categorical(t([0.2, 0.3, 0.5])).sample((50_000,)).numpy()
    np.testing.assert_allclose(np.bincount(c) / c.size, [0.2, 0.3, 0.5], atol=0.01)


# ------------------------------------------------------------ reparameterised gradients


def test_rsample_gradients(device):
    t = on(device)
    ember.manual_seed(5)
    n = (200_000,)
    mu, s = t(0.7).requires_grad_(), t(1.3).requires_grad_()
    x = D.Normal(mu, s).rsample(n)
    (x * x).mean().backward()  # E[x^2] = mu^2 + s^2
    assert mu.grad.item() == pytest.approx(2 * 0.7, rel=0.02)
    assert s.grad.item() == pytest.approx(2 * 1.3, rel=0.02)
    a, b = t(2.0).requires_grad_(), t(3.0).requires_grad_()
    D.Beta(a, b).rsample(n).mean().backward()  # E = a / (a + b)
    assert a.grad.item() == pytest.approx(3 / 25, rel=0.05)
    assert b.grad.item() == pytest.approx(-2 / 25, rel=0.05)
    c, r = t(2.5).requires_grad_(), t(1.5).requires_grad_()
    D.Gamma(c, r).rsample(n).mean().backward()  # E = c / r
    assert c.grad.item() == pytest.approx(1 / 1.5, rel=0.03)
    assert r.grad.item() == pytest.approx(-2.5 / 2.25, rel=0.03)
    lo, hi = t(1.0).requires_grad_(), t(3.0).requires_grad_()
    D.Uniform(lo, hi).rsample(n).mean().backward()
    assert lo.grad.item() == pytest.approx(0.5, rel=0.02)
    assert all(v.grad.device.type == device for v in (mu, s, a, b, c, r, lo, hi))


# ------------------------------------------------------------------------ KL divergences

KL_PAIRS = [
    (lambda t: D.Normal(t(0.3), t(1.2)), lambda t: D.Normal(t(-0.5), t(0.8))),
    (lambda t: D.Exponential(t(1.5)), lambda t: D.Exponential(t(0.7))),
    (lambda t: D.Laplace(t(0.3), t(1.2)), lambda t: D.Laplace(t(-0.5), t(0.8))),
    (lambda t: D.Gamma(t(2.5), t(1.5)), lambda t: D.Gamma(t(1.5), t(0.7))),
    (lambda t: D.Beta(t(2.0), t(3.0)), lambda t: D.Beta(t(1.5), t(1.2))),
    (lambda t: D.Uniform(t(0.0), t(1.0)), lambda t: D.Uniform(t(-1.0), t(2.0))),
    (lambda t: D.Poisson(t(3.0)), lambda t: D.Poisson(t(2.0))),
    (lambda t: D.Bernoulli(t(0.3)), lambda t: D.Bernoulli(t(0.6))),
    (lambda t: D.Geometric(t(0.3)), lambda t: D.Geometric(t(0.6))),
    (lambda t: D.Binomial(8, t(0.3)), lambda t: D.Binomial(8, t(0.6))),
    (lambda t: D.Categorical(t([0.2, 0.3, 0.5])), lambda t: D.Categorical(t([0.4, 0.4, 0.2]))),
    (lambda t: D.Dirichlet(t([2.0, 0.7, 1.5])), lambda t: D.Dirichlet(t([1.0, 1.0, 3.0]))),
    (
        lambda t: D.MultivariateNormal(t([0.3, 1.0]), t([[2.0, 0.5], [0.5, 1.0]])),
        lambda t: D.MultivariateNormal(t([0.0, 0.0]), t([[1.0, -0.2], [-0.2, 1.5]])),
    ),
    (
        lambda t: D.Independent(D.Normal(t([0.3, 1.0]), t([1.0, 2.0])), 1),
        lambda t: D.Independent(D.Normal(t([0.0, 0.5]), t([1.5, 1.0])), 1),
    ),
    (lambda t: D.Gumbel(t(0.3), t(1.2)), lambda t: D.Gumbel(t(-0.5), t(0.8))),
    (lambda t: D.HalfNormal(t(1.2)), lambda t: D.HalfNormal(t(0.8))),
    (lambda t: D.LogNormal(t(0.3), t(1.2)), lambda t: D.LogNormal(t(-0.5), t(0.8))),
    (lambda t: D.Pareto(t(1.0), t(3.0)), lambda t: D.Pareto(t(0.5), t(2.0))),
    (lambda t: D.Cauchy(t(0.3), t(1.2)), lambda t: D.Cauchy(t(-0.5), t(0.8))),
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


def test_kl_closed_form_and_bregman(device):
    t = on(device)
    # Normal: log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2
    p, q = D.Normal(t(0.3), t(1.2)), D.Normal(t(-0.5), t(0.8))
    ref = math.log(0.8 / 1.2) + (1.44 + 0.64) / (2 * 0.64) - 0.5
    assert D.kl_divergence(p, q).item() == pytest.approx(ref, rel=1e-12)
    # the exponential-family fallback (Bregman divergence) agrees with the closed forms
    from ember.distributions.kl import _kl_expfamily_expfamily

    for make_p, make_q in (KL_PAIRS[0], KL_PAIRS[3], KL_PAIRS[4], KL_PAIRS[11]):
        p, q = make_p(t), make_q(t)
        expected = D.kl_divergence(p, q).item()
        assert _kl_expfamily_expfamily(p, q).item() == pytest.approx(expected, rel=1e-8)
    assert D.kl_divergence(D.Uniform(t(0.0), t(2.0)), D.Uniform(t(0.0), t(1.0))).item() == (
        math.inf
    )
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Cauchy(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))


def test_register_kl_dispatch():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(t(0.0), t(1.0)), D.Normal(t(1.0), t(1.0))
    assert D.kl_divergence(p, q).item() == pytest.approx(0.5)

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return ember.zeros(())

    try:
        assert D.kl_divergence(p, q).item() == 0.0
    finally:
        from ember.distributions import kl

        del kl._KL_REGISTRY[MyNormal, D.Normal]
        kl._KL_MEMOIZE.clear()
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def test_entropy_against_closed_forms(device):
    t = on(device)
    assert D.Normal(t(0.0), t(2.0)).entropy().item() == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e * 4)
    )
    assert D.Exponential(t(2.0)).entropy().item() == pytest.approx(1 - math.log(2.0))
    # closed forms against the exponential-family (Bregman) computation
    for d in (D.Normal(t(0.3), t(1.5)), D.Gamma(t(2.5), t(1.5)), D.Exponential(t(0.7))):
        assert d.entropy().item() == pytest.approx(D.ExponentialFamily.entropy(d).item(), rel=1e-9)


# ---------------------------------------------------------------------- validate_args


def test_validate_args_errors(device):
    t = on(device)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(t(0.0), t(-1.0))
    with pytest.raises(ValueError, match="Expected parameter covariance_matrix"):
        D.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]]))  # not definite
    with pytest.raises(ValueError, match="within the support"):
        D.Binomial(3, t(0.5)).log_prob(t(4.0))
    with pytest.raises(ValueError, match=r"constraint GreaterThan\(lower_bound=0.0\)"):
        D.Gamma(t(1.0), t([1.0, -2.0]))
    D.Normal(t(0.0), t(-1.0), validate_args=False)  # no error
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Bernoulli(probs=t(0.3), logits=t(0.1))
    with pytest.raises(ValueError, match="within the support"):
        D.Exponential(t(1.0)).log_prob(t(-1.0))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(t(0.0), t(1.0)).log_prob(1.0)
    with pytest.raises(ValueError, match="must match event_shape"):
        D.Dirichlet(t([1.0, 1.0])).log_prob(t([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="Uniform is not defined when low>= high"):
        D.Uniform(t(1.0), t(0.0))
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(t([0.0]))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_set_default_validate_args():
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(t(0.0), t(-1.0))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(t(0.0), t(-1.0))


# ----------------------------------------------------------------------------- shapes


def test_shapes_and_expand():
    d = D.Normal(ember.zeros(3, dtype=F64), 1.0)
    assert d.batch_shape == (3,) and d.event_shape == ()
    assert d.sample((4, 2)).shape == (4, 2, 3)
    e = d.expand((5, 3))
    assert e.batch_shape == (5, 3) and e.sample().shape == (5, 3)
    i = D.Independent(d, 1)
    assert i.batch_shape == () and i.event_shape == (3,)
    assert i.log_prob(ember.zeros(3, dtype=F64)).shape == ()
    m = D.MultivariateNormal(ember.zeros(2, 3), scale_tril=ember.eye(3))
    assert m.batch_shape == (2,) and m.event_shape == (3,)
    assert m.rsample((4,)).shape == (4, 2, 3)
    assert m.expand((5, 2)).log_prob(ember.zeros(3)).shape == (5, 2)
    c = D.Categorical(logits=ember.zeros(2, 4))
    assert c.sample((3,)).shape == (3, 2) and c.enumerate_support().shape == (4, 2)
    assert D.OneHotCategorical(logits=ember.zeros(2, 4)).sample((3,)).shape == (3, 2, 4)
    assert D.Normal(0.0, 1.0).batch_shape == ()
    assert D.Normal(0.0, 1.0).sample().dtype == ember.float32
    assert D.Gamma(ember.ones(2), 1.0).rsample().dtype == ember.float32
    assert D.Binomial(5, ember.full((2,), 0.5)).enumerate_support().shape == (6, 2)


def test_lazy_parameters_and_repr():
    b = D.Bernoulli(logits=t([0.0, 2.0]))
    assert "probs" not in b.__dict__
    np.testing.assert_allclose(b.probs.numpy(), [0.5, 1 / (1 + math.exp(-2))])
    assert "probs" in b.__dict__
    assert repr(D.Normal(t(0.0), t(1.0))) == "Normal(loc: 0.0, scale: 1.0)"  # as torch prints it
    assert repr(D.constraints.interval(0, 1)) == "Interval(lower_bound=0, upper_bound=1)"


def test_utils():
    from ember.distributions.utils import broadcast_all, logits_to_probs, probs_to_logits

    a, _ = broadcast_all(1.0, ember.zeros(2, 3))
    assert a.shape == (2, 3) and a.dtype == ember.float32
    p = t([0.2, 0.3, 0.5])
    np.testing.assert_allclose(logits_to_probs(probs_to_logits(p)).numpy(), p.numpy())
    q = t([0.1, 0.9])
    back = logits_to_probs(probs_to_logits(q, is_binary=True), is_binary=True)
    np.testing.assert_allclose(back.numpy(), q.numpy())
    with pytest.raises(ValueError, match="Input arguments must all be instances"):
        broadcast_all("a")


# ------------------------------------------------------------------------- transforms


@pytest.mark.parametrize(
    "transform",
    [
        D.ExpTransform(),
        D.SigmoidTransform(),
        D.TanhTransform(),
        D.AffineTransform(1.0, -2.0),
        D.PowerTransform(t(2.5)),
    ],
)
def test_transform_inverse_and_jacobian(transform):
    x = t([0.3, 0.7, 1.2])
    y = transform(x)
    np.testing.assert_allclose(transform.inv(y).numpy(), x.numpy(), rtol=1e-10)
    # log |dy/dx| by central differences
    h = 1e-6
    fd = (transform(x + h) - transform(x - h)).numpy() / (2 * h)
    np.testing.assert_allclose(
        transform.log_abs_det_jacobian(x, y).numpy(), np.log(np.abs(fd)), rtol=1e-6
    )


def test_stick_breaking_and_constraint_registry(device):
    t = on(device)
    sb = D.StickBreakingTransform()
    x = t([[0.3, -1.0, 2.0]])
    y = sb(x)
    assert y.shape == (1, 4) and y.sum().item() == pytest.approx(1.0)
    assert y.device.type == device
    np.testing.assert_allclose(host(sb.inv(y)), host(x), rtol=1e-9)
    # the Jacobian determinant of x -> y[:-1] by finite differences
    h = 1e-6
    eye = ember.eye(3, dtype=F64, device=device)
    jac = np.stack(
        [host(sb(x + h * eye[i]) - sb(x - h * eye[i]))[0, :-1] / (2 * h) for i in range(3)],
        axis=1,
    )
    logdet = math.log(abs(np.linalg.det(jac)))
    assert sb.log_abs_det_jacobian(x, y).item() == pytest.approx(logdet, rel=1e-6)
    for c in (
        D.constraints.positive,
        D.constraints.unit_interval,
        D.constraints.simplex,
        D.constraints.interval(-2.0, 3.0),
        D.constraints.greater_than(1.0),
    ):
        value = D.biject_to(c)(t([[0.3, -1.0, 2.0]]))
        assert bool(c.check(value).all())
    lower = D.transform_to(D.constraints.lower_cholesky)(t([[1.0, 2.0], [-3.0, 0.5]]))
    assert bool(D.constraints.lower_cholesky.check(lower))


def test_transformed_distribution_logistic(device):
    t = on(device)
    # Logistic(a, b) = a + b * logit(U): log p = -z - log b - 2 log(1 + e^-z), z = (x - a)/b
    base = D.Uniform(t(0.0), t(1.0))
    d = D.TransformedDistribution(base, [D.SigmoidTransform().inv, D.AffineTransform(1.0, 2.0)])
    x = 0.7
    z = (x - 1) / 2
    ref = -z - math.log(2) - 2 * math.log1p(math.exp(-z))
    assert d.log_prob(t(x)).item() == pytest.approx(ref, rel=1e-9)
    assert d.cdf(t(x)).item() == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-9)
    assert d.icdf(d.cdf(t(x))).item() == pytest.approx(x, rel=1e-9)
    assert d.rsample((3,)).device.type == device


# ------------------------------------------------------------------ every device alike

# Batches of two, the main families: ``t`` makes their parameters (leaves, on the device)
FAMILIES = {
    "normal": lambda t: D.Normal(t([0.0, 1.0]), t([1.0, 2.0])),
    "bernoulli": lambda t: D.Bernoulli(t([0.3, 0.8])),
    "categorical": lambda t: D.Categorical(t([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
    "one_hot_categorical": lambda t: D.OneHotCategorical(t([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
    "gamma": lambda t: D.Gamma(t([0.5, 2.5]), t([1.0, 1.5])),
    "beta": lambda t: D.Beta(t([2.0, 0.5]), t([3.0, 0.7])),
    "dirichlet": lambda t: D.Dirichlet(t([[2.0, 0.7, 1.5], [1.0, 1.0, 1.0]])),
    "poisson": lambda t: D.Poisson(t([3.5, 0.2])),
    "binomial": lambda t: D.Binomial(10, t([0.3, 0.9])),
    "geometric": lambda t: D.Geometric(t([0.3, 0.9])),
    "multivariate_normal": lambda t: D.MultivariateNormal(
        t([[0.3, -1.0], [0.0, 2.0]]), t([[2.0, 0.5], [0.5, 1.0]])
    ),
    "uniform": lambda t: D.Uniform(t([-1.0, 0.0]), t([3.0, 0.5])),
    "exponential": lambda t: D.Exponential(t([1.5, 0.2])),
    "laplace": lambda t: D.Laplace(t([1.0, 0.0]), t([2.0, 0.5])),
    "student_t": lambda t: D.StudentT(t([4.0, 30.0]), t([0.5, 0.0]), t([2.0, 1.0])),
    "log_normal": lambda t: D.LogNormal(t([0.2, -1.0]), t([0.7, 0.3])),
    "logistic": lambda t: D.TransformedDistribution(
        D.Uniform(t([0.0, 0.0]), t([1.0, 1.0])),
        [D.SigmoidTransform().inv, D.AffineTransform(t([1.0, 0.0]), t([2.0, 1.0]))],
    ),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_sampling_on_device(name, device):
    leaves = []

    def leaf(x):
        leaves.append(t(x, device).requires_grad_())
        return leaves[-1]

    d = FAMILIES[name](leaf)
    shape = (4, 3, *d.batch_shape, *d.event_shape)
    ember.manual_seed(0)
    x = d.sample((4, 3))
    assert x.shape == shape and x.device.type == device and not x.requires_grad
    assert bool(d.support.check(x).all())
    # a seed reproduces the draws, on every device
    ember.manual_seed(0)
    assert ember.equal(d.sample((4, 3)), x)
    log_prob = d.log_prob(x)
    assert log_prob.shape == (4, 3, *d.batch_shape) and log_prob.device.type == device
    assert bool(log_prob.isfinite().all())
    for moment in ("mean", "variance", "entropy", "cdf"):
        try:
            value = getattr(d, moment)(x) if moment == "cdf" else getattr(d, moment)
            value = value() if moment == "entropy" else value
        except NotImplementedError:
            continue
        assert value.device.type == device, moment
    if d.has_rsample:  # the pathwise gradient reaches every parameter, on the device
        d.rsample((5,)).sum().backward()
        for v in leaves:
            assert v.grad is not None and v.grad.device.type == device
            assert bool(v.grad.isfinite().all())


# ember.special's functions (and the special functions the distributions use) on a grid of
# their domain: on every device, float64 as on the CPU (whose values the tests above and
# test_more_functions check against independent references), float32 close, and gradients
SPECIAL = {
    "gammaln": (ember.special.gammaln, [0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 55.5, -0.5, -2.5]),
    "digamma": (ember.special.digamma, [0.1, 0.5, 1.0, 1.5, 3.7, 10.0, 55.5, -0.5, -2.5]),
    "polygamma_1": (lambda x: ember.special.polygamma(1, x), [0.1, 0.5, 1.0, 3.7, 10.0, 55.5]),
    "polygamma_3": (lambda x: ember.special.polygamma(3, x), [0.3, 1.0, 3.7, 12.0]),
    "multigammaln": (lambda x: ember.special.multigammaln(x, 3), [1.1, 1.5, 2.0, 3.7, 10.0]),
    "erf": (ember.special.erf, [-3.0, -1.0, -0.2, 0.3, 1.0, 2.4, 2.6, 5.0]),
    "erfc": (ember.special.erfc, [-3.0, -1.0, -0.2, 0.3, 1.0, 2.4, 2.6, 5.0]),
    "erfinv": (ember.special.erfinv, [-0.99, -0.5, 0.05, 0.3, 0.7, 0.95, 0.999]),
    "gammainc": (
        lambda x: ember.special.gammainc(ember.full_like(x, 2.5), x),
        [0.1, 0.5, 1.0, 2.5, 3.6, 8.0, 20.0],
    ),
    "gammaincc": (
        lambda x: ember.special.gammaincc(ember.full_like(x, 0.7), x),
        [0.1, 0.5, 1.0, 2.5, 3.6, 8.0, 20.0],
    ),
    "i0": (ember.special.i0, [-40.0, -5.0, -0.5, 0.3, 2.0, 31.0]),
    "i0e": (ember.special.i0e, [-40.0, -5.0, -0.5, 0.3, 2.0, 31.0]),
    "i1": (ember.special.i1, [-40.0, -5.0, -0.5, 0.3, 2.0, 31.0]),
    "i1e": (ember.special.i1e, [-40.0, -5.0, -0.5, 0.3, 2.0, 31.0]),
    "ndtr": (ember.special.ndtr, [-6.0, -1.5, 0.1, 0.7, 3.0, 8.0]),
    "ndtri": (ember.special.ndtri, [0.001, 0.1, 0.5, 0.8, 0.999]),
    "log_ndtr": (ember.special.log_ndtr, [-40.0, -12.0, -3.0, 0.1, 2.0, 9.0]),
    "entr": (ember.special.entr, [0.01, 0.3, 1.0, 2.5]),
    "xlogy": (lambda x: ember.special.xlogy(x, x.abs() + 0.5), [-2.0, 0.3, 1.0, 4.0]),
    "xlog1py": (lambda x: ember.special.xlog1py(x, x.abs() - 0.5), [-2.0, 0.3, 1.0, 4.0]),
    "logit": (ember.special.logit, [0.01, 0.2, 0.5, 0.9]),
    "sinc": (ember.special.sinc, [-2.5, -0.3, 0.4, 1.5]),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_functions_on_device(name, device):
    fn, values = SPECIAL[name]
    expected = host(fn(t(values)))
    y = fn(t(values, device))
    assert y.device.type == device and y.dtype == F64
    np.testing.assert_allclose(host(y), expected, rtol=1e-9, atol=1e-12)
    y32 = fn(ember.tensor(values, dtype=ember.float32, device=device))
    assert y32.device.type == device and y32.dtype == ember.float32
    np.testing.assert_allclose(host(y32), expected, rtol=2e-4, atol=1e-5)
    assert ember.autograd.gradcheck(fn, (t(values, device).requires_grad_(),))
