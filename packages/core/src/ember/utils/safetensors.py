"""Read and write safetensors files: named tensors, no pickle, nothing executed on load.

The format (https://github.com/huggingface/safetensors) is an 8-byte little-endian unsigned
header size ``N``; ``N`` bytes of UTF-8 JSON mapping each tensor name to
``{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`` (byte offsets into the
data that follows), plus an optional ``"__metadata__"`` map of strings to strings, padded with
spaces to a multiple of 8 bytes; then the tensors' bytes, C order, little-endian, back to back.

The functions mirror ``safetensors.torch`` and the files interoperate with that library both
ways. Every header field is checked before it is used, so a corrupt or hostile file raises
:class:`SafetensorsError` naming the file instead of reading out of bounds.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import uuid

import numpy as np

from .. import backend
from .._dtype import from_numpy
from .._tensor import Tensor

__all__ = ["SafetensorsError", "save", "save_file", "load", "load_file", "load_file_with_metadata"]

# The dtypes Ember stores, in the order of safetensors' own dtype enum (increasing alignment).
# Writers put wider types first, so with the 8-byte-padded header every tensor starts at a
# multiple of its item size; following the library's order makes our files byte-identical.
_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "I16": np.dtype(np.int16),
    "F16": np.dtype(np.float16),
    "I32": np.dtype(np.int32),
    "F32": np.dtype(np.float32),
    "C64": np.dtype(np.complex64),
    "F64": np.dtype(np.float64),
    "I64": np.dtype(np.int64),
}
_NAMES = {dt: name for name, dt in _DTYPES.items()}
_RANK = {name: rank for rank, name in enumerate(_DTYPES)}
_MAX_HEADER = 100_000_000  # the reference implementation's bound, against huge-JSON attacks
_CPU = backend.Device("cpu")


class SafetensorsError(ValueError):
    """A file or buffer that is not a valid safetensors file (or holds a dtype Ember lacks)."""


def save(tensors, metadata=None):
    """Serialize a dict of tensors to safetensors bytes.

    Args:
        tensors (dict[str, Tensor]): the tensors by name; any device, any strides.
        metadata (dict[str, str], optional): free text stored in the header.

    Returns:
        bytes: the content of a safetensors file.
    """
    stream = io.BytesIO()
    _write(stream, tensors, metadata)
    return stream.getvalue()


def save_file(tensors, filename, metadata=None):
    """Save a dict of tensors to a safetensors file.

    Non-contiguous tensors are written contiguously, tensors sharing memory as separate copies.
    Writing to a path is atomic: the data goes to a temporary file beside it, is flushed to
    disk and then renamed over ``filename``, so a crash leaves the old file intact.

    Args:
        tensors (dict[str, Tensor]): the tensors by name; any device, any strides.
        filename (str, os.PathLike or binary file object): where to write.
        metadata (dict[str, str], optional): free text stored in the header.
    """
    if hasattr(filename, "write"):
        _write(filename, tensors, metadata)
    else:
        _write_atomic(filename, lambda stream: _write(stream, tensors, metadata))


def load(data, device="cpu"):
    """Load tensors from the bytes of a safetensors file.

    Args:
        data (bytes): the content of a safetensors file.
        device (str, int or ember.device): where to put the tensors (an int means that CUDA
            device).

    Returns:
        dict[str, Tensor]: the tensors by name, in file order.
    """
    return _read(io.BytesIO(data), len(data), "<bytes>", _device(device))[0]


def load_file(filename, device="cpu"):
    """Load the tensors of a safetensors file.

    Args:
        filename (str, os.PathLike or binary file object): the file to read.
        device (str, int or ember.device): where to put the tensors (an int means that CUDA
            device).

    Returns:
        dict[str, Tensor]: the tensors by name, in file order.

    Raises:
        SafetensorsError: the file is truncated or corrupt, or holds a dtype Ember lacks
            (bfloat16, unsigned 16 to 64-bit integers, 8-bit floats).
    """
    return load_file_with_metadata(filename, device)[0]


def load_file_with_metadata(filename, device="cpu"):
    """Like :func:`load_file`, also returning the header's ``__metadata__`` (or ``None``)."""
    device = _device(device)
    if hasattr(filename, "read"):
        data = filename.read()
        return _read(io.BytesIO(data), len(data), _file_name(filename), device)
    with open(filename, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        return _read(stream, size, _file_name(filename), device)


def _file_name(f):
    """How error messages name file ``f`` (a path or a file object)."""
    if hasattr(f, "read") or hasattr(f, "write"):
        return repr(getattr(f, "name", "<file object>"))
    return repr(os.fsdecode(f))


def _device(device):
    return backend.Device("cuda", device) if type(device) is int else backend.Device(device)


# ----------------------------------------------------------------------------------- writing


def _check(tensors, metadata):
    if not isinstance(tensors, dict):
        raise TypeError(f"tensors must be a dict of str to Tensor, got {type(tensors).__name__}")
    for name, tensor in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {type(name).__name__} {name!r}")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved for the header's metadata")
        if not isinstance(tensor, Tensor):
            raise TypeError(f"tensors[{name!r}] must be a Tensor, got {type(tensor).__name__}")
        if tensor._data.dtype not in _NAMES:
            raise TypeError(
                f"tensors[{name!r}] is {tensor.dtype}, which safetensors files cannot hold "
                f"(they hold {', '.join(str(from_numpy(dt)) for dt in _DTYPES.values())}); "
                "complex128 can be saved as ember.view_as_real(tensor)"
            )
    if metadata is not None and not (
        isinstance(metadata, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise TypeError(f"metadata must be a dict of str to str, got {metadata!r}")


def _write(stream, tensors, metadata):
    """Write ``tensors`` and ``metadata`` to binary ``stream`` in safetensors format."""
    _check(tensors, metadata)
    order = sorted(tensors, key=lambda name: (-_RANK[_NAMES[tensors[name]._data.dtype]], name))
    header = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name in order:
        tensor = tensors[name]
        end = offset + tensor.nbytes
        header[name] = {
            "dtype": _NAMES[tensor._data.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, end],
        }
        offset = end
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    stream.write(len(raw).to_bytes(8, "little"))
    stream.write(raw)
    for name in order:  # one host copy at a time: GPU tensors never all sit in host memory
        stream.write(_host_bytes(tensors[name]))


def _host_bytes(tensor):
    """The tensor's data in host memory as C-ordered little-endian bytes (a uint8 array)."""
    array = backend.to_device(tensor._data, _CPU)
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return array.reshape(-1).view(np.uint8)


def _write_atomic(path, write):
    """Call ``write(stream)`` on a temporary file beside ``path``, then rename it to ``path``.

    The rename is atomic, so readers, and a crash at any moment, see either the old file or
    the complete new one. The temporary file is removed if anything fails.
    """
    path = os.fsdecode(path)
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        # open(), not tempfile.mkstemp(): the file gets the usual umask permissions, not 0600
        with open(temporary, "xb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# ----------------------------------------------------------------------------------- reading


def _read(stream, size, source, device):
    """Parse and check a safetensors file of ``size`` bytes from ``stream``.

    Returns ``(tensors, metadata)``, the tensors on ``device`` in file order.
    """

    def fail(problem):
        return SafetensorsError(f"invalid safetensors file {source}: {problem}")

    if size < 8:
        raise fail(f"it is {size} bytes long, too short for the 8-byte header size")
    n = int.from_bytes(stream.read(8), "little")
    if n > _MAX_HEADER:
        raise fail(f"header size {n} is larger than the {_MAX_HEADER} bytes allowed")
    if 8 + n > size:
        raise fail(f"header size {n} runs past the end of the file ({size} bytes): truncated?")
    entries, metadata = _parse_header(stream.read(n), size - 8 - n, fail)
    data = np.empty(size - 8 - n, np.uint8)  # one aligned, writable buffer for all tensors
    if stream.readinto(data) != data.size:
        raise fail("the file ended early (was it changed while being read?)")
    tensors = {}
    for name, dtype, shape, begin, end in entries:
        array = data[begin:end].view(dtype.newbyteorder("<")).reshape(shape)
        array = array.astype(dtype, copy=False)  # native byte order: a no-op on little-endian
        if not array.flags.aligned:  # writers before safetensors 0.3 did not align tensors
            array = array.copy()
        tensors[name] = Tensor._make(backend.to_device(array, device))
    return tensors, metadata


def _parse_header(raw, data_size, fail):
    """Check a header against the ``data_size`` bytes after it.

    Returns ``([(name, dtype, shape, begin, end), ...] in offset order, metadata)``.
    """
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise fail(f"its header is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(header, dict):
        raise fail("its header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise fail("its '__metadata__' is not a map of strings to strings")
    entries = sorted(
        (_parse_entry(name, info, fail) for name, info in header.items()),
        key=lambda entry: (entry[3], entry[4]),
    )
    expected = 0
    for name, *_, begin, end in entries:
        if begin != expected:
            raise fail(
                f"tensor {name!r} starts at data byte {begin}, expected {expected}: tensors must "
                "lie back to back, without gaps or overlaps"
            )
        expected = end
    if expected != data_size:
        raise fail(
            f"the header describes {expected} bytes of tensor data but the file holds "
            f"{data_size}: truncated, or trailing bytes"
        )
    return entries, metadata


def _parse_entry(name, info, fail):
    if not (isinstance(info, dict) and {"dtype", "shape", "data_offsets"} <= info.keys()):
        raise fail(f"tensor {name!r} needs 'dtype', 'shape' and 'data_offsets', got {info!r}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype == "BF16":
        raise fail(
            f"tensor {name!r} is bfloat16 (BF16), which Ember does not support; convert it "
            "to float32 before saving (tensor.float() in PyTorch)"
        )
    if not (isinstance(dtype, str) and dtype in _DTYPES):
        raise fail(f"tensor {name!r} has dtype {dtype!r}; Ember reads {', '.join(_DTYPES)}")
    if not _is_sizes(shape):
        raise fail(f"tensor {name!r} has shape {shape!r}, not a list of non-negative integers")
    if not (_is_sizes(offsets) and len(offsets) == 2 and offsets[0] <= offsets[1]):
        raise fail(f"tensor {name!r} has data_offsets {offsets!r}, not [begin, end] in order")
    nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
    if nbytes != offsets[1] - offsets[0]:
        raise fail(
            f"tensor {name!r} of dtype {dtype} and shape {shape} needs {nbytes} bytes, but its "
            f"data_offsets {offsets} span {offsets[1] - offsets[0]}"
        )
    return name, _DTYPES[dtype], tuple(shape), offsets[0], offsets[1]


def _is_sizes(value):
    return isinstance(value, list) and all(type(v) is int and v >= 0 for v in value)


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate keys in {keys}")
    return dict(pairs)
