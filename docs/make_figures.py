"""Redraw the figures of the tutorials, ``docs/images/*.png``, by running the pages that make
them: each figure is exactly what a reader who runs the page gets.

    python docs/make_figures.py

Needs ember and embervision importable (``hatch run docs:figures``, or the packages installed).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import tutorial_runner

IMAGES = Path(__file__).resolve().parent / "images"

# tutorial page -> the files it writes that the docs show
FIGURES = {
    "06-training-lenet5-on-mnist.md": ["mnist-predictions.png"],
}


def main():
    IMAGES.mkdir(exist_ok=True)
    for page, names in FIGURES.items():
        with tempfile.TemporaryDirectory() as workdir:
            tutorial_runner.run_page(tutorial_runner.TUTORIALS / page, workdir)
            for name in names:
                shutil.copyfile(Path(workdir) / name, IMAGES / name)
                print(f"wrote {IMAGES / name}")


if __name__ == "__main__":
    main()
