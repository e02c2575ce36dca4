"""The deprecated per-device spellings ``ember.cuda.amp`` and ``ember.cpu.amp``: torch 2.13
still has ``torch.{cuda,cpu}.amp.{autocast,GradScaler}``, warning FutureWarning on use."""

from __future__ import annotations

import warnings

from .. import _dtype as dtypes
from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler


def device_aliases(device_type, module):
    """The ``autocast`` and ``GradScaler`` of ``ember.<device_type>.amp`` (``module``)."""

    class autocast(_autocast):
        __doc__ = (
            f"``autocast('{device_type}', ...)``; ``{module}.autocast(args...)`` is deprecated."
        )

        def __init__(self, enabled=True, dtype=dtypes.float16, cache_enabled=True):
            warnings.warn(
                f"`torch.{device_type}.amp.autocast(args...)` is deprecated. Please use "
                f"`torch.amp.autocast('{device_type}', args...)` instead.",
                FutureWarning,
                stacklevel=2,
            )
            super().__init__(device_type, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        __doc__ = (
            f"``GradScaler('{device_type}', ...)``; ``{module}.GradScaler(args...)`` is deprecated."
        )

        def __init__(
            self,
            init_scale=2.0**16,
            growth_factor=2.0,
            backoff_factor=0.5,
            growth_interval=2000,
            enabled=True,
        ):
            warnings.warn(
                f"`torch.{device_type}.amp.GradScaler(args...)` is deprecated. Please use "
                f"`torch.amp.GradScaler('{device_type}', args...)` instead.",
                FutureWarning,
                stacklevel=2,
            )
            super().__init__(
                device_type,
                init_scale=init_scale,
                growth_factor=growth_factor,
                backoff_factor=backoff_factor,
                growth_interval=growth_interval,
                enabled=enabled,
            )

    for cls in (autocast, GradScaler):
        cls.__module__ = module
        cls.__qualname__ = cls.__name__
    return autocast, GradScaler
