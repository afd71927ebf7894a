"""Read replicas (heavy.data.replicas): read-only units read on a streaming replica of the test
database, writes go to the primary, a visitor reads their own write while the replica lags, and a
replica killed under load fails nothing. One replica (``pg_basebackup`` of the embedded test
database) and one server serve the whole module."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from heavy import Database, PostgresTransport, PubSub, ReplicaUnavailableError, read_as, utc_now
from heavy.data.replicas import PRIMARY, reading_at_least, replica_name, start_read_scope
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer, live_server
from heavy.testing.page_driver import PageDriver
from heavy.testing.plugin import suite_server_settings
from heavy.testing.product import ProductUnderTest
from heavy.testing.replica import StreamingReplica, streaming_replica
from heavy.web.pubsub_server import sharing_write_positions
from sqlalchemy import text
from sqlalchemy.engine import make_url

from heavy_stack.backend.data.pave import SERVER_APPLICATION_NAME
from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter

from tests.server.test_accounts import new_email, sign_up

pytestmark = [pytest.mark.server]

T = TypeVar("T")
# How long the load runs around the kill, and how many pages take part.
LOAD_SECONDS = 4.0
LOAD_PAGES = 3


@pytest.fixture(scope="module")
def replica(database_urls: tuple[str, str], database: Database) -> Iterator[StreamingReplica]:
    """A hot standby of the test databases' server (paved first), for this module."""
    # Not under pytest's base temp: PostgreSQL runs as another user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="heavy-test-replica-"))
    try:
        with streaming_replica(database_urls[0], folder) as running:
            yield running
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def read_url(database_urls: tuple[str, str], replica: StreamingReplica) -> str:
    return replica.url(make_url(database_urls[0]).database or "postgres")


@pytest.fixture(scope="module")
def replica_server(
    heavy_product: ProductUnderTest,
    database_urls: tuple[str, str],
    read_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The product's server on the test databases, reading on the replica."""
    settings = suite_server_settings(heavy_product, database_urls, SQL_READ_URLS=read_url)
    with live_server(
        heavy_product, settings, tmp_path_factory.mktemp("replica-server") / "server.log"
    ) as running:
        yield running


# --- helpers -----------------------------------------------------------------------------------


async def on_replica(replica: StreamingReplica, sql: str) -> object:
    connection = await asyncpg.connect(replica.admin_url)
    try:
        answer: object = await connection.fetchval(sql)
        return answer
    finally:
        await connection.close()


async def as_visitor(key: str, work: Callable[[], Awaitable[T]]) -> T:
    """``work`` in a connection of its own (a task, its read scope) of the visitor ``key``."""

    async def connection() -> T:
        start_read_scope()
        read_as(key)
        return await work()

    return await asyncio.create_task(connection())


async def read_counter(database: Database, key: str) -> tuple[bool, bool]:
    """In a read-only unit: whether the counter ``key`` is there, and whether it read on a standby."""
    async with database.transaction(read_only=True) as session:
        found = await session.get(SQLRateLimitCounter, key) is not None
        standby = bool(await session.scalar(text("SELECT pg_is_in_recovery()")))
    return found, standby


async def write_counter(database: Database, key: str) -> None:
    async with database.transaction() as session:
        session.add(SQLRateLimitCounter(key=key, count=1, window_ends_at=utc_now() + timedelta(hours=1)))


def caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, kind):
            return True
        current = current.__cause__ or current.__context__
    return False


@pytest.fixture
async def paused(replica: StreamingReplica) -> AsyncIterator[None]:
    """The replica stops replaying the primary's WAL (it lags) until the test ends."""
    await on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        await on_replica(replica, "SELECT pg_wal_replay_resume()")


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


# --- the route, in this process ------------------------------------------------------------------


async def test_read_only_units_read_on_the_replica_and_writes_go_to_the_primary(
    database_urls: tuple[str, str], read_url: str
) -> None:
    database = Database.connect(*database_urls, read_urls=[read_url])
    try:
        for _ in range(3):
            async with database.transaction(read_only=True) as session:
                assert await session.scalar(text("SELECT pg_is_in_recovery()")) is True
        async with database.transaction() as session:
            assert await session.scalar(text("SELECT pg_is_in_recovery()")) is False
        # A write in a read-only unit is refused, in PostgreSQL's words.
        with pytest.raises(Exception, match="read-only transaction") as refused:
            async with database.transaction(read_only=True) as session:
                await (await session.connection()).execute(text("CREATE TABLE replica_probe (id int)"))
        assert caused_by(refused.value, asyncpg.ReadOnlySQLTransactionError)
        assert database.reads_by_target() == {replica_name(read_url): 4, PRIMARY: 0}
        # Pages' units take turns at both pools: the primary's 10 and the replica's 2.
        assert database.turns.capacity == 12
    finally:
        await database.close()


async def test_a_replica_that_fails_is_left_out_and_reads_go_to_the_primary_read_only(
    database_urls: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    from heavy.testing.live_server import free_port

    gone = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"  # nothing listens there
    # One pooled connection: the write below gets the one the read-only units had.
    database = Database.connect(*database_urls, pool_size=1, read_urls=[gone])
    try:
        with pytest.raises(ReplicaUnavailableError):  # the unit that met it: the hooks run it again
            async with database.transaction(read_only=True) as session:
                await session.scalar(text("SELECT 1"))
        for _ in range(3):
            async with database.transaction(read_only=True) as session:
                assert await session.scalar(text("SELECT pg_is_in_recovery()")) is False
        with pytest.raises(Exception, match="read-only transaction"):  # on the primary too
            async with database.transaction(read_only=True) as session:
                await (await session.connection()).execute(text("CREATE TABLE replica_probe (id int)"))
        assert database.reads_by_target() == {replica_name(gone): 1, PRIMARY: 4}
        # Back in the pool, the connection is not read-only any more: a unit that writes may.
        async with database.transaction() as session:
            await (await session.connection()).execute(
                text("CREATE TEMP TABLE probe (id int) ON COMMIT DROP")
            )
    finally:
        await database.close()
    warned = [
        r.getMessage()
        for r in caplog.records
        if r.name == "heavy.data.replicas" and r.levelno >= logging.WARNING
    ]
    assert len(warned) == 1, warned  # one line when it went down, none per read
    assert "is unavailable" in warned[0]


# --- read-your-writes, two instances in this process ---------------------------------------------


async def test_a_visitor_reads_their_own_write_on_any_instance_while_the_replica_lags(
    database_urls: tuple[str, str], read_url: str, replica: StreamingReplica, paused: None
) -> None:
    key = f"replica-test-{uuid.uuid4().hex}"
    async with AsyncExitStack() as stack:
        here = await _instance(stack, database_urls, read_url)
        there = await _instance(stack, database_urls, read_url)
        # The visitor saves, and reads it back at once: from the primary, as the replica lags.
        await as_visitor("writer", lambda: write_counter(here, key))
        assert await as_visitor("writer", lambda: read_counter(here, key)) == (True, False)
        # Their next page is served by the other instance, which heard where their write ended.
        await eventually(lambda: _knows(there, "writer"))
        assert await as_visitor("writer", lambda: read_counter(there, key)) == (True, False)
        # Another visitor reads on the replica, which has not replayed the write yet...
        assert await as_visitor("reader", lambda: read_counter(there, key)) == (False, True)
        # ...unless a message told them of a write (heavy_use_topic reads at least that far).
        assert there.replicas is not None
        latest = there.replicas.positions.latest

        async def told() -> tuple[bool, bool]:
            with reading_at_least(latest):
                return await read_counter(there, key)

        assert await as_visitor("reader", told) == (True, False)
        await on_replica(replica, "SELECT pg_wal_replay_resume()")
        # Once it has replayed, everyone reads it there.
        await eventually(
            lambda: _reads_on_the_replica(as_visitor("reader", lambda: read_counter(there, key)))
        )
        assert await as_visitor("writer", lambda: read_counter(here, key)) == (True, True)
        async with here.transaction() as session:
            await session.delete(await session.get(SQLRateLimitCounter, key))


async def _instance(stack: AsyncExitStack, database_urls: tuple[str, str], read_url: str) -> Database:
    """A database as a server process has it: replicas, and positions shared over LISTEN/NOTIFY."""
    database = Database.connect(*database_urls, read_urls=[read_url])
    stack.push_async_callback(database.close)
    url = database.engine.url.render_as_string(hide_password=False)
    pubsub = PubSub(PostgresTransport(url, "heavy.replica-test"))
    listening = asyncio.create_task(pubsub.run())
    stack.push_async_callback(_cancel, listening)
    await eventually(lambda: _true(pubsub.connected))
    stack.enter_context(sharing_write_positions(pubsub, database))
    return database


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _true(value: bool) -> bool:
    return value


async def _knows(database: Database, visitor: str) -> bool:
    from heavy.data.replicas import visitor_digest

    assert database.replicas is not None
    return database.replicas.positions.of(visitor_digest(visitor), time.monotonic()) > 0


async def _reads_on_the_replica(read: Awaitable[tuple[bool, bool]]) -> bool:
    return await read == (True, True)


# --- through the server: pages over real websockets ----------------------------------------------


async def server_connections_on(replica: StreamingReplica) -> int:
    count = await on_replica(
        replica, f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{SERVER_APPLICATION_NAME}'"
    )
    assert isinstance(count, int)
    return count


async def test_a_new_note_shows_at_once_on_the_next_page_while_the_replica_lags(
    replica_server: LiveServer, replica: StreamingReplica, paused: None
) -> None:
    browser = CookieBrowser(replica_server.base_url)
    assert browser.get(await sign_up(browser, new_email(), next_path="/notes")).status == 303
    title = f"Replica note {uuid.uuid4().hex[:6]}"
    async with browser.open_page("/notes") as page:
        await page.wait_for_element("new-note-form")
        await page.type("new-note-title", title)
        await page.submit("new-note-form")
        await page.wait_for_text("note-list", title)
    async with browser.open_page("/notes") as reloaded:  # a new connection: it reads the list again
        await reloaded.wait_for_text("note-list", title)


async def test_read_again_after_a_rename_shows_the_new_name_while_the_replica_lags(
    replica_server: LiveServer, paused: None
) -> None:
    browser = CookieBrowser(replica_server.base_url)
    browser.get("/")  # this browser's binding cookie: its demo user
    name = f"Renamed {uuid.uuid4().hex[:6]}"
    async with browser.open_page("/") as page:
        await page.wait_for_text("current-user", "member since")
        await page.type("rename-input", name)
        await page.submit("rename-form")
        await page.wait_for_text("current-user", name)
        received = page.messages_received
        await page.click("read-user")  # a read-only unit: a replica that lags would show the old name
        await page.wait_until(lambda: page.messages_received > received)  # what it read, shown
        assert name in page.text("current-user")


async def test_a_replica_killed_under_load_fails_nothing_and_is_used_again_once_back(
    replica_server: LiveServer, replica: StreamingReplica
) -> None:
    browser = CookieBrowser(replica_server.base_url)
    assert browser.get(await sign_up(browser, new_email(), next_path="/notes")).status == 303
    async with browser.open_page("/notes") as page:
        await page.wait_for_element("new-note-form")
        await page.type("new-note-title", "Under load")
        await page.submit("new-note-form")
        await page.wait_for_text("note-list", "Under load")
        [link] = [
            element
            for element in page.layout.elements()
            if element.attributes.get("id", "").startswith("note-link-")
        ]
        note_path = str(link.attributes["href"])
    assert await server_connections_on(replica) > 0  # the pages read there

    async def kill_midway() -> None:
        await asyncio.sleep(LOAD_SECONDS / 3)
        await asyncio.to_thread(replica.kill)

    killing = asyncio.create_task(kill_midway())
    rounds = await asyncio.gather(*(_browse(browser, note_path, LOAD_SECONDS) for _ in range(LOAD_PAGES)))
    await killing
    assert all(count >= 1 for count in rounds), rounds  # every page went on (and failed nothing)

    await asyncio.to_thread(replica.start)
    # Once its 5 s out are over, pages read there again (and the server says so, once).
    await eventually(lambda: _browsed_onto(browser, note_path, replica_server), within=30.0)
    assert await server_connections_on(replica) > 0

    log = replica_server.log()
    assert "Traceback" not in log
    assert len(re.findall(r"WARNING .*Read replica .* is unavailable", log)) == 1, log


async def _browse(browser: CookieBrowser, note_path: str, seconds: float) -> int:
    """Go between the list and the note for ``seconds``; every page loads, and shows no failure."""
    rounds = 0
    deadline = time.monotonic() + seconds
    async with browser.open_page("/notes") as page:
        while time.monotonic() < deadline:
            await page.wait_for_text("note-list", "Under load")
            _shows_no_failure(page)
            await page.navigate(note_path)
            await page.wait_for_element("note-form")
            _shows_no_failure(page)
            await page.navigate("/notes")
            rounds += 1
    return rounds


def _shows_no_failure(page: PageDriver) -> None:
    notices = [element.text for element in page.layout.find_all(id="app-notice-text") if element.text]
    assert not notices, notices


async def _browsed_onto(browser: CookieBrowser, note_path: str, server: LiveServer) -> bool:
    await _browse(browser, note_path, 0.5)
    return "answers again" in server.log()
