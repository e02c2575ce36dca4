"""emberaudio.functional against numpy re-derivations of the formulas, known signal properties
(a resampled tone keeps its frequency and amplitude) and float64 finite-difference gradients."""

import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close


def t64(array, requires_grad=False, device="cpu"):
    return ember.tensor(
        np.asarray(array, dtype=np.float64), requires_grad=requires_grad, device=device
    )


# ------------------------------------------------------------------------------ filter banks


def np_hz_to_mel(f, scale):
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log, linear)


def np_mel_to_hz(m, scale):
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (m - 15.0)), m * 200.0 / 3)


def np_triangles(all_freqs, f_pts):
    """Filter i: 0 at f_pts[i], 1 at f_pts[i + 1], 0 at f_pts[i + 2], linear in between."""
    fb = np.zeros((len(all_freqs), len(f_pts) - 2))
    for i in range(len(f_pts) - 2):
        lo, mid, hi = f_pts[i : i + 3]
        rising = (all_freqs - lo) / (mid - lo)
        falling = (hi - all_freqs) / (hi - mid)
        fb[:, i] = np.clip(np.minimum(rising, falling), 0, None)
    return fb


@pytest.mark.parametrize(
    "n_freqs, f_min, f_max, n_mels, sr, norm, scale",
    [
        (201, 0.0, 8000.0, 40, 16000, None, "htk"),
        (257, 20.0, 7600.0, 64, 16000, "slaney", "slaney"),
        (513, 300.0, 11025.0, 80, 22050, None, "slaney"),
        (129, 0.0, 4000.0, 23, 8000, "slaney", "htk"),
    ],
)
def test_melscale_fbanks_matches_the_mel_formulas(n_freqs, f_min, f_max, n_mels, sr, norm, scale):
    fb = F.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sr, norm=norm, mel_scale=scale)
    assert fb.dtype == ember.float32 and tuple(fb.shape) == (n_freqs, n_mels)

    all_freqs = np.linspace(0, sr // 2, n_freqs)
    m_pts = np.linspace(np_hz_to_mel(f_min, scale), np_hz_to_mel(f_max, scale), n_mels + 2)
    f_pts = np_mel_to_hz(m_pts, scale)
    expected = np_triangles(all_freqs, f_pts)
    if norm == "slaney":
        expected *= 2.0 / (f_pts[2:] - f_pts[:-2])
    np.testing.assert_allclose(fb.numpy(), expected, atol=5e-5 * expected.max())


def test_mel_scale_points():
    # htk: 1000 Hz is 999.99 mel; slaney: 1000 Hz is 15 mel, linear below (3 mel / 200 Hz)
    assert F.functional._hz_to_mel(1000.0, "htk") == pytest.approx(
        2595 * math.log10(1 + 1000 / 700)
    )
    assert F.functional._hz_to_mel(1000.0, "slaney") == pytest.approx(15.0)
    assert F.functional._hz_to_mel(200.0, "slaney") == pytest.approx(3.0)
    assert F.functional._hz_to_mel(6400.0, "slaney") == pytest.approx(15.0 + 27.0)
    back = F.functional._mel_to_hz(ember.tensor([3.0, 15.0, 42.0]), "slaney")
    np.testing.assert_allclose(back.numpy(), [200.0, 1000.0, 6400.0], rtol=1e-6)
    with pytest.raises(ValueError, match=r'mel_scale should be one of "htk" or "slaney"'):
        F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, mel_scale="mel")
    with pytest.raises(ValueError, match=r'norm must be one of None or "slaney"'):
        F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, norm="area")


def test_melscale_fbanks_warns_about_empty_filters():
    with pytest.warns(UserWarning, match=r"`n_mels` \(128\) may be set too high"):
        fb = F.melscale_fbanks(201, 0.0, 8000.0, 128, 16000)
    assert (fb.numpy().max(axis=0) == 0).any()


def test_linear_fbanks():
    fb = F.linear_fbanks(101, 100.0, 4000.0, 12, 8000)
    expected = np_triangles(np.linspace(0, 4000, 101), np.linspace(100.0, 4000.0, 14))
    np.testing.assert_allclose(fb.numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("n_mfcc, n_mels", [(13, 40), (20, 20)])
def test_create_dct(n_mfcc, n_mels):
    n, k = np.arange(n_mels), np.arange(n_mfcc)[:, None]
    dct2 = np.cos(np.pi / n_mels * (n + 0.5) * k)
    unnormalized = F.create_dct(n_mfcc, n_mels, None)
    assert tuple(unnormalized.shape) == (n_mels, n_mfcc)
    np.testing.assert_allclose(unnormalized.numpy(), 2 * dct2.T, atol=1e-5)

    ortho = F.create_dct(n_mfcc, n_mels, "ortho").numpy().astype(np.float64)
    # columns are orthonormal; with n_mfcc == n_mels the matrix is orthogonal
    np.testing.assert_allclose(ortho.T @ ortho, np.eye(n_mfcc), atol=5e-6)
    if n_mfcc == n_mels:
        np.testing.assert_allclose(ortho @ ortho.T, np.eye(n_mels), atol=5e-6)
    with pytest.raises(ValueError, match=r'norm must be either "ortho" or None'):
        F.create_dct(13, 40, "slaney")


# ---------------------------------------------------------------------------------- decibels


def test_amplitude_to_db_formula_and_per_item_top_db(device):
    rng = np.random.default_rng(0)
    # two items whose maxima differ by 40 dB: each gets its own cut-off
    x = rng.uniform(1e-12, 1.0, (2, 3, 5, 7))
    x[1] *= 1e-4
    db = F.amplitude_to_DB(t64(x, device=device), 10.0, 1e-10, 0.0)
    assert db.device.type == device
    np.testing.assert_allclose(db.cpu().numpy(), 10 * np.log10(np.maximum(x, 1e-10)), rtol=1e-12)

    clipped = F.amplitude_to_DB(t64(x, device=device), 10.0, 1e-10, 0.0, top_db=30.0)
    assert clipped.device.type == device
    clipped = clipped.cpu().numpy()
    full = db.cpu().numpy()
    for item in range(2):
        floor = full[item].max() - 30.0
        np.testing.assert_allclose(clipped[item], np.maximum(full[item], floor))

    # 3D input: one cut-off for the whole tensor
    clipped3 = F.amplitude_to_DB(t64(x[:, 0], device=device), 20.0, 1e-10, 0.0, top_db=30.0)
    clipped3 = clipped3.cpu().numpy()
    amplitude_db = 20 * np.log10(np.maximum(x[:, 0], 1e-10))
    np.testing.assert_allclose(clipped3, np.maximum(amplitude_db, amplitude_db.max() - 30.0))


def test_db_to_amplitude_inverts_amplitude_to_db():
    x = t64(np.random.default_rng(1).uniform(0.01, 3.0, (4, 9)))
    power_db = F.amplitude_to_DB(x, 10.0, 1e-10, 0.0)
    np.testing.assert_allclose(F.DB_to_amplitude(power_db, 1.0, 1.0).numpy(), x.numpy(), rtol=1e-12)
    magnitude_db = F.amplitude_to_DB(x, 20.0, 1e-10, 0.0)
    np.testing.assert_allclose(F.DB_to_amplitude(magnitude_db, 2.0, 0.5).numpy(), 2 * x.numpy())


# ------------------------------------------------------------------------------------ mu-law


def test_mu_law_formula_and_round_trip(device):
    x = np.linspace(-1, 1, 1001)
    mu = 255.0
    expected = np.floor((np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) + 1) / 2 * mu + 0.5)
    encoded = F.mu_law_encoding(t64(x, device=device), 256)
    assert encoded.dtype == ember.int64 and encoded.device.type == device
    codes = encoded.cpu().numpy()
    np.testing.assert_array_equal(codes, expected)
    assert codes.min() == 0 and codes.max() == 255

    decoded = F.mu_law_decoding(encoded, 256)
    assert decoded.dtype == ember.float32 and decoded.device.type == device
    y = codes / mu * 2 - 1
    np.testing.assert_allclose(
        decoded.cpu().numpy(), np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu, atol=1e-6
    )
    # the quantization error is smallest near 0 (where mu-law spends its levels)
    error = np.abs(decoded.cpu().numpy() - x)
    assert error[np.abs(x) < 0.01].max() < 3e-4 and error.max() < 0.03


def test_mu_law_encoding_warns_on_integer_input():
    with pytest.warns(UserWarning, match=r"must be of floating type"):
        encoded = F.mu_law_encoding(ember.tensor([0, 1, -1]), 256)
    np.testing.assert_array_equal(encoded.numpy(), [128, 255, 0])


# -------------------------------------------------------------------------------- resampling


def tone(freq, sr, seconds=1.0, amplitude=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return amplitude * np.sin(2 * np.pi * freq * t)


def dominant_frequency(signal, sr):
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return np.argmax(spectrum) * sr / len(signal)


@pytest.mark.parametrize("method", ["sinc_interp_hann", "sinc_interp_kaiser"])
@pytest.mark.parametrize("orig, new", [(16000, 8000), (8000, 16000), (44100, 16000)])
def test_resampling_a_tone_keeps_frequency_and_amplitude(method, orig, new, device):
    x = ember.tensor(tone(440.0, orig)[None], dtype=ember.float32, device=device)
    y = F.resample(x, orig, new, resampling_method=method)
    assert y.dtype == ember.float32 and y.device.type == device
    assert tuple(y.shape) == (1, math.ceil(new * orig / orig))
    interior = y.cpu().numpy()[0, 200:-200]
    assert abs(dominant_frequency(interior, new) - 440.0) < 2.0
    np.testing.assert_allclose(interior, tone(440.0, new)[200:-200], atol=2e-3)


def test_resample_up_then_down_is_identity_away_from_edges(device):
    rng = np.random.default_rng(2)
    # band-limited noise: a sum of tones well below both Nyquist frequencies
    t = np.arange(4000) / 8000
    x = sum(
        rng.uniform(0.05, 0.2) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6))
        for f in (300, 1100, 2500)
    )
    waveform = t64(np.stack([x, -x]), device=device)
    back = F.resample(F.resample(waveform, 8000, 22050), 22050, 8000)
    assert tuple(back.shape) == (2, 4000) and back.dtype == ember.float64
    assert back.device.type == device
    assert_close(back[:, 100:-100], waveform[:, 100:-100], atol=2e-3, rtol=0)


def test_resample_kernel_shape_and_batch_dims():
    kernel, width = F.functional._get_sinc_resample_kernel(48000, 16000, 16000)
    # frequencies divided by their gcd: 3 -> 1; width = ceil(6 * 3 / (1 * 0.99))
    assert width == math.ceil(6 * 3 / 0.99) == 19
    assert tuple(kernel.shape) == (1, 1, 2 * width + 3) and kernel.dtype == ember.float32
    # each phase's taps sum to ~1 (unit DC gain)
    up, _ = F.functional._get_sinc_resample_kernel(2, 3, 1, dtype=ember.float64)
    assert up.dtype == ember.float64
    np.testing.assert_allclose(up.numpy().sum(-1), 1.0, atol=2e-2)

    x = ember.randn(2, 3, 100)
    y = F.resample(x, 5, 3)
    assert tuple(y.shape) == (2, 3, 60)
    np.testing.assert_allclose(y[1, 2].numpy(), F.resample(x[1, 2], 5, 3).numpy(), atol=1e-6)
    assert F.resample(x, 7, 7) is x


def test_resample_errors():
    x = ember.randn(1, 50)
    with pytest.raises(ValueError, match=r"should be positive"):
        F.resample(x, 0, 16000)
    with pytest.raises(Exception, match=r"Frequencies must be of integer type"):
        F.resample(x, 44100, 5512.5)
    with pytest.raises(ValueError, match=r"Invalid resampling method: linear"):
        F.resample(x, 2, 3, resampling_method="linear")
    with pytest.raises(ValueError, match=r"Low pass filter width should be positive"):
        F.resample(x, 2, 3, lowpass_filter_width=0)
    with pytest.raises(TypeError, match=r"Expected floating point type"):
        F.resample(ember.ones(1, 50, dtype=ember.int64), 2, 3)
    with pytest.warns(
        UserWarning, match=r'"kaiser_window" resampling method name is being deprecated'
    ):
        old = F.resample(x, 2, 3, resampling_method="kaiser_window")
    np.testing.assert_array_equal(
        old.numpy(), F.resample(x, 2, 3, resampling_method="sinc_interp_kaiser").numpy()
    )


def test_speed_changes_length(device):
    x = ember.randn(2, 1600, device=device)
    y, lengths = F.speed(x, 16000, 1.25, ember.tensor([1600, 800], device=device))
    assert tuple(y.shape) == (2, 1280) and y.device.type == lengths.device.type == device
    assert lengths.dtype == ember.int64
    np.testing.assert_array_equal(lengths.cpu().numpy(), [1280, 640])
    assert F.speed(x, 16000, 0.5)[1] is None


# ------------------------------------------------------------------------- deltas and masking


@pytest.mark.parametrize("win_length", [3, 5, 8])
def test_compute_deltas_formula_with_replicated_edges(win_length, device):
    c = np.random.default_rng(3).standard_normal((2, 4, 12))
    n = (win_length - 1) // 2
    padded = np.concatenate([np.repeat(c[..., :1], n, -1), c, np.repeat(c[..., -1:], n, -1)], -1)
    expected = sum(
        k * (padded[..., n + k : n + k + 12] - padded[..., n - k : n - k + 12])
        for k in range(1, n + 1)
    )
    expected /= 2 * sum(k * k for k in range(1, n + 1))
    deltas = F.compute_deltas(t64(c, device=device), win_length)
    assert deltas.device.type == device
    np.testing.assert_allclose(deltas.cpu().numpy(), expected, atol=1e-12)
    with pytest.raises(ValueError, match=r"Window length should be greater than or equal to 3"):
        F.compute_deltas(t64(c), 2)


@pytest.mark.parametrize("axis", [1, 2])
def test_mask_along_axis_masks_one_band_for_all_items(axis, device):
    ember.manual_seed(0)
    spec = ember.rand(3, 20, 30, device=device) + 1.0  # no zeros: masked cells are the zeros
    for _ in range(20):
        masked = F.mask_along_axis(spec, 8, 0.0, axis)
        assert masked.device.type == device
        masked = masked.cpu().numpy()
        zero = masked == 0
        band = zero.any(axis=(0, 2) if axis == 1 else (0, 1))
        idx = np.nonzero(band)[0]
        assert len(idx) < 8
        if len(idx):
            assert np.array_equal(idx, np.arange(idx[0], idx[-1] + 1))  # contiguous
        full = zero.all(axis=(0, 2)) if axis == 1 else zero.all(axis=(0, 1))
        assert np.array_equal(full, band)  # whole rows/columns, same for every item


def test_mask_along_axis_iid_masks_each_item_independently(device):
    ember.manual_seed(1)
    spec = ember.rand(4, 2, 10, 50, device=device) + 1.0
    masked = F.mask_along_axis_iid(spec, 20, 0.0, 3)
    assert masked.device.type == device
    masked = masked.cpu().numpy()
    columns = (masked == 0).all(axis=2)  # (4, 2, 50): masked time steps per item
    widths = columns.sum(-1)
    assert (widths < 20).all()
    assert len({tuple(c) for c in columns.reshape(8, 50)}) > 1
    np.testing.assert_array_equal((masked == 0).any(axis=2), columns)

    value = ember.tensor(-5.0, requires_grad=True, device=device)
    out = F.mask_along_axis_iid(spec, 20, value, 2)
    out.sum().backward()
    assert value.grad.device.type == device
    assert value.grad.item() == (out.detach().cpu().numpy() == -5.0).sum()


def test_mask_along_axis_p_and_errors():
    spec = ember.rand(2, 10, 10) + 1.0
    # p limits the mask to floor(10 * 0.1) = 1 column, so the drawn width is always 0
    assert ember.equal(F.mask_along_axis(spec, 5, 0.0, 2, p=0.05), spec)
    with pytest.raises(ValueError, match=r"at least two dimensions"):
        F.mask_along_axis(ember.rand(5), 2, 0.0, 0)
    with pytest.raises(ValueError, match=r"at least three dimensions"):
        F.mask_along_axis_iid(ember.rand(5, 5), 2, 0.0, 1)
    with pytest.raises(ValueError, match=r"axis 1 and axis 2 supported; 0 given"):
        F.mask_along_axis(spec, 2, 0.0, 0)
    with pytest.raises(ValueError, match=r"p must be between 0.0 and 1.0"):
        F.mask_along_axis_iid(spec, 2, 0.0, 2, p=1.5)


# ----------------------------------------------------------------------------- emphasis, gain


def test_preemphasis_formula():
    x = np.random.default_rng(4).uniform(-1, 1, (2, 3, 50))
    y = F.preemphasis(t64(x), 0.9).numpy()
    np.testing.assert_array_equal(y[..., 0], x[..., 0])
    np.testing.assert_allclose(y[..., 1:], x[..., 1:] - 0.9 * x[..., :-1])


@pytest.mark.parametrize("length", [1, 64, 65, 1000, 9000])
def test_deemphasis_is_the_recursion_and_inverts_preemphasis(length, device):
    x = np.random.default_rng(5).uniform(-1, 1, (2, length)) * 0.02
    expected = np.zeros_like(x)
    previous = np.zeros(2)
    for i in range(length):  # y[i] = x[i] + coeff * y[i - 1]: the reference, one step at a time
        previous = x[:, i] + 0.97 * previous
        expected[:, i] = previous
    expected = np.clip(expected, -1, 1)
    waveform = t64(x, device=device)
    assert_close(F.deemphasis(waveform), expected, atol=1e-12, rtol=0)
    assert_close(F.deemphasis(F.preemphasis(waveform)), x, atol=1e-12, rtol=0)


def test_deemphasis_clamps_like_lfilter():
    y = F.deemphasis(ember.ones(1, 100) * 0.5).numpy()
    assert y.max() == 1.0 and y[0, 0] == 0.5


def test_gain():
    x = t64([[0.1, -0.2]])
    np.testing.assert_allclose(F.gain(x, 20.0).numpy(), [[1.0, -2.0]])
    assert F.gain(x, 0) is x


# ------------------------------------------------------------------------------- convolution


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_matches_numpy(mode, device):
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((3, 1, 40)), rng.standard_normal((1, 2, 9))
    x_t, y_t = t64(x, device=device), t64(y, device=device)
    out = F.convolve(x_t, y_t, mode)
    assert out.device.type == device
    out = out.cpu().numpy()
    for i in range(3):
        for j in range(2):
            full = np.convolve(x[i, 0], y[0, j])
            if mode == "full":
                want = full
            elif mode == "valid":
                want = np.convolve(x[i, 0], y[0, j], "valid")
            else:
                start = (len(full) - 40) // 2
                want = full[start : start + 40]
            np.testing.assert_allclose(out[i, j], want, atol=1e-12)
    fft = F.fftconvolve(x_t, y_t, mode)
    assert fft.device.type == device and fft.dtype == ember.float64
    assert_close(fft, out, atol=1e-12, rtol=0)
    # the shorter operand first gives the same full convolution
    swapped = F.convolve(y_t, x_t, "full")
    assert_close(swapped, F.convolve(x_t, y_t, "full"), atol=1e-12, rtol=0)


def test_convolve_errors():
    with pytest.raises(ValueError, match=r"must be the same dimension"):
        F.convolve(ember.ones(2, 5), ember.ones(5))
    with pytest.raises(ValueError, match=r"not broadcastable"):
        F.convolve(ember.ones(2, 5), ember.ones(3, 5))
    with pytest.raises(ValueError, match=r"Unrecognized mode value 'circular'"):
        F.convolve(ember.ones(5), ember.ones(5), mode="circular")


# --------------------------------------------------------------------------------------- noise


def test_add_noise_reaches_the_requested_snr(device):
    rng = np.random.default_rng(7)
    x, n = rng.standard_normal((3, 500)), rng.standard_normal((3, 500))
    snr = np.array([20.0, 0.0, -10.0])
    d = dict(device=device)
    y = F.add_noise(t64(x, **d), t64(n, **d), t64(snr, **d))
    assert y.device.type == device
    y = y.cpu().numpy()
    added = y - x
    np.testing.assert_allclose(10 * np.log10((x**2).sum(-1) / (added**2).sum(-1)), snr, atol=1e-9)

    lengths = np.array([500, 100, 10])
    y = F.add_noise(t64(x, **d), t64(n, **d), t64(snr, **d), ember.tensor(lengths, **d))
    y = y.cpu().numpy()
    added = y - x
    for i, L in enumerate(lengths):
        ratio = (x[i, :L] ** 2).sum() / (added[i, :L] ** 2).sum()
        assert 10 * np.log10(ratio) == pytest.approx(snr[i])


def test_add_noise_errors():
    with pytest.raises(ValueError, match=r"leading dimensions don't match"):
        F.add_noise(ember.ones(2, 5), ember.ones(2, 5), ember.ones(2, 1))
    with pytest.raises(ValueError, match=r"got 5 and 4"):
        F.add_noise(ember.ones(2, 5), ember.ones(2, 4), ember.ones(2))


# ---------------------------------------------------------------------------------- gradients

GRADIENT_CASES = {
    "amplitude_to_DB": (
        lambda x: F.amplitude_to_DB(x.abs() + 0.1, 10.0, 1e-10, 0.0, 6.0),
        (2, 2, 3, 4),
    ),
    "DB_to_amplitude": (lambda x: F.DB_to_amplitude(x, 2.0, 0.5), (3, 5)),
    "mu_law_decoding": (lambda x: F.mu_law_decoding(x * 50 + 100, 256), (2, 7)),
    "resample": (lambda x: F.resample(x, 3, 2), (2, 30)),
    "resample_kaiser": (
        lambda x: F.resample(x, 2, 3, resampling_method="sinc_interp_kaiser"),
        (1, 12),
    ),
    "compute_deltas": (lambda x: F.compute_deltas(x, 5), (2, 3, 9)),
    "preemphasis": (lambda x: F.preemphasis(x, 0.8), (2, 10)),
    "deemphasis": (lambda x: F.deemphasis(x * 0.1, 0.9), (2, 150)),
    "convolve": (lambda x: F.convolve(x, x[..., :4].flip(-1), "same"), (2, 11)),
    "fftconvolve": (lambda x: F.fftconvolve(x, x[..., :4].flip(-1), "valid"), (2, 11)),
    "gain": (lambda x: F.gain(x, 3.0), (4,)),
    "mask_along_axis_iid": (lambda x: F.mask_along_axis_iid(x, 3, x.mean(), 2), (2, 4, 6)),
}


def _same_masks(f):
    """``f`` with the generator re-seeded on every call, so finite differences see one mask."""

    def seeded(x):
        ember.manual_seed(7)
        return f(x)

    return seeded


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_gradients_by_finite_differences(name):
    f, shape = GRADIENT_CASES[name]
    x = t64(np.random.default_rng(8).uniform(-1, 1, shape), requires_grad=True)
    assert gradcheck(_same_masks(f), (x,))


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_values_and_gradients_on_device(name, device):
    """The value and the gradient for one random cotangent on ``device`` against the CPU's
    (whose gradients the finite differences above check). The two generators draw different
    masks, so the masking case is checked by finite differences on the device itself."""
    f, shape = GRADIENT_CASES[name]
    x = np.random.default_rng(8).uniform(-1, 1, shape)
    if name == "mask_along_axis_iid":
        assert gradcheck(_same_masks(f), (t64(x, True, device),))
        return
    results = []
    for dev in ("cpu", device):
        t = t64(x, True, dev)
        out = f(t)
        assert out.device.type == dev and out.dtype == ember.float64
        cotangent = np.random.default_rng(9).standard_normal(tuple(out.shape))
        out.backward(t64(cotangent, device=dev))
        assert t.grad.device.type == dev
        results.append((out.detach().cpu().numpy(), t.grad.cpu().numpy()))
    (out, grad), (cpu_out, cpu_grad) = results[1], results[0]
    np.testing.assert_allclose(out, cpu_out, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad, cpu_grad, rtol=1e-10, atol=1e-10)


def test_add_noise_gradients():
    rng = np.random.default_rng(9)
    x, n, snr = (t64(rng.uniform(-1, 1, s), requires_grad=True) for s in [(2, 20), (2, 20), (2,)])
    assert gradcheck(lambda a, b, c: F.add_noise(a, b, c, ember.tensor([20, 7])), (x, n, snr))


# -------------------------------------------------------------------------------------- devices


def test_functions_run_on_the_signal_device(device):
    x = ember.rand(2, 4, 64, device=device)
    for y in [
        F.resample(x, 4, 3),
        F.compute_deltas(x),
        F.deemphasis(x * 0.01),
        F.preemphasis(x),
        F.convolve(x, x[..., :5]),
        F.amplitude_to_DB(x, 10.0, 1e-10, 0.0, 80.0),
        F.mask_along_axis_iid(x, 5, 0.0, 2),
        F.mu_law_encoding(x, 256),
    ]:
        assert y.device == x.device
    cpu = F.resample(x.cpu(), 4, 3).numpy()
    np.testing.assert_allclose(F.resample(x, 4, 3).cpu().numpy(), cpu, atol=1e-6)
