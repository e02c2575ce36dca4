"""Multi-channel transforms under ``torchaudio.transforms``' names: ``PSD`` and the MVDR
beamformers ``MVDR``, ``RTFMVDR`` and ``SoudenMVDR``, built on
:mod:`emberaudio.functional.beamforming`."""

from __future__ import annotations

import warnings

import ember
from ember import nn

from ..functional import beamforming as F

__all__ = ["PSD", "MVDR", "RTFMVDR", "SoudenMVDR"]


def _get_mvdr_vector(
    psd_s,
    psd_n,
    reference_vector,
    solution="ref_channel",
    diagonal_loading=True,
    diag_eps=1e-7,
    eps=1e-8,
):
    """The MVDR beamforming weights by ``solution``: Souden's formula (``"ref_channel"``) or
    the RTF formula with the steering vector from ``rtf_evd`` (``"stv_evd"``) or
    ``rtf_power`` (``"stv_power"``)."""
    if solution == "ref_channel":
        return F.mvdr_weights_souden(
            psd_s, psd_n, reference_vector, diagonal_loading, diag_eps, eps
        )
    if solution == "stv_evd":
        stv = F.rtf_evd(psd_s)
    else:
        stv = F.rtf_power(
            psd_s, psd_n, reference_vector, diagonal_loading=diagonal_loading, diag_eps=diag_eps
        )
    return F.mvdr_weights_rtf(stv, psd_n, reference_vector, diagonal_loading, diag_eps, eps)


class PSD(nn.Module):
    r"""Compute cross-channel power spectral density (PSD) matrix.

    Args:
        multi_mask (bool, optional): If ``True``, only accepts multi-channel Time-Frequency
            masks. (Default: ``False``)
        normalize (bool, optional): If ``True``, normalize the mask along the time dimension.
            (Default: ``True``)
        eps (float, optional): Value to add to the denominator in mask normalization.
            (Default: ``1e-15``)
    """

    def __init__(self, multi_mask=False, normalize=True, eps=1e-15):
        super().__init__()
        self.multi_mask = multi_mask
        self.normalize = normalize
        self.eps = eps

    def forward(self, specgram, mask=None):
        """
        Args:
            specgram (Tensor): Multi-channel complex-valued spectrum.
                Tensor with dimensions `(..., channel, freq, time)`.
            mask (Tensor or None, optional): Time-Frequency mask for normalization.
                Tensor with dimensions `(..., freq, time)` if multi_mask is ``False`` or
                with dimensions `(..., channel, freq, time)` if multi_mask is ``True``.
                (Default: ``None``)

        Returns:
            Tensor: The complex-valued PSD matrix of the input spectrum.
                Tensor with dimensions `(..., freq, channel, channel)`
        """
        if mask is not None and self.multi_mask:
            # Averaging mask along channel dimension
            mask = mask.mean(dim=-3)  # (..., freq, time)
        return F.psd(specgram, mask, self.normalize, self.eps)


class MVDR(nn.Module):
    r"""Minimum Variance Distortionless Response (MVDR) module that performs MVDR beamforming
    with Time-Frequency masks.

    Based on https://github.com/espnet/espnet/blob/master/espnet2/enh/layers/beamformer.py

    We provide three solutions of MVDR beamforming. One is based on *reference channel
    selection* (``solution=ref_channel``).

    .. math::
        \textbf{w}_{\text{MVDR}}(f) =
        \frac{{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bf{\Phi}_{\textbf{SS}}}}(f)}
        {\text{Trace}({{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f) \bf{\Phi}_{\textbf{SS}}}(f))}}\bm{u}

    where :math:`\bf{\Phi}_{\textbf{SS}}` and :math:`\bf{\Phi}_{\textbf{NN}}` are the
    covariance matrices of speech and noise, respectively. :math:`\bf{u}` is an one-hot
    vector to determine the reference channel.

    The other two solutions are based on the steering vector (``solution=stv_evd`` or
    ``solution=stv_power``).

    .. math::
        \textbf{w}_{\text{MVDR}}(f) =
        \frac{{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bm{v}}(f)}}
        {{\bm{v}^{\mathsf{H}}}(f){\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bm{v}}(f)}

    where :math:`\bm{v}` is the acoustic transfer function or the steering vector.
    :math:`.^{\mathsf{H}}` denotes the Hermitian Conjugate operation.

    We apply either *eigenvalue decomposition* or the *power method* to get the steering
    vector from the PSD matrix of speech.

    After estimating the beamforming weight, the enhanced Short-time Fourier Transform (STFT)
    is obtained by

    .. math::
        \hat{\bf{S}} = {\bf{w}^\mathsf{H}}{\bf{Y}}, {\bf{w}} \in \mathbb{C}^{M \times F}

    where :math:`\bf{Y}` and :math:`\hat{\bf{S}}` are the STFT of the multi-channel noisy
    speech and the single-channel enhanced speech, respectively.

    For online streaming audio, we provide a *recursive method* to update the PSD matrices
    of speech and noise, respectively.

    Args:
        ref_channel (int, optional): Reference channel for beamforming. (Default: ``0``)
        solution (str, optional): Solution to compute the MVDR beamforming weights.
            Options: [``ref_channel``, ``stv_evd``, ``stv_power``]. (Default: ``ref_channel``)
        multi_mask (bool, optional): If ``True``, only accepts multi-channel Time-Frequency
            masks. (Default: ``False``)
        diag_loading (bool, optional): If ``True``, enables applying diagonal loading to the
            covariance matrix of the noise. (Default: ``True``)
        diag_eps (float, optional): The coefficient multiplied to the identity matrix for
            diagonal loading. It is only effective when ``diag_loading`` is set to ``True``.
            (Default: ``1e-7``)
        online (bool, optional): If ``True``, updates the MVDR beamforming weights based on
            the previous covarience matrices. (Default: ``False``)

    Note:
        To improve the numerical stability, the input spectrogram will be converted to double
        precision (``ember.complex128`` or ``ember.cdouble``) dtype for internal computation.
        The output spectrogram is converted to the dtype of the input spectrogram to be
        compatible with other modules.

    Note:
        If you use ``stv_evd`` solution, the gradient of the same input may not be identical
        if the eigenvalues of the PSD matrix are not distinct (i.e. some eigenvalues are close
        or identical).
    """

    def __init__(
        self,
        ref_channel=0,
        solution="ref_channel",
        multi_mask=False,
        diag_loading=True,
        diag_eps=1e-7,
        online=False,
    ):
        super().__init__()
        if solution not in ["ref_channel", "stv_evd", "stv_power"]:
            raise ValueError(
                '`solution` must be one of ["ref_channel", "stv_evd", "stv_power"]. '
                f"Given {solution}"
            )
        self.ref_channel = ref_channel
        self.solution = solution
        self.multi_mask = multi_mask
        self.diag_loading = diag_loading
        self.diag_eps = diag_eps
        self.online = online
        self.psd = PSD(multi_mask)
        # the running statistics of online mode; a 1-element placeholder until the first call
        self.register_buffer("psd_s", ember.zeros(1))
        self.register_buffer("psd_n", ember.zeros(1))
        self.register_buffer("mask_sum_s", ember.zeros(1))
        self.register_buffer("mask_sum_n", ember.zeros(1))

    def _get_updated_mvdr_vector(
        self,
        psd_s,
        psd_n,
        mask_s,
        mask_n,
        reference_vector,
        solution="ref_channel",
        diagonal_loading=True,
        diag_eps=1e-7,
        eps=1e-8,
    ):
        """Update the PSD matrices and mask sums recursively with this call's, then compute
        the MVDR beamforming weights from them."""
        if self.multi_mask:
            # Averaging mask along channel dimension
            mask_s = mask_s.mean(dim=-3)  # (..., freq, time)
            mask_n = mask_n.mean(dim=-3)  # (..., freq, time)
        if self.psd_s.ndim == 1:
            self.psd_s = psd_s
            self.psd_n = psd_n
            self.mask_sum_s = mask_s.sum(dim=-1)
            self.mask_sum_n = mask_n.sum(dim=-1)
        else:
            self.psd_s = self._get_updated_psd(self.psd_s, self.mask_sum_s, psd_s, mask_s)
            self.psd_n = self._get_updated_psd(self.psd_n, self.mask_sum_n, psd_n, mask_n)
            self.mask_sum_s = self.mask_sum_s + mask_s.sum(dim=-1)
            self.mask_sum_n = self.mask_sum_n + mask_n.sum(dim=-1)
        return _get_mvdr_vector(
            self.psd_s, self.psd_n, reference_vector, solution, diagonal_loading, diag_eps, eps
        )

    @staticmethod
    def _get_updated_psd(previous, mask_sum, psd, mask):
        """The running PSD: the previous one weighted by its share of the mask's total, plus
        this call's scaled by the inverse of the new total."""
        total = mask_sum + mask.sum(dim=-1)
        return previous * (mask_sum / total)[..., None, None] + psd * (1 / total)[..., None, None]

    def forward(self, specgram, mask_s, mask_n=None):
        """Perform MVDR beamforming.

        Args:
            specgram (Tensor): Multi-channel complex-valued spectrum.
                Tensor with dimensions `(..., channel, freq, time)`
            mask_s (Tensor): Time-Frequency mask of target speech.
                Tensor with dimensions `(..., freq, time)` if multi_mask is ``False``
                or with dimensions `(..., channel, freq, time)` if multi_mask is ``True``.
            mask_n (Tensor or None, optional): Time-Frequency mask of noise.
                Tensor with dimensions `(..., freq, time)` if multi_mask is ``False``
                or with dimensions `(..., channel, freq, time)` if multi_mask is ``True``.
                (Default: None)

        Returns:
            Tensor: Single-channel complex-valued enhanced spectrum with dimensions
            `(..., freq, time)`.
        """
        dtype = specgram.dtype
        if specgram.ndim < 3:
            raise ValueError(
                f"Expected at least 3D tensor (..., channel, freq, time). Found: {specgram.shape}"
            )
        if not specgram.is_complex():
            raise ValueError(
                "The type of ``specgram`` tensor must be ``ember.cfloat`` or "
                f"``ember.cdouble``. Found: {specgram.dtype}"
            )
        if specgram.dtype == ember.cfloat:
            specgram = specgram.cdouble()  # Convert specgram to ``ember.cdouble``.

        if mask_n is None:
            warnings.warn(
                "``mask_n`` is not provided, use ``1 - mask_s`` as ``mask_n``.", stacklevel=2
            )
            mask_n = 1 - mask_s

        psd_s = self.psd(specgram, mask_s)  # (..., freq, channel, channel)
        psd_n = self.psd(specgram, mask_n)  # (..., freq, channel, channel)

        u = ember.zeros(specgram.size()[:-2], device=specgram.device, dtype=ember.cdouble)
        u[..., self.ref_channel] = 1  # (..., channel)

        if self.online:
            w_mvdr = self._get_updated_mvdr_vector(
                psd_s, psd_n, mask_s, mask_n, u, self.solution, self.diag_loading, self.diag_eps
            )
        else:
            w_mvdr = _get_mvdr_vector(
                psd_s, psd_n, u, self.solution, self.diag_loading, self.diag_eps
            )

        specgram_enhanced = F.apply_beamforming(w_mvdr, specgram)

        return specgram_enhanced.to(dtype)


class RTFMVDR(nn.Module):
    r"""Minimum Variance Distortionless Response (*MVDR*) module based on the relative
    transfer function (RTF) and power spectral density (PSD) matrix of noise.

    Given the multi-channel complex-valued spectrum :math:`\textbf{Y}`, the relative transfer
    function (RTF) matrix or the steering vector of target speech :math:`\bm{v}`, the PSD
    matrix of noise :math:`\bf{\Phi}_{\textbf{NN}}`, and a one-hot vector that represents the
    reference channel :math:`\bf{u}`, the module computes the single-channel complex-valued
    spectrum of the enhanced speech :math:`\hat{\textbf{S}}`. The formula is defined as:

    .. math::
        \hat{\textbf{S}}(f) = \textbf{w}_{\text{bf}}(f)^{\mathsf{H}} \textbf{Y}(f)

    where :math:`\textbf{w}_{\text{bf}}(f)` is the MVDR beamforming weight for the
    :math:`f`-th frequency bin, :math:`(.)^{\mathsf{H}}` denotes the Hermitian Conjugate
    operation.

    The beamforming weight is computed by:

    .. math::
        \textbf{w}_{\text{MVDR}}(f) =
        \frac{{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bm{v}}(f)}}
        {{\bm{v}^{\mathsf{H}}}(f){\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bm{v}}(f)}
    """

    def forward(
        self,
        specgram,
        rtf,
        psd_n,
        reference_channel,
        diagonal_loading=True,
        diag_eps=1e-7,
        eps=1e-8,
    ):
        """
        Args:
            specgram (Tensor): Multi-channel complex-valued spectrum.
                Tensor with dimensions `(..., channel, freq, time)`
            rtf (Tensor): The complex-valued RTF vector of target speech.
                Tensor with dimensions `(..., freq, channel)`.
            psd_n (Tensor): The complex-valued power spectral density (PSD) matrix of noise.
                Tensor with dimensions `(..., freq, channel, channel)`.
            reference_channel (int or Tensor): Specifies the reference channel.
                If the dtype is ``int``, it represents the reference channel index.
                If the dtype is ``Tensor``, its shape is `(..., channel)`, where the
                ``channel`` dimension is one-hot.
            diagonal_loading (bool, optional): If ``True``, enables applying diagonal
                loading to ``psd_n``. (Default: ``True``)
            diag_eps (float, optional): The coefficient multiplied to the identity matrix for
                diagonal loading. It is only effective when ``diagonal_loading`` is set to
                ``True``. (Default: ``1e-7``)
            eps (float, optional): Value to add to the denominator in the beamforming weight
                formula. (Default: ``1e-8``)

        Returns:
            Tensor: Single-channel complex-valued enhanced spectrum with dimensions
            `(..., freq, time)`.
        """
        w_mvdr = F.mvdr_weights_rtf(rtf, psd_n, reference_channel, diagonal_loading, diag_eps, eps)
        return F.apply_beamforming(w_mvdr, specgram)


class SoudenMVDR(nn.Module):
    r"""Minimum Variance Distortionless Response (*MVDR*) module based on the method
    proposed by *Souden et, al.*

    Given the multi-channel complex-valued spectrum :math:`\textbf{Y}`, the power spectral
    density (PSD) matrix of target speech :math:`\bf{\Phi}_{\textbf{SS}}`, the PSD matrix of
    noise :math:`\bf{\Phi}_{\textbf{NN}}`, and a one-hot vector that represents the reference
    channel :math:`\bf{u}`, the module computes the single-channel complex-valued spectrum of
    the enhanced speech :math:`\hat{\textbf{S}}`. The formula is defined as:

    .. math::
        \hat{\textbf{S}}(f) = \textbf{w}_{\text{bf}}(f)^{\mathsf{H}} \textbf{Y}(f)

    where :math:`\textbf{w}_{\text{bf}}(f)` is the MVDR beamforming weight for the
    :math:`f`-th frequency bin.

    The beamforming weight is computed by:

    .. math::
        \textbf{w}_{\text{MVDR}}(f) =
        \frac{{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bf{\Phi}_{\textbf{SS}}}}(f)}
        {\text{Trace}({{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f) \bf{\Phi}_{\textbf{SS}}}(f))}}\bm{u}
    """

    def forward(
        self,
        specgram,
        psd_s,
        psd_n,
        reference_channel,
        diagonal_loading=True,
        diag_eps=1e-7,
        eps=1e-8,
    ):
        """
        Args:
            specgram (Tensor): Multi-channel complex-valued spectrum.
                Tensor with dimensions `(..., channel, freq, time)`.
            psd_s (Tensor): The complex-valued power spectral density (PSD) matrix of target
                speech. Tensor with dimensions `(..., freq, channel, channel)`.
            psd_n (Tensor): The complex-valued power spectral density (PSD) matrix of noise.
                Tensor with dimensions `(..., freq, channel, channel)`.
            reference_channel (int or Tensor): Specifies the reference channel.
                If the dtype is ``int``, it represents the reference channel index.
                If the dtype is ``Tensor``, its shape is `(..., channel)`, where the
                ``channel`` dimension is one-hot.
            diagonal_loading (bool, optional): If ``True``, enables applying diagonal
                loading to ``psd_n``. (Default: ``True``)
            diag_eps (float, optional): The coefficient multiplied to the identity matrix for
                diagonal loading. It is only effective when ``diagonal_loading`` is set to
                ``True``. (Default: ``1e-7``)
            eps (float, optional): Value to add to the denominator in the beamforming weight
                formula. (Default: ``1e-8``)

        Returns:
            Tensor: Single-channel complex-valued enhanced spectrum with dimensions
            `(..., freq, time)`.
        """
        w_mvdr = F.mvdr_weights_souden(
            psd_s, psd_n, reference_channel, diagonal_loading, diag_eps, eps
        )
        return F.apply_beamforming(w_mvdr, specgram)
