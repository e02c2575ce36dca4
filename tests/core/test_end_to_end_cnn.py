"""End to end: a small CNN (conv, pool, batchnorm, dropout, linear) learns a synthetic image
task with a DataLoader and Adam, and a checkpoint taken mid-training resumes exactly."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


def _bars(n, rng):
    """12x12 images with one bright bar: class 0/1 horizontal in the top/bottom half,
    class 2/3 vertical in the left/right half; plus noise."""
    images = rng.normal(0.0, 0.3, (n, 1, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    where = rng.integers(0, 6, n)
    for i, (label, k) in enumerate(zip(labels, where)):
        offset = k + (6 if label % 2 else 0)
        if label < 2:
            images[i, 0, offset, :] += 2.0
        else:
            images[i, 0, :, offset] += 2.0
    return ember.tensor(images), ember.tensor(labels)


def _model():
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.2),
        nn.Flatten(),
        nn.Linear(8 * 6 * 6, 4),
    )


def _epoch(model, optimizer, loader):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    losses = []
    for images, labels in loader:
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return _bars(640, rng), _bars(256, rng)


def test_small_cnn_learns_bars(data):
    (x, y), (x_test, y_test) = data
    ember.manual_seed(0)
    model = _model()
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=32, shuffle=True, generator=ember.Generator().manual_seed(0)
    )
    for _ in range(3):
        _epoch(model, optimizer, loader)
    model.eval()
    with ember.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    assert accuracy >= 0.95


def test_checkpoint_mid_training_resumes_exactly(data, tmp_path):
    (x, y), _ = data
    ember.manual_seed(1)
    model = _model()
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
    shuffle = ember.Generator().manual_seed(1)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=shuffle)
    _epoch(model, optimizer, loader)
    ember.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": 1,
            "rng": ember.get_rng_state(),
            "shuffle": shuffle.get_state(),
        },
        tmp_path / "ckpt.pt",
    )
    expected = _epoch(model, optimizer, loader)

    checkpoint = ember.load(tmp_path / "ckpt.pt")
    assert checkpoint["epoch"] == 1
    resumed = _model()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = ember.optim.Adam(resumed.parameters(), lr=1e-2)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    ember.set_rng_state(checkpoint["rng"])
    resumed_shuffle = ember.Generator().set_state(checkpoint["shuffle"])
    resumed_loader = DataLoader(
        TensorDataset(x, y), batch_size=64, shuffle=True, generator=resumed_shuffle
    )
    assert _epoch(resumed, resumed_optimizer, resumed_loader) == expected
