"""Parity of the embervision datasets of tests/vision/test_datasets_extra.py with torchvision's:
the same fake files on disk give the same lengths, samples (pixels and mode), targets and
class lists in both libraries.

The files are written by that test file's ``write_*`` functions. The ``.mat`` and ``.h5``
cases skip where scipy or h5py is missing; the whole file skips without torchvision.
"""

import importlib.util
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.datasets as E
from embervision.datasets import imagenet as e_imagenet
from embervision.datasets.lfw import _LFW as E_LFW

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
import torch

try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the datasets are pure Python and do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision  # noqa: F401
import torchvision.datasets as T
from torchvision.datasets import imagenet as t_imagenet
from torchvision.datasets.lfw import _LFW as T_LFW

# the tests run with --import-mode=importlib, so the writers are loaded from their file
_spec = importlib.util.spec_from_file_location(
    "_test_datasets_extra",
    Path(__file__).resolve().parents[1] / "vision" / "test_datasets_extra.py",
)
W = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(W)

needs_scipy, needs_h5py = W.needs_scipy, W.needs_h5py


def _canonical(value):
    """A comparable form of a sample's part: images as (mode, size, pixels), tensors as
    (dtype, shape, values)."""
    if isinstance(value, Image.Image):
        return ("image", value.mode, value.size, np.asarray(value).tobytes())
    if isinstance(value, (ember.Tensor, torch.Tensor)):
        array = value.numpy()
        return ("tensor", str(array.dtype), array.shape, array.tobytes())
    if isinstance(value, (tuple, list)):
        return type(value).__name__, tuple(_canonical(v) for v in value)
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def same_samples(ours, theirs, ordered=True):
    """Both datasets hold the same samples, in the same order unless ``ordered`` is False
    (where torchvision keeps the file system's order and embervision sorts)."""
    assert len(ours) == len(theirs)
    a = [_canonical(ours[i]) for i in range(len(ours))]
    b = [_canonical(theirs[i]) for i in range(len(theirs))]
    if not ordered:
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    assert a == b


def patch_both(monkeypatch, attribute, value, *owners):
    for owner in owners:
        if isinstance(owner, dict):
            monkeypatch.setitem(owner, attribute, value)
        else:
            monkeypatch.setattr(owner, attribute, value)


# ---------------------------------------------------------------------------- .mat and .h5


@needs_scipy
def test_svhn(tmp_path, monkeypatch):
    _, md5 = W.write_svhn(tmp_path)
    url, name, _ = E.SVHN.split_list["train"]
    patch_both(monkeypatch, "train", [url, name, md5], E.SVHN.split_list, T.SVHN.split_list)
    ours, theirs = E.SVHN(tmp_path), T.SVHN(tmp_path)
    same_samples(ours, theirs)
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.labels, theirs.labels)


@needs_scipy
@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_flowers102(tmp_path, monkeypatch, split):
    md5 = W.write_flowers102(tmp_path)
    for key in ("label", "setid"):
        entry = (E.Flowers102._file_dict[key][0], md5[key])
        patch_both(monkeypatch, key, entry, E.Flowers102._file_dict, T.Flowers102._file_dict)
    same_samples(E.Flowers102(tmp_path, split), T.Flowers102(tmp_path, split))
    assert E.Flowers102.classes == T.Flowers102.classes


@needs_scipy
@pytest.mark.parametrize("split", ["train", "test"])
def test_stanford_cars(tmp_path, split):
    W.write_stanford_cars(tmp_path)
    ours, theirs = E.StanfordCars(tmp_path, split), T.StanfordCars(tmp_path, split)
    same_samples(ours, theirs)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx


@needs_scipy
@pytest.mark.parametrize("split", ["train", "val"])
def test_imagenet(tmp_path, monkeypatch, split):
    # each library writes its own meta.bin (a safetensors file, a torch pickle): two roots
    roots = {}
    for name, module in (("ours", e_imagenet), ("theirs", t_imagenet)):
        roots[name] = tmp_path / name
        W.patch_imagenet_md5(monkeypatch, module, W.write_imagenet(roots[name]))
    ours, theirs = E.ImageNet(roots["ours"], split), T.ImageNet(roots["theirs"], split)
    same_samples(ours, theirs)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.wnids == theirs.wnids and ours.targets == theirs.targets
    assert e_imagenet.load_meta_file(roots["ours"]) == t_imagenet.load_meta_file(roots["theirs"])


@needs_h5py
def test_pcam(tmp_path):
    W.write_pcam(tmp_path, split="train", labels=(0, 1))
    same_samples(E.PCAM(tmp_path), T.PCAM(tmp_path))


# ------------------------------------------------------------------ lists and folders of images


@pytest.mark.parametrize("split", ["trainval", "test"])
@pytest.mark.parametrize("level", ["variant", "family", "manufacturer"])
def test_fgvc_aircraft(tmp_path, split, level):
    W.write_fgvc_aircraft(tmp_path)
    ours, theirs = E.FGVCAircraft(tmp_path, split, level), T.FGVCAircraft(tmp_path, split, level)
    same_samples(ours, theirs)
    assert ours.classes == theirs.classes


def test_country211(tmp_path):
    W.write_country211(tmp_path)
    for split in ("train", "valid", "test"):
        ours, theirs = E.Country211(tmp_path, split), T.Country211(tmp_path, split)
        same_samples(ours, theirs)
        assert ours.classes == theirs.classes and ours.root == theirs.root


def test_sun397(tmp_path):
    W.write_sun397(tmp_path)
    ours, theirs = E.SUN397(tmp_path), T.SUN397(tmp_path)
    same_samples(ours, theirs, ordered=False)
    assert ours.classes == theirs.classes


@pytest.mark.parametrize("split", ["train-standard", "val", "test"])
def test_places365(tmp_path, monkeypatch, split):
    md5 = W.write_places365(tmp_path)
    W.patch_places365_md5(monkeypatch, E.Places365, md5)
    W.patch_places365_md5(monkeypatch, T.Places365, md5)
    ours, theirs = (
        E.Places365(tmp_path, split, small=True),
        T.Places365(tmp_path, split, small=True),
    )
    same_samples(ours, theirs)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.imgs == theirs.imgs and ours.targets == theirs.targets


@pytest.mark.parametrize(
    "version, target_type",
    [
        ("2021_valid", "full"),
        ("2021_valid", ["genus", "kingdom", "order"]),
        ("2019", ["super", "full"]),
    ],
)
def test_inaturalist(tmp_path, version, target_type):
    W.write_inaturalist(tmp_path)
    ours = E.INaturalist(tmp_path, version, target_type)
    theirs = T.INaturalist(tmp_path, version, target_type)
    same_samples(ours, theirs, ordered=False)
    assert ours.all_categories == theirs.all_categories
    assert ours.categories_index == theirs.categories_index
    assert ours.categories_map == theirs.categories_map


@pytest.mark.parametrize("kind", ["fer", "icml", "split"])
def test_fer2013(tmp_path, monkeypatch, kind):
    md5, _, _ = W.write_fer2013(tmp_path, kind)
    for key, (name, _) in list(E.FER2013._RESOURCES.items()):
        if name in md5:
            entry = (name, md5[name])
            patch_both(monkeypatch, key, entry, E.FER2013._RESOURCES, T.FER2013._RESOURCES)
    for split in ("train", "test"):
        same_samples(E.FER2013(tmp_path, split), T.FER2013(tmp_path, split))


@pytest.mark.parametrize("split", ["10fold", "train", "test"])
def test_lfw(tmp_path, monkeypatch, split):
    md5 = W.write_lfw(tmp_path)
    W.patch_lfw_md5(monkeypatch, E_LFW, md5)
    W.patch_lfw_md5(monkeypatch, T_LFW, md5)
    if split != "test":
        ours, theirs = E.LFWPeople(tmp_path, split), T.LFWPeople(tmp_path, split)
        same_samples(ours, theirs)
        assert ours.class_to_idx == theirs.class_to_idx and ours.data == theirs.data
    if split != "train":
        ours, theirs = E.LFWPairs(tmp_path, split), T.LFWPairs(tmp_path, split)
        same_samples(ours, theirs)
        assert ours.pair_names == theirs.pair_names and ours.data == theirs.data


def test_omniglot(tmp_path, monkeypatch):
    md5 = W.write_omniglot(tmp_path)
    patch_both(monkeypatch, "images_background", md5, E.Omniglot.zips_md5, T.Omniglot.zips_md5)
    shutil.unpack_archive(
        tmp_path / "omniglot-py" / "images_background.zip", tmp_path / "omniglot-py"
    )
    ours, theirs = E.Omniglot(tmp_path), T.Omniglot(tmp_path)
    assert sorted(ours._characters) == sorted(theirs._characters)
    # class indices follow each library's listing order: compare by character name
    named = [
        [(image, ds._characters[target]) for image, target in (ds[i] for i in range(len(ds)))]
        for ds in (ours, theirs)
    ]
    same_samples(*named, ordered=False)


@pytest.mark.parametrize("split", [None, "train", "test"])
def test_moving_mnist(tmp_path, split):
    W.write_moving_mnist(tmp_path)
    ours, theirs = E.MovingMNIST(tmp_path, split, 7), T.MovingMNIST(tmp_path, split, 7)
    same_samples(ours, theirs)
    assert tuple(ours.data.shape) == tuple(theirs.data.shape)


@pytest.mark.parametrize("split", ["train", "val"])
def test_rendered_sst2(tmp_path, split):
    W.write_rendered_sst2(tmp_path)
    same_samples(E.RenderedSST2(tmp_path, split), T.RenderedSST2(tmp_path, split))


def test_flickr(tmp_path):
    images, html, tokens = W.write_flickr(tmp_path)
    ours, theirs = E.Flickr8k(images, html), T.Flickr8k(images, html)
    same_samples(ours, theirs)
    assert ours.ids == theirs.ids and ours.annotations == theirs.annotations
    ours, theirs = E.Flickr30k(images, tokens), T.Flickr30k(images, tokens)
    same_samples(ours, theirs)
    assert ours.ids == theirs.ids and dict(ours.annotations) == dict(theirs.annotations)


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # torchvision's SBU leaves files open
def test_sbu(tmp_path, monkeypatch):
    patch_both(monkeypatch, "md5_checksum", W.write_sbu(tmp_path), E.SBU, T.SBU)
    ours, theirs = E.SBU(tmp_path), T.SBU(tmp_path)
    same_samples(ours, theirs)
    assert ours.photos == theirs.photos and ours.captions == theirs.captions


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_clevr(tmp_path, split):
    W.write_clevr(tmp_path)
    same_samples(E.CLEVRClassification(tmp_path, split), T.CLEVRClassification(tmp_path, split))
