"""The building blocks of Wav2Vec2Model, as torchaudio builds them: the convolutional feature
extractor, the feature projection, the convolutional positional embedding and the Transformer
encoder. Attribute names follow torchaudio, so state-dict keys match."""

from __future__ import annotations

import ember
from ember import nn
from ember.nn import functional as F


class LayerNorm(nn.LayerNorm):
    """Layer norm with transpose: normalizes the channel dimension of ``[batch, channel, frame]``."""

    def forward(self, input):
        x = input.transpose(-2, -1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.transpose(-2, -1)


class ConvLayerBlock(nn.Module):
    """Convolution unit of FeatureExtractor: Conv1d, optional normalization, GELU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, bias, layer_norm):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.layer_norm = layer_norm
        self.conv = nn.Conv1d(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
            bias=bias,
        )

    def forward(self, x, length):
        """
        Args:
            x (Tensor): Shape: ``[batch, in_channels, in_frame]``.
            length (Tensor or None, optional): Shape ``[batch, ]``.

        Returns:
            Tensor: Shape ``[batch, out_channels, out_frames]``.
            Optional[Tensor]: Shape ``[batch, ]``.
        """
        x = self.conv(x)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        x = F.gelu(x)

        if length is not None:
            length = ember.div(length - self.kernel_size, self.stride, rounding_mode="floor") + 1
            # an input of length 0 gives a negative length here; torchaudio clamps it to 0
            length = length.clamp(min=0)
        return x, length


class FeatureExtractor(nn.Module):
    """Extract features from audio.

    Args:
        conv_layers (nn.ModuleList): convolution layers
    """

    def __init__(self, conv_layers):
        super().__init__()
        self.conv_layers = conv_layers

    def forward(self, x, length):
        """
        Args:
            x (Tensor): Input Tensor representing a batch of audio, shape: ``[batch, time]``.
            length (Tensor or None, optional): Valid length of each input sample.
                shape: ``[batch, ]``.

        Returns:
            Tensor: The resulting feature, shape: ``[batch, frame, feature]``
            Optional[Tensor]: Valid length of each output sample. shape: ``[batch, ]``.
        """
        if x.ndim != 2:
            raise ValueError(
                f"Expected the input Tensor to be 2D (batch, time). Found: {list(x.shape)}"
            )
        x = x.unsqueeze(1)  # (batch, channel==1, frame)
        for layer in self.conv_layers:
            x, length = layer(x, length)  # (batch, feature, frame)
        return x.transpose(1, 2), length


class FeatureProjection(nn.Module):
    """Layer that connects FeatureExtractor and Encoder: projects features to the encoder
    dimension.

    Args:
        in_features (int): Input feature dim.
        out_features (int): Output feature dim.
        dropout (float): Dropout probability.
    """

    def __init__(self, in_features, out_features, dropout):
        super().__init__()
        self.layer_norm = nn.LayerNorm(in_features)
        self.projection = nn.Linear(in_features, out_features)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        """
        Args:
            x (Tensor): Feature Tensor. shape: ``[batch, frame, in_feature]``

        Returns:
            Tensor: Projected features. ``[batch, frame, out_feature]``.
        """
        return self.dropout(self.projection(self.layer_norm(x)))


class ConvolutionalPositionalEmbedding(nn.Module):
    """Positional embedding which is placed at the beginning of Transformer.

    The convolution is weight-normalized over its kernel dimension (``dim=2``) with
    ``nn.utils.parametrizations.weight_norm``, as in torchaudio, so its weight is stored as
    ``conv.parametrizations.weight.original0`` (g) and ``original1`` (v).

    Args:
        embed_dim (int): Feature dimension of the input Tensor.
        kernel_size (int): The number of frames to be use.
        groups (int): The number of groups in feature dimensions.
    """

    def __init__(self, embed_dim, kernel_size, groups):
        super().__init__()
        self.embed_dim = embed_dim
        self.kernel_size = kernel_size
        conv = nn.Conv1d(
            in_channels=embed_dim,
            out_channels=embed_dim,
            kernel_size=kernel_size,
            padding=kernel_size // 2,
            groups=groups,
        )
        self.conv = nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)
        # an even kernel with padding kernel_size // 2 gives one frame too many
        self.num_remove = 1 if kernel_size % 2 == 0 else 0

    def forward(self, x):
        """
        Args:
            x (Tensor): shape ``[batch, frame, feature]``.

        Returns:
            Tensor: The resulting feature. Shape ``[batch, frame, feature]``.
        """
        x = self.conv(x.transpose(-2, -1))
        if self.num_remove > 0:
            x = x[..., : -self.num_remove]
        return F.gelu(x).transpose(-2, -1)


class SelfAttention(nn.Module):
    """Multihead Self Attention module.

    Args:
        embed_dim (int): Total dimension of the model.
        num_heads (int): The number of heads.
        dropout (float, optional): Dropout probability on attn_output_weights. Default: ``0.0``
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0):
        super().__init__()
        head_dim = embed_dim // num_heads
        if head_dim * num_heads != embed_dim:
            raise ValueError(
                f"`embed_dim ({embed_dim})` is not divisible by `num_heads ({num_heads})`"
            )
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.head_dim = head_dim
        self.scaling = self.head_dim**-0.5

        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=True)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=True)
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=True)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=True)

    def forward(self, x, attention_mask=None, position_bias=None, key_padding_mask=None):
        """
        Args:
            x (Tensor): shape: ``[batch_size, sequence_length, embed_dim]``.
            attention_mask (Tensor or ``None``, optional):
                shape: ``[batch_size, 1, sequence_length, sequence_length]``
            position_bias: Not used. Only for the compatibility with ``WavLMSelfAttention``.
            key_padding_mask (Tensor or ``None``): Not used. Only for the compatibility with
                ``WavLMSelfAttention``.

        Returns:
            (Tensor, ``None``): The attention output, shape
            ``[batch, sequence_length, embed_dim]``, and ``None``.
        """
        if x.ndim != 3 or x.shape[2] != self.embed_dim:
            raise ValueError(
                f"The expected input shape is (batch, sequence, embed_dim=={self.embed_dim}). "
                f"Found {x.shape}."
            )
        batch_size, length, _ = x.shape
        if attention_mask is not None:
            shape_ = (batch_size, 1, length, length)
            if tuple(attention_mask.shape) != shape_:
                raise ValueError(
                    f"The expected attention mask shape is {shape_}. Found {attention_mask.shape}."
                )
        shape = (batch_size, length, self.num_heads, self.head_dim)
        q = self.q_proj(x).view(*shape).transpose(2, 1)  # B, nH, L, Hd
        k = self.k_proj(x).view(*shape).transpose(2, 1)
        v = self.v_proj(x).view(*shape).transpose(2, 1)
        dropout = self.dropout if self.training else 0.0
        attn_output = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attention_mask, dropout_p=dropout, is_causal=False
        )
        attn_output = attn_output.transpose(1, 2).reshape(batch_size, -1, self.embed_dim)
        return self.out_proj(attn_output), None


class FeedForward(nn.Module):
    """Layer that follows attention layer in encoder layer."""

    def __init__(self, io_features, intermediate_features, intermediate_dropout, output_dropout):
        super().__init__()
        self.intermediate_dense = nn.Linear(io_features, intermediate_features)
        self.intermediate_dropout = nn.Dropout(intermediate_dropout)
        self.output_dense = nn.Linear(intermediate_features, io_features)
        self.output_dropout = nn.Dropout(output_dropout)

    def forward(self, x):
        """
        Args:
            x (Tensor): shape: `(batch, sequence_length, io_features)`

        Returns:
            x (Tensor): shape: `(batch, sequence_length, io_features)`
        """
        x = self.intermediate_dropout(F.gelu(self.intermediate_dense(x)))
        return self.output_dropout(self.output_dense(x))


class EncoderLayer(nn.Module):
    """A layer unit in encoder. Combines multihead self attention and feed forward."""

    def __init__(self, attention, dropout, layer_norm_first, feed_forward):
        super().__init__()
        self.attention = attention
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(attention.embed_dim)
        self.layer_norm_first = layer_norm_first
        self.feed_forward = feed_forward
        self.final_layer_norm = nn.LayerNorm(attention.embed_dim)

    def forward(self, x, attention_mask=None, position_bias=None, key_padding_mask=None):
        """
        Args:
            x (Tensor): Input of shape ``(batch, sequence_length, embed_dim)``.
            attention_mask (Tensor or ``None``, optional): attention mask
                of shape ``(batch, 1, sequence_length, sequence_length)``. (Default: ``None``)
            position_bias (Tensor or ``None``, optional): position bias of shape
                ``(batch_size * num_heads, src_len, src_len)``.
                Only necessary for WavLM model, ``None`` otherwise. (Default: ``None``)
            key_padding_mask (Tensor or ``None``, optional): key padding mask of shape
                ``(batch_size, src_len)``. Only used for WavLM model, ignored otherwise.

        Returns:
            (x, position_bias): Shapes are the same as in the input. Position bias is only
            relevant for WavLM model, ``None`` otherwise.
        """
        residual = x
        if self.layer_norm_first:
            x = self.layer_norm(x)
        x, position_bias = self.attention(
            x,
            attention_mask=attention_mask,
            position_bias=position_bias,
            key_padding_mask=key_padding_mask,
        )
        x = residual + self.dropout(x)

        if self.layer_norm_first:
            x = x + self.feed_forward(self.final_layer_norm(x))
        else:
            x = self.layer_norm(x)
            x = self.final_layer_norm(x + self.feed_forward(x))
        return x, position_bias


class Transformer(nn.Module):
    """The positional embedding followed by the stack of encoder layers; with
    ``layer_norm_first`` the layer norm comes before the stack, otherwise after it. In training,
    each layer is skipped with probability ``layer_drop``."""

    def __init__(self, pos_conv_embed, dropout, layers, layer_norm_first, layer_drop):
        super().__init__()
        self.pos_conv_embed = pos_conv_embed
        self.layer_norm = nn.LayerNorm(pos_conv_embed.embed_dim)
        self.layer_norm_first = layer_norm_first
        self.layer_drop = layer_drop
        self.dropout = nn.Dropout(dropout)
        self.layers = layers

    def _preprocess(self, x):
        x = x + self.pos_conv_embed(x)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return self.dropout(x)

    def forward(self, x, attention_mask=None, position_bias=None):
        x = self._preprocess(x)
        for layer in self.layers:
            if not (self.training and ember.rand(1).item() <= self.layer_drop):
                x, position_bias = layer(x, attention_mask, position_bias=position_bias)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        return x

    def get_intermediate_outputs(self, x, attention_mask=None, num_layers=None):
        if num_layers is not None and not 0 < num_layers <= len(self.layers):
            raise ValueError(f"`num_layers` must be between [1, {len(self.layers)}]")
        ret = []
        position_bias = None
        x = self._preprocess(x)
        for layer in self.layers:
            x, position_bias = layer(x, attention_mask, position_bias=position_bias)
            ret.append(x)
            if num_layers is not None and len(ret) >= num_layers:
                return ret
        return ret


class Encoder(nn.Module):
    """FeatureProjection followed by the Transformer; padded frames (from ``lengths``) are
    zeroed and masked out of attention with an additive ``-10000.0``."""

    def __init__(self, feature_projection, transformer):
        super().__init__()
        self.feature_projection = feature_projection
        self.transformer = transformer

    def _preprocess(self, features, lengths=None):
        x = self.feature_projection(features)
        mask = None
        if lengths is not None:
            batch_size, max_len, _ = x.shape
            # mask for padded elements, zeroed out
            padded = ember.arange(max_len, device=lengths.device).expand(batch_size, max_len)
            padded = padded >= lengths[:, None]
            x = x.masked_fill(padded[:, :, None], 0.0)
            # torchaudio's additive attention mask: -10000, not -inf, on padded keys
            mask = -10000.0 * padded[:, None, None, :].to(dtype=features.dtype)
            mask = mask.expand(batch_size, 1, max_len, max_len)
        return x, mask

    def forward(self, features, lengths=None):
        x, mask = self._preprocess(features, lengths)
        return self.transformer(x, attention_mask=mask)

    def extract_features(self, features, lengths=None, num_layers=None):
        x, masks = self._preprocess(features, lengths)
        return self.transformer.get_intermediate_outputs(
            x, attention_mask=masks, num_layers=num_layers
        )


def _get_feature_extractor(norm_mode, shapes, bias):
    """
    Args:
        norm_mode (str): Either "group_norm" or "layer_norm". If "group_norm", then a single
            normalization is applied in the first convolution block. Otherwise, all the
            convolution blocks will have layer normalization.
        shapes (list of tuple of int): Configuration of convolution layers,
            i.e. ``[(output_channel, kernel_size, stride), ...]``.
        bias (bool): Whether to include bias term to each convolution operation.
    """
    if norm_mode not in ["group_norm", "layer_norm"]:
        raise ValueError("Invalid norm mode")
    blocks = []
    in_channels = 1
    for i, (out_channels, kernel_size, stride) in enumerate(shapes):
        normalization = None
        if norm_mode == "group_norm" and i == 0:
            normalization = nn.GroupNorm(
                num_groups=out_channels, num_channels=out_channels, affine=True
            )
        elif norm_mode == "layer_norm":
            normalization = LayerNorm(normalized_shape=out_channels, elementwise_affine=True)
        blocks.append(
            ConvLayerBlock(
                in_channels=in_channels,
                out_channels=out_channels,
                kernel_size=kernel_size,
                stride=stride,
                bias=bias,
                layer_norm=normalization,
            )
        )
        in_channels = out_channels
    return FeatureExtractor(nn.ModuleList(blocks))


def _get_encoder(
    in_features,
    embed_dim,
    dropout_input,
    pos_conv_kernel,
    pos_conv_groups,
    num_layers,
    num_heads,
    attention_dropout,
    ff_interm_features,
    ff_interm_dropout,
    dropout,
    layer_norm_first,
    layer_drop,
):
    """The Encoder of Wav2Vec2Model; the arguments are those of ``wav2vec2_model`` without
    their ``encoder_`` prefix (``dropout_input`` is ``encoder_projection_dropout``)."""
    feature_projection = FeatureProjection(in_features, embed_dim, dropout_input)
    pos_conv = ConvolutionalPositionalEmbedding(embed_dim, pos_conv_kernel, pos_conv_groups)
    encoder_layers = nn.ModuleList()
    for _ in range(num_layers):
        attention = SelfAttention(
            embed_dim=embed_dim, num_heads=num_heads, dropout=attention_dropout
        )
        feed_forward = FeedForward(
            io_features=embed_dim,
            intermediate_features=ff_interm_features,
            intermediate_dropout=ff_interm_dropout,
            output_dropout=dropout,
        )
        encoder_layers.append(
            EncoderLayer(
                attention=attention,
                dropout=dropout,
                layer_norm_first=layer_norm_first,
                feed_forward=feed_forward,
            )
        )
    transformer = Transformer(
        pos_conv_embed=pos_conv,
        dropout=dropout,
        layers=encoder_layers,
        layer_norm_first=not layer_norm_first,
        layer_drop=layer_drop,
    )
    return Encoder(feature_projection, transformer)
