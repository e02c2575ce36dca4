"""The documentation cannot rot: every tutorial runs, prints what it shows, and the API
reference lists every public name.

Each tutorial page runs as a reader would run it (``docs/tutorial_runner.py``): its ```python
blocks in order, in one namespace, in a fresh working directory; ```python no-run blocks are
skipped; a ```text block right after a python block must be exactly what that block prints.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import ember

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))


def _load(name):
    """A helper script of docs/ as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load("tutorial_runner")


@pytest.fixture
def isolated_ember():
    """Give back the global state a tutorial may change: random numbers, default dtype."""
    rng = ember.get_rng_state()
    dtype = ember.get_default_dtype()
    yield
    ember.set_rng_state(rng)
    ember.set_default_dtype(dtype)


@pytest.mark.parametrize("page", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(page, tmp_path, isolated_ember):
    runner.run_page(page, tmp_path)


def test_tutorials_are_numbered_and_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for i, page in enumerate(TUTORIALS, start=1):
        assert page.name.startswith(f"{i:02d}-"), page.name
        assert f"tutorials/{page.name}" in nav, f"{page.name} is missing from mkdocs.yml's nav"


def test_every_tutorial_runs_some_code():
    for page in TUTORIALS:
        assert any(block.runs for block in runner.blocks(page)), page.name


def test_runner_reads_fences_and_outputs(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n```python\nx = 2\nprint(x * 3)\n```\n\n```text\n6\n```\n\n"
        "```python no-run\nraise SystemExit\n```\n\nSome text.\n\n```text\nnot an output\n```\n"
    )
    first, output, skipped, text = runner.blocks(page)
    assert (first.line, first.output, first.runs) == (4, "6", True)
    assert output.language == "text"
    assert skipped.options == ("no-run",) and not skipped.runs
    assert text.output is None
    assert runner.run_page(page, tmp_path)["x"] == 2


def test_runner_reports_a_wrong_output(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nprint('a')\n```\n```text\nb\n```\n")
    with pytest.raises(AssertionError, match=re.escape("page.md:2: the output differs")):
        runner.run_page(page, tmp_path)


def test_reference_pages_are_up_to_date():
    """Run ``python docs/gen_reference.py`` when this fails, and commit the pages."""
    generated = _load("gen_reference").pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md")}
    assert sorted(on_disk) == sorted(generated)
    for name, text in generated.items():
        assert on_disk[name] == text, f"docs/reference/{name} is out of date"


def test_reference_pages_are_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (DOCS / "reference").glob("*.md"):
        assert f"reference/{page.name}" in nav, f"{page.name} is missing from mkdocs.yml's nav"
