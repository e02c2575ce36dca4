"""Dynamic batching and the handler contract, with handlers that record what they were given."""

import asyncio
import threading
import time

import pytest

from emberserve.batching import Batcher
from emberserve.errors import (
    HandlerContractError,
    InferenceError,
    InvalidInput,
    ModelUnavailable,
    RequestTimeout,
    ServerOverloaded,
)
from emberserve.handlers import BaseHandler, handle_batch


class Recorder(BaseHandler):
    """Returns ``item * 10`` per request, records each batch; fails on negatives."""

    def __init__(self, log, gate=None):
        super().__init__()
        self.log = log
        self.gate = gate

    def handle(self, batch):
        self.log.append(list(batch))
        if self.gate is not None:
            self.gate.wait(10)
        if any(item < 0 for item in batch):
            raise ValueError("negative")
        return [InvalidInput("seven is bad") if item == 7 else item * 10 for item in batch]


def _batcher(log, workers=1, gate=None, **options):
    batcher = Batcher("m", lambda: Recorder(log, gate), **options)
    batcher.scale(workers)
    return batcher


async def _gather(batcher, items, timeout=10):
    return await asyncio.gather(
        *(batcher.submit(i, timeout) for i in items), return_exceptions=True
    )


def test_concurrent_requests_form_full_batches():
    log = []
    batcher = _batcher(log, batch_size=4, max_batch_delay=500)
    try:
        start = time.monotonic()
        items = [0, 1, 2, 3, 4, 5, 6, 8]  # (7 is an invalid input)
        assert asyncio.run(_gather(batcher, items)) == [i * 10 for i in items]
        assert sorted(len(b) for b in log) == [4, 4]
        assert time.monotonic() - start < 0.5  # full batches go without waiting for the delay
    finally:
        assert batcher.close(5)


def test_a_lone_request_waits_at_most_the_delay():
    log = []
    batcher = _batcher(log, batch_size=8, max_batch_delay=50)
    try:
        start = time.monotonic()
        assert asyncio.run(_gather(batcher, [1])) == [10]
        assert 0.04 < time.monotonic() - start < 1.0
    finally:
        batcher.close(5)


def test_errors_stay_per_request():
    log = []
    batcher = _batcher(log, batch_size=4, max_batch_delay=200)
    try:
        results = asyncio.run(_gather(batcher, [1, -1, 7, 2]))
        assert results[0] == 10 and results[3] == 20
        assert (
            isinstance(results[1], InferenceError) and "ValueError: negative" in results[1].message
        )
        assert isinstance(results[2], InvalidInput)
        assert log[0] == [1, -1, 7, 2]  # one batch, which raised, then each request alone
        assert sorted(map(tuple, log[1:])) == [(-1,), (1,), (2,), (7,)]
    finally:
        batcher.close(5)


def test_handle_batch_reports_a_broken_contract():
    class Short(BaseHandler):
        def handle(self, batch):
            return batch[:-1]

    class NotAList(BaseHandler):
        def handle(self, batch):
            return {"a": 1}

    results = handle_batch(Short(), [1, 2, 3])
    assert all(isinstance(r, HandlerContractError) for r in results)
    assert "returned 2 results for a batch of 3" in results[0].message
    (result,) = handle_batch(NotAList(), [1])
    assert "returned dict" in result.message


def test_full_queue_is_refused_and_timeouts_are_reported():
    log, gate = [], threading.Event()
    batcher = _batcher(log, gate=gate, queue_size=2, retry_after=5)

    async def until(condition):
        for _ in range(1000):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("timed out waiting")

    async def scenario():
        running = asyncio.ensure_future(batcher.submit(1, 10))
        await until(lambda: log)  # the worker holds request 1, blocked on the gate
        queued = asyncio.ensure_future(batcher.submit(2, 10))
        with pytest.raises(RequestTimeout, match=r"within 0\.05 s"):
            await batcher.submit(3, 0.05)  # queued behind the blocked worker, then abandoned
        assert batcher.pending == 2  # the queue is full: 2, and 3 until a worker skips it
        with pytest.raises(ServerOverloaded) as info:
            await batcher.submit(4, 10)
        assert info.value.headers == {"Retry-After": "5"}
        gate.set()
        return await asyncio.gather(running, queued)

    try:
        assert asyncio.run(scenario()) == [10, 20]
    finally:
        gate.set()
        batcher.close(5)
    assert log == [[1], [2]]  # the timed-out request was dropped, never run


def test_scale_and_close():
    log = []
    batcher = _batcher(log, workers=3)
    assert batcher.workers == 3 and len(batcher.worker_info()) == 3
    batcher.scale(1)
    assert batcher.workers == 1
    batcher.scale(0)
    with pytest.raises(ModelUnavailable, match="no workers"):
        asyncio.run(batcher.submit(1, 1))
    batcher.scale(2)
    assert asyncio.run(_gather(batcher, [1, 2])) == [10, 20]
    assert batcher.close(5)
    with pytest.raises(ModelUnavailable, match="shutting down"):
        asyncio.run(batcher.submit(1, 1))


def test_close_answers_queued_requests_first():
    log, gate = [], threading.Event()
    batcher = _batcher(log, gate=gate, batch_size=1)

    async def scenario():
        futures = [asyncio.ensure_future(batcher.submit(i, 10)) for i in range(3)]
        await asyncio.sleep(0.05)
        closer = threading.Thread(target=batcher.close, args=(10,))
        closer.start()
        gate.set()
        results = await asyncio.gather(*futures)
        closer.join(10)
        return results

    assert asyncio.run(scenario()) == [0, 10, 20]
    assert batcher.workers == 1 and batcher.closed
