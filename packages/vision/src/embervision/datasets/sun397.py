"""SUN397: scene images under ``SUN397/<letter>/<class>/sun_*.jpg``, classes in
``ClassName.txt``."""

from __future__ import annotations

import pathlib

from ._helpers import ImageListDataset, prepare_folders
from .folder import default_loader


class SUN397(ImageListDataset):
    """`The SUN397 Data Set <https://vision.princeton.edu/projects/2010/SUN/>`_.

    The SUN397 or Scene UNderstanding (SUN) is a dataset for scene recognition consisting of
    397 categories with 108'754 images.

    Reads ``root/SUN397/ClassName.txt`` (lines ``/<letter>/<class>``, the class possibly
    nested as ``<name>/<sub-name>``) and every ``root/SUN397/<letter>/<class>/sun_*.jpg``,
    in sorted order (torchvision keeps the file system's order).

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archive to place in ``root``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _DATASET_URL = "http://vision.princeton.edu/projects/2010/SUN/SUN397.tar.gz"
    _DATASET_MD5 = "8ca2778205c41d23104230ba66911c7a"

    def __init__(
        self, root, transform=None, target_transform=None, download=False, loader=default_loader
    ):
        super().__init__(root, transform, target_transform, loader)
        self._data_dir = pathlib.Path(self.root) / "SUN397"
        archives = [(self._DATASET_URL, "SUN397.tar.gz", self._DATASET_MD5)]
        prepare_folders([str(self._data_dir)], self.root, archives, download)

        with open(self._data_dir / "ClassName.txt") as f:
            self.classes = [c[3:].strip() for c in f]
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))

        for path in sorted(self._data_dir.rglob("sun_*.jpg")):
            # <letter>/<class, one or more folders>/<file>
            class_name = "/".join(path.relative_to(self._data_dir).parts[1:-1])
            if class_name not in self.class_to_idx:
                raise ValueError(f"{path} is in a folder that is not a class of ClassName.txt")
            self._samples.append((str(path), self.class_to_idx[class_name]))
