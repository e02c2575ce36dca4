"""The Speech Commands dataset (v0.01 and v0.02): one-second 16 kHz keyword recordings."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _download_and_extract, _load_waveform

FOLDER_IN_ARCHIVE = "SpeechCommands"
URL = "speech_commands_v0.02"
HASH_DIVIDER = "_nohash_"
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000
_CHECKSUMS = {
    "http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz": "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
    "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz": "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
}
_SUBSETS = ["training", "validation", "testing"]


def _load_list(root, *filenames):
    output = []
    for filename in filenames:
        with open(os.path.join(root, filename)) as fileobj:
            output += [os.path.normpath(os.path.join(root, line.strip())) for line in fileobj]
    return output


def _get_speechcommands_metadata(filepath, path):
    relpath = os.path.relpath(filepath, path)
    reldir, filename = os.path.split(relpath)
    _, label = os.path.split(reldir)
    # Files of the "speech_commands_test_set_v0.0x" archives (an alternative split, see
    # tensorflow_datasets' checksums) may be named "xxx.wav.wav": strip the extension twice.
    speaker, _ = os.path.splitext(filename)
    speaker, _ = os.path.splitext(speaker)
    speaker_id, utterance_number = speaker.split(HASH_DIVIDER)
    return relpath, SAMPLE_RATE, label, speaker_id, int(utterance_number)


class SPEECHCOMMANDS(Dataset):
    """*Speech Commands* dataset (Warden, 2018).

    Reads ``root/<folder_in_archive>/speech_commands_v0.0x/<label>/<speaker>_nohash_<n>.wav``;
    the ``_background_noise_`` folder is left out.

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        url (str, optional): The URL to download the dataset from, or the type of the dataset
            to download. Allowed type values are ``"speech_commands_v0.01"`` and
            ``"speech_commands_v0.02"`` (default: ``"speech_commands_v0.02"``)
        folder_in_archive (str, optional): The top-level directory of the dataset.
            (default: ``"SpeechCommands"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
        subset (str or None, optional): Select a subset of the dataset [None, "training",
            "validation", "testing"]. None means the whole dataset. "validation" and "testing"
            are defined in "validation_list.txt" and "testing_list.txt", respectively, and
            "training" is the rest. (Default: ``None``)
    """

    def __init__(
        self,
        root,
        url=URL,
        folder_in_archive=FOLDER_IN_ARCHIVE,
        download=False,
        subset=None,
    ):
        if subset is not None and subset not in _SUBSETS:
            raise ValueError(
                "When `subset` is not None, it must be one of ['training', 'validation', 'testing']."
            )

        if url in ["speech_commands_v0.01", "speech_commands_v0.02"]:
            url = "http://download.tensorflow.org/data/" + url + ".tar.gz"

        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)

        basename = os.path.basename(url)
        archive = os.path.join(root, basename)
        basename = basename.rsplit(".", 2)[0]
        self._path = os.path.join(root, folder_in_archive, basename)

        if download:
            if not os.path.isdir(self._path):
                _download_and_extract(url, archive, _CHECKSUMS.get(url), self._path)
        elif not os.path.exists(self._path):
            raise RuntimeError(
                f"The path {self._path} doesn't exist. "
                "Please check the ``root`` path or set `download=True` to download it"
            )

        if subset == "validation":
            self._walker = _load_list(self._path, "validation_list.txt")
        elif subset == "testing":
            self._walker = _load_list(self._path, "testing_list.txt")
        else:
            walker = sorted(str(p) for p in Path(self._path).glob("*/*.wav"))
            walker = [w for w in walker if HASH_DIVIDER in w and EXCEPT_FOLDER not in w]
            if subset == "training":
                excludes = set(_load_list(self._path, "validation_list.txt", "testing_list.txt"))
                walker = [w for w in walker if os.path.normpath(w) not in excludes]
            self._walker = walker

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to the audio, relative to
            ``root/<folder_in_archive>``), int (sample rate), str (label), str (speaker ID),
            int (utterance number).
        """
        return _get_speechcommands_metadata(self._walker[n], self._archive)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (label),
            str (speaker ID), int (utterance number).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._archive, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self._walker)
