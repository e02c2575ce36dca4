"""VoxCeleb1: 16 kHz utterances of 1,251 celebrities from YouTube, for speaker recognition."""

from __future__ import annotations

import os

from ember.utils._download import extract_archive
from ember.utils.data import Dataset

from ._fetch import _fetch_file
from .utils import _load_waveform

SAMPLE_RATE = 16000
_ARCHIVE_CONFIGS = {
    "dev": {
        "archive_name": "vox1_dev_wav.zip",
        "urls": [
            "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/vox1_dev_wav_partaa",
            "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/vox1_dev_wav_partab",
            "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/vox1_dev_wav_partac",
            "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/vox1_dev_wav_partad",
        ],
        "checksums": [
            "21ec6ca843659ebc2fdbe04b530baa4f191ad4b0971912672d92c158f32226a0",
            "311d21e0c8cbf33573a4fce6c80e5a279d80736274b381c394319fc557159a04",
            "92b64465f2b2a3dc0e4196ae8dd6828cbe9ddd1f089419a11e4cbfe2e1750df0",
            "00e6190c770b27f27d2a3dd26ee15596b17066b715ac111906861a7d09a211a5",
        ],
    },
    "test": {
        "archive_name": "vox1_test_wav.zip",
        "url": "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/vox1_test_wav.zip",
        "checksum": "8de57f347fe22b2c24526e9f444f689ecf5096fc2a92018cf420ff6b5b15eaea",
    },
}
_IDEN_SPLIT_URL = "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/iden_split.txt"
_VERI_TEST_URL = "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/veri_test.txt"


def _download_extract_wavs(root):
    """Fetch ``vox1_dev_wav.zip`` (served in four parts, joined here) and ``vox1_test_wav.zip``
    into ``root`` unless they are there (a part already in ``root`` is reused), and extract
    both into ``root``."""
    dev = _ARCHIVE_CONFIGS["dev"]
    dev_path = os.path.join(root, dev["archive_name"])
    if not os.path.isfile(dev_path):
        parts = []
        for url, checksum in zip(dev["urls"], dev["checksums"]):
            part = os.path.join(root, os.path.basename(url))
            if not os.path.isfile(part):
                _fetch_file(url, part, checksum)
            parts.append(part)
        joined = dev_path + ".part"  # renamed once complete: never half an archive
        with open(joined, "wb") as f:
            for part in parts:
                with open(part, "rb") as f_split:
                    f.write(f_split.read())
        os.replace(joined, dev_path)
    test = _ARCHIVE_CONFIGS["test"]
    test_path = os.path.join(root, test["archive_name"])
    if not os.path.isfile(test_path):
        _fetch_file(test["url"], test_path, test["checksum"])
    extract_archive(dev_path)
    extract_archive(test_path)


def _get_flist(root, file_path, subset):
    index = {"train": 1, "dev": 2}.get(subset, 3)
    f_list = []
    with open(file_path) as f:
        for line in f:
            id, path = line.split()
            if int(id) == index:
                f_list.append(path)
    return sorted(f_list)


def _get_paired_flist(root, veri_test_path):
    f_list = []
    with open(veri_test_path) as f:
        for line in f:
            label, path1, path2 = line.split()
            f_list.append((label, path1, path2))
    return f_list


def _get_file_id(file_path, _ext_audio):
    speaker_id, youtube_id, utterance_id = file_path.split("/")[-3:]
    utterance_id = utterance_id.replace(_ext_audio, "")
    return "-".join([speaker_id, youtube_id, utterance_id])


def _meta_list(root, meta_url):
    """The path of ``meta_url``'s file in ``root``, fetched there when it is missing."""
    meta_list_path = os.path.join(root, os.path.basename(meta_url))
    if not os.path.exists(meta_list_path):
        _fetch_file(meta_url, meta_list_path)
    return meta_list_path


class VoxCeleb1(Dataset):
    """*VoxCeleb1* dataset (Nagrani et al., 2017).

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (Default: ``False``).
    """

    _ext_audio = ".wav"

    def __init__(self, root, download=False):
        root = os.fspath(root)
        self._path = os.path.join(root, "wav")
        if not os.path.isdir(self._path):
            if not download:
                raise RuntimeError(
                    f"Dataset not found at {self._path}. Please set `download=True` to download the dataset."
                )
            _download_extract_wavs(root)

    def get_metadata(self, n):
        raise NotImplementedError

    def __getitem__(self, n):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class VoxCeleb1Identification(VoxCeleb1):
    """*VoxCeleb1* dataset (Nagrani et al., 2017) for speaker identification task.

    Each data sample contains the waveform, sample rate, speaker id, and the file id. Reads
    ``root/wav/<speaker>/<youtube id>/<utterance>.wav`` and the split list ``root/iden_split.txt``
    (fetched when missing, even with ``download=False``, as torchaudio does).

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        subset (str, optional): Subset of the dataset to use. Options: ["train", "dev", "test"].
            (Default: ``"train"``)
        meta_url (str, optional): The url of meta file that contains the list of subset labels
            and file paths. The format of each row is ``subset file_path``. For example:
            ``1 id10006/nLEBBc9oIFs/00003.wav``. ``1``, ``2``, ``3`` mean ``train``, ``dev``,
            and ``test`` subest, respectively.
            (Default: ``"https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/iden_split.txt"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (Default: ``False``). Without network access it fails within seconds, naming
            the file and the folder to put it in.

    Note:
        The file structure of `VoxCeleb1Identification` dataset is ``root/wav/<speaker_id
        folders>``. Users who pre-downloaded the ``"vox1_dev_wav.zip"`` and
        ``"vox1_test_wav.zip"`` files need to move the extracted files into the same ``root``
        directory.
    """

    def __init__(self, root, subset="train", meta_url=_IDEN_SPLIT_URL, download=False):
        super().__init__(root, download)
        if subset not in ["train", "dev", "test"]:
            raise ValueError("`subset` must be one of ['train', 'dev', 'test']")
        self._flist = _get_flist(self._path, _meta_list(root, meta_url), subset)

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample.

        Returns:
            Tuple of the following items: str (path to audio, relative to ``root/wav``), int
            (sample rate), int (speaker ID), str (file ID).
        """
        file_path = self._flist[n]
        file_id = _get_file_id(file_path, self._ext_audio)
        speaker_id = int(file_id.split("-")[0][3:])  # "id10006" -> 6
        return file_path, SAMPLE_RATE, speaker_id, file_id

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), int (speaker
            ID), str (file ID).
        """
        metadata = self.get_metadata(n)
        waveform = _load_waveform(self._path, metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self._flist)


class VoxCeleb1Verification(VoxCeleb1):
    """*VoxCeleb1* dataset (Nagrani et al., 2017) for speaker verification task.

    Each data sample contains a pair of waveforms, sample rate, the label indicating if they
    are from the same speaker, and the file ids. Reads ``root/wav/`` and the pair list
    ``root/veri_test.txt`` (fetched when missing, even with ``download=False``, as torchaudio
    does).

    Args:
        root (str or Path): Path to the directory where the dataset is found or downloaded.
        meta_url (str, optional): The url of meta file that contains a list of utterance pairs
            and the corresponding labels. The format of each row is ``label file_path1
            file_path2``. For example:
            ``1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav``.
            ``1`` means the two utterances are from the same speaker, ``0`` means not.
            (Default: ``"https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/veri_test.txt"``)
        download (bool, optional): Whether to download the dataset if it is not found at root
            path. (Default: ``False``). Without network access it fails within seconds, naming
            the file and the folder to put it in.

    Note:
        The file structure of `VoxCeleb1Verification` dataset is ``root/wav/<speaker_id
        folders>``. Users who pre-downloaded the ``"vox1_dev_wav.zip"`` and
        ``"vox1_test_wav.zip"`` files need to move the extracted files into the same ``root``
        directory.
    """

    def __init__(self, root, meta_url=_VERI_TEST_URL, download=False):
        super().__init__(root, download)
        self._flist = _get_paired_flist(self._path, _meta_list(root, meta_url))

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepaths instead of
        waveforms, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample.

        Returns:
            Tuple of the following items: str (path to audio file of speaker 1), str (path to
            audio file of speaker 2), int (sample rate), int (label), str (file ID of speaker
            1), str (file ID of speaker 2).
        """
        label, file_path_spk1, file_path_spk2 = self._flist[n]
        file_id_spk1 = _get_file_id(file_path_spk1, self._ext_audio)
        file_id_spk2 = _get_file_id(file_path_spk2, self._ext_audio)
        return file_path_spk1, file_path_spk2, SAMPLE_RATE, int(label), file_id_spk1, file_id_spk2

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform of speaker 1), Tensor (waveform of
            speaker 2), int (sample rate), int (label), str (file ID of speaker 1), str (file ID
            of speaker 2).
        """
        metadata = self.get_metadata(n)
        waveform_spk1 = _load_waveform(self._path, metadata[0], metadata[2])
        waveform_spk2 = _load_waveform(self._path, metadata[1], metadata[2])
        return (waveform_spk1, waveform_spk2) + metadata[2:]

    def __len__(self):
        return len(self._flist)
