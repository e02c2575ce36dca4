"""Emberserve: model archives, handlers and an HTTP inference server for Ember models."""

__version__ = "0.1.0"
