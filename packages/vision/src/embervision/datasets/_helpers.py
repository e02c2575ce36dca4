"""Pieces shared by the datasets that come as downloaded archives: reading an image fully,
the "not found" error with its placement hint, the archive downloads, and a base class for
datasets whose samples are a list of ``(image path, class index)`` pairs.
"""

from __future__ import annotations

import os

from PIL import Image

from ember.utils._download import download_from_mirrors

from .folder import default_loader
from .vision import VisionDataset


def open_image(path, mode=None):
    """The image at ``path``, read fully (so the file is closed), converted to ``mode`` if given.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        OSError: naming ``path`` when the file is not an image Pillow can read, or is truncated.
    """
    with open(path, "rb") as f:
        try:
            img = Image.open(f)
            img.load()
        except (OSError, SyntaxError) as error:
            raise OSError(f"cannot read image {path}: {error}") from None
    return img if mode is None else img.convert(mode)


def archive_hint(download_root, archives, folder):
    """Tell a user without network access which archives to put where, or what to extract.

    Args:
        download_root (str): Where the archives go (and are extracted).
        archives (list): ``(url, filename, md5)`` of each archive.
        folder (str): The folder that exists once they are extracted.
    """
    listing = "\n".join(
        f"  {filename}{f' (md5 {md5})' if md5 else ''} from {url}"
        for url, filename, md5 in archives
    )
    return (
        f"Without network access, put these archives in {download_root} and pass "
        f"download=True to extract them:\n{listing}\nor extract them yourself so that "
        f"{folder} exists."
    )


def dataset_not_found(hint):
    """The error a dataset raises when its files are missing: torchvision's text, then ``hint``."""
    return RuntimeError(
        "Dataset not found or corrupted. You can use download=True to download it.\n" + hint
    )


def download_archives(download_root, archives, hint):
    """Download each ``(url, filename, md5)`` into ``download_root`` and extract it there.

    Raises:
        RuntimeError: a download failed (no network, bad checksum); the message ends with
            ``hint``.
    """
    for url, filename, md5 in archives:
        download_from_mirrors([url], download_root, filename, md5, hint)


class ImageListDataset(VisionDataset):
    """A dataset whose samples are ``(image path, class index)`` pairs, in ``self._samples``.

    Subclasses fill ``_samples`` (and their class lists); items are ``(image, target)`` with
    the image from ``loader`` (an RGB PIL image by default).
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.loader = loader
        self._samples = []

    def __len__(self):
        return len(self._samples)

    def __getitem__(self, idx):
        """
        Args:
            idx (int): Index

        Returns:
            tuple: ``(image, target)`` where target is the index of the target class.
        """
        path, label = self._samples[idx]
        image = self.loader(path)

        if self.transform is not None:
            image = self.transform(image)

        if self.target_transform is not None:
            label = self.target_transform(label)

        return image, label


def prepare_folders(folders, download_root, archives, download):
    """Make sure the dataset's ``folders`` exist, downloading ``archives`` if allowed.

    When a folder is missing and ``download`` is True, each ``(url, filename, md5)`` archive
    is downloaded into ``download_root`` and extracted there.

    Raises:
        RuntimeError: a folder is still missing, or a download failed; the message names the
            archives and where they go.
    """
    hint = archive_hint(download_root, archives, " and ".join(folders))
    if download and not all(os.path.isdir(folder) for folder in folders):
        download_archives(download_root, archives, hint)
    if not all(os.path.isdir(folder) for folder in folders):
        raise dataset_not_found(hint)
