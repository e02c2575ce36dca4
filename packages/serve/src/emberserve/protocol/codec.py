"""Open Inference Protocol (KServe V2) inference bodies: JSON tensors and Triton's binary extension.

A request body is JSON, optionally followed by raw tensor bytes: the header
``Inference-Header-Content-Length`` then gives the JSON's byte length, and every input sent in
binary carries ``"parameters": {"binary_data_size": n}`` instead of ``"data"``; the bytes follow
in input order. Numbers are little-endian and row-major, BOOL is one byte, and each BYTES
element is a 4-byte little-endian length followed by that many bytes. Responses use the same
layout for the outputs a client asks to get in binary (``"binary_data": true`` on a requested
output, or ``"binary_data_output": true`` on the request when it names no outputs) —
``tritonclient.http`` does both by default.

Every malformed body raises :class:`~emberserve.errors.InvalidInput` naming the field that is
wrong; nothing here trusts a size or offset before checking it against the body.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidInput
from ..schema import DATATYPES, datatype_of, format_shape

__all__ = [
    "HEADER_LENGTH",
    "InferRequest",
    "parse_json",
    "array_from_json",
    "array_from_nested",
    "array_to_json",
    "decode_infer_request",
    "encode_infer_response",
]

HEADER_LENGTH = "Inference-Header-Content-Length"
_LENGTH = struct.Struct("<I")


@dataclass
class InferRequest:
    """A decoded V2 inference request.

    Attributes:
        inputs (dict[str, numpy.ndarray]): the input tensors by name, in request order.
        id (str or None): the request id, echoed in the response.
        parameters (dict): request-level parameters.
        outputs (list[dict] or None): the requested outputs (``{"name", "parameters"}``), or
            None for all of them.
    """

    inputs: dict
    id: str | None = None
    parameters: dict = field(default_factory=dict)
    outputs: list | None = None

    def binary_outputs(self, names):
        """Which of output ``names`` go back as binary data, as the request asked."""
        if self.outputs is None:
            binary = self.parameters.get("binary_data_output", False) is True
            return dict.fromkeys(names, binary)
        return {
            o["name"]: o.get("parameters", {}).get("binary_data", False) is True
            for o in self.outputs
        }


# ------------------------------------------------------------------------------------ JSON


def _reject_constant(name):
    raise InvalidInput(f"JSON does not allow {name}; send non-finite numbers as binary data")


def parse_json(raw, what="request body"):
    """Parse UTF-8 JSON bytes strictly: NaN/Infinity literals and invalid UTF-8 are errors."""
    try:
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{what} is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidInput(f"{what} is nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise InvalidInput(f"{what} is not valid JSON: {exc}") from None


def _strings(data, name):
    """The BYTES elements of JSON ``data`` (nested lists of strings), UTF-8 encoded, flat."""
    out, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, str):
            out.append(item.encode("utf-8"))
        else:
            raise InvalidInput(
                f"input {name!r}: BYTES data must be strings, got {type(item).__name__} {item!r}"
            )
    return out


def _python_ints(data, datatype, name):
    """Integer data numpy did not read as integers: floats, or ints beyond int64 (mixed with
    others numpy turns them into float64, losing digits). Checked element by element."""
    values = np.asarray(data, dtype=object).reshape(-1)
    if not all(type(v) is int for v in values):
        raise InvalidInput(f"input {name!r}: {datatype} data must be integers")
    return values


def _numbers(data, datatype, name):
    """JSON ``data`` (numbers, nested or flat) as a flat array of ``datatype``, range-checked."""
    try:
        values = np.asarray(data)
    except (ValueError, TypeError):  # ragged nesting
        raise InvalidInput(
            f"input {name!r}: 'data' must be a flat or regularly nested list of numbers"
        ) from None
    values = values.reshape(-1)
    target = DATATYPES[datatype]
    kind = values.dtype.kind if values.size else target.kind
    if datatype == "BOOL":
        if kind != "b":
            raise InvalidInput(f"input {name!r}: BOOL data must be true or false")
        return values.astype(np.bool_)
    if target.kind in "iu" and kind not in "iu":
        values = _python_ints(data, datatype, name)
        kind = "i"
    if kind not in "iuf":
        raise InvalidInput(
            f"input {name!r}: {datatype} data must be numbers in the range of {datatype}"
        )
    if kind == "f" and not np.isfinite(values).all():
        raise InvalidInput(f"input {name!r}: {datatype} data holds a value too large to be finite")
    if target.kind == "f":
        limit = np.finfo(target).max
        if values.size and np.abs(values).max() > limit:
            raise InvalidInput(
                f"input {name!r}: a value is out of the range of {datatype} (±{limit:g})"
            )
    else:
        info = np.iinfo(target)
        if values.size and (values.min() < info.min or values.max() > info.max):
            raise InvalidInput(
                f"input {name!r}: a value is out of the range of {datatype} [{info.min}, {info.max}]"
            )
    return values.astype(target)


def _check_shape(shape, name):
    if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
        raise InvalidInput(
            f"input {name!r}: 'shape' must be a list of non-negative integers, got {shape!r}"
        )
    return tuple(shape)


def _check_datatype(datatype, name):
    if datatype not in DATATYPES:
        hint = " (BF16 is not supported; send FP32)" if datatype == "BF16" else ""
        raise InvalidInput(
            f"input {name!r}: unknown datatype {datatype!r}{hint}; expected one of "
            f"{', '.join(DATATYPES)}"
        )


def array_from_json(data, datatype, shape, name):
    """Build the tensor of JSON input ``data`` with V2 ``datatype`` and ``shape``.

    ``data`` may be flat or nested; only the element count must match ``shape``.

    Raises:
        InvalidInput: wrong element types or count, values out of the datatype's range.
    """
    if datatype == "BYTES":
        flat = _strings(data, name)
        values = np.empty(len(flat), dtype=object)
        values[:] = flat
    else:
        values = _numbers(data, datatype, name)
    count = math.prod(shape)
    if values.size != count:
        raise InvalidInput(
            f"input {name!r}: shape {format_shape(shape)} needs {count} elements, 'data' has "
            f"{values.size}"
        )
    return values.reshape(shape)


def array_from_nested(data, datatype, name):
    """Like :func:`array_from_json`, the shape being that of the nesting of ``data``."""
    try:
        shape = np.shape(data)
    except ValueError:
        raise InvalidInput(
            f"{name!r} must be a regularly nested list (same length at each level)"
        ) from None
    return array_from_json(data, datatype, shape, name)


def array_to_json(array, name):
    """Tensor ``array`` as a flat JSON-able list (BYTES elements decoded as UTF-8)."""
    flat = array.reshape(-1)
    if datatype_of(array) != "BYTES":
        return flat.tolist()
    try:
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in flat]
    except UnicodeDecodeError:
        raise InvalidInput(
            f"output {name!r} is not valid UTF-8 text; request it with binary_data=true"
        ) from None


# ---------------------------------------------------------------------------------- binary


def _array_from_binary(raw, datatype, shape, name):
    count = math.prod(shape)
    if datatype == "BYTES":
        return _unpack_bytes(raw, count, name).reshape(shape)
    dtype = DATATYPES[datatype]
    if len(raw) != count * dtype.itemsize:
        raise InvalidInput(
            f"input {name!r}: shape {format_shape(shape)} of {datatype} needs "
            f"{count * dtype.itemsize} bytes, binary_data_size is {len(raw)}"
        )
    if datatype == "BOOL":
        flat = np.frombuffer(raw, np.uint8)
        if (flat > 1).any():
            raise InvalidInput(f"input {name!r}: BOOL bytes must be 0 or 1")
        return flat.astype(np.bool_).reshape(shape)
    # frombuffer gives a read-only view of the body; handlers get their own writable copy
    return np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def _unpack_bytes(raw, count, name):
    """``count`` length-prefixed BYTES elements filling ``raw`` exactly."""
    values = np.empty(count, dtype=object)
    offset = 0
    for i in range(count):
        if offset + 4 > len(raw):
            raise InvalidInput(
                f"input {name!r}: binary data ends before BYTES element {i} of {count}"
            )
        (size,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise InvalidInput(
                f"input {name!r}: BYTES element {i} claims {size} bytes; only "
                f"{len(raw) - offset} remain"
            )
        values[i] = bytes(raw[offset : offset + size])
        offset += size
    if offset != len(raw):
        raise InvalidInput(
            f"input {name!r}: {len(raw) - offset} bytes left over after {count} BYTES elements"
        )
    return values


def _array_to_binary(array):
    if datatype_of(array) == "BYTES":
        elements = [
            v if isinstance(v, bytes) else str(v).encode("utf-8") for v in array.reshape(-1)
        ]
        return b"".join(_LENGTH.pack(len(v)) + v for v in elements)
    return np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes()


# -------------------------------------------------------------------------- request/response


def _object(value, what):
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _header_length(value, size):
    try:
        length = int(value)
    except ValueError:
        raise InvalidInput(f"{HEADER_LENGTH} must be an integer, got {value!r}") from None
    if not 0 <= length <= size:
        raise InvalidInput(f"{HEADER_LENGTH} {length} is not within the {size}-byte body")
    return length


def _decode_input(tensor, index, binary, offset):
    """Decode ``inputs[index]``; returns ``(name, array, new binary offset)``."""
    tensor = _object(tensor, f"inputs[{index}]")
    name = tensor.get("name")
    if not isinstance(name, str):
        raise InvalidInput(f"inputs[{index}] needs a string 'name'")
    for key in ("datatype", "shape"):
        if key not in tensor:
            raise InvalidInput(f"input {name!r} has no {key!r}")
    datatype = tensor["datatype"]
    _check_datatype(datatype, name)
    shape = _check_shape(tensor["shape"], name)
    parameters = _object(tensor.get("parameters", {}), f"input {name!r}: 'parameters'")
    if "shared_memory_region" in parameters:
        raise InvalidInput(f"input {name!r}: shared-memory tensors are not supported")
    size = parameters.get("binary_data_size")
    if size is None:
        if "data" not in tensor:
            raise InvalidInput(f"input {name!r} has neither 'data' nor binary_data_size")
        return name, array_from_json(tensor["data"], datatype, shape, name), offset
    if "data" in tensor:
        raise InvalidInput(f"input {name!r} has both 'data' and binary_data_size")
    if type(size) is not int or size < 0:
        raise InvalidInput(f"input {name!r}: binary_data_size must be a non-negative integer")
    if offset + size > len(binary):
        raise InvalidInput(
            f"input {name!r}: binary_data_size {size} runs past the end of the body "
            f"({len(binary) - offset} binary bytes left)"
        )
    array = _array_from_binary(binary[offset : offset + size], datatype, shape, name)
    return name, array, offset + size


def _requested_outputs(outputs):
    if outputs is None:
        return None
    if not isinstance(outputs, list):
        raise InvalidInput("'outputs' must be a list of {\"name\": ...} objects")
    for i, output in enumerate(outputs):
        output = _object(output, f"outputs[{i}]")
        if not isinstance(output.get("name"), str):
            raise InvalidInput(f"outputs[{i}] needs a string 'name'")
        parameters = _object(
            output.get("parameters", {}), f"output {output['name']!r}: 'parameters'"
        )
        if parameters.get("classification", 0):
            raise InvalidInput("the classification extension (class_count) is not supported")
        if "shared_memory_region" in parameters:
            raise InvalidInput(
                f"output {output['name']!r}: shared-memory tensors are not supported"
            )
    return outputs


def decode_infer_request(body, header_length=None):
    """Decode a V2 inference request body (JSON, or JSON plus binary tensors).

    Args:
        body (bytes): the request body.
        header_length (str, optional): the ``Inference-Header-Content-Length`` header.

    Returns:
        InferRequest: the request, its inputs decoded to numpy arrays.
    """
    if header_length is None:
        head, binary = body, b""
    else:
        length = _header_length(header_length, len(body))
        head, binary = body[:length], memoryview(body)[length:]
    request = _object(parse_json(head, "inference request"), "the inference request")
    inputs = request.get("inputs")
    if not (isinstance(inputs, list) and inputs):
        raise InvalidInput("the inference request needs a non-empty 'inputs' list")
    request_id = request.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InvalidInput(f"'id' must be a string, got {request_id!r}")
    arrays, offset = {}, 0
    for index, tensor in enumerate(inputs):
        name, array, offset = _decode_input(tensor, index, binary, offset)
        if name in arrays:
            raise InvalidInput(f"input {name!r} appears twice")
        arrays[name] = array
    if offset != len(binary):
        raise InvalidInput(
            f"{len(binary) - offset} bytes of binary data follow the inputs' binary_data_size"
        )
    return InferRequest(
        inputs=arrays,
        id=request_id,
        parameters=_object(request.get("parameters", {}), "'parameters'"),
        outputs=_requested_outputs(request.get("outputs")),
    )


def encode_infer_response(request, outputs, model_name, model_version):
    """Encode a V2 inference response.

    Args:
        request (InferRequest): the request answered (its id, requested outputs and binary flags).
        outputs (dict[str, numpy.ndarray]): the output tensors, in response order.
        model_name (str): the model's name.
        model_version (str): its version.

    Returns:
        tuple[bytes, dict]: the body and the headers that describe it.
    """
    binary = request.binary_outputs(outputs)
    entries, chunks = [], []
    for name, array in outputs.items():
        entry = {"name": name, "datatype": datatype_of(array), "shape": list(array.shape)}
        if binary.get(name):
            raw = _array_to_binary(array)
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            entry["data"] = array_to_json(array, name)
        entries.append(entry)
    response = {"model_name": model_name, "model_version": model_version}
    if request.id is not None:
        response["id"] = request.id
    response["outputs"] = entries
    head = json.dumps(response, separators=(",", ":")).encode()
    if not chunks:
        return head, {"Content-Type": "application/json"}
    headers = {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(head))}
    return head + b"".join(chunks), headers
