"""emberaudio.transforms: each module against its functional form, torchaudio's registered
buffers (state_dict keys), fade curves and volume by formula, masking behaviour."""

import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T
from ember.testing import assert_close


def t64(array, device="cpu"):
    return ember.tensor(np.asarray(array, dtype=np.float64), device=device)


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


def test_melscale_applies_the_filter_bank(device):
    module = T.MelScale(n_mels=16, sample_rate=8000, n_stft=65, norm="slaney", mel_scale="slaney")
    fb = F.melscale_fbanks(65, 0.0, 4000.0, 16, 8000, "slaney", "slaney")
    np.testing.assert_array_equal(module.fb.numpy(), fb.numpy())
    module = module.to(device)
    assert module.fb.device.type == device
    spec = ember.rand(2, 3, 65, 10, device=device)
    mel = module(spec)
    assert tuple(mel.shape) == (2, 3, 16, 10) and mel.device.type == device
    expected = np.einsum("bcft,fm->bcmt", spec.cpu().numpy(), fb.numpy())
    np.testing.assert_allclose(mel.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert module.f_max == 4000.0
    with pytest.raises(ValueError, match=r"Require f_min: 5000.0 <= f_max: 4000.0"):
        T.MelScale(sample_rate=8000, f_min=5000.0)


def test_resample_module_matches_functional_and_moves_with_to(device):
    x = ember.randn(2, 441, device=device)
    module = T.Resample(441, 160).to(device)
    assert module.kernel.device.type == device
    # the module keeps a float64-computed kernel, the functional computes it in float32
    assert module(x).device.type == device
    assert_close(module(x), F.resample(x, 441, 160), atol=2e-5, rtol=0)
    assert (
        module.kernel.dtype == ember.float32
        and module.width == F.functional._get_sinc_resample_kernel(441, 160, 1)[1]
    )
    double = T.Resample(
        441, 160, resampling_method="sinc_interp_kaiser", beta=8.0, dtype=ember.float64
    ).to(device)
    assert double.kernel.dtype == ember.float64 and double.kernel.device.type == device
    expected = F.resample(x.double(), 441, 160, resampling_method="sinc_interp_kaiser", beta=8.0)
    assert_close(double(x.double()), expected, atol=1e-12, rtol=0)
    moved = module.to(ember.float64).kernel
    assert moved.dtype == ember.float64 and moved.device.type == device
    same = T.Resample(8000, 8000)
    assert same(x) is x


def test_amplitude_to_db_module(device):
    x = ember.rand(2, 3, 4, 5, device=device) + 1e-3
    power = T.AmplitudeToDB("power", top_db=10.0).to(device)
    assert power(x).device.type == device
    np.testing.assert_array_equal(
        power(x).cpu().numpy(), F.amplitude_to_DB(x, 10.0, 1e-10, 0.0, 10.0).cpu().numpy()
    )
    magnitude = T.AmplitudeToDB("magnitude")
    assert magnitude.multiplier == 20.0 and magnitude.db_multiplier == 0.0
    assert_close(magnitude(x), 20 * np.log10(x.cpu().numpy()), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"top_db must be positive value"):
        T.AmplitudeToDB(top_db=-1.0)


def test_simple_wrappers_match_functional(device):
    rng = np.random.default_rng(0)
    x = t64(rng.uniform(-0.5, 0.5, (2, 3, 40)), device)
    cases = [
        (T.MuLawEncoding(64), lambda: F.mu_law_encoding(x, 64)),
        (T.ComputeDeltas(7, "constant"), lambda: F.compute_deltas(x, 7, "constant")),
        (T.Preemphasis(0.5), lambda: F.preemphasis(x, 0.5)),
        (T.Deemphasis(0.5), lambda: F.deemphasis(x, 0.5)),
    ]
    for module, expected in cases:
        out = module.to(device)(x)
        assert out.device.type == device
        np.testing.assert_array_equal(out.cpu().numpy(), expected().cpu().numpy())
    codes = T.MuLawEncoding(64)(x)
    np.testing.assert_array_equal(
        T.MuLawDecoding(64)(codes).cpu().numpy(), F.mu_law_decoding(codes, 64).cpu().numpy()
    )
    noise, snr = t64(rng.standard_normal((2, 3, 40)), device), t64(np.full((2, 3), 5.0), device)
    np.testing.assert_array_equal(
        T.AddNoise()(x, noise, snr).cpu().numpy(), F.add_noise(x, noise, snr).cpu().numpy()
    )
    y = x[..., :5]
    np.testing.assert_array_equal(
        T.Convolve("valid")(x, y).cpu().numpy(), F.convolve(x, y, "valid").cpu().numpy()
    )
    fft = T.FFTConvolve("same")(x, y)
    assert fft.device.type == device
    assert_close(fft, F.convolve(x, y, "same"), atol=1e-12, rtol=0)
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
def test_fade_curves(shape, fade_in, fade_out, device):
    waveform = ember.ones(2, 30, device=device)
    out = T.Fade(fade_in_len=10, fade_out_len=5, fade_shape=shape)(waveform)
    assert out.device.type == device
    out = out.cpu().numpy()
    expected = np.ones(30)
    expected[:10] = np.clip(fade_in(np.linspace(0, 1, 10)), 0, 1)
    expected[-5:] = np.clip(fade_out(np.linspace(0, 1, 5)), 0, 1)
    np.testing.assert_allclose(out, np.broadcast_to(expected, (2, 30)), atol=1e-6)


def test_fade_is_identity_by_default():
    x = ember.randn(3, 17)
    np.testing.assert_array_equal(T.Fade()(x).numpy(), x.numpy())


def test_vol(device):
    values = np.array([[0.1, -0.2, 0.6]])
    x = t64(values, device)
    assert_close(T.Vol(2.0)(x), [[0.2, -0.4, 1.0]])  # clamped to [-1, 1]
    assert_close(T.Vol(20.0, "db")(x), [[1.0, -1.0, 1.0]])
    assert_close(T.Vol(-6.0, "db")(x), values * 10 ** (-6 / 20))
    assert_close(T.Vol(0.25, "power")(x), values * 0.5)
    assert T.Vol(0.25, "power")(x).device.type == device
    with pytest.raises(ValueError, match=r"gain must be positive"):
        T.Vol(-1.0, "amplitude")


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_frequency_and_time_masking(dims, device):
    ember.manual_seed(3)
    shape = (2, 3, 12, 20)[-dims:]
    spec = ember.rand(*shape, device=device) + 1.0
    for module, axis in [(T.FrequencyMasking(6), -2), (T.TimeMasking(6), -1)]:
        masked = module(spec, mask_value=-1.0)
        assert masked.device.type == device
        masked = masked.cpu().numpy()
        hit = masked == -1.0
        other = -1 if axis == -2 else -2
        lines = hit.any(axis=other)
        # whole rows (frequency) or columns (time), the same ones for every item
        np.testing.assert_array_equal(hit.all(axis=other), lines)
        assert lines.reshape(-1, lines.shape[-1]).std(axis=0).max() == 0
        assert lines.reshape(-1, lines.shape[-1])[0].sum() < 6


def test_iid_masking_and_tensor_mask_value(device):
    ember.manual_seed(4)
    spec = ember.rand(8, 2, 10, 40, device=device) + 1.0
    # a 0-d CPU tensor joins a device computation as a scalar, as in torch
    for value in (ember.tensor(0.0), ember.tensor(0.0, device=device)):
        masked = T.TimeMasking(30, iid_masks=True)(spec, value)
        assert masked.device.type == device
        columns = (masked.cpu().numpy() == 0).all(axis=2).reshape(16, 40)
        assert len({tuple(c) for c in columns}) > 1
        not_iid = T.TimeMasking(30)(spec, value).cpu().numpy()
        assert len({tuple(c) for c in (not_iid == 0).all(axis=2).reshape(16, 40)}) == 1
    with pytest.raises(ValueError, match=r"p must be between 0.0 and 1.0"):
        T.TimeMasking(5, p=2.0)


def test_spec_augment(device):
    ember.manual_seed(5)
    spec = ember.rand(4, 16, 50, device=device) + 1.0
    zeroed = T.SpecAugment(2, 10, 2, 4, zero_masking=True)(spec)
    assert zeroed.device.type == device
    assert (zeroed.cpu().numpy() == 0).any()
    mean = float(spec.mean())
    # the mean (a 0-d tensor on the device) fills the masks, shared or per item
    for iid_masks in (False, True):
        with_mean = T.SpecAugment(1, 10, 1, 4, iid_masks=iid_masks)(spec).cpu().numpy()
        changed = with_mean != spec.cpu().numpy()
        np.testing.assert_allclose(with_mean[changed], mean, rtol=1e-6)
    assert T.SpecAugment(0, 10, 0, 4)(spec) is spec


def test_speed_and_speed_perturbation(device):
    x = ember.randn(2, 1600, device=device)
    speed = T.Speed(16000, 0.5).to(device)
    assert speed.resampler.kernel.device.type == device
    y, lengths = speed(x, ember.tensor([1600, 10], device=device))
    assert tuple(y.shape) == (2, 3200) and y.device.type == lengths.device.type == device
    np.testing.assert_array_equal(lengths.cpu().numpy(), [3200, 20])
    assert_close(y, F.speed(x, 16000, 0.5)[0], atol=1e-6, rtol=0)
    perturb = T.SpeedPerturbation(16000, [0.5, 2.0]).to(device)
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
