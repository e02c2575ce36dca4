"""``ember.fft``, ``stft``/``istft`` and the window functions against numpy and hand
formulas, gradients by central differences (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close

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


def check_grad(op, a, device="cpu"):
    """The gradient of a weighted ``|op(a)|^2`` on ``device`` against central differences."""
    weights = None

    def loss(values):
        out = op(ember.tensor(values, device=device)).detach().cpu().numpy()
        return float((np.abs(out) ** 2 * weights).sum())

    t = ember.tensor(a, requires_grad=True, device=device)
    out = op(t)
    weights = rng.uniform(0.5, 1.5, out.shape)
    (out.abs().pow(2) * ember.tensor(weights, device=device)).sum().backward()
    assert t.grad.device.type == device
    np.testing.assert_allclose(t.grad.cpu().numpy(), numerical_grad(loss, a), rtol=1e-5, atol=1e-6)


def _numpy_kwargs(kwargs):
    """``kwargs`` under numpy's names: axis (1-D transforms), axes (n-D)."""
    numpy_kwargs = dict(kwargs)
    if "dim" in numpy_kwargs:
        dim = numpy_kwargs.pop("dim")
        numpy_kwargs["axes" if isinstance(dim, tuple) else "axis"] = dim
    return numpy_kwargs


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
    expected = getattr(np.fft, name)(data, **_numpy_kwargs(kwargs), norm=norm)
    got = getattr(ember.fft, name)(ember.tensor(data), **kwargs, norm=norm)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)
    check_grad(lambda t: getattr(ember.fft, name)(t, **kwargs, norm=norm), data)


@pytest.mark.parametrize(
    "name, data, kwargs, norm",
    [  # every transform family once, the three norms spread over them
        ("fft", Z, {}, None),
        ("fft", X, {"n": 5}, "ortho"),
        ("ifft", Z, {"n": 11, "dim": 0}, "forward"),
        ("rfft", X, {"n": 11}, None),
        ("irfft", Z, {}, "forward"),
        ("irfft", Z, {"n": 9}, "ortho"),
        ("hfft", Z, {"n": 6}, None),
        ("ihfft", X, {}, "ortho"),
        ("fft2", Z, {}, "forward"),
        ("ifft2", X, {"s": (4, 6)}, None),
        ("fftn", Z[:, :6].reshape(3, 2, 3), {"dim": (0, 2)}, "ortho"),
        ("ifftn", Z, {"s": (2, 5), "dim": (0, 1)}, "ortho"),
        ("rfft2", X, {}, "forward"),
        ("rfftn", X, {"dim": (1, 0)}, None),
        ("irfft2", Z, {"s": (4, 7)}, "forward"),
        ("irfftn", Z, {"dim": (1, 0)}, None),
    ],
)
def test_transforms_on_device(device, name, data, kwargs, norm):
    """Forward against numpy; the gradient against the CPU's, which the test above checks
    by central differences."""
    op = getattr(ember.fft, name)
    expected = getattr(np.fft, name)(data, **_numpy_kwargs(kwargs), norm=norm)
    t = ember.tensor(data, requires_grad=True, device=device)
    out = op(t, **kwargs, norm=norm)
    assert out.device.type == device and out.dtype.np == expected.dtype
    assert_close(out, expected, rtol=1e-9, atol=1e-10)
    weights = rng.uniform(0.5, 1.5, out.shape)
    (out.abs().pow(2) * ember.tensor(weights, device=device)).sum().backward()
    host = ember.tensor(data, requires_grad=True)
    (op(host, **kwargs, norm=norm).abs().pow(2) * ember.tensor(weights)).sum().backward()
    assert t.grad.device.type == device
    assert_close(t.grad, host.grad, rtol=1e-9, atol=1e-10)
    # single precision runs its own kernels (complex64 / float32)
    low = data.astype(np.complex64 if np.iscomplexobj(data) else np.float32)
    single = op(ember.tensor(low, device=device), **kwargs, norm=norm)
    assert single.dtype is (ember.complex64 if expected.dtype.kind == "c" else ember.float32)
    assert_close(single, expected.astype(single.dtype.np), rtol=1e-4, atol=1e-4)


def test_dtypes(device):
    def ones(*shape, dtype=None):
        return ember.ones(*shape, dtype=dtype, device=device)

    assert ember.fft.fft(ones(4)).dtype is ember.complex64
    assert ember.fft.fft(ones(4, dtype=ember.float64)).dtype is ember.complex128
    assert ember.fft.rfft(ember.arange(4, device=device)).dtype is ember.complex64
    assert ember.fft.irfft(ones(3, dtype=ember.cfloat)).dtype is ember.float32
    assert ember.fft.hfft(ones(3, dtype=ember.cdouble)).device.type == device
    with pytest.raises(RuntimeError, match="real input"):
        ember.fft.rfft(ones(4, dtype=ember.cfloat))
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        ember.fft.fft(ones(4), norm="bad")
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.fft(ones(4), n=0)
    with pytest.raises(RuntimeError, match="Unsupported dtype Half"):
        ember.fft.fft(ones(4, dtype=ember.float16))


def test_gradcheck_real_path(device):
    x = ember.tensor(X, requires_grad=True, device=device)
    assert gradcheck(lambda t: ember.fft.irfft(ember.fft.rfft(t, n=10) * 2j, n=7), (x,))


def test_frequencies_and_shifts(device):
    freq = ember.fft.fftfreq(7, 0.3, device=device)
    assert freq.device.type == device and freq.dtype is ember.float32
    assert_close(freq, np.fft.fftfreq(7, 0.3).astype(np.float32))
    rfreq = ember.fft.rfftfreq(8, dtype=ember.float64, device=device, requires_grad=True)
    assert rfreq.requires_grad and rfreq.device.type == device
    assert_close(rfreq, np.fft.rfftfreq(8))
    x = ember.arange(10, device=device).reshape(2, 5)
    expected = np.arange(10).reshape(2, 5)
    assert ember.fft.fftshift(x).tolist() == np.fft.fftshift(expected).tolist()
    assert ember.fft.ifftshift(x, dim=1).tolist() == np.fft.ifftshift(expected, 1).tolist()
    assert ember.fft.fftshift(x, dim=(0,)).device.type == device


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


def test_windows_on_device(device):
    """Every window built on ``device`` (given, or the default device) matches the CPU's."""
    kinds = ["hann", "hamming", "blackman", "bartlett", "kaiser"]
    for kind in kinds:
        make = getattr(ember, f"{kind}_window")
        for periodic in (True, False):
            window = make(9, periodic, dtype=ember.float64, device=device)
            assert window.device.type == device and window.dtype is ember.float64
            assert_close(window, make(9, periodic, dtype=ember.float64), rtol=1e-12, atol=1e-10)
        assert make(1, device=device).tolist() == [1.0]
        assert make(0, device=device).shape == (0,)
    window = ember.hann_window(5, device=device, requires_grad=True)
    assert window.requires_grad and window.dtype is ember.float32
    ember.set_default_device(device)
    try:
        assert ember.kaiser_window(6).device.type == device
        assert ember.fft.fftfreq(4).device.type == device
    finally:
        ember.set_default_device(None)


def _reference_stft(x, n_fft, hop, window):
    padded = np.pad(x, n_fft // 2, mode="reflect")
    starts = range(0, len(padded) - n_fft + 1, hop)
    return np.stack([np.fft.rfft(padded[s : s + n_fft] * window) for s in starts], axis=1)


def test_stft_matches_reference_and_inverts(device):
    x = rng.standard_normal(100)
    window = ember.hann_window(16, dtype=ember.float64, device=device)
    signal = ember.tensor(x, device=device)
    spec = ember.stft(signal, 16, 4, window=window, return_complex=True)
    assert spec.device.type == device
    assert_close(spec, _reference_stft(x, 16, 4, window.cpu().numpy()), atol=1e-10)
    back = ember.istft(spec, 16, 4, window=window, length=100)
    assert back.device.type == device
    assert_close(back, x, atol=1e-10)
    batch = ember.stft(
        ember.tensor(np.stack([x, x]), device=device), 16, 4, window=window, return_complex=True
    )
    assert batch.shape == (2, 9, 26)
    with pytest.raises(RuntimeError, match="return_complex"):
        ember.stft(signal, 16)
    # the deprecated real view of the (strided) spectrum, and the rectangular default window
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        parts = ember.stft(signal, 16, 4, window=window, return_complex=False)
    assert_close(parts, np.stack([spec.cpu().numpy().real, spec.cpu().numpy().imag], -1))
    with pytest.warns(UserWarning, match="A window was not provided"):
        plain = ember.stft(signal, 16, 4, return_complex=True)
    assert_close(plain, _reference_stft(x, 16, 4, np.ones(16)), atol=1e-10)
    # a shorter window, centred in the frame; a two-sided spectrum of a complex signal
    short = ember.hann_window(10, dtype=ember.float64, device=device)
    spec = ember.stft(signal, 16, 4, win_length=10, window=short, return_complex=True)
    assert_close(spec, _reference_stft(x, 16, 4, np.pad(short.cpu().numpy(), 3)), atol=1e-10)
    assert_close(ember.istft(spec, 16, 4, win_length=10, window=short, length=100), x, atol=1e-10)
    z = x + 1j * rng.standard_normal(100)
    two_sided = ember.stft(ember.tensor(z, device=device), 16, 4, window=window)
    assert two_sided.shape == (16, 26)
    back = ember.istft(two_sided, 16, 4, window=window, length=100, return_complex=True)
    assert_close(back, z, atol=1e-10)


def test_spectrogram_gradient(device):
    x = rng.standard_normal(40)
    window = ember.hann_window(8, dtype=ember.float64, device=device)
    check_grad(lambda t: ember.stft(t, 8, 2, window=window, return_complex=True), x, device)


def test_istft_gradient_and_nola(device):
    window = ember.hann_window(8, dtype=ember.float64, device=device)
    spec = ember.stft(
        ember.tensor(rng.standard_normal(40), device=device),
        8,
        2,
        window=window,
        return_complex=True,
    )
    check_grad(lambda t: ember.istft(t, 8, 2, window=window), spec.cpu().numpy(), device)
    with pytest.raises(RuntimeError, match="window overlap add min"):
        ember.istft(spec, 8, 2, window=ember.zeros(8, dtype=ember.float64, device=device))
