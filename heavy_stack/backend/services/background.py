"""Work the server repeats while it runs (catch-up jobs, housekeeping)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from heavy import is_unavailable

logger = logging.getLogger(__name__)


async def run_every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run ``job`` now and then every ``seconds`` until cancelled; a failure waits for the next round."""
    while True:
        try:
            await job()
        except Exception as error:
            if is_unavailable(error):  # an outage: expected, and said in one line
                logger.warning("%s skipped: the database is unavailable; next try in %.0f s", name, seconds)
            else:
                logger.exception("%s failed; next try in %.0f s", name, seconds)
        await asyncio.sleep(seconds)
