"""Ember's main job, for now: train a small network on a synthetic problem.

Two interleaved spirals, 2-D points in two classes that no straight line separates; a
multi-layer perceptron learns them with Adam through a DataLoader. Prints the loss falling
epoch by epoch and the final test accuracy.

    python examples/demo.py [--epochs N] [--seed S]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


def spirals(n, rng, noise=0.2):
    """``n`` points on two interleaved spirals, labels 0 and 1."""
    label = rng.integers(0, 2, n)
    t = rng.uniform(0.25, 3.0, n) * np.pi
    sign = np.where(label == 0, 1.0, -1.0)
    points = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / np.pi
    points += rng.normal(0.0, noise / np.pi, points.shape)
    return ember.tensor(points.astype(np.float32)), ember.tensor(label)


def accuracy(model, x, y):
    with ember.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    ember.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = spirals(2000, rng)
    x_test, y_test = spirals(1000, rng)
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=64,
        shuffle=True,
        generator=ember.Generator().manual_seed(args.seed),
    )
    model = nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)
    )
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    print(model)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, count = 0.0, 0
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(targets)
            count += len(targets)
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  loss {total / count:.4f}")
    test_accuracy = accuracy(model, x_test, y_test)
    print(f"test accuracy {test_accuracy:.1%} after {time.perf_counter() - start:.1f} s")
    return test_accuracy


if __name__ == "__main__":
    main()
