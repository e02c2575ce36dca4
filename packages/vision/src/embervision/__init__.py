"""Embervision: datasets, transforms, image I/O and models for Ember.

The torchvision counterpart of Ember.
"""

__version__ = "0.1.0"

from . import datasets, io, models, transforms, utils
