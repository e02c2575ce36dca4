"""Attention layers: ``MultiheadAttention`` and the Transformer family (``Transformer``,
its encoder and decoder stacks and their layers), as in "Attention Is All You Need".

Parameter names, registration order and initialisation are torch's, so state dicts
interchange with torch's layers.
"""

from __future__ import annotations

import copy

from ..._creation import empty
from ..._dtype import float32
from ...ops.attention import canonical_masks, causal_mask, multi_head_attention_forward
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ._utils import _optional_parameter
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
]


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under another name: torch uses it for ``MultiheadAttention.out_proj`` so
    that dynamic quantisation leaves that layer alone. It computes exactly as ``Linear``."""


class MultiheadAttention(Module):
    """Attention over several heads in parallel:
    ``MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O`` with
    ``head_i = Attention(Q W_Q_i, K W_K_i, V W_V_i)``.

    Args:
        embed_dim: model dimension E (split into ``num_heads`` heads of ``E // num_heads``).
        num_heads: number of heads; must divide ``embed_dim``.
        dropout: dropout probability on the attention weights (in training).
        bias: learn biases for the input and output projections.
        add_bias_kv: learn a bias key and value appended to the key/value sequences.
        add_zero_attn: append a zero key and value to the sequences.
        kdim, vdim: feature sizes of key and value (default ``embed_dim``); when either
            differs, the projections are the separate ``q_proj_weight``, ``k_proj_weight``
            and ``v_proj_weight`` instead of the packed ``in_proj_weight``.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.
        device, dtype: where and in which dtype to create the parameters.

    Attributes:
        in_proj_weight: ``(3E, E)`` (q, k, v rows stacked), ``xavier_uniform_``.
        in_proj_bias: ``(3E,)``, zeros.
        out_proj: the output ``Linear(E, E)``, its bias zeroed.
        bias_k, bias_v: ``(1, 1, E)``, ``xavier_normal_`` (with ``add_bias_kv``).

    Example:
        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> out, weights = mha(x, x, x)  # x: (N, L, 16); weights: (N, L, L)
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        _optional_parameter(self, "in_proj_bias", bias, 3 * embed_dim, **factory)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: ``(L, N, E)`` (``(N, L, E)`` with ``batch_first``) or unbatched ``(L, E)``.
            key, value: ``(S, N, kdim)``, ``(S, N, vdim)`` (batch first likewise), or
                unbatched ``(S, kdim)``, ``(S, vdim)``.
            key_padding_mask: ``(N, S)`` or ``(S,)``; True (or a float added) marks keys to
                ignore.
            need_weights: also return the attention weights.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; True marks pairs that may not
                attend, a float mask is added to the scores.
            average_attn_weights: average the returned weights over the heads.
            is_causal: a hint that ``attn_mask`` is the causal mask (it must still be given).

        Returns:
            ``(attn_output, attn_weights)``: the output shaped like ``query``, and the weights
            ``(N, L, S)`` (per head ``(N, num_heads, L, S)``) or None.
        """
        is_batched = query.dim() == 3
        key_padding_mask, attn_mask = canonical_masks(
            key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", query.dtype
        )
        if self.batch_first and is_batched:
            # transpose so that "query is key is value" still holds: the projection uses it
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        attn_output, attn_weights = multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        if self.batch_first and is_batched:
            attn_output = attn_output.transpose(1, 0)
        return attn_output, attn_weights


# -------------------------------------------------------------------------------- transformer


def _get_activation_fn(activation):
    """The activation named "relu" or "gelu"; any other value is returned as it is (a
    callable such as ``F.relu`` or an ``nn.Module``)."""
    if not isinstance(activation, str):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _get_clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_seq_len(src, batch_first):
    """The sequence length of ``(S, E)``, ``(S, N, E)`` or, batch first, ``(N, S, E)``."""
    if src.dim() == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` if given; for None, whether ``mask`` is exactly the causal mask of
    ``size`` (then attention may take the cheaper causal path)."""
    if is_causal is not None or mask is None:
        return is_causal is True
    sz = size if size is not None else mask.shape[-2]
    causal = causal_mask(sz, sz, mask.dtype, mask.device)
    return tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())


def _init_feed_forward(layer, d_model, dim_feedforward, dropout, bias, factory):
    """Create ``linear1``, ``dropout`` and ``linear2``, registered in torch's order."""
    layer.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
    layer.dropout = Dropout(dropout)
    layer.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)


def _feed_forward(layer, x):
    """The position-wise feed-forward network: ``linear2(dropout(activation(linear1(x))))``."""
    return layer.linear2(layer.dropout(layer.activation(layer.linear1(x))))


def _layer_norm(d_model, eps, bias, factory):
    return LayerNorm(d_model, eps=eps, bias=bias, **factory)


def _attention_block(attn, dropout, x, mem, attn_mask, key_padding_mask, is_causal):
    """``dropout(attn(x, mem, mem))``: a layer's self-attention (``mem`` is ``x``, the very
    tensor, which lets the projection run packed) or attention over the encoder output."""
    x = attn(
        x,
        mem,
        mem,
        attn_mask=attn_mask,
        key_padding_mask=key_padding_mask,
        need_weights=False,
        is_causal=is_causal,
    )[0]
    return dropout(x)


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each inside a residual connection with
    layer normalisation: after it (``norm_first=False``, the original design) or before it.

    Args:
        d_model: number of expected features of the input.
        nhead: number of attention heads.
        dim_feedforward: width of the feed-forward network.
        dropout: dropout probability.
        activation: of the feed-forward network: "relu", "gelu" or a callable.
        layer_norm_eps: eps of the layer norms.
        batch_first: input and output are ``(N, S, E)`` instead of ``(S, N, E)``.
        norm_first: normalise before attention and feed-forward rather than after.
        bias: learn additive biases in the linear layers and layer norms.
        device, dtype: where and in which dtype to create the parameters.

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=512, nhead=8)
        >>> out = layer(ember.rand(10, 32, 512))
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=F.relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        _init_feed_forward(self, d_model, dim_feedforward, dropout, bias, factory)
        self.norm_first = norm_first
        self.norm1 = _layer_norm(d_model, layer_norm_eps, bias, factory)
        self.norm2 = _layer_norm(d_model, layer_norm_eps, bias, factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _get_activation_fn(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """Pass ``src`` through the layer.

        Args:
            src: ``(S, N, E)`` (``(N, S, E)`` with ``batch_first``) or unbatched ``(S, E)``.
            src_mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask.
            src_key_padding_mask: ``(N, S)`` mask of the padding positions.
            is_causal: a hint that ``src_mask`` is the causal mask.
        """
        src_key_padding_mask, src_mask = canonical_masks(
            src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", src.dtype
        )
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        return _attention_block(
            self.self_attn, self.dropout1, x, x, attn_mask, key_padding_mask, is_causal
        )

    def _ff_block(self, x):
        return self.dropout2(_feed_forward(self, x))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder output (``memory``), then a feed-forward
    network, each inside a residual connection with layer normalisation.

    Args: as ``TransformerEncoderLayer``.

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=512, nhead=8)
        >>> out = layer(ember.rand(20, 32, 512), memory=ember.rand(10, 32, 512))
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=F.relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias, **factory
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias, **factory
        )
        _init_feed_forward(self, d_model, dim_feedforward, dropout, bias, factory)
        self.norm_first = norm_first
        self.norm1 = _layer_norm(d_model, layer_norm_eps, bias, factory)
        self.norm2 = _layer_norm(d_model, layer_norm_eps, bias, factory)
        self.norm3 = _layer_norm(d_model, layer_norm_eps, bias, factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _get_activation_fn(activation)

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ):
        """Pass ``tgt`` through the layer, attending to ``memory``.

        Args:
            tgt: ``(T, N, E)`` (``(N, T, E)`` with ``batch_first``) or unbatched ``(T, E)``.
            memory: the encoder output, ``(S, N, E)`` (batch first likewise) or ``(S, E)``.
            tgt_mask, memory_mask: ``(T, T)`` and ``(T, S)`` attention masks (or per head).
            tgt_key_padding_mask, memory_key_padding_mask: ``(N, T)`` and ``(N, S)``.
            tgt_is_causal, memory_is_causal: hints that the masks are causal.
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        return _attention_block(
            self.self_attn, self.dropout1, x, x, attn_mask, key_padding_mask, is_causal
        )

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        return _attention_block(
            self.multihead_attn, self.dropout2, x, mem, attn_mask, key_padding_mask, is_causal
        )

    def _ff_block(self, x):
        return self.dropout3(_feed_forward(self, x))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (deep copies, each with its own
    parameters), optionally followed by a final ``norm``.

    Args:
        encoder_layer: a ``TransformerEncoderLayer`` (copied; the original is not used).
        num_layers: number of layers.
        norm: a layer applied to the output of the last layer, or None.
        enable_nested_tensor, mask_check: accepted for torch compatibility; Ember has no
            nested tensors, so ``use_nested_tensor`` is always False (and no warning about
            it is given).

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=512, nhead=8)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=6)
        >>> out = encoder(ember.rand(10, 32, 512))
    """

    def __init__(
        self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True
    ):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """Pass ``src`` through every layer in turn, then ``norm``.

        Args:
            src: ``(S, N, E)`` (``(N, S, E)`` with ``batch_first``) or unbatched ``(S, E)``.
            mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask.
            src_key_padding_mask: ``(N, S)`` mask of the padding positions.
            is_causal: whether ``mask`` is the causal mask; None detects it from the values.
        """
        src_key_padding_mask, mask = canonical_masks(
            src_key_padding_mask, "src_key_padding_mask", mask, "mask", src.dtype
        )
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _get_seq_len(src, batch_first))
        output = src
        for mod in self.layers:
            output = mod(
                output,
                src_mask=mask,
                is_causal=is_causal,
                src_key_padding_mask=src_key_padding_mask,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer``, optionally followed by a final
    ``norm``.

    Args:
        decoder_layer: a ``TransformerDecoderLayer`` (copied; the original is not used).
        num_layers: number of layers.
        norm: a layer applied to the output of the last layer, or None.
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        """Pass ``tgt`` through every layer in turn (each attending to ``memory``), then
        ``norm``. Arguments as ``TransformerDecoderLayer.forward``; ``tgt_is_causal=None``
        detects a causal ``tgt_mask`` from its values."""
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer: ``decoder(tgt, encoder(src))``.

    Args:
        d_model: number of expected features of the inputs.
        nhead: number of attention heads.
        num_encoder_layers, num_decoder_layers: depth of each stack.
        dim_feedforward: width of the feed-forward networks.
        dropout: dropout probability.
        activation: "relu", "gelu" or a callable.
        custom_encoder, custom_decoder: modules to use instead of the standard stacks.
        layer_norm_eps: eps of the layer norms.
        batch_first: inputs and output are ``(N, S, E)`` instead of ``(S, N, E)``.
        norm_first: normalise before attention and feed-forward rather than after.
        bias: learn additive biases in the linear layers and layer norms.
        device, dtype: where and in which dtype to create the parameters.

    Every parameter with more than one dimension is re-drawn with ``xavier_uniform_``.

    Example:
        >>> model = nn.Transformer(nhead=16, num_encoder_layers=12)
        >>> out = model(ember.rand(10, 32, 512), ember.rand(20, 32, 512))
    """

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation=F.relu,
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        layer_args = (
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
        )
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **factory),
                num_encoder_layers,
                _layer_norm(d_model, layer_norm_eps, bias, factory),
            )
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **factory),
                num_decoder_layers,
                _layer_norm(d_model, layer_norm_eps, bias, factory),
            )
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        """Encode ``src`` and decode ``tgt`` against it.

        Args:
            src: ``(S, N, E)`` (``(N, S, E)`` with ``batch_first``) or unbatched ``(S, E)``.
            tgt: ``(T, N, E)`` (batch first likewise) or ``(T, E)``.
            src_mask, tgt_mask, memory_mask: ``(S, S)``, ``(T, T)``, ``(T, S)`` attention
                masks (or per head, ``(N * nhead, ., .)``).
            src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask: ``(N, S)``,
                ``(N, T)``, ``(N, S)``.
            src_is_causal, tgt_is_causal, memory_is_causal: hints that the masks are causal
                (None: detect it).

        Returns:
            ``(T, N, E)`` (batch first ``(N, T, E)``).
        """
        is_batched = src.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if is_batched and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The causal mask ``(sz, sz)``: -inf above the diagonal (future positions), 0 on and
        below it; float32 on the CPU unless told otherwise."""
        return causal_mask(sz, sz, dtype if dtype is not None else float32, device or "cpu")

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
