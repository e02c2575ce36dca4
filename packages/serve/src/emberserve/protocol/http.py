"""HTTP plumbing shared by the routes: bounded body reading, form parsing, JSON and errors.

Error bodies follow the API a route belongs to: ``{"error": message}`` under ``/v2`` (the Open
Inference Protocol), TorchServe's ``{"code": status, "type": name, "message": message}``
everywhere else. The status comes from :mod:`emberserve.errors`' table.
"""

from __future__ import annotations

import json
import logging
import zlib

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from ..errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType, error_type, status_of

__all__ = ["json_response", "error_response", "read_body", "read_form"]

logger = logging.getLogger("emberserve")
_MAX_FORM_PARTS = 64


def _tolist(value):
    """JSON for what handlers often return: numpy arrays and scalars, ember tensors."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(content, status_code=200, headers=None):
    """A JSON response (NaN and infinities written as JavaScript does, as Python's json does)."""
    body = json.dumps(content, separators=(",", ":"), default=_tolist).encode()
    return Response(body, status_code, headers, media_type="application/json")


def error_response(exc, path):
    """The JSON error response for exception ``exc`` on a route at ``path``."""
    status = status_of(exc)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if path == "/v2" or path.startswith("/v2/"):
        content = {"error": message}
    else:
        content = {"code": status, "type": error_type(exc), "message": message}
    return json_response(content, status, getattr(exc, "headers", None))


def _too_large(size, limit):
    return PayloadTooLarge(
        f"the request body is {size} bytes, over the limit of {limit} bytes (max_request_size)"
    )


def _decompress(body, encoding, limit):
    """Undo a ``Content-Encoding`` of gzip or deflate, never inflating past ``limit`` bytes."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding not in ("gzip", "deflate"):
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported; use gzip, deflate or none"
        )
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidInput(f"the {encoding} request body is corrupt: {exc}") from None
    if len(data) > limit:
        raise _too_large(f"more than {limit} (decompressed)", limit)
    if not inflater.eof:
        raise InvalidInput(f"the {encoding} request body is truncated")
    return data


async def read_body(request, limit):
    """The request body, decompressed, refusing more than ``limit`` bytes without reading them.

    Raises:
        PayloadTooLarge: the body (as declared, received or decompressed) is over ``limit``.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"more than {limit}", limit)
        chunks.append(chunk)
    return _decompress(b"".join(chunks), request.headers.get("content-encoding"), limit)


async def read_form(headers, body, limit):
    """The fields of a ``multipart/form-data`` ``body``: name -> bytes (files) or str.

    Raises:
        InvalidInput: the body is not well-formed multipart data.
    """

    async def stream():
        yield body

    parser = MultiPartParser(
        headers,
        stream(),
        max_files=_MAX_FORM_PARTS,
        max_fields=_MAX_FORM_PARTS,
        max_part_size=limit,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidInput(f"malformed multipart/form-data body: {exc.message}") from None
    fields = {}
    try:
        for name, value in form.multi_items():
            fields[name] = await value.read() if isinstance(value, UploadFile) else value
    finally:
        await form.close()
    if not fields:
        raise InvalidInput("the multipart/form-data body has no fields; send the input as 'data'")
    return fields
