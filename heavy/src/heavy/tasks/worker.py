"""Each server process's queue worker: pgqueuer's ``QueueManager`` (and ``SchedulerManager``)
on a connection of its own, running the product's tasks.

``create_app`` runs one per server process (a ``Job``), so every worker of every instance takes
runs from the one queue. A run is told ``TaskRun``; its attempt and outcome are stored in
``heavy_task_progress``. A failed attempt is queued again after ``retry_delay * backoff**n``
seconds (pgqueuer's ``RetryRequested``: the queue row waits, in the database), until
``max_attempts``. A process that dies leaves its runs ``picked``: their heartbeat goes stale
and another worker picks them again after ``heartbeat_seconds``. A process that stops on
purpose puts its runs back on the queue at once (a stop counts as an attempt).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

import asyncpg
from heavy.data.db_connection import Database, is_unavailable
from heavy.heavy_context import Services
from heavy.i18n import N_
from heavy.tasks.progress import ENDED, REQUEUED, RETRYING, STARTED, Fetches, TaskState, write
from heavy.tasks.task import Schedule, Task, TaskAlreadyRunningError, TaskRun
from pgqueuer.db import AsyncpgDriver
from pgqueuer.errors import RetryRequested
from pgqueuer.executors import AbstractEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Context, Job
from pgqueuer.qm import QueueManager
from pgqueuer.queries import Queries
from pgqueuer.sm import SchedulerManager
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

ServicesT = TypeVar("ServicesT", bound=Services)

# After the queue's connection failed: the next try waits this long.
RECONNECT_SECONDS = 5.0
# How long a stopping worker waits for its runs to go back on the queue.
STOP_SECONDS = 1.5
FAILED_MESSAGE = "Failed"
DONE_MESSAGE = "Done"


@dataclass
class TaskWorker(Generic[ServicesT]):
    """The queue worker of one server process, for ``tasks`` and ``schedules``."""

    tasks: tuple[Task[ServicesT], ...]
    schedules: tuple[Schedule[ServicesT], ...] = ()
    # A run whose worker has not beaten for this long is picked again by another.
    heartbeat_seconds: float = 10.0
    stopping: bool = field(default=False, init=False)
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        names = [task.name for task in self.tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"Two tasks share a name: {sorted(names)}")
        if missing := {item.task.name for item in self.schedules} - set(names):
            raise ValueError(f"Scheduled tasks missing from tasks=[...]: {sorted(missing)}")

    async def run(self, services: ServicesT) -> None:
        """Serve the queue until cancelled; a lost connection is opened again."""
        while True:
            try:
                await self._serve(services)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if is_unavailable(error) or isinstance(error, asyncpg.PostgresConnectionError | OSError):
                    logger.warning(
                        "Task queue: the database is unavailable; next try in %.0f s", RECONNECT_SECONDS
                    )
                elif isinstance(error, RuntimeError) and "is missing" in str(error):
                    # pgqueuer's own check of its tables: the migrations have not run.
                    logger.error(
                        "Task queue: its tables are missing (run the migrations: the product's "
                        "revision that calls heavy.create_task_queue); next try in %.0f s",
                        RECONNECT_SECONDS,
                    )
                else:
                    logger.exception("Task queue failed; next try in %.0f s", RECONNECT_SECONDS)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _serve(self, services: ServicesT) -> None:
        async with AsyncExitStack() as connections:
            driver = AsyncpgDriver(await self._connect(services, connections))
            queue = QueueManager(Queries(driver))
            for item in self.tasks:
                queue.register_executor(item.name, _Executor(_parameters(), item, services, driver, self))
            managers: list[QueueManager | SchedulerManager] = [queue]
            runners = [_runner(queue.run(**self._run_options()), "task queue")]
            if self.schedules:
                # A connection of its own: asyncpg runs one operation at a time per connection,
                # and the schedules' inserts would collide with the queue's dequeues.
                schedules_driver = AsyncpgDriver(await self._connect(services, connections))
                scheduler = _scheduler(Queries(schedules_driver), self.schedules, services)
                managers.append(scheduler)
                runners.append(_runner(scheduler.run(), "task schedules"))
            try:
                done, _pending = await asyncio.wait(runners, return_when=asyncio.FIRST_COMPLETED)
                for runner in done:
                    runner.result()  # a manager that ended raises why; else it was told to stop
            finally:
                await self._stop(managers, runners)

    @staticmethod
    async def _connect(services: ServicesT, connections: AsyncExitStack) -> asyncpg.Connection:
        connection = await asyncpg.connect(dsn_of(services.database), timeout=RECONNECT_SECONDS)
        connections.push_async_callback(connection.close, timeout=STOP_SECONDS)
        return connection

    def _run_options(self) -> dict[str, Any]:
        beat = timedelta(seconds=self.heartbeat_seconds)
        # Stale runs are looked for on each dequeue: at least once per heartbeat period.
        return {"dequeue_timeout": beat, "heartbeat_timeout": beat, "batch_size": 1}

    async def _stop(
        self, managers: list[QueueManager | SchedulerManager], runners: list[asyncio.Task[None]]
    ) -> None:
        # The server stops: runs in flight go back on the queue for another worker.
        self.stopping = True
        for running in list(self.in_flight):
            running.cancel()
        for manager in managers:
            manager.shutdown.set()
        _done, stuck = await asyncio.wait(runners, timeout=STOP_SECONDS)
        for runner in stuck:
            runner.cancel()
        self.stopping = False


@dataclass
class _Executor(AbstractEntrypointExecutor, Generic[ServicesT]):
    """Runs one task's attempts: progress stored, failures retried with backoff, cancel obeyed."""

    task: Task[ServicesT]
    services: ServicesT
    progress: Fetches
    worker: TaskWorker[ServicesT]

    async def execute(self, job: Job, context: Context) -> None:
        payload = json.loads(job.payload or b"{}")
        attempt = job.attempts + 1
        run = TaskRun(job.id, self.task.name, payload["owner"], payload["arguments"], attempt, self.progress)
        await write(self.progress, STARTED, job.id, attempt)
        current = asyncio.current_task()
        assert current is not None
        self.worker.in_flight.add(current)
        try:
            with context.cancellation:
                await self.task.function(self.services, run)
        except asyncio.CancelledError:
            if not self.worker.stopping:
                raise
            # Stored in English (no visitor here); a page shows it through heavy's catalogue.
            await write(
                self.progress, REQUEUED, job.id, N_("Waiting for a server (the one running it stopped)")
            )
            raise RetryRequested(delay=timedelta(0), reason="the server stopped") from None
        except Exception as error:
            await self._failed(job, attempt, error)
        else:
            cancelled = context.cancellation.cancel_called
            state = TaskState.CANCELLED if cancelled else TaskState.DONE
            message = "Cancelled" if cancelled else DONE_MESSAGE
            await write(self.progress, ENDED, job.id, state.value, message, None)
        finally:
            self.worker.in_flight.discard(current)

    async def _failed(self, job: Job, attempt: int, error: Exception) -> None:
        reason = describe(error)
        if attempt >= self.task.max_attempts:
            logger.warning(
                "Task %s (run %d) failed for good on attempt %d: %s", self.task.name, job.id, attempt, reason
            )
            await write(self.progress, ENDED, job.id, TaskState.FAILED.value, FAILED_MESSAGE, reason)
            raise error
        delay = min(self.task.retry_delay * self.task.backoff ** (attempt - 1), self.task.max_retry_delay)
        logger.warning(
            "Task %s (run %d) attempt %d failed (%s); next attempt in %.1f s",
            self.task.name,
            job.id,
            attempt,
            reason,
            delay,
        )
        retry_message = f"Attempt {attempt} failed; trying again in {delay:.0f} s"
        await write(self.progress, RETRYING, job.id, reason, retry_message)
        raise RetryRequested(delay=timedelta(seconds=delay), reason=reason) from error


def _runner(work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    """A manager's task. What it raises is read by ``_serve`` while it serves; a failure while the
    process stops (a query cut off by the stop, a connection closed under it) is expected and
    must not come back at exit as "Task exception was never retrieved"."""
    task = asyncio.create_task(work, name=name)
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return task


def _parameters() -> EntrypointExecutorParameters:
    # pgqueuer's own parameters: no per-task concurrency limit, a failed run's row deleted (its
    # outcome is in heavy_task_progress and pgqueuer's log).
    async def unused(job: Job) -> None:
        raise NotImplementedError

    return EntrypointExecutorParameters(concurrency_limit=0, func=unused)


def _scheduler(
    queries: Queries, schedules: tuple[Schedule[ServicesT], ...], services: ServicesT
) -> SchedulerManager:
    scheduler = SchedulerManager(queries)
    for item in schedules:

        async def start(_schedule: object, item: Schedule[ServicesT] = item) -> None:
            try:
                await item.task.start(services.database, item.owner, item.arguments, "Scheduled")
            except TaskAlreadyRunningError:
                logger.info("Schedule of %s: the last run is still under way, none started", item.task.name)

        scheduler.schedule(f"heavy:{item.task.name}:{item.owner}", item.cron)(start)
    return scheduler


def describe(error: BaseException) -> str:
    """An exception in one short line of words (its first line, or its type's name)."""
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return text or type(error).__name__


def dsn_of(database: Database) -> str:
    """The SQL database's URL as asyncpg takes it (no SQLAlchemy driver name), without a
    transaction pooler: pgqueuer LISTENs and takes session advisory locks on its connections."""
    url = make_url(database.direct_sql_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
