"""embervision.utils' draw_segmentation_masks, draw_keypoints and flow_to_image against
hand-computed pixels and the colour-wheel formula; embervision.io's decode_gif, decode_webp,
decode_avif and decode_heic on small files written with Pillow."""

import io
import math
import warnings

import numpy as np
import pytest
from PIL import Image, features

import ember
from embervision import io as eio
from embervision import utils


def _np(t):
    return t.detach().cpu().numpy()


# ---------------------------------------------------------------------- draw_segmentation_masks


def test_draw_segmentation_masks_uint8_by_hand():
    image = ember.full((3, 2, 3), 100, dtype=ember.uint8)
    masks = ember.tensor(
        [[[True, True, False], [False, False, False]], [[False, True, True], [False, False, False]]]
    )
    out = _np(utils.draw_segmentation_masks(image, masks, alpha=0.5, colors=["red", (0, 0, 250)]))
    assert out.dtype == np.uint8
    # 100 * 0.5 + colour * 0.5, truncated; black (0) where the masks overlap
    np.testing.assert_array_equal(out[:, 0, 0], [177, 50, 50])  # red
    np.testing.assert_array_equal(out[:, 0, 1], [50, 50, 50])  # both masks
    np.testing.assert_array_equal(out[:, 0, 2], [50, 50, 175])  # the second mask's blue
    np.testing.assert_array_equal(out[:, 1], 100)  # no mask: the image, blended with itself
    # one mask given as (H, W), one colour for all, the default alpha 0.8
    out = _np(utils.draw_segmentation_masks(image, masks[0], colors="#0A141E"))
    np.testing.assert_array_equal(out[:, 0, 0], [int(100 * 0.2 + c * 0.8) for c in (10, 20, 30)])


def test_draw_segmentation_masks_float_and_palette():
    rng = np.random.default_rng(0)
    image = ember.tensor(rng.random((3, 4, 5)), dtype=ember.float32)
    masks = ember.tensor(rng.random((3, 4, 5)) > 0.6)
    out = _np(utils.draw_segmentation_masks(image, masks, alpha=0.3))
    assert out.dtype == np.float32
    # the last mask covering a pixel paints it, with torchvision's palette / 255
    palette = [
        tuple(i * p % 255 / 255 for p in (2**25 - 1, 2**15 - 1, 2**21 - 1)) for i in range(3)
    ]
    m = _np(masks)
    for i, j in np.ndindex(4, 5):
        covering = np.flatnonzero(m[:, i, j])
        colour = _np(image)[:, i, j] if len(covering) == 0 else np.array(palette[covering[-1]])
        if len(covering) > 1:
            colour = np.zeros(3)
        expected = _np(image)[:, i, j] * 0.7 + colour * 0.3
        np.testing.assert_allclose(out[:, i, j], expected, rtol=1e-6)


def test_draw_segmentation_masks_errors():
    image = ember.zeros((3, 4, 4), dtype=ember.uint8)
    masks = ember.zeros((2, 4, 4), dtype=ember.bool)
    with pytest.raises(TypeError, match="The image must be a tensor"):
        utils.draw_segmentation_masks(np.zeros((3, 4, 4)), masks)
    with pytest.raises(ValueError, match="The image dtype must be uint8 or float"):
        utils.draw_segmentation_masks(image.int(), masks)
    with pytest.raises(ValueError, match="Pass individual images, not batches"):
        utils.draw_segmentation_masks(image[None], masks)
    with pytest.raises(ValueError, match="Pass an RGB image"):
        utils.draw_segmentation_masks(image[:1], masks)
    with pytest.raises(ValueError, match=r"masks must be of shape \(H, W\) or"):
        utils.draw_segmentation_masks(image, masks[None])
    with pytest.raises(ValueError, match="The masks must be of dtype bool"):
        utils.draw_segmentation_masks(image, masks.float())
    with pytest.raises(ValueError, match="same height and width"):
        utils.draw_segmentation_masks(image, masks[:, :3])
    with pytest.raises(ValueError, match="Number of colors must be equal or larger"):
        utils.draw_segmentation_masks(image, masks, colors=["red"])
    with pytest.warns(UserWarning, match="masks doesn't contain any mask"):
        assert utils.draw_segmentation_masks(image, masks[:0]) is image


# ------------------------------------------------------------------------------- draw_keypoints


def test_draw_keypoints_points_and_connections():
    image = ember.zeros((3, 20, 20), dtype=ember.uint8)
    keypoints = ember.tensor([[[3.7, 4.2], [15.0, 4.0], [10.0, 15.0]]])
    out = _np(utils.draw_keypoints(image, keypoints, colors="red", radius=1))
    red = (out[0] == 255) & (out[1] == 0)
    # a disc of radius 1 around each (truncated) keypoint, nothing connects them
    for x, y in [(3, 4), (15, 4), (10, 15)]:
        assert red[y, x] and red[y - 1, x] and red[y, x + 1]
    assert red.sum() == 15 and (out[2] == 0).all()
    lines = _np(
        utils.draw_keypoints(
            image, keypoints, connectivity=[(0, 1)], colors="blue", radius=1, width=1
        )
    )
    # the line (default white) along row 4 between the first two points
    assert (lines[:, 4, 5:14] == 255).all()
    np.testing.assert_array_equal(lines[:, 15, 10], [0, 0, 255])  # the third point, in blue
    assert (lines[:, 8:13, 10] == 0).all()  # not connected


def test_draw_keypoints_visibility_and_float():
    image = ember.zeros((3, 12, 12))
    keypoints = ember.tensor([[[2.0, 2.0], [9.0, 2.0]], [[2.0, 9.0], [9.0, 9.0]]])
    visibility = ember.tensor([[True, False], [True, True]])
    out = _np(
        utils.draw_keypoints(
            image, keypoints, connectivity=[(0, 1)], colors=(255, 255, 0), visibility=visibility
        )
    )
    assert out.dtype == np.float32
    assert out[0, 2, 2] == 1.0 and out[2, 2, 2] == 0.0  # yellow, back in [0, 1]
    assert out[:, 2, 9].sum() == 0  # invisible point
    assert out[:, 2, 5].sum() == 0  # no line to an invisible point
    assert out[:, 9, 5].sum() == 3  # the second instance is connected (white line)
    # visibility of shape (N, K, 1) is accepted
    again = utils.draw_keypoints(
        image, keypoints, [(0, 1)], (255, 255, 0), visibility=visibility[..., None]
    )
    np.testing.assert_array_equal(_np(again), out)


def test_draw_keypoints_errors():
    image = ember.zeros((3, 5, 5), dtype=ember.uint8)
    with pytest.raises(ValueError, match=r"keypoints must be of shape \(num_instances, K, 2\)"):
        utils.draw_keypoints(image, ember.zeros((3, 2)))
    with pytest.raises(ValueError, match="visibility must be of shape"):
        utils.draw_keypoints(image, ember.zeros((1, 3, 2)), visibility=ember.ones(3))
    with pytest.raises(ValueError, match="must have the same dimensionality"):
        utils.draw_keypoints(image, ember.zeros((1, 3, 2)), visibility=ember.ones((1, 2)))
    with pytest.raises(ValueError, match="Pass an RGB image"):
        utils.draw_keypoints(image[:2], ember.zeros((1, 3, 2)))


# -------------------------------------------------------------------------------- flow_to_image


def test_make_colorwheel():
    wheel = _np(utils._make_colorwheel())
    assert wheel.shape == (55, 3) and wheel.dtype == np.float32
    # red -> yellow -> green -> cyan -> blue -> magenta, in 15, 6, 4, 11, 13 and 6 steps
    np.testing.assert_array_equal(
        wheel[[0, 15, 21, 25, 36, 49]],
        [[255, 0, 0], [255, 255, 0], [0, 255, 0], [0, 255, 255], [0, 0, 255], [255, 0, 255]],
    )
    np.testing.assert_array_equal(wheel[1:15, 1], np.floor(255 * np.arange(1, 15) / 15))
    np.testing.assert_array_equal(wheel[50:, 2], 255 - np.floor(255 * np.arange(1, 6) / 6))


def _flow_colour(u, v, max_norm):
    """One pixel of the Middlebury flow colouring, written out in float64."""
    wheel = _np(utils._make_colorwheel()).astype(np.float64)
    norm = math.hypot(u, v) / max_norm
    fk = (math.atan2(-v, -u) / math.pi + 1) / 2 * 54
    k0 = math.floor(fk)
    k1 = (k0 + 1) % 55
    f = fk - k0
    col = (1 - f) * wheel[k0] / 255 + f * wheel[k1] / 255
    return np.floor(255 * (1 - norm * (1 - col)))


def test_flow_to_image_by_hand():
    flow = np.array(
        [
            [[1.0, 0.0, -0.5, 0.0], [0.3, 0.0, 0.0, 0.0]],
            [[0.0, 1.0, 0.5, 0.0], [-0.4, -2.0, 0.0, 0.0]],
        ],
        dtype=np.float32,
    )
    img = _np(utils.flow_to_image(ember.from_numpy(flow)))
    assert img.shape == (3, 2, 4) and img.dtype == np.uint8
    np.testing.assert_array_equal(img[:, 1, 2], [255, 255, 255])  # no motion: white
    for i, j in np.ndindex(2, 4):
        expected = _flow_colour(flow[0, i, j], flow[1, i, j], 2.0)
        np.testing.assert_allclose(img[:, i, j], expected, atol=1)
    batch = _np(utils.flow_to_image(ember.from_numpy(np.stack([flow, flow * 3]))))
    assert batch.shape == (2, 3, 2, 4)
    # normalised by the batch's largest norm: the second image is the first one's colouring
    np.testing.assert_array_equal(batch[1], img)
    for i, j in np.ndindex(2, 4):
        expected = _flow_colour(flow[0, i, j], flow[1, i, j], 6.0)
        np.testing.assert_allclose(batch[0, :, i, j], expected, atol=1)


def test_flow_to_image_errors():
    with pytest.raises(ValueError, match="Flow should be of dtype"):
        utils.flow_to_image(ember.zeros((2, 3, 3), dtype=ember.float64))
    with pytest.raises(ValueError, match=r"Input flow should have shape \(2, H, W\)"):
        utils.flow_to_image(ember.zeros((3, 3, 3)))


# ---------------------------------------------------------------------------------------- io


def _bytes(image, format, **options):
    stream = io.BytesIO()
    image.save(stream, format=format, **options)
    return ember.from_numpy(np.frombuffer(stream.getvalue(), dtype=np.uint8).copy())


# black, red (transparent), green (the background), blue
_PALETTE = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (252 * 3)


def _palette_image(indices):
    image = Image.fromarray(np.array(indices, dtype=np.uint8), "P")
    image.putpalette(_PALETTE)
    return image


def test_decode_gif_fills_transparency_with_the_background():
    first = _palette_image([[0, 1], [2, 3]])
    single = eio.decode_gif(_bytes(first, "GIF", transparency=1, background=2))
    assert tuple(single.shape) == (3, 2, 2) and single.dtype == ember.uint8
    np.testing.assert_array_equal(
        _np(single).transpose(1, 2, 0), [[[0, 0, 0], [0, 255, 0]], [[0, 255, 0], [0, 0, 255]]]
    )
    # a second frame drawn over the first (disposal 1): its transparent pixels show the first
    second = _palette_image([[1, 1], [3, 0]])
    data = _bytes(
        first,
        "GIF",
        save_all=True,
        append_images=[second],
        transparency=1,
        background=2,
        disposal=1,
    )
    frames = _np(eio.decode_gif(data)).transpose(0, 2, 3, 1)
    assert frames.shape == (2, 2, 2, 3)
    np.testing.assert_array_equal(frames[0], _np(single).transpose(1, 2, 0))
    np.testing.assert_array_equal(frames[1], [[[0, 0, 0], [0, 255, 0]], [[0, 0, 255], [0, 0, 0]]])


def test_decode_gif_grey_palette():
    # a palette of greys (i, i, i) reads as Pillow's mode L: the background is still index 2's
    image = Image.fromarray(np.array([[0, 1], [2, 3]], dtype=np.uint8), "L")
    out = _np(eio.decode_gif(_bytes(image, "GIF", transparency=1, background=2)))
    np.testing.assert_array_equal(out, np.broadcast_to([[0, 2], [2, 3]], (3, 2, 2)))


def test_decode_gif_errors():
    png = _bytes(Image.new("RGB", (2, 2)), "PNG")
    with pytest.raises(RuntimeError, match="the data is not a GIF image"):
        eio.decode_gif(png)
    with pytest.raises(TypeError, match="Expected a Tensor of encoded bytes"):
        eio.decode_gif("image.gif")


@pytest.mark.skipif(not features.check("webp"), reason="Pillow without WebP")
def test_decode_webp_modes():
    rgba = np.random.default_rng(1).integers(0, 256, (5, 6, 4), dtype=np.uint8)
    data = _bytes(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True, exact=True)
    out = eio.decode_webp(data)
    np.testing.assert_array_equal(_np(out).transpose(1, 2, 0), rgba)
    np.testing.assert_array_equal(_np(eio.decode_webp(data, "RGB")), _np(out)[:3])
    np.testing.assert_array_equal(_np(eio.decode_webp(data, eio.ImageReadMode.GRAY)), _np(out))
    rgb = _bytes(Image.fromarray(rgba[..., :3]), "WEBP", lossless=True)
    np.testing.assert_array_equal(_np(eio.decode_webp(rgb)).transpose(1, 2, 0), rgba[..., :3])
    assert tuple(eio.decode_webp(rgb, "RGBA").shape) == (4, 5, 6)
    frames = [Image.fromarray(rgba[..., :3]), Image.fromarray(255 - rgba[..., :3])]
    animated = _bytes(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    with pytest.raises(RuntimeError, match=r"Animated webp files are not supported\."):
        eio.decode_webp(animated)
    with pytest.raises(RuntimeError, match="the data is not a WEBP image"):
        eio.decode_webp(_bytes(Image.new("RGB", (2, 2)), "PNG"))


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
def test_decode_avif():
    rgb = np.zeros((16, 16, 3), dtype=np.uint8)
    rgb[:, 8:] = (200, 40, 90)
    data = _bytes(Image.fromarray(rgb), "AVIF", quality=100)
    out = eio.decode_avif(data)
    assert tuple(out.shape) == (3, 16, 16) and out.dtype == ember.uint8
    assert np.abs(_np(out).transpose(1, 2, 0).astype(int) - rgb).mean() < 4  # lossy
    assert tuple(eio.decode_avif(data, "RGB_ALPHA").shape) == (4, 16, 16)


def test_decode_heic_without_its_plugin():
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pillow-heif is installed")
    with pytest.raises(RuntimeError, match="pip install pillow-heif"):
        eio.decode_heic(ember.zeros(8, dtype=ember.uint8))


def test_new_decoders_are_exported():
    for name in ("decode_gif", "decode_webp", "decode_avif", "decode_heic"):
        assert name in eio.image.__all__ and hasattr(eio, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eio.decode_gif(_bytes(_palette_image([[0]]), "GIF"))
