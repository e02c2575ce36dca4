"""The Oxford-IIIT Pet dataset: breed, cat/dog and trimap targets."""

from __future__ import annotations

import os

from ._helpers import open_image, prepare_folders
from .utils import verify_str_arg
from .vision import VisionDataset


class OxfordIIITPet(VisionDataset):
    """`Oxford-IIIT Pet Dataset <https://www.robots.ox.ac.uk/~vgg/data/pets/>`_.

    Reads ``root/oxford-iiit-pet/annotations/<split>.txt`` (lines ``<image id> <class 1..37>
    <species 1..2> <breed id>``), the images ``images/<image id>.jpg`` and the trimaps
    ``annotations/trimaps/<image id>.png``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"trainval"`` (default) or
            ``"test"``.
        target_types (string, sequence of strings, optional): Types of target to use. Can be
            ``category`` (default) or ``segmentation``. Can also be a list to output a tuple
            with all specified target types. The types represent:

                - ``category`` (int): Label for one of the 37 pet categories.
                - ``binary-category`` (int): Binary label for cat or dog.
                - ``segmentation`` (PIL image): Segmentation trimap of the image.

            If empty, ``None`` will be returned as target.

        transforms (callable, optional): A function/transform that takes input sample
            and its target as entry and returns a transformed version.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``.
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and puts
            it into ``root/oxford-iiit-pet``. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archives to place there.
    """

    _RESOURCES = (
        (
            "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
            "5c4f3ee8e5d25df40f4fd59a7f44e54c",
        ),
        (
            "https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
            "95a8c909bbe2e81eed6a22bccdf3f68f",
        ),
    )
    _VALID_TARGET_TYPES = ("category", "binary-category", "segmentation")

    def __init__(
        self,
        root,
        split="trainval",
        target_types="category",
        transforms=None,
        transform=None,
        target_transform=None,
        download=False,
    ):
        self._split = verify_str_arg(split, "split", ("trainval", "test"))
        if isinstance(target_types, str):
            target_types = [target_types]
        self._target_types = [
            verify_str_arg(target_type, "target_types", self._VALID_TARGET_TYPES)
            for target_type in target_types
        ]

        super().__init__(
            root, transforms=transforms, transform=transform, target_transform=target_transform
        )
        self._base_folder = os.path.join(self.root, "oxford-iiit-pet")
        self._images_folder = os.path.join(self._base_folder, "images")
        self._anns_folder = os.path.join(self._base_folder, "annotations")
        self._segs_folder = os.path.join(self._anns_folder, "trimaps")
        archives = [(url, os.path.basename(url), md5) for url, md5 in self._RESOURCES]
        prepare_folders(
            [self._images_folder, self._anns_folder], self._base_folder, archives, download
        )

        image_ids = []
        self._labels = []
        self._bin_labels = []
        split_file = os.path.join(self._anns_folder, f"{self._split}.txt")
        with open(split_file) as file:
            for number, line in enumerate(file, 1):
                fields = line.strip().split()
                if len(fields) != 4:
                    raise ValueError(f"{split_file}, line {number}: expected 4 fields: {line!r}")
                image_id, label, bin_label, _ = fields
                image_ids.append(image_id)
                self._labels.append(int(label) - 1)
                self._bin_labels.append(int(bin_label) - 1)

        self.bin_classes = ["Cat", "Dog"]
        self.classes = [
            " ".join(part.title() for part in raw_cls.split("_"))
            for raw_cls, _ in sorted(
                {
                    (image_id.rsplit("_", 1)[0], label)
                    for image_id, label in zip(image_ids, self._labels)
                },
                key=lambda image_id_and_label: image_id_and_label[1],
            )
        ]
        self.bin_class_to_idx = dict(zip(self.bin_classes, range(len(self.bin_classes))))
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))

        self._images = [os.path.join(self._images_folder, f"{i}.jpg") for i in image_ids]
        self._segs = [os.path.join(self._segs_folder, f"{i}.png") for i in image_ids]

    def __len__(self):
        return len(self._images)

    def __getitem__(self, idx):
        """
        Args:
            idx (int): Index

        Returns:
            tuple: ``(image, target)``: an RGB PIL image and the target of each of
            ``target_types`` (a tuple of them when there are several, None when none).
        """
        image = open_image(self._images[idx], "RGB")

        target = []
        for target_type in self._target_types:
            if target_type == "category":
                target.append(self._labels[idx])
            elif target_type == "binary-category":
                target.append(self._bin_labels[idx])
            else:  # target_type == "segmentation"
                target.append(open_image(self._segs[idx]))

        if not target:
            target = None
        elif len(target) == 1:
            target = target[0]
        else:
            target = tuple(target)

        if self.transforms:
            image, target = self.transforms(image, target)

        return image, target
