"""ember.load of the files torch.save writes, and ember.hub.load_state_dict_from_url.

The checkpoints are written here without torch, byte for byte in its formats: the pickle is
made by a pickler that writes torch's globals (``torch._utils._rebuild_tensor_v2``,
``torch.FloatStorage`` ...) for stand-in objects, with torch's persistent ids for storages, and
the storages' raw bytes go where torch puts them (zip records, or after the pickle in the
legacy stream). Nothing is registered in ``sys.modules``, so real torch may be importable.
"""

import hashlib
import io
import os
import pickle
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import hub

# torch's storage class for each dtype
_STORAGE = {
    "bool": "BoolStorage", "uint8": "ByteStorage", "int8": "CharStorage",
    "int16": "ShortStorage", "int32": "IntStorage", "int64": "LongStorage",
    "float16": "HalfStorage", "float32": "FloatStorage", "float64": "DoubleStorage",
    "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage",
}  # fmt: skip

_STAND_INS = {}


def torch_global(path):
    """A stand-in class that pickles as ``GLOBAL`` of ``path`` (``torch.float32``)."""
    if path not in _STAND_INS:
        module, name = path.rsplit(".", 1)
        _STAND_INS[path] = type(name, (), {"__module__": module, "__qualname__": name})
    return _STAND_INS[path]


class Storage:
    """A torch storage: a 1-D array saved under ``key``, from device ``location``."""

    def __init__(self, array, key, location="cpu", kind=None):
        self.array = np.ascontiguousarray(array).reshape(-1)
        self.key = key
        self.location = location
        self.kind = kind or _STORAGE[str(self.array.dtype)]


class Tensor:
    """Pickles as torch pickles a tensor: ``_rebuild_tensor_v2`` of its storage view."""

    def __init__(self, storage, offset, size, stride, requires_grad=False, metadata=None):
        self.args = (storage, offset, tuple(size), tuple(stride), requires_grad, OrderedDict())
        if metadata is not None:
            self.args += (metadata,)

    def __reduce_ex__(self, protocol):
        return torch_global("torch._utils._rebuild_tensor_v2"), self.args


class Parameter:
    def __init__(self, data, requires_grad=True, state=None):
        self.args = (data, requires_grad, OrderedDict())
        self.state = state

    def __reduce_ex__(self, protocol):
        if self.state is None:
            return torch_global("torch._utils._rebuild_parameter"), self.args
        return torch_global("torch._utils._rebuild_parameter_with_state"), (*self.args, self.state)


class Reduce:
    """Pickles as ``func(*args)``."""

    def __init__(self, func, args):
        self.value = (func, args)

    def __reduce_ex__(self, protocol):
        return self.value


def tensor(array, key, location="cpu", requires_grad=False):
    """A contiguous tensor with a storage of its own."""
    array = np.asarray(array)
    strides = tuple(s // array.itemsize for s in array.strides)
    return Tensor(Storage(array, key, location), 0, array.shape, strides, requires_grad)


class TorchPickler(pickle._Pickler):
    """Pickles with protocol 2, as torch.save does. The pure-Python pickler routes classes
    through ``save_global``, where the stand-ins are written without importing their module.

    ``legacy``: persistent ids of the pre-1.6 format (with a view-metadata field)."""

    def __init__(self, file, legacy=False):
        super().__init__(file, protocol=2)
        self.legacy = legacy
        self.storages = {}

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        self.storages[obj.key] = obj
        pid = ("storage", torch_global(f"torch.{obj.kind}"), obj.key, obj.location)
        return pid + ((obj.array.size, None) if self.legacy else (obj.array.size,))

    def save_global(self, obj, name=None):
        if _STAND_INS.get(f"{obj.__module__}.{obj.__qualname__}") is obj:
            self.write(pickle.GLOBAL + f"{obj.__module__}\n{obj.__qualname__}\n".encode())
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def _pickled(obj, legacy=False):
    stream = io.BytesIO()
    pickler = TorchPickler(stream, legacy)
    pickler.dump(obj)
    return stream.getvalue(), pickler.storages


def write_zip(f, obj, byteorder="little", name="archive", records=None):
    """torch.save's zip format: ``<name>/data.pkl``, ``<name>/data/<key>``, ``byteorder``..."""
    data, storages = _pickled(obj)
    order = "<" if byteorder == "little" else ">"
    with zipfile.ZipFile(f, "w") as archive:
        archive.writestr(f"{name}/data.pkl", data)
        archive.writestr(f"{name}/.format_version", "1")
        archive.writestr(f"{name}/byteorder", byteorder)
        for key, storage in storages.items():
            array = storage.array.astype(storage.array.dtype.newbyteorder(order))
            archive.writestr(f"{name}/data/{key}", array.tobytes())
        for record, content in (records or {}).items():
            archive.writestr(f"{name}/{record}", content)
        archive.writestr(f"{name}/version", "3\n")
        archive.writestr(f"{name}/.data/serialization_id", "0123456789")


def write_legacy(path, obj):
    """The pre-1.6 stream: magic number, version, system info, the object, the storage keys,
    then each storage as a little-endian int64 count and little-endian elements."""
    data, storages = _pickled(obj, legacy=True)
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}
    keys = sorted(storages)
    with open(path, "wb") as f:
        for value in (0x1950A86A20F9469CFC6C, 1001, sys_info):
            pickle.dump(value, f, protocol=2)
        f.write(data)
        pickle.dump(keys, f, protocol=2)
        for key in keys:
            array = storages[key].array
            f.write(array.size.to_bytes(8, "little"))
            f.write(array.astype(array.dtype.newbyteorder("<")).tobytes())


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.startswith("float"):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def _assert_tensor(actual, expected, dtype=None):
    assert isinstance(actual, ember.Tensor)
    assert str(actual.dtype) == f"ember.{dtype or expected.dtype}"
    assert actual.shape == expected.shape
    assert actual.numpy().tobytes() == np.ascontiguousarray(expected).tobytes()


# --------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    "dtype",
    ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
     "complex64", "complex128"],
)  # fmt: skip
@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_dtypes_and_values(tmp_path, dtype, byteorder):
    array = _sample(dtype, (3, 5))
    path = tmp_path / "t.pt"
    write_zip(path, {"x": tensor(array, "0"), "scalar": tensor(array[1, 2], "1")}, byteorder)
    loaded = ember.load(path)
    _assert_tensor(loaded["x"], array, dtype)
    _assert_tensor(loaded["scalar"], array[1, 2], dtype)
    assert loaded["x"].shape == (3, 5) and loaded["scalar"].shape == ()


def test_strided_views_of_one_storage(tmp_path):
    base = np.arange(24, dtype=np.float32)
    storage = Storage(base, "0")
    views = {
        "whole": Tensor(storage, 0, (4, 6), (6, 1)),
        "transpose": Tensor(storage, 0, (6, 4), (1, 6)),
        "row": Tensor(storage, 6, (6,), (1,)),
        "every_third": Tensor(storage, 1, (2, 3), (12, 3)),
        "expanded": Tensor(storage, 5, (3, 4), (0, 1)),
        "empty": Tensor(storage, 24, (0, 3), (3, 1)),
        "element": Tensor(storage, 23, (), ()),
    }
    path = tmp_path / "views.pt"
    write_zip(path, views)
    loaded = ember.load(path)
    grid = base.reshape(4, 6)
    _assert_tensor(loaded["whole"], grid)
    _assert_tensor(loaded["transpose"], grid.T)
    _assert_tensor(loaded["row"], grid[1])
    _assert_tensor(loaded["every_third"], np.array([[1, 4, 7], [13, 16, 19]], np.float32))
    _assert_tensor(loaded["expanded"], np.tile(np.arange(5, 9, dtype=np.float32), (3, 1)))
    _assert_tensor(loaded["empty"], np.zeros((0, 3), np.float32))
    _assert_tensor(loaded["element"], np.float32(23))
    assert all(t.is_contiguous() for t in loaded.values())
    # contiguous views share their storage's memory, as in torch; the others are copies
    whole, row, transpose = (loaded[k].numpy() for k in ("whole", "row", "transpose"))
    assert np.shares_memory(whole, row) and not np.shares_memory(whole, transpose)
    loaded["row"].add_(100)
    assert loaded["whole"][1, 0].item() == 106


def test_conjugate_and_negative_views(tmp_path):
    array = _sample("complex64", (2, 3))
    storage = Storage(array, "0")
    path = tmp_path / "bits.pt"
    write_zip(
        path,
        [
            Tensor(storage, 0, (2, 3), (3, 1), metadata={"conj": True}),
            Tensor(storage, 0, (2, 3), (3, 1), metadata={"neg": True}),
        ],
    )
    conj, neg = ember.load(path)
    _assert_tensor(conj, array.conj())
    _assert_tensor(neg, -array)


def test_containers_and_plain_values(tmp_path):
    state = OrderedDict([("fc.weight", tensor(np.ones((2, 2), np.float32), "0"))])
    obj = {
        "model": state,
        "optimizer": {
            "state": {0: {"step": tensor(np.float32(3), "1"), "exp_avg": tensor(np.zeros(2), "2")}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0], "nesterov": False}],
        },
        "epoch": 7,
        "name": "run",
        "nothing": None,
        "big": 2**70,
        "tags": {"a", "b"},
        "z": 1 + 2j,
        "raw": b"\x00\xffbytes",
        "mutable": bytearray(b"ab"),
        "nan": float("nan"),
        "dtype": torch_global("torch.float64"),
        "device": Reduce(torch_global("torch.device"), ("cpu",)),  # as torch.device pickles
        "size": Reduce(torch_global("torch.Size"), ((2, 3),)),
    }
    path = tmp_path / "ckpt.pt"
    write_zip(path, obj)
    loaded = ember.load(path)
    assert type(loaded["model"]) is OrderedDict and list(loaded["model"]) == ["fc.weight"]
    _assert_tensor(loaded["model"]["fc.weight"], np.ones((2, 2), np.float32))
    state0 = loaded["optimizer"]["state"][0]
    _assert_tensor(state0["step"], np.float32(3))
    _assert_tensor(state0["exp_avg"], np.zeros(2))
    assert loaded["optimizer"]["param_groups"] == obj["optimizer"]["param_groups"]
    for key in ("epoch", "name", "nothing", "big", "tags", "z", "raw", "mutable"):
        assert loaded[key] == obj[key] and type(loaded[key]) is type(obj[key]), key
    assert np.isnan(loaded["nan"])
    assert loaded["dtype"] is ember.float64
    assert loaded["device"] == ember.device("cpu")
    assert type(loaded["size"]) is ember.Size and loaded["size"] == (2, 3)


def test_parameters_and_requires_grad(tmp_path):
    weight = tensor(np.ones(3, np.float32), "0")
    frozen = tensor(np.zeros(2), "1")
    grad = tensor(np.full(2, 2.0, np.float32), "2", requires_grad=True)
    path = tmp_path / "params.pt"
    write_zip(path, [Parameter(weight), Parameter(frozen, requires_grad=False), grad])
    p, q, t = ember.load(path)
    assert type(p) is ember.nn.Parameter and p.requires_grad
    assert type(q) is ember.nn.Parameter and not q.requires_grad and q.dtype == ember.float64
    assert type(t) is ember.Tensor and t.requires_grad and t.is_leaf
    np.testing.assert_array_equal(p.detach().numpy(), np.ones(3))


def test_parameter_attributes_are_dropped_with_a_warning(tmp_path):
    path = tmp_path / "p.pt"
    write_zip(path, Parameter(tensor(np.ones(1, np.float32), "0"), state={"no_decay": True}))
    with pytest.warns(UserWarning, match=r"dropped the Python attributes \['no_decay'\]"):
        p = ember.load(path)
    assert type(p) is ember.nn.Parameter


def test_tensor_attributes_are_dropped_with_a_warning(tmp_path):
    """torch pickles a tensor that has Python attributes through _rebuild_from_type_v2."""
    args = tensor(np.arange(3.0), "0").args
    rebuild = torch_global("torch._utils._rebuild_tensor_v2")
    for kind in ("torch.Tensor", "torch.nn.parameter.Parameter"):
        path = tmp_path / "attr.pt"
        saved = (rebuild, torch_global(kind), args, {"tag": "x"})
        write_zip(path, Reduce(torch_global("torch._tensor._rebuild_from_type_v2"), saved))
        with pytest.warns(UserWarning, match=r"dropped the Python attributes \['tag'\]"):
            t = ember.load(path)
        assert type(t) is (ember.Tensor if kind == "torch.Tensor" else ember.nn.Parameter)
        _assert_tensor(t.detach(), np.arange(3.0))


def test_zip_folder_name_and_file_objects(tmp_path):
    array = _sample("float32", (4,))
    stream = io.BytesIO()
    write_zip(stream, {"w": tensor(array, "0")}, name="my_model")
    _assert_tensor(ember.load(io.BytesIO(stream.getvalue()))["w"], array)

    class Pipe(io.RawIOBase):  # a stream that cannot seek, like a socket
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self.data.readinto(buffer)

    _assert_tensor(ember.load(Pipe(stream.getvalue()))["w"], array)


# ---------------------------------------------------------------------------- map_location


def test_map_location(tmp_path):
    shared = Storage(np.arange(6, dtype=np.float32), "0", location="cuda:0")
    obj = {"a": Tensor(shared, 0, (6,), (1,)), "b": Tensor(shared, 2, (2,), (1,))}
    obj["c"] = tensor(np.ones(2), "1", location="cpu")
    path = tmp_path / "gpu.pt"
    write_zip(path, obj)
    for map_location in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}):
        loaded = ember.load(path, map_location=map_location)
        assert {t.device.type for t in loaded.values()} == {"cpu"}
        _assert_tensor(loaded["b"], np.array([2, 3], np.float32))

    seen = []

    def to_cpu(storage, location):
        seen.append((tuple(storage.shape), storage.dtype, location))
        return storage

    loaded = ember.load(path, map_location=to_cpu)
    assert seen == [((6,), ember.float32, "cuda:0"), ((2,), ember.float64, "cpu")]  # once each
    _assert_tensor(loaded["a"], np.arange(6, dtype=np.float32))
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match=r"map_location=ember\.device\('cpu'\)"):
            ember.load(path)


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
def test_map_location_to_the_gpu(tmp_path):
    base = np.arange(12, dtype=np.float32)
    storage = Storage(base, "0")
    path = tmp_path / "cpu.pt"
    write_zip(path, {"t": Tensor(storage, 0, (4, 3), (1, 4)), "w": Tensor(storage, 0, (12,), (1,))})
    loaded = ember.load(path, map_location="cuda")
    assert loaded["t"].device.type == "cuda"
    np.testing.assert_array_equal(loaded["t"].cpu().numpy(), base.reshape(3, 4).T)
    np.testing.assert_array_equal(loaded["w"].cpu().numpy(), base)


# ----------------------------------------------------------------------- legacy format


def test_legacy_format(tmp_path):
    base = _sample("float64", (12,))
    shared = Storage(base, "140234")
    obj = {
        "t": Tensor(shared, 0, (4, 3), (1, 4)),
        "tail": Tensor(shared, 6, (6,), (1,)),
        "ids": tensor(np.arange(5), "140111"),
        "p": Parameter(tensor(np.ones(2, np.float32), "140999")),
        "epoch": 3,
    }
    path = tmp_path / "old.pt"
    write_legacy(path, obj)
    loaded = ember.load(path)
    _assert_tensor(loaded["t"], base.reshape(3, 4).T)
    _assert_tensor(loaded["tail"], base[6:])
    _assert_tensor(loaded["ids"], np.arange(5))
    assert type(loaded["p"]) is ember.nn.Parameter and loaded["epoch"] == 3
    with open(path, "rb") as f:  # from a file object too
        _assert_tensor(ember.load(f, map_location="cpu")["tail"], base[6:])

    data = path.read_bytes()
    path.write_bytes(data[:-8])
    with pytest.raises(ValueError, match=r"old\.pt.*truncated"):
        ember.load(path)


def test_legacy_storage_views(tmp_path):
    """Pre-0.4 files could save views into a storage: (view_key, offset, size)."""

    class ViewPickler(TorchPickler):
        def persistent_id(self, obj):
            pid = super().persistent_id(obj)
            return pid if pid is None else pid[:-1] + (("view", 2, 3),)

    base = np.arange(8, dtype=np.float32)
    stream = io.BytesIO()
    pickler = ViewPickler(stream, legacy=True)
    pickler.dump([Tensor(Storage(base, "1"), 1, (2,), (1,))])
    path = tmp_path / "views.pt"
    with open(path, "wb") as f:
        for value in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(value, f, protocol=2)
        f.write(stream.getvalue())
        pickle.dump(["1"], f, protocol=2)
        f.write((8).to_bytes(8, "little") + base.tobytes())
    [view] = ember.load(path)
    _assert_tensor(view, base[3:5])  # storage view from 2, tensor offset 1 in it


# ------------------------------------------------------------------------------ safety


class _System:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _Eval:
    def __reduce__(self):
        return eval, ("1 + 1",)


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("write", [write_zip, write_legacy])
def test_malicious_pickle_is_refused_without_running(tmp_path, write, weights_only):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    write(path, {"w": tensor(np.ones(2), "0"), "payload": _System(f"touch {marker}")})
    with pytest.raises(pickle.UnpicklingError) as info:
        ember.load(path, weights_only=weights_only)
    message = str(info.value)
    assert message.startswith(f"Weights only load failed for {str(path)!r}.")
    module = os.system.__module__  # posix
    assert f"GLOBAL {module}.system whose module {module} is blocked" in message
    assert "Ember never runs code from a checkpoint" in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "shown"),
    [
        (_Eval(), "GLOBAL eval was not an allowed global by default"),
        (Reduce(np.zeros, (3,)), "GLOBAL numpy.zeros was not an allowed global by default"),
        (torch_global("torch.nn.modules.linear.Linear"), "GLOBAL torch.nn.modules.linear.Linear"),
    ],
)
def test_globals_outside_the_allowlist_are_refused(tmp_path, payload, shown):
    path = tmp_path / "x.pt"
    write_zip(path, [payload])
    with pytest.raises(pickle.UnpicklingError, match=rf"Unsupported global: {shown}"):
        ember.load(path)


def write_records(path, records):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in records.items():
            archive.writestr(name, data)


def test_only_storage_persistent_ids(tmp_path):
    """torch saves a whole module with a ("module", ...) persistent id; refused."""

    class ModulePickler(TorchPickler):
        def persistent_id(self, obj):
            return ("module", "Net", "net.py", "source") if obj == "net" else None

    stream = io.BytesIO()
    ModulePickler(stream).dump(["net"])
    path = tmp_path / "module.pt"
    write_records(path, {"archive/data.pkl": stream.getvalue()})
    with pytest.raises(pickle.UnpicklingError, match="Only persistent_load of storage"):
        ember.load(path)


# ------------------------------------------------------------------ unsupported, corrupt


def test_bfloat16_is_unsupported(tmp_path):
    storage = Storage(np.zeros(2, np.uint16), "0", kind="BFloat16Storage")
    path = tmp_path / "bf16.pt"
    write_zip(path, [Tensor(storage, 0, (2,), (1,))])
    with pytest.raises(ValueError, match=r"bf16\.pt.*bfloat16 tensors.*does not support"):
        ember.load(path)


def test_corrupt_files_are_named(tmp_path):
    path = tmp_path / "bad.pt"
    storage = Storage(np.zeros(4, np.float32), "0")
    write_zip(path, [Tensor(storage, 1, (2, 2), (2, 1))])  # elements 1..4 of 4
    with pytest.raises(ValueError, match=r"bad\.pt.*reaches past its storage of 4 elements"):
        ember.load(path)

    data, _ = _pickled([Tensor(Storage(np.zeros(5, np.float32), "0"), 0, (4,), (1,))])
    records = {"archive/data.pkl": data, "archive/data/0": np.zeros(4, np.float32).tobytes()}
    write_records(path, records)  # the pickle says 5 elements, the record has 4
    with pytest.raises(ValueError, match=r"bad\.pt.*needs 20 bytes, but its record holds 16"):
        ember.load(path)

    write_records(path, {"archive/data.pkl": data[:-5], "archive/data/0": bytes(20)})
    with pytest.raises(pickle.UnpicklingError, match=r"invalid PyTorch checkpoint .*bad\.pt"):
        ember.load(path)

    write_records(path, {"archive/data.pkl": data})
    with pytest.raises(ValueError, match=r"bad\.pt.*no archive/data/0 record"):
        ember.load(path)

    write_records(path, {"model/constants.pkl": b"", "model/code/__torch__.py": b""})
    with pytest.raises(ValueError, match="TorchScript archive"):
        ember.load(path)


def test_safetensors_files_still_load(tmp_path):
    path = tmp_path / "e.pt"
    ember.save({"w": ember.ones(2), "epoch": 1}, path)
    loaded = ember.load(path)
    assert loaded["epoch"] == 1 and loaded["w"].tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------------------ hub

URL = "https://download.example.org/models/net-{}.pth"


def _checkpoint_bytes():
    stream = io.BytesIO()
    write_zip(stream, OrderedDict([("fc.bias", tensor(np.arange(3, dtype=np.float32), "0"))]))
    return stream.getvalue()


def test_get_dir_and_set_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    hub.set_dir("~/mine")
    assert hub.get_dir() == str(tmp_path / "home" / "mine")


def test_load_state_dict_from_url_downloads_once(tmp_path, monkeypatch, serve_urls, capsys):
    data = _checkpoint_bytes()
    digest = hashlib.sha256(data).hexdigest()
    url = URL.format(digest[:8])
    calls = serve_urls({url: data})
    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    for _ in range(2):
        state = hub.load_state_dict_from_url(url, check_hash=True, progress=False)
        assert list(state) == ["fc.bias"] and state["fc.bias"].tolist() == [0.0, 1.0, 2.0]
    assert calls == [url]  # the second call found the cached file
    cached = tmp_path / "hub" / "checkpoints" / f"net-{digest[:8]}.pth"
    assert cached.read_bytes() == data
    assert capsys.readouterr().out == f'Downloading: "{url}" to {cached}\n'

    state = hub.load_state_dict_from_url(
        url, model_dir=tmp_path / "other", file_name="renamed.pt", map_location="cpu"
    )
    assert (tmp_path / "other" / "renamed.pt").exists() and list(state) == ["fc.bias"]


def test_load_state_dict_from_url_checks_the_hash(tmp_path, serve_urls):
    url = URL.format("00000000")
    serve_urls({url: _checkpoint_bytes()})
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "00000000"'):
        hub.load_state_dict_from_url(url, model_dir=tmp_path, check_hash=True, progress=False)
    assert os.listdir(tmp_path) == []
    # without check_hash the name is just a name
    assert list(hub.load_state_dict_from_url(url, model_dir=tmp_path, progress=False)) == [
        "fc.bias"
    ]


def test_load_state_dict_from_url_offline_fails_fast(tmp_path, offline):
    url = URL.format("abcdef12")
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        hub.load_state_dict_from_url(url, model_dir=tmp_path, progress=False)
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    assert message.startswith(f"Error downloading {url}: ") and "name resolution" in message
    assert message.endswith(f"place these files in {tmp_path}:\n  net-abcdef12.pth")
    assert offline == [url] and os.listdir(tmp_path) == []


def test_extension_codes_are_refused_unrun(tmp_path):
    # copyreg's extension registry resolves EXT opcodes without find_class: refused outright
    import copyreg

    module = os.system.__module__  # (posix)
    copyreg.add_extension(module, "system", 0xE3B)
    try:
        payload = pickle.dumps(os.system, protocol=2)  # EXT2 0xE3B
    finally:
        copyreg.remove_extension(module, "system", 0xE3B)
    assert b"\x83" in payload  # (EXT2)
    path = tmp_path / "ext.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ext/data.pkl", payload)
        archive.writestr("ext/version", "3\n")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported operand 131"):
        ember.load(path)
