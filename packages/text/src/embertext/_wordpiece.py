"""``BERTTokenizer``: BERT's basic tokenization followed by greedy WordPiece.

torchtext runs this in C++ (``BERTEncoder`` in ``torchtext/csrc/bert_tokenizer.cpp``, with
utf8proc); this module reproduces it with ``unicodedata`` and regular expressions whose
character classes come from Unicode general categories.
"""

import functools
import re
import unicodedata
from typing import Any

from ._bpe import (
    _cached,
    _category_ranges,
    _char_class,
    _TextTokenizer,
    _token_ids,
    _tokenizer_json,
)

__all__ = ["BERTTokenizer"]

_UNK_TOKEN = "[UNK]"
_MAX_BYTES_PER_WORD = 100

# Ideographs that BERT splits one by one (the CJK Unified Ideographs blocks, not all of CJK:
# Hiragana, Katakana and Hangul stay together).
_CJK = [
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
]  # fmt: skip
# ASCII symbols are punctuation to BERT although Unicode calls some of them symbols ($ + < ^ |)
_ASCII_PUNCT = [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)]
_SPACE = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x20)]  # and Zs
# U+0000-U+001F and U+007F-U+009F (category Cc) but \t \n \r, and U+FFFD; also U+0D04, which
# torchtext drops because utf8proc and unicodedata once disagreed on it
_CONTROL = [
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0xFFFD, 0xFFFD),
    (0x0D04, 0x0D04),
]


@functools.cache
def _patterns() -> dict[str, re.Pattern]:
    """The regexes of BERT's basic tokenization, built on first use. Classes list what they
    keep or match (see :func:`~embertext._bpe._char_class`)."""
    control = _CONTROL + _category_ranges("Cf", "Cn", "Co", "Cs")
    space = _SPACE + _category_ranges("Zs")
    split = _ASCII_PUNCT + _category_ranges("P") + _CJK
    return {
        "kept": re.compile(f"[{_char_class(control, complement=True)}]+"),
        "kept_without_accents": re.compile(
            f"[{_char_class(control + _category_ranges('Mn'), complement=True)}]+"
        ),
        # a word is one punctuation mark or ideograph, or a run of anything else but spaces
        "words": re.compile(
            f"[{_char_class(split)}]|[{_char_class(space + split, complement=True)}]+"
        ),
        # never-split tokens keep their punctuation but still have their ideographs split
        "never_split_words": re.compile(
            f"[{_char_class(_CJK)}]|[{_char_class(space + _CJK, complement=True)}]+"
        ),
    }


def _lower(text: str) -> str:
    """Per-character simple lower-casing (utf8proc's): unlike ``str.lower``, "İ" becomes "i"
    and "Σ" is always "σ", never the word-final "ς"."""
    if "\u0130" in text or "\u03a3" in text:
        return "".join(["i" if c == "\u0130" else c.lower() for c in text])
    return text.lower()


def _read_vocab(path: str) -> dict[str, int]:
    """Token -> id for a ``vocab.txt`` file: one token per line, ids counting the distinct
    tokens in file order (a repeated line keeps its first id); an empty line is the token
    ``"\\n"``, as in torchtext. Lines are split on ``\\n`` only."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines[-1] == "":
        lines.pop()
    vocab = {}
    for token in lines:
        vocab.setdefault(token or "\n", len(vocab))
    return vocab


class BERTTokenizer(_TextTokenizer):
    """Transform for BERT Tokenizer.

    Based on WordPiece algorithm introduced in paper:
    https://static.googleusercontent.com/media/research.google.com/ja//pubs/archive/37842.pdf

    The text is stripped and split on spaces; each piece is cleaned (control characters,
    U+0000 and U+FFFD removed, other whitespace made a space), NFD-normalised with combining
    marks (Mn) removed when accents are stripped, split around punctuation (Unicode ``P*`` and
    all ASCII symbols) and CJK ideographs, and lower-cased. Every word is then split into the
    longest vocabulary entries from the left, continuation pieces prefixed by ``##``
    (``"unaffable"`` -> ``["un", "##aff", "##able"]``); a word with no such split, or longer
    than 100 UTF-8 bytes (torchtext counts bytes, not characters), becomes ``[UNK]``.

    Token ids are returned as **strings**, as in torchtext.

    Args:
        vocab_path (str): path to pre-trained vocabulary file (``vocab.txt``, one token per
            line; the id of a token is its line number).
        do_lower_case (bool): indicate whether to do lower case. (default: True)
        strip_accents (bool, optional): indicate whether to strip accents. (default: None,
            which follows ``do_lower_case``). torchtext 0.18's C++ tests ``has_value()`` instead
            of the value, so there ``strip_accents=False`` strips accents too; Ember follows the
            documented meaning (as Hugging Face does) and keeps them.
        return_tokens (bool): indicate whether to return tokens. If false, returns corresponding
            token IDs as strings (default: False)
        never_split (list[str], optional): collection of tokens which will not be split during
            tokenization; a whole space-separated piece of the input must match. They are
            neither lower-cased nor stripped of accents nor split on punctuation (CJK
            ideographs in them are still split). (default: None)

    Raises:
        RuntimeError: when encoding needs a token, such as ``[UNK]``, that the vocabulary lacks
            (torchtext's Vocab error).

    Example:
        >>> tokenizer = BERTTokenizer(vocab_path="vocab.txt", do_lower_case=True, return_tokens=True)
        >>> tokenizer("Hello World, How are you!")  # single sentence input
        >>> tokenizer(["Hello World", "How are you!"])  # batch input
    """

    def __init__(
        self,
        vocab_path: str,
        do_lower_case: bool = True,
        strip_accents: bool | None = None,
        return_tokens: bool = False,
        never_split: list[str] | None = None,
    ) -> None:
        self._init(
            _read_vocab(vocab_path), do_lower_case, strip_accents, return_tokens, never_split
        )

    def _init(
        self,
        vocab: dict[str, int],
        do_lower_case: bool = True,
        strip_accents: bool | None = None,
        return_tokens: bool = False,
        never_split: list[str] | None = None,
    ) -> None:
        super().__init__()
        self._vocab = vocab
        self._return_tokens = return_tokens
        self._do_lower_case = do_lower_case
        self._strip_accents = strip_accents
        self._never_split = frozenset(never_split or ())
        self._patterns = _patterns()
        self._cache = {}

    @classmethod
    def from_tokenizer_json(cls, path: str, **kwargs: Any) -> "BERTTokenizer":
        """Build the tokenizer from a Hugging Face ``tokenizer.json`` file.

        The file must hold a ``WordPiece`` model; ``model.vocab`` plays the part of
        ``vocab.txt``. ``do_lower_case`` and ``strip_accents`` default to the ``lowercase`` and
        ``strip_accents`` of its ``BertNormalizer`` (to no lower-casing when it has no
        normalizer); keyword arguments override them.

        Args:
            path (str): path to the ``tokenizer.json`` file.
            **kwargs: the other arguments of the constructor (``do_lower_case``,
                ``strip_accents``, ``return_tokens``, ``never_split``).

        Raises:
            ValueError: when the model is not ``WordPiece``, sets another ``unk_token``,
                ``continuing_subword_prefix`` or ``max_input_chars_per_word`` than BERT's
                (``[UNK]``, ``##``, 100), or the normalizer is neither a ``BertNormalizer`` nor
                absent.
        """
        config = _tokenizer_json(path, "WordPiece")
        model = config["model"]
        for key, value in (
            ("unk_token", "[UNK]"),
            ("continuing_subword_prefix", "##"),
            ("max_input_chars_per_word", 100),
        ):
            if model.get(key, value) != value:  # (the settings this class has fixed)
                raise ValueError(
                    f"{path}: its WordPiece model has {key}={model[key]!r}; BERTTokenizer "
                    f"supports {value!r} only"
                )
        normalizer = config.get("normalizer") or {"type": "BertNormalizer", "lowercase": False}
        if normalizer["type"] != "BertNormalizer":
            raise ValueError(f"Expected a BertNormalizer in {path}, got {normalizer['type']!r}")
        defaults = {
            "do_lower_case": normalizer.get("lowercase", True),
            "strip_accents": normalizer.get("strip_accents"),
        }
        tokenizer = cls.__new__(cls)
        tokenizer._init(model["vocab"], **{**defaults, **kwargs})
        return tokenizer

    def _basic_tokenize(self, text: str) -> list[str]:
        """Words of a stripped text, before WordPiece."""
        pieces = text.split(" ") if self._never_split else []
        if self._never_split.isdisjoint(pieces):
            # NFD and the cleaning act per character, so the text is processed whole unless a
            # never-split piece needs different treatment
            return self._words(text, never_split=False)
        return [
            word
            for piece in pieces
            for word in self._words(piece, never_split=piece in self._never_split)
        ]

    def _words(self, text: str, never_split: bool) -> list[str]:
        strip_accents = self._strip_accents
        if strip_accents is None:
            strip_accents = self._do_lower_case
        if strip_accents:
            text = unicodedata.normalize("NFD", text)
        # drop control characters, and combining marks when stripping accents
        kept = "kept_without_accents" if strip_accents and not never_split else "kept"
        text = "".join(self._patterns[kept].findall(text))
        if never_split:
            return self._patterns["never_split_words"].findall(text)
        if self._do_lower_case:
            text = _lower(text)
        return self._patterns["words"].findall(text)

    def _wordpiece(self, word: str) -> list[str]:
        """Greedy longest-match-first split of one word into vocabulary entries."""
        if len(word.encode("utf-8")) > _MAX_BYTES_PER_WORD:
            return [_UNK_TOKEN]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self._vocab:
                    break
                end -= 1
            else:
                return [_UNK_TOKEN]
            pieces.append(piece)
            start = end
        return pieces

    def _tokenize(self, text: str) -> list[str]:
        """Tokenize text into a list of tokens (sub-words).

        For example: "Hello World!" -> ["hello", "world", "!"]
        """
        words = self._basic_tokenize(text.strip())
        return [piece for word in words for piece in _cached(self._cache, word, self._wordpiece)]

    def _encode(self, text: str) -> list[str]:
        """Encode text into a list of token ids, as strings."""
        missing = "Token {} not found and default index is not set"  # torchtext's Vocab error
        return [str(i) for i in _token_ids(self._vocab, self._tokenize(text), missing)]
