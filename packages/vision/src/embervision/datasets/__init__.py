"""Datasets with torchvision's names, signatures and on-disk layouts.

Each reads the real file format (MNIST IDX, CIFAR pickles, STL-10 binaries, VOC XML, COCO
JSON, class folders of images, ...) and returns ``(PIL image, target)`` pairs;
``download=True`` fetches missing files from the official mirrors and, without network
access, fails fast saying which files to place where.
"""

from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .coco import CocoCaptions, CocoDetection
from .dtd import DTD
from .eurosat import EuroSAT
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .food101 import Food101
from .gtsrb import GTSRB
from .imagenette import Imagenette
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .oxford_iiit_pet import OxfordIIITPet
from .semeion import SEMEION
from .stl10 import STL10
from .usps import USPS
from .vision import VisionDataset
from .voc import VOCDetection, VOCSegmentation

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DTD",
    "EMNIST",
    "GTSRB",
    "KMNIST",
    "MNIST",
    "QMNIST",
    "SEMEION",
    "STL10",
    "USPS",
    "Caltech101",
    "Caltech256",
    "CelebA",
    "CocoCaptions",
    "CocoDetection",
    "DatasetFolder",
    "EuroSAT",
    "FakeData",
    "FashionMNIST",
    "Food101",
    "ImageFolder",
    "Imagenette",
    "OxfordIIITPet",
    "VOCDetection",
    "VOCSegmentation",
    "VisionDataset",
]
