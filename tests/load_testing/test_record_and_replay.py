"""Record a session on one server, replay it with Locust on a second, fresh one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from heavy.data.db_connection import Database
from heavy.stream.recording import busiest_connection, load_recording
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from heavy.testing.replay import open_step
from heavy.testing.scratch import make_scratch_database

from heavy_stack.backend.data import migrations
from heavy_stack.backend.data.model_managers.user_manager import DEMO_USER_EMAIL, UserManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack_testing.brython import answer_brython, brython_calls
from heavy_stack_testing.product import live_server
from heavy_stack_testing.replay import DEMO_RECORDING, run_replay

from bench.replayer import replay_at_saturation

pytestmark = pytest.mark.server

REPLAY_USERS = 5
NEW_NAME = "Replayed Rename"


@asynccontextmanager
async def fresh_database(database_urls: tuple[str, str], purpose: str) -> AsyncIterator[Database]:
    """A new database migrated to head, and the test vector database."""
    async with asynccontextmanager(make_scratch_database)(database_urls, purpose) as url:
        database = Database.connect(url, database_urls[1], pool_size=1)
        await migrations.upgrade(database.engine)
        try:
            yield database
        finally:
            await database.close()


@contextmanager
def server_on(database: Database, log_path: Path, **settings: str) -> Iterator[LiveServer]:
    urls = {"SQL_DB_URL": database.engine.url, "VECTOR_DB_URL": database.vector_engine.url}
    plain = {key: url.render_as_string(hide_password=False) for key, url in urls.items()}
    with live_server(plain | settings, log_path) as server:
        yield server


async def use_the_landing_page(base_url: str) -> None:
    """A short session: Brython's answer, clicks, a database read and write, a form, navigation."""
    async with WebSocketPage.open(base_url) as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)
        await page.click("ask-timezone")
        await page.wait_until(lambda: bool(brython_calls(page)))
        await answer_brython(page, brython_calls(page)[0]["id"], {"name": "Europe/Paris"})
        await page.wait_for_text("brython-timezone", "Europe/Paris")
        before = page.text("user-read-at")
        await page.click("read-user")
        await page.wait_until(lambda: page.text("user-read-at") != before)
        await page.type("rename-input", NEW_NAME)
        await page.submit("rename-form")
        await page.wait_for_text("current-user", NEW_NAME)
        await page.type("echo-input", "replayed")
        await page.submit("echo-form")
        await page.wait_for_text("echo-result", "You said: replayed")
        await page.follow_link("to-other")
        await page.wait_for_element("to-landing")
        await page.follow_link("to-landing")
        await page.wait_for_element("update-time")


async def demo_user_name(database: Database) -> str | None:
    async with database.transaction():
        user = await UserManager(UserMunger()).get_by_email(DEMO_USER_EMAIL)
    return None if user is None else user.display_name


async def test_a_recorded_session_replays_on_a_fresh_server_with_five_users(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    recording = tmp_path / "recording.json"
    async with fresh_database(database_urls, "recorded") as first:
        with server_on(first, tmp_path / "first.log", RECORDING_PATH=str(recording)) as server:
            await use_the_landing_page(server.base_url)
    recorded = busiest_connection(load_recording(recording))
    answered = {event.describe() for event in recorded.events if event.answered}
    assert {"onClick #read-user", "onSubmit #rename-form", "onHistoryChangeCallback to /other"} <= answered
    # The page's first update showed the page: the router's report of that location changed nothing.
    assert recorded.opening is not None
    assert not recorded.opening.answered

    async with fresh_database(database_urls, "replayed") as second:
        assert await demo_user_name(second) is None
        with server_on(second, tmp_path / "second.log") as server:
            result = await asyncio.to_thread(
                run_replay, server.base_url, recording, users=REPLAY_USERS, loops=1, think_time="0"
            )
        assert result.exit_code == 0, result.output
        assert result.events, result.output
        assert result.total.failures == 0, result.output
        assert {name: stats.requests for name, stats in result.events.items()} == {
            open_step("/"): REPLAY_USERS,
            **{
                name: REPLAY_USERS * sum(1 for e in recorded.events if e.answered and e.describe() == name)
                for name in answered
            },
        }
        assert await demo_user_name(second) == NEW_NAME


async def test_the_committed_demo_recording_still_replays_on_the_app(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    """When the pages change too much for it: .venv/bin/python tests/load_testing/record_demo.py

    Two users with a person's pauses: each new connection makes its own Brython calls, so a
    recorded answer must reach the live call (ids are random per connection)."""
    recorded = busiest_connection(load_recording(DEMO_RECORDING))
    users = 2
    async with fresh_database(database_urls, "demo") as database:
        with server_on(database, tmp_path / "server.log") as server:
            result = await asyncio.to_thread(
                run_replay, server.base_url, DEMO_RECORDING, users=users, loops=1, think_time="0.1-0.2"
            )
    assert result.exit_code == 0, result.output
    assert result.total.failures == 0, result.output
    # Each connection's first update, and the events answered after it (in this recording, made
    # before the router showed the page in that update, its report of the location was answered).
    steps = 1 + sum(1 for event in recorded.events_after_opening if event.answered)
    assert result.total.requests == users * steps
    # Its summary says whose CPU limited the run: the load generator's own, and the server's.
    assert "load generator: " in result.output, result.output
    assert "\n  server: " in result.output, result.output
    assert "server: not found" not in result.output, result.output
    assert result.limit is not None, result.output
    assert result.errors() == [], result.output


async def test_a_replay_in_two_locust_processes_reports_the_masters_figures(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    """``make bench`` runs 500 users and more in two Locust processes: their figures must reach
    the report (a worker exiting after the master once wrote its own empty ones over them)."""
    async with fresh_database(database_urls, "processes") as database:
        with server_on(database, tmp_path / "server.log") as server:
            result = await asyncio.to_thread(
                run_replay,
                server.base_url,
                DEMO_RECORDING,
                users=2,
                run_time="4s",
                think_time="0.1-0.2",
                options=("--processes", "2"),
            )
    assert result.exit_code == 0, result.output
    assert result.total.requests > 0, result.output
    assert result.total.failures == 0, result.output
    # The load generator's CPU as its report counts it: the master and both workers.
    assert result.generator_cpu is not None, result.output


async def test_the_bench_capacity_replay_runs_the_demo_back_to_back_without_failures(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    """``make bench``'s capacity users (picows, no pauses) replay what Locust replays, writes too."""
    recorded = busiest_connection(load_recording(DEMO_RECORDING))
    answered_per_replay = sum(1 for event in recorded.events if event.answered)
    users = 3
    async with fresh_database(database_urls, "capacity") as database:
        with server_on(database, tmp_path / "server.log") as server:
            run = await replay_at_saturation(server.base_url, DEMO_RECORDING, users=users, duration_s=4)
            log = server.log()
        assert await demo_user_name(database) == "Load Test User"
    assert run.failures == 0
    assert len(run.answers_ms) >= users * answered_per_replay
    assert run.latencies.per_second > 0
    assert "Traceback" not in log


@asynccontextmanager
async def late_accepting_proxy(target: str, delay_s: float) -> AsyncIterator[str]:
    """The address of a TCP proxy in front of ``target`` (``http://host:port``) that passes each
    new connection on only after ``delay_s``: a server that accepts connections late."""
    address = urlsplit(target)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def pass_on(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay_s)
        server_reader, server_writer = await asyncio.open_connection(address.hostname, address.port)
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    proxy = await asyncio.start_server(pass_on, "127.0.0.1", 0)
    async with proxy:
        yield f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"


async def test_a_pages_opening_counts_the_wait_for_its_connection(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    """A visitor waits for the connection too: a server that accepts late (a busy event loop
    takes one waiting connection per turn) shows in ``open /``, not in the steps after it."""
    delay_ms = 400
    async with fresh_database(database_urls, "late") as database:
        with server_on(database, tmp_path / "server.log") as server:
            async with late_accepting_proxy(server.base_url, delay_ms / 1000) as proxy:
                result = await asyncio.to_thread(
                    run_replay, proxy, DEMO_RECORDING, users=2, loops=1, think_time="0"
                )
    assert result.exit_code == 0, result.output
    assert result.total.failures == 0, result.output
    opening = result.events[open_step("/")]
    assert opening.requests == 2
    assert opening.percentile(0.0) >= delay_ms, result.output
    # The page's own answers come over the open connection: none waits for it again.
    steps = [stats for name, stats in result.events.items() if name != open_step("/")]
    assert steps
    assert all(stats.percentile(0.5) < delay_ms for stats in steps), result.output


async def test_users_started_together_open_their_pages_at_different_moments(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    """Replayed users make the same pauses: started together, they would open every page in step,
    a burst no real visitors make. Each starts at its own point of a visit."""
    users, pause_s = 12, 0.3
    async with fresh_database(database_urls, "spread") as database:
        with server_on(database, tmp_path / "server.log") as server:
            result = await asyncio.to_thread(
                run_replay, server.base_url, DEMO_RECORDING, users=users, loops=1, think_time=str(pause_s)
            )
    assert result.exit_code == 0, result.output
    assert result.total.failures == 0, result.output
    opening = result.events[open_step("/")]
    assert opening.requests == users
    # All started at once (the spawn rate is the number of users); their pages opened over much
    # of one visit's pauses (15 of 0.3 s), not in the same instant.
    assert opening.last_request - opening.first_request >= 1.0, result.output
