"""Security headers: ``nosniff`` on every response; framing, referrer and CSP rules on pages.

The content security policy allows what the page needs and nothing more. Checked in Chromium
(the template's browser tests fail on any CSP violation the page reports; without
``'unsafe-eval'`` the page renders but no Brython call runs):

- ``script-src 'self' 'unsafe-eval'``: every script file comes from the app itself (no CDN, no
  inline ``<script>`` code). ``'unsafe-eval'`` is needed twice over: ReactPy's client runs the
  text of a server-rendered ``html.script`` element with ``eval()`` (the Brython bridge's calls
  arrive that way), and Brython compiles Python to JavaScript in the browser and runs it with
  ``eval`` / ``new Function``. Inline scripts stay forbidden, so markup injected into the page
  cannot run code; never render user input inside ``html.script``.
- ``connect-src 'self'``: the websocket at ``/_reactpy/stream`` and Brython's imports of
  ``/brython/src`` modules (same origin, so ``'self'`` covers ``ws:``/``wss:`` too).
- ``style-src 'self'``: the stylesheet; ReactPy sets ``style`` values through the DOM, which a
  policy does not restrict.
- ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old browsers): no clickjacking.
- ``form-action 'self'``, ``base-uri 'none'``, ``object-src 'none'``: no form posts elsewhere,
  no rebased relative URLs, no plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from sanic import Request
from sanic.response import BaseHTTPResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # Other sites learn nothing of the app's URLs (which may hold ids) from links followed.
    "Referrer-Policy": "same-origin",
    # A window the page opens cannot reach back into it, and the page's process is its own.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

# Browsers remember for a year to use HTTPS only (PRODUCTION only: it needs TLS in front).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def security_headers(*, production: bool) -> Callable[[Request, BaseHTTPResponse], Coroutine[Any, Any, None]]:
    """The response middleware that adds the headers above (and, in PRODUCTION, HSTS)."""

    async def add_security_headers(request: Request, response: BaseHTTPResponse) -> None:
        # Never replaces a header a handler set.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if production:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        if (response.content_type or "").startswith("text/html"):
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)

    return add_security_headers
