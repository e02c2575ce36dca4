"""The self-attention of WavLM (Chen et al., 2022): multi-head attention whose additive mask is
a bucketed relative position bias, gated by the query (after microsoft/unilm's
``wavlm/modules.py``, as torchaudio ports it)."""

from __future__ import annotations

import math
import warnings

import ember
from ember import nn
from ember.nn import functional as F


def _additive_mask(mask, dtype):
    """A boolean mask (True: masked out) as ``-inf`` and ``0`` of ``dtype``; a float one as it
    is. Like torch, warn when its type is not ``dtype``."""
    if mask.dtype != ember.bool and not mask.is_floating_point():
        raise AssertionError("only bool and floating types of key_padding_mask are supported")
    if mask.dtype != dtype:
        warnings.warn(
            "Support for mismatched key_padding_mask and  is deprecated. Use same type for "
            "both instead.",
            stacklevel=3,
        )
    if mask.dtype == ember.bool:
        mask = ember.zeros_like(mask, dtype=dtype).masked_fill(mask, float("-inf"))
    return mask


class WavLMSelfAttention(nn.Module):
    """Multi-headed self-attention for WavLM model.

    Wraps around ``nn.MultiheadAttention``, creating relative position embeddings and passing
    them to multi-headed attention as a mask.

    Args:
        embed_dim (int): Total dimension of the model.
        num_heads (int): The number of heads.
        dropout (float, optional): Dropout probability on attn_output_weights.
            (Default: ``0.0``)
        bias (bool, optional): If ``True``, add bias to input / output projection layers.
            (Default: ``True``)
        has_relative_attention_bias (bool, optional): If ``True``, apply relative position
            embedding. Necessary in the first encoder layer, but not in the subsequent ones.
            (Default: ``False``)
        num_buckets (int, optional): Number of buckets for relative position embedding.
            (Default: ``32``)
        max_distance (int, optional): Maximum distance for relative position embedding.
            (Default: ``128``)
        gru_rel_pos (bool, optional): If ``True``, apply gated relative position embedding.
            (Default: ``True``)
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        has_relative_attention_bias=False,
        num_buckets=32,
        max_distance=128,
        gru_rel_pos=True,
    ):
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.has_relative_attention_bias = has_relative_attention_bias
        self.num_buckets = num_buckets
        self.max_distance = max_distance

        if has_relative_attention_bias:
            self.rel_attn_embed = nn.Embedding(num_buckets, num_heads)
        else:
            self.rel_attn_embed = None

        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        self.dropout = dropout
        self.attention = nn.MultiheadAttention(
            embed_dim, num_heads, dropout=dropout, bias=bias, batch_first=True
        )

        self.gru_rel_pos = gru_rel_pos
        if self.gru_rel_pos:
            self.gru_rel_pos_linear = nn.Linear(self.head_dim, 8)
            self.gru_rel_pos_const = nn.Parameter(ember.ones(1, num_heads, 1, 1))
        self.has_position_bias = True

    def compute_bias(self, query_length, key_length):
        """Compute relative position embeddings for WavLM model.

        Args:
            query_length (int): Query position can take values between 0 and
                ``query_length - 1``.
            key_length (int): Key position can take values between 0 and ``key_length - 1``.

        Returns:
            Tensor of shape `(num_heads, query_length, key_length)`, relative positions
            embeddings
        """
        device = self.rel_attn_embed.weight.device
        context_position = ember.arange(query_length, device=device)[:, None]
        memory_position = ember.arange(key_length, device=device)[None, :]
        relative_position = memory_position - context_position  # (query_length, key_length)
        buckets = self._relative_positions_bucket(relative_position, bidirectional=True)
        values = self.rel_attn_embed(buckets)  # (query_length, key_length, num_heads)
        return values.permute([2, 0, 1])

    def _relative_positions_bucket(self, relative_positions, bidirectional=True):
        """Compute relative position buckets for WavLM model (formula (5) of the WavLM paper):
        offsets below ``num_buckets // 4`` (half of that without ``bidirectional``) have a
        bucket each, larger ones share log-spaced buckets up to ``max_distance``.

        Args:
            relative_positions (Tensor): Relative offsets between query and key positions,
                of shape ``(query_length, key_length)``.
            bidirectional (bool): If ``True``, values will be filled both above and below the
                diagonal in the resulting matrix. If ``False``, the elements above the diagonal
                (i.e. with negative relative offsets) will be set to zero. (Default ``True``)

        Returns:
            Tensor of shape ``(query_length, key_length)`` filled bucketed values of with
            relative positions.
        """
        num_buckets = self.num_buckets
        relative_buckets = ember.zeros_like(relative_positions)
        if bidirectional:
            num_buckets = num_buckets // 2
            relative_buckets = relative_buckets + (relative_positions > 0).long() * num_buckets
            relative_positions = relative_positions.abs()
        else:
            relative_positions = -relative_positions.clamp(max=0)

        max_exact = num_buckets // 2
        is_small = relative_positions < max_exact
        # the logarithm is only used where the offset is at least max_exact: clamping there
        # keeps log(0) (and its cast to an integer) out of the small offsets
        large = relative_positions.clamp(min=max_exact).float()
        scaled = (
            ember.log(large / max_exact)
            / math.log(self.max_distance / max_exact)
            * (num_buckets - max_exact)
        )
        if_large = (max_exact + scaled.long()).clamp(max=num_buckets - 1)
        return relative_buckets + ember.where(is_small, relative_positions, if_large)

    def forward(self, query, key_padding_mask=None, attention_mask=None, position_bias=None):
        """
        Args:
            query (Tensor): Input of shape ``(batch_size, src_len, embed_dim)``.
            key_padding_mask (Tensor or None, optional): Mask to exclude keys that are pads, of
                shape `(batch, src_len)`, where padding elements are indicated by 1s.
                (Default: ``None``)
            attention_mask: Needs to be ``None``. The argument exists for compatibility with
                ``EncoderLayer``. (Default: ``None``)
            position_bias (Tensor or None, optional): Position bias of shape
                ``(batch_size, num_heads, src_len, src_len)``. When used inside WavLM model
                encoder, will be generated in the first layer and then passed from each encoder
                layer to the next one. (Default: ``None``)

        Returns:
            attn_output (Tensor): Attention output of shape ``(batch_size, src_len, embed_dim)``.
            position_bias (Tensor or None): Position bias of shape
            ``(batch_size, num_heads, src_len, src_len)``.
        """
        bsz, seq_len, embed_dim = query.shape
        if embed_dim != self.embed_dim:
            raise AssertionError(f"expected embed_dim {self.embed_dim}, got {embed_dim}")
        # as in torchaudio, WavLM cannot take the padding mask that `lengths` builds
        if attention_mask is not None:
            raise AssertionError("WavLMSelfAttention takes no attention_mask")

        if self.rel_attn_embed is not None and position_bias is None:
            position_bias = self.compute_bias(seq_len, seq_len)
            position_bias = position_bias.unsqueeze(0).expand(bsz, -1, -1, -1)

        attn_mask_rel_pos = None
        if position_bias is not None:
            attn_mask_rel_pos = position_bias
            if self.gru_rel_pos:  # gate the bias with the query
                query_layer = query.view(bsz, seq_len, self.num_heads, -1).permute(0, 2, 1, 3)
                gates = self.gru_rel_pos_linear(query_layer).view(
                    bsz, self.num_heads, seq_len, 2, 4
                )
                gate_a, gate_b = ember.sigmoid(gates.sum(-1)).chunk(2, dim=-1)
                gate_a_1 = gate_a * (gate_b * self.gru_rel_pos_const - 1.0) + 2.0
                attn_mask_rel_pos = gate_a_1.view(bsz, self.num_heads, -1, 1) * position_bias
            attn_mask_rel_pos = attn_mask_rel_pos.reshape(bsz, self.num_heads, seq_len, seq_len)

            if key_padding_mask is not None:
                key_padding_mask = _additive_mask(
                    key_padding_mask.view(bsz, 1, 1, seq_len), attn_mask_rel_pos.dtype
                )
                attn_mask_rel_pos = attn_mask_rel_pos + key_padding_mask

        projected = F.linear(query, self.attention.in_proj_weight, self.attention.in_proj_bias)
        shape = (bsz, seq_len, self.num_heads, self.head_dim)
        query, key, value = (t.view(shape).transpose(2, 1) for t in projected.chunk(3, -1))
        dropout = self.dropout if self.training else 0.0
        attn_output = F.scaled_dot_product_attention(
            query, key, value, attn_mask=attn_mask_rel_pos, dropout_p=dropout, is_causal=False
        )
        attn_output = attn_output.transpose(1, 2).reshape(bsz, -1, self.num_heads * self.head_dim)
        return self.attention.out_proj(attn_output), position_bias
