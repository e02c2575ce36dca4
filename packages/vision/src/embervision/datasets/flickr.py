"""Flickr8k and Flickr30k: images with five captions each."""

from __future__ import annotations

import glob
import os
from collections import defaultdict
from html.parser import HTMLParser

from .folder import default_loader
from .vision import VisionDataset


class Flickr8kParser(HTMLParser):
    """Parser for extracting captions from the Flickr8k dataset web page.

    In the page's table, a link whose text ends ``.../<image id>/`` starts an image (found
    as ``root/<image id>_*.jpg``) and the ``<li>`` items after it are its captions; an
    "Image Not Found" cell skips the captions until the next image.
    """

    def __init__(self, root):
        super().__init__()

        self.root = root

        # Data structure to store captions
        self.annotations = {}

        # State variables
        self.in_table = False
        self.current_tag = None
        self.current_img = None

    def handle_starttag(self, tag, attrs):
        self.current_tag = tag

        if tag == "table":
            self.in_table = True

    def handle_endtag(self, tag):
        self.current_tag = None

        if tag == "table":
            self.in_table = False

    def handle_data(self, data):
        if not self.in_table:
            return
        if data == "Image Not Found":
            self.current_img = None
        elif self.current_tag == "a":
            img_id = data.split("/")[-2]
            pattern = os.path.join(glob.escape(os.fspath(self.root)), img_id + "_*.jpg")
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise FileNotFoundError(f"No image {img_id}_*.jpg in {self.root}")
            self.current_img = matches[0]
            self.annotations[self.current_img] = []
        elif self.current_tag == "li" and self.current_img:
            self.annotations[self.current_img].append(data.strip())


class Flickr8k(VisionDataset):
    """`Flickr8k Entities <http://hockenmaier.cs.illinois.edu/8k-pictures.html>`_ Dataset.

    The annotation file is the dataset's HTML page, parsed by :class:`Flickr8kParser`.

    Args:
        root (str or ``pathlib.Path``): Root directory where images are downloaded to.
        ann_file (string): Path to annotation file.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    def __init__(
        self, root, ann_file, transform=None, target_transform=None, loader=default_loader
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)

        # Read annotations and store in a dict
        parser = Flickr8kParser(self.root)
        with open(self.ann_file) as fh:
            parser.feed(fh.read())
        self.annotations = parser.annotations

        self.ids = sorted(self.annotations.keys())
        self.loader = loader

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: Tuple (image, target). target is a list of captions for the image.
        """
        img_id = self.ids[index]

        # Image
        img = self.loader(img_id)
        if self.transform is not None:
            img = self.transform(img)

        # Captions
        target = self.annotations[img_id]
        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.ids)


class Flickr30k(VisionDataset):
    """`Flickr30k Entities <https://bryanplummer.com/Flickr30kEntities/>`_ Dataset.

    The annotation file has one caption a line: ``<image file>#<n>\\t<caption>``.

    Args:
        root (str or ``pathlib.Path``): Root directory where images are downloaded to.
        ann_file (string): Path to annotation file.
        transform (callable, optional): A function/transform that takes in a PIL image and
            returns a transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        loader (callable, optional): A function to load an image given its path.
            By default, it uses PIL as its image loader.
    """

    def __init__(
        self, root, ann_file, transform=None, target_transform=None, loader=default_loader
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)

        # Read annotations and store in a dict
        self.annotations = defaultdict(list)
        with open(self.ann_file) as fh:
            for number, line in enumerate(fh, 1):
                fields = line.strip().split("\t")
                if len(fields) != 2:
                    raise ValueError(
                        f"{self.ann_file}, line {number}: expected '<image>#<n>\\t<caption>': "
                        f"{line!r}"
                    )
                img_id, caption = fields
                self.annotations[img_id[:-2]].append(caption)

        self.ids = sorted(self.annotations.keys())
        self.loader = loader

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: Tuple (image, target). target is a list of captions for the image.
        """
        img_id = self.ids[index]

        # Image
        filename = os.path.join(self.root, img_id)
        img = self.loader(filename)
        if self.transform is not None:
            img = self.transform(img)

        # Captions
        target = self.annotations[img_id]
        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return len(self.ids)
