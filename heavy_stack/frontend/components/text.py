"""Text blocks."""

from __future__ import annotations

from reactpy import component, html

from heavy_stack.frontend.types import Component


@component
def Paragraph(*children: Component, id: str | None = None) -> Component:
    return html.p({"id": id} if id else {}, *children)


@component
def Preformatted(text: str) -> Component:
    return html.pre({"className": "preformatted"}, text)
