"""The Vision Transformer (Dosovitskiy et al., 2020): ViT-B/16, B/32, L/16, L/32 and H/14 with
torchvision's module names and initialisation, so its state dicts load unchanged."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import ember
from ember import nn

from ..ops.misc import MLP, Conv2dNormActivation
from ._api import _load_weights, register_model

__all__ = [
    "VisionTransformer",
    "vit_b_16",
    "vit_b_32",
    "vit_l_16",
    "vit_l_32",
    "vit_h_14",
]

# The default normalisation of the encoder: LayerNorm with eps=1e-6.
_LAYER_NORM = partial(nn.LayerNorm, eps=1e-6)


class ConvStemConfig(NamedTuple):
    """One convolution (+ norm + activation) of a convolutional stem
    (https://arxiv.org/abs/2106.14881), in place of the patchify convolution."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable = nn.BatchNorm2d
    activation_layer: Callable = nn.ReLU


class MLPBlock(MLP):
    """Transformer MLP block: Linear to ``mlp_dim``, GELU, Dropout, Linear back, Dropout;
    Xavier-uniform weights and N(0, 1e-6²) biases.

    State dicts of torchvision before 0.13 named the linear layers ``linear_1`` and
    ``linear_2`` (the weights torchvision still downloads for ViT do); they load too.
    """

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(
            in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None, dropout=dropout
        )
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # torchvision renames by the checkpoint's version metadata; a safetensors file has
        # none, so the old names are recognised by themselves.
        for i in range(2):
            for kind in ("weight", "bias"):
                old_key = f"{prefix}linear_{i + 1}.{kind}"
                if old_key in state_dict:
                    state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


def _check_tokens(input):
    if input.dim() != 3:
        raise AssertionError(
            f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}"
        )


class EncoderBlock(nn.Module):
    """Transformer encoder block: pre-norm self-attention and pre-norm MLP, each with a
    residual connection.

    Args:
        num_heads (int): attention heads.
        hidden_dim (int): the token width.
        mlp_dim (int): the MLP's hidden width.
        dropout (float): dropout after the attention and in the MLP.
        attention_dropout (float): dropout on the attention weights.
        norm_layer (callable): normalisation layer factory. Default: ``nn.LayerNorm`` with
            ``eps=1e-6``.
    """

    def __init__(
        self,
        num_heads,
        hidden_dim,
        mlp_dim,
        dropout,
        attention_dropout,
        norm_layer=_LAYER_NORM,
    ):
        super().__init__()
        self.num_heads = num_heads

        # attention block
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(
            hidden_dim, num_heads, dropout=attention_dropout, batch_first=True
        )
        self.dropout = nn.Dropout(dropout)

        # MLP block
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        _check_tokens(input)
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input

        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    """Transformer Model Encoder for sequence to sequence translation: a learned position
    embedding (N(0, 0.02²)) is added, then dropout, ``num_layers`` encoder blocks
    (``layers.encoder_layer_{i}``) and a final norm ``ln``."""

    def __init__(
        self,
        seq_length,
        num_layers,
        num_heads,
        hidden_dim,
        mlp_dim,
        dropout,
        attention_dropout,
        norm_layer=_LAYER_NORM,
    ):
        super().__init__()
        # batch first, as the attention layers (from BERT)
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        layers = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(
                num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer
            )
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        _check_tokens(input)
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    """Vision Transformer as per https://arxiv.org/abs/2010.11929.

    ``conv_proj`` cuts the image into ``patch_size`` × ``patch_size`` patches and embeds
    each (a strided convolution, or a convolutional stem); a learned ``class_token`` is
    prepended, the ``encoder`` runs, and ``heads`` map the class token to the logits.
    The patchify convolution gets ``trunc_normal_(std=sqrt(1 / fan_in))`` weights, the last
    head zero weights and bias.

    Args:
        image_size (int): the input's height and width (fixed: the position embedding has one
            entry per patch).
        patch_size (int): the patch's side; must divide ``image_size``.
        num_layers (int): encoder blocks.
        num_heads (int): attention heads.
        hidden_dim (int): the token width.
        mlp_dim (int): the MLP's hidden width.
        dropout (float): dropout rate. Default: 0.0.
        attention_dropout (float): dropout on the attention weights. Default: 0.0.
        num_classes (int): number of classes. Default: 1000.
        representation_size (int, optional): add a Linear + Tanh ``pre_logits`` layer of this
            width before the head. Default: None.
        norm_layer (callable): normalisation layer factory. Default: ``nn.LayerNorm`` with
            ``eps=1e-6``.
        conv_stem_configs (list[ConvStemConfig], optional): a convolutional stem in place of
            the patchify convolution. Default: None.

    Shape:
        - Input: :math:`(N, 3, \\text{image\\_size}, \\text{image\\_size})`.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(
        self,
        image_size,
        patch_size,
        num_layers,
        num_heads,
        hidden_dim,
        mlp_dim,
        dropout=0.0,
        attention_dropout=0.0,
        num_classes=1000,
        representation_size=None,
        norm_layer=_LAYER_NORM,
        conv_stem_configs=None,
    ):
        super().__init__()
        if image_size % patch_size != 0:
            raise AssertionError("Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            # As per https://arxiv.org/abs/2106.14881
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, config in enumerate(conv_stem_configs):
                seq_proj.add_module(
                    f"conv_bn_relu_{i}",
                    Conv2dNormActivation(
                        in_channels=prev_channels,
                        out_channels=config.out_channels,
                        kernel_size=config.kernel_size,
                        stride=config.stride,
                        norm_layer=config.norm_layer,
                        activation_layer=config.activation_layer,
                    ),
                )
                prev_channels = config.out_channels
            seq_proj.add_module(
                "conv_last",
                nn.Conv2d(in_channels=prev_channels, out_channels=hidden_dim, kernel_size=1),
            )
            self.conv_proj = seq_proj
        else:
            self.conv_proj = nn.Conv2d(
                in_channels=3, out_channels=hidden_dim, kernel_size=patch_size, stride=patch_size
            )

        # one token per patch, and the class token
        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        seq_length += 1

        self.encoder = Encoder(
            seq_length,
            num_layers,
            num_heads,
            hidden_dim,
            mlp_dim,
            dropout,
            attention_dropout,
            norm_layer,
        )
        self.seq_length = seq_length

        heads_layers = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)

        if isinstance(self.conv_proj, nn.Conv2d):
            # the patchify stem
            fan_in = (
                self.conv_proj.in_channels
                * self.conv_proj.kernel_size[0]
                * self.conv_proj.kernel_size[1]
            )
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        else:
            # the last 1×1 convolution of the convolutional stem
            conv_last = self.conv_proj.conv_last
            nn.init.normal_(conv_last.weight, mean=0.0, std=math.sqrt(2.0 / conv_last.out_channels))
            if conv_last.bias is not None:
                nn.init.zeros_(conv_last.bias)

        if representation_size is not None:
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)

        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        """The patch tokens: ``(n, c, h, w)`` → ``(n, (h / p) * (w / p), hidden_dim)``."""
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size:
            raise AssertionError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise AssertionError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        n_h = h // p
        n_w = w // p

        # (n, c, h, w) -> (n, hidden_dim, n_h, n_w) -> (n, hidden_dim, n_h * n_w)
        x = self.conv_proj(x)
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        # the attention layers take (N, S, E): batch, sequence, embedding
        return x.permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        n = x.shape[0]

        # the class token, for each image of the batch
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = ember.cat([batch_class_token, x], dim=1)

        x = self.encoder(x)

        # classify from the class token's output, as language models do
        x = x[:, 0]
        return self.heads(x)


def _vision_transformer(patch_size, num_layers, num_heads, hidden_dim, mlp_dim, weights, kwargs):
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(
        image_size=image_size,
        patch_size=patch_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        mlp_dim=mlp_dim,
        **kwargs,
    )
    return _load_weights(model, weights)


@register_model()
def vit_b_16(*, weights=None, progress=True, **kwargs):
    """ViT-B/16 from `An Image is Worth 16x16 Words: Transformers for Image Recognition at
    Scale <https://arxiv.org/abs/2010.11929>`_: 12 layers, 12 heads, width 768, MLP 3072,
    16×16 patches, 86,567,656 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
            torchvision's ``IMAGENET1K_SWAG_*`` weights need ``image_size=384`` (518 for
            ViT-H/14) here, as the position embedding's length depends on it.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: ``image_size`` (224) and the arguments of :class:`VisionTransformer`
            (``dropout``, ``attention_dropout``, ``num_classes``, ``representation_size``,
            ``norm_layer``, ``conv_stem_configs``).
    """
    return _vision_transformer(16, 12, 12, 768, 3072, weights, kwargs)


@register_model()
def vit_b_32(*, weights=None, progress=True, **kwargs):
    """ViT-B/32: 12 layers, 12 heads, width 768, MLP 3072, 32×32 patches, 88,224,232
    parameters; arguments as :func:`vit_b_16`."""
    return _vision_transformer(32, 12, 12, 768, 3072, weights, kwargs)


@register_model()
def vit_l_16(*, weights=None, progress=True, **kwargs):
    """ViT-L/16: 24 layers, 16 heads, width 1024, MLP 4096, 16×16 patches, 304,326,632
    parameters; arguments as :func:`vit_b_16`."""
    return _vision_transformer(16, 24, 16, 1024, 4096, weights, kwargs)


@register_model()
def vit_l_32(*, weights=None, progress=True, **kwargs):
    """ViT-L/32: 24 layers, 16 heads, width 1024, MLP 4096, 32×32 patches, 306,535,400
    parameters; arguments as :func:`vit_b_16`."""
    return _vision_transformer(32, 24, 16, 1024, 4096, weights, kwargs)


@register_model()
def vit_h_14(*, weights=None, progress=True, **kwargs):
    """ViT-H/14: 32 layers, 16 heads, width 1280, MLP 5120, 14×14 patches, 632,045,800
    parameters; arguments as :func:`vit_b_16`."""
    return _vision_transformer(14, 32, 16, 1280, 5120, weights, kwargs)


def interpolate_embeddings(
    image_size, patch_size, model_state, interpolation_mode="bicubic", reset_heads=False
):
    """This function helps interpolate positional embeddings during checkpoint loading,
    especially when you want to apply a pre-trained model on images with different resolution.

    The patch part of ``encoder.pos_embedding`` is resized as a square grid (``align_corners``
    interpolation) to ``(image_size // patch_size) ** 2`` entries; the class token's entry is
    kept.

    Args:
        image_size (int): Image size of the new model.
        patch_size (int): Patch size of the new model.
        model_state (OrderedDict[str, Tensor]): State dict of the pre-trained model.
        interpolation_mode (str): The algorithm used for upsampling. Default: bicubic.
        reset_heads (bool): If true, not copying the state of heads. Default: False.

    Returns:
        OrderedDict[str, Tensor]: A state dict which can be loaded into the new model.

    Raises:
        ValueError: the embedding's batch dimension is not 1, or its patch count is not a
            square.
    """
    # (1, seq_length, hidden_dim)
    pos_embedding = model_state["encoder.pos_embedding"]
    n, seq_length, hidden_dim = pos_embedding.shape
    if n != 1:
        raise ValueError(f"Unexpected position embedding shape: {pos_embedding.shape}")

    new_seq_length = (image_size // patch_size) ** 2 + 1
    if new_seq_length == seq_length:
        return model_state

    # the class token's embedding is not interpolated
    seq_length -= 1
    new_seq_length -= 1
    pos_embedding_token = pos_embedding[:, :1, :]
    pos_embedding_img = pos_embedding[:, 1:, :]

    # (1, seq_length, hidden_dim) -> (1, hidden_dim, seq_l_1d, seq_l_1d)
    pos_embedding_img = pos_embedding_img.permute(0, 2, 1)
    seq_length_1d = int(math.sqrt(seq_length))
    if seq_length_1d * seq_length_1d != seq_length:
        raise ValueError(
            "seq_length is not a perfect square! Instead got seq_length_1d * seq_length_1d = "
            f"{seq_length_1d * seq_length_1d} and seq_length = {seq_length}"
        )
    pos_embedding_img = pos_embedding_img.reshape(1, hidden_dim, seq_length_1d, seq_length_1d)
    new_seq_length_1d = image_size // patch_size

    # (1, hidden_dim, seq_l_1d, seq_l_1d) -> (1, hidden_dim, new_seq_l_1d, new_seq_l_1d)
    new_pos_embedding_img = nn.functional.interpolate(
        pos_embedding_img, size=new_seq_length_1d, mode=interpolation_mode, align_corners=True
    )
    # -> (1, new_seq_length, hidden_dim)
    new_pos_embedding_img = new_pos_embedding_img.reshape(1, hidden_dim, new_seq_length)
    new_pos_embedding_img = new_pos_embedding_img.permute(0, 2, 1)
    model_state["encoder.pos_embedding"] = ember.cat(
        [pos_embedding_token, new_pos_embedding_img], dim=1
    )

    if reset_heads:
        model_state = OrderedDict(
            (k, v) for k, v in model_state.items() if not k.startswith("heads")
        )
    return model_state
