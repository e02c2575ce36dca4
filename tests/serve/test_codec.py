"""The V2 body codec against hand-built bytes: JSON tensors, Triton's binary layout, flags."""

import json
import struct

import numpy as np
import pytest

from emberserve.errors import InvalidInput
from emberserve.protocol.codec import (
    InferRequest,
    array_from_json,
    array_from_nested,
    decode_infer_request,
    encode_infer_response,
    parse_json,
)

# datatype -> struct format of one little-endian element, and two sample values
NUMERIC = {
    "UINT8": ("<B", [0, 255]),
    "UINT16": ("<H", [1, 65535]),
    "UINT32": ("<I", [2, 2**32 - 1]),
    "UINT64": ("<Q", [3, 2**64 - 1]),
    "INT8": ("<b", [-128, 127]),
    "INT16": ("<h", [-2, 300]),
    "INT32": ("<i", [-(2**31), 7]),
    "INT64": ("<q", [-(2**63), 2**63 - 1]),
    "FP16": ("<e", [0.5, -65504.0]),
    "FP32": ("<f", [1.25, -3.5]),
    "FP64": ("<d", [1e300, -2.5]),
}


def _body(inputs, chunks, **extra):
    head = json.dumps({"inputs": inputs, **extra}).encode()
    return head + b"".join(chunks), str(len(head))


@pytest.mark.parametrize("datatype", NUMERIC)
def test_binary_numeric_input_is_little_endian_row_major(datatype):
    fmt, values = NUMERIC[datatype]
    raw = b"".join(struct.pack(fmt, v) for v in values)
    body, length = _body(
        [
            {
                "name": "t",
                "datatype": datatype,
                "shape": [2, 1],
                "parameters": {"binary_data_size": len(raw)},
            }
        ],
        [raw],
    )
    array = decode_infer_request(body, length).inputs["t"]
    assert array.shape == (2, 1) and array.dtype.isnative
    assert array.ravel().tolist() == values
    array[0, 0] = 0  # handlers get a writable array of their own


def test_binary_bool_and_bytes_layout():
    raw_bool = b"\x01\x00\x01"
    raw_bytes = struct.pack("<I", 0) + struct.pack("<I", 3) + b"a\x00b"
    body, length = _body(
        [
            {"name": "b", "datatype": "BOOL", "shape": [3], "parameters": {"binary_data_size": 3}},
            {
                "name": "s",
                "datatype": "BYTES",
                "shape": [2],
                "parameters": {"binary_data_size": len(raw_bytes)},
            },
        ],
        [raw_bool, raw_bytes],
    )
    inputs = decode_infer_request(body, length).inputs
    assert inputs["b"].tolist() == [True, False, True]
    assert inputs["s"].dtype == object and inputs["s"].tolist() == [b"", b"a\x00b"]


def test_json_and_binary_inputs_mix_in_order():
    raw = struct.pack("<2f", 1.0, 2.0)
    body, length = _body(
        [
            {"name": "j", "datatype": "INT32", "shape": [2], "data": [5, 6]},
            {"name": "k", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 8}},
        ],
        [raw],
        id="abc",
        outputs=[{"name": "o", "parameters": {"binary_data": True}}],
    )
    request = decode_infer_request(body, length)
    assert list(request.inputs) == ["j", "k"] and request.id == "abc"
    assert request.inputs["j"].tolist() == [5, 6] and request.inputs["k"].tolist() == [1.0, 2.0]
    assert request.binary_outputs(["o"]) == {"o": True}


def test_nested_and_flat_json_data_are_the_same():
    nested = array_from_json([[1, 2], [3, 4]], "INT16", (2, 2), "t")
    flat = array_from_json([1, 2, 3, 4], "INT16", (2, 2), "t")
    np.testing.assert_array_equal(nested, flat)
    assert nested.dtype == np.int16
    assert array_from_nested([[1.5], [2.5]], "FP64", "t").shape == (2, 1)
    assert array_from_json([["ab"], ["é"]], "BYTES", (2,), "t").tolist() == [b"ab", "é".encode()]


def test_json_parsing_is_strict():
    assert parse_json(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
    for text, words in [
        (b"[NaN]", "NaN"),
        (b"[Infinity]", "Infinity"),
        (b"\xff", "UTF-8"),
        (b"[1,", "not valid JSON"),
    ]:
        with pytest.raises(InvalidInput, match=words):
            parse_json(text)


def _response_parts(body, headers):
    length = int(headers["Inference-Header-Content-Length"])
    return json.loads(body[:length]), body[length:]


def test_binary_response_layout():
    request = InferRequest(inputs={}, id="7", parameters={"binary_data_output": True})
    outputs = {
        "f": np.array([[1.0, -2.0]], np.float32),
        "s": np.array([b"hi", b""], dtype=object),
        "b": np.array([True, False]),
    }
    body, headers = encode_infer_response(request, outputs, "m", "1")
    assert headers["Content-Type"] == "application/octet-stream"
    header, raw = _response_parts(body, headers)
    assert header == {
        "model_name": "m",
        "model_version": "1",
        "id": "7",
        "outputs": [
            {
                "name": "f",
                "datatype": "FP32",
                "shape": [1, 2],
                "parameters": {"binary_data_size": 8},
            },
            {
                "name": "s",
                "datatype": "BYTES",
                "shape": [2],
                "parameters": {"binary_data_size": 10},
            },
            {"name": "b", "datatype": "BOOL", "shape": [2], "parameters": {"binary_data_size": 2}},
        ],
    }
    assert (
        raw
        == struct.pack("<2f", 1.0, -2.0)
        + struct.pack("<I", 2)
        + b"hi"
        + struct.pack("<I", 0)
        + b"\x01\x00"
    )


def test_json_response_and_per_output_binary_choice():
    outputs = {"a": np.array([1, 2], np.uint64), "b": np.array([[0.5]], np.float16)}
    body, headers = encode_infer_response(InferRequest(inputs={}), outputs, "m", "2")
    assert headers == {"Content-Type": "application/json"}
    assert json.loads(body)["outputs"] == [
        {"name": "a", "datatype": "UINT64", "shape": [2], "data": [1, 2]},
        {"name": "b", "datatype": "FP16", "shape": [1, 1], "data": [0.5]},
    ]
    request = InferRequest(
        inputs={}, outputs=[{"name": "a"}, {"name": "b", "parameters": {"binary_data": True}}]
    )
    body, headers = encode_infer_response(request, outputs, "m", "2")
    header, raw = _response_parts(body, headers)
    assert header["outputs"][0]["data"] == [1, 2] and raw == np.float16(0.5).tobytes()


def test_non_utf8_bytes_output_needs_binary():
    outputs = {"s": np.array([b"\xff"], dtype=object)}
    with pytest.raises(InvalidInput, match="binary_data"):
        encode_infer_response(InferRequest(inputs={}), outputs, "m", "1")
