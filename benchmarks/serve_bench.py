"""Throughput and latency of emberserve's image classifier, with and without dynamic batching.

A server process serves the same small conv net twice: ``unbatched`` (``batch_size`` 1) and
``batched`` (``batch_size`` 32, ``max_batch_delay`` 5 ms). This process sends JPEG images to
``POST /predictions/{model}`` over loopback from 1, 8 and 32 client threads (each with its
own keep-alive connection), a bounded number of requests per level and never longer than
``--max-seconds``, and prints requests/s and p50/p99 latency as a Markdown table.

    python benchmarks/serve_bench.py [--requests 300] [--max-seconds 20] [--image-size 96]
        [--factory embervision.models:resnet18]
"""

from __future__ import annotations

import argparse
import http.client
import io
import multiprocessing
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CONCURRENCY = (1, 8, 32)
MODELS = {"unbatched": {"batch_size": 1}, "batched": {"batch_size": 32, "max_batch_delay": 5}}


def _jpeg(size, seed=0):
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _make_store(root, crop, factory):
    from emberserve import archive

    for name, batching in MODELS.items():
        archive.create(
            Path(root, f"{name}.emar"),
            name=name,
            factory=factory,
            kwargs={"num_classes": 10},
            handler="image_classifier",
            handler_config={"resize": crop + crop // 8, "crop": crop},
            **batching,
        )


def _serve(store, addresses, stop):
    """The server process: serve the store on free loopback ports until ``stop`` is set."""
    from emberserve import ServeConfig, Server

    config = ServeConfig(
        model_store=store,
        models=["all"],
        inference_port=0,
        management_port=0,
        metrics_port=0,
        access_log=False,
        queue_size=256,
    )
    server = Server(config)
    server.load_models()
    with server.run_in_thread():
        addresses.put(server.addresses["inference"][:2])
        stop.wait(3600)


def _load(address, model, body, concurrency, requests, max_seconds):
    """Send ``requests`` requests from ``concurrency`` threads; returns (seconds, latencies, errors)."""
    lock = threading.Lock()
    state = {"left": requests, "errors": 0}
    latencies = []
    deadline = time.monotonic() + max_seconds

    def client():
        connection = http.client.HTTPConnection(*address, timeout=60)
        connection.connect()
        # as curl does: without it Nagle's algorithm holds the body back until the server
        # acknowledges the headers, which a delayed ACK postpones by 40 ms
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if state["left"] == 0:
                        return
                    state["left"] -= 1
                start = time.perf_counter()
                connection.request("POST", f"/predictions/{model}", body=body)
                response = connection.getresponse()
                response.read()
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    state["errors"] += response.status != 200
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    return time.perf_counter() - start, np.array(latencies), state["errors"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement")
    parser.add_argument("--max-seconds", type=float, default=20, help="time bound per measurement")
    parser.add_argument("--image-size", type=int, default=96, help="crop size the model sees")
    parser.add_argument(
        "--factory",
        default="emberserve.testing:tiny_cnn",
        help="the model, as package.module:callable taking num_classes "
        "(e.g. embervision.models:resnet18)",
    )
    args = parser.parse_args()

    body = _jpeg(args.image_size + args.image_size // 4)
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as store:
        _make_store(store, args.image_size, args.factory)
        addresses, stop = context.Queue(), context.Event()
        server = context.Process(target=_serve, args=(store, addresses, stop), daemon=True)
        server.start()
        try:
            address = addresses.get(timeout=120)
            for model in MODELS:  # warm up both models and the connections
                _load(address, model, body, 4, 20, args.max_seconds)
            rows = []
            for concurrency in CONCURRENCY:
                for model in MODELS:
                    seconds, latencies, errors = _load(
                        address, model, body, concurrency, args.requests, args.max_seconds
                    )
                    p50, p99 = np.percentile(latencies, [50, 99]) * 1000
                    rows.append(
                        f"| {concurrency} | {model} | {len(latencies)} | {len(latencies) / seconds:.1f} "
                        f"| {p50:.1f} | {p99:.1f} | {errors} |"
                    )
        finally:
            stop.set()
            server.join(60)
            if server.is_alive():
                server.terminate()
    print(
        f"\nimage_classifier, {args.factory}, {args.image_size}x{args.image_size} crop, JPEG over loopback\n"
    )
    print("| clients | model | requests | requests/s | p50 ms | p99 ms | errors |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
