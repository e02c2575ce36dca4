"""Caltech 101 and Caltech 256: one folder of numbered JPEGs per category."""

from __future__ import annotations

import os

from ._helpers import open_image, prepare_folders
from ._optional import loadmat
from .utils import verify_str_arg
from .vision import VisionDataset


def _count_images(categories_folder, categories):
    """``(index, y)``: 1-based image numbers and category indices, counting each folder's
    files as torchvision does (every entry counts, so images must be numbered 1..n)."""
    index, y = [], []
    for i, c in enumerate(categories):
        n = len(os.listdir(os.path.join(categories_folder, c)))
        index.extend(range(1, n + 1))
        y.extend(n * [i])
    return index, y


class Caltech101(VisionDataset):
    """`Caltech 101 <https://data.caltech.edu/records/20086>`_ Dataset.

    Reads ``root/caltech101/101_ObjectCategories/<category>/image_<nnnn>.jpg``; the
    ``BACKGROUND_Google`` folder is not a class. The ``annotation`` targets are read from
    ``root/caltech101/Annotations/<category>/annotation_<nnnn>.mat`` with scipy (the
    ``embervision[mat]`` extra).

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``caltech101`` exists or will be saved to if download is set to True.
        target_type (string or list, optional): Type of target to use, ``category`` or
            ``annotation``. Can also be a list to output a tuple with all specified target
            types. ``category`` represents the target class, and ``annotation`` is a list of
            points from a hand-generated outline. Defaults to ``category``.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archive to place in ``root/caltech101``.
    """

    # torchvision now fetches these archives from Google Drive, which embervision does not
    # download from; the md5 is the same archive's.
    _ARCHIVE = (
        "http://www.vision.caltech.edu/Image_Datasets/Caltech101/101_ObjectCategories.tar.gz",
        "101_ObjectCategories.tar.gz",
        "b224c7392d521a49829488ab0f1120d9",
    )

    def __init__(
        self, root, target_type="category", transform=None, target_transform=None, download=False
    ):
        super().__init__(
            os.path.join(root, "caltech101"),
            transform=transform,
            target_transform=target_transform,
        )
        if not isinstance(target_type, list):
            target_type = [target_type]
        self.target_type = [
            verify_str_arg(t, "target_type", ("category", "annotation")) for t in target_type
        ]

        categories_folder = os.path.join(self.root, "101_ObjectCategories")
        prepare_folders([categories_folder], self.root, [self._ARCHIVE], download)

        self.categories = sorted(os.listdir(categories_folder))
        self.categories.remove("BACKGROUND_Google")  # this is not a real class
        # the folders of "Annotations" are named as those of the images but for these
        renamed = {
            "Faces": "Faces_2",
            "Faces_easy": "Faces_3",
            "Motorbikes": "Motorbikes_16",
            "airplanes": "Airplanes_Side_2",
        }
        self.annotation_categories = [renamed.get(c, c) for c in self.categories]
        self.index, self.y = _count_images(categories_folder, self.categories)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where the type of target specified by target_type.
        """
        img = open_image(
            os.path.join(
                self.root,
                "101_ObjectCategories",
                self.categories[self.y[index]],
                f"image_{self.index[index]:04d}.jpg",
            )
        )

        target = []
        for t in self.target_type:
            if t == "category":
                target.append(self.y[index])
            else:
                data = loadmat(
                    os.path.join(
                        self.root,
                        "Annotations",
                        self.annotation_categories[self.y[index]],
                        f"annotation_{self.index[index]:04d}.mat",
                    )
                )
                target.append(data["obj_contour"])
        target = tuple(target) if len(target) > 1 else target[0]

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.index)

    def extra_repr(self):
        return "Target type: {target_type}".format(**self.__dict__)


class Caltech256(VisionDataset):
    """`Caltech 256 <https://data.caltech.edu/records/20087>`_ Dataset.

    Reads ``root/caltech256/256_ObjectCategories/<nnn.name>/<nnn>_<mmmm>.jpg``.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``caltech256`` exists or will be saved to if download is set to True.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archive to place in ``root/caltech256``.
    """

    _ARCHIVE = (
        "http://www.vision.caltech.edu/Image_Datasets/Caltech256/256_ObjectCategories.tar",
        "256_ObjectCategories.tar",
        "67b4f42ca05d46448c6bb8ecd2220f6d",
    )

    def __init__(self, root, transform=None, target_transform=None, download=False):
        super().__init__(
            os.path.join(root, "caltech256"),
            transform=transform,
            target_transform=target_transform,
        )
        categories_folder = os.path.join(self.root, "256_ObjectCategories")
        prepare_folders([categories_folder], self.root, [self._ARCHIVE], download)

        self.categories = sorted(os.listdir(categories_folder))
        self.index, self.y = _count_images(categories_folder, self.categories)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target class.
        """
        img = open_image(
            os.path.join(
                self.root,
                "256_ObjectCategories",
                self.categories[self.y[index]],
                f"{self.y[index] + 1:03d}_{self.index[index]:04d}.jpg",
            )
        )

        target = self.y[index]

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.index)
