"""CUDA device queries (through cupy, when installed)."""

from __future__ import annotations

from .. import backend, random
from . import amp

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "synchronize",
    "manual_seed",
    "get_rng_state",
    "set_rng_state",
    "amp",
]


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
    """Wait for all kernels on ``device`` (an index, a string or a device; default: the
    current one) to finish. A no-op without a GPU."""
    if is_available():
        if isinstance(device, int):
            device = backend.Device("cuda", device)
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


def _default_generator(device):
    """The default generator of CUDA ``device`` (an index, a string or a device)."""
    if isinstance(device, int):
        device = backend.Device("cuda", device)
    device = backend.Device(device)
    index = device.index if device.index is not None else current_device()
    cuda = backend.Device("cuda", index)
    random._generator_for(cuda, None)  # creates it on first use
    return random._cuda_generators[index]


def get_rng_state(device="cuda"):
    """The random number generator state of a CUDA device, as a uint8 tensor.

    cupy's generator keeps its state on the device, out of reach: taking the state re-seeds
    the generator from its own stream, so ``set_rng_state`` replays exactly the draws that
    follow, but those differ from the draws of a generator whose state was never taken.

    Raises:
        RuntimeError: no GPU is available.
    """
    return _default_generator(device).get_state()


def set_rng_state(new_state, device="cuda"):
    """Set the random number generator state of a CUDA device (from ``get_rng_state``).

    Raises:
        RuntimeError: no GPU is available, or ``new_state`` is not a CUDA generator's.
    """
    _default_generator(device).set_state(new_state)
