"""emberaudio's STFT-based functions and transforms against numpy re-derivations (framing,
window and ``np.fft.rfft`` by hand; mel and DCT matrices applied with numpy), known properties
(Parseval, a tone's peak bin, stft/istft round trips, a stretched or shifted tone's frequency),
float64 finite-difference gradients, torchaudio's state_dict keys and errors."""

import functools
import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T
from ember.autograd import gradcheck
from ember.testing import assert_close

# torchaudio's default MelScale (128 mels over 201 bins) has empty filters, and says so
empty_filters = pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero")


def t64(array, requires_grad=False, device="cpu"):
    return ember.tensor(
        np.asarray(array, dtype=np.float64), requires_grad=requires_grad, device=device
    )


def np_hann(n):
    """The periodic Hann window as the modules hold it: float32 (``.double()`` widens it)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32).astype(float)


def np_stft(x, n_fft, hop, window, center=True, pad_mode="reflect", onesided=True):
    """(..., freq, frames) by hand: pad, cut frames, window (centred in n_fft), DFT."""
    win_length = len(window)
    left = (n_fft - win_length) // 2
    full_window = np.zeros(n_fft)
    full_window[left : left + win_length] = window
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = np.pad(x, pad, mode=pad_mode)
    starts = range(0, x.shape[-1] - n_fft + 1, hop)
    frames = np.stack([x[..., s : s + n_fft] * full_window for s in starts], axis=-2)
    spectrum = np.fft.rfft(frames) if onesided else np.fft.fft(frames)
    return np.swapaxes(spectrum, -1, -2)


# ------------------------------------------------------------------------------ spectrogram


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(n_fft=64, win_length=48, hop_length=10, pad=3),
        dict(n_fft=50, center=False, power=1.0),
        dict(n_fft=32, pad_mode="constant", power=3.0),
        dict(n_fft=32, power=None, onesided=False),
    ],
)
def test_spectrogram_matches_a_hand_made_stft(kwargs, device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 500))
    module = T.Spectrogram(**kwargs).double().to(device)
    assert module.window.device.type == device
    got = module(t64(x, device=device))
    assert got.device.type == device
    got = got.cpu().numpy()

    n_fft = kwargs.get("n_fft", 400)
    win_length = kwargs.get("win_length", n_fft)
    hop = kwargs.get("hop_length", win_length // 2)
    pad = kwargs.get("pad", 0)
    x = np.pad(x, [(0, 0), (0, 0), (pad, pad)])
    expected = np_stft(
        x,
        n_fft,
        hop,
        np_hann(win_length),
        kwargs.get("center", True),
        kwargs.get("pad_mode", "reflect"),
        kwargs.get("onesided", True),
    )
    power = kwargs.get("power", 2.0)
    if power is not None:
        expected = np.abs(expected) ** power
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_spectrogram_normalizations(device):
    x = np.random.default_rng(1).standard_normal(300)
    window = np_hann(64)
    plain = np.abs(np_stft(x, 64, 16, window))
    for normalized, scale in [
        (True, np.sqrt((window**2).sum())),
        ("window", np.sqrt((window**2).sum())),
        ("frame_length", np.sqrt(64)),
    ]:
        d = dict(device=device)
        got = F.spectrogram(t64(x, **d), 0, t64(window, **d), 64, 16, 64, 1.0, normalized)
        assert got.device.type == device
        assert_close(got, plain / scale, rtol=1e-10, atol=0)


def test_parseval_with_a_rectangular_window():
    # frames that tile the signal with a rectangular window: the energy of the spectrum over
    # n_fft (both halves: onesided=False) is the energy of the signal
    x = np.random.default_rng(2).standard_normal((3, 256))
    spec = F.spectrogram(t64(x), 0, t64(np.ones(32)), 32, 32, 32, 2.0, False, center=False,
                         onesided=False)  # fmt: skip
    np.testing.assert_allclose(spec.numpy().sum(axis=(-2, -1)) / 32, (x**2).sum(-1), rtol=1e-10)


def test_a_pure_tone_peaks_at_its_bin():
    sr, n_fft, k = 8000, 256, 19  # bin k is k * sr / n_fft Hz
    t = np.arange(4000) / sr
    x = np.sin(2 * np.pi * k * sr / n_fft * t).astype(np.float32)
    spec = T.Spectrogram(n_fft=n_fft)(ember.tensor(x))
    assert tuple(spec.shape) == (n_fft // 2 + 1, 4000 // (n_fft // 2) + 1)
    assert (spec.numpy()[:, 2:-2].argmax(0) == k).all()


def test_power_none_gives_the_complex_spectrum():
    x = ember.randn(2, 400)
    spec = T.Spectrogram(n_fft=128, power=None)(x)
    assert spec.dtype == ember.complex64
    np.testing.assert_allclose(spec.abs().numpy() ** 2, T.Spectrogram(128)(x).numpy(), rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [dict(n_fft=128), dict(n_fft=128, hop_length=32, pad=5, normalized=True),
     dict(n_fft=64, win_length=50, hop_length=16, normalized="frame_length")],
)  # fmt: skip
def test_inverse_spectrogram_inverts_spectrogram(kwargs, device):
    x = np.random.default_rng(3).standard_normal((2, 3, 700))
    spec = T.Spectrogram(power=None, **kwargs).double().to(device)(t64(x, device=device))
    y = T.InverseSpectrogram(**kwargs).double().to(device)(spec, 700)
    assert tuple(y.shape) == x.shape and y.device.type == device
    assert_close(y, x, atol=1e-10, rtol=0)


# -------------------------------------------------------------------------------- mel, MFCC


@empty_filters
def test_mel_spectrogram_is_the_filter_bank_over_the_spectrogram(device):
    x = np.random.default_rng(4).standard_normal((2, 1000))
    module = T.MelSpectrogram(8000, n_fft=256, n_mels=30, f_min=20.0, norm="slaney")
    module = module.double().to(device)
    assert module.mel_scale.fb.device.type == module.spectrogram.window.device.type == device
    fb = F.melscale_fbanks(129, 20.0, 4000.0, 30, 8000, "slaney").numpy().astype(np.float64)
    spec = np.abs(np_stft(x, 256, 128, np_hann(256))) ** 2
    assert_close(module(t64(x, device=device)), fb.T @ spec, rtol=1e-6, atol=1e-9)
    assert module.win_length == 256 and module.hop_length == 128


def np_dct(n_coefficients, n_filters):
    """Orthonormal DCT-II as a (n_filters, n_coefficients) matrix."""
    n, k = np.arange(n_filters), np.arange(n_coefficients)[:, None]
    dct = np.cos(np.pi / n_filters * (n + 0.5) * k) * np.sqrt(2.0 / n_filters)
    dct[0] /= np.sqrt(2.0)
    return dct.T


def np_db(x, top_db=80.0):
    db = 10 * np.log10(np.maximum(x, 1e-10))
    return np.maximum(db, db.max() - top_db)


@pytest.mark.parametrize("log_mels", [False, True])
def test_mfcc_is_the_dct_of_the_log_mel_spectrogram(log_mels, device):
    x = np.random.default_rng(5).standard_normal(1600)
    melkwargs = dict(n_fft=200, hop_length=80, n_mels=23)
    module = T.MFCC(16000, n_mfcc=13, log_mels=log_mels, melkwargs=melkwargs).double()
    module = module.to(device)
    assert module.dct_mat.device.type == device
    mel = T.MelSpectrogram(16000, **melkwargs).double()(t64(x)).numpy()
    logs = np.log(mel + 1e-6) if log_mels else np_db(mel)
    # the module's DCT matrix is float32: coefficients of ~100 keep ~1e-5
    assert_close(module(t64(x, device=device)), np_dct(13, 23).T @ logs, atol=1e-4, rtol=0)


def test_lfcc_is_the_dct_of_the_db_linear_filtered_spectrogram(device):
    x = np.random.default_rng(6).standard_normal(1600)
    module = T.LFCC(8000, n_filter=20, n_lfcc=10, speckwargs=dict(n_fft=128)).double()
    module = module.to(device)
    assert module.filter_mat.device.type == module.Spectrogram.window.device.type == device
    filters = F.linear_fbanks(65, 0.0, 4000.0, 20, 8000).numpy().astype(np.float64)
    spec = np.abs(np_stft(x, 128, 64, np_hann(128))) ** 2
    expected = np_dct(10, 20).T @ np_db(filters.T @ spec)
    assert_close(module(t64(x, device=device)), expected, atol=1e-4, rtol=0)


def test_inverse_mel_scale_is_the_minimum_norm_least_squares_solution(device):
    mel = np.random.default_rng(7).uniform(0, 1, (2, 3, 40, 6))
    module = T.InverseMelScale(201, n_mels=40).double()
    fb = module.fb.numpy()
    solution = np.linalg.lstsq(fb.T, mel.reshape(6, 40, 6).transpose(1, 0, 2).reshape(40, -1))[0]
    expected = np.maximum(solution, 0).reshape(201, 6, 6).transpose(1, 0, 2).reshape(2, 3, 201, 6)
    got = module.to(device)(t64(mel, device=device))
    assert tuple(got.shape) == (2, 3, 201, 6) and got.device.type == device
    assert_close(got, expected, atol=1e-8, rtol=0)


# ------------------------------------------------------------------- phase: Griffin-Lim etc.


def spectral_convergence(waveform, target, n_fft):
    spec = T.Spectrogram(n_fft, power=1.0).double()(waveform.cpu()).numpy()
    return np.linalg.norm(spec - target) / np.linalg.norm(target)


def test_griffinlim_recovers_a_consistent_phase(device):
    # the spectral convergence |S(GL(|S|)) - |S|| / |S| of noise falls with the iterations
    x = np.random.default_rng(11).standard_normal(4000)
    target = T.Spectrogram(256, power=1.0).double()(t64(x)).numpy()
    errors = []
    for n in [0, 4, 32]:
        module = T.GriffinLim(256, n_iter=n, power=1.0, length=4000, rand_init=False)
        waveform = module.double().to(device)(t64(target, device=device))
        assert waveform.device.type == device and tuple(waveform.shape) == (4000,)
        errors.append(spectral_convergence(waveform, target, 256))
    assert errors[0] > 0.5 and errors[0] > errors[1] > errors[2] and errors[2] < 0.15


def test_griffinlim_random_init_and_shapes(device):
    spec = ember.rand(2, 3, 65, 10, device=device)
    ember.manual_seed(0)
    a = T.GriffinLim(128, n_iter=2).to(device)(spec)
    ember.manual_seed(0)
    b = T.GriffinLim(128, n_iter=2).to(device)(spec)
    assert tuple(a.shape) == (2, 3, 64 * 9) and a.dtype == ember.float32
    assert a.device.type == device
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert tuple(T.GriffinLim(128, n_iter=1, length=600).to(device)(spec).shape) == (2, 3, 600)


@pytest.mark.parametrize("rate, frames", [(2.0, 10), (0.5, 40), (1.3, 16)])
def test_time_stretch_keeps_a_tone_and_changes_the_frame_count(rate, frames, device):
    t = np.arange(20 * 64) / 8000
    x = ember.tensor(np.sin(2 * np.pi * 1000 * t), dtype=ember.float32, device=device)
    spec = T.Spectrogram(128, hop_length=64, power=None).to(device)(x)[..., :20]
    stretched = T.TimeStretch(hop_length=64, n_freq=65).to(device)(spec, rate)
    assert tuple(stretched.shape) == (65, frames) == (65, math.ceil(20 / rate))
    assert stretched.dtype == ember.complex64 and stretched.device.type == device
    assert (stretched.abs().cpu().numpy()[:, 2:-2].argmax(0) == 16).all()  # 1000 Hz = bin 16
    assert T.TimeStretch(fixed_rate=1.0)(spec) is spec


def test_pitch_shift_by_an_octave_doubles_the_frequency(device):
    sr = 8000
    t = np.arange(4000) / sr
    x = ember.tensor(np.sin(2 * np.pi * 500 * t), dtype=ember.float32, device=device)[None]
    for n_steps, expected_hz in [(12, 1000), (-12, 250)]:
        module = T.PitchShift(sr, n_steps).to(device)
        assert module.kernel.device.type == module.window.device.type == device
        y = module(x).detach()
        assert tuple(y.shape) == (1, 4000) and y.device.type == device
        spectrum = np.abs(np.fft.rfft(y.cpu().numpy()[0, 500:3500]))
        assert abs(spectrum.argmax() * sr / 3000 - expected_hz) <= sr / 3000
        z = F.pitch_shift(x, sr, n_steps)
        assert z.device.type == device
        assert_close(z, y, atol=1e-4, rtol=0)


def test_spectral_centroid_is_the_magnitude_weighted_frequency(device):
    x = np.random.default_rng(8).standard_normal((2, 800))
    got = T.SpectralCentroid(8000, n_fft=128).double().to(device)(t64(x, device=device))
    assert got.device.type == device
    got = got.cpu().numpy()
    spec = np.abs(np_stft(x, 128, 64, np_hann(128)))
    freqs = np.linspace(0, 4000, 65)[:, None]
    np.testing.assert_allclose(got, (freqs * spec).sum(-2) / spec.sum(-2), rtol=1e-5)


def test_detect_pitch_frequency_of_tones(device):
    sr = 8000
    t = np.arange(sr) / sr
    tones = np.stack([np.sin(2 * np.pi * f * t) for f in [200, 400]])
    x = ember.tensor(tones, dtype=ember.float32, device=device)
    pitch = F.detect_pitch_frequency(x, sr)
    # 10 ms frames: 100, less the 15 that median smoothing over 30 frames drops
    assert tuple(pitch.shape) == (2, 85) and pitch.dtype == ember.float32
    assert pitch.device.type == device
    np.testing.assert_allclose(pitch.cpu().numpy()[:, 5:-5].mean(-1), [200, 400], rtol=0.03)


# ------------------------------------------------------------------------------- gradients


def test_gradients_by_finite_differences():
    x = t64(np.random.default_rng(9).uniform(-1, 1, (2, 40)), requires_grad=True)
    spectrogram = T.Spectrogram(16, hop_length=4, power=1.5).double()
    mel = T.MelSpectrogram(4000, n_fft=16, hop_length=8, n_mels=5).double()
    mfcc = T.MFCC(4000, n_mfcc=4, melkwargs=dict(n_fft=16, hop_length=8, n_mels=5)).double()
    lfcc = T.LFCC(4000, n_filter=5, n_lfcc=4, speckwargs=dict(n_fft=16, hop_length=8)).double()
    centroid = T.SpectralCentroid(4000, n_fft=16, hop_length=8).double()
    for module in [spectrogram, mel, mfcc, lfcc, centroid]:
        assert gradcheck(module, (x,))
    complex_spec = T.Spectrogram(16, hop_length=4, power=None, normalized=True).double()
    assert gradcheck(lambda x: ember.view_as_real(complex_spec(x)), (x,))


def test_gradients_of_the_inverses_by_finite_differences():
    rng = np.random.default_rng(10)
    re, im = (t64(rng.standard_normal((2, 9, 5)), requires_grad=True) for _ in range(2))
    inverse = T.InverseSpectrogram(16, hop_length=4).double()
    assert gradcheck(lambda re, im: inverse(ember.complex(re, im), 20), (re, im))
    advance = ember.linspace(0, math.pi * 4, 9, dtype=ember.float64)[..., None]
    assert gradcheck(
        lambda re, im: ember.view_as_real(F.phase_vocoder(ember.complex(re, im), 1.4, advance)),
        (re, im),
    )
    magnitude = t64(rng.uniform(0.5, 2.0, (1, 9, 5)), requires_grad=True)
    griffinlim = T.GriffinLim(16, n_iter=2, hop_length=4, rand_init=False).double()
    assert gradcheck(griffinlim, (magnitude,))


def _value_and_grads(fn, arrays, device):
    """``fn`` of float64 tensors on ``device``, and the gradient of every input for a fixed
    random cotangent, as numpy arrays."""
    inputs = [t64(a, requires_grad=True, device=device) for a in arrays]
    out = fn(*inputs)
    assert out.device.type == device
    cotangent = np.random.default_rng(12).standard_normal(tuple(out.shape))
    out.backward(t64(cotangent, device=device))
    assert all(t.grad.device.type == device for t in inputs)
    return [out.detach().cpu().numpy()] + [t.grad.cpu().numpy() for t in inputs]


def test_values_and_gradients_on_device(device):
    # each transform's buffers moved with .to(device); values and gradients against the CPU
    # (whose gradients the finite differences above check)
    rng = np.random.default_rng(13)
    x = rng.uniform(-1, 1, (2, 40))
    re, im = rng.standard_normal((2, 9, 5)), rng.standard_normal((2, 9, 5))
    magnitude = rng.uniform(0.5, 2.0, (1, 9, 5))
    cases = {
        "spectrogram": (lambda: T.Spectrogram(16, hop_length=4, power=1.5), (x,)),
        "mel": (lambda: T.MelSpectrogram(4000, n_fft=16, hop_length=8, n_mels=5), (x,)),
        "mfcc": (
            lambda: T.MFCC(4000, n_mfcc=4, melkwargs=dict(n_fft=16, hop_length=8, n_mels=5)),
            (x,),
        ),
        "lfcc": (
            lambda: T.LFCC(4000, n_filter=5, n_lfcc=4, speckwargs=dict(n_fft=16, hop_length=8)),
            (x,),
        ),
        "centroid": (lambda: T.SpectralCentroid(4000, n_fft=16, hop_length=8), (x,)),
        "complex": (
            lambda: T.Spectrogram(16, hop_length=4, power=None, normalized=True),
            (x,),
            lambda module, x: ember.view_as_real(module(x)),
        ),
        "inverse": (
            lambda: T.InverseSpectrogram(16, hop_length=4),
            (re, im),
            lambda module, re, im: module(ember.complex(re, im), 20),
        ),
        "time_stretch": (
            lambda: T.TimeStretch(hop_length=4, n_freq=9),
            (re, im),
            lambda module, re, im: ember.view_as_real(module(ember.complex(re, im), 1.4)),
        ),
        "griffinlim": (
            lambda: T.GriffinLim(16, n_iter=2, hop_length=4, rand_init=False),
            (magnitude,),
        ),
        "amplitude_to_db": (lambda: T.AmplitudeToDB(top_db=20.0), (magnitude,)),
    }
    for name, (build, arrays, *call) in cases.items():
        call = call[0] if call else (lambda module, *inputs: module(*inputs))
        results = []
        for dev in ("cpu", device):
            module = build().double().to(dev)
            results.append(_value_and_grads(functools.partial(call, module), arrays, dev))
        for got, want in zip(results[1], results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=name)


# ------------------------------------------------------------------- buffers and arguments


@empty_filters
def test_state_dict_keys_are_torchaudios():
    # the keys torchaudio 2.11 gives for the same modules
    expected = {
        T.Spectrogram(): ["window"],
        T.InverseSpectrogram(): ["window"],
        T.GriffinLim(): ["window"],
        T.MelSpectrogram(): ["spectrogram.window", "mel_scale.fb"],
        T.MFCC(): ["dct_mat", "MelSpectrogram.spectrogram.window", "MelSpectrogram.mel_scale.fb"],
        T.LFCC(): ["filter_mat", "dct_mat", "Spectrogram.window"],
        T.InverseMelScale(201): ["fb"],
        T.SpectralCentroid(16000): ["window"],
        T.TimeStretch(): ["phase_advance"],
        T.PitchShift(16000, 12): ["kernel", "window"],
        T.PitchShift(16000, 0): ["window"],
    }
    for module, keys in expected.items():
        assert list(module.state_dict()) == keys, type(module).__name__
    mfcc = T.MFCC(n_mfcc=13, melkwargs=dict(n_fft=512, n_mels=64))
    shapes = {k: tuple(v.shape) for k, v in mfcc.state_dict().items()}
    assert shapes == {
        "dct_mat": (64, 13),
        "MelSpectrogram.spectrogram.window": (512,),
        "MelSpectrogram.mel_scale.fb": (257, 64),
    }
    assert tuple(T.TimeStretch(n_freq=129).phase_advance.shape) == (129, 1)
    assert [name for name, _ in T.PitchShift(16000, 12).named_parameters()] == ["kernel"]


@empty_filters
def test_defaults_are_torchaudios():
    spec = T.Spectrogram()
    assert (spec.n_fft, spec.win_length, spec.hop_length, spec.power) == (400, 400, 200, 2.0)
    np.testing.assert_array_equal(spec.window.numpy(), ember.hann_window(400).numpy())
    window = T.Spectrogram(win_length=300, window_fn=ember.hamming_window,
                           wkwargs={"periodic": False}).window  # fmt: skip
    np.testing.assert_array_equal(window.numpy(), ember.hamming_window(300, False).numpy())
    assert T.PitchShift(16000, 0, n_fft=256, win_length=200).hop_length == 50
    assert T.InverseMelScale(201, f_max=0.0).f_max == 8000.0  # torchaudio's `f_max or ...`
    mfcc = T.MFCC()
    assert (mfcc.top_db, mfcc.amplitude_to_DB.top_db, mfcc.MelSpectrogram.n_mels) == (80, 80, 128)


@empty_filters
def test_errors_and_warnings():
    x = ember.randn(2, 500)
    with pytest.raises(ValueError, match=r"Invalid normalized parameter: frame"):
        T.Spectrogram(normalized="frame")(x)
    with pytest.raises(TypeError, match=r"Input type not supported"):
        T.Spectrogram(normalized=1)(x)
    with pytest.raises(ValueError, match=r"Expected `spectrogram` to be complex dtype"):
        T.InverseSpectrogram()(x)
    with pytest.raises(ValueError, match=r"momentum must be in the range \[0, 1\). Found: 1.0"):
        T.GriffinLim(momentum=1.0)
    with pytest.raises(ValueError, match=r"momentum must be in range \[0, 1\). Found: -1"):
        F.griffinlim(x, None, 4, 1, 4, 2.0, 1, -1, None, False)
    with pytest.raises(ValueError, match=r"DCT type not supported: 3"):
        T.MFCC(dct_type=3)
    with pytest.raises(ValueError, match=r"Cannot select more MFCC coefficients than # mel"):
        T.MFCC(n_mfcc=30, melkwargs={"n_mels": 20})
    with pytest.raises(ValueError, match=r"Cannot select more LFCC coefficients than # fft"):
        T.LFCC(n_lfcc=50, speckwargs={"n_fft": 40})
    with pytest.raises(ValueError, match=r"If no fixed_rate is specified"):
        T.TimeStretch()(T.Spectrogram(power=None)(x))
    with pytest.warns(UserWarning, match=r"The input to TimeStretch must be complex type"):
        T.TimeStretch(fixed_rate=1.5)(T.Spectrogram()(x))
    with pytest.raises(ValueError, match=r'driver must be one of \["gels", '):
        T.InverseMelScale(201, driver="lu")
    with pytest.raises(ValueError, match=r"Require f_min: 9000.0 <= f_max: 8000.0"):
        T.InverseMelScale(201, f_min=9000.0)
    with pytest.raises(ValueError, match=r"Expected an input with 40 mel bins. Found: 39"):
        T.InverseMelScale(201, n_mels=40)(ember.rand(39, 3))
    with pytest.raises(RuntimeError, match=r"same dtype"):
        T.InverseMelScale(201, n_mels=40)(ember.rand(40, 3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"does not have full rank"):
        T.InverseMelScale(201)(ember.rand(128, 3))
    assert tuple(T.InverseMelScale(201, driver="gelsd")(ember.rand(128, 3)).shape) == (201, 3)
    with pytest.warns(UserWarning, match=r"Argument 'onesided' has been deprecated"):
        T.MelSpectrogram(onesided=True)
    with pytest.warns(UserWarning, match=r"`return_complex` argument is now deprecated"):
        T.Spectrogram(return_complex=True)
    with pytest.warns(UserWarning, match=r"`return_complex` argument is now deprecated"):
        F.spectrogram(x, 0, ember.hann_window(64), 64, 16, 64, 2.0, False, return_complex=True)
    with pytest.raises(RuntimeError, match=r"n_fft"):  # ember.stft's own check
        T.Spectrogram(n_fft=1000, center=False)(x)


def test_transforms_run_on_the_signal_device(device):
    x = ember.rand(2, 800, device=device)
    spec = T.Spectrogram(128, power=None).to(device)(x)
    for y in [
        spec,
        T.MelSpectrogram(8000, 128, n_mels=20).to(device)(x),
        T.MFCC(8000, 13, melkwargs=dict(n_fft=128, n_mels=20)).to(device)(x),
        T.InverseSpectrogram(128).to(device)(spec),
        T.TimeStretch(64, 65, 1.2).to(device)(spec),
        T.GriffinLim(128, n_iter=2).to(device)(spec.abs()),
    ]:
        assert y.device == x.device
    cpu = T.Spectrogram(128).to("cpu")(x.cpu()).numpy()
    np.testing.assert_allclose(T.Spectrogram(128).to(device)(x).cpu().numpy(), cpu, rtol=1e-4)
