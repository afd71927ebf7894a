"""``LiveWebSocketProtocol``: Sanic's websocket protocol, lighter for each open connection.

Sanic (25.12) gives every connection two ``asyncio.Event`` objects for flow control, and every
websocket a frame assembler with two more events and an ``asyncio.Queue`` that it never uses
(it streams through a queue of its own, made when needed). Python 3.11 makes an event's waiter
deque, and a queue's three deques and event, up front: about 4.5 KiB for each open page, for
objects that an idle page never waits on. This subclass puts ``LazyEvent`` objects in their
place (the same calls, a list made at the first wait) and drops the unused queue, and the
handshake request's raw head once the websocket is open (its headers stay, parsed).

It also frees a connection as soon as it has closed (issue 26). Sanic kept a closed websocket's
objects (protocol, websocket, request and their buffers) well after the close, in three ways:

- **The timeout check's timer.** Sanic checks a connection's timeouts on a timer every half of
  the shortest timeout (the keep-alive's 15 s here: 7.5 s) and stops checking once the
  connection is a websocket. Its plain ``close`` cancels the timer, but a websocket closes
  another way, so the timer pending at the upgrade kept the protocol up to 7.5 s after the
  page closed: at a few hundred pages closing a second, thousands of closed connections.
  The timer is cancelled at the upgrade (Sanic checks no timeout of a websocket).
- **The abort timer.** Closing a websocket whose transport is already lost, Sanic still
  schedules the transport's abort ``websocket_timeout`` (10 s) ahead, and the timer keeps the
  context it was scheduled in, the connection's request in it. Once the transport is lost,
  the close here leaves Sanic no transport to schedule that for.
- **Reference cycles.** The protocol and its websocket refer to each other, and so do the
  websocket and what reads its frames (Sanic's frame assembler, or ``heavy.stream.inbox``),
  and the connection's ``Http`` and its response method:
  only Python's cycle collector freed them, and the server runs it seldom
  (``heavy.web.garbage_collection``). Once the connection is both lost and finished with,
  those references are dropped, so reference counting frees it then.

Memory freed late is memory in use at the peak, and the allocators keep the peak: pymalloc
gives an arena back only once it is entirely empty (docs/benchmarks.md, "Memory").

Nor does an open websocket keep a task of its own besides its handler's: Sanic's keep-alive
ping and auto-close tasks (about 2 KiB an idle page) give way to one pinger for the process
and an auto-closer started when the connection ends (``heavy.web.keep_alive``), with Sanic's
``WEBSOCKET_PING_INTERVAL`` and ``WEBSOCKET_PING_TIMEOUT`` meaning what they mean to Sanic.

A server uses it by passing it to Sanic: ``app.prepare(..., protocol=LiveWebSocketProtocol)``
(or ``app.run``). Everything else is Sanic's own: the handshake, frames, pongs and closing.
"""

from __future__ import annotations

from asyncio import TimerHandle
from typing import Any

from heavy.live.lazy_event import LazyEvent
from heavy.web.keep_alive import KeepAlive, close_when_done, keep_alive
from sanic.http import Http
from sanic.server.protocols.websocket_protocol import WebSocketProtocol
from sanic.server.websockets.impl import WebsocketImplProtocol

# A connection is over once both have happened: the transport lost and the task ended.
_BOTH_ENDS = 2


class LiveWebSocketProtocol(WebSocketProtocol):
    """Sanic's ``WebSocketProtocol`` with lazy events in place of its eager ones, freed at once
    when its connection has closed."""

    __slots__ = ("_ends", "_keep_alive", "_upgraded_http")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ends = 0
        self._upgraded_http: Http | None = None
        self._keep_alive: KeepAlive | None = None  # what pings its websocket, once it is one
        can_write = LazyEvent()
        can_write.set()  # as Sanic's: writing is allowed until the transport pauses it
        self._can_write = can_write  # type: ignore[assignment]
        self._data_received = LazyEvent()  # type: ignore[assignment]

    async def websocket_handshake(self, request: Any, subprotocols: Any = None) -> WebsocketImplProtocol:
        interval = self.websocket_ping_interval
        self.websocket_ping_interval = None  # Sanic starts no keep-alive task: KeepAlive pings
        try:
            websocket: WebsocketImplProtocol = await super().websocket_handshake(request, subprotocols)
        finally:
            self.websocket_ping_interval = interval
        close_when_done(websocket)  # no auto-close task until the data phase ends
        if interval:
            self._keep_alive = keep_alive(interval, self.websocket_ping_timeout)
            self._keep_alive.add(websocket)
        # Nothing ran between the assembler's creation and here (the handshake's last await
        # was before it), so nothing waits on what is replaced.
        assembler = websocket.assembler
        assembler.message_complete = LazyEvent()  # type: ignore[assignment]
        assembler.message_fetched = LazyEvent()  # type: ignore[assignment]
        assembler.completed_queue = None  # type: ignore[assignment]  # Sanic 25.12 never uses it
        timer: TimerHandle | None = self._callback_check_timeouts  # None: not started
        if timer is not None:  # no more timeout checks: Sanic makes none on a websocket
            timer.cancel()
            self._callback_check_timeouts = None
        self._upgraded_http = self._http
        # The request's raw head (every header again, as bytes: Sanic's ``raw_headers``, a
        # browser's cookies and user agent among them) is not read once the websocket is open;
        # its request line is kept, for ``request_line``.
        request.head = request.request_line + b"\r\n"
        return websocket

    async def connection_task(self) -> None:
        """Sanic's; the connection is let go once this has ended and the transport is lost."""
        try:
            await super().connection_task()  # type: ignore[no-untyped-call]
        finally:
            self._one_end()

    def close(self, timeout: float | None = None) -> None:
        """Sanic's; once the transport is lost, without the abort Sanic would schedule for it
        ``websocket_timeout`` (10 s) ahead: there is nothing left to abort, and that timer kept
        the connection's request (in the context it copied) those 10 s."""
        info = self.conn_info
        if self.websocket is None or info is None or not info.lost:
            super().close(timeout)
            return
        transport, self.transport = self.transport, None  # Sanic schedules no abort without one
        try:
            super().close(timeout)
        finally:
            self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Sanic's; the connection is let go once this and the connection's task have run."""
        pinger, self._keep_alive = self._keep_alive, None
        if pinger is not None and self.websocket is not None:
            pinger.discard(self.websocket)
        super().connection_lost(exc)  # type: ignore[no-untyped-call]
        self._one_end()

    def _one_end(self) -> None:
        self._ends += 1
        if self._ends == _BOTH_ENDS:
            self._let_go()

    def _let_go(self) -> None:
        # Sanic's code guards every use of these for None (a connection never opened or gone).
        http, self._upgraded_http = self._upgraded_http, None
        if http is not None:
            http.response_func = None  # type: ignore[assignment]
        socket, self.websocket = self.websocket, None
        if socket is not None:
            socket.io_proto = None
            # What reads its frames refers back to it: Sanic's frame assembler, or the page's
            # ``heavy.stream.inbox.Inbox``, which also stands in for its ``data_received``.
            socket.assembler = None  # type: ignore[assignment]
            vars(socket).pop("data_received", None)
