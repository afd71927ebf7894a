"""Links between pages of the router (no page reload)."""

from __future__ import annotations

from reactpy import html
from reactpy_router import link

from heavy_stack.frontend.types import Component


def RouterLink(text: str, to: str, *, id: str | None = None) -> Component:
    """A link to another route of the app; the page changes over the websocket, without a reload."""
    # Style the wrapper, not the link: reactpy-router 2.0 finds the link in the page by its
    # generated class, and a className of our own breaks that lookup (the browser then reloads).
    return html.span({"className": "router-link"}, link({"to": to} | ({"id": id} if id else {}), text))
