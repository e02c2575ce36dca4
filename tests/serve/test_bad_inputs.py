"""A corpus of bad requests: each gets the right 4xx with a JSON message, and the server keeps
serving (every case is followed by a good request to the same model)."""

import base64
import json
import struct
import zlib

import numpy as np
import pytest
from starlette.testclient import TestClient

from emberserve import ServeConfig, Server, archive

LIMIT = 1 << 20


def _request(*tensors):
    return json.dumps(
        {"inputs": [dict(zip(("name", "datatype", "shape", "data"), t)) for t in tensors]}
    ).encode()


# A good request for each route, sent after every bad one (None: a PNG made by the test).
GOOD = {
    "/predictions/linear": b"[1, 2, 3, 4]",
    "/predictions/images": None,
    "/v2/models/linear/infer": _request(("x", "FP32", [1, 4], [1, 2, 3, 4])),
    "/v2/models/two_heads/infer": _request(
        ("a", "FP32", [1, 2], [1, 2]), ("b", "INT64", [1, 2], [3, 4])
    ),
    "/v2/models/flags/infer": _request(("in", "BOOL", [1, 2], [True, False])),
    "/v2/models/strings/infer": _request(("in", "BYTES", [1], ["text"])),
}


@pytest.fixture(scope="module")
def client(store, tmp_path_factory):
    models = ["linear.emar", "images.emar", "two_heads.emar"]
    config = ServeConfig(
        model_store=str(store), models=models, max_request_size=LIMIT, max_image_pixels=1 << 16
    )
    server = Server(config)
    assert server.load_models() == {}
    # echo models with one BOOL or one BYTES input, for the binary-extension cases
    root = tmp_path_factory.mktemp("echo")
    for name, datatype, shape in (("flags", "BOOL", [-1, 2]), ("strings", "BYTES", [-1])):
        path = archive.create(
            root / f"{name}.emar",
            name=name,
            factory="emberserve.testing:linear",
            handler="emberserve.testing:EchoHandler",
            inputs=[{"name": "in", "datatype": datatype, "shape": shape}],
        )
        server.registry.register(path)
    yield TestClient(server.apps["inference"])
    server.registry.close(timeout=10)


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _huge_png():
    """A valid PNG header claiming 100000 x 100000 pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _v2(*inputs, **extra):
    return json.dumps({"inputs": list(inputs), **extra}).encode()


def _x(**changes):
    tensor = {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}
    tensor.update(changes)
    return {k: v for k, v in tensor.items() if v is not None}


def _binary(header, payload):
    head = json.dumps(header).encode()
    return head + payload, {"Inference-Header-Content-Length": str(len(head))}


def _bool_binary(size, payload):
    tensor = {
        "name": "in_bool",
        "datatype": "BOOL",
        "shape": [1, 2],
        "parameters": {"binary_data_size": size},
    }
    return _binary({"inputs": [tensor]}, payload)


def _bytes_binary(payload, count=1):
    tensor = {
        "name": "in_bytes",
        "datatype": "BYTES",
        "shape": [count],
        "parameters": {"binary_data_size": len(payload)},
    }
    return _binary({"inputs": [tensor]}, payload)


TS_LINEAR, TS_IMAGES = "/predictions/linear", "/predictions/images"
V2_LINEAR, V2_FLAGS, V2_STRINGS = (
    "/v2/models/linear/infer",
    "/v2/models/flags/infer",
    "/v2/models/strings/infer",
)
MULTIPART = {"Content-Type": "multipart/form-data"}

# (id, route, body or callable(png) -> body, headers, status, words the message must contain)
CASES = [
    # images
    ("truncated-png", TS_IMAGES, lambda png: png()[: len(png()) // 2], {}, 400, "decode"),
    ("truncated-jpeg", TS_IMAGES, lambda png: png(format="JPEG")[:200], {}, 400, "decode"),
    ("garbage-image", TS_IMAGES, b"\x00\x01garbage" * 10, {}, 400, "not an image"),
    ("empty-image", TS_IMAGES, b"", {}, 400, "no data"),
    (
        "json-to-image-model",
        TS_IMAGES,
        b'{"data": [1, 2]}',
        {"Content-Type": "application/json"},
        400,
        "not an image",
    ),
    ("image-over-pixel-limit", TS_IMAGES, lambda png: png(300, 300), {}, 400, "over the limit"),
    ("decompression-bomb", TS_IMAGES, _huge_png(), {}, 400, "pixels"),
    (
        "bad-base64-field",
        TS_IMAGES,
        b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n***\r\n--b--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b"},
        400,
        "base64",
    ),
    ("multipart-no-boundary", TS_IMAGES, b"--x\r\n\r\n", MULTIPART, 400, "boundary"),
    (
        "multipart-garbage",
        TS_IMAGES,
        b"not multipart at all",
        {"Content-Type": "multipart/form-data; boundary=zz"},
        400,
        "multipart",
    ),
    (
        "multipart-no-fields",
        TS_IMAGES,
        b"--zz--\r\n",
        {"Content-Type": "multipart/form-data; boundary=zz"},
        400,
        "no fields",
    ),
    # TorchServe JSON tensors
    ("invalid-utf8", TS_LINEAR, b"[1, 2, \xff\xfe]", {}, 400, "UTF-8"),
    (
        "png-to-tensor-model",
        TS_LINEAR,
        lambda png: png(),
        {"Content-Type": "image/png"},
        400,
        "UTF-8",
    ),
    ("nan", TS_LINEAR, b"[1, NaN, 3, 4]", {}, 400, "NaN"),
    ("infinity", TS_LINEAR, b"[1, -Infinity, 3, 4]", {}, 400, "Infinity"),
    ("overflow-to-inf", TS_LINEAR, b"[1, 1e999, 3, 4]", {}, 400, "finite"),
    ("fp32-out-of-range", TS_LINEAR, b"[1, 1e300, 3, 4]", {}, 400, "range of FP32"),
    ("wrong-shape", TS_LINEAR, b"[[1, 2, 3]]", {}, 400, "expected shape [-1, 4], received [1, 3]"),
    ("ragged", TS_LINEAR, b"[[1, 2, 3, 4], [1]]", {}, 400, "regularly nested"),
    ("strings-as-numbers", TS_LINEAR, b'["1", "2", "3", "4"]', {}, 400, "numbers"),
    ("unknown-input-name", TS_LINEAR, b'{"y": [1, 2, 3, 4]}', {}, 400, "unknown input(s) 'y'"),
    ("not-json", TS_LINEAR, b"hello", {}, 400, "not valid JSON"),
    ("deeply-nested", TS_LINEAR, b"[" * 100_000 + b"]" * 100_000, {}, 400, "nested too deeply"),
    ("empty-body", TS_LINEAR, b"", {}, 400, "no data"),
    ("huge-body", TS_LINEAR, b"[" + b"1," * LIMIT + b"1]", {}, 413, "limit"),
    (
        "gzip-bomb",
        TS_LINEAR,
        zlib.compress(b" " * (LIMIT + 10)),
        {"Content-Encoding": "deflate"},
        413,
        "limit",
    ),
    # Open Inference Protocol, JSON
    ("v2-not-json", V2_LINEAR, b"{inputs: []}", {}, 400, "not valid JSON"),
    ("v2-image-body", V2_LINEAR, lambda png: png(), {"Content-Type": "image/png"}, 400, "UTF-8"),
    (
        "v2-multipart",
        V2_LINEAR,
        b"--b\r\n\r\n--b--",
        {"Content-Type": "multipart/form-data; boundary=b"},
        400,
        "JSON",
    ),
    (
        "v2-nan",
        V2_LINEAR,
        b'{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, NaN, 3, 4]}]}',
        {},
        400,
        "NaN",
    ),
    ("v2-invalid-utf8", V2_LINEAR, b'{"inputs": "\xff"}', {}, 400, "UTF-8"),
    ("v2-array-not-object", V2_LINEAR, b"[1, 2]", {}, 400, "JSON object"),
    ("v2-no-inputs", V2_LINEAR, b"{}", {}, 400, "'inputs'"),
    ("v2-empty-inputs", V2_LINEAR, _v2(), {}, 400, "'inputs'"),
    ("v2-missing-name", V2_LINEAR, _v2(_x(name=None)), {}, 400, "'name'"),
    ("v2-missing-datatype", V2_LINEAR, _v2(_x(datatype=None)), {}, 400, "'datatype'"),
    ("v2-missing-shape", V2_LINEAR, _v2(_x(shape=None)), {}, 400, "'shape'"),
    ("v2-missing-data", V2_LINEAR, _v2(_x(data=None)), {}, 400, "'data'"),
    ("v2-unknown-datatype", V2_LINEAR, _v2(_x(datatype="FP8")), {}, 400, "unknown datatype 'FP8'"),
    ("v2-bf16", V2_LINEAR, _v2(_x(datatype="BF16")), {}, 400, "BF16"),
    ("v2-negative-shape", V2_LINEAR, _v2(_x(shape=[-1, 4])), {}, 400, "non-negative"),
    (
        "v2-count-mismatch",
        V2_LINEAR,
        _v2(_x(shape=[2, 4])),
        {},
        400,
        "needs 8 elements, 'data' has 4",
    ),
    (
        "v2-wrong-shape",
        V2_LINEAR,
        _v2(_x(shape=[2, 2])),
        {},
        400,
        "expected shape [-1, 4], received [2, 2]",
    ),
    (
        "v2-wrong-datatype",
        V2_LINEAR,
        _v2(_x(datatype="FP64")),
        {},
        400,
        "expected datatype FP32, received FP64",
    ),
    ("v2-unknown-input", V2_LINEAR, _v2(_x(name="y")), {}, 400, "unknown input(s) 'y'"),
    (
        "v2-missing-input",
        "/v2/models/two_heads/infer",
        _v2({"name": "a", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}),
        {},
        400,
        "missing input(s) 'b'",
    ),
    ("v2-duplicate-input", V2_LINEAR, _v2(_x(), _x()), {}, 400, "twice"),
    (
        "v2-bool-as-number",
        V2_LINEAR,
        _v2(_x(data=[True, False, True, False])),
        {},
        400,
        "must be numbers",
    ),
    ("v2-bad-id", V2_LINEAR, _v2(_x(), id=7), {}, 400, "'id'"),
    ("v2-bad-outputs", V2_LINEAR, _v2(_x(), outputs={"name": "output__0"}), {}, 400, "'outputs'"),
    (
        "v2-unknown-output",
        V2_LINEAR,
        _v2(_x(), outputs=[{"name": "nope"}]),
        {},
        400,
        "unknown output(s) 'nope'",
    ),
    (
        "v2-classification",
        V2_LINEAR,
        _v2(_x(), outputs=[{"name": "output__0", "parameters": {"classification": 2}}]),
        {},
        400,
        "classification",
    ),
    (
        "v2-shared-memory",
        V2_LINEAR,
        _v2(_x(data=None, parameters={"shared_memory_region": "r"})),
        {},
        400,
        "shared-memory",
    ),
    ("v2-huge-body", V2_LINEAR, b" " * (LIMIT + 1), {}, 413, "limit"),
    # Open Inference Protocol, binary extension
    (
        "bin-header-not-int",
        V2_FLAGS,
        b"{}",
        {"Inference-Header-Content-Length": "ten"},
        400,
        "integer",
    ),
    (
        "bin-header-too-long",
        V2_FLAGS,
        b"{}",
        {"Inference-Header-Content-Length": "99"},
        400,
        "not within",
    ),
    ("bin-past-end", V2_FLAGS, *_bool_binary(8, b"\x01\x00"), 400, "past the end"),
    ("bin-size-mismatch", V2_FLAGS, *_bool_binary(1, b"\x01"), 400, "needs 2 bytes"),
    ("bin-leftover", V2_FLAGS, *_bool_binary(2, b"\x01\x00\x01"), 400, "1 bytes of binary data"),
    ("bin-bool-not-0-1", V2_FLAGS, *_bool_binary(2, b"\x01\x07"), 400, "0 or 1"),
    (
        "bin-bytes-truncated",
        V2_STRINGS,
        *_bytes_binary(b"\x09\x00\x00\x00abc"),
        400,
        "claims 9 bytes",
    ),
    ("bin-bytes-short-length", V2_STRINGS, *_bytes_binary(b"\x01\x00"), 400, "ends before"),
    ("bin-bytes-leftover", V2_STRINGS, *_bytes_binary(b"\x01\x00\x00\x00ab"), 400, "left over"),
    (
        "bin-data-and-size",
        V2_FLAGS,
        *_binary(
            {
                "inputs": [
                    {
                        "name": "in_bool",
                        "datatype": "BOOL",
                        "shape": [1, 2],
                        "data": [True, True],
                        "parameters": {"binary_data_size": 2},
                    }
                ]
            },
            b"\x01\x00",
        ),
        400,
        "both",
    ),
]


@pytest.mark.parametrize(
    ("route", "body", "headers", "status", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_request_gets_4xx_and_server_keeps_serving(
    client, png, route, body, headers, status, words
):
    if callable(body):
        body = body(png)
    response = client.post(route, content=body, headers=headers)
    assert response.status_code == status, response.text
    payload = response.json()
    message = payload["error"] if route.startswith("/v2") else payload["message"]
    assert words in message
    if not route.startswith("/v2"):
        assert payload["code"] == status
    good = GOOD[route]
    again = client.post(route, content=png() if good is None else good)
    assert again.status_code == 200, again.text


def test_out_of_range_integers_for_every_integer_datatype(client):
    limits = {
        "UINT8": 256,
        "INT8": 128,
        "UINT16": 65536,
        "INT16": 32768,
        "UINT32": 1 << 32,
        "INT32": 1 << 31,
        "UINT64": 1 << 64,
        "INT64": 1 << 63,
    }
    for datatype, too_big in limits.items():
        request = {"inputs": [{"name": "a", "datatype": datatype, "shape": [1], "data": [too_big]}]}
        response = client.post("/v2/models/two_heads/infer", content=json.dumps(request))
        assert response.status_code == 400 and f"range of {datatype}" in response.json()["error"]
    negative = {"inputs": [{"name": "a", "datatype": "UINT8", "shape": [1], "data": [-1]}]}
    assert (
        client.post("/v2/models/two_heads/infer", content=json.dumps(negative)).status_code == 400
    )


def test_base64_good_field_is_accepted(client, png):
    field = base64.b64encode(png()).decode()
    response = client.post("/predictions/images", files={"data": (None, field)})
    assert response.status_code == 200
    assert np.isclose(
        sum(response.json().values()),
        sum(client.post("/predictions/images", content=png()).json().values()),
    )
