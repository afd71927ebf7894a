"""HTTP behaviour a production server is expected to have, added to every route of the app.

- ``HEAD`` answers wherever ``GET`` does (Sanic sends the headers without the body): health
  checkers, link checkers and caches use it. Not on the paths the product names (``no_head``):
  a ``GET`` that spends a single-use ticket, such as a sign-in hand-off.
- A request for a file that is not there answers 404, quietly: a folder, a traversal attempt
  (``..``, encoded or not), a name with a NUL byte. Sanic's and ReactPy's file routes raise
  on these (IsADirectoryError, ValueError "Unsafe path", ...), which would be a 500 with an
  ERROR and a traceback in the log for every probe a scanner sends.
- Files (the same prefixes: ``/static``, Brython's runtime and modules, heavy's client,
  ReactPy's assets and modules) carry a strong ``ETag`` and answer ``304`` to a matching ``If-None-Match``; text
  ones (scripts, styles, JSON, SVG) go gzip-compressed to a client that accepts it (brython.js:
  1.46 MB, about 0.3 MB compressed). Each file version is hashed and compressed once, at its
  first request, in a thread, and kept in memory. Files without a ``Cache-Control`` of their
  own are revalidated on each use (``no-cache``): their URLs carry no version.
- Pages (``html_response``): their HTML, made per request, goes gzip-compressed too, at a level
  that costs little CPU (the landing page's 5.7 KB go as 2). The first paint holds no secret of
  the visitor's (the session is an HttpOnly cookie, the websocket is checked by its origin, not
  by a token in the page), so compressing it beside text a URL put there gives nothing away.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from heavy.web.client import CLIENT_PATH
from sanic import Request, Sanic, text
from sanic.response import BaseHTTPResponse, HTTPResponse

logger = logging.getLogger(__name__)

FILE_ROUTE_PREFIXES = ("/static/", "/brython/", f"{CLIENT_PATH}/", "/_reactpy/assets/", "/_reactpy/modules/")
COMPRESSIBLE_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
# Smaller files are sent as they are: gzip's framing would eat most of the gain.
MIN_COMPRESSED_BYTES = 1024
FILE_CACHE = "no-cache"
# A page's HTML is compressed for each request: a fast level (6 of 9 saves about as much).
PAGE_COMPRESSION_LEVEL = 6
# File versions kept (hash and compressed body); the app serves a few dozen files.
MAX_REMEMBERED_FILES = 256


def install_http_defaults(app: Sanic[Any, Any], *, no_head: Iterable[str] = ()) -> None:
    """Call once every route is registered (HEAD is added to the routes there are, but those
    of ``no_head``)."""
    _answer_head_like_get(app, frozenset(no_head))
    app.error_handler.add(OSError, _missing_file_or_error)
    app.error_handler.add(ValueError, _missing_file_or_error)
    app.register_middleware(tag_and_compress_files, "response")


def html_response(request: Request, page: str, *, status: int, headers: dict[str, str]) -> HTTPResponse:
    """A page's HTML as the response, gzip-compressed for a client that accepts it."""
    body = page.encode()
    vary = ", ".join(filter(None, (headers.get("Vary"), "Accept-Encoding")))
    headers = {**headers, "Vary": vary}
    if len(body) >= MIN_COMPRESSED_BYTES and _accepts_gzip(request.headers.get("accept-encoding", "")):
        body = gzip.compress(body, compresslevel=PAGE_COMPRESSION_LEVEL, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return HTTPResponse(body, status=status, headers=headers, content_type="text/html; charset=utf-8")


def _answer_head_like_get(app: Sanic[Any, Any], no_head: frozenset[str]) -> None:
    for route in list(app.router.routes):
        is_websocket = getattr(route.extra, "websocket", False)
        if "GET" not in route.methods or "HEAD" in route.methods or is_websocket or route.uri in no_head:
            continue
        app.add_route(
            route.handler, route.uri, methods=["HEAD"], name=f"{route.name.rpartition('.')[2]}_head"
        )


async def _missing_file_or_error(request: Request, error: Exception) -> HTTPResponse:
    if request.path.startswith(FILE_ROUTE_PREFIXES):
        logger.info("No file for %s %.200s: %s", request.method, request.path, type(error).__name__)
        return text("Not found.", status=404)
    return request.app.error_handler.default(request, error)


@dataclass(frozen=True)
class _FileVersion:
    """What is sent for one version of a file: its tag, and its gzip body when worth it."""

    etag: str
    gzipped: bytes | None

    @property
    def gzip_etag(self) -> str:
        return f'{self.etag[:-1]}-gzip"'  # another representation, another tag


_versions: dict[tuple[str, str], _FileVersion] = {}


async def tag_and_compress_files(request: Request, response: BaseHTTPResponse) -> None:
    """Response middleware: ETag, 304 and gzip for the file routes (see the module's notes)."""
    if (
        request.method not in ("GET", "HEAD")
        or response.status != 200
        or not request.path.startswith(FILE_ROUTE_PREFIXES)
        or not isinstance(response, HTTPResponse)
        or not response.body
        or "content-encoding" in response.headers
        or "content-range" in response.headers
    ):
        return
    version = await _version_of(request.path, response)
    response.headers.setdefault("Cache-Control", FILE_CACHE)
    compress = version.gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = version.gzip_etag if compress else version.etag
    response.headers["ETag"] = etag
    if version.gzipped is not None:
        response.headers["Vary"] = "Accept-Encoding"
    response.headers.pop("content-length", None)  # Sanic counts the body it sends
    if _matches(request.headers.get("if-none-match", ""), (version.etag, version.gzip_etag)):
        response.status = 304
        response.body = b""
        response.headers.pop("content-type", None)
        return
    if compress:
        assert version.gzipped is not None
        response.body = version.gzipped
        response.headers["Content-Encoding"] = "gzip"


async def _version_of(path: str, response: HTTPResponse) -> _FileVersion:
    body = response.body or b""
    # The route's own tag, or the file's time and size, name the version; else its contents.
    stamp = response.headers.get("etag") or response.headers.get("last-modified")
    key = (path, f"{stamp}|{len(body)}" if stamp else hashlib.sha256(body).hexdigest())
    version = _versions.get(key)
    if version is None:
        version = await asyncio.to_thread(_make_version, body, response.content_type or "", stamp)
        while len(_versions) >= MAX_REMEMBERED_FILES:
            del _versions[next(iter(_versions))]  # the oldest
        _versions[key] = version
    return version


def _make_version(body: bytes, content_type: str, etag: str | None) -> _FileVersion:
    if etag is None or not etag.startswith('"'):
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    compressible = content_type.startswith(COMPRESSIBLE_TYPES) and len(body) >= MIN_COMPRESSED_BYTES
    # mtime=0: the same file gives the same bytes in every process (and behind every proxy).
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if compressible else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    return _FileVersion(etag, gzipped)


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip;q=0`` refuses it, ``*`` allows it)."""
    allowed: dict[str, bool] = {}
    for part in accept_encoding.lower().split(","):
        name, _, parameters = part.strip().partition(";")
        quality = 1.0
        parameter = parameters.strip()
        if parameter.startswith("q="):
            try:
                quality = float(parameter[2:])
            except ValueError:
                quality = 0.0
        if name:
            allowed[name.strip()] = quality > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def _matches(if_none_match: str, etags: tuple[str, ...]) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return any(etag in offered for etag in etags)
