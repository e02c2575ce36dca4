"""Audio transforms under ``torchaudio.transforms``' names: ``ember.nn.Module`` wrappers of
:mod:`emberaudio.functional` that hold the parameters (and, where torchaudio registers one, the
same buffer, so ``state_dict()`` keys match)."""

from __future__ import annotations

import math
import warnings

import numpy as np

import ember
from ember import nn

from .. import functional as F
from ..functional.functional import (
    _apply_sinc_resample_kernel,
    _check_convolve_mode,
    _fix_waveform_shape,
    _get_sinc_resample_kernel,
    _source_target_sample_rate,
    _stretch_waveform,
)

__all__ = [
    "AddNoise",
    "AmplitudeToDB",
    "ComputeDeltas",
    "Convolve",
    "Deemphasis",
    "Fade",
    "FFTConvolve",
    "FrequencyMasking",
    "GriffinLim",
    "InverseMelScale",
    "InverseSpectrogram",
    "LFCC",
    "MelScale",
    "MelSpectrogram",
    "MFCC",
    "MuLawDecoding",
    "MuLawEncoding",
    "PitchShift",
    "Preemphasis",
    "Resample",
    "SpecAugment",
    "SpectralCentroid",
    "Spectrogram",
    "Speed",
    "SpeedPerturbation",
    "TimeMasking",
    "TimeStretch",
    "Vol",
]


def _init_frames(module, n_fft, win_length, hop_length, window_fn, wkwargs, hops_per_window=2):
    """Set ``module``'s ``n_fft``, ``win_length`` (default ``n_fft``) and ``hop_length``
    (default ``win_length // hops_per_window``), and register its ``window`` buffer:
    ``window_fn(win_length, **wkwargs)``."""
    module.n_fft = n_fft
    module.win_length = win_length if win_length is not None else n_fft
    module.hop_length = (
        hop_length if hop_length is not None else module.win_length // hops_per_window
    )
    wkwargs = wkwargs if wkwargs is not None else {}
    module.register_buffer("window", window_fn(module.win_length, **wkwargs))


class Spectrogram(nn.Module):
    r"""Create a spectrogram from a audio signal.

    The window is the buffer ``window``.

    Args:
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins. (Default: ``400``)
        win_length (int or None, optional): Window size. (Default: ``n_fft``)
        hop_length (int or None, optional): Length of hop between STFT windows.
            (Default: ``win_length // 2``)
        pad (int, optional): Two sided padding of signal. (Default: ``0``)
        window_fn (Callable[..., Tensor], optional): A function to create a window tensor that
            is applied/multiplied to each frame/window. (Default: ``ember.hann_window``)
        power (float or None, optional): Exponent for the magnitude spectrogram, (must be > 0)
            e.g., 1 for magnitude, 2 for power, etc. If None, then the complex spectrum is
            returned instead. (Default: ``2``)
        normalized (bool or str, optional): Whether to normalize by magnitude after stft. If
            input is str, choices are ``"window"`` and ``"frame_length"``, if specific
            normalization type is desirable. ``True`` maps to ``"window"``.
            (Default: ``False``)
        wkwargs (dict or None, optional): Arguments for window function. (Default: ``None``)
        center (bool, optional): whether to pad :attr:`waveform` on both sides so that the
            :math:`t`-th frame is centered at time :math:`t \times \text{hop\_length}`.
            (Default: ``True``)
        pad_mode (string, optional): controls the padding method used when :attr:`center` is
            ``True``. (Default: ``"reflect"``)
        onesided (bool, optional): controls whether to return half of results to avoid
            redundancy (Default: ``True``)
        return_complex (bool, optional): Deprecated and not used.

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = emberaudio.transforms.Spectrogram(n_fft=800)
        >>> spectrogram = transform(waveform)
    """

    def __init__(
        self,
        n_fft=400,
        win_length=None,
        hop_length=None,
        pad=0,
        window_fn=ember.hann_window,
        power=2.0,
        normalized=False,
        wkwargs=None,
        center=True,
        pad_mode="reflect",
        onesided=True,
        return_complex=None,
    ):
        super().__init__()
        _init_frames(self, n_fft, win_length, hop_length, window_fn, wkwargs)
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided
        if return_complex is not None:
            warnings.warn(
                "`return_complex` argument is now deprecated and is not effective."
                "`torchaudio.transforms.Spectrogram(power=None)` always returns a tensor with "
                "complex dtype. Please remove the argument in the function call.",
                stacklevel=2,
            )

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension (..., time).

        Returns:
            Tensor: Dimension (..., freq, time), where freq is ``n_fft // 2 + 1`` where
            ``n_fft`` is the number of Fourier bins, and time is the number of window hops
            (n_frame).
        """
        return F.spectrogram(
            waveform,
            self.pad,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.power,
            self.normalized,
            self.center,
            self.pad_mode,
            self.onesided,
        )


class InverseSpectrogram(nn.Module):
    r"""Create an inverse spectrogram to recover an audio signal from a spectrogram.

    The window is the buffer ``window``.

    Args:
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins. (Default: ``400``)
        win_length (int or None, optional): Window size. (Default: ``n_fft``)
        hop_length (int or None, optional): Length of hop between STFT windows.
            (Default: ``win_length // 2``)
        pad (int, optional): Two sided padding of signal. (Default: ``0``)
        window_fn (Callable[..., Tensor], optional): A function to create a window tensor that
            is applied/multiplied to each frame/window. (Default: ``ember.hann_window``)
        normalized (bool or str, optional): Whether the stft output was normalized by
            magnitude. If input is str, choices are ``"window"`` and ``"frame_length"``,
            dependent on normalization mode. ``True`` maps to ``"window"``.
            (Default: ``False``)
        wkwargs (dict or None, optional): Arguments for window function. (Default: ``None``)
        center (bool, optional): whether the signal in spectrogram was padded on both sides
            so that the :math:`t`-th frame is centered at time
            :math:`t \times \text{hop\_length}`. (Default: ``True``)
        pad_mode (string, optional): controls the padding method used when :attr:`center` is
            ``True``. (Default: ``"reflect"``)
        onesided (bool, optional): controls whether spectrogram was used to return half of
            results to avoid redundancy (Default: ``True``)

    Example:
        >>> batch, freq, time = 2, 257, 100
        >>> length = 25344
        >>> spectrogram = ember.randn(batch, freq, time, dtype=ember.cdouble)
        >>> transform = transforms.InverseSpectrogram(n_fft=512)
        >>> waveform = transform(spectrogram, length)
    """

    def __init__(
        self,
        n_fft=400,
        win_length=None,
        hop_length=None,
        pad=0,
        window_fn=ember.hann_window,
        normalized=False,
        wkwargs=None,
        center=True,
        pad_mode="reflect",
        onesided=True,
    ):
        super().__init__()
        _init_frames(self, n_fft, win_length, hop_length, window_fn, wkwargs)
        self.pad = pad
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided

    def forward(self, spectrogram, length=None):
        """
        Args:
            spectrogram (Tensor): Complex tensor of audio of dimension (..., freq, time).
            length (int or None, optional): The output length of the waveform.

        Returns:
            Tensor: Dimension (..., time), Least squares estimation of the original signal.
        """
        return F.inverse_spectrogram(
            spectrogram,
            length,
            self.pad,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.normalized,
            self.center,
            self.pad_mode,
            self.onesided,
        )


class GriffinLim(nn.Module):
    r"""Compute waveform from a linear scale magnitude spectrogram using the Griffin-Lim
    transformation.

    Implementation ported from *librosa*, *A fast Griffin-Lim algorithm* and *Signal
    estimation from modified short-time Fourier transform*. The window is the buffer
    ``window``.

    Args:
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins. (Default: ``400``)
        n_iter (int, optional): Number of iteration for phase recovery process.
            (Default: ``32``)
        win_length (int or None, optional): Window size. (Default: ``n_fft``)
        hop_length (int or None, optional): Length of hop between STFT windows.
            (Default: ``win_length // 2``)
        window_fn (Callable[..., Tensor], optional): A function to create a window tensor that
            is applied/multiplied to each frame/window. (Default: ``ember.hann_window``)
        power (float, optional): Exponent for the magnitude spectrogram, (must be > 0) e.g.,
            1 for magnitude, 2 for power, etc. (Default: ``2``)
        wkwargs (dict or None, optional): Arguments for window function. (Default: ``None``)
        momentum (float, optional): The momentum parameter for fast Griffin-Lim. Setting this
            to 0 recovers the original Griffin-Lim method. Values near 1 can lead to faster
            convergence, but above 1 may not converge. (Default: ``0.99``)
        length (int, optional): Array length of the expected output. (Default: ``None``)
        rand_init (bool, optional): Initializes phase randomly if True and to zero otherwise.
            (Default: ``True``)

    Example:
        >>> batch, freq, time = 2, 257, 100
        >>> spectrogram = ember.randn(batch, freq, time)
        >>> transform = transforms.GriffinLim(n_fft=512)
        >>> waveform = transform(spectrogram)
    """

    def __init__(
        self,
        n_fft=400,
        n_iter=32,
        win_length=None,
        hop_length=None,
        window_fn=ember.hann_window,
        power=2.0,
        wkwargs=None,
        momentum=0.99,
        length=None,
        rand_init=True,
    ):
        super().__init__()
        if not (0 <= momentum < 1):
            raise ValueError(f"momentum must be in the range [0, 1). Found: {momentum}")
        self.n_iter = n_iter
        _init_frames(self, n_fft, win_length, hop_length, window_fn, wkwargs)
        self.length = length
        self.power = power
        self.momentum = momentum
        self.rand_init = rand_init

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): A magnitude-only STFT spectrogram of dimension
                (..., freq, frames) where freq is ``n_fft // 2 + 1``.

        Returns:
            Tensor: waveform of (..., time), where time equals the ``length`` parameter if
            given.
        """
        return F.griffinlim(
            specgram,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.power,
            self.n_iter,
            self.momentum,
            self.length,
            self.rand_init,
        )


class AmplitudeToDB(nn.Module):
    """Turn a tensor from the power/amplitude scale to the decibel scale.

    This output depends on the maximum value in the input tensor, and so may return different
    values for an audio clip split into snippets vs. a full clip.

    Args:
        stype (str, optional): scale of input tensor (``"power"`` or ``"magnitude"``). The
            power being the elementwise square of the magnitude. (Default: ``"power"``)
        top_db (float or None, optional): minimum negative cut-off in decibels. A reasonable
            number is 80. (Default: ``None``)

    Example:
        >>> transform = transforms.AmplitudeToDB(stype="amplitude", top_db=80)
        >>> waveform_db = transform(waveform)
    """

    def __init__(self, stype="power", top_db=None):
        super().__init__()
        self.stype = stype
        if top_db is not None and top_db < 0:
            raise ValueError("top_db must be positive value")
        self.top_db = top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x):
        """
        Args:
            x (Tensor): Input tensor before being converted to decibel scale.

        Returns:
            Tensor: Output tensor in decibel scale.
        """
        return F.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class MelScale(nn.Module):
    """Turn a normal STFT into a mel frequency STFT with triangular filter banks.

    The filter bank is the buffer ``fb``, shape ``(n_stft, n_mels)``.

    Args:
        n_mels (int, optional): Number of mel filterbanks. (Default: ``128``)
        sample_rate (int, optional): Sample rate of audio signal. (Default: ``16000``)
        f_min (float, optional): Minimum frequency. (Default: ``0.``)
        f_max (float or None, optional): Maximum frequency. (Default: ``sample_rate // 2``)
        n_stft (int, optional): Number of bins in STFT (``n_fft // 2 + 1``).
            (Default: ``201``)
        norm (str or None, optional): If ``"slaney"``, divide the triangular mel weights by the
            width of the mel band (area normalization). (Default: ``None``)
        mel_scale (str, optional): Scale to use: ``htk`` or ``slaney``. (Default: ``htk``)

    See also:
        :func:`emberaudio.functional.melscale_fbanks` - The function used to generate the
        filter banks.
    """

    def __init__(
        self,
        n_mels=128,
        sample_rate=16000,
        f_min=0.0,
        f_max=None,
        n_stft=201,
        norm=None,
        mel_scale="htk",
    ):
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.n_stft = n_stft
        self.norm = norm
        self.mel_scale = mel_scale

        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")

        fb = F.melscale_fbanks(
            self.n_stft, self.f_min, self.f_max, self.n_mels, self.sample_rate, self.norm,
            self.mel_scale,
        )  # fmt: skip
        self.register_buffer("fb", fb)

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): A spectrogram STFT of dimension (..., freq, time).

        Returns:
            Tensor: Mel frequency spectrogram of size (..., ``n_mels``, time).
        """
        # (..., time, freq) @ (freq, n_mels) -> (..., n_mels, time)
        return ember.matmul(specgram.transpose(-1, -2), self.fb).transpose(-1, -2)


class InverseMelScale(nn.Module):
    r"""Estimate a STFT in normal frequency domain from mel frequency domain.

    It minimizes the euclidian norm between the input mel-spectrogram and the product between
    the estimated spectrogram and the filter banks (torchaudio's ``torch.linalg.lstsq``),
    then clamps negative values to zero. The filter bank is the buffer ``fb``.

    Ember has no ``linalg.lstsq``: the solution is the pseudo-inverse of ``fb.T`` (from its
    SVD, computed on the host in float64) times the input, which is the least-squares
    solution of minimum norm that every driver returns. The ``driver`` name is checked, and
    ``"gels"`` keeps its requirement that ``fb.T`` have full rank (torchaudio's defaults,
    with all-zero mel filters, do not).

    Args:
        n_stft (int): Number of bins in STFT. See ``n_fft`` in :class:`Spectrogram`.
        n_mels (int, optional): Number of mel filterbanks. (Default: ``128``)
        sample_rate (int, optional): Sample rate of audio signal. (Default: ``16000``)
        f_min (float, optional): Minimum frequency. (Default: ``0.``)
        f_max (float or None, optional): Maximum frequency. (Default: ``sample_rate // 2``)
        norm (str or None, optional): If "slaney", divide the triangular mel weights by the
            width of the mel band (area normalization). (Default: ``None``)
        mel_scale (str, optional): Scale to use: ``htk`` or ``slaney``. (Default: ``htk``)
        driver (str, optional): Name of the LAPACK/MAGMA method torch would use for
            ``lstsq``: ``"gels"``, ``"gelsy"``, ``"gelsd"``, ``"gelss"``. (Default: ``"gels"``)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> mel_spectrogram_transform = transforms.MelSpectrogram(sample_rate, n_fft=1024)
        >>> mel_spectrogram = mel_spectrogram_transform(waveform)
        >>> inverse_melscale_transform = transforms.InverseMelScale(n_stft=1024 // 2 + 1)
        >>> spectrogram = inverse_melscale_transform(mel_spectrogram)
    """

    def __init__(
        self,
        n_stft,
        n_mels=128,
        sample_rate=16000,
        f_min=0.0,
        f_max=None,
        norm=None,
        mel_scale="htk",
        driver="gels",
    ):
        super().__init__()
        self.n_stft = n_stft
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max or float(sample_rate // 2)
        self.f_min = f_min
        self.norm = norm
        self.mel_scale = mel_scale
        self.driver = driver

        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        if driver not in ["gels", "gelsy", "gelsd", "gelss"]:
            raise ValueError(
                f'driver must be one of ["gels", "gelsy", "gelsd", "gelss"]. Found {driver}.'
            )

        fb = F.melscale_fbanks(
            self.n_stft, self.f_min, self.f_max, self.n_mels, self.sample_rate, self.norm,
            self.mel_scale,
        )  # fmt: skip
        self.register_buffer("fb", fb)

    def _pseudo_inverse(self, dtype, device):
        """The pseudo-inverse of ``fb.T``, shape ``(freq, n_mels)``: singular values below
        ``eps * max(freq, n_mels)`` of the largest count as zero (torch's default ``rcond``)."""
        fb = self.fb.detach().cpu().numpy()
        u, s, vh = np.linalg.svd(fb.T.astype(np.float64), full_matrices=False)
        kept = s > np.finfo(fb.dtype).eps * max(fb.shape) * s.max(initial=0.0)
        if self.driver == "gels" and not kept.all():
            raise RuntimeError(
                "linalg.lstsq: The least squares solution could not be computed because the "
                f"input matrix does not have full rank (driver {self.driver!r}; "
                "at least one mel filter is all zeros, or filters coincide)."
            )
        pinv = (vh[kept].T / s[kept]) @ u[:, kept].T
        return ember.from_numpy(pinv).to(device=device, dtype=dtype)

    def forward(self, melspec):
        """
        Args:
            melspec (Tensor): A Mel frequency spectrogram of dimension
                (..., ``n_mels``, time)

        Returns:
            Tensor: Linear scale spectrogram of size (..., freq, time)
        """
        # pack batch
        shape = melspec.shape
        melspec = melspec.reshape(-1, shape[-2], shape[-1])

        n_mels, time = shape[-2], shape[-1]
        freq, _ = self.fb.shape  # (freq, n_mels)
        if self.n_mels != n_mels:
            raise ValueError(f"Expected an input with {self.n_mels} mel bins. Found: {n_mels}")
        if melspec.dtype != self.fb.dtype:
            raise RuntimeError(
                "linalg.lstsq: Expected input and other to have the same dtype, but got "
                f"input's dtype {self.fb.dtype} and other's dtype {melspec.dtype}"
            )

        pinv = self._pseudo_inverse(melspec.dtype, melspec.device)
        specgram = ember.relu(ember.matmul(pinv, melspec))

        # unpack batch
        return specgram.reshape(tuple(shape[:-2]) + (freq, time))


class MelSpectrogram(nn.Module):
    r"""Create MelSpectrogram for a raw audio signal.

    This is a composition of :class:`Spectrogram` and :class:`MelScale`, held as the
    submodules ``spectrogram`` and ``mel_scale`` (buffers ``spectrogram.window`` and
    ``mel_scale.fb``).

    Args:
        sample_rate (int, optional): Sample rate of audio signal. (Default: ``16000``)
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins. (Default: ``400``)
        win_length (int or None, optional): Window size. (Default: ``n_fft``)
        hop_length (int or None, optional): Length of hop between STFT windows.
            (Default: ``win_length // 2``)
        f_min (float, optional): Minimum frequency. (Default: ``0.``)
        f_max (float or None, optional): Maximum frequency. (Default: ``None``)
        pad (int, optional): Two sided padding of signal. (Default: ``0``)
        n_mels (int, optional): Number of mel filterbanks. (Default: ``128``)
        window_fn (Callable[..., Tensor], optional): A function to create a window tensor that
            is applied/multiplied to each frame/window. (Default: ``ember.hann_window``)
        power (float, optional): Exponent for the magnitude spectrogram, (must be > 0) e.g.,
            1 for magnitude, 2 for power, etc. (Default: ``2``)
        normalized (bool, optional): Whether to normalize by magnitude after stft.
            (Default: ``False``)
        wkwargs (Dict[..., ...] or None, optional): Arguments for window function.
            (Default: ``None``)
        center (bool, optional): whether to pad :attr:`waveform` on both sides so that the
            :math:`t`-th frame is centered at time :math:`t \times \text{hop\_length}`.
            (Default: ``True``)
        pad_mode (string, optional): controls the padding method used when :attr:`center` is
            ``True``. (Default: ``"reflect"``)
        onesided: Deprecated and unused.
        norm (str or None, optional): If "slaney", divide the triangular mel weights by the
            width of the mel band (area normalization). (Default: ``None``)
        mel_scale (str, optional): Scale to use: ``htk`` or ``slaney``. (Default: ``htk``)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.MelSpectrogram(sample_rate)
        >>> mel_specgram = transform(waveform)  # (channel, n_mels, time)

    See also:
        :func:`emberaudio.functional.melscale_fbanks` - The function used to generate the
        filter banks.
    """

    def __init__(
        self,
        sample_rate=16000,
        n_fft=400,
        win_length=None,
        hop_length=None,
        f_min=0.0,
        f_max=None,
        pad=0,
        n_mels=128,
        window_fn=ember.hann_window,
        power=2.0,
        normalized=False,
        wkwargs=None,
        center=True,
        pad_mode="reflect",
        onesided=None,
        norm=None,
        mel_scale="htk",
    ):
        super().__init__()
        if onesided is not None:
            warnings.warn(
                "Argument 'onesided' has been deprecated and has no influence on the behavior "
                "of this module.",
                stacklevel=2,
            )
        self.sample_rate = sample_rate
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.n_mels = n_mels  # number of mel frequency bins
        self.f_max = f_max
        self.f_min = f_min
        self.spectrogram = Spectrogram(
            n_fft=n_fft,
            win_length=win_length,
            hop_length=hop_length,
            pad=self.pad,
            window_fn=window_fn,
            power=self.power,
            normalized=self.normalized,
            wkwargs=wkwargs,
            center=center,
            pad_mode=pad_mode,
            onesided=True,
        )
        self.n_fft = n_fft
        self.win_length = self.spectrogram.win_length
        self.hop_length = self.spectrogram.hop_length
        self.mel_scale = MelScale(
            self.n_mels, self.sample_rate, self.f_min, self.f_max, self.n_fft // 2 + 1, norm,
            mel_scale,
        )  # fmt: skip

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension (..., time).

        Returns:
            Tensor: Mel frequency spectrogram of size (..., ``n_mels``, time).
        """
        specgram = self.spectrogram(waveform)
        return self.mel_scale(specgram)


class _Cepstrum(nn.Module):
    """What MFCC and LFCC share: the DCT type (only 2) and norm, and the decibel scale (an
    :class:`AmplitudeToDB` with ``top_db=80``, the submodule ``amplitude_to_DB``) or the log
    applied to the filtered spectrogram before the DCT."""

    def __init__(self, sample_rate, dct_type, norm):
        super().__init__()
        if dct_type not in [2]:
            raise ValueError(f"DCT type not supported: {dct_type}")
        self.sample_rate = sample_rate
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)

    def _coefficients(self, specgram, log):
        """The cepstral coefficients of a filtered power spectrogram ``(..., n_filter, time)``:
        its log (``log(x + 1e-6)``) or decibels, then the DCT (``dct_mat``) over the filters."""
        if log:
            specgram = ember.log(specgram + 1e-6)
        else:
            specgram = self.amplitude_to_DB(specgram)
        # (..., time, n_filter) dot (n_filter, n_coefficients) -> (..., n_coefficients, time)
        return ember.matmul(specgram.transpose(-1, -2), self.dct_mat).transpose(-1, -2)


class MFCC(_Cepstrum):
    r"""Create the Mel-frequency cepstrum coefficients from an audio signal.

    By default, this calculates the MFCC on the DB-scaled Mel spectrogram (an
    :class:`AmplitudeToDB` with ``top_db=80``, the submodule ``amplitude_to_DB``). This is not
    the textbook implementation, but is implemented here to give consistency with librosa.

    This output depends on the maximum value in the input spectrogram, and so may return
    different values for an audio clip split into snippets vs. a a full clip.

    The DCT matrix is the buffer ``dct_mat``; the mel spectrogram is the submodule
    ``MelSpectrogram`` (buffers ``MelSpectrogram.spectrogram.window`` and
    ``MelSpectrogram.mel_scale.fb``).

    Args:
        sample_rate (int, optional): Sample rate of audio signal. (Default: ``16000``)
        n_mfcc (int, optional): Number of mfc coefficients to retain. (Default: ``40``)
        dct_type (int, optional): type of DCT (discrete cosine transform) to use.
            (Default: ``2``)
        norm (str, optional): norm to use. (Default: ``"ortho"``)
        log_mels (bool, optional): whether to use log-mel spectrograms instead of db-scaled.
            (Default: ``False``)
        melkwargs (dict or None, optional): arguments for MelSpectrogram. (Default: ``None``)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.MFCC(
        >>>     sample_rate=sample_rate,
        >>>     n_mfcc=13,
        >>>     melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 23, "center": False},
        >>> )
        >>> mfcc = transform(waveform)

    See also:
        :func:`emberaudio.functional.melscale_fbanks` - The function used to generate the
        filter banks.
    """

    def __init__(
        self,
        sample_rate=16000,
        n_mfcc=40,
        dct_type=2,
        norm="ortho",
        log_mels=False,
        melkwargs=None,
    ):
        super().__init__(sample_rate, dct_type, norm)
        self.n_mfcc = n_mfcc

        melkwargs = melkwargs or {}
        self.MelSpectrogram = MelSpectrogram(sample_rate=self.sample_rate, **melkwargs)

        if self.n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError("Cannot select more MFCC coefficients than # mel bins")
        dct_mat = F.create_dct(self.n_mfcc, self.MelSpectrogram.n_mels, self.norm)
        self.register_buffer("dct_mat", dct_mat)
        self.log_mels = log_mels

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension (..., time).

        Returns:
            Tensor: specgram_mel_db of size (..., ``n_mfcc``, time).
        """
        mel_specgram = self.MelSpectrogram(waveform)
        return self._coefficients(mel_specgram, self.log_mels)


class LFCC(_Cepstrum):
    r"""Create the linear-frequency cepstrum coefficients from an audio signal.

    By default, this calculates the LFCC on the DB-scaled linear filtered spectrogram (an
    :class:`AmplitudeToDB` with ``top_db=80``). This is not the textbook implementation, but
    is implemented here to give consistency with librosa.

    This output depends on the maximum value in the input spectrogram, and so may return
    different values for an audio clip split into snippets vs. a a full clip.

    The filter bank and DCT matrix are the buffers ``filter_mat`` and ``dct_mat``; the
    spectrogram is the submodule ``Spectrogram`` (buffer ``Spectrogram.window``).

    Args:
        sample_rate (int, optional): Sample rate of audio signal. (Default: ``16000``)
        n_filter (int, optional): Number of linear filters to apply. (Default: ``128``)
        f_min (float, optional): Minimum frequency. (Default: ``0.``)
        f_max (float or None, optional): Maximum frequency. (Default: ``None``)
        n_lfcc (int, optional): Number of lfc coefficients to retain. (Default: ``40``)
        dct_type (int, optional): type of DCT (discrete cosine transform) to use.
            (Default: ``2``)
        norm (str, optional): norm to use. (Default: ``"ortho"``)
        log_lf (bool, optional): whether to use log-lf spectrograms instead of db-scaled.
            (Default: ``False``)
        speckwargs (dict or None, optional): arguments for Spectrogram. (Default: ``None``)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.LFCC(
        >>>     sample_rate=sample_rate,
        >>>     n_lfcc=13,
        >>>     speckwargs={"n_fft": 400, "hop_length": 160, "center": False},
        >>> )
        >>> lfcc = transform(waveform)

    See also:
        :func:`emberaudio.functional.linear_fbanks` - The function used to generate the
        filter banks.
    """

    def __init__(
        self,
        sample_rate=16000,
        n_filter=128,
        f_min=0.0,
        f_max=None,
        n_lfcc=40,
        dct_type=2,
        norm="ortho",
        log_lf=False,
        speckwargs=None,
    ):
        super().__init__(sample_rate, dct_type, norm)
        self.f_min = f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_filter = n_filter
        self.n_lfcc = n_lfcc

        speckwargs = speckwargs or {}
        self.Spectrogram = Spectrogram(**speckwargs)

        if self.n_lfcc > self.Spectrogram.n_fft:
            raise ValueError("Cannot select more LFCC coefficients than # fft bins")

        filter_mat = F.linear_fbanks(
            n_freqs=self.Spectrogram.n_fft // 2 + 1,
            f_min=self.f_min,
            f_max=self.f_max,
            n_filter=self.n_filter,
            sample_rate=self.sample_rate,
        )
        self.register_buffer("filter_mat", filter_mat)

        dct_mat = F.create_dct(self.n_lfcc, self.n_filter, self.norm)
        self.register_buffer("dct_mat", dct_mat)
        self.log_lf = log_lf

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension (..., time).

        Returns:
            Tensor: Linear Frequency Cepstral Coefficients of size (..., ``n_lfcc``, time).
        """
        specgram = self.Spectrogram(waveform)
        # (..., time, freq) dot (freq, n_filter) -> (..., n_filter, time)
        specgram = ember.matmul(specgram.transpose(-1, -2), self.filter_mat).transpose(-1, -2)
        return self._coefficients(specgram, self.log_lf)


class MuLawEncoding(nn.Module):
    """Encode signal based on mu-law companding.

    This algorithm assumes the signal has been scaled to between -1 and 1 and returns a signal
    encoded with values from 0 to quantization_channels - 1.

    Args:
        quantization_channels (int, optional): Number of channels. (Default: ``256``)
    """

    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x):
        """
        Args:
            x (Tensor): A signal to be encoded.

        Returns:
            Tensor: An encoded signal.
        """
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(nn.Module):
    """Decode mu-law encoded signal.

    This expects an input with values between 0 and ``quantization_channels - 1`` and returns a
    signal scaled between -1 and 1.

    Args:
        quantization_channels (int, optional): Number of channels. (Default: ``256``)
    """

    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x_mu):
        """
        Args:
            x_mu (Tensor): A mu-law encoded signal which needs to be decoded.

        Returns:
            Tensor: The signal decoded.
        """
        return F.mu_law_decoding(x_mu, self.quantization_channels)


class Resample(nn.Module):
    """Resample a signal from one frequency to another. A resampling method can be given.

    The kernel is computed once and held in the buffer ``kernel`` (absent when
    ``orig_freq == new_freq``, as in torchaudio).

    Note:
        If resampling on waveforms of higher precision than float32, there may be a small loss
        of precision because the kernel is cached once as float32. If high precision
        resampling is important for your application, the functional form will retain higher
        precision, but run slower because it does not cache the kernel.

    Args:
        orig_freq (int, optional): The original frequency of the signal. (Default: ``16000``)
        new_freq (int, optional): The desired frequency. (Default: ``16000``)
        resampling_method (str, optional): The resampling method to use. Options:
            [``sinc_interp_hann``, ``sinc_interp_kaiser``] (Default: ``"sinc_interp_hann"``)
        lowpass_filter_width (int, optional): Controls the sharpness of the filter, more ==
            sharper but less efficient. (Default: ``6``)
        rolloff (float, optional): The roll-off frequency of the filter, as a fraction of the
            Nyquist. Lower values reduce anti-aliasing, but also reduce some of the highest
            frequencies. (Default: ``0.99``)
        beta (float or None, optional): The shape parameter used for kaiser window.
        dtype (ember.dtype, optional): Determines the precision that the resampling kernel is
            pre-computed and cached. If not provided, the kernel is computed with
            ``ember.float64`` then cached as ``ember.float32``.

    Example:
        >>> transform = transforms.Resample(sample_rate, sample_rate // 10)
        >>> waveform = transform(waveform)
    """

    def __init__(
        self,
        orig_freq=16000,
        new_freq=16000,
        resampling_method="sinc_interp_hann",
        lowpass_filter_width=6,
        rolloff=0.99,
        beta=None,
        *,
        dtype=None,
    ):
        super().__init__()
        self.orig_freq = orig_freq
        self.new_freq = new_freq
        self.gcd = math.gcd(int(self.orig_freq), int(self.new_freq))
        self.resampling_method = resampling_method
        self.lowpass_filter_width = lowpass_filter_width
        self.rolloff = rolloff
        self.beta = beta

        if self.orig_freq != self.new_freq:
            kernel, self.width = _get_sinc_resample_kernel(
                self.orig_freq,
                self.new_freq,
                self.gcd,
                self.lowpass_filter_width,
                self.rolloff,
                self.resampling_method,
                beta,
                dtype=dtype,
            )
            self.register_buffer("kernel", kernel)

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension (..., time).

        Returns:
            Tensor: Output signal of dimension (..., time).
        """
        if self.orig_freq == self.new_freq:
            return waveform
        return _apply_sinc_resample_kernel(
            waveform, self.orig_freq, self.new_freq, self.gcd, self.kernel, self.width
        )


class ComputeDeltas(nn.Module):
    """Compute delta coefficients of a tensor, usually a spectrogram.

    See :func:`emberaudio.functional.compute_deltas` for more details.

    Args:
        win_length (int, optional): The window length used for computing delta.
            (Default: ``5``)
        mode (str, optional): Mode parameter passed to padding. (Default: ``"replicate"``)
    """

    def __init__(self, win_length=5, mode="replicate"):
        super().__init__()
        self.win_length = win_length
        self.mode = mode

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): Tensor of audio of dimension (..., freq, time).

        Returns:
            Tensor: Tensor of deltas of dimension (..., freq, time).
        """
        return F.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)


class TimeStretch(nn.Module):
    r"""Stretch stft in time without modifying pitch for a given rate.

    Proposed in *SpecAugment* (Park et al., 2019). The expected phase advance of each bin is
    the buffer ``phase_advance``, shape ``(n_freq, 1)``.

    Args:
        hop_length (int or None, optional): Length of hop between STFT windows.
            (Default: ``n_fft // 2``, where ``n_fft == (n_freq - 1) * 2``)
        n_freq (int, optional): number of filter banks from stft. (Default: ``201``)
        fixed_rate (float or None, optional): rate to speed up or slow down by. If None is
            provided, rate must be passed to the forward method. (Default: ``None``)

    Note:
        The expected input is raw, complex-valued spectrogram.

    Example:
        >>> spectrogram = emberaudio.transforms.Spectrogram(power=None)
        >>> stretch = emberaudio.transforms.TimeStretch()
        >>>
        >>> original = spectrogram(waveform)
        >>> stretched_1_2 = stretch(original, 1.2)
        >>> stretched_0_9 = stretch(original, 0.9)
    """

    def __init__(self, hop_length=None, n_freq=201, fixed_rate=None):
        super().__init__()
        self.fixed_rate = fixed_rate

        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        phase_advance = ember.linspace(0, math.pi * hop_length, n_freq)[..., None]
        self.register_buffer("phase_advance", phase_advance)

    def forward(self, complex_specgrams, overriding_rate=None):
        """
        Args:
            complex_specgrams (Tensor): A tensor of dimension `(..., freq, num_frame)` with
                complex dtype.
            overriding_rate (float or None, optional): speed up to apply to this batch. If no
                rate is passed, use ``self.fixed_rate``. (Default: ``None``)

        Returns:
            Tensor: Stretched spectrogram. The resulting tensor is of the corresponding
            complex dtype as the input spectrogram, and the number of frames is changed to
            ``ceil(num_frame / rate)``.
        """
        if not ember.is_complex(complex_specgrams):
            warnings.warn(
                "The input to TimeStretch must be complex type. "
                "Providing non-complex tensor produces invalid results.",
                stacklevel=3,
            )

        if overriding_rate is None:
            if self.fixed_rate is None:
                raise ValueError(
                    "If no fixed_rate is specified, must pass a valid rate to the forward method."
                )
            rate = self.fixed_rate
        else:
            rate = overriding_rate
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)


class SpectralCentroid(nn.Module):
    r"""Compute the spectral centroid for each channel along the time axis.

    The spectral centroid is defined as the weighted average of the frequency values,
    weighted by their magnitude. The window is the buffer ``window``.

    Args:
        sample_rate (int): Sample rate of audio signal.
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins. (Default: ``400``)
        win_length (int or None, optional): Window size. (Default: ``n_fft``)
        hop_length (int or None, optional): Length of hop between STFT windows.
            (Default: ``win_length // 2``)
        pad (int, optional): Two sided padding of signal. (Default: ``0``)
        window_fn (Callable[..., Tensor], optional): A function to create a window tensor that
            is applied/multiplied to each frame/window. (Default: ``ember.hann_window``)
        wkwargs (dict or None, optional): Arguments for window function. (Default: ``None``)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.SpectralCentroid(sample_rate)
        >>> spectral_centroid = transform(waveform)  # (channel, time)
    """

    def __init__(
        self,
        sample_rate,
        n_fft=400,
        win_length=None,
        hop_length=None,
        pad=0,
        window_fn=ember.hann_window,
        wkwargs=None,
    ):
        super().__init__()
        self.sample_rate = sample_rate
        _init_frames(self, n_fft, win_length, hop_length, window_fn, wkwargs)
        self.pad = pad

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension `(..., time)`.

        Returns:
            Tensor: Spectral Centroid of size `(..., time)`.
        """
        return F.spectral_centroid(
            waveform, self.sample_rate, self.pad, self.window, self.n_fft, self.hop_length,
            self.win_length,
        )  # fmt: skip


class PitchShift(nn.Module):
    r"""Shift the pitch of a waveform by ``n_steps`` steps.

    The window is the buffer ``window``. When the pitch changes, the resampling kernel is the
    parameter ``kernel`` (a parameter, as in torchaudio). torchaudio's module is lazy and
    computes the kernel at the first call in the input's dtype before storing it in the
    default dtype; this one computes it when built, in the default dtype, which gives the
    same values for inputs of the default dtype.

    Args:
        sample_rate (int): Sample rate of `waveform`.
        n_steps (int): The (fractional) steps to shift `waveform`.
        bins_per_octave (int, optional): The number of steps per octave (Default : ``12``).
        n_fft (int, optional): Size of FFT, creates ``n_fft // 2 + 1`` bins (Default: ``512``).
        win_length (int or None, optional): Window size. If None, then ``n_fft`` is used.
            (Default: ``None``).
        hop_length (int or None, optional): Length of hop between STFT windows. If None, then
            ``win_length // 4`` is used (Default: ``None``).
        window_fn (Callable[..., Tensor], optional): A function to create a window tensor that
            is applied/multiplied to each frame/window. (Default: ``ember.hann_window``)
        wkwargs (dict or None, optional): Arguments for window function. (Default: ``None``)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.PitchShift(sample_rate, 4)
        >>> waveform_shift = transform(waveform)  # (channel, time)
    """

    def __init__(
        self,
        sample_rate,
        n_steps,
        bins_per_octave=12,
        n_fft=512,
        win_length=None,
        hop_length=None,
        window_fn=ember.hann_window,
        wkwargs=None,
    ):
        super().__init__()
        self.n_steps = n_steps
        self.bins_per_octave = bins_per_octave
        self.sample_rate = sample_rate
        _init_frames(self, n_fft, win_length, hop_length, window_fn, wkwargs, hops_per_window=4)
        rate = 2.0 ** (-float(n_steps) / bins_per_octave)
        self.orig_freq = int(sample_rate / rate)
        self.gcd = math.gcd(int(self.orig_freq), int(sample_rate))

        if self.orig_freq != sample_rate:
            kernel, self.width = _get_sinc_resample_kernel(
                self.orig_freq, self.sample_rate, self.gcd, dtype=ember.get_default_dtype()
            )
            self.kernel = nn.Parameter(kernel)

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension `(..., time)`.

        Returns:
            Tensor: The pitch-shifted audio of shape `(..., time)`.
        """
        shape = waveform.shape
        waveform_stretch = _stretch_waveform(
            waveform,
            self.n_steps,
            self.bins_per_octave,
            self.n_fft,
            self.win_length,
            self.hop_length,
            self.window,
        )
        if self.orig_freq != self.sample_rate:
            waveform_shift = _apply_sinc_resample_kernel(
                waveform_stretch,
                self.orig_freq,
                self.sample_rate,
                self.gcd,
                self.kernel,
                self.width,
            )
        else:
            waveform_shift = waveform_stretch
        return _fix_waveform_shape(waveform_shift, shape)


# Fade shapes: t runs 0 -> 1 over the fade; (fade-in curve, fade-out curve) as functions of t.
_FADE_SHAPES = {
    "linear": (lambda t: t, lambda t: -t + 1),
    "exponential": (lambda t: ember.pow(2, t - 1) * t, lambda t: ember.pow(2, -t) * (1 - t)),
    "logarithmic": (lambda t: ember.log10(0.1 + t) + 1, lambda t: ember.log10(1.1 - t) + 1),
    "quarter_sine": (
        lambda t: ember.sin(t * math.pi / 2),
        lambda t: ember.sin(t * math.pi / 2 + math.pi / 2),
    ),
    "half_sine": (
        lambda t: ember.sin(t * math.pi - math.pi / 2) / 2 + 0.5,
        lambda t: ember.sin(t * math.pi + math.pi / 2) / 2 + 0.5,
    ),
}


class Fade(nn.Module):
    """Add a fade in and/or fade out to an waveform.

    Args:
        fade_in_len (int, optional): Length of fade-in (time frames). (Default: ``0``)
        fade_out_len (int, optional): Length of fade-out (time frames). (Default: ``0``)
        fade_shape (str, optional): Shape of fade. Must be one of: ``"quarter_sine"``,
            ``"half_sine"``, ``"linear"``, ``"logarithmic"``, ``"exponential"``.
            (Default: ``"linear"``). As in torchaudio, an unknown shape is not rejected: both
            ends then get the raw 0 -> 1 ramp (a linear fade-in, and a rising "fade-out").

    Example:
        >>> transform = transforms.Fade(fade_in_len=sample_rate, fade_out_len=2 * sample_rate)
        >>> faded_waveform = transform(waveform)
    """

    def __init__(self, fade_in_len=0, fade_out_len=0, fade_shape="linear"):
        super().__init__()
        self.fade_in_len = fade_in_len
        self.fade_out_len = fade_out_len
        self.fade_shape = fade_shape

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension `(..., time)`.

        Returns:
            Tensor: Tensor of audio of dimension `(..., time)`.
        """
        waveform_length = waveform.size()[-1]
        device = waveform.device
        fade_in = self._fade_in(waveform_length, device)
        fade_out = self._fade_out(waveform_length, device)
        return fade_in * fade_out * waveform

    def _fade_in(self, waveform_length, device):
        fade = ember.linspace(0, 1, self.fade_in_len, device=device)
        ones = ember.ones(waveform_length - self.fade_in_len, device=device)
        if self.fade_shape in _FADE_SHAPES:
            fade = _FADE_SHAPES[self.fade_shape][0](fade)
        return ember.cat((fade, ones)).clamp(0, 1)

    def _fade_out(self, waveform_length, device):
        fade = ember.linspace(0, 1, self.fade_out_len, device=device)
        ones = ember.ones(waveform_length - self.fade_out_len, device=device)
        if self.fade_shape in _FADE_SHAPES:
            fade = _FADE_SHAPES[self.fade_shape][1](fade)
        return ember.cat((ones, fade)).clamp(0, 1)


class _AxisMasking(nn.Module):
    """Apply masking to a spectrogram.

    Args:
        mask_param (int): Maximum possible length of the mask.
        axis (int): What dimension the mask is applied on (assuming the tensor is 3D). For
            frequency masking, axis = 1. For time masking, axis = 2.
        iid_masks (bool): Applies iid masks to each of the examples in the batch dimension.
            This option is applicable only when the dimension of the input tensor is >= 3.
        p (float, optional): maximum proportion of columns that can be masked. (Default: 1.0)
    """

    def __init__(self, mask_param, axis, iid_masks, p=1.0):
        super().__init__()
        self.mask_param = mask_param
        self.axis = axis
        self.iid_masks = iid_masks
        self.p = p

    def forward(self, specgram, mask_value=0.0):
        """
        Args:
            specgram (Tensor): Tensor of dimension `(..., freq, time)`.
            mask_value (float or Tensor): Value to assign to the masked columns.

        Returns:
            Tensor: Masked spectrogram of dimensions `(..., freq, time)`.
        """
        # self.axis + specgram.dim() - 3 is the frequency/time dimension for any rank
        axis = self.axis + specgram.dim() - 3
        if self.iid_masks:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        if isinstance(mask_value, ember.Tensor):
            mask_value = float(mask_value)
        return F.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    """Apply masking to a spectrogram in the frequency domain.

    Proposed in *SpecAugment* (Park et al., 2019).

    Args:
        freq_mask_param (int): maximum possible length of the mask. Indices uniformly sampled
            from [0, freq_mask_param).
        iid_masks (bool, optional): whether to apply different masks to each example/channel in
            the batch. (Default: ``False``) This option is applicable only when the input
            tensor >= 3D.

    Example:
        >>> masking = emberaudio.transforms.FrequencyMasking(freq_mask_param=80)
        >>> masked = masking(spectrogram)
    """

    def __init__(self, freq_mask_param, iid_masks=False):
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    """Apply masking to a spectrogram in the time domain.

    Proposed in *SpecAugment* (Park et al., 2019).

    Args:
        time_mask_param (int): maximum possible length of the mask. Indices uniformly sampled
            from [0, time_mask_param).
        iid_masks (bool, optional): whether to apply different masks to each example/channel in
            the batch. (Default: ``False``) This option is applicable only when the input
            tensor >= 3D.
        p (float, optional): maximum proportion of time steps that can be masked. Must be
            within range [0.0, 1.0]. (Default: 1.0)

    Example:
        >>> masking = emberaudio.transforms.TimeMasking(time_mask_param=80)
        >>> masked = masking(spectrogram)
    """

    def __init__(self, time_mask_param, iid_masks=False, p=1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 2, iid_masks, p=p)


class SpecAugment(nn.Module):
    """Apply time and frequency masking to a spectrogram.

    Args:
        n_time_masks (int): Number of time masks. If its value is zero, no time masking will be
            applied.
        time_mask_param (int): Maximum possible length of the time mask.
        n_freq_masks (int): Number of frequency masks. If its value is zero, no frequency
            masking will be applied.
        freq_mask_param (int): Maximum possible length of the frequency mask.
        iid_masks (bool, optional): Applies iid masks to each of the examples in the batch
            dimension. This option is applicable only when the input tensor is 4D.
            (Default: ``True``)
        p (float, optional): maximum proportion of time steps that can be masked. Must be
            within range [0.0, 1.0]. (Default: 1.0)
        zero_masking (bool, optional): If ``True``, use 0 as the mask value, else use mean of
            the input tensor. (Default: ``False``)
    """

    def __init__(
        self,
        n_time_masks,
        time_mask_param,
        n_freq_masks,
        freq_mask_param,
        iid_masks=True,
        p=1.0,
        zero_masking=False,
    ):
        super().__init__()
        self.n_time_masks = n_time_masks
        self.time_mask_param = time_mask_param
        self.n_freq_masks = n_freq_masks
        self.freq_mask_param = freq_mask_param
        self.iid_masks = iid_masks
        self.p = p
        self.zero_masking = zero_masking

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): Tensor of shape `(..., freq, time)`.

        Returns:
            Tensor: Masked spectrogram of shape `(..., freq, time)`.
        """
        mask_value = 0.0 if self.zero_masking else specgram.mean()
        time_dim = specgram.dim() - 1
        freq_dim = time_dim - 1

        if specgram.dim() > 2 and self.iid_masks is True:
            mask = F.mask_along_axis_iid
        else:
            mask = F.mask_along_axis
        for _ in range(self.n_time_masks):
            specgram = mask(specgram, self.time_mask_param, mask_value, time_dim, p=self.p)
        for _ in range(self.n_freq_masks):
            specgram = mask(specgram, self.freq_mask_param, mask_value, freq_dim, p=self.p)
        return specgram


class Vol(nn.Module):
    """Adjust volume of waveform; the result is clamped to [-1, 1].

    Args:
        gain (float): Interpreted according to the given gain_type:
            If ``gain_type`` = ``amplitude``, ``gain`` is a positive amplitude ratio.
            If ``gain_type`` = ``power``, ``gain`` is a power (voltage squared).
            If ``gain_type`` = ``db``, ``gain`` is in decibels.
        gain_type (str, optional): Type of gain. One of: ``amplitude``, ``power``, ``db``
            (Default: ``amplitude``)

    Example:
        >>> transform = transforms.Vol(gain=0.5, gain_type="amplitude")
        >>> quieter_waveform = transform(waveform)
    """

    def __init__(self, gain, gain_type="amplitude"):
        super().__init__()
        self.gain = gain
        self.gain_type = gain_type

        if gain_type in ["amplitude", "power"] and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Tensor of audio of dimension `(..., time)`.

        Returns:
            Tensor: Tensor of audio of dimension `(..., time)`.
        """
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        if self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        if self.gain_type == "power":
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


class Convolve(nn.Module):
    """Convolves inputs along their last dimension using the direct method.

    Note that, in contrast to :class:`ember.nn.Conv1d`, which actually applies the valid
    cross-correlation operator, this module applies the true convolution operator.

    Args:
        mode (str, optional): Must be one of ("full", "valid", "same"); see
            :func:`emberaudio.functional.convolve`. (Default: ``"full"``)
    """

    def __init__(self, mode="full"):
        _check_convolve_mode(mode)
        super().__init__()
        self.mode = mode

    def forward(self, x, y):
        """
        Args:
            x (Tensor): First convolution operand, with shape `(..., N)`.
            y (Tensor): Second convolution operand, with shape `(..., M)` (leading dimensions
                must be broadcast-able with those of ``x``).

        Returns:
            Tensor: Result of convolving ``x`` and ``y``, with shape `(..., L)`, where the
            leading dimensions match those of ``x`` and `L` is dictated by ``mode``.
        """
        return F.convolve(x, y, mode=self.mode)


class FFTConvolve(Convolve):
    """Convolves inputs along their last dimension using FFT. For inputs with large last
    dimensions, this module is generally much faster than :class:`Convolve`. It only outputs
    floating-point tensors.

    Args:
        mode (str, optional): Must be one of ("full", "valid", "same"); see
            :func:`emberaudio.functional.convolve`. (Default: ``"full"``)
    """

    def forward(self, x, y):
        """As :meth:`Convolve.forward`, computed with :func:`emberaudio.functional.fftconvolve`."""
        return F.fftconvolve(x, y, mode=self.mode)


class Speed(nn.Module):
    """Adjusts waveform speed.

    Holds a :class:`Resample` from ``int(factor * orig_freq)`` to ``orig_freq`` (divided by
    their gcd) as the submodule ``resampler``.

    Args:
        orig_freq (int): Original frequency of the signals in ``waveform``.
        factor (float): Factor by which to adjust speed of input. Values greater than 1.0
            compress ``waveform`` in time, whereas values less than 1.0 stretch ``waveform`` in
            time.
    """

    def __init__(self, orig_freq, factor):
        super().__init__()
        self.orig_freq = orig_freq
        self.factor = factor
        self.source_sample_rate, self.target_sample_rate = _source_target_sample_rate(
            orig_freq, factor
        )
        self.resampler = Resample(
            orig_freq=self.source_sample_rate, new_freq=self.target_sample_rate
        )

    def forward(self, waveform, lengths=None):
        """
        Args:
            waveform (Tensor): Input signals, with shape `(..., time)`.
            lengths (Tensor or None, optional): Valid lengths of signals in ``waveform``, with
                shape `(...)`. If ``None``, all elements in ``waveform`` are treated as valid.
                (Default: ``None``)

        Returns:
            (Tensor, Tensor or None): Speed-adjusted waveform, with shape `(..., new_time)`;
            and, if ``lengths`` is not ``None``, valid lengths of signals in it, with shape
            `(...)`, otherwise ``None``.
        """
        if lengths is None:
            out_lengths = None
        else:
            out_lengths = ember.ceil(lengths * self.target_sample_rate / self.source_sample_rate)
            out_lengths = out_lengths.to(lengths.dtype)
        return self.resampler(waveform), out_lengths


class SpeedPerturbation(nn.Module):
    """Applies the speed perturbation augmentation of *Audio augmentation for speech
    recognition* (Ko et al., 2015). For a given input, the module samples a speed-up factor
    from ``factors`` uniformly at random and adjusts the speed of the input by that factor.

    Args:
        orig_freq (int): Original frequency of the signals in ``waveform``.
        factors (Sequence[float]): Factors by which to adjust speed of input. Values greater
            than 1.0 compress ``waveform`` in time, whereas values less than 1.0 stretch
            ``waveform`` in time.

    Example:
        >>> speed_perturb = SpeedPerturbation(16000, [0.9, 1.1, 1.0, 1.0, 1.0])
        >>> # speed adjusted by 0.9 with 20% probability, 1.1 with 20% probability,
        >>> # and 1.0 (i.e. kept the same) with 60% probability.
        >>> speed_perturbed_waveform = speed_perturb(waveform, lengths)
    """

    def __init__(self, orig_freq, factors):
        super().__init__()
        self.speeders = nn.ModuleList(
            [Speed(orig_freq=orig_freq, factor=factor) for factor in factors]
        )

    def forward(self, waveform, lengths=None):
        """
        Args:
            waveform (Tensor): Input signals, with shape `(..., time)`.
            lengths (Tensor or None, optional): Valid lengths of signals in ``waveform``, with
                shape `(...)`. If ``None``, all elements in ``waveform`` are treated as valid.
                (Default: ``None``)

        Returns:
            (Tensor, Tensor or None): as :class:`Speed`.
        """
        idx = int(ember.randint(len(self.speeders), ()))
        return self.speeders[idx](waveform, lengths)


class AddNoise(nn.Module):
    """Scales and adds noise to waveform per signal-to-noise ratio.

    See :func:`emberaudio.functional.add_noise` for more details.
    """

    def forward(self, waveform, noise, snr, lengths=None):
        """``add_noise(waveform, noise, snr, lengths)``: the arguments and result are those of
        :func:`emberaudio.functional.add_noise`."""
        return F.add_noise(waveform, noise, snr, lengths)


class _Emphasis(nn.Module):
    """A first-order emphasis filter with coefficient ``coeff``, applied by ``_filter``."""

    def __init__(self, coeff=0.97):
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform):
        """
        Args:
            waveform (Tensor): Waveform, with shape `(..., N)`.

        Returns:
            Tensor: Filtered waveform, with shape `(..., N)`.
        """
        return type(self)._filter(waveform, coeff=self.coeff)


class Preemphasis(_Emphasis):
    """Pre-emphasizes a waveform along its last dimension.

    See :func:`emberaudio.functional.preemphasis` for more details.

    Args:
        coeff (float, optional): Pre-emphasis coefficient. Typically between 0.0 and 1.0.
            (Default: 0.97)
    """

    _filter = staticmethod(F.preemphasis)


class Deemphasis(_Emphasis):
    """De-emphasizes a waveform along its last dimension.

    See :func:`emberaudio.functional.deemphasis` for more details (the output is clamped to
    [-1, 1], as torchaudio's).

    Args:
        coeff (float, optional): De-emphasis coefficient. Typically between 0.0 and 1.0.
            (Default: 0.97)
    """

    _filter = staticmethod(F.deemphasis)
