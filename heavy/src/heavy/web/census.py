"""What the live pages of this process keep, counted (development only: ``/_heavy/census``).

A page that closed must leave nothing behind: its layout, component states and hooks freed, its
presence watchers and topic subscriptions ended. ``live_census`` counts them after a full
collection, so a test (or a developer chasing memory) opens pages, closes them and compares.
The count walks every object of the process (``gc.get_objects``): tens of milliseconds on a busy
server, which is why PRODUCTION has no route to it.
"""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from typing import Any

from heavy.live.layout import ComponentState, ElementState, LiveLayout
from heavy.live.presence import current_presence
from heavy.live.pubsub import current_pubsub
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sanic.server.websockets.impl import WebsocketImplProtocol

CENSUS_PATH = "/_heavy/census"

_COUNTED = {
    LiveLayout: "layout_objects",
    ComponentState: "component_states",
    ElementState: "element_states",
    WebsocketImplProtocol: "websockets",
}


def live_census(*, collect: bool = True) -> dict[str, int]:
    """Counts of this process's live-page objects (after ``gc.collect()``): ``layouts`` being
    served, ``layout_objects``, ``component_states`` (each a component's hook too),
    ``element_states`` and Sanic's ``websockets`` (one per connection) still in memory,
    ``presence_watchers``, topic ``subscriptions`` and asyncio ``tasks``. ``collect=False`` counts without collecting first:
    what a closed page left to the cycle collector is counted too (``?collect=no``)."""
    if collect:
        gc.collect()
    kinds = Counter(type(item) for item in gc.get_objects())
    counts = {name: kinds[kind] for kind, name in _COUNTED.items()}
    pubsub = current_pubsub()
    counts |= {
        "layouts": len(LiveLayout.live),
        "presence_watchers": current_presence().watcher_count(),
        "subscriptions": pubsub.subscriber_count(),
        "tasks": len(asyncio.all_tasks()),
    }
    return counts


def install_census(app: Sanic[Any, Any]) -> None:
    """Answer ``GET /_heavy/census`` with ``live_census()`` as JSON (never in PRODUCTION)."""

    async def census(request: Request) -> HTTPResponse:
        counts = live_census(collect=request.args.get("collect") != "no")
        return json(counts, headers={"Cache-Control": "no-store"})

    app.add_route(census, CENSUS_PATH, name="heavy_census")
