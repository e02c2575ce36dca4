"""Image transforms (``torchvision.transforms``): classes that hold their parameters and apply
the ``functional`` operations to a PIL image or a tensor image ``(..., C, H, W)``.

Random transforms draw from ember's default generator (``ember.rand``, ``ember.randint``,
``ember.empty(...).uniform_()``, ``ember.randperm``), in the number and order torchvision
draws from torch's, so ``ember.manual_seed`` makes a pipeline reproducible. The random
parameters come from a static ``get_params`` where torchvision has one.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import ember
from ember import Tensor
from ember.nn import Module

from . import functional as F
from .functional import InterpolationMode

__all__ = [
    "Compose",
    "ToTensor",
    "PILToTensor",
    "ConvertImageDtype",
    "ToPILImage",
    "Normalize",
    "Resize",
    "CenterCrop",
    "Pad",
    "Lambda",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomResizedCrop",
    "FiveCrop",
    "TenCrop",
    "LinearTransformation",
    "ColorJitter",
    "RandomRotation",
    "RandomAffine",
    "RandomPerspective",
    "ElasticTransform",
    "Grayscale",
    "RandomGrayscale",
    "RandomErasing",
    "GaussianBlur",
    "InterpolationMode",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
    "RandomAdjustSharpness",
    "RandomAutocontrast",
    "RandomEqualize",
]


def _uniform(low, high):
    """One float drawn uniformly from ``[low, high)`` (torch's ``empty(1).uniform_()``)."""
    return float(ember.empty(1).uniform_(float(low), float(high)).item())


def _randint(low, high):
    """One int drawn uniformly from ``[low, high)``."""
    return int(ember.randint(low, high, size=(1,)).item())


def _setup_size(size, error_msg):
    """An int or ``[s]`` as ``(s, s)``; a pair as given; anything else is an error."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence_input(x, name, req_sizes):
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name, req_sizes=(2,)):
    """A number ``d`` as ``[-d, d]``; a sequence as floats."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _check_fill(fill):
    """The ``fill`` of the geometric transforms: None means 0."""
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _fill_for(img, fill):
    """Tensors take ``fill`` as one float per channel."""
    if isinstance(img, Tensor):
        if isinstance(fill, (int, float)):
            return [float(fill)] * F.get_dimensions(img)[0]
        return [float(f) for f in fill]
    return fill


def _format_list(name, transforms, first=""):
    """``Name(\\n    t1\\n    t2\\n)``: one transform a line."""
    lines = [first] if first else []
    lines += [f"    {t}" for t in transforms]
    return name + "(" + "".join("\n" + line for line in lines) + "\n)"


# ------------------------------------------------------------------------------ containers


class Compose:
    """Composes several transforms together.

    Args:
        transforms (list of transforms): applied in order.

    Example:
        >>> transforms.Compose([
        >>>     transforms.CenterCrop(10),
        >>>     transforms.ToTensor(),
        >>> ])
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return _format_list(self.__class__.__name__, self.transforms)


class Lambda:
    """Apply a user-defined function as a transform.

    Args:
        lambd (callable): the function.
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class RandomTransforms:
    """Base class for a list of transformations with randomness.

    Args:
        transforms (sequence): list of transformations.
    """

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self):
        return _format_list(self.__class__.__name__, self.transforms)


class RandomApply(Module):
    """Apply a list of transformations, all or none, with probability ``p``.

    Args:
        transforms (sequence or Module): the transformations.
        p (float): probability. Default 0.5.
    """

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < ember.rand(1).item():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return _format_list(self.__class__.__name__, self.transforms, first=f"    p={self.p}")


class RandomOrder(RandomTransforms):
    """Apply a list of transformations in a random order.

    torchvision shuffles with Python's ``random``; this draws ``ember.randperm``, so that
    ``ember.manual_seed`` covers it too.
    """

    def __call__(self, img):
        for i in ember.randperm(len(self.transforms)).tolist():
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one transformation picked at random from a list.

    Args:
        transforms (sequence): the candidates.
        p (sequence of float, optional): their relative weights (default all equal).

    torchvision picks with Python's ``random.choices``; this draws ``ember.multinomial``, so
    that ``ember.manual_seed`` covers it too.
    """

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        weights = [1.0] * len(self.transforms) if self.p is None else self.p
        index = int(ember.multinomial(ember.tensor(weights, dtype=ember.float64), 1).item())
        return self.transforms[index](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


# ------------------------------------------------------------------------------ conversions


class ToTensor:
    """Convert a PIL image or ``(H, W, C)`` ndarray to a ``(C, H, W)`` tensor.

    8-bit data (PIL modes L, LA, P, RGB, YCbCr, RGBA, CMYK and 1, or a uint8 array) is scaled
    from [0, 255] to float [0.0, 1.0]; other data keeps its values and type (see
    ``functional.to_tensor``). Not for segmentation masks, which must not be rescaled.
    """

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """Convert a PIL image ``(H, W, C)`` to a tensor ``(C, H, W)`` of the same type, unscaled."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class ConvertImageDtype(Module):
    """Convert a tensor image to ``dtype`` and scale the values accordingly.

    Floats span [0, 1], integers [0, the dtype's max]. Converting float32 to int32/int64 or
    float64 to int64 raises ``RuntimeError`` (the float cannot hold every integer of the range).

    Args:
        dtype (ember.dtype): the output dtype.
    """

    def __init__(self, dtype):
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage:
    """Convert a ``(C, H, W)`` tensor or ``(H, W, C)`` ndarray to a PIL image.

    Args:
        mode (str, optional): the PIL mode. By default: 4 channels RGBA, 3 RGB, 2 LA, 1 by data
            type (uint8 L, int16 I;16, int32 I, float F). Float data is scaled by 255 for the
            8-bit modes.
    """

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        mode = "" if self.mode is None else f"mode={self.mode}"
        return f"{self.__class__.__name__}({mode})"


class Normalize(Module):
    """Normalise a float tensor image per channel: ``(input[c] - mean[c]) / std[c]``.

    Args:
        mean (sequence): one mean per channel.
        std (sequence): one standard deviation per channel.
        inplace (bool): overwrite the input. Default False.
    """

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class LinearTransformation(Module):
    """Multiply the flattened tensor image by a square matrix after subtracting a mean vector
    (e.g. ZCA whitening).

    Args:
        transformation_matrix (Tensor): ``[D x D]``, ``D = C * H * W``.
        mean_vector (Tensor): ``[D]``.
    """

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        size = tuple(transformation_matrix.shape)
        if size[0] != size[1]:
            raise ValueError(
                f"transformation_matrix should be square. Got {size} rectangular matrix."
            )
        if mean_vector.shape[0] != size[0]:
            raise ValueError(
                f"mean_vector should have the same length {mean_vector.shape[0]} as any one of the "
                f"dimensions of the transformation_matrix [{size}]"
            )
        if transformation_matrix.device != mean_vector.device:
            raise ValueError(
                "Input tensors should be on the same device. Got "
                f"{transformation_matrix.device} and {mean_vector.device}"
            )
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(
                "Input tensors should have the same dtype. Got "
                f"{transformation_matrix.dtype} and {mean_vector.dtype}"
            )
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor):
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(
                "Input tensor and transformation matrix have incompatible shape."
                f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != {self.transformation_matrix.shape[0]}"
            )
        if tensor.device.type != self.mean_vector.device.type:
            raise ValueError(
                "Input tensor should be on the same device as transformation matrix and mean "
                f"vector. Got {tensor.device} vs {self.mean_vector.device}"
            )
        flat = tensor.reshape(-1, n) - self.mean_vector
        return flat.mm(self.transformation_matrix.to(flat.dtype)).reshape(shape)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(transformation_matrix={self.transformation_matrix.tolist()}"
            f", mean_vector={self.mean_vector.tolist()})"
        )


# ------------------------------------------------------------------------------- geometry


class Resize(Module):
    """Resize the image to ``size``.

    Args:
        size (int or sequence): ``(h, w)``, or an int for the shorter edge (the longer keeps
            the aspect ratio: ``(size * height / width, size)`` when taller than wide).
        interpolation (InterpolationMode or Pillow constant): default BILINEAR. Tensors take
            NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC.
        max_size (int, optional): cap on the longer edge when ``size`` is an int.
        antialias (bool): tensors only (PIL always antialiases bilinear and bicubic): smooth
            when shrinking, close to PIL's result. Default True.
    """

    def __init__(
        self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
    ):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F._interpolation_mode(interpolation)
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        detail = (
            f"(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )
        return f"{self.__class__.__name__}{detail}"


class CenterCrop(Module):
    """Crop the centre ``size`` (an int for a square) of the image, zero-padding a smaller one."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(Module):
    """Pad every border of the image.

    Args:
        padding (int or sequence): all borders, ``(left/right, top/bottom)`` or ``(left, top,
            right, bottom)``.
        fill (number or tuple): value of constant padding (per band for PIL). Default 0.
        padding_mode (str): ``constant`` (default), ``edge``, ``reflect`` (``[1, 2, 3, 4]`` by
            2 gives ``[3, 2, 1, 2, 3, 4, 3, 2]``) or ``symmetric`` (``[2, 1, 1, 2, 3, 4, 4, 3]``).
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(
                "Padding must be an int or a 1, 2, or 4 element tuple, not a "
                f"{len(padding)} element tuple"
            )
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
            f"padding_mode={self.padding_mode})"
        )


class RandomCrop(Module):
    """Crop a random ``size`` box of the image.

    Args:
        size (int or sequence): ``(h, w)`` of the crop, or an int for a square.
        padding (int or sequence, optional): padding applied first, as in ``Pad``.
        pad_if_needed (bool): pad an image smaller than ``size`` instead of failing.
        fill (number or tuple): value of constant padding. Default 0.
        padding_mode (str): as in ``Pad``. Default ``constant``.
    """

    @staticmethod
    def get_params(img, output_size):
        """``(i, j, h, w)`` of a random crop of ``output_size = (h, w)`` for ``crop``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than input image size {(h, w)}"
            )
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = tuple(
            _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        )
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class _RandomOp(Module):
    """Base of the transforms that apply one operation with probability ``p``."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if ember.rand(1).item() < self.p:
            return self._apply(img)
        return img

    def _apply(self, img):
        raise NotImplementedError

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomOp):
    """Mirror the image left to right with probability ``p`` (default 0.5)."""

    def _apply(self, img):
        return F.hflip(img)


class RandomVerticalFlip(_RandomOp):
    """Mirror the image top to bottom with probability ``p`` (default 0.5)."""

    def _apply(self, img):
        return F.vflip(img)


class RandomResizedCrop(Module):
    """Crop a random area and aspect ratio of the image and resize it to ``size`` (Inception
    training).

    Args:
        size (int or sequence): output ``(h, w)``, or an int for a square.
        scale (tuple): range of the crop's area, as a fraction of the image's. Default
            ``(0.08, 1.0)``.
        ratio (tuple): range of the crop's aspect ratio (width / height), drawn log-uniformly.
            Default ``(3/4, 4/3)``.
        interpolation (InterpolationMode): default BILINEAR.
        antialias (bool): as in ``Resize``. Default True.
    """

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = F._interpolation_mode(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """``(i, j, h, w)`` of a random crop for ``crop``: up to 10 draws of an area and an
        aspect ratio that fit, else a central crop of the image clamped to ``ratio``."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = ember.log(ember.tensor(ratio)).tolist()
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = round(math.sqrt(target_area * aspect_ratio))
            h = round(math.sqrt(target_area / aspect_ratio))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(0, height - h + 1)
                j = _randint(0, width - w + 1)
                return i, j, h, w
        # fallback to a central crop
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = round(w / min(ratio))
        elif in_ratio > max(ratio):
            h = height
            w = round(h * max(ratio))
        else:
            w = width
            h = height
        i = (height - h) // 2
        j = (width - w) // 2
        return i, j, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(
            img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias
        )

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(size={self.size}"
            f", scale={tuple(round(s, 4) for s in self.scale)}"
            f", ratio={tuple(round(r, 4) for r in self.ratio)}"
            f", interpolation={self.interpolation.value}"
            f", antialias={self.antialias})"
        )


class FiveCrop(Module):
    """The four corner crops and the central crop of ``size``, as a tuple of 5 images."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(Module):
    """``FiveCrop`` of the image and of its mirror image (vertical if ``vertical_flip``), as a
    tuple of 10 images."""

    def __init__(self, size, vertical_flip=False):
        super().__init__()
        self.size = _setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class RandomRotation(Module):
    """Rotate the image by a random angle.

    Args:
        degrees (number or sequence): range ``(min, max)`` of the angle, or ``d`` for ``(-d, d)``.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR (PIL: also BICUBIC).
        expand (bool): grow the canvas to hold the whole rotated image.
        center (sequence, optional): ``(x, y)`` to rotate about; default the centre.
        fill (number or sequence): value outside the rotated image. Default 0.
    """

    def __init__(
        self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0
    ):
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = F._interpolation_mode(interpolation)
        self.expand = expand
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(degrees):
        """A random angle in ``[degrees[0], degrees[1])``."""
        return _uniform(degrees[0], degrees[1])

    def forward(self, img):
        fill = _fill_for(img, self.fill)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", interpolation={self.interpolation.value}"
        s += f", expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(Module):
    """Random affine transformation about the centre, the image size kept.

    Args:
        degrees (number or sequence): rotation range, or ``d`` for ``(-d, d)``; 0 for none.
        translate (tuple, optional): ``(a, b)``: the shift is drawn from ``[-a * width, a *
            width]`` and ``[-b * height, b * height]``.
        scale (tuple, optional): range of the scale factor.
        shear (number or sequence, optional): x-shear range (``s`` for ``(-s, s)``, or
            ``(min, max)``), or 4 values: x range then y range.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        fill (number or sequence): value outside the image. Default 0.
        center (sequence, optional): ``(x, y)`` of the centre; default the image centre.
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ):
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, name="shear", req_sizes=(2, 4))
        self.interpolation = F._interpolation_mode(interpolation)
        self.fill = _check_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for ``affine``; ``img_size`` is
        ``[width, height]``."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = round(_uniform(-max_dx, max_dx))
            ty = round(_uniform(-max_dy, max_dy))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _fill_for(img, self.fill)
        _, height, width = F.get_dimensions(img)
        params = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height]
        )
        return F.affine(
            img, *params, interpolation=self.interpolation, fill=fill, center=self.center
        )

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomPerspective(Module):
    """Random perspective transformation with probability ``p``, the image size kept.

    Args:
        distortion_scale (float): degree of distortion, from 0 to 1: each corner moves inwards
            by up to ``distortion_scale`` times half the width and height. Default 0.5.
        p (float): probability of transforming the image. Default 0.5.
        interpolation (InterpolationMode): BILINEAR (default) or NEAREST (tensors); PIL also
            takes BICUBIC. Pillow constants are accepted too.
        fill (number or sequence): value outside the transformed image. Default 0.
    """

    def __init__(
        self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0
    ):
        super().__init__()
        self.p = p
        self.interpolation = F._interpolation_mode(interpolation)
        self.distortion_scale = distortion_scale
        self.fill = _check_fill(fill)

    def forward(self, img):
        fill = _fill_for(img, self.fill)
        _, height, width = F.get_dimensions(img)
        if ember.rand(1).item() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    @staticmethod
    def get_params(width, height, distortion_scale):
        """``(startpoints, endpoints)`` for ``perspective``: the image's corners ``[top-left,
        top-right, bottom-right, bottom-left]``, and each moved inwards at random."""
        dx = int(distortion_scale * (width // 2))
        dy = int(distortion_scale * (height // 2))
        topleft = [_randint(0, dx + 1), _randint(0, dy + 1)]
        topright = [_randint(width - dx - 1, width), _randint(0, dy + 1)]
        botright = [_randint(width - dx - 1, width), _randint(height - dy - 1, height)]
        botleft = [_randint(0, dx + 1), _randint(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        endpoints = [topleft, topright, botright, botleft]
        return startpoints, endpoints

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


def _elastic_pair(x, name):
    """``alpha`` or ``sigma``: a float as ``[x, x]``; a sequence of two floats as a list."""
    if not isinstance(x, (float, Sequence)):
        raise TypeError(f"{name} should be float or a sequence of floats. Got {type(x)}")
    if isinstance(x, float):
        return [x, x]
    if len(x) != 2:
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(x)}")
    for element in x:
        if not isinstance(element, float):
            raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
    return list(x)


class ElasticTransform(Module):
    """Elastic deformation: every pixel moves by a random, smooth displacement.

    Uniform noise in [-1, 1] for ``dx`` and for ``dy`` is blurred by a Gaussian of ``sigma``,
    scaled by ``alpha`` over the width (height), added to the identity grid and the image is
    sampled there. Gives a see-through-water effect.

    Args:
        alpha (float or sequence of floats): magnitude of the displacements, ``(ax, ay)``.
            Default 50.0. As in torchvision, an int is rejected.
        sigma (float or sequence of floats): smoothness of the displacements, ``(sx, sy)``.
            Default 5.0.
        interpolation (InterpolationMode): BILINEAR (default) or NEAREST.
        fill (number or sequence): value outside the transformed image. Default 0.
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.alpha = _elastic_pair(alpha, "alpha")
        self.sigma = _elastic_pair(sigma, "sigma")
        self.interpolation = F._interpolation_mode(interpolation)
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(
                f"fill should be int or float or a list or tuple of them. Got {type(fill)}"
            )
        self.fill = fill

    @staticmethod
    def get_params(alpha, sigma, size):
        """A random ``(1, H, W, 2)`` displacement for ``elastic_transform``; ``size`` is
        ``[height, width]``."""
        fields = []
        for i in range(2):  # dx scaled by the width, then dy by the height
            d = ember.rand([1, 1] + list(size)) * 2 - 1
            if sigma[i] > 0.0:
                k = int(8 * sigma[i] + 1)
                if k % 2 == 0:  # the kernel size must be odd
                    k += 1
                # torchvision blurs each field with both sigmas, (sx, sy)
                d = F.gaussian_blur(d, [k, k], sigma)
            fields.append(d * alpha[i] / size[1 - i])
        return ember.cat(fields, 1).permute(0, 2, 3, 1)

    def forward(self, tensor):
        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(alpha={self.alpha}, sigma={self.sigma}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


# ---------------------------------------------------------------------------------- colour


class ColorJitter(Module):
    """Randomly change the brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness (float or (min, max)): factor drawn from ``[max(0, 1 - b), 1 + b]`` or the
            given range. Default 0 (unchanged); likewise ``contrast`` and ``saturation``.
        hue (float or (min, max)): shift drawn from ``[-h, h]`` or the range, within
            ``[-0.5, 0.5]``. Default 0.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(
            hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False
        )

    def _check_input(self, value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        """The ``[min, max]`` range of a factor, or None when it leaves the image unchanged."""
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(fn_idx, b, c, s, h)``: a random order of the four adjustments (a permutation
        tensor of 0-3) and a factor for each given range (None for the others)."""
        fn_idx = ember.randperm(4)
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def forward(self, img):
        fn_idx, b, c, s, h = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue
        )
        adjustments = (
            (F.adjust_brightness, b),
            (F.adjust_contrast, c),
            (F.adjust_saturation, s),
            (F.adjust_hue, h),
        )
        for fn_id in fn_idx.tolist():
            adjust, factor = adjustments[fn_id]
            if factor is not None:
                img = adjust(img, factor)
        return img

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue})"
        )


class Grayscale(Module):
    """Convert the image to greyscale, with 1 or 3 (equal) output channels."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(_RandomOp):
    """Convert the image to greyscale with probability ``p`` (default 0.1), keeping its number
    of channels."""

    def __init__(self, p=0.1):
        super().__init__(p)

    def _apply(self, img):
        num_output_channels = F.get_dimensions(img)[0]
        return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)


class GaussianBlur(Module):
    """Blur the image with a Gaussian of random sigma.

    Args:
        kernel_size (int or sequence): ``(kx, ky)``, odd and positive.
        sigma (float or (min, max)): sigma is drawn uniformly from the range. Default
            ``(0.1, 2.0)``.
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = _setup_size(
            kernel_size, "Kernel size should be a tuple/list of two integers"
        )
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        """A random sigma in ``[sigma_min, sigma_max)``."""
        return _uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self):
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomInvert(_RandomOp):
    """Invert the colours with probability ``p`` (default 0.5)."""

    def _apply(self, img):
        return F.invert(img)


class RandomPosterize(_RandomOp):
    """Keep the ``bits`` highest bits of each channel with probability ``p`` (default 0.5)."""

    def __init__(self, bits, p=0.5):
        super().__init__(p)
        self.bits = bits

    def _apply(self, img):
        return F.posterize(img, self.bits)

    def __repr__(self):
        return f"{self.__class__.__name__}(bits={self.bits},p={self.p})"


class RandomSolarize(_RandomOp):
    """Invert the pixels at or above ``threshold`` with probability ``p`` (default 0.5)."""

    def __init__(self, threshold, p=0.5):
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img):
        return F.solarize(img, self.threshold)

    def __repr__(self):
        return f"{self.__class__.__name__}(threshold={self.threshold},p={self.p})"


class RandomAdjustSharpness(_RandomOp):
    """Adjust the sharpness by ``sharpness_factor`` with probability ``p`` (default 0.5)."""

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)

    def __repr__(self):
        return f"{self.__class__.__name__}(sharpness_factor={self.sharpness_factor},p={self.p})"


class RandomAutocontrast(_RandomOp):
    """Maximise the contrast of each channel with probability ``p`` (default 0.5)."""

    def _apply(self, img):
        return F.autocontrast(img)


class RandomEqualize(_RandomOp):
    """Equalise the histogram with probability ``p`` (default 0.5)."""

    def _apply(self, img):
        return F.equalize(img)


class RandomErasing(Module):
    """Erase a random rectangle of a tensor image with probability ``p`` (Zhong et al., 2017).

    Args:
        p (float): probability. Default 0.5.
        scale (tuple): range of the erased area, as a fraction of the image's. Default
            ``(0.02, 0.33)``.
        ratio (tuple): range of its aspect ratio, drawn log-uniformly. Default ``(0.3, 3.3)``.
        value (number, sequence or "random"): the fill: one value, one per channel, or
            ``"random"`` for standard normal noise. Default 0.
        inplace (bool): overwrite the input. Default False.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(i, j, h, w, v)`` of the box to erase and its content ``v`` (normal noise when
        ``value`` is None); the whole image itself as ``v`` when 10 draws found no box."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = ember.log(ember.tensor(ratio)).tolist()
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = round(math.sqrt(erase_area * aspect_ratio))
            w = round(math.sqrt(erase_area / aspect_ratio))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = ember.empty([img_c, h, w], dtype=ember.float32).normal_()
            else:
                v = ember.tensor(value)[:, None, None]
            i = _randint(0, img_h - h + 1)
            j = _randint(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if ember.rand(1).item() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError(
                    "If value is a sequence, it should have either a single value or "
                    f"{img.shape[-3]} (number of input channels)"
                )
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
            f"value={self.value}, inplace={self.inplace})"
        )
