"""The MPI backend: the only module that imports mpi4py (an optional extra, ``ember[distributed]``).

Everything here works on contiguous numpy arrays (host memory) through MPI's buffer interface —
no array is pickled. Collectives are the non-blocking MPI-3 calls (``Iallreduce``, ``Ibcast``,
...): each returns a request that ``distributed_c10d.Work`` waits on, so a blocking call and an
``async_op=True`` one share one code path. Only the ``*_object`` functions pickle, as torch's do.
"""

from __future__ import annotations

import importlib.util

import numpy as np

# ReduceOp name -> MPI operation name
_MPI_OPS = {
    "SUM": "SUM",
    "PRODUCT": "PROD",
    "MIN": "MIN",
    "MAX": "MAX",
    "BAND": "BAND",
    "BOR": "BOR",
    "BXOR": "BXOR",
}


def is_available():
    """Whether mpi4py can be imported (it is not imported here: importing ``mpi4py.MPI``
    initialises MPI, which waits for ``init_process_group``)."""
    return importlib.util.find_spec("mpi4py") is not None


def _bytes(array):
    """A flat byte view: dtypes MPI has no datatype for (float16) move as bytes."""
    return array.reshape(-1).view(np.uint8)


class ProcessGroupMPI:
    """Collectives over a private duplicate of ``MPI.COMM_WORLD`` (so a program's own MPI
    messages never match ember's)."""

    def __init__(self):
        from mpi4py import MPI  # initialises MPI on first import (MPI_Init_thread)

        self._MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def free(self):
        self.comm.Free()

    def _op(self, name):
        return getattr(self._MPI, _MPI_OPS[name])

    # Collectives on arrays: each returns one MPI request.
    def allreduce(self, array, op):
        return self.comm.Iallreduce(self._MPI.IN_PLACE, array, op=self._op(op))

    def reduce(self, array, op, root):
        if self.rank() == root:
            return self.comm.Ireduce(self._MPI.IN_PLACE, array, op=self._op(op), root=root)
        return self.comm.Ireduce(array, None, op=self._op(op), root=root)

    def broadcast(self, array, root):
        return self.comm.Ibcast(_bytes(array), root=root)

    def allgather(self, out, array):
        return self.comm.Iallgather(_bytes(array), _bytes(out))

    def gather(self, out, array, root):
        return self.comm.Igather(_bytes(array), None if out is None else _bytes(out), root=root)

    def scatter(self, out, array, root):
        return self.comm.Iscatter(None if array is None else _bytes(array), _bytes(out), root=root)

    def reduce_scatter(self, out, array, op):
        return self.comm.Ireduce_scatter_block(array, out, op=self._op(op))

    def barrier(self):
        return self.comm.Ibarrier()

    def send(self, array, dst, tag):
        return self.comm.Isend(_bytes(array), dest=dst, tag=tag)

    def recv(self, array, src, tag):
        source = self._MPI.ANY_SOURCE if src is None else src
        return self.comm.Irecv(_bytes(array), source=source, tag=tag)

    def wait_all(self, requests):
        """Wait for ``requests``; the source rank of each (meaningful for a receive)."""
        statuses = [self._MPI.Status() for _ in requests]
        self._MPI.Request.Waitall(requests, statuses)
        return [s.Get_source() for s in statuses]

    def test_all(self, requests):
        """Whether ``requests`` have completed (never blocks), and their source ranks."""
        statuses = [self._MPI.Status() for _ in requests]
        done = self._MPI.Request.Testall(requests, statuses)
        return done, [s.Get_source() for s in statuses]

    # Python objects: pickled by mpi4py, as torch pickles them.
    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def broadcast_object(self, obj, root):
        return self.comm.bcast(obj, root=root)

    def gather_object(self, obj, root):
        return self.comm.gather(obj, root=root)

    def scatter_object(self, objs, root):
        return self.comm.scatter(objs, root=root)
