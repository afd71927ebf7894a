"""Reads by key: what ``heavy``'s ``KeyRead`` saves over SQLAlchemy's own ways, in this run.

``Repository.get`` sends a handler's first read by primary key past the ORM's per-statement
work (``heavy/src/heavy/data/key_read.py``): the one place the framework goes around
SQLAlchemy for speed. This case is its justification, measured beside the ways SQLAlchemy
offers: units of work of one ``users`` read each (a fresh session, the read, the commit and
close, as a click's handler does), in this process, on the embedded PostgreSQL. The ways take
turns, round after round, so a busy moment of the machine falls on all of them; each way's
figure is its best round. CPU is the process's own (``time.process_time``): PostgreSQL's
work is not in it, the wall time is.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from heavy import Database, Repository
from heavy.data.embedded_postgres import EmbeddedPostgres
from sqlmodel import select

from heavy_stack.backend.data.pave import pave
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.settings import Settings

ROUNDS = 5
KEY_READ = "`Repository.get` (heavy's `KeyRead`)"


@dataclass(frozen=True)
class KeyReadRow:
    """One way of reading a row by key, per unit of work."""

    way: str
    cpu_us: float
    wall_p50_us: float


async def measure_key_reads(data_dir: Path, units: int) -> list[KeyReadRow]:
    """CPU and wall time per unit of work with one read by key, for each way."""
    postgres = await EmbeddedPostgres.start(data_dir, Settings)
    database = Database.connect(postgres.sql_url, postgres.vector_url, pool_size=2)
    try:
        await pave(database.engine, database.vector_engine)
        async with database.transaction() as session:
            user = SQLUser(email="key-reads@example.com", display_name="Key Reads")
            session.add(user)
        users = Repository(SQLUser)
        by_key = select(SQLUser).where(SQLUser.id == user.id)

        async def repository_get() -> None:
            async with database.transaction():
                assert await users.get(user.id) is not None

        async def session_get() -> None:
            async with database.transaction() as session:
                assert await session.get(SQLUser, user.id) is not None

        async def orm_select() -> None:
            async with database.transaction() as session:
                assert (await session.exec(by_key)).first() is not None

        async def empty_unit() -> None:
            async with database.transaction():
                pass

        ways: dict[str, Callable[[], Awaitable[None]]] = {
            KEY_READ: repository_get,
            "`AsyncSession.get` (SQLAlchemy's, identity map first)": session_get,
            "the ORM's select by key, built once (`session.exec`)": orm_select,
            "an empty unit of work (no statement)": empty_unit,
        }
        best: dict[str, tuple[float, float]] = {}
        for _ in range(ROUNDS):
            for way, unit in ways.items():
                cpu, wall = await _time(unit, units)
                previous = best.get(way)
                best[way] = (cpu, wall) if previous is None or cpu < previous[0] else previous
        return [KeyReadRow(way, cpu, wall) for way, (cpu, wall) in best.items()]
    finally:
        await database.close()
        await postgres.stop()


async def _time(unit: Callable[[], Awaitable[None]], units: int) -> tuple[float, float]:
    """(CPU µs per unit, wall p50 µs) over ``units`` runs after a few to warm up."""
    for _ in range(max(units // 10, 5)):
        await unit()
    walls = []
    cpu_started = time.process_time()
    for _ in range(units):
        started = time.perf_counter()
        await unit()
        walls.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu_started
    return cpu / units * 1e6, statistics.median(walls) * 1e6


def key_read_table(rows: list[KeyReadRow], units: int) -> list[str]:
    """The report's lines: each way, and its CPU as a multiple of ``KeyRead``'s."""
    baseline = next(row.cpu_us for row in rows if row.way == KEY_READ)
    lines = [
        "",
        f"Reads by key: {units} units of work of one `users` read each, per way, in one process "
        f"(best of {ROUNDS} interleaved rounds). `KeyRead` is the framework's one way around "
        "SQLAlchemy, kept for this figure.",
        "",
        "| way | CPU µs per unit | × KeyRead | wall p50 µs |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row.way} | {row.cpu_us:.0f} | {row.cpu_us / baseline:.2f} | {row.wall_p50_us:.0f} |"
        )
    return lines
