"""The server process: three uvicorn servers (inference, management, metrics) on one event loop.

:meth:`Server.serve` binds the three ports, serves until :meth:`Server.shutdown` (SIGTERM or
SIGINT when it runs in the main thread), then shuts down gracefully: the listening sockets
close, requests in flight are answered (up to ``graceful_timeout``), the models' queues drain
and their workers stop. A second signal forces the exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from pathlib import Path

import uvicorn

from .app import build_apps
from .config import ServeConfig
from .errors import ServeError
from .metrics import Metrics
from .model_store import ModelStore
from .registry import ModelRegistry

__all__ = ["Server"]

logger = logging.getLogger("emberserve")
_APIS = ("inference", "management", "metrics")


class _Uvicorn(uvicorn.Server):
    """A uvicorn server leaving signals to :class:`Server`, which stops all three together."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def _bind(host, port):
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    # proto must be IPPROTO_TCP (not 0, as socket.create_server leaves it): asyncio sets
    # TCP_NODELAY only on accepted sockets that say so, and without it every response waits
    # ~40 ms for a delayed ACK (Nagle's algorithm)
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class Server:
    """An emberserve server.

    Args:
        config (ServeConfig, optional): its settings (defaults if omitted).

    Example::

        server = Server(load_config({"model_store": "store", "models": ["all"]}))
        server.load_models()
        server.run()  # until SIGTERM or Ctrl-C
    """

    def __init__(self, config=None):
        self.config = config or ServeConfig()
        self.metrics = Metrics()
        self.store = (
            ModelStore(self.config.model_store, self.config.allowed_urls)
            if self.config.model_store
            else None
        )
        self.registry = ModelRegistry(self.config, self.metrics)
        self.draining = False
        self.apps = dict(zip(_APIS, build_apps(self)))
        self.addresses = {}  # api -> (host, port), once bound
        self._servers = []
        self._started = threading.Event()

    # ---------------------------------------------------------------------------- models

    def _startup_refs(self):
        """``(name or None, archive reference)`` for each entry of ``config.models``."""
        refs = []
        for entry in self.config.models:
            if entry == "all":
                if self.store is None:
                    raise ValueError("models = all needs a model store")
                refs += [(None, path.name) for path in self.store.archives()]
            else:
                name, sep, ref = entry.partition("=")
                refs.append((name, ref) if sep else (None, entry))
        return refs

    def _startup_path(self, ref):
        # The operator chose these on the command line: a path outside the store is fine.
        if self.store is None or Path(ref).is_absolute():
            return Path(ref)
        return self.store.resolve(ref)

    def load_models(self):
        """Register the archives in ``config.models``; one that fails is logged and skipped.

        Returns:
            dict[str, str]: the archives that failed, with the reason.
        """
        failures = {}
        for name, ref in self._startup_refs():
            try:
                self.registry.register(self._startup_path(ref), url=ref, name=name)
            except Exception as exc:  # whatever breaks one model must not stop the others
                failures[ref] = str(exc)
                logger.error(
                    "not serving %s: %s", ref, exc, exc_info=not isinstance(exc, ServeError)
                )
        return failures

    # ----------------------------------------------------------------------------- serving

    def url(self, api="inference"):
        """``http://host:port`` of ``api`` ("inference", "management", "metrics"), once bound."""
        host, port = self.addresses[api][:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def serve(self, install_signal_handlers=True):
        """Serve until :meth:`shutdown`, then shut down gracefully (see the module docstring)."""
        config = self.config
        binds = {
            "inference": (config.host, config.inference_port),
            "management": (config.management_host, config.management_port),
            "metrics": (config.metrics_host, config.metrics_port),
        }
        sockets = {}
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT) if install_signal_handlers else ()
        try:
            for api, (host, port) in binds.items():
                sockets[api] = _bind(host, port)
                self.addresses[api] = sockets[api].getsockname()
            self._servers = [
                _Uvicorn(
                    uvicorn.Config(
                        self.apps[api],
                        log_config=None,
                        lifespan="off",
                        access_log=config.access_log,
                        timeout_graceful_shutdown=config.graceful_timeout,
                    )
                )
                for api in _APIS
            ]
            for sig in signals:
                loop.add_signal_handler(sig, self.shutdown)
            tasks = [
                asyncio.create_task(server.serve(sockets=[sockets[api]]))
                for api, server in zip(_APIS, self._servers)
            ]
            while not all(s.started for s in self._servers) and not any(t.done() for t in tasks):
                await asyncio.sleep(0.01)
            if all(s.started for s in self._servers):
                self._started.set()
                logger.info(
                    "emberserve listening: %s", ", ".join(f"{api} {self.url(api)}" for api in _APIS)
                )
            else:
                self.shutdown()
            await asyncio.gather(*tasks)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            for sock in sockets.values():
                sock.close()
            # the HTTP servers are done, so no new requests: let the queues drain
            await loop.run_in_executor(None, self.registry.close, config.graceful_timeout)
            logger.info("emberserve stopped")

    def run(self):
        """Serve in this thread until SIGTERM or SIGINT."""
        asyncio.run(self.serve())

    def shutdown(self):
        """Start a graceful shutdown (thread-safe); a second call forces it."""
        self.draining = True
        for server in self._servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    @contextlib.contextmanager
    def run_in_thread(self, timeout=30.0):
        """Serve from a background thread inside a ``with`` block (tests, benchmarks, notebooks).

        Bind to port 0 to get free ports; :meth:`url` tells which.
        """
        failure = []

        def target():
            try:
                asyncio.run(self.serve(install_signal_handlers=False))
            except BaseException as exc:
                failure.append(exc)
            finally:
                self._started.set()  # wake the caller even if serving failed

        thread = threading.Thread(target=target, name="emberserve-server", daemon=True)
        thread.start()
        if not self._started.wait(timeout) or failure or not thread.is_alive():
            self.shutdown()
            thread.join(timeout)
            raise RuntimeError(f"the server did not start: {failure[0] if failure else 'timeout'}")
        try:
            yield self
        finally:
            self.shutdown()
            thread.join(timeout + self.config.graceful_timeout)
