"""embervision.transforms: PIL paths against Pillow itself, tensor paths against numpy
references and against the PIL paths, random parameters under ember.manual_seed, reprs and
errors. Images are tiny."""

import math

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import ember
import embervision.transforms as T
import embervision.transforms.functional as F
from embervision.transforms import InterpolationMode

# ------------------------------------------------------------------------------- helpers


def _noise(h=12, w=10, c=3, seed=0):
    """Random uint8 HWC (or HW for c=0) array."""
    shape = (h, w, c) if c else (h, w)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _smooth(h=16, w=14):
    """A uint8 RGB image of gradients (geometric ops are compared on it)."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([(xx * 17) % 256, (yy * 13) % 256, ((xx + 2 * yy) * 7) % 256], -1).astype(
        np.uint8
    )


def _pil(array):
    return Image.fromarray(array)


def _chw(array):
    """A uint8 HWC array as a CHW ember tensor."""
    return ember.tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


def _hwc(img):
    """A PIL image or CHW tensor as an int HWC (or HW) array."""
    if isinstance(img, ember.Tensor):
        return img.numpy().transpose(1, 2, 0).astype(np.int64)
    array = np.asarray(img).astype(np.int64)
    return array[..., None] if array.ndim == 2 else array


def _assert_pil_equal(actual, expected):
    assert actual.mode == expected.mode and actual.size == expected.size
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


def _assert_agree(pil_img, tensor_img, max_diff=0, mean_diff=0.0):
    """The PIL and tensor results of the same call agree within the tolerances (uint8)."""
    diff = np.abs(_hwc(pil_img) - _hwc(tensor_img))
    assert diff.max() <= max_diff
    assert diff.mean() <= mean_diff


# ------------------------------------------------------------------------------ conversions


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_to_tensor_uint8_scales_to_unit_range(channels):
    array = _noise(c=channels)
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    img = Image.fromarray(array[..., 0] if channels == 1 else array, modes[channels])
    expected = array.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    for pic in (img, array):
        t = T.ToTensor()(pic)
        assert t.dtype == ember.float32 and t.shape == (channels, 12, 10)
        np.testing.assert_array_equal(t.numpy(), expected)


@pytest.mark.parametrize(
    "mode, dtype, scale",
    [("LA", np.uint8, 255), ("P", np.uint8, 255), ("I", np.int32, 1), ("F", np.float32, 1)],
)
def test_to_tensor_modes(mode, dtype, scale):
    img = _pil(_noise(c=3)).convert(mode)
    t = F.to_tensor(img)
    expected = np.asarray(img).astype(dtype)
    expected = expected[..., None] if expected.ndim == 2 else expected
    if scale != 1:
        expected = expected.astype(np.float32) / np.float32(scale)
    assert t.dtype == ember.from_numpy(expected).dtype
    np.testing.assert_array_equal(t.numpy(), expected.transpose(2, 0, 1))


def test_to_tensor_bilevel_and_16_bit():
    bits = _noise(c=0) > 127
    t = F.to_tensor(Image.fromarray(bits))  # mode "1"
    np.testing.assert_array_equal(t.numpy()[0], bits.astype(np.float32))
    # I;16 keeps its values unscaled, in int16 (torchvision's type for it)
    values = np.array([[0, 1, 300], [32767, 40000, 65535]], dtype=np.uint16)
    t = F.to_tensor(Image.fromarray(values))
    assert t.dtype == ember.int16
    np.testing.assert_array_equal(t.numpy()[0], values.astype(np.int16))


def test_to_tensor_other_arrays_keep_their_values():
    array = np.random.default_rng(0).random((4, 5, 2))
    t = F.to_tensor(array)
    assert t.dtype == ember.float64
    np.testing.assert_array_equal(t.numpy(), array.transpose(2, 0, 1))
    assert F.to_tensor(np.ones((3, 4), dtype=np.int32)).shape == (1, 3, 4)


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([[1, 2]])
    with pytest.raises(ValueError, match=r"pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_tensor(np.zeros((1, 2, 2, 3), np.uint8))


def test_pil_to_tensor_keeps_values():
    array = _noise()
    t = T.PILToTensor()(_pil(array))
    assert t.dtype == ember.uint8
    np.testing.assert_array_equal(t.numpy(), array.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        F.pil_to_tensor(array)


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "I", "F", "CMYK", "YCbCr"])
def test_pil_tensor_round_trip(mode):
    rng = np.random.default_rng(1)
    if mode == "I;16":
        img = Image.fromarray(rng.integers(0, 65536, (5, 4), dtype=np.uint16))
    elif mode == "I":
        img = Image.fromarray(rng.integers(-(2**31), 2**31 - 1, (5, 4), dtype=np.int32))
    elif mode == "F":
        img = Image.fromarray(rng.random((5, 4), dtype=np.float32))
    else:
        img = _pil(_noise(5, 4)).convert(mode)
    explicit = mode if mode in ("CMYK", "YCbCr", "F") else None
    _assert_pil_equal(T.ToPILImage(explicit)(F.pil_to_tensor(img)), img)


def test_to_pil_image_scales_floats_and_infers_modes():
    t = ember.tensor([[[0.0, 0.5], [0.999, 1.0]]])
    img = T.ToPILImage()(t)
    assert img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), [[0, 127], [254, 255]])  # x * 255, truncated
    assert F.to_pil_image(ember.zeros(2, 3, 3)).mode == "LA"
    array = _noise(c=3)  # ndarrays are HWC
    _assert_pil_equal(F.to_pil_image(array), _pil(array))
    assert F.to_pil_image(t[0]).size == (2, 2)  # a 2-d tensor is one channel


def test_to_pil_image_errors():
    with pytest.raises(ValueError, match=r"pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(ember.zeros(5, 2, 2))
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\) supplied for input type uint8"):
        F.to_pil_image(ember.zeros(1, 2, 2, dtype=ember.uint8), mode="RGB")
    with pytest.raises(ValueError, match=r"Only modes \['LA'\] are supported for 2D inputs"):
        F.to_pil_image(ember.zeros(2, 2, 2), mode="RGB")
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        F.to_pil_image(ember.zeros(3, 2, 2, dtype=ember.int64))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        F.to_pil_image([1])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional"):
        F.to_pil_image(ember.zeros(1, 1, 2, 2))


def test_convert_image_dtype():
    x = ember.tensor([[[0, 1, 128, 255]]], dtype=ember.uint8)
    f = T.ConvertImageDtype(ember.float32)(x)
    np.testing.assert_allclose(f.numpy(), x.numpy() / np.float32(255))
    back = F.convert_image_dtype(f, ember.uint8)  # x * (255 + 1 - 1e-3), truncated
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    np.testing.assert_array_equal(
        F.convert_image_dtype(ember.tensor([0.0, 0.5, 1.0]).view(1, 1, 3), ember.uint8).numpy(),
        [[[0, 127, 255]]],
    )
    # integer to integer: multiply or floor-divide by the ratio of the ranges
    wide = F.convert_image_dtype(x, ember.int32)
    np.testing.assert_array_equal(wide.numpy(), x.numpy().astype(np.int64) * 2**23)
    np.testing.assert_array_equal(F.convert_image_dtype(wide, ember.uint8).numpy(), x.numpy())
    assert F.convert_image_dtype(x, ember.uint8) is x
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(f, ember.int32)
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        F.convert_image_dtype(np.zeros(3), ember.float32)
    assert repr(T.ConvertImageDtype(ember.float32)) == "ConvertImageDtype()"


def test_normalize():
    x = ember.tensor(np.random.default_rng(0).random((2, 3, 4, 5), dtype=np.float32))
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    expected = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[
        :, None, None
    ]
    out = T.Normalize(mean, std)(x)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert not np.array_equal(out.numpy(), x.numpy())
    y = x.clone()
    assert F.normalize(y, mean, std, inplace=True) is y
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert repr(T.Normalize((0.1307,), (0.3081,))) == "Normalize(mean=(0.1307,), std=(0.3081,))"


def test_normalize_errors():
    with pytest.raises(
        ValueError, match=r"std evaluated to zero after conversion to ember.float32"
    ):
        F.normalize(ember.zeros(1, 2, 2), [0.0], [0.0])
    with pytest.raises(TypeError, match=r"Input tensor should be a float tensor. Got ember.uint8."):
        F.normalize(ember.zeros(1, 2, 2, dtype=ember.uint8), [0], [1])
    with pytest.raises(
        ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"
    ):
        F.normalize(ember.zeros(2, 2), [0], [1])
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(np.zeros((1, 2, 2)), [0], [1])


# ---------------------------------------------------------------------------------- resize


@pytest.mark.parametrize(
    "size, expected_wh", [(6, (6, 7)), ([6], (6, 7)), ((5, 8), (8, 5)), ((12, 10), (10, 12))]
)
@pytest.mark.parametrize("interpolation", list(InterpolationMode)[:4] + [InterpolationMode.LANCZOS])
def test_resize_pil_is_pillow(size, expected_wh, interpolation):
    img = _pil(_noise())  # 10 wide, 12 high
    out = T.Resize(size, interpolation)(img)
    filters = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "lanczos": 1}
    _assert_pil_equal(out, img.resize(expected_wh, filters[interpolation.value]))


def test_resize_max_size_and_identity():
    img = _pil(_noise(12, 6))
    assert F.resize(img, 4, max_size=6).size == (3, 6)  # the longer edge is capped
    assert F.resize(img, [6]) is img
    t = _chw(_noise(12, 6))
    assert F.resize(t, [6, 12]) is not t and F.resize(t, 6) is t


@pytest.mark.parametrize("size", [(5, 7), (13, 30), (26, 8)])
@pytest.mark.parametrize("interpolation", [InterpolationMode.BILINEAR, InterpolationMode.BICUBIC])
def test_resize_tensor_antialias_matches_pil_float(size, interpolation):
    # on mode F images Pillow computes in float: the same filter, without 8-bit rounding
    array = np.random.default_rng(0).random((13, 17), dtype=np.float32)
    pil = Image.fromarray(array).resize(
        size[::-1], {"bilinear": 2, "bicubic": 3}[interpolation.value]
    )
    out = F.resize(ember.tensor(array)[None], list(size), interpolation)
    np.testing.assert_allclose(out.numpy()[0], np.asarray(pil), atol=1e-6)


@pytest.mark.parametrize("size", [(5, 7), (20, 23)])
def test_resize_tensor_uint8_close_to_pil(size):
    img = _pil(_smooth())
    _assert_agree(F.resize(img, list(size)), F.resize(_chw(_smooth()), list(size)), 1, 0.5)


def test_resize_tensor_without_antialias_is_plain_bilinear():
    # halving without antialiasing samples between 2 x 2 blocks: their mean
    x = ember.tensor(np.random.default_rng(0).random((2, 3, 8, 6), dtype=np.float32))
    out = F.resize(x, [4, 3], antialias=False)
    blocks = x.numpy().reshape(2, 3, 4, 2, 3, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(out.numpy(), blocks, rtol=1e-6)
    nearest = F.resize(x, [4, 3], InterpolationMode.NEAREST)
    np.testing.assert_array_equal(nearest.numpy(), x.numpy()[..., ::2, ::2])


def test_resize_tensor_batched_and_dtypes():
    x = _chw(_noise())
    batch = ember.stack([x, x.flip(-1)])
    out = T.Resize((5, 7))(batch)
    assert out.shape == (2, 3, 5, 7) and out.dtype == ember.uint8
    np.testing.assert_array_equal(out[1].numpy(), F.resize(x.flip(-1), [5, 7]).numpy())
    assert F.resize(x[0], [5, 7]).shape == (5, 7)  # a 2-d image
    assert F.resize(ember.zeros(2, 2, 3, 6, 6, dtype=ember.float64), [3, 3]).dtype == ember.float64
    cubic = F.resize(_chw(_noise(6, 6)), [9, 9], InterpolationMode.BICUBIC, antialias=False)
    assert cubic.dtype == ember.uint8  # clamped before rounding back


def test_resize_errors_and_repr():
    img = _pil(_noise())
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        F.resize(img, [5, 5], antialias=False)
    with pytest.raises(ValueError, match="Size must be an int or a 1 or 2 element tuple/list"):
        F.resize(img, [1, 2, 3])
    with pytest.raises(ValueError, match="max_size should only be passed if size specifies"):
        F.resize(img, [4, 4], max_size=8)
    with pytest.raises(
        ValueError, match="max_size = 4 must be strictly greater than the requested"
    ):
        F.resize(img, 4, max_size=4)
    with pytest.raises(TypeError, match="Argument interpolation should be a InterpolationMode"):
        F.resize(img, 4, interpolation="bilinear")
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize([1, 2, 3])
    assert (
        repr(T.Resize(32))
        == "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"
    )
    assert (
        T.Resize(4, interpolation=Image.Resampling.BICUBIC).interpolation
        == InterpolationMode.BICUBIC
    )


# ---------------------------------------------------------------------------- crop and pad


def test_center_crop():
    array = _noise()
    out = T.CenterCrop(4)(_pil(array))
    _assert_pil_equal(out, _pil(array).crop((3, 4, 7, 8)))
    np.testing.assert_array_equal(
        T.CenterCrop((4, 3))(_chw(array)).numpy(), _chw(array[4:8, 4:7]).numpy()
    )
    # larger than the image: zero-padded (the extra pixel goes after)
    big = F.center_crop(_chw(array), [15, 11])
    expected = np.pad(array, ((1, 2), (0, 1), (0, 0)))
    np.testing.assert_array_equal(_hwc(big), expected)
    np.testing.assert_array_equal(_hwc(F.center_crop(_pil(array), [15, 11])), expected)
    assert repr(T.CenterCrop(4)) == "CenterCrop(size=(4, 4))"


def test_crop_outside_the_image_is_zero():
    array = _noise()
    expected = np.zeros((6, 16, 3), np.int64)
    expected[2:, 3:13] = array[:4]
    for img in (_pil(array), _chw(array)):
        np.testing.assert_array_equal(_hwc(F.crop(img, -2, -3, 6, 16)), expected)


@pytest.mark.parametrize("padding", [2, [1, 3], (1, 2, 3, 0), [2, -1, 0, 1]])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_matches_numpy(padding, mode):
    array = _noise(6, 5)
    p = [padding] * 4 if isinstance(padding, int) else list(padding) * (4 // len(padding))
    left, top, right, bottom = p
    cropped = array[max(-top, 0) : 6 - max(-bottom, 0), max(-left, 0) : 5 - max(-right, 0)]
    widths = ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)), (0, 0))
    kwargs = {"constant_values": 9} if mode == "constant" else {}
    expected = np.pad(cropped, widths, mode=mode, **kwargs)
    if mode == "constant" and min(p) < 0:
        return  # PIL's expand does not crop
    transform = T.Pad(padding, fill=9, padding_mode=mode)
    np.testing.assert_array_equal(_hwc(transform(_pil(array))), expected)
    np.testing.assert_array_equal(_hwc(transform(_chw(array))), expected)
    batch = transform(ember.stack([_chw(array)] * 2))
    np.testing.assert_array_equal(batch[1].numpy(), _chw(expected.astype(np.uint8)).numpy())


def test_pad_pil_is_imageops_and_keeps_palette():
    img = _pil(_noise())
    _assert_pil_equal(
        F.pad(img, [1, 2], fill=(1, 2, 3)), ImageOps.expand(img, (1, 2), fill=(1, 2, 3))
    )
    palette = img.convert("P")
    for mode in ("constant", "reflect"):
        out = F.pad(palette, 2, padding_mode=mode)
        assert out.mode == "P" and out.getpalette() == palette.getpalette()


def test_pad_errors_and_repr():
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        T.Pad("1")
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        T.Pad(1, fill="red")
    with pytest.raises(
        ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"
    ):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(
        ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3"
    ):
        T.Pad([1, 2, 3])
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        F.pad(_chw(_noise()), 1, fill=(1, 2, 3))  # tensors take one number
    with pytest.raises(ValueError, match="The number of elements in 'fill' does not match"):
        F.pad(_pil(_noise()), 1, fill=(1, 2))
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"


def test_random_crop(seeded):
    array = _noise()
    img = _pil(array)
    i, j, h, w = T.RandomCrop.get_params(img, (5, 4))
    ember.manual_seed(0)
    assert T.RandomCrop.get_params(img, (5, 4)) == (i, j, h, w)
    assert 0 <= i <= 7 and 0 <= j <= 6 and (h, w) == (5, 4)
    ember.manual_seed(0)
    _assert_pil_equal(T.RandomCrop((5, 4))(img), img.crop((j, i, j + w, i + h)))
    ember.manual_seed(0)
    np.testing.assert_array_equal(
        _hwc(T.RandomCrop((5, 4))(_chw(array))), array[i : i + h, j : j + w]
    )
    assert T.RandomCrop.get_params(img, (12, 10)) == (0, 0, 12, 10)  # no draw needed


def test_random_crop_padding(seeded):
    array = _noise()
    ember.manual_seed(3)
    out = T.RandomCrop(12, padding=4, fill=1)(_pil(array))
    ember.manual_seed(3)
    i, j, _, _ = T.RandomCrop.get_params(ImageOps.expand(_pil(array), 4), (12, 12))
    padded = np.pad(array, ((4, 4), (4, 4), (0, 0)), constant_values=1)
    np.testing.assert_array_equal(_hwc(out), padded[i : i + 12, j : j + 12])
    grown = T.RandomCrop((14, 13), pad_if_needed=True, padding_mode="edge")(_chw(array))
    assert grown.shape == (3, 14, 13)
    with pytest.raises(
        ValueError,
        match=r"Required crop size \(13, 13\) is larger than input image size \(12, 10\)",
    ):
        T.RandomCrop(13)(_pil(array))
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"


@pytest.mark.parametrize(
    "transform, flip", [(T.RandomHorizontalFlip, 1), (T.RandomVerticalFlip, 0)]
)
def test_random_flips(transform, flip, seeded):
    array = _noise()
    np.testing.assert_array_equal(_hwc(transform(1.0)(_pil(array))), np.flip(array, flip))
    np.testing.assert_array_equal(_hwc(transform(1.0)(_chw(array))), np.flip(array, flip))
    assert transform(0.0)(_pil(array)) is not None
    np.testing.assert_array_equal(_hwc(transform(0.0)(_pil(array))), array)
    # one ember.rand draw per call, compared with p
    ember.manual_seed(5)
    draws = ember.rand(20).numpy()
    ember.manual_seed(5)
    flipped = [not np.array_equal(_hwc(transform()(_chw(array))), array) for _ in range(20)]
    assert flipped == list(draws < 0.5)
    assert repr(transform()) == f"{transform.__name__}(p=0.5)"


def test_random_resized_crop(seeded):
    img = _pil(_noise(20, 16))
    for _ in range(5):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i <= 20 - h and 0 <= j <= 16 - w and h > 0 and w > 0
        assert 0.08 * 320 * 0.5 <= h * w <= 320 and 0.5 <= w / h <= 2
    ember.manual_seed(1)
    params = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
    ember.manual_seed(1)
    out = T.RandomResizedCrop(6)(img)
    i, j, h, w = params
    _assert_pil_equal(out, img.crop((j, i, j + w, i + h)).resize((6, 6), Image.Resampling.BILINEAR))
    assert T.RandomResizedCrop((4, 5))(_chw(_noise(20, 16))).shape == (3, 4, 5)
    # no crop of 4 to 9 times the area fits: a central crop clamped to the ratio range
    assert T.RandomResizedCrop.get_params(img, (4.0, 9.0), (2.0, 3.0)) == (6, 0, 8, 16)
    assert T.RandomResizedCrop.get_params(img, (4.0, 9.0), (0.5, 1.0)) == (0, 0, 20, 16)
    assert (
        repr(T.RandomResizedCrop(5))
        == "RandomResizedCrop(size=(5, 5), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
        "interpolation=bilinear, antialias=True)"
    )
    with pytest.warns(UserWarning, match="Scale and ratio should be of kind"):
        T.RandomResizedCrop(5, scale=(1.0, 0.5))


def test_five_and_ten_crop():
    array = _noise()
    corners = [array[:4, :3], array[:4, 7:], array[8:, :3], array[8:, 7:], array[4:8, 4:7]]
    for img in (_pil(array), _chw(array)):
        crops = T.FiveCrop((4, 3))(img)
        assert len(crops) == 5
        for crop, expected in zip(crops, corners):
            np.testing.assert_array_equal(_hwc(crop), expected)
        ten = T.TenCrop((4, 3), vertical_flip=True)(img)
        flipped = array[::-1]
        np.testing.assert_array_equal(_hwc(ten[5]), flipped[:4, :3])
        np.testing.assert_array_equal(_hwc(ten[9]), flipped[4:8, 4:7])
    with pytest.raises(
        ValueError, match=r"Requested crop size \(13, 3\) is bigger than input size \(12, 10\)"
    ):
        F.five_crop(_pil(array), (13, 3))
    assert repr(T.TenCrop(4)) == "TenCrop(size=(4, 4), vertical_flip=False)"


# ------------------------------------------------------------------------ rotate and affine


def test_random_rotation_pil_is_pillow(seeded):
    img = _pil(_smooth())
    ember.manual_seed(2)
    angle = T.RandomRotation.get_params([-40.0, 40.0])
    assert -40 <= angle < 40
    ember.manual_seed(2)
    _assert_pil_equal(T.RandomRotation(40)(img), img.rotate(angle))
    ember.manual_seed(2)
    out = T.RandomRotation(
        40, InterpolationMode.BILINEAR, expand=True, center=(3, 4), fill=(1, 2, 3)
    )(img)
    expected = img.rotate(angle, Image.Resampling.BILINEAR, True, (3, 4), fillcolor=(1, 2, 3))
    _assert_pil_equal(out, expected)


@pytest.mark.parametrize("angle", [90, -37.5, 180])
@pytest.mark.parametrize("expand", [False, True])
def test_rotate_tensor_matches_pil_nearest(angle, expand):
    array = _smooth()
    pil = F.rotate(_pil(array), angle, expand=expand, fill=[5, 6, 7])
    tensor = F.rotate(_chw(array), angle, expand=expand, fill=[5, 6, 7])
    assert tensor.shape[1:] == (pil.size[1], pil.size[0])
    # grid-sampling and Pillow may round a pixel centre on the boundary differently
    diff = np.abs(_hwc(pil) - _hwc(tensor)).max(axis=-1)
    assert (diff > 0).mean() < 0.02


def test_rotate_tensor_bilinear_and_center():
    array = _smooth(8, 8)
    x = _chw(array).float()
    # a quarter turn about the centre of a square image is a transposition and a flip
    out = F.rotate(x, 90, InterpolationMode.BILINEAR)
    np.testing.assert_allclose(out.numpy(), np.rot90(x.numpy(), 1, axes=(1, 2)), atol=1e-4)
    # about the top-left pixel's corner, a half turn leaves nothing inside
    out = F.rotate(x, 180, center=[0, 0], fill=3.0)
    np.testing.assert_array_equal(out.numpy(), np.full(x.shape, 3.0))
    batch = F.rotate(ember.stack([x, x]), 90)
    np.testing.assert_allclose(batch[1].numpy(), np.rot90(x.numpy(), 1, axes=(1, 2)), atol=1e-4)


def test_affine_translation_and_rotation():
    array = _smooth()
    shifted = np.zeros_like(array)
    shifted[2:, :-3] = array[:-2, 3:]  # translate by (-3, +2)
    for img in (_pil(array), _chw(array)):
        np.testing.assert_array_equal(_hwc(F.affine(img, 0, [-3, 2], 1.0, 0.0)), shifted)
    square = _smooth(10, 10)
    for img in (_pil(square), _chw(square)):  # affine angles turn clockwise
        np.testing.assert_array_equal(
            _hwc(F.affine(img, 90, [0, 0], 1.0, [0.0])), np.rot90(square, -1)
        )


@pytest.mark.parametrize(
    "angle, translate, scale, shear, center",
    [
        (12, [2, -1], 1.1, [5, 3], None),
        (0.0, [0, 0], 1.0, [20.0, 0.0], [0, 0]),
        (-30, [1, 1], 0.8, 10, [3, 5]),
    ],
)
def test_affine_tensor_matches_pil(angle, translate, scale, shear, center):
    array = _smooth()
    pil = F.affine(_pil(array), angle, translate, scale, shear, center=center)
    tensor = F.affine(_chw(array), angle, translate, scale, shear, center=center)
    diff = np.abs(_hwc(pil) - _hwc(tensor)).max(axis=-1)
    assert (diff > 0).mean() < 0.02


def test_random_affine(seeded):
    img = _pil(_smooth())
    args = ([-20.0, 20.0], (0.2, 0.1), (0.8, 1.2), [-5.0, 5.0, -3.0, 3.0], [14, 16])
    ember.manual_seed(4)
    angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(*args)
    assert -20 <= angle < 20 and abs(tx) <= 3 and abs(ty) <= 2 and 0.8 <= scale < 1.2
    assert -5 <= sx < 5 and -3 <= sy < 3
    ember.manual_seed(4)
    out = T.RandomAffine(20, (0.2, 0.1), (0.8, 1.2), (-5, 5, -3, 3), fill=9)(img)
    _assert_pil_equal(out, F.affine(img, angle, [tx, ty], scale, [sx, sy], fill=9))
    assert T.RandomAffine.get_params([0.0, 0.0], None, None, None, [4, 4])[1:] == (
        (0, 0),
        1.0,
        (0.0, 0.0),
    )
    assert T.RandomAffine(10, shear=4)(_chw(_smooth())).shape == (3, 16, 14)
    assert repr(T.RandomAffine(10)) == "RandomAffine(degrees=[-10.0, 10.0])"
    assert (
        repr(
            T.RandomAffine(
                (1, 2), translate=(0.1, 0.2), interpolation=InterpolationMode.BILINEAR, fill=1
            )
        )
        == "RandomAffine(degrees=[1.0, 2.0], translate=(0.1, 0.2), interpolation=bilinear, fill=1)"
    )


def test_rotate_affine_errors():
    with pytest.raises(ValueError, match=r"If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match=r"degrees should be a sequence of length 2."):
        T.RandomRotation([1, 2, 3])
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(1.5, 0))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match=r"shear should be a sequence of length 2 or 4."):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(TypeError, match=r"Fill should be either a sequence or a number."):
        T.RandomRotation(3, fill={"r": 1})
    with pytest.raises(
        ValueError, match="Interpolation mode 'bicubic' is unsupported with Tensor input"
    ):
        F.rotate(_chw(_smooth()), 10, InterpolationMode.BICUBIC)
    with pytest.raises(ValueError, match="The number of elements in 'fill' cannot broadcast"):
        F.rotate(_chw(_smooth()), 10, fill=[1, 2])
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(_chw(_smooth()), 0, [0, 0], 0.0, 0.0)
    assert (
        repr(T.RandomRotation(10))
        == "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"
    )


# ---------------------------------------------------------------------------------- colour


def _enhanced(enhancer, img, factor):
    return enhancer(img).enhance(factor)


@pytest.mark.parametrize(
    "fn, factor, enhancer, max_diff, mean_diff",
    [
        (F.adjust_brightness, 1.3, ImageEnhance.Brightness, 0, 0.0),
        (F.adjust_contrast, 0.6, ImageEnhance.Contrast, 1, 0.3),
        (F.adjust_saturation, 0.4, ImageEnhance.Color, 1, 0.5),
        (F.adjust_sharpness, 1.8, ImageEnhance.Sharpness, 1, 0.3),
    ],
)
def test_enhancements(fn, factor, enhancer, max_diff, mean_diff):
    array = _noise()
    pil = fn(_pil(array), factor)
    _assert_pil_equal(pil, _enhanced(enhancer, _pil(array), factor))
    _assert_agree(pil, fn(_chw(array), factor), max_diff, mean_diff)
    batch = fn(ember.stack([_chw(array), _chw(array)]), factor)
    np.testing.assert_array_equal(batch[1].numpy(), fn(_chw(array), factor).numpy())
    grey = _noise(c=1)
    _assert_agree(
        fn(Image.fromarray(grey[..., 0]), factor), fn(_chw(grey), factor), max_diff, mean_diff
    )


@pytest.mark.parametrize(
    "fn, pil_fn",
    [
        (F.invert, ImageOps.invert),
        (lambda x: F.posterize(x, 3), lambda x: ImageOps.posterize(x, 3)),
        (lambda x: F.solarize(x, 100), lambda x: ImageOps.solarize(x, 100)),
        (F.autocontrast, ImageOps.autocontrast),
        (F.equalize, ImageOps.equalize),
    ],
)
def test_pixel_ops_match_pil_exactly(fn, pil_fn):
    array = _noise(8, 9)
    array[..., 2] = 77  # a constant channel: autocontrast and equalize leave it alone
    _assert_pil_equal(fn(_pil(array)), pil_fn(_pil(array)))
    _assert_agree(fn(_pil(array)), fn(_chw(array)))
    batch = fn(ember.stack([_chw(array), _chw(array[::-1].copy())]))
    _assert_agree(pil_fn(_pil(array[::-1].copy())), batch[1])


def test_hue():
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    green = np.zeros_like(red)
    green[..., 1] = 255
    for img in (_pil(red), _chw(red)):  # a third of a turn takes red to green
        np.testing.assert_array_equal(_hwc(F.adjust_hue(img, 1 / 3)), green)
    array = _noise()
    for factor in (0.2, -0.35):
        pil = F.adjust_hue(_pil(array), factor)
        # PIL quantises hue to 8 bits, the tensor path does not
        _assert_agree(pil, F.adjust_hue(_chw(array), factor), 16, 1.5)
    grey = _pil(_noise(c=0))
    assert F.adjust_hue(grey, 0.3) is grey
    x = ember.tensor(np.random.default_rng(0).random((2, 3, 4, 4), dtype=np.float32))
    np.testing.assert_allclose(F.adjust_hue(x, 0.0).numpy(), x.numpy(), atol=1e-6)  # HSV round trip
    with pytest.raises(ValueError, match=r"hue_factor \(0.6\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(x, 0.6)


def test_gamma():
    array = _noise()
    lut = [int(255.999 * (v / 255) ** 0.7) for v in range(256)]
    expected = np.array(lut)[array]
    np.testing.assert_array_equal(_hwc(F.adjust_gamma(_pil(array), 0.7)), expected)
    _assert_agree(F.adjust_gamma(_pil(array), 0.7), F.adjust_gamma(_chw(array), 0.7))
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F.adjust_gamma(_chw(array), -1)


def test_grayscale():
    array = _noise()
    luma = (0.2989 * array[..., 0] + 0.587 * array[..., 1] + 0.114 * array[..., 2]).astype(np.uint8)
    np.testing.assert_array_equal(T.Grayscale()(_chw(array)).numpy()[0], luma)
    three = T.Grayscale(3)(_chw(array))
    np.testing.assert_array_equal(three.numpy(), np.stack([luma] * 3))
    _assert_pil_equal(T.Grayscale()(_pil(array)), _pil(array).convert("L"))
    pil3 = T.Grayscale(3)(_pil(array))
    np.testing.assert_array_equal(
        np.asarray(pil3), np.dstack([np.asarray(_pil(array).convert("L"))] * 3)
    )
    _assert_agree(T.Grayscale()(_pil(array)), T.Grayscale()(_chw(array)), 1, 0.6)
    assert T.RandomGrayscale(1.0)(_chw(array)).shape == (3, 12, 10)
    assert T.RandomGrayscale(1.0)(_pil(array)).mode == "RGB"
    assert repr(T.RandomGrayscale()) == "RandomGrayscale(p=0.1)"
    assert repr(T.Grayscale(3)) == "Grayscale(num_output_channels=3)"
    with pytest.raises(TypeError, match="Input image tensor permitted channel values are"):
        F.rgb_to_grayscale(ember.zeros(2, 3, 3))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(_pil(array), 2)
    with pytest.raises(TypeError, match="Input should be PIL Image"):
        F.to_grayscale(_chw(array))


def test_color_jitter(seeded):
    array = _noise()
    jitter = T.ColorJitter(brightness=0.5, contrast=(0.5, 1.5), saturation=0.4, hue=0.1)
    ember.manual_seed(7)
    order, b, c, s, h = T.ColorJitter.get_params(
        jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue
    )
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert 0.5 <= b < 1.5 and 0.5 <= c < 1.5 and 0.6 <= s < 1.4 and -0.1 <= h < 0.1
    ember.manual_seed(7)
    out = jitter(_pil(array))
    expected = _pil(array)
    steps = [
        lambda x: ImageEnhance.Brightness(x).enhance(b),
        lambda x: ImageEnhance.Contrast(x).enhance(c),
        lambda x: ImageEnhance.Color(x).enhance(s),
        lambda x: F.adjust_hue(x, h),
    ]
    for i in order.tolist():
        expected = steps[i](expected)
    _assert_pil_equal(out, expected)
    ember.manual_seed(7)
    _assert_agree(out, jitter(_chw(array)), 20, 2.0)
    assert T.ColorJitter().brightness is None and T.ColorJitter(hue=0).hue is None
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)
    assert (
        repr(T.ColorJitter(0.4))
        == "ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=None, hue=None)"
    )


def test_color_jitter_errors():
    with pytest.raises(
        ValueError, match=r"If brightness is a single number, it must be non negative."
    ):
        T.ColorJitter(brightness=-1)
    with pytest.raises(
        ValueError, match=r"hue values should be between \(-0.5, 0.5\), but got \[-0.7, 0.7\]."
    ):
        T.ColorJitter(hue=0.7)
    with pytest.raises(
        TypeError, match=r"contrast should be a single number or a list/tuple with length 2."
    ):
        T.ColorJitter(contrast=[1, 2, 3])
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(_chw(_noise()), -1)
    with pytest.raises(TypeError, match="img should be PIL Image"):
        F.adjust_contrast(np.zeros((2, 2)), 1.0)


def _gaussian_blur_reference(array, kx, ky, sx, sy):
    """Reflect-pad, then correlate with the outer product of two normalised Gaussians."""

    def kernel(k, s):
        x = np.arange(k) - (k - 1) / 2
        g = np.exp(-0.5 * (x / s) ** 2)
        return g / g.sum()

    weights = np.outer(kernel(ky, sy), kernel(kx, sx))
    padded = np.pad(array, ((0, 0), (ky // 2, ky // 2), (kx // 2, kx // 2)), mode="reflect")
    h, w = array.shape[1:]
    return sum(
        weights[a, b] * padded[:, a : a + h, b : b + w] for a in range(ky) for b in range(kx)
    )


def test_gaussian_blur(seeded):
    x = np.random.default_rng(0).random((3, 9, 8), dtype=np.float32)
    out = F.gaussian_blur(ember.tensor(x), [5, 3], [1.2, 0.7])
    np.testing.assert_allclose(out.numpy(), _gaussian_blur_reference(x, 5, 3, 1.2, 0.7), atol=1e-5)
    array = _noise()
    expected = np.rint(
        _gaussian_blur_reference(array.transpose(2, 0, 1).astype(np.float64), 3, 3, 0.8, 0.8)
    )
    pil = F.gaussian_blur(_pil(array), 3, 0.8)  # through a tensor and back, as in torchvision
    assert pil.mode == "RGB"
    np.testing.assert_allclose(_hwc(pil), expected.transpose(1, 2, 0), atol=1)
    _assert_agree(pil, F.gaussian_blur(_chw(array), 3, 0.8))
    ember.manual_seed(9)
    sigma = T.GaussianBlur.get_params(0.1, 2.0)
    assert 0.1 <= sigma < 2.0
    ember.manual_seed(9)
    _assert_pil_equal(T.GaussianBlur(3)(_pil(array)), F.gaussian_blur(_pil(array), 3, sigma))
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    with pytest.raises(
        ValueError, match=r"Kernel size value should be an odd and positive number."
    ):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="sigma values should be positive and of the form"):
        T.GaussianBlur(3, (2.0, 1.0))
    with pytest.raises(ValueError, match="kernel_size should have odd and positive integers"):
        F.gaussian_blur(_chw(array), [3, 2])


# --------------------------------------------------------------------------- RandomErasing


def test_random_erasing(seeded):
    x = ember.tensor(np.random.default_rng(0).random((3, 10, 12), dtype=np.float32))
    ember.manual_seed(11)
    i, j, h, w, v = T.RandomErasing.get_params(x, (0.02, 0.33), (0.3, 3.3), value=[0.0])
    assert 0 < h < 10 and 0 < w < 12 and 0.02 * 120 * 0.5 <= h * w <= 0.33 * 120 * 1.5
    assert v.shape == (1, 1, 1) and v.item() == 0.0
    ember.manual_seed(11)
    ember.rand(1)  # the p draw comes first in forward
    params = T.RandomErasing.get_params(x, (0.02, 0.33), (0.3, 3.3), value=[0.5])
    ember.manual_seed(11)
    out = T.RandomErasing(p=1.0, value=0.5)(x)
    i, j, h, w, _ = params
    expected = x.numpy().copy()
    expected[:, i : i + h, j : j + w] = 0.5
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not np.array_equal(x.numpy(), out.numpy())  # not in place
    noisy = T.RandomErasing(p=1.0, value="random", inplace=True)
    assert noisy(x) is x
    per_channel = T.RandomErasing(p=1.0, scale=(0.3, 0.3), ratio=(1.0, 1.0), value=(1, 2, 3))(
        ember.zeros(3, 10, 10)
    )
    assert sorted(np.unique(per_channel.numpy()).tolist()) == [0.0, 1.0, 2.0, 3.0]
    assert T.RandomErasing(p=0.0)(x) is x
    # nothing fits: the image is returned as its own replacement
    assert T.RandomErasing.get_params(x, (1.0, 1.0), (1.0, 1.0))[:4] == (0, 0, 10, 12)


def test_random_erasing_errors_and_repr():
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="zero")
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.5, 2))
    with pytest.raises(ValueError, match="Random erasing probability should be between 0 and 1"):
        T.RandomErasing(p=2)
    with pytest.raises(
        ValueError, match="If value is a sequence, it should have either a single value or 3"
    ):
        T.RandomErasing(p=1.0, value=(1, 2))(ember.zeros(3, 8, 8))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(_pil(_noise()), 0, 0, 1, 1, 0)
    assert (
        repr(T.RandomErasing())
        == "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)"
    )


# ------------------------------------------------------------------------------ containers


def test_compose_and_lambda():
    compose = T.Compose([T.ToTensor(), T.Normalize([0.1307], [0.3081])])
    assert (
        repr(compose) == "Compose(\n    ToTensor()\n    Normalize(mean=[0.1307], std=[0.3081])\n)"
    )
    out = T.Compose([T.Lambda(lambda x: x * 2), T.Lambda(lambda x: x + 1)])(3)
    assert out == 7
    assert repr(T.Lambda(abs)) == "Lambda()"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


def test_random_apply_choice_order(seeded):
    add = [T.Lambda(lambda x, k=k: x * 10 + k) for k in (1, 2, 3)]
    ember.manual_seed(0)
    draws = ember.rand(30).numpy()
    ember.manual_seed(0)
    results = [T.RandomApply(add[:2], p=0.3)(0) for _ in range(30)]
    assert results == [12 if d <= 0.3 else 0 for d in draws]
    assert (
        repr(T.RandomApply([T.ToTensor()], p=0.3)) == "RandomApply(\n    p=0.3\n    ToTensor()\n)"
    )

    order = T.RandomOrder(add)
    seen = {order(0) for _ in range(40)}
    assert seen <= {123, 132, 213, 231, 312, 321} and len(seen) > 1
    ember.manual_seed(5)
    first = [order(0) for _ in range(5)]
    ember.manual_seed(5)
    assert [order(0) for _ in range(5)] == first

    choice = T.RandomChoice(add, p=[0.0, 1.0, 0.0])
    assert {choice(0) for _ in range(10)} == {2}
    uniform = T.RandomChoice(add)
    ember.manual_seed(5)
    first = [uniform(0) for _ in range(8)]
    ember.manual_seed(5)
    assert [uniform(0) for _ in range(8)] == first and set(first) <= {1, 2, 3}
    assert repr(T.RandomChoice([T.ToTensor()])) == "RandomChoice(\n    ToTensor()\n)(p=None)"
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        T.RandomOrder(T.ToTensor())
    with pytest.raises(TypeError, match="Argument p should be a sequence"):
        T.RandomChoice(add, p=0.5)


def test_probabilistic_pixel_transforms(seeded):
    array = _noise()
    cases = [
        (T.RandomInvert(1.0), ImageOps.invert(_pil(array)), "RandomInvert(p=1.0)"),
        (
            T.RandomPosterize(2, 1.0),
            ImageOps.posterize(_pil(array), 2),
            "RandomPosterize(bits=2,p=1.0)",
        ),
        (
            T.RandomSolarize(9, 1.0),
            ImageOps.solarize(_pil(array), 9),
            "RandomSolarize(threshold=9,p=1.0)",
        ),
        (
            T.RandomAutocontrast(1.0),
            ImageOps.autocontrast(_pil(array)),
            "RandomAutocontrast(p=1.0)",
        ),
        (T.RandomEqualize(1.0), ImageOps.equalize(_pil(array)), "RandomEqualize(p=1.0)"),
        (
            T.RandomAdjustSharpness(2, 1.0),
            ImageEnhance.Sharpness(_pil(array)).enhance(2),
            "RandomAdjustSharpness(sharpness_factor=2,p=1.0)",
        ),
    ]
    for transform, expected, text in cases:
        _assert_pil_equal(transform(_pil(array)), expected)
        assert repr(transform) == text
        transform.p = 0.0
        np.testing.assert_array_equal(_hwc(transform(_chw(array))), array)


def test_linear_transformation():
    rng = np.random.default_rng(0)
    matrix = ember.tensor(rng.random((12, 12), dtype=np.float32))
    mean = ember.tensor(rng.random(12, dtype=np.float32))
    x = ember.tensor(rng.random((2, 3, 2, 2), dtype=np.float32))
    out = T.LinearTransformation(matrix, mean)(x)
    expected = (x.numpy().reshape(2, 12) - mean.numpy()) @ matrix.numpy()
    np.testing.assert_allclose(out.numpy(), expected.reshape(2, 3, 2, 2), rtol=1e-5)
    with pytest.raises(ValueError, match=r"transformation_matrix should be square. Got \(12, 3\)"):
        T.LinearTransformation(ember.zeros(12, 3), mean)
    with pytest.raises(
        ValueError, match="Input tensor and transformation matrix have incompatible shape"
    ):
        T.LinearTransformation(matrix, mean)(ember.zeros(1, 3, 3))


def test_get_dimensions():
    array = _noise()
    assert F.get_dimensions(_pil(array)) == [3, 12, 10] == F.get_dimensions(_chw(array))
    assert F.get_image_size(_pil(array)) == [10, 12] == F.get_image_size(_chw(array))
    assert F.get_image_num_channels(_pil(array).convert("LA")) == 2
    assert F.get_dimensions(ember.zeros(4, 5)) == [1, 4, 5]
    with pytest.raises(TypeError, match="Unexpected type"):
        F.get_dimensions(array)
    with pytest.raises(TypeError, match=r"Tensor is not a torch image."):
        F.hflip(ember.zeros(3))


# ------------------------------------------------------------------------- auto-augment


_AUGMENTERS = [
    T.AutoAugment(T.AutoAugmentPolicy.IMAGENET),
    T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
    T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=[100]),
    T.RandAugment(),
    T.RandAugment(num_ops=3, magnitude=20, interpolation=InterpolationMode.BILINEAR, fill=4),
    T.TrivialAugmentWide(),
]


@pytest.mark.parametrize("augment", _AUGMENTERS, ids=repr)
def test_auto_augment_runs_and_is_reproducible(augment, seeded):
    array = _smooth(12, 10)
    inputs = [
        _pil(array),
        _pil(array).convert("L"),
        _chw(array),
        ember.stack([_chw(array), _chw(array[::-1].copy())]),
    ]
    for img in inputs:
        runs = []
        for _ in range(2):
            ember.manual_seed(21)
            runs.append([augment(img) for _ in range(6)])
        for first, second in zip(*runs):
            if isinstance(img, ember.Tensor):
                assert first.dtype == ember.uint8 and first.shape == img.shape
                np.testing.assert_array_equal(first.numpy(), second.numpy())
            else:
                assert first.mode == img.mode and first.size == img.size
                _assert_pil_equal(first, second)


# every operation of the augmentation spaces, at a moderate magnitude, on both paths
_OPS = [
    ("Identity", 0.0, 0),
    ("ShearX", 0.23, 0),
    ("ShearY", -0.25, 0),
    ("TranslateX", 3.0, 0),
    ("TranslateY", -2.0, 0),
    ("Rotate", 20.0, 0),
    ("Brightness", 0.4, 0),
    ("Color", -0.5, 1),
    ("Contrast", 0.3, 1),
    ("Sharpness", 0.6, 1),
    ("Posterize", 5, 0),
    ("Solarize", 120.0, 0),
    ("AutoContrast", 0.0, 0),
    ("Equalize", 0.0, 0),
    ("Invert", 0.0, 0),
]


@pytest.mark.parametrize("op_name, magnitude, max_diff", _OPS)
def test_auto_augment_ops_agree(op_name, magnitude, max_diff):
    from embervision.transforms.autoaugment import _apply_op

    array = _smooth(12, 10)
    pil = _apply_op(_pil(array), op_name, magnitude, InterpolationMode.NEAREST, None)
    tensor = _apply_op(_chw(array), op_name, magnitude, InterpolationMode.NEAREST, [0.0, 0.0, 0.0])
    diff = np.abs(_hwc(pil) - _hwc(tensor))
    assert (diff.max(axis=-1) > max_diff).mean() < 0.02


def test_auto_augment_params_repr_errors(seeded):
    ember.manual_seed(3)
    policy_id, probs, signs = T.AutoAugment.get_params(25)
    assert 0 <= policy_id < 25 and probs.shape == (2,) and set(signs.tolist()) <= {0, 1}
    assert repr(T.AutoAugment()) == "AutoAugment(policy=AutoAugmentPolicy.IMAGENET, fill=None)"
    assert (
        repr(T.RandAugment()) == "RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31, "
        "interpolation=InterpolationMode.NEAREST, fill=None)"
    )
    assert (
        repr(T.TrivialAugmentWide())
        == "TrivialAugmentWide(num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None)"
    )
    space = T.RandAugment()._augmentation_space(10, (32, 20))
    assert space["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    assert math.isclose(space["TranslateX"][0][-1].item(), 150 / 331 * 20, rel_tol=1e-6)
    with pytest.raises(ValueError, match="The provided policy"):
        T.AutoAugment("imagenet")
    with pytest.raises(TypeError, match=r"Only torch.uint8 image tensors are supported"):
        F.equalize(ember.zeros(3, 4, 4))


# -------------------------------------------------------------------------------- pipelines


def test_cifar_training_pipeline(seeded):
    pipeline = T.Compose(
        [
            T.RandomCrop(32, padding=4),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
        ]
    )
    img = _pil(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    out = pipeline(img)
    assert out.shape == (3, 32, 32) and out.dtype == ember.float32
    ember.manual_seed(0)
    again = [pipeline(img).numpy() for _ in range(3)]
    ember.manual_seed(0)
    for expected in again:
        np.testing.assert_array_equal(pipeline(img).numpy(), expected)


@pytest.mark.parametrize("resize", [T.Pad(2), T.Resize(32)])
def test_mnist_lenet_pipeline(resize):
    digit = Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8), mode="L"
    )
    pipeline = T.Compose([resize, T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    out = pipeline(digit)
    assert out.shape == (1, 32, 32) and out.dtype == ember.float32
    if isinstance(resize, T.Pad):  # the border is background: (0 - mean) / std
        np.testing.assert_allclose(out.numpy()[0, :2].ravel(), -0.1307 / 0.3081, rtol=1e-6)
        expected = (np.asarray(digit) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
        np.testing.assert_allclose(out.numpy()[0, 2:30, 2:30], expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------- devices


def test_tensor_transforms_on_device(device):
    array = _smooth(12, 10)
    x = _chw(array)
    ops = [
        lambda t: F.resize(t, [7, 6]),
        lambda t: F.rotate(t, 30, fill=[1.0, 2.0, 3.0]),
        lambda t: F.adjust_hue(t, 0.2),
        lambda t: F.pad(t, [1, 2], padding_mode="symmetric"),
        lambda t: F.gaussian_blur(t, 3, 1.0),
        F.equalize,
        lambda t: F.normalize(F.convert_image_dtype(t), [0.5] * 3, [0.2] * 3),
    ]
    for op in ops:
        on_device = op(x.to(device))
        assert on_device.device.type == device
        np.testing.assert_allclose(on_device.cpu().numpy(), op(x).numpy(), atol=1e-5)
