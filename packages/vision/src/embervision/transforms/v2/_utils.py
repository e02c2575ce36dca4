"""What the v2 transforms share: flattening nested inputs into their leaves and back, type
checks, querying the size of a sample, finding its labels, and the ``fill`` argument."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

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
    """Whether some input is one of the types, or passes one of the checks."""
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def has_all(flat_inputs, *types_or_checks):
    """Whether each of the types (or checks) matches some input."""
    return all(has_any(flat_inputs, type_or_check) for type_or_check in types_or_checks)


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
        tv_tensors.KeyPoints,
    )
    sizes = {tuple(get_size(x)) for x in flat_inputs if check_type(x, sized_types)}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {sorted(sizes)}")
    return sizes.pop()


def get_bounding_boxes(flat_inputs):
    """The one ``BoundingBoxes`` of a sample (the first, by convention the only one)."""
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.BoundingBoxes):
            return inpt
    raise ValueError("No bounding boxes were found in the sample")


def get_keypoints(flat_inputs):
    """The one ``KeyPoints`` of a sample (the first, by convention the only one)."""
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.KeyPoints):
            return inpt
    raise ValueError("No keypoints were found in the sample")


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


def _setup_number_or_seq(arg, name):
    """A number or a sequence of one or two numbers as ``[a, b]`` floats."""
    if not isinstance(arg, (int, float, Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(arg)}")
    if isinstance(arg, Sequence):
        if len(arg) not in (1, 2):
            raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(arg)}")
        for element in arg:
            if not isinstance(element, (int, float)):
                raise ValueError(f"{name} should be a sequence of numbers. Got {type(element)}")
        return [float(arg[0]), float(arg[-1])]
    return [float(arg), float(arg)]


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
