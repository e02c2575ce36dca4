"""Text-pipeline helpers over iterators of lines (``torchtext.data.functional``).

torchtext's SentencePiece helpers (``generate_sp_model``, ``load_sp_model``,
``sentencepiece_numericalizer``, ``sentencepiece_tokenizer``) wrap a compiled library and are
not provided here.
"""

from __future__ import annotations

import re

from ember.utils.data import Dataset

__all__ = [
    "custom_replace",
    "simple_space_split",
    "numericalize_tokens_from_iterator",
    "to_map_style_dataset",
]


def custom_replace(replace_pattern):
    r"""A transform to convert text string.

    Args:
        replace_pattern: ``(regex, replacement)`` pairs, applied in order to each line.

    Returns:
        A function that maps an iterator of strings to a generator of the replaced strings.

    Examples:
        >>> custom_replace_transform = custom_replace([(r'S', 's'), (r'\s+', ' ')])
        >>> list_a = ["Sentencepiece encode  aS  pieces", "exampleS to   try!"]
        >>> list(custom_replace_transform(list_a))
        ['sentencepiece encode as pieces', 'examples to try!']
    """
    patterns = [(re.compile(p), r) for p, r in replace_pattern]

    def _internal_func(txt_iter):
        for line in txt_iter:
            for pattern_re, replaced_str in patterns:
                line = pattern_re.sub(replaced_str, line)
            yield line

    return _internal_func


def simple_space_split(iterator):
    r"""A transform to split text string by spaces.

    Examples:
        >>> list_a = ["Sentencepiece encode as pieces", "example to try!"]
        >>> list(simple_space_split(list_a))
        [['Sentencepiece', 'encode', 'as', 'pieces'], ['example', 'to', 'try!']]
    """
    for line in iterator:
        yield line.split()


def numericalize_tokens_from_iterator(vocab, iterator, removed_tokens=None):
    r"""Yield a list of ids from an token iterator with a vocab.

    Args:
        vocab: the vocabulary convert token into id (a ``Vocab`` or any mapping).
        iterator: the iterator yield a list of tokens.
        removed_tokens: removed tokens from output dataset (Default: None)

    Yields:
        An iterator over the ids of each token list.

    Examples:
        >>> vocab = {'Sentencepiece' : 0, 'encode' : 1, 'as' : 2, 'pieces' : 3}
        >>> ids_iter = numericalize_tokens_from_iterator(
        ...     vocab, simple_space_split(["Sentencepiece as pieces", "as pieces"]))
        >>> [list(ids) for ids in ids_iter]
        [[0, 2, 3], [2, 3]]
    """
    for tokens in iterator:
        if removed_tokens is None:
            yield iter(vocab[token] for token in tokens)
        else:
            yield iter(vocab[token] for token in tokens if token not in removed_tokens)


class _MapStyleDataset(Dataset):
    def __init__(self, iter_data):
        self._data = list(iter_data)

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


def to_map_style_dataset(iter_data):
    r"""Convert iterable-style dataset to map-style dataset.

    Args:
        iter_data: An iterator type object. Examples include Iterable datasets, string list,
            text io, generators etc.

    Examples:
        >>> from embertext.datasets import IMDB
        >>> train_iter = IMDB(split='train')
        >>> train_dataset = to_map_style_dataset(train_iter)
        >>> train_dataset[0]
    """
    return _MapStyleDataset(iter_data)
