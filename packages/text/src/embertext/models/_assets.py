"""What the bundles read: checkpoints, files named by URL, SentencePiece models and the
``torch.save``-d torchtext ``Vocab`` objects.

torchtext fetches these through ``torchtext.utils.get_asset_local_path`` (into
``$TORCH_HOME/text``) and ``torch.hub.load_state_dict_from_url`` (the hub's ``checkpoints``
folder); the same folders are used here, so files torchtext downloaded are reused. A
SentencePiece model needs the ``sentencepiece`` package (the ``embertext[sentencepiece]``
extra), imported only when one is loaded.
"""

from __future__ import annotations

import os
import pickle
import urllib.parse
import zipfile
from collections import OrderedDict

import ember
from ember import hub, nn
from ember.utils._download import placement_hint

from ..utils import download_from_url
from ..vocab import Vocab

_TEXT_BUCKET = "https://download.pytorch.org/models/text/"


def _cache_dir():
    """torchtext's ``_CACHE_DIR``: ``$TORCH_HOME/text``."""
    cache = os.getenv("XDG_CACHE_HOME", "~/.cache")
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))
    return os.path.join(torch_home, "text")


def _asset_path(asset_path, root=None):
    """The local path of ``asset_path``: itself if that file exists, else the file the URL is
    downloaded to in ``root`` (default ``$TORCH_HOME/text``; a file already there is reused).

    Raises:
        RuntimeError: the download failed; the message says where to put the file.
    """
    if os.path.exists(asset_path):
        return asset_path
    root = _cache_dir() if root is None else root
    try:
        return download_from_url(asset_path, root=root)
    except OSError as error:  # URLError and timeouts are OSErrors
        name = os.path.basename(urllib.parse.urlparse(asset_path).path)
        hint = placement_hint(root, [name])
        raise RuntimeError(f"Error downloading {asset_path}: {error}\n{hint}") from error


def _state_dict(checkpoint, dl_kwargs):
    """The state dict a bundle's ``build_model`` is given: ``checkpoint`` itself, or the
    checkpoint at that URL (``ember.hub.load_state_dict_from_url(checkpoint, **dl_kwargs)``).

    Raises:
        TypeError: ``checkpoint`` is neither.
        RuntimeError: the download failed; the message says where to put the file.
    """
    if isinstance(checkpoint, dict) and all(
        isinstance(k, str) and isinstance(v, ember.Tensor) for k, v in checkpoint.items()
    ):
        return checkpoint
    if isinstance(checkpoint, str):
        return hub.load_state_dict_from_url(checkpoint, **(dl_kwargs or {}))
    raise TypeError(
        f"checkpoint must be of type `str` or `Dict[str, torch.Tensor]` but got {type(checkpoint)}"
    )


def load_sp_model(path):
    """A ``sentencepiece.SentencePieceProcessor`` loaded from the model file at ``path``.

    Raises:
        RuntimeError: the ``sentencepiece`` package is not installed.
    """
    try:
        import sentencepiece
    except ImportError:
        raise RuntimeError(
            "SentencePiece models need the sentencepiece package: pip install sentencepiece "
            "(or embertext[sentencepiece])"
        ) from None
    return sentencepiece.SentencePieceProcessor(model_file=_asset_path(path))


class SentencePieceTokenizer(nn.Module):
    """Transform for Sentence Piece tokenizer from pre-trained sentencepiece model
    (``torchtext.transforms.SentencePieceTokenizer``).

    Args:
        sp_model_path (str): path (or URL) to pre-trained sentencepiece model.
    """

    def __init__(self, sp_model_path):
        super().__init__()
        self.sp_model = load_sp_model(sp_model_path)

    def forward(self, input):
        """
        Args:
            input (str | list[str]): input sentence or list of sentences on which to apply
                tokenizer.

        Returns:
            list[str] | list[list[str]]: the pieces of each sentence.
        """
        if isinstance(input, list) and all(isinstance(text, str) for text in input):
            return [self.sp_model.EncodeAsPieces(text) for text in input]
        if isinstance(input, str):
            return self.sp_model.EncodeAsPieces(input)
        raise TypeError("Input type not supported")


# ------------------------------------------------------------------ torchtext Vocab files


class _Saved:
    """Stands for one of torchtext's ``Vocab`` classes in a pickle: keeps the state the
    pickle gives it and nothing else (no code of the file's runs)."""

    def __setstate__(self, state):
        self.state = state


class _VocabUnpickler(pickle.Unpickler):
    """Reads a pickled torchtext ``Vocab`` (an ``nn.Module`` holding the C++ vocab, whose
    state is ``(version, [default_index], itos, [])``); every other global is refused."""

    _ALLOWED = {
        ("collections", "OrderedDict"): OrderedDict,
        ("builtins", "set"): set,
        ("__builtin__", "set"): set,
    }

    def find_class(self, module, name):
        if name == "Vocab" and module.split(".")[0] == "torchtext":
            return _Saved
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"global {module}.{name} is not part of a torchtext Vocab")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("a torchtext Vocab holds no tensors")


def _read_vocab_file(path):
    """The ``Vocab`` in a file that ``torch.save`` wrote from a ``torchtext.vocab.Vocab``.

    Raises:
        ValueError: naming the file, when it is not such a file.
    """
    problem = f"can't read torchtext Vocab file {path}"
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith("/data.pkl")), None)
            if name is None:
                raise ValueError(f"{problem}: it has no data.pkl record")
            saved = _VocabUnpickler(archive.open(name), encoding="utf-8").load()
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, TypeError) as error:
        raise ValueError(f"{problem}: {error}") from None
    try:
        state = saved.state
        if isinstance(state, dict):  # the Python module around the C++ vocab
            state = state["vocab"].state
        _, integers, itos, _ = state
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ValueError(f"{problem}: it does not hold a torchtext Vocab") from None
    vocab = Vocab(itos)
    if integers:
        vocab.set_default_index(integers[0])
    return vocab


def load_vocab_from_url(url):
    """``torch.hub.load_state_dict_from_url(url)`` for a saved torchtext ``Vocab``: the file is
    downloaded into the hub's ``checkpoints`` folder (or found there) and read as a ``Vocab``.
    """
    return _read_vocab_file(_asset_path(url, os.path.join(hub.get_dir(), "checkpoints")))
