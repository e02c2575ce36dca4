"""Handlers by name: the built-ins, ones other packages register, and handler code in archives.

An archive's manifest names its handler in one of three ways:

- a registered name (``"image_classifier"``, ``"tensor"``; text and audio packages add theirs
  with :func:`register_handler`);
- an import path ``"package.module:Class"`` to a handler installed with the server;
- a Python file inside the archive, ``"handler.py"`` or ``"handler.py:Class"``. This runs code
  that came with the archive, so the server loads it only when started with
  ``--allow-archive-code``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import uuid
from pathlib import Path

from ..errors import ArchiveError
from .base import BaseHandler

__all__ = [
    "register_handler",
    "get_handler",
    "list_handlers",
    "is_archive_code",
    "import_object",
    "resolve_handler",
]

_HANDLERS = {}


def register_handler(name):
    """Class decorator registering a :class:`BaseHandler` subclass under ``name``.

    Example::

        @register_handler("text_classifier")
        class TextClassifier(BaseHandler): ...
    """

    def decorate(cls):
        if not (isinstance(cls, type) and issubclass(cls, BaseHandler)):
            raise TypeError(f"handler {name!r} must be a BaseHandler subclass, got {cls!r}")
        if _HANDLERS.get(name, cls) is not cls:
            raise ValueError(f"a handler named {name!r} is already registered")
        _HANDLERS[name] = cls
        return cls

    return decorate


def get_handler(name):
    """The handler class registered under ``name``."""
    try:
        return _HANDLERS[name]
    except KeyError:
        raise KeyError(
            f"no handler named {name!r}; registered handlers: {', '.join(list_handlers())}"
        ) from None


def list_handlers():
    """The registered handler names, sorted."""
    return sorted(_HANDLERS)


def is_archive_code(spec):
    """Whether handler ``spec`` names a Python file inside the archive."""
    return spec.partition(":")[0].endswith(".py")


def import_object(spec):
    """The object at import path ``"package.module:attribute.path"``."""
    module_name, sep, attribute = spec.partition(":")
    if not (sep and module_name and attribute):
        raise ValueError(f"{spec!r} is not an import path of the form 'package.module:name'")
    obj = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def _load_archive_file(path, class_name):
    # A unique module name: two archives may both ship a "handler.py".
    module_name = f"emberserve_archive_{path.stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look classes up here
    spec.loader.exec_module(module)
    if class_name:
        return getattr(module, class_name)
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseHandler)
        and value.__module__ == module_name
    ]
    if len(found) != 1:
        raise ValueError(
            f"{path.name} defines {len(found)} BaseHandler subclasses; name one as "
            f"'{path.name}:ClassName'"
        )
    return found[0]


def resolve_handler(spec, model_dir=None, allow_archive_code=False):
    """The handler class that manifest handler ``spec`` names.

    Args:
        spec (str): a registered name, ``"package.module:Class"`` or ``"file.py[:Class]"``.
        model_dir (path, optional): where the archive is unpacked (for archive code).
        allow_archive_code (bool): whether code shipped inside archives may run.

    Raises:
        ArchiveError: the handler cannot be found or loaded, or is archive code not allowed.
    """
    try:
        if is_archive_code(spec):
            filename, _, class_name = spec.partition(":")
            if not allow_archive_code:
                raise ArchiveError(
                    f"the archive's handler is Python code inside it ({filename}); start the "
                    "server with --allow-archive-code to run it"
                )
            path = Path(model_dir, filename)
            if not path.is_file():
                raise ArchiveError(f"the handler file {filename!r} is missing from the archive")
            cls = _load_archive_file(path, class_name)
        elif ":" in spec:
            cls = import_object(spec)
        else:
            cls = get_handler(spec)
    except ArchiveError:
        raise
    except Exception as exc:
        raise ArchiveError(f"cannot load handler {spec!r}: {type(exc).__name__}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, BaseHandler)):
        raise ArchiveError(f"handler {spec!r} is {cls!r}, not a BaseHandler subclass")
    return cls
