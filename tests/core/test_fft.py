"""``ember.fft``, ``stft``/``istft`` and the window functions against numpy and hand
formulas, gradients by central differences (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck

NORMS = [None, "ortho", "forward"]
rng = np.random.default_rng(0)
X = rng.standard_normal((3, 8))
Z = rng.standard_normal((3, 8)) + 1j * rng.standard_normal((3, 8))


def numerical_grad(f, z, eps=1e-6):
    """dL/dx (+ i dL/dy for complex ``z``) of the real scalar ``f(z)``."""
    g = np.zeros_like(z)
    steps = (1, 1j) if np.iscomplexobj(z) else (1,)
    for i in np.ndindex(z.shape):
        for step in steps:
            plus, minus = z.copy(), z.copy()
            plus[i] += eps * step
            minus[i] -= eps * step
            g[i] += (f(plus) - f(minus)) / (2 * eps) * step
    return g


def check_grad(op, a):
    weights = None

    def loss(values):
        out = op(ember.tensor(values)).detach().numpy()
        return float((np.abs(out) ** 2 * weights).sum())

    t = ember.tensor(a, requires_grad=True)
    out = op(t)
    weights = rng.uniform(0.5, 1.5, out.shape)
    (out.abs().pow(2) * ember.tensor(weights)).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), numerical_grad(loss, a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(
    "name, data, kwargs",
    [
        ("fft", Z, {}),
        ("fft", X, {"n": 5}),
        ("ifft", Z, {"n": 11, "dim": 0}),
        ("rfft", X, {}),
        ("rfft", X, {"n": 11}),
        ("irfft", Z, {}),
        ("irfft", Z, {"n": 9}),
        ("hfft", Z, {"n": 6}),
        ("ihfft", X, {}),
        ("fft2", Z, {}),
        ("ifftn", Z, {"s": (2, 5), "dim": (0, 1)}),
        ("rfftn", X, {"dim": (1, 0)}),
        ("irfft2", Z, {"s": (4, 7)}),
    ],
)
def test_against_numpy_and_gradients(norm, name, data, kwargs):
    numpy_kwargs = dict(kwargs)
    if "dim" in numpy_kwargs:  # numpy's names: axis (1-D transforms), axes (n-D)
        dim = numpy_kwargs.pop("dim")
        numpy_kwargs["axes" if isinstance(dim, tuple) else "axis"] = dim
    expected = getattr(np.fft, name)(data, **numpy_kwargs, norm=norm)
    got = getattr(ember.fft, name)(ember.tensor(data), **kwargs, norm=norm)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)
    check_grad(lambda t: getattr(ember.fft, name)(t, **kwargs, norm=norm), data)


def test_dtypes():
    assert ember.fft.fft(ember.ones(4)).dtype is ember.complex64
    assert ember.fft.fft(ember.ones(4, dtype=ember.float64)).dtype is ember.complex128
    assert ember.fft.rfft(ember.arange(4)).dtype is ember.complex64
    assert ember.fft.irfft(ember.ones(3, dtype=ember.cfloat)).dtype is ember.float32
    with pytest.raises(RuntimeError, match="real input"):
        ember.fft.rfft(ember.ones(4, dtype=ember.cfloat))
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        ember.fft.fft(ember.ones(4), norm="bad")
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.fft(ember.ones(4), n=0)


def test_gradcheck_real_path():
    x = ember.tensor(X, requires_grad=True)
    assert gradcheck(lambda t: ember.fft.irfft(ember.fft.rfft(t, n=10) * 2j, n=7), (x,))


def test_frequencies_and_shifts():
    np.testing.assert_allclose(ember.fft.fftfreq(7, 0.3).numpy(), np.fft.fftfreq(7, 0.3), 1e-6)
    np.testing.assert_allclose(ember.fft.rfftfreq(8).numpy(), np.fft.rfftfreq(8))
    x = ember.arange(10).reshape(2, 5)
    assert ember.fft.fftshift(x).tolist() == np.fft.fftshift(x.numpy()).tolist()
    assert ember.fft.ifftshift(x, dim=1).tolist() == np.fft.ifftshift(x.numpy(), 1).tolist()


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("n", [1, 2, 9])
def test_windows(periodic, n):
    N = n if periodic else n - 1
    k = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        hann = 0.5 - 0.5 * np.cos(2 * np.pi * k / N) if n > 1 else np.ones(1)
        bartlett = 1 - np.abs(2 * k / N - 1) if n > 1 else np.ones(1)
    kaiser = np.kaiser(n + 1, 12.0)[:-1] if periodic and n > 1 else np.kaiser(n, 12.0)
    for window, expected in [
        (ember.hann_window(n, periodic, dtype=ember.float64), hann),
        (ember.bartlett_window(n, periodic, dtype=ember.float64), bartlett),
        (ember.kaiser_window(n, periodic, dtype=ember.float64), kaiser),
    ]:
        np.testing.assert_allclose(window.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(ember.blackman_window(n, False).numpy(), np.blackman(n), atol=1e-6)
    assert ember.hamming_window(n).dtype is ember.float32
    with pytest.raises(RuntimeError, match="floating point"):
        ember.hann_window(4, dtype=ember.int64)


def _reference_stft(x, n_fft, hop, window):
    padded = np.pad(x, n_fft // 2, mode="reflect")
    starts = range(0, len(padded) - n_fft + 1, hop)
    return np.stack([np.fft.rfft(padded[s : s + n_fft] * window) for s in starts], axis=1)


def test_stft_matches_reference_and_inverts():
    x = rng.standard_normal(100)
    window = ember.hann_window(16, dtype=ember.float64)
    spec = ember.stft(ember.tensor(x), 16, 4, window=window, return_complex=True)
    np.testing.assert_allclose(spec.numpy(), _reference_stft(x, 16, 4, window.numpy()), atol=1e-12)
    back = ember.istft(spec, 16, 4, window=window, length=100)
    np.testing.assert_allclose(back.numpy(), x, atol=1e-12)
    batch = ember.stft(ember.tensor(np.stack([x, x])), 16, 4, window=window, return_complex=True)
    assert batch.shape == (2, 9, 26)
    with pytest.raises(RuntimeError, match="return_complex"):
        ember.stft(ember.tensor(x), 16)


def test_spectrogram_gradient():
    x = rng.standard_normal(40)
    window = ember.hann_window(8, dtype=ember.float64)
    check_grad(lambda t: ember.stft(t, 8, 2, window=window, return_complex=True), x)


def test_istft_gradient_and_nola():
    spec = ember.stft(
        ember.tensor(rng.standard_normal(40)),
        8,
        2,
        window=ember.hann_window(8, dtype=ember.float64),
        return_complex=True,
    ).numpy()
    window = ember.hann_window(8, dtype=ember.float64)
    check_grad(lambda t: ember.istft(t, 8, 2, window=window), spec)
    with pytest.raises(RuntimeError, match="window overlap add min"):
        ember.istft(ember.tensor(spec), 8, 2, window=ember.zeros(8, dtype=ember.float64))


@pytest.mark.gpu
def test_fft_on_gpu():
    pytest.importorskip("cupy")
    if not ember.cuda.is_available():
        pytest.skip("no GPU")
    x = ember.tensor(X).cuda()
    np.testing.assert_allclose(ember.fft.rfft(x).cpu().numpy(), np.fft.rfft(X), atol=1e-12)
