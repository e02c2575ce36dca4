"""scaled_dot_product_attention, multi_head_attention_forward and nn.MultiheadAttention:
forward against numpy references, gradients by finite differences, masks, dropout, torch's
parameter names, initialisation and error messages."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


# ------------------------------------------------------------------------ numpy references


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sdpa_ref(q, k, v, mask=None, is_causal=False, scale=None):
    """softmax(q kᵀ · scale + mask) v; a boolean mask keeps the True positions."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return _softmax(s) @ v


def _mha_ref(q, k, v, w, b, w_out, b_out, heads, key_padding_mask=None, attn_mask=None):
    """Multi-head attention on (L, N, E) inputs written out in numpy.

    ``w`` and ``b`` are the (q, k, v) projection weights and biases. ``attn_mask`` (L, S) and
    ``key_padding_mask`` (N, S) are boolean, True = masked out. Returns the output (L, N, E)
    and the per-head weights (N, heads, L, S).
    """
    E = q.shape[-1]
    d = E // heads

    def split(x):  # (len, N, E) -> (N, heads, len, d)
        return x.reshape(x.shape[0], x.shape[1], heads, d).transpose(1, 2, 0, 3)

    Q, K, V = (split(x @ wi.T + bi) for x, wi, bi in zip((q, k, v), w, b))
    s = Q @ np.swapaxes(K, -1, -2) / math.sqrt(d)
    if attn_mask is not None:
        s = np.where(attn_mask, -np.inf, s)
    if key_padding_mask is not None:
        s = np.where(key_padding_mask[:, None, None, :], -np.inf, s)
    weights = _softmax(s)
    out = (weights @ V).transpose(2, 0, 1, 3).reshape(q.shape[0], q.shape[1], E)
    return out @ w_out.T + b_out, weights


def _np(t):
    return t.detach().cpu().numpy()


def _random_mha(*args, device="cpu", **kwargs):
    """A float64 MultiheadAttention with random biases too (they are zero-initialised)."""
    m = nn.MultiheadAttention(*args, device=device, dtype=ember.float64, **kwargs)
    with ember.no_grad():
        for p in m.parameters():
            p.copy_(ember.tensor(rng.standard_normal(p.shape), device=device))
    return m


def _mha_weights(m):
    """(w_q, w_k, w_v), (b_q, b_k, b_v), w_out, b_out of a module, as numpy arrays."""
    if m.in_proj_weight is not None:
        w = np.split(_np(m.in_proj_weight), 3)
    else:
        w = [_np(m.q_proj_weight), _np(m.k_proj_weight), _np(m.v_proj_weight)]
    return w, np.split(_np(m.in_proj_bias), 3), _np(m.out_proj.weight), _np(m.out_proj.bias)


# ------------------------------------------------------------------------------------- sdpa


def _some_keys(shape):
    """A random boolean mask with at least one True per row (so no row is empty)."""
    mask = rng.random(shape) < 0.6
    mask[..., 0] = True
    return mask


_SDPA_CASES = {
    "2d": ((3, 4), (5, 4), (5, 2), None),
    "batch_dims": ((2, 3, 4, 4), (2, 3, 5, 4), (2, 3, 5, 3), None),
    "bool_mask_broadcast": ((2, 4, 3), (2, 5, 3), (2, 5, 2), _some_keys((4, 5))),
    "float_mask": ((2, 2, 4, 3), (2, 2, 5, 3), (2, 2, 5, 2), rng.standard_normal((2, 1, 4, 5))),
}


@pytest.mark.parametrize("case", list(_SDPA_CASES))
def test_sdpa_matches_numpy_and_gradients(case, device):
    qs, ks, vs, mask = _SDPA_CASES[case]
    q, k, v = (rng.standard_normal(s) for s in (qs, ks, vs))
    if mask is None:
        check_op(F.scaled_dot_product_attention, _sdpa_ref, q, k, v, device=device)
    else:
        check_op(F.scaled_dot_product_attention, _sdpa_ref, q, k, v, mask, device=device)


@pytest.mark.parametrize("L, S", [(4, 5), (5, 3)])
def test_sdpa_causal_and_scale(L, S):
    q, k, v = (rng.standard_normal(s) for s in ((2, L, 3), (2, S, 3), (2, S, 4)))
    check_op(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
        lambda q, k, v: _sdpa_ref(q, k, v, is_causal=True, scale=0.3),
        q,
        k,
        v,
        gradgrad=True,
    )


def test_sdpa_negative_scale():
    q, k, v = (rng.standard_normal(s) for s in ((3, 2), (4, 2), (4, 2)))
    check_op(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=-0.7),
        lambda q, k, v: _sdpa_ref(q, k, v, scale=-0.7),
        q,
        k,
        v,
        grad=False,
    )


def test_sdpa_bool_mask_double_backward():
    q, k, v = (rng.standard_normal(s) for s in ((3, 2), (4, 2), (4, 2)))
    mask = _some_keys((3, 4))
    check_op(F.scaled_dot_product_attention, _sdpa_ref, q, k, v, mask, grad=False, gradgrad=True)


def test_sdpa_fully_masked_row_gives_zeros_and_zero_grad():
    q = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    k = ember.randn(4, 2, dtype=ember.float64, requires_grad=True)
    v = ember.randn(4, 2, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(_some_keys((3, 4)))
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    rows = [0, 2]
    np.testing.assert_array_equal(_np(out)[1], np.zeros(2))
    assert_close(_np(out)[rows], _sdpa_ref(_np(q)[rows], _np(k), _np(v), _np(mask)[rows]))
    out.sum().backward()
    assert np.isfinite(_np(q.grad)).all() and np.isfinite(_np(k.grad)).all()
    assert_close(q.grad[1], np.zeros(2))


def test_sdpa_float_mask_of_another_float_dtype_is_cast():
    q, k, v = (ember.randn(3, 2, dtype=ember.float64) for _ in range(3))
    mask = ember.randn(3, 3)  # float32 is accepted for any query dtype
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert out.dtype == ember.float64
    assert_close(out, _sdpa_ref(_np(q), _np(k), _np(v), _np(mask).astype(np.float64)))


def test_sdpa_grouped_query_attention():
    q = rng.standard_normal((2, 4, 3, 2))
    k, v = rng.standard_normal((2, 2, 5, 2)), rng.standard_normal((2, 2, 5, 3))
    check_op(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
        # each key/value head serves two consecutive query heads (repeat_interleave)
        lambda q, k, v: _sdpa_ref(q, np.repeat(k, 2, axis=-3), np.repeat(v, 2, axis=-3)),
        q,
        k,
        v,
    )
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
        F.scaled_dot_product_attention(
            ember.randn(3, 2, 2), ember.randn(2, 2, 2), ember.randn(2, 2, 2), enable_gqa=True
        )


def test_sdpa_errors():
    q = ember.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match=r"same dtype, but got query\.dtype: float key\.dtype: "):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match=r"attn_mask\.dtype: long int and  query\.dtype: float"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3, dtype=ember.int64))
    with pytest.raises(RuntimeError, match=r"at least 2 dimensional, but got query\.dim: 1"):
        F.scaled_dot_product_attention(ember.randn(4), q, q)


class _SeededRNG:
    """Seed the default generator for a block and put its state back afterwards."""

    def __enter__(self):
        self.state = ember.get_rng_state()
        ember.manual_seed(1234)

    def __exit__(self, *exc):
        ember.set_rng_state(self.state)


def test_sdpa_dropout_zeroes_and_rescales_weights():
    p = 0.3
    q, k = ember.randn(8, 32, 4, dtype=ember.float64), ember.randn(8, 32, 4, dtype=ember.float64)
    eye = ember.eye(32, dtype=ember.float64).expand(8, 32, 32)  # weights @ I = the weights
    with _SeededRNG():
        dropped = _np(F.scaled_dot_product_attention(q, k, eye, dropout_p=p))
    with _SeededRNG():
        again = _np(F.scaled_dot_product_attention(q, k, eye, dropout_p=p))
    weights = _softmax(_np(q) @ np.swapaxes(_np(k), -1, -2) / 2)
    kept = dropped != 0
    # every weight is either dropped or scaled by 1 / (1 - p): a row sums to its kept mass
    np.testing.assert_allclose(dropped[kept], weights[kept] / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(dropped.sum(-1), (weights * kept).sum(-1) / (1 - p), rtol=1e-12)
    assert abs((~kept).mean() - p) < 0.03  # 8192 draws: 3 sigma is 0.015
    np.testing.assert_array_equal(dropped, again)


# ------------------------------------------------------------------------ MultiheadAttention


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "attn", "padding", "both"])
def test_mha_matches_reference(batch_first, masks, device):
    L, S, N, E, H = 3, 4, 2, 6, 2
    m = _random_mha(E, H, batch_first=batch_first, device=device)
    q, k, v = (rng.standard_normal((n, N, E)) for n in (L, S, S))
    attn_mask = ~_some_keys((L, S)) if masks in ("attn", "both") else None  # True = masked
    kpm = np.array([[False, False, True, False], [False, True, True, False]])
    kpm = kpm if masks in ("padding", "both") else None
    expected, weights = _mha_ref(q, k, v, *_mha_weights(m), H, kpm, attn_mask)

    def t(x):
        if x is None:
            return None
        return ember.tensor(
            x.transpose(1, 0, 2) if batch_first and x.ndim == 3 else x, device=device
        )

    args = (t(q), t(k), t(v))
    kwargs = {"key_padding_mask": t(kpm), "attn_mask": t(attn_mask)}
    out, avg = m(*args, **kwargs)
    out_t = out.transpose(0, 1) if batch_first else out
    assert_close(out_t, expected)
    assert_close(avg, weights.mean(1))
    _, per_head = m(*args, average_attn_weights=False, **kwargs)
    assert_close(per_head, weights)
    fused, none = m(*args, need_weights=False, **kwargs)  # through scaled_dot_product_attention
    assert none is None
    assert_close(fused, out)


def test_mha_self_attention_unbatched_and_float_masks():
    L, E, H = 4, 4, 2
    m = _random_mha(E, H)
    x = rng.standard_normal((L, 1, E))
    bool_mask = np.triu(np.ones((L, L), bool), 1)
    expected, weights = _mha_ref(x, x, x, *_mha_weights(m), H, attn_mask=bool_mask)
    xt = ember.tensor(x[:, 0])
    float_mask = ember.tensor(np.where(bool_mask, -np.inf, 0.0))
    for mask in (ember.tensor(bool_mask), float_mask):
        out, w = m(xt, xt, xt, attn_mask=mask)
        assert_close(out, expected[:, 0])
        assert_close(w, weights.mean(1)[0])
    # the causal hint gives the same numbers through the fused path
    out, w = m(xt, xt, xt, attn_mask=float_mask, is_causal=True, need_weights=False)
    assert w is None
    assert_close(out, expected[:, 0])
    # per-head 3-D masks work unbatched too, on both paths
    per_head = ember.tensor(np.stack([bool_mask] * H))
    for need_weights in (True, False):
        out, _ = m(xt, xt, xt, attn_mask=per_head, need_weights=need_weights)
        assert_close(out, expected[:, 0])


def test_mha_separate_projections_bias_kv_and_zero_attn():
    L, S, N, E, H, kdim, vdim = 2, 3, 2, 4, 2, 3, 5
    m = _random_mha(E, H, kdim=kdim, vdim=vdim, add_bias_kv=True, add_zero_attn=True)
    assert m.in_proj_weight is None and not m._qkv_same_embed_dim
    q = rng.standard_normal((L, N, E))
    k, v = rng.standard_normal((S, N, kdim)), rng.standard_normal((S, N, vdim))
    (wq, wk, wv), (bq, bk, bv), w_out, b_out = _mha_weights(m)
    d = E // H
    # reference: project, append bias_k/bias_v as one more key, then a zero key per head
    Q = (q @ wq.T + bq).reshape(L, N, H, d).transpose(1, 2, 0, 3)
    K = np.concatenate([k @ wk.T + bk, np.broadcast_to(_np(m.bias_k), (1, N, E))])
    V = np.concatenate([v @ wv.T + bv, np.broadcast_to(_np(m.bias_v), (1, N, E))])
    K, V = (x.reshape(S + 1, N, H, d).transpose(1, 2, 0, 3) for x in (K, V))
    K, V = (np.concatenate([x, np.zeros((N, H, 1, d))], 2) for x in (K, V))
    kpm = np.array([[False, True, False], [False, False, False]])
    s = Q @ np.swapaxes(K, -1, -2) / math.sqrt(d)
    s[0, :, :, 1] = -np.inf
    weights = _softmax(s)
    expected = (weights @ V).transpose(2, 0, 1, 3).reshape(L, N, E) @ w_out.T + b_out
    out, w = m(
        ember.tensor(q), ember.tensor(k), ember.tensor(v), key_padding_mask=ember.tensor(kpm)
    )
    assert_close(out, expected)
    assert_close(w, weights.mean(1))


def test_mha_gradcheck():
    m = _random_mha(4, 2, kdim=3)
    q = ember.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    k = ember.tensor(rng.standard_normal((3, 1, 3)), requires_grad=True)
    v = ember.tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    kpm = ember.tensor([[False, True, False]])
    params = (m.q_proj_weight, m.k_proj_weight, m.in_proj_bias, m.out_proj.weight)
    for need_weights in (True, False):
        assert gradcheck(
            lambda q, k, v, *_, nw=need_weights: m(q, k, v, key_padding_mask=kpm, need_weights=nw),
            (q, k, v, *params),
        )


def test_mha_functional_packed_self_attention_gradcheck():
    E, H = 4, 2
    x = ember.tensor(rng.standard_normal((3, 2, E)), requires_grad=True)
    w_in = ember.tensor(rng.standard_normal((3 * E, E)), requires_grad=True)
    b_in = ember.tensor(rng.standard_normal(3 * E), requires_grad=True)
    w_out = ember.tensor(rng.standard_normal((E, E)), requires_grad=True)

    def f(x, w_in, b_in, w_out):
        return F.multi_head_attention_forward(
            x, x, x, E, H, w_in, b_in, None, None, False, 0.0, w_out, None, need_weights=False
        )[0]

    assert gradcheck(f, (x, w_in, b_in, w_out))
    expected, _ = _mha_ref(
        *(_np(x),) * 3, np.split(_np(w_in), 3), np.split(_np(b_in), 3), _np(w_out), 0.0, H
    )
    assert_close(f(x, w_in, b_in, w_out), expected)


def test_mha_parameters_init_and_state_dict():
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert m.in_proj_weight.shape == (24, 8) and m.head_dim == 4
    assert isinstance(m.out_proj, nn.Linear)
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    # xavier_uniform_ on (3E, E): bound sqrt(6 / (E + 3E)); biases zero
    bound = math.sqrt(6 / 32)
    w = _np(m.in_proj_weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not _np(m.in_proj_bias).any() and not _np(m.out_proj.bias).any()

    m = nn.MultiheadAttention(8, 2, bias=False, add_bias_kv=True, kdim=4, vdim=6)
    assert list(m.state_dict()) == [
        "q_proj_weight",
        "k_proj_weight",
        "v_proj_weight",
        "bias_k",
        "bias_v",
        "out_proj.weight",
    ]
    assert m.k_proj_weight.shape == (8, 4) and m.v_proj_weight.shape == (8, 6)
    assert m.bias_k.shape == (1, 1, 8) and m.in_proj_bias is None


def test_mha_dtype_device_and_deepcopy(device):
    import copy

    m = nn.MultiheadAttention(4, 2, device=device, dtype=ember.float64)
    assert all(p.dtype == ember.float64 for p in m.parameters())
    c = copy.deepcopy(m)
    assert c.in_proj_weight is not m.in_proj_weight
    assert_close(c.in_proj_weight, m.in_proj_weight)
    x = ember.randn(3, 2, 4, dtype=ember.float64, device=device)
    assert_close(c(x, x, x)[0], m(x, x, x)[0])


def test_mha_dropout_only_in_training():
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = ember.randn(5, 3, 4)
    with _SeededRNG():
        train_out = m(x, x, x)[1]
    m.eval()
    eval_a, eval_b = m(x, x, x)[1], m(x, x, x)[1]
    assert_close(eval_a, eval_b)
    assert not np.allclose(_np(train_out), _np(eval_a))


def test_mha_errors_and_warnings():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 1)
    m = nn.MultiheadAttention(4, 2)
    x = ember.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\(3, 3\)"):
        m(x, x, x, attn_mask=ember.zeros(3, 4))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(x, x, x, attn_mask=ember.zeros(3, 3, dtype=ember.int64))
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D"):
        m(x[None], x[None], x[None])
    kpm = ember.zeros(2, 3, dtype=ember.bool)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=kpm, attn_mask=ember.zeros(3, 3))
