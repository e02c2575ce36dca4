"""``torchtext.vocab``: vocabularies and pre-trained word vectors."""

from .vectors import FastText, GloVe, Vectors, pretrained_aliases
from .vocab import Vocab
from .vocab_factory import build_vocab_from_iterator, vocab

__all__ = [
    "Vocab",
    "vocab",
    "build_vocab_from_iterator",
    "Vectors",
    "GloVe",
    "FastText",
    "pretrained_aliases",
]
