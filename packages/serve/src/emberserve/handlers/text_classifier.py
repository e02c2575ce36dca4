"""The ``text_classifier`` handler: text in, class probabilities out.

TorchServe's ``text_classifier`` cleans each text (HTML tags and entities removed, lowercased,
accents stripped, punctuation removed), tokenizes it with torchtext's ``basic_english``, adds
the bigrams (``ngrams: 2``), looks the tokens up in the archive's vocabulary and calls the model
as ``model(text, offsets)``, the ``nn.EmbeddingBag`` convention of torchtext's text
classification example. It applies softmax and maps class indices to the archive's labels.
Ember's handler does the same with ``embertext`` and, unlike TorchServe's, batches: the token
ids of every text in the batch are concatenated and ``offsets`` holds where each one starts.
TorchServe also expands English contractions ("don't" -> "do not") from a table of its own;
Ember's handler drops the apostrophes only, so "don't" becomes the token ``dont``.

The vocabulary is a JSON file in the archive (``extra_files``; named by the handler setting
``vocab``, default ``source_vocab.json``) holding ``{"itos": [token, ...], "default_index": i}``
— :func:`save_vocab` writes one from an ``embertext.vocab.Vocab``. TorchServe pickles the Vocab
object into ``source_vocab.pt``; Ember archives never hold pickles.

- TorchServe API: the body (or form field ``data``) is one UTF-8 text; the response maps every
  label to its probability, most probable first, ``{"Sports": 0.91, "World": 0.05, ...}``.
- Open Inference Protocol: input ``text``, BYTES of shape ``[n]`` (n texts); output
  ``probabilities``, FP32 of shape ``[n, classes]``.

Needs embertext: ``pip install "emberserve[text]"``.
"""

from __future__ import annotations

import json
import os
import re
import string
import unicodedata

import numpy as np

import ember
import ember.nn.functional as F

from ..errors import InvalidInput
from ..schema import TensorSpec
from .base import BaseHandler
from .registry import register_handler

try:
    from embertext.data.utils import get_tokenizer, ngrams_iterator
except ImportError:  # the [text] extra is not installed
    get_tokenizer = ngrams_iterator = None

__all__ = ["TextClassifier", "DEFAULT_CONFIG", "clean_text", "save_vocab"]

DEFAULT_CONFIG = {"ngrams": 2, "vocab": "source_vocab.json"}

# TorchServe's text_handler CLEANUP_REGEX: tags and character entities
_MARKUP = re.compile("<.*?>|&([a-z0-9]+|#[0-9]{1,6}|#x[0-9a-f]{1,6});")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def _require_embertext():
    if get_tokenizer is None:
        raise RuntimeError(
            'the text_classifier handler needs embertext: pip install "emberserve[text]"'
        )


def _settings(config):
    settings = {**DEFAULT_CONFIG, **(config or {})}
    unknown = settings.keys() - DEFAULT_CONFIG.keys()
    if unknown:
        raise ValueError(
            f"unknown text_classifier settings {sorted(unknown)}; known: {sorted(DEFAULT_CONFIG)}"
        )
    ngrams = settings["ngrams"]
    if not isinstance(ngrams, int) or isinstance(ngrams, bool) or ngrams < 1:
        raise ValueError(f"ngrams must be an integer >= 1, got {ngrams!r}")
    return settings


def clean_text(text):
    """TorchServe's text cleanup: markup removed, lowercased, apostrophes dropped, accents
    stripped (NFKD, then ASCII only), punctuation removed."""
    text = _MARKUP.sub("", text).lower().replace("'", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.translate(_PUNCTUATION)


def save_vocab(vocab, path):
    """Write ``vocab`` (an ``embertext.vocab.Vocab``) as the handler's JSON vocabulary file."""
    data = {"itos": vocab.get_itos(), "default_index": vocab.get_default_index()}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)


def _load_vocab(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        stoi = {token: i for i, token in enumerate(data["itos"])}
        default = data["default_index"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(
            f"cannot read the text_classifier vocabulary {path}: {exc}; expected JSON "
            '{"itos": [token, ...], "default_index": index or null} (see save_vocab)'
        ) from None
    return stoi, default


@register_handler("text_classifier")
class TextClassifier(BaseHandler):
    """Text classification with an ``EmbeddingBag``-style model (TorchServe's
    ``text_classifier``), batched."""

    @classmethod
    def signature(cls, model, inputs, outputs, config):
        _settings(config)
        inputs = inputs or [TensorSpec("text", "BYTES", (-1,))]
        if outputs is None:
            with ember.inference_mode():
                token = ember.zeros(1, dtype=ember.int64)
                logits = model(token, token)
            outputs = [TensorSpec("probabilities", "FP32", (-1, logits.shape[1]))]
        return list(inputs), list(outputs)

    def initialize(self, context):
        _require_embertext()
        super().initialize(context)
        settings = _settings(context.handler_config)
        self.ngrams = settings["ngrams"]
        self.tokenizer = get_tokenizer("basic_english")
        self.stoi, self.default_index = _load_vocab(
            os.path.join(context.model_dir, settings["vocab"])
        )
        self.labels = context.labels or {}

    def _texts(self, item):
        """The texts of one request."""
        if "inputs" in item:
            values = list(next(iter(item["inputs"].values())).reshape(-1))
        else:
            values = [self.payload(item)]
        try:
            return [v.decode("utf-8") if isinstance(v, (bytes, bytearray)) else v for v in values]
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"a text must be UTF-8: {exc}") from None

    def _ids(self, text):
        words = self.tokenizer(clean_text(text))
        if not words:
            raise InvalidInput(f"the text {text[:40]!r} has no words once cleaned")
        tokens = list(ngrams_iterator(words, self.ngrams))
        ids = [self.stoi.get(token, self.default_index) for token in tokens]
        if None in ids:
            missing = [token for token in tokens if token not in self.stoi]
            raise InvalidInput(
                f"tokens {missing[:5]} are not in the vocabulary, which has no default index"
            )
        return ids

    def preprocess(self, batch):
        requests = [self._texts(item) for item in batch]
        self._batch = batch
        self._counts = [len(texts) for texts in requests]
        ids = [self._ids(text) for texts in requests for text in texts]
        if not ids:
            raise InvalidInput("no texts in the request")
        offsets = np.cumsum([0] + [len(i) for i in ids[:-1]])
        text = np.concatenate([np.asarray(i, np.int64) for i in ids])
        return ember.from_numpy(text).to(self.device), ember.from_numpy(offsets).to(self.device)

    def inference(self, data):
        return F.softmax(self.model(*data), dim=1)

    def postprocess(self, outputs):
        probabilities = outputs.numpy(force=True)
        parts = np.split(probabilities, np.cumsum(self._counts)[:-1])
        name = self.context.outputs[0].name
        responses = []
        for item, part in zip(self._batch, parts):
            if "inputs" in item:
                responses.append({name: part})
            else:
                order = np.argsort(-part[0], kind="stable")
                responses.append(
                    {self.labels.get(int(i), str(i)): float(part[0, i]) for i in order}
                )
        return responses
