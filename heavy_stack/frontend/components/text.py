"""Text blocks."""

from __future__ import annotations

from heavy import html, static_html

from heavy_stack.frontend.types import Component


def Paragraph(*children: Component, id: str | None = None) -> Component:
    return html.p({"id": id} if id else {}, *children)


@static_html  # help texts, the same for every visitor of a language
def Preformatted(text: str) -> Component:
    return html.pre({"className": "preformatted"}, text)
