"""Data-parallel training on several processes: an MLP on MNIST with DistributedDataParallel.

Every process holds a replica of the model and trains on its own share of the training set
(``DistributedSampler``); ``DistributedDataParallel`` averages the gradients across processes
in ``backward``, so the replicas stay identical. The test accuracy is counted on each process's
share of the test set and summed with ``all_reduce``.

    mpiexec -n 2 python examples/train_ddp.py [--epochs N] [--limit-train N] [--data-dir DIR]

Needs ``pip install "./packages/core[distributed]" ./packages/vision`` (mpi4py and the
``mpich`` wheel, which provides ``mpiexec``) and the MNIST files in ``data/MNIST/raw``.
"""

from __future__ import annotations

import argparse
import time

import ember
import ember.distributed as dist
from ember import nn, optim
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset
from embervision import datasets


def mnist_tensors(root, train, limit=None):
    """MNIST as (N, 784) float images in [0, 1] and int64 labels."""
    mnist = datasets.MNIST(root, train=train)
    images = mnist.data.reshape(len(mnist.data), -1).to(ember.float32) / 255
    return TensorDataset(images[:limit], mnist.targets[:limit])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--limit-train", type=int, default=20000)
    args = parser.parse_args()

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(0)

    train_set = mnist_tensors(args.data_dir, train=True, limit=args.limit_train)
    test_set = mnist_tensors(args.data_dir, train=False)
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    # (a world size that does not divide the 10000 test images repeats a few: the sampler pads)
    test_loader = DataLoader(
        test_set, batch_size=500, sampler=DistributedSampler(test_set, shuffle=False)
    )

    model = DistributedDataParallel(
        nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    )
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        model.train()
        start = time.perf_counter()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # gradients averaged over the processes here
            optimizer.step()

        model.eval()
        counts = ember.zeros(2, dtype=ember.int64)  # [correct, seen] on this process
        with ember.no_grad():
            for x, y in test_loader:
                counts += ember.tensor([int((model(x).argmax(1) == y).sum()), len(y)])
        dist.all_reduce(counts)
        if rank == 0:
            correct, seen = counts.tolist()
            print(
                f"epoch {epoch + 1}: last loss {loss.item():.4f}, test accuracy "
                f"{100 * correct / seen:.2f}% ({world} processes, "
                f"{time.perf_counter() - start:.1f} s)"
            )
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
