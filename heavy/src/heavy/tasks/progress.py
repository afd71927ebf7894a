"""Where a task's run is, stored in ``heavy_task_progress``: read by pages, written by workers.

Writes go through an asyncpg connection (the worker's queue connection, or one taken from the
pool to start or cancel a run); each write is then published (``heavy.publish``) on the run's
topic (``progress_topic``), so the pages that show it follow at once, whichever process runs
it. Reads go through the page's unit of work (``db_session``), as plain reads. A run's row moves ``queued`` → ``running`` (→ ``retrying`` → ``running``)… and ends
``done``, ``failed`` or ``cancelled``; only a live run's row changes (a cancelled run's last
reports are dropped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from heavy.data.repository import current_db_session
from heavy.live.pubsub import MAX_TOPIC_CHARS, publish
from heavy.tasks.schema import TASK_PROGRESS
from sqlalchemy import select


class TaskState(StrEnum):
    """Where a run of a task is."""

    QUEUED = "queued"
    RUNNING = "running"
    # A failed attempt: the next one waits for its backoff delay.
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


LIVE_STATES = frozenset({TaskState.QUEUED, TaskState.RUNNING, TaskState.RETRYING})


@dataclass(frozen=True)
class TaskProgress:
    """One run of a task as last stored: its state, ``done`` of ``total`` steps, what it said."""

    job_id: int
    task: str
    owner: str
    state: TaskState
    done: int
    total: int | None
    message: str
    # Why the last attempt failed, in words (None while nothing failed).
    error: str | None
    attempt: int
    created: datetime
    updated: datetime

    @property
    def live(self) -> bool:
        """Queued, running or waiting to retry: it may still change."""
        return self.state in LIVE_STATES

    @property
    def percent(self) -> int:
        """How far it is, 0 to 100 (100 once done; 0 while the total is unknown)."""
        if self.state == TaskState.DONE:
            return 100
        if not self.total:
            return 0
        return max(0, min(100, round(100 * self.done / self.total)))


class Fetches(Protocol):
    """What the writes need of a connection: ``fetch`` (an asyncpg connection or pgqueuer driver)."""

    async def fetch(self, query: str, *args: object) -> Sequence[Mapping[str, Any]]: ...


_LIVE = "('queued', 'running', 'retrying')"

INSERT = (
    "INSERT INTO heavy_task_progress (job_id, task, owner, state, message) VALUES ($1, $2, $3, 'queued', $4)"
)
# Each attempt starts afresh: a run re-picked after its worker died reports from the start.
STARTED = (
    "UPDATE heavy_task_progress SET state = 'running', attempt = $2, done = 0, error = NULL, "
    f"updated = now() WHERE job_id = $1 AND state IN {_LIVE}"
)
REPORTED = (
    "UPDATE heavy_task_progress SET done = $2, total = $3, message = $4, updated = now() "
    "WHERE job_id = $1 AND state = 'running'"
)
ENDED = (
    "UPDATE heavy_task_progress SET state = $2, message = $3, error = $4, updated = now() "
    f"WHERE job_id = $1 AND state IN {_LIVE}"
)
# Two starts at once for one owner queue one run: the second waits for the first's commit.
LOCK_OWNER = "SELECT pg_advisory_xact_lock(hashtext($1))"
LIVE_RUN = (
    f"SELECT job_id FROM heavy_task_progress WHERE task = $1 AND owner = $2 AND state IN {_LIVE} LIMIT 1"
)
RETRYING = (
    "UPDATE heavy_task_progress SET state = 'retrying', error = $2, message = $3, updated = now() "
    "WHERE job_id = $1 AND state = 'running'"
)
# Its worker stopped on purpose: queued again at once, for the next worker.
REQUEUED = (
    "UPDATE heavy_task_progress SET state = 'queued', message = $2, updated = now() "
    "WHERE job_id = $1 AND state = 'running'"
)
# Housekeeping: ended runs' rows, and pgqueuer's log lines, older than an interval.
FORGET_ENDED = (
    f"DELETE FROM heavy_task_progress WHERE state NOT IN {_LIVE} AND updated < now() - $1::interval"
)
FORGET_LOG = "DELETE FROM pgqueuer_log WHERE created < now() - $1::interval"
CANCELLED = (
    "UPDATE heavy_task_progress SET state = 'cancelled', message = $3, updated = now() "
    f"WHERE job_id = $1 AND owner = $2 AND state IN {_LIVE}"
)


async def latest_run(task: str, owner: str) -> TaskProgress | None:
    """The newest run of ``task`` for ``owner``, in the current unit of work; None if none."""
    query = (
        select(TASK_PROGRESS)
        .where(TASK_PROGRESS.c.task == task, TASK_PROGRESS.c.owner == owner)
        .order_by(TASK_PROGRESS.c.job_id.desc())
        .limit(1)
    )
    connection = await current_db_session().connection()
    row = (await connection.execute(query)).mappings().first()
    return None if row is None else progress_from(dict(row))


def progress_from(row: Mapping[str, Any]) -> TaskProgress:
    """A stored progress row as a ``TaskProgress``."""
    return TaskProgress(**{**dict(row), "state": TaskState(row["state"])})


async def write(connection: Fetches, statement: str, *args: object) -> TaskProgress | None:
    """Run one of the statements above and publish the row it changed; None if none changed
    (the run had ended: a late report, a second cancel)."""
    rows = await connection.fetch(f"{statement} RETURNING *", *args)
    if not rows:
        return None
    progress = progress_from(dict(rows[0]))
    await announce(progress)
    return progress


async def announce(progress: TaskProgress) -> None:
    """Publish ``progress`` on its run's topic (a pub/sub failure is logged by the hub)."""
    await publish(progress_topic(progress.task, progress.owner), payload_of(progress))


def progress_topic(task: str, owner: str) -> str:
    """The pub/sub topic of ``owner``'s runs of ``task``."""
    topic = f"heavy.task:{task}:{owner}"
    if len(topic) > MAX_TOPIC_CHARS:  # a long owner key: its digest names it
        topic = f"heavy.task:{task}:{hashlib.sha256(owner.encode()).hexdigest()}"
    return topic[:MAX_TOPIC_CHARS]


def payload_of(progress: TaskProgress) -> dict[str, Any]:
    """``progress`` as JSON values (what is published)."""
    fields = asdict(progress)
    return {**fields, "created": progress.created.isoformat(), "updated": progress.updated.isoformat()}


def progress_of(payload: Mapping[str, Any]) -> TaskProgress:
    """What ``payload_of`` made, back as a ``TaskProgress``."""
    created, updated = datetime.fromisoformat(payload["created"]), datetime.fromisoformat(payload["updated"])
    return progress_from({**payload, "created": created, "updated": updated})


def newer(current: TaskProgress | None, candidate: TaskProgress | None) -> TaskProgress | None:
    """The later of two views of a run (a newer run wins; within a run, the later write)."""
    if current is None or candidate is None:
        return candidate or current
    later = (candidate.job_id, candidate.updated) >= (current.job_id, current.updated)
    return candidate if later else current
