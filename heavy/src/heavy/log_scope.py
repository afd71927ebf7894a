"""Which connection, and which signed-in user, the log lines logged here belong to.

One mutable ``LogScope`` per HTTP request or websocket connection, in a context variable: set
when the request arrives (``heavy/web/logs.py``), inherited by the tasks the connection starts
(ReactPy runs each event handler and effect in one), and shared by them, so signing out in a
handler takes the user id off the connection's later lines too. The log handlers read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class LogScope:
    """What the lines of one connection (or one HTTP request) carry; shared by its tasks."""

    connection_id: str
    user_id: str | None = None


_scope: ContextVar[LogScope | None] = ContextVar("log_scope", default=None)


def start_scope(connection_id: str) -> LogScope:
    """Lines logged from here on in this task (and tasks it starts) name ``connection_id``."""
    scope = LogScope(connection_id)
    _scope.set(scope)
    return scope


def current_scope() -> LogScope | None:
    """The scope of the request or connection being served here, if any."""
    return _scope.get()


def set_scope_user(user_id: object | None) -> None:
    """The signed-in user of the current connection (None: signed out); no-op outside one."""
    scope = _scope.get()
    if scope is not None:
        scope.user_id = None if user_id is None else str(user_id)


@contextmanager
def in_scope(scope: LogScope | None) -> Iterator[None]:
    """Lines logged in this block carry ``scope`` (for a callback run outside the connection's tasks)."""
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)
