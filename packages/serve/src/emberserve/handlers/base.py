"""The handler contract: ``initialize``, then ``preprocess`` -> ``inference`` -> ``postprocess``.

A handler turns a batch of requests into a batch of responses, as TorchServe's do. The batch is
a list with one entry per request, each a dict:

- from the TorchServe API (``/predictions``): ``{"body": bytes}`` for a raw body, or the form
  fields of a multipart body (``{"data": bytes}`` for ``curl -F data=@x.jpg``);
- from the Open Inference Protocol (``/v2/.../infer``): ``{"inputs": {name: numpy array},
  "parameters": {...}}``, the inputs already checked against the archive's input specs.

``postprocess`` returns a list as long as the batch: for a TorchServe request anything JSON can
hold (or ``bytes``, sent as is); for a V2 request a dict of output name -> numpy array. An entry
may be an exception instance, which fails that request alone (an
:class:`~emberserve.errors.InvalidInput` becomes a 400). If a whole batch raises, the server
runs its requests again one at a time so that one bad request cannot fail the others.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

import ember

from ..errors import HandlerContractError, InferenceError, InvalidInput, ServeError
from ..protocol.codec import array_from_nested, parse_json
from ..schema import DATATYPES, TensorSpec, datatype_of

__all__ = ["Context", "BaseHandler", "handle_batch"]

logger = logging.getLogger("emberserve")


class Context:
    """What a handler knows about its model; given to :meth:`BaseHandler.initialize`.

    Attributes:
        model_name (str), model_version (str): the registered name and version.
        manifest (dict): the archive's ``MANIFEST.json``.
        model_dir (str): where the archive's files are unpacked.
        handler_config (dict): the manifest's handler settings (resize, crop, topk, ...).
        labels (dict[int, str] or None): ``index_to_name.json``, if the archive has it.
        inputs, outputs (list[TensorSpec]): the model's signature.
        device (ember.device): where the model runs.
        system_properties (dict): TorchServe's keys: ``model_dir``, ``batch_size``,
            ``server_name``, ``server_version``, ``limit_max_image_pixels``, ``device``.
    """

    def __init__(self, name, manifest, model_dir, labels, device, system_properties, build_model):
        self.manifest = manifest.to_dict()
        self.model_name = name
        self.model_version = manifest.version
        self.handler_config = dict(manifest.handler_config)
        self.inputs = manifest.inputs
        self.outputs = manifest.outputs
        self.model_dir = str(model_dir)
        self.labels = labels
        self.device = device
        self.system_properties = dict(system_properties)
        self._build_model = build_model
        self._model = None
        self._lock = threading.Lock()

    def load_model(self):
        """The model (built once, in eval mode, on the device), shared by all workers."""
        with self._lock:
            if self._model is None:
                self._model = self._build_model()
            return self._model


class BaseHandler:
    """Base class of request handlers; one instance per worker, so ``self`` may hold state
    between the steps of a batch.

    The default steps serve a model taking one float tensor: each request's payload is JSON
    (a number or nested list: one sample), the samples are stacked into a batch, and each
    response is that sample's output as a nested list.
    """

    def __init__(self):
        self.context = None
        self.model = None
        self.device = None
        self.initialized = False

    @classmethod
    def signature(cls, model, inputs, outputs, config):
        """The ``(inputs, outputs)`` specs an archive records for this handler.

        Called by :func:`emberserve.archive.create`; the default takes ``inputs`` as given and,
        when ``outputs`` is None, finds them by running ``model`` once on zeros.
        """
        if not inputs:
            raise ValueError(f"the {cls.__name__} handler needs inputs=[TensorSpec, ...]")
        if outputs is None:
            outputs = _dry_run_outputs(model, inputs)
        return list(inputs), list(outputs)

    def initialize(self, context):
        """Load the model (shared between workers) and remember the context."""
        self.context = context
        self.device = context.device
        self.model = context.load_model()
        self.initialized = True

    def payload(self, item):
        """A TorchServe request's data: its ``data`` form field, else its raw ``body``."""
        value = item.get("data", item.get("body"))
        if value is None or value == b"":
            raise InvalidInput("the request has no data: send a body or a form field 'data'")
        return value

    def preprocess(self, batch):
        samples = [
            array_from_nested(parse_json(self.payload(item)), "FP32", "data") for item in batch
        ]
        if len({s.shape for s in samples}) > 1:
            raise InvalidInput(
                f"samples of different shapes in one batch: {[s.shape for s in samples]}"
            )
        return ember.from_numpy(np.stack(samples)).to(self.device)

    def inference(self, data):
        return self.model(data)

    def postprocess(self, outputs):
        return outputs.tolist()

    def handle(self, batch):
        """Run the three steps on ``batch``; returns one response per request."""
        return self.postprocess(self.inference(self.preprocess(batch)))


def _dry_run_outputs(model, inputs):
    if any(spec.datatype == "BYTES" for spec in inputs):
        raise ValueError("cannot run the model on BYTES inputs to find its outputs: pass outputs=")
    with ember.inference_mode():
        args = [
            ember.from_numpy(np.zeros(spec.example_shape(), DATATYPES[spec.datatype]))
            for spec in inputs
        ]
        results = model(*args)
    if not isinstance(results, (tuple, list)):
        results = (results,)
    specs = []
    for i, result in enumerate(results):
        array = result.numpy(force=True)
        shape = list(array.shape)
        if inputs[0].shape[:1] == (-1,) and shape:
            shape[0] = -1  # the batch dimension follows the inputs'
        specs.append(TensorSpec(f"output__{i}", datatype_of(array), tuple(shape)))
    return specs


def _as_error(exc, handler):
    if isinstance(exc, ServeError):
        return exc
    name = handler.context.model_name if handler.context else type(handler).__name__
    logger.error("model %r failed", name, exc_info=exc)
    return InferenceError(f"model {name!r} failed: {type(exc).__name__}: {exc}")


def handle_batch(handler, batch):
    """Run ``handler`` on ``batch`` and return one result or exception per request; never raises.

    A batch that raises is retried one request at a time, so each request gets its own
    answer. A handler returning the wrong number of results fails every request of the batch
    with a :class:`HandlerContractError` that says so.
    """
    try:
        results = handler.handle(batch)
    except Exception as exc:
        if len(batch) == 1:
            return [_as_error(exc, handler)]
        return [handle_batch(handler, [item])[0] for item in batch]
    if not isinstance(results, list) or len(results) != len(batch):
        got = f"{len(results)} results" if isinstance(results, list) else type(results).__name__
        error = HandlerContractError(
            f"handler {type(handler).__name__} returned {got} for a batch of {len(batch)} "
            "requests; postprocess must return a list with one entry per request"
        )
        logger.error("%s", error)
        return [error] * len(batch)
    return [_as_error(r, handler) if isinstance(r, Exception) else r for r in results]
