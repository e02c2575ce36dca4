"""LibriSpeech with per-utterance biasing word lists (for contextual biasing in ASR)."""

from __future__ import annotations

from .librispeech import FOLDER_IN_ARCHIVE, LIBRISPEECH, URL


class LibriSpeechBiasing(LIBRISPEECH):
    """*LibriSpeech* dataset (Panayotov et al., 2015) with prefix-tree construction and
    biasing support.

    The files are :class:`LIBRISPEECH`'s; each sample also lists the words of its transcript
    that are in ``blist``, in order of first appearance.

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
        blist (list, optional): The list of biasing words (default: ``[]``).
    """

    def __init__(
        self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False, blist=None
    ):
        super().__init__(root, url, folder_in_archive, download)
        self.blist = blist

    def get_metadata(self, n):
        """Get metadata for the n-th sample from the dataset. Returns filepath instead of
        waveform, but otherwise returns the same fields as :py:func:`__getitem__`.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: str (path to audio, relative to
            ``root/<folder_in_archive>``), int (sample rate), str (transcript), int (speaker
            ID), int (chapter ID), int (utterance ID), list (biasing words in the utterance).
        """
        metadata = super().get_metadata(n)
        blist = self.blist or []
        uttblist = []
        for word in metadata[2].split():
            if word in blist and word not in uttblist:
                uttblist.append(word)
        return metadata + (uttblist,)

    def __getitem__(self, n):
        """Load the n-th sample from the dataset.

        Args:
            n (int): The index of the sample to be loaded.

        Returns:
            Tuple of the following items: Tensor (waveform), int (sample rate), str
            (transcript), int (speaker ID), int (chapter ID), int (utterance ID), list (biasing
            words in the utterance).
        """
        return super().__getitem__(n)
