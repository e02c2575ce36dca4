#!/usr/bin/env python3
"""Run Ember's development tasks through hatch, installing hatch first if needed.

    python3 dev.py demo [ARGS]   ->  hatch run demo [ARGS]
    python3 dev.py test [ARGS]   ->  hatch test [ARGS]
    python3 dev.py ANYTHING...   ->  hatch ANYTHING...

hatch lives in a project-local virtual environment, .bootstrap/, created on first use with the
Python that runs this script (>= 3.10). Nothing is installed into that Python itself, so this
works on "externally managed" (PEP 668) system Pythons too. Standard library only.
"""

import os
import subprocess
import sys
from pathlib import Path

HATCH = "hatch==1.18.2"
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".bootstrap"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
EXE = ".exe" if os.name == "nt" else ""
STAMP = VENV / "hatch-requirement.txt"


def run(*cmd, quiet=False):
    out = subprocess.DEVNULL if quiet else None
    return subprocess.run([str(c) for c in cmd], stdout=out, stderr=out, check=False).returncode


def bootstrap():
    """Create .bootstrap/ with hatch in it, unless it is already there."""
    if (BIN / f"hatch{EXE}").exists() and STAMP.exists() and STAMP.read_text().strip() == HATCH:
        return
    python = BIN / f"python{EXE}"
    print(f"dev.py: installing {HATCH} into {VENV}", file=sys.stderr)
    if run(sys.executable, "-m", "venv", VENV) == 0:
        code = run(python, "-m", "pip", "install", "--quiet", HATCH)
    else:
        # Debian's python3 without python3-venv has no ensurepip: make the venv without pip and
        # install into it with this interpreter's own pip (pip >= 22.3 has --python).
        print("dev.py: retrying with `venv --without-pip`", file=sys.stderr)
        if run(sys.executable, "-m", "venv", "--clear", "--without-pip", VENV) != 0:
            sys.exit("dev.py: could not create a virtual environment in .bootstrap/")
        if run(sys.executable, "-m", "pip", "--version", quiet=True) != 0:
            sys.exit(
                "dev.py: this Python has neither ensurepip nor pip. Install one of them "
                "(Debian/Ubuntu: `apt install python3-venv` or `apt install python3-pip`), "
                "or install hatch >= 1.16 yourself and run `hatch test` / `hatch run demo`."
            )
        code = run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", HATCH)
    if code != 0:
        sys.exit(f"dev.py: installing {HATCH} failed (pip needs >= 22.3 for --python)")
    STAMP.write_text(HATCH + "\n")


def main(argv):
    if argv[:1] == ["demo"]:
        argv = ["run", "demo", *argv[1:]]
    elif argv[:1] == ["test"]:
        argv = ["test", *argv[1:]]
    bootstrap()
    try:
        return run(BIN / f"hatch{EXE}", *argv)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
