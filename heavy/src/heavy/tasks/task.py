"""Tasks: work queued in PostgreSQL (pgqueuer) that any server process runs, with progress.

A product declares a task with the ``task`` decorator and lists it in ``create_app(tasks=[...])``::

    @heavy.task(max_attempts=3)
    async def reindex_notes(services: AppServices, run: heavy.TaskRun) -> None:
        for done, note in enumerate(notes, 1):
            ...
            await run.report(done, len(notes), f"{done} of {len(notes)} notes")

and starts a run from a page (``await reindex_notes.start(database, owner=str(user.id))``). The
run is a row of pgqueuer's queue: it is committed before ``start`` returns, whichever process's
queue worker is free picks it, a failed attempt is queued again after a backoff delay, and a run
whose process died (``kill -9``) is picked again once its heartbeat is stale. What it reports
is stored in ``heavy_task_progress`` (``TaskProgress``), so a page shows it again after a
reload or a restart. ``schedule`` starts a task on a cron expression, once across all instances.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

import asyncpg
from heavy.data.db_connection import Database
from heavy.tasks.progress import (
    CANCELLED,
    FORGET_ENDED,
    FORGET_LOG,
    INSERT,
    LIVE_RUN,
    LOCK_OWNER,
    REPORTED,
    Fetches,
    TaskProgress,
    announce,
    latest_run,
    progress_from,
    write,
)
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import JobId
from pgqueuer.queries import Queries

ServicesT = TypeVar("ServicesT")

# What a run is given: JSON values by name.
Arguments = Mapping[str, Any]


class TaskAlreadyRunningError(RuntimeError):
    """A task that runs once per owner at a time was started while a run of it is still live."""


@dataclass(frozen=True)
class TaskRun:
    """One attempt of one run, as its task function sees it."""

    job_id: int
    task: str
    owner: str
    arguments: dict[str, Any]
    # 1 for the first attempt; more after failures (and after a worker that ran it died).
    attempt: int
    _progress: Fetches = field(repr=False)

    async def report(self, done: int, total: int | None = None, message: str = "") -> None:
        """Store how far the run is: ``done`` of ``total`` steps, and a line for the page.

        One small UPDATE each: call it per step of a job of hundreds of steps, not per item of
        millions. Ignored once the run was cancelled.
        """
        await write(self._progress, REPORTED, self.job_id, done, total, message)


TaskFunction = Callable[[ServicesT, TaskRun], Awaitable[None]]


@dataclass(frozen=True)
class Task(Generic[ServicesT]):
    """A kind of queued work: ``function(services, run)``, retried with exponential backoff."""

    name: str
    function: TaskFunction[ServicesT]
    # Attempts in all (the first one included) before the run is ``failed``.
    max_attempts: int = 3
    # Seconds before the second attempt; each later one waits ``backoff`` times longer.
    retry_delay: float = 1.0
    backoff: float = 2.0
    max_retry_delay: float = 300.0
    # At most one live run per owner: ``start`` raises ``TaskAlreadyRunningError`` meanwhile.
    one_per_owner: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"task {self.name}: max_attempts must be at least 1")
        if self.retry_delay < 0 or self.backoff < 1:
            raise ValueError(f"task {self.name}: retry_delay must be >= 0 and backoff >= 1")

    async def start(
        self, database: Database, owner: str, arguments: Arguments | None = None, message: str = "Queued"
    ) -> TaskProgress:
        """Queue a run for ``owner`` (committed when this returns); its progress row, queued.

        Raises ``TaskAlreadyRunningError`` when ``one_per_owner`` and a run is live, and
        ``TypeError`` when the arguments are not JSON.
        """
        payload = json.dumps({"owner": owner, "arguments": dict(arguments or {})}).encode()
        async with raw_connection(database) as connection, connection.transaction():
            if self.one_per_owner:
                # Told by the progress rows, as the pages see them (pgqueuer's own row of a run
                # that just ended may linger a moment, until its worker's log buffer is written).
                await connection.execute(LOCK_OWNER, f"{self.name}:{owner}")
                if await connection.fetchval(LIVE_RUN, self.name, owner) is not None:
                    raise TaskAlreadyRunningError(f"A run of {self.name} is already under way.")
            [job_id] = await Queries(AsyncpgDriver(connection)).enqueue(self.name, payload)
            row = await connection.fetchrow(f"{INSERT} RETURNING *", job_id, self.name, owner, message)
        progress = progress_from(dict(row))
        await announce(progress)  # committed: the owner's other pages show it too
        return progress

    async def cancel(self, database: Database, owner: str, job_id: int, message: str = "Cancelled") -> bool:
        """Cancel ``owner``'s run ``job_id``: a queued run never starts, a running one is told to
        stop (its worker cancels it at its next await). False if it was not live (or not theirs).
        """
        async with raw_connection(database) as connection, connection.transaction():
            row = await connection.fetchrow(f"{CANCELLED} RETURNING *", job_id, owner, message)
            if row is None:
                return False
            # pgqueuer takes it off the queue and notifies every worker (the one running it
            # stops) when this commits.
            await Queries(AsyncpgDriver(connection)).mark_job_as_cancelled([JobId(job_id)])
        await announce(progress_from(dict(row)))
        return True

    async def latest(self, owner: str) -> TaskProgress | None:
        """``owner``'s newest run of this task, read in the current unit of work."""
        return await latest_run(self.name, owner)


def task(
    name: str | None = None,
    *,
    max_attempts: int = 3,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    one_per_owner: bool = True,
) -> Callable[[TaskFunction[ServicesT]], Task[ServicesT]]:
    """Declare an async function ``(services, run)`` as a task (named after it by default)."""

    def declare(function: TaskFunction[ServicesT]) -> Task[ServicesT]:
        return Task(
            name or function.__name__,
            function,
            max_attempts=max_attempts,
            retry_delay=retry_delay,
            backoff=backoff,
            one_per_owner=one_per_owner,
        )

    return declare


@dataclass(frozen=True)
class Schedule(Generic[ServicesT]):
    """Start a run of ``task`` on a cron expression (``"*/5 * * * *"``), once across all instances."""

    cron: str
    task: Task[ServicesT]
    owner: str = "schedule"
    arguments: Arguments = field(default_factory=dict)


def schedule(cron: str, task: Task[ServicesT], owner: str = "schedule") -> Schedule[ServicesT]:
    """A schedule for ``create_app(schedules=[...])``: a run of ``task`` at each time ``cron`` names."""
    return Schedule(cron, task, owner)


async def forget_ended_runs(database: Database, older_than: timedelta) -> int:
    """Delete the progress of runs that ended more than ``older_than`` ago, and pgqueuer's log
    lines as old (both grow with every run); how many runs were forgotten. Live runs stay."""
    async with raw_connection(database) as connection, connection.transaction():
        forgotten = await connection.execute(FORGET_ENDED, older_than)
        await connection.execute(FORGET_LOG, older_than)
    return int(forgotten.split()[-1])


@asynccontextmanager
async def raw_connection(database: Database) -> AsyncIterator[asyncpg.Connection]:
    """The asyncpg connection under one of the pool's, for pgqueuer's calls (returned after)."""
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        yield raw.driver_connection
