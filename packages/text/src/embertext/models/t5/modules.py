"""T5's layers (``torchtext.models.t5.modules``): attention with a learned relative position
bias, RMS layer norm, and the encoder and decoder stacks.

As in torchtext (and Hugging Face, which its code follows) attention scores are not scaled by
``head_dim ** -0.5`` (T5 folds the scale into its initialisation), inputs are batch first and
the first layer of each stack computes the relative position bias that the others reuse.
"""

from __future__ import annotations

import math
import warnings

import ember
from ember import nn
from ember.nn import functional as F
from ember.nn.modules.transformer import NonDynamicallyQuantizableLinear
from ember.ops.attention import _mha_shape_check

__all__ = ["T5MultiheadAttention", "T5LayerNorm", "T5Layer", "T5Encoder", "T5Decoder"]


class T5MultiheadAttention(nn.MultiheadAttention):
    """``nn.MultiheadAttention`` with T5's projections (``num_heads * qkv_dim`` wide, separate
    ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``, no bias by default), unscaled
    scores and a relative position bias.

    As in torchtext, the projection weights are left uninitialised (``ember.empty``): load a
    checkpoint, or initialise them, before use.

    Args:
        embed_dim: Total dimension of the model.
        num_heads: Parallel attention heads.
        is_decoder: Whether or not multihead attention is being performed on a decoder layer
            (causal self-attention, one-directional position buckets). Default: ``False``
        dropout: Probability of an element to be zeroed. Default: 0.0
        bias: If specified, adds bias to input / output projection layers. Default: ``False``.
        qkv_dim: Projection dimension (per head) for query, keys, and values. Default: 64.
        compute_relative_attention_bias: Whether this layer owns (and computes) the relative
            position embeddings ``relative_attention_bias``, typically the first layer of a
            stack. Default: ``False``
        relative_attention_num_buckets: Number of relative position buckets. Default: ``32``
        relative_attention_max_distance: Maximum threshold on the relative distance used to
            allocate buckets. Anything larger gets placed in the same bucket. Default: ``128``
        device, dtype: where and in which dtype to create the projections.
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        is_decoder=False,
        dropout=0.0,
        bias=False,
        qkv_dim=64,
        compute_relative_attention_bias=False,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        device=None,
        dtype=None,
    ):
        super().__init__(
            embed_dim, num_heads, dropout, bias, False, False, qkv_dim, qkv_dim, True, device, dtype
        )
        factory = {"device": device, "dtype": dtype}
        self.is_decoder = is_decoder
        self.inner_dim = qkv_dim * num_heads
        self.q_proj_weight = nn.Parameter(ember.empty((self.inner_dim, embed_dim), **factory))
        self.k_proj_weight = nn.Parameter(ember.empty((self.inner_dim, embed_dim), **factory))
        self.v_proj_weight = nn.Parameter(ember.empty((self.inner_dim, embed_dim), **factory))
        self.out_proj = NonDynamicallyQuantizableLinear(
            self.inner_dim, embed_dim, bias=bias, **factory
        )
        self.register_parameter("in_proj_weight", None)

        self.compute_relative_attention_bias = compute_relative_attention_bias
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        if compute_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(relative_attention_num_buckets, num_heads)
        else:
            self.relative_attention_bias = None

    def forward(
        self,
        query,
        key,
        value,
        query_length=None,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=False,
        position_bias=None,
        past_key_value=None,
    ):
        """Attend from ``query`` to ``key``/``value``, adding the relative position bias.

        Self-attention is detected by value (``ember.equal(query, key)``), as in torchtext. A
        decoder's self-attention is causal unless ``attn_mask`` is given.

        Args:
            query: ``(N, L, E)``. key, value: ``(N, S, E)``.
            query_length: the full query length when decoding incrementally.
            key_padding_mask: ``(N, S)``; True marks keys to ignore.
            need_weights: also return the attention weights.
            attn_mask: ``(L, S)``; True (or a float added to the scores) masks a pair.
            average_attn_weights: average the returned weights over the heads.
            position_bias: ``(1, H, L, S)`` bias from an earlier layer; None computes it (zeros
                when this layer has no ``relative_attention_bias``).
            past_key_value: the keys and values ``(N, H, S', qkv_dim)`` of earlier steps.

        Returns:
            ``(attn_output, position_bias, attn_output_weights, (keys, values))``: the output
            ``(N, L, E)``, the bias used ``(1, H, L, S)``, the weights ``(N, H, L, S)`` (or
            averaged ``(N, L, S)``, or None) and the projected keys and values.
        """
        is_self_attention = ember.equal(query, key)
        is_batched = _mha_shape_check(
            query, key, value, key_padding_mask, attn_mask, self.num_heads
        )
        if not is_batched:
            # torchtext inserts the batch dimension at 1, although the inputs are batch first
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)

        bsz, tgt_len, embed_dim = query.shape
        real_seq_length = tgt_len
        if past_key_value is not None:
            assert len(past_key_value) == 2, (
                "past_key_value should have 2 past states: keys and values. "
                f"Got {len(past_key_value)} past states"
            )
            real_seq_length += past_key_value[0].shape[2] if query_length is None else query_length
        src_len = real_seq_length if is_self_attention else key.shape[1]
        assert embed_dim == self.embed_dim, (
            f"was expecting embedding dimension of {self.embed_dim}, but got {embed_dim}"
        )
        head_dim = self.inner_dim // self.num_heads
        assert key.shape[:2] == value.shape[:2], (
            f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}"
        )

        if self.in_proj_bias is None:
            b_q = b_k = b_v = None
        else:
            b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        q, k, v = self._t5_in_projection(
            query, key, value, bsz, head_dim, b_q, b_k, b_v, is_self_attention, past_key_value
        )

        if attn_mask is None:
            if not self.is_decoder:
                attn_mask = ember.zeros((src_len, src_len), dtype=ember.bool, device=query.device)
            elif is_self_attention:
                causal = ember.ones((tgt_len, tgt_len), dtype=ember.bool, device=query.device)
                attn_mask = ember.triu(causal, diagonal=1)
            else:
                attn_mask = ember.zeros((tgt_len, src_len), device=query.device)
        if attn_mask.dtype == ember.uint8:
            warnings.warn(
                "Byte tensor for attn_mask is not supported. Using bool tensor instead.",
                stacklevel=3,
            )
            attn_mask = attn_mask.to(ember.bool)
        else:
            assert attn_mask.is_floating_point() or attn_mask.dtype == ember.bool, (
                f"Only float and bool types are supported for attn_mask, not {attn_mask.dtype}"
            )
        if attn_mask.dim() != 2:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
        attn_mask = attn_mask.view(1, 1, *attn_mask.shape).expand(bsz, self.num_heads, -1, -1)

        if key_padding_mask is not None and key_padding_mask.dtype == ember.uint8:
            warnings.warn(
                "Byte tensor for key_padding_mask is not supported. Using bool tensor instead.",
                stacklevel=3,
            )
            key_padding_mask = key_padding_mask.to(ember.bool)

        q = q.view(bsz, -1, self.num_heads, head_dim).transpose(1, 2)
        if past_key_value is None:
            k = k.view(bsz, -1, self.num_heads, head_dim).transpose(1, 2)
            v = v.view(bsz, -1, self.num_heads, head_dim).transpose(1, 2)
        src_len = k.size(2)

        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (bsz, src_len):
                # the mask may cover only the new positions when decoding incrementally
                assert past_key_value is not None, (
                    "Must provide past_key_value if key_padding_mask needs to be expanded."
                )
                key_padding_mask = key_padding_mask.expand(bsz, src_len)
            key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
                -1, self.num_heads, tgt_len, -1
            )
            if attn_mask.dtype == ember.bool:
                attn_mask = attn_mask.logical_or(key_padding_mask)
            else:
                attn_mask = attn_mask.masked_fill(key_padding_mask, float("-inf"))
        if attn_mask.dtype == ember.bool:
            attn_mask = ember.zeros_like(attn_mask, dtype=q.dtype).masked_fill(
                attn_mask, float("-inf")
            )

        dropout_p = self.dropout if self.training else 0.0

        if position_bias is None:
            if not self.compute_relative_attention_bias:
                position_bias = ember.zeros(
                    (1, self.num_heads, real_seq_length, src_len), device=k.device, dtype=k.dtype
                )
            else:
                position_bias = self._compute_bias(
                    real_seq_length, src_len, bidirectional=not self.is_decoder, device=k.device
                )
            if past_key_value is not None:
                position_bias = position_bias[:, :, -query.size(1) :, :]

        new_key_val = (k, v)
        attn_output, attn_output_weights = self._t5_dot_product_attention(
            q, k, v, position_bias, attn_mask, dropout_p
        )
        attn_output = F.linear(attn_output, self.out_proj.weight, self.out_proj.bias)

        if not need_weights:
            attn_output_weights = None
        elif average_attn_weights:
            attn_output_weights = attn_output_weights.sum(dim=1) / self.num_heads
        if not is_batched:
            attn_output = attn_output.squeeze(1)
            if attn_output_weights is not None:
                attn_output_weights = attn_output_weights.squeeze(0)
        return attn_output, position_bias, attn_output_weights, new_key_val

    def _t5_in_projection(
        self, query, key, value, bsz, head_dim, b_q, b_k, b_v, is_self_attention, past_key_value
    ):
        """The projected queries ``(N, L, inner_dim)`` and keys and values: projected the same
        way, or, with ``past_key_value``, ``(N, H, S, head_dim)`` (self-attention appends the
        new steps to the past ones; cross-attention reuses the past ones)."""
        for name, weight, x in (
            ("query", self.q_proj_weight, query),
            ("key", self.k_proj_weight, key),
            ("value", self.v_proj_weight, value),
        ):
            expected = (self.inner_dim, x.size(-1))
            assert tuple(weight.shape) == expected, (
                f"expecting {name} weights shape of {expected}, but got {weight.shape}"
            )
        query_proj = F.linear(query, self.q_proj_weight, b_q)
        if is_self_attention:
            key_proj = F.linear(query, self.k_proj_weight, b_k)
            value_proj = F.linear(query, self.v_proj_weight, b_v)
        elif past_key_value is None:
            key_proj = F.linear(key, self.k_proj_weight, b_k)
            value_proj = F.linear(value, self.v_proj_weight, b_v)

        if past_key_value is not None:
            if is_self_attention:
                key_proj = key_proj.view(bsz, -1, self.num_heads, head_dim).transpose(1, 2)
                value_proj = value_proj.view(bsz, -1, self.num_heads, head_dim).transpose(1, 2)
                key_proj = ember.cat([past_key_value[0], key_proj], dim=2)
                value_proj = ember.cat([past_key_value[1], value_proj], dim=2)
            else:
                key_proj, value_proj = past_key_value
        return query_proj, key_proj, value_proj

    def _t5_dot_product_attention(self, q, k, v, position_bias, attn_mask=None, dropout_p=0.0):
        """``softmax(q k^T + position_bias + attn_mask) v`` over ``(B, H, L, E)`` heads,
        unscaled; returns the heads joined ``(B, L, H * E)`` and the weights ``(B, H, L, S)``."""
        B, H, _, E = q.shape
        attn = ember.matmul(q, k.transpose(3, 2))
        bias = position_bias.repeat(B, 1, 1, 1)
        if attn_mask is not None:
            bias = bias + attn_mask
        attn = F.softmax(attn + bias, dim=-1)
        if dropout_p > 0.0:
            attn = F.dropout(attn, p=dropout_p)
        output = ember.matmul(attn, v)
        output = output.transpose(1, 2).contiguous().view(B, -1, H * E)
        return output, attn

    def _compute_bias(self, query_length, key_length, bidirectional=True, device=None):
        """The relative position bias ``(1, num_heads, query_length, key_length)``."""
        assert self.relative_attention_bias is not None
        context_position = ember.arange(query_length, dtype=ember.long, device=device)[:, None]
        memory_position = ember.arange(key_length, dtype=ember.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = self._relative_position_bucket(
            relative_position,
            bidirectional=bidirectional,
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )
        values = self.relative_attention_bias(relative_position_bucket)  # (L, S, H)
        return values.permute([2, 0, 1]).unsqueeze(0)

    def _relative_position_bucket(
        self, relative_position, bidirectional=True, num_buckets=32, max_distance=128
    ):
        """Translate relative positions (memory position minus query position) to buckets in
        ``[0, num_buckets)``, as Mesh TensorFlow's T5 does.

        Bidirectionally, half the buckets are for positive offsets; otherwise positive offsets
        (the future) all share bucket 0. Of the rest, half hold the exact distances
        ``0 .. max_exact - 1`` (``max_exact`` being half of them), the others distances growing
        logarithmically up to ``max_distance``; farther ones share the last bucket.
        """
        relative_buckets = ember.zeros(
            relative_position.shape, dtype=ember.long, device=relative_position.device
        )
        if bidirectional:
            num_buckets = num_buckets // 2
            relative_buckets += (relative_position > 0).to(ember.long) * num_buckets
            relative_position = ember.abs(relative_position)
        else:
            relative_position = -ember.min(relative_position, ember.zeros_like(relative_position))
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact
        # float32 as in torchtext, whose truncation the bucket edges depend on; the small
        # positions (whose logarithm would be -inf) are clamped, their bucket is the exact one
        scaled = relative_position.clamp(min=max_exact).float() / max_exact
        relative_position_if_large = max_exact + (
            ember.log(scaled) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
        ).to(ember.long)
        relative_position_if_large = ember.min(
            relative_position_if_large, ember.full_like(relative_position_if_large, num_buckets - 1)
        )
        relative_buckets += ember.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets


class T5LayerNorm(nn.Module):
    """T5's layer norm: scales by the root mean square, with no mean subtraction and no bias
    (RMSNorm, https://arxiv.org/abs/1910.07467). The mean square is taken in float32.

    Args:
        d_model: number of features (the last dimension).
        eps: added to the mean square. Default: 1e-6
    """

    def __init__(self, d_model, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(ember.ones(d_model))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        """``weight * x / sqrt(mean(x ** 2, -1) + eps)``, in float16 when the weight is."""
        variance = hidden_states.to(ember.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * ember.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype == ember.float16:  # (torch: or bfloat16, which Ember lacks)
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


def _activation(activation):
    if not isinstance(activation, str):
        return activation
    assert activation in ("relu", "gelu", "gelu_new"), (
        f"Do not support '{activation}' activation. Use 'relu' or 'gelu' or 'gelu_new'"
    )
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    # Hugging Face's "gelu_new": the tanh approximation
    return nn.GELU(approximate="tanh")


class T5Layer(nn.Module):
    """A T5 block: pre-norm self-attention, (in a decoder) pre-norm cross-attention over the
    encoder output, then a pre-norm feed-forward network, each added to its input.

    Args:
        d_model: Number of expected features in the input (required).
        nhead: Number of heads in the multihead attention models (required).
        dim_feedforward: Dimension of the feedforward network model (default: 3072).
        qkv_dim: Projection dimension (per head) for query, keys, and values. (default: 64).
        dropout: Dropout value (default: 0.1).
        activation: Activation function of the intermediate layer, can be a string
            ("relu", "gelu", or "gelu_new") or a unary callable. (default: F.relu)
        is_gated_act: Option to include gated activated as done in FLAN-T5, see
            https://huggingface.co/google/flan-t5-xxl. (default: False)
        layer_norm_eps: The eps value in layer normalization components. (default=1e-6)
        relative_attention_num_buckets: Number of relative position buckets. (default: 32)
        relative_attention_max_distance: Maximum threshold on the relative distance used to
            allocate buckets. Anything larger gets placed in the same bucket. (default: 128)
        compute_relative_attention_bias: Whether or not the relative position embeddings
            need to be computed (the first layer of a stack). (default: False)
        is_decoder: Whether the T5Layer will be instantiated as a decoder layer or encoder
            layer. (default: False)
        device, dtype: where and in which dtype to create the attention projections.

    Example:
        >>> single_encoder_layer = T5Layer(d_model=768, nhead=12)
        >>> single_encoder_layer(ember.rand(32, 20, 768))
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=3072,
        qkv_dim=64,
        dropout=0.1,
        activation=F.relu,
        is_gated_act=False,
        layer_norm_eps=1e-6,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        compute_relative_attention_bias=False,
        is_decoder=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.is_gated_act = is_gated_act
        self.compute_relative_attention_bias = compute_relative_attention_bias
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.is_decoder = is_decoder

        attention = {
            "dropout": dropout,
            "qkv_dim": qkv_dim,
            "relative_attention_num_buckets": relative_attention_num_buckets,
            "relative_attention_max_distance": relative_attention_max_distance,
            "device": device,
            "dtype": dtype,
        }
        self.self_attn = T5MultiheadAttention(
            d_model,
            nhead,
            is_decoder=is_decoder,
            compute_relative_attention_bias=compute_relative_attention_bias,
            **attention,
        )
        if self.is_decoder:
            self.cross_attn = T5MultiheadAttention(
                d_model, nhead, is_decoder=True, compute_relative_attention_bias=False, **attention
            )
            self.norm3 = T5LayerNorm(d_model, eps=layer_norm_eps)
            self.dropout4 = nn.Dropout(dropout)
        else:
            self.cross_attn = None
            self.norm3 = None
            self.dropout4 = None

        if self.is_gated_act:
            self.linear1 = None
            self.linear1_0 = nn.Linear(d_model, dim_feedforward, bias=False)
            self.linear1_1 = nn.Linear(d_model, dim_feedforward, bias=False)
        else:
            self.linear1 = nn.Linear(d_model, dim_feedforward, bias=False)
            self.linear1_0 = None
            self.linear1_1 = None
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=False)
        self.norm1 = T5LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = T5LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(
        self,
        seq,
        memory=None,
        mask=None,
        seq_key_padding_mask=None,
        memory_mask=None,
        memory_key_padding_mask=None,
        position_bias=None,
        past_key_values=None,
    ):
        """Pass the inputs (and masks) through the layer.

        Args:
            seq: ``(B, Ns, E)``: the source sequence (encoder) or the target (decoder).
            memory: the encoder output ``(B, Nm, E)``; required by a decoder layer.
            mask: ``(Ns, Ns)`` self-attention mask.
            seq_key_padding_mask: ``(B, Ns)``.
            memory_mask: cross-attention mask.
            memory_key_padding_mask: ``(B, Nm)``.
            position_bias: relative attention bias ``(1, H, Ns, Ns)`` from the first layer.
            past_key_values: self- then cross-attention keys and values of earlier steps.

        Returns:
            ``(output, position_bias, self_attention_scores, cross_attention_scores,
            key_values)``; the cross-attention parts are None in an encoder layer.
        """
        if past_key_values is not None:
            self_attn_past_key_value = past_key_values[:2]
            cross_attn_past_key_value = past_key_values[2:]
        else:
            self_attn_past_key_value = cross_attn_past_key_value = None

        x = seq
        sa_out, position_bias, sa_scores, sa_kv = self._sa_block(
            self.norm1(x), mask, seq_key_padding_mask, position_bias, self_attn_past_key_value
        )
        x = x + sa_out
        if self.is_decoder:
            assert memory is not None, "Must provide memory (encoder hidden states)."
            query_length = sa_kv[0].shape[2]
            ca_out, ca_scores, ca_kv = self._ca_block(
                self.norm3(x),
                memory,
                query_length,
                memory_mask,
                memory_key_padding_mask,
                cross_attn_past_key_value,
            )
            x = x + ca_out
        else:
            ca_scores, ca_kv = None, (None, None)
        x = x + self._ff_block(self.norm2(x))
        return x, position_bias, sa_scores, ca_scores, sa_kv + ca_kv

    def _sa_block(self, x, attn_mask, key_padding_mask, position_bias, past_key_value=None):
        attn, curr_position_bias, scores, curr_key_value = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=True,
            position_bias=position_bias,
            past_key_value=past_key_value,
        )
        if self.compute_relative_attention_bias:
            position_bias = curr_position_bias
        return self.dropout1(attn), position_bias, scores, curr_key_value

    def _ca_block(self, x, mem, query_length, attn_mask, key_padding_mask, past_key_value=None):
        attn, _, scores, curr_key_value = self.cross_attn(
            x,
            mem,
            mem,
            query_length=query_length,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=True,
            past_key_value=past_key_value,
        )
        return self.dropout4(attn), scores, curr_key_value

    def _ff_block(self, x):
        if self.is_gated_act:
            hidden_states = self.activation(self.linear1_0(x)) * self.linear1_1(x)
            hidden_states = self.linear2(self.dropout2(hidden_states))
        else:
            hidden_states = self.linear2(self.dropout2(self.activation(self.linear1(x))))
        return self.dropout3(hidden_states)


def _layers(num_layers, is_decoder, d_model, nhead, **kwargs):
    """The layers of a stack; only the first computes the relative position bias."""
    return nn.ModuleList(
        [
            T5Layer(
                d_model,
                nhead,
                compute_relative_attention_bias=i == 0,
                is_decoder=is_decoder,
                **kwargs,
            )
            for i in range(num_layers)
        ]
    )


class T5Encoder(nn.Module):
    """A stack of ``num_layers`` encoder layers, then a final ``T5LayerNorm``.

    Args: as :class:`T5Layer`, and
        num_layers: Number of encoder layers in the stack (required).
        token_embeddings (nn.Module): Embedding layer to be passed in the case that the input
            to ``forward`` is not already embedded.

    Example:
        >>> encoder = T5Encoder(d_model=768, nhead=12, num_layers=12)
        >>> encoder(embedded_src=ember.rand(32, 10, 768))["encoder_output"]
    """

    def __init__(
        self,
        d_model,
        nhead,
        num_layers,
        dim_feedforward=3072,
        qkv_dim=64,
        dropout=0.1,
        activation=F.relu,
        is_gated_act=False,
        layer_norm_eps=1e-6,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        token_embeddings=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.token_embeddings = token_embeddings
        self.layers = _layers(
            num_layers,
            False,
            d_model,
            nhead,
            dim_feedforward=dim_feedforward,
            qkv_dim=qkv_dim,
            dropout=dropout,
            activation=activation,
            is_gated_act=is_gated_act,
            layer_norm_eps=layer_norm_eps,
            relative_attention_num_buckets=relative_attention_num_buckets,
            relative_attention_max_distance=relative_attention_max_distance,
            device=device,
            dtype=dtype,
        )
        self.num_layers = num_layers
        self.norm = T5LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, src=None, mask=None, src_key_padding_mask=None, embedded_src=None):
        """Pass the input (and masks) through the stack of encoder layers.

        Args:
            src: token ids ``(B, Ne)`` (embedded by ``token_embeddings``).
            mask: self-attention mask ``(Ne, Ne)``.
            src_key_padding_mask: ``(B, Ne)``.
            embedded_src: the embedded input ``(B, Ne, E)``, instead of ``src``.

        Returns:
            dict: ``encoder_output`` (the normalised last layer), ``encoder_hidden_states`` (the
            input of every layer, then the output), ``encoder_position_bias`` and
            ``encoder_sa_scores`` (per layer).
        """
        if embedded_src is None:
            assert self.token_embeddings is not None and src is not None, (
                "Must provide `token_embeddings` and `tgt` if not providing already embedded "
                "tokens."
            )
            embedded_src = self.token_embeddings(src)

        output = self.dropout1(embedded_src)
        position_bias = None
        all_outputs = []
        all_sa_scores = []
        for mod in self.layers:
            all_outputs.append(output)
            output, position_bias, sa_score, _, _ = mod(
                output,
                mask=mask,
                seq_key_padding_mask=src_key_padding_mask,
                position_bias=position_bias,
            )
            all_sa_scores.append(sa_score)
        output = self.dropout2(self.norm(output))
        all_outputs.append(output)
        return {
            "encoder_output": output,
            "encoder_hidden_states": all_outputs,
            "encoder_position_bias": position_bias,
            "encoder_sa_scores": all_sa_scores,
        }


class T5Decoder(nn.Module):
    """A stack of ``num_layers`` decoder layers, then a final ``T5LayerNorm``.

    Args: as :class:`T5Layer`, and ``num_layers``: Number of decoder layers in the stack.

    Example:
        >>> decoder = T5Decoder(d_model=768, nhead=12, num_layers=12)
        >>> decoder(ember.rand(32, 1, 768), ember.rand(32, 10, 768))["decoder_output"]
    """

    def __init__(
        self,
        d_model,
        nhead,
        num_layers,
        dim_feedforward=3072,
        qkv_dim=64,
        dropout=0.1,
        activation=F.relu,
        is_gated_act=False,
        layer_norm_eps=1e-6,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.layers = _layers(
            num_layers,
            True,
            d_model,
            nhead,
            dim_feedforward=dim_feedforward,
            qkv_dim=qkv_dim,
            dropout=dropout,
            activation=activation,
            is_gated_act=is_gated_act,
            layer_norm_eps=layer_norm_eps,
            relative_attention_num_buckets=relative_attention_num_buckets,
            relative_attention_max_distance=relative_attention_max_distance,
            device=device,
            dtype=dtype,
        )
        self.norm = T5LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.num_layers = num_layers

    def forward(
        self,
        embedded_tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        past_key_values=None,
        return_past_key_values=False,
    ):
        """Pass the inputs (and masks) through the stack of decoder layers.

        Args:
            embedded_tgt: the embedded target ``(B, Nt, E)``.
            memory: the encoder output ``(B, Ns, E)``.
            tgt_mask: self-attention mask ``(Nt, Nt)`` (default causal).
            memory_mask: cross-attention mask ``(Nt, Ns)``.
            tgt_key_padding_mask: ``(B, Nt)``. memory_key_padding_mask: ``(B, Ns)``.
            past_key_values: per layer, the keys and values of earlier steps.
            return_past_key_values: return every layer's keys and values.

        Returns:
            dict: ``decoder_output``, ``decoder_hidden_states``, ``decoder_position_bias``,
            ``decoder_sa_scores``, ``decoder_ca_scores`` and ``past_key_values`` (empty unless
            requested).
        """
        output = self.dropout1(embedded_tgt)
        position_bias = None
        all_outputs = []
        all_sa_scores = []
        all_ca_scores = []
        all_key_values = []
        for i, mod in enumerate(self.layers):
            all_outputs.append(output)
            output, position_bias, sa_score, ca_score, past_key_value = mod(
                output,
                memory,
                mask=tgt_mask,
                memory_mask=memory_mask,
                seq_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                position_bias=position_bias,
                past_key_values=past_key_values[i] if past_key_values is not None else None,
            )
            all_sa_scores.append(sa_score)
            all_ca_scores.append(ca_score)
            if return_past_key_values:
                all_key_values.append(past_key_value)
        output = self.dropout2(self.norm(output))
        all_outputs.append(output)
        return {
            "decoder_output": output,
            "decoder_hidden_states": all_outputs,
            "decoder_position_bias": position_bias,
            "decoder_sa_scores": all_sa_scores,
            "decoder_ca_scores": all_ca_scores,
            "past_key_values": all_key_values,
        }
