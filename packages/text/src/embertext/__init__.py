"""Embertext: tokenizers, vocabularies, transforms, datasets and models for Ember.

The torchtext counterpart of Ember, under torchtext 0.18's module names: ``data``
(tokenizers), ``vocab``, ``transforms`` and ``functional``, ``datasets``, ``nn`` and
``utils``.
"""

__version__ = "0.1.0"

from . import data, datasets, functional, nn, transforms, utils, vocab

__all__ = ["data", "datasets", "functional", "nn", "transforms", "utils", "vocab"]
