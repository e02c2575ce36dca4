"""The Street View House Numbers, read from the cropped-digits ``<split>_32x32.mat`` files."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from ember.utils._download import download_from_mirrors, placement_hint

from ._helpers import dataset_not_found
from ._optional import loadmat
from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset


class SVHN(VisionDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_ Dataset.

    Note: The SVHN dataset assigns the label `10` to the digit `0`. However, in this Dataset,
    we assign the label `0` to the digit `0` to be compatible with PyTorch loss functions which
    expect the class labels to be in the range `[0, C-1]`

    Reads ``root/<split>_32x32.mat``: ``X`` (uint8, ``32 x 32 x 3 x N``) and ``y``
    (``N x 1``).

    .. warning::

        This class needs `scipy <https://docs.scipy.org/doc/>`_ to load data from `.mat`
        format (``pip install embervision[mat]``).

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset where the data is stored.
        split (string): One of {'train', 'test', 'extra'}.
            Accordingly dataset is selected. 'extra' is Extra training set.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            file to place in ``root``.
    """

    split_list = {
        "train": [
            "http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
            "train_32x32.mat",
            "e26dedcc434d2e4c54c9b2d4a06d8373",
        ],
        "test": [
            "http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
            "test_32x32.mat",
            "eb5a983be6a315427106f1b164d9cef3",
        ],
        "extra": [
            "http://ufldl.stanford.edu/housenumbers/extra_32x32.mat",
            "extra_32x32.mat",
            "a93ce644f1a588dc4d68dda5feec44a7",
        ],
    }

    def __init__(self, root, split="train", transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list.keys()))
        self.url, self.filename, self.file_md5 = self.split_list[split]

        if download:
            self.download()

        if not self._check_integrity():
            raise dataset_not_found(self._hint())

        path = os.path.join(self.root, self.filename)
        loaded_mat = loadmat(path)
        if "X" not in loaded_mat or "y" not in loaded_mat:
            raise ValueError(f"{path} has no 'X' and 'y' variables")

        # X is 32 x 32 x 3 x N; the digit 0 is labelled 10.
        self.data = np.transpose(loaded_mat["X"], (3, 2, 0, 1))
        self.labels = loaded_mat["y"].astype(np.int64).squeeze(axis=-1)
        np.place(self.labels, self.labels == 10, 0)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class.
        """
        img, target = self.data[index], int(self.labels[index])

        # A PIL image, consistent with all other datasets.
        img = Image.fromarray(np.transpose(img, (1, 2, 0)))

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        return check_integrity(os.path.join(self.root, self.filename), self.file_md5)

    def _hint(self):
        return placement_hint(self.root, [f"{self.filename} (md5 {self.file_md5}) from {self.url}"])

    def download(self):
        """Download this split's ``.mat`` file unless it is already there and verified."""
        if self._check_integrity():
            return
        download_from_mirrors(
            [self.url], self.root, self.filename, self.file_md5, self._hint(), extract=False
        )

    def extra_repr(self):
        return "Split: {split}".format(**self.__dict__)
