"""GTZAN: 1,000 thirty-second music clips, 100 in each of ten genres."""

from __future__ import annotations

import os

from ember.utils.data import Dataset

from .._backend import load
from .utils import _download_and_extract

URL = "http://opihi.cs.uvic.ca/sound/genres.tar.gz"
FOLDER_IN_ARCHIVE = "genres"
_CHECKSUMS = {
    "http://opihi.cs.uvic.ca/sound/genres.tar.gz": "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"
}

gtzan_genres = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
]

# The filtered split of jordipons/sklearn-audio-transfer-learning (used for ``subset``): it
# leaves out GTZAN's duplicated clips. The clip numbers of each genre, as runs "first-last".
_FILTERED_SPLIT = {
    "training": {
        "blues": "29-49 73-97",
        "classical": "30-33 43-48 50-67 80-99",
        "country": "19-26 28-29 65-99",
        "disco": "5 15-20 22-37 39-45 47 49 53-54 56-57 59 61 70 73-74 89",
        "hiphop": "2-25 28-29 31-38 41-42 55-61 77-80",
        "jazz": "0-1 11-24 41 47-72",
        "metal": "2-3 5 21 24 35 46-57 59-66 69 71-72 79-80 84 86 89-99",
        "pop": "2-9 11-12 16-20 23-29 31-36 38-42 44 46 49-50 80 97-99",
        "reggae": "0-2 4 6 9 11-12 14-32 42-45 49-51 54-60 63 69",
        "rock": "0-9 16-26 57-70 91-99",
    },
    "validation": {
        "blues": "0-11 50-60",
        "classical": "0-10 68-76",
        "country": "0-7 9-18 27 41-42 45 49",
        "disco": "0 2-4 6-14 46 48 52 67-68 72 75 90 95",
        "hiphop": "81-98",
        "jazz": "2-10 25-32",
        "metal": "0-1 6-11 16-20 36-37 68 76-77 81-82",
        "pop": "10 53 55 58-62 81 83-86",
        "reggae": "61-62 70 72 74 76-78 85 92-99",
        "rock": "38 49-56 71-85",
    },
    "testing": {
        "blues": "12-28 61-72 98-99",
        "classical": "11-29 34-41 49 77-79",
        "country": "30-40 43-44 46-48 50-51 53-64",
        "disco": "1 21 58 62-66 69 76-88 91-94 96-97 99",
        "hiphop": "0 26-27 30 40 43-45 51-54 62-75 99",
        "jazz": "73-99",
        "metal": "12-15 22-23 25-33 38-39 67 70 73-75 78 83 85 87-88",
        "pop": "0-1 13-14 43 63-66 69-79 82 88-96",
        "reggae": "34-40 46-48 52-53 64-68 71 79 82-84 87-90",
        "rock": "10-15 27-37 39-48 86-90",
    },
}


def _expand(runs):
    """``{"blues": "0-2 7"}`` -> ``["blues.00000", "blues.00001", "blues.00002", "blues.00007"]``."""
    names = []
    for genre, spans in runs.items():
        for span in spans.split():
            first, _, last = span.partition("-")
            names += [f"{genre}.{i:05d}" for i in range(int(first), int(last or first) + 1)]
    return names


filtered_train = _expand(_FILTERED_SPLIT["training"])
filtered_valid = _expand(_FILTERED_SPLIT["validation"])
filtered_test = _expand(_FILTERED_SPLIT["testing"])
_SUBSETS = {"training": filtered_train, "validation": filtered_valid, "testing": filtered_test}


def load_gtzan_item(fileid, path, ext_audio):
    """``(waveform, sample_rate, genre)`` of ``path/<genre>/<genre>.<number><ext_audio>``."""
    label, _ = fileid.split(".")
    waveform, sample_rate = load(os.path.join(path, label, fileid + ext_audio))
    return waveform, sample_rate, label


class GTZAN(Dataset):
    """*GTZAN* dataset (Tzanetakis et al., 2001).

    Reads ``root/<folder_in_archive>/<genre>/<genre>.<5-digit number>.wav``.

    Note:
        Please see http://marsyas.info/downloads/datasets.html if you are planning to use
        this dataset to publish results.

    Note:
        As of October 2022, the download link is not currently working. Setting
        ``download=True`` in GTZAN dataset will result in a URL connection error.

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        url (str, optional): The URL to download the dataset from.
            (default: ``"http://opihi.cs.uvic.ca/sound/genres.tar.gz"``)
        folder_in_archive (str, optional): The top-level directory of the dataset.
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
        subset (str or None, optional): Which subset of the dataset to use.
            One of ``"training"``, ``"validation"``, ``"testing"`` or ``None``.
            If ``None``, the entire dataset is used. (default: ``None``).
    """

    _ext_audio = ".wav"

    def __init__(
        self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False, subset=None
    ):
        root = os.fspath(root)

        self.root = root
        self.url = url
        self.folder_in_archive = folder_in_archive
        self.download = download
        self.subset = subset

        if subset is not None and subset not in _SUBSETS:
            raise ValueError(
                "When `subset` is not None, it must be one of ['training', 'validation', 'testing']."
            )

        archive = os.path.join(root, os.path.basename(url))
        self._path = os.path.join(root, folder_in_archive)

        if download and not os.path.isdir(self._path):
            _download_and_extract(url, archive, _CHECKSUMS.get(url))

        if not os.path.isdir(self._path):
            raise RuntimeError("Dataset not found. Please use `download=True` to download it.")

        if self.subset is None:
            # Every "<genre>.<5 digits>.wav" file in the genre folders, so that clips can be
            # removed, or moved to another genre's folder to relabel them.
            self._walker = []
            root = os.path.expanduser(self._path)
            for directory in gtzan_genres:
                fulldir = os.path.join(root, directory)
                if not os.path.exists(fulldir):
                    continue
                for fname in sorted(os.listdir(fulldir)):
                    name, ext = os.path.splitext(fname)
                    if ext.lower() == ".wav" and "." in name:
                        genre, num = name.split(".")
                        if genre in gtzan_genres and len(num) == 5 and num.isdigit():
                            self._walker.append(name)
        else:
            self._walker = _SUBSETS[self.subset]

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (label).
        """
        return load_gtzan_item(self._walker[n], self._path, self._ext_audio)

    def __len__(self):
        return len(self._walker)
