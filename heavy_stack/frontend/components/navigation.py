"""Links between pages of the router (no page reload)."""

from __future__ import annotations

from reactpy_router import link

from heavy_stack.frontend.types import Component


def RouterLink(text: str, to: str, *, id: str | None = None) -> Component:
    """A link to another route of the app; the page changes over the websocket."""
    return link({"to": to, "className": "router-link"} | ({"id": id} if id else {}), text)
