"""Spectral operations: discrete Fourier transforms (``ember.fft``), the short-time Fourier
transform and its inverse, and the window functions they use.

Three Functions carry every transform: ``C2C`` (complex to complex), ``R2C`` (real to the
non-negative half of the spectrum) and ``C2R`` (that half back to a real signal), each over a
set of dimensions whose input already has the transform's size (the wrappers trim or
zero-pad with ordinary tensor operations, so those steps differentiate themselves). Their
backwards are torch's: the adjoint of a transform is the transform the other way round with
the same scale, so ``norm`` swaps ``"backward"`` and ``"forward"`` and keeps ``"ortho"``.

``stft`` frames the signal with a strided view (``Frame``) and makes one ``rfft``/``fft``
call; ``istft`` inverts the frames with one call and adds them back with ``OverlapAdd``, the
adjoint of ``Frame``: each one's backward is the other.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import backend
from .._creation import _device, _place, ones, zeros
from .._dtype import as_dtype, float16, get_default_dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._util import normalize_dims, wrap_dim
from .complex import conj, view_as_real
from .padding import pad
from .shape import cat

__all__ = [
    "stft",
    "istft",
    "hann_window",
    "hamming_window",
    "blackman_window",
    "bartlett_window",
    "kaiser_window",
]

_NORMS = ("backward", "ortho", "forward")
# the scale of a transform one way is that of the other way under the swapped name
_SWAPPED = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


# ------------------------------------------------------------------------ the transforms


class C2C(Function):
    """The n-dimensional DFT over ``dims`` (``forward``) or its inverse, scaled by ``norm``."""

    @staticmethod
    def forward(ctx, x, dims, norm, forward):
        ctx.dims, ctx.norm, ctx.forward = dims, norm, forward
        fft = backend.array_module(x).fft
        return (fft.fftn if forward else fft.ifftn)(x, axes=dims, norm=norm)

    @staticmethod
    def backward(ctx, gy):
        return C2C.apply(gy, ctx.dims, _SWAPPED[ctx.norm], not ctx.forward), None, None, None


class R2C(Function):
    """The DFT of a real signal over ``dims``, only the ``n // 2 + 1`` non-negative
    frequencies of the last of them."""

    @staticmethod
    def forward(ctx, x, dims, norm):
        ctx.dims, ctx.norm, ctx.n = dims, norm, x.shape[dims[-1]]
        return backend.array_module(x).fft.rfftn(x, axes=dims, norm=norm)

    @staticmethod
    def backward(ctx, gy):
        # the adjoint of keeping half the full spectrum: zeros for the dropped half, then the
        # inverse transform; a real input takes the real part (the engine's cast)
        last = ctx.dims[-1]
        missing = ctx.n - gy.shape[last]
        if missing:
            shape = list(gy.shape)
            shape[last] = missing
            gy = cat([gy, zeros(shape, dtype=gy.dtype, device=gy.device)], last)
        return C2C.apply(gy, ctx.dims, _SWAPPED[ctx.norm], False), None, None


class C2R(Function):
    """The inverse of ``R2C``: a real signal of ``n`` samples along the last of ``dims``
    from its ``n // 2 + 1`` non-negative frequencies (the imaginary parts of the zero and,
    for even ``n``, the Nyquist frequency are ignored)."""

    @staticmethod
    def forward(ctx, x, dims, norm, n):
        ctx.dims, ctx.norm = dims, norm
        sizes = [x.shape[d] for d in dims[:-1]] + [n]
        return backend.array_module(x).fft.irfftn(x, s=sizes, axes=dims, norm=norm)

    @staticmethod
    def backward(ctx, gy):
        # torch's rule: the forward half-spectrum transform of gy, with the frequencies that
        # stand for two (themselves and their mirror image) counted twice
        gx = R2C.apply(gy, ctx.dims, _SWAPPED[ctx.norm])
        last = ctx.dims[-1]
        doubled = gy.shape[last] - gx.shape[last]
        if doubled > 0:
            weights = backend.array_module(gy._data).ones(gx.shape[last], gy._data.dtype)
            weights[1 : 1 + doubled] = 2
            shape = [1] * gx.ndim
            shape[last] = gx.shape[last]
            gx = gx * Tensor._make(weights.reshape(shape))
        return gx, None, None, None


# ------------------------------------------------------------------------ argument rules


def _check_norm(norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _floating(name, input, real_only=False):
    """``input`` as a floating or complex tensor: integers and bools become the default
    float dtype; half precision has no CPU kernel in torch, nor here."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    kind = input._data.dtype.kind
    if kind in "biu":
        input = input.to(get_default_dtype())
    elif input.dtype is float16:
        raise RuntimeError("Unsupported dtype Half")
    if real_only and kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got {input.dtype.scalar_name}")
    return input


def _as_complex(input):
    return input if input.is_complex() else input.to(input.dtype.to_complex())


def _dims_and_sizes(input, s, dim, default_dims=None):
    """torch's rules for ``s`` and ``dim``: given both, they pair up; ``s`` alone applies to
    the last ``len(s)`` dims; ``dim`` alone keeps those dims' sizes; neither means every dim
    (or ``default_dims``). Returns ``(dims, sizes)`` with sizes of -1 kept as the input's."""
    ndim = input.ndim
    if dim is not None:
        dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
        if ndim == 0 and dims:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = [wrap_dim(int(d), ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > ndim:
            raise RuntimeError(
                f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions."
            )
        dims = list(range(ndim - len(s), ndim))
    elif default_dims is not None:
        if ndim == 0:
            raise IndexError("Dimension specified as -1 but tensor has no dimensions")
        dims = [wrap_dim(d, ndim) for d in default_dims]
    else:
        dims = list(normalize_dims(None, ndim))
    sizes = [input.shape[d] if s is None or s[i] == -1 else int(s[i]) for i, d in enumerate(dims)]
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return tuple(dims), sizes


def _resize(input, dims, sizes):
    """``input`` trimmed or zero-padded at the end of each of ``dims`` to ``sizes``."""
    for d, n in zip(dims, sizes):
        have = input.shape[d]
        if n < have:
            input = input.narrow(d, 0, n)
        elif n > have:
            shape = list(input.shape)
            shape[d] = n - have
            filler = zeros(shape, dtype=input.dtype, device=input.device)
            input = cat([input, filler], d)
    return input


def _c2c(name, input, s, dim, norm, forward, default_dims=None):
    input = _floating(name, input)
    norm = _check_norm(norm)
    dims, sizes = _dims_and_sizes(input, s, dim, default_dims)
    x = _resize(_as_complex(input), dims, sizes)
    return C2C.apply(x, dims, norm, forward)


def _r2c(name, input, s, dim, norm, default_dims=None):
    input = _floating(name, input, real_only=True)
    norm = _check_norm(norm)
    dims, sizes = _dims_and_sizes(input, s, dim, default_dims)
    return R2C.apply(_resize(input, dims, sizes), dims, norm)


def _c2r(name, input, s, dim, norm, default_dims=None):
    input = _floating(name, input)
    norm = _check_norm(norm)
    dims, sizes = _dims_and_sizes(input, s, dim, default_dims)
    last = dims[-1]
    if s is None or s[-1] == -1:
        sizes[-1] = 2 * (input.shape[last] - 1)  # the even length the half spectrum implies
        if sizes[-1] < 1:
            raise RuntimeError(f"Invalid number of data points ({sizes[-1]}) specified")
    n = sizes[-1]
    x = _resize(_as_complex(input), dims, sizes[:-1] + [n // 2 + 1])
    return C2R.apply(x, dims, norm, n)


# ------------------------------------------------------------------------ ember.fft


def fft(input, n=None, dim=-1, norm=None):
    """The one-dimensional discrete Fourier transform of ``input`` along ``dim``.

    Args:
        input: a real or complex tensor (integers are converted to the default float dtype).
        n: the signal length: ``input`` is zero-padded or trimmed to it along ``dim``.
        dim: the dimension to transform.
        norm: ``"backward"`` (default: no scaling), ``"forward"`` (scale by ``1/n``) or
            ``"ortho"`` (``1/sqrt(n)``, unitary).

    Returns:
        A complex tensor (complex64 for float32 input, complex128 for float64).
    """
    return _c2c("fft", input, _one(n), dim, norm, True)


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse of ``fft`` (``norm="backward"`` scales by ``1/n``)."""
    return _c2c("ifft", input, _one(n), dim, norm, False)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """``fftn`` over the last two dimensions (by default)."""
    return _c2c("fft2", input, s, dim, norm, True)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    """``ifftn`` over the last two dimensions (by default)."""
    return _c2c("ifft2", input, s, dim, norm, False)


def fftn(input, s=None, dim=None, norm=None):
    """The n-dimensional DFT over ``dim`` (every dimension by default, or the last
    ``len(s)``), each padded or trimmed to its size in ``s``."""
    return _c2c("fftn", input, s, dim, norm, True)


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse of ``fftn``."""
    return _c2c("ifftn", input, s, dim, norm, False)


def rfft(input, n=None, dim=-1, norm=None):
    """The DFT of a real signal: the ``n // 2 + 1`` non-negative frequencies (the others are
    their complex conjugates). Complex input is an error."""
    return _r2c("rfft", input, _one(n), dim, norm)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of ``rfft``: a real signal of length ``n`` (default ``2 * (m - 1)`` for
    ``m`` input frequencies) from the non-negative half of its spectrum."""
    return _c2r("irfft", input, _one(n), dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    """``rfftn`` over the last two dimensions (by default)."""
    return _r2c("rfft2", input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    """``irfftn`` over the last two dimensions (by default)."""
    return _c2r("irfft2", input, s, dim, norm)


def rfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional DFT of a real signal; the last dimension keeps its
    ``n // 2 + 1`` non-negative frequencies."""
    return _r2c("rfftn", input, s, dim, norm)


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of ``rfftn``; the last output size defaults to ``2 * (m - 1)``."""
    return _c2r("irfftn", input, s, dim, norm)


def hfft(input, n=None, dim=-1, norm=None):
    """The DFT of a signal with a Hermitian-symmetric (real) spectrum given by its
    non-negative half: a real tensor of length ``n`` (default ``2 * (m - 1)``).
    ``hfft(x) = irfft(conj(x))`` with the scales of the forward transform."""
    norm = _SWAPPED[_check_norm(norm)]
    return _c2r("hfft", conj(_floating("hfft", input)), _one(n), dim, norm)


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of ``hfft``: the non-negative half of the inverse DFT of a real signal,
    ``conj(rfft(x)) / n``."""
    norm = _SWAPPED[_check_norm(norm)]
    return conj(_r2c("ihfft", input, _one(n), dim, norm))


def _one(n):
    return None if n is None else (n,)


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point DFT with sample spacing ``d``:
    ``[0, 1, ..., ceil(n/2) - 1, -floor(n/2), ..., -1] / (d * n)``."""
    return _frequencies(
        backend.array_module(_device(device)).fft.fftfreq(n, d), dtype, device, requires_grad
    )


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False):
    """The sample frequencies of ``rfft``: ``[0, 1, ..., n // 2] / (d * n)``."""
    return _frequencies(
        backend.array_module(_device(device)).fft.rfftfreq(n, d), dtype, device, requires_grad
    )


def _frequencies(values, dtype, device, requires_grad):
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return _place(values.astype(dt.np), device, requires_grad)


def _shift_dims(input, dim):
    if dim is None:
        return tuple(range(input.ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    return tuple(wrap_dim(int(d), input.ndim) for d in dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre of ``dim`` (every dimension by default): a roll
    by ``n // 2``."""
    dims = _shift_dims(input, dim)
    return input.roll(tuple(input.shape[d] // 2 for d in dims), dims)


def ifftshift(input, dim=None):
    """The inverse of ``fftshift``: a roll by ``-(n // 2)``."""
    dims = _shift_dims(input, dim)
    return input.roll(tuple(-(input.shape[d] // 2) for d in dims), dims)


# ------------------------------------------------------------------------------ windows


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    """A window of ``window_length`` points from ``values(xp, n, N)``, with ``n`` the sample
    positions (float64) and ``N`` the denominator: ``window_length`` for a periodic window
    (one period of a longer symmetric one, for spectral analysis), ``window_length - 1`` for
    a symmetric one (for filter design)."""
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    xp = backend.array_module(_device(device))  # built where it goes (the default device)
    if window_length <= 1:
        w = xp.ones(window_length)
    else:
        denominator = window_length if periodic else window_length - 1
        w = values(xp, xp.arange(window_length, dtype=np.float64), denominator)
    return _place(w.astype(dt.np), device, requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / N)``.

    Args:
        window_length: the number of points.
        periodic: ``N = window_length`` (default, for spectral analysis) instead of
            ``window_length - 1`` (a symmetric window).
        dtype: a floating dtype (default: the default dtype).

    Returns:
        A 1-D tensor of ``window_length`` values.
    """
    return hamming_window(
        window_length, periodic, 0.5, 0.5, dtype=dtype, device=device, requires_grad=requires_grad
    )


def hamming_window(
    window_length,
    periodic=True,
    alpha=0.54,
    beta=0.46,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
):
    """The Hamming window ``alpha - beta cos(2 pi n / N)`` (see ``hann_window``)."""
    return _window(
        "hamming_window" if (alpha, beta) != (0.5, 0.5) else "hann_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda xp, n, N: alpha - beta * xp.cos(2 * math.pi * n / N),
    )


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``
    (see ``hann_window``)."""
    return _window(
        "blackman_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda xp, n, N: (
            0.42 - 0.5 * xp.cos(2 * math.pi * n / N) + 0.08 * xp.cos(4 * math.pi * n / N)
        ),
    )


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Bartlett (triangular) window ``1 - |2n / N - 1|`` (see ``hann_window``)."""
    return _window(
        "bartlett_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda xp, n, N: 1 - xp.abs(2 * n / N - 1),
    )


def kaiser_window(
    window_length, periodic=True, beta=12.0, *, dtype=None, device=None, requires_grad=False
):
    """The Kaiser window ``I0(beta sqrt(1 - (2n / N - 1)^2)) / I0(beta)``, with ``I0`` the
    zeroth-order modified Bessel function of the first kind (see ``hann_window``)."""
    return _window(
        "kaiser_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda xp, n, N: (
            xp.i0(beta * xp.sqrt(1 - (2 * n / N - 1) ** 2)) / xp.i0(xp.asarray(float(beta)))
        ),
    )


# ------------------------------------------------------------------------ stft and istft


class Frame(Function):
    """Overlapping frames of ``n_fft`` samples every ``hop`` along the last dimension: a
    strided view ``(..., L) -> (..., frames, n_fft)``, no copy."""

    @staticmethod
    def forward(ctx, x, n_fft, hop):
        ctx.n_fft, ctx.hop, ctx.length = n_fft, hop, x.shape[-1]
        frames = 1 + (x.shape[-1] - n_fft) // hop
        step = x.strides[-1]
        shape = x.shape[:-1] + (frames, n_fft)
        strides = x.strides[:-1] + (step * hop, step)
        # a read-only view on numpy would be safer, but cupy's as_strided takes no
        # ``writeable``; the frames only ever feed the multiplication by the window
        return backend.array_module(x).lib.stride_tricks.as_strided(x, shape, strides)

    @staticmethod
    def backward(ctx, gy):
        return OverlapAdd.apply(gy, ctx.hop, ctx.length), None, None


class OverlapAdd(Function):
    """The sum of frames ``(..., frames, n)`` placed every ``hop`` samples into a signal of
    ``length`` samples (the adjoint of ``Frame``). Vectorised in blocks of ``hop`` samples:
    each of the ``ceil(n / hop)`` blocks of every frame lands on consecutive stretches of
    the output, so one addition per block adds that block of all frames."""

    @staticmethod
    def forward(ctx, frames, hop, length):
        n_frames, n = frames.shape[-2:]
        ctx.n, ctx.hop = n, hop
        xp = backend.array_module(frames)
        blocks = -(-n // hop)
        lead = frames.shape[:-2]
        padded = xp.zeros(lead + (n_frames, blocks * hop), frames.dtype)
        padded[..., :n] = frames
        padded = padded.reshape(lead + (n_frames, blocks, hop))
        out = xp.zeros(lead + ((n_frames + blocks - 1) * hop,), frames.dtype)
        for b in range(blocks):
            out[..., b * hop : (b + n_frames) * hop] += padded[..., b, :].reshape(lead + (-1,))
        if out.shape[-1] < length:
            out = xp.concatenate([out, xp.zeros(lead + (length - out.shape[-1],), out.dtype)], -1)
        return out[..., :length]

    @staticmethod
    def backward(ctx, gy):
        return Frame.apply(gy, ctx.n, ctx.hop), None, None


def _stft_signature(name, input, n_fft, hop_length, win_length, window, extra):
    """The argument list torch prints in its stft/istft errors."""
    window_text = "None" if window is None else f"Tensor{list(window.shape)}"
    return (
        f"{name}(Tensor{list(input.shape)}, n_fft={n_fft}, hop_length={hop_length}, "
        f"win_length={win_length}, window={window_text}, {extra})"
    )


# torch's warnings where stft or istft is given no window
_NO_WINDOW = {
    "stft": "A window was not provided. A rectangular window will be applied,which is known to "
    "cause spectral leakage. Other windows such as torch.hann_window or torch.hamming_window "
    "are recommended to reduce spectral leakage.",
    "istft": "A window was not provided. A rectangular window will be applied.Please provide "
    "the same window used by stft to make the inversion lossless.",
}


def _stft_window(name, window, n_fft, win_length, input, fail):
    """The window padded (centred) to ``n_fft`` samples; ones (with torch's warning) when
    None."""
    if window is None:
        warnings.warn(
            _NO_WINDOW[name] + "To suppress this warning and use a rectangular window, "
            "explicitly set `window=torch.ones(n_fft, device=<device>)`.",
            UserWarning,
            3,
        )
        window = ones(win_length, dtype=input.real.dtype, device=input.device)
    elif window.ndim != 1 or window.shape[0] != win_length:
        fail(
            f"expected a 1D window tensor of size equal to win_length={win_length}, but got "
            f"window with size {list(window.shape)}"
        )
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        window = pad(window, (left, n_fft - win_length - left))
    return window


def stft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    pad_mode="reflect",
    normalized=False,
    onesided=None,
    return_complex=None,
):
    """The short-time Fourier transform: the DFT of overlapping windowed frames.

    Args:
        input: a 1-D signal ``(L,)`` or a batch ``(B, L)``, real or complex.
        n_fft: the frame (and DFT) size.
        hop_length: samples between frames (default ``n_fft // 4``).
        win_length: the window size, at most ``n_fft`` (default ``n_fft``); the window is
            zero-padded on both sides to ``n_fft``.
        window: a 1-D tensor of ``win_length`` (default: all ones, a rectangular window).
        center: pad ``input`` by ``n_fft // 2`` on both sides (``pad_mode``) so that frame
            ``t`` is centred on sample ``t * hop_length``.
        pad_mode: the padding mode of ``center`` (``"reflect"``, ``"constant"``, ...).
        normalized: scale the result by ``n_fft ** -0.5``.
        onesided: keep only the ``n_fft // 2 + 1`` non-negative frequencies (the default
            for a real input and window).
        return_complex: must be given for real input; True returns a complex tensor, False
            (deprecated in torch) its ``view_as_real``.

    Returns:
        ``(B?, N, frames)`` complex, with ``N = n_fft // 2 + 1`` when onesided else ``n_fft``
        and ``frames = 1 + (L' - n_fft) // hop_length`` for the padded length ``L'``.
    """
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and "
                "will further require that return_complex=True in a future PyTorch release."
            )
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(
            _stft_signature("stft", input, n_fft, hop_length, win_length, window, "...")
            + " : expected a 1D or 2D tensor"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if center:
        half = n_fft // 2
        x = pad(x.reshape(1, *x.shape), (half, half), mode=pad_mode).reshape(x.shape[0], -1)

    def fail(message):
        signature = _stft_signature(
            "stft",
            x if input.ndim == 2 else x[0],
            n_fft,
            hop_length,
            win_length,
            window,
            f"normalized={int(normalized)}",
        )
        raise RuntimeError(f"{signature} : {message}")

    length = x.shape[-1]
    if not 0 < n_fft <= length:
        fail(f"expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop_length <= 0:
        fail(f"expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        fail(f"expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if onesided is None:
        onesided = not complex_in
    elif onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    window = _stft_window("stft", window, n_fft, win_length, x, fail)
    frames = Frame.apply(x, n_fft, hop_length) * window
    norm = "ortho" if normalized else "backward"
    spectrum = rfft(frames, norm=norm) if onesided else fft(frames, norm=norm)
    out = spectrum.transpose(1, 2)
    if input.ndim == 1:
        out = out.reshape(out.shape[1:])
    if not return_complex:
        warnings.warn(
            "stft with return_complex=False is deprecated. In a future pytorch release, stft "
            "will return complex tensors for all inputs, and return_complex=False will raise "
            "an error.\nNote: you can still call torch.view_as_real on the complex output to "
            "recover the old return format.",
            UserWarning,
            2,
        )
        return view_as_real(out)
    return out


def istft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    normalized=False,
    onesided=None,
    length=None,
    return_complex=False,
):
    """The inverse short-time Fourier transform (least-squares overlap-add, as torch).

    Args:
        input: the complex output of ``stft``: ``(B?, N, frames)``.
        n_fft, hop_length, win_length, window, center, normalized: as given to ``stft``.
        onesided: whether ``input`` holds only the non-negative frequencies (default:
            when ``N != n_fft``).
        length: trim or zero-pad the signal to this many samples.
        return_complex: return a complex signal (needs a two-sided ``input``).

    Returns:
        ``(B?, L)``: the signal. Frames are overlap-added and divided by the overlap-added
        squared window, which must not come near zero (the NOLA condition) anywhere in
        the output, else RuntimeError.
    """
    if not input.is_complex():
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with "
            "return_complex=True."
        )
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    x = input if input.ndim == 3 else input.reshape(1, *input.shape)
    n_bins, n_frames = x.shape[-2:]
    if onesided is None:
        onesided = n_bins != n_fft
    if onesided and return_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")

    def fail(message):
        extra = f"center={int(center)}, normalized={int(normalized)}"
        raise RuntimeError(
            _stft_signature("istft", input, n_fft, hop_length, win_length, window, extra)
            + f" {message}"
        )

    window = _stft_window("istft", window, n_fft, win_length, x.real, fail)
    if normalized:
        x = x * math.sqrt(n_fft)
    spectra = x.transpose(1, 2)
    if onesided:
        frames = irfft(spectra, n=n_fft)
    else:
        frames = ifft(spectra, n=n_fft)
        if not return_complex:
            frames = frames.real
    frames = frames * window
    expected = n_fft + hop_length * (n_frames - 1)
    y = OverlapAdd.apply(frames, hop_length, expected)
    squared = (window * window).detach()
    envelope = OverlapAdd.apply(squared.expand(n_frames, n_fft), hop_length, expected)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = expected - n_fft // 2 if center else expected
    end = min(end, expected)
    y = y[..., start:end]
    envelope = envelope[start:end]
    if envelope.numel() and envelope.abs().min().item() < 1e-11:
        fail(f"window overlap add min: {envelope.abs().min().item():g}")
    y = y / envelope
    if length is not None and y.shape[-1] < length:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings.",
            UserWarning,
            2,
        )
        y = pad(y, (0, length - y.shape[-1]))
    return y if input.ndim == 3 else y.reshape(y.shape[1:])
