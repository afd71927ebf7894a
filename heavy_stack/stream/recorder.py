"""Record the websocket connections a server serves, and read recordings back for replay.

A recording is a JSON list of ``[direction, connection_id, timestamp, payload]`` records:
``"send"`` for what the server sent, ``"recv"`` for what it received, ``timestamp`` in Unix
seconds, ``payload`` the ReactPy message itself.

Event target ids are random per connection, so a raw recording could not be replayed on a new
connection. The recorder keeps a mirror of each connection's layout and adds, beside the
``target`` of every received event, where its handler lives::

    {"type": "layout-event", "target": "9f…", "data": [...],
     "replay": {"path": "/children/0/children/3", "id": "update-time", "near": null,
                "tag": "button", "event": "onClick"}}

A replay finds the live element (see ``RecordedEvent.live_element``) and sends to its target.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from heavy_stack.stream.layout_mirror import Element, ElementNotFoundError, LayoutMirror

logger = logging.getLogger(__name__)

# What the stream taps hand over (the recorder is one: see stream/guard.py).
Message = Mapping[str, Any]
SEND = "send"
RECV = "recv"
REPLAY_KEY = "replay"


class StreamRecorder:
    """A stream tap writing every message to ``path``, flushed as it goes.

    A crash loses nothing written so far; the file then lacks its closing ``]``, which
    ``load_recording`` tolerates.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._records = 0
        self._mirrors: dict[str, LayoutMirror] = {}

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        self._file.write("[")
        self._file.flush()
        logger.info("Recording websocket connections to %s", self.path)

    def close(self) -> None:
        if self._file is not None:
            self._file.write("\n]\n")
            self._file.close()
            self._file = None
            logger.info("Recorded %d messages to %s", self._records, self.path)

    def sent(self, connection_id: str, message: Message) -> None:
        if message.get("type") == "layout-update":
            self._mirrors.setdefault(connection_id, LayoutMirror()).apply(dict(message))
        self._write(SEND, connection_id, message)

    def received(self, connection_id: str, message: Message) -> None:
        mirror = self._mirrors.get(connection_id)
        owner = mirror.owner_of(str(message.get("target"))) if mirror else None
        if mirror is not None and owner is not None:
            element, event = owner
            element_id = element.attributes.get("id")
            where = {
                "path": element.path,
                "id": element_id,
                "near": None if element_id else _named_sibling(mirror, element),
                "tag": element.tag,
                "event": event,
            }
            message = {**message, REPLAY_KEY: where}
        self._write(RECV, connection_id, message)

    def closed(self, connection_id: str) -> None:
        self._mirrors.pop(connection_id, None)

    def _write(self, direction: str, connection_id: str, payload: Message) -> None:
        if self._file is None:
            return
        separator = "\n" if self._records == 0 else ",\n"
        self._file.write(separator + json.dumps([direction, connection_id, time.time(), payload]))
        self._file.flush()
        self._records += 1


@dataclass(frozen=True)
class RecordedEvent:
    """One event a page sent, with what a replay needs to send it again."""

    data: list[Any]
    event: str
    path: str
    element_id: str | None
    near_id: str | None  # for an element without id: the id of an element beside it
    tag: str
    think_time: float  # seconds since the previous message of the connection
    answered: bool  # whether the server sent anything before the page's next event

    def describe(self) -> str:
        """A short name for reports: the event and its element's id, else where it leads or its tag."""
        if self.element_id:
            return f"{self.event} #{self.element_id}"
        location = self.data[0].get("pathname") if self.data and isinstance(self.data[0], dict) else None
        return f"{self.event} to {location}" if isinstance(location, str) else f"{self.event} <{self.tag}>"

    def live_message(self, layout: LayoutMirror) -> dict[str, Any]:
        """This event addressed to the live page; ElementNotFoundError when it has no such handler."""
        return {
            "type": "layout-event",
            "target": self.live_element(layout).target(self.event),
            "data": self.data,
        }

    def live_element(self, layout: LayoutMirror) -> Element:
        """The element to send to: by id, or beside the element it was beside; else at the
        recorded path; else the only one handling the event.

        The last keeps a recording usable when wrappers move elements (e.g. a new provider).
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
        handling = layout.find_all_handling(self.event)
        if len(handling) == 1:
            return handling[0]
        raise ElementNotFoundError(f"the page has no element for {self.describe()}")


@dataclass(frozen=True)
class RecordedConnection:
    """The events one page sent over one connection, in order."""

    id: str
    events: tuple[RecordedEvent, ...]


def load_recording(path: Path) -> dict[str, RecordedConnection]:
    """The recording's connections by id (a file cut short by a crash is read up to its end)."""
    text = path.read_text(encoding="utf-8").rstrip()
    if not text.endswith("]"):
        text = text.rstrip(",") + "]"
    records = json.loads(text)
    if not isinstance(records, list):
        raise ValueError(f"{path}: a recording is a JSON list of records")
    by_connection: dict[str, list[list[Any]]] = {}
    for record in records:
        by_connection.setdefault(record[1], []).append(record)
    return {key: RecordedConnection(key, tuple(_events(rows))) for key, rows in by_connection.items()}


def busiest_connection(recording: dict[str, RecordedConnection]) -> RecordedConnection:
    """The connection with the most replayable events: the default one to replay."""
    if not recording:
        raise ValueError("the recording holds no connection")
    return max(recording.values(), key=lambda connection: len(connection.events))


def _named_sibling(mirror: LayoutMirror, element: Element) -> str | None:
    """The id of an element beside this unnamed one (e.g. the ``<a>`` of a router link)."""
    return next((e.attributes["id"] for e in mirror.siblings(element) if e.attributes.get("id")), None)


def _events(records: list[list[Any]]) -> Iterator[RecordedEvent]:
    previous_at = records[0][2] if records else 0.0
    for index, (direction, _connection, at, payload) in enumerate(records):
        where = payload.get(REPLAY_KEY) if direction == RECV else None
        if where is None:
            continue
        answered = any(row[0] == SEND for row in _until_next_event(records[index + 1 :]))
        yield RecordedEvent(
            data=payload.get("data", []),
            event=where["event"],
            path=where["path"],
            element_id=where.get("id"),
            near_id=where.get("near"),
            tag=where.get("tag", ""),
            think_time=max(0.0, at - previous_at),
            answered=answered,
        )
        previous_at = at


def _until_next_event(records: list[list[Any]]) -> Iterator[list[Any]]:
    for record in records:
        if record[0] == RECV:
            return
        yield record
