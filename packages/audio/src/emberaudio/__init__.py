"""Emberaudio: audio I/O, functional ops, transforms, datasets and models for Ember.

The torchaudio counterpart of Ember.
"""

__version__ = "0.1.0"
