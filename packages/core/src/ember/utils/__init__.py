"""Utilities under torch's ``torch.utils`` names: ``ember.utils.data`` (datasets, samplers,
``DataLoader``) and friends."""

from . import checkpoint, data, safetensors
