"""Locust users that replay a recorded websocket session against a running server.

    locust -f tests/load_testing/data_recorder_locust.py --headless --host http://127.0.0.1:8000 \\
        --users 50 --spawn-rate 10 --run-time 1m --recording recordings/my-session.json

``make loadtest`` wraps this. Each user connects to the server's ReactPy stream, replays one
recorded connection (``--connection-id``; default: the one with the most events), then
disconnects and starts again. It keeps its own copy of the layout from the server's
``layout-update`` messages, so each recorded event goes to the live handler of the same element.

Every event the server answered in the recording is a Locust request named after the event and
its element: the response time runs from sending it to the server's next update. A missing
answer (``--response-timeout``), an element the page no longer has, or a closed socket is a
Locust failure, and that replay stops there.
"""

from __future__ import annotations

import random
import time
from argparse import ArgumentParser
from contextlib import suppress
from functools import cache
from pathlib import Path

import gevent
from locust import User, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from heavy_stack.stream.layout_mirror import ElementNotFoundError
from heavy_stack.stream.recorder import (
    RecordedConnection,
    RecordedEvent,
    busiest_connection,
    load_recording,
)
from heavy_stack_testing.page_driver import STREAM_PATH
from heavy_stack_testing.replay import DEMO_RECORDING, ReplayedPage

REQUEST_TYPE = "WS"


def add_replay_options(parser: ArgumentParser) -> None:
    parser.add_argument("--recording", default=str(DEMO_RECORDING), help="the recording to replay")
    parser.add_argument(
        "--connection-id",
        default="",
        help="the recorded connection to replay (default: the one with most events)",
    )
    parser.add_argument(
        "--think-time",
        default="recorded",
        help="pause before each event: 'recorded' (as the user paused), or a range in seconds such as 0.5-1",
    )
    parser.add_argument(
        "--response-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the server's answer to an event",
    )
    parser.add_argument(
        "--loops", type=int, default=0, help="replays per user before it stops (0: until the run time is up)"
    )


# Locust's event hooks are untyped.
events.init_command_line_parser.add_listener(add_replay_options)  # type: ignore[no-untyped-call]


@cache
def recorded_connection(path: str, connection_id: str) -> RecordedConnection:
    recording = load_recording(Path(path))
    if not connection_id:
        return busiest_connection(recording)
    if connection_id not in recording:
        raise SystemExit(f"{path} has no connection {connection_id!r}; it has {sorted(recording)}")
    return recording[connection_id]


def think_time(setting: str, event: RecordedEvent) -> float:
    """Seconds to pause before ``event``, per ``--think-time``."""
    if setting == "recorded":
        return event.think_time
    low, _, high = setting.partition("-")
    return random.uniform(float(low), float(high or low))


class ReplayFailedError(Exception):
    """This replay cannot go on (the page no longer matches the recording)."""


class ReplayUser(User):
    """Replays one recorded connection, over and over."""

    wait_time = constant(0)  # the recording's own pauses are the think time
    finished_users = 0

    def on_start(self) -> None:
        options = self.environment.parsed_options
        assert options is not None, "run this file with the locust command"
        self.options = options
        self.connection = recorded_connection(options.recording, options.connection_id)
        self.loops_done = 0

    @task
    def replay(self) -> None:
        try:
            with self._connect() as socket:
                page = ReplayedPage()
                page.receive(socket.recv(timeout=self.options.response_timeout))
                for event in self.connection.events:
                    gevent.sleep(think_time(self.options.think_time, event))
                    self._drain(page, socket)
                    self._send(page, socket, event)
        except ReplayFailedError:
            pass  # reported as a failure already; start over on a new connection
        except (ConnectionClosed, OSError) as error:
            self._report("connection", 0.0, 0, error)
        self.loops_done += 1
        if self.options.loops and self.loops_done >= self.options.loops:
            self._stop()

    def _connect(self) -> ClientConnection:
        assert self.host is not None, "give the server with --host"
        url = self.host.replace("http", "ws", 1) + STREAM_PATH
        origin = self.host.rstrip("/")
        return connect(url, additional_headers={"Origin": origin}, open_timeout=self.options.response_timeout)

    def _send(self, page: ReplayedPage, socket: ClientConnection, event: RecordedEvent) -> None:
        name = event.describe()
        try:
            message = self._wait_for_element(page, socket, event)
        except ElementNotFoundError as error:
            self._report(name, 0.0, 0, error)
            raise ReplayFailedError from error
        started = time.perf_counter()
        socket.send(message, text=True)
        if not event.answered:
            return  # the server did not answer this one when recorded either (e.g. a keystroke)
        try:
            answer = socket.recv(timeout=self.options.response_timeout)
        except TimeoutError:
            timeout = TimeoutError(f"no answer in {self.options.response_timeout} s")
            self._report(name, (time.perf_counter() - started) * 1000, 0, timeout)
            raise ReplayFailedError from None
        self._report(name, (time.perf_counter() - started) * 1000, len(answer), None)
        page.receive(answer)

    def _wait_for_element(self, page: ReplayedPage, socket: ClientConnection, event: RecordedEvent) -> bytes:
        """The event addressed to its live element, once the page shows it (as a user waits)."""
        deadline = time.monotonic() + self.options.response_timeout
        while True:
            try:
                return page.message_for(event)
            except ElementNotFoundError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                with suppress(TimeoutError):
                    page.receive(socket.recv(timeout=remaining))

    def _drain(self, page: ReplayedPage, socket: ClientConnection) -> None:
        """Take what the server sent meanwhile, so the next answer is the next event's."""
        while True:
            try:
                page.receive(socket.recv(timeout=0))
            except TimeoutError:
                return

    def _report(self, name: str, milliseconds: float, size: int, error: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE,
            name=name,
            response_time=milliseconds,
            response_length=size,
            exception=error,
            context={},
        )

    def _stop(self) -> None:
        # When the last user is done, end the whole run instead of idling until --run-time.
        ReplayUser.finished_users += 1
        if ReplayUser.finished_users >= (self.options.num_users or 1):
            gevent.spawn(_quit, self.environment)
        raise StopUser


def _quit(environment: Environment) -> None:
    if environment.runner is not None:
        environment.runner.quit()
