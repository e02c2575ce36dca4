"""Model archives (``.emar``): one zip file holding everything needed to serve a model.

An archive holds:

- ``MANIFEST.json``::

    {"format_version": 1, "name": "resnet", "version": "1.0", "created": "2026-05-09T10:00:00+00:00",
     "model": {"factory": "embervision.models:resnet18", "kwargs": {"num_classes": 10},
               "weights": "weights.safetensors"},
     "handler": {"name": "image_classifier", "config": {"resize": 256, "crop": 224}},
     "inputs": [{"name": "image", "datatype": "BYTES", "shape": [-1]}],
     "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}],
     "batch": {"batch_size": 8, "max_batch_delay": 10},
     "labels": "index_to_name.json", "extra_files": []}

- ``weights.safetensors``: the model's state dict (no pickle: loading runs no code);
- ``index_to_name.json`` (optional): class index -> label, TorchServe's format;
- the extra files named in the manifest, and a handler ``.py`` file if the handler is one.

The model is rebuilt by importing the factory (an installed package, never archive code),
calling it with the JSON kwargs and loading the weights into the result.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import ember
from ember.utils.safetensors import SafetensorsError, load_file
from ember.utils.safetensors import save as save_safetensors

from .errors import ArchiveError
from .handlers import BaseHandler, resolve_handler
from .handlers.registry import import_object, is_archive_code
from .schema import TensorSpec

__all__ = ["Manifest", "Archive", "create", "build_model", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
WEIGHTS = "weights.safetensors"
LABELS = "index_to_name.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_name(value, what):
    """Model names and versions appear in URLs: letters, digits, ``_ . -``; no leading dot."""
    if not (isinstance(value, str) and _NAME.fullmatch(value)):
        raise ValueError(f"{what} {value!r} must be letters, digits, '_', '.' or '-' (not first)")
    return value


@dataclass
class Manifest:
    """The contents of ``MANIFEST.json`` (see the module docstring for the JSON layout)."""

    name: str
    version: str
    factory: str
    handler: str
    inputs: list
    outputs: list
    kwargs: dict = field(default_factory=dict)
    handler_config: dict = field(default_factory=dict)
    batch_size: int = 1
    max_batch_delay: float = 100.0
    created: str = ""
    weights: str = WEIGHTS
    labels: str | None = None
    extra_files: list = field(default_factory=list)

    def to_dict(self):
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "created": self.created,
            "model": {"factory": self.factory, "kwargs": self.kwargs, "weights": self.weights},
            "handler": {"name": self.handler, "config": self.handler_config},
            "inputs": [spec.to_dict() for spec in self.inputs],
            "outputs": [spec.to_dict() for spec in self.outputs],
            "batch": {"batch_size": self.batch_size, "max_batch_delay": self.max_batch_delay},
            "labels": self.labels,
            "extra_files": list(self.extra_files),
        }

    @classmethod
    def from_dict(cls, data):
        """Read a manifest, checking every field.

        Raises:
            ArchiveError: naming the first field that is missing or has the wrong type.
        """

        def get(path, kind, default=...):
            value = data
            for key in path.split("."):
                if not isinstance(value, dict) or key not in value:
                    if default is not ...:
                        return default
                    raise ArchiveError(f"{MANIFEST} has no {path!r}")
                value = value[key]
            if not isinstance(value, kind) or isinstance(value, bool):  # no boolean fields
                raise ArchiveError(f"{MANIFEST}: {path!r} has the wrong type ({value!r})")
            return value

        if not isinstance(data, dict):
            raise ArchiveError(f"{MANIFEST} is not a JSON object")
        version = get("format_version", int)
        if version != FORMAT_VERSION:
            raise ArchiveError(
                f"{MANIFEST} has format_version {version}; this server reads {FORMAT_VERSION}"
            )
        try:
            manifest = cls(
                name=check_name(get("name", str), "model name"),
                version=check_name(get("version", str), "model version"),
                created=get("created", str, ""),
                factory=get("model.factory", str),
                kwargs=get("model.kwargs", dict, {}),
                weights=get("model.weights", str),
                handler=get("handler.name", str),
                handler_config=get("handler.config", dict, {}),
                inputs=[
                    TensorSpec.from_dict(s, f"inputs[{i}]")
                    for i, s in enumerate(get("inputs", list))
                ],
                outputs=[
                    TensorSpec.from_dict(s, f"outputs[{i}]")
                    for i, s in enumerate(get("outputs", list))
                ],
                batch_size=get("batch.batch_size", int, 1),
                max_batch_delay=float(get("batch.max_batch_delay", (int, float), 100.0)),
                labels=get("labels", (str, type(None)), None),
                extra_files=get("extra_files", list, []),
            )
        except ValueError as exc:  # from TensorSpec.from_dict and check_name
            raise ArchiveError(f"{MANIFEST}: {exc}") from None
        if manifest.batch_size < 1 or manifest.max_batch_delay < 0:
            raise ArchiveError(f"{MANIFEST}: need batch_size >= 1 and max_batch_delay >= 0")
        return manifest

    def files(self):
        """The archive members this manifest needs besides itself."""
        names = [self.weights, *self.extra_files]
        if self.labels:
            names.append(self.labels)
        if is_archive_code(self.handler):
            names.append(self.handler.partition(":")[0])
        return names


def _safe_member(name):
    path = PurePosixPath(name)
    return not (path.is_absolute() or ".." in path.parts or "\\" in name or ":" in name)


class Archive:
    """An opened and checked ``.emar`` file.

    Args:
        path (str or os.PathLike): the archive.

    Raises:
        ArchiveError: the file is not a zip, has no valid manifest, or lacks a file the
            manifest names; the message says which.
    """

    def __init__(self, path):
        self.path = Path(path)
        label = self.path.name
        try:
            with zipfile.ZipFile(self.path) as zf:
                self.members = zf.namelist()
                raw = zf.read(MANIFEST) if MANIFEST in self.members else None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ArchiveError(f"{label} is not a readable .emar (zip) archive: {exc}") from None
        unsafe = [m for m in self.members if not _safe_member(m)]
        if unsafe:
            raise ArchiveError(f"{label} has unsafe member names {unsafe}")
        if raw is None:
            raise ArchiveError(f"{label} is incomplete: it has no {MANIFEST}")
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise ArchiveError(f"{label}: {MANIFEST} is not valid JSON: {exc}") from None
        try:
            self.manifest = Manifest.from_dict(data)
        except ArchiveError as exc:
            raise ArchiveError(f"{label}: {exc}") from None
        missing = [name for name in self.manifest.files() if name not in self.members]
        if missing:
            raise ArchiveError(
                f"{label} is incomplete: {MANIFEST} names {', '.join(map(repr, missing))} but the "
                "archive does not contain it"
            )

    def extract(self, directory):
        """Unpack the archive into ``directory`` (CRC-checked)."""
        try:
            with zipfile.ZipFile(self.path) as zf:
                zf.extractall(directory)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ArchiveError(f"{self.path.name} is corrupt: {exc}") from None

    def labels(self, directory):
        """``index_to_name.json`` from the unpacked archive as ``{index: label}``, or None."""
        if not self.manifest.labels:
            return None
        try:
            data = json.loads(Path(directory, self.manifest.labels).read_text(encoding="utf-8"))
            # TorchServe's files map to a name or to [wordnet id, name]
            return {int(k): v[-1] if isinstance(v, list) else str(v) for k, v in dict(data).items()}
        except (ValueError, TypeError, IndexError) as exc:
            raise ArchiveError(
                f"{self.path.name}: {self.manifest.labels} must map class indices to labels: {exc}"
            ) from None


def _instantiate(factory, kwargs):
    try:
        make = import_object(factory)
    except Exception as exc:
        raise ArchiveError(f"cannot import the model factory {factory!r}: {exc}") from None
    try:
        model = make(**kwargs)
    except Exception as exc:
        raise ArchiveError(
            f"the model factory {factory!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(model, ember.nn.Module):
        raise ArchiveError(
            f"the model factory {factory!r} returned {type(model).__name__}, not an ember.nn.Module"
        )
    return model


def _load_weights(model, state, factory):
    try:
        model.load_state_dict(state)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ArchiveError(
            f"the weights do not fit the model that {factory!r} builds: {exc}"
        ) from None


def build_model(manifest, model_dir, device="cpu"):
    """Build the archive's model: import the factory, load the weights, move, ``eval()``."""
    model = _instantiate(manifest.factory, manifest.kwargs)
    try:
        state = load_file(Path(model_dir, manifest.weights))
    except SafetensorsError as exc:
        raise ArchiveError(str(exc)) from None
    _load_weights(model, state, manifest.factory)
    try:
        model.to(device)
    except (AssertionError, RuntimeError, TypeError, ValueError) as exc:  # "cuda" without cupy
        raise ArchiveError(f"cannot move the model to {device}: {exc}") from None
    return model.eval()


def _labels_json(labels):
    if isinstance(labels, (str, os.PathLike)):
        return Path(labels).read_bytes()
    if isinstance(labels, dict):
        mapping = {str(k): v for k, v in labels.items()}
    else:
        mapping = {str(i): label for i, label in enumerate(labels)}
    return json.dumps(mapping, indent=1).encode()


def _specs(values):
    return [v if isinstance(v, TensorSpec) else TensorSpec.from_dict(v) for v in values]


def create(
    path,
    *,
    name,
    factory,
    kwargs=None,
    weights=None,
    version="1.0",
    handler="tensor",
    handler_config=None,
    inputs=None,
    outputs=None,
    batch_size=1,
    max_batch_delay=100,
    labels=None,
    extra_files=(),
):
    """Write a model archive.

    The model is built and its weights loaded here, so a factory or weights that do not fit
    fail now rather than on the server.

    Args:
        path (str or os.PathLike): the ``.emar`` file to write (replaced atomically).
        name (str): the model name clients use.
        factory (str): ``"package.module:callable"`` returning an ``ember.nn.Module``.
        kwargs (dict, optional): JSON-able keyword arguments for the factory.
        weights (dict[str, Tensor] or path, optional): a state dict or a safetensors file;
            by default the freshly built model's own parameters.
        version (str): the model version.
        handler (str): a registered handler name, ``"package.module:Class"``, or the path of a
            handler ``.py`` file (optionally ``"file.py:Class"``) to ship inside the archive.
        handler_config (dict, optional): handler settings (``image_classifier``: resize, crop,
            mean, std, topk, channels, pad; ``text_classifier``: ngrams, vocab).
        inputs (list[TensorSpec or dict], optional): the input specs; the ``image_classifier``
            handler has its own default.
        outputs (list[TensorSpec or dict], optional): the output specs; found by running the
            model once on zeros when omitted.
        batch_size (int): the most requests the server batches into one forward pass.
        max_batch_delay (float): milliseconds the server waits to fill a batch.
        labels (list, dict or path, optional): class labels, stored as ``index_to_name.json``.
        extra_files (sequence of paths): more files to include, under their base names.

    Returns:
        pathlib.Path: ``path``.
    """
    check_name(name, "model name")
    check_name(version, "model version")
    kwargs = dict(kwargs or {})
    json.dumps(kwargs)  # TypeError now if the kwargs are not JSON
    model = _instantiate(factory, kwargs)
    if weights is None:
        state = model.state_dict()
    elif isinstance(weights, dict):
        state = weights
    else:
        state = load_file(weights)
    _load_weights(model, state, factory)
    model.eval()

    members = []  # (name in the archive, local file)
    if is_archive_code(handler):
        source, _, class_name = handler.partition(":")
        members.append((Path(source).name, source))
        handler = Path(source).name + (f":{class_name}" if class_name else "")
        handler_cls = BaseHandler
    else:
        handler_cls = resolve_handler(handler)
    extra_names = [Path(extra).name for extra in extra_files]
    members += zip(extra_names, extra_files)
    names = [member for member, _ in members]
    clashes = {n for n in names if names.count(n) > 1} | ({MANIFEST, WEIGHTS, LABELS} & set(names))
    if clashes:
        raise ValueError(f"archive file names clash: {sorted(clashes)}")
    specs, out_specs = handler_cls.signature(
        model, _specs(inputs or ()), None if outputs is None else _specs(outputs), handler_config
    )

    manifest = Manifest(
        name=name,
        version=version,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        factory=factory,
        kwargs=kwargs,
        handler=handler,
        handler_config=dict(handler_config or {}),
        inputs=specs,
        outputs=out_specs,
        batch_size=batch_size,
        max_batch_delay=max_batch_delay,
        labels=LABELS if labels is not None else None,
        extra_files=extra_names,
    )
    Manifest.from_dict(manifest.to_dict())  # the checks the server will make

    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest.to_dict(), indent=1))
            # float weights hardly compress: store them, so loading is a plain copy
            zf.writestr(WEIGHTS, save_safetensors(dict(state)), compress_type=zipfile.ZIP_STORED)
            if labels is not None:
                zf.writestr(LABELS, _labels_json(labels))
            for member, local in members:
                zf.write(local, member)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path
