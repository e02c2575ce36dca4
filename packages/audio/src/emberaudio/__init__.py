"""Emberaudio: audio I/O, functional ops, transforms, datasets and models for Ember.

The torchaudio counterpart of Ember: ``import emberaudio`` gives what ``import torchaudio``
gives, under torchaudio 2.11's names. Audio files are read and written through soundfile
(libsndfile). ``info`` and ``AudioMetaData``, removed from torchaudio in 2.9, are kept as
documented extras.
"""

__version__ = "0.1.0"

from . import datasets, functional, models, pipelines, transforms  # isort: skip
from ._backend import AudioMetaData, info, load, save

__all__ = [
    "load",
    "save",
    "info",
    "AudioMetaData",
    "datasets",
    "functional",
    "models",
    "transforms",
]
