"""STL-10, read from the binary files of ``stl10_binary``."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from ._helpers import archive_hint, dataset_not_found, download_archives
from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset


class STL10(VisionDataset):
    """`STL10 <https://cs.stanford.edu/~acoates/stl10/>`_ Dataset.

    Reads ``root/stl10_binary/``: ``{train,test,unlabeled}_X.bin`` hold uint8 96x96 colour
    images stored column-major per channel, ``{train,test}_y.bin`` labels 1..10 (returned as
    0..9); unlabeled images get target -1.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``stl10_binary`` exists.
        split (string): One of {'train', 'test', 'unlabeled', 'train+unlabeled'}.
            Accordingly, dataset is selected.
        folds (int, optional): One of {0-9} or None.
            For training, loads one of the 10 pre-defined folds of 1k samples for the
            standard evaluation procedure. If no value is passed, loads the 5k samples.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archive to place in ``root``.
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [
        ["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
        ["train_y.bin", "5a34089d4802c674881badbb80307741"],
        ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"],
    ]

    test_list = [
        ["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
        ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"],
    ]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(
        self, root, split="train", folds=None, transform=None, target_transform=None, download=False
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", self.splits)
        self.folds = self._verify_folds(folds)

        if download:
            self.download()
        elif not self._check_integrity():
            raise dataset_not_found(self._hint())

        if self.split == "train":
            self.data, self.labels = self.__loadfile(self.train_list[0][0], self.train_list[1][0])
            self.__load_folds(folds)

        elif self.split == "train+unlabeled":
            self.data, self.labels = self.__loadfile(self.train_list[0][0], self.train_list[1][0])
            self.__load_folds(folds)
            unlabeled_data, _ = self.__loadfile(self.train_list[2][0])
            self.data = np.concatenate((self.data, unlabeled_data))
            self.labels = np.concatenate((self.labels, np.full(len(unlabeled_data), -1)))

        elif self.split == "unlabeled":
            self.data, _ = self.__loadfile(self.train_list[2][0])
            self.labels = np.full(len(self.data), -1)
        else:  # self.split == "test"
            self.data, self.labels = self.__loadfile(self.test_list[0][0], self.test_list[1][0])

        class_file = os.path.join(self.root, self.base_folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file) as f:
                self.classes = f.read().splitlines()

    def _verify_folds(self, folds):
        if folds is None:
            return folds
        if isinstance(folds, int):
            if folds in range(10):
                return folds
            raise ValueError(
                f"Value for argument folds should be in the range [0, 10), but got {folds}."
            )
        raise ValueError(
            f"Expected type None or int for argument folds, but got type {type(folds)}."
        )

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class (-1 for the
            unlabeled images).
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
        return self.data.shape[0]

    def __loadfile(self, data_file, labels_file=None):
        labels = None
        if labels_file:
            path_to_labels = os.path.join(self.root, self.base_folder, labels_file)
            # Stored 1..10; uint8 arithmetic wraps a stray 0 to 255, so subtract in int64.
            labels = np.fromfile(path_to_labels, dtype=np.uint8).astype(np.int64) - 1

        path_to_data = os.path.join(self.root, self.base_folder, data_file)
        everything = np.fromfile(path_to_data, dtype=np.uint8)
        image_bytes = 3 * 96 * 96
        if everything.size % image_bytes:
            raise ValueError(
                f"{path_to_data} is truncated or corrupt: {everything.size} bytes is not a "
                f"whole number of 3x96x96 images"
            )
        # Each channel is stored column-major: swap to row-major (C, H, W).
        images = np.reshape(everything, (-1, 3, 96, 96)).transpose(0, 1, 3, 2)
        if labels is not None and len(labels) != len(images):
            raise ValueError(
                f"{path_to_data} holds {len(images)} images but {path_to_labels} holds "
                f"{len(labels)} labels"
            )
        return images, labels

    def __load_folds(self, folds):
        """Keep only the samples of training fold ``folds`` (all of them when None)."""
        if folds is None:
            return
        path_to_folds = os.path.join(self.root, self.base_folder, self.folds_list_file)
        with open(path_to_folds) as f:
            str_idx = f.read().splitlines()[folds]
        list_idx = np.array(str_idx.split(), dtype=np.int64)
        self.data = self.data[list_idx, :, :, :]
        self.labels = self.labels[list_idx]

    def _check_integrity(self):
        return all(
            check_integrity(os.path.join(self.root, self.base_folder, filename), md5)
            for filename, md5 in self.train_list + self.test_list
        )

    def _hint(self):
        folder = os.path.join(self.root, self.base_folder)
        return archive_hint(self.root, [(self.url, self.filename, self.tgz_md5)], folder)

    def download(self):
        """Download and extract the archive unless the files are already there and verified."""
        if self._check_integrity():
            return
        download_archives(self.root, [(self.url, self.filename, self.tgz_md5)], self._hint())

    def extra_repr(self):
        return f"Split: {self.split}"
