"""Audio functions under ``torchaudio.functional``'s names: spectrograms and their inverses
(Griffin-Lim, phase vocoder, pitch shift, spectral centroid, pitch detection), scales and filter
banks, companding, resampling, deltas, masking, emphasis filters, convolution and noise.

Everything that transforms a signal is written with ember tensor operations, so it runs on the
signal's device and autograd flows through it where torchaudio's does. Filter banks and
resampling kernels are tables computed once, as in torchaudio.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import ember
import ember.nn.functional as F

from .filtering import lfilter

__all__ = [
    "spectrogram",
    "inverse_spectrogram",
    "griffinlim",
    "phase_vocoder",
    "spectral_centroid",
    "detect_pitch_frequency",
    "pitch_shift",
    "amplitude_to_DB",
    "DB_to_amplitude",
    "melscale_fbanks",
    "linear_fbanks",
    "create_dct",
    "mu_law_encoding",
    "mu_law_decoding",
    "mask_along_axis",
    "mask_along_axis_iid",
    "compute_deltas",
    "sliding_window_cmn",
    "resample",
    "convolve",
    "fftconvolve",
    "add_noise",
    "speed",
    "preemphasis",
    "deemphasis",
    "frechet_distance",
]


# ------------------------------------------------------------------------------ decibel scale


def amplitude_to_DB(x, multiplier, amin, db_multiplier, top_db=None):
    """Turn a spectrogram from the power/amplitude scale to the decibel scale.

    The output of each tensor in a batch depends on the maximum value of that tensor, and so
    may return different values for an audio clip split into snippets vs. a full clip.

    Args:
        x (Tensor): Input spectrogram(s) before being converted to decibel scale. The expected
            shapes are ``(freq, time)``, ``(channel, freq, time)`` or
            ``(..., batch, channel, freq, time)``. When ``top_db`` is given, cut-off values are
            computed for each audio in the batch: a 4D (or larger) input uses one cut-off per
            item of its leading dimensions, a 2D or 3D input a single cut-off.
        multiplier (float): Use 10. for power and 20. for amplitude.
        amin (float): Number to clamp ``x``.
        db_multiplier (float): Log10(max(reference value and amin)).
        top_db (float or None, optional): Minimum negative cut-off in decibels. A reasonable
            number is 80. (Default: ``None``)

    Returns:
        Tensor: Output tensor in decibel scale.
    """
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier

    if top_db is not None:
        # one cut-off per item: fold everything before (channel, freq, time) into a batch
        shape = x_db.shape
        packed_channels = shape[-3] if x_db.dim() > 2 else 1
        x_db = x_db.reshape(-1, packed_channels, shape[-2], shape[-1])
        floor = x_db.amax(dim=(-3, -2, -1)) - top_db
        x_db = ember.maximum(x_db, floor.view(-1, 1, 1, 1))
        x_db = x_db.reshape(shape)

    return x_db


def DB_to_amplitude(x, ref, power):
    """Turn a tensor from the decibel scale to the power/amplitude scale.

    Args:
        x (Tensor): Input tensor before being converted to power/amplitude scale.
        ref (float): Reference which the output will be scaled by.
        power (float): If power equals 1, will compute DB to power. If 0.5, will compute DB to
            amplitude.

    Returns:
        Tensor: Output tensor in power/amplitude scale.
    """
    return ref * ember.pow(ember.pow(10.0, 0.1 * x), power)


# --------------------------------------------------------------------------------- filter banks

# Slaney's mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
_SLANEY_F_SP = 200.0 / 3
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = math.log(6.4) / 27.0


def _check_mel_scale(mel_scale):
    if mel_scale not in ["slaney", "htk"]:
        raise ValueError('mel_scale should be one of "htk" or "slaney".')


def _hz_to_mel(freq, mel_scale="htk"):
    """Convert a frequency in Hz (a float) to mels."""
    _check_mel_scale(mel_scale)
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + (freq / 700.0))
    if freq >= _SLANEY_MIN_LOG_HZ:
        return _SLANEY_MIN_LOG_MEL + math.log(freq / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return freq / _SLANEY_F_SP


def _mel_to_hz(mels, mel_scale="htk"):
    """Convert mels (a tensor) to frequencies in Hz."""
    _check_mel_scale(mel_scale)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    freqs = _SLANEY_F_SP * mels
    log_freqs = _SLANEY_MIN_LOG_HZ * ember.exp(_SLANEY_LOGSTEP * (mels - _SLANEY_MIN_LOG_MEL))
    return ember.where(mels >= _SLANEY_MIN_LOG_MEL, log_freqs, freqs)


def _create_triangular_filterbank(all_freqs, f_pts):
    """Triangular filters, shape ``(n_freqs, n_filter)``, peaking at ``f_pts[1:-1]``.

    Args:
        all_freqs (Tensor): STFT frequency points, shape ``(n_freqs,)``.
        f_pts (Tensor): Filter corner points, shape ``(n_filter + 2,)``.
    """
    # as librosa: each filter rises from f_pts[i] to f_pts[i + 1] and falls to f_pts[i + 2]
    f_diff = f_pts[1:] - f_pts[:-1]  # (n_filter + 1)
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)  # (n_freqs, n_filter + 2)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]  # (n_freqs, n_filter)
    up_slopes = slopes[:, 2:] / f_diff[1:]  # (n_freqs, n_filter)
    return ember.clamp(ember.minimum(down_slopes, up_slopes), min=0.0)


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    """Create a frequency bin conversion matrix.

    For the sake of numerical compatibility with librosa, not all the coefficients in the
    resulting filter bank have magnitude of 1. Note that torchaudio's defaults (HTK scale, no
    norm) are not librosa's: matching librosa needs ``mel_scale="slaney", norm="slaney"``.

    Args:
        n_freqs (int): Number of frequencies to highlight/apply.
        f_min (float): Minimum frequency (Hz).
        f_max (float): Maximum frequency (Hz).
        n_mels (int): Number of mel filterbanks.
        sample_rate (int): Sample rate of the audio waveform.
        norm (str or None, optional): If "slaney", divide the triangular mel weights by the
            width of the mel band (area normalization). (Default: ``None``)
        mel_scale (str, optional): Scale to use: ``htk`` or ``slaney``. (Default: ``htk``)

    Returns:
        Tensor: Triangular filter banks (fb matrix) of size (``n_freqs``, ``n_mels``). Each
        column is a filterbank, so that for a matrix A of size (..., ``n_freqs``) the applied
        result is ``A @ melscale_fbanks(A.size(-1), ...)``.

    Warns:
        UserWarning: when a filter is all zeros (``n_mels`` too high or ``n_freqs`` too low).
    """
    if norm is not None and norm != "slaney":
        raise ValueError('norm must be one of None or "slaney"')

    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs)

    m_min = _hz_to_mel(f_min, mel_scale=mel_scale)
    m_max = _hz_to_mel(f_max, mel_scale=mel_scale)
    m_pts = ember.linspace(m_min, m_max, n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale=mel_scale)

    fb = _create_triangular_filterbank(all_freqs, f_pts)

    if norm == "slaney":
        # Slaney-style mel is scaled to be approx constant energy per channel
        enorm = 2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels])
        fb = fb * enorm.unsqueeze(0)

    if bool((fb.amax(dim=0) == 0.0).any()):
        warnings.warn(
            "At least one mel filterbank has all zero values. "
            f"The value for `n_mels` ({n_mels}) may be set too high. "
            f"Or, the value for `n_freqs` ({n_freqs}) may be set too low.",
            stacklevel=2,
        )

    return fb


def linear_fbanks(n_freqs, f_min, f_max, n_filter, sample_rate):
    """Create a linear triangular filterbank.

    Args:
        n_freqs (int): Number of frequencies to highlight/apply.
        f_min (float): Minimum frequency (Hz).
        f_max (float): Maximum frequency (Hz).
        n_filter (int): Number of (linear) triangular filters.
        sample_rate (int): Sample rate of the audio waveform.

    Returns:
        Tensor: Triangular filter banks (fb matrix) of size (``n_freqs``, ``n_filter``).
    """
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs)
    f_pts = ember.linspace(f_min, f_max, n_filter + 2)
    return _create_triangular_filterbank(all_freqs, f_pts)


def create_dct(n_mfcc, n_mels, norm):
    """Create a DCT transformation matrix with shape (``n_mels``, ``n_mfcc``), normalized
    depending on norm.

    The matrix is DCT-II: ``cos(pi / n_mels * (n + 0.5) * k)``, scaled by 2 (``norm=None``) or
    made orthonormal (``norm="ortho"``: row 0 times ``1/sqrt(2)``, all times
    ``sqrt(2 / n_mels)``).

    Args:
        n_mfcc (int): Number of mfc coefficients to retain.
        n_mels (int): Number of mel filterbanks.
        norm (str or None): Norm to use (either "ortho" or None).

    Returns:
        Tensor: The transformation matrix, to be right-multiplied to row-wise data of size
        (``n_mels``, ``n_mfcc``).
    """
    if norm is not None and norm != "ortho":
        raise ValueError('norm must be either "ortho" or None')

    n = ember.arange(float(n_mels))
    k = ember.arange(float(n_mfcc)).unsqueeze(1)
    dct = ember.cos(math.pi / float(n_mels) * (n + 0.5) * k)  # size (n_mfcc, n_mels)

    if norm is None:
        dct = dct * 2.0
    else:
        dct = ember.cat([dct[:1] * (1.0 / math.sqrt(2.0)), dct[1:]])
        dct = dct * math.sqrt(2.0 / float(n_mels))
    return dct.t()


# ---------------------------------------------------------------------------------- companding


def _as_float(x, warn):
    if x.is_floating_point():
        return x
    if warn:
        warnings.warn(
            "The input Tensor must be of floating type. This will be an error in the v0.12 release.",
            stacklevel=3,
        )
    return x.float()


def mu_law_encoding(x, quantization_channels):
    """Encode signal based on mu-law companding.

    For more info see the `Wikipedia Entry <https://en.wikipedia.org/wiki/%CE%9C-law_algorithm>`_.
    This algorithm expects the signal has been scaled to between -1 and 1 and returns a signal
    encoded with values from 0 to quantization_channels - 1:
    ``floor((sign(x) * log1p(mu * |x|) / log1p(mu) + 1) / 2 * mu + 0.5)``, ``mu = channels - 1``.

    Args:
        x (Tensor): Input tensor (an integer tensor is converted to float32, with a warning).
        quantization_channels (int): Number of channels.

    Returns:
        Tensor: Input after mu-law encoding, int64.
    """
    x = _as_float(x, warn=True)
    mu = ember.tensor(quantization_channels - 1.0, dtype=x.dtype, device=x.device)
    x_mu = ember.sign(x) * ember.log1p(mu * ember.abs(x)) / ember.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(ember.int64)


def mu_law_decoding(x_mu, quantization_channels):
    """Decode mu-law encoded signal.

    This expects an input with values between 0 and quantization_channels - 1 and returns a
    signal scaled between -1 and 1.

    Args:
        x_mu (Tensor): Input tensor.
        quantization_channels (int): Number of channels.

    Returns:
        Tensor: Input after mu-law decoding (float32 for integer input).
    """
    x_mu = _as_float(x_mu, warn=False)
    mu = ember.tensor(quantization_channels - 1.0, dtype=x_mu.dtype, device=x_mu.device)
    x = (x_mu / mu) * 2 - 1.0
    return ember.sign(x) * (ember.exp(ember.abs(x) * ember.log1p(mu)) - 1.0) / mu


# ------------------------------------------------------------------------------------- masking


def _effective_mask_param(specgram, mask_param, axis, p):
    """Check ``axis`` and ``p``; the largest mask length: ``mask_param``, capped at
    ``floor(specgram.size(axis) * p)`` when ``p < 1``."""
    dim = specgram.dim()
    if axis not in [dim - 2, dim - 1]:
        raise ValueError(
            "Only Frequency and Time masking are supported"
            f" (axis {dim - 2} and axis {dim - 1} supported; {axis} given)."
        )
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
    if p == 1.0:
        return mask_param
    return min(mask_param, int(specgram.shape[axis] * p))


def mask_along_axis(specgram, mask_param, mask_value, axis, p=1.0):
    """Apply a mask along ``axis``.

    Mask will be applied from indices ``[v_0, v_0 + v)``, where ``v`` is sampled from
    ``uniform(0, max_v)`` and ``v_0`` from ``uniform(0, specgram.size(axis) - v)``, with
    ``max_v = mask_param`` when ``p = 1.0`` and
    ``max_v = min(mask_param, floor(specgram.size(axis) * p))`` otherwise.
    All examples will have the same mask interval.

    Args:
        specgram (Tensor): Real spectrograms `(..., freq, time)`, with at least 2 dimensions.
        mask_param (int): Number of columns to be masked will be uniformly sampled from
            [0, mask_param].
        mask_value (float): Value to assign to the masked columns.
        axis (int): Axis to apply masking on, which should be one of the last two dimensions.
        p (float, optional): maximum proportion of columns that can be masked. (Default: 1.0)

    Returns:
        Tensor: Masked spectrograms with the same dimensions as input specgram Tensor.
    """
    dim = specgram.dim()
    if dim < 2:
        raise ValueError(
            f"Spectrogram must have at least two dimensions (time and frequency) ({dim} given)."
        )
    mask_param = _effective_mask_param(specgram, mask_param, axis, p)
    if mask_param < 1:
        return specgram

    size = specgram.shape[axis]
    value = ember.rand(1) * mask_param
    min_value = ember.rand(1) * (size - value)
    mask_start = int(min_value.long())
    mask_end = mask_start + int(value.long())
    if mask_end - mask_start >= mask_param:
        raise ValueError("Number of columns to be masked should be less than mask_param")

    mask = ember.arange(0, size, device=specgram.device)
    mask = (mask >= mask_start) & (mask < mask_end)
    if axis == dim - 2:  # frequency: mask whole rows
        mask = mask.unsqueeze(-1)
    return specgram.masked_fill(mask, mask_value)


def mask_along_axis_iid(specgrams, mask_param, mask_value, axis, p=1.0):
    """Apply a mask along ``axis``, as :func:`mask_along_axis` but with an interval drawn
    independently for each example and channel (each slice before the last two dimensions).

    Args:
        specgrams (Tensor): Real spectrograms `(..., freq, time)`, with at least 3 dimensions.
        mask_param (int): Number of columns to be masked will be uniformly sampled from
            [0, mask_param].
        mask_value (float or Tensor): Value to assign to the masked columns.
        axis (int): Axis to apply masking on, which should be one of the last two dimensions.
        p (float, optional): maximum proportion of columns that can be masked. (Default: 1.0)

    Returns:
        Tensor: Masked spectrograms with the same dimensions as input specgrams Tensor.
    """
    dim = specgrams.dim()
    if dim < 3:
        raise ValueError(f"Spectrogram must have at least three dimensions ({dim} given).")
    mask_param = _effective_mask_param(specgrams, mask_param, axis, p)
    if mask_param < 1:
        return specgrams

    device, dtype = specgrams.device, specgrams.dtype
    batch = specgrams.shape[: dim - 2]
    value = ember.rand(batch, device=device, dtype=dtype) * mask_param
    min_value = ember.rand(batch, device=device, dtype=dtype) * (specgrams.size(axis) - value)

    # broadcastable (..., 1, 1) bounds against the masked axis, moved last
    mask_start = min_value.long()[..., None, None]
    mask_end = (min_value.long() + value.long())[..., None, None]
    mask = ember.arange(0, specgrams.size(axis), device=device, dtype=dtype)
    mask = (mask >= mask_start) & (mask < mask_end)

    specgrams = specgrams.transpose(axis, -1)
    if isinstance(mask_value, ember.Tensor):
        specgrams = ember.where(mask, mask_value, specgrams)
    else:
        specgrams = specgrams.masked_fill(mask, mask_value)
    return specgrams.transpose(axis, -1)


# -------------------------------------------------------------------------------------- deltas


def compute_deltas(specgram, win_length=5, mode="replicate"):
    r"""Compute delta coefficients of a tensor, usually a spectrogram:

    .. math::
       d_t = \frac{\sum_{n=1}^{\text{N}} n (c_{t+n} - c_{t-n})}{2 \sum_{n=1}^{\text{N}} n^2}

    where :math:`d_t` is the deltas at time :math:`t`, :math:`c_t` is the spectrogram
    coefficients at time :math:`t`, :math:`N` is ``(win_length-1)//2``.

    Args:
        specgram (Tensor): Tensor of audio of dimension `(..., freq, time)`.
        win_length (int, optional): The window length used for computing delta
            (Default: ``5``).
        mode (str, optional): Mode parameter passed to padding (Default: ``"replicate"``).

    Returns:
        Tensor: Tensor of deltas of dimension `(..., freq, time)`.

    Example:
        >>> specgram = ember.randn(1, 40, 1000)
        >>> delta = compute_deltas(specgram)
        >>> delta2 = compute_deltas(delta)
    """
    shape = specgram.shape
    if win_length < 3:
        raise ValueError(
            f"Window length should be greater than or equal to 3. Found win_length {win_length}"
        )

    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3  # twice the sum of squares 1..n

    # every row is its own signal: one (1, 1, win_length) kernel over a (rows, 1, time) batch
    rows = specgram.reshape(-1, 1, shape[-1])
    rows = F.pad(rows, (n, n), mode=mode)
    kernel = ember.arange(-n, n + 1, 1, device=specgram.device, dtype=specgram.dtype)
    output = F.conv1d(rows, kernel.reshape(1, 1, -1)) / denom
    return output.reshape(shape)


# ---------------------------------------------------------------------- mean normalization


def _cmn_windows(num_frames, cmn_window, min_cmn_window, center):
    """``[start, end)`` of each frame's window (numpy integer arrays), as torchaudio's frame
    loop sets them. Both ends move forward by at most one frame per frame, so torchaudio's
    running sums are the window sums computed here from cumulative sums."""
    t = np.arange(num_frames)
    if center:
        start = t - cmn_window // 2
        end = start + cmn_window
    else:
        start = t - cmn_window
        end = t + 1
    end = np.where(start < 0, end - start, end)
    start = np.maximum(start, 0)
    if not center:
        end = np.where(end > t, np.maximum(t + 1, min_cmn_window), end)
    start = np.where(end > num_frames, np.maximum(start - (end - num_frames), 0), start)
    end = np.minimum(end, num_frames)
    return start, end


def _window_sums(x, start, end):
    """Sums of ``x`` over the frames ``[start[t], end[t])`` along dim -2, in float64."""
    totals = F.pad(ember.cumsum(x.to(ember.float64), dim=-2), (0, 0, 1, 0))
    return totals[:, end] - totals[:, start]


def sliding_window_cmn(specgram, cmn_window=600, min_cmn_window=100, center=False, norm_vars=False):
    r"""
    Apply sliding-window cepstral mean (and optionally variance) normalization per utterance.

    torchaudio keeps running sums frame by frame; here every window's sum is a difference of
    cumulative sums (accumulated in float64), for all frames at once. As in torchaudio, a
    2D input with a single frame comes back squeezed to `(freq,)`.

    Args:
        specgram (Tensor): Tensor of spectrogram of dimension `(..., time, freq)`
        cmn_window (int, optional): Window in frames for running average CMN computation
            (int, default = 600)
        min_cmn_window (int, optional):  Minimum CMN window used at start of decoding (adds
            latency only at start). Only applicable if center == false, ignored if
            center==true (int, default = 100)
        center (bool, optional): If true, use a window centered on the current frame
            (to the extent possible, modulo end effects). If false, window is to the left.
            (bool, default = false)
        norm_vars (bool, optional): If true, normalize variance to one. (bool, default = false)

    Returns:
        Tensor: Tensor matching input shape `(..., freq, time)`
    """
    input_shape = specgram.shape
    num_frames, num_feats = input_shape[-2:]
    specgram = specgram.reshape(-1, num_frames, num_feats)
    start, end = _cmn_windows(num_frames, cmn_window, min_cmn_window, center)
    device = specgram.device
    start_t = ember.from_numpy(start).to(device)
    end_t = ember.from_numpy(end).to(device)
    window_frames = ember.from_numpy((end - start).astype(np.float64)).to(device).unsqueeze(-1)

    cur_sum = _window_sums(specgram, start_t, end_t)
    cmn_specgram = specgram - (cur_sum / window_frames).to(specgram.dtype)
    if norm_vars:
        cur_sumsq = _window_sums(specgram**2, start_t, end_t)
        variance = cur_sumsq / window_frames - cur_sum**2 / window_frames**2
        # a one-frame window gives zeros (its variance, 0, is never inverted)
        single = window_frames == 1
        scale = ember.where(single, 0, ember.where(single, 1, variance).pow(-0.5))
        cmn_specgram = cmn_specgram * scale.to(specgram.dtype)

    cmn_specgram = cmn_specgram.reshape(*input_shape[:-2], num_frames, num_feats)
    if len(input_shape) == 2:
        cmn_specgram = cmn_specgram.squeeze(0)
    return cmn_specgram


# ----------------------------------------------------------------------------------- resampling

_KAISER_BETA = 14.769656459379492
_RESAMPLING_ALIASES = {
    "sinc_interpolation": "sinc_interp_hann",
    "kaiser_window": "sinc_interp_kaiser",
}


def _get_sinc_resample_kernel(
    orig_freq,
    new_freq,
    gcd,
    lowpass_filter_width=6,
    rolloff=0.99,
    resampling_method="sinc_interp_hann",
    beta=None,
    device="cpu",
    dtype=None,
):
    """The windowed-sinc kernels of a resampling, shape ``(new_freq, 1, 2 * width + orig_freq)``
    (frequencies divided by ``gcd``), and ``width``.

    The arithmetic follows torchaudio's step by step in the same precision: ``dtype`` when
    given, else float64 rounded to float32 at the end.
    """
    if not (int(orig_freq) == orig_freq and int(new_freq) == new_freq):
        # torchaudio raises a bare Exception here; kept for compatibility
        raise Exception(
            "Frequencies must be of integer type to ensure quality resampling computation. "
            "To work around this, manually convert both frequencies to integer values "
            "that maintain their resampling rate ratio before passing them into the function. "
            "Example: To downsample a 44100 hz waveform by a factor of 8, use "
            "`orig_freq=8` and `new_freq=1` instead of `orig_freq=44100` and `new_freq=5512.5`. "
            "For more information, please refer to https://github.com/pytorch/audio/issues/1487."
        )

    if resampling_method in _RESAMPLING_ALIASES:
        warnings.warn(
            f'"{resampling_method}" resampling method name is being deprecated and replaced by '
            f'"{_RESAMPLING_ALIASES[resampling_method]}" in the next release. '
            "The default behavior remains unchanged.",
            stacklevel=3,
        )
        resampling_method = _RESAMPLING_ALIASES[resampling_method]
    elif resampling_method not in ["sinc_interp_hann", "sinc_interp_kaiser"]:
        raise ValueError(f"Invalid resampling method: {resampling_method}")

    orig_freq = int(orig_freq) // gcd
    new_freq = int(new_freq) // gcd

    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    # Anti-aliasing: keep below the lower Nyquist frequency, times rolloff. (Upsampling needs it
    # too: the signal's edges act as zero padding, which adds high frequencies.)
    base_freq = min(orig_freq, new_freq) * rolloff

    # y[j] = sum_i x[i] sinc(pi * orig_freq * (i / orig_freq - j / new_freq)), truncated after
    # `lowpass_filter_width` zero crossings. Output phase j uses the same filter as j + new_freq
    # on the input shifted by orig_freq, so there are new_freq filters applied with stride
    # orig_freq.
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    np_dtype = None if dtype is None else np.dtype(str(dtype).split(".")[-1])
    idx = np.arange(-width, width + orig_freq, dtype=np_dtype or np.float64)[None, None]
    idx = idx / np.asarray(orig_freq, dtype=idx.dtype)
    # torch divides the integer arange in the default dtype (float32) when dtype is None
    phases = np.arange(0, -new_freq, -1, dtype=np_dtype or np.float32)[:, None, None]
    t = phases / np.asarray(new_freq, dtype=phases.dtype) + idx
    t = t * np.asarray(base_freq, dtype=t.dtype)
    t = np.clip(t, -lowpass_filter_width, lowpass_filter_width).astype(t.dtype)

    # the window is evaluated at the filter taps, not on a regular grid
    if resampling_method == "sinc_interp_hann":
        window = np.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = np.float32(_KAISER_BETA if beta is None else beta)  # torch.tensor(float(beta))
        window = np.i0(beta * np.sqrt(1 - (t / lowpass_filter_width) ** 2)).astype(t.dtype)
        window = window / np.float32(np.i0(beta))

    t = t * math.pi
    scale = base_freq / orig_freq
    # sinc(t) = sin(t) / t, 1 at t = 0 (divide by 1 there instead of 0)
    kernels = np.where(t == 0, 1.0, np.sin(t) / np.where(t == 0, 1.0, t)).astype(t.dtype)
    kernels = kernels * (window * scale)
    kernels = ember.from_numpy(kernels.astype(np_dtype or np.float32))
    return kernels.to(device), width


def _apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width):
    if not waveform.is_floating_point():
        raise TypeError(
            f"Expected floating point type for waveform tensor, but received {waveform.dtype}."
        )

    orig_freq = int(orig_freq) // gcd
    new_freq = int(new_freq) // gcd

    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    num_wavs, length = waveform.shape
    waveform = F.pad(waveform, (width, width + orig_freq))
    # (num_wavs, new_freq phases, blocks) -> interleave the phases into one time axis
    resampled = F.conv1d(waveform[:, None], kernel, stride=orig_freq)
    resampled = resampled.transpose(1, 2).reshape(num_wavs, -1)
    target_length = math.ceil(new_freq * length / orig_freq)
    resampled = resampled[..., :target_length]
    return resampled.reshape(tuple(shape[:-1]) + tuple(resampled.shape[-1:]))


def resample(
    waveform,
    orig_freq,
    new_freq,
    lowpass_filter_width=6,
    rolloff=0.99,
    resampling_method="sinc_interp_hann",
    beta=None,
):
    """Resamples the waveform at the new frequency using bandlimited interpolation.

    ``transforms.Resample`` precomputes and reuses the resampling kernel, so using it will
    result in more efficient computation if resampling multiple waveforms with the same
    resampling parameters.

    Args:
        waveform (Tensor): The input signal of dimension `(..., time)`.
        orig_freq (int): The original frequency of the signal.
        new_freq (int): The desired frequency.
        lowpass_filter_width (int, optional): Controls the sharpness of the filter, more ==
            sharper but less efficient. (Default: ``6``)
        rolloff (float, optional): The roll-off frequency of the filter, as a fraction of the
            Nyquist. Lower values reduce anti-aliasing, but also reduce some of the highest
            frequencies. (Default: ``0.99``)
        resampling_method (str, optional): The resampling method to use. Options:
            [``"sinc_interp_hann"``, ``"sinc_interp_kaiser"``] (Default: ``"sinc_interp_hann"``)
        beta (float or None, optional): The shape parameter used for kaiser window.

    Returns:
        Tensor: The waveform at the new frequency of dimension `(..., time).`

    Raises:
        ValueError: a frequency is not positive, or the method is unknown.
        Exception: a frequency is not an integer (torchaudio raises a bare ``Exception``).
    """
    if orig_freq <= 0.0 or new_freq <= 0.0:
        raise ValueError("Original frequency and desired frequecy should be positive")

    if orig_freq == new_freq:
        return waveform

    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = _get_sinc_resample_kernel(
        orig_freq,
        new_freq,
        gcd,
        lowpass_filter_width,
        rolloff,
        resampling_method,
        beta,
        waveform.device,
        waveform.dtype,
    )
    return _apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width)


def speed(waveform, orig_freq, factor, lengths=None):
    """Adjusts waveform speed.

    The signal is resampled from ``int(factor * orig_freq)`` to ``orig_freq`` (both divided by
    their gcd) and played back at ``orig_freq``.

    Args:
        waveform (Tensor): Input signals, with shape `(..., time)`.
        orig_freq (int): Original frequency of the signals in ``waveform``.
        factor (float): Factor by which to adjust speed of input. Values greater than 1.0
            compress ``waveform`` in time, whereas values less than 1.0 stretch ``waveform`` in
            time.
        lengths (Tensor or None, optional): Valid lengths of signals in ``waveform``, with
            shape `(...)`. If ``None``, all elements in ``waveform`` are treated as valid.
            (Default: ``None``)

    Returns:
        (Tensor, Tensor or None): Speed-adjusted waveform, with shape `(..., new_time)`; and,
        if ``lengths`` is not ``None``, valid lengths of signals in it, with shape `(...)`,
        otherwise ``None``.
    """
    source_sample_rate, target_sample_rate = _source_target_sample_rate(orig_freq, factor)
    if lengths is None:
        out_lengths = None
    else:
        out_lengths = ember.ceil(lengths * target_sample_rate / source_sample_rate)
        out_lengths = out_lengths.to(lengths.dtype)
    return resample(waveform, source_sample_rate, target_sample_rate), out_lengths


def _source_target_sample_rate(orig_freq, factor):
    source_sample_rate = int(factor * orig_freq)
    target_sample_rate = int(orig_freq)
    gcd = math.gcd(source_sample_rate, target_sample_rate)
    return source_sample_rate // gcd, target_sample_rate // gcd


# ---------------------------------------------------------------------------------- convolution

_CONVOLVE_MODES = ["full", "valid", "same"]


def _check_shape_compatible(x, y):
    if x.ndim != y.ndim:
        raise ValueError(f"The operands must be the same dimension (got {x.ndim} and {y.ndim}).")
    for xi, yi in zip(x.shape[:-1], y.shape[:-1]):
        if not (xi == yi or xi == 1 or yi == 1):
            raise ValueError(
                "Leading dimensions of x and y are not broadcastable "
                f"(got {x.shape} and {y.shape})."
            )


def _check_convolve_mode(mode):
    if mode not in _CONVOLVE_MODES:
        raise ValueError(
            f"Unrecognized mode value '{mode}'. Please specify one of {_CONVOLVE_MODES}."
        )


def _apply_convolve_mode(conv_result, x_length, y_length, mode):
    if mode == "full":
        return conv_result
    if mode == "valid":
        target_length = max(x_length, y_length) - min(x_length, y_length) + 1
    else:  # "same"
        target_length = x_length
    start_idx = (conv_result.size(-1) - target_length) // 2
    return conv_result[..., start_idx : start_idx + target_length]


def fftconvolve(x, y, mode="full"):
    """Convolves inputs along their last dimension using FFT. For inputs with large last
    dimensions, this function is generally much faster than :func:`convolve`.

    Like :func:`convolve` it applies the true convolution operator (not conv1d's
    cross-correlation); it only outputs floating-point tensors.

    Args:
        x (Tensor): First convolution operand, with shape `(..., N)`.
        y (Tensor): Second convolution operand, with shape `(..., M)` (leading dimensions must
            be broadcast-able with those of ``x``).
        mode (str, optional): Must be one of ("full", "valid", "same"), as for
            :func:`convolve`. (Default: ``"full"``)

    Returns:
        Tensor: Result of convolving ``x`` and ``y``, with shape `(..., L)`, where the leading
        dimensions match those of ``x`` and `L` is dictated by ``mode``.
    """
    _check_shape_compatible(x, y)
    _check_convolve_mode(mode)

    n = x.size(-1) + y.size(-1) - 1
    fresult = ember.fft.rfft(x, n=n) * ember.fft.rfft(y, n=n)
    result = ember.fft.irfft(fresult, n=n)
    return _apply_convolve_mode(result, x.size(-1), y.size(-1), mode)


def convolve(x, y, mode="full"):
    """Convolves inputs along their last dimension using the direct method.

    Note that, in contrast to :func:`ember.nn.functional.conv1d`, which actually applies the
    valid cross-correlation operator, this function applies the true `convolution`_ operator.

    Args:
        x (Tensor): First convolution operand, with shape `(..., N)`.
        y (Tensor): Second convolution operand, with shape `(..., M)` (leading dimensions must
            be broadcast-able with those of ``x``).
        mode (str, optional): Must be one of ("full", "valid", "same").

            * "full": Returns the full convolution result, with shape `(..., N + M - 1)`.
              (Default)
            * "valid": Returns the segment of the full convolution result corresponding to
              where the two inputs overlap completely, with shape
              `(..., max(N, M) - min(N, M) + 1)`.
            * "same": Returns the center segment of the full convolution result, with shape
              `(..., N)`.

    Returns:
        Tensor: Result of convolving ``x`` and ``y``, with shape `(..., L)`, where the leading
        dimensions match those of ``x`` and `L` is dictated by ``mode``.

    .. _convolution:
        https://en.wikipedia.org/wiki/Convolution
    """
    _check_shape_compatible(x, y)
    _check_convolve_mode(mode)

    x_size, y_size = x.size(-1), y.size(-1)
    if x_size < y_size:
        x, y = y, x

    if x.shape[:-1] != y.shape[:-1]:
        new_shape = [max(i, j) for i, j in zip(x.shape[:-1], y.shape[:-1])]
        x = x.broadcast_to(new_shape + [x.shape[-1]])
        y = y.broadcast_to(new_shape + [y.shape[-1]])

    num_signals = math.prod(x.shape[:-1])
    reshaped_x = x.reshape(1, num_signals, x.size(-1))
    reshaped_y = y.reshape(num_signals, 1, y.size(-1))
    # one group per signal, each with its own kernel; flipping turns correlation into convolution
    output = F.conv1d(
        reshaped_x, reshaped_y.flip(-1), groups=num_signals, padding=reshaped_y.size(-1) - 1
    )
    result = output.reshape(tuple(x.shape[:-1]) + (-1,))
    return _apply_convolve_mode(result, x_size, y_size, mode)


# ----------------------------------------------------------------------------------------- noise


def add_noise(waveform, noise, snr, lengths=None):
    r"""Scales and adds noise to waveform per signal-to-noise ratio.

    Specifically, for each pair of waveform vector :math:`x \in \mathbb{R}^L` and noise vector
    :math:`n \in \mathbb{R}^L`, the function computes output :math:`y` as

    .. math::
        y = x + a n \, \text{,}

    where

    .. math::
        a = \sqrt{ \frac{ ||x||_{2}^{2} }{ ||n||_{2}^{2} } \cdot 10^{-\frac{\text{SNR}}{10}} }
        \, \text{,}

    with :math:`\text{SNR}` being the desired signal-to-noise ratio between :math:`x` and
    :math:`n`, in dB. Singleton leading dimensions broadcast as in these formulae.

    Args:
        waveform (Tensor): Input waveform, with shape `(..., L)`.
        noise (Tensor): Noise, with shape `(..., L)` (same shape as ``waveform``).
        snr (Tensor): Signal-to-noise ratios in dB, with shape `(...,)`.
        lengths (Tensor or None, optional): Valid lengths of signals in ``waveform`` and
            ``noise``, with shape `(...,)` (leading dimensions must match those of
            ``waveform``). If ``None``, all elements in ``waveform`` and ``noise`` are treated
            as valid. (Default: ``None``)

    Returns:
        Tensor: Result of scaling and adding ``noise`` to ``waveform``, with shape `(..., L)`.
    """
    if not (
        waveform.ndim - 1 == noise.ndim - 1 == snr.ndim
        and (lengths is None or lengths.ndim == snr.ndim)
    ):
        raise ValueError("Input leading dimensions don't match.")

    L = waveform.size(-1)
    if noise.size(-1) != L:
        raise ValueError(
            f"Length dimensions of waveform and noise don't match (got {L} and {noise.size(-1)})."
        )

    if lengths is not None:
        positions = ember.arange(0, L, device=lengths.device).expand(waveform.shape)
        mask = positions < lengths.unsqueeze(-1)  # (*, L) < (*, 1) = (*, L)
        masked_waveform = waveform * mask
        masked_noise = noise * mask
    else:
        masked_waveform = waveform
        masked_noise = noise

    energy_signal = ember.norm(masked_waveform, p=2, dim=-1) ** 2  # (*,)
    energy_noise = ember.norm(masked_noise, p=2, dim=-1) ** 2  # (*,)
    original_snr_db = 10 * (ember.log10(energy_signal) - ember.log10(energy_noise))
    scale = 10 ** ((original_snr_db - snr) / 20.0)  # (*,)

    return waveform + scale.unsqueeze(-1) * noise  # (*, L)


# ----------------------------------------------------------------------------------- emphasis


def preemphasis(waveform, coeff=0.97):
    r"""Pre-emphasizes a waveform along its last dimension, i.e. for each signal :math:`x` in
    ``waveform``, computes output :math:`y` as

    .. math::
        y[i] = x[i] - \text{coeff} \cdot x[i - 1]

    Args:
        waveform (Tensor): Waveform, with shape `(..., N)`.
        coeff (float, optional): Pre-emphasis coefficient. Typically between 0.0 and 1.0.
            (Default: 0.97)

    Returns:
        Tensor: Pre-emphasized waveform, with shape `(..., N)`.
    """
    return ember.cat([waveform[..., :1], waveform[..., 1:] - coeff * waveform[..., :-1]], dim=-1)


def deemphasis(waveform, coeff=0.97):
    r"""De-emphasizes a waveform along its last dimension.
    Inverse of :meth:`preemphasis`. Concretely, for each signal :math:`x` in ``waveform``,
    computes output :math:`y` as

    .. math::
        y[i] = x[i] + \text{coeff} \cdot y[i - 1]

    Runs ``lfilter`` with ``a_coeffs = [1, -coeff]`` and ``b_coeffs = [1, 0]``, as torchaudio
    does, so its default ``clamp=True`` clamps the output to [-1, 1].

    Args:
        waveform (Tensor): Waveform, with shape `(..., N)`.
        coeff (float, optional): De-emphasis coefficient. Typically between 0.0 and 1.0.
            (Default: 0.97)

    Returns:
        Tensor: De-emphasized waveform, with shape `(..., N)`, clamped to [-1, 1].
    """
    a_coeffs = ember.tensor([1.0, -coeff], dtype=waveform.dtype, device=waveform.device)
    b_coeffs = ember.tensor([1.0, 0.0], dtype=waveform.dtype, device=waveform.device)
    return lfilter(waveform, a_coeffs=a_coeffs, b_coeffs=b_coeffs)


# ------------------------------------------------------------------------------- spectrograms


def _get_spec_norms(normalized):
    """``(frame_length_norm, window_norm)`` from ``normalized``: ``True`` means ``"window"``."""
    if isinstance(normalized, str):
        if normalized not in ["frame_length", "window"]:
            raise ValueError(f"Invalid normalized parameter: {normalized}")
        return normalized == "frame_length", normalized == "window"
    if isinstance(normalized, bool):
        return False, normalized
    raise TypeError("Input type not supported")


def spectrogram(
    waveform,
    pad,
    window,
    n_fft,
    hop_length,
    win_length,
    power,
    normalized,
    center=True,
    pad_mode="reflect",
    onesided=True,
    return_complex=None,
):
    r"""Create a spectrogram or a batch of spectrograms from a raw audio signal.
    The spectrogram can be either magnitude-only or complex.

    Args:
        waveform (Tensor): Tensor of audio of dimension `(..., time)`
        pad (int): Two sided padding of signal
        window (Tensor): Window tensor that is applied/multiplied to each frame/window
        n_fft (int): Size of FFT
        hop_length (int): Length of hop between STFT windows
        win_length (int): Window size
        power (float or None): Exponent for the magnitude spectrogram, (must be > 0) e.g., 1
            for magnitude, 2 for power, etc. If None, then the complex spectrum is returned
            instead.
        normalized (bool or str): Whether to normalize by magnitude after stft. If input is
            str, choices are ``"window"`` and ``"frame_length"``, if specific normalization
            type is desirable. ``True`` maps to ``"window"``. When normalized on ``"window"``,
            waveform is normalized upon the window's L2 energy. If normalized on
            ``"frame_length"``, waveform is normalized by dividing by
            :math:`(\text{frame\_length})^{0.5}`.
        center (bool, optional): whether to pad :attr:`waveform` on both sides so that the
            :math:`t`-th frame is centered at time :math:`t \times \text{hop\_length}`.
            Default: ``True``
        pad_mode (string, optional): controls the padding method used when :attr:`center` is
            ``True``. Default: ``"reflect"``
        onesided (bool, optional): controls whether to return half of results to avoid
            redundancy. Default: ``True``
        return_complex (bool, optional): Deprecated and not used.

    Returns:
        Tensor: Dimension `(..., freq, time)`, freq is ``n_fft // 2 + 1`` and ``n_fft`` is
        the number of Fourier bins, and time is the number of window hops (n_frame).
    """
    if return_complex is not None:
        warnings.warn(
            "`return_complex` argument is now deprecated and is not effective."
            "`torchaudio.functional.spectrogram(power=None)` always returns a tensor with "
            "complex dtype. Please remove the argument in the function call.",
            stacklevel=2,
        )

    if pad > 0:
        waveform = F.pad(waveform, (pad, pad), "constant")

    frame_length_norm, window_norm = _get_spec_norms(normalized)

    # pack batch
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])

    # default values are consistent with librosa.core.spectrum._spectrogram
    spec_f = ember.stft(
        input=waveform,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        normalized=frame_length_norm,
        onesided=onesided,
        return_complex=True,
    )

    # unpack batch
    spec_f = spec_f.reshape(tuple(shape[:-1]) + tuple(spec_f.shape[-2:]))

    if window_norm:
        spec_f = spec_f / window.pow(2.0).sum().sqrt()
    if power is not None:
        if power == 1.0:
            return spec_f.abs()
        return spec_f.abs().pow(power)
    return spec_f


def _stft(waveform, n_fft, hop_length, win_length, window):
    """``ember.stft``'s complex result with torch's defaults: centred, reflect-padded frames,
    a one-sided spectrum, no scaling."""
    return ember.stft(
        waveform,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        return_complex=True,
    )


def _istft(specgram, n_fft, hop_length, win_length, window, length):
    """``ember.istft`` with its defaults: the inverse of ``_stft``."""
    return ember.istft(
        specgram,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        length=length,
    )


def inverse_spectrogram(
    spectrogram,
    length,
    pad,
    window,
    n_fft,
    hop_length,
    win_length,
    normalized,
    center=True,
    pad_mode="reflect",
    onesided=True,
):
    r"""Create an inverse spectrogram or a batch of inverse spectrograms from the provided
    complex-valued spectrogram.

    Args:
        spectrogram (Tensor): Complex tensor of audio of dimension (..., freq, time).
        length (int or None): The output length of the waveform.
        pad (int): Two sided padding of signal. It is only effective when ``length`` is
            provided.
        window (Tensor): Window tensor that is applied/multiplied to each frame/window
        n_fft (int): Size of FFT
        hop_length (int): Length of hop between STFT windows
        win_length (int): Window size
        normalized (bool or str): Whether the stft output was normalized by magnitude. If
            input is str, choices are ``"window"`` and ``"frame_length"``, dependent on
            normalization mode. ``True`` maps to ``"window"``.
        center (bool, optional): whether the waveform was padded on both sides so that the
            :math:`t`-th frame is centered at time :math:`t \times \text{hop\_length}`.
            Default: ``True``
        pad_mode (string, optional): controls the padding method used when :attr:`center` is
            ``True``. This parameter is provided for compatibility with the spectrogram
            function and is not used. Default: ``"reflect"``
        onesided (bool, optional): controls whether spectrogram was done in onesided mode.
            Default: ``True``

    Returns:
        Tensor: Dimension `(..., time)`. Least squares estimation of the original signal.
    """
    frame_length_norm, window_norm = _get_spec_norms(normalized)

    if not spectrogram.is_complex():
        raise ValueError("Expected `spectrogram` to be complex dtype.")

    if window_norm:
        spectrogram = spectrogram * window.pow(2.0).sum().sqrt()

    # pack batch
    shape = spectrogram.shape
    spectrogram = spectrogram.reshape(-1, shape[-2], shape[-1])

    # default values are consistent with librosa.core.spectrum._spectrogram
    waveform = ember.istft(
        input=spectrogram,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        normalized=frame_length_norm,
        onesided=onesided,
        length=length + 2 * pad if length is not None else None,
        return_complex=False,
    )

    if length is not None and pad > 0:
        # remove padding from front and back
        waveform = waveform[:, pad:-pad]

    # unpack batch
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def griffinlim(
    specgram,
    window,
    n_fft,
    hop_length,
    win_length,
    power,
    n_iter,
    momentum,
    length,
    rand_init,
):
    r"""Compute waveform from a linear scale magnitude spectrogram using the Griffin-Lim
    transformation.

    Implementation ported from *librosa*, *A fast Griffin-Lim algorithm* (Perraudin et al.,
    2013) and *Signal estimation from modified short-time Fourier transform* (Griffin and Lim,
    1984). Each of the ``n_iter`` iterations inverts the spectrogram with the current phase
    estimate, takes the STFT of the result and keeps its phase (with momentum).

    Args:
        specgram (Tensor): A magnitude-only STFT spectrogram of dimension
            `(..., freq, frames)` where freq is ``n_fft // 2 + 1``.
        window (Tensor): Window tensor that is applied/multiplied to each frame/window
        n_fft (int): Size of FFT, creates ``n_fft // 2 + 1`` bins
        hop_length (int): Length of hop between STFT windows. (Default: ``win_length // 2``)
        win_length (int): Window size. (Default: ``n_fft``)
        power (float): Exponent for the magnitude spectrogram, (must be > 0) e.g., 1 for
            magnitude, 2 for power, etc.
        n_iter (int): Number of iteration for phase recovery process.
        momentum (float): The momentum parameter for fast Griffin-Lim. Setting this to 0
            recovers the original Griffin-Lim method. Values near 1 can lead to faster
            convergence, but above 1 may not converge.
        length (int or None): Array length of the expected output.
        rand_init (bool): Initializes phase randomly if True, to zero otherwise.

    Returns:
        Tensor: waveform of `(..., time)`, where time equals the ``length`` parameter if
        given.
    """
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in range [0, 1). Found: {momentum}")

    momentum = momentum / (1 + momentum)

    # pack batch
    shape = specgram.shape
    specgram = specgram.reshape([-1] + list(shape[-2:]))

    specgram = specgram.pow(1 / power)

    # initialize the phase
    if rand_init:
        angles = ember.rand(
            specgram.shape, dtype=specgram.dtype.to_complex(), device=specgram.device
        )
    else:
        angles = ember.full(
            specgram.shape, 1, dtype=specgram.dtype.to_complex(), device=specgram.device
        )

    # and initialize the previous iterate to 0
    tprev = ember.tensor(0.0, dtype=specgram.dtype, device=specgram.device)
    for _ in range(n_iter):
        # invert with our current estimate of the phases
        inverse = _istft(specgram * angles, n_fft, hop_length, win_length, window, length=length)

        # rebuild the spectrogram
        rebuilt = _stft(inverse, n_fft, hop_length, win_length, window)

        # update our phase estimates
        angles = rebuilt
        if momentum:
            angles = angles - tprev * momentum
        angles = angles / (angles.abs() + 1e-16)

        # store the previous iterate
        tprev = rebuilt

    # return the final phase estimates
    waveform = _istft(specgram * angles, n_fft, hop_length, win_length, window, length=length)

    # unpack batch
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def phase_vocoder(complex_specgrams, rate, phase_advance):
    r"""Given a STFT tensor, speed up in time without modifying pitch by a factor of ``rate``.

    Args:
        complex_specgrams (Tensor): A tensor of dimension `(..., freq, num_frame)` with
            complex dtype.
        rate (float): Speed-up factor
        phase_advance (Tensor): Expected phase advance in each bin. Dimension of `(freq, 1)`

    Returns:
        Tensor: Stretched spectrogram. The resulting tensor is of the same dtype as the input
        spectrogram, but the number of frames is changed to ``ceil(num_frame / rate)``.

    Example:
        >>> freq, hop_length = 1025, 512
        >>> # (channel, freq, time)
        >>> complex_specgrams = ember.randn(2, freq, 300, dtype=ember.cfloat)
        >>> rate = 1.3  # Speed up by 30%
        >>> phase_advance = ember.linspace(0, math.pi * hop_length, freq)[..., None]
        >>> x = phase_vocoder(complex_specgrams, rate, phase_advance)
        >>> x.shape  # with 231 == ceil(300 / 1.3)
        ember.Size([2, 1025, 231])
    """
    if rate == 1.0:
        return complex_specgrams

    # pack batch
    shape = complex_specgrams.shape
    complex_specgrams = complex_specgrams.reshape([-1] + list(shape[-2:]))

    # the real dtype that goes with the complex one (complex128 -> float64, ...)
    real_dtype = ember.real(complex_specgrams).dtype
    time_steps = ember.arange(
        0, complex_specgrams.size(-1), rate, device=complex_specgrams.device, dtype=real_dtype
    )

    alphas = time_steps % 1.0
    phase_0 = complex_specgrams[..., :1].angle()

    # time padding: the last steps read frames past the end, which are zero
    complex_specgrams = F.pad(complex_specgrams, [0, 2])

    # (batch, freq, new_frames): the two frames around each step
    complex_specgrams_0 = complex_specgrams.index_select(-1, time_steps.long())
    complex_specgrams_1 = complex_specgrams.index_select(-1, (time_steps + 1).long())

    angle_0 = complex_specgrams_0.angle()
    angle_1 = complex_specgrams_1.angle()

    norm_0 = complex_specgrams_0.abs()
    norm_1 = complex_specgrams_1.abs()

    # the phase change beyond the expected advance, wrapped to [-pi, pi]
    phase = angle_1 - angle_0 - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi))

    # accumulate the phase
    phase = phase + phase_advance
    phase = ember.cat([phase_0, phase[..., :-1]], dim=-1)
    phase_acc = ember.cumsum(phase, -1)

    mag = alphas * norm_1 + (1 - alphas) * norm_0

    complex_specgrams_stretch = ember.polar(mag, phase_acc)

    # unpack batch
    return complex_specgrams_stretch.reshape(
        tuple(shape[:-2]) + tuple(complex_specgrams_stretch.shape[1:])
    )


def spectral_centroid(waveform, sample_rate, pad, window, n_fft, hop_length, win_length):
    r"""Compute the spectral centroid for each channel along the time axis.

    The spectral centroid is defined as the weighted average of the frequency values,
    weighted by their magnitude.

    Args:
        waveform (Tensor): Tensor of audio of dimension `(..., time)`
        sample_rate (int): Sample rate of the audio waveform
        pad (int): Two sided padding of signal
        window (Tensor): Window tensor that is applied/multiplied to each frame/window
        n_fft (int): Size of FFT
        hop_length (int): Length of hop between STFT windows
        win_length (int): Window size

    Returns:
        Tensor: Dimension `(..., time)`
    """
    specgram = spectrogram(
        waveform,
        pad=pad,
        window=window,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        power=1.0,
        normalized=False,
    )
    freqs = ember.linspace(0, sample_rate // 2, steps=1 + n_fft // 2, device=specgram.device)
    freqs = freqs.reshape((-1, 1))
    freq_dim = -2
    return (freqs * specgram).sum(dim=freq_dim) / specgram.sum(dim=freq_dim)


def pitch_shift(
    waveform,
    sample_rate,
    n_steps,
    bins_per_octave=12,
    n_fft=512,
    win_length=None,
    hop_length=None,
    window=None,
):
    """Shift the pitch of a waveform by ``n_steps`` steps.

    The waveform is stretched in time by ``2 ** (n_steps / bins_per_octave)`` with a phase
    vocoder, then resampled back to its length.

    Args:
        waveform (Tensor): The input waveform of shape `(..., time)`.
        sample_rate (int): Sample rate of `waveform`.
        n_steps (int): The (fractional) steps to shift `waveform`.
        bins_per_octave (int, optional): The number of steps per octave (Default: ``12``).
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins (Default: ``512``).
        win_length (int or None, optional): Window size. If None, then ``n_fft`` is used.
            (Default: ``None``).
        hop_length (int or None, optional): Length of hop between STFT windows. If None, then
            ``n_fft // 4`` is used (Default: ``None``).
        window (Tensor or None, optional): Window tensor that is applied/multiplied to each
            frame/window. If None, then ``ember.hann_window(win_length)`` is used (Default:
            ``None``).

    Returns:
        Tensor: The pitch-shifted audio waveform of shape `(..., time)`.
    """
    waveform_stretch = _stretch_waveform(
        waveform,
        n_steps,
        bins_per_octave,
        n_fft,
        win_length,
        hop_length,
        window,
    )
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    waveform_shift = resample(waveform_stretch, int(sample_rate / rate), sample_rate)

    return _fix_waveform_shape(waveform_shift, waveform.shape)


def _stretch_waveform(
    waveform,
    n_steps,
    bins_per_octave=12,
    n_fft=512,
    win_length=None,
    hop_length=None,
    window=None,
):
    """The first step of :func:`pitch_shift`: ``waveform`` stretched in time by the phase
    vocoder, packed to `(batch, time)`. The arguments are :func:`pitch_shift`'s."""
    if hop_length is None:
        hop_length = n_fft // 4
    if win_length is None:
        win_length = n_fft
    if window is None:
        window = ember.hann_window(window_length=win_length, device=waveform.device)

    # pack batch
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])

    ori_len = shape[-1]
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    spec_f = _stft(waveform, n_fft, hop_length, win_length, window)
    phase_advance = ember.linspace(0, math.pi * hop_length, spec_f.shape[-2], device=spec_f.device)[
        ..., None
    ]
    spec_stretch = phase_vocoder(spec_f, rate, phase_advance)
    len_stretch = round(ori_len / rate)
    return _istft(spec_stretch, n_fft, hop_length, win_length, window, length=len_stretch)


def _fix_waveform_shape(waveform_shift, shape):
    """The last step of :func:`pitch_shift`: trimmed or zero-padded to the original length
    ``shape[-1]`` and unpacked to ``shape``."""
    ori_len = shape[-1]
    shift_len = waveform_shift.shape[-1]
    if shift_len > ori_len:
        waveform_shift = waveform_shift[..., :ori_len]
    else:
        waveform_shift = F.pad(waveform_shift, [0, ori_len - shift_len])

    # unpack batch
    return waveform_shift.view(tuple(shape[:-1]) + tuple(waveform_shift.shape[-1:]))


# ------------------------------------------------------------------------------------- pitch


def _compute_nccf(waveform, sample_rate, frame_time, freq_low):
    r"""Compute Normalized Cross-Correlation Function (NCCF).

    .. math::
        \phi_i(m) = \frac{\sum_{n=b_i}^{b_i + N-1} w(n) w(m+n)}{\sqrt{E(b_i) E(m+b_i)}},

    where :math:`\phi_i(m)` is the NCCF at frame :math:`i` with lag :math:`m`, :math:`w` is
    the waveform, :math:`N` is the length of a frame, :math:`b_i` is the beginning of frame
    :math:`i`, :math:`E(j)` is the energy :math:`\sum_{n=j}^{j+N-1} w^2(n)`. As torchaudio's,
    the code divides by the product of the energies themselves (not their square root).
    """
    epsilon = 1e-9

    # number of lags to check
    lags = math.ceil(sample_rate / freq_low)

    frame_size = math.ceil(sample_rate * frame_time)

    waveform_length = waveform.shape[-1]
    num_of_frames = math.ceil(waveform_length / frame_size)
    frames_length = num_of_frames * frame_size

    p = lags + frames_length - waveform_length
    waveform = F.pad(waveform, (0, p))

    def frames(start):
        # non-overlapping frames of the signal from sample `start` on: (..., frames, size)
        signal = waveform[..., start : start + frames_length]
        return signal.reshape(tuple(waveform.shape[:-1]) + (num_of_frames, frame_size))

    s1 = frames(0)
    s1_energy = (epsilon + ember.norm(s1, p=2, dim=-1)).pow(2)
    # one lag at a time, as torchaudio: all lags at once would take `lags` copies of the signal
    output_lag = []
    for lag in range(1, lags + 1):
        s2 = frames(lag)
        output_frames = (
            (s1 * s2).sum(-1) / s1_energy / (epsilon + ember.norm(s2, p=2, dim=-1)).pow(2)
        )
        output_lag.append(output_frames.unsqueeze(-1))

    return ember.cat(output_lag, -1)


def _combine_max(a, b, thresh=0.99):
    """Take value from first if bigger than a multiplicative factor of the second,
    elementwise."""
    mask = a[0] > thresh * b[0]
    return ember.where(mask, a[0], b[0]), ember.where(mask, a[1], b[1])


def _find_max_per_frame(nccf, sample_rate, freq_high):
    r"""For each frame, the lag of the highest NCCF value (counted from 1).

    Note: If the max among all the lags is very close to the first half of lags, then the
    latter is taken.
    """
    lag_min = math.ceil(sample_rate / freq_high)

    # find near enough max that is smallest
    best = ember.max(nccf[..., lag_min:], -1)

    half_size = nccf.shape[-1] // 2
    half = ember.max(nccf[..., lag_min:half_size], -1)

    _, indices = _combine_max(half, best)

    # add back minimal lag, and 1 as an empirical calibration offset
    return indices + (lag_min + 1)


def _median_smoothing(indices, win_length):
    r"""Apply median smoothing to the 1D tensor over the given window.

    As torchaudio's, the signal is padded on the left only (with its first value), so the
    result is ``win_length - 1 - (win_length - 1) // 2`` values shorter than the input.
    """
    pad_length = (win_length - 1) // 2
    first = indices[..., :1].expand(tuple(indices.shape[:-1]) + (pad_length,))
    indices = ember.cat([first, indices], dim=-1)

    # every window of win_length consecutive values: (..., windows, win_length)
    num_windows = indices.shape[-1] - win_length + 1
    if num_windows < 1:
        raise RuntimeError(
            f"maximum size for tensor at dimension {indices.dim() - 1} is "
            f"{indices.shape[-1]} but size is {win_length}"
        )
    offsets = ember.arange(win_length, device=indices.device)
    starts = ember.arange(num_windows, device=indices.device).unsqueeze(-1)
    roll = indices[..., starts + offsets]

    values, _ = ember.median(roll, -1)
    return values


def detect_pitch_frequency(
    waveform,
    sample_rate,
    frame_time=10 ** (-2),
    win_length=30,
    freq_low=85,
    freq_high=3400,
):
    r"""Detect pitch frequency.

    It is implemented using normalized cross-correlation function and median smoothing.

    Args:
        waveform (Tensor): Tensor of audio of dimension `(..., freq, time)`
        sample_rate (int): The sample rate of the waveform (Hz)
        frame_time (float, optional): Duration of a frame (Default: ``10 ** (-2)``).
        win_length (int, optional): The window length for median smoothing (in number of
            frames) (Default: ``30``).
        freq_low (int, optional): Lowest frequency that can be detected (Hz)
            (Default: ``85``).
        freq_high (int, optional): Highest frequency that can be detected (Hz)
            (Default: ``3400``).

    Returns:
        Tensor: Tensor of freq of dimension `(..., frame)`
    """
    # pack batch
    shape = list(waveform.shape)
    waveform = waveform.reshape([-1] + shape[-1:])

    nccf = _compute_nccf(waveform, sample_rate, frame_time, freq_low)
    indices = _find_max_per_frame(nccf, sample_rate, freq_high)
    indices = _median_smoothing(indices, win_length)

    # convert indices to frequency
    epsilon = 1e-9
    freq = sample_rate / (epsilon + indices.to(ember.float32))

    # unpack batch
    return freq.reshape(shape[:-1] + list(freq.shape[-1:]))


# -------------------------------------------------------------------------------- distances


def frechet_distance(mu_x, sigma_x, mu_y, sigma_y):
    r"""Computes the Fréchet distance between two multivariate normal distributions.

    Concretely, for multivariate Gaussians :math:`X(\mu_X, \Sigma_X)`
    and :math:`Y(\mu_Y, \Sigma_Y)`, the function computes and returns :math:`F` as

    .. math::
        F(X, Y) = || \mu_X - \mu_Y ||_2^2
        + \text{Tr}\left( \Sigma_X + \Sigma_Y - 2 \sqrt{\Sigma_X \Sigma_Y} \right)

    Args:
        mu_x (Tensor): mean :math:`\mu_X` of multivariate Gaussian :math:`X`, with shape `(N,)`.
        sigma_x (Tensor): covariance matrix :math:`\Sigma_X` of :math:`X`, with shape `(N, N)`.
        mu_y (Tensor): mean :math:`\mu_Y` of multivariate Gaussian :math:`Y`, with shape `(N,)`.
        sigma_y (Tensor): covariance matrix :math:`\Sigma_Y` of :math:`Y`, with shape `(N, N)`.

    Returns:
        Tensor: the Fréchet distance between :math:`X` and :math:`Y`.
    """
    if len(mu_x.size()) != 1:
        raise ValueError(f"Input mu_x must be one-dimensional; got dimension {len(mu_x.size())}.")
    if len(sigma_x.size()) != 2:
        raise ValueError(
            f"Input sigma_x must be two-dimensional; got dimension {len(sigma_x.size())}."
        )
    # torchaudio's chained comparison: (rows != columns) and (columns != len(mu_x))
    if sigma_x.size(0) != sigma_x.size(1) != mu_x.size(0):
        raise ValueError("Each of sigma_x's dimensions must match mu_x's size.")
    if mu_x.size() != mu_y.size():
        raise ValueError(
            f"Inputs mu_x and mu_y must have the same shape; got {mu_x.size()} and {mu_y.size()}."
        )
    if sigma_x.size() != sigma_y.size():
        raise ValueError(
            "Inputs sigma_x and sigma_y must have the same shape; "
            f"got {sigma_x.size()} and {sigma_y.size()}."
        )

    a = (mu_x - mu_y).square().sum()
    b = sigma_x.trace() + sigma_y.trace()
    # Tr sqrt(A B) is the sum of the square roots of the eigenvalues of A B
    c = ember.linalg.eigvals(sigma_x @ sigma_y).sqrt().real.sum()
    return a + b - 2 * c
