"""``AppState``: Sanic's ``app.ctx``, typed, and how routes and pages reach it.

Sanic keeps one ``ctx`` object per app for whatever the app needs between requests. Ours is a
dataclass, so every attribute is declared in one place with its type, and code that reads it
goes through ``app_state(request)`` rather than untyped attribute access.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from heavy import EmbeddedPostgres, StreamTap
from sanic import Request, Sanic
from sanic.config import Config

from heavy_stack.backend.services.container import AppServices
from heavy_stack.settings import Settings


class NotStartedError(RuntimeError):
    """Something asked for the app's services before the server's start-up listener ran."""


@dataclass
class AppState:
    """What one server process keeps: its settings, and what its start-up listeners opened."""

    settings: Settings
    # Shown every websocket message (the stream recorder is one; see heavy/src/heavy/stream/guard.py).
    stream_taps: list[StreamTap] = field(default_factory=list)
    # Opened by the start-up listener, closed by the shut-down listener.
    opened_services: AppServices | None = None
    embedded_postgres: EmbeddedPostgres | None = None
    background_jobs: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def services(self) -> AppServices:
        if self.opened_services is None:
            raise NotStartedError("The app's services open when the server starts (before_server_start).")
        return self.opened_services


HeavyApp = Sanic[Config, AppState]


def app_state(request: Request) -> AppState:
    """The state of the app serving ``request``."""
    state = request.app.ctx
    if not isinstance(state, AppState):
        raise TypeError(f"{request.app.name} was not built by create_app (its ctx is {type(state).__name__})")
    return state
