"""Omniglot: handwritten characters, ``<alphabet>/<character>/*.png`` in two zip files."""

from __future__ import annotations

import os

from ._helpers import archive_hint, dataset_not_found, download_archives, open_image
from .utils import check_integrity
from .vision import VisionDataset


def _list_dir(root):
    """The sub-directories of ``root``, sorted (torchvision keeps the file system's order)."""
    return sorted(p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p)))


def _list_files(root, suffix):
    """The files of ``root`` ending with ``suffix``, sorted."""
    return sorted(
        p for p in os.listdir(root) if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)
    )


class Omniglot(VisionDataset):
    """`Omniglot <https://github.com/brendenlake/omniglot>`_ Dataset.

    Reads ``root/omniglot-py/images_background.zip`` or ``images_evaluation.zip`` (checked
    by its md5) and, extracted beside it, ``images_<set>/<alphabet>/<character>/*.png``. Each
    character of each alphabet is a class; alphabets, characters and images are taken in
    sorted order (torchvision keeps the file system's order).

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``omniglot-py`` exists.
        background (bool, optional): If True, creates dataset from the "background" set,
            otherwise creates from the "evaluation" set. This terminology is defined by the
            authors.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If true, downloads the dataset zip files from the internet
            and puts it in root directory. If the zip files are already downloaded, they are
            not downloaded again. Without network access it fails within seconds, naming the
            zip file to place in ``root/omniglot-py``.
        loader (callable, optional): A function to load an image given its path.
            By default the image is opened with PIL and converted to mode ``"L"``.
    """

    folder = "omniglot-py"
    download_url_prefix = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python"
    zips_md5 = {
        "images_background": "68d2efa1b9178cc56df9314c21c6e718",
        "images_evaluation": "6b91aef0f799c5bb55b94e3f2daec811",
    }

    def __init__(
        self,
        root,
        background=True,
        transform=None,
        target_transform=None,
        download=False,
        loader=None,
    ):
        super().__init__(
            os.path.join(root, self.folder),
            transform=transform,
            target_transform=target_transform,
        )
        self.background = background

        if download:
            self.download()

        if not self._check_integrity():
            raise dataset_not_found(self._hint())

        self.target_folder = self._target_path()
        self._alphabets = _list_dir(self.target_folder)
        self._characters = [
            os.path.join(a, c)
            for a in self._alphabets
            for c in _list_dir(os.path.join(self.target_folder, a))
        ]
        self._character_images = [
            [
                (image, idx)
                for image in _list_files(os.path.join(self.target_folder, character), ".png")
            ]
            for idx, character in enumerate(self._characters)
        ]
        self._flat_character_images = [pair for images in self._character_images for pair in images]
        self.loader = loader

    def __len__(self):
        return len(self._flat_character_images)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is index of the target character class.
        """
        image_name, character_class = self._flat_character_images[index]
        image_path = os.path.join(self.target_folder, self._characters[character_class], image_name)
        if self.loader is None:
            image = open_image(image_path, "L")
        else:
            image = self.loader(image_path)

        if self.transform is not None:
            image = self.transform(image)

        if self.target_transform is not None:
            character_class = self.target_transform(character_class)

        return image, character_class

    def _archive(self):
        filename = self._get_target_folder()
        url = f"{self.download_url_prefix}/{filename}.zip"
        return url, f"{filename}.zip", self.zips_md5[filename]

    def _check_integrity(self):
        _, zip_filename, md5 = self._archive()
        return check_integrity(os.path.join(self.root, zip_filename), md5)

    def _hint(self):
        return archive_hint(self.root, [self._archive()], self._target_path())

    def _target_path(self):
        return os.path.join(self.root, self._get_target_folder())

    def download(self):
        """Download and extract the zip file of the chosen set unless it is already there."""
        # A verified zip is extracted again if its folder is missing (torchvision skips it).
        if self._check_integrity() and os.path.isdir(self._target_path()):
            return
        download_archives(self.root, [self._archive()], self._hint())

    def _get_target_folder(self):
        return "images_background" if self.background else "images_evaluation"
