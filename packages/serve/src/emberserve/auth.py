"""Optional bearer-token authentication: ``Authorization: Bearer <token>``.

Each API (inference, management) may have its own token; the server compares it in constant
time. Health checks (``/ping``, ``/v2/health/*``) stay open so that load balancers and
orchestrators can probe the server without a secret.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers

from .errors import Unauthorized
from .protocol.http import error_response

__all__ = ["BearerAuth", "HEALTH_PATHS"]

HEALTH_PATHS = frozenset({"/ping", "/v2/health/live", "/v2/health/ready"})


class BearerAuth:
    """ASGI middleware refusing HTTP requests without the right bearer token (401).

    Args:
        app: the ASGI app to protect.
        token (str): the token clients must send.
        exempt (collection of str): paths that need no token.
    """

    def __init__(self, app, token, exempt=()):
        self.app = app
        self.token = token.encode()
        self.exempt = frozenset(exempt)

    def _authorized(self, scope):
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.token
        )

    async def __call__(self, scope, receive, send):
        protected = scope["type"] == "http" and scope["path"] not in self.exempt
        if protected and not self._authorized(scope):
            error = Unauthorized("this API needs the header 'Authorization: Bearer <token>'")
            await error_response(error, scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)
