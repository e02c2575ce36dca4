"""Datasets: the map-style ``Dataset``, the stream-style ``IterableDataset`` and their
combinators (``TensorDataset``, ``StackDataset``, ``ConcatDataset``, ``ChainDataset``,
``Subset``, ``random_split``)."""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable
from typing import Generic, TypeVar

from ...random import default_generator, randperm

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map from keys (usually ``0 .. len - 1``) to samples.

    Subclasses implement ``__getitem__`` and usually ``__len__`` (which the default samplers
    need); ``__getitems__(indices)`` may be added to fetch a whole batch at once. ``a + b``
    concatenates two datasets.
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A dataset that is a stream of samples: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset, so
    the samples repeat once per worker unless ``__iter__`` shards the stream with
    ``get_worker_info()``:

    Example:
        >>> class Range(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         if info is None:  # loading in the main process
        ...             return iter(range(self.n))
        ...         return iter(range(info.id, self.n, info.num_workers))
    """

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are slices along the first dimension of the given tensors.

    Args:
        *tensors: tensors with the same size of the first dimension.
    """

    def __init__(self, *tensors):
        # an explicit raise rather than `assert`, so `python -O` keeps the check
        if not all(tensors[0].size(0) == tensor.size(0) for tensor in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Datasets of equal length side by side: sample ``i`` holds sample ``i`` of each.

    Example:
        >>> tuple_stack = StackDataset(images, texts)
        >>> tuple_stack[0] == (images[0], texts[0])
        >>> dict_stack = StackDataset(image=images, text=texts)
        >>> dict_stack[0] == {"image": images[0], "text": texts[0]}

    Args:
        *args (Dataset): datasets whose samples are returned as a tuple.
        **kwargs (Dataset): datasets whose samples are returned as a dict; not with ``args``.
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not (args or kwargs):
            raise ValueError("At least one dataset should be passed")
        self.datasets = args or kwargs
        parts = args or list(kwargs.values())
        self._length = len(parts[0])
        if any(self._length != len(dataset) for dataset in parts):
            raise ValueError("Size mismatch between datasets")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: dataset[index] for k, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices):
        # batched fetching passes through to each dataset that supports it
        if isinstance(self.datasets, dict):
            columns = {k: _fetch_all(dataset, indices) for k, dataset in self.datasets.items()}
            return [{k: column[i] for k, column in columns.items()} for i in range(len(indices))]
        columns = [_fetch_all(dataset, indices) for dataset in self.datasets]
        return [tuple(column[i] for column in columns) for i in range(len(indices))]

    def __len__(self):
        return self._length


def _fetch_all(dataset, indices):
    """``[dataset[i] for i in indices]``, in one ``__getitems__`` call where there is one."""
    if not callable(getattr(dataset, "__getitems__", None)):
        return [dataset[idx] for idx in indices]
    items = dataset.__getitems__(indices)
    if len(items) != len(indices):
        raise ValueError(
            f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}"
        )
    return items


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets.

    Args:
        datasets: the datasets, in order.
    """

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[dataset_idx - 1] if dataset_idx > 0 else 0
        return self.datasets[dataset_idx][idx - start]


class ChainDataset(IterableDataset):
    """The concatenation of iterable datasets, chained lazily on iteration.

    Args:
        datasets: the iterable datasets, in order.
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def _checked(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield d

    def __iter__(self):
        for d in self._checked():
            yield from d

    def __len__(self):
        return sum(len(d) for d in self._checked())


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, renumbered ``0 .. len(indices) - 1``.

    Args:
        dataset: the whole dataset.
        indices: the indices into ``dataset`` that form the subset.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        # batched fetching passes through when the parent dataset supports it
        parent_indices = [self.indices[idx] for idx in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(parent_indices)
        return [self.dataset[idx] for idx in parent_indices]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=default_generator):
    """Split a dataset into non-overlapping random subsets.

    Args:
        dataset: the dataset to split.
        lengths: the subset lengths, or fractions summing to 1. With fractions each subset
            gets ``floor(len(dataset) * frac)`` items and the remainder is dealt out one item
            at a time, round-robin from the first subset.
        generator: the random generator of the permutation.

    Returns:
        list of ``Subset``.

    Example:
        >>> train, val = random_split(range(10), [0.8, 0.2], generator=ember.Generator().manual_seed(0))
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(math.floor(len(dataset) * frac))
        remainder = len(dataset) - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [
        Subset(dataset, indices[offset - length : offset])
        for offset, length in zip(itertools.accumulate(lengths), lengths)
    ]
