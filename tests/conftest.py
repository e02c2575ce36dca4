"""Shared fixtures: the array backends every operation test runs on."""

import pytest

import ember

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
