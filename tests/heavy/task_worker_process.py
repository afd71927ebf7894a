"""A queue worker in a process of its own, for the test that kills one mid-run (``kill -9``).

``python -m tests.heavy.task_worker_process SQL_URL TASK_NAME`` serves one task whose runs
report their first step and then wait forever: the test kills this process while it waits.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import heavy
from heavy import Database
from heavy.tasks.worker import TaskWorker

# Short, so the test waits little for the run to be picked again elsewhere.
HEARTBEAT_SECONDS = 1.0


@dataclass(frozen=True)
class Services:
    database: Database


async def main(sql_url: str, name: str) -> None:
    async def stuck(_services: Services, run: heavy.TaskRun) -> None:
        await run.report(1, 3, "first step done here")
        await asyncio.Event().wait()

    database = Database.connect(sql_url, sql_url, pool_size=1)
    worker = TaskWorker((heavy.Task(name, stuck),), heartbeat_seconds=HEARTBEAT_SECONDS)
    await worker.run(Services(database))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
