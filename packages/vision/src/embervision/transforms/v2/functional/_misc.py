"""Normalisation, blur, noise, dtype conversion, erasing, JPEG round trips, temporal
subsampling, and the sanitising of boxes and keypoints."""

from __future__ import annotations

import io
import warnings

from PIL import Image as PILImage

import ember
from ember import Tensor

from .... import tv_tensors
from ....io import decode_jpeg, encode_jpeg
from ....tv_tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints
from ... import _functional_tensor as _F_t
from ... import functional as _F
from ._meta import _convert_bounding_box_format, _parse_format
from ._utils import (
    _dispatch,
    _kernel_alias,
    _register_image_kernels,
    _register_kernel_internal,
    is_pure_tensor,
)

__all__ = [
    "normalize",
    "normalize_image",
    "normalize_video",
    "gaussian_blur",
    "gaussian_blur_image",
    "gaussian_blur_video",
    "gaussian_noise",
    "gaussian_noise_image",
    "gaussian_noise_video",
    "to_dtype",
    "to_dtype_image",
    "to_dtype_video",
    "convert_image_dtype",
    "erase",
    "erase_image",
    "erase_video",
    "jpeg",
    "jpeg_image",
    "jpeg_video",
    "uniform_temporal_subsample",
    "uniform_temporal_subsample_video",
    "to_tensor",
    "sanitize_bounding_boxes",
    "sanitize_keypoints",
]

# bits that hold the value of each integer dtype (the sign bit left out)
_NUM_VALUE_BITS = {ember.uint8: 8, ember.int8: 7, ember.int16: 15, ember.int32: 31, ember.int64: 63}


def _num_value_bits(dtype):
    if dtype not in _NUM_VALUE_BITS:
        raise TypeError(
            f"Number of value bits is only defined for integer dtypes, but got {dtype}."
        )
    return _NUM_VALUE_BITS[dtype]


def normalize(inpt, mean, std, inplace=False):
    """``(inpt - mean) / std`` per channel of a float image or video."""
    return _dispatch(normalize, inpt, mean, std, inplace)


normalize_image = _kernel_alias(_F.normalize, "normalize_image", "image")
normalize_video = _register_image_kernels(normalize, normalize_image)


def gaussian_blur(inpt, kernel_size, sigma=None):
    """Blur with a Gaussian kernel; borders reflect.

    Args:
        inpt: image or video (tensor or PIL).
        kernel_size: odd positive int, or ``[kx, ky]``.
        sigma: float or ``[sx, sy]``; default ``0.15 * k + 0.35`` for each kernel size ``k``.
    """
    return _dispatch(gaussian_blur, inpt, kernel_size, sigma)


gaussian_blur_image = _kernel_alias(_F.gaussian_blur, "gaussian_blur_image", "image")
gaussian_blur_video = _register_image_kernels(gaussian_blur, gaussian_blur_image, _F.gaussian_blur)


def gaussian_noise(inpt, mean=0.0, sigma=0.1, clip=True):
    """Add Gaussian noise (see ``GaussianNoise``)."""
    return _dispatch(gaussian_noise, inpt, mean, sigma, clip)


def gaussian_noise_image(image, mean=0.0, sigma=0.1, clip=True):
    """``image + mean + sigma * N(0, 1)``, independently per element, on the [0, 1] scale
    (a uint8 image gets ``255 * (mean + sigma * N(0, 1))``, truncated); clipped to the dtype's
    range with ``clip``."""
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if image.is_floating_point():
        output = image + (mean + ember.randn_like(image) * sigma)
        return output.clamp(0, 1) if clip else output
    if image.dtype == ember.uint8:
        # int16 holds every sum of a uint8 value and a truncated noise value
        noise = mean * 255 + ember.randn_like(image, dtype=ember.float32) * (sigma * 255)
        output = image + noise.to(ember.int16)
        if clip:
            output = output.clamp(0, 255)
        return output.to(ember.uint8)
    raise ValueError(
        f"Input tensor is expected to be in uint8 or float dtype, got dtype={image.dtype}"
    )


def _gaussian_noise_pil(image, mean=0.0, sigma=0.1, clip=True):
    raise ValueError("Gaussian Noise is not implemented for PIL images.")


gaussian_noise_video = _register_image_kernels(
    gaussian_noise, gaussian_noise_image, _gaussian_noise_pil
)


def to_dtype(inpt, dtype=ember.float32, scale=False):
    """Convert to ``dtype``; with ``scale``, images and videos are also rescaled to the value
    range of the new dtype ([0, 1] for floats, [0, max] for integers).

    Masks, bounding boxes and keypoints are only cast, never scaled.
    """
    return _dispatch(to_dtype, inpt, dtype, scale)


def to_dtype_image(image, dtype=ember.float32, scale=False):
    """``image`` as ``dtype``, with ``scale`` rescaled to its value range."""
    if not scale:
        return image.to(dtype)
    return _F_t.convert_image_dtype(image, dtype)


to_dtype_video = _register_image_kernels(to_dtype, to_dtype_image)


@_register_kernel_internal(to_dtype, tv_tensors.Mask, BoundingBoxes, KeyPoints)
def _to_dtype_tensor(tensor, dtype):
    return tensor.to(dtype)


def convert_image_dtype(image, dtype=ember.float32):
    """``to_dtype_image(image, dtype, scale=True)`` (deprecated in torchvision)."""
    return to_dtype_image(image, dtype=dtype, scale=True)


def erase(inpt, i, j, h, w, v, inplace=False):
    """Overwrite the ``h`` x ``w`` box at ``(i, j)`` with ``v``."""
    return _dispatch(erase, inpt, i, j, h, w, v, inplace)


def _erase_image_pil(image, i, j, h, w, v, inplace=False):
    output = _F.erase(_F.pil_to_tensor(image), i, j, h, w, v, inplace=inplace)
    return _F.to_pil_image(output, mode=image.mode)


erase_image = _kernel_alias(_F.erase, "erase_image", "image")
erase_video = _register_image_kernels(erase, erase_image, _erase_image_pil)


def jpeg(image, quality):
    """Compress to JPEG at ``quality`` (1 to 100) and decode again (see ``JPEG``)."""
    return _dispatch(jpeg, image, quality)


def jpeg_image(image, quality):
    """The JPEG round trip of each uint8 image ``[..., 1 or 3, H, W]``, through Pillow (one
    encoding per image: the codec takes them one at a time)."""
    shape = image.shape
    images = image.reshape((-1,) + tuple(shape[-3:]))
    if images.shape[0] == 0:
        return image.clone()
    decoded = decode_jpeg(encode_jpeg(list(images.unbind(0)), quality=quality))
    return ember.stack(decoded).to(image.device).reshape(shape)


def _jpeg_image_pil(image, quality):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    # a plain Image, not the JpegImageFile that open returns
    return PILImage.open(buffer).copy()


jpeg_video = _register_image_kernels(jpeg, jpeg_image, _jpeg_image_pil)


def uniform_temporal_subsample(inpt, num_samples):
    """``num_samples`` frames evenly spaced over the time dim of a video ``[..., T, C, H, W]``
    (see ``UniformTemporalSubsample``)."""
    return _dispatch(uniform_temporal_subsample, inpt, num_samples)


@_register_kernel_internal(uniform_temporal_subsample, Tensor, tv_tensors.Video)
def uniform_temporal_subsample_video(video, num_samples):
    """The frames at ``linspace(0, T - 1, num_samples)``, truncated (repeated when
    ``num_samples > T``)."""
    t_max = video.shape[-4] - 1
    indices = ember.linspace(0, t_max, num_samples, device=video.device).long()
    return video.index_select(-4, indices)


def to_tensor(inpt):
    """v1's ``to_tensor`` (deprecated in torchvision: use ``to_image`` then ``to_dtype``)."""
    warnings.warn(
        "The function `to_tensor(...)` is deprecated and will be removed in a future release. "
        "Instead, please use `to_image(...)` followed by `to_dtype(..., dtype=torch.float32, "
        "scale=True)`.",
        stacklevel=2,
    )
    return _F.to_tensor(inpt)


def _get_sanitize_bounding_boxes_mask(
    bounding_boxes, format, canvas_size, min_size=1.0, min_area=1.0
):
    boxes = _convert_bounding_box_format(bounding_boxes, format, BoundingBoxFormat.XYXY)
    image_h, image_w = canvas_size
    ws = boxes[:, 2] - boxes[:, 0]
    hs = boxes[:, 3] - boxes[:, 1]
    valid = (ws >= min_size) & (hs >= min_size) & (boxes >= 0).all(dim=-1)
    valid = valid & (ws * hs >= min_area)
    valid = valid & (boxes[:, 0] <= image_w) & (boxes[:, 2] <= image_w)
    return valid & (boxes[:, 1] <= image_h) & (boxes[:, 3] <= image_h)


def sanitize_bounding_boxes(
    bounding_boxes, format=None, canvas_size=None, min_size=1.0, min_area=1.0
):
    """Remove degenerate or invalid boxes (see ``SanitizeBoundingBoxes``).

    Args:
        bounding_boxes: ``BoundingBoxes``, or a plain tensor with ``format`` and
            ``canvas_size``.
        format, canvas_size: of a plain tensor; must be None for ``BoundingBoxes``.
        min_size: smallest width and height a box may have. Default 1.
        min_area: smallest area a box may have. Default 1.

    Returns:
        ``(boxes, valid)``: the boxes kept and the boolean mask that selected them.
    """
    if is_pure_tensor(bounding_boxes):
        if format is None or canvas_size is None:
            raise ValueError(
                "format and canvas_size cannot be None if bounding_boxes is a pure tensor. "
                f"Got format={format} and canvas_size={canvas_size}. Set those to appropriate "
                "values or consider passing bounding_boxes as a tv_tensors.BoundingBoxes object."
            )
        format = _parse_format(format)
        valid = _get_sanitize_bounding_boxes_mask(
            bounding_boxes, format, canvas_size, min_size, min_area
        )
        return bounding_boxes[valid], valid
    if not isinstance(bounding_boxes, BoundingBoxes):
        raise ValueError(
            "bounding_boxes must be a tv_tensors.BoundingBoxes instance or a pure tensor."
        )
    if format is not None or canvas_size is not None:
        raise ValueError(
            "format and canvas_size must be None when bounding_boxes is a tv_tensors."
            f"BoundingBoxes instance. Got format={format} and canvas_size={canvas_size}. Leave "
            "those to None or pass bounding_boxes as a pure tensor."
        )
    valid = _get_sanitize_bounding_boxes_mask(
        bounding_boxes, bounding_boxes.format, bounding_boxes.canvas_size, min_size, min_area
    )
    return tv_tensors.wrap(bounding_boxes[valid], like=bounding_boxes), valid


def _get_sanitize_keypoints_mask(key_points, canvas_size):
    """Which points (or groups of points, along the first dim) lie inside the canvas."""
    height, width = canvas_size
    x, y = key_points[..., 0], key_points[..., 1]
    valid = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    return valid.flatten(start_dim=1).all(dim=1) if valid.ndim > 1 else valid


def sanitize_keypoints(key_points, canvas_size=None):
    """Remove the keypoints outside their canvas (see ``SanitizeKeyPoints``); a group of
    points ``[N, ..., 2]`` is removed whole when one of its points is outside.

    Args:
        key_points: ``KeyPoints``, or a plain tensor with ``canvas_size``.
        canvas_size: ``(height, width)`` of a plain tensor; must be None for ``KeyPoints``.

    Returns:
        ``(key_points, valid)``: the points kept and the boolean mask that selected them.
    """
    if is_pure_tensor(key_points):
        if canvas_size is None:
            raise ValueError(
                "canvas_size cannot be None if key_points is a pure tensor. Set it to an "
                "appropriate value or pass key_points as a tv_tensors.KeyPoints object."
            )
        valid = _get_sanitize_keypoints_mask(key_points, canvas_size)
        return key_points[valid], valid
    if not isinstance(key_points, KeyPoints):
        raise ValueError("key_points must be a tv_tensors.KeyPoints instance or a pure tensor.")
    if canvas_size is not None:
        raise ValueError(
            "canvas_size must be None when key_points is a tv_tensors.KeyPoints instance. Got "
            f"canvas_size={canvas_size}. Leave it to None or pass key_points as a pure tensor."
        )
    valid = _get_sanitize_keypoints_mask(key_points, key_points.canvas_size)
    return tv_tensors.wrap(key_points[valid], like=key_points), valid
