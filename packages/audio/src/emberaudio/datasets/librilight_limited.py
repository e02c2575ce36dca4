"""Libri-light limited: the 10 min / 1 h / 10 h labelled LibriSpeech subsets for fine-tuning."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .._backend import load
from .librispeech import _get_librispeech_metadata
from .utils import _download_and_extract

_ARCHIVE_NAME = "librispeech_finetuning"
_URL = "https://dl.fbaipublicfiles.com/librilight/data/librispeech_finetuning.tgz"
_CHECKSUM = "5d1efdc777b548194d7e09ba89126e2188026df9fd57aa57eb14408d2b2342af"
_SUBSET_MAP = {"10min": ["1h/0"], "1h": ["1h/*"], "10h": ["1h/*", "9h"]}


def _get_fileids_paths(path, folders, _ext_audio):
    """``(subset folder, file id)`` of each audio file under ``path/<folder>``, sorted.

    The files are ``path/1h/[0-5]/[clean|other]/<speaker>/<chapter>/<id><ext>`` and
    ``path/9h/[clean|other]/<speaker>/<chapter>/<id><ext>``; the subset folder is the part
    before ``<speaker>``, e.g. ``"1h/0/clean"``.
    """
    path = Path(path)
    files_paths = []
    for folder in folders:
        paths = [p.relative_to(path) for p in path.glob(f"{folder}/*/*/*/*{_ext_audio}")]
        files_paths += [(str(p.parent.parent.parent), str(p.stem)) for p in paths]
    files_paths.sort(key=lambda x: x[0] + x[1])
    return files_paths


class LibriLightLimited(Dataset):
    """Subset of Libri-light dataset (Kahn et al., 2020), which was used in HuBERT (Hsu et al.,
    2021) for supervised fine-tuning.

    Reads ``root/librispeech_finetuning/``; an archive ``root/librispeech_finetuning.tgz`` is
    extracted on first use.

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        subset (str, optional): The subset to use. Options: [``"10min"``, ``"1h"``, ``"10h"``]
            (Default: ``"10min"``).
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, subset="10min", download=False):
        if subset not in _SUBSET_MAP:
            raise ValueError(f"`subset` must be one of {_SUBSET_MAP.keys()}. Found: {subset}")
        folders = _SUBSET_MAP[subset]

        root = os.fspath(root)
        self._path = os.path.join(root, _ARCHIVE_NAME)
        archive = os.path.join(root, f"{_ARCHIVE_NAME}.tgz")
        if not os.path.isdir(self._path):
            if not download:
                raise RuntimeError("Dataset not found. Please use `download=True` to download")
            _download_and_extract(_URL, archive, _CHECKSUM)
        self._fileids_paths = _get_fileids_paths(self._path, folders, self._ext_audio)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str
            (transcript), int (speaker ID), int (chapter ID), int (utterance ID).
        """
        file_path, fileid = self._fileids_paths[n]
        metadata = _get_librispeech_metadata(
            fileid, self._path, file_path, self._ext_audio, self._ext_txt
        )
        waveform, _ = load(os.path.join(self._path, metadata[0]))
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self._fileids_paths)
