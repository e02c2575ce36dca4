"""Datasets with torchvision's names, signatures and on-disk layouts.

Each reads the real file format (MNIST IDX, CIFAR pickles, class folders of images) and
returns ``(PIL image, target)`` pairs; ``download=True`` fetches missing files from the
official mirrors and, without network access, fails fast saying which files to place where.
"""

from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .vision import VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "EMNIST",
    "KMNIST",
    "MNIST",
    "DatasetFolder",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "VisionDataset",
]
