"""``heavy.create_app``: a product of a few lines served by Sanic's own command (a real server).

Its pages answer with their title, status and first paint (as the visitor the product names);
its services open before it serves and close after it stopped; its jobs run while it serves,
a failing round does not end them, and all are stopped before the services close.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import heavy
import pytest
from heavy.testing.live_server import free_port
from heavy.testing.page_driver import WebSocketPage

from heavy_stack.settings import PROJECT_ROOT

pytestmark = pytest.mark.server

SANIC = Path(sys.executable).with_name("sanic")
STARTUP_SECONDS = 60.0
STOP_SECONDS = 20.0


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _events(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def tiny_server(
    database_urls: tuple[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path, Path]]:
    port = free_port()
    events, log_path = tmp_path / "events.txt", tmp_path / "server.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("TINY_")}
    env |= {
        "TINY_SQL_DB_URL": database_urls[0],
        "TINY_EVENTS_PATH": str(events),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [str(SANIC), "tests.heavy.tiny_app:create_app", "--factory", "--single-process"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=log,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while _events(events).count("tick") < 2:  # serving, and its jobs have run (twice)
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"not serving:\n{log_path.read_text()}"
            time.sleep(0.1)
        yield process, base_url, events, log_path
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_pages_answer_with_their_title_status_and_first_paint_as_the_visitor(
    tiny_server: tuple[subprocess.Popen[bytes], str, Path, Path],
) -> None:
    _process, base_url, _events_path, log_path = tiny_server
    status, page = _get(base_url + "/", {"x-name": "Ada"})
    assert status == 200
    assert "<title>Home · Tiny</title>" in page
    first_paint = page.split('<div id="heavy-first-paint">', 1)[1]
    assert "<p>Hello, Ada</p>" in first_paint
    assert "<h1>Home page</h1>" in first_paint
    status, page = _get(base_url + "/no/such/page")
    assert status == 404
    assert "<title>Not found · Tiny</title>" in page
    assert "<h1>No such page</h1>" in page
    assert _get(base_url + "/readyz")[0] == 200
    assert _get(base_url + "/livez") == (200, '{"app":"up"}')
    # The same server, so no second start: back pressure on its pool of one, its upload route.
    asyncio.run(_pages_take_turns_at_a_saturated_pool(base_url))
    log = log_path.read_text()
    for trouble in ("Traceback", "unavailable", "QueuePool"):  # no pool timeouts, no failure
        assert trouble not in log, log
    _an_upload_route_answers_its_products_failures_in_words(base_url, log_path)


def test_jobs_run_while_serving_and_stop_before_the_services_close(
    tiny_server: tuple[subprocess.Popen[bytes], str, Path, Path],
) -> None:
    process, _base_url, events_path, log_path = tiny_server
    failing_round = "Failing round failed; next try in 0 s"
    deadline = time.monotonic() + STOP_SECONDS  # rounds come every 0.05 s: wait for two of each
    while time.monotonic() < deadline and not (
        log_path.read_text().count(failing_round) >= 2 and _events(events_path).count("tick") >= 2
    ):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(STOP_SECONDS) == 0, log_path.read_text()
    events = _events(events_path)
    assert events[0] == "services opened"
    assert events[-2:] == ["job stopped", "services closed"]
    assert events.count("tick") >= 2
    log = log_path.read_text()
    # Every failing round is logged, and the next one still comes.
    assert log.count(failing_round) >= 2
    assert "RuntimeError: this round failed" in log


async def _pages_take_turns_at_a_saturated_pool(base_url: str) -> None:
    """The tiny app's pool has one connection (and one of overflow, timing out after 2 s). Page
    ``a`` holds a connection twice for 2.1 s, then for 1 s more; pages ``b``-``d`` want it
    once each meanwhile, and page ``e`` sends twelve changes at once. Without turns, ``a``'s first
    two hold both connections past the pool's timeout and the others fail. With them every
    event runs once a turn frees, pages taking turns (``b``-``d`` before ``a``'s third), the
    waiting pages say they are busy until they run, and ``e``'s events beyond the eight a page
    may have waiting are refused in words."""
    done_at: dict[str, float] = {}
    notices: dict[str, set[str]] = {name: set() for name in "abcde"}
    wanted = {"a": 3, "b": 1, "c": 1, "d": 1, "e": heavy.WAITING_PER_PAGE}

    async def visit(name: str, holds: list[str], ready: asyncio.Event) -> None:
        async with WebSocketPage.open(base_url, "/hold") as page:
            if name != "a":
                await ready.wait()  # behind a's first change
            for seconds in holds:
                await page.type("hold", seconds)
            if name == "a":
                await asyncio.sleep(0.3)  # its first change has its turn: the others queue
                ready.set()

            def all_done() -> bool:
                notices[name].add(page.text("notice"))
                return page.text("done") == str(wanted[name])

            await page.wait_until(all_done, timeout=30)
            done_at[name] = time.monotonic()
            await page.wait_until(lambda: page.text("notice") == "", timeout=10)

    ready = asyncio.Event()
    await asyncio.gather(
        visit("a", ["2.1", "2.1", "1"], ready),
        *(visit(name, ["0"], ready) for name in "bcd"),
        visit("e", ["0"] * 12, ready),
    )
    assert all(done_at[name] < done_at["a"] for name in "bcd"), done_at  # fair: before a's third
    for name in "abcde":
        assert heavy.BUSY in notices[name], notices
    assert heavy.TOO_MANY in notices["e"], notices


def _an_upload_route_answers_its_products_failures_in_words(base_url: str, log_path: Path) -> None:
    """heavy's upload route on a product of its own (tiny_app): a store that raises."""

    def post(name: str) -> tuple[int, dict[str, object]]:
        headers = {"Heavy-Upload-Id": "a" * 32, "Heavy-Upload-Name": name, "X-Name": "Ada"}
        request = urllib.request.Request(base_url + "/upload", data=b"hello", headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert post("fine.txt") == (200, {"id": "a" * 32, "outcome": "stored", "message": "Ada sent 5 bytes."})
    status, answer = post("unavailable.txt")
    assert (status, answer["message"]) == (503, heavy.UNAVAILABLE)
    status, answer = post("bug.txt")
    assert (status, answer["message"]) == (500, heavy.FAILED)
    log = log_path.read_text()
    assert "An upload was not stored: the database is unavailable" in log
    assert "RuntimeError: a bug in the product's store" in log  # a bug keeps its traceback
