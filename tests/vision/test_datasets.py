"""embervision.datasets: tiny files in the real on-disk formats, plus the MNIST copy shipped in data/."""

import gzip
import hashlib
import os
import pickle
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from embervision.datasets import (
    CIFAR10,
    CIFAR100,
    EMNIST,
    KMNIST,
    MNIST,
    DatasetFolder,
    FakeData,
    FashionMNIST,
    ImageFolder,
    VisionDataset,
)
from embervision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset
from embervision.datasets.mnist import read_sn3_pascalvincent_tensor
from embervision.datasets.utils import (
    calculate_md5,
    check_integrity,
    extract_archive,
    verify_str_arg,
)

DATA = Path(__file__).resolve().parents[2] / "data"

MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


# ------------------------------------------------------------------ writers of the real formats

IDX_CODES = {"uint8": 8, "int8": 9, "int16": 11, "int32": 12, "float32": 13, "float64": 14}


def idx_bytes(array):
    """An IDX file by the spec: 0, 0, type code, ndim; big-endian uint32 dims; big-endian data."""
    header = bytes([0, 0, IDX_CODES[array.dtype.name], array.ndim])
    dims = np.array(array.shape, dtype=">u4").tobytes()
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def write_mnist(root, gz=False, n_train=5, n_test=3, folder="MNIST", seed=0):
    """Write the four MNIST files; return {split prefix: (images, labels)}."""
    rng = np.random.default_rng(seed)
    raw = Path(root) / folder / "raw"
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        write(raw / f"{prefix}-images-idx3-ubyte", idx_bytes(images), gz)
        write(raw / f"{prefix}-labels-idx1-ubyte", idx_bytes(labels), gz)
        arrays[prefix] = (images, labels)
    return arrays


# ------------------------------------------------------------------------------------- MNIST


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_mnist_reads_idx_files(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    for train, prefix in ((True, "train"), (False, "t10k")):
        images, labels = arrays[prefix]
        ds = MNIST(tmp_path, train=train)
        assert len(ds) == len(images)
        assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == images.shape
        assert ds.targets.dtype == ember.int64 and tuple(ds.targets.shape) == labels.shape
        np.testing.assert_array_equal(ds.data.numpy(), images)
        np.testing.assert_array_equal(ds.targets.numpy(), labels)
        img, target = ds[1]
        assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(img), images[1])
        assert type(target) is int and target == labels[1]


def test_mnist_prefers_the_plain_file_over_gz(tmp_path):
    write_mnist(tmp_path, gz=True, seed=1)
    plain = write_mnist(tmp_path, gz=False, seed=2)
    np.testing.assert_array_equal(MNIST(tmp_path).data.numpy(), plain["train"][0])


def test_mnist_classes_repr_and_transforms(tmp_path):
    images, labels = write_mnist(tmp_path)["train"]
    ds = MNIST(str(tmp_path))
    assert ds.classes[0] == "0 - zero" and ds.classes[9] == "9 - nine"
    assert ds.class_to_idx["3 - three"] == 3
    assert ds.raw_folder == os.path.join(str(tmp_path), "MNIST", "raw")
    assert repr(ds) == (
        f"Dataset MNIST\n    Number of datapoints: 5\n    Root location: {tmp_path}\n"
        "    Split: Train"
    )

    class Invert:
        def __call__(self, img):
            return 255 - np.asarray(img)

        def __repr__(self):
            return "Invert()"

    ds = MNIST(tmp_path, transform=Invert(), target_transform=lambda t: t + 100)
    img, target = ds[2]
    np.testing.assert_array_equal(img, 255 - images[2])
    assert target == labels[2] + 100
    # torchvision indents only the first line of the transforms' repr; so does Ember.
    assert repr(ds).endswith(
        "    Split: Train\n    StandardTransform\nTransform: Invert()\nTarget transform: "
        f"{ds.target_transform!r}"
    )

    both = VisionDataset(tmp_path, transforms=lambda x, y: (y, x))
    assert both.transforms(1, 2) == (2, 1)
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        VisionDataset(tmp_path, transforms=lambda x, y: (x, y), transform=Invert())


def test_mnist_variants_use_their_own_folder(tmp_path):
    write_mnist(tmp_path, folder="FashionMNIST")
    write_mnist(tmp_path, folder="KMNIST", gz=True)
    assert FashionMNIST(tmp_path).classes[9] == "Ankle boot"
    assert KMNIST(tmp_path, train=False).classes[:2] == ["o", "ki"]
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(tmp_path)


def test_emnist_split_files_and_classes(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "EMNIST" / "raw"
    images = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    labels = np.array([1, 26, 3, 4], dtype=np.uint8)
    write(raw / "emnist-letters-test-images-idx3-ubyte", idx_bytes(images), gz=True)
    write(raw / "emnist-letters-test-labels-idx1-ubyte", idx_bytes(labels))

    ds = EMNIST(tmp_path, split="letters", train=False)
    assert ds.classes[0] == "N/A" and ds.classes[26] == "z" and len(ds.classes) == 27
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds[1][1] == 26
    assert len(EMNIST.classes_split_dict["byclass"]) == 62
    assert len(EMNIST.classes_split_dict["balanced"]) == 47

    with pytest.raises(RuntimeError, match="emnist-letters-train-images-idx3-ubyte"):
        EMNIST(tmp_path, split="letters")
    with pytest.raises(ValueError) as info:
        EMNIST(tmp_path, split="words")
    assert str(info.value) == (
        "Unknown value 'words' for argument split. Valid values are "
        "{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'}."
    )


def test_mnist_missing_files_message(tmp_path):
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path)
    message = str(info.value)
    assert message.startswith("Dataset not found. You can use download=True to download it")
    assert os.path.join(str(tmp_path), "MNIST", "raw") in message
    for name in MNIST_SHA256:
        assert name in message


def test_mnist_corrupt_files_are_named(tmp_path):
    write_mnist(tmp_path)
    images_file = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    good = images_file.read_bytes()

    images_file.write_bytes(good[:-100])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte is truncated or corrupt"):
        MNIST(tmp_path)

    images_file.write_bytes(good[:3] + b"\x08" + good[4:])  # ndim byte becomes 8: bad header
    with pytest.raises(ValueError, match="train-images-idx3-ubyte is truncated or corrupt"):
        MNIST(tmp_path)

    images_file.write_bytes(b"PK\x03\x04" + good[4:])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte is not an IDX file"):
        MNIST(tmp_path)

    images_file.unlink()
    gz_file = images_file.with_name("train-images-idx3-ubyte.gz")
    gz_file.write_bytes(gzip.compress(good)[:-30])  # truncated
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz is not a valid gzip"):
        MNIST(tmp_path)
    gz_file.unlink()

    labels_file = tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    images_file.write_bytes(good)
    labels_file.write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match=r"holds 5 images but .* holds 4 labels"):
        MNIST(tmp_path)

    labels_file.write_bytes(idx_bytes(np.zeros((5, 1), np.uint8)))
    with pytest.raises(ValueError, match="labels should have 1 dimensions instead of 2"):
        MNIST(tmp_path)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "float32", "float64"])
def test_idx_big_endian_types(tmp_path, dtype):
    expected = (np.arange(24).reshape(2, 3, 4) * 37 - 300).astype(dtype)
    path = write(tmp_path / "x-idx3", idx_bytes(expected))
    got = read_sn3_pascalvincent_tensor(path)
    assert got.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(got.numpy(), expected)


# ---------------------------------------------------------------------------------- downloads


def test_mnist_download_offline_fails_fast(tmp_path, offline):
    calls = offline
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, download=True)
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    raw = os.path.join(str(tmp_path), "MNIST", "raw")
    assert "Error downloading train-images-idx3-ubyte.gz" in message
    assert f"place these files in {raw}" in message
    for name in MNIST_SHA256:
        assert f"{name}.gz" in message
    # Each mirror tried once for the first file, then it stops; nothing half-written is left.
    assert calls == [mirror + "train-images-idx3-ubyte.gz" for mirror in MNIST.mirrors]
    assert os.listdir(raw) == []


def test_mnist_download_checks_md5_and_extracts(tmp_path, monkeypatch, serve_urls):
    source = tmp_path / "source"
    write_mnist(source, gz=True)
    payloads = {p.name: p.read_bytes() for p in (source / "MNIST" / "raw").iterdir()}
    resources = [(name, hashlib.md5(data).hexdigest()) for name, data in payloads.items()]
    monkeypatch.setattr(MNIST, "resources", resources)
    # The first mirror serves a corrupt copy of one file: the second mirror must be used.
    first, second = MNIST.mirrors
    files = {second + name: data for name, data in payloads.items()}
    files[first + "t10k-labels-idx1-ubyte.gz"] = b"corrupt"
    calls = serve_urls(files)

    root = tmp_path / "root"
    ds = MNIST(root, download=True)
    assert len(ds) == 5
    raw = root / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted([*payloads, *MNIST_SHA256])  # .gz kept, extracted

    requested = len(calls)  # already there: download=True must not touch the network
    assert len(MNIST(root, download=True, train=False)) == 3
    assert len(calls) == requested


def test_emnist_and_cifar_download_offline_messages(tmp_path, offline):
    with pytest.raises(RuntimeError) as info:
        EMNIST(tmp_path, split="digits", download=True)
    assert "emnist-digits-train-images-idx3-ubyte" in str(info.value)
    assert "gzip.zip" in str(info.value)

    with pytest.raises(RuntimeError) as info:
        CIFAR10(tmp_path, download=True)
    message = str(info.value)
    assert "Error downloading cifar-10-python.tar.gz" in message
    assert os.path.join(str(tmp_path), "cifar-10-batches-py") in message
    assert "data_batch_5" in message and "batches.meta" in message


# -------------------------------------------------------------------------------------- CIFAR

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer"]


def write_cifar(root, monkeypatch, cls=CIFAR10, per_batch=2, label_key="labels"):
    """Write fake batches and meta as protocol-4 pickles, and point cls's md5s at them."""
    rng = np.random.default_rng(0)
    folder = Path(root) / cls.base_folder
    folder.mkdir(parents=True)
    batches = {}
    for name, _ in cls.train_list + cls.test_list:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, len(CIFAR10_NAMES), size=per_batch)]
        entry = {"batch_label": name, label_key: labels, "data": data, "filenames": ["a", "b"]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=4))
        batches[name] = (data, labels)
    meta = {cls.meta["key"]: CIFAR10_NAMES, "num_vis": 3072}
    (folder / cls.meta["filename"]).write_bytes(pickle.dumps(meta, protocol=4))
    set_cifar_md5s(monkeypatch, cls, folder)
    return folder, batches


def set_cifar_md5s(monkeypatch, cls, folder):
    def md5s(entries):
        return [[name, calculate_md5(folder / name)] for name, _ in entries]

    monkeypatch.setattr(cls, "train_list", md5s(cls.train_list))
    monkeypatch.setattr(cls, "test_list", md5s(cls.test_list))
    meta = dict(cls.meta, md5=calculate_md5(folder / cls.meta["filename"]))
    monkeypatch.setattr(cls, "meta", meta)


def test_cifar10_layout(tmp_path, monkeypatch):
    _, batches = write_cifar(tmp_path, monkeypatch)
    ds = CIFAR10(tmp_path)
    rows = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    labels = [label for i in range(1, 6) for label in batches[f"data_batch_{i}"][1]]
    assert isinstance(ds.data, np.ndarray) and ds.data.dtype == np.uint8
    assert ds.data.shape == (10, 32, 32, 3)
    assert ds.targets == labels and isinstance(ds.targets, list)
    # Row layout: 1024 red, then 1024 green, then 1024 blue values, each 32x32 row-major.
    n, h, w, c = 7, 5, 30, 2
    assert ds.data[n, h, w, c] == rows[n, c * 1024 + h * 32 + w]
    assert ds.classes == CIFAR10_NAMES and ds.class_to_idx["cat"] == 3
    img, target = ds[7]
    assert img.mode == "RGB" and img.size == (32, 32) and target == labels[7]
    np.testing.assert_array_equal(np.asarray(img), ds.data[7])
    assert repr(ds).endswith("    Split: Train")

    test = CIFAR10(tmp_path, train=False, target_transform=lambda t: -t)
    assert len(test) == 2 and test[1][1] == -batches["test_batch"][1][1]


def test_cifar100_uses_fine_labels(tmp_path, monkeypatch):
    _, batches = write_cifar(
        tmp_path, monkeypatch, cls=CIFAR100, per_batch=3, label_key="fine_labels"
    )
    ds = CIFAR100(tmp_path, train=False)
    assert ds.targets == batches["test"][1]
    assert ds.data.shape == (3, 32, 32, 3) and ds.classes == CIFAR10_NAMES


class Py2Array:
    """Pickles like an array pickled by Python 2: the raw bytes travel as a (latin1) string."""

    def __init__(self, array):
        self.array = array

    def __reduce__(self):
        reconstruct, args, state = self.array.__reduce__()
        version, shape, dtype, fortran, raw = state
        return (
            reconstruct,
            (args[0], args[1], "b"),
            (version, shape, dtype, fortran, raw.decode("latin1")),
        )


def test_cifar_reads_python2_era_pickles(tmp_path, monkeypatch):
    folder, batches = write_cifar(tmp_path, monkeypatch)
    data, labels = batches["test_batch"]
    entry = {"batch_label": "testing batch 1 of 1", "labels": labels, "data": Py2Array(data)}
    (folder / "test_batch").write_bytes(pickle.dumps(entry, protocol=2))
    set_cifar_md5s(monkeypatch, CIFAR10, folder)
    np.testing.assert_array_equal(
        CIFAR10(tmp_path, train=False).data, data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    )


class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_cifar_refuses_malicious_pickle(tmp_path, monkeypatch):
    folder, _ = write_cifar(tmp_path, monkeypatch)
    marker = tmp_path / "pwned"
    payload = {"labels": [0, 1], "data": Exploit(marker)}
    (folder / "data_batch_3").write_bytes(pickle.dumps(payload, protocol=4))
    set_cifar_md5s(monkeypatch, CIFAR10, folder)  # checksums pass: the unpickler must refuse
    with pytest.raises(pickle.UnpicklingError, match=r"data_batch_3.*system.* is forbidden"):
        CIFAR10(tmp_path)
    assert not marker.exists()


def test_cifar_corrupt_and_missing_files(tmp_path, monkeypatch):
    folder, _ = write_cifar(tmp_path, monkeypatch)
    (folder / "data_batch_2").write_bytes(b"garbage")
    with pytest.raises(RuntimeError) as info:
        CIFAR10(tmp_path)
    message = str(info.value)
    assert message.startswith("Dataset not found or corrupted.")
    assert str(folder / "data_batch_2") in message and "cifar-10-python.tar.gz" in message

    bad = {"labels": [0, 1], "data": np.zeros((2, 100), np.uint8)}
    (folder / "data_batch_2").write_bytes(pickle.dumps(bad, protocol=4))
    set_cifar_md5s(monkeypatch, CIFAR10, folder)
    with pytest.raises(ValueError, match=r"data_batch_2 is corrupt: 'data' has shape \(2, 100\)"):
        CIFAR10(tmp_path)

    (folder / "batches.meta").unlink()
    with pytest.raises(RuntimeError, match="metadata file not found or corrupted"):
        CIFAR10(tmp_path, train=False)

    (folder / "data_batch_2").unlink()
    with pytest.raises(RuntimeError, match="data_batch_2"):
        CIFAR10(tmp_path)


# ------------------------------------------------------------------------------ image folders


def write_image(path, color, fmt=None, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (4, 3), color).save(path, format=fmt)


def make_tree(root):
    write_image(root / "cat" / "b.jpg", (200, 10, 10))
    write_image(root / "cat" / "a.png", 77, mode="L")
    write_image(root / "cat" / "sub" / "c.png", (0, 255, 0))
    write_image(root / "dog" / "x.PNG", (1, 2, 3), fmt="PNG")
    (root / "cat" / "notes.txt").write_text("not an image")


def test_image_folder(tmp_path):
    make_tree(tmp_path)
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    expected = [
        (os.path.join(tmp_path, "cat", "a.png"), 0),
        (os.path.join(tmp_path, "cat", "b.jpg"), 0),
        (os.path.join(tmp_path, "cat", "sub", "c.png"), 0),
        (os.path.join(tmp_path, "dog", "x.PNG"), 1),
    ]
    assert ds.samples == expected and ds.imgs is ds.samples and ds.targets == [0, 0, 0, 1]
    img, target = ds[0]
    assert img.mode == "RGB" and img.size == (4, 3) and target == 0
    assert np.asarray(img)[0, 0].tolist() == [77, 77, 77]  # a grayscale PNG becomes RGB
    assert np.asarray(ds[3][0])[2, 3].tolist() == [1, 2, 3]
    assert ".webp" in IMG_EXTENSIONS and len(IMG_EXTENSIONS) == 9

    only_png = ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".png"), allow_empty=True)
    assert [os.path.basename(p) for p, _ in only_png.samples] == ["a.png", "c.png"]


def test_image_folder_empty_class(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError) as info:
        ImageFolder(tmp_path)
    assert str(info.value) == (
        "Found no valid file for the classes empty. Supported extensions are: "
        ".jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp"
    )
    ds = ImageFolder(tmp_path, allow_empty=True)
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "empty": 2} and len(ds) == 4

    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        find_classes(tmp_path / "empty")


def test_dataset_folder_custom_loader(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.txt").write_text("one")
    (tmp_path / "b" / "2.TXT").write_text("two")
    (tmp_path / "b" / "3.csv").write_text("three")
    ds = DatasetFolder(
        tmp_path, loader=lambda p: Path(p).read_text(), extensions=(".txt",), transform=str.upper
    )
    assert [ds[i] for i in range(len(ds))] == [("ONE", 0), ("TWO", 1)]
    assert make_dataset(tmp_path, extensions=".csv", allow_empty=True) == [
        (os.path.join(tmp_path, "b", "3.csv"), 1)
    ]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        DatasetFolder(tmp_path, loader=str, extensions=(".txt",), is_valid_file=bool)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        DatasetFolder(tmp_path, loader=str)


# ----------------------------------------------------------------------------------- FakeData


def test_fake_data_is_deterministic_per_index():
    state = ember.get_rng_state()
    ds = FakeData(size=4, image_size=(3, 6, 5), num_classes=3)
    img, target = ds[2]
    assert img.mode == "RGB" and img.size == (5, 6) and target in range(3)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(ds[2][0]))
    assert not np.array_equal(np.asarray(img), np.asarray(ds[3][0]))
    shifted = FakeData(size=4, image_size=(3, 6, 5), num_classes=3, random_offset=1)
    np.testing.assert_array_equal(np.asarray(shifted[1][0]), np.asarray(img))
    assert shifted[1][1] == target
    assert ember.equal(ember.get_rng_state(), state)  # the global generator is untouched

    gray = FakeData(size=2, image_size=(1, 4, 4), transform=np.asarray, target_transform=str)
    pixels, label = gray[0]
    assert pixels.shape == (4, 4) and isinstance(label, str)
    assert len(gray) == 2
    assert repr(gray).startswith(
        "Dataset FakeData\n    Number of datapoints: 2\n"
        "    StandardTransform\nTransform: <built-in function asarray>"
    )
    with pytest.raises(IndexError, match="FakeData index out of range"):
        gray[2]


# -------------------------------------------------------------------------------------- utils


def test_utils(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"ember" * 1000)
    assert calculate_md5(path, chunk_size=7) == hashlib.md5(b"ember" * 1000).hexdigest()
    assert check_integrity(path) and check_integrity(path, calculate_md5(path))
    assert not check_integrity(path, "0" * 32) and not check_integrity(tmp_path / "missing")
    assert verify_str_arg("a", "mode", ("a", "b")) == "a"
    with pytest.raises(
        ValueError, match="Expected type str for argument mode, but got type <class 'int'>"
    ):
        verify_str_arg(1, "mode")

    with tarfile.open(tmp_path / "a.tar.gz", "w:gz") as tar:
        tar.add(path, arcname="inner/f.bin")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.write(path, "z/f.bin")
    (tmp_path / "g.bin.gz").write_bytes(gzip.compress(b"xyz"))
    out = tmp_path / "out"
    out.mkdir()
    for archive in ("a.tar.gz", "a.zip", "g.bin.gz"):
        extract_archive(tmp_path / archive, out)
    assert (out / "inner" / "f.bin").read_bytes() == path.read_bytes()
    assert (out / "z" / "f.bin").read_bytes() == path.read_bytes()
    assert (out / "g.bin").read_bytes() == b"xyz"

    with tarfile.open(tmp_path / "evil.tar", "w") as tar:
        tar.add(path, arcname="../escaped.bin")
    with pytest.raises(tarfile.TarError):
        extract_archive(tmp_path / "evil.tar", out)
    assert not (tmp_path / "escaped.bin").exists()


# ------------------------------------------------------------------- the MNIST shipped in data/


def test_shipped_mnist():
    raw = DATA / "MNIST" / "raw"
    for name, sha256 in MNIST_SHA256.items():
        assert (
            hashlib.sha256(gzip.decompress((raw / f"{name}.gz").read_bytes())).hexdigest() == sha256
        )

    train, test = MNIST(root=DATA), MNIST(root=DATA, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert tuple(train.data.shape) == (60000, 28, 28) and train.data.dtype == ember.uint8
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(train.targets.numpy()).tolist()[:2] == [5923, 6742]
    img, label = train[0]
    assert img.mode == "L" and label == 5 and np.asarray(img).max() == 255
