"""Mozilla Common Voice: crowd-sourced read speech in many languages, with tsv metadata."""

from __future__ import annotations

import csv
import os

from ember.utils.data import Dataset

from .._backend import load


def load_commonvoice_item(line, header, path, folder_audio, ext_audio):
    """``(waveform, sample_rate, {column: value})`` of one tsv row (client_id, path,
    sentence, up_votes, down_votes, age, gender, accent, ...)."""
    if header[1] != "path":
        raise ValueError(f"expect `header[1]` to be 'path', but got {header[1]}")
    fileid = line[1]
    filename = os.path.join(path, folder_audio, fileid)
    if not filename.endswith(ext_audio):
        filename += ext_audio
    waveform, sample_rate = load(filename)

    return waveform, sample_rate, dict(zip(header, line))


class COMMONVOICE(Dataset):
    """*CommonVoice* dataset (Ardila et al., 2020).

    Reads ``root/<tsv>`` (a header row, then one row per clip) and the clips in
    ``root/clips/<path>.mp3``.

    Args:
        root (str or Path): Path to the directory where the dataset is located.
            (Where the ``tsv`` file is present.)
        tsv (str, optional): The name of the tsv file used to construct the metadata, such as
            ``"train.tsv"``, ``"test.tsv"``, ``"dev.tsv"``, ``"invalidated.tsv"``,
            ``"validated.tsv"`` and ``"other.tsv"``. (default: ``"train.tsv"``)
    """

    _ext_txt = ".txt"
    _ext_audio = ".mp3"
    _folder_audio = "clips"

    def __init__(self, root, tsv="train.tsv"):
        self._path = os.fspath(root)
        self._tsv = os.path.join(self._path, tsv)

        with open(self._tsv) as tsv_:
            walker = csv.reader(tsv_, delimiter="\t")
            self._header = next(walker)
            self._walker = list(walker)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate),
            Dict[str, str] (the clip's row of the TSV file, keyed by the header:
            ``"client_id"``, ``"path"``, ``"sentence"``, ``"up_votes"``, ``"down_votes"``,
            ``"age"``, ``"gender"``, ``"accent"``, ...).
        """
        line = self._walker[n]
        return load_commonvoice_item(
            line, self._header, self._path, self._folder_audio, self._ext_audio
        )

    def __len__(self):
        return len(self._walker)
