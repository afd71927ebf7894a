"""The server's log lines as an operator reads them: JSON lines naming connection and user, no secrets."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from heavy.data.db_connection import Database
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer, stop
from heavy.testing.page_driver import WebSocketPage
from heavy.testing.plugin import suite_server_settings
from heavy.testing.product import ProductUnderTest

from heavy_stack.backend.web.cookies import AccountCookies
from heavy_stack.settings import Settings
from heavy_stack_testing.brython import answer_brython, brython_calls, wait_for_navigation
from heavy_stack_testing.product import live_server

from tests.server.test_accounts import PASSWORD, SESSION_COOKIE, new_email, sign_up

pytestmark = pytest.mark.server

Line = dict[str, Any]
StartServer = Callable[..., LiveServer]
BINDING_COOKIE = AccountCookies(Settings(_env_file=None)).binding_name
DUMP_WAIT_SECONDS = 10.0


@pytest.fixture
def start_server(
    heavy_product: ProductUnderTest, database_urls: tuple[str, str], database: Database, tmp_path: Path
) -> Iterator[StartServer]:
    """Start servers on the (paved) test databases with more settings; stopped after the test.

    With the suite's settings: the sign-up counter of 127.0.0.1 is a row of the test database,
    which every test's sign-ups on it have added to, far past a visitor's allowance."""
    numbers = itertools.count()
    with ExitStack() as servers:

        def start(**settings: str) -> LiveServer:
            log_path = tmp_path / f"server-{next(numbers)}.log"
            return servers.enter_context(
                live_server(suite_server_settings(heavy_product, database_urls, **settings), log_path)
            )

        yield start


def json_lines(server: LiveServer) -> list[Line]:
    """Every line the server wrote to stdout and stderr, each parsed as one JSON object."""
    lines = []
    for text in server.log().splitlines():
        parsed = json.loads(text)  # fails the test on any line that is not JSON
        assert isinstance(parsed, dict), text
        lines.append(parsed)
    return lines


def the_line(lines: list[Line], message: str) -> Line:
    [line] = [line for line in lines if message in line["message"]]
    return line


async def test_json_lines_name_the_connection_and_the_signed_in_user_and_no_secret(
    start_server: StartServer,
) -> None:
    server = start_server(LOG_FORMAT="json", ACCESS_LOG="true")
    browser, email = CookieBrowser(server.base_url), new_email()
    link = await sign_up(browser, email, next_path="/notes")  # over the websocket, signed out
    ticket = link.split("ticket=", 1)[1].split("&", 1)[0]
    assert browser.get(link).status == 303  # the hand-off: the session cookie is set
    session_cookie, binding_cookie = browser.cookie(SESSION_COOKIE), browser.cookie(BINDING_COOKIE)
    assert session_cookie is not None
    assert binding_cookie is not None
    async with browser.open_page("/") as page:
        await page.wait_for_element("sign-out")
        # A sync handler logs (the browser reports a Brython call failed), then an async one
        # (sign-out). The call's id is the server's own, so the line names it.
        await page.click("ask-timezone")
        await page.wait_until(lambda: bool(brython_calls(page)))
        [call] = [call for call in brython_calls(page) if call["name"] == "get_timezone"]
        probe = call["id"]
        await answer_brython(page, probe, None, ok=False)
        await page.click("sign-out")
        await wait_for_navigation(page)
    assert stop(server) == 0  # so its last lines are written too

    lines = json_lines(server)
    user_id = the_line(lines, "New account")["message"].removeprefix("New account ")
    sign_up_line = the_line(lines, "New account")
    assert "user_id" not in sign_up_line  # nobody was signed in yet
    signed_in = the_line(lines, "Signed in")
    assert signed_in["user_id"] == user_id
    # Lines from the signed-in page's handlers, a sync one and an async one, run in tasks
    # ReactPy starts from the connection's task: they carry its id and the user.
    answer, signed_out = the_line(lines, probe), the_line(lines, "Signed out")
    assert answer["connection_id"] == signed_out["connection_id"]
    assert (answer["user_id"], signed_out["user_id"]) == (user_id, user_id)
    assert (answer["level"], answer["logger"]) == ("warning", "heavy_stack.frontend.brython_executors")
    # One id per connection: the sign-up page, the hand-off request and the notes page differ.
    ids = {sign_up_line["connection_id"], signed_in["connection_id"], answer["connection_id"]}
    assert len(ids) == 3

    access = [line for line in lines if line["logger"] == "sanic.access"]
    [hand_off] = [line for line in access if line.get("path") == "/account/sign-in/complete"]
    assert (hand_off["method"], hand_off["status"]) == ("GET", 303)
    assert hand_off["connection_id"] == signed_in["connection_id"]
    assert isinstance(hand_off["duration_ms"], float)
    # The websocket's own access lines, its close too (Sanic logs that from a transport callback).
    notes_socket = [line for line in access if line.get("connection_id") == answer["connection_id"]]
    assert [line["message"] for line in notes_socket] == [
        "WEBSOCKET /_reactpy/stream OPEN",
        "WEBSOCKET /_reactpy/stream CLOSE 1000",
    ]
    assert {(line["method"], line["path"]) for line in notes_socket} == {("WEBSOCKET", "/_reactpy/stream")}
    # Signed in when it opened; signing out in a handler took the user off the connection's lines.
    assert [line.get("user_id") for line in notes_socket] == [user_id, None]

    log = server.log()
    for secret in (PASSWORD, ticket, session_cookie, binding_cookie):
        assert secret not in log
    assert "No scope" not in log  # ReactPy's stream route warned it on every connection; ours does not


async def test_without_the_access_log_there_is_no_access_line(start_server: StartServer) -> None:
    server = start_server(LOG_FORMAT="json", ACCESS_LOG="false")
    CookieBrowser(server.base_url).get("/")
    assert stop(server) == 0
    lines = json_lines(server)
    assert any("Serving http://" in line["message"] for line in lines)
    assert not [line for line in lines if line["logger"] == "sanic.access"]


async def test_dev_logs_plain_text_by_default(start_server: StartServer) -> None:
    server = start_server(ENVIRONMENT="DEV")
    CookieBrowser(server.base_url).get("/")
    assert stop(server) == 0
    text = server.log()
    assert "INFO heavy_stack.app: Serving http://" in text
    for line in text.splitlines():
        with pytest.raises(json.JSONDecodeError):  # not one JSON object among them
            json.loads(line)
    assert "GET /" not in text  # no access log in DEV unless asked for


async def test_sigusr1_logs_every_task_and_the_server_goes_on_serving(server: LiveServer) -> None:
    # heavy.web.task_dump: where a hung server waits, asked of a running one without stopping it.
    async with WebSocketPage.open(server.base_url) as page:
        server.process.send_signal(signal.SIGUSR1)
        log = await asyncio.to_thread(_log_once_it_says, server, "asyncio tasks (SIGUSR1)")
        assert "Stack for <Task pending" in log.partition("asyncio tasks (SIGUSR1)")[2], log[-2000:]
        shown = page.text("server-time")
        await page.click("update-time")
        await page.wait_until(lambda: page.text("server-time") != shown)
    assert server.process.poll() is None


def _log_once_it_says(server: LiveServer, text: str) -> str:
    """The server's log once it holds ``text``, or after ``DUMP_WAIT_SECONDS``."""
    deadline = time.monotonic() + DUMP_WAIT_SECONDS
    while text not in (log := server.log()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return log
