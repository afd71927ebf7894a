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

from heavy_stack.backend.web.app_state import app_state
from heavy_stack.settings import Settings

logger = logging.getLogger(__name__)


def is_websocket_request(request: Request) -> bool:
    """True for a request to a websocket route (before the upgrade)."""
    route = request.route
    return route is not None and bool(getattr(route.extra, "websocket", False))


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The page's scheme for each websocket scheme (Sanic gives a websocket request ws/wss).
_PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def allowed_host_names(settings: Settings) -> frozenset[str] | None:
    """The host names a websocket handshake may name in ``Host``; None: any.

    ``ALLOWED_HOSTS`` if set; else the hosts of ``ALLOWED_ORIGINS``; else, in DEV, the loopback
    names and ``HOST``. A PRODUCTION app with neither setting checks only that the origin is
    its own (behind a proxy, the public name is not known here).
    """
    if settings.allowed_hosts:
        return frozenset(host.strip().lower() for host in settings.allowed_hosts)
    if settings.allowed_origins and "*" not in settings.allowed_origins:
        return frozenset(_host_name(origin) for origin in settings.allowed_origins)
    if settings.is_production:
        return None
    return LOOPBACK_HOSTS | {settings.host.lower()}


def is_allowed_origin(origin: str | None, scheme: str, host: str, allowed_origins: Sequence[str]) -> bool:
    """Whether a handshake with this ``Origin`` header may proceed.

    With no configured origins only the app's own is allowed: scheme, host and port of the
    origin must be those of the page the browser loaded (``scheme`` and ``Host`` of this
    request). A handshake without ``Origin`` does not come from a browser, so no victim's
    cookies ride on it (and any other client can send any Origin it likes): it is allowed,
    which keeps command-line clients and load tests simple.
    """
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if "*" in allowed_origins:  # any origin: DEV only (PRODUCTION refuses the setting)
        return True
    if allowed_origins:
        return origin in {allowed.strip().rstrip("/").lower() for allowed in allowed_origins}
    own = f"{_PAGE_SCHEMES.get(scheme.lower(), '?')}://{host.lower()}"
    return origin == own


async def refuse_foreign_websocket(request: Request) -> HTTPResponse | None:
    """Request middleware: answer 403 instead of upgrading a websocket from a foreign origin
    or addressed to a foreign host name (a DNS-rebinding page)."""
    if not is_websocket_request(request):
        return None
    settings = app_state(request).settings
    hosts = allowed_host_names(settings)
    if hosts is not None and _host_name(request.host) not in hosts:
        logger.warning("Refused a websocket for host %.100r (not an allowed host)", request.host)
        return text("This host name is not served here.", status=403)
    origin = request.headers.get("origin")
    if is_allowed_origin(origin, request.scheme, request.host, settings.allowed_origins):
        return None
    logger.warning("Refused a websocket from origin %.100r (host %.100r)", origin, request.host)
    return text("This page's origin may not connect here.", status=403)


def _host_name(host_or_origin: str) -> str:
    """``example.com`` from ``https://example.com:8443``, ``example.com:8443`` or ``[::1]:80``."""
    value = host_or_origin.strip().lower()
    netloc = urlsplit(value).netloc if "://" in value else value
    return urlsplit(f"//{netloc}").hostname or ""


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
