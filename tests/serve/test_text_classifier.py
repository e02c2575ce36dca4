"""The text_classifier handler against a numpy reference of its model."""

import numpy as np
import pytest

import ember
from emberserve import ServeConfig, archive
from emberserve.errors import ArchiveError, InvalidInput
from emberserve.handlers import handle_batch
from emberserve.handlers.text_classifier import clean_text, save_vocab
from emberserve.registry import ModelRegistry

embertext = pytest.importorskip("embertext")
from embertext.vocab import build_vocab_from_iterator  # noqa: E402

LABELS = ["World", "Sports", "Business", "Sci/Tec"]
CORPUS = ["the match ended", "stocks fell today", "the new chip", "rain in the city"]


def _vocab(default=True):
    tokenizer = embertext.data.utils.get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator(
        (list(embertext.data.utils.ngrams_iterator(tokenizer(t), 2)) for t in CORPUS),
        specials=["<unk>"],
    )
    if default:
        vocab.set_default_index(vocab["<unk>"])
    return vocab


def _archive(tmp_path, words, **config):
    path = tmp_path / "vocab.json"
    save_vocab(words, path)
    return archive.create(
        tmp_path / "news.emar",
        name="news",
        factory="emberserve.testing:bag_classifier",
        kwargs={"vocab_size": len(words), "num_class": len(LABELS)},
        handler="text_classifier",
        handler_config={"vocab": "vocab.json", **config},
        labels=LABELS,
        extra_files=[path],
        batch_size=4,
    )


def _reference(net, ids):
    """softmax(fc(mean of the embedding rows)) in numpy."""
    weight = net.embedding.weight.detach().numpy()
    fc_w, fc_b = net.fc.weight.detach().numpy(), net.fc.bias.detach().numpy()
    logits = weight[ids].mean(0) @ fc_w.T + fc_b
    return np.exp(logits) / np.exp(logits).sum()


def test_clean_text_follows_torchserve():
    assert clean_text("<b>Don't</b> PANIC &amp; café, ok?!") == "dont panic  cafe ok"


def test_text_classifier_end_to_end(tmp_path):
    vocab = _vocab()
    registry = ModelRegistry(ServeConfig())
    model = registry.register(_archive(tmp_path, vocab))
    try:
        handler = model.batcher.make_handler()
        texts = ["The <i>match</i> ended!", "Stocks fell, today.", "zebra the chip"]
        batch = [
            {"body": texts[0].encode()},
            {"inputs": {"text": np.array([t.encode() for t in texts[1:]], dtype=object)}},
        ]
        with ember.inference_mode():
            top, v2 = handle_batch(handler, batch)
        net = model.context.load_model()
        # hand-tokenized: words then bigrams; "zebra" and "zebra the" are unknown -> <unk> (0)
        tokens = [
            ["the", "match", "ended", "the match", "match ended"],
            ["stocks", "fell", "today", "stocks fell", "fell today"],
            ["zebra", "the", "chip", "zebra the", "the chip"],
        ]
        expected = [_reference(net, [vocab[t] for t in ts]) for ts in tokens]
        assert vocab["zebra"] == 0
        np.testing.assert_allclose(v2["probabilities"], expected[1:], rtol=1e-5)
        order = np.argsort(-expected[0])
        assert list(top) == [LABELS[i] for i in order]
        np.testing.assert_allclose(list(top.values()), expected[0][order], rtol=1e-5)
        assert v2["probabilities"].dtype == np.float32
    finally:
        registry.close()


def test_text_classifier_bad_requests(tmp_path):
    registry = ModelRegistry(ServeConfig())
    model = registry.register(_archive(tmp_path, _vocab(default=False), ngrams=1))
    try:
        handler = model.batcher.make_handler()
        good = {"body": b"the chip"}
        results = handle_batch(
            handler, [good, {"body": b"?!"}, {"body": b"\xff\xfe"}, {"body": b"zebra"}]
        )
        assert isinstance(results[0], dict) and list(results[0]) != []
        for error, message in zip(
            results[1:], ["no words once cleaned", "must be UTF-8", "not in the vocabulary"]
        ):
            assert isinstance(error, InvalidInput) and message in str(error)
    finally:
        registry.close()


def test_text_classifier_settings_and_vocab_file(tmp_path):
    with pytest.raises(ValueError, match="unknown text_classifier settings"):
        _archive(tmp_path, _vocab(), topk=3)
    with pytest.raises(ValueError, match="ngrams must be an integer >= 1"):
        _archive(tmp_path, _vocab(), ngrams=0)
    path = _archive(tmp_path, _vocab(), vocab="missing.json")
    registry = ModelRegistry(ServeConfig())
    try:
        with pytest.raises(ArchiveError, match="cannot read the text_classifier vocabulary"):
            registry.register(path)
    finally:
        registry.close()
