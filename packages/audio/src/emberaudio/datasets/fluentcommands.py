"""Fluent Speech Commands: 16 kHz spoken commands labelled with action, object and location."""

from __future__ import annotations

import csv
import os

from ember.utils.data import Dataset

from .utils import _load_waveform

SAMPLE_RATE = 16000


class FluentSpeechCommands(Dataset):
    """*Fluent Speech Commands* dataset (Lugosch et al., 2019).

    Reads ``root/fluent_speech_commands_dataset/data/<subset>_data.csv`` (columns
    ``index, path, speakerId, transcription, action, object, location``) and
    ``wavs/speakers/<speaker>/<file>.wav``.

    Args:
        root (str of Path): Path to the directory where the dataset is found.
        subset (str, optional): subset of the dataset to use.
            Options: [``"train"``, ``"valid"``, ``"test"``]. (Default: ``"train"``)
    """

    def __init__(self, root, subset="train"):
        if subset not in ["train", "valid", "test"]:
            raise ValueError("`subset` must be one of ['train', 'valid', 'test']")

        root = os.fspath(root)
        self._path = os.path.join(root, "fluent_speech_commands_dataset")

        if not os.path.isdir(self._path):
            raise RuntimeError("Dataset not found.")

        subset_path = os.path.join(self._path, "data", f"{subset}_data.csv")
        with open(subset_path) as subset_csv:
            data = list(csv.reader(subset_csv))

        self.header = data[0]
        self.data = data[1:]

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to audio, relative to
            ``root/fluent_speech_commands_dataset``), int (sample rate), str (file name), str
            (speaker ID), str (transcription), str (action), str (object), str (location).
        """
        sample = self.data[n]

        file_name = sample[self.header.index("path")].split("/")[-1]
        file_name = file_name.split(".")[0]
        speaker_id, transcription, action, obj, location = sample[2:]
        file_path = os.path.join("wavs", "speakers", speaker_id, f"{file_name}.wav")

        return file_path, SAMPLE_RATE, file_name, speaker_id, transcription, action, obj, location

    def __len__(self):
        return len(self.data)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (file
            name), str (speaker ID), str (transcription), str (action), str (object), str
            (location).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._path, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]
