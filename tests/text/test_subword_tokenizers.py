"""GPT2BPETokenizer, CLIPTokenizer, CharBPETokenizer and BERTTokenizer on tiny vocabularies
written in the real file formats, against segmentations and ids derived by hand."""

import json
import random
import unicodedata

import pytest

from ember import nn
from embertext._bpe import bytes_to_unicode
from embertext.transforms import BERTTokenizer, CharBPETokenizer, CLIPTokenizer, GPT2BPETokenizer


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------------------ GPT-2

# the byte table's characters for a few bytes, as in OpenAI's encoder.py
_SPACE, _NEWLINE = "\u0120", "\u010a"  # "Ġ", "Ċ"

_GPT2_MERGES = ["h e", "l l", "he ll", f"{_SPACE} w", "o r", f"{_SPACE}w or", "hell o"]


def _gpt2_files(tmp_path, merges=_GPT2_MERGES, trailing_newline=True):
    # ids: the 256 byte characters in byte order, then one token per merge
    tokens = [bytes_to_unicode()[b] for b in range(256)]
    tokens += ["".join(m.split()) for m in _GPT2_MERGES]
    encoder = _write(tmp_path / "encoder.json", json.dumps({t: i for i, t in enumerate(tokens)}))
    text = "#version: 0.2\n" + "\n".join(merges) + ("\n" if trailing_newline else "")
    return encoder, _write(tmp_path / "vocab.bpe", text)


@pytest.fixture
def gpt2(tmp_path):
    return GPT2BPETokenizer(*_gpt2_files(tmp_path), return_tokens=True)


def test_bytes_to_unicode_is_gpt2s_table():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert all(c.isprintable() and not c.isspace() for c in table.values())
    assert table[ord("a")] == "a" and table[ord("!")] == "!" and table[0xE9] == "é"
    # the unprintable bytes take code points 256, 257, ... in byte order
    assert table[0] == "\u0100" and table[32] == _SPACE and table[10] == _NEWLINE
    assert table[0x7F] == "\u0121" and table[0xA0] == "\u0142" and table[0xAD] == "\u0143"


def test_gpt2_merges_by_rank(gpt2):
    # hello: h e l l o -> he l l o -> he ll o -> hell o -> hello
    # Ġworld: Ġ w o r l d -> Ġw o r l d -> Ġw or l d -> Ġwor l d
    assert gpt2("hello world") == ["hello", f"{_SPACE}wor", "l", "d"]
    # "Hello" has no "H e" merge: only "l l" applies
    assert gpt2("Hello") == ["H", "e", "ll", "o"]


def test_gpt2_ids_are_strings(tmp_path):
    tokenizer = GPT2BPETokenizer(*_gpt2_files(tmp_path))
    hello, wor = 256 + _GPT2_MERGES.index("hell o"), 256 + _GPT2_MERGES.index(f"{_SPACE}w or")
    assert tokenizer("hello world") == [str(hello), str(wor), str(ord("l")), str(ord("d"))]
    assert isinstance(tokenizer, nn.Module)


def test_gpt2_lower_rank_wins_and_merges_go_left_to_right(tmp_path):
    encoder = {c: i for i, c in enumerate(["a", "b", "c", "ab", "bc", "aa"])}
    path = _write(tmp_path / "encoder.json", json.dumps(encoder))
    tokenizer = GPT2BPETokenizer(
        path, _write(tmp_path / "vocab.bpe", "#version: 0.2\nb c\na b\na a\n"), return_tokens=True
    )
    assert tokenizer("abc") == ["a", "bc"]  # "b c" ranks before "a b"
    assert tokenizer("aaa") == ["aa", "a"]  # non-overlapping, from the left


def test_gpt2_merges_file_loses_last_line_without_final_newline(tmp_path):
    # torchtext (like OpenAI's encoder.py) drops the last element after splitting on "\n"
    tokenizer = GPT2BPETokenizer(*_gpt2_files(tmp_path, trailing_newline=False), True)
    assert tokenizer("hello") == ["hell", "o"]


def test_gpt2_pre_tokenization(gpt2):
    pre = gpt2.bpe._pre_tokenize
    assert pre("I'm  fine\n\n 42!") == ["I", "'m", " ", " fine", "\n\n", " 42", "!"]
    assert pre("a \tb ") == ["a", " ", "\t", "b", " "]
    assert pre("x  \n") == ["x", "  \n"]  # a whitespace run at the end stays whole
    assert pre("don't stop") == ["don", "'t", " stop"]
    assert pre("5½x") == ["5½", "x"]  # ½ is a number (No), x a letter
    # torchtext keeps a space carried over from a whitespace run on a following contraction
    assert pre("a  's") == ["a", " ", " 's"]
    assert pre("a 's") == ["a", " '", "s"]
    # RE2's \s is ASCII: a no-break space is an ordinary symbol
    assert pre("a\u00a0b") == ["a", "\u00a0", "b"]


def _reference_gpt2_pre_tokenize(text):
    """torchtext's gpt2_bpe_pre_tokenizer, scanned character by character: RE2's leftmost-first
    match of 's|'t|'re|'ve|'m|'ll|'d| ?\\pL+| ?\\pN+| ?[^\\s\\v\\pL\\pN]+|[\\s\\v]+, then the
    post-processing of whitespace runs."""

    def kind(ch):
        if ch in " \t\n\v\f\r":
            return "space"
        return {"L": "letter", "N": "number"}.get(unicodedata.category(ch)[0], "other")

    matches, i = [], 0
    while i < len(text):
        contraction = next(
            (c for c in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d") if text.startswith(c, i)),
            None,
        )
        k = i + 1 if text[i] == " " and i + 1 < len(text) and kind(text[i + 1]) != "space" else i
        if contraction:
            end = i + len(contraction)
        elif kind(text[k]) != "space":
            end = k + 1
            while end < len(text) and kind(text[end]) == kind(text[k]):
                end += 1
        else:
            end = i + 1
            while end < len(text) and kind(text[end]) == "space":
                end += 1
        matches.append((text[i:end], end == len(text)))
        i = end
    tokens, prepend = [], False
    for token, last in matches:
        if all(kind(ch) == "space" for ch in token):
            prepend = False
            if last:
                tokens.append(token)
                continue
            if len(token) > 1:
                tokens.append(token[:-1])
            if token[-1] == " ":
                prepend = True
            else:
                tokens.append(token[-1])
        elif prepend:
            tokens.append(" " + token)
            prepend = False
        else:
            tokens.append(token)
    return tokens


def test_gpt2_pre_tokenization_matches_torchtext_algorithm(gpt2):
    pieces = [*"aZé中 \t\n\v\f\r,.!'_-9²Ⅷ١", "'s", "'ll", "  ", "\u00a0", "\u2028", "😀"]
    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert gpt2.bpe._pre_tokenize(text) == _reference_gpt2_pre_tokenize(text), repr(text)


def test_gpt2_every_byte_is_representable(tmp_path):
    tokenizer = GPT2BPETokenizer(*_gpt2_files(tmp_path))
    # 😀 is F0 9F 98 80: "ð" then three bytes from the unprintable range
    tokens = GPT2BPETokenizer(*_gpt2_files(tmp_path), return_tokens=True)("😀")
    assert tokens == ["ð", "\u0141", "\u013a", "\u0122"]
    for text in ["😀 héllo wörld 中文", "\x00\x01\x7f\u00ad tab\there", "  lead and trail  ", ""]:
        assert tokenizer.decode(tokenizer(text)) == text


def test_gpt2_decode_of_a_partial_character_raises(tmp_path):
    tokenizer = GPT2BPETokenizer(*_gpt2_files(tmp_path))
    with pytest.raises(UnicodeDecodeError):
        tokenizer.decode(tokenizer("é")[:1])


def test_gpt2_special_tokens(tmp_path):
    files = _gpt2_files(tmp_path)
    tokens, ids = GPT2BPETokenizer(*files, return_tokens=True), GPT2BPETokenizer(*files)
    n = 256 + len(_GPT2_MERGES)  # the size of the vocabulary: the next free id
    for tokenizer in (tokens, ids):
        assert tokenizer.add_special_tokens({"eos_token": "<|endoftext|>"}) == 1
        assert tokenizer.add_special_tokens({"eos_token": "<|endoftext|>"}) == 0
        # "hello" is already in the vocabulary: never split from now on, but not added
        added = tokenizer.add_special_tokens({"additional_special_tokens": ["[X]", "hello"]})
        assert added == 1
    # one space on each side of a special token is dropped, and restored by decode
    text = "hello <|endoftext|> world[X]"
    assert tokens(text) == ["hello", "<|endoftext|>", "w", "or", "l", "d", "[X]"]
    hello, or_ = 256 + _GPT2_MERGES.index("hell o"), 256 + _GPT2_MERGES.index("o r")
    expected = [hello, n, ord("w"), or_, ord("l"), ord("d"), n + 1]
    assert ids(text) == [str(i) for i in expected]
    assert ids.decode(ids(text)) == "hello <|endoftext|> world [X]"
    with pytest.raises(AssertionError, match="not in the special token list"):
        ids.add_special_tokens({"foo_token": "<foo>"})


def test_gpt2_batch_and_input_types(gpt2):
    assert gpt2(["hello", "Hello"]) == [["hello"], ["H", "e", "ll", "o"]]
    assert gpt2([]) == []
    for bad in (3, ("hello",), ["hello", 3], None):
        with pytest.raises(TypeError, match="Input type not supported"):
            gpt2(bad)


def test_gpt2_token_missing_from_encoder(tmp_path):
    path = _write(tmp_path / "encoder.json", json.dumps({"a": 0}))
    tokenizer = GPT2BPETokenizer(path, _write(tmp_path / "vocab.bpe", "#version: 0.2\n"))
    assert tokenizer("aa") == ["0", "0"]
    with pytest.raises(RuntimeError, match="'b'"):
        tokenizer("ab")


# ------------------------------------------------------------------------------- CLIP

_CLIP_MERGES = ["h e", "l l", "he ll", "hell o</w>", "o r", "w or", "l d</w>"]


def _clip_id(char, end_of_word=False):
    # the byte characters in bytes_to_unicode's order (printable ASCII first, from "!"),
    # then the same with "</w>"
    return ord(char) - ord("!") + (256 if end_of_word else 0)


@pytest.fixture
def clip_merges(tmp_path):
    return _write(tmp_path / "merges.txt", "#version: 0.2\n" + "\n".join(_CLIP_MERGES) + "\n")


def test_clip_end_of_word_merges(clip_merges):
    tokenizer = CLIPTokenizer(clip_merges, num_merges=len(_CLIP_MERGES), return_tokens=True)
    # hello: h e l l o</w> -> ... -> hello</w>;  world: w o r l d</w> -> w or l d</w> -> wor ld</w>
    assert tokenizer("  Hello WORLD  ") == ["hello</w>", "wor", "ld</w>"]
    # contractions, runs of symbols and single digits; every piece ends in </w>
    expected = ["i", "t</w>", "'", "s</w>", "o", "k</w>", "!", "!</w>", "4</w>", "2</w>"]
    assert tokenizer("it's ok!! 42") == expected
    expected = ["<|startoftext|>", "hello</w>", "<|endoftext|>"]
    assert tokenizer("<|startoftext|>hello<|ENDOFTEXT|>") == expected


def test_clip_ids_without_encoder_file(clip_merges):
    tokenizer = CLIPTokenizer(clip_merges, num_merges=len(_CLIP_MERGES))
    merged = {"".join(m.split()): 512 + i for i, m in enumerate(_CLIP_MERGES)}
    sot, eot = 512 + len(_CLIP_MERGES), 513 + len(_CLIP_MERGES)
    assert tokenizer("<|startoftext|>Hello world! 7<|endoftext|>") == [
        *map(str, [sot, merged["hello</w>"], merged["wor"], merged["ld</w>"]]),
        *map(str, [_clip_id("!", True), _clip_id("7", True), eot]),
    ]
    assert tokenizer(["hi", "Hi"]) == [[str(_clip_id("h")), str(_clip_id("i", True))]] * 2
    # num_merges limits the merges used
    first_three = CLIPTokenizer(clip_merges, num_merges=3, return_tokens=True)
    assert first_three("hello") == ["hell", "o</w>"]
    # without num_merges torchtext counts the empty string after the final newline as a
    # merge, which adds an empty token before <|startoftext|>
    everything = CLIPTokenizer(clip_merges)
    assert everything("<|startoftext|>") == [str(sot + 1)]


def test_clip_encoder_file_gives_ids_and_number_of_merges(tmp_path, clip_merges):
    # 514 entries for the bytes and the two special tokens plus 2: the first two merges
    tokens = [f"t{i}" for i in range(514)] + ["he", "ll"]
    encoder = {t: i for i, t in enumerate(tokens)}
    encoder.update({"h": 1000, "e": 1001, "l": 1002, "o</w>": 1003})
    del encoder["t0"], encoder["t1"], encoder["t2"], encoder["t3"]
    path = _write(tmp_path / "encoder.json", json.dumps(encoder))
    tokenizer = CLIPTokenizer(clip_merges, encoder_json_path=path)
    assert tokenizer("hello") == [str(encoder["he"]), str(encoder["ll"]), "1003"]


# ---------------------------------------------------------------------------- CharBPE

_CHAR_ENCODER = ["<unk>", "l", "o", "w", "e", "r</w>", "lo", "w</w>", "low</w>", "er</w>"]


@pytest.fixture
def char_files(tmp_path):
    encoder = _write(tmp_path / "enc.json", json.dumps({t: i for i, t in enumerate(_CHAR_ENCODER)}))
    merges = _write(tmp_path / "merges.txt", "#version: 0.2\nl o\nlo w</w>\ne r</w>\n")
    return encoder, merges


def test_char_bpe(char_files):
    tokenizer = CharBPETokenizer(*char_files, suffix="</w>", return_tokens=True)
    # low: l o w</w> -> lo w</w> -> low</w>;  lower: l o w e r</w> -> lo w e r</w> -> lo w er</w>
    assert tokenizer("low lower") == ["low</w>", "lo", "w", "er</w>"]
    ids = CharBPETokenizer(*char_files, suffix="</w>")
    assert ids(["low lower", "low"]) == [[8, 6, 3, 9], [8]]  # ids as stored: int
    assert ids.decode([8, 6, 3, 9]) == "low lower "
    assert ids.vocab_size == len(_CHAR_ENCODER)


def test_char_bpe_unknown_and_special_tokens(char_files):
    with pytest.raises(KeyError):
        CharBPETokenizer(*char_files, suffix="</w>")("xy")
    tokenizer = CharBPETokenizer(*char_files, unk_token="<unk>", suffix="</w>")
    assert tokenizer("xy low") == [0, 0, 8]
    assert tokenizer.decode([8, 99]) == "low <unk>"
    special = CharBPETokenizer(*char_files, suffix="</w>", special_tokens=["<unk>"])
    assert special("<unk> low") == [0, 8]
    with pytest.raises(RuntimeError, match="Unknown token <u> not found"):
        CharBPETokenizer(*char_files, unk_token="<u>")
    with pytest.raises(RuntimeError, match="Special token <s> not found"):
        CharBPETokenizer(*char_files, special_tokens=["<s>"])


def test_char_bpe_without_suffix(tmp_path):
    encoder = _write(tmp_path / "enc.json", json.dumps({"a": 0, "b": 1, "ab": 2, "\n": 3}))
    merges = _write(tmp_path / "merges.txt", "#version: 0.2\na b\n")
    tokenizer = CharBPETokenizer(encoder, merges)
    assert tokenizer("ab ba\nab") == [2, 1, 0, 3, 2]  # \S+\n? keeps one newline
    assert tokenizer.decode([2, 1, 0]) == "ab b a"


# ------------------------------------------------------------------------------- BERT

_BERT_VOCAB = [
    *["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", "world", ",", "!"],
    *["中", "国", "cafe", "café", "Cafe", "a", "##a", "é", "##é", "ab", "##c", "##bc", "$"],
    *["«", "»", "σοφοσ", "istanbul", "[", "]"],
]


@pytest.fixture
def vocab_path(tmp_path):
    return _write(tmp_path / "vocab.txt", "\n".join(_BERT_VOCAB) + "\n")


def test_bert_wordpiece(vocab_path):
    tokenizer = BERTTokenizer(vocab_path, return_tokens=True)
    assert tokenizer("unaffable") == ["un", "##aff", "##able"]
    assert tokenizer("UnAffable") == ["un", "##aff", "##able"]
    assert tokenizer("abc") == ["ab", "##c"]  # longest match first, not "a ##bc"
    assert tokenizer("xyz unx") == ["[UNK]", "[UNK]"]  # "un" then no "##x": the whole word
    ids = BERTTokenizer(vocab_path)
    assert ids("unaffable hello") == ["4", "5", "6", "7"]
    assert isinstance(ids, nn.Module)


def test_bert_basic_tokenization(vocab_path):
    tokenizer = BERTTokenizer(vocab_path, return_tokens=True)
    assert tokenizer("hello,world!") == ["hello", ",", "world", "!"]
    assert tokenizer("a$a") == ["a", "$", "a"]  # ASCII symbols count as punctuation
    assert tokenizer("«hello»") == ["«", "hello", "»"]  # so do Unicode P* characters
    assert tokenizer("中国人") == ["中", "国", "[UNK]"]
    # controls, U+0000, U+FFFD and format characters are dropped; other spaces split words
    text = "hel\x00lo\ufffd wor\u200bld\tHello\u3000world\n"
    assert tokenizer(text) == ["hello", "world", "hello", "world"]


def test_bert_accents_and_case(vocab_path):
    def tokens(text, **kwargs):
        return BERTTokenizer(vocab_path, return_tokens=True, **kwargs)(text)

    assert tokens("Café") == ["cafe"]  # lower-casing strips accents by default
    assert tokens("Café", do_lower_case=False) == ["[UNK]"]
    assert tokens("café", do_lower_case=False) == ["café"]
    assert tokens("Café", do_lower_case=False, strip_accents=True) == ["Cafe"]
    assert tokens("CAFÉ", strip_accents=False) == ["café"]  # documented meaning (see docstring)
    # per-character lower-casing: no word-final sigma, and İ becomes a plain i
    assert tokens("ΣΟΦΟΣ") == ["σοφοσ"]
    assert tokens("İSTANBUL", strip_accents=False) == ["istanbul"]


def test_bert_never_split(vocab_path):
    tokenizer = BERTTokenizer(vocab_path, return_tokens=True, never_split=["[CLS]", "[SEP]"])
    assert tokenizer("[CLS] Hello [SEP]") == ["[CLS]", "hello", "[SEP]"]
    # only a whole space-separated piece is protected
    assert tokenizer("hello[SEP]") == ["hello", "[", "[UNK]", "]"]
    assert BERTTokenizer(vocab_path, return_tokens=True)("[CLS]") == ["[", "[UNK]", "]"]


def test_bert_long_words_are_unknown_by_utf8_length(vocab_path):
    tokenizer = BERTTokenizer(vocab_path, do_lower_case=False, return_tokens=True)
    assert tokenizer("a" * 100) == ["a"] + ["##a"] * 99
    assert tokenizer("a" * 101) == ["[UNK]"]
    assert tokenizer("é" * 50) == ["é"] + ["##é"] * 49  # 100 bytes
    assert tokenizer("é" * 51) == ["[UNK]"]  # 51 characters, but 102 bytes


def test_bert_vocab_file_ids(tmp_path):
    # a repeated line keeps its first id; an empty line is the token "\n"
    path = _write(tmp_path / "vocab.txt", "[UNK]\nfoo\n\nbar\nfoo\n")
    assert BERTTokenizer(path)("bar foo baz") == ["3", "1", "0"]


def test_bert_missing_unk_token(tmp_path):
    tokenizer = BERTTokenizer(_write(tmp_path / "vocab.txt", "hello\n"))
    assert tokenizer("hello") == ["0"]
    with pytest.raises(RuntimeError, match=r"Token \[UNK\] not found and default index is not set"):
        tokenizer("goodbye")


def test_bert_batch_and_input_types(vocab_path):
    tokenizer = BERTTokenizer(vocab_path)
    assert tokenizer(["hello world", "  unaffable "]) == [["7", "8"], ["4", "5", "6"]]
    assert tokenizer([]) == []
    with pytest.raises(TypeError, match="Input type not supported"):
        tokenizer(("hello",))
