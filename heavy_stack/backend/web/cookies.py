"""The session cookie and the browser-binding cookie: names, flags, reading and writing.

Both are ``HttpOnly`` (page scripts, Brython included, cannot read them) and
``SameSite=Lax`` (other sites' requests do not carry them, except plain top-level links). In
PRODUCTION they are also ``Secure`` and named with the ``__Host-`` prefix, which browsers accept
only from this exact host over HTTPS: a sibling subdomain cannot plant one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sanic import Request
from sanic.response import BaseHTTPResponse

from heavy_stack.backend.services.accounts.tokens import TOKEN_BYTES
from heavy_stack.settings import Settings

HOST_PREFIX = "__Host-"
# A cookie longer than any token we issue is not ours: ignore it rather than look it up.
MAX_COOKIE_VALUE = TOKEN_BYTES * 2
# The binding cookie outlives sessions: it only identifies the browser during a sign-in.
BINDING_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers allow


@dataclass(frozen=True)
class AccountCookies:
    """Reads and writes the account cookies with the flags the settings call for."""

    settings: Settings

    @property
    def session_name(self) -> str:
        return self._prefix + self.settings.session_cookie_name

    @property
    def binding_name(self) -> str:
        return self._prefix + self.settings.session_cookie_name + "_browser"

    def session_token(self, request: Request) -> str | None:
        return self._read(request, self.session_name)

    def browser_binding(self, request: Request) -> str | None:
        return self._read(request, self.binding_name)

    def set_session(self, response: BaseHTTPResponse, token: str) -> None:
        self._write(response, self.session_name, token, self.settings.session_lifetime_hours * 3600)

    def clear_session(self, response: BaseHTTPResponse) -> None:
        self._write(response, self.session_name, "", 0)

    def set_browser_binding(self, response: BaseHTTPResponse, value: str) -> None:
        self._write(response, self.binding_name, value, BINDING_MAX_AGE)

    @property
    def _prefix(self) -> str:
        return HOST_PREFIX if self.settings.is_production else ""

    def _read(self, request: Request, name: str) -> str | None:
        # The exact name only: Sanic's cookies.get() would also accept a prefixed variant.
        values = dict.get(request.cookies, name) or [""]
        value = values[0]
        return value if 0 < len(value) <= MAX_COOKIE_VALUE else None

    def _write(self, response: BaseHTTPResponse, name: str, value: str, max_age: int) -> None:
        response.add_cookie(
            name,
            value,
            path="/",
            max_age=max_age,
            httponly=True,
            samesite="Lax",
            secure=self.settings.is_production,
        )
