"""emberaudio.functional.filtering against a sample-by-sample numpy difference equation,
coefficients derived by hand from the Audio EQ Cookbook, known filter properties (gain at
the design frequency, zero phase of filtfilt, flat all-pass magnitude) and float64
finite-difference gradients."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close
from emberaudio.functional import filtering as F
from emberaudio.transforms._filtering import Loudness


def t64(array, requires_grad=False, device="cpu"):
    return ember.tensor(
        np.asarray(array, dtype=np.float64), requires_grad=requires_grad, device=device
    )


def difference_equation(x, a, b):
    """``a0 y[n] = sum_k b[k] x[n - k] - sum_k>0 a[k] y[n - k]``, one sample at a time."""
    x = np.asarray(x, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    y = np.zeros_like(x)
    for n in range(x.shape[-1]):
        acc = np.zeros(x.shape[:-1])
        for k in range(len(b)):
            if n - k >= 0:
                acc = acc + b[k] * x[..., n - k]
        for k in range(1, len(a)):
            if n - k >= 0:
                acc = acc - a[k] * y[..., n - k]
        y[..., n] = acc / a[0]
    return y


def cookbook_lowpass(fs, f0, Q):
    """(a, b) of the cookbook's LPF: H(s) = 1 / (s^2 + s/Q + 1)."""
    w0 = 2 * math.pi * f0 / fs
    alpha = math.sin(w0) / (2 * Q)
    c = math.cos(w0)
    return [1 + alpha, -2 * c, 1 - alpha], [(1 - c) / 2, 1 - c, (1 - c) / 2]


def tone(freq, fs, length, amplitude=0.5):
    return amplitude * np.sin(2 * math.pi * freq * np.arange(length) / fs)


def gain_db(y, x):
    """Output over input level in dB, on the second half (past the transient)."""
    half = x.shape[-1] // 2
    return 20 * np.log10(np.std(y[..., half:], -1) / np.std(x[..., half:], -1))


# ---------------------------------------------------------------------------------- lfilter

FILTERS = {
    "lowpass-1k": cookbook_lowpass(16000, 1000, 0.707),
    "resonant": cookbook_lowpass(16000, 4000, 5.0),
    "highpass-38": ([1.0, -1.98999, 0.990049], [0.995, -1.99, 0.995]),  # poles at 0.995
    "order-4": (
        np.poly([0.9, 0.8 * np.exp(0.3j), 0.8 * np.exp(-0.3j), -0.5]).real,
        [0.1, 0.2, 0.0, -0.1, 0.05],
    ),
    "a0-not-1": ([2.0, -1.0, 0.3], [0.5, 0.2, 0.1]),
    "fir": ([1.0, 0.0, 0.0], [0.25, 0.5, 0.25]),
    "first-order": ([1.0, -0.97], [1.0, 0.0]),
}


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("length", [1, 63, 64, 65, 1000, 17000])
def test_lfilter_is_the_difference_equation_float64(name, length):
    a, b = FILTERS[name]
    x = np.random.default_rng(0).uniform(-1, 1, (2, length)) * 0.1
    out = F.lfilter(t64(x), t64(a), t64(b), clamp=False)
    assert out.dtype == ember.float64 and tuple(out.shape) == (2, length)
    np.testing.assert_allclose(out.numpy(), difference_equation(x, a, b), atol=1e-10)


def float32_loop(x, a, b):
    """torchaudio's float32 computation: coefficients normalised in float32, the FIR part,
    then the recursion one sample at a time, all in float32."""
    a, b = np.float32(a), np.float32(b)
    b, a = b / a[0], a / a[0]
    order = len(a) - 1
    padded = np.concatenate([np.zeros((*x.shape[:-1], order), np.float32), x], -1)
    length = x.shape[-1]
    fir = sum(b[k] * padded[..., order - k : order - k + length] for k in range(order + 1))
    y = np.zeros((*x.shape[:-1], length + order), np.float32)
    for n in range(length):
        feedback = sum(a[k] * y[..., order + n - k] for k in range(1, order + 1))
        y[..., order + n] = fir[..., n] - feedback
    return y[..., order:]


@pytest.mark.parametrize("name", ["lowpass-1k", "resonant", "highpass-38", "order-4"])
def test_lfilter_float32_over_16000_samples(name, device):
    # the recursion runs in float64 on either backend and is cast back to float32
    a, b = FILTERS[name]
    a32, b32 = np.float32(a), np.float32(b)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 16384)).astype(np.float32) * 0.5
    # the exact filter whose coefficients are the float32 values normalised as lfilter
    # normalises them (in float32), run in float64
    expected = difference_equation(x, np.float64(a32 / a32[0]), np.float64(b32 / a32[0]))
    out = F.lfilter(
        ember.tensor(x, device=device),
        ember.tensor(a32, device=device),
        ember.tensor(b32, device=device),
        clamp=False,
    )
    assert out.dtype == ember.float32 and out.device.type == device
    error = np.abs(out.cpu().numpy() - expected).max()
    # within 1e-6 of the exact filter, or (for poles at 0.995, where float32 rounding of the
    # FIR part alone is amplified by the recursion's DC gain of 4e4) no worse than the
    # float32 sample-by-sample loop torchaudio runs
    loop_error = np.abs(float32_loop(x, a, b) - expected).max()
    assert error < max(1e-6 * max(1, np.abs(expected).max()), 1.5 * loop_error)
    if name != "highpass-38":
        assert error < 1e-6 * max(1, np.abs(expected).max())


def test_lfilter_high_order_longer_than_a_block(device):
    roots = 0.6 * np.exp(1j * np.linspace(0.1, 3.0, 35))
    a = np.real(np.poly(np.concatenate([roots, roots.conj()])))  # order 70: 128-sample blocks
    b = np.zeros_like(a)
    b[0] = 1.0
    x = np.random.default_rng(2).uniform(-1, 1, (1, 500)) * 0.01
    d = dict(device=device)
    np.testing.assert_allclose(
        F.lfilter(t64(x, **d), t64(a, **d), t64(b, **d), clamp=False).cpu().numpy(),
        difference_equation(x, a, b),
        atol=1e-8,
    )


def test_lfilter_clamps_by_default():
    x = t64(np.full((1, 50), 0.9))
    a, b = t64([1.0, -0.9]), t64([1.0, 0.0])
    assert F.lfilter(x, a, b).numpy().max() == 1.0
    assert F.lfilter(x, a, b, clamp=False).numpy().max() > 5


def test_lfilter_shapes_and_batching(device):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 3, 40)) * 0.1
    a = np.array([[1.0, -0.5, 0.1], [1.0, 0.3, 0.0], [2.0, 0.0, 0.0]])
    b = rng.standard_normal((3, 3)) * 0.2

    def t64(array):
        return ember.tensor(np.asarray(array, dtype=np.float64), device=device)

    batched = F.lfilter(t64(x), t64(a), t64(b), clamp=False).cpu().numpy()
    assert batched.shape == (2, 3, 40)
    for i in range(3):
        np.testing.assert_allclose(
            batched[:, i], difference_equation(x[:, i], a[i], b[i]), atol=1e-12
        )
    every = F.lfilter(t64(x), t64(a), t64(b), clamp=False, batching=False).cpu().numpy()
    assert every.shape == (2, 3, 3, 40)
    for i in range(3):
        np.testing.assert_allclose(every[..., i, :], difference_equation(x, a[i], b[i]), atol=1e-12)
    # 1-D coefficients filter every row of any leading shape
    one = F.lfilter(t64(x), t64(a[0]), t64(b[0]), clamp=False).cpu().numpy()
    np.testing.assert_allclose(one, difference_equation(x, a[0], b[0]), atol=1e-12)
    assert F.lfilter(t64(x[0, 0]), t64(a[0]), t64(b[0])).shape == (40,)


def test_lfilter_errors():
    x = t64(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="Expected coeffs to be the same size"):
        F.lfilter(x, t64([1.0, 0.5]), t64([1.0, 0.5, 0.2]))
    with pytest.raises(ValueError, match=r"greater than 1 dimension\. Found: 3"):
        F.lfilter(x, t64(np.ones((1, 2, 2))), t64(np.ones((1, 2, 2))))
    with pytest.raises(ValueError, match="number of batches in waveform and coeffs"):
        F.lfilter(x, t64(np.ones((3, 2))), t64(np.ones((3, 2))))


def test_lfilter_gradients_wrt_all_three_inputs():
    rng = np.random.default_rng(4)
    x = t64(rng.uniform(-1, 1, (2, 3, 150)) * 0.3, requires_grad=True)
    a = t64([[1.0, -1.2, 0.5], [1.3, 0.4, 0.2], [0.9, -0.5, 0.1]], requires_grad=True)
    b = t64(rng.standard_normal((3, 3)) * 0.3, requires_grad=True)
    assert gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))
    x1 = t64(rng.uniform(-1, 1, (2, 100)), requires_grad=True)
    assert gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False, batching=False), (x1, a, b))
    a1 = t64([1.1, -0.6, 0.2], requires_grad=True)
    b1 = t64([0.3, 0.1, -0.2], requires_grad=True)
    assert gradcheck(lambda x, a, b: F.filtfilt(x, a, b, clamp=False), (x1, a1, b1))


def test_lfilter_second_order_gradients():
    rng = np.random.default_rng(5)
    x = t64(rng.uniform(-1, 1, (2, 20)), requires_grad=True)
    a = t64([1.0, -0.9, 0.4], requires_grad=True)
    b = t64([0.5, 0.2, 0.1], requires_grad=True)
    assert gradgradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))


def test_filtfilt_is_forward_then_backward_and_has_zero_phase():
    a, b = cookbook_lowpass(16000, 2000, 0.707)
    x = np.random.default_rng(6).uniform(-1, 1, (1, 300)) * 0.2
    expected = difference_equation(difference_equation(x, a, b)[..., ::-1], a, b)[..., ::-1]
    np.testing.assert_allclose(F.filtfilt(t64(x), t64(a), t64(b)).numpy(), expected, atol=1e-12)
    # a tone in the passband comes out in phase (the one-way filter delays it)
    fs, length = 16000, 4000
    x = tone(500, fs, length)
    y = F.filtfilt(t64(x), t64(a), t64(b)).numpy()
    middle = slice(1000, 3000)
    lag = np.argmax(np.correlate(y[middle], x[middle], "full")) - (2000 - 1)
    assert lag == 0
    one_way = F.lfilter(t64(x), t64(a), t64(b)).numpy()
    assert np.argmax(np.correlate(one_way[middle], x[middle], "full")) - (2000 - 1) > 0


# --------------------------------------------------------------------------- biquad designs


def test_biquad_takes_floats_and_tensors():
    x = np.random.default_rng(7).uniform(-1, 1, (2, 200)) * 0.2
    expected = difference_equation(x, [1.0, -0.5, 0.2], [0.3, 0.2, 0.1])
    out = F.biquad(t64(x), 0.3, 0.2, 0.1, 1.0, t64(-0.5), 0.2)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def _cookbook(fs, f0, Q):
    w0 = 2 * math.pi * f0 / fs
    return math.cos(w0), math.sin(w0) / (2 * Q)


def _coefficients_of(design, *args):
    """(a, b) a design gives, read off its impulse response: b from the first three output
    samples of the difference equation, a from the recursion they then obey."""
    impulse = np.zeros(8)
    impulse[0] = 1e-3  # small, so that clamping never acts
    h = design(t64(impulse), *args).numpy() / 1e-3
    a1, a2 = np.linalg.solve([[h[3], h[2]], [h[4], h[3]]], [-h[4], -h[5]])
    b0 = h[0]
    b1 = h[1] + a1 * h[0]
    b2 = h[2] + a1 * h[1] + a2 * h[0]
    return np.array([1.0, a1, a2]), np.array([b0, b1, b2])


def _cookbook_expected(name, fs, f0, Q, gain=0.0):
    c, alpha = _cookbook(fs, f0, Q)
    A = 10 ** (gain / 40)
    poles = [1 + alpha, -2 * c, 1 - alpha]
    if name == "lowpass":
        return poles, [(1 - c) / 2, 1 - c, (1 - c) / 2]
    if name == "highpass":
        return poles, [(1 + c) / 2, -(1 + c), (1 + c) / 2]
    if name == "bandpass":  # constant 0 dB peak gain
        return poles, [alpha, 0.0, -alpha]
    if name == "bandreject":
        return poles, [1.0, -2 * c, 1.0]
    if name == "allpass":
        return poles, [1 - alpha, -2 * c, 1 + alpha]
    if name == "equalizer":
        return [1 + alpha / A, -2 * c, 1 - alpha / A], [1 + alpha * A, -2 * c, 1 - alpha * A]
    sq = 2 * math.sqrt(A) * alpha
    if name == "treble":  # high shelf
        return (
            [(A + 1) - (A - 1) * c + sq, 2 * ((A - 1) - (A + 1) * c), (A + 1) - (A - 1) * c - sq],
            [
                A * ((A + 1) + (A - 1) * c + sq),
                -2 * A * ((A - 1) + (A + 1) * c),
                A * ((A + 1) + (A - 1) * c - sq),
            ],
        )
    # bass: low shelf
    return (
        [(A + 1) + (A - 1) * c + sq, -2 * ((A - 1) + (A + 1) * c), (A + 1) + (A - 1) * c - sq],
        [
            A * ((A + 1) - (A - 1) * c + sq),
            2 * A * ((A - 1) - (A + 1) * c),
            A * ((A + 1) - (A - 1) * c - sq),
        ],
    )


DESIGNS = [
    ("lowpass", lambda x, fs, f, Q, g: F.lowpass_biquad(x, fs, f, Q)),
    ("highpass", lambda x, fs, f, Q, g: F.highpass_biquad(x, fs, f, Q)),
    ("bandpass", lambda x, fs, f, Q, g: F.bandpass_biquad(x, fs, f, Q)),
    ("bandreject", lambda x, fs, f, Q, g: F.bandreject_biquad(x, fs, f, Q)),
    ("allpass", lambda x, fs, f, Q, g: F.allpass_biquad(x, fs, f, Q)),
    ("equalizer", lambda x, fs, f, Q, g: F.equalizer_biquad(x, fs, f, g, Q)),
    ("treble", lambda x, fs, f, Q, g: F.treble_biquad(x, fs, g, f, Q)),
    ("bass", lambda x, fs, f, Q, g: F.bass_biquad(x, fs, g, f, Q)),
]


@pytest.mark.parametrize("name, design", DESIGNS, ids=[d[0] for d in DESIGNS])
@pytest.mark.parametrize(
    "fs, f0, Q, gain", [(16000, 1000.0, 0.707, 6.0), (44100, 250.0, 2.0, -4.0)]
)
def test_designs_are_the_cookbooks(name, design, fs, f0, Q, gain):
    a, b = _coefficients_of(design, fs, f0, Q, gain)
    a_want, b_want = _cookbook_expected(name, fs, f0, Q, gain)
    a_want, b_want = np.array(a_want), np.array(b_want)
    np.testing.assert_allclose(a, a_want / a_want[0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(b, b_want / a_want[0], rtol=1e-7, atol=1e-9)


def test_design_defaults():
    x = t64(np.random.default_rng(8).uniform(-1, 1, (1, 300)) * 0.1)
    np.testing.assert_array_equal(
        F.lowpass_biquad(x, 8000, 1000.0).numpy(), F.lowpass_biquad(x, 8000, 1000.0, 0.707).numpy()
    )
    np.testing.assert_array_equal(
        F.bass_biquad(x, 8000, 3.0).numpy(), F.bass_biquad(x, 8000, 3.0, 100, 0.707).numpy()
    )
    np.testing.assert_array_equal(
        F.treble_biquad(x, 8000, 3.0).numpy(), F.treble_biquad(x, 8000, 3.0, 3000, 0.707).numpy()
    )


def test_lowpass_passes_low_and_attenuates_high_tones():
    fs, cutoff = 16000, 1000.0
    tones = t64(np.stack([tone(100, fs, 8000), tone(cutoff, fs, 8000), tone(6000, fs, 8000)]))
    y = F.lowpass_biquad(tones, fs, cutoff).numpy()
    db = gain_db(y, tones.numpy())
    assert abs(db[0]) < 0.05
    assert abs(db[1] - 20 * math.log10(0.707)) < 0.05  # |H(w0)| = Q for the cookbook's LPF
    assert db[2] < -30
    high = F.highpass_biquad(tones, fs, cutoff).numpy()
    hdb = gain_db(high, tones.numpy())
    assert hdb[0] < -30 and abs(hdb[2]) < 0.1


def test_allpass_keeps_magnitude_and_peaking_gains():
    fs = 16000
    tones = t64(np.stack([tone(f, fs, 8000) for f in (200, 1000, 5000)]))
    np.testing.assert_allclose(
        gain_db(F.allpass_biquad(tones, fs, 1000.0).numpy(), tones.numpy()), 0, atol=0.02
    )
    eq = gain_db(F.equalizer_biquad(tones, fs, 1000.0, 6.0, 2.0).numpy(), tones.numpy())
    assert abs(eq[1] - 6.0) < 0.05 and abs(eq[0]) < 0.5
    low = t64(tone(20, fs, 32000, 0.1))  # well under the shelf: its full gain
    assert abs(gain_db(F.bass_biquad(low, fs, 6.0, 100).numpy(), low.numpy()) - 6) < 0.2
    # the band-pass of constant 0 dB peak gain passes its centre frequency
    assert abs(gain_db(F.bandpass_biquad(tones, fs, 1000.0).numpy(), tones.numpy())[1]) < 0.05
    assert gain_db(F.bandreject_biquad(tones, fs, 1000.0, 2.0).numpy(), tones.numpy())[1] < -30


def test_riaa_is_0db_at_1khz_and_deemph_cuts_treble():
    for fs in (44100, 48000, 88200, 96000):
        x = t64(tone(1000, fs, fs // 2, 0.1))
        assert abs(gain_db(F.riaa_biquad(x, fs).numpy(), x.numpy())) < 0.05
    x = t64(np.stack([tone(100, 44100, 22050, 0.1), tone(16000, 44100, 22050, 0.1)]))
    db = gain_db(F.deemph_biquad(x, 44100).numpy(), x.numpy())
    assert abs(db[0]) < 0.1 and -10 < db[1] < -8
    with pytest.raises(ValueError, match="44100"):
        F.deemph_biquad(x, 16000)
    with pytest.raises(ValueError, match=r"44\.1k, 48k, 88\.2k, or 96k"):
        F.riaa_biquad(x, 16000)


def test_band_biquad_matches_sox_formula():
    fs, f0, Q = 16000, 1000.0, 2.0
    a2 = math.exp(-2 * math.pi * (f0 / Q) / fs)
    a1 = -4 * a2 / (1 + a2) * math.cos(2 * math.pi * f0 / fs)
    b0 = math.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    a, b = _coefficients_of(lambda x, *args: F.band_biquad(x, fs, f0, Q), 0)
    np.testing.assert_allclose(a, [1, a1, a2], rtol=1e-8)
    np.testing.assert_allclose(b, [b0, 0, 0], atol=1e-10)
    mult = math.sqrt(((1 + a2) ** 2 - a1 * a1) * (1 - a2) / (1 + a2)) / b0
    _, b_noise = _coefficients_of(lambda x, *args: F.band_biquad(x, fs, f0, Q, True), 0)
    np.testing.assert_allclose(b_noise[0], b0 * mult, rtol=1e-8)


def test_design_gradients_reach_tensor_parameters():
    x = t64(np.random.default_rng(9).uniform(-1, 1, (2, 120)) * 0.3, requires_grad=True)
    freq = t64(900.0, requires_grad=True)
    q = t64(1.3, requires_grad=True)
    gain = t64(4.0, requires_grad=True)
    assert gradcheck(lambda x, f, q: F.lowpass_biquad(x, 8000, f, q), (x, freq, q))
    assert gradcheck(lambda x, g, f: F.treble_biquad(x, 8000, g, f), (x, gain, freq))
    assert gradcheck(lambda x, f, g: F.equalizer_biquad(x, 8000, f, g), (x, freq, gain))


# --------------------------------------------------------------------------------- effects


def test_contrast_and_dcshift():
    x = np.random.default_rng(10).uniform(-1, 1, (2, 50))
    expected = np.sin(x * math.pi / 2 + 0.1 * np.sin(x * math.pi / 2 * 4))
    np.testing.assert_allclose(F.contrast(t64(x), 75.0).numpy(), expected, atol=1e-12)
    with pytest.raises(ValueError, match="0-100"):
        F.contrast(t64(x), 101)
    np.testing.assert_allclose(F.dcshift(t64(x), 0.3).numpy(), np.clip(x + 0.3, -1, 1))
    # with a limiter, samples above 1 - (shift - gain) are compressed, not clipped
    threshold = 1 - (0.3 - 0.05)
    limited = np.where(
        x > threshold,
        np.minimum((x - threshold) * 0.05 / (1 - threshold) + threshold + 0.3, threshold),
        np.clip(x + 0.3, -1, 1),
    )
    original = x.copy()
    np.testing.assert_allclose(F.dcshift(t64(x), 0.3, 0.05).numpy(), limited, atol=1e-12)
    np.testing.assert_array_equal(x, original)
    below = np.where(
        x < -threshold,
        np.maximum((x + threshold) * 0.05 / (1 - threshold) - threshold - 0.3, -threshold),
        np.clip(x - 0.3, -1, 1),
    )
    np.testing.assert_allclose(F.dcshift(t64(x), -0.3, 0.05).numpy(), below, atol=1e-12)


def test_overdrive_is_soxs_loop():
    x = np.random.default_rng(11).uniform(-1, 1, (2, 700)) * 0.1
    gain, colour = 20.0, 20.0
    temp = x * 10 ** (gain / 20) + colour / 200
    temp = np.where(temp < -1, -2 / 3, np.where(temp > 1, 2 / 3, temp - temp**3 / 3))
    expected = np.zeros_like(x)
    last_in = last_out = np.zeros(2)
    for i in range(x.shape[-1]):
        last_out = temp[:, i] - last_in + 0.995 * last_out
        last_in = temp[:, i]
        expected[:, i] = x[:, i] * 0.5 + last_out * 0.75
    np.testing.assert_allclose(F.overdrive(t64(x)).numpy(), np.clip(expected, -1, 1), atol=1e-10)


def _phaser_loop(x, fs, gain_in, gain_out, delay_ms, decay, mod_speed, sinusoidal):
    """SoX's phaser, one sample at a time, with its ring buffer."""
    delay_len = int(delay_ms * 0.001 * fs + 0.5)
    mod_len = int(fs / mod_speed + 0.5)
    mod = F._generate_wave_table(
        "SINE" if sinusoidal else "TRIANGLE", "INT", mod_len, 1.0, float(delay_len), math.pi / 2
    )
    buffer = np.zeros((x.shape[0], delay_len))
    out = np.zeros_like(x)
    delay_pos = mod_pos = 0
    for i in range(x.shape[-1]):
        idx = (delay_pos + mod[mod_pos]) % delay_len
        mod_pos = (mod_pos + 1) % mod_len
        delay_pos = (delay_pos + 1) % delay_len
        temp = x[:, i] * gain_in + buffer[:, idx]
        buffer[:, delay_pos] = temp * decay
        out[:, i] = temp
    return np.clip(out * gain_out, -1, 1)


@pytest.mark.parametrize(
    "args", [(8000, 0.4, 0.74, 3.0, 0.4, 0.5, True), (8000, 0.9, 1.0, 5.0, 0.9, 2.0, False)]
)
def test_phaser_is_soxs_loop(args):
    x = np.random.default_rng(12).uniform(-1, 1, (2, 3000)) * 0.5
    np.testing.assert_allclose(F.phaser(t64(x), *args).numpy(), _phaser_loop(x, *args), atol=1e-12)
    x1 = t64(x[:, :60], requires_grad=True)
    assert gradcheck(lambda x: F.phaser(x, *args), (x1,))


def test_wave_tables():
    sine = F._generate_wave_table("SINE", "FLOAT", 8, 0.0, 1.0, 0.0)
    np.testing.assert_allclose(sine, (np.sin(np.arange(8) / 8 * 2 * math.pi) + 1) / 2, atol=1e-7)
    triangle = F._generate_wave_table("TRIANGLE", "FLOAT", 8, 0.0, 1.0, 0.0)
    np.testing.assert_allclose(triangle, [0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.25])
    assert F._generate_wave_table("SINE", "INT", 4, 1.0, 5.0, 0.0).tolist() == [3, 5, 3, 1]


def test_dither():
    x = np.random.default_rng(13).uniform(-1, 1, (3, 500)) * 0.5
    # TPDF adds a Bartlett window (torchaudio's deterministic "triangular" noise)
    window = 1 - np.abs(np.arange(500) - 250) / 250
    expected = np.round(x * (2**15 - 2) + window) / 2**15
    np.testing.assert_allclose(F.dither(t64(x)).numpy(), expected, atol=1e-12)
    shaped = F.dither(t64(x), noise_shaping=True).numpy()
    error = expected - x
    np.testing.assert_allclose(shaped[:, 1:], expected[:, 1:] + error[:, :-1], atol=1e-12)
    for density in ("RPDF", "GPDF"):
        ember.manual_seed(0)
        y = F.dither(t64(x), density).numpy() * 2**15
        np.testing.assert_allclose(y, np.round(y))  # quantised to 16 bits
        offset = y - x * (2**15 - 2)
        # one random offset for the whole signal, taken from the signal's own samples
        assert np.ptp(offset) <= 1.0 + 1e-9 and np.abs(offset).max() <= 4.0


def test_gain():
    x = t64([[0.1, -0.2]])
    np.testing.assert_allclose(F.gain(x, 20.0).numpy(), [[1.0, -2.0]])
    assert F.gain(x, 0) is x


# -------------------------------------------------------------------------------- loudness


def _k_weighted_energy(x, fs):
    """Mean square of the K-weighted signal per 400 ms block, 75 % overlap (BS.1770)."""
    a_shelf, b_shelf = _cookbook_expected("treble", fs, 1500, 1 / math.sqrt(2), 4.0)
    a_hp, b_hp = _cookbook_expected("highpass", fs, 38.0, 0.5)
    y = difference_equation(np.clip(difference_equation(x, a_shelf, b_shelf), -1, 1), a_hp, b_hp)
    y = np.clip(y, -1, 1)
    gate = round(0.4 * fs)
    step = round(gate * 0.25)
    starts = range(0, y.shape[-1] - gate + 1, step)
    return np.stack([np.mean(y[..., s : s + gate] ** 2, -1) for s in starts], -1)


def test_loudness_gates_like_bs1770(device):
    fs = 8000
    rng = np.random.default_rng(14)
    x = rng.uniform(-1, 1, (2, 2 * fs)) * 0.2
    x[:, fs // 2 : fs] *= 1e-4  # quiet blocks fall under the relative gate
    energy = _k_weighted_energy(x, fs)  # (channels, blocks)
    block = -0.691 + 10 * np.log10(energy.sum(0))
    kept = block > -70
    relative = -0.691 + 10 * np.log10(energy[:, kept].mean(-1).sum()) - 10
    kept &= block > relative
    expected = -0.691 + 10 * np.log10(energy[:, kept].mean(-1).sum())
    out = F.loudness(t64(x, device=device), fs)
    assert out.shape == () and out.device.type == device
    np.testing.assert_allclose(out.item(), expected, atol=1e-9)
    np.testing.assert_allclose(Loudness(fs)(t64(x, device=device)).item(), expected, atol=1e-9)
    batch = F.loudness(t64(np.stack([x, x * 0.5]), device=device), fs).cpu().numpy()
    np.testing.assert_allclose(batch[0] - batch[1], 20 * math.log10(2), atol=1e-6)
    with pytest.raises(ValueError, match="Only up to 5 channels"):
        F.loudness(t64(np.zeros((6, fs)), device=device), fs)
    with pytest.raises(RuntimeError, match="maximum size"):
        F.loudness(t64(np.zeros((1, 100)), device=device), fs)


def test_loudness_gradient():
    x = t64(np.random.default_rng(15).uniform(-1, 1, (2, 300)) * 0.3, requires_grad=True)
    assert gradcheck(lambda x: F.loudness(x, 300), (x,))


# ---------------------------------------------------------------------------------- devices


def test_lfilter_on_device(device):
    a, b = FILTERS["order-4"]
    x = np.random.default_rng(16).uniform(-1, 1, (2, 700)) * 0.1
    out = F.lfilter(t64(x).to(device), t64(a).to(device), t64(b).to(device), clamp=False)
    assert out.device.type == device
    np.testing.assert_allclose(out.cpu().numpy(), difference_equation(x, a, b), atol=1e-10)
    ph = F.phaser(t64(x).to(device), 8000).cpu().numpy()
    np.testing.assert_allclose(ph, _phaser_loop(x, 8000, 0.4, 0.74, 3.0, 0.4, 0.5, True))


def assert_matches_cpu(fn, arrays, device, atol=1e-9):
    """``fn`` of float64 tensors made from ``arrays``, on ``device`` against the CPU: the
    output, then the gradient of every input for one random cotangent (the CPU gradients
    are checked by finite differences above; an input the output ignores has none on both)."""
    results = []
    cotangent = None
    for dev in ("cpu", device):
        inputs = [t64(a, requires_grad=True, device=dev) for a in arrays]
        out = fn(*inputs)
        assert out.device.type == dev
        if cotangent is None:
            cotangent = np.random.default_rng(0).standard_normal(tuple(out.shape))
        out.backward(t64(cotangent, device=dev))
        grads = []
        for t in inputs:
            assert t.grad is None or t.grad.device.type == dev
            grads.append(None if t.grad is None else t.grad.cpu().numpy())
        assert grads[0] is not None
        results.append([out.detach().cpu().numpy()] + grads)
    for got, want in zip(results[1], results[0]):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, atol=atol, rtol=1e-9)


@pytest.mark.parametrize(
    "name", ["lowpass-1k", "highpass-38", "order-4", "a0-not-1", "fir", "first-order"]
)
def test_lfilter_block_recursion_on_device(name, device):
    # lengths inside one 64-sample block, on its edge, and over many blocks (whose boundary
    # states the parallel prefix chains), against the sample loop
    a, b = FILTERS[name]
    rng = np.random.default_rng(17)
    for length in (1, 64, 65, 1000):
        x = rng.uniform(-1, 1, (2, 3, length)) * 0.1
        out = F.lfilter(
            t64(x, device=device), t64(a, device=device), t64(b, device=device), clamp=False
        )
        assert out.device.type == device and out.dtype == ember.float64
        assert_close(out, difference_equation(x, a, b), atol=1e-10, rtol=0)


def test_lfilter_and_filtfilt_gradients_on_device(device):
    rng = np.random.default_rng(18)
    x = rng.uniform(-1, 1, (2, 3, 150)) * 0.3
    a = np.array([[1.0, -1.2, 0.5], [1.3, 0.4, 0.2], [0.9, -0.5, 0.1]])
    b = rng.standard_normal((3, 3)) * 0.3
    assert_matches_cpu(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b), device)
    assert_matches_cpu(
        lambda x, a, b: F.lfilter(x[0], a, b, clamp=False, batching=False), (x, a, b), device
    )
    assert_matches_cpu(lambda x, a, b: F.filtfilt(x, a, b, clamp=False), (x, a, b), device)
    assert_matches_cpu(lambda x, a, b: F.lfilter(x * 4, a, b), (x, a, b), device)  # clamped


def test_lfilter_finite_difference_gradients_on_device(device):
    rng = np.random.default_rng(19)
    x = t64(rng.uniform(-1, 1, (1, 70)) * 0.3, True, device)  # two 64-sample blocks
    a = t64([1.1, -0.6, 0.2], True, device)
    b = t64([0.3, 0.1, -0.2], True, device)
    assert gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))
    x = t64(rng.uniform(-1, 1, (1, 6)), True, device)
    assert gradgradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))


@pytest.mark.parametrize("name, design", DESIGNS, ids=[d[0] for d in DESIGNS])
def test_designs_on_device_match_cpu(name, design, device):
    # frequency, Q and gain as tensors, so their gradients are compared too
    x = np.random.default_rng(20).uniform(-1, 1, (2, 300)) * 0.2
    assert_matches_cpu(lambda x, f, q, g: design(x, 16000, f, q, g), (x, 1000.0, 0.9, 6.0), device)


def test_fixed_designs_and_effects_on_device_match_cpu(device):
    x = np.random.default_rng(21).uniform(-1, 1, (2, 3, 400)) * 0.4
    cases = {
        "biquad": lambda x: F.biquad(x, 0.3, 0.2, 0.1, 1.0, -0.5, 0.2),
        "band": lambda x: F.band_biquad(x, 16000, 1000.0, 2.0),
        "band-noise": lambda x: F.band_biquad(x, 16000, 1000.0, 2.0, noise=True),
        "bandpass-skirt": lambda x: F.bandpass_biquad(x, 16000, 900.0, 2.0, True),
        "riaa": lambda x: F.riaa_biquad(x, 44100),
        "deemph": lambda x: F.deemph_biquad(x, 48000),
        "contrast": lambda x: F.contrast(x, 40.0),
        "dcshift-up": lambda x: F.dcshift(x, 0.3, 0.05),
        "dcshift-down": lambda x: F.dcshift(x, -0.3, 0.05),
        "overdrive": lambda x: F.overdrive(x, 10, 30),
        "gain": lambda x: F.gain(x, -3.0),
        "phaser-triangle": lambda x: F.phaser(x[..., :200], 8000, sinusoidal=False),
        "dither": lambda x: F.dither(x),
        "dither-shaped": lambda x: F.dither(x, noise_shaping=True),
    }
    for name, f in cases.items():
        try:
            assert_matches_cpu(f, (x,), device)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    # a CPU tensor parameter is moved to the waveform's device
    cpu_freq = t64(1000.0)
    out = F.lowpass_biquad(t64(x, device=device), 16000, cpu_freq)
    assert_close(out, F.lowpass_biquad(t64(x), 16000, 1000.0), atol=1e-12, rtol=0)
    # the random dithers pick their samples with the CPU generator: the same on any device
    for density in ("RPDF", "GPDF"):
        ember.manual_seed(3)
        want = F.dither(t64(x), density)
        ember.manual_seed(3)
        got = F.dither(t64(x, device=device), density)
        assert got.device.type == device
        assert_close(got, want, atol=1e-12, rtol=0)


def test_loudness_gradient_on_device(device):
    x = np.random.default_rng(22).uniform(-1, 1, (2, 300)) * 0.3
    assert_matches_cpu(lambda x: F.loudness(x, 300), (x,), device)
