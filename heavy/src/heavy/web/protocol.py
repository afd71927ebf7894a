"""``LiveWebSocketProtocol``: Sanic's websocket protocol, lighter for each open connection.

Sanic (25.12) gives every connection two ``asyncio.Event`` objects for flow control, and every
websocket a frame assembler with two more events and an ``asyncio.Queue`` that it never uses
(it streams through a queue of its own, made when needed). Python 3.11 makes an event's waiter
deque, and a queue's three deques and event, up front: about 4.5 KiB for each open page, for
objects that an idle page never waits on. This subclass puts ``LazyEvent`` objects in their
place (the same calls, a list made at the first wait) and drops the unused queue.

A server uses it by passing it to Sanic: ``app.prepare(..., protocol=LiveWebSocketProtocol)``
(or ``app.run``). Everything else is Sanic's own: the handshake, frames, pings and closing.
"""

from __future__ import annotations

from typing import Any

from heavy.live.lazy_event import LazyEvent
from sanic.server.protocols.websocket_protocol import WebSocketProtocol
from sanic.server.websockets.impl import WebsocketImplProtocol


class LiveWebSocketProtocol(WebSocketProtocol):
    """Sanic's ``WebSocketProtocol`` with lazy events in place of its eager ones."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        can_write = LazyEvent()
        can_write.set()  # as Sanic's: writing is allowed until the transport pauses it
        self._can_write = can_write  # type: ignore[assignment]
        self._data_received = LazyEvent()  # type: ignore[assignment]

    async def websocket_handshake(self, request: Any, subprotocols: Any = None) -> WebsocketImplProtocol:
        websocket: WebsocketImplProtocol = await super().websocket_handshake(request, subprotocols)
        # Nothing ran between the assembler's creation and here (the handshake's last await
        # was before it), so nothing waits on what is replaced.
        assembler = websocket.assembler
        assembler.message_complete = LazyEvent()  # type: ignore[assignment]
        assembler.message_fetched = LazyEvent()  # type: ignore[assignment]
        assembler.completed_queue = None  # type: ignore[assignment]  # Sanic 25.12 never uses it
        return websocket
