"""Parity of embervision.transforms.v2 with torchvision's: the same images (uint8 and float),
masks and bounding boxes through the deterministic transforms, and through the random ones with
fixed parameters via their functionals, give the same outputs and metadata.

Skipped where torchvision is not installed.
"""

import importlib.util
import sys
import types

import numpy as np
import pytest

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
MASK = RNG.integers(0, 4, (H, W)).astype(np.int64)
BOXES = np.array([[1.0, 2.0, 9.0, 7.0], [0.0, 0.0, 16.0, 11.0], [5.5, 3.25, 6.5, 10.0]])


def _pair(kind, array, **meta):
    """The same sample as an ember and a torchvision TVTensor."""
    ours = {"image": tv_tensors.Image, "mask": tv_tensors.Mask, "boxes": tv_tensors.BoundingBoxes}
    theirs = {"image": tv_tv.Image, "mask": tv_tv.Mask, "boxes": tv_tv.BoundingBoxes}
    return (
        ours[kind](ember.tensor(array), **meta),
        theirs[kind](torch.from_numpy(array.copy()), **meta),
    )


def _assert_same(ours, theirs, atol):
    assert type(ours).__name__ == type(theirs).__name__
    assert tuple(ours.shape) == tuple(theirs.shape)
    if isinstance(ours, tv_tensors.BoundingBoxes):
        assert ours.format.value == theirs.format.value
        assert tuple(ours.canvas_size) == tuple(theirs.canvas_size)
    assert ours.dtype.name.split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(
        ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64), atol=atol, rtol=0
    )


def _samples():
    boxes_meta = dict(format="XYXY", canvas_size=(H, W))
    return [
        ("image", IMAGE_U8, {}, 1),
        ("image", IMAGE_F32, {}, 1e-5),
        ("mask", MASK, {}, 0),
        ("boxes", BOXES, boxes_meta, 1e-4),
        ("boxes", BOXES.astype(np.int64), boxes_meta, 0),
    ]


FUNCTIONAL_CASES = [
    ("horizontal_flip", {}),
    ("vertical_flip", {}),
    ("resize", dict(size=[7, 9])),
    ("resize", dict(size=[25, 30], antialias=False)),
    ("resize", dict(size=8, max_size=10)),
    ("crop", dict(top=2, left=3, height=6, width=9)),
    ("crop", dict(top=-2, left=5, height=8, width=15)),
    ("center_crop", dict(output_size=[7, 8])),
    ("resized_crop", dict(top=1, left=2, height=8, width=10, size=[5, 6])),
    ("pad", dict(padding=[1, 2, 3, 4], fill=0)),
    ("rotate", dict(angle=30.0)),
    ("rotate", dict(angle=-57.0, expand=True)),
    ("rotate", dict(angle=90.0, center=[4.0, 5.0])),
    ("affine", dict(angle=15.0, translate=[2, -1], scale=1.2, shear=[5.0, 3.0])),
]


@pytest.mark.parametrize("name, kwargs", FUNCTIONAL_CASES)
@pytest.mark.parametrize("kind, array, meta, atol", _samples())
def test_geometry_functionals(name, kwargs, kind, array, meta, atol):
    ours, theirs = _pair(kind, array, **meta)
    out = getattr(F, name)(ours, **kwargs)
    expected = getattr(TF, name)(theirs, **kwargs)
    _assert_same(out, expected, atol)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_rotate_affine_interpolation_and_fill(interpolation):
    mode_ours = T.InterpolationMode(interpolation)
    mode_theirs = TT.InterpolationMode(interpolation)
    ours, theirs = _pair("image", IMAGE_F32)
    out = F.rotate(ours, 33.0, interpolation=mode_ours, fill=[0.2, 0.4, 0.6])
    _assert_same(
        out, TF.rotate(theirs, 33.0, interpolation=mode_theirs, fill=[0.2, 0.4, 0.6]), 1e-5
    )
    out = F.affine(ours, 10.0, [1, 2], 0.9, [4.0, 0.0], interpolation=mode_ours, fill=0.5)
    expected = TF.affine(theirs, 10.0, [1, 2], 0.9, [4.0, 0.0], interpolation=mode_theirs, fill=0.5)
    _assert_same(out, expected, 1e-5)


def test_pad_vector_fill_and_modes():
    ours, theirs = _pair("image", IMAGE_U8)
    _assert_same(
        F.pad(ours, [2, 1], fill=[10, 20, 30]), TF.pad(theirs, [2, 1], fill=[10, 20, 30]), 0
    )
    for mode in ["edge", "reflect", "symmetric"]:
        _assert_same(
            F.pad(ours, [2, 1, 3, 0], padding_mode=mode),
            TF.pad(theirs, [2, 1, 3, 0], padding_mode=mode),
            0,
        )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("adjust_brightness", dict(brightness_factor=1.3)),
        ("adjust_contrast", dict(contrast_factor=0.7)),
        ("adjust_saturation", dict(saturation_factor=1.6)),
        ("adjust_hue", dict(hue_factor=0.2)),
        ("rgb_to_grayscale", dict(num_output_channels=3)),
        ("gaussian_blur", dict(kernel_size=[3, 5], sigma=[0.8, 1.4])),
        ("normalize", dict(mean=[0.4, 0.5, 0.6], std=[0.2, 0.3, 0.25])),
        ("to_dtype", dict(dtype="float32", scale=True)),
        ("to_dtype", dict(dtype="uint8", scale=True)),
        ("erase", dict(i=2, j=3, h=4, w=5, v=0.5)),
    ],
)
@pytest.mark.parametrize("array, atol", [(IMAGE_U8, 1), (IMAGE_F32, 1e-5)])
def test_color_and_misc_functionals(name, kwargs, array, atol):
    if name == "normalize" and array.dtype == np.uint8:
        pytest.skip("normalize takes float images")
    ours, theirs = _pair("image", array)
    kwargs_theirs = dict(kwargs)
    if "dtype" in kwargs:
        kwargs = dict(kwargs, dtype=getattr(ember, kwargs["dtype"]))
        kwargs_theirs["dtype"] = getattr(torch, kwargs_theirs["dtype"])
    if name == "erase":
        kwargs_theirs["v"] = torch.tensor(0.5)
        kwargs = dict(kwargs, v=ember.tensor(0.5))
    _assert_same(getattr(F, name)(ours, **kwargs), getattr(TF, name)(theirs, **kwargs_theirs), atol)


@pytest.mark.parametrize("new_format", ["XYWH", "CXCYWH"])
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_bounding_box_formats_and_clamping(new_format, dtype):
    ours, theirs = _pair(
        "boxes", (BOXES * [1, 1, 1.5, 1.2]).astype(dtype), format="XYXY", canvas_size=(H, W)
    )
    out = F.convert_bounding_box_format(ours, new_format=new_format)
    expected = TF.convert_bounding_box_format(theirs, new_format=new_format)
    _assert_same(out, expected, 0)
    _assert_same(F.clamp_bounding_boxes(out), TF.clamp_bounding_boxes(expected), 0)
    _assert_same(F.horizontal_flip(out), TF.horizontal_flip(expected), 0)
    _assert_same(F.resize(out, [20, 30]), TF.resize(expected, [20, 30]), 1e-6)


def test_deterministic_pipeline_on_a_detection_sample():
    pipeline_ours = T.Compose(
        [
            T.Resize(20),
            T.CenterCrop([16, 18]),
            T.Pad([1, 2]),
            T.RandomHorizontalFlip(p=1.0),
            T.ToDtype(ember.float32, scale=True),
            T.Normalize([0.5] * 3, [0.25] * 3),
            T.ConvertBoundingBoxFormat("CXCYWH"),
            T.SanitizeBoundingBoxes(min_size=2),
        ]
    )
    pipeline_theirs = TT.Compose(
        [
            TT.Resize(20),
            TT.CenterCrop([16, 18]),
            TT.Pad([1, 2]),
            TT.RandomHorizontalFlip(p=1.0),
            TT.ToDtype(torch.float32, scale=True),
            TT.Normalize([0.5] * 3, [0.25] * 3),
            TT.ConvertBoundingBoxFormat("CXCYWH"),
            TT.SanitizeBoundingBoxes(min_size=2),
        ]
    )
    image, image_t = _pair("image", IMAGE_U8)
    boxes, boxes_t = _pair("boxes", BOXES, format="XYXY", canvas_size=(H, W))
    mask, mask_t = _pair("mask", np.stack([MASK] * 3))
    labels = np.array([1, 2, 3])
    out = pipeline_ours((image, {"boxes": boxes, "masks": mask, "labels": ember.tensor(labels)}))
    expected = pipeline_theirs(
        (image_t, {"boxes": boxes_t, "masks": mask_t, "labels": torch.from_numpy(labels)})
    )
    _assert_same(out[0], expected[0], 0.02)
    for key in ["boxes", "masks"]:
        _assert_same(out[1][key], expected[1][key], 1e-4)
    np.testing.assert_array_equal(out[1]["labels"].numpy(), expected[1]["labels"].numpy())
