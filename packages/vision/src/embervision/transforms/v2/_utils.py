"""What the v2 transforms share: flattening nested inputs into their leaves and back, type
checks, querying the size of a sample and the ``fill`` argument."""

from __future__ import annotations

import numbers

from PIL import Image as PILImage

from ... import tv_tensors
from .functional import get_dimensions, get_size, is_pure_tensor


def tree_flatten(tree):
    """The leaves of nested lists, tuples (named ones too) and dicts, and the structure to
    rebuild them with ``tree_unflatten``; anything else is a leaf."""
    if isinstance(tree, dict):
        leaves, specs = [], []
        for value in tree.values():
            child_leaves, child_spec = tree_flatten(value)
            leaves += child_leaves
            specs.append(child_spec)
        return leaves, (type(tree), list(tree.keys()), specs)
    if isinstance(tree, (list, tuple)):
        leaves, specs = [], []
        for value in tree:
            child_leaves, child_spec = tree_flatten(value)
            leaves += child_leaves
            specs.append(child_spec)
        return leaves, (type(tree), None, specs)
    return [tree], None


def tree_unflatten(leaves, spec):
    """The structure ``spec`` (from ``tree_flatten``) rebuilt around ``leaves``."""
    iterator = iter(leaves)

    def build(node):
        if node is None:
            return next(iterator)
        container, keys, children = node
        values = [build(child) for child in children]
        if keys is not None:
            return container(zip(keys, values))
        if container is list:
            return values
        if hasattr(container, "_fields"):  # a named tuple
            return container(*values)
        return container(values)

    return build(spec)


def check_type(obj, types_or_checks):
    """Whether ``obj`` is one of the types, or passes one of the checks (callables)."""
    for type_or_check in types_or_checks:
        if isinstance(type_or_check, type):
            if isinstance(obj, type_or_check):
                return True
        elif type_or_check(obj):
            return True
    return False


def has_any(flat_inputs, *types_or_checks):
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def query_chw(flat_inputs):
    """``(channels, height, width)`` shared by the images and videos of a sample."""
    image_types = (is_pure_tensor, tv_tensors.Image, PILImage.Image, tv_tensors.Video)
    chws = {tuple(get_dimensions(x)) for x in flat_inputs if check_type(x, image_types)}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {sorted(chws)}")
    return chws.pop()


def query_size(flat_inputs):
    """``(height, width)`` shared by the images, videos, masks and boxes of a sample."""
    sized_types = (
        is_pure_tensor,
        tv_tensors.Image,
        PILImage.Image,
        tv_tensors.Video,
        tv_tensors.Mask,
        tv_tensors.BoundingBoxes,
    )
    sizes = {tuple(get_size(x)) for x in flat_inputs if check_type(x, sized_types)}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {sorted(sizes)}")
    return sizes.pop()


def get_bounding_boxes(flat_inputs):
    """The one ``BoundingBoxes`` of a sample."""
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.BoundingBoxes):
            return inpt
    raise ValueError("No bounding boxes were found in the sample")


def _check_fill_arg(fill):
    if isinstance(fill, dict):
        for value in fill.values():
            _check_fill_arg(value)
    elif fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(
            "Got inappropriate fill arg, only Numbers, tuples, lists and dicts are allowed."
        )


def _convert_fill_arg(fill):
    if fill is None or isinstance(fill, (int, float)):
        return fill
    return [float(v) for v in fill]


def _setup_fill_arg(fill):
    """``fill`` as a dict from input type (or ``"others"``) to its fill value."""
    _check_fill_arg(fill)
    if isinstance(fill, dict):
        return {key: _convert_fill_arg(value) for key, value in fill.items()}
    return {"others": _convert_fill_arg(fill)}


def _get_fill(fill_dict, inpt_type):
    if inpt_type in fill_dict:
        return fill_dict[inpt_type]
    if "others" in fill_dict:
        return fill_dict["others"]
    raise RuntimeError(
        "This should never happen, please open an issue on the torchvision repo if you hit this."
    )
