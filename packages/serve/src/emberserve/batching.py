"""Dynamic batching: requests queue per model; worker threads take them in batches.

A request is put on the model's bounded queue from the event loop and awaited there. A worker
thread takes the first waiting request, then keeps taking requests until it has
``batch_size`` of them or ``max_batch_delay`` milliseconds have passed since the first one
arrived, and runs the handler once on the whole batch, under ``ember.inference_mode()``. Only
one worker gathers at a time, so concurrent requests fill one batch instead of spreading over
idle workers. Inference never runs on the event loop, so health checks and other models keep
answering while a model is busy; numpy releases the GIL in its kernels.

A full queue refuses new requests at once (503 with ``Retry-After``) rather than letting them
wait unboundedly; a request not answered within its timeout gets a 504 and is dropped from the
queue if no worker has taken it yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import queue
import threading
import time
from datetime import datetime, timezone

import ember

from .errors import ModelUnavailable, RequestTimeout, ServerOverloaded
from .handlers.base import handle_batch

__all__ = ["Batcher"]

logger = logging.getLogger("emberserve")
_POLL = 0.1  # seconds an idle worker waits before rechecking whether it should stop


class _Job:
    __slots__ = ("item", "future", "loop", "enqueued", "abandoned")

    def __init__(self, item, future, loop):
        self.item = item
        self.future = future
        self.loop = loop
        self.enqueued = time.monotonic()
        self.abandoned = False  # set by the event loop when the request timed out

    def deliver(self, result):
        # RuntimeError: the event loop is closed, so nobody is waiting any more
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_resolve, self.future, result)


def _resolve(future, result):
    if future.done():  # cancelled by a timeout
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class _Worker:
    def __init__(self, wid, handler):
        self.id = wid
        self.handler = handler
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.retired = False
        self.thread = None


class Batcher:
    """The request queue and worker threads of one model version.

    Args:
        name (str): the model (for messages and thread names).
        make_handler (callable): returns a new initialized handler, one per worker.
        batch_size (int): the most requests in one batch.
        max_batch_delay (float): milliseconds to wait for a batch to fill.
        queue_size (int): the most requests waiting; more are refused with a 503.
        retry_after (int): the ``Retry-After`` seconds sent with that 503.
        observer (object, optional): gets ``batch(sizes, queue_times, seconds)`` after each
            batch, for metrics.
    """

    def __init__(
        self,
        name,
        make_handler,
        *,
        batch_size=1,
        max_batch_delay=100.0,
        queue_size=100,
        retry_after=1,
        observer=None,
    ):
        self.name = name
        self.make_handler = make_handler
        self.batch_size = batch_size
        self.max_batch_delay = max_batch_delay
        self.retry_after = retry_after
        self.observer = observer
        self._queue = queue.Queue(maxsize=queue_size)
        self._gather = threading.Lock()
        self._scaling = threading.Lock()
        self._workers = []
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def workers(self):
        """The number of workers (threads) serving requests."""
        return sum(not w.retired for w in self._workers)

    @property
    def closed(self):
        """Whether the batcher was stopped (it takes no new requests)."""
        return self._closed

    def worker_info(self):
        """``(id, start time)`` of each serving worker."""
        return [(w.id, w.started) for w in self._workers if not w.retired]

    @property
    def pending(self):
        """The number of requests waiting for a worker."""
        return self._queue.qsize()

    @property
    def capacity(self):
        """How many more requests the queue takes."""
        return self._queue.maxsize - self._queue.qsize()

    async def submit(self, item, timeout):
        """Queue request ``item`` and wait for its result.

        Raises:
            ModelUnavailable: no workers, or the batcher is closing.
            ServerOverloaded: the queue is full.
            RequestTimeout: no answer within ``timeout`` seconds.
            ServeError: the handler's error for this request.
        """
        if self._closed:
            raise ModelUnavailable(f"model {self.name!r} is shutting down", self.retry_after)
        if not self.workers:
            raise ModelUnavailable(
                f"model {self.name!r} has no workers; scale it up through the management API",
                self.retry_after,
            )
        loop = asyncio.get_running_loop()
        job = _Job(item, loop.create_future(), loop)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise ServerOverloaded(
                f"model {self.name!r} has {self._queue.maxsize} requests waiting, its limit; "
                f"retry in {self.retry_after} s",
                self.retry_after,
            ) from None
        try:
            return await asyncio.wait_for(job.future, timeout)
        except asyncio.TimeoutError:
            raise RequestTimeout(
                f"model {self.name!r} did not answer within {timeout:g} s"
            ) from None
        finally:
            # timed out, or the client went away: a worker that has not taken it skips it
            job.abandoned = job.future.cancelled()

    def scale(self, count):
        """Run ``count`` workers: start new ones, or retire some after their current batch."""
        with self._scaling:
            if self._closed:
                raise ModelUnavailable(f"model {self.name!r} is shutting down")
            active = [w for w in self._workers if not w.retired]
            for worker in active[count:]:
                worker.retired = True
            for _ in range(count - len(active)):
                worker = _Worker(next(self._ids), self.make_handler())
                worker.thread = threading.Thread(
                    target=self._work, args=(worker,), name=f"emberserve-{self.name}", daemon=True
                )
                self._workers.append(worker)
                worker.thread.start()
            self._workers = [w for w in self._workers if not w.retired or w.thread.is_alive()]

    def stop(self):
        """Refuse new requests; the workers answer the queued ones, then exit."""
        with self._scaling:
            self._closed = True

    def close(self, timeout=None):
        """:meth:`stop`, and wait for the workers to exit.

        Returns:
            bool: whether every worker stopped within ``timeout`` seconds.
        """
        self.stop()
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in self._workers:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            worker.thread.join(remaining)
        return not any(w.thread.is_alive() for w in self._workers)

    # ---------------------------------------------------------------------- worker threads

    def _work(self, worker):
        while True:
            batch = self._next_batch(worker)
            if batch is None:
                return
            self._run(worker.handler, batch)

    def _next_batch(self, worker):
        """Wait for and gather the next batch; None when ``worker`` should stop."""
        with self._gather:
            while True:
                if worker.retired or (self._closed and self._queue.empty()):
                    return None
                try:
                    first = self._queue.get(timeout=_POLL)
                except queue.Empty:
                    continue
                if not first.abandoned:
                    break
            batch = [first]
            deadline = first.enqueued + self.max_batch_delay / 1000
            while len(batch) < self.batch_size:
                remaining = deadline - time.monotonic()
                try:
                    job = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if not job.abandoned:
                    batch.append(job)
            return batch

    def _run(self, handler, batch):
        start = time.monotonic()
        with ember.inference_mode():
            results = handle_batch(handler, [job.item for job in batch])
        elapsed = time.monotonic() - start
        for job, result in zip(batch, results):
            job.deliver(result)
        if self.observer is not None:
            self.observer.batch(len(batch), [start - job.enqueued for job in batch], elapsed)
