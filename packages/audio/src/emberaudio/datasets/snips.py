"""Snips SmartLights/SmartSpeaker: synthesized spoken commands with intent and IOB labels."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _load_waveform

_SAMPLE_RATE = 16000
_SPEAKERS = [
    "Aditi",
    "Amy",
    "Brian",
    "Emma",
    "Geraint",
    "Ivy",
    "Joanna",
    "Joey",
    "Justin",
    "Kendra",
    "Kimberly",
    "Matthew",
    "Nicole",
    "Raveena",
    "Russell",
    "Salli",
]


def _load_labels(file, subset):
    """Load transcirpt, iob, and intent labels for all utterances.

    Each line is ``<name> BOS <transcript> EOS<TAB>O <iob labels> <intent>``.

    Args:
        file (Path): The path to the label file.
        subset (str): Subset of the dataset to use. Options: [``"train"``, ``"valid"``,
            ``"test"``].

    Returns:
        Dictionary of labels, where the key is the filename of the audio, and the label is a
        Tuple of transcript, Inside–outside–beginning (IOB) label, and intention label.
    """
    labels = {}
    with open(file) as f:
        for line in f:
            line = line.strip().split(" ")
            index = line[0]
            trans, iob_intent = " ".join(line[1:]).split("\t")
            trans = " ".join(trans.split(" ")[1:-1])
            iob = " ".join(iob_intent.split(" ")[1:-1])
            intent = iob_intent.split(" ")[-1]
            if subset in index:
                labels[index] = (trans, iob, intent)
    return labels


class Snips(Dataset):
    """*Snips* dataset (Coucke et al., 2018).

    Reads ``root/SNIPS/<subset>/<speaker>-<name>.<audio_format>`` and the labels in
    ``root/SNIPS/all.iob.snips.txt``.

    Args:
        root (str or Path): Root directory where the dataset's top level directory is found.
        subset (str): Subset of the dataset to use. Options: [``"train"``, ``"valid"``,
            ``"test"``].
        speakers (List[str] or None, optional): The speaker list to include in the dataset.
            If ``None``, include all speakers in the subset. (Default: ``None``)
        audio_format (str, optional): The extension of the audios. Options: [``"mp3"``,
            ``"wav"``]. (Default: ``"mp3"``)
    """

    _trans_file = "all.iob.snips.txt"

    def __init__(self, root, subset, speakers=None, audio_format="mp3"):
        if subset not in ["train", "valid", "test"]:
            raise ValueError('`subset` must be one of ["train", "valid", "test"].')
        if audio_format not in ["mp3", "wav"]:
            raise ValueError('`audio_format` must be one of ["mp3", "wav].')

        root = Path(root)
        self._path = root / "SNIPS"
        self.audio_path = self._path / subset
        if speakers is None:
            speakers = _SPEAKERS

        if not os.path.isdir(self._path):
            raise RuntimeError("Dataset not found.")

        self.audio_paths = self.audio_path.glob(f"*.{audio_format}")
        self.data = []
        for audio_path in sorted(self.audio_paths):
            speaker = str(audio_path.name).split("-")[0]
            if speaker in speakers:
                self.data.append(audio_path)
        self.labels = _load_labels(self._path / self._trans_file, subset)

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to audio, relative to ``root/SNIPS``), int
            (sample rate), str (file name), str (transcription of audio), str
            (inside–outside–beginning (IOB) label of transcription), str (intention label of
            the audio).
        """
        audio_path = self.data[n]
        relpath = os.path.relpath(audio_path, self._path)
        file_name = audio_path.with_suffix("").name
        transcript, iob, intent = self.labels[file_name]
        return relpath, _SAMPLE_RATE, file_name, transcript, iob, intent

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (file
            name), str (transcription of audio), str (inside–outside–beginning (IOB) label of
            transcription), str (intention label of the audio).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._path, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self.data)
