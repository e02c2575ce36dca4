"""AG_NEWS: news topic classification from CSV files."""

from __future__ import annotations

import os

from ._utils import _by_split, _file, _RawTextIterableDataset, _read_label_text_csv

URL = {
    "train": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
    "test": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
}

MD5 = {
    "train": "b1a00f826fdfbd249f79597b59e1dc12",
    "test": "d52ea96a97a2d943681189a97654912d",
}

NUM_LINES = {
    "train": 120000,
    "test": 7600,
}

DATASET_NAME = "AG_NEWS"


def AG_NEWS(root=".data", split=("train", "test")):
    """AG_NEWS Dataset

    For additional details refer to https://paperswithcode.com/dataset/ag-news

    Reads ``<root>/AG_NEWS/train.csv`` and ``test.csv`` (rows ``"label","title","description"``),
    downloading the missing ones.

    Number of lines per split:
        - train: 120000
        - test: 7600

    Args:
        root: Directory where the datasets are saved. Default: ``.data``
        split: split or splits to be returned. Can be a string or tuple of strings.
            Default: (`train`, `test`)

    Returns:
        An iterable dataset (one per split) that yields tuple of label (1 to 4: World,
        Sports, Business, Sci/Tech) and text (title and description joined by a space).
    """
    folder = os.path.join(root, DATASET_NAME)

    def make(s):
        path = _file(folder, f"{s}.csv", URL[s], MD5[s])
        return _RawTextIterableDataset(f"{DATASET_NAME} {s}", path, _read_label_text_csv)

    return _by_split(split, tuple(NUM_LINES), DATASET_NAME, make)
