"""Model archives: what create() writes, what loading checks, and the emberserve-archive command."""

import asyncio
import json
import zipfile

import numpy as np
import pytest

import ember
from emberserve import ServeConfig, TensorSpec, archive
from emberserve.archive import Archive, build_model
from emberserve.cli import archive_main
from emberserve.errors import ArchiveError
from emberserve.registry import ModelRegistry
from emberserve.testing import linear

X4 = [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}]


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rewrite(path, target, change):
    """Copy archive ``path`` to ``target`` with ``change(members)`` applied to its files."""
    members = _members(path)
    change(members)
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return target


def test_create_writes_manifest_weights_and_labels(tmp_path):
    state = linear(seed=3).state_dict()
    path = archive.create(
        tmp_path / "m.emar",
        name="m",
        version="2.1",
        factory="emberserve.testing:linear",
        kwargs={"in_features": 4, "out_features": 3},
        weights=state,
        inputs=X4,
        batch_size=8,
        max_batch_delay=7.5,
        labels=["a", "b", "c"],
        handler_config={"k": 1},
    )
    members = _members(path)
    assert set(members) == {"MANIFEST.json", "weights.safetensors", "index_to_name.json"}
    manifest = json.loads(members["MANIFEST.json"])
    created = manifest.pop("created")
    assert created.endswith("+00:00")
    assert manifest == {
        "format_version": 1,
        "name": "m",
        "version": "2.1",
        "model": {
            "factory": "emberserve.testing:linear",
            "kwargs": {"in_features": 4, "out_features": 3},
            "weights": "weights.safetensors",
        },
        "handler": {"name": "tensor", "config": {"k": 1}},
        "inputs": X4,
        "outputs": [
            {"name": "output__0", "datatype": "FP32", "shape": [-1, 3]}
        ],  # found by a dry run
        "batch": {"batch_size": 8, "max_batch_delay": 7.5},
        "labels": "index_to_name.json",
        "extra_files": [],
    }
    assert json.loads(members["index_to_name.json"]) == {"0": "a", "1": "b", "2": "c"}
    # the weights are a plain safetensors file: 8-byte header size, JSON header, raw data
    raw = members["weights.safetensors"]
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    assert header["weight"] == {
        "dtype": "F32",
        "shape": [3, 4],
        "data_offsets": header["weight"]["data_offsets"],
    }
    model = build_model(Archive(path).manifest, _extract(path, tmp_path))
    assert not model.training
    np.testing.assert_array_equal(model.weight.detach().numpy(), state["weight"].numpy())


def _extract(path, tmp_path):
    directory = tmp_path / "unpacked"
    Archive(path).extract(directory)
    return directory


def test_loading_never_unpickles(tmp_path):
    path = archive.create(
        tmp_path / "m.emar", name="m", factory="emberserve.testing:linear", inputs=X4
    )
    for name, data in _members(path).items():
        assert b"\x80\x04\x95" not in data and not name.endswith((".pt", ".pth", ".pkl")), name


def test_weights_from_a_safetensors_file_and_extra_files(tmp_path):
    from ember.utils.safetensors import save_file

    save_file(linear(seed=5).state_dict(), tmp_path / "w.safetensors")
    (tmp_path / "vocab.txt").write_text("hello")
    path = archive.create(
        tmp_path / "m.emar",
        name="m",
        factory="emberserve.testing:linear",
        weights=tmp_path / "w.safetensors",
        inputs=X4,
        extra_files=[tmp_path / "vocab.txt"],
    )
    assert _members(path)["vocab.txt"] == b"hello"
    assert Archive(path).manifest.extra_files == ["vocab.txt"]
    model = build_model(Archive(path).manifest, _extract(path, tmp_path))
    np.testing.assert_array_equal(
        model.weight.detach().numpy(), linear(seed=5).weight.detach().numpy()
    )


def test_create_checks_its_arguments(tmp_path):
    create = archive.create
    with pytest.raises(ArchiveError, match="cannot import the model factory"):
        create(tmp_path / "a.emar", name="a", factory="no.such.module:f", inputs=X4)
    with pytest.raises(ArchiveError, match="do not fit"):
        create(
            tmp_path / "a.emar",
            name="a",
            factory="emberserve.testing:linear",
            inputs=X4,
            weights={"weight": ember.zeros(2, 2)},
        )
    with pytest.raises(ValueError, match="model name"):
        create(tmp_path / "a.emar", name="../evil", factory="emberserve.testing:linear", inputs=X4)
    with pytest.raises(ValueError, match="needs inputs"):
        create(tmp_path / "a.emar", name="a", factory="emberserve.testing:linear")
    with pytest.raises(ValueError, match="UINT32"):
        create(
            tmp_path / "a.emar",
            name="a",
            factory="emberserve.testing:linear",
            inputs=[{"name": "x", "datatype": "UINT32", "shape": [-1, 4]}],
        )
    with pytest.raises(TypeError):
        create(
            tmp_path / "a.emar",
            name="a",
            factory="emberserve.testing:linear",
            inputs=X4,
            kwargs={"seed": object()},
        )
    with pytest.raises(ArchiveError, match="no handler named 'nope'"):
        create(
            tmp_path / "a.emar",
            name="a",
            factory="emberserve.testing:linear",
            inputs=X4,
            handler="nope",
        )
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.fixture
def good(tmp_path):
    return archive.create(
        tmp_path / "good.emar",
        name="good",
        factory="emberserve.testing:linear",
        inputs=X4,
        labels=["a", "b", "c"],
    )


def _manifest_change(**changes):
    def change(members):
        manifest = json.loads(members["MANIFEST.json"])
        for key, value in changes.items():
            section, _, field = key.partition("__")
            if field and value is None:
                del manifest[section][field]
            elif field:
                manifest[section][field] = value
            elif value is None:
                del manifest[section]
            else:
                manifest[section] = value
        members["MANIFEST.json"] = json.dumps(manifest).encode()

    return change


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m.pop("MANIFEST.json"), "no MANIFEST.json"),
        (
            lambda m: m.pop("weights.safetensors"),
            "names 'weights.safetensors' but the archive does not contain it",
        ),
        (lambda m: m.pop("index_to_name.json"), "'index_to_name.json'"),
        (lambda m: m.update({"MANIFEST.json": b"{not json"}), "not valid JSON"),
        (_manifest_change(model__factory=None), "no 'model.factory'"),
        (_manifest_change(name=None), "no 'name'"),
        (_manifest_change(inputs=None), "no 'inputs'"),
        (_manifest_change(format_version=2), "format_version 2"),
        (_manifest_change(batch={"batch_size": "8"}), "'batch.batch_size' has the wrong type"),
        (
            _manifest_change(inputs=[{"name": "x", "datatype": "FP8", "shape": [1]}]),
            "unknown datatype 'FP8'",
        ),
        (lambda m: m.update({"../escape.txt": b"x"}), "unsafe member names"),
    ],
    ids=[
        "no-manifest",
        "no-weights",
        "no-labels",
        "bad-json",
        "no-factory",
        "no-name",
        "no-inputs",
        "format",
        "wrong-type",
        "bad-spec",
        "path-traversal",
    ],
)
def test_incomplete_or_corrupt_archives_name_what_is_wrong(good, tmp_path, change, words):
    broken = _rewrite(good, tmp_path / "broken.emar", change)
    with pytest.raises(ArchiveError, match=r"broken\.emar") as info:
        Archive(broken)
    assert words in str(info.value)


def test_not_a_zip_and_truncated_zip(good, tmp_path):
    (tmp_path / "text.emar").write_text("hello")
    with pytest.raises(ArchiveError, match=r"text\.emar is not a readable \.emar"):
        Archive(tmp_path / "text.emar")
    data = good.read_bytes()
    (tmp_path / "cut.emar").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=r"cut\.emar"):
        Archive(tmp_path / "cut.emar")


def test_corrupt_weights_and_wrong_weights_fail_at_load(good, tmp_path):
    registry = ModelRegistry(ServeConfig())
    corrupt = _rewrite(
        good,
        tmp_path / "corrupt.emar",
        lambda m: m.update({"weights.safetensors": b"\x08" + b"\0" * 7 + b"{}"}),
    )
    with pytest.raises(ArchiveError, match="safetensors"):
        registry.register(corrupt)
    state = {"weight": ember.zeros(3, 5), "bias": ember.zeros(3)}
    from ember.utils.safetensors import save

    wrong = _rewrite(
        good, tmp_path / "wrong.emar", lambda m: m.update({"weights.safetensors": save(state)})
    )
    with pytest.raises(ArchiveError, match="do not fit"):
        registry.register(wrong)
    unimportable = _rewrite(
        good, tmp_path / "gone.emar", _manifest_change(model__factory="gone.module:f")
    )
    with pytest.raises(ArchiveError, match=r"cannot import the model factory 'gone\.module:f'"):
        registry.register(unimportable)
    assert registry.all() == []  # nothing half-registered
    registry.register(good)
    assert registry.get("good").ready
    registry.close()


HANDLER_CODE = """
from emberserve.handlers import TensorHandler

class Wrapped(TensorHandler):
    def postprocess(self, outputs):
        return [{"wrapped": r} for r in super().postprocess(outputs)]
"""


def test_handler_code_inside_the_archive_needs_the_flag(tmp_path):
    (tmp_path / "wrapped.py").write_text(HANDLER_CODE)
    path = archive.create(
        tmp_path / "code.emar",
        name="code",
        factory="emberserve.testing:linear",
        inputs=X4,
        handler=str(tmp_path / "wrapped.py"),
    )
    assert Archive(path).manifest.handler == "wrapped.py"
    assert _members(path)["wrapped.py"] == HANDLER_CODE.encode()
    with pytest.raises(ArchiveError, match="--allow-archive-code"):
        ModelRegistry(ServeConfig()).register(path)
    registry = ModelRegistry(ServeConfig(allow_archive_code=True))
    model = registry.register(path)
    assert model.handler_cls.__name__ == "Wrapped"
    result = asyncio.run(model.batcher.submit({"body": b"[1, 2, 3, 4]"}, timeout=10))
    assert set(result) == {"wrapped"} and len(result["wrapped"]) == 3
    registry.close()


def test_manifest_from_dict_round_trip(good):
    manifest = Archive(good).manifest
    assert archive.Manifest.from_dict(manifest.to_dict()) == manifest
    assert manifest.inputs == [TensorSpec("x", "FP32", (-1, 4))]


def test_emberserve_archive_command(tmp_path, capsys):
    (tmp_path / "labels.json").write_text(json.dumps({"0": "zero", "1": "one"}))
    argv = [
        "--model-name",
        "cli",
        "--factory",
        "emberserve.testing:linear",
        "--kwargs",
        '{"out_features": 2}',
        "--input",
        "x:FP32:-1,4",
        "--batch-size",
        "4",
        "--labels",
        str(tmp_path / "labels.json"),
        "--export-path",
        str(tmp_path),
    ]
    assert archive_main(argv) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "cli.emar")
    manifest = Archive(tmp_path / "cli.emar").manifest
    assert (
        manifest.outputs == [TensorSpec("output__0", "FP32", (-1, 2))] and manifest.batch_size == 4
    )
    assert archive_main(argv) == 1 and "--force" in capsys.readouterr().err
    assert archive_main([*argv, "--force"]) == 0
    assert (
        archive_main(
            [
                "--model-name",
                "x",
                "--factory",
                "nope:f",
                "--input",
                "x:FP32:-1",
                "--export-path",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert "cannot import" in capsys.readouterr().err
