"""Automatic augmentation policies: AutoAugment, RandAugment, TrivialAugmentWide and AugMix
(``torchvision.transforms.autoaugment``).

Each applies operations from a shared set (``_apply_op``) to a PIL image (mode L or RGB) or a
uint8 tensor ``(..., 1 or 3, H, W)``, with magnitudes from a table of bins. The random choices
are drawn from ember's generator in torchvision's order.
"""

from __future__ import annotations

import math
from enum import Enum

import ember
from ember import Tensor
from ember.distributions import Dirichlet
from ember.nn import Module

from . import functional as F
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img, op_name, magnitude, interpolation, fill, functional=F):
    """Apply the operation ``op_name`` at ``magnitude``, with the kernels of ``functional``:
    this package's ``functional``, or ``transforms.v2.functional`` (whose functions of these
    names take the same arguments)."""
    if op_name in ("ShearX", "ShearY"):
        # torchvision shears by the angle atan(magnitude), i.e. x' = x + magnitude * y as in
        # the original AutoAugment, about the top-left corner
        angle = math.degrees(math.atan(magnitude))
        return functional.affine(
            img,
            angle=0.0,
            translate=[0, 0],
            scale=1.0,
            shear=[angle, 0.0] if op_name == "ShearX" else [0.0, angle],
            interpolation=interpolation,
            fill=fill,
            center=[0, 0],
        )
    if op_name in ("TranslateX", "TranslateY"):
        translate = [int(magnitude), 0] if op_name == "TranslateX" else [0, int(magnitude)]
        return functional.affine(
            img,
            angle=0.0,
            translate=translate,
            scale=1.0,
            interpolation=interpolation,
            shear=[0.0, 0.0],
            fill=fill,
        )
    if op_name == "Rotate":
        return functional.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name in _ENHANCEMENTS:
        return getattr(functional, _ENHANCEMENTS[op_name])(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return functional.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return functional.solarize(img, magnitude)
    if op_name in _PARAMETERLESS:
        return getattr(functional, _PARAMETERLESS[op_name])(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


# the operations that blend with a degenerate image by the factor 1 + magnitude, and those
# without a magnitude: their functions' names
_ENHANCEMENTS = {
    "Brightness": "adjust_brightness",
    "Color": "adjust_saturation",
    "Contrast": "adjust_contrast",
    "Sharpness": "adjust_sharpness",
}
_PARAMETERLESS = {"AutoContrast": "autocontrast", "Equalize": "equalize", "Invert": "invert"}


def _posterize_bits(num_bins, max_drop, most=8):
    """Bit counts from ``most`` down to ``most - max_drop`` over ``num_bins`` bins."""
    return most - (ember.arange(num_bins) / ((num_bins - 1) / max_drop)).round().int()


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on different datasets: IMAGENET, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# each policy: 25 sub-policies of two (operation, probability, magnitude bin) steps
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class _AutoAugmentBase(Module):
    """What the three policies share: interpolation, fill and the magnitude table."""

    def __init__(self, interpolation, fill):
        super().__init__()
        self.interpolation = interpolation
        self.fill = fill

    def _fill_for(self, img):
        """Tensors take ``fill`` as one float per channel."""
        fill = self.fill
        if isinstance(img, Tensor):
            if isinstance(fill, (int, float)):
                return [float(fill)] * F.get_dimensions(img)[0]
            if fill is not None:
                return [float(f) for f in fill]
        return fill

    @staticmethod
    def _magnitudes(num_bins, image_size):
        """``{op_name: (magnitudes, signed)}`` for the AutoAugment / RandAugment ranges;
        ``image_size`` is ``(height, width)``."""
        return {
            "ShearX": (ember.linspace(0.0, 0.3, num_bins), True),
            "ShearY": (ember.linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (ember.linspace(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "TranslateY": (ember.linspace(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "Rotate": (ember.linspace(0.0, 30.0, num_bins), True),
            "Brightness": (ember.linspace(0.0, 0.9, num_bins), True),
            "Color": (ember.linspace(0.0, 0.9, num_bins), True),
            "Contrast": (ember.linspace(0.0, 0.9, num_bins), True),
            "Sharpness": (ember.linspace(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 4), False),
            "Solarize": (ember.linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (ember.tensor(0.0), False),
            "Equalize": (ember.tensor(0.0), False),
        }


class AutoAugment(_AutoAugmentBase):
    """AutoAugment (Cubuk et al., "AutoAugment: Learning Augmentation Strategies from Data"):
    applies one of the policy's 25 learned sub-policies, each two operations with their own
    probability and magnitude.

    Args:
        policy (AutoAugmentPolicy): IMAGENET (default), CIFAR10 or SVHN.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        fill (sequence or number, optional): value outside the transformed image.
    """

    def __init__(
        self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None
    ):
        super().__init__(interpolation, fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self.policies = _POLICIES[policy]

    def _augmentation_space(self, num_bins, image_size):
        return {**self._magnitudes(num_bins, image_size), "Invert": (ember.tensor(0.0), False)}

    @staticmethod
    def get_params(transform_num):
        """``(policy_id, probs, signs)``: a sub-policy index, and for each of its two steps a
        probability draw and a sign draw (0 negates a signed magnitude)."""
        policy_id = int(ember.randint(transform_num, (1,)).item())
        probs = ember.rand((2,))
        signs = ember.randint(2, (2,))
        return policy_id, probs, signs

    def forward(self, img):
        fill = self._fill_for(img)
        _, height, width = F.get_dimensions(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i].item() <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = (
                    float(magnitudes[magnitude_id].item()) if magnitude_id is not None else 0.0
                )
                if signed and signs[i].item() == 0:
                    magnitude *= -1.0
                img = _apply_op(
                    img, op_name, magnitude, interpolation=self.interpolation, fill=fill
                )
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(_AutoAugmentBase):
    """RandAugment (Cubuk et al., "RandAugment: Practical automated data augmentation with a
    reduced search space"): ``num_ops`` operations picked uniformly, all at one magnitude.

    Args:
        num_ops (int): operations applied in sequence. Default 2.
        magnitude (int): the magnitude bin of all operations. Default 9.
        num_magnitude_bins (int): number of magnitude bins. Default 31.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        fill (sequence or number, optional): value outside the transformed image.
    """

    def __init__(
        self,
        num_ops=2,
        magnitude=9,
        num_magnitude_bins=31,
        interpolation=InterpolationMode.NEAREST,
        fill=None,
    ):
        super().__init__(interpolation, fill)
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins, image_size):
        return {"Identity": (ember.tensor(0.0), False), **self._magnitudes(num_bins, image_size)}

    def forward(self, img):
        fill = self._fill_for(img)
        _, height, width = F.get_dimensions(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        op_names = list(op_meta)
        for _ in range(self.num_ops):
            op_name = op_names[int(ember.randint(len(op_meta), (1,)).item())]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            if signed and ember.randint(2, (1,)).item():
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
            f"num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment Wide (Müller and Hutter, "TrivialAugment: Tuning-free Yet State-of-the-Art
    Data Augmentation"): one operation at one magnitude, both picked uniformly, from wider
    ranges than RandAugment's.

    Args:
        num_magnitude_bins (int): number of magnitude bins. Default 31.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        fill (sequence or number, optional): value outside the transformed image.
    """

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins):
        return {
            "Identity": (ember.tensor(0.0), False),
            "ShearX": (ember.linspace(0.0, 0.99, num_bins), True),
            "ShearY": (ember.linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (ember.linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (ember.linspace(0.0, 32.0, num_bins), True),
            "Rotate": (ember.linspace(0.0, 135.0, num_bins), True),
            "Brightness": (ember.linspace(0.0, 0.99, num_bins), True),
            "Color": (ember.linspace(0.0, 0.99, num_bins), True),
            "Contrast": (ember.linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (ember.linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 6), False),
            "Solarize": (ember.linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (ember.tensor(0.0), False),
            "Equalize": (ember.tensor(0.0), False),
        }

    def forward(self, img):
        fill = self._fill_for(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name = list(op_meta)[int(ember.randint(len(op_meta), (1,)).item())]
        magnitudes, signed = op_meta[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[int(ember.randint(len(magnitudes), (1,)).item())].item())
        if signed and ember.randint(2, (1,)).item():
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


class AugMix(_AutoAugmentBase):
    """AugMix (Hendrycks et al., "AugMix: A Simple Data Processing Method to Improve Robustness
    and Uncertainty"): ``mixture_width`` chains of random operations, their results mixed with
    Dirichlet weights, then mixed with the original image by a Beta-distributed weight.

    The image is a PIL image (mode L or RGB) or a uint8 tensor ``(..., 1 or 3, H, W)``; each
    image of a batch draws its own mixing weights, all share the chains' operations. The mix
    is truncated back to the input's dtype.

    Args:
        severity (int): magnitude bin of the operations, from 1 to 10. Default 3.
        mixture_width (int): number of augmentation chains. Default 3.
        chain_depth (int): operations per chain; a negative value draws it from [1, 3] for
            each chain. Default -1.
        alpha (float): concentration of the Dirichlet and Beta distributions. Default 1.0.
        all_ops (bool): also use Brightness, Color, Contrast and Sharpness. Default True.
        interpolation (InterpolationMode): BILINEAR (default) or NEAREST.
        fill (sequence or number, optional): value outside the transformed image.
    """

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity=3,
        mixture_width=3,
        chain_depth=-1,
        alpha=1.0,
        all_ops=True,
        interpolation=InterpolationMode.BILINEAR,
        fill=None,
    ):
        super().__init__(interpolation, fill)
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(
                f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead."
            )
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _augmentation_space(self, num_bins, image_size):
        s = {
            "ShearX": (ember.linspace(0.0, 0.3, num_bins), True),
            "ShearY": (ember.linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (ember.linspace(0.0, image_size[1] / 3.0, num_bins), True),
            "TranslateY": (ember.linspace(0.0, image_size[0] / 3.0, num_bins), True),
            "Rotate": (ember.linspace(0.0, 30.0, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 4, most=4), False),
            "Solarize": (ember.linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (ember.tensor(0.0), False),
            "Equalize": (ember.tensor(0.0), False),
        }
        if self.all_ops:
            s.update(
                {
                    "Brightness": (ember.linspace(0.0, 0.9, num_bins), True),
                    "Color": (ember.linspace(0.0, 0.9, num_bins), True),
                    "Contrast": (ember.linspace(0.0, 0.9, num_bins), True),
                    "Sharpness": (ember.linspace(0.0, 0.9, num_bins), True),
                }
            )
        return s

    def _sample_dirichlet(self, params):
        """One Dirichlet sample per row of ``params`` (torch's ``_sample_dirichlet``); a method
        of its own so that tests can replace it."""
        return Dirichlet(params).sample()

    def forward(self, orig_img):
        fill = self._fill_for(orig_img)
        _, height, width = F.get_dimensions(orig_img)
        img = orig_img if isinstance(orig_img, Tensor) else F.pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        op_names = list(op_meta)

        orig_dims = list(img.shape)
        batch = img.view([1] * max(4 - img.ndim, 0) + orig_dims)
        n = batch.shape[0]
        batch_dims = [n] + [1] * (batch.ndim - 1)
        # Beta weights for mixing the original and the augmented image, as a Dirichlet of two
        # parameters: column 0 weighs the original, column 1 the augmented images
        alphas = ember.tensor([self.alpha, self.alpha], device=batch.device)
        m = self._sample_dirichlet(alphas.expand(n, -1))
        # the chains' mixing weights, scaled by the augmented images' share
        chain_alphas = ember.tensor([self.alpha] * self.mixture_width, device=batch.device)
        combined_weights = self._sample_dirichlet(chain_alphas.expand(n, -1)) * m[:, 1].view(n, -1)

        mix = m[:, 0].view(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth
            if depth <= 0:
                depth = int(ember.randint(low=1, high=4, size=(1,)).item())
            for _ in range(depth):
                op_name = op_names[int(ember.randint(len(op_meta), (1,)).item())]
                magnitudes, signed = op_meta[op_name]
                magnitude = 0.0
                if magnitudes.ndim > 0:
                    magnitude = float(magnitudes[int(ember.randint(self.severity, (1,)).item())])
                if signed and ember.randint(2, (1,)).item():
                    magnitude *= -1.0
                aug = _apply_op(
                    aug, op_name, magnitude, interpolation=self.interpolation, fill=fill
                )
            mix.add_(combined_weights[:, i].view(batch_dims) * aug)
        mix = mix.view(orig_dims).to(dtype=img.dtype)

        if not isinstance(orig_img, Tensor):
            return F.to_pil_image(mix)
        return mix

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(severity={self.severity}, "
            f"mixture_width={self.mixture_width}, chain_depth={self.chain_depth}, "
            f"alpha={self.alpha}, all_ops={self.all_ops}, interpolation={self.interpolation}, "
            f"fill={self.fill})"
        )
