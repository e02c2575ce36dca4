"""CIFAR-10 and CIFAR-100, read from the "python version" pickles through a restricted unpickler."""

from __future__ import annotations

import os
import pickle

import numpy as np
from PIL import Image

from ember.utils._download import download_from_mirrors

from .utils import check_integrity
from .vision import VisionDataset

# The function numpy pickles arrays with; taking it from numpy itself works whether numpy
# calls its module numpy.core (1.x) or numpy._core (2.x), without importing the deprecated alias.
_reconstruct = np.ndarray.__reduce__(np.empty(0))[0]


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, and refuses every other global.

    A pickle can call any importable function (``os.system`` included) while loading; the CIFAR
    files only need numpy's array reconstruction, so nothing else is allowed.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"global '{module}.{name}' is forbidden: only numpy arrays may be unpickled"
            ) from None


def _load_pickle(path):
    """Load a CIFAR pickle (Python 2 era, so ``encoding="latin1"``), naming the file on error."""
    with open(path, "rb") as f:
        try:
            return _ArrayUnpickler(f, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            raise pickle.UnpicklingError(f"cannot load {path}: {error}") from None


class CIFAR10(VisionDataset):
    """`CIFAR10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_ Dataset.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset, where the directory
            ``cifar-10-batches-py`` exists or will be saved to if download is set to True.
        train (bool, optional): If True, creates the dataset from the training batches,
            otherwise from the test batch.
        transform (callable, optional): Takes a PIL image and returns a transformed version,
            e.g. ``transforms.RandomCrop``.
        target_transform (callable, optional): Takes the target and transforms it.
        download (bool, optional): If True, downloads and extracts the archive into root.
            Without network access it fails within seconds, saying which files to place where.

    Attributes:
        data (numpy.ndarray): uint8 images, shape ``[N, 32, 32, 3]`` (HWC, as torchvision).
        targets (list[int]): class indices.
        classes (list[str]): class names from the meta file.
        class_to_idx (dict[str, int]): class name -> index.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train

        if download:
            self.download()

        if not self._check_integrity():
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it.\n"
                + self._bad_files_message()
            )

        downloaded_list = self.train_list if self.train else self.test_list
        data = []
        self.targets = []
        for file_name, _ in downloaded_list:
            batch, labels = self._load_batch(os.path.join(self.root, self.base_folder, file_name))
            data.append(batch)
            self.targets.extend(labels)

        # Each row holds the 1024 red, then green, then blue values of a 32x32 image.
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # to HWC

        self._load_meta()

    @staticmethod
    def _load_batch(path):
        """``(data, labels)`` of one batch file; CIFAR-100 files call the labels fine_labels."""
        entry = _load_pickle(path)
        data = entry.get("data") if isinstance(entry, dict) else None
        if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2):
            raise ValueError(f"{path} is not a CIFAR batch: expected a dict with uint8 'data'")
        labels = entry.get("labels", entry.get("fine_labels"))
        if data.shape[1] != 3 * 32 * 32 or labels is None or len(labels) != len(data):
            raise ValueError(
                f"{path} is corrupt: 'data' has shape {data.shape} (expected [N, 3072]) for "
                f"{'no' if labels is None else len(labels)} labels"
            )
        return data, labels

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError(
                "Dataset metadata file not found or corrupted. You can use download=True to "
                f"download it.\n{path} is missing or does not have md5 {self.meta['md5']}."
            )
        self.classes = _load_pickle(path)[self.meta["key"]]
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)``: an RGB PIL image and the class index, each passed
            through its transform if one is set.
        """
        img, target = self.data[index], self.targets[index]

        # A PIL image, consistent with all other datasets.
        img = Image.fromarray(img)

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.data)

    def _bad_files(self):
        """Paths among the expected files that are missing or fail their md5 check."""
        return [
            os.path.join(self.root, self.base_folder, filename)
            for filename, md5 in self.train_list + self.test_list
            if not check_integrity(os.path.join(self.root, self.base_folder, filename), md5)
        ]

    def _check_integrity(self):
        return not self._bad_files()

    def _bad_files_message(self):
        bad = "\n".join(f"  {path}" for path in self._bad_files())
        return f"Missing or failing their md5 check:\n{bad}\n" + self._placement_message()

    def _placement_message(self):
        folder = os.path.join(self.root, self.base_folder)
        names = [name for name, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        listing = "\n".join(f"  {name}" for name in names)
        return (
            f"Without network access, put {self.filename} (md5 {self.tgz_md5}) in {self.root} "
            f"and pass download=True to extract it, or place its files in {folder}:\n{listing}"
        )

    def download(self):
        """Download and extract the archive unless the files are already there and verified."""
        if self._check_integrity():
            return
        download_from_mirrors(
            [self.url], self.root, self.filename, self.tgz_md5, self._placement_message()
        )

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class CIFAR100(CIFAR10):
    """`CIFAR100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_ Dataset.

    A subclass of :class:`CIFAR10` reading ``root/cifar-100-python/{train,test,meta}``; targets
    are the 100 fine labels (``fine_labels``, names from ``fine_label_names``).
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [
        ["train", "16019d7e3df5f24257cddd939b257f8d"],
    ]
    test_list = [
        ["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"],
    ]
    meta = {
        "filename": "meta",
        "key": "fine_label_names",
        "md5": "7973b15100ade9c7d40fb424638fde48",
    }
