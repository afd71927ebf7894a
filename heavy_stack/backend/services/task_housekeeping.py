"""A scheduled task: every night, the progress of task runs that ended a month ago is forgotten.

Scheduled with ``heavy.schedule`` (a cron expression pgqueuer's scheduler keeps): one worker
across all instances starts it at each time, and it runs like any task (retried if it fails).
"""

from __future__ import annotations

from datetime import timedelta

import heavy

from heavy_stack.backend.services.container import AppServices

# How long the outcome of an ended run stays to be seen ("Done: 12 of 12 notes re-indexed.").
ENDED_RUNS_KEPT = timedelta(days=30)
# Every night at 03:17 UTC (not on the hour, when other scheduled work tends to run).
NIGHTLY = "17 3 * * *"


@heavy.task(max_attempts=2)
async def forget_old_task_runs(services: AppServices, run: heavy.TaskRun) -> None:
    """Forget the runs that ended more than ``ENDED_RUNS_KEPT`` ago."""
    forgotten = await heavy.forget_ended_runs(services.database, ENDED_RUNS_KEPT)
    await run.report(forgotten, forgotten, f"{forgotten} ended task runs forgotten")
