"""Security defaults on the real server: websocket origins, headers, size limits, PRODUCTION start."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import websockets
from heavy.live.addresses import STREAM_PATH
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from heavy.web.security.headers import CONTENT_SECURITY_POLICY

from heavy_stack.settings import DEFAULT_SECRET_KEY, ENV_PREFIX, Settings

from tests.server.test_http import get
from tests.server.test_websocket import _read_until_closed

pytestmark = pytest.mark.server


def stream_url(server: LiveServer) -> str:
    return server.base_url.replace("http", "ws", 1) + STREAM_PATH


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.1.evil.example", "null", "http://localhost:1"],
)
async def test_a_cross_origin_websocket_is_refused_before_any_layout(server: LiveServer, origin: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(stream_url(server), additional_headers={"Origin": origin}):
            pytest.fail("the handshake should have been refused")
    assert refused.value.response.status_code == 403
    assert "Refused a websocket from origin" in server.log()


async def test_the_apps_own_origin_and_non_browser_clients_may_connect(server: LiveServer) -> None:
    async with WebSocketPage.open(server.base_url, origin=server.base_url) as page:
        assert page.layout.find(tag="h1").text == "The Heavy Stack"
    # No Origin header: not a browser, so no victim's cookies ride on it.
    async with websockets.connect(stream_url(server)) as socket:
        assert "layout-update" in str(await socket.recv())


def test_pages_carry_the_security_headers(server: LiveServer) -> None:
    status, headers, _ = get(server.base_url + "/")
    assert status == 200
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"] is None  # DEV serves plain HTTP


def test_files_are_not_sniffed_and_carry_no_page_policy(server: LiveServer) -> None:
    _, headers, _ = get(server.base_url + "/static/css/heavy_stack.css")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] is None


def test_an_oversized_request_body_is_refused(server: LiveServer) -> None:
    body = b"x" * (Settings(_env_file=None).max_request_bytes + 1)
    request = urllib.request.Request(server.base_url + "/", data=body, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 413


async def test_an_oversized_websocket_message_closes_only_its_own_connection(server: LiveServer) -> None:
    limit = Settings(_env_file=None).max_websocket_message_bytes
    async with WebSocketPage.open(server.base_url) as bystander:
        async with websockets.connect(stream_url(server), max_size=None) as attacker:
            await attacker.recv()
            await attacker.send("x" * (limit + 1))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _read_until_closed(attacker)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009  # "message too big"

        before = bystander.text("server-time")
        await bystander.click("update-time")
        await bystander.wait_until(lambda: bystander.text("server-time") != before)
    assert f"a message was over {limit} bytes" in server.log()


def test_production_refuses_to_start_with_the_default_secret_key(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    env = {
        # Where the package is found (a renamed copy's suite sets PYTHONPATH), and no tools.
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "PATH": "",
        f"{ENV_PREFIX}ENVIRONMENT": "PRODUCTION",
        f"{ENV_PREFIX}SECRET_KEY": DEFAULT_SECRET_KEY,
        f"{ENV_PREFIX}SQL_DB_URL": database_urls[0],
    }
    result = subprocess.run(
        [sys.executable, "-m", "heavy_stack"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"{ENV_PREFIX}SECRET_KEY" in result.stderr
