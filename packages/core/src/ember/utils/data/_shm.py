"""How a worker's batch reaches the main process: through shared memory, not the pipe.

A message is pickled, except that every numeric numpy array inside it (the ``_data`` of each
tensor of a collated batch) is replaced by a reference ``(offset, shape, dtype)`` into one
``multiprocessing.shared_memory.SharedMemory`` block, where its bytes are copied. Only the
block's name and the small pickle go through the queue; the main process copies the arrays
out of the block.

Blocks belong to the worker that made them and are reused: the main process maps each block
once, and after copying a batch out it hands the block back with the worker's next task. A
fresh block would cost a page fault per 4 KiB page on both sides (about 20 ms for a 20 MB
batch, against 2 ms for the copies). A worker unlinks its blocks when it stops, or when its
batches outgrow them (it then tells the main process to unmap them). Blocks are named
``ember_<main pid>_<worker pid>_<n>`` and registered with multiprocessing's resource
tracker, which the main process shares with its workers, so even the blocks of a killed
worker are removed when the program ends.
"""

from __future__ import annotations

import io
import itertools
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
        # a copy: the block goes back to the worker for its next batch
        return np.ndarray(shape, np.dtype(dtype), buffer=self.buffer, offset=offset).copy()


class BlockWriter:
    """A worker's side: packs messages into its blocks, reusing the released ones.

    Args:
        prefix: block names are ``prefix`` followed by a counter (see ``block_prefix``).
    """

    def __init__(self, prefix):
        self._names = (f"{prefix}{n}" for n in itertools.count())
        self._free = []  # blocks the main process has handed back
        self._busy = {}  # name -> block, sent and not yet handed back
        self._dropped = []  # names unlinked since the last message

    def pack(self, obj):
        """``(block name or None, pickle bytes, names of dropped blocks)`` for ``obj``."""
        file = io.BytesIO()
        pickler = _ArrayPickler(file)
        pickler.dump(obj)
        name = None
        if pickler.arrays:
            block = self._take(pickler.nbytes)
            try:
                for offset, array in pickler.arrays:
                    # the view stays a temporary, so nothing can pin the block's buffer
                    np.copyto(
                        np.ndarray(array.shape, array.dtype, buffer=block.buf, offset=offset), array
                    )
            except BaseException:
                self._free.append(block)
                raise
            name = block.name
            self._busy[name] = block
        dropped, self._dropped = self._dropped, []
        return name, file.getvalue(), dropped

    def release(self, names):
        """The main process is done with these blocks: reuse them."""
        self._free.extend(self._busy.pop(name) for name in names)

    def _take(self, nbytes):
        fitting = [block for block in self._free if block.size >= nbytes]
        if fitting:
            block = min(fitting, key=lambda b: b.size)
            self._free.remove(block)
            return block
        # nothing fits: batches have grown, so the free blocks are dead weight
        for block in self._free:
            self._dropped.append(block.name)
            _unlink(block)
        self._free = []
        return SharedMemory(next(self._names), create=True, size=nbytes)

    def close(self):
        """Unlink every block (the worker is stopping)."""
        for block in [*self._free, *self._busy.values()]:
            _unlink(block)
        self._free, self._busy = [], {}


class BlockReader:
    """The main process's side: maps each block once and copies messages out of it."""

    def __init__(self):
        self._owners = {}  # name -> worker id, for every live block seen
        self._mapped = {}  # name -> block
        self._last = {}  # worker id -> highest block number seen

    def unpack(self, worker_id, name, payload, dropped):
        """The object a ``BlockWriter.pack`` of worker ``worker_id`` produced."""
        self.note(worker_id, name, payload, dropped)
        if name is None:
            return pickle.loads(payload)
        if name not in self._mapped:
            self._mapped[name] = SharedMemory(name)
        return _ArrayUnpickler(io.BytesIO(payload), self._mapped[name].buf).load()

    def note(self, worker_id, name, payload, dropped):
        """Record a message's block without reading the message."""
        for gone in dropped:  # unlinked by the worker
            self._owners.pop(gone, None)
            block = self._mapped.pop(gone, None)
            if block is not None:
                block.close()
        if name is not None:
            self._owners[name] = worker_id
            number = int(name.rsplit("_", 1)[1])
            self._last[worker_id] = max(self._last.get(worker_id, -1), number)

    def close(self, crashed=None):
        """Unmap every block, and unlink the blocks of the ``crashed`` workers (a dict of
        worker id -> block name prefix), which could not unlink their own.

        A crashed worker's blocks are the ones seen plus any made after the last one seen,
        whose message never arrived: a worker numbers its blocks consecutively and only ever
        drops blocks this process has seen, so those are found by counting on from there.
        """
        crashed = crashed or {}
        for block in self._mapped.values():
            block.close()
        for name, worker_id in self._owners.items():
            if worker_id in crashed:
                _unlink_by_name(name)
        for worker_id, prefix in crashed.items():
            number = self._last.get(worker_id, -1) + 1
            while _unlink_by_name(f"{prefix}{number}"):
                number += 1
        self._owners, self._mapped, self._last = {}, {}, {}


def block_prefix(main_pid, worker_pid):
    """The start of the names of a worker's blocks, followed by a counter."""
    return f"ember_{main_pid}_{worker_pid}_"


def _unlink_by_name(name):
    """Unlink the block ``name`` if it exists; whether it did."""
    try:
        block = SharedMemory(name)
    except FileNotFoundError:
        return False
    _unlink(block)
    return True


def _unlink(block):
    block.close()
    block.unlink()
