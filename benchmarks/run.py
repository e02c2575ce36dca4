"""Time ember against PyTorch on the workloads of ``workloads.py``, step by step.

For each workload both frameworks build the same model from the same initial arrays; their
first steps' results are compared (proof that both compute the same thing); then, after a
warm-up, one step of ember and one step of torch alternate, so both see the same machine
state, for ``--reps`` pairs or until ``--budget`` seconds are spent. The report gives the
median step time of each framework and the median of the paired ratios ember / torch (lower
is better for ember), and, from a fresh subprocess per framework and workload, the peak
resident memory the workload added. Results go to ``benchmarks/results/<date>.json`` and
``.md``, and the table to stdout.

    python benchmarks/run.py [--only NAME] [--reps N] [--budget S] [--no-torch] [--quick]
                             [--device cuda]

On ``--device cuda`` (cupy for ember, torch's CUDA build) every step ends by waiting for the
GPU, the DataLoader workload (host work) is left out, and so is the peak-memory probe.

Both frameworks run with the same number of threads (``--threads``, default the cores this
process may use): torch through ``torch.set_num_threads``, numpy's BLAS through
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS``, set before numpy is
imported (and ``threadpoolctl`` where installed).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
FRAMEWORKS = ("ember", "torch")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# torch warns that 4 DataLoader workers exceed a 2-core machine; the issue asks for 4
warnings.filterwarnings("ignore", message="This DataLoader will create")


def _pin_threads(threads):
    """Same thread count for both: must run before numpy (and so ember and torch) is imported."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)


def _import(name, threads):
    """``(module, nn, optim, functional)`` of framework ``name``, or ``None`` if not installed."""
    try:
        module = __import__(name)
    except ImportError:
        return None
    if name == "torch":
        module.set_num_threads(threads)
    return module, module.nn, module.optim, module.nn.functional


def _limit_blas(threads):
    """Cap the thread pools already loaded too (numpy's BLAS, torch's OpenMP), where
    threadpoolctl is installed: the variables above do not reach a pool started earlier."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(threads)


def _workloads(only, device="cpu"):
    sys.path.insert(0, HERE)
    from workloads import WORKLOADS

    available = [w for w in WORKLOADS if device == "cpu" or w.cuda]
    if not only:
        return available
    names = {w.name for w in available}
    unknown = [name for name in only if name not in names]
    if unknown:
        raise SystemExit(f"unknown workload(s) {unknown} on {device}; choose from {sorted(names)}")
    return [w for w in available if w.name in only]


# ---------------------------------------------------------------------------------------------
# timing


def _to_numpy(value):
    import numpy as np

    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def _agreement(values):
    """Largest |ember - torch| relative to max |torch| over the first steps' results."""
    import numpy as np

    a, b = (_to_numpy(v) for v in values)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def _quantiles(xs):
    """(25th percentile, median, 75th percentile)."""
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, statistics.median(xs), q3


def _settle(step, seconds):
    """Run ``step`` untimed for ``seconds`` (at least once if ``seconds`` > 0).

    After its own calls, each library's idle worker threads keep spinning on the CPUs for a
    while (OpenBLAS for up to ~0.1 s); on a small machine that steals cores from the other
    framework's next step. Busy settling with the framework's own work, rather than
    sleeping, lets them go idle while the CPUs stay awake and the caches warm.
    """
    start = time.perf_counter()
    while seconds > 0:
        step()
        if time.perf_counter() - start >= seconds:
            break


def _synchronized(step, fw):
    """``step`` followed by waiting for the GPU: its time then includes the kernels it queued."""

    def run():
        value = step()
        fw.cuda.synchronize()
        return value

    return run


def time_workload(workload, frameworks, reps, warmup, budget, min_time, settle, device="cpu"):
    """Build ``workload`` on ``device`` in every framework, check agreement, then time
    alternating steps.

    Pairs of steps run until there are ``reps`` of them and ``min_time`` seconds have passed
    (fast workloads get many samples), or until ``budget`` seconds have passed (slow ones
    stop early, after at least 3 pairs).
    """
    steps = {}
    for name, (fw, nn, optim, F) in frameworks.items():
        step = workload.build(fw, nn, optim, F, device)
        steps[name] = step if device == "cpu" else _synchronized(step, fw)
    gc.collect()
    first = {name: step() for name, step in steps.items()}
    for _ in range(warmup):
        for step in steps.values():
            step()
    times = {name: [] for name in steps}
    start = time.perf_counter()
    while True:
        for name, step in steps.items():
            _settle(step, settle)
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
        pairs, elapsed = len(times["ember"]), time.perf_counter() - start
        if (pairs >= reps and elapsed >= min_time) or (elapsed > budget and pairs >= min(reps, 3)):
            break
    result = {"times_s": times}
    for name, ts in times.items():
        result[name] = {"median_s": statistics.median(ts), "min_s": min(ts)}
    if "torch" in steps:
        ratios = [e / t for e, t in zip(times["ember"], times["torch"])]
        q1, median, q3 = _quantiles(ratios)
        result["ratio"] = {"median": median, "q1": q1, "q3": q3}
        result["agreement"] = _agreement([first["ember"], first["torch"]])
    return result


# ---------------------------------------------------------------------------------------------
# memory: one fresh process per framework and workload


def _status_mib(field):
    """``VmRSS`` / ``VmHWM`` (peak RSS) of this process from /proc/self/status, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # the kernel reports kB
    raise OSError(f"no {field} in /proc/self/status")


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss():
    """Reset the peak-RSS mark to the current RSS (Linux >= 4.0); False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_probe(workload_name, framework, threads, steps):
    """Child process: peak RSS of ``steps`` steps above the RSS before the workload was built.

    The peak mark is reset after building, so that neither the imports' peak (torch's is
    large) nor the weight-initialisation temporaries hide or inflate the steps' own peak;
    what the model, optimiser state, gradients and activations hold is all counted.
    """
    modules = _import(framework, threads)
    [workload] = _workloads([workload_name])
    gc.collect()
    before = _status_mib("VmRSS")
    step = workload.build(*modules, "cpu")
    gc.collect()
    exact = _reset_peak_rss()
    for _ in range(steps):
        step()
    # without the reset, the high-water mark since start-up (ru_maxrss: KiB on Linux)
    after = _status_mib("VmHWM") if exact else _maxrss_mib()
    print(json.dumps({"baseline_mib": before, "peak_mib": after, "delta_mib": after - before}))


def measure_memory(workload, framework, threads, steps):
    command = [sys.executable, os.path.abspath(__file__), "--threads", str(threads)]
    command += ["--memory-probe", workload.name, framework, "--reps", str(steps)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  memory probe failed ({framework}): {done.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# report


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit():
    """The repository's commit, ``+dirty`` when ember's sources differ from it."""

    def git(*args):
        done = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    if commit and git("status", "--porcelain", "--", "../packages/core"):
        commit += "+dirty"
    return commit


def _gpu_name():
    import cupy

    return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()


def machine(threads, frameworks, device):
    import numpy as np

    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_model() if device == "cpu" else f"{_gpu_name()} (host: {_cpu_model()})",
        "cores": os.cpu_count(),
        "threads": threads,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_start": os.getloadavg(),
    }
    for name, modules in frameworks.items():
        info[name] = modules[0].__version__
    info["commit"] = _commit()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return info
    info["blas"] = [
        f"{p['internal_api']} {p['version']} ({p.get('threading_layer', '?')}, {p['num_threads']} threads)"
        for p in threadpool_info()
        if p["user_api"] == "blas"
    ]
    return info


def _show(seconds, workload):
    """A step time in the workload's unit."""
    if workload.unit == "ms":
        return f"{seconds * 1e3:.1f} ms"
    if workload.unit == "us/op":
        return f"{seconds * 1e6 / workload.work:.1f} µs/op"
    if workload.unit == "GFLOP/s":
        return f"{workload.work / seconds / 1e9:.1f} GFLOP/s"
    return f"{workload.work / seconds:,.0f} images/s"


def _verdict(value, target):
    if value is None or target is None:
        return "–"
    return f"≤ {target:g}: {'yes' if value <= target else 'no'}"


def _mib(probe):
    return "–" if probe is None else f"{probe['delta_mib']:.0f}"


def markdown(info, workloads, results):
    ember = f"{info['ember']} (commit {info['commit']})" if info.get("commit") else info["ember"]
    versions = f"python {info['python']}, numpy {info['numpy']}, ember {ember}"
    versions += f", torch {info['torch']}" if "torch" in info else ""
    lines = [
        f"{info['date']} · {info['cpu']}, {info['cores']} cores, {info['threads']} threads"
        f" · {versions} · load average {info['load_average_start'][0]:.1f} at the start,"
        f" {info['load_average_end'][0]:.1f} at the end",
        "",
        "| workload | ember | torch | ember/torch (IQR) | target | peak MiB ember | peak MiB torch |",
        "|---|---|---|---|---|---|---|",
    ]
    for workload in workloads:
        r = results[workload.name]
        torch = r.get("torch")
        ratio = r.get("ratio")
        memory = r.get("memory", {})
        ratio_text = "–"
        if ratio:
            ratio_text = f"**{ratio['median']:.2f}** ({ratio['q1']:.2f}–{ratio['q3']:.2f})"
        lines.append(
            f"| {workload.title} | {_show(r['ember']['median_s'], workload)} "
            f"| {_show(torch['median_s'], workload) if torch else '–'} | {ratio_text} "
            f"| {_verdict(ratio and ratio['median'], workload.target)} "
            f"| {_mib(memory.get('ember'))} | {_mib(memory.get('torch'))} |"
        )
        if workload.memory_target and "memory_ratio" in r:
            lines.append(
                f"| ↳ peak memory of the above | {_mib(memory['ember'])} MiB "
                f"| {_mib(memory['torch'])} MiB | **{r['memory_ratio']:.2f}** "
                f"| {_verdict(r['memory_ratio'], workload.memory_target)} | | |"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run only this workload (repeatable)"
    )
    parser.add_argument(
        "--reps", type=int, default=20, help="timed steps per framework, at least (default 20)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds of timed steps per workload (default 60)",
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=3.0,
        help="seconds of timed steps at least, even past --reps (default 3)",
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="untimed steps per framework (default 2)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.15,
        help="seconds of untimed steps of the same framework before each timed step (default 0.15)",
    )
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--no-torch", action="store_true", help="time ember alone")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory subprocesses"
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 timed steps, no warm-up, no memory: a smoke run"
    )
    parser.add_argument(
        "--output", help="JSON path (default benchmarks/results/<date>.json; .md beside it)"
    )
    parser.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu", help="where the workloads run"
    )
    parser.add_argument(
        "--memory-probe", nargs=2, metavar=("NAME", "FRAMEWORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    _pin_threads(args.threads)
    if args.memory_probe:
        memory_probe(*args.memory_probe, args.threads, args.reps)
        return
    if args.quick:
        args.reps, args.warmup, args.min_time, args.settle, args.no_memory = 2, 0, 0.0, 0.0, True
    if args.device == "cuda":
        args.no_memory = True  # the probe reads host memory

    frameworks = {name: _import(name, args.threads) for name in FRAMEWORKS}
    if frameworks["ember"] is None:
        raise SystemExit(
            "ember is not importable: pip install -e packages/core (or set PYTHONPATH=packages/core/src)"
        )
    if args.device == "cuda" and not frameworks["ember"][0].cuda.is_available():
        raise SystemExit("--device cuda needs cupy and a CUDA GPU")
    if args.no_torch or frameworks["torch"] is None:
        if not args.no_torch:
            print("torch is not installed: timing ember alone", file=sys.stderr)
        del frameworks["torch"]
    _limit_blas(args.threads)
    info = machine(args.threads, frameworks, args.device)
    workloads = _workloads(args.only, args.device)

    results = {}
    for workload in workloads:
        print(f"{workload.name} ...", end=" ", flush=True, file=sys.stderr)
        load = os.getloadavg()[0]
        r = time_workload(
            workload,
            frameworks,
            args.reps,
            args.warmup,
            args.budget,
            args.min_time,
            args.settle,
            args.device,
        )
        r["load_average"] = [load, os.getloadavg()[0]]  # other processes distort the timings
        if not args.no_memory:
            # warm-up plus two steps: enough for every buffer and optimiser state to exist
            probe_steps = args.warmup + 2
            memory = {
                name: measure_memory(workload, name, args.threads, probe_steps)
                for name in frameworks
            }
            r["memory"] = memory
            if memory.get("ember") and memory.get("torch") and memory["torch"]["delta_mib"] > 0:
                r["memory_ratio"] = memory["ember"]["delta_mib"] / memory["torch"]["delta_mib"]
        results[workload.name] = r
        gc.collect()
        summary = f"ember {_show(r['ember']['median_s'], workload)}"
        if "ratio" in r:
            summary += f", torch {_show(r['torch']['median_s'], workload)}, ratio {r['ratio']['median']:.2f}"
            if workload.agree_tol is not None and r["agreement"] > workload.agree_tol:
                summary += f" (WARNING: first steps differ by {r['agreement']:.1e})"
        print(summary, file=sys.stderr, flush=True)
    info["load_average_end"] = os.getloadavg()

    table = markdown(info, workloads, results)
    print(table)
    output = args.output or os.path.join(
        RESULTS, datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S") + ".json"
    )
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    settings = {
        k: getattr(args, k)
        for k in ("reps", "budget", "min_time", "warmup", "settle", "quick", "device")
    }
    with open(output, "w") as f:
        json.dump({"machine": info, "settings": settings, "results": results}, f, indent=1)
    with open(os.path.splitext(output)[0] + ".md", "w") as f:
        f.write(table)
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
