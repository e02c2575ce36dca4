"""VCTK 0.92: 110 English speakers with various accents, read speech at 48 kHz (FLAC)."""

from __future__ import annotations

import os

from ember.utils.data import Dataset

from .._backend import load
from .utils import _download_and_extract

URL = "https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip"
_CHECKSUMS = {
    "https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip": "f96258be9fdc2cbff6559541aae7ea4f59df3fcaf5cf963aae5ca647357e359c"
}


class VCTK_092(Dataset):
    """*VCTK 0.92* dataset (Yamagishi et al., 2019).

    Reads ``root/VCTK-Corpus-0.92/txt/<speaker>/<speaker>_<utterance>.txt`` and
    ``wav48_silence_trimmed/<speaker>/<speaker>_<utterance>_<mic_id><audio_ext>``.

    Args:
        root (str): Root directory where the dataset's top level directory is found.
        mic_id (str, optional): Microphone ID. Either ``"mic1"`` or ``"mic2"``.
            (default: ``"mic2"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (default: ``False``). Without network access it fails within seconds, naming
            the archive and the folder to put it in.
        url (str, optional): The URL to download the dataset from.
            (default: ``"https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip"``)
        audio_ext (str, optional): Custom audio extension if dataset is converted to
            non-default audio format.

    Note:
        * All the speeches from speaker ``p315`` will be skipped due to the lack of the
          corresponding text files.
        * All the speeches from ``p280`` will be skipped for ``mic_id="mic2"`` due to the lack
          of the audio files.
        * Some of the speeches from speaker ``p362`` will be skipped due to the lack of the
          audio files.
        * See Also: https://datashare.is.ed.ac.uk/handle/10283/3443
    """

    def __init__(self, root, mic_id="mic2", download=False, url=URL, audio_ext=".flac"):
        if mic_id not in ["mic1", "mic2"]:
            raise RuntimeError(f'`mic_id` has to be either "mic1" or "mic2". Found: {mic_id}')

        archive = os.path.join(root, "VCTK-Corpus-0.92.zip")

        self._path = os.path.join(root, "VCTK-Corpus-0.92")
        self._txt_dir = os.path.join(self._path, "txt")
        self._audio_dir = os.path.join(self._path, "wav48_silence_trimmed")
        self._mic_id = mic_id
        self._audio_ext = audio_ext

        if download and not os.path.isdir(self._path):
            _download_and_extract(url, archive, _CHECKSUMS.get(url), self._path)

        if not os.path.isdir(self._path):
            raise RuntimeError("Dataset not found. Please use `download=True` to download it.")

        # The samples follow the text files; an utterance whose audio is missing for this
        # microphone (all of p280 on mic2, some of p362) is left out.
        self._speaker_ids = sorted(os.listdir(self._txt_dir))
        self._sample_ids = []
        for speaker_id in self._speaker_ids:
            if speaker_id == "p280" and mic_id == "mic2":
                continue
            utterance_dir = os.path.join(self._txt_dir, speaker_id)
            for utterance_file in sorted(
                f for f in os.listdir(utterance_dir) if f.endswith(".txt")
            ):
                utterance_id = os.path.splitext(utterance_file)[0]
                audio_path_mic = os.path.join(
                    self._audio_dir, speaker_id, f"{utterance_id}_{mic_id}{self._audio_ext}"
                )
                if speaker_id == "p362" and not os.path.isfile(audio_path_mic):
                    continue
                self._sample_ids.append(utterance_id.split("_"))

    def _load_text(self, file_path):
        with open(file_path) as file_path:
            return file_path.readlines()[0]

    def _load_audio(self, file_path):
        return load(file_path)

    def _load_sample(self, speaker_id, utterance_id, mic_id):
        transcript_path = os.path.join(
            self._txt_dir, speaker_id, f"{speaker_id}_{utterance_id}.txt"
        )
        audio_path = os.path.join(
            self._audio_dir, speaker_id, f"{speaker_id}_{utterance_id}_{mic_id}{self._audio_ext}"
        )
        transcript = self._load_text(transcript_path)
        waveform, sample_rate = self._load_audio(audio_path)
        return (waveform, sample_rate, transcript, speaker_id, utterance_id)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str
            (transcript), str (speaker ID), str (utterance ID).
        """
        speaker_id, utterance_id = self._sample_ids[n]
        return self._load_sample(speaker_id, utterance_id, self._mic_id)

    def __len__(self):
        return len(self._sample_ids)
