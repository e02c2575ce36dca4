"""CLEVR classification: the number of objects in each scene is its label."""

from __future__ import annotations

import json
import os

from ._helpers import ImageListDataset, prepare_folders
from .folder import default_loader
from .utils import verify_str_arg


class CLEVRClassification(ImageListDataset):
    """`CLEVR <https://cs.stanford.edu/people/jcjohns/clevr/>`_  classification dataset.

    The number of objects in a scene are used as label.

    Reads ``root/clevr/CLEVR_v1.0/``: the images ``images/<split>/*`` (sorted) and, except
    for the test split (whose targets are None), ``scenes/CLEVR_<split>_scenes.json``.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``root/clevr`` exists or will be saved to if download is set to True.
        split (string, optional): The dataset split, supports ``"train"`` (default),
            ``"val"``, or ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in them target
            and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and puts
            it in root directory. If dataset is already downloaded, it is not downloaded
            again. Without network access it fails within seconds, naming the archive to
            place in ``root/clevr``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _URL = "https://dl.fbaipublicfiles.com/clevr/CLEVR_v1.0.zip"
    _MD5 = "b11922020e72d0cd9154779b2d3d07d2"

    def __init__(
        self,
        root,
        split="train",
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        super().__init__(root, transform, target_transform, loader)
        self._base_folder = os.path.join(self.root, "clevr")
        self._data_folder = os.path.join(self._base_folder, "CLEVR_v1.0")
        archives = [(self._URL, "CLEVR_v1.0.zip", self._MD5)]
        prepare_folders([self._data_folder], self._base_folder, archives, download)

        images_folder = os.path.join(self._data_folder, "images", self._split)
        image_files = sorted(os.listdir(images_folder))

        if self._split != "test":
            scenes_file = os.path.join(
                self._data_folder, "scenes", f"CLEVR_{self._split}_scenes.json"
            )
            with open(scenes_file) as file:
                try:
                    content = json.load(file)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{scenes_file} is not valid JSON: {error}") from None
            num_objects = {
                scene["image_filename"]: len(scene["objects"]) for scene in content["scenes"]
            }
            labels = [num_objects[name] for name in image_files]
        else:
            labels = [None] * len(image_files)

        self._samples = [
            (os.path.join(images_folder, name), label) for name, label in zip(image_files, labels)
        ]

    def extra_repr(self):
        return f"split={self._split}"
