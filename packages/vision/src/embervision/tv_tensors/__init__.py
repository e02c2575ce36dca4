"""TVTensors (``torchvision.tv_tensors``): tensor subclasses that tell the v2 transforms what a
tensor holds — an image, a video, a segmentation mask, bounding boxes or keypoints — so that
one transform treats each of them the right way.

As in torchvision, operations on a TVTensor return plain tensors (the result of an arbitrary
operation is no longer known to be, say, an image); only ``clone``, ``to``, ``detach`` and
``requires_grad_`` keep the type and metadata. The v2 transforms re-wrap their outputs, and
``wrap`` does the same for user code.
"""

from __future__ import annotations

from enum import Enum

from PIL import Image as _PILImage

import ember
from ember import Tensor

from ..transforms.functional import pil_to_tensor

__all__ = [
    "TVTensor",
    "Image",
    "Video",
    "Mask",
    "BoundingBoxes",
    "BoundingBoxFormat",
    "KeyPoints",
    "wrap",
]


def _to_tensor(data, dtype, device, requires_grad):
    """``data`` as a tensor; ``requires_grad`` None takes it from a tensor ``data``."""
    if requires_grad is None:
        requires_grad = data.requires_grad if isinstance(data, Tensor) else False
    return ember.as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)


def _as_plain(tensor):
    """A plain Tensor sharing ``tensor``'s data and its place in the autograd graph
    (torch's ``tensor.as_subclass(torch.Tensor)``)."""
    return Tensor._make(tensor._data, tensor._requires_grad, tensor._grad_fn, tensor._output_nr)


class TVTensor(Tensor):
    """Base class of the TVTensors: a Tensor that the v2 transforms recognise by its type.

    Operations on it return plain tensors, except ``clone``, ``to``, ``detach`` and
    ``requires_grad_``, which keep the subclass and its metadata.
    """

    __slots__ = ()

    def _adopt(self, tensor):
        # share the data and the autograd history (grad_fn) of ``tensor``; a leaf that
        # requires grad becomes a new leaf, whose .grad is its own
        self._init(tensor._data, tensor._requires_grad)
        self._grad_fn = tensor._grad_fn
        self._output_nr = tensor._output_nr

    @classmethod
    def _wrap(cls, tensor):
        output = object.__new__(cls)
        output._adopt(tensor)
        return output

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        """``tensor`` as this TVTensor type with ``like``'s metadata (``kwargs`` override it);
        what :func:`wrap` calls, and what a TVTensor with its own metadata overrides."""
        return cls._wrap(tensor)

    def _rewrap(self, output):
        """``output`` wrapped with this TVTensor's type and metadata."""
        return wrap(output, like=self)

    def clone(self):
        return self._rewrap(super().clone())

    def to(self, *args, **kwargs):
        output = super().to(*args, **kwargs)
        return output if output is self else self._rewrap(output)

    def detach(self):
        return self._rewrap(super().detach())

    def _extra_repr(self):
        return ""

    def __repr__(self):
        text = super().__repr__()
        if text.startswith("tensor("):
            text = type(self).__name__ + text[len("tensor") : -1] + self._extra_repr() + ")"
        return text


class Image(TVTensor):
    """A tensor image ``[..., C, H, W]``.

    Args:
        data: anything ``ember.as_tensor`` takes, or a PIL image. A 2-d tensor gets a channel
            dim of 1.
        dtype: dtype of the image (default: inferred from ``data``).
        device: device of the image (default: ``data``'s when it is a tensor, else the CPU).
        requires_grad: whether autograd records operations on it (default: ``data``'s when it
            is a tensor, else False).
    """

    __slots__ = ()

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            data = pil_to_tensor(data)
        tensor = _to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"An image needs at least 2 dims, got {tensor.ndim}")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        self._adopt(tensor)


class Video(TVTensor):
    """A tensor video ``[..., T, C, H, W]``.

    Args:
        data: anything ``ember.as_tensor`` takes; at least 4-d.
        dtype, device, requires_grad: as for ``Image``.
    """

    __slots__ = ()

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        tensor = _to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 4:
            raise ValueError(f"A video needs at least 4 dims, got {tensor.ndim}")
        self._adopt(tensor)


class Mask(TVTensor):
    """A segmentation or detection mask ``[..., H, W]``.

    Args:
        data: anything ``ember.as_tensor`` takes, or a PIL image (its first band).
        dtype, device, requires_grad: as for ``Image``.
    """

    __slots__ = ()

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            data = pil_to_tensor(data)[0]
        self._adopt(_to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad))


class BoundingBoxFormat(Enum):
    """Coordinate format of a bounding box.

    * ``XYXY``: the corners; x1, y1 the top left, x2, y2 the bottom right.
    * ``XYWH``: the top-left corner x1, y1, the width w and the height h.
    * ``CXCYWH``: the centre cx, cy, the width w and the height h.

    (torchvision's rotated formats XYWHR, CXCYWHR and XYXYXYXY are not supported.)
    """

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


class BoundingBoxes(TVTensor):
    """Bounding boxes ``[N, 4]`` of one image or video, with their format and canvas size.

    Args:
        data: anything ``ember.as_tensor`` takes; a single box ``[4]`` becomes ``[1, 4]``.
        format (BoundingBoxFormat or str): format of the boxes.
        canvas_size (two-tuple of ints): height and width of the image or video.
        clamping_mode: ``"soft"`` (default), ``"hard"`` or None: whether transforms that may
            move boxes partly outside the canvas clamp them (soft and hard are the same for
            unrotated boxes; None never clamps).
        dtype, device, requires_grad: as for ``Image``.
    """

    __slots__ = ("format", "canvas_size", "clamping_mode")

    def __init__(
        self,
        data,
        *,
        format,
        canvas_size,
        clamping_mode="soft",
        dtype=None,
        device=None,
        requires_grad=None,
    ):
        tensor = _to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        self._set(tensor, format, canvas_size, clamping_mode)

    def _set(self, tensor, format, canvas_size, clamping_mode):
        if tensor.ndim == 1:
            tensor = tensor.unsqueeze(0)
        elif tensor.ndim != 2:
            raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        self._adopt(tensor)
        self.format = format
        self.canvas_size = tuple(canvas_size)
        self.clamping_mode = clamping_mode

    @classmethod
    def _wrap(cls, tensor, *, format, canvas_size, clamping_mode="soft"):
        output = object.__new__(cls)
        output._set(tensor, format, canvas_size, clamping_mode)
        return output

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        return cls._wrap(
            tensor,
            format=kwargs.get("format", like.format),
            canvas_size=kwargs.get("canvas_size", like.canvas_size),
            clamping_mode=kwargs.get("clamping_mode", like.clamping_mode),
        )

    def _extra_repr(self):
        return (
            f", format={self.format}, canvas_size={self.canvas_size}, "
            f"clamping_mode={self.clamping_mode}"
        )


class KeyPoints(TVTensor):
    """Points ``[..., 2]`` of one image or video, each ``(x, y)`` along its width and height.

    They may be single points ``[N, 2]``, polygons or polygonal chains ``[N, P, 2]``, or
    skeletons ``[N, B, 2, 2]``; transforms move every point the way the image moves its pixels
    and, unlike boxes, never clamp them (see ``ClampKeyPoints`` and ``SanitizeKeyPoints``).

    Args:
        data: anything ``ember.as_tensor`` takes; a single point ``[2]`` becomes ``[1, 2]``.
        canvas_size (two-tuple of ints): height and width of the image or video.
        dtype, device, requires_grad: as for ``Image``.
    """

    __slots__ = ("canvas_size",)

    def __init__(self, data, *, canvas_size, dtype=None, device=None, requires_grad=None):
        tensor = _to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        self._set(tensor, canvas_size)

    def _set(self, tensor, canvas_size, check_dims=True):
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {tensor.shape}")
        self._adopt(tensor)
        self.canvas_size = tuple(canvas_size)

    @classmethod
    def _wrap(cls, tensor, *, canvas_size, check_dims=True):
        output = object.__new__(cls)
        output._set(tensor, canvas_size, check_dims)
        return output

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        return cls._wrap(tensor, canvas_size=kwargs.get("canvas_size", like.canvas_size))

    def _extra_repr(self):
        return f", canvas_size={self.canvas_size}"


def wrap(wrappee, *, like, **kwargs):
    """Wrap a tensor into the TVTensor type of ``like``, with ``like``'s metadata.

    Args:
        wrappee (Tensor): the tensor to wrap (its data is shared, not copied).
        like (TVTensor): the TVTensor whose type and metadata the result takes.
        **kwargs: metadata to override, for ``BoundingBoxes``: ``format``, ``canvas_size``,
            ``clamping_mode``; for ``KeyPoints``: ``canvas_size``.
    """
    return type(like).wrap(wrappee, like, **kwargs)
