"""``ember.cuda.amp``: torch's deprecated spelling of ``ember.amp`` for CUDA."""

from ..amp._deprecated import device_aliases

__all__ = ["autocast", "GradScaler"]

autocast, GradScaler = device_aliases("cuda", __name__)
