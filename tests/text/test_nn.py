"""embertext.nn: ScaledDotProduct, InProjContainer, MultiheadAttentionContainer against numpy."""

import numpy as np
import pytest

import ember
from ember import nn
from embertext.nn import InProjContainer, MultiheadAttentionContainer, ScaledDotProduct


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sdp_reference(q, k, v, mask=None):
    """q (L, B, D), k/v (S, B, D) -> (L, B, D), weights (B, L, S)."""
    q, k, v = (x.transpose(1, 0, 2) for x in (q, k, v))
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, -1e8, scores)
    weights = softmax(scores)
    return (weights @ v).transpose(1, 0, 2), weights


def _np(tensor):
    """A tensor's values as a numpy array, copied to the host from any device."""
    return tensor.detach().cpu().numpy()


def test_scaled_dot_product_matches_reference(device):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((5, 6, 4)).astype("f4")
    k = rng.standard_normal((7, 6, 4)).astype("f4")
    v = rng.standard_normal((7, 6, 4)).astype("f4")
    mask = rng.random((6, 5, 7)) < 0.3
    mask[..., 0] = False
    out, weights = ScaledDotProduct()(*(ember.tensor(x, device=device) for x in (q, k, v, mask)))
    ref_out, ref_weights = sdp_reference(q, k, v, mask)
    assert tuple(out.shape) == (5, 6, 4) and tuple(weights.shape) == (6, 5, 7)
    assert out.device.type == device and weights.device.type == device
    np.testing.assert_allclose(_np(out), ref_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(weights), ref_weights, rtol=1e-5, atol=1e-6)

    batch_first = ScaledDotProduct(batch_first=True)
    out_bf, _ = batch_first(*(ember.tensor(x.transpose(1, 0, 2), device=device) for x in (q, k, v)))
    np.testing.assert_allclose(
        _np(out_bf), sdp_reference(q, k, v)[0].transpose(1, 0, 2), rtol=1e-5, atol=1e-6
    )


def test_scaled_dot_product_gradients(device):
    # float64 central differences of the attention output w.r.t. query, key and value
    rng = np.random.default_rng(3)
    q, k, v = (
        ember.tensor(
            rng.standard_normal(shape), dtype=ember.float64, device=device
        ).requires_grad_()
        for shape in ((3, 2, 4), (5, 2, 4), (5, 2, 4))
    )
    mask = ember.tensor(rng.random((2, 3, 5)) < 0.3, device=device)
    mask[..., 0] = False
    assert ember.autograd.gradcheck(
        lambda q, k, v: ScaledDotProduct()(q, k, v, attn_mask=mask)[0], (q, k, v)
    )


def test_scaled_dot_product_bias_and_bad_masks(device):
    rng = np.random.default_rng(1)
    q = ember.tensor(rng.standard_normal((3, 2, 4)).astype("f4"), device=device)
    k = v = ember.tensor(rng.standard_normal((5, 2, 4)).astype("f4"), device=device)
    bias = ember.tensor(rng.standard_normal((1, 2, 4)).astype("f4"), device=device)
    out, weights = ScaledDotProduct()(q, k, v, bias_k=bias, bias_v=bias)
    assert tuple(weights.shape) == (2, 3, 6) and out.device.type == device
    kb = np.concatenate([_np(k), _np(bias)])
    np.testing.assert_allclose(_np(out), sdp_reference(_np(q), kb, kb)[0], rtol=1e-5, atol=1e-6)
    # with a mask too: the bias position is padded onto it, never masked
    mask = np.zeros((2, 3, 5), dtype=bool)
    mask[:, :, 1] = True
    out, weights = ScaledDotProduct()(
        q, k, v, attn_mask=ember.tensor(mask, device=device), bias_k=bias, bias_v=bias
    )
    padded = np.pad(mask, ((0, 0), (0, 0), (0, 1)))
    np.testing.assert_allclose(
        _np(out), sdp_reference(_np(q), kb, kb, padded)[0], rtol=1e-5, atol=1e-6
    )
    assert not _np(weights)[..., 1].any()

    sdp = ScaledDotProduct()
    with pytest.raises(RuntimeError, match="attn_mask must be a 3D tensor"):
        sdp(q, k, v, attn_mask=ember.zeros(3, 5, dtype=ember.bool, device=device))
    with pytest.raises(RuntimeError, match="The size of the attn_mask is not correct"):
        sdp(q, k, v, attn_mask=ember.zeros(2, 3, 4, dtype=ember.bool, device=device))
    with pytest.raises(RuntimeError, match="Only bool tensor is supported"):
        sdp(q, k, v, attn_mask=ember.zeros(2, 3, 5, device=device))
    with pytest.raises(AssertionError, match="Shape of key, value must match"):
        sdp(q, k, v[:4])


def test_multihead_container_matches_reference_and_trains(device):
    ember.manual_seed(0)
    embed_dim, num_heads, bsz = 8, 2, 3
    in_proj = InProjContainer(*(nn.Linear(embed_dim, embed_dim) for _ in range(3)))
    out_proj = nn.Linear(embed_dim, embed_dim)
    mha = MultiheadAttentionContainer(num_heads, in_proj, ScaledDotProduct(), out_proj)
    mha.to(device)
    rng = np.random.default_rng(2)
    query = rng.standard_normal((4, bsz, embed_dim)).astype("f4")
    key = rng.standard_normal((6, bsz, embed_dim)).astype("f4")

    def tensor(x):
        return ember.tensor(x, device=device)

    out, weights = mha(tensor(query), tensor(key), tensor(key))
    assert out.device.type == device and weights.device.type == device
    assert tuple(out.shape) == (4, bsz, embed_dim) and tuple(weights.shape) == (
        bsz * num_heads,
        4,
        6,
    )

    def linear(layer, x):
        return x @ _np(layer.weight).T + _np(layer.bias)

    head = embed_dim // num_heads
    q = linear(in_proj.query_proj, query).reshape(4, bsz * num_heads, head)
    k = linear(in_proj.key_proj, key).reshape(6, bsz * num_heads, head)
    v = linear(in_proj.value_proj, key).reshape(6, bsz * num_heads, head)
    attn, ref_weights = sdp_reference(q, k, v)
    ref = linear(out_proj, attn.reshape(4, bsz, embed_dim))
    np.testing.assert_allclose(_np(out), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(weights), ref_weights, rtol=1e-4, atol=1e-5)

    out.sum().backward()
    assert in_proj.query_proj.weight.grad is not None and out_proj.weight.grad is not None
    assert in_proj.query_proj.weight.grad.device.type == device
    # d(sum of outputs)/d(out_proj.bias) is the number of output rows
    np.testing.assert_allclose(_np(out_proj.bias.grad), np.full(embed_dim, 4.0 * bsz))

    batch_first = MultiheadAttentionContainer(
        num_heads, in_proj, ScaledDotProduct(), out_proj, batch_first=True
    )
    out_bf, _ = batch_first(*(tensor(x.transpose(1, 0, 2)) for x in (query, key, key)))
    np.testing.assert_allclose(_np(out_bf), ref.transpose(1, 0, 2), rtol=1e-4, atol=1e-5)

    with pytest.raises(AssertionError, match="divisible by the number of heads"):
        MultiheadAttentionContainer(3, in_proj, ScaledDotProduct(), out_proj)(
            tensor(query), tensor(key), tensor(key)
        )


def test_multihead_container_gradients_with_mask_and_bias(device):
    ember.manual_seed(1)
    embed_dim, num_heads, bsz = 4, 2, 2
    in_proj = InProjContainer(*(nn.Linear(embed_dim, embed_dim) for _ in range(3)))
    mha = MultiheadAttentionContainer(
        num_heads, in_proj, ScaledDotProduct(), nn.Linear(embed_dim, embed_dim), batch_first=True
    )
    mha.double().to(device)
    rng = np.random.default_rng(4)
    query, key, value = (
        ember.tensor(rng.standard_normal(shape), device=device).requires_grad_()
        for shape in ((bsz, 3, embed_dim), (bsz, 5, embed_dim), (bsz, 5, embed_dim))
    )
    bias_k, bias_v = (
        ember.tensor(rng.standard_normal((1, bsz * num_heads, 2)), device=device) for _ in range(2)
    )
    mask = ember.tensor(rng.random((bsz * num_heads, 3, 5)) < 0.3, device=device)
    mask[..., 0] = False

    def attend(query, key, value):
        return mha(query, key, value, attn_mask=mask, bias_k=bias_k, bias_v=bias_v)[0]

    out = attend(query, key, value)
    assert out.shape == (bsz, 3, embed_dim) and out.device.type == device
    assert ember.autograd.gradcheck(attend, (query, key, value))


def test_scaled_dot_product_dropout(device):
    rng = np.random.default_rng(5)
    q, k, v = (
        ember.tensor(rng.standard_normal((4, 3, 2)).astype("f4"), device=device) for _ in range(3)
    )
    sdp = ScaledDotProduct(dropout=0.5)
    ember.manual_seed(0)
    _, weights = sdp(q, k, v)
    assert weights.device.type == device
    kept = _np(weights) != 0
    plain = _np(ScaledDotProduct()(q, k, v)[1])
    assert 0 < kept.sum() < kept.size  # some dropped, scaled by 2 where kept
    np.testing.assert_allclose(_np(weights)[kept], 2 * plain[kept], rtol=1e-5)
    np.testing.assert_array_equal(_np(sdp.eval()(q, k, v)[1]), plain)
