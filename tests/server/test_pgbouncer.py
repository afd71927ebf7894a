"""PgBouncer in the cluster: the instances' SQL goes through it, in transaction mode.

The suite's cluster (``two_instances``) reaches the test databases through ``cluster_pgbouncer``
(tests/conftest.py), as ``make cluster`` does: every cluster test runs on it. These tests look at
PgBouncer's own books (its admin console) while pages write and read, and kill it under a page.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

import psutil
import pytest
from heavy import UNAVAILABLE
from heavy.data.db_connection import Database
from heavy.testing.cluster import Cluster
from heavy.testing.pgbouncer import PgBouncer
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from heavy_stack.backend.data.sql_models.note import SQLNote

from tests.server.test_scale_out import add_note, signed_in, titles_in_database

pytestmark = [pytest.mark.server, pytest.mark.scale]

READY_AGAIN_SECONDS = 20.0
# More clients at once than PgBouncer has server connections (conftest: 5 per database).
CONCURRENT_UNITS = 20
UNITS_EACH = 8


async def units_at_once(database: Database) -> list[BaseException]:
    """``CONCURRENT_UNITS`` tasks running units of work in a loop: plain reads (sent alone, no
    BEGIN: ``begin_on_first_write``) and a statement in a transaction; what each failure was."""

    async def units(number: int) -> None:
        for round_ in range(UNITS_EACH):
            async with database.transaction() as session:
                title = f"no such note {number}-{round_}"
                await session.exec(
                    select(func.count()).select_from(SQLNote).where(col(SQLNote.title) == title)
                )
                await session.exec(select(col(SQLNote.id)).limit(1))
                await session.scalar(text("SELECT pg_backend_pid()"))  # text: BEGIN first

    outcomes = await asyncio.gather(
        *(units(number) for number in range(CONCURRENT_UNITS)), return_exceptions=True
    )
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]


async def test_units_at_once_through_pgbouncer_need_unprepared_statements(
    cluster_pgbouncer: PgBouncer, database_urls: tuple[str, str], database: Database
) -> None:
    """Behind PgBouncer a statement's prepare and its run may land on different server
    connections: asyncpg's prepared statements fail there, heavy's DB_POOLER=transaction not.
    (``database``: the tables the reads name are paved.)"""
    pooled_urls = [cluster_pgbouncer.pooled_url(url) for url in database_urls]
    as_usual = Database.connect(*pooled_urls, pool_size=CONCURRENT_UNITS)
    try:
        failures = await units_at_once(as_usual)
    finally:
        await as_usual.close()
    assert failures, "prepared statements never missed their server connection: the test shows nothing"
    assert all(
        isinstance(failure, DBAPIError) and "prepared statement" in str(failure) for failure in failures
    )

    unprepared = Database.connect(
        *pooled_urls, pool_size=CONCURRENT_UNITS, transaction_pooler=True, direct_sql_url=database_urls[0]
    )
    try:
        assert await units_at_once(unprepared) == []
    finally:
        await unprepared.close()


def sql_database(bouncer: PgBouncer) -> str:
    """The SQL database's name in PgBouncer's books: the suite's test database, whatever its name
    (a renamed copy's suite runs on scratch databases of its own)."""
    return bouncer.databases[0].name


def served_transactions(bouncer: PgBouncer) -> int:
    """Transactions PgBouncer has passed to the SQL database since it started."""
    [row] = [row for row in bouncer.show("STATS") if row["database"] == sql_database(bouncer)]
    return int(row["total_xact_count"])


def client_ports_of(process_id: int, bouncer: PgBouncer) -> set[int]:
    """The local ports of ``process_id``'s TCP connections to PgBouncer."""
    connections = psutil.Process(process_id).net_connections(kind="tcp")
    return {each.laddr.port for each in connections if each.raddr and each.raddr.port == bouncer.port}


async def test_the_instances_sql_goes_through_pgbouncer_within_its_pool(
    two_instances: Cluster, cluster_pgbouncer: PgBouncer, database: Database
) -> None:
    browser = await signed_in(two_instances.base_url)
    before = served_transactions(cluster_pgbouncer)
    title = f"through pgbouncer {uuid.uuid4().hex[:8]}"
    async with browser.open_page("/notes") as page:
        await add_note(page, title)
    # Read back on a new page (through either instance) and in the database.
    async with browser.open_page("/notes") as page:
        await page.wait_for_text("note-list", title)
    assert await titles_in_database(database, {title}) == {title}
    assert served_transactions(cluster_pgbouncer) > before

    # Each instance's pooled connections are PgBouncer's clients; no instance reaches the
    # databases past it except for sessions (the task queue, on SQL_DIRECT_URL).
    clients = cluster_pgbouncer.show("CLIENTS")
    client_ports = {
        int(row["port"])
        for row in clients
        if row["database"] in {each.name for each in cluster_pgbouncer.databases}
    }
    for instance in two_instances.instances:
        ports = client_ports_of(instance.process.pid, cluster_pgbouncer)
        assert ports, f"instance {instance.base_url} has no connection to PgBouncer"
        assert ports <= client_ports

    # PostgreSQL sees PgBouncer's server connections only, at most its pool size per database.
    servers = cluster_pgbouncer.show("SERVERS")
    per_database = Counter(row["database"] for row in servers)
    assert per_database[sql_database(cluster_pgbouncer)] >= 1
    assert max(per_database.values()) <= cluster_pgbouncer.pool_size
    backend_ids = [int(row["remote_pid"]) for row in servers]
    async with database.transaction() as session:
        statement = text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:ids)")
        assert await session.scalar(statement, {"ids": backend_ids}) == len(backend_ids)
    # What make cluster prints about it: where it listens and its pool sizes.
    summary = cluster_pgbouncer.summary()
    assert cluster_pgbouncer.address in summary
    assert f"at most {cluster_pgbouncer.pool_size} server connections per database" in summary
    print(
        f"\nPgBouncer: {len(clients)} client connections (both instances, both databases), "
        f"{dict(per_database)} server connections (pool size {cluster_pgbouncer.pool_size})"
    )


async def test_pages_survive_pgbouncer_killed_and_started_again(
    two_instances: Cluster, cluster_pgbouncer: PgBouncer, database: Database
) -> None:
    browser = await signed_in(two_instances.base_url)
    logs_before = [len(instance.log()) for instance in two_instances.instances]
    marker = uuid.uuid4().hex[:8]
    before, during, after = (f"{when} the pgbouncer kill {marker}" for when in ("before", "during", "after"))
    async with browser.open_page("/notes") as page:
        await add_note(page, before)
        cluster_pgbouncer.kill()
        try:
            await page.type("new-note-title", during)
            await page.type("new-note-body", "written while PgBouncer was down")
            await page.submit("new-note-form")
            await page.wait_for_text("app-notice", UNAVAILABLE, timeout=10)
        finally:
            cluster_pgbouncer.start()
        await asyncio.gather(*(ready_again(instance.base_url) for instance in two_instances.instances))
        # The same page writes again: its instance's pool has renewed its connections.
        await add_note(page, after)
    assert await titles_in_database(database, {before, during, after}) == {before, after}
    for instance, start in zip(two_instances.instances, logs_before, strict=True):
        assert "Traceback" not in instance.log()[start:]


async def ready_again(base_url: str) -> None:
    """Until ``base_url``'s /readyz says both databases answer (its pool renews its connections)."""
    deadline = time.monotonic() + READY_AGAIN_SECONDS
    while (await asyncio.to_thread(_status, base_url + "/readyz")) != 200:
        assert time.monotonic() < deadline, f"{base_url} not ready again after PgBouncer was started"
        await asyncio.sleep(0.2)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
