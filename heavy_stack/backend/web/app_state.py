"""``AppState``: Sanic's ``app.ctx`` of this app, typed, and how routes reach it.

``heavy.create_app`` keeps one ``HeavyState`` per server process: the settings and the services
it opened. Here it gets this product's types, so routes read ``app_state(request).services``
as ``AppServices`` rather than through untyped attribute access.
"""

from __future__ import annotations

from typing import cast

from heavy import HeavyState
from heavy import app_state as heavy_app_state
from sanic import Request

from heavy_stack.backend.services.container import AppServices
from heavy_stack.settings import Settings

AppState = HeavyState[Settings, AppServices]


def app_state(request: Request) -> AppState:
    """The state of the app serving ``request``."""
    return cast(AppState, heavy_app_state(request))
