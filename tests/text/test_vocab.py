"""embertext.vocab: Vocab, vocab() and build_vocab_from_iterator."""

from collections import Counter, OrderedDict

import pytest

from ember import nn
from embertext.vocab import Vocab, build_vocab_from_iterator, vocab


def test_vocab_documented_example():
    counter = Counter(["a", "a", "b", "b", "b"])
    ordered = OrderedDict(sorted(counter.items(), key=lambda x: x[1], reverse=True))
    v1 = vocab(ordered)
    assert v1["a"] == 1 and v1["b"] == 0
    with pytest.raises(RuntimeError, match="Token out of vocab not found and default index"):
        v1["out of vocab"]

    v2 = vocab(OrderedDict([(token, 1) for token in ["e", "d", "c", "b", "a"]]), specials=["<unk>"])
    v2.set_default_index(-1)
    assert v2["<unk>"] == 0 and v2["out of vocab"] == -1
    v2.set_default_index(v2["<unk>"])
    assert v2["out of vocab"] == v2["<unk>"] == 0
    assert v2.get_itos() == ["<unk>", "e", "d", "c", "b", "a"]


def test_vocab_min_freq_specials_last_and_removed_from_counts():
    ordered = OrderedDict([("x", 3), ("<pad>", 9), ("y", 1), ("z", 2)])
    v = vocab(ordered, min_freq=2, specials=["<unk>", "<pad>"], special_first=False)
    assert v.get_itos() == ["x", "z", "<unk>", "<pad>"]
    assert "<pad>" not in ordered  # torchtext pops the specials from the given dict


def test_build_vocab_sorts_by_frequency_then_token():
    it = [["b", "a", "c"], ["c", "a", "d"], ["a", "d", "e"]]
    v = build_vocab_from_iterator(it, specials=["<unk>"])
    # a:3, c:2, d:2, b:1, e:1 -> ties alphabetical
    assert v.get_itos() == ["<unk>", "a", "c", "d", "b", "e"]
    v = build_vocab_from_iterator(it, min_freq=2)
    assert v.get_itos() == ["a", "c", "d"]
    v = build_vocab_from_iterator(it, specials=["<unk>", "<pad>"], max_tokens=4)
    assert v.get_itos() == ["<unk>", "<pad>", "a", "c"]
    v = build_vocab_from_iterator(it, specials=["<eos>"], special_first=False)
    assert v.get_itos()[-1] == "<eos>" and len(v) == 6
    with pytest.raises(AssertionError, match="entirely special tokens"):
        build_vocab_from_iterator(it, specials=["<unk>"], max_tokens=1)


def test_vocab_lookups_and_module_call():
    v = Vocab(["<unk>", "hello", "world"])
    assert isinstance(v, nn.Module)
    assert len(v) == 3 and "hello" in v and "bye" not in v
    assert v(["world", "hello"]) == v.forward(["world", "hello"]) == [2, 1]
    assert v.lookup_indices(["hello"]) == [1]
    with pytest.raises(RuntimeError, match="Token bye not found and default index is not set"):
        v(["hello", "bye"])
    assert v.get_default_index() is None
    v.set_default_index(0)
    assert v.get_default_index() == 0
    assert v(["bye", "world"]) == [0, 2]
    assert v.lookup_token(1) == "hello"
    assert v.lookup_tokens([2, 0]) == ["world", "<unk>"]
    with pytest.raises(
        RuntimeError, match="Specified index 3 is out of bounds for vocab of size 3"
    ):
        v.lookup_token(3)
    with pytest.raises(RuntimeError, match="Specified index -1 at position 1 is out of bounds"):
        v.lookup_tokens([0, -1])
    stoi, itos = v.get_stoi(), v.get_itos()
    assert stoi == {"<unk>": 0, "hello": 1, "world": 2} and itos == ["<unk>", "hello", "world"]
    stoi["x"] = 5
    itos.append("x")
    assert len(v) == 3  # copies


def test_insert_and_append_token():
    v = Vocab(["a", "b", "c"])
    v.insert_token("x", 1)
    assert v.get_itos() == ["a", "x", "b", "c"]
    assert v.get_stoi() == {"a": 0, "x": 1, "b": 2, "c": 3}
    v.append_token("d")
    assert v["d"] == 4
    v.insert_token("e", 5)
    assert v.lookup_token(5) == "e"
    with pytest.raises(RuntimeError, match="Token d already exists in the Vocab with index: 4"):
        v.append_token("d")
    with pytest.raises(
        RuntimeError, match="Specified index 9 is out of bounds for vocab of size 6"
    ):
        v.insert_token("z", 9)
    with pytest.raises(RuntimeError):
        v.insert_token("a", 0)


def test_duplicate_tokens_rejected():
    with pytest.raises(RuntimeError, match="Duplicate token found in tokens list: a"):
        Vocab(["a", "b", "a"])
