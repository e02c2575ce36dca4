"""embervision.transforms.v2 and tv_tensors: box coordinates worked out by hand, masks
following their images, TVTensor types and metadata kept, nested samples, determinism."""

import numpy as np
import pytest
from PIL import Image as PILImage

import ember
from embervision import tv_tensors
from embervision.transforms import v2 as T
from embervision.transforms.v2 import functional as F

H, W = 10, 20


def _boxes(data, format="XYXY", canvas_size=(H, W)):
    return tv_tensors.BoundingBoxes(data, format=format, canvas_size=canvas_size)


def _image(dtype=ember.uint8):
    rng = np.random.default_rng(0)
    return tv_tensors.Image(ember.tensor(rng.integers(0, 256, (3, H, W)), dtype=dtype))


def _mask():
    mask = np.zeros((H, W), dtype=np.int64)
    mask[2:6, 1:5] = 1  # the box [1, 2, 5, 6] in XYXY
    return tv_tensors.Mask(ember.tensor(mask))


def _mask_box(mask):
    """The XYXY box enclosing the non-zero pixels of a mask."""
    ys, xs = np.nonzero(mask.numpy())
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
def test_convert_bounding_box_format(format, data):
    boxes = _boxes([1.0, 2.0, 5.0, 8.0])
    converted = F.convert_bounding_box_format(boxes, new_format=format)
    assert converted.format.value == format
    np.testing.assert_allclose(converted.numpy(), [data])
    back = T.ConvertBoundingBoxFormat("XYXY")(converted)
    np.testing.assert_allclose(back.numpy(), [[1, 2, 5, 8]])


def test_clamp_bounding_boxes():
    boxes = _boxes([[-3, 2, 25, 12]])
    np.testing.assert_array_equal(T.ClampBoundingBoxes()(boxes).numpy(), [[0, 2, 20, 10]])
    plain = F.clamp_bounding_boxes(
        ember.tensor([[-3.0, 2.0, 25.0, 12.0]]),
        format="XYXY",
        canvas_size=(H, W),
        clamping_mode="soft",
    )
    np.testing.assert_allclose(plain.numpy(), [[0, 2, 20, 10]])


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
def test_box_coordinates_and_masks(transform, expected_box, expected_canvas):
    image, boxes, mask = _image(), _boxes([1, 2, 5, 6]), _mask()
    out_image, out_boxes, out_mask = transform(image, boxes, mask)
    assert type(out_image) is tv_tensors.Image
    assert type(out_boxes) is tv_tensors.BoundingBoxes
    assert type(out_mask) is tv_tensors.Mask
    assert out_boxes.canvas_size == expected_canvas
    assert tuple(out_image.shape[-2:]) == expected_canvas
    assert tuple(out_mask.shape) == expected_canvas
    np.testing.assert_array_equal(out_boxes.numpy(), [expected_box])
    if expected_box[2] > expected_box[0] and not isinstance(transform, T.Resize):
        assert _mask_box(out_mask) == expected_box  # the mask moved like the box


def test_mask_resize_is_nearest():
    mask = tv_tensors.Mask(ember.tensor([[0, 3], [7, 1]]))
    out = T.Resize((4, 4))(mask)
    assert out.dtype == ember.int64
    assert set(out.numpy().ravel().tolist()) == {0, 1, 3, 7}


def test_crop_functional_boxes():
    boxes = _boxes([[1, 2, 5, 6]], format="XYWH")
    out = F.crop(boxes, top=1, left=2, height=5, width=5)
    assert out.canvas_size == (5, 5)
    # XYWH [1, 2, 5, 6] spans x 1..6, y 2..8; shifted: x -1..4, y 1..7; clamped: x 0..4, y 1..5
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 4, 4]])


def test_rotation_of_boxes():
    boxes = _boxes([[1.0, 2.0, 5.0, 6.0]])
    # 90 degrees counter-clockwise about the centre (10, 5): (x, y) -> (y + 5, 15 - x)
    out = F.rotate(boxes, 90)
    np.testing.assert_allclose(out.numpy(), [[7, 10, 11, 10]], atol=1e-5)  # y clamped to 10
    out = F.rotate(boxes, 90, expand=True)
    assert out.canvas_size == (W, H)
    np.testing.assert_allclose(out.numpy(), [[2, 15, 6, 19]], atol=1e-5)
    # 45 degrees: the enclosing box of the rotated square
    square = _boxes([[8.0, 3.0, 12.0, 7.0]])
    out = F.rotate(square, 45)
    half = 2 * np.sqrt(2)
    np.testing.assert_allclose(out.numpy(), [[10 - half, 5 - half, 10 + half, 5 + half]], atol=1e-5)


def test_affine_translation_of_boxes():
    boxes = _boxes([[1.0, 2.0, 5.0, 6.0]])
    out = F.affine(boxes, angle=0.0, translate=[3, -1], scale=1.0, shear=[0.0, 0.0])
    np.testing.assert_allclose(out.numpy(), [[4, 1, 8, 5]])
    out = F.affine(boxes, angle=0.0, translate=[0, 0], scale=2.0, shear=0.0)
    # about the centre (10, 5): x -> 2x - 10, y -> 2y - 5, clamped
    np.testing.assert_allclose(out.numpy(), [[0, 0, 0, 7]])


def test_random_rotation_keeps_mask_and_boxes_together():
    image, mask = _image(), _mask()
    boxes = _boxes([[1, 2, 5, 6]])
    ember.manual_seed(0)
    out_image, out_boxes, out_mask = T.RandomRotation((180, 180))(image, boxes, mask)
    # half a turn about the centre (10, 5): (x, y) -> (20 - x, 10 - y)
    np.testing.assert_array_equal(out_boxes.numpy(), [[15, 4, 19, 8]])
    assert _mask_box(out_mask) == [15, 4, 19, 8]
    np.testing.assert_array_equal(out_image.numpy(), image.numpy()[:, ::-1, ::-1])


# ------------------------------------------------------------------------- structures, types


def test_nested_structure_and_pure_tensor_heuristic():
    image = _image()
    target = {"boxes": _boxes([[1, 2, 5, 6]]), "labels": ember.tensor([3])}
    out_image, out_target = T.RandomHorizontalFlip(p=1.0)((image, target))
    assert type(out_image) is tv_tensors.Image
    np.testing.assert_array_equal(out_image.numpy(), image.numpy()[..., ::-1])
    np.testing.assert_array_equal(out_target["boxes"].numpy(), [[15, 2, 19, 6]])
    assert out_target["labels"] is target["labels"]  # plain tensors pass through
    # without an Image, the first plain tensor is the image, the others pass through
    plain, labels = ember.arange(6).reshape(1, 2, 3), ember.arange(3)
    out_plain, out_labels = T.RandomHorizontalFlip(p=1.0)(plain, labels)
    np.testing.assert_array_equal(out_plain.numpy(), [[[2, 1, 0], [5, 4, 3]]])
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


def test_to_dtype_and_normalize():
    image = tv_tensors.Image(ember.tensor([[[0, 255], [51, 102]]], dtype=ember.uint8))
    mask = _mask()
    out, out_mask = T.ToDtype(ember.float32, scale=True)(image, mask)
    assert type(out) is tv_tensors.Image and out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), [[[0, 1], [0.2, 0.4]]], atol=1e-6)
    assert out_mask is mask  # a plain dtype only converts images and videos
    unscaled = T.ToDtype(ember.float32)(image)
    np.testing.assert_allclose(unscaled.numpy(), [[[0, 255], [51, 102]]])
    out, out_mask = T.ToDtype({tv_tensors.Image: ember.float64, "others": None})(image, mask)
    assert out.dtype == ember.float64 and out_mask.dtype == ember.int64
    normalized = T.Normalize([0.5], [0.25])(T.ToDtype(ember.float32, scale=True)(image))
    assert type(normalized) is tv_tensors.Image
    np.testing.assert_allclose(normalized.numpy(), [[[-2, 2], [-1.2, -0.4]]], atol=1e-6)
    with pytest.raises(TypeError):
        T.Normalize([0.5], [0.25])(PILImage.new("L", (2, 2)))
    assert type(T.ToPureTensor()(image)) is ember.Tensor


def test_sanitize_bounding_boxes():
    boxes = _boxes([[1, 2, 5, 6], [3, 3, 3, 8], [0, 0, 20, 10], [4, 4, 4.5, 9]])
    labels = ember.tensor([1, 2, 3, 4])
    masks = tv_tensors.Mask(ember.zeros(4, H, W, dtype=ember.uint8))
    _, target = T.SanitizeBoundingBoxes()(
        (_image(), {"boxes": boxes, "labels": labels, "masks": masks})
    )
    np.testing.assert_array_equal(target["boxes"].numpy(), [[1, 2, 5, 6], [0, 0, 20, 10]])
    np.testing.assert_array_equal(target["labels"].numpy(), [1, 3])
    assert target["masks"].shape == (2, H, W) and type(target["masks"]) is tv_tensors.Mask
    _, valid = F.sanitize_bounding_boxes(boxes)
    assert valid.tolist() == [True, False, True, False]
    with pytest.raises(ValueError):
        T.SanitizeBoundingBoxes()((_image(), {"boxes": boxes, "labels": ember.tensor([1])}))


def test_random_crop_with_padding_boxes():
    image, boxes = _image(), _boxes([[1, 2, 5, 6]])
    ember.manual_seed(3)
    out_image, out_boxes = T.RandomCrop((H, W), padding=2)(image, boxes)
    assert out_image.shape == (3, H, W) and out_boxes.canvas_size == (H, W)
    # the same shift moved the pixels and the box
    dx, dy = (out_boxes.numpy()[0] - [1, 2, 5, 6])[:2]
    np.testing.assert_array_equal(
        out_image.numpy()[:, 2 + dy : 6 + dy, 1 + dx : 5 + dx], image.numpy()[:, 2:6, 1:5]
    )


def test_determinism_with_manual_seed():
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
    sample = (_image(), {"boxes": _boxes([[1, 2, 5, 6]]), "labels": ember.tensor([1])})
    outputs = []
    for _ in range(2):
        ember.manual_seed(7)
        outputs.append(pipeline(sample))
    np.testing.assert_array_equal(outputs[0][0].numpy(), outputs[1][0].numpy())
    np.testing.assert_array_equal(outputs[0][1]["boxes"].numpy(), outputs[1][1]["boxes"].numpy())
    assert type(outputs[0][0]) is tv_tensors.Image


def test_random_erasing_passes_boxes_with_warning():
    with pytest.warns(UserWarning, match="passing through"):
        T.RandomErasing(p=1.0, scale=(0.1, 0.1))(_image(), _boxes([[1, 2, 5, 6]]))


def test_grayscale_and_color_jitter():
    image = _image()
    gray = T.Grayscale(3)(image)
    assert type(gray) is tv_tensors.Image and gray.shape == (3, H, W)
    assert T.Grayscale(3)(gray[:1]).shape == (3, H, W)  # one channel to three, as v2 does
    ember.manual_seed(0)
    jittered = T.ColorJitter(brightness=0.5, hue=0.2)(image)
    assert type(jittered) is tv_tensors.Image and jittered.dtype == ember.uint8


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
