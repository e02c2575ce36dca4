"""The Video Swin Transformer (Liu et al., 2022): Swin3D-T, -S and -B, built from the 2-d Swin
Transformer's block and patch merging with a 3-d shifted window attention, with torchvision's
module names, so its state dicts load unchanged."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F

from .._api import _load_weights, register_model
from ..swin_transformer import (
    PatchMerging,
    SwinTransformerBlock,
    _shift_regions,
    _stages,
    _WindowAttention,
)

__all__ = ["SwinTransformer3d", "swin3d_t", "swin3d_s", "swin3d_b"]


def _get_window_and_shift_size(shift_size, size_dhw, window_size):
    """Where the input is no larger than the window along an axis, the window adapts to the
    input's size and is not shifted. Updates and returns the two lists."""
    for i in range(3):
        if size_dhw[i] <= window_size[i]:
            window_size[i] = size_dhw[i]
            shift_size[i] = 0
    return window_size, shift_size


def _get_relative_position_index_3d(window_size):
    """``(Wd·Wh·Ww, Wd·Wh·Ww)`` int64: the index of each token pair's offset (dd, dh, dw) in a
    table of the ``(2Wd - 1)(2Wh - 1)(2Ww - 1)`` offsets of a window."""
    coords = ember.stack(ember.meshgrid(*(ember.arange(w) for w in window_size), indexing="ij"))
    coords_flat = ember.flatten(coords, 1)  # 3, Wd*Wh*Ww
    rel = coords_flat[:, :, None] - coords_flat[:, None, :]  # 3, Wd*Wh*Ww, Wd*Wh*Ww
    d, h, w = window_size
    # shift the offsets to start from 0, then number them depth-major
    return ((rel[0] + d - 1) * (2 * h - 1) + rel[1] + h - 1) * (2 * w - 1) + rel[2] + w - 1


def _get_relative_position_bias(relative_position_bias_table, relative_position_index, window_size):
    """The ``(1, num_heads, N, N)`` bias of the ``N = Wd·Wh·Ww`` token pairs of a window. A
    window shrunk to the input (see :func:`_get_window_and_shift_size`) takes the top-left
    ``N × N`` block of the full window's index, as torchvision does."""
    window_vol = window_size[0] * window_size[1] * window_size[2]
    # In 3d case we flatten the relative_position_bias
    index = relative_position_index[:window_vol, :window_vol].flatten()
    relative_position_bias = relative_position_bias_table[index]
    relative_position_bias = relative_position_bias.view(window_vol, window_vol, -1)
    return relative_position_bias.permute(2, 0, 1).contiguous().unsqueeze(0)


def _compute_pad_size_3d(size_dhw, patch_size):
    """What to add to each of ``(D, H, W)`` to reach a multiple of ``patch_size``."""
    return tuple((p - s % p) % p for s, p in zip(size_dhw, patch_size))


def _compute_attention_mask_3d(size_dhw, window_size, shift_size):
    """``(num_windows, N, N)``: -100 between tokens of a window that come from different
    regions of the rolled map (they are not neighbours in the video), 0 elsewhere. Regions are
    numbered as in torchvision's slice assignments (see the 2-d model's ``_shift_regions``)."""
    d, h, w = (_shift_regions(n, ws, s) for n, ws, s in zip(size_dhw, window_size, shift_size))
    regions = d[:, None, None] * 9 + h[None, :, None] * 3 + w[None, None, :]
    grid = [n // ws for n, ws in zip(size_dhw, window_size)]
    regions = regions.reshape(
        grid[0], window_size[0], grid[1], window_size[1], grid[2], window_size[2]
    )
    regions = regions.transpose(0, 2, 4, 1, 3, 5).reshape(np.prod(grid), np.prod(window_size))
    return np.where(regions[:, None, :] != regions[:, :, None], -100.0, 0.0)


def shifted_window_attention_3d(
    input,
    qkv_weight,
    proj_weight,
    relative_position_bias,
    window_size,
    num_heads,
    shift_size,
    attention_dropout=0.0,
    dropout=0.0,
    qkv_bias=None,
    proj_bias=None,
    training=True,
):
    """Window based multi-head self attention (W-MSA) module with relative position bias.
    It supports both of shifted and non-shifted window.

    The clip is zero-padded to whole windows, rolled by ``-shift_size`` (if any shift is
    nonzero), cut into windows whose tokens attend to each other (token pairs from different
    regions of the rolled clip are masked with -100), and put back.

    Args:
        input (Tensor[B, T, H, W, C]): The input tensor, 5-dimensions.
        qkv_weight (Tensor[in_dim, out_dim]): The weight tensor of query, key, value.
        proj_weight (Tensor[out_dim, out_dim]): The weight tensor of projection.
        relative_position_bias (Tensor): The learned relative position bias added to attention.
        window_size (List[int]): 3-dimensions window size, T, H, W .
        num_heads (int): Number of attention heads.
        shift_size (List[int]): Shift size for shifted window attention (T, H, W).
        attention_dropout (float): Dropout ratio of attention weight. Default: 0.0.
        dropout (float): Dropout ratio of output. Default: 0.0.
        qkv_bias (Tensor[out_dim], optional): The bias tensor of query, key, value. Default: None.
        proj_bias (Tensor[out_dim], optional): The bias tensor of projection. Default: None.
        training (bool, optional): Training flag used by the dropout parameters. Default: True.

    Returns:
        Tensor[B, T, H, W, C]: The output tensor after shifted window attention.
    """
    b, t, h, w, c = input.shape
    # pad feature maps to multiples of window size
    pad_size = _compute_pad_size_3d((t, h, w), window_size)
    x = F.pad(input, (0, 0, 0, pad_size[2], 0, pad_size[1], 0, pad_size[0]))
    _, tp, hp, wp, _ = x.shape
    padded_size = (tp, hp, wp)
    shifted = sum(shift_size) > 0

    # cyclic shift
    if shifted:
        x = ember.roll(x, shifts=tuple(-s for s in shift_size), dims=(1, 2, 3))

    # partition windows: B*nW, Wd*Wh*Ww, C
    grid = [n // ws for n, ws in zip(padded_size, window_size)]
    num_windows = grid[0] * grid[1] * grid[2]
    window_vol = window_size[0] * window_size[1] * window_size[2]
    x = x.view(b, grid[0], window_size[0], grid[1], window_size[1], grid[2], window_size[2], c)
    x = x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(b * num_windows, window_vol, c)

    # multi-head attention
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    q = q * (c // num_heads) ** -0.5
    attn = q.matmul(k.transpose(-2, -1))
    # add relative position bias
    attn = attn + relative_position_bias

    if shifted:
        # generate attention mask to handle shifted windows with varying size
        mask = _compute_attention_mask_3d(padded_size, window_size, shift_size)
        attn_mask = ember.as_tensor(mask, dtype=attn.dtype, device=attn.device)
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = attn + attn_mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, x.size(1), x.size(1))

    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)

    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), c)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)

    # reverse windows
    x = x.view(b, grid[0], grid[1], grid[2], window_size[0], window_size[1], window_size[2], c)
    x = x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, tp, hp, wp, c)

    # reverse cyclic shift
    if shifted:
        x = ember.roll(x, shifts=tuple(shift_size), dims=(1, 2, 3))

    # unpad features
    return x[:, :t, :h, :w, :].contiguous()


class ShiftedWindowAttention3d(_WindowAttention):
    """See :func:`shifted_window_attention_3d`; the bias of each head and token pair is
    looked up in ``relative_position_bias_table`` (one learned entry per relative offset,
    initialised ``trunc_normal_(std=0.02)``) through the 2-d ``relative_position_index``
    buffer. Where the input is no larger than the window along an axis, the window shrinks
    to it and is not shifted there.

    Args:
        dim (int): Number of input channels.
        window_size (list[int]): Window size (T, H, W).
        shift_size (list[int]): Shift size (T, H, W).
        num_heads (int): Number of attention heads.
        qkv_bias (bool): whether the query, key, value projection has a bias. Default: True.
        proj_bias (bool): whether the output projection has a bias. Default: True.
        attention_dropout (float): Dropout ratio of attention weight. Default: 0.0.
        dropout (float): Dropout ratio of output. Default: 0.0.

    Shape:
        ``(B, T, H, W, C)`` → ``(B, T, H, W, C)``.
    """

    _window_dims = 3

    def define_relative_position_bias_table(self):
        # 2*Wd-1 * 2*Wh-1 * 2*Ww-1, nH
        num_offsets = math.prod(2 * w - 1 for w in self.window_size)
        self.relative_position_bias_table = nn.Parameter(ember.zeros(num_offsets, self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        # pair-wise relative position index of the tokens of a window, not flattened in 3d
        index = _get_relative_position_index_3d(self.window_size)
        self.register_buffer("relative_position_index", index)

    def get_relative_position_bias(self, window_size):
        return _get_relative_position_bias(
            self.relative_position_bias_table, self.relative_position_index, window_size
        )

    def forward(self, x):
        _, t, h, w, _ = x.shape
        window_size, shift_size = _get_window_and_shift_size(
            list(self.shift_size), [t, h, w], list(self.window_size)
        )
        relative_position_bias = self.get_relative_position_bias(window_size)
        return shifted_window_attention_3d(
            x,
            self.qkv.weight,
            self.proj.weight,
            relative_position_bias,
            window_size,
            self.num_heads,
            shift_size=shift_size,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
            qkv_bias=self.qkv.bias,
            proj_bias=self.proj.bias,
            training=self.training,
        )


class PatchEmbed3d(nn.Module):
    """Video to Patch Embedding: the clip zero-padded to whole patches, a ``patch_size``
    convolution with that stride, channels moved last and normalised.

    Args:
        patch_size (List[int]): Patch token size.
        in_channels (int): Number of input channels. Default: 3
        embed_dim (int): Number of linear projection output channels. Default: 96.
        norm_layer (nn.Module, optional): Normalization layer. Default: None (``Identity``).

    Shape:
        ``(B, C, T, H, W)`` → ``(B, T', H', W', embed_dim)``.
    """

    def __init__(self, patch_size, in_channels=3, embed_dim=96, norm_layer=None):
        super().__init__()
        self.tuple_patch_size = (patch_size[0], patch_size[1], patch_size[2])

        self.proj = nn.Conv3d(
            in_channels,
            embed_dim,
            kernel_size=self.tuple_patch_size,
            stride=self.tuple_patch_size,
        )
        if norm_layer is not None:
            self.norm = norm_layer(embed_dim)
        else:
            self.norm = nn.Identity()

    def forward(self, x):
        _, _, t, h, w = x.size()
        pad_size = _compute_pad_size_3d((t, h, w), self.tuple_patch_size)
        x = F.pad(x, (0, pad_size[2], 0, pad_size[1], 0, pad_size[0]))
        x = self.proj(x)  # B C T Wh Ww
        x = x.permute(0, 2, 3, 4, 1)  # B T Wh Ww C
        return self.norm(x)


class SwinTransformer3d(nn.Module):
    """Implements 3D Swin Transformer from the `"Video Swin Transformer"
    <https://arxiv.org/abs/2106.13230>`_ paper.

    ``patch_embed`` → ``pos_drop`` → ``features`` (per stage a Sequential of blocks, every
    second one shifted by half a window, and between stages a patch merging that halves
    height and width) → ``norm`` → ``avgpool`` → ``head``. Block ``i`` of ``n`` drops its
    residual branches with probability ``stochastic_depth_prob * i / (n - 1)`` in training.
    Linear layers get ``trunc_normal_(std=0.02)`` weights and zero biases.

    Args:
        patch_size (List[int]): Patch size.
        embed_dim (int): Patch embedding dimension.
        depths (List(int)): Depth of each Swin Transformer layer.
        num_heads (List(int)): Number of attention heads in different layers.
        window_size (List[int]): Window size.
        mlp_ratio (float): Ratio of mlp hidden dim to embedding dim. Default: 4.0.
        dropout (float): Dropout rate. Default: 0.0.
        attention_dropout (float): Attention dropout rate. Default: 0.0.
        stochastic_depth_prob (float): Stochastic depth rate. Default: 0.1.
        num_classes (int): Number of classes for classification head. Default: 400.
        norm_layer (nn.Module, optional): Normalization layer. Default: None
            (``nn.LayerNorm`` with ``eps=1e-5``).
        block (nn.Module, optional): SwinTransformer Block. Default: None
            (:class:`~embervision.models.swin_transformer.SwinTransformerBlock`; it is passed
            ``attn_layer=ShiftedWindowAttention3d``).
        downsample_layer (nn.Module): Downsample layer (patch merging). Default: PatchMerging.
        patch_embed (nn.Module, optional): Patch Embedding layer. Default: None
            (:class:`PatchEmbed3d`).

    Shape:
        - Input: :math:`(N, 3, T, H, W)`, any size.
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(
        self,
        patch_size,
        embed_dim,
        depths,
        num_heads,
        window_size,
        mlp_ratio=4.0,
        dropout=0.0,
        attention_dropout=0.0,
        stochastic_depth_prob=0.1,
        num_classes=400,
        norm_layer=None,
        block=None,
        downsample_layer=PatchMerging,
        patch_embed=None,
    ):
        super().__init__()
        self.num_classes = num_classes

        if block is None:
            block = partial(SwinTransformerBlock, attn_layer=ShiftedWindowAttention3d)

        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)

        if patch_embed is None:
            patch_embed = PatchEmbed3d

        # split image into non-overlapping patches
        self.patch_embed = patch_embed(
            patch_size=patch_size, embed_dim=embed_dim, norm_layer=norm_layer
        )
        self.pos_drop = nn.Dropout(p=dropout)

        layers = _stages(
            block,
            downsample_layer,
            embed_dim,
            depths,
            num_heads,
            window_size,
            mlp_ratio=mlp_ratio,
            dropout=dropout,
            attention_dropout=attention_dropout,
            stochastic_depth_prob=stochastic_depth_prob,
            norm_layer=norm_layer,
            attn_layer=ShiftedWindowAttention3d,
        )
        self.features = nn.Sequential(*layers)

        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(self.num_features)
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.head = nn.Linear(self.num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x)  # B _T _H _W C
        x = self.pos_drop(x)
        x = self.features(x)  # B _T _H _W C
        x = self.norm(x)
        x = x.permute(0, 4, 1, 2, 3)  # B, C, _T, _H, _W
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.head(x)


# Per model: embed_dim, depths, num_heads.
_MODELS = {
    "swin3d_t": (96, [2, 2, 6, 2], [3, 6, 12, 24]),
    "swin3d_s": (96, [2, 2, 18, 2], [3, 6, 12, 24]),
    "swin3d_b": (128, [2, 2, 18, 2], [4, 8, 16, 32]),
}


def _swin_transformer3d(arch, weights, kwargs):
    embed_dim, depths, num_heads = _MODELS[arch]
    model = SwinTransformer3d(
        patch_size=[2, 4, 4],
        embed_dim=embed_dim,
        depths=depths,
        num_heads=num_heads,
        window_size=[8, 7, 7],
        stochastic_depth_prob=0.1,
        **kwargs,
    )
    return _load_weights(model, weights)


@register_model()
def swin3d_t(*, weights=None, progress=True, **kwargs):
    """Constructs a swin_tiny architecture from `Video Swin Transformer
    <https://arxiv.org/abs/2106.13230>`_: width 96, depths [2, 2, 6, 2], 2×4×4 patches,
    8×7×7 windows, stochastic depth 0.1, 28,158,070 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state
            dict with torchvision's keys, loaded strictly. Default: None, random
            initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`SwinTransformer3d` (``mlp_ratio``, ``dropout``,
            ``attention_dropout``, ``num_classes``, ``norm_layer``, ``block``,
            ``downsample_layer``, ``patch_embed``).
    """
    return _swin_transformer3d("swin3d_t", weights, kwargs)


@register_model()
def swin3d_s(*, weights=None, progress=True, **kwargs):
    """Constructs a swin_small architecture: width 96, depths [2, 2, 18, 2],
    49,816,678 parameters; arguments as :func:`swin3d_t`."""
    return _swin_transformer3d("swin3d_s", weights, kwargs)


@register_model()
def swin3d_b(*, weights=None, progress=True, **kwargs):
    """Constructs a swin_base architecture: width 128, depths [2, 2, 18, 2],
    88,048,984 parameters; arguments as :func:`swin3d_t`."""
    return _swin_transformer3d("swin3d_b", weights, kwargs)
