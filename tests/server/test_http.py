"""The real server over HTTP: health, the page shell, static files."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from heavy.testing.live_server import LiveServer

from heavy_stack.frontend.brython_assets import RUNTIME_URL
from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server


def get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_readiness_says_app_and_databases_are_up(server: LiveServer, path: str) -> None:
    status, _, body = get(server.base_url + path)
    assert status == 200
    assert json.loads(body) == {"app": "up", "database": "up", "vector_database": "up"}


@pytest.mark.parametrize(
    ("path", "status", "title", "heading"),
    [
        ("/", 200, "The Heavy Stack", "The Heavy Stack"),
        ("/other", 200, "The other page · The Heavy Stack", "The other page"),
        ("/sign-in?next=/notes", 200, "Sign in · The Heavy Stack", "Sign in"),
        ("/no/such/page", 404, "Page not found · The Heavy Stack", "Page not found"),
        ("/notes/not-a-note-id", 404, "Page not found · The Heavy Stack", "Page not found"),
    ],
)
def test_each_page_answers_with_its_status_title_and_first_paint(
    server: LiveServer, path: str, status: int, title: str, heading: str
) -> None:
    got, headers, body = get(server.base_url + path)
    assert got == status
    assert headers["content-type"].startswith("text/html")
    page = body.decode()
    assert f"<title>{title}</title>" in page
    assert "/static/css/heavy_stack.css" in page
    # The route's content is in the response, before ReactPy's (empty) mount element.
    first_paint = page.split('<div id="heavy-first-paint">', 1)[1].split('<div id="app"></div>', 1)[0]
    assert f'<h1 class="page-title">{heading}</h1>' in first_paint
    assert headers["cache-control"] == "private, no-cache"  # it may name who is signed in


def test_head_of_an_unknown_page_is_404_too(server: LiveServer) -> None:
    request = urllib.request.Request(server.base_url + "/no/such/page", method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 404


def test_the_icon_is_found_at_the_address_browsers_try(server: LiveServer) -> None:
    """A browser shown a page without an icon link (the proxy's 502 page during a restart) asks
    for /favicon.ico: a 404 there is an error in its console."""
    status, headers, body = get(server.base_url + "/favicon.ico")  # urllib follows the redirect
    assert status == 200
    assert headers["content-type"].startswith("image/svg+xml")
    assert body.startswith(b"<svg")


def test_stylesheet_is_served(server: LiveServer) -> None:
    status, headers, body = get(server.base_url + "/static/css/heavy_stack.css")
    assert status == 200
    assert headers["content-type"].startswith("text/css")
    assert b".centered-column" in body


def test_not_ready_but_alive_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # Nothing listens on port 1: the server starts (engines connect lazily) but is not ready.
    down = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
    settings = {"SQL_DB_URL": down, "VECTOR_DB_URL": down}
    with live_server(settings, tmp_path / "server.log", expect_healthy=False) as running:
        answers = {path: get(running.base_url + path) for path in ("/healthz", "/readyz", "/livez")}
    for path in ("/healthz", "/readyz"):
        status, _, body = answers[path]
        assert status == 503, path
        assert json.loads(body) == {"app": "up", "database": "down", "vector_database": "down"}
    status, _, body = answers["/livez"]
    assert (status, json.loads(body)) == (200, {"app": "up"})


def fetch(url: str, **headers: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


FILES = [f"{RUNTIME_URL}/brython.js", "/static/css/heavy_stack.css", "/brython/modules.brython.js"]


@pytest.mark.parametrize("path", FILES)
def test_files_go_gzipped_to_a_client_that_accepts_it(server: LiveServer, path: str) -> None:
    status, headers, plain = fetch(server.base_url + path)
    assert status == 200
    assert headers["content-encoding"] is None
    status, headers, packed = fetch(server.base_url + path, **{"Accept-Encoding": "br, gzip;q=0.8"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == len(packed) < len(plain) / 2
    assert gzip.decompress(packed) == plain
    _, headers, again = fetch(server.base_url + path, **{"Accept-Encoding": "gzip;q=0"})
    assert headers["content-encoding"] is None
    assert again == plain


@pytest.mark.parametrize("path", ["/", "/sign-in", "/no-such-page"])
def test_pages_go_gzipped_to_a_client_that_accepts_it(server: LiveServer, path: str) -> None:
    status, headers, plain = fetch(server.base_url + path)
    assert headers["content-encoding"] is None
    again, headers, packed = fetch(server.base_url + path, **{"Accept-Encoding": "gzip, deflate, br"})
    assert again == status
    assert headers["content-encoding"] == "gzip"
    assert {"Cookie", "Accept-Encoding"} <= {part.strip() for part in headers["vary"].split(",")}
    assert len(packed) < len(plain) / 2
    page = gzip.decompress(packed).decode()
    assert page.startswith("<!doctype html>")
    assert 'id="heavy-first-paint"' in page


def test_brython_runtime_shrinks_to_a_fifth(server: LiveServer) -> None:
    _, _, plain = fetch(server.base_url + FILES[0])
    _, _, packed = fetch(server.base_url + FILES[0], **{"Accept-Encoding": "gzip"})
    assert len(plain) > 1_400_000
    assert len(packed) < len(plain) / 4


@pytest.mark.parametrize("path", FILES)
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_files_have_an_etag_and_answer_304_when_it_matches(
    server: LiveServer, path: str, encoding: str
) -> None:
    status, headers, _ = fetch(server.base_url + path, **{"Accept-Encoding": encoding})
    etag = headers["etag"]
    assert status == 200
    assert etag.startswith('"')
    assert etag.endswith('"')
    status, headers, body = fetch(
        server.base_url + path, **{"Accept-Encoding": encoding, "If-None-Match": etag}
    )
    assert (status, body, headers["etag"]) == (304, b"", etag)
    assert "cache-control" in headers  # the browser keeps using its copy as before
    status, _, body = fetch(
        server.base_url + path, **{"Accept-Encoding": encoding, "If-None-Match": '"stale"'}
    )
    assert status == 200
    assert body


def test_the_gzip_and_plain_copies_have_different_etags(server: LiveServer) -> None:
    _, plain, _ = fetch(server.base_url + "/static/css/heavy_stack.css")
    _, packed, _ = fetch(server.base_url + "/static/css/heavy_stack.css", **{"Accept-Encoding": "gzip"})
    assert plain["etag"] != packed["etag"]
    assert plain["cache-control"] == "no-cache"  # no version in its URL: revalidated on each use
