"""Refuse websocket connections opened by pages of other origins (cross-site websocket hijacking).

A browser sends cookies with a websocket handshake whatever page opened it, and websockets are
not covered by the same-origin policy: without this check, any site a signed-in user visits
could open the app's stream with the user's session. Browsers always send ``Origin`` on a
websocket handshake, so the check runs before the upgrade and a refused page never sees a
layout.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from sanic import HTTPResponse, Request, text
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.frames import CloseCode

logger = logging.getLogger(__name__)


def is_websocket_request(request: Request) -> bool:
    """True for a request to a websocket route (before the upgrade)."""
    route = request.route
    return route is not None and bool(getattr(route.extra, "websocket", False))


def is_allowed_origin(origin: str | None, host: str, allowed_origins: Sequence[str]) -> bool:
    """Whether a handshake with this ``Origin`` header may proceed.

    With no configured origins only the app's own is allowed: the origin's host and port must
    be the ``Host`` the browser connected to. A handshake without ``Origin`` does not come from
    a browser, so no victim's cookies ride on it (and any other client can send any Origin it
    likes): it is allowed, which keeps command-line clients and load tests simple.
    """
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if "*" in allowed_origins:  # any origin: DEV only (PRODUCTION refuses the setting)
        return True
    if allowed_origins:
        return origin in {allowed.strip().rstrip("/").lower() for allowed in allowed_origins}
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.netloc == host.lower()


async def refuse_foreign_websocket(request: Request) -> HTTPResponse | None:
    """Request middleware: answer 403 instead of upgrading a websocket from a foreign origin."""
    if not is_websocket_request(request):
        return None
    origin = request.headers.get("origin")
    if is_allowed_origin(origin, request.host, request.app.ctx.settings.allowed_origins):
        return None
    logger.warning("Refused a websocket from origin %.100r (host %.100r)", origin, request.host)
    return text("This page's origin may not connect here.", status=403)


async def log_oversized_messages(request: Request, websocket: WebsocketImplProtocol) -> None:
    """Signal handler (websocket opened): log when the connection ends over a too-big message.

    The websocket library closes such a connection itself (code 1009) and ReactPy sees an
    ordinary disconnect, so without this line the refusal would leave no trace.
    """
    client = request.remote_addr or request.ip
    limit = request.app.config.WEBSOCKET_MAX_SIZE

    def closed(_lost: object) -> None:
        sent = websocket.ws_proto.close_sent
        if sent is not None and sent.code == CloseCode.MESSAGE_TOO_BIG:
            logger.warning("Closed a websocket from %s: a message was over %d bytes", client, limit)

    if websocket.connection_lost_waiter is not None:
        websocket.connection_lost_waiter.add_done_callback(closed)
