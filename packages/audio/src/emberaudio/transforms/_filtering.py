"""Transforms built on :mod:`emberaudio.functional.filtering`, under ``torchaudio.transforms``'
names."""

from __future__ import annotations

from ember import nn

from ..functional.filtering import loudness

__all__ = ["Loudness"]


class Loudness(nn.Module):
    r"""Measure audio loudness according to the ITU-R BS.1770-4 recommendation.

    Args:
        sample_rate (int): Sample rate of audio signal.

    Example:
        >>> waveform, sample_rate = emberaudio.load("test.wav", normalize=True)
        >>> transform = transforms.Loudness(sample_rate)
        >>> loudness = transform(waveform)

    Reference:
        - https://www.itu.int/rec/R-REC-BS.1770-4-201510-I/en
    """

    def __init__(self, sample_rate):
        super().__init__()
        self.sample_rate = sample_rate

    def forward(self, wavefrom):  # sic: torchaudio's argument name
        r"""
        Args:
            waveform(Tensor): audio waveform of dimension `(..., channels, time)`

        Returns:
            Tensor: loudness estimates (LKFS)
        """
        return loudness(wavefrom, self.sample_rate)
