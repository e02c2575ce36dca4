"""Batch normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``, and
``_NormBase``, the parameters and running statistics they share with the instance norms."""

from __future__ import annotations

from ..._creation import ones, tensor, zeros
from ..._dtype import int64
from ...ops.normalization import batch_norm
from .. import init
from ._utils import _optional_parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Per-channel affine parameters (``weight``, and ``bias`` unless ``bias=False``) and
    running statistics (``running_mean``, ``running_var``, ``num_batches_tracked``) of batch
    and instance norm."""

    def __init__(
        self,
        num_features,
        eps=1e-05,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _optional_parameter(self, "weight", affine, num_features, device, dtype)
        _optional_parameter(self, "bias", affine and bias, num_features, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running statistics; weight ones, bias zeros."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # Like torch for a state dict without version metadata (one read from safetensors,
        # or saved before the counter existed): a missing num_batches_tracked keeps ours.
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                # cumulative moving average: batch k gets weight 1/k
                momentum = 1.0 / float(self.num_batches_tracked)
        # training, or no running statistics to use: normalise by the batch's statistics
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # running statistics are updated only when tracked, and read only out of training
        track = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a 2-D or 3-D input: each channel is normalised by the mean
    and variance of the batch (in training) or by the running estimates (in eval mode).

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: weight of each new batch in the running statistics; None for a cumulative
            moving average (the plain mean of every batch seen).
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros).
        track_running_stats: keep ``running_mean``, ``running_var`` and
            ``num_batches_tracked``; without them batch statistics are used in eval mode too.
        device, dtype: where and in which dtype to create parameters and buffers.
        bias: (keyword only) with ``affine``, learn the bias too; ``False`` learns the weight
            alone.

    Shape:
        input ``(N, C)`` or ``(N, C, L)``; output the same.
    """

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a 4-D input ``(N, C, H, W)``; see ``BatchNorm1d``."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over a 5-D input ``(N, C, D, H, W)``; see ``BatchNorm1d``."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")
