"""How long each section of a bench run took, printed as it ends and listed in the report."""

from __future__ import annotations

import time


class SectionClock:
    """Laps of a run: ``lap(name)`` records the time since the previous lap (or the start)."""

    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        seconds, self._last = now - self._last, now
        self.laps.append((name, seconds))
        print(f"[{name}: {seconds:.0f} s]")

    def summary(self) -> str:
        """One line: each section's seconds and the total."""
        total = sum(seconds for _, seconds in self.laps)
        parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.laps)
        return f"Run time by section: {parts}; total {total / 60:.1f} min."
