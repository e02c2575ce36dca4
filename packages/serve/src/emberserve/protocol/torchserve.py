"""TorchServe's inference API: ``GET /ping`` and ``POST|PUT /predictions/{model}[/{version}]``.

A prediction request's body is the input as is (``curl -T kitten.jpg`` sends a PUT, so PUT is
accepted too) or a multipart form (``curl -F data=@kitten.jpg``); its response is the
handler's result as JSON (``bytes`` results are sent as ``application/octet-stream``).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .http import json_response, read_body, read_form

__all__ = ["routes"]


async def ping(request):
    server = request.app.state.server
    if server.draining:
        return json_response({"status": "Unhealthy"}, 500)
    return json_response({"status": "Healthy"})


async def _item(request, body, limit):
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return await read_form(request.headers, body, limit)
    return {"body": body}


async def predictions(request):
    server = request.app.state.server
    model = server.registry.get(request.path_params["model"], request.path_params.get("version"))
    with server.metrics.track(model.name, model.version, "torchserve"):
        limit = server.config.max_request_size
        item = await _item(request, await read_body(request, limit), limit)
        result = await model.batcher.submit(item, model.response_timeout)
    if isinstance(result, (bytes, bytearray)):
        return Response(bytes(result), media_type="application/octet-stream")
    return json_response(result)


def routes(endpoint):
    """The routes, each wrapped by ``endpoint`` (which turns errors into responses)."""
    methods = ["POST", "PUT"]
    return [
        Route("/ping", endpoint(ping), methods=["GET"]),
        Route("/predictions/{model}", endpoint(predictions), methods=methods),
        Route("/predictions/{model}/{version}", endpoint(predictions), methods=methods),
    ]
