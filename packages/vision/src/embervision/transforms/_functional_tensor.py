"""The tensor side of ``embervision.transforms.functional``: image operations on ember tensors
of shape ``(..., C, H, W)`` (or ``(H, W)``), written with ember operations so that they run on
any device, vectorised over every leading (batch) dim.

Small constant tables (resampling weights, sampling grids, blur kernels) are computed with
numpy and moved to the image's device. Integer images are processed in float32 and rounded
back, as torchvision does.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import Tensor
from ember.nn.functional import conv2d, grid_sample, interpolate
from ember.nn.functional import pad as torch_pad

# largest value of each integer image dtype (a float image spans [0, 1])
_MAX_VALUES = {
    ember.uint8: 255,
    ember.int8: 127,
    ember.int16: 32767,
    ember.int32: 2147483647,
    ember.int64: 9223372036854775807,
}

_FLOAT_DTYPES = (ember.float32, ember.float64)


def _is_tensor_a_torch_image(x):
    return x.ndim >= 2


def _assert_image_tensor(img):
    if not _is_tensor_a_torch_image(img):
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    """``[channels, height, width]``; a 2-d image has one channel."""
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    height, width = img.shape[-2:]
    return [channels, height, width]


def get_image_size(img):
    """``[width, height]``."""
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def _max_value(dtype):
    return _MAX_VALUES.get(dtype, 1)


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(
            f"Input image tensor permitted channel values are {permitted}, but found {c}"
        )


def _assert_3d(img):
    if img.ndim < 3:
        raise TypeError(
            f"Input image tensor should have at least 3 dimensions, but found {img.ndim}"
        )


def _cast_squeeze_in(img, req_dtypes):
    """``img`` as a batch ``(N, C, H, W)`` of one of ``req_dtypes``, plus what
    ``_cast_squeeze_out`` needs to give the result the input's leading dims and dtype."""
    if img.ndim >= 3:
        batch = img.reshape((-1,) + tuple(img.shape[-3:]))
    else:
        batch = img.reshape((1, 1) + tuple(img.shape))
    if img.dtype not in req_dtypes:
        batch = batch.to(req_dtypes[0])
    return batch, tuple(img.shape[:-2]), img.dtype


def _cast_squeeze_out(batch, lead, out_dtype):
    img = batch.reshape(lead + tuple(batch.shape[-2:]))
    if img.dtype != out_dtype:
        if not out_dtype.is_floating_point:
            img = img.round()  # round, don't truncate, back to integers
        img = img.to(out_dtype)
    return img


def _constant(array, like):
    """A numpy table as a tensor in ``like``'s (floating) dtype and on its device."""
    return ember.tensor(array, dtype=like.dtype, device=like.device)


# ------------------------------------------------------------------------------ conversions


def convert_image_dtype(image, dtype=ember.float32):
    """Convert to ``dtype`` and rescale: floats span [0, 1], integers [0, max of the dtype]."""
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
            image.dtype == ember.float64 and dtype == ember.int64
        ):
            raise RuntimeError(
                f"The cast from {image.dtype} to {dtype} cannot be performed safely."
            )
        # scaling by max + 1 - eps maps [0, 1] onto evenly sized bins of integers; by max alone,
        # only exactly 1.0 would reach the top value
        eps = 1e-3
        return image.mul(_max_value(dtype) + 1.0 - eps).to(dtype)
    input_max = _max_value(image.dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / float(input_max)
    output_max = _max_value(dtype)
    if input_max > output_max:
        factor = (input_max + 1) // (output_max + 1)
        return image.div(factor, rounding_mode="floor").to(dtype)
    factor = (output_max + 1) // (input_max + 1)
    return image.to(dtype) * factor


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor."""
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
            f"{tensor.size()}"
        )
    if not inplace:
        tensor = tensor.clone()
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(
            f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero."
        )
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def erase(img, i, j, h, w, v, inplace=False):
    """Overwrite the box of height ``h`` and width ``w`` at ``(i, j)`` with ``v``."""
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    if isinstance(v, Tensor):
        v = v.to(img.device)  # get_params draws its noise on the CPU
    img[..., i : i + h, j : j + w] = v
    return img


# ------------------------------------------------------------------------------- geometry


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top, left, height, width):
    """The box at ``(top, left)``; the parts outside the image are zeros."""
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right = left + width
    bottom = top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        return pad(img[..., max(top, 0) : bottom, max(left, 0) : right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_pad_padding(padding):
    """torchvision's padding (int, [all], [left/right, top/bottom] or [l, t, r, b]) as
    ``F.pad``'s ``[left, right, top, bottom]``."""
    if isinstance(padding, int):
        padding = [padding]
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_symmetric(img, padding):
    """Mirror padding that repeats the edge pixel: gathers rows and columns by index."""
    left, right, top, bottom = (max(p, 0) for p in padding)
    crop_left, crop_right, crop_top, crop_bottom = (-min(p, 0) for p in padding)
    h, w = img.shape[-2:]
    img = img[..., crop_top : h - crop_bottom, crop_left : w - crop_right]
    for dim, before, after in ((-1, left, right), (-2, top, bottom)):
        if before or after:
            index = np.pad(np.arange(img.shape[dim]), (before, after), mode="symmetric")
            img = img.index_select(dim, ember.tensor(index, device=img.device))
    return img


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the last two dims; ``padding_mode`` constant, edge, reflect or symmetric."""
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError(
            "Padding must be an int or a 1, 2, or 4 element tuple, not a "
            f"{len(padding)} element tuple"
        )
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    # F.pad's border modes take a (N, C, H, W) or (C, H, W) input
    batch = img.reshape((-1,) + tuple(img.shape[-2:])) if img.ndim != 3 else img
    if padding_mode == "constant":
        batch = torch_pad(batch, p, mode="constant", value=float(fill))
    else:
        batch = torch_pad(batch, p, mode="replicate" if padding_mode == "edge" else padding_mode)
    return batch.reshape(tuple(img.shape[:-2]) + tuple(batch.shape[-2:]))


def _cubic_filter(x, a=-0.5):
    """Keys' cubic convolution kernel with PIL's ``a = -0.5`` (used by antialiased bicubic)."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _antialias_weights(n, m, mode):
    """The ``(m, n)`` matrix that resamples an axis of ``n`` pixels to ``m`` with antialiasing.

    torch's (and PIL's) rule: output pixel ``i`` has its centre at ``c = scale * (i + 0.5)``,
    ``scale = n / m``; input pixel ``j`` weighs ``filter((j + 0.5 - c) / max(scale, 1))``,
    normalised to sum 1. When shrinking, the filter is stretched by ``scale`` and so averages
    every input pixel the output pixel covers.
    """
    scale = n / m
    stretch = max(scale, 1.0)
    centers = scale * (np.arange(m) + 0.5)
    t = (np.arange(n)[None, :] + 0.5 - centers[:, None]) / stretch
    if mode == "bilinear":
        weights = np.maximum(1.0 - np.abs(t), 0.0)
    else:
        weights = _cubic_filter(t)
    return weights / weights.sum(axis=1, keepdims=True)


def _resize_antialias(batch, size, mode):
    """Separable antialiased resize of a float ``(N, C, H, W)`` batch: two matrix products."""
    (h, w), (oh, ow) = batch.shape[-2:], size
    if ow != w:
        batch = batch.matmul(_constant(_antialias_weights(w, ow, mode).T, batch))
    if oh != h:
        batch = _constant(_antialias_weights(h, oh, mode), batch).matmul(batch)
    return batch


def resize(img, size, interpolation="bilinear", antialias=True):
    """Resize the last two dims to ``size = [height, width]``.

    ``antialias`` (bilinear and bicubic only) widens the filter when shrinking, as PIL does,
    so the result is close to PIL's; without it, this is ``F.interpolate``.
    """
    _assert_image_tensor(img)
    if antialias is None:
        antialias = False
    if interpolation not in ["bilinear", "bicubic"]:
        antialias = False  # meaningless for the other modes, which ignore it
    batch, lead, out_dtype = _cast_squeeze_in(img, _FLOAT_DTYPES)
    if antialias:
        batch = _resize_antialias(batch, list(size), interpolation)
    else:
        align_corners = False if interpolation in ["bilinear", "bicubic"] else None
        batch = interpolate(batch, size=list(size), mode=interpolation, align_corners=align_corners)
    if interpolation == "bicubic" and out_dtype == ember.uint8:
        batch = batch.clamp(min=0, max=255)  # the cubic filter overshoots
    return _cast_squeeze_out(batch, lead, out_dtype)


def _assert_grid_transform_inputs(
    img, matrix, interpolation, fill, supported_interpolation_modes, coeffs=None
):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    num_channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != num_channels:
        raise ValueError(
            "The number of elements in 'fill' cannot broadcast to match the number of channels "
            f"of the image ({len(fill)} != {num_channels})"
        )
    if interpolation not in supported_interpolation_modes:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _gen_affine_grid(theta, w, h, ow, oh):
    """``grid_sample``'s ``(1, oh, ow, 2)`` grid for the inverse affine map ``theta`` (2 x 3).

    Unlike ``affine_grid``, ``theta`` acts on pixel coordinates centred on the image and the
    result is normalised by the *input* size afterwards, so the output canvas may differ from
    the input (``rotate(expand=True)``), as in PIL.
    """
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], 1.0), axis=-1)
    grid = base @ np.asarray(theta).reshape(2, 3).T / np.array([0.5 * w, 0.5 * h])
    return grid[None]


def _apply_grid_transform(img, grid, mode, fill):
    """Sample ``img`` at ``grid`` (a ``(1, H, W, 2)`` numpy array or tensor, shared by every
    image of the batch); points outside the image get ``fill`` (zeros when None)."""
    batch, lead, out_dtype = _cast_squeeze_in(img, _FLOAT_DTYPES)
    grid = ember.as_tensor(grid, dtype=batch.dtype, device=batch.device)
    grid = grid.expand(batch.shape[0], *grid.shape[1:])
    if fill is not None:
        # a channel of ones, sampled along, tells how much of each output pixel lies inside
        batch = ember.cat((batch, ember.ones_like(batch[:, :1])), dim=1)
    batch = grid_sample(batch, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = batch[:, -1:]
        batch = batch[:, :-1]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = _constant(fill_list, batch).view(1, len(fill_list), 1, 1)
        if mode == "nearest":
            batch = ember.where(mask < 0.5, fill_img, batch)
        else:
            batch = batch * mask + (1.0 - mask) * fill_img
    return _cast_squeeze_out(batch, lead, out_dtype)


def affine(img, matrix, interpolation="nearest", fill=None):
    """Apply the inverse affine ``matrix`` (about the image centre) on the same canvas."""
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    h, w = img.shape[-2:]
    grid = _gen_affine_grid(matrix, w=w, h=h, ow=w, oh=h)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _compute_affine_output_size(matrix, w, h):
    """Width and height of the canvas that holds the whole transformed image (PIL's rule).

    Computed in float32 like torchvision, whose sizes it must reproduce exactly.
    """
    corners = np.array(
        [
            [-0.5 * w, -0.5 * h, 1.0],
            [-0.5 * w, 0.5 * h, 1.0],
            [0.5 * w, 0.5 * h, 1.0],
            [0.5 * w, -0.5 * h, 1.0],
        ],
        dtype=np.float32,
    )
    points = corners @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    offset = np.array([w * 0.5, h * 0.5], dtype=np.float32)
    # truncate to 1e-4 so that an error like 1e-7 does not ceil to a whole extra pixel
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc((points.max(axis=0) + offset) / tol) * tol)
    cmin = np.floor(np.trunc((points.min(axis=0) + offset) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    h, w = img.shape[-2:]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    grid = _gen_affine_grid(matrix, w=w, h=h, ow=ow, oh=oh)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _perspective_grid(coeffs, ow, oh, dtype):
    """``grid_sample``'s ``(1, oh, ow, 2)`` grid for Pillow's perspective map (``Geometry.c``):
    output pixel centre ``(x, y)`` reads the input at
    ``((c0 x + c1 y + c2) / (c6 x + c7 y + 1), (c3 x + c4 y + c5) / (c6 x + c7 y + 1))``,
    normalised to [-1, 1]. Computed in ``dtype``, in torchvision's order of operations."""
    theta1 = np.array([coeffs[0:3], coeffs[3:6]], dtype=dtype)
    theta2 = np.array([[coeffs[6], coeffs[7], 1.0]] * 2, dtype=dtype)
    xs = np.linspace(0.5, ow - 0.5, ow, dtype=dtype)
    ys = np.linspace(0.5, oh - 0.5, oh, dtype=dtype)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], dtype.type(1)), axis=-1)
    rescaled_theta1 = theta1.T / np.array([0.5 * ow, 0.5 * oh], dtype=dtype)
    grid = (base @ rescaled_theta1) / (base @ theta2.T) - dtype.type(1)
    return grid[None]


def perspective(img, perspective_coeffs, interpolation="bilinear", fill=None):
    """Apply Pillow's perspective map of the 8 ``perspective_coeffs`` (output pixel -> input
    pixel) on the same canvas."""
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor.")
    _assert_grid_transform_inputs(
        img, None, interpolation, fill, ["nearest", "bilinear"], coeffs=perspective_coeffs
    )
    h, w = img.shape[-2:]
    dtype = np.dtype(np.float64 if img.dtype == ember.float64 else np.float32)
    grid = _perspective_grid(perspective_coeffs, ow=w, oh=h, dtype=dtype)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _create_identity_grid(size):
    """The ``(1, H, W, 2)`` grid of pixel centres, ``(x, y)`` normalised to [-1, 1], float32."""
    h, w = size
    xs = np.linspace((-w + 1) / w, (w - 1) / w, w, dtype=np.float32)
    ys = np.linspace((-h + 1) / h, (h - 1) / h, h, dtype=np.float32)
    return np.stack(np.broadcast_arrays(xs[None, :], ys[:, None]), axis=-1)[None]


def elastic_transform(img, displacement, interpolation="bilinear", fill=None):
    """Sample ``img`` at the identity grid plus ``displacement`` (``(1, H, W, 2)``, in
    ``grid_sample``'s normalised units)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    displacement = displacement.to(img.device)
    identity = ember.tensor(_create_identity_grid(img.shape[-2:]), device=img.device)
    return _apply_grid_transform(img, identity + displacement, interpolation, fill)


# ---------------------------------------------------------------------------------- colour


def _blend(img1, img2, ratio):
    """``ratio * img1 + (1 - ratio) * img2``, clamped to the dtype's range (truncated back)."""
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B`` (truncated for integer images).

    As in torchvision, ``num_output_channels=3`` expands the result to the *input's* shape, so
    a one-channel input stays one channel.
    """
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    else:
        l_img = img.clone()
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level of each image."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else ember.float32
    grey = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = grey.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL: a grey image has no saturation to change
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    """RGB in [0, 1] to HSV in [0, 1], following Pillow's ``rgb2hsv``."""
    r, g, b = img.unbind(dim=-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    # where maxc == minc (grey), hue and saturation are 0; dividing by 1 there instead of by
    # zero keeps NaN out without changing the result
    eqc = maxc == minc
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_divisor = ember.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ((hr + hg + hb) / 6.0 + 1.0).remainder(1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    """HSV in [0, 1] to RGB: each of the six hue sectors picks (r, g, b) among v, p, q, t."""
    h, s, v = img.unbind(dim=-3)
    i = (h * 6.0).floor()
    f = h * 6.0 - i
    sector = i.to(ember.int64).remainder(6)
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    table = ember.stack(
        (
            ember.stack((v, q, p, p, t, v), dim=-3),
            ember.stack((t, v, v, q, p, p), dim=-3),
            ember.stack((p, p, t, v, v, q), dim=-3),
        ),
        dim=-4,
    )  # (..., 3 channels, 6 sectors, H, W)
    index = sector.unsqueeze(-3).unsqueeze(-4).expand(*table.shape[:-3], 1, *table.shape[-2:])
    return table.gather(-3, index).squeeze(-3)


def adjust_hue(img, hue_factor):
    """Rotate the hue by ``hue_factor`` of a turn, through HSV."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL: a grey image has no hue
        return img
    orig_dtype = img.dtype
    h, s, v = _rgb2hsv(convert_image_dtype(img, ember.float32)).unbind(dim=-3)
    h = (h + hue_factor).remainder(1.0)
    rgb = _hsv2rgb(ember.stack((h, s, v), dim=-3))
    return convert_image_dtype(rgb, orig_dtype)


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, ember.float32)
    result = (gain * result**gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def _depthwise(batch, kernel):
    """Convolve each channel of a float ``(N, C, H, W)`` batch with the 2-d ``kernel``."""
    c = batch.shape[1]
    weight = _constant(kernel, batch).expand(c, 1, *kernel.shape)
    return conv2d(batch, weight, groups=c)


def _gaussian_kernel1d(kernel_size, sigma):
    half = (kernel_size - 1) * 0.5
    pdf = np.exp(-0.5 * (np.linspace(-half, half, kernel_size) / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    """Blur with a ``kernel_size = [kx, ky]`` Gaussian of ``sigma = [sx, sy]``; borders reflect."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    kernel = np.outer(
        _gaussian_kernel1d(kernel_size[1], sigma[1]), _gaussian_kernel1d(kernel_size[0], sigma[0])
    )
    batch, lead, out_dtype = _cast_squeeze_in(img, _FLOAT_DTYPES)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    batch = _depthwise(torch_pad(batch, [px, px, py, py], mode="reflect"), kernel)
    return _cast_squeeze_out(batch, lead, out_dtype)


def adjust_sharpness(img, sharpness_factor):
    """Blend with PIL's SMOOTH-filtered image (3 x 3, centre weight 5; borders kept)."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    kernel = np.ones((3, 3))
    kernel[1, 1] = 5.0
    batch, lead, out_dtype = _cast_squeeze_in(img, _FLOAT_DTYPES)
    inner = _cast_squeeze_out(_depthwise(batch, kernel / kernel.sum()), lead, out_dtype)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = inner
    return _blend(img, degenerate, sharpness_factor)


def invert(img):
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def posterize(img, bits):
    """Keep the ``bits`` highest bits of each uint8 value."""
    _assert_image_tensor(img)
    _assert_3d(img)
    if img.dtype != ember.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return img & -int(2 ** (8 - bits))  # the mask ~(2 ** (8 - bits) - 1)


def solarize(img, threshold):
    """Invert the values at or above ``threshold``."""
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return ember.where(img >= threshold, invert(img), img)


def autocontrast(img):
    """Stretch each channel linearly so that its minimum maps to 0 and its maximum to the top."""
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, [1, 3])
    bound = _max_value(img.dtype)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    flat = maximum == minimum  # a constant channel stays as it is
    minimum = ember.where(flat, ember.zeros_like(minimum), minimum)
    scale = bound / ember.where(flat, ember.full_like(maximum, bound), maximum - minimum)
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def equalize(img):
    """Histogram-equalise each channel of a uint8 image (PIL's ``ImageOps.equalize`` rule).

    All channels at once: one histogram row per channel, its cumulative sum as the lookup table.
    """
    _assert_image_tensor(img)
    if not (3 <= img.ndim <= 4):
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    pixels = img.reshape(-1, img.shape[-2] * img.shape[-1]).long()
    hist = ember.zeros(pixels.shape[0], 256, dtype=ember.int64, device=img.device)
    hist = hist.scatter_add(1, pixels, ember.ones_like(pixels))
    # PIL's step leaves out the last non-empty bin, which is the channel's maximum
    top = hist.gather(1, pixels.amax(dim=1, keepdim=True))
    step = (pixels.shape[1] - top) // 255
    lut = (hist.cumsum(1) + step // 2) // step.clamp(min=1)
    lut = torch_pad(lut, [1, 0])[:, :-1].clamp(0, 255)
    equalized = ember.where(step == 0, pixels, lut.gather(1, pixels))
    return equalized.to(ember.uint8).reshape(img.shape)
