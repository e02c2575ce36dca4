"""FER2013 facial expressions: 48x48 grayscale faces as space-separated pixels in a CSV."""

from __future__ import annotations

import csv
import os

import numpy as np
from PIL import Image

from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset


class FER2013(VisionDataset):
    """`FER2013
    <https://www.kaggle.com/c/challenges-in-representation-learning-facial-expression-recognition-challenge>`_ Dataset.

    .. note::
        This dataset can return test labels only if ``fer2013.csv`` OR
        ``icml_face_data.csv`` are present in ``root/fer2013/``. If only
        ``train.csv`` and ``test.csv`` are present, the test labels are set to
        ``None``.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``root/fer2013`` exists. This directory may contain either
            ``fer2013.csv``, ``icml_face_data.csv``, or both ``train.csv`` and
            ``test.csv``. Precendence is given in that order, i.e. if
            ``fer2013.csv`` is present then the rest of the files will be
            ignored. All these (combinations of) files contain the same data and
            are supported for convenience, but only ``fer2013.csv`` and
            ``icml_face_data.csv`` are able to return non-None test labels.
        split (string, optional): The dataset split, supports ``"train"`` (default), or
            ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
    """

    _URL = (
        "https://www.kaggle.com/c/"
        "challenges-in-representation-learning-facial-expression-recognition-challenge"
    )
    _RESOURCES = {
        "train": ("train.csv", "3f0dfb3d3fd99c811a1299cb947e3131"),
        "test": ("test.csv", "b02c2298636a634e8c2faabbf3ea9a23"),
        # fer2013.csv and icml_face_data.csv hold both splits and, unlike test.csv, the test
        # labels. They have the same data with different column names (note the spaces) and
        # order: "emotion,pixels,Usage" and "emotion, Usage, pixels"; train.csv has
        # "emotion,pixels" and test.csv "pixels".
        "fer": ("fer2013.csv", "f8428a1edbd21e88f42c73edd2a14f95"),
        "icml": ("icml_face_data.csv", "b114b9e04e6949e5fe8b6a98b3892b1d"),
    }

    def __init__(self, root, split="train", transform=None, target_transform=None):
        self._split = verify_str_arg(split, "split", ("train", "test"))
        super().__init__(root, transform=transform, target_transform=target_transform)

        base_folder = os.path.join(self.root, "fer2013")
        use_fer_file = os.path.exists(os.path.join(base_folder, self._RESOURCES["fer"][0]))
        use_icml_file = not use_fer_file and os.path.exists(
            os.path.join(base_folder, self._RESOURCES["icml"][0])
        )
        file_name, md5 = self._RESOURCES[
            "fer" if use_fer_file else "icml" if use_icml_file else self._split
        ]
        data_file = os.path.join(base_folder, file_name)
        if not check_integrity(data_file, md5=md5):
            raise RuntimeError(
                f"{file_name} not found in {base_folder} or corrupted. "
                f"You can download it from {self._URL}"
            )

        pixels_key = " pixels" if use_icml_file else "pixels"
        usage_key = " Usage" if use_icml_file else "Usage"
        has_labels = use_fer_file or use_icml_file or self._split == "train"
        valid_usages = ("Training",) if self._split == "train" else ("PublicTest", "PrivateTest")

        self._samples = []
        with open(data_file, newline="") as file:
            for row in csv.DictReader(file):
                if (use_fer_file or use_icml_file) and row[usage_key] not in valid_usages:
                    continue
                label = int(row["emotion"]) if has_labels else None
                self._samples.append((self._image(row[pixels_key], data_file), label))

    @staticmethod
    def _image(pixels, data_file):
        """The 48x48 uint8 image of a row's space-separated pixel values."""
        try:
            values = np.array(pixels.split(), dtype=np.int64)
        except ValueError:
            values = np.empty(0)
        if values.size != 48 * 48 or values.min() < 0 or values.max() > 255:
            raise ValueError(f"{data_file}: a row does not hold 48x48 pixel values in 0..255")
        return values.astype(np.uint8).reshape(48, 48)

    def __len__(self):
        return len(self._samples)

    def __getitem__(self, idx):
        """
        Args:
            idx (int): Index

        Returns:
            tuple: ``(image, target)``: a PIL image of mode ``"L"`` and the emotion (None
            for ``test.csv``'s rows).
        """
        image, target = self._samples[idx]
        image = Image.fromarray(image)

        if self.transform is not None:
            image = self.transform(image)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return image, target

    def extra_repr(self):
        return f"split={self._split}"
