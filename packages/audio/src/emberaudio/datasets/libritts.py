"""LibriTTS: 24 kHz LibriSpeech-derived speech split at sentences, for text-to-speech."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .._backend import load
from .utils import _download_and_extract

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriTTS"
_SUBSETS = [
    "dev-clean",
    "dev-other",
    "test-clean",
    "test-other",
    "train-clean-100",
    "train-clean-360",
    "train-other-500",
]
_CHECKSUMS = {
    "http://www.openslr.org/resources/60/dev-clean.tar.gz": "da0864e1bd26debed35da8a869dd5c04dfc27682921936de7cff9c8a254dbe1a",
    "http://www.openslr.org/resources/60/dev-other.tar.gz": "d413eda26f3a152ac7c9cf3658ef85504dfb1b625296e5fa83727f5186cca79c",
    "http://www.openslr.org/resources/60/test-clean.tar.gz": "234ea5b25859102a87024a4b9b86641f5b5aaaf1197335c95090cde04fe9a4f5",
    "http://www.openslr.org/resources/60/test-other.tar.gz": "33a5342094f3bba7ccc2e0500b9e72d558f72eb99328ac8debe1d9080402f10d",
    "http://www.openslr.org/resources/60/train-clean-100.tar.gz": "c5608bf1ef74bb621935382b8399c5cdd51cd3ee47cec51f00f885a64c6c7f6b",
    "http://www.openslr.org/resources/60/train-clean-360.tar.gz": "ce7cff44dcac46009d18379f37ef36551123a1dc4e5c8e4eb73ae57260de4886",
    "http://www.openslr.org/resources/60/train-other-500.tar.gz": "e35f7e34deeb2e2bdfe4403d88c8fdd5fbf64865cae41f027a185a6965f0a5df",
}


def load_libritts_item(fileid, path, ext_audio, ext_original_txt, ext_normalized_txt):
    """The sample ``<speaker>_<chapter>_<segment>_<utterance>`` of ``path``: its audio and the
    first lines of its original and normalized texts."""
    speaker_id, chapter_id, _, _ = fileid.split("_")
    folder = os.path.join(path, speaker_id, chapter_id)

    waveform, sample_rate = load(os.path.join(folder, fileid + ext_audio))
    with open(os.path.join(folder, fileid + ext_original_txt)) as ft:
        original_text = ft.readline()
    with open(os.path.join(folder, fileid + ext_normalized_txt)) as ft:
        normalized_text = ft.readline()

    return (
        waveform,
        sample_rate,
        original_text,
        normalized_text,
        int(speaker_id),
        int(chapter_id),
        fileid,
    )


class LIBRITTS(Dataset):
    """*LibriTTS* dataset (Zen et al., 2019).

    Reads ``root/<folder_in_archive>/<url>/<speaker>/<chapter>/<id>.wav`` with
    ``<id>.original.txt`` and ``<id>.normalized.txt`` beside each.

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        url (str, optional): The URL to download the dataset from, or the type of the dataset
            to dowload. Allowed type values are ``"dev-clean"``, ``"dev-other"``,
            ``"test-clean"``, ``"test-other"``, ``"train-clean-100"``, ``"train-clean-360"``
            and ``"train-other-500"``. (default: ``"train-clean-100"``)
        folder_in_archive (str, optional): The top-level directory of the dataset.
            (default: ``"LibriTTS"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
    """

    _ext_original_txt = ".original.txt"
    _ext_normalized_txt = ".normalized.txt"
    _ext_audio = ".wav"

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False):
        if url in _SUBSETS:
            url = f"http://www.openslr.org/resources/60/{url}.tar.gz"

        root = os.fspath(root)
        basename = os.path.basename(url)
        archive = os.path.join(root, basename)
        self._path = os.path.join(root, folder_in_archive, basename.split(".")[0])

        if download:
            if not os.path.isdir(self._path):
                _download_and_extract(url, archive, _CHECKSUMS.get(url))
        elif not os.path.exists(self._path):
            raise RuntimeError(
                f"The path {self._path} doesn't exist. "
                "Please check the ``root`` path or set `download=True` to download it"
            )

        self._walker = sorted(str(p.stem) for p in Path(self._path).glob("*/*/*" + self._ext_audio))

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (original
            text), str (normalized text), int (speaker ID), int (chapter ID), str (utterance
            ID).
        """
        return load_libritts_item(
            self._walker[n],
            self._path,
            self._ext_audio,
            self._ext_original_txt,
            self._ext_normalized_txt,
        )

    def __len__(self):
        return len(self._walker)
