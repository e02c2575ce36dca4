"""Parity of emberaudio.functional.filtering (and transforms.Loudness) with torchaudio 2.11,
through the harness in conftest.py with ``AF(fw)`` the filtering functions of each framework.

Without its C++ extension, torchaudio's ``lfilter`` backward fails (its Python loop writes
into a tensor saved for backward), so everything built on ``lfilter`` is compared forward
only; gradients are compared for the effects whose torchaudio backward works.
"""

import numpy as np
import pytest
import torch

import ember
from emberaudio.functional import filtering
from emberaudio.transforms._filtering import Loudness

# the parity environment may have torch without torchaudio
torchaudio = pytest.importorskip("torchaudio")

F32, F64 = np.float32, np.float64

# float32: torchaudio and ember both normalise the coefficients and run the FIR part in
# float32, and low-frequency poles amplify those roundings (each is ~1e-5 off the exact
# filter); float64: both are exact to rounding
TOL = {F32: dict(rtol=1e-4, atol=5e-5), F64: dict(rtol=1e-9, atol=1e-10)}
# the K-weighting high-pass (38 Hz at 48 kHz, poles at 0.995) amplifies them 4e4 times at DC
LOOSE = {F32: dict(rtol=1e-3, atol=3e-4), F64: dict(rtol=1e-7, atol=1e-8)}


def AF(fw):
    return filtering if fw is ember else torchaudio.functional


def signal(parity, *shape, dtype=F32, scale=0.5):
    return parity.uniform(-scale, scale, *shape, dtype=dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("clamp", [True, False])
def test_lfilter_1d_coefficients(parity, dtype, clamp):
    x = signal(parity, 2, 3, 3000, dtype=dtype)
    a = np.array([1.0, -1.8, 0.81], dtype=dtype)  # double pole at 0.9
    b = np.array([0.2, 0.4, 0.2], dtype=dtype)
    parity.check(
        lambda fw, x, a, b: AF(fw).lfilter(x, a, b, clamp), x, a, b, grad=False, **TOL[dtype]
    )


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("batching", [True, False])
def test_lfilter_2d_coefficients(parity, dtype, batching):
    x = signal(parity, 2, 3, 2000, dtype=dtype)
    a = np.array([[1.0, -0.5, 0.2, 0.0], [2.0, 0.3, 0.1, -0.1], [1.0, -1.2, 0.5, 0.0]], dtype=dtype)
    b = parity.randn(3, 4, dtype=dtype) * 0.3
    parity.check(
        lambda fw, x, a, b: AF(fw).lfilter(x, a, b, batching=batching),
        x,
        a,
        b,
        grad=False,
        **TOL[dtype],
    )


@pytest.mark.parametrize("dtype", [F32, F64])
def test_filtfilt(parity, dtype):
    x = signal(parity, 2, 2500, dtype=dtype)
    a = np.array([1.0, -1.6, 0.7], dtype=dtype)
    b = np.array([0.05, 0.1, 0.05], dtype=dtype)
    for clamp in (True, False):
        parity.check(
            lambda fw, x, a, b, clamp=clamp: AF(fw).filtfilt(x, a, b, clamp),
            x,
            a,
            b,
            grad=False,
            **TOL[dtype],
        )


DESIGNS = [
    ("allpass_biquad", (16000, 1000.0)),
    ("allpass_biquad", (44100, 300.0, 2.0)),
    ("band_biquad", (16000, 1000.0)),
    ("band_biquad", (16000, 1500.0, 2.0, True)),
    ("bandpass_biquad", (16000, 1000.0)),
    ("bandpass_biquad", (22050, 800.0, 3.0, True)),
    ("bandreject_biquad", (16000, 700.0)),
    ("bandreject_biquad", (8000, 1000.0, 4.0)),
    ("bass_biquad", (16000, 6.0)),
    ("bass_biquad", (44100, -3.0, 200.0, 1.2)),
    ("biquad", (0.3, 0.2, 0.1, 1.2, -0.5, 0.2)),
    ("deemph_biquad", (44100,)),
    ("deemph_biquad", (48000,)),
    ("equalizer_biquad", (16000, 1000.0, 5.0)),
    ("equalizer_biquad", (44100, 3000.0, -8.0, 3.0)),
    ("highpass_biquad", (16000, 300.0)),
    ("highpass_biquad", (48000, 38.0, 0.5)),
    ("lowpass_biquad", (16000, 300.0)),
    ("lowpass_biquad", (16000, 4000.0, 5.0)),
    ("riaa_biquad", (44100,)),
    ("riaa_biquad", (48000,)),
    ("riaa_biquad", (88200,)),
    ("riaa_biquad", (96000,)),
    ("treble_biquad", (16000, 6.0)),
    ("treble_biquad", (44100, -4.0, 5000.0, 0.5)),
]


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("name, args", DESIGNS, ids=[f"{n}{a}" for n, a in DESIGNS])
def test_biquad_designs(parity, name, args, dtype):
    x = signal(parity, 2, 4000, dtype=dtype)
    tol = LOOSE[dtype] if args[:2] == (48000, 38.0) else TOL[dtype]
    parity.check(lambda fw, x: getattr(AF(fw), name)(x, *args), x, grad=False, **tol)


def test_biquad_designs_take_tensor_parameters(parity):
    x = signal(parity, 1, 2000, dtype=F64)
    freq, q, gain = np.array(900.0), np.array(1.3), np.array(4.0)
    parity.check(
        lambda fw, x, f, q: AF(fw).lowpass_biquad(x, 8000, f, q), x, freq, q, grad=False, **TOL[F64]
    )
    parity.check(
        lambda fw, x, g, f: AF(fw).treble_biquad(x, 8000, g, f),
        x,
        gain,
        freq,
        grad=False,
        **TOL[F64],
    )


@pytest.mark.parametrize("amount", [75.0, 0.0, 100.0])
def test_contrast(parity, amount):
    x = signal(parity, 2, 500, scale=1.0)
    parity.check(lambda fw, x: AF(fw).contrast(x, amount), x, atol=2e-7)


@pytest.mark.parametrize(
    "shift, limiter_gain", [(0.5, None), (-0.3, None), (0.5, 0.05), (-0.6, 0.02)]
)
def test_dcshift(parity, shift, limiter_gain):
    x = signal(parity, 2, 500, scale=1.0)
    # torchaudio writes into its input when limiting: no gradient to compare
    parity.check(lambda fw, x: AF(fw).dcshift(x, shift, limiter_gain), x, grad=False)


def test_gain(parity):
    x = signal(parity, 2, 100)
    for gain_db in (1.0, -6.0, 0.0):
        parity.check(lambda fw, x, gain_db=gain_db: AF(fw).gain(x, gain_db), x)


@pytest.mark.parametrize("args", [(), (30, 50), (5.0, 0.0)])
def test_overdrive(parity, args):
    x = signal(parity, 2, 3, 1500, scale=0.3)
    # gradients: float32 sums over the recursion's long tail, in another order than the loop's
    parity.check(
        lambda fw, x: AF(fw).overdrive(x, *args), x, atol=2e-6, grad_rtol=3e-4, grad_atol=1e-4
    )


@pytest.mark.parametrize(
    "args",
    [(16000,), (8000, 0.6, 0.8, 4.0, 0.7, 1.5, False), (44100, 0.3, 0.9, 1.0, 0.2, 0.1, True)],
)
def test_phaser(parity, args):
    x = signal(parity, 2, 4000)
    parity.check(lambda fw, x: AF(fw).phaser(x, *args), x, atol=1e-6, grad_atol=1e-5)


def test_dither_tpdf_is_deterministic(parity):
    x = signal(parity, 2, 3, 400)
    parity.check(lambda fw, x: AF(fw).dither(x), x, grad=False)
    parity.check(lambda fw, x: AF(fw).dither(x, "TPDF", True), x, grad=False)


@pytest.mark.parametrize("density", ["RPDF", "GPDF"])
def test_dither_random_offsets_have_torchaudios_distribution(parity, density):
    # one offset for the whole signal, built from randomly chosen samples of the signal:
    # compare the offsets' spread over many draws, not the bits
    x = signal(parity, 3, 200)
    offsets = {}
    for fw in (ember, torch):
        draws = []
        for _ in range(300):
            y = AF(fw).dither(fw.from_numpy(x.copy()), density).numpy() * 2**15
            draws.append(np.median(y - x * (2**15 - 2)))
        offsets[fw.__name__] = np.array(draws)
    e, t = offsets["ember"], offsets["torch"]
    assert abs(e.mean() - t.mean()) < 0.25 + 0.3 * t.std()
    assert 0.5 < (e.std() + 1e-3) / (t.std() + 1e-3) < 2


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape, sample_rate", [((2, 16000), 16000), ((2, 3, 20000), 44100)])
def test_loudness(parity, shape, sample_rate, dtype):
    x = signal(parity, *shape, dtype=dtype, scale=0.3)
    x[..., : shape[-1] // 4] *= 1e-3  # quiet blocks for the gates to drop
    tol = dict(rtol=1e-5, atol=1e-4) if dtype == F32 else TOL[dtype]
    parity.check(lambda fw, x: AF(fw).loudness(x, sample_rate), x, grad=False, **tol)
    parity.check(
        lambda fw, x: (Loudness if fw is ember else torchaudio.transforms.Loudness)(sample_rate)(x),
        x,
        grad=False,
        **tol,
    )


def test_errors_have_torchaudios_types(parity):
    x = signal(parity, 2, 100)
    a2, b3 = np.array([1.0, 0.5], F32), np.array([1.0, 0.5, 0.2], F32)
    parity.raises(lambda fw, x, a, b: AF(fw).lfilter(x, a, b), x, a2, b3)
    a3d = np.ones((1, 2, 2), F32)
    parity.raises(lambda fw, x, a: AF(fw).lfilter(x, a, a), x, a3d)
    a2d = np.ones((3, 2), F32)
    parity.raises(lambda fw, x, a: AF(fw).lfilter(x, a, a), x, a2d)
    parity.raises(lambda fw, x: AF(fw).contrast(x, 120.0), x)
    parity.raises(lambda fw, x: AF(fw).deemph_biquad(x, 16000), x)
    parity.raises(lambda fw, x: AF(fw).riaa_biquad(x, 22050), x)
    parity.raises(lambda fw, x: AF(fw).loudness(x, 16000), signal(parity, 6, 8000))
    parity.raises(lambda fw, x: AF(fw).loudness(x, 16000), x)
