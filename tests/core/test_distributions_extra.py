"""Wishart, LKJCholesky, OneHotCategoricalStraightThrough, and the transforms CatTransform,
StackTransform, ReshapeTransform, SoftplusTransform, CorrCholeskyTransform,
PositiveDefiniteTransform and CumulativeDistributionTransform with their ``biject_to`` /
``transform_to`` registrations, against independent references: densities written out with
numpy and ``math``, closed-form entropies and KL divergences, numerical integrals and Jacobians
by finite differences, moments of large samples, validation errors and shapes.

The checks that take the ``device`` fixture run on every backend."""

import math

import numpy as np
import pytest

import ember
import ember.distributions as D
from ember.distributions import constraints
from ember.distributions.exp_family import ExponentialFamily

F64 = ember.float64


def t(x, device="cpu"):
    return ember.tensor(x, dtype=F64, device=device)


def host(x):
    return x.detach().cpu().numpy()


def _spd(rng, *batch, n=3):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _mvlgamma(a, p):
    return p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a - j / 2) for j in range(p))


def _digamma(x, h=1e-5):
    return (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)


def _mvdigamma(a, p):
    return sum(_digamma(a - j / 2) for j in range(p))


def _wishart_log_prob(x, df, sigma):
    """log W(x; df, sigma) written out."""
    p = sigma.shape[-1]
    return (
        (df - p - 1) / 2 * np.linalg.slogdet(x)[1]
        - np.trace(np.linalg.solve(sigma, x)) / 2
        - df * p / 2 * math.log(2)
        - df / 2 * np.linalg.slogdet(sigma)[1]
        - _mvlgamma(df / 2, p)
    )


def _wishart_entropy(df, sigma):
    p = sigma.shape[-1]
    return (
        (p + 1) / 2 * np.linalg.slogdet(sigma)[1]
        + p * (p + 1) / 2 * math.log(2)
        + _mvlgamma(df / 2, p)
        - (df - p - 1) / 2 * _mvdigamma(df / 2, p)
        + df * p / 2
    )


# ---------------------------------------------------------------------------------- Wishart


@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_log_prob_entropy_moments(kind, device):
    rng = np.random.default_rng(0)
    sigma = _spd(rng, 2)
    df = np.array([3.5, 7.25])
    given = {
        "covariance_matrix": sigma,
        "precision_matrix": np.linalg.inv(sigma),
        "scale_tril": np.linalg.cholesky(sigma),
    }[kind]
    w = D.Wishart(t(df, device), **{kind: t(given, device)})
    assert w.batch_shape == (2,) and w.event_shape == (3, 3)
    x = _spd(rng, 4, 2)
    expected = [[_wishart_log_prob(x[i, j], df[j], sigma[j]) for j in range(2)] for i in range(4)]
    np.testing.assert_allclose(host(w.log_prob(t(x, device))), expected, rtol=1e-10)
    entropy = [_wishart_entropy(df[j], sigma[j]) for j in range(2)]
    np.testing.assert_allclose(host(w.entropy()), entropy, rtol=1e-8)
    np.testing.assert_allclose(host(w.covariance_matrix), sigma, rtol=1e-10)
    np.testing.assert_allclose(host(w.precision_matrix), np.linalg.inv(sigma), rtol=1e-9)
    np.testing.assert_allclose(host(w.scale_tril), np.linalg.cholesky(sigma), rtol=1e-10)
    np.testing.assert_allclose(host(w.mean), df[:, None, None] * sigma, rtol=1e-10)
    diag = np.diagonal(sigma, axis1=-2, axis2=-1)
    variance = df[:, None, None] * (sigma**2 + diag[:, :, None] * diag[:, None, :])
    np.testing.assert_allclose(host(w.variance), variance, rtol=1e-10)
    # the mode (df - p - 1) sigma exists only where df > p + 1
    mode = host(w.mode)
    assert np.isnan(mode[0]).all()
    np.testing.assert_allclose(mode[1], (df[1] - 4) * sigma[1], rtol=1e-10)


def test_wishart_one_dimensional_is_gamma():
    # W(df, s^2) on 1 x 1 matrices is Gamma(df / 2, rate = 1 / (2 s^2))
    df, s2, x = 2.7, 1.6, np.array([0.3, 1.0, 4.2])
    w = D.Wishart(df, covariance_matrix=t([[s2]]))
    a, rate = df / 2, 1 / (2 * s2)
    expected = a * math.log(rate) + (a - 1) * np.log(x) - rate * x - math.lgamma(a)
    np.testing.assert_allclose(host(w.log_prob(t(x[:, None, None]))), expected, rtol=1e-12)


def test_wishart_entropy_matches_exponential_family_and_samples():
    rng = np.random.default_rng(1)
    w = D.Wishart(t([4.5, 9.0]), covariance_matrix=t(_spd(rng, 2)))
    generic = ExponentialFamily.entropy(w)
    np.testing.assert_allclose(host(generic), host(w.entropy()), rtol=1e-10)
    ember.manual_seed(3)
    log_p = host(w.log_prob(w.sample((20_000,))))
    assert np.all(np.abs(-log_p.mean(0) - host(w.entropy())) < 5 * log_p.std(0) / math.sqrt(20_000))


def test_wishart_kl_closed_form():
    rng = np.random.default_rng(2)
    s0, s1 = _spd(rng), _spd(rng)
    n0, n1, p = 4.5, 6.0, 3
    p_dist = D.Wishart(n0, covariance_matrix=t(s0))
    q_dist = D.Wishart(n1, covariance_matrix=t(s1))
    m = np.linalg.solve(s1, s0)
    expected = (
        -n1 / 2 * np.linalg.slogdet(m)[1]
        + n0 / 2 * (np.trace(m) - p)
        + _mvlgamma(n1 / 2, p)
        - _mvlgamma(n0 / 2, p)
        + (n0 - n1) / 2 * _mvdigamma(n0 / 2, p)
    )
    assert D.kl_divergence(p_dist, q_dist).item() == pytest.approx(expected, rel=1e-8)
    assert D.kl_divergence(p_dist, p_dist).item() == pytest.approx(0.0, abs=1e-10)


def test_wishart_sample_moments(device):
    rng = np.random.default_rng(3)
    sigma = _spd(rng)
    w = D.Wishart(t([3.5, 8.0], device), covariance_matrix=t(sigma, device))
    ember.manual_seed(5)
    x = w.sample((40_000,))
    assert x.shape == (40_000, 2, 3, 3) and x.device.type == device
    assert bool(constraints.positive_definite.check(x).all())
    x = host(x)
    mean, var = host(w.mean), host(w.variance)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / x.shape[0]))
    np.testing.assert_allclose(x.var(0), var, rtol=0.1)


def test_wishart_rsample_gradient():
    # with the draws fixed (a reseeded generator) a sample is L A L^T in the factor L
    rng = np.random.default_rng(4)
    tril = t(np.linalg.cholesky(_spd(rng))).requires_grad_()

    def draw(tril):
        ember.manual_seed(9)
        return D.Wishart(5.0, scale_tril=tril.tril(), validate_args=False).rsample((2,))

    assert ember.autograd.gradcheck(draw, (tril,))
    df = t(5.5).requires_grad_()
    ember.autograd.grad(D.Wishart(df, scale_tril=tril).rsample().sum(), df)  # flows to df
    sigma = t(_spd(rng))
    assert ember.autograd.gradcheck(
        lambda df: D.Wishart(df, covariance_matrix=sigma).log_prob(t(np.eye(3))), (df,)
    )


def test_wishart_redraws_singular_samples(monkeypatch):
    w = D.Wishart(4.0, covariance_matrix=t(np.eye(3)))
    draw = w._bartlett_sampling
    calls = []

    def singular_first(sample_shape=()):
        calls.append(sample_shape)
        x = draw(sample_shape)
        return x * 0 if len(calls) == 1 else x

    monkeypatch.setattr(w, "_bartlett_sampling", singular_first)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        x = w.rsample((4,))
    assert len(calls) == 2 and bool(constraints.positive_definite.check(x).all())


def test_wishart_errors_and_expand():
    eye = t(np.eye(3))
    with pytest.raises(AssertionError, match="Exactly one of covariance_matrix"):
        D.Wishart(4.0)
    with pytest.raises(AssertionError, match="Exactly one of covariance_matrix"):
        D.Wishart(4.0, covariance_matrix=eye, scale_tril=eye)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        D.Wishart(4.0, covariance_matrix=t([1.0, 2.0]))
    with pytest.raises(ValueError, match="expected to be greater than ndim - 1 = 2"):
        D.Wishart(2.0, covariance_matrix=eye)
    with pytest.raises(ValueError, match="Expected parameter covariance_matrix"):
        D.Wishart(4.0, covariance_matrix=-eye)
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(2.5, covariance_matrix=eye)
    w = D.Wishart(t([4.0, 5.0]), covariance_matrix=eye)
    with pytest.raises(ValueError, match="to be within the support"):
        w.log_prob(-eye)
    assert repr(w.arg_constraints["df"]) == "GreaterThan(lower_bound=2)"
    big = w.expand((3, 2))
    assert big.batch_shape == (3, 2) and big.df.shape == (3, 2)
    assert big.sample((4,)).shape == (4, 3, 2, 3, 3)
    np.testing.assert_allclose(host(big.log_prob(eye)), np.tile(host(w.log_prob(eye)), (3, 1)))


# ------------------------------------------------------------------------------ LKJCholesky


def _corr_cholesky_2(r):
    """The 2 x 2 correlation Cholesky factors of correlations ``r``."""
    r = np.asarray(r, dtype=np.float64)
    out = np.zeros(r.shape + (2, 2))
    out[..., 0, 0], out[..., 1, 0], out[..., 1, 1] = 1.0, r, np.sqrt(1 - r**2)
    return out


@pytest.mark.parametrize("eta", [0.4, 1.0, 3.0])
def test_lkj_two_dimensional_is_beta(eta, device):
    # for dim 2 the correlation r is 2 B - 1 with B ~ Beta(eta, eta)
    r = np.array([-0.9, -0.2, 0.0, 0.5, 0.97])
    d = D.LKJCholesky(2, t(eta, device))
    log_beta = 2 * math.lgamma(eta) - math.lgamma(2 * eta)
    expected = (eta - 1) * np.log1p(-(r**2)) - (2 * eta - 1) * math.log(2) - log_beta
    np.testing.assert_allclose(host(d.log_prob(t(_corr_cholesky_2(r), device))), expected)


def _trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


@pytest.mark.parametrize("eta", [1.0, 2.5])
def test_lkj_three_dimensional_density_integrates_to_one(eta):
    # L = [[1, 0, 0], [a, sqrt(1 - a^2), 0], [b, c, sqrt(1 - b^2 - c^2)]]: the density is a
    # function of a times a radial function of (b, c) on the unit disc
    d = D.LKJCholesky(3, t(eta))

    def log_prob(a, b):
        value = np.zeros(a.shape + (3, 3))
        value[..., 0, 0] = 1
        value[..., 1, 0], value[..., 1, 1] = a, np.sqrt(1 - a**2)
        value[..., 2, 0], value[..., 2, 2] = b, np.sqrt(1 - b**2)
        return host(d.log_prob(t(value)))

    grid = np.linspace(0.0, 1.0, 20_001)[:-1]
    lp0 = log_prob(np.zeros(1), np.zeros(1))[0]
    row1 = 2 * _trapezoid(np.exp(log_prob(grid, 0 * grid) - lp0), grid)
    disc = _trapezoid(2 * math.pi * grid * np.exp(log_prob(0 * grid, grid) - lp0), grid)
    assert row1 * disc * math.exp(lp0) == pytest.approx(1.0, abs=2e-4)


@pytest.mark.parametrize(("dim", "eta"), [(3, 1.0), (4, 2.0), (5, 0.5)])
def test_lkj_sample_marginals(dim, eta):
    # every correlation of LKJ(eta) in dim dimensions is 2 B - 1, B ~ Beta(b, b) with
    # b = eta - 1 + dim / 2: E[r^2] = 1 / (2 b + 1)
    ember.manual_seed(12)
    L = D.LKJCholesky(dim, t(eta)).sample((40_000,))
    assert bool(constraints.corr_cholesky.check(L).all())
    corr = host(L @ L.mT)
    rows, cols = np.tril_indices(dim, -1)
    r2 = corr[:, rows, cols] ** 2
    expected = 1 / (2 * (eta - 1 + dim / 2) + 1)
    assert np.all(np.abs(r2.mean(0) - expected) < 5 * r2.std(0) / math.sqrt(r2.shape[0]))


def test_lkj_samples_follow_log_prob():
    # E_{p1}[p2 / p1] = 1 for two normalised densities: ties the onion sampler to log_prob
    ember.manual_seed(13)
    p1, p2 = D.LKJCholesky(4, t(1.0)), D.LKJCholesky(4, t(1.6))
    L = p1.sample((40_000,))
    ratio = np.exp(host(p2.log_prob(L) - p1.log_prob(L)))
    assert abs(ratio.mean() - 1) < 5 * ratio.std() / math.sqrt(ratio.size)


def test_lkj_shapes_gradient_and_errors(device):
    d = D.LKJCholesky(3, t([0.5, 2.0], device))
    assert d.batch_shape == (2,) and d.event_shape == (3, 3) and not d.has_rsample
    s = d.expand((4, 2)).sample((5,))
    assert s.shape == (5, 4, 2, 3, 3) and s.device.type == device
    assert bool(constraints.corr_cholesky.check(s).all())
    assert D.LKJCholesky(3).sample().dtype == ember.float32
    conc = t([0.7, 1.9]).requires_grad_()
    value = D.CorrCholeskyTransform()(t(np.random.default_rng(5).standard_normal(3)))
    assert ember.autograd.gradcheck(lambda c: D.LKJCholesky(3, c).log_prob(value), (conc,))
    with pytest.raises(ValueError, match="Found dim=1"):
        D.LKJCholesky(1)
    with pytest.raises(ValueError, match="to be within the support"):
        D.LKJCholesky(3).log_prob(2 * ember.eye(3))


# ------------------------------------------------------------ OneHotCategoricalStraightThrough


def test_one_hot_straight_through():
    logits = t([[0.3, -1.0, 2.0], [0.0, 0.5, -0.5]]).requires_grad_()
    d = D.OneHotCategoricalStraightThrough(logits=logits)
    assert d.has_rsample and isinstance(d, D.OneHotCategorical)
    ember.manual_seed(1)
    x = d.rsample((4,))
    assert x.shape == (4, 2, 3) and bool(constraints.one_hot.check(x.detach()).all())
    w = t([1.0, -2.0, 0.5])
    (gx,) = ember.autograd.grad((x * w).sum(), logits)
    # the gradient of probs = softmax(logits), for each of the 4 draws
    p = host(d.probs)
    wn = host(w)
    expected = 4 * p * (wn - (p * wn).sum(-1, keepdims=True))
    np.testing.assert_allclose(host(gx), expected, rtol=1e-12)
    assert d.expand((5, 2)).rsample().shape == (5, 2, 3)


# ------------------------------------------------------------------------------- transforms


def _numeric_jacobian(f, x, h=1e-6):
    """d f(x) / d x by central differences, for a vector ``x``."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, -1)


def test_softplus_transform(device):
    x = np.array([-30.0, -2.0, 0.0, 0.7, 25.0])
    tr = D.SoftplusTransform()
    y = tr(t(x, device))
    np.testing.assert_allclose(host(y), np.logaddexp(0, x), rtol=1e-12)
    np.testing.assert_allclose(host(tr.inv(y)), x, rtol=1e-9)
    np.testing.assert_allclose(host(tr.log_abs_det_jacobian(t(x, device), y)), -np.logaddexp(0, -x))
    assert tr == D.SoftplusTransform() and tr.sign == 1 and tr.bijective
    assert tr.codomain is constraints.positive


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_corr_cholesky_transform(dim, device):
    rng = np.random.default_rng(dim)
    n = dim * (dim - 1) // 2
    x = rng.standard_normal((2, n))
    tr = D.CorrCholeskyTransform()
    y = tr(t(x, device))
    assert y.shape == (2, dim, dim) == tr.forward_shape((2, n))
    assert tr.inverse_shape((2, dim, dim)) == (2, n)
    assert bool(constraints.corr_cholesky.check(y).all())
    np.testing.assert_allclose(host(tr.inv(y)), x, rtol=1e-8, atol=1e-10)
    # the Jacobian from x to the strict lower triangle of y, row by row
    rows, cols = np.tril_indices(dim, -1)
    for b in range(2):
        jac = _numeric_jacobian(lambda v: host(tr(t(v)))[rows, cols], x[b])
        expected = np.linalg.slogdet(jac)[1]
        got = host(tr.log_abs_det_jacobian(t(x, device), y))[b]
        assert got == pytest.approx(expected, abs=1e-6)


def test_corr_cholesky_transform_gradient_and_registry():
    x = t(np.random.default_rng(0).standard_normal(6)).requires_grad_()
    tr = D.CorrCholeskyTransform()
    assert ember.autograd.gradcheck(lambda v: tr(v), (x,))
    assert ember.autograd.gradcheck(lambda v: tr.log_abs_det_jacobian(v, tr(v)), (x,))
    assert isinstance(D.biject_to(constraints.corr_cholesky), D.CorrCholeskyTransform)
    assert isinstance(D.transform_to(constraints.corr_cholesky), D.CorrCholeskyTransform)
    with pytest.raises(ValueError, match="not a flattened lower-diagonal"):
        tr.forward_shape((4,))
    with pytest.raises(ValueError, match="not square"):
        tr.inverse_shape((3, 4))


def test_reshape_transform():
    tr = D.ReshapeTransform((2, 3), (3, 2))
    x = t(np.arange(24.0).reshape(4, 2, 3))
    y = tr(x)
    np.testing.assert_array_equal(host(y), np.arange(24.0).reshape(4, 3, 2))
    np.testing.assert_array_equal(host(tr.inv(y)), host(x))
    assert tr.log_abs_det_jacobian(x, y).shape == (4,)
    assert not bool(tr.log_abs_det_jacobian(x, y).any())
    assert tr.forward_shape((5, 2, 3)) == (5, 3, 2) and tr.inverse_shape((3, 2)) == (2, 3)
    assert tr.domain.event_dim == 2 and tr.codomain.event_dim == 2
    assert tr.with_cache().inv(tr.with_cache()(x)).shape == x.shape
    with pytest.raises(ValueError, match="different numbers of elements"):
        D.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="Shape mismatch"):
        tr.forward_shape((3, 2))
    with pytest.raises(ValueError, match="Too few dimensions"):
        tr.inverse_shape((2,))


def test_positive_definite_transform(device):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 3))
    tr = D.PositiveDefiniteTransform()
    y = tr(t(x, device))
    lower = np.tril(x, -1) + np.einsum("bi,ij->bij", np.exp(np.diagonal(x, 0, 1, 2)), np.eye(3))
    np.testing.assert_allclose(host(y), lower @ np.swapaxes(lower, 1, 2), rtol=1e-12)
    assert bool(constraints.positive_definite.check(y).all())
    np.testing.assert_allclose(host(tr.inv(y)), np.tril(x), rtol=1e-9, atol=1e-12)
    assert not tr.bijective and tr == D.PositiveDefiniteTransform()
    for c in (constraints.positive_definite, constraints.positive_semidefinite):
        assert isinstance(D.transform_to(c), D.PositiveDefiniteTransform)
    with pytest.raises(NotImplementedError):
        D.biject_to(constraints.positive_definite)


def test_cat_transform(device):
    rng = np.random.default_rng(7)
    x = t(rng.standard_normal((4, 6)), device)
    tr = D.CatTransform(
        [D.ExpTransform(), D.identity_transform, D.SoftplusTransform()], dim=1, lengths=[2, 1, 3]
    )
    y = tr(x)
    parts = [x[:, :2].exp(), x[:, 2:3], D.SoftplusTransform()(x[:, 3:])]
    np.testing.assert_allclose(host(y), host(ember.cat(parts, 1)), rtol=1e-12)
    np.testing.assert_allclose(host(tr.inv(y)), host(x), rtol=1e-10)
    ladj = host(tr.log_abs_det_jacobian(x, y))
    np.testing.assert_allclose(ladj[:, :2], host(x[:, :2]))
    np.testing.assert_allclose(ladj[:, 2], 0.0)
    np.testing.assert_allclose(ladj[:, 3:], -np.logaddexp(0, -host(x[:, 3:])))
    assert tr.event_dim == 0 and tr.length == 6 and tr.bijective
    assert bool(tr.codomain.check(y).all()) and tr.with_cache().transforms[0]._cache_size == 1
    # along the event dimension of an event_dim-1 part the Jacobians are summed
    tr = D.CatTransform(
        [D.IndependentTransform(D.ExpTransform(), 1), D.SigmoidTransform()], -1, [2, 4]
    )
    ladj = host(tr.log_abs_det_jacobian(x, tr(x)))
    sig = host(x[:, 2:])
    expected = host(x[:, :2]).sum(-1) - (np.logaddexp(0, sig) + np.logaddexp(0, -sig)).sum(-1)
    np.testing.assert_allclose(ladj, expected, rtol=1e-12)
    with pytest.raises(AssertionError, match="must equal length 6"):
        tr(x[:, :5])
    with pytest.raises(AssertionError, match="lengths \\(1\\) must match transforms \\(2\\)"):
        D.CatTransform([D.ExpTransform(), D.ExpTransform()], lengths=[1])


def test_stack_transform(device):
    x = t(np.random.default_rng(8).standard_normal((4, 3)), device)
    parts = [D.ExpTransform(), D.SigmoidTransform(), D.AffineTransform(1.0, 2.0)]
    tr = D.StackTransform(parts, dim=1)
    y = tr(x)
    expected = ember.stack([p(x[:, i]) for i, p in enumerate(parts)], 1)
    np.testing.assert_allclose(host(y), host(expected), rtol=1e-12)
    np.testing.assert_allclose(host(tr.inv(y)), host(x), rtol=1e-9)
    ladj = tr.log_abs_det_jacobian(x, y)
    expected = ember.stack(
        [p.log_abs_det_jacobian(x[:, i], y[:, i]) for i, p in enumerate(parts)], 1
    )
    np.testing.assert_allclose(host(ladj), host(expected), rtol=1e-12)
    assert bool(tr.codomain.check(y).all()) and tr.bijective
    with pytest.raises(AssertionError, match="must equal len\\(transforms\\) 3"):
        tr(x[:, :2])
    with pytest.raises(AssertionError, match="out of range for tensor"):
        D.StackTransform(parts, dim=2)(x)


def test_cat_and_stack_registrations():
    c = constraints.cat(
        [constraints.positive, constraints.real, constraints.unit_interval], 1, [2, 1, 1]
    )
    x = t(np.random.default_rng(9).standard_normal((3, 4)))
    for registry in (D.biject_to, D.transform_to):
        tr = registry(c)
        assert isinstance(tr, D.CatTransform) and tr.lengths == [2, 1, 1] and tr.dim == 1
        assert bool(c.check(tr(x)).all())
    s = constraints.stack([constraints.simplex, constraints.real_vector], 0)
    tr = D.transform_to(s)
    assert isinstance(tr, D.StackTransform)
    assert isinstance(tr.transforms[0], D.SoftmaxTransform)
    assert isinstance(D.biject_to(s).transforms[0], D.StickBreakingTransform)


def test_cumulative_distribution_transform():
    normal = D.Normal(t(0.5), t(2.0))
    tr = D.CumulativeDistributionTransform(normal)
    x = np.array([-3.0, 0.0, 0.5, 4.0])
    y = tr(t(x))
    cdf = [0.5 * (1 + math.erf((v - 0.5) / (2.0 * math.sqrt(2)))) for v in x]
    np.testing.assert_allclose(host(y), cdf, rtol=1e-12)
    np.testing.assert_allclose(host(tr.inv(y)), x, rtol=1e-9, atol=1e-12)
    log_pdf = -((x - 0.5) ** 2) / 8 - math.log(2.0 * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(host(tr.log_abs_det_jacobian(t(x), y)), log_pdf, rtol=1e-12)
    assert tr.domain is constraints.real and tr.codomain is constraints.unit_interval
    assert tr.with_cache().distribution is normal
    # a uniform pushed through the inverse cdf is the normal itself
    back = D.TransformedDistribution(D.Uniform(t(0.0), t(1.0)), [tr.inv])
    np.testing.assert_allclose(host(back.log_prob(t(x))), log_pdf, rtol=1e-10)
