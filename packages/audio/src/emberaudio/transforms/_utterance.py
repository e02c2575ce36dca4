"""Transforms over whole utterances, under ``torchaudio.transforms``' names: voice activity
trimming (``Vad``), sliding-window cepstral mean normalization (``SlidingWindowCmn``) and the
RNN Transducer loss (``RNNTLoss``)."""

from __future__ import annotations

import inspect

from ember import nn

from ..functional.alignment import rnnt_loss
from ..functional.filtering import vad
from ..functional.functional import sliding_window_cmn

__all__ = ["SlidingWindowCmn", "Vad", "RNNTLoss"]

# the parameters Vad holds, by name: those of vad after the waveform
_VAD_PARAMETERS = tuple(inspect.signature(vad).parameters)[1:]


class SlidingWindowCmn(nn.Module):
    r"""
    Apply sliding-window cepstral mean (and optionally variance) normalization per utterance.

    Args:
        cmn_window (int, optional): Window in frames for running average CMN computation
            (int, default = 600)
        min_cmn_window (int, optional):  Minimum CMN window used at start of decoding (adds
            latency only at start). Only applicable if center == false, ignored if
            center==true (int, default = 100)
        center (bool, optional): If true, use a window centered on the current frame
            (to the extent possible, modulo end effects). If false, window is to the left.
            (bool, default = false)
        norm_vars (bool, optional): If true, normalize variance to one. (bool, default = false)

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.SlidingWindowCmn(cmn_window=1000)
        >>> cmn_waveform = transform(waveform)
    """

    def __init__(self, cmn_window=600, min_cmn_window=100, center=False, norm_vars=False):
        super().__init__()
        self.cmn_window = cmn_window
        self.min_cmn_window = min_cmn_window
        self.center = center
        self.norm_vars = norm_vars

    def forward(self, specgram):
        r"""
        Args:
            specgram (Tensor): Tensor of spectrogram of dimension `(..., time, freq)`.

        Returns:
            Tensor: Tensor of spectrogram of dimension `(..., time, freq)`.
        """
        return sliding_window_cmn(
            specgram, self.cmn_window, self.min_cmn_window, self.center, self.norm_vars
        )


class Vad(nn.Module):
    r"""Voice Activity Detector. Similar to SoX implementation.

    Attempts to trim silence and quiet background sounds from the ends of recordings of
    speech. The algorithm currently uses a simple cepstral power measurement to detect voice,
    so may be fooled by other things, especially music.

    The effect can trim only from the front of the audio,
    so in order to trim from the back, the reverse effect must also be used.

    Args:
        sample_rate (int): Sample rate of audio signal.
        trigger_level (float, optional): The measurement level used to trigger activity
            detection. This may need to be changed depending on the noise level, signal
            level, and other characteristics of the input audio. (Default: 7.0)
        trigger_time (float, optional): The time constant (in seconds)
            used to help ignore short bursts of sound. (Default: 0.25)
        search_time (float, optional): The amount of audio (in seconds)
            to search for quieter/shorter bursts of audio to include prior
            to the detected trigger point. (Default: 1.0)
        allowed_gap (float, optional): The allowed gap (in seconds) between
            quiteter/shorter bursts of audio to include prior
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
        measure_duration: (float or None, optional) Measurement duration.
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

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.Vad(sample_rate=sample_rate, trigger_level=7.5)
        >>> waveform_front_trim = transform(waveform)

    Reference:
        - http://sox.sourceforge.net/sox.html
    """

    def __init__(
        self,
        sample_rate,
        trigger_level=7.0,
        trigger_time=0.25,
        search_time=1.0,
        allowed_gap=0.25,
        pre_trigger_time=0.0,
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
        super().__init__()
        self.sample_rate = sample_rate
        self.trigger_level = trigger_level
        self.trigger_time = trigger_time
        self.search_time = search_time
        self.allowed_gap = allowed_gap
        self.pre_trigger_time = pre_trigger_time
        self.boot_time = boot_time
        self.noise_up_time = noise_up_time
        self.noise_down_time = noise_down_time
        self.noise_reduction_amount = noise_reduction_amount
        self.measure_freq = measure_freq
        self.measure_duration = measure_duration
        self.measure_smooth_time = measure_smooth_time
        self.hp_filter_freq = hp_filter_freq
        self.lp_filter_freq = lp_filter_freq
        self.hp_lifter_freq = hp_lifter_freq
        self.lp_lifter_freq = lp_lifter_freq

    def forward(self, waveform):
        r"""
        Args:
            waveform (Tensor): Tensor of audio of dimension `(channels, time)` or `(time)`
                Tensor of shape `(channels, time)` is treated as a multi-channel recording
                of the same event and the resulting output will be trimmed to the earliest
                voice activity in any channel.
        """
        return vad(waveform, **{name: getattr(self, name) for name in _VAD_PARAMETERS})


class RNNTLoss(nn.Module):
    """Compute the RNN Transducer loss from *Sequence Transduction with Recurrent Neural
    Networks*.

    The RNN Transducer loss extends the CTC loss by defining a distribution over output
    sequences of all lengths, and by jointly modelling both input-output and output-output
    dependencies.

    Args:
        blank (int, optional): blank label (Default: ``-1``)
        clamp (float, optional): clamp for gradients (Default: ``-1``)
        reduction (string, optional): Specifies the reduction to apply to the output:
            ``"none"`` | ``"mean"`` | ``"sum"``. (Default: ``"mean"``)
        fused_log_softmax (bool): set to False if calling log_softmax outside of loss
            (Default: ``True``)

    Example:
        >>> # Hypothetical values
        >>> logits = ember.tensor([[[[0.1, 0.6, 0.1, 0.1, 0.1],
        ...                          [0.1, 0.1, 0.6, 0.1, 0.1],
        ...                          [0.1, 0.1, 0.2, 0.8, 0.1]],
        ...                         [[0.1, 0.6, 0.1, 0.1, 0.1],
        ...                          [0.1, 0.1, 0.2, 0.1, 0.1],
        ...                          [0.7, 0.1, 0.2, 0.1, 0.1]]]],
        ...                       dtype=ember.float32,
        ...                       requires_grad=True)
        >>> targets = ember.tensor([[1, 2]], dtype=ember.int)
        >>> logit_lengths = ember.tensor([2], dtype=ember.int)
        >>> target_lengths = ember.tensor([2], dtype=ember.int)
        >>> transform = transforms.RNNTLoss(blank=0)
        >>> loss = transform(logits, targets, logit_lengths, target_lengths)
        >>> loss.backward()
    """

    def __init__(self, blank=-1, clamp=-1.0, reduction="mean", fused_log_softmax=True):
        super().__init__()
        self.blank = blank
        self.clamp = clamp
        self.reduction = reduction
        self.fused_log_softmax = fused_log_softmax

    def forward(self, logits, targets, logit_lengths, target_lengths):
        """
        Args:
            logits (Tensor): Tensor of dimension `(batch, max seq length, max target
                length + 1, class)` containing output from joiner
            targets (Tensor): Tensor of dimension `(batch, max target length)` containing
                targets with zero padded
            logit_lengths (Tensor): Tensor of dimension `(batch)` containing lengths of each
                sequence from encoder
            target_lengths (Tensor): Tensor of dimension `(batch)` containing lengths of
                targets for each sequence

        Returns:
            Tensor: Loss with the reduction option applied. If ``reduction`` is  ``"none"``,
            then size (batch), otherwise scalar.
        """
        return rnnt_loss(
            logits,
            targets,
            logit_lengths,
            target_lengths,
            self.blank,
            self.clamp,
            self.reduction,
            self.fused_log_softmax,
        )
