"""Safe checkpoints: ember.utils.safetensors and ember.save / ember.load.

The safetensors layer is checked against the real ``safetensors`` library where it is
installed (files go both ways, and our bytes equal its bytes); checkpoints are checked by
exact round trips, atomic writes, hand-corrupted files and map_location.
"""

import io
import json
import math
import os
import re
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember.serialization import load, save
from ember.utils import safetensors as st

_DTYPES = (
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64"
)  # fmt: skip


def _sample(dtype, shape, seed=0):
    """A numpy array of ``dtype`` with extreme values mixed in (nan, inf, -0.0, int limits)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "c":
        values = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
        special = np.array([complex(np.nan, 1), complex(-0.0, np.inf), -np.inf, 1j], dtype=dtype)
    elif np.dtype(dtype).kind == "f":
        values = rng.standard_normal(shape).astype(dtype)
        special = np.array([np.nan, np.inf, -np.inf, -0.0], dtype=dtype)
    else:
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        special = np.array([info.min, info.max, 0, 1], dtype=dtype)
    flat = values.reshape(-1)
    flat[: min(4, flat.size)] = special[: flat.size]
    return values


def _assert_same(actual, expected, where="obj"):
    """Types identical all the way down; tensors bit-identical, same dtype, device, grad flag."""
    assert type(actual) is type(expected), f"{where}: {type(actual)} != {type(expected)}"
    if isinstance(expected, ember.Tensor):
        assert actual.dtype == expected.dtype, where
        assert actual.shape == expected.shape, where
        assert actual.device == expected.device, where
        assert actual.requires_grad == expected.requires_grad, where
        a = actual.detach().numpy(force=True)
        e = expected.detach().numpy(force=True)
        assert a.tobytes() == e.tobytes(), where
    elif isinstance(expected, dict):
        assert [(type(k), k) for k in actual] == [(type(k), k) for k in expected], where
        for key in expected:
            _assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), where
    else:
        assert actual == expected, where
        if isinstance(expected, float):  # -0.0 == 0.0, so compare the sign too
            assert math.copysign(1, actual) == math.copysign(1, expected), where


def _file_bytes(header, data=b""):
    """A safetensors file from a header (a dict, or raw bytes taken as they are) and data."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data


def _write(path, content):
    path.write_bytes(content)
    return path


# ----------------------------------------------------------------------- safetensors layer


def test_round_trip_every_dtype(device):
    tensors = {}
    for dtype in _DTYPES:
        for shape in [(), (0,), (2, 0, 3), (5,), (3, 4)]:
            name = f"{dtype}{list(shape)}"
            tensors[name] = ember.tensor(_sample(dtype, shape), device=device)
    loaded = st.load(st.save(tensors), device=device)
    assert list(loaded) == sorted(loaded, key=lambda n: -tensors[n].element_size())
    _assert_same(dict(sorted(loaded.items())), dict(sorted(tensors.items())))


def test_save_file_and_load_file_with_metadata(tmp_path):
    path = tmp_path / "weights.safetensors"
    tensors = {"w": ember.randn(3, 2), "b": ember.arange(3)}
    st.save_file(tensors, path, metadata={"step": "7", "note": "ünïcode"})
    loaded, metadata = st.load_file_with_metadata(str(path))
    assert metadata == {"step": "7", "note": "ünïcode"}
    _assert_same(dict(sorted(loaded.items())), dict(sorted(tensors.items())))
    _assert_same(st.load_file(path), loaded)
    stream = io.BytesIO()
    st.save_file(tensors, stream)
    assert st.load_file_with_metadata(io.BytesIO(stream.getvalue()))[1] is None


def test_loaded_tensors_are_writable_and_independent():
    base = ember.arange(6.0)
    tensors = {
        "a": base,
        "same": base,
        "row": base.reshape(2, 3).unbind(0)[1],  # a view at an offset
        "t": base.reshape(2, 3).T,  # transposed strides
        "broadcast": base.reshape(1, 6).expand(2, 6),  # zero strides
    }
    loaded = st.load(st.save(tensors))
    loaded["a"].add_(100.0)
    np.testing.assert_array_equal(loaded["same"].numpy(), np.arange(6.0))
    np.testing.assert_array_equal(loaded["row"].numpy(), [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(loaded["t"].numpy(), np.arange(6.0).reshape(2, 3).T)
    np.testing.assert_array_equal(loaded["broadcast"].numpy(), np.tile(np.arange(6.0), (2, 1)))


def test_misaligned_tensors_from_old_writers_are_read():
    # "a" (1 byte) first puts "b" at an odd offset, as safetensors < 0.3 could
    header = {
        "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [1, 9]},
    }
    data = b"\x07" + np.array([1.5, -2.0], "<f4").tobytes()
    loaded = st.load(_file_bytes(header, data))
    assert loaded["b"].numpy().flags.aligned
    np.testing.assert_array_equal(loaded["b"].numpy(), [1.5, -2.0])


def test_bad_arguments():
    with pytest.raises(TypeError, match="dict of str to Tensor"):
        st.save([ember.ones(1)])
    with pytest.raises(TypeError, match="names must be str"):
        st.save({0: ember.ones(1)})
    with pytest.raises(TypeError, match=r"tensors\['w'\] must be a Tensor, got ndarray"):
        st.save({"w": np.ones(1)})
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        st.save({}, metadata={"step": 7})
    with pytest.raises(ValueError, match="reserved"):
        st.save({"__metadata__": ember.ones(1)})


# ---------------------------------------------------------- interop with the real library


def test_bytes_identical_to_safetensors_library():
    sn = pytest.importorskip("safetensors.numpy")
    arrays = {f"{dtype}.{i}": _sample(dtype, (i, 3), i) for i, dtype in enumerate(_DTYPES)}
    arrays["scalar"] = np.array(3.5, np.float16)
    tensors = {name: ember.from_numpy(a) for name, a in arrays.items()}
    assert st.save(tensors) == sn.save(arrays)
    assert st.save(tensors, {"k": "v"}) == sn.save(arrays, metadata={"k": "v"})


def test_safetensors_library_reads_our_files(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    safetensors = pytest.importorskip("safetensors")
    path = tmp_path / "ours.safetensors"
    tensors = {f"layer.{dtype}": ember.tensor(_sample(dtype, (2, 3))) for dtype in _DTYPES}
    tensors["strided"] = ember.arange(12).reshape(3, 4).T
    st.save_file(tensors, path, metadata={"format": "pt"})
    loaded = sn.load_file(path)
    assert sorted(loaded) == sorted(tensors)
    for name, tensor in tensors.items():
        assert loaded[name].dtype == tensor.numpy().dtype
        assert loaded[name].tobytes() == np.ascontiguousarray(tensor.numpy()).tobytes()
    with safetensors.safe_open(path, framework="np") as f:
        assert f.metadata() == {"format": "pt"}


def test_we_read_safetensors_library_files(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "theirs.safetensors"
    arrays = {f"{dtype}": _sample(dtype, (3, 2), 1) for dtype in _DTYPES}
    arrays["empty"] = np.zeros((0, 4), np.float32)
    arrays["scalar"] = np.array(7, np.int64)
    sn.save_file(arrays, path, metadata={"epoch": "3"})
    loaded, metadata = st.load_file_with_metadata(path)
    assert metadata == {"epoch": "3"}
    assert sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        assert loaded[name].numpy().dtype == array.dtype
        assert loaded[name].numpy().tobytes() == array.tobytes()
        assert loaded[name].shape == array.shape


def test_unsupported_dtypes_are_named(tmp_path):
    path = _write(
        tmp_path / "bf16.safetensors",
        _file_bytes({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
    )
    with pytest.raises(st.SafetensorsError, match=rf"{re.escape(repr(str(path)))}.*bfloat16"):
        st.load_file(path)
    sn = pytest.importorskip("safetensors.numpy")
    sn.save_file({"u": np.ones(2, np.uint16)}, tmp_path / "u16.safetensors")
    with pytest.raises(st.SafetensorsError, match="tensor 'u' has dtype 'U16'; Ember reads"):
        st.load_file(tmp_path / "u16.safetensors")


def test_complex128_is_refused_with_a_way_out():
    z = ember.tensor([1 + 2j, 3 - 4j], dtype=ember.complex128)
    with pytest.raises(TypeError, match=r"tensors\['z'\] is ember.complex128, which safetensors"):
        st.save({"z": z})
    pairs = st.load(st.save({"z": ember.view_as_real(z)}))["z"]
    assert ember.view_as_complex(pairs).tolist() == [1 + 2j, 3 - 4j]


# ------------------------------------------------------------------------- corrupt files

_F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
_VALID = _file_bytes({"w": _F32}, b"\0" * 8)
_CORRUPTIONS = {
    "empty": (b"", "too short"),
    "short": (b"\x05\x00", "too short"),
    "huge header size": ((10**9).to_bytes(8, "little") + b"{}", "larger than"),
    "header past the end": ((64).to_bytes(8, "little") + b"{}", "runs past the end"),
    "truncated data": (_VALID[:-3], "truncated, or trailing"),
    "trailing bytes": (_VALID + b"xx", "truncated, or trailing"),
    "not utf-8": (_file_bytes(b"\xff\xfe{}"), "not valid UTF-8 JSON"),
    "not json": (_file_bytes(b'{"w": {'), "not valid UTF-8 JSON"),
    "not an object": (_file_bytes(b"[1, 2]"), "not a JSON object"),
    "duplicate keys": (_file_bytes(b'{"w": 1, "w": 2}'), "duplicate keys"),
    "bad metadata": (_file_bytes({"__metadata__": {"a": 1}}), "'__metadata__' is not a map"),
    "missing field": (_file_bytes({"w": {"dtype": "F32", "shape": [2]}}), "needs 'dtype'"),
    "unknown dtype": (_file_bytes({"w": {**_F32, "dtype": "F128"}}, b"\0" * 8), "'F128'"),
    "dtype not a string": (_file_bytes({"w": {**_F32, "dtype": ["F32"]}}, b"\0" * 8), "dtype"),
    "negative size": (_file_bytes({"w": {**_F32, "shape": [-2]}}, b"\0" * 8), "shape"),
    "float size": (_file_bytes({"w": {**_F32, "shape": [2.0]}}, b"\0" * 8), "shape"),
    "reversed offsets": (_file_bytes({"w": {**_F32, "data_offsets": [8, 0]}}), "data_offsets"),
    "size mismatch": (_file_bytes({"w": {**_F32, "shape": [3]}}, b"\0" * 8), "needs 12 bytes"),
    "gap": (
        _file_bytes({"w": _F32, "v": {**_F32, "data_offsets": [12, 20]}}, b"\0" * 20),
        "expected 8",
    ),
    "overlap": (
        _file_bytes({"w": _F32, "v": {**_F32, "data_offsets": [4, 12]}}, b"\0" * 12),
        "expected 8",
    ),
}


@pytest.mark.parametrize("kind", list(_CORRUPTIONS))
def test_corrupt_files_raise_errors_naming_the_file(tmp_path, kind):
    content, problem = _CORRUPTIONS[kind]
    path = _write(tmp_path / "bad.safetensors", content)
    with pytest.raises(st.SafetensorsError) as info:
        st.load_file(path)
    assert repr(str(path)) in str(info.value)
    assert problem in str(info.value)
    with pytest.raises(ValueError, match=re.escape(repr(str(path)))):
        load(path)
    with pytest.raises(st.SafetensorsError, match="<bytes>"):
        st.load(content)


# ----------------------------------------------------------------------- ember.save / load


def test_exported_as_ember_save_and_load():
    assert ember.save is save
    assert ember.load is load


def _checkpoint():
    """A training checkpoint with every kind of value ember.save keeps apart."""
    model = OrderedDict(
        [
            ("fc.weight", ember.randn(3, 2)),
            ("fc.bias", ember.zeros(3)),
            ("bn.num_batches_tracked", ember.tensor(5)),
            ("mask", ember.tensor([True, False])),
        ]
    )
    optimizer = {
        "state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(3, 2)}, 1: {}},
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "foreach": None,
                "params": [0, 1],
            }
        ],
    }
    return {
        "model": model,
        "optimizer": optimizer,
        "epoch": 12,
        "best_loss": float("inf"),
        "last_loss": float("nan"),
        "neg": -0.0,
        "small": [float("-inf"), 2**70, -1, 1.0, True],
        "name": 'run "α"',
        "empty": ([], {}, (), OrderedDict(), ""),
        "dtypes": [ember.tensor(_sample(d, (2, 3))) for d in _DTYPES],
        "odd": (ember.zeros(0, 2, dtype=ember.int8), ember.tensor(1.5, dtype=ember.float16)),
        "frozen": ember.ones(2, requires_grad=True),
        7: "int key",
        "7": "str key",
        True: "bool key",
    }


def test_checkpoint_round_trip(tmp_path):
    checkpoint = _checkpoint()
    path = tmp_path / "ckpt.pt"
    save(checkpoint, path)
    _assert_same(load(path), checkpoint)
    _assert_same(load(str(path), weights_only=False), checkpoint)
    stream = io.BytesIO()
    save(checkpoint, stream)
    stream.seek(0)
    _assert_same(load(stream), checkpoint)


@pytest.mark.parametrize("obj", [ember.arange(3), 5, None, [ember.ones(1), ember.ones(1)]])
def test_round_trip_of_other_roots(obj):
    stream = io.BytesIO()
    save(obj, stream)
    _assert_same(load(io.BytesIO(stream.getvalue())), obj)


def test_flat_state_dict_keeps_its_keys_for_safetensors(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    safetensors = pytest.importorskip("safetensors")
    state = OrderedDict([("fc.weight", ember.randn(3, 2)), ("fc.bias", ember.randn(3))])
    path = tmp_path / "model.safetensors"
    save(state, path)
    loaded = sn.load_file(path)
    assert sorted(loaded) == sorted(state)
    for name, tensor in state.items():
        np.testing.assert_array_equal(loaded[name], tensor.numpy())
    with safetensors.safe_open(path, framework="np") as f:
        metadata = f.metadata()
    assert metadata["format"] == "pt"

    def strict(constant):
        raise AssertionError(f"structure is not strict JSON: {constant}")

    json.loads(metadata["ember.structure"], parse_constant=strict)


def test_nested_tensors_are_named_by_their_path():
    t = ember.ones(1)
    obj = {"model": {"fc.weight": t}, "opt": {"state": {0: {"exp_avg": t}}}, "xs": [t, (t,)]}
    obj["a.b"] = t
    obj["a"] = {"b": t}
    stream = io.BytesIO()
    save(obj, stream)
    names = set(st.load(stream.getvalue()))
    assert {"model.fc.weight", "opt.state.0.exp_avg", "xs.0", "xs.1.0", "a.b"} < names
    assert len(names) == 6  # the clash between "a.b" and ["a"]["b"] got a distinct name
    _assert_same(load(io.BytesIO(stream.getvalue())), obj)


def test_loads_any_safetensors_file_as_a_dict(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "hub.safetensors"
    sn.save_file({"wte": np.ones((2, 2), np.float32), "ids": np.arange(3)}, path)
    loaded = load(path)
    assert type(loaded) is dict
    assert sorted(loaded) == ["ids", "wte"]
    np.testing.assert_array_equal(loaded["ids"].numpy(), np.arange(3))


@pytest.mark.parametrize(
    ("obj", "kind", "where"),
    [
        ({"model": {"layer": lambda x: x}}, "function", "obj['model']['layer']"),
        ([1, (2, object())], "object", "obj[1][1]"),
        ({"lr": np.float64(0.1)}, "float64", "obj['lr']"),
        ({"s": {1, 2}}, "set", "obj['s']"),
        ({0: {1.5: "x"}}, "float", "obj[0]"),
    ],
)
def test_unsupported_objects_are_named_with_their_place(tmp_path, obj, kind, where):
    with pytest.raises(TypeError, match=rf"\b{kind}\b.*{re.escape(where)}"):
        save(obj, tmp_path / "x.pt")
    assert os.listdir(tmp_path) == []


def test_self_containing_object():
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save({"loop": loop}, io.BytesIO())


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    old = {"model": {"w": ember.zeros(4)}, "epoch": 1}
    save(old, path)
    before = path.read_bytes()
    temporaries = []

    def fail_on_second_tensor(tensor):
        # by now the header and the first tensor have gone to the temporary file
        temporaries.append([p.name for p in tmp_path.iterdir() if p.name != "ckpt.pt"])
        if len(temporaries) == 2:
            raise OSError("disk full")
        return np.ascontiguousarray(tensor.numpy()).reshape(-1).view(np.uint8)

    monkeypatch.setattr(st, "_host_bytes", fail_on_second_tensor)
    with pytest.raises(OSError, match="disk full"):
        save({"model": {"w": ember.ones(4), "v": ember.ones(4)}, "epoch": 2}, path)
    assert len(temporaries) == 2
    assert len(temporaries[1]) == 1
    assert temporaries[1][0].endswith(".tmp")
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert path.read_bytes() == before
    _assert_same(load(path), old)


def test_write_replaces_the_file_with_normal_permissions(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"epoch": 1}, path)
    save({"epoch": 2}, os.fspath(path))
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert load(path) == {"epoch": 2}
    reference = tmp_path / "reference"
    reference.write_bytes(b"")  # created like any file: mode 0666 less the umask
    assert path.stat().st_mode == reference.stat().st_mode


def _ember_file(path, structure, tensors, version="1"):
    """A checkpoint with a hand-written structure (JSON text, or an object to dump)."""
    text = structure if isinstance(structure, str) else json.dumps(structure)
    metadata = {"ember.version": version, "ember.structure": text}
    st.save_file(tensors, path, metadata=metadata)
    return path


@pytest.mark.parametrize(
    ("structure", "version", "problem"),
    [
        ("{", "1", "not valid JSON"),
        ({"tensor": "missing"}, "1", "refers to tensor 'missing'"),
        ({"tensor": "w", "device": 0}, "1", "has device 0"),
        ({"set": [1, 2]}, "1", "unknown node"),
        ({"tuple": [], "list": []}, "1", "unknown node"),
        ({"float": "1e999"}, "1", "unknown node"),
        ({"dict": [["a"]]}, "1", "not a [key, value] pair"),
        ({"dict": [[[1], 2]]}, "1", "not a [key, value] pair"),
        ([], "2", "format version '2'"),
    ],
)
def test_corrupt_structure_raises_errors_naming_the_file(tmp_path, structure, version, problem):
    path = _ember_file(tmp_path / "bad.pt", structure, {"w": ember.ones(1)}, version)
    with pytest.raises(ValueError) as info:
        load(path)
    assert repr(str(path)) in str(info.value)
    assert problem in str(info.value)


def test_truncated_checkpoint_names_the_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    save(_checkpoint(), path)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match=re.escape(repr(str(path)))):
        load(path)


# --------------------------------------------------------------------------- map_location


def test_map_location_remaps_saved_cuda_tensors(tmp_path):
    # a checkpoint saved from a GPU, written by hand so the test runs without one
    path = _ember_file(
        tmp_path / "gpu.pt",
        {"dict": [["w", {"tensor": "w", "device": "cuda:0", "requires_grad": True}]]},
        {"w": ember.arange(3.0)},
    )
    for map_location in ["cpu", ember.device("cpu"), {"cuda:0": "cpu"}]:
        w = load(path, map_location=map_location)["w"]
        assert w.device == ember.device("cpu")
        assert w.requires_grad
        np.testing.assert_array_equal(w.detach().numpy(), [0.0, 1.0, 2.0])
    calls = []

    def to_cpu(tensor, location):
        calls.append((tensor.device, location))
        return tensor.to(ember.float64)

    assert load(path, map_location=to_cpu)["w"].dtype == ember.float64
    assert calls == [(ember.device("cpu"), "cuda:0")]
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match=r"map_location=ember\.device"):
            load(path)
        with pytest.raises(RuntimeError, match=r"map_location=ember\.device"):
            load(path, map_location={"cuda:1": "cpu"})


def test_tensors_return_to_their_device(tmp_path, device):
    path = tmp_path / "ckpt.pt"
    save({"w": ember.arange(4.0, device=device), "n": 3}, path)
    loaded = load(path)
    assert loaded["w"].device.type == device
    assert load(path, map_location="cpu")["w"].device == ember.device("cpu")
    assert load(path, map_location=device)["w"].device.type == device
    assert st.load_file(path, device=device)["w"].device.type == device
    np.testing.assert_array_equal(loaded["w"].numpy(force=True), np.arange(4.0))


def test_counter_round_trips(tmp_path):
    from collections import Counter

    path = tmp_path / "counter.ckpt"
    ember.save({"milestones": Counter([3, 3, 7])}, path)
    loaded = ember.load(path)["milestones"]
    assert isinstance(loaded, Counter) and loaded == Counter({3: 2, 7: 1})
