"""Device Recorded VCTK (small subset): clean 16 kHz VCTK speech paired with re-recordings."""

from __future__ import annotations

from pathlib import Path

from ember.utils.data import Dataset

from .._backend import load
from .utils import _download_and_extract

_URL = "https://datashare.ed.ac.uk/bitstream/handle/10283/3038/DR-VCTK.zip"
_CHECKSUM = "781f12f4406ed36ed27ae3bce55da47ba176e2d8bae67319e389e07b2c9bd769"
_SUPPORTED_SUBSETS = {"train", "test"}


class DR_VCTK(Dataset):
    """*Device Recorded VCTK (Small subset version)* dataset (Sarfjoo and Yamagishi, 2018).

    Reads ``root/DR-VCTK/DR-VCTK/``: ``clean_<subset>set_wav_16k/<file>.wav``,
    ``device-recorded_<subset>set_wav_16k/<file>.wav`` and
    ``configurations/<subset>_ch_log.txt`` (tab-separated ``file source channel`` rows after a
    header). An archive ``root/DR-VCTK.zip`` is extracted on first use.

    Args:
        root (str or Path): Root directory where the dataset's top level directory is found.
        subset (str): The subset to use. Can be one of ``"train"`` and ``"test"``.
            (default: ``"train"``).
        download (bool): Whether to download the dataset if it is not found at root path.
            (default: ``False``). Without network access it fails within seconds, naming the
            archive and the folder to put it in.
        url (str): The URL to download the dataset from.
            (default: ``"https://datashare.ed.ac.uk/bitstream/handle/10283/3038/DR-VCTK.zip"``)
    """

    def __init__(self, root, subset="train", *, download=False, url=_URL):
        if subset not in _SUPPORTED_SUBSETS:
            raise RuntimeError(
                f"The subset '{subset}' does not match any of the supported subsets: {_SUPPORTED_SUBSETS}"
            )

        root = Path(root).expanduser()
        archive = root / "DR-VCTK.zip"

        self._subset = subset
        self._path = root / "DR-VCTK" / "DR-VCTK"
        self._clean_audio_dir = self._path / f"clean_{self._subset}set_wav_16k"
        self._noisy_audio_dir = self._path / f"device-recorded_{self._subset}set_wav_16k"
        self._config_filepath = self._path / "configurations" / f"{self._subset}_ch_log.txt"

        if not self._path.is_dir():
            if not archive.is_file() and not download:
                raise RuntimeError("Dataset not found. Please use `download=True` to download it.")
            _download_and_extract(url, archive, _CHECKSUM, root)

        self._config = self._load_config(self._config_filepath)
        self._filename_list = sorted(self._config)

    def _load_config(self, filepath):
        # the train log has two header rows, the test log one
        skip_rows = 2 if self._subset == "train" else 1

        config = {}
        with open(filepath) as f:
            for i, line in enumerate(f):
                if i < skip_rows or not line:
                    continue
                filename, source, channel_id = line.strip().split("\t")
                config[filename] = (source, int(channel_id))
        return config

    def _load_dr_vctk_item(self, filename):
        speaker_id, utterance_id = filename.split(".")[0].split("_")
        source, channel_id = self._config[filename]
        waveform_clean, sample_rate_clean = load(self._clean_audio_dir / filename)
        waveform_noisy, sample_rate_noisy = load(self._noisy_audio_dir / filename)
        return (
            waveform_clean,
            sample_rate_clean,
            waveform_noisy,
            sample_rate_noisy,
            speaker_id,
            utterance_id,
            source,
            channel_id,
        )

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (clean waveform), int (sample rate of the
            clean waveform), Tensor (noisy waveform), int (sample rate of the noisy waveform),
            str (speaker ID), str (utterance ID), str (source), int (channel ID).
        """
        return self._load_dr_vctk_item(self._filename_list[n])

    def __len__(self):
        return len(self._filename_list)
