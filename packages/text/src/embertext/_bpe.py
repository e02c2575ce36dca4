"""Byte-pair-encoding tokenizers: ``GPT2BPETokenizer``, ``CLIPTokenizer`` and ``CharBPETokenizer``.

torchtext runs the GPT-2 and CLIP tokenizers in C++ (``GPT2BPEEncoder``, ``CLIPEncoder`` in
``torchtext/csrc``) with RE2 regular expressions; this module reproduces those encoders in Python
with the standard library only. RE2's ``\\pL`` / ``\\pN`` (Unicode letters / numbers), which
Python's ``re`` lacks, become character classes built once from ``unicodedata`` (see
:func:`_char_class`). The helpers at the top are shared with :mod:`embertext._wordpiece`.
"""

import functools
import itertools
import json
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ember.nn import Module

__all__ = ["GPT2BPETokenizer", "CLIPTokenizer", "CharBPETokenizer", "bytes_to_unicode"]


# ------------------------------------------------------------------------- shared helpers


@functools.cache
def _categories() -> dict[str, list[tuple[int, int]]]:
    """Maps each Unicode general category (``"Lu"``, ``"Nd"``, ...) to its code-point ranges.

    One pass over all of Unicode (about 0.2 s), done on first use and kept for the process.
    """
    categories = list(map(unicodedata.category, map(chr, range(sys.maxunicode + 1))))
    ranges = defaultdict(list)
    start = 0
    for cp in range(1, len(categories) + 1):
        if cp == len(categories) or categories[cp] != categories[start]:
            ranges[categories[start]].append((start, cp - 1))
            start = cp
    return dict(ranges)


def _category_ranges(*categories: str) -> list[tuple[int, int]]:
    """Code-point ranges of the given general categories; a one-letter name stands for its
    whole family, as in RE2 (``"L"`` is ``\\pL``)."""
    return [r for name, rs in _categories().items() if name.startswith(categories) for r in rs]


def _char_class(ranges: list[tuple[int, int]], complement: bool = False) -> str:
    """The body of a regex character class for code-point ranges, or for all code points
    outside them.

    A complement is spelled out rather than written ``[^...]``: Python's ``re`` tests a BMP
    character against a bitmap but then walks the astral ranges one by one, so a class is
    fast only for its members, and the common characters should be members.
    """
    merged = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    if complement:
        bounds = [(-1, -1), *merged, (sys.maxunicode + 1, sys.maxunicode + 1)]
        gaps = itertools.pairwise(bounds)
        merged = [(a[1] + 1, b[0] - 1) for a, b in gaps if b[0] - a[1] > 1]
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in merged)


def _tokenize_input(input: Any, tokenize: Callable[[str], list]) -> list:
    """torchtext's dispatch: one ``str`` gives one token list, a list of ``str`` one per item."""
    if isinstance(input, list) and all(isinstance(text, str) for text in input):
        return [tokenize(text) for text in input]
    if isinstance(input, str):
        return tokenize(input)
    raise TypeError("Input type not supported")


def _cached(cache: dict, key: str, compute: Callable[[str], list[str]]) -> list[str]:
    """``compute(key)``, remembered in ``cache`` (the reference tokenizers' per-word cache)."""
    result = cache.get(key)
    if result is None:
        result = cache[key] = compute(key)
    return result


def _token_ids(vocab: Mapping[str, int], tokens: list[str], missing: str) -> list[int]:
    """Ids of tokens; a token not in vocab raises RuntimeError(missing.format(token))."""
    for token in tokens:
        if token not in vocab:
            raise RuntimeError(missing.format(token))
    return [vocab[token] for token in tokens]


class _TextTokenizer(Module):
    """Base of the tokenizer transforms whose ids come back as strings: ``forward`` applies
    ``_tokenize`` (with ``return_tokens``) or ``_encode`` to one text or to each of a list."""

    _return_tokens: bool

    def forward(self, input: Any) -> Any:
        """
        Args:
            input (str | list[str]): input sentence or list of sentences on which to apply
                tokenizer.

        Returns:
            list[str] | list[list[str]]: token ids as strings, or tokens if ``return_tokens``.
        """
        return _tokenize_input(input, self._tokenize if self._return_tokens else self._encode)


def _merge(symbols: list[str], ranks: Mapping[tuple[str, str], int]) -> list[str]:
    """Byte-pair merging: join the adjacent pair with the lowest merge rank, everywhere it
    occurs (left to right, non-overlapping), until no adjacent pair has a rank."""
    while len(symbols) > 1:
        best = min(itertools.pairwise(symbols), key=lambda pair: ranks.get(pair, sys.maxsize))
        if best not in ranks:
            break
        first, second = best
        merged = []
        i = 0
        while i < len(symbols):
            if i < len(symbols) - 1 and symbols[i] == first and symbols[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def _read_merges(path: str) -> list[tuple[str, ...]]:
    """The merge lines of a ``vocab.bpe`` / ``merges.txt`` file as split pairs.

    As in torchtext (and OpenAI's ``encoder.py``) the first line (``#version: ...``) and the
    last element after splitting on newlines are dropped: a file that does not end with a
    newline loses its last merge.
    """
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")[1:-1]
    return [tuple(line.split()) for line in lines]


def _merge_ranks(merges: list[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    # a repeated merge keeps its last rank, as torchtext's dict comprehension does
    return {pair: rank for rank, pair in enumerate(merges)}


def _load_json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _tokenizer_json(path: str, model_type: str) -> dict:
    """A Hugging Face ``tokenizer.json`` file, checked to hold a ``model_type`` model."""
    config = _load_json(path)
    found = config["model"].get("type")
    if found != model_type:
        raise ValueError(f"Expected a {model_type} model in {path}, got model type {found!r}")
    return config


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable unicode characters.

    Printable Latin-1 bytes map to themselves; the others (controls, space, ...) to code points
    from 256 on, so that no BPE token contains whitespace or a control character. Original
    source: https://github.com/openai/gpt-2/blob/master/src/encoder.py

    Returns:
        dict[int, str]: byte value -> one-character string.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    others = [b for b in range(256) if b not in printable]
    table = {b: chr(b) for b in printable}
    table.update({b: chr(256 + n) for n, b in enumerate(others)})
    return table


# ------------------------------------------------------------------- byte-level encoders

# RE2's \s is [\t\n\f\r ]; torchtext adds \v to the GPT-2 pattern. Python's \s is wider
# (\x1c-\x1f, \x85, \xa0, ...), which torchtext treats as ordinary symbols.
_RE2_SPACE = [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]
_GPT2_SPACE = [(0x09, 0x0D), (0x20, 0x20)]
_CONTRACTIONS = "'s|'t|'re|'ve|'m|'ll|'d"
# C's isspace(), which torchtext uses around special tokens
_C_SPACE = frozenset(" \t\n\v\f\r")


@functools.cache
def _gpt2_pattern() -> re.Pattern:
    r"""torchtext's GPT-2 pre-tokenization as one Python regex.

    OpenAI's pattern ends in ``\s+(?!\S)|\s+``; RE2 has no lookahead, so torchtext matches
    ``[\s\v]+`` and post-processes each whitespace run: at the end of the text the run stays
    whole; otherwise all but its last character form a token, and that last character is a
    token of its own, or, when it is a space, is prepended to the next token. The last three
    alternatives and the leading look-behind alternative here do the same in the regex.
    """
    letters, numbers = _category_ranges("L"), _category_ranges("N")
    letter, number = _char_class(letters), _char_class(numbers)
    space = _char_class(_GPT2_SPACE)
    other = f"[{_char_class(letters + numbers + _GPT2_SPACE, complement=True)}]+"
    token = f"{_CONTRACTIONS}|[{letter}]+|[{number}]+|{other}"
    return re.compile(
        f"(?<=[{space}]) (?:{token})"
        f"|{_CONTRACTIONS}| ?[{letter}]+| ?[{number}]+| ?{other}"
        f"|[{space}]+\\Z|[{space}]+(?=[{space}])|[{space}]"
    )


@functools.cache
def _clip_pattern() -> re.Pattern:
    """torchtext's CLIP pre-tokenization: special tokens, contractions, letter runs, single
    digits and runs of other symbols; whitespace (RE2's ``\\s``, without ``\\v``) is dropped."""
    letters, numbers = _category_ranges("L"), _category_ranges("N")
    other = _char_class(letters + numbers + _RE2_SPACE, complement=True)
    return re.compile(
        f"(?i:<\\|startoftext\\|>|<\\|endoftext\\|>|{_CONTRACTIONS})"
        f"|[{_char_class(letters)}]+|[{_char_class(numbers)}]|[{other}]+"
    )


class _GPT2BPEEncoder:
    """Byte-level BPE: torchtext's C++ ``GPT2BPEEncoder``.

    Text is split by the GPT-2 pattern, each piece's UTF-8 bytes are mapped through
    :func:`bytes_to_unicode` and merged by rank; results are cached per piece. Special tokens
    added with :meth:`add_special_tokens` are cut out of the text first and never split.
    """

    def __init__(self, bpe_encoder: dict[str, int], bpe_merge_ranks: dict[tuple, int]) -> None:
        self.bpe_encoder = dict(bpe_encoder)
        self.bpe_decoder = {i: token for token, i in self.bpe_encoder.items()}
        self.bpe_merge_ranks = bpe_merge_ranks
        self.bpe_never_split = set()
        self._special_pattern = None
        self._byte_encoder = str.maketrans({chr(b): c for b, c in bytes_to_unicode().items()})
        self._byte_decoder = {c: b for b, c in bytes_to_unicode().items()}
        self._pattern = self._make_pattern()
        self._cache = {}

    def _make_pattern(self) -> re.Pattern:
        return _gpt2_pattern()

    def _split_special(self, text: str) -> list[str]:
        """Cuts text into plain chunks and special tokens, dropping one whitespace character on
        each side of a special token (torchtext's handling)."""
        if self._special_pattern is None:
            return [text]
        chunks = []
        last = 0
        for match in self._special_pattern.finditer(text):
            start, end = match.span()
            if start > last:
                chunks.append(text[last : start - 1 if text[start - 1] in _C_SPACE else start])
            chunks.append(match.group())
            last = end + 1 if text[end : end + 1] in _C_SPACE else end
        chunks.append(text[last:])
        return chunks

    def _pre_tokenize(self, text: str) -> list[str]:
        pieces = []
        for chunk in self._split_special(text):
            if chunk in self.bpe_never_split:
                pieces.append(chunk)
            else:
                pieces.extend(self._pattern.findall(chunk))
        return pieces

    def _bpe(self, token: str) -> list[str]:
        """BPE tokens of one byte-encoded piece."""
        return _merge(list(token), self.bpe_merge_ranks)

    def tokenize(self, text: str) -> list[str]:
        tokens = []
        for piece in self._pre_tokenize(text):
            if piece in self.bpe_never_split:
                tokens.append(piece)
                continue
            # UTF-8 bytes as Latin-1 characters, then through the byte table in one translate
            encoded = piece.encode("utf-8").decode("latin-1").translate(self._byte_encoder)
            tokens.extend(_cached(self._cache, encoded, self._bpe))
        return tokens

    def encode(self, text: str) -> list[int]:
        return _token_ids(
            self.bpe_encoder, self.tokenize(text), "Token {!r} is not in the BPE encoder"
        )

    def decode(self, tokens: list[int]) -> str:
        data = bytearray()
        prev_special = False
        for i, token_id in enumerate(tokens):
            if token_id not in self.bpe_decoder:
                raise RuntimeError(f"Token id {token_id} is not in the BPE encoder")
            token = self.bpe_decoder[token_id]
            special = token in self.bpe_never_split
            if special:
                # the spaces that tokenization dropped around a special token come back
                if i > 0 and not prev_special:
                    data += b" "
                data += token.encode("utf-8")
                if i != len(tokens) - 1:
                    data += b" "
            else:
                try:
                    data += bytes(self._byte_decoder[c] for c in token)
                except KeyError as e:
                    raise RuntimeError(f"Token {token!r} is not a byte-level BPE token") from e
            prev_special = special
        return data.decode("utf-8")

    def add_special_tokens(self, standard: Mapping[str, str], additional: Sequence[str]) -> int:
        added = 0
        for token in [*standard.values(), *additional]:
            if token in self.bpe_never_split:
                continue
            self.bpe_never_split.add(token)
            if token not in self.bpe_encoder:
                new_id = len(self.bpe_encoder)
                self.bpe_encoder[token] = new_id
                self.bpe_decoder[new_id] = token
                added += 1
        # longest first, so that a special token that prefixes another does not cut it
        alternatives = sorted(self.bpe_never_split, key=len, reverse=True)
        self._special_pattern = re.compile("|".join(map(re.escape, alternatives)))
        return added


class _CLIPEncoder(_GPT2BPEEncoder):
    """torchtext's C++ ``CLIPEncoder``: the byte-level encoder with CLIP's pre-tokenization and
    an end-of-word ``</w>`` on the last symbol of every piece."""

    _special_tokens = frozenset({"<|startoftext|>", "<|endoftext|>"})

    def _make_pattern(self) -> re.Pattern:
        return _clip_pattern()

    def _bpe(self, token: str) -> list[str]:
        if token in self._special_tokens:
            return [token]
        return _merge([*token[:-1], token[-1] + "</w>"], self.bpe_merge_ranks)


# ------------------------------------------------------------------------------ modules


class GPT2BPETokenizer(_TextTokenizer):
    """Transform for GPT-2 BPE Tokenizer.

    Reimplements OpenAI's GPT-2 BPE (https://github.com/openai/gpt-2/blob/master/src/encoder.py)
    as torchtext does: text is pre-tokenized with GPT-2's regex, every piece's UTF-8 bytes are
    mapped to printable characters (:func:`bytes_to_unicode`, so any text is representable) and
    merged by rank. Results are cached per piece.

    As in torchtext, whitespace is RE2's ASCII set (``[\\t\\n\\v\\f\\r ]``; a no-break space
    is a symbol) and a space carried over from a whitespace run stays on a following
    contraction (``"a  's"`` -> ``"a", " ", " 's"``): OpenAI's regex differs in these two cases.

    Token ids are returned as **strings** (``["15496", "995"]``), as in torchtext.

    Args:
        encoder_json_path (str): path to GPT-2 BPE encoder json file (token -> id).
        vocab_bpe_path (str): path to bpe vocab file (``#version`` line, then one merge
            ``"a b"`` per line, highest priority first).
        return_tokens (bool): indicate whether to return split tokens. If False, it will return
            encoded token IDs as strings (default: False).

    Example:
        >>> tokenizer = GPT2BPETokenizer("encoder.json", "vocab.bpe")
        >>> tokenizer("Hello world")
        ['15496', '995']
        >>> tokenizer.decode(tokenizer("Hello world"))
        'Hello world'
    """

    SPECIAL_TOKENS_ATTRIBUTES = [
        "bos_token",
        "eos_token",
        "unk_token",
        "sep_token",
        "pad_token",
        "cls_token",
        "mask_token",
        "additional_special_tokens",
    ]

    def __init__(self, encoder_json_path: str, vocab_bpe_path: str, return_tokens: bool = False):
        self._init(_load_json(encoder_json_path), _read_merges(vocab_bpe_path), return_tokens)

    def _init(
        self, encoder: dict[str, int], merges: list[tuple[str, ...]], return_tokens: bool = False
    ) -> None:
        super().__init__()
        self.bpe = _GPT2BPEEncoder(encoder, _merge_ranks(merges))
        self._return_tokens = return_tokens

    @classmethod
    def from_tokenizer_json(cls, path: str, **kwargs: Any) -> "GPT2BPETokenizer":
        """Build the tokenizer from a Hugging Face ``tokenizer.json`` file.

        The file must hold a ``BPE`` model with a ``ByteLevel`` pre-tokenizer (GPT-2's regex,
        no prefix space); ``model.vocab`` plays the part of ``encoder.json`` and
        ``model.merges`` (``"a b"`` strings or ``["a", "b"]`` pairs) that of ``vocab.bpe``.
        Added tokens are not registered: pass them to :meth:`add_special_tokens`.

        Args:
            path (str): path to the ``tokenizer.json`` file.
            **kwargs: the other arguments of the constructor (``return_tokens``).

        Raises:
            ValueError: when the model is not ``BPE`` or the pre-tokenizer is not GPT-2's.
        """
        config = _tokenizer_json(path, "BPE")
        pre_tokenizer = config.get("pre_tokenizer") or {}
        if (
            pre_tokenizer.get("type") != "ByteLevel"
            or pre_tokenizer.get("add_prefix_space")
            or not pre_tokenizer.get("use_regex", True)
        ):
            raise ValueError(
                "GPT2BPETokenizer needs a ByteLevel pre-tokenizer with use_regex and without "
                f"add_prefix_space, got {pre_tokenizer}"
            )
        model = config["model"]
        # tokenizers < 0.20 writes "a b" strings (split on single spaces), later versions pairs
        merges = [tuple(m.split(" ") if isinstance(m, str) else m) for m in model["merges"]]
        tokenizer = cls.__new__(cls)
        tokenizer._init(model["vocab"], merges, **kwargs)
        return tokenizer

    def _encode(self, text: str) -> list[str]:
        """Encode text into a list of token ids, as strings.

        For example: "awesome,awe" --> bpe tokens: ["aw", "esome"], [","], ["aw", "e"]
        --> token ids: ["707", "5927", "11", "707", "68"]
        """
        return [str(i) for i in self.bpe.encode(text)]

    def _tokenize(self, text: str) -> list[str]:
        """Tokenize text into a list of BPE tokens (byte-level strings, e.g. ``"Ġworld"``)."""
        return self.bpe.tokenize(text)

    def add_special_tokens(self, special_tokens_dict: Mapping[str, str | Sequence[str]]) -> int:
        """Add a dictionary of special tokens (eos, pad, cls...) to the encoder.

        Special tokens are never split; one whitespace character on each side of one is
        dropped when tokenizing and restored by :meth:`decode`.

        Args:
            special_tokens_dict (dict[str, str | list[str]]): keys must be in
                :attr:`SPECIAL_TOKENS_ATTRIBUTES`; ``additional_special_tokens`` maps to a list.
                Tokens are only added if they are not already in the vocabulary.

        Returns:
            int: number of tokens added to the vocabulary.
        """
        for key in special_tokens_dict:
            assert key in self.SPECIAL_TOKENS_ATTRIBUTES, (
                f"Key '{key}' is not in the special token list: {self.SPECIAL_TOKENS_ATTRIBUTES}"
            )
        return self.bpe.add_special_tokens(
            {k: v for k, v in special_tokens_dict.items() if k != "additional_special_tokens"},
            special_tokens_dict.get("additional_special_tokens", []),
        )

    def decode(self, tokens: list[str]) -> str:
        """Return a decoded string given a list of string token ids.

        Raises ``UnicodeDecodeError`` when the ids do not form whole UTF-8 characters (as
        torchtext, whose C++ string is decoded strictly).

        Args:
            tokens (list[str]): a list of strings, each string corresponds to token ids.

        Returns:
            str: decoded text.
        """
        return self.bpe.decode([int(token) for token in tokens])


class CLIPTokenizer(_TextTokenizer):
    """Transform for CLIP Tokenizer. Based on Byte-Level BPE.

    Reimplements the CLIP tokenizer (https://github.com/mlfoundations/open_clip) as torchtext
    does: the text is lower-cased and stripped (torchtext applies none of CLIP's ``ftfy`` /
    html / whitespace cleaning), split into ``<|startoftext|>``, ``<|endoftext|>``,
    contractions, letter runs, single digits and symbol runs (whitespace is dropped), and
    every piece is byte-encoded and merged with ``</w>`` marking its last symbol.

    Token ids are returned as **strings**, as in torchtext.

    Args:
        merges_path (str): path to bpe merges file.
        encoder_json_path (str, optional): path to BPE encoder json file. When specified, this
            is used to infer num_merges (``len(encoder) - 514``: 256 bytes, each with and
            without ``</w>``, and the two special tokens).
        num_merges (int, optional): number of merges to read from the bpe merges file. Without
            an encoder file the vocabulary is built as CLIP's: the 256 byte characters, the
            same with ``</w>``, one token per merge, then ``<|startoftext|>`` and
            ``<|endoftext|>``. As in torchtext, when ``num_merges`` is not given the empty
            string after a final newline counts as a merge (an empty token in the vocabulary).
        return_tokens (bool): indicate whether to return split tokens. If False, it will return
            encoded token IDs as strings (default: False).

    Example:
        >>> tokenizer = CLIPTokenizer(merges_path="clip_merges.bpe", encoder_json_path="clip_encoder.json")
        >>> tokenizer("the quick brown fox jumped over the lazy dog")
    """

    def __init__(
        self,
        merges_path: str,
        encoder_json_path: str | None = None,
        num_merges: int | None = None,
        return_tokens: bool = False,
    ) -> None:
        super().__init__()
        with open(merges_path, encoding="utf-8") as f:
            merge_lines = f.read().split("\n")[1:]
        if encoder_json_path:
            bpe_encoder = _load_json(encoder_json_path)
            merge_lines = merge_lines[: len(bpe_encoder) - (256 * 2 + 2)]
        else:
            merge_lines = merge_lines[: num_merges or len(merge_lines)]
            byte_tokens = list(bytes_to_unicode().values())
            vocab = byte_tokens + [token + "</w>" for token in byte_tokens]
            vocab += ["".join(line.split()) for line in merge_lines]
            vocab += ["<|startoftext|>", "<|endoftext|>"]
            bpe_encoder = {token: i for i, token in enumerate(vocab)}
        merges = [tuple(line.split()) for line in merge_lines]
        self.bpe = _CLIPEncoder(bpe_encoder, _merge_ranks(merges))
        self._return_tokens = return_tokens

    def _encode(self, text: str) -> list[str]:
        """Encode lower-cased, stripped text into a list of token ids, as strings."""
        return [str(i) for i in self.bpe.encode(text.lower().strip())]

    def _tokenize(self, text: str) -> list[str]:
        """Tokenize lower-cased, stripped text into a list of BPE tokens."""
        return self.bpe.tokenize(text.lower().strip())


class CharBPETokenizer(Module):
    """Transform for a Character Byte-Pair-Encoding Tokenizer.

    Splits text into runs of non-whitespace (each keeping one trailing newline, pattern
    ``\\S+\\n?``) and merges the characters of each run by rank, marking its last character
    with ``suffix`` when one is given. Unlike the byte-level tokenizers, ids are returned as
    stored in the encoder file (normally ``int``).

    Args:
        bpe_encoder_path (str): path to the BPE encoder json file.
        bpe_merges_path (str): path to the BPE merges text file.
        return_tokens (bool): indicate whether to return split tokens. If False, it will return
            encoded token IDs (default: False).
        unk_token (str, optional): the unknown token. If provided, it must exist in encoder.
        suffix (str, optional): the suffix to be used for every subword that is an end-of-word.
        special_tokens (list[str], optional): special tokens which should not be split into
            individual characters. If provided, these must exist in encoder.

    Raises:
        RuntimeError: if ``unk_token`` or a special token is not in the encoder.
    """

    def __init__(
        self,
        bpe_encoder_path: str,
        bpe_merges_path: str,
        return_tokens: bool = False,
        unk_token: str | None = None,
        suffix: str | None = None,
        special_tokens: list[str] | None = None,
    ):
        super().__init__()
        self._encoder = dict(_load_json(bpe_encoder_path))
        self._decoder = {v: k for k, v in self._encoder.items()}
        self._bpe_ranks = _merge_ranks(_read_merges(bpe_merges_path))
        self._return_tokens = return_tokens
        self._cache = {}
        self._pat = re.compile(r"\S+\n?")
        if unk_token and unk_token not in self._encoder:
            raise RuntimeError(
                f"Unknown token {unk_token} not found in encoder. Special tokens must be in encoder."
            )
        self._unk_token = unk_token
        self._suffix = suffix
        for token in special_tokens or []:
            if token not in self._encoder:
                raise RuntimeError(
                    f"Special token {token} not found in encoder. Special tokens must be in encoder."
                )
            self._cache[token] = token

    @property
    def vocab_size(self) -> int:
        return len(self._encoder)

    def _bpe(self, token: str) -> str:
        """Splits the input token into bpe tokens, returned space-separated: ``"pytorch"`` may
        give ``"p y t o r c h"``, ``"py tor ch"`` or ``"pytorch"`` depending on the merges."""
        if token in self._cache:
            return self._cache[token]
        suffix = self._suffix or ""
        word = " ".join(_merge([*token[:-1], token[-1] + suffix], self._bpe_ranks))
        self._cache[token] = word
        return word

    def encode(self, text: str) -> list[int] | list[str]:
        """Encode text into a list of token ids; their type is the encoder file's.

        Without ``unk_token`` a token missing from the encoder raises ``KeyError``.
        """
        if self._unk_token:
            unk_id = self._encoder[self._unk_token]
            return [self._encoder.get(token, unk_id) for token in self._tokenize(text)]
        return [self._encoder[token] for token in self._tokenize(text)]

    def _tokenize(self, text: str) -> list[str]:
        """Tokenize text into a list of bpe token strings."""
        return [t for token in self._pat.findall(text) for t in self._bpe(token).split(" ")]

    def decode(self, tokens: list[int] | list[str]) -> str:
        """Decode a list of token ids into a string: with a suffix, tokens are joined and each
        suffix becomes a space (so the text ends with one); without, tokens are joined by
        spaces."""
        if self._unk_token:
            decoded = [self._decoder.get(token, self._unk_token) for token in tokens]
        else:
            decoded = [self._decoder[token] for token in tokens]
        if self._suffix:
            return "".join(decoded).replace(self._suffix, " ")
        return " ".join(decoded)

    def forward(self, input: str | list[str]) -> list | list[list]:
        """Encodes a string or a list of strings into token ids (or tokens if
        ``return_tokens``)."""
        return _tokenize_input(input, self._tokenize if self._return_tokens else self.encode)
