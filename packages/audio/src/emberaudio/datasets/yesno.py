"""The YesNo dataset: 60 recordings of eight spoken Hebrew "yes"/"no" words."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .._backend import load
from .utils import _download_and_extract

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "waves_yesno",
        "url": "http://www.openslr.org/resources/1/waves_yesno.tar.gz",
        "checksum": "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73",
    }
}


class YESNO(Dataset):
    """*YesNo* dataset (https://www.openslr.org/1/).

    Reads ``root/<folder_in_archive>/<b0>_<b1>_..._<b7>.wav`` (8 kHz); each file name lists the
    eight labels (0 = no, 1 = yes).

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        url (str, optional): The URL to download the dataset from.
            (default: ``"http://www.openslr.org/resources/1/waves_yesno.tar.gz"``)
        folder_in_archive (str, optional): The top-level directory of the dataset.
            (default: ``"waves_yesno"``)
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
        archive = root / os.path.basename(url)
        self._path = root / folder_in_archive
        if download and not os.path.isdir(self._path):
            _download_and_extract(url, archive, _RELEASE_CONFIGS["release1"]["checksum"])

        if not os.path.isdir(self._path):
            raise RuntimeError(
                f"Dataset not found at {self._path}. Please use `download=True` to download it, "
                f"or extract {archive.name} in {root}."
            )

        self._walker = sorted(str(p.stem) for p in self._path.glob("*.wav"))

    def _load_item(self, fileid, path):
        labels = [int(c) for c in fileid.split("_")]
        waveform, sample_rate = load(os.path.join(path, fileid + ".wav"))
        return waveform, sample_rate, labels

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate),
            List[int] (labels).
        """
        return self._load_item(self._walker[n], self._path)

    def __len__(self):
        return len(self._walker)
