"""Read a recording back as visits a replay can drive (the recorder is ``heavy/src/heavy/stream/recorder.py``).

A recording is a JSON list of ``[kind, connection_id, timestamp, payload]`` records:

- ``"open"``: a connection opened; ``payload["visit"]`` names the browser it came from (a hash
  of its binding cookie), so every connection of one visit (the sign-up page, the page after the
  sign-in hand-off, a reconnect) is replayed in order by one virtual user;
- ``"send"`` / ``"recv"``: a ReactPy message the server sent or received;
- ``"http"``: an HTTP request of a visit between its connections, such as the sign-in hand-off
  (``payload``: ``visit``, ``path``, ``status``, ``location``; never the query, which holds the
  ticket).

Recordings made before visits were recorded have no ``"open"`` records: each connection is then
a visit of its own.

An update the recorder knew the cause of says which event it answers (``"answers": n``, the
event's number among the messages the connection received): an event is **answered** when
some update answers it. Recordings without those numbers (older ones) count every update as the
answer of the last event sent before it, which is wrong for an update nothing asked for (the
online count) and for a slow answer the page sent another event before.

Each event also carries what the server **confirmed** in answer to it when recorded
(``RecordedEvent.expects``): the status and alert messages the page showed (``role="status"`` or
``"alert"``, e.g. "Added “Groceries”."), and the texts of named elements it changed (the time
shown after "Read again"). A replay checks the live page shows the same, with digits and the
account's e-mail address left out of the comparison.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heavy.stream.layout_mirror import Element, ElementNotFoundError, LayoutMirror
from heavy.web.router import HISTORY_EVENT

OPEN, SEND, RECV, HTTP = "open", "send", "recv", "http"
KINDS = (OPEN, SEND, RECV, HTTP)
REPLAY_KEY = "replay"
# In an update the recorder knew the cause of: the number of the event it answers.
ANSWERS_KEY = "answers"
# What a replay puts in a field the recorder left empty (``RecordedEvent.fill``).
EMAIL_FILL = "email"
PASSWORD_FILLS = ("password", "current-password", "new-password")
NEW_ACCOUNT_FILL = "new-password"
EMAIL_PLACEHOLDER = "{email}"
MESSAGE_ROLES = ("status", "alert")
# Ids made per record (``note-link-<uuid>``) differ on a replay: nothing to compare them by.
_GENERATED_ID = re.compile(r"[0-9a-f]{8,}|[0-9a-f-]{20,}")
_DIGITS = re.compile(r"\d+")


class RecordingError(ValueError):
    """The file is not a recording a replay can use; the message says why, in one line."""


@dataclass(frozen=True)
class Expectation:
    """Words an element showed after an event that it did not show before (as compared: see
    ``comparable_text``): "Load Test User" after a rename, not the unchanged rest of the line."""

    id: str
    text: str

    def describe(self) -> str:
        return f"#{self.id} “{self.text}”"

    def missing_from(self, shown: str) -> list[str]:
        """The expected words ``shown`` (a comparable text) lacks."""
        lacking = Counter(self.text.split()) - Counter(shown.split())
        return list(lacking.elements())


@dataclass(frozen=True)
class RecordedEvent:
    """One event a page sent, with what a replay needs to send it again and to check its answer."""

    data: list[Any]
    event: str
    path: str
    element_id: str | None
    near_id: str | None  # for an element without id: the id of an element beside it
    tag: str
    think_time: float  # seconds since the previous message of the connection
    answered: bool  # whether the server sent anything before the page's next event
    fill: str | None = None  # "email" or a password kind: the replay types its account's
    expects: tuple[Expectation, ...] = ()

    def describe(self) -> str:
        """A short name for reports: the event and its element's id, else where it leads or its tag."""
        if self.element_id:
            return f"{self.event} #{self.element_id}"
        location = self.location()
        return f"{self.event} to {location}" if location is not None else f"{self.event} <{self.tag}>"

    def location(self) -> str | None:
        """Where a router event leads (``/notes``), else None."""
        first = self.data[0] if self.data and isinstance(self.data[0], dict) else {}
        pathname, search = first.get("pathname"), first.get("search", "")
        if not isinstance(pathname, str):
            return None
        return pathname + (search if isinstance(search, str) else "")

    def data_for(self, email: str, password: str) -> list[Any]:
        """The event's data, with an account field holding the replaying user's own value."""
        if self.fill is None:
            return self.data
        value = email if self.fill == EMAIL_FILL else password
        return [{"target": {"value": value}}, *self.data[1:]]

    def live_message(self, layout: LayoutMirror, data: list[Any] | None = None) -> dict[str, Any]:
        """This event addressed to the live page; ElementNotFoundError when it has no such handler."""
        return {
            "type": "layout-event",
            "target": self.live_element(layout).target(self.event),
            "data": self.data if data is None else data,
        }

    def live_element(self, layout: LayoutMirror) -> Element:
        """The element to send to: by id, or beside the element it was beside; else at the
        recorded path; else, for an element without an id, the only one handling the event.

        The last keeps a recording usable when wrappers move elements (e.g. a new provider). An
        element with an id that is not on the page is not shown yet: ElementNotFoundError, and
        the replay waits for it, rather than sending to whatever else handles the event (the
        only click handler of a page still loading may be another one).
        """
        if self.element_id:
            by_id = layout.find_all(id=self.element_id)
            if len(by_id) == 1:
                return by_id[0]
        if self.near_id:
            for named in layout.find_all(id=self.near_id)[:1]:
                for sibling in layout.siblings(named):
                    if self.event in sibling.model.get("eventHandlers", {}):
                        return sibling
        with suppress(ElementNotFoundError):
            at_path = layout.at(self.path)
            if self.event in at_path.model.get("eventHandlers", {}):
                return at_path
        handling = [] if self.element_id else layout.find_all_handling(self.event)
        if len(handling) == 1:
            return handling[0]
        raise ElementNotFoundError(f"the page has no element for {self.describe()}")

    def unconfirmed(self, layout: LayoutMirror, email: str) -> list[str]:
        """What the live page does not show of what the server confirmed when recorded."""
        missing = []
        for expected in self.expects:
            elements = layout.find_all(id=expected.id)
            shown = comparable_text(elements[0].text, email) if elements else ""
            if not elements:
                missing.append(f"#{expected.id} is not on the page (recorded “{expected.text}”)")
            elif lacking := expected.missing_from(shown):
                missing.append(f"#{expected.id} shows “{shown}”, without “{' '.join(lacking)}”")
        return missing


@dataclass(frozen=True)
class HandOff:
    """An HTTP request a visit made between two connections (the sign-in hand-off)."""

    path: str
    status: int
    location: str | None

    def describe(self) -> str:
        return f"{self.status} to {self.location}" if self.location else str(self.status)


@dataclass(frozen=True)
class RecordedConnection:
    """The events one page sent over one connection, in order, and the HTTP request after it."""

    id: str
    events: tuple[RecordedEvent, ...]
    hand_off: HandOff | None = None

    @property
    def path(self) -> str:
        """The page it showed first (its first router location), as a browser would load it."""
        return next((e.location() for e in self.events if e.location() is not None), None) or "/"

    @property
    def opening(self) -> RecordedEvent | None:
        """The router's report of the page's location, when it is the connection's first event.

        The page's first update shows that page (heavy's router renders the connection's
        location at once), so a replay checks that update against what the report's answer
        showed in a recording made before, and sends the report unanswered, as a browser does.
        """
        first = self.events[0] if self.events else None
        return first if first is not None and first.event == HISTORY_EVENT else None

    @property
    def events_after_opening(self) -> tuple[RecordedEvent, ...]:
        """The events a replay sends, and waits for answers to, after the page's first update."""
        return self.events[1:] if self.opening is not None else self.events


@dataclass(frozen=True)
class RecordedVisit:
    """One browser's connections, in the order they opened."""

    id: str
    connections: tuple[RecordedConnection, ...]

    @property
    def events(self) -> Iterator[RecordedEvent]:
        return (event for connection in self.connections for event in connection.events)

    @property
    def fills(self) -> set[str]:
        return {event.fill for event in self.events if event.fill is not None}

    @property
    def creates_an_account(self) -> bool:
        return NEW_ACCOUNT_FILL in self.fills

    @property
    def needs_an_account(self) -> bool:
        """It signs in to an account that must exist before it starts."""
        return not self.creates_an_account and bool(self.fills & set(PASSWORD_FILLS))

    @property
    def uses_cookies(self) -> bool:
        """It signs in or spans page loads: each page is loaded over HTTP first, keeping cookies."""
        hands_off = any(connection.hand_off for connection in self.connections)
        return len(self.connections) > 1 or hands_off or bool(self.fills)


@dataclass(frozen=True)
class Recording:
    """A recording's visits by id, in the order they began."""

    path: Path
    visits: dict[str, RecordedVisit]

    def busiest_visit(self) -> RecordedVisit:
        """The visit with the most events: the one to replay by default."""
        return max(self.visits.values(), key=lambda visit: sum(1 for _ in visit.events))

    def visit(self, visit_id: str) -> RecordedVisit:
        if visit_id not in self.visits:
            raise RecordingError(f"{self.path} has no visit {visit_id!r}; it has {', '.join(self.visits)}")
        return self.visits[visit_id]

    def connection(self, connection_id: str) -> RecordedConnection:
        connections = {c.id: c for visit in self.visits.values() for c in visit.connections}
        if connection_id not in connections:
            raise RecordingError(
                f"{self.path} has no connection {connection_id!r}; it has {', '.join(connections)}"
            )
        return connections[connection_id]


def load_recording(path: Path) -> Recording:
    """The recording's visits; RecordingError (one line) for a missing, empty or corrupt file.

    A file cut short by a crash (no closing ``]``) is read up to its end.
    """
    records = _read_records(path)
    visit_of: dict[str, str] = {}
    rows: dict[str, list[list[Any]]] = {}
    hand_offs: dict[str, list[tuple[float, HandOff]]] = {}
    for kind, connection_id, at, payload in records:
        if kind == HTTP:
            hand_offs.setdefault(str(payload.get("visit")), []).append((at, _hand_off(payload)))
            continue
        if kind == OPEN:
            visit_of.setdefault(connection_id, str(payload.get("visit") or connection_id))
        rows.setdefault(connection_id, []).append([kind, connection_id, at, payload])
    emails: dict[str, str] = {}
    for connection_id, connection_rows in rows.items():
        visit_id = visit_of.get(connection_id, connection_id)
        emails[visit_id] = _typed_email(connection_rows) or emails.get(visit_id, "")
    visits: dict[str, list[tuple[float, RecordedConnection]]] = {}
    for connection_id, connection_rows in rows.items():
        visit_id = visit_of.get(connection_id, connection_id)
        events = _events(connection_rows, emails[visit_id])
        connection = RecordedConnection(connection_id, tuple(events))
        visits.setdefault(visit_id, []).append((connection_rows[0][2], connection))
    recording = Recording(
        path,
        {
            visit_id: RecordedVisit(visit_id, _with_hand_offs(opened, hand_offs.get(visit_id, [])))
            for visit_id, opened in visits.items()
            if any(connection.events for _at, connection in opened)
        },
    )
    if not recording.visits:
        raise RecordingError(
            f"{path}: the recording is empty: no page event was recorded (use the app while it records)"
        )
    return recording


def busiest_connection(recording: Recording) -> RecordedConnection:
    """The connection with the most events (``make bench`` replays the demo's one connection)."""
    connections = [c for visit in recording.visits.values() for c in visit.connections]
    return max(connections, key=lambda connection: len(connection.events))


def comparable_text(text: str, email: str) -> str:
    """``text`` as a replay compares it: the account's e-mail address and numbers (times,
    counts) stand for any, and runs of spaces are one."""
    if email:
        text = re.sub(re.escape(email), EMAIL_PLACEHOLDER, text, flags=re.IGNORECASE)
    return " ".join(_DIGITS.sub("#", text).split())


def _read_records(path: Path) -> list[list[Any]]:
    try:
        text = path.read_text(encoding="utf-8").rstrip()
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such recording file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RecordingError(f"{path}: cannot read the recording ({error})") from None
    if text and not text.endswith("]"):  # cut short by a crash
        text = text.rstrip(",") + "]"
    try:
        records = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordingError(f"{path}: not a recording (invalid JSON: {error})") from None
    if not isinstance(records, list):
        raise RecordingError(f"{path}: not a recording (expected a JSON list of records)")
    for number, record in enumerate(records, start=1):
        if not _is_record(record):
            raise RecordingError(
                f"{path}: not a recording (record {number} is not [kind, connection_id, timestamp, payload])"
            )
    return records


def _is_record(record: object) -> bool:
    return (
        isinstance(record, list)
        and len(record) == 4
        and record[0] in KINDS
        and isinstance(record[1], str)
        and isinstance(record[2], int | float)
        and isinstance(record[3], dict)
    )


def _hand_off(payload: dict[str, Any]) -> HandOff:
    location = payload.get("location")
    return HandOff(str(payload.get("path", "")), int(payload.get("status", 0)), location and str(location))


def _with_hand_offs(
    opened: list[tuple[float, RecordedConnection]], hand_offs: list[tuple[float, HandOff]]
) -> tuple[RecordedConnection, ...]:
    """The visit's connections in order, each with the last HTTP request made before the next."""
    opened.sort(key=lambda pair: pair[0])
    starts = [at for at, _connection in opened[1:]] + [float("inf")]
    connections = []
    for (at, connection), next_start in zip(opened, starts, strict=True):
        between = [hand_off for when, hand_off in hand_offs if at <= when < next_start]
        connections.append(
            RecordedConnection(connection.id, connection.events, between[-1] if between else None)
        )
    return tuple(connections)


def _events(records: Sequence[list[Any]], email: str) -> Iterator[RecordedEvent]:
    """The connection's events, each with what the server's answer showed (from its updates);
    ``email`` is the address typed in the visit, which texts show."""
    if any(row[0] == SEND and ANSWERS_KEY in row[3] for row in records):
        yield from _answered_events(records, email)
        return
    layout = LayoutMirror()
    pending: tuple[int, float, dict[str, tuple[str, bool, bool]]] | None = None
    previous_at = records[0][2] if records else 0.0
    for index, (kind, _connection, at, payload) in enumerate(records):
        if kind == SEND and payload.get("type") == "layout-update":
            _apply(layout, payload)
        elif kind == RECV and isinstance(payload.get(REPLAY_KEY), dict):
            shown = _shown(layout, email)
            if pending is not None:
                yield _next_answered_event(records, *pending, after=shown)
            pending = (index, max(0.0, at - previous_at), shown)
            previous_at = at
    if pending is not None:
        yield _next_answered_event(records, *pending, after=_shown(layout, email))


def _answered_events(records: Sequence[list[Any]], email: str) -> Iterator[RecordedEvent]:
    """The events of a connection whose updates say which event they answer: what an event's
    answers showed is compared from before its first to after its last."""
    layout = LayoutMirror()
    events: list[tuple[int, int, float]] = []  # record index, event number, think time
    before: dict[int, dict[str, tuple[str, bool, bool]]] = {}
    after: dict[int, dict[str, tuple[str, bool, bool]]] = {}
    previous_at = records[0][2] if records else 0.0
    received = 0
    for index, (kind, _connection, at, payload) in enumerate(records):
        if kind == SEND and payload.get("type") == "layout-update":
            answers = payload.get(ANSWERS_KEY)
            if isinstance(answers, int) and answers not in before:
                before[answers] = _shown(layout, email)
            _apply(layout, payload)
            if isinstance(answers, int):
                after[answers] = _shown(layout, email)
        elif kind == RECV:
            if isinstance(payload.get(REPLAY_KEY), dict):
                events.append((index, received, max(0.0, at - previous_at)))
                previous_at = at
            received += 1
    for index, number, think_time in events:
        expects = _confirmed(before[number], after[number]) if number in after else ()
        yield _event(records[index][3], think_time, answered=number in after, expects=expects)


def _next_answered_event(
    records: Sequence[list[Any]],
    index: int,
    think_time: float,
    before: dict[str, tuple[str, bool, bool]],
    *,
    after: dict[str, tuple[str, bool, bool]],
) -> RecordedEvent:
    """An event of an older recording: answered if the server sent anything before the next."""
    answered = any(row[0] == SEND for row in _until_next_event(records[index + 1 :]))
    expects = _confirmed(before, after) if answered else ()
    return _event(records[index][3], think_time, answered=answered, expects=expects)


def _apply(layout: LayoutMirror, update: dict[str, Any]) -> None:
    try:
        layout.apply(update)
    except (LookupError, ValueError, TypeError) as error:
        raise RecordingError(f"not a recording (a layout update does not apply: {error!r})") from None


def _event(
    payload: dict[str, Any], think_time: float, *, answered: bool, expects: tuple[Expectation, ...]
) -> RecordedEvent:
    where = payload[REPLAY_KEY]
    return RecordedEvent(
        data=payload.get("data", []),
        event=str(where.get("event", "")),
        path=str(where.get("path", "")),
        element_id=where.get("id"),
        near_id=where.get("near"),
        tag=str(where.get("tag", "")),
        think_time=think_time,
        answered=answered,
        fill=where.get("fill"),
        expects=expects,
    )


def _confirmed(
    before: dict[str, tuple[str, bool, bool]], after: dict[str, tuple[str, bool, bool]]
) -> tuple[Expectation, ...]:
    """What the answer showed: the words of messages it put up, and of named texts it changed."""
    expects = []
    for element_id, (text, is_message, is_leaf) in after.items():
        if not (is_message or (is_leaf and element_id in before)):
            continue
        if new_words := _words_added(before.get(element_id, ("",))[0], text):
            expects.append(Expectation(element_id, " ".join(new_words)))
    return tuple(expects)


def _words_added(before: str, after: str) -> list[str]:
    """The words of ``after`` that ``before`` did not have (as many times as they were added)."""
    earlier = Counter(before.split())
    added = []
    for word in after.split():
        if earlier[word] > 0:
            earlier[word] -= 1
        else:
            added.append(word)
    return added


def _shown(layout: LayoutMirror, email: str) -> dict[str, tuple[str, bool, bool]]:
    """Each named element's comparable text, whether it is a message, and whether it is a leaf
    (no named element inside: a list of notes is not compared, its message is)."""
    named = [
        element
        for element in layout.elements()
        if isinstance(element.attributes.get("id"), str)
        and element.tag not in ("script", "input", "textarea", "button")
        and not _GENERATED_ID.search(element.attributes["id"])
    ]
    paths = sorted(element.path for element in layout.elements() if element.attributes.get("id"))
    shown: dict[str, tuple[str, bool, bool]] = {}
    for element in named:
        inside = element.path + "/"
        is_leaf = not any(path.startswith(inside) for path in paths)
        is_message = element.attributes.get("role") in MESSAGE_ROLES
        shown.setdefault(
            element.attributes["id"], (comparable_text(element.text, email), is_message, is_leaf)
        )
    return shown


def _typed_email(records: Sequence[list[Any]]) -> str:
    """The last e-mail address typed on a connection (texts show it; a replay types its own)."""
    email = ""
    for kind, _connection, _at, payload in records:
        where = payload.get(REPLAY_KEY) if kind == RECV else None
        if isinstance(where, dict) and where.get("fill") == EMAIL_FILL:
            with suppress(LookupError, TypeError, AttributeError):
                email = str(payload["data"][0]["target"]["value"]).strip()
    return email


def _until_next_event(records: Sequence[list[Any]]) -> Iterator[list[Any]]:
    for record in records:
        if record[0] == RECV:
            return
        yield record
