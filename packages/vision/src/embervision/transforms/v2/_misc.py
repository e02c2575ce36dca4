"""Identity, Lambda, normalisation, blur, dtype conversion and box sanitising."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from PIL import Image as PILImage

import ember
from ember import Tensor

from ... import transforms as _v1
from ... import tv_tensors
from . import functional as F
from ._transform import Transform
from ._utils import get_bounding_boxes, has_any, is_pure_tensor, tree_flatten, tree_unflatten


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


def _find_labels_default_heuristic(inputs):
    """The labels of a sample: the second item of a pair when it is a tensor, else the value
    under the ``labels`` key (case-insensitive; else the first key containing ``label``) of
    the dict that is the sample or its second item."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, Mapping):
        raise ValueError(
            "When using the default labels_getter, the input passed to forward must be a "
            "dictionary or a two-tuple whose second item is a dictionary or a tensor, but got "
            f"{inputs} instead."
        )
    keys = [key for key in inputs if key.lower() == "labels"]
    keys += [key for key in inputs if "label" in key.lower()]
    if not keys:
        raise ValueError(
            "Could not infer where the labels are in the sample. Try passing a callable as the "
            "labels_getter parameter?If there are no labels in the sample by design, pass "
            "labels_getter=None."
        )
    return inputs[keys[0]]


def _parse_labels_getter(labels_getter):
    if labels_getter == "default":
        return _find_labels_default_heuristic
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError(
        f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}."
    )


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
        labels = self._labels_getter(inputs)
        if labels is not None:
            msg = (
                "The labels in the input to forward() must be a tensor or None, got {type} instead."
            )
            if isinstance(labels, Tensor):
                labels = (labels,)
            elif isinstance(labels, (tuple, list)):
                for entry in labels:
                    if not isinstance(entry, Tensor):
                        raise ValueError(msg.format(type=type(entry)))
            else:
                raise ValueError(msg.format(type=type(labels)))
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
        is_label = params["labels"] is not None and any(inpt is label for label in params["labels"])
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
