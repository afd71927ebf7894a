"""The routes of live pages: ReactPy's browser client and its files, and the stream it opens.

ReactPy's ``reactpy.backend.sanic.configure`` registers its client's files and a websocket
route serving ReactPy's own ``Layout``. ``install_live_pages`` registers the same paths, so
ReactPy's browser client works unchanged, but the websocket serves a ``LiveLayout`` through the
framework's guard (``heavy.stream.guard``): frames checked, stream taps shown every message.

- ``/_reactpy/assets/<path>``: the client's files; ``/_reactpy/modules/<path>``: web modules;
- ``/_reactpy/stream`` and ``/_reactpy/stream/<path>/``: one live page per connection, its
  location the path after ``stream`` and the query string.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, cast
from urllib.parse import unquote

from heavy.live.addresses import page_pathname
from heavy.live.layout import LiveLayout
from heavy.live.presence import PAGES, current_presence
from heavy.live.reactpy_internals import WRITTEN_FOR
from heavy.stream import guard
from reactpy.backend._common import (
    ASSETS_PATH,
    MODULES_PATH,
    STREAM_PATH,
    safe_client_build_dir_path,
    safe_web_modules_dir_path,
)
from reactpy.backend.sanic import _SanicCarrier
from reactpy.backend.types import Connection, Location
from reactpy.core.hooks import ConnectionContext
from reactpy.core.types import ComponentType
from sanic import Request, Sanic
from sanic.response import HTTPResponse, file
from sanic.server.websockets.impl import WebsocketImplProtocol

logger = logging.getLogger(__name__)


def install_live_pages(app: Sanic[Any, Any], root: Callable[[], ComponentType]) -> None:
    """Serve ``root()`` as a live page at ReactPy's stream paths, and ReactPy's client files."""
    _warn_on_another_reactpy()
    guard.refuse_bad_utf8()

    async def client_file(_request: Request, path: str) -> HTTPResponse:
        return await file(safe_client_build_dir_path(f"assets/{unquote(path)}"))

    async def web_module(_request: Request, path: str) -> HTTPResponse:
        return await file(safe_web_modules_dir_path(unquote(path)), mime_type="text/javascript")

    async def stream(request: Request, socket: WebsocketImplProtocol, path: str = "") -> None:
        # Not ``path``, which Sanic has decoded: the page's location as the browser has it.
        location = page_location(request)
        # ReactPy's carrier, so that reactpy.backend.sanic's use_request/use_websocket work.
        connection = Connection(
            scope={}, location=location, carrier=_SanicCarrier(request, cast(Any, socket))
        )
        layout = LiveLayout(ConnectionContext(root(), value=connection))
        try:
            with current_presence().joined(PAGES):  # "how many pages are open", across processes
                await guard.serve_guarded_layout(layout, socket, request)
        finally:
            _let_go(request)

    app.add_route(client_file, f"{ASSETS_PATH}/<path:path>", name="live_client_file")
    app.add_route(web_module, f"{MODULES_PATH}/<path:path>", name="live_web_module")
    app.add_websocket_route(stream, str(STREAM_PATH), name="live_stream")
    app.add_websocket_route(stream, f"{STREAM_PATH}/<path:path>/", name="live_stream_path")


def page_location(request: Request) -> Location:
    """The location of the page a stream request comes from, as the browser has it."""
    query = request.query_string
    return Location(pathname=page_pathname(request.path), search=f"?{query}" if query else "")


def _let_go(request: Request) -> None:
    """The page is over: its request no longer holds the connection's stream, transport and
    protocol.

    Sanic keeps the request about 10 s after the websocket closed: the abort timer it starts
    then (``websocket_timeout``, not a setting) keeps the context of the connection's task, and
    the request is in it. Through the request, the stream held the protocol, the websocket and
    their buffers: at a couple of hundred pages closing a second, thousands of closed connections
    at once, a high-water mark that the allocators then kept (docs/benchmarks.md, "Memory").
    Sanic reads neither after the handler (it closes through its websocket object)."""
    request.stream = None
    request.transport = None  # type: ignore[assignment]
    request._protocol = None


def _warn_on_another_reactpy() -> None:
    installed = version("reactpy")
    if installed != WRITTEN_FOR:
        logger.warning(
            "ReactPy %s is installed; heavy.live was written for %s (see heavy.live.reactpy_internals).",
            installed,
            WRITTEN_FOR,
        )
