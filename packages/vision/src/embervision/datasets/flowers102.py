"""Oxford 102 Flower: images ``jpg/image_<id>.jpg``, labels and splits in ``.mat`` files."""

from __future__ import annotations

import os

from ember.utils._download import download_from_mirrors, placement_hint

from ._helpers import ImageListDataset, archive_hint, dataset_not_found
from ._optional import loadmat
from .folder import default_loader
from .utils import check_integrity, verify_str_arg


class Flowers102(ImageListDataset):
    """`Oxford 102 Flower <https://www.robots.ox.ac.uk/~vgg/data/flowers/102/>`_ Dataset.

    .. warning::

        This class needs `scipy <https://docs.scipy.org/doc/>`_ to load target files from
        `.mat` format (``pip install embervision[mat]``).

    Oxford 102 Flower is an image classification dataset consisting of 102 flower categories.
    The flowers were chosen to be flowers commonly occurring in the United Kingdom. Each class
    consists of between 40 and 258 images.

    Reads ``root/flowers-102/``: the images ``jpg/image_<id, 5 digits>.jpg``,
    ``imagelabels.mat`` (``labels``: the class, 1..102, of each image id) and ``setid.mat``
    (``trnid``, ``valid``, ``tstid``: the image ids of each split).

    Args:
        root (str or ``pathlib.Path``): Root directory of the dataset.
        split (string, optional): The dataset split, supports ``"train"`` (default), ``"val"``,
            or ``"test"``.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target
            and transforms it.
        download (bool, optional): If true, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Without network access it fails within seconds, naming the
            files to place in ``root/flowers-102``.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    _download_url_prefix = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
    _file_dict = {  # filename, md5
        "image": ("102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
        "label": ("imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
        "setid": ("setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c"),
    }
    _splits_map = {"train": "trnid", "val": "valid", "test": "tstid"}

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
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        self._base_folder = os.path.join(self.root, "flowers-102")
        self._images_folder = os.path.join(self._base_folder, "jpg")

        if download:
            self.download()

        if not self._check_integrity():
            raise dataset_not_found(self._hint())

        set_ids = loadmat(self._mat_path("setid"), squeeze_me=True)
        image_ids = set_ids[self._splits_map[self._split]].tolist()

        labels = loadmat(self._mat_path("label"), squeeze_me=True)
        image_id_to_label = dict(enumerate((labels["labels"] - 1).tolist(), 1))

        for image_id in image_ids:
            path = os.path.join(self._images_folder, f"image_{image_id:05d}.jpg")
            self._samples.append((path, image_id_to_label[image_id]))

    def extra_repr(self):
        return f"split={self._split}"

    def _mat_path(self, key):
        return os.path.join(self._base_folder, self._file_dict[key][0])

    def _check_integrity(self):
        if not os.path.isdir(self._images_folder):
            return False
        return all(
            check_integrity(self._mat_path(key), self._file_dict[key][1])
            for key in ("label", "setid")
        )

    def _hint(self):
        filename, md5 = self._file_dict["image"]
        archive = (self._download_url_prefix + filename, filename, md5)
        files = [
            f"{filename} (md5 {md5}) from {self._download_url_prefix}{filename}"
            for filename, md5 in (self._file_dict["label"], self._file_dict["setid"])
        ]
        return (
            archive_hint(self._base_folder, [archive], self._images_folder)
            + "\n"
            + placement_hint(self._base_folder, files)
        )

    def download(self):
        """Download and extract the images, then download the label and split files."""
        if self._check_integrity():
            return
        hint = self._hint()
        for key in ("image", "label", "setid"):
            filename, md5 = self._file_dict[key]
            download_from_mirrors(
                [self._download_url_prefix + filename],
                self._base_folder,
                filename,
                md5,
                hint,
                extract=key == "image",
            )

    classes = [
        "pink primrose",
        "hard-leaved pocket orchid",
        "canterbury bells",
        "sweet pea",
        "english marigold",
        "tiger lily",
        "moon orchid",
        "bird of paradise",
        "monkshood",
        "globe thistle",
        "snapdragon",
        "colt's foot",
        "king protea",
        "spear thistle",
        "yellow iris",
        "globe-flower",
        "purple coneflower",
        "peruvian lily",
        "balloon flower",
        "giant white arum lily",
        "fire lily",
        "pincushion flower",
        "fritillary",
        "red ginger",
        "grape hyacinth",
        "corn poppy",
        "prince of wales feathers",
        "stemless gentian",
        "artichoke",
        "sweet william",
        "carnation",
        "garden phlox",
        "love in the mist",
        "mexican aster",
        "alpine sea holly",
        "ruby-lipped cattleya",
        "cape flower",
        "great masterwort",
        "siam tulip",
        "lenten rose",
        "barbeton daisy",
        "daffodil",
        "sword lily",
        "poinsettia",
        "bolero deep blue",
        "wallflower",
        "marigold",
        "buttercup",
        "oxeye daisy",
        "common dandelion",
        "petunia",
        "wild pansy",
        "primula",
        "sunflower",
        "pelargonium",
        "bishop of llandaff",
        "gaura",
        "geranium",
        "orange dahlia",
        "pink-yellow dahlia?",
        "cautleya spicata",
        "japanese anemone",
        "black-eyed susan",
        "silverbush",
        "californian poppy",
        "osteospermum",
        "spring crocus",
        "bearded iris",
        "windflower",
        "tree poppy",
        "gazania",
        "azalea",
        "water lily",
        "rose",
        "thorn apple",
        "morning glory",
        "passion flower",
        "lotus",
        "toad lily",
        "anthurium",
        "frangipani",
        "clematis",
        "hibiscus",
        "columbine",
        "desert-rose",
        "tree mallow",
        "magnolia",
        "cyclamen",
        "watercress",
        "canna lily",
        "hippeastrum",
        "bee balm",
        "ball moss",
        "foxglove",
        "bougainvillea",
        "camellia",
        "mallow",
        "mexican petunia",
        "bromelia",
        "blanket flower",
        "trumpet creeper",
        "blackberry lily",
    ]
