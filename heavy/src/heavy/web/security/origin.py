"""Refuse websocket connections opened by pages of other origins (cross-site websocket hijacking).

A browser sends cookies with a websocket handshake whatever page opened it, and websockets are
not covered by the same-origin policy: without this check, any site a signed-in user visits
could open the app's stream with the user's session. Browsers always send ``Origin`` on a
websocket handshake, so the check runs before the upgrade and a refused page never sees a
layout.

A refused handshake is a bare 403 to the browser (a page cannot read why), so the page asks
``POST STREAM_CHECK_PATH`` after a connection that never opened: the same check runs on that
request (a browser sends ``Origin`` with a POST too) and answers with the message to show,
naming the setting to change. The server's warning names it as well.

In a GitHub Codespace (DEV only) the forwarded addresses of the codespace are the app's own:
``https://{CODESPACE_NAME}-{port}.{domain}`` reaches the app through GitHub's proxy, which
either keeps that name in ``Host`` or puts ``localhost:{port}`` there and the name in
``X-Forwarded-Host``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from heavy.settings import HeavySettings
from sanic import HTTPResponse, Request, json, text
from sanic.response import JSONResponse
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.frames import CloseCode

logger = logging.getLogger(__name__)

# Where a page asks why its websocket was refused (heavy's client asks there: web/client.py).
STREAM_CHECK_PATH = "/_heavy/stream-check"


def is_websocket_request(request: Request) -> bool:
    """True for a request to a websocket route (before the upgrade)."""
    route = request.route
    return route is not None and bool(getattr(route.extra, "websocket", False))


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The page's scheme for each websocket scheme (Sanic gives a websocket request ws/wss).
_PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
# An origin worth suggesting as a setting: scheme://host[:port], nothing else ("null" is not).
_WEB_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[a-z0-9.\-\[\]:]+$")


def allowed_host_names(settings: HeavySettings) -> frozenset[str] | None:
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


def own_origin(scheme: str, host: str) -> str:
    """The origin of the page that this request's scheme and ``Host`` name."""
    return f"{_PAGE_SCHEMES.get(scheme.lower(), '?')}://{host.strip().lower()}"


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
    origin = _normalized(origin)
    if "*" in allowed_origins:  # any origin: DEV only (PRODUCTION refuses the setting)
        return True
    if allowed_origins:
        return origin in {_normalized(allowed) for allowed in allowed_origins}
    return origin == own_origin(scheme, host)


@dataclass(frozen=True)
class Codespace:
    """The GitHub Codespace this server runs in, from the variables GitHub sets in it."""

    name: str
    domain: str  # e.g. app.github.dev

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Codespace | None:
        """The codespace, or None outside one (``CODESPACES`` is not ``true``, or a name is missing)."""
        name = environ.get("CODESPACE_NAME", "").strip().lower()
        domain = environ.get("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "").strip().strip(".").lower()
        if environ.get("CODESPACES", "").strip().lower() != "true" or not name or not domain:
            return None
        return cls(name, domain)

    def address(self, port: int) -> str:
        """The forwarded address of ``port``: ``https://{name}-{port}.{domain}``."""
        return f"https://{self.name}-{port}.{self.domain}"

    def forwarded_port(self, host: str) -> int | None:
        """8000 for the host ``{name}-8000.{domain}``; None for any other name."""
        prefix, suffix = f"{self.name}-", f".{self.domain}"
        name = _host_name(host)
        if not (name.startswith(prefix) and name.endswith(suffix)):
            return None
        digits = name[len(prefix) : -len(suffix)]
        if not (digits.isascii() and digits.isdigit() and 0 < int(digits) < 65536):
            return None
        return int(digits)

    def page_origins(self, port: int) -> tuple[str, ...]:
        """The ``Origin`` a page of forwarded ``port`` sends: its address (first), or the local
        address that some versions of the Codespaces proxy write there instead."""
        return (self.address(port), f"http://localhost:{port}", f"http://127.0.0.1:{port}")


@dataclass(frozen=True)
class Handshake:
    """What decides whether a websocket may open: the page's origin and the name it addressed."""

    scheme: str
    host: str
    origin: str | None = None
    forwarded_host: str | None = None  # the first name of X-Forwarded-Host, if any

    @classmethod
    def of(cls, request: Request) -> Handshake:
        forwarded = request.headers.get("x-forwarded-host")
        first = forwarded.split(",", 1)[0].strip() if forwarded else None
        return cls(request.scheme, request.host, request.headers.get("origin"), first or None)


@dataclass(frozen=True)
class Refusal:
    """Why a handshake was refused, and the settings (``NAME=value`` lines) that would allow it."""

    handshake: Handshake
    host_refused: bool
    fixes: tuple[str, ...]
    origins_setting: str  # the variable of ALLOWED_ORIGINS, with the product's prefix

    def log_line(self) -> str:
        """The server's warning: what was refused and what to set."""
        origin, host = _shown(self.handshake.origin), _shown(self.handshake.host)
        if self.host_refused:
            what = f"Refused a websocket for host {host} (not an allowed host name), from origin {origin}"
        else:
            what = f"Refused a websocket from origin {origin} (host {host})"
        return f"{what}: {self._advice()}"

    def page_message(self, *, production: bool) -> str:
        """What the refused page shows. In PRODUCTION, the setting but not its value."""
        where = _shown(self.handshake.origin if self.handshake.origin else self.handshake.host)
        refused = f"The server refused this page's live connection: its address {where} is not allowed"
        if production:
            return f"{refused} ({self.origins_setting} on the server)."
        advice = self._advice()
        return f"{refused}. {advice[0].upper()}{advice[1:]}."

    def _advice(self) -> str:
        if not self.fixes:
            return f"a page without a web address may not connect ({self.origins_setting})"
        return f"to allow it, set {' and '.join(self.fixes)} (in .env) and restart the server"


@dataclass(frozen=True)
class OriginPolicy:
    """Which pages may open the app's websocket. Built once per app (install_security_defaults)."""

    settings: HeavySettings
    codespace: Codespace | None = None

    @classmethod
    def for_app(cls, settings: HeavySettings, environ: Mapping[str, str]) -> OriginPolicy:
        """The policy of ``settings``; in DEV, the codespace of ``environ`` too. PRODUCTION
        allows only what its own settings say: variables of the machine never widen it."""
        return cls(settings, None if settings.is_production else Codespace.from_environ(environ))

    def refusal(self, handshake: Handshake) -> Refusal | None:
        """None when the handshake may proceed; else why not and what to set."""
        codespace_page = self._codespace_page_origins(handshake)
        if codespace_page and (handshake.origin is None or _normalized(handshake.origin) in codespace_page):
            return None
        host_ok = bool(codespace_page) or self._host_allowed(handshake.host)
        if host_ok and self._origin_allowed(handshake, codespace_page):
            return None
        fixes = self._fixes(handshake, host_ok, codespace_page)
        return Refusal(handshake, not host_ok, fixes, self.settings.variable("allowed_origins"))

    async def refuse_foreign_websocket(self, request: Request) -> HTTPResponse | None:
        """Request middleware: answer 403 instead of upgrading a websocket from a foreign origin
        or addressed to a foreign host name (a DNS-rebinding page)."""
        if not is_websocket_request(request):
            return None
        refusal = self.refusal(Handshake.of(request))
        if refusal is None:
            return None
        logger.warning("%s", refusal.log_line())
        return text("This page's address may not open the live connection here.", status=403)

    async def check_stream(self, request: Request) -> JSONResponse:
        """``POST STREAM_CHECK_PATH``: would this page's websocket be refused, and what to do."""
        refusal = self.refusal(Handshake.of(request))
        if refusal is None:
            return json({"refused": False})
        return json(
            {"refused": True, "message": refusal.page_message(production=self.settings.is_production)}
        )

    def _codespace_page_origins(self, handshake: Handshake) -> tuple[str, ...]:
        """The origins of the page when the handshake came through this codespace's forwarding
        (its address first); empty otherwise."""
        if self.codespace is None:
            return ()
        port = self.codespace.forwarded_port(handshake.forwarded_host or handshake.host)
        return () if port is None else self.codespace.page_origins(port)

    def _origin_allowed(self, handshake: Handshake, codespace_page: tuple[str, ...]) -> bool:
        origins = self.settings.allowed_origins
        if codespace_page and not origins:
            # Through the forwarding the page's own origin is the codespace's (checked first):
            # the scheme here is the proxy's plain http, not the page's.
            return False
        return is_allowed_origin(handshake.origin, handshake.scheme, handshake.host, origins)

    def _host_allowed(self, host: str) -> bool:
        hosts = allowed_host_names(self.settings)
        return hosts is None or _host_name(host) in hosts

    def _fixes(self, handshake: Handshake, host_ok: bool, codespace_page: tuple[str, ...]) -> tuple[str, ...]:
        """The settings that let this handshake through: its origin added to the origins
        allowed (their hosts are then allowed too), or its host to ALLOWED_HOSTS where that
        list (or a ``*`` origin) decides the hosts. The app's own page at the address this
        handshake came to keeps working."""
        origin = _normalized(handshake.origin) if handshake.origin else None
        host_name = _host_name(handshake.host)
        if (origin is not None and not _WEB_ORIGIN.match(origin)) or not host_name:
            return ()
        configured = [_normalized(allowed) for allowed in self.settings.allowed_origins]
        fixes = []
        if not host_ok and (self.settings.allowed_hosts or "*" in configured):
            hosts = [*sorted(allowed_host_names(self.settings) or ()), host_name]
            fixes.append(f"{self.settings.variable('allowed_hosts')}={','.join(dict.fromkeys(hosts))}")
            host_ok = True
        if host_ok and self._origin_allowed(handshake, codespace_page):
            return tuple(fixes)
        origins = list(configured)
        if not origins or not host_ok:
            origins.append(
                codespace_page[0] if codespace_page else own_origin(handshake.scheme, handshake.host)
            )
        if origin is not None:
            origins.append(origin)
        fixes.append(f"{self.settings.variable('allowed_origins')}={','.join(dict.fromkeys(origins))}")
        return tuple(fixes)


def _normalized(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _shown(value: str | None) -> str:
    """A header value for a log line or message: quoted, at most 100 characters."""
    return "none" if value is None else repr(value[:100])


def _host_name(host_or_origin: str) -> str:
    """``example.com`` from ``https://example.com:8443``, ``example.com:8443`` or ``[::1]:80``."""
    value = host_or_origin.strip().lower()
    netloc = urlsplit(value).netloc if "://" in value else value
    try:
        return urlsplit(f"//{netloc}").hostname or ""
    except ValueError:  # an unbalanced "[" in a hostile header
        return ""


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
