"""Parity of emberaudio with torchaudio 2.11: filter banks, DCT, decibels, mu-law, resampling
kernels and outputs, deltas, emphasis filters, convolution, noise, the transforms' buffers
(state_dict) and Wav2Letter, through the harness in conftest.py with ``A(fw)`` the audio
package of each framework."""

import math

import numpy as np
import pytest
import torch

import ember
import emberaudio

# the parity environment may have torch without torchaudio
torchaudio = pytest.importorskip("torchaudio")

F32, F64 = np.float32, np.float64


def A(fw):
    return emberaudio if fw is ember else torchaudio


# ember.linspace rounds float64 values to float32; torch's float32 linspace accumulates in
# float32. The filter-bank corners therefore differ by a few float32 ulps.
FBANK = dict(rtol=1e-4, atol=5e-5)


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
@pytest.mark.parametrize(
    "args",
    [
        (201, 0.0, 8000.0, 128, 16000, None, "htk"),
        (201, 0.0, 8000.0, 40, 16000, "slaney", "slaney"),
        (513, 20.0, 11025.0, 80, 22050, None, "slaney"),
        (257, 300.0, 4000.0, 23, 8000, "slaney", "htk"),
    ],
)
def test_melscale_fbanks(parity, args):
    parity.check(lambda fw: A(fw).functional.melscale_fbanks(*args), **FBANK)


def test_linear_fbanks_and_dct(parity):
    parity.check(lambda fw: A(fw).functional.linear_fbanks(201, 10.0, 7000.0, 30, 16000), **FBANK)
    for norm in [None, "ortho"]:
        parity.check(lambda fw, norm=norm: A(fw).functional.create_dct(13, 40, norm), atol=1e-6)


@pytest.mark.parametrize("shape", [(6, 7), (3, 6, 7), (2, 3, 6, 7), (2, 2, 3, 6, 7)])
@pytest.mark.parametrize("top_db", [None, 20.0])
def test_amplitude_to_db(parity, shape, top_db):
    x = parity.uniform(1e-4, 1.0, *shape)
    x[0] *= 1e-3  # a quieter first item: per-item cut-offs differ from a global one
    parity.check(
        lambda fw, x: A(fw).functional.amplitude_to_DB(x, 10.0, 1e-10, 0.0, top_db), x, rtol=1e-5
    )
    parity.check(lambda fw, x: A(fw).transforms.AmplitudeToDB("magnitude", top_db)(x), x)


def test_db_to_amplitude_and_gain(parity):
    x = parity.randn(3, 8)
    parity.check(lambda fw, x: A(fw).functional.DB_to_amplitude(x, 2.0, 0.5), x)
    parity.check(lambda fw, x: A(fw).functional.gain(x, -3.0), x)


def test_mu_law(parity):
    x = parity.uniform(-1, 1, 4, 500)
    parity.check(lambda fw, x: A(fw).functional.mu_law_encoding(x, 256), x, grad=False)
    codes = parity.integers(0, 256, 4, 50)
    parity.check(lambda fw, q: A(fw).transforms.MuLawDecoding(256)(q), codes)
    q = parity.uniform(0, 255, 3, 9)
    parity.check(lambda fw, q: A(fw).functional.mu_law_decoding(q, 256), q)


RESAMPLINGS = [
    (16000, 8000, "sinc_interp_hann", None),
    (8000, 16000, "sinc_interp_kaiser", None),
    (44100, 16000, "sinc_interp_hann", None),
    (3, 5, "sinc_interp_kaiser", 8.0),
]


@pytest.mark.parametrize("orig, new, method, beta", RESAMPLINGS)
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_resample_kernels_are_torchaudios(parity, orig, new, method, beta, dtype):
    def kernel(fw):
        module = A(fw).transforms.Resample(
            orig, new, method, beta=beta, dtype=None if dtype is None else getattr(fw, dtype)
        )
        return module.state_dict()["kernel"], module.width

    parity.check(kernel, atol=1e-7)


@pytest.mark.parametrize("orig, new, method, beta", RESAMPLINGS)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_resample(parity, orig, new, method, beta, dtype):
    x = parity.randn(2, 3, 300, dtype=dtype)
    parity.check(
        lambda fw, x: A(fw).functional.resample(x, orig, new, resampling_method=method, beta=beta),
        x,
        rtol=1e-4,
        atol=1e-5,
    )


def test_speed(parity):
    x = parity.randn(2, 1000)
    lengths = np.array([1000, 400])
    parity.check(lambda fw, x, n: A(fw).functional.speed(x, 16000, 1.1, n), x, lengths, atol=1e-5)
    parity.check(lambda fw, x: A(fw).transforms.Speed(16000, 0.9)(x)[0], x, atol=1e-5)


@pytest.mark.parametrize("win_length, mode", [(5, "replicate"), (3, "constant"), (9, "reflect")])
def test_compute_deltas(parity, win_length, mode):
    x = parity.randn(2, 4, 30)
    parity.check(lambda fw, x: A(fw).functional.compute_deltas(x, win_length, mode), x)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_emphasis(parity, dtype):
    x = parity.uniform(-0.05, 0.05, 2, 3, 700, dtype=dtype)
    parity.check(lambda fw, x: A(fw).functional.preemphasis(x, 0.9), x)
    # forward only: without its C++ extension, torchaudio's lfilter backward fails (its Python
    # fallback loop writes in place into a tensor saved for backward); ember's gradient is
    # checked by finite differences in tests/audio/test_functional.py
    deemph = dict(grad=False, rtol=1e-4, atol=1e-6)
    parity.check(lambda fw, x: A(fw).transforms.Deemphasis(0.95)(x), x, **deemph)
    loud = parity.uniform(-1, 1, 2, 200, dtype=dtype)  # clamped by lfilter's default
    parity.check(lambda fw, x: A(fw).functional.deemphasis(x), loud, **deemph)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve(parity, mode):
    x, y = parity.randn(2, 1, 40), parity.randn(1, 3, 7)
    parity.check(lambda fw, x, y: A(fw).functional.convolve(x, y, mode), x, y, atol=1e-5)
    parity.check(lambda fw, x, y: A(fw).transforms.Convolve(mode)(y, x), x, y, atol=1e-5)
    parity.check(lambda fw, x, y: A(fw).functional.fftconvolve(x, y, mode), x, y, atol=1e-5)
    parity.check(lambda fw, x, y: A(fw).transforms.FFTConvolve(mode)(y, x), x, y, atol=1e-5)


def test_add_noise(parity):
    x, n, snr = parity.randn(3, 100), parity.randn(3, 100), parity.uniform(-5, 20, 3)
    lengths = np.array([100, 50, 7])
    parity.check(lambda fw, x, n, s: A(fw).functional.add_noise(x, n, s), x, n, snr, rtol=1e-4)
    parity.check(
        lambda fw, x, n, s, L: A(fw).transforms.AddNoise()(x, n, s, L),
        x,
        n,
        snr,
        lengths,
        rtol=1e-4,
    )


@pytest.mark.parametrize(
    "shape", ["linear", "exponential", "logarithmic", "quarter_sine", "half_sine"]
)
def test_fade(parity, shape):
    x = parity.randn(2, 50)
    parity.check(lambda fw, x: A(fw).transforms.Fade(12, 7, shape)(x), x)


@pytest.mark.parametrize("gain, gain_type", [(0.5, "amplitude"), (6.0, "db"), (2.0, "power")])
def test_vol(parity, gain, gain_type):
    x = parity.uniform(-0.8, 0.8, 2, 30)
    parity.check(lambda fw, x: A(fw).transforms.Vol(gain, gain_type)(x), x)


def test_melscale_module(parity):
    spec = parity.uniform(0, 1, 2, 129, 11)

    def mel(fw, spec):
        module = A(fw).transforms.MelScale(40, 8000, 50.0, None, 129, "slaney", "slaney")
        return module(spec), module.state_dict()["fb"]

    parity.check(mel, spec, rtol=1e-4, atol=5e-5)


def test_masks_with_a_full_width_interval(parity):
    # p caps the mask at one column, so the drawn width is 0 and nothing changes, in both
    x = parity.randn(2, 10, 20)
    parity.check(lambda fw, x: A(fw).functional.mask_along_axis(x, 5, 0.0, 2, p=0.05), x)
    parity.check(lambda fw, x: A(fw).functional.mask_along_axis_iid(x, 5, 0.0, 1, p=0.05), x)


def test_errors_have_torchaudios_types(parity):
    x = parity.randn(1, 20)
    parity.raises(lambda fw, x: A(fw).functional.resample(x, 44100, 5512.5), x)
    parity.raises(lambda fw, x: A(fw).functional.resample(x, 2, 3, resampling_method="x"), x)
    parity.raises(lambda fw, x: A(fw).functional.compute_deltas(x, 2), x)
    parity.raises(lambda fw, x: A(fw).functional.mask_along_axis(x, 2, 0.0, 2), x)
    parity.raises(lambda fw, x: A(fw).functional.convolve(x, x[0]), x)
    parity.raises(lambda fw, x: A(fw).functional.melscale_fbanks(10, 0, 1, 2, 4, "x"), x)
    parity.raises(lambda fw, x: A(fw).transforms.AmplitudeToDB(top_db=-1), x)
    parity.raises(lambda fw, x: A(fw).transforms.Vol(-1.0), x)


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        (dict(num_classes=10, num_features=1), (2, 1, 2000)),
        (dict(num_classes=7, input_type="mfcc", num_features=13), (2, 13, 30)),
    ],
)
def test_wav2letter(parity, kwargs, shape):
    torch.manual_seed(0)
    reference = torchaudio.models.Wav2Letter(**kwargs)
    model = emberaudio.models.Wav2Letter(**kwargs)
    state = reference.state_dict()
    assert list(model.state_dict()) == list(state)
    model.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in state.items()})
    models = {"ember": model, "torch": reference}
    x = parity.randn(*shape)
    parity.check(lambda fw, x: models[fw.__name__](x), x, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ STFT-based functions


def cplx(parity, *shape, dtype=np.complex64):
    return (parity.randn(*shape, dtype=np.float64) + 1j * parity.randn(*shape)).astype(dtype)


def real_view(fw, x):
    """A complex output as (..., 2) reals, so the harness also compares its gradients."""
    return fw.view_as_real(x) if x.is_complex() else x


# power spectra reach (sum of the window)**2 ~ 1e4: compare relative to that scale
SPEC = dict(rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(n_fft=256, win_length=200, hop_length=64, pad=3, power=1.0, normalized=True),
        dict(n_fft=128, power=None, normalized="frame_length"),
        dict(n_fft=128, hop_length=50, power=None, onesided=False, normalized="window"),
        dict(n_fft=100, center=False, power=3.0),
        dict(n_fft=64, pad_mode="constant", wkwargs={"periodic": False}),
    ],
)
@pytest.mark.parametrize("shape", [(1000,), (2, 3, 1000)])
def test_spectrogram(parity, kwargs, shape):
    x = parity.randn(*shape)
    parity.check(lambda fw, x: real_view(fw, A(fw).transforms.Spectrogram(**kwargs)(x)), x, **SPEC)


def test_spectrogram_functional_float64_and_other_windows(parity):
    x = parity.randn(2, 700, dtype=F64)

    def spec(fw, x):
        window = fw.hamming_window(120, dtype=fw.float64)
        return A(fw).functional.spectrogram(x, 2, window, 160, 40, 120, 2.0, "window")

    parity.check(spec, x, rtol=1e-10, atol=1e-10)
    # the module's window is float32, and torch's float32 windows differ from ember's (computed
    # in float64, then rounded) by an ulp or two
    parity.check(
        lambda fw, x: A(fw).transforms.Spectrogram(64, window_fn=fw.blackman_window).double()(x),
        x,
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(
            sample_rate=8000,
            n_fft=256,
            hop_length=80,
            f_min=50.0,
            f_max=3800.0,
            n_mels=40,
            power=1.0,
            normalized=True,
            norm="slaney",
            mel_scale="slaney",
        ),
        dict(n_fft=200, win_length=160, n_mels=23, center=False, pad=5),
    ],
)
def test_mel_spectrogram(parity, kwargs):
    x = parity.randn(2, 1200)
    parity.check(
        lambda fw, x: A(fw).transforms.MelSpectrogram(**kwargs)(x), x, **SPEC, grad_atol=2e-2
    )


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(sample_rate=8000, n_mfcc=13, norm=None, log_mels=True),
        dict(n_mfcc=20, melkwargs=dict(n_fft=256, hop_length=128, n_mels=30, center=False)),
    ],
)
def test_mfcc(parity, kwargs):
    x = parity.randn(3, 1600)
    parity.check(lambda fw, x: A(fw).transforms.MFCC(**kwargs)(x), x, rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(
            sample_rate=8000,
            n_filter=40,
            f_min=100.0,
            f_max=3000.0,
            n_lfcc=13,
            norm=None,
            log_lf=True,
            speckwargs=dict(n_fft=256, hop_length=64, center=False),
        ),
    ],
)
def test_lfcc(parity, kwargs):
    x = parity.randn(2, 1600)
    parity.check(lambda fw, x: A(fw).transforms.LFCC(**kwargs)(x), x, rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize(
    "kwargs, length",
    [
        ({}, None),
        (dict(n_fft=128, hop_length=32, pad=4, normalized=True), 340),
        (dict(n_fft=128, normalized="frame_length"), 500),
        (dict(n_fft=64, hop_length=16, center=False, window_fn="hamming_window"), None),
    ],
)
def test_inverse_spectrogram(parity, kwargs, length):
    n_fft = kwargs.get("n_fft", 400)
    spec = cplx(parity, 2, n_fft // 2 + 1, 12)

    def inverse(fw, spec):
        args = dict(kwargs)
        if "window_fn" in args:
            args["window_fn"] = getattr(fw, args["window_fn"])
        return A(fw).transforms.InverseSpectrogram(**args)(spec, length)

    parity.check(inverse, spec, rtol=1e-4, atol=1e-5)


def test_spectrogram_round_trip_both_ways(parity):
    x = parity.randn(3, 900)

    def round_trip(fw, x):
        spec = A(fw).transforms.Spectrogram(256, hop_length=64, power=None)(x)
        return A(fw).transforms.InverseSpectrogram(256, hop_length=64)(spec, 900)

    y = parity.check(round_trip, x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(y.detach().numpy(), x, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_fft=128, n_iter=4, rand_init=False),
        dict(n_fft=128, n_iter=3, momentum=0.0, power=1.0, length=500, rand_init=False),
        dict(n_fft=64, win_length=48, hop_length=16, n_iter=2, rand_init=False),
    ],
)
def test_griffinlim(parity, kwargs):
    # a power spectrogram of 8 frames: 500 samples with the default hop of n_fft // 2 = 64
    specgram = parity.uniform(0.1, 3.0, 2, kwargs["n_fft"] // 2 + 1, 8)
    parity.check(
        lambda fw, s: A(fw).transforms.GriffinLim(**kwargs)(s), specgram, rtol=1e-3, atol=1e-4
    )


def test_spectral_centroid(parity):
    x = parity.randn(2, 1000)
    parity.check(lambda fw, x: A(fw).transforms.SpectralCentroid(16000)(x), x, **FBANK)
    parity.check(
        lambda fw, x: A(fw).transforms.SpectralCentroid(8000, 128, 100, 30, 2)(x), x, **FBANK
    )


# The phase vocoder accumulates phases of up to pi * hop_length per frame: in float32 the
# running sum (thousands of radians) keeps about 1e-4 rad, so float32 results agree to ~1e-3
# and the float64 ones to 1e-9.
VOCODER32 = dict(rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("rate", [1.3, 0.8, 1.0])
def test_time_stretch(parity, rate):
    spec = cplx(parity, 2, 65, 20)
    parity.check(
        lambda fw, s: real_view(fw, A(fw).transforms.TimeStretch(32, 65)(s, rate)),
        spec,
        **VOCODER32,
        grad_atol=1e-2,
    )

    def functional(fw, s):
        advance = fw.linspace(0, math.pi * 32, 65, dtype=fw.float64)[..., None]
        return real_view(fw, A(fw).functional.phase_vocoder(s, rate, advance))

    parity.check(functional, spec.astype(np.complex128), rtol=1e-9, atol=1e-9)


# a small gcd of the two rates makes a big resampling kernel (9513 -> 8000 Hz: 8000 filters),
# slow in both frameworks: the rates here keep it small
@pytest.mark.parametrize("sample_rate, n_steps", [(8000, 12), (8000, -12), (160, 3), (8000, 0)])
def test_pitch_shift(parity, sample_rate, n_steps):
    x = parity.randn(2, 1200)

    def shifted(fw, x):
        module = A(fw).transforms.PitchShift(sample_rate, n_steps, n_fft=256)
        y = module(x)
        return y, *module.state_dict().values()

    parity.check(shifted, x, **VOCODER32, grad_atol=5e-2)

    def functional(fw, x):
        window = fw.hann_window(128, dtype=fw.float64)
        return A(fw).functional.pitch_shift(
            x, sample_rate, n_steps, n_fft=128, hop_length=40, window=window
        )

    parity.check(functional, x.astype(F64), rtol=1e-7, atol=1e-9)


def test_inverse_mel_scale(parity):
    mel = parity.uniform(0, 1, 2, 3, 40, 7)

    def inverse(fw, mel):
        return A(fw).transforms.InverseMelScale(201, n_mels=40, f_min=50.0)(mel)

    parity.check(inverse, mel, rtol=1e-3, atol=1e-3)
    for driver in ["gelsd", "gelss"]:
        parity.check(
            lambda fw, m, d=driver: A(fw).transforms.InverseMelScale(129, 40, 8000, driver=d)(m),
            mel[0],
            rtol=1e-3,
            atol=1e-3,
        )


def test_detect_pitch_frequency(parity):
    t = np.arange(8000) / 8000
    x = np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)]).astype(F32)
    x = x + 0.01 * parity.randn(2, 8000)
    parity.check(lambda fw, x: A(fw).functional.detect_pitch_frequency(x, 8000), x, grad=False)
    parity.check(
        lambda fw, x: A(fw).functional.detect_pitch_frequency(x[None], 8000, 0.02, 5, 100, 2000),
        x,
        grad=False,
    )


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
def test_stft_transforms_state_dicts_are_torchaudios(parity):
    def buffers(fw):
        T = A(fw).transforms
        modules = [
            T.Spectrogram(),
            T.InverseSpectrogram(n_fft=256),
            T.GriffinLim(win_length=300, wkwargs={"periodic": False}),
            T.MelSpectrogram(n_mels=64),
            T.MFCC(n_mfcc=13),
            T.LFCC(n_filter=30, n_lfcc=10),
            T.InverseMelScale(257, 40),
            T.SpectralCentroid(16000, window_fn=fw.hamming_window),
            T.TimeStretch(100, 129),
            T.PitchShift(16000, 0),
        ]
        keys = tuple(tuple(m.state_dict()) for m in modules)
        values = tuple(v for m in modules for v in m.state_dict().values())
        return (keys, *values)

    parity.check(buffers, **FBANK)


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
def test_stft_errors_have_torchaudios_types(parity):
    x = parity.randn(2, 500)
    spec = cplx(parity, 2, 201, 5)
    F_, T_ = "functional", "transforms"
    cases = [
        lambda fw, x: A(fw).transforms.Spectrogram(normalized="x")(x),
        lambda fw, x: A(fw).transforms.Spectrogram(normalized=1)(x),
        lambda fw, x: A(fw).transforms.InverseSpectrogram()(x),
        lambda fw, x: A(fw).transforms.GriffinLim(momentum=1.0),
        lambda fw, x: getattr(A(fw), F_).griffinlim(x, None, 4, 1, 4, 2.0, 1, -0.5, None, False),
        lambda fw, x: A(fw).transforms.MFCC(dct_type=3),
        lambda fw, x: A(fw).transforms.MFCC(n_mfcc=30, melkwargs={"n_mels": 20}),
        lambda fw, x: A(fw).transforms.LFCC(n_lfcc=50, speckwargs={"n_fft": 40}),
        lambda fw, x: A(fw).transforms.TimeStretch()(x),
        lambda fw, x: getattr(A(fw), T_).InverseMelScale(201, driver="x"),
        lambda fw, x: A(fw).transforms.InverseMelScale(201, f_min=9000.0),
        lambda fw, x: A(fw).transforms.InverseMelScale(201, n_mels=40)(x[:, :39, None]),
        lambda fw, x: A(fw).transforms.InverseMelScale(201, n_mels=40)(x[:, :40, None].double()),
    ]
    for case in cases:
        parity.raises(case, x)
    parity.raises(lambda fw, s: A(fw).transforms.TimeStretch()(s), spec)
    # torch's full-rank failure is a torch._C._LinAlgError, a RuntimeError
    error = parity.raises(
        lambda fw, m: A(fw).transforms.InverseMelScale(201)(m), x[:, :128, None], match_type=False
    )
    assert isinstance(error, RuntimeError)
