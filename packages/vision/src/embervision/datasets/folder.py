"""``DatasetFolder`` and ``ImageFolder``: one sub-directory per class (torchvision's layout)."""

from __future__ import annotations

import os

from PIL import Image

from .vision import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """Whether ``filename`` ends (case-insensitively) with one of ``extensions``."""
    return filename.lower().endswith(
        extensions if isinstance(extensions, str) else tuple(extensions)
    )


def is_image_file(filename):
    """Whether ``filename`` has one of the ``IMG_EXTENSIONS``."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """The class folders of a dataset: ``(sorted class names, {class name: index})``.

    Raises:
        FileNotFoundError: ``directory`` has no sub-directory.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    class_to_idx = {cls_name: i for i, cls_name in enumerate(classes)}
    return classes, class_to_idx


def make_dataset(
    directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False
):
    """The samples of a class-folder dataset: a list of ``(path, class_index)``.

    Files are walked in sorted order (following symlinks), so the order is deterministic.

    Args:
        directory (str or ``pathlib.Path``): Root directory, one sub-directory per class.
        class_to_idx (dict, optional): Class name -> index; default from :func:`find_classes`.
        extensions (tuple[str], optional): Allowed extensions. Exactly one of ``extensions``
            and ``is_valid_file`` must be given.
        is_valid_file (callable, optional): Takes a file's path and says whether to keep it.
        allow_empty (bool): If False, a class folder without any valid file is an error.

    Raises:
        ValueError: both or neither of ``extensions`` and ``is_valid_file`` are given.
        FileNotFoundError: a class has no valid file and ``allow_empty`` is False.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")

    if (extensions is None) == (is_valid_file is None):
        raise ValueError(
            "Both extensions and is_valid_file cannot be None or not None at the same time"
        )
    if extensions is not None:

        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    instances = []
    available_classes = set()
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    available_classes.add(target_class)

    empty_classes = set(class_to_idx) - available_classes
    if empty_classes and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty_classes))}. "
        if extensions is not None:
            listed = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {listed}"
        raise FileNotFoundError(msg)

    return instances


class DatasetFolder(VisionDataset):
    """A generic data loader where the samples are arranged in this way by default::

        root/class_x/xxx.ext
        root/class_x/xxy.ext
        root/class_x/[...]/xxz.ext

        root/class_y/123.ext
        root/class_y/nsdf3.ext
        root/class_y/[...]/asd932_.ext

    Override :meth:`find_classes` to customise the directory structure.

    Args:
        root (str or ``pathlib.Path``): Root directory path.
        loader (callable): Loads a sample given its path.
        extensions (tuple[str], optional): Allowed extensions; not together with
            ``is_valid_file``.
        transform (callable, optional): Takes a sample and returns a transformed version.
        target_transform (callable, optional): Takes the target and transforms it.
        is_valid_file (callable, optional): Takes a file's path and says whether it is a valid
            sample; not together with ``extensions``.
        allow_empty (bool, optional): If True, empty class folders are allowed (they get an
            index but no samples). Otherwise they raise ``FileNotFoundError``.

    Attributes:
        classes (list): The class names, sorted.
        class_to_idx (dict): Class name -> index.
        samples (list): ``(sample path, class_index)`` tuples.
        targets (list): The class index of each sample.
    """

    def __init__(
        self,
        root,
        loader,
        extensions=None,
        transform=None,
        target_transform=None,
        is_valid_file=None,
        allow_empty=False,
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(
            self.root,
            class_to_idx=class_to_idx,
            extensions=extensions,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )

        self.loader = loader
        self.extensions = extensions

        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(
        directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False
    ):
        """The ``(path, class_index)`` samples; see the module function :func:`make_dataset`.

        Here ``class_to_idx`` is required: :meth:`find_classes` may be overridden, so the
        default class lookup could disagree with it.
        """
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(
            directory,
            class_to_idx,
            extensions=extensions,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )

    def find_classes(self, directory):
        """The class folders: ``(classes, class_to_idx)``; see :func:`find_classes`."""
        return find_classes(directory)

    def __getitem__(self, index):
        """
        Args:
            index (int): Index

        Returns:
            tuple: ``(sample, target)`` where target is the class index of the sample.
        """
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)

        return sample, target

    def __len__(self):
        return len(self.samples)


def pil_loader(path):
    """Open an image file with PIL and convert it to RGB."""
    # Open the file ourselves so it is closed once the image is loaded (no ResourceWarning).
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def default_loader(path):
    """The loader :class:`ImageFolder` uses: :func:`pil_loader` (embervision has no accimage)."""
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """A generic data loader where the images are arranged in this way by default::

        root/dog/xxx.png
        root/dog/xxy.png
        root/dog/[...]/xxz.png

        root/cat/123.png
        root/cat/nsdf3.png
        root/cat/[...]/asd932_.png

    A :class:`DatasetFolder` whose samples are the files with an ``IMG_EXTENSIONS`` extension
    (unless ``is_valid_file`` is given), loaded as RGB PIL images.

    Args:
        root (str or ``pathlib.Path``): Root directory path.
        transform (callable, optional): Takes a PIL image and returns a transformed version,
            e.g. ``transforms.RandomCrop``.
        target_transform (callable, optional): Takes the target and transforms it.
        loader (callable, optional): Loads an image given its path.
        is_valid_file (callable, optional): Takes a file's path and says whether it is a valid
            image.
        allow_empty (bool, optional): If True, empty class folders are allowed.

    Attributes:
        classes (list): The class names, sorted.
        class_to_idx (dict): Class name -> index.
        imgs (list): ``(image path, class_index)`` tuples (the same list as ``samples``).
    """

    def __init__(
        self,
        root,
        transform=None,
        target_transform=None,
        loader=default_loader,
        is_valid_file=None,
        allow_empty=False,
    ):
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples
