"""A closed-loop replay of a recording, for the capacity runs of ``make bench``.

Locust's users (``tests/load_testing/data_recorder_locust.py``) are the load test a project
runs; their gevent websocket client spends about 0.5 ms of CPU per answered event, a third of
what the server spends answering it. A capacity run shares this machine's cores with its
load generator, so that cost would cap the figure it measures. These users do the same replay
(the same recording, each event sent to its live element) with no pause between events, on
the event loop with picows, a websocket client in Cython: about 0.16 ms per answered event.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from heavy.live.addresses import stream_path
from heavy.stream.layout_mirror import ElementNotFoundError
from heavy.stream.recording import RecordedConnection, busiest_connection, load_recording
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from heavy_stack_testing.replay import ReplayedPage

from bench.measure import Latencies

# A user still waiting for an answer this long after the run's end has failed.
ANSWER_TIMEOUT_S = 10.0


@dataclass
class CapacityRun:
    """What the replaying users saw, and the CPU this process spent making the load."""

    answers_ms: list[float] = field(default_factory=list)  # one per answered event
    failures: int = 0  # replays cut short: no answer in time, a closed socket, a missing element
    elapsed_s: float = 0.0
    load_cpu: float = 0.0  # cores

    @property
    def latencies(self) -> Latencies:
        return Latencies(self.answers_ms, self.elapsed_s)


async def replay_at_saturation(
    base_url: str, recording: Path, *, users: int, duration_s: float
) -> CapacityRun:
    """``users`` replay the busiest connection of ``recording`` back to back for ``duration_s``,
    each sending its next event as soon as the last one is answered."""
    run = CapacityRun()
    connection = busiest_connection(load_recording(recording))
    started, cpu_before = time.monotonic(), _own_cpu_seconds()
    deadline = started + duration_s
    await asyncio.gather(*(_user(base_url, connection, run, deadline) for _ in range(users)))
    run.elapsed_s = time.monotonic() - started
    run.load_cpu = (_own_cpu_seconds() - cpu_before) / run.elapsed_s
    return run


async def _user(base_url: str, connection: RecordedConnection, run: CapacityRun, deadline: float) -> None:
    url = base_url.replace("http", "ws", 1) + stream_path(connection.path)
    await asyncio.sleep(random.uniform(0, 0.5))  # not every handshake in the same tick
    while time.monotonic() < deadline:
        try:
            connecting = time.monotonic()  # a visitor waits for the connection too
            transport, page = await ws_connect(_ReplayedSocket, url, extra_headers={"Origin": base_url})
            assert isinstance(page, _ReplayedSocket)
            try:  # one timer for the whole replay: a timer per message costs the load generator
                async with asyncio.timeout(deadline - time.monotonic() + ANSWER_TIMEOUT_S):
                    await _replay_once(transport, page, connection, run, connecting, deadline)
            finally:
                transport.disconnect()
        except (OSError, TimeoutError, ElementNotFoundError):  # ConnectionError is an OSError
            run.failures += 1


async def _replay_once(
    transport: WSTransport,
    page: _ReplayedSocket,
    connection: RecordedConnection,
    run: CapacityRun,
    connecting: float,
    deadline: float,
) -> None:
    # The page's first update shows it: the answer to the connection itself.
    await page.next_message(than=0)
    run.answers_ms.append((time.monotonic() - connecting) * 1000)
    if connection.opening is not None:  # the router's report of the location, as a browser sends it
        transport.send(WSMsgType.TEXT, page.replayed.message_for(connection.opening))
    for event in connection.events_after_opening:
        while True:
            try:
                message = page.replayed.message_for(event)
                break
            except ElementNotFoundError:  # not shown yet: wait as a user would
                await page.next_message(than=page.replayed.received)
        seen, sent_at = page.replayed.received, time.monotonic()
        transport.send(WSMsgType.TEXT, message)
        if event.answered:
            await page.next_message(than=seen)
            run.answers_ms.append((time.monotonic() - sent_at) * 1000)
        if time.monotonic() >= deadline:
            return


class _ReplayedSocket(WSListener):
    """A replayed page fed by picows as frames come, and a way for its user to wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.replayed = ReplayedPage()
        self._arrived = asyncio.Event()
        self._ended = False

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT and frame.fin:  # Sanic sends each message whole
            self.replayed.receive(frame.get_payload_as_bytes())
            self._arrived.set()
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._ended = True
        self._arrived.set()

    async def next_message(self, than: int) -> None:
        """Wait until more than ``than`` messages have come."""
        while self.replayed.received <= than:
            if self._ended:
                raise ConnectionError("the server closed the connection")
            self._arrived.clear()
            await self._arrived.wait()


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
