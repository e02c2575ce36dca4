"""Random erasing, MixUp and CutMix of batches, and JPEG round trips."""

from __future__ import annotations

import math
import warnings

from PIL import Image as PILImage

import ember
from ember.distributions import Beta
from ember.nn.functional import one_hot

from ... import transforms as _v1
from ... import tv_tensors
from ..transforms import _check_sequence_input
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import (
    _parse_labels_getter,
    has_any,
    is_pure_tensor,
    query_chw,
    query_size,
    tree_flatten,
    tree_unflatten,
)


class RandomErasing(_RandomApplyTransform):
    """Erase a random rectangle of an image or video with probability ``p`` (Zhong et al.,
    2017). Masks, boxes and keypoints pass through, with a warning.

    Args:
        p (float): probability. Default 0.5.
        scale (tuple): range of the erased area, as a fraction of the input's. Default
            ``(0.02, 0.33)``.
        ratio (tuple): range of its aspect ratio, drawn log-uniformly. Default ``(0.3, 3.3)``.
        value (number, sequence or "random"): the fill: one value, one per channel, or
            ``"random"`` for standard normal noise. Default 0.
        inplace (bool): overwrite the input. Default False.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, inplace=False):
        super().__init__(p=p)
        # v1 checks value, scale and ratio the same way
        v1 = _v1.RandomErasing(p, scale, ratio, value, inplace)
        self.scale = v1.scale
        self.ratio = v1.ratio
        if isinstance(value, (int, float)):
            self.value = [float(value)]
        elif isinstance(value, str):
            self.value = None
        else:
            self.value = [float(v) for v in value]
        self.inplace = inplace
        self._log_ratio = [math.log(r) for r in self.ratio]

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints, tv_tensors.Mask)):
            warnings.warn(
                f"{type(self).__name__}() is currently passing through inputs of type "
                f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                stacklevel=2,
            )
        return super()._call_kernel(functional, inpt, *args, **kwargs)

    def make_params(self, flat_inputs):
        img_c, img_h, img_w = query_chw(flat_inputs)
        if self.value is not None and len(self.value) not in (1, img_c):
            raise ValueError(
                "If value is a sequence, it should have either a single value or "
                f"{img_c} (number of inpt channels)"
            )
        area = img_h * img_w
        log_ratio = self._log_ratio
        for _ in range(10):
            erase_area = area * ember.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect_ratio = math.exp(ember.empty(1).uniform_(log_ratio[0], log_ratio[1]).item())
            h = round(math.sqrt(erase_area * aspect_ratio))
            w = round(math.sqrt(erase_area / aspect_ratio))
            if not (h < img_h and w < img_w):
                continue
            if self.value is None:
                v = ember.empty([img_c, h, w], dtype=ember.float32).normal_()
            else:
                v = ember.tensor(self.value)[:, None, None]
            i = int(ember.randint(0, img_h - h + 1, size=(1,)).item())
            j = int(ember.randint(0, img_w - w + 1, size=(1,)).item())
            return dict(i=i, j=j, h=h, w=w, v=v)
        return dict(i=0, j=0, h=img_h, w=img_w, v=None)

    def transform(self, inpt, params):
        if params["v"] is None:
            return inpt
        return self._call_kernel(F.erase, inpt, **params, inplace=self.inplace)


class _BaseMixUpCutMix(Transform):
    """What MixUp and CutMix share: the Beta distribution of the mixing weight, finding the
    labels of the batch, and mixing them.

    Each image of a batch is mixed with the one before it (the first with the last): shuffle
    the batch first.
    """

    def __init__(self, *, alpha=1.0, num_classes=None, labels_getter="default"):
        super().__init__()
        self.alpha = float(alpha)
        self._dist = Beta(ember.tensor([alpha]), ember.tensor([alpha]))
        self.num_classes = num_classes
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        needs_transform_list = self._needs_transform_list(flat_inputs)
        unsupported = (
            PILImage.Image,
            tv_tensors.BoundingBoxes,
            tv_tensors.Mask,
            tv_tensors.KeyPoints,
        )
        if has_any(flat_inputs, *unsupported):
            raise ValueError(
                f"{type(self).__name__}() does not support PIL images, bounding boxes, keypoints "
                "and masks."
            )
        labels = self._labels_getter(inputs)
        if not isinstance(labels, ember.Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError(
                "labels should be index based with shape (batch_size,) or probability based "
                "with shape (batch_size, num_classes), but got a tensor of shape "
                f"{labels.shape} instead."
            )
        if (
            labels.ndim == 2
            and self.num_classes is not None
            and labels.shape[-1] != self.num_classes
        ):
            raise ValueError(
                "When passing 2D labels, the number of elements in last dimension must match "
                f"num_classes: {labels.shape[-1]} != {self.num_classes}. You can Leave "
                "num_classes to None."
            )
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        params = {
            "labels": labels,
            "batch_size": labels.shape[0],
            **self.make_params(
                [inpt for inpt, needs in zip(flat_inputs, needs_transform_list) if needs]
            ),
        }
        # the labels, a plain tensor after the images, would pass through untransformed
        needs_transform_list[next(i for i, inpt in enumerate(flat_inputs) if inpt is labels)] = True
        flat_outputs = [
            self.transform(inpt, params) if needs else inpt
            for inpt, needs in zip(flat_inputs, needs_transform_list)
        ]
        return tree_unflatten(flat_outputs, spec)

    def _check_image_or_video(self, inpt, *, batch_size):
        expected_num_dims = 5 if isinstance(inpt, tv_tensors.Video) else 4
        if inpt.ndim != expected_num_dims:
            raise ValueError(
                f"Expected a batched input with {expected_num_dims} dims, but got {inpt.ndim} "
                "dimensions instead."
            )
        if inpt.shape[0] != batch_size:
            raise ValueError(
                "The batch size of the image or video does not match the batch size of the "
                f"labels: {inpt.shape[0]} != {batch_size}."
            )

    def _mixup_label(self, label, *, lam):
        """``lam * label + (1 - lam) * previous label``, as one-hot float rows."""
        if label.ndim == 1:
            label = one_hot(label, num_classes=self.num_classes)
        if not label.is_floating_point():
            label = label.float()
        return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))

    def _is_image_or_video(self, inpt):
        return isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)) or is_pure_tensor(inpt)

    def _wrap_like(self, output, inpt):
        if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
            return tv_tensors.wrap(output, like=inpt)
        return output


class MixUp(_BaseMixUpCutMix):
    """MixUp (Zhang et al., "mixup: Beyond Empirical Risk Minimization") of a batch: each
    image becomes ``lam * image + (1 - lam) * previous image``, its label likewise, with
    ``lam`` drawn from ``Beta(alpha, alpha)``.

    Labels ``[N]`` become one-hot rows ``[N, num_classes]``; labels ``[N, num_classes]`` are
    mixed as they are. Each image is mixed with the one before it: shuffle the batch first.

    Args:
        alpha (float): parameter of the Beta distribution. Default 1.
        num_classes (int, optional): number of classes, for one-hot encoding; may be None
            only with one-hot labels.
        labels_getter (callable or "default"): how to find the labels; by default the second
            item of ``(images, labels)``, or the ``"labels"`` entry of a dict.
    """

    def make_params(self, flat_inputs):
        return dict(lam=float(self._dist.sample(())))

    def transform(self, inpt, params):
        lam = params["lam"]
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=lam)
        if not self._is_image_or_video(inpt):
            return inpt
        self._check_image_or_video(inpt, batch_size=params["batch_size"])
        output = inpt.roll(1, 0).mul_(1.0 - lam).add_(inpt.mul(lam))
        return self._wrap_like(output, inpt)


class CutMix(_BaseMixUpCutMix):
    """CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with
    Localizable Features") of a batch: a random box of each image is replaced by the same box
    of the previous image, and the labels are mixed by the area kept.

    The box, of area about ``1 - lam`` of the image with ``lam`` from ``Beta(alpha, alpha)``,
    is centred at a random pixel and clipped to the image; the labels are mixed with
    ``lam_adjusted = 1 - box area / image area``. Labels as in ``MixUp``.

    Args:
        alpha (float): parameter of the Beta distribution. Default 1.
        num_classes (int, optional): number of classes, for one-hot encoding; may be None
            only with one-hot labels.
        labels_getter (callable or "default"): how to find the labels, as in ``MixUp``.
    """

    def make_params(self, flat_inputs):
        lam = float(self._dist.sample(()))
        height, width = query_size(flat_inputs)
        r_x = ember.randint(width, size=(1,))
        r_y = ember.randint(height, size=(1,))
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half = int(r * width)
        r_h_half = int(r * height)
        x1 = int((r_x - r_w_half).clamp(min=0).item())
        y1 = int((r_y - r_h_half).clamp(min=0).item())
        x2 = int((r_x + r_w_half).clamp(max=width).item())
        y2 = int((r_y + r_h_half).clamp(max=height).item())
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (width * height))
        return dict(box=(x1, y1, x2, y2), lam_adjusted=lam_adjusted)

    def transform(self, inpt, params):
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=params["lam_adjusted"])
        if not self._is_image_or_video(inpt):
            return inpt
        self._check_image_or_video(inpt, batch_size=params["batch_size"])
        x1, y1, x2, y2 = params["box"]
        rolled = inpt.roll(1, 0)
        output = inpt.clone()
        output[..., y1:y2, x1:x2] = rolled[..., y1:y2, x1:x2]
        return self._wrap_like(output, inpt)


class JPEG(Transform):
    """Compress to JPEG and decode again, at a quality drawn from ``quality`` (through Pillow's
    encoder).

    Tensors must be uint8 ``[..., 1 or 3, H, W]``.

    Args:
        quality (int or sequence): JPEG quality from 1 to 100 (lower compresses more), or
            ``(min, max)`` to draw it from, both included.
    """

    def __init__(self, quality):
        super().__init__()
        if isinstance(quality, int):
            if isinstance(quality, bool):
                raise TypeError("quality can't be bool")
            quality = [quality, quality]
        else:
            _check_sequence_input(quality, "quality", req_sizes=(2,))
        if not (
            1 <= quality[0] <= quality[1] <= 100
            and isinstance(quality[0], int)
            and isinstance(quality[1], int)
        ):
            raise ValueError(f"quality must be an integer from 1 to 100, got {quality =}")
        self.quality = quality

    def make_params(self, flat_inputs):
        quality = int(ember.randint(self.quality[0], self.quality[1] + 1, ()).item())
        return dict(quality=quality)

    def transform(self, inpt, params):
        return self._call_kernel(F.jpeg, inpt, quality=params["quality"])
