"""embervision.utils: make_grid against a grid built by hand, save_image through Pillow, and the
pixels draw_bounding_boxes changes."""

import io as pyio

import numpy as np
import pytest
from PIL import Image

import ember
from embervision.utils import draw_bounding_boxes, make_grid, save_image


def _reference_grid(images, nrow, padding, pad_value):
    """torchvision's layout, cell by cell: image k at row k // nrow, column k % nrow."""
    b, c, h, w = images.shape
    cols = min(nrow, b)
    rows = -(-b // cols)
    shape = (c, rows * (h + padding) + padding, cols * (w + padding) + padding)
    grid = np.full(shape, pad_value, dtype=images.dtype)
    for k in range(b):
        top = (k // cols) * (h + padding) + padding
        left = (k % cols) * (w + padding) + padding
        grid[:, top : top + h, left : left + w] = images[k]
    return grid


@pytest.fixture
def batch():
    return np.random.default_rng(0).random((5, 3, 4, 6), dtype=np.float32)


# ------------------------------------------------------------------------------------ make_grid


@pytest.mark.parametrize(
    ("nrow", "padding", "pad_value"), [(8, 2, 0.0), (2, 1, 0.5), (3, 0, 0.0), (1, 3, 1.0)]
)
def test_make_grid_layout(batch, nrow, padding, pad_value):
    grid = make_grid(ember.from_numpy(batch), nrow=nrow, padding=padding, pad_value=pad_value)
    expected = _reference_grid(batch, nrow, padding, pad_value)
    assert grid.shape == expected.shape and grid.dtype == ember.float32
    np.testing.assert_array_equal(grid.numpy(), expected)


def test_make_grid_single_channel_and_list(batch):
    gray = batch[:, :1]
    grid = make_grid(ember.from_numpy(np.ascontiguousarray(gray)), nrow=4)
    np.testing.assert_array_equal(grid.numpy(), _reference_grid(np.repeat(gray, 3, 1), 4, 2, 0))
    as_list = make_grid([ember.from_numpy(image) for image in batch], nrow=4)
    np.testing.assert_array_equal(as_list.numpy(), _reference_grid(batch, 4, 2, 0))


def test_make_grid_single_image(batch):
    image = ember.from_numpy(batch[0])
    np.testing.assert_array_equal(make_grid(image).numpy(), batch[0])
    np.testing.assert_array_equal(make_grid(image[None]).numpy(), batch[0])
    # A single-channel image, 3-D or 2-D, becomes 3 identical channels.
    np.testing.assert_array_equal(make_grid(image[:1]).numpy(), np.repeat(batch[0, :1], 3, 0))
    np.testing.assert_array_equal(make_grid(image[0]).numpy(), np.stack([batch[0, 0]] * 3))


def test_make_grid_uint8():
    images = np.arange(2 * 3 * 2 * 2, dtype=np.uint8).reshape(2, 3, 2, 2)
    grid = make_grid(ember.from_numpy(images), padding=1, pad_value=255)
    assert grid.dtype == ember.uint8
    np.testing.assert_array_equal(grid.numpy(), _reference_grid(images, 8, 1, 255))


def test_make_grid_normalize(batch):
    x = batch * 4 - 1  # values in [-1, 3)
    t = ember.from_numpy(x)
    lo, hi = x.min(), x.max()
    grid = make_grid(t, normalize=True, padding=0)
    np.testing.assert_allclose(
        grid.numpy(), _reference_grid((x - lo) / (hi - lo), 8, 0, 0), rtol=1e-5
    )

    clamped = make_grid(t, normalize=True, value_range=(0, 2), padding=0)
    expected = (np.clip(x, 0, 2) - 0) / 2
    np.testing.assert_allclose(clamped.numpy(), _reference_grid(expected, 8, 0, 0), rtol=1e-6)

    each = make_grid(t, normalize=True, scale_each=True, padding=0).numpy()
    lo_k = x.min(axis=(1, 2, 3), keepdims=True)
    hi_k = x.max(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(
        each, _reference_grid((x - lo_k) / (hi_k - lo_k), 8, 0, 0), rtol=1e-5
    )

    constant = make_grid(ember.full((2, 3, 2, 2), 7.0), normalize=True, padding=0)
    assert not constant.numpy().any()  # max(hi - lo, 1e-5) avoids a division by zero

    np.testing.assert_array_equal(t.numpy(), x)  # the input is left untouched


def test_make_grid_errors(batch):
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(batch)
    with pytest.raises(TypeError, match="got a list containing"):
        make_grid([batch[0]])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(ember.from_numpy(batch), normalize=True, value_range=[0, 1])


# ----------------------------------------------------------------------------------- save_image


def _to_uint8(x):
    return np.floor(np.clip(x * 255 + 0.5, 0, 255)).astype(np.uint8)


def test_save_image_png(tmp_path, batch):
    path = tmp_path / "grid.png"
    save_image(ember.from_numpy(batch), path, nrow=3, padding=1)
    with Image.open(path) as saved:
        assert saved.format == "PNG" and saved.mode == "RGB"
        pixels = np.asarray(saved).transpose(2, 0, 1)
    np.testing.assert_array_equal(pixels, _to_uint8(_reference_grid(batch, 3, 1, 0)))


def test_save_image_file_object_and_gray(batch):
    stream = pyio.BytesIO()
    gray = ember.from_numpy(np.ascontiguousarray(batch[0, :1]))
    save_image(gray, stream, format="PNG")
    stream.seek(0)
    with Image.open(stream) as saved:
        pixels = np.asarray(saved)
    assert pixels.shape == (4, 6, 3)  # the gray image is saved as RGB, as torchvision does
    np.testing.assert_array_equal(pixels, np.repeat(_to_uint8(batch[0, 0])[:, :, None], 3, 2))


# -------------------------------------------------------------------------- draw_bounding_boxes


def _outline(h, w, x0, y0, x1, y1, width=1):
    """Mask of the pixels Pillow's rectangle outline covers (corners inclusive)."""
    ys, xs = np.mgrid[0:h, 0:w]
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    core = (xs >= x0 + width) & (xs <= x1 - width) & (ys >= y0 + width) & (ys <= y1 - width)
    return inside & ~core, core


@pytest.mark.parametrize("width", [1, 2])
def test_draw_bounding_boxes_outline(width):
    image = ember.zeros(3, 20, 24, dtype=ember.uint8)
    boxes = ember.tensor([[2.0, 3.0, 10.0, 12.0], [12.7, 1.2, 22.9, 18.0]])
    out = draw_bounding_boxes(image, boxes, colors=["red", (0, 0, 255)], width=width)
    assert out.shape == (3, 20, 24) and out.dtype == ember.uint8
    first, _ = _outline(20, 24, 2, 3, 10, 12, width)
    second, _ = _outline(20, 24, 12, 1, 22, 18, width)  # coordinates truncated to integers
    expected = np.zeros((3, 20, 24), dtype=np.uint8)
    expected[0][first] = 255
    expected[2][second] = 255
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not image.numpy().any()  # the input is not drawn on


def test_draw_bounding_boxes_fill_gray_and_float():
    gray = ember.full((1, 16, 16), 50, dtype=ember.uint8)
    out = draw_bounding_boxes(gray, ember.tensor([[4, 4, 11, 11]]), colors="#00FF00", fill=True)
    assert out.shape == (3, 16, 16)  # grayscale is drawn on as RGB
    edge, core = _outline(16, 16, 4, 4, 11, 11)
    pixels = out.numpy()
    np.testing.assert_array_equal(
        pixels[:, edge], np.array([[0], [255], [0]]).repeat(edge.sum(), 1)
    )
    # Fill at alpha 100/255 over the background 50: 50·155/255 + c·100/255.
    blended = np.array([50 * 155 / 255, (50 * 155 + 255 * 100) / 255, 50 * 155 / 255])
    assert np.abs(pixels[:, core] - blended[:, None]).max() <= 1
    assert (pixels[:, ~(edge | core)] == 50).all()

    image = ember.full((3, 8, 8), 0.5)
    out = draw_bounding_boxes(image, ember.tensor([[1, 1, 6, 6]]), colors=(255, 0, 0))
    assert out.dtype == ember.float32
    edge, _ = _outline(8, 8, 1, 1, 6, 6)
    np.testing.assert_allclose(
        out.numpy()[:, edge], np.array([[1.0], [0.0], [0.0]]).repeat(edge.sum(), 1)
    )
    np.testing.assert_allclose(out.numpy()[:, ~edge], 127 / 255)  # 0.5 → uint8 127 → float


def test_draw_bounding_boxes_labels_and_default_colors():
    image = ember.zeros(3, 30, 40, dtype=ember.uint8)
    boxes = ember.tensor([[1, 1, 38, 28], [5, 5, 20, 20]])
    plain = draw_bounding_boxes(image, boxes).numpy()
    # Default palette: box i gets (i·(2²⁵−1, 2¹⁵−1, 2²¹−1)) mod 255, so box 0 is black.
    edge, _ = _outline(30, 40, 5, 5, 20, 20)
    colour = np.array([(2**25 - 1) % 255, (2**15 - 1) % 255, (2**21 - 1) % 255])
    np.testing.assert_array_equal(plain[:, edge], colour[:, None].repeat(edge.sum(), 1))

    labelled = draw_bounding_boxes(image, boxes[1:], labels=["cat"], colors="white").numpy()
    edge, core = _outline(30, 40, 5, 5, 20, 20)
    text = labelled[:, core].any(axis=0)
    assert text.any()  # the label is drawn inside the box, at its top-left corner
    ys, xs = np.nonzero(core)
    assert ys[text].min() >= 7 and xs[text].min() >= 7  # margin = width + 1
    assert not labelled[:, ~(edge | core)].any()

    filled = draw_bounding_boxes(image, boxes[1:], labels=["cat"], colors="white", fill_labels=True)
    assert (filled.numpy()[:, core] == 255).all(axis=0).sum() > text.sum()  # white label box


def test_draw_bounding_boxes_errors():
    image = ember.zeros(3, 10, 10, dtype=ember.uint8)
    box = ember.tensor([[1, 1, 5, 5]])
    with pytest.raises(TypeError, match="Tensor expected"):
        draw_bounding_boxes(np.zeros((3, 10, 10), np.uint8), box)
    with pytest.raises(ValueError, match="The image dtype must be uint8 or float"):
        draw_bounding_boxes(ember.zeros(3, 10, 10, dtype=ember.int64), box)
    with pytest.raises(ValueError, match="Pass individual images, not batches"):
        draw_bounding_boxes(image[None], box)
    with pytest.raises(ValueError, match="Only grayscale and RGB images are supported"):
        draw_bounding_boxes(ember.zeros(4, 10, 10, dtype=ember.uint8), box)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\) format"):
        draw_bounding_boxes(image, ember.tensor([[5, 1, 1, 5]]))
    with pytest.raises(ValueError, match=r"Number of boxes \(1\) and labels \(2\) mismatch"):
        draw_bounding_boxes(image, box, labels=["a", "b"])
    with pytest.raises(ValueError, match="Number of colors must be equal or larger"):
        draw_bounding_boxes(image, ember.tensor([[1, 1, 5, 5], [2, 2, 6, 6]]), colors=["red"])
    with pytest.raises(ValueError, match="RGB triplet"):
        draw_bounding_boxes(image, box, colors=(1, 2))
    with pytest.warns(UserWarning, match="No box was drawn"):
        assert draw_bounding_boxes(image, ember.zeros(0, 4)) is image
    with pytest.warns(UserWarning, match="'font_size' will be ignored"):
        draw_bounding_boxes(image, box, font_size=12)


def test_on_device(device, batch):
    grid = make_grid(ember.from_numpy(batch).to(device), nrow=2, normalize=True, scale_each=True)
    assert grid.device.type == ember.device(device).type
    expected = make_grid(ember.from_numpy(batch), nrow=2, normalize=True, scale_each=True)
    np.testing.assert_allclose(grid.cpu().numpy(), expected.numpy(), rtol=1e-6)

    image = ember.zeros(3, 10, 10, dtype=ember.uint8)
    boxes = ember.tensor([[1, 2, 7, 8]])
    out = draw_bounding_boxes(image.to(device), boxes.to(device), colors="red")
    assert out.device.type == ember.device(device).type
    np.testing.assert_array_equal(
        out.cpu().numpy(), draw_bounding_boxes(image, boxes, colors="red").numpy()
    )
