"""Links between pages of the router (no page reload)."""

from __future__ import annotations

from heavy import html

from heavy_stack.frontend.types import Component


def RouterLink(text: str, to: str, *, id: str | None = None, class_name: str = "router-link") -> Component:
    """A link to another route of the app; the page changes over the websocket, without a reload.

    heavy's page script (``heavy/client/src/page/links.js``) handles clicks on ``data-router-link`` anchors
    (push the URL, let the router hear it). We do not use reactpy-router's ``link``: its script
    looks each link up by a generated class after every render and warns in the console when a
    re-render has replaced it. Without JavaScript, or while the page is reconnecting, the link
    is an ordinary one and loads the page.
    """
    attributes = {"className": class_name, "href": to, "data-router-link": "true"}
    return html.a(attributes | ({"id": id} if id else {}), text)
