"""MaxViT (Tu et al., 2022), MaxViT-T with torchvision's module names and initialisation, so
its state dicts load unchanged: stages of MBConv, window attention and grid attention."""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import _load_weights, register_model
from .swin_transformer import _get_relative_position_bias, _get_relative_position_index

__all__ = ["MaxVit", "maxvit_t"]


def _get_conv_output_shape(input_size, kernel_size, stride, padding):
    return (
        (input_size[0] - kernel_size + 2 * padding) // stride + 1,
        (input_size[1] - kernel_size + 2 * padding) // stride + 1,
    )


def _make_block_input_shapes(input_size, n_blocks):
    """Util function to check that the input size is correct for a MaxVit configuration:
    the feature size after the stem and after each block (3×3 convolutions of stride 2)."""
    shapes = []
    block_input_shape = _get_conv_output_shape(input_size, 3, 2, 1)
    for _ in range(n_blocks):
        block_input_shape = _get_conv_output_shape(block_input_shape, 3, 2, 1)
        shapes.append(block_input_shape)
    return shapes


class MBConv(nn.Module):
    """MBConv: Mobile Inverted Residual Bottleneck, pre-normalised: ``pre_norm``, 1×1
    expansion, 3×3 depthwise convolution (carrying the stride), squeeze-and-excitation (SiLU),
    1×1 projection with bias. The shortcut ``proj`` is a 3×3 average pool (at stride 2) and a
    1×1 convolution when the shape changes.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        expansion_ratio (float): Expansion ratio in the bottleneck.
        squeeze_ratio (float): Squeeze ratio in the SE Layer.
        stride (int): Stride of the depthwise convolution.
        activation_layer (Callable[..., nn.Module]): Activation function.
        norm_layer (Callable[..., nn.Module]): Normalization function.
        p_stochastic_dropout (float): Probability of stochastic depth.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        expansion_ratio,
        squeeze_ratio,
        stride,
        activation_layer,
        norm_layer,
        p_stochastic_dropout=0.0,
    ):
        super().__init__()
        if stride != 1 or in_channels != out_channels:
            proj = [nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=1, bias=True)]
            if stride == 2:
                proj = [nn.AvgPool2d(kernel_size=3, stride=stride, padding=1)] + proj
            self.proj = nn.Sequential(*proj)
        else:
            self.proj = nn.Identity()

        mid_channels = int(out_channels * expansion_ratio)
        sqz_channels = int(out_channels * squeeze_ratio)

        if p_stochastic_dropout:
            self.stochastic_depth = StochasticDepth(p_stochastic_dropout, mode="row")
        else:
            self.stochastic_depth = nn.Identity()

        conv = partial(
            Conv2dNormActivation,
            activation_layer=activation_layer,
            norm_layer=norm_layer,
            inplace=None,
        )
        layers = OrderedDict()
        layers["pre_norm"] = norm_layer(in_channels)
        layers["conv_a"] = conv(in_channels, mid_channels, kernel_size=1, stride=1, padding=0)
        layers["conv_b"] = conv(
            mid_channels, mid_channels, kernel_size=3, stride=stride, padding=1, groups=mid_channels
        )
        layers["squeeze_excitation"] = SqueezeExcitation(
            mid_channels, sqz_channels, activation=nn.SiLU
        )
        layers["conv_c"] = nn.Conv2d(
            in_channels=mid_channels, out_channels=out_channels, kernel_size=1, bias=True
        )
        self.layers = nn.Sequential(layers)

    def forward(self, x):
        """``(B, C, H, W)`` → ``(B, out_channels, H / stride, W / stride)``."""
        res = self.proj(x)
        x = self.stochastic_depth(self.layers(x))
        return res + x


class RelativePositionalMultiHeadAttention(nn.Module):
    """Relative Positional Multi-Head Attention within each group of tokens, with a learned
    bias per head and relative offset of a square ``sqrt(max_seq_len)`` window. As in
    torchvision (and the reference implementation), the keys are scaled by
    ``feat_dim ** -0.5``, not ``head_dim ** -0.5``.

    Args:
        feat_dim (int): Number of input features.
        head_dim (int): Number of features per head.
        max_seq_len (int): Maximum sequence length.

    Shape:
        ``(B, G, P, D)`` → ``(B, G, P, D)``: ``G`` groups of ``P`` tokens.
    """

    def __init__(self, feat_dim, head_dim, max_seq_len):
        super().__init__()
        if feat_dim % head_dim != 0:
            raise ValueError(f"feat_dim: {feat_dim} must be divisible by head_dim: {head_dim}")
        self.n_heads = feat_dim // head_dim
        self.head_dim = head_dim
        self.size = int(math.sqrt(max_seq_len))
        self.max_seq_len = max_seq_len

        self.to_qkv = nn.Linear(feat_dim, self.n_heads * self.head_dim * 3)
        self.scale_factor = feat_dim**-0.5

        self.merge = nn.Linear(self.head_dim * self.n_heads, feat_dim)
        self.relative_position_bias_table = nn.Parameter(
            ember.empty(((2 * self.size - 1) * (2 * self.size - 1), self.n_heads))
        )
        self.register_buffer(
            "relative_position_index", _get_relative_position_index(self.size, self.size)
        )
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def get_relative_positional_bias(self):
        """``(1, n_heads, max_seq_len, max_seq_len)``."""
        return _get_relative_position_bias(
            self.relative_position_bias_table,
            self.relative_position_index.view(-1),
            [self.size, self.size],
        )

    def forward(self, x):
        B, G, P, D = x.shape
        H, DH = self.n_heads, self.head_dim

        qkv = self.to_qkv(x)
        q, k, v = ember.chunk(qkv, 3, dim=-1)
        q = q.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        k = k.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        v = v.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)

        k = k * self.scale_factor
        dot_prod = q @ k.transpose(-2, -1)  # B G H I J
        dot_prod = F.softmax(dot_prod + self.get_relative_positional_bias(), dim=-1)
        out = dot_prod @ v  # B G H I D
        out = out.permute(0, 1, 3, 2, 4).reshape(B, G, P, D)
        return self.merge(out)


class SwapAxes(nn.Module):
    """Swaps dimensions ``a`` and ``b`` of the input."""

    def __init__(self, a, b):
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x):
        return ember.swapaxes(x, self.a, self.b)


class WindowPartition(nn.Module):
    """Partition the input tensor into non-overlapping windows:
    ``(B, C, H, W)`` → ``(B, H/P * W/P, P*P, C)`` for windows of ``p × p``."""

    def forward(self, x, p):
        B, C, H, W = x.shape
        P = p
        # chunk up H and W dimensions
        x = x.reshape(B, C, H // P, P, W // P, P)
        x = x.permute(0, 2, 4, 3, 5, 1)
        # collapse the P * P dimension
        return x.reshape(B, (H // P) * (W // P), P * P, C)


class WindowDepartition(nn.Module):
    """Departition the input tensor of non-overlapping windows into a feature volume:
    ``(B, HP * WP, P*P, C)`` → ``(B, C, HP * P, WP * P)``."""

    def forward(self, x, p, h_partitions, w_partitions):
        B, _, _, C = x.shape
        P = p
        HP, WP = h_partitions, w_partitions
        # split the P * P dimension into two P tile dimensions
        x = x.reshape(B, HP, WP, P, P, C)
        # B, C, HP, P, WP, P
        x = x.permute(0, 5, 1, 3, 2, 4)
        return x.reshape(B, C, HP * P, WP * P)


class PartitionAttentionLayer(nn.Module):
    """Layer for partitioning the input tensor into non-overlapping windows and applying
    attention to each window: pre-norm relative-position attention and pre-norm MLP, each
    with a stochastic-depth residual connection.

    ``"window"`` partitioning attends within ``partition_size × partition_size`` blocks of
    neighbouring pixels; ``"grid"`` within a ``partition_size × partition_size`` grid of
    pixels spread over the whole map (dilated), by swapping the two token axes.

    Args:
        in_channels (int): Number of input channels.
        head_dim (int): Dimension of each attention head.
        partition_size (int): Size of the partitions.
        partition_type (str): Type of partitioning to use. Can be either "grid" or "window".
        grid_size (Tuple[int, int]): Size of the grid to partition the input tensor into.
        mlp_ratio (int): Ratio of the  feature size expansion in the MLP layer.
        activation_layer (Callable[..., nn.Module]): Activation function to use.
        norm_layer (Callable[..., nn.Module]): Normalization function to use.
        attention_dropout (float): Dropout probability for the attention layer.
        mlp_dropout (float): Dropout probability for the MLP layer.
        p_stochastic_dropout (float): Probability of dropping out a partition.
    """

    def __init__(
        self,
        in_channels,
        head_dim,
        partition_size,
        partition_type,
        grid_size,
        mlp_ratio,
        activation_layer,
        norm_layer,
        attention_dropout,
        mlp_dropout,
        p_stochastic_dropout,
    ):
        super().__init__()
        self.n_heads = in_channels // head_dim
        self.head_dim = head_dim
        self.n_partitions = grid_size[0] // partition_size
        self.partition_type = partition_type
        self.grid_size = grid_size

        if partition_type not in ["grid", "window"]:
            raise ValueError("partition_type must be either 'grid' or 'window'")
        if partition_type == "window":
            self.p, self.g = partition_size, self.n_partitions
        else:
            self.p, self.g = self.n_partitions, partition_size

        self.partition_op = WindowPartition()
        self.departition_op = WindowDepartition()
        self.partition_swap = SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()
        self.departition_swap = SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()

        self.attn_layer = nn.Sequential(
            norm_layer(in_channels),
            # partition_size ** 2 tokens either way, thanks to the swap for grid partitioning
            RelativePositionalMultiHeadAttention(in_channels, head_dim, partition_size**2),
            nn.Dropout(attention_dropout),
        )
        # pre-normalisation, as in transformer layers
        self.mlp_layer = nn.Sequential(
            nn.LayerNorm(in_channels),
            nn.Linear(in_channels, in_channels * mlp_ratio),
            activation_layer(),
            nn.Linear(in_channels * mlp_ratio, in_channels),
            nn.Dropout(mlp_dropout),
        )
        self.stochastic_dropout = StochasticDepth(p_stochastic_dropout, mode="row")

    def forward(self, x):
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        # undefined when H or W is not divisible by p (as in the reference implementation)
        gh, gw = self.grid_size[0] // self.p, self.grid_size[1] // self.p
        if self.grid_size[0] % self.p != 0 or self.grid_size[1] % self.p != 0:
            raise AssertionError(
                f"Grid size must be divisible by partition size. Got grid size of "
                f"{self.grid_size} and partition size of {self.p}"
            )
        x = self.partition_op(x, self.p)
        x = self.partition_swap(x)
        x = x + self.stochastic_dropout(self.attn_layer(x))
        x = x + self.stochastic_dropout(self.mlp_layer(x))
        x = self.departition_swap(x)
        return self.departition_op(x, self.p, gh, gw)


class MaxVitLayer(nn.Module):
    """MaxVit layer consisting of a MBConv layer followed by a PartitionAttentionLayer with
    `window` and a PartitionAttentionLayer with `grid` (``layers.MBconv``,
    ``layers.window_attention``, ``layers.grid_attention``).

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        squeeze_ratio (float): Squeeze ratio in the SE Layer.
        expansion_ratio (float): Expansion ratio in the bottleneck.
        stride (int): Stride of the depthwise convolution.
        norm_layer (Callable[..., nn.Module]): Normalization function (of the MBConv).
        activation_layer (Callable[..., nn.Module]): Activation function.
        head_dim (int): Dimension of the attention heads.
        mlp_ratio (int): Ratio of the MLP layer.
        mlp_dropout (float): Dropout probability for the MLP layer.
        attention_dropout (float): Dropout probability for the attention layer.
        p_stochastic_dropout (float): Probability of stochastic depth.
        partition_size (int): Size of the partitions.
        grid_size (Tuple[int, int]): Size of the input feature grid.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        squeeze_ratio,
        expansion_ratio,
        stride,
        norm_layer,
        activation_layer,
        head_dim,
        mlp_ratio,
        mlp_dropout,
        attention_dropout,
        p_stochastic_dropout,
        partition_size,
        grid_size,
    ):
        super().__init__()
        attention = partial(
            PartitionAttentionLayer,
            in_channels=out_channels,
            head_dim=head_dim,
            partition_size=partition_size,
            grid_size=grid_size,
            mlp_ratio=mlp_ratio,
            activation_layer=activation_layer,
            norm_layer=nn.LayerNorm,
            attention_dropout=attention_dropout,
            mlp_dropout=mlp_dropout,
            p_stochastic_dropout=p_stochastic_dropout,
        )
        layers = OrderedDict()
        layers["MBconv"] = MBConv(
            in_channels=in_channels,
            out_channels=out_channels,
            expansion_ratio=expansion_ratio,
            squeeze_ratio=squeeze_ratio,
            stride=stride,
            activation_layer=activation_layer,
            norm_layer=norm_layer,
            p_stochastic_dropout=p_stochastic_dropout,
        )
        layers["window_attention"] = attention(partition_type="window")
        layers["grid_attention"] = attention(partition_type="grid")
        self.layers = nn.Sequential(layers)

    def forward(self, x):
        return self.layers(x)


class MaxVitBlock(nn.Module):
    """A MaxVit block consisting of `n_layers` MaxVit layers, the first of stride 2.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        squeeze_ratio (float): Squeeze ratio in the SE Layer.
        expansion_ratio (float): Expansion ratio in the bottleneck.
        norm_layer (Callable[..., nn.Module]): Normalization function.
        activation_layer (Callable[..., nn.Module]): Activation function.
        head_dim (int): Dimension of the attention heads.
        mlp_ratio (int): Ratio of the MLP layer.
        mlp_dropout (float): Dropout probability for the MLP layer.
        attention_dropout (float): Dropout probability for the attention layer.
        partition_size (int): Size of the partitions.
        input_grid_size (Tuple[int, int]): Size of the input feature grid.
        n_layers (int): Number of layers in the block.
        p_stochastic (List[float]): List of probabilities for stochastic depth for each layer.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        squeeze_ratio,
        expansion_ratio,
        norm_layer,
        activation_layer,
        head_dim,
        mlp_ratio,
        mlp_dropout,
        attention_dropout,
        partition_size,
        input_grid_size,
        n_layers,
        p_stochastic,
    ):
        super().__init__()
        if not len(p_stochastic) == n_layers:
            raise ValueError(
                f"p_stochastic must have length n_layers={n_layers}, "
                f"got p_stochastic={p_stochastic}."
            )
        self.layers = nn.ModuleList()
        # account for the stride of the first layer
        self.grid_size = _get_conv_output_shape(input_grid_size, kernel_size=3, stride=2, padding=1)
        for idx, p in enumerate(p_stochastic):
            self.layers.append(
                MaxVitLayer(
                    in_channels=in_channels if idx == 0 else out_channels,
                    out_channels=out_channels,
                    squeeze_ratio=squeeze_ratio,
                    expansion_ratio=expansion_ratio,
                    stride=2 if idx == 0 else 1,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                    head_dim=head_dim,
                    mlp_ratio=mlp_ratio,
                    mlp_dropout=mlp_dropout,
                    attention_dropout=attention_dropout,
                    partition_size=partition_size,
                    grid_size=self.grid_size,
                    p_stochastic_dropout=p,
                )
            )

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class MaxVit(nn.Module):
    """Implements MaxVit Transformer from the `MaxViT: Multi-Axis Vision Transformer
    <https://arxiv.org/abs/2204.01697>`_ paper.

    ``stem`` (two 3×3 convolutions, the first of stride 2) → ``blocks`` → ``classifier``
    (average pool, flatten, LayerNorm, Linear, Tanh, Linear without bias). Layer ``i`` of
    ``n`` drops its residual branches with probability ``stochastic_depth_prob * i / (n - 1)``
    in training. Convolutions and linear layers get N(0, 0.02²) weights and zero biases.

    Args:
        input_size (Tuple[int, int]): Size of the input image (fixed: the attention layers'
            grids depend on it).
        stem_channels (int): Number of channels in the stem.
        partition_size (int): Size of the partitions.
        block_channels (List[int]): Number of channels in each block.
        block_layers (List[int]): Number of layers in each block.
        head_dim (int): Dimension of the attention heads.
        stochastic_depth_prob (float): Probability of stochastic depth. Expands to a list of
            probabilities for each layer that scales linearly to the specified value.
        norm_layer (Callable[..., nn.Module]): Normalization function. Default: None (setting
            to None will produce a `BatchNorm2d(eps=1e-3, momentum=0.01)`).
        activation_layer (Callable[..., nn.Module]): Activation function Default: nn.GELU.
        squeeze_ratio (float): Squeeze ratio in the SE Layer. Default: 0.25.
        expansion_ratio (float): Expansion ratio in the MBConv bottleneck. Default: 4.
        mlp_ratio (int): Expansion ratio of the MLP layer. Default: 4.
        mlp_dropout (float): Dropout probability for the MLP layer. Default: 0.0.
        attention_dropout (float): Dropout probability for the attention layer. Default: 0.0.
        num_classes (int): Number of classes. Default: 1000.

    Raises:
        ValueError: the feature size at the input of a block is not divisible by
            ``partition_size``.
    """

    def __init__(
        self,
        input_size,
        stem_channels,
        partition_size,
        block_channels,
        block_layers,
        head_dim,
        stochastic_depth_prob,
        norm_layer=None,
        activation_layer=nn.GELU,
        squeeze_ratio=0.25,
        expansion_ratio=4,
        mlp_ratio=4,
        mlp_dropout=0.0,
        attention_dropout=0.0,
        num_classes=1000,
    ):
        super().__init__()
        input_channels = 3

        # the batch norm of the reference implementation (google-research/maxvit)
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)

        # every block's input must split into whole partitions
        block_input_sizes = _make_block_input_shapes(input_size, len(block_channels))
        for idx, block_input_size in enumerate(block_input_sizes):
            if (
                block_input_size[0] % partition_size != 0
                or block_input_size[1] % partition_size != 0
            ):
                raise ValueError(
                    f"Input size {block_input_size} of block {idx} is not divisible by partition "
                    f"size {partition_size}. Consider changing the partition size or the input "
                    f"size.\nCurrent configuration yields the following block input sizes: "
                    f"{block_input_sizes}."
                )

        self.stem = nn.Sequential(
            Conv2dNormActivation(
                input_channels,
                stem_channels,
                3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
                bias=False,
                inplace=None,
            ),
            Conv2dNormActivation(
                stem_channels,
                stem_channels,
                3,
                stride=1,
                norm_layer=None,
                activation_layer=None,
                bias=True,
            ),
        )
        # account for the stem's stride
        input_size = _get_conv_output_shape(input_size, kernel_size=3, stride=2, padding=1)
        self.partition_size = partition_size

        self.blocks = nn.ModuleList()
        in_channels = [stem_channels] + block_channels[:-1]
        out_channels = block_channels
        # the stochastic depth probabilities of the layers, from 0 to stochastic_depth_prob
        p_stochastic = np.linspace(0, stochastic_depth_prob, sum(block_layers)).tolist()
        p_idx = 0
        for in_channel, out_channel, num_layers in zip(in_channels, out_channels, block_layers):
            self.blocks.append(
                MaxVitBlock(
                    in_channels=in_channel,
                    out_channels=out_channel,
                    squeeze_ratio=squeeze_ratio,
                    expansion_ratio=expansion_ratio,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                    head_dim=head_dim,
                    mlp_ratio=mlp_ratio,
                    mlp_dropout=mlp_dropout,
                    attention_dropout=attention_dropout,
                    partition_size=partition_size,
                    input_grid_size=input_size,
                    n_layers=num_layers,
                    p_stochastic=p_stochastic[p_idx : p_idx + num_layers],
                )
            )
            input_size = self.blocks[-1].grid_size
            p_idx += num_layers

        # Linear -> Tanh -> Linear as in the reference implementation
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.LayerNorm(block_channels[-1]),
            nn.Linear(block_channels[-1], block_channels[-1]),
            nn.Tanh(),
            nn.Linear(block_channels[-1], num_classes, bias=False),
        )
        self._init_weights()

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(x)

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


@register_model()
def maxvit_t(*, weights=None, progress=True, **kwargs):
    """MaxViT-T from `MaxViT: Multi-Axis Vision Transformer
    <https://arxiv.org/abs/2204.01697>`_: stem 64, blocks [64, 128, 256, 512] of [2, 2, 5, 2]
    layers, heads of 32, 7×7 partitions, stochastic depth 0.2, 30,919,624 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: ``input_size`` ((224, 224)) and the arguments of :class:`MaxVit`
            (``norm_layer``, ``activation_layer``, ``squeeze_ratio``, ``expansion_ratio``,
            ``mlp_ratio``, ``mlp_dropout``, ``attention_dropout``, ``num_classes``).
    """
    input_size = kwargs.pop("input_size", (224, 224))
    model = MaxVit(
        stem_channels=64,
        block_channels=[64, 128, 256, 512],
        block_layers=[2, 2, 5, 2],
        head_dim=32,
        stochastic_depth_prob=0.2,
        partition_size=7,
        input_size=input_size,
        **kwargs,
    )
    return _load_weights(model, weights)
