"""The registered models: their versions, the default version, and each version's workers.

Registering a version unpacks its archive into a private temporary directory, resolves its
handler, builds the model once (shared by all its workers, in ``eval()`` mode) and starts its
batcher's worker threads. A failure at any step leaves the registry as it was, so a bad
archive never disturbs the models already serving. The first version registered under a name
is its default until another is made default.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import threading
from datetime import datetime, timezone

import ember

from . import __version__
from .archive import Archive, build_model, check_name
from .batching import Batcher
from .errors import ArchiveError, Conflict, InvalidInput, ModelNotFound, ServeError
from .handlers import Context, resolve_handler
from .schema import is_batched

__all__ = ["ModelVersion", "ModelRegistry"]

logger = logging.getLogger("emberserve")
PLATFORM = "ember_safetensors"


class ModelVersion:
    """One registered version of a model.

    Args:
        archive (Archive): the opened archive.
        name (str): the name to register it under (the manifest's by default).
        url (str): the archive as the client named it (shown by the management API).
        config (ServeConfig): the server's settings.
        batch_size, max_batch_delay, response_timeout: overrides of the archive's and
            the server's defaults (None: keep those).
    """

    def __init__(self, archive, name, url, config, batch_size, max_batch_delay, response_timeout):
        manifest = archive.manifest
        self.name = name
        self.version = manifest.version
        self.url = url
        self.manifest = manifest
        self.inputs = manifest.inputs
        self.outputs = manifest.outputs
        self.response_timeout = response_timeout or config.response_timeout
        self.batch_size = batch_size or manifest.batch_size
        if self.batch_size > 1 and not is_batched(self.inputs):
            logger.warning("model %r: inputs have no batch dimension; batch_size set to 1", name)
            self.batch_size = 1
        self.max_batch_delay = (
            manifest.max_batch_delay if max_batch_delay is None else max_batch_delay
        )
        self.loaded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.model_dir = tempfile.mkdtemp(prefix=f"emberserve-{name}-{self.version}-")
        try:
            archive.extract(self.model_dir)
            self.handler_cls = resolve_handler(
                manifest.handler, self.model_dir, config.allow_archive_code
            )
            device = ember.device(config.device)
            self.context = Context(
                name,
                manifest,
                self.model_dir,
                archive.labels(self.model_dir),
                device,
                {
                    "model_dir": self.model_dir,
                    "batch_size": self.batch_size,
                    "server_name": "emberserve",
                    "server_version": __version__,
                    "limit_max_image_pixels": config.max_image_pixels,
                    "device": str(device),
                    "gpu_id": device.index if device.type == "cuda" else None,
                },
                functools.partial(build_model, manifest, self.model_dir, device),
            )
            with ember.inference_mode():
                self.context.load_model()  # fail now, not when the first worker starts
            self.batcher = Batcher(
                name,
                self._make_handler,
                batch_size=self.batch_size,
                max_batch_delay=self.max_batch_delay,
                queue_size=config.queue_size,
                retry_after=config.retry_after,
            )
        except BaseException:
            shutil.rmtree(self.model_dir, ignore_errors=True)
            raise

    def _make_handler(self):
        handler = self.handler_cls()
        try:
            with ember.inference_mode():
                handler.initialize(self.context)
        except ServeError:
            raise
        except Exception as exc:
            raise ArchiveError(
                f"handler {self.manifest.handler!r} of model {self.name!r} failed to "
                f"initialize: {type(exc).__name__}: {exc}"
            ) from None
        return handler

    @property
    def ready(self):
        """Whether the version can serve: it has workers and is not being unregistered."""
        return self.batcher.workers > 0 and not self.batcher.closed

    def describe(self):
        """TorchServe's ``DescribeModelResponse`` for this version."""
        workers = self.batcher.worker_info()
        return {
            "modelName": self.name,
            "modelVersion": self.version,
            "modelUrl": self.url,
            "engine": "ember",
            "runtime": "python",
            "handler": self.manifest.handler,
            "minWorkers": len(workers),
            "maxWorkers": len(workers),
            "batchSize": self.batch_size,
            "maxBatchDelay": self.max_batch_delay,
            "responseTimeout": self.response_timeout,
            "loadedAt": self.loaded_at,
            "inputs": [spec.to_dict() for spec in self.inputs],
            "outputs": [spec.to_dict() for spec in self.outputs],
            "workers": [
                {"id": wid, "startTime": started, "status": "READY", "gpu": False, "memoryUsage": 0}
                for wid, started in workers
            ],
            "jobQueueStatus": {
                "remainingCapacity": self.batcher.capacity,
                "pendingRequests": self.batcher.pending,
            },
        }

    def close(self, timeout=None):
        """Stop the workers once the queued requests are answered; delete the unpacked files."""
        stopped = self.batcher.close(timeout)
        shutil.rmtree(self.model_dir, ignore_errors=True)
        return stopped


class ModelRegistry:
    """Registered models by name and version; thread-safe.

    Args:
        config (ServeConfig): the server's settings.
        metrics (Metrics, optional): where workers report.
    """

    def __init__(self, config, metrics=None):
        self.config = config
        self.metrics = metrics
        self._models = {}  # name -> {version: ModelVersion}, in registration order
        self._defaults = {}  # name -> default version
        self._pending = set()  # (name, version) being registered
        self._lock = threading.RLock()

    def register(
        self,
        path,
        *,
        url=None,
        name=None,
        batch_size=None,
        max_batch_delay=None,
        workers=None,
        response_timeout=None,
    ):
        """Load the archive at ``path`` and start serving it (blocks while it loads).

        Raises:
            ArchiveError: the archive is corrupt or incomplete, or its model cannot be built.
            Conflict: this name and version are registered already.
        """
        archive = Archive(path)
        name = name or archive.manifest.name
        try:
            check_name(name, "model name")
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        key = (name, archive.manifest.version)
        with self._lock:
            if key in self._pending or archive.manifest.version in self._models.get(name, {}):
                raise Conflict(f"model {name!r} version {key[1]!r} is already registered")
            self._pending.add(key)
        try:
            model = ModelVersion(
                archive,
                name,
                url or str(path),
                self.config,
                batch_size,
                max_batch_delay,
                response_timeout,
            )
            try:
                if self.metrics is not None:
                    model.batcher.observer = self.metrics.add_model(
                        name, model.version, model.batcher
                    )
                model.batcher.scale(self.config.workers if workers is None else workers)
            except BaseException:
                self._discard(model)
                raise
            with self._lock:
                self._models.setdefault(name, {})[model.version] = model
                self._defaults.setdefault(name, model.version)
        finally:
            with self._lock:
                self._pending.discard(key)
        logger.info("registered model %r version %r from %s", name, model.version, model.url)
        return model

    def _discard(self, model, timeout=None):
        if self.metrics is not None:
            self.metrics.remove_model(model.name, model.version)
        model.close(self.config.graceful_timeout if timeout is None else timeout)

    def names(self):
        """The registered model names, in registration order."""
        with self._lock:
            return list(self._models)

    def versions(self, name):
        """All versions of model ``name``, in registration order."""
        with self._lock:
            if name not in self._models:
                raise ModelNotFound(f"model {name!r} is not registered")
            return list(self._models[name].values())

    def get(self, name, version=None):
        """Model ``name`` at ``version`` (its default when None or "").

        Raises:
            ModelNotFound: no such model or version; the message lists what there is.
        """
        with self._lock:
            versions = self._models.get(name)
            if versions is None:
                known = ", ".join(map(repr, self._models)) or "none"
                raise ModelNotFound(f"model {name!r} is not registered (registered: {known})")
            version = version or self._defaults[name]
            if version not in versions:
                raise ModelNotFound(
                    f"model {name!r} has no version {version!r} (versions: "
                    f"{', '.join(map(repr, versions))})"
                )
            return versions[version]

    def set_default(self, name, version):
        model = self.get(name, version)
        with self._lock:
            self._defaults[name] = model.version
        return model

    def scale(self, name, version, workers):
        """Run ``workers`` worker threads for a version (0 stops it serving)."""
        model = self.get(name, version)
        model.batcher.scale(workers)
        return model

    def unregister(self, name, version=None):
        """Stop serving a version (the default one when None); blocks until it has drained.

        Raises:
            Conflict: it is the default version and others remain; set another default first.
        """
        with self._lock:
            model = self.get(name, version)
            versions = self._models[name]
            if model.version == self._defaults[name] and len(versions) > 1:
                others = ", ".join(repr(v) for v in versions if v != model.version)
                raise Conflict(
                    f"version {model.version!r} is the default of model {name!r}; make another "
                    f"version ({others}) the default first"
                )
            del versions[model.version]
            if not versions:
                del self._models[name]
                del self._defaults[name]
        self._discard(model)
        logger.info("unregistered model %r version %r", name, model.version)
        return model

    def all(self):
        """Every registered version."""
        with self._lock:
            return [m for versions in self._models.values() for m in versions.values()]

    @property
    def ready(self):
        """Whether every registered version can serve."""
        return all(model.ready for model in self.all())

    def close(self, timeout=None):
        """Unregister everything, letting queued requests finish (up to ``timeout`` each)."""
        with self._lock:
            models = self.all()
            self._models.clear()
            self._defaults.clear()
        for model in models:  # stop all first, so their workers wind down together
            model.batcher.stop()
        for model in models:
            self._discard(model, timeout)
