"""Run the Locust replay of a recording headless and read its figures (for tests and ``bench/``)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from heavy.stream.layout_mirror import ElementNotFoundError, LayoutMirror
from heavy.stream.recording import MESSAGE_ROLES, RecordedEvent, RecordedVisit
from reactpy_bridge import RESULT_BUTTON_ID

from heavy_stack.settings import PROJECT_ROOT
from heavy_stack_testing.cookie_browser import NAVIGATE_FUNCTION
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


def page_step(path: str) -> str:
    """The name of a page load in the replay's figures."""
    return f"page {path.split('?', 1)[0]}"


def hand_off_step(path: str) -> str:
    """The name of an HTTP hand-off in the replay's figures."""
    return f"hand-off {path}"


def confirmation_steps(visit: RecordedVisit) -> list[tuple[str, str]]:
    """Each step of a visit a replay checks, in order, with what the server must confirm."""
    steps: list[tuple[str, str]] = []
    for connection in visit.connections:
        if visit.uses_cookies:
            steps.append((page_step(connection.path), "200"))
        for event in connection.events:
            if event.answered:
                confirms = ", ".join(expected.describe() for expected in event.expects)
                steps.append((event.describe(), confirms))
        if connection.hand_off is not None:
            steps.append((hand_off_step(connection.hand_off.path), connection.hand_off.describe()))
    merged: dict[str, list[str]] = {}  # a step done twice (two clicks) is one line
    for name, confirms in steps:
        seen = merged.setdefault(name, [])
        if confirms and confirms not in seen:
            seen.append(confirms)
    return [(name, " / ".join(confirms)) for name, confirms in merged.items()]


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
    options: Sequence[str] = (),
) -> ReplayResult:
    """Replay ``recording`` against ``host`` with ``users`` Locust users; wait for the run to end.

    ``options``: more of the Locust file's options, e.g. ``("--accounts", "accounts.txt")``.
    """
    with tempfile.TemporaryDirectory(prefix="heavy-stack-locust-") as folder:
        stats_prefix = Path(folder) / "stats"  # Locust adds ".json"
        command = [
            *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host),
            *("--users", str(users), "--spawn-rate", str(spawn_rate or users), "--run-time", run_time),
            *("--recording", str(recording), "--loops", str(loops), "--think-time", think_time),
            *("--json-file", str(stats_prefix), "--stop-timeout", "10"),
            *options,
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


@dataclass(frozen=True)
class Account:
    """The account a virtual user types where the recording had an e-mail or password field."""

    email: str = ""
    password: str = ""


NO_ACCOUNT = Account()


def live_message(event: RecordedEvent, layout: LayoutMirror, account: Account = NO_ACCOUNT) -> dict[str, Any]:
    """``event`` addressed to the live page, a Brython answer to the live call, an account field
    holding ``account``'s e-mail or password.

    Call ids are random per connection (``<prefix>-<n>``): a recorded answer names the recorded
    connection's call, so it is sent for the live call with the same ``n``, once the page has
    made it (ElementNotFoundError until then, as a browser only answers a call it was given).
    """
    message = event.live_message(layout, event.data_for(account.email, account.password))
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

    def __init__(self, account: Account = NO_ACCOUNT) -> None:
        self.layout = LayoutMirror()
        self.account = account
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
        return orjson.dumps(live_message(event, self.layout, self.account))

    def unconfirmed(self, event: RecordedEvent) -> list[str]:
        """What the page does not show (yet) of what the server confirmed when recorded."""
        return event.unconfirmed(self.layout, self.account.email)

    def messages(self) -> list[str]:
        """The status and alert messages the page shows (what a person reads after acting)."""
        shown = (e for e in self.layout.elements() if e.attributes.get("role") in MESSAGE_ROLES)
        return [element.text for element in shown if element.text]

    def navigation_to(self, path: str) -> str | None:
        """The latest URL on ``path`` the page has asked the browser to go to (a hand-off link)."""
        urls = [
            str(call["kwargs"].get("url", ""))
            for call in brython_calls_in(self.layout)
            if call["name"] == NAVIGATE_FUNCTION
        ]
        return next((url for url in reversed(urls) if url.split("?", 1)[0] == path), None)
