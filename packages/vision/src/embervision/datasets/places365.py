"""Places365: class list ``categories_places365.txt``, split lists ``places365_<split>.txt``."""

from __future__ import annotations

import os

from ._helpers import archive_hint, download_archives
from .folder import default_loader
from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset


class Places365(VisionDataset):
    r"""`Places365 <http://places2.csail.mit.edu/index.html>`_ classification dataset.

    Reads ``root/categories_places365.txt`` (lines ``/<letter>/<class> <index>``),
    ``root/places365_<split>.txt`` (lines ``<image path> [<index>]``; the test list has no
    labels, so its targets are None) and the images under ``root/data_<size>_<variant>``
    (train) or ``root/<split>_<size>`` (val, test), ``<size>`` being ``256`` or ``large``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the Places365 dataset.
        split (string, optional): The dataset split. Can be one of ``train-standard``
            (default), ``train-challenge``, ``val``, ``test``.
        small (bool, optional): If ``True``, uses the small images, i.e. resized to 256 x 256
            pixels, instead of the high resolution ones.
        download (bool, optional): If ``True``, downloads the dataset components and places
            them in ``root``. Already downloaded archives are not downloaded again. Without
            network access it fails within seconds, naming the archive to place in ``root``.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        loader (callable, optional): A function to load an image given its path.

    Attributes:
        classes (list): List of the class names.
        class_to_idx (dict): Dict with items (class_name, class_index).
        imgs (list): List of (image path, class_index) tuples
        targets (list): The class_index value for each image in the dataset

    Raises:
        RuntimeError: If ``download is False`` and the meta files, i.e. the devkit, are not
            present or corrupted.
    """

    _SPLITS = ("train-standard", "train-challenge", "val", "test")
    _BASE_URL = "http://data.csail.mit.edu/places/places365/"
    # {variant: (archive, md5)}
    _DEVKIT_META = {
        "standard": ("filelist_places365-standard.tar", "35a0585fee1fa656440f3ab298f8479c"),
        "challenge": ("filelist_places365-challenge.tar", "70a8307e459c3de41690a7c76c931734"),
    }
    # (file, md5)
    _CATEGORIES_META = ("categories_places365.txt", "06c963b85866bd0649f97cb43dd16673")
    # {split: (file, md5)}
    _FILE_LIST_META = {
        "train-standard": ("places365_train_standard.txt", "30f37515461640559006b8329efbed1a"),
        "train-challenge": ("places365_train_challenge.txt", "b2931dc997b8c33c27e7329c073a6b57"),
        "val": ("places365_val.txt", "e9f2fd57bfd9d07630173f4e8708e4b1"),
        "test": ("places365_test.txt", "2fce8233fe493576d724142e45d93653"),
    }
    # {(split, small): (file, md5)}
    _IMAGES_META = {
        ("train-standard", False): (
            "train_large_places365standard.tar",
            "67e186b496a84c929568076ed01a8aa1",
        ),
        ("train-challenge", False): (
            "train_large_places365challenge.tar",
            "605f18e68e510c82b958664ea134545f",
        ),
        ("val", False): ("val_large.tar", "9b71c4993ad89d2d8bcbdc4aef38042f"),
        ("test", False): ("test_large.tar", "41a4b6b724b1d2cd862fb3871ed59913"),
        ("train-standard", True): (
            "train_256_places365standard.tar",
            "53ca1c756c3d1e7809517cc47c5561c5",
        ),
        ("train-challenge", True): (
            "train_256_places365challenge.tar",
            "741915038a5e3471ec7332404dfb64ef",
        ),
        ("val", True): ("val_256.tar", "e27b17d8d44f4af9a78502beb927f808"),
        ("test", True): ("test_256.tar", "f532f6ad7b582262a2ec8009075e186b"),
    }

    def __init__(
        self,
        root,
        split="train-standard",
        small=False,
        download=False,
        transform=None,
        target_transform=None,
        loader=default_loader,
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)

        self.split = self._verify_split(split)
        self.small = small
        self.loader = loader

        self.classes, self.class_to_idx = self.load_categories(download)
        self.imgs, self.targets = self.load_file_list(download)

        if download:
            self.download_images()

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)`` where target is the class index (None for the test
            split).
        """
        file, target = self.imgs[index]
        image = self.loader(file)

        if self.transforms is not None:
            image, target = self.transforms(image, target)

        return image, target

    def __len__(self):
        return len(self.imgs)

    @property
    def variant(self):
        return "challenge" if "challenge" in self.split else "standard"

    @property
    def images_dir(self):
        size = "256" if self.small else "large"
        if self.split.startswith("train"):
            dir = f"data_{size}_{self.variant}"
        else:
            dir = f"{self.split}_{size}"
        return os.path.join(self.root, dir)

    def load_categories(self, download=True):
        """``(sorted class names, {class name: index})`` from ``categories_places365.txt``."""
        file, md5 = self._CATEGORIES_META
        file = os.path.join(self.root, file)
        if not self._check_integrity(file, md5, download):
            self.download_devkit()

        class_to_idx = {}
        with open(file) as fh:
            for number, line in enumerate(fh, 1):
                fields = line.split()
                if len(fields) != 2 or not fields[1].isdigit():
                    raise ValueError(f"{file}, line {number}: expected '<class> <index>': {line!r}")
                class_to_idx[fields[0]] = int(fields[1])

        return sorted(class_to_idx.keys()), class_to_idx

    def load_file_list(self, download=True):
        """``(imgs, targets)`` from this split's ``places365_<split>.txt``."""

        def process(line, sep="/"):
            image, idx = (line.split() + [None])[:2]
            idx = int(idx) if idx is not None else None
            return os.path.join(self.images_dir, image.lstrip(sep).replace(sep, os.sep)), idx

        file, md5 = self._FILE_LIST_META[self.split]
        file = os.path.join(self.root, file)
        if not self._check_integrity(file, md5, download):
            self.download_devkit()

        with open(file) as fh:
            images = [process(line) for line in fh if line.strip()]

        return images, [target for _, target in images]

    def download_devkit(self):
        """Download and extract the file lists of this split's variant."""
        file, md5 = self._DEVKIT_META[self.variant]
        archives = [(self._BASE_URL + file, file, md5)]
        needed = [self._CATEGORIES_META[0], self._FILE_LIST_META[self.split][0]]
        hint = archive_hint(self.root, archives, " and ".join(needed))
        download_archives(self.root, archives, hint)

    def download_images(self):
        """Download and extract this split's images unless their folder exists."""
        if os.path.exists(self.images_dir):
            return

        file, md5 = self._IMAGES_META[(self.split, self.small)]
        archives = [(self._BASE_URL + file, file, md5)]
        extracted = self.images_dir.rsplit("_", 1)[0]  # the train archives lack the variant
        folder = self.images_dir
        if self.split.startswith("train"):
            folder += f" (the archive's {os.path.basename(extracted)}, renamed)"
        download_archives(self.root, archives, archive_hint(self.root, archives, folder))

        if self.split.startswith("train"):
            os.rename(extracted, self.images_dir)

    def extra_repr(self):
        return "\n".join(("Split: {split}", "Small: {small}")).format(**self.__dict__)

    def _verify_split(self, split):
        return verify_str_arg(split, "split", self._SPLITS)

    def _check_integrity(self, file, md5, download):
        integrity = check_integrity(file, md5=md5)
        if not integrity and not download:
            raise RuntimeError(
                f"The file {file} does not exist or is corrupted. You can set download=True "
                f"to download it."
            )
        return integrity
