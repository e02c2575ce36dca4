"""Automatic augmentation policies for whole samples: AutoAugment, RandAugment,
TrivialAugmentWide and AugMix (``torchvision.transforms.v2._auto_augment``).

Each transforms the one image or video of a sample (tensor, ``Image``, ``Video`` or PIL) with
operations drawn from a table of magnitude bins, torchvision's ``_AUGMENTATION_SPACE``: for
each operation a function ``(num_bins, height, width) -> magnitudes`` (None for operations
without one) and whether its sign is drawn. The random choices come from ember's generator in
torchvision's order. Unlike v1, ``Solarize``'s magnitudes are fractions of the dtype's maximum,
so float images work too.
"""

from __future__ import annotations

from PIL import Image as PILImage

import ember
from ember import Tensor
from ember.distributions import Dirichlet

from ... import tv_tensors
from .. import _functional_tensor as _F_t
from ..autoaugment import _ENHANCEMENTS, _POLICIES, AutoAugmentPolicy, _apply_op, _posterize_bits
from . import functional as F
from ._transform import Transform
from ._utils import (
    _get_fill,
    _setup_fill_arg,
    check_type,
    is_pure_tensor,
    tree_flatten,
    tree_unflatten,
)

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _no_magnitudes(num_bins, height, width):
    return None


class _AutoAugmentBase(Transform):
    """What the four policies share: finding the one image or video of the sample, drawing
    an operation and its magnitude, and applying it."""

    def __init__(self, *, interpolation="nearest", fill=None):
        super().__init__()
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def _get_random_item(self, dct):
        keys = tuple(dct.keys())
        key = keys[int(ember.randint(len(keys), ()).item())]
        return key, dct[key]

    @staticmethod
    def _magnitude(entry, num_bins, height, width, bin_index):
        """The magnitude of one operation: bin ``bin_index`` of its table (a callable draws the
        bin, only when the operation has magnitudes), negated with probability 1/2 when
        signed; 0 for the operations without magnitudes."""
        magnitudes_fn, signed = entry
        magnitudes = magnitudes_fn(num_bins, height, width)
        if magnitudes is None:
            return 0.0
        magnitude = float(magnitudes[bin_index() if callable(bin_index) else bin_index])
        if signed and ember.rand(()).item() <= 0.5:
            magnitude *= -1
        return magnitude

    def _flatten_and_extract_image_or_video(
        self,
        inputs,
        unsupported_types=(tv_tensors.BoundingBoxes, tv_tensors.Mask, tv_tensors.KeyPoints),
    ):
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        needs_transform_list = self._needs_transform_list(flat_inputs)
        image_types = (tv_tensors.Image, PILImage.Image, is_pure_tensor, tv_tensors.Video)
        image_or_videos = []
        for idx, (inpt, needs_transform) in enumerate(zip(flat_inputs, needs_transform_list)):
            if needs_transform and check_type(inpt, image_types):
                image_or_videos.append((idx, inpt))
            elif isinstance(inpt, unsupported_types):
                raise TypeError(
                    f"Inputs of type {type(inpt).__name__} are not supported by "
                    f"{type(self).__name__}()"
                )
        if not image_or_videos:
            raise TypeError("Found no image in the sample.")
        if len(image_or_videos) > 1:
            raise TypeError(
                "Auto augment transformations are only properly defined for a single image or "
                f"video, but found {len(image_or_videos)}."
            )
        idx, image_or_video = image_or_videos[0]
        return (flat_inputs, spec, idx), image_or_video

    def _unflatten_and_insert_image_or_video(self, flat_inputs_with_spec, image_or_video):
        flat_inputs, spec, idx = flat_inputs_with_spec
        flat_inputs[idx] = image_or_video
        return tree_unflatten(flat_inputs, spec)

    def _apply_image_or_video_transform(self, image, transform_id, magnitude, interpolation, fill):
        """The operation ``transform_id`` at ``magnitude``."""
        fill = _get_fill(fill, type(image))
        if transform_id == "Solarize":  # (v2's magnitudes are fractions of the largest value)
            bound = _F_t._max_value(image.dtype) if isinstance(image, Tensor) else 255.0
            magnitude = bound * magnitude
        return _apply_op(image, transform_id, magnitude, interpolation, fill, functional=F)


def _enhancement_space(end):
    """The four enhancements, signed, on ``linspace(0, end)``."""
    return {
        name: (lambda num_bins, height, width: ember.linspace(0.0, end, num_bins), True)
        for name in _ENHANCEMENTS
    }


_AUTOAUGMENT_SPACE = {
    "ShearX": (lambda num_bins, height, width: ember.linspace(0.0, 0.3, num_bins), True),
    "ShearY": (lambda num_bins, height, width: ember.linspace(0.0, 0.3, num_bins), True),
    "TranslateX": (
        lambda num_bins, height, width: ember.linspace(0.0, 150.0 / 331.0 * width, num_bins),
        True,
    ),
    "TranslateY": (
        lambda num_bins, height, width: ember.linspace(0.0, 150.0 / 331.0 * height, num_bins),
        True,
    ),
    "Rotate": (lambda num_bins, height, width: ember.linspace(0.0, 30.0, num_bins), True),
    **_enhancement_space(0.9),
    "Posterize": (lambda num_bins, height, width: _posterize_bits(num_bins, 4), False),
    "Solarize": (lambda num_bins, height, width: ember.linspace(1.0, 0.0, num_bins), False),
    "AutoContrast": (_no_magnitudes, False),
    "Equalize": (_no_magnitudes, False),
}


class AutoAugment(_AutoAugmentBase):
    """AutoAugment (Cubuk et al., "AutoAugment: Learning Augmentation Strategies from Data"):
    one of the policy's 25 learned sub-policies, each two operations with their own
    probability and magnitude bin (of 10).

    Tensors should be uint8 ``[..., 1 or 3, H, W]`` (float images work too); PIL images mode
    L or RGB.

    Args:
        policy (AutoAugmentPolicy): IMAGENET (default), CIFAR10 or SVHN.
        interpolation (InterpolationMode or str): NEAREST (default) or BILINEAR.
        fill (number, sequence or dict): value outside the transformed image, as in ``Pad``.
    """

    _AUGMENTATION_SPACE = {**_AUTOAUGMENT_SPACE, "Invert": (_no_magnitudes, False)}

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation="nearest", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self._policies = _POLICIES[policy]

    def forward(self, *inputs):
        flat_inputs_with_spec, image_or_video = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(image_or_video)
        policy = self._policies[int(ember.randint(len(self._policies), ()).item())]
        for transform_id, probability, magnitude_idx in policy:
            if not ember.rand(()).item() <= probability:
                continue
            magnitude = self._magnitude(
                self._AUGMENTATION_SPACE[transform_id], 10, height, width, magnitude_idx
            )
            image_or_video = self._apply_image_or_video_transform(
                image_or_video, transform_id, magnitude, self.interpolation, self._fill
            )
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, image_or_video)


class RandAugment(_AutoAugmentBase):
    """RandAugment (Cubuk et al., "RandAugment: Practical automated data augmentation with a
    reduced search space"): ``num_ops`` operations drawn uniformly, all at the magnitude bin
    ``magnitude``.

    Args:
        num_ops (int): operations applied in turn, non-negative. Default 2.
        magnitude (int): the magnitude bin of every operation. Default 9.
        num_magnitude_bins (int): number of magnitude bins. Default 31.
        interpolation (InterpolationMode or str): NEAREST (default) or BILINEAR.
        fill (number, sequence or dict): value outside the transformed image, as in ``Pad``.
    """

    _AUGMENTATION_SPACE = {"Identity": (_no_magnitudes, False), **_AUTOAUGMENT_SPACE}

    def __init__(
        self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation="nearest", fill=None
    ):
        super().__init__(interpolation=interpolation, fill=fill)
        if not isinstance(num_ops, int) or (num_ops < 0):
            raise ValueError(
                f"num_ops should be a non-negative integer, but got {num_ops} instead."
            )
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs):
        flat_inputs_with_spec, image_or_video = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(image_or_video)
        for _ in range(self.num_ops):
            transform_id, entry = self._get_random_item(self._AUGMENTATION_SPACE)
            magnitude = self._magnitude(
                entry, self.num_magnitude_bins, height, width, self.magnitude
            )
            image_or_video = self._apply_image_or_video_transform(
                image_or_video, transform_id, magnitude, self.interpolation, self._fill
            )
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, image_or_video)


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment Wide (Müller and Hutter, "TrivialAugment: Tuning-free Yet
    State-of-the-Art Data Augmentation"): one operation and one magnitude bin, both drawn
    uniformly, from wider ranges than RandAugment's.

    Args:
        num_magnitude_bins (int): number of magnitude bins. Default 31.
        interpolation (InterpolationMode or str): NEAREST (default) or BILINEAR.
        fill (number, sequence or dict): value outside the transformed image, as in ``Pad``.
    """

    _AUGMENTATION_SPACE = {
        "Identity": (_no_magnitudes, False),
        "ShearX": (lambda num_bins, height, width: ember.linspace(0.0, 0.99, num_bins), True),
        "ShearY": (lambda num_bins, height, width: ember.linspace(0.0, 0.99, num_bins), True),
        "TranslateX": (lambda num_bins, height, width: ember.linspace(0.0, 32.0, num_bins), True),
        "TranslateY": (lambda num_bins, height, width: ember.linspace(0.0, 32.0, num_bins), True),
        "Rotate": (lambda num_bins, height, width: ember.linspace(0.0, 135.0, num_bins), True),
        **_enhancement_space(0.99),
        "Posterize": (lambda num_bins, height, width: _posterize_bits(num_bins, 6), False),
        "Solarize": (lambda num_bins, height, width: ember.linspace(1.0, 0.0, num_bins), False),
        "AutoContrast": (_no_magnitudes, False),
        "Equalize": (_no_magnitudes, False),
    }

    def __init__(self, num_magnitude_bins=31, interpolation="nearest", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs):
        flat_inputs_with_spec, image_or_video = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(image_or_video)
        transform_id, entry = self._get_random_item(self._AUGMENTATION_SPACE)
        magnitude = self._magnitude(
            entry,
            self.num_magnitude_bins,
            height,
            width,
            lambda: int(ember.randint(self.num_magnitude_bins, ()).item()),
        )
        image_or_video = self._apply_image_or_video_transform(
            image_or_video, transform_id, magnitude, self.interpolation, self._fill
        )
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, image_or_video)


class AugMix(_AutoAugmentBase):
    """AugMix (Hendrycks et al., "AugMix: A Simple Data Processing Method to Improve
    Robustness and Uncertainty"): ``mixture_width`` chains of random operations, mixed with
    Dirichlet weights, then mixed with the original by a Beta weight; the result has the
    input's dtype.

    Args:
        severity (int): magnitude bin bound of the operations, from 1 to 10. Default 3.
        mixture_width (int): number of augmentation chains. Default 3.
        chain_depth (int): operations per chain; a non-positive value draws it from [1, 3]
            for each chain. Default -1.
        alpha (float): concentration of the Dirichlet and Beta distributions. Default 1.0.
        all_ops (bool): also use Brightness, Color, Contrast and Sharpness. Default True.
        interpolation (InterpolationMode or str): BILINEAR (default) or NEAREST.
        fill (number, sequence or dict): value outside the transformed image, as in ``Pad``.
    """

    _PARTIAL_AUGMENTATION_SPACE = {
        "ShearX": (lambda num_bins, height, width: ember.linspace(0.0, 0.3, num_bins), True),
        "ShearY": (lambda num_bins, height, width: ember.linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (
            lambda num_bins, height, width: ember.linspace(0.0, width / 3.0, num_bins),
            True,
        ),
        "TranslateY": (
            lambda num_bins, height, width: ember.linspace(0.0, height / 3.0, num_bins),
            True,
        ),
        "Rotate": (lambda num_bins, height, width: ember.linspace(0.0, 30.0, num_bins), True),
        "Posterize": (lambda num_bins, height, width: _posterize_bits(num_bins, 4, most=4), False),
        "Solarize": (lambda num_bins, height, width: ember.linspace(1.0, 0.0, num_bins), False),
        "AutoContrast": (_no_magnitudes, False),
        "Equalize": (_no_magnitudes, False),
    }
    _AUGMENTATION_SPACE = {**_PARTIAL_AUGMENTATION_SPACE, **_enhancement_space(0.9)}

    def __init__(
        self,
        severity=3,
        mixture_width=3,
        chain_depth=-1,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        fill=None,
    ):
        super().__init__(interpolation=interpolation, fill=fill)
        self._PARAMETER_MAX = 10
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(
                f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead."
            )
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _sample_dirichlet(self, params):
        """One Dirichlet sample per row of ``params`` (torch's ``_sample_dirichlet``); a method
        of its own so that tests can replace it."""
        return Dirichlet(params).sample()

    def forward(self, *inputs):
        flat_inputs_with_spec, orig_image_or_video = self._flatten_and_extract_image_or_video(
            inputs
        )
        height, width = F.get_size(orig_image_or_video)
        if isinstance(orig_image_or_video, Tensor):
            image_or_video = orig_image_or_video
        else:
            image_or_video = F.pil_to_tensor(orig_image_or_video)
        if self.all_ops:
            augmentation_space = self._AUGMENTATION_SPACE
        else:
            augmentation_space = self._PARTIAL_AUGMENTATION_SPACE

        orig_dims = list(image_or_video.shape)
        expected_ndim = 5 if isinstance(orig_image_or_video, tv_tensors.Video) else 4
        batch = image_or_video.reshape(
            [1] * max(expected_ndim - image_or_video.ndim, 0) + orig_dims
        )
        batch_dims = [batch.shape[0]] + [1] * (batch.ndim - 1)

        # Beta weights for mixing the original and the augmented images, as a Dirichlet of two
        # parameters: column 0 weighs the original, column 1 the augmented images
        alphas = ember.tensor([self.alpha, self.alpha], device=batch.device)
        m = self._sample_dirichlet(alphas.expand(batch_dims[0], -1))
        # the chains' mixing weights, scaled by the augmented images' share
        chain_alphas = ember.tensor([self.alpha] * self.mixture_width, device=batch.device)
        combined_weights = self._sample_dirichlet(chain_alphas.expand(batch_dims[0], -1)) * m[
            :, 1
        ].reshape([batch_dims[0], -1])

        mix = m[:, 0].reshape(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth
            if depth <= 0:
                depth = int(ember.randint(low=1, high=4, size=(1,)).item())
            for _ in range(depth):
                transform_id, entry = self._get_random_item(augmentation_space)
                magnitude = self._magnitude(
                    entry,
                    self._PARAMETER_MAX,
                    height,
                    width,
                    lambda: int(ember.randint(self.severity, ()).item()),
                )
                aug = self._apply_image_or_video_transform(
                    aug, transform_id, magnitude, self.interpolation, self._fill
                )
            mix.add_(combined_weights[:, i].reshape(batch_dims) * aug)
        mix = mix.reshape(orig_dims).to(dtype=image_or_video.dtype)

        if isinstance(orig_image_or_video, (tv_tensors.Image, tv_tensors.Video)):
            mix = tv_tensors.wrap(mix, like=orig_image_or_video)
        elif isinstance(orig_image_or_video, PILImage.Image):
            mix = F.to_pil_image(mix)
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, mix)
