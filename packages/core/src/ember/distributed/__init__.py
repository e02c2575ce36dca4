"""Distributed training on several processes, as ``torch.distributed``: a process group, the
collectives, and (in ``ember.nn.parallel`` and ``ember.utils.data``) DistributedDataParallel and
DistributedSampler.

ember's one backend is MPI (mpi4py, ``pip install 'ember[distributed]'``, which brings the
``mpich`` wheel and its ``mpiexec``). Start one process per worker with MPI::

    mpiexec -n 2 python train.py

and call ``ember.distributed.init_process_group()`` in each.
"""

from __future__ import annotations

from .distributed_c10d import *
from .distributed_c10d import __all__ as _c10d_all
from .distributed_c10d import is_mpi_available

__all__ = ["is_available", *_c10d_all]


def is_available():
    """Whether the distributed package can be used: True when mpi4py is installed."""
    return is_mpi_available()
