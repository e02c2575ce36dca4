"""The rest of ember.distributions side by side with torch.distributions: Multinomial,
MixtureSameFamily, LowRankMultivariateNormal, the relaxed distributions, VonMises,
Kumaraswamy, ContinuousBernoulli, FisherSnedecor, NegativeBinomial, LogisticNormal,
HalfCauchy, InverseGamma, GeneralizedPareto and Gamma.cdf: log_prob, cdf, entropy, moments and
KL divergences with their gradients w.r.t. the parameters, sample shapes and dtypes, and the
exception types for invalid parameters."""

import numpy as np
import pytest

TOL = {"rtol": 1e-5, "atol": 1e-6}
TOL32 = {"rtol": 1e-4, "atol": 1e-5}


def _tol(arrays):
    return TOL32 if any(a.dtype == np.float32 for a in arrays) else TOL


def _pos(parity, *shape):
    return parity.uniform(0.5, 2.5, *shape, dtype=np.float64)


def _unit(parity, *shape):
    return parity.uniform(0.1, 0.9, *shape, dtype=np.float64)


def _simplex(parity, *shape):
    x = _pos(parity, *shape)
    return x / x.sum(-1, keepdims=True)


def _counts(parity, n, k, total):
    return np.stack([np.bincount(parity.integers(0, k, total), minlength=k) for _ in range(n)])


# name, factory of (parameters...), builder (D, *params) -> distribution, factory of a value
CASES = [
    (
        "Multinomial",
        lambda p: (_pos(p, 2, 4),),
        lambda D, a: D.Multinomial(7, a),
        lambda p: _counts(p, 2, 4, 7).astype(np.float64),
    ),
    (
        "MultinomialLogits",
        lambda p: (p.randn(2, 4, dtype=np.float64),),
        lambda D, a: D.Multinomial(5, logits=a),
        lambda p: _counts(p, 2, 4, 5).astype(np.float64),
    ),
    (
        "MixtureSameFamily",
        lambda p: (_pos(p, 2, 3), p.randn(2, 3, dtype=np.float64), _pos(p, 2, 3)),
        lambda D, w, m, s: D.MixtureSameFamily(D.Categorical(w), D.Normal(m, s)),
        lambda p: p.randn(4, 2, dtype=np.float64),
    ),
    (
        "MixtureSameFamilyMVN",
        lambda p: (_pos(p, 3), p.randn(3, 2, dtype=np.float64), _pos(p, 3, 2)),
        lambda D, w, m, s: D.MixtureSameFamily(
            D.Categorical(logits=w), D.Independent(D.Normal(m, s), 1)
        ),
        lambda p: p.randn(4, 2, dtype=np.float64),
    ),
    (
        "LowRankMultivariateNormal",
        lambda p: (p.randn(2, 4, dtype=np.float64), p.randn(2, 4, 2, dtype=np.float64), _pos(p, 4)),
        lambda D, m, w, d: D.LowRankMultivariateNormal(m, w, d),
        lambda p: p.randn(3, 2, 4, dtype=np.float64),
    ),
    (
        "LogitRelaxedBernoulli",
        lambda p: (_pos(p, 1), _unit(p, 3)),
        lambda D, t, a: D.relaxed_bernoulli.LogitRelaxedBernoulli(t, a),
        lambda p: p.randn(3, dtype=np.float64),
    ),
    (
        "RelaxedBernoulli",
        lambda p: (_pos(p, 1), p.randn(3, dtype=np.float64)),
        lambda D, t, a: D.RelaxedBernoulli(t, logits=a),
        lambda p: _unit(p, 3),
    ),
    (
        "ExpRelaxedCategorical",
        lambda p: (_pos(p, 1), _pos(p, 2, 3)),
        lambda D, t, a: D.relaxed_categorical.ExpRelaxedCategorical(t, a),
        lambda p: np.log(_simplex(p, 2, 3)),
    ),
    (
        "RelaxedOneHotCategorical",
        lambda p: (_pos(p, 1), p.randn(2, 3, dtype=np.float64)),
        lambda D, t, a: D.RelaxedOneHotCategorical(t, logits=a),
        lambda p: _simplex(p, 2, 3),
    ),
    (
        "VonMises",
        lambda p: (p.randn(3, dtype=np.float64), np.array([0.3, 2.0, 12.0])),
        lambda D, a, b: D.VonMises(a, b),
        lambda p: p.uniform(-4, 4, 3, dtype=np.float64),
    ),
    (
        "Kumaraswamy",
        lambda p: (_pos(p, 3), _pos(p, 3)),
        lambda D, a, b: D.Kumaraswamy(a, b),
        lambda p: _unit(p, 3),
    ),
    (
        "ContinuousBernoulli",
        lambda p: (np.array([0.2, 0.4995, 0.5, 0.8]),),
        lambda D, a: D.ContinuousBernoulli(a),
        lambda p: _unit(p, 4),
    ),
    (
        "ContinuousBernoulliLogits",
        lambda p: (p.randn(3, dtype=np.float64),),
        lambda D, a: D.ContinuousBernoulli(logits=a),
        lambda p: _unit(p, 3),
    ),
    (
        "FisherSnedecor",
        lambda p: (_pos(p, 3) + 2, _pos(p, 3) + 4),
        lambda D, a, b: D.FisherSnedecor(a, b),
        lambda p: _pos(p, 3),
    ),
    (
        "NegativeBinomial",
        lambda p: (_pos(p, 3), _unit(p, 3)),
        lambda D, n, a: D.NegativeBinomial(n, a),
        lambda p: p.integers(0, 6, 3).astype(np.float64),
    ),
    (
        "NegativeBinomialLogits",
        lambda p: (_pos(p, 3), p.randn(3, dtype=np.float64)),
        lambda D, n, a: D.NegativeBinomial(n, logits=a),
        lambda p: p.integers(0, 6, 3).astype(np.float64),
    ),
    (
        "LogisticNormal",
        lambda p: (p.randn(2, 3, dtype=np.float64), _pos(p, 2, 3)),
        lambda D, a, b: D.LogisticNormal(a, b),
        lambda p: _simplex(p, 2, 4),
    ),
    ("HalfCauchy", lambda p: (_pos(p, 3),), lambda D, a: D.HalfCauchy(a), lambda p: _pos(p, 3)),
    (
        "InverseGamma",
        lambda p: (_pos(p, 3) + 2, _pos(p, 3)),
        lambda D, a, b: D.InverseGamma(a, b),
        lambda p: _pos(p, 3),
    ),
    (
        # float32: torch's GeneralizedPareto compares the concentration with a float32 zero
        # (isclose), which fails for float64 parameters
        "GeneralizedPareto",
        lambda p: (
            p.randn(4) - 3,
            _pos(p, 4).astype(np.float32),
            np.array([-0.2, 0.0, 0.3, 0.7], dtype=np.float32),
        ),
        lambda D, a, b, c: D.GeneralizedPareto(a, b, c),
        lambda p: _unit(p, 4).astype(np.float32),
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "params", "build", "value"), CASES, ids=IDS)
def test_log_prob_and_gradients(parity, name, params, build, value):
    args = params(parity)
    x = value(parity)
    parity.check(
        lambda fw, x, *a: build(fw.distributions, *a).log_prob(x),
        x,
        *args,
        grad=range(1, 1 + len(args)),
        **_tol(args),
    )


@pytest.mark.parametrize(("name", "params", "build", "value"), CASES, ids=IDS)
def test_moments_entropy_and_shapes(parity, name, params, build, value):
    torch = pytest.importorskip("torch")
    args = params(parity)
    for attr in ("mean", "variance", "stddev", "mode", "entropy"):

        def moment(fw, *a, attr=attr):
            d = build(fw.distributions, *a)
            return d.entropy() if attr == "entropy" else getattr(d, attr)

        try:
            moment(torch, *[torch.from_numpy(v) for v in args])
        except NotImplementedError:
            continue
        parity.check(moment, *args, grad=attr not in ("mode",), **_tol(args))
    for sample_shape in ((), (4,)):
        parity.check(
            lambda fw, *a, s=sample_shape: (
                tuple(build(fw.distributions, *a).sample(s).shape),
                str(build(fw.distributions, *a).sample(s).dtype).split(".")[-1],
                tuple(
                    build(fw.distributions, *a)
                    .expand((5,) + build(fw.distributions, *a).batch_shape)
                    .sample()
                    .shape
                ),
            ),
            *args,
            grad=False,
        )


CDF_CASES = ["HalfCauchy", "GeneralizedPareto", "ContinuousBernoulli", "MixtureSameFamily"]


@pytest.mark.parametrize("name", CDF_CASES)
def test_cdf_icdf(parity, name):
    _, params, build, value = CASES[IDS.index(name)]
    args = params(parity)
    x = value(parity)
    parity.check(lambda fw, x, *a: build(fw.distributions, *a).cdf(x), x, *args, **_tol(args))
    if name != "MixtureSameFamily":
        q = _unit(parity, *x.shape)
        parity.check(lambda fw, q, *a: build(fw.distributions, *a).icdf(q), q, *args, **_tol(args))


def test_gamma_cdf(parity):
    x = parity.uniform(0.05, 5.0, 6, dtype=np.float64)
    a = np.array([0.3, 1.0, 2.5, 7.0, 30.0, 0.9])
    r = _pos(parity, 6)
    # torch has no derivative in the concentration: gradients in the rate and the value only
    parity.check(
        lambda fw, x, a, r: fw.distributions.Gamma(a, r).cdf(x), x, a, r, grad=(0, 2), **TOL
    )
    parity.check(lambda fw, x, a: fw.distributions.Chi2(a).cdf(x), x, a, grad=(0,), **TOL)


KL_CASES = [
    ("ContinuousBernoulli", "ContinuousBernoulli"),
    ("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
]


@pytest.mark.parametrize(("p_name", "q_name"), KL_CASES)
def test_kl_same_family(parity, p_name, q_name):
    _, params, build, _ = CASES[IDS.index(p_name)]
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


def _mvn(D, m, c):
    return D.MultivariateNormal(m, covariance_matrix=c)


def test_kl_lowrank_and_full_mvn(parity):
    # the low-rank covariance batched through cov_factor only: torch's KL(LowRank || MVN)
    # cannot broadcast a batched cov_diag against an unbatched cov_factor (nor can ember's)
    m1 = parity.randn(2, 4, dtype=np.float64)
    w, d = parity.randn(2, 4, 2, dtype=np.float64), _pos(parity, 4)
    a = parity.randn(4, 4, dtype=np.float64)
    m2, cov = parity.randn(4, dtype=np.float64), a @ a.T + 2 * np.eye(4)
    parity.check(
        lambda fw, m1, w, d, m2, c: (
            fw.distributions.kl_divergence(
                fw.distributions.LowRankMultivariateNormal(m1, w, d), _mvn(fw.distributions, m2, c)
            ),
            fw.distributions.kl_divergence(
                _mvn(fw.distributions, m2, c), fw.distributions.LowRankMultivariateNormal(m1, w, d)
            ),
        ),
        m1,
        w,
        d,
        m2,
        cov,
        **TOL,
    )


def test_lowrank_matrices(parity):
    m, w, d = (
        parity.randn(2, 4, dtype=np.float64),
        parity.randn(2, 4, 3, dtype=np.float64),
        _pos(parity, 4),
    )
    parity.check(
        lambda fw, m, w, d: (
            fw.distributions.LowRankMultivariateNormal(m, w, d).covariance_matrix,
            fw.distributions.LowRankMultivariateNormal(m, w, d).precision_matrix,
            fw.distributions.LowRankMultivariateNormal(m, w, d).scale_tril,
        ),
        m,
        w,
        d,
        **TOL,
    )


# builders of q for KL(p || q) with p a continuous Bernoulli (or the reverse)
CB_CROSS = [
    ("Beta", lambda D, a, u: D.kl_divergence(D.Beta(a, a + 1), D.ContinuousBernoulli(u))),
    (
        "Uniform",
        lambda D, a, u: D.kl_divergence(D.Uniform(u * 0.1, u * 0 + 0.95), D.ContinuousBernoulli(u)),
    ),
    (
        "UniformWide",
        lambda D, a, u: D.kl_divergence(D.Uniform(u - 1, u + 1), D.ContinuousBernoulli(u)),
    ),
    ("Exponential", lambda D, a, u: D.kl_divergence(D.ContinuousBernoulli(u), D.Exponential(a))),
    ("Normal", lambda D, a, u: D.kl_divergence(D.ContinuousBernoulli(u), D.Normal(u, a))),
    (
        "ToUniform",
        lambda D, a, u: D.kl_divergence(D.ContinuousBernoulli(u), D.Uniform(u - 1, a + 1)),
    ),
    (
        "ToUniformInside",
        lambda D, a, u: D.kl_divergence(
            D.ContinuousBernoulli(u), D.Uniform(u * 0 - 0.5, a * 0 + 0.7)
        ),
    ),
    ("Pareto", lambda D, a, u: D.kl_divergence(D.ContinuousBernoulli(u), D.Pareto(a, a))),
    ("FromNormal", lambda D, a, u: D.kl_divergence(D.Normal(u, a), D.ContinuousBernoulli(u))),
    ("FromGamma", lambda D, a, u: D.kl_divergence(D.Gamma(a, a), D.ContinuousBernoulli(u))),
]


@pytest.mark.parametrize(("name", "kl"), CB_CROSS, ids=[c[0] for c in CB_CROSS])
def test_kl_continuous_bernoulli_cross(parity, name, kl):
    a, u = _pos(parity, 3), _unit(parity, 3)
    parity.check(lambda fw, a, u: kl(fw.distributions, a, u), a, u, **TOL)


INVALID = [
    lambda D, t: D.Multinomial(2.5, t([0.5, 0.5])),
    lambda D, t: D.Multinomial(3, t([-0.5, 1.5])),
    lambda D, t: D.Multinomial(3, t([0.5, 0.5])).log_prob(t([1.0, 1.0, 1.0])),
    lambda D, t: D.MixtureSameFamily(D.Normal(t(0.0), t(1.0)), D.Normal(t([0.0]), t([1.0]))),
    lambda D, t: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])), D.Normal(t([0.0]), t([1.0]))),
    lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [0.0]]), t([1.0, -1.0])),
    lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([1.0, 0.0]), t([1.0, 1.0])),
    lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0]]), t([1.0, 1.0])),
    lambda D, t: D.VonMises(t([0.0]), t([-1.0])),
    lambda D, t: D.Kumaraswamy(t([1.0]), t([0.0])),
    lambda D, t: D.ContinuousBernoulli(t([1.5]), validate_args=True),
    lambda D, t: D.FisherSnedecor(t([1.0]), t([-1.0])),
    lambda D, t: D.NegativeBinomial(t([2.0]), t([1.0])),
    lambda D, t: D.NegativeBinomial(t([2.0]), t([0.5])).log_prob(t([0.5])),
    lambda D, t: D.HalfCauchy(t([1.0])).log_prob(t([-1.0])),
    lambda D, t: D.InverseGamma(t([1.0]), t([0.0])),
    lambda D, t: D.GeneralizedPareto(t([0.0]), t([-1.0]), t([0.5])),
    lambda D, t: D.RelaxedBernoulli(t([1.0]), probs=t([0.5]), logits=t([0.0])),
]


@pytest.mark.parametrize("make", INVALID)
def test_invalid_parameters_raise_like_torch(parity, make):
    parity.raises(lambda fw: make(fw.distributions, lambda v: fw.tensor(v)))
