"""Run the code of a tutorial page, the way a reader would: every ```python block in order,
in one namespace, in a working directory of its own.

- A block fenced as ```python no-run is shown but not run (commands that start servers or
  train for minutes, code that needs files the reader has and the tests do not).
- A ```text block that directly follows a python block (nothing but blank lines between) is
  that block's output: what the block prints must match it exactly.
- The working directory gets a link ``data`` to the repository's ``data/``, so the pages read
  MNIST from ``data/MNIST/raw`` as they would when run from the repository root.

``tests/integration/test_docs.py`` runs every tutorial with it; ``docs/make_figures.py`` uses it
to redraw the figures the pages show.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"

_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)(.*)$")


class Block:
    """One fenced code block of a page: its language, the words after it (``no-run``), its
    code, the page line of its first code line, and, for a python block, the ```text block
    that follows it (None when there is none)."""

    def __init__(self, language, options, code, line):
        self.language = language
        self.options = options
        self.code = code
        self.line = line
        self.output = None

    @property
    def runs(self):
        return self.language == "python" and "no-run" not in self.options


def blocks(path):
    """The fenced code blocks of a Markdown page, each python block with its output."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    found = []
    previous_end = None  # the line after the closing fence of the last block
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, language, rest = match.groups()
        start = i + 1
        end = start
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        block = Block(language, tuple(rest.split()), "\n".join(lines[start:end]), start + 1)
        between = lines[previous_end:i] if previous_end is not None else ["x"]
        follows = all(not line.strip() for line in between)
        if language == "text" and follows and found and found[-1].runs:
            found[-1].output = block.code
        found.append(block)
        previous_end = end + 1
        i = end + 1
    return found


def run_page(path, workdir):
    """Run the python blocks of ``path`` in ``workdir``; return the namespace they filled.

    Raises:
        AssertionError: a block printed something other than its output block shows.
    """
    path = Path(path)
    workdir = Path(workdir)
    link = workdir / "data"
    if not link.exists():
        link.symlink_to(ROOT / "data", target_is_directory=True)
    namespace = {"__name__": "__main__"}
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        for block in blocks(path):
            if block.runs:
                _run_block(path, block, namespace)
    finally:
        os.chdir(previous)
    return namespace


def _run_block(path, block, namespace):
    # padded with blank lines so that tracebacks give the line numbers of the page itself
    code = compile("\n" * (block.line - 1) + block.code, str(path), "exec")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)
    if block.output is None:
        return
    got = _normalize(printed.getvalue())
    want = _normalize(block.output)
    if got != want:
        diff = "\n".join(difflib.unified_diff(want, got, "page", "printed", lineterm="", n=1))
        raise AssertionError(f"{path.name}:{block.line}: the output differs from the page\n{diff}")


def _normalize(text):
    return [line.rstrip() for line in text.strip("\n").splitlines()]
