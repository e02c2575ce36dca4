"""RAFT, Recurrent All-Pairs Field Transforms for optical flow (Teed and Deng, 2020): the
large and small models with torchvision's module names, so its state dicts load unchanged."""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F

from ...ops.misc import Conv2dNormActivation
from .._api import _load_weights, register_model
from ._utils import grid_sample, make_coords_grid, upsample_flow

__all__ = ["RAFT", "raft_large", "raft_small"]


def _shortcut(in_channels, out_channels, norm_layer, stride, project):
    """The residual blocks' shortcut: a 1x1 conv-norm projection (with bias, no activation)
    where ``project``, else the identity."""
    if not project:
        return nn.Identity()
    return Conv2dNormActivation(
        in_channels,
        out_channels,
        norm_layer=norm_layer,
        kernel_size=1,
        stride=stride,
        bias=True,
        activation_layer=None,
    )


class ResidualBlock(nn.Module):
    """Slightly modified Residual block with extra relu and biases: two 3×3
    conv-norm-ReLU layers, the input added (through a 1×1 conv-norm projection where the
    stride is not 1 or ``always_project``), then a ReLU.

    The convolutions have biases even before a norm: in the RAFT training reference the batch
    norms are frozen after the first dataset, so the biases still learn (and the original
    weights have them).
    """

    def __init__(self, in_channels, out_channels, *, norm_layer, stride=1, always_project=False):
        super().__init__()
        self.convnormrelu1 = Conv2dNormActivation(
            in_channels,
            out_channels,
            norm_layer=norm_layer,
            kernel_size=3,
            stride=stride,
            bias=True,
        )
        self.convnormrelu2 = Conv2dNormActivation(
            out_channels, out_channels, norm_layer=norm_layer, kernel_size=3, bias=True
        )

        self.downsample = _shortcut(
            in_channels, out_channels, norm_layer, stride, stride != 1 or always_project
        )

        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.convnormrelu2(self.convnormrelu1(x))
        return self.relu(self.downsample(x) + y)


class BottleneckBlock(nn.Module):
    """Slightly modified BottleNeck block (extra relu and biases): 1×1, 3×3 (strided) and 1×1
    conv-norm-ReLU layers through ``out_channels // 4`` channels, the input added (through a
    1×1 conv-norm projection where strided), then a ReLU. Biases as in
    :class:`ResidualBlock`."""

    def __init__(self, in_channels, out_channels, *, norm_layer, stride=1):
        super().__init__()
        self.convnormrelu1 = Conv2dNormActivation(
            in_channels, out_channels // 4, norm_layer=norm_layer, kernel_size=1, bias=True
        )
        self.convnormrelu2 = Conv2dNormActivation(
            out_channels // 4,
            out_channels // 4,
            norm_layer=norm_layer,
            kernel_size=3,
            stride=stride,
            bias=True,
        )
        self.convnormrelu3 = Conv2dNormActivation(
            out_channels // 4, out_channels, norm_layer=norm_layer, kernel_size=1, bias=True
        )
        self.relu = nn.ReLU(inplace=True)

        self.downsample = _shortcut(in_channels, out_channels, norm_layer, stride, stride != 1)

    def forward(self, x):
        y = self.convnormrelu3(self.convnormrelu2(self.convnormrelu1(x)))
        return self.relu(self.downsample(x) + y)


class FeatureEncoder(nn.Module):
    """The feature encoder, used both as the actual feature encoder, and as the context
    encoder. It must downsample its input by 8.

    A 7×7 conv-norm-ReLU to ``layers[0]`` channels, three stages of two ``block``s (to
    ``layers[1:4]``, the first of each with its stride) and a 1×1 convolution to
    ``layers[4]``. Convolutions get ``kaiming_normal_(mode="fan_out")``, norms weight 1 and
    bias 0.

    Args:
        block (type): :class:`ResidualBlock` or :class:`BottleneckBlock`.
        layers (tuple of 5 ints): the widths. Default: (64, 64, 96, 128, 256).
        strides (tuple of 4 ints): the strides of the stem and the stages. Default:
            (2, 1, 2, 2).
        norm_layer (callable, optional): the norm after each convolution, or None.
            Default: ``nn.BatchNorm2d``.
    """

    def __init__(
        self,
        *,
        block=ResidualBlock,
        layers=(64, 64, 96, 128, 256),
        strides=(2, 1, 2, 2),
        norm_layer=nn.BatchNorm2d,
    ):
        super().__init__()

        if len(layers) != 5:
            raise ValueError(f"The expected number of layers is 5, instead got {len(layers)}")

        # See note in ResidualBlock for the reason behind bias=True
        self.convnormrelu = Conv2dNormActivation(
            3, layers[0], norm_layer=norm_layer, kernel_size=7, stride=strides[0], bias=True
        )

        self.layer1 = self._make_2_blocks(
            block, layers[0], layers[1], norm_layer=norm_layer, first_stride=strides[1]
        )
        self.layer2 = self._make_2_blocks(
            block, layers[1], layers[2], norm_layer=norm_layer, first_stride=strides[2]
        )
        self.layer3 = self._make_2_blocks(
            block, layers[2], layers[3], norm_layer=norm_layer, first_stride=strides[3]
        )

        self.conv = nn.Conv2d(layers[3], layers[4], kernel_size=1)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)):
                if m.weight is not None:
                    nn.init.constant_(m.weight, 1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

        num_downsamples = len([s for s in strides if s == 2])
        self.output_dim = layers[-1]
        self.downsample_factor = 2**num_downsamples

    def _make_2_blocks(self, block, in_channels, out_channels, norm_layer, first_stride):
        block1 = block(in_channels, out_channels, norm_layer=norm_layer, stride=first_stride)
        block2 = block(out_channels, out_channels, norm_layer=norm_layer, stride=1)
        return nn.Sequential(block1, block2)

    def forward(self, x):
        x = self.convnormrelu(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)

        return self.conv(x)


class MotionEncoder(nn.Module):
    """The motion encoder, part of the update block.

    Takes the current predicted flow and the correlation features as input and returns an
    encoded version of these: convolutions (with ReLU) of each, concatenated, a 3×3
    convolution to ``out_channels - 2``, and the flow itself appended.
    """

    def __init__(
        self, *, in_channels_corr, corr_layers=(256, 192), flow_layers=(128, 64), out_channels=128
    ):
        super().__init__()

        if len(flow_layers) != 2:
            raise ValueError(
                f"The expected number of flow_layers is 2, instead got {len(flow_layers)}"
            )
        if len(corr_layers) not in (1, 2):
            raise ValueError(
                f"The number of corr_layers should be 1 or 2, instead got {len(corr_layers)}"
            )

        self.convcorr1 = Conv2dNormActivation(
            in_channels_corr, corr_layers[0], norm_layer=None, kernel_size=1
        )
        if len(corr_layers) == 2:
            self.convcorr2 = Conv2dNormActivation(
                corr_layers[0], corr_layers[1], norm_layer=None, kernel_size=3
            )
        else:
            self.convcorr2 = nn.Identity()

        self.convflow1 = Conv2dNormActivation(2, flow_layers[0], norm_layer=None, kernel_size=7)
        self.convflow2 = Conv2dNormActivation(
            flow_layers[0], flow_layers[1], norm_layer=None, kernel_size=3
        )

        # out_channels - 2 because we cat the flow (2 channels) at the end
        self.conv = Conv2dNormActivation(
            corr_layers[-1] + flow_layers[-1], out_channels - 2, norm_layer=None, kernel_size=3
        )

        self.out_channels = out_channels

    def forward(self, flow, corr_features):
        corr = self.convcorr1(corr_features)
        corr = self.convcorr2(corr)

        flow_orig = flow
        flow = self.convflow1(flow)
        flow = self.convflow2(flow)

        corr_flow = ember.cat([corr, flow], dim=1)
        corr_flow = self.conv(corr_flow)
        return ember.cat([corr_flow, flow_orig], dim=1)


class ConvGRU(nn.Module):
    """Convolutional Gru unit: ``z = σ(convz([h, x]))``, ``r = σ(convr([h, x]))``,
    ``q = tanh(convq([r·h, x]))``, ``h' = (1 - z)·h + z·q``."""

    def __init__(self, *, input_size, hidden_size, kernel_size, padding):
        super().__init__()
        self.convz = nn.Conv2d(
            hidden_size + input_size, hidden_size, kernel_size=kernel_size, padding=padding
        )
        self.convr = nn.Conv2d(
            hidden_size + input_size, hidden_size, kernel_size=kernel_size, padding=padding
        )
        self.convq = nn.Conv2d(
            hidden_size + input_size, hidden_size, kernel_size=kernel_size, padding=padding
        )

    def forward(self, h, x):
        hx = ember.cat([h, x], dim=1)
        z = ember.sigmoid(self.convz(hx))
        r = ember.sigmoid(self.convr(hx))
        q = ember.tanh(self.convq(ember.cat([r * h, x], dim=1)))
        return (1 - z) * h + z * q


def _pass_through_h(h, _):
    return h


class RecurrentBlock(nn.Module):
    """Recurrent block, part of the update block.

    Takes the current hidden state and the concatenation of (motion encoder output, context)
    as input. Returns an updated hidden state: one :class:`ConvGRU` per kernel size (two
    separable ones, 1×5 then 5×1, by default).
    """

    def __init__(
        self, *, input_size, hidden_size, kernel_size=((1, 5), (5, 1)), padding=((0, 2), (2, 0))
    ):
        super().__init__()

        if len(kernel_size) != len(padding):
            raise ValueError(
                "kernel_size should have the same length as padding, instead got "
                f"len(kernel_size) = {len(kernel_size)} and len(padding) = {len(padding)}"
            )
        if len(kernel_size) not in (1, 2):
            raise ValueError(f"kernel_size should either 1 or 2, instead got {len(kernel_size)}")

        self.convgru1 = ConvGRU(
            input_size=input_size,
            hidden_size=hidden_size,
            kernel_size=kernel_size[0],
            padding=padding[0],
        )
        if len(kernel_size) == 2:
            self.convgru2 = ConvGRU(
                input_size=input_size,
                hidden_size=hidden_size,
                kernel_size=kernel_size[1],
                padding=padding[1],
            )
        else:
            self.convgru2 = _pass_through_h

        self.hidden_size = hidden_size

    def forward(self, h, x):
        h = self.convgru1(h, x)
        return self.convgru2(h, x)


class FlowHead(nn.Module):
    """Flow head, part of the update block.

    Takes the hidden state of the recurrent unit as input, and outputs the predicted "delta
    flow": two 3×3 convolutions with a ReLU between them.
    """

    def __init__(self, *, in_channels, hidden_size):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, hidden_size, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden_size, 2, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.conv2(self.relu(self.conv1(x)))


class UpdateBlock(nn.Module):
    """The update block which contains the motion encoder, the recurrent block, and the flow
    head. It must expose a ``hidden_state_size`` attribute which is the hidden state size of
    its recurrent block.

    ``forward(hidden_state, context, corr_features, flow)`` returns the new hidden state and
    the delta flow.
    """

    def __init__(self, *, motion_encoder, recurrent_block, flow_head):
        super().__init__()
        self.motion_encoder = motion_encoder
        self.recurrent_block = recurrent_block
        self.flow_head = flow_head

        self.hidden_state_size = recurrent_block.hidden_size

    def forward(self, hidden_state, context, corr_features, flow):
        motion_features = self.motion_encoder(flow, corr_features)
        x = ember.cat([context, motion_features], dim=1)

        hidden_state = self.recurrent_block(hidden_state, x)
        delta_flow = self.flow_head(hidden_state)
        return hidden_state, delta_flow


class MaskPredictor(nn.Module):
    """Mask predictor to be used when upsampling the predicted flow.

    It takes the hidden state of the recurrent unit as input and outputs the mask: a 3×3
    conv-ReLU and a 1×1 convolution to 8·8·9 channels (the flow is at 1/8 resolution and each
    fine pixel mixes the 9 coarse neighbours; see the paper and its appendix B), scaled by
    ``multiplier``. This is not used in the raft-small model.

    ``multiplier`` (0.25 in the original code) "downweights the gradients" of the branch;
    it does not seem to affect the end-point error much.
    """

    def __init__(self, *, in_channels, hidden_size, multiplier=0.25):
        super().__init__()
        self.convrelu = Conv2dNormActivation(
            in_channels, hidden_size, norm_layer=None, kernel_size=3
        )
        self.conv = nn.Conv2d(hidden_size, 8 * 8 * 9, 1, padding=0)
        self.multiplier = multiplier

    def forward(self, x):
        x = self.convrelu(x)
        x = self.conv(x)
        return self.multiplier * x


class CorrBlock(nn.Module):
    """The correlation block.

    Creates a correlation pyramid with ``num_levels`` levels from the outputs of the feature
    encoder, and then indexes from this pyramid to create correlation features. The
    "indexing" of a given centroid pixel x' is done by concatenating its surrounding
    neighbors that are within a ``radius``, according to the infinity norm (see paper section
    3.2; the paper's 1-norm is a typo). ``out_channels = num_levels * (2 * radius + 1) ** 2``.

    Args:
        num_levels (int): levels of the pyramid. Default: 4.
        radius (int): the neighbourhood's half side. Default: 4.
    """

    def __init__(self, *, num_levels=4, radius=4):
        super().__init__()
        self.num_levels = num_levels
        self.radius = radius

        self.corr_pyramid = []

        # The neighborhood of a centroid pixel x' is {x' + delta, ||delta||_inf <= radius}
        # so it's a square surrounding x', and its sides have a length of 2 * radius + 1
        self.out_channels = num_levels * (2 * radius + 1) ** 2

    def build_pyramid(self, fmap1, fmap2):
        """Build the correlation pyramid from two feature maps.

        The correlation volume is first computed as the dot product of each pair
        (pixel_in_fmap1, pixel_in_fmap2), over the square root of the number of channels, as
        one batched matrix product. The last 2 dimensions of the correlation volume are then
        pooled (2×2 average) ``num_levels - 1`` times to build the correlation pyramid.
        """
        if fmap1.shape != fmap2.shape:
            raise ValueError(
                "Input feature maps should have the same shape, instead got "
                f"{fmap1.shape} (fmap1.shape) != {fmap2.shape} (fmap2.shape)"
            )

        # The fmaps are down-sampled (num_levels - 1) times by a factor of 2. The last
        # corr_volume must have at least 2 values (hence the 2* factor), otherwise
        # grid_sample() would produce nans in its output.
        min_fmap_size = 2 * (2 ** (self.num_levels - 1))
        if any(fmap_size < min_fmap_size for fmap_size in fmap1.shape[-2:]):
            raise ValueError(
                "Feature maps are too small to be down-sampled by the correlation pyramid. "
                f"H and W of feature maps should be at least {min_fmap_size}; got: "
                f"{fmap1.shape[-2:]}. Remember that input images to the model are downsampled "
                f"by 8, so that means their dimensions should be at least 8 * {min_fmap_size} "
                f"= {8 * min_fmap_size}."
            )

        corr_volume = self._compute_corr_volume(fmap1, fmap2)

        batch_size, h, w, num_channels, _, _ = corr_volume.shape  # _, _ = h, w
        corr_volume = corr_volume.reshape(batch_size * h * w, num_channels, h, w)
        self.corr_pyramid = [corr_volume]
        for _ in range(self.num_levels - 1):
            corr_volume = F.avg_pool2d(corr_volume, kernel_size=2, stride=2)
            self.corr_pyramid.append(corr_volume)

    def index_pyramid(self, centroids_coords):
        """Return correlation features by indexing from the pyramid: bilinear samples
        (:func:`~embervision.models.optical_flow._utils.grid_sample`) of each level around
        ``centroids_coords`` ``(N, 2, h, w)`` (halved at each level), as
        ``(N, out_channels, h, w)``."""
        neighborhood_side_len = 2 * self.radius + 1  # see note in __init__ about out_channels
        di = ember.linspace(-self.radius, self.radius, neighborhood_side_len)
        dj = ember.linspace(-self.radius, self.radius, neighborhood_side_len)
        delta = ember.stack(ember.meshgrid(di, dj, indexing="ij"), dim=-1).to(
            centroids_coords.device
        )
        delta = delta.view(1, neighborhood_side_len, neighborhood_side_len, 2)

        batch_size, _, h, w = centroids_coords.shape  # _ = 2
        centroids_coords = centroids_coords.permute(0, 2, 3, 1).reshape(batch_size * h * w, 1, 1, 2)

        indexed_pyramid = []
        for corr_volume in self.corr_pyramid:
            # (batch_size * h * w, side_len, side_len, 2)
            sampling_coords = centroids_coords + delta
            indexed_corr_volume = grid_sample(
                corr_volume, sampling_coords, align_corners=True, mode="bilinear"
            ).view(batch_size, h, w, -1)
            indexed_pyramid.append(indexed_corr_volume)
            centroids_coords = centroids_coords / 2

        corr_features = ember.cat(indexed_pyramid, dim=-1).permute(0, 3, 1, 2).contiguous()

        expected_output_shape = (batch_size, self.out_channels, h, w)
        if tuple(corr_features.shape) != expected_output_shape:
            raise ValueError(
                "Output shape of index pyramid is incorrect. Should be "
                f"{expected_output_shape}, got {corr_features.shape}"
            )

        return corr_features

    def _compute_corr_volume(self, fmap1, fmap2):
        batch_size, num_channels, h, w = fmap1.shape
        fmap1 = fmap1.view(batch_size, num_channels, h * w)
        fmap2 = fmap2.view(batch_size, num_channels, h * w)

        corr = ember.matmul(fmap1.transpose(1, 2), fmap2)
        corr = corr.view(batch_size, h, w, 1, h, w)
        return corr / math.sqrt(num_channels)


class RAFT(nn.Module):
    """RAFT model from `RAFT: Recurrent All Pairs Field Transforms for Optical Flow
    <https://arxiv.org/abs/2003.12039>`_.

    Args:
        feature_encoder (nn.Module): The feature encoder. It must downsample the input by 8.
            Its input is the concatenation of ``image1`` and ``image2``.
        context_encoder (nn.Module): The context encoder. It must downsample the input by 8.
            Its input is ``image1``. As in the original implementation, its output will be
            split into 2 parts: the first ``hidden_state_size`` channels initialise the
            hidden state of the recurrent unit of the ``update_block`` (through tanh), the
            rest is the actual "context" (through ReLU); so the output of the
            ``context_encoder`` must be strictly greater than ``hidden_state_size``.
        corr_block (nn.Module): The correlation block, which creates a correlation pyramid
            from the output of the ``feature_encoder`` (its ``build_pyramid(fmap1, fmap2)``),
            and then indexes from this pyramid to create correlation features (its
            ``index_pyramid(centroids_coords)``). It must expose an ``out_channels``
            attribute.
        update_block (nn.Module): The update block, which contains the motion encoder, the
            recurrent unit, and the flow head. It takes as input the hidden state of its
            recurrent unit, the context, the correlation features, and the current predicted
            flow. It outputs an updated hidden state, and the ``delta_flow`` prediction (see
            paper appendix A). It must expose a ``hidden_state_size`` attribute.
        mask_predictor (nn.Module, optional): Predicts the mask that will be used to upsample
            the predicted flow. The output channel must be 8 * 8 * 9 - see paper section 3.3,
            and Appendix B. If ``None`` (default), the flow is upsampled using interpolation.

    ``forward(image1, image2, num_flow_updates=12)`` takes two ``(N, 3, H, W)`` images (H and
    W divisible by 8) and returns the list of ``num_flow_updates`` flow predictions, each
    ``(N, 2, H, W)``. The coordinates are detached before each update, as in the paper.
    """

    def __init__(
        self, *, feature_encoder, context_encoder, corr_block, update_block, mask_predictor=None
    ):
        super().__init__()
        self.feature_encoder = feature_encoder
        self.context_encoder = context_encoder
        self.corr_block = corr_block
        self.update_block = update_block

        self.mask_predictor = mask_predictor

        if not hasattr(self.update_block, "hidden_state_size"):
            raise ValueError(
                "The update_block parameter should expose a 'hidden_state_size' attribute."
            )

    def forward(self, image1, image2, num_flow_updates=12):
        batch_size, _, h, w = image1.shape
        if (h, w) != tuple(image2.shape[-2:]):
            raise ValueError(
                f"input images should have the same shape, instead got ({h}, {w}) != "
                f"{image2.shape[-2:]}"
            )
        if not ((h % 8 == 0) and (w % 8 == 0)):
            raise ValueError(
                f"input image H and W should be divisible by 8, instead got {h} (h) and {w} (w)"
            )

        fmaps = self.feature_encoder(ember.cat([image1, image2], dim=0))
        fmap1, fmap2 = ember.chunk(fmaps, chunks=2, dim=0)
        if tuple(fmap1.shape[-2:]) != (h // 8, w // 8):
            raise ValueError("The feature encoder should downsample H and W by 8")

        self.corr_block.build_pyramid(fmap1, fmap2)

        context_out = self.context_encoder(image1)
        if tuple(context_out.shape[-2:]) != (h // 8, w // 8):
            raise ValueError("The context encoder should downsample H and W by 8")

        # As in the original paper, the actual output of the context encoder is split in 2
        # parts: the initial hidden state of the recurrent units of the update block, and the
        # "actual" context.
        hidden_state_size = self.update_block.hidden_state_size
        out_channels_context = context_out.shape[1] - hidden_state_size
        if out_channels_context <= 0:
            raise ValueError(
                f"The context encoder outputs {context_out.shape[1]} channels, but it should "
                f"have at strictly more than hidden_state={hidden_state_size} channels"
            )
        hidden_state, context = ember.split(
            context_out, [hidden_state_size, out_channels_context], dim=1
        )
        hidden_state = ember.tanh(hidden_state)
        context = F.relu(context)

        coords0 = make_coords_grid(batch_size, h // 8, w // 8).to(fmap1.device)
        coords1 = make_coords_grid(batch_size, h // 8, w // 8).to(fmap1.device)

        flow_predictions = []
        for _ in range(num_flow_updates):
            coords1 = coords1.detach()  # Don't backpropagate gradients through this branch
            corr_features = self.corr_block.index_pyramid(centroids_coords=coords1)

            flow = coords1 - coords0
            hidden_state, delta_flow = self.update_block(hidden_state, context, corr_features, flow)

            coords1 = coords1 + delta_flow

            up_mask = None if self.mask_predictor is None else self.mask_predictor(hidden_state)
            upsampled_flow = upsample_flow(flow=(coords1 - coords0), up_mask=up_mask)
            flow_predictions.append(upsampled_flow)

        return flow_predictions


def _raft(
    *,
    weights=None,
    # Feature encoder
    feature_encoder_layers,
    feature_encoder_block,
    feature_encoder_norm_layer,
    # Context encoder
    context_encoder_layers,
    context_encoder_block,
    context_encoder_norm_layer,
    # Correlation block
    corr_block_num_levels,
    corr_block_radius,
    # Motion encoder
    motion_encoder_corr_layers,
    motion_encoder_flow_layers,
    motion_encoder_out_channels,
    # Recurrent block
    recurrent_block_hidden_state_size,
    recurrent_block_kernel_size,
    recurrent_block_padding,
    # Flow Head
    flow_head_hidden_size,
    # Mask predictor
    use_mask_predictor,
    **kwargs,
):
    """Build a :class:`RAFT`; ``feature_encoder``, ``context_encoder``, ``corr_block``,
    ``update_block`` and ``mask_predictor`` in ``kwargs`` replace the ones the other
    arguments describe."""
    feature_encoder = kwargs.pop("feature_encoder", None) or FeatureEncoder(
        block=feature_encoder_block,
        layers=feature_encoder_layers,
        norm_layer=feature_encoder_norm_layer,
    )
    context_encoder = kwargs.pop("context_encoder", None) or FeatureEncoder(
        block=context_encoder_block,
        layers=context_encoder_layers,
        norm_layer=context_encoder_norm_layer,
    )

    corr_block = kwargs.pop("corr_block", None) or CorrBlock(
        num_levels=corr_block_num_levels, radius=corr_block_radius
    )

    update_block = kwargs.pop("update_block", None)
    if update_block is None:
        motion_encoder = MotionEncoder(
            in_channels_corr=corr_block.out_channels,
            corr_layers=motion_encoder_corr_layers,
            flow_layers=motion_encoder_flow_layers,
            out_channels=motion_encoder_out_channels,
        )

        # See comments in forward pass of RAFT class about why we split the output of the
        # context encoder
        out_channels_context = context_encoder_layers[-1] - recurrent_block_hidden_state_size
        recurrent_block = RecurrentBlock(
            input_size=motion_encoder.out_channels + out_channels_context,
            hidden_size=recurrent_block_hidden_state_size,
            kernel_size=recurrent_block_kernel_size,
            padding=recurrent_block_padding,
        )

        flow_head = FlowHead(
            in_channels=recurrent_block_hidden_state_size, hidden_size=flow_head_hidden_size
        )

        update_block = UpdateBlock(
            motion_encoder=motion_encoder, recurrent_block=recurrent_block, flow_head=flow_head
        )

    mask_predictor = kwargs.pop("mask_predictor", None)
    if mask_predictor is None and use_mask_predictor:
        mask_predictor = MaskPredictor(
            in_channels=recurrent_block_hidden_state_size,
            hidden_size=256,
            multiplier=0.25,  # See comment in MaskPredictor about this
        )

    model = RAFT(
        feature_encoder=feature_encoder,
        context_encoder=context_encoder,
        corr_block=corr_block,
        update_block=update_block,
        mask_predictor=mask_predictor,
        **kwargs,  # not really needed, all params should be consumed by now
    )
    return _load_weights(model, weights)


@register_model()
def raft_large(*, weights=None, progress=True, **kwargs):
    """RAFT model from `RAFT: Recurrent All Pairs Field Transforms for Optical Flow
    <https://arxiv.org/abs/2003.12039>`_: residual encoders of width 256 (instance norm for
    the features, batch norm for the context), a 4-level correlation pyramid of radius 4,
    separable ConvGRUs of hidden size 128 and convex upsampling, 5,257,536 parameters.

    Args:
        weights (str or os.PathLike, optional): a local ``.safetensors`` or ``.pth`` state
            dict with torchvision's keys, loaded strictly. Default: None, random
            initialisation.
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: ``feature_encoder``, ``context_encoder``, ``corr_block``, ``update_block``
            and ``mask_predictor`` modules replacing the default ones (see :class:`RAFT`).
    """
    return _raft(
        weights=weights,
        # Feature encoder
        feature_encoder_layers=(64, 64, 96, 128, 256),
        feature_encoder_block=ResidualBlock,
        feature_encoder_norm_layer=nn.InstanceNorm2d,
        # Context encoder
        context_encoder_layers=(64, 64, 96, 128, 256),
        context_encoder_block=ResidualBlock,
        context_encoder_norm_layer=nn.BatchNorm2d,
        # Correlation block
        corr_block_num_levels=4,
        corr_block_radius=4,
        # Motion encoder
        motion_encoder_corr_layers=(256, 192),
        motion_encoder_flow_layers=(128, 64),
        motion_encoder_out_channels=128,
        # Recurrent block
        recurrent_block_hidden_state_size=128,
        recurrent_block_kernel_size=((1, 5), (5, 1)),
        recurrent_block_padding=((0, 2), (2, 0)),
        # Flow head
        flow_head_hidden_size=256,
        # Mask predictor
        use_mask_predictor=True,
        **kwargs,
    )


@register_model()
def raft_small(*, weights=None, progress=True, **kwargs):
    """RAFT "small" model from `RAFT: Recurrent All Pairs Field Transforms for Optical Flow
    <https://arxiv.org/abs/2003.12039>`__: bottleneck encoders (instance norm for the
    features, none for the context), a 4-level correlation pyramid of radius 3, one 3×3
    ConvGRU of hidden size 96 and bilinear upsampling, 990,162 parameters; arguments as
    :func:`raft_large`."""
    return _raft(
        weights=weights,
        # Feature encoder
        feature_encoder_layers=(32, 32, 64, 96, 128),
        feature_encoder_block=BottleneckBlock,
        feature_encoder_norm_layer=nn.InstanceNorm2d,
        # Context encoder
        context_encoder_layers=(32, 32, 64, 96, 160),
        context_encoder_block=BottleneckBlock,
        context_encoder_norm_layer=None,
        # Correlation block
        corr_block_num_levels=4,
        corr_block_radius=3,
        # Motion encoder
        motion_encoder_corr_layers=(96,),
        motion_encoder_flow_layers=(64, 32),
        motion_encoder_out_channels=82,
        # Recurrent block
        recurrent_block_hidden_state_size=96,
        recurrent_block_kernel_size=(3,),
        recurrent_block_padding=(1,),
        # Flow head
        flow_head_hidden_size=128,
        # Mask predictor
        use_mask_predictor=False,
        **kwargs,
    )
