"""Tasks (``heavy.task``): queued in PostgreSQL, run by a worker, retried with backoff, cancelled,
picked again when their worker is killed or stops. Real database, real workers; each test
uses task names and owners of its own, so runs never cross between tests."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import heavy
import pytest
from heavy import Database, Task, TaskProgress, TaskState
from heavy.live.pubsub import TopicMessage, current_pubsub
from heavy.tasks.progress import progress_of, progress_topic
from heavy.tasks.task import raw_connection
from heavy.tasks.worker import TaskWorker

from heavy_stack.settings import PROJECT_ROOT

from tests.heavy import task_worker_process

WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Services:
    database: Database


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def worker(
    database: Database, tasks: Sequence[Task[Services]], heartbeat_seconds: float = 1.0
) -> AsyncIterator[asyncio.Task[None]]:
    """A queue worker for ``tasks`` in this process; stopped (as a server stops it) on exit."""
    running = asyncio.create_task(
        TaskWorker(tuple(tasks), heartbeat_seconds=heartbeat_seconds).run(Services(database))
    )
    try:
        yield running
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def latest(database: Database, task: Task[Services], owner: str) -> TaskProgress | None:
    async with database.transaction(read_only=True):
        return await task.latest(owner)


async def wait_for(
    database: Database, task: Task[Services], owner: str, done: Callable[[TaskProgress], bool]
) -> TaskProgress:
    """The run once ``done(run)`` holds (fails after WAIT_SECONDS with the last state seen)."""
    deadline = time.monotonic() + WAIT_SECONDS
    progress = None
    while time.monotonic() < deadline:
        progress = await latest(database, task, owner)
        if progress is not None and done(progress):
            return progress
        await asyncio.sleep(0.05)
    raise AssertionError(f"the run never got there; last seen: {progress}")


def ended(progress: TaskProgress) -> bool:
    return not progress.live


async def test_a_failed_attempt_is_retried_after_its_backoff_and_the_run_reports_to_the_end(
    database: Database,
) -> None:
    attempts: list[tuple[int, float]] = []

    async def flaky(_services: Services, run: heavy.TaskRun) -> None:
        attempts.append((run.attempt, time.monotonic()))
        await run.report(1, 2, "half way")
        if run.attempt == 1:
            raise ConnectionError("the mail server hung up")
        await run.report(2, 2, "all done")

    task = heavy.task(unique("flaky"), retry_delay=0.5)(flaky)
    owner = unique("owner")
    async with worker(database, [task]):
        started = await task.start(database, owner, {"what": "mail"})
        assert started.state == TaskState.QUEUED
        retrying = await wait_for(database, task, owner, lambda run: run.state == TaskState.RETRYING)
        assert retrying.error == "the mail server hung up"
        finished = await wait_for(database, task, owner, ended)
    assert (finished.state, finished.done, finished.total, finished.attempt) == (TaskState.DONE, 2, 2, 2)
    assert finished.percent == 100
    # The second attempt waited for its backoff in the queue (the row's execute_after).
    [(_, first), (_, second)] = attempts
    assert second - first >= 0.5


async def test_a_run_that_fails_every_attempt_ends_failed_with_its_reason_in_words(
    database: Database,
) -> None:
    async def broken(_services: Services, run: heavy.TaskRun) -> None:
        raise RuntimeError(f"the disk is full (attempt {run.attempt})")

    task = heavy.task(unique("broken"), max_attempts=2, retry_delay=0.1)(broken)
    owner = unique("owner")
    async with worker(database, [task]):
        await task.start(database, owner)
        failed = await wait_for(database, task, owner, ended)
    assert (failed.state, failed.attempt, failed.error) == (
        TaskState.FAILED,
        2,
        "the disk is full (attempt 2)",
    )


async def test_cancel_stops_a_running_run_at_its_next_await_and_a_queued_one_before_it_starts(
    database: Database,
) -> None:
    stopped = asyncio.Event()

    async def endless(_services: Services, run: heavy.TaskRun) -> None:
        await run.report(1, 10, "first of ten")
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    task = heavy.task(unique("endless"))(endless)
    owner, other = unique("owner"), unique("other")
    queued = await task.start(database, other)
    # Only its owner cancels a run.
    assert not await task.cancel(database, owner, queued.job_id)
    assert await task.cancel(database, other, queued.job_id)
    async with worker(database, [task]):
        run = await task.start(database, owner)
        await wait_for(database, task, owner, lambda progress: progress.done == 1)
        assert await task.cancel(database, owner, run.job_id)
        await asyncio.wait_for(stopped.wait(), WAIT_SECONDS)
        cancelled = await wait_for(database, task, owner, ended)
    assert (cancelled.state, cancelled.done) == (TaskState.CANCELLED, 1)
    never_ran = await latest(database, task, other)
    assert never_ran is not None
    assert (never_ran.state, never_ran.attempt) == (TaskState.CANCELLED, 0)
    assert not await task.cancel(database, owner, run.job_id)  # over already


async def test_one_live_run_per_owner(database: Database) -> None:
    async def quick(_services: Services, run: heavy.TaskRun) -> None:
        await run.report(1, 1)

    task = heavy.task(unique("once"))(quick)
    owner = unique("owner")
    await task.start(database, owner)
    with pytest.raises(heavy.TaskAlreadyRunningError):
        await task.start(database, owner)
    await task.start(database, unique("someone-else"))
    async with worker(database, [task]):
        await wait_for(database, task, owner, ended)
        await task.start(database, owner)  # the last one ended: a new one may start
        assert (await wait_for(database, task, owner, ended)).state == TaskState.DONE


async def test_a_run_whose_worker_is_killed_mid_run_is_picked_again_by_another(
    database: Database, database_urls: tuple[str, str]
) -> None:
    name, owner = unique("survivor"), unique("owner")

    async def finish(_services: Services, run: heavy.TaskRun) -> None:
        for step in range(1, 4):
            await run.report(step, 3, f"step {step} elsewhere")

    task = heavy.task(name)(finish)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", task_worker_process.__name__, database_urls[0], name, cwd=PROJECT_ROOT
    )
    try:
        await task.start(database, owner)
        midway = await wait_for(
            database, task, owner, lambda run: run.done == 1 or process.returncode is not None
        )
        assert midway.message == "first step done here", f"the worker process ended: {process.returncode}"
    finally:
        process.kill()  # SIGKILL: no goodbye, the run stays picked with a stale heartbeat
        await process.wait()
    async with worker(database, [task], heartbeat_seconds=task_worker_process.HEARTBEAT_SECONDS):
        finished = await wait_for(database, task, owner, ended)
    assert (finished.state, finished.done, finished.message) == (TaskState.DONE, 3, "Done")


async def test_a_stopping_worker_puts_its_run_back_on_the_queue_for_the_next(database: Database) -> None:
    first_attempt = asyncio.Event()

    async def long(_services: Services, run: heavy.TaskRun) -> None:
        await run.report(1, 2)
        if run.attempt == 1:
            first_attempt.set()
            await asyncio.Event().wait()
        await run.report(2, 2)

    task = heavy.task(unique("long"))(long)
    owner = unique("owner")
    async with worker(database, [task]):
        await task.start(database, owner)
        await asyncio.wait_for(first_attempt.wait(), WAIT_SECONDS)
    back = await latest(database, task, owner)
    assert back is not None
    assert back.state == TaskState.QUEUED
    async with worker(database, [task]):
        finished = await wait_for(database, task, owner, ended)
    assert (finished.state, finished.done) == (TaskState.DONE, 2)


def test_tasks_are_checked_when_the_app_is_built() -> None:
    async def nothing(_services: Services, _run: heavy.TaskRun) -> None: ...

    one = heavy.task("same")(nothing)
    with pytest.raises(ValueError, match="share a name"):
        TaskWorker((one, heavy.task("same")(nothing)))
    with pytest.raises(ValueError, match="missing from tasks"):
        TaskWorker((one,), (heavy.schedule("*/5 * * * *", heavy.task("other")(nothing)),))
    with pytest.raises(ValueError, match="max_attempts"):
        heavy.task("never", max_attempts=0)(nothing)


async def test_every_write_of_a_runs_progress_is_published_on_its_owners_topic(database: Database) -> None:
    async def counting(_services: Services, run: heavy.TaskRun) -> None:
        for step in range(1, 4):
            await run.report(step, 3, f"{step} of 3")

    task = heavy.task(unique("counting"))(counting)
    owner = unique("owner")
    seen: list[tuple[str, int, str]] = []
    finished = asyncio.Event()

    def follow(message: TopicMessage) -> None:
        progress = progress_of(message.payload)
        seen.append((progress.state, progress.done, progress.message))
        if not progress.live:
            finished.set()

    subscription = current_pubsub().subscribe(progress_topic(task.name, owner), follow)
    try:
        async with worker(database, [task]):
            await task.start(database, owner)
            await asyncio.wait_for(finished.wait(), WAIT_SECONDS)
    finally:
        subscription.close()
    assert seen == [
        ("queued", 0, "Queued"),
        ("running", 0, "Queued"),
        ("running", 1, "1 of 3"),
        ("running", 2, "2 of 3"),
        ("running", 3, "3 of 3"),
        ("done", 3, "Done"),
    ]


async def test_housekeeping_forgets_runs_that_ended_long_ago_and_keeps_the_rest(database: Database) -> None:
    async def quick(_services: Services, run: heavy.TaskRun) -> None:
        await run.report(1, 1)

    task = heavy.task(unique("old"))(quick)
    old, recent, live = unique("old"), unique("recent"), unique("live")
    async with worker(database, [task]):
        for owner in (old, recent):
            await task.start(database, owner)
            await wait_for(database, task, owner, ended)
    await task.start(database, live)  # no worker now: it stays queued
    async with raw_connection(database) as connection:
        await connection.execute(
            "UPDATE heavy_task_progress SET updated = now() - interval '40 days' WHERE owner = ANY($1)",
            [old, live],
        )
    assert await heavy.forget_ended_runs(database, timedelta(days=30)) >= 1
    assert await latest(database, task, old) is None
    assert await latest(database, task, recent) is not None
    assert await latest(database, task, live) is not None


async def test_a_schedule_is_registered_with_pgqueuers_scheduler_when_the_worker_starts(
    database: Database,
) -> None:
    async def nightly(_services: Services, _run: heavy.TaskRun) -> None: ...

    task = heavy.task(unique("nightly"))(nightly)
    owner = unique("owner")
    running = asyncio.create_task(
        TaskWorker((task,), (heavy.schedule("17 3 * * *", task, owner),), heartbeat_seconds=1.0).run(
            Services(database)
        )
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        async with raw_connection(database) as connection:
            while not await connection.fetchval(
                "SELECT count(*) FROM pgqueuer_schedules WHERE entrypoint = $1", f"heavy:{task.name}:{owner}"
            ):
                assert time.monotonic() < deadline, "the schedule was never registered"
                await asyncio.sleep(0.05)
            expression = await connection.fetchval(
                "SELECT expression FROM pgqueuer_schedules WHERE entrypoint = $1",
                f"heavy:{task.name}:{owner}",
            )
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert expression == "17 3 * * *"
