"""HTTP behaviour a production server is expected to have, added to every route of the app.

- ``HEAD`` answers wherever ``GET`` does (Sanic sends the headers without the body): health
  checkers, link checkers and caches use it. Not on the sign-in and sign-out hand-offs, whose
  ``GET`` spends a single-use ticket.
- A request for a file that is not there answers 404, quietly: a folder, a traversal attempt
  (``..``, encoded or not), a name with a NUL byte. Sanic's and ReactPy's file routes raise
  on these (IsADirectoryError, ValueError "Unsafe path", ...), which would be a 500 with an
  ERROR and a traceback in the log for every probe a scanner sends.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Request, Sanic, text
from sanic.response import HTTPResponse

from heavy_stack.backend.web.accounts import SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH

logger = logging.getLogger(__name__)

FILE_ROUTE_PREFIXES = ("/static/", "/brython/", "/_reactpy/assets/", "/_reactpy/modules/")
NO_HEAD = frozenset({SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH})


def install_http_defaults(app: Sanic[Any, Any]) -> None:
    """Call once every route is registered (HEAD is added to the routes there are)."""
    _answer_head_like_get(app)
    app.error_handler.add(OSError, _missing_file_or_error)
    app.error_handler.add(ValueError, _missing_file_or_error)


def _answer_head_like_get(app: Sanic[Any, Any]) -> None:
    for route in list(app.router.routes):
        is_websocket = getattr(route.extra, "websocket", False)
        if "GET" not in route.methods or "HEAD" in route.methods or is_websocket or route.uri in NO_HEAD:
            continue
        app.add_route(
            route.handler, route.uri, methods=["HEAD"], name=f"{route.name.rpartition('.')[2]}_head"
        )


async def _missing_file_or_error(request: Request, error: Exception) -> HTTPResponse:
    if request.path.startswith(FILE_ROUTE_PREFIXES):
        logger.info("No file for %s %.200s: %s", request.method, request.path, type(error).__name__)
        return text("Not found.", status=404)
    return request.app.error_handler.default(request, error)
