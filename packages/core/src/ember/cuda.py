"""CUDA device queries (through cupy, when installed)."""

from __future__ import annotations

from . import backend, random

__all__ = ["is_available", "device_count", "current_device", "synchronize", "manual_seed"]


def is_available():
    """True when cupy is installed and a CUDA GPU is visible."""
    return backend.cuda_available()


def device_count():
    return backend.cuda_device_count()


def current_device():
    if not is_available():
        raise RuntimeError("No CUDA GPUs are available")
    return backend.cp.cuda.runtime.getDevice()


def synchronize(device=None):
    """Wait for all kernels on ``device`` (default: current) to finish."""
    if is_available():
        index = backend.Device(device).index if device is not None else None
        if index is None:
            backend.cp.cuda.runtime.deviceSynchronize()
        else:
            with backend.cp.cuda.Device(index):
                backend.cp.cuda.runtime.deviceSynchronize()


def manual_seed(seed):
    """Seed the default generators of every CUDA device."""
    for index in range(device_count()):
        random._generator_for(backend.Device("cuda", index), None)
        random._cuda_generators[index].manual_seed(seed)
