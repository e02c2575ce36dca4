"""Containers: compose transforms, or apply them at random."""

from __future__ import annotations

from collections.abc import Sequence

import ember
from ember.nn import Module

from ._transform import Transform


def _apply_in_turn(transforms, inputs):
    """Feed ``inputs`` through ``transforms``; several inputs are passed on as several."""
    needs_unpacking = len(inputs) > 1
    outputs = inputs if needs_unpacking else inputs[0]
    for transform in transforms:
        outputs = transform(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs


class Compose(Transform):
    """Apply ``transforms`` one after the other.

    Args:
        transforms (sequence of callables): the transforms.
    """

    def __init__(self, transforms):
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms

    def forward(self, *inputs):
        return _apply_in_turn(self.transforms, inputs)

    def extra_repr(self):
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomApply(Transform):
    """Apply the list of ``transforms`` with probability ``p``, all or none.

    Args:
        transforms (sequence or Module): the transforms.
        p (float): probability. Default 0.5.
    """

    def __init__(self, transforms, p=0.5):
        super().__init__()
        if not isinstance(transforms, (Sequence, Module)):
            raise TypeError(
                "Argument transforms should be a sequence of callables or a `nn.ModuleList`"
            )
        self.transforms = transforms
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs):
        if ember.rand(1).item() >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _apply_in_turn(self.transforms, inputs)

    def extra_repr(self):
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomChoice(Transform):
    """Apply one transform picked from ``transforms``.

    Args:
        transforms (sequence of callables): the candidates.
        p (sequence of floats, optional): their probabilities (normalised); default uniform.
    """

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(
                f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}"
            )
        super().__init__()
        self.transforms = transforms
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs):
        idx = int(ember.multinomial(ember.tensor(self.p), 1).item())
        return self.transforms[idx](*inputs)


class RandomOrder(Transform):
    """Apply ``transforms`` in a random order.

    Args:
        transforms (sequence of callables): the transforms.
    """

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        super().__init__()
        self.transforms = transforms

    def forward(self, *inputs):
        order = ember.randperm(len(self.transforms)).tolist()
        return _apply_in_turn([self.transforms[i] for i in order], inputs)
