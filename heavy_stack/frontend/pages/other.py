"""``/other``: a second route, to show routing over one websocket."""

from __future__ import annotations

from heavy import gettext as t
from heavy import static_html
from reactpy import component

from heavy_stack.frontend.components import CenteredColumn, PageTitle, Paragraph, RouterLink
from heavy_stack.frontend.types import Component


@component
def OtherPage() -> Component:
    return OtherPageContent()


@static_html  # the same for every visitor of a language: made once
def OtherPageContent() -> Component:
    return CenteredColumn(
        PageTitle(t("The other page")),
        Paragraph(t("Routes are ReactPy components too: this one came over the same websocket.")),
        Paragraph(RouterLink(t("← Back to the landing page"), "/", id="to-landing")),
    )
