"""Wishart, LKJCholesky, OneHotCategoricalStraightThrough and the transforms CatTransform,
StackTransform, ReshapeTransform, SoftplusTransform, CorrCholeskyTransform,
PositiveDefiniteTransform and CumulativeDistributionTransform side by side with torch:
log_prob, entropy, moments and KL divergences with their gradients, transforms forward,
inverse and log-abs-det-Jacobian with gradients, shapes, registrations and the exception types
for invalid arguments. Sampled values differ (the generators differ), so samples are compared
by shape, dtype and support only."""

import warnings

import numpy as np
import pytest
import torch

import ember

TOL = {"rtol": 1e-7, "atol": 1e-9}


def _spd(parity, *batch, n=3):
    a = parity.randn(*batch, n, n, dtype=np.float64)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _wishart(D, df, m, kind):
    # torch's cholesky_solve gives the upper triangle of a factor, which it never reads, a
    # gradient; through tril() both give it zero
    return D.Wishart(df, **{kind: m.tril() if kind == "scale_tril" else m})


def _matrix(parity, kind, *batch):
    m = _spd(parity, *batch)
    return np.linalg.cholesky(m) if kind == "scale_tril" else m


KINDS = ["covariance_matrix", "precision_matrix", "scale_tril"]


@pytest.mark.parametrize("kind", KINDS)
def test_wishart_log_prob_entropy_moments(parity, kind):
    df = parity.uniform(3.5, 8.0, 2, dtype=np.float64)
    m = _matrix(parity, kind, 2)
    x = _spd(parity, 4, 2)
    for f in (
        lambda fw, x, df, m: _wishart(fw.distributions, df, m, kind).log_prob(x),
        lambda fw, df, m: _wishart(fw.distributions, df, m, kind).entropy(),
        lambda fw, df, m: _wishart(fw.distributions, df, m, kind).mean,
        lambda fw, df, m: _wishart(fw.distributions, df, m, kind).variance,
        lambda fw, df, m: _wishart(fw.distributions, df, m, kind).covariance_matrix,
        lambda fw, df, m: _wishart(fw.distributions, df, m, kind).precision_matrix,
        lambda fw, df, m: _wishart(fw.distributions, df, m, kind).scale_tril,
    ):
        args = (x, df, m) if f.__code__.co_argcount == 4 else (df, m)
        parity.check(f, *args, **TOL)


def test_wishart_mode_and_scalar_df(parity):
    m = _spd(parity)
    parity.check(lambda fw, m: fw.distributions.Wishart(6.5, covariance_matrix=m).mode, m, **TOL)
    # df <= p + 1 has no mode: NaN there, as in torch
    df = np.array([3.5, 4.5, 4.0])
    out = _both(
        lambda fw: (
            fw.distributions.Wishart(fw.from_numpy(df), covariance_matrix=fw.from_numpy(m)).mode
        )
    )
    assert np.isnan(out["ember"][[0, 2]]).all() and not np.isnan(out["ember"][1]).any()
    np.testing.assert_allclose(out["ember"], out["torch"], rtol=1e-12)


def _both(f):
    """``f(fw)`` in ember and torch, as numpy arrays."""
    return {name: out.detach().numpy() for name, out in _both_raw(f).items()}


def _both_raw(f):
    """``f(fw)`` in ember and torch."""
    with warnings.catch_warnings():
        # torch warns "Singular sample detected." on every rsample (pytorch#122021)
        warnings.simplefilter("ignore", UserWarning)
        return {fw.__name__: f(fw) for fw in (ember, torch)}


def test_wishart_kl_unbatched(parity):
    # KL goes through the exponential-family Bregman divergence in both
    args = (4.5, _spd(parity), 6.0, _spd(parity))
    parity.check(
        lambda fw, m1, m2: fw.distributions.kl_divergence(
            fw.distributions.Wishart(args[0], covariance_matrix=m1),
            fw.distributions.Wishart(args[2], covariance_matrix=m2),
        ),
        args[1],
        args[3],
        **TOL,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wishart_samples(parity, dtype):
    m = _spd(parity, 2).astype(dtype)
    df = np.array([4.0, 9.0], dtype=dtype)
    for fw_name, out in _both_raw(
        lambda fw: (
            fw.distributions.Wishart(fw.from_numpy(df), covariance_matrix=fw.from_numpy(m))
            .expand((3, 2))
            .rsample((5,))
        )
    ).items():
        assert tuple(out.shape) == (5, 3, 2, 3, 3), fw_name
        assert str(out.dtype).split(".")[-1] == np.dtype(dtype).name, fw_name


@pytest.mark.parametrize(
    "make",
    [
        lambda D, t: D.Wishart(t(1.5), covariance_matrix=t(np.eye(3))),
        lambda D, t: D.Wishart(4.0, covariance_matrix=t(np.eye(3)), scale_tril=t(np.eye(3))),
        lambda D, t: D.Wishart(4.0, covariance_matrix=t(np.ones(3))),
        lambda D, t: D.Wishart(4.0, covariance_matrix=t(-np.eye(3))),
        lambda D, t: D.Wishart(4.0, covariance_matrix=t(np.eye(3))).log_prob(t(-np.eye(3))),
        lambda D, t: D.LKJCholesky(1),
        lambda D, t: D.LKJCholesky(3, t(-1.0)),
        lambda D, t: D.LKJCholesky(3, 1.0).log_prob(t(2 * np.eye(3))),
        lambda D, t: D.LKJCholesky(3, 1.0).entropy(),
        lambda D, t: D.ReshapeTransform((2, 3), (5,)),
        lambda D, t: D.ReshapeTransform((2, 3), (6,)).forward_shape((4, 3, 2)),
        lambda D, t: D.CorrCholeskyTransform().forward_shape((4,)),
        lambda D, t: D.CorrCholeskyTransform().inverse_shape((4, 3)),
        lambda D, t: D.CatTransform([D.ExpTransform()], lengths=[1, 2]),
        lambda D, t: D.CatTransform([D.ExpTransform(), D.ExpTransform()], dim=1)(
            t(np.ones((2, 3)))
        ),
        lambda D, t: D.StackTransform([D.ExpTransform(), D.ExpTransform()], 1)(t(np.ones((2, 3)))),
        lambda D, t: D.StackTransform([D.ExpTransform()], dim=-3)(t(np.ones((2, 2)))),
        lambda D, t: D.biject_to(D.constraints.positive_definite),
    ],
)
def test_invalid_arguments_raise_like_torch(parity, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parity.raises(lambda fw: make(fw.distributions, lambda v: fw.tensor(v)))


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_lkj_log_prob(parity, dim):
    conc = parity.uniform(0.3, 3.0, 2, dtype=np.float64)
    x = parity.randn(4, 2, dim * (dim - 1) // 2, dtype=np.float64)
    # values in the support, from torch's own bijection
    value = torch.distributions.CorrCholeskyTransform()(torch.from_numpy(x)).numpy()
    parity.check(
        lambda fw, v, c: fw.distributions.LKJCholesky(dim, c).log_prob(v), value, conc, **TOL
    )
    parity.check(
        lambda fw, v: fw.distributions.LKJCholesky(dim, 0.7).log_prob(v), value[:, 0], **TOL
    )


def test_lkj_samples():
    out = _both_raw(
        lambda fw: (
            fw.distributions.LKJCholesky(4, fw.tensor([0.5, 2.0])).expand((3, 2)).sample((5,))
        )
    )
    for name, s in out.items():
        assert tuple(s.shape) == (5, 3, 2, 4, 4), name
        assert str(s.dtype).split(".")[-1] == "float32", name
    assert bool(ember.distributions.constraints.corr_cholesky.check(out["ember"]).all())


def test_one_hot_straight_through(parity):
    probs = parity.uniform(0.1, 1.0, 2, 4, dtype=np.float64)
    # samples differ; the straight-through part (value 0) carries the gradient of probs
    parity.check(
        lambda fw, p: (lambda s: s - s.detach())(
            fw.distributions.OneHotCategoricalStraightThrough(p).rsample((3,))
        ),
        probs,
        **TOL,
    )
    value = np.eye(4)[[0, 3]]
    parity.check(
        lambda fw, p, v: fw.distributions.OneHotCategoricalStraightThrough(p).log_prob(v),
        probs,
        value,
        grad=(0,),
        **TOL,
    )
    parity.check(
        lambda fw, p, q: fw.distributions.kl_divergence(
            fw.distributions.OneHotCategoricalStraightThrough(p),
            fw.distributions.OneHotCategoricalStraightThrough(q),
        ),
        probs,
        parity.uniform(0.1, 1.0, 2, 4, dtype=np.float64),
        **TOL,
    )
    out = _both_raw(
        lambda fw: (
            fw.distributions.OneHotCategoricalStraightThrough(fw.tensor([0.2, 0.8])).has_rsample
        )
    )
    assert out == {"ember": True, "torch": True}


def _transform_check(parity, make, x, **tol):
    """Forward, inverse (of the forward), log-abs-det-Jacobian and shapes in both."""
    tol = {**TOL, **tol}
    parity.check(lambda fw, x: make(fw.distributions)(x), x, **tol)
    parity.check(lambda fw, x: (lambda t: t.inv(t(x)))(make(fw.distributions)), x, **tol)
    parity.check(
        lambda fw, x: (lambda t: t.log_abs_det_jacobian(x, t(x)))(make(fw.distributions)),
        x,
        **tol,
    )
    shapes = _both_raw(
        lambda fw: (lambda t: (tuple(t.forward_shape(x.shape)), t.bijective))(
            make(fw.distributions)
        )
    )
    assert shapes["ember"] == shapes["torch"]


TRANSFORMS = {
    "softplus": (lambda D: D.SoftplusTransform(), (3, 4)),
    "reshape": (lambda D: D.ReshapeTransform((2, 3), (3, 2)), (4, 2, 3)),
    "corr_cholesky_2": (lambda D: D.CorrCholeskyTransform(), (3, 1)),
    "corr_cholesky_4": (lambda D: D.CorrCholeskyTransform(), (2, 3, 6)),
    "cat": (
        lambda D: D.CatTransform(
            [D.ExpTransform(), D.identity_transform, D.SoftplusTransform()],
            dim=1,
            lengths=[2, 1, 3],
        ),
        (4, 6),
    ),
    "cat_event": (
        lambda D: D.CatTransform(
            [D.SigmoidTransform(), D.IndependentTransform(D.ExpTransform(), 1)],
            dim=0,
            lengths=[2, 3],
        ),
        (5, 4),
    ),
    "cat_last_dim": (
        lambda D: D.CatTransform(
            [D.IndependentTransform(D.ExpTransform(), 1), D.SigmoidTransform()],
            dim=-1,
            lengths=[2, 3],
        ),
        (4, 5),
    ),
    "stack": (
        lambda D: D.StackTransform(
            [D.ExpTransform(), D.SigmoidTransform(), D.AffineTransform(1.0, 2.0)], dim=-1
        ),
        (4, 3),
    ),
    "stack_first": (
        lambda D: D.StackTransform([D.TanhTransform(), D.SoftplusTransform()], dim=0),
        (2, 5),
    ),
    "cdf_normal": (
        lambda D: D.CumulativeDistributionTransform(D.Normal(0.5, 2.0, validate_args=False)),
        (6,),
    ),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transforms(parity, name):
    make, shape = TRANSFORMS[name]
    _transform_check(parity, make, 0.5 * parity.randn(*shape, dtype=np.float64))


def test_corr_cholesky_inverse_and_shapes(parity):
    y = torch.distributions.CorrCholeskyTransform()(
        torch.from_numpy(parity.randn(3, 10, dtype=np.float64))
    ).numpy()
    parity.check(lambda fw, y: fw.distributions.CorrCholeskyTransform().inv(y), y, **TOL)
    shapes = _both_raw(
        lambda fw: tuple(fw.distributions.CorrCholeskyTransform().inverse_shape((3, 5, 5)))
    )
    assert shapes["ember"] == shapes["torch"] == (3, 10)


def test_positive_definite_transform(parity):
    x = parity.randn(2, 3, 3, dtype=np.float64)
    parity.check(lambda fw, x: fw.distributions.PositiveDefiniteTransform()(x), x, **TOL)
    parity.check(
        lambda fw, x: (lambda t: t.inv(t(x)))(fw.distributions.PositiveDefiniteTransform()),
        x,
        **TOL,
    )


def test_cumulative_distribution_copula(parity):
    # a Gaussian copula, as in torch's docstring
    loc = parity.randn(2, dtype=np.float64)
    scale_tril = np.linalg.cholesky(_spd(parity, n=2))
    u = parity.uniform(0.1, 0.9, 5, 2, dtype=np.float64)

    def copula_log_prob(fw, loc, tril, u):
        D = fw.distributions
        base = D.MultivariateNormal(loc, scale_tril=tril)
        t = D.CumulativeDistributionTransform(D.Normal(0.0, 1.0))
        return D.TransformedDistribution(base, [t]).log_prob(u)

    parity.check(copula_log_prob, loc, scale_tril, u, **TOL)


REGISTRATIONS = [
    ("transform_to", lambda C: C.positive_definite),
    ("transform_to", lambda C: C.positive_semidefinite),
    ("transform_to", lambda C: C.corr_cholesky),
    ("biject_to", lambda C: C.corr_cholesky),
    ("biject_to", lambda C: C.cat([C.positive, C.real, C.unit_interval], 0, [2, 1, 1])),
    ("transform_to", lambda C: C.cat([C.simplex, C.real_vector], -1, [3, 2])),
    ("biject_to", lambda C: C.stack([C.positive, C.interval(-1.0, 2.0)], 1)),
    ("transform_to", lambda C: C.stack([C.lower_cholesky, C.positive_definite], 0)),
]


@pytest.mark.parametrize("registry, constraint", REGISTRATIONS)
def test_registrations(registry, constraint):
    def describe(t):
        parts = getattr(t, "transforms", None)
        if parts is not None:
            return (
                type(t).__name__,
                t.dim,
                getattr(t, "lengths", None),
                [describe(p) for p in parts],
            )
        return type(t).__name__

    out = _both_raw(
        lambda fw: describe(
            getattr(fw.distributions, registry)(constraint(fw.distributions.constraints))
        )
    )
    assert out["ember"] == out["torch"]


def test_biject_to_cat_values(parity):
    x = parity.randn(3, 4, dtype=np.float64)

    def f(fw, x):
        C = fw.distributions.constraints
        t = fw.distributions.biject_to(C.cat([C.positive, C.real, C.unit_interval], 1, [2, 1, 1]))
        y = t(x)
        return y, t.log_abs_det_jacobian(x, y)

    parity.check(f, x, **TOL)
