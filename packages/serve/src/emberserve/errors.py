"""The errors emberserve raises, and the one table that maps each to an HTTP status.

Everything a client can get wrong, and everything that can go wrong on the server, is one of
the exception types below. Route code raises them; the apps turn them into JSON error bodies
through :func:`status_of` and :func:`error_type` only, so a status code is decided here and
nowhere else. An exception type missing from the table (a bug, or a model's own error) is a
500.
"""

from __future__ import annotations

__all__ = [
    "ServeError",
    "InvalidInput",
    "Unauthorized",
    "Forbidden",
    "ModelNotFound",
    "RouteNotFound",
    "MethodNotAllowed",
    "Conflict",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "InferenceError",
    "HandlerContractError",
    "ArchiveError",
    "ModelUnavailable",
    "ServerOverloaded",
    "RequestTimeout",
    "status_of",
    "error_type",
]


class ServeError(Exception):
    """Base of every error emberserve reports to a client; its message is what the client sees.

    Args:
        message (str): what went wrong, said so that the reader can fix it.
        headers (dict, optional): extra response headers (``Retry-After``, ``WWW-Authenticate``).
    """

    def __init__(self, message, headers=None):
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})


class InvalidInput(ServeError):
    """The request is malformed: bad JSON, tensor, image, shape, datatype or parameter."""


class Unauthorized(ServeError):
    """The API needs a bearer token and the request had none, or a wrong one."""

    def __init__(self, message):
        super().__init__(message, {"WWW-Authenticate": "Bearer"})


class Forbidden(ServeError):
    """The request asks for something the server's configuration does not allow."""


class ModelNotFound(ServeError):
    """No model, or no such version of it, is registered under that name."""


class RouteNotFound(ServeError):
    """No route has this path."""


class MethodNotAllowed(ServeError):
    """The route exists but not for this HTTP method."""


class Conflict(ServeError):
    """The request clashes with the server's state (a version registered twice)."""


class PayloadTooLarge(ServeError):
    """The request body is over the configured ``max_request_size``."""


class UnsupportedMediaType(ServeError):
    """The body is compressed with an encoding the server does not read."""


class InferenceError(ServeError):
    """The model or its handler failed on this request; the server itself is fine."""


class HandlerContractError(InferenceError):
    """A handler broke its contract: it must return a list as long as the batch it was given."""


class ArchiveError(ServeError):
    """A model archive is corrupt or incomplete, or cannot be loaded as configured."""


class ModelUnavailable(ServeError):
    """The model has no workers (scaled to zero) or is being unregistered."""

    def __init__(self, message, retry_after=1):
        super().__init__(message, {"Retry-After": str(retry_after)})


class ServerOverloaded(ModelUnavailable):
    """The model's request queue is full; the client should retry after ``Retry-After``."""


class RequestTimeout(ServeError):
    """The model did not answer within the configured response timeout."""


# The one table: error type -> (HTTP status, TorchServe-style type name). Subclasses inherit
# their base's row unless they have their own; looked up along the MRO by status_of.
_TABLE = {
    InvalidInput: (400, "BadRequestException"),
    Unauthorized: (401, "UnauthorizedException"),
    Forbidden: (403, "ForbiddenException"),
    ModelNotFound: (404, "ModelNotFoundException"),
    RouteNotFound: (404, "ResourceNotFoundException"),
    MethodNotAllowed: (405, "MethodNotAllowedException"),
    Conflict: (409, "ConflictStatusException"),
    PayloadTooLarge: (413, "RequestEntityTooLargeException"),
    UnsupportedMediaType: (415, "UnsupportedMediaTypeException"),
    ArchiveError: (400, "InvalidModelArchiveException"),
    InferenceError: (500, "InternalServerException"),
    ModelUnavailable: (503, "ServiceUnavailableException"),
    RequestTimeout: (504, "RequestTimeoutException"),
}
_FALLBACK = (500, "InternalServerException")


def _row(exc):
    for cls in type(exc).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]
    return _FALLBACK


def status_of(exc):
    """The HTTP status code for exception ``exc`` (500 for anything not in the table)."""
    return _row(exc)[0]


def error_type(exc):
    """The TorchServe-style ``type`` field for exception ``exc``."""
    return _row(exc)[1]
