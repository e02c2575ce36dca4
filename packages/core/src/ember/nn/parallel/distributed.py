"""``DistributedDataParallel``: data-parallel training, one model replica per process."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np

from ... import backend
from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd import function as _engine
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_DEFAULT_FIRST_BUCKET_BYTES = 1 * _MB  # torch's small first bucket, so reduction starts early


class _Bucket:
    """Gradients of parameters of one dtype and device, reduced together: a flat buffer and,
    per parameter, a view of it shaped like the parameter."""

    def __init__(self, params):
        self.params = params
        xp = backend.array_module(params[0]._data)
        self.buffer = xp.zeros(sum(p._data.size for p in params), params[0]._data.dtype)
        self.views = []
        offset = 0
        for p in params:
            self.views.append(self.buffer[offset : offset + p._data.size].reshape(p._data.shape))
            offset += p._data.size
        self.reset()

    def reset(self):
        self.ready = [False] * len(self.params)
        self.pending = len(self.params)
        self.work = None


def _assign_buckets(params, first_cap, cap):
    """Group ``params`` into buckets of one dtype and device, in reverse order (the order their
    gradients become ready in backward), closing a bucket once it holds ``first_cap`` bytes
    (the first bucket) or ``cap`` bytes (the others) — torch's assignment by size."""
    buckets = []
    open_buckets = {}  # (dtype, device) -> [params, bytes]
    for p in reversed(params):
        key = (p._data.dtype, p.device)
        current = open_buckets.setdefault(key, [[], 0])
        current[0].append(p)
        current[1] += p._data.nbytes
        if current[1] >= (first_cap if not buckets else cap):
            buckets.append(current[0])
            del open_buckets[key]
    buckets.extend(params for params, _ in open_buckets.values())
    return [_Bucket(b) for b in buckets]


class DistributedDataParallel(Module):
    """Data parallelism at the module level: every process holds a replica of ``module`` and
    trains it on its own share of the data; gradients are averaged across processes during
    ``backward``, so every replica takes the same optimiser step.

    Call ``ember.distributed.init_process_group()`` first. At construction, the parameters and
    buffers of rank 0 are broadcast to every process. In ``backward``, each parameter's
    gradient is copied, as soon as it is accumulated, into a flat bucket of about
    ``bucket_cap_mb`` MiB (the first one 1 MiB, with the default cap), divided by the world
    size, and each full bucket is all-reduced without blocking while backward goes on; the end
    of backward waits for all of them and writes the averages into ``.grad``. DDP does not
    split the input: give each process its share, e.g. with ``DistributedSampler``.

    Args:
        module: the module to replicate.
        device_ids: None for CPU modules; for a CUDA module, ``[its device]``.
        output_device: None for CPU modules; for a CUDA module, its device.
        dim: the batch dimension (kept for torch compatibility; the input is not split).
        broadcast_buffers: deprecated (torch 2.13) name of ``forward_sync_buffers``;
            ``False`` also skips the buffers in the broadcast at construction.
        init_sync: broadcast parameters and buffers from rank 0 at construction (after
            checking that every process has the same parameter shapes).
        process_group: the process group (default: the default group).
        bucket_cap_mb: bucket size in MiB (default: 25).
        find_unused_parameters: parameters that get no gradient in a backward pass take part
            in the reduction with zeros; one no process used keeps its ``.grad``. When False
            (the default), a backward that leaves some parameter without a gradient makes the
            next forward raise, as in torch.
        check_reduction: deprecated, unused (a FutureWarning says so, as in torch).
        gradient_as_bucket_view: after a reduction, each ``.grad`` is a view into its
            bucket, which saves a copy and the memory of the gradients.
        static_graph: the set of used parameters is the same in every iteration; it lets
            unused parameters be handled as with ``find_unused_parameters``.
        forward_sync_buffers: broadcast rank 0's buffers (e.g. BatchNorm running statistics)
            at the start of each forward (default ``True``).

    Attributes:
        module: the wrapped module. ``state_dict()`` keys are its keys prefixed ``module.``.

    Example:
        >>> dist.init_process_group()
        >>> model = DistributedDataParallel(Net())
        >>> loss_fn(model(x), y).backward()  # .grad is averaged over the processes
        >>> optimizer.step()
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=None,
        init_sync=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
        *,
        forward_sync_buffers=None,
    ):
        super().__init__()
        self.process_group = dist.distributed_c10d._group(process_group)
        self._module_parameters = [p for p in module.parameters() if p.requires_grad]
        if not self._module_parameters:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any "
                "parameter that requires a gradient."
            )
        devices = {p.device for p in module.parameters()}
        if device_ids is not None and (len(devices) != 1 or next(iter(devices)).type == "cpu"):
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters {devices}."
            )
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.module = module
        if broadcast_buffers is not None:
            warnings.warn(
                "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. "
                "IMPORTANT: unlike `broadcast_buffers=False`, `forward_sync_buffers=False` "
                "still syncs buffers at init.",
                FutureWarning,
                stacklevel=2,
            )
        if forward_sync_buffers is not None:
            self.forward_sync_buffers = forward_sync_buffers
            init_sync_buffers = True
        else:
            self.forward_sync_buffers = broadcast_buffers is not False
            init_sync_buffers = self.forward_sync_buffers
        if check_reduction:
            warnings.warn(
                "The `check_reduction` argument in `DistributedDataParallel` module is "
                "deprecated. Please avoid using it.",
                FutureWarning,
                stacklevel=2,
            )
        self.find_unused_parameters = find_unused_parameters
        self.static_graph = static_graph
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

        if init_sync:
            self._verify_param_shapes()
            states = list(module.parameters())
            if init_sync_buffers:
                states += list(module.buffers())
            self._broadcast_from_rank0(states)

        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        first_cap = _DEFAULT_FIRST_BUCKET_BYTES if bucket_cap_mb is None else cap
        self._buckets = _assign_buckets(self._module_parameters, first_cap, cap)
        self._slot = {}  # id(param) -> (bucket, index in bucket)
        for bucket in self._buckets:
            for i, p in enumerate(bucket.params):
                self._slot[id(p)] = (bucket, i)
        self._next_bucket = 0
        self._sync_this_backward = False
        self._finalize_queued = False
        self._unfinished = None  # parameters left without a gradient by the last backward
        self._hook_handles = [
            p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._module_parameters
        ]

    # ------------------------------------------------------------------------------ setup

    def _verify_param_shapes(self):
        shapes = [(tuple(p.shape), str(p.dtype)) for p in self.module.parameters()]
        everyone = [None] * dist.get_world_size(self.process_group)
        dist.all_gather_object(everyone, shapes, group=self.process_group)
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                raise RuntimeError(
                    "DDP expects same model across all ranks, but Rank "
                    f"{rank} has {len(theirs)} params {theirs}, while rank 0 has "
                    f"{len(everyone[0])} params {everyone[0]}."
                )

    def _broadcast_from_rank0(self, tensors):
        with no_grad():
            for t in tensors:
                dist.broadcast(t, src=0, group=self.process_group)

    # ---------------------------------------------------------------------------- forward

    def forward(self, *inputs, **kwargs):
        """Run the module (after broadcasting rank 0's buffers, with ``forward_sync_buffers``);
        the backward of its output averages the gradients across processes (unless inside
        ``no_sync()``)."""
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self._prepare_for_backward()
        else:
            self._sync_this_backward = False
        buffers = list(self.module.buffers())
        if self.require_forward_param_sync and self.forward_sync_buffers and buffers:
            self._broadcast_from_rank0(buffers)
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = sync
        return output

    @contextmanager
    def no_sync(self):
        """Context manager that turns gradient synchronisation off: inside it, gradients only
        accumulate locally; the first forward-backward after it averages the accumulated sum.

        The forward pass must be inside the context too, or gradients are synchronised.

        Example:
            >>> with ddp.no_sync():
            ...     for input in inputs:
            ...         ddp(input).backward()  # no synchronization, accumulate grads
            >>> ddp(another_input).backward()  # synchronize grads
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _prepare_for_backward(self):
        if self._unfinished is not None:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss.\n"
                f"Parameter indices which did not receive grad for rank "
                f"{dist.get_rank(self.process_group)}: {self._unfinished}"
            )
        for bucket in self._buckets:
            bucket.reset()
        self._next_bucket = 0
        self._finalize_queued = False
        self._sync_this_backward = True

    # --------------------------------------------------------------------------- backward

    def _grad_ready(self, param):
        """Post-accumulate-grad hook: ``param.grad`` is final for this backward."""
        if not self._sync_this_backward:
            return
        if not self._finalize_queued:
            _engine.queue_callback(self._finalize_backward)
            self._finalize_queued = True
        bucket, i = self._slot[id(param)]
        if bucket.ready[i]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This happens when a parameter "
                "gets its gradient twice in one iteration, e.g. from two backward passes after "
                "one forward (DistributedDataParallel reduces each gradient once)."
            )
        view = bucket.views[i]
        if param.grad._data is not view:
            view[...] = param.grad._data
        self._mark_ready(bucket, i)

    def _mark_ready(self, bucket, i):
        bucket.ready[i] = True
        bucket.pending -= 1
        # Buckets are reduced in index order on every process, so the collectives match.
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending:
                break
            bucket.buffer /= dist.get_world_size(self.process_group)
            bucket.work = dist.all_reduce(
                Tensor._make(bucket.buffer), group=self.process_group, async_op=True
            )
            self._next_bucket += 1

    def _finalize_backward(self):
        """End of backward: wait for every bucket and write the averages into ``.grad``."""
        unused = [
            (bucket, i)
            for bucket in self._buckets
            for i, ready in enumerate(bucket.ready)
            if not ready
        ]
        globally_used = None
        if unused and (self.find_unused_parameters or self.static_graph):
            globally_used = self._globally_used()
            for bucket, i in unused:
                bucket.views[i][...] = 0
                self._mark_ready(bucket, i)
        elif unused:
            order = {id(p): k for k, p in enumerate(self._module_parameters)}
            self._unfinished = sorted(order[id(b.params[i])] for b, i in unused)
        for bucket in self._buckets:
            if bucket.work is None:
                continue
            bucket.work.wait()
            for p, view in zip(bucket.params, bucket.views):
                if globally_used is not None and not globally_used[id(p)]:
                    continue
                if p.grad is None or self.gradient_as_bucket_view:
                    p.grad = Tensor._make(view if self.gradient_as_bucket_view else view.copy())
                elif p.grad._data is not view:
                    p.grad._data[...] = view

    def _globally_used(self):
        """Whether any process gave each parameter a gradient in this backward."""
        flags = []
        for p in self._module_parameters:
            bucket, i = self._slot[id(p)]
            flags.append(bucket.ready[i])
        used = Tensor._make(np.array(flags))
        dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.process_group)
        return {id(p): bool(u) for p, u in zip(self._module_parameters, used.tolist())}
