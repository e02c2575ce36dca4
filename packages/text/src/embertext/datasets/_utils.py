"""What the dataset functions share: the split argument, the files on disk and the readers.

torchtext 0.18 returns DataPipes; Ember returns ``_RawTextIterableDataset``, an
``IterableDataset`` that yields the same tuples and has a ``__len__``: the number of samples
the files on disk hold (counted once, on first use), which is torchtext's ``NUM_LINES`` for
the published files.

Files are looked up where torchtext's cache puts them (``<root>/<DATASET_NAME>/...``) and
only checked for presence. When missing they are downloaded (and the archive's md5 checked)
at once, when the dataset is created, rather than lazily at the first iteration as the
DataPipes do; without network access that fails within seconds, naming the file to place
where.
"""

from __future__ import annotations

import csv
import os
from itertools import islice

from ember.utils._download import (
    download_from_mirrors,
    extract_archive,
    placement_hint,
)
from ember.utils.data import IterableDataset, get_worker_info


class _RawTextIterableDataset(IterableDataset):
    """The samples of one split of a text dataset, read from ``path`` by ``parse``.

    With ``DataLoader(num_workers=n)`` worker ``i`` yields samples ``i, i + n, ...``
    (torchtext's ``sharding_filter``), so each sample comes once.

    Args:
        description (str): ``"<DATASET_NAME> <split>"``, shown by ``repr``.
        path (str): the file (or folder) holding the split.
        parse (callable): ``parse(path)`` iterates over the samples.
    """

    def __init__(self, description, path, parse):
        super().__init__()
        self.description = description
        self.path = path
        self._parse = parse
        self._length = None

    def __iter__(self):
        samples = self._parse(self.path)
        info = get_worker_info()
        if info is not None:
            samples = islice(samples, info.id, None, info.num_workers)
        return samples

    def __len__(self):
        if self._length is None:
            self._length = sum(1 for _ in self._parse(self.path))
        return self._length

    def __repr__(self):
        return f"{self.description} at {self.path}"


def _by_split(split, splits, dataset_name, make):
    """``make(s)`` for each split asked for: one dataset for a split name, a tuple for a
    tuple of names (torchtext's ``_wrap_split_argument``)."""
    chosen = (split,) if isinstance(split, str) else split
    if not isinstance(chosen, tuple):
        raise ValueError("Internal error: Expected split to be of type tuple.")
    if not set(chosen).issubset(splits):
        raise TypeError(
            f"Given selection {chosen} of splits is not supported for dataset {dataset_name}. "
            f"Please choose from {splits}."
        )
    datasets = tuple(make(s) for s in chosen)
    return datasets[0] if isinstance(split, str) else datasets


def _file(folder, filename, url, md5):
    """Path of ``folder/filename``, downloaded first when absent."""
    path = os.path.join(folder, filename)
    if not os.path.isfile(path):
        download_from_mirrors(
            [url], folder, filename, md5, placement_hint(folder, [filename]), extract=False
        )
    return path


def _extracted(folder, member, archive, url, md5):
    """Path of ``folder/member``, extracted first from ``folder/archive`` when absent (which
    is downloaded first when absent too)."""
    path = os.path.join(folder, member)
    if os.path.isfile(path):
        return path
    archive_path = os.path.join(folder, archive)
    hint = placement_hint(folder, [archive], f" (or the extracted {member})")
    if os.path.isfile(archive_path):
        extract_archive(archive_path, folder)
    else:
        download_from_mirrors([url], folder, archive, md5, hint)
    if not os.path.isfile(path):
        raise RuntimeError(f"{archive_path} does not contain {member}")
    return path


def _read_label_text_csv(path):
    """Rows ``label,text,...`` -> ``(int(label), " ".join(texts))``, streamed."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            yield int(row[0]), " ".join(row[1:])


def _csv_classification(root, split, dataset_name, num_lines, url, md5, archive):
    """The body of the datasets published as ``<stem>.tar.gz`` holding ``<stem>/train.csv``
    and ``<stem>/test.csv`` of ``label,text...`` rows (labels from 1)."""
    folder = os.path.join(root, dataset_name)
    stem = archive[: -len(".tar.gz")]

    def make(s):
        path = _extracted(folder, f"{stem}/{s}.csv", archive, url, md5)
        return _RawTextIterableDataset(f"{dataset_name} {s}", path, _read_label_text_csv)

    return _by_split(split, tuple(num_lines), dataset_name, make)
