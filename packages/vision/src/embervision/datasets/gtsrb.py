"""The German Traffic Sign Recognition Benchmark: class folders (train), a CSV (test)."""

from __future__ import annotations

import csv
import os

from ._helpers import ImageListDataset, prepare_folders
from .folder import default_loader, make_dataset
from .utils import verify_str_arg


class GTSRB(ImageListDataset):
    """`German Traffic Sign Recognition Benchmark (GTSRB) <https://benchmark.ini.rub.de/>`_ Dataset.

    The training images are ``root/gtsrb/GTSRB/Training/<class, e.g. 00000>/*.ppm``; the test
    images ``root/gtsrb/GTSRB/Final_Test/Images/*.ppm``, labelled by the ``ClassId`` column of
    the semicolon-separated ``root/gtsrb/GT-final_test.csv``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"train"`` (default), or
            ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``.
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archives to place in ``root/gtsrb``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _BASE_URL = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"
    _ARCHIVES = {
        "train": [("GTSRB-Training_fixed.zip", "513f3c79a4c5141765e10e952eaa2478")],
        "test": [
            ("GTSRB_Final_Test_Images.zip", "c7e4e6327067d32654124b0fe9e82185"),
            ("GTSRB_Final_Test_GT.zip", "fe31e9c9270bbcd7b84b7f21a9d9d9e5"),
        ],
    }

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
        self._base_folder = os.path.join(self.root, "gtsrb")
        self._target_folder = os.path.join(
            self._base_folder,
            "GTSRB",
            "Training" if self._split == "train" else os.path.join("Final_Test", "Images"),
        )
        archives = [
            (self._BASE_URL + filename, filename, md5)
            for filename, md5 in self._ARCHIVES[self._split]
        ]
        prepare_folders([self._target_folder], self._base_folder, archives, download)

        if self._split == "train":
            self._samples = make_dataset(self._target_folder, extensions=(".ppm",))
        else:
            csv_path = os.path.join(self._base_folder, "GT-final_test.csv")
            with open(csv_path) as csv_file:
                rows = list(csv.DictReader(csv_file, delimiter=";", skipinitialspace=True))
            if rows and not {"Filename", "ClassId"} <= rows[0].keys():
                raise ValueError(f"{csv_path} has no Filename and ClassId columns")
            self._samples = [
                (os.path.join(self._target_folder, row["Filename"]), int(row["ClassId"]))
                for row in rows
            ]
