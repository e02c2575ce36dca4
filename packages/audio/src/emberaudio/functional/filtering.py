"""Filters and effects under ``torchaudio.functional.filtering``'s names: ``lfilter`` and
``filtfilt``, ``biquad`` and the SoX / Audio EQ Cookbook biquad designs, the SoX effects
(contrast, dcshift, dither, overdrive, phaser, flanger, gain), ITU-R BS.1770 ``loudness`` and
SoX's voice activity detector ``vad``.

Everything that transforms a signal is written with ember tensor operations, so it runs on
the signal's device and autograd flows through it where torchaudio's does. The recursive
filters run without a Python loop over samples (see ``_all_pole``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import ember
import ember.nn.functional as F
from ember import backend

__all__ = [
    "lfilter",
    "filtfilt",
    "biquad",
    "allpass_biquad",
    "band_biquad",
    "bandpass_biquad",
    "bandreject_biquad",
    "bass_biquad",
    "deemph_biquad",
    "equalizer_biquad",
    "highpass_biquad",
    "lowpass_biquad",
    "riaa_biquad",
    "treble_biquad",
    "contrast",
    "dcshift",
    "dither",
    "gain",
    "overdrive",
    "phaser",
    "flanger",
    "loudness",
    "vad",
]


# ------------------------------------------------------------------------- IIR filtering

# Samples per block of the all-pole recursion: each block costs one (B, B) matmul per
# sample block, and the blocks' boundary states are chained in log2(T / B) steps.
_IIR_BLOCK = 64


def _response_rows(a_coeffs, count):
    """Rows ``e0^T M^i`` for ``i < count``, as ``(num_filters, count, order)``.

    ``M`` is the companion matrix of ``y[n] = x[n] - sum_k a[k - 1] y[n - k]``: it maps the
    state ``(y[n - 1], ..., y[n - order])`` to ``(y[n], ..., y[n - order + 1])`` when the
    input is 0. Row ``i`` says how the state before a block reaches output ``i - 1`` of the
    block; its first entry is the impulse response ``h[i]``. Built by doubling
    (``rows[d:2d] = rows[:d] @ M^d``): log2(count) matmuls, no loop over samples.
    """
    num_filters, order = a_coeffs.shape
    shift = ember.eye(order - 1, order, dtype=a_coeffs.dtype, device=a_coeffs.device)
    power = ember.cat([-a_coeffs.unsqueeze(1), shift.expand(num_filters, -1, -1)], dim=1)
    rows = ember.eye(1, order, dtype=a_coeffs.dtype, device=a_coeffs.device).expand(
        num_filters, -1, -1
    )
    while rows.shape[1] < count:
        rows = ember.cat([rows, rows @ power], dim=1)
        power = power @ power
    return rows[:, :count]


def _all_pole(x, a_coeffs):
    """``y[n] = x[n] - sum_k a_coeffs[:, k - 1] * y[n - k]`` from rest, along the last dim.

    ``x`` is ``(batch, num_filters, time)``, ``a_coeffs`` ``(num_filters, order)`` (the
    normalised feedback coefficients a1..aN). The time axis is cut into blocks of ``B``
    samples. Within a block the response from rest is the input times the lower-triangular
    Toeplitz matrix of the impulse response; the state the block starts in (the previous
    block's last ``order`` outputs) adds ``state @ G``. The block-end states obey
    ``s[j] = c[j] + s[j - 1] @ P`` with ``P = (M^B)^T``, solved for all blocks at once by a
    parallel prefix (Hillis-Steele: log2(blocks) matmuls with P, P^2, P^4, ...). For a stable
    filter every power decays, so rounding errors die out as in the sample-by-sample loop.

    The state ``(y[n - 1], ..., y[n - order])`` is an ill-conditioned basis for poles near
    z = 1 (a 38 Hz high-pass at 48 kHz: entries of ``P`` near 47 whose sum is 0.73), and in
    float32 the chained block states drifted by 1e-2 where the sample loop stays within
    1e-5 of the exact filter. The recursion therefore runs in float64 and the result is
    cast back to the input's dtype (then within 1e-7 of the exact filter).
    """
    order = a_coeffs.shape[-1]
    length = x.shape[-1]
    block = _IIR_BLOCK if order <= _IIR_BLOCK else 1 << (order - 1).bit_length()
    num_blocks = -(-length // block)
    rows = _response_rows(a_coeffs, block + 1)
    impulse = F.pad(rows[..., :block, 0], (block, 0))  # zeros, then h[0..B-1]
    lags = block + np.arange(block)[None, :] - np.arange(block)[:, None]  # B + i - m at [m, i]
    toeplitz = impulse[..., ember.from_numpy(lags).to(device=x.device)]  # h[i - m] at [m, i]
    from_state = rows[:, 1:].transpose(1, 2)  # (num_filters, order, B)
    # state after B samples: (y[B - 1], ..., y[B - order]) rows of M^B, i.e. rows[B - r]
    transition = rows[:, block - order + 1 :].flip(1).transpose(1, 2)

    blocks = F.pad(x, (0, num_blocks * block - length))
    blocks = blocks.reshape(*x.shape[:-1], num_blocks, block)
    local = blocks @ toeplitz  # (batch, num_filters, blocks, B) from rest
    states = local[..., block - order :].flip(-1)
    span = 1
    while span < num_blocks:
        carried = states[..., :-span, :] @ transition
        states = ember.cat([states[..., :span, :], states[..., span:, :] + carried], dim=-2)
        transition = transition @ transition
        span *= 2
    entry = F.pad(states[..., :-1, :], (0, 0, 1, 0))  # the state each block starts in
    y = local + entry @ from_state
    return y.reshape(*x.shape[:-1], num_blocks * block)[..., :length]


class _AllPole(ember.autograd.Function):
    """The all-pole part of ``lfilter``, with the adjoint as its backward: the gradient of
    the input is the same recursion run backwards in time, and the gradient of ``a[k]`` is
    ``-sum_n gx[n] y[n - k]`` (the method of Forgione et al. and Yu et al. that torchaudio
    uses). Backward calls this Function again, so gradients of gradients compose."""

    @staticmethod
    def forward(ctx, x, a_coeffs):
        y = _all_pole(x.to(ember.float64), a_coeffs.to(ember.float64)).to(x.dtype)
        ctx.save_for_backward(a_coeffs, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        a_coeffs, y = ctx.saved_tensors
        gx = _AllPole.apply(gy.flip(-1), a_coeffs).flip(-1)
        ga = None
        if ctx.needs_input_grad[1]:
            order = a_coeffs.shape[-1]
            length = y.shape[-1]
            past = F.pad(y, (order, 0))  # past[..., n + order - k] = y[..., n - k]
            delayed = ember.stack(
                [past[..., order - k : order - k + length] for k in range(1, order + 1)], dim=-1
            )
            ga = -(gx.unsqueeze(-2) @ delayed).squeeze(-2).sum(0)
        return gx, ga


def _lfilter(waveform, a_coeffs, b_coeffs):
    """``waveform`` ``(batch, num_filters, time)`` through each filter, from rest."""
    a0 = a_coeffs[:, 0:1]
    b_coeffs = b_coeffs / a0
    a_coeffs = a_coeffs / a0
    order = a_coeffs.shape[1] - 1
    fir = F.conv1d(
        F.pad(waveform, (order, 0)), b_coeffs.flip(1).unsqueeze(1), groups=b_coeffs.shape[0]
    )
    if order == 0:
        return fir
    return _AllPole.apply(fir, a_coeffs[:, 1:])


def lfilter(waveform, a_coeffs, b_coeffs, clamp=True, batching=True):
    r"""Perform an IIR filter by evaluating difference equation, using differentiable
    implementation developed separately by *Yu et al.* and *Forgione et al.*

    Note:
        To avoid numerical problems, small filter order is preferred.
        Using double precision could also minimize numerical precision errors.

    torchaudio runs the recursion one sample at a time; here it runs over blocks of samples
    (see ``_all_pole``), which agrees with the recursion to rounding for stable filters.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`.  Must be normalized
            to -1 to 1.
        a_coeffs (Tensor): denominator coefficients of difference equation of dimension of
            either 1D with shape `(num_order + 1)` or 2D with shape
            `(num_filters, num_order + 1)`. Lower delays coefficients are first, e.g.
            ``[a0, a1, a2, ...]``. Must be same size as b_coeffs (pad with 0's as necessary).
        b_coeffs (Tensor): numerator coefficients of difference equation of dimension of
            either 1D with shape `(num_order + 1)` or 2D with shape
            `(num_filters, num_order + 1)`. Lower delays coefficients are first, e.g.
            ``[b0, b1, b2, ...]``. Must be same size as a_coeffs (pad with 0's as necessary).
        clamp (bool, optional): If ``True``, clamp the output signal to be in the range
            [-1, 1] (Default: ``True``)
        batching (bool, optional): Effective only when coefficients are 2D. If ``True``, then
            waveform should be at least 2D, and the size of second axis from last should
            equals to ``num_filters``. The output can be expressed as
            ``output[..., i, :] = lfilter(waveform[..., i, :], a_coeffs[i], b_coeffs[i],
            clamp=clamp, batching=False)``. (Default: ``True``)

    Returns:
        Tensor: Waveform with dimension of either `(..., num_filters, time)` if ``a_coeffs``
        and ``b_coeffs`` are 2D Tensors, or `(..., time)` otherwise.
    """
    if a_coeffs.size() != b_coeffs.size():
        raise ValueError(
            "Expected coeffs to be the same size."
            f"Found: a_coeffs size: {a_coeffs.size()}, b_coeffs size: {b_coeffs.size()}"
        )
    if a_coeffs.ndim > 2:
        # torchaudio's wording, although it means "at most 2 dimensions"
        raise ValueError(
            f"Expected coeffs to have greater than 1 dimension. Found: {a_coeffs.ndim}"
        )

    if a_coeffs.ndim > 1:
        if batching:
            if waveform.ndim <= 0:
                raise ValueError(
                    "Expected waveform to have a positive number of dimensions."
                    f"Found: {waveform.ndim}"
                )
            if waveform.shape[-2] != a_coeffs.shape[0]:
                raise ValueError(
                    "Expected number of batches in waveform and coeffs to be the same."
                    f"Found: coeffs batches: {a_coeffs.shape[0]}, "
                    f"waveform batches: {waveform.shape[-2]}"
                )
        else:
            waveform = ember.stack([waveform] * a_coeffs.shape[0], -2)
    else:
        a_coeffs = a_coeffs.unsqueeze(0)
        b_coeffs = b_coeffs.unsqueeze(0)

    shape = waveform.shape
    output = _lfilter(waveform.reshape(-1, a_coeffs.shape[0], shape[-1]), a_coeffs, b_coeffs)
    if clamp:
        output = ember.clamp(output, min=-1.0, max=1.0)
    return output.reshape(*shape[:-1], output.shape[-1])


def filtfilt(waveform, a_coeffs, b_coeffs, clamp=True):
    r"""Apply an IIR filter forward and backward to a waveform.

    Inspired by https://docs.scipy.org/doc/scipy/reference/generated/scipy.signal.filtfilt.html

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`.  Must be normalized
            to -1 to 1.
        a_coeffs (Tensor): denominator coefficients of difference equation of dimension of
            either 1D with shape `(num_order + 1)` or 2D with shape
            `(num_filters, num_order + 1)`. Lower delay coefficients are first, e.g.
            ``[a0, a1, a2, ...]``. Must be same size as b_coeffs (pad with 0's as necessary).
        b_coeffs (Tensor): numerator coefficients of difference equation of dimension of
            either 1D with shape `(num_order + 1)` or 2D with shape
            `(num_filters, num_order + 1)`. Lower delay coefficients are first, e.g.
            ``[b0, b1, b2, ...]``. Must be same size as a_coeffs (pad with 0's as necessary).
        clamp (bool, optional): If ``True``, clamp the output signal to be in the range
            [-1, 1] (Default: ``True``)

    Returns:
        Tensor: Waveform with dimension of either `(..., num_filters, time)` if ``a_coeffs``
        and ``b_coeffs`` are 2D Tensors, or `(..., time)` otherwise.
    """
    forward_filtered = lfilter(waveform, a_coeffs, b_coeffs, clamp=False, batching=True)
    backward_filtered = lfilter(
        forward_filtered.flip(-1), a_coeffs, b_coeffs, clamp=clamp, batching=True
    )
    return backward_filtered.flip(-1)


def biquad(waveform, b0, b1, b2, a0, a1, a2):
    r"""Perform a biquad filter of input tensor.  Initial conditions set to 0.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        b0 (float or Tensor): numerator coefficient of current input, x[n]
        b1 (float or Tensor): numerator coefficient of input one time step ago x[n-1]
        b2 (float or Tensor): numerator coefficient of input two time steps ago x[n-2]
        a0 (float or Tensor): denominator coefficient of current output y[n], typically 1
        a1 (float or Tensor): denominator coefficient of current output y[n-1]
        a2 (float or Tensor): denominator coefficient of current output y[n-2]

    Returns:
        Tensor: Waveform with dimension of `(..., time)`

    Reference:
       - https://en.wikipedia.org/wiki/Digital_biquad_filter
    """
    b0, b1, b2, a0, a1, a2 = [_param(waveform, c).reshape(1) for c in (b0, b1, b2, a0, a1, a2)]
    return lfilter(waveform, ember.cat([a0, a1, a2]), ember.cat([b0, b1, b2]))


# ------------------------------------------------------------------------- biquad designs
# The formulas are the Audio EQ Cookbook's (https://www.w3.org/2011/audio/audio-eq-cookbook.html)
# as SoX and torchaudio write them. Frequencies, Q and gains may be tensors: they are taken
# in the waveform's dtype and device, so gradients reach them.


def _param(waveform, value):
    """``value`` (a float or a tensor) as a tensor of the waveform's dtype and device."""
    if isinstance(value, ember.Tensor):
        return value.to(dtype=waveform.dtype, device=waveform.device)
    # not ember.as_tensor: it rounds a Python float through float32 first
    return ember.tensor(value, dtype=waveform.dtype, device=waveform.device)


def _w0_alpha(waveform, sample_rate, freq, Q):
    """The cookbook's ``w0 = 2 pi f / fs`` and ``alpha = sin(w0) / (2 Q)``."""
    w0 = 2 * math.pi * _param(waveform, freq) / sample_rate
    return w0, ember.sin(w0) / 2 / _param(waveform, Q)


def _with_cookbook_poles(waveform, b0, b1, b2, w0, alpha):
    """``biquad`` with the denominator the cookbook's pass, notch and all-pass filters share:
    ``1 + alpha, -2 cos(w0), 1 - alpha``."""
    return biquad(waveform, b0, b1, b2, 1 + alpha, -2 * ember.cos(w0), 1 - alpha)


def _shelf(A, cos_w0, alpha, sign):
    """Coefficients ``(b0, b1, b2, a0, a1, a2)`` of the cookbook's high shelf (``sign=1``)
    or low shelf (``sign=-1``: the high shelf's with ``cos(w0)`` and the odd taps negated),
    for floats or tensors alike."""
    temp1 = 2 * A**0.5 * alpha
    temp2 = sign * (A - 1) * cos_w0
    temp3 = sign * (A + 1) * cos_w0
    b0 = A * ((A + 1) + temp2 + temp1)
    b1 = -2 * sign * A * ((A - 1) + temp3)
    b2 = A * ((A + 1) + temp2 - temp1)
    a0 = (A + 1) - temp2 + temp1
    a1 = 2 * sign * ((A - 1) - temp3)
    a2 = (A + 1) - temp2 - temp1
    return b0, b1, b2, a0, a1, a2


def _shelf_gain(waveform, gain):
    """The cookbook's ``A = 10 ** (gain / 40)``."""
    return ember.exp(_param(waveform, gain) / 40 * math.log(10))


def allpass_biquad(waveform, sample_rate, central_freq, Q=0.707):
    r"""Design two-pole all-pass filter.  Similar to SoX implementation.

    Args:
        waveform(Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        central_freq (float or Tensor): central frequency (in Hz)
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _with_cookbook_poles(waveform, 1 - alpha, -2 * ember.cos(w0), 1 + alpha, w0, alpha)


def band_biquad(waveform, sample_rate, central_freq, Q=0.707, noise=False):
    r"""Design two-pole band filter.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        central_freq (float or Tensor): central frequency (in Hz)
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``).
        noise (bool, optional) : If ``True``, uses the alternate mode for un-pitched audio
            (e.g. percussion). If ``False``, uses mode oriented to pitched audio, i.e. voice,
            singing, or instrumental music (Default: ``False``).

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    central_freq = _param(waveform, central_freq)
    w0 = 2 * math.pi * central_freq / sample_rate
    bw_Hz = central_freq / _param(waveform, Q)

    a0 = 1.0
    a2 = ember.exp(-2 * math.pi * bw_Hz / sample_rate)
    a1 = -4 * a2 / (1 + a2) * ember.cos(w0)

    b0 = ember.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    if noise:
        mult = ember.sqrt(((1 + a2) * (1 + a2) - a1 * a1) * (1 - a2) / (1 + a2)) / b0
        b0 = mult * b0

    return biquad(waveform, b0, 0.0, 0.0, a0, a1, a2)


def bandpass_biquad(waveform, sample_rate, central_freq, Q=0.707, const_skirt_gain=False):
    r"""Design two-pole band-pass filter.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        central_freq (float or Tensor): central frequency (in Hz)
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``)
        const_skirt_gain (bool, optional) : If ``True``, uses a constant skirt gain
            (peak gain = Q). If ``False``, uses a constant 0dB peak gain. (Default: ``False``)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    temp = ember.sin(w0) / 2 if const_skirt_gain else alpha
    return _with_cookbook_poles(waveform, temp, 0.0, -temp, w0, alpha)


def bandreject_biquad(waveform, sample_rate, central_freq, Q=0.707):
    r"""Design two-pole band-reject filter.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        central_freq (float or Tensor): central frequency (in Hz)
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return _with_cookbook_poles(waveform, 1.0, -2 * ember.cos(w0), 1.0, w0, alpha)


def bass_biquad(waveform, sample_rate, gain, central_freq=100, Q=0.707):
    r"""Design a bass tone-control effect.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        gain (float or Tensor): desired gain at the boost (or attenuation) in dB.
        central_freq (float or Tensor, optional): central frequency (in Hz).
            (Default: ``100``)
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``).

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    b0, b1, b2, a0, a1, a2 = _shelf(_shelf_gain(waveform, gain), ember.cos(w0), alpha, -1)
    # torchaudio divides by a0 here (and not in treble_biquad): kept for its rounding
    return biquad(waveform, b0 / a0, b1 / a0, b2 / a0, a0 / a0, a1 / a0, a2 / a0)


def deemph_biquad(waveform, sample_rate):
    r"""Apply ISO 908 CD de-emphasis (shelving) IIR filter.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, Allowed sample rate ``44100`` or
            ``48000``

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    if sample_rate == 44100:
        central_freq, width_slope, gain_db = 5283, 0.4845, -9.477
    elif sample_rate == 48000:
        central_freq, width_slope, gain_db = 5356, 0.479, -9.62
    else:
        raise ValueError("Sample rate must be 44100 (audio-CD) or 48000 (DAT)")

    w0 = 2 * math.pi * central_freq / sample_rate
    A = math.exp(gain_db / 40.0 * math.log(10))
    alpha = math.sin(w0) / 2 * math.sqrt((A + 1 / A) * (1 / width_slope - 1) + 2)
    return biquad(waveform, *_shelf(A, math.cos(w0), alpha, 1))


def equalizer_biquad(waveform, sample_rate, center_freq, gain, Q=0.707):
    r"""Design biquad peaking equalizer filter and perform filtering.  Similar to SoX
    implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        center_freq (float): filter's central frequency
        gain (float or Tensor): desired gain at the boost (or attenuation) in dB
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, center_freq, Q)
    A = _shelf_gain(waveform, gain)
    cos_term = -2 * ember.cos(w0)
    return biquad(
        waveform, 1 + alpha * A, cos_term, 1 - alpha * A, 1 + alpha / A, cos_term, 1 - alpha / A
    )


def highpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    r"""Design biquad highpass filter and perform filtering.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        cutoff_freq (float or Tensor): filter cutoff frequency
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``)

    Returns:
        Tensor: Waveform dimension of `(..., time)`
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    b0 = (1 + ember.cos(w0)) / 2
    return _with_cookbook_poles(waveform, b0, -1 - ember.cos(w0), b0, w0, alpha)


def lowpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    r"""Design biquad lowpass filter and perform filtering.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        cutoff_freq (float or Tensor): filter cutoff frequency
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    b0 = (1 - ember.cos(w0)) / 2
    return _with_cookbook_poles(waveform, b0, 1 - ember.cos(w0), b0, w0, alpha)


# zeros and poles of SoX's RIAA playback filter at the sample rates it supports
_RIAA = {
    44100: ((-0.2014898, 0.9233820), (0.7083149, 0.9924091)),
    48000: ((-0.1766069, 0.9321590), (0.7396325, 0.9931330)),
    88200: ((-0.1168735, 0.9648312), (0.8590646, 0.9964002)),
    96000: ((-0.1141486, 0.9676817), (0.8699137, 0.9966946)),
}


def riaa_biquad(waveform, sample_rate):
    r"""Apply RIAA vinyl playback equalization.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz).
            Allowed sample rates in Hz : ``44100``,``48000``,``88200``,``96000``

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    if sample_rate not in _RIAA:
        raise ValueError("Sample rate must be 44.1k, 48k, 88.2k, or 96k")
    zeros, poles = _RIAA[sample_rate]

    # polynomial coefficients with roots zeros[0] and zeros[1], then poles[0] and poles[1]
    b0, b1, b2 = 1.0, -(zeros[0] + zeros[1]), zeros[0] * zeros[1]
    a0, a1, a2 = 1.0, -(poles[0] + poles[1]), poles[0] * poles[1]

    # Normalize to 0dB at 1kHz
    y = 2 * math.pi * 1000 / sample_rate
    b_re = b0 + b1 * math.cos(-y) + b2 * math.cos(-2 * y)
    a_re = a0 + a1 * math.cos(-y) + a2 * math.cos(-2 * y)
    b_im = b1 * math.sin(-y) + b2 * math.sin(-2 * y)
    a_im = a1 * math.sin(-y) + a2 * math.sin(-2 * y)
    g = 1 / math.sqrt((b_re**2 + b_im**2) / (a_re**2 + a_im**2))

    return biquad(waveform, b0 * g, b1 * g, b2 * g, a0, a1, a2)


def treble_biquad(waveform, sample_rate, gain, central_freq=3000, Q=0.707):
    r"""Design a treble tone-control effect.  Similar to SoX implementation.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        gain (float or Tensor): desired gain at the boost (or attenuation) in dB.
        central_freq (float or Tensor, optional): central frequency (in Hz).
            (Default: ``3000``)
        Q (float or Tensor, optional): https://en.wikipedia.org/wiki/Q_factor
            (Default: ``0.707``).

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - https://www.w3.org/2011/audio/audio-eq-cookbook.html#APF
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    return biquad(waveform, *_shelf(_shelf_gain(waveform, gain), ember.cos(w0), alpha, 1))


# --------------------------------------------------------------------------------- effects


def contrast(waveform, enhancement_amount=75.0):
    r"""Apply contrast effect.  Similar to SoX implementation.

    Comparable with compression, this effect modifies an audio signal to make it sound louder

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        enhancement_amount (float, optional): controls the amount of the enhancement
            Allowed range of values for enhancement_amount : 0-100
            Note that enhancement_amount = 0 still gives a significant contrast enhancement

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
    """
    if not 0 <= enhancement_amount <= 100:
        raise ValueError("Allowed range of values for enhancement_amount : 0-100")

    amount = enhancement_amount / 750.0
    temp1 = waveform * (math.pi / 2)
    temp2 = amount * ember.sin(temp1 * 4)
    return ember.sin(temp1 + temp2)


def dcshift(waveform, shift, limiter_gain=None):
    r"""Apply a DC shift to the audio. Similar to SoX implementation.

    This can be useful to remove a DC offset
    (caused perhaps by a hardware problem in the recording chain) from the audio

    torchaudio writes the limited samples into ``waveform`` itself when ``limiter_gain`` is
    given; this returns a new tensor and leaves ``waveform`` as it was (same values out).

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        shift (float): indicates the amount to shift the audio
            Allowed range of values for shift : -2.0 to +2.0
        limiter_gain (float of None, optional): It is used only on peaks to prevent clipping
            It should have a value much less than 1 (e.g. 0.05 or 0.02)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
    """
    shifted = ember.clamp(waveform + shift, min=-1, max=1)
    if limiter_gain is None or shift == 0:
        return shifted
    limiter_threshold = 1.0 - (abs(shift) - limiter_gain)
    scale = limiter_gain / (1 - limiter_threshold)
    if shift > 0:
        peaks = waveform > limiter_threshold
        limited = (waveform - limiter_threshold) * scale + limiter_threshold + shift
        limited = ember.clamp(limited, max=limiter_threshold)
    else:
        peaks = waveform < -limiter_threshold
        limited = (waveform + limiter_threshold) * scale - limiter_threshold + shift
        limited = ember.clamp(limited, min=-limiter_threshold)
    return ember.where(peaks, limited, shifted)


def overdrive(waveform, gain=20, colour=20):
    r"""Apply a overdrive effect to the audio. Similar to SoX implementation.

    This effect applies a non linear distortion to the audio signal.

    SoX's per-sample loop ``last_out = temp[i] - temp[i - 1] + 0.995 * last_out`` is the
    filter ``(1 - z^-1) / (1 - 0.995 z^-1)``, run here through ``lfilter``'s vectorised
    recursion.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        gain (float, optional): desired gain at the boost (or attenuation) in dB
            Allowed range of values are 0 to 100
        colour (float, optional):  controls the amount of even harmonic content in the
            over-driven output. Allowed range of values are 0 to 100

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
    """
    temp = waveform * math.exp(gain * math.log(10) / 20.0) + colour / 200
    # soft clipping: t - t^3 / 3 inside [-1, 1], its end values -2/3 and 2/3 outside
    cubic = temp - temp**3 * (1.0 / 3)
    temp = ember.where(temp < -1, -2.0 / 3.0, ember.where(temp > 1, 2.0 / 3.0, cubic))
    a_coeffs = ember.tensor([1.0, -0.995], dtype=waveform.dtype, device=waveform.device)
    b_coeffs = ember.tensor([1.0, -1.0], dtype=waveform.dtype, device=waveform.device)
    last_out = lfilter(temp, a_coeffs, b_coeffs, clamp=False)
    return ember.clamp(waveform * 0.5 + last_out * 0.75, min=-1, max=1)


def _generate_wave_table(wave_type, data_type, table_size, min, max, phase):
    """SoX's modulation table (``"SINE"`` or ``"TRIANGLE"``), as a numpy array of int32
    (``"INT"``, rounded half away from zero) or float32 (``"FLOAT"``)."""
    phase_offset = int(phase / math.pi / 2 * table_size + 0.5)
    point = (np.arange(table_size) + phase_offset) % table_size
    if wave_type == "SINE":
        d = (np.sin(point / table_size * 2 * math.pi) + 1) / 2
    else:
        d = point * 2 / table_size
        quarter = 4 * point // table_size
        d = np.select([quarter == 0, quarter == 3], [d + 0.5, d - 1.5], 1.5 - d)
    d = d * (max - min) + min
    if data_type == "INT":
        return np.trunc(np.where(d < 0, d - 0.5, d + 0.5)).astype(np.int32)
    return d.astype(np.float32)


def phaser(
    waveform,
    sample_rate,
    gain_in=0.4,
    gain_out=0.74,
    delay_ms=3.0,
    decay=0.4,
    mod_speed=0.5,
    sinusoidal=True,
):
    r"""Apply a phasing effect to the audio. Similar to SoX implementation.

    SoX's loop keeps a ring buffer of ``L`` past values: sample ``i`` reads the cell
    ``(i + mod[i]) % L`` and then writes ``decay * out[i]`` to cell ``(i + 1) % L``, so it
    reads what sample ``i - (L + 1 - mod[i])`` wrote. The recursion
    ``out[i] = gain_in * x[i] + decay * out[i - d[i]]`` is solved here by pointer jumping:
    after ``k`` rounds every sample holds the sum over its next ``2^k`` predecessors, in
    log2(time) rounds of gathers instead of a loop over samples.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., time)`
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        gain_in (float, optional): desired input gain at the boost (or attenuation) in dB
            Allowed range of values are 0 to 1
        gain_out (float, optional): desired output gain at the boost (or attenuation) in dB
            Allowed range of values are 0 to 1e9
        delay_ms (float, optional): desired delay in milliseconds
            Allowed range of values are 0 to 5.0
        decay (float, optional):  desired decay relative to gain-in
            Allowed range of values are 0 to 0.99
        mod_speed (float, optional):  modulation speed in Hz
            Allowed range of values are 0.1 to 2
        sinusoidal (bool, optional):  If ``True``, uses sinusoidal modulation (preferable
            for multiple instruments). If ``False``, uses triangular modulation (gives
            single instruments a sharper phasing effect) (Default: ``True``)

    Returns:
        Tensor: Waveform of dimension of `(..., time)`

    Reference:
        - http://sox.sourceforge.net/sox.html
        - Scott Lehman, `Effects Explained`_.

    .. _Effects Explained:
        https://web.archive.org/web/20051125072557/http://www.harmony-central.com/Effects/effects-explained.html
    """
    delay_buf_len = int((delay_ms * 0.001 * sample_rate) + 0.5)
    mod_buf_len = int(sample_rate / mod_speed + 0.5)
    mod_buf = _generate_wave_table(
        "SINE" if sinusoidal else "TRIANGLE",
        "INT",
        mod_buf_len,
        1.0,
        float(delay_buf_len),
        math.pi / 2,
    )
    length = waveform.shape[-1]
    steps = np.arange(length)
    source = steps - (delay_buf_len + 1 - mod_buf[steps % mod_buf_len])  # < 0: not written

    out = waveform * gain_in
    weight = decay
    while (source >= 0).any():
        has_source = source >= 0
        gathered = out[..., ember.from_numpy(np.maximum(source, 0)).to(device=out.device)]
        mask = ember.from_numpy(has_source).to(device=out.device, dtype=out.dtype)
        out = out + weight * gathered * mask
        source = np.where(has_source, source[np.maximum(source, 0)], -1)
        weight = weight * weight
    return ember.clamp(out * gain_out, min=-1, max=1)


def _interpolate_delay(taps, frac):
    """SoX's delay-line interpolation between the taps ``d0, d1[, d2]`` (one sample apart) at
    the fraction ``frac``: linear with two taps, quadratic with three. Arithmetic only, so it
    serves tensors and arrays alike."""
    if len(taps) == 2:
        d0, d1 = taps
        return d0 + (d1 - d0) * frac
    d0, d1, d2 = taps
    d2 = d2 - d0
    d1 = d1 - d0
    a = d2 * 0.5 - d1
    b = d1 * 2 - d2 * 0.5
    return d0 + (a * frac + b) * frac


def _feedback_positions(lags):
    """Where tap ``m`` of sample ``i`` reads ``d[i - 1 - lags[m, c, i]]`` in ``d`` stored
    after ``pad`` leading zeros (the samples before the signal): ``(pad, positions)``."""
    xp = backend.array_module(lags)
    pad = int(lags.max()) + 1
    return pad, pad - 1 - lags + xp.arange(lags.shape[-1])


def _feedback_delay(v, lags, frac, gain):
    """``d[..., c, i] = v[..., c, i] + gain * interpolate(d[..., c, i - 1 - lags[:, c, i]])``
    on raw arrays (``v`` ``(batch, channel, time)``, ``lags`` ``(taps, channel, time)``,
    ``frac`` ``(channel, time)``). Each sample reads earlier outputs only: the loop over time
    is the recursion itself, vectorised over batch and channels."""
    xp = backend.array_module(v)
    batch, channels, length = v.shape
    pad, positions = _feedback_positions(lags)
    d = xp.zeros((batch, channels, pad + length), dtype=v.dtype)
    channel = xp.arange(channels)
    for i in range(length):
        taps = [d[:, channel, p[:, i]] for p in positions]
        d[:, :, pad + i] = v[:, :, i] + gain * _interpolate_delay(taps, frac[:, i])
    return xp.ascontiguousarray(d[..., pad:])


def _feedback_delay_transpose(gd, lags, frac, gain):
    """The transpose of ``_feedback_delay``: the recursion backwards in time, each sample's
    value scattered onto the outputs it read, weighted by the interpolation of unit taps."""
    xp = backend.array_module(gd)
    batch, channels, length = gd.shape
    pad, positions = _feedback_positions(lags)
    taps = len(positions)
    units = [[float(k == m) for k in range(taps)] for m in range(taps)]
    frac = frac.astype(gd.dtype)  # 1 - frac in float32 would round the weights
    weights = [gain * _interpolate_delay(unit, frac) for unit in units]
    g = xp.concatenate([xp.zeros((batch, channels, pad), dtype=gd.dtype), gd], axis=-1)
    channel = xp.arange(channels)
    for i in range(length - 1, -1, -1):
        gi = g[:, :, pad + i]  # complete: only later samples read sample i
        for p, w in zip(positions, weights):
            g[:, channel, p[:, i]] += w[:, i] * gi
    return xp.ascontiguousarray(g[..., pad:])


class _FeedbackDelay(ember.autograd.Function):
    """The flanger's feedback path (``_feedback_delay``, linear in ``v``): its backward is
    the transposed recursion, whose backward is the recursion again."""

    @staticmethod
    def forward(ctx, v, lags, frac, gain, transpose):
        ctx.args = (lags, frac, gain, transpose)
        kernel = _feedback_delay_transpose if transpose else _feedback_delay
        return ember.Tensor._make(kernel(v._data, lags, frac, gain))

    @staticmethod
    def backward(ctx, gd):
        lags, frac, gain, transpose = ctx.args
        return _FeedbackDelay.apply(gd, lags, frac, gain, not transpose), None, None, None, None


def flanger(
    waveform,
    sample_rate,
    delay=0.0,
    depth=2.0,
    regen=0.0,
    width=71.0,
    speed=0.5,
    phase=25.0,
    modulation="sinusoidal",
    interpolation="linear",
):
    r"""Apply a flanger effect to the audio. Similar to SoX implementation.

    SoX's delay line holds ``s[i] = x[i] + feedback * d[i - 1]``, and the delayed signal
    ``d[i]`` interpolates it ``lfo[i]`` samples back. As the interpolation is linear this is
    ``d[i] = interpolate(x taps) + feedback * interpolate(d taps one sample earlier)``: the
    first part is gathered for all samples at once; only with ``regen != 0`` does the second
    run sample by sample (vectorised over batch and channels), as in torchaudio.

    Args:
        waveform (Tensor): audio waveform of dimension of `(..., channel, time)` .
            Max 4 channels allowed
        sample_rate (int): sampling rate of the waveform, e.g. 44100 (Hz)
        delay (float, optional): desired delay in milliseconds(ms)
            Allowed range of values are 0 to 30
        depth (float, optional): desired delay depth in milliseconds(ms)
            Allowed range of values are 0 to 10
        regen (float, optional): desired regen(feedback gain) in dB
            Allowed range of values are -95 to 95
        width (float, optional):  desired width(delay gain) in dB
            Allowed range of values are 0 to 100
        speed (float, optional):  modulation speed in Hz
            Allowed range of values are 0.1 to 10
        phase (float, optional):  percentage phase-shift for multi-channel
            Allowed range of values are 0 to 100
        modulation (str, optional):  Use either "sinusoidal" or "triangular" modulation.
            (Default: ``sinusoidal``)
        interpolation (str, optional): Use either "linear" or "quadratic" for delay-line
            interpolation. (Default: ``linear``)

    Returns:
        Tensor: Waveform of dimension of `(..., channel, time)`

    Reference:
        - http://sox.sourceforge.net/sox.html

        - Scott Lehman, `Effects Explained`_,

    .. _Effects Explained:
        https://web.archive.org/web/20051125072557/http://www.harmony-central.com/Effects/effects-explained.html
    """
    if modulation not in ("sinusoidal", "triangular"):
        raise ValueError('Only "sinusoidal" or "triangular" modulation allowed')

    if interpolation not in ("linear", "quadratic"):
        raise ValueError('Only "linear" or "quadratic" interpolation allowed')

    actual_shape = waveform.shape
    if actual_shape[-2] > 4:
        raise ValueError("Max 4 channels allowed")

    # convert to 3D (batch, channels, time)
    waveform = waveform.reshape(-1, actual_shape[-2], actual_shape[-1])
    n_channels, length = waveform.shape[-2:]

    # Scaling
    feedback_gain = regen / 100
    delay_gain = width / 100
    channel_phase = phase / 100
    delay_min = delay / 1000
    delay_depth = depth / 1000

    # Balance output, then the feedback loop:
    in_gain = 1.0 / (1 + delay_gain)
    delay_gain = delay_gain / (1 + delay_gain)
    delay_gain = delay_gain * (1 - abs(feedback_gain))

    delay_buf_length = int((delay_min + delay_depth) * sample_rate + 0.5) + 2
    lfo_length = int(sample_rate / speed)
    table_min = math.floor(delay_min * sample_rate + 0.5)
    table_max = delay_buf_length - 2.0
    lfo = _generate_wave_table(
        "SINE" if modulation == "sinusoidal" else "TRIANGLE",
        "FLOAT",
        lfo_length,
        float(table_min),
        table_max,
        3 * math.pi / 2,
    )

    # the LFO offset of each channel, in float32 as torchaudio computes it
    channel_offset = (
        (np.arange(n_channels) * lfo_length).astype(np.float32) * np.float32(channel_phase)
        + np.float32(0.5)
    ).astype(np.int64)
    delay_samples = lfo[(np.arange(length) + channel_offset[:, None]) % lfo_length]
    frac = delay_samples - np.trunc(delay_samples)  # torch.frac
    int_delay = np.floor(delay_samples).astype(np.int64)
    # tap m reads the delay line (int_delay + m) cells back: the input that many samples
    # ago, or the sample itself once the offset wraps around the buffer
    taps = 2 if interpolation == "linear" else 3
    lags = (int_delay + np.arange(taps)[:, None, None]) % delay_buf_length

    xp = backend.array_module(waveform._data)
    frac_tensor = ember.from_numpy(frac).to(waveform.device)
    padded = F.pad(waveform, (delay_buf_length, 0))
    at = ember.from_numpy(delay_buf_length + np.arange(length) - lags).to(waveform.device)
    delayed = _interpolate_delay(
        [padded.gather(-1, index.expand(waveform.shape[0], -1, -1)) for index in at],
        frac_tensor,
    )
    if feedback_gain != 0:
        delayed = _FeedbackDelay.apply(
            delayed, xp.asarray(lags), xp.asarray(frac), feedback_gain, False
        )
    output = waveform * in_gain + delayed * delay_gain
    return output.clamp(min=-1, max=1).to(waveform.dtype).reshape(actual_shape)


def _apply_probability_distribution(waveform, density_function="TPDF"):
    """Add the dither noise to the waveform scaled to 16 bits and quantise it.

    As in torchaudio: ``"TPDF"`` adds a Bartlett window over time (a deterministic
    triangle), ``"RPDF"`` one randomly chosen sample of the waveform minus 0.5 and
    ``"GPDF"`` the sum of seven randomly chosen samples. Random channels are drawn from all
    rows but the last (``randint(rows - 1)``), as torchaudio draws them.
    """
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    channel_size = waveform.shape[0] - 1
    time_size = waveform.shape[-1] - 1

    def pick(size):
        return int(ember.randint(size, (1,)).item())

    random_channel = pick(channel_size) if channel_size > 0 else 0
    random_time = pick(time_size) if time_size > 0 else 0

    number_of_bits = 16
    up_scaling = 2 ** (number_of_bits - 1) - 2
    signal_scaled = waveform * up_scaling
    down_scaling = 2 ** (number_of_bits - 1)

    if density_function == "RPDF":
        noise = waveform[random_channel, random_time] - 0.5
    elif density_function == "GPDF":
        # torchaudio adds the draws into the waveform's own sample in place; not here
        noise = waveform[random_channel, random_time]
        for _ in range(6):
            channel = pick(channel_size)
            noise = noise + waveform[channel, pick(time_size)]
    else:
        noise = ember.bartlett_window(time_size + 1, dtype=waveform.dtype, device=waveform.device)
    quantised = ember.round(signal_scaled + noise) / down_scaling
    return quantised.reshape(*shape[:-1], quantised.shape[-1])


def dither(waveform, density_function="TPDF", noise_shaping=False):
    r"""Apply dither

    Dither increases the perceived dynamic range of audio stored at a
    particular bit-depth by eliminating nonlinear truncation distortion
    (i.e. adding minimally perceived noise to mask distortion caused by quantization).

    Args:
        waveform (Tensor): Tensor of audio of dimension (..., time)
        density_function (str, optional):
            The density function of a continuous random variable. One of
            ``"TPDF"`` (Triangular Probability Density Function),
            ``"RPDF"`` (Rectangular Probability Density Function) or
            ``"GPDF"`` (Gaussian Probability Density Function) (Default: ``"TPDF"``).
        noise_shaping (bool, optional): a filtering process that shapes the spectral
            energy of quantisation error (Default: ``False``)

    Returns:
       Tensor: waveform dithered
    """
    dithered = _apply_probability_distribution(waveform, density_function=density_function)
    if not noise_shaping:
        return dithered
    # noise shaping: dithered[n] + error[n - 1], with error = dithered - original
    error = dithered - waveform
    return dithered + F.pad(error[..., :-1], (1, 0))


def gain(waveform, gain_db=1.0):
    """Apply amplification or attenuation to the whole waveform.

    Args:
       waveform (Tensor): Tensor of audio of dimension (..., time).
       gain_db (float, optional): Gain adjustment in decibels (dB) (Default: ``1.0``).

    Returns:
       Tensor: the whole waveform amplified by gain_db.
    """
    if gain_db == 0:
        return waveform

    ratio = 10 ** (gain_db / 20)
    return waveform * ratio


# -------------------------------------------------------------------------------- loudness


def loudness(waveform, sample_rate):
    r"""Measure audio loudness according to the ITU-R BS.1770-4 recommendation.

    Args:
        waveform(Tensor): audio waveform of dimension `(..., channels, time)`
        sample_rate (int): sampling rate of the waveform

    Returns:
        Tensor: loudness estimates (LKFS)

    Reference:
        - https://www.itu.int/rec/R-REC-BS.1770-4-201510-I/en
    """
    if waveform.shape[-2] > 5:
        raise ValueError("Only up to 5 channels are supported.")

    gate_duration = 0.4
    overlap = 0.75
    gamma_abs = -70.0
    kweight_bias = -0.691
    gate_samples = round(gate_duration * sample_rate)
    step = round(gate_samples * (1 - overlap))

    # Apply K-weighting
    waveform = treble_biquad(waveform, sample_rate, 4.0, 1500.0, 1 / math.sqrt(2))
    waveform = highpass_biquad(waveform, sample_rate, 38.0, 0.5)

    # Compute the energy for each block (overlapping windows, as Tensor.unfold gives them)
    if waveform.shape[-1] < gate_samples:
        raise RuntimeError(
            f"maximum size for tensor at dimension {waveform.ndim - 1} is "
            f"{waveform.shape[-1]} but size is {gate_samples}"
        )
    num_blocks = (waveform.shape[-1] - gate_samples) // step + 1
    windows = np.arange(num_blocks)[:, None] * step + np.arange(gate_samples)
    energy = ember.square(waveform)[..., ember.from_numpy(windows).to(device=waveform.device)]
    energy = ember.mean(energy, dim=-1)

    # Compute channel-weighted summation
    g = ember.tensor([1.0, 1.0, 1.0, 1.41, 1.41], dtype=waveform.dtype, device=waveform.device)
    g = g[: energy.shape[-2]]

    energy_weighted = ember.sum(g.unsqueeze(-1) * energy, dim=-2)
    block_loudness = kweight_bias + 10 * ember.log10(energy_weighted)

    # Apply absolute gating of the blocks
    gated_blocks = (block_loudness > gamma_abs).unsqueeze(-2)
    energy_filtered = ember.sum(gated_blocks * energy, dim=-1) / ember.count_nonzero(
        gated_blocks, dim=-1
    )
    energy_weighted = ember.sum(g * energy_filtered, dim=-1)
    gamma_rel = kweight_bias + 10 * ember.log10(energy_weighted) - 10

    # Apply relative gating of the blocks
    gated_blocks = ember.logical_and(
        gated_blocks.squeeze(-2), block_loudness > gamma_rel.unsqueeze(-1)
    ).unsqueeze(-2)
    energy_filtered = ember.sum(gated_blocks * energy, dim=-1) / ember.count_nonzero(
        gated_blocks, dim=-1
    )
    energy_weighted = ember.sum(g * energy_filtered, dim=-1)
    return kweight_bias + 10 * ember.log10(energy_weighted)


# ------------------------------------------------------------------ voice activity detection


def _flush_length(measures, index, trigger_level, gap_len):
    """SoX's search back from the trigger, per channel (rows of the host array ``measures``,
    a ring buffer whose newest entry is at ``index``): the number of measures, from the
    newest, that hold the trigger and the quieter bursts at most ``gap_len`` apart before it
    (stopping at silence, a zero measure)."""
    channels, n = measures.shape
    j_trigger = np.full(channels, n)
    j_zero = np.full(channels, n)
    k = index
    for j in range(n):
        m = measures[:, k]
        hit = (m >= trigger_level) & (j <= j_trigger + gap_len)
        silent = ~hit & (m == 0) & (j_trigger >= j_zero)
        j_trigger = np.where(hit, j, j_trigger)
        j_zero = np.where(hit | silent, j, j_zero)
        k = (k + n - 1) % n
    return np.minimum(n - 1, j_zero)


def vad(
    waveform,
    sample_rate,
    trigger_level=7.0,
    trigger_time=0.25,
    search_time=1.0,
    allowed_gap=0.25,
    pre_trigger_time=0.0,
    # Fine-tuning parameters
    boot_time=0.35,
    noise_up_time=0.1,
    noise_down_time=0.01,
    noise_reduction_amount=1.35,
    measure_freq=20.0,
    measure_duration=None,
    measure_smooth_time=0.4,
    hp_filter_freq=50.0,
    lp_filter_freq=6000.0,
    hp_lifter_freq=150.0,
    lp_lifter_freq=2000.0,
):
    r"""Voice Activity Detector. Similar to SoX implementation.

    Attempts to trim silence and quiet background sounds from the ends of recordings of
    speech. The algorithm currently uses a simple cepstral power measurement to detect voice,
    so may be fooled by other things, especially music.

    The effect can trim only from the front of the audio,
    so in order to trim from the back, the reverse effect must also be used.

    The measurements run in float32, as torchaudio's do. Each measurement updates the noise
    estimate that the next one uses, so they run one after another (all channels at once)
    and stop at the trigger.

    Args:
        waveform (Tensor): Tensor of audio of dimension `(channels, time)` or `(time)`
            Tensor of shape `(channels, time)` is treated as a multi-channel recording
            of the same event and the resulting output will be trimmed to the earliest
            voice activity in any channel.
        sample_rate (int): Sample rate of audio signal.
        trigger_level (float, optional): The measurement level used to trigger activity
            detection. This may need to be cahnged depending on the noise level, signal
            level, and other characteristics of the input audio. (Default: 7.0)
        trigger_time (float, optional): The time constant (in seconds)
            used to help ignore short bursts of sound. (Default: 0.25)
        search_time (float, optional): The amount of audio (in seconds)
            to search for quieter/shorter bursts of audio to include prior
            to the detected trigger point. (Default: 1.0)
        allowed_gap (float, optional): The allowed gap (in seconds) between
            quieter/shorter bursts of audio to include prior
            to the detected trigger point. (Default: 0.25)
        pre_trigger_time (float, optional): The amount of audio (in seconds) to preserve
            before the trigger point and any found quieter/shorter bursts. (Default: 0.0)
        boot_time (float, optional): The algorithm (internally) uses adaptive noise
            estimation/reduction in order to detect the start of the wanted audio.
            This option sets the time for the initial noise estimate. (Default: 0.35)
        noise_up_time (float, optional): Time constant used by the adaptive noise estimator
            for when the noise level is increasing. (Default: 0.1)
        noise_down_time (float, optional): Time constant used by the adaptive noise estimator
            for when the noise level is decreasing. (Default: 0.01)
        noise_reduction_amount (float, optional): Amount of noise reduction to use in
            the detection algorithm (e.g. 0, 0.5, ...). (Default: 1.35)
        measure_freq (float, optional): Frequency of the algorithm's
            processing/measurements. (Default: 20.0)
        measure_duration (float, optional): Measurement duration.
            (Default: Twice the measurement period; i.e. with overlap.)
        measure_smooth_time (float, optional): Time constant used to smooth
            spectral measurements. (Default: 0.4)
        hp_filter_freq (float, optional): "Brick-wall" frequency of high-pass filter applied
            at the input to the detector algorithm. (Default: 50.0)
        lp_filter_freq (float, optional): "Brick-wall" frequency of low-pass filter applied
            at the input to the detector algorithm. (Default: 6000.0)
        hp_lifter_freq (float, optional): "Brick-wall" frequency of high-pass lifter used
            in the detector algorithm. (Default: 150.0)
        lp_lifter_freq (float, optional): "Brick-wall" frequency of low-pass lifter used
            in the detector algorithm. (Default: 2000.0)

    Returns:
        Tensor: Tensor of audio of dimension `(..., time)`.

    Reference:
        - http://sox.sourceforge.net/sox.html
    """
    if waveform.ndim > 2:
        warnings.warn(
            "Expected input tensor dimension of 1 for single channel"
            f" or 2 for multi-channel. Got {waveform.ndim} instead. "
            "Batch semantics is not supported. "
            "Please refer to https://github.com/pytorch/audio/issues/1348"
            " and https://github.com/pytorch/audio/issues/1468.",
            stacklevel=2,
        )

    if measure_duration is None:
        measure_duration = 2.0 / measure_freq

    measure_len_ws = int(sample_rate * measure_duration + 0.5)
    measure_len_ns = measure_len_ws
    dft_len_ws = 16
    while dft_len_ws < measure_len_ws:
        dft_len_ws *= 2

    measure_period_ns = int(sample_rate / measure_freq + 0.5)
    measures_len = math.ceil(search_time * measure_freq)
    search_pre_trigger_len_ns = measures_len * measure_period_ns
    gap_len = int(allowed_gap * measure_freq + 0.5)

    fixed_pre_trigger_len_ns = int(pre_trigger_time * sample_rate + 0.5)
    samples_len_ns = fixed_pre_trigger_len_ns + search_pre_trigger_len_ns + measure_len_ns

    device = waveform.device
    f32 = ember.float32
    spectrum_window = ember.hann_window(measure_len_ws, dtype=f32, device=device)
    spectrum_window = spectrum_window * (2.0 / math.sqrt(float(measure_len_ws)))

    spectrum_start = max(int(hp_filter_freq / sample_rate * dft_len_ws + 0.5), 1)
    spectrum_end = min(int(lp_filter_freq / sample_rate * dft_len_ws + 0.5), dft_len_ws // 2)
    band = spectrum_end - spectrum_start
    cepstrum_window = ember.hann_window(band, dtype=f32, device=device)
    cepstrum_window = cepstrum_window * (2.0 / math.sqrt(float(band)))

    cepstrum_start = math.ceil(sample_rate * 0.5 / lp_lifter_freq)
    cepstrum_end = min(math.floor(sample_rate * 0.5 / hp_lifter_freq), dft_len_ws // 4)

    if cepstrum_end <= cepstrum_start:
        raise ValueError(
            "Expected cepstrum_start to be smaller than cepstrum_end."
            f"Found: cepstrum_start: {cepstrum_start}, cepstrum_end: {cepstrum_end}."
        )

    noise_up_time_mult = math.exp(-1.0 / (noise_up_time * measure_freq))
    noise_down_time_mult = math.exp(-1.0 / (noise_down_time * measure_freq))
    measure_smooth_time_mult = math.exp(-1.0 / (measure_smooth_time * measure_freq))
    trigger_meas_time_mult = math.exp(-1.0 / (trigger_time * measure_freq))

    boot_count_max = int(boot_time * measure_freq - 0.5)
    boot_count = measures_index = flushed_len_ns = 0

    # pack batch
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    n_channels, ilen = waveform.shape

    # the state, all channels at once: spectra on the device, measures on the host
    spectrum = ember.zeros(n_channels, band, dtype=f32, device=device)
    noise_spectrum = ember.zeros(n_channels, band, dtype=f32, device=device)
    mean_meas = np.zeros(n_channels, dtype=np.float32)
    measures = np.zeros((n_channels, measures_len), dtype=np.float32)

    has_triggered = False
    pos = 0
    for pos in range(measure_len_ns, ilen, measure_period_ns):
        samples = (waveform[:, pos - measure_len_ws : pos] * spectrum_window).to(f32)
        dft = ember.fft.rfft(samples, n=dft_len_ws)[:, spectrum_start:spectrum_end].abs()
        mult = boot_count / (1.0 + boot_count) if boot_count >= 0 else measure_smooth_time_mult
        spectrum = spectrum * mult + dft * (1 - mult)
        power = spectrum**2
        if boot_count >= 0:
            noise_mult = ember.zeros_like(power)
        else:
            noise_mult = ember.where(
                power > noise_spectrum,
                ember.tensor(noise_up_time_mult, dtype=f32, device=device),
                ember.tensor(noise_down_time_mult, dtype=f32, device=device),
            )
        noise_spectrum = noise_spectrum * noise_mult + power * (1 - noise_mult)
        clean = ember.sqrt(ember.clamp(power - noise_reduction_amount * noise_spectrum, min=0))
        # the lifted band sits at spectrum_start in a zeroed buffer of dft_len_ws // 2
        cepstrum_buf = F.pad(
            clean * cepstrum_window, (spectrum_start, dft_len_ws // 2 - spectrum_end)
        )
        cepstrum = ember.fft.rfft(cepstrum_buf)[:, cepstrum_start:cepstrum_end]
        power_sum = (cepstrum.abs() ** 2).sum(-1).cpu().numpy().astype(np.float64)
        positive = power_sum > 0
        result = np.log(np.where(positive, power_sum, 1.0) / (cepstrum_end - cepstrum_start))
        meas = np.maximum(0.0, 21 + np.where(positive, result, -math.inf))

        measures[:, measures_index] = meas
        # float32 arithmetic, as torchaudio's tensor of means computes it
        mean_meas = mean_meas * np.float32(trigger_meas_time_mult) + (
            meas * (1.0 - trigger_meas_time_mult)
        ).astype(np.float32)

        triggered = mean_meas >= trigger_level
        if triggered.any():
            # torchaudio visits the channels in order and searches from the first that
            # triggers onwards
            first = int(np.argmax(triggered))
            flush = _flush_length(measures[first:], measures_index, trigger_level, gap_len)
            num_measures_to_flush = min(max(0, int(flush.max())), measures_len)
            has_triggered = True

        measures_index = (measures_index + 1) % measures_len
        if boot_count >= 0:
            boot_count = -1 if boot_count == boot_count_max else boot_count + 1

        if has_triggered:
            flushed_len_ns = (measures_len - num_measures_to_flush) * measure_period_ns
            break

    if not has_triggered and shape[-1] >= fixed_pre_trigger_len_ns:
        return waveform[..., :fixed_pre_trigger_len_ns].reshape(
            *shape[:-1], fixed_pre_trigger_len_ns
        )

    res = waveform[:, max(pos - samples_len_ns + flushed_len_ns, 0) :]
    # unpack batch
    return res.reshape(*shape[:-1], res.shape[-1])
