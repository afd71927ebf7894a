"""The real server over HTTP: health, the page shell, static files."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from heavy_stack_testing.live_server import LiveServer, live_server

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


@pytest.mark.parametrize("path", ["/", "/other", "/no/such/page"])
def test_every_route_serves_the_page_shell_with_title_and_styles(server: LiveServer, path: str) -> None:
    status, headers, body = get(server.base_url + path)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"<title>The Heavy Stack</title>" in body
    assert b"/static/css/heavy_stack.css" in body


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
