"""The three Starlette apps of a server: inference, management and metrics.

Every route is wrapped by :func:`endpoint`, so any error becomes a JSON response with the
status from :mod:`emberserve.errors`' table and the server keeps serving; unexpected
exceptions are logged with their traceback and answered with a 500.
"""

from __future__ import annotations

import functools
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import Route

from .auth import HEALTH_PATHS, BearerAuth
from .errors import InferenceError, MethodNotAllowed, RouteNotFound, ServeError
from .metrics import CONTENT_TYPE_LATEST
from .protocol import management, torchserve, v2
from .protocol.http import error_response

__all__ = ["build_apps", "endpoint"]

logger = logging.getLogger("emberserve")


def endpoint(func):
    """Wrap route ``func`` so that exceptions become JSON error responses."""

    @functools.wraps(func)
    async def wrapper(request):
        try:
            return await func(request)
        except ServeError as exc:
            return error_response(exc, request.url.path)
        except Exception as exc:
            logger.exception("internal error in %s %s", request.method, request.url.path)
            error = InferenceError(f"internal server error: {type(exc).__name__}: {exc}")
            return error_response(error, request.url.path)

    return wrapper


async def _http_error(request, exc):
    """Starlette's own errors (no such route, wrong method) in the same JSON shapes."""
    if exc.status_code == 405:
        error = MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}", exc.headers
        )
    else:
        error = RouteNotFound(f"no route {request.method} {request.url.path}", exc.headers)
    return error_response(error, request.url.path)


async def _metrics(request):
    body = request.app.state.server.metrics.render()
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _app(server, routes, token=None, exempt=()):
    config = server.config
    middleware = []
    if config.cors_allowed_origins:  # outermost: preflight requests carry no token
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=config.cors_allowed_origins,
                allow_methods=config.cors_allowed_methods,
                allow_headers=config.cors_allowed_headers,
            )
        )
    if token:
        middleware.append(Middleware(BearerAuth, token=token, exempt=exempt))
    app = Starlette(
        routes=routes, middleware=middleware, exception_handlers={HTTPException: _http_error}
    )
    app.state.server = server
    return app


def build_apps(server):
    """The ``(inference, management, metrics)`` apps of ``server``.

    ``server`` provides ``config``, ``registry``, ``store``, ``metrics`` and ``draining``.
    """
    tokens = server.config.tokens()
    inference = _app(
        server,
        torchserve.routes(endpoint) + v2.routes(endpoint),
        tokens["inference"],
        HEALTH_PATHS,
    )
    manage = _app(server, management.routes(endpoint), tokens["management"])
    metrics = _app(server, [Route("/metrics", endpoint(_metrics), methods=["GET"])])
    return inference, manage, metrics
