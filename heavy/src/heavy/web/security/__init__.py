"""Security defaults every app gets: websocket origin check, security headers, size limits.

``install_security_defaults`` is called by the app factory; each piece lives in its own module
(``origin``, ``headers``) so a project can read, test or tighten it in one place.
"""

from __future__ import annotations

import os
from typing import Any

from heavy.settings import HeavySettings
from heavy.web.security.headers import security_headers
from heavy.web.security.origin import STREAM_CHECK_PATH, OriginPolicy, log_oversized_messages
from sanic import Sanic
from sanic.signals import Event


def install_security_defaults(app: Sanic[Any, Any], settings: HeavySettings) -> None:
    """Size limits, the websocket origin check and the security headers.

    The origin policy reads the Codespaces variables here, once per process (see origin.py).
    """
    # Sanic refuses a larger request body with 413, and closes a websocket that sends a larger
    # message (close code 1009): only that connection, the server carries on.
    app.config.REQUEST_MAX_SIZE = settings.max_request_bytes
    app.config.WEBSOCKET_MAX_SIZE = settings.max_websocket_message_bytes
    if settings.proxies_count:
        # Behind that many reverse proxies, request.remote_addr is the client's address.
        app.config.PROXIES_COUNT = settings.proxies_count
    policy = OriginPolicy.for_app(settings, os.environ)
    app.register_middleware(policy.refuse_foreign_websocket, "request")
    app.add_route(policy.check_stream, STREAM_CHECK_PATH, methods=["POST"], name="stream_check")
    app.signal(Event.WEBSOCKET_HANDLER_BEFORE)(log_oversized_messages)
    app.register_middleware(security_headers(production=settings.is_production), "response")
