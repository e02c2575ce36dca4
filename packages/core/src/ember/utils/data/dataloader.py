"""``DataLoader``: batches from a dataset, loaded in the main process or in worker processes."""

from __future__ import annotations

import atexit
import itertools
import math
import multiprocessing
import multiprocessing.context
import os
import queue
import sys
import time

# imported before our atexit hook is registered, so that hook runs before multiprocessing's
# own exit handler terminates the (daemonic) workers
from multiprocessing import connection, resource_tracker
from typing import Generic, TypeVar

from . import _shm, _worker
from ._collate import default_collate, default_convert
from ._fetch import create_fetcher
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _random_seed

__all__ = ["DataLoader"]

T_co = TypeVar("T_co", covariant=True)

# attributes that define what the loader yields; torch refuses to change them after __init__
_FROZEN_ATTRIBUTES = frozenset(
    ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
)


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: the sampler of an ``IterableDataset``, whose fetcher needs no index."""

    def __iter__(self):
        return itertools.repeat(None)


def _default_context():
    """``fork`` on Linux (fast start; the dataset need not pickle), ``spawn`` elsewhere."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class DataLoader(Generic[T_co]):
    """Iterate over a dataset in batches: sampling, batching, collation and worker processes.

    Args:
        dataset: a map-style ``Dataset`` (anything with ``__getitem__`` and ``__len__``) or
            an ``IterableDataset``.
        batch_size: samples per batch; ``None`` disables automatic batching (each sample is
            only passed through ``collate_fn``, by default ``default_convert``).
        shuffle: reshuffle the data every epoch (map-style datasets only).
        sampler: the order of the indices; mutually exclusive with ``shuffle``.
        batch_sampler: yields whole lists of indices; mutually exclusive with
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: worker processes that load batches; ``0`` loads in the main process.
        collate_fn: merges a list of samples into a batch (default ``default_collate``).
        pin_memory: accepted for compatibility and ignored: CPU tensors are ordinary host
            arrays, and there is no pinned (page-locked) memory to copy them into.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        timeout: seconds to wait for a batch from the workers before raising
            ``RuntimeError``; ``0`` waits for ever.
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding
            and before loading.
        multiprocessing_context: a start method name (``"fork"``, ``"spawn"``,
            ``"forkserver"``) or a multiprocessing context. The default is ``fork`` on Linux
            and ``spawn`` elsewhere; with ``spawn`` the dataset, ``collate_fn`` and
            ``worker_init_fn`` must pickle.
        generator: draws the shuffling order (through the default ``RandomSampler``) and
            each iterator's ``base_seed``.
        prefetch_factor: batches loaded ahead per worker (default 2 with workers).
        persistent_workers: keep the workers (and their dataset copies) alive between
            epochs instead of starting new ones for every iterator.

    Workers: each worker gets a copy of the dataset and seeds Ember's and Python's random
    generators with ``base_seed + worker_id`` (``base_seed`` drawn from ``generator`` for
    every new iterator; numpy's global generator is seeded from both too), so random
    augmentations differ between workers and reproduce from run to run. Tasks go round-robin
    to the workers and batches come back in sampler order. A batch's arrays travel through
    shared memory; only small metadata goes through the pipe. An exception in a worker is
    raised again in the main process, with the worker's traceback in its message. Workers
    stop when the iterator is exhausted, deleted or garbage collected, on Ctrl-C, and when
    the main process dies.

    Example:
        >>> loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2,
        ...                     generator=ember.Generator().manual_seed(0))
        >>> for inputs, targets in loader:
        ...     ...
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
    ):
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                "None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, "
                    f"but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    def __setattr__(self, attr, value):
        if attr in _FROZEN_ATTRIBUTES and getattr(self, "_initialized", False):
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, value)

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context):
        if multiprocessing_context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(multiprocessing_context, str):
                valid_start_methods = multiprocessing.get_all_start_methods()
                if multiprocessing_context not in valid_start_methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method "
                        f"in {valid_start_methods!r}, but got "
                        f"multiprocessing_context={multiprocessing_context!r}"
                    )
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
            if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a "
                    "string specifying the start method, but got "
                    f"multiprocessing_context={multiprocessing_context}"
                )
        self._multiprocessing_context = multiprocessing_context

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        # what the iterator draws from: index lists when batching, single indices otherwise
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if not self.persistent_workers:
            return self._get_iterator()
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = self._get_iterator()
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        """The number of batches (for an ``IterableDataset``, from its ``__len__``)."""
        if not self._iterable:
            return len(self._index_sampler)
        length = len(self.dataset)
        if self.batch_size is not None:
            if self.drop_last:
                return length // self.batch_size
            return math.ceil(length / self.batch_size)
        return length


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._sampler_iter = iter(self._index_sampler)
        # drawn for every iterator, as torch does, so the loader's generator advances the
        # same way with and without workers (and shuffles identically in both)
        self._base_seed = _random_seed(loader.generator)

    def __iter__(self):
        return self

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        return self._next_data()

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = create_fetcher(
            self._iterable, self._dataset, self._auto_collation, self._collate_fn, self._drop_last
        )

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


# Pools not yet shut down. The strong references matter: an iterator that dies in a
# reference cycle is finalized by the cyclic GC, which first runs the weakref callbacks of
# everything else in the cycle -- multiprocessing's queue finalizers among them, which stop
# the queues' feeder threads. Held from here, a pool is never part of that garbage, and the
# iterator's __del__ can still use its queues to stop the workers.
_live_pools = set()


@atexit.register
def _shutdown_live_pools():
    # runs before multiprocessing's exit handler kills the daemonic workers, which could
    # strand shared blocks in the pipe
    for pool in list(_live_pools):
        pool.shutdown()


class _WorkerPool:
    """One iterator's worker processes, their task queues, the shared result queue, and the
    main process's side of the shared-memory blocks the results come in."""

    def __init__(self, context, num_workers, worker_kwargs):
        if os.name == "posix":
            # forked workers then share this tracker, which sees a block registered by a
            # worker and by the main process as one resource
            resource_tracker.ensure_running()
        self.closed = False
        self.workers, self.index_queues = [], []
        self.result_queue = context.Queue()
        self.done_event = context.Event()
        self._blocks = _shm.BlockReader()
        self._released = [[] for _ in range(num_workers)]  # blocks to hand back, per worker
        _live_pools.add(self)
        try:
            for worker_id in range(num_workers):
                index_queue = context.Queue()
                worker = context.Process(
                    target=_worker._worker_loop,
                    args=(worker_id, index_queue, self.result_queue, self.done_event),
                    kwargs=worker_kwargs,
                    daemon=True,
                )
                worker.start()
                self.index_queues.append(index_queue)
                self.workers.append(worker)
        except BaseException:
            self.shutdown()
            raise

    def put(self, worker_id, task):
        """Send ``task`` to a worker, handing back the blocks it may now reuse."""
        released, self._released[worker_id] = self._released[worker_id], []
        self.index_queues[worker_id].put((task, released))

    def get(self, timeout):
        """The next result, copied out of its block; ``queue.Empty`` if none comes within
        ``timeout`` seconds."""
        worker_id, name, payload, dropped = self.result_queue.get(timeout=timeout)
        data = self._blocks.unpack(worker_id, name, payload, dropped)
        if name is not None:
            self._released[worker_id].append(name)
        return data

    def _drop_results(self):
        """Read past the results already in the pipe, noting their blocks."""
        while True:
            try:
                message = self.result_queue.get(block=False)
            except queue.Empty:
                return
            self._blocks.note(*message)

    def shutdown(self):
        """Stop the workers and make sure their blocks are gone; idempotent."""
        if self.closed:
            return
        self.closed = True
        _live_pools.discard(self)
        self.done_event.set()  # workers skip the tasks still queued
        for worker_id in range(len(self.index_queues)):
            self.put(worker_id, None)
        # A worker exits only once its buffered results are in the pipe, so keep reading
        # results while waiting for the workers.
        deadline = time.monotonic() + _worker.MP_STATUS_CHECK_INTERVAL
        alive = [w for w in self.workers if w.is_alive()]
        while alive and time.monotonic() < deadline:
            connection.wait([w.sentinel for w in alive], timeout=0.01)
            self._drop_results()
            alive = [w for w in alive if w.is_alive()]
        for worker in alive:
            worker.terminate()
        for worker in self.workers:
            worker.join()
        if not alive:
            # (after a terminate the pipe may end in half a message: not read)
            self._drop_results()
        # workers that did not exit cleanly left their blocks behind
        crashed = {
            worker_id: _shm.block_prefix(os.getpid(), worker.pid)
            for worker_id, worker in enumerate(self.workers)
            if worker.exitcode != 0
        }
        self._blocks.close(crashed)
        for index_queue in self.index_queues:
            index_queue.close()
            index_queue.join_thread()
        self.result_queue.close()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Workers fetch and collate; the main process sends them tasks ``(idx, indices)``
    round-robin, keeps ``prefetch_factor`` tasks per worker in flight, and returns the
    results in ``idx`` order (holding early arrivals in a reorder buffer)."""

    _pool = None  # until __init__ starts one, so __del__ of a half-built iterator is harmless

    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._persistent_workers = loader.persistent_workers
        worker_kwargs = {
            "dataset": self._dataset,
            "iterable": self._iterable,
            "auto_collation": self._auto_collation,
            "collate_fn": self._collate_fn,
            "drop_last": self._drop_last,
            "base_seed": self._base_seed,
            "init_fn": loader.worker_init_fn,
            "num_workers": self._num_workers,
            "main_pid": os.getpid(),
        }
        context = loader.multiprocessing_context or _default_context()
        self._pool = _WorkerPool(context, self._num_workers, worker_kwargs)
        try:
            self._reset(loader, first_iter=True)
        except BaseException:
            self._shutdown_workers()
            raise

    @property
    def _shutdown(self):
        return self._pool is None or self._pool.closed

    def _shutdown_workers(self):
        if self._pool is not None:
            self._pool.shutdown()

    def __del__(self):
        self._shutdown_workers()

    def _reset(self, loader, first_iter=False):
        super()._reset(loader)
        self._send_idx = 0  # idx of the next task to send
        self._rcvd_idx = 0  # idx of the next batch to return
        self._task_worker = {}  # idx -> worker, for every task sent and not yet returned
        self._results = {}  # idx -> data that arrived before its turn
        self._workers_active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: each finishes the old epoch's queued tasks (their results
            # are dropped here), then acknowledges the new epoch with idx None
            for worker_id in range(self._num_workers):
                self._pool.put(worker_id, _worker._ResumeIteration())
            pending = self._num_workers
            while pending:
                idx, _ = self._get_data()
                if idx is None:
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._workers_active[worker_id]:
                break
        else:
            return  # every worker's IterableDataset copy is exhausted
        self._pool.put(worker_id, (self._send_idx, index))
        self._task_worker[self._send_idx] = worker_id
        self._send_idx += 1

    def __next__(self):
        try:
            return self._next_data()
        except KeyboardInterrupt:
            # Ctrl-C while waiting: stop the workers now, not whenever the iterator dies
            self._shutdown_workers()
            raise

    def _next_data(self):
        if self._shutdown:
            raise StopIteration
        while True:
            # skip tasks that will never be answered: their worker ran out of data
            while (
                self._rcvd_idx < self._send_idx
                and self._rcvd_idx not in self._results
                and not self._workers_active[self._task_worker[self._rcvd_idx]]
            ):
                del self._task_worker[self._rcvd_idx]
                self._rcvd_idx += 1
            if self._rcvd_idx == self._send_idx:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._results:
                del self._task_worker[self._rcvd_idx]
                data = self._results.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                self._try_put_index()
                if isinstance(data, _worker.ExceptionWrapper):
                    data.reraise()
                return data
            idx, data = self._get_data()
            if isinstance(data, _worker._IterableDatasetStopIteration):
                self._workers_active[data.worker_id] = False
                if not self._persistent_workers:
                    self._pool.put(data.worker_id, None)  # let it exit
                self._try_put_index()  # keep as many tasks in flight
                continue
            self._results[idx] = data

    def _get_data(self):
        """The next ``(idx, data)`` from any worker; raises when the wait exceeds the
        loader's timeout or a worker has died."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _worker.MP_STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._pool.get(timeout=wait)
            except queue.Empty:
                self._check_workers()
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds"
                    ) from None

    def _check_workers(self):
        dead = [
            str(worker.pid)
            for worker, active in zip(self._pool.workers, self._workers_active)
            if active and not worker.is_alive()
        ]
        if dead:
            self._shutdown_workers()
            raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) exited unexpectedly")
