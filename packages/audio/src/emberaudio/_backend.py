"""Audio file I/O through soundfile (libsndfile): ``load``, ``save`` and ``info``.

torchaudio 2.9+ decodes through TorchCodec; its ``load``/``save`` keep the signatures of the
2.x backend dispatcher, whose "soundfile" backend (torchaudio 2.8,
``torchaudio/_backend/soundfile_backend.py``) this module follows: the same ``normalize=False``
rule for integer WAV, the same encoding / bits-per-sample table for ``save``, the same
``AudioMetaData`` for ``info``.
"""

from __future__ import annotations

import errno
import os
import warnings

import numpy as np
import soundfile

import ember

__all__ = ["AudioMetaData", "info", "load", "save"]


class AudioMetaData:
    """Metadata of an audio file, as returned by :func:`info`.

    Attributes:
        sample_rate (int): Sample rate.
        num_frames (int): Number of frames (samples per channel).
        num_channels (int): Number of channels.
        bits_per_sample (int): Bits per sample; 0 for lossy or variable-depth encodings.
        encoding (str): ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"``,
            ``"FLAC"``, ``"VORBIS"`` or ``"UNKNOWN"``.
    """

    def __init__(self, sample_rate, num_frames, num_channels, bits_per_sample, encoding):
        self.sample_rate = sample_rate
        self.num_frames = num_frames
        self.num_channels = num_channels
        self.bits_per_sample = bits_per_sample
        self.encoding = encoding

    def __repr__(self):
        return (
            f"AudioMetaData(sample_rate={self.sample_rate}, num_frames={self.num_frames}, "
            f"num_channels={self.num_channels}, bits_per_sample={self.bits_per_sample}, "
            f"encoding={self.encoding})"
        )


# soundfile subtype -> (bits per sample, torchaudio encoding name). Lossy and ADPCM subtypes
# report 0 bits, as torchaudio's soundfile backend does.
_SUBTYPE_INFO = {
    "PCM_S8": (8, "PCM_S"),
    "PCM_16": (16, "PCM_S"),
    "PCM_24": (24, "PCM_S"),
    "PCM_32": (32, "PCM_S"),
    "PCM_U8": (8, "PCM_U"),
    "FLOAT": (32, "PCM_F"),
    "DOUBLE": (64, "PCM_F"),
    "ULAW": (8, "ULAW"),
    "ALAW": (8, "ALAW"),
    "IMA_ADPCM": (0, "UNKNOWN"),
    "MS_ADPCM": (0, "UNKNOWN"),
    "GSM610": (0, "UNKNOWN"),
    "VOX_ADPCM": (0, "UNKNOWN"),
    "G721_32": (0, "UNKNOWN"),
    "G723_24": (0, "UNKNOWN"),
    "G723_40": (0, "UNKNOWN"),
    "DWVW_12": (12, "UNKNOWN"),
    "DWVW_16": (16, "UNKNOWN"),
    "DWVW_24": (24, "UNKNOWN"),
    "DWVW_N": (0, "UNKNOWN"),
    "DPCM_8": (8, "UNKNOWN"),
    "DPCM_16": (16, "UNKNOWN"),
    "VORBIS": (0, "VORBIS"),
    "OPUS": (0, "UNKNOWN"),
    "ALAC_16": (16, "UNKNOWN"),
    "ALAC_20": (20, "UNKNOWN"),
    "ALAC_24": (24, "UNKNOWN"),
    "ALAC_32": (32, "UNKNOWN"),
}

# WAV subtype -> (dtype soundfile reads it as, right shift back to the stored width, offset,
# dtype ``load(normalize=False)`` returns). soundfile reads 8-bit PCM only widened to int16
# (value << 8), and 24-bit PCM left-aligned in int32, which is returned as is (torchaudio
# documents "24-bit signed PCM are converted to int32 tensors").
_RAW_READ = {
    "PCM_U8": ("int16", 8, 128, "uint8"),
    "PCM_S8": ("int16", 8, 0, "int8"),
    "PCM_16": ("int16", 0, 0, "int16"),
    "PCM_24": ("int32", 0, 0, "int32"),
    "PCM_32": ("int32", 0, 0, "int32"),
    "FLOAT": ("float32", 0, 0, "float32"),
    "DOUBLE": ("float64", 0, 0, "float64"),
}


def _describe(uri):
    """How an error message names ``uri``: the path, or the file object's name or repr."""
    if hasattr(uri, "read") or hasattr(uri, "write"):
        return repr(getattr(uri, "name", uri))
    return repr(os.fspath(uri))


def _check_backend(backend):
    if backend not in (None, "soundfile"):
        raise ValueError(
            f"backend {backend!r} is not available: emberaudio reads and writes audio through "
            "soundfile only (pass backend=None or 'soundfile')"
        )


def _open(uri):
    """``soundfile.SoundFile(uri)`` with errors that name the file."""
    if not (hasattr(uri, "read") or os.path.exists(uri)):
        raise FileNotFoundError(errno.ENOENT, "No such audio file", os.fspath(uri))
    try:
        return soundfile.SoundFile(uri, "r")
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise RuntimeError(f"Failed to open the audio file {_describe(uri)}: {error}") from None


def info(uri, format=None, buffer_size=4096, backend=None):
    """Get signal information of an audio file.

    ``torchaudio.info`` was removed in torchaudio 2.9; emberaudio keeps it (under torchaudio
    2.8's signature and soundfile-backend semantics) because it reads only the header.

    Args:
        uri (path-like object or file-like object): Source of audio data.
        format (str or None, optional): Not used; libsndfile detects the format.
        buffer_size (int, optional): Not used.
        backend (str or None, optional): ``None`` or ``"soundfile"``.

    Returns:
        AudioMetaData: meta data of the given audio.

    Raises:
        FileNotFoundError: ``uri`` is a path that does not exist.
        RuntimeError: the file is not audio libsndfile can read (the message names it).
    """
    _check_backend(backend)
    with _open(uri) as f:
        bits, encoding = _SUBTYPE_INFO.get(f.subtype, (0, "UNKNOWN"))
        if f.format == "FLAC":
            encoding = "FLAC"
        return AudioMetaData(f.samplerate, f.frames, f.channels, bits, encoding)


def _read_plan(f, normalize, name):
    """(dtype soundfile reads as, right shift, offset, dtype returned) for ``load``."""
    if normalize or f.format not in ("WAV", "WAVEX"):
        return "float32", 0, 0, "float32"
    if f.subtype not in _RAW_READ:
        raise ValueError(f"Unsupported subtype: {f.subtype} (in {name}) with normalize=False")
    return _RAW_READ[f.subtype]


def load(
    uri,
    frame_offset=0,
    num_frames=-1,
    normalize=True,
    channels_first=True,
    format=None,
    buffer_size=4096,
    backend=None,
):
    """Load audio data from a file.

    By default (``normalize=True``, ``channels_first=True``), this function returns a Tensor
    with ``float32`` dtype and the shape of `[channel, time]`, with values in [-1, 1].

    .. warning::

       ``normalize`` does not perform volume normalization. It only converts the sample type
       to ``float32`` from the native sample type.

       When the input is an integer WAV (32-, 24- or 16-bit signed, 8-bit unsigned PCM),
       ``normalize=False`` returns the samples over the whole range of their integer dtype:
       ``int32`` for 32-bit signed PCM, ``int16`` for 16-bit signed PCM and ``uint8`` for
       8-bit unsigned PCM; 24-bit signed PCM is returned as ``int32`` (left-aligned, i.e.
       multiplied by 256). A 64-bit float WAV gives ``float64``. ``normalize`` has no effect on
       32-bit float WAV and on other formats such as FLAC and OGG/Vorbis.

    Args:
        uri (path-like object or file-like object): Source of audio data: a path, or an
            object with ``read(size) -> bytes`` (and ``seek``/``tell``).
        frame_offset (int, optional): Number of frames to skip before reading data.
        num_frames (int, optional): Maximum number of frames to read. ``-1`` reads all the
            remaining samples, starting from ``frame_offset``. Fewer frames are returned when
            the file has fewer.
        normalize (bool, optional): When ``True``, converts the native sample type to
            ``float32``. If the input is integer WAV, ``False`` gives an integer tensor.
            Default: ``True``.
        channels_first (bool, optional): When True, the returned Tensor has dimension
            `[channel, time]`. Otherwise, `[time, channel]`.
        format (str or None, optional): Not used: libsndfile detects the format from the
            file's contents.
        buffer_size (int, optional): Not used.
        backend (str or None, optional): ``None`` or ``"soundfile"``, the only backend.

    Returns:
        (Tensor, int): Resulting Tensor and sample rate.

    Raises:
        FileNotFoundError: ``uri`` is a path that does not exist.
        RuntimeError: the file is truncated, corrupt or not audio (the message names it).
        ValueError: bad ``frame_offset``/``num_frames``, or ``normalize=False`` on a WAV
            subtype with no integer dtype (mu-law, a-law, ADPCM).
    """
    _check_backend(backend)
    if frame_offset < 0:
        raise ValueError(f"frame_offset must be non-negative, got {frame_offset}")
    if num_frames < -1:
        raise ValueError(f"num_frames must be -1 or non-negative, got {num_frames}")
    name = _describe(uri)
    with _open(uri) as f:
        read_as, shift, offset, dtype = _read_plan(f, normalize, name)
        try:
            if frame_offset:
                f.seek(min(frame_offset, f.frames))
            array = f.read(num_frames, dtype=read_as, always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError) as error:
            raise RuntimeError(f"Failed to decode the audio file {name}: {error}") from None
        sample_rate = f.samplerate
    if shift:
        array = ((array >> shift) + offset).astype(dtype)
    waveform = ember.from_numpy(np.ascontiguousarray(array.T if channels_first else array))
    return waveform, sample_rate


# --------------------------------------------------------------------------------------- save


def _subtype_for_wav(dtype, encoding, bits_per_sample):
    if not encoding:
        if not bits_per_sample:
            subtype = _WAV_DEFAULT_SUBTYPE.get(dtype)
            if subtype is None:
                raise ValueError(f"Unsupported dtype for wav: {dtype}")
            return subtype
        return "PCM_U8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if encoding == "PCM_S":
        if not bits_per_sample:
            return "PCM_32"
        if bits_per_sample == 8:
            raise ValueError("wav does not support 8-bit signed PCM encoding.")
        return f"PCM_{bits_per_sample}"
    if encoding == "PCM_U":
        if bits_per_sample in (None, 8):
            return "PCM_U8"
        raise ValueError("wav only supports 8-bit unsigned PCM encoding.")
    if encoding == "PCM_F":
        if bits_per_sample in (None, 32):
            return "FLOAT"
        if bits_per_sample == 64:
            return "DOUBLE"
        raise ValueError("wav only supports 32/64-bit float PCM encoding.")
    if encoding in ("ULAW", "ALAW"):
        if bits_per_sample in (None, 8):
            return encoding
        kind = "mu-law" if encoding == "ULAW" else "a-law"
        raise ValueError(f"wav only supports 8-bit {kind} encoding.")
    raise ValueError(f"wav does not support {encoding}.")


def _subtype_for_sphere(encoding, bits_per_sample):
    if encoding in (None, "PCM_S"):
        return f"PCM_{bits_per_sample}" if bits_per_sample else "PCM_32"
    if encoding in ("PCM_U", "PCM_F"):
        raise ValueError(f"sph does not support {encoding} encoding.")
    if encoding == "ULAW":
        if bits_per_sample in (None, 8):
            return "ULAW"
        raise ValueError("sph only supports 8-bit for mu-law encoding.")
    if encoding == "ALAW":
        return "ALAW"
    raise ValueError(f"sph does not support {encoding}.")


def _subtype(dtype, ext, encoding, bits_per_sample):
    """The soundfile subtype for a format (file extension), encoding and bit depth."""
    if ext == "wav":
        return _subtype_for_wav(dtype, encoding, bits_per_sample)
    if ext == "flac":
        if encoding:
            raise ValueError("flac does not support encoding.")
        if not bits_per_sample:
            return "PCM_16"
        if bits_per_sample > 24:
            raise ValueError("flac does not support bits_per_sample > 24.")
        return "PCM_S8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if ext in ("ogg", "vorbis"):
        if bits_per_sample:
            raise ValueError("ogg/vorbis does not support bits_per_sample.")
        if encoding is None or encoding == "vorbis":
            return "VORBIS"
        if encoding == "opus":
            return "OPUS"
        raise ValueError(f"Unexpected encoding: {encoding}")
    if ext == "mp3":
        return "MPEG_LAYER_III"
    if ext == "sph":
        return _subtype_for_sphere(encoding, bits_per_sample)
    if ext in ("nis", "nist"):
        return "PCM_16"
    raise ValueError(f"Unsupported format: {ext}")


_WAV_DEFAULT_SUBTYPE = {
    ember.uint8: "PCM_U8",
    ember.int16: "PCM_16",
    ember.int32: "PCM_32",
    ember.float32: "FLOAT",
    ember.float64: "DOUBLE",
}

# soundfile writes float32/float64 (scaled from [-1, 1]) and int16/int32 (full scale) arrays;
# 8-bit integer samples are widened to int16 full scale, as libsndfile itself widens them.
_WRITE_WIDEN = {ember.uint8: -128, ember.int8: 0}
_WRITE_DIRECT = (ember.float32, ember.float64, ember.int16, ember.int32)


def _samples_for_soundfile(src):
    array = src.detach().cpu().numpy()
    if src.dtype in _WRITE_DIRECT:
        return array
    if src.dtype in _WRITE_WIDEN:
        return (array.astype(np.int16) + _WRITE_WIDEN[src.dtype]) << 8
    raise ValueError(
        f"Unsupported dtype for saving audio: {src.dtype} "
        "(expected float32, float64, int32, int16, uint8 or int8)"
    )


def save(
    uri,
    src,
    sample_rate,
    channels_first=True,
    format=None,
    encoding=None,
    bits_per_sample=None,
    buffer_size=4096,
    backend=None,
    compression=None,
):
    """Save audio data to a file.

    Floating-point samples are expected in [-1, 1]; integer samples span their dtype's range.
    The format is taken from ``format``, else from the file extension.

    Supported formats / encodings / bit depths (as torchaudio's soundfile backend):

    ``"wav"``: 32/64-bit float PCM (``"PCM_F"``), 32/24/16-bit signed integer PCM
    (``"PCM_S"``), 8-bit unsigned integer PCM (``"PCM_U"``), 8-bit mu-law (``"ULAW"``) and
    a-law (``"ALAW"``). Without ``encoding`` and ``bits_per_sample`` the subtype follows the
    dtype of ``src``: uint8 -> PCM_U8, int16 -> PCM_16, int32 -> PCM_32, float32 -> FLOAT,
    float64 -> DOUBLE.

    ``"flac"``: 8, 16 (default) and 24 bits; no ``encoding``.

    ``"ogg"``, ``"vorbis"``: Vorbis (or ``encoding="opus"``); no ``bits_per_sample``.

    ``"sph"``: signed integer PCM (32-bit default), mu-law, a-law.

    Args:
        uri (path-like object or file-like object): Path to save the audio to, or an object
            with ``write``; ``format`` is then required.
        src (Tensor): Audio data to save, 1D (one channel) or 2D.
        sample_rate (int): Sample rate.
        channels_first (bool, optional): If ``True``, ``src`` is `[channel, time]`, otherwise
            `[time, channel]`.
        format (str or None, optional): Override the audio format: ``"wav"``, ``"flac"``,
            ``"ogg"``, ``"vorbis"``, ``"sph"``.
        encoding (str or None, optional): ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"`` or
            ``"ALAW"`` (WAV and SPHERE).
        bits_per_sample (int or None, optional): 8, 16, 24, 32 or 64.
        buffer_size (int, optional): Not used.
        backend (str or None, optional): ``None`` or ``"soundfile"``, the only backend.
        compression (float, int or None, optional): Not used (a warning says so), as in
            torchaudio's soundfile backend.

    Raises:
        ValueError: bad tensor, sample rate, format, encoding or bit depth.
        RuntimeError: ``format`` missing for a file object, or libsndfile fails to write
            (the message names the file).
    """
    _check_backend(backend)
    if not isinstance(src, ember.Tensor):
        raise ValueError(f"Expected src to be an ember.Tensor, got {type(src)}")
    if src.ndim not in (1, 2):
        raise ValueError(f"Expected 1D or 2D tensor, got {src.ndim}D tensor")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if compression is not None:
        warnings.warn(
            '`save` function of "soundfile" backend does not support "compression" parameter. '
            "The argument is silently ignored.",
            stacklevel=2,
        )
    if hasattr(uri, "write"):
        if format is None:
            raise RuntimeError("`format` is required when saving to file object.")
        ext = format.lower()
    else:
        ext = os.fspath(uri).split(".")[-1].lower() if format is None else format.lower()
    if bits_per_sample not in (None, 8, 16, 24, 32, 64):
        raise ValueError(f"Invalid bits_per_sample: {bits_per_sample}")
    if bits_per_sample == 24:
        warnings.warn(
            "Saving audio with 24 bits per sample might warp samples near -1. "
            "Using 16 bits per sample might be able to avoid this.",
            stacklevel=2,
        )
    subtype = _subtype(src.dtype, ext, encoding, bits_per_sample)
    sf_format = {"sph": "NIST", "nis": "NIST", "nist": "NIST", "vorbis": "OGG"}.get(ext, ext)

    if src.ndim == 1:
        src = src.unsqueeze(0 if channels_first else 1)
    if channels_first:
        src = src.t()
    data = _samples_for_soundfile(src)
    try:
        soundfile.write(uri, data, sample_rate, subtype=subtype, format=sf_format.upper())
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise RuntimeError(f"Failed to save audio to {_describe(uri)}: {error}") from None
