"""``DistributedSampler``: each process of a distributed job reads its own share of a dataset."""

from __future__ import annotations

import math

from ... import distributed as dist
from ...random import Generator, randperm
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Sampler that restricts data loading to a subset of the dataset, for use with
    ``DistributedDataParallel``: each process passes one as its ``DataLoader``'s ``sampler``
    and loads a share of the dataset exclusive to it.

    The dataset is assumed to be of constant size. Each process gets ``num_samples`` indices:
    the (shuffled) indices are padded by repeating them from the start until they divide
    evenly (or, with ``drop_last``, their tail is cut off), and process ``rank`` takes every
    ``num_replicas``-th one from position ``rank`` — torch's arithmetic exactly. With
    ``shuffle``, the order is a ``randperm`` drawn from a generator seeded with
    ``seed + epoch``: the same on every process, but not torch's permutation (ember's random
    streams are not torch's).

    Args:
        dataset: the dataset to sample from.
        num_replicas: the number of processes (default: the world size of the default
            process group).
        rank: this process's rank (default: its rank in the default process group).
        shuffle: shuffle the indices (default ``True``).
        seed: the shuffling seed; must be the same on every process (default ``0``).
        drop_last: drop the tail of the data to make it evenly divisible across the
            processes, instead of padding it with repeated indices (default ``False``).

    Call ``set_epoch(epoch)`` at the start of each epoch, before iterating the ``DataLoader``:
    otherwise every epoch uses the same order.

    Example:
        >>> sampler = DistributedSampler(dataset) if is_distributed else None
        >>> loader = DataLoader(dataset, shuffle=(sampler is None), sampler=sampler)
        >>> for epoch in range(start_epoch, n_epochs):
        ...     if is_distributed:
        ...         sampler.set_epoch(epoch)
        ...     train(loader)
    """

    def __init__(
        self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False
    ):
        if num_replicas is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size()
        if rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # the largest evenly divisible length below the dataset's
            self.num_samples = math.ceil(
                (len(self.dataset) - self.num_replicas) / self.num_replicas
            )
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:  # fewer samples than processes: repeat the indices as often as needed
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch: with ``shuffle=True`` each epoch gets its own order (the same on
        every process); otherwise the same ordering is used in every epoch.

        Args:
            epoch: the epoch number.
        """
        self.epoch = epoch
