"""Batch normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``, their lazy
forms, ``SyncBatchNorm``, and ``_NormBase``, the parameters and running statistics they share
with the instance norms."""

from __future__ import annotations

from ... import distributed as dist
from ..._creation import ones, tensor, zeros
from ..._dtype import int64
from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops.normalization import batch_norm
from ...ops.shape import cat
from .. import init
from ..parameter import UninitializedBuffer, UninitializedParameter
from ._utils import _optional_parameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "SyncBatchNorm",
]


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


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """The lazy batch and instance norms: ``num_features`` (0 until then) is read from
    ``input.shape[1]`` of the first input."""

    def __init__(
        self,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        # affine and track_running_stats False: no tensor is made only to be replaced
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """Infers ``num_features`` from ``input.shape[1]`` and initializes the parameters and
        running statistics."""
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                for t in (self.weight, self.bias, self.running_mean, self.running_var):
                    if t is not None:
                        t.materialize((self.num_features,))
                self.reset_parameters()


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
        return self._normalize(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            use_batch_stats,
            momentum,
        )

    def _normalize(self, input, running_mean, running_var, use_batch_stats, momentum):
        return batch_norm(
            input,
            running_mean,
            running_var,
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


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A ``BatchNorm1d`` module with lazy initialization.

    Lazy initialization based on the ``num_features`` argument of the ``BatchNorm1d`` that is
    inferred from the ``input.size(1)``. The attributes that will be lazily initialized are
    ``weight``, ``bias``, ``running_mean`` and ``running_var``; after the first forward the
    module is a ``BatchNorm1d``.

    Check ``ember.nn.modules.lazy.LazyModuleMixin`` for further documentation on lazy modules
    and their limitations.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype, bias: as in
            ``BatchNorm1d``.
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A ``BatchNorm2d`` module with lazy initialization of ``num_features``; see
    ``LazyBatchNorm1d``."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """A ``BatchNorm3d`` module with lazy initialization of ``num_features``; see
    ``LazyBatchNorm1d``."""

    cls_to_become = BatchNorm3d


class _AllReduceSum(Function):
    """The sum of a tensor over the processes of ``group``; its gradient is the sum of the
    gradients (torch.distributed.nn's differentiable all_reduce)."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        y = Tensor._make(x.copy())
        dist.all_reduce(y, group=group)
        return y._data

    @staticmethod
    def backward(ctx, gy):
        gx = gy.clone()
        dist.all_reduce(gx, group=ctx.group)
        return gx, None


def _sync_batch_norm(input, weight, bias, running_mean, running_var, eps, momentum, group):
    """Batch norm with the statistics of the whole batch, spread over the processes: the
    per-channel sum, sum of squares and count are all-reduced, so every process normalises
    by the same mean and biased variance.

    Written with differentiable operations: in backward, the gradients with respect to the
    sums (which hold torch's ``sum_dy`` and ``sum_dy_xmu``) are all-reduced in turn, so the
    input gradient is that of batch norm on the concatenated batch."""
    dims = (0, *range(2, input.dim()))
    channels = input.shape[1]
    count = input.new_full((1,), input.numel() // channels)
    stats = _AllReduceSum.apply(cat([input.sum(dims), input.square().sum(dims), count]), group)
    total = stats[2 * channels]
    mean = stats[:channels] / total
    var = stats[channels : 2 * channels] / total - mean.square()
    if running_mean is not None:
        with no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * (total / (total - 1)))
    shape = (1, channels) + (1,) * (input.dim() - 2)
    y = (input - mean.reshape(shape)) * (var + eps).rsqrt().reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose batch statistics, in training, are those of the batches of
    every process of ``process_group`` together (``ember.distributed``, one process per
    replica, e.g. under ``DistributedDataParallel``).

    Each process all-reduces the per-channel sum, sum of squares and element count of its
    input, and normalises by the resulting mean and biased variance; the backward pass
    all-reduces the gradient statistics in turn, and the running statistics (updated with the
    unbiased variance of the whole batch) stay equal on every process. Outside training,
    without an initialised process group, or with a world of one process, it is
    ``BatchNorm``. Unlike torch, whose SyncBatchNorm needs GPU inputs, any device works (the
    collectives run on MPI).

    Args:
        num_features: C, the number of channels of an ``(N, C, +)`` input.
        eps, momentum, affine, track_running_stats, device, dtype: as in ``BatchNorm1d``.
        process_group: the group whose processes share statistics (default: the whole
            world).
        bias: (keyword only) with ``affine``, learn the bias too.

    Shape:
        input ``(N, C, +)`` (at least 2-D); output the same.

    Example:
        >>> dist.init_process_group()
        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        >>> ddp = nn.parallel.DistributedDataParallel(model)
    """

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        process_group=None,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def _normalize(self, input, running_mean, running_var, use_batch_stats, momentum):
        if use_batch_stats and self.training and dist.is_available() and dist.is_initialized():
            group = self.process_group
            if dist.get_world_size(group) > 1:
                return _sync_batch_norm(
                    input,
                    self.weight,
                    self.bias,
                    running_mean,
                    running_var,
                    self.eps,
                    momentum,
                    group,
                )
        return super()._normalize(input, running_mean, running_var, use_batch_stats, momentum)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Converts all ``BatchNorm*D`` layers in the model to ``SyncBatchNorm`` layers.

        The new layers share the old ones' parameters and running statistics.

        Args:
            module: module containing one or more ``BatchNorm*D`` layers.
            process_group: process group to scope synchronization, default is the whole
                world.

        Returns:
            The original ``module`` with the converted ``SyncBatchNorm`` layers. If the
            original ``module`` is a ``BatchNorm*D`` layer, a new ``SyncBatchNorm`` layer
            object will be returned instead.
        """
        module_output = module
        if isinstance(module, _BatchNorm):
            module_output = SyncBatchNorm(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
                bias=module.bias is not None,
            )
            if module.affine:
                module_output.weight = module.weight
                module_output.bias = module.bias
            module_output.running_mean = module.running_mean
            module_output.running_var = module.running_var
            module_output.num_batches_tracked = module.num_batches_tracked
            module_output.training = module.training
        for name, child in module.named_children():
            module_output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return module_output
