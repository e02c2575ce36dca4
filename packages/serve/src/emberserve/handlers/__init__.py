"""Request handlers: the contract (:class:`BaseHandler`), the registry and the built-ins."""

from .base import BaseHandler, Context, handle_batch
from .registry import get_handler, list_handlers, register_handler, resolve_handler

# Importing the built-ins registers them ("image_classifier", "text_classifier", "tensor").
from .image_classifier import ImageClassifier  # isort: skip
from .text_classifier import TextClassifier  # isort: skip
from .tensor import TensorHandler  # isort: skip

__all__ = [
    "BaseHandler",
    "Context",
    "handle_batch",
    "register_handler",
    "get_handler",
    "list_handlers",
    "resolve_handler",
    "ImageClassifier",
    "TextClassifier",
    "TensorHandler",
]
