"""``KeepAlive``: one pinger for every open websocket of a process, in place of two tasks each.

Sanic (25.12) gives every websocket two tasks for as long as it is open: a keep-alive that
sleeps ``WEBSOCKET_PING_INTERVAL`` seconds, pings, waits up to ``WEBSOCKET_PING_TIMEOUT`` for the
pong and fails the connection (1011) without one, and an auto-closer that waits for the end of
the data phase to close the TCP connection. Each is a task, its coroutine and frame, its context
and a weak reference in asyncio's registry, plus the keep-alive's sleeping timer and future:
about 2 KiB for each idle page (docs/benchmarks.md, "Memory").

``LiveWebSocketProtocol`` keeps the same behaviour with neither:

- **Pings in rounds.** One timer per process (per event loop and settings) pings every open
  websocket each ``interval`` seconds, written at once (no task, lock or future per ping), and
  one timer ``timeout`` seconds after each round fails the connections whose pong has not come:
  a dead peer (a frozen tab, a network gone without a close) is found within ``interval +
  timeout`` seconds, as with Sanic's own task, and logged with Sanic's line. A websocket still
  waiting for an earlier pong is not pinged again meanwhile (Sanic's task waited too).
- **The auto-closer when it is needed.** Sanic's auto-close task only waits, until the data
  phase ends: its place holds a shared stand-in (``PENDING_AUTO_CLOSE``) until then, and Sanic's
  own ``auto_close_connection`` starts in a task when the data phase ends (``close_when_done``).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from sanic.log import websockets_logger
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.frames import CloseCode
from websockets.protocol import State


class _Acknowledged:
    """What a ping waits on in Sanic's ``pings`` (its pong handler sets it, its close aborts it):
    nothing waits on a round's ping, so one shared object takes the future's calls."""

    __slots__ = ()

    def done(self) -> bool:
        return True

    def set_result(self, _result: object) -> None:
        return None

    def set_exception(self, _error: BaseException) -> None:
        return None

    def cancel(self) -> bool:
        return False


_ACKNOWLEDGED = _Acknowledged()


class KeepAlive:
    """Pings the websockets ``add``-ed to it every ``interval`` seconds and fails those whose
    pong has not come ``timeout`` seconds later (None: pings, never fails one)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float, timeout: float | None) -> None:
        self.loop = loop
        self.interval = interval
        self.timeout = timeout
        self._sockets: dict[WebsocketImplProtocol, None] = {}  # in the order they opened
        self._rounds = itertools.count(1)
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: WebsocketImplProtocol) -> None:
        """Ping ``socket`` from the next round on, until ``discard``."""
        self._sockets[socket] = None
        if self._timer is None:
            self._timer = self.loop.call_later(self.interval, self._round)

    def discard(self, socket: WebsocketImplProtocol) -> None:
        """Stop pinging ``socket`` (its connection is gone)."""
        self._sockets.pop(socket, None)

    def _round(self) -> None:
        if not self._sockets:
            self._timer = None  # nothing to ping: the next ``add`` starts the rounds again
            return
        self._timer = self.loop.call_later(self.interval, self._round)
        # A payload per round, shared by its pings: four bytes as Sanic's (unique per socket).
        payload = (next(self._rounds) % 2**32).to_bytes(4, "big")
        for socket in list(self._sockets):
            if not socket.pings:  # else: still waiting for an earlier pong
                ping_now(socket, payload)
        if self.timeout is not None:
            self.loop.call_later(self.timeout, self._check, payload)

    def _check(self, payload: bytes) -> None:
        for socket in [socket for socket in self._sockets if payload in socket.pings]:
            self._sockets.pop(socket, None)
            websockets_logger.warning("Websocket timed out waiting for pong")  # Sanic's line
            socket.fail_connection(CloseCode.INTERNAL_ERROR)


def ping_now(socket: WebsocketImplProtocol, payload: bytes) -> bool:
    """Write a ping with ``payload`` to ``socket`` now, noted in Sanic's ``pings`` for its pong
    handler; False (nothing sent) unless the connection is open and its transport writable."""
    io = socket.io_proto
    transport = None if io is None else io.transport
    if transport is None or transport.is_closing() or socket.ws_proto.state is not State.OPEN:
        return False
    # Written between whole frames: Sanic's sends take their frames out of the protocol with no
    # await in between, so none is half taken here.
    socket.pings[payload] = _ACKNOWLEDGED  # type: ignore[assignment]
    protocol = socket.ws_proto
    protocol.send_ping(payload)
    for data in protocol.data_to_send():
        transport.write(data)
    return True


class _AutoClosePending:
    """In the place of Sanic's auto-close task until the data phase ends: Sanic reads it as a
    task not done yet (the auto-closer will close the connection), which it is."""

    __slots__ = ()

    def done(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False


PENDING_AUTO_CLOSE: Any = _AutoClosePending()


def close_when_done(socket: WebsocketImplProtocol) -> None:
    """Stand in for ``socket``'s auto-close task (just made by Sanic, not started: cancelled
    here), and start Sanic's auto-closer once the data phase ends."""
    started = socket.auto_closer_task
    if started is not None:
        started.cancel()  # not started yet: it ends before running a line
    socket.auto_closer_task = PENDING_AUTO_CLOSE
    finished = socket.data_finished_fut
    if finished is None or finished.done():
        _start_auto_close(socket)
    else:
        # The future refers to the socket through this callback until it is done: at the close.
        finished.add_done_callback(lambda _done: _start_auto_close(socket))


def _start_auto_close(socket: WebsocketImplProtocol) -> None:
    if socket.auto_closer_task is PENDING_AUTO_CLOSE:
        socket.auto_closer_task = asyncio.get_running_loop().create_task(socket.auto_close_connection())


_keep_alives: dict[tuple[asyncio.AbstractEventLoop, float, float | None], KeepAlive] = {}


def keep_alive(interval: float, timeout: float | None) -> KeepAlive:
    """The pinger of the running loop for these settings (made at its first websocket)."""
    loop = asyncio.get_running_loop()
    key = (loop, interval, timeout)
    found = _keep_alives.get(key)
    if found is None:
        for stale in [key for key in _keep_alives if key[0].is_closed()]:
            del _keep_alives[stale]
        found = _keep_alives[key] = KeepAlive(loop, interval, timeout)
    return found
