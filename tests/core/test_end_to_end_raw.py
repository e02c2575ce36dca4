"""The first end-to-end test: a two-layer network written with raw tensor operations and
manual SGD learns a non-linear synthetic classification task."""

import numpy as np

import ember


def _circles(n, rng):
    """Two concentric rings: class 0 inside radius 1, class 1 between radii 1.5 and 2.5."""
    label = rng.integers(0, 2, n)
    radius = np.where(label == 0, rng.uniform(0.0, 1.0, n), rng.uniform(1.5, 2.5, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points.astype(np.float32), label


def test_two_layer_network_with_manual_sgd_learns_circles():
    rng = np.random.default_rng(0)
    ember.manual_seed(0)
    x_train, y_train = _circles(512, rng)
    x_test, y_test = _circles(256, rng)
    x, onehot = ember.tensor(x_train), ember.tensor(np.eye(2, dtype=np.float32)[y_train])

    w1 = (ember.randn(2, 32) * 0.5).requires_grad_()
    b1 = ember.zeros(32, requires_grad=True)
    w2 = (ember.randn(32, 2) * 0.2).requires_grad_()
    b2 = ember.zeros(2, requires_grad=True)
    params = [w1, b1, w2, b2]

    def forward(inputs):
        return (inputs @ w1 + b1).relu() @ w2 + b2

    losses = []
    for _ in range(300):
        loss = -(onehot * forward(x).log_softmax(dim=1)).sum(dim=1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= 0.5 * p.grad
        losses.append(loss.item())

    assert losses[-1] < 0.5 * losses[0]
    with ember.no_grad():
        predicted = forward(ember.tensor(x_test)).argmax(dim=1).numpy()
    accuracy = (predicted == y_test).mean()
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}, losses {losses[0]:.3f} -> {losses[-1]:.3f}"
