"""Shared fixtures: the array backends every operation test runs on, and a fake network."""

import importlib.util
import io
import urllib.error
import urllib.request

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


@pytest.fixture
def offline(monkeypatch):
    """Make every urllib request fail at once, as on a machine without network access.

    Returns the list of URLs that were tried, in order.
    """
    calls = []

    def refuse(self, request, *args, **kwargs):
        calls.append(request.full_url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    return calls


@pytest.fixture
def serve_urls(monkeypatch):
    """Call with a ``{url: bytes}`` dict to answer urllib requests from it; other URLs fail
    like a 404. Returns the list of URLs requested, in order."""
    calls = []

    def install(files):
        def respond(self, request, *args, **kwargs):
            calls.append(request.full_url)
            if request.full_url not in files:
                raise urllib.error.URLError("HTTP Error 404: Not Found")
            return io.BytesIO(files[request.full_url])

        monkeypatch.setattr(urllib.request.OpenerDirector, "open", respond)
        return calls

    return install
