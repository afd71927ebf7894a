"""A browser without a page: keeps cookies, follows the app's HTTP links, opens its websocket.

For testing what only cookies show (the sign-in hand-off, sign-out) without Chromium::

    browser = CookieBrowser(server.base_url)
    browser.get("/sign-in")                       # the page shell gives the binding cookie
    async with browser.open_page("/sign-in") as page:
        ...                                       # sign in; the page names a hand-off link
    response = browser.get(link)                  # 303 + Set-Cookie, not followed
"""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import Message

from heavy.testing.page_driver import DEFAULT_TIMEOUT, WebSocketPage


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    body: bytes

    def set_cookies(self) -> list[str]:
        """Every ``Set-Cookie`` header, as sent."""
        return self.headers.get_all("Set-Cookie") or []


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # hand the 3xx back to the caller, as it was sent


class CookieBrowser:
    """Cookies kept by the standard library's cookie jar, with the rules browsers follow."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def at(self, base_url: str) -> CookieBrowser:
        """The same browser (the same cookie jar) going to another address, e.g. another instance
        of the app; cookies name the host and not the port, as browsers keep them."""
        elsewhere = CookieBrowser(base_url)
        elsewhere.cookies = self.cookies
        elsewhere._opener = self._opener
        return elsewhere

    def get(self, path: str) -> Response:
        """GET ``path`` (or a full URL); redirects are returned, not followed."""
        url = path if path.startswith("http") else self.base_url + path
        try:
            with self._opener.open(url, timeout=10) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def cookie_header(self) -> str:
        """The ``Cookie`` header this browser would send to the app."""
        request = urllib.request.Request(self.base_url + "/")
        self.cookies.add_cookie_header(request)
        return request.get_header("Cookie") or ""

    @asynccontextmanager
    async def open_page(
        self, path: str = "/", timeout: float = DEFAULT_TIMEOUT
    ) -> AsyncIterator[WebSocketPage]:
        """Load the page shell (as a browser does first), then its websocket, with cookies."""
        self.get(path)
        headers = {"Cookie": self.cookie_header()}
        async with WebSocketPage.open(self.base_url, path, headers=headers, timeout=timeout) as page:
            yield page
