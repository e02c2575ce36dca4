"""Country211: an :class:`ImageFolder` over ``country211/<split>``."""

from __future__ import annotations

import os

from ._helpers import prepare_folders
from .folder import ImageFolder, default_loader
from .utils import verify_str_arg


class Country211(ImageFolder):
    """`The Country211 Data Set <https://github.com/openai/CLIP/blob/main/data/country211.md>`_ from OpenAI.

    This dataset was built by filtering the images from the YFCC100m dataset
    that have GPS coordinate corresponding to a ISO-3166 country code. The
    dataset is balanced by sampling 150 train images, 50 validation images, and
    100 test images for each country.

    An :class:`ImageFolder` over ``root/country211/<split>/<country code>/<file>.jpg``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"train"`` (default),
            ``"valid"`` and ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and puts
            it into ``root/country211/``. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archive to place in ``root``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _URL = "https://openaipublic.azureedge.net/clip/data/country211.tgz"
    _MD5 = "84988d7644798601126c29e9877aab6a"

    def __init__(
        self,
        root,
        split="train",
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        self._split = verify_str_arg(split, "split", ("train", "valid", "test"))

        root = os.path.expanduser(root)
        self._base_folder = os.path.join(root, "country211")
        archives = [(self._URL, "country211.tgz", self._MD5)]
        prepare_folders([self._base_folder], root, archives, download)

        super().__init__(
            os.path.join(self._base_folder, self._split),
            transform=transform,
            target_transform=target_transform,
            loader=loader,
        )
        self.root = str(root)
