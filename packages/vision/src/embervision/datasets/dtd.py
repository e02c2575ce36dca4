"""The Describable Textures Dataset, listed by ``labels/<split><partition>.txt``."""

from __future__ import annotations

import os

from ._helpers import ImageListDataset, prepare_folders
from .folder import default_loader
from .utils import verify_str_arg


class DTD(ImageListDataset):
    """`Describable Textures Dataset (DTD) <https://www.robots.ox.ac.uk/~vgg/data/dtd/>`_.

    Reads ``root/dtd/dtd/labels/<split><partition>.txt`` (lines ``<class>/<file>``) and the
    images ``root/dtd/dtd/images/<class>/<file>``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"train"`` (default), ``"val"``,
            or ``"test"``.
        partition (int, optional): The dataset partition. Should be ``1 <= partition <= 10``.
            Defaults to ``1``.

            .. note::

                The partition only changes which split each image belongs to. Thus, regardless
                of the selected partition, combining all splits will result in all images.

        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Default is False. Without network access it fails within
            seconds, naming the archive to place in ``root/dtd``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _URL = "https://www.robots.ox.ac.uk/~vgg/data/dtd/download/dtd-r1.0.1.tar.gz"
    _MD5 = "fff73e5086ae6bdbea199a49dfb8a4c1"

    def __init__(
        self,
        root,
        split="train",
        partition=1,
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        if not isinstance(partition, int) or not (1 <= partition <= 10):
            raise ValueError(
                f"Parameter 'partition' should be an integer with `1 <= partition <= 10`, "
                f"but got {partition} instead"
            )
        self._partition = partition

        super().__init__(root, transform, target_transform, loader)
        self._base_folder = os.path.join(self.root, type(self).__name__.lower())
        self._data_folder = os.path.join(self._base_folder, "dtd")
        self._meta_folder = os.path.join(self._data_folder, "labels")
        self._images_folder = os.path.join(self._data_folder, "images")
        archives = [(self._URL, "dtd-r1.0.1.tar.gz", self._MD5)]
        prepare_folders([self._data_folder], self._base_folder, archives, download)

        files, classes = [], []
        with open(os.path.join(self._meta_folder, f"{self._split}{self._partition}.txt")) as file:
            for line in file:
                cls, name = line.strip().split("/")
                files.append(os.path.join(self._images_folder, cls, name))
                classes.append(cls)

        self.classes = sorted(set(classes))
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))
        self._samples = [(path, self.class_to_idx[cls]) for path, cls in zip(files, classes)]

    def extra_repr(self):
        return f"split={self._split}, partition={self._partition}"
