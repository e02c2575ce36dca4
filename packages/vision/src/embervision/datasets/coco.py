"""MS COCO detection and captions, read from the annotation JSON without pycocotools."""

from __future__ import annotations

import json
import os

from ._helpers import open_image
from .vision import VisionDataset


def _load_annotations(ann_file):
    """``({image id: image dict}, {image id: [annotation dicts]})`` from a COCO JSON file.

    Annotations keep their order in the file, as pycocotools' ``getAnnIds`` returns them.

    Raises:
        FileNotFoundError, ValueError: naming ``ann_file`` when it is missing or is not a COCO
            annotation file.
    """
    if not os.path.isfile(ann_file):
        raise FileNotFoundError(f"COCO annotation file {ann_file} not found.")
    with open(ann_file, encoding="utf-8") as f:
        try:
            dataset = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{ann_file} is not valid JSON: {error}") from None
    if not isinstance(dataset, dict) or not isinstance(dataset.get("images"), list):
        raise ValueError(f"{ann_file} is not a COCO annotation file: it has no 'images' list")

    imgs = {img["id"]: img for img in dataset["images"]}
    img_to_anns = {img_id: [] for img_id in imgs}
    for ann in dataset.get("annotations", []):
        img_to_anns.setdefault(ann["image_id"], []).append(ann)
    return imgs, img_to_anns


class CocoDetection(VisionDataset):
    """`MS Coco Detection <https://cocodataset.org/#detection-2016>`_ Dataset.

    The annotation file is read directly (pycocotools is not needed): item ``i`` is the image
    with the ``i``-th smallest id and the list of its annotation dicts, in file order, exactly
    what ``COCO.loadAnns(COCO.getAnnIds(id))`` returns.

    Args:
        root (str or ``pathlib.Path``): Root directory where images are downloaded to.
        annFile (string): Path to json annotation file.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.PILToTensor``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        transforms (callable, optional): A function/transform that takes input sample and its
            target as entry and returns a transformed version.
    """

    def __init__(self, root, annFile, transform=None, target_transform=None, transforms=None):
        super().__init__(root, transforms, transform, target_transform)
        self._imgs, self._img_to_anns = _load_annotations(os.fspath(annFile))
        self.ids = sorted(self._imgs)

    def _load_image(self, id):
        path = self._imgs[id]["file_name"]
        return open_image(os.path.join(self.root, path), "RGB")

    def _load_target(self, id):
        return self._img_to_anns[id]

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)``: an RGB PIL image and the list of its annotation dicts.
        """
        if not isinstance(index, int):
            raise ValueError(f"Index must be of type integer, got {type(index)} instead.")

        id = self.ids[index]
        image = self._load_image(id)
        target = self._load_target(id)

        if self.transforms is not None:
            image, target = self.transforms(image, target)

        return image, target

    def __len__(self):
        return len(self.ids)


class CocoCaptions(CocoDetection):
    """`MS Coco Captions <https://cocodataset.org/#captions-2015>`_ Dataset.

    A :class:`CocoDetection` whose target is the list of the image's caption strings.

    Args:
        root (str or ``pathlib.Path``): Root directory where images are downloaded to.
        annFile (string): Path to json annotation file.
        transform (callable, optional): A function/transform that takes in a PIL image
            and returns a transformed version. E.g, ``transforms.PILToTensor``
        target_transform (callable, optional): A function/transform that takes in the
            target and transforms it.
        transforms (callable, optional): A function/transform that takes input sample and its
            target as entry and returns a transformed version.

    Example:
        >>> cap = CocoCaptions(root="dir where images are", annFile="json annotation file")
        >>> img, target = cap[3]  # load 4th sample
        >>> target  # ['A plane emitting smoke stream flying over a mountain.', ...]
    """

    def _load_target(self, id):
        return [ann["caption"] for ann in super()._load_target(id)]
