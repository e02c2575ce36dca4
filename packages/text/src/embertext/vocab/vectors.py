"""Pre-trained word vectors read from the word-vector text format (``torchtext.vocab``).

The format is one token a line: the token, a space, then its values separated by single
spaces (GloVe ``.txt``, word2vec text, fastText ``.vec``). A first line with fewer than two
values, such as the ``"<count> <dim>"`` header of word2vec and fastText files, is skipped.

Caching: torchtext saves the parsed vectors as a pickled ``<name>.pt`` beside the text file.
Ember never pickles; it saves them with ``ember.save`` (a safetensors file) as
``<cache>/<name>.safetensors`` (``<name>_<max_vectors>.safetensors`` when ``max_vectors`` is
given) and loads that on later calls. Delete it to re-read the text file.
"""

from __future__ import annotations

import gzip
import logging
import os
from functools import partial

import numpy as np

import ember
from ember.hub import download_url_to_file
from ember.utils._download import extract_archive, placement_hint

__all__ = ["Vectors", "GloVe", "FastText", "pretrained_aliases"]

logger = logging.getLogger(__name__)


def _zero_(tensor):
    return tensor.zero_()


def _read_word_vectors(path, max_vectors):
    """Parse a word-vector text file: (tokens, float32 array ``(n, dim)``)."""
    opener = gzip.open if path.endswith(".gz") else open
    itos, rows, dim = [], [], None
    with opener(path, "rb") as f:
        for line in f:
            if max_vectors and len(itos) == max_vectors:
                break
            # Explicitly splitting on b" " (not any whitespace) keeps Unicode non-breaking
            # spaces inside tokens.
            word, _, values = line.rstrip().partition(b" ")
            size = values.count(b" ") + 1 if values else 0
            if dim is None and size > 1:
                dim = size
            elif size == 1:
                logger.warning(
                    "Skipping token %s with 1-dimensional vector %s; likely a header", word, values
                )
                continue
            elif size != dim:
                raise RuntimeError(
                    f"Vector for token {word} has {size} dimensions, but previously read "
                    f"vectors have {dim} dimensions. All vectors must have the same number of "
                    "dimensions."
                )
            try:
                word = word.decode("utf-8")
            except UnicodeDecodeError:
                logger.info("Skipping non-UTF8 token %r", word)
                continue
            itos.append(word)
            rows.append(values)
    if not itos:
        raise RuntimeError(f"no vectors found in {path}")
    # One parse of all values at once rather than a float() per entry.
    data = np.array(b" ".join(rows).split(b" "), dtype=np.float32)
    return itos, data.reshape(len(itos), dim)


class Vectors:
    """Pre-trained word vectors loaded from a word-vector text file.

    Args:
        name: name of the file that contains the vectors (a path, or a name in ``cache``);
            ``.gz`` files are read compressed.
        cache: directory for cached vectors. Default: ``".vector_cache"``.
        url: url for download if vectors not found in cache
        unk_init (callback): by default, initialize out-of-vocabulary word vectors
            to zero vectors; can be any function that takes in a Tensor and returns a Tensor
            of the same size
        max_vectors (int): this can be used to limit the number of pre-trained vectors
            loaded. Most pre-trained vector sets are sorted in the descending order of word
            frequency. Thus, in situations where the entire set doesn't fit in memory, or is
            not needed for another reason, passing `max_vectors` can limit the size of the
            loaded set.

    Attributes:
        itos (list of str): the tokens, in file order.
        stoi (dict): token -> row of ``vectors``.
        vectors (Tensor): float32, ``(len(itos), dim)``.
        dim (int): the vector size.

    Raises:
        RuntimeError: the file is absent and cannot be downloaded (the message says which
            file to place where), or its rows differ in size.

    Example:
        >>> vectors = Vectors("glove.6B.50d.txt", cache="data/glove")
        >>> vectors["the"].shape
        ember.Size([50])
    """

    def __init__(self, name, cache=None, url=None, unk_init=None, max_vectors=None):
        cache = ".vector_cache" if cache is None else cache
        self.itos = None
        self.stoi = None
        self.vectors = None
        self.dim = None
        self.unk_init = _zero_ if unk_init is None else unk_init
        self.cache(name, cache, url=url, max_vectors=max_vectors)

    def __getitem__(self, token):
        if token in self.stoi:
            return self.vectors[self.stoi[token]]
        return self.unk_init(ember.zeros(self.dim))

    def __contains__(self, token):
        return token in self.stoi

    def __len__(self):
        return len(self.vectors)

    def cache(self, name, cache, url=None, max_vectors=None):
        """Load the vectors: from the Ember cache file, else the text file, downloading it
        (when ``url`` is given) if absent, then write the cache file."""
        name = os.fspath(name)
        path = name if os.path.isfile(name) else os.path.join(cache, name)
        suffix = f"_{max_vectors}.safetensors" if max_vectors else ".safetensors"
        path_cached = os.path.join(cache, os.path.basename(path)) + suffix

        if os.path.isfile(path_cached):
            logger.info("Loading vectors from %s", path_cached)
            saved = ember.load(path_cached)
            self._set(saved["itos"], saved["vectors"])
            return

        if not os.path.isfile(path) and url:
            self._download(url, cache, path)
        if not os.path.isfile(path):
            raise RuntimeError(f"no vectors found at {path}")

        logger.info("Loading vectors from %s", path)
        itos, data = _read_word_vectors(path, max_vectors)
        self._set(itos, ember.from_numpy(data))
        logger.info("Saving vectors to %s", path_cached)
        os.makedirs(cache, exist_ok=True)
        ember.save({"itos": self.itos, "vectors": self.vectors}, path_cached)

    def _set(self, itos, vectors):
        self.itos = list(itos)
        self.stoi = {word: i for i, word in enumerate(self.itos)}
        self.vectors = vectors
        self.dim = vectors.shape[1]

    @staticmethod
    def _download(url, cache, path):
        dest = os.path.join(cache, os.path.basename(url))
        if not os.path.isfile(dest):
            logger.info("Downloading vectors from %s", url)
            try:
                download_url_to_file(url, dest)
            except (OSError, RuntimeError) as error:
                hint = placement_hint(cache, [os.path.basename(path)])
                raise RuntimeError(
                    f"Error downloading {url}: {error}\n{hint}\n"
                    f"(or the archive {os.path.basename(url)} it comes in)"
                ) from None
        if dest.endswith((".zip", ".tar.gz", ".tgz")):
            logger.info("Extracting vectors into %s", cache)
            extract_archive(dest, cache)

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """Look up embedding vectors of tokens.

        Args:
            tokens: a token or a list of tokens. if `tokens` is a string,
                returns a 1-D tensor of shape `self.dim`; if `tokens` is a
                list of strings, returns a 2-D tensor of shape=(len(tokens),
                self.dim).
            lower_case_backup : Whether to look up the token in the lower case.
                If False, each token in the original case will be looked up;
                if True, each token in the original case will be looked up first,
                if not found in the keys of the property `stoi`, the token in the
                lower case will be looked up. Default: False.

        Examples:
            >>> examples = ['chip', 'baby', 'Beautiful']
            >>> vec = GloVe(name='6B', dim=50)
            >>> ret = vec.get_vecs_by_tokens(examples, lower_case_backup=True)
        """
        to_reduce = not isinstance(tokens, list)
        if to_reduce:
            tokens = [tokens]
        if lower_case_backup:
            tokens = [token if token in self.stoi else token.lower() for token in tokens]
        rows = [self.stoi.get(token) for token in tokens]
        if None in rows:  # unk_init may differ per call (random init): one call per token
            vecs = ember.stack([self[token] for token in tokens])
        else:  # every token known: one gather
            vecs = self.vectors[ember.tensor(rows, dtype=ember.long)]
        return vecs[0] if to_reduce else vecs


class GloVe(Vectors):
    """`GloVe <https://nlp.stanford.edu/projects/glove/>`_ vectors, read from
    ``<cache>/glove.<name>.<dim>d.txt``; downloaded from Stanford (a zip of every dimension
    of that release) when absent.

    Args:
        name: ``"840B"``, ``"42B"``, ``"twitter.27B"`` or ``"6B"``.
        dim: vector size offered by that release (300; 25/50/100/200; 50/100/200/300).
        **kwargs: ``cache``, ``unk_init``, ``max_vectors`` of ``Vectors``.
    """

    url = {
        "42B": "http://nlp.stanford.edu/data/glove.42B.300d.zip",
        "840B": "http://nlp.stanford.edu/data/glove.840B.300d.zip",
        "twitter.27B": "http://nlp.stanford.edu/data/glove.twitter.27B.zip",
        "6B": "http://nlp.stanford.edu/data/glove.6B.zip",
    }

    def __init__(self, name="840B", dim=300, **kwargs):
        url = self.url[name]
        name = f"glove.{name}.{dim}d.txt"
        super().__init__(name, url=url, **kwargs)


class FastText(Vectors):
    """`fastText <https://fasttext.cc/docs/en/pretrained-vectors.html>`_ Wikipedia vectors,
    read from ``<cache>/wiki.<language>.vec`` (a ``.vec`` file with its header line);
    downloaded when absent.

    Args:
        language: the Wikipedia language code, e.g. ``"en"``, ``"simple"``.
        **kwargs: ``cache``, ``unk_init``, ``max_vectors`` of ``Vectors``.
    """

    url_base = "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.{}.vec"

    def __init__(self, language="en", **kwargs):
        url = self.url_base.format(language)
        name = os.path.basename(url)
        super().__init__(name, url=url, **kwargs)


pretrained_aliases = {
    "fasttext.en.300d": partial(FastText, language="en"),
    "fasttext.simple.300d": partial(FastText, language="simple"),
    "glove.42B.300d": partial(GloVe, name="42B", dim="300"),
    "glove.840B.300d": partial(GloVe, name="840B", dim="300"),
    "glove.twitter.27B.25d": partial(GloVe, name="twitter.27B", dim="25"),
    "glove.twitter.27B.50d": partial(GloVe, name="twitter.27B", dim="50"),
    "glove.twitter.27B.100d": partial(GloVe, name="twitter.27B", dim="100"),
    "glove.twitter.27B.200d": partial(GloVe, name="twitter.27B", dim="200"),
    "glove.6B.50d": partial(GloVe, name="6B", dim="50"),
    "glove.6B.100d": partial(GloVe, name="6B", dim="100"),
    "glove.6B.200d": partial(GloVe, name="6B", dim="200"),
    "glove.6B.300d": partial(GloVe, name="6B", dim="300"),
}
"""Mapping from string name to factory function"""
