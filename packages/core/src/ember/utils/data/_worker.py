"""The DataLoader worker process: its loop, its identity (``get_worker_info``) and how its
errors travel to the main process."""

from __future__ import annotations

import os
import pickle
import queue
import random
import signal
import sys
import traceback

import numpy as np

from ...random import manual_seed
from . import _shm
from ._fetch import create_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

# How long a blocked queue read waits before checking on the other side (seconds): workers
# check that the main process lives, the main process that its workers do.
MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


class WorkerInfo:
    """What a worker process knows about itself; read-only.

    Attributes:
        id: the worker's number, ``0 .. num_workers - 1``.
        num_workers: how many workers the loader has.
        seed: the seed of this worker's random generators (``base_seed + id``).
        dataset: this worker's copy of the dataset.
    """

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        for key, value in zip(self.__slots__, (id, num_workers, seed, dataset)):
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        fields = ", ".join(f"{key}={getattr(self, key)}" for key in self.__slots__)
        return f"{type(self).__name__}({fields})"


def get_worker_info():
    """In a DataLoader worker process, its ``WorkerInfo``; in the main process, ``None``.

    Use it in ``IterableDataset.__iter__`` or ``worker_init_fn`` to give each worker its own
    shard of the data.
    """
    return _worker_info


class KeyErrorMessage(str):
    """A message that ``KeyError`` shows as is, rather than through ``repr`` (which would
    print the traceback's newlines as ``\\n``)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as its type and
    formatted traceback, and raised there again by ``reraise``."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0] if _picklable(exc_info[0]) else RuntimeError
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except TypeError:
            # an exception type whose constructor needs other arguments
            raise RuntimeError(msg) from None
        raise exception


def _picklable(cls):
    """Whether ``cls`` pickles by reference (a class defined in a function does not)."""
    try:
        pickle.dumps(cls)
    except Exception:
        return False
    return True


class _IterableDatasetStopIteration:
    """A worker's reply once its copy of an ``IterableDataset`` is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of an epoch; they reply ``(None, None)``."""


def _seed_worker(base_seed, worker_id):
    """Seed the worker's generators: Ember's and Python's with ``base_seed + worker_id``
    (as torch does), numpy's global one from both numbers through a ``SeedSequence``."""
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _worker_loop(
    worker_id,
    index_queue,
    data_queue,
    done_event,
    *,
    dataset,
    iterable,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    num_workers,
    main_pid,
):
    """Serve ``(idx, index)`` tasks from ``index_queue`` with ``(idx, batch)`` messages until
    ``None`` arrives or the main process dies (``main_pid`` names the shared blocks)."""
    global _worker_info
    # Ctrl-C reaches the whole process group; the main process decides when workers stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seed = _seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    blocks = _shm.BlockWriter(_shm.block_prefix(main_pid, os.getpid()))
    # the parent (the main process, or the forkserver for that start method) dying
    # re-parents this process: that is the watchdog's signal to stop
    parent_pid = os.getppid()

    def start(with_init):
        try:
            if with_init and init_fn is not None:
                init_fn(worker_id)
            return create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last), None
        except Exception:
            # reported in reply to every task, as the worker cannot fetch anything
            return None, ExceptionWrapper(where=where)

    def send(idx, data):
        try:
            message = blocks.pack((idx, data))
        except Exception:  # e.g. a collate_fn result that does not pickle
            message = blocks.pack((idx, ExceptionWrapper(where=where)))
        data_queue.put((worker_id, *message))

    fetcher, error = start(with_init=True)
    iteration_end = False
    try:
        while os.getppid() == parent_pid:
            try:
                task, released = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            blocks.release(released)
            if task is None:
                return  # the queue's feeder thread still flushes what is left to the pipe
            if isinstance(task, _ResumeIteration):
                fetcher, error = start(with_init=False)  # a new epoch: a new dataset iterator
                iteration_end = False
                send(None, None)
                continue
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or nothing left to fetch: skip the task
            idx, index = task
            if error is not None:
                data = error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            send(idx, data)
            del data, task  # free the batch before blocking on the next task
        # the main process died: nobody will read what is still buffered
        data_queue.cancel_join_thread()
    finally:
        blocks.close()
