"""The T5 model and its configuration (``torchtext.models.t5.model``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import ember
from ember import nn

from .modules import T5Decoder, T5Encoder

__all__ = ["T5Conf", "T5Model"]


@dataclass
class T5Conf:
    """T5's configuration (defaults: T5 base). See :class:`T5Model` for the fields.

    ``feed_forward_proj`` (``"relu"``, ``"gated-gelu"``...), when given, sets ``activation``
    and ``is_gated_act`` (T5 v1.1 and FLAN-T5); ``"gated-gelu"`` means the tanh-approximated
    GELU (``"gelu_new"``), as in Hugging Face.
    """

    encoder_only: bool = False
    linear_head: bool = False
    embedding_dim: int = 768
    qkv_dim: int = 64
    num_attention_heads: int = 12
    num_encoder_layers: int = 12
    num_decoder_layers: int = 12
    ffn_dimension: int = 3072
    dropout: float = 0.1
    activation: str | Callable = "relu"
    layer_norm_eps: float = 1e-6
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    padding_idx: int = 0
    max_seq_len: int = 512
    vocab_size: int = 32128
    training: bool = False
    feed_forward_proj: str | None = None
    is_gated_act: bool = False

    def __post_init__(self):
        if self.feed_forward_proj:
            act_info = self.feed_forward_proj.split("-")
            self.activation = act_info[-1]
            self.is_gated_act = act_info[0] == "gated"
            if (len(act_info) > 1 and act_info[0] != "gated") or len(act_info) > 2:
                raise ValueError(
                    f"`feed_forward_proj`: {self.feed_forward_proj} is not a valid activation "
                    "function of the dense layer.Please make sure `feed_forward_proj` is of the "
                    "format `gated-{ACT_FN}` or `{ACT_FN}`, e.g. 'gated-gelu' or 'relu'"
                )
            # for backwards compatibility
            if self.feed_forward_proj == "gated-gelu":
                self.activation = "gelu_new"


class T5Model(nn.Module):
    r"""A T5 model (an encoder, or an encoder and a decoder sharing the token embeddings),
    from "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer"
    (Raffel et al., JMLR 2020, http://jmlr.org/papers/v21/20-074.html).

    Args:
        config (T5Conf): ``encoder_only`` (no decoder), ``linear_head`` (project the decoder
            output onto the vocabulary), ``embedding_dim``, ``qkv_dim`` (per head),
            ``num_attention_heads``, ``num_encoder_layers``, ``num_decoder_layers``,
            ``ffn_dimension``, ``dropout``, ``activation``, ``layer_norm_eps``,
            ``relative_attention_num_buckets``, ``relative_attention_max_distance``,
            ``padding_idx`` (also the decoder's start token), ``max_seq_len``, ``vocab_size``,
            ``training`` (apply dropout; when False every dropout probability is 0).
        freeze (bool): make the parameters not require grad. (default: False)
        device, dtype: where and in which dtype to create the attention projections.

    Example:
        >>> from embertext.models import T5Conf, T5Model
        >>> t5_config = T5Conf(encoder_only=False, linear_head=True)
        >>> t5_model = T5Model(t5_config)
        >>> encoder_input = ember.randint(0, t5_config.vocab_size, (32, 512))
        >>> t5_model(encoder_input)["decoder_output"].shape
        ember.Size([32, 1, 32128])
    """

    def __init__(self, config, freeze=False, device=None, dtype=None):
        super().__init__()
        assert isinstance(config, T5Conf)

        self.config = config
        self.embedding_dim = config.embedding_dim
        self.encoder_only = config.encoder_only
        self.linear_head = config.linear_head
        self.padding_idx = config.padding_idx
        self.training = config.training
        self.dropout = config.dropout if config.training else 0.0
        self.dtype = dtype

        stack = {
            "d_model": config.embedding_dim,
            "nhead": config.num_attention_heads,
            "dim_feedforward": config.ffn_dimension,
            "qkv_dim": config.qkv_dim,
            "dropout": self.dropout,
            "activation": config.activation,
            "is_gated_act": config.is_gated_act,
            "layer_norm_eps": config.layer_norm_eps,
            "relative_attention_num_buckets": config.relative_attention_num_buckets,
            "relative_attention_max_distance": config.relative_attention_max_distance,
            "device": device,
            "dtype": dtype,
        }
        self.token_embeddings = nn.Embedding(
            config.vocab_size, config.embedding_dim, config.padding_idx
        )
        self.encoder = T5Encoder(
            num_layers=config.num_encoder_layers, token_embeddings=self.token_embeddings, **stack
        )
        if not config.encoder_only:
            self.decoder = T5Decoder(num_layers=config.num_decoder_layers, **stack)
        else:
            self.decoder = None
        if config.linear_head:
            self.lm_head = nn.Linear(config.embedding_dim, config.vocab_size, bias=False)
        else:
            self.lm_head = None

        if freeze:
            for p in self.parameters():
                p.requires_grad = False

    def _reorder_cache(self, past, beam_idx):
        """Reorder past key value pairs in cache. Only relevant in incremental decoding with
        beam search generation."""
        if past is None:
            return past
        return [
            tuple(state.index_select(0, beam_idx.to(state.device)) for state in layer_past)
            for layer_past in past
        ]

    def _shift_right(self, input_ids):
        """Shift all input sequences to the right, starting them with ``padding_idx``."""
        shifted_input_ids = ember.zeros_like(input_ids)
        shifted_input_ids[:, 1:] = input_ids[:, :-1].clone()
        shifted_input_ids[:, 0] = self.padding_idx
        return shifted_input_ids

    def prepare_inputs_for_generation(
        self,
        input_ids,
        encoder_outputs=None,
        encoder_padding_mask=None,
        past=None,
        return_past_key_values=True,
        model_kwargs=None,
    ):
        """The keyword arguments of the model's forward for one generation step.

        Args:
            input_ids (Tensor): the decoder tokens so far.
            model_kwargs (dict): the other arguments (default: built from ``encoder_outputs``,
                ``encoder_padding_mask``, ``past`` and ``return_past_key_values``).

        Returns:
            ``model_kwargs`` with ``decoder_tokens``: ``input_ids``, or only its last column
            when ``model_kwargs`` holds a ``past``.
        """
        if model_kwargs is None:
            assert encoder_outputs is not None
            model_kwargs = {
                "encoder_outputs": encoder_outputs,
                "encoder_padding_mask": encoder_padding_mask,
                "past_key_values": past,
                "return_past_key_values": return_past_key_values,
            }
        # torchtext looks up "past" here, a key it never sets: every step decodes from scratch
        if model_kwargs.get("past") is not None:
            input_ids = input_ids[:, -1:]
        model_kwargs["decoder_tokens"] = input_ids
        return model_kwargs

    def get_encoder(self):
        return self.encoder

    def get_decoder(self):
        if self.decoder is None:
            warnings.warn("Decoder is not set on this model.", stacklevel=2)
        return self.decoder

    def forward(
        self,
        encoder_tokens=None,
        decoder_tokens=None,
        encoder_mask=None,
        decoder_mask=None,
        encoder_padding_mask=None,
        decoder_padding_mask=None,
        encoder_outputs=None,
        past_key_values=None,
        return_past_key_values=False,
    ):
        r"""Pass the inputs (and masks) through the encoder and the decoder in turn.

        Args:
            encoder_tokens: token ids ``(B, Ne)`` (optional when ``encoder_outputs`` is given).
            decoder_tokens: token ids ``(B, Nd)``; default one ``padding_idx`` per sequence
                (the start of decoding).
            encoder_mask: ``(Ne, Ne)`` self-attention mask of the encoder (also given to the
                decoder's cross-attention, as in torchtext).
            decoder_mask: ``(Nd, Nd)`` self-attention mask of the decoder (default causal).
            encoder_padding_mask: ``(B, Ne)``; default ``encoder_tokens == padding_idx``.
            decoder_padding_mask: ``(B, Nd)``; default ``decoder_tokens == padding_idx`` except
                the first (start) token.
            encoder_outputs: the output of an earlier run of the encoder.
            past_key_values: keys and values of earlier decoding steps.
            return_past_key_values: return the decoder's keys and values.

        Returns:
            dict: ``encoder_output``, ``encoder_hidden_states``, ``encoder_position_bias``,
            ``encoder_sa_scores``, ``decoder_output`` (logits ``(B, Nd, vocab_size)`` with
            ``linear_head``), ``decoder_hidden_states``, ``decoder_position_bias``,
            ``decoder_sa_scores``, ``decoder_ca_scores`` and ``past_key_values``; the entries
            of a part that did not run are None.
        """
        seq2seq_model_output = {
            "encoder_output": None,
            "encoder_hidden_states": None,
            "encoder_sa_scores": None,
            "encoder_ca_scores": None,
            "decoder_output": None,
            "decoder_hidden_states": None,
            "decoder_sa_scores": None,
            "decoder_ca_scores": None,
            "past_key_values": None,
        }
        if encoder_outputs is None:
            assert encoder_tokens is not None, (
                "If `encoder_outputs` is not specified, must provide `encoder_tokens`"
            )
            if encoder_padding_mask is None:
                encoder_padding_mask = encoder_tokens.eq(self.padding_idx)
            encoder_outputs = self.encoder(
                src=encoder_tokens, mask=encoder_mask, src_key_padding_mask=encoder_padding_mask
            )
            seq2seq_model_output.update(encoder_outputs)

        if not self.encoder_only:
            encoder_output = encoder_outputs.get("encoder_output")
            batch_size = encoder_output.size(0)
            if decoder_tokens is None:
                decoder_tokens = (
                    ember.ones((batch_size, 1), device=encoder_output.device, dtype=ember.long)
                    * self.padding_idx
                )
            if decoder_padding_mask is None:
                decoder_padding_mask = decoder_tokens.eq(self.padding_idx)
                # the start token is the padding index: it is not padding
                decoder_padding_mask[:, 0] = False

            decoder_embeddings = self.token_embeddings(decoder_tokens)
            decoder_outputs = self.decoder(
                decoder_embeddings,
                memory=encoder_output,
                tgt_mask=decoder_mask,
                memory_mask=encoder_mask,
                tgt_key_padding_mask=decoder_padding_mask,
                memory_key_padding_mask=encoder_padding_mask,
                past_key_values=past_key_values,
                return_past_key_values=return_past_key_values,
            )
            if self.linear_head:
                # the output is rescaled before the projection because the token embeddings
                # are shared with the encoder (as in Mesh TensorFlow and Hugging Face)
                decoder_output = decoder_outputs["decoder_output"] * (self.embedding_dim**-0.5)
                decoder_outputs["decoder_output"] = self.lm_head(decoder_output)
            seq2seq_model_output.update(decoder_outputs)

        return seq2seq_model_output
