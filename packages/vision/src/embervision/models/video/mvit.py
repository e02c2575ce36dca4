"""Multiscale Vision Transformers (Fan et al., 2021; Li et al., 2022): MViT-V1-B and
MViT-V2-S with their pooling attention (and V2's decomposed relative positional embeddings),
with torchvision's module names, so its state dicts load unchanged."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import ember
from ember import nn
from ember.nn import functional as F

from ...ops.misc import MLP
from ...ops.stochastic_depth import StochasticDepth
from .._api import _load_weights, register_model

__all__ = ["MViT", "mvit_v1_b", "mvit_v2_s"]


@dataclass
class MSBlockConfig:
    """One block of :class:`MViT`: its heads, widths, and the kernels and strides of the
    query and key/value poolings (empty lists: no pooling)."""

    num_heads: int
    input_channels: int
    output_channels: int
    kernel_q: list
    kernel_kv: list
    stride_q: list
    stride_kv: list


def _unsqueeze(x, target_dim, expand_dim):
    """``x`` with a size-1 axis inserted at ``expand_dim`` if it has one dimension fewer than
    ``target_dim``, and ``x``'s number of dimensions."""
    tensor_dim = x.dim()
    if tensor_dim == target_dim - 1:
        x = x.unsqueeze(expand_dim)
    elif tensor_dim != target_dim:
        raise ValueError(f"Unsupported input dimension {x.shape}")
    return x, tensor_dim


def _squeeze(x, target_dim, expand_dim, tensor_dim):
    """Undo :func:`_unsqueeze`."""
    if tensor_dim == target_dim - 1:
        x = x.squeeze(expand_dim)
    return x


class Pool(nn.Module):
    """Pools the tokens of a ``(B, [heads,] 1 + T·H·W, C)`` sequence as a ``T × H × W`` map;
    the class token (first) is set aside and put back in front.

    Args:
        pool (nn.Module): the pooling of ``(B·heads, C, T, H, W)`` maps (a depthwise
            convolution or max pooling).
        norm (nn.Module, optional): normalisation over ``C``.
        activation (nn.Module, optional): activation after the normalisation.
        norm_before_pool (bool): normalise the map before pooling instead of the tokens
            after. Default: False.

    ``forward(x, thw)`` returns the pooled tokens and the new ``(T, H, W)``.
    """

    def __init__(self, pool, norm, activation=None, norm_before_pool=False):
        super().__init__()
        self.pool = pool
        layers = []
        if norm is not None:
            layers.append(norm)
        if activation is not None:
            layers.append(activation)
        self.norm_act = nn.Sequential(*layers) if layers else None
        self.norm_before_pool = norm_before_pool

    def forward(self, x, thw):
        x, tensor_dim = _unsqueeze(x, 4, 1)

        # Separate the class token and reshape the input
        class_token, x = x[:, :, :1], x[:, :, 1:]
        x = x.transpose(2, 3)
        B, N, C = x.shape[:3]
        x = x.reshape((B * N, C) + tuple(thw)).contiguous()

        # normalizing prior pooling is useful when we use BN which can be absorbed to speed up
        # inference
        if self.norm_before_pool and self.norm_act is not None:
            x = self.norm_act(x)

        # apply the pool on the input and add back the token
        x = self.pool(x)
        T, H, W = x.shape[2:]
        x = x.reshape(B, N, C, -1).transpose(2, 3)
        x = ember.cat((class_token, x), dim=2)

        if not self.norm_before_pool and self.norm_act is not None:
            x = self.norm_act(x)

        x = _squeeze(x, 4, 1, tensor_dim)
        return x, (T, H, W)


def _interpolate(embedding, d):
    """The ``(L, C)`` table resized to ``d`` rows by linear interpolation."""
    if embedding.shape[0] == d:
        return embedding
    resized = F.interpolate(embedding.permute(1, 0).unsqueeze(0), size=d, mode="linear")
    return resized.squeeze(0).permute(1, 0)


def _rel_pos_distance(q_size, k_size, device):
    """``(q_size, k_size)`` int64: the row of each query/key pair's offset in a table of
    ``2 * max(q_size, k_size) - 1`` offsets, the coarser axis scaled up to the finer one
    (computed in float32 and truncated, as torchvision does)."""
    q_ratio = max(k_size / q_size, 1.0)
    k_ratio = max(q_size / k_size, 1.0)
    q_pos = ember.arange(q_size, device=device)[:, None]
    k_pos = ember.arange(k_size, device=device)[None, :]
    dist = q_pos * q_ratio - (k_pos + (1.0 - k_size)) * k_ratio
    return dist.long()


def _add_rel_pos(attn, q, q_thw, k_thw, rel_pos_h, rel_pos_w, rel_pos_t):
    """``attn`` plus the decomposed relative positional bias of MViTv2: for query token
    ``(t, h, w)`` and key ``(t', h', w')``, ``q · (R_t[t, t'] + R_h[h, h'] + R_w[w, w'])``
    (the class token's row and column get nothing).

    Modified code from: https://github.com/facebookresearch/SlowFast/commit/1aebd71a2efad823d52b827a3deaf15a56cf4932
    """
    q_t, q_h, q_w = q_thw
    k_t, k_h, k_w = k_thw
    dh = int(2 * max(q_h, k_h) - 1)
    dw = int(2 * max(q_w, k_w) - 1)
    dt = int(2 * max(q_t, k_t) - 1)

    # Interpolate rel pos if needed, then look up each query/key pair's offset.
    device = q.device
    Rh = _interpolate(rel_pos_h, dh)[_rel_pos_distance(q_h, k_h, device)]
    Rw = _interpolate(rel_pos_w, dw)[_rel_pos_distance(q_w, k_w, device)]
    Rt = _interpolate(rel_pos_t, dt)[_rel_pos_distance(q_t, k_t, device)]

    B, n_head, _, dim = q.shape

    r_q = q[:, :, 1:].reshape(B, n_head, q_t, q_h, q_w, dim)
    rel_h_q = ember.einsum("bythwc,hkc->bythwk", r_q, Rh)  # [B, H, q_t, qh, qw, k_h]
    rel_w_q = ember.einsum("bythwc,wkc->bythwk", r_q, Rw)  # [B, H, q_t, qh, qw, k_w]
    # [B, H, q_t, q_h, q_w, dim] -> [q_t, B*H*q_h*q_w, dim]
    r_q = r_q.permute(2, 0, 1, 3, 4, 5).reshape(q_t, B * n_head * q_h * q_w, dim)
    # [q_t, B*H*q_h*q_w, dim] @ [q_t, dim, k_t] -> [B*H*q_h*q_w, q_t, k_t]
    rel_q_t = ember.matmul(r_q, Rt.transpose(1, 2)).transpose(0, 1)
    # -> [B, H, q_t, q_h, q_w, k_t]
    rel_q_t = rel_q_t.view(B, n_head, q_h, q_w, q_t, k_t).permute(0, 1, 4, 2, 3, 5)

    # Combine rel pos.
    rel_pos = (
        rel_h_q[:, :, :, :, :, None, :, None]
        + rel_w_q[:, :, :, :, :, None, None, :]
        + rel_q_t[:, :, :, :, :, :, None, None]
    ).reshape(B, n_head, q_t * q_h * q_w, k_t * k_h * k_w)

    # Add it to attention, past the class token's row and column
    return attn + F.pad(rel_pos, (1, 0, 1, 0))


def _add_shortcut(x, shortcut, residual_with_cls_embed):
    """``x + shortcut``; without ``residual_with_cls_embed`` the class token (first) is left
    out of the sum."""
    if residual_with_cls_embed:
        return x + shortcut
    return x + F.pad(shortcut[:, :, 1:, :], (0, 0, 1, 0))


def _pool_conv(head_dim, kernel, stride, norm_layer):
    """The depthwise, bias-free pooling convolution of an attention branch and its norm."""
    padding = [int(k // 2) for k in kernel]
    conv = nn.Conv3d(
        head_dim,
        head_dim,
        kernel,
        stride=stride,
        padding=padding,
        groups=head_dim,
        bias=False,
    )
    return Pool(conv, norm_layer(head_dim))


class MultiscaleAttention(nn.Module):
    """Multi-head pooling attention: queries, keys and values are pooled (``pool_q``,
    ``pool_k``, ``pool_v``, each a depthwise convolution and a norm) before the attention,
    optionally with MViTv2's relative positional bias (``rel_pos_h/w/t``) and pooling
    residual (the pooled queries added to the output).

    ``forward(x, thw)`` maps ``(B, 1 + T·H·W, embed_dim)`` to ``(B, 1 + T'·H'·W',
    output_dim)`` and returns the queries' new ``(T', H', W')``.
    """

    def __init__(
        self,
        input_size,
        embed_dim,
        output_dim,
        num_heads,
        kernel_q,
        kernel_kv,
        stride_q,
        stride_kv,
        residual_pool,
        residual_with_cls_embed,
        rel_pos_embed,
        dropout=0.0,
        norm_layer=nn.LayerNorm,
    ):
        super().__init__()
        self.embed_dim = embed_dim
        self.output_dim = output_dim
        self.num_heads = num_heads
        self.head_dim = output_dim // num_heads
        self.scaler = 1.0 / math.sqrt(self.head_dim)
        self.residual_pool = residual_pool
        self.residual_with_cls_embed = residual_with_cls_embed

        self.qkv = nn.Linear(embed_dim, 3 * output_dim)
        layers = [nn.Linear(output_dim, output_dim)]
        if dropout > 0.0:
            layers.append(nn.Dropout(dropout, inplace=True))
        self.project = nn.Sequential(*layers)

        self.pool_q = None
        if math.prod(kernel_q) > 1 or math.prod(stride_q) > 1:
            self.pool_q = _pool_conv(self.head_dim, kernel_q, stride_q, norm_layer)

        self.pool_k = None
        self.pool_v = None
        if math.prod(kernel_kv) > 1 or math.prod(stride_kv) > 1:
            self.pool_k = _pool_conv(self.head_dim, kernel_kv, stride_kv, norm_layer)
            self.pool_v = _pool_conv(self.head_dim, kernel_kv, stride_kv, norm_layer)

        self.rel_pos_h = None
        self.rel_pos_w = None
        self.rel_pos_t = None
        if rel_pos_embed:
            size = max(input_size[1:])
            q_size = size // stride_q[1] if len(stride_q) > 0 else size
            kv_size = size // stride_kv[1] if len(stride_kv) > 0 else size
            spatial_dim = 2 * max(q_size, kv_size) - 1
            temporal_dim = 2 * input_size[0] - 1
            self.rel_pos_h = nn.Parameter(ember.zeros(spatial_dim, self.head_dim))
            self.rel_pos_w = nn.Parameter(ember.zeros(spatial_dim, self.head_dim))
            self.rel_pos_t = nn.Parameter(ember.zeros(temporal_dim, self.head_dim))
            nn.init.trunc_normal_(self.rel_pos_h, std=0.02)
            nn.init.trunc_normal_(self.rel_pos_w, std=0.02)
            nn.init.trunc_normal_(self.rel_pos_t, std=0.02)

    def forward(self, x, thw):
        B, N, _ = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).transpose(1, 3)
        q, k, v = qkv.unbind(dim=2)

        if self.pool_k is not None:
            k, k_thw = self.pool_k(k, thw)
        else:
            k_thw = thw
        if self.pool_v is not None:
            v = self.pool_v(v, thw)[0]
        if self.pool_q is not None:
            q, thw = self.pool_q(q, thw)

        attn = ember.matmul(self.scaler * q, k.transpose(2, 3))
        if self.rel_pos_h is not None:
            attn = _add_rel_pos(attn, q, thw, k_thw, self.rel_pos_h, self.rel_pos_w, self.rel_pos_t)
        attn = attn.softmax(dim=-1)

        x = ember.matmul(attn, v)
        if self.residual_pool:
            x = _add_shortcut(x, q, self.residual_with_cls_embed)
        x = x.transpose(1, 2).reshape(B, -1, self.output_dim)
        x = self.project(x)

        return x, thw


class MultiscaleBlock(nn.Module):
    """A transformer block of :class:`MViT`: :class:`MultiscaleAttention` and an MLP, each
    after a norm and with a residual connection; the residual of the attention is max-pooled
    (``pool_skip``) where the queries are strided, and projected (``project``) where the
    width changes, after the attention (``proj_after_attn``, MViTv2) or the MLP.

    ``forward(x, thw)`` returns the new tokens and their ``(T, H, W)``.
    """

    def __init__(
        self,
        input_size,
        cnf,
        residual_pool,
        residual_with_cls_embed,
        rel_pos_embed,
        proj_after_attn,
        dropout=0.0,
        stochastic_depth_prob=0.0,
        norm_layer=nn.LayerNorm,
    ):
        super().__init__()
        self.proj_after_attn = proj_after_attn

        self.pool_skip = None
        if math.prod(cnf.stride_q) > 1:
            kernel_skip = [s + 1 if s > 1 else s for s in cnf.stride_q]
            padding_skip = [int(k // 2) for k in kernel_skip]
            self.pool_skip = Pool(
                nn.MaxPool3d(kernel_skip, stride=cnf.stride_q, padding=padding_skip), None
            )

        attn_dim = cnf.output_channels if proj_after_attn else cnf.input_channels

        self.norm1 = norm_layer(cnf.input_channels)
        self.norm2 = norm_layer(attn_dim)
        self.needs_transposal = isinstance(self.norm1, nn.BatchNorm1d)

        self.attn = MultiscaleAttention(
            input_size,
            cnf.input_channels,
            attn_dim,
            cnf.num_heads,
            kernel_q=cnf.kernel_q,
            kernel_kv=cnf.kernel_kv,
            stride_q=cnf.stride_q,
            stride_kv=cnf.stride_kv,
            rel_pos_embed=rel_pos_embed,
            residual_pool=residual_pool,
            residual_with_cls_embed=residual_with_cls_embed,
            dropout=dropout,
            norm_layer=norm_layer,
        )
        self.mlp = MLP(
            attn_dim,
            [4 * attn_dim, cnf.output_channels],
            activation_layer=nn.GELU,
            dropout=dropout,
            inplace=None,
        )

        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

        self.project = None
        if cnf.input_channels != cnf.output_channels:
            self.project = nn.Linear(cnf.input_channels, cnf.output_channels)

    def _norm(self, norm, x):
        # a BatchNorm1d normalises the channels of (B, C, L): put them second
        return norm(x.transpose(1, 2)).transpose(1, 2) if self.needs_transposal else norm(x)

    def forward(self, x, thw):
        x_norm1 = self._norm(self.norm1, x)
        x_attn, thw_new = self.attn(x_norm1, thw)
        x = x if self.project is None or not self.proj_after_attn else self.project(x_norm1)
        x_skip = x if self.pool_skip is None else self.pool_skip(x, thw)[0]
        x = x_skip + self.stochastic_depth(x_attn)

        x_norm2 = self._norm(self.norm2, x)
        x_proj = x if self.project is None or self.proj_after_attn else self.project(x_norm2)

        return x_proj + self.stochastic_depth(self.mlp(x_norm2)), thw_new


class PositionalEncoding(nn.Module):
    """Prepends the class token and, without relative positional embeddings, adds learned
    positions: ``temporal_pos[t] + spatial_pos[h·W + w]`` to each patch token, ``class_pos``
    to the class token."""

    def __init__(self, embed_size, spatial_size, temporal_size, rel_pos_embed):
        super().__init__()
        self.spatial_size = spatial_size
        self.temporal_size = temporal_size

        self.class_token = nn.Parameter(ember.zeros(embed_size))
        self.spatial_pos = None
        self.temporal_pos = None
        self.class_pos = None
        if not rel_pos_embed:
            self.spatial_pos = nn.Parameter(
                ember.zeros(self.spatial_size[0] * self.spatial_size[1], embed_size)
            )
            self.temporal_pos = nn.Parameter(ember.zeros(self.temporal_size, embed_size))
            self.class_pos = nn.Parameter(ember.zeros(embed_size))

    def forward(self, x):
        class_token = self.class_token.expand(x.size(0), -1).unsqueeze(1)
        x = ember.cat((class_token, x), dim=1)

        if self.spatial_pos is not None:
            hw_size, embed_size = self.spatial_pos.shape
            pos_embedding = ember.repeat_interleave(self.temporal_pos, hw_size, dim=0)
            spatial = self.spatial_pos.unsqueeze(0).expand(self.temporal_size, -1, -1)
            pos_embedding = pos_embedding + spatial.reshape(-1, embed_size)
            pos_embedding = ember.cat((self.class_pos.unsqueeze(0), pos_embedding), dim=0)
            x = x + pos_embedding.unsqueeze(0)

        return x


class MViT(nn.Module):
    """MViT main class, from `Multiscale Vision Transformers
    <https://arxiv.org/abs/2104.11227>`__ and `MViTv2: Improved Multiscale Vision
    Transformers for Classification and Detection <https://arxiv.org/abs/2112.01526>`__.

    ``conv_proj`` (patchify) → ``pos_encoding`` (class token and positions) → ``blocks`` →
    ``norm`` → the class token → ``head`` (dropout and a linear layer). Block ``i`` of ``n``
    drops its residual branches with probability ``stochastic_depth_prob * i / (n - 1)`` in
    training. Linear layers get ``trunc_normal_(std=0.02)`` weights and zero biases, layer
    norms weight 1 and bias 0, the positional encoding ``trunc_normal_(std=0.02)``.

    Args:
        spatial_size (tuple of ints): The spacial size of the input as ``(H, W)``.
        temporal_size (int): The temporal size ``T`` of the input.
        block_setting (sequence of MSBlockConfig): The Network structure.
        residual_pool (bool): If True, use MViTv2 pooling residual connection.
        residual_with_cls_embed (bool): If True, the addition on the residual connection will
            include the class embedding.
        rel_pos_embed (bool): If True, use MViTv2's relative positional embeddings.
        proj_after_attn (bool): If True, apply the projection after the attention.
        dropout (float): Dropout rate. Default: 0.5.
        attention_dropout (float): Attention dropout rate. Default: 0.0.
        stochastic_depth_prob: (float): Stochastic depth rate. Default: 0.0.
        num_classes (int): The number of classes. Default: 400.
        block (callable, optional): Module specifying the layer which consists of the
            attention and mlp. Default: :class:`MultiscaleBlock`.
        norm_layer (callable, optional): Module specifying the normalization layer to use.
            Default: ``LayerNorm`` with ``eps=1e-6``.
        patch_embed_kernel (tuple of ints): The kernel of the convolution that patchifies the
            input. Default: (3, 7, 7).
        patch_embed_stride (tuple of ints): The stride of the convolution that patchifies the
            input. Default: (2, 4, 4).
        patch_embed_padding (tuple of ints): The padding of the convolution that patchifies
            the input. Default: (1, 3, 3).

    Shape:
        - Input: :math:`(N, 3, T, H, W)` of the constructed ``temporal_size`` and
          ``spatial_size`` (or :math:`(N, 3, H, W)`, one frame).
        - Output: :math:`(N, \\text{num\\_classes})`.
    """

    def __init__(
        self,
        spatial_size,
        temporal_size,
        block_setting,
        residual_pool,
        residual_with_cls_embed,
        rel_pos_embed,
        proj_after_attn,
        dropout=0.5,
        attention_dropout=0.0,
        stochastic_depth_prob=0.0,
        num_classes=400,
        block=None,
        norm_layer=None,
        patch_embed_kernel=(3, 7, 7),
        patch_embed_stride=(2, 4, 4),
        patch_embed_padding=(1, 3, 3),
    ):
        super().__init__()
        total_stage_blocks = len(block_setting)
        if total_stage_blocks == 0:
            raise ValueError("The configuration parameter can't be empty.")

        if block is None:
            block = MultiscaleBlock

        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)

        # Patch Embedding module
        self.conv_proj = nn.Conv3d(
            in_channels=3,
            out_channels=block_setting[0].input_channels,
            kernel_size=patch_embed_kernel,
            stride=patch_embed_stride,
            padding=patch_embed_padding,
        )

        sizes = (temporal_size,) + tuple(spatial_size)
        input_size = [size // stride for size, stride in zip(sizes, self.conv_proj.stride)]

        # Spatio-Temporal Class Positional Encoding
        self.pos_encoding = PositionalEncoding(
            embed_size=block_setting[0].input_channels,
            spatial_size=(input_size[1], input_size[2]),
            temporal_size=input_size[0],
            rel_pos_embed=rel_pos_embed,
        )

        # Encoder module
        self.blocks = nn.ModuleList()
        for stage_block_id, cnf in enumerate(block_setting):
            # adjust stochastic depth probability based on the depth of the stage block
            sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)

            self.blocks.append(
                block(
                    input_size=input_size,
                    cnf=cnf,
                    residual_pool=residual_pool,
                    residual_with_cls_embed=residual_with_cls_embed,
                    rel_pos_embed=rel_pos_embed,
                    proj_after_attn=proj_after_attn,
                    dropout=attention_dropout,
                    stochastic_depth_prob=sd_prob,
                    norm_layer=norm_layer,
                )
            )

            if len(cnf.stride_q) > 0:
                input_size = [size // stride for size, stride in zip(input_size, cnf.stride_q)]
        self.norm = norm_layer(block_setting[-1].output_channels)

        # Classifier module
        self.head = nn.Sequential(
            nn.Dropout(dropout, inplace=True),
            nn.Linear(block_setting[-1].output_channels, num_classes),
        )

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0.0)
            elif isinstance(m, nn.LayerNorm):
                if m.weight is not None:
                    nn.init.constant_(m.weight, 1.0)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0.0)
            elif isinstance(m, PositionalEncoding):
                for weights in m.parameters():
                    nn.init.trunc_normal_(weights, std=0.02)

    def forward(self, x):
        # Convert if necessary (B, C, H, W) -> (B, C, 1, H, W)
        x = _unsqueeze(x, 5, 2)[0]
        # patchify and reshape: (B, C, T, H, W) -> (B, embed_channels[0], T', H', W')
        # -> (B, THW', embed_channels[0])
        x = self.conv_proj(x)
        x = x.flatten(2).transpose(1, 2)

        # add positional encoding
        x = self.pos_encoding(x)

        # pass patches through the encoder
        thw = (self.pos_encoding.temporal_size,) + tuple(self.pos_encoding.spatial_size)
        for block in self.blocks:
            x, thw = block(x, thw)
        x = self.norm(x)

        # classifier "token" as used by standard language architectures
        x = x[:, 0]
        return self.head(x)


def _mvit(
    block_setting,
    stochastic_depth_prob,
    weights,
    spatial_size,
    temporal_size,
    residual_pool,
    residual_with_cls_embed,
    **kwargs,
):
    model = MViT(
        spatial_size=spatial_size,
        temporal_size=temporal_size,
        block_setting=block_setting,
        residual_pool=residual_pool,
        residual_with_cls_embed=residual_with_cls_embed,
        rel_pos_embed=kwargs.pop("rel_pos_embed", False),
        proj_after_attn=kwargs.pop("proj_after_attn", False),
        stochastic_depth_prob=stochastic_depth_prob,
        **kwargs,
    )
    return _load_weights(model, weights)


def _block_setting(num_heads, input_channels, output_channels, kernel_q, stride_q, stride_kv):
    """The :class:`MSBlockConfig` of each block from per-block lists (3×3×3 key/value
    pooling kernels throughout)."""
    return [
        MSBlockConfig(
            num_heads=heads,
            input_channels=c_in,
            output_channels=c_out,
            kernel_q=k_q,
            kernel_kv=[3, 3, 3],
            stride_q=s_q,
            stride_kv=s_kv,
        )
        for heads, c_in, c_out, k_q, s_q, s_kv in zip(
            num_heads, input_channels, output_channels, kernel_q, stride_q, stride_kv
        )
    ]


# Both variants: 16 blocks; the queries are pooled (stride 1×2×2) in blocks 1, 3 and 14, the
# keys and values with strides that shrink as the map does, to 1×1×1 in the last two.
_NUM_HEADS = [1, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 8]
_STRIDE_KV = [[1, 8, 8]] + [[1, 4, 4]] * 2 + [[1, 2, 2]] * 11 + [[1, 1, 1]] * 2


@register_model()
def mvit_v1_b(*, weights=None, progress=True, **kwargs):
    """Constructs a base MViTV1 architecture from `Multiscale Vision Transformers
    <https://arxiv.org/abs/2104.11227>`__: 16 blocks, absolute positions, 16×224×224 clips,
    stochastic depth 0.2, 36,610,672 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state
            dict with torchvision's keys, loaded strictly. Default: None, random
            initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`MViT` (``stochastic_depth_prob``, ``dropout``,
            ``attention_dropout``, ``num_classes``, ``block``, ``norm_layer``,
            ``patch_embed_*``, ``rel_pos_embed``, ``proj_after_attn``). As in torchvision,
            ``spatial_size``, ``temporal_size``, ``residual_pool`` and
            ``residual_with_cls_embed`` are set by the builder (passing them raises
            ``TypeError``); build :class:`MViT` for other clip sizes.
    """
    strided = [[], [1, 2, 2], [], [1, 2, 2]] + [[]] * 10 + [[1, 2, 2], []]
    block_setting = _block_setting(
        _NUM_HEADS,
        [96, 192, 192] + [384] * 11 + [768, 768],
        [192, 192] + [384] * 11 + [768] * 3,
        kernel_q=[[3, 3, 3] if s else [] for s in strided],
        stride_q=strided,
        stride_kv=_STRIDE_KV,
    )
    return _mvit(
        spatial_size=(224, 224),
        temporal_size=16,
        block_setting=block_setting,
        residual_pool=False,
        residual_with_cls_embed=False,
        stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", 0.2),
        weights=weights,
        **kwargs,
    )


@register_model()
def mvit_v2_s(*, weights=None, progress=True, **kwargs):
    """Constructs a small MViTV2 architecture from `Multiscale Vision Transformers
    <https://arxiv.org/abs/2104.11227>`__ and `MViTv2: Improved Multiscale Vision
    Transformers for Classification and Detection <https://arxiv.org/abs/2112.01526>`__:
    16 blocks with pooling residuals, relative positions and the projection after the
    attention, 16×224×224 clips, stochastic depth 0.2, 34,537,744 parameters; arguments as
    :func:`mvit_v1_b`, except that ``rel_pos_embed`` and ``proj_after_attn`` are set too."""
    block_setting = _block_setting(
        _NUM_HEADS,
        [96, 96, 192, 192] + [384] * 11 + [768],
        [96, 192, 192] + [384] * 11 + [768, 768],
        kernel_q=[[3, 3, 3]] * 16,
        stride_q=[[1, 1, 1], [1, 2, 2], [1, 1, 1], [1, 2, 2]]
        + [[1, 1, 1]] * 10
        + [[1, 2, 2], [1, 1, 1]],
        stride_kv=_STRIDE_KV,
    )
    return _mvit(
        spatial_size=(224, 224),
        temporal_size=16,
        block_setting=block_setting,
        residual_pool=True,
        residual_with_cls_embed=False,
        rel_pos_embed=True,
        proj_after_attn=True,
        stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", 0.2),
        weights=weights,
        **kwargs,
    )
