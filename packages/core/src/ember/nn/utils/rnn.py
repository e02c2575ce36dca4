"""Batches of variable-length sequences (``torch.nn.utils.rnn``): padding them into one
tensor, and packing them into a ``PackedSequence`` that the recurrent layers run on without
computing past each sequence's end.

Packed data is time-major: the first step of every sequence (longest first), then the second
step of those that have one, and so on; ``batch_sizes[t]`` says how many sequences have a step
``t``. Packing and padding are one ``index_select`` / ``index_copy`` each, so gradients flow
through them.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ... import backend
from ..._creation import full, tensor
from ..._dtype import int64
from ..._tensor import Tensor
from ...ops.indexing import index_copy, index_select
from ...ops.shape import cat

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(
    namedtuple("PackedSequence", "data batch_sizes sorted_indices unsorted_indices")
):
    """The data and ``batch_sizes`` of a packed batch of sequences.

    Made by ``pack_padded_sequence`` and ``pack_sequence``, never by hand; every recurrent
    layer accepts one and returns its output as one.

    Attributes:
        data: ``(sum of lengths, *)`` the steps of all sequences, time-major.
        batch_sizes: int64 CPU tensor, the number of sequences at each time step.
        sorted_indices: int64 tensor, the order (longest first) in which the sequences were
            packed, or None when they came sorted.
        unsorted_indices: its inverse permutation, which restores the original order.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)), torch's old form
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with(self, data, indices=lambda t: t):
        return type(self)(
            data,
            self.batch_sizes,
            _bind(self.sorted_indices, indices),
            _bind(self.unsorted_indices, indices),
        )

    def _moved(self, data):
        if data is self.data:
            return self
        return self._with(data, lambda t: t.to(data.device))

    def to(self, *args, **kwargs):
        """``data.to(*args, **kwargs)``; the indices follow it to its device, ``batch_sizes``
        stays on the CPU. Returns ``self`` when ``data`` is unchanged."""
        return self._moved(self.data.to(*args, **kwargs))

    def cuda(self, device=None):
        """``data`` (and the indices) on the GPU."""
        return self._moved(self.data.cuda(device))

    def cpu(self):
        """``data`` (and the indices) on the CPU."""
        return self._moved(self.data.cpu())

    def double(self):
        return self._with(self.data.double())

    def float(self):
        return self._with(self.data.float())

    def half(self):
        return self._with(self.data.half())

    def long(self):
        return self._with(self.data.long())

    def int(self):
        return self._with(self.data.int())

    @property
    def is_cuda(self):
        """Whether ``data`` is on a GPU."""
        return self.data.is_cuda


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None for None)."""
    if permutation is None:
        return None
    p = permutation._data
    xp = backend.array_module(p)
    inverse = xp.empty_like(p)
    inverse[p] = xp.arange(p.size, dtype=p.dtype)
    return Tensor._make(inverse)


# ------------------------------------------------------------------------------ layouts


def _positions(batch_sizes, steps, batch_first, device):
    """For each row of packed data, its row in the padded layout flattened to rows:
    ``t * batch + b`` for ``(steps, batch, *)``, ``b * steps + t`` for ``(batch, steps, *)``."""
    t = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    b = np.arange(t.size) - np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    rows = b * steps + t if batch_first else t * int(batch_sizes[0]) + b
    return tensor(rows, device=device)


def _pack(padded, batch_sizes, batch_first):
    """The packed rows of a padded batch sorted longest first (``batch_sizes`` a numpy
    array)."""
    rows = padded.reshape(math.prod(padded.shape[:2]), *padded.shape[2:])
    steps = padded.shape[1 if batch_first else 0]
    return index_select(rows, 0, _positions(batch_sizes, steps, batch_first, padded.device))


def _pad(data, batch_sizes, batch_first, padding_value, steps):
    """Packed rows laid out in a padded ``(steps, batch, *)`` (or ``(batch, steps, *)``)
    tensor filled with ``padding_value``, sequences in packed (sorted) order."""
    batch = int(batch_sizes[0])
    shape = (batch, steps) if batch_first else (steps, batch)
    filled = full(
        (batch * steps, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device
    )
    rows = _positions(batch_sizes, steps, batch_first, data.device)
    return index_copy(filled, 0, rows, data).reshape(*shape, *data.shape[1:])


def _lengths_array(lengths):
    """``lengths`` (a list or a CPU tensor) as a 1-D int64 numpy array."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1 or lengths.is_cuda:
            raise RuntimeError(
                "'lengths' argument should be a 1D CPU int64 tensor, but got "
                f"{lengths.dim()}D {lengths.device} {lengths.dtype.scalar_name} tensor"
            )
        return lengths._data.astype(np.int64)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


# --------------------------------------------------------------------------- functions


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of variable-length sequences.

    Args:
        input: ``(T, B, *)`` padded sequences (``(B, T, *)`` with ``batch_first``).
        lengths: the length of each sequence (a list or a 1-D CPU tensor).
        batch_first: whether ``input`` is batch-major.
        enforce_sorted: require ``lengths`` in decreasing order; with False the sequences
            are sorted here and ``sorted_indices`` records the order.

    Returns:
        A ``PackedSequence``.
    """
    lengths = _lengths_array(lengths)
    sorted_indices = None
    batch_dim = 0 if batch_first else 1
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = tensor(order, device=input.device)
        input = index_select(input, batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch = input.shape[batch_dim]
    if lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
            f"(batch_size={batch})"
        )
    if lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability."
        )
    steps = input.shape[1 if batch_first else 0]
    if lengths[0] > steps:  # torch reads past the input here; say so instead
        raise RuntimeError(
            f"a length ({lengths[0]}) is greater than the sequence dimension of input ({steps})"
        )
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(1)
    data = _pack(input, batch_sizes, batch_first)
    return PackedSequence(data, tensor(batch_sizes, dtype=int64), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Pad a packed batch back into one tensor; the inverse of ``pack_padded_sequence``.

    Args:
        sequence: a ``PackedSequence``.
        batch_first: return ``(B, T, *)`` rather than ``(T, B, *)``.
        padding_value: the value of the padded positions.
        total_length: pad to this many steps (at least the longest sequence).

    Returns:
        ``(padded, lengths)``: the sequences in their original order, and their lengths as
        an int64 CPU tensor.
    """
    batch_sizes = sequence.batch_sizes._data
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    padded = _pad(sequence.data, batch_sizes, batch_first, padding_value, steps)
    lengths = (batch_sizes[:, None] > np.arange(batch_sizes[0])).sum(0)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = index_select(padded, 0 if batch_first else 1, unsorted)
        lengths = lengths[backend.to_device(unsorted._data, backend.Device("cpu"))]
    return padded, tensor(lengths, dtype=int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length sequences into one tensor, padding them to the longest.

    Args:
        sequences: tensors ``(L_i, *)`` with the same trailing dimensions.
        batch_first: return ``(B, T, *)`` rather than ``(T, B, *)``.
        padding_value: the value of the padded positions.
        padding_side: pad on the ``"right"`` (after each sequence) or the ``"left"``.

    Returns:
        ``(T, B, *)`` (or ``(B, T, *)``) in the dtype of ``sequences[0]``.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    first = sequences[0]
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, batch = int(lengths.max()), lengths.size
    # each sequence's steps go to rows b * steps + start_b + t of the (batch, steps) layout
    b = np.repeat(np.arange(batch), lengths)
    t = np.arange(b.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    if padding_side == "left":
        t += steps - lengths[b]
    rows = t * batch + b if not batch_first else b * steps + t
    values = cat(sequences).to(first.dtype)
    filled = full(
        (batch * steps, *first.shape[1:]), padding_value, dtype=first.dtype, device=first.device
    )
    out = index_copy(filled, 0, tensor(rows, device=first.device), values)
    return out.reshape(*((batch, steps) if batch_first else (steps, batch)), *first.shape[1:])


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch into its sequences: ``pad_sequence`` undone.

    Unlike torch, which transposes ``padded_sequences`` in place when ``batch_first`` is
    False, the input is left as it is.

    Returns:
        A list of ``(L_i, *)`` tensors.
    """
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :n] for b, n in enumerate(_lengths_array(lengths).tolist())]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length ``(L_i, *)`` tensors (``pad_sequence`` then
    ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a ``PackedSequence``, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
