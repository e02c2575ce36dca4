"""The rest of embervision.transforms.v2: keypoints, the per-type kernels, perspective, elastic,
five/ten crops, JPEG, noise, MixUp/CutMix, the IoU crop, zoom out, the resizes and the
AutoAugment family. Checked against hand-computed values and the v1 kernels; random transforms
by replaying torchvision's order of draws under a seed."""

import inspect
import io
import math

import numpy as np
import pytest
from PIL import Image as PILImage

import ember
from ember.testing import assert_close
from embervision import transforms as v1
from embervision import tv_tensors
from embervision.transforms import autoaugment as v1_autoaugment
from embervision.transforms import functional as F1
from embervision.transforms import v2 as T
from embervision.transforms.v2 import functional as F
from embervision.transforms.v2._utils import tree_flatten

H, W = 10, 14
RNG = np.random.default_rng(0)
IMAGE_U8 = RNG.integers(0, 256, (3, H, W)).astype(np.uint8)


def _plain():
    """The test image as a plain tensor."""
    return ember.tensor(IMAGE_U8)


def _image(dtype=ember.uint8, device="cpu"):
    image = tv_tensors.Image(ember.tensor(IMAGE_U8), device=device)
    return image if dtype == ember.uint8 else F.to_dtype(image, dtype, scale=True)


def _points(data, canvas_size=(H, W), device="cpu", dtype=ember.float32):
    return tv_tensors.KeyPoints(data, canvas_size=canvas_size, dtype=dtype, device=device)


def _boxes(data, format="XYXY", canvas_size=(H, W)):
    return tv_tensors.BoundingBoxes(data, format=format, canvas_size=canvas_size)


def _np(tensor):
    return tensor.cpu().numpy()


# ------------------------------------------------------------------------------- KeyPoints


def test_keypoints_tv_tensor():
    points = _points([3.0, 4.0])
    assert points.shape == (1, 2) and points.canvas_size == (H, W)
    assert type(points.clone()) is tv_tensors.KeyPoints
    assert points.clone().canvas_size == (H, W)
    assert type(points + 1) is ember.Tensor
    groups = _points(ember.zeros(2, 3, 2))
    assert groups.shape == (2, 3, 2)
    wrapped = tv_tensors.wrap(ember.ones(4, 2), like=points, canvas_size=(5, 6))
    assert type(wrapped) is tv_tensors.KeyPoints and wrapped.canvas_size == (5, 6)
    assert "canvas_size=(10, 14)" in repr(points)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        _points(ember.zeros(3, 3))


def _marked_sample(x, y, device="cpu"):
    """A one-channel float image that is 1 at pixel (x, y) only, and its keypoint."""
    image = ember.zeros(1, H, W, device=device)
    image[0, y, x] = 1.0
    return tv_tensors.Image(image), _points([[float(x), float(y)]], device=device)


def _marked_pixel(image):
    """``(x, y)`` of the brightest pixel."""
    array = _np(image)[0]
    y, x = np.unravel_index(np.argmax(array), array.shape)
    return [float(x), float(y)]


@pytest.mark.parametrize(
    "transform",
    [
        T.RandomHorizontalFlip(p=1.0),
        T.RandomVerticalFlip(p=1.0),
        T.Pad([2, 3, 1, 0]),
        T.CenterCrop((6, 8)),
        T.Resize((20, 28), "nearest"),
        T.RandomZoomOut(side_range=(2.0, 2.0), p=1.0),
    ],
    ids=lambda t: type(t).__name__,
)
def test_keypoints_follow_their_pixel(transform, device, seeded):
    """A marked pixel and its keypoint move together: the transformed keypoint sits on the
    transformed pixel (for a resize by 2, on the top-left of the 2 x 2 block)."""
    image, points = _marked_sample(5, 3, device)
    out_image, out_points = transform(image, points)
    assert type(out_points) is tv_tensors.KeyPoints
    assert out_points.device.type == device
    assert out_points.canvas_size == tuple(out_image.shape[-2:])
    assert _np(out_points)[0].tolist() == _marked_pixel(out_image)


def test_keypoint_kernels_by_hand():
    points = ember.tensor([[1.0, 2.0], [13.0, 9.0]])
    assert F.horizontal_flip_keypoints(points, (H, W)).tolist() == [[12, 2], [0, 9]]
    assert F.vertical_flip_keypoints(points, (H, W)).tolist() == [[1, 7], [13, 0]]
    out, canvas = F.crop_keypoints(points, top=1, left=2, height=5, width=6)
    assert out.tolist() == [[-1, 1], [11, 8]] and canvas == (5, 6)  # not clamped
    out, canvas = F.pad_keypoints(points, (H, W), [1, 2, 3, 4])
    assert out.tolist() == [[2, 4], [14, 11]] and canvas == (H + 6, W + 4)
    out, canvas = F.resize_keypoints(points, [20, 7], (H, W))
    assert out.tolist() == [[0.5, 4], [6.5, 18]] and canvas == (20, 7)
    out, canvas = F.center_crop_keypoints(points, (H, W), [6, 8])
    assert out.tolist() == [[-2, 0], [10, 7]] and canvas == (6, 8)
    # a quarter turn counter-clockwise about the centre (7, 5): (x, y) -> (7 + (y - 5), 5 - (x - 7))
    out, canvas = F.rotate_keypoints(points, (H, W), 90.0)
    assert_close(out, ember.tensor([[4.0, 11.0], [11.0, -1.0]]), atol=1e-5, rtol=0)
    out, _ = F.affine_keypoints(points, (H, W), 0.0, [3, -1], 1.0, [0.0, 0.0])
    assert out.tolist() == [[4, 1], [16, 8]]
    # integer keypoints are truncated back
    out, _ = F.affine_keypoints(points.long(), (H, W), 0.0, [0, 0], 1.5, [0.0, 0.0], [0, 0])
    assert out.dtype == ember.int64 and out.tolist() == [[1, 3], [19, 13]]


def test_keypoint_perspective_and_elastic_by_hand():
    points = ember.tensor([[1.5, 2.0], [13.0, 9.25]])
    # the map of the coefficients reads input pixel (x - 2, y + 1) for output pixel (x, y):
    # the image, and so its points, move by (+2, -1)
    shift = [1.0, 0.0, -2.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    out = F.perspective_keypoints(points, (H, W), None, None, coefficients=shift)
    assert_close(out, points + ember.tensor([2.0, -1.0]), atol=1e-5, rtol=0)
    # a zero displacement moves each point to the centre of its pixel (truncated)
    out = F.elastic_keypoints(points, (H, W), ember.zeros(1, H, W, 2))
    assert_close(out, ember.tensor([[1.0, 2.0], [13.0, 9.0]]), atol=1e-5, rtol=0)
    # a constant displacement d (in [-1, 1] units) moves them by -d * size / 2
    displacement = ember.zeros(1, H, W, 2) + ember.tensor([0.5, -0.2])
    out = F.elastic_keypoints(points, (H, W), displacement)
    assert_close(out, ember.tensor([[1.0 - 3.5, 2.0 + 1.0], [13.0 - 3.5, 9.0 + 1.0]]))
    with pytest.raises(ValueError, match="displacement shape"):
        F.elastic_keypoints(points, (H, W), ember.zeros(1, H, W + 1, 2))


def test_clamp_and_sanitize_keypoints():
    points = _points([[-1.0, 2.0], [13.5, 9.0], [14.0, 3.0], [4.0, 10.0]])
    clamped = T.ClampKeyPoints()(points)
    assert clamped.tolist() == [[0, 2], [13, 9], [13, 3], [4, 9]]
    assert type(clamped) is tv_tensors.KeyPoints
    out, valid = F.sanitize_keypoints(points)
    assert valid.tolist() == [False, True, False, False] and out.tolist() == [[13.5, 9]]
    groups = ember.tensor([[[1.0, 1.0], [2.0, 2.0]], [[1.0, 1.0], [-2.0, 2.0]]])
    out, valid = F.sanitize_keypoints(groups, canvas_size=(H, W))
    assert valid.tolist() == [True, False] and tuple(out.shape) == (1, 2, 2)
    with pytest.raises(ValueError, match="canvas_size cannot be None"):
        F.sanitize_keypoints(groups)
    labels = ember.tensor([1, 2, 3, 4])
    out_points, out_labels = T.SanitizeKeyPoints(labels_getter=lambda inputs: inputs[1])(
        points, labels
    )
    assert out_labels.tolist() == [2] and out_points.canvas_size == (H, W)
    with pytest.raises(ValueError, match="must match the number of labels"):
        T.SanitizeKeyPoints(labels_getter=lambda inputs: inputs[1])(points, labels[:2])


# ---------------------------------------------------------------------- per-type kernels


@pytest.mark.parametrize(
    "image_kernel, kwargs",
    [
        (F.adjust_hue_image, dict(hue_factor=0.1)),
        (F.resize_image, dict(size=[5, 7])),
        (F.rotate_image, dict(angle=10.0, interpolation="bilinear")),
        (F.equalize_image, {}),
        (F.permute_channels_image, dict(permutation=[1, 2, 0])),
        (F.jpeg_image, dict(quality=80)),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_video_kernels_are_the_image_kernels(image_kernel, kwargs):
    video_kernel = getattr(F, image_kernel.__name__.replace("_image", "_video"))
    assert video_kernel.__name__.endswith("_video")
    assert next(iter(inspect.signature(video_kernel).parameters)) == "video"
    video = ember.tensor(np.stack([IMAGE_U8, IMAGE_U8[::-1]]))
    expected = image_kernel(video, **kwargs)
    assert ember.equal(video_kernel(video, **kwargs), expected)
    assert ember.equal(video_kernel(video=video, **kwargs), expected)
    # and the functional picks it for a Video
    functional = getattr(F, image_kernel.__name__.removesuffix("_image"))
    out = functional(tv_tensors.Video(video), **kwargs)
    assert type(out) is tv_tensors.Video and ember.equal(out, expected)


def test_aliases_and_meta():
    assert F.hflip is F.horizontal_flip and F.vflip is F.vertical_flip
    assert F.to_grayscale is F.rgb_to_grayscale and F.elastic_transform is F.elastic
    assert F.get_image_num_channels is F.get_num_channels
    video = tv_tensors.Video(ember.zeros(5, 3, H, W))
    assert F.get_num_frames(video) == 5 and F.get_num_frames_video(video) == 5
    assert F.get_size(video) == [H, W] and F.get_dimensions_video(video) == [3, H, W]
    assert F.get_size(_points([1, 2], canvas_size=(3, 4))) == [3, 4]
    assert F.get_size_mask(ember.zeros(2, 5, 6)) == [5, 6]
    assert F.get_num_channels_image(ember.zeros(H, W)) == 1
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.get_image_size(video) == [W, H]
    with pytest.raises(TypeError, match="supports inputs of type"):
        F.get_num_frames(PILImage.new("L", (2, 2)))


def test_color_kernels_by_hand():
    image = _image(ember.float32)
    x = _np(image)
    np.testing.assert_allclose(_np(F.invert(image)), 1 - x, atol=1e-7)
    np.testing.assert_allclose(
        _np(F.posterize(image, 2)), np.minimum(np.floor(x * 4), 3) / 4, atol=1e-7
    )
    np.testing.assert_allclose(_np(F.solarize(image, 0.5)), np.where(x >= 0.5, 1 - x, x))
    assert ember.equal(F.posterize(_image(), 3), _image() & 0b11100000)
    with pytest.raises(TypeError, match="bits must be"):
        F.posterize(image, 9)
    with pytest.raises(TypeError, match="Threshold should be less"):
        F.solarize(image, 2.0)
    # float and batched (5-d) images are equalised as uint8, each channel on its own
    video = tv_tensors.Video(_image().unsqueeze(0).repeat(2, 2, 1, 1, 1))
    out = F.equalize(video)
    assert type(out) is tv_tensors.Video
    assert ember.equal(out[1, 0], F1.equalize(_plain()))
    expected = F.to_dtype(
        F1.equalize(F.to_dtype(image, ember.uint8, scale=True)), ember.float32, scale=True
    )
    assert_close(F.equalize(image), expected)
    permuted = F.permute_channels(image, [2, 0, 1])
    assert ember.equal(permuted, image[[2, 0, 1]])
    with pytest.raises(ValueError, match="Length of permutation"):
        F.permute_channels(image, [0, 1])
    gray = ember.tensor(IMAGE_U8[:1])
    assert ember.equal(F.grayscale_to_rgb(gray), gray.repeat(3, 1, 1))
    assert F.grayscale_to_rgb(PILImage.new("L", (3, 2))).mode == "RGB"


def test_color_transforms():
    image = _image()
    assert ember.equal(T.RandomInvert(p=1.0)(image), 255 - image)
    assert ember.equal(T.RandomPosterize(1, p=1.0)(image), image & 128)
    assert ember.equal(T.RandomSolarize(100, p=1.0)(image), F.solarize(image, 100))
    assert ember.equal(T.RandomEqualize(p=1.0)(image), F1.equalize(image))
    assert ember.equal(T.RandomAutocontrast(p=1.0)(image), F1.autocontrast(image))
    sharp = T.RandomAdjustSharpness(2.0, p=1.0)(image)
    assert ember.equal(sharp, F1.adjust_sharpness(image, 2.0))
    for transform in (T.RandomInvert(p=0.0), T.RandomEqualize(p=0.0)):
        assert transform(image) is image
    # RGB: a one-channel image gets three channels; an RGB image and a video pass
    gray = tv_tensors.Image(ember.tensor(IMAGE_U8[:1]))
    assert T.RGB()(gray).shape == (3, H, W) and T.RGB()(image) is not None
    video = tv_tensors.Video(ember.zeros(2, 1, H, W))
    assert T.RGB()(video).shape == (2, 1, H, W)


def test_channel_permutation_and_photometric_distort(seeded):
    image = _image(ember.float32)
    out = T.RandomChannelPermutation()(image)
    channels = {tuple(_np(c).ravel()) for c in image}
    assert {tuple(_np(c).ravel()) for c in out} == channels
    # torchvision's order of draws: per factor a coin then the factor, then the contrast
    # order, then a coin and the permutation
    transform = T.RandomPhotometricDistort(p=0.5)
    for seed in range(6):
        ember.manual_seed(seed)
        params = {}
        for key, (low, high) in [
            ("brightness_factor", transform.brightness),
            ("contrast_factor", transform.contrast),
            ("saturation_factor", transform.saturation),
            ("hue_factor", transform.hue),
        ]:
            coin = ember.rand(1).item() < 0.5
            params[key] = ember.empty(1).uniform_(low, high).item() if coin else None
        params["contrast_before"] = ember.rand(()).item() < 0.5
        coin = ember.rand(1).item() < 0.5
        params["channel_permutation"] = ember.randperm(3) if coin else None
        ember.manual_seed(seed)
        assert ember.equal(transform(image), transform.transform(image, params))


# ------------------------------------------------------------------------ geometry kernels


def test_perspective_and_elastic_images_match_v1():
    image = _image()
    start = [[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]]
    end = [[1, 1], [W - 3, 0], [W - 1, H - 2], [2, H - 1]]
    for interpolation in ("nearest", "bilinear"):
        mode = T.InterpolationMode(interpolation)
        out = F.perspective(image, start, end, interpolation=interpolation, fill=[1, 2, 3])
        assert type(out) is tv_tensors.Image
        assert ember.equal(out, F1.perspective(image, start, end, mode, [1, 2, 3]))
        coefficients = F1._get_perspective_coeffs(start, end)
        same = F.perspective(image, None, None, interpolation, [1, 2, 3], coefficients)
        assert ember.equal(same, out)
    displacement = ember.rand(1, H, W, 2) * 0.1
    assert ember.equal(F.elastic(image, displacement), F1.elastic_transform(image, displacement))
    mask = tv_tensors.Mask(ember.tensor(IMAGE_U8[0]).long())
    out = F.elastic(mask, displacement)
    assert type(out) is tv_tensors.Mask and set(_np(out).ravel()) <= set(IMAGE_U8[0].ravel())
    with pytest.raises(ValueError, match="startpoints/endpoints and the coefficients"):
        F.perspective(image, start, end, coefficients=coefficients)
    with pytest.raises(ValueError, match="Either the startpoints"):
        F.perspective(image, None, None)


def test_perspective_and_elastic_boxes():
    boxes = _boxes([[2.0, 1.0, 6.0, 5.0], [0.0, 0.0, 14.0, 10.0]])
    shift = [1.0, 0.0, -2.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    out = F.perspective(boxes, None, None, coefficients=shift)
    # moved by (+2, -1), then clamped to the canvas
    assert_close(
        out, ember.tensor([[4.0, 0.0, 8.0, 4.0], [2.0, 0.0, 14.0, 9.0]]), atol=1e-5, rtol=0
    )
    out = F.elastic(boxes, ember.zeros(1, H, W, 2))
    # corners at their pixel centres: the far corners (14, 10) clamp to the last pixel (13, 9)
    assert_close(
        out, ember.tensor([[2.0, 1.0, 6.0, 5.0], [0.0, 0.0, 13.0, 9.0]]), atol=1e-5, rtol=0
    )
    assert type(out) is tv_tensors.BoundingBoxes


def test_five_and_ten_crop():
    image = _image()
    crops = F.five_crop(image, [4, 6])
    expected = F1.five_crop(_plain(), [4, 6])
    assert len(crops) == 5 and all(type(c) is tv_tensors.Image for c in crops)
    assert all(ember.equal(c, e) for c, e in zip(crops, expected))
    crops = T.TenCrop(4, vertical_flip=True)(image)
    expected = F1.ten_crop(_plain(), 4, vertical_flip=True)
    assert len(crops) == 10 and all(ember.equal(c, e) for c, e in zip(crops, expected))
    video_crops = T.FiveCrop(3)(tv_tensors.Video(ember.zeros(2, 3, H, W)))
    assert all(type(c) is tv_tensors.Video and c.shape == (2, 3, 3, 3) for c in video_crops)
    with pytest.raises(TypeError, match="not supported by FiveCrop"):
        T.FiveCrop(3)(image, _boxes([1, 2, 3, 4]))
    points = _points([1.0, 2.0])
    with pytest.warns(UserWarning, match="passing through inputs of type tv_tensors.KeyPoints"):
        out = T.FiveCrop(3)(image, points)
    assert out[1] is points


# ---------------------------------------------------------------- misc: noise, JPEG, time


def test_gaussian_noise(seeded):
    image = _image(ember.float32)
    out = F.gaussian_noise(image, mean=0.25, sigma=0.0)
    assert_close(out, (image + 0.25).clamp(0, 1))
    assert_close(F.gaussian_noise(image, 0.25, 0.0, clip=False), image + 0.25)
    noise = F.gaussian_noise(ember.zeros(200, 200), mean=0.5, sigma=0.1) - 0.5
    assert abs(noise.mean().item()) < 0.005 and abs(noise.std().item() - 0.1) < 0.005
    # uint8: 255 * (mean + noise), truncated, in int16 then clipped
    out = F.gaussian_noise(_image(), mean=0.1, sigma=0.0)
    expected = np.clip(IMAGE_U8.astype(np.int16) + 25, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(_np(out), expected)
    assert type(T.GaussianNoise()(_image(ember.float32))) is tv_tensors.Image
    with pytest.raises(ValueError, match="uint8 or float"):
        F.gaussian_noise(ember.zeros(3, 2, 2, dtype=ember.int32))
    with pytest.raises(ValueError, match="sigma shouldn't be negative"):
        F.gaussian_noise(image, sigma=-1.0)


def _pillow_jpeg(array, quality):
    buffer = io.BytesIO()
    PILImage.fromarray(array.transpose(1, 2, 0)).save(buffer, format="JPEG", quality=quality)
    return np.asarray(PILImage.open(buffer)).transpose(2, 0, 1)


def test_jpeg(seeded):
    video = np.stack([IMAGE_U8, IMAGE_U8[::-1]])
    out = F.jpeg(tv_tensors.Video(ember.tensor(video)), quality=40)
    assert type(out) is tv_tensors.Video
    np.testing.assert_array_equal(_np(out), np.stack([_pillow_jpeg(v, 40) for v in video]))
    transform = T.JPEG((20, 30))
    for seed in range(3):
        ember.manual_seed(seed)
        quality = ember.randint(20, 31, ()).item()
        ember.manual_seed(seed)
        np.testing.assert_array_equal(_np(transform(_image())), _pillow_jpeg(IMAGE_U8, quality))
    with pytest.raises(ValueError, match="quality must be an integer from 1 to 100"):
        T.JPEG(0)
    with pytest.raises(TypeError, match="can't be bool"):
        T.JPEG(True)


def test_uniform_temporal_subsample():
    video = tv_tensors.Video(ember.arange(6.0).reshape(6, 1, 1, 1).expand(6, 1, 2, 2))
    out = T.UniformTemporalSubsample(4)(video)
    # linspace(0, 5, 4) = 0, 1.67, 3.33, 5, truncated
    assert type(out) is tv_tensors.Video and _np(out)[:, 0, 0, 0].tolist() == [0, 1, 3, 5]
    assert F.uniform_temporal_subsample(video, 8)[:, 0, 0, 0].tolist() == [0, 0, 1, 2, 2, 3, 4, 5]
    image = _image()
    assert T.UniformTemporalSubsample(2)(image) is image  # images pass through


def test_linear_transformation_and_conversions():
    matrix = ember.randn(12, 12, generator=ember.Generator().manual_seed(0))
    mean = ember.arange(12.0)
    image = tv_tensors.Image(ember.rand(3, 2, 2, generator=ember.Generator().manual_seed(1)))
    out = T.LinearTransformation(matrix, mean)(image)
    assert type(out) is tv_tensors.Image
    assert_close(out, ((image.reshape(1, 12) - mean) @ matrix).reshape(3, 2, 2))
    with pytest.raises(TypeError, match="does not support PIL images"):
        T.LinearTransformation(matrix, mean)(PILImage.new("RGB", (2, 2)))
    with pytest.raises(ValueError, match="should be square"):
        T.LinearTransformation(ember.zeros(2, 3), ember.zeros(2))
    out = T.ConvertImageDtype(ember.float64)(_image())
    assert out.dtype == ember.float64
    assert_close(out, _image().double() / 255)
    assert ember.equal(F.convert_image_dtype(_image(), ember.float32), _image().float() / 255)
    with pytest.warns(UserWarning, match="deprecated"):
        to_tensor = T.ToTensor()
    pil = PILImage.fromarray(IMAGE_U8.transpose(1, 2, 0))
    assert ember.equal(to_tensor(pil), F1.to_tensor(pil))
    with pytest.warns(UserWarning, match="deprecated"):
        assert ember.equal(F.to_tensor(pil), F1.to_tensor(pil))


def test_set_clamping_mode():
    boxes = _boxes([[-2.0, 1.0, 20.0, 5.0]])
    out = T.SetClampingMode(None)(boxes)
    assert out.clamping_mode is None and boxes.clamping_mode == "soft"
    assert T.ClampBoundingBoxes()(out).tolist() == [[-2, 1, 20, 5]]
    assert T.ClampBoundingBoxes()(boxes).tolist() == [[0, 1, 14, 5]]
    with pytest.raises(ValueError, match="clamping_mode must be soft, hard or None"):
        T.SetClampingMode("auto")


# ----------------------------------------------------------------------- MixUp and CutMix


def _batch():
    return tv_tensors.Image(ember.rand(4, 3, 6, 8, generator=ember.Generator().manual_seed(2)))


def test_mixup(seeded):
    images, labels = _batch(), ember.tensor([0, 2, 1, 2])
    ember.manual_seed(5)
    lam = ember.distributions.Beta(ember.tensor([0.4]), ember.tensor([0.4])).sample(()).item()
    ember.manual_seed(5)
    out_images, out_labels = T.MixUp(alpha=0.4, num_classes=3)(images, labels)
    assert type(out_images) is tv_tensors.Image
    assert_close(out_images, lam * images + (1 - lam) * images.roll(1, 0))
    one_hot = np.eye(3)[[0, 2, 1, 2]]
    expected = lam * one_hot + (1 - lam) * np.roll(one_hot, 1, axis=0)
    np.testing.assert_allclose(_np(out_labels), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(out_labels.sum(1)), 1.0, rtol=1e-6)
    # probability labels are mixed as they are; a dict sample too
    soft = ember.tensor(one_hot * 0.5, dtype=ember.float32)
    out = T.MixUp(num_classes=3, labels_getter=lambda s: s["y"])({"x": images, "y": soft})
    assert_close(out["y"].sum(1), ember.full((4,), 0.5))


def test_mixup_cutmix_errors():
    images, labels = _batch(), ember.tensor([0, 2, 1, 2])
    for transform in (T.MixUp(num_classes=3), T.CutMix(num_classes=3)):
        with pytest.raises(ValueError, match="num_classes must be passed"):
            type(transform)()(images, labels)
        with pytest.raises(ValueError, match="does not support PIL images, bounding boxes"):
            transform(images, labels, _boxes([1, 2, 3, 4]))
        with pytest.raises(ValueError, match="batch size of the image"):
            transform(images[:3], labels)
        with pytest.raises(ValueError, match="Expected a batched input with 4 dims"):
            transform(images[0], labels)
        with pytest.raises(ValueError, match="must match num_classes"):
            transform(images, ember.zeros(4, 5))
        with pytest.raises(ValueError, match="The labels must be a tensor"):
            type(transform)(num_classes=3, labels_getter=lambda s: None)(images, labels)


def test_cutmix(seeded):
    images, labels = _batch(), ember.tensor([0, 2, 1, 2])
    transform = T.CutMix(num_classes=3)
    for seed in range(5):
        ember.manual_seed(seed)
        # torchvision's order of draws: lam, then the centre x, then y
        lam = transform._dist.sample(()).item()
        r_x, r_y = ember.randint(8, (1,)).item(), ember.randint(6, (1,)).item()
        r = 0.5 * math.sqrt(1 - lam)
        x1, x2 = max(r_x - int(r * 8), 0), min(r_x + int(r * 8), 8)
        y1, y2 = max(r_y - int(r * 6), 0), min(r_y + int(r * 6), 6)
        ember.manual_seed(seed)
        out_images, out_labels = transform(images, labels)
        expected = _np(images).copy()
        expected[..., y1:y2, x1:x2] = np.roll(expected, 1, axis=0)[..., y1:y2, x1:x2]
        np.testing.assert_array_equal(_np(out_images), expected)
        kept = 1 - (x2 - x1) * (y2 - y1) / 48
        one_hot = np.eye(3)[[0, 2, 1, 2]]
        expected = kept * one_hot + (1 - kept) * np.roll(one_hot, 1, axis=0)
        np.testing.assert_allclose(_np(out_labels), expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(_np(out_labels.sum(1)), 1.0, rtol=1e-6)


# ------------------------------------------------------------------------ random geometry


def _iou(box, crop):
    ix = max(0.0, min(box[2], crop[2]) - max(box[0], crop[0]))
    iy = max(0.0, min(box[3], crop[3]) - max(box[1], crop[1]))
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1]) + (crop[2] - crop[0]) * (crop[3] - crop[1])
    return inter / (area - inter)


def test_random_iou_crop_constraints(seeded):
    boxes = _boxes([[1.0, 1.0, 6.0, 5.0], [7.0, 4.0, 13.0, 9.0], [2.0, 6.0, 4.0, 9.0]])
    image = _image()
    for option in (0.1, 0.5, 0.7):
        transform = T.RandomIoUCrop(sampler_options=[option])
        for _ in range(5):
            params = transform.make_params([image, boxes])
            left, top = params["left"], params["top"]
            crop = [left, top, left + params["width"], top + params["height"]]
            assert 0.5 <= params["width"] / params["height"] <= 2
            assert 0.3 * W - 1 <= params["width"] <= W and 0.3 * H - 1 <= params["height"] <= H
            centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes.tolist()]
            inside = [crop[0] < cx < crop[2] and crop[1] < cy < crop[3] for cx, cy in centres]
            assert params["is_within_crop_area"].tolist() == inside
            assert max(_iou(b, crop) for b, i in zip(boxes.tolist(), inside) if i) >= option
    # the boxes outside are zeroed, for SanitizeBoundingBoxes to remove them with their labels
    params = dict(
        top=0, left=0, height=6, width=7, is_within_crop_area=ember.tensor([1, 0, 0]).bool()
    )
    out_image, out_boxes = (T.RandomIoUCrop().transform(x, params) for x in (image, boxes))
    assert out_image.shape == (3, 6, 7) and out_boxes.tolist()[1:] == [[0, 0, 0, 0]] * 2
    sample = {"image": out_image, "boxes": out_boxes, "labels": ember.tensor([1, 2, 3])}
    out = T.SanitizeBoundingBoxes()(sample)
    assert out["labels"].tolist() == [1] and out["boxes"].tolist() == [[1, 1, 6, 5]]
    # an option of 1 keeps the sample; a sample without boxes is refused
    assert T.RandomIoUCrop(sampler_options=[1.0])(image, boxes)[1] is boxes
    with pytest.raises(TypeError, match="requires input sample to contain tensor or PIL images"):
        T.RandomIoUCrop()(image)


def test_random_zoom_out(seeded):
    image, boxes = _image(), _boxes([[1.0, 2.0, 5.0, 6.0]])
    transform = T.RandomZoomOut(
        fill={tv_tensors.Image: 7, "others": 0}, side_range=(1.5, 3.0), p=1.0
    )
    for seed in range(4):
        ember.manual_seed(seed)
        ember.rand(1)  # the p draw
        r = 1.5 + ember.rand(1).item() * 1.5
        offsets = ember.rand(2).tolist()
        ember.manual_seed(seed)
        out_image, out_boxes = transform(image, boxes)
        height, width = out_image.shape[-2:]
        # float32 arithmetic, as in the transform
        assert (height, width) == (int(H * np.float32(r)), int(W * np.float32(r)))
        left, top = int((width - W) * offsets[0]), int((height - H) * offsets[1])
        assert ember.equal(out_image[:, top : top + H, left : left + W], image)
        assert (out_image == 7).sum().item() >= 3 * (height * width - H * W)
        assert out_boxes.tolist() == [[1 + left, 2 + top, 5 + left, 6 + top]]
    with pytest.raises(ValueError, match="Invalid side range"):
        T.RandomZoomOut(side_range=(0.5, 2.0))


def test_random_perspective_and_elastic_params(seeded):
    transform = T.RandomPerspective(distortion_scale=0.6, p=1.0)
    ember.manual_seed(3)
    ember.rand(1)  # the p draw
    # torchvision v2 draws the corners in v1's order
    start, end = v1.RandomPerspective.get_params(W, H, 0.6)
    ember.manual_seed(3)
    out = transform(_image())
    assert ember.equal(out, F1.perspective(_image(), start, end, T.InterpolationMode.BILINEAR, 0))
    transform = T.ElasticTransform(alpha=0.0, sigma=1.0)
    params = transform.make_params([_image()])
    assert params["displacement"].shape == (1, H, W, 2)
    assert params["displacement"].abs().max().item() == 0
    assert ember.equal(transform(_image()), _image())


def test_random_resizes(seeded):
    image, points = _image(), _points([[4.0, 6.0]])
    for seed in range(4):
        ember.manual_seed(seed)
        scale = 0.5 + ember.rand(1).item() * 1.0
        r = min(20 / H, 30 / W) * np.float32(scale)
        ember.manual_seed(seed)
        out, out_points = T.ScaleJitter((30, 20), scale_range=(0.5, 1.5))(image, points)
        assert tuple(out.shape[-2:]) == (int(H * r), int(W * r)) == out_points.canvas_size
        ember.manual_seed(seed)
        min_size = [6, 8, 12][ember.randint(3, ()).item()]
        r = min(min_size / H, 16 / W)
        ember.manual_seed(seed)
        out = T.RandomShortestSize([6, 8, 12], max_size=16)(image)
        assert tuple(out.shape[-2:]) == (int(H * r), int(W * r))
        ember.manual_seed(seed)
        size = ember.randint(5, 9, ()).item()
        ember.manual_seed(seed)
        out = T.RandomResize(5, 9, interpolation="nearest")(image)
        assert out.shape[-2] == size and ember.equal(out, F.resize(image, [size], "nearest"))
    with pytest.raises(ValueError, match="Invalid interpolation mode"):
        F.resize(image, [5], interpolation="cubic")


# ------------------------------------------------------------------ the AutoAugment family


def test_augmentation_spaces():
    space = T.RandAugment._AUGMENTATION_SPACE
    assert next(iter(space)) == "Identity" and len(space) == 14
    fn, signed = space["Solarize"]
    assert not signed and fn(31, H, W).tolist() == pytest.approx(np.linspace(1, 0, 31))
    assert T.RandAugment._AUGMENTATION_SPACE["Posterize"][0](11, H, W).tolist() == [
        8,
        8,
        7,
        7,
        6,
        6,
        6,
        5,
        5,
        4,
        4,
    ]
    assert T.TrivialAugmentWide._AUGMENTATION_SPACE["Posterize"][0](7, H, W).tolist() == [
        8,
        7,
        6,
        5,
        4,
        3,
        2,
    ]
    assert T.AugMix._PARTIAL_AUGMENTATION_SPACE["Posterize"][0](5, H, W).tolist() == [4, 3, 2, 1, 0]
    translate = T.AutoAugment._AUGMENTATION_SPACE["TranslateX"][0](10, 331, 331)
    assert translate[-1].item() == pytest.approx(150.0)
    assert T.AugMix._AUGMENTATION_SPACE["TranslateY"][0](10, 30, 60)[-1].item() == pytest.approx(10)
    assert T.TrivialAugmentWide._AUGMENTATION_SPACE["Rotate"][0](31, H, W)[-1].item() == 135
    assert "Invert" in T.AutoAugment._AUGMENTATION_SPACE
    assert "Invert" not in T.RandAugment._AUGMENTATION_SPACE


@pytest.mark.parametrize(
    "op, magnitude",
    [
        ("ShearX", 0.23),
        ("ShearY", -0.1),
        ("TranslateX", 3.7),
        ("TranslateY", -2.0),
        ("Rotate", 17.0),
        ("Brightness", 0.4),
        ("Color", -0.3),
        ("Contrast", 0.5),
        ("Sharpness", 0.8),
        ("Posterize", 5.0),
        ("Solarize", 0.4),
        ("AutoContrast", 0.0),
        ("Equalize", 0.0),
        ("Invert", 0.0),
    ],
)
def test_auto_augment_operations_match_v1(op, magnitude):
    """The operations equal v1's on uint8 images (v1's Solarize magnitude is a threshold in
    [0, 255], v2's a fraction of the dtype's maximum)."""
    image = _plain()
    out = T.AutoAugment()._apply_image_or_video_transform(
        image, op, magnitude, "nearest", {"others": [4.0, 5.0, 6.0]}
    )
    v1_magnitude = magnitude * 255 if op == "Solarize" else magnitude
    expected = v1_autoaugment._apply_op(
        image, op, v1_magnitude, T.InterpolationMode.NEAREST, [4.0, 5.0, 6.0]
    )
    assert ember.equal(out, expected)


def _replay(space, num_bins, bin_index, image, interpolation="nearest"):
    """One operation drawn as torchvision draws it: the operation, then (for those with
    magnitudes) the bin and the sign."""
    op = list(space)[ember.randint(len(space), ()).item()]
    fn, signed = space[op]
    magnitudes = fn(num_bins, H, W)
    magnitude = 0.0
    if magnitudes is not None:
        index = bin_index() if callable(bin_index) else bin_index
        magnitude = float(magnitudes[index])
        if signed and ember.rand(()).item() <= 0.5:
            magnitude = -magnitude
    return T.AutoAugment()._apply_image_or_video_transform(
        image, op, magnitude, interpolation, {"others": None}
    )


def test_rand_augment_and_trivial_augment_draws(seeded):
    image = _image()
    for seed in range(8):
        ember.manual_seed(seed)
        expected = _replay(T.RandAugment._AUGMENTATION_SPACE, 31, 9, image)
        expected = _replay(T.RandAugment._AUGMENTATION_SPACE, 31, 9, expected)
        ember.manual_seed(seed)
        out = T.RandAugment()(image)
        assert type(out) is tv_tensors.Image and ember.equal(out, expected)
        ember.manual_seed(seed)
        space = T.TrivialAugmentWide._AUGMENTATION_SPACE
        expected = _replay(space, 31, lambda: ember.randint(31, ()).item(), image)
        ember.manual_seed(seed)
        assert ember.equal(T.TrivialAugmentWide()(image), expected)


def test_auto_augment_draws(seeded):
    image = _image()
    space = T.AutoAugment._AUGMENTATION_SPACE
    policies = v1_autoaugment._POLICIES[T.AutoAugmentPolicy.CIFAR10]
    for seed in range(8):
        ember.manual_seed(seed)
        expected = image
        for op, probability, index in policies[ember.randint(25, ()).item()]:
            if not ember.rand(()).item() <= probability:
                continue
            fn, signed = space[op]
            magnitudes = fn(10, H, W)
            magnitude = 0.0
            if magnitudes is not None:
                magnitude = float(magnitudes[index])
                if signed and ember.rand(()).item() <= 0.5:
                    magnitude = -magnitude
            expected = T.AutoAugment()._apply_image_or_video_transform(
                expected, op, magnitude, "nearest", {"others": None}
            )
        ember.manual_seed(seed)
        out = T.AutoAugment(T.AutoAugmentPolicy.CIFAR10)(image)
        assert ember.equal(out, expected)


def test_augmix(seeded):
    image = _image()
    transform = T.AugMix(mixture_width=2, chain_depth=1, severity=2, all_ops=False)
    for seed in range(4):
        ember.manual_seed(seed)
        m = ember.distributions.Dirichlet(ember.tensor([[1.0, 1.0]])).sample()
        weights = ember.distributions.Dirichlet(ember.tensor([[1.0, 1.0]])).sample() * m[:, 1:]
        mix = m[0, 0] * image.float()
        space = T.AugMix._PARTIAL_AUGMENTATION_SPACE
        for i in range(2):
            aug = _replay(space, 10, lambda: ember.randint(2, ()).item(), image, "bilinear")
            mix = mix + weights[0, i] * aug
        ember.manual_seed(seed)
        out = transform(image)
        assert type(out) is tv_tensors.Image and out.dtype == ember.uint8
        assert_close(out, mix.to(ember.uint8), atol=1, rtol=0)
    # PIL in, PIL out; videos keep their type
    pil = F.to_pil_image(image)
    assert isinstance(transform(pil), PILImage.Image)
    video = tv_tensors.Video(image.unsqueeze(0).repeat(2, 1, 1, 1))
    assert type(transform(video)) is tv_tensors.Video


def test_auto_augment_family_on_samples(seeded):
    image = _image(ember.float32)
    for transform in (T.AutoAugment(), T.RandAugment(), T.TrivialAugmentWide(), T.AugMix()):
        out = transform({"image": image, "label": 3})
        assert type(out["image"]) is tv_tensors.Image and out["label"] == 3
        with pytest.raises(TypeError, match="not supported by"):
            transform(image, _boxes([1, 2, 3, 4]))
        with pytest.raises(TypeError, match="only properly defined for a single image"):
            transform(image, tv_tensors.Image(ember.zeros(3, 2, 2)))
    with pytest.raises(ValueError, match="num_ops should be a non-negative integer"):
        T.RandAugment(num_ops=-1)
    with pytest.raises(ValueError, match="severity must be between"):
        T.AugMix(severity=11)


# --------------------------------------------------------------------------------- helpers


def test_helpers():
    image, boxes, points = _image(), _boxes([1, 2, 3, 4]), _points([1.0, 2.0])
    flat, _ = tree_flatten({"a": image, "b": [boxes, points], "c": 1})
    assert T.has_any(flat, tv_tensors.KeyPoints) and not T.has_any(flat, tv_tensors.Mask)
    assert T.has_all(flat, tv_tensors.Image, tv_tensors.BoundingBoxes)
    assert not T.has_all(flat, tv_tensors.Image, tv_tensors.Mask)
    assert T.check_type(1, (int,)) and T.check_type(image, (lambda x: x.ndim == 3,))
    assert T.get_bounding_boxes(flat) is boxes and T.get_keypoints(flat) is points
    assert T.query_size(flat) == (H, W) and T.query_chw(flat) == (3, H, W)
    with pytest.raises(ValueError, match="No keypoints"):
        T.get_keypoints([image])
    with pytest.raises(ValueError, match="Found multiple HxW"):
        T.query_size([image, _points([1.0, 2.0], canvas_size=(3, 3))])


# ----------------------------------------------------------------------------- on a device

DISPLACEMENT = ember.rand(1, H, W, 2, generator=ember.Generator().manual_seed(4)) * 0.2 - 0.1
DEVICE_CASES = {
    "perspective": (
        F.perspective,
        dict(
            startpoints=None,
            endpoints=None,
            coefficients=[1.0, 0.1, -1.0, 0.0, 0.9, 0.5, 0.001, 0.0],
        ),
    ),
    "elastic": (F.elastic, dict(displacement=DISPLACEMENT)),
    "rotate_expand": (F.rotate, dict(angle=30.0, expand=True)),
    "resized_crop": (F.resized_crop, dict(top=1, left=2, height=6, width=9, size=[8, 8])),
    "pad": (F.pad, dict(padding=[1, 2, 3, 4])),
    "equalize": (F.equalize, {}),
    "posterize": (F.posterize, dict(bits=3)),
    "solarize": (F.solarize, dict(threshold=0.5)),
    "invert": (F.invert, {}),
    "permute_channels": (F.permute_channels, dict(permutation=ember.tensor([2, 0, 1]))),
    "five_crop": (F.five_crop, dict(size=[4, 5])),
}


GEOMETRY = ("perspective", "elastic", "rotate_expand", "resized_crop", "pad")


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
@pytest.mark.parametrize("name", list(DEVICE_CASES))
def test_functionals_on_cuda_match_cpu(name):
    functional, kwargs = DEVICE_CASES[name]
    samples = [_image(ember.float32), _image()]
    if name in GEOMETRY:
        samples += [
            _points([[1.0, 2.0], [12.5, 8.0]]),
            _boxes([[1.0, 2.0, 6.0, 7.0], [3, 0, 14, 10]]),
        ]
    for sample in samples:
        if name == "solarize" and sample.dtype == ember.uint8:
            continue
        expected = functional(sample, **kwargs)
        actual = functional(sample.to("cuda"), **kwargs)
        for a, e in zip(*(x if isinstance(x, tuple) else (x,) for x in (actual, expected))):
            assert type(a) is type(e) and a.device.type == "cuda" and a.dtype == e.dtype
            assert getattr(a, "canvas_size", None) == getattr(e, "canvas_size", None)
            atol = 1 if e.dtype == ember.uint8 else 1e-4
            assert_close(a.cpu().double(), e.double(), atol=atol, rtol=0, msg=f"{name} {type(e)}")


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
def test_transforms_on_cuda_keep_the_device(seeded):
    """Random transforms draw their parameters on the CPU and apply them on the sample's
    device."""
    image = _image().to("cuda")
    detection = (
        image,
        _boxes([[1.0, 2.0, 6.0, 7.0]]).to("cuda"),
        _points([[3.0, 4.0]], device="cuda"),
    )
    cases = [
        (T.RandomChannelPermutation(), detection),
        (T.RandomPhotometricDistort(p=1.0), detection),
        (T.RandomZoomOut(p=1.0), detection),
        (T.RandomIoUCrop(), detection),
        (T.RandomPerspective(p=1.0), detection),
        (T.ElasticTransform(alpha=5.0, sigma=1.0), detection),
        (T.JPEG(60), detection),
        (T.TrivialAugmentWide(), (image,)),
        (T.AugMix(), (image,)),
        (T.GaussianNoise(), (F.to_dtype(image, ember.float32, scale=True),)),
    ]
    for transform, sample in cases:
        for out in transform(sample):
            assert out.device.type == "cuda", type(transform).__name__
