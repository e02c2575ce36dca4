"""Time ember's conv2d on the VGG-11 layer shapes, forward and forward + backward.

Prints ms per call and GFLOP/s (multiply-adds counted as two flops; forward + backward counts the
input-gradient and weight-gradient GEMMs too). Where ``torch`` is importable, the same layers
run through ``torch.nn.functional.conv2d`` on the same device, alternating with ember's runs so both see the same
machine state, and the ratio ember / torch is printed.

    python benchmarks/conv_bench.py [--batch 2] [--repeat 5] [--device cpu]
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

import ember
from ember.nn.functional import conv2d
from ember.ops import conv as _conv

try:
    import torch
except ImportError:
    torch = None

# (in channels, out channels, input height = width): VGG-11's convolutions at 224x224 input,
# all 3x3 with padding 1, plus VGG-16's 64->64 layer at full resolution (im2col's worst case).
LAYERS = [
    (3, 64, 224),
    (64, 64, 224),
    (64, 128, 112),
    (128, 256, 56),
    (256, 256, 56),
    (256, 512, 28),
    (512, 512, 28),
    (512, 512, 14),
]

# Let the other library's BLAS/OpenMP threads stop spinning before timing the next call.
_SETTLE_S = 0.05


def _ember_step(x, w, b, gy, backward):
    if backward:
        conv2d(x, w, b, padding=1).backward(gy)
        x.grad = w.grad = b.grad = None
    else:
        with ember.no_grad():
            conv2d(x, w, b, padding=1)
    if x.is_cuda:
        ember.cuda.synchronize()


def _torch_step(x, w, b, gy, backward):
    if backward:
        torch.nn.functional.conv2d(x, w, b, padding=1).backward(gy)
        x.grad = w.grad = b.grad = None
    else:
        with torch.no_grad():
            torch.nn.functional.conv2d(x, w, b, padding=1)
    if x.is_cuda:
        torch.cuda.synchronize()


def _best(step, repeat, other=None):
    """Minimum wall time of ``step`` (and of ``other``, run alternately) over ``repeat`` runs."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, fn in enumerate((step, other)):
            if fn is None:
                continue
            time.sleep(_SETTLE_S)
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    xp = ember.backend.array_module(ember.device(args.device))
    use_torch = torch is not None and (args.device == "cpu" or torch.cuda.is_available())
    print(
        f"conv2d 3x3 pad 1, batch {args.batch}, float32, device {args.device}"
        + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if use_torch else "")
    )
    header = f"{'layer':>16} {'blocks':>6} {'pass':>8} {'ember ms':>9} {'GFLOP/s':>8}"
    print(header + (f" {'torch ms':>9} {'GFLOP/s':>8} {'ratio':>6}" if use_torch else ""))
    for c_in, c_out, size in LAYERS:
        x = rng.standard_normal((args.batch, c_in, size, size), dtype=np.float32)
        w = rng.standard_normal((c_out, c_in, 3, 3), dtype=np.float32) * 0.05
        b = rng.standard_normal(c_out, dtype=np.float32)
        gy = rng.standard_normal((args.batch, c_out, size, size), dtype=np.float32)
        flops = 2.0 * args.batch * c_out * c_in * 9 * size * size
        blocks = len(_conv._blocks(xp, args.batch, size, c_in * 9 * size * 4, size))
        # the first layer needs no input gradient, like a network's first layer
        needs_gx = c_in != 3
        ex, ew, eb, egy = (ember.tensor(a, device=args.device) for a in (x, w, b, gy))
        ex.requires_grad_(needs_gx)
        ew.requires_grad_()
        eb.requires_grad_()
        if use_torch:
            tx, tw, tb, tgy = (torch.from_numpy(a).to(args.device) for a in (x, w, b, gy))
            tx.requires_grad_(needs_gx)
            tw.requires_grad_()
            tb.requires_grad_()
        for backward in (False, True):
            work = flops * ((3 if needs_gx else 2) if backward else 1)
            runs = [functools.partial(_ember_step, ex, ew, eb, egy, backward)]
            if use_torch:
                runs.append(functools.partial(_torch_step, tx, tw, tb, tgy, backward))
            runs[0]()  # warm up (first touch of buffers, BLAS thread start)
            times = _best(runs[0], args.repeat, runs[1] if use_torch else None)
            layer = f"{c_in}->{c_out}@{size}"
            line = (
                f"{layer:>16} {blocks:>6} {'fwd+bwd' if backward else 'fwd':>8} "
                f"{times[0] * 1e3:9.1f} {work / times[0] / 1e9:8.1f}"
            )
            if use_torch:
                line += (
                    f" {times[1] * 1e3:9.1f} {work / times[1] / 1e9:8.1f}"
                    f" {times[0] / times[1]:6.2f}"
                )
            print(line, flush=True)


if __name__ == "__main__":
    main()
