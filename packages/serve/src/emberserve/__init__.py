"""Emberserve: model archives, handlers and an HTTP inference server for Ember models.

A pure-Python successor to TorchServe for Ember models: ``.emar`` archives (JSON manifest,
safetensors weights, no pickle), TorchServe-compatible inference and management APIs, the Open
Inference Protocol (KServe V2) with Triton's binary tensor extension, dynamic batching and
Prometheus metrics, in one process started by ``emberserve start``.
"""

__version__ = "0.1.0"

from . import archive, errors  # isort: skip
from .config import ServeConfig, load_config
from .handlers import BaseHandler, Context, register_handler
from .schema import TensorSpec
from .server import Server

__all__ = [
    "archive",
    "errors",
    "BaseHandler",
    "Context",
    "register_handler",
    "TensorSpec",
    "ServeConfig",
    "load_config",
    "Server",
]
