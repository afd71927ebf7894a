"""``python -m bench.latency_probe serve``: the app's server with probes for what its latency is made of.

Started like ``python -m heavy_stack``; SIGUSR2 switches the probes on, the next SIGUSR2 off and
writes what they saw as JSON to ``$BENCH_LATENCY_PROBE_OUTPUT``:

- ``gc``: each collection of the cycle collector (generation, start, wall and CPU ms, objects
  it found unreachable);
- ``lag``: how late a 10 ms timer of the event loop fires (ms): what any message arriving then
  waits before the loop gets to it;
- ``wait``: per websocket message, from its parsing off the socket (the page's inbox) to the
  page's receive loop taking it (ms);
- ``answer``: per event, from its parsing to the page's next update leaving (ms): the server's
  share of a replay's response time, its queueing in the process included;
- ``answers``: the same by handler (its name, and the address for a navigation), each with
  how many turns of the event loop the answer waited (with ``BENCH_LATENCY_TURNS=1``: a
  callback counts the loop's turns, so the loop never sleeps; 0 without);
- ``units``: per unit of work (``heavy.hooks``), its wall time from asking for a turn at the
  pool to its end (ms, loop turns), and ``turn_waits`` for those that waited for a turn (ms);
- ``connect``: per connection, from the websocket's handshake to its first update (ms);
- ``renders``: per component, the CPU time of each update it rendered (ms; the thread's CPU
  while the update was made, so an update that waited on an unmount counts what ran meanwhile);
- ``samples``: the Python stacks on CPU time (as ``bench.cpu_profile``).

``BENCH_LATENCY_GC_THRESHOLDS=a,b,c`` replaces the app's collector thresholds once it has
started (to compare settings); ``BENCH_LATENCY_GARBAGE=FILE`` keeps what the collector finds for
20 s and writes its types, counted (what forms reference cycles); ``BENCH_LATENCY_TRACE=FILE``
writes each message taken and each render, in order.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import time
from collections import Counter, deque
from pathlib import Path
from types import FrameType
from typing import Any

from bench.cpu_profile import TICK_S, _frames

OUTPUT_VARIABLE = "BENCH_LATENCY_PROBE_OUTPUT"
LAG_PERIOD_S = 0.010


class Probes:
    def __init__(self) -> None:
        self.on = False
        self.started = 0.0
        # generation, at, wall ms, CPU ms, objects collected
        self.gc: list[tuple[int, float, float, float, int]] = []
        self._gc_cpu = 0.0
        self.lag: list[float] = []
        self.wait: list[float] = []
        self.answer: list[float] = []
        self.answers: dict[str, list[tuple[float, int]]] = {}  # handler -> (ms, loop turns)
        self.units: list[tuple[float, int]] = []
        self.turn_waits: list[float] = []
        self.turn = 0  # the event loop's turns so far, counted with BENCH_LATENCY_TURNS=1
        self.connect: list[float] = []
        self.renders: dict[str, list[float]] = {}  # component name -> CPU ms of each update
        self.samples: Counter[str] = Counter()
        self._gc_start = 0.0

    def switch(self) -> None:
        self.on = not self.on
        if self.on:
            self.started = time.perf_counter()
            return
        report = {
            "seconds": time.perf_counter() - self.started,
            "gc": self.gc,
            "lag": self.lag,
            "wait": self.wait,
            "answer": self.answer,
            "answers": self.answers,
            "units": self.units,
            "turn_waits": self.turn_waits,
            "connect": self.connect,
            "renders": self.renders,
            "samples": dict(self.samples),
        }
        Path(os.environ[OUTPUT_VARIABLE]).write_text(json.dumps(report))

    def collecting(self, phase: str, info: dict[str, Any]) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if phase == "start":
            self._gc_start, self._gc_cpu = now, cpu
        elif self.on:
            self.gc.append(
                (
                    info["generation"],
                    self._gc_start - self.started,
                    (now - self._gc_start) * 1e3,
                    (cpu - self._gc_cpu) * 1e3,
                    info["collected"],
                )
            )

    def count_garbage(self) -> None:
        gc.collect()
        kinds = Counter(f"{type(thing).__module__}.{type(thing).__qualname__}" for thing in gc.garbage)
        lines = [f"{count:8} {kind}" for kind, count in kinds.most_common(60)]
        Path(os.environ["BENCH_LATENCY_GARBAGE"]).write_text(
            f"{len(gc.garbage)} objects\n" + "\n".join(lines)
        )
        gc.garbage.clear()
        gc.set_debug(0)

    def count_turn(self) -> None:
        # Once in each turn: a callback scheduled now runs in the loop's next turn.
        self.turn += 1
        asyncio.get_running_loop().call_soon(self.count_turn)

    async def watch_lag(self) -> None:
        if os.environ.get("BENCH_LATENCY_TURNS"):
            self.count_turn()
        if thresholds := os.environ.get("BENCH_LATENCY_GC_THRESHOLDS"):  # after the app's own tuning
            gc.set_threshold(*(int(part) for part in thresholds.split(",")))
        if os.environ.get("BENCH_LATENCY_GARBAGE"):  # what forms reference cycles: kept, counted
            gc.set_debug(gc.DEBUG_SAVEALL)
            asyncio.get_running_loop().call_later(20, self.count_garbage)
        while True:
            before = time.perf_counter()
            await asyncio.sleep(LAG_PERIOD_S)
            if self.on:
                self.lag.append((time.perf_counter() - before - LAG_PERIOD_S) * 1e3)


PROBES = Probes()
TRACE = os.environ.get("BENCH_LATENCY_TRACE")  # a file: each message and render, in order


def trace(line: str) -> None:
    if TRACE and PROBES.on:
        with open(TRACE, "a") as out:
            out.write(f"{time.perf_counter() - PROBES.started:9.4f} {line}\n")


def _handler_name(handler: Any, data: Any) -> str:
    from heavy.events import declared_event, declared_of
    from heavy.live.layout import WholeData

    declared = declared_event(handler.function) if type(handler) is WholeData else declared_of(handler)
    first = data[0] if data else None
    to = f" to {first['pathname']}" if isinstance(first, dict) and "pathname" in first else ""
    return f"{declared.name}{to}"


_receiving: list[Any] = [None]  # the socket whose message the page's loop has just taken


def _patch_websockets() -> None:
    """Stamps on each connection's socket: when each message was parsed off it (the page's
    inbox), when the page took the last one, when the handshake ended; read at each send."""
    from heavy.stream import guard
    from heavy.stream.inbox import Inbox
    from sanic.server.websockets.impl import WebsocketImplProtocol as Socket

    arrived, receive, send_now = Inbox._arrived, Inbox.receive, guard.send_now
    connection_made = Socket.connection_made

    def stamped_arrived(self: Inbox, message: Any) -> None:
        socket: Any = self._socket
        if getattr(socket, "_probe_arrivals", None) is None:
            socket._probe_arrivals = deque()
        socket._probe_arrivals.append((time.perf_counter(), PROBES.turn))
        arrived(self, message)

    async def timed_receive(self: Inbox) -> Any:
        message = await receive(self)
        socket: Any = self._socket
        arrivals = getattr(socket, "_probe_arrivals", None)
        _receiving[0] = socket  # the page's loop hands the message to accept() next
        if message is not None and arrivals:
            socket._probe_event = arrival = arrivals.popleft()
            socket._probe_handler = None
            if PROBES.on:
                PROBES.wait.append((time.perf_counter() - arrival[0]) * 1e3)
        if TRACE:  # formatted only when traced: str() of every message costs the server's CPU
            trace(f"{id(socket) % 10000:4} recv {str(message)[:150]}")
        return message

    def timed_send_now(socket: Any, text: bytes) -> bool:
        arrival = getattr(socket, "_probe_event", None)
        opened = getattr(socket, "_probe_opened", None)
        socket._probe_event = socket._probe_opened = None
        now = time.perf_counter()
        if PROBES.on:
            if arrival is not None:
                PROBES.answer.append((now - arrival[0]) * 1e3)
                handler = getattr(socket, "_probe_handler", None) or "?"
                PROBES.answers.setdefault(handler, []).append(
                    ((now - arrival[0]) * 1e3, PROBES.turn - arrival[1])
                )
            elif opened is not None:
                PROBES.connect.append((now - opened) * 1e3)
        return send_now(socket, text)

    async def stamped_connection_made(self: Any, *args: Any, **kwargs: Any) -> None:
        self._probe_opened = time.perf_counter()
        await connection_made(self, *args, **kwargs)

    setattr(Inbox, "_arrived", stamped_arrived)  # noqa: B010 - mypy: a method replaced
    setattr(Inbox, "receive", timed_receive)  # noqa: B010
    setattr(Socket, "connection_made", stamped_connection_made)  # noqa: B010
    setattr(guard, "send_now", timed_send_now)  # noqa: B010 - looked up at each send


def _patch_layout() -> None:
    from heavy.live.layout import LiveLayout

    update, accept = LiveLayout._update, LiveLayout.accept

    def named_accept(self: Any, event: Any, **options: Any) -> Any:
        handler = self._handler_of(event["target"])
        if PROBES.on and handler is not None and _receiving[0] is not None:
            _receiving[0]._probe_handler = _handler_name(handler, event["data"])
        return accept(self, event, **options)

    async def timed_update(self: Any, old: Any) -> Any:
        started = time.thread_time()
        message = await update(self, old)
        if PROBES.on:
            name = getattr(old.component.type, "__name__", str(old.component.type))
            if not message["path"]:
                name += " (page)"
            PROBES.renders.setdefault(name, []).append((time.thread_time() - started) * 1e3)
            if TRACE:
                trace(
                    f"render {name} {(time.thread_time() - started) * 1e3:.2f} ms {len(str(message))} chars"
                )
        return message

    setattr(LiveLayout, "_update", timed_update)  # noqa: B010 - mypy: a method replaced
    setattr(LiveLayout, "accept", named_accept)  # noqa: B010


def _patch_units() -> None:
    from heavy.data.turns import Turns
    from heavy.hooks import _UnitOfWork

    take_turn, wait_for_turn = _UnitOfWork._take_turn, Turns.wait_for_turn

    async def timed_take_turn(self: Any, *args: Any) -> Any:
        started, turn = time.perf_counter(), PROBES.turn
        try:
            return await take_turn(self, *args)
        finally:
            if PROBES.on:
                PROBES.units.append(((time.perf_counter() - started) * 1e3, PROBES.turn - turn))

    async def timed_wait_for_turn(self: Any, *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            await wait_for_turn(self, *args, **kwargs)
        finally:
            if PROBES.on:
                PROBES.turn_waits.append((time.perf_counter() - started) * 1e3)

    setattr(_UnitOfWork, "_take_turn", timed_take_turn)  # noqa: B010
    setattr(Turns, "wait_for_turn", timed_wait_for_turn)  # noqa: B010


def serve_probed() -> None:
    def sample(_signal: int, frame: FrameType | None) -> None:
        if PROBES.on:
            PROBES.samples[";".join(reversed(list(_frames(frame))))] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.signal(signal.SIGUSR2, lambda _s, _f: PROBES.switch())
    signal.setitimer(signal.ITIMER_PROF, TICK_S, TICK_S)
    gc.callbacks.append(PROBES.collecting)
    _patch_websockets()
    _patch_layout()
    _patch_units()
    import heavy_stack.__main__ as entry
    from heavy_stack.app import create_app

    def create_probed_app(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)

        @app.after_server_start
        async def start_lag_watch(*_: Any) -> None:
            app.add_task(PROBES.watch_lag(), name="latency-probe-lag")

        return app

    setattr(entry, "create_app", create_probed_app)  # noqa: B010 - what its main() calls
    entry.main([])


if __name__ == "__main__":
    serve_probed()
