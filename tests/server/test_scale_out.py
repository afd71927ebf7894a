"""Scale-out on real parts: two app instances behind nginx, one PostgreSQL, one Redis.

Each instance is its own ``python -m heavy_stack`` process on its own port (as on its own host);
nginx (``deploy/nginx.conf.template``) is the only address users know. Nothing a user needs may
live in one instance: a sign-in made through one works through the other, and when one is killed
its users reconnect through the proxy and carry on, with every acknowledged write in the database.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.request
import uuid
from dataclasses import dataclass, field

import psutil
import pytest
import websockets
from heavy.data.db_connection import Database
from heavy.live.addresses import STREAM_PATH
from heavy.testing.cluster import Cluster
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from sqlmodel import col, select

from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.frontend.brython_assets import RUNTIME_URL

from tests.server.test_accounts import new_email, sign_up

pytestmark = [pytest.mark.server, pytest.mark.scale]

CLIENTS = 6
NOTES_BEFORE_THE_KILL = 3
NOTES_PER_CLIENT = 8
# Bounds, not expectations: every loop here ends.
RECONNECT_ATTEMPTS = 40
RUN_TIMEOUT = 180.0


async def signed_in(base_url: str) -> CookieBrowser:
    """A browser that signed up (and so is signed in) through ``base_url``."""
    browser = CookieBrowser(base_url)
    response = browser.get(await sign_up(browser, new_email()))
    assert response.status == 303
    return browser


async def add_note(page: WebSocketPage, title: str, timeout: float = 10.0) -> None:
    """Add a note on ``/notes``; returns once the page says it was added (after the commit)."""
    await page.type("new-note-title", title)
    await page.type("new-note-body", f"written by {title}")
    await page.submit("new-note-form")
    await page.wait_for_text("note-message", f"Added “{title}”.", timeout)


async def titles_in_database(database: Database, titles: set[str]) -> set[str]:
    async with database.transaction() as session:
        rows = await session.exec(select(SQLNote.title).where(col(SQLNote.title).in_(titles)))
        return set(rows.all())


async def test_a_page_and_its_websocket_work_through_nginx(two_instances: Cluster) -> None:
    shell = CookieBrowser(two_instances.base_url).get("/")
    assert shell.status == 200
    assert b"/_reactpy/" in shell.body  # the page that opens the websocket

    # Several pages in a row: nginx spreads them over both instances, and each one works.
    for text in ("first", "second", "third", "fourth"):
        async with WebSocketPage.open(two_instances.base_url, "/") as page:
            await page.type("echo-input", text)
            await page.submit("echo-form")
            await page.wait_for_text("echo-result", text)


def test_a_large_file_reaches_a_slow_reader_whole(two_instances: Cluster) -> None:
    """nginx spools what a slow client has not read yet to its temporary files: they must be
    writable by its workers, or the download is cut short."""
    path = f"{RUNTIME_URL}/brython_stdlib.js"  # the largest static file (5 MB)
    expected = len(CookieBrowser(two_instances.instances[0].base_url).get(path).body)
    received = 0
    with urllib.request.urlopen(two_instances.base_url + path, timeout=30) as response:
        while chunk := response.read(64 * 1024):
            received += len(chunk)
            time.sleep(0.02)  # about 3 MB/s: slower than the instance sends it
    assert received == expected


async def test_the_proxy_keeps_the_hosts_origin_check(two_instances: Cluster) -> None:
    """nginx passes the browser's Host on, so a foreign page's websocket is still refused."""
    url = two_instances.base_url.replace("http", "ws", 1) + STREAM_PATH
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, additional_headers={"Origin": "http://evil.example"}):
            pass
    assert refused.value.response.status_code == 403


async def test_a_user_signed_in_through_one_instance_keeps_working_through_another(
    two_instances: Cluster, database: Database
) -> None:
    first, second = two_instances.instances
    browser = await signed_in(first.base_url)  # the whole sign-up and hand-off on the first
    title = f"kept across instances {uuid.uuid4().hex[:8]}"

    async with browser.at(second.base_url).open_page("/notes") as page:
        assert "Signed in as Ada" in (await page.wait_for_element("account-bar")).text
        await add_note(page, title)

    # And through the proxy, wherever it sends the page.
    for _ in range(2):
        async with browser.at(two_instances.base_url).open_page("/notes") as page:
            await page.wait_for_text("note-list", title)
    assert await titles_in_database(database, {title}) == {title}


@dataclass
class Client:
    """One signed-in user adding notes in a loop, through the proxy."""

    number: int
    browser: CookieBrowser
    acknowledged: list[str] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)  # being written when the connection dropped
    # For each reconnect: seconds from the drop to the page with its notes shown again, and when.
    reconnect_seconds: list[float] = field(default_factory=list)
    back_at: list[float] = field(default_factory=list)

    async def run(self, warmed_up: asyncio.Event, everyone_warm: asyncio.Barrier) -> None:
        dropped_at: float | None = None
        for _attempt in range(RECONNECT_ATTEMPTS):
            try:
                async with self.browser.open_page("/notes") as page:
                    if dropped_at is not None:  # back: signed in, on /notes, their notes listed
                        await page.wait_for_text("note-list", self.acknowledged[-1])
                        self.back_at.append(time.monotonic())
                        self.reconnect_seconds.append(self.back_at[-1] - dropped_at)
                        dropped_at = None
                    await self._write(page, warmed_up, everyone_warm)
                    return
            except (websockets.ConnectionClosed, websockets.InvalidHandshake, OSError, TimeoutError):
                dropped_at = dropped_at or time.monotonic()
                await asyncio.sleep(0.2)  # as the page script backs off before reconnecting
        raise AssertionError(f"client {self.number} did not finish in {RECONNECT_ATTEMPTS} connections")

    async def _write(
        self, page: WebSocketPage, warmed_up: asyncio.Event, everyone_warm: asyncio.Barrier
    ) -> None:
        while len(self.acknowledged) < NOTES_PER_CLIENT:
            title = f"client {self.number} note {len(self.acknowledged)} {uuid.uuid4().hex[:8]}"
            try:
                await add_note(page, title)
            except BaseException:
                self.in_doubt.append(title)
                raise
            self.acknowledged.append(title)
            if len(self.acknowledged) == NOTES_BEFORE_THE_KILL and not warmed_up.is_set():
                await everyone_warm.wait()  # every client has a live connection when the kill comes
                warmed_up.set()


async def test_a_killed_instances_users_reconnect_elsewhere_and_no_acknowledged_write_is_lost(
    two_instances: Cluster, database: Database
) -> None:
    clients = [Client(number, await signed_in(two_instances.base_url)) for number in range(CLIENTS)]
    warmed_up, everyone_warm = asyncio.Event(), asyncio.Barrier(CLIENTS)
    async with asyncio.timeout(RUN_TIMEOUT):
        running = [asyncio.create_task(client.run(warmed_up, everyone_warm)) for client in clients]
        await warmed_up.wait()
        # The instance holding more connections: nginx alternates, so it holds at least half
        # of the websockets (idle keep-alive connections from nginx are a few at most).
        victim = max(range(2), key=lambda index: _connections_to(two_instances.instances[index]))
        held = _connections_to(two_instances.instances[victim])
        killed_at = time.monotonic()
        two_instances.kill(victim)
        await asyncio.gather(*running)
        finished_after = time.monotonic() - killed_at

    acknowledged = {title for client in clients for title in client.acknowledged}
    in_doubt = {title for client in clients for title in client.in_doubt}
    reconnects = [seconds for client in clients for seconds in client.reconnect_seconds]
    back_after_kill = [at - killed_at for client in clients for at in client.back_at]
    assert held > 0  # the kill did cut users off
    assert len(reconnects) > 0
    assert len(acknowledged) == CLIENTS * NOTES_PER_CLIENT  # and they all carried on
    assert await titles_in_database(database, acknowledged) == acknowledged
    found_in_doubt = await titles_in_database(database, in_doubt)
    print(
        f"\nscale-out: killed instance {victim} holding {held} connections; {len(reconnects)} "
        f"reconnects, drop to page back median {statistics.median(reconnects):.3f} s, max "
        f"{max(reconnects):.3f} s (last one {max(back_after_kill):.3f} s after the kill); "
        f"{len(acknowledged)} writes acknowledged, all found; {len(in_doubt)} in flight at the "
        f"kill, {len(found_in_doubt)} of them committed; all clients done {finished_after:.2f} s after the kill"
    )

    # The instance comes back on its port and serves the same users: nothing was in it.
    restarted = two_instances.restart(victim)
    async with clients[0].browser.at(restarted.base_url).open_page("/notes") as page:
        await page.wait_for_text("note-list", clients[0].acknowledged[-1])


def _connections_to(instance: LiveServer) -> int:
    """Open TCP connections to the instance's port (websockets, and nginx's idle keep-alives)."""
    port = int(instance.base_url.rsplit(":", 1)[1])
    connections = psutil.Process(instance.process.pid).net_connections(kind="tcp")
    return sum(1 for c in connections if c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)
