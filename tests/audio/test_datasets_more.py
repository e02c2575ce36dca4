"""The rest of torchaudio's datasets in emberaudio: tiny trees in the real on-disk layouts (wav,
flac, mp3 and NIST SPHERE audio; txt, tsv, csv, lst and stm metadata), downloads served from
memory, and offline fail-fast (no test touches the network).

The ``write_*`` functions are shared with tests/parity/test_audio_datasets_more.py, which reads
the same trees with torchaudio.
"""

import hashlib
import io
import os
import time
import zipfile

import numpy as np
import pytest
import soundfile

import ember
from ember.utils.data import Dataset
from emberaudio.datasets import (
    CMUARCTIC,
    COMMONVOICE,
    DR_VCTK,
    GTZAN,
    IEMOCAP,
    LIBRITTS,
    MUSDB_HQ,
    QUESST14,
    TEDLIUM,
    VCTK_092,
    CMUDict,
    FluentSpeechCommands,
    LibriLightLimited,
    LibriMix,
    LibriSpeechBiasing,
    Snips,
    VoxCeleb1Identification,
    VoxCeleb1Verification,
    dr_vctk,
    gtzan,
)


def write_audio(path, sample_rate, frames=160, seed=0, channels=1, **kwargs):
    """A file (format from the suffix, or ``format=``) of int16-exact samples; returns them as
    float, ``(channels, frames)``."""
    rng = np.random.default_rng(seed)
    samples = rng.integers(-32768, 32768, size=(frames, channels)).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("subtype", None if str(path).endswith(".mp3") else "PCM_16")
    soundfile.write(path, samples, sample_rate, **kwargs)
    return samples.T / 32768.0


def zip_bytes(folder, arcroot):
    """A zip of ``folder``'s files, stored under ``arcroot``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, os.path.join(arcroot, path.relative_to(folder)))
    return buffer.getvalue()


def assert_waveform(waveform, expected):
    assert waveform.dtype == ember.float32
    np.testing.assert_array_equal(waveform.numpy(), expected)


# --------------------------------------------------------------------------------- CMUARCTIC

ARCTIC_LINES = [
    '( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )',
    '( arctic_a0002 "Not at this particular case, Tom, apologized Whittemore." )',
    '( arctic_b0003 "For the twentieth time that evening the two men shook hands." )',
]


def write_cmuarctic(root, speaker="aew"):
    base = root / "ARCTIC" / f"cmu_us_{speaker}_arctic"
    utterances = ["a0001", "a0002", "b0003"]
    samples = [
        write_audio(base / "wav" / f"arctic_{u}.wav", 16000, seed=i)
        for i, u in enumerate(utterances)
    ]
    (base / "etc").mkdir(parents=True)
    (base / "etc" / "txt.done.data").write_text("".join(line + "\n" for line in ARCTIC_LINES))
    return samples


def test_cmuarctic(tmp_path):
    samples = write_cmuarctic(tmp_path)
    ds = CMUARCTIC(tmp_path)
    assert isinstance(ds, Dataset) and len(ds) == 3
    waveform, sample_rate, transcript, utterance = ds[1]
    assert (sample_rate, utterance) == (16000, "a0002")
    assert transcript == "Not at this particular case, Tom, apologized Whittemore."
    assert_waveform(waveform, samples[1])
    assert ds[2][2:] == ("For the twentieth time that evening the two men shook hands.", "b0003")
    with pytest.raises(RuntimeError, match=r"cmu_us_slt_arctic doesn't exist"):
        CMUARCTIC(tmp_path, url="slt")


# ----------------------------------------------------------------------------------- CMUDict

CMUDICT = """;;; # CMUdict  --  Major Version: 0.07
!EXCLAMATION-POINT  EH2 K S K L AH0 M EY1 SH AH0 N P OY2 N T
"CLOSE-QUOTE  K L OW1 Z K W OW1 T
--DASH  D AE1 SH
...ELLIPSIS  IH2 L IH1 P S IH0 S
A  AH0
A(1)  EY1
ABBE  AE0 B EY1
\xc9TUDE  EY0 T UW1 D
"""


def write_cmudict(root):
    (root / "cmudict-0.7b").write_bytes(CMUDICT.encode("latin-1"))
    (root / "cmudict-0.7b.symbols").write_text("AA\nAA0\nAE\nAH0\n")


def test_cmudict(tmp_path):
    write_cmudict(tmp_path)
    ds = CMUDict(tmp_path)
    assert list(ds) == [
        ("A", ["AH0"]),
        ("A", ["EY1"]),
        ("ABBE", ["AE0", "B", "EY1"]),
        ("\xc9TUDE", ["EY0", "T", "UW1", "D"]),
    ]
    symbols = ds.symbols
    assert symbols == ["AA", "AA0", "AE", "AH0"]
    symbols.append("X")  # a copy
    assert len(ds.symbols) == 4
    with_punctuation = CMUDict(tmp_path, exclude_punctuations=False)
    assert len(with_punctuation) == 8
    assert [w for w, _ in list(with_punctuation)[:4]] == ["!", '"', "--", "..."]
    assert with_punctuation[2] == ("--", ["D", "AE1", "SH"])


def test_cmudict_errors(tmp_path):
    with pytest.raises(RuntimeError, match=r"The root directory does not exist; .*nowhere"):
        CMUDict(tmp_path / "nowhere")
    with pytest.raises(RuntimeError, match=r"The dictionary file is not found .*cmudict-0.7b$"):
        CMUDict(tmp_path)
    (tmp_path / "cmudict-0.7b").write_text("A  AH0\n")
    with pytest.raises(RuntimeError, match=r"The symbol file is not found .*0.7b.symbols$"):
        CMUDict(tmp_path)


def test_cmudict_download(tmp_path, serve_urls):
    url = "http://svn.code.sf.net/p/cmusphinx/code/trunk/cmudict/cmudict-0.7b"
    symbols = b"AA\nAH0\n"
    # the real files' checksums are pinned, so served bytes come through custom urls
    calls = serve_urls({"http://x/dict": CMUDICT.encode("latin-1"), "http://x/symbols": symbols})
    ds = CMUDict(tmp_path, download=True, url="http://x/dict", url_symbols="http://x/symbols")
    assert len(ds) == 4 and ds.symbols == ["AA", "AH0"]
    assert calls == ["http://x/dict", "http://x/symbols"]
    assert (tmp_path / "dict").is_file() and (tmp_path / "symbols").is_file()
    serve_urls({url: b"not the dictionary"})
    (tmp_path / "bad").mkdir()
    with pytest.raises(RuntimeError, match=r"invalid hash value"):
        CMUDict(tmp_path / "bad", download=True)
    assert list((tmp_path / "bad").iterdir()) == []


# ------------------------------------------------------------------------------- COMMONVOICE

COMMONVOICE_ROWS = [
    ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent"],
    ["c1", "common_voice_en_1.mp3", "Hello there.", "2", "0", "twenties", "male", ""],
    ["c2", "common_voice_en_2", "General Kenobi!", "3", "1", "", "", "us"],
]


def write_commonvoice(root):
    for i, row in enumerate(COMMONVOICE_ROWS[1:]):
        name = row[1] if row[1].endswith(".mp3") else row[1] + ".mp3"
        write_audio(root / "clips" / name, 48000, frames=4800, seed=i)
    (root / "train.tsv").write_text("".join("\t".join(row) + "\n" for row in COMMONVOICE_ROWS))


def test_commonvoice(tmp_path):
    write_commonvoice(tmp_path)
    ds = COMMONVOICE(tmp_path)
    assert len(ds) == 2
    waveform, sample_rate, row = ds[1]
    assert sample_rate == 48000 and waveform.shape[0] == 1 and waveform.dtype == ember.float32
    assert row == dict(zip(COMMONVOICE_ROWS[0], COMMONVOICE_ROWS[2]))  # ".mp3" appended
    assert ds[0][2]["sentence"] == "Hello there."
    (tmp_path / "bad.tsv").write_text("client_id\tfile\nc1\tcommon_voice_en_1.mp3\n")
    with pytest.raises(ValueError, match=r"expect `header\[1\]` to be 'path', but got file"):
        COMMONVOICE(tmp_path, tsv="bad.tsv")[0]


# ----------------------------------------------------------------------------------- DR_VCTK


def write_dr_vctk(root, subset="train"):
    base = root / "DR-VCTK" / "DR-VCTK"
    names = ["p226_001.wav", "p226_002.wav", "p287_010.wav"]
    clean, noisy = [], []
    for i, name in enumerate(names):
        clean.append(write_audio(base / f"clean_{subset}set_wav_16k" / name, 16000, seed=i))
        noisy.append(
            write_audio(base / f"device-recorded_{subset}set_wav_16k" / name, 16000, seed=9 + i)
        )
    header = "file\tsource\tchannel\n" + ("--------\n" if subset == "train" else "")
    rows = "p287_010.wav\tiPhone\t2\np226_002.wav\tPC\t1\np226_001.wav\tiPad\t3\n"
    (base / "configurations").mkdir()
    (base / "configurations" / f"{subset}_ch_log.txt").write_text(header + rows)
    return names, clean, noisy


@pytest.mark.parametrize("subset", ["train", "test"])
def test_dr_vctk(tmp_path, subset):
    _, clean, noisy = write_dr_vctk(tmp_path, subset)
    ds = DR_VCTK(tmp_path, subset)
    assert len(ds) == 3
    item = ds[2]
    assert item[1::2] == (16000, 16000, "010", 2)
    assert item[4:7] == ("p287", "010", "iPhone")
    assert_waveform(item[0], clean[2])
    assert_waveform(item[2], noisy[2])
    assert ds[0][4:] == ("p226", "001", "iPad", 3)


def test_dr_vctk_errors_and_archive(tmp_path, monkeypatch, serve_urls):
    with pytest.raises(RuntimeError, match=r"The subset 'dev' does not match"):
        DR_VCTK(tmp_path, "dev")
    with pytest.raises(RuntimeError, match=r"Dataset not found. Please use `download=True`"):
        DR_VCTK(tmp_path)
    write_dr_vctk(tmp_path / "source")
    archive = zip_bytes(tmp_path / "source" / "DR-VCTK" / "DR-VCTK", "DR-VCTK/DR-VCTK")
    monkeypatch.setattr(dr_vctk, "_CHECKSUM", hashlib.sha256(archive).hexdigest())
    serve_urls({dr_vctk._URL: archive})
    assert len(DR_VCTK(tmp_path / "root", download=True)) == 3
    # an archive already there is extracted without download=True
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "DR-VCTK.zip").write_bytes(archive)
    assert DR_VCTK(tmp_path / "other")[1][4:] == ("p226", "002", "PC", 1)


# ------------------------------------------------------------------------ FluentSpeechCommands

FSC_ROWS = [
    ",path,speakerId,transcription,action,object,location",
    "0,wavs/speakers/2BqVo8kVB2Skwgyb/0a3129c0-4474-11e9-a9a5-5dbec3b8816a.wav,2BqVo8kVB2Skwgyb,"
    "Change language,change language,none,none",
    "1,wavs/speakers/xRQE5VD7rRHVdyvM/0ee42a80-4474-11e9-a9a5-5dbec3b8816a.wav,xRQE5VD7rRHVdyvM,"
    '"Turn the lights on, please",activate,lights,none',
]


def write_fluent(root, subset="train"):
    base = root / "fluent_speech_commands_dataset"
    samples = []
    for i, row in enumerate(FSC_ROWS[1:]):
        samples.append(write_audio(base / row.split(",")[1], 16000, seed=i))
    (base / "data").mkdir(parents=True)
    (base / "data" / f"{subset}_data.csv").write_text("\n".join(FSC_ROWS) + "\n")
    return samples


def test_fluent_speech_commands(tmp_path):
    samples = write_fluent(tmp_path, "valid")
    ds = FluentSpeechCommands(tmp_path, "valid")
    assert len(ds) == 2
    assert ds.get_metadata(1) == (
        os.path.join(
            "wavs", "speakers", "xRQE5VD7rRHVdyvM", "0ee42a80-4474-11e9-a9a5-5dbec3b8816a.wav"
        ),
        16000,
        "0ee42a80-4474-11e9-a9a5-5dbec3b8816a",
        "xRQE5VD7rRHVdyvM",
        "Turn the lights on, please",
        "activate",
        "lights",
        "none",
    )
    item = ds[0]
    assert_waveform(item[0], samples[0])
    assert item[1:] == ds.get_metadata(0)[1:]
    with pytest.raises(ValueError, match=r"`subset` must be one of"):
        FluentSpeechCommands(tmp_path, "dev")
    with pytest.raises(RuntimeError, match=r"Dataset not found."):
        FluentSpeechCommands(tmp_path / "nowhere")


# ------------------------------------------------------------------------------------- GTZAN


def write_gtzan(root):
    base = root / "genres"
    names = ["blues.00000", "blues.00029", "jazz.00073", "rock.00001"]
    samples = {}
    for i, name in enumerate(names):
        samples[name] = write_audio(base / name.split(".")[0] / f"{name}.wav", 22050, seed=i)
    write_audio(base / "rock" / "rock.1.wav", 22050)  # not 5 digits
    write_audio(base / "rock" / "polka.00002.wav", 22050)  # not a genre
    write_audio(base / "polka" / "polka.00001.wav", 22050)  # not a GTZAN genre folder
    (base / "jazz" / "jazz.00074.au").write_bytes(b"")  # not a wav
    return samples


def test_gtzan(tmp_path):
    samples = write_gtzan(tmp_path)
    ds = GTZAN(tmp_path)
    assert ds._walker == ["blues.00000", "blues.00029", "jazz.00073", "rock.00001"]
    waveform, sample_rate, label = ds[2]
    assert (sample_rate, label) == (22050, "jazz")
    assert_waveform(waveform, samples["jazz.00073"])
    with pytest.raises(RuntimeError, match=r"Dataset not found"):
        GTZAN(tmp_path / "nowhere")
    with pytest.raises(ValueError, match=r"When `subset` is not None"):
        GTZAN(tmp_path, subset="train")


def test_gtzan_filtered_subsets(tmp_path):
    samples = write_gtzan(tmp_path)
    train = GTZAN(tmp_path, subset="training")
    valid = GTZAN(tmp_path, subset="validation")
    test = GTZAN(tmp_path, subset="testing")
    assert (len(train), len(valid), len(test)) == (443, 197, 290)
    assert train._walker[:2] == ["blues.00029", "blues.00030"] and train[0][2] == "blues"
    assert_waveform(train[0][0], samples["blues.00029"])
    assert valid._walker[0] == "blues.00000" and test._walker[-1] == "rock.00090"
    every = gtzan.filtered_train + gtzan.filtered_valid + gtzan.filtered_test
    assert len(set(every)) == 930 and every[443 + 197 - 1] == "rock.00085"
    assert "jazz.00073" in gtzan.filtered_test and "rock.00099" in gtzan.filtered_train


# ----------------------------------------------------------------------------------- IEMOCAP

IEMOCAP_LABELS = {
    "Ses01F_impro01": [("Ses01F_impro01_F000", "neu"), ("Ses01F_impro01_M001", "xxx")],
    "Ses01M_script01_1": [("Ses01M_script01_1_F002", "ang"), ("Ses01M_script01_1_M000", "fru")],
    "Ses02F_impro02": [("Ses02F_impro02_M003", "sad"), ("Ses02F_impro02_F009", "hap")],
}


def write_iemocap(root):
    base = root / "IEMOCAP"
    samples = {}
    for i, (dialog, utterances) in enumerate(IEMOCAP_LABELS.items()):
        session = base / f"Session{dialog[4]}"
        lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n", "\n"]
        for j, (stem, label) in enumerate(utterances):
            if stem != "Ses02F_impro02_F009":  # a label without audio
                wav = session / "sentences" / "wav" / dialog / f"{stem}.wav"
                samples[stem] = write_audio(wav, 16000, seed=10 * i + j)
            lines.append(f"[6.2 - 8.2]\t{stem}\t{label}\t[2.5, 2.5, 2.5]\n")
            lines.append(f"C-E1:\t{label};\t()\n")
        label_dir = session / "dialog" / "EmoEvaluation"
        label_dir.mkdir(parents=True, exist_ok=True)
        (label_dir / f"{dialog}.txt").write_text("".join(lines))
    return samples


def test_iemocap(tmp_path):
    samples = write_iemocap(tmp_path)
    ds = IEMOCAP(tmp_path)
    assert ds.data == [
        "Ses01F_impro01_F000",
        "Ses01M_script01_1_F002",
        "Ses01M_script01_1_M000",
        "Ses02F_impro02_M003",
    ]
    assert ds.get_metadata(1) == (
        os.path.join(
            "Session1", "sentences", "wav", "Ses01M_script01_1", "Ses01M_script01_1_F002.wav"
        ),
        16000,
        "Ses01M_script01_1_F002",
        "ang",
        "Ses01M",
    )
    waveform, *rest = ds[3]
    assert rest == [16000, "Ses02F_impro02_M003", "sad", "Ses02F"]
    assert_waveform(waveform, samples["Ses02F_impro02_M003"])
    assert IEMOCAP(tmp_path, sessions=(2,)).data == ["Ses02F_impro02_M003"]
    assert IEMOCAP(tmp_path, utterance_type="improvised").data == [
        "Ses01F_impro01_F000",
        "Ses02F_impro02_M003",
    ]
    assert len(IEMOCAP(tmp_path, sessions=(1,), utterance_type="scripted")) == 2
    with pytest.raises(ValueError, match=r"utterance_type must be one of"):
        IEMOCAP(tmp_path, utterance_type="acted")
    with pytest.raises(RuntimeError, match=r"Dataset not found."):
        IEMOCAP(tmp_path / "nowhere")


# ------------------------------------------------------------------------- LibriLightLimited


def write_librilight(root):
    base = root / "librispeech_finetuning"
    files = {
        "1h/0/clean": ("19", "198", "0001", "NORTHANGER ABBEY"),
        "1h/1/other": ("26", "495", "0003", "HE WAS A MAN"),
        "9h/clean": ("19", "227", "0010", "THE END"),
    }
    samples = {}
    for i, (folder, (speaker, chapter, utt, text)) in enumerate(files.items()):
        fileid = f"{speaker}-{chapter}-{utt}"
        chapter_dir = base / folder / speaker / chapter
        samples[fileid] = write_audio(chapter_dir / f"{fileid}.flac", 16000, seed=i)
        (chapter_dir / f"{speaker}-{chapter}.trans.txt").write_text(f"{fileid} {text}\n")
    return samples


def test_librilight_limited(tmp_path):
    samples = write_librilight(tmp_path)
    assert len(LibriLightLimited(tmp_path)) == 1
    assert len(LibriLightLimited(tmp_path, "1h")) == 2
    ds = LibriLightLimited(tmp_path, "10h")
    assert len(ds) == 3
    waveform, *rest = ds[2]
    assert rest == [16000, "THE END", 19, 227, 10]
    assert_waveform(waveform, samples["19-227-0010"])
    assert ds[1][2:] == ("HE WAS A MAN", 26, 495, 3)
    with pytest.raises(ValueError, match=r"`subset` must be one of"):
        LibriLightLimited(tmp_path, "9h")
    with pytest.raises(RuntimeError, match=r"Dataset not found. Please use `download=True`"):
        LibriLightLimited(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------- LibriMix


def write_librimix(root, num_speakers=2, sample_rate=8000, mode="min", subset="test"):
    base = root / f"Libri{num_speakers}Mix" / f"wav{sample_rate // 1000}k" / mode / subset
    names = ["19-198-0001_26-495-0002.wav", "103-1240-0000_1034-121119-0001.wav"]
    folders = ["mix_clean", "mix_both", "mix_single"] + [f"s{k + 1}" for k in range(num_speakers)]
    samples = {}
    for i, name in enumerate(names):
        for j, folder in enumerate(folders):
            samples[folder, name] = write_audio(base / folder / name, sample_rate, seed=10 * i + j)
    return sorted(names), samples


def test_librimix(tmp_path):
    names, samples = write_librimix(tmp_path)
    ds = LibriMix(tmp_path, subset="test")
    assert len(ds) == 2
    mix_dir = os.path.join("wav8k", "min", "test")
    assert ds.get_metadata(0) == (
        8000,
        os.path.join(mix_dir, "mix_clean", names[0]),
        [os.path.join(mix_dir, "s1", names[0]), os.path.join(mix_dir, "s2", names[0])],
    )
    sample_rate, mixture, sources = ds[1]
    assert sample_rate == 8000 and len(sources) == 2
    assert_waveform(mixture, samples["mix_clean", names[1]])
    assert_waveform(sources[1], samples["s2", names[1]])
    sample_rate, mixture, sources = LibriMix(tmp_path, subset="test", task="enh_both")[0]
    assert_waveform(mixture, samples["mix_both", names[0]])
    assert [s.numpy().tolist() for s in sources] == [samples["mix_clean", names[0]].tolist()]
    noisy = LibriMix(tmp_path, subset="test", task="sep_noisy").get_metadata(0)
    assert noisy[1] == os.path.join(mix_dir, "mix_both", names[0])


def test_librimix_errors(tmp_path):
    names, _ = write_librimix(tmp_path, sample_rate=16000)
    with pytest.raises(RuntimeError, match=r"Libri3Mix doesn't exist"):
        LibriMix(tmp_path, num_speakers=3)
    with pytest.raises(ValueError, match=r'Expect ``mode`` to be one in \["min", "max"\]'):
        LibriMix(tmp_path, mode="mean")
    with pytest.raises(ValueError, match=r"Unsupported sample rate. Found 22050."):
        LibriMix(tmp_path, sample_rate=22050)
    base = tmp_path / "Libri2Mix" / "wav16k" / "min" / "test"
    write_audio(base.parent.parent.parent / "wav8k" / "min" / "test" / "mix_clean" / "a.wav", 16000)
    with pytest.raises(ValueError, match=r"sample rate should be 8000, but got 16000"):
        LibriMix(tmp_path, subset="test", sample_rate=8000)[0]
    write_audio(base / "s2" / names[0], 16000, frames=100)
    with pytest.raises(ValueError, match=r"Different waveform shapes"):
        LibriMix(tmp_path, subset="test", sample_rate=16000)[0]


# ------------------------------------------------------------------------ LibriSpeechBiasing


def write_librispeech(root, subset="dev-clean"):
    transcripts = {
        "19-198-0000": "NORTHANGER ABBEY",
        "19-198-0001": "THIS LITTLE WORK WAS FINISHED IN THE YEAR THE YEAR",
    }
    chapter = root / "LibriSpeech" / subset / "19" / "198"
    samples = [write_audio(chapter / f"{k}.flac", 16000, seed=i) for i, k in enumerate(transcripts)]
    (chapter / "19-198.trans.txt").write_text("".join(f"{k} {v}\n" for k, v in transcripts.items()))
    return samples


def test_librispeech_biasing(tmp_path):
    samples = write_librispeech(tmp_path)
    ds = LibriSpeechBiasing(tmp_path, url="dev-clean", blist=["YEAR", "ABBEY", "WORK", "ZEBRA"])
    assert len(ds) == 2
    assert ds.get_metadata(1) == (
        os.path.join("dev-clean", "19", "198", "19-198-0001.flac"),
        16000,
        "THIS LITTLE WORK WAS FINISHED IN THE YEAR THE YEAR",
        19,
        198,
        1,
        ["WORK", "YEAR"],
    )
    waveform, *rest = ds[0]
    assert rest == [16000, "NORTHANGER ABBEY", 19, 198, 0, ["ABBEY"]]
    assert_waveform(waveform, samples[0])
    assert LibriSpeechBiasing(tmp_path, url="dev-clean")[1][-1] == []
    with pytest.raises(ValueError, match=r"Invalid url 'dev'"):
        LibriSpeechBiasing(tmp_path, url="dev")


# ----------------------------------------------------------------------------------- LIBRITTS


def write_libritts(root, subset="dev-clean"):
    base = root / "LibriTTS" / subset
    texts = {
        "84_121123_000007_000001": ("Go, do you hear?", "Go, do you hear?"),
        "84_121123_000008_000000": ("Mr. Smith's 2nd", "Mister Smith's second"),
        "174_50561_000010_000002": ("The end", "The end"),
    }
    samples = {}
    for i, (fileid, (original, normalized)) in enumerate(texts.items()):
        folder = base / fileid.split("_")[0] / fileid.split("_")[1]
        samples[fileid] = write_audio(folder / f"{fileid}.wav", 24000, seed=i)
        (folder / f"{fileid}.original.txt").write_text(original + "\nsecond line\n")
        (folder / f"{fileid}.normalized.txt").write_text(normalized)
    return samples


def test_libritts(tmp_path):
    samples = write_libritts(tmp_path)
    ds = LIBRITTS(tmp_path, url="dev-clean")
    assert len(ds) == 3
    waveform, *rest = ds[2]
    assert rest == [
        24000,
        "Mr. Smith's 2nd\n",
        "Mister Smith's second",
        84,
        121123,
        "84_121123_000008_000000",
    ]
    assert_waveform(waveform, samples["84_121123_000008_000000"])
    assert ds[0][4:] == (174, 50561, "174_50561_000010_000002")
    with pytest.raises(RuntimeError, match=r"LibriTTS.test-clean doesn't exist"):
        LIBRITTS(tmp_path, url="test-clean")


# ----------------------------------------------------------------------------------- MUSDB_HQ


def write_musdb(root, subset="train"):
    base = root / "musdb18hq" / subset
    tracks = ["A Classic Education - NightOwl", "Leaf - Summerghost", "Zeno - Signs"]
    sources = ["bass", "drums", "other", "vocals", "mixture"]
    samples = {}
    for i, track in enumerate(tracks):
        for j, source in enumerate(sources):
            samples[track, source] = write_audio(
                base / track / f"{source}.wav", 44100, frames=64, channels=2, seed=10 * i + j
            )
    (base / ".hidden").mkdir()
    return tracks, samples


def test_musdb_hq(tmp_path):
    tracks, samples = write_musdb(tmp_path)
    ds = MUSDB_HQ(tmp_path, "train")
    assert ds.names == tracks
    waveform, sample_rate, num_frames, name = ds[1]
    assert (sample_rate, num_frames, name) == (44100, 64, "Leaf - Summerghost")
    assert tuple(waveform.shape) == (4, 2, 64) and waveform.dtype == ember.float32
    np.testing.assert_array_equal(waveform.numpy()[3], samples["Leaf - Summerghost", "vocals"])
    ds = MUSDB_HQ(tmp_path, "train", sources=["mixture", "bass"], split="train")
    assert ds.names == [tracks[0], tracks[2]]
    assert_waveform(ds[1][0][0], samples[tracks[2], "mixture"])
    assert len(MUSDB_HQ(tmp_path, "train", split="validation")) == 14


def test_musdb_hq_errors(tmp_path):
    tracks, _ = write_musdb(tmp_path)
    with pytest.raises(ValueError, match=r"`subset` must be one of \['test', 'train'\]"):
        MUSDB_HQ(tmp_path, "dev")
    with pytest.raises(ValueError, match=r"`split` must be one of \['train', 'validation'\]"):
        MUSDB_HQ(tmp_path, "train", split="test")
    with pytest.raises(RuntimeError, match=r"Dataset not found. Please use `download=True`"):
        MUSDB_HQ(tmp_path, "test")
    base = tmp_path / "musdb18hq" / "train"
    write_audio(base / tracks[0] / "drums.wav", 44100, frames=63)
    with pytest.raises(ValueError, match=r"num_frames do not match across sources"):
        MUSDB_HQ(tmp_path, "train")[0]
    write_audio(base / tracks[0] / "bass.wav", 48000)
    with pytest.raises(ValueError, match=r"expected sample rate 44100, but got 48000"):
        MUSDB_HQ(tmp_path, "train")[0]


# ----------------------------------------------------------------------------------- QUESST14


def write_quesst14(root):
    base = root / "quesst14Database"
    entries = [
        ("Audio/quesst14_00001.wav", "nnenglish"),
        ("Audio/quesst14_00002.wav", "czech"),
        ("dev_queries/quesst14_dev_0001.wav", "nnenglish"),
        ("eval_queries/quesst14_eval_0001.wav", "basque"),
    ]
    samples = {}
    for i, (path, _) in enumerate(entries):
        samples[path] = write_audio(base / path, 8000, seed=i)
    (base / "scoring").mkdir()
    lists = {"utterances": entries[:2], "dev": entries[2:3], "eval": entries[3:]}
    for name, rows in lists.items():
        text = "".join(f"quesst14Database/{path} {lang}\n" for path, lang in rows)
        (base / "scoring" / f"language_key_{name}.lst").write_text(text)
    return samples


def test_quesst14(tmp_path):
    samples = write_quesst14(tmp_path)
    ds = QUESST14(tmp_path, "docs")
    assert len(ds) == 1
    assert ds.get_metadata(0) == (
        os.path.join("Audio", "quesst14_00001.wav"),
        8000,
        "quesst14_00001",
    )
    ds = QUESST14(tmp_path, "docs", language=None)
    waveform, sample_rate, name = ds[1]
    assert (sample_rate, name) == (8000, "quesst14_00002")
    assert_waveform(waveform, samples["Audio/quesst14_00002.wav"])
    assert QUESST14(tmp_path, "dev")[0][2] == "quesst14_dev_0001"
    assert len(QUESST14(tmp_path, "eval")) == 0 and len(QUESST14(tmp_path, "eval", "basque")) == 1
    with pytest.raises(ValueError, match=r"`subset` must be one of"):
        QUESST14(tmp_path, "test")
    with pytest.raises(ValueError, match=r"`language` must be None or one of"):
        QUESST14(tmp_path, "dev", language="english")
    with pytest.raises(RuntimeError, match=r"Dataset not found. Please use `download=True`"):
        QUESST14(tmp_path / "nowhere", "dev")


# -------------------------------------------------------------------------------------- Snips

# "<audio file name> BOS <transcript> EOS<TAB>O <IOB labels> <intent>"; a label is looked up by
# the audio file's name, and kept for a subset when the name contains the subset's name
SNIPS_LABELS = [
    "Amy-train-1 BOS turn the lights on EOS\tO O B-object O SwitchLightOn",
    "Brian-train-2 BOS play some jazz EOS\tO O O B-genre PlayMusic",
    "Zed-train-1 BOS stop EOS\tO O Stop",
    "Amy-valid-3 BOS louder EOS\tO O VolumeUp",
]


def write_snips(root):
    base = root / "SNIPS"
    samples = {}
    for i, line in enumerate(SNIPS_LABELS):
        name = line.split(" ")[0]
        samples[name] = write_audio(base / name.split("-")[1] / f"{name}.wav", 16000, seed=i)
    (base / "all.iob.snips.txt").write_text("".join(line + "\n" for line in SNIPS_LABELS))
    return samples


def test_snips(tmp_path):
    samples = write_snips(tmp_path)
    ds = Snips(tmp_path, "train", audio_format="wav")
    assert len(ds) == 2  # "Zed" is no Snips speaker
    assert ds.get_metadata(1) == (
        os.path.join("train", "Brian-train-2.wav"),
        16000,
        "Brian-train-2",
        "play some jazz",
        "O O B-genre",
        "PlayMusic",
    )
    waveform, *rest = ds[0]
    assert rest == [16000, "Amy-train-1", "turn the lights on", "O B-object O", "SwitchLightOn"]
    assert_waveform(waveform, samples["Amy-train-1"])
    assert len(Snips(tmp_path, "train", speakers=["Brian"], audio_format="wav")) == 1
    assert len(Snips(tmp_path, "train")) == 0  # no mp3 files
    with pytest.raises(ValueError, match=r"`subset` must be one of"):
        Snips(tmp_path, "dev")
    with pytest.raises(ValueError, match=r"`audio_format` must be one of"):
        Snips(tmp_path, "train", audio_format="flac")
    with pytest.raises(RuntimeError, match=r"Dataset not found."):
        Snips(tmp_path / "nowhere", "train")


# ------------------------------------------------------------------------------------ TEDLIUM

STM = {
    "AlGore_2009": [
        "AlGore_2009 1 AlGore_2009 0.01 0.03 <o,f0,male> last year i showed these two slides\n",
        "AlGore_2009 1 AlGore_2009 0.05 0.06 <o,f0,male> so that demonstrate\n",
    ],
    "BillGates_2010": ["BillGates_2010 1 BillGates 0.0 0.02 <o,f0,male> i'm going to talk\n"],
}


def write_tedlium(root, release="release1", subset="train"):
    folders = {
        "release1": f"TEDLIUM_release1/{subset}",
        "release2": f"TEDLIUM_release2/{subset}",
        "release3": "TEDLIUM_release-3/data"
        if subset == "train"
        else f"TEDLIUM_release-3/legacy/{subset}",
    }
    base = root / folders[release]
    samples = {}
    for i, (talk, lines) in enumerate(STM.items()):
        sph = base / "sph" / f"{talk}.sph"
        samples[talk] = write_audio(sph, 16000, frames=1600, seed=i, format="NIST")
        (base / "stm").mkdir(parents=True, exist_ok=True)
        (base / "stm" / f"{talk}.stm").write_text("".join(lines))
    (base / "stm" / "notes.txt").write_text("not a transcript")
    dictionary = "TEDLIUM.150K.dic" if release == "release1" else "TEDLIUM.152k.dic"
    (root / folders[release].split("/")[0] / dictionary).write_text(
        "hello HH AH0 L OW1\nuh\nthe DH AH0\n"
    )
    return samples


@pytest.mark.parametrize("release", ["release1", "release3"])
def test_tedlium(tmp_path, release):
    samples = write_tedlium(tmp_path, release)
    ds = TEDLIUM(tmp_path, release=release)
    assert len(ds) == 3
    waveform, sample_rate, transcript, talk, speaker, identifier = ds[1]
    assert (sample_rate, talk, speaker, identifier) == (
        16000,
        "AlGore_2009",
        "AlGore_2009",
        "<o,f0,male>",
    )
    assert transcript == "so that demonstrate\n"
    assert_waveform(waveform, samples["AlGore_2009"][:, 800:960])  # 0.05 s to 0.06 s
    assert tuple(ds[0][0].shape) == (1, 320) and ds[2][3:5] == ("BillGates_2010", "BillGates")
    phonemes = ds.phoneme_dict
    assert phonemes == {"hello": ("HH", "AH0", "L", "OW1"), "uh": (), "the": ("DH", "AH0")}
    phonemes.clear()  # a copy
    assert len(ds.phoneme_dict) == 3


def test_tedlium_subsets_and_errors(tmp_path):
    write_tedlium(tmp_path, "release3", "dev")
    assert len(TEDLIUM(tmp_path, release="release3", subset="dev")) == 3
    with pytest.raises(RuntimeError, match=r"The release release4 does not match"):
        TEDLIUM(tmp_path, release="release4")
    with pytest.raises(RuntimeError, match=r"The subset valid does not match"):
        TEDLIUM(tmp_path, release="release2", subset="valid")
    with pytest.raises(RuntimeError, match=r"TEDLIUM_release2.test doesn't exist"):
        TEDLIUM(tmp_path, release="release2", subset="test")


# ------------------------------------------------------------------------------------ VCTK_092


def write_vctk(root):
    base = root / "VCTK-Corpus-0.92"
    texts = {
        "p225": ["001", "002"],
        "p280": ["001"],
        "p362": ["001", "002"],
        "p315": [],
    }
    samples = {}
    for i, (speaker, utterances) in enumerate(texts.items()):
        (base / "txt" / speaker).mkdir(parents=True)
        for j, utt in enumerate(utterances):
            (base / "txt" / speaker / f"{speaker}_{utt}.txt").write_text(f"Text {speaker} {utt}.\n")
            for mic in ["mic1", "mic2"]:
                if speaker == "p362" and utt == "002" and mic == "mic2":
                    continue
                if speaker == "p280" and mic == "mic2":
                    continue
                name = f"{speaker}_{utt}_{mic}.flac"
                path = base / "wav48_silence_trimmed" / speaker / name
                samples[name] = write_audio(path, 48000, seed=10 * i + j + (mic == "mic2"))
    return samples


def test_vctk(tmp_path):
    samples = write_vctk(tmp_path)
    ds = VCTK_092(tmp_path)
    assert ds._sample_ids == [["p225", "001"], ["p225", "002"], ["p362", "001"]]
    waveform, sample_rate, transcript, speaker, utterance = ds[1]
    assert (sample_rate, transcript, speaker, utterance) == (
        48000,
        "Text p225 002.\n",
        "p225",
        "002",
    )
    assert_waveform(waveform, samples["p225_002_mic2.flac"])
    mic1 = VCTK_092(tmp_path, mic_id="mic1")
    assert len(mic1) == 5 and mic1[2][3:] == ("p280", "001")
    assert_waveform(mic1[4][0], samples["p362_002_mic1.flac"])
    with pytest.raises(
        RuntimeError, match=r'`mic_id` has to be either "mic1" or "mic2". Found: mic3'
    ):
        VCTK_092(tmp_path, mic_id="mic3")
    with pytest.raises(RuntimeError, match=r"Dataset not found. Please use `download=True`"):
        VCTK_092(tmp_path / "nowhere")


# --------------------------------------------------------------------------------- VoxCeleb1

VOX_FILES = [
    "id10001/1zcIwhmdeo4/00001.wav",
    "id10001/1zcIwhmdeo4/00002.wav",
    "id10270/x6uYqmx31kE/00001.wav",
    "id10309/0cYFdtyWVds/00005.wav",
]


def write_voxceleb1(root):
    samples = {p: write_audio(root / "wav" / p, 16000, seed=i) for i, p in enumerate(VOX_FILES)}
    (root / "iden_split.txt").write_text(
        f"1 {VOX_FILES[1]}\n1 {VOX_FILES[0]}\n2 {VOX_FILES[2]}\n3 {VOX_FILES[3]}\n"
    )
    (root / "veri_test.txt").write_text(
        f"1 {VOX_FILES[0]} {VOX_FILES[1]}\n0 {VOX_FILES[2]} {VOX_FILES[3]}\n"
    )
    return samples


def test_voxceleb1_identification(tmp_path):
    samples = write_voxceleb1(tmp_path)
    ds = VoxCeleb1Identification(tmp_path)
    assert len(ds) == 2
    assert ds.get_metadata(0) == (VOX_FILES[0], 16000, 1, "id10001-1zcIwhmdeo4-00001")
    waveform, *rest = ds[1]
    assert rest == [16000, 1, "id10001-1zcIwhmdeo4-00002"]
    assert_waveform(waveform, samples[VOX_FILES[1]])
    assert VoxCeleb1Identification(tmp_path, "dev")[0][2] == 270
    assert (
        VoxCeleb1Identification(tmp_path, "test").get_metadata(0)[3] == "id10309-0cYFdtyWVds-00005"
    )
    with pytest.raises(ValueError, match=r"`subset` must be one of"):
        VoxCeleb1Identification(tmp_path, "valid")


def test_voxceleb1_verification(tmp_path):
    samples = write_voxceleb1(tmp_path)
    ds = VoxCeleb1Verification(tmp_path)
    assert len(ds) == 2
    assert ds.get_metadata(1) == (
        VOX_FILES[2],
        VOX_FILES[3],
        16000,
        0,
        "id10270-x6uYqmx31kE-00001",
        "id10309-0cYFdtyWVds-00005",
    )
    spk1, spk2, *rest = ds[0]
    assert rest == [16000, 1, "id10001-1zcIwhmdeo4-00001", "id10001-1zcIwhmdeo4-00002"]
    assert_waveform(spk1, samples[VOX_FILES[0]])
    assert_waveform(spk2, samples[VOX_FILES[1]])
    with pytest.raises(
        RuntimeError, match=r"Dataset not found at .*wav. Please set `download=True`"
    ):
        VoxCeleb1Verification(tmp_path / "nowhere")


def test_voxceleb1_meta_list_offline(tmp_path, offline):
    write_voxceleb1(tmp_path)
    (tmp_path / "iden_split.txt").unlink()
    with pytest.raises(RuntimeError) as info:
        VoxCeleb1Identification(tmp_path)
    assert "iden_split.txt" in str(info.value) and str(tmp_path) in str(info.value)
    assert offline == ["https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/iden_split.txt"]


def test_voxceleb1_download_joins_parts(tmp_path, monkeypatch, serve_urls):
    from emberaudio.datasets import voxceleb1

    source = tmp_path / "source"
    write_voxceleb1(source)
    dev = zip_bytes(source / "wav" / "id10001", "wav/id10001")
    test = zip_bytes(source / "wav" / "id10270", "wav/id10270")
    config = voxceleb1._ARCHIVE_CONFIGS
    parts = [dev[:100], dev[100:200], dev[200:300], dev[300:]]
    monkeypatch.setitem(config["dev"], "checksums", [hashlib.sha256(p).hexdigest() for p in parts])
    monkeypatch.setitem(config["test"], "checksum", hashlib.sha256(test).hexdigest())
    serve_urls({**dict(zip(config["dev"]["urls"], parts)), config["test"]["url"]: test})
    root = tmp_path / "root"
    root.mkdir()
    (root / "veri_test.txt").write_text(f"1 {VOX_FILES[0]} {VOX_FILES[2]}\n")
    ds = VoxCeleb1Verification(root, download=True)
    assert ds[0][4:] == ("id10001-1zcIwhmdeo4-00001", "id10270-x6uYqmx31kE-00001")
    assert (root / "vox1_dev_wav.zip").read_bytes() == dev


# ------------------------------------------------------------------------------ offline downloads

OFFLINE = [
    (lambda root: CMUARCTIC(root, url="slt", download=True),
     "http://www.festvox.org/cmu_arctic/packed/cmu_us_slt_arctic.tar.bz2", "ARCTIC"),
    (lambda root: CMUDict(root, download=True),
     "http://svn.code.sf.net/p/cmusphinx/code/trunk/cmudict/cmudict-0.7b", ""),
    (lambda root: DR_VCTK(root, download=True),
     "https://datashare.ed.ac.uk/bitstream/handle/10283/3038/DR-VCTK.zip", ""),
    (lambda root: GTZAN(root, download=True), "http://opihi.cs.uvic.ca/sound/genres.tar.gz", ""),
    (lambda root: LibriLightLimited(root, download=True),
     "https://dl.fbaipublicfiles.com/librilight/data/librispeech_finetuning.tgz", ""),
    (lambda root: LibriSpeechBiasing(root, url="test-other", download=True),
     "http://www.openslr.org/resources/12/test-other.tar.gz", ""),
    (lambda root: LIBRITTS(root, url="dev-other", download=True),
     "http://www.openslr.org/resources/60/dev-other.tar.gz", ""),
    (lambda root: MUSDB_HQ(root, "test", download=True),
     "https://zenodo.org/record/3338373/files/musdb18hq.zip", ""),
    (lambda root: QUESST14(root, "dev", download=True),
     "https://speech.fit.vutbr.cz/files/quesst14Database.tgz", ""),
    (lambda root: TEDLIUM(root, release="release3", download=True),
     "http://www.openslr.org/resources/51/TEDLIUM_release-3.tgz", ""),
    (lambda root: VCTK_092(root, download=True),
     "https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip", ""),
    (lambda root: VoxCeleb1Identification(root, download=True),
     "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/vox1_dev_wav_partaa", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "url", "folder"), OFFLINE, ids=[u.split("/")[-1] for _, u, _ in OFFLINE]
)
def test_download_offline_fails_fast(tmp_path, offline, make, url, folder):
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        make(tmp_path)
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    assert url in message and os.path.basename(url) in message
    assert "place these files" in message and str(tmp_path / folder) in message
    assert offline == [url]
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing half-written
