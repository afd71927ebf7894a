"""``BlockingWebSocket``, the load generator's client, against a real server: by address and by
name, and a port where nothing listens."""

from __future__ import annotations

import socket

import orjson
import pytest
from heavy.live.addresses import STREAM_PATH
from heavy.testing.blocking_websocket import BlockingWebSocket
from heavy.testing.live_server import LiveServer

pytestmark = pytest.mark.server


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_page_opens_by_address_and_by_name(server: LiveServer, host: str) -> None:
    port = server.base_url.rsplit(":", 1)[1]
    origin = f"http://{host}:{port}"
    with BlockingWebSocket(f"ws://{host}:{port}{STREAM_PATH}", headers={"Origin": origin}) as page:
        first = orjson.loads(page.recv(timeout=10))
    assert first["type"] == "layout-update"


def test_a_port_where_nothing_listens_is_refused_at_once() -> None:
    with socket.socket() as placeholder:  # a free port, closed again before the connection
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        BlockingWebSocket(f"ws://127.0.0.1:{port}{STREAM_PATH}", open_timeout=5)
