"""Discrete Fourier transforms, as ``torch.fft``: ``fft``/``ifft`` (and their 2-D and n-D
forms), ``rfft``/``irfft`` for real signals, ``hfft``/``ihfft`` for Hermitian spectra, the
sample frequencies and the zero-frequency shifts. Every transform is differentiable and
takes torch's ``norm``: ``"backward"`` (default), ``"ortho"`` or ``"forward"``."""

from ..ops.spectral import (
    fft,
    fft2,
    fftfreq,
    fftn,
    fftshift,
    hfft,
    ifft,
    ifft2,
    ifftn,
    ifftshift,
    ihfft,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftfreq,
    rfftn,
)

__all__ = [
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfft2",
    "irfft2",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]
