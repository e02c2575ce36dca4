"""Normalisation layers other than batch norm: ``LayerNorm``, ``GroupNorm``, ``RMSNorm``,
``LocalResponseNorm`` and the instance norms and their lazy forms (torch keeps those in
``instancenorm.py``)."""

from __future__ import annotations

import numbers
import warnings

from ...ops.normalization import (
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)
from .. import init
from ._utils import _optional_parameter
from .batchnorm import _LazyNormBase, _NormBase
from .module import Module

__all__ = [
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
    "LocalResponseNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


def _as_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class _TrailingNorm(Module):
    """LayerNorm and RMSNorm: normalisation over the trailing ``normalized_shape`` dims, with
    an optional element-wise ``weight``."""

    def _init_weight(self, normalized_shape, eps, elementwise_affine, device, dtype):
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        shape = self.normalized_shape
        _optional_parameter(self, "weight", elementwise_affine, shape, device, dtype)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LayerNorm(_TrailingNorm):
    """Layer normalisation over the trailing ``normalized_shape`` dims of each sample.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with the biased variance.

    Args:
        normalized_shape: int or sequence: the trailing shape of the input to normalise over.
        eps: added to the variance for numerical stability.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of shape
            ``normalized_shape``.
        bias: learn the bias (only with ``elementwise_affine``).
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        input ``(*, *normalized_shape)``; output the same.
    """

    def __init__(
        self,
        normalized_shape,
        eps=1e-05,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self._init_weight(normalized_shape, eps, elementwise_affine, device, dtype)
        shape = self.normalized_shape
        _optional_parameter(self, "bias", elementwise_affine and bias, shape, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight ones, bias zeros."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{super().extra_repr()}, bias={self.bias is not None}"


class GroupNorm(Module):
    """Group normalisation: the channels are split into ``num_groups`` groups, each group
    of each sample normalised over its channels and spatial positions, then scaled and
    shifted per channel.

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: C, the number of channels of the input.
        eps: added to the variance for numerical stability.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros).
        device, dtype: where and in which dtype to create the parameters.
        bias: (keyword only) with ``affine``, learn the bias too; ``False`` learns the weight
            alone.

    Shape:
        input ``(N, C, *)``; output the same.
    """

    def __init__(
        self,
        num_groups,
        num_channels,
        eps=1e-05,
        affine=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _optional_parameter(self, "weight", affine, num_channels, device, dtype)
        _optional_parameter(self, "bias", affine and bias, num_channels, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight ones, bias zeros."""
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(_TrailingNorm):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims:
    y = x / sqrt(mean(x²) + eps) * weight.

    Args:
        normalized_shape: int or sequence: the trailing shape of the input to normalise over.
        eps: added to the mean square; None means the machine epsilon of the input's dtype.
        elementwise_affine: learn ``weight`` (ones) of shape ``normalized_shape``.
        device, dtype: where and in which dtype to create the weight.
    """

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None
    ):
        super().__init__()
        self._init_weight(normalized_shape, eps, elementwise_affine, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight ones."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)


class LocalResponseNorm(Module):
    """Local response normalisation across channels (AlexNet):
    y = x / (k + alpha / size * sum of x² over ``size`` neighbouring channels) ** beta.

    Args:
        size: number of neighbouring channels in the window.
        alpha: multiplicative factor. beta: exponent. k: additive factor.

    Shape:
        input ``(N, C, *)``; output the same.
    """

    def __init__(self, size, alpha=0.0001, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _InstanceNorm(_NormBase):
    """Instance norm: the subclasses give the input rank with and without a batch dim."""

    _unbatched_dim: int  # the rank of an input without batch dimension

    def __init__(
        self,
        num_features,
        eps=1e-05,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def _check_input_dim(self, input):
        rank = self._unbatched_dim
        if input.dim() not in (rank, rank + 1):
            raise ValueError(f"expected {rank}D or {rank + 1}D input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._unbatched_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        unbatched = input.dim() == self._unbatched_dim
        if unbatched:
            input = input.unsqueeze(0)
        y = instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation: each channel of each sample normalised over its length.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: weight of each new batch in the running statistics.
        affine: learn per-channel ``weight`` and ``bias`` (default ``False``).
        track_running_stats: keep running statistics and use them in eval mode
            (default ``False``: the input's own statistics are always used).
        device, dtype: where and in which dtype to create parameters and buffers.
        bias: (keyword only) with ``affine``, learn the bias too; ``False`` learns the weight
            alone.

    Shape:
        input ``(N, C, L)`` or ``(C, L)``; output the same.
    """

    _unbatched_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over ``(N, C, H, W)`` or ``(C, H, W)``; see ``InstanceNorm1d``."""

    _unbatched_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; see
    ``InstanceNorm1d``."""

    _unbatched_dim = 4


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """An ``InstanceNorm1d`` module with lazy initialization of the ``num_features`` argument.

    The ``num_features`` argument of the ``InstanceNorm1d`` is inferred from the
    ``input.size(1)`` (also for an unbatched input, as torch does). The attributes that will
    be lazily initialized are ``weight``, ``bias``, ``running_mean`` and ``running_var``;
    after the first forward the module is an ``InstanceNorm1d``.

    Unlike ``InstanceNorm1d``, ``affine`` and ``track_running_stats`` default to ``True``, as
    in torch.

    Check ``ember.nn.modules.lazy.LazyModuleMixin`` for further documentation on lazy modules
    and their limitations.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype, bias: as in
            ``InstanceNorm1d``.
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """An ``InstanceNorm2d`` module with lazy initialization of ``num_features``; see
    ``LazyInstanceNorm1d``."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """An ``InstanceNorm3d`` module with lazy initialization of ``num_features``; see
    ``LazyInstanceNorm1d``."""

    cls_to_become = InstanceNorm3d
