"""Requests whose request line Sanic cannot parse get ``400 Bad Request``, not a dropped connection.

Sanic 25.12 builds its ``Request`` from the raw URL; one httptools refuses (a NUL byte or
another control character in the path) raises ``BadURL`` there. Sanic then builds a stand-in
request from the same URL to answer the error, which raises again, outside any handler: the
connection closes with no response and an ``ERROR`` with two tracebacks. ``HeavyRequest``
builds such a request from the URL with the offending bytes percent-encoded and marks it, and
a listener on Sanic's ``http.lifecycle.request`` signal (sent before any routing or middleware)
refuses a marked request with a ``400`` and the app's usual error page.
"""

from __future__ import annotations

from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import BadRequest, BadURL

# Bytes left as they are in a stand-in URL: printable ASCII but the percent sign itself.
_PRINTABLE = frozenset(range(0x21, 0x7F)) - {ord("%")}


class HeavyRequest(Request):
    """Sanic's request; one built from an unparsable URL is kept, marked, to be answered 400."""

    def __init__(self, url_bytes: bytes, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(url_bytes, *args, **kwargs)
            self.unparsable_url: str | None = None
        except BadURL as error:
            super().__init__(_percent_encoded(url_bytes), *args, **kwargs)
            self.unparsable_url = str(error)


def refuse_unparsable_urls(app: Sanic[Any, Any]) -> None:
    """Answer requests whose URL could not be parsed with ``400 Bad Request`` (call once)."""
    app.request_class = HeavyRequest

    @app.signal("http.lifecycle.request")
    async def refuse(request: Request) -> None:
        if getattr(request, "unparsable_url", None):
            raise BadRequest("Bad Request: the URL could not be read.")


def _percent_encoded(url_bytes: bytes) -> bytes:
    return b"".join(bytes([byte]) if byte in _PRINTABLE else b"%%%02X" % byte for byte in url_bytes)
