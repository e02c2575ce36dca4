"""The CSV text classification sets of Zhang et al. (2015), "Character-level Convolutional
Networks for Text Classification" (https://arxiv.org/abs/1509.01626): DBpedia,
YelpReviewPolarity, YelpReviewFull, YahooAnswers, AmazonReviewPolarity, AmazonReviewFull and
SogouNews.

Each is published as ``<stem>.tar.gz`` holding ``<stem>/train.csv`` and ``<stem>/test.csv``
of ``"label","text",...`` rows; torchtext has one module per set with the same body, Ember one
table. Each function carries torchtext's constants as attributes: ``URL``, ``MD5``,
``NUM_LINES``, ``DATASET_NAME`` and ``_PATH`` (the archive's name).
"""

from __future__ import annotations

from collections import namedtuple

from ._utils import _csv_classification

_Spec = namedtuple("_Spec", "drive_id md5 train test stem labels text")

_GDRIVE = "https://drive.google.com/uc?export=download&id="

_SPECS = {
    "DBpedia": _Spec(
        "0Bz8a_Dbh9QhbQ2Vic1kxMmZZQ1k", "dca7b1ae12b1091090db52aa7ec5ca64", 560000, 70000,
        "dbpedia_csv", "1 to 14", "title and abstract of a Wikipedia article",
    ),
    "YelpReviewPolarity": _Spec(
        "0Bz8a_Dbh9QhbNUpYQ2N3SGlFaDg", "620c8ae4bd5a150b730f1ba9a7c6a4d3", 560000, 38000,
        "yelp_review_polarity_csv", "1 to 2", "review",
    ),
    "YelpReviewFull": _Spec(
        "0Bz8a_Dbh9QhbZlU4dXhHTFhZQU0", "f7ddfafed1033f68ec72b9267863af6c", 650000, 50000,
        "yelp_review_full_csv", "1 to 5", "review",
    ),
    "YahooAnswers": _Spec(
        "0Bz8a_Dbh9Qhbd2JNdDBsQUdocVU", "f3f9899b997a42beb24157e62e3eea8d", 1400000, 60000,
        "yahoo_answers_csv", "1 to 10", "question title, question content, and best answer",
    ),
    "AmazonReviewPolarity": _Spec(
        "0Bz8a_Dbh9QhbaW12WVVZS2drcnM", "fe39f8b653cada45afd5792e0f0e8f9b", 3600000, 400000,
        "amazon_review_polarity_csv", "1 to 2", "review title and text",
    ),
    "AmazonReviewFull": _Spec(
        "0Bz8a_Dbh9QhbZVhsUnRWRDhETzA", "57d28bd5d930e772930baddf36641c7c", 3000000, 650000,
        "amazon_review_full_csv", "1 to 5", "review title and text",
    ),
    "SogouNews": _Spec(
        "0Bz8a_Dbh9QhbUkVqNEszd0pHaFE", "0c1700ba70b73f964dd8de569d3fd03e", 450000, 60000,
        "sogou_news_csv", "1 to 5", "news title and contents (in pinyin)",
    ),
}  # fmt: skip

_DOC = """{name} Dataset

    For additional details refer to https://arxiv.org/abs/1509.01626

    Reads ``<root>/{name}/{stem}/{{train,test}}.csv``, extracted from ``{stem}.tar.gz``
    (downloaded when neither is there).

    Number of lines per split:
        - train: {train}
        - test: {test}

    Args:
        root: Directory where the datasets are saved. Default: ``.data``
        split: split or splits to be returned. Can be a string or tuple of strings.
            Default: (`train`, `test`)

    Returns:
        An iterable dataset (one per split) that yields tuple of label ({labels}) and text
        containing the {text}: the CSV's text columns joined by a space.
    """


def _dataset(name):
    spec = _SPECS[name]
    num_lines = {"train": spec.train, "test": spec.test}
    url = _GDRIVE + spec.drive_id
    archive = f"{spec.stem}.tar.gz"

    def dataset(root=".data", split=("train", "test")):
        return _csv_classification(root, split, name, num_lines, url, spec.md5, archive)

    dataset.__name__ = dataset.__qualname__ = name
    dataset.__doc__ = _DOC.format(name=name, **spec._asdict())
    dataset.URL, dataset.MD5, dataset.NUM_LINES = url, spec.md5, num_lines
    dataset.DATASET_NAME, dataset._PATH = name, archive
    return dataset


DBpedia = _dataset("DBpedia")
YelpReviewPolarity = _dataset("YelpReviewPolarity")
YelpReviewFull = _dataset("YelpReviewFull")
YahooAnswers = _dataset("YahooAnswers")
AmazonReviewPolarity = _dataset("AmazonReviewPolarity")
AmazonReviewFull = _dataset("AmazonReviewFull")
SogouNews = _dataset("SogouNews")
