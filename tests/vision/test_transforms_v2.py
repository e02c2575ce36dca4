"""embervision.transforms.v2 and tv_tensors: box coordinates worked out by hand, masks
following their images, TVTensor types and metadata kept, nested samples, determinism."""

import numpy as np
import pytest
from PIL import Image as PILImage

import ember
from ember.testing import assert_close
from embervision import tv_tensors
from embervision.transforms import v2 as T
from embervision.transforms.v2 import functional as F

H, W = 10, 20


def _boxes(data, format="XYXY", canvas_size=(H, W), device=None):
    return tv_tensors.BoundingBoxes(data, format=format, canvas_size=canvas_size, device=device)


def _image(dtype=ember.uint8, device=None):
    rng = np.random.default_rng(0)
    data = ember.tensor(rng.integers(0, 256, (3, H, W)), dtype=dtype)
    return tv_tensors.Image(data, device=device)


def _mask(device=None):
    mask = np.zeros((H, W), dtype=np.int64)
    mask[2:6, 1:5] = 1  # the box [1, 2, 5, 6] in XYXY
    return tv_tensors.Mask(ember.tensor(mask), device=device)


def _np(tensor):
    """A tensor's values as a numpy array, copied to the host from any device."""
    return tensor.cpu().numpy()


def _on(device, *tensors):
    """Assert that every tensor lives on ``device``."""
    for tensor in tensors:
        assert tensor.device.type == device, f"{type(tensor).__name__} on {tensor.device}"


def _mask_box(mask):
    """The XYXY box enclosing the non-zero pixels of a mask."""
    ys, xs = np.nonzero(_np(mask))
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


# ------------------------------------------------------------------------------ tv_tensors


def test_tv_tensor_types_and_unwrapping():
    img = _image()
    assert isinstance(img, ember.Tensor)
    assert type(img + 1) is ember.Tensor  # ops return plain tensors, as in torch
    assert type(img.clone()) is tv_tensors.Image
    assert type(img.to(ember.float32)) is tv_tensors.Image
    boxes = _boxes([1, 2, 5, 6])
    assert boxes.shape == (1, 4)
    assert boxes.format == tv_tensors.BoundingBoxFormat.XYXY
    assert boxes.clone().canvas_size == (H, W)
    wrapped = tv_tensors.wrap(boxes + 1, like=boxes, canvas_size=(4, 4))
    assert type(wrapped) is tv_tensors.BoundingBoxes
    assert wrapped.canvas_size == (4, 4) and wrapped.format == boxes.format
    assert tv_tensors.Image(ember.zeros(4, 5)).shape == (1, 4, 5)
    assert tv_tensors.Mask(PILImage.new("L", (5, 4))).shape == (4, 5)
    with pytest.raises(ValueError):
        tv_tensors.Video(ember.zeros(3, 4, 5))


@pytest.mark.parametrize(
    "format, data",
    [("XYXY", [1, 2, 5, 8]), ("XYWH", [1, 2, 4, 6]), ("CXCYWH", [3, 5, 4, 6])],
)
def test_convert_bounding_box_format(format, data, device):
    boxes = _boxes([1.0, 2.0, 5.0, 8.0], device=device)
    converted = F.convert_bounding_box_format(boxes, new_format=format)
    assert converted.format.value == format
    np.testing.assert_allclose(_np(converted), [data])
    back = T.ConvertBoundingBoxFormat("XYXY")(converted)
    np.testing.assert_allclose(_np(back), [[1, 2, 5, 8]])
    _on(device, converted, back)
    # integer boxes (even sizes: CXCYWH rounds half sizes, as torchvision, so that odd ones
    # do not come back unchanged)
    ints = _boxes([[1, 2, 7, 10]], device=device)
    converted = F.convert_bounding_box_format(ints, new_format=format)
    assert converted.dtype == ember.int64 and converted.device.type == device
    back = T.ConvertBoundingBoxFormat("XYXY")(converted)
    np.testing.assert_array_equal(_np(back), [[1, 2, 7, 10]])


def test_clamp_bounding_boxes(device):
    boxes = _boxes([[-3, 2, 25, 12]], device=device)
    clamped = T.ClampBoundingBoxes()(boxes)
    np.testing.assert_array_equal(_np(clamped), [[0, 2, 20, 10]])
    plain = F.clamp_bounding_boxes(
        ember.tensor([[-3.0, 2.0, 25.0, 12.0]], device=device),
        format="XYXY",
        canvas_size=(H, W),
        clamping_mode="soft",
    )
    np.testing.assert_allclose(_np(plain), [[0, 2, 20, 10]])
    _on(device, clamped, plain)


# --------------------------------------------------------------------------- geometry, boxes


@pytest.mark.parametrize(
    "transform, expected_box, expected_canvas",
    [
        (T.RandomHorizontalFlip(p=1.0), [15, 2, 19, 6], (H, W)),
        (T.RandomVerticalFlip(p=1.0), [1, 4, 5, 8], (H, W)),
        (T.Resize((20, 40)), [2, 4, 10, 12], (20, 40)),
        (T.Resize(5), [0, 1, 2, 3], (5, 10)),  # x0.5, truncated back to int
        (T.CenterCrop(6), [0, 0, 0, 4], (6, 6)),  # crop at (top 2, left 7), clamped
        (T.Pad([1, 2]), [2, 4, 6, 8], (H + 4, W + 2)),
        (T.Pad([1, 2, 3, 4]), [2, 4, 6, 8], (H + 6, W + 4)),
    ],
)
def test_box_coordinates_and_masks(transform, expected_box, expected_canvas, device):
    image, boxes = _image(device=device), _boxes([1, 2, 5, 6], device=device)
    mask = _mask(device=device)
    out_image, out_boxes, out_mask = transform(image, boxes, mask)
    assert type(out_image) is tv_tensors.Image
    assert type(out_boxes) is tv_tensors.BoundingBoxes
    assert type(out_mask) is tv_tensors.Mask
    _on(device, out_image, out_boxes, out_mask)
    assert out_image.dtype == ember.uint8 and out_mask.dtype == ember.int64
    assert out_boxes.canvas_size == expected_canvas
    assert tuple(out_image.shape[-2:]) == expected_canvas
    assert tuple(out_mask.shape) == expected_canvas
    np.testing.assert_array_equal(_np(out_boxes), [expected_box])
    if expected_box[2] > expected_box[0] and not isinstance(transform, T.Resize):
        assert _mask_box(out_mask) == expected_box  # the mask moved like the box


def test_mask_resize_is_nearest(device):
    mask = tv_tensors.Mask(ember.tensor([[0, 3], [7, 1]]), device=device)
    out = T.Resize((4, 4))(mask)
    assert out.dtype == ember.int64 and out.device.type == device
    np.testing.assert_array_equal(_np(out), np.kron([[0, 3], [7, 1]], np.ones((2, 2), int)))


def test_crop_functional_boxes(device):
    boxes = _boxes([[1, 2, 5, 6]], format="XYWH", device=device)
    out = F.crop(boxes, top=1, left=2, height=5, width=5)
    assert out.canvas_size == (5, 5) and out.device.type == device
    # XYWH [1, 2, 5, 6] spans x 1..6, y 2..8; shifted: x -1..4, y 1..7; clamped: x 0..4, y 1..5
    np.testing.assert_array_equal(_np(out), [[0, 1, 4, 4]])


def test_rotation_of_boxes(device):
    boxes = _boxes([[1.0, 2.0, 5.0, 6.0]], device=device)
    # 90 degrees counter-clockwise about the centre (10, 5): (x, y) -> (y + 5, 15 - x)
    out = F.rotate(boxes, 90)
    np.testing.assert_allclose(_np(out), [[7, 10, 11, 10]], atol=1e-5)  # y clamped to 10
    out = F.rotate(boxes, 90, expand=True)
    assert out.canvas_size == (W, H) and out.device.type == device
    np.testing.assert_allclose(_np(out), [[2, 15, 6, 19]], atol=1e-5)
    # 45 degrees: the enclosing box of the rotated square
    square = _boxes([[8.0, 3.0, 12.0, 7.0]], device=device)
    out = F.rotate(square, 45)
    half = 2 * np.sqrt(2)
    np.testing.assert_allclose(_np(out), [[10 - half, 5 - half, 10 + half, 5 + half]], atol=1e-5)


def test_affine_translation_of_boxes(device):
    boxes = _boxes([[1.0, 2.0, 5.0, 6.0]], device=device)
    out = F.affine(boxes, angle=0.0, translate=[3, -1], scale=1.0, shear=[0.0, 0.0])
    np.testing.assert_allclose(_np(out), [[4, 1, 8, 5]])
    out = F.affine(boxes, angle=0.0, translate=[0, 0], scale=2.0, shear=0.0)
    # about the centre (10, 5): x -> 2x - 10, y -> 2y - 5, clamped
    np.testing.assert_allclose(_np(out), [[0, 0, 0, 7]])
    assert out.device.type == device


def test_random_rotation_keeps_mask_and_boxes_together(device):
    image, mask = _image(device=device), _mask(device=device)
    boxes = _boxes([[1, 2, 5, 6]], device=device)
    ember.manual_seed(0)
    out_image, out_boxes, out_mask = T.RandomRotation((180, 180))(image, boxes, mask)
    _on(device, out_image, out_boxes, out_mask)
    # half a turn about the centre (10, 5): (x, y) -> (20 - x, 10 - y)
    np.testing.assert_array_equal(_np(out_boxes), [[15, 4, 19, 8]])
    assert _mask_box(out_mask) == [15, 4, 19, 8]
    np.testing.assert_array_equal(_np(out_image), _np(image)[:, ::-1, ::-1])


# ------------------------------------------------------------------------- structures, types


def test_nested_structure_and_pure_tensor_heuristic(device):
    image = _image(device=device)
    target = {"boxes": _boxes([[1, 2, 5, 6]], device=device), "labels": ember.tensor([3])}
    out_image, out_target = T.RandomHorizontalFlip(p=1.0)((image, target))
    assert type(out_image) is tv_tensors.Image
    _on(device, out_image, out_target["boxes"])
    np.testing.assert_array_equal(_np(out_image), _np(image)[..., ::-1])
    np.testing.assert_array_equal(_np(out_target["boxes"]), [[15, 2, 19, 6]])
    assert out_target["labels"] is target["labels"]  # plain tensors pass through
    # without an Image, the first plain tensor is the image, the others pass through
    plain, labels = ember.arange(6, device=device).reshape(1, 2, 3), ember.arange(3)
    out_plain, out_labels = T.RandomHorizontalFlip(p=1.0)(plain, labels)
    assert type(out_plain) is ember.Tensor and out_plain.device.type == device
    np.testing.assert_array_equal(_np(out_plain), [[[2, 1, 0], [5, 4, 3]]])
    assert out_labels is labels


def test_pil_images():
    pil = PILImage.fromarray(np.arange(60, dtype=np.uint8).reshape(6, 10))
    out = T.Compose([T.RandomHorizontalFlip(1.0), T.Resize((3, 5)), T.PILToTensor()])(pil)
    assert type(out) is ember.Tensor and out.shape == (1, 3, 5)
    image = T.ToImage()(pil)
    assert type(image) is tv_tensors.Image and image.dtype == ember.uint8
    assert isinstance(T.ToPILImage()(image), PILImage.Image)
    array_image = T.ToImage()(np.zeros((4, 5, 3), dtype=np.uint8))
    assert array_image.shape == (3, 4, 5)


def test_to_dtype_and_normalize(device):
    data = ember.tensor([[[0, 255], [51, 102]]], dtype=ember.uint8)
    image = tv_tensors.Image(data, device=device)
    mask = _mask(device=device)
    out, out_mask = T.ToDtype(ember.float32, scale=True)(image, mask)
    assert type(out) is tv_tensors.Image and out.dtype == ember.float32
    np.testing.assert_allclose(_np(out), [[[0, 1], [0.2, 0.4]]], atol=1e-6)
    assert out_mask is mask  # a plain dtype only converts images and videos
    unscaled = T.ToDtype(ember.float32)(image)
    np.testing.assert_allclose(_np(unscaled), [[[0, 255], [51, 102]]])
    out, out_mask = T.ToDtype({tv_tensors.Image: ember.float64, "others": None})(image, mask)
    assert out.dtype == ember.float64 and out_mask.dtype == ember.int64
    normalized = T.Normalize([0.5], [0.25])(T.ToDtype(ember.float32, scale=True)(image))
    assert type(normalized) is tv_tensors.Image
    np.testing.assert_allclose(_np(normalized), [[[-2, 2], [-1.2, -0.4]]], atol=1e-6)
    # and back: float [0, 1] to uint8 [0, 255]
    back = F.to_dtype(T.ToDtype(ember.float32, scale=True)(image), ember.uint8, scale=True)
    assert back.dtype == ember.uint8
    np.testing.assert_array_equal(_np(back), _np(image))
    _on(device, out, unscaled, normalized, back)
    with pytest.raises(TypeError):
        T.Normalize([0.5], [0.25])(PILImage.new("L", (2, 2)))
    assert type(T.ToPureTensor()(image)) is ember.Tensor


def test_sanitize_bounding_boxes(device):
    boxes = _boxes([[1, 2, 5, 6], [3, 3, 3, 8], [0, 0, 20, 10], [4, 4, 4.5, 9]], device=device)
    labels = ember.tensor([1, 2, 3, 4], device=device)
    masks = tv_tensors.Mask(ember.zeros(4, H, W, dtype=ember.uint8), device=device)
    _, target = T.SanitizeBoundingBoxes()(
        (_image(device=device), {"boxes": boxes, "labels": labels, "masks": masks})
    )
    np.testing.assert_array_equal(_np(target["boxes"]), [[1, 2, 5, 6], [0, 0, 20, 10]])
    np.testing.assert_array_equal(_np(target["labels"]), [1, 3])
    assert target["masks"].shape == (2, H, W) and type(target["masks"]) is tv_tensors.Mask
    _on(device, target["boxes"], target["labels"], target["masks"])
    _, valid = F.sanitize_bounding_boxes(boxes)
    assert valid.tolist() == [True, False, True, False] and valid.device.type == device
    with pytest.raises(ValueError):
        T.SanitizeBoundingBoxes()((_image(), {"boxes": boxes, "labels": ember.tensor([1])}))


def test_random_crop_with_padding_boxes(device):
    image, boxes = _image(device=device), _boxes([[1, 2, 5, 6]], device=device)
    ember.manual_seed(3)
    out_image, out_boxes = T.RandomCrop((H, W), padding=2)(image, boxes)
    assert out_image.shape == (3, H, W) and out_boxes.canvas_size == (H, W)
    _on(device, out_image, out_boxes)
    # the same shift moved the pixels and the box
    dx, dy = (_np(out_boxes)[0] - [1, 2, 5, 6])[:2]
    np.testing.assert_array_equal(
        _np(out_image)[:, 2 + dy : 6 + dy, 1 + dx : 5 + dx], _np(image)[:, 2:6, 1:5]
    )


def test_determinism_with_manual_seed(device):
    pipeline = T.Compose(
        [
            T.RandomResizedCrop(8),
            T.RandomHorizontalFlip(),
            T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
            T.ColorJitter(0.3, 0.3, 0.3, 0.1),
            T.RandomChoice([T.RandomGrayscale(0.5), T.GaussianBlur(3)]),
            T.RandomOrder([T.RandomVerticalFlip(), T.Identity()]),
            T.RandomApply([T.Lambda(lambda x: x)], p=0.5),
            T.ToDtype(ember.float32, scale=True),
        ]
    )
    sample = (
        _image(device=device),
        {"boxes": _boxes([[1, 2, 5, 6]], device=device), "labels": ember.tensor([1])},
    )
    outputs = []
    for _ in range(2):
        ember.manual_seed(7)
        outputs.append(pipeline(sample))
    np.testing.assert_array_equal(_np(outputs[0][0]), _np(outputs[1][0]))
    np.testing.assert_array_equal(_np(outputs[0][1]["boxes"]), _np(outputs[1][1]["boxes"]))
    assert type(outputs[0][0]) is tv_tensors.Image
    _on(device, outputs[0][0], outputs[0][1]["boxes"])


def test_random_erasing_passes_boxes_with_warning(device):
    image = _image(device=device)
    with pytest.warns(UserWarning, match="passing through"):
        out_image, _ = T.RandomErasing(p=1.0, scale=(0.1, 0.1), value=7)(
            image, _boxes([[1, 2, 5, 6]], device=device)
        )
    assert type(out_image) is tv_tensors.Image and out_image.device.type == device
    changed = _np(out_image) != _np(image)
    assert changed.any() and (_np(out_image)[changed] == 7).all()
    # "random": normal noise drawn on the CPU, written into the image wherever it lives
    noisy = T.RandomErasing(p=1.0, scale=(0.1, 0.1), value="random")(image.float())
    assert noisy.device.type == device and (_np(noisy) != _np(image)).any()


def test_grayscale_and_color_jitter(device):
    image = _image(device=device)
    gray = T.Grayscale(3)(image)
    assert type(gray) is tv_tensors.Image and gray.shape == (3, H, W)
    assert T.Grayscale(3)(gray[:1]).shape == (3, H, W)  # one channel to three, as v2 does
    ember.manual_seed(0)
    jittered = T.ColorJitter(brightness=0.5, hue=0.2)(image)
    assert type(jittered) is tv_tensors.Image and jittered.dtype == ember.uint8
    _on(device, gray, jittered)


def test_register_kernel_for_custom_tv_tensor():
    class Heatmap(tv_tensors.TVTensor):
        __slots__ = ()

    @F.register_kernel(F.horizontal_flip, Heatmap)
    def _flip_heatmap(heatmap):
        return tv_tensors.wrap(heatmap.flip(-1), like=heatmap)

    heatmap = Heatmap._wrap(ember.arange(3).reshape(1, 3))
    out = T.RandomHorizontalFlip(1.0)(_image(), heatmap)[1]
    assert type(out) is Heatmap
    assert out.tolist() == [[2, 1, 0]]
    with pytest.raises(TypeError):
        F.resize(heatmap, 2)


# --------------------------------------------------------------------- on cuda, against cpu

# Only a GPU run adds anything here: each case runs a functional on the same input on the CPU
# and on cuda and compares the two.
CUDA = [
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"),
        ],
    )
]

# name: (functional, kwargs, input dtypes)
BOTH = (ember.uint8, ember.float32)
IMAGE_CASES = {
    "resize_bilinear_antialias": (F.resize, dict(size=(5, 8)), BOTH),
    "resize_bicubic_antialias": (
        F.resize,
        dict(size=(6, 7), interpolation=T.InterpolationMode.BICUBIC),
        BOTH,
    ),
    "resize_nearest_up": (
        F.resize,
        dict(size=(15, 33), interpolation=T.InterpolationMode.NEAREST),
        BOTH,
    ),
    "resize_bilinear_up": (F.resize, dict(size=(20, 40), antialias=False), BOTH),
    "resized_crop": (
        F.resized_crop,
        dict(top=1, left=3, height=6, width=9, size=(12, 12)),
        BOTH,
    ),
    "center_crop_pads": (F.center_crop, dict(output_size=[14, 16]), BOTH),
    "pad_fill_per_channel": (F.pad, dict(padding=[1, 2, 3, 4], fill=[1.0, 2.0, 3.0]), BOTH),
    "pad_reflect": (F.pad, dict(padding=[2, 3], padding_mode="reflect"), BOTH),
    "pad_edge": (F.pad, dict(padding=2, padding_mode="edge"), BOTH),
    "pad_symmetric": (F.pad, dict(padding=[1, 2, 3, 4], padding_mode="symmetric"), BOTH),
    "rotate_bilinear_expand_fill": (
        F.rotate,
        dict(angle=30.0, interpolation=T.InterpolationMode.BILINEAR, expand=True, fill=[9.0]),
        BOTH,
    ),
    "affine_nearest": (
        F.affine,
        dict(angle=10.0, translate=[1, 2], scale=1.1, shear=[5.0, 3.0]),
        BOTH,
    ),
    "vertical_flip": (F.vertical_flip, dict(), BOTH),
    "brightness": (F.adjust_brightness, dict(brightness_factor=1.3), BOTH),
    "contrast": (F.adjust_contrast, dict(contrast_factor=0.7), BOTH),
    "saturation": (F.adjust_saturation, dict(saturation_factor=1.5), BOTH),
    "hue": (F.adjust_hue, dict(hue_factor=0.2), BOTH),
    "gamma": (F.adjust_gamma, dict(gamma=0.8), BOTH),
    "sharpness": (F.adjust_sharpness, dict(sharpness_factor=2.0), BOTH),
    "grayscale": (F.rgb_to_grayscale, dict(num_output_channels=3), BOTH),
    "invert": (F.invert, dict(), BOTH),
    "posterize": (F.posterize, dict(bits=3), (ember.uint8,)),
    "solarize": (F.solarize, dict(threshold=128), (ember.uint8,)),
    "autocontrast": (F.autocontrast, dict(), BOTH),
    "equalize": (F.equalize, dict(), (ember.uint8,)),
    "gaussian_blur": (F.gaussian_blur, dict(kernel_size=[3, 5], sigma=[1.0, 1.5]), BOTH),
    "normalize": (F.normalize, dict(mean=[0.5, 0.4, 0.3], std=[0.2, 0.3, 0.4]), (ember.float32,)),
    "to_dtype_scale": (F.to_dtype, dict(dtype=ember.float64, scale=True), BOTH),
    "erase": (F.erase, dict(i=2, j=3, h=4, w=5, v=ember.tensor([[[1.0]], [[2.0]], [[3.0]]])), BOTH),
}


def _as(image, dtype):
    return image if dtype == ember.uint8 else F.to_dtype(image, dtype, scale=True)


@pytest.mark.parametrize("device", CUDA)
@pytest.mark.parametrize("name", list(IMAGE_CASES))
def test_image_functionals_on_device_match_cpu(name, device):
    functional, kwargs, dtypes = IMAGE_CASES[name]
    for dtype in dtypes:
        image = _as(_image(), dtype)
        expected = functional(image, **kwargs)
        actual = functional(image.to(device), **kwargs)
        assert type(actual) is tv_tensors.Image and actual.device.type == device
        assert actual.dtype == expected.dtype
        _assert_close_images(actual, expected, msg=f"{name} {dtype}")
    # a video goes through the same kernels
    video = tv_tensors.Video(_as(_image(), dtypes[-1]).repeat(2, 1, 1, 1))
    out = functional(video.to(device), **kwargs)
    assert type(out) is tv_tensors.Video and out.device.type == device
    _assert_close_images(out, functional(video, **kwargs))


def _assert_close_images(actual, expected, msg=None):
    # float32 values that an integer image truncates may land one step apart on another device
    atol = 1 if actual.dtype == ember.uint8 else 1e-5
    assert_close(actual.double(), expected.double(), rtol=0, atol=atol, msg=msg)


# name: (functional, kwargs)
BOX_CASES = {
    "horizontal_flip": (F.horizontal_flip, dict()),
    "resize": (F.resize, dict(size=(7, 30))),
    "resized_crop": (F.resized_crop, dict(top=1, left=3, height=6, width=9, size=(12, 12))),
    "center_crop": (F.center_crop, dict(output_size=[6, 8])),
    "pad": (F.pad, dict(padding=[1, 2, 3, 4])),
    "rotate_expand": (F.rotate, dict(angle=30.0, expand=True)),
    "affine_shear": (F.affine, dict(angle=10.0, translate=[1, 2], scale=1.1, shear=[5.0, 3.0])),
}


@pytest.mark.parametrize("device", CUDA)
@pytest.mark.parametrize("name", list(BOX_CASES))
def test_box_functionals_on_device_match_cpu(name, device):
    functional, kwargs = BOX_CASES[name]
    data = [[1, 2, 5, 6], [0, 3, 9, 10], [12, 1, 20, 4]]
    for format in ("XYXY", "XYWH", "CXCYWH"):
        for dtype in (ember.int64, ember.float32):
            boxes = F.convert_bounding_box_format(
                _boxes(ember.tensor(data, dtype=dtype)), new_format=format
            )
            expected = functional(boxes, **kwargs)
            actual = functional(boxes.to(device), **kwargs)
            assert type(actual) is tv_tensors.BoundingBoxes and actual.device.type == device
            assert actual.canvas_size == expected.canvas_size and actual.format == boxes.format
            assert actual.dtype == dtype
            # integer boxes are truncated from float32 corners, which may land one step apart
            atol = 1 if dtype == ember.int64 and functional in (F.rotate, F.affine) else 1e-4
            assert_close(
                actual.double(), expected.double(), atol=atol, rtol=0, msg=f"{format} {dtype}"
            )
