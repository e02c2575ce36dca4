"""The model registry (``register_model``, ``get_model``, ``list_models``) and weight loading.

Builders register themselves by name, as in torchvision, so ``get_model("resnet18")`` and
``list_models()`` see every model. Pretrained weights are local files, safetensors or
``torch.save``'s (torchvision's ``.pth`` downloads among them): Ember has no ``Weights`` enums
and the builders download nothing.
"""

from __future__ import annotations

import fnmatch
import os

import ember

__all__ = ["register_model", "list_models", "get_model_builder", "get_model"]

BUILTIN_MODELS = {}


def register_model(name=None):
    """Register a model builder under ``name`` (default: the function's name).

    Args:
        name (str, optional): the key for ``get_model``.

    Returns:
        A decorator that records the builder and returns it unchanged.
    """

    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def list_models(module=None, include=None, exclude=None):
    """The sorted names of the registered models.

    Args:
        module (ModuleType, optional): keep only the models defined in this package
            (e.g. ``embervision.models``).
        include (str or Iterable[str], optional): shell-style wildcards (``fnmatch``); a
            model is kept if it matches any of them.
        exclude (str or Iterable[str], optional): wildcards of models to drop.

    Returns:
        list[str]: the model names.
    """
    all_models = {
        key
        for key, fn in BUILTIN_MODELS.items()
        if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__
    }
    if include:
        models = set()
        for pattern in _patterns(include):
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    for pattern in _patterns(exclude):
        models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def _patterns(filters):
    """``None``, one pattern or an iterable of patterns, as a list."""
    if filters is None:
        return []
    return [filters] if isinstance(filters, str) else list(filters)


def get_model_builder(name):
    """The builder function registered under ``name`` (case-insensitive).

    Raises:
        ValueError: no model has that name.
    """
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """Build the model registered under ``name``, passing ``config`` to its builder.

    Example:
        >>> model = get_model("resnet18", num_classes=10)
    """
    return get_model_builder(name)(**config)


def _load_weights(model, weights, rename=None):
    """Load a local weights file (torchvision state-dict names) into ``model``, strictly.

    ``weights=None`` leaves the model as initialised. Anything else must be the path of a
    ``.safetensors`` file or of a ``torch.save`` file such as torchvision's own ``.pth``
    downloads (read without running pickled code, see ``ember.load``); a torchvision weights
    name such as ``"DEFAULT"`` gets a message saying so, since Ember never downloads here.
    ``rename``, if given, maps each key of the file to the model's name for it (for
    checkpoints saved under older module names).
    """
    if weights is None:
        return model
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            "weights must be None or the path of a local .safetensors or .pth file, "
            f"got {type(weights).__name__}"
        )
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"weights file '{path}' not found: weights= takes the path of a local "
            ".safetensors or .pth file (Ember has no Weights enums; "
            "ember.hub.load_state_dict_from_url fetches a torchvision .pth by its URL)"
        )
    state_dict = ember.load(path, map_location="cpu")
    if rename is not None:
        state_dict = {rename(key): value for key, value in state_dict.items()}
    model.load_state_dict(state_dict, strict=True)
    return model
