"""Page structure: titles, sections, columns and spacing."""

from __future__ import annotations

from heavy import gettext as t
from heavy import heavy_event, heavy_use_online_count, heavy_use_state, html, ngettext, static_html
from reactpy import component

from heavy_stack.frontend.types import Component


# Titles and headings are the same for every visitor of a language: made once, then shared.
@static_html
def PageTitle(text: str) -> Component:
    return html.h1({"className": "page-title"}, text)


def CenteredColumn(*children: Component) -> Component:
    return html.main({"className": "centered-column"}, *children)


def Section(title: str, *children: Component, id: str | None = None) -> Component:
    attributes = {"className": "section"} | ({"id": id} if id else {})
    return html.section(attributes, SectionHeading(title), *children)


@static_html
def SectionHeading(title: str) -> Component:
    return html.h2({"className": "section-title"}, title)


@component
def ExpandableSection(
    title: str,
    *children: Component,
    id: str,
    initially_open: bool = False,
) -> Component:
    """A section whose body shows or hides when its title is clicked."""
    is_open, set_open = heavy_use_state(initially_open)
    toggle = heavy_event(lambda: set_open(not is_open))
    header = html.button(
        {
            "id": f"{id}-toggle",
            "className": "expandable-toggle",
            "onClick": toggle,
            "aria-expanded": "true" if is_open else "false",
            "aria-controls": f"{id}-body",
        },
        # Apart from the title: a sign, not a word (nor one to read out).
        html.span({"aria-hidden": "true"}, "▾ " if is_open else "▸ "),
        title,
    )
    body = html.div({"id": f"{id}-body", "className": "expandable-body"}, *children)
    return html.section({"id": id, "className": "section expandable"}, header, body if is_open else "")


def Spacer(height_rem: float = 1.0) -> Component:
    return html.div({"className": "spacer", "style": {"height": f"{height_rem}rem"}})


@component
def OnlineCount() -> Component:
    """How many pages of the app are open now, on every instance ("3 online"); it follows
    within seconds as pages open and close (heavy's presence)."""
    online = heavy_use_online_count()
    return html.p(
        {"className": "online-count", "title": t("Pages of this app open right now")},
        html.span(
            {"id": "online-count"}, ngettext("{count} online", "{count} online", online).format(count=online)
        ),
    )
