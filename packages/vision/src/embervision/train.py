"""``embervision-train``: train an image classifier, the way torchvision's reference script
``references/classification/train.py`` does, on Ember.

Usage::

    embervision-train --model lenet5 --dataset mnist --output-dir runs/lenet5
    python -m embervision.train --model vgg11_bn --dataset cifar10 --input-size 32 --lr 0.01

The defaults train LeNet-5 on MNIST (the files under ``data/MNIST/raw``) to 99% test accuracy
or more. Every epoch the model is evaluated on the test split, and ``--output-dir`` gets
``checkpoint.pt`` and ``model_<epoch>.pt`` (written by ``ember.save``: atomically, no pickle),
``metrics.json`` and, when matplotlib is installed, ``metrics.png``.

``--resume checkpoint.pt`` (with the same other arguments) continues exactly: the same batches,
augmentations and dropout masks, so the same losses as a run that was never stopped. The first
Ctrl-C stops training after the current step, saves a resumable mid-epoch checkpoint and exits
with status 130; a second Ctrl-C stops at once, without saving.

Two limits to "exactly": a mid-epoch checkpoint replays the rest of its epoch's random
augmentations only with ``--workers 0`` (worker processes are seeded once per epoch, and what
they had drawn is not saved); and on a GPU, dropout draws from CUDA generators whose state
Ember cannot save yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from tqdm import tqdm

import ember
from ember import nn
from ember.utils.data import DataLoader, Dataset, Sampler, Subset

from . import datasets, models
from . import transforms as T

__all__ = [
    "get_args_parser",
    "main",
    "cli",
    "load_data",
    "presets",
    "train_step",
    "train_one_epoch",
    "evaluate",
]

_OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
_LR_SCHEDULERS = ("steplr", "cosineannealinglr", "exponentiallr", "onecyclelr", "none")

# The side of the square images a model is built for. LeNet-5 takes 32×32 (MNIST's 28×28
# digits with a 2-pixel border, as in the paper); the others are torchvision's ImageNet models,
# trained at 224 (their adaptive pooling also accepts smaller images: see --input-size).
_INPUT_SIZES = {"lenet5": 32}
_DEFAULT_INPUT_SIZE = 224
# PIL's convert("L") weights (ITU-R 601-2 luma), used to carry RGB statistics to grayscale.
_LUMA = (0.299, 0.587, 0.114)


@dataclasses.dataclass(frozen=True)
class _DatasetInfo:
    """How to load a dataset's splits, and the statistics its images are normalised with."""

    load: Callable  # (args, train) -> the split as a dataset of (PIL image, class index)
    channels: int
    mean: tuple
    std: tuple
    size: int | None  # the side of its square images; None: any size (image folders)
    natural: bool = False  # photographs: trained with random crops and horizontal flips


def _standard(cls):
    """The loader of a torchvision-style dataset ``cls(root, train=...)``."""
    return lambda args, train: cls(args.data_dir, train=train)


def _emnist(args, train):
    return datasets.EMNIST(args.data_dir, split=args.emnist_split, train=train)


def _image_folder(args, train):
    # torchvision's reference layout: <data-dir>/train/<class>/... and <data-dir>/val/<class>/...
    return datasets.ImageFolder(os.path.join(args.data_dir, "train" if train else "val"))


def _fake_data(args, train):
    # CIFAR-shaped random images, augmented like CIFAR; the test split uses other seeds
    return datasets.FakeData(
        size=1000 if train else 200, image_size=(3, 32, 32), random_offset=0 if train else 1000
    )


# The MNIST family shares MNIST's statistics: close enough for normalisation.
_MNIST_STATS = ((0.1307,), (0.3081,))
_DATASETS = {
    "mnist": _DatasetInfo(_standard(datasets.MNIST), 1, *_MNIST_STATS, size=28),
    "fashionmnist": _DatasetInfo(_standard(datasets.FashionMNIST), 1, *_MNIST_STATS, size=28),
    "kmnist": _DatasetInfo(_standard(datasets.KMNIST), 1, *_MNIST_STATS, size=28),
    "emnist": _DatasetInfo(_emnist, 1, *_MNIST_STATS, size=28),
    "cifar10": _DatasetInfo(
        _standard(datasets.CIFAR10),
        3,
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
        size=32,
        natural=True,
    ),
    "cifar100": _DatasetInfo(
        _standard(datasets.CIFAR100),
        3,
        (0.5071, 0.4865, 0.4409),
        (0.2673, 0.2564, 0.2762),
        size=32,
        natural=True,
    ),
    "imagefolder": _DatasetInfo(
        _image_folder, 3, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), size=None, natural=True
    ),
    "fakedata": _DatasetInfo(
        _fake_data, 3, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), size=32, natural=True
    ),
}


def get_args_parser(add_help=True):
    """The command-line options (torchvision's reference names, where it has them)."""
    parser = argparse.ArgumentParser(
        prog="embervision-train",
        description="Train an image classifier with Ember (torchvision's reference recipe).",
        add_help=add_help,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--model", default="lenet5", choices=models.list_models(), help="model name")
    add("--dataset", default="mnist", choices=sorted(_DATASETS), help="dataset name")
    add(
        "--data-dir",
        "--data-path",
        default="data",
        help="dataset root (imagefolder: the folder holding train/ and val/)",
    )
    add("--emnist-split", default="balanced", help="EMNIST split")
    add(
        "--input-size",
        type=int,
        default=None,
        help="side of the model's square input; None: 32 for lenet5, 224 for the others",
    )
    add("--epochs", type=int, default=4, help="number of epochs to train")
    add("-b", "--batch-size", type=int, default=64, help="images per batch")
    add("--lr", type=float, default=0.05, help="learning rate (onecyclelr: the peak rate)")
    add("--optimizer", "--opt", default="sgd", choices=_OPTIMIZERS, help="optimizer")
    add("--momentum", type=float, default=0.9, help="SGD and RMSprop momentum")
    add("--weight-decay", "--wd", type=float, default=5e-4, help="weight decay")
    add("--lr-scheduler", default="onecyclelr", choices=_LR_SCHEDULERS, help="LR schedule")
    add("--lr-step-size", type=int, default=30, help="steplr: epochs between decays")
    add("--lr-gamma", type=float, default=0.1, help="steplr, exponentiallr: decay factor")
    add("--lr-min", type=float, default=0.0, help="cosineannealinglr: the final rate")
    add("--label-smoothing", type=float, default=0.0, help="label smoothing of the loss")
    add("-j", "--workers", type=int, default=2, help="data loading worker processes")
    add(
        "--device",
        default="cuda" if ember.cuda.is_available() else "cpu",
        help="device to train on (cpu, cuda, cuda:1, ...)",
    )
    add("--seed", type=int, default=0, help="random seed (weights, shuffling, augmentation)")
    add("--output-dir", default=".", help="where to save checkpoints and metrics ('': nowhere)")
    add("--resume", default=None, metavar="PATH", help="checkpoint to resume from")
    add("--weights", default=None, metavar="PATH", help="a .safetensors state dict to start from")
    add("--test-only", action="store_true", help="only evaluate the model on the test split")
    add("--limit-train", type=int, default=None, metavar="N", help="use the first N train images")
    add("--limit-test", type=int, default=None, metavar="N", help="use the first N test images")
    add(
        "--export-archive",
        action="store_true",
        help="after training, export an emberserve model archive (<model>.emar)",
    )
    add("--no-progress", action="store_true", help="no progress bars")
    return parser


# ------------------------------------------------------------------------------------- data


class _Transformed(Dataset):
    """``dataset`` with ``transform`` applied to each image (not to the target)."""

    def __init__(self, dataset, transform):
        self.dataset = dataset
        self.transform = transform

    def __getitem__(self, index):
        image, target = self.dataset[index]
        return self.transform(image), target

    def __len__(self):
        return len(self.dataset)


class _ShuffleSampler(Sampler):
    """``RandomSampler``'s shuffling (one ``randperm`` per epoch drawn from ``generator``)
    that can begin its next epoch ``start`` samples in, to resume an interrupted epoch."""

    def __init__(self, data_source, generator):
        self.data_source = data_source
        self.generator = generator
        self.start = 0

    def __iter__(self):
        order = ember.randperm(len(self.data_source), generator=self.generator).tolist()
        start, self.start = self.start, 0
        yield from order[start:]

    def __len__(self):
        return len(self.data_source)


def _classes(dataset):
    """The class names (FakeData has none: its class indices stand for themselves)."""
    if hasattr(dataset, "classes"):
        return list(dataset.classes)
    return [str(i) for i in range(dataset.num_classes)]


def _input_channels(model):
    """The channels the model's first convolution takes (1 for LeNet-5, 3 for the others)."""
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return 3 if conv is None else conv.in_channels


def _channel_stats(values, channels):
    """Per-channel statistics carried over to images converted to ``channels`` channels."""
    if len(values) == channels:
        return tuple(values)
    if len(values) == 1:  # Grayscale(3) repeats the one channel
        return tuple(values) * channels
    if len(values) == 3 and channels == 1:
        # exact for the mean of Grayscale(1)'s luma; close for the standard deviation
        return (sum(w * v for w, v in zip(_LUMA, values)),)
    raise ValueError(f"cannot convert {len(values)}-channel images to {channels} channels")


def _eval_resize(info, input_size):
    """The eval Resize before CenterCrop(input_size): torchvision's 256 for 224 on folders."""
    return input_size if info.size is not None else int(input_size * 256 / 224)


def _border(native, input_size):
    """The padding that takes ``native``-sized square images to ``input_size`` when the
    difference is small and even (LeNet-5's 32×32 input is a 28×28 digit plus 2 pixels, as in
    the paper), else None (a resize)."""
    difference = input_size - native
    return difference // 2 if 0 <= difference <= 8 and difference % 2 == 0 else None


def _fit(native, input_size):
    """Geometry taking ``native``-sized square images to ``input_size``: a border or a resize."""
    pad = _border(native, input_size)
    if pad is None:
        return [T.Resize(input_size)]
    return [T.Pad(pad)] if pad else []


def presets(info, input_size, channels, train):
    """The transform of one split: geometry and augmentation, channel conversion, tensor.

    Args:
        info (_DatasetInfo): the dataset.
        input_size (int): the side of the model's square input.
        channels (int): the model's input channels; images are converted with ``Grayscale``.
        train (bool): with the training augmentation (random crops and flips on photographs).
    """
    if info.size is None:  # any size: torchvision's ImageNet presets
        if train:
            ops = [T.RandomResizedCrop(input_size), T.RandomHorizontalFlip()]
        else:
            ops = [T.Resize(_eval_resize(info, input_size)), T.CenterCrop(input_size)]
    else:
        ops = _fit(info.size, input_size)
        if train and info.natural:
            ops += [T.RandomCrop(input_size, padding=input_size // 8), T.RandomHorizontalFlip()]
    if channels != info.channels:
        ops.append(T.Grayscale(num_output_channels=channels))
    mean = _channel_stats(info.mean, channels)
    std = _channel_stats(info.std, channels)
    return T.Compose([*ops, T.ToTensor(), T.Normalize(mean, std)])


def _limit(dataset, n):
    return dataset if n is None else Subset(dataset, range(min(n, len(dataset))))


def load_data(args, train_set, test_set, train_transform, test_transform, generator):
    """The training and test loaders: transformed, cut to ``--limit-train/test`` images, the
    training set shuffled by ``generator``."""
    train_set = _limit(_Transformed(train_set, train_transform), args.limit_train)
    test_set = _limit(_Transformed(test_set, test_transform), args.limit_test)
    train_loader = DataLoader(
        train_set,
        batch_size=args.batch_size,
        sampler=_ShuffleSampler(train_set, generator),
        num_workers=args.workers,
        generator=generator,  # also draws each epoch's worker seeds
    )
    test_loader = DataLoader(test_set, batch_size=args.batch_size, num_workers=args.workers)
    return train_loader, test_loader


# ----------------------------------------------------------------------------- the model


def build_optimizer(args, parameters):
    """The optimizer named by ``--optimizer`` (RMSprop with torchvision's eps and alpha)."""
    if args.optimizer == "sgd":
        return ember.optim.SGD(
            parameters, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay
        )
    if args.optimizer == "adam":
        return ember.optim.Adam(parameters, lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "adamw":
        return ember.optim.AdamW(parameters, lr=args.lr, weight_decay=args.weight_decay)
    return ember.optim.RMSprop(
        parameters,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        eps=0.0316,
        alpha=0.9,
    )


def build_lr_scheduler(args, optimizer, steps_per_epoch):
    """The schedule named by ``--lr-scheduler`` (or None), and whether it steps every batch
    (OneCycleLR) rather than every epoch."""
    lr_scheduler = ember.optim.lr_scheduler
    if args.lr_scheduler == "steplr":
        scheduler = lr_scheduler.StepLR(optimizer, args.lr_step_size, gamma=args.lr_gamma)
    elif args.lr_scheduler == "cosineannealinglr":
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, args.epochs, eta_min=args.lr_min)
    elif args.lr_scheduler == "exponentiallr":
        scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_gamma)
    elif args.lr_scheduler == "onecyclelr":
        scheduler = lr_scheduler.OneCycleLR(
            optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch
        )
    else:
        return None, False
    return scheduler, args.lr_scheduler == "onecyclelr"


# -------------------------------------------------------------------------- train, evaluate


@dataclasses.dataclass
class _EpochState:
    """The epoch in progress: its running totals and the random states that replay it."""

    lr: float  # the learning rate the epoch began with
    loader_rng: ember.Tensor  # the shuffling generator before the epoch: replays its order
    rng: ember.Tensor  # ember's default generator after the last completed step
    steps: int = 0
    seen: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seconds: float = 0.0

    def totals(self):
        """The running totals, as a mid-epoch checkpoint keeps them."""
        return {k: v for k, v in vars(self).items() if k not in ("loader_rng", "rng")}

    def record(self, epoch, test, eval_seconds):
        """The epoch's line of metrics.json, given its test metrics."""
        return {
            "epoch": epoch,
            "lr": self.lr,
            "train_loss": self.loss_sum / self.seen,
            "train_acc1": 100.0 * self.correct / self.seen,
            **test,
            "epoch_time": self.seconds + eval_seconds,
            "throughput": self.seen / self.seconds,  # training images per second
        }


class _Interrupt:
    """Within ``with``, the first Ctrl-C (SIGINT) only sets ``requested``, so that training
    stops at the next step boundary, where a checkpoint is consistent; a second one raises
    KeyboardInterrupt at once and sets ``forced``. Only the main thread receives signals,
    elsewhere this does nothing."""

    def __init__(self):
        self.requested = False
        self.forced = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            self.forced = True
            raise KeyboardInterrupt
        self.requested = True
        print("\nInterrupted: stopping after this step (Ctrl-C again to stop now)", file=sys.stderr)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def train_step(model, criterion, optimizer, images, targets):
    """One optimisation step on a batch; returns the loss and the model's output."""
    output = model(images)
    loss = criterion(output, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss, output


def train_one_epoch(
    model, criterion, optimizer, data_loader, device, epoch, state, interrupt, args, scheduler=None
):
    """Train for the rest of an epoch, from ``state.steps`` batches in, updating ``state``.

    Args:
        scheduler: a learning-rate scheduler to step after every batch (OneCycleLR), or None.
        interrupt (_Interrupt): checked after each step; raises KeyboardInterrupt when set.
    """
    model.train()
    data_loader.sampler.start = state.steps * data_loader.batch_size
    bar = tqdm(
        data_loader,
        desc=f"Epoch: [{epoch}]",
        total=len(data_loader),
        initial=state.steps,
        disable=args.no_progress,
        dynamic_ncols=True,
    )
    started, seconds, seen = time.perf_counter(), state.seconds, 0
    for images, targets in bar:
        images, targets = images.to(device), targets.to(device)
        loss, output = train_step(model, criterion, optimizer, images, targets)
        if scheduler is not None:
            scheduler.step()
        n = targets.shape[0]
        seen += n
        state.steps += 1
        state.seen += n
        state.loss_sum += loss.item() * n
        state.correct += int(output.argmax(1).eq(targets).sum().item())
        state.seconds = seconds + time.perf_counter() - started
        state.rng = ember.get_rng_state()
        rate = seen / (time.perf_counter() - started)
        bar.set_postfix(
            loss=f"{state.loss_sum / state.seen:.4f}", refresh=False, **{"img/s": f"{rate:.0f}"}
        )
        if interrupt.requested:
            raise KeyboardInterrupt


def evaluate(model, criterion, data_loader, device, progress=True):
    """Mean loss, top-1 and top-5 accuracy (%) on ``data_loader``; top-5 is None with fewer
    than 5 classes."""
    model.eval()
    loss_sum, correct1, correct5, seen, classes = 0.0, 0, 0, 0, 0
    with ember.inference_mode():
        for images, targets in tqdm(
            data_loader, desc="Test", disable=not progress, leave=False, dynamic_ncols=True
        ):
            images, targets = images.to(device), targets.to(device)
            output = model(images)
            loss_sum += criterion(output, targets).item() * targets.shape[0]
            classes = output.shape[1]
            _, top = output.topk(min(5, classes), 1)
            hits = top.eq(targets[:, None])
            correct1 += int(hits[:, 0].sum().item())
            correct5 += int(hits.any(1).sum().item())
            seen += targets.shape[0]
    return {
        "test_loss": loss_sum / seen,
        "test_acc1": 100.0 * correct1 / seen,
        "test_acc5": 100.0 * correct5 / seen if classes >= 5 else None,
    }


# ------------------------------------------------------------------------------- outputs


def _write_atomic(path, data):
    """Write bytes to ``path`` through a temporary file and a rename."""
    temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def _plot(history, path):
    """Loss and accuracy per epoch as a PNG; skipped without matplotlib."""
    try:
        from matplotlib.figure import Figure  # the optional ``plot`` extra
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return
    epochs = [record["epoch"] for record in history]
    figure = Figure(figsize=(10, 4), layout="constrained")
    loss, accuracy = figure.subplots(1, 2)
    loss.plot(epochs, [r["train_loss"] for r in history], "o-", label="train")
    loss.plot(epochs, [r["test_loss"] for r in history], "o-", label="test")
    loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    accuracy.plot(epochs, [r["train_acc1"] for r in history], "o-", label="train")
    accuracy.plot(epochs, [r["test_acc1"] for r in history], "o-", label="test")
    accuracy.set(xlabel="epoch", ylabel="accuracy (%)", title="Top-1 accuracy")
    for axes in (loss, accuracy):
        axes.legend()
        axes.grid(alpha=0.3)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    _write_atomic(path, buffer.getvalue())


def _write_metrics(args, history):
    document = {"model": args.model, "dataset": args.dataset, "epochs": history}
    metrics = json.dumps(document, indent=1).encode()
    _write_atomic(os.path.join(args.output_dir, "metrics.json"), metrics)
    _plot(history, os.path.join(args.output_dir, "metrics.png"))


def _export_archive(args, model, classes, info, input_size, channels):
    """Write ``<output-dir>/<model>.emar`` with emberserve, when it is installed.

    The ``image_classifier`` handler gets this run's eval preprocessing, so clients send
    encoded images (PNG digits for MNIST, photographs for folders).
    """
    try:
        from emberserve import archive  # the optional ``serve`` extra
    except ImportError:
        print("--export-archive: emberserve is not installed (pip install emberserve); skipped")
        return None
    pad = _border(info.size, input_size) if info.size is not None else None
    if pad is None:
        resize, crop, pad = _eval_resize(info, input_size), input_size, 0
    else:
        resize = crop = info.size
    handler = "image_classifier"
    config = {
        "channels": channels,
        "resize": resize,
        "crop": crop,
        "pad": pad,
        "mean": list(_channel_stats(info.mean, channels)),
        "std": list(_channel_stats(info.std, channels)),
    }
    inputs = None
    path = archive.create(
        os.path.join(args.output_dir, f"{args.model}.emar"),
        name=args.model,
        factory=f"embervision.models:{args.model}",
        kwargs={"num_classes": len(classes)},
        weights={k: v.to("cpu") for k, v in model.state_dict().items()},
        handler=handler,
        handler_config=config,
        inputs=inputs,
        labels=classes,
    )
    print(f"Exported {path}")
    return path


def _format(record):
    acc5 = record["test_acc5"]
    return (
        f"Epoch: [{record['epoch']}] lr {record['lr']:.4g} | "
        f"train loss {record['train_loss']:.4f} acc@1 {record['train_acc1']:.2f} | "
        f"test loss {record['test_loss']:.4f} acc@1 {record['test_acc1']:.2f}"
        + (f" acc@5 {acc5:.2f}" if acc5 is not None else "")
        + f" | {record['epoch_time']:.1f} s, {record['throughput']:.0f} img/s"
    )


# ---------------------------------------------------------------------------------- main


def main(argv=None):
    """Run the command; returns the last epoch's metrics (with ``--test-only``, the test
    metrics). Exits with status 130 (``SystemExit``) when training is interrupted."""
    args = get_args_parser().parse_args(argv)
    device = ember.device(args.device)
    ember.manual_seed(args.seed)
    generator = ember.Generator().manual_seed(args.seed)

    info = _DATASETS[args.dataset]
    train_set, test_set = info.load(args, True), info.load(args, False)
    classes = _classes(train_set)
    model = models.get_model(args.model, num_classes=len(classes), weights=args.weights)
    model.to(device)
    channels = _input_channels(model)
    input_size = args.input_size or _INPUT_SIZES.get(args.model, _DEFAULT_INPUT_SIZE)
    train_loader, test_loader = load_data(
        args,
        train_set,
        test_set,
        presets(info, input_size, channels, True),
        presets(info, input_size, channels, False),
        generator,
    )

    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    optimizer = build_optimizer(args, model.parameters())
    scheduler, per_step = build_lr_scheduler(args, optimizer, len(train_loader))

    start_epoch, state, history = 0, None, []
    if args.resume:
        checkpoint = ember.load(args.resume, map_location="cpu")
        model.load_state_dict(checkpoint["model"])
        if not args.test_only:
            optimizer.load_state_dict(checkpoint["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(checkpoint["lr_scheduler"])
            start_epoch = checkpoint["epoch"] + 1
            history = checkpoint["metrics"]
            ember.set_rng_state(checkpoint["rng"]["ember"])
            generator.set_state(checkpoint["rng"]["loader"])
            if checkpoint["progress"] is not None:
                state = _EpochState(
                    loader_rng=generator.get_state(),
                    rng=ember.get_rng_state(),
                    **checkpoint["progress"],
                )
    if args.test_only:
        stats = evaluate(model, criterion, test_loader, device, progress=not args.no_progress)
        print(f"Test: loss {stats['test_loss']:.4f} acc@1 {stats['test_acc1']:.3f}")
        return stats
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)

    def save(state, epoch, completed):
        """Write checkpoint.pt, and model_<epoch>.pt once the epoch is ``completed``; a
        mid-epoch checkpoint keeps ``state``'s totals and the random states of its last step."""
        checkpoint = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "lr_scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": epoch if completed else epoch - 1,  # the last completed epoch
            "args": vars(args),
            "rng": {
                "ember": ember.get_rng_state() if completed else state.rng,
                "loader": generator.get_state() if completed else state.loader_rng,
            },
            "progress": None if completed else state.totals(),
            "metrics": history,
        }
        if completed:
            ember.save(checkpoint, os.path.join(args.output_dir, f"model_{epoch}.pt"))
        ember.save(checkpoint, os.path.join(args.output_dir, "checkpoint.pt"))

    sizes = len(train_loader.dataset), len(test_loader.dataset)
    print(f"Training {args.model} on {args.dataset}: {sizes[0]} train, {sizes[1]} test images")
    started = time.perf_counter()
    epoch, interrupt = start_epoch, _Interrupt()
    try:
        with interrupt:
            for epoch in range(start_epoch, args.epochs):
                if state is None:
                    state = _EpochState(
                        lr=optimizer.param_groups[0]["lr"],
                        loader_rng=generator.get_state(),
                        rng=ember.get_rng_state(),
                    )
                if interrupt.requested:
                    raise KeyboardInterrupt
                train_one_epoch(
                    model,
                    criterion,
                    optimizer,
                    train_loader,
                    device,
                    epoch,
                    state,
                    interrupt,
                    args,
                    scheduler if per_step else None,
                )
                if scheduler is not None and not per_step:
                    scheduler.step()
                eval_started = time.perf_counter()
                test = evaluate(model, criterion, test_loader, device, not args.no_progress)
                record = state.record(epoch, test, time.perf_counter() - eval_started)
                history.append(record)
                print(_format(record))
                if args.output_dir:
                    save(state, epoch, completed=True)
                    _write_metrics(args, history)
                state = None
    except KeyboardInterrupt:
        if interrupt.forced:
            raise
        if args.output_dir:
            save(state, epoch, completed=False)
            where = os.path.join(args.output_dir, "checkpoint.pt")
            print(
                f"Saved {where} at epoch {epoch}, step {state.steps}; continue with --resume {where}"
            )
        raise SystemExit(130) from None

    elapsed = datetime.timedelta(seconds=int(time.perf_counter() - started))
    print(f"Training time {elapsed}")
    if args.export_archive and args.output_dir:
        _export_archive(args, model, classes, info, input_size, channels)
    return history[-1] if history else None


def cli():
    """The ``embervision-train`` console script: :func:`main`, with exit status 0 on success
    (a console script exits with what its function returns, so not the metrics)."""
    main()


if __name__ == "__main__":
    cli()
