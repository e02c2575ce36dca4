"""SST2: sentence sentiment (GLUE's SST-2), from tab-separated files."""

from __future__ import annotations

import csv
import os
from functools import partial

from ._utils import _by_split, _extracted, _RawTextIterableDataset

URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"

MD5 = "9f81648d4199384278b86e315dac217c"

NUM_LINES = {
    "train": 67349,
    "dev": 872,
    "test": 1821,
}

_PATH = "SST-2.zip"

DATASET_NAME = "SST2"


def _read_tsv(labelled, path):
    """Skip the header; ``sentence<TAB>label`` -> ``(sentence, int(label))``, or, for the
    unlabelled test split, ``index<TAB>sentence`` -> ``(sentence,)``."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows, None)
        for row in rows:
            yield (row[0].strip(), int(row[1])) if labelled else (row[1].strip(),)


def SST2(root=".data", split=("train", "dev", "test")):
    """SST2 Dataset

    For additional details refer to https://nlp.stanford.edu/sentiment/

    Reads ``<root>/SST2/SST-2/{train,dev,test}.tsv``, extracted from ``SST-2.zip``
    (downloaded when neither is there).

    Number of lines per split:
        - train: 67349
        - dev: 872
        - test: 1821

    Args:
        root: Directory where the datasets are saved. Default: ``.data``
        split: split or splits to be returned. Can be a string or tuple of strings.
            Default: (`train`, `dev`, `test`)

    Returns:
        An iterable dataset (one per split) that yields tuple of text and label (0 or 1).
        The `test` split only returns text (a 1-tuple).
    """
    folder = os.path.join(root, DATASET_NAME)

    def make(s):
        path = _extracted(folder, f"SST-2/{s}.tsv", _PATH, URL, MD5)
        parse = partial(_read_tsv, s != "test")
        return _RawTextIterableDataset(f"{DATASET_NAME} {s}", path, parse)

    return _by_split(split, tuple(NUM_LINES), DATASET_NAME, make)
