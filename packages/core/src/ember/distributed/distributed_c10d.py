"""torch.distributed's process group and collectives, on MPI.

Ranks come from the MPI runtime: start the program with ``mpiexec -n N python train.py`` and
call ``init_process_group()`` in every process. Collectives work on ember tensors in place, as
torch's do; CUDA tensors are staged through host memory (the ``mpich`` wheel is not CUDA-aware).
"""

from __future__ import annotations

import enum
import warnings
from datetime import timedelta

import numpy as np

from .. import _versions, backend
from .._tensor import Tensor
from . import _mpi

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "gather",
    "gather_object",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "irecv",
    "is_initialized",
    "is_mpi_available",
    "isend",
    "recv",
    "reduce",
    "reduce_scatter_tensor",
    "scatter",
    "scatter_object_list",
    "send",
]

_NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)
_CPU = backend.Device("cpu")


class ReduceOp:
    """The reduction of ``all_reduce``, ``reduce`` and ``reduce_scatter_tensor``.

    ``SUM``, ``PRODUCT``, ``MIN`` and ``MAX`` are torch's MPI backend's operations; ``BAND``,
    ``BOR`` and ``BXOR`` (integer and bool tensors) and ``AVG`` (floating-point and complex
    tensors: a sum divided by the world size) work as with torch's Gloo and NCCL backends.
    """

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


class Backend(str):
    """A backend name, lower-cased: ``Backend("MPI") == "mpi"``. ember implements ``mpi``."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        return super().__new__(cls, name.lower())


class ProcessGroup:
    """A set of processes that run collectives together; ``init_process_group`` makes the
    default one (all processes), ``GroupMember.WORLD``."""

    def __init__(self, impl, backend_name):
        self._impl = impl
        self._backend = Backend(backend_name)

    def rank(self):
        return self._impl.rank()

    def size(self):
        return self._impl.size()

    def name(self):
        return self._backend


class GroupMember:
    """``WORLD``: the default process group (None until ``init_process_group``)."""

    WORLD = None
    NON_GROUP_MEMBER = -100


class Work:
    """A collective or point-to-point operation in flight, returned when ``async_op=True``
    (and by ``isend``/``irecv``). ``wait()`` blocks until it completes; then the tensors it
    writes hold their results."""

    def __init__(self, group, requests, finish=None, result=()):
        self._impl = group._impl
        self._requests = requests
        self._finish = finish
        self._result = list(result)
        self._source = -1
        self._completed = False

    def _complete(self, sources):
        self._completed = True
        self._source = sources[0] if sources else -1
        if self._finish is not None:
            self._finish()

    def wait(self, timeout=None):
        """Block until the operation completes (MPI has no timeout: ``timeout`` is ignored);
        returns True."""
        if not self._completed:
            self._complete(self._impl.wait_all(self._requests))
        return True

    def is_completed(self):
        """Whether the operation has completed (never blocks)."""
        if not self._completed:
            done, sources = self._impl.test_all(self._requests)
            if done:
                self._complete(sources)
        return self._completed

    def result(self):
        """The output tensors of the operation."""
        return self._result

    def source_rank(self):
        """The rank a completed ``irecv`` received from."""
        if not self._completed:
            raise RuntimeError("source_rank() may only be called on a completed Work")
        return self._source


# ---------------------------------------------------------------------------- process group


def is_mpi_available():
    """Whether the MPI backend can be used (mpi4py is installed: ``pip install 'ember[distributed]'``)."""
    return _mpi.is_available()


def is_initialized():
    """Whether the default process group has been initialised."""
    return GroupMember.WORLD is not None


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
):
    """Initialise the default process group: every process of the MPI job calls it once.

    Launch the processes with MPI (``mpiexec -n 4 python train.py``); the MPI runtime assigns
    the ranks and the world size, so — as with torch's ``mpi`` backend — ``world_size`` and
    ``rank`` are ignored (with a warning when given), and so are ``init_method`` and
    ``store``, which other backends use to find their peers.

    Args:
        backend: ``"mpi"`` (the default, and the one backend ember has). ``"gloo"`` and
            ``"nccl"`` raise: use ``"mpi"``, which handles CUDA tensors through host memory.
        init_method: ignored (MPI finds the peers).
        timeout: a ``datetime.timedelta``; accepted for torch compatibility, but MPI calls
            have no timeout.
        world_size: ignored (set by ``mpiexec -n``).
        rank: ignored (set by the MPI runtime).
        store: ignored.
        group_name: ignored, as in torch.
        pg_options: ignored.
        device_id: ignored: CUDA tensors are staged through host memory.

    Raises:
        ValueError: if the default process group is already initialised.
        RuntimeError: for a backend other than ``mpi``, or when mpi4py is not installed.
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend or Backend.MPI)
    if name.startswith("cpu:"):  # torch's "cpu:mpi,cuda:..." form names one per device
        name = Backend(name.split(",")[0][4:])
    if name in (Backend.UNDEFINED, Backend.MPI):
        name = Backend(Backend.MPI)
    elif name in (Backend.GLOO, Backend.NCCL, Backend.UCC, Backend.XCCL):
        raise RuntimeError(
            f"Distributed package doesn't have {name.upper()} built in: ember.distributed "
            "runs on MPI; use backend='mpi' (CUDA tensors are staged through host memory)"
        )
    else:
        raise ValueError(f"Invalid backend: '{name}', ember.distributed supports 'mpi'")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(
            f"Expected timeout argument to be of type datetime.timedelta, got {timeout}"
        )
    if not _mpi.is_available():
        raise RuntimeError(
            "Distributed package doesn't have MPI built in: install mpi4py and an MPI "
            "(pip install 'ember[distributed]')"
        )
    if world_size != -1 or rank != -1:
        warnings.warn(
            f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored since "
            "they are assigned by the MPI runtime.",
            stacklevel=2,
        )
    GroupMember.WORLD = ProcessGroup(_mpi.ProcessGroupMPI(), name)


def destroy_process_group(group=None):
    """Tear down ``group`` (default: the default group, after which ``init_process_group`` may
    be called again). MPI itself stays initialised until the process exits."""
    world = _group(group)
    world._impl.free()
    if world is GroupMember.WORLD:
        GroupMember.WORLD = None


def _group(group):
    if group is None or group is GroupMember.WORLD:
        if GroupMember.WORLD is None:
            raise ValueError(_NOT_INITIALIZED)
        return GroupMember.WORLD
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup or None, got {type(group).__name__}")
    return group


def get_rank(group=None):
    """This process's rank in ``group`` (default: the default group), from 0."""
    return _group(group).rank()


def get_world_size(group=None):
    """The number of processes in ``group`` (default: the default group)."""
    return _group(group).size()


def get_backend(group=None):
    """The backend of ``group`` (default: the default group): ``"mpi"``."""
    return _group(group).name()


def _rank(group, global_rank, group_rank, what="rank"):
    """torch's either-global-or-group rank argument pair, as a rank of ``group`` (the only
    group ember has is the world, where the two agree)."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        rank = group_rank
    elif global_rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    else:
        rank = global_rank
    if not 0 <= rank < group.size():
        raise ValueError(f"Invalid {what} {rank}: the world size is {group.size()}")
    return rank


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


# ------------------------------------------------------------------------ tensors and buffers


class _Staged:
    """A tensor's memory as a contiguous host array that MPI reads and writes; ``written()``
    puts what MPI wrote back into the tensor (a copy to the GPU for a CUDA tensor) and counts
    the in-place write for autograd's saved-tensor check."""

    def __init__(self, tensor, param_name="tensor"):
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"Invalid function argument. Expected parameter `{param_name}` of type "
                f"ember.Tensor\n             but got {type(tensor)} instead."
            )
        if not tensor._data.flags.c_contiguous:
            raise ValueError(f"Tensors must be contiguous: `{param_name}` is not")
        self.tensor = tensor
        self.host = backend.to_device(tensor._data, _CPU)

    def written(self):
        data = self.tensor._data
        if data is not self.host:
            data[...] = backend.to_device(self.host, self.tensor.device)
        _versions.bump(data)


def _check_list(tensor_list, size, like, param_name):
    if not isinstance(tensor_list, list) or len(tensor_list) != size:
        raise ValueError(f"`{param_name}` must be a list of {size} tensors (the world size)")
    for t in tensor_list:
        if not isinstance(t, Tensor) or t.shape != like.shape or t.dtype != like.dtype:
            raise ValueError(
                f"Every tensor in `{param_name}` must be an ember.Tensor of shape "
                f"{tuple(like.shape)} and dtype {like.dtype}, got {t!r:.60}"
            )


def _unstack(rows, tensor_list):
    """Copy the rows of a host array into the tensors of a list."""
    for row, t in zip(rows, tensor_list):
        t._data[...] = backend.to_device(row, t.device)
        _versions.bump(t._data)


def _reduction(array, op, size, fn_name):
    """How MPI reduces ``array`` with ``op``: ``(buffer, MPI op name, finish)``.

    ``buffer`` is ``array`` or a stand-in for it; ``finish()`` puts the reduced result into
    ``array`` (call it only where a result arrives). Bools reduce as bytes (SUM is a logical
    or, PRODUCT a logical and, as with NCCL), float16 (no MPI datatype) as float32, complex as
    pairs of reals, and AVG is a SUM divided by the world size.
    """
    op = ReduceOp.RedOpType(op)
    kind = array.dtype.kind
    if kind == "c" and op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"{fn_name} does not support {op} on complex tensors")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "biu":
        raise ValueError(f"{fn_name}: {op} needs an integer or bool tensor, got {array.dtype}")
    if op == ReduceOp.AVG and kind not in "fc":
        raise ValueError(f"{fn_name}: {op} needs a floating-point tensor, got {array.dtype}")
    name = "SUM" if op == ReduceOp.AVG else op.name

    if kind == "b":
        name = {"SUM": "MAX", "PRODUCT": "MIN"}.get(name, name)
        return array.view(np.uint8), name, lambda: None
    buffer = array.astype(np.float32) if array.dtype == np.float16 else array
    if kind == "c":
        buffer = array.view(array.real.dtype)

    def finish():
        if op == ReduceOp.AVG:
            buffer[...] /= size
        if buffer is not array and kind == "f":
            array[...] = buffer

    return buffer, name, finish


# ------------------------------------------------------------------------------ collectives


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across all processes, in place: afterwards every process holds the
    result.

    Args:
        tensor: input and output of the collective.
        op: a ``ReduceOp`` (default ``SUM``).
        group: the process group (default: the default group).
        async_op: return a ``Work`` to ``wait()`` on instead of blocking.

    Returns:
        A ``Work`` if ``async_op``, else None.

    Example:
        >>> t = ember.tensor([float(dist.get_rank() + 1)])
        >>> dist.all_reduce(t)  # on 2 processes: tensor([3.]) on both
    """
    pg = _group(group)
    staged = _Staged(tensor)
    buffer, name, finish = _reduction(staged.host, op, pg.size(), "all_reduce")

    def done():
        finish()
        staged.written()

    return _run(Work(pg, [pg._impl.allreduce(buffer, name)], done, [tensor]), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` across all processes into the process ``dst``'s ``tensor`` (the
    others' are left as they are).

    Args:
        tensor: input, and on ``dst`` the output.
        dst: the rank that receives the result (or ``group_dst``, its rank in ``group``).
        op: a ``ReduceOp`` (default ``SUM``).
    """
    pg = _group(group)
    root = _rank(pg, dst, group_dst, "destination rank")
    staged = _Staged(tensor)
    buffer, name, finish = _reduction(staged.host, op, pg.size(), "reduce")

    def done():
        if pg.rank() == root:
            finish()
            staged.written()

    return _run(Work(pg, [pg._impl.reduce(buffer, name, root)], done, [tensor]), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` from the process ``src`` into ``tensor`` on every other process.

    ``tensor`` must have the same number of elements and dtype on every process.
    """
    pg = _group(group)
    root = _rank(pg, src, group_src, "source rank")
    staged = _Staged(tensor)
    request = pg._impl.broadcast(staged.host, root)
    return _run(Work(pg, [request], staged.written, [tensor]), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Gather ``tensor`` from every process into ``tensor_list`` (one tensor per rank, of
    ``tensor``'s shape and dtype) on every process."""
    pg = _group(group)
    staged = _Staged(tensor)
    _check_list(tensor_list, pg.size(), tensor, "tensor_list")
    rows = np.empty((pg.size(), *staged.host.shape), staged.host.dtype)
    request = pg._impl.allgather(rows, staged.host)
    return _run(Work(pg, [request], lambda: _unstack(rows, tensor_list), tensor_list), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Gather ``input_tensor`` from every process into ``output_tensor``, rank after rank:
    ``output_tensor`` has world size times ``input_tensor``'s elements, either concatenated
    along dimension 0 or stacked in a new leading dimension."""
    pg = _group(group)
    out = _Staged(output_tensor, "output_tensor")
    inp = _Staged(input_tensor, "input_tensor")
    _check_sizes(out.host, inp.host, pg.size(), "all_gather_into_tensor")
    request = pg._impl.allgather(out.host, inp.host)
    return _run(Work(pg, [request], out.written, [output_tensor]), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world size times ``output``'s elements) across all processes and
    scatter it: rank ``r`` gets the ``r``-th slice of the reduction in ``output``."""
    pg = _group(group)
    out = _Staged(output, "output")
    inp = _Staged(input, "input")
    _check_sizes(inp.host, out.host, pg.size(), "reduce_scatter_tensor")
    send, name, _ = _reduction(inp.host, op, pg.size(), "reduce_scatter_tensor")
    receive, _, finish = _reduction(out.host, op, pg.size(), "reduce_scatter_tensor")

    def done():
        finish()
        out.written()

    request = pg._impl.reduce_scatter(receive, send, name)
    return _run(Work(pg, [request], done, [output]), async_op)


def _check_sizes(whole, part, size, fn_name):
    if whole.dtype != part.dtype or whole.size != size * part.size:
        raise ValueError(
            f"{fn_name}: the whole tensor must have world size ({size}) times the part's "
            f"elements and its dtype, got {whole.size} {whole.dtype} and {part.size} {part.dtype}"
        )


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Gather ``tensor`` from every process into ``gather_list`` on ``dst`` (default rank 0).

    ``gather_list`` (one tensor per rank, of ``tensor``'s shape and dtype) must be given on
    ``dst`` only.
    """
    pg = _group(group)
    if dst is None and group_dst is None:
        dst = 0
    root = _rank(pg, dst, group_dst, "destination rank")
    staged = _Staged(tensor)
    if pg.rank() == root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(gather_list, pg.size(), tensor, "gather_list")
        rows = np.empty((pg.size(), *staged.host.shape), staged.host.dtype)
        request = pg._impl.gather(rows, staged.host, root)
        return _run(Work(pg, [request], lambda: _unstack(rows, gather_list), gather_list), async_op)
    if gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    return _run(Work(pg, [pg._impl.gather(None, staged.host, root)]), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Scatter ``scatter_list`` (given on ``src``, default rank 0: one tensor per rank) so
    that rank ``r`` receives ``scatter_list[r]`` in ``tensor``."""
    pg = _group(group)
    if src is None and group_src is None:
        src = 0
    root = _rank(pg, src, group_src, "source rank")
    staged = _Staged(tensor)
    rows = None
    if pg.rank() == root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, pg.size(), tensor, "scatter_list")
        rows = np.stack([_Staged(t, "scatter_list").host for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    request = pg._impl.scatter(staged.host, rows, root)
    return _run(Work(pg, [request], staged.written, [tensor]), async_op)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Block until every process of ``group`` has reached the barrier."""
    pg = _group(group)
    return _run(Work(pg, [pg._impl.barrier()]), async_op)


# --------------------------------------------------------------------------- point to point


def _peer(pg, rank, group_rank, kind):
    peer = _rank(pg, rank, group_rank, f"{kind} rank")
    if peer == pg.rank():
        raise ValueError(
            f"Invalid {kind} rank: {kind} rank should not be the same as the rank of the "
            "current process."
        )
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to ``dst`` without blocking; returns a ``Work``."""
    pg = _group(group)
    peer = _peer(pg, dst, group_dst, "destination")
    host = _Staged(tensor).host
    return Work(pg, [pg._impl.send(host, peer, tag)], result=[tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from ``src`` (any rank when None) without blocking; returns a
    ``Work`` (its ``source_rank()`` says who sent)."""
    pg = _group(group)
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "source")
    staged = _Staged(tensor)
    return Work(pg, [pg._impl.recv(staged.host, peer, tag)], staged.written, [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to ``dst``, blocking until it can be reused."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from ``src`` (any rank when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source_rank()


# ---------------------------------------------------------------------------- Python objects
# These pickle the objects, as torch's do: unpickling runs code, so use them only between
# processes you trust (the processes of your own job).


def all_gather_object(object_list, obj, group=None):
    """Gather the picklable ``obj`` of every process into ``object_list`` (of world size
    length) on every process."""
    pg = _group(group)
    for i, value in enumerate(pg._impl.allgather_object(obj)):
        object_list[i] = value


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Copy the picklable objects of ``object_list`` on ``src`` (default rank 0) into
    ``object_list`` (of the same length) on every other process."""
    pg = _group(group)
    if src is None and group_src is None:
        src = 0
    root = _rank(pg, src, group_src, "source rank")
    received = pg._impl.broadcast_object(object_list if pg.rank() == root else None, root)
    object_list[:] = received


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Gather the picklable ``obj`` of every process into ``object_gather_list`` on ``dst``
    (default rank 0); other processes pass None."""
    pg = _group(group)
    if dst is None and group_dst is None:
        dst = 0
    root = _rank(pg, dst, group_dst, "destination rank")
    gathered = pg._impl.gather_object(obj, root)
    if pg.rank() == root:
        object_gather_list[:] = gathered


def scatter_object_list(
    scatter_object_output_list, scatter_object_input_list=None, src=None, group=None, group_src=None
):
    """Scatter the picklable objects of ``scatter_object_input_list`` (on ``src``, default
    rank 0): rank ``r`` gets element ``r`` in ``scatter_object_output_list[0]``."""
    pg = _group(group)
    if src is None and group_src is None:
        src = 0
    root = _rank(pg, src, group_src, "source rank")
    objs = scatter_object_input_list if pg.rank() == root else None
    scatter_object_output_list[0] = pg._impl.scatter_object(objs, root)
