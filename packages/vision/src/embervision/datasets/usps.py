"""USPS handwritten digits, read from the bzip2-compressed LIBSVM files."""

from __future__ import annotations

import bz2
import os

import numpy as np
from PIL import Image

from ember.utils._download import download_from_mirrors

from .vision import VisionDataset


class USPS(VisionDataset):
    """`USPS <https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass.html#usps>`_ Dataset.

    The data-format is : [label [index:value ]*256 \\n] * num_lines, where ``label`` lies in
    ``[1, 10]``. The value for each pixel lies in ``[-1, 1]``. Here we transform the ``label``
    into ``[0, 9]`` and make pixel values in ``[0, 255]``.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset to store ``USPS`` data files.
        train (bool, optional): If True, creates dataset from ``usps.bz2``,
            otherwise from ``usps.t.bz2``.
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
            "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2",
            "usps.bz2",
            "ec16c51db3855ca6c91edd34d0e9b197",
        ],
        "test": [
            "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2",
            "usps.t.bz2",
            "8ea070ee2aca1ac39742fdd1ef5ed118",
        ],
    }

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        split = "train" if train else "test"
        url, filename, checksum = self.split_list[split]
        full_path = os.path.join(self.root, filename)
        hint = f"Without network access, put {filename} (md5 {checksum}) from {url} in {self.root}."

        if download:
            download_from_mirrors([url], self.root, filename, checksum, hint, extract=False)

        if not os.path.isfile(full_path):
            raise RuntimeError(
                f"Dataset not found. You can use download=True to download it.\n{hint}"
            )

        self.data, self.targets = _read_libsvm(full_path)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class.
        """
        img, target = self.data[index], int(self.targets[index])

        # A PIL image, consistent with all other datasets.
        img = Image.fromarray(img)

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.data)


def _read_libsvm(path):
    """``(uint8 images [N, 16, 16], labels 0..9)`` from a bzip2 LIBSVM file of USPS digits.

    Like torchvision, the ``index:`` prefixes are dropped and the 256 values taken in order.
    """
    try:
        with bz2.open(path) as fp:
            raw_data = [line.decode().split() for line in fp]
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{path} is not a valid bzip2 file (truncated or corrupt): {error}"
        ) from None
    for number, row in enumerate(raw_data, 1):
        if len(row) != 257:
            raise ValueError(
                f"{path}, line {number}: expected a label and 256 index:value pairs, "
                f"got {len(row)} fields"
            )
    pixels = [[x.split(":")[-1] for x in row[1:]] for row in raw_data]
    imgs = np.asarray(pixels, dtype=np.float32).reshape((-1, 16, 16))
    imgs = ((imgs + 1) / 2 * 255).astype(dtype=np.uint8)
    targets = [int(row[0]) - 1 for row in raw_data]
    return imgs, targets
