"""Functional forms of the text transforms (``torchtext.functional``).

Each accepts one sequence (a list of ``str`` or ``int``) or a batch (a list of such lists),
and raises ``TypeError("Input type not supported")`` for anything else, as torchtext does.
"""

from __future__ import annotations

from itertools import chain

import ember
from ember.nn.utils.rnn import pad_sequence

__all__ = ["to_tensor", "truncate", "add_token", "str_to_int"]


def _is_list_of(input, kind):
    """``torch.jit.isinstance(input, List[kind])`` in eager mode: a list whose every element
    is a ``kind`` (so an empty list is a list of anything)."""
    return isinstance(input, list) and all(isinstance(x, kind) for x in input)


def _is_batch_of(input, kind):
    """``torch.jit.isinstance(input, List[List[kind]])``."""
    return isinstance(input, list) and all(_is_list_of(x, kind) for x in input)


def to_tensor(input, padding_value=None, dtype=ember.long):
    r"""Convert input to ember tensor

    A single sequence always becomes an int64 tensor, whatever ``dtype`` says (torchtext's
    behaviour, kept). A batch becomes a ``(batch, length)`` tensor of ``dtype``; with
    ``padding_value`` its sequences are right-padded to the longest one by
    ``ember.nn.utils.rnn.pad_sequence``, without it they must have equal lengths.

    Args:
        input (Union[List[int], List[List[int]]]): Sequence or batch of token ids
        padding_value (Optional[int]): Pad value to make each input in the batch of length
            equal to the longest sequence in the batch.
        dtype (ember.dtype): dtype of output tensor

    Raises:
        TypeError: ``input`` is neither a list of ints nor a list of lists of ints.
        ValueError: a batch of unequal lengths without ``padding_value``.

    Example:
        >>> to_tensor([[1, 2, 3], [4, 5]], padding_value=0)
        tensor([[1, 2, 3],
                [4, 5, 0]])
    """
    if _is_list_of(input, int):
        return ember.tensor(input, dtype=ember.long)
    if _is_batch_of(input, int):
        if padding_value is None:
            return ember.tensor(input, dtype=dtype)
        # one tensor for the whole batch, split into views, padded by one index_copy
        flat = ember.tensor(list(chain.from_iterable(input)), dtype=dtype)
        sequences = ember.split(flat, [len(ids) for ids in input])
        return pad_sequence(sequences, batch_first=True, padding_value=float(padding_value))
    raise TypeError("Input type not supported")


def truncate(input, max_seq_len):
    """Truncate input sequence or batch

    Args:
        input (Union[List[Union[str, int]], List[List[Union[str, int]]]]): Input sequence or
            batch to be truncated
        max_seq_len (int): Maximum length beyond which input is discarded

    Returns:
        Truncated sequence
    """
    if _is_list_of(input, int) or _is_list_of(input, str):
        return input[:max_seq_len]
    if _is_batch_of(input, int) or _is_batch_of(input, str):
        return [ids[:max_seq_len] for ids in input]
    raise TypeError("Input type not supported")


def add_token(input, token_id, begin=True):
    """Add token to start or end of sequence

    Args:
        input (Union[List[Union[str, int]], List[List[Union[str, int]]]]): Input sequence or
            batch
        token_id (Union[str, int]): token to be added; its type must be that of the tokens of
            ``input``.
        begin (bool, optional): Whether to insert token at start or end or sequence, defaults
            to True

    Returns:
        sequence or batch with token_id added to begin or end or input
    """
    for kind in (int, str):
        if not isinstance(token_id, kind):
            continue
        if _is_list_of(input, kind):
            return [token_id, *input] if begin else [*input, token_id]
        if _is_batch_of(input, kind):
            if begin:
                return [[token_id, *ids] for ids in input]
            return [[*ids, token_id] for ids in input]
    raise TypeError("Input type not supported")


def str_to_int(input):
    """Convert string tokens to integers (either single sequence or batch).

    Args:
        input (Union[List[str], List[List[str]]]): Input sequence or batch

    Returns:
        Sequence or batch of string tokens converted to integers

    Raises:
        TypeError: ``input`` is not a list (of lists) of strings.
        ValueError: a string is not an integer literal.
    """
    if _is_list_of(input, str):
        return [int(element) for element in input]
    if _is_batch_of(input, str):
        return [[int(element) for element in ids] for ids in input]
    raise TypeError("Input type not supported")
