"""MNIST and its drop-in relatives (Fashion-MNIST, KMNIST, EMNIST), read from IDX files."""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import string
import zlib

import numpy as np
from PIL import Image

import ember
from ember.utils._download import download_from_mirrors, placement_hint

from .utils import extract_archive, verify_str_arg
from .vision import VisionDataset


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ Dataset.

    Reads ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``, each file either
    plain (torchvision's layout after download) or gzip-compressed with a ``.gz`` suffix (as
    published, and as this repository ships it under ``data/``). torchvision's legacy
    ``MNIST/processed/*.pt`` files are torch pickles and are not read.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset, holding ``MNIST/raw/``.
        train (bool, optional): If True, the 60,000 training images, otherwise the 10,000 test
            images.
        transform (callable, optional): Takes a PIL image and returns a transformed version,
            e.g. ``transforms.RandomCrop``.
        target_transform (callable, optional): Takes the target and transforms it.
        download (bool, optional): If True, downloads the missing files from the mirrors and
            puts them in ``root/MNIST/raw``. Without network access it fails within seconds,
            saying which files to place there.

    Attributes:
        data (Tensor): uint8 images, shape ``[N, 28, 28]``.
        targets (Tensor): int64 labels, shape ``[N]``.

    Example:
        >>> train = MNIST(root="data")  # the copy shipped with Ember
        >>> img, label = train[0]  # PIL image (mode "L"), 5
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]

    # md5 of the published .gz files; checked only on download (like torchvision, the files on
    # disk are only checked for presence, so a locally recompressed .gz is fine).
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train

        if download:
            self.download()

        if not self._check_exists():
            raise RuntimeError(
                "Dataset not found. You can use download=True to download it.\n"
                + placement_hint(self.raw_folder, self._raw_files(), " (plain or .gz)")
            )

        self.data, self.targets = self._load_data()

    def _raw_files(self):
        """Names (without ``.gz``) of the raw files the dataset needs to exist."""
        return [os.path.splitext(filename)[0] for filename, _ in self.resources]

    def _split_files(self):
        """Names (without ``.gz``) of this split's image and label files."""
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _find(self, name):
        """Path of raw file ``name`` as stored, plain or ``.gz`` (plain first), or None."""
        path = os.path.join(self.raw_folder, name)
        for candidate in (path, path + ".gz"):
            if os.path.isfile(candidate):
                return candidate
        return None

    def _check_exists(self):
        return all(self._find(name) is not None for name in self._raw_files())

    def _load_data(self):
        images_path, labels_path = (self._find(name) for name in self._split_files())
        data = read_image_file(images_path)
        targets = read_label_file(labels_path)
        if len(data) != len(targets):
            raise ValueError(
                f"{images_path} holds {len(data)} images but {labels_path} holds "
                f"{len(targets)} labels"
            )
        return data, targets

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)``: a PIL image of mode ``"L"`` and the class index, each
            passed through its transform if one is set.
        """
        img, target = self.data[index], int(self.targets[index])

        # A PIL image, consistent with all other datasets.
        img = Image.fromarray(img.numpy())

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.data)

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {_class: i for i, _class in enumerate(self.classes)}

    def download(self):
        """Download the raw files that are missing, trying each mirror in turn."""
        if self._check_exists():
            return

        os.makedirs(self.raw_folder, exist_ok=True)
        missing = [
            (filename, md5)
            for filename, md5 in self.resources
            if self._find(os.path.splitext(filename)[0]) is None
        ]
        hint = placement_hint(self.raw_folder, [filename for filename, _ in missing])
        for filename, md5 in missing:
            urls = [f"{mirror}{filename}" for mirror in self.mirrors]
            download_from_mirrors(urls, self.raw_folder, filename, md5, hint)

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_ Dataset.

    Same arguments and layout as :class:`MNIST`, under ``root/FashionMNIST/raw/``.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_ Dataset.

    Same arguments and layout as :class:`MNIST`, under ``root/KMNIST/raw/``.
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]

    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_ Dataset.

    Reads ``root/EMNIST/raw/emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte``
    (plain or ``.gz``). As in torchvision, images are returned as stored, which is transposed
    (rows and columns swapped) relative to MNIST; ``split="letters"`` labels run 1..26, with
    class 0 ``"N/A"``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset, holding ``EMNIST/raw/``.
        split (str): One of ``byclass``, ``bymerge``, ``balanced``, ``letters``, ``digits``
            and ``mnist``.
        **kwargs: ``train``, ``transform``, ``target_transform`` and ``download``, as for
            :class:`MNIST`.
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # Merged classes: the letters whose upper and lower case are written alike.
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A", *string.ascii_lowercase],
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        self.split = verify_str_arg(split, "split", self.splits)
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    def _split_files(self):
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _raw_files(self):
        return list(self._split_files())

    def download(self):
        """Download and extract the EMNIST archive (all splits) if this split is missing."""
        if self._check_exists():
            return

        os.makedirs(self.raw_folder, exist_ok=True)
        hint = placement_hint(self.raw_folder, self._raw_files(), " (plain or .gz)")
        hint += f"\nor put {os.path.basename(self.url)} (md5 {self.md5}) there and retry."
        download_from_mirrors([self.url], self.raw_folder, "gzip.zip", self.md5, hint)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for gzip_file in os.listdir(gzip_folder):
            if gzip_file.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, gzip_file), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_ Dataset.

    Reads ``root/QMNIST/raw/``: ``qmnist-{train,test}-images-idx3-ubyte`` and
    ``qmnist-{train,test}-labels-idx2-int``, or ``xnist-images-idx3-ubyte`` and
    ``xnist-labels-idx2-int`` for ``what="nist"``; each plain or compressed as published
    (``.gz``, or ``.xz`` for the NIST files). The labels are int32 rows of 8 numbers: class,
    NIST HSF series, writer id, digit index, NIST class, global index, duplicate, unused.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset whose ``raw``
            subdir contains binary files of the datasets.
        what (string,optional): Can be 'train', 'test', 'test10k',
            'test50k', or 'nist' for respectively the mnist compatible
            training set, the 60k qmnist testing set, the 10k qmnist
            examples that match the mnist testing set, the 50k
            remaining qmnist testing examples, or all the nist
            digits. The default is to select 'train' or 'test'
            according to the compatibility argument 'train'.
        compat (bool,optional): A boolean that says whether the target
            for each example is class number (for compatibility with
            the MNIST dataloader) or a tensor containing the
            full qmnist information (int64, shape ``[8]``). Default=True.
        train (bool,optional,compatibility): When argument 'what' is
            not specified, this boolean decides whether to load the
            training set or the testing set.  Default: True.
        **kwargs: ``transform``, ``target_transform`` and ``download``, as for
            :class:`MNIST`. Only the files of ``what`` are downloaded.
    """

    subsets = {
        "train": "train",
        "test": "test",
        "test10k": "test",
        "test50k": "test",
        "nist": "nist",
    }
    resources = {
        "train": [
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-train-images-idx3-ubyte.gz",
                "ed72d4157d28c017586c42bc6afe6370",
            ),
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-train-labels-idx2-int.gz",
                "0058f8dd561b90ffdd0f734c6a30e5e4",
            ),
        ],
        "test": [
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-test-images-idx3-ubyte.gz",
                "1394631089c404de565df7b7aeaf9412",
            ),
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/qmnist-test-labels-idx2-int.gz",
                "5b5b05890a5e13444e108efe57b788aa",
            ),
        ],
        "nist": [
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/xnist-images-idx3-ubyte.xz",
                "7f124b3b8ab81486c9d8c2749c17f834",
            ),
            (
                "https://raw.githubusercontent.com/facebookresearch/qmnist/master/xnist-labels-idx2-int.xz",
                "5ed0e788978e45d4a8bd4b7caec3d79d",
            ),
        ],
    }

    def __init__(self, root, what=None, compat=True, train=True, **kwargs):
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets.keys()))
        self.compat = compat
        super().__init__(root, train, **kwargs)

    def _resources(self):
        return self.resources[self.subsets[self.what]]

    def _split_files(self):
        return tuple(os.path.splitext(os.path.basename(url))[0] for url, _ in self._resources())

    def _raw_files(self):
        return list(self._split_files())

    def _find(self, name):
        path = os.path.join(self.raw_folder, name)
        for candidate in (path, path + ".gz", path + ".xz"):
            if os.path.isfile(candidate):
                return candidate
        return None

    def _load_data(self):
        images_path, labels_path = (self._find(name) for name in self._split_files())
        data = _read_uint8(images_path, 3, "images")
        targets = _read_idx(labels_path).astype(np.int64)
        if targets.ndim != 2:
            raise ValueError(
                f"{labels_path}: targets should have 2 dimensions instead of {targets.ndim}"
            )
        if len(data) != len(targets):
            raise ValueError(
                f"{images_path} holds {len(data)} images but {labels_path} holds "
                f"{len(targets)} labels"
            )
        if self.what == "test10k":
            data, targets = data[:10000], targets[:10000]
        elif self.what == "test50k":
            data, targets = data[10000:], targets[10000:]
        # Copies: a slice of the 60k test set must not keep the whole array alive.
        return ember.from_numpy(data.copy()), ember.from_numpy(targets.copy())

    def download(self):
        """Download the QMNIST files of ``what`` if they are missing (kept compressed)."""
        if self._check_exists():
            return

        os.makedirs(self.raw_folder, exist_ok=True)
        names = [os.path.basename(url) for url, _ in self._resources()]
        hint = placement_hint(self.raw_folder, names, " (compressed or not)")
        for url, md5 in self._resources():
            if self._find(os.path.splitext(os.path.basename(url))[0]) is not None:
                continue
            download_from_mirrors(
                [url], self.raw_folder, os.path.basename(url), md5, hint, extract=False
            )

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)``: a PIL image of mode ``"L"`` and the class index, or
            with ``compat=False`` the int64 tensor of the 8 QMNIST label fields.
        """
        img, target = self.data[index], self.targets[index]
        img = Image.fromarray(img.numpy())
        if self.transform is not None:
            img = self.transform(img)
        if self.compat:
            target = int(target[0])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {self.what}"


# IDX type code -> element dtype; IDX data is big-endian.
SN3_PASCALVINCENT_TYPEMAP = {
    8: np.dtype(np.uint8),
    9: np.dtype(np.int8),
    11: np.dtype(">i2"),
    12: np.dtype(">i4"),
    13: np.dtype(">f4"),
    14: np.dtype(">f8"),
}


# Magic bytes of the compressed forms a raw file may be stored in, and their decompressors.
_COMPRESSIONS = {
    b"\x1f\x8b": ("gzip", gzip.decompress),
    b"\xfd7zXZ\x00": ("xz", lzma.decompress),
}


def _read_bytes(path):
    """The file's contents, decompressed when they are gzip or xz data.

    Sniffing the magic bytes is unambiguous: an IDX file starts with 0x00.
    """
    with open(path, "rb") as f:
        raw = f.read()
    for magic, (name, decompress) in _COMPRESSIONS.items():
        if raw.startswith(magic):
            try:
                return decompress(raw)
            except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
                raise ValueError(
                    f"{path} is not a valid {name} file (truncated or corrupt): {error}"
                ) from None
    return raw


def _read_idx(path):
    """Parse an IDX file (plain or ``.gz``) into a native-endian numpy array.

    Layout: magic ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
    big-endian elements.
    """
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in SN3_PASCALVINCENT_TYPEMAP:
        raise ValueError(f"{path} is not an IDX file: bad magic number 0x{data[:4].hex()}")
    dtype = SN3_PASCALVINCENT_TYPEMAP[data[2]]
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{path} is truncated or corrupt: incomplete IDX header")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its IDX header declares shape {shape} of "
            f"{dtype.name} ({expected} bytes) but {len(data) - header} bytes follow the header"
        )
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    # astype copies: the result is writable and native-endian.
    return array.astype(dtype.newbyteorder("="))


def read_sn3_pascalvincent_tensor(path):
    """Read an IDX ("SN3 Pascal Vincent") file, plain or ``.gz``, into a tensor.

    Raises:
        ValueError: naming the file, when it is not IDX or is truncated.
    """
    return ember.from_numpy(_read_idx(path))


def _read_uint8(path, ndim, what):
    array = _read_idx(path)
    if array.dtype != np.uint8:
        raise TypeError(f"{path}: {what} should be of dtype uint8 instead of {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{path}: {what} should have {ndim} dimensions instead of {array.ndim}")
    return array


def read_label_file(path):
    """Labels from an IDX file: int64 tensor of shape ``[N]``."""
    return ember.from_numpy(_read_uint8(path, 1, "labels").astype(np.int64))


def read_image_file(path):
    """Images from an IDX file: uint8 tensor of shape ``[N, H, W]``."""
    return ember.from_numpy(_read_uint8(path, 3, "images"))
