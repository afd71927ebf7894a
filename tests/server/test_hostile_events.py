"""What a buggy or hostile client sends to real event handlers never reaches a traceback.

The browser is the user's: anything can arrive over the socket. Hypothesis generates event
data of every wrong shape (wrong types, missing and extra keys, a thousand arguments, NUL
bytes, lone surrogates, huge strings) and sends it to every handler of every demo page, signed
in and out, on a server of this test's own. Then: no ERROR and no traceback in the server's
log, at most one log line per four bad events, and the pages still answer a normal click.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets
from heavy import Database
from heavy.events import BadEvents
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.frames import CloseCode

from heavy_stack_testing.product import live_server

from tests.server.test_accounts import sign_up

pytestmark = pytest.mark.server

# (path, signed in): every demo page with handlers, as visitors and as a signed-in user.
PAGES = [("/", False), ("/sign-in", False), ("/sign-up", False), ("/notes", True), ("/", True)]
EVENTS_PER_PAGE = 24  # enough that a connection's few warnings are a small share of its events

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=()), max_size=20)  # NUL bytes and lone surrogates too
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
hostile_text = st.text(st.characters(exclude_categories=()), max_size=50) | st.sampled_from(
    ["\x00", "a\x00b", "\ud800", "x" * 100_000, "", " " * 10]
)
EVENT_DATA = st.one_of(
    st.sampled_from([[], [None], [1], [{}], [{"target": 5}], [{"target": {}}], [{"target": {"value": 5}}]]),
    st.lists(json_value, max_size=4),
    st.builds(lambda value: [{"target": {"value": value}}], hostile_text),
    st.builds(lambda value: [{"target": {"value": value}, "extra": {"deep": [value]}}], hostile_text),
    st.builds(lambda value: [{"pathname": value, "search": 7}], hostile_text),
    st.integers(min_value=2, max_value=1000).map(lambda count: [{}] * count),
)


@dataclass
class Tally:
    """What the whole run sent and what the server logged."""

    events: int = 0
    connections: int = 0
    closed_by_server: int = 0
    handlers: set[str] = field(default_factory=set)
    cookie: str | None = None  # of the signed-in user, made at the first example
    # Of a signed-out browser of its own: what its events rename is its own demo user, not
    # the one that clients without cookies share (other tests' pages on this database).
    visitor_cookie: str | None = None

    async def cookie_of(self, server: LiveServer) -> str:
        if self.cookie is None:
            browser = CookieBrowser(server.base_url)
            browser.get(await sign_up(browser, f"hostile-{uuid.uuid4().hex[:8]}@example.com"))
            self.cookie = browser.cookie_header()
        return self.cookie

    def visitor_cookie_of(self, server: LiveServer) -> str:
        if self.visitor_cookie is None:
            browser = CookieBrowser(server.base_url)
            browser.get("/")  # the page shell gives the browser its binding cookie
            self.visitor_cookie = browser.cookie_header()
        return self.visitor_cookie


@pytest.fixture(scope="module")
def hostile_server(
    database_urls: tuple[str, str], database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    sql_url, vector_url = database_urls
    log_path = tmp_path_factory.mktemp("hostile") / "server.log"
    settings = {
        "SQL_DB_URL": sql_url,
        "VECTOR_DB_URL": vector_url,
        "ACCESS_LOG": "false",  # only what the events cause is counted
        "RATE_LIMIT_EXEMPT_ADDRESSES": "127.0.0.1",
    }
    with live_server(settings, log_path) as running:
        yield running


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


async def send_all(page: WebSocketPage, batch: list[tuple[int, list[Any]]], tally: Tally) -> None:
    targets = sorted(
        (str(handler["target"]), f"{element.tag}#{element.attributes.get('id', element.path)} {event}")
        for element in page.layout.elements()
        for event, handler in element.model.get("eventHandlers", {}).items()
    )
    assert targets, "the page has no handlers to try"
    for pick, data in batch:
        target, name = targets[pick % len(targets)]
        tally.handlers.add(name)
        try:
            await page.send_event(target, *data)
        except websockets.ConnectionClosed:
            tally.closed_by_server += 1
            return
        tally.events += 1


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if re.search(r"\bERROR\b|\bCRITICAL\b|Traceback", line)]


@given(
    batch=st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**6), EVENT_DATA),
        min_size=EVENTS_PER_PAGE,
        max_size=EVENTS_PER_PAGE,
    )
)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
async def test_hostile_event_data_never_reaches_a_traceback(
    hostile_server: LiveServer, tally: Tally, batch: list[tuple[int, list[Any]]]
) -> None:
    log_before = len(hostile_server.log())
    for path, signed_in in PAGES:
        cookie = (
            await tally.cookie_of(hostile_server) if signed_in else tally.visitor_cookie_of(hostile_server)
        )
        headers = {"Cookie": cookie}
        async with WebSocketPage.open(hostile_server.base_url, path, headers=headers) as page:
            tally.connections += 1
            await send_all(page, batch, tally)
    new_log = hostile_server.log()[log_before:]
    assert error_lines(new_log) == [], new_log[-3000:]


def test_the_pages_still_answer_and_the_log_stayed_small(hostile_server: LiveServer, tally: Tally) -> None:
    """Runs after the generated events (same module, in order): figures, and a normal click."""
    # The app's own lines (Sanic's start-up and "connection closed" lines are not about events).
    lines = [
        line for line in hostile_server.log().splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)
    ]
    print(
        f"{tally.events} bad events on {tally.connections} connections to {len(tally.handlers)} handlers; "
        f"{tally.closed_by_server} closed by the server; {len(lines)} log lines"
    )
    assert tally.events > 0
    assert len(lines) <= tally.events / 4


async def test_a_connection_that_keeps_sending_bad_events_is_closed_and_others_carry_on(
    hostile_server: LiveServer,
) -> None:
    async with (
        WebSocketPage.open(hostile_server.base_url, "/") as flooder,
        WebSocketPage.open(hostile_server.base_url, "/") as visitor,
    ):
        target = flooder.layout.find(id="update-time").target("onClick")
        for _ in range(BadEvents().close_after):  # a click's handler, sent three arguments
            await flooder.send_event(target, 1, 2, 3)
        async with asyncio.timeout(10):
            await flooder.connection.wait_closed()
        assert flooder.connection.close_code == CloseCode.POLICY_VIOLATION

        await visitor.click("update-time")  # still served: the click is answered with an update
        assert (await visitor.receive(timeout=10))["type"] == "layout-update"
    assert "Closed connection" in hostile_server.log()
