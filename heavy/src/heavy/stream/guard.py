"""The websocket stream between a page and its live layout: one place to guard and watch it.

The framework's stream route (``heavy.live.stream``) serves each connection through
``serve_guarded_layout``, which

- checks every incoming frame: one that is not a well-formed ``layout-event`` closes that
  connection with one warning line (no traceback) and the close code that names the problem:
  1003 for a binary frame, 1007 for text that is not valid UTF-8 or not plain JSON (also JSON
  nested past Python's recursion limit, integers past its digit limit, NaN), 1008 for JSON that
  is not a layout event. Too-big frames are closed with 1009 by the websocket library itself
  (see ``backend/security/origin.py``). The server and other sessions carry on;
- shows every message, both ways, to the app's stream taps (``app.ctx.stream_taps``), such as
  the stream recorder;
- keeps the pages open in this process in ``open_pages`` (what telemetry and the development
  dashboard count).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from heavy import log_scope
from heavy.events import TooManyBadEventsError
from heavy.live.addresses import page_pathname
from heavy.live.layout import LiveLayout
from heavy.live.serve import PageClosed, serve_live_layout
from heavy.stream.inbox import Binary, Inbox
from reactpy.core.types import LayoutEventMessage, LayoutUpdateMessage
from sanic import Request
from sanic.exceptions import WebsocketClosed
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.protocol import State

logger = logging.getLogger(__name__)

Message = Mapping[str, Any]


class StreamTap(Protocol):
    """Sees every connection open, each of its messages in order, and its end."""

    def opened(self, connection_id: str, request: Request) -> None: ...

    def sent(self, connection_id: str, message: Message) -> None: ...

    def received(self, connection_id: str, message: Message) -> None: ...

    def closed(self, connection_id: str) -> None: ...


@dataclass(frozen=True)
class OpenPage:
    """A page served in this process now: the address it opened at, and when (monotonic)."""

    path: str
    opened: float


open_pages: dict[str, OpenPage] = {}
"""The pages this process serves now, by connection id."""


class MalformedMessageError(ValueError):
    """The client sent something that is not a ReactPy layout event; ``code`` closes it."""

    def __init__(self, reason: str, code: CloseCode = CloseCode.POLICY_VIOLATION) -> None:
        super().__init__(reason)
        self.code = code


async def serve_guarded_layout(layout: LiveLayout, socket: WebsocketImplProtocol, request: Request) -> None:
    """Serve ``layout`` over ``socket`` with incoming frames checked and all messages shown to
    the taps."""
    # Its log lines' id (heavy/src/heavy/log_scope.py): a recording and the logs name it alike.
    scope = log_scope.current_scope() or log_scope.start_scope(secrets.token_hex(6))
    connection_id = scope.connection_id
    taps: Sequence[StreamTap] = getattr(request.app.ctx, "stream_taps", ())
    for tap in taps:
        tap.opened(connection_id, request)
    open_pages[connection_id] = OpenPage(page_pathname(request.path), time.monotonic())

    async def tapped_send(message: LayoutUpdateMessage) -> None:
        for tap in taps:  # before sending: the page's reply must not be seen before this
            tap.sent(connection_id, message)
        try:
            text = encode_update(message)
            if not send_now(socket, text):
                await socket.send(text.decode())
        except (WebsocketClosed, ConnectionClosed):
            raise PageClosed from None  # ends the layout without logging a failed send

    inbox = Inbox(socket)

    async def checked_recv() -> LayoutEventMessage:
        frame = await inbox.receive()
        if frame is None:  # closed
            raise PageClosed
        message = decode_event(frame)
        for tap in taps:
            tap.received(connection_id, message)
        return message

    try:
        await serve_live_layout(layout, tapped_send, checked_recv)
    except* MalformedMessageError as group:
        problem = group.exceptions[0]
        assert isinstance(problem, MalformedMessageError)
        logger.warning(
            "Closed connection %s (%d): malformed message: %s", connection_id, problem.code, problem
        )
        await _close(socket, problem.code)
    except* TooManyBadEventsError as group:
        logger.warning("Closed connection %s (1008): %s", connection_id, group.exceptions[0])
        await _close(socket, CloseCode.POLICY_VIOLATION)
    finally:
        open_pages.pop(connection_id, None)
        for tap in taps:
            tap.closed(connection_id)


# What the framework changes in Sanic at run time (``refuse_bad_utf8``): nothing else.
SANIC_PATCHES = ("sanic.server.websockets.impl:WebsocketImplProtocol.process_events",)

ProcessEvents = Callable[[WebsocketImplProtocol, Sequence[Any]], Coroutine[Any, Any, None]]


def refuse_bad_utf8() -> None:
    """The framework's one change to a library at run time (idempotent): Sanic 25.12's
    ``WebsocketImplProtocol.process_events`` wrapped so that a text frame that is not UTF-8
    closes its connection with 1007 instead of hanging it (see ``_refusing_bad_utf8``).

    Sanic creates that class inside ``WebSocketProtocol.websocket_handshake`` and offers no
    seam to give it another; ``tests/server/test_malformed_frames.py`` shows the hang without
    this, and ``SANIC_PATCHES`` lists it.
    """
    if not getattr(WebsocketImplProtocol.process_events, "_refuses_bad_utf8", False):
        WebsocketImplProtocol.process_events = _refusing_bad_utf8(WebsocketImplProtocol.process_events)  # type: ignore[method-assign,assignment]


def _refusing_bad_utf8(process_events: ProcessEvents) -> ProcessEvents:
    """Sanic (25.12) decodes text frames in a task of its own: invalid UTF-8 raises there, is
    never retrieved, and leaves the connection hanging. Close it with 1007 instead."""

    async def process(socket: WebsocketImplProtocol, events: Sequence[Any]) -> None:
        try:
            await process_events(socket, events)
        except UnicodeDecodeError:
            logger.warning("Closed a websocket (1007): a text frame was not valid UTF-8")
            socket.fail_connection(CloseCode.INVALID_DATA, "text that is not UTF-8")

    process._refuses_bad_utf8 = True  # type: ignore[attr-defined]
    return process


async def _close(socket: WebsocketImplProtocol, code: CloseCode) -> None:
    with contextlib.suppress(WebsocketClosed, ConnectionClosed):  # already gone
        await socket.close(code, "malformed message")


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


# Layout events nest a few levels; JSON nested deeper is refused before parsing, because
# parsing it runs to Python's recursion limit (and whatever runs then, e.g. a finalizer that
# logs, fails in turn).
MAX_NESTING = 32


def decode_event(frame: str | bytes) -> LayoutEventMessage:
    """The layout event in a message; MalformedMessageError (with its close code) otherwise.

    ``frame``: a text message, as text or as its UTF-8 bytes (``heavy.stream.inbox``: orjson
    checks the UTF-8 as it parses, so it is not decoded first), or a ``Binary`` message."""
    if isinstance(frame, Binary):
        raise MalformedMessageError("a binary frame", CloseCode.UNSUPPORTED_DATA)
    if (frame.count(b"[") + frame.count(b"{") if isinstance(frame, bytes) else -1) > MAX_NESTING:
        frame = _text_of(frame)  # rare: the nesting is counted on the text
    if isinstance(frame, str) and _nesting(frame) > MAX_NESTING:
        raise MalformedMessageError(f"JSON nested over {MAX_NESTING} levels", CloseCode.INVALID_DATA)
    try:
        message = orjson.loads(frame)
    except orjson.JSONDecodeError:
        # orjson refuses some JSON that Python's reads (integers past 64 bits, lone surrogates):
        # the standard library's reading decides, as it did before orjson read the frames.
        try:
            message = json.loads(_text_of(frame), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:  # ValueError: bad JSON, too many digits, NaN
            raise MalformedMessageError(f"not JSON ({str(error)[:80]})", CloseCode.INVALID_DATA) from None
    return check_event(message)


def _text_of(frame: str | bytes) -> str:
    if isinstance(frame, str):
        return frame
    try:
        return frame.decode()
    except UnicodeDecodeError:
        raise MalformedMessageError("a text frame that is not UTF-8", CloseCode.INVALID_DATA) from None


def encode_update(message: LayoutUpdateMessage) -> bytes:
    """A layout update as the JSON text the client reads, in UTF-8.

    orjson (a tenth of a click's CPU was Python's ``json`` both ways); what it does not write
    (integers past 64 bits, keys that are not strings) goes through ``json``, as before."""
    try:
        return orjson.dumps(message)
    except orjson.JSONEncodeError:
        return json.dumps(message).encode()


def send_now(socket: WebsocketImplProtocol, text: bytes) -> bool:
    """Send ``text`` (UTF-8) as one text message, written at once; False (nothing sent) unless
    Sanic's ``send`` would write it at once too: the connection open, no other send under way,
    its transport open and taking writes (not paused by flow control).

    Sanic's ``send`` does the same write through a lock, three coroutines and a decode and
    encode of the text (about 5 % of a click's server CPU); where it would wait, it is used."""
    io = socket.io_proto
    transport = None if io is None else io.transport
    finished = socket.data_finished_fut
    if (
        io is None
        or transport is None
        or socket.ws_proto.state is not State.OPEN
        or socket.conn_mutex.locked()
        or finished is None
        or finished.done()
        or transport.is_closing()
        or not io._can_write.is_set()  # Sanic's flow control: the client is not reading
    ):
        return False
    protocol = socket.ws_proto
    protocol.send_text(text)
    for data in protocol.data_to_send():
        transport.write(data)
    io._time = time.monotonic()  # the connection's last activity, as Sanic's send sets it
    return True


def _nesting(text: str) -> int:
    """How deep ``[`` and ``{`` nest outside strings (cheap: most frames have a few brackets)."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def check_event(message: object) -> LayoutEventMessage:
    """``message`` if it is a well-formed ``layout-event``; MalformedMessageError otherwise."""
    if not isinstance(message, dict):
        raise MalformedMessageError(f"expected an object, got {type(message).__name__}")
    if message.get("type") != "layout-event":
        raise MalformedMessageError(f"unknown message type {str(message.get('type'))[:40]!r}")
    if not isinstance(message.get("target"), str) or not isinstance(message.get("data"), list):
        raise MalformedMessageError("a layout-event needs a string target and a list of data")
    event: LayoutEventMessage = message  # type: ignore[assignment]
    return event
