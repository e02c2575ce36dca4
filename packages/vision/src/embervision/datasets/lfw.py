"""Labeled Faces in the Wild: identity folders of JPEGs, people and pair lists in text files."""

from __future__ import annotations

import os

from ._helpers import dataset_not_found
from .folder import default_loader
from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset


class _LFW(VisionDataset):
    """What :class:`LFWPeople` and :class:`LFWPairs` share: the files, their checks and the
    image paths ``root/lfw-py/<images folder>/<name>/<name>_<number, 4 digits>.jpg``."""

    base_folder = "lfw-py"
    download_url_prefix = "http://vis-www.cs.umass.edu/lfw/"

    file_dict = {
        "original": ("lfw", "lfw.tgz", "a17d05bd522c52d84eca14327a23d494"),
        "funneled": ("lfw_funneled", "lfw-funneled.tgz", "1b42dfed7d15c9b2dd63d5e5840c86ad"),
        "deepfunneled": (
            "lfw-deepfunneled",
            "lfw-deepfunneled.tgz",
            "68331da3eb755a505a502b5aacb3c201",
        ),
    }
    checksums = {
        "pairs.txt": "9f1ba174e4e1c508ff7cdf10ac338a7d",
        "pairsDevTest.txt": "5132f7440eb68cf58910c8a45a2ac10b",
        "pairsDevTrain.txt": "4f27cbf15b2da4a85c1907eb4181ad21",
        "people.txt": "450f0863dd89e85e73936a6d71a3474b",
        "peopleDevTest.txt": "e4bf5be0a43b5dcd9dc5ccfcb8fb19c5",
        "peopleDevTrain.txt": "54eaac34beb6d042ed3a7d883e247a21",
        "lfw-names.txt": "a6d0a479bd074669f656265a6e693f6d",
    }
    annot_file = {"10fold": "", "train": "DevTrain", "test": "DevTest"}
    names = "lfw-names.txt"

    def __init__(
        self,
        root,
        split,
        image_set,
        view,
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        super().__init__(
            os.path.join(root, self.base_folder),
            transform=transform,
            target_transform=target_transform,
        )

        self.image_set = verify_str_arg(image_set.lower(), "image_set", self.file_dict.keys())
        images_dir, self.filename, self.md5 = self.file_dict[self.image_set]

        self.view = verify_str_arg(view.lower(), "view", ["people", "pairs"])
        self.split = verify_str_arg(split.lower(), "split", ["10fold", "train", "test"])
        self.labels_file = f"{self.view}{self.annot_file[self.split]}.txt"
        self.data = []

        if download:
            raise ValueError(
                "LFW dataset is no longer available for automatic download. "
                "Please download the dataset manually and place it in the specified directory. "
                "A commonly used mirror is available at: "
                "https://www.kaggle.com/datasets/jessicali9530/lfw-dataset"
            )

        self.images_dir = os.path.join(self.root, images_dir)
        if not self._check_integrity():
            raise dataset_not_found(self._hint())

        self._loader = loader

    def _needed_files(self):
        """``(file name, md5)`` of the files this view and split read."""
        files = [(self.filename, self.md5), (self.labels_file, self.checksums[self.labels_file])]
        if self.view == "people":
            files.append((self.names, self.checksums[self.names]))
        return files

    def _check_integrity(self):
        return all(
            check_integrity(os.path.join(self.root, name), md5)
            for name, md5 in self._needed_files()
        )

    def _hint(self):
        listing = "\n".join(f"  {name} (md5 {md5})" for name, md5 in self._needed_files())
        return (
            f"Place these files in {self.root}, with {self.filename} extracted there "
            f"(folder {os.path.basename(self.images_dir)}/):\n{listing}"
        )

    def _get_path(self, identity, no):
        return os.path.join(self.images_dir, identity, f"{identity}_{int(no):04d}.jpg")

    def _read_labels(self, parse):
        """``parse(lines)`` of the labels file; a malformed file raises a ValueError naming it."""
        path = os.path.join(self.root, self.labels_file)
        with open(path) as f:
            lines = f.readlines()
        try:
            return parse(lines)
        except (ValueError, IndexError, KeyError) as error:
            raise ValueError(f"{path} is malformed: {error!r}") from None

    def extra_repr(self):
        return f"Alignment: {self.image_set}\nSplit: {self.split}"

    def __len__(self):
        return len(self.data)


class LFWPeople(_LFW):
    """`LFW <http://vis-www.cs.umass.edu/lfw/>`_ Dataset.

    .. warning::

        The LFW dataset is no longer available for automatic download. Please
        download it manually and place it in the specified directory.
        A commonly used mirror is available at:
        https://www.kaggle.com/datasets/jessicali9530/lfw-dataset

    Reads ``root/lfw-py/``: the archive of the ``image_set`` (checked by its md5) extracted
    there, ``lfw-names.txt`` (``<name> <image count>`` a line: the classes, in order) and
    ``people.txt`` (10 folds), ``peopleDevTrain.txt`` or ``peopleDevTest.txt``.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``lfw-py`` exists or will be saved to if download is set to True.
        split (string, optional): The image split to use. Can be one of ``train``, ``test``,
            ``10fold`` (default).
        image_set (str, optional): Type of image funneling to use, ``original``, ``funneled``
            or ``deepfunneled``. Defaults to ``funneled``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): NOT SUPPORTED ANYMORE, leave to False.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    def __init__(
        self,
        root,
        split="10fold",
        image_set="funneled",
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        super().__init__(
            root, split, image_set, "people", transform, target_transform, download, loader=loader
        )

        self.class_to_idx = self._get_classes()
        self.data, self.targets = self._get_people()

    def _get_people(self):
        def parse(lines):
            data, targets = [], []
            n_folds, s = (int(lines[0]), 1) if self.split == "10fold" else (1, 0)
            for _ in range(n_folds):
                n_lines = int(lines[s])
                people = [line.strip().split("\t") for line in lines[s + 1 : s + n_lines + 1]]
                s += n_lines + 1
                for identity, num_imgs in people:
                    for num in range(1, int(num_imgs) + 1):
                        data.append(self._get_path(identity, num))
                        targets.append(self.class_to_idx[identity])
            return data, targets

        return self._read_labels(parse)

    def _get_classes(self):
        with open(os.path.join(self.root, self.names)) as f:
            names = [line.strip().split()[0] for line in f if line.strip()]
        return {name: i for i, name in enumerate(names)}

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: Tuple (image, target) where target is the identity of the person.
        """
        img = self._loader(self.data[index])
        target = self.targets[index]

        if self.transform is not None:
            img = self.transform(img)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def extra_repr(self):
        return super().extra_repr() + f"\nClasses (identities): {len(self.class_to_idx)}"


class LFWPairs(_LFW):
    """`LFW <http://vis-www.cs.umass.edu/lfw/>`_ Dataset.

    .. warning::

        The LFW dataset is no longer available for automatic download. Please
        download it manually and place it in the specified directory.
        A commonly used mirror is available at:
        https://www.kaggle.com/datasets/jessicali9530/lfw-dataset

    Reads ``root/lfw-py/``: the archive of the ``image_set`` (checked by its md5) extracted
    there and ``pairs.txt`` (10 folds), ``pairsDevTrain.txt`` or ``pairsDevTest.txt``: in
    each fold, ``n`` matched pairs ``<name> <number> <number>`` then ``n`` mismatched pairs
    ``<name> <number> <name> <number>``, tab-separated.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where directory
            ``lfw-py`` exists or will be saved to if download is set to True.
        split (string, optional): The image split to use. Can be one of ``train``, ``test``,
            ``10fold``. Defaults to ``10fold``.
        image_set (str, optional): Type of image funneling to use, ``original``, ``funneled``
            or ``deepfunneled``. Defaults to ``funneled``.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.RandomRotation``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): NOT SUPPORTED ANYMORE, leave to False.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    def __init__(
        self,
        root,
        split="10fold",
        image_set="funneled",
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        super().__init__(
            root, split, image_set, "pairs", transform, target_transform, download, loader=loader
        )

        self.pair_names, self.data, self.targets = self._get_pairs(self.images_dir)

    def _get_pairs(self, images_dir):
        def parse(lines):
            pair_names, data, targets = [], [], []
            if self.split == "10fold":
                n_folds, n_pairs = (int(n) for n in lines[0].split("\t"))
            else:
                n_folds, n_pairs = 1, int(lines[0])
            s = 1
            for _ in range(n_folds):
                fold = [line.strip().split("\t") for line in lines[s : s + 2 * n_pairs]]
                s += 2 * n_pairs
                for name, no1, no2 in fold[:n_pairs]:  # matched pairs
                    pair_names.append((name, name))
                    data.append((self._get_path(name, no1), self._get_path(name, no2)))
                    targets.append(1)
                for name1, no1, name2, no2 in fold[n_pairs:]:  # mismatched pairs
                    pair_names.append((name1, name2))
                    data.append((self._get_path(name1, no1), self._get_path(name2, no2)))
                    targets.append(0)
            return pair_names, data, targets

        return self._read_labels(parse)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image1, image2, target) where target is `0` for different indentities and
            `1` for same identities.
        """
        img1, img2 = self.data[index]
        img1, img2 = self._loader(img1), self._loader(img2)
        target = self.targets[index]

        if self.transform is not None:
            img1, img2 = self.transform(img1), self.transform(img2)

        if self.target_transform is not None:
            target = self.target_transform(target)

        return img1, img2, target
