"""Multi-channel beamforming under ``torchaudio.functional``'s names: the cross-channel power
spectral density (``psd``), MVDR beamforming weights (``mvdr_weights_souden``,
``mvdr_weights_rtf``), relative transfer functions (``rtf_evd``, ``rtf_power``) and
``apply_beamforming``.

All of it is complex ember tensor algebra (products, ``linalg.solve``, ``linalg.eigh``)
batched over every leading dimension, so it runs on the spectrum's device and autograd flows
through it (``rtf_evd`` included, as far as ``eigh``'s gradient is defined).
"""

from __future__ import annotations

import ember

__all__ = [
    "psd",
    "mvdr_weights_souden",
    "mvdr_weights_rtf",
    "rtf_evd",
    "rtf_power",
    "apply_beamforming",
]


def psd(specgram, mask=None, normalize=True, eps=1e-10):
    """Compute cross-channel power spectral density (PSD) matrix.

    torchaudio forms the outer product at every time frame and then sums over time; here the
    (masked) sum over time is one batched matrix product, without the per-frame matrices.

    Args:
        specgram (Tensor): Multi-channel complex-valued spectrum.
            Tensor with dimensions `(..., channel, freq, time)`.
        mask (Tensor or None, optional): Time-Frequency mask for normalization.
            Tensor with dimensions `(..., freq, time)`. (Default: ``None``)
        normalize (bool, optional): If ``True``, normalize the mask along the time dimension.
            (Default: ``True``)
        eps (float, optional): Value to add to the denominator in mask normalization.
            (Default: ``1e-10``)

    Returns:
        Tensor: The complex-valued PSD matrix of the input spectrum.
        Tensor with dimensions `(..., freq, channel, channel)`
    """
    specgram = specgram.transpose(-3, -2)  # shape (freq, channel, time)
    weighted = specgram
    if mask is not None:
        if mask.shape[:-1] != specgram.shape[:-2] or mask.shape[-1] != specgram.shape[-1]:
            raise ValueError(
                "The dimensions of mask except the channel dimension should be the same as "
                f"specgram.Found {mask.shape} for mask and {specgram.shape} for specgram."
            )
        # Normalized mask along time dimension:
        if normalize:
            mask = mask / (mask.sum(dim=-1, keepdim=True) + eps)
        weighted = specgram * mask.unsqueeze(-2)
    # sum over time of the outer products: (..., ch_1, time) x (..., time, ch_2)
    return weighted @ specgram.conj().transpose(-1, -2)


def _compute_mat_trace(input, dim1=-1, dim2=-2):
    """The trace of ``input`` over ``dim1`` and ``dim2``: `(..., channel, channel)` to `(...)`."""
    if input.ndim < 2:
        raise ValueError("The dimension of the tensor must be at least 2.")
    if input.shape[dim1] != input.shape[dim2]:
        raise ValueError("The size of ``dim1`` and ``dim2`` must be the same.")
    return ember.diagonal(input, 0, dim1, dim2).sum(dim=-1)


def _tik_reg(mat, reg=1e-7, eps=1e-8):
    """Tikhonov regularization: ``mat + (reg * Re(trace(mat)) + eps) * I`` (the real part of
    the diagonal only); ``eps`` keeps an all-zero matrix invertible."""
    eye = ember.eye(mat.size(-1), dtype=mat.dtype, device=mat.device)
    epsilon = _compute_mat_trace(mat).real[..., None, None] * reg + eps
    return mat + epsilon * eye


def _assert_psd_matrices(psd_s, psd_n):
    """Check the PSD matrices of target speech and noise: at least 3D, complex, same shape,
    square."""
    if psd_s.ndim < 3 or psd_n.ndim < 3:
        raise ValueError(
            "Expected at least 3D Tensor (..., freq, channel, channel) for psd_s and psd_n. "
            f"Found {psd_s.shape} for psd_s and {psd_n.shape} for psd_n."
        )
    if not (psd_s.is_complex() and psd_n.is_complex()):
        raise TypeError(
            "The type of psd_s and psd_n must be ``ember.cfloat`` or ``ember.cdouble``. "
            f"Found {psd_s.dtype} for psd_s and {psd_n.dtype} for psd_n."
        )
    if psd_s.shape != psd_n.shape:
        raise ValueError(
            "The dimensions of psd_s and psd_n should be the same. "
            f"Found {psd_s.shape} and {psd_n.shape}."
        )
    if psd_s.shape[-1] != psd_s.shape[-2]:
        raise ValueError(
            f"The last two dimensions of psd_s should be the same. Found {psd_s.shape}."
        )


def _reference_column(mat, reference_channel, dtype):
    """``mat @ u`` for the one-hot reference vector ``u``: column ``reference_channel`` of
    ``mat`` `(..., freq, channel, channel)`, or its contraction with a one-hot tensor
    `(..., channel)`."""
    if isinstance(reference_channel, int):
        return mat[..., reference_channel]
    if isinstance(reference_channel, ember.Tensor):
        reference_channel = reference_channel.to(dtype)
        # (..., F, C_1, C_2) x (..., C_2) -> (..., F, C_1)
        return (mat * reference_channel[..., None, None, :]).sum(-1)
    raise TypeError(
        f'Expected "int" or "Tensor" for reference_channel. Found: {type(reference_channel)}.'
    )


def mvdr_weights_souden(
    psd_s, psd_n, reference_channel, diagonal_loading=True, diag_eps=1e-7, eps=1e-8
):
    r"""Compute the Minimum Variance Distortionless Response (*MVDR*) beamforming weights
    by the method proposed by *Souden et, al.*

    .. math::
        \textbf{w}_{\text{MVDR}}(f) =
        \frac{{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bf{\Phi}_{\textbf{SS}}}}(f)}
        {\text{Trace}({{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f) \bf{\Phi}_{\textbf{SS}}}(f))}}\bm{u}

    Args:
        psd_s (Tensor): The complex-valued power spectral density (PSD) matrix of target
            speech. Tensor with dimensions `(..., freq, channel, channel)`.
        psd_n (Tensor): The complex-valued power spectral density (PSD) matrix of noise.
            Tensor with dimensions `(..., freq, channel, channel)`.
        reference_channel (int or Tensor): Specifies the reference channel.
            If the dtype is ``int``, it represents the reference channel index.
            If the dtype is ``Tensor``, its shape is `(..., channel)`, where the ``channel``
            dimension is one-hot.
        diagonal_loading (bool, optional): If ``True``, enables applying diagonal loading to
            ``psd_n``. (Default: ``True``)
        diag_eps (float, optional): The coefficient multiplied to the identity matrix for
            diagonal loading. It is only effective when ``diagonal_loading`` is set to
            ``True``. (Default: ``1e-7``)
        eps (float, optional): Value to add to the denominator in the beamforming weight
            formula. (Default: ``1e-8``)

    Returns:
        Tensor: The complex-valued MVDR beamforming weight matrix with dimensions
        `(..., freq, channel)`.
    """
    _assert_psd_matrices(psd_s, psd_n)

    if diagonal_loading:
        psd_n = _tik_reg(psd_n, reg=diag_eps)
    numerator = ember.linalg.solve(psd_n, psd_s)  # psd_n.inv() @ psd_s
    # ws: (..., C, C) / (...,) -> (..., C, C)
    ws = numerator / (_compute_mat_trace(numerator)[..., None, None] + eps)
    return _reference_column(ws, reference_channel, psd_n.dtype)


def mvdr_weights_rtf(
    rtf, psd_n, reference_channel=None, diagonal_loading=True, diag_eps=1e-7, eps=1e-8
):
    r"""Compute the Minimum Variance Distortionless Response (*MVDR*) beamforming weights
    based on the relative transfer function (RTF) and power spectral density (PSD) matrix of
    noise.

    .. math::
        \textbf{w}_{\text{MVDR}}(f) =
        \frac{{{\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bm{v}}(f)}}
        {{\bm{v}^{\mathsf{H}}}(f){\bf{\Phi}_{\textbf{NN}}^{-1}}(f){\bm{v}}(f)}

    where :math:`(.)^{\mathsf{H}}` denotes the Hermitian Conjugate operation.

    Args:
        rtf (Tensor): The complex-valued RTF vector of target speech.
            Tensor with dimensions `(..., freq, channel)`.
        psd_n (Tensor): The complex-valued power spectral density (PSD) matrix of noise.
            Tensor with dimensions `(..., freq, channel, channel)`.
        reference_channel (int, Tensor or None): Specifies the reference channel.
            If the dtype is ``int``, it represents the reference channel index.
            If the dtype is ``Tensor``, its shape is `(..., channel)`, where the ``channel``
            dimension is one-hot. With ``None`` the weights are not normalized to it.
        diagonal_loading (bool, optional): If ``True``, enables applying diagonal loading to
            ``psd_n``. (Default: ``True``)
        diag_eps (float, optional): The coefficient multiplied to the identity matrix for
            diagonal loading. It is only effective when ``diagonal_loading`` is set to
            ``True``. (Default: ``1e-7``)
        eps (float, optional): Value to add to the denominator in the beamforming weight
            formula. (Default: ``1e-8``)

    Returns:
        Tensor: The complex-valued MVDR beamforming weight matrix with dimensions
        `(..., freq, channel)`.
    """
    if rtf.ndim < 2:
        raise ValueError(
            f"Expected at least 2D Tensor (..., freq, channel) for rtf. Found {rtf.shape}."
        )
    if psd_n.ndim < 3:
        raise ValueError(
            "Expected at least 3D Tensor (..., freq, channel, channel) for psd_n. "
            f"Found {psd_n.shape}."
        )
    if not (rtf.is_complex() and psd_n.is_complex()):
        raise TypeError(
            "The type of rtf and psd_n must be ``ember.cfloat`` or ``ember.cdouble``. "
            f"Found {rtf.dtype} for rtf and {psd_n.dtype} for psd_n."
        )
    if rtf.shape != psd_n.shape[:-1]:
        raise ValueError(
            "The dimensions of rtf and the dimensions withou the last dimension of psd_n "
            f"should be the same. Found {rtf.shape} for rtf and {psd_n.shape} for psd_n."
        )
    if psd_n.shape[-1] != psd_n.shape[-2]:
        raise ValueError(
            f"The last two dimensions of psd_n should be the same. Found {psd_n.shape}."
        )

    if diagonal_loading:
        psd_n = _tik_reg(psd_n, reg=diag_eps)
    # numerator = psd_n.inv() @ stv
    numerator = ember.linalg.solve(psd_n, rtf.unsqueeze(-1)).squeeze(-1)  # (..., freq, channel)
    # denominator = stv^H @ psd_n.inv() @ stv
    denominator = (rtf.conj() * numerator).sum(-1)
    beamform_weights = numerator / (denominator.real.unsqueeze(-1) + eps)
    # normalize the numerator
    if reference_channel is not None:
        # rtf^H u, with rtf^H as a (1, channel) matrix: (..., freq, 1)
        scale = _reference_column(rtf.conj().unsqueeze(-2), reference_channel, psd_n.dtype)
        beamform_weights = beamform_weights * scale

    return beamform_weights


def rtf_evd(psd_s):
    r"""Estimate the relative transfer function (RTF) or the steering vector by eigenvalue
    decomposition.

    Args:
        psd_s (Tensor): The complex-valued power spectral density (PSD) matrix of target
            speech. Tensor of dimension `(..., freq, channel, channel)`

    Returns:
        Tensor: The estimated complex-valued RTF of target speech.
        Tensor of dimension `(..., freq, channel)`
    """
    if not psd_s.is_complex():
        raise TypeError(
            f"The type of psd_s must be ``ember.cfloat`` or ``ember.cdouble``. Found {psd_s.dtype}."
        )
    if psd_s.shape[-1] != psd_s.shape[-2]:
        raise ValueError(
            f"The last two dimensions of psd_s should be the same. Found {psd_s.shape}."
        )
    _, v = ember.linalg.eigh(psd_s)  # v is sorted along with eigenvalues in ascending order
    return v[..., -1]  # choose the eigenvector with max eigenvalue


def rtf_power(psd_s, psd_n, reference_channel, n_iter=3, diagonal_loading=True, diag_eps=1e-7):
    r"""Estimate the relative transfer function (RTF) or the steering vector by the power
    method.

    Args:
        psd_s (Tensor): The complex-valued power spectral density (PSD) matrix of target
            speech. Tensor with dimensions `(..., freq, channel, channel)`.
        psd_n (Tensor): The complex-valued power spectral density (PSD) matrix of noise.
            Tensor with dimensions `(..., freq, channel, channel)`.
        reference_channel (int or Tensor): Specifies the reference channel.
            If the dtype is ``int``, it represents the reference channel index.
            If the dtype is ``Tensor``, its shape is `(..., channel)`, where the ``channel``
            dimension is one-hot.
        n_iter (int, optional): number of iterations in power method. (Default: ``3``)
        diagonal_loading (bool, optional): If ``True``, enables applying diagonal loading to
            ``psd_n``. (Default: ``True``)
        diag_eps (float, optional): The coefficient multiplied to the identity matrix for
            diagonal loading. It is only effective when ``diagonal_loading`` is set to
            ``True``. (Default: ``1e-7``)

    Returns:
        Tensor: The estimated complex-valued RTF of target speech.
        Tensor of dimension `(..., freq, channel)`.
    """
    _assert_psd_matrices(psd_s, psd_n)
    if n_iter <= 0:
        raise ValueError("The number of iteration must be greater than 0.")

    # Apply diagonal loading to psd_n to improve robustness.
    if diagonal_loading:
        psd_n = _tik_reg(psd_n, reg=diag_eps)
    # phi is regarded as the first iteration
    phi = ember.linalg.solve(psd_n, psd_s)  # psd_n.inv() @ psd_s
    rtf = _reference_column(phi, reference_channel, psd_n.dtype).unsqueeze(-1)
    if n_iter >= 2:
        # phi above and psd_s below count as two of the iterations
        for _ in range(n_iter - 2):
            rtf = phi @ rtf
        rtf = psd_s @ rtf
    else:
        # with one iteration, the rtf is psd_s[..., reference_channel] = psd_n @ phi @ u
        rtf = psd_n @ rtf
    return rtf.squeeze(-1)


def apply_beamforming(beamform_weights, specgram):
    r"""Apply the beamforming weight to the multi-channel noisy spectrum to obtain the
    single-channel enhanced spectrum.

    .. math::
        \hat{\textbf{S}}(f) = \textbf{w}_{\text{bf}}(f)^{\mathsf{H}} \textbf{Y}(f)

    where :math:`\textbf{w}_{\text{bf}}(f)` is the beamforming weight for the :math:`f`-th
    frequency bin, :math:`\textbf{Y}` is the multi-channel spectrum for the :math:`f`-th
    frequency bin.

    Args:
        beamform_weights (Tensor): The complex-valued beamforming weight matrix.
            Tensor of dimension `(..., freq, channel)`
        specgram (Tensor): The multi-channel complex-valued noisy spectrum.
            Tensor of dimension `(..., channel, freq, time)`

    Returns:
        Tensor: The single-channel complex-valued enhanced spectrum.
            Tensor of dimension `(..., freq, time)`
    """
    if beamform_weights.shape[:-2] != specgram.shape[:-3]:
        raise ValueError(
            "The dimensions except the last two dimensions of beamform_weights should be the "
            "same as the dimensions except the last three dimensions of specgram. "
            f"Found {beamform_weights.shape} for beamform_weights and {specgram.shape} for "
            "specgram."
        )

    if not (beamform_weights.is_complex() and specgram.is_complex()):
        raise TypeError(
            "The type of beamform_weights and specgram must be ``ember.cfloat`` or "
            f"``ember.cdouble``. Found {beamform_weights.dtype} for beamform_weights and "
            f"{specgram.dtype} for specgram."
        )

    # (..., freq, 1, channel) @ (..., freq, channel, time) -> (..., freq, time)
    weights = beamform_weights.conj().unsqueeze(-2)
    return (weights @ specgram.transpose(-3, -2)).squeeze(-2)
