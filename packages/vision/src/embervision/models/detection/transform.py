"""The input and output transform of the R-CNN models (torchvision's
``models/detection/transform.py``): normalisation, resizing to ``min_size`` / ``max_size``,
batching into a padded tensor, and mapping the predictions back to the original sizes."""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F

from .image_list import ImageList
from .roi_heads import paste_masks_in_image

__all__ = ["GeneralizedRCNNTransform", "resize_boxes", "resize_keypoints"]


def _resize_image_and_masks(image, self_min_size, self_max_size, target=None, fixed_size=None):
    """``image`` (and ``target["masks"]``) resized bilinearly (masks: nearest) so that the
    short side is ``self_min_size`` unless the long side would exceed ``self_max_size``, or to
    ``fixed_size`` ``(width, height)`` when given."""
    im_shape = image.shape[-2:]

    size = None
    scale_factor = None
    recompute_scale_factor = None
    if fixed_size is not None:
        size = [fixed_size[1], fixed_size[0]]
    else:
        min_size = min(im_shape)
        max_size = max(im_shape)
        scale_factor = min(self_min_size / min_size, self_max_size / max_size)
        recompute_scale_factor = True

    image = F.interpolate(
        image[None],
        size=size,
        scale_factor=scale_factor,
        mode="bilinear",
        recompute_scale_factor=recompute_scale_factor,
        align_corners=False,
    )[0]

    if target is None:
        return image, target

    if "masks" in target:
        mask = target["masks"]
        mask = F.interpolate(
            mask[:, None].float(),
            size=size,
            scale_factor=scale_factor,
            recompute_scale_factor=recompute_scale_factor,
        )[:, 0].byte()
        target["masks"] = mask
    return image, target


class GeneralizedRCNNTransform(nn.Module):
    """Performs input / target transformation before feeding the data to a GeneralizedRCNN
    model.

    The transformations it performs are:
        - input normalization (mean subtraction and std division)
        - input / target resizing to match min_size / max_size

    It returns a ImageList for the inputs, and a List[Dict[Tensor]] for the targets

    Args:
        min_size (int or tuple[int]): the size of the short side after resizing; with a tuple,
            training draws one of them per image (evaluation uses the last).
        max_size (int): the largest long side after resizing.
        image_mean (list[float]), image_std (list[float]): the normalisation per channel.
        size_divisible (int): the padded batch's height and width are multiples of it.
            Default: 32.
        fixed_size (tuple[int, int], optional): resize every image to this
            ``(width, height)`` instead.
        _skip_resize (bool, keyword): in training, leave the images at their size.
    """

    def __init__(
        self,
        min_size,
        max_size,
        image_mean,
        image_std,
        size_divisible=32,
        fixed_size=None,
        **kwargs,
    ):
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)

    def forward(self, images, targets=None):
        """Normalise, resize and batch ``images`` (a list of ``[C, H, W]`` floating tensors);
        ``targets`` (copied, not modified) get their boxes, masks and keypoints resized.

        Returns:
            (ImageList, list[dict[str, Tensor]] or None)
        """
        images = list(images)
        if targets is not None:
            # a copy of the targets, so that resizing does not modify the caller's
            targets = [dict(t) for t in targets]
        for i in range(len(images)):
            image = images[i]
            target_index = targets[i] if targets is not None else None

            if image.dim() != 3:
                raise ValueError(
                    "images is expected to be a list of 3d tensors of shape [C, H, W], "
                    f"got {image.shape}"
                )
            image = self.normalize(image)
            image, target_index = self.resize(image, target_index)
            images[i] = image
            if targets is not None and target_index is not None:
                targets[i] = target_index

        image_sizes = [tuple(img.shape[-2:]) for img in images]
        images = self.batch_images(images, size_divisible=self.size_divisible)
        return ImageList(images, image_sizes), targets

    def normalize(self, image):
        if not image.is_floating_point():
            raise TypeError(
                "Expected input images to be of floating type (in range [0, 1]), "
                f"but found type {image.dtype} instead"
            )
        dtype, device = image.dtype, image.device
        mean = ember.as_tensor(self.image_mean, dtype=dtype, device=device)
        std = ember.as_tensor(self.image_std, dtype=dtype, device=device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k):
        """Implements `random.choice` via ember ops, so that it draws from ember's generator."""
        index = int(ember.empty(1).uniform_(0.0, float(len(k))).item())
        return k[index]

    def resize(self, image, target=None):
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image, target = _resize_image_and_masks(image, size, self.max_size, target, self.fixed_size)

        if target is None:
            return image, target

        bbox = target["boxes"]
        target["boxes"] = resize_boxes(bbox, (h, w), image.shape[-2:])

        if "keypoints" in target:
            keypoints = target["keypoints"]
            target["keypoints"] = resize_keypoints(keypoints, (h, w), image.shape[-2:])
        return image, target

    def max_by_axis(self, the_list):
        maxes = list(the_list[0])
        for sublist in the_list[1:]:
            for index, item in enumerate(sublist):
                maxes[index] = max(maxes[index], item)
        return maxes

    def batch_images(self, images, size_divisible=32):
        """The images zero-padded at the bottom and right to one size, the largest height and
        width rounded up to multiples of ``size_divisible``, and stacked."""
        max_size = self.max_by_axis([list(img.shape) for img in images])
        stride = float(size_divisible)
        max_size[1] = int(math.ceil(float(max_size[1]) / stride) * stride)
        max_size[2] = int(math.ceil(float(max_size[2]) / stride) * stride)

        padded_imgs = []
        for img in images:
            padding = [s1 - s2 for s1, s2 in zip(max_size, img.shape)]
            padded_imgs.append(F.pad(img, (0, padding[2], 0, padding[1], 0, padding[0])))
        return ember.stack(padded_imgs)

    def postprocess(self, result, image_shapes, original_image_sizes):
        """In evaluation, the predicted boxes and keypoints scaled from the resized images to
        the original sizes, and the masks pasted into images of the original sizes."""
        if self.training:
            return result
        for i, (pred, im_s, o_im_s) in enumerate(zip(result, image_shapes, original_image_sizes)):
            boxes = pred["boxes"]
            boxes = resize_boxes(boxes, im_s, o_im_s)
            result[i]["boxes"] = boxes
            if "masks" in pred:
                masks = pred["masks"]
                result[i]["masks"] = paste_masks_in_image(masks, boxes, o_im_s)
            if "keypoints" in pred:
                keypoints = pred["keypoints"]
                result[i]["keypoints"] = resize_keypoints(keypoints, im_s, o_im_s)
        return result

    def __repr__(self):
        format_string = f"{self.__class__.__name__}("
        _indent = "\n    "
        format_string += f"{_indent}Normalize(mean={self.image_mean}, std={self.image_std})"
        format_string += (
            f"{_indent}Resize(min_size={self.min_size}, max_size={self.max_size}, mode='bilinear')"
        )
        format_string += "\n)"
        return format_string


def _ratios(original_size, new_size, device):
    """``new / original`` per dimension, each a float32 scalar tensor (as torchvision)."""
    return [
        ember.tensor(s, dtype=ember.float32, device=device)
        / ember.tensor(s_orig, dtype=ember.float32, device=device)
        for s, s_orig in zip(new_size, original_size)
    ]


def resize_keypoints(keypoints, original_size, new_size):
    """``keypoints`` ``[N, K, 3]`` with x and y scaled from ``original_size`` to ``new_size``
    (both ``(height, width)``)."""
    ratio_h, ratio_w = _ratios(original_size, new_size, keypoints.device)
    resized_data = keypoints.clone()
    resized_data[..., 0] *= ratio_w
    resized_data[..., 1] *= ratio_h
    return resized_data


def resize_boxes(boxes, original_size, new_size):
    """``boxes`` ``[N, 4]`` scaled from ``original_size`` to ``new_size`` (both
    ``(height, width)``)."""
    ratio_height, ratio_width = _ratios(original_size, new_size, boxes.device)
    xmin, ymin, xmax, ymax = boxes.unbind(1)

    xmin = xmin * ratio_width
    xmax = xmax * ratio_width
    ymin = ymin * ratio_height
    ymax = ymax * ratio_height
    return ember.stack((xmin, ymin, xmax, ymax), dim=1)


def _imagenet_transform(min_size, max_size, image_mean=None, image_std=None, **kwargs):
    """A ``GeneralizedRCNNTransform`` normalising with ImageNet's mean and standard deviation
    unless told otherwise, as every detection model builds one."""
    if image_mean is None:
        image_mean = [0.485, 0.456, 0.406]
    if image_std is None:
        image_std = [0.229, 0.224, 0.225]
    return GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
