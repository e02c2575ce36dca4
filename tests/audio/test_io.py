"""emberaudio.load / save / info: files written by soundfile and by the stdlib ``wave`` module
(an independent WAV writer and reader), read back sample for sample."""

import io
import wave

import numpy as np
import pytest
import soundfile

import ember
import emberaudio


def pcm16(n=400, channels=2, seed=0):
    """int16 samples, shape (time, channel), spanning the whole int16 range."""
    rng = np.random.default_rng(seed)
    samples = rng.integers(-32768, 32768, size=(n, channels), dtype=np.int16)
    samples[0] = -32768
    samples[1] = 32767
    return samples


def write_wave(path, samples, sample_rate, sampwidth):
    """A WAV file written by the standard library; samples are (time, channel) integers."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(sampwidth)
        w.setframerate(sample_rate)
        w.writeframes(samples.astype(f"<{'u' if sampwidth == 1 else 'i'}{sampwidth}").tobytes())


def read_wave(path):
    """(samples (time, channel), sample width, sample rate) read by the standard library."""
    with wave.open(str(path), "rb") as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    dtype = "<u1" if width == 1 else f"<i{width}"
    return np.frombuffer(raw, dtype).reshape(-1, channels), width, rate


# ------------------------------------------------------------------------------------ load


def test_load_int16_wav_written_by_wave(tmp_path):
    samples = pcm16()
    path = tmp_path / "a.wav"
    write_wave(path, samples, 8000, 2)

    waveform, sr = emberaudio.load(path)
    assert sr == 8000
    assert waveform.dtype == ember.float32 and tuple(waveform.shape) == (2, 400)
    np.testing.assert_array_equal(waveform.numpy(), samples.T / 32768.0)
    assert waveform.numpy().min() == -1.0

    raw, _ = emberaudio.load(str(path), normalize=False)
    assert raw.dtype == ember.int16
    np.testing.assert_array_equal(raw.numpy(), samples.T)

    time_first, _ = emberaudio.load(path, normalize=False, channels_first=False)
    assert tuple(time_first.shape) == (400, 2)
    np.testing.assert_array_equal(time_first.numpy(), samples)


def test_load_uint8_wav_keeps_unsigned_samples(tmp_path):
    rng = np.random.default_rng(1)
    samples = rng.integers(0, 256, size=(50, 1), dtype=np.uint8)
    path = tmp_path / "u8.wav"
    write_wave(path, samples, 16000, 1)

    raw, _ = emberaudio.load(path, normalize=False)
    assert raw.dtype == ember.uint8
    np.testing.assert_array_equal(raw.numpy(), samples.T)
    normalized, _ = emberaudio.load(path)
    np.testing.assert_array_equal(normalized.numpy(), (samples.T.astype(np.float32) - 128) / 128)


@pytest.mark.parametrize(
    "subtype, dtype, scale",
    [("PCM_32", ember.int32, 1), ("PCM_24", ember.int32, 256), ("PCM_16", ember.int16, 1)],
)
def test_load_integer_wav_written_by_soundfile(tmp_path, subtype, dtype, scale):
    bits = {"PCM_32": 32, "PCM_24": 24, "PCM_16": 16}[subtype]
    rng = np.random.default_rng(2)
    values = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(100, 3))
    path = tmp_path / "x.wav"
    # soundfile writes int32 arrays as left-aligned 32-bit samples
    soundfile.write(path, (values << (32 - bits)).astype(np.int32), 44100, subtype=subtype)

    raw, sr = emberaudio.load(path, normalize=False)
    assert sr == 44100 and raw.dtype == dtype
    np.testing.assert_array_equal(raw.numpy(), values.T * scale)
    normalized, _ = emberaudio.load(path)
    np.testing.assert_allclose(normalized.numpy(), values.T / 2.0 ** (bits - 1), rtol=1e-6)


@pytest.mark.parametrize("subtype, dtype", [("FLOAT", ember.float32), ("DOUBLE", ember.float64)])
def test_load_float_wav(tmp_path, subtype, dtype):
    data = np.random.default_rng(3).uniform(-1, 1, (60, 2))
    path = tmp_path / "f.wav"
    soundfile.write(path, data, 22050, subtype=subtype)
    raw, _ = emberaudio.load(path, normalize=False)
    assert raw.dtype == dtype
    np.testing.assert_allclose(raw.numpy(), data.T, rtol=1e-6)
    assert emberaudio.load(path)[0].dtype == ember.float32


def test_normalize_false_has_no_effect_on_flac(tmp_path):
    samples = pcm16(channels=1)
    path = tmp_path / "a.flac"
    soundfile.write(path, samples, 16000, subtype="PCM_16")
    waveform, _ = emberaudio.load(path, normalize=False)
    assert waveform.dtype == ember.float32
    np.testing.assert_array_equal(waveform.numpy(), samples.T / 32768.0)


def test_frame_offset_and_num_frames(tmp_path):
    samples = pcm16()
    path = tmp_path / "a.wav"
    write_wave(path, samples, 8000, 2)
    part, _ = emberaudio.load(path, frame_offset=10, num_frames=5, normalize=False)
    np.testing.assert_array_equal(part.numpy(), samples[10:15].T)
    rest, _ = emberaudio.load(path, frame_offset=390, normalize=False)
    np.testing.assert_array_equal(rest.numpy(), samples[390:].T)
    past_end, _ = emberaudio.load(path, frame_offset=1000)
    assert tuple(past_end.shape) == (2, 0)
    assert tuple(emberaudio.load(path, num_frames=0)[0].shape) == (2, 0)
    assert tuple(emberaudio.load(path, num_frames=10_000)[0].shape) == (2, 400)


def test_load_from_file_object(tmp_path):
    samples = pcm16()
    path = tmp_path / "a.wav"
    write_wave(path, samples, 8000, 2)
    with open(path, "rb") as f:
        waveform, _ = emberaudio.load(f, normalize=False)
    np.testing.assert_array_equal(waveform.numpy(), samples.T)
    buffer = io.BytesIO(path.read_bytes())
    assert emberaudio.load(buffer, frame_offset=3)[0].shape[1] == 397


def test_load_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(FileNotFoundError, match=r"missing.wav"):
        emberaudio.load(missing)

    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(200)))
    with pytest.raises(RuntimeError, match=r"corrupt.wav"):
        emberaudio.load(corrupt)
    with pytest.raises(RuntimeError, match=r"corrupt.wav"):
        emberaudio.info(corrupt)
    with pytest.raises(RuntimeError, match=r"BytesIO"):
        emberaudio.load(io.BytesIO(b"not audio at all"))

    good = tmp_path / "good.wav"
    write_wave(good, pcm16(), 8000, 2)
    with pytest.raises(ValueError, match=r"frame_offset"):
        emberaudio.load(good, frame_offset=-1)
    with pytest.raises(ValueError, match=r"num_frames"):
        emberaudio.load(good, num_frames=-2)
    with pytest.raises(ValueError, match=r"backend 'sox'"):
        emberaudio.load(good, backend="sox")

    ulaw = tmp_path / "ulaw.wav"
    soundfile.write(ulaw, np.zeros((10, 1)), 8000, subtype="ULAW")
    with pytest.raises(ValueError, match=r"Unsupported subtype: ULAW .*ulaw.wav"):
        emberaudio.load(ulaw, normalize=False)
    assert emberaudio.load(ulaw)[0].dtype == ember.float32


# ------------------------------------------------------------------------------------ save


def test_save_int16_tensor_read_back_by_wave(tmp_path):
    samples = pcm16()
    path = tmp_path / "out.wav"
    emberaudio.save(path, ember.from_numpy(samples.T.copy()), 8000)
    read, width, rate = read_wave(path)
    assert width == 2 and rate == 8000
    np.testing.assert_array_equal(read, samples)


def test_save_float_to_pcm16_round_trips(tmp_path):
    samples = pcm16(channels=1)
    waveform = ember.from_numpy((samples.T / 32768.0).astype(np.float32))
    path = tmp_path / "out.wav"
    emberaudio.save(path, waveform, 16000, bits_per_sample=16)
    read, width, _ = read_wave(path)
    assert width == 2
    np.testing.assert_array_equal(read, samples)
    loaded, sr = emberaudio.load(path)
    assert sr == 16000
    np.testing.assert_array_equal(loaded.numpy(), waveform.numpy())


def test_save_uint8_tensor_read_back_by_wave(tmp_path):
    samples = np.random.default_rng(4).integers(0, 256, size=(2, 30), dtype=np.uint8)
    path = tmp_path / "u8.wav"
    emberaudio.save(path, ember.from_numpy(samples), 8000)
    read, width, _ = read_wave(path)
    assert width == 1
    np.testing.assert_array_equal(read, samples.T)


# (format, tensor dtype, encoding, bits_per_sample) -> soundfile subtype, as torchaudio maps them
SUBTYPES = [
    ("wav", "float32", None, None, "FLOAT"),
    ("wav", "float64", None, None, "DOUBLE"),
    ("wav", "int32", None, None, "PCM_32"),
    ("wav", "int16", None, None, "PCM_16"),
    ("wav", "uint8", None, None, "PCM_U8"),
    ("wav", "float32", None, 8, "PCM_U8"),
    ("wav", "float32", None, 24, "PCM_24"),
    ("wav", "float32", "PCM_S", None, "PCM_32"),
    ("wav", "float32", "PCM_S", 16, "PCM_16"),
    ("wav", "float32", "PCM_U", None, "PCM_U8"),
    ("wav", "float32", "PCM_F", None, "FLOAT"),
    ("wav", "float32", "PCM_F", 64, "DOUBLE"),
    ("wav", "float32", "ULAW", None, "ULAW"),
    ("wav", "float32", "ALAW", 8, "ALAW"),
    ("flac", "float32", None, None, "PCM_16"),
    ("flac", "float32", None, 8, "PCM_S8"),
    ("flac", "float32", None, 24, "PCM_24"),
    ("ogg", "float32", None, None, "VORBIS"),
    ("sph", "float32", None, None, "PCM_32"),
]


@pytest.mark.filterwarnings("ignore:Saving audio with 24 bits")
@pytest.mark.parametrize("ext, dtype, encoding, bits, subtype", SUBTYPES)
def test_save_encoding_and_bits_map_to_subtypes(tmp_path, ext, dtype, encoding, bits, subtype):
    if dtype.startswith("float"):
        data = np.random.default_rng(5).uniform(-0.5, 0.5, (1, 800)).astype(dtype)
    else:
        data = np.zeros((1, 800), dtype=dtype)
    path = tmp_path / f"out.{ext}"
    emberaudio.save(path, ember.from_numpy(data), 8000, encoding=encoding, bits_per_sample=bits)
    assert soundfile.info(path).subtype == subtype
    if subtype in ("FLOAT", "DOUBLE", "PCM_32", "PCM_24", "PCM_16"):
        np.testing.assert_allclose(emberaudio.load(path)[0].numpy(), data, atol=2**-15)


def test_save_info_and_load_lossy_and_lossless_formats(tmp_path):
    t = np.arange(16000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
    stereo = ember.from_numpy(np.concatenate([tone, -tone]))

    with pytest.warns(UserWarning, match=r"24 bits"):
        emberaudio.save(tmp_path / "a.flac", stereo, 16000, bits_per_sample=24)
    meta = emberaudio.info(tmp_path / "a.flac")
    assert (meta.sample_rate, meta.num_frames, meta.num_channels) == (16000, 16000, 2)
    assert (meta.bits_per_sample, meta.encoding) == (24, "FLAC")
    np.testing.assert_allclose(
        emberaudio.load(tmp_path / "a.flac")[0].numpy(), stereo.numpy(), atol=1e-6
    )

    emberaudio.save(tmp_path / "a.ogg", stereo, 16000)
    meta = emberaudio.info(tmp_path / "a.ogg")
    assert (meta.num_channels, meta.bits_per_sample, meta.encoding) == (2, 0, "VORBIS")
    decoded, sr = emberaudio.load(tmp_path / "a.ogg")
    assert sr == 16000 and decoded.shape[0] == 2
    n = min(decoded.shape[1], 16000)
    correlation = np.corrcoef(decoded.numpy()[0, 2000:n], tone[0, 2000:n])[0, 1]
    assert correlation > 0.99

    emberaudio.save(tmp_path / "a.wav", stereo, 16000, encoding="PCM_S", bits_per_sample=16)
    meta = emberaudio.info(tmp_path / "a.wav")
    assert (meta.bits_per_sample, meta.encoding) == (16, "PCM_S")
    assert "sample_rate=16000" in repr(meta)


def test_save_1d_and_time_first(tmp_path):
    mono = ember.from_numpy(np.linspace(-1, 1, 50, dtype=np.float32))
    emberaudio.save(tmp_path / "mono.wav", mono, 8000)
    assert tuple(emberaudio.load(tmp_path / "mono.wav")[0].shape) == (1, 50)

    data = np.random.default_rng(6).uniform(-1, 1, (50, 3)).astype(np.float32)
    emberaudio.save(tmp_path / "tf.wav", ember.from_numpy(data), 8000, channels_first=False)
    np.testing.assert_array_equal(emberaudio.load(tmp_path / "tf.wav")[0].numpy(), data.T)


def test_save_to_file_object_needs_format():
    waveform = ember.zeros(1, 100)
    buffer = io.BytesIO()
    with pytest.raises(RuntimeError, match=r"`format` is required"):
        emberaudio.save(buffer, waveform, 8000)
    emberaudio.save(buffer, waveform, 8000, format="flac")
    buffer.seek(0)
    assert emberaudio.info(buffer).encoding == "FLAC"
    buffer.seek(0)
    assert tuple(emberaudio.load(buffer)[0].shape) == (1, 100)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(uri="a.flac", encoding="PCM_S"), ValueError, "flac does not support encoding"),
        (dict(uri="a.flac", bits_per_sample=32), ValueError, "bits_per_sample > 24"),
        (dict(uri="a.wav", encoding="PCM_S", bits_per_sample=8), ValueError, "8-bit signed"),
        (dict(uri="a.wav", encoding="PCM_U", bits_per_sample=16), ValueError, "8-bit unsigned"),
        (dict(uri="a.wav", encoding="PCM_F", bits_per_sample=16), ValueError, "32/64-bit float"),
        (dict(uri="a.wav", encoding="ULAW", bits_per_sample=16), ValueError, "8-bit mu-law"),
        (dict(uri="a.wav", encoding="GSM"), ValueError, "wav does not support GSM"),
        (dict(uri="a.wav", bits_per_sample=12), ValueError, "Invalid bits_per_sample"),
        (dict(uri="a.ogg", bits_per_sample=16), ValueError, "ogg/vorbis does not support"),
        (dict(uri="a.xyz"), ValueError, "Unsupported format: xyz"),
        (dict(uri="a.wav", sample_rate=0), ValueError, "sample_rate must be positive"),
        (dict(uri="a.wav", src=ember.zeros(1, 2, 3)), ValueError, "Expected 1D or 2D"),
        (dict(uri="a.wav", src=[0.0, 0.1]), ValueError, "Expected src to be an ember.Tensor"),
        (
            dict(uri="a.wav", src=ember.zeros(1, 4, dtype=ember.int64)),
            ValueError,
            "wav: ember.int64",
        ),
        (dict(uri="a.flac", src=ember.zeros(1, 4, dtype=ember.int64)), ValueError, "saving audio"),
        (dict(uri="a.wav", backend="ffmpeg"), ValueError, "backend 'ffmpeg'"),
    ],
)
def test_save_errors(tmp_path, kwargs, error, match):
    args = dict(src=ember.zeros(1, 10), sample_rate=8000) | kwargs
    args["uri"] = tmp_path / args["uri"]
    with pytest.raises(error, match=match):
        emberaudio.save(**args)


def test_save_warns_like_torchaudio(tmp_path):
    with pytest.warns(UserWarning, match=r"24 bits per sample might warp"):
        emberaudio.save(tmp_path / "a.wav", ember.zeros(1, 10), 8000, bits_per_sample=24)
    with pytest.warns(UserWarning, match=r'does not support "compression"'):
        emberaudio.save(tmp_path / "b.flac", ember.zeros(1, 10), 8000, compression=5)


def test_save_failure_names_the_file(tmp_path):
    target = tmp_path / "no_such_dir" / "out.wav"
    with pytest.raises(RuntimeError, match=r"out.wav"):
        emberaudio.save(target, ember.zeros(1, 10), 8000)


def test_save_from_device(device):
    waveform = ember.from_numpy(np.linspace(-1, 1, 64, dtype=np.float32)[None]).to(device)
    buffer = io.BytesIO()
    emberaudio.save(buffer, waveform, 8000, format="wav")
    buffer.seek(0)
    np.testing.assert_array_equal(emberaudio.load(buffer)[0].numpy(), waveform.cpu().numpy())
