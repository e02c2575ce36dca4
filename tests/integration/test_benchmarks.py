"""The benchmark tools run: ``benchmarks/run.py`` writes its JSON and table, and
``benchmarks/profile_workload.py`` prints a profile (smoke runs, ember alone, nothing timed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ember

ROOT = Path(__file__).resolve().parents[2]


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "packages" / "core" / "src"))
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_run_writes_results_for_each_workload(tmp_path):
    out = tmp_path / "results.json"
    only = ["--only", "op_chain", "--only", "matmul"]
    done = _run("run.py", "--quick", "--no-torch", *only, "--output", str(out))
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert set(results["results"]) == {"op_chain", "matmul"}
    assert results["settings"]["device"] == "cpu"
    for result in results["results"].values():
        assert len(result["times_s"]["ember"]) == 2 and "torch" not in result["times_s"]
    table = out.with_suffix(".md").read_text()
    assert "100 small ops forward + backward" in table and "GFLOP/s" in table


def test_profile_lists_the_functions_of_a_step():
    done = _run("profile_workload.py", "--only", "op_chain", "--steps", "2", "--top", "5")
    assert done.returncode == 0, done.stderr
    assert "## op_chain on cpu:" in done.stdout and "_run_backward" in done.stdout


@pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is there")
def test_cuda_without_a_gpu_is_refused_clearly(tmp_path):
    done = _run(
        "run.py", "--quick", "--no-torch", "--device", "cuda", "--output", str(tmp_path / "r.json")
    )
    assert done.returncode != 0
    assert "--device cuda needs cupy and a CUDA GPU" in done.stderr
