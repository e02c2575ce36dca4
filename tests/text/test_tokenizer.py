"""embertext.data: get_tokenizer, ngrams_iterator and the line-iterator helpers."""

import sys

import pytest

from embertext.data import (
    custom_replace,
    get_tokenizer,
    ngrams_iterator,
    numericalize_tokens_from_iterator,
    simple_space_split,
    to_map_style_dataset,
)
from embertext.vocab import Vocab


def test_basic_english_readme_example():
    tokenizer = get_tokenizer("basic_english")
    tokens = tokenizer("You can now install TorchText using pip!")
    assert tokens == ["you", "can", "now", "install", "torchtext", "using", "pip", "!"]


def test_basic_english_substitutions_in_order():
    tokenizer = get_tokenizer("basic_english")
    # ' is spaced out, " removed, <br /> and ; and : become spaces, punctuation split off
    text = 'It\'s "great";really:<br />Yes, (twice)? No.'
    assert tokenizer(text) == [
        "it", "'", "s", "great", "really", "yes", ",", "(", "twice", ")", "?", "no", ".",
    ]  # fmt: skip
    assert tokenizer("") == []


def test_none_and_callable_tokenizers():
    assert get_tokenizer(None)("a  b\tc\n") == ["a", "b", "c"]

    def mine(text):
        return list(text)

    assert get_tokenizer(mine) is mine


def test_bad_tokenizer_arguments():
    with pytest.raises(ValueError, match=r"only available for Enlish\(en\)"):
        get_tokenizer("basic_english", language="de")
    with pytest.raises(ValueError, match="Requested tokenizer nope, valid choices"):
        get_tokenizer("nope")


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("spacy", "spacy"),
        ("moses", "sacremoses"),
        ("toktok", "nltk.tokenize.toktok"),
        ("revtok", "revtok"),
        ("subword", "revtok"),
    ],
)
def test_third_party_tokenizers_raise_import_error_when_absent(name, module, monkeypatch, capsys):
    # a None entry in sys.modules makes importing that package raise ImportError
    monkeypatch.setitem(sys.modules, module.split(".")[0], None)
    with pytest.raises(ImportError):
        get_tokenizer(name)
    assert "Please install" in capsys.readouterr().out


def test_ngrams_iterator():
    assert list(ngrams_iterator(["here", "we", "are"], 1)) == ["here", "we", "are"]
    assert list(ngrams_iterator(["here", "we", "are"], 2)) == [
        "here", "we", "are", "here we", "we are",
    ]  # fmt: skip
    assert list(ngrams_iterator(["a", "b", "c"], 3))[-1] == "a b c"


def test_custom_replace_and_simple_space_split():
    transform = custom_replace([(r"S", "s"), (r"\s+", " ")])
    lines = ["Sentencepiece encode  aS  pieces", "exampleS to   try!"]
    assert list(transform(lines)) == ["sentencepiece encode as pieces", "examples to try!"]
    split = simple_space_split(["Sentencepiece\t\tencode as\n pieces", "example to try!"])
    assert list(split) == [["Sentencepiece", "encode", "as", "pieces"], ["example", "to", "try!"]]


def test_numericalize_tokens_from_iterator():
    vocab = {"Sentencepiece": 0, "encode": 1, "as": 2, "pieces": 3}
    sentences = ["Sentencepiece encode as as as", "pieces pieces encode"]
    ids = numericalize_tokens_from_iterator(vocab, simple_space_split(sentences))
    assert [list(i) for i in ids] == [[0, 1, 2, 2, 2], [3, 3, 1]]
    ids = numericalize_tokens_from_iterator(
        Vocab(list(vocab)), simple_space_split(sentences), removed_tokens=["encode"]
    )
    assert [list(i) for i in ids] == [[0, 2, 2, 2], [3, 3]]


def test_to_map_style_dataset():
    ds = to_map_style_dataset(iter([(1, "a"), (2, "b")]))
    assert len(ds) == 2 and ds[1] == (2, "b")
