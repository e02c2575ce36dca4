"""emberaudio.transforms: each module against its functional form, torchaudio's registered
buffers (state_dict keys), fade curves and volume by formula, masking behaviour."""

import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T


def t64(array):
    return ember.tensor(np.asarray(array, dtype=np.float64))


def test_state_dict_keys_are_torchaudios_buffers():
    with pytest.warns(UserWarning, match=r"all zero values"):  # torchaudio's defaults warn too
        assert list(T.MelScale().state_dict()) == ["fb"]
    assert tuple(T.MelScale(n_mels=40, n_stft=257).fb.shape) == (257, 40)
    assert list(T.Resample(16000, 8000).state_dict()) == ["kernel"]
    assert list(T.Resample(16000, 16000).state_dict()) == []
    assert list(T.Speed(16000, 1.1).state_dict()) == ["resampler.kernel"]
    assert list(T.SpeedPerturbation(16000, [0.9, 1.1]).state_dict()) == [
        "speeders.0.resampler.kernel",
        "speeders.1.resampler.kernel",
    ]
    for module in [
        T.AmplitudeToDB(),
        T.MuLawEncoding(),
        T.MuLawDecoding(),
        T.ComputeDeltas(),
        T.Fade(),
        T.FrequencyMasking(5),
        T.TimeMasking(5),
        T.SpecAugment(1, 5, 1, 5),
        T.Vol(0.5),
        T.Preemphasis(),
        T.Deemphasis(),
        T.AddNoise(),
        T.Convolve(),
        T.FFTConvolve(),
    ]:
        assert module.state_dict() == {}


def test_melscale_applies_the_filter_bank():
    module = T.MelScale(n_mels=16, sample_rate=8000, n_stft=65, norm="slaney", mel_scale="slaney")
    fb = F.melscale_fbanks(65, 0.0, 4000.0, 16, 8000, "slaney", "slaney")
    np.testing.assert_array_equal(module.fb.numpy(), fb.numpy())
    spec = ember.rand(2, 3, 65, 10)
    mel = module(spec)
    assert tuple(mel.shape) == (2, 3, 16, 10)
    np.testing.assert_allclose(
        mel.numpy(), np.einsum("bcft,fm->bcmt", spec.numpy(), fb.numpy()), rtol=1e-5
    )
    assert module.f_max == 4000.0
    with pytest.raises(ValueError, match=r"Require f_min: 5000.0 <= f_max: 4000.0"):
        T.MelScale(sample_rate=8000, f_min=5000.0)


def test_resample_module_matches_functional_and_moves_with_to():
    x = ember.randn(2, 441)
    module = T.Resample(441, 160)
    # the module keeps a float64-computed kernel, the functional computes it in float32
    np.testing.assert_allclose(module(x).numpy(), F.resample(x, 441, 160).numpy(), atol=2e-5)
    assert (
        module.kernel.dtype == ember.float32
        and module.width == F.functional._get_sinc_resample_kernel(441, 160, 1)[1]
    )
    double = T.Resample(
        441, 160, resampling_method="sinc_interp_kaiser", beta=8.0, dtype=ember.float64
    )
    assert double.kernel.dtype == ember.float64
    expected = F.resample(x.double(), 441, 160, resampling_method="sinc_interp_kaiser", beta=8.0)
    np.testing.assert_allclose(double(x.double()).numpy(), expected.numpy(), atol=1e-12)
    assert module.to(ember.float64).kernel.dtype == ember.float64
    same = T.Resample(8000, 8000)
    assert same(x) is x


def test_amplitude_to_db_module():
    x = ember.rand(2, 3, 4, 5) + 1e-3
    power = T.AmplitudeToDB("power", top_db=10.0)
    np.testing.assert_array_equal(
        power(x).numpy(), F.amplitude_to_DB(x, 10.0, 1e-10, 0.0, 10.0).numpy()
    )
    magnitude = T.AmplitudeToDB("magnitude")
    assert magnitude.multiplier == 20.0 and magnitude.db_multiplier == 0.0
    np.testing.assert_allclose(magnitude(x).numpy(), 20 * np.log10(x.numpy()), rtol=1e-5)
    with pytest.raises(ValueError, match=r"top_db must be positive value"):
        T.AmplitudeToDB(top_db=-1.0)


def test_simple_wrappers_match_functional():
    rng = np.random.default_rng(0)
    x = t64(rng.uniform(-0.5, 0.5, (2, 3, 40)))
    cases = [
        (T.MuLawEncoding(64), lambda: F.mu_law_encoding(x, 64)),
        (T.ComputeDeltas(7, "constant"), lambda: F.compute_deltas(x, 7, "constant")),
        (T.Preemphasis(0.5), lambda: F.preemphasis(x, 0.5)),
        (T.Deemphasis(0.5), lambda: F.deemphasis(x, 0.5)),
    ]
    for module, expected in cases:
        np.testing.assert_array_equal(module(x).numpy(), expected().numpy())
    codes = T.MuLawEncoding(64)(x)
    np.testing.assert_array_equal(
        T.MuLawDecoding(64)(codes).numpy(), F.mu_law_decoding(codes, 64).numpy()
    )
    noise, snr = t64(rng.standard_normal((2, 3, 40))), t64(np.full((2, 3), 5.0))
    np.testing.assert_array_equal(
        T.AddNoise()(x, noise, snr).numpy(), F.add_noise(x, noise, snr).numpy()
    )
    y = x[..., :5]
    np.testing.assert_array_equal(
        T.Convolve("valid")(x, y).numpy(), F.convolve(x, y, "valid").numpy()
    )
    fft = T.FFTConvolve("same")(x, y).numpy()
    np.testing.assert_allclose(fft, F.convolve(x, y, "same").numpy(), atol=1e-12)
    for module in (T.Convolve, T.FFTConvolve):
        with pytest.raises(ValueError, match=r"Unrecognized mode value"):
            module("wrap")


@pytest.mark.parametrize(
    "shape, fade_in, fade_out",
    [
        ("linear", lambda t: t, lambda t: 1 - t),
        ("exponential", lambda t: 2 ** (t - 1) * t, lambda t: 2 ** (-t) * (1 - t)),
        ("logarithmic", lambda t: np.log10(0.1 + t) + 1, lambda t: np.log10(1.1 - t) + 1),
        (
            "quarter_sine",
            lambda t: np.sin(t * np.pi / 2),
            lambda t: np.sin(t * np.pi / 2 + np.pi / 2),
        ),
        (
            "half_sine",
            lambda t: np.sin(t * np.pi - np.pi / 2) / 2 + 0.5,
            lambda t: np.sin(t * np.pi + np.pi / 2) / 2 + 0.5,
        ),
    ],
)
def test_fade_curves(shape, fade_in, fade_out):
    waveform = ember.ones(2, 30)
    out = T.Fade(fade_in_len=10, fade_out_len=5, fade_shape=shape)(waveform).numpy()
    expected = np.ones(30)
    expected[:10] = np.clip(fade_in(np.linspace(0, 1, 10)), 0, 1)
    expected[-5:] = np.clip(fade_out(np.linspace(0, 1, 5)), 0, 1)
    np.testing.assert_allclose(out, np.broadcast_to(expected, (2, 30)), atol=1e-6)


def test_fade_is_identity_by_default():
    x = ember.randn(3, 17)
    np.testing.assert_array_equal(T.Fade()(x).numpy(), x.numpy())


def test_vol():
    x = t64([[0.1, -0.2, 0.6]])
    np.testing.assert_allclose(T.Vol(2.0)(x).numpy(), [[0.2, -0.4, 1.0]])  # clamped to [-1, 1]
    np.testing.assert_allclose(T.Vol(20.0, "db")(x).numpy(), [[1.0, -1.0, 1.0]])
    np.testing.assert_allclose(T.Vol(-6.0, "db")(x).numpy(), x.numpy() * 10 ** (-6 / 20))
    np.testing.assert_allclose(T.Vol(0.25, "power")(x).numpy(), x.numpy() * 0.5)
    with pytest.raises(ValueError, match=r"gain must be positive"):
        T.Vol(-1.0, "amplitude")


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_frequency_and_time_masking(dims):
    ember.manual_seed(3)
    shape = (2, 3, 12, 20)[-dims:]
    spec = ember.rand(*shape) + 1.0
    for module, axis in [(T.FrequencyMasking(6), -2), (T.TimeMasking(6), -1)]:
        masked = module(spec, mask_value=-1.0).numpy()
        hit = masked == -1.0
        other = -1 if axis == -2 else -2
        lines = hit.any(axis=other)
        # whole rows (frequency) or columns (time), the same ones for every item
        np.testing.assert_array_equal(hit.all(axis=other), lines)
        assert lines.reshape(-1, lines.shape[-1]).std(axis=0).max() == 0
        assert lines.reshape(-1, lines.shape[-1])[0].sum() < 6


def test_iid_masking_and_tensor_mask_value():
    ember.manual_seed(4)
    spec = ember.rand(8, 2, 10, 40) + 1.0
    masked = T.TimeMasking(30, iid_masks=True)(spec, ember.tensor(0.0)).numpy()
    columns = (masked == 0).all(axis=2).reshape(16, 40)
    assert len({tuple(c) for c in columns}) > 1
    not_iid = T.TimeMasking(30)(spec, ember.tensor(0.0)).numpy()
    assert len({tuple(c) for c in (not_iid == 0).all(axis=2).reshape(16, 40)}) == 1
    with pytest.raises(ValueError, match=r"p must be between 0.0 and 1.0"):
        T.TimeMasking(5, p=2.0)


def test_spec_augment():
    ember.manual_seed(5)
    spec = ember.rand(4, 16, 50) + 1.0
    zeroed = T.SpecAugment(2, 10, 2, 4, zero_masking=True)(spec).numpy()
    assert (zeroed == 0).any()
    mean = float(spec.mean())
    with_mean = T.SpecAugment(1, 10, 1, 4, iid_masks=False)(spec).numpy()
    changed = with_mean != spec.numpy()
    np.testing.assert_allclose(with_mean[changed], mean, rtol=1e-6)
    assert T.SpecAugment(0, 10, 0, 4)(spec) is spec


def test_speed_and_speed_perturbation():
    x = ember.randn(2, 1600)
    y, lengths = T.Speed(16000, 0.5)(x, ember.tensor([1600, 10]))
    assert tuple(y.shape) == (2, 3200)
    np.testing.assert_array_equal(lengths.numpy(), [3200, 20])
    np.testing.assert_allclose(y.numpy(), F.speed(x, 16000, 0.5)[0].numpy(), atol=1e-6)
    perturb = T.SpeedPerturbation(16000, [0.5, 2.0])
    lengths_seen = {perturb(x)[0].shape[-1] for _ in range(20)}
    assert lengths_seen <= {800, 3200} and len(lengths_seen) == 2


def test_transforms_follow_the_device(device):
    x = ember.rand(2, 65, 30, device=device)
    mel = T.MelScale(n_mels=8, sample_rate=8000, n_stft=65).to(device)
    assert mel(x).device == x.device
    resample = T.Resample(3, 2).to(device)
    np.testing.assert_allclose(
        resample(x).cpu().numpy(), T.Resample(3, 2)(x.cpu()).numpy(), atol=1e-6
    )
    assert math.isclose(float(T.Vol(0.5)(x).amax()), float(x.amax()) * 0.5, rel_tol=1e-6)
