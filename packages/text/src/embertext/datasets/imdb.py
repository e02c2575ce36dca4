"""IMDB: movie review sentiment, from the ``aclImdb_v1.tar.gz`` archive."""

from __future__ import annotations

import os
import tarfile
import tempfile
from contextlib import ExitStack
from pathlib import PurePosixPath

from ember.utils._download import download_from_mirrors, placement_hint

from ._utils import _by_split, _RawTextIterableDataset

URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"

MD5 = "7c2ac02c03563afcf9b574c7e56c153a"

NUM_LINES = {
    "train": 25000,
    "test": 25000,
}

MAP_LABELS = {"neg": 1, "pos": 2}

_PATH = "aclImdb_v1.tar.gz"

DATASET_NAME = "IMDB"


def _write_cache(archive, split, cache):
    """torchtext's cache of one split: ``cache/neg`` and ``cache/pos``, each holding the
    non-empty lines of that label's reviews (``aclImdb/<split>/<label>/<id>_<rating>.txt``
    in the archive), one a line, in archive order."""
    os.makedirs(cache, exist_ok=True)
    outputs = {}
    try:
        with ExitStack() as stack:
            for label in MAP_LABELS:
                outputs[label] = stack.enter_context(
                    tempfile.NamedTemporaryFile(
                        "w", encoding="utf-8", dir=cache, prefix=f".{label}.", suffix=".part",
                        delete=False,
                    )
                )  # fmt: skip
            tar = stack.enter_context(tarfile.open(archive, "r:*"))
            for member in tar:
                # e.g. "aclImdb/train/neg/12416_3.txt"
                parts = PurePosixPath(member.name).parts
                if not member.isfile() or len(parts) < 3 or parts[-3] != split:
                    continue
                label = parts[-2]
                if label not in outputs:
                    continue
                for line in tar.extractfile(member):
                    line = line.decode("utf-8").rstrip("\r\n")
                    if line:
                        outputs[label].write(line + "\n")
        for label, out in outputs.items():
            os.replace(out.name, os.path.join(cache, label))
    finally:  # a failed write leaves no partial cache behind
        for out in outputs.values():
            if os.path.exists(out.name):
                os.remove(out.name)


def _read_cache(cache):
    for label, index in MAP_LABELS.items():
        with open(os.path.join(cache, label), encoding="utf-8") as f:
            for line in f:
                yield index, line.rstrip("\n")


def IMDB(root=".data", split=("train", "test")):
    """IMDB Dataset

    For additional details refer to http://ai.stanford.edu/~amaas/data/sentiment/

    Reads torchtext's cache of the reviews, ``<root>/IMDB/aclImdb_v1/<split>/{neg,pos}``
    (one review a line), writing it first from ``<root>/IMDB/aclImdb_v1.tar.gz`` (downloaded
    when absent). The negative reviews come first, then the positive ones; the ``unsup``
    reviews are not read.

    Number of lines per split:
        - train: 25000
        - test: 25000

    Args:
        root: Directory where the datasets are saved. Default: ``.data``
        split: split or splits to be returned. Can be a string or tuple of strings.
            Default: (`train`, `test`)

    Returns:
        An iterable dataset (one per split) that yields tuple of label (1 to 2: neg, pos) and
        text containing the movie review
    """
    folder = os.path.join(root, DATASET_NAME)

    def make(s):
        cache = os.path.join(folder, "aclImdb_v1", s)
        if not all(os.path.isfile(os.path.join(cache, label)) for label in MAP_LABELS):
            archive = os.path.join(folder, _PATH)
            if not os.path.isfile(archive):
                download_from_mirrors(
                    [URL], folder, _PATH, MD5, placement_hint(folder, [_PATH]), extract=False
                )
            _write_cache(archive, s, cache)
        return _RawTextIterableDataset(f"{DATASET_NAME} {s}", cache, _read_cache)

    return _by_split(split, tuple(NUM_LINES), DATASET_NAME, make)
