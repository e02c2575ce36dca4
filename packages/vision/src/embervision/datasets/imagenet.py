"""ImageNet 2012 classification: the official archives, unpacked once into class folders.

The devkit's ``data/meta.mat`` and validation ground truth are parsed once into ``meta.bin``
in ``root``. torchvision writes that file with ``torch.save`` (a pickle); embervision writes
it with :func:`ember.save` (a safetensors file that cannot run code when loaded), so the two
libraries each make their own.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import ember

from ._optional import loadmat
from .folder import ImageFolder
from .utils import check_integrity, extract_archive, verify_str_arg

ARCHIVE_META = {
    "train": ("ILSVRC2012_img_train.tar", "1d675b47d978889d74fa0da5fadfb00e"),
    "val": ("ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622"),
    "devkit": ("ILSVRC2012_devkit_t12.tar.gz", "fa75699e90414af021442c21a62c3abf"),
}

META_FILE = "meta.bin"


class ImageNet(ImageFolder):
    """`ImageNet <http://image-net.org/>`_ 2012 Classification Dataset.

    .. note::
        Before using this class, it is required to download ImageNet 2012 dataset from
        `here <https://image-net.org/challenges/LSVRC/2012/2012-downloads.php>`_ and
        place the files ``ILSVRC2012_devkit_t12.tar.gz`` and ``ILSVRC2012_img_train.tar``
        or ``ILSVRC2012_img_val.tar`` based on ``split`` in the root directory.

    The first use parses the devkit into ``root/meta.bin`` (which needs scipy:
    ``pip install embervision[mat]``) and unpacks the split's archive into
    ``root/<split>/<wnid>/*.JPEG``; later uses read those directly, without the archives.

    Args:
        root (str or ``pathlib.Path``): Root directory of the ImageNet Dataset.
        split (string, optional): The dataset split, supports ``train``, or ``val``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.

    Attributes:
        classes (list): List of the class name tuples.
        class_to_idx (dict): Dict with items (class_name, class_index).
        wnids (list): List of the WordNet IDs.
        wnid_to_idx (dict): Dict with items (wordnet_id, class_index).
        imgs (list): List of (image path, class_index) tuples
        targets (list): The class_index value for each image in the dataset
    """

    def __init__(self, root, split="train", **kwargs):
        root = self.root = os.path.expanduser(root)
        self.split = verify_str_arg(split, "split", ("train", "val"))

        self.parse_archives()
        wnid_to_classes = load_meta_file(self.root)[0]

        super().__init__(self.split_folder, **kwargs)
        self.root = root

        self.wnids = self.classes
        self.wnid_to_idx = self.class_to_idx
        self.classes = [wnid_to_classes[wnid] for wnid in self.wnids]
        self.class_to_idx = {cls: idx for idx, clss in enumerate(self.classes) for cls in clss}

    def parse_archives(self):
        """Write ``meta.bin`` and unpack the split's images unless that was done before."""
        if not check_integrity(os.path.join(self.root, META_FILE)):
            parse_devkit_archive(self.root)

        if not os.path.isdir(self.split_folder):
            if self.split == "train":
                parse_train_archive(self.root)
            elif self.split == "val":
                parse_val_archive(self.root)

    @property
    def split_folder(self):
        return os.path.join(self.root, self.split)

    def extra_repr(self):
        return "Split: {split}".format(**self.__dict__)


def load_meta_file(root, file=None):
    """The devkit's meta data saved by :func:`parse_devkit_archive`.

    Args:
        root (str or ``pathlib.Path``): Root directory holding the meta file.
        file (str, optional): Name of the meta file. Defaults to ``meta.bin``.

    Returns:
        tuple: ``(wnid_to_classes, val_wnids)``: a dict from each WordNet ID to its class
        names (a tuple of str), and the WordNet ID of each validation image, in file order.

    Raises:
        RuntimeError: the file is missing or is not an :func:`ember.save` file (such as the
            pickle torchvision writes under the same name).
    """
    if file is None:
        file = META_FILE
    file = os.path.join(root, file)

    if not check_integrity(file):
        raise RuntimeError(
            f"The meta file {file} is not present in the root directory or is corrupted. "
            "This file is automatically created by the ImageNet dataset."
        )
    try:
        wnid_to_classes, val_wnids = ember.load(file)
    except (ValueError, TypeError) as error:
        raise RuntimeError(
            f"The meta file {file} is corrupted or was written by torchvision (a pickle, "
            f"which embervision does not read): {error}. Delete it and the ImageNet dataset "
            f"creates it again from {ARCHIVE_META['devkit'][0]}."
        ) from None
    return wnid_to_classes, val_wnids


def _verify_archive(root, file, md5):
    if not check_integrity(os.path.join(root, file), md5):
        raise RuntimeError(
            f"The archive {file} is not present in the root directory or is corrupted. "
            f"You need to download it externally and place it in {root}."
        )


def parse_devkit_archive(root, file=None):
    """Parse the devkit archive of the ImageNet2012 classification dataset and save
    the meta information in a binary file.

    The leaf synsets of ``data/meta.mat`` (those without children: the 1000 classes) give
    each WordNet ID its class names; ``data/ILSVRC2012_validation_ground_truth.txt`` gives the
    class (by ``ILSVRC2012_ID``) of each validation image. Both are saved with
    :func:`ember.save` as ``root/meta.bin``, read back by :func:`load_meta_file`.

    Args:
        root (str or ``pathlib.Path``): Root directory containing the devkit archive
        file (str, optional): Name of devkit archive. Defaults to
            'ILSVRC2012_devkit_t12.tar.gz'
    """
    archive_meta = ARCHIVE_META["devkit"]
    if file is None:
        file = archive_meta[0]
    md5 = archive_meta[1]

    _verify_archive(root, file, md5)

    with tempfile.TemporaryDirectory() as tmp_dir:
        extract_archive(os.path.join(root, file), tmp_dir)
        devkit_root = os.path.join(tmp_dir, "ILSVRC2012_devkit_t12")

        meta = loadmat(os.path.join(devkit_root, "data", "meta.mat"), squeeze_me=True)["synsets"]
        leaves = meta[meta["num_children"] == 0]
        idx_to_wnid = dict(zip(map(int, leaves["ILSVRC2012_ID"]), map(str, leaves["WNID"])))
        wnid_to_classes = {
            str(wnid): tuple(str(words).split(", "))
            for wnid, words in zip(leaves["WNID"], leaves["words"])
        }

        ground_truth = os.path.join(devkit_root, "data", "ILSVRC2012_validation_ground_truth.txt")
        with open(ground_truth) as txtfh:
            val_idcs = [int(val_idx) for val_idx in txtfh]
        val_wnids = [idx_to_wnid[idx] for idx in val_idcs]

    ember.save((wnid_to_classes, val_wnids), os.path.join(root, META_FILE))


def parse_train_archive(root, file=None, folder="train"):
    """Parse the train images archive of the ImageNet2012 classification dataset and
    prepare it for usage with the ImageNet dataset.

    The archive holds one ``<wnid>.tar`` per class; each is unpacked into
    ``root/<folder>/<wnid>/`` and removed.

    Args:
        root (str or ``pathlib.Path``): Root directory containing the train images archive
        file (str, optional): Name of train images archive. Defaults to
            'ILSVRC2012_img_train.tar'
        folder (str, optional): Optional name for train images folder. Defaults to
            'train'
    """
    archive_meta = ARCHIVE_META["train"]
    if file is None:
        file = archive_meta[0]
    md5 = archive_meta[1]

    _verify_archive(root, file, md5)

    train_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), train_root)

    archives = [os.path.join(train_root, archive) for archive in os.listdir(train_root)]
    for archive in archives:
        extract_archive(archive, os.path.splitext(archive)[0], remove_finished=True)


def parse_val_archive(root, file=None, wnids=None, folder="val"):
    """Parse the validation images archive of the ImageNet2012 classification dataset
    and prepare it for usage with the ImageNet dataset.

    The images, in sorted order, are moved into ``root/<folder>/<wnid>/`` by ``wnids``.

    Args:
        root (str or ``pathlib.Path``): Root directory containing the validation images archive
        file (str, optional): Name of validation images archive. Defaults to
            'ILSVRC2012_img_val.tar'
        wnids (list, optional): List of WordNet IDs of the validation images. If None
            is given, the IDs are loaded from the meta file in the root directory
        folder (str, optional): Optional name for validation images folder. Defaults to
            'val'
    """
    archive_meta = ARCHIVE_META["val"]
    if file is None:
        file = archive_meta[0]
    md5 = archive_meta[1]
    if wnids is None:
        wnids = load_meta_file(root)[1]

    _verify_archive(root, file, md5)

    val_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), val_root)

    images = sorted(os.path.join(val_root, image) for image in os.listdir(val_root))

    for wnid in set(wnids):
        os.mkdir(os.path.join(val_root, wnid))

    for wnid, img_file in zip(wnids, images):
        shutil.move(img_file, os.path.join(val_root, wnid, os.path.basename(img_file)))
