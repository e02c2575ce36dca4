"""Automatic mixed precision: ``autocast`` runs chosen operations in a lower-precision dtype,
``GradScaler`` scales the loss so that small float16 gradients do not flush to zero."""

from .autocast_mode import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled
from .grad_scaler import GradScaler, OptState

__all__ = [
    "autocast",
    "GradScaler",
    "OptState",
    "is_autocast_available",
    "is_autocast_enabled",
    "get_autocast_dtype",
]
