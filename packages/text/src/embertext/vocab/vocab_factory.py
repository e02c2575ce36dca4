"""Building a ``Vocab`` from token counts (``torchtext.vocab.vocab_factory``)."""

from __future__ import annotations

from collections import Counter, OrderedDict

from .vocab import Vocab

__all__ = ["vocab", "build_vocab_from_iterator"]


def vocab(ordered_dict, min_freq=1, specials=None, special_first=True):
    r"""Factory method for creating a vocab object which maps tokens to indices.

    Note that the ordering in which key value pairs were inserted in the `ordered_dict` will
    be respected when building the vocab. Therefore if sorting by token frequency is
    important to the user, the `ordered_dict` should be created in a way to reflect this.
    The specials are removed from `ordered_dict` (it is modified in place, as in torchtext).

    Args:
        ordered_dict: Ordered Dictionary mapping tokens to their corresponding occurance
            frequencies.
        min_freq: The minimum frequency needed to include a token in the vocabulary.
        specials: Special symbols to add. The order of supplied tokens will be preserved.
        special_first: Indicates whether to insert symbols at the beginning or at the end.

    Returns:
        embertext.vocab.Vocab: A `Vocab` object

    Examples:
        >>> from collections import Counter, OrderedDict
        >>> counter = Counter(["a", "a", "b", "b", "b"])
        >>> sorted_by_freq_tuples = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        >>> v1 = vocab(OrderedDict(sorted_by_freq_tuples))
        >>> v1['a']
        1
        >>> v1['out of vocab']  # RuntimeError: the default index is not set
        >>> v2 = vocab(OrderedDict([(token, 1) for token in "edcba"]), specials=["<unk>"])
        >>> v2.set_default_index(v2["<unk>"])
        >>> v2['out of vocab']
        0
    """
    specials = specials or []
    for token in specials:
        ordered_dict.pop(token, None)

    tokens = [token for token, freq in ordered_dict.items() if freq >= min_freq]
    if special_first:
        tokens[0:0] = specials
    else:
        tokens.extend(specials)
    return Vocab(tokens)


def build_vocab_from_iterator(
    iterator, min_freq=1, specials=None, special_first=True, max_tokens=None
):
    """Build a Vocab from an iterator.

    Tokens are ordered by descending frequency, ties broken alphabetically.

    Args:
        iterator: Iterator used to build Vocab. Must yield list or iterator of tokens.
        min_freq: The minimum frequency needed to include a token in the vocabulary.
        specials: Special symbols to add. The order of supplied tokens will be preserved.
        special_first: Indicates whether to insert symbols at the beginning or at the end.
        max_tokens: If provided, creates the vocab from the `max_tokens - len(specials)` most
            frequent tokens.

    Returns:
        embertext.vocab.Vocab: A `Vocab` object

    Raises:
        AssertionError: ``len(specials) >= max_tokens`` (torchtext asserts this).

    Examples:
        >>> def yield_tokens(file_path):
        ...     with open(file_path, encoding='utf-8') as f:
        ...         for line in f:
        ...             yield line.strip().split()
        >>> vocab = build_vocab_from_iterator(yield_tokens(file_path), specials=["<unk>"])
    """
    counter = Counter()
    for tokens in iterator:
        counter.update(tokens)

    specials = specials or []

    # First sort by descending frequency, then lexicographically
    sorted_by_freq_tuples = sorted(counter.items(), key=lambda x: (-x[1], x[0]))

    if max_tokens is None:
        ordered_dict = OrderedDict(sorted_by_freq_tuples)
    else:
        if len(specials) >= max_tokens:
            # torchtext's assert, raised explicitly so that `python -O` keeps it
            raise AssertionError(
                "len(specials) >= max_tokens, so the vocab will be entirely special tokens."
            )
        ordered_dict = OrderedDict(sorted_by_freq_tuples[: max_tokens - len(specials)])

    return vocab(ordered_dict, min_freq=min_freq, specials=specials, special_first=special_first)
