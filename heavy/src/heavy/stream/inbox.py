"""``Inbox``: a live page's incoming messages, taken from Sanic's websocket as they are parsed.

Sanic 25.12 hands each message to its reader through two tasks and two handshakes: the
protocol's ``data_received`` starts a task that passes the parsed frames, under a lock, to the
frame assembler, whose ``put`` then waits until the message is fetched; ``recv`` takes a lock,
makes a future and a task for the assembler's ``get`` and waits on both (``asyncio.wait``).
That was about a tenth of a click's server CPU (``docs/benchmarks.md``). The inbox takes the
connection's messages instead, in order, into a queue its page reads:

- in ``data_received`` itself, where that frame's data is parsed (websockets' own parser, so
  the size limit and the protocol's checks are Sanic's), when nothing is on its way through
  Sanic's task; control frames (ping, pong, close) and whatever follows them in the same read
  still go Sanic's way, which answers them;
- from Sanic's task otherwise: the inbox stands in for the assembler (``put``). A message Sanic's
  assembler held already when the inbox took over (the client spoke before the page's handler
  ran) is read first.

A text message is handed over as its UTF-8 bytes, not decoded: the page's JSON reader checks
the UTF-8 as it parses (``heavy.stream.guard.decode_event``). Reading pauses (Sanic's
``pause_frames``) while ``PAUSE_AT`` messages wait and resumes once half of them are read. A
close frame, or the connection lost, ends the messages: ``receive`` gives None once the queue
is read.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from sanic.server.websockets.frame import WebsocketFrameAssembler
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

PAUSE_AT = 64  # messages waiting to be read: reading pauses until half are read


class Binary(bytes):
    """A binary message (the page's reader refuses them, in order)."""

    __slots__ = ()


Message = bytes | str  # a text message's UTF-8 bytes (a str: decoded by Sanic), or a Binary


class Inbox:
    """The messages of one websocket connection, in order (see the module docstring)."""

    __slots__ = (
        "_behind",
        "_earlier",
        "_ended",
        "_fragments",
        "_messages",
        "_paused",
        "_socket",
        "_text",
        "_waiter",
        "loop",
    )

    def __init__(self, socket: WebsocketImplProtocol) -> None:
        self.loop = asyncio.get_running_loop()
        self._socket = socket
        self._messages: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._paused = False
        self._fragments: list[bytes] | None = None  # a fragmented message's frames so far
        self._text = True  # the fragmented message is text
        # Sanic's own tasks with frames on their way here; -1 until the tasks Sanic started
        # before the inbox took over have run their first step (then they hold their lock).
        self._behind = -1
        self._earlier: WebsocketFrameAssembler | None = socket.assembler
        socket.assembler = self  # type: ignore[assignment]  # Sanic's task puts frames here now
        socket.data_received = self._data_received  # type: ignore[method-assign]
        # Sanic cancels this when a close frame (or the end of the stream) comes in.
        ended = socket.recv_cancel = self.loop.create_future()
        ended.add_done_callback(self._end)
        lost = socket.connection_lost_waiter
        if lost is None or lost.done():
            self._end()
        else:
            lost.add_done_callback(self._end)
        self.loop.call_soon(self._caught_up)

    async def receive(self) -> Message | None:
        """The next message; None once the connection has closed and every message is read."""
        earlier = self._earlier
        if earlier is not None:
            self._earlier = None
            if earlier.message_complete.is_set():
                message = await earlier.get()  # decoded text, or bytes: a binary message
                return Binary(message) if isinstance(message, bytes) else message
        while not self._messages:
            if self._ended:
                return None
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = self._messages.popleft()
        if self._paused and len(self._messages) <= PAUSE_AT // 2:
            self._paused = False
            self._socket.resume_frames()  # type: ignore[no-untyped-call]
        return message

    # --- from Sanic's side ---------------------------------------------------------------

    async def put(self, frame: Frame) -> None:
        """A frame from Sanic's task (the assembler's part): control frames are Sanic's own."""
        if frame.opcode in _DATA:
            self._take(frame)

    def _data_received(self, data: bytes) -> None:
        socket = self._socket
        protocol = socket.ws_proto
        protocol.receive_data(data)
        to_send = protocol.data_to_send()
        events = protocol.events_received()
        if self._behind != 0 or socket.process_event_mutex.locked():
            # Frames are on their way through Sanic's task: these go behind them.
            if to_send or events:
                self._through_sanic(to_send, events)
            return
        for index, event in enumerate(events):
            if not isinstance(event, Frame) or event.opcode not in _DATA:
                self._through_sanic(to_send, events[index:])
                return
            self._take(event)
        if to_send:
            self._through_sanic(to_send, [])

    def _through_sanic(self, to_send: list[bytes], events: Sequence[Event]) -> None:
        # Sanic answers control frames and sends what the protocol has to send, in its task.
        self._behind += 1
        task = self.loop.create_task(self._socket.async_data_received(to_send, events))  # type: ignore[no-untyped-call]
        task.add_done_callback(self._task_done)

    def _task_done(self, _task: object) -> None:
        self._behind -= 1

    def _caught_up(self) -> None:
        self._behind += 1

    def _take(self, frame: Frame) -> None:
        opcode, data = frame.opcode, frame.data
        if type(data) is not bytes:
            data = bytes(data)  # the parser makes bytes: this is in case it ever does not
        if opcode is Opcode.CONT:
            if self._fragments is None:
                return  # the parser refuses this; nothing to add it to
            self._fragments.append(data)
            if not frame.fin:
                return
            data, self._fragments = b"".join(self._fragments), None
            self._arrived(data if self._text else Binary(data))
        elif not frame.fin:
            self._fragments, self._text = [data], opcode is Opcode.TEXT
        else:
            self._arrived(data if opcode is Opcode.TEXT else Binary(data))

    def _arrived(self, message: Message) -> None:
        self._messages.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if len(self._messages) >= PAUSE_AT and not self._paused:
            self._paused = bool(self._socket.pause_frames())  # type: ignore[no-untyped-call]

    def _end(self, _future: object = None) -> None:
        self._ended = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


_DATA = frozenset((Opcode.TEXT, Opcode.BINARY, Opcode.CONT))
