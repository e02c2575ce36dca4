"""What the bundles share: their models looked up by name, checkpoints fetched through the hub."""

from __future__ import annotations

import os

import ember
from ember import hub

from .. import models
from ..datasets._fetch import _fetch_file


def _model(name):
    """``emberaudio.models.<name>``, looked up when a bundle builds its model, so that a bundle
    exists (its metadata, labels and processors work) even where emberaudio lacks its model.

    Raises:
        NotImplementedError: emberaudio.models has no ``name``.
    """
    factory = getattr(models, name, None)
    if factory is None:
        raise NotImplementedError(
            f"emberaudio.models has no {name}, so this bundle cannot build its model."
        )
    return factory


def _build(name, **kwargs):
    """``emberaudio.models.<name>(**kwargs)``; ``partial(_build, name, ...)`` is torchaudio's
    ``partial(<name>, ...)`` with the lookup deferred."""
    return _model(name)(**kwargs)


def _load_state_dict_from_url(url, dl_kwargs):
    """``ember.hub.load_state_dict_from_url(url, **dl_kwargs)``: the torch checkpoint read by
    ``ember.load``. Offline it fails at once, naming the file and the hub folder to put it in."""
    return hub.load_state_dict_from_url(url, **({} if dl_kwargs is None else dl_kwargs))


def _download_asset(key):
    """``torchaudio.utils._download_asset(key)``: the local path of
    ``https://download.pytorch.org/torchaudio/<key>``, cached at ``<hub dir>/torchaudio/<key>``.

    Raises:
        RuntimeError: the download failed; the message names the file and the folder to put it
            in.
    """
    path = os.path.join(hub.get_dir(), "torchaudio", key)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _fetch_file(f"https://download.pytorch.org/torchaudio/{key}", path)
    return path


def _load_asset(key):
    """The state dict of the torchaudio asset ``key`` (a ``torch.save`` file)."""
    return ember.load(_download_asset(key))
