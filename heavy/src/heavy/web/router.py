"""The router of a product's pages: the route of the page's location, in the page's first update.

reactpy-router's ``browser_router`` renders its ``History`` element alone until the browser
reports where the page is, and the route only then: every new page cost a round trip and a
second render before it showed. The live connection already knows the location, since the
stream's path is the page's (``heavy.live.addresses``), and the first paint renders at the
request's. So this router renders that route at once and takes the browser's reports
(``History`` reports the location when it mounts, and on back and forward) as navigation: one
that names the location shown changes nothing.

reactpy-router's hooks (``use_params``, ``use_search_params``) and components (``link``,
``navigate``) work unchanged below it: the route gets their route state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heavy.events import Location as Reported
from heavy.hooks import heavy_event, heavy_use_state
from reactpy import component
from reactpy.backend.types import Connection, Location
from reactpy.core.hooks import ConnectionContext, use_connection
from reactpy_router.components import History

# reactpy-router keeps its route state's context private; its hooks and components read it.
from reactpy_router.hooks import _route_state_context
from reactpy_router.types import CompiledRoute, MatchedRoute, RouteState

HISTORY_EVENT = "onHistoryChangeCallback"  # the handler of the router's History element


@component
def page_router(resolvers: Sequence[CompiledRoute]) -> Any:
    """History beside the route that first matches the location (the connection's at first).

    Each route's element must carry a key of its own (``Pages.router`` gives each its path), so
    that going to another page mounts that page afresh.
    """
    connection = use_connection()
    location, set_location = heavy_use_state(connection.location)
    match = _first_match(resolvers, location.pathname)
    if match is None:
        return None

    def went_to(reported: Reported) -> None:
        new = Location(reported.pathname, reported.search)
        if new != location:
            set_location(new)

    route = _route_state_context(match.element, value=RouteState(set_location, match.params))
    return ConnectionContext(
        History({HISTORY_EVENT: heavy_event(went_to)}),
        route,
        value=Connection(connection.scope, location, connection.carrier),
    )


def _first_match(resolvers: Sequence[CompiledRoute], pathname: str) -> MatchedRoute | None:
    for resolver in resolvers:
        match = resolver.resolve(pathname)
        if match is not None:
            return match
    return None
