"""Ember's main job, end to end: train LeNet-5 on MNIST, then serve it over HTTP.

1. Trains LeNet-5 on the MNIST files shipped in ``data/MNIST/raw`` with ``embervision.train``
   (torchvision's reference recipe: SGD with momentum and a one-cycle schedule), with progress
   bars, and prints the test accuracy (about 99% after the default 2 epochs).
2. Exports the trained model as an ``emberserve`` archive, ``<output-dir>/lenet5.emar``.
3. Serves it with ``emberserve`` on 127.0.0.1 (free ports unless ``--port`` says otherwise).
4. Sends ten MNIST test images, encoded as PNG, to ``POST /predictions/lenet5`` and prints
   the predicted and the true labels.
5. Keeps serving, with a ``curl`` command to try, until Ctrl-C; ``--once`` stops after step 4.

    hatch run demo [--once] [--epochs N] [--limit-train N] [--output-dir DIR] [--port P]
    python3 dev.py demo --once    # the same, installing hatch first if needed

The output directory also gets ``embervision.train``'s checkpoints, ``metrics.json`` and (with
matplotlib installed) the loss and accuracy plot ``metrics.png``.
"""

from __future__ import annotations

import argparse
import io
import json
import time
import urllib.request
from pathlib import Path

import ember
from emberserve import ServeConfig, Server, archive
from embervision import datasets, train

ROOT = Path(__file__).resolve().parent.parent
MODEL = "lenet5"
LABELS = [str(digit) for digit in range(10)]
# The built-in image_classifier handler prepares each image as embervision.train evaluates
# MNIST: one grayscale channel, the 28x28 digit (other sizes are resized) padded by 2 black
# pixels to LeNet-5's 32x32, normalised with MNIST's mean and standard deviation.
PREPROCESSING = {
    "channels": 1,
    "resize": 28,
    "crop": 28,
    "pad": 2,
    "mean": [0.1307],
    "std": [0.3081],
    "topk": 3,
}
# The server is on this machine: never send its requests through an HTTP proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_args_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--epochs", type=int, default=2, help="training epochs")
    add("--limit-train", type=int, default=None, metavar="N", help="train on N images only")
    add("--limit-test", type=int, default=None, metavar="N", help="test on N images only")
    add("--seed", type=int, default=0, help="random seed")
    add("--data-dir", type=Path, default=ROOT / "data", help="holds MNIST/raw/")
    add("--output-dir", type=Path, default=ROOT / "runs" / "demo", help="where results go")
    add("--port", type=int, default=0, help="inference port (0: any free port)")
    add("--once", action="store_true", help="exit after the ten requests")
    add("--no-progress", action="store_true", help="no progress bars")
    return parser


def _shown(path):
    """``path`` relative to the working directory when it is inside it (shorter to paste)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def train_lenet5(args):
    """Train with ``embervision.train``; returns its last epoch's metrics."""
    argv = [
        "--model", MODEL,
        "--dataset", "mnist",
        "--data-dir", str(args.data_dir),
        "--epochs", str(args.epochs),
        # the recipe: SGD with momentum, one-cycle learning rate peaking at 0.05
        "--optimizer", "sgd",
        "--lr", "0.05",
        "--lr-scheduler", "onecyclelr",
        "--batch-size", "64",
        "--seed", str(args.seed),
        "--output-dir", str(args.output_dir),
    ]  # fmt: skip
    if args.limit_train is not None:
        argv += ["--limit-train", str(args.limit_train)]
    if args.limit_test is not None:
        argv += ["--limit-test", str(args.limit_test)]
    if args.no_progress:
        argv.append("--no-progress")
    return train.main(argv)


def export(output_dir):
    """Write ``<output_dir>/lenet5.emar`` from the trained weights in ``checkpoint.pt``."""
    weights = ember.load(output_dir / "checkpoint.pt", map_location="cpu")["model"]
    return archive.create(
        output_dir / f"{MODEL}.emar",
        name=MODEL,
        factory=f"embervision.models:{MODEL}",
        kwargs={"num_classes": len(LABELS)},
        weights=weights,
        handler="image_classifier",
        handler_config=PREPROCESSING,
        labels=LABELS,
    )


def png(image):
    """A PIL image encoded as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def predict(url, data):
    """POST encoded image ``data`` to ``url``; returns the ``{label: probability}`` answer."""
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "image/png"}
    )
    with _OPENER.open(request, timeout=60) as response:
        return json.load(response)


def ask_about_ten(url, test_set):
    """Send the first ten test images to ``url``, printing true and predicted labels."""
    print(f"\nTen MNIST test images, as PNG, to POST {url}:")
    print("  image  true  predicted  probability")
    correct = 0
    for index in range(10):
        image, target = test_set[index]
        answer = predict(url, png(image))
        label = max(answer, key=answer.get)
        correct += label == LABELS[target]
        mark = "" if label == LABELS[target] else "  <- wrong"
        print(f"  {index:5d}  {target:4d}  {label:>9}  {answer[label]:10.1%}{mark}")
    print(f"{correct} of 10 correct")
    return correct


def main(argv=None):
    args = get_args_parser().parse_args(argv)
    started = time.perf_counter()

    plot = args.output_dir / "metrics.png"
    plot.unlink(missing_ok=True)  # an earlier run's; training writes one if matplotlib is there
    metrics = train_lenet5(args)
    print(
        f"\nLeNet-5 after {args.epochs} epoch(s): test accuracy {metrics['test_acc1']:.2f}%, "
        f"test loss {metrics['test_loss']:.4f}"
    )
    if plot.exists():
        print(f"Loss and accuracy plot: {_shown(plot)}")

    path = export(args.output_dir)
    print(f"Exported the model archive {_shown(path)}")

    config = ServeConfig(
        host="127.0.0.1",
        inference_port=args.port,
        management_port=0,
        metrics_port=0,
        model_store=str(args.output_dir),
        models=[f"{MODEL}={path.name}"],
        access_log=False,
    )
    server = Server(config)
    failures = server.load_models()
    if failures:
        raise SystemExit(f"emberserve could not load {path}: {failures}")
    test_set = datasets.MNIST(args.data_dir, train=False)
    with server.run_in_thread():
        url = f"{server.url()}/predictions/{MODEL}"
        print(
            f"emberserve is serving {MODEL}: inference {server.url()}, "
            f"management {server.url('management')}, metrics {server.url('metrics')}"
        )
        ask_about_ten(url, test_set)
        print(f"Done in {time.perf_counter() - started:.0f} s")
        if not args.once:
            image, target = test_set[0]
            sample = args.output_dir / f"digit-{target}.png"
            sample.write_bytes(png(image))
            print(f"\nStill serving. Try:\n\n    curl -T {_shown(sample)} {url}\n")
            print("Press Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                print("\nStopping the server...")
    print("Server stopped.")


if __name__ == "__main__":
    main()
