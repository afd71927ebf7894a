"""Text blocks."""

from __future__ import annotations

from reactpy import html

from heavy_stack.frontend.types import Component


def Paragraph(*children: Component, id: str | None = None) -> Component:
    return html.p({"id": id} if id else {}, *children)


def Preformatted(text: str) -> Component:
    return html.pre({"className": "preformatted"}, text)
