"""GPT2BPETokenizer and BERTTokenizer built from hand-written Hugging Face ``tokenizer.json``
files, against the classic constructors given the same vocabulary in encoder.json / vocab.bpe
and vocab.txt files."""

import json

import pytest

from ember import nn
from embertext._bpe import bytes_to_unicode
from embertext.transforms import BERTTokenizer, GPT2BPETokenizer

_SENTENCES = [
    "hello world",
    "Hello, World!  How are you?",
    "héllo wörld café",
    "  spaces\tand\nnewlines  ",
    "don't stop: 42 + 7 = 49...",
    "",
]


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def _write_json(path, data):
    return _write(path, json.dumps(data, ensure_ascii=False))


# ------------------------------------------------------------------------------ BPE

_G = bytes_to_unicode()[ord(" ")]  # "Ġ"
_MERGES = [("h", "e"), ("l", "l"), ("he", "ll"), (_G, "w"), ("o", "r"), (f"{_G}w", "or")]
_MERGES += [("hell", "o"), ("Ã", "©"), ("c", "a"), ("ca", "f"), ("caf", "Ã©")]
# the 256 byte characters, then one token per merge
_BPE_TOKENS = [bytes_to_unicode()[b] for b in range(256)] + ["".join(m) for m in _MERGES]
_BPE_VOCAB = {t: i for i, t in enumerate(_BPE_TOKENS)}
_BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True}


def _bpe_json(tmp_path, merges, pre_tokenizer=_BYTE_LEVEL):
    model = {"type": "BPE", "vocab": _BPE_VOCAB, "merges": merges}
    return _write_json(
        tmp_path / "tokenizer.json", {"model": model, "pre_tokenizer": pre_tokenizer}
    )


@pytest.fixture
def gpt2_files(tmp_path):
    merges = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in _MERGES)
    return _write_json(tmp_path / "encoder.json", _BPE_VOCAB), _write(
        tmp_path / "vocab.bpe", merges
    )


@pytest.mark.parametrize("merges", [[f"{a} {b}" for a, b in _MERGES], [list(m) for m in _MERGES]])
@pytest.mark.parametrize("return_tokens", [False, True])
def test_gpt2_from_tokenizer_json_matches_classic(tmp_path, gpt2_files, merges, return_tokens):
    classic = GPT2BPETokenizer(*gpt2_files, return_tokens=return_tokens)
    path = _bpe_json(tmp_path, merges)
    tokenizer = GPT2BPETokenizer.from_tokenizer_json(path, return_tokens=return_tokens)
    assert tokenizer(_SENTENCES) == classic(_SENTENCES)
    assert tokenizer.bpe.bpe_merge_ranks == classic.bpe.bpe_merge_ranks


def test_gpt2_from_tokenizer_json_merges_and_decodes(tmp_path):
    tokenizer = GPT2BPETokenizer.from_tokenizer_json(_bpe_json(tmp_path, _MERGES))
    assert isinstance(tokenizer, nn.Module)
    ids = tokenizer("hello world café")
    hello, wor, cafe = (_BPE_VOCAB[t] for t in ("hello", f"{_G}wor", "cafÃ©"))
    assert ids == [str(i) for i in (hello, wor, ord("l"), ord("d"), _BPE_VOCAB[_G], cafe)]
    assert tokenizer.decode(ids) == "hello world café"


@pytest.mark.parametrize(
    "pre_tokenizer",
    [
        None,
        {"type": "Whitespace"},
        {**_BYTE_LEVEL, "add_prefix_space": True},
        {**_BYTE_LEVEL, "use_regex": False},
    ],
)
def test_gpt2_from_tokenizer_json_refuses_other_pre_tokenizers(tmp_path, pre_tokenizer):
    path = _bpe_json(tmp_path, _MERGES, pre_tokenizer=pre_tokenizer)
    with pytest.raises(ValueError, match="ByteLevel pre-tokenizer"):
        GPT2BPETokenizer.from_tokenizer_json(path)


def test_from_tokenizer_json_refuses_other_models(tmp_path):
    unigram = {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}
    path = _write_json(tmp_path / "tokenizer.json", {"model": unigram, "normalizer": None})
    with pytest.raises(ValueError, match=r"Expected a BPE model .* got model type 'Unigram'"):
        GPT2BPETokenizer.from_tokenizer_json(path)
    with pytest.raises(ValueError, match=r"Expected a WordPiece model .* got model type 'Unigram'"):
        BERTTokenizer.from_tokenizer_json(path)


# ------------------------------------------------------------------------------ WordPiece

_WORDPIECE_VOCAB = ["[PAD]", "[UNK]", "hello", "world", "how", "are", "you", "!", ",", "?"]
_WORDPIECE_VOCAB += ["h", "##ell", "##o", "w", "##or", "##ld", "cafe", "café", "##s", "un"]
_WORDPIECE_VOCAB += ["##aff", "##able", "Hello", "World", "'", "t", "don"]


def _bert_normalizer(lowercase=True, strip_accents=None):
    return {
        "type": "BertNormalizer",
        "clean_text": True,
        "handle_chinese_chars": True,
        "strip_accents": strip_accents,
        "lowercase": lowercase,
    }


def _wordpiece_json(tmp_path, normalizer):
    vocab = {t: i for i, t in enumerate(_WORDPIECE_VOCAB)}
    model = {"type": "WordPiece", "unk_token": "[UNK]", "vocab": vocab}
    model |= {"continuing_subword_prefix": "##", "max_input_chars_per_word": 100}
    config = {
        "model": model,
        "normalizer": normalizer,
        "pre_tokenizer": {"type": "BertPreTokenizer"},
    }
    return _write_json(tmp_path / "tokenizer.json", config)


_BERT_SENTENCES = [*_SENTENCES, "unaffable Cafés", "HELLO World café"]


@pytest.mark.parametrize(
    ("normalizer", "classic_kwargs"),
    [
        (_bert_normalizer(), {}),
        (_bert_normalizer(lowercase=False), {"do_lower_case": False}),
        (_bert_normalizer(strip_accents=False), {"strip_accents": False}),
        (
            _bert_normalizer(lowercase=False, strip_accents=True),
            {"do_lower_case": False, "strip_accents": True},
        ),
        (None, {"do_lower_case": False}),
    ],
)
@pytest.mark.parametrize("return_tokens", [False, True])
def test_bert_from_tokenizer_json_matches_classic(
    tmp_path, normalizer, classic_kwargs, return_tokens
):
    vocab_txt = _write(tmp_path / "vocab.txt", "".join(f"{t}\n" for t in _WORDPIECE_VOCAB))
    classic = BERTTokenizer(vocab_txt, return_tokens=return_tokens, **classic_kwargs)
    path = _wordpiece_json(tmp_path, normalizer)
    tokenizer = BERTTokenizer.from_tokenizer_json(path, return_tokens=return_tokens)
    assert tokenizer(_BERT_SENTENCES) == classic(_BERT_SENTENCES)


def test_bert_from_tokenizer_json_reads_normalizer_and_kwargs_override(tmp_path):
    path = _wordpiece_json(tmp_path, _bert_normalizer())
    tokenizer = BERTTokenizer.from_tokenizer_json(path, return_tokens=True)
    assert tokenizer("Hello, WORLD! unaffable café") == [
        "hello", ",", "world", "!", "un", "##aff", "##able", "cafe",
    ]  # fmt: skip
    cased = BERTTokenizer.from_tokenizer_json(path, do_lower_case=False, return_tokens=True)
    assert cased("Hello World café") == ["Hello", "World", "café"]
    kept = BERTTokenizer.from_tokenizer_json(path, strip_accents=False, return_tokens=True)
    assert kept("Café") == ["café"]
    assert BERTTokenizer.from_tokenizer_json(path)("hello you") == ["2", "6"]


def test_bert_from_tokenizer_json_refuses_other_normalizers(tmp_path):
    path = _wordpiece_json(tmp_path, {"type": "Lowercase"})
    with pytest.raises(ValueError, match=r"Expected a BertNormalizer .* got 'Lowercase'"):
        BERTTokenizer.from_tokenizer_json(path)


@pytest.mark.parametrize(
    ("key", "value"),
    [("unk_token", "<unk>"), ("continuing_subword_prefix", "@@"), ("max_input_chars_per_word", 50)],
)
def test_wordpiece_settings_bert_does_not_have_are_refused(tmp_path, key, value):
    path = _wordpiece_json(tmp_path, {"type": "BertNormalizer", "lowercase": True})
    config = json.loads((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))
    config["model"][key] = value
    _write_json(tmp_path / "tokenizer.json", config)
    with pytest.raises(ValueError, match=f"{key}=.*supports"):
        BERTTokenizer.from_tokenizer_json(path)
