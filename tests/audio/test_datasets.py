"""emberaudio.datasets: tiny trees in the real on-disk layouts with real .wav/.flac files,
downloads served from memory, and offline fail-fast (no test touches the network)."""

import hashlib
import io
import os
import tarfile
import time

import numpy as np
import pytest
import soundfile

import ember
from ember.utils.data import DataLoader, Dataset
from emberaudio.datasets import (
    LIBRISPEECH,
    LJSPEECH,
    SPEECHCOMMANDS,
    YESNO,
    ljspeech,
    speechcommands,
    yesno,
)


def write_audio(path, sample_rate, frames=160, seed=0, subtype="PCM_16"):
    """A mono file (format from the suffix) of int16-exact samples; returns them as float."""
    rng = np.random.default_rng(seed)
    samples = rng.integers(-32768, 32768, size=frames).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, samples, sample_rate, subtype=subtype)
    return samples / 32768.0


def tar_bytes(folder, mode="w:gz", arcroot=None):
    """An archive of ``folder``'s files, stored under ``arcroot`` (default: the folder name)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        tar.add(folder, arcname=folder.name if arcroot is None else arcroot)
    return buffer.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# -------------------------------------------------------------------------------------- YESNO

YESNO_NAMES = ["0_0_0_0_1_1_1_1", "0_1_0_0_1_0_1_1", "1_1_1_1_0_0_0_0"]


def write_yesno(root):
    return {
        name: write_audio(root / "waves_yesno" / f"{name}.wav", 8000, seed=i)
        for i, name in enumerate(YESNO_NAMES)
    }


def test_yesno(tmp_path):
    samples = write_yesno(tmp_path)
    (tmp_path / "waves_yesno" / "README").write_text("not audio")
    ds = YESNO(tmp_path)
    assert isinstance(ds, Dataset) and len(ds) == 3
    waveform, sample_rate, labels = ds[1]
    assert sample_rate == 8000 and labels == [0, 1, 0, 0, 1, 0, 1, 1]
    assert waveform.dtype == ember.float32 and tuple(waveform.shape) == (1, 160)
    np.testing.assert_array_equal(waveform.numpy()[0], samples[YESNO_NAMES[1]])
    assert ds[-1][2] == [1, 1, 1, 1, 0, 0, 0, 0]
    with pytest.raises(RuntimeError, match=r"Dataset not found at .*waves_yesno"):
        YESNO(tmp_path / "elsewhere")


def test_yesno_download_offline_fails_fast(tmp_path, offline):
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        YESNO(tmp_path, download=True)
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    assert "waves_yesno.tar.gz" in message and str(tmp_path) in message
    assert offline == ["http://www.openslr.org/resources/1/waves_yesno.tar.gz"]
    assert os.listdir(tmp_path) == []  # nothing half-written


def test_yesno_download_checks_sha256_and_extracts(tmp_path, monkeypatch, serve_urls):
    source = tmp_path / "source"
    write_yesno(source)
    archive = tar_bytes(source / "waves_yesno")
    url = yesno._RELEASE_CONFIGS["release1"]["url"]

    monkeypatch.setitem(yesno._RELEASE_CONFIGS["release1"], "checksum", "0" * 64)
    calls = serve_urls({url: archive})
    with pytest.raises(RuntimeError, match=r"invalid hash value"):
        YESNO(tmp_path / "bad", download=True)
    assert not (tmp_path / "bad" / "waves_yesno.tar.gz").exists()

    monkeypatch.setitem(yesno._RELEASE_CONFIGS["release1"], "checksum", sha256(archive)[:16])
    root = tmp_path / "root"
    assert len(YESNO(root, download=True)) == 3
    assert (root / "waves_yesno.tar.gz").is_file()
    requested = len(calls)
    assert len(YESNO(root, download=True)) == 3  # already there: no network
    assert len(calls) == requested


# ----------------------------------------------------------------------------- SPEECHCOMMANDS


def write_speechcommands(root, version="speech_commands_v0.02"):
    base = root / "SpeechCommands" / version
    files = [
        "yes/004ae714_nohash_0.wav",
        "yes/004ae714_nohash_1.wav",
        "no/0132a06d_nohash_3.wav",
        "no/0137b3f4_nohash_0.wav",
        "up/0165e0e8_nohash_2.wav",
    ]
    for i, relpath in enumerate(files):
        write_audio(base / relpath, 16000, seed=10 + i)
    write_audio(base / "_background_noise_" / "white_noise.wav", 16000)
    write_audio(base / "_background_noise_" / "a_nohash_0.wav", 16000)
    (base / "validation_list.txt").write_text("no/0132a06d_nohash_3.wav\n")
    (base / "testing_list.txt").write_text("yes/004ae714_nohash_1.wav\nup/0165e0e8_nohash_2.wav\n")
    return base, files


def test_speechcommands_items_metadata_and_subsets(tmp_path):
    write_speechcommands(tmp_path)
    ds = SPEECHCOMMANDS(tmp_path)
    assert len(ds) == 5  # _background_noise_ left out
    assert ds.get_metadata(0) == (
        os.path.join("speech_commands_v0.02", "no", "0132a06d_nohash_3.wav"),
        16000,
        "no",
        "0132a06d",
        3,
    )
    waveform, sample_rate, label, speaker, utterance = ds[4]
    assert (sample_rate, label, speaker, utterance) == (16000, "yes", "004ae714", 1)
    assert tuple(waveform.shape) == (1, 160)

    def labels(subset):
        subset_ds = SPEECHCOMMANDS(tmp_path, subset=subset)
        metadata = [subset_ds.get_metadata(n) for n in range(len(subset_ds))]
        return sorted(f"{label}/{speaker}" for _, _, label, speaker, _ in metadata)

    assert labels("validation") == ["no/0132a06d"]
    assert labels("testing") == ["up/0165e0e8", "yes/004ae714"]
    assert labels("training") == ["no/0137b3f4", "yes/004ae714"]

    with pytest.raises(ValueError, match=r"must be one of"):
        SPEECHCOMMANDS(tmp_path, subset="train")
    with pytest.raises(RuntimeError, match=r"speech_commands_v0.01 doesn't exist"):
        SPEECHCOMMANDS(tmp_path, url="speech_commands_v0.01")


def test_speechcommands_checks_sample_rate(tmp_path):
    base, _ = write_speechcommands(tmp_path)
    write_audio(base / "yes" / "004ae714_nohash_0.wav", 8000)
    with pytest.raises(ValueError, match=r"sample rate should be 16000, but got 8000"):
        SPEECHCOMMANDS(tmp_path)[3]


def test_speechcommands_with_dataloader(tmp_path):
    write_speechcommands(tmp_path)
    loader = DataLoader(SPEECHCOMMANDS(tmp_path), batch_size=2)
    waveforms, rates, labels, speakers, utterances = next(iter(loader))
    assert tuple(waveforms.shape) == (2, 1, 160)
    assert rates.tolist() == [16000, 16000] and list(labels) == ["no", "no"]
    assert list(speakers) == ["0132a06d", "0137b3f4"] and utterances.tolist() == [3, 0]
    assert sum(len(batch[0]) for batch in loader) == 5


def test_speechcommands_download(tmp_path, monkeypatch, serve_urls):
    source, _ = write_speechcommands(tmp_path / "source", "speech_commands_v0.01")
    archive = tar_bytes(source, arcroot=".")  # the published archive has no top folder
    url = "http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz"
    monkeypatch.setitem(speechcommands._CHECKSUMS, url, sha256(archive))
    serve_urls({url: archive})
    ds = SPEECHCOMMANDS(tmp_path / "root", url="speech_commands_v0.01", download=True)
    assert len(ds) == 5 and ds.get_metadata(0)[0].startswith("speech_commands_v0.01")


def test_speechcommands_download_offline(tmp_path, offline):
    with pytest.raises(RuntimeError) as info:
        SPEECHCOMMANDS(tmp_path, download=True)
    assert "speech_commands_v0.02.tar.gz" in str(info.value) and str(tmp_path) in str(info.value)


# ------------------------------------------------------------------------------- LIBRISPEECH

TRANSCRIPTS = {
    "19-198-0000": "NORTHANGER ABBEY",
    "19-198-0001": "THIS LITTLE WORK WAS FINISHED IN THE YEAR EIGHTEEN O THREE",
    "26-495-0002": "HE WAS A MAN",
}


def write_librispeech(root, subset="dev-clean"):
    base = root / "LibriSpeech" / subset
    samples = {}
    for i, fileid in enumerate(TRANSCRIPTS):
        speaker, chapter, _ = fileid.split("-")
        samples[fileid] = write_audio(base / speaker / chapter / f"{fileid}.flac", 16000, seed=i)
    for speaker, chapter in [("19", "198"), ("26", "495")]:
        lines = [
            f"{k} {v}\n" for k, v in TRANSCRIPTS.items() if k.startswith(f"{speaker}-{chapter}-")
        ]
        (base / speaker / chapter / f"{speaker}-{chapter}.trans.txt").write_text("".join(lines))
    return samples


def test_librispeech(tmp_path):
    samples = write_librispeech(tmp_path)
    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    assert len(ds) == 3
    assert ds.get_metadata(1) == (
        os.path.join("dev-clean", "19", "198", "19-198-0001.flac"),
        16000,
        TRANSCRIPTS["19-198-0001"],
        19,
        198,
        1,
    )
    waveform, sample_rate, transcript, speaker, chapter, utterance = ds[2]
    assert (sample_rate, transcript, speaker, chapter, utterance) == (
        16000,
        "HE WAS A MAN",
        26,
        495,
        2,
    )
    np.testing.assert_array_equal(waveform.numpy()[0], samples["26-495-0002"])


def test_librispeech_errors(tmp_path):
    write_librispeech(tmp_path)
    with pytest.raises(ValueError, match=r"Invalid url 'dev'"):
        LIBRISPEECH(tmp_path, url="dev")
    with pytest.raises(RuntimeError, match=r"Dataset not found at .*test-clean"):
        LIBRISPEECH(tmp_path, url="test-clean")
    trans = tmp_path / "LibriSpeech" / "dev-clean" / "26" / "495" / "26-495.trans.txt"
    trans.write_text("26-495-0009 SOMETHING ELSE\n")
    with pytest.raises(FileNotFoundError, match=r"Translation not found for 26-495-0002"):
        LIBRISPEECH(tmp_path, url="dev-clean")[2]


def test_librispeech_download_offline(tmp_path, offline):
    with pytest.raises(RuntimeError) as info:
        LIBRISPEECH(tmp_path, url="dev-clean", download=True)
    assert "dev-clean.tar.gz" in str(info.value) and str(tmp_path) in str(info.value)
    assert offline == ["http://www.openslr.org/resources/12/dev-clean.tar.gz"]


# ---------------------------------------------------------------------------------- LJSPEECH

METADATA = [
    ("LJ001-0001", 'Printing, "in the only sense"', 'Printing, "in the only sense"'),
    ("LJ001-0002", "in being comparatively modern.", "in being comparatively modern."),
    ("LJ002-0003", "the 1st of May", "the first of May"),
]


def write_ljspeech(root):
    base = root / "LJSpeech-1.1"
    for i, (fileid, _, _) in enumerate(METADATA):
        write_audio(base / "wavs" / f"{fileid}.wav", 22050, seed=i)
    # pipe-separated, quotes kept as text (csv.QUOTE_NONE)
    (base / "metadata.csv").write_text("".join("|".join(row) + "\n" for row in METADATA))
    return base


def test_ljspeech(tmp_path):
    write_ljspeech(tmp_path)
    ds = LJSPEECH(tmp_path)
    assert len(ds) == 3
    waveform, sample_rate, transcript, normalized = ds[0]
    assert sample_rate == 22050 and tuple(waveform.shape) == (1, 160)
    assert transcript == 'Printing, "in the only sense"' == normalized
    assert ds[2][2:] == ("the 1st of May", "the first of May")
    with pytest.raises(RuntimeError, match=r"LJSpeech-1.1.*doesn't exist"):
        LJSPEECH(tmp_path / "nowhere")


def test_ljspeech_download_tar_bz2(tmp_path, monkeypatch, serve_urls):
    base = write_ljspeech(tmp_path / "source")
    archive = tar_bytes(base, mode="w:bz2")
    monkeypatch.setitem(ljspeech._RELEASE_CONFIGS["release1"], "checksum", sha256(archive))
    serve_urls({ljspeech._RELEASE_CONFIGS["release1"]["url"]: archive})
    ds = LJSPEECH(tmp_path / "root", download=True)
    assert len(ds) == 3 and ds[1][2] == "in being comparatively modern."


def test_ljspeech_download_offline(tmp_path, offline):
    with pytest.raises(RuntimeError) as info:
        LJSPEECH(tmp_path, download=True)
    assert "LJSpeech-1.1.tar.bz2" in str(info.value) and str(tmp_path) in str(info.value)
