"""Counting the event loop's turns: under load every turn waits for all the other pages' ready
work, so what waits one turn more comes that much later."""

from __future__ import annotations

import asyncio


class TurnCounter:
    """Counts the event loop's turns while it runs: a callback that schedules itself again."""

    def __init__(self) -> None:
        self.turns = 0
        self._running = True
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        if self._running:
            self.turns += 1
            asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._running = False
