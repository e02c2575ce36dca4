"""SBU Captioned Photos: photo URLs and captions in two parallel text files."""

from __future__ import annotations

import contextlib
import os

from ember.utils._download import download_url

from ._helpers import archive_hint, dataset_not_found, download_archives
from .folder import default_loader
from .utils import check_integrity
from .vision import VisionDataset


class SBU(VisionDataset):
    """`SBU Captioned Photo <http://www.cs.virginia.edu/~vicente/sbucaptions/>`_ Dataset.

    Reads ``root/SBUCaptionedPhotoDataset.tar.gz`` (checked by its md5), and, extracted
    beside it, ``dataset/SBU_captioned_photo_dataset_urls.txt`` and
    ``dataset/SBU_captioned_photo_dataset_captions.txt`` (one photo a line); a photo is in the
    dataset when ``dataset/<basename of its URL>`` exists.

    Args:
        root (str or ``pathlib.Path``): Root directory of dataset where tarball
            ``SBUCaptionedPhotoDataset.tar.gz`` exists.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        download (bool, optional): If True, downloads the dataset from the internet and
            puts it in root directory. If dataset is already downloaded, it is not
            downloaded again. Note the default is True, as in torchvision; without network
            access and without the tarball it fails within seconds, naming it.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    url = "https://www.cs.rice.edu/~vo9/sbucaptions/SBUCaptionedPhotoDataset.tar.gz"
    filename = "SBUCaptionedPhotoDataset.tar.gz"
    md5_checksum = "9aec147b3488753cf758b4d493422285"

    def __init__(
        self, root, transform=None, target_transform=None, download=True, loader=default_loader
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.loader = loader

        if download:
            self.download()

        if not self._check_integrity():
            raise dataset_not_found(self._hint())

        # Read the caption for each photo
        self.photos = []
        self.captions = []

        self._dataset_folder = os.path.join(self.root, "dataset")
        file1 = os.path.join(self._dataset_folder, "SBU_captioned_photo_dataset_urls.txt")
        file2 = os.path.join(self._dataset_folder, "SBU_captioned_photo_dataset_captions.txt")

        with open(file1) as urls, open(file2) as captions:
            for line1, line2 in zip(urls, captions):
                photo = os.path.basename(line1.rstrip())
                if os.path.exists(os.path.join(self._dataset_folder, photo)):
                    self.photos.append(photo)
                    self.captions.append(line2.rstrip())

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: (image, target) where target is a caption for the photo.
        """
        img = self.loader(os.path.join(self._dataset_folder, self.photos[index]))
        if self.transform is not None:
            img = self.transform(img)

        target = self.captions[index]
        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        """The number of photos in the dataset."""
        return len(self.photos)

    def _check_integrity(self):
        """Check the md5 checksum of the downloaded tarball."""
        return check_integrity(os.path.join(self.root, self.filename), self.md5_checksum)

    def _hint(self):
        archives = [(self.url, self.filename, self.md5_checksum)]
        return archive_hint(self.root, archives, os.path.join(self.root, "dataset"))

    def download(self):
        """Download and extract the tarball, and download each individual photo."""
        if self._check_integrity():
            return

        archives = [(self.url, self.filename, self.md5_checksum)]
        download_archives(self.root, archives, self._hint())

        # Download individual photos
        dataset_folder = os.path.join(self.root, "dataset")
        with open(os.path.join(dataset_folder, "SBU_captioned_photo_dataset_urls.txt")) as fh:
            for line in fh:
                # The images point to public images on Flickr, which users may remove at any
                # time: a photo that fails is left out.
                with contextlib.suppress(OSError, RuntimeError):
                    download_url(line.rstrip(), dataset_folder)
