"""The ``tensor`` handler: named tensors in, named tensors out, for any model.

The model is called as ``model(*inputs)`` with one ember tensor per input spec, in the
archive's order, and returns a tensor or a tuple of tensors, one per output spec. Requests that
share a batch are concatenated along dimension 0 (when every input's leading dimension is -1)
and the outputs are split back.

On the TorchServe API a request body is JSON: a nested list for a one-input model, or an
object mapping input names to nested lists. A list one dimension short of the input spec is a
single sample; its response drops the batch dimension again. The response is the output as a
nested list, or an object of them when the model has several outputs.
"""

from __future__ import annotations

import numpy as np

import ember

from ..errors import InferenceError, InvalidInput
from ..protocol.codec import array_from_nested, parse_json
from ..schema import DATATYPES, check_names, is_batched, validate_inputs
from .base import BaseHandler
from .registry import register_handler

__all__ = ["TensorHandler"]


def _check_ember_datatypes(specs):
    for spec in specs:
        try:
            ember.from_numpy(np.zeros(0, DATATYPES[spec.datatype]))
        except TypeError:
            raise ValueError(
                f"input {spec.name!r} is {spec.datatype}, which ember tensors cannot hold; the "
                "tensor handler takes BOOL, UINT8, INT8-INT64 and FP16-FP64 inputs"
            ) from None


@register_handler("tensor")
class TensorHandler(BaseHandler):
    """V2 tensors in and out; JSON nested lists on the TorchServe API."""

    @classmethod
    def signature(cls, model, inputs, outputs, config):
        _check_ember_datatypes(inputs or ())
        return super().signature(model, inputs, outputs, config)

    def initialize(self, context):
        super().initialize(context)
        _check_ember_datatypes(context.inputs)
        self.inputs = context.inputs
        self.outputs = context.outputs
        self.batched = is_batched(self.inputs)

    def _arrays(self, item):
        """The input arrays of one request, and whether it sent a single unbatched sample."""
        if "inputs" in item:
            return item["inputs"], False
        data = parse_json(self.payload(item))
        if not isinstance(data, dict):
            if len(self.inputs) != 1:
                names = ", ".join(repr(spec.name) for spec in self.inputs)
                raise InvalidInput(f"the model has several inputs; send a JSON object of {names}")
            data = {self.inputs[0].name: data}
        check_names(self.inputs, data)
        arrays = {s.name: array_from_nested(data[s.name], s.datatype, s.name) for s in self.inputs}
        single = self.batched and all(arrays[s.name].ndim == len(s.shape) - 1 for s in self.inputs)
        if single:
            arrays = {name: array[np.newaxis] for name, array in arrays.items()}
        validate_inputs(self.inputs, arrays)
        return arrays, single

    def preprocess(self, batch):
        if len(batch) > 1 and not self.batched:  # the registry keeps batch_size at 1 for these
            raise InvalidInput("the model's inputs have no batch dimension; cannot batch requests")
        requests = [self._arrays(item) for item in batch]
        self._batch = batch
        self._single = [single for _, single in requests]
        if self.batched:
            self._rows = [arrays[self.inputs[0].name].shape[0] for arrays, _ in requests]
            merged = [
                np.concatenate([arrays[s.name] for arrays, _ in requests]) for s in self.inputs
            ]
        else:
            merged = [requests[0][0][s.name] for s in self.inputs]
        return [ember.from_numpy(a).to(self.device) for a in merged]

    def inference(self, data):
        return self.model(*data)

    def postprocess(self, outputs):
        if not isinstance(outputs, (tuple, list)):
            outputs = (outputs,)
        if len(outputs) != len(self.outputs):
            raise InferenceError(
                f"the model returned {len(outputs)} outputs; the archive declares "
                f"{len(self.outputs)} ({', '.join(s.name for s in self.outputs)})"
            )
        arrays = [output.numpy(force=True) for output in outputs]
        if self.batched:
            total = sum(self._rows)
            for spec, array in zip(self.outputs, arrays):
                if array.shape[:1] != (total,):
                    raise InferenceError(
                        f"output {spec.name!r} has shape {list(array.shape)}; expected "
                        f"{total} rows, one per input row"
                    )
            splits = np.cumsum(self._rows)[:-1]
            parts = [np.split(array, splits) for array in arrays]
        else:
            parts = [[array] for array in arrays]
        responses = []
        for i, item in enumerate(self._batch):
            named = {spec.name: part[i] for spec, part in zip(self.outputs, parts)}
            if "inputs" in item:
                responses.append(named)
                continue
            lists = {name: (a[0] if self._single[i] else a).tolist() for name, a in named.items()}
            responses.append(next(iter(lists.values())) if len(lists) == 1 else lists)
        return responses
