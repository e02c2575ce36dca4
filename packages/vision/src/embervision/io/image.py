"""Read, decode, encode and write images as uint8 ``(C, H, W)`` tensors (``torchvision.io``).

Pillow does the decoding and encoding, so every format Pillow reads can be decoded (torchvision
reads JPEG, PNG, GIF and WebP, and AVIF and HEIC with an optional package; here AVIF needs a
Pillow built with libavif, or the pillow-avif-plugin package, and HEIC the pillow-heif package).
torchvision deprecated these functions in 0.29 in favour of TorchCodec; Ember keeps them,
without the warning.

Ember has no uint16 dtype: 16-bit grayscale images decoded with ``UNCHANGED`` or ``GRAY``
come back as int32 tensors holding 0…65535 (torchvision returns uint16), and are reduced to
8 bits (``value >> 8``) for the other modes.
"""

from __future__ import annotations

import importlib
import io
import os
from enum import Enum

import numpy as np
from PIL import Image, ImageOps, ImageSequence

import ember

__all__ = [
    "ImageReadMode",
    "read_file",
    "write_file",
    "decode_image",
    "read_image",
    "decode_png",
    "decode_jpeg",
    "decode_gif",
    "decode_webp",
    "decode_avif",
    "decode_heic",
    "encode_png",
    "write_png",
    "encode_jpeg",
    "write_jpeg",
]


class ImageReadMode(Enum):
    """Colour mode to decode to. Strings such as ``"RGB"`` or ``"gray"`` work as well.

    ``UNCHANGED`` keeps the file's channels (palette images become RGB, or RGBA when they
    have transparency), ``GRAY`` gives 1 channel, ``GRAY_ALPHA`` 2, ``RGB`` 3 and
    ``RGB_ALPHA`` (alias ``RGBA``) 4.
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # alias of RGB_ALPHA, as in torchvision


# The Pillow mode each explicit read mode converts to.
_PIL_MODES = {
    ImageReadMode.GRAY: "L",
    ImageReadMode.GRAY_ALPHA: "LA",
    ImageReadMode.RGB: "RGB",
    ImageReadMode.RGB_ALPHA: "RGBA",
}
# Pillow's modes for 16- and 32-bit integer grayscale images (16-bit PNGs open as "I;16").
_WIDE_GRAY = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


def _normalize_mode(mode):
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str):
        try:
            return ImageReadMode[mode.upper()]
        except KeyError:
            pass
    valid = ", ".join(repr(name) for name in ImageReadMode.__members__)
    raise ValueError(f"Invalid mode {mode!r}. Supported modes are {valid} (case-insensitive).")


def _host_array(tensor):
    """The tensor's values as a numpy array on the host."""
    return tensor.detach().cpu().numpy()


def read_file(path):
    """Read the bytes of a file into a 1-D uint8 tensor.

    Args:
        path (str or os.PathLike): the file to read.

    Returns:
        Tensor: the file's content, dtype uint8.
    """
    data = np.fromfile(os.fspath(path), dtype=np.uint8)
    if data.size == 0:
        raise RuntimeError(f"Expected a non empty file: '{os.fspath(path)}'")
    return ember.from_numpy(data)


def write_file(filename, data):
    """Write the bytes of a 1-D uint8 tensor to a file.

    Args:
        filename (str or os.PathLike): the file to write.
        data (Tensor): the content, 1-D, dtype uint8.
    """
    _check_bytes(data)
    with open(filename, "wb") as f:
        f.write(_host_array(data).tobytes())


def _check_bytes(data):
    if not isinstance(data, ember.Tensor):
        raise TypeError(f"Expected a Tensor of encoded bytes, got {type(data).__name__}")
    if data.dtype != ember.uint8:
        raise RuntimeError(f"Expected a uint8 tensor, got {data.dtype}")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError(
            f"Expected a non empty 1-dimensional tensor, got shape {tuple(data.shape)}"
        )


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode an image into a uint8 ``(C, H, W)`` tensor.

    Animated images (GIF, WebP, APNG) with several frames give ``(N, C, H, W)``.

    Args:
        input (Tensor or str or os.PathLike): the encoded bytes as a 1-D uint8 tensor, or
            the path of an image file.
        mode (str or ImageReadMode): colour mode to convert to. Default: ``UNCHANGED``.
        apply_exif_orientation (bool): rotate/flip as the EXIF Orientation tag says.

    Returns:
        Tensor: the pixels, dtype uint8 (int32 for 16-bit grayscale, see the module notes).

    Raises:
        RuntimeError: the bytes are not an image Pillow can decode, or are truncated.
    """
    return _decode(input, mode, apply_exif_orientation, formats=None)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read an image file into a uint8 ``(C, H, W)`` tensor; the same as :func:`decode_image`
    on a path (torchvision marks it obsolete in favour of ``decode_image``)."""
    return _decode(path, mode, apply_exif_orientation, formats=None)


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode PNG bytes (a 1-D uint8 tensor) into a ``(C, H, W)`` tensor; arguments as
    :func:`decode_image`. Other formats raise ``RuntimeError``."""
    return _decode(input, mode, apply_exif_orientation, formats=("PNG",))


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Decode JPEG bytes into a uint8 ``(C, H, W)`` tensor on ``device``.

    Args:
        input (Tensor or list[Tensor]): 1-D uint8 tensor(s) of JPEG bytes; a list gives a
            list of images.
        mode, apply_exif_orientation: as in :func:`decode_image`.
        device (str or ember.device): where to put the result (decoding runs on the CPU).
    """
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(x, mode, device, apply_exif_orientation) for x in input]
    image = _decode(input, mode, apply_exif_orientation, formats=("JPEG",))
    return image.to(device)


def _decode(input, mode, apply_exif_orientation, formats, single=None):
    """``input`` (bytes or a path) decoded by Pillow, restricted to ``formats`` where given; a
    file of several frames raises ``RuntimeError(single)`` where ``single`` is given."""
    mode = _normalize_mode(mode)
    if isinstance(input, (str, os.PathLike)):
        source = f" '{os.fspath(input)}'"
        input = read_file(input)
    else:
        source = ""
        _check_bytes(input)
    expected = f"a {formats[0]} image" if formats else "an image in a format Pillow reads"
    try:
        with Image.open(io.BytesIO(_host_array(input).tobytes()), formats=formats) as image:
            frames = _frames(image)
            if apply_exif_orientation:
                frames = [ImageOps.exif_transpose(frame) for frame in frames]
            # One target for all frames: later GIF frames load as RGB(A), the first as P.
            target = _PIL_MODES.get(mode) or _unchanged_mode(frames[0])
            arrays = [_frame_array(frame, mode, target) for frame in frames]
    except Image.UnidentifiedImageError as e:
        raise RuntimeError(f"Unsupported image file{source}: the data is not {expected}") from e
    except Image.DecompressionBombError:
        raise  # a valid image over Pillow's pixel limit: its own message says so
    except Exception as e:
        # Truncated or corrupt data: Pillow raises OSError, EOFError, SyntaxError, ValueError
        # or struct.error depending on the format and where the damage is.
        raise RuntimeError(
            f"Could not decode image{source}, the data is corrupt or truncated: "
            f"{type(e).__name__}: {e}"
        ) from e
    if single is not None and len(arrays) > 1:
        raise RuntimeError(single)
    array = arrays[0] if len(arrays) == 1 else np.stack(arrays)
    return ember.from_numpy(np.ascontiguousarray(array))


def decode_gif(input):
    """Decode a GIF image into a 3 or 4 dimensional RGB Tensor.

    The values of the output tensor are uint8 between 0 and 255. The output tensor has shape
    ``(C, H, W)`` if there is only one image in the GIF, and ``(N, C, H, W)`` if there are
    ``N`` images. As in torchvision, pixels that no frame covers (transparent ones) take the
    global palette's background colour (black without a global palette). Frames are composed
    as Pillow does (by the previous frame's disposal method, as the GIF standard says), where
    torchvision's decoder looks at each frame's own.

    Args:
        input (Tensor[1]): a one dimensional contiguous uint8 tensor containing the raw bytes
            of the GIF image.

    Returns:
        output (Tensor[image_channels, image_height, image_width] or Tensor[num_images,
        image_channels, image_height, image_width])
    """
    _check_bytes(input)
    rgba = _decode(input, ImageReadMode.RGB_ALPHA, False, formats=("GIF",))
    with Image.open(io.BytesIO(_host_array(input).tobytes()), formats=("GIF",)) as image:
        background = _gif_background(image)
    rgb, alpha = rgba[..., :3, :, :], rgba[..., 3:, :, :]
    fill = ember.tensor(background, dtype=ember.uint8).reshape(3, 1, 1)
    return ember.where(alpha == 0, fill, rgb).contiguous()


def _gif_background(image):
    """The GIF's background colour: its global palette's entry at the background index, black
    without a global palette."""
    index = image.info.get("background")  # Pillow sets it only with a global palette
    if index is None:
        return (0, 0, 0)
    palette = getattr(image, "global_palette", None)
    if palette is None:  # the grey ramp (i, i, i), which Pillow drops (the image reads as L)
        return (index,) * 3
    colour = tuple(palette.palette[3 * index : 3 * index + 3])
    return colour if len(colour) == 3 else (0, 0, 0)


def _rgb_mode(mode):
    """The read mode of torchvision's WebP, AVIF and HEIC decoders: ``RGB`` or ``RGB_ALPHA``
    as asked, any other mode as ``UNCHANGED`` (RGB, or RGBA for an image with alpha)."""
    mode = _normalize_mode(mode)
    if mode in (ImageReadMode.RGB, ImageReadMode.RGB_ALPHA):
        return mode
    return ImageReadMode.UNCHANGED


def decode_webp(input, mode=ImageReadMode.UNCHANGED):
    """Decode a WEBP image into a 3 dimensional RGB[A] Tensor.

    The values of the output tensor are uint8 between 0 and 255.

    Args:
        input (Tensor[1]): a one dimensional contiguous uint8 tensor containing the raw bytes
            of the WEBP image.
        mode (str or ImageReadMode): The mode to convert the image to, e.g. "RGB". Default is
            "UNCHANGED": RGB, or RGBA for an image with alpha; the grayscale modes read as
            "UNCHANGED", as in torchvision.

    Returns:
        Decoded image (Tensor[image_channels, image_height, image_width])

    Raises:
        RuntimeError: for animated WebP files, which torchvision does not decode either.
    """
    _check_bytes(input)
    return _decode(
        input,
        _rgb_mode(mode),
        False,
        formats=("WEBP",),
        single="Animated webp files are not supported.",
    )


# The Pillow plugins that add a format Pillow may lack: (module, pip package, the function that
# registers its opener, or None where importing it does).
_EXTRA_DECODERS = {
    "AVIF": ("pillow_avif", "pillow-avif-plugin", None),
    "HEIF": ("pillow_heif", "pillow-heif", "register_heif_opener"),
}


def _decode_extra(input, mode, format, name):
    """AVIF or HEIC bytes decoded through Pillow, with the plugin for ``format`` loaded where
    Pillow lacks it, or torchvision's ``RuntimeError`` where neither is installed."""
    Image.init()
    if format not in Image.OPEN:
        module, package, register = _EXTRA_DECODERS[format]
        try:
            plugin = importlib.import_module(module)
        except ImportError as e:
            raise RuntimeError(
                f"In order to enable the {name} decoding capabilities of embervision, you "
                f"need to `pip install {package}`. Just install the package, you don't need "
                "to update your code."
            ) from e
        if register is not None:
            getattr(plugin, register)()
    _check_bytes(input)
    return _decode(
        input,
        _rgb_mode(mode),
        False,
        formats=(format,),
        single=f"{name.capitalize()} file contains more than one image",
    )


def decode_avif(input, mode=ImageReadMode.UNCHANGED):
    """Decode an AVIF image into a 3 dimensional RGB[A] Tensor.

    Needs a Pillow that reads AVIF (Pillow 11.2 or later built with libavif) or the
    pillow-avif-plugin package. The values are uint8 in [0, 255]: images of more than 8 bits
    are reduced to 8 (torchvision returns uint16 for them).

    Args:
        input (Tensor[1]): a one dimensional contiguous uint8 tensor containing the raw bytes
            of the AVIF image.
        mode (str or ImageReadMode): The mode to convert the image to, e.g. "RGB". Default is
            "UNCHANGED"; see :func:`decode_webp`.

    Returns:
        Decoded image (Tensor[image_channels, image_height, image_width])
    """
    return _decode_extra(input, mode, "AVIF", "AVIF")


def decode_heic(input, mode=ImageReadMode.UNCHANGED):
    """Decode an HEIC image into a 3 dimensional RGB[A] Tensor.

    Needs the pillow-heif package (``RuntimeError`` without it, as torchvision without
    torchvision-extra-decoders). The values are uint8 in [0, 255].

    Args:
        input (Tensor[1]): a one dimensional contiguous uint8 tensor containing the raw bytes
            of the HEIC image.
        mode (str or ImageReadMode): The mode to convert the image to, e.g. "RGB". Default is
            "UNCHANGED"; see :func:`decode_webp`.

    Returns:
        Decoded image (Tensor[image_channels, image_height, image_width])
    """
    return _decode_extra(input, mode, "HEIF", "HEIC")


def _frames(image):
    """The loaded frames of an animated image (GIF, WebP, APNG), else the image alone.

    The extra pictures of an MPO (a JPEG from a stereo or multi-shot camera) are not
    frames: like torchvision, only the primary image is decoded.
    """
    if image.format == "MPO" or getattr(image, "n_frames", 1) == 1:
        image.load()
        return [image]
    return [frame.copy() for frame in ImageSequence.Iterator(image)]


def _frame_array(image, mode, target):
    """One frame as a ``(C, H, W)`` array, converted to the Pillow mode ``target``."""
    if image.mode in _WIDE_GRAY:
        wide = np.asarray(image).astype(np.int32)
        if mode in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY):
            return wide[None]
        image = Image.fromarray(np.clip(wide >> 8, 0, 255).astype(np.uint8))
    if image.mode == "P" and "transparency" in image.info:
        # Through RGBA: Pillow warns on a palette with per-entry alpha converted straight
        # to L or RGB; dropping the alpha channel afterwards gives the same pixels.
        image = image.convert("RGBA")
    if image.mode != target:
        image = image.convert(target)
    array = np.asarray(image)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def _unchanged_mode(image):
    """The 8-bit Pillow mode that keeps the file's channels."""
    if image.mode in _WIDE_GRAY or image.mode in ("1", "L", "F"):
        return "L"
    if image.mode in ("LA", "La"):
        return "LA"
    if image.mode in ("RGBA", "RGBa", "PA") or (image.mode == "P" and "transparency" in image.info):
        return "RGBA"
    return "RGB"


def _image_array(input):
    """A ``(C, H, W)`` uint8 tensor with 1 or 3 channels as an ``(H, W[, C])`` array."""
    if not isinstance(input, ember.Tensor):
        raise TypeError(f"Expected a Tensor image, got {type(input).__name__}")
    if input.dtype != ember.uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if input.dim() != 3:
        raise RuntimeError(
            f"Input data should be a 3-dimensional tensor, got shape {tuple(input.shape)}"
        )
    channels = input.shape[0]
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    array = _host_array(input).transpose(1, 2, 0)
    return np.ascontiguousarray(array[:, :, 0] if channels == 1 else array)


def _encode(array, format, **options):
    stream = io.BytesIO()
    Image.fromarray(array).save(stream, format=format, **options)
    return ember.from_numpy(np.frombuffer(stream.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    """Encode a uint8 ``(C, H, W)`` image (C = 1 or 3) as PNG.

    Args:
        input (Tensor): the image.
        compression_level (int): zlib level, 0 (none) to 9 (smallest). Default: 6.

    Returns:
        Tensor: the PNG file's bytes, 1-D uint8.
    """
    if not 0 <= compression_level <= 9:
        raise RuntimeError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_image_array(input), "PNG", compress_level=compression_level)


def write_png(input, filename, compression_level=6):
    """Encode a uint8 ``(C, H, W)`` image as PNG and write it to ``filename``."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    """Encode a uint8 ``(C, H, W)`` image (C = 1 or 3), or a list of them, as JPEG.

    Args:
        input (Tensor or list[Tensor]): the image(s).
        quality (int): 1 (worst) to 100 (best). Default: 75.

    Returns:
        Tensor or list[Tensor]: the JPEG file's bytes, 1-D uint8, one per image.
    """
    if not 1 <= quality <= 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is passed")
        return [encode_jpeg(image, quality) for image in input]
    return _encode(_image_array(input), "JPEG", quality=quality)


def write_jpeg(input, filename, quality=75):
    """Encode a uint8 ``(C, H, W)`` image as JPEG and write it to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))
