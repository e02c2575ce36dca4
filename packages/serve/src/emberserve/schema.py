"""Tensor signatures: the Open Inference Protocol's datatypes and named, shaped tensor specs.

A model archive declares the tensors its model takes and returns as :class:`TensorSpec` s
(``{"name": "input__0", "datatype": "FP32", "shape": [-1, 4]}``, -1 meaning any size); the
server publishes them as V2 model metadata and checks every request against them before it
reaches a model, so a wrong name, datatype or shape is a 400 that says what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidInput

__all__ = [
    "DATATYPES",
    "TensorSpec",
    "datatype_of",
    "format_shape",
    "is_batched",
    "check_names",
    "validate_inputs",
]

# Open Inference Protocol datatype -> numpy dtype. BYTES tensors are object arrays of `bytes`.
DATATYPES = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(object),
}
_NAMES = {dtype: name for name, dtype in DATATYPES.items()}


def datatype_of(array):
    """The V2 datatype name of numpy ``array`` (``str``/``bytes``/object arrays are BYTES).

    Raises:
        TypeError: the dtype has no V2 datatype (complex, datetime, ...).
    """
    if array.dtype.kind in "SU":
        return "BYTES"
    try:
        return _NAMES[array.dtype.newbyteorder("=")]
    except KeyError:
        raise TypeError(
            f"numpy dtype {array.dtype} has no Open Inference Protocol datatype"
        ) from None


def format_shape(shape):
    """``[-1, 3]``: how messages write a shape."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


@dataclass(frozen=True)
class TensorSpec:
    """One named tensor of a model's signature.

    Args:
        name (str): the tensor's name in V2 requests and responses.
        datatype (str): one of :data:`DATATYPES`.
        shape (tuple[int, ...]): the dimensions; -1 where any size is accepted.
    """

    name: str
    datatype: str
    shape: tuple

    @classmethod
    def from_dict(cls, value, where="tensor spec"):
        """Read and check ``{"name", "datatype", "shape"}``; ``where`` names it in errors."""
        if not (isinstance(value, dict) and {"name", "datatype", "shape"} <= value.keys()):
            raise ValueError(f"{where} must be an object with 'name', 'datatype' and 'shape'")
        name, datatype, shape = value["name"], value["datatype"], value["shape"]
        if not (isinstance(name, str) and name):
            raise ValueError(f"{where}: 'name' must be a non-empty string, got {name!r}")
        if datatype not in DATATYPES:
            raise ValueError(
                f"{where}: unknown datatype {datatype!r}; expected one of {', '.join(DATATYPES)}"
            )
        if not (
            isinstance(shape, (list, tuple)) and all(type(d) is int and d >= -1 for d in shape)
        ):
            raise ValueError(f"{where}: 'shape' must be a list of sizes (-1 = any), got {shape!r}")
        return cls(name, datatype, tuple(shape))

    def to_dict(self):
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}

    def accepts_shape(self, shape):
        """Whether a tensor of ``shape`` fits this spec (same rank, equal where not -1)."""
        return len(shape) == len(self.shape) and all(
            want in (-1, got) for want, got in zip(self.shape, shape)
        )

    def example_shape(self):
        """The smallest concrete shape this spec accepts: 1 for each -1 (for dry runs)."""
        return tuple(1 if d == -1 else d for d in self.shape)


def is_batched(specs):
    """Whether every spec has a variable leading (batch) dimension, so requests concatenate."""
    return bool(specs) and all(spec.shape[:1] == (-1,) for spec in specs)


def check_names(specs, names):
    """Check that ``names`` are exactly the inputs of ``specs``; the error lists both sides."""
    expected = [spec.name for spec in specs]
    missing = [name for name in expected if name not in names]
    unknown = [name for name in names if name not in expected]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing input(s) {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"unknown input(s) {', '.join(map(repr, unknown))}")
        raise InvalidInput(
            f"{'; '.join(parts)}; the model's inputs are {', '.join(map(repr, expected))}"
        )


def validate_inputs(specs, arrays):
    """Check decoded input ``arrays`` (name -> numpy array) against the model's ``specs``.

    Every declared input must be present, nothing else may be, and each must have the declared
    datatype and a matching shape. When every input is batched (leading dimension -1) their
    batch sizes must agree, since the server concatenates requests along that dimension.

    Raises:
        InvalidInput: naming the input and the expected versus received datatype or shape.
    """
    check_names(specs, arrays)
    for spec in specs:
        array = arrays[spec.name]
        received = datatype_of(array)
        if received != spec.datatype:
            raise InvalidInput(
                f"input {spec.name!r}: expected datatype {spec.datatype}, received {received}"
            )
        if not spec.accepts_shape(array.shape):
            raise InvalidInput(
                f"input {spec.name!r}: expected shape {format_shape(spec.shape)}, received "
                f"{format_shape(array.shape)}"
            )
    if is_batched(specs):
        sizes = {spec.name: arrays[spec.name].shape[0] for spec in specs}
        if len(set(sizes.values())) > 1:
            raise InvalidInput(f"inputs disagree on the batch size (dimension 0): {sizes}")
