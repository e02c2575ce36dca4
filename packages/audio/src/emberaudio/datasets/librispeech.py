"""The LibriSpeech ASR corpus: 16 kHz read English speech with transcripts."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _download_and_extract, _load_waveform

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriSpeech"
SAMPLE_RATE = 16000
_DATA_SUBSETS = [
    "dev-clean",
    "dev-other",
    "test-clean",
    "test-other",
    "train-clean-100",
    "train-clean-360",
    "train-other-500",
]
_CHECKSUMS = {
    "http://www.openslr.org/resources/12/dev-clean.tar.gz": "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
    "http://www.openslr.org/resources/12/dev-other.tar.gz": "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
    "http://www.openslr.org/resources/12/test-clean.tar.gz": "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
    "http://www.openslr.org/resources/12/test-other.tar.gz": "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
    "http://www.openslr.org/resources/12/train-clean-100.tar.gz": "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
    "http://www.openslr.org/resources/12/train-clean-360.tar.gz": "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
    "http://www.openslr.org/resources/12/train-other-500.tar.gz": "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
}


def _download_librispeech(root, url):
    filename = url + ".tar.gz"
    download_url = "http://www.openslr.org/resources/12/" + filename
    _download_and_extract(download_url, os.path.join(root, filename), _CHECKSUMS.get(download_url))


def _get_librispeech_metadata(fileid, root, folder, ext_audio, ext_txt):
    speaker_id, chapter_id, utterance_id = fileid.split("-")

    fileid_audio = f"{speaker_id}-{chapter_id}-{utterance_id}"
    filepath = os.path.join(folder, speaker_id, chapter_id, f"{fileid_audio}{ext_audio}")

    # the chapter's transcripts: one "<fileid> <TRANSCRIPT>" line per utterance
    file_text = os.path.join(
        root, folder, speaker_id, chapter_id, f"{speaker_id}-{chapter_id}{ext_txt}"
    )
    with open(file_text) as ft:
        for line in ft:
            fileid_text, transcript = line.strip().split(" ", 1)
            if fileid_audio == fileid_text:
                break
        else:
            raise FileNotFoundError(f"Translation not found for {fileid_audio}")

    return (
        filepath,
        SAMPLE_RATE,
        transcript,
        int(speaker_id),
        int(chapter_id),
        int(utterance_id),
    )


class LIBRISPEECH(Dataset):
    """*LibriSpeech* dataset (Panayotov et al., 2015).

    Reads ``root/<folder_in_archive>/<url>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac``
    with the transcripts in ``<speaker>-<chapter>.trans.txt`` beside them.

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        url (str, optional): The type of the dataset to download. Allowed values are
            ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``, ``"test-other"``,
            ``"train-clean-100"``, ``"train-clean-360"`` and ``"train-other-500"``.
            (default: ``"train-clean-100"``)
        folder_in_archive (str, optional): The top-level directory of the dataset.
            (default: ``"LibriSpeech"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False):
        self._url = url
        if url not in _DATA_SUBSETS:
            raise ValueError(f"Invalid url '{url}' given; please provide one of {_DATA_SUBSETS}.")

        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        self._path = os.path.join(root, folder_in_archive, url)

        if not os.path.isdir(self._path):
            if download:
                _download_librispeech(root, url)
            else:
                raise RuntimeError(
                    f"Dataset not found at {self._path}. Please set `download=True` to download the dataset."
                )

        self._walker = sorted(str(p.stem) for p in Path(self._path).glob("*/*/*" + self._ext_audio))

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to audio, relative to
            ``root/<folder_in_archive>``), int (sample rate), str (transcript), int (speaker
            ID), int (chapter ID), int (utterance ID).
        """
        fileid = self._walker[n]
        return _get_librispeech_metadata(
            fileid, self._archive, self._url, self._ext_audio, self._ext_txt
        )

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str
            (transcript), int (speaker ID), int (chapter ID), int (utterance ID).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._archive, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self._walker)
