"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (the
computation behind ``nn.MultiheadAttention``).

Both are compositions of ember operations (matmul, softmax, masked_fill, dropout, linear), so
their gradients, and gradients of gradients, come from the parts.
"""

from __future__ import annotations

import math
import warnings

from .._creation import full, zeros, zeros_like
from .._dtype import bool_
from ..amp.autocast_mode import autocast_op
from .activation import softmax
from .dropout import dropout
from .linalg import baddbmm, bmm
from .linear import linear
from .shape import cat

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_NEG_INF = float("-inf")


def causal_mask(L, S, dtype, device):
    """The additive causal mask ``(L, S)``: 0 where key j <= query i may be attended, -inf
    above the diagonal (the same as a lower-triangular boolean mask)."""
    return full((L, S), _NEG_INF, dtype=dtype, device=device).triu(1)


def _bool_to_additive(mask, dtype):
    """A boolean mask where True takes part in attention as an additive one: 0 / -inf."""
    return zeros_like(mask, dtype=dtype).masked_fill_(mask.logical_not(), _NEG_INF)


def _validate_sdpa_input(query, key, value, attn_mask):
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype.cpp_name} key.dtype: {key.dtype.cpp_name} and "
            f"value.dtype: {value.dtype.cpp_name} instead."
        )
    if not query.device == key.device == value.device:
        raise RuntimeError(
            "Expected query, key, and value to have the same device type, but got "
            f"query.device: {query.device} key.device: {key.device} and value.device: "
            f"{value.device} instead."
        )
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        # (the double space is torch's)
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            "instead."
        )
    if attn_mask is not None and attn_mask.dtype.name not in ("bool", "float32", query.dtype.name):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype.cpp_name} and  query.dtype: "
            f"{query.dtype.cpp_name} instead."
        )


def _repeat_heads(query, key, value):
    """Grouped-query attention: repeat each key/value head so the head counts (dim -3) match
    the query's, as ``repeat_interleave(query_heads // heads, -3)``."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq == hk == hv:
        return key, value
    if hq % hk or hq % hv:
        raise RuntimeError(
            "Number of heads in key and value must divide the number of heads in query"
        )

    def repeat(x):
        # (..., H, S, E) -> (..., H, r, S, E) -> (..., H*r, S, E): each head r times in a row
        r = hq // x.shape[-3]
        shape = list(x.shape)
        expanded = x.unsqueeze(-3).expand(*shape[:-2], r, *shape[-2:])
        return expanded.reshape(*shape[:-3], hq, *shape[-2:])

    return repeat(key), repeat(value)


def _safe_softmax(scores, bias):
    """softmax over the last dimension, where a row that ``bias`` masks out entirely gives
    zeros instead of nan (torch's ``_safe_softmax``).

    Such rows are found from the mask, not the scores, so unmasked calls pay nothing. Their
    scores are zeroed before the softmax too: the output is then finite and the zeroed rows
    pass zero gradients back, where softmax of a row of -inf would pass nan.
    """
    if bias is None:
        return softmax(scores, -1)
    dead = (bias == _NEG_INF).all(-1, keepdim=True)
    if not dead.any():
        return softmax(scores, -1)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


@autocast_op("scaled_dot_product_attention")
def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p=0.0,
    is_causal=False,
    scale=None,
    enable_gqa=False,
):
    """softmax(Q Kᵀ · scale + mask) V, with optional dropout on the attention weights.

    Args:
        query: ``(N, ..., L, E)``.
        key: ``(N, ..., S, E)``.
        value: ``(N, ..., S, Ev)``.
        attn_mask: broadcastable to ``(N, ..., L, S)``. A boolean mask marks with True the
            positions that take part in attention; a float mask is added to the scores.
        dropout_p: probability of zeroing an attention weight (the survivors are scaled by
            ``1 / (1 - p)``); drawn from the default generator.
        is_causal: attend only to keys j <= i (a lower-triangular mask); ``attn_mask`` must
            then be None.
        scale: the factor on Q Kᵀ; default ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: key/value may have fewer heads (dim -3) than
            query, each then shared by ``query_heads // heads`` consecutive query heads.

    Returns:
        ``(N, ..., L, Ev)``. A query row whose every key is masked out gives zeros (torch's
        math backend), not nan.
    """
    _validate_sdpa_input(query, key, value, attn_mask)
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
        bias = causal_mask(L, S, query.dtype, query.device)
    elif attn_mask is not None and attn_mask.dtype is bool_:
        bias = _bool_to_additive(attn_mask, query.dtype)
    elif attn_mask is not None:
        bias = attn_mask.to(query.dtype)
    else:
        bias = None
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    # sqrt(scale) on each side keeps the products small in float16 (torch does the same)
    root = math.sqrt(abs(scale))
    scores = (query * math.copysign(root, scale)).matmul(key.transpose(-2, -1) * root)
    if bias is not None:
        scores = scores + bias
    weights = _safe_softmax(scores, None if is_causal else bias)  # a causal row is never empty
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights.matmul(value)


# ------------------------------------------------------------------------ multi-head attention


def _canonical_mask(mask, mask_name, target_type, other=None, other_name=""):
    """A boolean (True = masked out) or float mask as a float one in ``target_type``:
    -inf where masked, 0 elsewhere. Float masks are returned as they are. Like torch, warn
    when ``other`` (the call's other mask) is of another type."""
    if mask is None:
        return None
    if mask.dtype is not bool_ and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if other is not None and mask.dtype is not other.dtype:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            "for both instead.",
            stacklevel=4,
        )
    if mask.dtype is bool_:
        mask = zeros_like(mask, dtype=target_type).masked_fill_(mask, _NEG_INF)
    return mask


def canonical_masks(padding_mask, padding_name, attn_mask, attn_name, target_type):
    """The key padding mask and attention mask of one call, both as float masks (the
    Transformer layers of ``nn`` prepare theirs with it too)."""
    padding_mask = _canonical_mask(padding_mask, padding_name, target_type, attn_mask, attn_name)
    return padding_mask, _canonical_mask(attn_mask, attn_name, target_type)


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Check the ranks of the inputs; return whether the input is batched (3-D query)."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.dim()}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.dim()}-D query tensor"
    )


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v through the three row blocks of the packed weight ``w`` ``(3E, E)``; one GEMM
    when they are the same tensor (self-attention), two when only k is v."""
    E = q.shape[-1]
    if k is v:
        if q is k:
            return linear(q, w, b).chunk(3, dim=-1)
        w_q, w_kv = w.split([E, 2 * E])
        b_q, b_kv = (None, None) if b is None else b.split([E, 2 * E])
        return (linear(q, w_q, b_q), *linear(k, w_kv, b_kv).chunk(2, dim=-1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """q, k, v through their own weights ``(Eq, Eq)``, ``(Eq, Ek)``, ``(Eq, Ev)``."""
    Eq, Ek, Ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, t, shape in (
        ("query weights", w_q, (Eq, Eq)),
        ("key weights", w_k, (Eq, Ek)),
        ("value weights", w_v, (Eq, Ev)),
        ("query bias", b_q, (Eq,)),
        ("key bias", b_k, (Eq,)),
        ("value bias", b_v, (Eq,)),
    ):
        if t is not None and tuple(t.shape) != shape:
            raise AssertionError(f"expecting {name} shape of {shape}, but got {t.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _pad_key(mask):
    """One more key column, not masked (0), at the end of the last dimension."""
    return cat([mask, zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)], -1)


def _static_kv(static, name, bsz, num_heads, head_dim):
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(
            f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.shape[0]}"
        )
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Multi-head attention: project query/key/value, attend per head, project the result.

    Args:
        query: ``(L, N, E)`` or unbatched ``(L, E)``; key, value: ``(S, N, Ek)``,
            ``(S, N, Ev)`` (or ``(S, Ek)``, ``(S, Ev)``).
        embed_dim_to_check: E, checked against the query.
        num_heads: number of heads; E must divide by it.
        in_proj_weight, in_proj_bias: the packed q/k/v projection ``(3E, E)`` and ``(3E,)``.
        bias_k, bias_v: ``(1, 1, E)`` biases appended as one more key/value, or None.
        add_zero_attn: append a zero key/value (after the heads are split).
        dropout_p: dropout on the attention weights (only when ``training``).
        out_proj_weight, out_proj_bias: the output projection ``(E, E)`` and ``(E,)``.
        training: apply dropout.
        key_padding_mask: ``(N, S)`` or ``(S,)``: True (or -inf) marks keys to ignore; a
            float mask is added.
        need_weights: also return the attention weights (computed without the fused
            ``scaled_dot_product_attention``; a fully masked row is then nan, as in torch).
        attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; True (or -inf) = not allowed to
            attend, a float mask is added.
        use_separate_proj_weight: use ``q_proj_weight``, ``k_proj_weight``,
            ``v_proj_weight`` (needed when key/value sizes differ from E) instead of
            ``in_proj_weight``.
        static_k, static_v: ``(N * num_heads, S, E / num_heads)`` keys/values used as they are.
        average_attn_weights: average the returned weights over the heads.
        is_causal: a hint that ``attn_mask`` is the causal mask (it must still be given).

    Returns:
        ``(attn_output, attn_weights)``: ``(L, N, E)`` (or ``(L, E)``), and the weights
        ``(N, L, S)`` averaged or ``(N, num_heads, L, S)`` per head (without the N for
        unbatched input), or None when ``need_weights`` is False.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        # run as a batch of one; the batch dimension comes off again at the end
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)

    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", query.dtype, attn_mask, "attn_mask"
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        # the hint alone is enough for scaled_dot_product_attention
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal

    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None"
                )
        biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(
            query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, *biases
        )
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else _pad_key(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_key(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")

    # (len, N, E) -> (N * heads, len, head_dim): the heads become batch entries
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        k = _static_kv(static_k, "static_k", bsz, num_heads, head_dim)
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        v = _static_kv(static_v, "static_v", bsz, num_heads, head_dim)

    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype, device=v.device)], 1)
        attn_mask = None if attn_mask is None else _pad_key(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_key(key_padding_mask)

    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{key_padding_mask.shape}"
            )
        key_padding_mask = (
            key_padding_mask.reshape(bsz, 1, 1, src_len)
            .expand(-1, num_heads, -1, -1)
            .reshape(bsz * num_heads, 1, src_len)
        )
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        # the weights are wanted, so compute them in the open rather than fused
        q_scaled = q * math.sqrt(1.0 / head_dim)
        k_t = k.transpose(-2, -1)
        if attn_mask is None:
            weights = bmm(q_scaled, k_t)
        else:
            weights = baddbmm(attn_mask.expand(bsz * num_heads, -1, -1), q_scaled, k_t)
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        attn_output = bmm(weights, v)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        if attn_mask is not None:
            # (1, L, S) broadcasts over batch and heads; (N * heads, ...) splits into both
            if attn_mask.shape[0] == 1:
                attn_mask = attn_mask.unsqueeze(0)
            else:
                attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
        attn_output = scaled_dot_product_attention(
            q.reshape(bsz, num_heads, tgt_len, head_dim),
            k.reshape(bsz, num_heads, src_len, head_dim),
            v.reshape(bsz, num_heads, src_len, head_dim),
            attn_mask,
            dropout_p,
            is_causal,
        )
        weights = None

    # (N * heads, L, head_dim) -> (L, N, E) whichever path produced it
    attn_output = attn_output.reshape(bsz, num_heads, tgt_len, head_dim).permute(2, 0, 1, 3)
    attn_output = linear(
        attn_output.reshape(tgt_len * bsz, embed_dim), out_proj_weight, out_proj_bias
    ).reshape(tgt_len, bsz, -1)
    if not is_batched:
        attn_output = attn_output.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return attn_output, weights
