"""Parity of the rest of embervision.transforms.v2 with torchvision 0.29: the per-type kernels
(``*_image``, ``*_video``, ``*_mask``, ``*_bounding_boxes``, ``*_keypoints``), perspective,
elastic, five/ten crops, JPEG, noise and channel ops give the same outputs on the same inputs;
the random transforms give the same outputs for the same parameters (passed to ``transform``),
and the AutoAugment family has the same magnitude tables and operations.

Skipped where torchvision is not installed.
"""

import importlib.util
import sys
import types

import numpy as np
import pytest
from PIL import Image as PILImage

import ember
from embervision import tv_tensors
from embervision.transforms import v2 as T
from embervision.transforms.v2 import functional as F

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
import torch

try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the transforms are pure Python and do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision  # noqa: F401
from torchvision import tv_tensors as tv_tv
from torchvision.transforms import v2 as TT
from torchvision.transforms.v2 import functional as TF

H, W = 12, 17
RNG = np.random.default_rng(0)
IMAGE_U8 = RNG.integers(0, 256, (3, H, W)).astype(np.uint8)
IMAGE_F32 = RNG.random((3, H, W)).astype(np.float32)
VIDEO_U8 = RNG.integers(0, 256, (2, 3, H, W)).astype(np.uint8)
MASK = RNG.integers(0, 4, (H, W)).astype(np.int64)
BOXES = np.array([[1.0, 2.0, 9.0, 7.0], [0.0, 0.0, 16.0, 11.0], [5.5, 3.25, 6.5, 10.0]])
POINTS = np.array([[1.0, 2.0], [16.0, 11.0], [5.5, 3.25], [0.0, 0.0], [8.75, 6.5]])
DISPLACEMENT = (RNG.random((1, H, W, 2)).astype(np.float32) - 0.5) * 0.2
COEFFS = [1.05, 0.1, -1.0, -0.05, 0.95, 0.5, 0.002, -0.003]
START = [[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]]
END = [[2, 1], [W - 3, 0], [W - 1, H - 2], [1, H - 3]]

OURS = {
    "image": tv_tensors.Image,
    "video": tv_tensors.Video,
    "mask": tv_tensors.Mask,
    "boxes": tv_tensors.BoundingBoxes,
    "points": tv_tensors.KeyPoints,
}
THEIRS = {
    "image": tv_tv.Image,
    "video": tv_tv.Video,
    "mask": tv_tv.Mask,
    "boxes": tv_tv.BoundingBoxes,
    "points": tv_tv.KeyPoints,
}


def _pair(kind, array, **meta):
    """The same sample as an ember and a torchvision TVTensor (plain tensors for "tensor")."""
    if kind == "tensor":
        return ember.tensor(array), torch.from_numpy(array.copy())
    return OURS[kind](ember.tensor(array), **meta), THEIRS[kind](
        torch.from_numpy(array.copy()), **meta
    )


def _assert_same(ours, theirs, atol=0):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _assert_same(o, t, atol)
        return
    if isinstance(theirs, PILImage.Image):
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        return
    assert type(ours).__name__ == type(theirs).__name__
    assert tuple(ours.shape) == tuple(theirs.shape)
    for name in ("format", "canvas_size", "clamping_mode"):
        if hasattr(theirs, name):
            expected = getattr(theirs, name)
            expected = expected.value if hasattr(expected, "value") else expected
            actual = getattr(ours, name)
            assert (actual.value if hasattr(actual, "value") else actual) == expected, name
    assert ours.dtype.name.split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(
        ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64), atol=atol, rtol=0
    )


def _both(name, ours, theirs, *args, **kwargs):
    """``F.name`` and ``TF.name`` of the pair, with the same arguments."""
    return getattr(F, name)(ours, *args, **kwargs), getattr(TF, name)(theirs, *args, **kwargs)


# ------------------------------------------------------------------- per-type kernel names

IMAGE_KERNELS = [
    ("adjust_brightness_image", dict(brightness_factor=1.3)),
    ("adjust_contrast_image", dict(contrast_factor=0.6)),
    ("adjust_saturation_image", dict(saturation_factor=1.7)),
    ("adjust_hue_image", dict(hue_factor=-0.2)),
    ("adjust_gamma_image", dict(gamma=0.7, gain=1.1)),
    ("adjust_sharpness_image", dict(sharpness_factor=1.8)),
    ("autocontrast_image", {}),
    ("equalize_image", {}),
    ("invert_image", {}),
    ("posterize_image", dict(bits=3)),
    ("rgb_to_grayscale_image", dict(num_output_channels=3)),
    ("grayscale_to_rgb_image", {}),
    ("permute_channels_image", dict(permutation=[2, 0, 1])),
    ("horizontal_flip_image", {}),
    ("vertical_flip_image", {}),
    ("resize_image", dict(size=[7, 9], interpolation="bilinear")),
    ("crop_image", dict(top=-2, left=3, height=9, width=15)),
    ("center_crop_image", dict(output_size=[8, 20])),
    ("resized_crop_image", dict(top=1, left=2, height=8, width=10, size=[5, 6])),
    ("pad_image", dict(padding=[1, 2, 3, 4], fill=[3, 4, 5])),
    ("rotate_image", dict(angle=25.0, interpolation="bilinear", expand=True)),
    ("affine_image", dict(angle=10.0, translate=[1, 2], scale=1.1, shear=[5.0, 3.0])),
    ("gaussian_blur_image", dict(kernel_size=[3, 5], sigma=[0.8, 1.3])),
    ("erase_image", dict(i=2, j=3, h=4, w=5, v=0)),
    ("to_dtype_image", dict(dtype="float64", scale=True)),
]


def _kwargs(kwargs, fw):
    """The kernel arguments for ember or torch (dtypes and tensor values translated)."""
    out = dict(kwargs)
    if "dtype" in out:
        out["dtype"] = getattr(fw, out["dtype"])
    if "v" in out:
        out["v"] = fw.tensor(float(out["v"]))
    return out


@pytest.mark.parametrize("name, kwargs", IMAGE_KERNELS)
@pytest.mark.parametrize("array", [IMAGE_U8, IMAGE_F32, VIDEO_U8], ids=["u8", "f32", "batch"])
def test_image_and_video_kernels(name, kwargs, array):
    ours, theirs = _pair("tensor", array)
    out = getattr(F, name)(ours, **_kwargs(kwargs, ember))
    expected = getattr(TF, name)(theirs, **_kwargs(kwargs, torch))
    _assert_same(out, expected, atol=1 if array.dtype == np.uint8 else 1e-5)
    video = name.replace("_image", "_video")
    if hasattr(TF, video):
        # the video kernels take their input by the name "video"
        ours_v, theirs_v = _pair("tensor", VIDEO_U8[None].repeat(2, 0))
        out = getattr(F, video)(video=ours_v, **_kwargs(kwargs, ember))
        expected = getattr(TF, video)(video=theirs_v, **_kwargs(kwargs, torch))
        _assert_same(out, expected, atol=1)


def test_color_kernels_on_float_and_integer_edge_cases():
    ours, theirs = _pair("tensor", IMAGE_F32)
    for bits in (0, 1, 5, 8):
        _assert_same(*_both("posterize_image", ours, theirs, bits=bits), atol=1e-6)
    _assert_same(*_both("solarize_image", ours, theirs, threshold=0.4), atol=1e-6)
    _assert_same(*_both("equalize", ours, theirs), atol=1e-6)
    ours, theirs = _pair("tensor", IMAGE_U8)
    _assert_same(*_both("solarize", ours, theirs, threshold=128))
    # one channel: grayscale_to_rgb repeats it, an RGB image is returned as is
    _assert_same(*_both("grayscale_to_rgb", ours[:1], theirs[:1]))
    constant = np.full((1, 4, 5), 7, dtype=np.uint8)
    _assert_same(*_both("equalize", *_pair("tensor", constant)))
    _assert_same(*_both("autocontrast", *_pair("tensor", constant)))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("horizontal_flip_mask", {}),
        ("vertical_flip_mask", {}),
        ("resize_mask", dict(size=[20, 9])),
        ("crop_mask", dict(top=2, left=-3, height=6, width=9)),
        ("center_crop_mask", dict(output_size=[14, 8])),
        ("resized_crop_mask", dict(top=1, left=2, height=8, width=10, size=[15, 16])),
        ("pad_mask", dict(padding=[1, 2], fill=9)),
        ("rotate_mask", dict(angle=33.0, expand=True)),
        ("affine_mask", dict(angle=10.0, translate=[1, 2], scale=1.1, shear=[5.0, 3.0])),
        ("perspective_mask", dict(startpoints=START, endpoints=END)),
    ],
)
def test_mask_kernels(name, kwargs):
    for array in (MASK, np.stack([MASK, MASK[::-1]])):
        _assert_same(*_both(name, *_pair("tensor", array), **kwargs))


def test_meta_kernels():
    image, image_t = _pair("tensor", VIDEO_U8)
    for name in ("get_dimensions_image", "get_num_channels_image", "get_size_image"):
        assert getattr(F, name)(image) == getattr(TF, name)(image_t)
    video, video_t = _pair("video", VIDEO_U8[None])
    assert F.get_num_frames(video) == TF.get_num_frames(video_t) == 2
    assert F.get_size_video(video) == TF.get_size_video(video_t)
    points, points_t = _pair("points", POINTS, canvas_size=(H, W))
    assert F.get_size(points) == TF.get_size(points_t)
    assert F.get_size_keypoints(points) == TF.get_size_keypoints(points_t)


# ------------------------------------------------------------------------------ keypoints

KEYPOINT_CASES = [
    ("horizontal_flip", {}),
    ("vertical_flip", {}),
    ("resize", dict(size=[7, 9])),
    ("resize", dict(size=8, max_size=10)),
    ("crop", dict(top=2, left=3, height=6, width=9)),
    ("center_crop", dict(output_size=[7, 8])),
    ("resized_crop", dict(top=1, left=2, height=8, width=10, size=[5, 6])),
    ("pad", dict(padding=[1, 2, 3, 4])),
    ("rotate", dict(angle=30.0)),
    ("rotate", dict(angle=-57.0, expand=True)),
    ("rotate", dict(angle=90.0, center=[4.0, 5.0])),
    ("affine", dict(angle=15.0, translate=[2, -1], scale=1.2, shear=[5.0, 3.0])),
    ("perspective", dict(startpoints=START, endpoints=END)),
    ("perspective", dict(startpoints=None, endpoints=None, coefficients=COEFFS)),
]


@pytest.mark.parametrize("name, kwargs", KEYPOINT_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_keypoint_kernels(name, kwargs, dtype):
    for array in (
        POINTS.astype(dtype),
        POINTS.astype(dtype).reshape(-1, 1, 2)[:4].reshape(2, 2, 2),
    ):
        ours, theirs = _pair("points", array, canvas_size=(H, W))
        _assert_same(*_both(name, ours, theirs, **kwargs), atol=1e-4)


def test_keypoint_elastic_clamp_and_sanitize():
    points = (POINTS * [1.1, 1.2] - [1, 1]).astype(np.float32)
    ours, theirs = _pair("points", points, canvas_size=(H, W))
    d_ours, d_theirs = _pair("tensor", DISPLACEMENT)
    _assert_same(F.elastic(ours, d_ours), TF.elastic(theirs, d_theirs), atol=1e-5)
    _assert_same(*_both("clamp_keypoints", ours, theirs))
    out, valid = F.sanitize_keypoints(ours)
    expected, valid_t = TF.sanitize_keypoints(theirs)
    _assert_same(out, expected)
    np.testing.assert_array_equal(valid.numpy(), valid_t.numpy())
    # groups of points go or stay together; plain tensors take the canvas size
    groups = points[:4].reshape(2, 2, 2)
    out, valid = F.sanitize_keypoints(ember.tensor(groups), canvas_size=(H, W))
    expected, valid_t = TF.sanitize_keypoints(torch.from_numpy(groups), canvas_size=(H, W))
    _assert_same(out, expected)
    np.testing.assert_array_equal(valid.numpy(), valid_t.numpy())


# --------------------------------------------------------------- perspective and elastic


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("array", [IMAGE_U8, IMAGE_F32], ids=["u8", "f32"])
def test_perspective_and_elastic_images(interpolation, array):
    ours, theirs = _pair("image", array)
    atol = 1 if array.dtype == np.uint8 else 1e-5
    for kwargs in (
        dict(startpoints=START, endpoints=END),
        dict(startpoints=None, endpoints=None, coefficients=COEFFS, fill=[0.5, 1.0, 0.25]),
    ):
        _assert_same(
            *_both("perspective", ours, theirs, interpolation=interpolation, **kwargs), atol
        )
    d_ours, d_theirs = _pair("tensor", DISPLACEMENT)
    out = F.elastic(ours, d_ours, interpolation=interpolation, fill=0.5)
    _assert_same(out, TF.elastic(theirs, d_theirs, interpolation=interpolation, fill=0.5), atol)


def test_perspective_and_elastic_on_pil():
    image = PILImage.fromarray(IMAGE_U8.transpose(1, 2, 0))
    for interpolation in ("nearest", "bilinear"):
        _assert_same(
            *_both(
                "perspective", image, image, START, END, interpolation=interpolation, fill=[9, 8, 7]
            )
        )
    out = F.elastic(image, ember.tensor(DISPLACEMENT))
    expected = TF.elastic(image, torch.from_numpy(DISPLACEMENT))
    np.testing.assert_allclose(np.asarray(out, float), np.asarray(expected, float), atol=1)


@pytest.mark.parametrize("format", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_perspective_and_elastic_boxes(format, dtype):
    boxes = TF.convert_bounding_box_format(
        torch.from_numpy(BOXES.astype(dtype)), old_format="XYXY", new_format=format
    ).numpy()
    ours, theirs = _pair("boxes", boxes, format=format, canvas_size=(H, W))
    atol = 1 if dtype == np.int64 else 1e-4
    for kwargs in (
        dict(startpoints=START, endpoints=END),
        dict(startpoints=None, endpoints=None, coefficients=COEFFS),
    ):
        _assert_same(*_both("perspective", ours, theirs, **kwargs), atol)
    out = F.elastic(ours, ember.tensor(DISPLACEMENT))
    _assert_same(out, TF.elastic(theirs, torch.from_numpy(DISPLACEMENT)), atol)


# ----------------------------------------------------------- crops, JPEG, noise, temporal


@pytest.mark.parametrize("kind", ["tensor", "image", "video"])
def test_five_and_ten_crop(kind):
    array = VIDEO_U8 if kind == "video" else IMAGE_U8
    ours, theirs = _pair(kind, array)
    _assert_same(*_both("five_crop", ours, theirs, [5, 7]))
    _assert_same(*_both("ten_crop", ours, theirs, 6, vertical_flip=True))
    _assert_same(T.TenCrop([5, 7])(ours), TT.TenCrop([5, 7])(theirs))


def test_five_crop_pil_and_errors():
    image = PILImage.fromarray(IMAGE_U8.transpose(1, 2, 0))
    _assert_same(*_both("five_crop", image, image, 6))
    ours, theirs = _pair("image", IMAGE_U8)
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(ours, [H + 1, 2])
    with pytest.raises(ValueError, match="bigger than input size"):
        TF.five_crop(theirs, [H + 1, 2])


def test_jpeg():
    # Pillow's encoder in both: torchvision's PIL kernel, and ember's tensor kernel (which
    # equals it frame by frame; torchvision's own tensor kernel needs its libjpeg extension)
    video = np.repeat(np.repeat(VIDEO_U8, 3, 2), 3, 3)
    frames = [PILImage.fromarray(frame.transpose(1, 2, 0)) for frame in video]
    for quality in (10, 75):
        _assert_same(*_both("jpeg", frames[0], frames[0], quality))
        out = F.jpeg(_pair("video", video)[0], quality)
        assert type(out) is tv_tensors.Video and out.dtype == ember.uint8
        expected = np.stack([np.asarray(TF.jpeg(frame, quality)) for frame in frames])
        np.testing.assert_array_equal(out.numpy(), expected.transpose(0, 3, 1, 2))
    out = T.JPEG(50).transform(frames[1], dict(quality=50))
    _assert_same(out, TT.JPEG(50).transform(frames[1], dict(quality=50)))


def test_gaussian_noise_without_randomness():
    # sigma = 0 leaves the mean shift and the clipping, both deterministic
    for array in (IMAGE_U8, IMAGE_F32):
        ours, theirs = _pair("image", array)
        for clip in (True, False):
            out, expected = _both("gaussian_noise", ours, theirs, mean=0.3, sigma=0.0, clip=clip)
            _assert_same(out, expected, atol=1e-6)
    with pytest.raises(ValueError, match="not implemented for PIL"):
        F.gaussian_noise(PILImage.new("RGB", (4, 4)))


def test_uniform_temporal_subsample_and_dtype_conversions():
    video = RNG.integers(0, 256, (7, 3, 4, 5)).astype(np.uint8)
    ours, theirs = _pair("video", video)
    for num_samples in (3, 7, 10):
        _assert_same(*_both("uniform_temporal_subsample", ours, theirs, num_samples))
        _assert_same(
            T.UniformTemporalSubsample(num_samples)(ours),
            TT.UniformTemporalSubsample(num_samples)(theirs),
        )
    image, image_t = _pair("tensor", IMAGE_U8)
    out = F.convert_image_dtype(image, ember.float64)
    _assert_same(out, TF.convert_image_dtype(image_t, torch.float64), atol=1e-12)
    sample = (_pair("image", IMAGE_F32), _pair("mask", MASK))
    out = T.ConvertImageDtype(ember.uint8)([s[0] for s in sample])
    expected = TT.ConvertImageDtype(torch.uint8)([s[1] for s in sample])
    _assert_same(out, expected)


def test_to_tensor_and_get_image_size_are_deprecated():
    image = PILImage.fromarray(IMAGE_U8.transpose(1, 2, 0))
    with pytest.warns(UserWarning, match="deprecated"):
        out = F.to_tensor(image)
    with pytest.warns(UserWarning, match="deprecated"):
        expected = TF.to_tensor(image)
    _assert_same(out, expected, atol=1e-7)
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.get_image_size(image) == [W, H]
    with pytest.warns(UserWarning, match="deprecated"):
        transform = T.ToTensor()
    _assert_same(transform(image), expected, atol=1e-7)


# ------------------------------------------------------ random transforms, params fixed


def _sample(fw_index):
    """An image with boxes, keypoints and a mask, for ember (0) or torchvision (1)."""
    return (
        _pair("image", IMAGE_U8)[fw_index],
        _pair("boxes", BOXES, format="XYXY", canvas_size=(H, W))[fw_index],
        _pair("points", POINTS, canvas_size=(H, W))[fw_index],
        _pair("mask", MASK)[fw_index],
    )


def _image_fill(module):
    """``{Image: 7, "others": 0}`` with the Image type of ``module``'s framework."""
    image_type = OURS["image"] if module is T else THEIRS["image"]
    return {image_type: 7, "others": 0}


def _transform_sample(transform, params, fw_index):
    return [transform.transform(inpt, params) for inpt in _sample(fw_index)]


@pytest.mark.parametrize(
    "make, params",
    [
        (
            # a fill per type: the image is filled with 7, the mask with 0
            lambda m: m.RandomZoomOut(fill=_image_fill(m)),
            dict(padding=[3, 1, 4, 2]),
        ),
        (lambda m: m.RandomPerspective(interpolation="nearest", fill=3), dict(coefficients=COEFFS)),
        (lambda m: m.RandomIoUCrop(), {}),
        (lambda m: m.ScaleJitter((20, 20)), dict(size=(9, 13))),
        (lambda m: m.RandomShortestSize(10), dict(size=(10, 14))),
        (lambda m: m.RandomResize(8, 12), dict(size=[10])),
    ],
)
def test_random_transforms_with_fixed_params(make, params):
    outs = [_transform_sample(make(m), params, i) for i, m in enumerate((T, TT))]
    for out, expected in zip(*outs):
        # uint8 images are truncated from float32, which may land one step apart
        _assert_same(out, expected, atol=1 if isinstance(expected, tv_tv.Image) else 1e-4)


def test_random_iou_crop_marks_boxes_outside_the_crop():
    params = dict(top=2, left=3, height=8, width=9)
    for i, module in enumerate((T, TT)):
        within = [True, False, True]
        params["is_within_crop_area"] = (ember if i == 0 else torch).tensor(within)
        out = _transform_sample(module.RandomIoUCrop(), params, i)
        if i == 0:
            ours = out
        else:
            for o, t in zip(ours, out):
                _assert_same(o, t, 1e-6)
    assert ours[1][1].abs().sum().item() == 0


def test_elastic_transform_and_photometric_distort_with_fixed_params():
    displacement = _pair("tensor", DISPLACEMENT)
    outs = [
        _transform_sample(m.ElasticTransform(fill=2), dict(displacement=d), i)
        for i, (m, d) in enumerate(zip((T, TT), displacement))
    ]
    for out, expected in zip(*outs):
        _assert_same(out, expected, 1)
    for contrast_before in (True, False):
        params = dict(
            brightness_factor=1.1,
            contrast_factor=0.7,
            saturation_factor=1.3,
            hue_factor=0.04,
            contrast_before=contrast_before,
        )
        ours, theirs = _pair("image", IMAGE_F32)
        out = T.RandomPhotometricDistort().transform(
            ours, dict(params, channel_permutation=ember.tensor([2, 0, 1]))
        )
        expected = TT.RandomPhotometricDistort().transform(
            theirs, dict(params, channel_permutation=torch.tensor([2, 0, 1]))
        )
        _assert_same(out, expected, 1e-5)


@pytest.mark.parametrize("labels", [np.array([0, 2, 1, 4]), np.eye(5)[[3, 1, 0, 2]] * 0.8])
def test_mixup_and_cutmix_with_fixed_params(labels):
    batch = RNG.random((4, 3, 6, 8)).astype(np.float32)
    for name, params in (
        ("MixUp", dict(lam=0.3)),
        ("CutMix", dict(box=(2, 1, 7, 4), lam_adjusted=1 - 15 / 48)),
    ):
        results = []
        for i, module in enumerate((T, TT)):
            transform = getattr(module, name)(num_classes=5)
            images, label = _pair("image", batch)[i], _pair("tensor", labels)[i]
            full = dict(params, labels=label, batch_size=4)
            results.append((transform.transform(images, full), transform.transform(label, full)))
        for ours, theirs in zip(*results):
            _assert_same(ours, theirs, 1e-6)


# ------------------------------------------------------------------- the AutoAugment family

POLICIES = {
    "AutoAugment": lambda m: m.AutoAugment(),
    "RandAugment": lambda m: m.RandAugment(),
    "TrivialAugmentWide": lambda m: m.TrivialAugmentWide(),
    "AugMix": lambda m: m.AugMix(),
}


@pytest.mark.parametrize("name", list(POLICIES))
def test_augmentation_spaces_are_torchvisions(name):
    ours, theirs = POLICIES[name](T), POLICIES[name](TT)
    spaces = ["_AUGMENTATION_SPACE"] + (["_PARTIAL_AUGMENTATION_SPACE"] if name == "AugMix" else [])
    for space in spaces:
        table, expected = getattr(ours, space), getattr(theirs, space)
        assert list(table) == list(expected)  # the order the random choice indexes
        for op, (fn, signed) in table.items():
            assert signed == expected[op][1], op
            for num_bins, height, width in [(10, 33, 17), (31, 224, 224), (10, 331, 500)]:
                magnitudes = fn(num_bins, height, width)
                reference = expected[op][0](num_bins, height, width)
                if reference is None:
                    assert magnitudes is None, op
                    continue
                assert magnitudes.dtype.name.split(".")[-1] == str(reference.dtype).split(".")[-1]
                np.testing.assert_array_equal(magnitudes.numpy(), reference.numpy(), err_msg=op)


OPS = [
    ("Identity", 0.0),
    ("ShearX", 0.23),
    ("ShearY", -0.3),
    ("TranslateX", -5.7),
    ("TranslateY", 3.2),
    ("Rotate", 21.0),
    ("Brightness", 0.4),
    ("Color", -0.5),
    ("Contrast", 0.6),
    ("Sharpness", 0.9),
    ("Posterize", 5.0),
    ("Solarize", 0.4),
    ("AutoContrast", 0.0),
    ("Equalize", 0.0),
    ("Invert", 0.0),
]


@pytest.mark.parametrize("op, magnitude", OPS)
@pytest.mark.parametrize(
    "kind, array", [("image", IMAGE_U8), ("image", IMAGE_F32), ("video", VIDEO_U8[None])]
)
def test_auto_augment_operations(op, magnitude, kind, array):
    ours, theirs = _pair(kind, array)
    for interpolation in ("nearest", "bilinear"):
        out = T.AutoAugment()._apply_image_or_video_transform(
            ours, op, magnitude, interpolation, {"others": [1, 2, 3]}
        )
        expected = TT.AutoAugment()._apply_image_or_video_transform(
            theirs, op, magnitude, interpolation, {"others": [1, 2, 3]}
        )
        _assert_same(out, expected, atol=1 if array.dtype == np.uint8 else 1e-5)


def _fixed_dirichlet(fw):
    """Dirichlet "draws": 1/4 for the original and 3/4 for the chains, 1 for the one chain."""

    def sample(params):
        n, k = params.shape
        return fw.tensor([0.25, 0.75] if k == 2 else [1.0] * k).expand(n, k)

    return sample


def test_augmix_mixes_like_torchvision_with_fixed_draws():
    """With the Dirichlet draws replaced by constants and one chain of one operation (the
    only one drawn: the partial space, magnitudes at severity 1 are the first bin), AugMix
    must equal torchvision's."""

    image = _pair("image", IMAGE_U8)
    outs = []
    for i, (module, fw) in enumerate(((T, ember), (TT, torch))):
        transform = module.AugMix(severity=1, mixture_width=1, chain_depth=1, all_ops=False)
        transform._sample_dirichlet = _fixed_dirichlet(fw)
        # the one operation: AutoContrast (no magnitude, so no further draws)
        transform._get_random_item = lambda dct: ("AutoContrast", dct["AutoContrast"])
        outs.append(transform(image[i]))
    _assert_same(outs[0], outs[1], atol=1)
