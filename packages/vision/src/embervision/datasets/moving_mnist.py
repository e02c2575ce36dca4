"""Moving MNIST: 10,000 sequences of 20 frames, one ``.npy`` array."""

from __future__ import annotations

import os

import numpy as np

import ember
from ember.utils._download import download_from_mirrors, placement_hint

from .utils import verify_str_arg
from .vision import VisionDataset


class MovingMNIST(VisionDataset):
    """`MovingMNIST <http://www.cs.toronto.edu/~nitish/unsupervised_video/>`_ Dataset.

    Reads ``root/MovingMNIST/mnist_test_seq.npy``: uint8, ``frames x sequences x 64 x 64``
    (``20 x 10000 x 64 x 64``).

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where
            ``MovingMNIST/mnist_test_seq.npy`` exists.
        split (string, optional): The dataset split, supports ``None`` (default), ``"train"``
            and ``"test"``. If ``split=None``, the full data is returned.
        split_ratio (int, optional): The split ratio of number of frames. If
            ``split="train"``, the first split frames ``data[:, :split_ratio]`` is returned. If
            ``split="test"``, the last split frames ``data[:, split_ratio:]`` is returned. If
            ``split=None``, this parameter is ignored and the all frames data is returned.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            file to place in ``root/MovingMNIST``.
        transform (callable, optional): A function/transform that takes in an ember Tensor
            and returns a transformed version. E.g, ``transforms.RandomCrop``

    Attributes:
        data (Tensor): uint8 video frames, shape ``[N, T, 1, 64, 64]``.
    """

    _URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"
    _MD5 = "be083ec986bfe91a449d63653c411eb2"

    def __init__(self, root, split=None, split_ratio=10, download=False, transform=None):
        super().__init__(root, transform=transform)

        self._base_folder = os.path.join(self.root, self.__class__.__name__)
        self._filename = self._URL.split("/")[-1]

        if split is not None:
            verify_str_arg(split, "split", ("train", "test"))
        self.split = split

        if not isinstance(split_ratio, int):
            raise TypeError(f"`split_ratio` should be an integer, but got {type(split_ratio)}")
        elif not (1 <= split_ratio <= 19):
            raise ValueError(
                f"`split_ratio` should be `1 <= split_ratio <= 19`, but got {split_ratio} instead."
            )
        self.split_ratio = split_ratio

        if download:
            self.download()

        if not self._check_exists():
            raise RuntimeError(
                "Dataset not found. You can use download=True to download it.\n" + self._hint()
            )

        path = os.path.join(self._base_folder, self._filename)
        try:
            data = np.load(path)
        except (ValueError, OSError) as error:
            raise ValueError(f"cannot read {path}: {error}") from None
        if data.ndim != 4:
            raise ValueError(f"{path} holds an array of shape {data.shape}, expected 4 dimensions")
        if self.split == "train":
            data = data[: self.split_ratio]
        elif self.split == "test":
            data = data[self.split_ratio :]
        # frames x sequences x H x W -> sequences x frames x 1 x H x W
        self.data = ember.from_numpy(np.ascontiguousarray(data.swapaxes(0, 1)[:, :, None]))

    def __getitem__(self, idx):
        """
        Args:
            idx (int): Index
        Returns:
            Tensor: Video frames (Tensor[T, C, H, W]). The `T` is the number of frames.
        """
        data = self.data[idx]
        if self.transform is not None:
            data = self.transform(data)

        return data

    def __len__(self):
        return len(self.data)

    def _check_exists(self):
        return os.path.exists(os.path.join(self._base_folder, self._filename))

    def _hint(self):
        return placement_hint(
            self._base_folder, [f"{self._filename} (md5 {self._MD5}) from {self._URL}"]
        )

    def download(self):
        """Download ``mnist_test_seq.npy`` unless it is already there."""
        if self._check_exists():
            return
        download_from_mirrors(
            [self._URL], self._base_folder, self._filename, self._MD5, self._hint(), extract=False
        )
