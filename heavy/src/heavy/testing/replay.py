"""Run a Locust replay of a recording headless and read its figures (for tests and benchmarks).

The Locust file is the product's (it knows the product's pages and how its browser answers);
this runs it and reads what Locust wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heavy.stream.recording import RecordedEvent, RecordedVisit
from heavy.testing.cpu_watch import GENERATOR_PREFIX, LIMIT_PREFIX


@dataclass(frozen=True)
class EventStats:
    """Locust's figures for one kind of event (or all of them)."""

    name: str
    requests: int
    failures: int
    response_times: dict[float, int]  # Locust's rounded milliseconds -> count
    first_request: float
    last_request: float

    def percentile(self, fraction: float) -> float:
        """The response time (ms) below which ``fraction`` of the responses fall."""
        wanted = fraction * sum(self.response_times.values())
        seen = 0
        for milliseconds, count in sorted(self.response_times.items()):
            seen += count
            if seen >= wanted:
                return milliseconds
        return 0.0


@dataclass(frozen=True)
class ReplayResult:
    """What a headless Locust replay did: per event, overall, and its exit code."""

    events: dict[str, EventStats]
    exit_code: int
    output: str

    @property
    def limit(self) -> str | None:
        """Which side limited the run, as the Locust file's CPU report said (``cpu_watch``)."""
        return self._reported(LIMIT_PREFIX)

    @property
    def generator_cpu(self) -> float | None:
        """The load generator's CPU over the run as the CPU report said it, all of Locust's
        processes (1.0 = one core); None when the Locust file reports none."""
        reported = self._reported(GENERATOR_PREFIX)
        return int(reported.split("%", 1)[0]) / 100 if reported else None

    def _reported(self, prefix: str) -> str | None:
        found = [line.strip() for line in self.output.splitlines() if line.strip().startswith(prefix)]
        return found[-1].removeprefix(prefix) if found else None

    def errors(self) -> list[tuple[int, str]]:
        """Locust's error report: how often each error happened, the most frequent first."""
        lines = self.output.splitlines()
        if "Error report" not in lines:
            return []
        found = []
        for line in lines[lines.index("Error report") + 3 :]:  # its heading and two rules
            count, _, error = line.strip().partition(" ")
            if not count.isdigit():
                break
            found.append((int(count), error.strip()))
        return sorted(found, key=lambda counted: -counted[0])

    @property
    def total(self) -> EventStats:
        times: dict[float, int] = {}
        for stats in self.events.values():
            for milliseconds, count in stats.response_times.items():
                times[milliseconds] = times.get(milliseconds, 0) + count
        return EventStats(
            "all",
            sum(stats.requests for stats in self.events.values()),
            sum(stats.failures for stats in self.events.values()),
            times,
            min((stats.first_request for stats in self.events.values()), default=0.0),
            max((stats.last_request for stats in self.events.values()), default=0.0),
        )


def page_step(path: str) -> str:
    """The name of a page load in the replay's figures."""
    return f"page {path.split('?', 1)[0]}"


def open_step(path: str) -> str:
    """The name of a page's first update over a new connection in the replay's figures."""
    return f"open {path}"


def hand_off_step(path: str) -> str:
    """The name of an HTTP hand-off in the replay's figures."""
    return f"hand-off {path}"


def confirmation_steps(visit: RecordedVisit) -> list[tuple[str, str]]:
    """Each step of a visit a replay checks, in order, with what the server must confirm."""
    merged: dict[str, list[str]] = {}  # a step done twice (two clicks) is one line
    for name, confirms in replay_steps(visit):
        seen = merged.setdefault(name, [])
        if confirms and confirms not in seen:
            seen.append(confirms)
    return [(name, " / ".join(confirms)) for name, confirms in merged.items()]


def asked_rate(visit: RecordedVisit, users: int) -> float:
    """The steps a second ``users`` replaying ``visit`` with its recorded pauses ask for: what
    the replay reports if every answer came at once (the server's answers, if late, lengthen
    each loop and lower what is asked)."""
    pauses = sum(event.think_time for event in visit.events)
    return users * len(replay_steps(visit)) / pauses if pauses > 0 else float("inf")


def replay_steps(visit: RecordedVisit) -> list[tuple[str, str]]:
    """Each step a replay of ``visit`` reports, in order, with what the server must confirm."""
    steps: list[tuple[str, str]] = []
    for connection in visit.connections:
        if visit.uses_cookies:
            steps.append((page_step(connection.path), "200"))
        opening = connection.opening
        steps.append((open_step(connection.path), _confirms(opening) if opening is not None else ""))
        for event in connection.events_after_opening:
            if event.answered:
                steps.append((event.describe(), _confirms(event)))
        if connection.hand_off is not None:
            steps.append((hand_off_step(connection.hand_off.path), connection.hand_off.describe()))
    return steps


def _confirms(event: RecordedEvent) -> str:
    return ", ".join(expected.describe() for expected in event.expects)


def run_replay(
    locustfile: Path,
    host: str,
    recording: Path,
    *,
    users: int,
    spawn_rate: float | None = None,
    run_time: str = "60s",
    loops: int = 0,
    think_time: str = "recorded",
    timeout: float = 300.0,
    options: Sequence[str] = (),
    cwd: Path | None = None,
) -> ReplayResult:
    """Replay ``recording`` with ``locustfile`` against ``host`` with ``users`` Locust users;
    wait for the run to end.

    ``options``: more of the Locust file's options, e.g. ``("--accounts", "accounts.txt")``;
    ``cwd``: where Locust runs (default: the Locust file's folder).
    """
    with tempfile.TemporaryDirectory(prefix="heavy-stack-locust-") as folder:
        stats_prefix = Path(folder) / "stats"  # Locust adds ".json"
        command = [
            *(sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host),
            *("--users", str(users), "--spawn-rate", str(spawn_rate or users), "--run-time", run_time),
            *("--recording", str(recording), "--loops", str(loops), "--think-time", think_time),
            *("--json-file", str(stats_prefix), "--stop-timeout", "10"),
            *options,
        ]
        finished = subprocess.run(
            command,
            cwd=cwd or locustfile.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        stats_file = stats_prefix.with_suffix(".json")
        rows = json.loads(stats_file.read_text()) if stats_file.exists() else []
    events = {row["name"]: _event_stats(row) for row in rows}
    return ReplayResult(events, finished.returncode, finished.stdout + finished.stderr)


def _event_stats(row: dict[str, Any]) -> EventStats:
    return EventStats(
        name=row["name"],
        requests=row["num_requests"],
        failures=row["num_failures"],
        response_times={float(ms): count for ms, count in row["response_times"].items()},
        first_request=row["start_time"],
        last_request=row["last_request_timestamp"] or row["start_time"],
    )
