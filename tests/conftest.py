"""Shared fixtures: the array backends every operation test runs on."""

import importlib.util

import pytest

import ember

# tests/parity/ checks ember against PyTorch, which only its own environment installs
# (`hatch run parity:check`); without torch the folder is not collected at all.
collect_ignore = [] if importlib.util.find_spec("torch") else ["parity"]

_DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"),
        ],
    ),
]


@pytest.fixture(params=_DEVICES)
def device(request):
    """Run the test once per backend: numpy on "cpu", cupy on "cuda" (skipped without a GPU)."""
    return request.param
