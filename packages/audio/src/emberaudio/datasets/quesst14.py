"""QUESST 2014: query-by-example spoken term detection in six languages (8 kHz)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _download_and_extract, _load_waveform

URL = "https://speech.fit.vutbr.cz/files/quesst14Database.tgz"
SAMPLE_RATE = 8000
_CHECKSUM = "4f869e06bc066bbe9c5dde31dbd3909a0870d70291110ebbb38878dcbc2fc5e4"
_LANGUAGES = [
    "albanian",
    "basque",
    "czech",
    "nnenglish",
    "romanian",
    "slovak",
]
_SUBSET_LISTS = {
    "docs": "language_key_utterances.lst",
    "dev": "language_key_dev.lst",
    "eval": "language_key_eval.lst",
}


class QUESST14(Dataset):
    """*QUESST14* dataset (Anguera et al., 2015).

    Reads ``root/quesst14Database/scoring/language_key_<utterances|dev|eval>.lst``
    (``<folder>/<file> <language>`` lines) and the audio files they name under
    ``root/quesst14Database``; an archive ``root/quesst14Database.tgz`` is extracted on first
    use.

    Args:
        root (str or Path): Root directory where the dataset's top level directory is found
        subset (str): Subset of the dataset to use. Options: [``"docs"``, ``"dev"``, ``"eval"``].
        language (str or None, optional): Language to get dataset for.
            Options: [``None``, ``albanian``, ``basque``, ``czech``, ``nnenglish``,
            ``romanian``, ``slovak``]. If ``None``, dataset consists of all languages.
            (default: ``"nnenglish"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
    """

    def __init__(self, root, subset, language="nnenglish", download=False):
        if subset not in _SUBSET_LISTS:
            raise ValueError("`subset` must be one of ['docs', 'dev', 'eval']")

        if language is not None and language not in _LANGUAGES:
            raise ValueError(f"`language` must be None or one of {_LANGUAGES}")

        root = os.fspath(root)
        basename = os.path.basename(URL)
        archive = os.path.join(root, basename)
        self._path = os.path.join(root, basename.rsplit(".", 2)[0])

        if not os.path.isdir(self._path):
            if not os.path.isfile(archive) and not download:
                raise RuntimeError("Dataset not found. Please use `download=True` to download")
            _download_and_extract(URL, archive, _CHECKSUM, root)

        self.data = filter_audio_paths(self._path, language, _SUBSET_LISTS[subset])

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to audio, relative to
            ``root/quesst14Database``), int (sample rate), str (file name).
        """
        audio_path = self.data[n]
        relpath = os.path.relpath(audio_path, self._path)
        return relpath, SAMPLE_RATE, audio_path.with_suffix("").name

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (file name).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._path, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self.data)


def filter_audio_paths(path, language, lst_name):
    """Extract audio paths for the given language."""
    audio_paths = []

    path = Path(path)
    with open(path / "scoring" / lst_name) as f:
        for line in f:
            audio_path, lang = line.strip().split()
            if language is not None and lang != language:
                continue
            # the list's paths start with the archive's folder name; drop it
            audio_path = re.sub(r"^.*?\/", "", audio_path)
            audio_paths.append(path / audio_path)

    return audio_paths
