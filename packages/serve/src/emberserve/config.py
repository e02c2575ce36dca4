"""Server settings, from command-line flags, a TOML file, ``EMBERSERVE_*`` variables, defaults.

Each setting is taken from the first of these that gives it:

1. a command-line flag (``--inference-port 9000``);
2. the TOML config file (``--config FILE`` or ``EMBERSERVE_CONFIG``), keys named like the
   fields below (``inference_port = 9000``);
3. an environment variable ``EMBERSERVE_<FIELD>`` (``EMBERSERVE_INFERENCE_PORT=9000``; lists
   comma-separated, booleans ``true``/``false``/``1``/``0``);
4. the default.

Bearer tokens have no flags (a command line is visible to other users): put them in a token
file (``token_file``: JSON ``{"inference": "...", "management": "..."}``), in the config file,
or in ``EMBERSERVE_INFERENCE_TOKEN`` / ``EMBERSERVE_MANAGEMENT_TOKEN``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["ServeConfig", "load_config", "ENV_PREFIX"]

ENV_PREFIX = "EMBERSERVE_"


@dataclass
class ServeConfig:
    """The server's settings (see the module docstring for where they come from).

    Attributes:
        host (str): address of the inference API (the default serves this machine only).
        inference_port (int): TorchServe and Open Inference Protocol routes; 0 = any free port.
        management_host (str), management_port (int): the management API.
        metrics_host (str), metrics_port (int): Prometheus metrics.
        model_store (str): the directory archives are registered from.
        models (list[str]): archives to load at startup: ``NAME=FILE.emar``, ``FILE.emar``
            (relative to the model store, or a path) or ``all`` (every archive in the store).
        allow_archive_code (bool): run handler code shipped inside archives.
        allowed_urls (list[str]): URL prefixes the management API may download archives from.
        workers (int): worker threads per model version.
        device (str): where models run ("cpu", "cuda", "cuda:1").
        max_request_size (int): the largest request body, in bytes (larger ones get a 413).
        response_timeout (float): seconds a request may wait for its model (then a 504).
        queue_size (int): requests that may wait per model version (then a 503).
        retry_after (int): the ``Retry-After`` seconds of a 503.
        max_image_pixels (int): the largest image the image handler decodes.
        graceful_timeout (float): seconds to finish in-flight requests on shutdown.
        token_file (str): JSON file with the bearer tokens.
        inference_token, management_token (str): bearer tokens (None: no authentication).
        cors_allowed_origins (list[str]): origins allowed by CORS (empty: CORS off).
        cors_allowed_methods (list[str]), cors_allowed_headers (list[str]): for CORS.
        pid_file (str): where ``emberserve start`` writes its process id.
        log_level (str): logging level.
        access_log (bool): log every request.
    """

    host: str = "127.0.0.1"
    inference_port: int = 8080
    management_host: str = "127.0.0.1"
    management_port: int = 8081
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8082
    model_store: str | None = None
    models: list = field(default_factory=list)
    allow_archive_code: bool = False
    allowed_urls: list = field(default_factory=list)
    workers: int = 1
    device: str = "cpu"
    max_request_size: int = 100 * 1024 * 1024
    response_timeout: float = 120.0
    queue_size: int = 100
    retry_after: int = 1
    max_image_pixels: int = 89_478_485  # Pillow's own decompression-bomb limit
    graceful_timeout: float = 30.0
    token_file: str | None = None
    inference_token: str | None = None
    management_token: str | None = None
    cors_allowed_origins: list = field(default_factory=list)
    cors_allowed_methods: list = field(default_factory=lambda: ["GET", "POST", "PUT", "DELETE"])
    cors_allowed_headers: list = field(default_factory=lambda: ["*"])
    pid_file: str | None = None
    log_level: str = "info"
    access_log: bool = True

    def __post_init__(self):
        for f in dataclasses.fields(self):
            setattr(self, f.name, _convert(f, getattr(self, f.name), f.name))
        for name in (
            "workers",
            "queue_size",
            "retry_after",
            "max_request_size",
            "max_image_pixels",
        ):
            if getattr(self, name) < (0 if name == "workers" else 1):
                raise ValueError(f"setting {name} must be positive, got {getattr(self, name)}")
        if self.response_timeout <= 0 or self.graceful_timeout < 0:
            raise ValueError("response_timeout must be > 0 and graceful_timeout >= 0")

    def tokens(self):
        """``{"inference": token or None, "management": token or None}``; the token file wins."""
        tokens = {"inference": self.inference_token, "management": self.management_token}
        if self.token_file:
            try:
                data = json.loads(Path(self.token_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"cannot read token_file {self.token_file!r}: {exc}") from None
            if not isinstance(data, dict) or not set(data) <= set(tokens):
                raise ValueError(f"token_file must be a JSON object with keys {sorted(tokens)}")
            tokens.update(data)
        for api, token in tokens.items():
            if token is not None and not (isinstance(token, str) and token):
                raise ValueError(f"the {api} token must be a non-empty string")
        return tokens

    def default_pid_file(self):
        """``pid_file``, or one in the temporary directory named after the inference port."""
        return self.pid_file or str(
            Path(tempfile.gettempdir(), f"emberserve-{self.inference_port}.pid")
        )


_FIELDS = {f.name: f for f in dataclasses.fields(ServeConfig)}
_SECRET = {"inference_token", "management_token"}  # no command-line flags for these


def _kind(f):
    return {"bool": bool, "int": int, "float": float, "list": list}.get(
        str(f.type).split(" |")[0], str
    )


def _convert(f, value, source):
    """``value`` as field ``f``'s type; strings (from the environment) are parsed."""
    if value is None:
        return None
    kind = _kind(f)
    try:
        if isinstance(value, str) and kind is bool:
            lowered = value.strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(value)
            return lowered in ("1", "true", "yes", "on")
        if isinstance(value, str) and kind is list:
            return [part.strip() for part in value.split(",") if part.strip()]
        if kind is list:
            if not isinstance(value, (list, tuple)):
                raise TypeError(value)
            return [str(v) for v in value]
        if kind is float and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, (int, str)) and not isinstance(value, bool):
            return int(value)
        if kind in (str, bool) and isinstance(value, kind):
            return value
        raise TypeError(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"setting {f.name} from {source}: expected {kind.__name__}, got {value!r}"
        ) from None


def load_config(flags=None, config_file=None, environ=None):
    """Gather the settings, highest precedence first: ``flags``, the TOML file, the environment.

    Args:
        flags (dict, optional): settings given on the command line; None values are unset.
        config_file (str or os.PathLike, optional): a TOML file; default ``EMBERSERVE_CONFIG``.
        environ (mapping, optional): the environment (default ``os.environ``).

    Returns:
        ServeConfig

    Raises:
        ValueError: an unknown key, or a value of the wrong type, naming where it came from.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for name, f in _FIELDS.items():
        key = ENV_PREFIX + name.upper()
        if key in environ:
            values[name] = _convert(f, environ[key], f"environment variable {key}")
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        with open(config_file, "rb") as stream:
            try:
                data = tomllib.load(stream)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"config file {str(config_file)!r}: {exc}") from None
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise ValueError(f"config file {str(config_file)!r}: unknown settings {unknown}")
        for name, value in data.items():
            values[name] = _convert(_FIELDS[name], value, f"config file {str(config_file)!r}")
    for name, value in (flags or {}).items():
        if name in _SECRET or name not in _FIELDS:
            raise ValueError(f"{name} cannot be set by a flag")
        if value is not None:
            values[name] = _convert(_FIELDS[name], value, f"flag --{name.replace('_', '-')}")
    return ServeConfig(**values)
