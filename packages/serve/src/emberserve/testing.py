"""Tiny models and handlers for testing servers and archives (referenced by import path).

Archives name their model factory as ``"emberserve.testing:linear"`` and so on, so tests and
benchmarks can build real archives without shipping code of their own.
"""

from __future__ import annotations

import time

import numpy as np

import ember
from ember import nn

from .handlers import BaseHandler

__all__ = [
    "linear",
    "tiny_cnn",
    "bag_classifier",
    "BatchSizeEcho",
    "Sleepy",
    "Fragile",
    "TwoHeads",
    "EchoHandler",
    "WrongLengthHandler",
]


def linear(in_features=4, out_features=3, seed=0):
    """``nn.Linear`` with weights drawn from ``seed``."""
    ember.manual_seed(seed)
    return nn.Linear(in_features, out_features)


def tiny_cnn(num_classes=5, seed=0):
    """A two-layer conv net for (N, 3, H, W) images: conv, ReLU, global average pool, linear."""
    ember.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, num_classes),
    )


class _BagClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim)
        self.fc = nn.Linear(embed_dim, num_class)

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


def bag_classifier(vocab_size=16, embed_dim=8, num_class=4, seed=0):
    """torchtext's text classification model: ``EmbeddingBag`` (mean) then ``Linear``, called
    as ``model(text, offsets)``."""
    ember.manual_seed(seed)
    return _BagClassifier(vocab_size, embed_dim, num_class)


class BatchSizeEcho(nn.Module):
    """Returns, for each row of ``x`` (N, features), the batch size N this forward saw.

    A client can thus tell how many requests the server batched with its own.
    """

    def __init__(self, features=2):
        super().__init__()
        self.scale = nn.Parameter(ember.ones(1))
        self.features = features

    def forward(self, x):
        return ember.full((x.shape[0], 1), float(x.shape[0])) * self.scale


class Sleepy(nn.Module):
    """The identity on (N, features), after sleeping ``seconds`` (a slow model)."""

    def __init__(self, seconds=0.2):
        super().__init__()
        self.seconds = seconds

    def forward(self, x):
        time.sleep(self.seconds)
        return x * 1


class Fragile(nn.Module):
    """The identity on (N, features) that raises on any negative input (a failing model)."""

    def forward(self, x):
        if (x < 0).any().item():
            raise RuntimeError("negative input")
        return x * 1


class TwoHeads(nn.Module):
    """Two inputs, two outputs: ``(a + b, a * b)`` of an FP32 ``a`` and an INT64 ``b``."""

    def forward(self, a, b):
        return a + b, a * b


class EchoHandler(BaseHandler):
    """Returns V2 inputs as outputs of the same names (any of the 13 datatypes, BYTES too)."""

    @classmethod
    def signature(cls, model, inputs, outputs, config):
        return list(inputs), list(outputs if outputs is not None else inputs)

    def preprocess(self, batch):
        return batch

    def inference(self, batch):
        return batch

    def postprocess(self, batch):
        return [
            {name: np.array(a, copy=True) for name, a in item["inputs"].items()} for item in batch
        ]


class WrongLengthHandler(BaseHandler):
    """Breaks the handler contract: returns one result fewer than the batch had."""

    @classmethod
    def signature(cls, model, inputs, outputs, config):
        return list(inputs), list(outputs or inputs)

    def preprocess(self, batch):
        return batch

    def inference(self, batch):
        return batch

    def postprocess(self, batch):
        return [{}] * (len(batch) - 1)
