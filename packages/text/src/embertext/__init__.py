"""Embertext: tokenizers, vocabularies, transforms, datasets and models for Ember.

The torchtext counterpart of Ember.
"""

__version__ = "0.1.0"
