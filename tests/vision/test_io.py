"""embervision.io: files and bytes, PNG/JPEG round trips against Pillow, read modes, EXIF
orientation, animated images, and clear errors for bad input."""

import io as pyio

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import io
from embervision.io import ImageReadMode


def _tensor(data):
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def _pil_bytes(image, format, **options):
    """Encode a Pillow image with Pillow, independently of embervision."""
    stream = pyio.BytesIO()
    image.save(stream, format=format, **options)
    return stream.getvalue()


def _pil_decode(data):
    """``(C, H, W)`` array of encoded bytes, decoded by Pillow alone."""
    array = np.asarray(Image.open(pyio.BytesIO(bytes(data))))
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


@pytest.fixture
def rgb():
    return np.random.default_rng(0).integers(0, 256, (3, 9, 13), dtype=np.uint8)


@pytest.fixture
def smooth():
    """A smooth RGB image, which JPEG reproduces closely."""
    y, x = np.mgrid[0:32, 0:48]
    return np.stack([4 * x + 20, 6 * y + 10, 2 * (x + y) + 30]).astype(np.uint8)


def _luma(array):
    """Pillow's RGB→L conversion (ITU-R 601-2 luma in 16-bit fixed point)."""
    r, g, b = (array[i].astype(np.int64) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


# ---------------------------------------------------------------------------------------- files


def test_read_write_file(tmp_path):
    payload = bytes(range(256)) * 3
    path = tmp_path / "blob.bin"
    path.write_bytes(payload)
    data = io.read_file(path)
    assert data.dtype == ember.uint8 and data.shape == (768,)
    assert data.numpy().tobytes() == payload

    out = tmp_path / "copy.bin"
    io.write_file(str(out), data)
    assert out.read_bytes() == payload


def test_file_errors(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(RuntimeError, match="Expected a non empty file"):
        io.read_file(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        io.read_file(tmp_path / "missing.png")
    with pytest.raises(RuntimeError, match="Expected a uint8 tensor"):
        io.write_file(tmp_path / "x", ember.zeros(3))
    with pytest.raises(RuntimeError, match="non empty 1-dimensional tensor"):
        io.write_file(tmp_path / "x", ember.zeros(2, 2, dtype=ember.uint8))


# ------------------------------------------------------------------------------------------ PNG


@pytest.mark.parametrize("channels", [1, 3])
def test_png_round_trip_exact(rgb, channels):
    image = ember.from_numpy(np.ascontiguousarray(rgb[:channels]))
    encoded = io.encode_png(image)
    assert encoded.dtype == ember.uint8 and encoded.dim() == 1
    assert encoded.numpy()[:8].tobytes() == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(_pil_decode(encoded.numpy()), rgb[:channels])  # Pillow reads ours
    decoded = io.decode_png(encoded)
    assert decoded.dtype == ember.uint8 and decoded.shape == (channels, 9, 13)
    np.testing.assert_array_equal(decoded.numpy(), rgb[:channels])


def test_decode_png_written_by_pillow(rgb):
    data = _pil_bytes(Image.fromarray(rgb.transpose(1, 2, 0)), "PNG")
    np.testing.assert_array_equal(io.decode_image(_tensor(data)).numpy(), rgb)


def test_png_compression_levels(smooth):
    image = ember.from_numpy(smooth)
    fast, small = io.encode_png(image, compression_level=0), io.encode_png(image, 9)
    assert fast.numel() > small.numel()
    for encoded in (fast, small):
        np.testing.assert_array_equal(io.decode_image(encoded).numpy(), smooth)
    for level in (-1, 10):
        with pytest.raises(RuntimeError, match="Compression level should be between 0 and 9"):
            io.encode_png(image, compression_level=level)


def test_encode_errors():
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8"):
        io.encode_png(ember.zeros(3, 4, 4))
    with pytest.raises(RuntimeError, match="The number of channels should be 1 or 3, got: 5"):
        io.encode_png(ember.zeros(5, 4, 4, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="3-dimensional tensor"):
        io.encode_jpeg(ember.zeros(4, 4, dtype=ember.uint8))
    for quality in (0, 101):
        with pytest.raises(ValueError, match="between 1 and 100"):
            io.encode_jpeg(ember.zeros(3, 4, 4, dtype=ember.uint8), quality=quality)
    with pytest.raises(ValueError, match="at least one input tensor"):
        io.encode_jpeg([])


def test_write_png_read_image(tmp_path, rgb):
    path = tmp_path / "img.png"
    io.write_png(ember.from_numpy(rgb), path, compression_level=1)
    np.testing.assert_array_equal(np.asarray(Image.open(path)).transpose(2, 0, 1), rgb)
    np.testing.assert_array_equal(io.read_image(path).numpy(), rgb)
    np.testing.assert_array_equal(io.decode_image(str(path)).numpy(), rgb)


# ---------------------------------------------------------------------------------------- modes


def test_modes_on_rgba(rgb):
    alpha = np.arange(9 * 13, dtype=np.uint8).reshape(1, 9, 13)
    rgba = np.concatenate([rgb, alpha])
    data = _tensor(_pil_bytes(Image.fromarray(rgba.transpose(1, 2, 0)), "PNG"))

    np.testing.assert_array_equal(io.decode_image(data).numpy(), rgba)
    np.testing.assert_array_equal(io.decode_image(data, ImageReadMode.RGB_ALPHA).numpy(), rgba)
    np.testing.assert_array_equal(io.decode_image(data, ImageReadMode.RGBA).numpy(), rgba)
    np.testing.assert_array_equal(io.decode_image(data, ImageReadMode.RGB).numpy(), rgb)
    np.testing.assert_array_equal(io.decode_image(data, "gray").numpy(), _luma(rgb)[None])
    gray_alpha = io.decode_image(data, "GRAY_ALPHA").numpy()
    np.testing.assert_array_equal(gray_alpha, np.stack([_luma(rgb), alpha[0]]))


def test_modes_on_gray(rgb):
    gray = rgb[0]
    data = _tensor(_pil_bytes(Image.fromarray(gray), "PNG"))
    assert io.decode_image(data).shape == (1, 9, 13)
    np.testing.assert_array_equal(io.decode_image(data, "RGB").numpy(), np.stack([gray] * 3))
    la = io.decode_image(data, ImageReadMode.GRAY_ALPHA).numpy()
    np.testing.assert_array_equal(la, np.stack([gray, np.full_like(gray, 255)]))
    assert io.decode_image(data, "rgb_alpha").shape == (4, 9, 13)


def test_invalid_mode(rgb):
    data = io.encode_png(ember.from_numpy(rgb))
    with pytest.raises(ValueError, match="Invalid mode 'CMYK'"):
        io.decode_image(data, "CMYK")


def test_palette_png():
    indices = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette(palette.ravel().tolist())
    expected = palette[indices].transpose(2, 0, 1)

    opaque = io.decode_image(_tensor(_pil_bytes(image, "PNG")))
    np.testing.assert_array_equal(opaque.numpy(), expected)  # palette expanded to RGB

    transparent = io.decode_image(_tensor(_pil_bytes(image, "PNG", transparency=1)))
    alpha = np.where(indices == 1, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(transparent.numpy(), np.concatenate([expected, alpha[None]]))
    rgb = io.decode_image(_tensor(_pil_bytes(image, "PNG", transparency=1)), "RGB")
    np.testing.assert_array_equal(rgb.numpy(), expected)


def test_16_bit_png():
    values = (np.arange(20, dtype=np.uint16).reshape(4, 5) * 3000 + 7).astype(np.uint16)
    data = _tensor(_pil_bytes(Image.fromarray(values), "PNG"))
    wide = io.decode_png(data)
    assert wide.dtype == ember.int32  # Ember has no uint16
    np.testing.assert_array_equal(wide.numpy(), values[None])
    np.testing.assert_array_equal(io.decode_image(data, "GRAY").numpy(), values[None])
    rgb = io.decode_image(data, "RGB").numpy()
    np.testing.assert_array_equal(rgb, np.stack([values >> 8] * 3).astype(np.uint8))


# ----------------------------------------------------------------------------------------- JPEG


def test_jpeg_round_trip(smooth):
    image = ember.from_numpy(smooth)
    encoded = io.encode_jpeg(image, quality=95)
    assert encoded.numpy()[:2].tobytes() == b"\xff\xd8"
    decoded = io.decode_jpeg(encoded)
    assert decoded.dtype == ember.uint8 and decoded.shape == smooth.shape
    np.testing.assert_array_equal(decoded.numpy(), _pil_decode(encoded.numpy()))
    error = np.abs(decoded.numpy().astype(int) - smooth).mean()
    assert error < 2
    coarse = io.decode_image(io.encode_jpeg(image, quality=5)).numpy()
    assert np.abs(coarse.astype(int) - smooth).mean() > error


def test_jpeg_gray_list_and_files(tmp_path, smooth):
    gray = ember.from_numpy(np.ascontiguousarray(smooth[:1]))
    encoded = io.encode_jpeg([gray, ember.from_numpy(smooth)])
    assert isinstance(encoded, list) and len(encoded) == 2
    decoded = io.decode_jpeg(encoded, device="cpu")
    assert [d.shape for d in decoded] == [(1, 32, 48), (3, 32, 48)]
    assert np.abs(decoded[0].numpy().astype(int) - smooth[:1]).max() <= 8

    path = tmp_path / "img.jpg"
    io.write_jpeg(ember.from_numpy(smooth), path, quality=90)
    from_file = io.read_image(path, mode=ImageReadMode.GRAY)
    assert from_file.shape == (1, 32, 48)
    expected = np.asarray(Image.open(path).convert("L"))[None]
    np.testing.assert_array_equal(from_file.numpy(), expected)


def test_decode_jpeg_of_jpeg_written_by_pillow(smooth):
    data = _pil_bytes(Image.fromarray(smooth.transpose(1, 2, 0)), "JPEG", quality=90)
    np.testing.assert_array_equal(io.decode_jpeg(_tensor(data)).numpy(), _pil_decode(data))


# ------------------------------------------------------------------------- EXIF and animations


@pytest.mark.parametrize(("orientation", "rotate"), [(1, 0), (3, 2), (6, -1), (8, 1)])
def test_exif_orientation(rgb, orientation, rotate):
    exif = Image.Exif()
    exif[0x0112] = orientation  # the Orientation tag
    data = _tensor(_pil_bytes(Image.fromarray(rgb.transpose(1, 2, 0)), "PNG", exif=exif))
    np.testing.assert_array_equal(io.decode_image(data).numpy(), rgb)  # ignored by default
    upright = io.decode_image(data, apply_exif_orientation=True).numpy()
    # 3: rotated 180°, 6: needs 90° clockwise, 8: needs 90° counter-clockwise.
    np.testing.assert_array_equal(upright, np.rot90(rgb, k=rotate, axes=(1, 2)))


def test_animated_gif():
    colours = np.array([[255, 0, 0], [0, 0, 255], [0, 255, 0]], dtype=np.uint8)
    frames = [Image.fromarray(np.broadcast_to(c, (4, 6, 3)).copy()) for c in colours]
    data = _tensor(_pil_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:]))
    video = io.decode_image(data)
    assert video.shape == (3, 3, 4, 6)
    np.testing.assert_array_equal(
        video.numpy(), np.broadcast_to(colours[:, :, None, None], (3, 3, 4, 6))
    )
    assert io.decode_image(data, "GRAY").shape == (3, 1, 4, 6)

    still = _tensor(_pil_bytes(frames[1], "GIF"))
    assert io.decode_image(still).shape == (3, 4, 6)


# --------------------------------------------------------------------------------------- errors


def test_garbage_and_truncated_data(tmp_path, smooth):
    with pytest.raises(RuntimeError, match="Unsupported image file: the data is not an image"):
        io.decode_image(_tensor(b"definitely not an image"))

    png = io.encode_png(ember.from_numpy(smooth), compression_level=0)
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        io.decode_image(png[: png.numel() // 2])
    jpeg = io.encode_jpeg(ember.from_numpy(smooth))
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        io.decode_jpeg(jpeg[:300])
    with pytest.raises(RuntimeError, match="the data is not a PNG image"):
        io.decode_png(jpeg)
    with pytest.raises(RuntimeError, match="the data is not a JPEG image"):
        io.decode_jpeg(png)

    path = tmp_path / "broken.png"
    io.write_file(path, png[:100])
    with pytest.raises(RuntimeError, match=r"broken\.png"):
        io.read_image(path)


def test_bad_input_tensors():
    with pytest.raises(RuntimeError, match="Expected a uint8 tensor"):
        io.decode_image(ember.zeros(10))
    with pytest.raises(RuntimeError, match="non empty 1-dimensional tensor"):
        io.decode_image(ember.zeros(2, 5, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="non empty 1-dimensional tensor"):
        io.decode_image(ember.zeros(0, dtype=ember.uint8))
    with pytest.raises(TypeError, match="Expected a Tensor"):
        io.decode_image(b"\x89PNG")


def test_device_tensors(device, rgb):
    image = ember.from_numpy(rgb).to(device)
    encoded = io.encode_png(image)
    np.testing.assert_array_equal(io.decode_image(encoded.to(device)).numpy(), rgb)
    decoded = io.decode_jpeg(io.encode_jpeg(image), device=device)
    assert decoded.device.type == ember.device(device).type and decoded.shape == rgb.shape
