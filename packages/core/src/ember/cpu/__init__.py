"""``ember.cpu``: CPU-specific names under torch's ``torch.cpu`` (its deprecated ``amp``)."""

from . import amp

__all__ = ["amp"]
