"""PatchCamelyon: 96x96 histopathology patches and their labels in HDF5 files."""

from __future__ import annotations

import os

from PIL import Image

from ._helpers import dataset_not_found
from ._optional import import_h5py
from .utils import verify_str_arg
from .vision import VisionDataset


class PCAM(VisionDataset):
    """`PCAM Dataset   <https://github.com/basveeling/pcam>`_.

    The PatchCamelyon dataset is a binary classification dataset with 327,680
    color images (96px x 96px), extracted from histopathologic scans of lymph node
    sections. Each image is annotated with a binary label indicating presence of
    metastatic tissue.

    This dataset requires the ``h5py`` package which you can install with
    ``pip install h5py`` (or ``pip install embervision[hdf5]``).

    Reads ``root/pcam/camelyonpatch_level_2_split_<split>_x.h5`` (dataset ``x``, uint8
    ``N x 96 x 96 x 3``) and ``..._y.h5`` (dataset ``y``, ``N x 1 x 1 x 1``), with ``valid``
    for the ``"val"`` split.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"train"`` (default),
            ``"test"`` or ``"val"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``.
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): torchvision downloads the files from Google Drive (with
            ``gdown``); embervision cannot, so ``download=True`` with files missing fails at
            once, naming the files to place in ``root/pcam``.
    """

    _FILES = {
        "train": {
            "images": (
                "camelyonpatch_level_2_split_train_x.h5",  # Data file name
                "1Ka0XfEMiwgCYPdTI-vv6eUElOBnKFKQ2",  # Google Drive ID
                "1571f514728f59376b705fc836ff4b63",  # md5 hash
            ),
            "targets": (
                "camelyonpatch_level_2_split_train_y.h5",
                "1269yhu3pZDP8UYFQs-NYs3FPwuK-nGSG",
                "35c2d7259d906cfc8143347bb8e05be7",
            ),
        },
        "test": {
            "images": (
                "camelyonpatch_level_2_split_test_x.h5",
                "1qV65ZqZvWzuIVthK8eVDhIwrbnsJdbg_",
                "d8c2d60d490dbd479f8199bdfa0cf6ec",
            ),
            "targets": (
                "camelyonpatch_level_2_split_test_y.h5",
                "17BHrSrwWKjYsOgTMmoqrIjDy6Fa2o_gP",
                "60a7035772fbdb7f34eb86d4420cf66a",
            ),
        },
        "val": {
            "images": (
                "camelyonpatch_level_2_split_valid_x.h5",
                "1hgshYGWK8V-eGRy8LToWJJgDU_rXWVJ3",
                "d5b63470df7cfa627aeec8b9dc0c066e",
            ),
            "targets": (
                "camelyonpatch_level_2_split_valid_y.h5",
                "1bH8ZRbhSVAhScTS0p9-ZzGnX91cHT3uO",
                "2b85f58b927af9964a4c15b8f7e8f179",
            ),
        },
    }

    def __init__(self, root, split="train", transform=None, target_transform=None, download=False):
        self.h5py = import_h5py()

        self._split = verify_str_arg(split, "split", ("train", "test", "val"))

        super().__init__(root, transform=transform, target_transform=target_transform)
        self._base_folder = os.path.join(self.root, "pcam")

        if download:
            self._download()

        if not self._check_exists():
            raise dataset_not_found(self._hint())

    def _path(self, kind):
        return os.path.join(self._base_folder, self._FILES[self._split][kind][0])

    def __len__(self):
        with self.h5py.File(self._path("images"), "r") as images_data:
            return images_data["x"].shape[0]

    def __getitem__(self, idx):
        """
        Args:
            idx (int): Index

        Returns:
            tuple: ``(image, target)``: an RGB PIL image and 1 when the patch shows
            metastatic tissue, else 0.
        """
        with self.h5py.File(self._path("images"), "r") as images_data:
            image = Image.fromarray(images_data["x"][idx]).convert("RGB")

        with self.h5py.File(self._path("targets"), "r") as targets_data:
            target = int(targets_data["y"][idx, 0, 0, 0])  # shape is [num_images, 1, 1, 1]

        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)

        return image, target

    def _check_exists(self):
        return all(os.path.exists(self._path(kind)) for kind in ("images", "targets"))

    def _hint(self):
        listing = "\n".join(
            f"  {filename}, decompressed from {filename}.gz (md5 {md5}, Google Drive id {file_id})"
            for filename, file_id, md5 in self._FILES[self._split].values()
        )
        return f"Place these files in {self._base_folder}:\n{listing}"

    def _download(self):
        """Fail unless the files are already there: they are on Google Drive, which
        embervision does not download from."""
        if self._check_exists():
            return
        raise RuntimeError(
            "PCAM is distributed through Google Drive, which embervision does not download "
            "from.\n" + self._hint()
        )
