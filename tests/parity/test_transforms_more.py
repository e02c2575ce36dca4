"""Parity of embervision.transforms' perspective, elastic_transform and AugMix tables with
torchvision.transforms on the same images: PIL paths must agree exactly (both are Pillow's),
tensor paths to float rounding.

Skipped where torchvision does not import (for instance a wheel whose compiled operators do not
match the installed torch)."""

import numpy as np
import pytest
import torch
from PIL import Image

import ember
import embervision.transforms as ET
import embervision.transforms.functional as EF

try:
    import torchvision.transforms as TT
    import torchvision.transforms.functional as TF
except Exception as error:  # ImportError, or the RuntimeError of operators that did not load
    pytest.skip(f"torchvision unavailable: {error}", allow_module_level=True)

_START = [[0, 0], [19, 0], [19, 15], [0, 15]]
_ENDS = [
    [[2, 1], [17, 3], [19, 14], [1, 12]],
    [[4, 3], [15, 0], [16, 13], [0, 15]],
    [[1, 1], [18, 1], [18, 14], [1, 14]],
]


def _image(seed, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, (3, 16, 20), dtype=np.uint8)
    return rng.random((2, 3, 16, 20)).astype(dtype)


def _modes(name):
    return getattr(ET.InterpolationMode, name), getattr(TT.InterpolationMode, name)


@pytest.mark.parametrize("end", _ENDS)
def test_perspective_coeffs(end):
    # equal but for the ~1e-16 noise of the least-squares solvers where a coefficient is 0
    ours = EF._get_perspective_coeffs(_START, end)
    np.testing.assert_allclose(ours, TF._get_perspective_coeffs(_START, end), rtol=0, atol=1e-14)


@pytest.mark.parametrize("end", _ENDS)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR", "BICUBIC"])
def test_perspective_pil(end, mode):
    pil = Image.fromarray(_image(0).transpose(1, 2, 0))
    e_mode, t_mode = _modes(mode)
    ours = EF.perspective(pil, _START, end, e_mode, fill=[9, 8, 7])
    theirs = TF.perspective(pil, _START, end, t_mode, fill=[9, 8, 7])
    assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("end", _ENDS)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("fill", [None, [0.5, 20.0, 3.0]])
def test_perspective_tensor(end, mode, dtype, fill):
    array = _image(1, dtype)
    e_mode, t_mode = _modes(mode)
    ours = EF.perspective(ember.from_numpy(array.copy()), _START, end, e_mode, fill).numpy()
    theirs = TF.perspective(torch.from_numpy(array.copy()), _START, end, t_mode, fill).numpy()
    assert ours.dtype == theirs.dtype
    if dtype == np.uint8:
        # a rounding tie may fall either way after float32 arithmetic in another order
        assert np.abs(ours.astype(int) - theirs).max() <= 1
        assert (ours != theirs).mean() < 0.01
    else:
        # float32 grids computed in another order differ by ~1e-6 pixel, which a fill of 20
        # blended in along the edge turns into ~4e-5
        atol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=atol)


def _displacement(seed, h=16, w=20):
    """A smooth displacement of a few pixels, as float32 (1, H, W, 2)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, 2)
    dx = 0.3 * np.sin(6 * yy + phase[0])
    dy = 0.2 * np.cos(5 * xx + phase[1])
    return np.stack([dx, dy], -1)[None].astype(np.float32)


@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("fill", [None, [4.0]])
def test_elastic_transform_tensor(mode, dtype, fill):
    array = _image(2, dtype)
    d = _displacement(0)
    e_mode, t_mode = _modes(mode)
    ours = EF.elastic_transform(ember.from_numpy(array.copy()), ember.from_numpy(d), e_mode, fill)
    theirs = TF.elastic_transform(torch.from_numpy(array.copy()), torch.from_numpy(d), t_mode, fill)
    ours, theirs = ours.numpy(), theirs.numpy()
    assert ours.dtype == theirs.dtype
    if dtype == np.uint8:
        assert np.abs(ours.astype(int) - theirs).max() <= 1
        assert (ours != theirs).mean() < 0.01
    else:
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_elastic_transform_pil(mode):
    pil = Image.fromarray(_image(3).transpose(1, 2, 0)).convert(mode)
    d = _displacement(1)
    ours = EF.elastic_transform(pil, ember.from_numpy(d), fill=[7.0])
    theirs = TF.elastic_transform(pil, torch.from_numpy(d), fill=[7.0])
    assert ours.mode == theirs.mode == mode
    difference = np.abs(np.asarray(ours).astype(int) - np.asarray(theirs))
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01


def _field_of_fixed_noise(fw, transforms, noise, sigma, monkeypatch):
    """``ElasticTransform.get_params`` with ``fw.rand`` drawing the given arrays in turn."""
    draws = iter(fw.from_numpy(n) for n in noise)
    monkeypatch.setattr(fw, "rand", lambda *args, **kwargs: next(draws))
    return transforms.ElasticTransform.get_params([20.0, 10.0], sigma, [24, 30]).numpy()


@pytest.mark.parametrize("sigma", [[0.0, 0.0], [1.5, 1.5], [1.0, 3.0]])
def test_elastic_get_params_blur(sigma, monkeypatch):
    # the random draws differ between the frameworks, the blur and scaling of them must not
    noise = [np.random.default_rng(i).random((1, 1, 24, 30)).astype(np.float32) for i in (0, 1)]
    ours = _field_of_fixed_noise(ember, ET, noise, sigma, monkeypatch)
    theirs = _field_of_fixed_noise(torch, TT, noise, sigma, monkeypatch)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize("all_ops", [True, False])
def test_augmix_augmentation_space(all_ops):
    ours = ET.AugMix(all_ops=all_ops)._augmentation_space(10, (30, 21))
    theirs = TT.AugMix(all_ops=all_ops)._augmentation_space(10, (30, 21))
    assert list(ours) == list(theirs)
    for name, (magnitudes, signed) in theirs.items():
        assert ours[name][1] == signed
        np.testing.assert_allclose(ours[name][0].numpy(), magnitudes.numpy(), rtol=1e-6)
