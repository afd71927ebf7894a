"""Typed events: each handler says what it takes, and nothing else reaches it.

The browser is the user's, so anything can arrive over the websocket as an event's data. A
handler declares what it takes by the annotation of its event parameter: ``Click``,
``Submit``, ``Change`` (an input's string value), ``KeyPress`` or ``Location`` (the router's
``pathname`` and ``search``); a handler with no event parameter takes a click or any other
DOM event and is called with nothing. Before a handler runs, the client's data is checked
against that type: data that does not fit is dropped (the live layout logs it, rate-limited,
and closes a connection that keeps sending it), so the handler never sees it and nothing
raises. The strings a handler gets are clean: NUL characters and lone surrogates, which no
PostgreSQL text column can store, are removed.

Reading a handler's annotations costs a few microseconds: it is done once per function
definition (its code object) and remembered.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import CodeType
from typing import Any, ClassVar, cast

logger = logging.getLogger(__name__)

# What PostgreSQL text cannot hold: NUL, and halves of surrogate pairs on their own.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without NUL characters and lone surrogates (everything else is kept)."""
    return _UNSTORABLE.sub("", text) if not text.isascii() or "\x00" in text else text


class Event:
    """What a handler takes; ``parse`` reads it from the client's data, or says it does not fit."""

    name: ClassVar[str] = "a DOM event"

    @classmethod
    def parse(cls, data: Sequence[Any]) -> Event | None:
        """The event in ``data`` (the arguments the client sent), or None if it does not fit."""
        return cls() if _dom_event(data) is not None else None


@dataclass(frozen=True, slots=True)
class Click(Event):
    """A click (or any DOM event whose details the handler does not need)."""

    name: ClassVar[str] = "a click"


@dataclass(frozen=True, slots=True)
class Submit(Event):
    """A form's submission (the form's fields are read from their own state, not from here)."""

    name: ClassVar[str] = "a form submission"


@dataclass(frozen=True, slots=True)
class Change(Event):
    """An input's new value, as the browser reports it in ``target.value``."""

    value: str
    name: ClassVar[str] = "a change with a string value"

    @classmethod
    def parse(cls, data: Sequence[Any]) -> Change | None:
        value = _target_value(_dom_event(data))
        return None if value is None else cls(clean_text(value))


@dataclass(frozen=True, slots=True)
class KeyPress(Event):
    """A key pressed in an element: the key's name and, in an input, its value."""

    key: str
    value: str = ""
    name: ClassVar[str] = "a key press"

    @classmethod
    def parse(cls, data: Sequence[Any]) -> KeyPress | None:
        event = _dom_event(data)
        key = None if event is None else event.get("key")
        if not isinstance(key, str):
            return None
        value = _target_value(event)
        return cls(clean_text(key), clean_text(value or ""))


@dataclass(frozen=True, slots=True)
class Location(Event):
    """Where the browser is: what the router's history element reports."""

    pathname: str
    search: str
    name: ClassVar[str] = "a location (pathname and search strings)"

    @classmethod
    def parse(cls, data: Sequence[Any]) -> Location | None:
        event = _dom_event(data)
        if event is None:
            return None
        pathname, search = event.get("pathname"), event.get("search")
        if not isinstance(pathname, str) or not isinstance(search, str):
            return None
        return cls(clean_text(pathname), clean_text(search))


class EventDeclarationError(TypeError):
    """A handler's event parameter names no event type (it must: see ``heavy.events``)."""


@dataclass(frozen=True, slots=True)
class Takes:
    """What one handler takes: an event type, or (``event`` None) nothing of the event."""

    event: type[Event] | None

    def parse(self, data: Sequence[Any]) -> tuple[Any, ...] | None:
        """The arguments to call the handler with, or None when ``data`` does not fit."""
        if self.event is None:
            return () if _dom_event(data) is not None else None
        parsed = self.event.parse(data)
        return None if parsed is None else (parsed,)

    @property
    def name(self) -> str:
        return Event.name if self.event is None else self.event.name


_remembered: dict[tuple[CodeType, int], Takes] = {}


def takes_of(function: Callable[..., Any], *, leading: int = 0) -> Takes:
    """What ``function`` takes after its first ``leading`` parameters (e.g. 1: the context).

    Raises ``EventDeclarationError`` when its event parameter is not annotated with an event
    type, and ``TypeError`` when it needs more arguments than one event.
    """
    code = getattr(function, "__code__", None)
    if isinstance(code, CodeType):
        known = _remembered.get((code, leading))
        if known is None:
            known = _remembered[(code, leading)] = _read_takes(function, leading)
        return known
    return _read_takes(function, leading)  # partials and callable objects: read each time


def _read_takes(function: Callable[..., Any], leading: int) -> Takes:
    parameters = [
        parameter
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and parameter.default is parameter.empty
    ][leading:]
    if not parameters:
        return Takes(None)
    if len(parameters) > 1:
        raise TypeError(
            f"{_name(function)} takes {len(parameters)} arguments after the context; a handler takes one event"
        )
    annotation = _hints(function).get(parameters[0].name)
    if isinstance(annotation, type) and issubclass(annotation, Event):
        return Takes(None if annotation is Event else annotation)
    raise EventDeclarationError(
        f"Annotate the event parameter {parameters[0].name!r} of {_name(function)} with the event it "
        "takes (heavy.Click, heavy.Submit, heavy.Change, heavy.KeyPress or heavy.Location), or "
        "leave it out if the handler needs nothing of the event."
    )


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    target = function.func if isinstance(function, partial) else function
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = type(target).__call__  # a callable object
    try:
        return typing.get_type_hints(target)
    except (NameError, TypeError):  # an annotation that cannot be resolved: not an event type
        return {}


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", type(function).__qualname__)


def _dom_event(data: Sequence[Any]) -> dict[str, Any] | None:
    """The one DOM event object of ``data`` (``{}`` when the client sent none), or None."""
    if len(data) == 0:
        return {}
    if len(data) == 1 and isinstance(data[0], dict):
        return data[0]
    return None


def _target_value(event: dict[str, Any] | None) -> str | None:
    target = None if event is None else event.get("target")
    value = target.get("value") if isinstance(target, dict) else None
    return value if isinstance(value, str) else None


class BadEvents:
    """The events of one connection that did not fit their handler: logged, but not a flood.

    The first few of each minute get a WARNING each (naming the handler and what it takes; the
    connection is named by the log scope); later ones are counted and said in one line when the
    minute is over or the connection closes. A connection that sends ``close_after`` bad events
    within a minute is one to close: ``report`` says so (a buggy page sends one now and then; a
    flood is not a page).
    """

    WINDOW_SECONDS = 60.0

    def __init__(
        self,
        *,
        warnings_per_minute: int = 3,
        close_after: int = 40,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.warnings_per_minute = warnings_per_minute
        self.close_after = close_after
        self._clock = clock
        self._window_start = clock()
        self._in_window = 0
        self._unlogged = 0

    def report(self, handler: object, takes: str, data: Sequence[Any]) -> bool:
        """Log (or count) one bad event; True when the connection should be closed."""
        now = self._clock()
        if now - self._window_start >= self.WINDOW_SECONDS:
            self.summarize()
            self._window_start, self._in_window = now, 0
        self._in_window += 1
        if self._in_window <= self.warnings_per_minute:
            logger.warning(
                "Dropped an event for %s: it takes %s, the client sent %s", handler, takes, _shape(data)
            )
        else:
            self._unlogged += 1
        return self._in_window >= self.close_after

    def summarize(self) -> None:
        """Say how many bad events went unlogged (at the end of a minute, or of the connection)."""
        if self._unlogged:
            logger.warning("Dropped %d more events that did not fit their handlers", self._unlogged)
            self._unlogged = 0


def _shape(data: Sequence[Any]) -> str:
    """What the client sent, by type and size only: its values are user data, never logged."""
    if len(data) != 1:
        return f"{len(data)} arguments"
    value = data[0]
    if isinstance(value, dict):
        return f"an object with {len(value)} keys"
    return f"a {type(value).__name__}"


class TooManyBadEventsError(Exception):
    """A connection kept sending events that fit no handler: it is closed (1008, policy)."""

    code = 1008


@dataclass(frozen=True, slots=True)
class Declared:
    """What the live layout knows of a handler: what it takes, its name for the log, and how
    to hand it what was read (``None``: the client's data as it came, checked as one DOM event)."""

    takes: Takes
    name: object  # str() gives the handler's name; made only when a line is logged
    hand_over: Callable[[tuple[Any, ...]], list[Any]] | None = list


def _location_as_dict(arguments: tuple[Any, ...]) -> list[Any]:
    location: Location = arguments[0]
    return [{"pathname": location.pathname, "search": location.search}]


# Handlers of reactpy-router's components: each builds its Location from the client's data
# (``Location(**event)``), so they get a checked one, as the dict they expect.
_ROUTER_HANDLERS = frozenset(
    {
        ("reactpy_router.routers", "router.<locals>.on_history_change"),
        ("reactpy_router.components", "_link.<locals>.on_click_callback"),
        ("reactpy_router.components", "_navigate.<locals>.on_navigate_callback"),
    }
)


def declared_event(function: Callable[..., Any]) -> Declared:
    """What the handler ``function`` (an ``EventHandler``'s) takes.

    ``heavy_event`` handlers carry theirs; reactpy-router's take a ``Location``; any other (a
    component library's own handler) takes one DOM event and gets it as the client sent it.
    """
    return declared_of(_wrapped(function))


def declared_of(inner: Callable[..., Any]) -> Declared:
    """What the handler function ``inner`` takes (``declared_event`` of the function ReactPy's
    wrapper calls, the live layout keeps that function itself)."""
    # A heavy_event handler is an object that carries it, or an async one's bound method.
    declared = getattr(getattr(inner, "__self__", inner), "declared", None)
    if isinstance(declared, Declared):
        return declared
    where = (getattr(inner, "__module__", ""), getattr(inner, "__qualname__", ""))
    if where in _ROUTER_HANDLERS:
        return Declared(Takes(Location), where[1], _location_as_dict)
    return Declared(Takes(None), _name(inner), None)


def _wrapped(function: Callable[..., Any]) -> Callable[..., Any]:
    """The function ReactPy's ``to_event_handler_function`` wrapped (its closure's one cell)."""
    cells: tuple[Any, ...] = getattr(function, "__closure__", None) or ()
    inner = cells[0].cell_contents if len(cells) == 1 else None
    return cast(Callable[..., Any], inner) if callable(inner) else function
