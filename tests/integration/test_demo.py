"""The README's first command, ``hatch run demo --once``, on a small budget.

Runs ``examples/demo.py`` as a subprocess: it trains LeNet-5 for one short epoch on the real
MNIST files, exports an archive, serves it, asks the server about ten test images over HTTP
and shuts the server down.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

from emberserve.archive import Archive

ROOT = Path(__file__).resolve().parents[2]
# The labels of the first ten MNIST test images, the ones the demo sends.
FIRST_TEN_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_demo_once(tmp_path):
    output_dir = tmp_path / "demo"
    command = [
        sys.executable,
        str(ROOT / "examples" / "demo.py"),
        "--once",
        "--epochs", "1",
        "--limit-train", "20000",
        "--limit-test", "1000",
        "--no-progress",
        "--output-dir", str(output_dir),
    ]  # fmt: skip
    # From the repository root, so that a relative PYTHONPATH (packages/*/src) still applies.
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr

    metrics = re.search(r"test accuracy ([\d.]+)%, test loss ([\d.]+)", output)
    assert metrics, output
    assert 80 < float(metrics[1]) <= 100
    assert 0 < float(metrics[2]) < 1

    rows = re.findall(r"^ +(\d+) +(\d) +(\S+) +[\d.]+%", output, flags=re.MULTILINE)
    assert [int(index) for index, _, _ in rows] == list(range(10)), output
    assert [int(true) for _, true, _ in rows] == FIRST_TEN_LABELS
    correct = sum(true == predicted for _, true, predicted in rows)
    assert correct >= 8, output
    assert f"{correct} of 10 correct" in output

    assert Archive(output_dir / "lenet5.emar").manifest.name == "lenet5"

    # The demo has exited, and its server with it: nothing listens on its port any more.
    port = int(re.search(r"inference http://127\.0\.0\.1:(\d+)", output)[1])
    with socket.socket() as sock:
        sock.settimeout(5)
        assert sock.connect_ex(("127.0.0.1", port)) != 0
