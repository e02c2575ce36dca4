"""embertext.vocab.Vectors / GloVe / FastText: the word-vector text formats and the cache."""

import gzip
import logging
import os
import time

import numpy as np
import pytest

import ember
from embertext.vocab import FastText, GloVe, Vectors

WORDS = {"the": [0.5, -1.0, 2.25], "cat": [1.0, 0.0, -0.5], "Paris": [3.0, 3.5, -4.0]}


def glove_text(words=WORDS):
    return "".join(f"{w} {' '.join(repr(x) for x in v)}\n" for w, v in words.items())


def test_glove_text_file(tmp_path):
    (tmp_path / "vec.txt").write_text(glove_text(), encoding="utf-8")
    vectors = Vectors("vec.txt", cache=str(tmp_path))
    assert vectors.itos == ["the", "cat", "Paris"] and vectors.stoi["cat"] == 1
    assert vectors.dim == 3 and len(vectors) == 3
    assert vectors.vectors.dtype == ember.float32
    np.testing.assert_array_equal(vectors.vectors.numpy(), np.array(list(WORDS.values()), "f4"))
    np.testing.assert_array_equal(vectors["cat"].numpy(), WORDS["cat"])
    assert "the" in vectors and "dog" not in vectors
    np.testing.assert_array_equal(vectors["dog"].numpy(), [0, 0, 0])  # unk_init: zeros


def test_get_vecs_by_tokens(tmp_path):
    (tmp_path / "vec.txt").write_text(glove_text(), encoding="utf-8")
    vectors = Vectors(str(tmp_path / "vec.txt"), cache=str(tmp_path / "cache"))
    got = vectors.get_vecs_by_tokens(["cat", "the"])
    np.testing.assert_array_equal(got.numpy(), [WORDS["cat"], WORDS["the"]])
    assert tuple(vectors.get_vecs_by_tokens("Paris").shape) == (3,)
    got = vectors.get_vecs_by_tokens(["CAT", "dog"], lower_case_backup=True)
    np.testing.assert_array_equal(got.numpy(), [WORDS["cat"], [0, 0, 0]])
    assert vectors.get_vecs_by_tokens(["PARIS"], lower_case_backup=True).numpy().sum() == 0


def test_unk_init_and_max_vectors(tmp_path):
    (tmp_path / "vec.txt").write_text(glove_text(), encoding="utf-8")

    def ones(tensor):
        return tensor.fill_(1.0)

    vectors = Vectors("vec.txt", cache=str(tmp_path), unk_init=ones, max_vectors=2)
    assert vectors.itos == ["the", "cat"]
    np.testing.assert_array_equal(vectors["Paris"].numpy(), [1, 1, 1])
    assert os.path.isfile(tmp_path / "vec.txt_2.safetensors")


def test_fasttext_vec_with_header_and_gz(tmp_path, caplog):
    body = "3 3\n" + glove_text()
    (tmp_path / "wiki.xx.vec").write_text(body, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        vectors = FastText(language="xx", cache=str(tmp_path))
    assert vectors.itos == ["the", "cat", "Paris"]
    assert "likely a header" in caplog.text
    with gzip.open(tmp_path / "w.vec.gz", "wt", encoding="utf-8") as f:
        f.write(body)
    assert Vectors("w.vec.gz", cache=str(tmp_path)).itos == ["the", "cat", "Paris"]


def test_cache_file_is_read_instead_of_the_text(tmp_path):
    (tmp_path / "glove.6B.3d.txt").write_text(glove_text(), encoding="utf-8")
    first = GloVe(name="6B", dim=3, cache=str(tmp_path))
    cached = tmp_path / "glove.6B.3d.txt.safetensors"
    assert cached.is_file()
    (tmp_path / "glove.6B.3d.txt").write_text("the 9 9 9\n", encoding="utf-8")
    second = GloVe(name="6B", dim=3, cache=str(tmp_path))
    assert second.itos == first.itos
    np.testing.assert_array_equal(second.vectors.numpy(), first.vectors.numpy())
    # the cache is a safetensors file: never a pickle
    assert ember.load(str(cached), weights_only=True)["itos"] == ["the", "cat", "Paris"]


def test_bad_rows_and_missing_files(tmp_path, offline):
    (tmp_path / "bad.txt").write_text("a 1 2 3\nb 1 2\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="Vector for token b'b' has 2 dimensions"):
        Vectors("bad.txt", cache=str(tmp_path))
    with pytest.raises(RuntimeError, match="no vectors found at"):
        Vectors("absent.txt", cache=str(tmp_path))

    calls = offline
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        GloVe(name="6B", dim=50, cache=str(tmp_path / "vc"))
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    assert "http://nlp.stanford.edu/data/glove.6B.zip" in message
    assert f"place these files in {tmp_path / 'vc'}" in message
    assert "glove.6B.50d.txt" in message
    assert calls == ["http://nlp.stanford.edu/data/glove.6B.zip"]
    assert not os.listdir(tmp_path / "vc")  # nothing half-written
