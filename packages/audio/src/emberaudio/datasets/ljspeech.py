"""The LJ Speech dataset: 13,100 clips of one speaker reading, with transcripts."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ember.utils.data import Dataset

from .._backend import load
from .utils import _download_and_extract

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "wavs",
        "url": "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2",
        "checksum": "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5",
    }
}


class LJSPEECH(Dataset):
    """*LJSpeech-1.1* dataset (Ito and Johnson, 2017).

    Reads ``root/LJSpeech-1.1/metadata.csv`` (``id|transcript|normalized transcript`` lines,
    no quoting) and ``root/LJSpeech-1.1/<folder_in_archive>/<id>.wav``.

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        url (str, optional): The URL to download the dataset from.
            (default: ``"https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"``)
        folder_in_archive (str, optional): The top-level directory of the dataset.
            (default: ``"wavs"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
    """

    def __init__(
        self,
        root,
        url=_RELEASE_CONFIGS["release1"]["url"],
        folder_in_archive=_RELEASE_CONFIGS["release1"]["folder_in_archive"],
        download=False,
    ):
        root = Path(root)
        basename = os.path.basename(url)
        archive = root / basename
        basename = Path(basename.split(".tar.bz2")[0])

        self._path = root / basename / folder_in_archive
        self._metadata_path = root / basename / "metadata.csv"

        if download:
            if not os.path.isdir(self._path):
                _download_and_extract(url, archive, _RELEASE_CONFIGS["release1"]["checksum"])
        elif not os.path.exists(self._path):
            raise RuntimeError(
                f"The path {self._path} doesn't exist. "
                "Please check the ``root`` path or set `download=True` to download it"
            )

        with open(self._metadata_path, newline="") as metadata:
            self._flist = list(csv.reader(metadata, delimiter="|", quoting=csv.QUOTE_NONE))

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str
            (transcript), str (normalized transcript).
        """
        fileid, transcript, normalized_transcript = self._flist[n]
        waveform, sample_rate = load(self._path / (fileid + ".wav"))
        return waveform, sample_rate, transcript, normalized_transcript

    def __len__(self):
        return len(self._flist)
