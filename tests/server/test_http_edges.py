"""HTTP at its edges: folders, traversal attempts, HEAD, and websocket handshakes for other hosts."""

from __future__ import annotations

import base64
import http.client
import os
import socket
from importlib.metadata import version
from urllib.parse import urlsplit

import pytest
from heavy.live.addresses import STREAM_PATH
from heavy.testing.live_server import LiveServer

pytestmark = pytest.mark.server

RUNTIME = f"/brython/runtime/{version('brython')}"

NOT_FOUND = [
    "/static/",
    "/static/css",
    "/static/css/",
    "/static/no-such-file.css",
    "/static/../pyproject.toml",
    "/static/%2e%2e/pyproject.toml",
    "/static/%2e%2e%2fpyproject.toml",
    "/static/%252e%252e/pyproject.toml",
    "/static/..%5c..%5cpyproject.toml",
    "/static/css%00.css",
    "/_reactpy/assets/",
    "/_reactpy/assets/../../../../etc/passwd",
    "/_reactpy/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/_reactpy/assets/..%2f..%2f..%2fetc/passwd",
    "/_reactpy/modules/",
    "/_reactpy/modules/../../../../etc/passwd",
    "/_reactpy/modules/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/_reactpy/modules/no-such-module.js",
]


def request(server: LiveServer, method: str, path: str) -> tuple[int, bytes]:
    """Send ``path`` as is (no client-side normalisation of ``..`` or ``%2e``)."""
    address = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", NOT_FOUND)
def test_folders_and_traversal_attempts_are_not_found_and_log_no_error(server: LiveServer, path: str) -> None:
    errors_before = server.log().count(" ERROR ")
    status, body = request(server, "GET", path)
    assert status == 404, body[:200]
    assert b"root:" not in body
    assert server.log().count(" ERROR ") == errors_before


@pytest.mark.parametrize(
    "path", ["/", "/other", "/static/css/heavy_stack.css", "/livez", "/readyz", f"{RUNTIME}/brython.js"]
)
def test_head_answers_where_get_does_without_a_body(server: LiveServer, path: str) -> None:
    assert request(server, "GET", path)[0] == 200
    status, body = request(server, "HEAD", path)
    assert status == 200
    assert body == b""


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("rebind.evil:{port}", "http://rebind.evil:{port}"),  # a DNS-rebinding page
        ("127.0.0.1:{port}", "https://127.0.0.1:{port}"),  # another scheme
        ("127.0.0.1:{port}", "http://127.0.0.1:1"),  # another port
        ("127.0.0.1:{port}", "http://localhost:{port}"),  # another host
        ("rebind.evil:{port}", None),  # no Origin, but a host name the app does not serve
    ],
)
def test_handshakes_for_other_hosts_or_origins_are_refused(
    server: LiveServer, host: str, origin: str | None
) -> None:
    assert _handshake_status(server, host, origin) == 403


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:{port}", "http://127.0.0.1:{port}"),
        ("localhost:{port}", "http://localhost:{port}"),
        ("127.0.0.1:{port}", None),  # command-line clients and load tests
    ],
)
def test_handshakes_from_the_apps_own_pages_are_accepted(
    server: LiveServer, host: str, origin: str | None
) -> None:
    assert _handshake_status(server, host, origin) == 101


def _handshake_status(server: LiveServer, host: str, origin: str | None) -> int:
    """The status of a websocket handshake with exactly these ``Host`` and ``Origin`` headers."""
    address = urlsplit(server.base_url)
    headers = {
        "Host": host.format(port=address.port),
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    if origin is not None:
        headers["Origin"] = origin.format(port=address.port)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.putrequest("GET", STREAM_PATH, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("path", [b"/\x00", b"/notes\x00", b"/\x01x", b"/a\x7fb", b"/%\x00"])
def test_a_request_line_sanic_cannot_parse_gets_400_and_no_traceback(server: LiveServer, path: bytes) -> None:
    address = urlsplit(server.base_url)
    log_before = len(server.log())
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=10) as connection:
        connection.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: " + address.netloc.encode() + b"\r\n\r\n")
        answer = connection.recv(65536)
    status_line, _, body = answer.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 400 Bad Request"), answer[:300]
    assert b"Bad Request" in body
    assert request(server, "GET", "/")[0] == 200  # the server serves on
    new_lines = server.log()[log_before:]
    assert "Traceback" not in new_lines
    assert " ERROR " not in new_lines
