"""IEMOCAP: dyadic acted sessions with utterance-level emotion labels."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _load_waveform

_SAMPLE_RATE = 16000
_LABELS = ["neu", "hap", "ang", "sad", "exc", "fru"]


def _get_wavs_paths(data_dir):
    wav_dir = data_dir / "sentences" / "wav"
    wav_paths = sorted(str(p) for p in wav_dir.glob("*/*.wav"))
    # relative to the dataset folder: "Session1/sentences/wav/<dialog>/<utterance>.wav"
    return [wav_path[wav_path.find("Session") :] for wav_path in wav_paths]


class IEMOCAP(Dataset):
    """*IEMOCAP* dataset (Busso et al., 2008).

    Reads ``root/IEMOCAP/Session<k>/sentences/wav/<dialog>/<utterance>.wav`` and the labels in
    ``Session<k>/dialog/EmoEvaluation/<dialog>.txt`` (``[start - end]<TAB>utterance<TAB>label``
    lines); utterances labelled other than ``neu``, ``hap``, ``ang``, ``sad``, ``exc`` or
    ``fru`` are left out.

    Args:
        root (str or Path): Root directory where the dataset's top level directory is found
        sessions (Tuple[int]): Tuple of sessions (1-5) to use. (Default: ``(1, 2, 3, 4, 5)``)
        utterance_type (str or None, optional): Which type(s) of utterances to include in the
            dataset. Options: ("scripted", "improvised", ``None``). If ``None``, both scripted
            and improvised data are used.
    """

    def __init__(self, root, sessions=(1, 2, 3, 4, 5), utterance_type=None):
        root = Path(root)
        self._path = root / "IEMOCAP"

        if not os.path.isdir(self._path):
            raise RuntimeError("Dataset not found.")

        if utterance_type not in ["scripted", "improvised", None]:
            raise ValueError("utterance_type must be one of ['scripted', 'improvised', or None]")

        all_data = set()  # every session's utterances so far (a set: looked up per label line)
        self.data = []
        self.mapping = {}

        for session in sessions:
            session_dir = self._path / f"Session{session}"

            wav_paths = _get_wavs_paths(session_dir)
            all_data.update(str(Path(wav_path).stem) for wav_path in wav_paths)

            label_dir = session_dir / "dialog" / "EmoEvaluation"
            query = "*.txt"
            if utterance_type == "scripted":
                query = "*script*.txt"
            elif utterance_type == "improvised":
                query = "*impro*.txt"

            for label_path in label_dir.glob(query):
                with open(label_path) as f:
                    for line in f:
                        if not line.startswith("["):
                            continue
                        line = re.split("[\t\n]", line)
                        wav_stem, label = line[1], line[2]
                        if wav_stem not in all_data or label not in _LABELS:
                            continue
                        self.mapping[wav_stem] = {"label": label}

            for wav_path in wav_paths:
                wav_stem = str(Path(wav_path).stem)
                if wav_stem in self.mapping:
                    self.data.append(wav_stem)
                    self.mapping[wav_stem]["path"] = wav_path

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:meth:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to audio, relative to ``root/IEMOCAP``),
            int (sample rate), str (file name), str (label: one of ``"neu"``, ``"hap"``,
            ``"ang"``, ``"sad"``, ``"exc"``, ``"fru"``), str (speaker).
        """
        wav_stem = self.data[n]
        wav_path = self.mapping[wav_stem]["path"]
        label = self.mapping[wav_stem]["label"]
        speaker = wav_stem.split("_")[0]
        return (wav_path, _SAMPLE_RATE, wav_stem, label, speaker)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str (file
            name), str (label: one of ``"neu"``, ``"hap"``, ``"ang"``, ``"sad"``, ``"exc"``,
            ``"fru"``), str (speaker).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._path, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self.data)
