"""CelebA, read from ``img_align_celeba/`` and its whitespace-separated annotation lists."""

from __future__ import annotations

import csv
import os
from collections import namedtuple

import numpy as np

import ember

from ._helpers import open_image
from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset

CSV = namedtuple("CSV", ["header", "index", "data"])


class CelebA(VisionDataset):
    """`Large-scale CelebFaces Attributes (CelebA) Dataset <http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html>`_ Dataset.

    Reads ``root/celeba/``: the images in ``img_align_celeba/`` and the lists
    ``list_attr_celeba.txt``, ``identity_CelebA.txt``, ``list_bbox_celeba.txt``,
    ``list_landmarks_align_celeba.txt`` and ``list_eval_partition.txt`` (0 train, 1 valid,
    2 test). The lists are checked against their md5, like torchvision.

    Args:
        root (str or ``pathlib.Path``): Root directory where images are downloaded to.
        split (string): One of {'train', 'valid', 'test', 'all'}.
            Accordingly dataset is selected.
        target_type (string or list, optional): Type of target to use, ``attr``, ``identity``,
            ``bbox``, or ``landmarks``. Can also be a list to output a tuple with all specified
            target types. The targets represent:

                - ``attr`` (Tensor shape=(40,) dtype=int): binary (0, 1) labels for attributes
                - ``identity`` (int): label for each person (data points with the same
                  identity are the same person)
                - ``bbox`` (Tensor shape=(4,) dtype=int): bounding box (x, y, width, height)
                - ``landmarks`` (Tensor shape=(10,) dtype=int): landmark points (lefteye_x,
                  lefteye_y, righteye_x, righteye_y, nose_x, nose_y, leftmouth_x, leftmouth_y,
                  rightmouth_x, rightmouth_y)

            Defaults to ``attr``. If empty, ``None`` will be returned as target.

        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.PILToTensor``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): torchvision downloads the files from Google Drive (with
            ``gdown``); embervision cannot, so ``download=True`` with files missing fails at
            once, naming the files to place in ``root/celeba``.
    """

    base_folder = "celeba"
    file_list = [
        # File ID                                      MD5 Hash                            Filename
        (
            "0B7EVK8r0v71pZjFTYXZWM3FlRnM",
            "00d2c5bc6d35e252742224ab0c1e8fcb",
            "img_align_celeba.zip",
        ),
        (
            "0B7EVK8r0v71pblRyaVFSWGxPY0U",
            "75e246fa4810816ffd6ee81facbd244c",
            "list_attr_celeba.txt",
        ),
        (
            "1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS",
            "32bd1bd63d3c78cd57e08160ec5ed1e2",
            "identity_CelebA.txt",
        ),
        (
            "0B7EVK8r0v71pbThiMVRxWXZ4dU0",
            "00566efa6fedff7a56946cd1c10f1c16",
            "list_bbox_celeba.txt",
        ),
        (
            "0B7EVK8r0v71pd0FJY3Blby1HUTQ",
            "cc24ecafdb5b50baae59b03474781f8c",
            "list_landmarks_align_celeba.txt",
        ),
        (
            "0B7EVK8r0v71pY0NSMzRuSXJEVkk",
            "d32c9cbf5e040fd4025c592c306e6668",
            "list_eval_partition.txt",
        ),
    ]
    _target_types = ("attr", "identity", "bbox", "landmarks")

    def __init__(
        self,
        root,
        split="train",
        target_type="attr",
        transform=None,
        target_transform=None,
        download=False,
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = split
        if isinstance(target_type, list):
            self.target_type = target_type
        else:
            self.target_type = [target_type]

        if not self.target_type and self.target_transform is not None:
            raise RuntimeError("target_transform is specified but target_type is empty")

        if download:
            self.download()

        if not self._check_integrity():
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it.\n"
                + self._hint()
            )

        split_map = {"train": 0, "valid": 1, "test": 2, "all": None}
        split_ = split_map[
            verify_str_arg(
                split.lower() if isinstance(split, str) else split,
                "split",
                ("train", "valid", "test", "all"),
            )
        ]
        splits = self._load_csv("list_eval_partition.txt")
        identity = self._load_csv("identity_CelebA.txt")
        bbox = self._load_csv("list_bbox_celeba.txt", header=1)
        landmarks_align = self._load_csv("list_landmarks_align_celeba.txt", header=1)
        attr = self._load_csv("list_attr_celeba.txt", header=1)

        if split_ is None:
            mask = np.arange(len(splits.index))
        else:
            mask = np.flatnonzero(splits.data[:, 0] == split_)

        self.filename = [splits.index[i] for i in mask]
        self.identity = ember.from_numpy(identity.data[mask])
        self.bbox = ember.from_numpy(bbox.data[mask])
        self.landmarks_align = ember.from_numpy(landmarks_align.data[mask])
        # map from {-1, 1} to {0, 1}
        self.attr = ember.from_numpy((attr.data[mask] + 1) // 2)
        self.attr_names = attr.header

    def _load_csv(self, filename, header=None):
        """A list file as ``CSV(header, index, data)``: the header row (after ``header``
        skipped lines), the first column (file names) and the int64 rest."""
        path = os.path.join(self.root, self.base_folder, filename)
        with open(path) as csv_file:
            data = list(csv.reader(csv_file, delimiter=" ", skipinitialspace=True))

        if header is not None:
            headers = data[header]
            data = data[header + 1 :]
        else:
            headers = []

        indices = [row[0] for row in data]
        try:
            values = np.array([[int(v) for v in row[1:] if v] for row in data], dtype=np.int64)
        except ValueError as error:
            raise ValueError(f"{path} is corrupt: {error}") from None
        if values.ndim != 2:
            raise ValueError(f"{path} is corrupt: its rows have different numbers of values")
        return CSV(headers, indices, values)

    def _check_integrity(self):
        for _, md5, filename in self.file_list:
            fpath = os.path.join(self.root, self.base_folder, filename)
            _, ext = os.path.splitext(filename)
            # Allow the original archive to be deleted: only the extracted images are needed.
            if ext not in [".zip", ".7z"] and not check_integrity(fpath, md5):
                return False

        return os.path.isdir(os.path.join(self.root, self.base_folder, "img_align_celeba"))

    def _hint(self):
        folder = os.path.join(self.root, self.base_folder)
        listing = "\n".join(f"  {filename} (md5 {md5})" for _, md5, filename in self.file_list)
        return (
            f"Place these files in {folder}, with img_align_celeba.zip extracted there "
            f"(folder img_align_celeba/):\n{listing}"
        )

    def download(self):
        """Fail unless the files are already there: they are on Google Drive, which
        embervision does not download from."""
        if self._check_integrity():
            return
        raise RuntimeError(
            "CelebA is distributed through Google Drive, which embervision does not download "
            "from.\n" + self._hint()
        )

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)``: the PIL image as stored and the target of each
            ``target_type`` (a tuple of them when there are several, None when none).
        """
        X = open_image(
            os.path.join(self.root, self.base_folder, "img_align_celeba", self.filename[index])
        )

        target = []
        for t in self.target_type:
            if t == "attr":
                target.append(self.attr[index, :])
            elif t == "identity":
                target.append(self.identity[index, 0])
            elif t == "bbox":
                target.append(self.bbox[index, :])
            elif t == "landmarks":
                target.append(self.landmarks_align[index, :])
            else:
                raise ValueError(f'Target type "{t}" is not recognized.')

        if self.transform is not None:
            X = self.transform(X)

        if target:
            target = tuple(target) if len(target) > 1 else target[0]

            if self.target_transform is not None:
                target = self.target_transform(target)
        else:
            target = None

        return X, target

    def __len__(self):
        return len(self.attr)

    def extra_repr(self):
        lines = ["Target type: {target_type}", "Split: {split}"]
        return "\n".join(lines).format(**self.__dict__)
