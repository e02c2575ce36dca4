"""ember.distributions side by side with torch.distributions: log_prob, cdf, icdf, entropy,
moments and KL divergences with their gradients w.r.t. the parameters, sample shapes, and the
exception types for invalid parameters. Sampled values differ (the generators differ), so
samples are compared by shape and dtype only."""

import numpy as np
import pytest

TOL = {"rtol": 1e-5, "atol": 1e-6}


def _pos(parity, *shape):
    return parity.uniform(0.5, 2.5, *shape, dtype=np.float64)


def _unit(parity, *shape):
    return parity.uniform(0.1, 0.9, *shape, dtype=np.float64)


# name, factory of (parameters...), builder fw -> distribution, factory of a value
UNIVARIATE = [
    (
        "Normal",
        lambda p: (p.randn(3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b: D.Normal(a, b),
        lambda p: p.randn(2, 3, dtype=np.float64),
    ),
    ("Exponential", lambda p: (_pos(p, 3),), lambda D, a: D.Exponential(a), lambda p: _pos(p, 3)),
    (
        "Laplace",
        lambda p: (p.randn(3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b: D.Laplace(a, b),
        lambda p: p.randn(3, dtype=np.float64),
    ),
    (
        "Gamma",
        lambda p: (_pos(p, 3), _pos(p, 3)),
        lambda D, a, b: D.Gamma(a, b),
        lambda p: _pos(p, 3),
    ),
    (
        "Beta",
        lambda p: (_pos(p, 3), _pos(p, 3)),
        lambda D, a, b: D.Beta(a, b),
        lambda p: _unit(p, 3),
    ),
    (
        "Uniform",
        lambda p: (p.uniform(-2, -1, 3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b: D.Uniform(a, b),
        lambda p: _unit(p, 3),
    ),
    (
        "Cauchy",
        lambda p: (p.randn(3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b: D.Cauchy(a, b),
        lambda p: p.randn(3, dtype=np.float64),
    ),
    (
        "StudentT",
        lambda p: (_pos(p, 3) + 2, p.randn(3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b, c: D.StudentT(a, b, c),
        lambda p: p.randn(3, dtype=np.float64),
    ),
    ("Chi2", lambda p: (_pos(p, 3),), lambda D, a: D.Chi2(a), lambda p: _pos(p, 3)),
    ("HalfNormal", lambda p: (_pos(p, 3),), lambda D, a: D.HalfNormal(a), lambda p: _pos(p, 3)),
    (
        "LogNormal",
        lambda p: (p.randn(3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b: D.LogNormal(a, b),
        lambda p: _pos(p, 3),
    ),
    (
        "Gumbel",
        lambda p: (p.randn(3, dtype=np.float64), _pos(p, 3)),
        lambda D, a, b: D.Gumbel(a, b),
        lambda p: p.randn(3, dtype=np.float64),
    ),
    (
        "Weibull",
        lambda p: (_pos(p, 3), _pos(p, 3)),
        lambda D, a, b: D.Weibull(a, b),
        lambda p: _pos(p, 3),
    ),
    (
        "Pareto",
        lambda p: (_unit(p, 3), _pos(p, 3) + 2),
        lambda D, a, b: D.Pareto(a, b),
        lambda p: _pos(p, 3) + 1,
    ),
    (
        "Poisson",
        lambda p: (_pos(p, 3),),
        lambda D, a: D.Poisson(a),
        lambda p: p.integers(0, 5, 3).astype(np.float64),
    ),
    (
        "Binomial",
        lambda p: (_unit(p, 3),),
        lambda D, a: D.Binomial(6, a),
        lambda p: p.integers(0, 7, 3).astype(np.float64),
    ),
    (
        "BinomialLogits",
        lambda p: (p.randn(3, dtype=np.float64),),
        lambda D, a: D.Binomial(6, logits=a),
        lambda p: p.integers(0, 7, 3).astype(np.float64),
    ),
    (
        "Geometric",
        lambda p: (_unit(p, 3),),
        lambda D, a: D.Geometric(a),
        lambda p: p.integers(0, 5, 3).astype(np.float64),
    ),
    (
        "Bernoulli",
        lambda p: (_unit(p, 3),),
        lambda D, a: D.Bernoulli(a),
        lambda p: p.integers(0, 2, 3).astype(np.float64),
    ),
    (
        "BernoulliLogits",
        lambda p: (p.randn(3, dtype=np.float64),),
        lambda D, a: D.Bernoulli(logits=a),
        lambda p: p.integers(0, 2, 3).astype(np.float64),
    ),
    (
        "Categorical",
        lambda p: (_pos(p, 2, 4),),
        lambda D, a: D.Categorical(a),
        lambda p: p.integers(0, 4, 2),
    ),
    (
        "CategoricalLogits",
        lambda p: (p.randn(2, 4, dtype=np.float64),),
        lambda D, a: D.Categorical(logits=a),
        lambda p: p.integers(0, 4, 2),
    ),
    (
        "OneHotCategorical",
        lambda p: (_pos(p, 2, 4),),
        lambda D, a: D.OneHotCategorical(a),
        lambda p: np.eye(4)[p.integers(0, 4, 2)],
    ),
    (
        "Dirichlet",
        lambda p: (_pos(p, 2, 3),),
        lambda D, a: D.Dirichlet(a),
        lambda p: np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]),
    ),
    (
        "MultivariateNormal",
        lambda p: (p.randn(2, 3, dtype=np.float64), _spd(p)),
        lambda D, a, c: D.MultivariateNormal(a, covariance_matrix=c),
        lambda p: p.randn(2, 3, dtype=np.float64),
    ),
    (
        "MultivariateNormalTril",
        lambda p: (p.randn(2, 3, dtype=np.float64), _tril(p)),
        lambda D, a, c: D.MultivariateNormal(a, scale_tril=c),
        lambda p: p.randn(2, 3, dtype=np.float64),
    ),
    (
        "Independent",
        lambda p: (p.randn(2, 3, dtype=np.float64), _pos(p, 2, 3)),
        lambda D, a, b: D.Independent(D.Normal(a, b), 1),
        lambda p: p.randn(2, 3, dtype=np.float64),
    ),
]


def _spd(p):
    a = p.randn(3, 3, dtype=np.float64)
    return a @ a.T + 3 * np.eye(3)


def _tril(p):
    return np.tril(p.randn(3, 3, dtype=np.float64), -1) + np.diag(_pos(p, 3))


IDS = [case[0] for case in UNIVARIATE]


@pytest.mark.parametrize(("name", "params", "build", "value"), UNIVARIATE, ids=IDS)
def test_log_prob_and_gradients(parity, name, params, build, value):
    args = params(parity)
    x = value(parity)
    parity.check(
        lambda fw, x, *a: build(fw.distributions, *a).log_prob(x),
        x,
        *args,
        grad=range(1, 1 + len(args)),
        **TOL,
    )


@pytest.mark.parametrize(("name", "params", "build", "value"), UNIVARIATE, ids=IDS)
def test_moments_entropy_and_shapes(parity, name, params, build, value):
    args = params(parity)
    for attr in ("mean", "variance", "stddev", "mode", "entropy"):

        def moment(fw, *a, attr=attr):
            d = build(fw.distributions, *a)
            return d.entropy() if attr == "entropy" else getattr(d, attr)

        try:
            moment(__import__("torch"), *[__import__("torch").from_numpy(v) for v in args])
        except NotImplementedError:
            continue
        parity.check(moment, *args, grad=attr not in ("mode",), **TOL)
    parity.check(
        lambda fw, *a: (
            tuple(build(fw.distributions, *a).sample((4,)).shape),
            str(build(fw.distributions, *a).sample().dtype).split(".")[-1],
        ),
        *args,
        grad=False,
    )


CDF_CASES = ["Normal", "Exponential", "Laplace", "Uniform", "Cauchy", "HalfNormal", "LogNormal"]


@pytest.mark.parametrize("name", CDF_CASES)
def test_cdf_icdf(parity, name):
    _, params, build, value = UNIVARIATE[IDS.index(name)]
    args = params(parity)
    x = value(parity)
    q = _unit(parity, 3)
    parity.check(lambda fw, x, *a: build(fw.distributions, *a).cdf(x), x, *args, **TOL)
    parity.check(lambda fw, q, *a: build(fw.distributions, *a).icdf(q), q, *args, **TOL)


KL_CASES = [
    "Normal",
    "Exponential",
    "Laplace",
    "Gamma",
    "Beta",
    "Poisson",
    "Bernoulli",
    "Geometric",
    "Binomial",
    "Categorical",
    "OneHotCategorical",
    "Dirichlet",
    "MultivariateNormal",
    "Independent",
    "Gumbel",
    "HalfNormal",
    "LogNormal",
    "Pareto",
    "Cauchy",
]


@pytest.mark.parametrize("name", KL_CASES)
def test_kl_divergence(parity, name):
    _, params, build, _ = UNIVARIATE[IDS.index(name)]
    p_args, q_args = params(parity), params(parity)
    n = len(p_args)
    parity.check(
        lambda fw, *a: fw.distributions.kl_divergence(
            build(fw.distributions, *a[:n]), build(fw.distributions, *a[n:])
        ),
        *p_args,
        *q_args,
        **TOL,
    )


def test_uniform_kl_and_transforms(parity):
    lo, hi = np.array([0.0, -1.0]), np.array([1.0, 2.0])
    parity.check(
        lambda fw, a, b, c, d: fw.distributions.kl_divergence(
            fw.distributions.Uniform(a, b), fw.distributions.Uniform(c, d)
        ),
        lo,
        hi,
        lo - 0.5,
        hi + 0.5,
    )
    x = parity.randn(2, 3, dtype=np.float64)
    for make in (
        "ExpTransform()",
        "SigmoidTransform()",
        "TanhTransform()",
        "AffineTransform(0.5, -2.0)",
        "StickBreakingTransform()",
    ):

        def jac(fw, x, make=make):
            t = eval("fw.distributions." + make)
            y = t(x)
            return y, t.log_abs_det_jacobian(x, y), t.inv(y)

        parity.check(jac, x, **TOL)


INVALID = [
    lambda D, t: D.Normal(t([0.0]), t([-1.0])),
    lambda D, t: D.Gamma(t([1.0]), t([0.0])),
    lambda D, t: D.Bernoulli(t([1.5])),
    lambda D, t: D.Bernoulli(probs=t([0.5]), logits=t([0.0])),
    lambda D, t: D.Categorical(t([-1.0, 2.0])),
    lambda D, t: D.Dirichlet(t(1.0)),
    lambda D, t: D.Uniform(t([1.0]), t([0.0])),
    lambda D, t: D.Exponential(t([1.0])).log_prob(t([-1.0])),
    lambda D, t: D.Poisson(t([1.0])).log_prob(t([0.5])),
    lambda D, t: D.MultivariateNormal(t([0.0, 0.0])),
    lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, t: D.Independent(D.Normal(t([0.0]), t([1.0])), 2),
    lambda D, t: D.kl_divergence(D.Normal(t(0.0), t(1.0)), D.Cauchy(t(0.0), t(1.0))),
]


@pytest.mark.parametrize("make", INVALID)
def test_invalid_parameters_raise_like_torch(parity, make):
    parity.raises(lambda fw: make(fw.distributions, lambda v: fw.tensor(v)))
