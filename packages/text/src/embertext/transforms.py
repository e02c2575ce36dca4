"""Text transforms as modules (``torchtext.transforms``).

Each transform is an ``ember.nn.Module`` that takes one sequence or a batch (a list of
sequences) and hands back the same structure, so they chain in ``Sequential``. The subword
tokenizers (``GPT2BPETokenizer``, ``CLIPTokenizer``, ``CharBPETokenizer``, ``BERTTokenizer``)
are written in ``embertext._bpe`` and ``embertext._wordpiece`` and exported here.
"""

from __future__ import annotations

import re

import ember
from ember import nn
from ember.nn import functional as nn_functional

from . import functional as F
from ._bpe import CharBPETokenizer, CLIPTokenizer, GPT2BPETokenizer
from ._wordpiece import BERTTokenizer
from .vocab import Vocab

__all__ = [
    "VocabTransform",
    "ToTensor",
    "LabelToIndex",
    "Truncate",
    "AddToken",
    "PadTransform",
    "StrToIntTransform",
    "RegexTokenizer",
    "Sequential",
    "GPT2BPETokenizer",
    "CLIPTokenizer",
    "CharBPETokenizer",
    "BERTTokenizer",
]


class VocabTransform(nn.Module):
    r"""Vocab transform to convert input batch of tokens into corresponding token ids

    Args:
        vocab: an instance of :class:`embertext.vocab.Vocab` class.

    Raises:
        AssertionError: ``vocab`` is not a ``Vocab`` (torchtext asserts this).

    Example:
        >>> from collections import OrderedDict
        >>> from embertext.vocab import vocab
        >>> vocab_transform = VocabTransform(vocab(OrderedDict([('a', 1), ('b', 1), ('c', 1)])))
        >>> vocab_transform([['a', 'b'], ['a', 'b', 'c']])
        [[0, 1], [0, 1, 2]]
    """

    def __init__(self, vocab):
        super().__init__()
        if not isinstance(vocab, Vocab):
            raise AssertionError(f"vocab must be an embertext.vocab.Vocab, got {type(vocab)}")
        self.vocab = vocab

    def forward(self, input):
        """
        Args:
            input (Union[List[str], List[List[str]]]): Input batch of token to convert to
                correspnding token ids

        Returns:
            Union[List[int], List[List[int]]]: Converted input into corresponding token ids
        """
        if F._is_list_of(input, str):
            return self.vocab.lookup_indices(input)
        if F._is_batch_of(input, str):
            return [self.vocab.lookup_indices(tokens) for tokens in input]
        raise TypeError("Input type not supported")


class ToTensor(nn.Module):
    r"""Convert input to ember tensor (see ``embertext.functional.to_tensor``).

    Args:
        padding_value (Optional[int]): Pad value to make each input in the batch of length
            equal to the longest sequence in the batch.
        dtype (ember.dtype): dtype of output tensor
    """

    def __init__(self, padding_value=None, dtype=ember.long):
        super().__init__()
        self.padding_value = padding_value
        self.dtype = dtype

    def forward(self, input):
        """
        Args:
            input (Union[List[int], List[List[int]]]): Sequence or batch of token ids

        Returns:
            Tensor
        """
        return F.to_tensor(input, padding_value=self.padding_value, dtype=self.dtype)


class LabelToIndex(nn.Module):
    r"""Transform labels from string names to ids.

    Args:
        label_names (Optional[List[str]]): a list of unique label names
        label_path (Optional[str]): a path to file containing unique label names containing 1
            label per line. Note that either label_names or label_path should be supplied but
            not both.
        sort_names (bool): sort the label names, so that ids follow alphabetical order.

    Raises:
        AssertionError: neither or both of ``label_names`` and ``label_path`` given (as
            torchtext asserts).
        RuntimeError: a label name appears twice.
    """

    def __init__(self, label_names=None, label_path=None, sort_names=False):
        # torchtext's asserts, raised explicitly so that `python -O` keeps them
        if not (label_names or label_path):
            raise AssertionError("label_names or label_path is required")
        if label_names and label_path:
            raise AssertionError("label_names and label_path are mutually exclusive")
        super().__init__()

        if label_path:
            with open(label_path, encoding="utf-8") as f:
                label_names = [line.strip() for line in f if line.strip()]
        if sort_names:
            label_names = sorted(label_names)
        self._label_vocab = Vocab(label_names)
        self._label_names = self._label_vocab.get_itos()

    def forward(self, input):
        """
        Args:
            input (Union[str, List[str]]): Input labels to convert to corresponding ids

        Returns:
            Union[int, List[int]]

        Raises:
            RuntimeError: an unknown label.
        """
        if F._is_list_of(input, str):
            return self._label_vocab.lookup_indices(input)
        if isinstance(input, str):
            return self._label_vocab[input]
        raise TypeError("Input type not supported")

    @property
    def label_names(self):
        return self._label_names


class Truncate(nn.Module):
    r"""Truncate input sequence

    Args:
        max_seq_len (int): The maximum allowable length for input sequence
    """

    def __init__(self, max_seq_len):
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input):
        """
        Args:
            input (Union[List[Union[str, int]], List[List[Union[str, int]]]]): Input sequence
                or batch of sequence to be truncated

        Returns:
            Truncated sequence
        """
        return F.truncate(input, self.max_seq_len)


class AddToken(nn.Module):
    """Add token to beginning or end of sequence

    Args:
        token (Union[int, str]): The token to be added
        begin (bool, optional): Whether to insert token at start or end or sequence, defaults
            to True
    """

    def __init__(self, token, begin=True):
        super().__init__()
        self.token = token
        self.begin = begin

    def forward(self, input):
        """
        Args:
            input (Union[List[Union[str, int]], List[List[Union[str, int]]]]): Input sequence
                or batch
        """
        return F.add_token(input, self.token, self.begin)


class PadTransform(nn.Module):
    """Pad tensor to a fixed length with given padding value.

    Only the last dimension is padded, on the right, and only when it is shorter than
    ``max_length``; a longer tensor is returned unchanged.

    Args:
        max_length (int): Maximum length to pad to
        pad_value (int): Value to pad the tensor with
    """

    def __init__(self, max_length, pad_value):
        super().__init__()
        self.max_length = max_length
        self.pad_value = float(pad_value)

    def forward(self, x):
        """
        Args:
            x (Tensor): The tensor to pad

        Returns:
            Tensor: Tensor padded up to max_length with pad_value
        """
        max_encoded_length = x.size(-1)
        if max_encoded_length < self.max_length:
            pad_amount = self.max_length - max_encoded_length
            x = nn_functional.pad(x, (0, pad_amount), value=self.pad_value)
        return x


class StrToIntTransform(nn.Module):
    """Convert string tokens to integers (either single sequence or batch)."""

    def forward(self, input):
        """
        Args:
            input (Union[List[str], List[List[str]]]): sequence or batch of string tokens to
                convert

        Returns:
            Union[List[int], List[List[int]]]: sequence or batch converted into corresponding
            token ids
        """
        return F.str_to_int(input)


class RegexTokenizer(nn.Module):
    r"""Regex tokenizer for a string sentence that applies all regex replacements defined in
    patterns_list, then splits the result on single spaces (dropping empty tokens).

    torchtext runs the patterns with Google's RE2; Ember uses Python's ``re``, whose syntax is
    a superset of RE2's for the patterns RE2 accepts (no lookaround or backreferences in the
    patterns; ``\1`` in replacements works in both).

    Args:
        patterns_list (List[Tuple[str, str]]): a list of tuples (ordered pairs) which contain
            the regex pattern string as the first element and the replacement string as the
            second element.

    Caveats:
        The final tokenization step always uses spaces as separators. To split strings based
        on a specific regex pattern, similar to Python's ``re.split``, a tuple of
        ``('<regex_pattern>', ' ')`` can be provided.

    Example:
        >>> tokenizer = RegexTokenizer([(r'[,._+ ]+', r' ')])
        >>> tokenizer('Basic.Regex,Tokenization_for+a..Line,,of  Text')
        ['Basic', 'Regex', 'Tokenization', 'for', 'a', 'Line', 'of', 'Text']
    """

    def __init__(self, patterns_list):
        super().__init__()
        self.patterns = [pair[0] for pair in patterns_list]
        self.replacements = [pair[1] for pair in patterns_list]
        self._compiled = [re.compile(pattern) for pattern in self.patterns]

    def forward(self, line):
        r"""
        Args:
            line (str): a text string to tokenize.

        Returns:
            List[str]: a token list after regex.
        """
        for pattern, replacement in zip(self._compiled, self.replacements):
            line = pattern.sub(replacement, line)
        return [token for token in line.split(" ") if token]


class Sequential(nn.Sequential):
    r"""A container to host a sequence of text transforms."""

    def forward(self, input):
        """
        Args:
            input (Any): Input sequence or batch. The input type must be supported by the
                first transform in the sequence.
        """
        for module in self:
            input = module(input)
        return input
