"""Version counting: torch's check that what forward saved for backward was not overwritten.

torch gives every storage a version counter, bumped by each in-place write, and a saved tensor
remembers the version it was saved at; backward refuses to use one written since ("one of the
variables needed for gradient computation has been modified by an inplace operation"), where
it would otherwise compute a wrong gradient without a word.

Here one clock counts all in-place writes, and each written storage (the array that owns the
memory: an array, or the ``base`` its views share) remembers the clock of its last write. A
graph node records the clock when it saves values; backward checks a node's saved arrays only
when the clock has moved since, so a step with no in-place write between its forward and its
backward checks nothing.

Writes through ``Tensor.data`` are not counted, as in torch (it is how optimisers once
updated parameters behind autograd's back); writes through views of it are.
"""

from __future__ import annotations

import weakref

__all__ = ["clock", "bump", "untracked", "is_untracked", "written_since"]

clock = 0  # in-place writes so far, in the whole process
_last_write = {}  # id(storage) -> the clock of its last in-place write
_untracked = {}  # id(array) -> weak reference, for the arrays of `Tensor.data` tensors


def _storage(array):
    base = array.base
    return array if base is None else base


def bump(array):
    """Count an in-place write into ``array``'s memory."""
    global clock
    if is_untracked(array):
        return
    clock += 1
    storage = _storage(array)
    key = id(storage)
    if key not in _last_write:
        try:  # forget the storage with it: a later array may reuse its id
            weakref.finalize(storage, _last_write.pop, key, None)
        except TypeError:  # memory no weak reference can follow (e.g. bytes): not tracked
            return
    _last_write[key] = clock


def is_untracked(array):
    """Whether ``array`` is one marked by ``untracked``."""
    ref = _untracked.get(id(array))
    return ref is not None and ref() is array


def untracked(array):
    """Mark ``array`` (a fresh view) as one whose own writes are not counted."""
    key = id(array)
    _untracked[key] = weakref.ref(array, lambda _, key=key: _untracked.pop(key, None))
    return array


def written_since(array, then):
    """Whether ``array``'s memory was written in place after the clock read ``then``."""
    return _last_write.get(id(_storage(array)), 0) > then
