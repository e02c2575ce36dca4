"""Profile ember's steps of benchmark workloads with cProfile: where the Python time goes.

    python benchmarks/profile_workload.py --only lenet_train [--only ...] [--device cuda]
                                          [--steps 50] [--top 25]

Per workload: the wall time per step over ``--steps`` profiled steps (after warm-up steps
outside the profile), then the ``--top`` functions by own time and by cumulative time. On
``--device cuda`` each step ends by waiting for the GPU (as in ``run.py``), so a kernel's GPU
time shows up in ``synchronize`` and the launch costs in the calls that queued them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

import run


def profile(workload, modules, device, steps, warmup, top):
    fw, nn, optim, F = modules
    step = workload.build(fw, nn, optim, F, device)
    if device != "cpu":
        step = run._synchronized(step, fw)
    for _ in range(warmup):
        step()
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    per_step = (time.perf_counter() - start) / steps
    out = io.StringIO()
    out.write(f"## {workload.name} on {device}: {per_step * 1e3:.2f} ms per step (profiled)\n")
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    for order in ("tottime", "cumulative"):
        stats.sort_stats(order).print_stats(top)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME", required=True)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--steps", type=int, default=50, help="profiled steps (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="steps before (default 3)")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    run._pin_threads(args.threads)
    modules = run._import("ember", args.threads)
    if modules is None:
        raise SystemExit("ember is not importable (set PYTHONPATH=packages/core/src)")
    if args.device == "cuda" and not modules[0].cuda.is_available():
        raise SystemExit("--device cuda needs cupy and a CUDA GPU")
    for workload in run._workloads(args.only, args.device):
        print(profile(workload, modules, args.device, args.steps, args.warmup, args.top))


if __name__ == "__main__":
    main()
