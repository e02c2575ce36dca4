"""``Transform``: the base class of the v2 transforms."""

from __future__ import annotations

import enum

from PIL import Image as PILImage

import ember
from ember import Tensor
from ember.nn import Module

from ... import tv_tensors
from ._utils import check_type, has_any, is_pure_tensor, tree_flatten, tree_unflatten
from .functional._utils import _get_kernel


class Transform(Module):
    """Base class to implement your own v2 transforms.

    A transform is called on any structure of lists, tuples and dicts; each leaf whose type is
    in ``_transformed_types`` goes through ``transform(inpt, params)`` with the same
    ``params``, drawn once per call by ``make_params`` from the leaves to transform, so that an
    image, its mask and its boxes move together. A plain tensor counts as an image only when
    the sample has no ``Image``, ``Video`` or PIL image, and then only the first one.
    """

    _transformed_types = (Tensor, PILImage.Image)

    def check_inputs(self, flat_inputs):
        pass

    def make_params(self, flat_inputs):
        """Method to override for custom transforms: the random parameters of one call."""
        return dict()

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        kernel = _get_kernel(functional, type(inpt), allow_passthrough=True)
        return kernel(inpt, *args, **kwargs)

    def transform(self, inpt, params):
        """Method to override for custom transforms: transform one leaf."""
        raise NotImplementedError

    def forward(self, *inputs):
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        self.check_inputs(flat_inputs)
        return tree_unflatten(self._transform_flat(flat_inputs), spec)

    def _transform_flat(self, flat_inputs):
        needs_transform_list = self._needs_transform_list(flat_inputs)
        params = self.make_params(
            [inpt for inpt, needs in zip(flat_inputs, needs_transform_list) if needs]
        )
        return [
            self.transform(inpt, params) if needs else inpt
            for inpt, needs in zip(flat_inputs, needs_transform_list)
        ]

    def _needs_transform_list(self, flat_inputs):
        # torch's heuristic: with no explicit image or video in the sample, the first plain
        # tensor is the image; every other plain tensor (labels, ...) passes through
        transform_pure_tensor = not has_any(
            flat_inputs, tv_tensors.Image, tv_tensors.Video, PILImage.Image
        )
        needs_transform_list = []
        for inpt in flat_inputs:
            needs_transform = True
            if not check_type(inpt, self._transformed_types):
                needs_transform = False
            elif is_pure_tensor(inpt):
                if transform_pure_tensor:
                    transform_pure_tensor = False
                else:
                    needs_transform = False
            needs_transform_list.append(needs_transform)
        return needs_transform_list

    def extra_repr(self):
        extra = []
        for name, value in self.__dict__.items():
            if name.startswith("_") or name == "training":
                continue
            if not isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)):
                continue
            extra.append(f"{name}={value}")
        return ", ".join(extra)


class _RandomApplyTransform(Transform):
    """A transform applied with probability ``p`` (one draw per call, before its params)."""

    def __init__(self, p=0.5):
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        self.check_inputs(flat_inputs)
        if ember.rand(1).item() >= self.p:
            return inputs
        return tree_unflatten(self._transform_flat(flat_inputs), spec)
