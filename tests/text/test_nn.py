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


def test_scaled_dot_product_matches_reference():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((5, 6, 4)).astype("f4")
    k = rng.standard_normal((7, 6, 4)).astype("f4")
    v = rng.standard_normal((7, 6, 4)).astype("f4")
    mask = rng.random((6, 5, 7)) < 0.3
    mask[..., 0] = False
    out, weights = ScaledDotProduct()(
        ember.tensor(q), ember.tensor(k), ember.tensor(v), ember.tensor(mask)
    )
    ref_out, ref_weights = sdp_reference(q, k, v, mask)
    assert tuple(out.shape) == (5, 6, 4) and tuple(weights.shape) == (6, 5, 7)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights.numpy(), ref_weights, rtol=1e-5, atol=1e-6)

    batch_first = ScaledDotProduct(batch_first=True)
    out_bf, _ = batch_first(*(ember.tensor(x.transpose(1, 0, 2)) for x in (q, k, v)))
    np.testing.assert_allclose(
        out_bf.numpy(), sdp_reference(q, k, v)[0].transpose(1, 0, 2), rtol=1e-5, atol=1e-6
    )


def test_scaled_dot_product_bias_and_bad_masks():
    rng = np.random.default_rng(1)
    q = ember.tensor(rng.standard_normal((3, 2, 4)).astype("f4"))
    k = v = ember.tensor(rng.standard_normal((5, 2, 4)).astype("f4"))
    bias = ember.tensor(rng.standard_normal((1, 2, 4)).astype("f4"))
    out, weights = ScaledDotProduct()(q, k, v, bias_k=bias, bias_v=bias)
    assert tuple(weights.shape) == (2, 3, 6)
    kb = np.concatenate([k.numpy(), bias.numpy()])
    np.testing.assert_allclose(
        out.numpy(), sdp_reference(q.numpy(), kb, kb)[0], rtol=1e-5, atol=1e-6
    )

    sdp = ScaledDotProduct()
    with pytest.raises(RuntimeError, match="attn_mask must be a 3D tensor"):
        sdp(q, k, v, attn_mask=ember.zeros(3, 5, dtype=ember.bool))
    with pytest.raises(RuntimeError, match="The size of the attn_mask is not correct"):
        sdp(q, k, v, attn_mask=ember.zeros(2, 3, 4, dtype=ember.bool))
    with pytest.raises(RuntimeError, match="Only bool tensor is supported"):
        sdp(q, k, v, attn_mask=ember.zeros(2, 3, 5))
    with pytest.raises(AssertionError, match="Shape of key, value must match"):
        sdp(q, k, v[:4])


def test_multihead_container_matches_reference_and_trains():
    ember.manual_seed(0)
    embed_dim, num_heads, bsz = 8, 2, 3
    in_proj = InProjContainer(*(nn.Linear(embed_dim, embed_dim) for _ in range(3)))
    out_proj = nn.Linear(embed_dim, embed_dim)
    mha = MultiheadAttentionContainer(num_heads, in_proj, ScaledDotProduct(), out_proj)
    rng = np.random.default_rng(2)
    query = rng.standard_normal((4, bsz, embed_dim)).astype("f4")
    key = rng.standard_normal((6, bsz, embed_dim)).astype("f4")
    out, weights = mha(ember.tensor(query), ember.tensor(key), ember.tensor(key))
    assert tuple(out.shape) == (4, bsz, embed_dim) and tuple(weights.shape) == (
        bsz * num_heads,
        4,
        6,
    )

    def linear(layer, x):
        return x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()

    head = embed_dim // num_heads
    q = linear(in_proj.query_proj, query).reshape(4, bsz * num_heads, head)
    k = linear(in_proj.key_proj, key).reshape(6, bsz * num_heads, head)
    v = linear(in_proj.value_proj, key).reshape(6, bsz * num_heads, head)
    attn, ref_weights = sdp_reference(q, k, v)
    ref = linear(out_proj, attn.reshape(4, bsz, embed_dim))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(weights.detach().numpy(), ref_weights, rtol=1e-4, atol=1e-5)

    out.sum().backward()
    assert in_proj.query_proj.weight.grad is not None and out_proj.weight.grad is not None

    batch_first = MultiheadAttentionContainer(
        num_heads, in_proj, ScaledDotProduct(), out_proj, batch_first=True
    )
    out_bf, _ = batch_first(*(ember.tensor(x.transpose(1, 0, 2)) for x in (query, key, key)))
    np.testing.assert_allclose(
        out_bf.detach().numpy(), ref.transpose(1, 0, 2), rtol=1e-4, atol=1e-5
    )

    with pytest.raises(AssertionError, match="divisible by the number of heads"):
        MultiheadAttentionContainer(3, in_proj, ScaledDotProduct(), out_proj)(
            ember.tensor(query), ember.tensor(key), ember.tensor(key)
        )
