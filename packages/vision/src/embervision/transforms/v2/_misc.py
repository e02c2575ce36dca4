"""Identity, Lambda, linear maps, normalisation, blur, noise, dtype conversion, temporal
subsampling, and the clamping and sanitising of boxes and keypoints."""

from __future__ import annotations

import warnings

from PIL import Image as PILImage

import ember
from ember import Tensor

from ... import transforms as _v1
from ... import tv_tensors
from . import functional as F
from ._transform import Transform
from ._utils import (
    _parse_labels_getter,
    get_bounding_boxes,
    get_keypoints,
    has_any,
    is_pure_tensor,
    tree_flatten,
    tree_unflatten,
)


class Identity(Transform):
    """Return the input unchanged."""

    def transform(self, inpt, params):
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to the inputs of the given ``types`` (default: every input).

    Args:
        lambd (callable): the function.
        *types: the input types it applies to.
    """

    _transformed_types = (object,)

    def __init__(self, lambd, *types):
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt, params):
        if isinstance(inpt, self.types):
            return self.lambd(inpt)
        return inpt

    def extra_repr(self):
        name = getattr(self.lambd, "__name__", None)
        extras = [name] if name else []
        if self.types != (object,):
            extras.append(f"types={[type.__name__ for type in self.types]}")
        return ", ".join(extras)


class LinearTransformation(Transform):
    """Whiten (or otherwise linearly map) a tensor image or video: flatten each ``[C, H, W]``
    to ``D = C * H * W`` values, subtract ``mean_vector`` and multiply by
    ``transformation_matrix``.

    Args:
        transformation_matrix (Tensor): ``[D, D]``.
        mean_vector (Tensor): ``[D]``.
    """

    _transformed_types = (is_pure_tensor, tv_tensors.Image, tv_tensors.Video)

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        # v1 checks the shapes, devices and dtypes the same way
        _v1.LinearTransformation(transformation_matrix, mean_vector)
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def check_inputs(self, flat_inputs):
        if has_any(flat_inputs, PILImage.Image):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        # v1's forward, which reads the same two attributes
        output = _v1.LinearTransformation.forward(self, inpt)
        if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
            output = tv_tensors.wrap(output, like=inpt)
        return output


class Normalize(Transform):
    """Normalise a float image or video per channel: ``(inpt - mean) / std``.

    Args:
        mean (sequence): per-channel means.
        std (sequence): per-channel standard deviations.
        inplace (bool): overwrite the input. Default False.
    """

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = list(mean)
        self.std = list(std)
        self.inplace = inplace

    def check_inputs(self, flat_inputs):
        if has_any(flat_inputs, PILImage.Image):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        return self._call_kernel(
            F.normalize, inpt, mean=self.mean, std=self.std, inplace=self.inplace
        )


class GaussianBlur(Transform):
    """Blur with a Gaussian of random standard deviation.

    Args:
        kernel_size (int or sequence): odd positive size(s) of the kernel.
        sigma (float or tuple): fixed sigma, or ``(min, max)`` to draw it from uniformly.
            Default ``(0.1, 2.0)``.
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        # v1 checks and normalises the same arguments
        v1 = _v1.GaussianBlur(kernel_size, sigma)
        self.kernel_size = v1.kernel_size
        self.sigma = list(v1.sigma)

    def make_params(self, flat_inputs):
        sigma = _v1.GaussianBlur.get_params(self.sigma[0], self.sigma[1])
        return dict(sigma=[sigma, sigma])

    def transform(self, inpt, params):
        return self._call_kernel(F.gaussian_blur, inpt, self.kernel_size, **params)


class GaussianNoise(Transform):
    """Add Gaussian noise to images or videos, independently per element (and so per image
    of a batch); PIL images are not supported.

    ``mean`` and ``sigma`` are on the [0, 1] scale whatever the dtype: a uint8 image gets
    ``255 * mean`` added on average.

    Args:
        mean (float): mean of the noise. Default 0.
        sigma (float): its standard deviation. Default 0.1.
        clip (bool): clip the result to [0, 1] (floats) or [0, 255] (uint8). Default True.
    """

    def __init__(self, mean=0.0, sigma=0.1, clip=True):
        super().__init__()
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def transform(self, inpt, params):
        return self._call_kernel(
            F.gaussian_noise, inpt, mean=self.mean, sigma=self.sigma, clip=self.clip
        )


class ToDtype(Transform):
    """Convert to ``dtype``, and with ``scale`` rescale images and videos to its value range.

    Args:
        dtype (dtype or dict): the dtype of images and videos (other inputs pass through), or
            a dict from input type to dtype (``"others"`` for the rest; None leaves a type
            unchanged).
        scale (bool): rescale images and videos (floats span [0, 1], integers [0, max]).
            Default False.
    """

    _transformed_types = (Tensor,)

    def __init__(self, dtype, scale=False):
        super().__init__()
        if not isinstance(dtype, (dict, ember.dtype)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        if (
            isinstance(dtype, dict)
            and Tensor in dtype
            and any(cls in dtype for cls in [tv_tensors.Image, tv_tensors.Video])
        ):
            warnings.warn(
                "Got `dtype` values for `torch.Tensor` and either `tv_tensors.Image` or "
                "`tv_tensors.Video`. Note that a plain `torch.Tensor` will *not* be transformed "
                "by this (or any other transformation) in case a `tv_tensors.Image` or "
                "`tv_tensors.Video` is present in the input.",
                stacklevel=2,
            )
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt, params):
        image_like = is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image, tv_tensors.Video))
        if isinstance(self.dtype, ember.dtype):
            # only images and videos when dtype is a plain dtype, as ConvertImageDtype did
            if not image_like:
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(
                f"No dtype was specified for type {type(inpt)}. If you only need to convert the "
                "dtype of images or videos, you can just pass e.g. dtype=torch.float32. If "
                'you\'re passing a dict as dtype, you can use "others" as a catch-all key e.g. '
                'dtype={tv_tensors.Mask: torch.int64, "others": None} to pass-through the rest '
                "of the inputs."
            )
        if dtype is None:
            if self.scale and image_like:
                warnings.warn(
                    "scale was set to True but no dtype was specified for images or videos: no "
                    "scaling will be done.",
                    stacklevel=2,
                )
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """Convert to ``dtype`` and rescale the values (deprecated in torchvision: use
    ``ToDtype(dtype, scale=True)``). Masks, boxes and keypoints are cast too.

    Args:
        dtype (ember.dtype): the dtype. Default float32.
    """

    def __init__(self, dtype=ember.float32):
        super().__init__()
        self.dtype = dtype

    def transform(self, inpt, params):
        return self._call_kernel(F.to_dtype, inpt, dtype=self.dtype, scale=True)


def _labels_as_tuple(labels):
    """What a labels getter returned as a tuple of tensors (None stays None)."""
    if labels is None:
        return None
    msg = "The labels in the input to forward() must be a tensor or None, got {type} instead."
    if isinstance(labels, Tensor):
        return (labels,)
    if not isinstance(labels, (tuple, list)):
        raise ValueError(msg.format(type=type(labels)))
    for entry in labels:
        if not isinstance(entry, Tensor):
            raise ValueError(msg.format(type=type(entry)))
    return tuple(labels)


def _is_label(inpt, labels):
    return labels is not None and any(inpt is label for label in labels)


class SanitizeBoundingBoxes(Transform):
    """Remove degenerate or invalid bounding boxes, and the matching labels and masks.

    A box is kept when its width and height are at least ``min_size``, its area at least
    ``min_area`` and it lies within its canvas.

    Args:
        min_size (float): default 1.
        min_area (float): default 1.
        labels_getter (callable, str or None): how to find the labels in the input: the
            default ``"default"`` takes the ``"labels"`` (or ``"*label*"``) entry of the dict
            (or of the second item of a pair); a callable returns the labels (a tensor or a
            tuple of tensors); None sanitizes only the boxes.
    """

    def __init__(self, min_size=1.0, min_area=1.0, labels_getter="default"):
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        self.min_size = min_size
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_area = min_area
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = _labels_as_tuple(self._labels_getter(inputs))
        flat_inputs, spec = tree_flatten(inputs)
        boxes = get_bounding_boxes(flat_inputs)
        if labels is not None:
            for label in labels:
                if boxes.shape[0] != label.shape[0]:
                    raise ValueError(
                        f"Number of boxes (shape={boxes.shape}) and must match the number of "
                        f"labels.Found labels with shape={label.shape})."
                    )
        _, valid = F.sanitize_bounding_boxes(boxes, min_size=self.min_size, min_area=self.min_area)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = _is_label(inpt, params["labels"])
        is_bounding_boxes = isinstance(inpt, tv_tensors.BoundingBoxes)
        is_mask = isinstance(inpt, tv_tensors.Mask)
        if not (is_label or is_bounding_boxes or is_mask):
            return inpt
        try:
            output = inpt[params["valid"]]
        except IndexError:
            return inpt  # not indexable by the boxes' mask: passed through
        if is_label:
            return output
        return tv_tensors.wrap(output, like=inpt)


class ClampBoundingBoxes(Transform):
    """Clamp bounding boxes to their canvas.

    Args:
        clamping_mode: ``"soft"``, ``"hard"``, None or ``"auto"`` (default): the boxes' own
            ``clamping_mode``.
    """

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode="auto"):
        super().__init__()
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params):
        return F.clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


class ConvertBoundingBoxFormat(Transform):
    """Convert bounding boxes to ``format`` (a ``BoundingBoxFormat`` or its name)."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, format):
        super().__init__()
        self.format = format

    def transform(self, inpt, params):
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class SetClampingMode(Transform):
    """Set the ``clamping_mode`` of bounding boxes for the transforms that follow.

    Args:
        clamping_mode: ``"soft"``, ``"hard"`` or None.
    """

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode):
        super().__init__()
        if clamping_mode not in (None, "soft", "hard"):
            raise ValueError(f"clamping_mode must be soft, hard or None, got {clamping_mode}")
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params):
        output = inpt.clone()
        output.clamping_mode = self.clamping_mode
        return output


class ClampKeyPoints(Transform):
    """Clamp keypoints to the pixel grid of their canvas, ``[0, width - 1] x [0, height -
    1]``."""

    _transformed_types = (tv_tensors.KeyPoints,)

    def transform(self, inpt, params):
        return F.clamp_keypoints(inpt)


class SanitizeKeyPoints(Transform):
    """Remove the keypoints outside their canvas, and the matching labels.

    Keypoints ``[N, 2]`` are removed one by one; groups ``[N, ..., 2]`` (polygons, skeletons)
    whole, when one of their points is outside. See ``ClampKeyPoints`` to clamp instead.

    Args:
        labels_getter (callable, str or None): how to find the labels (or other tensors
            indexed like the keypoints): ``"default"`` as in ``SanitizeBoundingBoxes``, a
            callable, or None (default) for the keypoints alone.
    """

    def __init__(self, labels_getter=None):
        super().__init__()
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = _labels_as_tuple(self._labels_getter(inputs))
        flat_inputs, spec = tree_flatten(inputs)
        points = get_keypoints(flat_inputs)
        if labels is not None:
            for label in labels:
                if points.shape[0] != label.shape[0]:
                    raise ValueError(
                        f"Number of kepyoints (shape={points.shape}) must match the number of "
                        f"labels.Found labels with shape={label.shape})."
                    )
        _, valid = F.sanitize_keypoints(points)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = _is_label(inpt, params["labels"])
        if not (is_label or isinstance(inpt, tv_tensors.KeyPoints)):
            return inpt
        output = inpt[params["valid"]]
        return output if is_label else tv_tensors.wrap(output, like=inpt)


class UniformTemporalSubsample(Transform):
    """Keep ``num_samples`` frames evenly spaced over the time dim of videos ``[..., T, C,
    H, W]`` (frames repeat when ``num_samples > T``).

    Args:
        num_samples (int): the number of frames to keep.
    """

    _transformed_types = (Tensor,)

    def __init__(self, num_samples):
        super().__init__()
        self.num_samples = num_samples

    def transform(self, inpt, params):
        return self._call_kernel(F.uniform_temporal_subsample, inpt, self.num_samples)
