"""Run the Locust replay of a recording headless and read its figures (for tests and ``bench/``)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from reactpy_bridge import RESULT_BUTTON_ID

from heavy_stack.settings import PROJECT_ROOT
from heavy_stack.stream.layout_mirror import ElementNotFoundError, LayoutMirror
from heavy_stack.stream.recorder import RecordedEvent
from heavy_stack_testing.page_driver import brython_calls_in

LOAD_TESTING_DIR = PROJECT_ROOT / "tests" / "load_testing"
LOCUSTFILE = LOAD_TESTING_DIR / "data_recorder_locust.py"
# A visit to the landing page; tests/load_testing/record_demo.py makes it again.
DEMO_RECORDING = LOAD_TESTING_DIR / "data_recording_demo.json"


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


def run_replay(
    host: str,
    recording: Path,
    *,
    users: int,
    spawn_rate: float | None = None,
    run_time: str = "60s",
    loops: int = 0,
    think_time: str = "recorded",
    timeout: float = 300.0,
) -> ReplayResult:
    """Replay ``recording`` against ``host`` with ``users`` Locust users; wait for the run to end."""
    with tempfile.TemporaryDirectory(prefix="heavy-stack-locust-") as folder:
        stats_prefix = Path(folder) / "stats"  # Locust adds ".json"
        command = [
            *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host),
            *("--users", str(users), "--spawn-rate", str(spawn_rate or users), "--run-time", run_time),
            *("--recording", str(recording), "--loops", str(loops), "--think-time", think_time),
            *("--json-file", str(stats_prefix), "--stop-timeout", "10"),
        ]
        finished = subprocess.run(
            command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False
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


def live_message(event: RecordedEvent, layout: LayoutMirror) -> dict[str, Any]:
    """``event`` addressed to the live page, a Brython answer to the live call.

    Call ids are random per connection (``<prefix>-<n>``): a recorded answer names the recorded
    connection's call, so it is sent for the live call with the same ``n``, once the page has
    made it (ElementNotFoundError until then, as a browser only answers a call it was given).
    """
    message = event.live_message(layout)
    if event.element_id != RESULT_BUTTON_ID or not message["data"]:
        return message
    answer = json.loads(message["data"][0]["target"]["value"])
    number = str(answer["id"]).rsplit("-", 1)[-1]
    live = [call["id"] for call in brython_calls_in(layout) if call["id"].rsplit("-", 1)[-1] == number]
    if not live:
        raise ElementNotFoundError(f"the page has made no Brython call {number} yet")
    answer["id"] = live[0]
    return {**message, "data": [{"target": {"value": json.dumps(answer)}}, *message["data"][1:]]}


class ReplayedPage:
    """A page being replayed, without I/O: the mirror of what the server sent, and each
    recorded event as the text to send to the live page. Replay drivers do the I/O.

    orjson, not ``json``: a load generator's own CPU per message is what caps the load it makes.
    """

    def __init__(self) -> None:
        self.layout = LayoutMirror()
        self.received = 0  # messages from the server so far

    def receive(self, raw: str | bytes) -> None:
        """Take one message from the server."""
        message: dict[str, Any] = orjson.loads(raw)
        self.received += 1
        if message.get("type") == "layout-update":
            self.layout.apply(message)

    def message_for(self, event: RecordedEvent) -> bytes:
        """``event`` as UTF-8 JSON, to send as a text frame; ElementNotFoundError while the page
        lacks its element."""
        return orjson.dumps(live_message(event, self.layout))
