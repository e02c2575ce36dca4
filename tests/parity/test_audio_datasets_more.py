"""Parity of the emberaudio datasets of tests/audio/test_datasets_more.py with torchaudio 2.11's:
the same fake trees on disk give the same lengths, samples (waveforms, sample rates, labels),
metadata (relative paths included), extra attributes and errors in both libraries.

The trees are written by that test file's ``write_*`` functions. torchaudio 2.11 reads audio
through TorchCodec, which the parity environment lacks, so ``torchaudio.load`` is replaced by a
soundfile reader with its signature (offsets and frame counts included); the rest of each
torchaudio dataset runs as it is. The whole file skips without torchaudio.
"""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

import ember
import emberaudio.datasets as E

torchaudio = pytest.importorskip("torchaudio")
import torch  # noqa: E402
import torchaudio.datasets as T  # noqa: E402
from torchaudio.datasets import gtzan as t_gtzan  # noqa: E402

from emberaudio.datasets import gtzan as e_gtzan  # noqa: E402

# the tests run with --import-mode=importlib, so the writers are loaded from their file
_spec = importlib.util.spec_from_file_location(
    "_test_datasets_more", Path(__file__).resolve().parents[1] / "audio" / "test_datasets_more.py"
)
W = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(W)


def _soundfile_load(uri, frame_offset=0, num_frames=-1, normalize=True, channels_first=True, **_):
    data, sample_rate = soundfile.read(
        os.fspath(uri), frames=num_frames, start=frame_offset, dtype="float32", always_2d=True
    )
    return torch.from_numpy(np.ascontiguousarray(data.T if channels_first else data)), sample_rate


@pytest.fixture(autouse=True)
def torchaudio_load(monkeypatch):
    monkeypatch.setattr(torchaudio, "load", _soundfile_load)


def _canonical(value):
    """A comparable form of a sample's part: tensors as (dtype, shape, values)."""
    if isinstance(value, (ember.Tensor, torch.Tensor)):
        array = value.numpy()
        return ("tensor", str(array.dtype), array.shape, array.tobytes())
    if isinstance(value, (tuple, list)):
        return type(value).__name__, tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return "dict", tuple((k, _canonical(v)) for k, v in value.items())
    if isinstance(value, Path):
        return "path", str(value)
    return type(value).__name__, value


def _same_dataset(ember_ds, torch_ds):
    assert len(ember_ds) == len(torch_ds)
    for n in range(len(torch_ds)):
        assert _canonical(ember_ds[n]) == _canonical(torch_ds[n]), f"sample {n}"
        if hasattr(torch_ds, "get_metadata"):
            assert _canonical(ember_ds.get_metadata(n)) == _canonical(torch_ds.get_metadata(n))


# (name, writer, positional arguments, keyword arguments)
CASES = [
    ("CMUARCTIC", W.write_cmuarctic, (), {}),
    ("CMUDict", W.write_cmudict, (), {}),
    ("CMUDict", W.write_cmudict, (False,), {}),
    ("COMMONVOICE", W.write_commonvoice, (), {}),
    ("DR_VCTK", W.write_dr_vctk, (), {}),
    ("DR_VCTK", lambda root: W.write_dr_vctk(root, "test"), ("test",), {}),
    ("FluentSpeechCommands", W.write_fluent, (), {}),
    ("GTZAN", W.write_gtzan, (), {}),
    ("IEMOCAP", W.write_iemocap, (), {}),
    ("IEMOCAP", W.write_iemocap, ((1,), "scripted"), {}),
    ("LibriLightLimited", W.write_librilight, ("10h",), {}),
    ("LibriMix", W.write_librimix, ("test",), {}),
    ("LibriMix", W.write_librimix, ("test",), {"task": "enh_both"}),
    ("LibriSpeechBiasing", W.write_librispeech, ("dev-clean",), {"blist": ["YEAR", "WORK"]}),
    ("LIBRITTS", W.write_libritts, ("dev-clean",), {}),
    ("MUSDB_HQ", W.write_musdb, ("train",), {}),
    ("MUSDB_HQ", W.write_musdb, ("train",), {"sources": ["mixture", "vocals"], "split": "train"}),
    ("QUESST14", W.write_quesst14, ("docs",), {"language": None}),
    ("QUESST14", W.write_quesst14, ("dev",), {}),
    ("Snips", W.write_snips, ("train",), {"audio_format": "wav"}),
    ("Snips", W.write_snips, ("valid",), {"speakers": ["Amy"], "audio_format": "wav"}),
    ("TEDLIUM", W.write_tedlium, (), {}),
    ("TEDLIUM", lambda root: W.write_tedlium(root, "release3", "test"), ("release3", "test"), {}),
    ("VCTK_092", W.write_vctk, (), {}),
    ("VCTK_092", W.write_vctk, ("mic1",), {}),
    ("VoxCeleb1Identification", W.write_voxceleb1, ("dev",), {}),
    ("VoxCeleb1Identification", W.write_voxceleb1, (), {}),
    ("VoxCeleb1Verification", W.write_voxceleb1, (), {}),
]


@pytest.mark.parametrize(("name", "write", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_same_samples_and_metadata(tmp_path, name, write, args, kwargs):
    write(tmp_path)
    # CMUARCTIC and VCTK_092 join paths with os.path.join, so root may be a str or a Path
    root = str(tmp_path)
    _same_dataset(getattr(E, name)(root, *args, **kwargs), getattr(T, name)(root, *args, **kwargs))


def test_attributes(tmp_path):
    W.write_cmudict(tmp_path)
    assert E.CMUDict(tmp_path).symbols == T.CMUDict(tmp_path).symbols
    W.write_tedlium(tmp_path)
    assert E.TEDLIUM(tmp_path).phoneme_dict == T.TEDLIUM(tmp_path).phoneme_dict
    W.write_gtzan(tmp_path)
    assert e_gtzan.gtzan_genres == t_gtzan.gtzan_genres
    for subset in ["filtered_train", "filtered_valid", "filtered_test"]:
        assert getattr(e_gtzan, subset) == getattr(t_gtzan, subset)
    for subset in ["training", "validation", "testing"]:
        assert E.GTZAN(tmp_path, subset=subset)._walker == T.GTZAN(tmp_path, subset=subset)._walker
    assert E.GTZAN(tmp_path)[0][1:] == T.GTZAN(tmp_path)[0][1:]


ERRORS = [
    ("CMUARCTIC", ("slt",), {}),
    ("CMUDict", (), {}),
    ("DR_VCTK", ("dev",), {}),
    ("DR_VCTK", (), {}),
    ("FluentSpeechCommands", ("dev",), {}),
    ("GTZAN", (), {"subset": "train"}),
    ("IEMOCAP", (), {}),
    ("LibriLightLimited", ("9h",), {}),
    ("LibriLightLimited", (), {}),
    ("LibriMix", (), {"num_speakers": 3}),
    ("LibriSpeechBiasing", ("dev",), {}),
    ("LIBRITTS", ("test-clean",), {}),
    ("MUSDB_HQ", ("dev",), {}),
    ("MUSDB_HQ", ("test",), {}),
    ("QUESST14", ("dev",), {"language": "english"}),
    ("QUESST14", ("dev",), {}),
    ("Snips", ("train",), {"audio_format": "flac"}),
    ("TEDLIUM", ("release4",), {}),
    ("TEDLIUM", ("release2", "valid"), {}),
    ("VCTK_092", ("mic3",), {}),
    ("VoxCeleb1Verification", (), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), ERRORS, ids=[e[0] for e in ERRORS])
def test_same_errors(tmp_path, name, args, kwargs):
    caught = []
    for module in (E, T):
        root = tmp_path / module.__name__.split(".")[0]
        root.mkdir()
        with pytest.raises(Exception) as info:
            getattr(module, name)(str(root), *args, **kwargs)
        caught.append((type(info.value), str(info.value).replace(str(root), "ROOT")))
    assert caught[0] == caught[1]
