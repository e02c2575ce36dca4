"""EuroSAT (RGB): an :class:`ImageFolder` over ``eurosat/2750``."""

from __future__ import annotations

import os

from ._helpers import prepare_folders
from .folder import ImageFolder, default_loader


class EuroSAT(ImageFolder):
    """RGB version of the `EuroSAT <https://github.com/phelber/eurosat>`_ Dataset.

    An :class:`ImageFolder` over ``root/eurosat/2750/<class>/<file>.jpg``, 10 land-use
    classes of 64x64 Sentinel-2 images.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where ``root/eurosat``
            exists.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Default is False. Without network access it fails within
            seconds, naming the archive to place in ``root/eurosat``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _URL = (
        "https://huggingface.co/datasets/torchgeo/eurosat/resolve/"
        "c877bcd43f099cd0196738f714544e355477f3fd/EuroSAT.zip"
    )
    _MD5 = "c8fa014336c82ac7804f0398fcb19387"

    def __init__(
        self, root, transform=None, target_transform=None, download=False, loader=default_loader
    ):
        self.root = os.path.expanduser(root)
        self._base_folder = os.path.join(self.root, "eurosat")
        self._data_folder = os.path.join(self._base_folder, "2750")
        archives = [(self._URL, "EuroSAT.zip", self._MD5)]
        prepare_folders([self._data_folder], self._base_folder, archives, download)

        super().__init__(
            self._data_folder, transform=transform, target_transform=target_transform, loader=loader
        )
        self.root = os.path.expanduser(root)
