"""``ember.cpu.amp``: torch's deprecated spelling of ``ember.amp`` for the CPU."""

from ..amp._deprecated import device_aliases

__all__ = ["autocast", "GradScaler"]

autocast, GradScaler = device_aliases("cpu", __name__)
