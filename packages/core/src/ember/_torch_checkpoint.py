"""Reading the files ``torch.save`` writes, without running code from them.

A torch checkpoint is a pickle whose tensors point at raw storages kept beside it. Since
PyTorch 1.6 the file is a zip: ``<name>/data.pkl`` (the pickle), ``<name>/data/<key>`` (each
storage's bytes), ``<name>/byteorder`` (``little`` or ``big``; little when absent) and a few
version records. Before 1.6 (and with ``_use_new_zipfile_serialization=False``) it is a run of
pickles in one stream: a magic number, the format version, the writer's system info, the
object, the list of storage keys, then each storage as an int64 element count and its bytes,
little-endian.

The pickle is read the way ``torch.load(weights_only=True)`` reads it: ``find_class`` hands
out only the globals torch's weights-only unpickler allows for tensors and plain values,
mapped to Ember's own (``torch._utils._rebuild_tensor_v2`` builds an ``ember.Tensor``,
``torch.float32`` is ``ember.float32``), and refuses every other global with torch's message,
so loading never imports or calls anything the file names. Globals torch allows but Ember
cannot represent (bfloat16, quantized, sparse, nested tensors) raise ``ValueError`` instead.

Each storage is loaded once, on the CPU, as a 1-D tensor, then moved where ``place`` says
(``map_location``: a callable gets each storage, as in torch). Tensors are views of it: a
contiguous one shares its storage's memory, as in torch; a non-contiguous one (a transpose, an
expanded tensor) is copied out contiguous, since Ember tensors are always C-ordered.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import io
import pickle
import pickletools
import sys
import warnings
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from . import _dtype as dtypes
from . import backend
from ._tensor import Size, Tensor
from .nn.parameter import Parameter
from .utils.safetensors import _file_name

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
# How a pickle (protocol 2 or later) spells MAGIC_NUMBER: opcode LONG1, 10 bytes, little-endian.
_LEGACY_MAGIC = b"\x8a\x0a" + MAGIC_NUMBER.to_bytes(10, "little")
# A zip starts with a local file header, or, when empty, with its end-of-directory record.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# Modules whose globals torch refuses even when a user allowlists them.
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")

_REFUSED = (
    "Weights only load failed for {source}. Ember never runs code from a checkpoint, whatever "
    "weights_only says: it loads tensors, containers and plain values only. If you trust the "
    "file, load it with torch.load(..., weights_only=False) in PyTorch and save what you need "
    "from it (a state_dict(), say) again.\n\tWeightsUnpickler error: {error}"
)


class _StorageType:
    """What a pickle's ``torch.FloatStorage`` (and the like) stands for: its element type."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


class _Refused(pickle.UnpicklingError):
    """A global or persistent id that torch's weights-only rules refuse."""


def sniff(f):
    """Tell whether ``f`` holds a ``torch.save`` checkpoint, from its first bytes.

    Args:
        f (str, os.PathLike or binary file object): a path, or a file at the checkpoint's start.

    Returns:
        ``(f, kind)``: ``kind`` is ``"zip"``, ``"legacy"`` or None (not a torch checkpoint);
        ``f`` is the file to read from, at the position it had (a non-seekable file object is
        read into memory, which then stands for it).
    """
    if not hasattr(f, "read"):
        with open(f, "rb") as stream:
            return f, _kind(stream.read(32))
    if not (hasattr(f, "seekable") and f.seekable()):
        stand_in = io.BytesIO(f.read())
        if hasattr(f, "name"):  # for error messages
            stand_in.name = f.name
        f = stand_in
    start = f.tell()
    head = f.read(32)
    f.seek(start)
    return f, _kind(head)


def _kind(head):
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if _LEGACY_MAGIC in head:
        return "legacy"
    return None


def load(f, kind, place):
    """Load a ``torch.save`` checkpoint that :func:`sniff` found to be of format ``kind``.

    Args:
        f: the path or seekable binary file :func:`sniff` returned.
        kind (str): ``"zip"`` or ``"legacy"``.
        place: ``place(storage, location)`` returns the storage (a 1-D tensor on the CPU) on
            the device it should load to; ``location`` is where it was saved from
            (``"cpu"``, ``"cuda:0"``).

    Raises:
        pickle.UnpicklingError: the pickle names a global outside the weights-only allowlist
            (nothing it names is imported or called), or it is corrupt.
        ValueError: the file is corrupt or holds tensors Ember cannot represent.
    """
    source = _file_name(f)
    try:
        if kind == "zip":
            return _load_zip(f, place, source)
        if hasattr(f, "read"):
            return _load_legacy(f, place, source)
        with open(f, "rb") as stream:
            return _load_legacy(stream, place, source)
    except ValueError as error:
        raise ValueError(f"can't load PyTorch checkpoint {source}: {error}") from None


def _load_zip(f, place, source):
    try:
        with zipfile.ZipFile(f) as archive:
            return _ZipReader(archive, place, source).load()
    except zipfile.BadZipFile as error:
        raise ValueError(str(error)) from None


class _ZipReader:
    """The records of a zip checkpoint, all under one top folder (torch names it after the
    file: ``model/data.pkl`` for ``model.pt``, ``archive/data.pkl`` for a buffer)."""

    def __init__(self, archive, place, source):
        self.archive = archive
        self.place = place
        self.source = source
        names = archive.namelist()
        self.prefix = names[0].split("/")[0] + "/" if names else ""
        self.byteorder = "little"  # what torch assumes when the record is missing
        self.storages = {}

    def record(self, name):
        try:
            return self.archive.read(self.prefix + name)
        except KeyError:
            raise ValueError(f"it has no {self.prefix + name} record") from None

    def load(self):
        names = set(self.archive.namelist())
        if self.prefix + "data.pkl" not in names:
            if self.prefix + "constants.pkl" in names:
                raise ValueError(
                    "it is a TorchScript archive (torch.jit.save), which holds code; Ember loads "
                    "checkpoints written by torch.save only. Save the model's state_dict() with "
                    "torch.save instead."
                )
            raise ValueError(f"it is a zip file without {self.prefix}data.pkl")
        if self.prefix + "byteorder" in names:
            self.byteorder = self.record("byteorder").decode("ascii", "replace")
            if self.byteorder not in ("little", "big"):
                raise ValueError(f"Unknown endianness type: {self.byteorder}")
        return _unpickle(io.BytesIO(self.record("data.pkl")), self.source, self.storage)

    def storage(self, storage_type, key, location, numel):
        """The storage a persistent id names: ``data/<key>``, loaded once and placed."""
        dtype = _check_storage_id(storage_type, key, location, numel)
        if key in self.storages:
            storage = self.storages[key]
            if storage.dtype != dtype:
                raise ValueError(f"storage {key!r} is viewed as both {storage.dtype} and {dtype}")
            return storage
        data = self.record(f"data/{key}")
        if len(data) != numel * dtype.itemsize:
            raise ValueError(
                f"storage {key!r} of {numel} {dtype} elements needs {numel * dtype.itemsize} "
                f"bytes, but its record holds {len(data)}"
            )
        array = np.frombuffer(data, dtype.np).copy()  # a writable, aligned copy
        if self.byteorder != sys.byteorder:
            array.byteswap(inplace=True)
        storage = self.place(Tensor._make(array), _ascii(location))
        self.storages[key] = storage
        return storage


def _load_legacy(f, place, source):
    """The pre-1.6 stream. Its storages follow the pickle that uses them, so the pickle is read
    twice: first to learn each storage's type and size (with zeros standing in), then again with
    the storages read."""
    start = f.tell()
    size = f.seek(0, 2) - start
    f.seek(start)
    if _unpickle(f, source) != MAGIC_NUMBER:
        raise ValueError("Invalid magic number; corrupt file?")
    version = _unpickle(f, source)
    if version != PROTOCOL_VERSION:
        raise ValueError(f"Invalid protocol version: {version}")
    _unpickle(f, source)  # the writer's byte order and C type sizes: storages are little-endian
    pickle_start = f.tell()
    layouts = {}  # root key -> (dtype, location, numel)

    def note(storage_type, key, location, numel, view):
        dtype = _check_storage_id(storage_type, key, location, numel)
        if numel * dtype.itemsize > size:
            raise ValueError(f"storage {key!r} of {numel} {dtype} elements is larger than the file")
        if layouts.setdefault(key, (dtype, _ascii(location), numel))[0] != dtype:
            raise ValueError(f"storage {key!r} is viewed as both {layouts[key][0]} and {dtype}")
        return _view(Tensor._make(np.zeros(numel, dtype.np)), view)

    _unpickle(f, source, note)
    keys = _unpickle(f, source)
    storages = {}
    for key in keys if isinstance(keys, list) else ():
        if key not in layouts:
            raise ValueError(f"unknown storage key {key!r}")
        dtype, location, numel = layouts[key]
        count = int.from_bytes(f.read(8), "little")
        data = f.read(numel * dtype.itemsize)
        if count != numel or len(data) != numel * dtype.itemsize:
            raise ValueError(
                f"storage {key!r} of {numel} {dtype} elements is cut short or mislabelled "
                "(truncated?)"
            )
        array = np.frombuffer(data, dtype.np.newbyteorder("<")).astype(dtype.np)
        storages[key] = place(Tensor._make(array), location)
    if storages.keys() != layouts.keys():
        raise ValueError("it lacks some storages")

    def find(storage_type, key, location, numel, view):
        return _view(storages[key], view)

    f.seek(pickle_start)
    return _unpickle(f, source, find)


def _view(storage, view):
    """A legacy storage view: ``(view_key, offset, size)`` into its root storage, or None."""
    if view is None:
        return storage
    _, offset, numel = view
    if not (_is_size(offset) and _is_size(numel) and offset + numel <= storage.numel()):
        raise ValueError(f"storage view {view!r} reaches past its storage")
    return Tensor._make(storage._data[offset : offset + numel])


def _check_storage_id(storage_type, key, location, numel):
    """The dtype of a persistent id's storage, after checking the id's fields."""
    if not isinstance(storage_type, _StorageType):
        raise ValueError(f"persistent id names storage type {storage_type!r}")
    if not (isinstance(key, str) and isinstance(location, (str, bytes)) and _is_size(numel)):
        raise ValueError(
            f"invalid storage id (key {key!r}, location {location!r}, numel {numel!r})"
        )
    return storage_type.dtype


def _ascii(text):
    return text.decode("ascii") if isinstance(text, bytes) else text


def _is_size(value):
    return type(value) is int and value >= 0


def _unpickle(stream, source, storage=None):
    """Read one pickle from ``stream`` with the weights-only rules; ``storage(*data)`` returns
    the storage of persistent id ``("storage", *data)`` (None: the pickle may have none)."""
    try:
        _refuse_extension_codes(stream)
        return _Unpickler(stream, storage).load()
    except _Refused as error:
        raise pickle.UnpicklingError(_REFUSED.format(source=source, error=error)) from None
    except (pickle.UnpicklingError, EOFError) as error:
        raise pickle.UnpicklingError(
            f"invalid PyTorch checkpoint {source}: {error or 'it ends early'}"
        ) from None


def _refuse_extension_codes(stream):
    """Refuse a pickle that uses copyreg's extension codes (opcodes EXT1, EXT2, EXT4), as
    torch's weights-only unpickler does: CPython resolves a code it has cached without asking
    ``find_class``. The pickle is read through once and ``stream`` put back where it was."""
    start = stream.tell()
    try:
        for opcode, _, _ in pickletools.genops(stream):
            if opcode.name.startswith("EXT"):
                raise _Refused(f"Unsupported operand {ord(opcode.code)}")
    except ValueError:  # not a valid pickle: the unpickler reports it
        pass
    stream.seek(start)


class _Unpickler(pickle.Unpickler):
    """``pickle.Unpickler`` limited to the globals of :data:`_GLOBALS`, as torch's weights-only
    unpickler is limited to its allowlist."""

    def __init__(self, stream, storage):
        # utf-8: what torch.load decodes Python 2 byte strings with
        super().__init__(stream, encoding="utf-8")
        self._storage = storage

    def find_class(self, module, name):
        # Python 2 names, as torch maps them (torch._utils.NAME_MAPPING is this table's copy)
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        path = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise _Refused(
                f"Trying to load unsupported GLOBAL {path} whose module {module} is blocked."
            )
        if path in _GLOBALS:
            return _GLOBALS[path]
        if path in _UNSUPPORTED:
            raise ValueError(
                f"it holds {_UNSUPPORTED[path]} ({path}), which Ember does not support; convert "
                "them in PyTorch before saving (tensor.float(), .to_dense(), .dequantize())"
            )
        shown = path.removeprefix("builtins.")  # torch prints builtins bare: GLOBAL eval
        raise _Refused(f"Unsupported global: GLOBAL {shown} was not an allowed global by default.")

    def persistent_load(self, pid):
        if type(pid) is not tuple or not pid:
            raise pickle.UnpicklingError(f"persistent_load id must be a tuple, but got {pid!r}")
        if _ascii(pid[0]) != "storage":
            raise _Refused(f"Only persistent_load of storage is allowed, but got {pid[0]!r}")
        if self._storage is None:
            raise pickle.UnpicklingError("unsupported persistent id encountered")
        return self._storage(*pid[1:])


# ------------------------------------------------------------ what torch's globals become


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
):
    """``torch._utils._rebuild_tensor_v2`` (and ``_rebuild_tensor``, its first four arguments):
    the view of ``storage`` (a 1-D tensor) at ``storage_offset`` with ``size`` and ``stride``.

    ``backward_hooks`` is ignored, as torch only ever saves an empty one; ``metadata`` sets
    the conjugate and negative bits of a lazily conjugated or negated view."""
    if not (isinstance(storage, Tensor) and storage.dim() == 1):
        raise ValueError(f"a tensor's storage must be a storage, got {type(storage).__name__}")
    if not (
        _is_size(storage_offset)
        and isinstance(size, tuple)
        and isinstance(stride, tuple)
        and len(size) == len(stride)
        and all(map(_is_size, size + stride))
    ):
        raise ValueError(
            f"invalid tensor size {size!r}, stride {stride!r}, offset {storage_offset!r}"
        )
    end = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if 0 not in size and end > storage.numel():
        raise ValueError(
            f"a tensor of size {list(size)}, stride {list(stride)} and storage offset "
            f"{storage_offset} reaches past its storage of {storage.numel()} elements"
        )
    array = storage._data
    xp = backend.array_module(array)
    strides = tuple(s * array.itemsize for s in stride)
    view = xp.lib.stride_tricks.as_strided(array[storage_offset:], size, strides)
    if not view.flags.c_contiguous:
        view = view.copy()
    if isinstance(metadata, dict) and metadata.get("conj"):
        view = xp.conj(view)
    if isinstance(metadata, dict) and metadata.get("neg"):
        view = -view
    return Tensor._make(view).requires_grad_(bool(requires_grad))


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """``torch._utils._rebuild_parameter``: ``data`` as an ``ember.nn.Parameter``."""
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``: a parameter that had Python attributes."""
    return _drop_state(Parameter(data, requires_grad), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: a tensor (``func(*args)``) that had Python
    attributes, as a ``new_type`` (``Tensor`` or ``Parameter``; torch subclasses are refused
    as globals)."""
    tensor = func(*args)
    if new_type not in (Tensor, Parameter) or not isinstance(tensor, Tensor):
        raise ValueError(f"can't rebuild a {new_type!r} from a {type(tensor).__name__}")
    if new_type is Parameter and type(tensor) is not Parameter:
        tensor = Parameter(tensor, tensor.requires_grad)
    return _drop_state(tensor, state)


def _drop_state(tensor, state):
    """Ember tensors hold no Python attributes (torch's ``_set_obj_state`` would set them):
    warn about any that the file saved."""
    parts = state if isinstance(state, tuple) else (state,)
    names = [name for part in parts if isinstance(part, dict) for name in part]
    if names:
        warnings.warn(
            f"ember.load dropped the Python attributes {names} of a saved tensor: Ember tensors "
            "have none",
            stacklevel=2,
        )
    return tensor


# The globals torch's weights-only unpickler allows (torch/_weights_only_unpickler.py,
# _get_allowed_globals) that Ember can represent, as what they become here.
_GLOBALS = {
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "builtins.set": set,
    "builtins.complex": complex,
    "builtins.bytearray": bytearray,
    "_codecs.encode": codecs.encode,  # how protocol 2 pickles bytes
    "torch.Size": Size,
    "torch.device": backend.Device,
    "torch.Tensor": Tensor,
    "torch.nn.parameter.Parameter": Parameter,
    "torch._utils._rebuild_tensor": _rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
    "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    "torch.storage.UntypedStorage": _StorageType(dtypes.uint8),
    **{f"torch.{d.name}": d for d in dtypes.ALL},
    # torch.FloatStorage, torch.cuda.FloatStorage, ...: the storage types pickles name
    **{
        f"{module}.{d.scalar_name}Storage": _StorageType(d)
        for d in dtypes.ALL
        for module in ("torch", "torch.cuda")
    },
}

# torch's dtypes that Ember lacks
_TORCH_ONLY_DTYPES = (
    "bfloat16", "complex32", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e4m3fnuz",
    "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits1x8", "bits2x4",
    "bits4x2", "bits8", "bits16", "qint8", "qint32", "quint8", "quint4x2", "quint2x4",
    *(f"uint{bits}" for bits in range(1, 8)), *(f"int{bits}" for bits in range(1, 8)),
)  # fmt: skip
_QUANTIZATION_SCHEMES = (
    "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
    "per_channel_affine_float_qparams",
)  # fmt: skip
_QUANTIZED = "quantized tensors"

# Globals torch's weights-only unpickler allows but Ember cannot represent: what they are for.
_UNSUPPORTED = {
    **{f"torch.{name}": f"{name} values" for name in _TORCH_ONLY_DTYPES},
    "torch.BFloat16Storage": "bfloat16 tensors",
    "torch.cuda.BFloat16Storage": "bfloat16 tensors",
    **{
        f"torch.{kind}Storage": _QUANTIZED
        for kind in ("QInt8", "QInt32", "QUInt8", "QUInt4x2", "QUInt2x4")
    },
    **{f"torch.{scheme}": _QUANTIZED for scheme in _QUANTIZATION_SCHEMES},
    "torch._utils._rebuild_qtensor": _QUANTIZED,
    "torch._utils._rebuild_tensor_v3": "tensors of dtypes Ember lacks (uint16 to uint64, float8)",
    "torch._utils._rebuild_sparse_tensor": "sparse tensors",
    "torch.serialization._get_layout": "sparse tensors",
    "torch._utils._rebuild_nested_tensor": "nested tensors",
    "torch._utils._rebuild_meta_tensor_no_storage": "meta tensors",
    "torch._utils._rebuild_wrapper_subclass": "tensor subclasses",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": "tensors of devices Ember lacks",
    "torch._utils._rebuild_device_tensor_from_numpy": "tensors of devices Ember lacks",
}
