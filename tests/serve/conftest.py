"""Fixtures for the emberserve tests: a model store of tiny archives and servers over it."""

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from emberserve import ServeConfig, Server, archive
from emberserve.schema import DATATYPES

LABELS = ["ant", "bee", "cat", "dog", "eel"]
IMAGE_CONFIG = {"resize": 16, "crop": 12, "topk": 3}


def _x(width):
    return [{"name": "x", "datatype": "FP32", "shape": [-1, width]}]


def build_store(root):
    """Write the test archives into directory ``root``."""
    create = archive.create
    create(
        root / "linear.emar",
        name="linear",
        factory="emberserve.testing:linear",
        inputs=_x(4),
        batch_size=4,
        max_batch_delay=5,
    )
    create(
        root / "images.emar",
        name="images",
        factory="emberserve.testing:tiny_cnn",
        handler="image_classifier",
        handler_config=IMAGE_CONFIG,
        labels=LABELS,
        batch_size=4,
        max_batch_delay=5,
    )
    create(
        root / "echo.emar",
        name="echo",
        factory="emberserve.testing:linear",
        handler="emberserve.testing:EchoHandler",
        inputs=[{"name": f"in_{dt.lower()}", "datatype": dt, "shape": [-1, 2]} for dt in DATATYPES],
    )
    create(
        root / "batches.emar",
        name="batches",
        factory="emberserve.testing:BatchSizeEcho",
        inputs=_x(2),
        batch_size=8,
        max_batch_delay=300,
    )
    create(
        root / "sleepy.emar",
        name="sleepy",
        factory="emberserve.testing:Sleepy",
        kwargs={"seconds": 0.3},
        inputs=_x(2),
    )
    create(
        root / "fragile.emar",
        name="fragile",
        factory="emberserve.testing:Fragile",
        inputs=_x(2),
        batch_size=4,
        max_batch_delay=200,
    )
    create(
        root / "two_heads.emar",
        name="two_heads",
        factory="emberserve.testing:TwoHeads",
        inputs=[
            {"name": "a", "datatype": "FP32", "shape": [-1, 2]},
            {"name": "b", "datatype": "INT64", "shape": [-1, 2]},
        ],
    )
    create(
        root / "wrong_length.emar",
        name="wrong_length",
        factory="emberserve.testing:linear",
        handler="emberserve.testing:WrongLengthHandler",
        inputs=_x(2),
    )
    return root


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A model store holding one archive of each test model."""
    return build_store(tmp_path_factory.mktemp("store"))


@pytest.fixture
def private_store(store, tmp_path):
    """A copy of the store that a test may add files to."""
    return Path(shutil.copytree(store, tmp_path / "store"))


@pytest.fixture
def make_server(store):
    """``make_server(models=("all",), model_store=store, **settings)``: a Server with its
    models loaded (closed after the test); it listens only if the test runs it."""
    servers = []

    def make(models=("all",), model_store=store, **settings):
        settings = {"inference_port": 0, "management_port": 0, "metrics_port": 0, **settings}
        config = ServeConfig(model_store=str(model_store), models=list(models), **settings)
        server = Server(config)
        assert server.load_models() == {}
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.registry.close(timeout=10)


@pytest.fixture
def png():
    """``png(width, height, seed=0, format="PNG")``: the bytes of a random RGB image."""
    from PIL import Image

    def make(width=20, height=14, seed=0, format="PNG"):
        pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format)
        return buffer.getvalue()

    return make
