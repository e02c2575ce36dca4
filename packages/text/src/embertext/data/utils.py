"""Tokenizers and n-grams (``torchtext.data.utils``)."""

from __future__ import annotations

import importlib
import re
import warnings
from functools import partial

__all__ = ["get_tokenizer", "ngrams_iterator"]


def _split_tokenizer(x):
    return x.split()


def _spacy_tokenize(x, spacy):
    return [tok.text for tok in spacy.tokenizer(x)]


# basic_english: these substitutions, in this order, after lower-casing (torchtext's table).
_patterns = [
    r"\'",
    r"\"",
    r"\.",
    r"<br \/>",
    r",",
    r"\(",
    r"\)",
    r"\!",
    r"\?",
    r"\;",
    r"\:",
    r"\s+",
]

_replacements = [" '  ", "", " . ", " ", " , ", " ( ", " ) ", " ! ", " ? ", " ", " ", " "]

_patterns_dict = [(re.compile(p), r) for p, r in zip(_patterns, _replacements)]


def _basic_english_normalize(line):
    r"""Basic normalization for a line of text.

    Normalization includes

    - lowercasing
    - complete some basic text normalization for English words as follows:
      add spaces before and after '\'', remove '\"', add spaces before and after '.',
      replace '<br \/>' with single space, add spaces before and after ',', '(', ')', '!'
      and '?', replace ';' and ':' with single space, replace multiple spaces with single
      space

    Returns a list of tokens after splitting on whitespace.
    """
    line = line.lower()
    for pattern_re, replaced_str in _patterns_dict:
        line = pattern_re.sub(replaced_str, line)
    return line.split()


def _import(module):
    # importlib rather than an import statement: these libraries are optional and not
    # dependencies of embertext, and are only loaded when their tokenizer is asked for.
    return importlib.import_module(module)


def _spacy(language):
    try:
        spacy = _import("spacy")
        try:
            nlp = spacy.load(language)
        except OSError:
            # Model shortcuts ("en") no longer work in spaCy 3.0+: try the full name.
            shortcuts = getattr(spacy.errors, "OLD_MODEL_SHORTCUTS", {})
            if language not in shortcuts:
                raise
            warnings.warn(
                f'Spacy model "{language}" could not be loaded, '
                f'trying "{shortcuts[language]}" instead',
                stacklevel=3,
            )
            nlp = spacy.load(shortcuts[language])
        return partial(_spacy_tokenize, spacy=nlp)
    except ImportError:
        print("Please install SpaCy. See the docs at https://spacy.io for more information.")
        raise
    except AttributeError:
        print(
            f"Please install SpaCy and the SpaCy {language} tokenizer. "
            "See the docs at https://spacy.io for more information."
        )
        raise


def _moses():
    try:
        return _import("sacremoses").MosesTokenizer().tokenize
    except ImportError:
        print(
            "Please install SacreMoses. "
            "See the docs at https://github.com/alvations/sacremoses for more information."
        )
        raise


def _toktok():
    try:
        return _import("nltk.tokenize.toktok").ToktokTokenizer().tokenize
    except ImportError:
        print("Please install NLTK. See the docs at https://nltk.org  for more information.")
        raise


def _revtok(decap):
    try:
        revtok = _import("revtok")
    except ImportError:
        print("Please install revtok.")
        raise
    return partial(revtok.tokenize, decap=True) if decap else revtok.tokenize


def get_tokenizer(tokenizer, language="en"):
    r"""Generate tokenizer function for a string sentence.

    Args:
        tokenizer: the name of tokenizer function. If None, it returns split()
            function, which splits the string sentence by space.
            If basic_english, it returns _basic_english_normalize() function,
            which normalize the string first and split by space. If a callable
            function, it will return the function. If a tokenizer library
            (e.g. spacy, moses, toktok, revtok, subword), it returns the
            corresponding library; the library is imported only then, and is not a
            dependency of embertext.
        language: Default en

    Raises:
        ValueError: ``"basic_english"`` with a language other than ``"en"``, or an unknown
            tokenizer name.
        ImportError: the third-party library of the requested tokenizer is not installed
            (after printing which library to install, as torchtext does).

    Examples:
        >>> tokenizer = get_tokenizer("basic_english")
        >>> tokenizer("You can now install TorchText using pip!")
        ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
    """
    # default tokenizer is string.split(), added as a module function for serialization
    if tokenizer is None:
        return _split_tokenizer

    if tokenizer == "basic_english":
        if language != "en":
            # torchtext's message, typo included
            raise ValueError("Basic normalization is only available for Enlish(en)")
        return _basic_english_normalize

    # simply return if a function is passed
    if callable(tokenizer):
        return tokenizer

    if tokenizer == "spacy":
        return _spacy(language)
    if tokenizer == "moses":
        return _moses()
    if tokenizer == "toktok":
        return _toktok()
    if tokenizer in ("revtok", "subword"):
        return _revtok(decap=tokenizer == "subword")
    raise ValueError(
        f"Requested tokenizer {tokenizer}, valid choices are a "
        "callable that takes a single string as input, "
        '"revtok" for the revtok reversible tokenizer, '
        '"subword" for the revtok caps-aware tokenizer, '
        '"spacy" for the SpaCy English tokenizer, or '
        '"moses" for the NLTK port of the Moses tokenization '
        "script."
    )


def ngrams_iterator(token_list, ngrams):
    """Return an iterator that yields the given tokens and their ngrams.

    Args:
        token_list: A list of tokens
        ngrams: the number of ngrams.

    Examples:
        >>> token_list = ['here', 'we', 'are']
        >>> list(ngrams_iterator(token_list, 2))
        ['here', 'we', 'are', 'here we', 'we are']
    """
    yield from token_list
    for n in range(2, ngrams + 1):
        for gram in zip(*[token_list[i:] for i in range(n)]):
            yield " ".join(gram)
