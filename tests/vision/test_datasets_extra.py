"""embervision.datasets added after the first rounds: SVHN, Flowers102, StanfordCars, ImageNet,
PCAM, FGVCAircraft, Country211, SUN397, Places365, INaturalist, FER2013, LFW, Omniglot,
MovingMNIST, RenderedSST2, Flickr, SBU and CLEVR, each on tiny files in its real on-disk format.

The ``.mat`` files are written with scipy and the ``.h5`` files with h5py; the tests that need
them skip where those optional packages are missing. tests/parity/test_datasets_extra.py
loads the ``write_*`` functions of this file to build the same data for torchvision.
"""

import csv
import importlib.util
import io
import json
import os
import re
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from embervision.datasets import (
    FER2013,
    PCAM,
    SBU,
    SUN397,
    SVHN,
    CLEVRClassification,
    Country211,
    FGVCAircraft,
    Flickr8k,
    Flickr30k,
    Flowers102,
    ImageNet,
    INaturalist,
    LFWPairs,
    LFWPeople,
    MovingMNIST,
    Omniglot,
    Places365,
    RenderedSST2,
    StanfordCars,
)
from embervision.datasets import imagenet as imagenet_module
from embervision.datasets.lfw import _LFW
from embervision.datasets.utils import calculate_md5

needs_scipy = pytest.mark.skipif(
    importlib.util.find_spec("scipy") is None, reason="needs scipy (embervision[mat])"
)
needs_h5py = pytest.mark.skipif(
    importlib.util.find_spec("h5py") is None, reason="needs h5py (embervision[hdf5])"
)

# ------------------------------------------------------------------------------- file writers


def write_image(path, size=(8, 6), color=(10, 20, 30), mode="RGB", fmt=None):
    """A real image file (JPEG, PNG, ... by suffix, or ``fmt``); returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, format=fmt)
    return path


def write_text(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_tar(path, members):
    """A tar archive (compressed by suffix) of ``{name in archive: bytes}``; returns its md5."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "w:gz" if path.name.endswith((".tar.gz", ".tgz")) else "w"
    with tarfile.open(path, mode) as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return calculate_md5(path)


def jpeg_bytes(color=(10, 20, 30), size=(8, 6)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def savemat(path, variables):
    from scipy.io import savemat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, variables)
    return calculate_md5(path)


def struct_array(fields, records):
    """A MATLAB struct array: one record a tuple of ``fields``' values."""
    array = np.empty(len(records), dtype=[(field, object) for field in fields])
    for i, record in enumerate(records):
        array[i] = record
    return array


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


def pixels(image):
    return np.asarray(image).tolist()


# ------------------------------------------------------------------- writers of each dataset


def write_svhn(root, filename="train_32x32.mat", labels=(10, 3, 7)):
    """``X`` (32 x 32 x 3 x N, uint8) and ``y`` (N x 1) as in the published files."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(32, 32, 3, len(labels)), dtype=np.uint8)
    y = np.array(labels, dtype=np.uint8)[:, None]
    md5 = savemat(Path(root) / filename, {"X": x, "y": y})
    return x, md5


FLOWER_LABELS = [1, 2, 2, 3, 1, 102]  # of image ids 1..6
FLOWER_SPLITS = {"trnid": [1, 4], "valid": [2, 5], "tstid": [6, 3]}


def write_flowers102(root):
    """The images, ``imagelabels.mat`` and ``setid.mat`` (1 x N rows, as published)."""
    base = Path(root) / "flowers-102"
    for image_id in range(1, len(FLOWER_LABELS) + 1):
        write_image(base / "jpg" / f"image_{image_id:05d}.jpg", color=(image_id * 20, 0, 0))
    labels = np.array([FLOWER_LABELS], dtype=np.uint8)
    splits = {key: np.array([ids], dtype=np.uint16) for key, ids in FLOWER_SPLITS.items()}
    return {
        "label": savemat(base / "imagelabels.mat", {"labels": labels}),
        "setid": savemat(base / "setid.mat", splits),
    }


CAR_FIELDS = ("bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname")


def write_stanford_cars(root):
    base = Path(root) / "stanford_cars"
    names = np.array([["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Audi R8 2012"]])
    savemat(base / "devkit" / "cars_meta.mat", {"class_names": names.astype(object)})
    train = [(1, 2, 7, 5, np.uint8(3), "00001.jpg"), (0, 0, 8, 6, np.uint8(1), "00002.jpg")]
    savemat(
        base / "devkit" / "cars_train_annos.mat", {"annotations": struct_array(CAR_FIELDS, train)}
    )
    test = [(1, 1, 4, 4, np.uint8(2), "00001.jpg"), (1, 1, 4, 4, np.uint8(3), "00002.jpg")]
    savemat(
        base / "cars_test_annos_withlabels.mat", {"annotations": struct_array(CAR_FIELDS, test)}
    )
    for folder, rows in (("cars_train", train), ("cars_test", test)):
        for i, row in enumerate(rows):
            write_image(base / folder / row[-1], color=(0, 50 * i, 0))


SYNSET_FIELDS = (
    "ILSVRC2012_ID",
    "WNID",
    "words",
    "gloss",
    "num_children",
    "children",
    "wordnet_height",
    "num_train_images",
)
IMAGENET_VAL_IDS = [2, 1, 2]  # the ILSVRC2012_ID of each validation image


def write_imagenet(root):
    """The devkit, train and val archives of ImageNet 2012; returns ``{archive key: md5}``.

    The devkit's ``meta.mat`` has two leaf synsets (classes) and one synset with children,
    which is not a class.
    """
    synsets = struct_array(
        SYNSET_FIELDS,
        [
            (1, "n01440764", "tench, Tinca tinca", "a fish", 0, np.zeros(0), 0, 2),
            (2, "n01443537", "goldfish, Carassius auratus", "a fish", 0, np.zeros(0), 0, 1),
            (3, "n00000001", "fish", "any fish", 2, np.array([1.0, 2.0]), 1, 0),
        ],
    )
    meta_buffer = io.BytesIO()
    from scipy.io import savemat as savemat_to

    savemat_to(meta_buffer, {"synsets": synsets[:, None]})  # 1860 x 1 in the real file
    ground_truth = "".join(f"{i}\n" for i in IMAGENET_VAL_IDS).encode()
    devkit = "ILSVRC2012_devkit_t12/data/"
    root = Path(root)
    md5 = {
        "devkit": write_tar(
            root / "ILSVRC2012_devkit_t12.tar.gz",
            {
                devkit + "meta.mat": meta_buffer.getvalue(),
                devkit + "ILSVRC2012_validation_ground_truth.txt": ground_truth,
            },
        ),
        "val": write_tar(
            root / "ILSVRC2012_img_val.tar",
            {
                f"ILSVRC2012_val_{i:08d}.JPEG": jpeg_bytes((40 * i, 0, 0))
                for i in range(1, len(IMAGENET_VAL_IDS) + 1)
            },
        ),
    }
    class_tars = {}
    for wnid, count in (("n01440764", 2), ("n01443537", 1)):
        class_tar = io.BytesIO()
        with tarfile.open(fileobj=class_tar, mode="w") as tar:
            for i in range(count):
                payload = jpeg_bytes((0, 40 * i, 0))
                info = tarfile.TarInfo(f"{wnid}_{i}.JPEG")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
        class_tars[f"{wnid}.tar"] = class_tar.getvalue()
    md5["train"] = write_tar(root / "ILSVRC2012_img_train.tar", class_tars)
    return md5


def write_pcam(root, split="test", labels=(1, 0, 1)):
    import h5py

    base = Path(root) / "pcam"
    base.mkdir(parents=True, exist_ok=True)
    name = "valid" if split == "val" else split
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(len(labels), 4, 4, 3), dtype=np.uint8)
    y = np.array(labels, dtype=np.uint8).reshape(-1, 1, 1, 1)
    with h5py.File(base / f"camelyonpatch_level_2_split_{name}_x.h5", "w") as f:
        f["x"] = x
    with h5py.File(base / f"camelyonpatch_level_2_split_{name}_y.h5", "w") as f:
        f["y"] = y
    return x


def write_fgvc_aircraft(root):
    data = Path(root) / "fgvc-aircraft-2013b" / "data"
    write_text(data / "variants.txt", "707-320\nBoeing 737-700\nA300B4\n")
    write_text(data / "families.txt", "Boeing 707\nBoeing 737\nA300\n")
    write_text(data / "manufacturers.txt", "Airbus\nBoeing\n")
    rows = [
        ("1025794", "Boeing 737-700", "Boeing 737", "Boeing"),
        ("0056978", "A300B4", "A300", "Airbus"),
    ]
    for level, column in (("variant", 1), ("family", 2), ("manufacturer", 3)):
        lines = "".join(f"{row[0]} {row[column]}\n" for row in rows)
        write_text(data / f"images_{level}_trainval.txt", lines)
        write_text(data / f"images_{level}_test.txt", f"{rows[0][0]} {rows[0][column]}\n")
    for i, row in enumerate(rows):
        write_image(data / "images" / f"{row[0]}.jpg", color=(i * 90, 0, 0))


def write_country211(root):
    base = Path(root) / "country211"
    for split, countries in (("train", ("AD", "AE")), ("valid", ("AD",)), ("test", ("ZW",))):
        for i, country in enumerate(countries):
            write_image(base / split / country / f"{i}.jpg")


SUN_CLASSES = ["abbey", "apartment_building/outdoor", "bedroom"]


def write_sun397(root):
    data = Path(root) / "SUN397"
    write_text(data / "ClassName.txt", "".join(f"/{c[0]}/{c}\n" for c in SUN_CLASSES))
    write_image(data / "a" / "abbey" / "sun_b.jpg")
    write_image(data / "a" / "abbey" / "sun_a.jpg", color=(200, 0, 0))
    write_image(data / "a" / "apartment_building" / "outdoor" / "sun_c.jpg")
    write_image(data / "b" / "bedroom" / "sun_d.jpg")
    write_image(data / "b" / "bedroom" / "notes.jpg")  # not a sun_*.jpg: not a sample


def write_places365(root):
    """Class list, the standard train, val and test lists and the small images; returns the
    md5 of each text file."""
    root = Path(root)
    files = {
        "categories_places365.txt": "/a/airfield 0\n/a/alley 1\n/b/bedroom 2\n",
        "places365_train_standard.txt": "/a/airfield/00000001.jpg 0\n/b/bedroom/00000002.jpg 2\n",
        "places365_val.txt": "Places365_val_00000001.jpg 1\nPlaces365_val_00000002.jpg 0\n",
        "places365_test.txt": "Places365_test_00000001.jpg\n",
    }
    md5 = {name: calculate_md5(write_text(root / name, text)) for name, text in files.items()}
    write_image(root / "data_256_standard" / "a" / "airfield" / "00000001.jpg")
    write_image(root / "data_256_standard" / "b" / "bedroom" / "00000002.jpg")
    write_image(root / "val_256" / "Places365_val_00000001.jpg", color=(0, 0, 255))
    write_image(root / "val_256" / "Places365_val_00000002.jpg")
    write_image(root / "test_256" / "Places365_test_00000001.jpg")
    return md5


INAT_2021 = [
    "00000_Animalia_Arthropoda_Insecta_Coleoptera_Cleridae_Trichodes_ornatus",
    "00001_Animalia_Chordata_Aves_Passeriformes_Corvidae_Corvus_corax",
    "00002_Plantae_Tracheophyta_Magnoliopsida_Asterales_Asteraceae_Bellis_perennis",
]


def write_inaturalist(root):
    for i, folder in enumerate(INAT_2021):
        for j in range(2 if i == 1 else 1):
            write_image(Path(root) / "2021_valid" / folder / f"{i}{j}.jpg", mode="L", color=i)
    # 2019: <super category>/<numeric id>/
    for scat, cat in (("Birds", 2), ("Birds", 0), ("Plants", 1)):
        write_image(Path(root) / "2019" / scat / str(cat) / f"{cat}.jpg")


def fer_pixels(seed):
    values = np.random.default_rng(seed).integers(0, 256, size=48 * 48)
    return " ".join(map(str, values)), values.astype(np.uint8).reshape(48, 48)


def write_fer2013(root, kind):
    """``fer2013.csv`` ("fer"), ``icml_face_data.csv`` ("icml") or ``train.csv`` and
    ``test.csv`` ("split"); returns ``(file name -> md5, pixels of each row)``."""
    base = Path(root) / "fer2013"
    base.mkdir(parents=True, exist_ok=True)
    rows = [(3, "Training"), (0, "PublicTest"), (6, "Training"), (2, "PrivateTest")]
    images = [fer_pixels(i) for i in range(len(rows))]
    tables = {
        "fer": {"fer2013.csv": (["emotion", "pixels", "Usage"], lambda e, p, u: [e, p, u])},
        "icml": {
            "icml_face_data.csv": (["emotion", " Usage", " pixels"], lambda e, p, u: [e, u, p])
        },
        "split": {
            "train.csv": (
                ["emotion", "pixels"],
                lambda e, p, u: [e, p] if u == "Training" else None,
            ),
            "test.csv": (["pixels"], lambda e, p, u: None if u == "Training" else [p]),
        },
    }[kind]
    md5 = {}
    for name, (header, row_of) in tables.items():
        with open(base / name, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for (emotion, usage), (text, _) in zip(rows, images):
                row = row_of(emotion, text, usage)
                if row is not None:
                    writer.writerow(row)
        md5[name] = calculate_md5(base / name)
    return md5, rows, [image for _, image in images]


LFW_PEOPLE = [("Aaron_Eckhart", 1), ("Abel_Pacheco", 2), ("Zico", 3)]


def write_lfw(root):
    """The funneled images (with the archive they come from) and the people and pairs lists;
    returns ``{file name: md5}``."""
    base = Path(root) / "lfw-py"
    for k, (name, count) in enumerate(LFW_PEOPLE):
        for number in range(1, count + 1):
            color = (k * 80, number * 60, 0)
            write_image(base / "lfw_funneled" / name / f"{name}_{number:04d}.jpg", color=color)
    files = {
        "lfw-names.txt": "".join(f"{name}\t{count}\n" for name, count in LFW_PEOPLE),
        # two folds: Aaron_Eckhart, then Abel_Pacheco and Zico
        "people.txt": "2\n1\nAaron_Eckhart\t1\n2\nAbel_Pacheco\t2\nZico\t3\n",
        "peopleDevTrain.txt": "1\nAbel_Pacheco\t2\n",
        # one fold of one matched and one mismatched pair
        "pairs.txt": "1\t1\nAbel_Pacheco\t1\t2\nAaron_Eckhart\t1\tZico\t3\n",
        "pairsDevTest.txt": "2\nZico\t1\t3\nZico\t2\t3\nAbel_Pacheco\t2\tZico\t1\nZico\t3\tAaron_Eckhart\t1\n",
    }
    md5 = {name: calculate_md5(write_text(base / name, text)) for name, text in files.items()}
    md5["lfw-funneled.tgz"] = write_tar(base / "lfw-funneled.tgz", {"lfw_funneled/README": b"."})
    return md5


OMNIGLOT = {"Greek": ["character01", "character02"], "Latin": ["character01"]}


def write_omniglot(root):
    """``images_background.zip`` (not extracted); returns its md5."""
    folder = Path(root) / "omniglot-py"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "images_background.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for a, (alphabet, characters) in enumerate(OMNIGLOT.items()):
            for c, character in enumerate(characters):
                for k in range(2):
                    buffer = io.BytesIO()
                    Image.new("1", (5, 5), (a + c + k) % 2).save(buffer, format="PNG")
                    name = f"images_background/{alphabet}/{character}/{a}{c}_{k:02d}.png"
                    archive.writestr(name, buffer.getvalue())
    return calculate_md5(path)


def write_moving_mnist(root, sequences=3):
    data = np.random.default_rng(2).integers(0, 256, size=(20, sequences, 4, 4), dtype=np.uint8)
    folder = Path(root) / "MovingMNIST"
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "mnist_test_seq.npy", data)
    return data


def write_rendered_sst2(root):
    base = Path(root) / "rendered-sst2"
    for folder, counts in (("train", (1, 2)), ("valid", (1, 1)), ("test", (2, 0))):
        for label, count in zip(("negative", "positive"), counts):
            (base / folder / label).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                write_image(base / folder / label / f"{i}.png", color=(i * 100, 0, 0))
    write_text(base / "train" / "positive" / "README.txt", "not an image")


FLICKR8K_HTML = """<html><head><title>Flickr 8k</title></head><body>
<h1>Captions</h1>
<table>
<tr><td><a href="http://www.flickr.com/photos/a/1000268201/">http://www.flickr.com/photos/a/1000268201/</a></td>
<td><ul>
<li>A child in a pink dress .</li>
<li>A girl going into a wooden building .</li>
</ul></td></tr>
<tr><td>Image Not Found</td><td><ul><li>An orphan caption .</li></ul></td></tr>
<tr><td><a href="http://www.flickr.com/photos/b/1001773457/">http://www.flickr.com/photos/b/1001773457/</a></td>
<td><ul><li>A black dog and a spotted dog are fighting</li></ul></td></tr>
</table></body></html>
"""


def write_flickr(root):
    images = Path(root) / "images"
    write_image(images / "1000268201_693b08cb0e.jpg", color=(1, 2, 3))
    write_image(images / "1001773457_577c3a7d70.jpg", color=(4, 5, 6))
    write_image(images / "10002456.jpg", color=(7, 8, 9))
    html = write_text(Path(root) / "Flickr8k.html", FLICKR8K_HTML)
    tokens = write_text(
        Path(root) / "results_20130124.token",
        "1001773457_577c3a7d70.jpg#0\tTwo dogs .\n10002456.jpg#0\tSeveral men .\n"
        "1001773457_577c3a7d70.jpg#1\tDogs playing .\n",
    )
    return images, html, tokens


SBU_URLS = [
    "http://static.flickr.com/2723/4385058960_b0f291553e.jpg",
    "http://static.flickr.com/3/missing.jpg",
    "http://static.flickr.com/1/10000_aa.jpg",
]


def write_sbu(root):
    """The tarball and, extracted, the URL and caption lists and two of the three photos;
    returns the tarball's md5."""
    dataset = Path(root) / "dataset"
    write_text(dataset / "SBU_captioned_photo_dataset_urls.txt", "\n".join(SBU_URLS) + "\n")
    write_text(
        dataset / "SBU_captioned_photo_dataset_captions.txt",
        "Man on a bench\nNot downloaded\nA red boat \n",
    )
    write_image(dataset / "4385058960_b0f291553e.jpg")
    write_image(dataset / "10000_aa.jpg", color=(255, 0, 0))
    return write_tar(Path(root) / "SBUCaptionedPhotoDataset.tar.gz", {"dataset/README": b"."})


def write_clevr(root):
    data = Path(root) / "clevr" / "CLEVR_v1.0"
    for split, n in (("train", 3), ("val", 1), ("test", 2)):
        for i in range(n):
            write_image(data / "images" / split / f"CLEVR_{split}_{i:06d}.png", color=(i, 0, 0))
    counts = {"train": [2, 5, 1], "val": [3]}
    for split, objects in counts.items():
        scenes = [
            {"image_index": i, "image_filename": f"CLEVR_{split}_{i:06d}.png", "objects": [{}] * n}
            for i, n in reversed(list(enumerate(objects)))
        ]
        write_text(data / "scenes" / f"CLEVR_{split}_scenes.json", json.dumps({"scenes": scenes}))


# ------------------------------------------------------------------------- .mat file datasets


@needs_scipy
def test_svhn(tmp_path, monkeypatch):
    x, md5 = write_svhn(tmp_path)
    url, name, _ = SVHN.split_list["train"]
    monkeypatch.setitem(SVHN.split_list, "train", [url, name, md5])
    ds = SVHN(tmp_path, target_transform=lambda t: t + 100)
    assert len(ds) == 3 and ds.data.shape == (3, 3, 32, 32) and ds.labels.dtype == np.int64
    img, target = ds[0]
    assert img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), x[..., 0])
    assert target == 100  # the label 10 is the digit 0
    assert [SVHN(tmp_path)[i][1] for i in range(3)] == [0, 3, 7]
    assert "Split: train" in repr(ds)
    with pytest.raises(ValueError, match="split"):
        SVHN(tmp_path, split="valid")


@needs_scipy
def test_svhn_missing_corrupt_and_offline(tmp_path, monkeypatch, offline):
    with pytest.raises(RuntimeError, match=re.escape("test_32x32.mat")) as info:
        SVHN(tmp_path, split="test")
    assert "eb5a983be6a315427106f1b164d9cef3" in str(info.value) and offline == []
    check_offline(
        offline,
        lambda: SVHN(tmp_path, split="extra", download=True),
        "extra_32x32.mat",
        "http://ufldl.stanford.edu/housenumbers/extra_32x32.mat",
        str(tmp_path),
    )
    write_svhn(tmp_path)
    with pytest.raises(RuntimeError, match="corrupted"):  # md5 differs from the real file's
        SVHN(tmp_path)
    path = tmp_path / "train_32x32.mat"
    path.write_bytes(path.read_bytes()[:200])
    url, name, _ = SVHN.split_list["train"]
    monkeypatch.setitem(SVHN.split_list, "train", [url, name, calculate_md5(path)])
    with pytest.raises(ValueError, match=re.escape("train_32x32.mat")):
        SVHN(tmp_path)


def test_mat_and_h5_datasets_without_scipy_or_h5py(tmp_path, monkeypatch):
    # Whether or not scipy and h5py are installed: a module set to None fails to import.
    path = write_text(tmp_path / "train_32x32.mat", "not read")
    url, name, _ = SVHN.split_list["train"]
    monkeypatch.setitem(SVHN.split_list, "train", [url, name, calculate_md5(path)])
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(RuntimeError, match=re.escape("pip install scipy")):
        SVHN(tmp_path)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(RuntimeError, match=re.escape("pip install h5py")):
        PCAM(tmp_path)


@needs_scipy
def test_flowers102(tmp_path, monkeypatch):
    md5 = write_flowers102(tmp_path)
    for key in ("label", "setid"):
        monkeypatch.setitem(Flowers102._file_dict, key, (Flowers102._file_dict[key][0], md5[key]))
    ds = Flowers102(tmp_path)
    assert len(ds) == 2 and "split=train" in repr(ds)
    img, target = ds[1]  # image 4, class 3
    assert img.mode == "RGB" and target == 2 and np.asarray(img)[0, 0, 0] > 60
    test = Flowers102(tmp_path, split="test", transform=lambda i: i.size)
    assert [test[i] for i in range(2)] == [((8, 6), 101), ((8, 6), 1)]
    assert [Flowers102(tmp_path, split="val")[i][1] for i in range(2)] == [1, 0]
    assert len(Flowers102.classes) == 102 and Flowers102.classes[101] == "blackberry lily"


@needs_scipy
def test_flowers102_missing_and_offline(tmp_path, offline):
    write_flowers102(tmp_path)
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted") as info:
        Flowers102(tmp_path)  # the .mat files' md5s are not the published ones
    for name in (
        "102flowers.tgz",
        "imagelabels.mat",
        "setid.mat",
        "a5357ecc9cb78c4bef273ce3793fc85c",
    ):
        assert name in str(info.value)
    check_offline(offline, lambda: Flowers102(tmp_path, download=True), "102flowers.tgz")


@needs_scipy
def test_stanford_cars(tmp_path):
    write_stanford_cars(tmp_path)
    ds = StanfordCars(tmp_path)
    assert ds.classes == ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Audi R8 2012"]
    assert ds.class_to_idx["Audi R8 2012"] == 2
    assert len(ds) == 2 and [ds[i][1] for i in range(2)] == [2, 0]
    assert all(type(ds[i][1]) is int for i in range(2))
    assert ds[1][0].mode == "RGB"
    test = StanfordCars(tmp_path, split="test", target_transform=str)
    assert len(test) == 2 and [test[i][1] for i in range(2)] == ["1", "2"]
    one = [(1, 1, 4, 4, np.uint8(1), "00002.jpg")]  # a single record squeezes to 0-d
    annotations = tmp_path / "stanford_cars" / "cars_test_annos_withlabels.mat"
    savemat(annotations, {"annotations": struct_array(CAR_FIELDS, one)})
    assert [s[1] for s in StanfordCars(tmp_path, split="test")] == [0]


@needs_scipy
def test_stanford_cars_missing_and_download(tmp_path):
    with pytest.raises(ValueError, match="cannot be downloaded anymore"):
        StanfordCars(tmp_path, download=True)
    with pytest.raises(RuntimeError, match="Dataset not found") as info:
        StanfordCars(tmp_path, split="test")
    assert "cars_test_annos_withlabels.mat" in str(info.value)
    write_stanford_cars(tmp_path)
    (tmp_path / "stanford_cars" / "devkit" / "cars_meta.mat").write_bytes(b"MATLAB garbage")
    with pytest.raises(ValueError, match=re.escape("cars_meta.mat")):
        StanfordCars(tmp_path)


def patch_imagenet_md5(monkeypatch, module, md5):
    for key, value in md5.items():
        monkeypatch.setitem(module.ARCHIVE_META, key, (module.ARCHIVE_META[key][0], value))


@needs_scipy
def test_imagenet_parses_the_archives_once(tmp_path, monkeypatch):
    patch_imagenet_md5(monkeypatch, imagenet_module, write_imagenet(tmp_path))
    val = ImageNet(tmp_path, split="val")
    # meta.bin: leaf synsets only, and the wnid of each validation image
    wnid_to_classes, val_wnids = ember.load(tmp_path / "meta.bin")
    assert wnid_to_classes == {
        "n01440764": ("tench", "Tinca tinca"),
        "n01443537": ("goldfish", "Carassius auratus"),
    }
    assert val_wnids == ["n01443537", "n01440764", "n01443537"]
    assert imagenet_module.load_meta_file(tmp_path) == (wnid_to_classes, val_wnids)

    assert val.wnids == ["n01440764", "n01443537"] and val.wnid_to_idx["n01443537"] == 1
    assert val.classes == [("tench", "Tinca tinca"), ("goldfish", "Carassius auratus")]
    assert val.class_to_idx == {"tench": 0, "Tinca tinca": 0, "goldfish": 1, "Carassius auratus": 1}
    assert val.root == str(tmp_path) and "Split: val" in repr(val)
    assert sorted(os.listdir(tmp_path / "val" / "n01443537")) == [
        "ILSVRC2012_val_00000001.JPEG",
        "ILSVRC2012_val_00000003.JPEG",
    ]
    assert val.targets == [0, 1, 1] and val[0][0].mode == "RGB"

    train = ImageNet(tmp_path, transform=lambda i: i.size)
    assert len(train) == 3 and train.targets == [0, 0, 1] and train[2] == ((8, 6), 1)
    assert sorted(os.listdir(tmp_path / "train")) == ["n01440764", "n01443537"]  # class tars gone

    for archive in ("ILSVRC2012_devkit_t12.tar.gz", "ILSVRC2012_img_train.tar"):
        (tmp_path / archive).unlink()
    assert len(ImageNet(tmp_path)) == 3  # later uses need neither archive


@needs_scipy
def test_imagenet_missing_archives_and_foreign_meta_file(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match=re.escape("ILSVRC2012_devkit_t12.tar.gz")) as info:
        ImageNet(tmp_path)
    assert "download it externally and place it in" in str(info.value)
    md5 = write_imagenet(tmp_path)
    patch_imagenet_md5(monkeypatch, imagenet_module, md5)
    (tmp_path / "ILSVRC2012_img_val.tar").unlink()
    with pytest.raises(RuntimeError, match=re.escape("ILSVRC2012_img_val.tar")):
        ImageNet(tmp_path, split="val")
    assert (tmp_path / "meta.bin").is_file()

    (tmp_path / "meta.bin").write_bytes(b"PK\x03\x04 a torch.save zip")
    with pytest.raises(RuntimeError, match="written by torchvision") as info:
        ImageNet(tmp_path)
    assert "meta.bin" in str(info.value)
    with pytest.raises(RuntimeError, match="is not present"):
        imagenet_module.load_meta_file(tmp_path, "other.bin")


# ------------------------------------------------------------------------------- .h5 (PCAM)


@needs_h5py
def test_pcam(tmp_path):
    x = write_pcam(tmp_path, split="val")
    ds = PCAM(tmp_path, split="val", target_transform=lambda t: -t)
    assert len(ds) == 3
    img, target = ds[2]
    assert img.mode == "RGB" and target == -1
    np.testing.assert_array_equal(np.asarray(img), x[2])
    assert ds[1][1] == 0
    with pytest.raises(RuntimeError, match=re.escape("camelyonpatch_level_2_split_train_x.h5")):
        PCAM(tmp_path)


@needs_h5py
def test_pcam_download_fails_at_once(tmp_path, offline):
    with pytest.raises(RuntimeError, match="Google Drive") as info:
        PCAM(tmp_path, split="test", download=True)
    assert "camelyonpatch_level_2_split_test_y.h5" in str(info.value) and offline == []


# ---------------------------------------------------------------- lists and folders of images


def test_fgvc_aircraft(tmp_path):
    write_fgvc_aircraft(tmp_path)
    ds = FGVCAircraft(tmp_path)
    assert ds.classes == ["707-320", "Boeing 737-700", "A300B4"]
    assert len(ds) == 2 and [ds[i][1] for i in range(2)] == [1, 2]
    assert ds[1][0].mode == "RGB" and np.asarray(ds[1][0])[0, 0, 0] > 60
    family = FGVCAircraft(tmp_path, split="test", annotation_level="family")
    assert len(family) == 1 and family[0][1] == 1
    maker = FGVCAircraft(tmp_path, annotation_level="manufacturer")
    assert maker.class_to_idx == {"Airbus": 0, "Boeing": 1} and maker[1][1] == 0
    with pytest.raises(ValueError, match="annotation_level"):
        FGVCAircraft(tmp_path, annotation_level="model")
    with pytest.raises(ValueError, match="split"):
        FGVCAircraft(tmp_path, split="valid")
    data = tmp_path / "fgvc-aircraft-2013b" / "data"
    write_text(data / "images_variant_val.txt", "1025794 747-400\n")
    with pytest.raises(ValueError, match=re.escape("images_variant_val.txt, line 1")):
        FGVCAircraft(tmp_path, split="val")


def test_country211(tmp_path):
    write_country211(tmp_path)
    ds = Country211(tmp_path)
    assert ds.classes == ["AD", "AE"] and len(ds) == 2 and ds[1][1] == 1
    assert ds.root == str(tmp_path)
    assert len(Country211(str(tmp_path), split="valid")) == 1
    assert Country211(tmp_path, split="test").classes == ["ZW"]
    with pytest.raises(ValueError, match="split"):
        Country211(tmp_path, split="val")


def test_sun397(tmp_path):
    write_sun397(tmp_path)
    ds = SUN397(tmp_path)
    assert ds.classes == SUN_CLASSES and ds.class_to_idx["bedroom"] == 2
    assert len(ds) == 4
    names = [os.path.basename(path) for path, _ in ds._samples]
    assert names == ["sun_a.jpg", "sun_b.jpg", "sun_c.jpg", "sun_d.jpg"]
    assert [ds[i][1] for i in range(4)] == [0, 0, 1, 2]
    assert ds[0][0].getpixel((0, 0))[0] > 150
    write_image(tmp_path / "SUN397" / "c" / "cave" / "sun_e.jpg")
    with pytest.raises(ValueError, match=re.escape("sun_e.jpg")):
        SUN397(tmp_path)


def patch_places365_md5(monkeypatch, cls, md5):
    categories = cls._CATEGORIES_META[0]
    monkeypatch.setattr(cls, "_CATEGORIES_META", (categories, md5[categories]))
    for split, (name, _) in list(cls._FILE_LIST_META.items()):
        if name in md5:
            monkeypatch.setitem(cls._FILE_LIST_META, split, (name, md5[name]))


def test_places365(tmp_path, monkeypatch):
    patch_places365_md5(monkeypatch, Places365, write_places365(tmp_path))
    ds = Places365(tmp_path, small=True)
    assert ds.classes == ["/a/airfield", "/a/alley", "/b/bedroom"]
    assert ds.class_to_idx["/b/bedroom"] == 2
    assert ds.targets == [0, 2] and len(ds) == 2
    assert ds.imgs[1][0] == os.path.join(
        str(tmp_path), "data_256_standard", "b", "bedroom", "00000002.jpg"
    )
    img, target = ds[1]
    assert img.mode == "RGB" and target == 2
    assert "Split: train-standard" in repr(ds) and "Small: True" in repr(ds)

    val = Places365(tmp_path, split="val", small=True, target_transform=lambda t: t * 10)
    assert val[0][1] == 10 and val[0][0].getpixel((0, 0))[2] > 200
    test = Places365(tmp_path, split="test", small=True)
    assert test.targets == [None] and test[0][1] is None
    with pytest.raises(ValueError, match="split"):
        Places365(tmp_path, split="train")
    with pytest.raises(
        RuntimeError, match=re.escape("places365_train_challenge.txt does not exist")
    ):
        Places365(tmp_path, split="train-challenge")
    both = Places365(tmp_path, split="val", small=True, transform=lambda i: i.size)
    assert both[1] == ((8, 6), 0)


def test_places365_offline(tmp_path, monkeypatch, offline):
    check_offline(
        offline,
        lambda: Places365(tmp_path, split="val", download=True),
        "filelist_places365-standard.tar",
        "35a0585fee1fa656440f3ab298f8479c",
    )
    patch_places365_md5(monkeypatch, Places365, write_places365(tmp_path))
    check_offline(
        offline,
        lambda: Places365(tmp_path, split="train-standard", download=True),
        "train_large_places365standard.tar",
        "data_large_standard",
    )


def test_inaturalist_2021(tmp_path):
    write_inaturalist(tmp_path)
    ds = INaturalist(tmp_path, version="2021_valid")
    assert len(ds) == 4 and ds.all_categories == INAT_2021
    img, target = ds[2]
    assert img.mode == "L" and target == 1  # the image as stored
    multi = INaturalist(tmp_path, "2021_valid", target_type=["kingdom", "class", "genus", "full"])
    assert [multi[i][1] for i in range(4)] == [
        (0, 0, 0, 0),
        (0, 1, 1, 1),
        (0, 1, 1, 1),
        (1, 2, 2, 2),
    ]
    assert multi.category_name("kingdom", 1) == "Plantae"
    assert multi.category_name("full", 0) == INAT_2021[0]
    with pytest.raises(ValueError, match="Invalid category id 5 for order"):
        multi.category_name("order", 5)
    with pytest.raises(ValueError, match="Invalid category type 'super'"):
        multi.category_name("super", 0)
    with pytest.raises(ValueError, match="target_type"):
        INaturalist(tmp_path, "2021_valid", target_type="super")
    loaded = INaturalist(tmp_path, "2021_valid", loader=lambda p: os.path.basename(p))
    assert loaded[3][0] == "20.jpg"


def test_inaturalist_pre2021_and_errors(tmp_path):
    write_inaturalist(tmp_path)
    ds = INaturalist(tmp_path, version="2019", target_type=["full", "super"])
    assert ds.all_categories == [
        os.path.join("Birds", "0"),
        os.path.join("Plants", "1"),
        os.path.join("Birds", "2"),
    ]
    assert [ds[i][1] for i in range(3)] == [(0, 0), (1, 1), (2, 0)]
    assert ds.categories_index == {"super": {"Birds": 0, "Plants": 1}}
    (tmp_path / "2019" / "Plants" / "1").rename(tmp_path / "2019" / "Plants" / "4")
    with pytest.raises(RuntimeError, match="Missing category 1"):
        INaturalist(tmp_path, version="2019")
    (tmp_path / "2021_valid" / "00003_bad").mkdir()
    with pytest.raises(RuntimeError, match="wrong number of pieces"):
        INaturalist(tmp_path, version="2021_valid")
    with pytest.raises(RuntimeError, match="Dataset not found"):
        INaturalist(tmp_path, version="2018")
    with pytest.raises(ValueError, match="version"):
        INaturalist(tmp_path, version="2020")


@pytest.mark.parametrize("kind", ["fer", "icml", "split"])
def test_fer2013(tmp_path, monkeypatch, kind):
    md5, _, images = write_fer2013(tmp_path, kind)
    for key, (name, _) in list(FER2013._RESOURCES.items()):
        if name in md5:
            monkeypatch.setitem(FER2013._RESOURCES, key, (name, md5[name]))
    train = FER2013(tmp_path)
    assert len(train) == 2 and "split=train" in repr(train)
    img, target = train[1]
    assert img.mode == "L" and img.size == (48, 48) and target == 6
    np.testing.assert_array_equal(np.asarray(img), images[2])
    test = FER2013(tmp_path, split="test", transform=np.asarray)
    assert len(test) == 2
    np.testing.assert_array_equal(test[1][0], images[3])
    # only train.csv/test.csv lack the test labels
    assert [test[i][1] for i in range(2)] == ([None, None] if kind == "split" else [0, 2])


def test_fer2013_missing_and_corrupt(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match=re.escape("train.csv not found in")) as info:
        FER2013(tmp_path)
    assert "kaggle.com" in str(info.value)
    write_fer2013(tmp_path, "fer")
    with pytest.raises(RuntimeError, match=r"fer2013\.csv not found in .* or corrupted"):
        FER2013(tmp_path)  # md5 is not the published file's
    path = write_text(
        tmp_path / "fer2013" / "fer2013.csv", "emotion,pixels,Usage\n1,1 2 3,Training\n"
    )
    monkeypatch.setitem(FER2013._RESOURCES, "fer", ("fer2013.csv", calculate_md5(path)))
    with pytest.raises(ValueError, match=re.escape("fer2013.csv")):
        FER2013(tmp_path)


def patch_lfw_md5(monkeypatch, cls, md5):
    folder, name, _ = cls.file_dict["funneled"]
    monkeypatch.setitem(cls.file_dict, "funneled", (folder, name, md5[name]))
    for name in cls.checksums:
        if name in md5:
            monkeypatch.setitem(cls.checksums, name, md5[name])


def test_lfw_people(tmp_path, monkeypatch):
    patch_lfw_md5(monkeypatch, _LFW, write_lfw(tmp_path))
    ds = LFWPeople(tmp_path)
    assert ds.class_to_idx == {"Aaron_Eckhart": 0, "Abel_Pacheco": 1, "Zico": 2}
    assert ds.targets == [0, 1, 1, 2, 2, 2] and len(ds) == 6
    img, target = ds[4]
    assert img.mode == "RGB" and target == 2 and img.getpixel((0, 0))[1] > 90
    assert "Alignment: funneled" in repr(ds) and "Classes (identities): 3" in repr(ds)
    train = LFWPeople(tmp_path, split="train", target_transform=str)
    assert len(train) == 2 and train[1][1] == "1"
    assert train.data[1].endswith(
        os.path.join("lfw_funneled", "Abel_Pacheco", "Abel_Pacheco_0002.jpg")
    )


def test_lfw_pairs(tmp_path, monkeypatch):
    patch_lfw_md5(monkeypatch, _LFW, write_lfw(tmp_path))
    ds = LFWPairs(tmp_path, transform=lambda i: i.getpixel((0, 0)))
    assert ds.targets == [1, 0] and ds.pair_names == [
        ("Abel_Pacheco",) * 2,
        ("Aaron_Eckhart", "Zico"),
    ]
    img1, img2, target = ds[1]
    assert target == 0 and img1[0] < 40 and img2[0] > 120
    test = LFWPairs(tmp_path, split="test")
    assert test.targets == [1, 1, 0, 0] and len(test) == 4
    assert test.pair_names[3] == ("Zico", "Aaron_Eckhart")


def test_lfw_missing_download_and_malformed(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="no longer available for automatic download"):
        LFWPeople(tmp_path, download=True)
    with pytest.raises(RuntimeError, match="Dataset not found") as info:
        LFWPairs(tmp_path, image_set="deepfunneled")
    assert "lfw-deepfunneled.tgz" in str(info.value) and "pairs.txt" in str(info.value)
    with pytest.raises(ValueError, match="image_set"):
        LFWPeople(tmp_path, image_set="aligned")
    md5 = write_lfw(tmp_path)
    bad = write_text(tmp_path / "lfw-py" / "peopleDevTrain.txt", "1\nAbel_Pacheco\n")
    md5["peopleDevTrain.txt"] = calculate_md5(bad)
    patch_lfw_md5(monkeypatch, _LFW, md5)
    with pytest.raises(ValueError, match=re.escape("peopleDevTrain.txt is malformed")):
        LFWPeople(tmp_path, split="train")


def test_omniglot(tmp_path, monkeypatch, offline):
    md5 = write_omniglot(tmp_path)
    monkeypatch.setitem(Omniglot.zips_md5, "images_background", md5)
    with pytest.raises(FileNotFoundError):
        Omniglot(tmp_path)  # the zip is there but not extracted
    ds = Omniglot(tmp_path, download=True)  # extracts the verified zip, downloads nothing
    assert offline == []
    assert ds._characters == [
        os.path.join("Greek", "character01"),
        os.path.join("Greek", "character02"),
        os.path.join("Latin", "character01"),
    ]
    assert len(ds) == 6 and [ds[i][1] for i in range(6)] == [0, 0, 1, 1, 2, 2]
    img, _ = ds[3]
    assert img.mode == "L" and np.asarray(img).max() == 0  # (0 + 1 + 1) % 2
    assert np.asarray(ds[1][0]).min() == 255

    def stored_mode(path):
        with Image.open(path) as image:
            return image.mode

    raw = Omniglot(tmp_path, loader=stored_mode, target_transform=str)
    assert raw[0] == ("1", "0")


def test_omniglot_missing_and_offline(tmp_path, offline):
    with pytest.raises(RuntimeError, match=re.escape("images_evaluation.zip")):
        Omniglot(tmp_path, background=False)
    check_offline(
        offline,
        lambda: Omniglot(tmp_path, download=True),
        "images_background.zip",
        "68d2efa1b9178cc56df9314c21c6e718",
        os.path.join(str(tmp_path), "omniglot-py"),
    )


def test_moving_mnist(tmp_path):
    data = write_moving_mnist(tmp_path)
    ds = MovingMNIST(tmp_path)
    assert len(ds) == 3
    video = ds[1]
    assert isinstance(video, ember.Tensor) and video.dtype == ember.uint8
    assert tuple(video.shape) == (20, 1, 4, 4)
    np.testing.assert_array_equal(video.numpy()[:, 0], data[:, 1])
    train = MovingMNIST(tmp_path, split="train", split_ratio=5)
    np.testing.assert_array_equal(train[2].numpy()[:, 0], data[:5, 2])
    test = MovingMNIST(tmp_path, split="test", split_ratio=5, transform=lambda v: v.shape[0])
    assert test[0] == 15
    with pytest.raises(TypeError, match="split_ratio"):
        MovingMNIST(tmp_path, split_ratio=5.0)
    with pytest.raises(ValueError, match="split_ratio"):
        MovingMNIST(tmp_path, split_ratio=20)
    with pytest.raises(ValueError, match="split"):
        MovingMNIST(tmp_path, split="val")


def test_moving_mnist_missing_corrupt_and_offline(tmp_path, offline):
    with pytest.raises(RuntimeError, match=re.escape("mnist_test_seq.npy")):
        MovingMNIST(tmp_path)
    check_offline(
        offline,
        lambda: MovingMNIST(tmp_path, download=True),
        "mnist_test_seq.npy",
        "be083ec986bfe91a449d63653c411eb2",
        os.path.join(str(tmp_path), "MovingMNIST"),
    )
    write_text(tmp_path / "MovingMNIST" / "mnist_test_seq.npy", "not numpy")
    with pytest.raises(ValueError, match=re.escape("mnist_test_seq.npy")):
        MovingMNIST(tmp_path)


def test_rendered_sst2(tmp_path):
    write_rendered_sst2(tmp_path)
    ds = RenderedSST2(tmp_path)
    assert ds.classes == ["negative", "positive"] and len(ds) == 3
    assert [ds[i][1] for i in range(3)] == [0, 1, 1] and ds[2][0].mode == "RGB"
    assert len(RenderedSST2(tmp_path, split="val")) == 2 and "split=train" in repr(ds)
    with pytest.raises(FileNotFoundError, match="positive"):
        RenderedSST2(tmp_path, split="test")  # an empty class folder


def test_flickr(tmp_path):
    images, html, tokens = write_flickr(tmp_path)
    ds = Flickr8k(images, html)
    assert len(ds) == 2
    img, captions = ds[0]
    assert img.mode == "RGB"
    assert captions == ["A child in a pink dress .", "A girl going into a wooden building ."]
    assert ds[1][1] == ["A black dog and a spotted dog are fighting"]
    assert ds.ids[1] == os.path.join(str(images), "1001773457_577c3a7d70.jpg")

    ds = Flickr30k(str(images), str(tokens), target_transform=len)
    assert ds.ids == ["10002456.jpg", "1001773457_577c3a7d70.jpg"]
    assert ds[1][1] == 2 and ds[0][0].mode == "RGB"
    assert ds.annotations["1001773457_577c3a7d70.jpg"] == ["Two dogs .", "Dogs playing ."]

    (images / "1000268201_693b08cb0e.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="1000268201"):
        Flickr8k(images, html)
    bad = write_text(tmp_path / "bad.token", "10002456.jpg#0 no tab\n")
    with pytest.raises(ValueError, match=re.escape("bad.token, line 1")):
        Flickr30k(images, bad)


def test_sbu(tmp_path, monkeypatch, offline):
    monkeypatch.setattr(SBU, "md5_checksum", write_sbu(tmp_path))
    ds = SBU(tmp_path)  # download=True by default: the verified tarball is used as is
    assert offline == []
    assert ds.photos == ["4385058960_b0f291553e.jpg", "10000_aa.jpg"]
    assert ds.captions == ["Man on a bench", "A red boat"]
    img, caption = ds[1]
    assert img.getpixel((0, 0))[0] > 200 and caption == "A red boat"
    assert len(SBU(tmp_path, target_transform=str.upper)) == 2


def test_sbu_offline(tmp_path, offline):
    check_offline(offline, lambda: SBU(tmp_path), "SBUCaptionedPhotoDataset.tar.gz", str(tmp_path))


def test_clevr(tmp_path):
    write_clevr(tmp_path)
    ds = CLEVRClassification(tmp_path)
    assert len(ds) == 3 and [ds[i][1] for i in range(3)] == [2, 5, 1]
    assert ds[1][0].mode == "RGB" and "split=train" in repr(ds)
    assert CLEVRClassification(tmp_path, split="val")[0][1] == 3
    test = CLEVRClassification(tmp_path, split="test", transform=lambda i: i.size)
    assert [test[i] for i in range(2)] == [((8, 6), None)] * 2
    write_text(tmp_path / "clevr" / "CLEVR_v1.0" / "scenes" / "CLEVR_val_scenes.json", "{")
    with pytest.raises(ValueError, match=re.escape("CLEVR_val_scenes.json")):
        CLEVRClassification(tmp_path, split="val")


@pytest.mark.parametrize(
    "make, names",
    [
        (lambda root: FGVCAircraft(root, download=True), ["fgvc-aircraft-2013b.tar.gz"]),
        (lambda root: Country211(root, download=True), ["country211.tgz", "84988d76"]),
        (lambda root: SUN397(root, download=True), ["SUN397.tar.gz", "8ca2778205c41d23"]),
        (
            lambda root: INaturalist(root, version="2021_train_mini", download=True),
            ["2021_train_mini.tgz", "train_mini.tar.gz", "db6ed8330e634445efc8fec83ae81442"],
        ),
        (lambda root: RenderedSST2(root, split="test", download=True), ["rendered-sst2.tgz"]),
        (lambda root: CLEVRClassification(root, download=True), ["CLEVR_v1.0.zip", "clevr"]),
        (lambda root: SVHN(root, download=True), ["train_32x32.mat"]),
    ],
)
def test_archive_datasets_offline(tmp_path, offline, make, names):
    message = check_offline(offline, lambda: make(tmp_path), *names)
    assert "Error downloading" in message and str(tmp_path) in message


@pytest.mark.parametrize(
    "make, name",
    [
        (FGVCAircraft, "fgvc-aircraft-2013b"),
        (Country211, "country211.tgz"),
        (SUN397, "SUN397"),
        (RenderedSST2, os.path.join("train", "negative")),
        (CLEVRClassification, "CLEVR_v1.0"),
        (SBU, "SBUCaptionedPhotoDataset.tar.gz"),
    ],
)
def test_missing_datasets_fail_naming_their_files(tmp_path, offline, make, name):
    with pytest.raises(RuntimeError, match="Dataset not found") as info:
        make(tmp_path, download=False)
    assert name in str(info.value) and offline == []
