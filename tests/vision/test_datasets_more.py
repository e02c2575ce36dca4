"""embervision.datasets beyond MNIST/CIFAR: tiny datasets written in the real on-disk layouts."""

import bz2
import gzip
import importlib.util
import json
import lzma
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from embervision.datasets import (
    DTD,
    GTSRB,
    QMNIST,
    SEMEION,
    STL10,
    USPS,
    Caltech101,
    Caltech256,
    CelebA,
    CocoCaptions,
    CocoDetection,
    EuroSAT,
    Food101,
    Imagenette,
    OxfordIIITPet,
    VOCDetection,
    VOCSegmentation,
)
from embervision.datasets.utils import calculate_md5

# ------------------------------------------------------------------------------- file writers


def write_image(path, size=(8, 6), color=(10, 20, 30), mode="RGB", fmt=None):
    """A real image file (JPEG, PNG or PPM by suffix); returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, format=fmt)
    return path


def write_text(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def idx_bytes(array):
    codes = {"uint8": 8, "int32": 12}
    header = bytes([0, 0, codes[array.dtype.name], array.ndim])
    dims = np.array(array.shape, dtype=">u4").tobytes()
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def check_offline(offline, make, *names):
    """``make()`` with download=True and no network fails within seconds naming ``names``."""
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        make()
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    for name in names:
        assert name in message
    assert offline  # a download was attempted
    return message


# ----------------------------------------------------------------------------------------- VOC

VOC_XML = """<annotation>
    <folder>VOC2012</folder>
    <filename>{name}.jpg</filename>
    <size><width>8</width><height>6</height><depth>3</depth></size>
    <segmented>0</segmented>
{objects}</annotation>
"""
VOC_OBJECT = """    <object>
        <name>{cls}</name>
        <pose>Left</pose>
        <truncated>0</truncated>
        <difficult>0</difficult>
        <bndbox><xmin>1</xmin><ymin>2</ymin><xmax>5</xmax><ymax>4</ymax></bndbox>
    </object>
"""


def write_voc(root, year="2012", ids=("2008_000001", "2008_000002")):
    base = Path(root) / "VOCdevkit" / f"VOC{year}"
    for i, name in enumerate(ids):
        write_image(base / "JPEGImages" / f"{name}.jpg", color=(40 * i, 0, 0))
        mask = Image.new("P", (8, 6), i + 1)
        mask.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (768 - 9))
        (base / "SegmentationClass").mkdir(parents=True, exist_ok=True)
        mask.save(base / "SegmentationClass" / f"{name}.png")
        classes = ["dog"] if i == 0 else ["cat", "person"]
        objects = "".join(VOC_OBJECT.format(cls=c) for c in classes)
        write_text(base / "Annotations" / f"{name}.xml", VOC_XML.format(name=name, objects=objects))
    for sub in ("Segmentation", "Main"):
        write_text(base / "ImageSets" / sub / "train.txt", "\n".join(ids) + "\n")
        write_text(base / "ImageSets" / sub / "val.txt", ids[0] + "\n")
    return base


def test_voc_segmentation(tmp_path):
    write_voc(tmp_path)
    ds = VOCSegmentation(tmp_path)
    assert len(ds) == 2
    img, mask = ds[1]
    assert img.mode == "RGB" and img.size == (8, 6)
    assert mask.mode == "P" and np.asarray(mask)[0, 0] == 2
    assert len(VOCSegmentation(tmp_path, image_set="val")) == 1

    seen = []
    ds = VOCSegmentation(tmp_path, transforms=lambda i, t: seen.append((i.size, t.mode)) or (1, 2))
    assert ds[0] == (1, 2) and seen == [((8, 6), "P")]
    with pytest.raises(ValueError, match="image_set"):
        VOCSegmentation(tmp_path, image_set="test")  # test only exists for 2007
    with pytest.raises(ValueError, match="year"):
        VOCSegmentation(tmp_path, year="2013")


def test_voc_detection_parses_xml_like_torchvision(tmp_path):
    write_voc(tmp_path, year="2007")
    ds = VOCDetection(tmp_path, year="2007")
    img, target = ds[0]
    assert img.mode == "RGB"
    bndbox = {"xmin": "1", "ymin": "2", "xmax": "5", "ymax": "4"}
    dog = {"name": "dog", "pose": "Left", "truncated": "0", "difficult": "0", "bndbox": bndbox}
    assert target == {
        "annotation": {
            "folder": "VOC2012",
            "filename": "2008_000001.jpg",
            "size": {"width": "8", "height": "6", "depth": "3"},
            "segmented": "0",
            "object": [dog],  # a list even for one object
        }
    }
    objects = ds[1][1]["annotation"]["object"]
    assert [o["name"] for o in objects] == ["cat", "person"]

    names = VOCDetection(tmp_path, year="2007", target_transform=lambda t: t["annotation"])
    assert names[0][1]["filename"] == "2008_000001.jpg"


def test_voc_missing_corrupt_and_offline(tmp_path, offline):
    with pytest.raises(RuntimeError) as info:
        VOCDetection(tmp_path)
    message = str(info.value)
    assert "VOCtrainval_11-May-2012.tar" in message
    assert os.path.join(str(tmp_path), "VOCdevkit", "VOC2012") in message
    assert offline == []

    check_offline(
        offline,
        lambda: VOCSegmentation(tmp_path, year="2007", image_set="test", download=True),
        "VOCtest_06-Nov-2007.tar",
        "b6e924de25625d8de591ea690078ad9f",
    )

    base = write_voc(tmp_path)
    (base / "Annotations" / "2008_000001.xml").write_text("<annotation><folder>")
    with pytest.raises(ValueError, match=re.escape("2008_000001.xml")):
        VOCDetection(tmp_path)[0]
    (base / "JPEGImages" / "2008_000002.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(OSError, match=re.escape("2008_000002.jpg")):
        VOCSegmentation(tmp_path)[1]


# ---------------------------------------------------------------------------------------- COCO


def write_coco(tmp_path):
    images = tmp_path / "images"
    write_image(images / "b.jpg", color=(0, 255, 0))
    write_image(images / "a.png", size=(4, 4), mode="L", color=128)
    annotations = {
        "info": {"year": 2017},
        "images": [
            {"id": 42, "file_name": "b.jpg", "width": 8, "height": 6},
            {"id": 7, "file_name": "a.png", "width": 4, "height": 4},
            {"id": 9, "file_name": "a.png", "width": 4, "height": 4},
        ],
        "annotations": [
            {"id": 1, "image_id": 42, "bbox": [1, 2, 3, 4], "category_id": 18, "caption": "x"},
            {"id": 2, "image_id": 7, "bbox": [0, 0, 1, 1], "category_id": 1, "caption": "y"},
            {"id": 3, "image_id": 42, "bbox": [2, 2, 2, 2], "category_id": 1, "caption": "z"},
        ],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
    }
    ann_file = write_text(tmp_path / "instances.json", json.dumps(annotations))
    return images, ann_file, annotations


def test_coco_detection_and_captions(tmp_path):
    images, ann_file, annotations = write_coco(tmp_path)
    ds = CocoDetection(images, ann_file)
    assert len(ds) == 3 and ds.ids == [7, 9, 42]
    img, target = ds[0]
    assert img.mode == "RGB" and img.size == (4, 4)  # converted from "L"
    assert target == [annotations["annotations"][1]]
    assert ds[1][1] == []  # an image without annotations
    assert ds[2][1] == [annotations["annotations"][0], annotations["annotations"][2]]
    with pytest.raises(ValueError, match="Index must be of type integer"):
        ds[np.int64(0).item() + 0.0]

    caps = CocoCaptions(str(images), str(ann_file), target_transform=len)
    assert caps[2][1] == 2
    assert CocoCaptions(images, ann_file)[2][1] == ["x", "z"]
    both = CocoDetection(images, ann_file, transforms=lambda i, t: (i.size, len(t)))
    assert both[2] == ((8, 6), 2)


def test_coco_bad_files(tmp_path):
    images, ann_file, _ = write_coco(tmp_path)
    with pytest.raises(FileNotFoundError, match=re.escape("missing.json")):
        CocoDetection(images, tmp_path / "missing.json")
    bad = write_text(tmp_path / "bad.json", '{"images": [')
    with pytest.raises(ValueError, match=re.escape("bad.json")):
        CocoDetection(images, bad)
    (images / "b.jpg").unlink()
    with pytest.raises(FileNotFoundError):
        CocoDetection(images, ann_file)[2]


# --------------------------------------------------------------------------------------- STL10


def write_stl10(root, monkeypatch, n_train=4, n_test=2, n_unlabeled=3):
    """The binary files: uint8 images column-major per channel, labels 1..10."""
    rng = np.random.default_rng(0)
    folder = Path(root) / "stl10_binary"
    folder.mkdir(parents=True)
    arrays = {}
    for name, n in (("train", n_train), ("test", n_test), ("unlabeled", n_unlabeled)):
        chw = rng.integers(0, 256, size=(n, 3, 96, 96), dtype=np.uint8)
        (folder / f"{name}_X.bin").write_bytes(chw.transpose(0, 1, 3, 2).tobytes())
        labels = rng.integers(1, 11, size=n, dtype=np.uint8)
        if name != "unlabeled":
            (folder / f"{name}_y.bin").write_bytes(labels.tobytes())
        arrays[name] = (chw, labels.astype(np.int64) - 1)
    write_text(folder / "class_names.txt", "airplane\nbird\ncar\n")
    write_text(folder / "fold_indices.txt", "3 1\n0 2\n" + "0\n" * 8)

    def md5s(entries):
        return [[name, calculate_md5(folder / name)] for name, _ in entries]

    monkeypatch.setattr(STL10, "train_list", md5s(STL10.train_list))
    monkeypatch.setattr(STL10, "test_list", md5s(STL10.test_list))
    return folder, arrays


def test_stl10_splits_and_folds(tmp_path, monkeypatch):
    _, arrays = write_stl10(tmp_path, monkeypatch)
    ds = STL10(tmp_path)
    assert len(ds) == 4 and ds.classes == ["airplane", "bird", "car"]
    img, target = ds[1]
    assert img.mode == "RGB" and img.size == (96, 96)
    np.testing.assert_array_equal(np.asarray(img), arrays["train"][0][1].transpose(1, 2, 0))
    assert target == arrays["train"][1][1] and isinstance(target, int)

    test = STL10(tmp_path, split="test")
    assert len(test) == 2 and test[1][1] == arrays["test"][1][1]
    unlabeled = STL10(tmp_path, split="unlabeled")
    assert len(unlabeled) == 3 and unlabeled[0][1] == -1
    both = STL10(tmp_path, split="train+unlabeled", folds=0)
    assert len(both) == 5 and both[0][1] == arrays["train"][1][3] and both[4][1] == -1

    fold = STL10(tmp_path, folds=1, transform=np.asarray, target_transform=str)
    np.testing.assert_array_equal(fold[1][0], arrays["train"][0][2].transpose(1, 2, 0))
    assert fold[1][1] == str(arrays["train"][1][2])
    assert "Split: train" in repr(fold)
    with pytest.raises(ValueError, match="folds"):
        STL10(tmp_path, folds=10)
    with pytest.raises(ValueError, match="split"):
        STL10(tmp_path, split="val")


def test_stl10_missing_corrupt_and_offline(tmp_path, monkeypatch, offline):
    with pytest.raises(RuntimeError, match=re.escape("stl10_binary.tar.gz")):
        STL10(tmp_path)
    check_offline(offline, lambda: STL10(tmp_path, download=True), "stl10_binary.tar.gz")

    folder, _ = write_stl10(tmp_path, monkeypatch)
    (folder / "test_X.bin").write_bytes(b"\0" * 100)
    with pytest.raises(RuntimeError, match="not found or corrupted"):  # md5 check
        STL10(tmp_path, split="test")
    monkeypatch.setattr(
        STL10, "test_list", [[n, calculate_md5(folder / n)] for n, _ in STL10.test_list]
    )
    with pytest.raises(ValueError, match=re.escape("test_X.bin")):
        STL10(tmp_path, split="test")


# -------------------------------------------------------------------------------------- QMNIST


def write_qmnist(root, prefix="qmnist-test", n=12, compress=gzip.compress, suffix=".gz"):
    rng = np.random.default_rng(1)
    raw = Path(root) / "QMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 100000, size=(n, 8), dtype=np.int32)
    labels[:, 0] = np.arange(n) % 10
    (raw / f"{prefix}-images-idx3-ubyte{suffix}").write_bytes(compress(idx_bytes(images)))
    (raw / f"{prefix}-labels-idx2-int{suffix}").write_bytes(compress(idx_bytes(labels)))
    return images, labels


def test_qmnist_what_and_compat(tmp_path, monkeypatch):
    images, labels = write_qmnist(tmp_path)
    ds = QMNIST(tmp_path, train=False)
    assert len(ds) == 12 and repr(ds).splitlines()[-1].strip() == "Split: test"
    img, target = ds[3]
    np.testing.assert_array_equal(np.asarray(img), images[3])
    assert img.mode == "L" and target == 3

    full = QMNIST(tmp_path, what="test", compat=False)
    target = full[3][1]
    assert isinstance(target, ember.Tensor) and target.dtype == ember.int64
    assert target.tolist() == labels[3].tolist()

    with pytest.raises(RuntimeError, match="qmnist-train-images-idx3-ubyte"):
        QMNIST(tmp_path, what="train")  # only the test files were written
    # test10k / test50k split the test set at image 10,000.
    assert len(QMNIST(tmp_path, what="test10k")) == 12
    assert len(QMNIST(tmp_path, what="test50k")) == 0
    with pytest.raises(ValueError, match="what"):
        QMNIST(tmp_path, what="valid")

    nist_images, _ = write_qmnist(tmp_path, "xnist", n=4, compress=lzma.compress, suffix=".xz")
    nist = QMNIST(tmp_path, what="nist")
    assert len(nist) == 4
    np.testing.assert_array_equal(np.asarray(nist[2][0]), nist_images[2])


def test_qmnist_offline_and_corrupt(tmp_path, offline):
    message = check_offline(
        offline,
        lambda: QMNIST(tmp_path, what="nist", download=True),
        "xnist-images-idx3-ubyte.xz",
        "xnist-labels-idx2-int.xz",
        os.path.join(str(tmp_path), "QMNIST", "raw"),
    )
    assert "Error downloading" in message
    write_qmnist(tmp_path)
    path = tmp_path / "QMNIST" / "raw" / "qmnist-test-labels-idx2-int.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ValueError, match=re.escape("qmnist-test-labels-idx2-int.gz")):
        QMNIST(tmp_path, train=False)


# ------------------------------------------------------------------------------ USPS, SEMEION


def libsvm_line(label, pixels):
    return f"{label} " + " ".join(f"{i}:{v:.6f}" for i, v in enumerate(pixels, 1)) + "\n"


def test_usps(tmp_path):
    rng = np.random.default_rng(2)
    pixels = rng.uniform(-1, 1, size=(3, 256))
    text = "".join(libsvm_line(label, p) for label, p in zip([1, 10, 5], pixels))
    (tmp_path / "usps.t.bz2").write_bytes(bz2.compress(text.encode()))
    ds = USPS(tmp_path, train=False, target_transform=lambda t: t * 10)
    assert len(ds) == 3
    img, target = ds[1]
    assert img.mode == "L" and img.size == (16, 16) and target == 90
    expected = ((pixels[1].astype(np.float32) + 1) / 2 * 255).astype(np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(np.asarray(img), expected)

    with pytest.raises(RuntimeError, match=re.escape("usps.bz2")):
        USPS(tmp_path)
    (tmp_path / "usps.bz2").write_bytes(b"BZh9 truncated")
    with pytest.raises(ValueError, match=re.escape("usps.bz2")):
        USPS(tmp_path)


def test_usps_offline(tmp_path, offline):
    check_offline(offline, lambda: USPS(tmp_path, download=True), "usps.bz2", str(tmp_path))


def test_semeion(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, size=(4, 256))
    lines = []
    for label, row in zip([0, 7, 9, 3], bits):
        onehot = [int(label == k) for k in range(10)]
        lines.append(" ".join(f"{b:.4f}" for b in row) + " " + " ".join(map(str, onehot)) + " \n")
    path = write_text(tmp_path / "semeion.data", "".join(lines))
    monkeypatch.setattr(SEMEION, "md5_checksum", calculate_md5(path))
    ds = SEMEION(tmp_path)  # download=True by default: the verified file is used as is
    assert len(ds) == 4 and ds[2][1] == 9
    np.testing.assert_array_equal(np.asarray(ds[1][0]), (bits[1] * 255).reshape(16, 16))


def test_semeion_offline_and_corrupt(tmp_path, monkeypatch, offline):
    check_offline(offline, lambda: SEMEION(tmp_path), "semeion.data", str(tmp_path))
    path = write_text(tmp_path / "semeion.data", "1 0 1\n")
    monkeypatch.setattr(SEMEION, "md5_checksum", calculate_md5(path))
    with pytest.raises(ValueError, match=re.escape("semeion.data")):
        SEMEION(tmp_path, download=False)


# --------------------------------------------------------------------------------------- CelebA

ATTR_NAMES = ["Smiling", "Young", "Male"]


def write_celeba(root, monkeypatch):
    folder = Path(root) / "celeba"
    names = [f"{i:06d}.jpg" for i in range(1, 6)]
    for i, name in enumerate(names):
        write_image(folder / "img_align_celeba" / name, color=(i * 50, 0, 0))
    partition = [0, 0, 1, 2, 0]
    attrs = [[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, -1], [1, 1, 1]]
    files = {
        "list_eval_partition.txt": "".join(f"{n} {p}\n" for n, p in zip(names, partition)),
        "identity_CelebA.txt": "".join(f"{n} {100 + i}\n" for i, n in enumerate(names)),
        "list_bbox_celeba.txt": "5\nimage_id x_1 y_1 width height\n"
        + "".join(f"{n}    {i}   {i + 1}  {i + 2}  {i + 3}\n" for i, n in enumerate(names)),
        "list_landmarks_align_celeba.txt": "5\nlefteye_x lefteye_y\n"
        + "".join(f"{n}  {60 + i}  {70 + i}\n" for i, n in enumerate(names)),
        "list_attr_celeba.txt": "5\n"
        + " ".join(ATTR_NAMES)
        + "\n"
        + "".join(
            f"{n} " + " ".join(f"{a:2d}" for a in row) + "\n" for n, row in zip(names, attrs)
        ),
    }
    for name, text in files.items():
        write_text(folder / name, text)
    file_list = [
        (file_id, md5 if name.endswith(".zip") else calculate_md5(folder / name), name)
        for file_id, md5, name in CelebA.file_list
    ]
    monkeypatch.setattr(CelebA, "file_list", file_list)
    return folder, attrs


def test_celeba_splits_and_target_types(tmp_path, monkeypatch):
    write_celeba(tmp_path, monkeypatch)
    ds = CelebA(tmp_path)
    assert len(ds) == 3 and ds.filename == ["000001.jpg", "000002.jpg", "000005.jpg"]
    assert ds.attr_names == ATTR_NAMES
    img, target = ds[1]
    assert img.mode == "RGB" and img.size == (8, 6)
    assert isinstance(target, ember.Tensor) and target.tolist() == [0, 0, 1]  # {-1,1} -> {0,1}

    assert len(CelebA(tmp_path, split="valid")) == 1
    assert len(CelebA(tmp_path, split="all")) == 5
    test = CelebA(tmp_path, split="test", target_type=["identity", "bbox", "landmarks", "attr"])
    identity, bbox, landmarks, attr = test[0][1]
    assert int(identity) == 103 and bbox.tolist() == [3, 4, 5, 6]
    assert landmarks.tolist() == [63, 73] and attr.tolist() == [0, 1, 0]

    assert CelebA(tmp_path, target_type=[])[0][1] is None
    with pytest.raises(RuntimeError, match="target_type is empty"):
        CelebA(tmp_path, target_type=[], target_transform=str)
    with pytest.raises(ValueError, match="split"):
        CelebA(tmp_path, split="val")
    with pytest.raises(ValueError, match="not recognized"):
        CelebA(tmp_path, target_type="pose")[0]
    assert "Target type: ['attr']" in repr(ds) and "Split: train" in repr(ds)


def test_celeba_missing_corrupt_and_offline(tmp_path, monkeypatch, offline):
    with pytest.raises(RuntimeError) as info:
        CelebA(tmp_path, download=True)
    message = str(info.value)
    assert "list_eval_partition.txt" in message and "img_align_celeba.zip" in message
    assert "Google Drive" in message and offline == []  # nothing to try: fails at once

    folder, _ = write_celeba(tmp_path, monkeypatch)
    with open(folder / "list_bbox_celeba.txt", "a") as f:
        f.write("000006.jpg x 1 2 3\n")
    with pytest.raises(RuntimeError, match="corrupted"):  # md5 no longer matches
        CelebA(tmp_path)
    file_list = [
        (i, calculate_md5(folder / n) if n.endswith("txt") else m, n)
        for i, m, n in CelebA.file_list
    ]
    monkeypatch.setattr(CelebA, "file_list", file_list)
    with pytest.raises(ValueError, match=re.escape("list_bbox_celeba.txt")):
        CelebA(tmp_path)


# ------------------------------------------------------------------- image-list classification


def test_food101(tmp_path):
    base = tmp_path / "food-101"
    for cls in ("ramen", "apple_pie"):
        for i in range(2):
            write_image(base / "images" / cls / f"{i}.jpg", color=(i * 100, 0, 0))
    meta = {"ramen": ["ramen/0", "ramen/1"], "apple_pie": ["apple_pie/1"]}
    write_text(base / "meta" / "train.json", json.dumps(meta))
    write_text(base / "meta" / "test.json", json.dumps({"ramen": [], "apple_pie": ["apple_pie/0"]}))
    ds = Food101(tmp_path)
    assert ds.classes == ["apple_pie", "ramen"] and len(ds) == 3
    img, target = ds[0]
    assert img.mode == "RGB" and target == 1
    assert ds[2][1] == 0
    assert len(Food101(tmp_path, split="test")) == 1
    assert "split=train" in repr(ds)


def test_dtd(tmp_path):
    data = tmp_path / "dtd" / "dtd"
    for cls in ("banded", "woven"):
        write_image(data / "images" / cls / f"{cls}_0001.jpg")
    write_text(data / "labels" / "train1.txt", "woven/woven_0001.jpg\nbanded/banded_0001.jpg\n")
    write_text(data / "labels" / "val3.txt", "woven/woven_0001.jpg\n")
    ds = DTD(tmp_path, target_transform=lambda t: -t)
    assert ds.classes == ["banded", "woven"] and [ds[i][1] for i in range(2)] == [-1, 0]
    val = DTD(tmp_path, split="val", partition=3)
    assert len(val) == 1 and "partition=3" in repr(val)
    with pytest.raises(ValueError, match="partition"):
        DTD(tmp_path, partition=11)


def test_eurosat(tmp_path):
    for cls in ("Forest", "River"):
        write_image(tmp_path / "eurosat" / "2750" / cls / f"{cls}_1.jpg", size=(64, 64))
    ds = EuroSAT(tmp_path)
    assert ds.classes == ["Forest", "River"] and len(ds) == 2
    assert ds[1][0].size == (64, 64) and ds[1][1] == 1
    assert ds.root == str(tmp_path)


def test_imagenette(tmp_path):
    val = tmp_path / "imagenette2-160" / "val"
    write_image(val / "n03888257" / "ILSVRC2012_val_1.JPEG", fmt="JPEG")
    write_image(val / "n01440764" / "n01440764_1.JPEG", fmt="JPEG")
    write_text(val / "n01440764" / "notes.txt", "not an image")
    ds = Imagenette(tmp_path, split="val", size="160px")
    assert ds.wnids == ["n01440764", "n03888257"]
    assert ds.classes[1] == ("parachute", "chute")
    assert ds.class_to_idx["chute"] == 1 and ds.class_to_idx["tench"] == 0
    assert len(ds) == 2 and ds[1][1] == 1 and ds[0][0].mode == "RGB"


def test_gtsrb(tmp_path):
    train = tmp_path / "gtsrb" / "GTSRB" / "Training"
    write_image(train / "00000" / "00000_00000.ppm")
    write_image(train / "00002" / "00000_00001.ppm")
    write_text(train / "00002" / "GT-00002.csv", "Filename;ClassId\n")
    ds = GTSRB(tmp_path)
    assert len(ds) == 2 and ds[1][1] == 1 and ds[0][0].mode == "RGB"

    test_images = tmp_path / "gtsrb" / "GTSRB" / "Final_Test" / "Images"
    write_image(test_images / "00000.ppm")
    write_image(test_images / "00001.ppm")
    header = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
    write_text(
        tmp_path / "gtsrb" / "GT-final_test.csv",
        header + "00000.ppm;8;6;1;1;7;5;16\n00001.ppm;8;6;1;1;7;5;1\n",
    )
    test = GTSRB(tmp_path, split="test")
    assert [test[i][1] for i in range(2)] == [16, 1]


def test_oxford_iiit_pet(tmp_path):
    base = tmp_path / "oxford-iiit-pet"
    rows = [("Abyssinian_100", 1, 1), ("great_pyrenees_12", 13, 2), ("Abyssinian_7", 1, 1)]
    for image_id, _, _ in rows:
        write_image(base / "images" / f"{image_id}.jpg")
        write_image(base / "annotations" / "trimaps" / f"{image_id}.png", mode="L", color=2)
    lines = "".join(f"{i} {c} {s} 1\n" for i, c, s in rows)
    write_text(base / "annotations" / "trainval.txt", lines)
    ds = OxfordIIITPet(tmp_path)
    assert len(ds) == 3 and ds.classes == ["Abyssinian", "Great Pyrenees"]
    assert ds[1][1] == 12
    multi = OxfordIIITPet(tmp_path, target_types=["binary-category", "segmentation"])
    img, (species, trimap) = multi[1]
    assert img.mode == "RGB" and species == 1 and trimap.mode == "L"
    assert OxfordIIITPet(tmp_path, target_types=[])[0][1] is None
    with pytest.raises(ValueError, match="target_types"):
        OxfordIIITPet(tmp_path, target_types="breed")


def test_caltech(tmp_path):
    cats = tmp_path / "caltech101" / "101_ObjectCategories"
    write_image(cats / "BACKGROUND_Google" / "image_0001.jpg")
    write_image(cats / "accordion" / "image_0001.jpg")
    write_image(cats / "accordion" / "image_0002.jpg", mode="L", color=3)
    write_image(cats / "ant" / "image_0001.jpg")
    ds = Caltech101(tmp_path, target_type=["category", "category"])
    assert ds.categories == ["accordion", "ant"] and len(ds) == 3
    img, target = ds[1]
    assert img.mode == "L" and target == (0, 0)  # images as stored, like torchvision
    assert Caltech101(tmp_path)[2][1] == 1
    if importlib.util.find_spec("scipy"):  # outlines in .mat files (embervision[mat])
        from scipy.io import savemat

        contour = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        (tmp_path / "caltech101" / "Annotations" / "ant").mkdir(parents=True)
        savemat(
            tmp_path / "caltech101/Annotations/ant/annotation_0001.mat", {"obj_contour": contour}
        )
        _, (label, outline) = Caltech101(tmp_path, target_type=["category", "annotation"])[2]
        assert label == 1
        np.testing.assert_array_equal(outline, contour)

    cats = tmp_path / "caltech256" / "256_ObjectCategories"
    write_image(cats / "001.ak47" / "001_0001.jpg")
    write_image(cats / "002.american-flag" / "002_0001.jpg")
    write_image(cats / "002.american-flag" / "002_0002.jpg")
    ds = Caltech256(tmp_path)
    assert len(ds) == 3 and [ds[i][1] for i in range(3)] == [0, 1, 1]


@pytest.mark.parametrize(
    "make, names",
    [
        (lambda root: Food101(root, download=True), ["food-101.tar.gz", "food-101"]),
        (lambda root: DTD(root, download=True), ["dtd-r1.0.1.tar.gz", os.path.join("dtd", "dtd")]),
        (lambda root: EuroSAT(root, download=True), ["EuroSAT.zip", "2750"]),
        (lambda root: Imagenette(root, size="320px", download=True), ["imagenette2-320.tgz"]),
        (lambda root: GTSRB(root, split="test", download=True), ["GTSRB_Final_Test_GT.zip"]),
        (lambda root: OxfordIIITPet(root, download=True), ["images.tar.gz", "annotations.tar.gz"]),
        (lambda root: Caltech256(root, download=True), ["256_ObjectCategories.tar"]),
    ],
)
def test_archive_datasets_offline(tmp_path, offline, make, names):
    message = check_offline(offline, lambda: make(tmp_path), *names)
    assert "Error downloading" in message and str(tmp_path) in message


def test_archive_datasets_missing_and_corrupt(tmp_path):
    with pytest.raises(RuntimeError, match=re.escape("food-101.tar.gz")):
        Food101(tmp_path)
    with pytest.raises(RuntimeError, match="Dataset not found"):
        Caltech101(tmp_path)
    write_image(tmp_path / "eurosat" / "2750" / "Forest" / "1.jpg")
    (tmp_path / "eurosat" / "2750" / "Forest" / "1.jpg").write_bytes(b"garbage")
    with pytest.raises(OSError, match=re.escape("1.jpg")):
        EuroSAT(tmp_path)[0]
