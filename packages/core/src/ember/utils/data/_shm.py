"""How a worker's batch reaches the main process: through shared memory, not the pipe.

``pack`` pickles an object, but every numeric numpy array inside it (the ``_data`` of each
tensor of a collated batch) is replaced by a reference ``(offset, shape, dtype)`` into one
``multiprocessing.shared_memory.SharedMemory`` block per message, and its bytes are copied
there. Only the block's name and the small pickle go through the queue. ``unpack`` maps the
block, copies the arrays out, and closes and unlinks the block at once, so a block lives
exactly from ``pack`` to ``unpack`` (or ``discard``, for a message nobody will read).

Blocks are named ``ember_<main pid>_<worker pid>_<n>``; they are registered with
multiprocessing's resource tracker, which the main process shares with its workers, so even
a block orphaned by a killed process is removed when the program ends.
"""

from __future__ import annotations

import contextlib
import io
import pickle
from multiprocessing.shared_memory import SharedMemory

import numpy as np

_ALIGN = 64  # bytes; every array starts on a cache line

# dtype kinds whose raw bytes are the whole value (bool, ints, floats, complex)
_RAW_KINDS = frozenset("biufc")


class _ArrayPickler(pickle.Pickler):
    """Pickles everything except numeric numpy arrays, which it lays out in ``arrays``."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.arrays = []  # (offset, array)
        self.nbytes = 0

    def persistent_id(self, obj):
        if not isinstance(obj, np.ndarray) or obj.dtype.kind not in _RAW_KINDS or not obj.nbytes:
            return None
        offset = -(-self.nbytes // _ALIGN) * _ALIGN
        self.arrays.append((offset, obj))
        self.nbytes = offset + obj.nbytes
        return offset, obj.shape, obj.dtype.str


class _ArrayUnpickler(pickle.Unpickler):
    def __init__(self, file, buffer):
        super().__init__(file)
        self.buffer = buffer

    def persistent_load(self, pid):
        offset, shape, dtype = pid
        # copy out, so the block can be unlinked now rather than when the batch dies
        return np.ndarray(shape, np.dtype(dtype), buffer=self.buffer, offset=offset).copy()


def pack(obj, name):
    """Pickle ``obj`` with its arrays in a new shared block called ``name``.

    Returns:
        ``(block name or None when there were no arrays, pickle bytes)``.
    """
    file = io.BytesIO()
    pickler = _ArrayPickler(file)
    pickler.dump(obj)
    if not pickler.arrays:
        return None, file.getvalue()
    block = SharedMemory(name, create=True, size=pickler.nbytes)
    try:
        for offset, array in pickler.arrays:
            # the view into the block is a temporary, so nothing pins the block's buffer
            np.copyto(np.ndarray(array.shape, array.dtype, buffer=block.buf, offset=offset), array)
    except BaseException:
        block.close()
        block.unlink()
        raise
    block.close()
    return name, file.getvalue()


def unpack(name, payload):
    """The object ``pack`` produced ``(name, payload)`` from; frees the block."""
    if name is None:
        return pickle.loads(payload)
    block = SharedMemory(name)
    try:
        return _ArrayUnpickler(io.BytesIO(payload), block.buf).load()
    finally:
        block.close()
        block.unlink()


def discard(name, payload):
    """Free the block of a packed message without reading it."""
    if name is None:
        return
    with contextlib.suppress(FileNotFoundError):
        block = SharedMemory(name)
        block.close()
        block.unlink()
