"""Food-101, listed by ``meta/{train,test}.json``."""

from __future__ import annotations

import json
import os

from ._helpers import ImageListDataset, prepare_folders
from .folder import default_loader
from .utils import verify_str_arg


class Food101(ImageListDataset):
    """`The Food-101 Data Set <https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/>`_.

    The Food-101 is a challenging data set of 101 food categories with 101,000 images.
    For each class, 250 manually reviewed test images are provided as well as 750 training
    images. On purpose, the training images were not cleaned, and thus still contain some
    amount of noise. This comes mostly in the form of intense colors and sometimes wrong
    labels. All images were rescaled to have a maximum side length of 512 pixels.

    Reads ``root/food-101/meta/<split>.json`` (class name -> list of ``"<class>/<id>"``) and
    the images ``root/food-101/images/<class>/<id>.jpg``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"train"`` (default) and
            ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``.
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Default is False. Without network access it fails within
            seconds, naming the archive to place in ``root``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _URL = "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz"
    _MD5 = "85eeb15f3717b99a5da872d97d918f87"

    def __init__(
        self,
        root,
        split="train",
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        super().__init__(root, transform, target_transform, loader)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = os.path.join(self.root, "food-101")
        self._meta_folder = os.path.join(self._base_folder, "meta")
        self._images_folder = os.path.join(self._base_folder, "images")
        archives = [(self._URL, "food-101.tar.gz", self._MD5)]

        prepare_folders([self._meta_folder, self._images_folder], self.root, archives, download)

        meta_file = os.path.join(self._meta_folder, f"{split}.json")
        with open(meta_file) as f:
            try:
                metadata = json.load(f)
            except json.JSONDecodeError as error:
                raise ValueError(f"{meta_file} is not valid JSON: {error}") from None

        self.classes = sorted(metadata.keys())
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))

        for class_label, im_rel_paths in metadata.items():
            label = self.class_to_idx[class_label]
            for im_rel_path in im_rel_paths:
                path = os.path.join(self._images_folder, *f"{im_rel_path}.jpg".split("/"))
                self._samples.append((path, label))

    def extra_repr(self):
        return f"split={self._split}"
