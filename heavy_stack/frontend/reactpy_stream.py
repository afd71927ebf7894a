"""The websocket stream between a page and its ReactPy layout: one place to guard and watch it.

ReactPy's Sanic backend hands each connection's ``send`` and ``recv`` to ``serve_layout``.
``install()`` puts ``serve_guarded_layout`` in its place, which

- checks every incoming message: one that is not JSON or not a well-formed ``layout-event``
  closes that connection with one log line; the server and other sessions carry on;
- shows every message, both ways, to the app's stream taps (``app.ctx.stream_taps``), such as
  the session recorder.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import reactpy.backend.sanic
from reactpy.core.serve import RecvCoroutine, SendCoroutine, Stop, serve_layout
from reactpy.core.types import LayoutEventMessage, LayoutType, LayoutUpdateMessage
from sanic import Request
from sanic.exceptions import WebsocketClosed

logger = logging.getLogger(__name__)

Message = Mapping[str, Any]


class StreamTap(Protocol):
    """Sees every message of every connection, in order."""

    def sent(self, connection_id: str, message: Message) -> None: ...

    def received(self, connection_id: str, message: Message) -> None: ...

    def closed(self, connection_id: str) -> None: ...


class MalformedMessageError(ValueError):
    """The client sent something that is not a ReactPy layout event."""


def install() -> None:
    """Serve every ReactPy connection through ``serve_guarded_layout`` (idempotent)."""
    reactpy.backend.sanic.serve_layout = serve_guarded_layout  # type: ignore[attr-defined]
    # ReactPy warns "No scope" on every connection under Sanic's own server: harmless noise.
    logging.getLogger(reactpy.backend.sanic.__name__).addFilter(_drop_no_scope_warning)


def _drop_no_scope_warning(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("No scope")


async def serve_guarded_layout(
    layout: LayoutType[LayoutUpdateMessage, LayoutEventMessage], send: SendCoroutine, recv: RecvCoroutine
) -> None:
    """``serve_layout`` with incoming messages checked and all messages shown to the taps."""
    connection_id = secrets.token_hex(6)
    taps: Sequence[StreamTap] = getattr(Request.get_current().app.ctx, "stream_taps", ())

    async def tapped_send(message: LayoutUpdateMessage) -> None:
        for tap in taps:  # before sending: the page's reply must not be seen before this
            tap.sent(connection_id, message)
        try:
            await send(message)
        except WebsocketClosed:
            raise Stop from None  # ends the layout without ReactPy logging a failed send

    async def checked_recv() -> LayoutEventMessage:
        try:
            message = check_event(await recv())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise MalformedMessageError(f"not JSON ({error})") from None
        for tap in taps:
            tap.received(connection_id, message)
        return message

    try:
        await serve_layout(layout, tapped_send, checked_recv)
    except* MalformedMessageError as group:
        logger.warning("Closed connection %s: malformed message: %s", connection_id, group.exceptions[0])
    except* Stop:
        pass  # the page went away (tab closed, reload): routine, not an error
    finally:
        for tap in taps:
            tap.closed(connection_id)


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
