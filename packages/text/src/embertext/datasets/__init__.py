"""``torchtext.datasets``: text classification datasets read from their published files.

Each function takes ``(root=".data", split=...)`` and returns one iterable dataset for a
split name, or a tuple of them for a tuple of names.
"""

from .ag_news import AG_NEWS
from .imdb import IMDB
from .sst2 import SST2
from .text_classification import (
    AmazonReviewFull,
    AmazonReviewPolarity,
    DBpedia,
    SogouNews,
    YahooAnswers,
    YelpReviewFull,
    YelpReviewPolarity,
)

DATASETS = {
    "AG_NEWS": AG_NEWS,
    "AmazonReviewFull": AmazonReviewFull,
    "AmazonReviewPolarity": AmazonReviewPolarity,
    "DBpedia": DBpedia,
    "IMDB": IMDB,
    "SogouNews": SogouNews,
    "SST2": SST2,
    "YahooAnswers": YahooAnswers,
    "YelpReviewFull": YelpReviewFull,
    "YelpReviewPolarity": YelpReviewPolarity,
}

__all__ = sorted(DATASETS)
