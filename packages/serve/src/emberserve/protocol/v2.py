"""The Open Inference Protocol (KServe V2) REST routes, with Triton's binary tensor extension.

``GET /v2``, ``/v2/health/live``, ``/v2/health/ready``, ``/v2/models/{m}[/versions/{v}]``
(metadata), ``.../ready``, ``POST .../infer``. An empty version (what ``tritonclient`` sends by
default) means the default version.
"""

from __future__ import annotations

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

import ember

from .. import __version__
from ..errors import HandlerContractError, InvalidInput
from ..registry import PLATFORM
from ..schema import validate_inputs
from .codec import HEADER_LENGTH, decode_infer_request, encode_infer_response
from .http import json_response, read_body

__all__ = ["routes", "EXTENSIONS"]

EXTENSIONS = ["binary_tensor_data"]
_OFF_LOOP = 1 << 20  # bodies larger than this are decoded in a thread, off the event loop


async def server_metadata(request):
    return json_response({"name": "emberserve", "version": __version__, "extensions": EXTENSIONS})


async def live(request):
    return json_response({"live": True})


async def ready(request):
    server = request.app.state.server
    is_ready = not server.draining and server.registry.ready
    return json_response({"ready": is_ready}, 200 if is_ready else 503)


def _model(request):
    params = request.path_params
    return request.app.state.server.registry.get(params["model"], params.get("version"))


async def model_metadata(request):
    model = _model(request)
    versions = request.app.state.server.registry.versions(model.name)
    return json_response(
        {
            "name": model.name,
            "versions": [m.version for m in versions],
            "platform": PLATFORM,
            "inputs": [spec.to_dict() for spec in model.inputs],
            "outputs": [spec.to_dict() for spec in model.outputs],
        }
    )


async def model_ready(request):
    model = _model(request)
    return json_response({"name": model.name, "ready": model.ready}, 200 if model.ready else 503)


def _select_outputs(request, result):
    """The outputs to send: those requested (in request order), else all declared ones."""
    if not isinstance(result, dict):
        raise HandlerContractError(
            f"the handler answered a V2 request with {type(result).__name__}; it must return "
            "a dict of output name -> array"
        )
    names = [o["name"] for o in request.outputs] if request.outputs else list(result)
    outputs = {}
    for name in names:
        value = result.get(name)
        if value is None:
            raise HandlerContractError(f"the handler returned no output {name!r}")
        outputs[name] = (
            value.numpy(force=True) if isinstance(value, ember.Tensor) else np.asarray(value)
        )
    return outputs


def _check_requested(model, request):
    if request.outputs:
        declared = [spec.name for spec in model.outputs]
        unknown = [o["name"] for o in request.outputs if o["name"] not in declared]
        if unknown:
            raise InvalidInput(
                f"unknown output(s) {', '.join(map(repr, unknown))}; the model's outputs are "
                f"{', '.join(map(repr, declared))}"
            )


def _decode(body, header_length, model):
    request = decode_infer_request(body, header_length)
    validate_inputs(model.inputs, request.inputs)
    _check_requested(model, request)
    return request


async def infer(request):
    server = request.app.state.server
    model = _model(request)
    with server.metrics.track(model.name, model.version, "v2"):
        body = await read_body(request, server.config.max_request_size)
        header_length = request.headers.get(HEADER_LENGTH)
        if len(body) > _OFF_LOOP:
            infer_request = await run_in_threadpool(_decode, body, header_length, model)
        else:
            infer_request = _decode(body, header_length, model)
        item = {"inputs": infer_request.inputs, "parameters": infer_request.parameters}
        result = await model.batcher.submit(item, model.response_timeout)
        outputs = _select_outputs(infer_request, result)
        content, headers = encode_infer_response(infer_request, outputs, model.name, model.version)
    return Response(content, headers=headers, media_type=headers.pop("Content-Type"))


def routes(endpoint):
    """The routes, each wrapped by ``endpoint`` (which turns errors into responses)."""
    table = [
        ("/v2", server_metadata, "GET"),
        ("/v2/health/live", live, "GET"),
        ("/v2/health/ready", ready, "GET"),
    ]
    for base in ("/v2/models/{model}", "/v2/models/{model}/versions/{version}"):
        table += [
            (base, model_metadata, "GET"),
            (base + "/ready", model_ready, "GET"),
            (base + "/infer", infer, "POST"),
        ]
    return [Route(path, endpoint(func), methods=[method]) for path, func, method in table]
