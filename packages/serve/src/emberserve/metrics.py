"""Prometheus metrics, served as text on the metrics port (``GET /metrics``).

Each server has its own registry, so several servers in one process (tests) do not mix up
their numbers. Per model and version:

- ``emberserve_requests_total{model,version,api,status}``: inference requests answered;
- ``emberserve_request_latency_seconds{model,version,api,status}``: time to answer them;
- ``emberserve_queue_latency_seconds{model,version}``: time waiting for a worker;
- ``emberserve_inference_latency_seconds{model,version}``: handler time per batch;
- ``emberserve_batch_size{model,version}``: requests per batch;
- ``emberserve_workers{model,version}``, ``emberserve_queue_depth{model,version}``: now.

``api`` is ``torchserve`` or ``v2``. Requests for models that are not registered are not
counted per model, so made-up model names cannot grow the label set.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from .errors import status_of

__all__ = ["Metrics", "CONTENT_TYPE_LATEST"]

_MODEL = ("model", "version")
_REQUEST = (*_MODEL, "api", "status")


class _ModelObserver:
    """What a model's batcher reports to, after each batch."""

    def __init__(self, metrics, labels):
        self._queue = metrics.queue_latency.labels(*labels)
        self._inference = metrics.inference_latency.labels(*labels)
        self._batch = metrics.batch_size.labels(*labels)

    def batch(self, size, queue_times, seconds):
        self._batch.observe(size)
        self._inference.observe(seconds)
        for wait in queue_times:
            self._queue.observe(wait)


class Metrics:
    """The server's Prometheus metrics (see the module docstring)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "emberserve_requests", "Inference requests answered.", _REQUEST, registry=r
        )
        self.request_latency = Histogram(
            "emberserve_request_latency_seconds",
            "Time from receiving an inference request to answering it.",
            _REQUEST,
            registry=r,
        )
        self.queue_latency = Histogram(
            "emberserve_queue_latency_seconds",
            "Time requests wait for a worker to start their batch.",
            _MODEL,
            registry=r,
        )
        self.inference_latency = Histogram(
            "emberserve_inference_latency_seconds",
            "Handler time (preprocess, forward, postprocess) per batch.",
            _MODEL,
            registry=r,
        )
        self.batch_size = Histogram(
            "emberserve_batch_size",
            "Requests per batch.",
            _MODEL,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.workers = Gauge("emberserve_workers", "Worker threads.", _MODEL, registry=r)
        self.queue_depth = Gauge(
            "emberserve_queue_depth", "Requests waiting for a worker.", _MODEL, registry=r
        )

    def add_model(self, name, version, batcher):
        """Start reporting a model version's gauges; returns the observer for its batcher."""
        self.workers.labels(name, version).set_function(lambda: batcher.workers)
        self.queue_depth.labels(name, version).set_function(lambda: batcher.pending)
        return _ModelObserver(self, (name, version))

    def remove_model(self, name, version):
        """Stop reporting an unregistered model's gauges (its counters keep their history)."""
        for gauge in (self.workers, self.queue_depth):
            gauge.remove(name, version)

    @contextmanager
    def track(self, name, version, api):
        """Count and time the inference request handled inside the ``with`` block."""
        start = time.perf_counter()
        status = 200
        try:
            yield
        except Exception as exc:
            status = status_of(exc)
            raise
        finally:
            labels = (name, version, api, str(status))
            self.requests.labels(*labels).inc()
            self.request_latency.labels(*labels).observe(time.perf_counter() - start)

    def render(self):
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
