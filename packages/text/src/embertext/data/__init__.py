"""``torchtext.data``: tokenizers, n-grams and line-iterator helpers."""

from .functional import (
    custom_replace,
    numericalize_tokens_from_iterator,
    simple_space_split,
    to_map_style_dataset,
)
from .utils import get_tokenizer, ngrams_iterator

__all__ = [
    "get_tokenizer",
    "ngrams_iterator",
    "custom_replace",
    "simple_space_split",
    "numericalize_tokens_from_iterator",
    "to_map_style_dataset",
]
