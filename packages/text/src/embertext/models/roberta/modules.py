"""The RoBERTa encoder's layers (``torchtext.models.roberta.modules``).

torchtext builds the stack from ``torch.nn.TransformerEncoder`` (GELU, batch first, post- or
pre-norm) and renames, on load, the keys of checkpoints written before it did so (fairseq's
``layers.0.attention.input_projection.weight``...) to the ``nn.TransformerEncoderLayer`` ones
(``layers.layers.0.self_attn.in_proj_weight``...); so does this module.
"""

from __future__ import annotations

import ember
from ember import nn

__all__ = ["PositionalEmbedding", "TransformerEncoderLayer", "TransformerEncoder"]

# nn.TransformerEncoderLayer's names -> the names of torchtext's earlier layer (and fairseq's)
_BETTER_TO_OLD_NAMES = {
    "self_attn.in_proj_weight": "attention.input_projection.weight",
    "self_attn.in_proj_bias": "attention.input_projection.bias",
    "self_attn.out_proj.weight": "attention.output_projection.weight",
    "self_attn.out_proj.bias": "attention.output_projection.bias",
    "linear1.weight": "residual_mlp.mlp.0.weight",
    "linear1.bias": "residual_mlp.mlp.0.bias",
    "linear2.weight": "residual_mlp.mlp.3.weight",
    "linear2.bias": "residual_mlp.mlp.3.bias",
    "norm1.weight": "attention_layer_norm.weight",
    "norm1.bias": "attention_layer_norm.bias",
    "norm2.weight": "final_layer_norm.weight",
    "norm2.bias": "final_layer_norm.bias",
}


def _rename_old_keys(state_dict, better_prefix, old_prefix, strict, missing_keys):
    """Move each old-named entry of ``state_dict`` to its new name (in place); with
    ``strict``, a layer parameter found under neither name is reported missing."""
    for better, old in _BETTER_TO_OLD_NAMES.items():
        better_name = better_prefix + better
        old_name = old_prefix + old
        if old_name in state_dict:
            state_dict[better_name] = state_dict.pop(old_name)
        elif better_name not in state_dict and strict:
            missing_keys.append(better_name)


def _encoder_layer(embedding_dim, num_attention_heads, ffn_dimension, dropout, normalize_before):
    return nn.TransformerEncoderLayer(
        d_model=embedding_dim,
        nhead=num_attention_heads,
        dim_feedforward=ffn_dimension or 4 * embedding_dim,
        dropout=dropout,
        activation="gelu",
        batch_first=True,
        norm_first=normalize_before,
    )


class PositionalEmbedding(nn.Module):
    """Learned positions, counted from ``pad_index + 1`` over the non-padding tokens of each
    sequence (fairseq's ``make_positions``); padding tokens get position ``pad_index``.

    Args:
        num_embeddings (int): number of positions (``max_seq_len``).
        embedding_dim (int): size of each position vector.
        pad_index (int): the padding token's index.
    """

    def __init__(self, num_embeddings, embedding_dim, pad_index):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim, pad_index)
        self.pad_index = pad_index

    def forward(self, input):
        """``input``: token ids ``(B, T)``; returns ``(B, T, embedding_dim)``."""
        positions = self._make_positions(input, self.pad_index)
        return self.embedding(positions)

    def max_positions(self):
        """The number of positions a sequence can use.

        torchtext reads ``self.num_embeddings``, which it never sets (AttributeError); the
        embedding's count is meant.
        """
        if self.pad_index is not None:
            return self.embedding.num_embeddings - self.pad_index - 1
        return self.embedding.num_embeddings

    def _make_positions(self, tensor, pad_index):
        masked = tensor.ne(pad_index).long()
        return ember.cumsum(masked, dim=1) * masked + pad_index


class TransformerEncoderLayer(nn.Module):
    """One ``nn.TransformerEncoderLayer`` (GELU, batch first) under ``better_transformer``,
    taking ``(T, B, C)`` inputs; it loads the old key names too.

    Args:
        embedding_dim (int): model dimension.
        num_attention_heads (int): number of heads.
        ffn_dimension (int, optional): feed-forward width (default ``4 * embedding_dim``).
        dropout (float): dropout probability.
        normalize_before (bool): layer norm before attention and feed-forward (pre-norm).
        scaling (float, optional): accepted and ignored, as in torchtext (the attention
            always scales by ``head_dim ** -0.5``).
    """

    def __init__(
        self,
        embedding_dim,
        num_attention_heads,
        ffn_dimension=None,
        dropout=0.1,
        normalize_before=False,
        scaling=None,
    ):
        super().__init__()
        self.better_transformer = _encoder_layer(
            embedding_dim, num_attention_heads, ffn_dimension, dropout, normalize_before
        )

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        _rename_old_keys(state_dict, prefix + "better_transformer.", prefix, strict, missing_keys)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, input, key_padding_mask, attn_mask=None):
        """``input``: ``(T, B, C)``; ``key_padding_mask``: ``(B, T)``, True at padding."""
        # nn.TransformerEncoderLayer takes attn_mask before key_padding_mask
        return self.better_transformer(
            input.transpose(0, 1), attn_mask, key_padding_mask
        ).transpose(0, 1)


class TransformerEncoder(nn.Module):
    """Token and position embeddings, then ``num_encoder_layers`` transformer layers.

    Post-norm (``normalize_before=False``) normalises the embeddings; pre-norm normalises the
    output with the same ``embedding_layer_norm`` instead.

    Padding positions (``padding_idx`` tokens) are masked out as keys. torch, in evaluation
    without autograd, runs the stack on nested tensors and returns zeros at padding
    positions; Ember has no nested tensors and returns what the layers compute there.

    Args:
        vocab_size (int): number of tokens.
        embedding_dim (int): model dimension.
        padding_idx (int): the padding token.
        max_seq_len (int): number of learned positions.
        num_encoder_layers (int): depth.
        num_attention_heads (int): heads per layer.
        ffn_dimension (int, optional): feed-forward width (default ``4 * embedding_dim``).
        dropout (float): dropout probability.
        normalize_before (bool): pre-norm layers.
        scaling (float, optional): accepted and ignored, as in torchtext.
        return_all_layers (bool): return the embeddings and every layer's output (a list).
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim,
        padding_idx,
        max_seq_len,
        num_encoder_layers,
        num_attention_heads,
        ffn_dimension=None,
        dropout=0.1,
        normalize_before=False,
        scaling=None,
        return_all_layers=False,
    ):
        super().__init__()
        self.padding_idx = padding_idx
        self.token_embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx)
        layer = _encoder_layer(
            embedding_dim, num_attention_heads, ffn_dimension, dropout, normalize_before
        )
        self.layers = nn.TransformerEncoder(
            encoder_layer=layer,
            num_layers=num_encoder_layers,
            enable_nested_tensor=True,
            mask_check=False,
        )
        self.positional_embedding = PositionalEmbedding(max_seq_len, embedding_dim, padding_idx)
        self.embedding_layer_norm = nn.LayerNorm(embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.normalize_before = normalize_before
        self.return_all_layers = return_all_layers

    def forward(self, tokens, attn_mask=None):
        """Encode ``tokens`` ``(B, T)``.

        Args:
            tokens: token ids ``(B, T)``.
            attn_mask: float or bool ``(T, T)`` mask; as in torchtext, only the
                ``return_all_layers`` path applies it.

        Returns:
            ``(T, B, C)``, or with ``return_all_layers`` a list of ``num_encoder_layers + 1``
            such tensors (the embeddings first).
        """
        if attn_mask is not None and not (
            attn_mask.is_floating_point() or attn_mask.dtype == ember.bool
        ):
            raise AssertionError(
                f"Only float or bool types are supported for attn_mask not {attn_mask.dtype}"
            )
        padding_mask = tokens.eq(self.padding_idx)
        embedded = self.token_embedding(tokens) + self.positional_embedding(tokens)
        if not self.normalize_before:
            embedded = self.embedding_layer_norm(embedded)
        embedded = self.dropout(embedded)

        if self.return_all_layers:
            encoded = embedded
            states = [encoded.transpose(1, 0)]
            for layer in self.layers.layers:
                encoded = layer(encoded, src_key_padding_mask=padding_mask, src_mask=attn_mask)
                states.append(encoded.transpose(1, 0))
            if self.normalize_before:
                states = [self.embedding_layer_norm(state) for state in states]
            return states
        encoded = self.layers(embedded, src_key_padding_mask=padding_mask).transpose(1, 0)
        if self.normalize_before:
            encoded = self.embedding_layer_norm(encoded)
        return encoded

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        for i in range(self.layers.num_layers):
            _rename_old_keys(
                state_dict,
                f"{prefix}layers.layers.{i}.",
                f"{prefix}layers.{i}.",
                strict,
                missing_keys,
            )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
