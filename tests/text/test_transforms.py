"""embertext.transforms and embertext.functional: single sequences and batches."""

from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from embertext import functional as F
from embertext import transforms as T
from embertext.vocab import vocab


def test_to_tensor_single_and_batches():
    out = F.to_tensor([1, 2, 3])
    assert out.dtype == ember.long and out.tolist() == [1, 2, 3]
    # a single sequence is int64 whatever dtype says (torchtext's behaviour)
    assert F.to_tensor([1, 2], dtype=ember.int32).dtype == ember.long
    out = F.to_tensor([[1, 2], [3, 4]], dtype=ember.int32)
    assert out.dtype == ember.int32 and out.tolist() == [[1, 2], [3, 4]]
    out = F.to_tensor([[1, 2, 3], [4], []], padding_value=-1)
    assert out.dtype == ember.long
    assert out.tolist() == [[1, 2, 3], [4, -1, -1], [-1, -1, -1]]
    out = T.ToTensor(padding_value=0, dtype=ember.float32)([[1], [2, 3]])
    assert out.dtype == ember.float32 and out.tolist() == [[1.0, 0.0], [2.0, 3.0]]
    with pytest.raises(ValueError):
        F.to_tensor([[1, 2], [3]])  # ragged without padding_value
    with pytest.raises(TypeError, match="Input type not supported"):
        F.to_tensor(["a"])


def test_truncate_add_token_str_to_int():
    assert F.truncate([1, 2, 3], 2) == [1, 2]
    assert T.Truncate(2)([["a", "b", "c"], ["d"]]) == [["a", "b"], ["d"]]
    with pytest.raises(TypeError, match="Input type not supported"):
        F.truncate([1, "a"], 1)
    assert F.add_token([1, 2], 0) == [0, 1, 2]
    assert T.AddToken("<eos>", begin=False)([["a"], ["b", "c"]]) == [
        ["a", "<eos>"],
        ["b", "c", "<eos>"],
    ]
    assert T.AddToken(0)([[1], [2]]) == [[0, 1], [0, 2]]
    with pytest.raises(TypeError, match="Input type not supported"):
        F.add_token(["a"], 0)  # token type must match the sequence's
    assert T.StrToIntTransform()(["1", "22"]) == [1, 22]
    assert F.str_to_int([["1"], ["2", "3"]]) == [[1], [2, 3]]
    with pytest.raises(TypeError):
        F.str_to_int([1])


def test_pad_transform_pads_last_dim_only_when_shorter(device):
    x = ember.tensor([[1, 2], [3, 4]], device=device)
    out = T.PadTransform(max_length=4, pad_value=9)(x)
    assert out.dtype == ember.long and out.tolist() == [[1, 2, 9, 9], [3, 4, 9, 9]]
    assert out.device.type == device
    assert T.PadTransform(max_length=1, pad_value=0)(x) is x
    floats = T.PadTransform(max_length=3, pad_value=-1)(ember.ones(2, 2, 1, device=device))
    assert floats.dtype == ember.float32 and floats.device.type == device
    assert floats.tolist() == [[[1.0, -1.0, -1.0]] * 2] * 2


def test_to_tensor_then_pad_on_device(device):
    # ToTensor builds on the CPU (it takes no device, as in torchtext); moved, then padded
    ids = T.ToTensor(padding_value=0)([[5, 6, 7], [8]]).to(device)
    assert ids.device.type == device and ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    out = T.PadTransform(max_length=5, pad_value=1)(ids)
    assert out.device.type == device and out.dtype == ember.long
    assert out.tolist() == [[5, 6, 7, 1, 1], [8, 0, 0, 1, 1]]
    single = T.PadTransform(max_length=4, pad_value=0)(F.to_tensor([3, 4]).to(device))
    assert single.device.type == device and single.tolist() == [3, 4, 0, 0]


def test_vocab_transform_and_label_to_index(tmp_path):
    v = vocab(OrderedDict([("a", 1), ("b", 1), ("c", 1)]))
    transform = T.VocabTransform(v)
    assert transform([["a", "b"], ["a", "b", "c"]]) == [[0, 1], [0, 1, 2]]
    assert transform(["c", "a"]) == [2, 0]
    with pytest.raises(AssertionError):
        T.VocabTransform({"a": 0})
    with pytest.raises(TypeError):
        transform("abc")

    labels = T.LabelToIndex(["neg", "pos"])
    assert labels("pos") == 1 and labels(["pos", "neg"]) == [1, 0]
    assert labels.label_names == ["neg", "pos"]
    path = tmp_path / "labels.txt"
    path.write_text("world\nsports\n\nbusiness\n", encoding="utf-8")
    assert T.LabelToIndex(label_path=str(path), sort_names=True).label_names == [
        "business", "sports", "world",
    ]  # fmt: skip
    with pytest.raises(AssertionError, match="required"):
        T.LabelToIndex()
    with pytest.raises(AssertionError, match="mutually exclusive"):
        T.LabelToIndex(["a"], label_path=str(path))
    with pytest.raises(RuntimeError, match="Token other not found"):
        labels("other")


def test_regex_tokenizer_documented_examples():
    tokenizer = T.RegexTokenizer([(r"[,._+ ]+", r" ")])
    assert tokenizer("Basic.Regex,Tokenization_for+a..Line,,of  Text") == [
        "Basic", "Regex", "Tokenization", "for", "a", "Line", "of", "Text",
    ]  # fmt: skip
    tokenizer = T.RegexTokenizer([(r"\'", " '  "), (r"\"", "")])
    assert tokenizer('Basic Regex "Tokenization" for a Line\'s Text') == [
        "Basic", "Regex", "Tokenization", "for", "a", "Line", "'", "s", "Text",
    ]  # fmt: skip
    # only spaces separate tokens (RE2 tokenizer behaviour): a tab stays inside a token
    assert T.RegexTokenizer([])("a\tb  c") == ["a\tb", "c"]


def test_sequential_pipeline():
    v = vocab(OrderedDict([("<pad>", 1), ("<bos>", 1), ("hi", 1), ("there", 1)]))
    pipeline = T.Sequential(
        T.Truncate(2), T.VocabTransform(v), T.AddToken(1), T.ToTensor(padding_value=0)
    )
    assert isinstance(pipeline, nn.Sequential)
    out = pipeline([["hi", "there", "hi"], ["there"]])
    np.testing.assert_array_equal(out.numpy(), [[1, 2, 3], [1, 3, 0]])
