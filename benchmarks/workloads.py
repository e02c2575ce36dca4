"""The benchmark workloads, written once against the API that ``torch`` and ``ember`` share.

A workload's ``build(fw, nn, optim, F, device)`` takes a framework (``torch`` or ``ember``) with
its ``nn``, ``optim`` and ``nn.functional`` modules and a device (``"cpu"`` or ``"cuda"``),
builds the model, data and optimiser on that device, and returns a ``step()`` callable that runs one timed unit of work and returns a value (a loss, an
output, a count) that the runner compares across frameworks once, to prove that both computed
the same thing. Inputs and initial weights come from ``numpy.random.default_rng`` with fixed
seeds, so both frameworks start from identical arrays.
"""

from __future__ import annotations

import gzip
import importlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# the real MNIST, if present (data/MNIST/raw/*.gz, relative to the repository root)
MNIST_RAW = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "MNIST", "raw"
)


@dataclass(frozen=True)
class Workload:
    """One benchmark.

    Attributes:
        name: the ``--only`` name.
        title: how the results table names it.
        build: ``build(fw, nn, optim, F, device) -> step``.
        unit: how one step is reported: ``"ms"`` (per step), ``"us/op"``, ``"GFLOP/s"`` or
            ``"images/s"``.
        work: what one step does in ``unit``'s terms: operations per step for ``"us/op"``,
            floating-point operations for ``"GFLOP/s"``, images for ``"images/s"``.
        target: the issue's target for the median ember/torch time ratio (lower is better).
        memory_target: the target for ember's / torch's peak memory, where the issue sets one.
        agree_tol: relative tolerance for the cross-framework check of the first step's
            value; ``None`` where randomness inside the step (dropout) makes them differ.
        cuda: whether the workload runs on a GPU too (the DataLoader's work is on the host).
    """

    name: str
    title: str
    build: Callable
    unit: str = "ms"
    work: float = 1.0
    target: float | None = None
    memory_target: float | None = None
    agree_tol: float | None = 1e-3
    cuda: bool = True


def _init_parameters(fw, model, device, seed=0):
    """Overwrite every parameter with seeded uniform values, the same in both frameworks.

    Uniform in +-1 / sqrt(fan_in), PyTorch's default bound for Linear and Conv weights (1-d
    parameters use their length). Parameter names and shapes are identical in both
    frameworks, so the same names draw the same arrays. The model then moves to ``device``.
    """
    rng = np.random.default_rng(seed)
    with fw.no_grad():
        for _, p in sorted(model.named_parameters()):
            shape = tuple(p.shape)
            fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
            bound = 1.0 / math.sqrt(fan_in)
            # float32 from the start and in place: VGG's first Linear alone is 411 MB
            values = rng.random(shape, dtype=np.float32)
            values *= 2 * bound
            values -= bound
            p.copy_(fw.from_numpy(values))
    return model.to(device)


def _randn(fw, device, *shape, seed=1):
    values = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    return fw.from_numpy(values).to(device)


def _labels(fw, device, n, classes, seed=2):
    labels = np.random.default_rng(seed).integers(0, classes, n, dtype=np.int64)
    return fw.from_numpy(labels).to(device)


# ---------------------------------------------------------------------------------------------
# models, with the structure of the PyTorch tutorial / torchvision versions


def lenet5(fw, nn, F):
    """LeNet-5 of PyTorch's "Neural Networks" tutorial: 1x32x32 input, 10 classes."""

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = fw.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return LeNet5()


def alexnet(fw, nn, F, num_classes=1000):
    """AlexNet with torchvision's structure (``torchvision.models.alexnet``)."""

    class AlexNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(64, 192, kernel_size=5, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(192, 384, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(384, 256, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(256, 256, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(p=0.5),
                nn.Linear(256 * 6 * 6, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(p=0.5),
                nn.Linear(4096, 4096),
                nn.ReLU(inplace=True),
                nn.Linear(4096, num_classes),
            )

        def forward(self, x):
            x = self.avgpool(self.features(x))
            return self.classifier(fw.flatten(x, 1))

    return AlexNet()


# torchvision's configuration "A"
_VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def vgg11(fw, nn, F, num_classes=1000):
    """VGG-11 (no batch norm) with torchvision's structure (``torchvision.models.vgg11``)."""

    def make_features():
        layers = []
        in_channels = 3
        for v in _VGG11:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [
                    nn.Conv2d(in_channels, v, kernel_size=3, padding=1),
                    nn.ReLU(inplace=True),
                ]
                in_channels = v
        return nn.Sequential(*layers)

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = make_features()
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096),
                nn.ReLU(True),
                nn.Dropout(p=0.5),
                nn.Linear(4096, 4096),
                nn.ReLU(True),
                nn.Dropout(p=0.5),
                nn.Linear(4096, num_classes),
            )

        def forward(self, x):
            x = self.avgpool(self.features(x))
            return self.classifier(fw.flatten(x, 1))

    return VGG()


# ---------------------------------------------------------------------------------------------
# step builders


def _inference(model, x, fw):
    model.eval()

    def step():
        with fw.no_grad():
            return model(x)

    return step


def _train(model, x, y, opt, F):
    model.train()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def lenet_train(fw, nn, optim, F, device):
    model = _init_parameters(fw, lenet5(fw, nn, F), device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train(model, _randn(fw, device, 64, 1, 32, 32), _labels(fw, device, 64, 10), opt, F)


def lenet_infer(fw, nn, optim, F, device):
    model = _init_parameters(fw, lenet5(fw, nn, F), device)
    return _inference(model, _randn(fw, device, 256, 1, 32, 32), fw)


def alexnet_infer(fw, nn, optim, F, device):
    model = _init_parameters(fw, alexnet(fw, nn, F), device)
    return _inference(model, _randn(fw, device, 4, 3, 224, 224), fw)


def vgg11_infer(fw, nn, optim, F, device):
    model = _init_parameters(fw, vgg11(fw, nn, F), device)
    return _inference(model, _randn(fw, device, 2, 3, 224, 224), fw)


def vgg11_train(fw, nn, optim, F, device):
    model = _init_parameters(fw, vgg11(fw, nn, F), device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train(model, _randn(fw, device, 8, 3, 64, 64), _labels(fw, device, 8, 1000), opt, F)


def mlp_train(fw, nn, optim, F, device):
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    model = _init_parameters(fw, model, device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train(model, _randn(fw, device, 128, 784), _labels(fw, device, 128, 10), opt, F)


CHAIN_OPS = 100


def op_chain(fw, nn, optim, F, device):
    """100 differentiable ops on a small (16x16) tensor, then ``sum().backward()``.

    Five ops in turn (binary and unary; tanh and sigmoid keep the values bounded), so the time
    is dominated by what each framework spends per operation, not by arithmetic.
    """
    x = _randn(fw, device, 16, 16).requires_grad_()
    ops = (
        lambda y: y * x,
        lambda y: y + x,
        lambda y: y.tanh(),
        lambda y: y - x,
        lambda y: y.sigmoid(),
    )

    def step():
        y = x
        for i in range(CHAIN_OPS):
            y = ops[i % len(ops)](y)
        y.sum().backward()
        grad = x.grad
        x.grad = None
        return grad

    return step


MATMUL_N = 1024


def matmul(fw, nn, optim, F, device):
    a = _randn(fw, device, MATMUL_N, MATMUL_N, seed=1)
    b = _randn(fw, device, MATMUL_N, MATMUL_N, seed=2)

    def step():
        return a @ b

    return step


# torchtext's text-classification tutorial model, with nn.Embedding + mean for EmbeddingBag
TEXT_VOCAB, TEXT_DIM, TEXT_CLASSES = 20000, 64, 4


def text_train(fw, nn, optim, F, device):
    class TextClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(TEXT_VOCAB, TEXT_DIM)
            self.fc = nn.Linear(TEXT_DIM, TEXT_CLASSES)

        def forward(self, tokens):
            return self.fc(self.embedding(tokens).mean(dim=1))

    model = _init_parameters(fw, TextClassifier(), device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    tokens = fw.from_numpy(np.random.default_rng(3).integers(0, TEXT_VOCAB, (64, 128)))
    return _train(model, tokens.to(device), _labels(fw, device, 64, TEXT_CLASSES), opt, F)


def lstm_train(fw, nn, optim, F, device):
    """One LSTM layer 128 -> 256 over (seq 35, batch 32), a linear head on the last step."""

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(128, 256)
            self.fc = nn.Linear(256, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[-1])

    model = _init_parameters(fw, LSTMClassifier(), device)
    opt = optim.SGD(model.parameters(), lr=0.01)
    return _train(model, _randn(fw, device, 35, 32, 128), _labels(fw, device, 32, 10), opt, F)


# DataLoader: MNIST training images through ToTensor + Normalize, 4 workers, batch 64
LOADER_IMAGES = 10000
LOADER_BATCH = 64
LOADER_WORKERS = 4


def _mnist_images():
    """The first ``LOADER_IMAGES`` MNIST training images and labels (uint8 / int64 arrays).

    Read from the IDX files under ``data/MNIST/raw`` when present, otherwise random arrays of
    the same shape and dtype (the loader's cost does not depend on the pixel values).
    """
    images_path = os.path.join(MNIST_RAW, "train-images-idx3-ubyte.gz")
    labels_path = os.path.join(MNIST_RAW, "train-labels-idx1-ubyte.gz")
    if os.path.exists(images_path) and os.path.exists(labels_path):
        with gzip.open(images_path, "rb") as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
        with gzip.open(labels_path, "rb") as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
        # copies: frombuffer's arrays are read-only, which torch.from_numpy warns about
        return images[:LOADER_IMAGES].copy(), labels[:LOADER_IMAGES]
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, (LOADER_IMAGES, 28, 28), dtype=np.uint8)
    return images, rng.integers(0, 10, LOADER_IMAGES, dtype=np.int64)


def dataloader(fw, nn, optim, F, device):
    """One pass over ``LOADER_IMAGES`` MNIST images: uint8 -> float in [0, 1] -> normalised.

    ``ToTensor`` and ``Normalize((0.1307,), (0.3081,))`` are written inline (torchvision's
    arithmetic on an already-decoded HxW uint8 array), per sample, in the workers. The workers
    persist, so a step measures loading, not process start-up. The batches stay on the host
    (``device`` is not used).
    """
    images, labels = _mnist_images()
    # torch imports torch.utils.data with torch; ember.utils does not import its subpackage
    data = importlib.import_module(f"{fw.__name__}.utils.data")

    class MNIST(data.Dataset):
        def __len__(self):
            return len(images)

        def __getitem__(self, index):
            image = fw.from_numpy(images[index]).unsqueeze(0).to(fw.float32).div(255)  # ToTensor
            image = (image - 0.1307) / 0.3081  # Normalize
            return image, int(labels[index])

    loader = data.DataLoader(
        MNIST(), batch_size=LOADER_BATCH, num_workers=LOADER_WORKERS, persistent_workers=True
    )

    def step():
        total = 0.0
        for image, _ in loader:
            total += float(image[0, 0, 0, 0])
        return fw.tensor(total)

    return step


WORKLOADS = [
    Workload(
        "lenet_train",
        "LeNet-5 train step (batch 64, 1x32x32, SGD momentum)",
        lenet_train,
        target=1.5,
    ),
    Workload("lenet_infer", "LeNet-5 inference (batch 256)", lenet_infer, target=1.5),
    Workload("alexnet_infer", "AlexNet inference (batch 4, 224x224)", alexnet_infer, target=1.0),
    Workload("vgg11_infer", "VGG-11 inference (batch 2, 224x224)", vgg11_infer, target=1.0),
    Workload(
        "vgg11_train",
        "VGG-11 train step (batch 8, 64x64, SGD momentum)",
        vgg11_train,
        target=1.2,
        memory_target=1.3,
        agree_tol=None,  # dropout
    ),
    Workload(
        "mlp_train",
        "MLP 784-512-512-10 train step (batch 128, SGD momentum)",
        mlp_train,
        target=1.2,
    ),
    Workload(
        "op_chain",
        f"{CHAIN_OPS} small ops forward + backward (16x16)",
        op_chain,
        unit="us/op",
        work=CHAIN_OPS,
        target=1.0,
    ),
    Workload(
        "matmul",
        f"{MATMUL_N}x{MATMUL_N} matmul",
        matmul,
        unit="GFLOP/s",
        work=2.0 * MATMUL_N**3,
        target=1.2,
    ),
    Workload(
        "text_train",
        "Embedding + mean + linear train step (batch 64 x 128 tokens, Adam)",
        text_train,
        target=1.5,
    ),
    Workload("lstm_train", "LSTM 128->256 train step (seq 35, batch 32)", lstm_train, target=2.0),
    Workload(
        "dataloader",
        f"DataLoader, MNIST, {LOADER_WORKERS} workers, ToTensor + Normalize",
        dataloader,
        unit="images/s",
        work=LOADER_IMAGES,
        cuda=False,
    ),
]
