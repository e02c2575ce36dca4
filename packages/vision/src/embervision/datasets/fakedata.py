"""``FakeData``: random images that need no files, for tests and benchmarks."""

from __future__ import annotations

import numpy as np
from PIL import Image

import ember

from .vision import VisionDataset

# Channel counts a uint8 PIL image can have: "L", "RGB" and "RGBA".
_CHANNELS = (1, 3, 4)


class FakeData(VisionDataset):
    """A fake dataset that returns randomly generated images as PIL images.

    Item ``i`` is the same on every access: it is drawn from a generator seeded with
    ``i + random_offset`` (like torchvision, which seeds torch's global generator and restores
    it; Ember uses a private generator, so the global random state is never touched). The
    numbers are Ember's own, not torch's.

    Args:
        size (int, optional): Size of the dataset. Default: 1000 images.
        image_size (tuple, optional): Size ``(C, H, W)`` of the returned images, with C 1, 3 or
            4. Default: ``(3, 224, 224)``.
        num_classes (int, optional): Number of classes in the dataset. Default: 10.
        transform (callable, optional): Takes a PIL image and returns a transformed version,
            e.g. ``transforms.RandomCrop``.
        target_transform (callable, optional): Takes the target and transforms it.
        random_offset (int): Offsets the index-based random seed used to generate each image.
            Default: 0.
    """

    def __init__(
        self,
        size=1000,
        image_size=(3, 224, 224),
        num_classes=10,
        transform=None,
        target_transform=None,
        random_offset=0,
    ):
        super().__init__(None, transform=transform, target_transform=target_transform)
        if len(image_size) != 3 or image_size[0] not in _CHANNELS:
            raise ValueError(
                f"image_size should be (C, H, W) with C in {_CHANNELS}, got {image_size}"
            )
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(image, target)`` where target is the class index of the image.
        """
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        generator = ember.Generator().manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size, generator=generator)
        target = ember.randint(0, self.num_classes, (1,), generator=generator).item()

        # As ToPILImage does to a float tensor: scale by 255, then cast to uint8, which wraps
        # out-of-range values (truncate to an integer, keep it modulo 256).
        pixels = (img.numpy() * 255).astype(np.int64).astype(np.uint8).transpose(1, 2, 0)
        if pixels.shape[2] == 1:
            pixels = pixels[:, :, 0]
        img = Image.fromarray(pixels)

        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)

        return img, target

    def __len__(self):
        return self.size
