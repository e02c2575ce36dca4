"""The Swin Transformer (Liu et al., 2021) and Swin Transformer V2 (Liu et al., 2022): Swin-T,
-S, -B and their V2 versions with torchvision's module names and initialisation, so its state
dicts load unchanged."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F

from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import _load_weights, register_model

__all__ = [
    "SwinTransformer",
    "swin_t",
    "swin_s",
    "swin_b",
    "swin_v2_t",
    "swin_v2_s",
    "swin_v2_b",
]


def _patch_merging_pad(x):
    """``(..., H, W, C)`` → ``(..., H/2, W/2, 4C)``: each 2×2 neighbourhood's four tokens
    concatenated (top-left, bottom-left, top-right, bottom-right); odd sizes are zero-padded."""
    H, W, _ = x.shape[-3:]
    x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
    x0 = x[..., 0::2, 0::2, :]
    x1 = x[..., 1::2, 0::2, :]
    x2 = x[..., 0::2, 1::2, :]
    x3 = x[..., 1::2, 1::2, :]
    return ember.cat([x0, x1, x2, x3], -1)


def _get_relative_position_index(height, width):
    """``(h·w, h·w)`` int64: the index of each token pair's offset (dy, dx) in a table of the
    ``(2h - 1) · (2w - 1)`` offsets of an ``h × w`` window, row by row."""
    coords = ember.stack(ember.meshgrid(ember.arange(height), ember.arange(width), indexing="ij"))
    coords_flat = ember.flatten(coords, 1)  # 2, h*w
    relative_coords = coords_flat[:, :, None] - coords_flat[:, None, :]  # 2, h*w, h*w
    # shift the offsets to start from 0
    return (relative_coords[0] + height - 1) * (2 * width - 1) + relative_coords[1] + width - 1


def _get_relative_position_bias(relative_position_bias_table, relative_position_index, window_size):
    """The ``(1, num_heads, N, N)`` bias of the ``N = Wh·Ww`` token pairs of a window."""
    N = window_size[0] * window_size[1]
    relative_position_bias = relative_position_bias_table[relative_position_index]
    relative_position_bias = relative_position_bias.view(N, N, -1)
    return relative_position_bias.permute(2, 0, 1).contiguous().unsqueeze(0)


def _shift_regions(size, window, shift):
    """Region ids (0, 1, 2) along one axis of the shifted feature map: before the last
    window, in the last window but not rolled around, rolled around. Written as torchvision's
    slice assignments, a later slice overwriting an earlier one (with ``shift == 0`` the
    last, ``[-0:]``, covers the whole axis)."""
    regions = np.zeros(size, dtype=np.int64)
    for region, (start, stop) in enumerate(((0, -window), (-window, -shift), (-shift, None))):
        regions[start:stop] = region
    return regions


def _shifted_window_mask(pad_H, pad_W, window_size, shift_size):
    """``(num_windows, N, N)``: -100 between tokens of a window that come from different
    regions of the shifted map (they are not neighbours in the image), 0 elsewhere."""
    regions = (
        _shift_regions(pad_H, window_size[0], shift_size[0])[:, None] * 3
        + _shift_regions(pad_W, window_size[1], shift_size[1])[None, :]
    )
    regions = regions.reshape(
        pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1]
    )
    regions = regions.transpose(0, 2, 1, 3).reshape(-1, window_size[0] * window_size[1])
    return np.where(regions[:, None, :] != regions[:, :, None], -100.0, 0.0)


def shifted_window_attention(
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
    logit_scale=None,
    training=True,
):
    """Window based multi-head self attention (W-MSA) module with relative position bias.
    It supports both of shifted and non-shifted window.

    The map is zero-padded to whole windows, rolled by ``-shift_size`` (left out where a
    window covers the padded map), cut into windows whose tokens attend to each other (token
    pairs from different regions of the rolled map are masked with -100), and put back.

    Args:
        input (Tensor[N, H, W, C]): The input tensor or 4-dimensions.
        qkv_weight (Tensor[in_dim, out_dim]): The weight tensor of query, key, value.
        proj_weight (Tensor[out_dim, out_dim]): The weight tensor of projection.
        relative_position_bias (Tensor): The learned relative position bias added to attention.
        window_size (List[int]): Window size.
        num_heads (int): Number of attention heads.
        shift_size (List[int]): Shift size for shifted window attention.
        attention_dropout (float): Dropout ratio of attention weight. Default: 0.0.
        dropout (float): Dropout ratio of output. Default: 0.0.
        qkv_bias (Tensor[out_dim], optional): The bias tensor of query, key, value. Default: None.
        proj_bias (Tensor[out_dim], optional): The bias tensor of projection. Default: None.
        logit_scale (Tensor[out_dim], optional): Logit scale of cosine attention for Swin
            Transformer V2 (its key bias is then left out). Default: None.
        training (bool, optional): Training flag used by the dropout parameters. Default: True.

    Returns:
        Tensor[N, H, W, C]: The output tensor after shifted window attention.
    """
    B, H, W, C = input.shape
    # pad feature maps to multiples of window size
    pad_r = (window_size[1] - W % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - H % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_H, pad_W, _ = x.shape

    shift_size = list(shift_size)
    # If window size is larger than feature size, there is no need to shift window
    if window_size[0] >= pad_H:
        shift_size[0] = 0
    if window_size[1] >= pad_W:
        shift_size[1] = 0
    shifted = sum(shift_size) > 0

    # cyclic shift
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))

    # partition windows: B*nW, Ws*Ws, C
    num_windows = (pad_H // window_size[0]) * (pad_W // window_size[1])
    x = x.view(
        B, pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1], C
    )
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B * num_windows, window_size[0] * window_size[1], C)

    # multi-head attention
    if logit_scale is not None and qkv_bias is not None:
        # V2 has no key bias
        length = qkv_bias.numel() // 3
        qkv_bias = ember.cat(
            [
                qkv_bias[:length],
                ember.zeros_like(qkv_bias[length : 2 * length]),
                qkv_bias[2 * length :],
            ]
        )
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        # cosine attention
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        logit_scale = ember.clamp(logit_scale, max=math.log(100.0)).exp()
        attn = attn * logit_scale
    else:
        q = q * (C // num_heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
    # add relative position bias
    attn = attn + relative_position_bias

    if shifted:
        mask = _shifted_window_mask(pad_H, pad_W, window_size, shift_size)
        attn_mask = ember.as_tensor(mask, dtype=attn.dtype, device=attn.device)
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = attn + attn_mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, x.size(1), x.size(1))

    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)

    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), C)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)

    # reverse windows
    x = x.view(
        B, pad_H // window_size[0], pad_W // window_size[1], window_size[0], window_size[1], C
    )
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, pad_H, pad_W, C)

    # reverse cyclic shift
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))

    # unpad features
    return x[:, :H, :W, :].contiguous()


class PatchMerging(nn.Module):
    """Patch Merging Layer: each 2×2 neighbourhood's tokens concatenated, normalised and
    projected to twice the width.

    Args:
        dim (int): Number of input channels.
        norm_layer (nn.Module): Normalization layer. Default: nn.LayerNorm.

    Shape:
        ``(..., H, W, C)`` → ``(..., H/2, W/2, 2C)``.
    """

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        x = _patch_merging_pad(x)
        x = self.norm(x)
        return self.reduction(x)


class PatchMergingV2(nn.Module):
    """Patch Merging Layer for Swin Transformer V2: as :class:`PatchMerging`, but normalised
    after the projection (``norm`` has width ``2 * dim``).

    Args:
        dim (int): Number of input channels.
        norm_layer (nn.Module): Normalization layer. Default: nn.LayerNorm.
    """

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x):
        x = _patch_merging_pad(x)
        x = self.reduction(x)
        return self.norm(x)


class _WindowAttention(nn.Module):
    """What the 2-d and the 3-d (video) shifted-window attentions share: their arguments, the
    query/key/value and output projections, and a relative position bias table and index that
    each defines for its number of window dimensions (``_window_dims``)."""

    _window_dims = 2

    def __init__(
        self,
        dim,
        window_size,
        shift_size,
        num_heads,
        qkv_bias=True,
        proj_bias=True,
        attention_dropout=0.0,
        dropout=0.0,
    ):
        super().__init__()
        dims = self._window_dims
        if len(window_size) != dims or len(shift_size) != dims:
            # torchvision's message, for the 3-d attention too
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout

        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)

        self.define_relative_position_bias_table()
        self.define_relative_position_index()


class ShiftedWindowAttention(_WindowAttention):
    """See :func:`shifted_window_attention`; the bias of each head and token pair is looked up
    in ``relative_position_bias_table`` (one learned entry per relative offset, initialised
    ``trunc_normal_(std=0.02)``) through the ``relative_position_index`` buffer.

    Args:
        dim (int): Number of input channels.
        window_size (list[int]): Window size (two values).
        shift_size (list[int]): Shift size (two values).
        num_heads (int): Number of attention heads.
        qkv_bias (bool): whether the query, key, value projection has a bias. Default: True.
        proj_bias (bool): whether the output projection has a bias. Default: True.
        attention_dropout (float): Dropout ratio of attention weight. Default: 0.0.
        dropout (float): Dropout ratio of output. Default: 0.0.

    Shape:
        ``(B, H, W, C)`` → ``(B, H, W, C)``.
    """

    def define_relative_position_bias_table(self):
        # (2*Wh-1) * (2*Ww-1), nH
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros(
                (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1), self.num_heads
            )
        )
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        # pair-wise relative position index of the tokens of a window: Wh*Ww*Wh*Ww
        index = _get_relative_position_index(self.window_size[0], self.window_size[1])
        self.register_buffer("relative_position_index", index.flatten())

    def get_relative_position_bias(self):
        return _get_relative_position_bias(
            self.relative_position_bias_table, self.relative_position_index, self.window_size
        )

    def _attention(self, x, logit_scale=None):
        return shifted_window_attention(
            x,
            self.qkv.weight,
            self.proj.weight,
            self.get_relative_position_bias(),
            self.window_size,
            self.num_heads,
            shift_size=self.shift_size,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
            qkv_bias=self.qkv.bias,
            proj_bias=self.proj.bias,
            logit_scale=logit_scale,
            training=self.training,
        )

    def forward(self, x):
        return self._attention(x)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """The window attention of Swin Transformer V2: cosine attention scaled by a learned,
    per-head ``logit_scale`` (at most 100), no key bias, and a continuous relative position
    bias: ``16 * sigmoid(cpb_mlp(c))`` of log-spaced offsets
    ``c = sign(d) * log2(1 + |8 d / (W - 1)|) / 3`` (the ``relative_coords_table`` buffer).
    Arguments as :class:`ShiftedWindowAttention`.
    """

    def __init__(
        self,
        dim,
        window_size,
        shift_size,
        num_heads,
        qkv_bias=True,
        proj_bias=True,
        attention_dropout=0.0,
        dropout=0.0,
    ):
        super().__init__(
            dim,
            window_size,
            shift_size,
            num_heads,
            qkv_bias=qkv_bias,
            proj_bias=proj_bias,
            attention_dropout=attention_dropout,
            dropout=dropout,
        )
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones((num_heads, 1, 1))))
        # mlp to generate continuous relative position bias
        self.cpb_mlp = nn.Sequential(
            nn.Linear(2, 512, bias=True),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_heads, bias=False),
        )
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length : 2 * length].zero_()

    def define_relative_position_bias_table(self):
        # the relative offsets, each axis normalised to [-8, 8] and log-spaced:
        # 1, 2*Wh-1, 2*Ww-1, 2
        relative_coords_h = ember.arange(
            -(self.window_size[0] - 1), self.window_size[0], dtype=ember.float32
        )
        relative_coords_w = ember.arange(
            -(self.window_size[1] - 1), self.window_size[1], dtype=ember.float32
        )
        grid_h, grid_w = ember.meshgrid(relative_coords_h, relative_coords_w, indexing="ij")
        table = ember.stack(
            [grid_h / (self.window_size[0] - 1), grid_w / (self.window_size[1] - 1)], dim=-1
        ).unsqueeze(0)
        table = table * 8
        table = ember.sign(table) * ember.log2(ember.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table)

    def get_relative_position_bias(self):
        relative_position_bias = _get_relative_position_bias(
            self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads),
            self.relative_position_index,
            self.window_size,
        )
        return 16 * ember.sigmoid(relative_position_bias)

    def forward(self, x):
        return self._attention(x, logit_scale=self.logit_scale)


class SwinTransformerBlock(nn.Module):
    """Swin Transformer Block: pre-norm window attention and pre-norm MLP (GELU), each with a
    stochastic-depth residual connection. The MLP gets Xavier-uniform weights and
    N(0, 1e-6²) biases.

    Args:
        dim (int): Number of input channels.
        num_heads (int): Number of attention heads.
        window_size (List[int]): Window size.
        shift_size (List[int]): Shift size for shifted window attention.
        mlp_ratio (float): Ratio of mlp hidden dim to embedding dim. Default: 4.0.
        dropout (float): Dropout rate. Default: 0.0.
        attention_dropout (float): Attention dropout rate. Default: 0.0.
        stochastic_depth_prob: (float): Stochastic depth rate. Default: 0.0.
        norm_layer (nn.Module): Normalization layer.  Default: nn.LayerNorm.
        attn_layer (nn.Module): Attention layer. Default: ShiftedWindowAttention
    """

    def __init__(
        self,
        dim,
        num_heads,
        window_size,
        shift_size,
        mlp_ratio=4.0,
        dropout=0.0,
        attention_dropout=0.0,
        stochastic_depth_prob=0.0,
        norm_layer=nn.LayerNorm,
        attn_layer=ShiftedWindowAttention,
    ):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(
            dim,
            window_size,
            shift_size,
            num_heads,
            attention_dropout=attention_dropout,
            dropout=dropout,
        )
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(
            dim,
            [int(dim * mlp_ratio), dim],
            activation_layer=nn.GELU,
            inplace=None,
            dropout=dropout,
        )

        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Swin Transformer V2 Block: as :class:`SwinTransformerBlock` with
    :class:`ShiftedWindowAttentionV2`, the norms applied after the attention and the MLP
    (res-post-norm) instead of before."""

    def __init__(
        self,
        dim,
        num_heads,
        window_size,
        shift_size,
        mlp_ratio=4.0,
        dropout=0.0,
        attention_dropout=0.0,
        stochastic_depth_prob=0.0,
        norm_layer=nn.LayerNorm,
        attn_layer=ShiftedWindowAttentionV2,
    ):
        super().__init__(
            dim,
            num_heads,
            window_size,
            shift_size,
            mlp_ratio=mlp_ratio,
            dropout=dropout,
            attention_dropout=attention_dropout,
            stochastic_depth_prob=stochastic_depth_prob,
            norm_layer=norm_layer,
            attn_layer=attn_layer,
        )

    def forward(self, x):
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


def _stages(
    block,
    downsample_layer,
    embed_dim,
    depths,
    num_heads,
    window_size,
    *,
    stochastic_depth_prob,
    norm_layer,
    **block_kwargs,
):
    """The stages of a Swin Transformer (2-d or 3-d): per stage, its blocks (windows shifted
    in every other block, the stochastic depth growing linearly with the block's depth) as one
    ``nn.Sequential``, then a patch merging but after the last stage."""
    layers = []
    total_stage_blocks = sum(depths)
    stage_block_id = 0
    for i_stage in range(len(depths)):
        stage = []
        dim = embed_dim * 2**i_stage
        for i_layer in range(depths[i_stage]):
            sd_prob = stochastic_depth_prob * float(stage_block_id) / (total_stage_blocks - 1)
            stage.append(
                block(
                    dim,
                    num_heads[i_stage],
                    window_size=window_size,
                    shift_size=[0 if i_layer % 2 == 0 else w // 2 for w in window_size],
                    stochastic_depth_prob=sd_prob,
                    norm_layer=norm_layer,
                    **block_kwargs,
                )
            )
            stage_block_id += 1
        layers.append(nn.Sequential(*stage))
        if i_stage < len(depths) - 1:
            layers.append(downsample_layer(dim, norm_layer))
    return layers


class SwinTransformer(nn.Module):
    """Implements Swin Transformer from the `"Swin Transformer: Hierarchical Vision
    Transformer using Shifted Windows" <https://arxiv.org/abs/2103.14030>`_ paper.

    ``features`` (patchify convolution + ``Permute`` to channels-last + norm, then per stage a
    Sequential of blocks, every second one shifted by half a window, and between stages a
    patch merging) → ``norm`` → ``permute`` → ``avgpool`` → ``flatten`` → ``head``. Block
    ``i`` of ``n`` drops its residual branches with probability
    ``stochastic_depth_prob * i / (n - 1)`` in training. Linear layers get
    ``trunc_normal_(std=0.02)`` weights and zero biases.

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
        num_classes (int): Number of classes for classification head. Default: 1000.
        norm_layer (nn.Module, optional): Normalization layer. Default: None
            (``nn.LayerNorm`` with ``eps=1e-5``).
        block (nn.Module, optional): SwinTransformer Block. Default: None
            (:class:`SwinTransformerBlock`).
        downsample_layer (nn.Module): Downsample layer (patch merging). Default: PatchMerging.

    Shape:
        - Input: :math:`(N, 3, H, W)`, any size.
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
        num_classes=1000,
        norm_layer=None,
        block=None,
        downsample_layer=PatchMerging,
    ):
        super().__init__()
        self.num_classes = num_classes
        if block is None:
            block = SwinTransformerBlock
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)

        # split image into non-overlapping patches
        layers = [
            nn.Sequential(
                nn.Conv2d(
                    3,
                    embed_dim,
                    kernel_size=(patch_size[0], patch_size[1]),
                    stride=(patch_size[0], patch_size[1]),
                ),
                Permute([0, 2, 3, 1]),
                norm_layer(embed_dim),
            )
        ]
        layers += _stages(
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
        )
        self.features = nn.Sequential(*layers)

        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])  # B H W C -> B C H W
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = self.norm(x)
        x = self.permute(x)
        x = self.avgpool(x)
        x = self.flatten(x)
        return self.head(x)


# Per model: embed_dim, depths, num_heads, window_size, stochastic depth probability, V2.
_MODELS = {
    "swin_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2, False),
    "swin_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3, False),
    "swin_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5, False),
    "swin_v2_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2, True),
    "swin_v2_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3, True),
    "swin_v2_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5, True),
}


def _swin_transformer(arch, weights, kwargs):
    embed_dim, depths, num_heads, window_size, stochastic_depth_prob, v2 = _MODELS[arch]
    # as torchvision: the V2 builders set these two, so passing either is an error
    v2_layers = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2}
    model = SwinTransformer(
        patch_size=[4, 4],
        embed_dim=embed_dim,
        depths=depths,
        num_heads=num_heads,
        window_size=window_size,
        stochastic_depth_prob=stochastic_depth_prob,
        **(v2_layers if v2 else {}),
        **kwargs,
    )
    return _load_weights(model, weights)


@register_model()
def swin_t(*, weights=None, progress=True, **kwargs):
    """Swin-T from `Swin Transformer: Hierarchical Vision Transformer using Shifted Windows
    <https://arxiv.org/abs/2103.14030>`_: width 96, depths [2, 2, 6, 2], 7×7 windows,
    stochastic depth 0.2, 28,288,354 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state dict with
            torchvision's keys, loaded strictly. Default: None, random initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`SwinTransformer` (``mlp_ratio``, ``dropout``,
            ``attention_dropout``, ``num_classes``, ``norm_layer``, ``block``,
            ``downsample_layer``).
    """
    return _swin_transformer("swin_t", weights, kwargs)


@register_model()
def swin_s(*, weights=None, progress=True, **kwargs):
    """Swin-S: width 96, depths [2, 2, 18, 2], stochastic depth 0.3, 49,606,258 parameters;
    arguments as :func:`swin_t`."""
    return _swin_transformer("swin_s", weights, kwargs)


@register_model()
def swin_b(*, weights=None, progress=True, **kwargs):
    """Swin-B: width 128, depths [2, 2, 18, 2], stochastic depth 0.5, 87,768,224 parameters;
    arguments as :func:`swin_t`."""
    return _swin_transformer("swin_b", weights, kwargs)


@register_model()
def swin_v2_t(*, weights=None, progress=True, **kwargs):
    """Swin-V2-T from `Swin Transformer V2: Scaling Up Capacity and Resolution
    <https://arxiv.org/abs/2111.09883>`_: width 96, depths [2, 2, 6, 2], 8×8 windows,
    stochastic depth 0.2, 28,351,570 parameters; arguments as :func:`swin_t` (``block`` and
    ``downsample_layer`` are set: :class:`SwinTransformerBlockV2`, :class:`PatchMergingV2`)."""
    return _swin_transformer("swin_v2_t", weights, kwargs)


@register_model()
def swin_v2_s(*, weights=None, progress=True, **kwargs):
    """Swin-V2-S: width 96, depths [2, 2, 18, 2], stochastic depth 0.3, 49,737,442
    parameters; arguments as :func:`swin_v2_t`."""
    return _swin_transformer("swin_v2_s", weights, kwargs)


@register_model()
def swin_v2_b(*, weights=None, progress=True, **kwargs):
    """Swin-V2-B: width 128, depths [2, 2, 18, 2], stochastic depth 0.5, 87,930,848
    parameters; arguments as :func:`swin_v2_t`."""
    return _swin_transformer("swin_v2_b", weights, kwargs)
