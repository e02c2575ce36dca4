"""RoBERTa and XLM-R: the encoder, a classification head and the model joining them
(``torchtext.models.roberta.model``)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import ember
from ember import nn

from .modules import TransformerEncoder

__all__ = ["RobertaEncoderConf", "RobertaEncoder", "RobertaClassificationHead", "RobertaModel"]


@dataclass
class RobertaEncoderConf:
    """The encoder's configuration (defaults: RoBERTa base).

    The fields ``vocab_size``, ``embedding_dim``, ``ffn_dimension``, ``padding_idx``,
    ``max_seq_len``, ``num_attention_heads``, ``num_encoder_layers``, ``dropout`` and
    ``normalize_before`` are as in :class:`~embertext.models.roberta.modules.TransformerEncoder`;
    ``scaling`` is the attention scaling (default ``head_dim ** -0.5``), which torchtext ignores.
    """

    vocab_size: int = 50265
    embedding_dim: int = 768
    ffn_dimension: int = 3072
    padding_idx: int = 1
    max_seq_len: int = 514
    num_attention_heads: int = 12
    num_encoder_layers: int = 12
    dropout: float = 0.1
    scaling: float | None = None
    normalize_before: bool = False


class RobertaEncoder(nn.Module):
    """The transformer encoder returning batch-first features ``(B, T, C)``.

    Args: the fields of :class:`RobertaEncoderConf`, and ``freeze`` (bool): make the
    parameters not require grad.
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim,
        ffn_dimension,
        padding_idx,
        max_seq_len,
        num_attention_heads,
        num_encoder_layers,
        dropout=0.1,
        scaling=None,
        normalize_before=False,
        freeze=False,
    ):
        super().__init__()
        if not scaling:
            head_dim = embedding_dim // num_attention_heads
            scaling = 1.0 / math.sqrt(head_dim)

        self.transformer = TransformerEncoder(
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            padding_idx=padding_idx,
            max_seq_len=max_seq_len,
            ffn_dimension=ffn_dimension,
            num_encoder_layers=num_encoder_layers,
            num_attention_heads=num_attention_heads,
            dropout=dropout,
            normalize_before=normalize_before,
            scaling=scaling,
            return_all_layers=False,
        )
        if freeze:
            for p in self.parameters():
                p.requires_grad = False

    def forward(self, tokens, masked_tokens=None):
        """``tokens`` ``(B, T)`` -> features ``(B, T, C)``; with ``masked_tokens`` (a ``(B, T)``
        mask) only the selected positions, ``(K, C)``."""
        output = self.transformer(tokens)
        if isinstance(output, list):
            output = output[-1]
        output = output.transpose(1, 0)
        if masked_tokens is not None:
            output = output[masked_tokens.to(ember.bool), :]
        return output


class RobertaClassificationHead(nn.Module):
    """Classifies from the first token's features: dropout, ``dense``, activation, dropout,
    ``out_proj``.

    Args:
        num_classes (int): number of classes.
        input_dim (int): feature size of the encoder.
        inner_dim (int, optional): width of ``dense`` (default ``input_dim``).
        dropout (float): dropout probability.
        activation: the activation's module class (default ``nn.ReLU``).
    """

    def __init__(self, num_classes, input_dim, inner_dim=None, dropout=0.1, activation=nn.ReLU):
        super().__init__()
        if not inner_dim:
            inner_dim = input_dim
        self.dense = nn.Linear(input_dim, inner_dim)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(inner_dim, num_classes)
        self.activation_fn = activation()

    def forward(self, features):
        """``features`` ``(B, T, C)`` -> logits ``(B, num_classes)``."""
        x = features[:, 0, :]
        x = self.dropout(x)
        x = self.dense(x)
        x = self.activation_fn(x)
        x = self.dropout(x)
        x = self.out_proj(x)
        return x


class RobertaModel(nn.Module):
    """A RoBERTa encoder with an optional task head.

    Args:
        encoder_conf (RobertaEncoderConf): the encoder's configuration.
        head (nn.Module, optional): applied to the encoder's features.
        freeze_encoder (bool): make the encoder's parameters not require grad.

    Example:
        >>> from embertext.models import RobertaEncoderConf, RobertaModel, RobertaClassificationHead
        >>> roberta_encoder_conf = RobertaEncoderConf(vocab_size=250002)
        >>> encoder = RobertaModel(roberta_encoder_conf)
        >>> classifier_head = RobertaClassificationHead(num_classes=2, input_dim=768)
        >>> classifier = RobertaModel(roberta_encoder_conf, head=classifier_head)
    """

    def __init__(self, encoder_conf, head=None, freeze_encoder=False):
        super().__init__()
        assert isinstance(encoder_conf, RobertaEncoderConf)

        self.encoder = RobertaEncoder(**asdict(encoder_conf), freeze=freeze_encoder)
        self.head = head

    def forward(self, tokens, masked_tokens=None):
        """``tokens`` ``(B, T)`` -> the encoder's features ``(B, T, C)``, or the head's output."""
        features = self.encoder(tokens, masked_tokens)
        if self.head is None:
            return features
        return self.head(features)
