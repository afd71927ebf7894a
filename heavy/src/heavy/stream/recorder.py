"""Record the visits a server serves, for replay (reading them back: ``heavy/src/heavy/stream/recording.py``).

Every websocket message is written as ``[kind, connection_id, timestamp, payload]``: ``"send"``
for what the server sent, ``"recv"`` for what it received (Unix seconds; the ReactPy message).
An ``"open"`` record names the browser each connection came from (a hash of its binding cookie),
so the connections of one visit stay together; ``"http"`` records the requests the app passes
on (the sign-in hand-off), by path and answer only.

Event target ids are random per connection, so a raw recording could not be replayed on a new
connection. The recorder keeps a mirror of each connection's layout and adds, beside the
``target`` of every received event, where its handler lives::

    {"type": "layout-event", "target": "9f…", "data": [...],
     "replay": {"path": "/children/0/children/3", "id": "update-time", "near": null,
                "tag": "button", "event": "onClick"}}

**Which event each update answers.** While it records, the recorder watches the live layouts
(``AnswersObserver``, around the telemetry's observer if there is one): a render scheduled while
an event's handler runs (or by an effect of such a render) answers that event, and its update is
written with ``"answers": n``, the event's number on its connection (0 for the first message
the page sent). An update nothing asked for (the online count, another page's doing) has none,
and a slow answer that comes after the page's next event keeps its own event's number: the
reader (``heavy.stream.recording``) gives each update to the event that caused it, not merely
to the last one sent before it.

**Secrets are never written.** What is typed into a password field is dropped (the event is kept,
marked ``"fill": "current-password"`` or similar, for the replay to type its own account's
password); an e-mail field is marked ``"fill": "email"``. Then, from every record of the
connection: the passwords typed, the values of the cookies its handshake carried (the session
and the browser binding; not heavy's own preference cookies, the theme, the language and the
time zone, whose values are words a page shows) and the value of any ``ticket=`` or ``token=`` in a URL (the sign-in
hand-off link) are replaced by ``REDACTED``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from heavy.i18n import LANGUAGE_COOKIE
from heavy.live.layout import ComponentState, LiveLayout, SendUpdate
from heavy.live.observing import WrappingObserver, unwrap_layout_observer, wrap_layout_observer
from heavy.stream.layout_mirror import Element, LayoutMirror
from heavy.stream.recording import ANSWERS_KEY, EMAIL_FILL, HTTP, OPEN, RECV, REPLAY_KEY, SEND
from heavy.web.theme import THEME_COOKIE
from heavy.web.time_zone import TIME_ZONE_COOKIE
from reactpy.core.types import LayoutUpdateMessage
from sanic import Request

logger = logging.getLogger(__name__)

# What the stream taps hand over (the recorder is one: see heavy/src/heavy/stream/guard.py).
Message = Mapping[str, Any]
REDACTED = "REDACTED"
# URL parameters that carry a secret (the sign-in hand-off's ticket).
_SECRET_PARAMETER = re.compile(r"\b((?:ticket|token)=)[^&\"'\s\\]+")
# Shorter values are not searched for elsewhere (a one-letter prefix of a password is everywhere).
MIN_SECRET_LENGTH = 4
_SECRET_LINE_TYPES = ("password",)
# Not secrets, and their values are words a page shows ("Europe/Paris", "dark"): redacting
# them would redact the page.
PREFERENCE_COOKIES = frozenset({THEME_COOKIE, LANGUAGE_COOKIE, TIME_ZONE_COOKIE})
_EMAIL_AUTOCOMPLETES = ("email", "username")


# The event what runs here comes from, as (connection id, its number there): set where the
# page's event is received (its handler's task copies it) and, in the sending loop, for each
# render it caused (the effects that render starts copy it).
_caused_by: ContextVar[tuple[str, int] | None] = ContextVar("heavy_recorder_caused_by", default=None)
# The event the update being rendered and sent answers: set in the sending loop only.
_answering: ContextVar[tuple[str, int] | None] = ContextVar("heavy_recorder_answering", default=None)


@dataclass
class _Connection:
    visit: str
    layout: LayoutMirror = field(default_factory=LayoutMirror)
    secrets: set[str] = field(default_factory=set)  # as they appear inside JSON strings
    received: int = 0  # messages from the page so far (the next one's number)


@dataclass(frozen=True, slots=True)
class _Cause:
    answering: tuple[str, int]
    inner: object | None  # what the wrapped observer said


class AnswersObserver(WrappingObserver):
    """Watches live layouts while recording: each render remembers the event it answers (see
    the module docstring); the telemetry's observer, if any, watches inside it as before."""

    def cause(self) -> object | None:
        inner = super().cause()
        caused_by = _caused_by.get()
        return inner if caused_by is None else _Cause(caused_by, inner)

    async def update(self, layout: LiveLayout, send: SendUpdate) -> None:
        await super().update(cast("LiveLayout", _Answering(layout)), send)


class _Answering:
    """A layout as the wrapped observer renders it: the render's cause is set for its update
    and its effects, and taken off what the wrapped observer gets (its own cause)."""

    __slots__ = ("layout",)

    def __init__(self, layout: LiveLayout) -> None:
        self.layout = layout

    async def next_render(self) -> tuple[ComponentState, object | None]:
        state, cause = await self.layout.next_render()
        answering = cause.answering if isinstance(cause, _Cause) else None
        _caused_by.set(answering)
        _answering.set(answering)
        return state, cause.inner if isinstance(cause, _Cause) else cause

    async def render_component(self, state: ComponentState) -> LayoutUpdateMessage:
        return await self.layout.render_component(state)


class StreamRecorder:
    """A stream tap writing every message to ``path``, flushed as it goes.

    ``browser_of`` gives the browser binding of a request (None without one): it groups a
    browser's connections into one visit. A crash loses nothing written so far; the file then
    lacks its closing ``]``, which ``load_recording`` tolerates.
    """

    def __init__(
        self, path: Path, browser_of: Callable[[Request], str | None] = lambda _request: None
    ) -> None:
        self.path = path
        self._browser_of = browser_of
        self._file: IO[str] | None = None
        self._records = 0
        self._connections: dict[str, _Connection] = {}
        self._observer = AnswersObserver()

    def open(self) -> None:
        """Start the file, and watch the live layouts opened from now on (``AnswersObserver``)."""
        wrap_layout_observer(self._observer)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        self._file.write("[")
        self._file.flush()
        logger.info("Recording websocket connections to %s", self.path)

    def close(self) -> None:
        unwrap_layout_observer(self._observer)
        if self._file is not None:
            self._file.write("\n]\n")
            self._file.close()
            self._file = None
            logger.info("Recorded %d messages to %s", self._records, self.path)

    def opened(self, connection_id: str, request: Request) -> None:
        browser = self._browser_of(request)
        visit = _visit_id(browser) if browser else connection_id
        connection = self._connections[connection_id] = _Connection(visit)
        connection.secrets.update(_json_inner(value) for value in _cookie_values(request))
        self._write(OPEN, connection_id, {"visit": visit})

    def sent(self, connection_id: str, message: Message) -> None:
        connection = self._connection(connection_id)
        if message.get("type") == "layout-update":
            connection.layout.apply(dict(message))
        answering = _answering.get()
        if answering is not None and answering[0] == connection_id:
            message = {**message, ANSWERS_KEY: answering[1]}
        self._write(SEND, connection_id, message)

    def received(self, connection_id: str, message: Message) -> None:
        """Write what the page sent; called where the page's events are received, before the
        handler's task is made (the task copies which event it answers)."""
        connection = self._connection(connection_id)
        _caused_by.set((connection_id, connection.received))
        connection.received += 1
        owner = connection.layout.owner_of(str(message.get("target")))
        if owner is not None:
            element, event = owner
            where = _where(connection.layout, element, event)
            if where.get("fill") not in (None, EMAIL_FILL):  # a password: keep it out, everywhere
                typed = _typed_value(message)
                if len(typed) >= MIN_SECRET_LENGTH:
                    connection.secrets.add(_json_inner(typed))
                message = {**message, "data": [{"target": {"value": ""}}]}
            message = {**message, REPLAY_KEY: where}
        self._write(RECV, connection_id, message)

    def closed(self, connection_id: str) -> None:
        self._connections.pop(connection_id, None)

    def http(self, request: Request, status: int, location: str | None) -> None:
        """Record an HTTP request of a visit (by path and answer: its query may hold a ticket)."""
        browser = self._browser_of(request)
        if browser is None:
            return
        record = {"visit": _visit_id(browser), "path": request.path, "status": status, "location": location}
        self._write(HTTP, "", record, _cookie_values(request))

    def _connection(self, connection_id: str) -> _Connection:
        # A tap installed after a connection opened has not seen it open: a visit of its own.
        return self._connections.setdefault(connection_id, _Connection(connection_id))

    def _write(
        self, kind: str, connection_id: str, payload: Message, secrets: list[str] | None = None
    ) -> None:
        if self._file is None:
            return
        connection = self._connections.get(connection_id)
        hidden = connection.secrets if connection else {_json_inner(value) for value in secrets or ()}
        line = _redacted(json.dumps([kind, connection_id, time.time(), payload]), hidden)
        self._file.write(("\n" if self._records == 0 else ",\n") + line)
        self._file.flush()
        self._records += 1


def _where(layout: LayoutMirror, element: Element, event: str) -> dict[str, Any]:
    """Where an event's handler lives, for a replay to find it on a new connection."""
    element_id = element.attributes.get("id")
    where = {
        "path": element.path,
        "id": element_id,
        "near": None if element_id else _named_sibling(layout, element),
        "tag": element.tag,
        "event": event,
    }
    fill = _fill_of(element) if event == "onChange" else None
    return where | {"fill": fill} if fill else where


def _fill_of(element: Element) -> str | None:
    """What an input holds that a replay must type for its own account: an e-mail address or a
    password (of the kind its ``autocomplete`` says: ``current-password``, ``new-password``)."""
    kind = str(element.attributes.get("type", "")).lower()
    autocomplete = str(element.attributes.get("autoComplete", "")).lower()
    if kind in _SECRET_LINE_TYPES:
        return autocomplete if autocomplete.endswith("password") else "password"
    if kind == "email" or autocomplete in _EMAIL_AUTOCOMPLETES:
        return EMAIL_FILL
    return None


def _named_sibling(layout: LayoutMirror, element: Element) -> str | None:
    """The id of an element beside this unnamed one (e.g. the ``<a>`` of a router link)."""
    return next((e.attributes["id"] for e in layout.siblings(element) if e.attributes.get("id")), None)


def _typed_value(message: Message) -> str:
    data = message.get("data")
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    target = first.get("target")
    value = target.get("value") if isinstance(target, dict) else None
    return value if isinstance(value, str) else ""


def _cookie_values(request: Request) -> list[str]:
    """The values of the cookies a request carried (the session's and the browser binding's)
    but heavy's preference cookies."""
    pairs = (part.partition("=") for part in request.headers.get("cookie", "").split(";"))
    return [
        value.strip()
        for name, _eq, value in pairs
        if len(value.strip()) >= MIN_SECRET_LENGTH and name.strip() not in PREFERENCE_COOKIES
    ]


def _visit_id(browser_binding: str) -> str:
    """A name for the browser's visit that does not give its cookie away."""
    return hashlib.sha256(browser_binding.encode()).hexdigest()[:12]


def _json_inner(value: str) -> str:
    """``value`` as it appears inside a JSON string."""
    return json.dumps(value)[1:-1]


def _redacted(line: str, secrets: set[str]) -> str:
    line = _SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", line)
    for secret in secrets:
        line = line.replace(secret, REDACTED)
    return line
