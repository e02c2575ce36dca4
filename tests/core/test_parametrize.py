"""ember.nn.utils.parametrize, parametrizations.weight_norm / spectral_norm and the legacy
hook-based nn.utils.weight_norm."""

import copy

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import parametrizations
from ember.nn.utils import parametrize as P


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).T

    def right_inverse(self, A):
        return A.triu()


class Double(nn.Module):
    def forward(self, X):
        return X * 2


class RankOne(nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        return Z[:, 0].clone(), ember.ones(Z.shape[1])


def _np(t):
    return t.detach().numpy()


def test_register_symmetric_keys_and_class():
    m = nn.Linear(4, 4)
    w0 = _np(m.weight).copy()
    weight = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear"
    assert isinstance(m, nn.Linear)
    assert P.type_before_parametrizations(m) is nn.Linear
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    # the original Parameter object is kept (optimisers stay valid) and holds right_inverse
    assert m.parametrizations.weight.original is weight
    np.testing.assert_allclose(_np(weight), np.triu(w0))
    w = _np(m.weight)
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(w, np.triu(w0) + np.triu(w0, 1).T)
    # a plain Linear is untouched
    assert type(nn.Linear(2, 2)) is nn.Linear


def test_gradients_reach_original():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    x = ember.randn(5, 3)
    m(x).sum().backward()
    g = _np(m.parametrizations.weight.original.grad)
    # d/dW of sum(x @ S(W).T): gs = sum_x outer(ones, x) on S, folded back onto triu
    gs = np.outer(np.ones(3), _np(x).sum(0))
    expected = np.triu(gs) + np.triu(gs.T, 1)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-5)
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    opt.step()
    w = _np(m.weight)
    np.testing.assert_allclose(w, w.T)


def test_assign_uses_right_inverse():
    m = nn.Linear(4, 4)
    P.register_parametrization(m, "weight", Symmetric())
    a = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    a = a + a.T
    m.weight = ember.tensor(a)
    np.testing.assert_allclose(_np(m.weight), a, rtol=1e-6)
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        P.register_parametrization(m, "weight", Double())
        m.weight = ember.tensor(a)


def test_chained_parametrizations():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    P.register_parametrization(m, "weight", Double())
    assert len(m.parametrizations.weight) == 2
    o = _np(m.parametrizations.weight.original)
    np.testing.assert_allclose(_np(m.weight), 2 * (np.triu(o) + np.triu(o, 1).T))


def test_shape_check_and_unsafe():
    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(nn.Linear(2, 3), "weight", Flat())
    m = P.register_parametrization(nn.Linear(2, 3), "weight", Flat(), unsafe=True)
    assert tuple(m.weight.shape) == (6,)
    with pytest.raises(ValueError, match="does not have a parameter"):
        P.register_parametrization(nn.Linear(2, 3), "nope", Double())


def test_buffer_parametrization():
    m = nn.BatchNorm1d(3)
    P.register_parametrization(m, "running_var", Double())
    assert "parametrizations.running_var.original" in m.state_dict()
    np.testing.assert_allclose(_np(m.running_var), 2 * np.ones(3))


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    original = m.parametrizations.weight.original
    value = _np(m.weight).copy()
    raw = _np(original).copy()
    P.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear
    assert not hasattr(m, "parametrizations")
    assert list(m.state_dict()) == ["bias", "weight"]
    assert m.weight is original
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), value if leave else raw)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        P.remove_parametrizations(m, "weight")


def test_remove_one_of_two_keeps_class():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Double())
    P.register_parametrization(m, "bias", Double())
    P.remove_parametrizations(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear"
    assert P.is_parametrized(m, "bias") and not P.is_parametrized(m, "weight")
    assert isinstance(m.weight, nn.Parameter)


def test_several_originals():
    m = nn.Linear(4, 3)
    P.register_parametrization(m, "weight", RankOne())
    keys = list(m.state_dict())
    assert keys == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    assert np.linalg.matrix_rank(_np(m.weight)) == 1
    with pytest.raises(ValueError, match="sequence of tensors"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter)
    assert np.linalg.matrix_rank(_np(m.weight)) == 1


def test_cached():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X + 0

    m = nn.Linear(2, 2)
    P.register_parametrization(m, "weight", Counting())
    calls.clear()
    with P.cached():
        a = m.weight
        b = m.weight
        assert a is b
    assert len(calls) == 1
    _ = m.weight
    assert len(calls) == 2


def test_state_dict_round_trip_and_deepcopy():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    m2 = nn.Linear(3, 3)
    P.register_parametrization(m2, "weight", Symmetric())
    m2.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(m2.weight), _np(m.weight))
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    np.testing.assert_allclose(_np(c.weight), _np(m.weight))
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original


def test_module_to_moves_original():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Double())
    m.double()
    assert m.weight.dtype == ember.float64


def test_transfer_parametrizations():
    a = nn.Linear(3, 3)
    P.register_parametrization(a, "weight", Symmetric())
    b = nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(a, b)
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    np.testing.assert_allclose(_np(b.weight), _np(a.weight))


# ----------------------------------------------------------------------------- weight_norm


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_values(dim):
    m = nn.Linear(4, 3)
    w0 = _np(m.weight).copy()
    parametrizations.weight_norm(m, dim=dim)
    keys = list(m.state_dict())
    assert keys == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    g = _np(m.parametrizations.weight.original0).copy()
    v = _np(m.parametrizations.weight.original1).copy()
    if dim is None:
        assert g.shape == ()
        norm = np.linalg.norm(v)
    else:
        axis = 1 - dim
        norm = np.linalg.norm(v, axis=axis, keepdims=True)
        assert g.shape == norm.shape
    np.testing.assert_allclose(g, norm, rtol=1e-6)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-5, atol=1e-6)
    # change g and check w = g * v / ||v||
    with ember.no_grad():
        m.parametrizations.weight.original0.mul_(3.0)
    np.testing.assert_allclose(_np(m.weight), 3 * g * v / norm, rtol=1e-5)
    m(ember.randn(2, 4)).sum().backward()
    assert m.parametrizations.weight.original0.grad is not None
    assert m.parametrizations.weight.original1.grad is not None


def test_weight_norm_conv_and_remove():
    m = nn.Conv2d(2, 4, 3)
    w0 = _np(m.weight).copy()
    parametrizations.weight_norm(m)
    assert tuple(m.parametrizations.weight.original0.shape) == (4, 1, 1, 1)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-5, atol=1e-6)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Conv2d
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-5, atol=1e-6)


def test_weight_norm_loads_legacy_state_dict():
    with pytest.warns(FutureWarning, match="deprecated"):
        old = nn.utils.weight_norm(nn.Linear(4, 3))
    sd = old.state_dict()
    assert set(sd) == {"bias", "weight_g", "weight_v"}
    new = parametrizations.weight_norm(nn.Linear(4, 3))
    new.load_state_dict(sd)
    np.testing.assert_allclose(_np(new.weight), _np(old.weight), rtol=1e-6)


def test_legacy_weight_norm():
    m = nn.Linear(4, 3)
    w0 = _np(m.weight).copy()
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert tuple(m.weight_g.shape) == (3, 1)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-5, atol=1e-6)
    with ember.no_grad():
        m.weight_g.mul_(2.0)
    m(ember.randn(2, 4)).sum().backward()  # the pre-hook recomputes the weight
    np.testing.assert_allclose(_np(m.weight), 2 * w0, rtol=1e-5, atol=1e-6)
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    with pytest.raises(RuntimeError, match="two weight_norm hooks"), pytest.warns(FutureWarning):
        nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), 2 * w0, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(m)


# --------------------------------------------------------------------------- spectral_norm


def test_spectral_norm_sigma():
    ember.manual_seed(0)
    m = nn.Linear(6, 5)
    w0 = _np(m.weight).copy()
    parametrizations.spectral_norm(m)
    keys = list(m.state_dict())
    assert keys == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    for _ in range(30):
        w = _np(m.weight)
    sigma0 = np.linalg.svd(w0, compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False)[0], 1.0, rtol=1e-4)
    np.testing.assert_allclose(w, w0 / sigma0, rtol=1e-4, atol=1e-6)
    # u, v are the top singular vectors (up to sign)
    u_ref, _, vh_ref = np.linalg.svd(w0)
    u = _np(m.parametrizations.weight[0]._u)
    v = _np(m.parametrizations.weight[0]._v)
    np.testing.assert_allclose(abs(u @ u_ref[:, 0]), 1.0, rtol=1e-4)
    np.testing.assert_allclose(abs(v @ vh_ref[0]), 1.0, rtol=1e-4)
    m(ember.randn(2, 6)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None


def test_spectral_norm_eval_freezes_uv_and_conv_dims():
    m = nn.Conv2d(3, 4, 3)
    parametrizations.spectral_norm(m)
    u = _np(m.parametrizations.weight[0]._u).copy()
    m.eval()
    _ = m.weight
    np.testing.assert_array_equal(_np(m.parametrizations.weight[0]._u), u)
    assert tuple(m.parametrizations.weight[0]._v.shape) == (27,)
    t = nn.ConvTranspose2d(3, 4, 3)
    parametrizations.spectral_norm(t)
    assert t.parametrizations.weight[0].dim == 1
    assert tuple(t.parametrizations.weight[0]._u.shape) == (4,)


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="no parameter or buffer"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="nope")
    with pytest.raises(ValueError, match="n_power_iterations"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
