"""Wav2Vec2Model and its builders (wav2vec 2.0 and HuBERT), as torchaudio defines them."""

from __future__ import annotations

from ember import nn

from . import components

__all__ = [
    "Wav2Vec2Model",
    "wav2vec2_model",
    "wav2vec2_base",
    "wav2vec2_large",
    "wav2vec2_large_lv60k",
    "hubert_base",
    "hubert_large",
    "hubert_xlarge",
    "wav2vec2_xlsr_300m",
    "wav2vec2_xlsr_1b",
    "wav2vec2_xlsr_2b",
]


class Wav2Vec2Model(nn.Module):
    """Acoustic model used in *wav2vec 2.0* (Baevski et al., 2020).

    Note:
        To build the model, please use one of the factory functions.

    Args:
        feature_extractor (nn.Module): Feature extractor that extracts feature vectors from
            raw audio Tensor.
        encoder (nn.Module): Encoder that converts the audio features into the sequence of
            probability distribution (in negative log-likelihood) over labels.
        aux (nn.Module or None, optional): Auxiliary module. If provided, the output from
            encoder is passed to this module.
    """

    def __init__(self, feature_extractor, encoder, aux=None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.encoder = encoder
        self.aux = aux

    def extract_features(self, waveforms, lengths=None, num_layers=None):
        """Extract feature vectors from raw waveforms.

        This returns the list of outputs from the intermediate layers of transformer block in
        encoder.

        Args:
            waveforms (Tensor): Audio tensor of shape `(batch, frames)`.
            lengths (Tensor or None, optional): Indicates the valid length of each audio in
                the batch. Shape: `(batch, )`. When the ``waveforms`` contains audios with
                different durations, by providing ``lengths`` argument, the model will compute
                the corresponding valid output lengths and apply proper mask in transformer
                attention layer. If ``None``, it is assumed that the entire audio waveform
                length is valid.
            num_layers (int or None, optional): If given, limit the number of intermediate
                layers to go through. Providing `1` will stop the computation after going
                through one intermediate layers. If not given, the outputs from all the
                intermediate layers are returned.

        Returns:
            (List[Tensor], Optional[Tensor]):
            List of Tensors
                Features from requested layers. Each Tensor is of shape:
                `(batch, time frame, feature dimension)`
            Tensor or None
                If ``lengths`` argument was provided, a Tensor of shape `(batch, )` is
                returned. It indicates the valid length in time axis of each feature Tensor.
        """
        x, lengths = self.feature_extractor(waveforms, lengths)
        x = self.encoder.extract_features(x, lengths, num_layers)
        return x, lengths

    def forward(self, waveforms, lengths=None):
        """Compute the sequence of probability distribution over labels.

        Args:
            waveforms (Tensor): Audio tensor of shape `(batch, frames)`.
            lengths (Tensor or None, optional): Indicates the valid length of each audio in
                the batch. Shape: `(batch, )`. When the ``waveforms`` contains audios with
                different durations, by providing ``lengths`` argument, the model will compute
                the corresponding valid output lengths and apply proper mask in transformer
                attention layer. If ``None``, it is assumed that all the audio in
                ``waveforms`` have valid length. Default: ``None``.

        Returns:
            (Tensor, Optional[Tensor]):
            Tensor
                The sequences of probability distribution (in logit) over labels.
                Shape: `(batch, frames, num labels)`.
            Tensor or None
                If ``lengths`` argument was provided, a Tensor of shape `(batch, )` is
                returned. It indicates the valid length in time axis of the output Tensor.
        """
        x, lengths = self.feature_extractor(waveforms, lengths)
        x = self.encoder(x, lengths)
        if self.aux is not None:
            x = self.aux(x)
        return x, lengths


def wav2vec2_model(
    extractor_mode,
    extractor_conv_layer_config,
    extractor_conv_bias,
    encoder_embed_dim,
    encoder_projection_dropout,
    encoder_pos_conv_kernel,
    encoder_pos_conv_groups,
    encoder_num_layers,
    encoder_num_heads,
    encoder_attention_dropout,
    encoder_ff_interm_features,
    encoder_ff_interm_dropout,
    encoder_dropout,
    encoder_layer_norm_first,
    encoder_layer_drop,
    aux_num_out,
):
    """Builds custom :class:`Wav2Vec2Model`.

    The "feature extractor" corresponds to fairseq's ``ConvFeatureExtractionModel`` (the
    "(convolutional) feature encoder" of the paper); the "encoder" to fairseq's
    ``TransformerEncoder`` (the paper's "Transformer").

    Args:
        extractor_mode (str): Operation mode of feature extractor. Valid values are
            ``"group_norm"`` or ``"layer_norm"``. If ``"group_norm"``, then a single
            normalization is applied in the first convolution block. Otherwise, all the
            convolution blocks will have layer normalization. (fairseq's ``extractor_mode``)
        extractor_conv_layer_config (list of integer tuples or None): Configuration of
            convolution layers in feature extractor, i.e.
            ``[(output_channel, kernel_size, stride), ...]``. If ``None``,
            ``[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2`` is used.
            (fairseq's ``conv_feature_layers``)
        extractor_conv_bias (bool): Whether to include bias term to each convolution
            operation. (fairseq's ``conv_bias``)
        encoder_embed_dim (int): The dimension of embedding in encoder.
        encoder_projection_dropout (float): The dropout probability applied after the input
            feature is projected to ``encoder_embed_dim``. (fairseq's ``dropout_input``)
        encoder_pos_conv_kernel (int): The kernel size of convolutional positional
            embeddings. (fairseq's ``conv_pos``)
        encoder_pos_conv_groups (int): The number of groups of convolutional positional
            embeddings. (fairseq's ``conv_pos_groups``)
        encoder_num_layers (int): The number of self attention layers in transformer block.
        encoder_num_heads (int): The number of heads in self attention layers.
        encoder_attention_dropout (float): The dropout probability applied after softmax in
            self-attention layer.
        encoder_ff_interm_features (int): The dimension of hidden features in feed forward
            layer. (fairseq's ``encoder_ffn_embed_dim``)
        encoder_ff_interm_dropout (float): The dropout probability applied in feedforward
            layer. (fairseq's ``activation_dropout``)
        encoder_dropout (float): The dropout probability applied at the end of feed forward
            layer.
        encoder_layer_norm_first (bool): Control the order of layer norm in transformer layer
            and each encoder layer. If True, in transformer layer, layer norm is applied before
            features are fed to encoder layers. In encoder layer, two layer norms are applied
            before and after self attention. If False, in transformer layer, layer norm is
            applied after features are fed to encoder layers. In encoder layer, two layer
            norms are applied after self attention, before and after feed forward.
        encoder_layer_drop (float): Probability to drop each encoder layer during training.
            (fairseq's ``layerdrop``)
        aux_num_out (int or None): When provided, attach an extra linear layer on top of
            encoder, which can be used for fine-tuning.

    Returns:
        Wav2Vec2Model: The resulting model.
    """
    if extractor_conv_layer_config is None:
        extractor_conv_layer_config = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2

    feature_extractor = components._get_feature_extractor(
        extractor_mode, extractor_conv_layer_config, extractor_conv_bias
    )
    encoder = components._get_encoder(
        in_features=extractor_conv_layer_config[-1][0],
        embed_dim=encoder_embed_dim,
        dropout_input=encoder_projection_dropout,
        pos_conv_kernel=encoder_pos_conv_kernel,
        pos_conv_groups=encoder_pos_conv_groups,
        num_layers=encoder_num_layers,
        num_heads=encoder_num_heads,
        attention_dropout=encoder_attention_dropout,
        ff_interm_features=encoder_ff_interm_features,
        ff_interm_dropout=encoder_ff_interm_dropout,
        dropout=encoder_dropout,
        layer_norm_first=encoder_layer_norm_first,
        layer_drop=encoder_layer_drop,
    )
    aux = None
    if aux_num_out is not None:
        aux = nn.Linear(in_features=encoder_embed_dim, out_features=aux_num_out)
    return Wav2Vec2Model(feature_extractor, encoder, aux)


# The fixed part of each published architecture; the builders below add the dropouts.
# (extractor_mode, extractor_conv_bias, embed_dim, num_layers, num_heads, ff_interm_features,
# layer_norm_first)
_ARCHITECTURES = {
    "base": ("group_norm", False, 768, 12, 12, 3072, False),
    "large": ("group_norm", False, 1024, 24, 16, 4096, False),
    "large_lv60k": ("layer_norm", True, 1024, 24, 16, 4096, True),
    "hubert_large": ("layer_norm", False, 1024, 24, 16, 4096, True),
    "hubert_xlarge": ("layer_norm", False, 1280, 48, 16, 5120, True),
    "xlsr_1b": ("layer_norm", True, 1280, 48, 16, 5120, True),
    "xlsr_2b": ("layer_norm", True, 1920, 48, 16, 7680, True),
}


def _build(architecture, **builder_arguments):
    """``wav2vec2_model`` for one of ``_ARCHITECTURES``. ``builder_arguments`` are a builder's
    own arguments (its ``locals()``: the dropouts and ``aux_num_out``), named as in
    ``wav2vec2_model``."""
    mode, conv_bias, embed_dim, num_layers, num_heads, ff_features, norm_first = _ARCHITECTURES[
        architecture
    ]
    return wav2vec2_model(
        extractor_mode=mode,
        extractor_conv_layer_config=None,
        extractor_conv_bias=conv_bias,
        encoder_embed_dim=embed_dim,
        encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16,
        encoder_num_layers=num_layers,
        encoder_num_heads=num_heads,
        encoder_ff_interm_features=ff_features,
        encoder_layer_norm_first=norm_first,
        **builder_arguments,
    )


def wav2vec2_base(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.1,
    encoder_ff_interm_dropout=0.1,
    encoder_dropout=0.1,
    encoder_layer_drop=0.1,
    aux_num_out=None,
):
    """Builds "base" :class:`Wav2Vec2Model` from *wav2vec 2.0* (Baevski et al., 2020).

    The arguments are those of :func:`wav2vec2_model`; the same holds for every builder below.

    Returns:
        Wav2Vec2Model: The resulting model.
    """
    return _build("base", **locals())


def wav2vec2_large(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.1,
    encoder_ff_interm_dropout=0.1,
    encoder_dropout=0.1,
    encoder_layer_drop=0.1,
    aux_num_out=None,
):
    """Builds "large" :class:`Wav2Vec2Model` from *wav2vec 2.0* (Baevski et al., 2020)."""
    return _build("large", **locals())


def wav2vec2_large_lv60k(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.1,
    encoder_dropout=0.0,
    encoder_layer_drop=0.1,
    aux_num_out=None,
):
    """Builds "large lv-60k" :class:`Wav2Vec2Model` from *wav2vec 2.0* (Baevski et al., 2020)."""
    return _build("large_lv60k", **locals())


def hubert_base(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.1,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.1,
    encoder_layer_drop=0.05,
    aux_num_out=None,
):
    """Builds "base" HuBERT (a :class:`Wav2Vec2Model`) from *HuBERT* (Hsu et al., 2021)."""
    return _build("base", **locals())


def hubert_large(
    encoder_projection_dropout=0.0,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    aux_num_out=None,
):
    """Builds "large" HuBERT (a :class:`Wav2Vec2Model`) from *HuBERT* (Hsu et al., 2021)."""
    return _build("hubert_large", **locals())


def hubert_xlarge(
    encoder_projection_dropout=0.0,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    aux_num_out=None,
):
    """Builds "extra large" HuBERT (a :class:`Wav2Vec2Model`) from *HuBERT* (Hsu et al.,
    2021)."""
    return _build("hubert_xlarge", **locals())


def wav2vec2_xlsr_300m(
    encoder_projection_dropout=0.0,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    aux_num_out=None,
):
    """Builds XLS-R model (Babu et al., 2021) with 300 millions of parameters. The architecture
    is compatible with Wav2Vec2 model, and so the output class is :class:`Wav2Vec2Model`."""
    return _build("large_lv60k", **locals())


def wav2vec2_xlsr_1b(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    aux_num_out=None,
):
    """Builds XLS-R model (Babu et al., 2021) with 1 billion of parameters. The architecture is
    compatible with Wav2Vec2 model, and so the output class is :class:`Wav2Vec2Model`."""
    return _build("xlsr_1b", **locals())


def wav2vec2_xlsr_2b(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    aux_num_out=None,
):
    """Builds XLS-R model (Babu et al., 2021) with 2 billions of parameters. The architecture is
    compatible with Wav2Vec2 model, and so the output class is :class:`Wav2Vec2Model`."""
    return _build("xlsr_2b", **locals())
