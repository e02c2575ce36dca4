"""Datasets with torchvision's names, signatures and on-disk layouts.

Each reads the real file format (MNIST IDX, CIFAR pickles, STL-10 binaries, VOC XML, COCO
JSON, class folders of images, ...) and returns ``(PIL image, target)`` pairs;
``download=True`` fetches missing files from the official mirrors and, without network
access, fails fast saying which files to place where.
"""

from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .clevr import CLEVRClassification
from .coco import CocoCaptions, CocoDetection
from .country211 import Country211
from .dtd import DTD
from .eurosat import EuroSAT
from .fakedata import FakeData
from .fer2013 import FER2013
from .fgvc_aircraft import FGVCAircraft
from .flickr import Flickr8k, Flickr30k
from .flowers102 import Flowers102
from .folder import DatasetFolder, ImageFolder
from .food101 import Food101
from .gtsrb import GTSRB
from .imagenet import ImageNet
from .imagenette import Imagenette
from .inaturalist import INaturalist
from .lfw import LFWPairs, LFWPeople
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .moving_mnist import MovingMNIST
from .omniglot import Omniglot
from .oxford_iiit_pet import OxfordIIITPet
from .pcam import PCAM
from .places365 import Places365
from .rendered_sst2 import RenderedSST2
from .sbu import SBU
from .semeion import SEMEION
from .stanford_cars import StanfordCars
from .stl10 import STL10
from .sun397 import SUN397
from .svhn import SVHN
from .usps import USPS
from .vision import VisionDataset
from .voc import VOCDetection, VOCSegmentation

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DTD",
    "EMNIST",
    "FER2013",
    "GTSRB",
    "KMNIST",
    "MNIST",
    "PCAM",
    "QMNIST",
    "SBU",
    "SEMEION",
    "STL10",
    "SUN397",
    "SVHN",
    "USPS",
    "CLEVRClassification",
    "Caltech101",
    "Caltech256",
    "CelebA",
    "CocoCaptions",
    "CocoDetection",
    "Country211",
    "DatasetFolder",
    "EuroSAT",
    "FGVCAircraft",
    "FakeData",
    "FashionMNIST",
    "Flickr30k",
    "Flickr8k",
    "Flowers102",
    "Food101",
    "INaturalist",
    "ImageFolder",
    "ImageNet",
    "Imagenette",
    "LFWPairs",
    "LFWPeople",
    "MovingMNIST",
    "Omniglot",
    "OxfordIIITPet",
    "Places365",
    "RenderedSST2",
    "StanfordCars",
    "VOCDetection",
    "VOCSegmentation",
    "VisionDataset",
]
