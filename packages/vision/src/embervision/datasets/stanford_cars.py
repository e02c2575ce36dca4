"""Stanford Cars: image folders, annotations and class names in the devkit's ``.mat`` files."""

from __future__ import annotations

import os

import numpy as np

from ._helpers import ImageListDataset
from ._optional import loadmat
from .folder import default_loader
from .utils import verify_str_arg


class StanfordCars(ImageListDataset):
    """Stanford Cars  Dataset

    The Cars dataset contains 16,185 images of 196 classes of cars. The data is
    split into 8,144 training images and 8,041 testing images, where each class
    has been split roughly in a 50-50 split

    The original URL is https://ai.stanford.edu/~jkrause/cars/car_dataset.html,
    the dataset isn't available online anymore.

    Reads ``root/stanford_cars/``: ``devkit/cars_meta.mat`` (``class_names``), the
    annotations ``devkit/cars_train_annos.mat`` (train) or ``cars_test_annos_withlabels.mat``
    (test), each a struct array with ``fname`` and ``class`` (1-based) fields, and the images
    ``cars_train/<fname>`` or ``cars_test/<fname>``.

    .. note::

        This class needs `scipy <https://docs.scipy.org/doc/>`_ to load target files from
        `.mat` format (``pip install embervision[mat]``).

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset
        split (string, optional): The dataset split, supports ``"train"`` (default) or
            ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): This parameter exists for backward compatibility but it does
            not download the dataset, since the original URL is not available anymore.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

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
        self._base_folder = os.path.join(self.root, "stanford_cars")
        devkit = os.path.join(self._base_folder, "devkit")

        if self._split == "train":
            self._annotations_mat_path = os.path.join(devkit, "cars_train_annos.mat")
            self._images_base_path = os.path.join(self._base_folder, "cars_train")
        else:
            self._annotations_mat_path = os.path.join(
                self._base_folder, "cars_test_annos_withlabels.mat"
            )
            self._images_base_path = os.path.join(self._base_folder, "cars_test")

        if download:
            self.download()

        if not self._check_exists():
            raise RuntimeError(
                f"Dataset not found. It needs {os.path.join(devkit, 'cars_meta.mat')}, "
                f"{self._annotations_mat_path} and the images in {self._images_base_path}."
            )

        # squeeze_me leaves a 0-d array for a single record: np.atleast_1d makes it a list again.
        annotations = np.atleast_1d(
            loadmat(self._annotations_mat_path, squeeze_me=True)["annotations"]
        )
        self._samples = [
            # The classes in the file count from 1.
            (os.path.join(self._images_base_path, str(fname)), int(cls) - 1)
            for fname, cls in zip(annotations["fname"], annotations["class"])
        ]

        meta = loadmat(os.path.join(devkit, "cars_meta.mat"), squeeze_me=True)
        self.classes = np.atleast_1d(meta["class_names"]).tolist()
        self.class_to_idx = {cls: i for i, cls in enumerate(self.classes)}

    def _check_exists(self):
        if not os.path.isdir(os.path.join(self._base_folder, "devkit")):
            return False
        return os.path.exists(self._annotations_mat_path) and os.path.isdir(self._images_base_path)

    def download(self):
        raise ValueError(
            "The original URL is broken so the StanfordCars dataset cannot be downloaded anymore."
        )
