"""Wav2Vec2Model and its builders (wav2vec 2.0 and HuBERT), as torchaudio defines them."""

from __future__ import annotations

from ember import nn

from . import components

__all__ = [
    "Wav2Vec2Model",
    "HuBERTPretrainModel",
    "wavlm_model",
    "wavlm_base",
    "wavlm_large",
    "wav2vec2_model",
    "wav2vec2_base",
    "wav2vec2_large",
    "wav2vec2_large_lv60k",
    "hubert_base",
    "hubert_large",
    "hubert_xlarge",
    "hubert_pretrain_model",
    "hubert_pretrain_base",
    "hubert_pretrain_large",
    "hubert_pretrain_xlarge",
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


class HuBERTPretrainModel(nn.Module):
    """HuBERT model used for pretraining in *HuBERT* (Hsu et al., 2021).

    Note:
        To build the model, please use one of the factory functions.

    Args:
        wav2vec2 (Wav2Vec2Model): Wav2Vec2 encoder that generates the transformer outputs.
        mask_generator (nn.Module): Mask generator that generates the mask for masked
            prediction during the training.
        logit_generator (nn.Module): Logit generator that predicts the logits of the masked
            and unmasked inputs.
        feature_grad_mult (float or None): The factor to scale the convolutional feature
            extraction layer gradients by. If ``None``, the gradients of feature extraction
            layers are not affected. The scale factor will not affect the forward pass.
    """

    def __init__(self, wav2vec2, mask_generator, logit_generator, feature_grad_mult):
        super().__init__()
        self.wav2vec2 = wav2vec2
        self.mask_generator = mask_generator
        self.logit_generator = logit_generator
        if feature_grad_mult is not None and not 0.0 < feature_grad_mult < 1.0:
            raise ValueError(
                "The value of `feature_grad_mult` must be ``None``or between (0, 1). "
                f"Found {feature_grad_mult}"
            )
        self.feature_grad_mult = feature_grad_mult

    def forward(self, waveforms, labels, audio_lengths=None):
        """Compute the sequence of probability distribution over labels.

        Args:
            waveforms (Tensor): Audio tensor of dimension `[batch, frames]`.
            labels (Tensor): Label for pre-training. A Tensor of dimension `[batch, frames]`.
            audio_lengths (Tensor or None, optional): Indicates the valid length of each
                audio in the batch. Shape: `[batch, ]`. When the ``waveforms`` contains audios
                with different durations, by providing ``lengths`` argument, the model will
                compute the corresponding valid output lengths and apply proper mask in
                transformer attention layer. If ``None``, it is assumed that all the audio in
                ``waveforms`` have valid length. Default: ``None``.

        Returns:
            (Tensor, Tensor, Tensor):
            Tensor
                The masked sequences of probability distribution (in logit).
                Shape: `(masked_frames, num labels)`.
            Tensor
                The unmasked sequence of probability distribution (in logit).
                Shape: `(unmasked_frames, num labels)`.
            Tensor
                The feature mean value for additional penalty loss, a scalar.
        """
        x, lengths = self.wav2vec2.feature_extractor(waveforms, audio_lengths)
        if self.feature_grad_mult is not None and self.feature_grad_mult < 1.0:
            x = components.GradMultiply.apply(x, self.feature_grad_mult)
        features_pen = x.float().pow(2).mean()
        padding_mask = None
        if lengths is not None:
            padding_mask = components._get_padding_mask(x, lengths)
        x, attention_mask = self.wav2vec2.encoder._preprocess(x, lengths)
        x, mask = self.mask_generator(x, padding_mask)
        x = self.wav2vec2.encoder.transformer(x, attention_mask=attention_mask)
        if x.shape[1] != labels.shape[1]:
            raise ValueError("The length of label must match that of HuBERT model output")
        if padding_mask is not None:
            mask_m = ~padding_mask & mask
            mask_u = ~padding_mask & ~mask_m
        else:
            mask_m = mask
            mask_u = ~mask_m

        logit_m, logit_u = self.logit_generator(x, labels, mask_m, mask_u)
        return logit_m, logit_u, features_pen


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


def _architecture(architecture):
    """The fixed arguments of one of ``_ARCHITECTURES``, named as in ``wav2vec2_model``."""
    mode, conv_bias, embed_dim, num_layers, num_heads, ff_features, norm_first = _ARCHITECTURES[
        architecture
    ]
    return dict(
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
    )


def _build(architecture, **builder_arguments):
    """``wav2vec2_model`` for one of ``_ARCHITECTURES``. ``builder_arguments`` are a builder's
    own arguments (its ``locals()``: the dropouts and ``aux_num_out``), named as in
    ``wav2vec2_model``."""
    return wav2vec2_model(**_architecture(architecture), **builder_arguments)


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


def _init_hubert_pretrain_model(module):
    """torchaudio's initialization for pre-training, applied module by module: Kaiming-normal
    feature extractor convolutions, a zero positional-convolution bias, and fairseq's BERT
    initialization of the Transformer's linear layers.

    torchaudio also draws the positional convolution's weight, but under weight norm that
    writes into a computed tensor and changes nothing; and it draws the attention projections
    (Xavier), which the Transformer's initialization, applied after its children, overwrites.
    Neither is repeated here."""
    if isinstance(module, components.ConvLayerBlock):
        nn.init.kaiming_normal_(module.conv.weight)
    elif isinstance(module, components.ConvolutionalPositionalEmbedding):
        nn.init.constant_(module.conv.bias, 0.0)
    elif isinstance(module, components.Transformer):
        module.apply(components._init_transformer_params)


def hubert_pretrain_model(
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
    skip_masked,
    skip_nomask,
    num_classes,
    final_dim,
    feature_grad_mult,
):
    """Builds custom :class:`HuBERTPretrainModel` for training from scratch.

    The arguments up to ``encoder_layer_drop`` are those of :func:`wav2vec2_model`.

    Args:
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
        skip_masked (bool): If True, skip computing losses over masked frames.
        skip_nomask (bool): If True, skip computing losses over unmasked frames.
        num_classes (int): The number of classes in the labels.
        final_dim (int): Project final representations and targets to `final_dim`.
        feature_grad_mult (float or None): The factor to scale the convolutional feature
            extraction layer gradients by. The scale factor will not affect the forward pass.

    Returns:
        HuBERTPretrainModel: The resulting model.
    """
    wav2vec2 = wav2vec2_model(
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
        aux_num_out=None,
    )
    mask_generator = components.MaskGenerator(
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
    )
    logit_generator = components.LogitGenerator(
        encoder_embed_dim, num_classes, final_dim, skip_masked, skip_nomask
    )
    model = HuBERTPretrainModel(
        wav2vec2=wav2vec2,
        mask_generator=mask_generator,
        logit_generator=logit_generator,
        feature_grad_mult=feature_grad_mult,
    )
    model.apply(_init_hubert_pretrain_model)
    return model


def _build_pretrain(architecture, num_classes, final_dim, **builder_arguments):
    """``hubert_pretrain_model`` for one of ``_ARCHITECTURES``, with fairseq's static,
    overlapping masks of 10 frames; ``builder_arguments`` are the builder's own arguments."""
    return hubert_pretrain_model(
        **_architecture(architecture),
        mask_selection="static",
        mask_other=0.0,
        mask_length=10,
        no_mask_overlap=False,
        mask_min_space=1,
        mask_channel_selection="static",
        mask_channel_other=0.0,
        no_mask_channel_overlap=False,
        mask_channel_min_space=1,
        skip_masked=False,
        skip_nomask=False,
        num_classes=num_classes,
        final_dim=final_dim,
        **builder_arguments,
    )


def hubert_pretrain_base(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.1,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.1,
    encoder_layer_drop=0.05,
    mask_prob=0.8,
    mask_channel_prob=0.0,
    mask_channel_length=10,
    feature_grad_mult=0.1,
    num_classes=100,
):
    """Builds "base" :class:`HuBERTPretrainModel` from *HuBERT* (Hsu et al., 2021) for
    pretraining.

    The arguments are those of :func:`hubert_pretrain_model`; the same holds for the builders
    below.

    Returns:
        HuBERTPretrainModel: The resulting model.
    """
    return _build_pretrain("base", final_dim=256, **locals())


def hubert_pretrain_large(
    encoder_projection_dropout=0.0,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    mask_prob=0.8,
    mask_channel_prob=0.0,
    mask_channel_length=10,
    feature_grad_mult=None,
):
    """Builds "large" :class:`HuBERTPretrainModel` from *HuBERT* (Hsu et al., 2021) for
    pretraining."""
    return _build_pretrain("hubert_large", num_classes=500, final_dim=768, **locals())


def hubert_pretrain_xlarge(
    encoder_projection_dropout=0.0,
    encoder_attention_dropout=0.0,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.0,
    encoder_layer_drop=0.0,
    mask_prob=0.8,
    mask_channel_prob=0.0,
    mask_channel_length=10,
    feature_grad_mult=None,
):
    """Builds "extra large" :class:`HuBERTPretrainModel` from *HuBERT* (Hsu et al., 2021) for
    pretraining."""
    return _build_pretrain("hubert_xlarge", num_classes=500, final_dim=1024, **locals())


def wavlm_model(
    extractor_mode,
    extractor_conv_layer_config,
    extractor_conv_bias,
    encoder_embed_dim,
    encoder_projection_dropout,
    encoder_pos_conv_kernel,
    encoder_pos_conv_groups,
    encoder_num_layers,
    encoder_num_heads,
    encoder_num_buckets,
    encoder_max_distance,
    encoder_attention_dropout,
    encoder_ff_interm_features,
    encoder_ff_interm_dropout,
    encoder_dropout,
    encoder_layer_norm_first,
    encoder_layer_drop,
    aux_num_out,
):
    """Builds custom WaveLM model (Chen et al., 2022). The architecture is compatible with
    Wav2Vec2 model, and so the output object is :class:`Wav2Vec2Model`. Most of the
    arguments have the same meaning as in :func:`wav2vec2_model`.

    As in torchaudio, the model takes no ``lengths`` (its attention takes no padding mask).

    Args:
        encoder_num_buckets (int): Number of buckets for relative position embedding.
        encoder_max_distance (int): Maximum distance for relative position embedding.

    Returns:
        Wav2Vec2Model: The resulting model.
    """
    if extractor_conv_layer_config is None:
        extractor_conv_layer_config = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2

    feature_extractor = components._get_feature_extractor(
        extractor_mode, extractor_conv_layer_config, extractor_conv_bias
    )
    encoder = components._get_wavlm_encoder(
        in_features=extractor_conv_layer_config[-1][0],
        embed_dim=encoder_embed_dim,
        dropout_input=encoder_projection_dropout,
        pos_conv_kernel=encoder_pos_conv_kernel,
        pos_conv_groups=encoder_pos_conv_groups,
        num_layers=encoder_num_layers,
        num_heads=encoder_num_heads,
        num_buckets=encoder_num_buckets,
        max_distance=encoder_max_distance,
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


def wavlm_base(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.1,
    encoder_ff_interm_dropout=0.1,
    encoder_dropout=0.1,
    encoder_layer_drop=0.1,
    aux_num_out=None,
):
    """Builds "base" WaveLM model (Chen et al., 2022). The architecture is compatible with
    Wav2Vec2 model, and so the output class is :class:`Wav2Vec2Model`. The arguments are those
    of :func:`wav2vec2_model`."""
    return wavlm_model(
        **_architecture("base"), encoder_num_buckets=320, encoder_max_distance=800, **locals()
    )


def wavlm_large(
    encoder_projection_dropout=0.1,
    encoder_attention_dropout=0.1,
    encoder_ff_interm_dropout=0.0,
    encoder_dropout=0.1,
    encoder_layer_drop=0.1,
    aux_num_out=None,
):
    """Builds "large" WaveLM model (Chen et al., 2022). The architecture is compatible with
    Wav2Vec2 model, and so the output class is :class:`Wav2Vec2Model`. The arguments are those
    of :func:`wav2vec2_model`."""
    return wavlm_model(
        **_architecture("hubert_large"),
        encoder_num_buckets=320,
        encoder_max_distance=800,
        **locals(),
    )
