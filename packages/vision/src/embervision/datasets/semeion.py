"""SEMEION handwritten digits, read from the whitespace-separated ``semeion.data``."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from ember.utils._download import download_from_mirrors

from .utils import check_integrity
from .vision import VisionDataset


class SEMEION(VisionDataset):
    r"""`SEMEION <http://archive.ics.uci.edu/ml/datasets/semeion+handwritten+digit>`_ Dataset.

    ``semeion.data`` holds one digit a line: 256 pixel values (0 or 1, a 16x16 image) and
    then the class as 10 one-hot values. Pixels are returned as 0 or 255.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``semeion.py`` exists.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Note the default is True, as in torchvision; without network
            access and without the file it fails within seconds, naming the file to place.
    """

    url = "http://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data"
    filename = "semeion.data"
    md5_checksum = "cb545d371d2ce14ec121470795a77432"

    def __init__(self, root, transform=None, target_transform=None, download=True):
        super().__init__(root, transform=transform, target_transform=target_transform)

        if download:
            self.download()

        if not self._check_integrity():
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it.\n"
                + self._hint()
            )

        fp = os.path.join(self.root, self.filename)
        try:
            data = np.loadtxt(fp, ndmin=2)
        except ValueError as error:
            raise ValueError(f"{fp} is corrupt: {error}") from None
        if data.shape[1] != 266:
            raise ValueError(f"{fp} is corrupt: {data.shape[1]} columns a line, expected 266")
        # convert value to 8 bit unsigned integer
        # color (white #255) the pixels
        self.data = (data[:, :256] * 255).astype("uint8")
        self.data = np.reshape(self.data, (-1, 16, 16))
        self.labels = np.nonzero(data[:, 256:])[1]

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class.
        """
        img, target = self.data[index], int(self.labels[index])

        # A PIL image, consistent with all other datasets.
        img = Image.fromarray(img)

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        return check_integrity(os.path.join(self.root, self.filename), self.md5_checksum)

    def _hint(self):
        return (
            f"Without network access, put {self.filename} (md5 {self.md5_checksum}) from "
            f"{self.url} in {self.root}."
        )

    def download(self):
        """Download ``semeion.data`` unless it is already there and verified."""
        if self._check_integrity():
            return
        download_from_mirrors(
            [self.url], self.root, self.filename, self.md5_checksum, self._hint(), extract=False
        )
