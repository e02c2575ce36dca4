"""The building blocks of Wav2Vec2Model, as torchaudio builds them: the convolutional feature
extractor, the feature projection, the convolutional positional embedding and the Transformer
encoder. Attribute names follow torchaudio, so state-dict keys match."""

from __future__ import annotations

import ember
from ember import nn
from ember.nn import functional as F

from .wavlm_attention import WavLMSelfAttention


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

    def attention(index):
        return SelfAttention(embed_dim=embed_dim, num_heads=num_heads, dropout=attention_dropout)

    return _encoder_with_attention(
        attention,
        num_layers,
        in_features,
        embed_dim,
        dropout_input,
        pos_conv_kernel,
        pos_conv_groups,
        ff_interm_features,
        ff_interm_dropout,
        dropout,
        layer_norm_first,
        layer_drop,
    )


def _encoder_with_attention(
    attention,
    num_layers,
    in_features,
    embed_dim,
    dropout_input,
    pos_conv_kernel,
    pos_conv_groups,
    ff_interm_features,
    ff_interm_dropout,
    dropout,
    layer_norm_first,
    layer_drop,
):
    """The Encoder whose layer ``i`` attends with ``attention(i)`` (wav2vec 2.0's
    SelfAttention or WavLM's), its modules made in torchaudio's order."""
    feature_projection = FeatureProjection(in_features, embed_dim, dropout_input)
    pos_conv = ConvolutionalPositionalEmbedding(embed_dim, pos_conv_kernel, pos_conv_groups)
    encoder_layers = nn.ModuleList()
    for index in range(num_layers):
        layer_attention = attention(index)
        feed_forward = FeedForward(
            io_features=embed_dim,
            intermediate_features=ff_interm_features,
            intermediate_dropout=ff_interm_dropout,
            output_dropout=dropout,
        )
        encoder_layers.append(
            EncoderLayer(
                attention=layer_attention,
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


def _get_wavlm_encoder(
    in_features,
    embed_dim,
    dropout_input,
    pos_conv_kernel,
    pos_conv_groups,
    num_layers,
    num_heads,
    num_buckets,
    max_distance,
    attention_dropout,
    ff_interm_features,
    ff_interm_dropout,
    dropout,
    layer_norm_first,
    layer_drop,
):
    """The Encoder of WavLM: ``_get_encoder``'s, with ``WavLMSelfAttention`` (whose relative
    position bias, ``num_buckets`` buckets up to ``max_distance``, is embedded in the first
    layer only and passed on to the others) in place of ``SelfAttention``."""

    def attention(index):
        return WavLMSelfAttention(
            embed_dim=embed_dim,
            num_heads=num_heads,
            num_buckets=num_buckets,
            max_distance=max_distance,
            dropout=attention_dropout,
            has_relative_attention_bias=index == 0,
        )

    return _encoder_with_attention(
        attention,
        num_layers,
        in_features,
        embed_dim,
        dropout_input,
        pos_conv_kernel,
        pos_conv_groups,
        ff_interm_features,
        ff_interm_dropout,
        dropout,
        layer_norm_first,
        layer_drop,
    )


def _init_transformer_params(module):
    """Initialize the weights of Transformer module in Wav2Vec2/HuBERT (fairseq's
    ``init_bert_params``): ``nn.Linear`` and ``nn.Embedding`` weights from N(0, 0.02²),
    biases and the padding embedding zero."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    if isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.padding_idx is not None:
            with ember.no_grad():
                module.weight[module.padding_idx].zero_()


def _span_lengths(shape, mask_type, mask_length, mask_other):
    """Random span lengths of ``shape`` for each ``mask_type`` of ``_compute_mask_indices``."""
    if mask_type == "static":
        return ember.full(shape, mask_length)
    if mask_type == "uniform":
        return ember.randint(int(mask_other), mask_length * 2 + 1, shape)
    if mask_type == "normal":
        lengths = ember.normal(float(mask_length), float(mask_other), size=shape)
        return lengths.round().clamp(min=1).long()
    if mask_type == "poisson":
        return ember.poisson(ember.full(shape, float(mask_length))).round().long()
    raise Exception(f"unknown mask selection: {mask_type}")


def _non_overlapping_spans(size, lengths, min_space):
    """fairseq's placement of spans that keep ``min_space`` frames apart, in ``[0, size)``:
    each span, longest first, goes in a part drawn with probability proportional to its
    length, which it splits in two. The draws depend on the parts left, so the spans are
    placed one after another."""
    starts = []
    parts = [(0, size)]
    min_length = min(lengths)
    for length in sorted(lengths, reverse=True):
        free = ember.tensor([e - s for s, e in parts])
        free = free.masked_fill(free < length + min_space, 0)
        if free.sum().item() == 0:
            break
        s, e = parts.pop(int(ember.multinomial(free / free.sum(), 1).item()))
        start = int(ember.randint(s, e - length, (1,)).item())
        starts.extend(range(start, start + length))
        if start - s - min_space >= min_length:
            parts.append((s, start - min_space + 1))
        if e - start - min_length - min_space > min_length:
            parts.append((start + length + min_space, e))
    return starts


def _compute_mask_indices(
    shape,
    padding_mask,
    mask_prob,
    mask_length,
    mask_type="static",
    mask_other=0.0,
    min_masks=0,
    no_overlap=False,
    min_space=0,
):
    """Computes random mask spans for a given shape.

    Each row gets ``mask_prob * size / mask_length`` spans (rounded at random, at least
    ``min_masks``), ``size`` being its unpadded length; then every row keeps a random subset
    of its masked frames, as many as the row with the fewest.

    Args:
        shape (int, int): The shape for which to compute masks. The first element is batch
            size and second is the number of frames.
        padding_mask (Tensor or None): The padding mask of the same dimension as shape, which
            will prevent masking padded elements.
        mask_prob (float): Probability for each token to be chosen as start of the span to be
            masked. This will be multiplied by number of timesteps divided by length of mask
            span to mask approximately this percentage of all elements. However due to
            overlaps, the actual number will be smaller (unless no_overlap is True).
        mask_length (int): The length of each span.
        mask_type (str): How to compute mask lengths. Options: [``static``, ``uniform``,
            ``normal``, ``poisson``]. ``static``: Fixed size. ``uniform``: Sample from uniform
            distribution [mask_other, mask_length*2]. ``normal``: Sample from normal
            distribution with mean ``mask_length`` and stdev ``mask_other``. ``poisson``:
            Sample from possion distribution with lambda = ``mask_length``.
        mask_other (float): Secondary mask argument (used for more complex distributions).
        min_masks (int): Minimum number of masked spans.
        no_overlap (bool): If ``True``, use an alternative recursive algorithm that prevents
            spans from overlapping.
        min_space (int): How many frames to keep unmasked between spans (Only used if
            no_overlap is True).

    Returns:
        (Tensor): The mask indices of dimension `[batch, frame]`.
    """
    batch_size, frame = shape
    if padding_mask is None:
        sizes = ember.full((batch_size,), frame)
        noise = ember.rand(1)  # one rounding draw for the whole batch
    else:
        sizes = frame - padding_mask.long().sum(-1).cpu()
        noise = ember.rand(batch_size)
    num_mask = (mask_prob * sizes / float(mask_length) + noise).long().clamp(min=min_masks)
    max_spans = int(num_mask.max().item())
    if max_spans == 0:
        return ember.zeros(batch_size, frame, dtype=ember.bool)

    spans = ember.arange(max_spans)
    valid = spans < num_mask[:, None]  # (batch, span)
    lengths = _span_lengths((batch_size, max_spans), mask_type, mask_length, mask_other)
    lengths = lengths.masked_fill(~valid, 0)
    # a row whose spans all came out empty gets one span of mask_length (at most size - 1)
    first = ember.where(lengths.sum(-1) == 0, (sizes - 1).clamp(max=mask_length), lengths[:, 0])
    lengths = ember.cat([first[:, None], lengths[:, 1:]], dim=1).masked_fill(~valid, 0)

    if no_overlap:
        # the spans of a row are placed one after another (_non_overlapping_spans)
        positions = ember.arange(frame)
        rows = []
        for size, count, row_lengths in zip(sizes.tolist(), num_mask.tolist(), lengths.tolist()):
            starts = ember.tensor(_non_overlapping_spans(size, row_lengths[:count], min_space))
            rows.append((positions[:, None] == starts[None, :]).any(-1) & (positions < size))
        mask = ember.stack(rows)
    else:
        # distinct span starts in [0, size - min_len): the first num_mask of a random
        # permutation (a row's keys sorted, with the keys beyond its range pushed last)
        min_len = lengths.masked_fill(~valid, mask_length * 2 + frame + 1).min(-1).values
        min_len = ember.where(sizes - min_len <= num_mask, sizes - num_mask - 1, min_len)
        num_starts = sizes - min_len
        width = max(frame, int(num_starts.max().item()))
        keys = ember.rand(batch_size, width)
        keys = keys.masked_fill(ember.arange(width) >= num_starts[:, None], 2.0)
        starts = keys.argsort(-1)[:, :max_spans]
        valid = valid & (spans < num_starts[:, None])
        offsets = ember.arange(max(int(lengths.max().item()), 1))
        positions = starts[:, :, None] + offsets  # (batch, span, offset)
        keep = valid[:, :, None] & (offsets < lengths[:, :, None])
        keep = keep & (positions < sizes[:, None, None])
        # frames out of any span are written to an extra column, dropped after
        index = ember.where(keep, positions, frame).reshape(batch_size, -1)
        mask = ember.zeros(batch_size, frame + 1, dtype=ember.bool).scatter(1, index, True)
        mask = mask[:, :frame]

    # each row keeps a random subset of its masked frames, as many as the sparsest row has
    min_count = int(mask.sum(-1).min().item())
    keys = ember.rand(batch_size, frame).masked_fill(~mask, 2.0)
    return mask & (keys.argsort(-1).argsort(-1) < min_count)


def _get_padding_mask(input, lengths):
    """The padding mask of the padded ``input`` ``[batch, max_len, frequency]``: True at the
    frames at and beyond ``lengths``, shape ``[batch, max_len]``."""
    batch_size, max_len, _ = input.shape
    positions = ember.arange(max_len, device=lengths.device).expand(batch_size, max_len)
    return positions >= lengths[:, None]


class MaskGenerator(nn.Module):
    """Generate the masks for masked prediction.

    Args:
        encoder_embed_dim (int): The dimension of the transformer embedding output.
        mask_prob (float): Probability for each token to be chosen as start of the span to be
            masked. This will be multiplied by number of timesteps divided by length of mask
            span to mask approximately this percentage of all elements. However due to
            overlaps, the actual number will be smaller (unless no_overlap is True).
        mask_selection (str): How to choose the mask length. Options: [``static``,
            ``uniform``, ``normal``, ``poisson``].
        mask_other (float): Secondary mask argument (used for more complex distributions).
        mask_length (int): The lengths of the mask.
        no_mask_overlap (bool): Whether to allow masks to overlap.
        mask_min_space (int): Minimum space between spans (if no overlap is enabled).
        mask_channel_prob (float): The probability of replacing a feature with 0.
        mask_channel_selection (str): How to choose the mask length for channel masking.
            Options: [``static``, ``uniform``, ``normal``, ``poisson``].
        mask_channel_other (float): Secondary mask argument for channel masking (used for
            more complex distributions).
        mask_channel_length (int): Minimum space between spans (if no overlap is enabled) for
            channel masking.
        no_mask_channel_overlap (bool): Whether to allow channel masks to overlap.
        mask_channel_min_space (int): Minimum space between spans for channel masking (if no
            overlap is enabled).
    """

    def __init__(
        self,
        encoder_embed_dim,
        mask_prob,
        mask_selection,
        mask_other,
        mask_length,
        no_mask_overlap,
        mask_min_space,
        mask_channel_prob,
        mask_channel_selection,
        mask_channel_other,
        mask_channel_length,
        no_mask_channel_overlap,
        mask_channel_min_space,
    ):
        super().__init__()
        self.mask_prob = mask_prob
        self.mask_selection = mask_selection
        self.mask_other = mask_other
        self.mask_length = mask_length
        self.no_mask_overlap = no_mask_overlap
        self.mask_min_space = mask_min_space
        self.mask_channel_prob = mask_channel_prob
        self.mask_channel_selection = mask_channel_selection
        self.mask_channel_other = mask_channel_other
        self.mask_channel_length = mask_channel_length
        self.no_mask_channel_overlap = no_mask_channel_overlap
        self.mask_channel_min_space = mask_channel_min_space
        self.mask_embedding = nn.Parameter(ember.empty(encoder_embed_dim))
        nn.init.uniform_(self.mask_embedding)

    def forward(self, x, padding_mask):
        """
        Args:
            x (Tensor): The encoded representations after feature extraction module.
            padding_mask (Tensor or None): The padding mask of the same dimension as shape,
                which will prevent masking padded elements.

        Returns:
            Tensor: The feature representations after masking.
            Tensor: The generated mask indices.
        """
        B, T, C = x.shape
        mask_indices = None
        if self.mask_prob > 0:
            mask_indices = _compute_mask_indices(
                (B, T),
                padding_mask,
                self.mask_prob,
                self.mask_length,
                self.mask_selection,
                self.mask_other,
                min_masks=2,
                no_overlap=self.no_mask_overlap,
                min_space=self.mask_min_space,
            ).to(x.device)
            x = ember.where(mask_indices[:, :, None], self.mask_embedding.to(x.dtype), x)

        if self.mask_channel_prob > 0:
            mask_channel_indices = _compute_mask_indices(
                (B, C),
                None,
                self.mask_channel_prob,
                self.mask_channel_length,
                self.mask_channel_selection,
                self.mask_channel_other,
                no_overlap=self.no_mask_channel_overlap,
                min_space=self.mask_channel_min_space,
            ).to(x.device)
            x = x.masked_fill(mask_channel_indices[:, None, :], 0)

        return x, mask_indices


def _compute_logits(proj_x, target, label_embeddings):
    """Compute the logits of the embeddings: cosine similarities / 0.1 of each frame to its
    target's embedding (column 0) and to every class embedding (the others), with ``-inf``
    where a class embedding equals the target's.

    Args:
        proj_x (Tensor): The projected masked representations ``[num_x, final_dim]``.
        target (Tensor): The targets ``[num_x]``.
        label_embeddings (Parameter): The trainable embeddings of target of dimension
            ``[num_class, final_dim]``.

    Returns:
        (Tensor): The logits of the inputs, ``[num_x, num_class + 1]``.
    """
    logit_temp = 0.1
    pos = ember.index_select(label_embeddings, 0, target.long())
    negs = label_embeddings.unsqueeze(1).expand(-1, proj_x.size(0), -1)
    neg_is_pos = (pos == negs).all(-1)
    targets = ember.cat([pos.unsqueeze(0), negs], dim=0)

    logits = F.cosine_similarity(proj_x.float(), targets.float(), dim=-1).type_as(proj_x)
    logits = logits / logit_temp
    logits = logits.masked_fill(
        ember.cat([ember.zeros_like(neg_is_pos[:1]), neg_is_pos]), float("-inf")
    )
    return logits.transpose(0, 1)  # (num_x, num_cls+1)


class LogitGenerator(nn.Module):
    """Generate the logits of masked and unmasked inputs.

    Args:
        encoder_embed_dim (int): The dimension of the transformer embedding output.
        num_classes (int): The number of classes in the labels.
        final_dim (int): Project final representations and targets to `final_dim`.
        skip_masked (bool): If True, skip computing losses over masked frames.
        skip_nomask (bool): If True, skip computing losses over unmasked frames.
    """

    def __init__(self, encoder_embed_dim, num_classes, final_dim, skip_masked, skip_nomask):
        super().__init__()
        self.label_embeddings = nn.Parameter(ember.empty(num_classes, final_dim))
        nn.init.uniform_(self.label_embeddings)
        self.final_proj = nn.Linear(encoder_embed_dim, final_dim)
        self.skip_masked = skip_masked
        self.skip_nomask = skip_nomask

    def forward(self, x, label, mask_m, mask_u):
        """
        Args:
            x (Tensor): The feature representation of the last transformer layer.
            label (Tensor): The label Tensor of dimension `[batch, frame]`.
            mask_m (Tensor): The masked indices of dimension `[batch, frame]`.
            mask_u (Tensor): The unmasked indices of dimension `[batch, frame]`.

        Returns:
            Tensor: The logits of masked frames. Tensor of dimension
            `[masked_frame, num_classes + 1]`.
            Tensor: The logits of unmasked frames. Tensor of dimension
            `[unmasked_frame, num_classes + 1]`.
        """
        proj_x = self.final_proj(x)
        logit_m = logit_u = None
        if not self.skip_masked:
            logit_m = _compute_logits(proj_x[mask_m], label[mask_m], self.label_embeddings)
        if not self.skip_nomask:
            logit_u = _compute_logits(proj_x[mask_u], label[mask_u], self.label_embeddings)
        return logit_m, logit_u


class GradMultiply(ember.autograd.Function):
    """The identity, whose backward scales the gradient by ``scale``."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None
