"""Background jobs: work each server process runs while it serves, registered with ``create_app``.

A job is given the services its process opened. It starts once the process serves and is
cancelled (and waited for) before the services close. ``every`` makes the common kind: one
call now and then one every so many seconds, where a failure is logged and waits for the next
round. ``create_app(jobs=[...])`` is the one place a product lists its jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from heavy.data.db_connection import is_unavailable

logger = logging.getLogger(__name__)

ServicesT = TypeVar("ServicesT")


@dataclass(frozen=True)
class Job(Generic[ServicesT]):
    """Work one server process runs while it serves: ``run(services)``, cancelled at stop.

    ``run`` may return (the job is over) or run until cancelled; an exception it raises is
    logged and ends the job (``every`` keeps going after a failed round).
    """

    name: str
    run: Callable[[ServicesT], Awaitable[object]]

    async def run_logged(self, services: ServicesT) -> None:
        """``run(services)``, its failure logged with the job's name."""
        try:
            await self.run(services)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Job %s failed and stopped", self.name)


def every(seconds: float, job: Callable[[ServicesT], Awaitable[object]], name: str) -> Job[ServicesT]:
    """A job that calls ``job(services)`` at start and then every ``seconds``, until the server stops.

    A failing round is logged and the next one comes on time; a database that is unavailable
    is an expected outage, said in one WARNING line without a traceback.
    """
    if seconds <= 0:
        raise ValueError(f"every(): seconds must be positive, not {seconds!r} ({name})")

    async def repeat(services: ServicesT) -> None:
        while True:
            try:
                await job(services)
            except Exception as error:
                if is_unavailable(error):
                    logger.warning(
                        "%s skipped: the database is unavailable; next try in %.0f s", name, seconds
                    )
                else:
                    logger.exception("%s failed; next try in %.0f s", name, seconds)
            await asyncio.sleep(seconds)

    return Job(name, repeat)
