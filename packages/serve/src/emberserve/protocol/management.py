"""TorchServe's management API (its own port; 127.0.0.1 by default).

- ``GET /models?limit=100&next_page_token=0``: ``{"models": [{"modelName", "modelUrl"}],
  "nextPageToken"?}``
- ``POST /models?url=FILE.emar&model_name=&batch_size=&max_batch_delay=&initial_workers=
  &response_timeout=``: register an archive from the model store (or an allowed URL).
- ``GET /models/{m}``, ``/models/{m}/{v}``, ``/models/{m}/all``: describe versions.
- ``PUT /models/{m}[/{v}]?min_worker=N``: run N workers (``max_worker`` is accepted; workers
  do not autoscale).
- ``DELETE /models/{m}[/{v}]``: unregister, after its queued requests are answered.
- ``PUT /models/{m}/{v}/set-default``: make ``v`` the default version.

Loading and unloading block until done (``synchronous=false`` is accepted and ignored).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from ..errors import Forbidden, InvalidInput
from .http import json_response

__all__ = ["routes"]


def _int(request, name, default=None, minimum=0):
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"parameter {name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise InvalidInput(f"parameter {name} must be at least {minimum}, got {number}")
    return number


def _float(request, name):
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"parameter {name} must be a number, got {value!r}") from None
    if not number >= 0:
        raise InvalidInput(f"parameter {name} must be non-negative, got {value!r}")
    return number


def _models(request):
    return request.app.state.server.registry


async def list_models(request):
    registry = _models(request)
    limit = _int(request, "limit", 100, minimum=1)
    start = _int(request, "next_page_token", 0)
    names = registry.names()
    page = []
    for name in names[start : start + limit]:
        model = registry.get(name)
        page.append({"modelName": name, "modelUrl": model.url})
    content = {"models": page}
    if start + limit < len(names):
        content["nextPageToken"] = str(start + limit)
    return json_response(content)


async def register(request):
    server = request.app.state.server
    url = request.query_params.get("url")
    if not url:
        raise InvalidInput("parameter url is required: the archive's file name in the model store")
    if server.store is None:
        raise Forbidden("the server has no model store; start it with --model-store DIR")
    timeout = _float(request, "response_timeout")
    options = {
        "name": request.query_params.get("model_name") or None,
        "batch_size": _int(request, "batch_size", minimum=1),
        "max_batch_delay": _float(request, "max_batch_delay"),
        "workers": _int(request, "initial_workers"),
        "response_timeout": timeout if timeout else None,
    }
    path = await run_in_threadpool(server.store.resolve, url)
    model = await run_in_threadpool(server.registry.register, path, url=url, **options)
    workers = model.batcher.workers
    return json_response(
        {
            "status": f'Model "{model.name}" Version: {model.version} registered with {workers} initial workers'
        }
    )


async def describe(request):
    registry = _models(request)
    name, version = request.path_params["model"], request.path_params.get("version")
    models = registry.versions(name) if version == "all" else [registry.get(name, version)]
    return json_response([model.describe() for model in models])


async def scale(request):
    registry = _models(request)
    name, version = request.path_params["model"], request.path_params.get("version")
    workers = _int(request, "min_worker")
    if workers is None:
        raise InvalidInput("parameter min_worker is required")
    maximum = _int(request, "max_worker", workers)
    if maximum < workers:
        raise InvalidInput(f"max_worker {maximum} is below min_worker {workers}")
    model = await run_in_threadpool(registry.scale, name, version, workers)
    return json_response(
        {"status": f"Workers scaled to {workers} for model: {model.name}, version: {model.version}"}
    )


async def unregister(request):
    registry = _models(request)
    name, version = request.path_params["model"], request.path_params.get("version")
    model = await run_in_threadpool(registry.unregister, name, version)
    return json_response({"status": f'Model "{model.name}" version {model.version} unregistered'})


async def set_default(request):
    name, version = request.path_params["model"], request.path_params["version"]
    model = _models(request).set_default(name, version)
    return json_response(
        {
            "status": f'Default version successfully updated for model "{model.name}" to "{model.version}"'
        }
    )


def routes(endpoint):
    """The routes, each wrapped by ``endpoint`` (which turns errors into responses)."""
    return [
        Route("/models", endpoint(list_models), methods=["GET"]),
        Route("/models", endpoint(register), methods=["POST"]),
        Route("/models/{model}", endpoint(describe), methods=["GET"]),
        Route("/models/{model}", endpoint(scale), methods=["PUT"]),
        Route("/models/{model}", endpoint(unregister), methods=["DELETE"]),
        Route("/models/{model}/{version}/set-default", endpoint(set_default), methods=["PUT"]),
        Route("/models/{model}/{version}", endpoint(describe), methods=["GET"]),
        Route("/models/{model}/{version}", endpoint(scale), methods=["PUT"]),
        Route("/models/{model}/{version}", endpoint(unregister), methods=["DELETE"]),
    ]
