"""``ember.save`` and ``ember.load``: checkpoints that cannot run code when loaded.

Where torch pickles, Ember writes a safetensors file. Its tensors are the leaf tensors of the
saved object, named by their path in it (``"model.fc.weight"``,
``"optimizer.state.0.exp_avg"``); its metadata holds the rest of the object as JSON, so
loading rebuilds it exactly: dict, OrderedDict or Counter, list or tuple, str or int keys, int or float
(nan and inf included), bool, str, None. A flat ``dict[str, Tensor]`` such as a model's
``state_dict()`` keeps its keys as tensor names, so the file opens as-is with the
``safetensors`` library in PyTorch; and ``ember.load`` reads any safetensors file as such a
dict.

The structure is JSON in which every JSON object is a tagged node:
``{"tensor": name}`` (plus ``"device"`` when not on the CPU and ``"requires_grad": true``),
``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}``, ``{"OrderedDict": [...]}``,
``{"Counter": [...]}`` and
``{"float": "nan" | "inf" | "-inf"}``; lists, strings, numbers, booleans and null are
themselves.

``ember.load`` also reads the files ``torch.save`` writes, without running their pickles'
code (``ember._torch_checkpoint``).
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter, OrderedDict

from . import _torch_checkpoint, backend
from ._tensor import Tensor
from .utils.safetensors import _file_name, load_file_with_metadata, save_file

__all__ = ["save", "load"]

_VERSION = "1"
_MAPPINGS = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}
_MAPPING_TAGS = {kind: tag for tag, kind in _MAPPINGS.items()}
_KEY_TYPES = (str, int, bool)
_NONFINITE = ("nan", "inf", "-inf")


def save(obj, f):
    """Save an object to a file, as a safetensors file that ``ember.load`` reads back.

    Args:
        obj: tensors, dicts (str or int keys), lists, tuples, str, int, float, bool and None,
            nested in any way: a state dict, an optimizer state dict, a whole checkpoint.
        f (str, os.PathLike or binary file object): where to write. Writing to a path is
            atomic (temporary file, fsync, rename): a crash never leaves half a checkpoint.

    Raises:
        TypeError: ``obj`` holds something else (a function, a custom class); the message
            names its type and where it sits (``obj['model']['layer']``).

    Example::

        >>> ember.save({"model": model.state_dict(), "epoch": 3}, "checkpoint.pt")
    """
    encoder = _Encoder()
    try:
        structure = encoder.encode(obj, ())
    except RecursionError:
        raise ValueError("ember.save: the object is nested too deeply or contains itself") from None
    metadata = {
        # "pt" is what PyTorch's safetensors writers record; Hugging Face loaders insist on it
        "format": "pt",
        "ember.version": _VERSION,
        "ember.structure": json.dumps(structure, separators=(",", ":"), allow_nan=False),
    }
    save_file(encoder.tensors, f, metadata)


def load(f, map_location=None, *, weights_only=True):
    """Load an object saved with :func:`ember.save` or ``torch.save``, or the tensors of any
    safetensors file.

    A ``torch.save`` file (the zip format of PyTorch >= 1.6, or the older one) is read as
    ``torch.load(weights_only=True)`` reads it: tensors, parameters, dicts, OrderedDicts,
    lists, tuples, sets and plain values load, as Ember tensors; any other class or function
    its pickle names is refused with ``pickle.UnpicklingError``, never imported or called.
    Tensors that shared a storage in torch share memory where they are contiguous views of it.

    Tensors return to the device they were saved from unless ``map_location`` says otherwise.

    Args:
        f (str, os.PathLike or binary file object): the file to read.
        map_location: where to put the tensors, as in ``torch.load``: a device or device
            string for all of them; a dict remapping saved locations (``{"cuda:1": "cuda:0"}``);
            or a callable ``(tensor, location)`` given each tensor on the CPU with the location
            it was saved from, returning the tensor to use (or None for the default). For a
            ``torch.save`` file the callable gets each storage, as a 1-D tensor, as in torch.
        weights_only (bool): accepted for torch compatibility, with no effect: Ember never
            runs code from a file, so ``weights_only=False`` does not lift the restriction.

    Returns:
        The saved object; for a safetensors file not written by Ember, a dict of its tensors.

    Raises:
        ValueError: the file is truncated or corrupt (the message names it), or a
            ``torch.save`` file holds tensors Ember lacks (bfloat16, quantized, sparse).
        pickle.UnpicklingError: a ``torch.save`` file's pickle names a class or function
            outside torch's weights-only allowlist.
    """
    f, kind = _torch_checkpoint.sniff(f)
    if kind is not None:
        place = functools.partial(_place, map_location=map_location)
        return _torch_checkpoint.load(f, kind, place)
    tensors, metadata = load_file_with_metadata(f)
    metadata = metadata or {}
    version = metadata.get("ember.version")
    if version is None:  # written by PyTorch, Hugging Face, ...: its tensors, all from the CPU
        return {name: _place(t, "cpu", map_location) for name, t in tensors.items()}
    source = _file_name(f)
    if version != _VERSION:
        raise ValueError(
            f"{source} holds an Ember checkpoint of format version {version!r}; this Ember "
            f"reads version {_VERSION}. Upgrade Ember to load it."
        )
    decoder = _Decoder(tensors, map_location, source)
    try:
        return decoder.decode(json.loads(metadata.get("ember.structure", "")))
    except json.JSONDecodeError as exc:
        raise decoder.corrupt(f"its structure is not valid JSON ({exc})") from None
    except RecursionError:
        raise decoder.corrupt("its structure is nested too deeply") from None


def _where(keys):
    """The Python expression that reaches a place in the saved object: ``obj['model'][0]``."""
    return "obj" + "".join(f"[{key!r}]" for key in keys)


class _Encoder:
    """Turns an object into the JSON structure, collecting its tensors under their paths."""

    def __init__(self):
        self.tensors = {}

    def encode(self, obj, keys):
        kind = type(obj)
        if isinstance(obj, Tensor):
            return self._tensor(obj, keys)
        if obj is None or kind in (bool, int, str):
            return obj
        if kind is float:
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if kind is list:
            return [self.encode(v, keys + (i,)) for i, v in enumerate(obj)]
        if kind is tuple:
            return {"tuple": [self.encode(v, keys + (i,)) for i, v in enumerate(obj)]}
        if kind in _MAPPING_TAGS:
            return {_MAPPING_TAGS[kind]: [self._item(k, v, keys) for k, v in obj.items()]}
        raise TypeError(
            f"ember.save can't save an object of type {kind.__qualname__} (at {_where(keys)}); "
            "it saves tensors, dicts, lists, tuples, str, int, float, bool and None"
        )

    def _item(self, key, value, keys):
        if type(key) not in _KEY_TYPES:
            raise TypeError(
                f"ember.save needs dict keys of type str or int, got {type(key).__qualname__} "
                f"key {key!r} in {_where(keys)}"
            )
        return [key, self.encode(value, keys + (key,))]

    def _tensor(self, tensor, keys):
        # The path names the tensor; the structure maps names back, so a clash between paths
        # (keys {"a.b"} and {"a": {"b"}}) only needs the name to differ.
        name = ".".join(map(str, keys)) or "tensor"
        while name in self.tensors or name == "__metadata__":
            name += "_"
        self.tensors[name] = tensor
        node = {"tensor": name}
        if tensor.device.type != "cpu":
            node["device"] = str(tensor.device)
        if tensor.requires_grad:
            node["requires_grad"] = True
        return node


class _Decoder:
    """Rebuilds the saved object from the JSON structure and the loaded (CPU) tensors."""

    def __init__(self, tensors, map_location, source):
        self.tensors = tensors
        self.map_location = map_location
        self.source = source

    def corrupt(self, problem):
        return ValueError(f"invalid Ember checkpoint {self.source}: {problem}")

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):  # null, bool, int, float or str
            return node
        if "tensor" in node:
            return self._tensor(node)
        if len(node) != 1:
            raise self.corrupt(f"unknown node {_clip(node)}")
        [(tag, value)] = node.items()
        if tag == "tuple" and isinstance(value, list):
            return tuple(self.decode(v) for v in value)
        if tag in _MAPPINGS and isinstance(value, list):
            # through a dict: Counter(pairs) would count the pairs instead of keying them
            return _MAPPINGS[tag](dict(self._item(item) for item in value))
        if tag == "float" and value in _NONFINITE:
            return float(value)
        raise self.corrupt(f"unknown node {_clip(node)}")

    def _item(self, item):
        if not (isinstance(item, list) and len(item) == 2 and type(item[0]) in _KEY_TYPES):
            raise self.corrupt(f"dict item {_clip(item)} is not a [key, value] pair")
        return item[0], self.decode(item[1])

    def _tensor(self, node):
        name, location = node["tensor"], node.get("device", "cpu")
        if not (isinstance(name, str) and name in self.tensors):
            raise self.corrupt(f"it refers to tensor {_clip(name)}, which the file lacks")
        if not isinstance(location, str):
            raise self.corrupt(f"tensor {name!r} has device {_clip(location)}")
        tensor = _place(self.tensors[name], location, self.map_location)
        if node.get("requires_grad") is True:
            tensor.requires_grad_()
        return tensor


def _clip(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _place(tensor, location, map_location):
    """Move a tensor loaded on the CPU to where ``torch.load`` would put it."""
    if callable(map_location):
        moved = map_location(tensor, location)
        if moved is not None:
            return moved
        target = location
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif map_location is None:
        target = location
    else:
        target = map_location
    device = backend.Device(target)
    if device.type == "cuda" and not backend.cuda_available():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use ember.load with "
            "map_location=ember.device('cpu') to map your storages to the CPU."
        )
    return tensor.to(device)
