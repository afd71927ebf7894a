"""Thousands of malformed websocket frames: each closes its own connection, quietly.

A client can send anything. Each kind of bad frame below must close only the connection that
sent it, with the close code that names the problem and one warning line in the server log (no
traceback), while a normal visitor's page keeps working.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import websockets
from heavy.data.db_connection import Database
from heavy.live.addresses import stream_path
from heavy.stream.guard import decode_event
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from websockets.frames import CloseCode

from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server

FRAMES = 10_000
CONCURRENT_CONNECTIONS = 40
MAX_MESSAGE_BYTES = 64 * 1024  # set for this server: small enough to send quickly


@dataclass(frozen=True)
class BadFrame:
    name: str
    payload: str | bytes
    as_text: bool
    close_code: int


def _event(**fields: object) -> str:
    return json.dumps({"type": "layout-event", **fields})


BAD_FRAMES = [
    BadFrame("not JSON", "{not json", True, CloseCode.INVALID_DATA),
    BadFrame("empty", "", True, CloseCode.INVALID_DATA),
    BadFrame("invalid UTF-8", b"\xff\xfe{}", True, CloseCode.INVALID_DATA),
    BadFrame("binary", b"\x00\x01binary", False, CloseCode.UNSUPPORTED_DATA),
    BadFrame("a list", json.dumps(["a", "list"]), True, CloseCode.POLICY_VIOLATION),
    BadFrame("a number", "42", True, CloseCode.POLICY_VIOLATION),
    BadFrame("no type", json.dumps({"target": "x", "data": []}), True, CloseCode.POLICY_VIOLATION),
    BadFrame("unknown type", json.dumps({"type": "x" * 500}), True, CloseCode.POLICY_VIOLATION),
    BadFrame("target not a string", _event(target=42, data=[]), True, CloseCode.POLICY_VIOLATION),
    BadFrame("data not a list", _event(target="x", data={"a": 1}), True, CloseCode.POLICY_VIOLATION),
    BadFrame("nested past the recursion limit", "[" * 20_000 + "]" * 20_000, True, CloseCode.INVALID_DATA),
    BadFrame(
        "an integer of 5,000 digits",
        _event(target="x", data=["N"]).replace('"N"', "9" * 5000),
        True,
        CloseCode.INVALID_DATA,
    ),
    BadFrame("NaN", '{"type": "layout-event", "target": "x", "data": [NaN]}', True, CloseCode.INVALID_DATA),
    BadFrame("too big", "x" * (MAX_MESSAGE_BYTES + 1), True, CloseCode.MESSAGE_TOO_BIG),
]


def _stream_url(server: LiveServer) -> str:
    # A small page: each connection renders its page before it reads a frame, and the frames
    # are what these tests are about (10,000 connections took 40 s on the landing page, 19 s here).
    return server.base_url.replace("http", "ws", 1) + stream_path("/no-such-page")


async def _send_and_get_close_code(url: str, frame: BadFrame) -> int | None:
    async with websockets.connect(url, max_size=None, open_timeout=30) as socket:
        await socket.send(frame.payload, text=frame.as_text)
        try:
            async with asyncio.timeout(30):
                async for _message in socket:
                    pass
        except websockets.ConnectionClosed:
            pass
        return None if socket.close_code is None else int(socket.close_code)


@pytest.fixture(scope="module")
def small_limit_server(
    database_urls: tuple[str, str], database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    sql_url, vector_url = database_urls
    settings = {
        "SQL_DB_URL": sql_url,
        "VECTOR_DB_URL": vector_url,
        "MAX_WEBSOCKET_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES),
    }
    log_path = tmp_path_factory.mktemp("fuzz") / "server.log"
    with live_server(settings, log_path) as server:
        yield server


@pytest.mark.parametrize("frame", BAD_FRAMES, ids=[frame.name for frame in BAD_FRAMES])
async def test_each_kind_closes_its_connection_with_its_code_and_one_line(
    small_limit_server: LiveServer, frame: BadFrame
) -> None:
    lines_before = len(small_limit_server.log().splitlines())
    code = await _send_and_get_close_code(_stream_url(small_limit_server), frame)
    assert code == frame.close_code
    await asyncio.sleep(0.2)  # the server logs after closing
    new_lines = small_limit_server.log().splitlines()[lines_before:]
    assert len([line for line in new_lines if "Closed" in line]) == 1, new_lines
    assert "Traceback" not in "\n".join(new_lines)


async def test_ten_thousand_bad_frames_leave_no_traceback_and_a_visitor_unharmed(
    small_limit_server: LiveServer,
) -> None:
    server, url = small_limit_server, _stream_url(small_limit_server)
    rss_before = _rss_kib(server)
    kinds = itertools.cycle(BAD_FRAMES)
    queue: asyncio.Queue[BadFrame] = asyncio.Queue()
    for _ in range(FRAMES):
        queue.put_nowait(next(kinds))
    codes: list[int | None] = []

    async def attacker() -> None:
        while not queue.empty():
            codes.append(await _send_and_get_close_code(url, queue.get_nowait()))

    started = time.monotonic()
    async with WebSocketPage.open(server.base_url, timeout=60) as visitor:
        attack = asyncio.gather(*(attacker() for _ in range(CONCURRENT_CONNECTIONS)))
        clicks = 0
        while not attack.done():  # the visitor keeps clicking all along
            await _click_and_see_the_time_change(visitor)
            clicks += 1
        await attack
        await visitor.type("echo-input", "still here")
        await visitor.submit("echo-form")
        await visitor.wait_for_text("echo-result", "You said: still here")
    seconds = time.monotonic() - started

    assert len(codes) == FRAMES
    assert None not in codes
    log = server.log()
    assert "Traceback" not in log
    assert "never retrieved" not in log
    closed_lines = sum(1 for line in log.splitlines() if "Closed" in line)
    print(
        f"\n{FRAMES} bad frames in {seconds:.1f} s; {clicks} visitor clicks answered meanwhile; "
        f"{closed_lines / FRAMES:.2f} log lines per frame; "
        f"server RSS {rss_before} KiB before, {_rss_kib(server)} KiB after"
    )


async def _click_and_see_the_time_change(visitor: WebSocketPage) -> None:
    before = visitor.text("server-time")
    # The time is shown to the millisecond and a quiet server answers a click in a fifth of
    # one: a click right after the last answer could show the very same time.
    await asyncio.sleep(0.002)
    await visitor.click("update-time")
    await visitor.wait_until(lambda: visitor.text("server-time") != before, timeout=30)


def _rss_kib(server: LiveServer) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = "[" * 100 + '"quoted \\" [[' + "{" * 100
    event = decode_event(_event(target="x", data=[{"target": {"value": text}}]))
    assert event["data"][0]["target"]["value"] == text
