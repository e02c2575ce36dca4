"""FGVC Aircraft: ``images_<level>_<split>.txt`` lists of ``<image id> <class name>``."""

from __future__ import annotations

import os

from ._helpers import ImageListDataset, prepare_folders
from .folder import default_loader
from .utils import verify_str_arg


class FGVCAircraft(ImageListDataset):
    """`FGVC Aircraft <https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/>`_ Dataset.

    The dataset contains 10,000 images of aircraft, with 100 images for each of 100
    different aircraft model variants, most of which are airplanes.
    Aircraft models are organized in a three-levels hierarchy. The three levels, from
    finer to coarser, are:

    - ``variant``, e.g. Boeing 737-700. A variant collapses all the models that are visually
      indistinguishable into one class. The dataset comprises 100 different variants.
    - ``family``, e.g. Boeing 737. The dataset comprises 70 different families.
    - ``manufacturer``, e.g. Boeing. The dataset comprises 30 different manufacturers.

    Reads ``root/fgvc-aircraft-2013b/data/``: the class names ``variants.txt``,
    ``families.txt`` or ``manufacturers.txt`` (one a line), the split lists
    ``images_<annotation_level>_<split>.txt`` and the images ``images/<image id>.jpg``.

    Args:
        root (str or ``pathlib.Path``): Root directory of the FGVC Aircraft dataset.
        split (string, optional): The dataset split, supports ``train``, ``val``,
            ``trainval`` and ``test``.
        annotation_level (str, optional): The annotation level, supports ``variant``,
            ``family`` and ``manufacturer``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            archive to place in ``root``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _URL = "https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/archives/fgvc-aircraft-2013b.tar.gz"
    _CLASS_FILES = {
        "variant": "variants.txt",
        "family": "families.txt",
        "manufacturer": "manufacturers.txt",
    }

    def __init__(
        self,
        root,
        split="trainval",
        annotation_level="variant",
        transform=None,
        target_transform=None,
        download=False,
        loader=default_loader,
    ):
        super().__init__(root, transform, target_transform, loader)
        self._split = verify_str_arg(split, "split", ("train", "val", "trainval", "test"))
        self._annotation_level = verify_str_arg(
            annotation_level, "annotation_level", ("variant", "family", "manufacturer")
        )

        self._data_path = os.path.join(self.root, "fgvc-aircraft-2013b")
        # torchvision gives no checksum for this archive.
        archives = [(self._URL, os.path.basename(self._URL), None)]
        prepare_folders([self._data_path], self.root, archives, download)

        data_folder = os.path.join(self._data_path, "data")
        with open(os.path.join(data_folder, self._CLASS_FILES[self._annotation_level])) as f:
            self.classes = [line.strip() for line in f]
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))

        image_data_folder = os.path.join(data_folder, "images")
        labels_file = os.path.join(
            data_folder, f"images_{self._annotation_level}_{self._split}.txt"
        )
        with open(labels_file) as f:
            for number, line in enumerate(f, 1):
                fields = line.strip().split(" ", 1)
                if len(fields) != 2 or fields[1] not in self.class_to_idx:
                    raise ValueError(
                        f"{labels_file}, line {number}: expected '<image id> <class name>' "
                        f"with a class of {self._CLASS_FILES[self._annotation_level]}: {line!r}"
                    )
                image_name, label_name = fields
                path = os.path.join(image_data_folder, f"{image_name}.jpg")
                self._samples.append((path, self.class_to_idx[label_name]))
